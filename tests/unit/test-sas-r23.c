/*
 * test-sas-r23: the committed SAS of INTEROP R23 (SECURITY 63, doc/sas.md).
 *
 * The legacy SAS (R8) hashes M_A, which covers message 3, written by the
 * initiator after it saw d: its fillers are free bytes a man in the middle
 * can vary until the SAS matches.  The committed SAS hashes only N_A, N_B,
 * form_A, form_B, e and d.  These tests pin its known answer, show that no
 * change to message 3 or 4 (re-MACed so that the peer accepts it) moves it
 * while the same change moves the legacy one, and check the negotiation of
 * the option and the no-silent-fallback rule.
 */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "esess-bytes.h"
#include "esess-neg-private.h"
#include "esess-sas.h"
#include "neg-pair.h"

/* ---- the function ------------------------------------------------------- */

typedef struct {
	guint8 *n_a, *n_b, *e, *d;
	size_t n_a_len, n_b_len, e_len, d_len;
	char *form_a, *form_b;
	EsessSasInput in;
} Kat;

static void
kat_load(Kat *k, const char *text)
{
	char *h;

	h = neg_vector_get(text, "N_A");
	k->n_a = neg_unhex(h, &k->n_a_len);
	g_free(h);
	h = neg_vector_get(text, "N_B");
	k->n_b = neg_unhex(h, &k->n_b_len);
	g_free(h);
	h = neg_vector_get(text, "e");
	k->e = neg_unhex(h, &k->e_len);
	g_free(h);
	h = neg_vector_get(text, "d");
	k->d = neg_unhex(h, &k->d_len);
	g_free(h);
	k->form_a = neg_vector_get(text, "form_A");
	k->form_b = neg_vector_get(text, "form_B");
	k->in.n_a = k->n_a;
	k->in.n_a_len = k->n_a_len;
	k->in.n_b = k->n_b;
	k->in.n_b_len = k->n_b_len;
	k->in.e = k->e;
	k->in.e_len = k->e_len;
	k->in.d = k->d;
	k->in.d_len = k->d_len;
	k->in.form_a = k->form_a;
	k->in.form_a_len = strlen(k->form_a);
	k->in.form_b = k->form_b;
	k->in.form_b_len = strlen(k->form_b);
}

static void
kat_clear(Kat *k)
{
	g_free(k->n_a);
	g_free(k->n_b);
	g_free(k->e);
	g_free(k->d);
	g_free(k->form_a);
	g_free(k->form_b);
}

/* the known answer, computed outside this code base (tests/vectors) */
static void
test_vector(void)
{
	char *text, *want;
	char out[ESESS_SAS_MAX_LEN + 1];
	guint64 value;
	guint32 v;
	Kat k;

	text = neg_vector("neg-r23-sas.txt");
	kat_load(&k, text);
	g_assert_cmpuint(k.e[0], ==, 0);  /* hashed as MPI, without it */
	want = neg_vector_get(text, "value");
	g_assert_cmpint(esess_parse_uint(want, G_MAXUINT32, &value), ==, ESESS_OK);
	g_free(want);
	v = esess_sas_committed_value(&k.in);
	g_assert_cmpuint(v, ==, value);
	esess_sas_committed_format(v, out);
	want = neg_vector_get(text, "SAS");
	g_assert_cmpstr(out, ==, want);
	g_assert_cmpuint(strlen(out), ==, ESESS_SAS_COMMITTED_LEN);
	g_free(want);
	esess_sas_committed_format(0, out);
	want = neg_vector_get(text, "value_0");
	g_assert_cmpstr(out, ==, want);
	g_free(want);
	esess_sas_committed_format(ESESS_SAS_COMMITTED_RANGE - 1, out);
	want = neg_vector_get(text, "value_481890303");
	g_assert_cmpstr(out, ==, want);
	g_free(want);
	g_assert_cmpstr(ESESS_SAS_COMMITTED_NAME, ==, "urn:xmpp:esessions:purple:sas:0");
	g_assert_cmpstr(ESESS_SAS_COMMITTED_LABEL, ==, "Committed Short Authentication String");
	/* e without its leading zero octet: the same value (R2) */
	k.in.e = k.e + 1;
	k.in.e_len = k.e_len - 1;
	g_assert_cmpuint(esess_sas_committed_value(&k.in), ==, value);
	kat_clear(&k);
	g_free(text);
}

/* every input counts, and the length prefixes keep the inputs apart: moving
 * one byte from an input to the next changes the value */
static void
test_inputs(void)
{
	static const guint8 a[] = { 1, 2, 3, 4 }, b[] = { 5, 6, 7, 8 };
	EsessSasInput in, t;
	guint32 v;

	memset(&in, 0, sizeof in);
	in.n_a = a;
	in.n_a_len = 4;
	in.n_b = b;
	in.n_b_len = 4;
	in.e = a;
	in.e_len = 4;
	in.d = b;
	in.d_len = 4;
	in.form_a = "<x/>";
	in.form_a_len = 4;
	in.form_b = "<y/>";
	in.form_b_len = 4;
	v = esess_sas_committed_value(&in);
	g_assert_cmpuint(v, <, ESESS_SAS_COMMITTED_RANGE);
	t = in;
	t.n_a_len = 3;  /* 1 2 3 | 4 5 6 7 8 vs 1 2 3 4 | 5 6 7 8 */
	t.n_b = (const guint8 *)"\x04\x05\x06\x07\x08";
	t.n_b_len = 5;
	g_assert_cmpuint(esess_sas_committed_value(&t), !=, v);
	t = in;
	t.n_b = a;
	g_assert_cmpuint(esess_sas_committed_value(&t), !=, v);
	t = in;
	t.e = b;
	g_assert_cmpuint(esess_sas_committed_value(&t), !=, v);
	t = in;
	t.d = a;
	g_assert_cmpuint(esess_sas_committed_value(&t), !=, v);
	t = in;
	t.form_a = "<z/>";
	g_assert_cmpuint(esess_sas_committed_value(&t), !=, v);
	t = in;
	t.form_b = "<z/>";
	g_assert_cmpuint(esess_sas_committed_value(&t), !=, v);
	t = in;
	t.form_a = in.form_b;  /* swapped forms */
	t.form_b = in.form_a;
	g_assert_cmpuint(esess_sas_committed_value(&t), !=, v);
}

/* ---- the negotiation ---------------------------------------------------- */

static void
p_init_ext(P *p, gboolean ext)
{
	p_init(p);
	p->ca.policy.extensions = ext;
	p->cb.policy.extensions = ext;
}

static void
p_stores(P *p)
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

/* the base64 value of field var in a message, decoded */
static guint8 *
field_bytes(const char *stanza, const char *var, size_t *len)
{
	char *v = neg_get_field(stanza, var);
	guint8 *out = NULL;

	g_assert_nonnull(v);
	g_assert_cmpint(esess_base64_decode(v, strlen(v), 4096, &out, len), ==, ESESS_OK);
	g_free(v);
	return out;
}

/* R7 canon of the form in a message, as the receiver computes it */
static GString *
form_canon(const char *stanza)
{
	EsessXmlNode *root = NULL;
	GString *s = g_string_new(NULL);

	g_assert_cmpint(esess_xml_parse(stanza, strlen(stanza), NULL, &root), ==, ESESS_OK);
	esess_form_canon(esess_neg_find_x(root), NULL, s);
	esess_xml_free(root);
	return s;
}

/* The committed SAS computed by a bystander from messages 1 and 2 and the
 * e of message 3, which the commitment in message 1 fixed. */
static guint32
sas_from_wire(const P *p)
{
	EsessSasInput in;
	guint8 *na, *nb, *d, *e;
	GString *fa, *fb;
	guint32 v;

	na = field_bytes(p->m[1], "my_nonce", &in.n_a_len);
	nb = field_bytes(p->m[2], "my_nonce", &in.n_b_len);
	d = field_bytes(p->m[2], "dhkeys", &in.d_len);
	e = field_bytes(p->m[3], "dhkeys", &in.e_len);
	fa = form_canon(p->m[1]);
	fb = form_canon(p->m[2]);
	in.n_a = na;
	in.n_b = nb;
	in.d = d;
	in.e = e;
	in.form_a = fa->str;
	in.form_a_len = fa->len;
	in.form_b = fb->str;
	in.form_b_len = fb->len;
	v = esess_sas_committed_value(&in);
	g_free(na);
	g_free(nb);
	g_free(d);
	g_free(e);
	g_string_free(fa, TRUE);
	g_string_free(fb, TRUE);
	return v;
}

/* between peers of this plugin both sides use the committed SAS (6
 * characters), the value a bystander computes from messages 1 and 2 and e;
 * with a peer without the plugin's feature, the legacy one (5 characters) */
static void
test_flow(void)
{
	const EsessNegResult *ra, *rb;
	P p;

	p_init_ext(&p, TRUE);
	g_assert_cmpint(p_run(&p), ==, ESESS_OK);
	g_assert_nonnull(strstr(p.m[1], ESESS_SAS_COMMITTED_NAME));
	ra = esess_neg_result(p.a);
	rb = esess_neg_result(p.b);
	g_assert_cmpint(ra->sas_alg, ==, ESESS_SAS_ALG_COMMITTED);
	g_assert_cmpint(rb->sas_alg, ==, ESESS_SAS_ALG_COMMITTED);
	g_assert_cmpstr(ra->sas, ==, rb->sas);
	g_assert_cmpuint(strlen(ra->sas), ==, ESESS_SAS_COMMITTED_LEN);
	g_assert_cmpuint(ra->sas_value, ==, sas_from_wire(&p));
	g_assert_cmpuint(neg_sas_decode(ra->sas), ==, ra->sas_value);
	g_assert_false(ra->sas_fallback);
	p_clear(&p);

	p_init_ext(&p, FALSE);
	g_assert_cmpint(p_run(&p), ==, ESESS_OK);
	g_assert_null(strstr(p.m[1], ESESS_SAS_COMMITTED_NAME));
	ra = esess_neg_result(p.a);
	rb = esess_neg_result(p.b);
	g_assert_cmpint(ra->sas_alg, ==, ESESS_SAS_ALG_LEGACY);
	g_assert_cmpint(rb->sas_alg, ==, ESESS_SAS_ALG_LEGACY);
	g_assert_cmpstr(ra->sas, ==, rb->sas);
	g_assert_cmpuint(strlen(ra->sas), ==, ESESS_SAS_LEN);
	p_clear(&p);
}

/* Runs fn(i) in a child process for i in [0, n) and collects the 64-bit
 * results, so that one negotiation state can be fed n different messages. */
typedef guint64 (*ForkFn)(guint i, gpointer data);

static void
fork_each(guint n, ForkFn fn, gpointer data, guint64 *results)
{
	guint i;

	for (i = 0; i < n; i++) {
		int fds[2], status = 0;
		pid_t pid;
		guint64 v = 0;
		ssize_t got;

		g_assert_cmpint(pipe(fds), ==, 0);
		pid = fork();
		g_assert_cmpint(pid, >=, 0);
		if (pid == 0) {
			close(fds[0]);
			v = fn(i, data);
			if (write(fds[1], &v, sizeof v) != (ssize_t)sizeof v)
				_exit(2);
			_exit(0);
		}
		close(fds[1]);
		do {
			got = read(fds[0], &v, sizeof v);
		} while (got < 0 && errno == EINTR);
		close(fds[0]);
		g_assert_cmpint(waitpid(pid, &status, 0), ==, pid);
		g_assert_true(WIFEXITED(status));
		g_assert_cmpint(WEXITSTATUS(status), ==, 0);
		g_assert_cmpint(got, ==, (ssize_t)sizeof v);
		results[i] = v;
	}
}

#define N_VARIANTS 8
#define FAILED_MARK G_GUINT64_CONSTANT(0xffffffff00000000)

typedef struct {
	P *p;
	NegM3Forge *forge;
} M3Ctx;

static void
filler_for(guint i, guint8 filler[32])
{
	memset(filler, 0xa5, 32);
	filler[0] = (guint8)i;
	filler[31] = (guint8)(i * 7u);
}

/* child: Bob receives variant i of message 3; his SAS value, or a mark */
static guint64
bob_on_variant(guint i, gpointer data)
{
	M3Ctx *c = data;
	guint8 filler[32], m_a[32];
	char *text;
	EsessStatus r;

	filler_for(i, filler);
	neg_m3_forge_try(c->forge, filler, m_a);
	text = neg_m3_forge_text(c->forge);
	r = p_recv(c->p, c->p->b, text, 4);
	g_free(text);
	if (r != ESESS_OK)
		return FAILED_MARK | (guint64)r;
	return esess_neg_result(c->p->b)->sas_value;
}

/* SECURITY 63 property: Bob accepts every re-MACed variant of message 3;
 * with the committed SAS his SAS is the same for all of them and is what a
 * bystander computes from messages 1 and 2 and e; with the legacy SAS the
 * same variants give different values, each the one the forger predicted
 * from the M_A he wrote (the lever of the grinding attack). */
static void
check_m3_variants(gboolean ext)
{
	guint64 res[N_VARIANTS];
	guint8 filler[32], m_a[32];
	M3Ctx c;
	P p;
	guint i, distinct = 1;

	p_init_ext(&p, ext);
	p_m1(&p);
	g_assert_cmpint(p_respond(&p, p.m[1]), ==, ESESS_OK);
	g_assert_cmpint(p_recv(&p, p.a, p.m[2], 3), ==, ESESS_OK);
	c.p = &p;
	c.forge = neg_m3_forge_new(p.a, p.m[2], p.m[3]);
	fork_each(N_VARIANTS, bob_on_variant, &c, res);
	for (i = 0; i < N_VARIANTS; i++) {
		g_assert_cmpuint(res[i] & FAILED_MARK, ==, 0);
		if (i > 0 && res[i] != res[0])
			distinct++;
		if (!ext) {
			filler_for(i, filler);
			neg_m3_forge_try(c.forge, filler, m_a);
			g_assert_cmpuint(res[i], ==, neg_m3_forge_legacy_sas(c.forge, m_a));
		}
	}
	if (ext) {
		g_assert_cmpuint(distinct, ==, 1);
		g_assert_cmpuint(res[0], ==, sas_from_wire(&p));
	} else {
		/* 8 random 24-bit values all equal: probability 2^-168 */
		g_assert_cmpuint(distinct, >, 1);
	}
	/* and the session still completes with the last variant; only with
	 * the committed SAS does Alice see what Bob sees whatever m3 was */
	g_assert_cmpuint(bob_on_variant(N_VARIANTS - 1, &c) & FAILED_MARK, ==, 0);
	g_assert_cmpint(p_recv(&p, p.a, p.m[4], 0), ==, ESESS_OK);
	if (ext)
		g_assert_cmpstr(esess_neg_result(p.a)->sas, ==, esess_neg_result(p.b)->sas);
	neg_m3_forge_free(c.forge);
	p_clear(&p);
}

static void
test_m3_committed(void)
{
	check_m3_variants(TRUE);
}

static void
test_m3_legacy(void)
{
	check_m3_variants(FALSE);
}

/* message 4 with srshash set to 32 bytes of i and identity/mac recomputed
 * from Alice's K (no retained secret: final K = SHA-256(K)), as any Bob may
 * write it: srshash is random when no secret is shared (R9) */
static char *
m4_variant(const P *p, guint i)
{
	static const char *const no_identity[] = { "identity", "mac", NULL };
	const EsessNeg *a = p->a;
	EsessSecret *fk, *keys[ESESS_KEY_COUNT_];
	EsessForm *m4;
	EsessField *fld;
	EsessXmlNode *x, *w;
	GString *form_b2;
	guint8 srs[32], mac_b[32], id_b[32], m_b[32], after[16];
	char *text;
	int k;

	fk = esess_neg_final_k(a->k, NULL);
	g_assert_cmpint(esess_neg_derive_keys(fk, keys), ==, ESESS_OK);
	m4 = esess_form_new(ESESS_FORM_RESULT);
	fld = esess_form_add(m4, "FORM_TYPE", ESESS_FIELD_HIDDEN);
	esess_field_add_value(fld, ESESS_NS_SSN);
	esess_neg_add_b64(m4, "nonce", a->n_a, a->n_a_len);
	memset(srs, (int)i, sizeof srs);
	esess_neg_add_b64(m4, "srshash", srs, sizeof srs);
	x = esess_form_to_xml(m4);
	form_b2 = g_string_new(NULL);
	esess_form_canon(x, no_identity, form_b2);
	esess_xml_free(x);
	g_assert_cmpint(esess_neg_sigma_mac(keys[ESESS_KEY_KS_B], a->n_a, a->n_a_len, a->n_b,
					    a->n_b_len, a->peer_pub, a->peer_pub_len, a->form_b,
					    form_b2, mac_b), ==, ESESS_OK);
	g_assert_cmpint(esess_neg_crypt_identity(keys[ESESS_KEY_KC_B], a->c_b, mac_b, id_b, 32,
						 after), ==, ESESS_OK);
	g_assert_cmpint(esess_neg_identity_mac(keys[ESESS_KEY_KM_B], a->c_b, id_b, 32, m_b), ==,
			ESESS_OK);
	esess_neg_add_b64(m4, "identity", id_b, 32);
	esess_neg_add_b64(m4, "mac", m_b, 32);
	w = esess_xml_new("init", ESESS_NS_INIT);
	esess_xml_append(w, esess_form_to_xml(m4));
	text = wrap(w, "bob@example.com/laptop", NULL);
	g_string_free(form_b2, TRUE);
	esess_form_free(m4);
	for (k = 0; k < ESESS_KEY_COUNT_; k++)
		esess_secret_free(keys[k]);
	esess_secret_free(fk);
	return text;
}

static guint64
alice_on_variant(guint i, gpointer data)
{
	P *p = data;
	char *text = m4_variant(p, i);
	EsessStatus r;

	r = p_recv(p, p->a, text, 0);
	g_free(text);
	if (r != ESESS_OK)
		return FAILED_MARK | (guint64)r;
	return esess_neg_result(p->a)->sas_value;
}

/* No byte of message 4 moves Alice's SAS, committed or legacy (message 4
 * never entered either); Alice accepts every re-MACed variant. */
static void
check_m4_variants(gboolean ext)
{
	guint64 res[N_VARIANTS];
	P p;
	guint i;

	p_init_ext(&p, ext);
	p_m1(&p);
	g_assert_cmpint(p_respond(&p, p.m[1]), ==, ESESS_OK);
	g_assert_cmpint(p_recv(&p, p.a, p.m[2], 3), ==, ESESS_OK);
	g_assert_cmpint(p_recv(&p, p.b, p.m[3], 4), ==, ESESS_OK);
	fork_each(N_VARIANTS, alice_on_variant, &p, res);
	for (i = 0; i < N_VARIANTS; i++)
		g_assert_cmpuint(res[i], ==, esess_neg_result(p.b)->sas_value);
	if (ext)
		g_assert_cmpuint(res[0], ==, sas_from_wire(&p));
	p_clear(&p);
}

static void
test_m4_committed(void)
{
	check_m4_variants(TRUE);
}

static void
test_m4_legacy(void)
{
	check_m4_variants(FALSE);
}

/* R23: Alice offered the committed SAS; a message 2 that takes sas28x5 is
 * refused before any key is derived (only a man in the middle needs it) */
static void
test_initiator_refuses_downgrade(void)
{
	static const char *const legacy[] = { ESESS_SAS_LEGACY_NAME };
	char *t;
	P p;

	p_init_ext(&p, TRUE);
	p_m1(&p);
	g_assert_cmpint(p_respond(&p, p.m[1]), ==, ESESS_OK);
	t = neg_set_field(p.m[2], "sas_algs", legacy, 1);
	g_assert_cmpint(p_recv(&p, p.a, t, 3), ==, ESESS_ERR_SAS_DOWNGRADE);
	assert_failed_wiped(p.a);
	g_assert_nonnull(p.err);  /* not-acceptable goes back */
	g_free(t);
	p_clear(&p);
}

/* R23: after a completed session with the committed SAS, a session with the
 * legacy SAS is a broken chain, never a quiet fallback.  Both sides remember
 * the peer (on disk); a side that remembers it offers the committed SAS even
 * without seeing the peer's capabilities, so only a side that does not
 * remember (an impostor, or a reinstalled program) can bring the legacy SAS,
 * and the side that remembers raises the alarm, as responder and as
 * initiator (which refuses the downgrade). */
static void
test_no_silent_fallback(void)
{
	const EsessNegResult *rb;
	EsessStore *sa;
	P p;

	p_init_ext(&p, TRUE);
	p_stores(&p);
	g_assert_cmpint(p_run(&p), ==, ESESS_OK);
	g_assert_cmpint(esess_neg_result(p.a)->continuity, ==, ESESS_CONT_NEW);
	g_assert_cmpuint(esess_store_peer_flags(p.sa, "alice@example.org", "bob@example.com"), ==,
			 ESESS_PEER_COMMITTED_SAS);
	g_assert_cmpuint(esess_store_peer_flags(p.sb, "bob@example.com", "alice@example.org"), ==,
			 ESESS_PEER_COMMITTED_SAS);
	/* reload both stores: the mark is on disk; then neither side sees the
	 * other's capabilities: the committed SAS is offered anyway */
	esess_neg_free(p.a);
	esess_neg_free(p.b);
	p.a = p.b = NULL;
	esess_store_free(p.sa);
	esess_store_free(p.sb);
	p_stores(&p);
	p.ca.policy.extensions = p.cb.policy.extensions = FALSE;
	g_assert_cmpint(p_run(&p), ==, ESESS_OK);
	g_assert_nonnull(strstr(p.m[1], ESESS_SAS_COMMITTED_NAME));
	g_assert_cmpint(esess_neg_result(p.a)->sas_alg, ==, ESESS_SAS_ALG_COMMITTED);
	g_assert_false(esess_neg_result(p.b)->sas_fallback);
	g_assert_cmpint(esess_neg_result(p.a)->continuity, ==, ESESS_CONT_UNVERIFIED);
	g_assert_cmpint(esess_neg_result(p.b)->continuity, ==, ESESS_CONT_UNVERIFIED);

	/* an "Alice" that remembers nothing offers sas28x5 alone: Bob, who
	 * remembers, reports a broken chain */
	esess_neg_free(p.a);
	esess_neg_free(p.b);
	p.a = p.b = NULL;
	sa = p.sa;
	p.ca.store = NULL;
	g_assert_cmpint(p_run(&p), ==, ESESS_OK);
	g_assert_null(strstr(p.m[1], ESESS_SAS_COMMITTED_NAME));
	rb = esess_neg_result(p.b);
	g_assert_cmpint(rb->sas_alg, ==, ESESS_SAS_ALG_LEGACY);
	g_assert_true(rb->sas_fallback);
	g_assert_cmpint(rb->continuity, ==, ESESS_CONT_BROKEN);
	g_assert_false(rb->verified);
	g_assert_false(esess_neg_result(p.a)->sas_fallback);  /* it remembers nothing */

	/* roles swapped: a "Bob" that remembers nothing calls Alice, who
	 * remembers: broken chain on her side as responder */
	esess_neg_free(p.a);
	esess_neg_free(p.b);
	p.a = p.b = NULL;
	p.ca.account = "bob@example.com";
	p.ca.peer = "alice@example.org";
	p.ca.store = NULL;
	p.cb.account = "alice@example.org";
	p.cb.peer = "bob@example.com";
	p.cb.store = sa;
	g_assert_cmpint(p_run(&p), ==, ESESS_OK);
	rb = esess_neg_result(p.b);
	g_assert_true(rb->sas_fallback);
	g_assert_cmpint(rb->continuity, ==, ESESS_CONT_BROKEN);

	/* Alice as initiator offers the committed SAS; an answer with
	 * sas28x5 is refused (an impostor answering for Bob) */
	esess_neg_free(p.a);
	esess_neg_free(p.b);
	p.a = p.b = NULL;
	p.ca.account = "alice@example.org";
	p.ca.peer = "bob@example.com";
	p.ca.store = sa;
	p.cb.account = "bob@example.com";
	p.cb.peer = "alice@example.org";
	p.cb.store = NULL;
	p_m1(&p);
	g_assert_nonnull(strstr(p.m[1], ESESS_SAS_COMMITTED_NAME));
	{
		static const char *const legacy[] = { ESESS_SAS_LEGACY_NAME };
		char *t;

		g_assert_cmpint(p_respond(&p, p.m[1]), ==, ESESS_OK);
		t = neg_set_field(p.m[2], "sas_algs", legacy, 1);
		g_assert_cmpint(p_recv(&p, p.a, t, 3), ==, ESESS_ERR_SAS_DOWNGRADE);
		g_free(t);
	}

	/* the user's reset (forget) ends it: sas28x5 is a first session again */
	esess_neg_free(p.a);
	esess_neg_free(p.b);
	p.a = p.b = NULL;
	g_assert_cmpint(esess_store_forget_peer(sa, "alice@example.org", "bob@example.com"), ==,
			ESESS_OK);
	p_m1(&p);
	g_assert_null(strstr(p.m[1], ESESS_SAS_COMMITTED_NAME));
	p_clear(&p);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_assert_cmpint(esess_crypto_init(), ==, ESESS_OK);
	g_test_add_func("/sas/r23/vector", test_vector);
	g_test_add_func("/sas/r23/inputs-length-prefixed", test_inputs);
	g_test_add_func("/sas/r23/flow", test_flow);
	g_test_add_func("/sas/security/63-message-3-never-moves-committed-sas", test_m3_committed);
	g_test_add_func("/sas/security/63-message-3-moves-legacy-sas", test_m3_legacy);
	g_test_add_func("/sas/security/63-message-4-never-moves-committed-sas", test_m4_committed);
	g_test_add_func("/sas/security/63-message-4-legacy", test_m4_legacy);
	g_test_add_func("/sas/r23/initiator-refuses-downgrade", test_initiator_refuses_downgrade);
	g_test_add_func("/sas/r23/no-silent-fallback", test_no_silent_fallback);
	return g_test_run();
}
