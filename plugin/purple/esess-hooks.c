/*
 * esess-hooks.c - where stanzas enter and leave: the XMPP plugin's
 * jabber-receiving-xmlnode and jabber-sending-xmlnode signals.  An encrypted
 * message of an established session is taken apart and built on libpurple's
 * own tree (esess-cparts.c, issue 11 item 2); everything else is turned into
 * text (xmlnode_to_str) for the engine and back (xmlnode_from_str), and
 * *packet is replaced in place.  Only <message/> is
 * handled; <presence/> is read (caps node, availability) and never changed.
 * Nothing here logs a stanza (doc/hacking.md pitfall 5).
 */
#include "config.h"

#include <string.h>

#include "esess-cparts.h"
#include "esess-i18n.h"
#include "esess-purple.h"

#define NS_CAPS "http://jabber.org/protocol/caps"
#define NS_CARBONS "urn:xmpp:carbons:2"
#define NS_FORWARD "urn:xmpp:forward:0"
#define NS_CLIENT "jabber:client"
#define NS_DISCO_INFO "http://jabber.org/protocol/disco#info"
#define NS_XHTML_IM "http://jabber.org/protocol/xhtml-im"
#define NS_OOB "jabber:x:oob"

/* A request the user is asked about (policy "on request", or a request
 * that would replace a running session). */
typedef struct {
	PurpleAccount *account;
	EsessMsgInfo info;        /* owned (moved from the hook) */
	guint timeout_id;         /* the initiator gives up after this long */
	gboolean waiting_key;     /* accepted, held until our identity key is
				   * unlocked (no dialog of its own) */
} EsessPendingRequest;

static void do_decline(PurpleAccount *account, const EsessMsgInfo *info, const char *why);

static void
pending_free(EsessPendingRequest *req)
{
	esess_ctx->requests = g_list_remove(esess_ctx->requests, req);
	if (req->timeout_id != 0)
		purple_timeout_remove(req->timeout_id);
	esess_msg_info_clear(&req->info);
	g_free(req);
}

/* The request's dialog goes; its callbacks must not run after (Finch calls
 * a dialog's callback when it is closed, so the request leaves the list
 * first and the callbacks check it is still listed). */
static void
pending_close(EsessPendingRequest *req)
{
	esess_ctx->requests = g_list_remove(esess_ctx->requests, req);
	purple_request_close_with_handle(req);
	pending_free(req);
}

void
esess_hooks_pending_free_all(PurpleAccount *account, gboolean decline)
{
	GList *l, *next;

	for (l = esess_ctx->requests; l != NULL; l = next) {
		EsessPendingRequest *req = l->data;

		next = l->next;
		if (account == NULL || req->account == account) {
			/* issue 10 item 9: the initiator learns at once that no
			 * answer will come, instead of waiting for its timeout */
			if (decline && purple_account_is_connected(req->account)) {
				gboolean quiet = esess_ctx->quiet;

				esess_ctx->quiet = TRUE;
				do_decline(req->account, &req->info, NULL);
				esess_ctx->quiet = quiet;
			}
			pending_close(req);
		}
	}
}

/* Issue 10 item 9: a request whose initiator ended it (terminate, went
 * offline, or gave up after ESESS_NEGOTIATION_TIMEOUT) cannot be accepted
 * any more; its dialog closes.  thread NULL: every request of from. */
static void
pending_forget(PurpleAccount *account, const char *from, const char *thread)
{
	GList *l, *next;

	for (l = esess_ctx->requests; l != NULL; l = next) {
		EsessPendingRequest *req = l->data;

		next = l->next;
		if (req->account != account || req->info.from == NULL || from == NULL ||
		    !esess_jid_equal(req->info.from, from))
			continue;
		if (thread != NULL && g_strcmp0(req->info.thread, thread) != 0)
			continue;
		purple_debug_info(ESESS_DEBUG, "request withdrawn by its initiator\n");
		if (req->waiting_key) {
			/* the user was told it waits for the passphrase */
			char *bare = esess_bare_jid(req->info.from);
			char *text = g_strdup_printf(_("%s no longer asks for an encrypted "
						       "session."), bare);

			esess_ui_system(account, bare, text);
			g_free(text);
			g_free(bare);
		}
		pending_close(req);
	}
}

static char *
key_refused_text(const EsessMsgInfo *info, gboolean timeout)
{
	char *bare = esess_bare_jid(info->from);
	char *text = timeout
		? g_strdup_printf(_("The encrypted session %s asked for was refused: the "
				    "passphrase of your identity key was not given in time. "
				    "Unlock the key in the passphrase dialog, then type "
				    "/esession start."), bare)
		: g_strdup_printf(_("The encrypted session %s asked for was refused: your "
				    "identity key was not unlocked. Type /esession start for "
				    "a session without it (your contact will be told that "
				    "your key is missing), or restart the program to be "
				    "asked for the passphrase again."), bare);

	g_free(bare);
	return text;
}

static gboolean
pending_timeout_cb(gpointer data)
{
	EsessPendingRequest *req = data;
	char *text;

	req->timeout_id = 0;
	if (g_list_find(esess_ctx->requests, req) == NULL)
		return FALSE;
	purple_debug_info(ESESS_DEBUG, "request expired before the user answered\n");
	if (req->waiting_key && purple_account_is_connected(req->account)) {
		/* answered the way any refusal is, before the initiator's own
		 * timeout; the passphrase dialog stays for the next session */
		esess_ctx->requests = g_list_remove(esess_ctx->requests, req);
		text = key_refused_text(&req->info, TRUE);
		do_decline(req->account, &req->info, text);
		g_free(text);
		pending_free(req);
		return FALSE;
	}
	pending_close(req);
	return FALSE;
}

gboolean
esess_hooks_peer_has(PurpleAccount *account, const char *jid, const char *ns)
{
	PurplePlugin *jabber = purple_find_prpl("prpl-jabber");
	gboolean ok = FALSE;
	gpointer r;
	char *full;

	if (jabber == NULL || jid == NULL)
		return FALSE;
	/* the XMPP plugin answers for a full JID only: a bare one stands for
	 * the resource we last saw available */
	full = esess_peers_full_jid(account, jid);
	/* INTEROP R19 */
	r = purple_plugin_ipc_call(jabber, "contact_has_feature", &ok, account, full, ns);
	g_free(full);
	return ok && GPOINTER_TO_INT(r);
}

void
esess_hooks_add_features(void)
{
	PurplePlugin *jabber = purple_find_prpl("prpl-jabber");
	/* XEP-0189 "Determining Support": we publish keys and answer direct
	 * requests (revocations and attestations are not supported) */
	static const char *const features[] = {
		ESESS_NS_XEP0116, ESESS_NS_SSN, ESESS_NS_PURPLE, ESESS_NS_PUBKEY
	};
	gsize i;
	gboolean ok;

	if (jabber == NULL)
		return;
	/* INTEROP R19: lands in our XEP-0115 caps */
	for (i = 0; i < G_N_ELEMENTS(features); i++) {
		ok = FALSE;
		purple_plugin_ipc_call(jabber, "add_feature", &ok, features[i]);
		if (!ok)
			purple_debug_warning(ESESS_DEBUG, "add_feature failed\n");
	}
}

/* Incoming: the stanza is ours to free once consumed. */
static void
drop_packet(xmlnode **packet)
{
	xmlnode_free(*packet);
	*packet = NULL;
}

/* Outgoing: the XMPP plugin's own handler serialises *packet whatever it
 * is (NULL gives three GLib criticals per stanza), and jabber_send's caller
 * frees the node it passed, so a replacement node would leak.  So the node
 * itself is emptied (its plaintext freed) and renamed into a marker, which
 * the XMPP plugin serialises and hands to jabber-sending-text, where
 * sending_text_cb stops it before the socket. */
#define WITHHELD_NAME "esessions-withheld"

static void
withhold_packet(xmlnode **packet)
{
	xmlnode *node = *packet;

	while (node->child != NULL)
		xmlnode_free(node->child); /* unlinks it from node */
	g_free(node->name);
	node->name = g_strdup(WITHHELD_NAME);
	xmlnode_set_prefix(node, NULL);
	xmlnode_set_namespace(node, ESESS_NS_PURPLE);
}

static void
sending_text_cb(PurpleConnection *gc, char **text, gpointer data)
{
	(void)gc;
	(void)data;
	if (text != NULL && *text != NULL && g_str_has_prefix(*text, "<" WITHHELD_NAME))
		*text = NULL; /* the XMPP plugin frees its own copy */
}

/* doc/hacking.md pitfall 3: a body put into an incoming stanza must be in
 * jabber:client or libpurple drops the message. */
static void
fix_namespaces(xmlnode *msg)
{
	xmlnode *child;

	for (child = msg->child; child != NULL; child = child->next) {
		if (child->type == XMLNODE_TYPE_TAG && strcmp(child->name, "body") == 0 &&
		    xmlnode_get_namespace(child) == NULL)
			xmlnode_set_namespace(child, NS_CLIENT);
	}
}

static gboolean
replace_packet(xmlnode **packet, const char *stanza)
{
	xmlnode *node = xmlnode_from_str(stanza, -1);

	if (node == NULL)
		return FALSE;
	fix_namespaces(node);
	xmlnode_free(*packet);
	*packet = node;
	return TRUE;
}

/* Shows the step: a delivered stanza replaces *packet, otherwise the
 * incoming stanza is consumed (negotiation stanzas are never shown). */
static void
route(EsessPeer *peer, EsessStep *step, xmlnode **packet)
{
	gboolean delivered = FALSE;

	if (step->deliver != NULL &&
	    (step->event == ESESS_EV_MESSAGE || step->event == ESESS_EV_PLAINTEXT)) {
		if (step->event == ESESS_EV_PLAINTEXT)
			esess_ui_plaintext_notice(peer->account, peer->bare);
		delivered = replace_packet(packet, step->deliver);
	}
	if (!delivered)
		drop_packet(packet);
	esess_peers_apply(peer, step);
}

/* ---- incoming requests ---------------------------------------------- */

static void
requeue(EsessPeer *peer, GPtrArray *bodies)
{
	guint i;

	for (i = 0; bodies != NULL && i < bodies->len; i++) {
		xmlnode *msg = xmlnode_new("message");
		char *text;
		int len = 0;
		EsessStep step;
		EsessStatus st;

		xmlnode_set_namespace(msg, NS_CLIENT);
		xmlnode_set_attrib(msg, "to", esess_chat_peer(peer->chat));
		xmlnode_set_attrib(msg, "type", "chat");
		xmlnode_insert_data(xmlnode_new_child(msg, "body"),
				    g_ptr_array_index(bodies, i), -1);
		text = xmlnode_to_str(msg, &len);
		xmlnode_free(msg);
		esess_step_init(&step);
		st = esess_chat_encrypt(peer->chat, text, (size_t)len, &step);
		esess_wipe(text, (size_t)len);
		g_free(text);
		if (st != ESESS_OK) {
			esess_ui_send_refused(peer->account, peer->bare, st, step.size);
			esess_ui_unsent(peer->account, peer->bare, g_ptr_array_index(bodies, i));
		}
		else
			esess_peers_apply(peer, &step);
		esess_step_clear(&step);
	}
}

static gboolean hold_for_key(PurpleAccount *account, EsessMsgInfo *info);

static void
do_accept(PurpleAccount *account, EsessMsgInfo *info, GPtrArray *requeued)
{
	EsessPeer *peer;
	EsessChatConfig cfg;
	EsessStep step;
	EsessChat *chat = NULL;
	EsessStatus st;
	guint i;

	/* issue 12 limit 3: a negotiation that would sign with our identity
	 * key waits while it is locked, as the user's own start does */
	if (hold_for_key(account, info))
		return;
	peer = esess_peers_get(account, info->from);
	if (peer->chat != NULL) {
		EsessStep old;
		EsessStatus t;
		char *text;

		/* A new request replaces whatever ran with this contact (one
		 * session per conversation).  The resource that held the old one
		 * is told properly: the old session is terminated (encrypted,
		 * with its still valid keys, R18), not dropped, so it does not
		 * stay "private" while its messages vanish (issue 10 item 3).
		 * Our user is told why, and which queued messages were not sent. */
		esess_step_init(&old);
		if (esess_chat_state(peer->chat) != ESESS_CHAT_ENDED) {
			t = esess_chat_terminate(peer->chat, &old);
			if (t != ESESS_OK)
				purple_debug_warning(ESESS_DEBUG, "terminate: %s\n",
						     esess_status_symbol(t));
			for (i = 0; i < esess_step_n_send(&old); i++)
				esess_peers_send_text(account, g_ptr_array_index(old.send, i));
			text = g_strdup_printf(_("%s started a new encrypted session from %s; the "
						 "session with %s was ended."), peer->bare,
					       info->from, esess_chat_peer(peer->chat));
			esess_ui_system(account, peer->bare, text);
			g_free(text);
		}
		for (i = 0; i < esess_step_n_unsent(&old); i++)
			esess_ui_unsent(account, peer->bare, g_ptr_array_index(old.unsent, i));
		esess_step_clear(&old);
		if (peer->sas_dialog) {
			peer->sas_dialog = FALSE;
			purple_request_close_with_handle(peer);
		}
		if (peer->timeout_id != 0) {
			purple_timeout_remove(peer->timeout_id);
			peer->timeout_id = 0;
		}
		esess_peers_free_chat(peer);
		esess_ui_unmark_conv(peer);
	}
	peer->failed = FALSE;
	esess_peers_fill_config(peer, &cfg, info->from);
	/* issue 9 item 7: contacts not on the buddy list share a few slots of
	 * their own, so strangers cannot hold those of the user's sessions */
	if (purple_find_buddy(account, peer->bare) == NULL)
		cfg.limiter = esess_ctx->strangers;
	esess_step_init(&step);
	st = esess_chat_accept(&cfg, info, &chat, &step);
	esess_peers_config_clear(&cfg);
	if (st != ESESS_OK)
		purple_debug_info(ESESS_DEBUG, "accept: %s\n", esess_status_symbol(st));
	peer->chat = chat;
	esess_peers_apply(peer, &step);
	esess_step_clear(&step);
	if (peer->chat != NULL)
		requeue(peer, requeued);
	else if (requeued != NULL) {
		for (i = 0; i < requeued->len; i++)
			esess_ui_unsent(account, peer->bare, g_ptr_array_index(requeued, i));
	}
}

/* why: what the user is told (NULL: that the request was refused). */
static void
do_decline(PurpleAccount *account, const EsessMsgInfo *info, const char *why)
{
	EsessChatConfig cfg;
	EsessStep step;
	EsessStatus st;
	EsessPeer *peer = esess_peers_get(account, info->from);
	char *text;

	esess_peers_fill_config(peer, &cfg, info->from);
	esess_step_init(&step);
	st = esess_chat_decline(&cfg, info, &step);
	esess_peers_config_clear(&cfg);
	if (st != ESESS_OK)
		purple_debug_info(ESESS_DEBUG, "decline: %s\n", esess_status_symbol(st));
	esess_peers_apply(peer, &step);
	esess_step_clear(&step);
	if (why != NULL) {
		esess_ui_error(account, peer->bare, why);
		return;
	}
	text = g_strdup_printf(_("%s asked for an encrypted session; it was refused."),
			       peer->bare);
	esess_ui_system(account, peer->bare, text);
	g_free(text);
}


#define ESESS_MAX_PENDING_REQUESTS 16

/* TRUE when a request from this contact (any resource) already waits for
 * the user on this account, or too many wait altogether. */
static gboolean
pending_requests_full(PurpleAccount *account, const char *from)
{
	char *bare;
	GList *l;
	guint n = 0;
	gboolean same = FALSE;

	if (from == NULL)
		return TRUE;
	bare = esess_jid_bare(from);
	for (l = esess_ctx->requests; l != NULL && !same; l = l->next) {
		const EsessPendingRequest *req = l->data;
		char *other;

		n++;
		if (req->account != account || req->info.from == NULL)
			continue;
		other = esess_jid_bare(req->info.from);
		same = strcmp(other, bare) == 0;
		g_free(other);
	}
	g_free(bare);
	return same || n >= ESESS_MAX_PENDING_REQUESTS;
}

static void
request_accept_cb(EsessPendingRequest *req, int index)
{
	(void)index;  /* doc/hacking.md pitfall 6 */
	if (g_list_find(esess_ctx->requests, req) == NULL)
		return;   /* withdrawn: closed, about to be freed */
	esess_ctx->requests = g_list_remove(esess_ctx->requests, req);
	do_accept(req->account, &req->info, NULL);
	pending_free(req);
}

static void
request_refuse_cb(EsessPendingRequest *req, int index)
{
	(void)index;
	if (g_list_find(esess_ctx->requests, req) == NULL)
		return;
	esess_ctx->requests = g_list_remove(esess_ctx->requests, req);
	do_decline(req->account, &req->info, NULL);
	pending_free(req);
}

/* Asks the user about a request (dialog); FALSE when none may be added. */
static gboolean
ask_user(PurpleAccount *account, EsessMsgInfo *info, gboolean replaces)
{
	EsessPendingRequest *req;

	/* SECURITY 58: a contact cannot stack up dialogs; while one request
	 * waits for the user, later ones get no answer (XEP-0155 allows
	 * silence), and only so many wait at all */
	if (pending_requests_full(account, info->from)) {
		purple_debug_info(ESESS_DEBUG, "request dropped: one already waits\n");
		return FALSE;
	}
	req = g_new0(EsessPendingRequest, 1);
	req->account = account;
	req->info = *info;
	memset(info, 0, sizeof(*info));  /* moved */
	esess_ctx->requests = g_list_prepend(esess_ctx->requests, req);
	/* the initiator gives up after the same time (issue 10 item 9) */
	req->timeout_id = purple_timeout_add_seconds(ESESS_NEGOTIATION_TIMEOUT,
						     pending_timeout_cb, req);
	esess_ui_ask_request(account, req->info.from, replaces, req,
			     PURPLE_CALLBACK(request_accept_cb),
			     PURPLE_CALLBACK(request_refuse_cb));
	return TRUE;
}

/* The passphrase was answered (ok: the key is unlocked): every request
 * of the account held for it goes on, or is refused. */
static void
key_answered_cb(PurpleAccount *account, gboolean ok, gpointer data)
{
	GList *l, *next, *held = NULL;
	char *text;

	(void)data;
	if (esess_ctx == NULL)
		return;
	for (l = esess_ctx->requests; l != NULL; l = next) {
		EsessPendingRequest *req = l->data;

		next = l->next;
		if (req->account == account && req->waiting_key) {
			esess_ctx->requests = g_list_delete_link(esess_ctx->requests, l);
			held = g_list_prepend(held, req);
		}
	}
	held = g_list_reverse(held);
	for (l = held; l != NULL; l = l->next) {
		EsessPendingRequest *req = l->data;

		if (esess_ctx->quiet || !purple_account_is_connected(account)) {
			/* signing off or unloading: nothing is answered */
		} else if (ok) {
			do_accept(account, &req->info, NULL);
		} else {
			/* never on without the key the negotiation expects */
			text = key_refused_text(&req->info, FALSE);
			do_decline(account, &req->info, text);
			g_free(text);
		}
		pending_free(req);
	}
	g_list_free(held);
}

/* Issue 12 limit 3 (INTEROP R21: between peers of this plugin the session
 * is signed with our identity key, and the contact warns when it is
 * missing): a request from a peer of this plugin, accepted (by the policy
 * or the user) while our identity key is locked, is held and
 * the passphrase asked, with the dialog the user's own start opens; the
 * request is answered when the user answers, or refused when the
 * initiator's time runs out.  SECURITY 58: the held requests count with
 * those waiting for the user (one per contact, ESESS_MAX_PENDING_REQUESTS
 * in all), and the account has one passphrase dialog, which is asked once
 * per start, whatever the number of requests. */
static gboolean
hold_for_key(PurpleAccount *account, EsessMsgInfo *info)
{
	EsessPendingRequest *req;
	GList *l;
	gboolean asked = FALSE;
	char *bare, *text;

	if (info->from == NULL || !purple_account_is_connected(account) ||
	    !esess_identity_would_ask(account) || !esess_peers_has_plugin(account, info->from))
		return FALSE;
	if (pending_requests_full(account, info->from)) {
		purple_debug_info(ESESS_DEBUG, "request dropped: one already waits\n");
		return TRUE;
	}
	for (l = esess_ctx->requests; l != NULL && !asked; l = l->next)
		asked = ((EsessPendingRequest *)l->data)->account == account &&
			((EsessPendingRequest *)l->data)->waiting_key;
	req = g_new0(EsessPendingRequest, 1);
	req->account = account;
	req->waiting_key = TRUE;
	req->info = *info;
	memset(info, 0, sizeof(*info));  /* moved */
	esess_ctx->requests = g_list_prepend(esess_ctx->requests, req);
	/* refused a little before the initiator gives up, so that it learns
	 * why instead of timing out */
	req->timeout_id = purple_timeout_add_seconds(CLAMP(purple_prefs_get_int(
								   ESESS_PREFS_KEY_WAIT),
							   1, ESESS_KEY_WAIT),
						     pending_timeout_cb, req);
	/* the conversation says what happens: nothing is private yet */
	bare = esess_bare_jid(req->info.from);
	text = g_strdup_printf(_("%s asked for an encrypted session; it waits until you "
				 "unlock your identity key with its passphrase."), bare);
	esess_ui_system(account, bare, text);
	g_free(text);
	g_free(bare);
	if (!asked)
		esess_identity_unlock(account, key_answered_cb, NULL);
	return TRUE;
}

static void
handle_request(PurpleAccount *account, EsessMsgInfo *info)
{
	EsessPeer *peer;
	GPtrArray *requeued = NULL;
	EsessPolicy policy;
	char *bare;
	gboolean allowed;
	guint i;

	if (info->from == NULL)
		return;
	/* issue 9 item 7: the account's privacy settings come first, before
	 * anything costs a key exchange or opens a window (libpurple would
	 * not show this sender's messages either) */
	bare = esess_bare_jid(info->from);
	allowed = purple_privacy_check(account, bare);
	g_free(bare);
	if (!allowed) {
		purple_debug_info(ESESS_DEBUG, "request refused by the account's privacy settings\n");
		return;
	}
	peer = esess_peers_find(account, info->from);
	policy = esess_policy_get(account, info->from);
	if (peer != NULL && peer->chat != NULL &&
	    esess_chat_state(peer->chat) == ESESS_CHAT_NEGOTIATING &&
	    esess_chat_is_initiator(peer->chat)) {
		EsessStep step;

		EsessChatConfig cfg;
		EsessChat *theirs = NULL;
		EsessStep reply;
		EsessStatus st;

		/* SECURITY 54: simultaneous initiation, decided by the engine */
		if (!esess_chat_yields_to(peer->chat, info)) {
			purple_debug_info(ESESS_DEBUG, "simultaneous request: ours wins\n");
			return;
		}
		/* SECURITY 65: ours gives way only to a request that can be
		 * answered; a malformed one is ignored and ours goes on */
		esess_peers_fill_config(peer, &cfg, info->from);
		esess_step_init(&reply);
		st = esess_chat_accept(&cfg, info, &theirs, &reply);
		esess_peers_config_clear(&cfg);
		if (st != ESESS_OK || theirs == NULL) {
			purple_debug_info(ESESS_DEBUG, "simultaneous request refused (%s): ours "
					  "goes on\n", esess_status_symbol(st));
			if (theirs != NULL)
				esess_chat_free(theirs);
			esess_step_clear(&reply);
			return;
		}
		esess_step_init(&step);
		esess_chat_abort(peer->chat, ESESS_ERR_STATE, &step);
		requeued = step.unsent;
		step.unsent = NULL;
		esess_step_clear(&step);
		esess_peers_free_chat(peer);
		if (peer->timeout_id != 0) {
			purple_timeout_remove(peer->timeout_id);
			peer->timeout_id = 0;
		}
		peer->failed = FALSE;
		peer->chat = theirs;
		esess_peers_apply(peer, &reply);
		esess_step_clear(&reply);
		if (peer->chat != NULL)
			requeue(peer, requeued);
		else
			for (i = 0; requeued != NULL && i < requeued->len; i++)
				esess_ui_unsent(account, peer->bare,
						g_ptr_array_index(requeued, i));
		if (requeued != NULL)
			g_ptr_array_unref(requeued);
		return;
	}
	/* SECURITY 65: a request carries no authentication, and any resource
	 * of the contact (or a server) can send one; it never ends a session
	 * that runs or is being set up without the user's word */
	if (peer != NULL && peer->chat != NULL) {
		switch (esess_chat_state(peer->chat)) {
		case ESESS_CHAT_NEGOTIATING:
			purple_debug_info(ESESS_DEBUG,
					  "request ignored: a negotiation with this contact runs\n");
			return;
		case ESESS_CHAT_ESTABLISHED:
			if (policy == ESESS_POLICY_NEVER)
				do_decline(account, info, NULL);
			else
				(void)ask_user(account, info, TRUE);
			return;
		case ESESS_CHAT_ENDED:
			break;
		}
	}
	switch (policy) {
	case ESESS_POLICY_NEVER:
		do_decline(account, info, NULL);
		break;
	case ESESS_POLICY_ON_REQUEST:
		(void)ask_user(account, info, FALSE);
		break;
	case ESESS_POLICY_OPPORTUNISTIC:
	case ESESS_POLICY_REQUIRED:
		do_accept(account, info, NULL);
		break;
	}
}

/* The contact of a carbon: the inner message's from (received) or to (sent). */
static char *
carbon_peer(xmlnode *msg)
{
	xmlnode *wrap, *fwd, *inner;
	const char *who = NULL;

	for (wrap = msg->child; wrap != NULL; wrap = wrap->next) {
		if (wrap->type != XMLNODE_TYPE_TAG ||
		    g_strcmp0(xmlnode_get_namespace(wrap), NS_CARBONS) != 0)
			continue;
		fwd = xmlnode_get_child_with_namespace(wrap, "forwarded", NS_FORWARD);
		inner = fwd ? xmlnode_get_child(fwd, "message") : NULL;
		if (inner == NULL)
			continue;
		who = strcmp(wrap->name, "sent") == 0 ? xmlnode_get_attrib(inner, "to")
			: xmlnode_get_attrib(inner, "from");
		break;
	}
	return esess_bare_jid(who);
}

/* ---- the signals ------------------------------------------------------ */

/* TRUE when an element anywhere in the message is in a namespace of the
 * ESession protocol (XEP-0200 <c/>, XEP-0155 feature negotiation, XEP-0116
 * init), or the message is an error bounce on a thread.  Only those need
 * the engine's strict parser (INTEROP R1, R15); everything else goes to
 * libpurple untouched, whatever its size or shape (issue 10 item 6).  The
 * walk follows parent links, so a deeply nested message costs no stack. */
static gboolean
esession_marked(xmlnode *msg)
{
	static const char *const namespaces[] = {
		"http://www.xmpp.org/extensions/xep-0200.html#ns",
		"http://jabber.org/protocol/feature-neg",
		"http://www.xmpp.org/extensions/xep-0116.html#ns-init"
	};
	const char *type = xmlnode_get_attrib(msg, "type");
	xmlnode *n;
	const char *ns;
	gsize i;

	if (type != NULL && strcmp(type, "error") == 0 && xmlnode_get_child(msg, "thread") != NULL)
		return TRUE;
	n = msg->child;
	while (n != NULL) {
		if (n->type == XMLNODE_TYPE_TAG) {
			ns = xmlnode_get_namespace(n);
			for (i = 0; ns != NULL && i < G_N_ELEMENTS(namespaces); i++) {
				if (strcmp(ns, namespaces[i]) == 0)
					return TRUE;
			}
			if (n->child != NULL) {
				n = n->child;
				continue;
			}
		}
		while (n != msg && n->next == NULL)
			n = n->parent;
		if (n == msg)
			break;
		n = n->next;
	}
	return FALSE;
}

static void
observe_presence(PurpleAccount *account, xmlnode *pres)
{
	const char *from = xmlnode_get_attrib(pres, "from");
	const char *type = xmlnode_get_attrib(pres, "type");
	xmlnode *c;
	char *key;

	if (from == NULL || strchr(from, '/') == NULL)
		return;
	key = g_strdup_printf("%p\n%s", (void *)account, from);
	if (type != NULL && strcmp(type, "unavailable") == 0) {
		char *rkey = esess_peers_key(account, from);
		const char *last = g_hash_table_lookup(esess_ctx->resources, rkey);

		if (last != NULL && esess_jid_equal(last, from))
			g_hash_table_remove(esess_ctx->resources, rkey);
		g_free(rkey);
		g_hash_table_remove(esess_ctx->caps, key);
		g_free(key);
		/* its requests cannot be accepted any more (issue 10 item 9) */
		pending_forget(account, from, NULL);
		/* SECURITY 56, INTEROP R18 */
		esess_peers_peer_gone(account, from);
		return;
	}
	if (type != NULL) {
		g_free(key);
		return;
	}
	g_hash_table_insert(esess_ctx->resources, esess_peers_key(account, from),
			    g_strdup(from));
	c = xmlnode_get_child_with_namespace(pres, "c", NS_CAPS);
	if (c != NULL && xmlnode_get_attrib(c, "node") != NULL)
		g_hash_table_insert(esess_ctx->caps, key,
				    g_strdup(xmlnode_get_attrib(c, "node")));
	else
		g_free(key);
}

/* SECURITY 66: everything libpurple would show of a message (its body,
 * an XHTML-IM copy, a subject, out-of-band data), so that a plaintext
 * with any of them is flagged during a session exactly like a body. */
static gboolean
shows_content(xmlnode *msg)
{
	xmlnode *c;

	for (c = msg->child; c != NULL; c = c->next) {
		const char *ns;

		if (c->type != XMLNODE_TYPE_TAG)
			continue;
		ns = xmlnode_get_namespace(c);
		if (strcmp(c->name, "body") == 0 || strcmp(c->name, "subject") == 0 ||
		    (strcmp(c->name, "html") == 0 && g_strcmp0(ns, NS_XHTML_IM) == 0) ||
		    (strcmp(c->name, "x") == 0 && g_strcmp0(ns, NS_OOB) == 0))
			return TRUE;
	}
	return FALSE;
}

static gint
attr_cmp(gconstpointer a, gconstpointer b)
{
	const xmlnode *x = *(xmlnode *const *)a;
	const xmlnode *y = *(xmlnode *const *)b;
	int r = g_strcmp0(x->name, y->name);

	return r != 0 ? r : g_strcmp0(x->xmlns, y->xmlns);
}

/* Feeds the node's content to sum in one order whatever the sender's
 * serialiser did: names, namespaces, attributes sorted by name, text; each
 * piece with its length, so that no two trees give the same input. */
static void
digest_node(GChecksum *sum, xmlnode *node)
{
	GPtrArray *attrs = g_ptr_array_new();
	xmlnode *c;
	guint i;

	for (c = node->child; c != NULL; c = c->next)
		if (c->type == XMLNODE_TYPE_ATTRIB)
			g_ptr_array_add(attrs, c);
	g_ptr_array_sort(attrs, attr_cmp);
#define PIECE(tag, str) do { \
		const char *p_ = (str) != NULL ? (str) : ""; \
		guint32 n_ = (guint32)strlen(p_); \
		g_checksum_update(sum, (const guchar *)(tag), 1); \
		g_checksum_update(sum, (const guchar *)&n_, sizeof(n_)); \
		g_checksum_update(sum, (const guchar *)p_, n_); \
	} while (0)
	PIECE("<", node->name);
	PIECE("n", xmlnode_get_namespace(node));
	for (i = 0; i < attrs->len; i++) {
		xmlnode *a = g_ptr_array_index(attrs, i);

		PIECE("a", a->name);
		PIECE("v", a->data);
	}
	for (c = node->child; c != NULL; c = c->next) {
		if (c->type == XMLNODE_TYPE_TAG) {
			digest_node(sum, c);
		} else if (c->type == XMLNODE_TYPE_DATA) {
			char *d = g_strndup(c->data, c->data_sz);

			PIECE("t", d);
			g_free(d);
		}
	}
	PIECE(">", node->name);
#undef PIECE
	g_ptr_array_free(attrs, TRUE);
}

/* SECURITY 52, issue 10 item 9: stream resumption may deliver a
 * negotiation message twice (the server may write its attributes in
 * another order); a copy of the last one is ignored rather than ending
 * the negotiation.  Anything else goes to the engine, which refuses it by
 * its state machine. */
static gboolean
duplicate_neg(EsessPeer *peer, xmlnode *msg)
{
	GChecksum *sum = g_checksum_new(G_CHECKSUM_SHA256);
	guint8 digest[32];
	gsize dlen = sizeof(digest);
	gboolean dup;

	digest_node(sum, msg);
	g_checksum_get_digest(sum, digest, &dlen);
	g_checksum_free(sum);
	/* not constant time on purpose: both digests are of public stanzas the
	 * peer sent in the clear, so their comparison reveals nothing */
	dup = peer->have_last_neg && memcmp(digest, peer->last_neg, sizeof(digest)) == 0;
	memcpy(peer->last_neg, digest, sizeof(digest));
	peer->have_last_neg = TRUE;
	return dup;
}

/* Issue 11 item 2: an encrypted message of an established session in the
 * shape every peer sends is not turned into text and parsed again: the
 * engine gets the texts of <thread/>, <data/> and <mac/> from libpurple's
 * own tree, and the decrypted children come back into xmlnodes put in
 * place of <c/> (esess-cparts.c).  TRUE when the stanza was handled here
 * (shown or consumed); FALSE, nothing changed, for the complete way. */
static gboolean
receive_fast(PurpleAccount *account, xmlnode **packet)
{
	EsessCTaken t;
	EsessCBuild b;
	EsessPeer *peer;
	EsessStep step;
	EsessStatus st;

	if (!esess_cparts_take(*packet, &t))
		return FALSE;
	peer = esess_peers_find_thread(account, t.in.thread);
	if (peer == NULL || peer->chat == NULL ||
	    esess_chat_state(peer->chat) != ESESS_CHAT_ESTABLISHED) {
		esess_cparts_clear(&t);
		return FALSE;
	}
	esess_cparts_build_init(&b);
	esess_step_init(&step);
	st = esess_chat_receive_c(peer->chat, &t.in, &esess_cparts_sink, &b, &step);
	if (st == ESESS_ERR_INVALID_ARG) {
		/* not in the simple form: nothing changed */
		esess_cparts_build_free(&b);
		esess_step_clear(&step);
		esess_cparts_clear(&t);
		return FALSE;
	}
	if (st == ESESS_ERR_WRONG_PEER) {
		purple_debug_info(ESESS_DEBUG, "dropped a stanza for the wrong peer\n");
		drop_packet(packet);
	} else {
		if (step.event == ESESS_EV_MESSAGE)
			esess_cparts_deliver(*packet, &b);
		else
			drop_packet(packet);
		esess_peers_apply(peer, &step);
		/* SECURITY 69: a message the contact typed that was not shown is
		 * reported (a failure that ends the session says so itself) */
		if (t.in.has_body && st != ESESS_OK && step.event != ESESS_EV_ENDED)
			esess_ui_discarded(account, peer->bare);
	}
	esess_cparts_build_free(&b);
	esess_step_clear(&step);
	esess_cparts_clear(&t);
	return TRUE;
}

static void
receiving_cb(PurpleConnection *gc, xmlnode **packet, gpointer data)
{
	PurpleAccount *account = purple_connection_get_account(gc);
	EsessMsgInfo info;
	EsessStep step;
	EsessPeer *peer;
	EsessStatus st;
	char *text, *who;
	int len = 0;
	gboolean had_body;

	(void)data;
	if (packet == NULL || *packet == NULL || esess_ctx == NULL)
		return;
	if (strcmp((*packet)->name, "presence") == 0) {
		observe_presence(account, *packet);
		return;
	}
	if (strcmp((*packet)->name, "iq") == 0) {
		/* XEP-0189: our PEP requests' answers, direct key requests */
		if (esess_pep_receive_iq(account, *packet) ||
		    esess_archive_server_receive_iq(account, *packet))
			drop_packet(packet);
		return;
	}
	if (strcmp((*packet)->name, "message") != 0)
		return;
	/* XEP-0187: a stored message of an offline session */
	if (esess_offline_receive(account, packet))
		return;
	if (receive_fast(account, packet))
		return;

	if (!esession_marked(*packet)) {
		/* not an ESession stanza: the engine only looks at it when it
		 * may be a plaintext inside a running session (to flag it) */
		peer = esess_peers_find(account, xmlnode_get_attrib(*packet, "from"));
		if (peer == NULL || peer->chat == NULL ||
		    esess_chat_state(peer->chat) != ESESS_CHAT_ESTABLISHED)
			return;
	}
	had_body = xmlnode_get_child(*packet, "body") != NULL;
	memset(&info, 0, sizeof(info));
	text = xmlnode_to_str(*packet, &len);
	st = esess_msg_inspect(text, (size_t)len, purple_account_get_username(account), &info);
	esess_wipe(text, (size_t)len);
	g_free(text);
	if (st != ESESS_OK) {
		purple_debug_info(ESESS_DEBUG, "dropped an unparsable message (%s)\n",
				  esess_status_symbol(st));
		/* SECURITY 69: a discarded message is reported */
		if (had_body)
			esess_ui_discarded(account, xmlnode_get_attrib(*packet, "from"));
		drop_packet(packet);
		return;
	}
	esess_step_init(&step);
	switch (info.kind) {
	case ESESS_MSG_OTHER:
		peer = esess_peers_find(account, info.from);
		/* only what would be shown can be a plaintext to flag; PEP
		 * events, receipts and chat states pass as they are */
		if (peer != NULL && peer->chat != NULL &&
		    esess_chat_state(peer->chat) == ESESS_CHAT_ESTABLISHED &&
		    shows_content(*packet)) {
			st = esess_chat_receive(peer->chat, &info, &step);
			if (st == ESESS_OK && step.event == ESESS_EV_PLAINTEXT)
				route(peer, &step, packet);
			else
				esess_peers_apply(peer, &step);
		}
		break;
	case ESESS_MSG_NEG_REQUEST:
		drop_packet(packet);
		handle_request(account, &info);
		break;
	case ESESS_MSG_NEG:
	case ESESS_MSG_ENCRYPTED:
	case ESESS_MSG_TERMINATE:
		peer = esess_peers_find_thread(account, info.thread);
		if (peer == NULL && info.kind == ESESS_MSG_TERMINATE)
			/* the initiator ended a request the user is asked about */
			pending_forget(account, info.from, info.thread);
		if (peer != NULL && info.kind == ESESS_MSG_NEG &&
		    duplicate_neg(peer, *packet)) {
			purple_debug_info(ESESS_DEBUG,
					  "ignored an exact copy of a negotiation message\n");
			drop_packet(packet);
			break;
		}
		if (peer == NULL) {
			/* SECURITY 50: no reply that leaks state */
			drop_packet(packet);
			if (info.kind == ESESS_MSG_ENCRYPTED && info.from != NULL &&
			    !(info.thread != NULL &&
			      g_hash_table_contains(esess_ctx->ended, info.thread)))
				esess_ui_system(account, info.from,
						_("An encrypted message arrived for a session "
						  "that is not open; it could not be read."));
			else if (info.kind == ESESS_MSG_ENCRYPTED && had_body)
				/* a message of a session we ended and freed
				 * (an acknowledgement has no body) */
				esess_ui_discarded(account, info.from);
			break;
		}
		st = esess_chat_receive(peer->chat, &info, &step);
		if (st == ESESS_ERR_WRONG_PEER) {
			purple_debug_info(ESESS_DEBUG, "dropped a stanza for the wrong peer\n");
			drop_packet(packet);
			break;
		}
		route(peer, &step, packet);
		/* SECURITY 69: a message the contact typed that was not shown is
		 * reported (a failure that ends the session says so itself) */
		if (info.kind == ESESS_MSG_ENCRYPTED && had_body && st != ESESS_OK &&
		    step.event != ESESS_EV_ENDED)
			esess_ui_discarded(account, peer->bare);
		break;
	case ESESS_MSG_CARBON_ENCRYPTED:
		who = carbon_peer(*packet);
		drop_packet(packet);
		if (who != NULL)
			esess_ui_carbon_notice(account, who);
		g_free(who);
		break;
	case ESESS_MSG_DROP:
		purple_debug_info(ESESS_DEBUG, "dropped a message that breaks ESession rules\n");
		drop_packet(packet);
		break;
	}
	esess_step_clear(&step);
	esess_msg_info_clear(&info);
}

static char *
body_text(xmlnode *msg)
{
	xmlnode *body = xmlnode_get_child(msg, "body");

	return body ? xmlnode_get_data(body) : NULL;
}

/* Turns the outgoing node into the stanza the engine made, in place.  The
 * node stays the one its sender owns and frees (pitfall 4), and the XMPP
 * plugin's own handler, which runs after ours, writes it.  A NULL packet
 * would stop the write too, but costs three CRITICALs (xmlnode_to_str,
 * jabber_send_raw, jabber_is_stanza) per message, and a second signal
 * emission; the bytes on the wire are the same either way. */
static gboolean
morph_packet(xmlnode *packet, const char *stanza)
{
	xmlnode *node = xmlnode_from_str(stanza, -1);
	xmlnode *c, *next;

	if (node == NULL || packet->name == NULL || strcmp(node->name, packet->name) != 0) {
		if (node != NULL)
			xmlnode_free(node);
		return FALSE;
	}
	/* the plaintext children (and attributes) go; unlinked first so that
	 * xmlnode_free does not walk the parent's list for each */
	for (c = packet->child; c != NULL; c = next) {
		next = c->next;
		c->parent = NULL;
		c->next = NULL;
		xmlnode_free(c);
	}
	packet->child = node->child;
	packet->lastchild = node->lastchild;
	for (c = packet->child; c != NULL; c = c->next)
		c->parent = packet;
	node->child = NULL;
	node->lastchild = NULL;
	xmlnode_set_namespace(packet, xmlnode_get_namespace(node));
	xmlnode_set_prefix(packet, xmlnode_get_prefix(node));
	if (packet->namespace_map != NULL)
		g_hash_table_destroy(packet->namespace_map);
	packet->namespace_map = node->namespace_map;
	node->namespace_map = NULL;
	xmlnode_free(node);
	return TRUE;
}

/* An outgoing message to a contact with a session: encrypted (or queued),
 * never sent as it is. */
static void
send_encrypted(EsessPeer *peer, xmlnode **packet)
{
	EsessStep step;
	EsessStatus st;
	char *text, *body = NULL, *one;
	int len = 0;

	/* the session's lines come in while the payload is written out
	 * (issue 11 item 1) */
	esess_chat_prefetch(peer->chat, TRUE);
	esess_step_init(&step);
	if (esess_chat_state(peer->chat) == ESESS_CHAT_ESTABLISHED) {
		/* issue 11 item 2: only the children that go inside <c/> are
		 * written out, and the encrypted stanza is built in place */
		EsessCOut out;
		size_t plen = 0;
		char *payload = esess_cparts_payload(*packet, &plen);

		if (payload != NULL) {
			st = esess_chat_encrypt_c(peer->chat, payload, plen, &out, &step);
			esess_wipe(payload, plen);
			g_free(payload);
			if (st == ESESS_OK) {
				esess_cparts_seal(*packet, &out);
				esess_c_out_clear(&out);
				esess_peers_apply(peer, &step);
				goto out;
			}
			if (st != ESESS_ERR_INVALID_ARG)
				goto failed;
			/* not taken, nothing changed: the complete way */
		}
	}
	text = xmlnode_to_str(*packet, &len);
	st = esess_chat_encrypt(peer->chat, text, (size_t)len, &step);
	esess_wipe(text, (size_t)len);
	g_free(text);
	/* the ordinary case, one encrypted stanza and nothing else to show:
	 * it takes the place of the plaintext one */
	if (st == ESESS_OK && step.event == ESESS_EV_NONE && step.send != NULL &&
	    step.send->len == 1 && (step.unsent == NULL || step.unsent->len == 0)) {
		one = g_ptr_array_index(step.send, 0);
		if (morph_packet(*packet, one)) {
			g_ptr_array_remove_index(step.send, 0);
			esess_peers_apply(peer, &step);
			goto out;
		}
	}
failed:
	/* the text the user is shown as not sent: read only now (every path
	 * here left the packet as it came), not for each message that goes */
	if (st != ESESS_OK)
		body = body_text(*packet);
	withhold_packet(packet);
	if (st == ESESS_OK) {
		esess_peers_apply(peer, &step);
	} else if (body != NULL) {
		purple_debug_info(ESESS_DEBUG, "encrypt: %s\n", esess_status_symbol(st));
		esess_ui_send_refused(peer->account, peer->bare, st, step.size);
		esess_ui_withheld(peer->account, peer->bare, NULL, body);
	}
out:
	esess_step_clear(&step);
	if (body != NULL) {
		esess_wipe(body, strlen(body));
		g_free(body);
	}
}

/* Withholds an outgoing message: nothing of it reaches the server, the
 * user sees why and the text that was not sent. */
static void
withhold_message(PurpleAccount *account, const char *to, xmlnode **packet, const char *why)
{
	char *body = body_text(*packet);

	withhold_packet(packet);
	if (body != NULL) {
		esess_ui_withheld(account, to, why, body);
		esess_wipe(body, strlen(body));
		g_free(body);
	}
}

/* The message leaves the wire; its children go to the offline path. */
static void
send_offline(PurpleAccount *account, const char *to, xmlnode **packet)
{
	size_t plen = 0;
	char *payload = esess_cparts_payload(*packet, &plen);
	char *body = body_text(*packet);

	if (payload == NULL) {
		withhold_message(account, to, packet,
				 _("Your settings require encryption with this contact, but no "
				   "encrypted session is possible (their program does not "
				   "support it or the last attempt failed)."));
	} else {
		withhold_packet(packet);
		esess_offline_send(account, to, payload, plen, body);
	}
	if (body != NULL) {
		esess_wipe(body, strlen(body));
		g_free(body);
	}
}

/* An outgoing one-to-one message to `to` (a copy: withhold_packet frees
 * the node's attributes, so nothing may point into the packet).
 *
 * The rule, written out in esess-policy.c: once a session existed with a
 * contact, nothing the user types goes out in the clear until the user
 * chooses.  A session running, being set up or ended is the entry's chat;
 * a failed one is peer->failed; one from before a reconnect or a reload
 * is esess_policy_pinned(). */
static void
sending_message(PurpleAccount *account, xmlnode **packet, const char *to)
{
	EsessPeer *peer;
	EsessPolicy policy;
	gboolean has_body, supports, known, pinned;

	peer = esess_peers_find(account, to);
	if (peer != NULL && peer->chat != NULL) {
		send_encrypted(peer, packet);
		return;
	}
	has_body = xmlnode_get_child(*packet, "body") != NULL;
	policy = esess_policy_get(account, to);
	/* SECURITY 65, R16: after any failed negotiation (a forged request,
	 * a timeout, a refusal, the peer gone) the conversation withholds
	 * what the user types until they choose, whatever the policy */
	if (has_body && peer != NULL && peer->failed) {
		withhold_message(account, to, packet,
				 _("The encrypted session could not be set up, so this message "
				   "was not sent. Type /esession start to try again, or "
				   "/esession end to send unencrypted."));
		return;
	}
	supports = esess_hooks_peer_has(account, to, ESESS_NS_XEP0116);
	/* issue 10 item 5: every XMPP client lists disco#info among its
	 * features, so without it the contact's features are not known yet
	 * (just after a reconnect or a reload), which says nothing about
	 * encrypted sessions */
	known = supports || esess_hooks_peer_has(account, to, NS_DISCO_INFO);
	pinned = has_body && esess_policy_pinned(account, to);
	/* XEP-0187: the contact is offline and encryption is required (or a
	 * session existed): privately when they return, or not at all */
	if (has_body && (pinned || policy == ESESS_POLICY_REQUIRED) &&
	    esess_offline_contact_away(account, to)) {
		send_offline(account, to, packet);
		return;
	}
	if (pinned) {
		/* a session existed before a reload or a reconnect: a new one
		 * may start by itself where the policy says so; never the clear */
		if ((policy == ESESS_POLICY_OPPORTUNISTIC || policy == ESESS_POLICY_REQUIRED) &&
		    (supports || !known))
			goto start;
		withhold_message(account, to, packet,
				 _("You had an encrypted session with this contact, so this "
				   "message was not sent unencrypted. Type /esession start for "
				   "a new encrypted session, or /esession end to send "
				   "unencrypted."));
		return;
	}
	switch (policy) {
	case ESESS_POLICY_NEVER:
	case ESESS_POLICY_ON_REQUEST:
		return;
	case ESESS_POLICY_OPPORTUNISTIC:
		if (supports && has_body)
			break;
		if (has_body && (peer = esess_peers_get(account, to)) != NULL &&
		    !peer->plain_notice) {
			peer->plain_notice = TRUE;
			esess_ui_not_private_notice(account, to, known);
		}
		return;
	case ESESS_POLICY_REQUIRED:
		if (supports)
			break;
		/* nothing goes out in the clear to this contact */
		withhold_message(account, to, packet,
				 _("Your settings require encryption with this contact, but no "
				   "encrypted session is possible (their program does not "
				   "support it or the last attempt failed)."));
		return;
	}
start:
	/* issue 12 limit 3: a session that would carry our identity key while
	 * it is locked waits for the passphrase, as the user's own start
	 * does; the message cannot wait outside a session, so it is not sent,
	 * and the user is told (never the clear, never silently keyless) */
	if (esess_identity_would_ask(account) && esess_peers_has_plugin(account, to)) {
		withhold_message(account, to, packet,
				 _("An encrypted session is set up first, and it needs your "
				   "identity key, which is locked. Enter its passphrase in "
				   "the dialog, then send the message again."));
		esess_peers_start_user(account, to);
		return;
	}
	/* opportunistic or required, and the contact supports it: start, and
	 * this message waits in the session's queue (R16) */
	esess_peers_start(account, to);
	peer = esess_peers_find(account, to);
	if (peer != NULL && peer->chat != NULL) {
		send_encrypted(peer, packet);
		return;
	}
	withhold_message(account, to, packet, NULL);
}

static void
sending_cb(PurpleConnection *gc, xmlnode **packet, gpointer data)
{
	const char *to, *type;
	char *to_copy;

	(void)data;
	if (packet == NULL || *packet == NULL || esess_ctx == NULL || esess_ctx->sending_own)
		return;
	if (strcmp((*packet)->name, "presence") == 0) {
		/* XEP-0189 <generating/> while our key is being made */
		esess_pep_outgoing_presence(purple_connection_get_account(gc), *packet);
		return;
	}
	if (strcmp((*packet)->name, "message") != 0)
		return;
	to = xmlnode_get_attrib(*packet, "to");
	type = xmlnode_get_attrib(*packet, "type");
	if (to == NULL || (type != NULL && strcmp(type, "chat") != 0 &&
			   strcmp(type, "normal") != 0))
		return;
	to_copy = g_strdup(to);
	sending_message(purple_connection_get_account(gc), packet, to_copy);
	g_free(to_copy);
}

void
esess_hooks_connect(PurplePlugin *plugin)
{
	PurplePlugin *jabber = purple_find_prpl("prpl-jabber");

	if (jabber == NULL)
		return;
	/* before anyone processes an incoming stanza */
	purple_signal_connect_priority(jabber, "jabber-receiving-xmlnode", plugin,
				       PURPLE_CALLBACK(receiving_cb), NULL,
				       PURPLE_SIGNAL_PRIORITY_LOWEST + 1);
	/* doc/hacking.md pitfall 4: the XMPP plugin writes at HIGHEST; run just before */
	purple_signal_connect_priority(jabber, "jabber-sending-xmlnode", plugin,
				       PURPLE_CALLBACK(sending_cb), NULL,
				       PURPLE_SIGNAL_PRIORITY_HIGHEST - 1);
	purple_signal_connect_priority(jabber, "jabber-sending-text", plugin,
				       PURPLE_CALLBACK(sending_text_cb), NULL,
				       PURPLE_SIGNAL_PRIORITY_LOWEST);
}

void
esess_hooks_disconnect(PurplePlugin *plugin)
{
	PurplePlugin *jabber = purple_find_prpl("prpl-jabber");

	if (jabber != NULL)
		purple_signals_disconnect_by_handle(plugin);
}
