/*
 * test-offline: XEP-0187 offline options signed per INTEROP R22 (issue 12
 * item 4, the engine's first part): built fresh and signed, checked against
 * the trusted key, the expiry and every field.  Hostile forms are signed
 * with the right key, so that each check is reached on its own.
 */
#include "config.h"

#include <string.h>

#include "esess-bytes.h"
#include "esess-form.h"
#include "esess-idkey-private.h"
#include "esess-offline.h"
#include "esess-offline-private.h"
#include "../protocol/neg-harness.h"

static const guint g14[] = { 14 };

static gint64
now_s(void)
{
	return g_get_real_time() / G_USEC_PER_SEC;
}

static EsessXmlNode *
build(EsessIdKey *k, const char *match, EsessOfflineSecrets **s)
{
	EsessOfflineConfig cfg;
	EsessXmlNode *x = NULL;

	memset(&cfg, 0, sizeof cfg);
	cfg.key = k;
	cfg.groups = g14;
	cfg.n_groups = 1;
	cfg.logging = ESESS_LOGPREF_PREFER;
	cfg.expires = now_s() + 3600;
	cfg.match_resource = match;
	g_assert_cmpint(esess_offline_options_new(&cfg, &x, s), ==, ESESS_OK);
	return x;
}

static EsessStatus
check(const EsessXmlNode *x, EsessIdKey *trusted, EsessOfflineOffer *o)
{
	return esess_offline_options_check(x, esess_idkey_public(trusted), now_s(), 2048,
					   ESESS_LOGPREF_PREFER, o);
}

static char *
field_value(const EsessXmlNode *x, const char *var)
{
	EsessForm *f = NULL;
	const char *v;
	char *out;

	g_assert_cmpint(esess_form_parse(x, &f), ==, ESESS_OK);
	g_assert_cmpint(esess_form_get_single(f, var, &v), ==, ESESS_OK);
	out = g_strdup(v);
	esess_form_free(f);
	return out;
}

static void
test_round_trip(void)
{
	EsessIdKey *ka = neg_test_idkey("alice"), *kb = neg_test_idkey("bob");
	EsessOfflineSecrets *s = NULL, *s2 = NULL;
	EsessXmlNode *x, *x2;
	EsessOfflineOffer o;
	const guint8 *e, *na;
	size_t e_len, na_len;
	char *v1, *v2;

	x = build(ka, "pda", &s);
	g_assert_cmpint(check(x, ka, &o), ==, ESESS_OK);
	g_assert_cmpuint(o.group, ==, 14);
	e = esess_dh_key_public(esess_offline_secrets_key(s, 14), &e_len);
	g_assert_cmpmem(o.e, o.e_len, e, e_len);
	na = esess_offline_secrets_nonce(s, &na_len);
	g_assert_cmpmem(o.n_a, o.n_a_len, na, na_len);
	g_assert_cmpstr(o.cipher, ==, "aes256-ctr");
	g_assert_cmpstr(o.match_resource, ==, "pda");
	g_assert_cmpint(o.expires, ==, esess_offline_secrets_expires(s));
	g_assert_cmpint(o.logging, ==, ESESS_LOGGING_MUSTNOT);
	g_assert_null(esess_offline_secrets_key(s, 15));
	esess_offline_offer_clear(&o);
	/* no accept, no pubkeys, no SAS, no commitments: the 3-message form */
	{
		char *t = esess_xml_to_string(x);

		g_assert_null(strstr(t, "'accept'"));
		g_assert_null(strstr(t, "pubkey"));
		g_assert_null(strstr(t, "sas_algs"));
		g_assert_null(strstr(t, "dhhashes"));
		g_assert_nonnull(strstr(t, "'signs'"));
		g_free(t);
	}
	/* another key does not vouch for it */
	g_assert_cmpint(check(x, kb, &o), ==, ESESS_ERR_SIGNATURE);
	/* fresh nonce and DH values every time (XEP-0187 §Security) */
	x2 = build(ka, NULL, &s2);
	v1 = field_value(x, "my_nonce");
	v2 = field_value(x2, "my_nonce");
	g_assert_cmpstr(v1, !=, v2);
	g_free(v1);
	g_free(v2);
	v1 = field_value(x, "dhkeys");
	v2 = field_value(x2, "dhkeys");
	g_assert_cmpstr(v1, !=, v2);
	g_free(v1);
	g_free(v2);
	g_assert_cmpint(check(x2, ka, &o), ==, ESESS_OK);
	g_assert_null(o.match_resource);
	esess_offline_offer_clear(&o);
	esess_xml_free(x);
	esess_xml_free(x2);
	esess_offline_secrets_free(s);
	esess_offline_secrets_free(s2);
	esess_idkey_free(ka);
	esess_idkey_free(kb);
}

static void
test_expired_and_tampered(void)
{
	EsessIdKey *ka = neg_test_idkey("alice");
	EsessOfflineSecrets *s = NULL;
	EsessXmlNode *x, *y;
	EsessOfflineOffer o;
	char *t, *at;

	x = build(ka, NULL, &s);
	g_assert_cmpint(esess_offline_options_check(x, esess_idkey_public(ka),
						    esess_offline_secrets_expires(s), 2048,
						    ESESS_LOGPREF_PREFER, &o),
			==, ESESS_ERR_EXPIRED);
	g_assert_cmpint(esess_offline_options_check(x, esess_idkey_public(ka),
						    esess_offline_secrets_expires(s) - 1, 2048,
						    ESESS_LOGPREF_PREFER, &o),
			==, ESESS_OK);
	esess_offline_offer_clear(&o);
	/* a later expiry written in by someone else breaks the signature */
	t = esess_xml_to_string(x);
	at = strstr(t, "<field type='hidden' var='expires'><value>");
	g_assert_nonnull(at);
	at += strlen("<field type='hidden' var='expires'><value>");
	at[3] = at[3] == '9' ? '8' : '9';
	g_assert_cmpint(esess_xml_parse(t, strlen(t), NULL, &y), ==, ESESS_OK);
	g_assert_cmpint(check(y, ka, &o), ==, ESESS_ERR_SIGNATURE);
	esess_xml_free(y);
	g_free(t);
	/* no key trusted: nothing is looked at */
	g_assert_cmpint(esess_offline_options_check(x, NULL, now_s(), 2048, ESESS_LOGPREF_PREFER,
						    &o),
			==, ESESS_ERR_SIGNATURE);
	esess_xml_free(x);
	esess_offline_secrets_free(s);
	g_assert_cmpint(esess_offline_options_new(&(EsessOfflineConfig){ .key = ka, .expires = 1 },
						  &x, &s),
			==, ESESS_ERR_INVALID_ARG);
	esess_idkey_free(ka);
}

/* ---- hostile forms, signed with the trusted key ------------------------ */

typedef void (*Mutate)(EsessForm *f);

static void
drop(EsessForm *f, const char *var)
{
	guint i;

	for (i = 0; i < f->fields->len; i++) {
		EsessField *fld = g_ptr_array_index(f->fields, i);

		if (g_strcmp0(fld->var, var) == 0) {
			g_ptr_array_remove_index(f->fields, i);
			return;
		}
	}
}

static void
set1(EsessForm *f, const char *var, EsessFieldType type, const char *value)
{
	drop(f, var);
	esess_field_add_value(esess_form_add(f, var, type), value);
}

static void m_accept(EsessForm *f) { set1(f, "accept", ESESS_FIELD_BOOLEAN, "1"); }
static void m_pubkey(EsessForm *f) { set1(f, "init_pubkey", ESESS_FIELD_LIST_SINGLE, "key"); }
static void m_sas(EsessForm *f) { set1(f, "sas_algs", ESESS_FIELD_HIDDEN, "sas28x5"); }
static void m_iq(EsessForm *f)
{
	EsessField *s;

	drop(f, "stanzas");
	s = esess_form_add(f, "stanzas", ESESS_FIELD_LIST_MULTI);
	esess_field_add_option(s, "message");
	esess_field_add_option(s, "iq");
}
static void m_presence_match(EsessForm *f)
{
	EsessField *s;

	drop(f, "stanzas");
	s = esess_form_add(f, "stanzas", ESESS_FIELD_LIST_MULTI);
	esess_field_add_option(s, "message");
	esess_field_add_option(s, "presence");
	set1(f, "match_resource", ESESS_FIELD_TEXT_SINGLE, "pda");
}
static void m_two_dh(EsessForm *f)
{
	EsessField *d = (EsessField *)esess_form_get(f, "dhkeys");

	esess_field_add_value(d, g_ptr_array_index(d->values, 0));
}
static void m_e_one(EsessForm *f) { set1(f, "dhkeys", ESESS_FIELD_HIDDEN, "AQ=="); }
static void m_e_junk(EsessForm *f) { set1(f, "dhkeys", ESESS_FIELD_HIDDEN, "AQ=$"); }
static void m_weak(EsessForm *f)
{
	drop(f, "modp");
	esess_field_add_option(esess_form_add(f, "modp", ESESS_FIELD_LIST_SINGLE), "5");
}
static void m_ver(EsessForm *f) { set1(f, "ver", ESESS_FIELD_HIDDEN, "2.0"); }
static void m_sha1(EsessForm *f) { set1(f, "hash_algs", ESESS_FIELD_HIDDEN, "sha1"); }
static void m_no_expiry(EsessForm *f) { drop(f, "expires"); }
static void m_bad_expiry(EsessForm *f)
{
	set1(f, "expires", ESESS_FIELD_HIDDEN, "tomorrow");
}
static void m_short_nonce(EsessForm *f) { set1(f, "my_nonce", ESESS_FIELD_HIDDEN, "AAAA"); }
static void m_no_logging(EsessForm *f) { drop(f, "logging"); }
static void m_none(EsessForm *f) { (void)f; }

/* x: a genuine options form (built once: the DH values cost) */
static void
check_mutation(EsessIdKey *ka, const EsessXmlNode *x, Mutate m, EsessStatus want)
{
	EsessXmlNode *y, *z;
	EsessForm *f = NULL;
	EsessOfflineOffer o;
	char *b64 = NULL;

	g_assert_cmpint(esess_form_parse(x, &f), ==, ESESS_OK);
	drop(f, "signs");
	m(f);
	y = esess_form_to_xml(f);
	g_assert_cmpint(esess_idkey_sign_form(ka, y, &b64), ==, ESESS_OK);
	set1(f, "signs", ESESS_FIELD_HIDDEN, b64);
	z = esess_form_to_xml(f);
	g_assert_cmpint(check(z, ka, &o), ==, want);
	if (want == ESESS_OK)
		esess_offline_offer_clear(&o);
	else
		g_assert_null(o.e);
	g_free(b64);
	esess_xml_free(y);
	esess_xml_free(z);
	esess_form_free(f);
}

static void
test_hostile(void)
{
	EsessIdKey *ka = neg_test_idkey("alice");
	EsessOfflineSecrets *s = NULL;
	EsessXmlNode *x = build(ka, NULL, &s);

	check_mutation(ka, x, m_none, ESESS_OK);  /* the re-signing itself is sound */
	check_mutation(ka, x, m_accept, ESESS_ERR_FORM);
	check_mutation(ka, x, m_pubkey, ESESS_ERR_FORM);
	check_mutation(ka, x, m_sas, ESESS_ERR_FORM);
	check_mutation(ka, x, m_iq, ESESS_ERR_FORM);
	check_mutation(ka, x, m_presence_match, ESESS_ERR_FORM);
	check_mutation(ka, x, m_two_dh, ESESS_ERR_FORM);
	check_mutation(ka, x, m_e_one, ESESS_ERR_DH_RANGE);
	check_mutation(ka, x, m_e_junk, ESESS_ERR_BASE64);
	check_mutation(ka, x, m_weak, ESESS_ERR_POLICY);
	check_mutation(ka, x, m_ver, ESESS_ERR_NOT_ACCEPTABLE);
	check_mutation(ka, x, m_sha1, ESESS_ERR_NOT_ACCEPTABLE);
	check_mutation(ka, x, m_no_expiry, ESESS_ERR_FORM);
	check_mutation(ka, x, m_bad_expiry, ESESS_ERR_FORM);
	check_mutation(ka, x, m_short_nonce, ESESS_ERR_LENGTH);
	check_mutation(ka, x, m_no_logging, ESESS_ERR_FORM);
	esess_xml_free(x);
	esess_offline_secrets_free(s);
	esess_idkey_free(ka);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_assert_cmpint(esess_crypto_init(), ==, ESESS_OK);
	g_test_add_func("/offline/r22/signed-options-round-trip", test_round_trip);
	g_test_add_func("/offline/r22/expired-and-tampered", test_expired_and_tampered);
	g_test_add_func("/offline/r22/security/hostile-options", test_hostile);
	return g_test_run();
}
