/*
 * esess-xml.c - the engine's XML reader (libxml2 SAX2, no DTD, no entities,
 * hard limits), its element tree, and the two serialisers: the ordinary one for
 * sending and the INTEROP R7 canonical one for everything we MAC or hash.
 *
 *   bytes --size cap, UTF-8/NUL check--> libxml2 push parser (SAX2)
 *         --startElementNs/characters/endElementNs--> EsessXmlNode tree
 *
 * Any DTD, entity declaration, undefined entity, undeclared prefix, namespace
 * error or limit violation stops the parser; nothing is repaired.
 */
#include "config.h"

#include <string.h>

#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include <libxml/uri.h>
#include <libxml/xmlerror.h>

#include "esess-mem.h"
#include "esess-xml.h"

const EsessXmlLimits esess_xml_default_limits = {
	256u * 1024u, /* max_bytes */
	32u,          /* max_depth */
	4096u,        /* max_elements */
	192u * 1024u  /* max_text */
};

typedef struct {
	xmlParserCtxtPtr ctxt;
	const EsessXmlLimits *limits;
	EsessStatus status;    /* first failure seen, ESESS_OK while fine */
	EsessXmlNode *root;
	EsessXmlNode *cur;     /* the open element, NULL outside the root */
	guint depth;
	guint elements;
	guint roots;           /* root elements started */
	guint root_ends;       /* root elements closed */
	GString *text;         /* character data not yet attached to cur */
} EsessXmlParser;

static void
xml_parser_fail(EsessXmlParser *p, EsessStatus st)
{
	if (p->status == ESESS_OK)
		p->status = st;
	if (p->ctxt != NULL)
		xmlStopParser(p->ctxt);
}

static EsessXmlNode *
xml_node_alloc(EsessXmlKind kind)
{
	EsessXmlNode *n = g_new0(EsessXmlNode, 1);

	n->kind = kind;
	return n;
}

static void
xml_append_child(EsessXmlNode *parent, EsessXmlNode *child)
{
	child->parent = parent;
	child->next = NULL;
	if (parent->last_child != NULL)
		parent->last_child->next = child;
	else
		parent->first_child = child;
	parent->last_child = child;
}

/* SECURITY rule 9: the text buffer may hold decrypted content; it is wiped
 * each time it is emptied (it never grows: see xml_parse_chunks). */
static void
xml_text_reset(EsessXmlParser *p)
{
	esess_wipe(p->text->str, p->text->len);
	g_string_truncate(p->text, 0);
}

/* Attaches pending character data to the open element as one text node. */
static void
xml_parser_flush_text(EsessXmlParser *p)
{
	EsessXmlNode *t;

	if (p->text->len == 0)
		return;
	if (p->cur == NULL) {
		xml_text_reset(p);
		return;
	}
	/* The input was validated as UTF-8 without NUL before parsing, and
	 * libxml2 refuses character references to NUL, surrogates and other
	 * non-characters; the NUL scan is a cheap belt for the header's
	 * promise.  (A second UTF-8 pass here cost 15% of a stanza.) */
	if (memchr(p->text->str, '\0', p->text->len) != NULL) {
		xml_parser_fail(p, ESESS_ERR_XML);
		xml_text_reset(p);
		return;
	}
	t = xml_node_alloc(ESESS_XML_TEXT);
	t->text = g_strndup(p->text->str, p->text->len);
	t->text_len = p->text->len;
	xml_append_child(p->cur, t);
	xml_text_reset(p);
}

/* Without XML_PARSE_NOENT, libxml2 hands an attribute's '&' (from &amp; or
 * &#38;) over as the text "&#38;" for a tree builder to decode; every other
 * reference is already resolved, and undefined ones were refused.  NULL on
 * any other '&', which cannot happen with the handlers we install. */
static char *
xml_attr_value(const char *v, size_t len)
{
	GString *s;
	size_t i;

	if (memchr(v, '&', len) == NULL)
		return g_strndup(v, len);
	s = g_string_sized_new(len);
	for (i = 0; i < len; i++) {
		if (v[i] != '&') {
			g_string_append_c(s, v[i]);
			continue;
		}
		if (len - i < 5 || memcmp(v + i, "&#38;", 5) != 0) {
			esess_gstring_free_wiped(s);
			return NULL;
		}
		g_string_append_c(s, '&');
		i += 4;
	}
	return g_string_free(s, FALSE);
}

static void
xml_sax_start(void *ctx, const xmlChar *localname, const xmlChar *prefix, const xmlChar *uri,
	      int nb_namespaces, const xmlChar **namespaces, int nb_attributes, int nb_defaulted,
	      const xmlChar **attributes)
{
	EsessXmlParser *p = ctx;
	EsessXmlNode *n;
	int i;

	(void)nb_namespaces;
	(void)namespaces;
	if (p->status != ESESS_OK)
		return;
	/* an undeclared prefix leaves uri NULL (libxml2 only warns) */
	if (prefix != NULL && uri == NULL) {
		xml_parser_fail(p, ESESS_ERR_XML);
		return;
	}
	if (nb_defaulted != 0) {
		xml_parser_fail(p, ESESS_ERR_XML);
		return;
	}
	if (p->depth >= p->limits->max_depth || p->elements >= p->limits->max_elements) {
		xml_parser_fail(p, ESESS_ERR_XML_LIMIT);
		return;
	}
	if (p->depth == 0) {
		p->roots++;
		if (p->roots > 1) {
			xml_parser_fail(p, ESESS_ERR_XML);
			return;
		}
	}
	xml_parser_flush_text(p);
	n = xml_node_alloc(ESESS_XML_ELEMENT);
	n->name = g_strdup((const char *)localname);
	n->prefix = g_strdup((const char *)prefix);
	if (uri != NULL) {
		/* namespace names arrive encoded like attribute values */
		n->ns = xml_attr_value((const char *)uri, strlen((const char *)uri));
		if (n->ns == NULL) {
			esess_xml_free(n);
			xml_parser_fail(p, ESESS_ERR_XML);
			return;
		}
	}
	if (nb_attributes > 0) {
		n->attrs = g_new0(EsessXmlAttr, (gsize)nb_attributes);
		for (i = 0; i < nb_attributes; i++) {
			const xmlChar **a = attributes + 5 * i;
			size_t vlen = (size_t)(a[4] - a[3]);

			if (a[1] != NULL && a[2] == NULL) {
				xml_parser_fail(p, ESESS_ERR_XML);
				break;
			}
			if (vlen > p->limits->max_text) {
				xml_parser_fail(p, ESESS_ERR_XML_LIMIT);
				break;
			}
			if (memchr(a[3], '\0', vlen) != NULL ||
			    !g_utf8_validate((const char *)a[3], (gssize)vlen, NULL)) {
				xml_parser_fail(p, ESESS_ERR_XML);
				break;
			}
			n->attrs[i].name = g_strdup((const char *)a[0]);
			if (a[2] != NULL) {
				n->attrs[i].ns = xml_attr_value((const char *)a[2],
								strlen((const char *)a[2]));
				if (n->attrs[i].ns == NULL) {
					g_free(n->attrs[i].name);
					xml_parser_fail(p, ESESS_ERR_XML);
					break;
				}
			}
			n->attrs[i].value = xml_attr_value((const char *)a[3], vlen);
			if (n->attrs[i].value == NULL) {
				g_free(n->attrs[i].name);
				g_free(n->attrs[i].ns);
				xml_parser_fail(p, ESESS_ERR_XML);
				break;
			}
			n->n_attrs++;
		}
		if (p->status != ESESS_OK) {
			esess_xml_free(n);
			return;
		}
	}
	if (p->cur != NULL)
		xml_append_child(p->cur, n);
	else
		p->root = n;
	p->cur = n;
	p->depth++;
	p->elements++;
}

static void
xml_sax_end(void *ctx, const xmlChar *localname, const xmlChar *prefix, const xmlChar *uri)
{
	EsessXmlParser *p = ctx;

	(void)localname;
	(void)prefix;
	(void)uri;
	if (p->status != ESESS_OK || p->cur == NULL)
		return;
	xml_parser_flush_text(p);
	p->cur = p->cur->parent;
	p->depth--;
	if (p->depth == 0)
		p->root_ends++;
}

static void
xml_sax_characters(void *ctx, const xmlChar *ch, int len)
{
	EsessXmlParser *p = ctx;

	if (p->status != ESESS_OK || p->cur == NULL || len <= 0)
		return;
	if ((size_t)len > p->limits->max_text - p->text->len) {
		xml_parser_fail(p, ESESS_ERR_XML_LIMIT);
		return;
	}
	g_string_append_len(p->text, (const char *)ch, len);
}

/* Any DTD, declaration or entity that is not one of the five predefined ones. */
static void
xml_sax_internal_subset(void *ctx, const xmlChar *name, const xmlChar *eid, const xmlChar *sid)
{
	(void)name;
	(void)eid;
	(void)sid;
	xml_parser_fail(ctx, ESESS_ERR_XML);
}

static void
xml_sax_entity_decl(void *ctx, const xmlChar *name, int type, const xmlChar *pid,
		    const xmlChar *sid, xmlChar *content)
{
	(void)name;
	(void)type;
	(void)pid;
	(void)sid;
	(void)content;
	xml_parser_fail(ctx, ESESS_ERR_XML);
}

static xmlEntityPtr
xml_sax_get_entity(void *ctx, const xmlChar *name)
{
	xmlEntityPtr e = xmlGetPredefinedEntity(name);

	if (e == NULL)
		xml_parser_fail(ctx, ESESS_ERR_XML);
	return e;
}

static void
xml_sax_reference(void *ctx, const xmlChar *name)
{
	(void)name;
	xml_parser_fail(ctx, ESESS_ERR_XML);
}

static void
xml_sax_serror(void *ctx, xmlErrorPtr err)
{
	/* errors and fatal errors (namespace errors included) fail the parse;
	 * warnings (e.g. a relative namespace URI) do not.  Nothing is printed. */
	if (err != NULL && err->level != XML_ERR_WARNING && err->level != XML_ERR_NONE)
		xml_parser_fail(ctx, ESESS_ERR_XML);
}

static void
xml_init_sax(xmlSAXHandler *h)
{
	memset(h, 0, sizeof(*h));
	xmlSAXVersion(h, 2);
	/* no document is built, so none of the xmlSAX2 tree callbacks may run */
	h->internalSubset = xml_sax_internal_subset;
	h->externalSubset = xml_sax_internal_subset;
	h->isStandalone = NULL;
	h->hasInternalSubset = NULL;
	h->hasExternalSubset = NULL;
	h->resolveEntity = NULL;
	h->getEntity = xml_sax_get_entity;
	h->getParameterEntity = xml_sax_get_entity;
	h->entityDecl = xml_sax_entity_decl;
	h->notationDecl = NULL;
	h->attributeDecl = NULL;
	h->elementDecl = NULL;
	h->unparsedEntityDecl = NULL;
	h->setDocumentLocator = NULL;
	h->startDocument = NULL;
	h->endDocument = NULL;
	h->startElement = NULL;
	h->endElement = NULL;
	h->reference = xml_sax_reference;
	h->characters = xml_sax_characters;
	h->cdataBlock = xml_sax_characters;
	h->ignorableWhitespace = xml_sax_characters;
	h->processingInstruction = NULL;
	h->comment = NULL;
	h->warning = NULL;
	h->error = NULL;
	h->fatalError = NULL;
	h->startElementNs = xml_sax_start;
	h->endElementNs = xml_sax_end;
	h->serror = xml_sax_serror;
}

/* xmlInitParser is idempotent and returns at once after the first call. */
static void
xml_init_once(void)
{
	xmlInitParser();
}

/* One push parser context per thread, kept between parses: creating and
 * freeing a context (its dictionary, buffers and SAX copy) cost more than a
 * whole 100-byte stanza's crypto (doc/hacking.md "Per-message cost").  A context is
 * put back only after a parse that succeeded, and xmlCtxtResetPush clears
 * every per-document state (well-formedness, stop flag, stacks, input);
 * after any failure it is freed, so a hostile input never leaves state
 * behind.  Its dictionary only grows with the names seen, so the context is
 * also replaced after XML_CTXT_MAX_USES parses or once the dictionary holds
 * XML_CTXT_MAX_DICT names. */
#define XML_CTXT_MAX_USES 4096u
#define XML_CTXT_MAX_DICT 1024u

typedef struct {
	xmlParserCtxtPtr ctxt;
	guint uses;
} EsessXmlCtxtCache;

static void
xml_ctxt_cache_free(gpointer data)
{
	EsessXmlCtxtCache *c = data;

	if (c == NULL)
		return;
	if (c->ctxt != NULL)
		xmlFreeParserCtxt(c->ctxt);
	g_free(c);
}

static GPrivate xml_ctxt_cache = G_PRIVATE_INIT(xml_ctxt_cache_free);

static void
xml_ctxt_release(xmlParserCtxtPtr ctxt, gboolean reusable)
{
	EsessXmlCtxtCache *c;

	if (ctxt == NULL)
		return;
	if (ctxt->myDoc != NULL) {
		xmlFreeDoc(ctxt->myDoc);
		ctxt->myDoc = NULL;
	}
	c = g_private_get(&xml_ctxt_cache);
	if (!reusable || c == NULL || c->ctxt != NULL || c->uses >= XML_CTXT_MAX_USES ||
	    (ctxt->dict != NULL && (size_t)xmlDictSize(ctxt->dict) > XML_CTXT_MAX_DICT)) {
		xmlFreeParserCtxt(ctxt);
		return;
	}
	ctxt->userData = NULL;
	c->ctxt = ctxt;
}

/* A context ready for a new document, whose SAX callbacks get p. */
static xmlParserCtxtPtr
xml_ctxt_acquire(EsessXmlParser *p)
{
	EsessXmlCtxtCache *c = g_private_get(&xml_ctxt_cache);
	xmlParserCtxtPtr ctxt = NULL;
	xmlSAXHandler h;

	if (c == NULL) {
		c = g_new0(EsessXmlCtxtCache, 1);
		g_private_set(&xml_ctxt_cache, c);
	}
	if (c->ctxt != NULL) {
		ctxt = c->ctxt;
		c->ctxt = NULL;
		if (xmlCtxtResetPush(ctxt, NULL, 0, NULL, NULL) != 0) {
			xmlFreeParserCtxt(ctxt);
			ctxt = NULL;
		} else {
			c->uses++;
		}
	}
	if (ctxt == NULL) {
		xml_init_sax(&h);
		ctxt = xmlCreatePushParserCtxt(&h, p, NULL, 0, NULL);
		if (ctxt == NULL)
			return NULL;
		c->uses = 0;
	}
	ctxt->userData = p;
	/* no network, no entity substitution, no DTD loading; the encoding is
	 * UTF-8 whatever an XML declaration claims (we checked the bytes) */
	xmlCtxtUseOptions(ctxt, XML_PARSE_NONET | XML_PARSE_NOCDATA | XML_PARSE_IGNORE_ENC |
					XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	xmlSwitchEncoding(ctxt, XML_CHAR_ENCODING_UTF8);
	return ctxt;
}

/* Pushes chunks[0..n) through one SAX2 push parser; the last push
 * terminates.  On ESESS_OK *out is the single root element. */
static EsessStatus
xml_parse_chunks(const char *const *chunks, const size_t *lens, guint n,
		 const EsessXmlLimits *limits, EsessXmlNode **out)
{
	EsessXmlParser p;
	EsessStatus r = ESESS_OK;
	size_t total;
	guint i;

	xml_init_once();
	memset(&p, 0, sizeof(p));
	p.limits = limits;
	/* SECURITY rule 9: sized so that it never grows, since growing
	 * (g_realloc) would leave copies of the text in freed memory.  Reading
	 * never makes text longer than its source (references shrink), and
	 * more than max_text fails anyway. */
	for (i = 0, total = 0; i < n; i++)
		total += MIN(lens[i], limits->max_text);
	p.text = g_string_sized_new(MIN(total, limits->max_text) + 1);
	p.ctxt = xml_ctxt_acquire(&p);
	if (p.ctxt == NULL) {
		r = ESESS_ERR_INTERNAL;
		goto out;
	}
	for (i = 0; i < n && p.status == ESESS_OK; i++) {
		int rc;

		if (lens[i] > (size_t)G_MAXINT) {
			p.status = ESESS_ERR_XML_LIMIT;
			break;
		}
		rc = xmlParseChunk(p.ctxt, chunks[i], (int)lens[i], i + 1 == n);
		if (rc != 0 && p.status == ESESS_OK)
			p.status = ESESS_ERR_XML;
	}
	r = p.status;
	if (r != ESESS_OK)
		goto out;
	if (!p.ctxt->wellFormed || !p.ctxt->nsWellFormed || p.root == NULL || p.roots != 1 ||
	    p.root_ends != 1 || p.cur != NULL) {
		r = ESESS_ERR_XML;
		goto out;
	}
	*out = p.root;
	p.root = NULL;
out:
	xml_ctxt_release(p.ctxt, r == ESESS_OK);
	esess_xml_free(p.root);
	esess_gstring_free_wiped(p.text);
	return r;
}

/* TRUE when no byte has the high bit set, eight at a time. */
static gboolean
xml_is_ascii(const char *text, size_t len)
{
	size_t i = 0;
	guint64 w, acc = 0;

	for (; i + 8 <= len; i += 8) {
		memcpy(&w, text + i, sizeof(w));
		acc |= w;
	}
	for (; i < len; i++)
		acc |= (guchar)text[i];
	return (acc & G_GUINT64_CONSTANT(0x8080808080808080)) == 0;
}

static EsessStatus
xml_check_input(const char *text, size_t len, const EsessXmlLimits *limits)
{
	if (len > limits->max_bytes)
		return ESESS_ERR_XML_LIMIT;
	if (len > (size_t)G_MAXSSIZE)
		return ESESS_ERR_XML;
	/* ASCII without NUL is UTF-8; otherwise g_utf8_validate with a length,
	 * which refuses NUL bytes too */
	if (len > 0 && xml_is_ascii(text, len)) {
		if (memchr(text, '\0', len) != NULL)
			return ESESS_ERR_XML;
		return ESESS_OK;
	}
	if (!g_utf8_validate(text, (gssize)len, NULL))
		return ESESS_ERR_XML;
	return ESESS_OK;
}

EsessStatus
esess_xml_parse(const char *text, size_t len, const EsessXmlLimits *limits, EsessXmlNode **out)
{
	EsessStatus r;
	const char *chunks[1];
	size_t lens[1];

	g_return_val_if_fail(out != NULL, ESESS_ERR_INVALID_ARG);
	*out = NULL;
	g_return_val_if_fail(text != NULL || len == 0, ESESS_ERR_INVALID_ARG);
	if (limits == NULL)
		limits = &esess_xml_default_limits;
	r = xml_check_input(text, len, limits);
	if (r != ESESS_OK)
		return r;
	if (len == 0)
		return ESESS_ERR_XML;
	chunks[0] = text;
	lens[0] = len;
	return xml_parse_chunks(chunks, lens, 1, limits, out);
}

static void xml_escape_attr(GString *out, const char *s, gboolean canon);

/* ---- the simple payload ------------------------------------------------
 * Nearly every payload is a few elements like <body>text</body>: no
 * attribute, no prefix, no nesting, no reference, no markup inside the text.
 * For exactly that form the tree the reader would build is known (each
 * element in default_ns holding one text node with the bytes as they are),
 * so it is built directly; anything else, or anything near a limit, goes to
 * the reader, which decides as before. */

#define XML_SIMPLE_NAME_MAX 32u
#define XML_NS_XMLNS "http://www.w3.org/2000/xmlns/"

/* A default namespace whose R7/attribute escaping and the reader's decoding
 * are both the identity: [a-z][a-z0-9:]*, or none. */
static gboolean
xml_simple_ns(const char *ns)
{
	const char *q;

	if (ns == NULL)
		return TRUE;
	if (!g_ascii_islower(ns[0]))
		return FALSE;
	for (q = ns; *q != '\0'; q++)
		if (!g_ascii_islower(*q) && !g_ascii_isdigit(*q) && *q != ':')
			return FALSE;
	return TRUE;
}

/* The end of a run of character data the reader passes through unchanged:
 * the first '<', or NULL for a byte that is markup or changes on reading
 * ('&', '>', CR, other controls, DEL) or for U+FFFE/U+FFFF, which are no XML
 * characters.  The input was checked as UTF-8 without NUL before. */
/* 1 for a byte that passes as it is: TAB, LF, printable ASCII but < & >,
 * and every byte of a multi-byte sequence but 0xEF (U+FFFE/U+FFFF start
 * with it, so it is looked at closely). */
static guint8 xml_text_plain[256];

static void
xml_text_plain_init(void)
{
	static gsize done = 0;
	guint i;

	if (!g_once_init_enter(&done))
		return;
	for (i = 0; i < 256; i++)
		xml_text_plain[i] = (i == '\t' || i == '\n' || (i >= 0x20 && i < 0x7F) ||
				     (i >= 0x80 && i != 0xEF)) &&
				    i != '<' && i != '&' && i != '>';
	g_once_init_leave(&done, 1);
}

static const char *
xml_simple_text_end(const char *s, const char *end)
{
	const guchar *q = (const guchar *)s, *e = (const guchar *)end;

	xml_text_plain_init();
	while (q < e) {
		while (e - q >= 4 && (xml_text_plain[q[0]] & xml_text_plain[q[1]] &
				      xml_text_plain[q[2]] & xml_text_plain[q[3]]) != 0)
			q += 4;
		if (q == e)
			break; /* the fast loop may end exactly at the end */
		if (xml_text_plain[*q]) {
			q++;
			continue;
		}
		if (*q == '<')
			return (const char *)q;
		if (*q != 0xEF || (e - q >= 3 && q[1] == 0xBF && (q[2] == 0xBE || q[2] == 0xBF)))
			return NULL;
		q++;
	}
	return NULL;
}

/* After "<name": " xmlns='URI'/>" (either quote) with URI of [A-Za-z0-9:/._#-]
 * (the reader's decoding is the identity), not empty and not one of the two
 * URIs that may not be a default namespace. */
static gboolean
xml_simple_empty(const char **qp, const char *end, const char **uri, size_t *uri_len)
{
	static const char attr[] = " xmlns=";
	const char *q = *qp, *u;
	char quote;
	char *tmp;
	xmlURIPtr parsed;
	gboolean ok;

	if ((size_t)(end - q) < sizeof(attr) - 1 || memcmp(q, attr, sizeof(attr) - 1) != 0)
		return FALSE;
	q += sizeof(attr) - 1;
	if (q == end || (*q != '\'' && *q != '"'))
		return FALSE;
	quote = *q++;
	u = q;
	while (q < end && (g_ascii_isalnum(*q) || strchr(":/._#-", *q) != NULL) && *q != '\0')
		q++;
	if (q == u || end - q < 3 || q[0] != quote || q[1] != '/' || q[2] != '>')
		return FALSE;
	*uri = u;
	*uri_len = (size_t)(q - u);
	if ((*uri_len == strlen(ESESS_NS_XML) && memcmp(u, ESESS_NS_XML, *uri_len) == 0) ||
	    (*uri_len == strlen(XML_NS_XMLNS) && memcmp(u, XML_NS_XMLNS, *uri_len) == 0))
		return FALSE;
	/* the reader refuses a namespace name that is no URI at all; here
	 * only absolute URIs (a relative one only draws a warning, but is
	 * left to the reader all the same) */
	tmp = g_strndup(u, *uri_len);
	parsed = xmlParseURI(tmp);
	g_free(tmp);
	ok = parsed != NULL && parsed->scheme != NULL;
	if (parsed != NULL)
		xmlFreeURI(parsed);
	if (!ok)
		return FALSE;
	*qp = q + 3;
	return TRUE;
}

/* TRUE with *out set when text is one or more <name>text</name> with name
 * [a-z]{1,32} (not starting "xml") and non-empty simple text, or
 * <name xmlns='URI'/>, and the limits leave room; FALSE (nothing allocated)
 * otherwise. */
static gboolean
xml_fragment_simple(const char *text, size_t len, const char *default_ns,
		    const EsessXmlLimits *limits, EsessXmlNode **out)
{
	const char *q = text, *end = text + len;
	EsessXmlNode *root, *el, *t;
	guint elements = 1;

	if (len == 0 || limits->max_depth < 2 || limits->max_elements < 1 ||
	    !xml_simple_ns(default_ns))
		return FALSE;
	root = xml_node_alloc(ESESS_XML_ELEMENT);
	root->name = g_strdup("payload");
	root->ns = g_strdup(default_ns);
	while (q < end) {
		const char *name, *t_start, *t_end;
		size_t name_len;

		if (*q != '<' || elements >= limits->max_elements)
			goto fail;
		name = ++q;
		while (q < end && g_ascii_islower(*q))
			q++;
		name_len = (size_t)(q - name);
		if (name_len == 0 || name_len > XML_SIMPLE_NAME_MAX ||
		    (name_len >= 3 && memcmp(name, "xml", 3) == 0) || q == end)
			goto fail;
		if (*q == ' ') {
			/* <name xmlns='URI'/>, as a chat state comes */
			const char *uri;
			size_t uri_len;

			if (!xml_simple_empty(&q, end, &uri, &uri_len) ||
			    elements >= limits->max_elements)
				goto fail;
			elements++;
			el = xml_node_alloc(ESESS_XML_ELEMENT);
			el->name = g_strndup(name, name_len);
			el->ns = g_strndup(uri, uri_len);
			xml_append_child(root, el);
			continue;
		}
		if (*q != '>')
			goto fail;
		t_start = ++q;
		t_end = xml_simple_text_end(q, end);
		if (t_end == NULL || t_end == t_start || (size_t)(t_end - t_start) > limits->max_text)
			goto fail;
		q = t_end;
		if ((size_t)(end - q) < name_len + 3 || q[1] != '/' ||
		    memcmp(q + 2, name, name_len) != 0 || q[2 + name_len] != '>')
			goto fail;
		q += name_len + 3;
		elements++;
		el = xml_node_alloc(ESESS_XML_ELEMENT);
		el->name = g_strndup(name, name_len);
		el->ns = g_strdup(default_ns);
		xml_append_child(root, el);
		t = xml_node_alloc(ESESS_XML_TEXT);
		t->text = g_strndup(t_start, (gsize)(t_end - t_start));
		t->text_len = (size_t)(t_end - t_start);
		xml_append_child(el, t);
	}
	*out = root;
	return TRUE;
fail:
	esess_xml_free(root);
	return FALSE;
}

EsessStatus
esess_xml_parse_fragment(const char *text, size_t len, const char *default_ns,
			 const EsessXmlLimits *limits, EsessXmlNode **out)
{
	EsessStatus r;
	GString *open = NULL;
	const char *chunks[3];
	size_t lens[3];
	static const char close_tag[] = "</payload>";

	g_return_val_if_fail(out != NULL, ESESS_ERR_INVALID_ARG);
	*out = NULL;
	g_return_val_if_fail(text != NULL || len == 0, ESESS_ERR_INVALID_ARG);
	if (limits == NULL)
		limits = &esess_xml_default_limits;
	r = xml_check_input(text, len, limits);
	if (r != ESESS_OK)
		return r;
	if (xml_fragment_simple(text, len, default_ns, limits, out))
		return ESESS_OK;
	open = g_string_new("<payload");
	if (default_ns != NULL) {
		g_string_append(open, " xmlns=\"");
		xml_escape_attr(open, default_ns, TRUE);
		g_string_append_c(open, '"');
	}
	g_string_append_c(open, '>');
	/* Three pushes into one parser, never one concatenated string: a payload
	 * that closes <payload> early ("</payload><payload>") ends the root
	 * before our own close tag arrives, which then is extra content, and the
	 * root-count check refuses a second root.  INTEROP R14. */
	chunks[0] = open->str;
	lens[0] = open->len;
	chunks[1] = text != NULL ? text : "";
	lens[1] = len;
	chunks[2] = close_tag;
	lens[2] = sizeof(close_tag) - 1;
	r = xml_parse_chunks(chunks, lens, 3, limits, out);
	g_string_free(open, TRUE);
	return r;
}

void
esess_xml_free(EsessXmlNode *n)
{
	EsessXmlNode *c, *next;
	guint i;

	if (n == NULL)
		return;
	if (n->parent != NULL)
		esess_xml_unlink(n);
	for (c = n->first_child; c != NULL; c = next) {
		next = c->next;
		c->parent = NULL;
		esess_xml_free(c);
	}
	/* SECURITY rule 9: text and attribute values of a decrypted payload
	 * or of a message on its way to encryption are plaintext; every
	 * tree's are wiped, which costs little next to reading them */
	for (i = 0; i < n->n_attrs; i++) {
		g_free(n->attrs[i].name);
		g_free(n->attrs[i].ns);
		if (n->attrs[i].value != NULL)
			esess_free_wiped(n->attrs[i].value, strlen(n->attrs[i].value));
	}
	g_free(n->attrs);
	g_free(n->name);
	g_free(n->ns);
	g_free(n->prefix);
	esess_free_wiped(n->text, n->text_len);
	g_free(n);
}

/* ---- reading ------------------------------------------------------------ */

gboolean
esess_xml_is(const EsessXmlNode *n, const char *name, const char *ns)
{
	if (n == NULL || n->kind != ESESS_XML_ELEMENT)
		return FALSE;
	if (name != NULL && g_strcmp0(n->name, name) != 0)
		return FALSE;
	if (ns != NULL && g_strcmp0(n->ns, ns) != 0)
		return FALSE;
	return TRUE;
}

EsessXmlNode *
esess_xml_child(const EsessXmlNode *n, const char *name, const char *ns)
{
	EsessXmlNode *c;

	if (n == NULL)
		return NULL;
	for (c = n->first_child; c != NULL; c = c->next)
		if (esess_xml_is(c, name, ns))
			return c;
	return NULL;
}

guint
esess_xml_count(const EsessXmlNode *n, const char *name, const char *ns)
{
	EsessXmlNode *c;
	guint k = 0;

	if (n == NULL)
		return 0;
	for (c = n->first_child; c != NULL; c = c->next)
		if (esess_xml_is(c, name, ns))
			k++;
	return k;
}

EsessXmlNode *
esess_xml_next(const EsessXmlNode *n, const char *name, const char *ns)
{
	EsessXmlNode *c;

	if (n == NULL)
		return NULL;
	for (c = n->next; c != NULL; c = c->next)
		if (esess_xml_is(c, name, ns))
			return c;
	return NULL;
}

const char *
esess_xml_attr(const EsessXmlNode *n, const char *name)
{
	guint i;

	if (n == NULL || name == NULL)
		return NULL;
	for (i = 0; i < n->n_attrs; i++)
		if (n->attrs[i].ns == NULL && strcmp(n->attrs[i].name, name) == 0)
			return n->attrs[i].value;
	return NULL;
}

char *
esess_xml_text(const EsessXmlNode *n)
{
	GString *s;
	EsessXmlNode *c;
	size_t total = 0;

	if (n == NULL)
		return g_strdup("");
	if (n->kind == ESESS_XML_TEXT)
		return g_strndup(n->text, n->text_len);
	/* sized first: growing would leave copies behind (SECURITY rule 9) */
	for (c = n->first_child; c != NULL; c = c->next)
		if (c->kind == ESESS_XML_TEXT)
			total += c->text_len;
	s = g_string_sized_new(total + 1);
	for (c = n->first_child; c != NULL; c = c->next)
		if (c->kind == ESESS_XML_TEXT)
			g_string_append_len(s, c->text, (gssize)c->text_len);
	return g_string_free(s, FALSE);
}

gboolean
esess_xml_has_elements(const EsessXmlNode *n)
{
	EsessXmlNode *c;

	if (n == NULL)
		return FALSE;
	for (c = n->first_child; c != NULL; c = c->next)
		if (c->kind == ESESS_XML_ELEMENT)
			return TRUE;
	return FALSE;
}

/* ---- building ----------------------------------------------------------- */

EsessXmlNode *
esess_xml_new(const char *name, const char *ns)
{
	EsessXmlNode *n;

	g_return_val_if_fail(name != NULL, NULL);
	n = xml_node_alloc(ESESS_XML_ELEMENT);
	n->name = g_strdup(name);
	n->ns = g_strdup(ns);
	return n;
}

EsessXmlNode *
esess_xml_add(EsessXmlNode *parent, const char *name, const char *ns)
{
	EsessXmlNode *n;

	g_return_val_if_fail(parent != NULL && name != NULL, NULL);
	n = esess_xml_new(name, ns != NULL ? ns : parent->ns);
	xml_append_child(parent, n);
	return n;
}

EsessXmlNode *
esess_xml_add_text_child(EsessXmlNode *parent, const char *name, const char *text)
{
	EsessXmlNode *n = esess_xml_add(parent, name, NULL);

	if (n != NULL && text != NULL)
		esess_xml_add_text(n, text, -1);
	return n;
}

void
esess_xml_add_text(EsessXmlNode *n, const char *text, gssize len)
{
	EsessXmlNode *t;
	size_t l;

	g_return_if_fail(n != NULL && n->kind == ESESS_XML_ELEMENT && text != NULL);
	l = len < 0 ? strlen(text) : (size_t)len;
	if (l == 0)
		return;
	t = n->last_child;
	if (t != NULL && t->kind == ESESS_XML_TEXT) {
		/* a new buffer, the old one wiped (SECURITY rule 9) */
		char *joined = g_malloc(t->text_len + l + 1);

		memcpy(joined, t->text, t->text_len);
		memcpy(joined + t->text_len, text, l);
		joined[t->text_len + l] = '\0';
		esess_free_wiped(t->text, t->text_len);
		t->text = joined;
		t->text_len += l;
		return;
	}
	t = xml_node_alloc(ESESS_XML_TEXT);
	t->text = g_strndup(text, l);
	t->text_len = l;
	xml_append_child(n, t);
}

void
esess_xml_set_attr(EsessXmlNode *n, const char *name, const char *value)
{
	guint i;

	g_return_if_fail(n != NULL && n->kind == ESESS_XML_ELEMENT && name != NULL &&
			 value != NULL);
	for (i = 0; i < n->n_attrs; i++) {
		if (n->attrs[i].ns == NULL && strcmp(n->attrs[i].name, name) == 0) {
			esess_free_wiped(n->attrs[i].value, strlen(n->attrs[i].value));
			n->attrs[i].value = g_strdup(value);
			return;
		}
	}
	n->attrs = g_renew(EsessXmlAttr, n->attrs, n->n_attrs + 1);
	n->attrs[n->n_attrs].name = g_strdup(name);
	n->attrs[n->n_attrs].ns = NULL;
	n->attrs[n->n_attrs].value = g_strdup(value);
	n->n_attrs++;
}

void
esess_xml_append(EsessXmlNode *parent, EsessXmlNode *child)
{
	g_return_if_fail(parent != NULL && child != NULL && child->parent == NULL);
	xml_append_child(parent, child);
}

void
esess_xml_unlink(EsessXmlNode *n)
{
	EsessXmlNode *p, *c, *prev = NULL;

	g_return_if_fail(n != NULL);
	p = n->parent;
	if (p == NULL)
		return;
	for (c = p->first_child; c != NULL; prev = c, c = c->next) {
		if (c != n)
			continue;
		if (prev != NULL)
			prev->next = n->next;
		else
			p->first_child = n->next;
		if (p->last_child == n)
			p->last_child = prev;
		break;
	}
	n->parent = NULL;
	n->next = NULL;
}

EsessXmlNode *
esess_xml_copy(const EsessXmlNode *n)
{
	EsessXmlNode *m;
	const EsessXmlNode *c;
	guint i;

	if (n == NULL)
		return NULL;
	m = xml_node_alloc(n->kind);
	m->name = g_strdup(n->name);
	m->ns = g_strdup(n->ns);
	m->prefix = g_strdup(n->prefix);
	if (n->text != NULL)
		m->text = g_strndup(n->text, n->text_len);
	m->text_len = n->text_len;
	if (n->n_attrs > 0) {
		m->attrs = g_new0(EsessXmlAttr, n->n_attrs);
		for (i = 0; i < n->n_attrs; i++) {
			m->attrs[i].name = g_strdup(n->attrs[i].name);
			m->attrs[i].ns = g_strdup(n->attrs[i].ns);
			m->attrs[i].value = g_strdup(n->attrs[i].value);
		}
		m->n_attrs = n->n_attrs;
	}
	for (c = n->first_child; c != NULL; c = c->next)
		xml_append_child(m, esess_xml_copy(c));
	return m;
}

/* ---- writing ------------------------------------------------------------ */

/* Text: & < > always, CR as a character reference so it survives the
 * reader's line-end normalisation (R7 escapes it the same way). */
static void
xml_escape_text(GString *out, const char *s, size_t len)
{
	const char *p = s, *end = s + len, *run = s;

	for (; p < end; p++) {
		const char *rep;

		/* base64 and most text need no escaping: skip fast */
		if ((guchar)*p > '>')
			continue;
		switch (*p) {
		case '&':
			rep = "&amp;";
			break;
		case '<':
			rep = "&lt;";
			break;
		case '>':
			rep = "&gt;";
			break;
		case '\r':
			rep = "&#xD;";
			break;
		default:
			continue;
		}
		g_string_append_len(out, run, p - run);
		g_string_append(out, rep);
		run = p + 1;
	}
	g_string_append_len(out, run, end - run);
}

/* Attribute values.  canon: R7 (& < " TAB LF CR, double quotes), else the
 * sending form (single quotes: also > ' and "). */
static void
xml_escape_attr(GString *out, const char *s, gboolean canon)
{
	const char *p, *run = s;

	for (p = s; *p != '\0'; p++) {
		const char *rep;

		switch (*p) {
		case '&':
			rep = "&amp;";
			break;
		case '<':
			rep = "&lt;";
			break;
		case '"':
			rep = "&quot;";
			break;
		case '\t':
			rep = "&#x9;";
			break;
		case '\n':
			rep = "&#xA;";
			break;
		case '\r':
			rep = "&#xD;";
			break;
		case '>':
			if (canon)
				continue;
			rep = "&gt;";
			break;
		case '\'':
			if (canon)
				continue;
			rep = "&apos;";
			break;
		default:
			continue;
		}
		g_string_append_len(out, run, p - run);
		g_string_append(out, rep);
		run = p + 1;
	}
	g_string_append(out, run);
}

static void
xml_write_element(GString *out, const EsessXmlNode *n, const char *parent_ns)
{
	const EsessXmlNode *c;
	guint i, extra = 0;
	/* the XML namespace is never a default namespace: such an element
	 * keeps its "xml:" prefix and leaves the default in scope alone */
	gboolean xml_ns = g_strcmp0(n->ns, ESESS_NS_XML) == 0;
	const char *scope = xml_ns ? parent_ns : n->ns;

	g_string_append_c(out, '<');
	if (xml_ns)
		g_string_append(out, "xml:");
	g_string_append(out, n->name);
	if (!xml_ns && g_strcmp0(n->ns, parent_ns) != 0) {
		g_string_append(out, " xmlns='");
		if (n->ns != NULL)
			xml_escape_attr(out, n->ns, FALSE);
		g_string_append_c(out, '\'');
	}
	for (i = 0; i < n->n_attrs; i++) {
		const EsessXmlAttr *a = &n->attrs[i];

		g_string_append_c(out, ' ');
		if (a->ns == NULL) {
			g_string_append(out, a->name);
		} else if (strcmp(a->ns, ESESS_NS_XML) == 0) {
			g_string_append(out, "xml:");
			g_string_append(out, a->name);
		} else {
			/* a namespaced attribute gets a prefix of its own */
			g_string_append_printf(out, "xmlns:a%u='", extra);
			xml_escape_attr(out, a->ns, FALSE);
			g_string_append_printf(out, "' a%u:%s", extra, a->name);
			extra++;
		}
		g_string_append(out, "='");
		xml_escape_attr(out, a->value, FALSE);
		g_string_append_c(out, '\'');
	}
	if (n->first_child == NULL) {
		g_string_append(out, "/>");
		return;
	}
	g_string_append_c(out, '>');
	for (c = n->first_child; c != NULL; c = c->next) {
		if (c->kind == ESESS_XML_TEXT)
			xml_escape_text(out, c->text, c->text_len);
		else
			xml_write_element(out, c, scope);
	}
	g_string_append(out, "</");
	if (xml_ns)
		g_string_append(out, "xml:");
	g_string_append(out, n->name);
	g_string_append_c(out, '>');
}

/* An upper bound of what xml_write_element writes for n: every escape is
 * at most 6 bytes for 1, every fixed piece fits in the constants. */
static size_t
xml_write_bound(const EsessXmlNode *n)
{
	const EsessXmlNode *c;
	size_t b;
	guint i;

	if (n->kind == ESESS_XML_TEXT)
		return 6 * n->text_len;
	b = 2 * (strlen(n->name) + 8) + 16;
	if (n->ns != NULL)
		b += 6 * strlen(n->ns);
	for (i = 0; i < n->n_attrs; i++) {
		b += 2 * strlen(n->attrs[i].name) + 64 + 6 * strlen(n->attrs[i].value);
		if (n->attrs[i].ns != NULL)
			b += 6 * strlen(n->attrs[i].ns);
	}
	for (c = n->first_child; c != NULL; c = c->next)
		b += xml_write_bound(c);
	return b;
}

void
esess_xml_write(GString *out, const EsessXmlNode *n, const char *parent_ns)
{
	g_return_if_fail(out != NULL && n != NULL);
	/* SECURITY rule 9: room made first, so that writing never moves the
	 * buffer (a move leaves the plaintext written so far in freed memory) */
	esess_gstring_reserve(out, xml_write_bound(n));
	switch (n->kind) {
	case ESESS_XML_TEXT:
		xml_escape_text(out, n->text, n->text_len);
		return;
	case ESESS_XML_ELEMENT:
		xml_write_element(out, n, parent_ns);
		return;
	}
}

char *
esess_xml_to_string(const EsessXmlNode *n)
{
	GString *s = g_string_sized_new(n != NULL ? xml_write_bound(n) + 1 : 1);

	if (n != NULL)
		esess_xml_write(s, n, NULL);
	return g_string_free(s, FALSE);
}

static gboolean
xml_is_whitespace(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\n' && s[i] != '\r')
			return FALSE;
	return TRUE;
}

/* The name an attribute is written (and sorted) under in R7 form. */
static const char *
xml_canon_attr_name(const EsessXmlAttr *a, char **tmp)
{
	*tmp = NULL;
	if (a->ns != NULL && strcmp(a->ns, ESESS_NS_XML) == 0) {
		*tmp = g_strconcat("xml:", a->name, NULL);
		return *tmp;
	}
	return a->name;
}

static gint
xml_canon_attr_cmp(gconstpointer a, gconstpointer b, gpointer unused)
{
	const EsessXmlAttr *x = *(const EsessXmlAttr *const *)a;
	const EsessXmlAttr *y = *(const EsessXmlAttr *const *)b;
	char *tx, *ty;
	int c;

	(void)unused;
	c = strcmp(xml_canon_attr_name(x, &tx), xml_canon_attr_name(y, &ty));
	g_free(tx);
	g_free(ty);
	return c;
}

static void
xml_canon_element(GString *out, const EsessXmlNode *n)
{
	const EsessXmlNode *c;
	gboolean has_elements = esess_xml_has_elements(n);
	gboolean has_content = FALSE;
	guint i;

	g_string_append_c(out, '<');
	g_string_append(out, n->name);
	if (n->n_attrs == 1) {
		char *tmp;

		g_string_append_c(out, ' ');
		g_string_append(out, xml_canon_attr_name(&n->attrs[0], &tmp));
		g_string_append(out, "=\"");
		xml_escape_attr(out, n->attrs[0].value, TRUE);
		g_string_append_c(out, '"');
		g_free(tmp);
	} else if (n->n_attrs > 1) {
		const EsessXmlAttr **sorted = g_new(const EsessXmlAttr *, n->n_attrs);

		for (i = 0; i < n->n_attrs; i++)
			sorted[i] = &n->attrs[i];
		/* g_qsort_with_data is a stable merge sort: equal names keep
		 * document order */
		g_qsort_with_data(sorted, (gint)n->n_attrs, sizeof(*sorted),
				  xml_canon_attr_cmp, NULL);
		for (i = 0; i < n->n_attrs; i++) {
			char *tmp;

			g_string_append_c(out, ' ');
			g_string_append(out, xml_canon_attr_name(sorted[i], &tmp));
			g_string_append(out, "=\"");
			xml_escape_attr(out, sorted[i]->value, TRUE);
			g_string_append_c(out, '"');
			g_free(tmp);
		}
		g_free(sorted);
	}
	for (c = n->first_child; c != NULL; c = c->next) {
		if (c->kind == ESESS_XML_ELEMENT ||
		    (c->text_len > 0 &&
		     !(has_elements && xml_is_whitespace(c->text, c->text_len)))) {
			has_content = TRUE;
			break;
		}
	}
	if (!has_content) {
		g_string_append(out, " />");
		return;
	}
	g_string_append_c(out, '>');
	for (c = n->first_child; c != NULL; c = c->next) {
		switch (c->kind) {
		case ESESS_XML_ELEMENT:
			xml_canon_element(out, c);
			break;
		case ESESS_XML_TEXT:
			/* XEP-0116 §Normalization: whitespace between elements */
			if (has_elements && xml_is_whitespace(c->text, c->text_len))
				break;
			xml_escape_text(out, c->text, c->text_len);
			break;
		}
	}
	g_string_append(out, "</");
	g_string_append(out, n->name);
	g_string_append_c(out, '>');
}

void
esess_xml_canon(GString *out, const EsessXmlNode *n)
{
	g_return_if_fail(out != NULL && n != NULL);
	switch (n->kind) {
	case ESESS_XML_TEXT:
		xml_escape_text(out, n->text, n->text_len);
		return;
	case ESESS_XML_ELEMENT:
		xml_canon_element(out, n);
		return;
	}
}
