/*
 * test-mitm: a man in the middle in memory, a relay that rewrites stanzas
 * between Alice and Bob (SECURITY 3, 13, 24, 30; XEP-0116 §Security
 * Considerations): every attack ends the negotiation with the exact status,
 * or (a full MitM that negotiates with each side) shows different SAS and
 * broken continuity.
 */
#include "config.h"

#include <string.h>

#include "esess-bytes.h"
#include "neg-harness.h"

typedef struct {
	char *dir;
	NegParty alice, bob;
	NegWire wire;
} Fx;

static void
fx_setup(Fx *fx, gconstpointer data)
{
	(void)data;
	fx->dir = neg_tmpdir();
	neg_party_init(&fx->alice, "alice@example.org/pda", fx->dir);
	neg_party_init(&fx->bob, "bob@example.com/laptop", fx->dir);
}

static void
fx_teardown(Fx *fx, gconstpointer data)
{
	(void)data;
	neg_party_clear(&fx->alice);
	neg_party_clear(&fx->bob);
	neg_wire_clear(&fx->wire);
	neg_rmdir(fx->dir);
	g_free(fx->dir);
}

typedef struct {
	guint at;          /* which stanza */
	const char *var;   /* which field */
} Swap;

/* replaces the DH value (dhkeys) of stanza `at` with a fresh valid one */
static char *
swap_dh(guint index, const char *s, gpointer data)
{
	const Swap *sw = data;
	EsessDhKey *k = NULL;
	const guint8 *pub;
	size_t n;
	char *b64, *t;
	const char *vals[1];

	if (index != sw->at)
		return g_strdup(s);
	g_assert_cmpint(esess_dh_keygen(14, &k), ==, ESESS_OK);
	pub = esess_dh_key_public(k, &n);
	b64 = esess_base64_encode(pub, n);
	vals[0] = b64;
	t = neg_set_field(s, sw->var, vals, 1);
	g_free(b64);
	esess_dh_key_free(k);
	return t;
}

static void
test_swap_e(Fx *fx, gconstpointer data)
{
	Swap sw = { 3, "dhkeys" };

	(void)data;
	neg_wire_init(&fx->wire, swap_dh, &sw);
	g_assert_false(neg_run(&fx->alice, &fx->bob, &fx->wire, FALSE));
	g_assert_cmpint(fx->bob.last_status, ==, ESESS_ERR_COMMITMENT);
	g_assert_cmpint(fx->bob.last_event, ==, ESESS_EV_FAILED);
	g_assert_cmpuint(fx->bob.n_errors_sent, ==, 1);
	g_assert_cmpint(fx->alice.fail_status, ==, ESESS_ERR_PEER_ERROR);
	g_assert_cmpint(esess_chat_state(fx->alice.chat), ==, ESESS_CHAT_ENDED);
	g_assert_cmpint(esess_chat_state(fx->bob.chat), ==, ESESS_CHAT_ENDED);
}

static void
test_swap_d(Fx *fx, gconstpointer data)
{
	Swap sw = { 2, "dhkeys" };

	(void)data;
	neg_wire_init(&fx->wire, swap_dh, &sw);
	g_assert_false(neg_run(&fx->alice, &fx->bob, &fx->wire, FALSE));
	/* Alice derives other keys: Bob's check of M_A fails */
	g_assert_cmpint(fx->bob.last_status, ==, ESESS_ERR_IDENTITY);
	g_assert_cmpint(fx->alice.fail_status, ==, ESESS_ERR_PEER_ERROR);
}

static char *
flip_counter(guint index, const char *s, gpointer data)
{
	char *c, *t;
	guint8 ctr[16];
	const char *vals[1];

	(void)data;
	if (index != 2)
		return g_strdup(s);
	c = neg_get_field(s, "counter");
	g_assert_cmpint(esess_base64_decode_exact(c, strlen(c), ctr, 16), ==, ESESS_OK);
	g_free(c);
	ctr[15] ^= 1;
	c = esess_base64_encode(ctr, 16);
	vals[0] = c;
	t = neg_set_field(s, "counter", vals, 1);
	g_free(c);
	return t;
}

static void
test_flip_counter(Fx *fx, gconstpointer data)
{
	(void)data;
	neg_wire_init(&fx->wire, flip_counter, NULL);
	g_assert_false(neg_run(&fx->alice, &fx->bob, &fx->wire, FALSE));
	g_assert_cmpint(fx->bob.last_status, ==, ESESS_ERR_IDENTITY);
}

/* removes the first modp option (and its commitment) from message 1 */
static char *
strip_group(guint index, const char *s, gpointer data)
{
	EsessXmlNode *root = NULL, *f, *x, *ch, *next;
	gboolean opt_done = FALSE, val_done = FALSE;
	char *t;

	(void)data;
	if (index != 1)
		return g_strdup(s);
	g_assert_cmpint(esess_xml_parse(s, strlen(s), NULL, &root), ==, ESESS_OK);
	x = esess_xml_child(esess_xml_child(root, "feature", NULL), "x", NULL);
	for (f = esess_xml_child(x, "field", NULL); f != NULL; f = esess_xml_next(f, "field", NULL)) {
		const char *var = esess_xml_attr(f, "var");

		for (ch = f->first_child; ch != NULL; ch = next) {
			next = ch->next;
			if (g_strcmp0(var, "modp") == 0 && !opt_done && esess_xml_is(ch, "option", NULL)) {
				opt_done = TRUE;
				esess_xml_unlink(ch);
				esess_xml_free(ch);
			} else if (g_strcmp0(var, "dhhashes") == 0 && !val_done &&
				   esess_xml_is(ch, "value", NULL)) {
				val_done = TRUE;
				esess_xml_unlink(ch);
				esess_xml_free(ch);
			}
		}
	}
	t = esess_xml_to_string(root);
	esess_xml_free(root);
	return t;
}

static void
test_strip_groups(Fx *fx, gconstpointer data)
{
	(void)data;
	fx->alice.groups[0] = 14;
	fx->alice.groups[1] = 15;
	fx->alice.cfg.n_modp_offer = 2;
	neg_wire_init(&fx->wire, strip_group, NULL);
	g_assert_false(neg_run(&fx->alice, &fx->bob, &fx->wire, FALSE));
	/* SECURITY 24: form_A is inside mac_A */
	g_assert_cmpint(fx->bob.last_status, ==, ESESS_ERR_IDENTITY);
	g_assert_cmpint(fx->alice.fail_status, ==, ESESS_ERR_PEER_ERROR);
}

/* SECURITY 64: moves the first modp option, its dhhashes value and the
 * first logging option (mustnot) of message 1 into a foreign namespace.
 * The R7 canonical form writes local names only, so mac_A would not see
 * the move, and a parser that skips foreign elements would see an offer of
 * group 14 and logging may only. */
static void
to_foreign(EsessXmlNode *n)
{
	g_free(n->ns);
	n->ns = g_strdup("urn:example:hidden");
}

static char *
hide_options(guint index, const char *s, gpointer data)
{
	EsessXmlNode *root = NULL, *f, *x, *ch;
	char *t;

	(void)data;
	if (index != 1)
		return g_strdup(s);
	g_assert_cmpint(esess_xml_parse(s, strlen(s), NULL, &root), ==, ESESS_OK);
	x = esess_xml_child(esess_xml_child(root, "feature", NULL), "x", NULL);
	for (f = esess_xml_child(x, "field", NULL); f != NULL; f = esess_xml_next(f, "field", NULL)) {
		const char *var = esess_xml_attr(f, "var");

		if (g_strcmp0(var, "modp") == 0 || g_strcmp0(var, "logging") == 0) {
			ch = esess_xml_child(f, "option", NULL);
			g_assert_nonnull(ch);
			to_foreign(ch);
		} else if (g_strcmp0(var, "dhhashes") == 0) {
			ch = esess_xml_child(f, "value", NULL);
			g_assert_nonnull(ch);
			to_foreign(ch);
		}
	}
	t = esess_xml_to_string(root);
	esess_xml_free(root);
	g_assert_nonnull(strstr(t, "urn:example:hidden"));
	return t;
}

static void
test_sec64_foreign_options(Fx *fx, gconstpointer data)
{
	(void)data;
	fx->alice.groups[0] = 15;
	fx->alice.groups[1] = 14;
	fx->alice.cfg.n_modp_offer = 2;
	fx->alice.cfg.logging = ESESS_LOGPREF_PREFER; /* offers mustnot, may */
	fx->bob.cfg.logging = ESESS_LOGPREF_OPPOSE;   /* would take may if it were alone */
	neg_wire_init(&fx->wire, hide_options, NULL);
	g_assert_false(neg_run(&fx->alice, &fx->bob, &fx->wire, FALSE));
	g_assert_cmpint(fx->bob.last_status, ==, ESESS_ERR_FORM);
	g_assert_cmpint(fx->bob.last_event, ==, ESESS_EV_FAILED);
	g_assert_cmpint(fx->alice.fail_status, ==, ESESS_ERR_PEER_ERROR);
}

static void
test_full_mitm(Fx *fx, gconstpointer data)
{
	NegParty mal_as_bob, mal_as_alice;
	NegWire w2, w3;

	(void)data;
	neg_wire_init(&fx->wire, NULL, NULL);
	/* an honest first session: both hold a retained secret */
	g_assert_true(neg_run(&fx->alice, &fx->bob, &fx->wire, FALSE));
	neg_party_reset(&fx->alice);
	neg_party_reset(&fx->bob);
	/* Mallory answers Alice as "Bob" and calls Bob as "Alice" */
	neg_party_init(&mal_as_bob, "bob@example.com/laptop", NULL);
	neg_party_init(&mal_as_alice, "alice@example.org/pda", NULL);
	neg_wire_init(&w2, NULL, NULL);
	neg_wire_init(&w3, NULL, NULL);
	g_assert_true(neg_run(&fx->alice, &mal_as_bob, &w2, FALSE));
	g_assert_true(neg_run(&mal_as_alice, &fx->bob, &w3, FALSE));
	/* each side's SAS matches Mallory's on that leg, but not each other */
	g_assert_cmpstr(esess_chat_sas(fx->alice.chat), ==, esess_chat_sas(mal_as_bob.chat));
	g_assert_cmpstr(esess_chat_sas(fx->bob.chat), ==, esess_chat_sas(mal_as_alice.chat));
	g_assert_cmpstr(esess_chat_sas(fx->alice.chat), !=, esess_chat_sas(fx->bob.chat));
	/* and the retained secrets no longer match (SECURITY 33) */
	g_assert_cmpint(esess_chat_continuity(fx->alice.chat), ==, ESESS_CONT_BROKEN);
	g_assert_cmpint(esess_chat_continuity(fx->bob.chat), ==, ESESS_CONT_BROKEN);
	neg_party_clear(&mal_as_bob);
	neg_party_clear(&mal_as_alice);
	neg_wire_clear(&w2);
	neg_wire_clear(&w3);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_assert_cmpint(esess_crypto_init(), ==, ESESS_OK);
#define ADD(path, fn) g_test_add(path, Fx, NULL, fx_setup, fn, fx_teardown)
	ADD("/mitm/security/13-swap-e-after-commitment", test_swap_e);
	ADD("/mitm/swap-d", test_swap_d);
	ADD("/mitm/security/30-flip-counter", test_flip_counter);
	ADD("/mitm/security/24-strip-offered-groups", test_strip_groups);
	ADD("/mitm/full-mitm-different-sas", test_full_mitm);
	ADD("/mitm/security/64-foreign-namespace-options", test_sec64_foreign_options);
	return g_test_run();
}
