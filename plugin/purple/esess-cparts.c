/*
 * esess-cparts.c - an encrypted message taken apart and built on
 * libpurple's own tree (issue 11 item 2); see esess-cparts.h.
 */
#include "config.h"

#include <string.h>

#include "esess-cparts.h"

#define NS_CLIENT "jabber:client"
#define NS_XEP0200 "http://www.xmpp.org/extensions/xep-0200.html#ns"
#define NS_XML "http://www.w3.org/XML/1998/namespace"

/* A leaf: no element inside; its text and attribute bytes add to *total. */
static gboolean
is_leaf(xmlnode *n, size_t *total)
{
	xmlnode *c;

	for (c = n->child; c != NULL; c = c->next) {
		if (c->type == XMLNODE_TYPE_TAG)
			return FALSE;
		*total += c->type == XMLNODE_TYPE_DATA ? c->data_sz :
			  (c->data != NULL ? strlen(c->data) : 0);
	}
	return TRUE;
}

static gboolean
has_attribs(xmlnode *n)
{
	xmlnode *c;

	for (c = n->child; c != NULL; c = c->next)
		if (c->type == XMLNODE_TYPE_ATTRIB)
			return TRUE;
	return FALSE;
}

static gboolean
is_whitespace(const char *t, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (t[i] != ' ' && t[i] != '\t' && t[i] != '\n' && t[i] != '\r')
			return FALSE;
	return TRUE;
}

/* The text of a leaf: in place when it is one piece, else joined into
 * *own; NULL (length 0) when it has none. */
static const char *
leaf_text(xmlnode *n, size_t *len, char **own)
{
	xmlnode *c, *only = NULL;
	guint pieces = 0;

	*own = NULL;
	*len = 0;
	for (c = n->child; c != NULL; c = c->next) {
		if (c->type == XMLNODE_TYPE_DATA && c->data_sz > 0) {
			only = c;
			pieces++;
		}
	}
	if (pieces == 0)
		return NULL;
	if (pieces == 1) {
		*len = only->data_sz;
		return only->data;
	}
	*own = xmlnode_get_data(n);
	*len = strlen(*own);
	return *own;
}

void
esess_cparts_clear(EsessCTaken *t)
{
	g_free(t->thread);
	g_free(t->data_own);
	g_free(t->mac_own);
	memset(t, 0, sizeof(*t));
}

gboolean
esess_cparts_take(xmlnode *msg, EsessCTaken *t)
{
	xmlnode *ch, *c = NULL, *thread = NULL, *data = NULL, *mac = NULL;
	const char *type, *ns;
	size_t total = 0;

	memset(t, 0, sizeof(*t));
	if (msg == NULL || msg->type != XMLNODE_TYPE_TAG || strcmp(msg->name, "message") != 0)
		return FALSE;
	ns = xmlnode_get_namespace(msg);
	if ((ns != NULL && strcmp(ns, NS_CLIENT) != 0) || xmlnode_get_prefix(msg) != NULL)
		return FALSE;
	/* R15, SECURITY 46: groupchat, error and other types go the complete way */
	type = xmlnode_get_attrib(msg, "type");
	if (type != NULL && strcmp(type, "chat") != 0 && strcmp(type, "normal") != 0)
		return FALSE;
	t->in.from = xmlnode_get_attrib(msg, "from");
	if (t->in.from == NULL)
		return FALSE;
	/* SECURITY 45, 47, 48: one <c/>, unprefixed, an immediate child, and
	 * nothing else with elements inside (no carbon, no forward, no <c/>
	 * deeper down) */
	for (ch = msg->child; ch != NULL; ch = ch->next) {
		if (ch->type == XMLNODE_TYPE_ATTRIB) {
			total += ch->data != NULL ? strlen(ch->data) : 0;
			continue;
		}
		if (ch->type != XMLNODE_TYPE_TAG)
			continue;
		ns = xmlnode_get_namespace(ch);
		if (strcmp(ch->name, "c") == 0 && g_strcmp0(ns, NS_XEP0200) == 0) {
			if (c != NULL || xmlnode_get_prefix(ch) != NULL)
				return FALSE;
			c = ch;
			continue;
		}
		if (!is_leaf(ch, &total))
			return FALSE;
		if (strcmp(ch->name, "thread") == 0) {
			if (thread != NULL)
				return FALSE;
			thread = ch;
		} else if (strcmp(ch->name, "body") == 0) {
			t->in.has_body = TRUE;
		}
	}
	if (c == NULL || thread == NULL)
		return FALSE;
	for (ch = c->child; ch != NULL; ch = ch->next) {
		if (ch->type == XMLNODE_TYPE_ATTRIB)
			continue;
		if (ch->type == XMLNODE_TYPE_DATA) {
			if (!is_whitespace(ch->data, ch->data_sz))
				return FALSE;
			continue;
		}
		if (xmlnode_get_prefix(ch) != NULL ||
		    g_strcmp0(xmlnode_get_namespace(ch), NS_XEP0200) != 0 || has_attribs(ch) ||
		    !is_leaf(ch, &total))
			return FALSE;
		if (strcmp(ch->name, "data") == 0 && data == NULL)
			data = ch;
		else if (strcmp(ch->name, "mac") == 0 && mac == NULL)
			mac = ch;
		else
			return FALSE; /* key, new, old (re-keying), duplicates, others */
	}
	if (mac == NULL || total > ESESS_CPARTS_MAX_TEXT)
		return FALSE;
	t->thread = xmlnode_get_data(thread);
	t->in.thread = t->thread;
	t->in.mac = leaf_text(mac, &t->in.mac_len, &t->mac_own);
	if (data != NULL)
		t->in.data = leaf_text(data, &t->in.data_len, &t->data_own);
	/* no thread text, an empty <mac/> or <data/>: the complete way */
	if (t->thread == NULL || t->in.mac == NULL || (data != NULL && t->in.data == NULL)) {
		esess_cparts_clear(t);
		return FALSE;
	}
	return TRUE;
}

/* ---- building the decrypted children ---------------------------------- */

static void
build_open(gpointer data, const char *name, const char *ns, guint n_attrs,
	   const EsessPayloadAttr *attrs)
{
	EsessCBuild *b = data;
	xmlnode *n = xmlnode_new_child(b->cur, name);
	guint i;

	xmlnode_set_namespace(n, ns);
	for (i = 0; i < n_attrs; i++)
		xmlnode_set_attrib_full(n, attrs[i].name, attrs[i].ns,
					g_strcmp0(attrs[i].ns, NS_XML) == 0 ? "xml" : NULL,
					attrs[i].value);
	b->cur = n;
}

static void
build_text(gpointer data, const char *text, size_t len)
{
	EsessCBuild *b = data;

	if (len > 0)
		xmlnode_insert_data(b->cur, text, (gssize)len);
}

static void
build_close(gpointer data)
{
	EsessCBuild *b = data;

	if (b->cur != b->root)
		b->cur = b->cur->parent;
}

const EsessPayloadSink esess_cparts_sink = { build_open, build_text, build_close };

void
esess_cparts_build_init(EsessCBuild *b)
{
	b->root = xmlnode_new("payload");
	b->cur = b->root;
}

/* SECURITY rule 9: the texts of a decrypted tree are wiped before they go */
static void
wipe_tree(xmlnode *n)
{
	xmlnode *c;

	for (c = n->child; c != NULL; c = c->next) {
		if (c->type == XMLNODE_TYPE_TAG)
			wipe_tree(c);
		else if (c->data != NULL)
			esess_wipe(c->data, c->type == XMLNODE_TYPE_DATA ? c->data_sz :
				   strlen(c->data));
	}
}

void
esess_cparts_build_free(EsessCBuild *b)
{
	if (b->root == NULL)
		return;
	wipe_tree(b->root);
	xmlnode_free(b->root);
	b->root = NULL;
	b->cur = NULL;
}

void
esess_cparts_deliver(xmlnode *msg, EsessCBuild *b)
{
	xmlnode *c, *next, *last = NULL;

	c = msg->child;
	msg->child = NULL;
	for (; c != NULL; c = next) {
		next = c->next;
		c->next = NULL;
		if (c->type == XMLNODE_TYPE_ATTRIB ||
		    (c->type == XMLNODE_TYPE_TAG &&
		     esess_chat_kept_beside_c(c->name, xmlnode_get_namespace(c)))) {
			if (last != NULL)
				last->next = c;
			else
				msg->child = c;
			last = c;
			continue;
		}
		/* unlinked first, so that xmlnode_free does not walk msg */
		c->parent = NULL;
		xmlnode_free(c);
	}
	msg->lastchild = last;
	for (c = b->root->child; c != NULL; c = next) {
		next = c->next;
		c->next = NULL;
		xmlnode_insert_child(msg, c);
		/* doc/hacking.md pitfall 3: a body must be in jabber:client */
		if (strcmp(c->name, "body") == 0 && xmlnode_get_namespace(c) == NULL)
			xmlnode_set_namespace(c, NS_CLIENT);
	}
	b->root->child = NULL;
	b->root->lastchild = NULL;
	xmlnode_free(b->root);
	b->root = NULL;
	b->cur = NULL;
}

/* ---- sending ---------------------------------------------------------- */

#define NS_HINTS "urn:xmpp:hints"

/* TRUE when s needs no escaping by g_markup_escape_text. */
static gboolean
plain_ascii(const char *s)
{
	for (; *s != '\0'; s++) {
		if ((guchar)*s < 0x20 || (guchar)*s >= 0x7f || *s == '&' || *s == '<' ||
		    *s == '>' || *s == '\'' || *s == '"')
			return FALSE;
	}
	return TRUE;
}

/* xmlnode_to_str's very bytes for the children a message usually has (a
 * body, a chat state): an element with no prefix, no namespace map, no
 * attribute and only text inside, and a name and namespace that need no
 * escaping; NULL for anything else.  Without its printf and per-piece
 * strings: this runs for every message sent (issue 11 item 2). */
static char *
write_leaf(xmlnode *n, size_t *len)
{
	const char *ns = n->xmlns;
	gboolean with_ns, end = FALSE;
	size_t size;
	GString *out;
	xmlnode *c;

	if (n->prefix != NULL || n->namespace_map != NULL || !plain_ascii(n->name))
		return NULL;
	for (c = n->child; c != NULL; c = c->next) {
		if (c->type != XMLNODE_TYPE_DATA)
			return NULL;
		end = TRUE;
	}
	with_ns = ns != NULL && (n->parent == NULL || g_strcmp0(ns, n->parent->xmlns) != 0);
	if (with_ns && !plain_ascii(ns))
		return NULL;
	/* room for every escape (at most 6 bytes for 1), so that the text is
	 * never moved and left behind in freed memory (SECURITY rule 9) */
	size = 2 * strlen(n->name) + (with_ns ? strlen(ns) : 0) + 16;
	for (c = n->child; c != NULL; c = c->next)
		size += 6 * c->data_sz;
	out = g_string_sized_new(size);
	g_string_append_c(out, '<');
	g_string_append(out, n->name);
	if (with_ns) {
		g_string_append(out, " xmlns='");
		g_string_append(out, ns);
		g_string_append_c(out, '\'');
	}
	if (!end) {
		g_string_append(out, "/>");
	} else {
		g_string_append_c(out, '>');
		for (c = n->child; c != NULL; c = c->next) {
			char *esc;

			if (c->data_sz == 0)
				continue;
			esc = g_markup_escape_text(c->data, (gssize)c->data_sz);
			g_string_append(out, esc);
			esess_wipe(esc, strlen(esc));
			g_free(esc);
		}
		g_string_append(out, "</");
		g_string_append(out, n->name);
		g_string_append_c(out, '>');
	}
	*len = out->len;
	return g_string_free(out, FALSE);
}

/* The escape g_markup_escape_text writes for byte b of plain text (see
 * plain_text), or NULL when b stays as it is. */
static const char *
plain_escape(char b)
{
	switch (b) {
	case '&':
		return "&amp;";
	case '<':
		return "&lt;";
	case '>':
		return "&gt;";
	case '\'':
		return "&apos;";
	case '"':
		return "&quot;";
	default:
		return NULL;
	}
}

/* TRUE when t is text g_markup_escape_text changes only by the five
 * entities of plain_escape: printable ASCII, tab and line ends (other
 * control characters and non-ASCII take its own way); *size grows by the
 * escaped length. */
static gboolean
plain_text(const char *t, size_t len, size_t *size)
{
	size_t i;

	for (i = 0; i < len; i++) {
		guchar b = (guchar)t[i];

		if ((b < 0x20 && b != '\t' && b != '\n' && b != '\r') || b >= 0x7f)
			return FALSE;
		switch (b) {
		case '&':
			*size += 5;
			break;
		case '<':
		case '>':
			*size += 4;
			break;
		case '\'':
		case '"':
			*size += 6;
			break;
		default:
			*size += 1;
			break;
		}
	}
	return TRUE;
}

/* write_leaf's conditions, and only plain text inside: the bytes it would
 * write are counted into *size; *with_ns says whether the xmlns goes out. */
static gboolean
plain_leaf(xmlnode *n, size_t *size, gboolean *with_ns)
{
	const char *ns = n->xmlns;
	gboolean end = FALSE;
	size_t nlen;
	xmlnode *c;

	if (n->prefix != NULL || n->namespace_map != NULL || !plain_ascii(n->name))
		return FALSE;
	nlen = strlen(n->name);
	*with_ns = ns != NULL && (n->parent == NULL || g_strcmp0(ns, n->parent->xmlns) != 0);
	if (*with_ns && !plain_ascii(ns))
		return FALSE;
	*size += 1 + nlen + (*with_ns ? strlen(" xmlns=''") + strlen(ns) : 0);
	for (c = n->child; c != NULL; c = c->next) {
		if (c->type != XMLNODE_TYPE_DATA || !plain_text(c->data, c->data_sz, size))
			return FALSE;
		end = TRUE;
	}
	*size += end ? 1 + 2 + nlen + 1 : 2;
	return TRUE;
}

static char *
put(char *at, const char *s, size_t len)
{
	memcpy(at, s, len);
	return at + len;
}

/* The payload when every child that goes inside <c/> is a plain leaf (a
 * body of ordinary text, a chat state: nearly every message), written in
 * one pass into one block of its final size, without write_leaf's
 * per-child strings (issue 11 item 2: this runs for every message sent);
 * NULL otherwise.  The bytes are write_leaf's (tests/unit/test-cparts.c). */
static char *
payload_plain(xmlnode *msg, size_t *len)
{
	size_t total = 0;
	gboolean with_ns;
	char *buf, *at;
	xmlnode *c, *d;

	for (c = msg->child; c != NULL; c = c->next) {
		if (c->type != XMLNODE_TYPE_TAG ||
		    esess_chat_outside_c(c->name, xmlnode_get_namespace(c)))
			continue;
		if (!plain_leaf(c, &total, &with_ns))
			return NULL;
	}
	/* one allocation of the final size: the plaintext is never moved and
	 * left behind in freed memory (SECURITY rule 9) */
	buf = g_malloc(total + 1);
	at = buf;
	for (c = msg->child; c != NULL; c = c->next) {
		size_t nlen;
		gboolean end = FALSE;

		if (c->type != XMLNODE_TYPE_TAG ||
		    esess_chat_outside_c(c->name, xmlnode_get_namespace(c)))
			continue;
		/* as plain_leaf decided */
		with_ns = c->xmlns != NULL &&
			  (c->parent == NULL || g_strcmp0(c->xmlns, c->parent->xmlns) != 0);
		nlen = strlen(c->name);
		*at++ = '<';
		at = put(at, c->name, nlen);
		if (with_ns) {
			at = put(at, " xmlns='", strlen(" xmlns='"));
			at = put(at, c->xmlns, strlen(c->xmlns));
			*at++ = '\'';
		}
		for (d = c->child; d != NULL; d = d->next) {
			size_t i;

			if (!end)
				*at++ = '>';
			end = TRUE;
			for (i = 0; i < d->data_sz; i++) {
				const char *e = plain_escape(d->data[i]);

				if (e != NULL)
					at = put(at, e, strlen(e));
				else
					*at++ = d->data[i];
			}
		}
		if (end) {
			at = put(at, "</", 2);
			at = put(at, c->name, nlen);
			*at++ = '>';
		} else {
			at = put(at, "/>", 2);
		}
	}
	g_assert((size_t)(at - buf) == total);
	*at = '\0';
	*len = total;
	return buf;
}

char *
esess_cparts_payload(xmlnode *msg, size_t *len)
{
	GPtrArray *pieces;
	GArray *lens;
	xmlnode *c;
	const char *ns;
	size_t total = 0, at = 0;
	char *buf;
	guint i;

	*len = 0;
	ns = xmlnode_get_namespace(msg);
	if (strcmp(msg->name, "message") != 0 || (ns != NULL && strcmp(ns, NS_CLIENT) != 0) ||
	    xmlnode_get_prefix(msg) != NULL || msg->namespace_map != NULL)
		return NULL;
	buf = payload_plain(msg, len);
	if (buf != NULL)
		return buf;
	pieces = g_ptr_array_new();
	lens = g_array_new(FALSE, FALSE, sizeof(size_t));
	for (c = msg->child; c != NULL; c = c->next) {
		int n = 0;
		size_t sz;
		char *one;

		if (c->type != XMLNODE_TYPE_TAG ||
		    esess_chat_outside_c(c->name, xmlnode_get_namespace(c)))
			continue;
		/* written as part of msg: an xmlns where it differs from msg's,
		 * as xmlnode_to_str(msg) would */
		one = write_leaf(c, &sz);
		if (one == NULL) {
			one = xmlnode_to_str(c, &n);
			sz = n > 0 ? (size_t)n : 0;
		}
		g_ptr_array_add(pieces, one);
		g_array_append_val(lens, sz);
		total += sz;
	}
	/* one allocation of the final size: the plaintext is never moved and
	 * left behind in freed memory (SECURITY rule 9) */
	buf = g_malloc(total + 1);
	for (i = 0; i < pieces->len; i++) {
		char *one = g_ptr_array_index(pieces, i);
		size_t sz = g_array_index(lens, size_t, i);

		memcpy(buf + at, one, sz);
		at += sz;
		esess_wipe(one, sz);
		g_free(one);
	}
	buf[total] = '\0';
	g_ptr_array_free(pieces, TRUE);
	g_array_free(lens, TRUE);
	*len = total;
	return buf;
}

/* Unlinks every child of n (attributes too) into a plain list. */
static xmlnode *
take_children(xmlnode *n)
{
	xmlnode *c = n->child;

	n->child = NULL;
	n->lastchild = NULL;
	return c;
}

static xmlnode *
text_child(xmlnode *parent, const char *name, const char *ns, const char *text)
{
	xmlnode *n = xmlnode_new_child(parent, name);

	if (ns != NULL)
		xmlnode_set_namespace(n, ns);
	if (text != NULL && *text != '\0')
		xmlnode_insert_data(n, text, -1);
	return n;
}

/* Replaces what n holds (wiped: it may be the plaintext) by text. */
static void
set_only_text(xmlnode *n, const char *text)
{
	xmlnode *c = n->child, *next;

	/* one piece of text (a body as libpurple builds it) is rewritten in
	 * place: a new node costs an allocation and a D-Bus registration, and
	 * freeing it the same again, for every message sent */
	if (c != NULL && c->next == NULL && c->type == XMLNODE_TYPE_DATA && text != NULL &&
	    *text != '\0') {
		if (c->data != NULL) {
			esess_wipe(c->data, c->data_sz);
			g_free(c->data);
		}
		c->data_sz = strlen(text);
		c->data = g_malloc(c->data_sz);
		memcpy(c->data, text, c->data_sz);
		return;
	}
	for (c = take_children(n); c != NULL; c = next) {
		next = c->next;
		c->next = NULL;
		c->parent = NULL;
		wipe_tree(c);
		if (c->type == XMLNODE_TYPE_DATA && c->data != NULL)
			esess_wipe(c->data, c->data_sz);
		xmlnode_free(c);
	}
	if (text != NULL && *text != '\0')
		xmlnode_insert_data(n, text, -1);
}

static void
set_attrib_text(xmlnode *a, const char *value)
{
	g_free(a->data);
	a->data = g_strdup(value);
}

/* Appends c to the plain list (*first, *last). */
static void
list_add(xmlnode **first, xmlnode **last, xmlnode *c)
{
	c->next = NULL;
	if (*last != NULL)
		(*last)->next = c;
	else
		*first = c;
	*last = c;
}

void
esess_cparts_seal(xmlnode *msg, const EsessCOut *out)
{
	xmlnode *c, *next, *kept = NULL, *kept_last = NULL, *cx;
	xmlnode *to = NULL, *type = NULL, *id = NULL, *body = NULL, *thread = NULL;
	xmlnode *spare = NULL;
	guint i;

	/* R14: what went inside <c/> goes, wiped; of the attributes only id
	 * stays (the complete way writes to, type and id).  The nodes that
	 * can be are reused (each new xmlnode costs an allocation and a
	 * D-Bus registration): to, type, id, a body for the placeholder, a
	 * thread for ours */
	for (c = take_children(msg); c != NULL; c = next) {
		const char *ns;
		xmlnode **slot = NULL;

		next = c->next;
		c->next = NULL;
		c->parent = NULL;
		if (c->type == XMLNODE_TYPE_ATTRIB && c->xmlns == NULL && c->prefix == NULL) {
			if (strcmp(c->name, "to") == 0)
				slot = &to;
			else if (strcmp(c->name, "type") == 0)
				slot = &type;
			else if (strcmp(c->name, "id") == 0)
				slot = &id;
		} else if (c->type == XMLNODE_TYPE_TAG) {
			ns = xmlnode_get_namespace(c);
			if (esess_chat_outside_c(c->name, ns)) {
				if (strcmp(c->name, "thread") == 0 && ns == NULL &&
				    xmlnode_get_prefix(c) == NULL && c->namespace_map == NULL &&
				    !has_attribs(c))
					slot = &thread;
				else if (strcmp(c->name, "thread") != 0 &&
					 !(out->no_store && g_strcmp0(ns, NS_HINTS) == 0 &&
					   (strcmp(c->name, "no-permanent-store") == 0 ||
					    strcmp(c->name, "no-copy") == 0))) {
					list_add(&kept, &kept_last, c);
					continue;
				}
			} else if (strcmp(c->name, "body") == 0 && ns == NULL &&
				   xmlnode_get_prefix(c) == NULL && c->namespace_map == NULL &&
				   !has_attribs(c)) {
				slot = &body;
			}
		}
		if (slot != NULL && *slot == NULL) {
			*slot = c;
			continue;
		}
		/* an element with nothing in it (a chat state) can become the
		 * thread libpurple does not send */
		if (c->type == XMLNODE_TYPE_TAG && c->child == NULL && spare == NULL) {
			spare = c;
			continue;
		}
		wipe_tree(c);
		if (c->type == XMLNODE_TYPE_DATA && c->data != NULL)
			esess_wipe(c->data, c->data_sz);
		xmlnode_free(c);
	}
	if (thread == NULL && spare != NULL) {
		thread = spare;
		spare = NULL;
		g_free(thread->name);
		thread->name = g_strdup("thread");
		xmlnode_set_namespace(thread, NULL);
		xmlnode_set_prefix(thread, NULL);
		if (thread->namespace_map != NULL) {
			g_hash_table_destroy(thread->namespace_map);
			thread->namespace_map = NULL;
		}
	}
	if (spare != NULL)
		xmlnode_free(spare);
	xmlnode_set_namespace(msg, NULL);
	xmlnode_set_prefix(msg, NULL);
	if (msg->namespace_map != NULL) {
		g_hash_table_destroy(msg->namespace_map);
		msg->namespace_map = NULL;
	}
	/* the attributes: to, type, id in this order */
	if (to != NULL) {
		set_attrib_text(to, out->to);
		xmlnode_insert_child(msg, to);
	} else {
		xmlnode_set_attrib(msg, "to", out->to);
	}
	if (type != NULL) {
		set_attrib_text(type, "chat");
		xmlnode_insert_child(msg, type);
	} else {
		xmlnode_set_attrib(msg, "type", "chat");
	}
	if (id != NULL)
		xmlnode_insert_child(msg, id);
	if (out->body != NULL) {
		if (body == NULL)
			body = xmlnode_new("body");
		set_only_text(body, out->body);
		xmlnode_insert_child(msg, body);
	} else if (body != NULL) {
		wipe_tree(body);
		xmlnode_free(body);
	}
	if (thread == NULL)
		thread = xmlnode_new("thread");
	set_only_text(thread, out->thread);
	xmlnode_insert_child(msg, thread);
	for (c = kept; c != NULL; c = next) {
		next = c->next;
		c->next = NULL;
		xmlnode_insert_child(msg, c);
	}
	if (out->no_store) {
		/* R14, R17: keep the server's archive out of it */
		(void)text_child(msg, "no-permanent-store", NS_HINTS, NULL);
		(void)text_child(msg, "no-copy", NS_HINTS, NULL);
	}
	cx = text_child(msg, "c", NS_XEP0200, NULL);
	for (i = 0; out->children != NULL && i < out->children->len; i++) {
		const EsessCChild *ch = g_ptr_array_index(out->children, i);

		(void)text_child(cx, ch->name, NULL, ch->text);
	}
}
