/* neg-pair.c - see neg-pair.h */
#include "config.h"

#include <string.h>

#include "esess-bytes.h"
#include "esess-modp.h"
#include "neg-pair.h"

void
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

void
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

char *
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

void
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

void
p_m1(P *p)
{
	EsessNegOut o = { NULL, NULL };

	g_assert_cmpint(esess_neg_initiate(&p->ca, &p->a, &o), ==, ESESS_OK);
	take_out(p, &o, "alice@example.org/pda", &p->m[1]);
}

/* Bob answers text (message 1) */
EsessStatus
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

EsessStatus
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
EsessStatus
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

/* message 2 with dhkeys replaced by raw bytes v */
EsessStatus
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

void
assert_failed_wiped(EsessNeg *neg)
{
	size_t len;

	g_assert_cmpint(esess_neg_state(neg), ==, ESESS_NEG_FAILED);
	g_assert_null(esess_neg_own_public(neg, 14, &len));
	g_assert_null(esess_neg_result(neg));
}

guint8 *
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

void
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

void
fx_init(Fx *fx)
{
	fx->dir = neg_tmpdir();
	neg_party_init(&fx->a, "alice@example.org/pda", fx->dir);
	neg_party_init(&fx->b, "bob@example.com/laptop", fx->dir);
	neg_wire_init(&fx->w, NULL, NULL);
}

void
fx_clear(Fx *fx)
{
	neg_party_clear(&fx->a);
	neg_party_clear(&fx->b);
	neg_wire_clear(&fx->w);
	neg_rmdir(fx->dir);
	g_free(fx->dir);
}
