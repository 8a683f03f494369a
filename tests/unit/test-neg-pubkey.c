/*
 * test-neg-pubkey: public-key identity in the negotiation (INTEROP R21,
 * issue 12 item 3), two engines with the committed TEST keys of
 * tests/vectors/idkey-*-2048.pem (2048 bits, the smallest accepted: the
 * suite runs these under memcheck too; test-idkey covers 3072).
 *
 * What it proves: between peers of this plugin both sides sign mac_A /
 * mac_B and each checks the other's signature against the key presented
 * (`key`) or the one it holds (`hash`); the first key seen is held,
 * unverified; a verified key makes the session verified even without a
 * retained secret; a changed or missing key is its own status and never
 * replaces the held one; a bad signature, a key that is not the signer's
 * and a non-canonical identity fail closed; a Gajim-profile peer (R20) and
 * a peer without the plugin's feature never get public-key options.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "esess-bytes.h"
#include "esess-idkey-private.h"
#include "esess-neg-private.h"
#include "esess-quirks.h"
#include "esess-store.h"
#include "neg-pair.h"

#define ALICE "alice@example.org"
#define BOB   "bob@example.com"

typedef struct {
	P p;
	EsessIdKey *ka, *kb, *km;
} KFx;

static void
open_stores(P *p)
{
	char *path;

	path = g_build_filename(p->dir, "alice.store", NULL);
	g_assert_cmpint(esess_store_open(path, &p->sa), ==, ESESS_OK);
	g_free(path);
	path = g_build_filename(p->dir, "bob.store", NULL);
	g_assert_cmpint(esess_store_open(path, &p->sb), ==, ESESS_OK);
	g_free(path);
	p->ca.store = p->sa;
	p->cb.store = p->sb;
}

static void
kfx_init(KFx *f)
{
	p_init(&f->p);
	f->p.ca.policy.extensions = f->p.cb.policy.extensions = TRUE;
	open_stores(&f->p);
	f->ka = neg_test_idkey("alice");
	f->kb = neg_test_idkey("bob");
	f->km = neg_test_idkey("mallory");
	f->p.ca.idkey = f->ka;
	f->p.cb.idkey = f->kb;
}

/* the next negotiation between the same two */
static void
kfx_again(KFx *f)
{
	int i;

	esess_neg_free(f->p.a);
	esess_neg_free(f->p.b);
	f->p.a = f->p.b = NULL;
	for (i = 0; i < 6; i++) {
		g_free(f->p.m[i]);
		f->p.m[i] = NULL;
	}
}

static void
kfx_clear(KFx *f)
{
	p_clear(&f->p);
	esess_idkey_free(f->ka);
	esess_idkey_free(f->kb);
	esess_idkey_free(f->km);
}

static const EsessPubKey *
pub(EsessIdKey *k)
{
	return esess_idkey_public(k);
}

static EsessKnownKey *
held(EsessStore *st, const char *account, const char *peer)
{
	return esess_store_key_get(st, account, peer);
}

/* the options of field var in message 1, joined by "," */
static char *
options_of(const char *m1, const char *var)
{
	EsessXmlNode *root = NULL, *x, *f, *o, *v;
	GString *s = g_string_new(NULL);

	g_assert_cmpint(esess_xml_parse(m1, strlen(m1), NULL, &root), ==, ESESS_OK);
	x = (EsessXmlNode *)esess_neg_find_x(root);
	for (f = esess_xml_child(x, "field", NULL); f != NULL; f = esess_xml_next(f, "field", NULL)) {
		if (g_strcmp0(esess_xml_attr(f, "var"), var) != 0)
			continue;
		for (o = esess_xml_child(f, "option", NULL); o != NULL;
		     o = esess_xml_next(o, "option", NULL)) {
			char *t;

			v = esess_xml_child(o, "value", NULL);
			t = esess_xml_text(v);
			g_string_append_printf(s, "%s%s", s->len ? "," : "", t);
			g_free(t);
		}
		for (v = esess_xml_child(f, "value", NULL); v != NULL;
		     v = esess_xml_next(v, "value", NULL)) {
			char *t = esess_xml_text(v);

			g_string_append_printf(s, "%s%s", s->len ? "," : "", t);
			g_free(t);
		}
	}
	esess_xml_free(root);
	return g_string_free(s, FALSE);
}

static size_t
identity_len(const char *stanza)
{
	char *v = neg_get_field(stanza, "identity");
	guint8 *b = NULL;
	size_t n = 0;

	g_assert_nonnull(v);
	g_assert_cmpint(esess_base64_decode(v, strlen(v), 8192, &b, &n), ==, ESESS_OK);
	g_free(b);
	g_free(v);
	return n;
}

/* ---- the flow ------------------------------------------------------------ */

static void
test_flow(void)
{
	const EsessNegResult *ra, *rb;
	EsessKnownKey *k;
	char *o, *mod_b64;
	const guint8 *n;
	size_t n_len;
	KFx f;

	kfx_init(&f);
	g_assert_cmpint(p_run(&f.p), ==, ESESS_OK);
	/* the offer: our key first, hash beside it, none last; Bob's `key`
	 * (nothing of his held yet, so no `hash`) */
	o = options_of(f.p.m[1], "init_pubkey");
	g_assert_cmpstr(o, ==, "key,hash,none");
	g_free(o);
	o = options_of(f.p.m[1], "resp_pubkey");
	g_assert_cmpstr(o, ==, "key,none");
	g_free(o);
	o = neg_get_field(f.p.m[2], "init_pubkey");
	g_assert_cmpstr(o, ==, "key");
	g_free(o);
	o = neg_get_field(f.p.m[2], "resp_pubkey");
	g_assert_cmpstr(o, ==, "key");
	g_free(o);
	/* the identities carry <KeyValue/> and <SignatureValue/>: longer
	 * than a MAC, and encrypted (the modulus is nowhere in clear) */
	g_assert_cmpuint(identity_len(f.p.m[3]), >, 700);
	g_assert_cmpuint(identity_len(f.p.m[4]), >, 700);
	n = esess_pubkey_modulus(pub(f.ka), &n_len);
	mod_b64 = esess_base64_encode(n, n_len);
	g_assert_null(strstr(f.p.m[3], mod_b64));
	g_assert_null(strstr(f.p.m[3], "KeyValue"));
	g_free(mod_b64);

	ra = esess_neg_result(f.p.a);
	rb = esess_neg_result(f.p.b);
	g_assert_cmpint(ra->key_status, ==, ESESS_PEER_KEY_NEW);
	g_assert_cmpint(rb->key_status, ==, ESESS_PEER_KEY_NEW);
	g_assert_true(esess_pubkey_equal(ra->peer_key, pub(f.kb)));
	g_assert_true(esess_pubkey_equal(rb->peer_key, pub(f.ka)));
	g_assert_false(ra->verified);
	g_assert_cmpstr(ra->sas, ==, rb->sas);
	/* the first key seen is held, unverified */
	k = held(f.p.sa, ALICE, BOB);
	g_assert_nonnull(k);
	g_assert_true(esess_pubkey_equal(k->key, pub(f.kb)));
	g_assert_false(k->verified);
	esess_known_key_free(k);
	k = held(f.p.sb, BOB, ALICE);
	g_assert_true(esess_pubkey_equal(k->key, pub(f.ka)));
	esess_known_key_free(k);

	/* again: the same keys are KNOWN; `hash` is now offered for Bob too,
	 * after `key` */
	kfx_again(&f);
	g_assert_cmpint(p_run(&f.p), ==, ESESS_OK);
	o = options_of(f.p.m[1], "resp_pubkey");
	g_assert_cmpstr(o, ==, "key,hash,none");
	g_free(o);
	g_assert_cmpint(esess_neg_result(f.p.a)->key_status, ==, ESESS_PEER_KEY_KNOWN);
	g_assert_cmpint(esess_neg_result(f.p.b)->key_status, ==, ESESS_PEER_KEY_KNOWN);
	g_assert_false(esess_neg_result(f.p.a)->verified);

	/* the users compared fingerprints: verified on both sides */
	g_assert_cmpint(esess_store_key_set_verified(f.p.sa, ALICE, BOB, pub(f.kb), TRUE), ==,
			ESESS_OK);
	g_assert_cmpint(esess_store_key_set_verified(f.p.sb, BOB, ALICE, pub(f.ka), TRUE), ==,
			ESESS_OK);
	kfx_again(&f);
	g_assert_cmpint(p_run(&f.p), ==, ESESS_OK);
	ra = esess_neg_result(f.p.a);
	rb = esess_neg_result(f.p.b);
	g_assert_cmpint(ra->key_status, ==, ESESS_PEER_KEY_VERIFIED);
	g_assert_cmpint(rb->key_status, ==, ESESS_PEER_KEY_VERIFIED);
	g_assert_true(ra->verified);
	g_assert_true(rb->verified);
	g_assert_cmpint(ra->continuity, ==, ESESS_CONT_VERIFIED);
	kfx_clear(&f);
}

/* `hash` both ways: each side names its key by its R21 hash, the other
 * puts back its copy; a hash of a key the receiver does not hold fails */
static void
test_hash(void)
{
	KFx f;
	char *v;

	kfx_init(&f);
	g_assert_cmpint(p_run(&f.p), ==, ESESS_OK); /* both keys now held */
	kfx_again(&f);
	f.p.ca.policy.pubkey_hash_first = TRUE;
	g_assert_cmpint(p_run(&f.p), ==, ESESS_OK);
	v = neg_get_field(f.p.m[2], "init_pubkey");
	g_assert_cmpstr(v, ==, "hash");
	g_free(v);
	v = neg_get_field(f.p.m[2], "resp_pubkey");
	g_assert_cmpstr(v, ==, "hash");
	g_free(v);
	/* a fingerprint and a signature: shorter than a full key */
	g_assert_cmpuint(identity_len(f.p.m[3]), <, 600);
	g_assert_cmpuint(identity_len(f.p.m[3]), >, 256);
	g_assert_cmpint(esess_neg_result(f.p.a)->key_status, ==, ESESS_PEER_KEY_KNOWN);
	g_assert_cmpint(esess_neg_result(f.p.b)->key_status, ==, ESESS_PEER_KEY_KNOWN);

	/* Alice now signs with another key and names it by hash: Bob does
	 * not hold it (XEP-0116: he must terminate) */
	kfx_again(&f);
	f.p.ca.idkey = f.km;
	g_assert_cmpint(p_run(&f.p), ==, ESESS_ERR_KEY_UNKNOWN);
	g_assert_cmpint(esess_neg_state(f.p.b), ==, ESESS_NEG_FAILED);
	g_assert_nonnull(f.p.err);
	g_assert_nonnull(strstr(f.p.err, "feature-not-implemented"));
	kfx_clear(&f);
}

/* A verified key makes the session verified with no retained secret at
 * all (a reinstall, another computer with the imported key), and also
 * when the other side lost its secrets and the chain looks broken. */
static void
test_verified_without_secret(void)
{
	const EsessNegResult *ra, *rb;
	KFx f;

	kfx_init(&f);
	g_assert_cmpint(esess_store_key_set(f.p.sa, ALICE, BOB, pub(f.kb), TRUE), ==, ESESS_OK);
	g_assert_cmpint(esess_store_key_set(f.p.sb, BOB, ALICE, pub(f.ka), TRUE), ==, ESESS_OK);
	{
		GPtrArray *l = esess_store_list(f.p.sa, ALICE, BOB);

		g_assert_cmpuint(l->len, ==, 0);
		g_ptr_array_unref(l);
	}
	g_assert_cmpint(p_run(&f.p), ==, ESESS_OK);
	ra = esess_neg_result(f.p.a);
	rb = esess_neg_result(f.p.b);
	g_assert_cmpint(ra->key_status, ==, ESESS_PEER_KEY_VERIFIED);
	g_assert_true(ra->verified);
	g_assert_true(rb->verified);
	g_assert_cmpint(ra->continuity, ==, ESESS_CONT_VERIFIED);
	/* the chain it started is verified too */
	{
		GPtrArray *l = esess_store_list(f.p.sa, ALICE, BOB);

		g_assert_cmpuint(l->len, ==, 1);
		g_assert_true(((EsessRetained *)g_ptr_array_index(l, 0))->verified);
		g_ptr_array_unref(l);
	}
	/* Bob loses his store but keeps (imports) his key and re-verifies
	 * Alice's: Alice holds a secret Bob does not: her chain is broken,
	 * yet the verified key carries the session */
	kfx_again(&f);
	esess_store_free(f.p.sb);
	f.p.sb = NULL;
	{
		char *path = g_build_filename(f.p.dir, "bob2.store", NULL);

		g_assert_cmpint(esess_store_open(path, &f.p.sb), ==, ESESS_OK);
		g_free(path);
	}
	f.p.cb.store = f.p.sb;
	g_assert_cmpint(esess_store_key_set(f.p.sb, BOB, ALICE, pub(f.ka), TRUE), ==, ESESS_OK);
	g_assert_cmpint(p_run(&f.p), ==, ESESS_OK);
	ra = esess_neg_result(f.p.a);
	g_assert_cmpint(ra->key_status, ==, ESESS_PEER_KEY_VERIFIED);
	g_assert_cmpint(ra->continuity, ==, ESESS_CONT_VERIFIED);
	g_assert_true(ra->verified);
	/* without the verified key the same situation is a broken chain */
	kfx_again(&f);
	g_assert_cmpint(esess_store_key_forget(f.p.sa, ALICE, BOB), ==, ESESS_OK);
	f.p.cb.store = NULL;
	g_assert_cmpint(p_run(&f.p), ==, ESESS_OK);
	ra = esess_neg_result(f.p.a);
	g_assert_cmpint(ra->key_status, ==, ESESS_PEER_KEY_NEW);
	g_assert_cmpint(ra->continuity, ==, ESESS_CONT_BROKEN);
	g_assert_false(ra->verified);
	kfx_clear(&f);
}

/* A key other than the held one is CHANGED, never verified, and the held
 * key stays; no key at all where one is held is MISSING. */
static void
test_changed_and_missing(void)
{
	const EsessNegResult *ra, *rb;
	EsessKnownKey *k;
	KFx f;

	kfx_init(&f);
	g_assert_cmpint(esess_store_key_set(f.p.sa, ALICE, BOB, pub(f.kb), TRUE), ==, ESESS_OK);
	g_assert_cmpint(esess_store_key_set(f.p.sb, BOB, ALICE, pub(f.ka), TRUE), ==, ESESS_OK);
	/* "Alice" with another key (a new device, or Mallory) */
	f.p.ca.idkey = f.km;
	g_assert_cmpint(p_run(&f.p), ==, ESESS_OK);
	rb = esess_neg_result(f.p.b);
	g_assert_cmpint(rb->key_status, ==, ESESS_PEER_KEY_CHANGED);
	g_assert_true(esess_pubkey_equal(rb->peer_key, pub(f.km)));
	g_assert_false(rb->verified);
	g_assert_cmpint(rb->continuity, !=, ESESS_CONT_VERIFIED);
	k = held(f.p.sb, BOB, ALICE);
	g_assert_true(esess_pubkey_equal(k->key, pub(f.ka)));  /* not replaced */
	g_assert_true(k->verified);
	esess_known_key_free(k);
	/* Alice still sees Bob's verified key */
	g_assert_cmpint(esess_neg_result(f.p.a)->key_status, ==, ESESS_PEER_KEY_VERIFIED);

	/* the same as initiator: "Bob" answers with another key */
	kfx_again(&f);
	f.p.ca.idkey = f.ka;
	f.p.cb.idkey = f.km;
	g_assert_cmpint(p_run(&f.p), ==, ESESS_OK);
	ra = esess_neg_result(f.p.a);
	g_assert_cmpint(ra->key_status, ==, ESESS_PEER_KEY_CHANGED);
	g_assert_false(ra->verified);
	k = held(f.p.sa, ALICE, BOB);
	g_assert_true(esess_pubkey_equal(k->key, pub(f.kb)));
	esess_known_key_free(k);

	/* "Bob" with no key at all (or one that hides it): MISSING */
	kfx_again(&f);
	f.p.cb.idkey = NULL;
	g_assert_cmpint(p_run(&f.p), ==, ESESS_OK);
	ra = esess_neg_result(f.p.a);
	g_assert_cmpint(ra->key_status, ==, ESESS_PEER_KEY_MISSING);
	g_assert_null(ra->peer_key);
	g_assert_false(ra->verified);
	/* and "Alice" with none, towards a Bob who holds hers */
	kfx_again(&f);
	f.p.ca.idkey = NULL;
	f.p.cb.idkey = f.kb;
	g_assert_cmpint(esess_store_key_forget(f.p.sa, ALICE, BOB), ==, ESESS_OK);
	g_assert_cmpint(p_run(&f.p), ==, ESESS_OK);
	g_assert_cmpint(esess_neg_result(f.p.b)->key_status, ==, ESESS_PEER_KEY_MISSING);
	kfx_clear(&f);
}

/* ---- an attacker who holds the session keys (a man in the middle who ran
 * the key exchange with Bob) but not Alice's private key ------------------ */

typedef guint8 *(*Rewrite)(KFx *f, const guint8 mac_a[32], const guint8 *plain, size_t len,
			   size_t *out_len);

/* Message 3 with the identity plaintext rewritten, then encrypted and
 * MACed again with Alice's session keys, as that attacker can. */
static char *
rewrite_m3(KFx *f, Rewrite fn)
{
	static const char *const no_identity[] = { "identity", "mac", NULL };
	const EsessNeg *neg = f->p.a;
	char *c, *idv, *text;
	guint8 *ctr, *id = NULL, *plain, *np, m_a[32], mac_a[32], after[16], c_a[16] = { 0 };
	size_t n, id_len, np_len;
	EsessXmlNode *root = NULL, *x, *fld;
	GString *form_a2 = g_string_new(NULL), *term = g_string_new(NULL);
	const guint8 *e;
	size_t e_len;
	const char *vals[1];

	c = neg_get_field(f->p.m[2], "counter");
	g_assert_cmpint(esess_base64_decode(c, strlen(c), 16, &ctr, &n), ==, ESESS_OK);
	memcpy(c_a + 16 - n, ctr, n);
	g_free(ctr);
	g_free(c);
	idv = neg_get_field(f->p.m[3], "identity");
	g_assert_cmpint(esess_base64_decode(idv, strlen(idv), 8192, &id, &id_len), ==, ESESS_OK);
	g_free(idv);
	plain = g_malloc(id_len);
	g_assert_cmpint(esess_neg_crypt_identity(neg->keys[ESESS_KEY_KC_A], c_a, id, plain, id_len,
						 after), ==, ESESS_OK);
	/* mac_A for Alice's key, as she computed it */
	g_assert_cmpint(esess_xml_parse(f->p.m[3], strlen(f->p.m[3]), NULL, &root), ==, ESESS_OK);
	x = (EsessXmlNode *)esess_neg_find_x(root);
	esess_form_canon(x, no_identity, form_a2);
	esess_xml_free(root);
	e = esess_dh_key_public(neg->own, &e_len);
	esess_pubkey_keyvalue_canon(pub(f->ka), term);
	g_assert_cmpint(esess_neg_sigma_mac_pk(neg->keys[ESESS_KEY_KS_A], neg->n_b, neg->n_b_len,
					       neg->n_a, neg->n_a_len, e, e_len, term, neg->form_a,
					       form_a2, mac_a), ==, ESESS_OK);
	np = fn(f, mac_a, plain, id_len, &np_len);
	g_free(id);
	id = g_malloc(np_len);
	g_assert_cmpint(esess_neg_crypt_identity(neg->keys[ESESS_KEY_KC_A], c_a, np, id, np_len,
						 after), ==, ESESS_OK);
	g_assert_cmpint(esess_neg_identity_mac(neg->keys[ESESS_KEY_KM_A], c_a, id, np_len, m_a), ==,
			ESESS_OK);
	vals[0] = idv = esess_base64_encode(id, np_len);
	text = neg_set_field(f->p.m[3], "identity", vals, 1);
	g_free(idv);
	vals[0] = idv = esess_base64_encode(m_a, 32);
	c = neg_set_field(text, "mac", vals, 1);
	g_free(text);
	g_free(idv);
	(void)fld;
	g_free(plain);
	g_free(np);
	g_free(id);
	g_string_free(form_a2, TRUE);
	g_string_free(term, TRUE);
	return c;
}

/* Alice's <KeyValue/> with a signature of the right mac_A by Mallory's key */
static guint8 *
rw_other_signer(KFx *f, const guint8 mac_a[32], const guint8 *plain, size_t len, size_t *out_len)
{
	GString *s = g_string_new(NULL);
	guint8 *sig;
	size_t sig_len;

	(void)plain;
	(void)len;
	esess_pubkey_keyvalue_canon(pub(f->ka), s);
	g_assert_cmpint(esess_idkey_sign(f->km, mac_a, 32, &sig, &sig_len), ==, ESESS_OK);
	g_string_append(s, "<SignatureValue>");
	esess_base64_append(s, sig, sig_len);
	g_string_append(s, "</SignatureValue>");
	g_free(sig);
	*out_len = s->len;
	return (guint8 *)g_string_free(s, FALSE);
}

/* Mallory's <KeyValue/> with Alice's own signature (over the mac_A of her
 * key): the key presented is not the signer's */
static guint8 *
rw_other_key(KFx *f, const guint8 mac_a[32], const guint8 *plain, size_t len, size_t *out_len)
{
	GString *s = g_string_new(NULL), *a = g_string_new(NULL);
	const char *sigv;

	(void)mac_a;
	esess_pubkey_keyvalue_canon(pub(f->ka), a);
	g_assert_true(len > a->len && memcmp(plain, a->str, a->len) == 0);
	sigv = (const char *)plain + a->len;
	esess_pubkey_keyvalue_canon(pub(f->km), s);
	g_string_append_len(s, sigv, (gssize)(len - a->len));
	g_string_free(a, TRUE);
	*out_len = s->len;
	return (guint8 *)g_string_free(s, FALSE);
}

/* one bit of the signature flipped (a base64 letter changed) */
static guint8 *
rw_flip(KFx *f, const guint8 mac_a[32], const guint8 *plain, size_t len, size_t *out_len)
{
	guint8 *p = g_memdup2(plain, len);
	const char *tag = "</SignatureValue>";
	size_t at = len - strlen(tag) - 10;

	(void)f;
	(void)mac_a;
	p[at] = p[at] == 'A' ? 'B' : 'A';
	*out_len = len;
	return p;
}

/* the same identity with a newline between the two elements */
static guint8 *
rw_space(KFx *f, const guint8 mac_a[32], const guint8 *plain, size_t len, size_t *out_len)
{
	GString *s = g_string_new(NULL);
	const char *sv = g_strstr_len((const char *)plain, (gssize)len, "<SignatureValue>");
	size_t head = (size_t)(sv - (const char *)plain);

	(void)f;
	(void)mac_a;
	g_string_append_len(s, (const char *)plain, (gssize)head);
	g_string_append_c(s, '\n');
	g_string_append_len(s, sv, (gssize)(len - head));
	*out_len = s->len;
	return (guint8 *)g_string_free(s, FALSE);
}

/* the signature alone, without a key */
static guint8 *
rw_no_key(KFx *f, const guint8 mac_a[32], const guint8 *plain, size_t len, size_t *out_len)
{
	const char *sv = g_strstr_len((const char *)plain, (gssize)len, "<SignatureValue>");
	size_t head = (size_t)(sv - (const char *)plain);

	(void)f;
	(void)mac_a;
	*out_len = len - head;
	return g_memdup2(sv, len - head);
}

/* mac_A alone, as if `none` had been chosen */
static guint8 *
rw_mac_only(KFx *f, const guint8 mac_a[32], const guint8 *plain, size_t len, size_t *out_len)
{
	(void)f;
	(void)plain;
	(void)len;
	*out_len = 32;
	return g_memdup2(mac_a, 32);
}

/* the plaintext unchanged: the rewriting itself is sound */
static guint8 *
rw_same(KFx *f, const guint8 mac_a[32], const guint8 *plain, size_t len, size_t *out_len)
{
	(void)f;
	(void)mac_a;
	*out_len = len;
	return g_memdup2(plain, len);
}

static void
check_rewrite(Rewrite fn, EsessStatus want)
{
	KFx f;
	char *m3;
	EsessStatus r;

	kfx_init(&f);
	p_m1(&f.p);
	g_assert_cmpint(p_respond(&f.p, f.p.m[1]), ==, ESESS_OK);
	g_assert_cmpint(p_recv(&f.p, f.p.a, f.p.m[2], 3), ==, ESESS_OK);
	m3 = rewrite_m3(&f, fn);
	r = p_recv(&f.p, f.p.b, m3, 4);
	g_assert_cmpint(r, ==, want);
	if (want != ESESS_OK) {
		/* fail closed: no message 4, an identity error, all wiped */
		g_assert_null(f.p.m[4]);
		g_assert_nonnull(f.p.err);
		g_assert_nonnull(strstr(f.p.err, "feature-not-implemented"));
		assert_failed_wiped(f.p.b);
		g_assert_null(held(f.p.sb, BOB, ALICE));
	}
	g_free(m3);
	kfx_clear(&f);
}

static void
test_bad_signature(void)
{
	check_rewrite(rw_same, ESESS_OK);
	check_rewrite(rw_other_signer, ESESS_ERR_SIGNATURE);
	check_rewrite(rw_other_key, ESESS_ERR_SIGNATURE);
	check_rewrite(rw_flip, ESESS_ERR_SIGNATURE);
}

static void
test_malformed_identity(void)
{
	check_rewrite(rw_space, ESESS_ERR_IDENTITY);
	check_rewrite(rw_no_key, ESESS_ERR_IDENTITY);
	check_rewrite(rw_mac_only, ESESS_ERR_IDENTITY);
}

/* ---- who never gets public keys ------------------------------------------ */

static void
test_gating(void)
{
	KFx f;
	char *o;

	/* R20: a Gajim-profile peer, even claiming the plugin's feature and
	 * even when we hold a key for it */
	kfx_init(&f);
	g_assert_cmpint(esess_store_key_set(f.p.sa, ALICE, BOB, pub(f.kb), TRUE), ==, ESESS_OK);
	f.p.ca.policy.quirks = esess_quirks_for("http://gajim.org");
	p_m1(&f.p);
	o = options_of(f.p.m[1], "init_pubkey");
	g_assert_cmpstr(o, ==, "none");
	g_free(o);
	o = options_of(f.p.m[1], "resp_pubkey");
	g_assert_cmpstr(o, ==, "none");
	g_free(o);
	kfx_clear(&f);

	/* a peer without the plugin's feature and no key held: none */
	kfx_init(&f);
	f.p.ca.policy.extensions = FALSE;
	p_m1(&f.p);
	o = options_of(f.p.m[1], "init_pubkey");
	g_assert_cmpstr(o, ==, "none");
	g_free(o);
	kfx_clear(&f);

	/* ... but one whose key we hold gets them (its capabilities may not
	 * be known yet), and Bob, who holds Alice's key, chooses them */
	kfx_init(&f);
	f.p.ca.policy.extensions = f.p.cb.policy.extensions = FALSE;
	g_assert_cmpint(esess_store_key_set(f.p.sa, ALICE, BOB, pub(f.kb), FALSE), ==, ESESS_OK);
	g_assert_cmpint(esess_store_key_set(f.p.sb, BOB, ALICE, pub(f.ka), FALSE), ==, ESESS_OK);
	g_assert_cmpint(p_run(&f.p), ==, ESESS_OK);
	o = options_of(f.p.m[1], "init_pubkey");
	g_assert_cmpstr(o, ==, "key,hash,none");
	g_free(o);
	g_assert_cmpint(esess_neg_result(f.p.a)->key_status, ==, ESESS_PEER_KEY_KNOWN);
	g_assert_cmpint(esess_neg_result(f.p.b)->key_status, ==, ESESS_PEER_KEY_KNOWN);
	kfx_clear(&f);

	/* a responder without the feature's evidence (no caps, no key held)
	 * answers a key offer with none: another implementation's key forms
	 * may differ */
	kfx_init(&f);
	f.p.cb.policy.extensions = FALSE;
	g_assert_cmpint(p_run(&f.p), ==, ESESS_OK);
	o = neg_get_field(f.p.m[2], "init_pubkey");
	g_assert_cmpstr(o, ==, "none");
	g_free(o);
	o = neg_get_field(f.p.m[2], "resp_pubkey");
	g_assert_cmpstr(o, ==, "none");
	g_free(o);
	g_assert_cmpint(esess_neg_result(f.p.a)->key_status, ==, ESESS_PEER_KEY_NONE);
	kfx_clear(&f);

	/* a Gajim request (key offered after none) gets none */
	kfx_init(&f);
	f.p.cb.policy.quirks = esess_quirks_for("http://gajim.org");
	g_assert_cmpint(p_run(&f.p), ==, ESESS_OK);
	o = neg_get_field(f.p.m[2], "init_pubkey");
	g_assert_cmpstr(o, ==, "none");
	g_free(o);
	kfx_clear(&f);
}

/* Without any key nothing changes: the offer is the one of R12. */
static void
test_no_keys_unchanged(void)
{
	P p;
	char *o;

	p_init(&p);
	p.ca.policy.extensions = p.cb.policy.extensions = TRUE;
	g_assert_cmpint(p_run(&p), ==, ESESS_OK);
	o = options_of(p.m[1], "init_pubkey");
	g_assert_cmpstr(o, ==, "none");
	g_free(o);
	o = options_of(p.m[1], "resp_pubkey");
	g_assert_cmpstr(o, ==, "none");
	g_free(o);
	g_assert_cmpuint(identity_len(p.m[3]), ==, 32);
	g_assert_cmpuint(identity_len(p.m[4]), ==, 32);
	g_assert_cmpint(esess_neg_result(p.a)->key_status, ==, ESESS_PEER_KEY_NONE);
	p_clear(&p);
}

/* ---- the chat: the SAS verifies the key, a mismatch forgets a new one --- */

/* The first session with a contact stores the new secret, the committed
 * SAS flag (R23) and the contact's key (R21) in one fsync'd write per side,
 * each before its side is done (the responder before message 4 exists,
 * SECURITY 67), not one write per change */
static void
test_first_session_one_write(void)
{
	EsessKnownKey *k;
	GPtrArray *l;
	guint wa, wb;
	KFx f;

	kfx_init(&f);
	p_m1(&f.p);
	g_assert_cmpint(p_respond(&f.p, f.p.m[1]), ==, ESESS_OK);
	g_assert_cmpint(p_recv(&f.p, f.p.a, f.p.m[2], 3), ==, ESESS_OK);
	wa = esess_store_writes(f.p.sa);
	wb = esess_store_writes(f.p.sb);
	g_assert_cmpint(p_recv(&f.p, f.p.b, f.p.m[3], 4), ==, ESESS_OK);
	g_assert_cmpuint(esess_store_writes(f.p.sb) - wb, ==, 1);
	g_assert_cmpuint(esess_store_writes(f.p.sa), ==, wa);
	g_assert_cmpint(p_recv(&f.p, f.p.a, f.p.m[4], 0), ==, ESESS_OK);
	g_assert_cmpuint(esess_store_writes(f.p.sa) - wa, ==, 1);
	g_assert_cmpuint(esess_store_writes(f.p.sb) - wb, ==, 1);
	/* all three are there, on both sides, and from the file too */
	g_assert_cmpint(esess_neg_result(f.p.a)->sas_alg, ==, ESESS_SAS_ALG_COMMITTED);
	g_assert_cmpint(esess_neg_result(f.p.a)->key_status, ==, ESESS_PEER_KEY_NEW);
	esess_store_free(f.p.sa);
	esess_store_free(f.p.sb);
	f.p.sa = f.p.sb = NULL;
	open_stores(&f.p);
	g_assert_cmpuint(esess_store_peer_flags(f.p.sa, ALICE, BOB) & ESESS_PEER_COMMITTED_SAS, !=, 0);
	g_assert_cmpuint(esess_store_peer_flags(f.p.sb, BOB, ALICE) & ESESS_PEER_COMMITTED_SAS, !=, 0);
	k = held(f.p.sa, ALICE, BOB);
	g_assert_nonnull(k);
	g_assert_true(esess_pubkey_equal(k->key, pub(f.kb)));
	g_assert_false(k->verified);
	esess_known_key_free(k);
	k = held(f.p.sb, BOB, ALICE);
	g_assert_nonnull(k);
	g_assert_true(esess_pubkey_equal(k->key, pub(f.ka)));
	esess_known_key_free(k);
	l = esess_store_list(f.p.sa, ALICE, BOB);
	g_assert_cmpuint(l->len, ==, 1);
	g_ptr_array_unref(l);
	l = esess_store_list(f.p.sb, BOB, ALICE);
	g_assert_cmpuint(l->len, ==, 1);
	g_ptr_array_unref(l);
	/* the next session: one write per side again (flag and key held) */
	kfx_again(&f);
	wa = esess_store_writes(f.p.sa);
	wb = esess_store_writes(f.p.sb);
	g_assert_cmpint(p_run(&f.p), ==, ESESS_OK);
	g_assert_cmpuint(esess_store_writes(f.p.sa) - wa, ==, 1);
	g_assert_cmpuint(esess_store_writes(f.p.sb) - wb, ==, 1);
	g_assert_cmpint(esess_neg_result(f.p.a)->key_status, ==, ESESS_PEER_KEY_KNOWN);
	kfx_clear(&f);
}

/* The responder's store commit runs while its signature of mac_B is
 * computed (esess_neg_pk_payload_during): a store that cannot be written
 * still means no message 4 (SECURITY 67: stored before message 4 leaves,
 * fail closed), with keys (signature in a thread) and without (none) */
static void
test_store_fails_during_signature(void)
{
	gboolean keys;

	for (keys = FALSE; keys <= TRUE; keys++) {
		KFx f;
		char *sub, *moved, *path;

		kfx_init(&f);
		if (!keys)
			f.p.ca.idkey = f.p.cb.idkey = NULL;
		sub = g_build_filename(f.p.dir, "bob", NULL);
		moved = g_build_filename(f.p.dir, "bob-moved", NULL);
		path = g_build_filename(sub, "bob.store", NULL);
		g_assert_cmpint(g_mkdir(sub, 0700), ==, 0);
		esess_store_free(f.p.sb);
		g_assert_cmpint(esess_store_open(path, &f.p.sb), ==, ESESS_OK);
		f.p.cb.store = f.p.sb;
		p_m1(&f.p);
		g_assert_cmpint(p_respond(&f.p, f.p.m[1]), ==, ESESS_OK);
		g_assert_cmpint(p_recv(&f.p, f.p.a, f.p.m[2], 3), ==, ESESS_OK);
		/* Bob's store directory is no longer one */
		g_assert_cmpint(rename(sub, moved), ==, 0);
		g_assert_true(g_file_set_contents(sub, "not a directory", -1, NULL));
		g_assert_cmpint(p_recv(&f.p, f.p.b, f.p.m[3], 4), ==, ESESS_ERR_STORE_IO);
		g_assert_null(f.p.m[4]);
		assert_failed_wiped(f.p.b);
		g_assert_null(held(f.p.sb, BOB, ALICE));
		g_assert_cmpint(esess_neg_state(f.p.a), !=, ESESS_NEG_DONE);
		/* the same with the store back: message 4, both done */
		g_assert_cmpint(unlink(sub), ==, 0);
		g_assert_cmpint(rename(moved, sub), ==, 0);
		kfx_again(&f);
		g_assert_cmpint(p_run(&f.p), ==, ESESS_OK);
		g_assert_nonnull(f.p.m[4]);
		g_assert_cmpint(esess_neg_state(f.p.b), ==, ESESS_NEG_DONE);
		if (keys)
			g_assert_cmpint(identity_len(f.p.m[4]), >, 700);
		g_free(path);
		g_free(moved);
		g_free(sub);
		kfx_clear(&f);
	}
}

static void
chat_pair(NegParty *a, NegParty *b, const char *dir, EsessIdKey *ka, EsessIdKey *kb)
{
	neg_party_init(a, ALICE "/pda", dir);
	neg_party_init(b, BOB "/laptop", dir);
	a->cfg.peer_has_plugin = b->cfg.peer_has_plugin = TRUE;
	a->cfg.idkey = ka;
	b->cfg.idkey = kb;
}

static void
test_chat_sas(void)
{
	char *dir = neg_tmpdir();
	EsessIdKey *ka = neg_test_idkey("alice"), *kb = neg_test_idkey("bob"), *km = neg_test_idkey("mallory");
	NegParty a, b;
	NegWire w;
	EsessStep step;
	EsessKnownKey *k;

	chat_pair(&a, &b, dir, ka, kb);
	neg_wire_init(&w, NULL, NULL);
	/* the chat holds its own reference: the adapter may drop the key */
	esess_idkey_free(esess_idkey_ref(ka));
	g_assert_true(neg_run(&a, &b, &w, FALSE));
	g_assert_cmpint(esess_chat_peer_key_status(a.chat), ==, ESESS_PEER_KEY_NEW);
	g_assert_true(esess_pubkey_equal(esess_chat_peer_key(a.chat), pub(kb)));
	g_assert_false(esess_chat_verified(a.chat));
	/* the users compare the SAS: the key is verified with the chain */
	esess_step_init(&step);
	g_assert_cmpint(esess_chat_sas_result(a.chat, TRUE, &step), ==, ESESS_OK);
	esess_step_clear(&step);
	g_assert_cmpint(esess_chat_peer_key_status(a.chat), ==, ESESS_PEER_KEY_VERIFIED);
	g_assert_true(esess_chat_verified(a.chat));
	k = held(a.store, ALICE, BOB);
	g_assert_true(k->verified);
	esess_known_key_free(k);

	/* Bob comes back with another key: CHANGED; the SAS compared again
	 * is the user's acceptance of the new key */
	neg_party_reset(&a);
	neg_party_reset(&b);
	b.cfg.idkey = km;
	g_assert_true(neg_run(&a, &b, &w, FALSE));
	g_assert_cmpint(esess_chat_peer_key_status(a.chat), ==, ESESS_PEER_KEY_CHANGED);
	k = held(a.store, ALICE, BOB);
	g_assert_true(esess_pubkey_equal(k->key, pub(kb)));
	esess_known_key_free(k);
	esess_step_init(&step);
	g_assert_cmpint(esess_chat_sas_result(a.chat, TRUE, &step), ==, ESESS_OK);
	esess_step_clear(&step);
	k = held(a.store, ALICE, BOB);
	g_assert_true(esess_pubkey_equal(k->key, pub(km)));
	g_assert_true(k->verified);
	esess_known_key_free(k);

	/* a SAS mismatch on a first key: the key is not kept (it may be the
	 * man in the middle's) */
	neg_party_reset(&b);
	g_assert_cmpint(esess_store_forget_peer(b.store, BOB, ALICE), ==, ESESS_OK);
	neg_party_reset(&a);
	g_assert_true(neg_run(&a, &b, &w, FALSE));
	g_assert_cmpint(esess_chat_peer_key_status(b.chat), ==, ESESS_PEER_KEY_NEW);
	g_assert_nonnull((k = held(b.store, BOB, ALICE)));
	esess_known_key_free(k);
	esess_step_init(&step);
	g_assert_cmpint(esess_chat_sas_result(b.chat, FALSE, &step), ==, ESESS_ERR_SAS_MISMATCH);
	esess_step_clear(&step);
	g_assert_null(held(b.store, BOB, ALICE));

	neg_wire_clear(&w);
	neg_party_clear(&a);
	neg_party_clear(&b);
	esess_idkey_free(ka);
	esess_idkey_free(kb);
	esess_idkey_free(km);
	neg_rmdir(dir);
	g_free(dir);
}

/* ---- known answer: the identity plaintext (R21) ------------------------ */

/* what vector_mac gives and expects */
static struct {
	const guint8 *mac;   /* the vector's mac_A */
	GString *term;       /* the pubKey term it must be asked for */
} vm;

/* mac_X as the negotiation would recompute it: the vector's mac_A, for the
 * full key's <KeyValue/> (for `hash` too: XEP-0116) */
static EsessStatus
vector_mac(EsessNeg *neg, const GString *pubkey, const GString *form2,
	   guint8 out[ESESS_HMAC_LEN], gpointer data)
{
	(void)neg;
	(void)form2;
	(void)data;
	g_assert_cmpstr(pubkey->str, ==, vm.term->str);
	memcpy(out, vm.mac, ESESS_HMAC_LEN);
	return ESESS_OK;
}

static void
test_payload_vector(void)
{
	char *vec = neg_vector("idkey-r21-r22.txt");
	char *mac_hex = neg_vector_get(vec, "mac_A"), *want_key = neg_vector_get(vec, "identity_key_A");
	char *want_hash = neg_vector_get(vec, "identity_hash_A");
	char *canon = neg_vector_get(vec, "keyvalue_canon");
	char *pem = neg_vector("idkey-alice.pem");
	EsessIdKey *k = NULL;
	EsessNegConfig cfg;
	EsessNeg *alice, *bob;
	EsessKnownKey known;
	guint8 *mac, *out = NULL;
	size_t mac_len, out_len;

	g_assert_cmpint(esess_idkey_import_pem(pem, strlen(pem), NULL, &k), ==, ESESS_OK);
	mac = neg_unhex(mac_hex, &mac_len);
	g_assert_cmpuint(mac_len, ==, 32);
	memset(&cfg, 0, sizeof cfg);
	cfg.idkey = k;
	alice = esess_neg_alloc(&cfg, TRUE);
	g_assert_cmpint(esess_neg_pk_payload(alice, ESESS_NEG_PK_KEY, mac, &out, &out_len), ==,
			ESESS_OK);
	g_assert_cmpmem(out, out_len, want_key, strlen(want_key));
	g_free(out);
	g_assert_cmpint(esess_neg_pk_payload(alice, ESESS_NEG_PK_HASH, mac, &out, &out_len), ==,
			ESESS_OK);
	g_assert_cmpmem(out, out_len, want_hash, strlen(want_hash));
	g_free(out);
	g_assert_cmpint(esess_neg_pk_payload(alice, ESESS_NEG_PK_NONE, mac, &out, &out_len), ==,
			ESESS_OK);
	g_assert_cmpmem(out, out_len, mac, 32);
	g_free(out);
	/* our pubKey term of mac_A: the full <KeyValue/>, also for hash */
	vm.term = g_string_new(NULL);
	esess_neg_pk_own_term(alice, ESESS_NEG_PK_HASH, vm.term);
	g_assert_cmpstr(vm.term->str, ==, canon);
	esess_neg_pk_own_term(alice, ESESS_NEG_PK_NONE, vm.term);
	g_assert_cmpuint(vm.term->len, ==, 0);
	esess_neg_pk_own_term(alice, ESESS_NEG_PK_KEY, vm.term);
	esess_neg_free(alice);

	/* read back by a side that holds Alice's key (for `hash`) */
	vm.mac = mac;
	memset(&cfg, 0, sizeof cfg);
	bob = esess_neg_alloc(&cfg, FALSE);
	known.key = esess_pubkey_copy(esess_idkey_public(k));
	known.verified = FALSE;
	known.first_seen = 0;
	bob->known = &known;
	g_assert_cmpint(esess_neg_pk_check(bob, ESESS_NEG_PK_KEY, (const guint8 *)want_key,
					   strlen(want_key), NULL, vector_mac, NULL), ==, ESESS_OK);
	g_assert_true(esess_pubkey_equal(bob->peer_key, esess_idkey_public(k)));
	g_assert_cmpint(esess_neg_pk_check(bob, ESESS_NEG_PK_HASH, (const guint8 *)want_hash,
					   strlen(want_hash), NULL, vector_mac, NULL), ==, ESESS_OK);
	g_assert_true(esess_pubkey_equal(bob->peer_key, esess_idkey_public(k)));
	/* the other form than the one chosen is refused */
	g_assert_cmpint(esess_neg_pk_check(bob, ESESS_NEG_PK_HASH, (const guint8 *)want_key,
					   strlen(want_key), NULL, vector_mac, NULL), ==, ESESS_ERR_IDENTITY);
	g_assert_cmpint(esess_neg_pk_check(bob, ESESS_NEG_PK_KEY, (const guint8 *)want_hash,
					   strlen(want_hash), NULL, vector_mac, NULL), ==, ESESS_ERR_IDENTITY);
	g_assert_null(bob->peer_key);
	bob->known = NULL;
	esess_neg_free(bob);
	esess_pubkey_free(known.key);
	g_string_free(vm.term, TRUE);
	g_free(mac);
	g_free(mac_hex);
	g_free(want_key);
	g_free(want_hash);
	g_free(canon);
	g_free(pem);
	g_free(vec);
	esess_idkey_free(k);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_assert_cmpint(esess_crypto_init(), ==, ESESS_OK);
	g_test_add_func("/neg/r21/identity-plaintext-vector", test_payload_vector);
	g_test_add_func("/neg/r21/flow-new-known-verified", test_flow);
	g_test_add_func("/neg/r21/security/28-hash-and-unknown-hash", test_hash);
	g_test_add_func("/neg/r21/verified-key-without-retained-secret", test_verified_without_secret);
	g_test_add_func("/neg/r21/security/27-changed-and-missing-key", test_changed_and_missing);
	g_test_add_func("/neg/r21/security/bad-signature-fails-closed", test_bad_signature);
	g_test_add_func("/neg/r21/security/malformed-identity", test_malformed_identity);
	g_test_add_func("/neg/r21/r20-gating", test_gating);
	g_test_add_func("/neg/r21/no-keys-unchanged", test_no_keys_unchanged);
	g_test_add_func("/neg/r21/chat-sas-verifies-key", test_chat_sas);
	g_test_add_func("/neg/r21/first-session-one-store-write", test_first_session_one_write);
	g_test_add_func("/neg/r21/security/67-store-fails-during-signature",
			test_store_fails_during_signature);
	return g_test_run();
}
