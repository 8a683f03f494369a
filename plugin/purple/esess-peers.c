/*
 * esess-peers.c - the table of ESessions: one entry per (account, peer bare
 * JID), i.e. per conversation, holding the engine's EsessChat (which knows
 * the peer's full JID and the thread).  It applies engine steps (sends their
 * stanzas, shows their event, arms the negotiation timeout) and owns every
 * cleanup path: user's end, conversation closed, peer offline, sign-off,
 * account removed, plugin unload (SECURITY 62: timers and dialogs are
 * cancelled before an entry is freed, so no callback sees a freed session).
 */
#include "config.h"

#include <string.h>

#include "esess-i18n.h"
#include "esess-purple.h"

static GHashTable *peers;    /* key (account, bare) -> EsessPeer * (owned) */
/* key (account, thread) -> EsessPeer * (not owned): the lookup of every
 * incoming session stanza, O(1) whatever the number of sessions (issue 11
 * item 1).  An entry is added when a chat is applied its first step
 * (esess_peers_apply follows every peer->chat = chat), dropped when the chat
 * or the peer is freed, and checked against the peer on each lookup. */
static GHashTable *threads;

/* the engine's normalisation, so that the peers table, the store and the
 * engine's own checks agree on what is the same JID (issue 9 item 10) */
char *
esess_bare_jid(const char *jid)
{
	return esess_jid_bare(jid);
}

char *
esess_peers_key(PurpleAccount *account, const char *jid)
{
	char *bare = esess_bare_jid(jid);
	char *key = g_strdup_printf("%p\n%s", (void *)account, bare ? bare : "");

	g_free(bare);
	return key;
}

/* A late stanza of a freed session (the acknowledgement of our terminate)
 * must not look like SECURITY 50's unknown session to the user. */
static void
remember_thread(EsessChat *chat)
{
	const char *thread = esess_chat_thread(chat);

	if (thread == NULL)
		return;
	if (g_hash_table_size(esess_ctx->ended) > 256)
		g_hash_table_remove_all(esess_ctx->ended);
	g_hash_table_add(esess_ctx->ended, g_strdup(thread));
}

static char *
thread_key(PurpleAccount *account, const char *thread)
{
	/* the account's address in hex, a newline, the thread: made twice
	 * for every encrypted stanza, so without printf (issue 11 item 2) */
	static const char hex[] = "0123456789abcdef";
	guintptr v = (guintptr)account;
	size_t tlen = strlen(thread);
	char *key = g_malloc(2 * sizeof(v) + 1 + tlen + 1), *p = key;
	int i;

	for (i = (int)(2 * sizeof(v)) - 1; i >= 0; i--)
		*p++ = hex[(v >> (4 * i)) & 0xf];
	*p++ = '\n';
	memcpy(p, thread, tlen + 1);
	return key;
}

static gboolean
peer_holds_thread(const EsessPeer *peer, PurpleAccount *account, const char *thread)
{
	return peer->account == account && peer->chat != NULL &&
	       g_strcmp0(esess_chat_thread(peer->chat), thread) == 0;
}

static void
thread_index(EsessPeer *peer)
{
	const char *thread;
	EsessPeer *had;
	char *key;

	if (threads == NULL || peer->chat == NULL)
		return;
	thread = esess_chat_thread(peer->chat);
	if (thread == NULL)
		return;
	key = thread_key(peer->account, thread);
	had = g_hash_table_lookup(threads, key);
	/* a thread already held by another live session keeps its entry: a
	 * request that mirrors someone else's thread must not take over that
	 * session's stanzas */
	if (had == NULL || (had != peer && !peer_holds_thread(had, peer->account, thread)))
		g_hash_table_insert(threads, key, peer);
	else
		esess_str_free_wiped(key);
}

static void
thread_unindex(EsessPeer *peer)
{
	const char *thread;
	char *key;

	if (threads == NULL || peer->chat == NULL)
		return;
	thread = esess_chat_thread(peer->chat);
	if (thread == NULL)
		return;
	key = thread_key(peer->account, thread);
	if (g_hash_table_lookup(threads, key) == peer)
		g_hash_table_remove(threads, key);
	esess_str_free_wiped(key);
}

static gboolean
thread_entry_is(gpointer key, gpointer value, gpointer peer)
{
	(void)key;
	return value == peer;
}

void
esess_peers_free_chat(EsessPeer *peer)
{
	if (peer->chat == NULL)
		return;
	thread_unindex(peer);
	remember_thread(peer->chat);
	esess_chat_free(peer->chat);
	peer->chat = NULL;
}

static void
peer_free(EsessPeer *peer)
{
	/* SECURITY 62: nothing may call back into this entry once freed */
	if (peer->timeout_id != 0)
		purple_timeout_remove(peer->timeout_id);
	purple_request_close_with_handle(peer);
	purple_notify_close_with_handle(peer);
	esess_peers_free_chat(peer);
	/* an entry whose chat was freed by another path must not outlive the
	 * peer (once per session end, not per message) */
	if (threads != NULL)
		g_hash_table_foreach_remove(threads, thread_entry_is, peer);
	/* whom the user talked to: wiped, not only freed (the title names
	 * the contact too) */
	esess_str_free_wiped(peer->bare);
	esess_str_free_wiped(peer->saved_title);
	g_free(peer);
}

void
esess_peers_init(void)
{
	/* keys: "account\npeer" and "account\nthread" */
	peers = g_hash_table_new_full(g_str_hash, g_str_equal, esess_str_free_wiped, NULL);
	threads = g_hash_table_new_full(g_str_hash, g_str_equal, esess_str_free_wiped, NULL);
}

void
esess_peers_shutdown(void)
{
	esess_peers_remove_account(NULL, TRUE, ESESS_ERR_SESSION_ENDED);
	g_hash_table_destroy(peers);
	peers = NULL;
	g_hash_table_destroy(threads);
	threads = NULL;
}

EsessPeer *
esess_peers_find(PurpleAccount *account, const char *jid)
{
	char *key;
	EsessPeer *peer;

	if (peers == NULL || jid == NULL)
		return NULL;
	key = esess_peers_key(account, jid);
	peer = g_hash_table_lookup(peers, key);
	esess_str_free_wiped(key);
	return peer;
}

EsessPeer *
esess_peers_find_thread(PurpleAccount *account, const char *thread)
{
	EsessPeer *peer;
	char *key;

	if (threads == NULL || thread == NULL)
		return NULL;
	key = thread_key(account, thread);
	peer = g_hash_table_lookup(threads, key);
	esess_str_free_wiped(key);
	/* the chat's and its session's lines come in together, before the
	 * thread is compared and while the caller goes on (issue 11 item 1) */
	if (peer != NULL)
		esess_chat_prefetch(peer->chat, FALSE);
	return peer != NULL && peer_holds_thread(peer, account, thread) ? peer : NULL;
}

EsessPeer *
esess_peers_get(PurpleAccount *account, const char *jid)
{
	EsessPeer *peer = esess_peers_find(account, jid);

	if (peer == NULL) {
		peer = g_new0(EsessPeer, 1);
		peer->account = account;
		peer->bare = esess_bare_jid(jid);
		peer->ui_state = ESESS_UI_NOT_PRIVATE;
		g_hash_table_insert(peers, esess_peers_key(account, jid), peer);
	}
	return peer;
}

EsessPeer *
esess_peers_for_conv(PurpleConversation *conv)
{
	if (conv == NULL || purple_conversation_get_type(conv) != PURPLE_CONV_TYPE_IM)
		return NULL;
	return esess_peers_find(purple_conversation_get_account(conv),
				purple_conversation_get_name(conv));
}

void
esess_peers_set_state(EsessPeer *peer, EsessUiState st)
{
	peer->ui_state = st;
	/* only an open conversation: a state change opens no window */
	esess_plugin_emit_state(purple_find_conversation_with_account(PURPLE_CONV_TYPE_IM,
								      peer->bare, peer->account),
				st);
}

/* ---- sending our own stanzas -------------------------------------- */

void
esess_peers_send_text(PurpleAccount *account, const char *stanza)
{
	PurpleConnection *gc = purple_account_get_connection(account);
	xmlnode *node;

	if (gc == NULL || stanza == NULL)
		return;
	node = xmlnode_from_str(stanza, -1);
	if (node == NULL) {
		purple_debug_error(ESESS_DEBUG, "engine produced a stanza libpurple cannot parse\n");
		return;
	}
	/* doc/hacking.md pitfall 4: emitting the signal is how a stanza is sent; it
	 * passes through our own hook, which lets it go */
	esess_ctx->sending_own = TRUE;
	purple_signal_emit(purple_connection_get_prpl(gc), "jabber-sending-xmlnode", gc, &node);
	esess_ctx->sending_own = FALSE;
	if (node != NULL)
		xmlnode_free(node);
}

/* ---- configuration for the engine --------------------------------- */

gboolean
esess_peers_has_plugin(PurpleAccount *account, const char *peer_jid)
{
	char *own, *bare;
	gboolean has = esess_hooks_peer_has(account, peer_jid, ESESS_NS_PURPLE);

	/* issue 10 item 5: right after a reconnect or a reload the contact's
	 * features are not known yet; a contact that completed a session with
	 * the committed SAS (INTEROP R23) runs this plugin, remembered in the
	 * store, so the request offers what it expects */
	if (!has && esess_ctx->store != NULL) {
		own = esess_bare_jid(purple_account_get_username(account));
		bare = esess_bare_jid(peer_jid);
		has = (esess_store_peer_flags(esess_ctx->store, own, bare) &
		       ESESS_PEER_COMMITTED_SAS) != 0;
		g_free(bare);
		g_free(own);
	}
	return has;
}

void
esess_peers_fill_config(EsessPeer *peer, EsessChatConfig *cfg, const char *peer_jid)
{
	PurpleAccount *account = peer->account;
	const char *own = purple_account_get_username(account);
	char *key;
	gsize n = 0;

	memset(cfg, 0, sizeof(*cfg));
	cfg->account = esess_bare_jid(own);
	cfg->own_jid = g_strdup(own);
	cfg->peer_jid = g_strdup(peer_jid);
	cfg->store = esess_ctx->store;
	cfg->pool = esess_ctx->pool;
	cfg->limiter = esess_ctx->limiter; /* SECURITY 58 */
	cfg->min_modp_bits = esess_policy_min_modp_bits(account);
	cfg->modp_offer = esess_policy_groups(account, &n);
	cfg->n_modp_offer = n;
	cfg->logging = esess_policy_logging(account);
	cfg->peer_has_plugin = esess_peers_has_plugin(account, peer_jid);
	key = g_strdup_printf("%p\n%s", (void *)account, peer_jid);
	cfg->peer_caps_node = g_strdup(g_hash_table_lookup(esess_ctx->caps, key));
	esess_str_free_wiped(key);
	cfg->placeholder = esess_ui_placeholder();
	/* INTEROP R21, issue 12: public keys only between peers of this
	 * plugin (never Gajim, R20).  The key is made the first time such a
	 * session is set up; this one goes on without it meanwhile.  A
	 * protected key is unlocked once per start: the sessions the user
	 * starts (esess_peers_start_user) and those the contact asks for
	 * (esess-hooks.c, hold_for_key) wait for the passphrase before they
	 * get here; any other one asks it and goes on.  The chat takes its
	 * own reference. */
	if (cfg->peer_has_plugin && esess_identity_need(account)) {
		cfg->idkey = esess_identity_private(account);
		if (cfg->idkey == NULL)
			esess_identity_unlock(account, NULL, NULL);
	}
}

void
esess_peers_config_clear(EsessChatConfig *cfg)
{
	g_free((char *)cfg->account);
	g_free((char *)cfg->own_jid);
	g_free((char *)cfg->peer_jid);
	g_free((char *)cfg->peer_caps_node);
	memset(cfg, 0, sizeof(*cfg));
}

/* ---- timeouts and the key pool ------------------------------------ */

static gboolean
negotiation_timeout_cb(gpointer data)
{
	EsessPeer *peer = data;
	EsessStep step;

	peer->timeout_id = 0;
	if (peer->chat == NULL || esess_chat_state(peer->chat) != ESESS_CHAT_NEGOTIATING)
		return FALSE;
	esess_step_init(&step);
	esess_chat_abort(peer->chat, ESESS_ERR_TIMEOUT, &step);
	esess_peers_apply(peer, &step);
	esess_step_clear(&step);
	return FALSE;
}

static gboolean
pool_idle_cb(gpointer data)
{
	gsize n = 0;
	const guint *groups;
	GList *accounts;

	(void)data;
	if (esess_ctx == NULL || esess_ctx->pool == NULL)
		return FALSE;
	accounts = purple_accounts_get_all();
	/* the pool serves every account: fill for the default minimum */
	groups = esess_policy_groups(accounts ? accounts->data : NULL, &n);
	if (esess_keypool_fill_one(esess_ctx->pool, groups, n))
		return TRUE;
	esess_ctx->pool_idle = 0;
	return FALSE;
}

void
esess_peers_pool_kick(void)
{
	if (esess_ctx->pool != NULL && esess_ctx->pool_idle == 0)
		esess_ctx->pool_idle = g_idle_add_full(G_PRIORITY_LOW, pool_idle_cb, NULL, NULL);
}

/* ---- applying engine steps ---------------------------------------- */

void
esess_peers_apply(EsessPeer *peer, EsessStep *step)
{
	guint i;

	/* every new chat reaches here first (peer->chat = chat; apply) */
	thread_index(peer);
	for (i = 0; step->send != NULL && i < step->send->len; i++)
		esess_peers_send_text(peer->account, g_ptr_array_index(step->send, i));

	/* the rule (esess-policy.c): remembered across reloads.  Before the
	 * switch, so that no case falls through (clang's -Wimplicit-fallthrough
	 * takes no comment, and G_GNUC_FALLTHROUGH needs GLib 2.60) */
	if (step->event == ESESS_EV_ESTABLISHED)
		esess_policy_pin(peer->account, peer->bare, TRUE);
	switch (step->event) {
	case ESESS_EV_NEGOTIATING:
		if (peer->timeout_id == 0)
			peer->timeout_id = purple_timeout_add_seconds(ESESS_NEGOTIATION_TIMEOUT,
								      negotiation_timeout_cb, peer);
		break;
	case ESESS_EV_ESTABLISHED:
	case ESESS_EV_ENDED:
	case ESESS_EV_FAILED:
	case ESESS_EV_REJECTED:
		if (peer->timeout_id != 0) {
			purple_timeout_remove(peer->timeout_id);
			peer->timeout_id = 0;
		}
		esess_peers_pool_kick();
		break;
	case ESESS_EV_NONE:
	case ESESS_EV_MESSAGE:
	case ESESS_EV_QUEUED:
	case ESESS_EV_PLAINTEXT:
		break;
	}

	/* issue 8 item 4: every refused or failed negotiation, and every
	 * session ended by a failure, says why in the debug log: the engine's
	 * status and the form field concerned (our own names, no secret) */
	if (step->event == ESESS_EV_FAILED || step->event == ESESS_EV_REJECTED ||
	    (step->event == ESESS_EV_ENDED && step->status != ESESS_OK)) {
		char *why = esess_status_describe(step->status, step->field);

		purple_debug_warning(ESESS_DEBUG, "%s with %s: %s\n",
				     step->event == ESESS_EV_ENDED ? "session ended" :
				     "negotiation failed", peer->bare, why);
		g_free(why);
	}
	/* the contact's key is told before the SAS dialog, which it explains */
	if (step->event == ESESS_EV_ESTABLISHED)
		esess_ui_peer_key(peer);
	esess_ui_event(peer, step);

	for (i = 0; step->unsent != NULL && i < step->unsent->len; i++)
		esess_ui_unsent(peer->account, peer->bare, g_ptr_array_index(step->unsent, i));

	switch (step->event) {
	case ESESS_EV_FAILED:
	case ESESS_EV_REJECTED:
		/* a failed negotiation leaves no half-state (SECURITY 57); the
		 * entry remembers that no session is possible for now */
		if (peer->chat != NULL && esess_chat_state(peer->chat) == ESESS_CHAT_ENDED) {
			esess_peers_free_chat(peer);
		}
		peer->failed = TRUE;
		break;
	case ESESS_EV_NONE:
	case ESESS_EV_NEGOTIATING:
	case ESESS_EV_ESTABLISHED:
	case ESESS_EV_MESSAGE:
	case ESESS_EV_QUEUED:
	case ESESS_EV_PLAINTEXT:
	case ESESS_EV_ENDED:
		break;
	}
}

/* ---- starting and ending ------------------------------------------ */

/* The JID to send a request to: the conversation's full JID, else the
 * resource we last saw available, else the bare JID. */
char *
esess_peers_full_jid(PurpleAccount *account, const char *jid)
{
	char *key;
	const char *full;

	if (strchr(jid, '/') != NULL)
		return g_strdup(jid);
	key = esess_peers_key(account, jid);
	full = g_hash_table_lookup(esess_ctx->resources, key);
	esess_str_free_wiped(key);
	return g_strdup(full ? full : jid);
}

typedef struct {
	char *jid;
} DeferredStart;

static void
deferred_start_cb(PurpleAccount *account, gboolean ok, gpointer data)
{
	DeferredStart *d = data;

	EsessPeer *peer;

	/* with or without the key (a refusal is not asked again this run) */
	(void)ok;
	if (esess_ctx != NULL && !esess_ctx->quiet && purple_account_is_connected(account)) {
		/* several messages or commands waited for the same answer: the
		 * first one starts the session */
		peer = esess_peers_find(account, d->jid);
		if (peer == NULL || peer->chat == NULL ||
		    esess_chat_state(peer->chat) == ESESS_CHAT_ENDED)
			esess_peers_start(account, d->jid);
	}
	g_free(d->jid);
	g_free(d);
}

void
esess_peers_start_user(PurpleAccount *account, const char *jid)
{
	DeferredStart *d;

	/* issue 12: the passphrase is asked when the key is first needed;
	 * the session waits for the answer instead of going without it */
	if (purple_account_is_connected(account) && esess_identity_would_ask(account) &&
	    esess_peers_has_plugin(account, jid)) {
		d = g_new0(DeferredStart, 1);
		d->jid = g_strdup(jid);
		esess_identity_unlock(account, deferred_start_cb, d);
		return;
	}
	esess_peers_start(account, jid);
}

void
esess_peers_start(PurpleAccount *account, const char *jid)
{
	EsessPeer *peer;
	EsessChatConfig cfg;
	EsessStep step;
	EsessChat *chat = NULL;
	EsessStatus st;
	char *target;

	if (!purple_account_is_connected(account)) {
		esess_ui_error(account, jid, esess_ui_status_sentence(ESESS_ERR_SESSION_ENDED));
		return;
	}
	peer = esess_peers_get(account, jid);
	if (peer->chat != NULL) {
		switch (esess_chat_state(peer->chat)) {
		case ESESS_CHAT_NEGOTIATING:
		case ESESS_CHAT_ESTABLISHED:
			esess_ui_system(account, peer->bare,
					_("An encrypted session is already running or being set up."));
			return;
		case ESESS_CHAT_ENDED:
			esess_peers_free_chat(peer);
			break;
		}
	}
	peer->failed = FALSE;
	target = esess_peers_full_jid(account, jid);
	esess_peers_fill_config(peer, &cfg, target);
	esess_step_init(&step);
	st = esess_chat_start(&cfg, &chat, &step);
	esess_peers_config_clear(&cfg);
	g_free(target);
	if (st != ESESS_OK) {
		purple_debug_warning(ESESS_DEBUG, "start: %s\n", esess_status_symbol(st));
		esess_ui_error(account, peer->bare, esess_ui_status_sentence(st));
		esess_step_clear(&step);
		return;
	}
	peer->chat = chat;
	esess_peers_apply(peer, &step);
	esess_step_clear(&step);
}

void
esess_peers_end(PurpleAccount *account, const char *jid)
{
	EsessPeer *peer = esess_peers_find(account, jid);
	gboolean pinned = esess_policy_pinned(account, jid);

	/* the user's choice (the rule, esess-policy.c): from now on what they
	 * type may go out unencrypted */
	esess_policy_pin(account, jid, FALSE);
	if (peer == NULL || (peer->chat == NULL && !peer->failed)) {
		if (pinned)
			esess_ui_system(account, jid,
					_("Messages you type are now sent unencrypted."));
		else
			esess_ui_system(account, jid,
					_("There is no encrypted session to end."));
		if (peer != NULL)
			esess_peers_remove(peer, FALSE, ESESS_OK);
		return;
	}
	if (peer->chat == NULL || esess_chat_state(peer->chat) == ESESS_CHAT_ENDED)
		esess_ui_system(account, peer->bare,
				_("Messages you type are now sent unencrypted."));
	esess_peers_remove(peer, TRUE, ESESS_OK);
}

void
esess_peers_remove(EsessPeer *peer, gboolean send_terminate, EsessStatus reason)
{
	EsessStep step;
	char *key;

	if (peer->chat != NULL && esess_chat_state(peer->chat) != ESESS_CHAT_ENDED) {
		esess_step_init(&step);
		if (send_terminate && purple_account_is_connected(peer->account)) {
			EsessStatus st = esess_chat_terminate(peer->chat, &step);

			if (st != ESESS_OK)
				purple_debug_warning(ESESS_DEBUG, "terminate: %s\n",
						     esess_status_symbol(st));
		} else {
			esess_chat_abort(peer->chat, reason, &step);
		}
		esess_peers_apply(peer, &step);
		esess_step_clear(&step);
	}
	esess_ui_unmark_conv(peer);
	if (peer->ui_state != ESESS_UI_NOT_PRIVATE && !esess_ctx->quiet) {
		PurpleConversation *conv = purple_find_conversation_with_account(
			PURPLE_CONV_TYPE_IM, peer->bare, peer->account);

		peer->ui_state = ESESS_UI_NOT_PRIVATE;
		if (conv != NULL)
			esess_plugin_emit_state(conv, ESESS_UI_NOT_PRIVATE);
	}
	key = esess_peers_key(peer->account, peer->bare);
	g_hash_table_remove(peers, key);
	esess_str_free_wiped(key);
	peer_free(peer);
}

void
esess_peers_remove_account(PurpleAccount *account, gboolean send_terminate, EsessStatus reason)
{
	GHashTableIter it;
	gpointer v;
	GList *victims = NULL, *l;

	if (peers == NULL)
		return;
	g_hash_table_iter_init(&it, peers);
	while (g_hash_table_iter_next(&it, NULL, &v)) {
		EsessPeer *peer = v;

		if (account == NULL || peer->account == account)
			victims = g_list_prepend(victims, peer);
	}
	for (l = victims; l != NULL; l = l->next)
		esess_peers_remove(l->data, send_terminate, reason);
	g_list_free(victims);
}

void
esess_peers_peer_gone(PurpleAccount *account, const char *full_jid)
{
	EsessPeer *peer = esess_peers_find(account, full_jid);
	const char *bound;
	char *bare;
	gboolean gone;
	EsessStep step;

	if (peer == NULL || peer->chat == NULL ||
	    esess_chat_state(peer->chat) == ESESS_CHAT_ENDED)
		return;
	bound = esess_chat_peer(peer->chat);
	bare = esess_bare_jid(full_jid);
	/* bound to this resource, or still negotiating with the bare JID */
	gone = esess_jid_equal(bound, full_jid) ||
		(esess_chat_state(peer->chat) == ESESS_CHAT_NEGOTIATING &&
		 esess_jid_equal(bound, bare));
	g_free(bare);
	if (!gone)
		return;
	esess_ui_system(account, peer->bare,
			_("Your contact went offline, so the encrypted session ended."));
	/* the entry stays, ended: what the user types next is not sent in
	 * the clear until they say so (/esession end or start) */
	esess_step_init(&step);
	esess_chat_abort(peer->chat, ESESS_ERR_SESSION_ENDED, &step);
	esess_peers_apply(peer, &step);
	esess_step_clear(&step);
}

void
esess_peers_signoff(PurpleAccount *account, gboolean lost)
{
	GHashTableIter it;
	gpointer v;
	GList *list = NULL, *l;

	if (peers == NULL)
		return;
	g_hash_table_iter_init(&it, peers);
	while (g_hash_table_iter_next(&it, NULL, &v))
		if (((EsessPeer *)v)->account == account)
			list = g_list_prepend(list, v);
	for (l = list; l != NULL; l = l->next) {
		EsessPeer *peer = l->data;
		EsessStep step;
		EsessStatus st = ESESS_OK;

		if (peer->chat == NULL || esess_chat_state(peer->chat) == ESESS_CHAT_ENDED)
			continue;
		/* issue 10 item 4: the entry stays, ended, as when the peer
		 * goes offline; the session's end says what really happened
		 * (issue 10 item 8: the user did not end it) */
		peer->end_cause = lost ? ESESS_END_CONNECTION : ESESS_END_SIGNOFF;
		esess_step_init(&step);
		if (!lost && purple_account_is_connected(account))
			st = esess_chat_terminate(peer->chat, &step); /* R18 */
		else
			esess_chat_abort(peer->chat, ESESS_ERR_SESSION_ENDED, &step);
		if (st != ESESS_OK)
			purple_debug_warning(ESESS_DEBUG, "terminate: %s\n",
					     esess_status_symbol(st));
		esess_peers_apply(peer, &step);
		esess_step_clear(&step);
		peer->end_cause = ESESS_END_NONE;
		esess_ui_unmark_conv(peer);
	}
	g_list_free(list);
}
