/*
 * test-cparts: the adapter's side of the message path taken apart (issue 11
 * item 2, plugin/purple/esess-cparts.c) on libpurple's own xmlnode trees.
 * Only the one shape every peer sends is taken apart; every other shape,
 * hostile ones first (SECURITY 45-48: two <c/>, a prefixed or nested <c/>,
 * carbons, groupchat; duplicate, missing or unknown children of <c/>), is
 * left untouched for the complete way, whose checks the other tests cover.
 * And a delivered stanza keeps only what the engine allows beside the
 * decrypted children (SECURITY 44).
 */
#include "config.h"

#include <string.h>

#include <purple.h>

#include "esess-cparts.h"

/* libpurple's, from dbus-server.h (which needs the D-Bus headers) */
void purple_dbus_init_ids(void);

#define NS_C "http://www.xmpp.org/extensions/xep-0200.html#ns"

/* fmt with its one "%s" replaced by middle, parsed by libpurple */
static xmlnode *
parse(const char *fmt, const char *middle)
{
	const char *at = strstr(fmt, "%s");
	char *s;
	xmlnode *n;

	g_assert_nonnull(at);
	s = g_strdup_printf("%.*s%s%s", (int)(at - fmt), fmt, middle, at + 2);
	n = xmlnode_from_str(s, -1);

	g_assert_nonnull(n);
	g_free(s);
	return n;
}

/* a message with `inner` as the children of <c/> */
#define MSG_C "<message xmlns='jabber:client' from='alice@example.org/pda' " \
	"to='bob@example.com/laptop' type='chat' id='m1'><body>[encrypted]</body>" \
	"<thread>thr</thread><active xmlns='http://jabber.org/protocol/chatstates'/>" \
	"<c xmlns='" NS_C "'>%s</c></message>"
/* a message with `inner` beside an ordinary <c/> */
#define MSG_BESIDE "<message xmlns='jabber:client' from='alice@example.org/pda' " \
	"type='chat'><thread>thr</thread>%s<c xmlns='" NS_C "'><data>QUJD</data>" \
	"<mac>TUFD</mac></c></message>"

static gboolean
takes(const char *fmt, const char *middle)
{
	xmlnode *n = parse(fmt, middle);
	EsessCTaken t;
	gboolean ok = esess_cparts_take(n, &t);

	if (!ok) {
		g_assert_null(t.in.mac);
		g_assert_null(t.thread);
	}
	esess_cparts_clear(&t);
	xmlnode_free(n);
	return ok;
}

static void
test_taken(void)
{
	xmlnode *n = parse(MSG_C, "<data>QUJD</data>\n <mac>TUFD</mac>");
	EsessCTaken t;

	g_assert_true(esess_cparts_take(n, &t));
	g_assert_cmpstr(t.in.from, ==, "alice@example.org/pda");
	g_assert_cmpstr(t.in.thread, ==, "thr");
	g_assert_true(t.in.has_body);
	g_assert_cmpuint(t.in.data_len, ==, 4);
	g_assert_cmpint(memcmp(t.in.data, "QUJD", 4), ==, 0);
	g_assert_cmpuint(t.in.mac_len, ==, 4);
	g_assert_cmpint(memcmp(t.in.mac, "TUFD", 4), ==, 0);
	esess_cparts_clear(&t);
	xmlnode_free(n);
	/* no <data/>: an empty stanza (the engine checks its MAC) */
	n = parse(MSG_C, "<mac>TUFD</mac>");
	g_assert_true(esess_cparts_take(n, &t));
	g_assert_null(t.in.data);
	esess_cparts_clear(&t);
	xmlnode_free(n);
	/* without type, type normal; hints and delay beside */
	g_assert_true(takes("<message from='a@b/c'><thread>t</thread>%s</message>",
			    "<c xmlns='" NS_C "'><data>QUJD</data><mac>TUFD</mac></c>"));
	g_assert_true(takes("<message type='normal' from='a@b/c'><thread>t</thread>%s</message>",
			    "<c xmlns='" NS_C "'><mac>TUFD</mac></c>"));
	g_assert_true(takes(MSG_BESIDE, "<no-permanent-store xmlns='urn:xmpp:hints'/>"
			    "<delay xmlns='urn:xmpp:delay' stamp='2026-01-01T00:00:00Z'/>"));
}

static void
test_message_refused(void)
{
	/* SECURITY 46: groupchat; errors and other types */
	g_assert_false(takes("<message type='%s' from='a@b/c'><thread>t</thread><c xmlns='"
			     NS_C "'><mac>TUFD</mac></c></message>", "groupchat"));
	g_assert_false(takes("<message type='%s' from='a@b/c'><thread>t</thread><c xmlns='"
			     NS_C "'><mac>TUFD</mac></c></message>", "error"));
	g_assert_false(takes("<message type='%s' from='a@b/c'><thread>t</thread><c xmlns='"
			     NS_C "'><mac>TUFD</mac></c></message>", "headline"));
	/* no from, no thread, an empty thread, two threads */
	g_assert_false(takes("<message type='chat'><thread>t</thread>%s</message>",
			     "<c xmlns='" NS_C "'><mac>TUFD</mac></c>"));
	g_assert_false(takes("<message from='a@b/c'>%s</message>",
			     "<c xmlns='" NS_C "'><mac>TUFD</mac></c>"));
	g_assert_false(takes("<message from='a@b/c'><thread/>%s</message>",
			     "<c xmlns='" NS_C "'><mac>TUFD</mac></c>"));
	g_assert_false(takes(MSG_BESIDE, "<thread>again</thread>"));
	/* another namespace for the stanza */
	g_assert_false(takes("<message xmlns='jabber:server' from='a@b/c'><thread>t</thread>"
			     "%s</message>", "<c xmlns='" NS_C "'><mac>TUFD</mac></c>"));
	/* SECURITY 45: two <c/>; SECURITY 48: a prefixed one; no <c/> at all */
	g_assert_false(takes(MSG_BESIDE, "<c xmlns='" NS_C "'><mac>TUFD</mac></c>"));
	g_assert_false(takes("<message from='a@b/c' xmlns:e='" NS_C "'><thread>t</thread>"
			     "%s</message>", "<e:c><mac>TUFD</mac></e:c>"));
	g_assert_false(takes("<message from='a@b/c'><thread>t</thread>%s</message>",
			     "<body>hi</body>"));
	/* SECURITY 45: a <c/> deeper down; SECURITY 47: carbons and forwards;
	 * XHTML-IM beside <c/> (elements inside): all the complete way */
	g_assert_false(takes(MSG_BESIDE, "<x xmlns='urn:example'><c xmlns='" NS_C "'>"
			     "<mac>TUFD</mac></c></x>"));
	g_assert_false(takes(MSG_BESIDE, "<received xmlns='urn:xmpp:carbons:2'><forwarded "
			     "xmlns='urn:xmpp:forward:0'/></received>"));
	g_assert_false(takes(MSG_BESIDE, "<html xmlns='http://jabber.org/protocol/xhtml-im'>"
			     "<body xmlns='http://www.w3.org/1999/xhtml'>forged</body></html>"));
}

static void
test_c_refused(void)
{
	/* SECURITY 45: duplicates; 36: no mac; re-keying and unknown children */
	g_assert_false(takes(MSG_C, "<data>QUJD</data><data>QUJD</data><mac>TUFD</mac>"));
	g_assert_false(takes(MSG_C, "<data>QUJD</data><mac>TUFD</mac><mac>TUFD</mac>"));
	g_assert_false(takes(MSG_C, "<data>QUJD</data>"));
	g_assert_false(takes(MSG_C, ""));
	g_assert_false(takes(MSG_C, "<data>QUJD</data><key>QUJD</key><mac>TUFD</mac>"));
	g_assert_false(takes(MSG_C, "<data>QUJD</data><new>1</new><mac>TUFD</mac>"));
	g_assert_false(takes(MSG_C, "<data>QUJD</data><old>QUJD</old><mac>TUFD</mac>"));
	g_assert_false(takes(MSG_C, "<data>QUJD</data><junk/><mac>TUFD</mac>"));
	/* empty children, attributes, elements inside, text between, another
	 * namespace or a prefix for a child */
	g_assert_false(takes(MSG_C, "<data/><mac>TUFD</mac>"));
	g_assert_false(takes(MSG_C, "<data>QUJD</data><mac/>"));
	g_assert_false(takes(MSG_C, "<data a='1'>QUJD</data><mac>TUFD</mac>"));
	g_assert_false(takes(MSG_C, "<data>QU<b/>JD</data><mac>TUFD</mac>"));
	g_assert_false(takes(MSG_C, "<data>QUJD</data>x<mac>TUFD</mac>"));
	g_assert_false(takes(MSG_C, "<data xmlns='urn:other'>QUJD</data><mac>TUFD</mac>"));
	g_assert_false(takes(MSG_C, "<e:data xmlns:e='" NS_C "'>QUJD</e:data><mac>TUFD</mac>"));
}

static void
test_size(void)
{
	char *big = g_strnfill(ESESS_CPARTS_MAX_TEXT + 1, 'A');
	char *mid = g_strdup_printf("<data>%s</data><mac>TUFD</mac>", big);
	char *body = g_strdup_printf("<subject>%s</subject>", big);

	/* SECURITY 70: the complete way applies its limits */
	g_assert_false(takes(MSG_C, mid));
	g_assert_false(takes(MSG_BESIDE, body));
	g_free(big);
	g_free(mid);
	g_free(body);
}

static void
test_deliver(void)
{
	xmlnode *n = parse("<message xmlns='jabber:client' from='alice@example.org/pda' "
			   "type='chat' id='m1'>%s</message>",
			   "<body>[encrypted]</body><thread>thr</thread>"
			   "<html xmlns='http://jabber.org/protocol/xhtml-im'><body "
			   "xmlns='http://www.w3.org/1999/xhtml'>forged</body></html>"
			   "<no-copy xmlns='urn:xmpp:hints'/>"
			   "<delay xmlns='urn:xmpp:delay' stamp='2026-01-01T00:00:00Z'/>"
			   "<c xmlns='" NS_C "'><data>QUJD</data><mac>TUFD</mac></c>");
	EsessPayloadAttr attr = { "lang", "http://www.w3.org/XML/1998/namespace", "en" };
	EsessCBuild b;
	xmlnode *c;
	char *s;
	guint n_children = 0;

	esess_cparts_build_init(&b);
	esess_cparts_sink.open(&b, "body", "jabber:client", 1, &attr);
	esess_cparts_sink.text(&b, "secret ", 7);
	esess_cparts_sink.text(&b, "text", 4);
	esess_cparts_sink.close(&b);
	esess_cparts_sink.open(&b, "active", "http://jabber.org/protocol/chatstates", 0, NULL);
	esess_cparts_sink.close(&b);
	esess_cparts_deliver(n, &b);
	g_assert_null(b.root);
	for (c = n->child; c != NULL; c = c->next)
		if (c->type == XMLNODE_TYPE_TAG)
			n_children++;
	/* kept: thread, the hint, the delay; then the decrypted children */
	g_assert_cmpuint(n_children, ==, 5);
	g_assert_cmpstr(xmlnode_get_attrib(n, "from"), ==, "alice@example.org/pda");
	g_assert_cmpstr(xmlnode_get_attrib(n, "id"), ==, "m1");
	g_assert_nonnull(xmlnode_get_child(n, "thread"));
	g_assert_nonnull(xmlnode_get_child_with_namespace(n, "no-copy", "urn:xmpp:hints"));
	g_assert_nonnull(xmlnode_get_child_with_namespace(n, "delay", "urn:xmpp:delay"));
	g_assert_null(xmlnode_get_child(n, "html"));
	g_assert_null(xmlnode_get_child(n, "c"));
	c = xmlnode_get_child(n, "body");
	g_assert_nonnull(c);
	/* doc/hacking.md pitfall 3 */
	g_assert_cmpstr(xmlnode_get_namespace(c), ==, "jabber:client");
	s = xmlnode_get_data(c);
	g_assert_cmpstr(s, ==, "secret text");
	g_free(s);
	g_assert_cmpstr(xmlnode_get_attrib_with_namespace(c, "lang",
							  "http://www.w3.org/XML/1998/namespace"),
			==, "en");
	g_assert_true(n->lastchild != NULL && n->lastchild->next == NULL &&
		      strcmp(n->lastchild->name, "active") == 0);
	xmlnode_free(n);
}

/* Sending: what goes inside <c/> is written as libpurple writes it, and the
 * stanza is rebuilt in place in the order the complete way writes it. */
static void
test_seal(gconstpointer data)
{
	gboolean no_store = GPOINTER_TO_INT(data);
	xmlnode *n = xmlnode_new("message");
	xmlnode *c;
	EsessCOut out;
	EsessCChild d = { "data", (char *)"QUJD" }, m = { "mac", (char *)"TUFD" };
	char *payload, *s, *want;
	size_t len = 0;

	/* as jabber_message_send builds it, with a hint and a thread */
	xmlnode_set_attrib(n, "type", "chat");
	xmlnode_set_attrib(n, "id", "purple1");
	xmlnode_set_attrib(n, "to", "bob@example.com");
	xmlnode_set_attrib(n, "xml:lang", "en");
	c = xmlnode_new_child(n, "active");
	xmlnode_set_namespace(c, "http://jabber.org/protocol/chatstates");
	xmlnode_insert_data(xmlnode_new_child(n, "body"), "it's <b> & \xc3\xa9", -1);
	xmlnode_insert_data(xmlnode_new_child(n, "thread"), "mine", -1);
	c = xmlnode_new_child(n, "no-copy");
	xmlnode_set_namespace(c, "urn:xmpp:hints");
	c = xmlnode_new_child(n, "html");
	xmlnode_set_namespace(c, "http://jabber.org/protocol/xhtml-im");
	c = xmlnode_new_child(c, "body");
	xmlnode_set_namespace(c, "http://www.w3.org/1999/xhtml");
	xmlnode_insert_data(c, "it's", -1);

	payload = esess_cparts_payload(n, &len);
	g_assert_nonnull(payload);
	g_assert_cmpstr(payload, ==,
			"<active xmlns='http://jabber.org/protocol/chatstates'/>"
			"<body>it&apos;s &lt;b&gt; &amp; \xc3\xa9</body>"
			"<html xmlns='http://jabber.org/protocol/xhtml-im'><body "
			"xmlns='http://www.w3.org/1999/xhtml'>it&apos;s</body></html>");
	g_assert_cmpuint(len, ==, strlen(payload));
	g_free(payload);

	memset(&out, 0, sizeof(out));
	out.to = "bob@example.com/laptop";
	out.thread = "ours";
	out.body = "[encrypted]";
	out.no_store = no_store;
	out.children = g_ptr_array_new();
	g_ptr_array_add(out.children, &d);
	g_ptr_array_add(out.children, &m);
	esess_cparts_seal(n, &out);
	g_ptr_array_unref(out.children);
	s = xmlnode_to_str(n, NULL);
	/* to, type, id only; the thread is ours; the hint once */
	want = g_strdup_printf("<message to='bob@example.com/laptop' type='chat' id='purple1'>"
			       "<body>[encrypted]</body><thread>ours</thread>%s"
			       "<c xmlns='" NS_C "'><data>QUJD</data><mac>TUFD</mac></c></message>",
			       no_store ? "<no-permanent-store xmlns='urn:xmpp:hints'/>"
			       "<no-copy xmlns='urn:xmpp:hints'/>" :
			       "<no-copy xmlns='urn:xmpp:hints'/>");
	g_assert_cmpstr(s, ==, want);
	g_free(s);
	g_free(want);
	xmlnode_free(n);
	/* another namespace, a prefix: the complete way */
	n = xmlnode_new("message");
	xmlnode_set_namespace(n, "jabber:server");
	g_assert_null(esess_cparts_payload(n, &len));
	xmlnode_free(n);
	n = xmlnode_new("iq");
	g_assert_null(esess_cparts_payload(n, &len));
	xmlnode_free(n);
}

/* A message as jabber_message_send builds it: no thread, a chat state.  The
 * chat state's node is reused for the thread; nothing of it stays (no
 * namespace, no prefix), and the body's text is replaced in place. */
static void
test_seal_reuse(void)
{
	xmlnode *n = xmlnode_new("message");
	xmlnode *c;
	EsessCOut out;
	EsessCChild d = { "data", (char *)"QUJD" }, m = { "mac", (char *)"TUFD" };
	char *s;

	xmlnode_set_attrib(n, "type", "chat");
	xmlnode_set_attrib(n, "id", "purple2");
	xmlnode_set_attrib(n, "to", "bob@example.com");
	c = xmlnode_new_child(n, "composing");
	xmlnode_set_namespace(c, "http://jabber.org/protocol/chatstates");
	xmlnode_set_prefix(c, "cs");
	xmlnode_insert_data(xmlnode_new_child(n, "body"), "secret", -1);
	memset(&out, 0, sizeof(out));
	out.to = "bob@example.com/laptop";
	out.thread = "ours";
	out.body = "[encrypted]";
	out.no_store = TRUE;
	out.children = g_ptr_array_new();
	g_ptr_array_add(out.children, &d);
	g_ptr_array_add(out.children, &m);
	esess_cparts_seal(n, &out);
	g_ptr_array_unref(out.children);
	s = xmlnode_to_str(n, NULL);
	g_assert_cmpstr(s, ==, "<message to='bob@example.com/laptop' type='chat' id='purple2'>"
			"<body>[encrypted]</body><thread>ours</thread>"
			"<no-permanent-store xmlns='urn:xmpp:hints'/><no-copy xmlns='urn:xmpp:hints'/>"
			"<c xmlns='" NS_C "'><data>QUJD</data><mac>TUFD</mac></c></message>");
	g_free(s);
	c = xmlnode_get_child(n, "thread");
	g_assert_nonnull(c);
	g_assert_null(xmlnode_get_namespace(c));
	g_assert_null(xmlnode_get_prefix(c));
	xmlnode_free(n);
}

/* The payload is what xmlnode_to_str writes for each child that goes
 * inside <c/>, byte for byte, whichever way esess-cparts.c writes it. */
static void
test_payload_bytes(void)
{
	static const char *const texts[] = {
		"plain", "it's \"quoted\" & <tagged> \xc3\xa9", "tab\tnew\nline\r",
		"ctl \x01 \x7f", "]]>", ""
	};
	xmlnode *n = xmlnode_new("message"), *c, *d;
	GString *want = g_string_new(NULL);
	char *got, *one;
	size_t len = 0;
	guint i;
	int n_one;

	for (i = 0; i < G_N_ELEMENTS(texts); i++) {
		c = xmlnode_new_child(n, "body");
		if (*texts[i] != '\0')
			xmlnode_insert_data(c, texts[i], -1);
	}
	/* two pieces of text; a chat state; the stanza's namespace again; an
	 * attribute; an element inside; a prefix; odd names and namespaces */
	c = xmlnode_new_child(n, "body");
	xmlnode_insert_data(c, "one ", -1);
	xmlnode_insert_data(c, "two", -1);
	c = xmlnode_new_child(n, "active");
	xmlnode_set_namespace(c, "http://jabber.org/protocol/chatstates");
	c = xmlnode_new_child(n, "x-1.Y_z");
	xmlnode_set_namespace(c, "jabber:client");
	c = xmlnode_new_child(n, "subject");
	xmlnode_set_attrib(c, "lang", "en");
	xmlnode_insert_data(c, "s", -1);
	c = xmlnode_new_child(n, "html");
	xmlnode_set_namespace(c, "http://jabber.org/protocol/xhtml-im");
	d = xmlnode_new_child(c, "body");
	xmlnode_set_namespace(d, "http://www.w3.org/1999/xhtml");
	xmlnode_insert_data(d, "<b>", -1);
	c = xmlnode_new_child(n, "e");
	xmlnode_set_prefix(c, "p");
	c = xmlnode_new_child(n, "q");
	xmlnode_set_namespace(c, "urn:a&b");
	c = xmlnode_new_child(n, "thread"); /* stays outside <c/> */
	xmlnode_insert_data(c, "t", -1);
	for (c = n->child; c != NULL; c = c->next) {
		if (c->type != XMLNODE_TYPE_TAG || strcmp(c->name, "thread") == 0)
			continue;
		one = xmlnode_to_str(c, &n_one);
		g_string_append_len(want, one, n_one);
		g_free(one);
	}
	got = esess_cparts_payload(n, &len);
	g_assert_cmpstr(got, ==, want->str);
	g_assert_cmpuint(len, ==, want->len);
	g_free(got);
	g_string_free(want, TRUE);
	xmlnode_free(n);
}

/* The same when every child is plain (printable ASCII, tab, line ends):
 * the payload is written in one pass, and still byte for byte as
 * xmlnode_to_str writes each child. */
static void
test_payload_plain(void)
{
	static const char *const texts[] = {
		"plain", "it's \"quoted\" & <tagged> &amp;", "tab\tnew\nline\r", "]]>", "",
		"a long one, the quick brown fox jumps over the lazy dog, 0123456789 ~!@#$%^*()"
	};
	xmlnode *n = xmlnode_new("message"), *c;
	GString *want = g_string_new(NULL);
	char *got, *one;
	size_t len = 0;
	guint i;
	int n_one;

	xmlnode_set_attrib(n, "type", "chat");
	c = xmlnode_new_child(n, "active");
	xmlnode_set_namespace(c, "http://jabber.org/protocol/chatstates");
	for (i = 0; i < G_N_ELEMENTS(texts); i++) {
		c = xmlnode_new_child(n, "body");
		if (*texts[i] != '\0')
			xmlnode_insert_data(c, texts[i], -1);
	}
	c = xmlnode_new_child(n, "body");
	xmlnode_insert_data(c, "one ", -1);
	xmlnode_insert_data(c, "<two>", -1);
	c = xmlnode_new_child(n, "x-1.Y_z");
	xmlnode_set_namespace(c, "jabber:client");
	c = xmlnode_new_child(n, "thread"); /* stays outside <c/> */
	xmlnode_insert_data(c, "t", -1);
	c = xmlnode_new_child(n, "no-copy"); /* a hint: outside too */
	xmlnode_set_namespace(c, "urn:xmpp:hints");
	for (c = n->child; c != NULL; c = c->next) {
		if (c->type != XMLNODE_TYPE_TAG || strcmp(c->name, "thread") == 0 ||
		    strcmp(c->name, "no-copy") == 0)
			continue;
		one = xmlnode_to_str(c, &n_one);
		g_string_append_len(want, one, n_one);
		g_free(one);
	}
	got = esess_cparts_payload(n, &len);
	g_assert_cmpstr(got, ==, want->str);
	g_assert_cmpuint(len, ==, want->len);
	g_free(got);
	/* nothing inside <c/>: an empty payload */
	xmlnode_free(n);
	n = xmlnode_new("message");
	xmlnode_insert_data(xmlnode_new_child(n, "thread"), "t", -1);
	got = esess_cparts_payload(n, &len);
	g_assert_cmpstr(got, ==, "");
	g_assert_cmpuint(len, ==, 0);
	g_free(got);
	g_string_free(want, TRUE);
	xmlnode_free(n);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	purple_dbus_init_ids(); /* doc/hacking.md pitfall 9 */
	g_test_add_func("/cparts/taken", test_taken);
	g_test_add_func("/cparts/message-refused", test_message_refused);
	g_test_add_func("/cparts/c-refused", test_c_refused);
	g_test_add_func("/cparts/size", test_size);
	g_test_add_func("/cparts/deliver", test_deliver);
	g_test_add_func("/cparts/payload-bytes", test_payload_bytes);
	g_test_add_func("/cparts/payload-plain", test_payload_plain);
	g_test_add_data_func("/cparts/seal/may", GINT_TO_POINTER(FALSE), test_seal);
	g_test_add_data_func("/cparts/seal/mustnot", GINT_TO_POINTER(TRUE), test_seal);
	g_test_add_func("/cparts/seal/reuse", test_seal_reuse);
	return g_test_run();
}
