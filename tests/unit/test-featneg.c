/* test-featneg: option choice (INTEROP R12, R13, R20), the XEP-0136 logging
 * tables (DIGEST §10.1) and SECURITY items 17-23 and 60. */
#include "config.h"

#include <string.h>

#include "esess-featneg.h"
#include "esess-quirks.h"
#include "esess-sas.h"
#include "esess-xml.h"

static const guint default_groups[] = { 15, 14, 16 };

static EsessFeatPolicy
policy(EsessLogPref pref)
{
	EsessFeatPolicy p;

	memset(&p, 0, sizeof(p));
	p.min_modp_bits = 2048;
	p.logging = pref;
	p.min_rekey_freq = 1;
	return p;
}

static char *
vector_text(const char *name, gsize *len)
{
	const char *dir = g_getenv("ESESS_VECTORS");
	char *path = g_build_filename(dir != NULL ? dir : "tests/vectors", name, NULL);
	char *data = NULL;

	g_assert_true(g_file_get_contents(path, &data, len, NULL));
	g_free(path);
	return data;
}

static EsessForm *
vector_form(const char *name)
{
	gsize len;
	char *text = vector_text(name, &len);
	EsessXmlNode *root = NULL, *x;
	EsessForm *f = NULL;

	g_assert_cmpint(esess_xml_parse(text, len, NULL, &root), ==, ESESS_OK);
	x = esess_xml_child(esess_xml_child(root, "feature", ESESS_NS_FEATURENEG), "x",
			    ESESS_NS_XDATA);
	g_assert_cmpint(esess_form_parse(x, &f), ==, ESESS_OK);
	esess_xml_free(root);
	g_free(text);
	return f;
}

static EsessForm *
text_form(const char *text)
{
	EsessXmlNode *x = NULL;
	EsessForm *f = NULL;

	g_assert_cmpint(esess_xml_parse(text, strlen(text), NULL, &x), ==, ESESS_OK);
	g_assert_cmpint(esess_form_parse(x, &f), ==, ESESS_OK);
	esess_xml_free(x);
	return f;
}

static char *
form_string(const EsessForm *f)
{
	EsessXmlNode *x = esess_form_to_xml(f);
	char *s = esess_xml_to_string(x);

	esess_xml_free(x);
	return s;
}

/* The field's values replaced by one value (or the field removed). */
static void
set_value(EsessForm *f, const char *var, const char *value)
{
	guint i;

	for (i = 0; i < f->fields->len; i++) {
		EsessField *fld = g_ptr_array_index(f->fields, i);

		if (fld->var == NULL || strcmp(fld->var, var) != 0)
			continue;
		if (value == NULL) {
			g_ptr_array_remove_index(f->fields, i);
			return;
		}
		g_ptr_array_set_size(fld->values, 0);
		g_ptr_array_set_size(fld->options, 0);
		esess_field_add_value(fld, value);
		return;
	}
	g_assert_not_reached();
}

/* The field's offered options replaced. */
static void
set_options(EsessForm *f, const char *var, const char *const *opts)
{
	EsessField *fld = (EsessField *)esess_form_get(f, var);
	guint i;

	g_assert_nonnull(fld);
	g_ptr_array_set_size(fld->values, 0);
	g_ptr_array_set_size(fld->options, 0);
	fld->type = ESESS_FIELD_LIST_SINGLE;
	for (i = 0; opts[i] != NULL; i++)
		esess_field_add_option(fld, opts[i]);
}

static char *
joined(GPtrArray *a)
{
	GString *s = g_string_new(NULL);
	guint i;

	for (i = 0; i < a->len; i++)
		g_string_append_printf(s, "%s%s", i ? "," : "", (char *)g_ptr_array_index(a, i));
	return g_string_free(s, FALSE);
}

/* choose() on req: status, and the bad vars joined by commas */
static void
expect_choose(const EsessForm *req, const EsessFeatPolicy *pol, EsessStatus want,
	      const char *want_bad)
{
	EsessForm *ans = NULL;
	EsessChoice c;
	GPtrArray *bad = g_ptr_array_new_with_free_func(g_free);
	char *got;
	EsessStatus r;

	r = esess_featneg_choose(req, pol, &ans, &c, bad);
	g_assert_cmpstr(esess_status_symbol(r), ==, esess_status_symbol(want));
	got = joined(bad);
	g_assert_cmpstr(got, ==, want_bad);
	g_free(got);
	if (r == ESESS_OK) {
		g_assert_nonnull(ans);
	} else {
		g_assert_null(ans);
		g_assert_null(c.crypt_algs);
		g_assert_cmpuint(c.modp, ==, 0);
	}
	esess_form_free(ans);
	esess_choice_clear(&c);
	g_ptr_array_unref(bad);
}

/* ---- the XEP-0136 tables ---- */

static const char *const pref_names[] = {
	"require", "prefer", "approve", "concede", "oppose", "forbid"
};

static void
test_logging_offer(gconstpointer data)
{
	static const char *const want[6][2] = {
		{ "mustnot", NULL }, { "mustnot", "may" }, { "mustnot", "may" },
		{ "may", "mustnot" }, { "may", "mustnot" }, { "may", NULL },
	};
	EsessLogPref pref = (EsessLogPref)GPOINTER_TO_INT(data);
	const char *out[2] = { "x", "x" };
	gsize n = esess_featneg_logging_offer(pref, out);

	g_assert_cmpuint(n, ==, want[pref][1] != NULL ? 2 : 1);
	g_assert_cmpstr(out[0], ==, want[pref][0]);
	if (n == 2)
		g_assert_cmpstr(out[1], ==, want[pref][1]);
}

typedef struct {
	EsessLogPref pref;
	guint column;
} Cell;

static const char *const columns[4][3] = {
	{ "mustnot", NULL, "mustnot" },
	{ "mustnot", "may", "mustnot-may" },
	{ "may", "mustnot", "may-mustnot" },
	{ "may", NULL, "may" },
};

/* DIGEST §10.1, row = pref, column = offer; "fail" is -1 */
static const int table[6][4] = {
	{ ESESS_LOGGING_MUSTNOT, ESESS_LOGGING_MUSTNOT, ESESS_LOGGING_MUSTNOT, -1 },
	{ ESESS_LOGGING_MUSTNOT, ESESS_LOGGING_MUSTNOT, ESESS_LOGGING_MUSTNOT, ESESS_LOGGING_MAY },
	{ ESESS_LOGGING_MUSTNOT, ESESS_LOGGING_MUSTNOT, ESESS_LOGGING_MAY, ESESS_LOGGING_MAY },
	{ ESESS_LOGGING_MUSTNOT, ESESS_LOGGING_MUSTNOT, ESESS_LOGGING_MAY, ESESS_LOGGING_MAY },
	{ ESESS_LOGGING_MUSTNOT, ESESS_LOGGING_MAY, ESESS_LOGGING_MAY, ESESS_LOGGING_MAY },
	{ -1, ESESS_LOGGING_MAY, ESESS_LOGGING_MAY, ESESS_LOGGING_MAY },
};

static void
test_logging_cell(gconstpointer data)
{
	const Cell *cell = data;
	const char *offered[2];
	gsize n = columns[cell->column][1] != NULL ? 2 : 1;
	EsessLogging out = (EsessLogging)99;
	int want = table[cell->pref][cell->column];
	EsessStatus r;
	EsessForm *req;
	EsessFeatPolicy pol = policy(cell->pref);
	EsessForm *ans = NULL;
	EsessChoice c;
	const char *v;

	offered[0] = columns[cell->column][0];
	offered[1] = columns[cell->column][1];
	r = esess_featneg_logging_choose(cell->pref, offered, n, &out);
	if (want < 0) {
		g_assert_cmpint(r, ==, ESESS_ERR_NOT_ACCEPTABLE);
	} else {
		g_assert_cmpint(r, ==, ESESS_OK);
		g_assert_cmpint(out, ==, want);
	}
	/* the same cell through a whole request */
	req = vector_form("form-gajim-request.xml");
	set_options(req, "logging", offered[1] != NULL ?
		    (const char *const[]){ offered[0], offered[1], NULL } :
		    (const char *const[]){ offered[0], NULL });
	r = esess_featneg_choose(req, &pol, &ans, &c, NULL);
	if (want < 0) {
		g_assert_cmpint(r, ==, ESESS_ERR_NOT_ACCEPTABLE);
	} else {
		g_assert_cmpint(r, ==, ESESS_OK);
		g_assert_cmpint(c.logging, ==, want);
		g_assert_cmpint(esess_form_get_single(ans, "logging", &v), ==, ESESS_OK);
		g_assert_cmpstr(v, ==, want == ESESS_LOGGING_MUSTNOT ? "mustnot" : "may");
	}
	esess_form_free(ans);
	esess_choice_clear(&c);
	esess_form_free(req);
}

static void
test_logging_malformed(void)
{
	static const char *const dup[] = { "may", "may" };
	static const char *const bogus[] = { "true" };
	EsessLogging out;

	g_assert_cmpint(esess_featneg_logging_choose(ESESS_LOGPREF_APPROVE, dup, 2, &out), ==,
			ESESS_ERR_FORM);
	g_assert_cmpint(esess_featneg_logging_choose(ESESS_LOGPREF_APPROVE, bogus, 1, &out), ==,
			ESESS_ERR_FORM);
	g_assert_cmpint(esess_featneg_logging_choose(ESESS_LOGPREF_APPROVE, bogus, 0, &out), ==,
			ESESS_ERR_FORM);
}

/* ---- the offer (R12, R19, R20) ---- */

#define OFFER_HEAD \
	"<x xmlns='jabber:x:data' type='form'>" \
	"<field type='hidden' var='FORM_TYPE'><value>urn:xmpp:ssn</value></field>" \
	"<field type='boolean' var='accept'><value>1</value><required/></field>"
#define OFFER_MIDDLE \
	"<field type='list-single' var='disclosure'><option><value>never</value></option><required/></field>" \
	"<field type='list-single' var='security'><option><value>e2e</value></option><required/></field>"
#define SAS_LEGACY "<field type='hidden' var='sas_algs'><value>sas28x5</value></field>"
/* INTEROP R23: to peers of this plugin, the committed SAS first */
#define SAS_BOTH \
	"<field type='list-single' var='sas_algs'>" \
	"<option><value>urn:xmpp:esessions:purple:sas:0</value></option>" \
	"<option><value>sas28x5</value></option></field>"
#define OFFER_REST(rekey, sas) \
	"<field type='hidden' var='hash_algs'><value>sha256</value></field>" \
	"<field type='hidden' var='compress'><value>none</value></field>" \
	"<field type='list-multi' var='stanzas'><option><value>message</value></option></field>" \
	"<field type='list-single' var='init_pubkey'><option><value>none</value></option></field>" \
	"<field type='list-single' var='resp_pubkey'><option><value>none</value></option></field>" \
	"<field type='hidden' var='ver'><value>1.0</value></field>" \
	"<field type='hidden' var='rekey_freq'><value>" rekey "</value></field>" \
	sas \
	"<field type='hidden' var='sign_algs'><value>http://www.w3.org/2000/09/xmldsig#rsa-sha256</value></field>"

static void
test_offer_default(void)
{
	EsessFeatPolicy pol = policy(ESESS_LOGPREF_PREFER);
	EsessForm *f = NULL;
	char *s;

	g_assert_cmpint(esess_featneg_build_offer(&pol, default_groups, 3, &f), ==, ESESS_OK);
	s = form_string(f);
	g_assert_cmpstr(s, ==, OFFER_HEAD
		"<field type='list-single' var='logging'><option><value>mustnot</value></option>"
		"<option><value>may</value></option><required/></field>"
		OFFER_MIDDLE
		"<field type='hidden' var='crypt_algs'><value>aes128-ctr</value></field>"
		OFFER_REST("4294967295", SAS_LEGACY)
		"<field type='list-single' var='modp'><option><value>15</value></option>"
		"<option><value>14</value></option><option><value>16</value></option></field></x>");
	g_free(s);
	esess_form_free(f);
}

static void
test_offer_plugin_peer(void)
{
	EsessFeatPolicy pol = policy(ESESS_LOGPREF_FORBID);
	static const guint groups[] = { 18, 17 };
	EsessForm *f = NULL;
	char *s;

	pol.extensions = TRUE;
	g_assert_cmpint(esess_featneg_build_offer(&pol, groups, 2, &f), ==, ESESS_OK);
	s = form_string(f);
	g_assert_cmpstr(s, ==, OFFER_HEAD
		"<field type='list-single' var='logging'><option><value>may</value></option><required/></field>"
		OFFER_MIDDLE
		"<field type='list-single' var='crypt_algs'><option><value>aes256-ctr</value></option>"
		"<option><value>aes128-ctr</value></option></field>"
		OFFER_REST("1000", SAS_BOTH)
		"<field type='list-single' var='modp'><option><value>18</value></option>"
		"<option><value>17</value></option></field></x>");
	g_free(s);
	esess_form_free(f);
}

static gchar *
modp_of(const EsessForm *f)
{
	const EsessField *fld = esess_form_get(f, "modp");

	return joined(fld->options);
}

static void
test_offer_gajim_quirks(void)
{
	EsessFeatPolicy pol = policy(ESESS_LOGPREF_APPROVE);
	static const guint g1[] = { 18, 15, 14 };
	static const guint g2[] = { 17, 15, 14 };
	static const guint g3[] = { 18, 17, 16 };
	static const guint g4[] = { 17 };
	static const guint g5[] = { 18 };
	EsessForm *f = NULL;
	const char *v;
	char *m;

	pol.quirks = esess_quirks_for("http://gajim.org");
	pol.extensions = TRUE;  /* even if it claimed the feature: no extensions */
	g_assert_cmpint(esess_featneg_build_offer(&pol, g1, 3, &f), ==, ESESS_OK);
	m = modp_of(f);
	g_assert_cmpstr(m, ==, "15,14");
	g_free(m);
	g_assert_cmpint(esess_form_get_single(f, "crypt_algs", &v), ==, ESESS_OK);
	g_assert_cmpstr(v, ==, "aes128-ctr");
	g_assert_cmpint(esess_form_get_single(f, "rekey_freq", &v), ==, ESESS_OK);
	g_assert_cmpstr(v, ==, "4294967295");
	/* INTEROP R23, R20: Gajim is never offered the committed SAS */
	g_assert_cmpint(esess_form_get_single(f, "sas_algs", &v), ==, ESESS_OK);
	g_assert_cmpstr(v, ==, ESESS_SAS_LEGACY_NAME);
	g_assert_cmpuint(esess_form_get(f, "sas_algs")->options->len, ==, 0);
	esess_form_free(f);
	/* nor when the store remembers the committed SAS for it */
	pol.committed_sas = TRUE;
	g_assert_cmpint(esess_featneg_build_offer(&pol, g1, 3, &f), ==, ESESS_OK);
	g_assert_cmpint(esess_form_get_single(f, "sas_algs", &v), ==, ESESS_OK);
	g_assert_cmpstr(v, ==, ESESS_SAS_LEGACY_NAME);
	esess_form_free(f);
	pol.committed_sas = FALSE;
	g_assert_cmpint(esess_featneg_build_offer(&pol, g2, 3, &f), ==, ESESS_OK);
	m = modp_of(f);
	g_assert_cmpstr(m, ==, "15,17,14");
	g_free(m);
	esess_form_free(f);
	g_assert_cmpint(esess_featneg_build_offer(&pol, g3, 3, &f), ==, ESESS_OK);
	m = modp_of(f);
	g_assert_cmpstr(m, ==, "16,17");
	g_free(m);
	esess_form_free(f);
	g_assert_cmpint(esess_featneg_build_offer(&pol, g4, 1, &f), ==, ESESS_ERR_UNKNOWN_GROUP);
	g_assert_null(f);
	g_assert_cmpint(esess_featneg_build_offer(&pol, g5, 1, &f), ==, ESESS_ERR_UNKNOWN_GROUP);
	g_assert_null(f);
	/* without the quirk, 17 and 18 go first as asked */
	pol.quirks = NULL;
	g_assert_cmpint(esess_featneg_build_offer(&pol, g2, 3, &f), ==, ESESS_OK);
	m = modp_of(f);
	g_assert_cmpstr(m, ==, "17,15,14");
	g_free(m);
	esess_form_free(f);
}

static void
test_offer_bad_groups(void)
{
	EsessFeatPolicy pol = policy(ESESS_LOGPREF_APPROVE);
	static const guint three[] = { 15, 3 };
	static const guint weak[] = { 15, 2 };
	static const guint dup[] = { 15, 15 };
	EsessForm *f = NULL;
	char *m;

	g_assert_cmpint(esess_featneg_build_offer(&pol, three, 2, &f), ==, ESESS_ERR_UNKNOWN_GROUP);
	g_assert_cmpint(esess_featneg_build_offer(&pol, weak, 2, &f), ==, ESESS_ERR_UNKNOWN_GROUP);
	g_assert_cmpint(esess_featneg_build_offer(&pol, dup, 2, &f), ==, ESESS_ERR_INVALID_ARG);
	g_assert_cmpint(esess_featneg_build_offer(&pol, three, 0, &f), ==, ESESS_ERR_UNKNOWN_GROUP);
	g_assert_null(f);
	/* a lowered policy (R11) allows group 2 */
	pol.min_modp_bits = 1024;
	g_assert_cmpint(esess_featneg_build_offer(&pol, weak, 2, &f), ==, ESESS_OK);
	m = modp_of(f);
	g_assert_cmpstr(m, ==, "15,2");
	g_free(m);
	esess_form_free(f);
}

/* ---- the responder (R13) ---- */

static void
test_choose_gajim(void)
{
	EsessForm *req = vector_form("form-gajim-request.xml"), *ans = NULL;
	EsessFeatPolicy pol = policy(ESESS_LOGPREF_PREFER);
	GPtrArray *bad = g_ptr_array_new_with_free_func(g_free);
	EsessChoice c;
	char *s;

	g_assert_cmpint(esess_featneg_choose(req, &pol, &ans, &c, bad), ==, ESESS_OK);
	g_assert_cmpuint(bad->len, ==, 0);
	g_assert_cmpuint(c.modp, ==, 15);
	g_assert_cmpuint(c.modp_index, ==, 0);
	g_assert_cmpstr(c.crypt_algs, ==, "aes128-ctr");
	g_assert_cmpstr(c.hash_algs, ==, "sha256");
	g_assert_cmpstr(c.compress, ==, "none");
	g_assert_cmpstr(c.sas_algs, ==, "sas28x5");
	g_assert_cmpstr(c.sign_algs, ==, "http://www.w3.org/2000/09/xmldsig#rsa-sha256");
	g_assert_cmpstr(c.init_pubkey, ==, "none");
	g_assert_cmpstr(c.resp_pubkey, ==, "none");
	g_assert_cmpstr(c.ver, ==, "1.0");
	g_assert_cmpstr(c.disclosure, ==, "never");
	g_assert_cmpstr(c.security, ==, "e2e");
	g_assert_true(c.stanzas_message);
	g_assert_cmpuint(c.rekey_freq, ==, G_GUINT64_CONSTANT(4294967295));
	g_assert_cmpint(c.logging, ==, ESESS_LOGGING_MUSTNOT);
	s = form_string(ans);
	/* the request's order; my_nonce and dhhashes are the caller's */
	g_assert_cmpstr(s, ==,
		"<x xmlns='jabber:x:data' type='submit'>"
		"<field type='hidden' var='FORM_TYPE'><value>urn:xmpp:ssn</value></field>"
		"<field type='boolean' var='accept'><value>1</value></field>"
		"<field type='list-single' var='logging'><value>mustnot</value></field>"
		"<field type='list-single' var='disclosure'><value>never</value></field>"
		"<field type='list-single' var='security'><value>e2e</value></field>"
		"<field type='hidden' var='crypt_algs'><value>aes128-ctr</value></field>"
		"<field type='hidden' var='hash_algs'><value>sha256</value></field>"
		"<field type='hidden' var='compress'><value>none</value></field>"
		"<field type='list-multi' var='stanzas'><value>message</value></field>"
		"<field type='list-single' var='init_pubkey'><value>none</value></field>"
		"<field type='list-single' var='resp_pubkey'><value>none</value></field>"
		"<field type='hidden' var='ver'><value>1.0</value></field>"
		"<field type='hidden' var='rekey_freq'><value>4294967295</value></field>"
		"<field type='hidden' var='sas_algs'><value>sas28x5</value></field>"
		"<field type='hidden' var='sign_algs'><value>http://www.w3.org/2000/09/xmldsig#rsa-sha256</value></field>"
		"<field type='list-single' var='modp'><value>15</value></field></x>");
	g_free(s);
	esess_choice_clear(&c);
	esess_choice_clear(&c);  /* idempotent */
	esess_form_free(ans);
	esess_form_free(req);
	g_ptr_array_unref(bad);
}

static void
test_choose_0116(void)
{
	EsessForm *req = vector_form("form-0116-request.xml"), *ans = NULL;
	EsessFeatPolicy pol = policy(ESESS_LOGPREF_OPPOSE);
	EsessChoice c;
	const char *v;

	pol.min_rekey_freq = 50;
	g_assert_cmpint(esess_featneg_choose(req, &pol, &ans, &c, NULL), ==, ESESS_OK);
	/* 5 is below policy, 14 is the next */
	g_assert_cmpuint(c.modp, ==, 14);
	g_assert_cmpuint(c.modp_index, ==, 1);
	g_assert_cmpstr(c.crypt_algs, ==, "aes256-ctr");
	g_assert_cmpstr(c.hash_algs, ==, "sha256");  /* whirlpool skipped */
	g_assert_cmpstr(c.init_pubkey, ==, "none");  /* third option */
	g_assert_cmpint(c.logging, ==, ESESS_LOGGING_MAY);
	/* Alice asked 1, our minimum is 50: >= hers and ours (XEP-0116 §4.5) */
	g_assert_cmpuint(c.rekey_freq, ==, 50);
	g_assert_cmpint(esess_form_get_single(ans, "rekey_freq", &v), ==, ESESS_OK);
	g_assert_cmpstr(v, ==, "50");
	g_assert_cmpint(esess_form_get_single(ans, "stanzas", &v), ==, ESESS_OK);
	g_assert_cmpstr(v, ==, "message");
	g_assert_cmpint(esess_form_get_single(ans, "modp", &v), ==, ESESS_OK);
	g_assert_cmpstr(v, ==, "14");
	g_assert_null(esess_form_get(ans, "dhhashes"));
	g_assert_null(esess_form_get(ans, "my_nonce"));
	esess_choice_clear(&c);
	esess_form_free(ans);
	esess_form_free(req);
}

/* the unmodified XEP-0116 example: logging with false/true (R13, DIGEST §15 #1) */
static void
test_choose_logging_true_false(void)
{
	EsessForm *req = vector_form("form-0116-request.xml");
	EsessFeatPolicy pol = policy(ESESS_LOGPREF_APPROVE);
	static const char *const tf[] = { "false", "true", NULL };

	set_options(req, "logging", tf);
	expect_choose(req, &pol, ESESS_ERR_NOT_ACCEPTABLE, "logging");
	esess_form_free(req);
}

static void
test_choose_legacy_otr(void)
{
	EsessForm *req = vector_form("form-gajim-request.xml"), *ans = NULL;
	EsessFeatPolicy pol = policy(ESESS_LOGPREF_APPROVE);
	static const char *const tf[] = { "true", "false", NULL };
	static const char *const f_only[] = { "false", NULL };
	EsessField *fld;
	EsessChoice c;
	const char *v;

	fld = (EsessField *)esess_form_get(req, "logging");
	g_free(fld->var);
	fld->var = g_strdup("otr");
	set_options(req, "otr", tf);
	g_assert_cmpint(esess_featneg_choose(req, &pol, &ans, &c, NULL), ==, ESESS_OK);
	g_assert_cmpint(c.logging, ==, ESESS_LOGGING_MUSTNOT);
	g_assert_cmpint(esess_form_get_single(ans, "otr", &v), ==, ESESS_OK);
	g_assert_cmpstr(v, ==, "true");
	g_assert_null(esess_form_get(ans, "logging"));
	esess_form_free(ans);
	esess_choice_clear(&c);
	/* otr=false is "may": require fails on it */
	set_options(req, "otr", f_only);
	pol.logging = ESESS_LOGPREF_REQUIRE;
	expect_choose(req, &pol, ESESS_ERR_NOT_ACCEPTABLE, "otr");
	esess_form_free(req);
}

static void
test_choose_no_logging_field(void)
{
	EsessForm *req = vector_form("form-gajim-request.xml"), *ans = NULL;
	EsessFeatPolicy pol = policy(ESESS_LOGPREF_APPROVE);
	EsessChoice c;

	set_value(req, "logging", NULL);
	g_assert_cmpint(esess_featneg_choose(req, &pol, &ans, &c, NULL), ==, ESESS_OK);
	g_assert_cmpint(c.logging, ==, ESESS_LOGGING_MAY);
	g_assert_null(esess_form_get(ans, "logging"));
	esess_form_free(ans);
	esess_choice_clear(&c);
	/* DIGEST §10.1: no logging while ours is require: refuse */
	pol.logging = ESESS_LOGPREF_REQUIRE;
	expect_choose(req, &pol, ESESS_ERR_NOT_ACCEPTABLE, "logging");
	esess_form_free(req);
}

static void
test_choose_not_acceptable(void)
{
	EsessForm *req = vector_form("form-0116-request.xml");
	EsessFeatPolicy pol = policy(ESESS_LOGPREF_APPROVE);
	static const char *const vers[] = { "1.3", "1.2", NULL };
	static const char *const sas[] = { "sas99", NULL };
	static const char *const groups[] = { "3", "4", "99", "abc", NULL };

	set_options(req, "ver", vers);
	set_options(req, "sas_algs", sas);
	set_options(req, "modp", groups);
	set_value(req, "dhhashes", NULL);
	g_assert_nonnull(esess_form_add(req, "dhhashes", ESESS_FIELD_HIDDEN));
	{
		EsessField *d = (EsessField *)esess_form_get(req, "dhhashes");
		guint i;

		for (i = 0; i < 4; i++)
			esess_field_add_value(d, "AA==");
	}
	/* every offending field named, in rule order */
	expect_choose(req, &pol, ESESS_ERR_NOT_ACCEPTABLE, "sas_algs,ver,modp");
	esess_form_free(req);
}

static void
test_roundtrip(void)
{
	static const EsessLogPref prefs[] = {
		ESESS_LOGPREF_REQUIRE, ESESS_LOGPREF_PREFER, ESESS_LOGPREF_APPROVE,
		ESESS_LOGPREF_CONCEDE, ESESS_LOGPREF_OPPOSE, ESESS_LOGPREF_FORBID
	};
	guint i, j;

	for (i = 0; i < G_N_ELEMENTS(prefs); i++) {
		for (j = 0; j < G_N_ELEMENTS(prefs); j++) {
			EsessFeatPolicy alice = policy(prefs[i]), bob = policy(prefs[j]);
			EsessForm *offer = NULL, *ans = NULL, *wire_offer, *wire_ans;
			EsessChoice cb, ca;
			EsessStatus r;
			char *s;

			alice.extensions = bob.extensions = (i % 2) == 0;
			g_assert_cmpint(esess_featneg_build_offer(&alice, default_groups, 3, &offer), ==,
					ESESS_OK);
			esess_field_add_value(esess_form_add(offer, "dhhashes", ESESS_FIELD_HIDDEN), "AA==");
			esess_field_add_value((EsessField *)esess_form_get(offer, "dhhashes"), "AQ==");
			esess_field_add_value((EsessField *)esess_form_get(offer, "dhhashes"), "Ag==");
			/* over the wire: serialised and parsed again */
			s = form_string(offer);
			wire_offer = text_form(s);
			g_free(s);
			r = esess_featneg_choose(wire_offer, &bob, &ans, &cb, NULL);
			if (table[prefs[j]][prefs[i] == ESESS_LOGPREF_REQUIRE ? 0 :
					     prefs[i] == ESESS_LOGPREF_FORBID ? 3 :
					     prefs[i] <= ESESS_LOGPREF_APPROVE ? 1 : 2] < 0) {
				g_assert_cmpint(r, ==, ESESS_ERR_NOT_ACCEPTABLE);
				esess_form_free(wire_offer);
				esess_form_free(offer);
				continue;
			}
			g_assert_cmpint(r, ==, ESESS_OK);
			s = form_string(ans);
			wire_ans = text_form(s);
			g_free(s);
			g_assert_cmpint(esess_featneg_check(offer, wire_ans, &alice, &ca), ==, ESESS_OK);
			g_assert_cmpuint(ca.modp, ==, 15);
			g_assert_cmpuint(ca.modp_index, ==, 0);
			g_assert_cmpuint(ca.modp, ==, cb.modp);
			g_assert_cmpstr(ca.crypt_algs, ==, cb.crypt_algs);
			g_assert_cmpstr(ca.crypt_algs, ==, alice.extensions ? "aes256-ctr" : "aes128-ctr");
			g_assert_cmpint(ca.logging, ==, cb.logging);
			g_assert_cmpuint(ca.rekey_freq, ==, cb.rekey_freq);
			g_assert_cmpstr(ca.sas_algs, ==,
					alice.extensions ? ESESS_SAS_COMMITTED_NAME : "sas28x5");
			g_assert_cmpstr(ca.sas_algs, ==, cb.sas_algs);
			g_assert_true(ca.stanzas_message);
			esess_choice_clear(&ca);
			esess_choice_clear(&cb);
			esess_form_free(wire_ans);
			esess_form_free(ans);
			esess_form_free(wire_offer);
			esess_form_free(offer);
		}
	}
}

/* ---- the initiator's check ---- */

typedef struct {
	EsessFeatPolicy pol;
	EsessForm *offer;
	EsessForm *resp;
} CheckCase;

static void
check_case_init(CheckCase *cc, gboolean ext)
{
	EsessFeatPolicy bob = policy(ESESS_LOGPREF_APPROVE);
	EsessChoice cb;
	static const char *const h[] = { "AA==", "AQ==", "Ag==" };
	EsessField *d;
	guint i;

	cc->pol = policy(ESESS_LOGPREF_APPROVE);
	cc->pol.extensions = ext;
	bob.extensions = ext;
	g_assert_cmpint(esess_featneg_build_offer(&cc->pol, default_groups, 3, &cc->offer), ==,
			ESESS_OK);
	d = esess_form_add(cc->offer, "dhhashes", ESESS_FIELD_HIDDEN);
	for (i = 0; i < 3; i++)
		esess_field_add_value(d, h[i]);
	g_assert_cmpint(esess_featneg_choose(cc->offer, &bob, &cc->resp, &cb, NULL), ==, ESESS_OK);
	esess_choice_clear(&cb);
}

static void
check_case_clear(CheckCase *cc)
{
	esess_form_free(cc->offer);
	esess_form_free(cc->resp);
}

static void
expect_check(CheckCase *cc, EsessStatus want)
{
	EsessChoice c;
	EsessStatus r = esess_featneg_check(cc->offer, cc->resp, &cc->pol, &c);

	g_assert_cmpstr(esess_status_symbol(r), ==, esess_status_symbol(want));
	if (r != ESESS_OK) {
		g_assert_null(c.crypt_algs);
		g_assert_cmpuint(c.modp, ==, 0);
	}
	esess_choice_clear(&c);
}

/* one field of a fresh valid response changed, then checked */
static void
check_with(gboolean ext, const char *var, const char *value, EsessStatus want)
{
	CheckCase cc;

	check_case_init(&cc, ext);
	expect_check(&cc, ESESS_OK);
	set_value(cc.resp, var, value);
	expect_check(&cc, want);
	check_case_clear(&cc);
}

static void
test_check_shapes(void)
{
	CheckCase cc;

	check_with(FALSE, "accept", "0", ESESS_ERR_REJECTED);
	check_with(FALSE, "accept", "yes", ESESS_ERR_FORM);
	check_with(FALSE, "accept", NULL, ESESS_ERR_FORM);
	check_with(FALSE, "FORM_TYPE", "urn:xmpp:other", ESESS_ERR_FORM);
	check_with(FALSE, "crypt_algs", NULL, ESESS_ERR_FORM);
	check_with(FALSE, "modp", NULL, ESESS_ERR_FORM);
	check_with(FALSE, "sign_algs", NULL, ESESS_OK);  /* optional with pubkeys none */
	check_case_init(&cc, FALSE);
	cc.resp->kind = ESESS_FORM_RESULT;
	expect_check(&cc, ESESS_ERR_FORM);
	check_case_clear(&cc);
	/* a multi-valued choice */
	check_case_init(&cc, FALSE);
	esess_field_add_value((EsessField *)esess_form_get(cc.resp, "hash_algs"), "sha256");
	expect_check(&cc, ESESS_ERR_FORM);
	check_case_clear(&cc);
	/* logging our policy no longer allows (offer and policy differ) */
	check_case_init(&cc, FALSE);
	set_value(cc.resp, "logging", "may");
	expect_check(&cc, ESESS_OK);
	cc.pol.logging = ESESS_LOGPREF_REQUIRE;
	expect_check(&cc, ESESS_ERR_POLICY);
	check_case_clear(&cc);
}

/* ---- SECURITY 17-23, 60 ---- */

static void
test_sec17_weak_groups(void)
{
	EsessForm *req = vector_form("form-0116-request.xml");
	EsessFeatPolicy pol = policy(ESESS_LOGPREF_APPROVE);
	static const char *const weak_unknown[] = { "1", "3", NULL };

	set_options(req, "modp", (const char *const[]){ "1", "2", "5", "14", NULL });
	{
		EsessForm *ans = NULL;
		EsessChoice c;

		g_assert_cmpint(esess_featneg_choose(req, &pol, &ans, &c, NULL), ==, ESESS_OK);
		g_assert_cmpuint(c.modp, ==, 14);
		g_assert_cmpuint(c.modp_index, ==, 3);
		esess_choice_clear(&c);
		esess_form_free(ans);
	}
	set_options(req, "modp", (const char *const[]){ "1", "2", "5", "16", NULL });
	pol.min_modp_bits = 8192;
	expect_choose(req, &pol, ESESS_ERR_POLICY, "modp");
	pol.min_modp_bits = 2048;
	set_options(req, "modp", weak_unknown);
	set_value(req, "dhhashes", NULL);
	esess_field_add_value(esess_form_add(req, "dhhashes", ESESS_FIELD_HIDDEN), "AA==");
	esess_field_add_value((EsessField *)esess_form_get(req, "dhhashes"), "AA==");
	expect_choose(req, &pol, ESESS_ERR_POLICY, "modp");
	/* a lowered policy accepts 1 (R11) */
	pol.min_modp_bits = 768;
	{
		EsessForm *ans = NULL;
		EsessChoice c;

		g_assert_cmpint(esess_featneg_choose(req, &pol, &ans, &c, NULL), ==, ESESS_OK);
		g_assert_cmpuint(c.modp, ==, 1);
		esess_choice_clear(&c);
		esess_form_free(ans);
	}
	esess_form_free(req);
	/* initiator: a group we never offered, even a strong one */
	check_with(FALSE, "modp", "2", ESESS_ERR_NOT_OFFERED);
	check_with(FALSE, "modp", "18", ESESS_ERR_NOT_OFFERED);
	check_with(FALSE, "modp", "015", ESESS_ERR_NOT_OFFERED);
	check_with(FALSE, "modp", "14", ESESS_OK);
}

static void
test_check_modp_index(void)
{
	CheckCase cc;
	EsessChoice c;

	check_case_init(&cc, FALSE);
	set_value(cc.resp, "modp", "16");
	g_assert_cmpint(esess_featneg_check(cc.offer, cc.resp, &cc.pol, &c), ==, ESESS_OK);
	g_assert_cmpuint(c.modp, ==, 16);
	g_assert_cmpuint(c.modp_index, ==, 2);
	esess_choice_clear(&c);
	check_case_clear(&cc);
}

static void
test_sec18_not_offered(void)
{
	/* to a non-plugin peer we offer aes128-ctr alone (R4, R12) */
	check_with(FALSE, "crypt_algs", "aes256-ctr", ESESS_ERR_NOT_OFFERED);
	check_with(TRUE, "crypt_algs", "aes256-ctr", ESESS_OK);
	check_with(TRUE, "crypt_algs", "aes128-ctr", ESESS_OK);
	check_with(TRUE, "crypt_algs", "twofish256-ctr", ESESS_ERR_NOT_OFFERED);
	check_with(FALSE, "hash_algs", "sha1", ESESS_ERR_NOT_OFFERED);
	check_with(FALSE, "sas_algs", "sas28x6", ESESS_ERR_NOT_OFFERED);
	check_with(FALSE, "compress", "zlib", ESESS_ERR_NOT_OFFERED);
	check_with(FALSE, "ver", "1.3", ESESS_ERR_NOT_OFFERED);
	check_with(FALSE, "init_pubkey", "key", ESESS_ERR_NOT_OFFERED);
	check_with(FALSE, "resp_pubkey", "hash", ESESS_ERR_NOT_OFFERED);
	check_with(FALSE, "security", "c2s", ESESS_ERR_NOT_OFFERED);
	check_with(FALSE, "stanzas", "iq", ESESS_ERR_NOT_OFFERED);
	check_with(FALSE, "sign_algs", "http://www.w3.org/2000/09/xmldsig#dsa-sha256",
		   ESESS_ERR_NOT_OFFERED);
	/* APPROVE offers mustnot, may: both fine, anything else not */
	check_with(FALSE, "logging", "may", ESESS_OK);
	check_with(FALSE, "logging", "true", ESESS_ERR_NOT_OFFERED);
}

static void
test_sec19_weak_algorithms(void)
{
	EsessForm *req = vector_form("form-0116-request.xml");
	EsessFeatPolicy pol = policy(ESESS_LOGPREF_APPROVE);

	set_options(req, "crypt_algs", (const char *const[]){ "none", NULL });
	expect_choose(req, &pol, ESESS_ERR_POLICY, "crypt_algs");
	set_options(req, "crypt_algs", (const char *const[]){ "none", "twofish256-ctr", NULL });
	expect_choose(req, &pol, ESESS_ERR_POLICY, "crypt_algs");
	set_options(req, "crypt_algs", (const char *const[]){ "twofish256-ctr", NULL });
	expect_choose(req, &pol, ESESS_ERR_NOT_ACCEPTABLE, "crypt_algs");
	set_options(req, "crypt_algs", (const char *const[]){ "none", "aes128-ctr", NULL });
	set_options(req, "hash_algs", (const char *const[]){ "sha1", "md5", NULL });
	expect_choose(req, &pol, ESESS_ERR_POLICY, "hash_algs");
	set_options(req, "hash_algs", (const char *const[]){ "sha256", NULL });
	set_options(req, "compress", (const char *const[]){ "zlib", "lzw", NULL });
	expect_choose(req, &pol, ESESS_ERR_POLICY, "compress");
	set_options(req, "compress", (const char *const[]){ "zlib", "none", NULL });
	{
		EsessForm *ans = NULL;
		EsessChoice c;

		g_assert_cmpint(esess_featneg_choose(req, &pol, &ans, &c, NULL), ==, ESESS_OK);
		g_assert_cmpstr(c.crypt_algs, ==, "aes128-ctr");
		g_assert_cmpstr(c.compress, ==, "none");
		esess_choice_clear(&c);
		esess_form_free(ans);
	}
	/* all at once: every field named, policy wins over not-acceptable */
	set_options(req, "crypt_algs", (const char *const[]){ "none", NULL });
	set_options(req, "hash_algs", (const char *const[]){ "md5", NULL });
	set_options(req, "sas_algs", (const char *const[]){ "other", NULL });
	expect_choose(req, &pol, ESESS_ERR_POLICY, "crypt_algs,hash_algs,sas_algs");
	esess_form_free(req);
}

static void
test_sec20_disclosure(void)
{
	EsessForm *req = vector_form("form-gajim-request.xml");
	EsessFeatPolicy pol = policy(ESESS_LOGPREF_APPROVE);

	set_options(req, "disclosure", (const char *const[]){ "enabled", NULL });
	expect_choose(req, &pol, ESESS_ERR_POLICY, "disclosure");
	set_options(req, "disclosure", (const char *const[]){ "disabled", "enabled", NULL });
	expect_choose(req, &pol, ESESS_ERR_POLICY, "disclosure");
	set_options(req, "disclosure", (const char *const[]){ "disabled", "never", NULL });
	{
		EsessForm *ans = NULL;
		EsessChoice c;

		g_assert_cmpint(esess_featneg_choose(req, &pol, &ans, &c, NULL), ==, ESESS_OK);
		g_assert_cmpstr(c.disclosure, ==, "never");
		esess_choice_clear(&c);
		esess_form_free(ans);
	}
	esess_form_free(req);
	check_with(FALSE, "disclosure", "enabled", ESESS_ERR_NOT_OFFERED);
	check_with(FALSE, "disclosure", "disabled", ESESS_ERR_NOT_OFFERED);
}

static void
test_sec21_three_message(void)
{
	EsessForm *req = vector_form("form-gajim-request.xml");
	EsessFeatPolicy pol = policy(ESESS_LOGPREF_APPROVE);
	EsessField *fld = (EsessField *)esess_form_get(req, "dhhashes");

	g_free(fld->var);
	fld->var = g_strdup("dhkeys");
	expect_choose(req, &pol, ESESS_ERR_NOT_ACCEPTABLE, "dhkeys");
	esess_form_free(req);
}

static void
test_sec22_rekey(void)
{
	EsessForm *req = vector_form("form-gajim-request.xml");
	EsessFeatPolicy pol = policy(ESESS_LOGPREF_APPROVE);
	CheckCase cc;

	set_value(req, "rekey_freq", "4294967296");
	expect_choose(req, &pol, ESESS_ERR_NOT_ACCEPTABLE, "rekey_freq");
	set_value(req, "rekey_freq", "18446744073709551615");
	expect_choose(req, &pol, ESESS_ERR_NOT_ACCEPTABLE, "rekey_freq");
	esess_form_free(req);
	/* initiator, non-plugin peer: we sent 2^32-1, so only that passes */
	check_with(FALSE, "rekey_freq", "4294967296", ESESS_ERR_POLICY);
	check_with(FALSE, "rekey_freq", "4294967294", ESESS_ERR_POLICY);
	check_with(FALSE, "rekey_freq", "4294967295", ESESS_OK);
	/* plugin peer: we sent 1000 */
	check_with(TRUE, "rekey_freq", "999", ESESS_ERR_POLICY);
	check_with(TRUE, "rekey_freq", "1000", ESESS_OK);
	check_with(TRUE, "rekey_freq", "4294967295", ESESS_OK);
	check_with(TRUE, "rekey_freq", "4294967296", ESESS_ERR_POLICY);
	/* our own minimum above what we offered */
	check_case_init(&cc, TRUE);
	cc.pol.min_rekey_freq = 5000;
	expect_check(&cc, ESESS_ERR_POLICY);
	set_value(cc.resp, "rekey_freq", "5000");
	expect_check(&cc, ESESS_OK);
	check_case_clear(&cc);
}

static void
test_sec23_request_shape(void)
{
	EsessForm *req;
	EsessFeatPolicy pol = policy(ESESS_LOGPREF_APPROVE);
	EsessField *fld;

	/* accept not boolean */
	req = vector_form("form-gajim-request.xml");
	((EsessField *)esess_form_get(req, "accept"))->type = ESESS_FIELD_TEXT_SINGLE;
	expect_choose(req, &pol, ESESS_ERR_FORM, "");
	esess_form_free(req);
	/* accept false, accept missing */
	req = vector_form("form-gajim-request.xml");
	set_value(req, "accept", "0");
	expect_choose(req, &pol, ESESS_ERR_FORM, "");
	set_value(req, "accept", NULL);
	expect_choose(req, &pol, ESESS_ERR_FORM, "");
	esess_form_free(req);
	/* wrong FORM_TYPE, not a form */
	req = vector_form("form-gajim-request.xml");
	set_value(req, "FORM_TYPE", "http://jabber.org/protocol/other");
	expect_choose(req, &pol, ESESS_ERR_FORM, "");
	esess_form_free(req);
	req = vector_form("form-gajim-request.xml");
	req->kind = ESESS_FORM_SUBMIT;
	expect_choose(req, &pol, ESESS_ERR_FORM, "");
	esess_form_free(req);
	/* modp as boolean, stanzas as text */
	req = vector_form("form-gajim-request.xml");
	((EsessField *)esess_form_get(req, "modp"))->type = ESESS_FIELD_BOOLEAN;
	expect_choose(req, &pol, ESESS_ERR_FORM, "");
	esess_form_free(req);
	req = vector_form("form-gajim-request.xml");
	((EsessField *)esess_form_get(req, "stanzas"))->type = ESESS_FIELD_TEXT_SINGLE;
	expect_choose(req, &pol, ESESS_ERR_FORM, "");
	esess_form_free(req);
	/* a needed ESession field missing */
	req = vector_form("form-gajim-request.xml");
	set_value(req, "hash_algs", NULL);
	set_value(req, "modp", NULL);
	expect_choose(req, &pol, ESESS_ERR_FORM, "hash_algs,modp");
	esess_form_free(req);
	/* unknown ver */
	req = vector_form("form-gajim-request.xml");
	set_value(req, "ver", "2.0");
	expect_choose(req, &pol, ESESS_ERR_NOT_ACCEPTABLE, "ver");
	esess_form_free(req);
	/* dhhashes not one per group */
	req = vector_form("form-gajim-request.xml");
	fld = (EsessField *)esess_form_get(req, "dhhashes");
	g_ptr_array_remove_index(fld->values, 2);
	expect_choose(req, &pol, ESESS_ERR_FORM, "");
	esess_form_free(req);
	/* both logging and otr */
	req = vector_form("form-gajim-request.xml");
	fld = esess_form_add(req, "otr", ESESS_FIELD_LIST_SINGLE);
	esess_field_add_option(fld, "true");
	expect_choose(req, &pol, ESESS_ERR_FORM, "");
	esess_form_free(req);
	/* duplicate fields and multi-valued single fields never reach choose:
	 * esess_form_parse refuses them (test-form /forms/security/23-*) */
	{
		const char *dup = "<x xmlns='jabber:x:data' type='form'>"
			"<field type='hidden' var='FORM_TYPE'><value>urn:xmpp:ssn</value></field>"
			"<field type='list-single' var='modp'><option><value>14</value></option></field>"
			"<field type='list-single' var='modp'><option><value>2</value></option></field></x>";
		EsessXmlNode *x = NULL;
		EsessForm *f = NULL;

		g_assert_cmpint(esess_xml_parse(dup, strlen(dup), NULL, &x), ==, ESESS_OK);
		g_assert_cmpint(esess_form_parse(x, &f), ==, ESESS_ERR_FORM);
		esess_xml_free(x);
	}
}

static void
test_sec60_integers(void)
{
	static const char *const bad[] = {
		"-1", "+5", "18446744073709551616", "abc", "", " 5", "5 ", "0x10", "1e3",
		"05", "0", "2^64", "4294967295\n"
	};
	guint i;

	for (i = 0; i < G_N_ELEMENTS(bad); i++) {
		EsessForm *req = vector_form("form-gajim-request.xml");
		EsessFeatPolicy pol = policy(ESESS_LOGPREF_APPROVE);

		set_value(req, "rekey_freq", bad[i]);
		expect_choose(req, &pol, ESESS_ERR_FORM, "");
		esess_form_free(req);
		check_with(FALSE, "rekey_freq", bad[i], ESESS_ERR_FORM);
	}
}

/* INTEROP R23: the responder takes the committed SAS whenever it is
 * offered, in first or second place, as a list or as hidden values; and
 * sas28x5 alone still works (Gajim). */
static void
test_r23_choose(void)
{
	static const char *const shapes[] = {
		SAS_BOTH,
		"<field type='list-single' var='sas_algs'><option><value>sas28x5</value></option>"
		"<option><value>urn:xmpp:esessions:purple:sas:0</value></option></field>",
		"<field type='hidden' var='sas_algs'><value>sas28x5</value>"
		"<value>urn:xmpp:esessions:purple:sas:0</value></field>",
		"<field type='hidden' var='sas_algs'><value>urn:xmpp:esessions:purple:sas:0</value></field>",
		SAS_LEGACY,
	};
	EsessFeatPolicy bob = policy(ESESS_LOGPREF_APPROVE);
	EsessForm *req, *ans;
	EsessChoice c;
	const char *v;
	char *text;
	gsize i;

	for (i = 0; i < G_N_ELEMENTS(shapes); i++) {
		text = g_strconcat(OFFER_HEAD
				   "<field type='list-single' var='logging'><option><value>may</value>"
				   "</option></field>" OFFER_MIDDLE
				   "<field type='hidden' var='crypt_algs'><value>aes128-ctr</value></field>",
				   OFFER_REST("1000", ""), shapes[i],
				   "<field type='list-single' var='modp'><option><value>14</value>"
				   "</option></field>"
				   "<field type='hidden' var='dhhashes'><value>AA==</value></field></x>",
				   NULL);
		req = text_form(text);
		g_free(text);
		ans = NULL;
		g_assert_cmpint(esess_featneg_choose(req, &bob, &ans, &c, NULL), ==, ESESS_OK);
		g_assert_cmpint(esess_form_get_single(ans, "sas_algs", &v), ==, ESESS_OK);
		if (i + 1 < G_N_ELEMENTS(shapes)) {
			g_assert_cmpstr(c.sas_algs, ==, ESESS_SAS_COMMITTED_NAME);
			g_assert_cmpstr(v, ==, ESESS_SAS_COMMITTED_NAME);
		} else {
			g_assert_cmpstr(c.sas_algs, ==, ESESS_SAS_LEGACY_NAME);
			g_assert_cmpstr(v, ==, ESESS_SAS_LEGACY_NAME);
		}
		esess_choice_clear(&c);
		esess_form_free(ans);
		esess_form_free(req);
	}
}

/* INTEROP R23: the initiator refuses sas28x5 when it offered the committed
 * SAS (a responder of this plugin always takes it: taking the legacy one is a
 * downgrade only a man in the middle needs), and takes it when it offered
 * sas28x5 alone. */
static void
test_r23_check_downgrade(void)
{
	check_with(TRUE, "sas_algs", ESESS_SAS_COMMITTED_NAME, ESESS_OK);
	check_with(TRUE, "sas_algs", ESESS_SAS_LEGACY_NAME, ESESS_ERR_SAS_DOWNGRADE);
	check_with(FALSE, "sas_algs", ESESS_SAS_LEGACY_NAME, ESESS_OK);
	check_with(FALSE, "sas_algs", ESESS_SAS_COMMITTED_NAME, ESESS_ERR_NOT_OFFERED);
}

int
main(int argc, char **argv)
{
	static Cell cells[6 * 4];
	guint p, col;

	g_test_init(&argc, &argv, NULL);
	for (p = 0; p < 6; p++) {
		char *name = g_strdup_printf("/featneg/logging/offer/%s", pref_names[p]);

		g_test_add_data_func(name, GINT_TO_POINTER(p), test_logging_offer);
		g_free(name);
		for (col = 0; col < 4; col++) {
			Cell *c = &cells[p * 4 + col];

			c->pref = (EsessLogPref)p;
			c->column = col;
			name = g_strdup_printf("/featneg/logging/choose/%s/%s", pref_names[p],
					       columns[col][2]);
			g_test_add_data_func(name, c, test_logging_cell);
			g_free(name);
		}
	}
	g_test_add_func("/featneg/logging/malformed", test_logging_malformed);
	g_test_add_func("/featneg/offer/default", test_offer_default);
	g_test_add_func("/featneg/offer/plugin-peer", test_offer_plugin_peer);
	g_test_add_func("/featneg/offer/gajim-quirks", test_offer_gajim_quirks);
	g_test_add_func("/featneg/offer/bad-groups", test_offer_bad_groups);
	g_test_add_func("/featneg/choose/gajim-request", test_choose_gajim);
	g_test_add_func("/featneg/choose/0116-request", test_choose_0116);
	g_test_add_func("/featneg/choose/logging-true-false", test_choose_logging_true_false);
	g_test_add_func("/featneg/choose/legacy-otr", test_choose_legacy_otr);
	g_test_add_func("/featneg/choose/no-logging-field", test_choose_no_logging_field);
	g_test_add_func("/featneg/choose/not-acceptable", test_choose_not_acceptable);
	g_test_add_func("/featneg/roundtrip", test_roundtrip);
	g_test_add_func("/featneg/r23/choose-committed-sas", test_r23_choose);
	g_test_add_func("/featneg/r23/refuse-sas-downgrade", test_r23_check_downgrade);
	g_test_add_func("/featneg/check/shapes", test_check_shapes);
	g_test_add_func("/featneg/check/modp-index", test_check_modp_index);
	g_test_add_func("/forms/security/17-weak-groups", test_sec17_weak_groups);
	g_test_add_func("/forms/security/18-choice-not-offered", test_sec18_not_offered);
	g_test_add_func("/forms/security/19-weak-algorithms", test_sec19_weak_algorithms);
	g_test_add_func("/forms/security/20-disclosure", test_sec20_disclosure);
	g_test_add_func("/forms/security/21-three-message", test_sec21_three_message);
	g_test_add_func("/forms/security/22-rekey-freq", test_sec22_rekey);
	g_test_add_func("/forms/security/23-malformed-request", test_sec23_request_shape);
	g_test_add_func("/forms/security/60-integer-fields", test_sec60_integers);
	return g_test_run();
}
