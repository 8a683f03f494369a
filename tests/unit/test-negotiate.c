/*
 * test-negotiate: the XEP-0116 negotiation engine.  Known answers (INTEROP
 * R3, R6, R7, R8, R9 from tests/vectors/neg-*), the state machines driven
 * directly (EsessNeg), and one test per applicable SECURITY item, named
 * "/neg/security/NN-name".
 */
#include "config.h"

#include <dlfcn.h>
#include <string.h>

#include <gcrypt.h>

#include "esess-bytes.h"
#include "esess-chat-private.h"
#include "esess-featneg.h"
#include "esess-form.h"
#include "esess-modp.h"
#include "esess-negotiate.h"
#include "esess-neg-private.h"
#include "esess-sas.h"
#include "neg-pair.h"

/* ---- known answers ----------------------------------------------------- */

static EsessSecret *
vec_secret(const char *text, const char *key)
{
	char *hex;
	guint8 *b;
	size_t n;
	EsessSecret *s;

	hex = neg_vector_get(text, key);
	g_assert_nonnull(hex);
	b = neg_unhex(hex, &n);
	s = esess_secret_new_from(b, n);
	g_free(b);
	g_free(hex);
	return s;
}

static void
assert_hex(const guint8 *b, size_t n, const char *text, const char *key)
{
	char *hex, *got;
	size_t i;

	hex = neg_vector_get(text, key);
	g_assert_nonnull(hex);
	got = g_malloc(2 * n + 1);
	for (i = 0; i < n; i++)
		g_snprintf(got + 2 * i, 3, "%02x", b[i]);
	g_assert_cmpstr(got, ==, hex);
	g_free(got);
	g_free(hex);
}

static void
test_r3_keys(void)
{
	static const char *names[ESESS_KEY_COUNT_] = { "KC_A", "KM_A", "KS_A", "KC_B", "KM_B", "KS_B" };
	char *v;
	EsessSecret *k, *keys[ESESS_KEY_COUNT_];
	int i;

	v = neg_vector("neg-r3-keys.txt");
	k = vec_secret(v, "K");
	g_assert_cmpint(esess_neg_derive_keys(k, keys), ==, ESESS_OK);
	for (i = 0; i < ESESS_KEY_COUNT_; i++) {
		g_assert_cmpuint(keys[i]->len, ==, 32);
		assert_hex(keys[i]->data, keys[i]->len, v, names[i]);
		esess_secret_free(keys[i]);
	}
	esess_secret_free(k);
	g_free(v);
}

static void
test_r6_identity_mac(void)
{
	char *v, *hex;
	EsessSecret *km;
	guint8 *c, *id, out[32];
	size_t cl, il;

	v = neg_vector("neg-r6-identity-mac.txt");
	km = vec_secret(v, "KM");
	hex = neg_vector_get(v, "C");
	c = neg_unhex(hex, &cl);
	g_free(hex);
	hex = neg_vector_get(v, "ID");
	id = neg_unhex(hex, &il);
	g_free(hex);
	g_assert_cmpuint(cl, ==, 16);
	g_assert_cmpint(esess_neg_identity_mac(km, c, id, il, out), ==, ESESS_OK);
	assert_hex(out, 32, v, "M");
	/* and the order/encoding matters: not the padded-counter value */
	hex = neg_vector_get(v, "M_padded");
	{
		char *m = neg_vector_get(v, "M");

		g_assert_cmpstr(hex, !=, m);
		g_free(m);
	}
	g_free(hex);
	esess_secret_free(km);
	g_free(c);
	g_free(id);
	g_free(v);
}

static void
test_r8_sas(void)
{
	char *v, *fb, *want;
	guint8 ma[32];
	char out[ESESS_SAS_LEN + 1];
	int i;

	v = neg_vector("neg-r8-sas.txt");
	for (i = 0; i < 32; i++)
		ma[i] = (guint8)i;
	fb = neg_vector_get(v, "form_B");
	want = neg_vector_get(v, "SAS");
	esess_sas_compute(ma, 32, fb, strlen(fb), TRUE, out);
	g_assert_cmpstr(out, ==, want);
	g_assert_cmpuint(esess_sas_value(ma, 32, fb, strlen(fb)), ==, 0x9160fd);
	g_free(want);
	esess_sas_format(0, TRUE, out);
	g_assert_cmpstr(out, ==, "aaaaa");
	esess_sas_format(0, FALSE, out);
	g_assert_cmpstr(out, ==, "a");
	esess_sas_format(28, TRUE, out);
	g_assert_cmpstr(out, ==, "aaaca");
	esess_sas_format(28, FALSE, out);
	g_assert_cmpstr(out, ==, "ca");
	esess_sas_format(16777215, TRUE, out);
	want = neg_vector_get(v, "value_16777215");
	g_assert_cmpstr(out, ==, want);
	g_free(want);
	g_free(fb);
	g_free(v);
}

static void
test_r9_retained(void)
{
	char *v, *hex;
	EsessSecret *k, *rs, *fk, *nrs;
	guint8 *na, out[32];
	size_t nl;

	v = neg_vector("neg-r9-retained.txt");
	k = vec_secret(v, "K");
	rs = vec_secret(v, "RS");
	hex = neg_vector_get(v, "N_A");
	na = neg_unhex(hex, &nl);
	g_free(hex);
	g_assert_cmpint(esess_neg_rshash(na, nl, rs, out), ==, ESESS_OK);
	assert_hex(out, 32, v, "rshash");
	g_assert_cmpint(esess_neg_srshash(rs, out), ==, ESESS_OK);
	assert_hex(out, 32, v, "srshash");
	fk = esess_neg_final_k(k, NULL);
	assert_hex(fk->data, fk->len, v, "final_K_none");
	g_assert_cmpint(esess_neg_new_rs(fk, &nrs), ==, ESESS_OK);
	assert_hex(nrs->data, nrs->len, v, "new_RS_none");
	esess_secret_free(fk);
	esess_secret_free(nrs);
	fk = esess_neg_final_k(k, rs);
	assert_hex(fk->data, fk->len, v, "final_K_srs");
	g_assert_cmpint(esess_neg_new_rs(fk, &nrs), ==, ESESS_OK);
	assert_hex(nrs->data, nrs->len, v, "new_RS_srs");
	esess_secret_free(fk);
	esess_secret_free(nrs);
	esess_secret_free(k);
	esess_secret_free(rs);
	g_free(na);
	g_free(v);
}

/* INTEROP R7 + R12: the canonical text of a full message 1 form (offer
 * for groups 15, 14, 16, logging "prefer", my_nonce = 00..0f, the DIGEST
 * §14 He as every commitment), as pinned in neg-r7-m1-form.txt. */
static char *
r7_m1_canon(void)
{
	EsessFeatPolicy pol;
	EsessForm *f = NULL;
	EsessField *fld;
	EsessXmlNode *x;
	GString *out;
	guint8 nonce[16];
	const guint groups[3] = { 15, 14, 16 };
	char *b64;
	int i;

	memset(&pol, 0, sizeof pol);
	pol.min_modp_bits = 2048;
	pol.logging = ESESS_LOGPREF_PREFER;
	pol.min_rekey_freq = 1;
	g_assert_cmpint(esess_featneg_build_offer(&pol, groups, 3, &f), ==, ESESS_OK);
	for (i = 0; i < 16; i++)
		nonce[i] = (guint8)i;
	b64 = esess_base64_encode(nonce, 16);
	fld = esess_form_add(f, "my_nonce", ESESS_FIELD_HIDDEN);
	esess_field_add_value(fld, b64);
	g_free(b64);
	fld = esess_form_add(f, "dhhashes", ESESS_FIELD_HIDDEN);
	for (i = 0; i < 3; i++)
		esess_field_add_value(fld, "iUplR34zanT4PVdqOtNqR5Xl8h7C8KcQssLC28VkCsw=");
	x = esess_form_to_xml(f);
	out = g_string_new(NULL);
	esess_form_canon(x, NULL, out);
	esess_xml_free(x);
	esess_form_free(f);
	return g_string_free(out, FALSE);
}

static void
test_r7_m1_form(void)
{
	char *v, *want, *got;

	v = neg_vector("neg-r7-m1-form.txt");
	want = neg_vector_get(v, "form_A");
	got = r7_m1_canon();
	if (g_getenv("ESESS_PRINT_R7") != NULL)
		g_printerr("form_A = %s\n", got);
	g_assert_cmpstr(got, ==, want);
	g_free(got);
	g_free(want);
	g_free(v);
}

/* ---- driving EsessNeg directly ----------------------------------------- */










static void
test_neg_full(void)
{
	P p;
	EsessSession *sa, *sb;
	guint8 oa[16], pa[16], ob[16], pb[16];

	p_init(&p);
	g_assert_cmpint(p_run(&p), ==, ESESS_OK);
	g_assert_cmpint(esess_neg_state(p.a), ==, ESESS_NEG_DONE);
	g_assert_cmpint(esess_neg_state(p.b), ==, ESESS_NEG_DONE);
	g_assert_cmpstr(esess_neg_result(p.a)->sas, ==, esess_neg_result(p.b)->sas);
	sa = esess_neg_take_session(p.a);
	sb = esess_neg_take_session(p.b);
	g_assert_nonnull(sa);
	g_assert_nonnull(sb);
	g_assert_null(esess_neg_take_session(p.a));
	/* R5: counters carry on after the identities (2 blocks each) and match */
	esess_session_counters(sa, oa, pa);
	esess_session_counters(sb, ob, pb);
	g_assert_cmpmem(oa, 16, pb, 16);
	g_assert_cmpmem(pa, 16, ob, 16);
	g_assert_cmpint(oa[0] ^ ob[0], ==, 0x80);
	esess_session_free(sa);
	esess_session_free(sb);
	p_clear(&p);
}






































static void
test_gajim_shapes(void)
{
	P p;
	char *t, *t2;
	const char *nonce8[1] = { "AQIDBAUGBwg=" };

	/* Appendix B: an 8-byte my_nonce in message 1 is accepted and echoed */
	p_init(&p);
	p_m1(&p);
	t = neg_set_field(p.m[1], "my_nonce", nonce8, 1);
	g_assert_cmpint(p_respond(&p, t), ==, ESESS_OK);
	t2 = neg_get_field(p.m[2], "nonce");
	g_assert_cmpstr(t2, ==, nonce8[0]);
	g_free(t2);
	g_free(t);
	p_clear(&p);
	/* R9: our message 3 carries at least 4 rshashes values even with no
	 * secret held (Gajim's single value is accepted: gajim-initiator) */
	p_init(&p);
	p_m1(&p);
	g_assert_cmpint(p_respond(&p, p.m[1]), ==, ESESS_OK);
	g_assert_cmpint(p_recv(&p, p.a, p.m[2], 3), ==, ESESS_OK);
	g_assert_cmpint(neg_count_values(p.m[3], "rshashes"), ==, 4);
	p_clear(&p);
}

/* DIGEST Appendix B: Alice played the way Gajim 0.12-0.16 does it (8-byte
 * my_nonce, hidden crypt_algs etc. as our offer has them, ONE random
 * rshashes value); our Bob must accept, and his message 4 must verify the
 * way Gajim verifies it. */
static char *
form_text(EsessForm *f, const char *wrapper_ns, const char *wrapper, GString *canon,
	  const char *const *exclude)
{
	EsessXmlNode *x, *w;

	x = esess_form_to_xml(f);
	if (canon != NULL)
		esess_form_canon(x, exclude, canon);
	w = esess_xml_new(wrapper, wrapper_ns);
	esess_xml_append(w, x);
	return wrap(w, "alice@example.org/gajim", NULL);
}

static void
test_gajim_initiator(void)
{
	static const char *const no_id[] = { "identity", "mac", NULL };
	P p;
	EsessFeatPolicy pol;
	EsessForm *m1 = NULL, *m3;
	EsessField *fld;
	EsessDhKey *xk = NULL;
	EsessSecret *shared = NULL, *k, *fk, *keys[ESESS_KEY_COUNT_], *fkeys[ESESS_KEY_COUNT_];
	const guint8 *e;
	size_t e_len, d_len, nb_len;
	guint8 na[8] = { 1, 2, 3, 4, 5, 6, 7, 8 }, he[32], rnd[32], ca[16], cb[16], after[16];
	guint8 mac_a[32], id_a[32], m_a[32], id_b[32], m_b[32], mm[32], mac_b[32], mac_b2[32];
	guint8 *d, *nb;
	GString *form_a, *form_a2, *form_b, *form_b2;
	EsessXmlNode *root = NULL;
	const guint groups[1] = { 14 };
	char *text, *b64, *v;
	char sas[ESESS_SAS_LEN + 1];
	int i;

	p_init(&p);
	g_assert_cmpint(esess_dh_keygen(14, &xk), ==, ESESS_OK);
	e = esess_dh_key_public(xk, &e_len);
	memset(&pol, 0, sizeof pol);
	pol.min_modp_bits = 2048;
	pol.logging = ESESS_LOGPREF_PREFER;
	pol.min_rekey_freq = 1;
	g_assert_cmpint(esess_featneg_build_offer(&pol, groups, 1, &m1), ==, ESESS_OK);
	esess_neg_add_b64(m1, "my_nonce", na, sizeof na);
	esess_sha256(e, e_len, he);
	esess_neg_add_b64(m1, "dhhashes", he, sizeof he);
	form_a = g_string_new(NULL);
	text = form_text(m1, ESESS_NS_FEATURENEG, "feature", form_a, NULL);
	g_assert_cmpint(p_respond(&p, text), ==, ESESS_OK);
	g_free(text);
	/* message 2 as Gajim reads it */
	v = neg_get_field(p.m[2], "my_nonce");
	g_assert_cmpint(esess_base64_decode(v, strlen(v), 64, &nb, &nb_len), ==, ESESS_OK);
	g_free(v);
	v = neg_get_field(p.m[2], "dhkeys");
	g_assert_cmpint(esess_base64_decode(v, strlen(v), 1024, &d, &d_len), ==, ESESS_OK);
	g_free(v);
	v = neg_get_field(p.m[2], "counter");
	g_assert_cmpint(esess_base64_decode_exact(v, strlen(v), ca, 16), ==, ESESS_OK);
	g_free(v);
	esess_counter_flip_top(ca, cb);
	g_assert_cmpint(esess_dh_agree(xk, d, d_len, &shared), ==, ESESS_OK);
	k = esess_secret_new(32);
	esess_sha256(shared->data, shared->len, k->data);
	g_assert_cmpint(esess_neg_derive_keys(k, keys), ==, ESESS_OK);
	/* message 3 with a single random rshashes value */
	m3 = esess_form_new(ESESS_FORM_RESULT);
	fld = esess_form_add(m3, "FORM_TYPE", ESESS_FIELD_HIDDEN);
	esess_field_add_value(fld, ESESS_NS_SSN);
	fld = esess_form_add(m3, "accept", ESESS_FIELD_BOOLEAN);
	esess_field_add_value(fld, "1");
	esess_neg_add_b64(m3, "nonce", nb, nb_len);
	esess_neg_add_b64(m3, "dhkeys", e, e_len);
	esess_random(rnd, sizeof rnd);
	esess_neg_add_b64(m3, "rshashes", rnd, sizeof rnd);
	form_a2 = g_string_new(NULL);
	text = form_text(m3, ESESS_NS_FEATURENEG, "feature", form_a2, no_id);
	g_free(text);
	g_assert_cmpint(esess_neg_sigma_mac(keys[ESESS_KEY_KS_A], nb, nb_len, na, sizeof na, e, e_len,
					    form_a, form_a2, mac_a), ==, ESESS_OK);
	g_assert_cmpint(esess_neg_crypt_identity(keys[ESESS_KEY_KC_A], ca, mac_a, id_a, 32, after),
			==, ESESS_OK);
	g_assert_cmpint(esess_neg_identity_mac(keys[ESESS_KEY_KM_A], ca, id_a, 32, m_a), ==, ESESS_OK);
	esess_neg_add_b64(m3, "identity", id_a, 32);
	esess_neg_add_b64(m3, "mac", m_a, 32);
	text = form_text(m3, ESESS_NS_FEATURENEG, "feature", NULL, NULL);
	g_assert_cmpint(p_recv(&p, p.b, text, 4), ==, ESESS_OK);
	g_free(text);
	g_assert_cmpint(esess_neg_state(p.b), ==, ESESS_NEG_DONE);
	/* message 4 verified as Gajim does: no SRS, final K = SHA256(K) */
	g_assert_nonnull(strstr(p.m[4], "xep-0116.html#ns-init"));
	fk = esess_neg_final_k(k, NULL);
	g_assert_cmpint(esess_neg_derive_keys(fk, fkeys), ==, ESESS_OK);
	v = neg_get_field(p.m[4], "identity");
	g_assert_cmpint(esess_base64_decode_exact(v, strlen(v), id_b, 32), ==, ESESS_OK);
	g_free(v);
	v = neg_get_field(p.m[4], "mac");
	g_assert_cmpint(esess_base64_decode_exact(v, strlen(v), m_b, 32), ==, ESESS_OK);
	g_free(v);
	g_assert_cmpint(esess_neg_identity_mac(fkeys[ESESS_KEY_KM_B], cb, id_b, 32, mm), ==, ESESS_OK);
	g_assert_cmpmem(mm, 32, m_b, 32);
	g_assert_cmpint(esess_neg_crypt_identity(fkeys[ESESS_KEY_KC_B], cb, id_b, mac_b, 32, after),
			==, ESESS_OK);
	form_b = g_string_new(NULL);
	g_assert_cmpint(esess_xml_parse(p.m[2], strlen(p.m[2]), NULL, &root), ==, ESESS_OK);
	esess_form_canon(esess_neg_find_x(root), NULL, form_b);
	esess_xml_free(root);
	form_b2 = g_string_new(NULL);
	g_assert_cmpint(esess_xml_parse(p.m[4], strlen(p.m[4]), NULL, &root), ==, ESESS_OK);
	esess_form_canon(esess_neg_find_x(root), no_id, form_b2);
	esess_xml_free(root);
	g_assert_cmpint(esess_neg_sigma_mac(fkeys[ESESS_KEY_KS_B], na, sizeof na, nb, nb_len, d, d_len,
					    form_b, form_b2, mac_b2), ==, ESESS_OK);
	g_assert_cmpmem(mac_b, 32, mac_b2, 32);
	/* the SAS Gajim shows: unpadded (R20) */
	esess_sas_compute(m_a, 32, form_b->str, form_b->len, TRUE, sas);
	g_assert_cmpstr(sas, ==, esess_neg_result(p.b)->sas);
	esess_sas_format(esess_neg_result(p.b)->sas_value, FALSE, sas);
	b64 = (char *)esess_neg_result(p.b)->sas;
	while (*b64 == 'a' && b64[1] != '\0')
		b64++;
	g_assert_cmpstr(sas, ==, b64);
	for (i = 0; i < ESESS_KEY_COUNT_; i++) {
		esess_secret_free(keys[i]);
		esess_secret_free(fkeys[i]);
	}
	esess_secret_free(k);
	esess_secret_free(fk);
	esess_secret_free(shared);
	esess_dh_key_free(xk);
	esess_form_free(m1);
	esess_form_free(m3);
	g_free(d);
	g_free(nb);
	g_string_free(form_a, TRUE);
	g_string_free(form_a2, TRUE);
	g_string_free(form_b, TRUE);
	g_string_free(form_b2, TRUE);
	p_clear(&p);
}

/* DIGEST Appendix B, the other way round: Bob played as Gajim (8-byte
 * my_nonce, the counter C_A sent in MPI form, here with a zero top octet
 * so the form is 15 bytes, message 4 in <init/>); our Alice must accept. */
static void
test_gajim_responder(void)
{
	static const char *const no_id[] = { "identity", "mac", NULL };
	P p;
	EsessFeatPolicy pol;
	EsessForm *req = NULL, *ans = NULL, *m4;
	EsessChoice choice;
	EsessField *fld;
	EsessDhKey *yk = NULL;
	EsessSecret *shared = NULL, *k, *fk, *keys[ESESS_KEY_COUNT_], *fkeys[ESESS_KEY_COUNT_];
	EsessXmlNode *root = NULL, *x, *w;
	GString *form_a, *form_a2, *form_b, *form_b2;
	guint8 nb[8] = { 9, 8, 7, 6, 5, 4, 3, 2 }, ca[16], cb[16], after[16], srs[32];
	guint8 id_a[32], m_a[32], mm[32], mac_a[32], mac_a2[32], mac_b[32], id_b[32], m_b[32];
	guint8 *na, *e;
	size_t na_len, e_len, d_len;
	const guint8 *d;
	char *v, *text;
	int i;

	p_init(&p);
	p_m1(&p);
	/* Bob reads message 1 */
	g_assert_cmpint(esess_xml_parse(p.m[1], strlen(p.m[1]), NULL, &root), ==, ESESS_OK);
	form_a = g_string_new(NULL);
	esess_form_canon(esess_neg_find_x(root), NULL, form_a);
	g_assert_cmpint(esess_form_parse(esess_neg_find_x(root), &req), ==, ESESS_OK);
	esess_xml_free(root);
	memset(&pol, 0, sizeof pol);
	pol.min_modp_bits = 2048;
	pol.logging = ESESS_LOGPREF_PREFER;
	pol.min_rekey_freq = 1;
	memset(&choice, 0, sizeof choice);
	g_assert_cmpint(esess_featneg_choose(req, &pol, &ans, &choice, NULL), ==, ESESS_OK);
	v = neg_get_field(p.m[1], "my_nonce");
	g_assert_cmpint(esess_base64_decode(v, strlen(v), 64, &na, &na_len), ==, ESESS_OK);
	g_free(v);
	g_assert_cmpint(esess_dh_keygen(14, &yk), ==, ESESS_OK);
	d = esess_dh_key_public(yk, &d_len);
	esess_random(ca, sizeof ca);
	ca[0] = 0;
	ca[1] |= 1;
	esess_counter_flip_top(ca, cb);
	esess_neg_add_b64(ans, "my_nonce", nb, sizeof nb);
	esess_neg_add_b64(ans, "dhkeys", d, d_len);
	esess_neg_add_b64(ans, "nonce", na, na_len);
	esess_neg_add_b64(ans, "counter", ca + 1, 15); /* MPI: leading zero stripped */
	x = esess_form_to_xml(ans);
	form_b = g_string_new(NULL);
	esess_form_canon(x, NULL, form_b);
	w = esess_xml_new("feature", ESESS_NS_FEATURENEG);
	esess_xml_append(w, x);
	text = wrap(w, "bob@example.com/gajim", NULL);
	g_assert_cmpint(p_recv(&p, p.a, text, 3), ==, ESESS_OK);
	g_free(text);
	/* message 3 checked the way Gajim checks it */
	v = neg_get_field(p.m[3], "dhkeys");
	g_assert_cmpint(esess_base64_decode(v, strlen(v), 1024, &e, &e_len), ==, ESESS_OK);
	g_free(v);
	g_assert_cmpint(esess_dh_agree(yk, e, e_len, &shared), ==, ESESS_OK);
	k = esess_secret_new(32);
	esess_sha256(shared->data, shared->len, k->data);
	g_assert_cmpint(esess_neg_derive_keys(k, keys), ==, ESESS_OK);
	v = neg_get_field(p.m[3], "identity");
	g_assert_cmpint(esess_base64_decode_exact(v, strlen(v), id_a, 32), ==, ESESS_OK);
	g_free(v);
	v = neg_get_field(p.m[3], "mac");
	g_assert_cmpint(esess_base64_decode_exact(v, strlen(v), m_a, 32), ==, ESESS_OK);
	g_free(v);
	g_assert_cmpint(esess_neg_identity_mac(keys[ESESS_KEY_KM_A], ca, id_a, 32, mm), ==, ESESS_OK);
	g_assert_cmpmem(mm, 32, m_a, 32);
	g_assert_cmpint(esess_neg_crypt_identity(keys[ESESS_KEY_KC_A], ca, id_a, mac_a, 32, after),
			==, ESESS_OK);
	g_assert_cmpint(esess_xml_parse(p.m[3], strlen(p.m[3]), NULL, &root), ==, ESESS_OK);
	form_a2 = g_string_new(NULL);
	esess_form_canon(esess_neg_find_x(root), no_id, form_a2);
	esess_xml_free(root);
	g_assert_cmpint(esess_neg_sigma_mac(keys[ESESS_KEY_KS_A], nb, sizeof nb, na, na_len, e, e_len,
					    form_a, form_a2, mac_a2), ==, ESESS_OK);
	g_assert_cmpmem(mac_a, 32, mac_a2, 32);
	/* message 4, Gajim style: no SRS, a random srshash, <init/> */
	fk = esess_neg_final_k(k, NULL);
	g_assert_cmpint(esess_neg_derive_keys(fk, fkeys), ==, ESESS_OK);
	m4 = esess_form_new(ESESS_FORM_RESULT);
	fld = esess_form_add(m4, "FORM_TYPE", ESESS_FIELD_HIDDEN);
	esess_field_add_value(fld, ESESS_NS_SSN);
	esess_neg_add_b64(m4, "nonce", na, na_len);
	esess_random(srs, sizeof srs);
	esess_neg_add_b64(m4, "srshash", srs, sizeof srs);
	x = esess_form_to_xml(m4);
	form_b2 = g_string_new(NULL);
	esess_form_canon(x, no_id, form_b2);
	esess_xml_free(x);
	g_assert_cmpint(esess_neg_sigma_mac(fkeys[ESESS_KEY_KS_B], na, na_len, nb, sizeof nb, d, d_len,
					    form_b, form_b2, mac_b), ==, ESESS_OK);
	g_assert_cmpint(esess_neg_crypt_identity(fkeys[ESESS_KEY_KC_B], cb, mac_b, id_b, 32, after),
			==, ESESS_OK);
	g_assert_cmpint(esess_neg_identity_mac(fkeys[ESESS_KEY_KM_B], cb, id_b, 32, m_b), ==, ESESS_OK);
	esess_neg_add_b64(m4, "identity", id_b, 32);
	esess_neg_add_b64(m4, "mac", m_b, 32);
	w = esess_xml_new("init", ESESS_NS_INIT);
	esess_xml_append(w, esess_form_to_xml(m4));
	text = wrap(w, "bob@example.com/gajim", NULL);
	g_assert_cmpint(p_recv(&p, p.a, text, 0), ==, ESESS_OK);
	g_free(text);
	g_assert_cmpint(esess_neg_state(p.a), ==, ESESS_NEG_DONE);
	g_assert_cmpuint(esess_neg_result(p.a)->sas_value, ==,
			 esess_sas_value(m_a, 32, form_b->str, form_b->len));
	for (i = 0; i < ESESS_KEY_COUNT_; i++) {
		esess_secret_free(keys[i]);
		esess_secret_free(fkeys[i]);
	}
	esess_secret_free(k);
	esess_secret_free(fk);
	esess_secret_free(shared);
	esess_dh_key_free(yk);
	esess_choice_clear(&choice);
	esess_form_free(req);
	esess_form_free(ans);
	esess_form_free(m4);
	g_free(na);
	g_free(e);
	g_string_free(form_a, TRUE);
	g_string_free(form_a2, TRUE);
	g_string_free(form_b, TRUE);
	g_string_free(form_b2, TRUE);
	p_clear(&p);
}

/* ---- through the chat (harness) ----------------------------------------- */




/* R13: the initiator checks the echoed nonce; each side checks its own
 * nonce in messages 3 and 4 (ESESS_ERR_NONCE) */
static void
test_nonce_echo(void)
{
	P p;
	char *t;
	const char *other[1] = { "AAECAwQFBgcICQoLDA0ODw==" };

	m2_field("nonce", other[0], ESESS_ERR_NONCE);
	p_init(&p);
	p_m1(&p);
	g_assert_cmpint(p_respond(&p, p.m[1]), ==, ESESS_OK);
	g_assert_cmpint(p_recv(&p, p.a, p.m[2], 3), ==, ESESS_OK);
	t = neg_set_field(p.m[3], "nonce", other, 1);
	g_assert_cmpint(p_recv(&p, p.b, t, 4), ==, ESESS_ERR_NONCE);
	g_assert_cmpint(esess_neg_state(p.b), ==, ESESS_NEG_FAILED);
	g_free(t);
	p_clear(&p);
	p_init(&p);
	p_m1(&p);
	g_assert_cmpint(p_respond(&p, p.m[1]), ==, ESESS_OK);
	g_assert_cmpint(p_recv(&p, p.a, p.m[2], 3), ==, ESESS_OK);
	g_assert_cmpint(p_recv(&p, p.b, p.m[3], 4), ==, ESESS_OK);
	t = neg_set_field(p.m[4], "nonce", other, 1);
	g_assert_cmpint(p_recv(&p, p.a, t, 0), ==, ESESS_ERR_NONCE);
	assert_failed_wiped(p.a);
	g_free(t);
	p_clear(&p);
}

/* Issue 9 item 10: a request whose modp is a hidden field with <value>s
 * (no options) offers those groups, and its dhhashes count against them. */
static void
test_modp_hidden_values(void)
{
	P p;
	EsessXmlNode *root = NULL, *x, *f, *ch, *next;
	char *m1, *v;

	p_init(&p);
	p.groups[0] = 15;
	p.groups[1] = 14;
	p.ca.n_groups = 2;
	p_m1(&p);
	g_assert_cmpint(esess_xml_parse(p.m[1], strlen(p.m[1]), NULL, &root), ==, ESESS_OK);
	x = (EsessXmlNode *)esess_neg_find_x(root);
	for (f = esess_xml_child(x, "field", NULL); f != NULL; f = esess_xml_next(f, "field", NULL))
		if (g_strcmp0(esess_xml_attr(f, "var"), "modp") == 0)
			break;
	g_assert_nonnull(f);
	for (ch = f->first_child; ch != NULL; ch = next) {
		next = ch->next;
		esess_xml_unlink(ch);
		esess_xml_free(ch);
	}
	esess_xml_set_attr(f, "type", "hidden");
	(void)esess_xml_add_text_child(f, "value", "15");
	(void)esess_xml_add_text_child(f, "value", "14");
	m1 = esess_xml_to_string(root);
	esess_xml_free(root);
	g_assert_cmpint(neg_count_values(m1, "modp"), ==, 2);
	g_assert_cmpint(p_respond(&p, m1), ==, ESESS_OK);
	g_assert_null(p.err);
	v = neg_get_field(p.m[2], "modp");
	g_assert_cmpstr(v, ==, "15");
	g_free(v);
	g_free(m1);
	p_clear(&p);
}

/* Issue 8 item 4: every refusal names the field concerned, to the caller
 * (esess_neg_failure_field / EsessNegOut.field) and to the peer (the error's
 * <feature><field var=.../>), and the peer always gets an error. */
static void
refuse_m2(const char *var, const char *value, EsessStatus want, const char *condition)
{
	P p;
	char *t, *in_err;
	const char *vals[1];

	p_init(&p);
	p_m1(&p);
	g_assert_cmpint(p_respond(&p, p.m[1]), ==, ESESS_OK);
	vals[0] = value;
	t = neg_set_field(p.m[2], var, value != NULL ? vals : NULL, 1);
	g_assert_cmpint(p_recv(&p, p.a, t, 3), ==, want);
	g_assert_cmpstr(esess_neg_failure_field(p.a), ==, var);
	g_assert_nonnull(p.err);
	g_assert_nonnull(strstr(p.err, condition));
	in_err = g_strdup_printf("<field var='%s'/>", var);
	g_assert_nonnull(strstr(p.err, in_err));
	g_free(in_err);
	g_free(t);
	p_clear(&p);
}

static void
test_failure_field(void)
{
	P p;
	EsessNegOut o = { NULL, NULL };
	EsessXmlNode *root = NULL;
	const char *other[1] = { "AAECAwQFBgcICQoLDA0ODw==" };
	char *t;

	/* Alice refuses message 2 */
	refuse_m2("modp", "15", ESESS_ERR_NOT_OFFERED, "<not-acceptable");
	refuse_m2("crypt_algs", "aes192-ctr", ESESS_ERR_NOT_OFFERED, "<not-acceptable");
	refuse_m2("logging", "sometimes", ESESS_ERR_NOT_OFFERED, "<not-acceptable");
	refuse_m2("nonce", other[0], ESESS_ERR_NONCE, "<not-acceptable");
	refuse_m2("counter", "!!", ESESS_ERR_BASE64, "<not-acceptable");
	refuse_m2("my_nonce", "AAEC", ESESS_ERR_LENGTH, "<not-acceptable");
	refuse_m2("FORM_TYPE", "urn:xmpp:other", ESESS_ERR_FORM, "<not-acceptable");

	/* Bob refuses message 3: a forged mac (M_A) */
	p_init(&p);
	p_m1(&p);
	g_assert_cmpint(p_respond(&p, p.m[1]), ==, ESESS_OK);
	g_assert_cmpint(p_recv(&p, p.a, p.m[2], 3), ==, ESESS_OK);
	t = neg_set_field(p.m[3], "mac", (const char *const[]){ "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=" }, 1);
	g_assert_cmpint(p_recv(&p, p.b, t, 4), ==, ESESS_ERR_IDENTITY);
	g_assert_cmpstr(esess_neg_failure_field(p.b), ==, "mac");
	g_assert_nonnull(strstr(p.err, "<feature-not-implemented"));
	g_assert_nonnull(strstr(p.err, "<field var='mac'/>"));
	g_free(t);
	/* and one with the wrong nonce echo: an error now too */
	p_clear(&p);
	p_init(&p);
	p_m1(&p);
	g_assert_cmpint(p_respond(&p, p.m[1]), ==, ESESS_OK);
	g_assert_cmpint(p_recv(&p, p.a, p.m[2], 3), ==, ESESS_OK);
	t = neg_set_field(p.m[3], "nonce", other, 1);
	g_assert_cmpint(p_recv(&p, p.b, t, 4), ==, ESESS_ERR_NONCE);
	g_assert_cmpstr(esess_neg_failure_field(p.b), ==, "nonce");
	g_assert_nonnull(p.err);
	g_assert_nonnull(strstr(p.err, "<field var='nonce'/>"));
	g_free(t);
	p_clear(&p);

	/* Alice refuses message 4: the srshash is not 32 bytes */
	p_init(&p);
	p_m1(&p);
	g_assert_cmpint(p_respond(&p, p.m[1]), ==, ESESS_OK);
	g_assert_cmpint(p_recv(&p, p.a, p.m[2], 3), ==, ESESS_OK);
	g_assert_cmpint(p_recv(&p, p.b, p.m[3], 4), ==, ESESS_OK);
	t = neg_set_field(p.m[4], "srshash", other, 1);
	g_assert_cmpint(p_recv(&p, p.a, t, 0), ==, ESESS_ERR_LENGTH);
	g_assert_cmpstr(esess_neg_failure_field(p.a), ==, "srshash");
	g_assert_nonnull(p.err);
	g_assert_nonnull(strstr(p.err, "<field var='srshash'/>"));
	g_free(t);
	p_clear(&p);

	/* Bob refuses message 1: only a group below policy */
	p_init(&p);
	p_m1(&p);
	p.cb.policy.min_modp_bits = 3072;
	g_assert_cmpint(esess_xml_parse(p.m[1], strlen(p.m[1]), NULL, &root), ==, ESESS_OK);
	g_assert_cmpint(esess_neg_respond(&p.cb, esess_xml_child(root, "feature",
								 ESESS_NS_FEATURENEG),
					  &p.b, &o), ==, ESESS_ERR_POLICY);
	g_assert_cmpstr(o.field, ==, "modp");
	g_assert_nonnull(o.error);
	esess_neg_out_clear(&o);
	g_assert_cmpstr(o.field, ==, "");
	esess_xml_free(root);
	/* a negotiation that has not failed names no field */
	g_assert_null(esess_neg_failure_field(p.a));
	p_clear(&p);
}

/* R20: Gajim's feature-not-implemented with only a <text/> reason is a
 * failed negotiation, like any error in the thread */
static void
test_gajim_text_error(void)
{
	Fx fx;
	EsessStep step;
	char *err;

	fx_init(&fx);
	fx.a.cfg.peer_jid = fx.b.bare;
	fx.a.cfg.peer_caps_node = "http://gajim.org";
	esess_step_init(&step);
	g_assert_cmpint(esess_chat_start(&fx.a.cfg, &fx.a.chat, &step), ==, ESESS_OK);
	esess_step_clear(&step);
	err = g_strdup_printf("<message from='bob@example.com/gajim' type='error'><thread>%s</thread>"
			      "<error type='cancel'><feature-not-implemented "
			      "xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/><text "
			      "xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'>Unknown</text></error></message>",
			      esess_chat_thread(fx.a.chat));
	g_assert_cmpint(neg_deliver(&fx.a, err, NULL), ==, ESESS_ERR_PEER_ERROR);
	g_assert_cmpint(fx.a.last_event, ==, ESESS_EV_FAILED);
	g_assert_true(fx.a.by_peer);
	g_assert_cmpint(esess_chat_state(fx.a.chat), ==, ESESS_CHAT_ENDED);
	g_free(err);
	fx_clear(&fx);
}












static void
test_keypool_m1_time(void)
{
	EsessKeyPool *pool;
	guint groups[3] = { 15, 14, 16 };
	P p;
	gint64 t0, t1;
	double best = 1e9;
	int i;

	pool = esess_keypool_new();
	p_init(&p);
	p.groups[0] = 15;
	p.groups[1] = 14;
	p.groups[2] = 16;
	p.ca.n_groups = 3;
	p.ca.pool = pool;
	for (i = 0; i < 5; i++) {
		while (esess_keypool_fill_one(pool, groups, 3))
			;
		g_assert_cmpuint(esess_keypool_count(pool, 16), ==, 2);
		t0 = g_get_monotonic_time();
		p_m1(&p);
		t1 = g_get_monotonic_time();
		if ((double)(t1 - t0) < best)
			best = (double)(t1 - t0);
		/* the key pairs were taken: never reused */
		g_assert_cmpuint(esess_keypool_count(pool, 16), ==, 1);
		esess_neg_free(p.a);
		p.a = NULL;
	}
	g_test_message("message 1 with a full pool (groups 15, 14, 16): best of 5 = %.1f us", best);
	g_test_minimized_result(best, "M1 with full pool: %.1f us", best);
	p_clear(&p);
	esess_keypool_free(pool);
}

/* Counts the engine's calls to libgcrypt's strong generator (this
 * definition takes the place of libgcrypt's for the engine linked into this
 * program) and forwards them. */
static guint strong_calls;

void
gcry_randomize(void *buffer, size_t length, enum gcry_random_level level)
{
	static void (*real)(void *, size_t, enum gcry_random_level);

	if (real == NULL)
		real = (void (*)(void *, size_t, enum gcry_random_level))
			dlsym(RTLD_NEXT, "gcry_randomize");
	g_assert_nonnull(real);
	if (level >= GCRY_STRONG_RANDOM)
		strong_calls++;
	real(buffer, length, level);
}

/* Issue 11 item 5: the nonce and the thread are public; they come from the
 * nonce generator, never from the strong one (which costs microseconds per
 * call and is kept for secrets). */
static void
test_public_values_nonce_generator(void)
{
	EsessNegConfig cfg;
	EsessNeg *neg;
	guint8 n1[ESESS_NEG_NONCE_MAX], n2[ESESS_NEG_NONCE_MAX];
	size_t l1 = 0, l2 = 0;
	char *t1, *t2;
	guint before;

	memset(&cfg, 0, sizeof cfg);
	cfg.account = "alice@example.org";
	cfg.peer = "bob@example.com";
	neg = esess_neg_alloc(&cfg, TRUE);
	before = strong_calls;
	esess_neg_own_nonce(neg, n1, &l1);
	esess_neg_own_nonce(neg, n2, &l2);
	t1 = esess_chat_new_thread();
	t2 = esess_chat_new_thread();
	g_assert_cmpuint(strong_calls - before, ==, 0);
	/* still fresh each time */
	g_assert_cmpuint(l1, ==, ESESS_NEG_NONCE_LEN);
	g_assert_cmpuint(l2, ==, ESESS_NEG_NONCE_LEN);
	g_assert_false(memcmp(n1, n2, l1) == 0);
	g_assert_cmpstr(t1, !=, t2);
	/* the strong generator is still the one for secrets */
	esess_random(n1, 16);
	g_assert_cmpuint(strong_calls - before, ==, 1);
	g_free(t1);
	g_free(t2);
	esess_neg_free(neg);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_assert_cmpint(esess_crypto_init(), ==, ESESS_OK);
	g_test_add_func("/neg/vectors/r3-keys", test_r3_keys);
	g_test_add_func("/neg/vectors/r6-identity-mac", test_r6_identity_mac);
	g_test_add_func("/neg/vectors/r7-m1-form", test_r7_m1_form);
	g_test_add_func("/neg/vectors/r8-sas", test_r8_sas);
	g_test_add_func("/neg/vectors/r9-retained", test_r9_retained);
	g_test_add_func("/neg/flow/full", test_neg_full);
	g_test_add_func("/neg/flow/gajim-shapes", test_gajim_shapes);
	g_test_add_func("/neg/flow/gajim-initiator", test_gajim_initiator);
	g_test_add_func("/neg/flow/gajim-responder-mpi-counter", test_gajim_responder);
	g_test_add_func("/neg/keypool/m1-time", test_keypool_m1_time);
	g_test_add_func("/neg/public-values-nonce-generator", test_public_values_nonce_generator);
	g_test_add_func("/neg/flow/nonce-echo", test_nonce_echo);
	g_test_add_func("/neg/flow/gajim-text-error", test_gajim_text_error);
	g_test_add_func("/neg/flow/modp-hidden-values", test_modp_hidden_values);
	g_test_add_func("/neg/flow/failure-field", test_failure_field);
	return g_test_run();
}
