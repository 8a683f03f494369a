/*
 * esess-pep.c - XEP-0189 public keys over XMPP, plumbing only: publishing
 * the account's key to its PEP node (XEP-0163, with XEP-0223 publish
 * options), fetching a contact's key (the PEP node first, then a direct
 * <pubkey/> request to the contact's full JID), answering direct requests,
 * and the <generating/> presence while a key is being made.  What a key is
 * and whether it is trusted is decided elsewhere (esess-identity.c and the
 * engine); this file moves <pubkey/> elements as text.
 *
 * The node's options (doc/design.md "Identity keys"): access model
 * "presence" (only contacts subscribed to our presence may read it, the
 * PEP default, XEP-0222), no notifications (deliver_notifications false) and
 * never the last item on subscription (send_last_published_item never), so
 * that the key is read when a contact needs it and never pushed to every
 * contact that happens to be online.  Nothing here is offered to Gajim
 * (INTEROP R20): a fetch happens only for peers of this plugin.
 */
#include "config.h"

#include <string.h>

#include "esess-purple.h"

#define NS_PUBSUB "http://jabber.org/protocol/pubsub"
#define NS_PUBSUB_PUBOPTS "http://jabber.org/protocol/pubsub#publish-options"
#define NS_PUBSUB_OWNER "http://jabber.org/protocol/pubsub#owner"
#define NS_PUBSUB_ERRORS "http://jabber.org/protocol/pubsub#errors"
#define NS_PUBSUB_CONFIG "http://jabber.org/protocol/pubsub#node_config"
#define NS_XDATA "jabber:x:data"
#define NS_STANZAS "urn:ietf:params:xml:ns:xmpp-stanzas"

/* seconds an iq may take before it counts as unanswered */
#define PEP_IQ_TIMEOUT 20

typedef enum {
	PEP_PUBLISH,
	PEP_FETCH_NODE,   /* the contact's PEP node */
	PEP_FETCH_DIRECT, /* XEP-0189 direct request to a full JID */
	PEP_CONFIGURE     /* XEP-0060 owner configure of a node we publish to */
} PepKind;

typedef struct {
	PurpleAccount *account;
	char *id;
	char *to;                 /* NULL: our own server (publish) */
	char *bare;               /* the contact whose key is fetched */
	PepKind kind;
	char *node;               /* the PEP node published to or fetched */
	char *child;              /* the element the item must hold, and its */
	char *child_ns;           /* namespace (fetch) */
	char *item_xml;           /* publish, configure: the item to publish */
	gboolean no_direct;       /* fetch: the node only (our own) */
	gboolean reconfigured;    /* publish: the node was reconfigured once */
	EsessPepKeyCb cb;
	gpointer data;
	guint timeout_id;
} PepRequest;

static GHashTable *pending;      /* id -> PepRequest */
static GHashTable *generating;   /* PurpleAccount * set */
static GHashTable *last_presence; /* PurpleAccount * -> xmlnode (our last
				   * broadcast presence) */
static guint next_id;

static void
request_free(gpointer p)
{
	PepRequest *r = p;

	if (r->timeout_id != 0)
		purple_timeout_remove(r->timeout_id);
	g_free(r->id);
	g_free(r->to);
	g_free(r->bare);
	g_free(r->node);
	g_free(r->child);
	g_free(r->child_ns);
	g_free(r->item_xml);
	g_free(r);
}

void
esess_pep_init(void)
{
	pending = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, request_free);
	generating = g_hash_table_new(g_direct_hash, g_direct_equal);
	last_presence = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL,
					      (GDestroyNotify)xmlnode_free);
}

/* Sends a stanza we built (doc/hacking.md pitfall 4: emitting the signal is
 * how the XMPP plugin sends; our own hook lets it through). */
static void
send_node(PurpleAccount *account, xmlnode *node)
{
	PurpleConnection *gc = purple_account_get_connection(account);

	if (gc != NULL && purple_connection_get_state(gc) == PURPLE_CONNECTED) {
		esess_ctx->sending_own = TRUE;
		purple_signal_emit(purple_connection_get_prpl(gc), "jabber-sending-xmlnode",
				   gc, &node);
		esess_ctx->sending_own = FALSE;
	}
	if (node != NULL)
		xmlnode_free(node);
}

static void fetch_direct(PepRequest *old);

/* The request is answered (pubkey: the <pubkey/> text, NULL: no key) and
 * leaves the table; a fetch without a key from the node tries the direct
 * request once. */
static void
request_done(PepRequest *r, const char *pubkey)
{
	g_hash_table_steal(pending, r->id);
	if (r->timeout_id != 0) {
		purple_timeout_remove(r->timeout_id);
		r->timeout_id = 0;
	}
	if (r->kind == PEP_FETCH_NODE && pubkey == NULL && !r->no_direct &&
	    g_strcmp0(r->node, ESESS_NS_PUBKEY) == 0 && purple_account_is_connected(r->account)) {
		fetch_direct(r);
		request_free(r);
		return;
	}
	if (r->kind == PEP_PUBLISH || r->kind == PEP_CONFIGURE)
		purple_debug_info(ESESS_DEBUG, "%s %s\n",
				  g_strcmp0(r->node, ESESS_NS_PUBKEY) == 0 ? "identity key"
									   : "offline options",
				  pubkey != NULL ? "published" : "not published");
	if (r->cb != NULL)
		r->cb(r->account, r->bare, pubkey, r->data);
	request_free(r);
}

static gboolean
request_timeout_cb(gpointer data)
{
	PepRequest *r = data;

	r->timeout_id = 0;
	purple_debug_info(ESESS_DEBUG, "a public key request was not answered\n");
	request_done(r, NULL);
	return FALSE;
}

static PepRequest *
request_new(PurpleAccount *account, PepKind kind, const char *to, const char *bare,
	    EsessPepKeyCb cb, gpointer data)
{
	PepRequest *r = g_new0(PepRequest, 1);

	r->account = account;
	r->kind = kind;
	r->id = g_strdup_printf("esess-pk-%u", ++next_id);
	r->to = g_strdup(to);
	r->bare = g_strdup(bare);
	r->node = g_strdup(ESESS_NS_PUBKEY);
	r->child = g_strdup("pubkey");
	r->child_ns = g_strdup(ESESS_NS_PUBKEY);
	r->cb = cb;
	r->data = data;
	r->timeout_id = purple_timeout_add_seconds(PEP_IQ_TIMEOUT, request_timeout_cb, r);
	g_hash_table_insert(pending, r->id, r);
	return r;
}

static xmlnode *
iq_new(const char *type, const char *id, const char *to)
{
	xmlnode *iq = xmlnode_new("iq");

	xmlnode_set_attrib(iq, "type", type);
	xmlnode_set_attrib(iq, "id", id);
	if (to != NULL)
		xmlnode_set_attrib(iq, "to", to);
	return iq;
}

void
esess_pep_add_field(xmlnode *x, const char *var, const char *value)
{
	xmlnode *f = xmlnode_new_child(x, "field");

	xmlnode_set_attrib(f, "var", var);
	if (strcmp(var, "FORM_TYPE") == 0)
		xmlnode_set_attrib(f, "type", "hidden");
	xmlnode_insert_data(xmlnode_new_child(f, "value"), value, -1);
}

void
esess_pep_publish(PurpleAccount *account, const char *pubkey_xml, EsessPepKeyCb cb,
		  gpointer data)
{
	esess_pep_publish_node(account, ESESS_NS_PUBKEY, pubkey_xml, cb, data);
}

/* The options every node we publish to must have (doc/design.md
 * "Identity keys", doc/wire-profile.md "Publishing our key"), as fields of
 * form x: publish-options, or the owner's new configuration. */
static void
add_node_options(xmlnode *x, const char *form_type)
{
	xmlnode_set_namespace(x, NS_XDATA);
	xmlnode_set_attrib(x, "type", "submit");
	esess_pep_add_field(x, "FORM_TYPE", form_type);
	esess_pep_add_field(x, "pubsub#persist_items", "true");
	esess_pep_add_field(x, "pubsub#access_model", "presence");
	esess_pep_add_field(x, "pubsub#deliver_notifications", "false");
	esess_pep_add_field(x, "pubsub#send_last_published_item", "never");
}

static void
send_publish(PepRequest *r, xmlnode *key)
{
	xmlnode *iq, *pubsub, *publish, *item, *opts;

	iq = iq_new("set", r->id, NULL);
	pubsub = xmlnode_new_child(iq, "pubsub");
	xmlnode_set_namespace(pubsub, NS_PUBSUB);
	publish = xmlnode_new_child(pubsub, "publish");
	xmlnode_set_attrib(publish, "node", r->node);
	/* XEP-0189 "Publication via PEP": one key, one item, "current" */
	item = xmlnode_new_child(publish, "item");
	xmlnode_set_attrib(item, "id", "current");
	if (key != NULL)
		xmlnode_insert_child(item, key);
	/* XEP-0223: the server creates the node with these options, or refuses
	 * the publication when an existing node has others (precondition);
	 * the node is then reconfigured (configure_node) */
	opts = xmlnode_new_child(pubsub, "publish-options");
	add_node_options(xmlnode_new_child(opts, "x"), NS_PUBSUB_PUBOPTS);
	send_node(r->account, iq);
}

void
esess_pep_publish_node(PurpleAccount *account, const char *node, const char *item_xml,
		       EsessPepKeyCb cb, gpointer data)
{
	xmlnode *key = item_xml != NULL && *item_xml != '\0' ? xmlnode_from_str(item_xml, -1)
							     : NULL;
	PepRequest *r;

	/* an empty item_xml publishes an empty item (XEP-0187 §Accepting) */
	if (key == NULL && item_xml != NULL && *item_xml != '\0') {
		purple_debug_error(ESESS_DEBUG, "PEP: unparsable item for %s\n", node);
		return;
	}
	r = request_new(account, PEP_PUBLISH, NULL, NULL, cb, data);
	g_free(r->node);
	r->node = g_strdup(node);
	r->item_xml = g_strdup(item_xml);
	send_publish(r, key);
}

/* The server refused a publication because the node exists with other
 * options (XEP-0223 precondition-not-met): the node is ours, so it is
 * configured (XEP-0060 "Configure a Node") to the options we publish
 * with, and the publication retried once.  The request carries on under a
 * new id; its callback is answered by whichever ends it. */
static void
configure_node(PepRequest *r)
{
	xmlnode *iq, *pubsub, *conf;

	purple_debug_info(ESESS_DEBUG, "PEP node %s exists with other options: "
			  "reconfiguring it\n", r->node);
	g_hash_table_steal(pending, r->id);
	g_free(r->id);
	r->id = g_strdup_printf("esess-pk-%u", ++next_id);
	r->kind = PEP_CONFIGURE;
	r->reconfigured = TRUE;
	g_hash_table_insert(pending, r->id, r);
	iq = iq_new("set", r->id, NULL);
	pubsub = xmlnode_new_child(iq, "pubsub");
	xmlnode_set_namespace(pubsub, NS_PUBSUB_OWNER);
	conf = xmlnode_new_child(pubsub, "configure");
	xmlnode_set_attrib(conf, "node", r->node);
	add_node_options(xmlnode_new_child(conf, "x"), NS_PUBSUB_CONFIG);
	send_node(r->account, iq);
}

/* The node now has our options: the publication goes again, once. */
static void
publish_again(PepRequest *r)
{
	xmlnode *key = r->item_xml != NULL && *r->item_xml != '\0'
		? xmlnode_from_str(r->item_xml, -1) : NULL;

	purple_debug_info(ESESS_DEBUG, "PEP node %s reconfigured\n", r->node);
	g_hash_table_steal(pending, r->id);
	g_free(r->id);
	r->id = g_strdup_printf("esess-pk-%u", ++next_id);
	r->kind = PEP_PUBLISH;
	g_hash_table_insert(pending, r->id, r);
	send_publish(r, key);
}

/* The error says the node's options differ from our publish-options. */
static gboolean
precondition_not_met(xmlnode *iq)
{
	xmlnode *err = xmlnode_get_child(iq, "error");

	return err != NULL &&
	       xmlnode_get_child_with_namespace(err, "precondition-not-met", NS_PUBSUB_ERRORS) !=
	       NULL;
}

void
esess_pep_fetch(PurpleAccount *account, const char *bare, EsessPepKeyCb cb, gpointer data)
{
	esess_pep_fetch_node(account, bare, ESESS_NS_PUBKEY, "pubkey", ESESS_NS_PUBKEY, cb, data);
}

static void
fetch_node(PurpleAccount *account, const char *bare, const char *node, const char *child,
	   const char *child_ns, gboolean no_direct, EsessPepKeyCb cb, gpointer data)
{
	PepRequest *r = request_new(account, PEP_FETCH_NODE, bare, bare, cb, data);
	xmlnode *iq = iq_new("get", r->id, bare);
	xmlnode *pubsub = xmlnode_new_child(iq, "pubsub");
	xmlnode *items;

	g_free(r->node);
	g_free(r->child);
	g_free(r->child_ns);
	r->node = g_strdup(node);
	r->child = g_strdup(child);
	r->child_ns = g_strdup(child_ns);
	xmlnode_set_namespace(pubsub, NS_PUBSUB);
	items = xmlnode_new_child(pubsub, "items");
	xmlnode_set_attrib(items, "node", node);
	xmlnode_set_attrib(items, "max_items", "1");
	r->no_direct = no_direct;
	send_node(account, iq);
}

void
esess_pep_fetch_node(PurpleAccount *account, const char *bare, const char *node,
		     const char *child, const char *child_ns, EsessPepKeyCb cb, gpointer data)
{
	fetch_node(account, bare, node, child, child_ns, FALSE, cb, data);
}

/* Our own item, read back from our PEP node (never asked of our other
 * clients: what counts is what the contacts can read). */
void
esess_pep_fetch_own(PurpleAccount *account, EsessPepKeyCb cb, gpointer data)
{
	char *own = esess_bare_jid(purple_account_get_username(account));

	fetch_node(account, own, ESESS_NS_PUBKEY, "pubkey", ESESS_NS_PUBKEY, TRUE, cb, data);
	g_free(own);
}

/* XEP-0189 "Requesting a Public Key Directly": when the node holds no key,
 * the contact's client is asked, if it says it can answer. */
static void
fetch_direct(PepRequest *old)
{
	char *full = esess_peers_full_jid(old->account, old->bare);
	PepRequest *r;
	xmlnode *iq, *pk;

	if (strchr(full, '/') == NULL ||
	    !esess_hooks_peer_has(old->account, full, ESESS_NS_PUBKEY)) {
		g_free(full);
		if (old->cb != NULL)
			old->cb(old->account, old->bare, NULL, old->data);
		return;
	}
	r = request_new(old->account, PEP_FETCH_DIRECT, full, old->bare, old->cb, old->data);
	iq = iq_new("get", r->id, full);
	pk = xmlnode_new_child(iq, "pubkey");
	xmlnode_set_namespace(pk, ESESS_NS_PUBKEY);
	g_free(full);
	send_node(old->account, iq);
}

/* The one <pubkey/> of a result, as text (caller frees), or NULL. */
static char *
result_pubkey(PepRequest *r, xmlnode *iq)
{
	xmlnode *pk = NULL, *n;

	if (r->kind == PEP_FETCH_DIRECT) {
		pk = xmlnode_get_child_with_namespace(iq, "pubkey", ESESS_NS_PUBKEY);
	} else if (r->kind == PEP_FETCH_NODE) {
		n = xmlnode_get_child_with_namespace(iq, "pubsub", NS_PUBSUB);
		n = n != NULL ? xmlnode_get_child(n, "items") : NULL;
		if (n != NULL && g_strcmp0(xmlnode_get_attrib(n, "node"), r->node) != 0)
			n = NULL;
		n = n != NULL ? xmlnode_get_child(n, "item") : NULL;
		pk = n != NULL ? xmlnode_get_child_with_namespace(n, r->child, r->child_ns) : NULL;
	}
	return pk != NULL ? xmlnode_to_str(pk, NULL) : NULL;
}

/* A result must come from whom we asked (the server stamps the sender): a
 * key for bob that alice's server sends on carol's behalf is refused. */
static gboolean
from_matches(PurpleAccount *account, PepRequest *r, const char *from)
{
	char *own;
	gboolean ok;

	own = esess_bare_jid(purple_account_get_username(account));
	/* a reply from our own server about our own account may come
	 * without a sender (RFC 6120 8.1.2.1) */
	if (r->to != NULL)
		ok = from != NULL ? esess_jid_equal(from, r->to) : esess_jid_equal(r->to, own);
	else
		ok = from == NULL || esess_jid_equal(from, own);
	g_free(own);
	return ok;
}

static void
reply_error(PurpleAccount *account, xmlnode *get, const char *type, const char *cond)
{
	xmlnode *iq = iq_new("error", xmlnode_get_attrib(get, "id"),
			     xmlnode_get_attrib(get, "from"));
	xmlnode *err = xmlnode_new_child(iq, "error");
	xmlnode *c;

	xmlnode_set_attrib(err, "type", type);
	c = xmlnode_new_child(err, cond);
	xmlnode_set_namespace(c, NS_STANZAS);
	send_node(account, iq);
}

/* XEP-0189 direct request.  Answering says we are online, so only our own
 * other clients and contacts on the buddy list get the key, as the PEP
 * node's "presence" access model would allow them (XEP-0020 security note);
 * anybody else is answered as if we did not know the request. */
static void
answer_direct(PurpleAccount *account, xmlnode *get)
{
	const char *from = xmlnode_get_attrib(get, "from");
	char *bare = from != NULL ? esess_bare_jid(from) : NULL;
	char *own = esess_bare_jid(purple_account_get_username(account));
	char *key = NULL;
	xmlnode *iq, *pk;

	if (bare == NULL || xmlnode_get_attrib(get, "id") == NULL) {
		g_free(own);
		return;
	}
	if (!esess_jid_equal(bare, own) && purple_find_buddy(account, bare) == NULL) {
		reply_error(account, get, "cancel", "service-unavailable");
		goto out;
	}
	key = esess_identity_pubkey_xml(account);
	pk = key != NULL ? xmlnode_from_str(key, -1) : NULL;
	if (pk == NULL) {
		reply_error(account, get, "cancel", "item-not-found");
		goto out;
	}
	iq = iq_new("result", xmlnode_get_attrib(get, "id"), from);
	xmlnode_insert_child(iq, pk);
	send_node(account, iq);
out:
	g_free(key);
	g_free(bare);
	g_free(own);
}

gboolean
esess_pep_receive_iq(PurpleAccount *account, xmlnode *iq)
{
	const char *type = xmlnode_get_attrib(iq, "type");
	const char *id = xmlnode_get_attrib(iq, "id");
	PepRequest *r;
	char *key;

	if (type == NULL || id == NULL)
		return FALSE;
	if (strcmp(type, "get") == 0) {
		if (xmlnode_get_child_with_namespace(iq, "pubkey", ESESS_NS_PUBKEY) == NULL)
			return FALSE;
		answer_direct(account, iq);
		return TRUE;
	}
	if (strcmp(type, "result") != 0 && strcmp(type, "error") != 0)
		return FALSE;
	r = g_hash_table_lookup(pending, id);
	if (r == NULL || r->account != account ||
	    !from_matches(account, r, xmlnode_get_attrib(iq, "from")))
		return FALSE;
	if (strcmp(type, "error") == 0) {
		if (r->kind == PEP_PUBLISH && !r->reconfigured && precondition_not_met(iq)) {
			configure_node(r);
			return TRUE;
		}
		if (r->kind == PEP_CONFIGURE)
			/* never published under weaker access than ours */
			purple_debug_warning(ESESS_DEBUG, "PEP node %s: the server refused to "
					     "reconfigure it; nothing is published there\n",
					     r->node);
		request_done(r, NULL);
		return TRUE;
	}
	if (r->kind == PEP_CONFIGURE) {
		publish_again(r);
		return TRUE;
	}
	if (r->kind == PEP_PUBLISH) {
		/* anything but NULL says it worked */
		request_done(r, "");
		return TRUE;
	}
	key = result_pubkey(r, iq);
	request_done(r, key);
	g_free(key);
	return TRUE;
}

/* ---- <generating/> (XEP-0189 "Signalling Key Generation") ---------- */

/* The XMPP plugin does not send an unchanged presence again (and has no
 * way to force it from outside), so our last broadcast presence is kept
 * and sent again, with or without <generating/>. */
static void
resend_presence(PurpleAccount *account)
{
	xmlnode *last = g_hash_table_lookup(last_presence, account);
	xmlnode *copy, *g;

	if (last == NULL)
		return;
	copy = xmlnode_copy(last);
	g = xmlnode_get_child_with_namespace(copy, "generating", ESESS_NS_PUBKEY);
	if (g != NULL)
		xmlnode_free(g);
	if (g_hash_table_contains(generating, account)) {
		g = xmlnode_new_child(copy, "generating");
		xmlnode_set_namespace(g, ESESS_NS_PUBKEY);
	}
	send_node(account, copy);
}

void
esess_pep_set_generating(PurpleAccount *account, gboolean on)
{
	gboolean was = g_hash_table_contains(generating, account);

	if (on == was)
		return;
	if (on)
		g_hash_table_add(generating, account);
	else
		g_hash_table_remove(generating, account);
	resend_presence(account);
}

void
esess_pep_outgoing_presence(PurpleAccount *account, xmlnode *pres)
{
	xmlnode *g;

	/* broadcast availability only (no type, no addressee) */
	if (xmlnode_get_attrib(pres, "type") != NULL || xmlnode_get_attrib(pres, "to") != NULL)
		return;
	g_hash_table_insert(last_presence, account, xmlnode_copy(pres));
	if (!g_hash_table_contains(generating, account) ||
	    xmlnode_get_child_with_namespace(pres, "generating", ESESS_NS_PUBKEY) != NULL)
		return;
	g = xmlnode_new_child(pres, "generating");
	xmlnode_set_namespace(g, ESESS_NS_PUBKEY);
}

/* ---- cleanup ------------------------------------------------------- */

/* Every request of the account (NULL: all) ends unanswered; the callbacks
 * run (with no key) so their owners can let go of their data. */
void
esess_pep_forget(PurpleAccount *account)
{
	GHashTableIter it;
	gpointer v;
	GList *l, *todo = NULL;

	if (pending == NULL)
		return;
	g_hash_table_iter_init(&it, pending);
	while (g_hash_table_iter_next(&it, NULL, &v))
		if (account == NULL || ((PepRequest *)v)->account == account)
			todo = g_list_prepend(todo, v);
	for (l = todo; l != NULL; l = l->next) {
		PepRequest *r = l->data;

		g_hash_table_steal(pending, r->id);
		if (r->cb != NULL)
			r->cb(r->account, r->bare, NULL, r->data);
		request_free(r);
	}
	g_list_free(todo);
	if (account == NULL) {
		g_hash_table_remove_all(generating);
		g_hash_table_remove_all(last_presence);
	} else {
		g_hash_table_remove(generating, account);
		g_hash_table_remove(last_presence, account);
	}
}

void
esess_pep_shutdown(void)
{
	esess_pep_forget(NULL);
	g_hash_table_destroy(pending);
	g_hash_table_destroy(generating);
	g_hash_table_destroy(last_presence);
	pending = NULL;
	generating = NULL;
	last_presence = NULL;
}
