/*
 * esess-featneg.c - option choice for ESessions (XEP-0020 as used by
 * XEP-0155 and XEP-0116 §4.3-4.5): the initiator's offer (INTEROP R12), the
 * responder's choice (R13), the initiator's check of the choice (SECURITY
 * 17-23) and the XEP-0136 logging tables (DIGEST §10.1).
 *
 *   Alice                                   Bob
 *   build_offer -> form (+ my_nonce, dhhashes by the caller)
 *                                           choose -> submit (+ my_nonce,
 *                                                     dhkeys, nonce, counter)
 *   check (every value was offered)
 *
 * A field a peer offers may be a list (list-single / list-multi <option>s)
 * or, as Gajim sends most of them, a hidden field whose values are the offer
 * (DIGEST Appendix B).  Responder and initiator both read "the offered
 * values" the same way.
 */
#include "config.h"

#include <string.h>

#include "esess-bytes.h"
#include "esess-featneg.h"
#include "esess-modp.h"
#include "esess-quirks.h"
#include "esess-sas.h"

#define SSN_FORM_TYPE   "urn:xmpp:ssn"
#define RSA_SHA256      "http://www.w3.org/2000/09/xmldsig#rsa-sha256"
#define REKEY_MAX       G_GUINT64_CONSTANT(4294967295)  /* < 2^32 (XEP-0116 §4.3) */
#define REKEY_EXTENDED  G_GUINT64_CONSTANT(1000)
#define DEFAULT_MIN_BITS 2048u                           /* INTEROP R11 */

/* ---- the XEP-0136 tables (DIGEST §10.1) --------------------------- */

gsize
esess_featneg_logging_offer(EsessLogPref pref, const char *out[2])
{
	switch (pref) {
	case ESESS_LOGPREF_REQUIRE:
		out[0] = "mustnot";
		out[1] = NULL;
		return 1;
	case ESESS_LOGPREF_PREFER:
	case ESESS_LOGPREF_APPROVE:
		out[0] = "mustnot";
		out[1] = "may";
		return 2;
	case ESESS_LOGPREF_CONCEDE:
	case ESESS_LOGPREF_OPPOSE:
		out[0] = "may";
		out[1] = "mustnot";
		return 2;
	case ESESS_LOGPREF_FORBID:
		out[0] = "may";
		out[1] = NULL;
		return 1;
	}
	out[0] = out[1] = NULL;
	return 0;
}

/* Response table: rows are the responder's pref, columns the offer
 * [mustnot | mustnot,may | may,mustnot | may]; -1 is "fail". */
static int
logging_cell(EsessLogPref pref, guint column)
{
	static const int m = ESESS_LOGGING_MUSTNOT, y = ESESS_LOGGING_MAY, F = -1;
	static const int require[4] = { m, m, m, F };
	static const int prefer[4]  = { m, m, m, y };
	static const int approve[4] = { m, m, y, y };
	static const int concede[4] = { m, m, y, y };
	static const int oppose[4]  = { m, y, y, y };
	static const int forbid[4]  = { F, y, y, y };

	switch (pref) {
	case ESESS_LOGPREF_REQUIRE:
		return require[column];
	case ESESS_LOGPREF_PREFER:
		return prefer[column];
	case ESESS_LOGPREF_APPROVE:
		return approve[column];
	case ESESS_LOGPREF_CONCEDE:
		return concede[column];
	case ESESS_LOGPREF_OPPOSE:
		return oppose[column];
	case ESESS_LOGPREF_FORBID:
		return forbid[column];
	}
	return F;
}

EsessStatus
esess_featneg_logging_choose(EsessLogPref pref, const char *const *offered, gsize n,
			     EsessLogging *out)
{
	guint column;
	int cell;

	g_return_val_if_fail(out != NULL, ESESS_ERR_INVALID_ARG);
	*out = ESESS_LOGGING_MAY;
	if (n == 1 && strcmp(offered[0], "mustnot") == 0)
		column = 0;
	else if (n == 2 && strcmp(offered[0], "mustnot") == 0 && strcmp(offered[1], "may") == 0)
		column = 1;
	else if (n == 2 && strcmp(offered[0], "may") == 0 && strcmp(offered[1], "mustnot") == 0)
		column = 2;
	else if (n == 1 && strcmp(offered[0], "may") == 0)
		column = 3;
	else
		return ESESS_ERR_FORM;
	cell = logging_cell(pref, column);
	if (cell < 0)
		return ESESS_ERR_NOT_ACCEPTABLE;
	*out = (EsessLogging)cell;
	return ESESS_OK;
}

/* ---- helpers -------------------------------------------------------- */

void
esess_choice_clear(EsessChoice *c)
{
	if (c == NULL)
		return;
	g_free(c->crypt_algs);
	g_free(c->hash_algs);
	g_free(c->compress);
	g_free(c->sas_algs);
	g_free(c->sign_algs);
	g_free(c->init_pubkey);
	g_free(c->resp_pubkey);
	g_free(c->ver);
	g_free(c->disclosure);
	g_free(c->security);
	memset(c, 0, sizeof(*c));
}

/* The values a field offers: its <option>s for a list with options, else its
 * <value>s (Gajim's hidden single-valued offers). */
const GPtrArray *
esess_featneg_offered_values(const EsessField *fld)
{
	if ((fld->type == ESESS_FIELD_LIST_SINGLE || fld->type == ESESS_FIELD_LIST_MULTI) &&
	    fld->options->len > 0)
		return fld->options;
	return fld->values;
}

static gint
index_of(const GPtrArray *a, const char *s)
{
	guint i;

	for (i = 0; i < a->len; i++)
		if (strcmp(g_ptr_array_index(a, i), s) == 0)
			return (gint)i;
	return -1;
}

static gboolean
in_list(const char *const *list, const char *s)
{
	gsize i;

	for (i = 0; list[i] != NULL; i++)
		if (strcmp(list[i], s) == 0)
			return TRUE;
	return FALSE;
}

static guint
effective_min_bits(const EsessFeatPolicy *pol)
{
	return pol->min_modp_bits != 0 ? pol->min_modp_bits : DEFAULT_MIN_BITS;
}

/* A MODP group number: strict decimal, a known group (R11). 0 otherwise. */
static guint
parse_group(const char *s)
{
	guint64 v;

	if (esess_parse_uint(s, 1000, &v) != ESESS_OK || !esess_modp_known((guint)v))
		return 0;
	return (guint)v;
}

/* rekey_freq: strict decimal (SECURITY 60), positive.  ESESS_ERR_FORM for a
 * malformed number; the range against 2^32 is the caller's. */
static EsessStatus
parse_rekey(const char *s, guint64 *out)
{
	if (esess_parse_uint(s, G_MAXUINT64, out) != ESESS_OK || *out == 0)
		return ESESS_ERR_FORM;
	return ESESS_OK;
}

/* ---- the offer (INTEROP R12) ---------------------------------------- */

static EsessField *
add_list(EsessForm *f, const char *var, EsessFieldType type, const char *const *opts, gsize n,
	 gboolean required)
{
	EsessField *fld = esess_form_add(f, var, type);
	gsize i;

	for (i = 0; i < n; i++) {
		if (type == ESESS_FIELD_HIDDEN)
			esess_field_add_value(fld, opts[i]);
		else
			esess_field_add_option(fld, opts[i]);
	}
	fld->required = required;
	return fld;
}

static EsessField *
add_hidden(EsessForm *f, const char *var, const char *value)
{
	EsessField *fld = esess_form_add(f, var, ESESS_FIELD_HIDDEN);

	esess_field_add_value(fld, value);
	return fld;
}

EsessStatus
esess_featneg_build_offer(const EsessFeatPolicy *pol, const guint *groups, gsize n_groups,
			  EsessForm **out)
{
	static const char *const disclosure[] = { "never" };
	static const char *const security[] = { "e2e" };
	static const char *const crypt_ext[] = { "aes256-ctr", "aes128-ctr" };
	static const char *const stanzas[] = { "message" };
	static const char *const pubkey[] = { "none" };
	const char *init_pk[3], *resp_pk[3];
	gsize n_init_pk = 0, n_resp_pk = 0;
	gboolean pk;
	static const char *const sas_ext[] = { ESESS_SAS_COMMITTED_NAME, ESESS_SAS_LEGACY_NAME };
	const EsessQuirks *q;
	const char *logging[2];
	EsessForm *f = NULL;
	EsessField *fld;
	GArray *offer = NULL;
	gboolean ext;
	guint min_bits;
	gsize i, j, n_log;
	char *num;
	EsessStatus r = ESESS_OK;

	g_return_val_if_fail(pol != NULL && out != NULL, ESESS_ERR_INVALID_ARG);
	g_return_val_if_fail(groups != NULL || n_groups == 0, ESESS_ERR_INVALID_ARG);
	*out = NULL;
	q = pol->quirks;
	ext = pol->extensions && !(q != NULL && q->no_extensions);
	min_bits = effective_min_bits(pol);

	/* groups: every one known and within policy (R11, SECURITY 17), no
	 * duplicate (options are unique), then the peer's quirks (R20) */
	offer = g_array_new(FALSE, FALSE, sizeof(guint));
	for (i = 0; i < n_groups; i++) {
		if (!esess_modp_known(groups[i]) || esess_modp_bits(groups[i]) < min_bits) {
			r = ESESS_ERR_UNKNOWN_GROUP;
			goto out;
		}
		for (j = 0; j < i; j++) {
			if (groups[j] == groups[i]) {
				r = ESESS_ERR_INVALID_ARG;
				goto out;
			}
		}
		if (q != NULL && q->no_group_18 && groups[i] == 18)
			continue;
		g_array_append_val(offer, groups[i]);
	}
	if (q != NULL && q->no_group_17_first && offer->len > 0 &&
	    g_array_index(offer, guint, 0) == 17) {
		/* R20: move 17 behind the next group; alone it cannot be offered */
		if (offer->len == 1) {
			r = ESESS_ERR_UNKNOWN_GROUP;
			goto out;
		}
		g_array_index(offer, guint, 0) = g_array_index(offer, guint, 1);
		g_array_index(offer, guint, 1) = 17;
	}
	if (offer->len == 0) {
		r = ESESS_ERR_UNKNOWN_GROUP;
		goto out;
	}

	f = esess_form_new(ESESS_FORM_FORM);
	add_hidden(f, "FORM_TYPE", SSN_FORM_TYPE);
	fld = esess_form_add(f, "accept", ESESS_FIELD_BOOLEAN);
	esess_field_add_value(fld, "1");
	fld->required = TRUE;
	n_log = esess_featneg_logging_offer(pol->logging, logging);
	add_list(f, "logging", ESESS_FIELD_LIST_SINGLE, logging, n_log, TRUE);
	add_list(f, "disclosure", ESESS_FIELD_LIST_SINGLE, disclosure, 1, TRUE);
	add_list(f, "security", ESESS_FIELD_LIST_SINGLE, security, 1, TRUE);
	/* INTEROP R4, R12, R19: aes128-ctr alone unless the peer has the plugin */
	if (ext)
		add_list(f, "crypt_algs", ESESS_FIELD_LIST_SINGLE, crypt_ext, 2, FALSE);
	else
		add_hidden(f, "crypt_algs", "aes128-ctr");
	add_hidden(f, "hash_algs", "sha256");
	add_hidden(f, "compress", "none");
	add_list(f, "stanzas", ESESS_FIELD_LIST_MULTI, stanzas, 1, FALSE);
	/* INTEROP R21: public keys only to a peer of this plugin, or one whose
	 * key we hold (its capabilities may not be known yet, as for R23),
	 * never to Gajim (R20); `key` first, so that a changed key can be shown
	 * and checked (`hash` names a key we already hold); `none` last for a
	 * peer whose key is not ready (generating, locked) */
	pk = (pol->own_key || pol->peer_key) && (ext || pol->peer_key) &&
	     !(q != NULL && q->no_extensions);
	if (pk && pol->own_key) {
		if (pol->pubkey_hash_first)
			init_pk[n_init_pk++] = "hash";
		init_pk[n_init_pk++] = "key";
		if (!pol->pubkey_hash_first)
			init_pk[n_init_pk++] = "hash";
	}
	init_pk[n_init_pk++] = "none";
	if (pk) {
		if (pol->peer_key && pol->pubkey_hash_first)
			resp_pk[n_resp_pk++] = "hash";
		resp_pk[n_resp_pk++] = "key";
		if (pol->peer_key && !pol->pubkey_hash_first)
			resp_pk[n_resp_pk++] = "hash";
	}
	resp_pk[n_resp_pk++] = "none";
	add_list(f, "init_pubkey", ESESS_FIELD_LIST_SINGLE, init_pk, n_init_pk, FALSE);
	add_list(f, "resp_pubkey", ESESS_FIELD_LIST_SINGLE, resp_pk, n_resp_pk, FALSE);
	(void)pubkey;
	add_hidden(f, "ver", "1.0");
	/* Gajim sends 2^32-1 (no re-keying); plugin peers re-key */
	num = g_strdup_printf("%" G_GUINT64_FORMAT, ext ? REKEY_EXTENDED : REKEY_MAX);
	add_hidden(f, "rekey_freq", num);
	g_free(num);
	/* INTEROP R23: the committed SAS first, beside sas28x5, only to peers
	 * of this plugin (never Gajim: R20), so the choice sits in form_A and
	 * form_B and both identity MACs cover it */
	if (ext || (pol->committed_sas && !(q != NULL && q->no_extensions)))
		add_list(f, "sas_algs", ESESS_FIELD_LIST_SINGLE, sas_ext, 2, FALSE);
	else
		add_hidden(f, "sas_algs", ESESS_SAS_LEGACY_NAME);
	add_hidden(f, "sign_algs", RSA_SHA256);
	fld = esess_form_add(f, "modp", ESESS_FIELD_LIST_SINGLE);
	for (i = 0; i < offer->len; i++) {
		num = g_strdup_printf("%u", g_array_index(offer, guint, i));
		esess_field_add_option(fld, num);
		g_free(num);
	}
	*out = f;
	f = NULL;
out:
	if (offer != NULL)
		g_array_unref(offer);
	esess_form_free(f);
	return r;
}

/* ---- the responder's choice (INTEROP R13) --------------------------- */

typedef enum {
	PICK_OK,
	PICK_NONE,    /* nothing we support: not-acceptable */
	PICK_POLICY   /* a known but refused value was offered (SECURITY 17, 19, 20) */
} PickResult;

typedef struct {
	const char *var;
	const char *const *accept;   /* acceptable values */
	const char *const *refused;  /* known values refused by policy */
	gboolean needed;             /* must be in an ESession request */
	const char *prefer;          /* chosen whenever offered, wherever it stands */
} ListRule;

static const char *const acc_disclosure[] = { "never", NULL };
static const char *const ref_disclosure[] = { "disabled", "enabled", NULL };
static const char *const acc_security[] = { "e2e", NULL };
static const char *const ref_security[] = { "c2s", "none", NULL };
/* both mean AES-256-CTR on the wire (INTEROP R4) */
static const char *const acc_crypt[] = { "aes256-ctr", "aes128-ctr", NULL };
static const char *const ref_crypt[] = { "none", NULL };
static const char *const acc_hash[] = { "sha256", NULL };
static const char *const ref_hash[] = { "sha1", "md5", "none", NULL };
static const char *const acc_compress[] = { "none", NULL };
static const char *const ref_compress[] = { "zlib", "lzw", NULL };
static const char *const acc_sas[] = {
	ESESS_SAS_COMMITTED_NAME, ESESS_SAS_LEGACY_NAME, NULL
};
static const char *const acc_ver[] = { "1.0", NULL };
static const char *const acc_pubkey[] = { "none", NULL };
static const char *const acc_sign[] = { RSA_SHA256, NULL };
static const char *const none_refused[] = { NULL };

static const ListRule list_rules[] = {
	{ "disclosure",  acc_disclosure, ref_disclosure, TRUE,  NULL },
	{ "security",    acc_security,   ref_security,   TRUE,  NULL },
	{ "crypt_algs",  acc_crypt,      ref_crypt,      TRUE,  NULL },
	{ "hash_algs",   acc_hash,       ref_hash,       TRUE,  NULL },
	{ "compress",    acc_compress,   ref_compress,   TRUE,  NULL },
	/* INTEROP R23: the committed SAS is chosen whenever offered */
	{ "sas_algs",    acc_sas,        none_refused,   TRUE,  ESESS_SAS_COMMITTED_NAME },
	{ "ver",         acc_ver,        none_refused,   TRUE,  NULL },
	{ "init_pubkey", acc_pubkey,     none_refused,   TRUE,  NULL },
	{ "resp_pubkey", acc_pubkey,     none_refused,   TRUE,  NULL },
	{ "sign_algs",   acc_sign,       none_refused,   FALSE, NULL },
};

static char **
choice_slot(EsessChoice *c, const char *var)
{
	if (strcmp(var, "disclosure") == 0)
		return &c->disclosure;
	if (strcmp(var, "security") == 0)
		return &c->security;
	if (strcmp(var, "crypt_algs") == 0)
		return &c->crypt_algs;
	if (strcmp(var, "hash_algs") == 0)
		return &c->hash_algs;
	if (strcmp(var, "compress") == 0)
		return &c->compress;
	if (strcmp(var, "sas_algs") == 0)
		return &c->sas_algs;
	if (strcmp(var, "ver") == 0)
		return &c->ver;
	if (strcmp(var, "init_pubkey") == 0)
		return &c->init_pubkey;
	if (strcmp(var, "resp_pubkey") == 0)
		return &c->resp_pubkey;
	if (strcmp(var, "sign_algs") == 0)
		return &c->sign_algs;
	return NULL;
}

static const ListRule *
list_rule(const char *var)
{
	gsize i;

	for (i = 0; i < G_N_ELEMENTS(list_rules); i++)
		if (strcmp(list_rules[i].var, var) == 0)
			return &list_rules[i];
	return NULL;
}

static PickResult
pick(const EsessField *fld, const ListRule *rule, const char **out)
{
	const GPtrArray *vals = esess_featneg_offered_values(fld);
	gboolean refused = FALSE;
	guint i;

	*out = NULL;
	if (rule->prefer != NULL) {
		for (i = 0; i < vals->len; i++) {
			const char *v = g_ptr_array_index(vals, i);

			if (strcmp(v, rule->prefer) == 0) {
				*out = v;
				return PICK_OK;
			}
		}
	}
	/* R13: the first offered option local policy accepts */
	for (i = 0; i < vals->len; i++) {
		const char *v = g_ptr_array_index(vals, i);

		if (in_list(rule->accept, v)) {
			*out = v;
			return PICK_OK;
		}
		if (in_list(rule->refused, v))
			refused = TRUE;
	}
	return refused ? PICK_POLICY : PICK_NONE;
}

/* SECURITY 23: the shape each known field may have in a request. */
static gboolean
request_type_ok(const char *var, EsessFieldType t)
{
	if (strcmp(var, "FORM_TYPE") == 0 || strcmp(var, "my_nonce") == 0 ||
	    strcmp(var, "dhhashes") == 0 || strcmp(var, "dhkeys") == 0)
		return t == ESESS_FIELD_HIDDEN;
	if (strcmp(var, "accept") == 0)
		return t == ESESS_FIELD_BOOLEAN;
	if (strcmp(var, "stanzas") == 0)
		return t == ESESS_FIELD_LIST_MULTI || t == ESESS_FIELD_LIST_SINGLE ||
		       t == ESESS_FIELD_HIDDEN;
	if (strcmp(var, "rekey_freq") == 0)
		return t == ESESS_FIELD_TEXT_SINGLE || t == ESESS_FIELD_HIDDEN ||
		       t == ESESS_FIELD_UNSPECIFIED;
	if (strcmp(var, "otr") == 0)
		return t == ESESS_FIELD_LIST_SINGLE || t == ESESS_FIELD_BOOLEAN ||
		       t == ESESS_FIELD_HIDDEN;
	/* logging, modp and the list rules */
	return t == ESESS_FIELD_LIST_SINGLE || t == ESESS_FIELD_HIDDEN;
}

static gboolean
is_known_var(const char *var)
{
	static const char *const known[] = {
		"FORM_TYPE", "accept", "logging", "otr", "modp", "stanzas", "rekey_freq",
		"my_nonce", "dhhashes", "dhkeys", NULL
	};

	return in_list(known, var) || list_rule(var) != NULL;
}

static void
bad(GPtrArray *bad_vars, const char *var)
{
	if (bad_vars != NULL)
		g_ptr_array_add(bad_vars, g_strdup(var));
}

/* Logging from `logging` or the legacy `otr` field (R13, DIGEST §15 #1).
 * *answer_value gets the value to echo (points into static or form text). */
static EsessStatus
choose_logging(const EsessForm *req, EsessLogPref pref, EsessLogging *out,
	       const char **answer_value, const char **answer_var)
{
	const EsessField *lf = esess_form_get(req, "logging");
	const EsessField *of = esess_form_get(req, "otr");
	const GPtrArray *vals;
	const char *mapped[2];
	guint i;
	EsessStatus r;

	*answer_value = NULL;
	*answer_var = NULL;
	*out = ESESS_LOGGING_MAY;
	if (lf != NULL && of != NULL)
		return ESESS_ERR_FORM;
	if (lf == NULL && of == NULL) {
		/* DIGEST §10.1: a request without logging while ours is
		 * require MUST be refused; else logging is allowed */
		if (pref == ESESS_LOGPREF_REQUIRE)
			return ESESS_ERR_NOT_ACCEPTABLE;
		return ESESS_OK;
	}
	vals = esess_featneg_offered_values(lf != NULL ? lf : of);
	if (vals->len == 0 || vals->len > 2)
		return ESESS_ERR_FORM;
	for (i = 0; i < vals->len; i++) {
		const char *v = g_ptr_array_index(vals, i);

		if (lf != NULL) {
			/* R13: `logging` of true/false is ambiguous: refused
			 * with not-acceptable naming the field, so the peer
			 * learns which one (XEP-0155 §Errors) */
			if (strcmp(v, "may") != 0 && strcmp(v, "mustnot") != 0)
				return ESESS_ERR_NOT_ACCEPTABLE;
			mapped[i] = v;
		} else if (strcmp(v, "true") == 0 || strcmp(v, "1") == 0) {
			mapped[i] = "mustnot";
		} else if (strcmp(v, "false") == 0 || strcmp(v, "0") == 0) {
			mapped[i] = "may";
		} else {
			return ESESS_ERR_FORM;
		}
	}
	r = esess_featneg_logging_choose(pref, mapped, vals->len, out);
	if (r != ESESS_OK)
		return r;
	if (lf != NULL) {
		*answer_var = "logging";
		*answer_value = *out == ESESS_LOGGING_MUSTNOT ? "mustnot" : "may";
	} else {
		*answer_var = "otr";
		*answer_value = *out == ESESS_LOGGING_MUSTNOT ? "true" : "false";
	}
	return ESESS_OK;
}

EsessStatus
esess_featneg_choose(const EsessForm *request, const EsessFeatPolicy *pol,
		     EsessForm **answer, EsessChoice *choice, GPtrArray *bad_vars)
{
	EsessForm *ans = NULL;
	EsessChoice c;
	const EsessField *fld, *mf;
	const char *v, *log_value, *log_var;
	const char *picked[G_N_ELEMENTS(list_rules)];
	gboolean b, policy_fail = FALSE, not_acc = FALSE, modp_done = FALSE;
	guint min_bits, i, j;
	guint64 rekey = 0;
	char *num;
	EsessStatus r = ESESS_OK;

	g_return_val_if_fail(request != NULL && pol != NULL && answer != NULL && choice != NULL,
			     ESESS_ERR_INVALID_ARG);
	*answer = NULL;
	memset(&c, 0, sizeof(c));
	memset(choice, 0, sizeof(*choice));
	memset(picked, 0, sizeof(picked));
	min_bits = effective_min_bits(pol);

	/* 1. the shape of the request (SECURITY 23) */
	if (request->kind != ESESS_FORM_FORM ||
	    esess_form_get_single(request, "FORM_TYPE", &v) != ESESS_OK ||
	    strcmp(v, SSN_FORM_TYPE) != 0) {
		r = ESESS_ERR_FORM;
		goto out;
	}
	for (i = 0; i < request->fields->len; i++) {
		fld = g_ptr_array_index(request->fields, i);
		if (fld->var == NULL || !is_known_var(fld->var))
			continue;
		if (!request_type_ok(fld->var, fld->type)) {
			r = ESESS_ERR_FORM;
			goto out;
		}
	}
	fld = esess_form_get(request, "accept");
	if (fld == NULL || esess_form_get_bool(request, "accept", &b) != ESESS_OK || !b) {
		r = ESESS_ERR_FORM;
		goto out;
	}
	for (i = 0; i < G_N_ELEMENTS(list_rules); i++) {
		if (list_rules[i].needed && esess_form_get(request, list_rules[i].var) == NULL) {
			bad(bad_vars, list_rules[i].var);
			r = ESESS_ERR_FORM;
		}
	}
	if (esess_form_get(request, "modp") == NULL) {
		bad(bad_vars, "modp");
		r = ESESS_ERR_FORM;
	}
	if (r != ESESS_OK)
		goto out;
	/* the caller checks each dhhashes value; their count must match */
	mf = esess_form_get(request, "modp");
	fld = esess_form_get(request, "dhhashes");
	if (fld != NULL && fld->values->len != esess_featneg_offered_values(mf)->len) {
		r = ESESS_ERR_FORM;
		goto out;
	}
	/* 3-message (dhkeys, no dhhashes) is not for client-to-client
	 * sessions (SECURITY 21, DIGEST §4.4) */
	if (fld == NULL) {
		bad(bad_vars, esess_form_get(request, "dhkeys") != NULL ? "dhkeys" : "dhhashes");
		not_acc = TRUE;
	}
	fld = esess_form_get(request, "rekey_freq");
	if (fld != NULL) {
		if (fld->values->len != 1 ||
		    parse_rekey(g_ptr_array_index(fld->values, 0), &rekey) != ESESS_OK) {
			r = ESESS_ERR_FORM;  /* SECURITY 60 */
			goto out;
		}
	}

	/* 2. one choice per field (R13) */
	r = choose_logging(request, pol->logging, &c.logging, &log_value, &log_var);
	if (r == ESESS_ERR_NOT_ACCEPTABLE) {
		bad(bad_vars, esess_form_get(request, "otr") != NULL ? "otr" : "logging");
		not_acc = TRUE;
	} else if (r != ESESS_OK) {
		goto out;
	}
	r = ESESS_OK;
	for (i = 0; i < G_N_ELEMENTS(list_rules); i++) {
		ListRule rule = list_rules[i];
		const char *pk_acc[4];

		fld = esess_form_get(request, list_rules[i].var);
		if (fld == NULL)
			continue;
		/* INTEROP R21: public keys only with a peer of this plugin or
		 * one whose key we hold (another implementation's idea of the
		 * key and signature forms may differ), never with a quirks peer
		 * (R20); then what we can verify (init_pubkey: `hash` only
		 * names a key we hold) and sign with (resp_pubkey) */
		if (strcmp(rule.var, "init_pubkey") == 0 || strcmp(rule.var, "resp_pubkey") == 0) {
			gsize n = 0;
			gboolean init = strcmp(rule.var, "init_pubkey") == 0;
			gboolean pk_ok = (pol->extensions || pol->peer_key) &&
					 !(pol->quirks != NULL && pol->quirks->no_extensions);

			if (pk_ok && (init || pol->own_key))
				pk_acc[n++] = "key";
			if (pk_ok && (init ? pol->peer_key : pol->own_key))
				pk_acc[n++] = "hash";
			pk_acc[n++] = "none";
			pk_acc[n] = NULL;
			rule.accept = pk_acc;
		}
		switch (pick(fld, &rule, &picked[i])) {
		case PICK_OK:
			*choice_slot(&c, list_rules[i].var) = g_strdup(picked[i]);
			break;
		case PICK_NONE:
			bad(bad_vars, list_rules[i].var);
			not_acc = TRUE;
			break;
		case PICK_POLICY:
			bad(bad_vars, list_rules[i].var);
			policy_fail = TRUE;
			break;
		}
	}
	/* modp: the first offered group known and within policy (SECURITY 17) */
	{
		const GPtrArray *groups = esess_featneg_offered_values(mf);
		gboolean weak = FALSE;

		for (j = 0; j < groups->len && !modp_done; j++) {
			guint g = parse_group(g_ptr_array_index(groups, j));

			if (g == 0)
				continue;
			if (esess_modp_bits(g) < min_bits) {
				weak = TRUE;
				continue;
			}
			c.modp = g;
			c.modp_index = j;
			modp_done = TRUE;
		}
		if (!modp_done) {
			bad(bad_vars, "modp");
			if (weak)
				policy_fail = TRUE;
			else
				not_acc = TRUE;
		}
	}
	/* stanzas: message must be among them; we encrypt messages only */
	fld = esess_form_get(request, "stanzas");
	if (fld != NULL) {
		if (index_of(esess_featneg_offered_values(fld), "message") < 0) {
			bad(bad_vars, "stanzas");
			not_acc = TRUE;
		} else {
			c.stanzas_message = TRUE;
		}
	} else {
		c.stanzas_message = TRUE;  /* XEP-0116 §4.3: message is the default */
	}
	/* rekey_freq (R13): echo when < 2^32 and not below our minimum,
	 * else our minimum, which is above Alice's (XEP-0116 §4.5) */
	if (esess_form_get(request, "rekey_freq") != NULL) {
		if (rekey > REKEY_MAX) {
			bad(bad_vars, "rekey_freq");
			not_acc = TRUE;
		} else {
			c.rekey_freq = MAX(rekey, pol->min_rekey_freq);
			if (c.rekey_freq > REKEY_MAX) {
				bad(bad_vars, "rekey_freq");
				not_acc = TRUE;
			}
		}
	} else {
		c.rekey_freq = MAX(pol->min_rekey_freq, 1);
	}
	if (policy_fail) {
		r = ESESS_ERR_POLICY;
		goto out;
	}
	if (not_acc) {
		r = ESESS_ERR_NOT_ACCEPTABLE;
		goto out;
	}

	/* 3. the answer, in the request's field order */
	ans = esess_form_new(ESESS_FORM_SUBMIT);
	for (i = 0; i < request->fields->len; i++) {
		EsessField *af;
		const char *var;

		fld = g_ptr_array_index(request->fields, i);
		var = fld->var;
		if (var == NULL)
			continue;
		if (strcmp(var, "FORM_TYPE") == 0) {
			af = esess_form_add(ans, var, ESESS_FIELD_HIDDEN);
			esess_field_add_value(af, SSN_FORM_TYPE);
		} else if (strcmp(var, "accept") == 0) {
			af = esess_form_add(ans, var, ESESS_FIELD_BOOLEAN);
			esess_field_add_value(af, "1");
		} else if (log_var != NULL && strcmp(var, log_var) == 0) {
			af = esess_form_add(ans, var, fld->type);
			esess_field_add_value(af, log_value);
		} else if (strcmp(var, "modp") == 0) {
			af = esess_form_add(ans, var, fld->type);
			num = g_strdup_printf("%u", c.modp);
			esess_field_add_value(af, num);
			g_free(num);
		} else if (strcmp(var, "stanzas") == 0) {
			af = esess_form_add(ans, var, fld->type);
			esess_field_add_value(af, "message");
		} else if (strcmp(var, "rekey_freq") == 0) {
			af = esess_form_add(ans, var, fld->type);
			num = g_strdup_printf("%" G_GUINT64_FORMAT, c.rekey_freq);
			esess_field_add_value(af, num);
			g_free(num);
		} else if (list_rule(var) != NULL) {
			af = esess_form_add(ans, var, fld->type);
			esess_field_add_value(af, *choice_slot(&c, var));
		}
		/* my_nonce, dhhashes, dhkeys: the caller; unknown: ignored */
	}
	*answer = ans;
	ans = NULL;
	*choice = c;
	memset(&c, 0, sizeof(c));
out:
	esess_form_free(ans);
	esess_choice_clear(&c);
	return r;
}

/* ---- the initiator's check (SECURITY 18, 22) ------------------------- */

/* The response's single value for var, which must be one we offered. */
static EsessStatus
check_offered(const EsessForm *offer, const EsessForm *resp, const char *var, gboolean needed,
	      const char **out, gint *index)
{
	const EsessField *of = esess_form_get(offer, var);
	const EsessField *rf = esess_form_get(resp, var);
	gint idx;

	*out = NULL;
	if (of == NULL) {
		/* never offered: a choice for it is a choice not offered */
		return rf != NULL ? ESESS_ERR_NOT_OFFERED : ESESS_OK;
	}
	if (rf == NULL)
		return needed ? ESESS_ERR_FORM : ESESS_OK;
	if (esess_form_get_single(resp, var, out) != ESESS_OK)
		return ESESS_ERR_FORM;
	idx = index_of(esess_featneg_offered_values(of), *out);
	if (idx < 0)
		return ESESS_ERR_NOT_OFFERED;
	if (index != NULL)
		*index = idx;
	return ESESS_OK;
}

EsessStatus
esess_featneg_check(const EsessForm *offer, const EsessForm *response,
		    const EsessFeatPolicy *pol, EsessChoice *choice)
{
	return esess_featneg_check_field(offer, response, pol, choice, NULL);
}

EsessStatus
esess_featneg_check_field(const EsessForm *offer, const EsessForm *response,
			  const EsessFeatPolicy *pol, EsessChoice *choice, const char **field)
{
	EsessChoice c;
	const EsessField *fld, *of;
	const char *v, *logging[2], *var_seen = NULL;
	gboolean b;
	gsize n_log;
	gint idx = -1;
	guint i;
	guint64 rekey, offered_rekey;
	EsessStatus r = ESESS_OK;

	g_return_val_if_fail(offer != NULL && response != NULL && pol != NULL && choice != NULL,
			     ESESS_ERR_INVALID_ARG);
	memset(&c, 0, sizeof(c));
	memset(choice, 0, sizeof(*choice));
	if (field == NULL)
		field = &var_seen;
	*field = NULL;

	if (response->kind != ESESS_FORM_SUBMIT ||
	    esess_form_get_single(response, "FORM_TYPE", &v) != ESESS_OK ||
	    strcmp(v, SSN_FORM_TYPE) != 0) {
		*field = "FORM_TYPE";
		r = ESESS_ERR_FORM;
		goto out;
	}
	/* the type of a submit's field is not significant (XEP-0004 §3.2):
	 * Gajim sends accept as text-single "true" (INTEROP R20) */
	*field = "accept";
	fld = esess_form_get(response, "accept");
	if (fld == NULL || esess_form_get_bool(response, "accept", &b) != ESESS_OK) {
		r = ESESS_ERR_FORM;
		goto out;
	}
	if (!b) {
		r = ESESS_ERR_REJECTED;  /* XEP-0155 decline */
		goto out;
	}

	/* every single-valued choice must be one we offered (SECURITY 18) */
	for (i = 0; i < G_N_ELEMENTS(list_rules); i++) {
		const char *var = list_rules[i].var;

		*field = var;
		r = check_offered(offer, response, var, list_rules[i].needed, &v, NULL);
		if (r != ESESS_OK)
			goto out;
		if (v != NULL)
			*choice_slot(&c, var) = g_strdup(v);
	}
	*field = "modp";
	r = check_offered(offer, response, "modp", TRUE, &v, &idx);
	if (r != ESESS_OK)
		goto out;
	if (v == NULL) {
		r = ESESS_ERR_FORM;  /* an offer without modp is not ours */
		goto out;
	}
	c.modp = parse_group(v);
	if (c.modp == 0) {
		r = ESESS_ERR_NOT_OFFERED;  /* we only offer known groups */
		goto out;
	}
	c.modp_index = (guint)idx;

	/* INTEROP R23: a responder that was offered the committed SAS chooses
	 * it; taking sas28x5 instead would let a man in the middle grind the
	 * SAS (SECURITY 63), so that choice is refused, not accepted quietly */
	of = esess_form_get(offer, "sas_algs");
	if (of != NULL && index_of(esess_featneg_offered_values(of), ESESS_SAS_COMMITTED_NAME) >= 0 &&
	    g_strcmp0(c.sas_algs, ESESS_SAS_COMMITTED_NAME) != 0) {
		r = ESESS_ERR_SAS_DOWNGRADE;
		goto out;
	}

	/* logging: offered, and what our pref allows (DIGEST §10.1) */
	*field = "logging";
	r = check_offered(offer, response, "logging", TRUE, &v, NULL);
	if (r != ESESS_OK)
		goto out;
	if (v == NULL) {
		r = ESESS_ERR_FORM;
		goto out;
	}
	n_log = esess_featneg_logging_offer(pol->logging, logging);
	if (!((n_log > 0 && strcmp(v, logging[0]) == 0) ||
	      (n_log > 1 && strcmp(v, logging[1]) == 0))) {
		r = ESESS_ERR_POLICY;
		goto out;
	}
	c.logging = strcmp(v, "mustnot") == 0 ? ESESS_LOGGING_MUSTNOT : ESESS_LOGGING_MAY;

	/* stanzas: each chosen value offered; message among them */
	*field = "stanzas";
	of = esess_form_get(offer, "stanzas");
	fld = esess_form_get(response, "stanzas");
	if (of != NULL) {
		if (fld == NULL || fld->values->len == 0) {
			r = ESESS_ERR_FORM;
			goto out;
		}
		for (i = 0; i < fld->values->len; i++) {
			v = g_ptr_array_index(fld->values, i);
			if (index_of(esess_featneg_offered_values(of), v) < 0) {
				r = ESESS_ERR_NOT_OFFERED;
				goto out;
			}
			if (strcmp(v, "message") == 0)
				c.stanzas_message = TRUE;
		}
		if (!c.stanzas_message) {
			r = ESESS_ERR_POLICY;
			goto out;
		}
	} else if (fld != NULL) {
		r = ESESS_ERR_NOT_OFFERED;
		goto out;
	} else {
		c.stanzas_message = TRUE;
	}

	/* rekey_freq (SECURITY 22, 60): >= what we sent and our minimum, < 2^32 */
	*field = "rekey_freq";
	if (esess_form_get_single(response, "rekey_freq", &v) != ESESS_OK ||
	    parse_rekey(v, &rekey) != ESESS_OK) {
		r = ESESS_ERR_FORM;
		goto out;
	}
	offered_rekey = 1;
	if (esess_form_get_single(offer, "rekey_freq", &v) == ESESS_OK &&
	    parse_rekey(v, &offered_rekey) != ESESS_OK)
		offered_rekey = 1;
	if (rekey > REKEY_MAX || rekey < offered_rekey || rekey < pol->min_rekey_freq) {
		r = ESESS_ERR_POLICY;
		goto out;
	}
	c.rekey_freq = rekey;
	*field = NULL;
	*choice = c;
	memset(&c, 0, sizeof(c));
	r = ESESS_OK;
out:
	esess_choice_clear(&c);
	return r;
}
