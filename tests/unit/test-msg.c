/*
 * test-msg: esess_msg_inspect classifies incoming stanzas (INTEROP R1, R15,
 * R18; SECURITY 45-48).
 */
#include "config.h"

#include <string.h>

#include "esess-chat.h"

#define C_NS "http://www.xmpp.org/extensions/xep-0200.html#ns"
#define OWN "alice@example.org/pda"

static EsessMsgKind
kind_of(const char *stanza)
{
	EsessMsgInfo info;
	EsessMsgKind k;

	g_assert_cmpint(esess_msg_inspect(stanza, strlen(stanza), OWN, &info), ==, ESESS_OK);
	k = info.kind;
	esess_msg_info_clear(&info);
	return k;
}

static void
test_fields(void)
{
	EsessMsgInfo info;
	const char *s = "<message xmlns='jabber:client' from='bob@example.com/laptop' "
			"to='alice@example.org/pda' type='chat'><thread>abcdefghijklmnopqr</thread>"
			"<c xmlns='" C_NS "'><data>AAAA</data><mac>AAAA</mac></c></message>";

	g_assert_cmpint(esess_msg_inspect(s, strlen(s), OWN, &info), ==, ESESS_OK);
	g_assert_cmpint(info.kind, ==, ESESS_MSG_ENCRYPTED);
	g_assert_cmpstr(info.from, ==, "bob@example.com/laptop");
	g_assert_cmpstr(info.to, ==, "alice@example.org/pda");
	g_assert_cmpstr(info.type, ==, "chat");
	g_assert_cmpstr(info.thread, ==, "abcdefghijklmnopqr");
	g_assert_nonnull(info.stanza);
	esess_msg_info_clear(&info);
	g_assert_null(info.stanza);
}

static void
test_negotiation_kinds(void)
{
	g_assert_cmpint(kind_of("<message from='b@x/y'><thread>t</thread>"
				"<feature xmlns='http://jabber.org/protocol/feature-neg'>"
				"<x xmlns='jabber:x:data' type='form'>"
				"<field var='FORM_TYPE' type='hidden'><value>urn:xmpp:ssn</value></field>"
				"</x></feature></message>"), ==, ESESS_MSG_NEG_REQUEST);
	g_assert_cmpint(kind_of("<message from='b@x/y'><thread>t</thread>"
				"<feature xmlns='http://jabber.org/protocol/feature-neg'>"
				"<x xmlns='jabber:x:data' type='submit'>"
				"<field var='accept'><value>1</value></field></x></feature></message>"),
			==, ESESS_MSG_NEG);
	g_assert_cmpint(kind_of("<message from='b@x/y'><thread>t</thread>"
				"<init xmlns='http://www.xmpp.org/extensions/xep-0116.html#ns-init'>"
				"<x xmlns='jabber:x:data' type='result'/></init></message>"),
			==, ESESS_MSG_NEG);
	g_assert_cmpint(kind_of("<message from='b@x/y' type='error'><thread>t</thread>"
				"<error type='cancel'><not-acceptable "
				"xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></message>"),
			==, ESESS_MSG_NEG);
	g_assert_cmpint(kind_of("<message from='b@x/y'><thread>t</thread>"
				"<feature xmlns='http://jabber.org/protocol/feature-neg'>"
				"<x xmlns='jabber:x:data' type='submit'>"
				"<field var='FORM_TYPE'><value>urn:xmpp:ssn</value></field>"
				"<field var='terminate'><value>true</value></field></x></feature></message>"),
			==, ESESS_MSG_TERMINATE);
	g_assert_cmpint(kind_of("<message from='b@x/y' type='chat'><body>hi</body></message>"),
			==, ESESS_MSG_OTHER);
	g_assert_cmpint(kind_of("<presence from='b@x/y'/>"), ==, ESESS_MSG_OTHER);
}

static void
sec_45_two_c(void)
{
	/* two <c/>: DROP (Gajim would use the first: R20) */
	g_assert_cmpint(kind_of("<message from='b@x/y' type='chat'><thread>t</thread>"
				"<c xmlns='" C_NS "'/><c xmlns='" C_NS "'/></message>"), ==, ESESS_MSG_DROP);
	/* not an immediate child */
	g_assert_cmpint(kind_of("<message from='b@x/y' type='chat'><thread>t</thread>"
				"<x xmlns='urn:example'><c xmlns='" C_NS "'/></x></message>"),
			==, ESESS_MSG_DROP);
	/* inside <error/> of a non-error stanza */
	g_assert_cmpint(kind_of("<message from='b@x/y' type='chat'><thread>t</thread>"
				"<error type='cancel'><c xmlns='" C_NS "'/></error></message>"),
			==, ESESS_MSG_DROP);
	g_assert_cmpint(kind_of("<message from='b@x/y' type='chat'><thread>t</thread>"
				"<c xmlns='" C_NS "'/><x xmlns='urn:example'><c xmlns='" C_NS "'/></x>"
				"</message>"), ==, ESESS_MSG_DROP);
}

static void
sec_46_groupchat(void)
{
	g_assert_cmpint(kind_of("<message from='room@conf/nick' type='groupchat'>"
				"<c xmlns='" C_NS "'/></message>"), ==, ESESS_MSG_DROP);
	g_assert_cmpint(kind_of("<message from='room@conf/nick' type='groupchat'>"
				"<body>hi</body></message>"), ==, ESESS_MSG_OTHER);
}

static void
sec_47_carbons(void)
{
	char *s;

	/* from our own bare JID: CARBON_ENCRYPTED */
	s = g_strdup("<message from='alice@example.org' to='" OWN "'>"
		     "<received xmlns='urn:xmpp:carbons:2'><forwarded xmlns='urn:xmpp:forward:0'>"
		     "<message xmlns='jabber:client' from='bob@example.com/x' to='alice@example.org/phone'>"
		     "<thread>t</thread><c xmlns='" C_NS "'/></message></forwarded></received></message>");
	g_assert_cmpint(kind_of(s), ==, ESESS_MSG_CARBON_ENCRYPTED);
	g_free(s);
	/* no outer from (from our own server on our behalf) */
	g_assert_cmpint(kind_of("<message to='" OWN "'>"
				"<sent xmlns='urn:xmpp:carbons:2'><forwarded xmlns='urn:xmpp:forward:0'>"
				"<message xmlns='jabber:client' to='bob@example.com/x'>"
				"<c xmlns='" C_NS "'/></message></forwarded></sent></message>"),
			==, ESESS_MSG_CARBON_ENCRYPTED);
	/* forged: the outer from is somebody else (CVE-2017-5589 class) */
	g_assert_cmpint(kind_of("<message from='mallory@evil.example/x' to='" OWN "'>"
				"<received xmlns='urn:xmpp:carbons:2'><forwarded xmlns='urn:xmpp:forward:0'>"
				"<message xmlns='jabber:client' from='bob@example.com/x'>"
				"<c xmlns='" C_NS "'/></message></forwarded></received></message>"),
			==, ESESS_MSG_DROP);
	g_assert_cmpint(kind_of("<message from='bob@example.com/x' to='" OWN "'>"
				"<forwarded xmlns='urn:xmpp:forward:0'>"
				"<message xmlns='jabber:client' from='bob@example.com/x'>"
				"<c xmlns='" C_NS "'/></message></forwarded></message>"),
			==, ESESS_MSG_DROP);
	/* a carbon of a plain message is libpurple's business */
	g_assert_cmpint(kind_of("<message from='alice@example.org' to='" OWN "'>"
				"<received xmlns='urn:xmpp:carbons:2'><forwarded xmlns='urn:xmpp:forward:0'>"
				"<message xmlns='jabber:client' from='bob@example.com/x'><body>hi</body>"
				"</message></forwarded></received></message>"), ==, ESESS_MSG_OTHER);
}

static void
sec_48_namespace_and_prefix(void)
{
	/* only the exact namespace, unprefixed: the rest is not ESession */
	g_assert_cmpint(kind_of("<message from='b@x/y' type='chat'>"
				"<c xmlns='http://www.xmpp.org/extensions/xep-0200.html#ns2'/></message>"),
			==, ESESS_MSG_OTHER);
	g_assert_cmpint(kind_of("<message from='b@x/y' type='chat'>"
				"<c xmlns='urn:xmpp:crypt'/></message>"), ==, ESESS_MSG_OTHER);
	g_assert_cmpint(kind_of("<message from='b@x/y' type='chat' xmlns:e='" C_NS "'>"
				"<e:c/></message>"), ==, ESESS_MSG_OTHER);
	g_assert_cmpint(kind_of("<message from='b@x/y' type='chat'>"
				"<d xmlns='" C_NS "'/></message>"), ==, ESESS_MSG_OTHER);
}

static void
test_bad_xml(void)
{
	EsessMsgInfo info;

	g_assert_cmpint(esess_msg_inspect("<message><body>", 15, OWN, &info), ==, ESESS_ERR_XML);
	g_assert_cmpint(esess_msg_inspect("<!DOCTYPE m [<!ENTITY a 'b'>]><message/>", 40, OWN, &info),
			==, ESESS_ERR_XML);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/msg/fields", test_fields);
	g_test_add_func("/msg/negotiation-kinds", test_negotiation_kinds);
	g_test_add_func("/msg/bad-xml", test_bad_xml);
	g_test_add_func("/msg/security/45-c-count-and-place", sec_45_two_c);
	g_test_add_func("/msg/security/46-groupchat", sec_46_groupchat);
	g_test_add_func("/msg/security/47-forged-carbon", sec_47_carbons);
	g_test_add_func("/msg/security/48-namespace-prefix", sec_48_namespace_and_prefix);
	return g_test_run();
}
