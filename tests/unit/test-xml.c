/* test-xml: the engine's XML reader, tree, writer and INTEROP R7 canonical
 * serialiser (esess-xml). */
#include "config.h"

#include <string.h>

#include "esess-xml.h"

static EsessXmlNode *
parse_ok(const char *s)
{
	EsessXmlNode *n = NULL;

	g_assert_cmpint(esess_xml_parse(s, strlen(s), NULL, &n), ==, ESESS_OK);
	g_assert_nonnull(n);
	return n;
}

static void
assert_parse_fails(const char *s, size_t len, EsessStatus want)
{
	EsessXmlNode *n = (EsessXmlNode *)0x1;

	g_assert_cmpstr(esess_status_symbol(esess_xml_parse(s, len, NULL, &n)), ==,
			esess_status_symbol(want));
	g_assert_null(n);
}

static char *
canon_of(const EsessXmlNode *n)
{
	GString *s = g_string_new(NULL);

	esess_xml_canon(s, n);
	return g_string_free(s, FALSE);
}

static char *
write_of(const EsessXmlNode *n, const char *parent_ns)
{
	GString *s = g_string_new(NULL);

	esess_xml_write(s, n, parent_ns);
	return g_string_free(s, FALSE);
}

/* ---- canonical vectors ------------------------------------------------ */

static void
run_canon_file(const char *file)
{
	const char *dir = g_getenv("ESESS_VECTORS");
	char *path, *contents = NULL, **lines;
	char *in = NULL;
	guint i, checked = 0;

	g_assert_nonnull(dir);
	path = g_build_filename(dir, file, NULL);
	g_assert_true(g_file_get_contents(path, &contents, NULL, NULL));
	lines = g_strsplit(contents, "\n", -1);
	for (i = 0; lines[i] != NULL; i++) {
		const char *l = lines[i];

		if (g_str_has_prefix(l, "in: ")) {
			g_free(in);
			in = g_strdup(l + 4);
		} else if (g_str_has_prefix(l, "out: ")) {
			EsessXmlNode *n = NULL;
			EsessStatus r;

			g_assert_nonnull(in);
			r = esess_xml_parse(in, strlen(in), NULL, &n);
			if (strcmp(l + 5, "ERROR") == 0) {
				g_assert_cmpint(r, ==, ESESS_ERR_XML);
			} else {
				char *want = g_strcompress(l + 5);
				char *got, *again;
				EsessXmlNode *m = NULL;

				g_assert_cmpint(r, ==, ESESS_OK);
				got = canon_of(n);
				g_assert_cmpstr(got, ==, want);
				/* canonical form is a fixed point */
				g_assert_cmpint(esess_xml_parse(got, strlen(got), NULL, &m), ==,
						ESESS_OK);
				again = canon_of(m);
				g_assert_cmpstr(again, ==, want);
				g_free(again);
				esess_xml_free(m);
				g_free(got);
				g_free(want);
			}
			esess_xml_free(n);
			g_clear_pointer(&in, g_free);
			checked++;
		}
	}
	g_assert_cmpuint(checked, >, 0);
	g_free(in);
	g_strfreev(lines);
	g_free(contents);
	g_free(path);
}

static void
test_canon_vectors(gconstpointer data)
{
	run_canon_file(data);
}

static void
test_canon_built(void)
{
	/* our own forms are canonicalised from the tree we send (R7) */
	EsessXmlNode *x = esess_xml_new("x", ESESS_NS_XDATA);
	EsessXmlNode *f;
	char *s;

	esess_xml_set_attr(x, "type", "submit");
	f = esess_xml_add(x, "field", NULL);
	esess_xml_set_attr(f, "var", "FORM_TYPE");
	esess_xml_set_attr(f, "type", "hidden");
	esess_xml_add_text_child(f, "value", "urn:xmpp:ssn");
	f = esess_xml_add(x, "field", NULL);
	esess_xml_set_attr(f, "var", "empty");
	s = canon_of(x);
	g_assert_cmpstr(s, ==,
			"<x type=\"submit\"><field type=\"hidden\" var=\"FORM_TYPE\">"
			"<value>urn:xmpp:ssn</value></field><field var=\"empty\" /></x>");
	g_free(s);
	/* a text node on its own */
	s = canon_of(esess_xml_child(esess_xml_child(x, "field", NULL), "value", NULL)->first_child);
	g_assert_cmpstr(s, ==, "urn:xmpp:ssn");
	g_free(s);
	esess_xml_free(x);
}

/* ---- reader ------------------------------------------------------------ */

static void
test_parse_tree(void)
{
	EsessXmlNode *n, *c, *t;
	char *s;

	n = parse_ok("<?xml version='1.0'?><message xmlns='jabber:client' to='b@x/r' type='chat'>"
		     "<body>Hi &amp; &#x263A;</body>\n<p:q xmlns:p='urn:q' p:a='1' b='2'/>"
		     "<thread>t1</thread></message>");
	g_assert_true(esess_xml_is(n, "message", ESESS_NS_CLIENT));
	g_assert_true(esess_xml_is(n, "message", NULL));
	g_assert_false(esess_xml_is(n, "message", "urn:other"));
	g_assert_null(n->prefix);
	g_assert_cmpstr(esess_xml_attr(n, "to"), ==, "b@x/r");
	g_assert_cmpstr(esess_xml_attr(n, "type"), ==, "chat");
	g_assert_null(esess_xml_attr(n, "from"));
	g_assert_cmpuint(n->n_attrs, ==, 2);
	c = esess_xml_child(n, "body", ESESS_NS_CLIENT);
	g_assert_nonnull(c);
	s = esess_xml_text(c);
	g_assert_cmpstr(s, ==, "Hi & \xe2\x98\xba");
	g_free(s);
	/* whitespace between elements stays as a text node */
	t = c->next;
	g_assert_cmpint(t->kind, ==, ESESS_XML_TEXT);
	g_assert_cmpstr(t->text, ==, "\n");
	g_assert_cmpuint(t->text_len, ==, 1);
	c = esess_xml_child(n, "q", "urn:q");
	g_assert_nonnull(c);
	g_assert_cmpstr(c->prefix, ==, "p");
	g_assert_cmpuint(c->n_attrs, ==, 2);
	g_assert_cmpstr(c->attrs[0].name, ==, "a");
	g_assert_cmpstr(c->attrs[0].ns, ==, "urn:q");
	g_assert_null(esess_xml_attr(c, "a")); /* prefixed: not returned */
	g_assert_cmpstr(esess_xml_attr(c, "b"), ==, "2");
	g_assert_null(c->attrs[1].ns);
	g_assert_true(esess_xml_next(c, "thread", NULL) == esess_xml_child(n, "thread", NULL));
	g_assert_null(esess_xml_next(c, "body", NULL));
	g_assert_cmpuint(esess_xml_count(n, NULL, NULL), ==, 3);
	g_assert_cmpuint(esess_xml_count(n, "body", ESESS_NS_CLIENT), ==, 1);
	g_assert_cmpuint(esess_xml_count(n, "body", "urn:x"), ==, 0);
	g_assert_true(esess_xml_has_elements(n));
	g_assert_false(esess_xml_has_elements(c));
	s = esess_xml_text(n);
	g_assert_cmpstr(s, ==, "\n");
	g_free(s);
	esess_xml_free(n);

	/* CDATA is text; a comment between text pieces does not split it into
	 * visible content */
	n = parse_ok("<a>x<![CDATA[<y>]]>z<!-- c -->w</a>");
	s = esess_xml_text(n);
	g_assert_cmpstr(s, ==, "x<y>zw");
	g_free(s);
	esess_xml_free(n);

	/* the encoding declaration cannot switch away from UTF-8 */
	n = parse_ok("<?xml version='1.0' encoding='ISO-8859-1'?><a>\xc3\xa9</a>");
	s = esess_xml_text(n);
	g_assert_cmpstr(s, ==, "\xc3\xa9");
	g_free(s);
	esess_xml_free(n);
}

static void
test_parse_errors(void)
{
	static const char *bad[] = {
		"",
		"   ",
		"text only",
		"<a>",
		"<a></b>",
		"<a/><b/>",
		"<a/>trailing",
		"<a x='1' x='2'/>",
		"<p:a/>",                                      /* undeclared prefix */
		"<a xmlns:p='urn:p'><q:b/></a>",
		"<a p:x='1'/>",                                /* undeclared attr prefix */
		"<!DOCTYPE a><a/>",
		"<!DOCTYPE a [<!ENTITY e 'x'>]><a>&e;</a>",
		"<!DOCTYPE a [<!ENTITY % p 'x'>]><a/>",
		"<!DOCTYPE a SYSTEM 'file:///etc/passwd'><a/>",
		"<!DOCTYPE a [<!ENTITY e SYSTEM 'file:///etc/passwd'>]><a>&e;</a>",
		"<!DOCTYPE a [<!ENTITY a0 'lol'><!ENTITY a1 '&a0;&a0;'>]><a>&a1;</a>",
		"<a>&undefined;</a>",
		"<a x='&undefined;'/>",
		"<a>&#0;</a>",
		"<a>&#xFFFE;</a>",
		"<a>&#xD800;</a>",
		"<a>\x01</a>",
		"<a xmlns:p=''/>",
		"<a>]]></a>",
		"<?xml version='1.0' encoding='UTF-16'?>",
		"<a/><!DOCTYPE a>",
	};
	guint i;

	for (i = 0; i < G_N_ELEMENTS(bad); i++) {
		g_test_message("bad[%u] = %s", i, bad[i]);
		assert_parse_fails(bad[i], strlen(bad[i]), ESESS_ERR_XML);
	}
	/* NUL inside the length, invalid UTF-8 (overlong, surrogate, truncated) */
	assert_parse_fails("<a>x\0y</a>", 10, ESESS_ERR_XML);
	assert_parse_fails("<a>\xc0\xaf</a>", 9, ESESS_ERR_XML);
	assert_parse_fails("<a>\xed\xa0\x80</a>", 10, ESESS_ERR_XML);
	assert_parse_fails("<a>\xe2\x98</a>", 9, ESESS_ERR_XML);
	assert_parse_fails("<a b='\xff'/>", 10, ESESS_ERR_XML);
	/* a length shorter than the string is honoured */
	assert_parse_fails("<a/>", 3, ESESS_ERR_XML);
}

static void
test_parse_limits(void)
{
	EsessXmlLimits lim = { 64, 3, 5, 8 };
	EsessXmlNode *n = NULL;
	GString *big;
	guint i;

	/* size first: even garbage over the cap is a limit error */
	big = g_string_new(NULL);
	for (i = 0; i < 65; i++)
		g_string_append_c(big, '\xff');
	g_assert_cmpint(esess_xml_parse(big->str, big->len, &lim, &n), ==, ESESS_ERR_XML_LIMIT);
	g_assert_null(n);
	g_string_free(big, TRUE);

	/* depth 3 is fine, 4 is not */
	g_assert_cmpint(esess_xml_parse("<a><b><c/></b></a>", 18, &lim, &n), ==, ESESS_OK);
	esess_xml_free(n);
	g_assert_cmpint(esess_xml_parse("<a><b><c><d/></c></b></a>", 25, &lim, &n), ==,
			ESESS_ERR_XML_LIMIT);
	g_assert_null(n);
	/* 5 elements fine, 6 not */
	g_assert_cmpint(esess_xml_parse("<a><b/><b/><b/><b/></a>", 23, &lim, &n), ==, ESESS_OK);
	esess_xml_free(n);
	g_assert_cmpint(esess_xml_parse("<a><b/><b/><b/><b/><b/></a>", 27, &lim, &n), ==,
			ESESS_ERR_XML_LIMIT);
	/* text of 8 fine, 9 not, even split by a comment or a char ref */
	g_assert_cmpint(esess_xml_parse("<a>12345678</a>", 15, &lim, &n), ==, ESESS_OK);
	esess_xml_free(n);
	g_assert_cmpint(esess_xml_parse("<a>123456789</a>", 16, &lim, &n), ==, ESESS_ERR_XML_LIMIT);
	g_assert_cmpint(esess_xml_parse("<a>12345<!---->6789</a>", 23, &lim, &n), ==,
			ESESS_ERR_XML_LIMIT);
	g_assert_cmpint(esess_xml_parse("<a>1234567&amp;9</a>", 20, &lim, &n), ==,
			ESESS_ERR_XML_LIMIT);
	/* attribute values too */
	g_assert_cmpint(esess_xml_parse("<a x='12345678'/>", 17, &lim, &n), ==, ESESS_OK);
	esess_xml_free(n);
	g_assert_cmpint(esess_xml_parse("<a x='123456789'/>", 18, &lim, &n), ==,
			ESESS_ERR_XML_LIMIT);
	g_assert_null(n);

	/* defaults: 4096 elements, depth 32 */
	big = g_string_new("<a>");
	for (i = 0; i < 4095; i++)
		g_string_append(big, "<b/>");
	g_string_append(big, "</a>");
	g_assert_cmpint(esess_xml_parse(big->str, big->len, NULL, &n), ==, ESESS_OK);
	esess_xml_free(n);
	g_string_insert(big, 3, "<b/>");
	g_assert_cmpint(esess_xml_parse(big->str, big->len, NULL, &n), ==, ESESS_ERR_XML_LIMIT);
	g_string_free(big, TRUE);
	big = g_string_new(NULL);
	for (i = 0; i < 33; i++)
		g_string_append(big, "<d>");
	for (i = 0; i < 33; i++)
		g_string_append(big, "</d>");
	g_assert_cmpint(esess_xml_parse(big->str, big->len, NULL, &n), ==, ESESS_ERR_XML_LIMIT);
	g_assert_cmpint(esess_xml_parse(big->str + 3, big->len - 7, NULL, &n), ==, ESESS_OK);
	esess_xml_free(n);
	g_string_free(big, TRUE);
	g_assert_cmpuint(esess_xml_default_limits.max_bytes, ==, 256 * 1024);
	g_assert_cmpuint(esess_xml_default_limits.max_text, ==, 192 * 1024);
}

static void
test_parse_fragment(void)
{
	EsessXmlNode *n = NULL, *c;
	char *s;
	static const char *bad[] = {
		"</payload><payload>",
		"</payload>",
		"</payload>   ",
		"</payload><!-- -->",
		"<body>x</body></payload><payload xmlns='jabber:client'><body>y</body>",
		"<body>",
		"</body>",
		"<?xml version='1.0'?><body/>",
		"<!DOCTYPE a><body/>",
		"<body>&e;</body>",
		"<p:body/>",
	};
	static const char frag[] = "<body>Hello</body><active xmlns='"
				   "http://jabber.org/protocol/chatstates'/>   ";
	guint i;

	g_assert_cmpint(esess_xml_parse_fragment(frag, strlen(frag), ESESS_NS_CLIENT, NULL, &n), ==,
			ESESS_OK);
	g_assert_true(esess_xml_is(n, "payload", ESESS_NS_CLIENT));
	c = esess_xml_child(n, "body", ESESS_NS_CLIENT);
	g_assert_nonnull(c);
	s = esess_xml_text(c);
	g_assert_cmpstr(s, ==, "Hello");
	g_free(s);
	g_assert_nonnull(esess_xml_child(n, "active", "http://jabber.org/protocol/chatstates"));
	g_assert_cmpuint(esess_xml_count(n, NULL, NULL), ==, 2);
	esess_xml_free(n);

	/* empty payload: an empty synthetic root */
	g_assert_cmpint(esess_xml_parse_fragment("", 0, ESESS_NS_CLIENT, NULL, &n), ==, ESESS_OK);
	g_assert_null(n->first_child);
	esess_xml_free(n);
	/* plain text and a quote in the namespace are fine */
	g_assert_cmpint(esess_xml_parse_fragment("just text", 9, "urn:a'b&c", NULL, &n), ==,
			ESESS_OK);
	g_assert_cmpstr(n->ns, ==, "urn:a'b&c");
	g_assert_cmpstr(n->first_child->text, ==, "just text");
	esess_xml_free(n);

	for (i = 0; i < G_N_ELEMENTS(bad); i++) {
		g_test_message("bad[%u] = %s", i, bad[i]);
		n = (EsessXmlNode *)0x1;
		g_assert_cmpint(esess_xml_parse_fragment(bad[i], strlen(bad[i]), ESESS_NS_CLIENT,
							 NULL, &n),
				==, ESESS_ERR_XML);
		g_assert_null(n);
	}
	g_assert_cmpint(esess_xml_parse_fragment("<b>\0</b>", 8, ESESS_NS_CLIENT, NULL, &n), ==,
			ESESS_ERR_XML);
	g_assert_cmpint(esess_xml_parse_fragment("\xff", 1, ESESS_NS_CLIENT, NULL, &n), ==,
			ESESS_ERR_XML);
	{
		EsessXmlLimits lim = { 10, 2, 10, 100 };

		g_assert_cmpint(esess_xml_parse_fragment("<a/><a/><a/>", 12, ESESS_NS_CLIENT, &lim,
							 &n),
				==, ESESS_ERR_XML_LIMIT);
		lim.max_bytes = 100;
		/* the synthetic root counts for depth */
		g_assert_cmpint(esess_xml_parse_fragment("<a/><a/><a/>", 12, ESESS_NS_CLIENT, &lim,
							 &n),
				==, ESESS_OK);
		esess_xml_free(n);
		g_assert_cmpint(esess_xml_parse_fragment("<a><b/></a>", 11, ESESS_NS_CLIENT, &lim,
							 &n),
				==, ESESS_ERR_XML_LIMIT);
	}
}

/* ---- writer and tree ----------------------------------------------------- */

static void
test_write(void)
{
	EsessXmlNode *m, *b, *h, *n = NULL;
	char *s, *s2;

	m = esess_xml_new("message", ESESS_NS_CLIENT);
	esess_xml_set_attr(m, "to", "bob@example.com/x'y");
	esess_xml_set_attr(m, "type", "chat");
	esess_xml_set_attr(m, "type", "normal"); /* replaces */
	g_assert_cmpuint(m->n_attrs, ==, 2);
	b = esess_xml_add_text_child(m, "body", "a<b>&c\"d'e\r\n");
	g_assert_cmpstr(b->ns, ==, ESESS_NS_CLIENT);
	h = esess_xml_add(m, "html", "http://jabber.org/protocol/xhtml-im");
	b = esess_xml_add(h, "body", "http://www.w3.org/1999/xhtml");
	esess_xml_set_attr(b, "style", "a\tb\nc");
	esess_xml_add_text(b, "x", -1);
	esess_xml_add_text(b, "yz", 1);
	g_assert_cmpuint(b->first_child->text_len, ==, 2);
	esess_xml_add(m, "nons", NULL);
	s = write_of(m, ESESS_NS_CLIENT);
	g_assert_cmpstr(s, ==,
			"<message to='bob@example.com/x&apos;y' type='normal'>"
			"<body>a&lt;b&gt;&amp;c\"d'e&#xD;\n</body>"
			"<html xmlns='http://jabber.org/protocol/xhtml-im'>"
			"<body xmlns='http://www.w3.org/1999/xhtml' style='a&#x9;b&#xA;c'>xy</body>"
			"</html><nons/></message>");
	g_free(s);
	s = esess_xml_to_string(m);
	g_assert_true(g_str_has_prefix(s, "<message xmlns='jabber:client' to="));
	/* round trip: parse what we wrote, write again, same bytes and values */
	g_assert_cmpint(esess_xml_parse(s, strlen(s), NULL, &n), ==, ESESS_OK);
	s2 = esess_xml_to_string(n);
	g_assert_cmpstr(s, ==, s2);
	g_free(s2);
	s2 = esess_xml_text(esess_xml_child(n, "body", ESESS_NS_CLIENT));
	g_assert_cmpstr(s2, ==, "a<b>&c\"d'e\r\n");
	g_free(s2);
	g_assert_cmpstr(esess_xml_attr(esess_xml_child(esess_xml_child(n, "html", NULL), "body",
						       NULL),
				       "style"),
			==, "a\tb\nc");
	esess_xml_free(n);
	g_free(s);

	/* an element with no namespace under one that has one */
	h = esess_xml_new("x", NULL);
	s = write_of(h, "jabber:client");
	g_assert_cmpstr(s, ==, "<x xmlns=''/>");
	g_free(s);
	esess_xml_free(h);

	/* an element in the XML namespace keeps its prefix (fuzz-xml found it) */
	n = parse_ok("<a xmlns='urn:a'>br<xml:x e4='http:w'><b/></xml:x></a>");
	s = esess_xml_to_string(n);
	g_assert_cmpstr(s, ==, "<a xmlns='urn:a'>br<xml:x e4='http:w'><b/></xml:x></a>");
	esess_xml_free(n);
	g_free(s);

	/* xml:lang and foreign-namespace attributes survive a round trip */
	n = parse_ok("<a xmlns='urn:a' xml:lang='de' xmlns:q='urn:q' q:z='1'/>");
	s = esess_xml_to_string(n);
	g_assert_cmpstr(s, ==, "<a xmlns='urn:a' xml:lang='de' xmlns:a0='urn:q' a0:z='1'/>");
	esess_xml_free(n);
	n = parse_ok(s);
	g_assert_cmpstr(n->attrs[0].ns, ==, ESESS_NS_XML);
	g_assert_cmpstr(n->attrs[1].ns, ==, "urn:q");
	g_free(s);
	s = canon_of(n);
	g_assert_cmpstr(s, ==, "<a xml:lang=\"de\" z=\"1\" />");
	g_free(s);
	esess_xml_free(n);
	esess_xml_free(m);
}

static void
test_tree_edit(void)
{
	EsessXmlNode *r, *a, *b, *c, *cp;
	char *s;

	r = esess_xml_new("r", "urn:r");
	a = esess_xml_add(r, "a", NULL);
	b = esess_xml_add(r, "b", "urn:b");
	c = esess_xml_add(r, "c", NULL);
	esess_xml_add_text(c, "t", -1);
	g_assert_cmpstr(b->ns, ==, "urn:b");
	cp = esess_xml_copy(r);
	/* unlink the middle, the last, the first */
	esess_xml_unlink(b);
	g_assert_null(b->parent);
	g_assert_true(a->next == c);
	esess_xml_unlink(c);
	g_assert_true(r->last_child == a);
	esess_xml_append(r, c);
	g_assert_true(r->last_child == c && a->next == c);
	esess_xml_unlink(a);
	g_assert_true(r->first_child == c);
	esess_xml_free(a);
	esess_xml_free(b);
	/* freeing a linked child unlinks it first */
	esess_xml_free(c);
	g_assert_null(r->first_child);
	g_assert_null(r->last_child);
	s = esess_xml_to_string(r);
	g_assert_cmpstr(s, ==, "<r xmlns='urn:r'/>");
	g_free(s);
	/* the copy is deep and independent */
	s = esess_xml_to_string(cp);
	g_assert_cmpstr(s, ==, "<r xmlns='urn:r'><a/><b xmlns='urn:b'/><c>t</c></r>");
	g_free(s);
	g_assert_true(cp->first_child->parent == cp);
	esess_xml_free(cp);
	esess_xml_free(r);
	esess_xml_free(NULL);
	s = esess_xml_text(NULL);
	g_assert_cmpstr(s, ==, "");
	g_free(s);
	g_assert_null(esess_xml_child(NULL, "a", NULL));
	g_assert_cmpuint(esess_xml_count(NULL, NULL, NULL), ==, 0);
}

/* Found by fuzz-xml: a payload whose text runs to the very end of the input
 * (no closing tag) in a multiple of four bytes made the payload fast path
 * read one byte past the buffer.  The input is copied into an exactly sized
 * heap block so that ASan sees any overread; it must fail as malformed. */
static void
test_fragment_unterminated_text(void)
{
	static const char *const inputs[] = {
		"<a>abcd", "<body>Hello,world!</body><a>abcdefgh", "<b>\xc3\xa4\xc3\xa4",
	};
	guint i;

	for (i = 0; i < G_N_ELEMENTS(inputs); i++) {
		size_t len = strlen(inputs[i]);
		char *exact = g_memdup2(inputs[i], len);
		EsessXmlNode *n = NULL;
		EsessStatus r;

		r = esess_xml_parse_fragment(exact, len, ESESS_NS_CLIENT, NULL, &n);
		g_assert_cmpstr(esess_status_symbol(r), ==, "ESESS_ERR_XML");
		g_assert_null(n);
		g_free(exact);
	}
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_data_func("/xml/canon/form", "xml-canon-form.txt", test_canon_vectors);
	g_test_add_data_func("/xml/canon/escape", "xml-canon-escape.txt", test_canon_vectors);
	g_test_add_data_func("/xml/canon/nested", "xml-canon-nested.txt", test_canon_vectors);
	g_test_add_data_func("/xml/canon/sas", "xml-canon-sas.txt", test_canon_vectors);
	g_test_add_func("/xml/canon/built", test_canon_built);
	g_test_add_func("/xml/parse/tree", test_parse_tree);
	g_test_add_func("/xml/parse/errors", test_parse_errors);
	g_test_add_func("/xml/parse/limits", test_parse_limits);
	g_test_add_func("/xml/parse/fragment", test_parse_fragment);
	g_test_add_func("/xml/parse/fragment-unterminated-text", test_fragment_unterminated_text);
	g_test_add_func("/xml/write/roundtrip", test_write);
	g_test_add_func("/xml/tree/edit", test_tree_edit);
	return g_test_run();
}
