/*
 * esess-offline-session.c - the XEP-0187 offline session itself (issue 12
 * item 4): the sender takes a checked options set and seals one message;
 * the recipient, back online, opens it with the DH secrets it kept since
 * publishing.  doc/wire-profile.md "Offline sessions" gives the stanza.
 *
 * Each offline message is its own one-shot session (XEP-0116 §Alice's
 * message 3 / XEP-0187 §Starting: `terminate` = 1 in form_B, "object
 * encryption with PFS"): a fresh y and N_B per message, so no message
 * depends on another having arrived, in order or at all, and nothing is
 * left open for the sender to end when the recipient returns.
 *
 * The sender is XEP-0116's responder of the 3-message variant: form_B is
 * the submit form with its choices, my_nonce (N_B), dhkeys (d), nonce
 * (N_A), counter (C_A) and terminate, then
 *   mac_B = HMAC(KS_B, N_A || N_B || MPI(d) || pubKey_B || form_B)
 *   ID_B  = AES-CTR(KC_B, C_B, pubKey_B || <SignatureValue/> of mac_B)
 *   M_B   = HMAC(KM_B, MPI(C_B) || ID_B)
 * with pubKey_B the R7 <KeyValue/> of the sender's identity key (`key`,
 * XEP-0187: "assume pubkey = key"), signed per INTEROP R21.  The content
 * follows in a XEP-0200 <c/> under KC_B / KM_B, the counter carrying on
 * after ID_B (R5), with a SHIM `Created` header inside.
 *
 * The recipient refuses, without ever answering (XEP-0187 §Accepting):
 * expired options, a nonce that is not this set's N_A, a group not offered,
 * a replayed d or N_B, an identity that does not verify or is not the
 * trusted key, and content that fails its MAC.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "esess-bytes.h"
#include "esess-modp.h"
#include "esess-neg-private.h"
#include "esess-offline.h"
#include "esess-offline-private.h"
#include "esess-store-private.h"

#define NS_SHIM "http://jabber.org/protocol/shim"
#define OFFLINE_REKEY "1000"
#define SECRETS_MAGIC "esessions-offline-secrets 1"

/* ---- the sender ----------------------------------------------------- */

static void
add_value(EsessForm *f, const char *var, EsessFieldType type, const char *v)
{
	esess_field_add_value(esess_form_add(f, var, type), v);
}

static void
append_created(GString *p, gint64 created)
{
	char *when = esess_datetime_format(created);

	/* XEP-0187 §Exchanging: the time the message was written, inside the
	 * encryption (the server's delay stamp is not to be trusted) */
	g_string_append(p, "<headers xmlns='" NS_SHIM "'><header name='Created'>");
	g_string_append(p, when);
	g_string_append(p, "</header></headers>");
	g_free(when);
}

EsessStatus
esess_offline_seal(const EsessOfflineOffer *offer, EsessIdKey *idkey, const char *payload,
		   size_t len, gint64 created, EsessXmlNode **init, GString *c_out)
{
	EsessNegConfig cfg;
	EsessNeg *neg = NULL;
	EsessForm *f = NULL;
	EsessXmlNode *x = NULL;
	EsessSession *s = NULL;
	EsessSessionParams p;
	GString *form_b = NULL, *pkterm = NULL, *plain_c = NULL;
	guint8 mac_b[ESESS_HMAC_LEN], m_b[ESESS_HMAC_LEN], c_b_after[ESESS_COUNTER_LEN];
	guint8 *plain = NULL;
	size_t plain_len = 0;
	const guint8 *d;
	size_t d_len;
	char *num;
	EsessStatus r;

	g_return_val_if_fail(offer != NULL && init != NULL && c_out != NULL,
			     ESESS_ERR_INVALID_ARG);
	g_return_val_if_fail(len == 0 || payload != NULL, ESESS_ERR_INVALID_ARG);
	*init = NULL;
	/* XEP-0187: the identity is the published key; no key, no session */
	if (idkey == NULL || offer->group == 0 || offer->e == NULL || offer->n_a == NULL ||
	    offer->n_a_len > ESESS_NEG_NONCE_MAX)
		return ESESS_ERR_INVALID_ARG;
	memset(&cfg, 0, sizeof cfg);
	cfg.idkey = idkey;
	neg = esess_neg_alloc(&cfg, FALSE);
	memcpy(neg->n_a, offer->n_a, offer->n_a_len);
	neg->n_a_len = offer->n_a_len;
	/* a fresh y and N_B for every message (XEP-0116 §Security: unique
	 * per session) */
	r = esess_dh_keygen(offer->group, &neg->own);
	if (r != ESESS_OK)
		goto out;
	esess_neg_own_nonce(neg, neg->n_b, &neg->n_b_len);
	do {
		esess_random(neg->c_a, sizeof neg->c_a);
	} while (neg->c_a[0] == 0); /* MPI and 16-byte forms agree (R6) */
	esess_counter_flip_top(neg->c_a, neg->c_b);
	/* K = SHA-256(MPI(e^y)) and the six keys (R3); e was range-checked by
	 * esess_offline_options_check and is checked again here */
	r = esess_neg_agree(neg, offer->e, offer->e_len);
	if (r != ESESS_OK)
		goto out;

	f = esess_form_new(ESESS_FORM_SUBMIT);
	add_value(f, "FORM_TYPE", ESESS_FIELD_HIDDEN, ESESS_NS_SSN);
	add_value(f, "logging", ESESS_FIELD_LIST_SINGLE,
		  offer->logging == ESESS_LOGGING_MUSTNOT ? "mustnot" : "may");
	add_value(f, "disclosure", ESESS_FIELD_LIST_SINGLE, "never");
	add_value(f, "security", ESESS_FIELD_LIST_SINGLE, "e2e");
	num = g_strdup_printf("%u", offer->group);
	add_value(f, "modp", ESESS_FIELD_LIST_SINGLE, num);
	g_free(num);
	add_value(f, "crypt_algs", ESESS_FIELD_LIST_SINGLE, offer->cipher);
	add_value(f, "hash_algs", ESESS_FIELD_LIST_SINGLE, "sha256");
	add_value(f, "compress", ESESS_FIELD_LIST_SINGLE, "none");
	add_value(f, "stanzas", ESESS_FIELD_LIST_MULTI, "message");
	add_value(f, "ver", ESESS_FIELD_LIST_SINGLE, "1.0");
	add_value(f, "rekey_freq", ESESS_FIELD_TEXT_SINGLE, OFFLINE_REKEY);
	add_value(f, "sign_algs", ESESS_FIELD_LIST_SINGLE,
		  "http://www.w3.org/2000/09/xmldsig#rsa-sha256");
	esess_neg_add_b64(f, "my_nonce", neg->n_b, neg->n_b_len);
	d = esess_dh_key_public(neg->own, &d_len);
	esess_neg_add_b64(f, "dhkeys", d, d_len);
	esess_neg_add_b64(f, "nonce", neg->n_a, neg->n_a_len);
	esess_neg_add_b64(f, "counter", neg->c_a, sizeof neg->c_a);
	/* one-shot: covered by mac_B, so nobody turns it into more */
	add_value(f, "terminate", ESESS_FIELD_BOOLEAN, "1");
	x = esess_form_to_xml(f);
	form_b = g_string_new(NULL);
	esess_neg_canon_no_identity(x, form_b);
	esess_xml_free(x);
	x = NULL;

	pkterm = g_string_new(NULL);
	esess_neg_pk_own_term(neg, ESESS_NEG_PK_KEY, pkterm);
	/* 3-message: no form_B2 (XEP-0116 §Hiding Bob's Identity) */
	{
		GString *empty = g_string_new(NULL);

		r = esess_neg_sigma_mac_pk(neg->keys[ESESS_KEY_KS_B], neg->n_a, neg->n_a_len,
					   neg->n_b, neg->n_b_len, d, d_len, pkterm, form_b, empty,
					   mac_b);
		g_string_free(empty, TRUE);
	}
	if (r != ESESS_OK)
		goto out;
	r = esess_neg_pk_payload(neg, ESESS_NEG_PK_KEY, mac_b, &plain, &plain_len);
	if (r != ESESS_OK)
		goto out;
	r = esess_neg_seal_identity(neg, ESESS_NEG_SIDE_B, plain, plain_len, f, m_b, c_b_after);
	if (r != ESESS_OK)
		goto out;

	/* the content under KC_B / KM_B, counter after ID_B (R5) */
	memset(&p, 0, sizeof p);
	p.own_cipher_key = neg->keys[ESESS_KEY_KC_B];
	p.own_mac_key = neg->keys[ESESS_KEY_KM_B];
	p.peer_cipher_key = neg->keys[ESESS_KEY_KC_A];
	p.peer_mac_key = neg->keys[ESESS_KEY_KM_A];
	memcpy(p.own_counter, c_b_after, ESESS_COUNTER_LEN);
	memcpy(p.peer_counter, neg->c_a, ESESS_COUNTER_LEN);
	p.group = offer->group;
	r = esess_session_new(&p, &s);
	if (r != ESESS_OK)
		goto out;
	plain_c = g_string_sized_new(len + 160);
	g_string_append_len(plain_c, payload, len);
	append_created(plain_c, created);
	r = esess_session_encrypt(s, plain_c->str, plain_c->len, c_out);
	if (r != ESESS_OK)
		goto out;
	*init = esess_xml_new("init", ESESS_NS_INIT);
	esess_xml_append(*init, esess_form_to_xml(f));
out:
	esess_wipe(mac_b, sizeof mac_b);
	esess_free_wiped(plain, plain_len);
	if (plain_c != NULL) {
		esess_wipe(plain_c->str, plain_c->len);
		g_string_free(plain_c, TRUE);
	}
	if (form_b != NULL)
		g_string_free(form_b, TRUE);
	if (pkterm != NULL)
		g_string_free(pkterm, TRUE);
	esess_session_free(s); /* one-shot: ended with its only stanza */
	esess_form_free(f);
	esess_neg_free(neg);
	return r;
}

/* ---- the recipient -------------------------------------------------- */

typedef struct {
	const guint8 *d;
	size_t d_len;
} MacBCtx;

/* mac_B of the 3-message exchange: the init form without "identity" and
 * "mac" is form_B, and there is no form_B2 (XEP-0116 §Hiding Bob's
 * Identity) */
static EsessStatus
mac_b_for(EsessNeg *neg, const GString *pubkey, const GString *form_b,
	  guint8 out[ESESS_HMAC_LEN], gpointer data)
{
	const MacBCtx *c = data;
	GString *empty = g_string_new(NULL);
	EsessStatus r;

	r = esess_neg_sigma_mac_pk(neg->keys[ESESS_KEY_KS_B], neg->n_a, neg->n_a_len, neg->n_b,
				   neg->n_b_len, c->d, c->d_len, pubkey, form_b, empty, out);
	g_string_free(empty, TRUE);
	return r;
}

/* XEP-0187 §Accepting: "the same d or N_B": remembered as their SHA-256,
 * tagged so that a d can never be mistaken for a nonce */
static char *
seen_key(char tag, const guint8 *v, size_t len)
{
	guint8 h[ESESS_SHA256_LEN];
	char *b64, *k;

	esess_sha256(v, len, h);
	b64 = esess_base64_encode(h, sizeof h);
	k = g_strdup_printf("%c%s", tag, b64);
	g_free(b64);
	return k;
}

static gboolean
is_one_of(const EsessForm *f, const char *var, const char *const *ok)
{
	const char *v;
	guint i;

	if (esess_form_get_single(f, var, &v) != ESESS_OK)
		return FALSE;
	for (i = 0; ok[i] != NULL; i++)
		if (strcmp(v, ok[i]) == 0)
			return TRUE;
	return FALSE;
}

/* A copy of the stored key pair for the negotiation object to own. */
static EsessStatus
key_copy(const EsessDhKey *k, EsessDhKey **out)
{
	EsessSecret *x = NULL;
	EsessStatus r;

	r = esess_dh_key_export_private(k, &x);
	if (r != ESESS_OK)
		return r;
	r = esess_dh_key_from_private(esess_dh_key_group(k), x->data, x->len, out);
	esess_secret_free(x);
	return r;
}

/* The SHIM Created header of the decrypted payload, taken out of it. */
static gint64
take_created(EsessXmlNode *payload)
{
	EsessXmlNode *h, *hd;
	gint64 t = 0;

	if (payload == NULL)
		return 0;
	h = esess_xml_child(payload, "headers", NS_SHIM);
	if (h == NULL)
		return 0;
	for (hd = esess_xml_child(h, "header", NS_SHIM); hd != NULL;
	     hd = esess_xml_next(hd, "header", NS_SHIM)) {
		if (g_strcmp0(esess_xml_attr(hd, "name"), "Created") == 0) {
			g_autofree char *v = esess_xml_text(hd);

			if (!esess_datetime_parse(v, &t))
				t = 0;
			break;
		}
	}
	esess_xml_unlink(h);
	esess_xml_free(h);
	return t;
}

EsessStatus
esess_offline_open(EsessOfflineSecrets *s, const EsessPubKey *trusted, gint64 now,
		   const EsessXmlNode *init, const EsessXmlNode *c, EsessXmlNode **payload,
		   gint64 *created, EsessPubKey **signer)
{
	static const char *const acc_crypt[] = { "aes256-ctr", "aes128-ctr", NULL };
	static const char *const acc_sha[] = { "sha256", NULL };
	static const char *const acc_none[] = { "none", NULL };
	static const char *const acc_msg[] = { "message", NULL };
	static const char *const acc_ver[] = { "1.0", NULL };
	EsessNegConfig cfg;
	EsessNeg *neg = NULL;
	const EsessXmlNode *xin;
	EsessForm *f = NULL;
	EsessSession *sess = NULL;
	EsessSessionParams p;
	const EsessDhKey *x;
	MacBCtx mctx;
	EsessNegIdentity idn = { NULL, 0, { 0 } };
	guint8 *d = NULL, *na = NULL, *nb = NULL;
	size_t d_len = 0, na_len = 0, nb_len = 0;
	guint8 c_b_after[ESESS_COUNTER_LEN];
	const char *field; /* the field is not reported offline */
	char *kd = NULL, *kn = NULL;
	const char *v;
	gboolean term = FALSE;
	guint64 group;
	EsessStatus r;

	g_return_val_if_fail(s != NULL && init != NULL && payload != NULL && created != NULL,
			     ESESS_ERR_INVALID_ARG);
	*payload = NULL;
	*created = 0;
	if (signer != NULL)
		*signer = NULL;
	memset(&cfg, 0, sizeof cfg);
	/* XEP-0187: past the expiry she MUST discard them undecrypted */
	if (s->destroyed)
		return ESESS_ERR_SESSION_ENDED;
	if (now >= s->expires)
		return ESESS_ERR_EXPIRED;
	/* no key held and the caller does not take a first one (R21) */
	if (trusted == NULL && signer == NULL)
		return ESESS_ERR_KEY_UNKNOWN;
	if (c == NULL || !esess_xml_is(init, "init", ESESS_NS_INIT))
		return ESESS_ERR_FORM;
	xin = esess_neg_find_x(init);
	if (xin == NULL)
		return ESESS_ERR_FORM;
	r = esess_form_parse(xin, &f);
	if (r != ESESS_OK)
		goto out;
	r = esess_neg_check_ssn(f, ESESS_FORM_SUBMIT);
	if (r != ESESS_OK)
		goto out;
	/* the options we published, and nothing else: N_A of this set */
	r = esess_neg_get_b64(f, "nonce", ESESS_NEG_NONCE_MIN, ESESS_NEG_NONCE_MAX, &na, &na_len);
	if (r != ESESS_OK)
		goto out;
	if (na_len != sizeof s->n_a || !esess_ct_equal(na, s->n_a, na_len)) {
		r = ESESS_ERR_NONCE;
		goto out;
	}
	if (esess_form_get_single(f, "modp", &v) != ESESS_OK ||
	    esess_parse_uint(v, 1000, &group) != ESESS_OK) {
		r = ESESS_ERR_FORM;
		goto out;
	}
	x = esess_offline_secrets_key(s, (guint)group);
	if (x == NULL) {
		r = ESESS_ERR_NOT_OFFERED;
		goto out;
	}
	if (!is_one_of(f, "crypt_algs", acc_crypt) || !is_one_of(f, "hash_algs", acc_sha) ||
	    !is_one_of(f, "compress", acc_none) || !is_one_of(f, "stanzas", acc_msg) ||
	    !is_one_of(f, "ver", acc_ver)) {
		r = ESESS_ERR_NOT_OFFERED;
		goto out;
	}
	/* one-shot only: this is the session's single stanza */
	if (esess_form_get_bool(f, "terminate", &term) != ESESS_OK || !term) {
		r = ESESS_ERR_FORM;
		goto out;
	}
	r = esess_neg_get_b64(f, "my_nonce", ESESS_NEG_NONCE_MIN, ESESS_NEG_NONCE_MAX, &nb,
			      &nb_len);
	if (r != ESESS_OK)
		goto out;
	r = esess_neg_get_b64(f, "dhkeys", 1, ESESS_NEG_MAX_DH_BYTES, &d, &d_len);
	if (r != ESESS_OK)
		goto out;
	neg = esess_neg_alloc(&cfg, TRUE);
	r = esess_neg_get_b64_exact(f, "counter", neg->c_a, sizeof neg->c_a);
	if (r != ESESS_OK)
		goto out;
	r = esess_neg_get_identity(f, ESESS_NEG_PK_KEY, &idn, &field);
	if (r != ESESS_OK)
		goto out;
	/* XEP-0187 §Security, replay: every d and N_B seen since the
	 * options were published is refused the second time */
	kd = seen_key('d', d, d_len);
	kn = seen_key('n', nb, nb_len);
	if (g_hash_table_contains(s->seen, kd) || g_hash_table_contains(s->seen, kn)) {
		r = ESESS_ERR_REPLAY;
		goto out;
	}
	memcpy(neg->n_a, na, na_len);
	neg->n_a_len = na_len;
	memcpy(neg->n_b, nb, nb_len);
	neg->n_b_len = nb_len;
	/* our x for the chosen group; 1 < d < p-1, d != e, K, keys */
	r = key_copy(x, &neg->own);
	if (r != ESESS_OK)
		goto out;
	r = esess_neg_agree(neg, d, d_len);
	if (r != ESESS_OK)
		goto out;
	esess_counter_flip_top(neg->c_a, neg->c_b);
	/* M_B first, then ID_B: mac_B and Bob's signature of it (R6, R21) */
	mctx.d = d;
	mctx.d_len = d_len;
	r = esess_neg_open_identity(neg, ESESS_NEG_SIDE_B, ESESS_NEG_PK_KEY, &idn, xin, mac_b_for,
				    &mctx, c_b_after, &field);
	if (r != ESESS_OK)
		goto out;
	/* the key that signed must be the one the user holds for the
	 * contact (XEP-0187: verify Bob's identity); with none held, the
	 * key that proved itself is the first one seen, as in an online
	 * session (R21: kept, not verified, by the caller) */
	if (neg->peer_key == NULL ||
	    (trusted != NULL && !esess_pubkey_equal(neg->peer_key, trusted))) {
		r = ESESS_ERR_SIGNATURE;
		goto out;
	}
	/* authenticated: from now on these values are spent, whatever the
	 * content turns out to be */
	g_hash_table_add(s->seen, kd);
	g_hash_table_add(s->seen, kn);
	kd = kn = NULL;
	memset(&p, 0, sizeof p);
	p.own_cipher_key = neg->keys[ESESS_KEY_KC_A];
	p.own_mac_key = neg->keys[ESESS_KEY_KM_A];
	p.peer_cipher_key = neg->keys[ESESS_KEY_KC_B];
	p.peer_mac_key = neg->keys[ESESS_KEY_KM_B];
	memcpy(p.own_counter, neg->c_a, ESESS_COUNTER_LEN);
	memcpy(p.peer_counter, c_b_after, ESESS_COUNTER_LEN);
	p.group = (guint)group;
	r = esess_session_new(&p, &sess);
	if (r != ESESS_OK)
		goto out;
	r = esess_session_decrypt(sess, c, payload, NULL, NULL);
	if (r != ESESS_OK)
		goto out;
	*created = take_created(*payload);
	if (signer != NULL)
		*signer = esess_pubkey_copy(neg->peer_key);
out:
	esess_neg_identity_clear(&idn);
	g_free(d);
	g_free(na);
	g_free(nb);
	g_free(kd);
	g_free(kn);
	esess_session_free(sess);
	esess_form_free(f);
	esess_neg_free(neg);
	return r;
}

/* ---- the secrets at rest -------------------------------------------- */

EsessStatus
esess_offline_secrets_save(const EsessOfflineSecrets *s, const char *path)
{
	EsessSecret *xs = NULL;
	char *tmp = NULL, *line, *b64;
	int fd;
	gsize i;
	gboolean ok;
	EsessStatus r, er = ESESS_OK;

	g_return_val_if_fail(s != NULL && path != NULL, ESESS_ERR_INVALID_ARG);
	/* doc/wire-profile.md: 0600 from creation, renamed over path */
	fd = esess_private_file_begin(path, &tmp);
	if (fd < 0)
		return ESESS_ERR_STORE_IO;
	b64 = esess_base64_encode(s->n_a, sizeof s->n_a);
	line = g_strdup_printf(SECRETS_MAGIC "\n%" G_GINT64_FORMAT " %s\n", s->expires, b64);
	ok = esess_private_file_write(fd, line, strlen(line));
	esess_free_wiped(b64, strlen(b64));
	esess_free_wiped(line, strlen(line));
	for (i = 0; ok && i < s->n; i++) {
		er = esess_dh_key_export_private(s->keys[i], &xs);
		if (er != ESESS_OK) {
			ok = FALSE;
			break;
		}
		b64 = esess_base64_encode(xs->data, xs->len);
		esess_secret_free(xs);
		xs = NULL;
		line = g_strdup_printf("%u %s\n", s->groups[i], b64);
		ok = esess_private_file_write(fd, line, strlen(line));
		esess_free_wiped(b64, strlen(b64));
		esess_free_wiped(line, strlen(line));
	}
	r = esess_private_file_end(fd, &tmp, path, ok);
	/* a failed export reports its own status, not an I/O error */
	return er != ESESS_OK ? er : r;
}

EsessStatus
esess_offline_secrets_load(const char *path, EsessOfflineSecrets **out)
{
	EsessOfflineSecrets *s = NULL;
	char *buf = NULL, **lines = NULL, **tok = NULL;
	gsize len = 0, i, n;
	guint64 g;
	guint8 *xb = NULL;
	size_t xb_len = 0;
	gint64 exp;
	EsessStatus r = ESESS_ERR_STORE_FORMAT;

	g_return_val_if_fail(path != NULL && out != NULL, ESESS_ERR_INVALID_ARG);
	*out = NULL;
	if (!g_file_get_contents(path, &buf, &len, NULL))
		return ESESS_ERR_STORE_IO;
	lines = g_strsplit(buf, "\n", 0);
	n = g_strv_length(lines);
	/* magic, expiry and N_A, one line per group, the empty tail */
	if (n < 4 || strcmp(lines[0], SECRETS_MAGIC) != 0 || *lines[n - 1] != '\0')
		goto out;
	tok = g_strsplit(lines[1], " ", 0);
	if (g_strv_length(tok) != 2 || !g_ascii_string_to_signed(tok[0], 10, 1, G_MAXINT64, &exp,
								 NULL))
		goto out;
	s = g_new0(EsessOfflineSecrets, 1);
	s->seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	s->expires = exp;
	if (esess_base64_decode_exact(tok[1], strlen(tok[1]), s->n_a, sizeof s->n_a) != ESESS_OK)
		goto out;
	s->n = n - 3;
	s->groups = g_new0(guint, s->n);
	s->keys = g_new0(EsessDhKey *, s->n);
	for (i = 0; i < s->n; i++) {
		g_strfreev(tok);
		tok = g_strsplit(lines[2 + i], " ", 0);
		if (g_strv_length(tok) != 2 || esess_parse_uint(tok[0], 1000, &g) != ESESS_OK ||
		    esess_base64_decode(tok[1], strlen(tok[1]), ESESS_NEG_MAX_DH_BYTES, &xb,
					&xb_len) != ESESS_OK)
			goto out;
		s->groups[i] = (guint)g;
		r = esess_dh_key_from_private((guint)g, xb, xb_len, &s->keys[i]);
		esess_free_wiped(xb, xb_len);
		xb = NULL;
		if (r != ESESS_OK) {
			r = ESESS_ERR_STORE_FORMAT;
			goto out;
		}
		r = ESESS_ERR_STORE_FORMAT;
	}
	*out = s;
	s = NULL;
	r = ESESS_OK;
out:
	if (lines != NULL) {
		for (i = 0; lines[i] != NULL; i++)
			esess_wipe(lines[i], strlen(lines[i]));
	}
	g_strfreev(lines);
	g_strfreev(tok);
	esess_free_wiped(buf, len);
	esess_offline_secrets_free(s);
	return r;
}

EsessStatus
esess_offline_secrets_destroy_file(const char *path)
{
	int fd;
	struct stat st;
	guint8 zero[512];
	off_t left;

	g_return_val_if_fail(path != NULL, ESESS_ERR_INVALID_ARG);
	/* overwrite before unlinking: a best effort on journalled or
	 * copy-on-write file systems (XEP-0187: "really hard to securely
	 * erase"), which is why the expiry is short */
	fd = open(path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return errno == ENOENT ? ESESS_OK : ESESS_ERR_STORE_IO;
	memset(zero, 0, sizeof zero);
	if (fstat(fd, &st) == 0) {
		for (left = st.st_size; left > 0; left -= (off_t)sizeof zero)
			if (!esess_private_file_write(fd, (const char *)zero,
				       left < (off_t)sizeof zero ? (size_t)left : sizeof zero))
				break;
		(void)fsync(fd);
	}
	close(fd);
	return unlink(path) == 0 || errno == ENOENT ? ESESS_OK : ESESS_ERR_STORE_IO;
}

/* ---- the installed API: XML as text (esess-offline.h) --------------- */

EsessStatus
esess_offline_options_new_text(const EsessOfflineConfig *cfg, char **form_xml,
			       EsessOfflineSecrets **secrets)
{
	EsessXmlNode *x = NULL;
	EsessStatus r;

	g_return_val_if_fail(form_xml != NULL, ESESS_ERR_INVALID_ARG);
	*form_xml = NULL;
	r = esess_offline_options_new(cfg, &x, secrets);
	if (r == ESESS_OK)
		*form_xml = esess_xml_to_string(x);
	esess_xml_free(x);
	return r;
}

EsessStatus
esess_offline_options_check_text(const char *form_xml, size_t len, const EsessPubKey *trusted,
				 gint64 now, guint min_modp_bits, EsessLogPref logging,
				 EsessOfflineOffer *offer)
{
	EsessXmlNode *x = NULL;
	EsessStatus r;

	g_return_val_if_fail(form_xml != NULL && offer != NULL, ESESS_ERR_INVALID_ARG);
	memset(offer, 0, sizeof *offer);
	r = esess_xml_parse(form_xml, len, NULL, &x);
	if (r != ESESS_OK)
		return r;
	if (!esess_xml_is(x, "x", ESESS_NS_XDATA))
		r = ESESS_ERR_FORM;
	else
		r = esess_offline_options_check(x, trusted, now, min_modp_bits, logging, offer);
	esess_xml_free(x);
	return r;
}

EsessStatus
esess_offline_seal_text(const EsessOfflineOffer *offer, EsessIdKey *idkey, const char *payload,
			size_t len, gint64 created, char **children)
{
	EsessXmlNode *init = NULL;
	GString *out;
	EsessStatus r;

	g_return_val_if_fail(children != NULL, ESESS_ERR_INVALID_ARG);
	*children = NULL;
	out = g_string_new(NULL);
	{
		GString *c = g_string_new(NULL);

		r = esess_offline_seal(offer, idkey, payload, len, created, &init, c);
		if (r == ESESS_OK) {
			esess_xml_write(out, init, ESESS_NS_CLIENT);
			g_string_append_len(out, c->str, c->len);
		}
		g_string_free(c, TRUE);
	}
	esess_xml_free(init);
	if (r != ESESS_OK) {
		g_string_free(out, TRUE);
		return r;
	}
	*children = g_string_free(out, FALSE);
	return ESESS_OK;
}

/* The <init/> holding a submit form, and the <c/>, of a <message/>. */
static gboolean
offline_parts(const EsessXmlNode *msg, const EsessXmlNode **init, const EsessXmlNode **c)
{
	const EsessXmlNode *x;

	if (!esess_xml_is(msg, "message", NULL))
		return FALSE;
	*init = esess_xml_child(msg, "init", ESESS_NS_INIT);
	*c = esess_xml_child(msg, "c", ESESS_NS_C);
	if (*init == NULL || esess_xml_count(msg, "init", ESESS_NS_INIT) != 1)
		return FALSE;
	x = esess_xml_child(*init, "x", ESESS_NS_XDATA);
	return x != NULL && g_strcmp0(esess_xml_attr(x, "type"), "submit") == 0;
}

gboolean
esess_offline_is_offline_stanza(const char *msg_xml, size_t len)
{
	EsessXmlNode *msg = NULL;
	const EsessXmlNode *init, *c;
	gboolean yes;

	if (msg_xml == NULL || esess_xml_parse(msg_xml, len, NULL, &msg) != ESESS_OK)
		return FALSE;
	yes = offline_parts(msg, &init, &c);
	esess_xml_free(msg);
	return yes;
}

EsessStatus
esess_offline_open_text(EsessOfflineSecrets *s, const EsessPubKey *trusted, gint64 now,
			const char *msg_xml, size_t len, char **payload_xml, gint64 *created,
			EsessPubKey **signer)
{
	EsessXmlNode *msg = NULL, *payload = NULL, *ch;
	const EsessXmlNode *init, *c;
	GString *out;
	EsessStatus r;

	g_return_val_if_fail(msg_xml != NULL && payload_xml != NULL && created != NULL,
			     ESESS_ERR_INVALID_ARG);
	*payload_xml = NULL;
	*created = 0;
	if (signer != NULL)
		*signer = NULL;
	r = esess_xml_parse(msg_xml, len, NULL, &msg);
	if (r != ESESS_OK)
		return r;
	if (!offline_parts(msg, &init, &c) || c == NULL ||
	    esess_xml_count(msg, "c", ESESS_NS_C) != 1) {
		esess_xml_free(msg);
		return ESESS_ERR_FORM;
	}
	r = esess_offline_open(s, trusted, now, init, c, &payload, created, signer);
	esess_xml_free(msg);
	if (r != ESESS_OK)
		return r;
	out = g_string_new(NULL);
	for (ch = payload != NULL ? payload->first_child : NULL; ch != NULL; ch = ch->next)
		if (ch->kind == ESESS_XML_ELEMENT)
			esess_xml_write(out, ch, ESESS_NS_CLIENT);
	esess_xml_free(payload);
	*payload_xml = g_string_free(out, FALSE);
	return ESESS_OK;
}
