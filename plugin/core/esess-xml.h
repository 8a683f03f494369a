/*
 * esess-xml.h - the engine's XML: a namespace-aware reader with hard limits,
 * a small element tree, an ordinary serialiser and the canonical serialiser of
 * INTEROP R7 (the only bytes we ever MAC, hash or show in the SAS).
 *
 * The reader is libxml2 underneath with no DTD, no entity expansion beyond the
 * five predefined entities and character references, no network, no
 * processing instructions kept.  Never strstr on XML (doc/hacking.md).
 */
#ifndef ESESS_XML_H
#define ESESS_XML_H

#include <glib.h>
#include <stddef.h>

#include "esess-status.h"

G_BEGIN_DECLS

#define ESESS_NS_CLIENT    "jabber:client"
#define ESESS_NS_XDATA     "jabber:x:data"
#define ESESS_NS_FEATURENEG "http://jabber.org/protocol/feature-neg"
#define ESESS_NS_ESESSION  "http://www.xmpp.org/extensions/xep-0116.html#ns"
#define ESESS_NS_INIT      "http://www.xmpp.org/extensions/xep-0116.html#ns-init"
#define ESESS_NS_C         "http://www.xmpp.org/extensions/xep-0200.html#ns"
#define ESESS_NS_SSN       "urn:xmpp:ssn"
#define ESESS_NS_HINTS     "urn:xmpp:hints"
#define ESESS_NS_AMP       "http://jabber.org/protocol/amp"
#define ESESS_NS_STANZAS   "urn:ietf:params:xml:ns:xmpp-stanzas"
#define ESESS_NS_CARBONS   "urn:xmpp:carbons:2"
#define ESESS_NS_FORWARD   "urn:xmpp:forward:0"
#define ESESS_NS_XML       "http://www.w3.org/XML/1998/namespace"
#define ESESS_NS_PLUGIN    "urn:xmpp:esessions:purple:0"

typedef enum {
	ESESS_XML_ELEMENT,
	ESESS_XML_TEXT
} EsessXmlKind;

typedef struct {
	char *name;   /* local name */
	char *ns;     /* namespace URI, NULL for unprefixed attributes */
	char *value;  /* UTF-8, entities resolved */
} EsessXmlAttr;

typedef struct _EsessXmlNode EsessXmlNode;
struct _EsessXmlNode {
	EsessXmlKind kind;
	char *name;          /* element: local name; text: NULL */
	char *ns;            /* element: namespace URI or NULL */
	char *prefix;        /* element: the prefix it arrived with, NULL if none */
	char *text;          /* text: UTF-8 content (may contain NUL-free text only) */
	size_t text_len;
	EsessXmlAttr *attrs; /* element: n_attrs attributes, document order */
	guint n_attrs;
	EsessXmlNode *parent;
	EsessXmlNode *first_child;
	EsessXmlNode *last_child;
	EsessXmlNode *next;
};

typedef struct {
	size_t max_bytes;     /* input size cap, checked first */
	guint max_depth;      /* element nesting */
	guint max_elements;   /* total elements */
	size_t max_text;      /* longest single text or attribute value */
} EsessXmlLimits;

/* Defaults for stanzas and payloads: 256 KiB, depth 32, 4096 elements,
 * text 192 KiB. */
extern const EsessXmlLimits esess_xml_default_limits;

/* Parses one element (a whole document without DTD) from text[0..len).
 * limits NULL means esess_xml_default_limits.  Whitespace-only text between
 * elements is kept as text nodes (callers decide).  Returns ESESS_OK,
 * ESESS_ERR_XML (not well-formed, DTD, undeclared prefix, invalid UTF-8, NUL),
 * ESESS_ERR_XML_LIMIT.  Caller frees *out with esess_xml_free. */
G_GNUC_WARN_UNUSED_RESULT
EsessStatus esess_xml_parse(const char *text, size_t len, const EsessXmlLimits *limits,
			    EsessXmlNode **out);

/* Parses a sequence of elements (and text) as the children of a synthetic
 * element <payload xmlns='default_ns'>: used for decrypted XEP-0200 payloads
 * (INTEROP R14).  Trailing spaces are allowed.  Same statuses as above. */
G_GNUC_WARN_UNUSED_RESULT
EsessStatus esess_xml_parse_fragment(const char *text, size_t len, const char *default_ns,
				     const EsessXmlLimits *limits, EsessXmlNode **out);

void esess_xml_free(EsessXmlNode *n);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(EsessXmlNode, esess_xml_free)

/* ---- reading -------------------------------------------------------- */
/* TRUE when n is an element with this local name and namespace (ns NULL
 * matches any namespace). */
gboolean esess_xml_is(const EsessXmlNode *n, const char *name, const char *ns);
/* First element child with name and ns (ns NULL: any), or NULL. */
EsessXmlNode *esess_xml_child(const EsessXmlNode *n, const char *name, const char *ns);
/* Number of element children with name and ns (name NULL: all elements). */
guint esess_xml_count(const EsessXmlNode *n, const char *name, const char *ns);
/* Next element sibling with name and ns after n (name NULL: any element). */
EsessXmlNode *esess_xml_next(const EsessXmlNode *n, const char *name, const char *ns);
/* Unprefixed attribute value or NULL. */
const char *esess_xml_attr(const EsessXmlNode *n, const char *name);
/* Concatenated text children (not descendants); caller g_frees. "" if none. */
char *esess_xml_text(const EsessXmlNode *n);
/* TRUE when the element has element children. */
gboolean esess_xml_has_elements(const EsessXmlNode *n);

/* ---- building ------------------------------------------------------- */
EsessXmlNode *esess_xml_new(const char *name, const char *ns);
/* New element appended to parent; its ns is ns (NULL: inherit parent's). */
EsessXmlNode *esess_xml_add(EsessXmlNode *parent, const char *name, const char *ns);
/* Convenience: <name>text</name> child. */
EsessXmlNode *esess_xml_add_text_child(EsessXmlNode *parent, const char *name, const char *text);
void esess_xml_add_text(EsessXmlNode *n, const char *text, gssize len);
/* Sets (or replaces) an unprefixed attribute. */
void esess_xml_set_attr(EsessXmlNode *n, const char *name, const char *value);
/* Appends child (takes ownership; child must have no parent). */
void esess_xml_append(EsessXmlNode *parent, EsessXmlNode *child);
/* Detaches n from its parent (caller then owns it). */
void esess_xml_unlink(EsessXmlNode *n);
EsessXmlNode *esess_xml_copy(const EsessXmlNode *n);

/* ---- writing -------------------------------------------------------- */
/* Ordinary serialisation (for sending): single-quoted attributes, an xmlns
 * declaration where an element's namespace differs from its parent's (or,
 * at the top, from parent_ns, which may be NULL), no whitespace added,
 * text escaped (&amp; &lt; &gt; and &apos; &quot; in attributes). */
void esess_xml_write(GString *out, const EsessXmlNode *n, const char *parent_ns);
char *esess_xml_to_string(const EsessXmlNode *n);

/* INTEROP R7 canonical form of element n: `<name`, attributes sorted by name
 * as ` name="value"` (escaping & < " TAB LF CR), never xmlns; ` />` when no
 * children and no text, else `>`, children and text in document order (text
 * escaping & < > CR), `</name>`.  Whitespace-only text between elements of an
 * element that has element children is removed (XEP-0116 §Normalization). */
void esess_xml_canon(GString *out, const EsessXmlNode *n);

G_END_DECLS

#endif /* ESESS_XML_H */
