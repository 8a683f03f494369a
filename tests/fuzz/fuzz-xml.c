/* fuzz-xml: bytes -> esess_xml_parse and esess_xml_parse_fragment; whatever
 * parses must survive esess_xml_write and esess_xml_canon and parse again to
 * the same serialisation (SECURITY 43, 59; INTEROP R7). */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "esess-xml.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* escaping can make the output larger than the input: no size caps on the
 * second parse, the tree shape is bounded by the first */
static const EsessXmlLimits relaxed = { 64u * 1024u * 1024u, 64u, 1u << 20, 64u * 1024u * 1024u };

/* R7 writes namespaced attributes under their local name: two attributes
 * that differ only by namespace cannot come back from the canonical form */
static gboolean
canon_names_unique(const EsessXmlNode *n)
{
	const EsessXmlNode *c;
	guint i, j;

	if (n->kind != ESESS_XML_ELEMENT)
		return TRUE;
	for (i = 0; i < n->n_attrs; i++)
		for (j = 0; j < i; j++)
			if (strcmp(n->attrs[i].name, n->attrs[j].name) == 0 &&
			    g_strcmp0(n->attrs[i].ns, ESESS_NS_XML) ==
				    g_strcmp0(n->attrs[j].ns, ESESS_NS_XML))
				return FALSE;
	for (c = n->first_child; c != NULL; c = c->next)
		if (!canon_names_unique(c))
			return FALSE;
	return TRUE;
}

static void
check_roundtrip(const EsessXmlNode *root)
{
	GString *w = g_string_new(NULL), *w2 = g_string_new(NULL);
	GString *c = g_string_new(NULL), *c2 = g_string_new(NULL);
	EsessXmlNode *again = NULL, *copy;

	esess_xml_write(w, root, NULL);
	if (esess_xml_parse(w->str, w->len, &relaxed, &again) != ESESS_OK)
		abort();
	esess_xml_write(w2, again, NULL);
	if (!g_string_equal(w, w2))
		abort();
	esess_xml_free(again);
	again = NULL;

	esess_xml_canon(c, root);
	if (canon_names_unique(root)) {
		if (esess_xml_parse(c->str, c->len, &relaxed, &again) != ESESS_OK)
			abort();
		esess_xml_canon(c2, again);
		if (!g_string_equal(c, c2))
			abort();
		esess_xml_free(again);
	}
	copy = esess_xml_copy(root);
	g_string_truncate(c2, 0);
	esess_xml_canon(c2, copy);
	if (!g_string_equal(c, c2))
		abort();
	esess_xml_free(copy);
	g_string_free(w, TRUE);
	g_string_free(w2, TRUE);
	g_string_free(c, TRUE);
	g_string_free(c2, TRUE);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	EsessXmlNode *root = NULL;
	const EsessXmlNode *n;

	if (esess_xml_parse((const char *)data, size, NULL, &root) == ESESS_OK) {
		check_roundtrip(root);
		esess_xml_free(root);
		root = NULL;
	}
	if (esess_xml_parse_fragment((const char *)data, size, ESESS_NS_CLIENT, NULL, &root) ==
	    ESESS_OK) {
		GString *w = g_string_new(NULL);
		EsessXmlNode *again = NULL;

		if (!esess_xml_is(root, "payload", ESESS_NS_CLIENT))
			abort();
		for (n = root->first_child; n != NULL; n = n->next)
			esess_xml_write(w, n, ESESS_NS_CLIENT);
		if (esess_xml_parse_fragment(w->str, w->len, ESESS_NS_CLIENT, &relaxed, &again) !=
		    ESESS_OK)
			abort();
		if (esess_xml_count(again, NULL, NULL) != esess_xml_count(root, NULL, NULL))
			abort();
		check_roundtrip(root);
		esess_xml_free(again);
		esess_xml_free(root);
		g_string_free(w, TRUE);
	}
	return 0;
}
