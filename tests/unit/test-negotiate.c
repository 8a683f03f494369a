/*
 * test-negotiate: the XEP-0116 negotiation engine.  Known answers (INTEROP
 * R3, R6, R7, R8, R9 from tests/vectors/neg-*), the state machines driven
 * directly (EsessNeg), and one test per applicable SECURITY item, named
 * "/neg/security/NN-name".
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
#include "../protocol/neg-harness.h"

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

typedef struct {
	char *dir;
	EsessStore *sa, *sb;
	EsessNegConfig ca, cb;
	guint groups[3];
	EsessNeg *a, *b;
	char *m[6];         /* m[1]..m[4]: the four messages as text */
	char *err;          /* last error stanza produced, or NULL */
} P;

static void
p_init(P *p)
{
	memset(p, 0, sizeof *p);
	p->dir = neg_tmpdir();
	p->groups[0] = 14;
	p->ca.account = "alice@example.org";
	p->ca.peer = "bob@example.com";
	p->cb.account = "bob@example.com";
	p->cb.peer = "alice@example.org";
	p->ca.policy.min_modp_bits = p->cb.policy.min_modp_bits = 2048;
	p->ca.policy.logging = p->cb.policy.logging = ESESS_LOGPREF_PREFER;
	p->ca.policy.min_rekey_freq = p->cb.policy.min_rekey_freq = 1;
	p->ca.groups = p->groups;
	p->ca.n_groups = 1;
}

static void
p_clear(P *p)
{
	int i;

	esess_neg_free(p->a);
	esess_neg_free(p->b);
	for (i = 0; i < 6; i++)
		g_free(p->m[i]);
	g_free(p->err);
	esess_store_free(p->sa);
	esess_store_free(p->sb);
	neg_rmdir(p->dir);
	g_free(p->dir);
}

static char *
wrap(EsessXmlNode *el, const char *from, const char *type)
{
	EsessXmlNode *m;
	char *s;

	m = esess_xml_new("message", ESESS_NS_CLIENT);
	esess_xml_set_attr(m, "from", from);
	if (type != NULL)
		esess_xml_set_attr(m, "type", type);
	(void)esess_xml_add_text_child(m, "thread", "ffd7076498744578d10edabfe7f4a866");
	esess_xml_append(m, el);
	s = esess_xml_to_string(m);
	esess_xml_free(m);
	return s;
}

static void
take_out(P *p, EsessNegOut *o, const char *from, char **slot)
{
	g_free(p->err);
	p->err = NULL;
	if (o->reply != NULL && slot != NULL) {
		g_free(*slot);
		*slot = wrap(o->reply, from, NULL);
		o->reply = NULL;
	}
	if (o->error != NULL) {
		p->err = wrap(o->error, from, "error");
		o->error = NULL;
	}
	esess_neg_out_clear(o);
}

static void
p_m1(P *p)
{
	EsessNegOut o = { NULL, NULL };

	g_assert_cmpint(esess_neg_initiate(&p->ca, &p->a, &o), ==, ESESS_OK);
	take_out(p, &o, "alice@example.org/pda", &p->m[1]);
}

/* Bob answers text (message 1) */
static EsessStatus
p_respond(P *p, const char *text)
{
	EsessNegOut o = { NULL, NULL };
	EsessXmlNode *root = NULL;
	EsessStatus r;

	r = esess_xml_parse(text, strlen(text), NULL, &root);
	if (r != ESESS_OK)
		return r;
	esess_neg_free(p->b);
	p->b = NULL;
	r = esess_neg_respond(&p->cb, esess_xml_child(root, "feature", ESESS_NS_FEATURENEG)
				      ? esess_xml_child(root, "feature", ESESS_NS_FEATURENEG) : root,
			      &p->b, &o);
	take_out(p, &o, "bob@example.com/laptop", &p->m[2]);
	esess_xml_free(root);
	return r;
}

static EsessStatus
p_recv(P *p, EsessNeg *neg, const char *text, int slot)
{
	EsessNegOut o = { NULL, NULL };
	EsessXmlNode *root = NULL;
	EsessStatus r;

	r = esess_xml_parse(text, strlen(text), NULL, &root);
	if (r != ESESS_OK)
		return r;
	r = esess_neg_receive(neg, root, &o);
	take_out(p, &o, neg == p->a ? "alice@example.org/pda" : "bob@example.com/laptop",
		 slot > 0 ? &p->m[slot] : NULL);
	esess_xml_free(root);
	return r;
}

/* runs the four messages; returns the first failure */
static EsessStatus
p_run(P *p)
{
	EsessStatus r;

	p_m1(p);
	r = p_respond(p, p->m[1]);
	if (r != ESESS_OK)
		return r;
	r = p_recv(p, p->a, p->m[2], 3);
	if (r != ESESS_OK)
		return r;
	r = p_recv(p, p->b, p->m[3], 4);
	if (r != ESESS_OK)
		return r;
	return p_recv(p, p->a, p->m[4], 0);
}

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

/* message 2 with dhkeys replaced by raw bytes v */
static EsessStatus
bad_d(const guint8 *v, size_t n, P *p)
{
	const char *vals[1];
	char *b64, *t;
	EsessStatus r;

	p_m1(p);
	g_assert_cmpint(p_respond(p, p->m[1]), ==, ESESS_OK);
	b64 = esess_base64_encode(v, n);
	vals[0] = b64;
	t = neg_set_field(p->m[2], "dhkeys", vals, 1);
	r = p_recv(p, p->a, t, 3);
	g_free(t);
	g_free(b64);
	return r;
}

static void
assert_failed_wiped(EsessNeg *neg)
{
	size_t len;

	g_assert_cmpint(esess_neg_state(neg), ==, ESESS_NEG_FAILED);
	g_assert_null(esess_neg_own_public(neg, 14, &len));
	g_assert_null(esess_neg_result(neg));
}

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

static guint8 *
prime_plus(gint delta, size_t *n)
{
	const guint8 *pr;
	guint8 *v;
	int i, carry;

	pr = esess_modp_prime(14, n);
	v = g_memdup2(pr, *n);
	carry = delta;
	for (i = (int)*n - 1; i >= 0 && carry != 0; i--) {
		int x = v[i] + carry;

		carry = x < 0 ? -1 : (x > 255 ? 1 : 0);
		v[i] = (guint8)(x & 0xff);
	}
	return v;
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
m2_field(const char *var, const char *value, EsessStatus want)
{
	P p;
	char *t;
	const char *vals[1];

	p_init(&p);
	p_m1(&p);
	g_assert_cmpint(p_respond(&p, p.m[1]), ==, ESESS_OK);
	vals[0] = value;
	t = neg_set_field(p.m[2], var, value != NULL ? vals : NULL, 1);
	g_assert_cmpint(p_recv(&p, p.a, t, 3), ==, want);
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

static void
sec_52_duplicate(void)
{
	P p;

	p_init(&p);
	g_assert_cmpint(p_run(&p), ==, ESESS_OK);
	/* a second message 3 / message 4 after DONE: ignored, no new keys */
	g_assert_cmpint(p_recv(&p, p.b, p.m[3], 5), ==, ESESS_ERR_STATE);
	g_assert_null(p.m[5]);
	g_assert_cmpint(esess_neg_state(p.b), ==, ESESS_NEG_DONE);
	g_assert_cmpint(p_recv(&p, p.a, p.m[4], 5), ==, ESESS_ERR_STATE);
	g_assert_cmpint(esess_neg_state(p.a), ==, ESESS_NEG_DONE);
	p_clear(&p);
	/* a second message 2 while waiting for message 4: fails, no new keys */
	p_init(&p);
	p_m1(&p);
	g_assert_cmpint(p_respond(&p, p.m[1]), ==, ESESS_OK);
	g_assert_cmpint(p_recv(&p, p.a, p.m[2], 3), ==, ESESS_OK);
	g_assert_cmpint(p_recv(&p, p.a, p.m[2], 5), ==, ESESS_ERR_STATE);
	g_assert_null(p.m[5]);
	assert_failed_wiped(p.a);
	p_clear(&p);
}

static void
sec_53_reordered(void)
{
	P p, q;

	/* message 4 of another run before message 2 */
	p_init(&q);
	g_assert_cmpint(p_run(&q), ==, ESESS_OK);
	p_init(&p);
	p_m1(&p);
	g_assert_cmpint(p_recv(&p, p.a, q.m[4], 0), ==, ESESS_ERR_STATE);
	assert_failed_wiped(p.a);
	p_clear(&p);
	/* message 3 to Bob before he answered: Bob has no state for it; and
	 * message 2 to Bob (a responder never takes one) */
	p_init(&p);
	p_m1(&p);
	g_assert_cmpint(p_respond(&p, p.m[1]), ==, ESESS_OK);
	g_assert_cmpint(p_recv(&p, p.b, q.m[2], 0), ==, ESESS_ERR_STATE);
	g_assert_cmpint(esess_neg_state(p.b), ==, ESESS_NEG_FAILED);
	p_clear(&p);
	p_clear(&q);
}

static void
sec_57_no_half_state(void)
{
	P p;
	const guint8 *e;
	guint8 *e1;
	size_t n1, n2;

	p_init(&p);
	p_m1(&p);
	e = esess_neg_own_public(p.a, 14, &n1);
	e1 = g_memdup2(e, n1);
	g_assert_cmpint(p_respond(&p, p.m[1]), ==, ESESS_OK);
	g_assert_cmpint(p_recv(&p, p.a, p.m[1], 3), ==, ESESS_ERR_STATE); /* junk */
	assert_failed_wiped(p.a);
	g_assert_cmpint(p_recv(&p, p.a, p.m[2], 3), ==, ESESS_ERR_STATE); /* sticky */
	p_clear(&p);
	p_init(&p);
	p_m1(&p);
	e = esess_neg_own_public(p.a, 14, &n2);
	g_assert_false(n1 == n2 && memcmp(e, e1, n1) == 0); /* fresh x, e */
	g_assert_cmpint(p_respond(&p, p.m[1]), ==, ESESS_OK);
	g_assert_cmpint(p_recv(&p, p.a, p.m[2], 3), ==, ESESS_OK);
	g_assert_cmpint(p_recv(&p, p.b, p.m[3], 4), ==, ESESS_OK);
	g_assert_cmpint(p_recv(&p, p.a, p.m[4], 0), ==, ESESS_OK);
	g_free(e1);
	p_clear(&p);
}

static void
sec_59_huge_form(void)
{
	P p;
	GString *s;
	char *t;
	int i;

	p_init(&p);
	p_m1(&p);
	s = g_string_new(p.m[1]);
	for (i = 0; i < 100; i++) {
		char *f = g_strdup_printf("<field var='junk%d'><value>x</value></field>", i);
		char *pos = strstr(s->str, "</x>");

		g_string_insert(s, pos - s->str, f);
		g_free(f);
	}
	t = g_string_free(s, FALSE);
	g_assert_cmpint(p_respond(&p, t), ==, ESESS_ERR_XML_LIMIT);
	g_assert_null(p.b);
	g_free(t);
	p_clear(&p);
}

static void
sec_60_integers(void)
{
	m2_field("rekey_freq", "+5", ESESS_ERR_FORM);
	m2_field("rekey_freq", "-1", ESESS_ERR_FORM);
	m2_field("rekey_freq", "18446744073709551616", ESESS_ERR_FORM);
	m2_field("rekey_freq", "12ab", ESESS_ERR_FORM);
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

typedef struct {
	char *dir;
	NegParty a, b;
	NegWire w;
} Fx;

static void
fx_init(Fx *fx)
{
	fx->dir = neg_tmpdir();
	neg_party_init(&fx->a, "alice@example.org/pda", fx->dir);
	neg_party_init(&fx->b, "bob@example.com/laptop", fx->dir);
	neg_wire_init(&fx->w, NULL, NULL);
}

static void
fx_clear(Fx *fx)
{
	neg_party_clear(&fx->a);
	neg_party_clear(&fx->b);
	neg_wire_clear(&fx->w);
	neg_rmdir(fx->dir);
	g_free(fx->dir);
}

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
sec_31_sas_mismatch(void)
{
	Fx fx;
	EsessStep step;

	fx_init(&fx);
	g_assert_true(neg_run(&fx.a, &fx.b, &fx.w, FALSE));
	esess_step_init(&step);
	g_assert_cmpint(esess_chat_sas_result(fx.a.chat, FALSE, &step), ==, ESESS_ERR_SAS_MISMATCH);
	g_assert_cmpint(step.event, ==, ESESS_EV_ENDED);
	g_assert_cmpint(step.status, ==, ESESS_ERR_SAS_MISMATCH);
	g_assert_cmpuint(step.send->len, ==, 1); /* terminate */
	esess_step_clear(&step);
	g_assert_cmpint(esess_chat_state(fx.a.chat), ==, ESESS_CHAT_ENDED);
	/* no retained secret kept on Alice's side: Bob's one no longer matches */
	neg_party_reset(&fx.a);
	neg_party_reset(&fx.b);
	g_assert_true(neg_run(&fx.a, &fx.b, &fx.w, FALSE));
	g_assert_cmpint(esess_chat_continuity(fx.a.chat), ==, ESESS_CONT_NEW);
	g_assert_cmpint(esess_chat_continuity(fx.b.chat), ==, ESESS_CONT_BROKEN);
	fx_clear(&fx);
}

/* message 2 re-serialised: whitespace between elements, double quotes */
static char *
reformat(guint index, const char *s, gpointer data)
{
	GString *g;
	const char *p;

	(void)data;
	if (index != 2)
		return g_strdup(s);
	g = g_string_new(NULL);
	for (p = s; *p != '\0'; p++) {
		if (*p == '\'')
			g_string_append_c(g, '"');
		else
			g_string_append_c(g, *p);
		if (*p == '>' && p[1] == '<')
			g_string_append(g, "\n  ");
	}
	return g_string_free(g, FALSE);
}

static void
sec_32_sas_normalised(void)
{
	Fx fx;

	fx_init(&fx);
	neg_wire_clear(&fx.w);
	neg_wire_init(&fx.w, reformat, NULL);
	g_assert_true(neg_run(&fx.a, &fx.b, &fx.w, FALSE));
	g_assert_cmpstr(esess_chat_sas(fx.a.chat), ==, esess_chat_sas(fx.b.chat));
	fx_clear(&fx);
}

static void
sec_33_continuity_broken(void)
{
	Fx fx;
	char *path;

	fx_init(&fx);
	g_assert_true(neg_run(&fx.a, &fx.b, &fx.w, FALSE));
	/* Bob loses his secrets (or a MitM stands in for him) */
	neg_party_reset(&fx.a);
	neg_party_reset(&fx.b);
	g_assert_cmpint(esess_store_forget_peer(fx.b.store, fx.b.bare, fx.a.bare), ==, ESESS_OK);
	g_assert_true(neg_run(&fx.a, &fx.b, &fx.w, FALSE));
	g_assert_cmpint(esess_chat_continuity(fx.a.chat), ==, ESESS_CONT_BROKEN);
	g_assert_cmpint(esess_chat_continuity(fx.b.chat), ==, ESESS_CONT_NEW);
	path = NULL;
	g_free(path);
	fx_clear(&fx);
}

static void
sec_50_unknown_session(void)
{
	Fx fx;
	char *enc = NULL;
	GPtrArray *out;
	EsessStep step;
	const char *msg = "<message to='bob@example.com' type='chat'><body>x</body></message>";

	fx_init(&fx);
	g_assert_true(neg_run(&fx.a, &fx.b, &fx.w, FALSE));
	esess_step_init(&step);
	g_assert_cmpint(esess_chat_encrypt(fx.a.chat, msg, strlen(msg), &step), ==, ESESS_OK);
	enc = neg_set_from(g_ptr_array_index(step.send, 0), fx.a.jid);
	esess_step_clear(&step);
	g_assert_cmpint(esess_chat_terminate(fx.b.chat, &step), ==, ESESS_OK);
	esess_step_clear(&step);
	/* after termination: ignored, nothing sent, nothing shown */
	out = g_ptr_array_new_with_free_func(g_free);
	g_assert_cmpint(neg_deliver(&fx.b, enc, out), ==, ESESS_ERR_SESSION_ENDED);
	g_assert_cmpuint(out->len, ==, 0);
	g_assert_null(fx.b.last_deliver);
	g_ptr_array_unref(out);
	g_free(enc);
	fx_clear(&fx);
}

#define TERM_FMT "<message from='%s' to='%s'><thread>%s</thread>" \
	"<feature xmlns='http://jabber.org/protocol/feature-neg'>" \
	"<x xmlns='jabber:x:data' type='submit'>" \
	"<field var='FORM_TYPE'><value>urn:xmpp:ssn</value></field>" \
	"<field var='terminate'><value>1</value></field></x></feature></message>"

static void
sec_51_terminate_forged(void)
{
	Fx fx;
	char *term, *other;

	fx_init(&fx);
	fx.a.cfg.peer_has_plugin = fx.b.cfg.peer_has_plugin = TRUE;
	g_assert_true(neg_run(&fx.a, &fx.b, &fx.w, FALSE));
	/* plaintext (no MAC) to a peer of this plugin: ignored */
	term = g_strdup_printf(TERM_FMT, fx.a.jid, fx.b.jid, esess_chat_thread(fx.b.chat));
	g_assert_cmpint(neg_deliver(&fx.b, term, NULL), ==, ESESS_ERR_MAC);
	g_assert_cmpint(esess_chat_state(fx.b.chat), ==, ESESS_CHAT_ESTABLISHED);
	/* another thread: ignored */
	other = g_strdup_printf(TERM_FMT, fx.a.jid, fx.b.jid, "someotherthreadid");
	g_assert_cmpint(neg_deliver(&fx.b, other, NULL), ==, ESESS_ERR_WRONG_PEER);
	g_assert_cmpint(esess_chat_state(fx.b.chat), ==, ESESS_CHAT_ESTABLISHED);
	g_free(term);
	g_free(other);
	fx_clear(&fx);
}

static void
sec_54_simultaneous(void)
{
	Fx fx;
	EsessStep step;
	EsessMsgInfo ia, ib;
	char *s;

	fx_init(&fx);
	fx.a.cfg.peer_jid = fx.b.bare;
	fx.b.cfg.peer_jid = fx.a.bare;
	esess_step_init(&step);
	g_assert_cmpint(esess_chat_start(&fx.a.cfg, &fx.a.chat, &step), ==, ESESS_OK);
	s = neg_set_from(g_ptr_array_index(step.send, 0), fx.a.jid);
	g_assert_cmpint(esess_msg_inspect(s, strlen(s), fx.b.jid, &ib), ==, ESESS_OK);
	g_free(s);
	esess_step_clear(&step);
	g_assert_cmpint(esess_chat_start(&fx.b.cfg, &fx.b.chat, &step), ==, ESESS_OK);
	s = neg_set_from(g_ptr_array_index(step.send, 0), fx.b.jid);
	g_assert_cmpint(esess_msg_inspect(s, strlen(s), fx.a.jid, &ia), ==, ESESS_OK);
	g_free(s);
	esess_step_clear(&step);
	/* alice@example.org > bob@example.com? 'a' < 'b': Alice keeps hers */
	g_assert_false(esess_chat_yields_to(fx.a.chat, &ia));
	g_assert_true(esess_chat_yields_to(fx.b.chat, &ib));
	esess_msg_info_clear(&ia);
	esess_msg_info_clear(&ib);
	fx_clear(&fx);
}

static void
sec_55_wrong_jid(void)
{
	Fx fx;
	EsessStep step;
	GPtrArray *out;
	char *m1, *m2, *forged;
	guint i;

	fx_init(&fx);
	fx.a.cfg.peer_jid = fx.b.bare;
	esess_step_init(&step);
	g_assert_cmpint(esess_chat_start(&fx.a.cfg, &fx.a.chat, &step), ==, ESESS_OK);
	m1 = neg_set_from(g_ptr_array_index(step.send, 0), fx.a.jid);
	esess_step_clear(&step);
	out = g_ptr_array_new_with_free_func(g_free);
	(void)neg_deliver(&fx.b, m1, out);
	g_assert_cmpuint(out->len, ==, 1);
	/* the answer from mallory: dropped, nothing changes */
	forged = neg_set_from(g_ptr_array_index(out, 0), "mallory@example.net/x");
	g_assert_cmpint(neg_deliver(&fx.a, forged, NULL), ==, ESESS_ERR_WRONG_PEER);
	g_assert_cmpint(esess_chat_state(fx.a.chat), ==, ESESS_CHAT_NEGOTIATING);
	g_free(forged);
	/* the real answer pins Bob's full JID */
	m2 = neg_set_from(g_ptr_array_index(out, 0), fx.b.jid);
	g_ptr_array_set_size(out, 0);
	(void)neg_deliver(&fx.a, m2, out);
	g_assert_cmpstr(esess_chat_peer(fx.a.chat), ==, fx.b.jid);
	g_assert_cmpuint(out->len, ==, 1);
	(void)neg_deliver(&fx.b, (forged = neg_set_from(g_ptr_array_index(out, 0), fx.a.jid)), out);
	g_free(forged);
	/* message 4 from another resource of Bob: dropped */
	for (i = 0; i < out->len; i++) {
		const char *s = g_ptr_array_index(out, i);

		if (strstr(s, "#ns-init") == NULL)
			continue;
		forged = neg_set_from(s, "bob@example.com/phone");
		g_assert_cmpint(neg_deliver(&fx.a, forged, NULL), ==, ESESS_ERR_WRONG_PEER);
		g_free(forged);
		forged = neg_set_from(s, fx.b.jid);
		g_assert_cmpint(neg_deliver(&fx.a, forged, NULL), ==, ESESS_OK);
		g_free(forged);
	}
	g_assert_cmpint(esess_chat_state(fx.a.chat), ==, ESESS_CHAT_ESTABLISHED);
	g_ptr_array_unref(out);
	g_free(m1);
	g_free(m2);
	fx_clear(&fx);
}

static void
sec_56_offline(void)
{
	Fx fx;
	EsessStep step;
	const char *q = "<message to='bob@example.com'><body>pending</body></message>";

	fx_init(&fx);
	fx.a.cfg.peer_jid = fx.b.bare;
	esess_step_init(&step);
	g_assert_cmpint(esess_chat_start(&fx.a.cfg, &fx.a.chat, &step), ==, ESESS_OK);
	esess_step_clear(&step);
	g_assert_cmpint(esess_chat_encrypt(fx.a.chat, q, strlen(q), &step), ==, ESESS_OK);
	esess_step_clear(&step);
	/* the peer went offline: ended without sending, queue reported */
	esess_chat_abort(fx.a.chat, ESESS_ERR_TIMEOUT, &step);
	g_assert_cmpint(step.event, ==, ESESS_EV_FAILED);
	g_assert_cmpint(step.status, ==, ESESS_ERR_TIMEOUT);
	g_assert_cmpuint(step.send->len, ==, 0);
	g_assert_cmpuint(step.unsent->len, ==, 1);
	g_assert_cmpstr(g_ptr_array_index(step.unsent, 0), ==, "pending");
	esess_step_clear(&step);
	g_assert_cmpint(esess_chat_state(fx.a.chat), ==, ESESS_CHAT_ENDED);
	fx_clear(&fx);
}

static void
sec_58_rate_limit(void)
{
	Fx fx;
	EsessLimiter *lim;
	EsessChat *c[20];
	EsessStep step;
	char peer[64];
	int i;

	fx_init(&fx);
	lim = esess_limiter_new(ESESS_LIMIT_PER_PEER, ESESS_LIMIT_WINDOW_S, ESESS_LIMIT_IN_FLIGHT);
	esess_limiter_set_time(lim, 1000000);
	fx.a.cfg.limiter = lim;
	fx.a.cfg.peer_jid = fx.b.bare;
	memset(c, 0, sizeof c);
	esess_step_init(&step);
	for (i = 0; i < 5; i++) {
		g_assert_cmpint(esess_chat_start(&fx.a.cfg, &c[i], &step), ==, ESESS_OK);
		esess_step_clear(&step);
	}
	g_assert_cmpint(esess_chat_start(&fx.a.cfg, &c[5], &step), ==, ESESS_ERR_RATE_LIMIT);
	g_assert_null(c[5]);
	g_assert_cmpuint(esess_limiter_in_flight(lim), ==, 5);
	/* a minute later the peer may ask again */
	esess_limiter_set_time(lim, 1000000 + 60 * G_USEC_PER_SEC);
	g_assert_cmpint(esess_chat_start(&fx.a.cfg, &c[5], &step), ==, ESESS_OK);
	esess_step_clear(&step);
	/* the cap on negotiations in flight, across peers */
	for (i = 6; i < 20; i++) {
		g_snprintf(peer, sizeof peer, "peer%d@example.net", i);
		fx.a.cfg.peer_jid = peer;
		g_assert_cmpint(esess_chat_start(&fx.a.cfg, &c[i], &step),
				==, i < 16 ? ESESS_OK : ESESS_ERR_RATE_LIMIT);
		esess_step_clear(&step);
	}
	g_assert_cmpuint(esess_limiter_in_flight(lim), ==, 16);
	for (i = 0; i < 20; i++)
		esess_chat_free(c[i]);
	g_assert_cmpuint(esess_limiter_in_flight(lim), ==, 0);
	esess_limiter_free(lim);
	fx.a.cfg.limiter = NULL;
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
	g_test_add_func("/neg/flow/nonce-echo", test_nonce_echo);
	g_test_add_func("/neg/flow/gajim-text-error", test_gajim_text_error);
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
	g_test_add_func("/neg/security/30-wrong-counter", sec_30_wrong_counter);
	g_test_add_func("/neg/security/31-sas-mismatch", sec_31_sas_mismatch);
	g_test_add_func("/neg/security/32-sas-normalised-form", sec_32_sas_normalised);
	g_test_add_func("/neg/security/33-continuity-broken", sec_33_continuity_broken);
	g_test_add_func("/neg/security/50-unknown-session", sec_50_unknown_session);
	g_test_add_func("/neg/security/51-terminate-forged", sec_51_terminate_forged);
	g_test_add_func("/neg/security/52-duplicate", sec_52_duplicate);
	g_test_add_func("/neg/security/53-reordered", sec_53_reordered);
	g_test_add_func("/neg/security/54-simultaneous", sec_54_simultaneous);
	g_test_add_func("/neg/security/55-wrong-jid", sec_55_wrong_jid);
	g_test_add_func("/neg/security/56-offline", sec_56_offline);
	g_test_add_func("/neg/security/57-no-half-state", sec_57_no_half_state);
	g_test_add_func("/neg/security/58-rate-limit", sec_58_rate_limit);
	g_test_add_func("/neg/security/59-huge-form", sec_59_huge_form);
	g_test_add_func("/neg/security/60-integers", sec_60_integers);
	return g_test_run();
}
