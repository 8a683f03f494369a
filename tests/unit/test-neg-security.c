/*
 * test-neg-security: one test per applicable SECURITY item of A (1-8, 10,
 * 11), B (13-16), C (17-24), D (25, 30), through the negotiation engine,
 * named "/neg/security/NN-name".  E, G, H: test-neg-state.c.
 */
#include "config.h"

#include <string.h>

#include "esess-bytes.h"
#include "esess-featneg.h"
#include "esess-form.h"
#include "esess-modp.h"
#include "esess-negotiate.h"
#include "esess-neg-private.h"
#include "esess-sas.h"
#include "neg-pair.h"

static void
sec_dh_value(const guint8 *v, size_t n, EsessStatus want)
{
	P p;

	p_init(&p);
	g_assert_cmpint(bad_d(v, n, &p), ==, want);
	assert_failed_wiped(p.a);
	/* DIGEST §12: Alice answers not-acceptable */
	g_assert_nonnull(p.err);
	g_assert_nonnull(strstr(p.err, "<not-acceptable"));
	p_clear(&p);
}

static void
sec_01_y_zero(void)
{
	sec_dh_value((const guint8 *)"", 0, ESESS_ERR_DH_RANGE);
}

static void
sec_02_y_one(void)
{
	sec_dh_value((const guint8 *)"\x01", 1, ESESS_ERR_DH_RANGE);
}

static void
sec_03_y_p_minus_1(void)
{
	guint8 *v;
	size_t n;

	v = prime_plus(-1, &n);
	sec_dh_value(v, n, ESESS_ERR_DH_RANGE);
	g_free(v);
}

static void
sec_04_y_p_and_beyond(void)
{
	guint8 *v, big[257];
	size_t n;

	v = prime_plus(0, &n);
	sec_dh_value(v, n, ESESS_ERR_DH_RANGE);
	g_free(v);
	v = prime_plus(1, &n);
	sec_dh_value(v, n, ESESS_ERR_DH_RANGE);
	g_free(v);
	memset(big, 0xff, sizeof big);
	sec_dh_value(big, 256, ESESS_ERR_DH_RANGE); /* 2^|p| - 1 */
	big[0] = 0x01;
	sec_dh_value(big, 257, ESESS_ERR_DH_RANGE); /* longer than p */
}

static void
sec_05_y_two_and_p_minus_2(void)
{
	P p;
	guint8 *v;
	size_t n;

	/* legal in range: the negotiation goes on (message 3 is produced) */
	p_init(&p);
	g_assert_cmpint(bad_d((const guint8 *)"\x02", 1, &p), ==, ESESS_OK);
	g_assert_cmpint(esess_neg_state(p.a), ==, ESESS_NEG_INIT_EXPECT_INIT);
	p_clear(&p);
	p_init(&p);
	v = prime_plus(-2, &n);
	g_assert_cmpint(bad_d(v, n, &p), ==, ESESS_OK);
	g_free(v);
	p_clear(&p);
}

static void
sec_06_order_2q(void)
{
	P p;
	guint8 *v;
	size_t n;

	/* range-only policy (the engine's): accepted; full validation rejects */
	v = prime_plus(-2, &n);
	p_init(&p);
	g_assert_cmpint(bad_d(v, n, &p), ==, ESESS_OK);
	p_clear(&p);
	g_assert_cmpint(esess_dh_check_public(14, v, n), ==, ESESS_OK);
	g_assert_cmpint(esess_dh_check_public_full(14, v, n), ==, ESESS_ERR_DH_RANGE);
	g_free(v);
}

static void
sec_07_non_minimal(void)
{
	P p;
	char *d64, *t;
	guint8 *d, *d0;
	size_t n;
	const char *vals[1];

	p_init(&p);
	p_m1(&p);
	g_assert_cmpint(p_respond(&p, p.m[1]), ==, ESESS_OK);
	d64 = neg_get_field(p.m[2], "dhkeys");
	g_assert_cmpint(esess_base64_decode(d64, strlen(d64), 2048, &d, &n), ==, ESESS_OK);
	d0 = g_malloc0(n + 1);
	memcpy(d0 + 1, d, n);
	g_free(d64);
	d64 = esess_base64_encode(d0, n + 1);
	vals[0] = d64;
	t = neg_set_field(p.m[2], "dhkeys", vals, 1);
	g_assert_cmpint(p_recv(&p, p.a, t, 3), ==, ESESS_ERR_MPI);
	assert_failed_wiped(p.a);
	g_free(t);
	g_free(d64);
	g_free(d);
	g_free(d0);
	p_clear(&p);
}

static void
sec_08_dhhashes_count(void)
{
	P p;
	char *t;
	const char *two[2] = { "iUplR34zanT4PVdqOtNqR5Xl8h7C8KcQssLC28VkCsw=",
			       "iUplR34zanT4PVdqOtNqR5Xl8h7C8KcQssLC28VkCsw=" };

	p_init(&p);
	p_m1(&p);
	t = neg_set_field(p.m[1], "dhhashes", NULL, 0); /* missing: featneg refuses */
	g_assert_cmpint(p_respond(&p, t), ==, ESESS_ERR_NOT_ACCEPTABLE);
	g_assert_null(p.b);
	g_assert_nonnull(strstr(p.err, "<not-acceptable"));
	g_free(t);
	t = neg_set_field(p.m[1], "dhhashes", two, 2); /* more than groups */
	g_assert_cmpint(p_respond(&p, t), ==, ESESS_ERR_FORM);
	g_free(t);
	t = neg_set_field(p.m[1], "dhhashes", two, 0); /* none */
	g_assert_cmpint(p_respond(&p, t), ==, ESESS_ERR_FORM);
	g_free(t);
	p_clear(&p);
	/* empty dhkeys in message 2 */
	sec_dh_value((const guint8 *)"", 0, ESESS_ERR_DH_RANGE);
}

static void
sec_10_reflection(void)
{
	P p;
	const guint8 *e;
	guint8 *copy;
	size_t n;

	p_init(&p);
	p_m1(&p);
	e = esess_neg_own_public(p.a, 14, &n);
	g_assert_nonnull(e);
	copy = g_memdup2(e, n);
	esess_neg_free(p.a);
	p.a = NULL;
	/* Bob "answers" with Alice's own e as d */
	p_clear(&p);
	p_init(&p);
	{
		/* rerun, and reflect this run's e */
		char *b64, *t;
		const char *vals[1];

		p_m1(&p);
		e = esess_neg_own_public(p.a, 14, &n);
		g_free(copy);
		copy = g_memdup2(e, n);
		g_assert_cmpint(p_respond(&p, p.m[1]), ==, ESESS_OK);
		b64 = esess_base64_encode(copy, n);
		vals[0] = b64;
		t = neg_set_field(p.m[2], "dhkeys", vals, 1);
		g_assert_cmpint(p_recv(&p, p.a, t, 3), ==, ESESS_ERR_DH_REFLECTED);
		assert_failed_wiped(p.a);
		g_free(t);
		g_free(b64);
	}
	g_free(copy);
	p_clear(&p);
}

static void
sec_11_degenerate_shared(void)
{
	guint8 *v;
	size_t n;

	/* Z in {1, p-1} needs d in {1, p-1} for a safe prime: refused before
	 * any exponentiation */
	v = prime_plus(-1, &n);
	sec_dh_value(v, n, ESESS_ERR_DH_RANGE);
	g_free(v);
	sec_dh_value((const guint8 *)"\x01", 1, ESESS_ERR_DH_RANGE);
}

/* message 3 with e swapped for another valid value (a MitM) */
static void
sec_13_commitment(void)
{
	P p;
	EsessDhKey *k = NULL;
	const guint8 *e;
	size_t n;
	char *b64, *t;
	const char *vals[1];

	p_init(&p);
	p_m1(&p);
	g_assert_cmpint(p_respond(&p, p.m[1]), ==, ESESS_OK);
	g_assert_cmpint(p_recv(&p, p.a, p.m[2], 3), ==, ESESS_OK);
	g_assert_cmpint(esess_dh_keygen(14, &k), ==, ESESS_OK);
	e = esess_dh_key_public(k, &n);
	b64 = esess_base64_encode(e, n);
	vals[0] = b64;
	t = neg_set_field(p.m[3], "dhkeys", vals, 1);
	g_assert_cmpint(p_recv(&p, p.b, t, 4), ==, ESESS_ERR_COMMITMENT);
	g_assert_nonnull(strstr(p.err, "<feature-not-implemented"));
	g_assert_nonnull(strstr(p.err, "<field var='dhkeys'"));
	g_assert_cmpint(esess_neg_state(p.b), ==, ESESS_NEG_FAILED);
	g_free(t);
	g_free(b64);
	esess_dh_key_free(k);
	p_clear(&p);
}

static void
sec_14_commitment_length(void)
{
	P p;
	char *t;
	const char *short_he[1] = { "iUplR34zanT4PVdqOtNqR5Xl8h7C8KcQssLC28VkCg==" }; /* 31 bytes */
	const char *bad_he[1] = { "iUplR34zanT4PVdqOtNqR5Xl8h7C8KcQssLC28VkCs$=" };

	p_init(&p);
	p_m1(&p);
	t = neg_set_field(p.m[1], "dhhashes", short_he, 1);
	g_assert_cmpint(p_respond(&p, t), ==, ESESS_ERR_LENGTH);
	g_assert_null(p.b);
	g_free(t);
	t = neg_set_field(p.m[1], "dhhashes", bad_he, 1);
	g_assert_cmpint(p_respond(&p, t), ==, ESESS_ERR_BASE64);
	g_free(t);
	p_clear(&p);
}

static void
sec_15_commitment_other_group(void)
{
	P p;
	const guint8 *e;
	size_t n;
	char *b64, *t;
	const char *vals[1];

	p_init(&p);
	p.groups[0] = 14;
	p.groups[1] = 15;
	p.ca.n_groups = 2;
	p_m1(&p);
	/* e of group 15 (index 1) while Bob selects 14 (index 0) */
	e = esess_neg_own_public(p.a, 15, &n);
	g_assert_nonnull(e);
	b64 = esess_base64_encode(e, n);
	g_assert_cmpint(p_respond(&p, p.m[1]), ==, ESESS_OK);
	g_assert_cmpint(p_recv(&p, p.a, p.m[2], 3), ==, ESESS_OK);
	vals[0] = b64;
	t = neg_set_field(p.m[3], "dhkeys", vals, 1);
	g_assert_cmpint(p_recv(&p, p.b, t, 4), ==, ESESS_ERR_COMMITMENT);
	g_free(t);
	g_free(b64);
	p_clear(&p);
}

static void
sec_16_mixed_mode(void)
{
	P p;
	char *t;
	const char *vals[1] = { "Ag==" };

	p_init(&p);
	p_m1(&p);
	t = neg_set_field(p.m[1], "dhkeys", vals, 1);
	g_assert_cmpint(p_respond(&p, t), ==, ESESS_ERR_FORM);
	g_assert_nonnull(strstr(p.err, "<feature-not-implemented"));
	g_assert_nonnull(strstr(p.err, "<field var='dhkeys'"));
	g_free(t);
	p_clear(&p);
}

static void
sec_17_weak_group(void)
{
	P p;
	char *t;
	const char *vals[1] = { "2" };

	p_init(&p);
	p.groups[0] = 2;
	p.ca.policy.min_modp_bits = 768;
	p_m1(&p);
	g_assert_cmpint(p_respond(&p, p.m[1]), ==, ESESS_ERR_POLICY);
	g_assert_null(p.b);
	g_assert_nonnull(strstr(p.err, "<not-acceptable"));
	p_clear(&p);
	/* Bob picks group 2 though Alice offered 14 only */
	p_init(&p);
	p_m1(&p);
	g_assert_cmpint(p_respond(&p, p.m[1]), ==, ESESS_OK);
	t = neg_set_field(p.m[2], "modp", vals, 1);
	g_assert_cmpint(p_recv(&p, p.a, t, 3), ==, ESESS_ERR_NOT_OFFERED);
	assert_failed_wiped(p.a);
	g_free(t);
	p_clear(&p);
}

static void
sec_18_not_offered(void)
{
	m2_field("crypt_algs", "aes256-ctr", ESESS_ERR_NOT_OFFERED);
	m2_field("modp", "16", ESESS_ERR_NOT_OFFERED);
	m2_field("hash_algs", "sha1", ESESS_ERR_NOT_OFFERED);
	m2_field("sas_algs", "sas99x9", ESESS_ERR_NOT_OFFERED);
	m2_field("ver", "1.3", ESESS_ERR_NOT_OFFERED);
}

static void
sec_19_weak_cipher(void)
{
	m2_field("crypt_algs", "none", ESESS_ERR_NOT_OFFERED);
	m2_field("compress", "zlib", ESESS_ERR_NOT_OFFERED);
}

static void
m1_field(const char *var, const char *const *opts, gsize n, EsessStatus want)
{
	P p;
	EsessXmlNode *root = NULL, *x, *f, *ch, *next;
	char *t;
	gsize i;

	p_init(&p);
	p_m1(&p);
	/* replace the options of var */
	g_assert_cmpint(esess_xml_parse(p.m[1], strlen(p.m[1]), NULL, &root), ==, ESESS_OK);
	x = esess_xml_child(esess_xml_child(root, "feature", NULL), "x", NULL);
	for (f = esess_xml_child(x, "field", NULL); f != NULL; f = esess_xml_next(f, "field", NULL)) {
		if (g_strcmp0(esess_xml_attr(f, "var"), var) != 0)
			continue;
		for (ch = f->first_child; ch != NULL; ch = next) {
			next = ch->next;
			esess_xml_unlink(ch);
			esess_xml_free(ch);
		}
		(void)esess_xml_add_text_child(f, "value", opts[0]);
		for (i = 0; i < n; i++)
			(void)esess_xml_add_text_child(esess_xml_add(f, "option", NULL), "value", opts[i]);
	}
	t = esess_xml_to_string(root);
	esess_xml_free(root);
	g_assert_cmpint(p_respond(&p, t), ==, want);
	g_assert_null(p.b);
	g_assert_nonnull(p.err);
	g_free(t);
	p_clear(&p);
}

static void
sec_20_disclosure(void)
{
	const char *enabled[1] = { "enabled" };

	m1_field("disclosure", enabled, 1, ESESS_ERR_POLICY);
}

static void
sec_21_three_message(void)
{
	P p;
	char *t, *t2;
	const char *vals[1] = { "Ag==" };

	/* dhkeys instead of dhhashes (3-message request) */
	p_init(&p);
	p_m1(&p);
	t = neg_set_field(p.m[1], "dhhashes", NULL, 0);
	t2 = neg_set_field(t, "dhkeys", vals, 1);
	g_assert_cmpint(p_respond(&p, t2), ==, ESESS_ERR_FORM);
	g_assert_nonnull(strstr(p.err, "<feature-not-implemented"));
	g_free(t);
	g_free(t2);
	p_clear(&p);
}

static void
sec_22_rekey_freq(void)
{
	m2_field("rekey_freq", "4294967296", ESESS_ERR_POLICY);
	m2_field("rekey_freq", "0", ESESS_ERR_FORM); /* featneg: not positive */
}

static void
sec_23_form_shape(void)
{
	m2_field("FORM_TYPE", NULL, ESESS_ERR_FORM);
	m2_field("FORM_TYPE", "urn:xmpp:other", ESESS_ERR_FORM);
}

static void
sec_24_strip_groups(void)
{
	P p;
	EsessXmlNode *root = NULL, *x, *f, *ch, *next;
	char *t, *he;
	const char *vals[1];
	int i;

	/* a relay strips group 14 (and its commitment) from message 1 */
	p_init(&p);
	p.groups[0] = 14;
	p.groups[1] = 15;
	p.ca.n_groups = 2;
	p_m1(&p);
	g_assert_cmpint(esess_xml_parse(p.m[1], strlen(p.m[1]), NULL, &root), ==, ESESS_OK);
	x = esess_xml_child(esess_xml_child(root, "feature", NULL), "x", NULL);
	for (f = esess_xml_child(x, "field", NULL); f != NULL; f = esess_xml_next(f, "field", NULL)) {
		if (g_strcmp0(esess_xml_attr(f, "var"), "modp") == 0) {
			for (ch = f->first_child, i = 0; ch != NULL; ch = next) {
				next = ch->next;
				if (esess_xml_is(ch, "option", NULL) && i++ == 0) {
					esess_xml_unlink(ch);
					esess_xml_free(ch);
				} else if (esess_xml_is(ch, "value", NULL)) {
					esess_xml_unlink(ch);
					esess_xml_free(ch);
				}
			}
			(void)esess_xml_add_text_child(f, "value", "15");
		}
	}
	t = esess_xml_to_string(root);
	esess_xml_free(root);
	root = NULL;
	he = NULL;
	{
		EsessXmlNode *r2 = NULL, *x2, *f2, *v;

		g_assert_cmpint(esess_xml_parse(p.m[1], strlen(p.m[1]), NULL, &r2), ==, ESESS_OK);
		x2 = esess_xml_child(esess_xml_child(r2, "feature", NULL), "x", NULL);
		for (f2 = esess_xml_child(x2, "field", NULL); f2 != NULL; f2 = esess_xml_next(f2, "field", NULL)) {
			if (g_strcmp0(esess_xml_attr(f2, "var"), "dhhashes") == 0) {
				v = esess_xml_child(f2, "value", NULL);
				he = esess_xml_text(esess_xml_next(v, "value", NULL));
			}
		}
		esess_xml_free(r2);
	}
	vals[0] = he;
	{
		char *t2 = neg_set_field(t, "dhhashes", vals, 1);

		g_free(t);
		t = t2;
	}
	g_assert_cmpint(p_respond(&p, t), ==, ESESS_OK);
	g_assert_cmpint(p_recv(&p, p.a, p.m[2], 3), ==, ESESS_OK);
	/* form_A differs: Bob's check of mac_A fails */
	g_assert_cmpint(p_recv(&p, p.b, p.m[3], 4), ==, ESESS_ERR_IDENTITY);
	g_assert_nonnull(strstr(p.err, "<feature-not-implemented"));
	g_free(t);
	g_free(he);
	p_clear(&p);
}

static void
m3_mac(const char *value, EsessStatus want)
{
	P p;
	char *t;
	const char *vals[1];

	p_init(&p);
	p_m1(&p);
	g_assert_cmpint(p_respond(&p, p.m[1]), ==, ESESS_OK);
	g_assert_cmpint(p_recv(&p, p.a, p.m[2], 3), ==, ESESS_OK);
	vals[0] = value;
	t = neg_set_field(p.m[3], "mac", vals, 1);
	g_assert_cmpint(p_recv(&p, p.b, t, 4), ==, want);
	g_assert_cmpint(esess_neg_state(p.b), ==, ESESS_NEG_FAILED);
	g_free(t);
	p_clear(&p);
}

static void
sec_25_bad_mac(void)
{
	guint8 mac[33];
	char *b;

	memset(mac, 0x5a, sizeof mac);
	b = esess_base64_encode(mac, 32);
	m3_mac(b, ESESS_ERR_IDENTITY); /* wrong */
	g_free(b);
	b = esess_base64_encode(mac, 31);
	m3_mac(b, ESESS_ERR_IDENTITY); /* truncated */
	g_free(b);
	b = esess_base64_encode(mac, 33);
	m3_mac(b, ESESS_ERR_IDENTITY); /* extended */
	g_free(b);
	m3_mac("", ESESS_ERR_IDENTITY);
}

static void
sec_25_bad_mac_message4(void)
{
	P p;
	char *t, *m;
	const char *vals[1];

	p_init(&p);
	p_m1(&p);
	g_assert_cmpint(p_respond(&p, p.m[1]), ==, ESESS_OK);
	g_assert_cmpint(p_recv(&p, p.a, p.m[2], 3), ==, ESESS_OK);
	g_assert_cmpint(p_recv(&p, p.b, p.m[3], 4), ==, ESESS_OK);
	m = neg_get_field(p.m[4], "mac");
	m[0] = m[0] == 'A' ? 'B' : 'A';
	vals[0] = m;
	t = neg_set_field(p.m[4], "mac", vals, 1);
	g_assert_cmpint(p_recv(&p, p.a, t, 0), ==, ESESS_ERR_IDENTITY);
	assert_failed_wiped(p.a);
	g_assert_nonnull(strstr(p.err, "<feature-not-implemented"));
	g_free(t);
	g_free(m);
	p_clear(&p);
}

/* SECURITY 25 at the one place that opens an identity
 * (esess_neg_open_identity, used by messages 3 and 4 and the offline
 * init): a wrong M_X, a changed ID_X or the other side's keys stop before
 * anything is decrypted or parsed (mac_fn is never reached); lengths are
 * checked first; a good M_X over a wrong mac_X is an identity failure. */
static guint open_calls;

static EsessStatus
open_mac(EsessNeg *neg, const GString *pubkey, const GString *form2,
	 guint8 out[ESESS_HMAC_LEN], gpointer data)
{
	(void)neg;
	open_calls++;
	g_assert_cmpuint(pubkey->len, ==, 0);
	/* form_X2: the form without "identity" and "mac" */
	g_assert_nonnull(strstr(form2->str, "FORM_TYPE"));
	g_assert_null(strstr(form2->str, "identity"));
	g_assert_null(strstr(form2->str, "'mac'"));
	memcpy(out, data, ESESS_HMAC_LEN);
	return ESESS_OK;
}

static EsessForm *
identity_form(const guint8 *id, size_t id_len, const guint8 *mac, size_t mac_len)
{
	EsessForm *f = esess_form_new(ESESS_FORM_RESULT);

	esess_field_add_value(esess_form_add(f, "FORM_TYPE", ESESS_FIELD_HIDDEN), ESESS_NS_SSN);
	esess_neg_add_b64(f, "identity", id, id_len);
	esess_neg_add_b64(f, "mac", mac, mac_len);
	return f;
}

static void
sec_25_mac_before_decrypt(void)
{
	EsessNegConfig cfg;
	EsessNeg *neg;
	EsessSecret *k;
	EsessForm *f, *g;
	EsessXmlNode *x;
	EsessNegIdentity idn;
	guint8 mac_x[ESESS_HMAC_LEN], other[ESESS_HMAC_LEN], m[ESESS_HMAC_LEN];
	guint8 c_seal[ESESS_COUNTER_LEN], c_open[ESESS_COUNTER_LEN], buf[40];
	const char *field = "unset";
	EsessStatus r;

	memset(&cfg, 0, sizeof cfg);
	neg = esess_neg_alloc(&cfg, FALSE);
	k = esess_secret_new_from("0123456789abcdef0123456789abcdef", 32);
	g_assert_cmpint(esess_neg_derive_keys(k, neg->keys), ==, ESESS_OK);
	esess_secret_free(k);
	memset(neg->c_a, 0x11, sizeof neg->c_a);
	memset(neg->c_b, 0x22, sizeof neg->c_b);
	memset(mac_x, 0xa5, sizeof mac_x);
	memset(other, 0x5a, sizeof other);

	f = esess_form_new(ESESS_FORM_RESULT);
	esess_field_add_value(esess_form_add(f, "FORM_TYPE", ESESS_FIELD_HIDDEN), ESESS_NS_SSN);
	g_assert_cmpint(esess_neg_seal_identity(neg, ESESS_NEG_SIDE_B, mac_x, sizeof mac_x, f, m,
						c_seal),
			==, ESESS_OK);
	x = esess_form_to_xml(f);
	esess_form_free(f);
	g_assert_cmpint(esess_form_parse(x, &g), ==, ESESS_OK);
	g_assert_cmpint(esess_neg_get_identity(g, ESESS_NEG_PK_NONE, &idn, &field), ==, ESESS_OK);
	g_assert_null(field);
	esess_form_free(g);
	g_assert_true(memcmp(idn.mac, m, sizeof m) == 0);

	/* intact: decrypted, checked against mac_X, counter carried on (R5) */
	open_calls = 0;
	r = esess_neg_open_identity(neg, ESESS_NEG_SIDE_B, ESESS_NEG_PK_NONE, &idn, x, open_mac,
				    mac_x, c_open, &field);
	g_assert_cmpint(r, ==, ESESS_OK);
	g_assert_null(field);
	g_assert_cmpuint(open_calls, ==, 1);
	g_assert_true(memcmp(c_open, c_seal, sizeof c_open) == 0);
	/* a good M_X over a plaintext that is not mac_X */
	r = esess_neg_open_identity(neg, ESESS_NEG_SIDE_B, ESESS_NEG_PK_NONE, &idn, x, open_mac,
				    other, c_open, &field);
	g_assert_cmpint(r, ==, ESESS_ERR_IDENTITY);
	g_assert_cmpstr(field, ==, "identity");
	g_assert_cmpuint(open_calls, ==, 2);

	/* a wrong M_X, a changed ID_X, the other side's keys: never decrypted */
	idn.mac[ESESS_HMAC_LEN - 1] ^= 1;
	r = esess_neg_open_identity(neg, ESESS_NEG_SIDE_B, ESESS_NEG_PK_NONE, &idn, x, open_mac,
				    mac_x, c_open, &field);
	g_assert_cmpint(r, ==, ESESS_ERR_IDENTITY);
	g_assert_cmpstr(field, ==, "mac");
	idn.mac[ESESS_HMAC_LEN - 1] ^= 1;
	idn.id[0] ^= 0x80;
	r = esess_neg_open_identity(neg, ESESS_NEG_SIDE_B, ESESS_NEG_PK_NONE, &idn, x, open_mac,
				    mac_x, c_open, &field);
	g_assert_cmpint(r, ==, ESESS_ERR_IDENTITY);
	g_assert_cmpstr(field, ==, "mac");
	idn.id[0] ^= 0x80;
	r = esess_neg_open_identity(neg, ESESS_NEG_SIDE_A, ESESS_NEG_PK_NONE, &idn, x, open_mac,
				    mac_x, c_open, &field);
	g_assert_cmpint(r, ==, ESESS_ERR_IDENTITY);
	g_assert_cmpstr(field, ==, "mac");
	g_assert_cmpuint(open_calls, ==, 2);
	esess_neg_identity_clear(&idn);
	g_assert_null(idn.id);
	esess_xml_free(x);

	/* lengths: mac_X alone is 32 bytes without public keys; M_X is 32 */
	memset(buf, 0, sizeof buf);
	f = identity_form(buf, 33, buf, 32);
	field = NULL;
	g_assert_cmpint(esess_neg_get_identity(f, ESESS_NEG_PK_NONE, &idn, &field), ==,
			ESESS_ERR_IDENTITY);
	g_assert_cmpstr(field, ==, "identity");
	g_assert_null(idn.id);
	/* with public keys longer identities are the signed payload (R21) */
	g_assert_cmpint(esess_neg_get_identity(f, ESESS_NEG_PK_KEY, &idn, &field), ==, ESESS_OK);
	g_assert_cmpuint(idn.len, ==, 33);
	esess_neg_identity_clear(&idn);
	esess_form_free(f);
	f = identity_form(buf, 32, buf, 31);
	g_assert_cmpint(esess_neg_get_identity(f, ESESS_NEG_PK_KEY, &idn, &field), ==,
			ESESS_ERR_IDENTITY);
	g_assert_cmpstr(field, ==, "mac");
	g_assert_null(idn.id);
	esess_form_free(f);
	f = identity_form(buf, 32, buf, 33);
	g_assert_cmpint(esess_neg_get_identity(f, ESESS_NEG_PK_NONE, &idn, &field), ==,
			ESESS_ERR_IDENTITY);
	g_assert_cmpstr(field, ==, "mac");
	esess_form_free(f);
	esess_neg_free(neg);
}

static void
sec_30_wrong_counter(void)
{
	P p;
	char *c, *t;
	guint8 ca[16], cb[16];
	const char *vals[1];

	/* Alice is made to encrypt her identity under C_B instead of C_A */
	p_init(&p);
	p_m1(&p);
	g_assert_cmpint(p_respond(&p, p.m[1]), ==, ESESS_OK);
	c = neg_get_field(p.m[2], "counter");
	g_assert_cmpint(esess_base64_decode_exact(c, strlen(c), ca, 16), ==, ESESS_OK);
	esess_counter_flip_top(ca, cb);
	g_free(c);
	c = esess_base64_encode(cb, 16);
	vals[0] = c;
	t = neg_set_field(p.m[2], "counter", vals, 1);
	g_assert_cmpint(p_recv(&p, p.a, t, 3), ==, ESESS_OK);
	g_assert_cmpint(p_recv(&p, p.b, p.m[3], 4), ==, ESESS_ERR_IDENTITY);
	g_free(t);
	g_free(c);
	p_clear(&p);
}
















int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_assert_cmpint(esess_crypto_init(), ==, ESESS_OK);
	g_test_add_func("/neg/security/01-y-zero", sec_01_y_zero);
	g_test_add_func("/neg/security/02-y-one", sec_02_y_one);
	g_test_add_func("/neg/security/03-y-p-minus-1", sec_03_y_p_minus_1);
	g_test_add_func("/neg/security/04-y-p-and-beyond", sec_04_y_p_and_beyond);
	g_test_add_func("/neg/security/05-y-two-and-p-minus-2", sec_05_y_two_and_p_minus_2);
	g_test_add_func("/neg/security/06-order-2q", sec_06_order_2q);
	g_test_add_func("/neg/security/07-non-minimal", sec_07_non_minimal);
	g_test_add_func("/neg/security/08-dh-value-count", sec_08_dhhashes_count);
	g_test_add_func("/neg/security/10-reflection", sec_10_reflection);
	g_test_add_func("/neg/security/11-degenerate-shared", sec_11_degenerate_shared);
	g_test_add_func("/neg/security/13-commitment-swap", sec_13_commitment);
	g_test_add_func("/neg/security/14-commitment-length", sec_14_commitment_length);
	g_test_add_func("/neg/security/15-commitment-other-group", sec_15_commitment_other_group);
	g_test_add_func("/neg/security/16-mixed-mode", sec_16_mixed_mode);
	g_test_add_func("/neg/security/17-weak-group", sec_17_weak_group);
	g_test_add_func("/neg/security/18-not-offered", sec_18_not_offered);
	g_test_add_func("/neg/security/19-weak-cipher", sec_19_weak_cipher);
	g_test_add_func("/neg/security/20-disclosure", sec_20_disclosure);
	g_test_add_func("/neg/security/21-three-message", sec_21_three_message);
	g_test_add_func("/neg/security/22-rekey-freq", sec_22_rekey_freq);
	g_test_add_func("/neg/security/23-form-shape", sec_23_form_shape);
	g_test_add_func("/neg/security/24-strip-groups", sec_24_strip_groups);
	g_test_add_func("/neg/security/25-bad-mac", sec_25_bad_mac);
	g_test_add_func("/neg/security/25-bad-mac-message4", sec_25_bad_mac_message4);
	g_test_add_func("/neg/security/25-mac-before-decrypt", sec_25_mac_before_decrypt);
	g_test_add_func("/neg/security/30-wrong-counter", sec_30_wrong_counter);
	return g_test_run();
}
