/*
 * esess-offline.c - XEP-0187 offline options signed per INTEROP R22 (see
 * esess-offline.h for the form).  Alice builds a fresh set each time she
 * publishes; Bob checks a fetched set: the signature first (nothing of an
 * unsigned form is interpreted), then the expiry, then every field.
 */
#include "config.h"

#include <string.h>

#include "esess-bytes.h"
#include "esess-featneg.h"
#include "esess-form.h"
#include "esess-modp.h"
#include "esess-offline.h"
#include "esess-offline-private.h"

#define RSA_SHA256       "http://www.w3.org/2000/09/xmldsig#rsa-sha256"
#define OFFLINE_NONCE_MIN 8u
#define OFFLINE_NONCE_MAX 64u
#define OFFLINE_MAX_DH   1024u  /* the largest group, 8192 bits */
#define OFFLINE_REKEY    "1000" /* as to peers of this plugin (R12) */


static const guint default_groups[] = { 15, 14, 16 };

void
esess_offline_secrets_free(EsessOfflineSecrets *s)
{
	if (s == NULL)
		return;
	esess_offline_secrets_destroy(s);
	if (s->seen != NULL)
		g_hash_table_unref(s->seen);
	g_free(s);
}

void
esess_offline_secrets_destroy(EsessOfflineSecrets *s)
{
	gsize i;

	if (s == NULL)
		return;
	for (i = 0; i < s->n; i++)
		esess_dh_key_free(s->keys[i]);
	g_free(s->keys);
	g_free(s->groups);
	s->keys = NULL;
	s->groups = NULL;
	s->n = 0;
	esess_wipe(s->n_a, sizeof s->n_a);
	s->destroyed = TRUE;
}

gint64
esess_offline_secrets_expires(const EsessOfflineSecrets *s)
{
	return s->expires;
}

const guint8 *
esess_offline_secrets_nonce(const EsessOfflineSecrets *s, size_t *len)
{
	*len = sizeof s->n_a;
	return s->n_a;
}

const EsessDhKey *
esess_offline_secrets_key(const EsessOfflineSecrets *s, guint group)
{
	gsize i;

	for (i = 0; i < s->n; i++)
		if (s->groups[i] == group)
			return s->keys[i];
	return NULL;
}

static void
add_options(EsessForm *f, const char *var, EsessFieldType type, const char *const *v, gsize n)
{
	EsessField *fld = esess_form_add(f, var, type);
	gsize i;

	for (i = 0; i < n; i++) {
		if (type == ESESS_FIELD_HIDDEN || type == ESESS_FIELD_TEXT_SINGLE)
			esess_field_add_value(fld, v[i]);
		else
			esess_field_add_option(fld, v[i]);
	}
}

static void
add_b64(EsessField *fld, const guint8 *b, size_t len)
{
	char *t = esess_base64_encode(b, len);

	esess_field_add_value(fld, t);
	g_free(t);
}

EsessStatus
esess_offline_options_new(const EsessOfflineConfig *cfg, EsessXmlNode **x,
			  EsessOfflineSecrets **secrets)
{
	static const char *const never[] = { "never" }, *const e2e[] = { "e2e" };
	static const char *const crypt[] = { "aes256-ctr", "aes128-ctr" };
	static const char *const message[] = { "message" };
	const guint *groups;
	const char *log[2], *one[1];
	EsessOfflineSecrets *s = NULL;
	EsessForm *f = NULL;
	EsessField *modp, *dh;
	EsessXmlNode *unsigned_x = NULL;
	char *num, *b64 = NULL, *when;
	guint min_bits;
	gsize n, i, j, n_log;
	EsessStatus r;

	g_return_val_if_fail(cfg != NULL && x != NULL && secrets != NULL, ESESS_ERR_INVALID_ARG);
	*x = NULL;
	*secrets = NULL;
	if (cfg->key == NULL || cfg->expires <= g_get_real_time() / G_USEC_PER_SEC)
		return ESESS_ERR_INVALID_ARG;
	groups = cfg->groups != NULL ? cfg->groups : default_groups;
	n = cfg->groups != NULL ? cfg->n_groups : G_N_ELEMENTS(default_groups);
	min_bits = cfg->min_modp_bits != 0 ? cfg->min_modp_bits : 2048;
	if (n == 0)
		return ESESS_ERR_UNKNOWN_GROUP;
	for (i = 0; i < n; i++) {
		if (!esess_modp_known(groups[i]) || esess_modp_bits(groups[i]) < min_bits)
			return ESESS_ERR_UNKNOWN_GROUP;
		for (j = 0; j < i; j++)
			if (groups[j] == groups[i])
				return ESESS_ERR_INVALID_ARG;
	}
	/* XEP-0187 §Security: new N_A and x every time the options are
	 * published, so that a replayed offline session is recognised */
	s = g_new0(EsessOfflineSecrets, 1);
	s->seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	s->expires = cfg->expires;
	s->groups = g_memdup2(groups, n * sizeof *groups);
	s->keys = g_new0(EsessDhKey *, n);
	s->n = n;
	esess_random(s->n_a, sizeof s->n_a);
	for (i = 0; i < n; i++) {
		r = esess_dh_keygen(groups[i], &s->keys[i]);
		if (r != ESESS_OK)
			goto out;
	}
	f = esess_form_new(ESESS_FORM_FORM);
	one[0] = ESESS_NS_SSN;
	add_options(f, "FORM_TYPE", ESESS_FIELD_HIDDEN, one, 1);
	n_log = esess_featneg_logging_offer(cfg->logging, log);
	add_options(f, "logging", ESESS_FIELD_LIST_SINGLE, log, n_log);
	add_options(f, "disclosure", ESESS_FIELD_LIST_SINGLE, never, 1);
	add_options(f, "security", ESESS_FIELD_LIST_SINGLE, e2e, 1);
	add_options(f, "crypt_algs", ESESS_FIELD_LIST_SINGLE, crypt, 2);
	one[0] = "sha256";
	add_options(f, "hash_algs", ESESS_FIELD_HIDDEN, one, 1);
	one[0] = "none";
	add_options(f, "compress", ESESS_FIELD_HIDDEN, one, 1);
	/* never iq (XEP-0187), and only message with match_resource */
	add_options(f, "stanzas", ESESS_FIELD_LIST_MULTI, message, 1);
	one[0] = "1.0";
	add_options(f, "ver", ESESS_FIELD_HIDDEN, one, 1);
	one[0] = OFFLINE_REKEY;
	add_options(f, "rekey_freq", ESESS_FIELD_HIDDEN, one, 1);
	one[0] = RSA_SHA256;
	add_options(f, "sign_algs", ESESS_FIELD_HIDDEN, one, 1);
	modp = esess_form_add(f, "modp", ESESS_FIELD_LIST_SINGLE);
	for (i = 0; i < n; i++) {
		num = g_strdup_printf("%u", groups[i]);
		esess_field_add_option(modp, num);
		g_free(num);
	}
	add_b64(esess_form_add(f, "my_nonce", ESESS_FIELD_HIDDEN), s->n_a, sizeof s->n_a);
	dh = esess_form_add(f, "dhkeys", ESESS_FIELD_HIDDEN);
	for (i = 0; i < n; i++) {
		const guint8 *e;
		size_t e_len;

		e = esess_dh_key_public(s->keys[i], &e_len);
		add_b64(dh, e, e_len);
	}
	when = esess_datetime_format(cfg->expires);
	one[0] = when;
	add_options(f, "expires", ESESS_FIELD_HIDDEN, one, 1);
	g_free(when);
	if (cfg->match_resource != NULL) {
		one[0] = cfg->match_resource;
		add_options(f, "match_resource", ESESS_FIELD_TEXT_SINGLE, one, 1);
	}
	/* R22: signed over the R7 form of everything but signs */
	unsigned_x = esess_form_to_xml(f);
	r = esess_idkey_sign_form(cfg->key, unsigned_x, &b64);
	if (r != ESESS_OK)
		goto out;
	one[0] = b64;
	add_options(f, "signs", ESESS_FIELD_HIDDEN, one, 1);
	*x = esess_form_to_xml(f);
	*secrets = s;
	s = NULL;
out:
	g_free(b64);
	esess_xml_free(unsigned_x);
	esess_form_free(f);
	esess_offline_secrets_free(s);
	return r;
}

void
esess_offline_offer_clear(EsessOfflineOffer *o)
{
	if (o == NULL)
		return;
	g_free(o->e);
	g_free(o->n_a);
	g_free(o->cipher);
	g_free(o->match_resource);
	memset(o, 0, sizeof *o);
}

/* The first value of var's offer that is in accept (NULL-terminated), or
 * NULL: *r is ESESS_ERR_FORM when the field is missing, else
 * ESESS_ERR_NOT_ACCEPTABLE. */
static const char *
pick(const EsessForm *f, const char *var, const char *const *accept, EsessStatus *r)
{
	const EsessField *fld = esess_form_get(f, var);
	const GPtrArray *vals;
	guint i, j;

	if (fld == NULL) {
		*r = ESESS_ERR_FORM;
		return NULL;
	}
	vals = esess_featneg_offered_values(fld);
	for (i = 0; i < vals->len; i++)
		for (j = 0; accept[j] != NULL; j++)
			if (strcmp(g_ptr_array_index(vals, i), accept[j]) == 0)
				return accept[j];
	*r = ESESS_ERR_NOT_ACCEPTABLE;
	return NULL;
}

EsessStatus
esess_offline_options_check(const EsessXmlNode *x, const EsessPubKey *trusted, gint64 now,
			    guint min_modp_bits, EsessLogPref logging, EsessOfflineOffer *offer)
{
	static const char *const forbidden[] = {
		"accept", "init_pubkey", "resp_pubkey", "pubkey", "sas_algs", "dhhashes", NULL
	};
	static const char *const acc_crypt[] = { "aes256-ctr", "aes128-ctr", NULL };
	static const char *const acc_sha[] = { "sha256", NULL };
	static const char *const acc_none[] = { "none", NULL };
	static const char *const acc_ver[] = { "1.0", NULL };
	static const char *const acc_never[] = { "never", NULL };
	static const char *const acc_e2e[] = { "e2e", NULL };
	static const char *const acc_sign[] = { RSA_SHA256, NULL };
	EsessOfflineOffer o;
	EsessForm *f = NULL;
	const EsessField *fld, *modp, *dh;
	const GPtrArray *groups, *vals;
	const char *v, *cipher, *logs[2];
	guint min_bits, i;
	gboolean weak = FALSE;
	EsessStatus r = ESESS_OK;

	g_return_val_if_fail(offer != NULL, ESESS_ERR_INVALID_ARG);
	memset(offer, 0, sizeof *offer);
	memset(&o, 0, sizeof o);
	if (trusted == NULL)
		return ESESS_ERR_SIGNATURE;
	/* R22, XEP-0187: nothing of a form without a good signature by the
	 * key we trust is looked at */
	r = esess_pubkey_verify_form(trusted, x);
	if (r != ESESS_OK)
		return r;
	r = esess_form_parse(x, &f);
	if (r != ESESS_OK)
		return ESESS_ERR_FORM;
	if (f->kind != ESESS_FORM_FORM || esess_form_get_single(f, "FORM_TYPE", &v) != ESESS_OK ||
	    strcmp(v, ESESS_NS_SSN) != 0) {
		r = ESESS_ERR_FORM;
		goto out;
	}
	if (esess_form_get_single(f, "expires", &v) != ESESS_OK ||
	    !esess_datetime_parse(v, &o.expires)) {
		r = ESESS_ERR_FORM;
		goto out;
	}
	if (o.expires <= now) {
		r = ESESS_ERR_EXPIRED;
		goto out;
	}
	for (i = 0; forbidden[i] != NULL; i++) {
		if (esess_form_get(f, forbidden[i]) != NULL) {
			r = ESESS_ERR_FORM;
			goto out;
		}
	}
	fld = esess_form_get(f, "match_resource");
	if (fld != NULL) {
		if (esess_form_get_single(f, "match_resource", &v) != ESESS_OK || *v == '\0') {
			r = ESESS_ERR_FORM;
			goto out;
		}
		o.match_resource = g_strdup(v);
	}
	/* stanzas: message, never iq; message alone with match_resource */
	fld = esess_form_get(f, "stanzas");
	if (fld == NULL) {
		r = ESESS_ERR_FORM;
		goto out;
	}
	vals = esess_featneg_offered_values(fld);
	for (i = 0; i < vals->len; i++) {
		v = g_ptr_array_index(vals, i);
		if (strcmp(v, "iq") == 0 ||
		    (o.match_resource != NULL && strcmp(v, "message") != 0)) {
			r = ESESS_ERR_FORM;
			goto out;
		}
	}
	if (!pick(f, "stanzas", (const char *const[]){ "message", NULL }, &r))
		goto out;
	if ((cipher = pick(f, "crypt_algs", acc_crypt, &r)) == NULL ||
	    !pick(f, "hash_algs", acc_sha, &r) || !pick(f, "compress", acc_none, &r) ||
	    !pick(f, "ver", acc_ver, &r) || !pick(f, "disclosure", acc_never, &r) ||
	    !pick(f, "security", acc_e2e, &r) ||
	    (esess_form_get(f, "sign_algs") != NULL && !pick(f, "sign_algs", acc_sign, &r)))
		goto out;
	o.cipher = g_strdup(cipher);
	fld = esess_form_get(f, "logging");
	if (fld == NULL) {
		r = ESESS_ERR_FORM;
		goto out;
	}
	vals = esess_featneg_offered_values(fld);
	if (vals->len == 0 || vals->len > 2) {
		r = ESESS_ERR_FORM;
		goto out;
	}
	for (i = 0; i < vals->len; i++)
		logs[i] = g_ptr_array_index(vals, i);
	r = esess_featneg_logging_choose(logging, logs, vals->len, &o.logging);
	if (r != ESESS_OK)
		goto out;
	/* the first group we accept, and its e: one dhkeys value per group */
	modp = esess_form_get(f, "modp");
	dh = esess_form_get(f, "dhkeys");
	if (modp == NULL || dh == NULL) {
		r = ESESS_ERR_FORM;
		goto out;
	}
	groups = esess_featneg_offered_values(modp);
	if (dh->values->len != groups->len) {
		r = ESESS_ERR_FORM;
		goto out;
	}
	min_bits = min_modp_bits != 0 ? min_modp_bits : 2048;
	for (i = 0; i < groups->len && o.group == 0; i++) {
		guint64 g;

		if (esess_parse_uint(g_ptr_array_index(groups, i), 1000, &g) != ESESS_OK ||
		    !esess_modp_known((guint)g))
			continue;
		if (esess_modp_bits((guint)g) < min_bits) {
			weak = TRUE;
			continue;
		}
		o.group = (guint)g;
		v = g_ptr_array_index(dh->values, i);
		r = esess_base64_decode(v, strlen(v), OFFLINE_MAX_DH, &o.e, &o.e_len);
		if (r == ESESS_ERR_TOO_LARGE)
			r = ESESS_ERR_LENGTH;
		if (r != ESESS_OK)
			goto out;
		r = esess_dh_check_public(o.group, o.e, o.e_len);
		if (r != ESESS_OK)
			goto out;
	}
	if (o.group == 0) {
		r = weak ? ESESS_ERR_POLICY : ESESS_ERR_NOT_ACCEPTABLE;
		goto out;
	}
	if (esess_form_get_single(f, "my_nonce", &v) != ESESS_OK) {
		r = ESESS_ERR_FORM;
		goto out;
	}
	r = esess_base64_decode(v, strlen(v), OFFLINE_NONCE_MAX, &o.n_a, &o.n_a_len);
	if (r == ESESS_ERR_TOO_LARGE || (r == ESESS_OK && o.n_a_len < OFFLINE_NONCE_MIN))
		r = ESESS_ERR_LENGTH;
	if (r != ESESS_OK)
		goto out;
	*offer = o;
	memset(&o, 0, sizeof o);
out:
	esess_offline_offer_clear(&o);
	esess_form_free(f);
	return r;
}
