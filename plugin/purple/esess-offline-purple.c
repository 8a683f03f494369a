/*
 * esess-offline-purple.c - private messages to a contact who is offline
 * (XEP-0187, issue 12 items 4 and 5), the libpurple side.  The protocol is
 * the engine's (esess-offline.h, doc/wire-profile.md "Offline sessions").
 *
 * The recipient's side: a fresh options set, signed with the account's
 * identity key, is published to the PEP node XEP-0187 names (presence
 * access, never pushed, esess-pep.c) at sign-on, every day while online,
 * after each offline message read, and at sign-off; its DH secrets are
 * written to a 0600 file first (no options are published whose secrets we
 * could not keep).  A set is published while online too, so that a lost
 * connection still leaves usable options behind; senders use them only
 * while we look offline.  At sign-on the file of the last set is read and
 * destroyed; its secrets open the messages stored meanwhile and are
 * destroyed OFFLINE_GRACE seconds later.  Every secret set is destroyed at
 * its expiry at the latest, and a replaced one OFFLINE_GRACE seconds after.
 *
 * The sender's side: when the contact is offline and the policy requires
 * encryption, the message is withheld from the wire, the contact's options
 * are fetched and checked against the key we hold for them (esess-store),
 * and the message goes out sealed, or the user is told it was NOT sent.
 * Never to Gajim (INTEROP R20): only contacts whose key we hold, which
 * only peers of this plugin give.
 */
#include "config.h"

#include <string.h>
#include <time.h>

#include <glib/gstdio.h>

#include "esess-i18n.h"
#include "esess-purple.h"

#define NODE_0187 "http://www.xmpp.org/extensions/xep-0187.html#ns"
#define NS_XDATA "jabber:x:data"
#define NS_CLIENT "jabber:client"
#define NS_DELAY "urn:xmpp:delay"
#define NS_HINTS "urn:xmpp:hints"

/* the longest lifetime the hidden pref may ask for: the secrets of a
 * set must not wait on the disk for weeks */
#define OFFLINE_LIFETIME_MAX (30 * 24 * 3600)
#define OFFLINE_REFRESH (24 * 3600)
/* seconds after sign-on (or a replacement) during which an older set
 * still opens the messages stored for it */
#define OFFLINE_GRACE 120
/* sets kept at once: the published one and those in their grace time */
#define OFFLINE_MAX_SETS 3

typedef struct {
	EsessOfflineSecrets *s;
	gint64 destroy_at;        /* 0: the published set */
} LiveSet;

typedef struct {
	PurpleAccount *account;
	GPtrArray *sets;          /* LiveSet *, newest first */
	gboolean loaded;          /* the file of the last set was read */
	guint refresh_id;
	guint sweep_id;
	guint republish_id;
} OfflineAccount;

typedef struct {
	PurpleAccount *account;
	char *bare;
	char *payload;            /* the children to encrypt (wiped) */
	size_t payload_len;
	char *body;               /* what the user typed (wiped), for the notice */
	gint64 created;
} PendingSend;

static GHashTable *accounts; /* PurpleAccount * -> OfflineAccount * */

static void
live_free(gpointer p)
{
	LiveSet *l = p;

	esess_offline_secrets_free(l->s);
	g_free(l);
}

static void
account_free(gpointer p)
{
	OfflineAccount *a = p;

	if (a->refresh_id != 0)
		purple_timeout_remove(a->refresh_id);
	if (a->sweep_id != 0)
		purple_timeout_remove(a->sweep_id);
	if (a->republish_id != 0)
		purple_timeout_remove(a->republish_id);
	g_ptr_array_unref(a->sets);
	g_free(a);
}

void
esess_offline_init(void)
{
	accounts = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, account_free);
}

void
esess_offline_shutdown(void)
{
	if (accounts != NULL)
		g_hash_table_destroy(accounts);
	accounts = NULL;
}

void
esess_offline_forget(PurpleAccount *account)
{
	if (accounts != NULL)
		g_hash_table_remove(accounts, account);
}

static char *
own_bare(PurpleAccount *account)
{
	return esess_bare_jid(purple_account_get_username(account));
}

/* The secrets file of the account's published set, under the purple user
 * directory (0600, esess_offline_secrets_save). */
static char *
secrets_path(PurpleAccount *account)
{
	char *bare = own_bare(account);
	char *sum = g_compute_checksum_for_string(G_CHECKSUM_SHA256, bare, -1);
	char *name = g_strdup_printf("offline-%.32s", sum);
	char *dir = g_build_filename(purple_user_dir(), "esessions", NULL);
	char *path = g_build_filename(dir, name, NULL);

	/* the folder of the identity key and the store (0700) */
	if (g_mkdir_with_parents(dir, 0700) != 0)
		purple_debug_warning(ESESS_DEBUG, "offline: no folder for the secrets\n");
	g_free(dir);
	g_free(name);
	g_free(sum);
	g_free(bare);
	return path;
}

static gint64
now_s(void)
{
	return g_get_real_time() / G_USEC_PER_SEC;
}

static OfflineAccount *
account_get(PurpleAccount *account)
{
	OfflineAccount *a = g_hash_table_lookup(accounts, account);

	if (a == NULL) {
		a = g_new0(OfflineAccount, 1);
		a->account = account;
		a->sets = g_ptr_array_new_with_free_func(live_free);
		g_hash_table_insert(accounts, account, a);
	}
	return a;
}

/* Destroys the sets whose time is over (XEP-0187: expired or replaced). */
static void
sweep(OfflineAccount *a)
{
	gint64 now = now_s();
	guint i = 0;

	while (i < a->sets->len) {
		LiveSet *l = g_ptr_array_index(a->sets, i);

		/* XEP-0187: past the expiry, messages for a set are
		 * discarded undecrypted; its secrets go now */
		if (esess_offline_secrets_expires(l->s) <= now) {
			purple_debug_info(ESESS_DEBUG, "offline: an expired set destroyed\n");
			g_ptr_array_remove_index(a->sets, i);
		} else if ((l->destroy_at != 0 && l->destroy_at <= now) || i >= OFFLINE_MAX_SETS)
			g_ptr_array_remove_index(a->sets, i);
		else
			i++;
	}
}

static gboolean
sweep_cb(gpointer data)
{
	OfflineAccount *a = data;

	a->sweep_id = 0;
	sweep(a);
	return FALSE;
}

static void
add_set(OfflineAccount *a, EsessOfflineSecrets *s, gint64 destroy_at)
{
	LiveSet *l = g_new0(LiveSet, 1);

	l->s = s;
	l->destroy_at = destroy_at;
	g_ptr_array_insert(a->sets, 0, l);
	if (destroy_at != 0 && a->sweep_id == 0)
		a->sweep_id = purple_timeout_add_seconds(OFFLINE_GRACE + 1, sweep_cb, a);
}

/* The file of the set published before we went offline: read once, then
 * gone from the disk; its secrets open what was stored meanwhile. */
static void
load_file(OfflineAccount *a, const char *path)
{
	EsessOfflineSecrets *s = NULL;
	EsessStatus r;

	r = esess_offline_secrets_load(path, &s);
	if (r == ESESS_OK) {
		add_set(a, s, now_s() + OFFLINE_GRACE);
		if (esess_offline_secrets_destroy_file(path) != ESESS_OK)
			purple_debug_warning(ESESS_DEBUG, "offline: the old secrets file stays\n");
	} else if (r != ESESS_ERR_STORE_IO) {
		purple_debug_warning(ESESS_DEBUG, "offline: secrets file unreadable (%s)\n",
				     esess_status_symbol(r));
		if (esess_offline_secrets_destroy_file(path) != ESESS_OK)
			purple_debug_warning(ESESS_DEBUG, "offline: the bad file stays\n");
	}
}

/* The files of the last two sets: the newest may not have reached the
 * server (a sign-off's publication races the stream's end), so the one
 * before it is kept too. */
static void
load_once(OfflineAccount *a)
{
	char *path, *prev;

	if (a->loaded)
		return;
	a->loaded = TRUE;
	path = secrets_path(a->account);
	prev = g_strconcat(path, ".prev", NULL);
	load_file(a, prev);
	load_file(a, path);
	g_free(prev);
	g_free(path);
}

/* The current file becomes the previous one (the older previous one is
 * overwritten and unlinked first). */
static void
rotate(const char *path)
{
	char *prev = g_strconcat(path, ".prev", NULL);

	if (esess_offline_secrets_destroy_file(prev) != ESESS_OK)
		purple_debug_warning(ESESS_DEBUG, "offline: an old secrets file stays\n");
	if (g_file_test(path, G_FILE_TEST_EXISTS) && g_rename(path, prev) != 0)
		purple_debug_warning(ESESS_DEBUG, "offline: secrets file not rotated\n");
	g_free(prev);
}

/* The lifetime of a new set (ESESS_PREFS_OFFLINE_LIFETIME), kept within
 * one second and OFFLINE_LIFETIME_MAX. */
static gint64
lifetime(void)
{
	int t = purple_prefs_get_int(ESESS_PREFS_OFFLINE_LIFETIME);

	return CLAMP(t, 1, OFFLINE_LIFETIME_MAX);
}

/* Publishes a fresh set (new N_A and DH values, XEP-0187 §Security); the
 * one it replaces keeps OFFLINE_GRACE seconds for messages already sent
 * against it. */
static void
publish(OfflineAccount *a)
{
	EsessOfflineConfig cfg;
	EsessOfflineSecrets *s = NULL;
	EsessIdKey *key;
	char *form = NULL, *path;
	gsize n = 0;
	guint i;
	EsessStatus r;

	if (!purple_account_is_connected(a->account))
		return;
	/* a locked or missing key: the next refresh tries again */
	key = esess_identity_private(a->account);
	if (key == NULL) {
		purple_debug_info(ESESS_DEBUG, "offline: no identity key, no options\n");
		return;
	}
	memset(&cfg, 0, sizeof cfg);
	cfg.key = key;
	cfg.groups = esess_policy_groups(a->account, &n);
	cfg.n_groups = n;
	cfg.min_modp_bits = esess_policy_min_modp_bits(a->account);
	cfg.logging = esess_policy_logging(a->account);
	cfg.expires = now_s() + lifetime();
	r = esess_offline_options_new_text(&cfg, &form, &s);
	if (r != ESESS_OK) {
		purple_debug_warning(ESESS_DEBUG, "offline: options not made (%s)\n",
				     esess_status_symbol(r));
		return;
	}
	/* the secrets reach the disk before anyone can use the options */
	path = secrets_path(a->account);
	rotate(path);
	r = esess_offline_secrets_save(s, path);
	g_free(path);
	if (r != ESESS_OK) {
		purple_debug_warning(ESESS_DEBUG, "offline: secrets not saved, nothing published\n");
		esess_offline_secrets_free(s);
		g_free(form);
		return;
	}
	for (i = 0; i < a->sets->len; i++) {
		LiveSet *l = g_ptr_array_index(a->sets, i);

		if (l->destroy_at == 0)
			l->destroy_at = now_s() + OFFLINE_GRACE;
	}
	add_set(a, s, 0);
	if (a->sweep_id == 0 && a->sets->len > 1)
		a->sweep_id = purple_timeout_add_seconds(OFFLINE_GRACE + 1, sweep_cb, a);
	sweep(a);
	purple_debug_info(ESESS_DEBUG, "offline: options sent for publication\n");
	esess_pep_publish_node(a->account, NODE_0187, form, NULL, NULL);
	g_free(form);
}

static gboolean
refresh_cb(gpointer data)
{
	OfflineAccount *a = data;

	publish(a);
	return TRUE;
}

static gboolean
republish_cb(gpointer data)
{
	OfflineAccount *a = data;

	a->republish_id = 0;
	publish(a);
	return FALSE;
}

void
esess_offline_signed_on(PurpleAccount *account)
{
	OfflineAccount *a = account_get(account);

	load_once(a);
	publish(a);
	if (a->refresh_id == 0)
		a->refresh_id = purple_timeout_add_seconds(OFFLINE_REFRESH, refresh_cb, a);
}

void
esess_offline_signing_off(PurpleAccount *account)
{
	OfflineAccount *a = g_hash_table_lookup(accounts, account);

	if (a == NULL)
		return;
	/* fresh options for the time we are away (XEP-0187 §Security:
	 * new N_A and x whenever we go offline); the connection still
	 * carries this last stanza */
	publish(a);
	g_hash_table_remove(accounts, account);
}

/* ---- the recipient: a stored offline message ------------------------ */

static EsessPubKey *
trusted_key(PurpleAccount *account, const char *bare)
{
	EsessKnownKey *k;
	EsessPubKey *pk = NULL;
	char *own;

	if (esess_ctx->store == NULL)
		return NULL;
	own = own_bare(account);
	k = esess_store_key_get(esess_ctx->store, own, bare);
	g_free(own);
	if (k != NULL && k->key != NULL)
		pk = esess_pubkey_copy(k->key);
	esess_known_key_free(k);
	return pk;
}

/* The stanza becomes the decrypted message, dated by its Created header
 * (XEP-0187 §Exchanging: trusted over the server's delay stamp). */
static gboolean
rebuild(xmlnode **packet, const char *payload, gint64 created)
{
	const char *from = xmlnode_get_attrib(*packet, "from");
	const char *to = xmlnode_get_attrib(*packet, "to");
	char *wrapped = g_strdup_printf("<message xmlns='" NS_CLIENT "'>%s</message>", payload);
	xmlnode *node = xmlnode_from_str(wrapped, -1), *child, *delay;

	esess_wipe(wrapped, strlen(wrapped));
	g_free(wrapped);
	if (node == NULL)
		return FALSE;
	xmlnode_set_attrib(node, "type", "chat");
	if (from != NULL)
		xmlnode_set_attrib(node, "from", from);
	if (to != NULL)
		xmlnode_set_attrib(node, "to", to);
	for (child = node->child; child != NULL; child = child->next)
		if (child->type == XMLNODE_TYPE_TAG && strcmp(child->name, "body") == 0 &&
		    xmlnode_get_namespace(child) == NULL)
			xmlnode_set_namespace(child, NS_CLIENT);
	if (created > 0) {
		GDateTime *dt = g_date_time_new_from_unix_utc(created);
		char *stamp = g_date_time_format(dt, "%Y-%m-%dT%H:%M:%SZ");

		delay = xmlnode_new_child(node, "delay");
		xmlnode_set_namespace(delay, NS_DELAY);
		xmlnode_set_attrib(delay, "stamp", stamp);
		g_free(stamp);
		g_date_time_unref(dt);
	}
	xmlnode_free(*packet);
	*packet = node;
	return TRUE;
}

gboolean
esess_offline_receive(PurpleAccount *account, xmlnode **packet)
{
	OfflineAccount *a;
	EsessPubKey *pk, *signer = NULL;
	char *text, *bare, *payload = NULL, *note, *own;
	const char *when;
	const char *from = xmlnode_get_attrib(*packet, "from");
	gint64 created = 0;
	int len = 0;
	guint i;
	EsessStatus r = ESESS_ERR_SESSION_ENDED;

	if (xmlnode_get_child_with_namespace(*packet, "init", ESESS_NS_XEP0116 "-init") == NULL)
		return FALSE;
	text = xmlnode_to_str(*packet, &len);
	if (!esess_offline_is_offline_stanza(text, (size_t)len)) {
		g_free(text);
		return FALSE;
	}
	bare = from != NULL ? esess_bare_jid(from) : NULL;
	pk = bare != NULL ? trusted_key(account, bare) : NULL;
	a = account_get(account);
	load_once(a);
	sweep(a);
	/* the set whose N_A the message names; no answer on any failure
	 * (XEP-0187 §Accepting) */
	for (i = 0; i < a->sets->len; i++) {
		LiveSet *l = g_ptr_array_index(a->sets, i);

		/* with no key held for the sender, the key the message proves
		 * is the first one seen, as in an online session (R21) */
		r = esess_offline_open_text(l->s, pk, now_s(), text, (size_t)len, &payload,
					    &created, pk == NULL && bare != NULL ? &signer : NULL);
		if (r != ESESS_ERR_NONCE)
			break;
	}
	esess_wipe(text, (size_t)len);
	g_free(text);
	if (r == ESESS_OK && pk == NULL && signer != NULL && esess_ctx->store != NULL) {
		own = own_bare(account);
		if (esess_store_key_set(esess_ctx->store, own, bare, signer, FALSE) != ESESS_OK)
			purple_debug_error(ESESS_DEBUG, "could not keep a contact's key\n");
		g_free(own);
	}
	esess_pubkey_free(signer);
	esess_pubkey_free(pk);
	if (r != ESESS_OK) {
		purple_debug_info(ESESS_DEBUG, "offline: message refused (%s)\n",
				  esess_status_symbol(r));
		xmlnode_free(*packet);
		*packet = NULL;
		/* SECURITY 69: the user learns a message was dropped */
		if (bare != NULL)
			esess_ui_discarded(account, bare);
		g_free(bare);
		return TRUE;
	}
	when = purple_date_format_long(localtime(&(time_t){ (time_t)created }));
	note = g_strdup_printf(_("The next message was written at %s, while you were "
				 "offline. It reached you encrypted, readable only by you."),
			       when);
	esess_ui_system(account, bare, note);
	g_free(note);
	if (!rebuild(packet, payload, created)) {
		xmlnode_free(*packet);
		*packet = NULL;
		esess_ui_discarded(account, bare);
	}
	esess_wipe(payload, strlen(payload));
	g_free(payload);
	g_free(bare);
	/* XEP-0187: fresh options after each use, once the burst is over */
	if (a->republish_id == 0)
		a->republish_id = purple_timeout_add_seconds(10, republish_cb, a);
	return TRUE;
}

/* ---- the sender: a message to a contact who is offline -------------- */

gboolean
esess_offline_contact_away(PurpleAccount *account, const char *jid)
{
	char *bare = esess_bare_jid(jid);
	PurpleBuddy *b = purple_find_buddy(account, bare);
	gboolean away = b == NULL || !PURPLE_BUDDY_IS_ONLINE(b);

	g_free(bare);
	return away;
}

static void
pending_free(PendingSend *p)
{
	if (p->payload != NULL)
		esess_wipe(p->payload, p->payload_len);
	g_free(p->payload);
	if (p->body != NULL)
		esess_wipe(p->body, strlen(p->body));
	g_free(p->body);
	g_free(p->bare);
	g_free(p);
}

static void
not_sent(PendingSend *p, EsessStatus why)
{
	char *text;

	purple_debug_info(ESESS_DEBUG, "offline: not sent (%s)\n", esess_status_symbol(why));
	text = g_strdup_printf(_("%s is offline, and this message could not be encrypted "
				 "for them: they have published no usable keys for offline "
				 "messages, or their key is not one you hold. It was NOT sent, "
				 "not even unencrypted. Send it again when they are online."),
			       p->bare);
	esess_ui_error(p->account, p->bare, text);
	g_free(text);
	esess_ui_unsent(p->account, p->bare, p->body);
}

static void
options_cb(PurpleAccount *account, const char *bare, const char *form, gpointer data)
{
	PendingSend *p = data;
	EsessOfflineOffer offer;
	EsessPubKey *pk = NULL;
	EsessIdKey *key;
	char *children = NULL, *stanza, *to, *thread, *esc, *text;
	EsessStatus r;

	(void)bare;
	memset(&offer, 0, sizeof offer);
	if (esess_ctx == NULL || !purple_account_is_connected(account)) {
		pending_free(p);
		return;
	}
	r = ESESS_ERR_NOT_ACCEPTABLE;
	if (form == NULL)
		goto fail;
	pk = trusted_key(account, p->bare);
	r = esess_offline_options_check_text(form, strlen(form), pk, now_s(),
					     esess_policy_min_modp_bits(account),
					     esess_policy_logging(account), &offer);
	if (r != ESESS_OK)
		goto fail;
	key = esess_identity_private(account);
	if (key == NULL) {
		r = ESESS_ERR_KEY_PASSPHRASE;
		goto fail;
	}
	r = esess_offline_seal_text(&offer, key, p->payload, p->payload_len, p->created,
				    &children);
	if (r != ESESS_OK)
		goto fail;
	/* XEP-0187: addressed to match_resource when given */
	to = offer.match_resource != NULL ? g_strdup_printf("%s/%s", p->bare,
							     offer.match_resource)
					  : g_strdup(p->bare);
	thread = g_uuid_string_random();
	esc = g_markup_escape_text(to, -1);
	text = g_markup_escape_text(esess_ui_placeholder(), -1);
	stanza = g_strdup_printf("<message xmlns='" NS_CLIENT "' to='%s' type='chat'>"
				 "<body>%s</body><thread>%s</thread>%s"
				 "<store xmlns='" NS_HINTS "'/></message>",
				 esc, text, thread, children);
	esess_peers_send_text(account, stanza);
	g_free(stanza);
	g_free(text);
	g_free(esc);
	g_free(thread);
	g_free(to);
	g_free(children);
	text = g_strdup_printf(_("%s is offline: this message was encrypted for them and "
				 "will be delivered privately when they return."),
			       p->bare);
	esess_ui_system(account, p->bare, text);
	g_free(text);
	esess_offline_offer_clear(&offer);
	esess_pubkey_free(pk);
	pending_free(p);
	return;
fail:
	esess_offline_offer_clear(&offer);
	esess_pubkey_free(pk);
	not_sent(p, r);
	pending_free(p);
}

void
esess_offline_send(PurpleAccount *account, const char *to, char *payload, size_t len,
		   const char *body)
{
	PendingSend *p = g_new0(PendingSend, 1);

	p->account = account;
	p->bare = esess_bare_jid(to);
	p->payload = payload;
	p->payload_len = len;
	p->body = g_strdup(body != NULL ? body : "");
	p->created = now_s();
	esess_pep_fetch_node(account, p->bare, NODE_0187, "x", NS_XDATA, options_cb, p);
}
