/*
 * test-audit: defects found by the security audit, each test written to
 * fail before its fix (doc/threat-model.md items in the test names).
 */
#include "config.h"

#include <string.h>

#include "esess-chat.h"
#include "esess-xml.h"
#include "../protocol/neg-harness.h"

#define C_NS "http://www.xmpp.org/extensions/xep-0200.html#ns"
#define OWN "alice@example.org/pda"

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
	neg_party_init(&fx->alice, OWN, fx->dir);
	neg_party_init(&fx->bob, "bob@example.com/laptop", fx->dir);
	neg_wire_init(&fx->wire, NULL, NULL);
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

/* the encrypted stanza alice sends for one body, as it goes on the wire */
static char *
encrypted_from_alice(Fx *fx, const char *body)
{
	EsessStep step;
	char *stanza, *wire;

	esess_step_init(&step);
	stanza = g_markup_printf_escaped("<message to='%s' type='chat' id='m1'><body>%s</body>"
					 "</message>", fx->bob.bare, body);
	g_assert_cmpint(esess_chat_encrypt(fx->alice.chat, stanza, strlen(stanza), &step), ==,
			ESESS_OK);
	g_free(stanza);
	g_assert_cmpuint(esess_step_n_send(&step), ==, 1);
	wire = neg_set_from(g_ptr_array_index(step.send, 0), fx->alice.jid);
	esess_step_clear(&step);
	return wire;
}

/* inserts extra before <c xmlns=...> */
static char *
insert_before_c(const char *stanza, const char *extra)
{
	const char *c = strstr(stanza, "<c xmlns='" C_NS "'");

	g_assert_nonnull(c);
	return g_strdup_printf("%.*s%s%s", (int)(c - stanza), stanza, extra, c);
}

/*
 * SECURITY 44, INTEROP R14/R15: a man in the middle (the server) adds
 * readable elements beside a genuine <c/>.  The MAC covers only <c/>, so the
 * stanza verifies; what is shown must be the decrypted children only, never
 * an outer XHTML-IM <html/> (which libpurple would display in place of the
 * decrypted <body/>) or <subject/>.  Routing and XEP-0203 delay stay.
 */
static void
sec_44_outer_content_not_shown(Fx *fx, gconstpointer data)
{
	char *enc, *forged;
	GPtrArray *out;

	(void)data;
	g_assert_true(neg_run(&fx->alice, &fx->bob, &fx->wire, FALSE));
	enc = encrypted_from_alice(fx, "genuine");
	forged = insert_before_c(enc,
		"<html xmlns='http://jabber.org/protocol/xhtml-im'>"
		"<body xmlns='http://www.w3.org/1999/xhtml'>FORGED-HTML</body></html>"
		"<subject>FORGED-SUBJECT</subject>"
		"<x xmlns='jabber:x:oob'><url>http://evil.example/FORGED-URL</url></x>"
		"<delay xmlns='urn:xmpp:delay' stamp='2026-01-02T03:04:05Z'/>");
	out = g_ptr_array_new_with_free_func(g_free);
	g_assert_cmpint(neg_deliver(&fx->bob, forged, out), ==, ESESS_OK);
	g_assert_cmpint(fx->bob.last_event, ==, ESESS_EV_MESSAGE);
	g_assert_nonnull(fx->bob.last_deliver);
	g_assert_nonnull(strstr(fx->bob.last_deliver, ">genuine</body>"));
	g_assert_null(strstr(fx->bob.last_deliver, "FORGED"));
	g_assert_null(strstr(fx->bob.last_deliver, "xhtml-im"));
	g_assert_nonnull(strstr(fx->bob.last_deliver, "stamp='2026-01-02T03:04:05Z'"));
	g_assert_nonnull(strstr(fx->bob.last_deliver, "from='" OWN "'"));
	g_assert_nonnull(strstr(fx->bob.last_deliver, "id='m1'"));
	g_assert_cmpint(esess_chat_state(fx->bob.chat), ==, ESESS_CHAT_ESTABLISHED);
	g_ptr_array_unref(out);
	g_free(forged);
	g_free(enc);
}

/*
 * SECURITY 45, INTEROP R15: exactly one <c/> in the XEP-0200 namespace per
 * stanza.  A second one written with a prefix is still a <c/> of that
 * namespace: the stanza is dropped, not decrypted with whichever comes first.
 */
static void
sec_45_prefixed_second_c(void)
{
	static const char *const stanzas[] = {
		"<message from='b@x/y' type='chat'><thread>t</thread>"
		"<e:c xmlns:e='" C_NS "'/><c xmlns='" C_NS "'/></message>",
		"<message from='b@x/y' type='chat'><thread>t</thread>"
		"<c xmlns='" C_NS "'/><e:c xmlns:e='" C_NS "'/></message>",
	};
	static const char lone[] = "<message from='b@x/y' type='chat' xmlns:e='" C_NS "'>"
				   "<e:c/></message>";
	EsessMsgInfo info;
	gsize i;

	for (i = 0; i < G_N_ELEMENTS(stanzas); i++) {
		g_assert_cmpint(esess_msg_inspect(stanzas[i], strlen(stanzas[i]), OWN, &info), ==,
				ESESS_OK);
		g_assert_cmpint(info.kind, ==, ESESS_MSG_DROP);
		esess_msg_info_clear(&info);
	}
	/* a lone prefixed one is still not an ESession stanza (SECURITY 48) */
	g_assert_cmpint(esess_msg_inspect(lone, strlen(lone), OWN, &info), ==, ESESS_OK);
	g_assert_cmpint(info.kind, ==, ESESS_MSG_OTHER);
	esess_msg_info_clear(&info);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add("/audit/security/44-outer-content-beside-c", Fx, NULL, fx_setup,
		   sec_44_outer_content_not_shown, fx_teardown);
	g_test_add_func("/audit/security/45-prefixed-second-c", sec_45_prefixed_second_c);
	return g_test_run();
}
