/*
 * test-offline-session: the XEP-0187 offline session (issue 12 item 4):
 * a message sealed against published options is opened by the recipient
 * with the secrets kept since publishing, once; every hostile variant is
 * refused with its own status (the plugin drops them all without an
 * answer): a replayed stanza, a replayed d, a replayed N_B, expired
 * options, a signature by a key that is not the trusted one, a tampered
 * identity, MAC or ciphertext, another set's nonce, destroyed secrets.
 * And the secrets at rest: 0600, read back whole, wiped off the disk.
 */
#include "config.h"

#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "esess-bytes.h"
#include "esess-form.h"
#include "esess-idkey.h"
#include "esess-offline.h"
#include "esess-offline-private.h"
#include "../protocol/neg-harness.h"

static const guint g14[] = { 14 };

typedef struct {
	EsessIdKey *bob;   /* the recipient: publishes, then is offline */
	EsessIdKey *alice; /* the sender */
	EsessIdKey *eve;
	EsessOfflineSecrets *s;
	EsessXmlNode *options;
	EsessOfflineOffer offer;
} Fx;

typedef struct {
	EsessXmlNode *init;
	EsessXmlNode *c;
} Sealed;

static gint64
now_s(void)
{
	return g_get_real_time() / G_USEC_PER_SEC;
}

static void
fx_init(Fx *fx)
{
	EsessOfflineConfig cfg;

	memset(fx, 0, sizeof *fx);
	fx->bob = neg_test_idkey("bob");
	fx->alice = neg_test_idkey("alice");
	fx->eve = neg_test_idkey("mallory");
	memset(&cfg, 0, sizeof cfg);
	cfg.key = fx->bob;
	cfg.groups = g14;
	cfg.n_groups = 1;
	cfg.logging = ESESS_LOGPREF_PREFER;
	cfg.expires = now_s() + 3600;
	g_assert_cmpint(esess_offline_options_new(&cfg, &fx->options, &fx->s), ==, ESESS_OK);
	g_assert_cmpint(esess_offline_options_check(fx->options, esess_idkey_public(fx->bob),
						    now_s(), 2048, ESESS_LOGPREF_PREFER,
						    &fx->offer),
			==, ESESS_OK);
}

static void
fx_clear(Fx *fx)
{
	esess_offline_offer_clear(&fx->offer);
	esess_xml_free(fx->options);
	esess_offline_secrets_free(fx->s);
	esess_idkey_free(fx->bob);
	esess_idkey_free(fx->alice);
	esess_idkey_free(fx->eve);
}

static void
seal_as(const EsessOfflineOffer *offer, EsessIdKey *sender, const char *body, gint64 created,
	Sealed *out)
{
	GString *c = g_string_new(NULL);
	char *payload = g_markup_printf_escaped("<body>%s</body>", body);

	g_assert_cmpint(esess_offline_seal(offer, sender, payload, strlen(payload), created,
					   &out->init, c),
			==, ESESS_OK);
	g_assert_nonnull(out->init);
	/* no plaintext on the wire */
	g_assert_null(strstr(c->str, body));
	{
		char *t = esess_xml_to_string(out->init);

		g_assert_null(strstr(t, body));
		g_free(t);
	}
	g_assert_cmpint(esess_xml_parse(c->str, c->len, NULL, &out->c), ==, ESESS_OK);
	g_string_free(c, TRUE);
	g_free(payload);
}

static void
sealed_clear(Sealed *s)
{
	esess_xml_free(s->init);
	esess_xml_free(s->c);
	memset(s, 0, sizeof *s);
}

static EsessStatus
open_as(Fx *fx, EsessIdKey *trusted, gint64 now, const Sealed *m, char **body, gint64 *created)
{
	EsessXmlNode *payload = NULL;
	gint64 t = -1;
	EsessStatus r;

	r = esess_offline_open(fx->s, esess_idkey_public(trusted), now, m->init, m->c, &payload,
			       &t, NULL);
	if (r != ESESS_OK) {
		g_assert_null(payload); /* nothing of a refused message is shown */
		return r;
	}
	g_assert_nonnull(payload);
	if (body != NULL)
		*body = esess_xml_text(esess_xml_child(payload, "body", NULL));
	/* the SHIM headers are taken out of what is shown */
	g_assert_null(esess_xml_child(payload, "headers", NULL));
	if (created != NULL)
		*created = t;
	esess_xml_free(payload);
	return r;
}

/* A copy of m with field var of its form replaced by value. */
static void
with_field(const Sealed *m, const char *var, const char *value, Sealed *out)
{
	EsessForm *f = NULL;
	EsessXmlNode *x;
	EsessField *fld;
	guint i;

	g_assert_cmpint(esess_form_parse(esess_xml_child(m->init, "x", ESESS_NS_XDATA), &f), ==,
			ESESS_OK);
	for (i = 0; i < f->fields->len; i++) {
		fld = g_ptr_array_index(f->fields, i);
		if (g_strcmp0(fld->var, var) == 0) {
			g_ptr_array_set_size(fld->values, 0);
			esess_field_add_value(fld, value);
		}
	}
	x = esess_form_to_xml(f);
	out->init = esess_xml_new("init", ESESS_NS_INIT);
	esess_xml_append(out->init, x);
	out->c = esess_xml_copy(m->c);
	esess_form_free(f);
}

static char *
field_of(const Sealed *m, const char *var)
{
	EsessForm *f = NULL;
	const char *v;
	char *out;

	g_assert_cmpint(esess_form_parse(esess_xml_child(m->init, "x", ESESS_NS_XDATA), &f), ==,
			ESESS_OK);
	g_assert_cmpint(esess_form_get_single(f, var, &v), ==, ESESS_OK);
	out = g_strdup(v);
	esess_form_free(f);
	return out;
}

static void
test_round_trip(void)
{
	Fx fx;
	Sealed m1, m2;
	char *body = NULL;
	gint64 created = 0, written = now_s() - 120;

	fx_init(&fx);
	seal_as(&fx.offer, fx.alice, "Grüße, <b>bold</b> & ünïcode", written, &m1);
	g_assert_cmpint(open_as(&fx, fx.alice, now_s(), &m1, &body, &created), ==, ESESS_OK);
	g_assert_cmpstr(body, ==, "Grüße, <b>bold</b> & ünïcode");
	g_assert_cmpint(created, ==, written);
	g_free(body);
	/* a second message: its own session, fresh d and N_B */
	seal_as(&fx.offer, fx.alice, "second", written + 1, &m2);
	{
		char *d1 = field_of(&m1, "dhkeys"), *d2 = field_of(&m2, "dhkeys");
		char *n1 = field_of(&m1, "my_nonce"), *n2 = field_of(&m2, "my_nonce");

		g_assert_cmpstr(d1, !=, d2);
		g_assert_cmpstr(n1, !=, n2);
		g_free(d1);
		g_free(d2);
		g_free(n1);
		g_free(n2);
	}
	g_assert_cmpint(open_as(&fx, fx.alice, now_s(), &m2, &body, NULL), ==, ESESS_OK);
	g_assert_cmpstr(body, ==, "second");
	g_free(body);
	/* a one-shot session: terminate = 1 is in the signed form */
	{
		char *t = field_of(&m1, "terminate");

		g_assert_cmpstr(t, ==, "1");
		g_free(t);
	}
	sealed_clear(&m1);
	sealed_clear(&m2);
	fx_clear(&fx);
}

/* XEP-0187 §Security: the same stanza, and any stanza reusing d or N_B */
static void
test_replay(void)
{
	Fx fx;
	Sealed m1, m2, m3;
	char *d1, *n1;

	fx_init(&fx);
	seal_as(&fx.offer, fx.alice, "first body, once", now_s(), &m1);
	seal_as(&fx.offer, fx.alice, "second body", now_s(), &m2);
	d1 = field_of(&m1, "dhkeys");
	n1 = field_of(&m1, "my_nonce");
	/* before m1 is accepted, m2 carrying m1's d is merely forged */
	with_field(&m2, "dhkeys", d1, &m3);
	g_assert_cmpint(open_as(&fx, fx.alice, now_s(), &m3, NULL, NULL), ==, ESESS_ERR_IDENTITY);
	sealed_clear(&m3);
	g_assert_cmpint(open_as(&fx, fx.alice, now_s(), &m1, NULL, NULL), ==, ESESS_OK);
	/* the very same stanza again */
	g_assert_cmpint(open_as(&fx, fx.alice, now_s(), &m1, NULL, NULL), ==, ESESS_ERR_REPLAY);
	/* m1's d in another stanza */
	with_field(&m2, "dhkeys", d1, &m3);
	g_assert_cmpint(open_as(&fx, fx.alice, now_s(), &m3, NULL, NULL), ==, ESESS_ERR_REPLAY);
	sealed_clear(&m3);
	/* m1's N_B in another stanza */
	with_field(&m2, "my_nonce", n1, &m3);
	g_assert_cmpint(open_as(&fx, fx.alice, now_s(), &m3, NULL, NULL), ==, ESESS_ERR_REPLAY);
	sealed_clear(&m3);
	/* m2 itself, untouched, is still good: a refusal spends nothing */
	g_assert_cmpint(open_as(&fx, fx.alice, now_s(), &m2, NULL, NULL), ==, ESESS_OK);
	g_assert_cmpint(open_as(&fx, fx.alice, now_s(), &m2, NULL, NULL), ==, ESESS_ERR_REPLAY);
	g_free(d1);
	g_free(n1);
	sealed_clear(&m1);
	sealed_clear(&m2);
	fx_clear(&fx);
}

static void
test_expired(void)
{
	Fx fx;
	Sealed m;
	gint64 exp;

	fx_init(&fx);
	exp = esess_offline_secrets_expires(fx.s);
	seal_as(&fx.offer, fx.alice, "written late", now_s(), &m);
	/* XEP-0187: past the expiry, discarded undecrypted */
	g_assert_cmpint(open_as(&fx, fx.alice, exp, &m, NULL, NULL), ==, ESESS_ERR_EXPIRED);
	g_assert_cmpint(open_as(&fx, fx.alice, exp + 86400, &m, NULL, NULL), ==,
			ESESS_ERR_EXPIRED);
	/* and the refusal did not spend it: just before, it opens */
	g_assert_cmpint(open_as(&fx, fx.alice, exp - 1, &m, NULL, NULL), ==, ESESS_OK);
	sealed_clear(&m);
	fx_clear(&fx);
}

/* the identity must be the key the recipient trusts for the sender */
static void
test_wrong_key(void)
{
	Fx fx;
	Sealed m, me;

	fx_init(&fx);
	seal_as(&fx.offer, fx.alice, "from alice", now_s(), &m);
	/* alice's genuine message, but bob trusts another key for her */
	g_assert_cmpint(open_as(&fx, fx.eve, now_s(), &m, NULL, NULL), ==, ESESS_ERR_SIGNATURE);
	/* eve, who fetched bob's options, signs with her own key */
	seal_as(&fx.offer, fx.eve, "from eve", now_s(), &me);
	g_assert_cmpint(open_as(&fx, fx.alice, now_s(), &me, NULL, NULL), ==, ESESS_ERR_SIGNATURE);
	/* no trusted key at all */
	{
		EsessXmlNode *p = NULL;
		gint64 t;

		EsessPubKey *signer = NULL;

		g_assert_cmpint(esess_offline_open(fx.s, NULL, now_s(), m.init, m.c, &p, &t, NULL),
				==, ESESS_ERR_KEY_UNKNOWN);
		g_assert_null(p);
		/* a caller that takes a first key (R21): with none held, the
		 * key that proved itself comes back to be kept unverified;
		 * here eve's (a held key is what refuses her, above) */
		g_assert_cmpint(esess_offline_open(fx.s, NULL, now_s(), me.init, me.c, &p, &t,
						   &signer),
				==, ESESS_OK);
		g_assert_nonnull(p);
		g_assert_true(esess_pubkey_equal(signer, esess_idkey_public(fx.eve)));
		g_assert_false(esess_pubkey_equal(signer, esess_idkey_public(fx.alice)));
		esess_pubkey_free(signer);
		esess_xml_free(p);
	}
	/* none of this spent alice's message */
	g_assert_cmpint(open_as(&fx, fx.alice, now_s(), &m, NULL, NULL), ==, ESESS_OK);
	sealed_clear(&m);
	sealed_clear(&me);
	fx_clear(&fx);
}

static char *
flip_b64(const char *v)
{
	char *t = g_strdup(v);
	size_t i = strlen(t) / 2;

	t[i] = t[i] == 'A' ? 'B' : 'A';
	return t;
}

static void
test_tampered(void)
{
	Fx fx;
	Sealed m, mt;
	char *v, *bad;
	EsessXmlNode *data;

	fx_init(&fx);
	seal_as(&fx.offer, fx.alice, "intact", now_s(), &m);
	/* the encrypted identity */
	v = field_of(&m, "identity");
	bad = flip_b64(v);
	with_field(&m, "identity", bad, &mt);
	g_assert_cmpint(open_as(&fx, fx.alice, now_s(), &mt, NULL, NULL), ==, ESESS_ERR_IDENTITY);
	sealed_clear(&mt);
	g_free(v);
	g_free(bad);
	/* its MAC */
	v = field_of(&m, "mac");
	bad = flip_b64(v);
	with_field(&m, "mac", bad, &mt);
	g_assert_cmpint(open_as(&fx, fx.alice, now_s(), &mt, NULL, NULL), ==, ESESS_ERR_IDENTITY);
	sealed_clear(&mt);
	g_free(v);
	g_free(bad);
	/* a form field covered by mac_B (the chosen cipher): the signature
	 * no longer matches the recomputed mac_B */
	with_field(&m, "crypt_algs", "aes128-ctr", &mt);
	g_assert_cmpint(open_as(&fx, fx.alice, now_s(), &mt, NULL, NULL), ==, ESESS_ERR_SIGNATURE);
	sealed_clear(&mt);
	/* terminate off: not a one-shot session, refused */
	with_field(&m, "terminate", "0", &mt);
	g_assert_cmpint(open_as(&fx, fx.alice, now_s(), &mt, NULL, NULL), ==, ESESS_ERR_FORM);
	sealed_clear(&mt);
	/* another options set's nonce */
	with_field(&m, "nonce", "AAAAAAAAAAAAAAAAAAAAAA==", &mt);
	g_assert_cmpint(open_as(&fx, fx.alice, now_s(), &mt, NULL, NULL), ==, ESESS_ERR_NONCE);
	sealed_clear(&mt);
	/* a group that was not offered */
	with_field(&m, "modp", "15", &mt);
	g_assert_cmpint(open_as(&fx, fx.alice, now_s(), &mt, NULL, NULL), ==,
			ESESS_ERR_NOT_OFFERED);
	sealed_clear(&mt);
	/* the ciphertext: the content's MAC fails, nothing is shown */
	mt.init = esess_xml_copy(m.init);
	mt.c = esess_xml_copy(m.c);
	data = esess_xml_child(mt.c, "data", NULL);
	g_assert_nonnull(data);
	v = esess_xml_text(data);
	bad = flip_b64(v);
	while (data->first_child != NULL) {
		EsessXmlNode *t = data->first_child;

		esess_xml_unlink(t);
		esess_xml_free(t);
	}
	esess_xml_add_text(data, bad, -1);
	g_assert_cmpint(open_as(&fx, fx.alice, now_s(), &mt, NULL, NULL), ==, ESESS_ERR_MAC);
	sealed_clear(&mt);
	g_free(v);
	g_free(bad);
	sealed_clear(&m);
	fx_clear(&fx);
}

/* destroyed secrets open nothing any more (XEP-0187 §Accepting) */
static void
test_destroyed(void)
{
	Fx fx;
	Sealed m;

	fx_init(&fx);
	seal_as(&fx.offer, fx.alice, "too late", now_s(), &m);
	esess_offline_secrets_destroy(fx.s);
	g_assert_null(esess_offline_secrets_key(fx.s, 14));
	g_assert_cmpint(open_as(&fx, fx.alice, now_s(), &m, NULL, NULL), ==,
			ESESS_ERR_SESSION_ENDED);
	sealed_clear(&m);
	fx_clear(&fx);
}

static void
test_at_rest(void)
{
	Fx fx;
	Sealed m;
	char *dir, *path, *body = NULL;
	EsessOfflineSecrets *loaded = NULL, *keep;
	struct stat st;

	fx_init(&fx);
	dir = g_dir_make_tmp("esess-offline-XXXXXX", NULL);
	g_assert_nonnull(dir);
	path = g_build_filename(dir, "offline", NULL);
	g_assert_cmpint(esess_offline_secrets_save(fx.s, path), ==, ESESS_OK);
	g_assert_cmpint(stat(path, &st), ==, 0);
	g_assert_cmpint(st.st_mode & 0777, ==, 0600);
	g_assert_cmpint(esess_offline_secrets_load(path, &loaded), ==, ESESS_OK);
	g_assert_cmpint(esess_offline_secrets_expires(loaded), ==,
			esess_offline_secrets_expires(fx.s));
	/* what was read back opens a message sealed against the options */
	seal_as(&fx.offer, fx.alice, "kept on disk", now_s(), &m);
	keep = fx.s;
	fx.s = loaded;
	g_assert_cmpint(open_as(&fx, fx.alice, now_s(), &m, &body, NULL), ==, ESESS_OK);
	g_assert_cmpstr(body, ==, "kept on disk");
	g_free(body);
	fx.s = keep;
	esess_offline_secrets_free(loaded);
	g_assert_cmpint(esess_offline_secrets_destroy_file(path), ==, ESESS_OK);
	g_assert_false(g_file_test(path, G_FILE_TEST_EXISTS));
	g_assert_cmpint(esess_offline_secrets_load(path, &loaded), ==, ESESS_ERR_STORE_IO);
	/* a corrupt file is refused whole */
	g_assert_true(g_file_set_contents(path, "esessions-offline-secrets 1\n5 AAAA\n14 !!\n", -1,
					  NULL));
	g_assert_cmpint(esess_offline_secrets_load(path, &loaded), ==, ESESS_ERR_STORE_FORMAT);
	g_assert_null(loaded);
	g_assert_cmpint(esess_offline_secrets_destroy_file(path), ==, ESESS_OK);
	g_assert_cmpint(rmdir(dir), ==, 0);
	g_free(path);
	g_free(dir);
	sealed_clear(&m);
	fx_clear(&fx);
}

/* the installed API: the same round trip with XML as text, as the plugin
 * does it (a whole <message/> in, the children out) */
static void
test_text_api(void)
{
	EsessIdKey *bob = neg_test_idkey("bob"), *alice = neg_test_idkey("alice");
	EsessOfflineConfig cfg;
	EsessOfflineSecrets *s = NULL;
	EsessOfflineOffer offer;
	char *form = NULL, *children = NULL, *msg, *payload = NULL;
	gint64 created = 0;

	memset(&cfg, 0, sizeof cfg);
	cfg.key = bob;
	cfg.groups = g14;
	cfg.n_groups = 1;
	cfg.expires = now_s() + 600;
	g_assert_cmpint(esess_offline_options_new_text(&cfg, &form, &s), ==, ESESS_OK);
	g_assert_cmpint(esess_offline_options_check_text(form, strlen(form),
							 esess_idkey_public(bob), now_s(), 2048,
							 ESESS_LOGPREF_PREFER, &offer),
			==, ESESS_OK);
	g_assert_cmpint(esess_offline_seal_text(&offer, alice, "<body>as text</body>", 20, 1234567,
						&children),
			==, ESESS_OK);
	g_assert_null(strstr(children, "as text"));
	msg = g_strdup_printf("<message xmlns='jabber:client' from='alice@example.org/a' "
			      "to='bob@example.org' type='chat'><thread>t1</thread>%s"
			      "<store xmlns='urn:xmpp:hints'/></message>",
			      children);
	g_assert_true(esess_offline_is_offline_stanza(msg, strlen(msg)));
	g_assert_false(esess_offline_is_offline_stanza("<message><body>x</body></message>", 33));
	g_assert_cmpint(esess_offline_open_text(s, esess_idkey_public(alice), now_s(), msg,
						strlen(msg), &payload, &created, NULL),
			==, ESESS_OK);
	g_assert_cmpstr(payload, ==, "<body>as text</body>");
	g_assert_cmpint(created, ==, 1234567);
	g_free(payload);
	g_assert_cmpint(esess_offline_open_text(s, esess_idkey_public(alice), now_s(), msg,
						strlen(msg), &payload, &created, NULL),
			==, ESESS_ERR_REPLAY);
	g_assert_null(payload);
	g_free(msg);
	g_free(children);
	g_free(form);
	esess_offline_offer_clear(&offer);
	esess_offline_secrets_free(s);
	esess_idkey_free(bob);
	esess_idkey_free(alice);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_assert_cmpint(esess_crypto_init(), ==, ESESS_OK);
	g_test_add_func("/offline/session/round-trip", test_round_trip);
	g_test_add_func("/offline/session/security/replay", test_replay);
	g_test_add_func("/offline/session/security/expired", test_expired);
	g_test_add_func("/offline/session/security/wrong-key", test_wrong_key);
	g_test_add_func("/offline/session/security/tampered", test_tampered);
	g_test_add_func("/offline/session/destroyed", test_destroyed);
	g_test_add_func("/offline/session/at-rest", test_at_rest);
	g_test_add_func("/offline/session/text-api", test_text_api);
	return g_test_run();
}
