/*
 * test-gajim-kat: known answers from Gajim itself (issue 8 item 2).
 *
 * tests/vectors/gajim/ holds two complete negotiations and their XEP-0200
 * messages produced by Gajim's own ESession code (see the README there):
 * every stanza byte for byte and the values Gajim printed (DH secrets,
 * nonces, counters, keys, MACs, SAS, retained secrets).  Round 2 continues
 * the retained secret of round 1, verified by the users in between.
 *
 * What is replayed, and why not more:
 *  - Building blocks (both rounds): from the printed values and Gajim's
 *    stanzas as they arrived, the engine recomputes K, the six keys, mac_A,
 *    ID_A, M_A, the SAS, rshash, srshash, final K, mac_B, ID_B, M_B and the
 *    new retained secret, each compared byte for byte with Gajim's.  This
 *    pins our R7 canonical form of Gajim's four forms (attribute order,
 *    label="None", text-single everywhere, "<required />").
 *  - Our engine as Bob (both rounds, one store): with Bob's y, N_B and C_A
 *    fixed to Gajim's (EsessNegFixed), it answers Gajim's message 1 with
 *    Gajim's DH value, accepts Gajim's message 3 (so mac_A and M_A, which
 *    cover N_B, N_A, e, form_A and form_A2 but not our message 2, verify),
 *    derives the final keys (it decrypts Gajim's XEP-0200 message) and the
 *    same new retained secret, and in round 2 finds the round-1 secret and
 *    sends Gajim's srshash.  Our message 2 is ours, not Gajim's (field
 *    types, order): form_B differs, so the SAS shown and our message 4's
 *    MACs cannot equal Gajim's; the building blocks test those.
 *  - Our engine as Alice (both rounds, one store): with x and N_A fixed, it
 *    commits to Gajim's e (the dhhashes value equals Gajim's), accepts
 *    Gajim's message 2 and message 4 (mac_B and M_B cover form_B and form_B2
 *    as Gajim sent them, N_A, N_B and d: all Gajim's), decrypts Gajim's
 *    message, keeps the same retained secret and sends the plaintext
 *    terminate (R18, R20).  Our message 3 is ours (its rshashes fillers are
 *    random and form_A is our message 1), so M_A and hence the SAS differ
 *    from Gajim's; the building blocks test those.
 *  - Part 2 probes that apply: a counter with a 0x00 top byte (Gajim MACs the
 *    MPI form, R6) and the SAS without padding (R20).
 */
#include "config.h"

#include <string.h>

#include "esess-bytes.h"
#include "esess-chat.h"
#include "esess-crypto.h"
#include "esess-form.h"
#include "esess-negotiate.h"
#include "esess-neg-private.h"
#include "esess-sas.h"
#include "esess-session.h"
#include "esess-store-private.h"
#include "../protocol/neg-harness.h"

#define ALICE_BARE "alice@example.org"
#define ALICE_FULL "alice@example.org/pda"
#define BOB_BARE   "bob@example.com"
#define BOB_FULL   "bob@example.com/laptop"
#define GAJIM_NODE "http://gajim.org"

static const char *const no_identity[] = { "identity", "mac", NULL };

/* ---- reading the vectors ------------------------------------------------ */

typedef struct {
	char *values;       /* roundN-values.txt */
	char *m[5];         /* m[1]..m[4]: the negotiation messages */
	char *msg_alice;    /* Alice's XEP-0200 message */
	char *msg_bob;      /* Bob's */
	char *terminate;    /* Alice's plaintext terminate */
} Round;

static char *
stanza(int round, const char *name)
{
	char *file = g_strdup_printf("gajim/round%d-%s.xml", round, name);
	char *text = neg_vector(file);

	g_free(file);
	g_strchomp(text); /* the file ends with one newline; the stanza does not */
	return text;
}

static void
round_load(Round *r, int round)
{
	char *file = g_strdup_printf("gajim/round%d-values.txt", round);
	int i;

	r->values = neg_vector(file);
	g_free(file);
	for (i = 1; i <= 4; i++) {
		char *name = g_strdup_printf("m%d", i);

		r->m[i] = stanza(round, name);
		g_free(name);
	}
	r->m[0] = NULL;
	r->msg_alice = stanza(round, "msg-alice");
	r->msg_bob = stanza(round, "msg-bob");
	r->terminate = stanza(round, "terminate");
}

static void
round_clear(Round *r)
{
	int i;

	g_free(r->values);
	for (i = 0; i < 5; i++)
		g_free(r->m[i]);
	g_free(r->msg_alice);
	g_free(r->msg_bob);
	g_free(r->terminate);
}

static char *
val(const Round *r, const char *key)
{
	char *v = neg_vector_get(r->values, key);

	g_assert_nonnull(v);
	return v;
}

static guint8 *
hex(const Round *r, const char *key, size_t *len)
{
	char *v = val(r, key);
	guint8 *b = neg_unhex(v, len);

	g_free(v);
	return b;
}

static EsessSecret *
hex_secret(const Round *r, const char *key)
{
	size_t n;
	guint8 *b = hex(r, key, &n);
	EsessSecret *s = esess_secret_new(n);

	memcpy(s->data, b, n);
	g_free(b);
	return s;
}

static void
assert_hex(const Round *r, const char *key, const guint8 *got, size_t got_len)
{
	size_t n;
	guint8 *want = hex(r, key, &n);

	g_assert_cmpmem(got, got_len, want, n);
	g_free(want);
}

static void
assert_b64(const char *b64, const guint8 *want, size_t want_len)
{
	guint8 *b = NULL;
	size_t n = 0;

	g_assert_nonnull(b64);
	g_assert_cmpint(esess_base64_decode(b64, strlen(b64), 4096, &b, &n), ==, ESESS_OK);
	g_assert_cmpmem(b, n, want, want_len);
	g_free(b);
}

/* The <x/> of a stanza, R7 canonical (exclude may be NULL). */
static GString *
canon(const char *text, const char *const *exclude)
{
	EsessXmlNode *root = NULL;
	const EsessXmlNode *x;
	GString *out = g_string_new(NULL);

	g_assert_cmpint(esess_xml_parse(text, strlen(text), NULL, &root), ==, ESESS_OK);
	x = esess_neg_find_x(root);
	g_assert_nonnull(x);
	esess_form_canon(x, exclude, out);
	esess_xml_free(root);
	return out;
}

/* The values of field var of the stanza's form, in order. */
static GPtrArray *
field_values(const char *text, const char *var)
{
	EsessXmlNode *root = NULL;
	EsessForm *f = NULL;
	const EsessField *fld;
	GPtrArray *out = g_ptr_array_new_with_free_func(g_free);
	guint i;

	g_assert_cmpint(esess_xml_parse(text, strlen(text), NULL, &root), ==, ESESS_OK);
	g_assert_cmpint(esess_form_parse(esess_neg_find_x(root), &f), ==, ESESS_OK);
	fld = esess_form_get(f, var);
	g_assert_nonnull(fld);
	for (i = 0; i < fld->values->len; i++)
		g_ptr_array_add(out, g_strdup(g_ptr_array_index(fld->values, i)));
	esess_form_free(f);
	esess_xml_free(root);
	return out;
}

/* ---- the building blocks, from Gajim's values and stanzas ---------------- */

static void
check_blocks(int round)
{
	Round r;
	EsessDhKey *ka = NULL, *kb = NULL;
	EsessSecret *shared = NULL, *k, *keys[ESESS_KEY_COUNT_], *fk, *fkeys[ESESS_KEY_COUNT_];
	EsessSecret *srs = NULL, *new_rs = NULL;
	guint8 *x, *y, *na, *nb, *c_a, k_bytes[ESESS_SHA256_LEN];
	guint8 mac_a[32], id_a[32], m_a[32], mac_b[32], id_b[32], m_b[32], h[32];
	guint8 c_b[16], after[16];
	const guint8 *e, *d;
	size_t x_len, y_len, na_len, nb_len, c_len, e_len, d_len;
	GString *form_a, *form_a2, *form_b, *form_b2;
	GPtrArray *rsh;
	char sas[ESESS_SAS_LEN + 1], *want_sas, *v;
	gboolean found = FALSE;
	guint i;

	round_load(&r, round);
	/* R10, R3: e = g^x, d = g^y, K = SHA-256(MPI(g^xy)) from both sides */
	x = hex(&r, "alice_x", &x_len);
	y = hex(&r, "bob_y", &y_len);
	g_assert_cmpint(esess_dh_key_from_private(5, x, x_len, &ka), ==, ESESS_OK);
	g_assert_cmpint(esess_dh_key_from_private(5, y, y_len, &kb), ==, ESESS_OK);
	e = esess_dh_key_public(ka, &e_len);
	d = esess_dh_key_public(kb, &d_len);
	assert_hex(&r, "alice_e", e, e_len);
	assert_hex(&r, "bob_d", d, d_len);
	g_assert_cmpint(esess_dh_agree(ka, d, d_len, &shared), ==, ESESS_OK);
	esess_sha256(shared->data, shared->len, k_bytes);
	assert_hex(&r, "k", k_bytes, sizeof k_bytes);
	esess_secret_free(shared);
	shared = NULL;
	g_assert_cmpint(esess_dh_agree(kb, e, e_len, &shared), ==, ESESS_OK);
	esess_sha256(shared->data, shared->len, k_bytes);
	assert_hex(&r, "k", k_bytes, sizeof k_bytes);
	/* the stanzas carry the same values */
	v = neg_get_field(r.m[2], "dhkeys");
	assert_b64(v, d, d_len);
	g_free(v);
	v = neg_get_field(r.m[3], "dhkeys");
	assert_b64(v, e, e_len);
	g_free(v);
	esess_sha256(e, e_len, h);
	v = neg_get_field(r.m[1], "dhhashes"); /* group 5 is offered first */
	assert_b64(v, h, sizeof h);
	g_free(v);

	k = hex_secret(&r, "k");
	g_assert_cmpint(esess_neg_derive_keys(k, keys), ==, ESESS_OK);
	assert_hex(&r, "kc_a", keys[ESESS_KEY_KC_A]->data, 32);
	assert_hex(&r, "km_a", keys[ESESS_KEY_KM_A]->data, 32);
	assert_hex(&r, "ks_a", keys[ESESS_KEY_KS_A]->data, 32);

	/* message 3: mac_A over Gajim's form_A and form_A2 in our R7 form */
	na = hex(&r, "n_a", &na_len);
	nb = hex(&r, "n_b", &nb_len);
	g_assert_cmpuint(na_len, ==, 8); /* Gajim's nonces are 8 bytes */
	c_a = hex(&r, "c_a0", &c_len);
	g_assert_cmpuint(c_len, ==, 16);
	v = neg_get_field(r.m[2], "counter");
	assert_b64(v, c_a, c_len);
	g_free(v);
	form_a = canon(r.m[1], NULL);
	form_a2 = canon(r.m[3], no_identity);
	g_assert_nonnull(strstr(form_a->str, "<option label=\"None\"><value>5</value></option>"));
	g_assert_cmpint(esess_neg_sigma_mac(keys[ESESS_KEY_KS_A], nb, nb_len, na, na_len, e, e_len,
					    form_a, form_a2, mac_a), ==, ESESS_OK);
	assert_hex(&r, "mac_a", mac_a, sizeof mac_a);
	g_assert_cmpint(esess_neg_crypt_identity(keys[ESESS_KEY_KC_A], c_a, mac_a, id_a, sizeof id_a,
						 after), ==, ESESS_OK);
	v = neg_get_field(r.m[3], "identity");
	assert_b64(v, id_a, sizeof id_a);
	g_free(v);
	g_assert_cmpint(esess_neg_identity_mac(keys[ESESS_KEY_KM_A], c_a, id_a, sizeof id_a, m_a), ==,
			ESESS_OK);
	assert_hex(&r, "m_a", m_a, sizeof m_a);
	v = neg_get_field(r.m[3], "mac");
	assert_b64(v, m_a, sizeof m_a);
	g_free(v);

	/* R8: the SAS over M_A and Gajim's form_B as it arrived */
	form_b = canon(r.m[2], NULL);
	want_sas = val(&r, "sas");
	esess_sas_compute(m_a, sizeof m_a, form_b->str, form_b->len, FALSE, sas);
	g_assert_cmpstr(sas, ==, want_sas);

	/* R9: rshash / srshash (round 2: the secret of round 1) */
	if (round == 2) {
		srs = hex_secret(&r, "rs");
		g_assert_cmpint(esess_neg_rshash(na, na_len, srs, h), ==, ESESS_OK);
		assert_hex(&r, "rshash", h, sizeof h);
		rsh = field_values(r.m[3], "rshashes");
		for (i = 0; i < rsh->len; i++) {
			guint8 *b = NULL;
			size_t n = 0;
			const char *s = g_ptr_array_index(rsh, i);

			g_assert_cmpint(esess_base64_decode(s, strlen(s), 64, &b, &n), ==, ESESS_OK);
			if (n == sizeof h && memcmp(b, h, n) == 0)
				found = TRUE;
			g_free(b);
		}
		g_assert_true(found);
		g_ptr_array_unref(rsh);
		g_assert_cmpint(esess_neg_srshash(srs, h), ==, ESESS_OK);
		assert_hex(&r, "srshash", h, sizeof h);
		v = neg_get_field(r.m[4], "srshash");
		assert_b64(v, h, sizeof h);
		g_free(v);
	}

	/* final K = SHA-256(K || SRS), the final keys, the new retained secret */
	fk = esess_neg_final_k(k, srs);
	assert_hex(&r, "final_k", fk->data, fk->len);
	g_assert_cmpint(esess_neg_derive_keys(fk, fkeys), ==, ESESS_OK);
	assert_hex(&r, "final_kc_a", fkeys[ESESS_KEY_KC_A]->data, 32);
	assert_hex(&r, "final_km_a", fkeys[ESESS_KEY_KM_A]->data, 32);
	assert_hex(&r, "final_ks_a", fkeys[ESESS_KEY_KS_A]->data, 32);
	assert_hex(&r, "final_kc_b", fkeys[ESESS_KEY_KC_B]->data, 32);
	assert_hex(&r, "final_km_b", fkeys[ESESS_KEY_KM_B]->data, 32);
	assert_hex(&r, "final_ks_b", fkeys[ESESS_KEY_KS_B]->data, 32);
	g_assert_cmpint(esess_neg_new_rs(fk, &new_rs), ==, ESESS_OK);
	assert_hex(&r, "new_rs", new_rs->data, new_rs->len);

	/* message 4: mac_B over form_B and form_B2, ID_B at C_B (R5, R6) */
	form_b2 = canon(r.m[4], no_identity);
	g_assert_cmpint(esess_neg_sigma_mac(fkeys[ESESS_KEY_KS_B], na, na_len, nb, nb_len, d, d_len,
					    form_b, form_b2, mac_b), ==, ESESS_OK);
	assert_hex(&r, "mac_b", mac_b, sizeof mac_b);
	esess_counter_flip_top(c_a, c_b);
	g_assert_cmpint(esess_neg_crypt_identity(fkeys[ESESS_KEY_KC_B], c_b, mac_b, id_b, sizeof id_b,
						 after), ==, ESESS_OK);
	v = neg_get_field(r.m[4], "identity");
	assert_b64(v, id_b, sizeof id_b);
	g_free(v);
	g_assert_cmpint(esess_neg_identity_mac(fkeys[ESESS_KEY_KM_B], c_b, id_b, sizeof id_b, m_b), ==,
			ESESS_OK);
	assert_hex(&r, "m_b", m_b, sizeof m_b);
	v = neg_get_field(r.m[4], "mac");
	assert_b64(v, m_b, sizeof m_b);
	g_free(v);
	/* R5: the counters run on across the 2-block identity */
	assert_hex(&r, "c_b_now", after, sizeof after);

	for (i = 0; i < ESESS_KEY_COUNT_; i++) {
		esess_secret_free(keys[i]);
		esess_secret_free(fkeys[i]);
	}
	esess_secret_free(k);
	esess_secret_free(fk);
	esess_secret_free(srs);
	esess_secret_free(new_rs);
	esess_secret_free(shared);
	esess_dh_key_free(ka);
	esess_dh_key_free(kb);
	g_string_free(form_a, TRUE);
	g_string_free(form_a2, TRUE);
	g_string_free(form_b, TRUE);
	g_string_free(form_b2, TRUE);
	g_free(want_sas);
	g_free(x);
	g_free(y);
	g_free(na);
	g_free(nb);
	g_free(c_a);
	round_clear(&r);
}

static void
test_blocks_round1(void)
{
	check_blocks(1);
}

static void
test_blocks_round2(void)
{
	check_blocks(2);
}

/* ---- Gajim's stanzas as the inspector sees them ------------------------- */

static EsessMsgKind
kind_of(const char *text, const char *own)
{
	EsessMsgInfo info;
	EsessMsgKind k;

	memset(&info, 0, sizeof info);
	g_assert_cmpint(esess_msg_inspect(text, strlen(text), own, &info), ==, ESESS_OK);
	k = info.kind;
	esess_msg_info_clear(&info);
	return k;
}

static void
test_inspect(void)
{
	Round r;
	int round;

	for (round = 1; round <= 2; round++) {
		round_load(&r, round);
		g_assert_cmpint(kind_of(r.m[1], BOB_FULL), ==, ESESS_MSG_NEG_REQUEST);
		g_assert_cmpint(kind_of(r.m[2], ALICE_FULL), ==, ESESS_MSG_NEG);
		g_assert_cmpint(kind_of(r.m[3], BOB_FULL), ==, ESESS_MSG_NEG);
		g_assert_cmpint(kind_of(r.m[4], ALICE_FULL), ==, ESESS_MSG_NEG); /* <init/> */
		/* <c/> beside the doubled fallback <body> and the hints */
		g_assert_cmpint(kind_of(r.msg_alice, BOB_FULL), ==, ESESS_MSG_ENCRYPTED);
		g_assert_cmpint(kind_of(r.msg_bob, ALICE_FULL), ==, ESESS_MSG_ENCRYPTED);
		/* submit, every field text-single */
		g_assert_cmpint(kind_of(r.terminate, BOB_FULL), ==, ESESS_MSG_TERMINATE);
		round_clear(&r);
	}
}

/* ---- replays through the chat façade -------------------------------------- */

typedef struct {
	char *dir;
	EsessStore *store;
	EsessChat *chat;
	EsessStep step;
} Party;

static void
party_init(Party *p, const char *name)
{
	char *path;

	memset(p, 0, sizeof *p);
	p->dir = neg_tmpdir();
	path = g_strdup_printf("%s/%s.store", p->dir, name);
	g_assert_cmpint(esess_store_open(path, &p->store), ==, ESESS_OK);
	g_free(path);
	esess_step_init(&p->step);
}

static void
party_clear(Party *p)
{
	esess_step_clear(&p->step);
	esess_chat_free(p->chat);
	esess_store_free(p->store);
	neg_rmdir(p->dir);
	g_free(p->dir);
}

static void
config(EsessChatConfig *cfg, Party *p, gboolean alice, const EsessNegFixed *fixed)
{
	static const guint groups[] = { 5, 14 };

	memset(cfg, 0, sizeof *cfg);
	cfg->account = alice ? ALICE_BARE : BOB_BARE;
	cfg->own_jid = alice ? ALICE_FULL : BOB_FULL;
	cfg->peer_jid = alice ? BOB_FULL : ALICE_FULL;
	cfg->store = p->store;
	cfg->min_modp_bits = 1536; /* Gajim 0.12-0.15 default: groups 5, 14 (R11) */
	cfg->modp_offer = groups;
	cfg->n_modp_offer = G_N_ELEMENTS(groups);
	/* Gajim-Bob answered "may" to mustnot,may; our Bob picks may from
	 * Gajim-Alice's may,mustnot like Gajim did */
	cfg->logging = alice ? ESESS_LOGPREF_PREFER : ESESS_LOGPREF_CONCEDE;
	cfg->peer_caps_node = GAJIM_NODE;
	cfg->placeholder = "[This message is encrypted]";
	cfg->fixed_for_test = fixed;
}

/* Feeds one of Gajim's stanzas to the party's chat. */
static EsessStatus
feed(Party *p, const char *text, const char *own)
{
	EsessMsgInfo info;
	EsessStatus r;

	memset(&info, 0, sizeof info);
	g_assert_cmpint(esess_msg_inspect(text, strlen(text), own, &info), ==, ESESS_OK);
	esess_step_clear(&p->step);
	r = esess_chat_receive(p->chat, &info, &p->step);
	esess_msg_info_clear(&info);
	return r;
}

static const char *
sent(const Party *p, guint i)
{
	g_assert_cmpuint(esess_step_n_send(&p->step), >, i);
	return g_ptr_array_index(p->step.send, i);
}

static void
assert_field(const char *text, const char *var, const guint8 *want, size_t want_len)
{
	char *v = neg_get_field(text, var);

	assert_b64(v, want, want_len);
	g_free(v);
}

/* The body shown for a delivered stanza: the decrypted one only (R14: the
 * fallback bodies beside <c/> are gone). */
static void
assert_body(const char *deliver, const char *want)
{
	EsessXmlNode *root = NULL, *b;
	char *t;

	g_assert_nonnull(deliver);
	g_assert_cmpint(esess_xml_parse(deliver, strlen(deliver), NULL, &root), ==, ESESS_OK);
	g_assert_cmpuint(esess_xml_count(root, "body", NULL), ==, 1);
	b = esess_xml_child(root, "body", NULL);
	t = esess_xml_text(b);
	g_assert_cmpstr(t, ==, want);
	g_free(t);
	esess_xml_free(root);
	g_assert_null(strstr(deliver, "something went wrong"));
}

static void
assert_stored(EsessStore *st, const char *account, const char *peer, const Round *r,
	      gboolean verified)
{
	GPtrArray *held = esess_store_list(st, account, peer);
	size_t n;
	guint8 *want = hex(r, "new_rs", &n);
	gboolean found = FALSE;
	guint i;

	for (i = 0; i < held->len; i++) {
		const EsessRetained *ret = g_ptr_array_index(held, i);

		if (ret->secret->len == n && memcmp(ret->secret->data, want, n) == 0) {
			found = TRUE;
			g_assert_cmpint(ret->verified, ==, verified);
		}
	}
	g_assert_true(found);
	g_free(want);
	g_ptr_array_unref(held);
}

/* Our engine as Bob against Gajim-Alice's stanzas, round 1 then round 2. */
static void
test_responder(void)
{
	Party bob;
	Round r;
	EsessChatConfig cfg;
	EsessNegFixed fx;
	EsessMsgInfo info;
	guint8 *y, *nb, *na, *ca, *d, *srshash;
	size_t y_len, nb_len, na_len, ca_len, d_len, s_len;
	char *plain, *v;
	int round;

	party_init(&bob, "bob");
	for (round = 1; round <= 2; round++) {
		round_load(&r, round);
		y = hex(&r, "bob_y", &y_len);
		nb = hex(&r, "n_b", &nb_len);
		na = hex(&r, "n_a", &na_len);
		ca = hex(&r, "c_a0", &ca_len);
		d = hex(&r, "bob_d", &d_len);
		memset(&fx, 0, sizeof fx);
		fx.group = 5;
		fx.x = y;
		fx.x_len = y_len;
		fx.nonce = nb;
		fx.nonce_len = nb_len;
		fx.counter = ca;
		config(&cfg, &bob, FALSE, &fx);

		/* message 1 -> our message 2, with Gajim-Bob's d, N_B, C_A */
		memset(&info, 0, sizeof info);
		g_assert_cmpint(esess_msg_inspect(r.m[1], strlen(r.m[1]), BOB_FULL, &info), ==,
				ESESS_OK);
		esess_step_clear(&bob.step);
		g_assert_cmpint(esess_chat_accept(&cfg, &info, &bob.chat, &bob.step), ==, ESESS_OK);
		esess_msg_info_clear(&info);
		g_assert_cmpint(bob.step.event, ==, ESESS_EV_NEGOTIATING);
		assert_field(sent(&bob, 0), "dhkeys", d, d_len);
		assert_field(sent(&bob, 0), "my_nonce", nb, nb_len);
		assert_field(sent(&bob, 0), "nonce", na, na_len);
		assert_field(sent(&bob, 0), "counter", ca, ca_len);
		v = neg_get_field(sent(&bob, 0), "modp");
		g_assert_cmpstr(v, ==, "5");
		g_free(v);
		v = neg_get_field(sent(&bob, 0), "logging");
		g_assert_cmpstr(v, ==, "may");
		g_free(v);

		/* message 3: Gajim's mac_A and M_A verify; message 4 in <init/> */
		g_assert_cmpint(feed(&bob, r.m[3], BOB_FULL), ==, ESESS_OK);
		g_assert_cmpint(bob.step.event, ==, ESESS_EV_ESTABLISHED);
		g_assert_cmpint(esess_chat_state(bob.chat), ==, ESESS_CHAT_ESTABLISHED);
		g_assert_nonnull(strstr(sent(&bob, 0), "<init xmlns='" ESESS_NS_INIT "'"));
		if (round == 1) {
			g_assert_cmpint(esess_chat_continuity(bob.chat), ==, ESESS_CONT_NEW);
		} else {
			/* round 2 continues round 1's verified secret, and our
			 * srshash is the one Gajim-Bob sent */
			g_assert_cmpint(esess_chat_continuity(bob.chat), ==, ESESS_CONT_VERIFIED);
			g_assert_true(esess_chat_verified(bob.chat));
			srshash = hex(&r, "srshash", &s_len);
			assert_field(sent(&bob, 0), "srshash", srshash, s_len);
			g_free(srshash);
		}
		g_assert_cmpuint(esess_chat_group(bob.chat), ==, 5);
		g_assert_cmpint(esess_chat_logging(bob.chat), ==, ESESS_LOGGING_MAY);
		/* the same new retained secret as Gajim (R9); in round 2 it
		 * inherits the verified flag of the secret it replaces */
		assert_stored(bob.store, BOB_BARE, ALICE_BARE, &r, round == 2);

		/* Alice's XEP-0200 message: the final keys and counters agree */
		g_assert_cmpint(feed(&bob, r.msg_alice, BOB_FULL), ==, ESESS_OK);
		g_assert_cmpint(bob.step.event, ==, ESESS_EV_MESSAGE);
		plain = val(&r, "plain_alice");
		assert_body(bob.step.deliver, plain);
		g_free(plain);

		/* the users compare the SAS (as in the transcript) */
		esess_step_clear(&bob.step);
		g_assert_cmpint(esess_chat_sas_result(bob.chat, TRUE, &bob.step), ==, ESESS_OK);
		assert_stored(bob.store, BOB_BARE, ALICE_BARE, &r, TRUE);

		/* Gajim's plaintext terminate (submit, text-single) ends it */
		g_assert_cmpint(feed(&bob, r.terminate, BOB_FULL), ==, ESESS_OK);
		g_assert_cmpint(bob.step.event, ==, ESESS_EV_ENDED);
		g_assert_true(bob.step.by_peer);
		g_assert_cmpuint(esess_step_n_send(&bob.step), ==, 0); /* R18: no ack */
		esess_chat_free(bob.chat);
		bob.chat = NULL;
		g_free(y);
		g_free(nb);
		g_free(na);
		g_free(ca);
		g_free(d);
		round_clear(&r);
	}
	party_clear(&bob);
}

/* Our engine as Alice against Gajim-Bob's stanzas, round 1 then round 2. */
static void
test_initiator(void)
{
	Party alice;
	Round r;
	EsessChatConfig cfg;
	EsessNegFixed fx;
	GPtrArray *hashes;
	guint8 *x, *na, *nb, *e, he[ESESS_SHA256_LEN];
	size_t x_len, na_len, nb_len, e_len;
	char *plain, *thread, *he_b64;
	int round;

	party_init(&alice, "alice");
	for (round = 1; round <= 2; round++) {
		round_load(&r, round);
		x = hex(&r, "alice_x", &x_len);
		na = hex(&r, "n_a", &na_len);
		nb = hex(&r, "n_b", &nb_len);
		e = hex(&r, "alice_e", &e_len);
		thread = val(&r, "thread");
		memset(&fx, 0, sizeof fx);
		fx.group = 5;
		fx.x = x;
		fx.x_len = x_len;
		fx.nonce = na;
		fx.nonce_len = na_len;
		fx.thread = thread;
		config(&cfg, &alice, TRUE, &fx);

		/* our message 1 commits to Gajim-Alice's e for group 5 */
		esess_step_clear(&alice.step);
		g_assert_cmpint(esess_chat_start(&cfg, &alice.chat, &alice.step), ==, ESESS_OK);
		assert_field(sent(&alice, 0), "my_nonce", na, na_len);
		hashes = field_values(sent(&alice, 0), "dhhashes");
		g_assert_cmpuint(hashes->len, ==, 2);
		esess_sha256(e, e_len, he);
		he_b64 = esess_base64_encode(he, sizeof he);
		g_assert_cmpstr(g_ptr_array_index(hashes, 0), ==, he_b64);
		g_ptr_array_unref(hashes);
		hashes = field_values(r.m[1], "dhhashes"); /* Gajim-Alice's commitment */
		g_assert_cmpstr(g_ptr_array_index(hashes, 0), ==, he_b64);
		g_ptr_array_unref(hashes);
		g_free(he_b64);

		/* Gajim-Bob's message 2 -> our message 3 with e and N_B */
		g_assert_cmpint(feed(&alice, r.m[2], ALICE_FULL), ==, ESESS_OK);
		assert_field(sent(&alice, 0), "dhkeys", e, e_len);
		assert_field(sent(&alice, 0), "nonce", nb, nb_len);
		g_assert_nonnull(strstr(sent(&alice, 0), "<feature xmlns='" ESESS_NS_FEATURENEG "'"));

		/* Gajim-Bob's message 4: M_B and mac_B verify */
		g_assert_cmpint(feed(&alice, r.m[4], ALICE_FULL), ==, ESESS_OK);
		g_assert_cmpint(alice.step.event, ==, ESESS_EV_ESTABLISHED);
		g_assert_cmpint(esess_chat_continuity(alice.chat), ==,
				round == 1 ? ESESS_CONT_NEW : ESESS_CONT_VERIFIED);
		g_assert_cmpuint(esess_chat_group(alice.chat), ==, 5);
		g_assert_cmpint(esess_chat_logging(alice.chat), ==, ESESS_LOGGING_MAY);
		assert_stored(alice.store, ALICE_BARE, BOB_BARE, &r, round == 2); /* R9 */

		/* Bob's XEP-0200 message decrypts (its fallback bodies dropped) */
		g_assert_cmpint(feed(&alice, r.msg_bob, ALICE_FULL), ==, ESESS_OK);
		g_assert_cmpint(alice.step.event, ==, ESESS_EV_MESSAGE);
		plain = val(&r, "plain_bob");
		assert_body(alice.step.deliver, plain);
		g_free(plain);

		esess_step_clear(&alice.step);
		g_assert_cmpint(esess_chat_sas_result(alice.chat, TRUE, &alice.step), ==, ESESS_OK);
		assert_stored(alice.store, ALICE_BARE, BOB_BARE, &r, TRUE);

		/* R18, R20: to Gajim the terminate goes in plaintext */
		esess_step_clear(&alice.step);
		g_assert_cmpint(esess_chat_terminate(alice.chat, &alice.step), ==, ESESS_OK);
		g_assert_cmpuint(esess_step_n_send(&alice.step), ==, 1);
		g_assert_nonnull(strstr(sent(&alice, 0), "terminate"));
		g_assert_null(strstr(sent(&alice, 0), "<c xmlns="));
		esess_chat_free(alice.chat);
		alice.chat = NULL;
		g_free(x);
		g_free(na);
		g_free(nb);
		g_free(e);
		g_free(thread);
		round_clear(&r);
	}
	party_clear(&alice);
}

/* ---- Part 2 probes ----------------------------------------------------- */

/* Probe 3: a counter whose top byte is 0 (one session in 128 for one side).
 * Gajim MACs MPI(C), 15 bytes here; we accept it (R6) and the 16-byte form.
 * The counter is Gajim's from the probe, the keys round 1's final ones. */
static void
test_zero_top_byte_counter(void)
{
	static const char payload[] = "<body>xxxxx</body>              "; /* 32 bytes */
	Round r;
	guint8 *c, *kc, *km, *kcb, *kmb, buf[sizeof payload - 1], mac[32];
	size_t c_len, kc_len, km_len, kcb_len, kmb_len;
	int form;

	round_load(&r, 1);
	c = neg_unhex("00019dd571c8aa77693e1b54e1382e97", &c_len);
	kc = hex(&r, "final_kc_a", &kc_len);
	km = hex(&r, "final_km_a", &km_len);
	kcb = hex(&r, "final_kc_b", &kcb_len);
	kmb = hex(&r, "final_km_b", &kmb_len);
	for (form = 0; form < 2; form++) {
		EsessSessionParams p;
		EsessSession *bob = NULL;
		EsessSecret *s_kc = esess_secret_new(32), *s_km = esess_secret_new(32);
		EsessSecret *s_kcb = esess_secret_new(32), *s_kmb = esess_secret_new(32);
		EsessCtr *ctr = NULL;
		EsessXmlNode *pl = NULL;
		GString *content = g_string_new("<data>"), *c_xml;
		size_t skip = form == 0 ? 1 : 0; /* 0: Gajim's MPI form; 1: 16 bytes */
		EsessHmac *h = NULL;

		memcpy(s_kc->data, kc, 32);
		memcpy(s_km->data, km, 32);
		memcpy(s_kcb->data, kcb, 32);
		memcpy(s_kmb->data, kmb, 32);
		memset(&p, 0, sizeof p);
		p.own_cipher_key = s_kcb;
		p.own_mac_key = s_kmb;
		p.peer_cipher_key = s_kc;
		p.peer_mac_key = s_km;
		esess_counter_flip_top(c, p.own_counter);
		memcpy(p.peer_counter, c, 16);
		p.group = 5;
		g_assert_cmpint(esess_session_new(&p, &bob), ==, ESESS_OK);
		/* Alice's side by hand: CTR from C + 1, MAC over content || C */
		g_assert_cmpint(esess_ctr_new(kc, 32, c, &ctr), ==, ESESS_OK);
		memcpy(buf, payload, sizeof buf);
		g_assert_cmpint(esess_ctr_crypt(ctr, buf, buf, sizeof buf), ==, ESESS_OK);
		esess_ctr_free(ctr);
		esess_base64_append(content, buf, sizeof buf);
		g_string_append(content, "</data>");
		g_assert_cmpint(esess_hmac_new(km, 32, &h), ==, ESESS_OK);
		esess_hmac_update(h, content->str, content->len);
		esess_hmac_update(h, c + skip, 16 - skip);
		g_assert_cmpint(esess_hmac_final(h, mac), ==, ESESS_OK);
		esess_hmac_free(h);
		c_xml = g_string_new("<c xmlns='" ESESS_NS_C "'>");
		g_string_append(c_xml, content->str);
		g_string_append(c_xml, "<mac>");
		esess_base64_append(c_xml, mac, sizeof mac);
		g_string_append(c_xml, "</mac></c>");
		g_assert_cmpint(esess_session_decrypt_text(bob, c_xml->str, c_xml->len, &pl, NULL, NULL),
				==, ESESS_OK);
		g_assert_nonnull(esess_xml_child(pl, "body", NULL));
		esess_xml_free(pl);
		esess_session_free(bob);
		esess_secret_free(s_kc);
		esess_secret_free(s_km);
		esess_secret_free(s_kcb);
		esess_secret_free(s_kmb);
		g_string_free(content, TRUE);
		g_string_free(c_xml, TRUE);
	}
	g_free(c);
	g_free(kc);
	g_free(km);
	g_free(kcb);
	g_free(kmb);
	round_clear(&r);
}

/* Probe 4: Gajim shows the SAS in base 28 without padding (R20). */
static void
test_sas_unpadded(void)
{
	static const struct {
		guint32 v;
		const char *sas;
	} probes[] = {
		{ 0, "a" }, { 27, "9" }, { 28, "ca" }, { 614655, "9999" },
		{ 614656, "caaaa" }, { 16777215, "9kiui" },
	};
	char out[ESESS_SAS_LEN + 1];
	gsize i;

	for (i = 0; i < G_N_ELEMENTS(probes); i++) {
		esess_sas_format(probes[i].v, FALSE, out);
		g_assert_cmpstr(out, ==, probes[i].sas);
	}
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_assert_cmpint(esess_crypto_init(), ==, ESESS_OK);
	g_test_add_func("/gajim-kat/round1/building-blocks", test_blocks_round1);
	g_test_add_func("/gajim-kat/round2/building-blocks", test_blocks_round2);
	g_test_add_func("/gajim-kat/inspect", test_inspect);
	g_test_add_func("/gajim-kat/replay/responder", test_responder);
	g_test_add_func("/gajim-kat/replay/initiator", test_initiator);
	g_test_add_func("/gajim-kat/probe/zero-top-byte-counter", test_zero_top_byte_counter);
	g_test_add_func("/gajim-kat/probe/sas-unpadded", test_sas_unpadded);
	return g_test_run();
}
