/*
 * esess-plugin.c - the libpurple plugin: registration, load and unload, the
 * prefs frame, plugin actions, buddy-list menu entries, the IPC functions and
 * the "esessions-state-changed" signal that plugin/gtk builds on.
 *
 * The plugin only translates between libpurple and the engine (plugin/core);
 * protocol decisions live in the engine.  It exports one symbol,
 * purple_init_plugin.
 *
 * For plugin/gtk (keep exactly):
 *   signal "esessions-state-changed" on the plugin handle:
 *     void cb(PurpleConversation *conv, gint state, gpointer data)
 *     state: 0 not private, 1 negotiating, 2 private unverified,
 *            3 private verified, 4 ended
 *   IPC: "start" (conv) -> void, "end" (conv) -> void, "verify" (conv) -> void,
 *        "get-state" (conv) -> int, "get-details" (conv) -> gchar* (caller frees)
 */
#include "config.h"

#include <glib.h>
#include <glib/gstdio.h>
#include <purple.h>

#include "esess-i18n.h"
#include "esess-purple.h"

EsessContext *esess_ctx;

/* ---- marshallers libpurple 2.x does not ship ---------------------- */

static void
marshal_VOID__POINTER_INT(PurpleCallback cb, va_list args, void *data, void **return_val)
{
	void *arg1 = va_arg(args, void *);
	gint arg2 = va_arg(args, gint);

	(void)return_val;
	((void (*)(void *, gint, void *))cb)(arg1, arg2, data);
}

static void
marshal_INT__POINTER(PurpleCallback cb, va_list args, void *data, void **return_val)
{
	void *arg1 = va_arg(args, void *);
	gint ret = ((gint (*)(void *, void *))cb)(arg1, data);

	if (return_val != NULL)
		*return_val = GINT_TO_POINTER(ret);
}

void
esess_plugin_emit_state(PurpleConversation *conv, EsessUiState st)
{
	if (conv == NULL || esess_ctx == NULL)
		return;
	purple_signal_emit(esess_ctx->plugin, "esessions-state-changed", conv, (gint)st);
}

/* ---- IPC -------------------------------------------------------------- */

static gboolean
conv_is_xmpp_im(PurpleConversation *conv)
{
	return conv != NULL && purple_conversation_get_type(conv) == PURPLE_CONV_TYPE_IM &&
		g_strcmp0(purple_account_get_protocol_id(purple_conversation_get_account(conv)),
			  "prpl-jabber") == 0;
}

static void
ipc_start(PurpleConversation *conv, gpointer data)
{
	(void)data;
	if (conv_is_xmpp_im(conv))
		esess_peers_start_user(purple_conversation_get_account(conv),
				  purple_conversation_get_name(conv));
}

static void
ipc_end(PurpleConversation *conv, gpointer data)
{
	(void)data;
	if (conv_is_xmpp_im(conv))
		esess_peers_end(purple_conversation_get_account(conv),
				purple_conversation_get_name(conv));
}

static void
ipc_verify(PurpleConversation *conv, gpointer data)
{
	EsessPeer *peer = esess_peers_for_conv(conv);

	(void)data;
	if (peer != NULL)
		esess_ui_sas_dialog(peer);
}

static gint
ipc_get_state(PurpleConversation *conv, gpointer data)
{
	EsessPeer *peer = esess_peers_for_conv(conv);

	(void)data;
	return peer != NULL ? (gint)peer->ui_state : (gint)ESESS_UI_NOT_PRIVATE;
}

static gpointer
ipc_get_details(PurpleConversation *conv, gpointer data)
{
	(void)data;
	return esess_ui_details(esess_peers_for_conv(conv));
}

static void
register_ipc(PurplePlugin *plugin)
{
	purple_signal_register(plugin, "esessions-state-changed", marshal_VOID__POINTER_INT,
			       NULL, 2,
			       purple_value_new(PURPLE_TYPE_SUBTYPE, PURPLE_SUBTYPE_CONVERSATION),
			       purple_value_new(PURPLE_TYPE_INT));
	purple_plugin_ipc_register(plugin, "start", PURPLE_CALLBACK(ipc_start),
				   purple_marshal_VOID__POINTER, NULL, 1,
				   purple_value_new(PURPLE_TYPE_SUBTYPE, PURPLE_SUBTYPE_CONVERSATION));
	purple_plugin_ipc_register(plugin, "end", PURPLE_CALLBACK(ipc_end),
				   purple_marshal_VOID__POINTER, NULL, 1,
				   purple_value_new(PURPLE_TYPE_SUBTYPE, PURPLE_SUBTYPE_CONVERSATION));
	purple_plugin_ipc_register(plugin, "verify", PURPLE_CALLBACK(ipc_verify),
				   purple_marshal_VOID__POINTER, NULL, 1,
				   purple_value_new(PURPLE_TYPE_SUBTYPE, PURPLE_SUBTYPE_CONVERSATION));
	purple_plugin_ipc_register(plugin, "get-state", PURPLE_CALLBACK(ipc_get_state),
				   marshal_INT__POINTER, purple_value_new(PURPLE_TYPE_INT), 1,
				   purple_value_new(PURPLE_TYPE_SUBTYPE, PURPLE_SUBTYPE_CONVERSATION));
	purple_plugin_ipc_register(plugin, "get-details", PURPLE_CALLBACK(ipc_get_details),
				   purple_marshal_POINTER__POINTER,
				   purple_value_new(PURPLE_TYPE_STRING), 1,
				   purple_value_new(PURPLE_TYPE_SUBTYPE, PURPLE_SUBTYPE_CONVERSATION));
}

/* ---- buddy-list dialogs ---------------------------------------------- */

typedef struct {
	PurpleAccount *account;
	char *who;
} EsessContact;

/* Open "Encryption settings" dialogs (each its own request handle): their
 * callbacks use the account, so they are closed when it is removed and on
 * unload (SECURITY 62: no callback may see a freed account). */
static GList *contact_dialogs;

static void
contact_free(EsessContact *c)
{
	contact_dialogs = g_list_remove(contact_dialogs, c);
	g_free(c->who);
	g_free(c);
}

/* The dialog's callbacks run only while c is listed: Finch calls the
 * cancel callback when a choice dialog is destroyed, also by
 * purple_request_close_with_handle, and c is freed here right after. */
static gboolean
contact_open(EsessContact *c)
{
	return g_list_find(contact_dialogs, c) != NULL;
}

/* account NULL: all */
static void
contact_dialogs_close(PurpleAccount *account)
{
	GList *l, *next;

	for (l = contact_dialogs; l != NULL; l = next) {
		EsessContact *c = l->data;

		next = l->next;
		if (account == NULL || c->account == account) {
			contact_dialogs = g_list_delete_link(contact_dialogs, l);
			purple_request_close_with_handle(c);
			contact_free(c);
		}
	}
}

/* ---- cleanup on libpurple events (SECURITY 62, INTEROP R18) -------- */

static void
signing_off_cb(PurpleConnection *gc, gpointer data)
{
	PurpleAccount *account = purple_connection_get_account(gc);

	gboolean lost = g_hash_table_remove(esess_ctx->conn_lost, account);
	gboolean quiet = esess_ctx->quiet;

	(void)data;
	/* still connected after the user's sign-off: declines and terminate
	 * forms go out (R18); the entries stay, ended (issue 10 item 4), and
	 * no window opens for them */
	esess_ctx->quiet = TRUE;
	esess_hooks_pending_free_all(account, !lost);
	esess_peers_signoff(account, lost);
	/* XEP-0187: fresh options for the time away, while the connection
	 * still carries them */
	if (!lost)
		esess_offline_signing_off(account);
	else
		esess_offline_forget(account);
	esess_pep_forget(account);
	esess_archive_server_forget(account);
	esess_ctx->quiet = quiet;
}

static void
connection_error_cb(PurpleConnection *gc, PurpleConnectionError err, const char *desc,
		    gpointer data)
{
	(void)err;
	(void)desc;
	(void)data;
	/* libpurple signs the account off right after: the sessions ended
	 * because the connection was lost, not by the user (issue 10 item 8) */
	g_hash_table_add(esess_ctx->conn_lost, purple_connection_get_account(gc));
}

static void
account_removed_cb(PurpleAccount *account, gpointer data)
{
	(void)data;
	g_hash_table_remove(esess_ctx->conn_lost, account);
	esess_hooks_pending_free_all(account, FALSE);
	contact_dialogs_close(account);
	esess_ctx->quiet = TRUE;
	esess_peers_remove_account(account, FALSE, ESESS_ERR_SESSION_ENDED);
	esess_pep_forget(account);
	esess_archive_server_account_removed(account);
	esess_archive_migrate_account_removed(account);
	esess_offline_forget(account);
	esess_ui_keys_close(account);
	esess_identity_forget_account(account);
	esess_ctx->quiet = FALSE;
}

static void
buddy_signed_off_cb(PurpleBuddy *buddy, gpointer data)
{
	PurpleAccount *account = purple_buddy_get_account(buddy);
	EsessPeer *peer = esess_peers_find(account, purple_buddy_get_name(buddy));

	(void)data;
	if (peer != NULL && peer->chat != NULL) {
		char *bound = g_strdup(esess_chat_peer(peer->chat));

		esess_peers_peer_gone(account, bound);
		g_free(bound);
	}
}

static void
deleting_conversation_cb(PurpleConversation *conv, gpointer data)
{
	EsessPeer *peer = esess_peers_for_conv(conv);

	(void)data;
	if (peer == NULL)
		return;
	/* closing the conversation ends its session */
	esess_ctx->quiet = TRUE;
	esess_peers_remove(peer, TRUE, ESESS_OK);
	esess_ctx->quiet = FALSE;
}

static gboolean
xmpp_account(PurpleAccount *account)
{
	return g_strcmp0(purple_account_get_protocol_id(account), "prpl-jabber") == 0;
}

static void
signed_on_cb(PurpleConnection *gc, gpointer data)
{
	(void)data;
	g_hash_table_remove(esess_ctx->conn_lost, purple_connection_get_account(gc));
	esess_hooks_add_features();
	if (xmpp_account(purple_connection_get_account(gc))) {
		esess_identity_signed_on(purple_connection_get_account(gc));
		esess_offline_signed_on(purple_connection_get_account(gc));
		esess_archive_server_signed_on(purple_connection_get_account(gc));
	}
}

/* ---- buddy-list menu ------------------------------------------------ */

static void
menu_start_cb(PurpleBlistNode *node, gpointer data)
{
	PurpleBuddy *buddy = (PurpleBuddy *)node;
	PurpleAccount *account = purple_buddy_get_account(buddy);
	PurpleConversation *conv;

	(void)data;
	conv = esess_ui_conv(account, purple_buddy_get_name(buddy));
	if (conv != NULL)
		purple_conversation_present(conv);
	esess_peers_start_user(account, purple_buddy_get_name(buddy));
}

static const EsessPolicy policy_choices[] = {
	ESESS_POLICY_NEVER, ESESS_POLICY_ON_REQUEST,
	ESESS_POLICY_OPPORTUNISTIC, ESESS_POLICY_REQUIRED
};

static void
settings_ok_cb(EsessContact *c, int choice)
{
	if (!contact_open(c))
		return;
	/* choice 0 is "use the account's setting" */
	if (choice <= 0 || (gsize)choice > G_N_ELEMENTS(policy_choices)) {
		esess_policy_set_contact(c->account, c->who, NULL);
	} else {
		esess_policy_set_contact(c->account, c->who,
					 esess_policy_to_string(policy_choices[choice - 1]));
		/* "Never encrypt" for this contact is the user's choice of
		 * unencrypted messages (the rule, esess-policy.c) */
		if (policy_choices[choice - 1] == ESESS_POLICY_NEVER)
			esess_policy_pin(c->account, c->who, FALSE);
	}
	contact_free(c);
}

static void
settings_cancel_cb(EsessContact *c, int choice)
{
	(void)choice;
	if (!contact_open(c))
		return;
	contact_free(c);
}

static void
menu_settings_cb(PurpleBlistNode *node, gpointer data)
{
	PurpleBuddy *buddy = (PurpleBuddy *)node;
	EsessContact *c = g_new0(EsessContact, 1);
	EsessPolicy current;
	int def = 0;
	gsize i;
	char *primary;

	(void)data;
	c->account = purple_buddy_get_account(buddy);
	c->who = g_strdup(purple_buddy_get_name(buddy));
	if (esess_policy_from_string(purple_blist_node_get_string(node, ESESS_SETTING_POLICY),
				     &current))
		for (i = 0; i < G_N_ELEMENTS(policy_choices); i++)
			if (policy_choices[i] == current)
				def = (int)i + 1;
	primary = g_strdup_printf(_("Encryption with %s"), c->who);
	contact_dialogs = g_list_prepend(contact_dialogs, c);
	purple_request_choice(c, _("Encryption settings"), primary,
			      _("When should conversations with this contact be encrypted?"),
			      def, _("_Save"), PURPLE_CALLBACK(settings_ok_cb),
			      _("_Cancel"), PURPLE_CALLBACK(settings_cancel_cb),
			      c->account, c->who, NULL, c,
			      _("Use the account's setting"), 0,
			      esess_policy_label(ESESS_POLICY_NEVER), 1,
			      esess_policy_label(ESESS_POLICY_ON_REQUEST), 2,
			      esess_policy_label(ESESS_POLICY_OPPORTUNISTIC), 3,
			      esess_policy_label(ESESS_POLICY_REQUIRED), 4,
			      NULL);
	g_free(primary);
}

static void
menu_reset_cb(PurpleBlistNode *node, gpointer data)
{
	PurpleBuddy *buddy = (PurpleBuddy *)node;
	PurpleAccount *account = purple_buddy_get_account(buddy);
	char *bare = esess_bare_jid(purple_account_get_username(account));
	EsessStatus st = ESESS_ERR_STORE_IO;

	(void)data;
	if (esess_ctx->store != NULL)
		st = esess_store_forget_peer(esess_ctx->store, bare, purple_buddy_get_name(buddy));
	g_free(bare);
	if (st == ESESS_OK)
		purple_notify_info(esess_ctx->plugin, _("Verification reset"),
				   _("The verification of this contact was reset."),
				   _("The next encrypted session will have to be verified again "
				     "by comparing the short authentication string."));
	else
		purple_notify_error(esess_ctx->plugin, _("Verification reset"),
				    _("The verification could not be reset."),
				    esess_ui_status_sentence(st));
}

/* issue 13 item 4: asks first (esess-archive-server.c) */
static void
menu_forget_cb(PurpleBlistNode *node, gpointer data)
{
	PurpleBuddy *buddy = (PurpleBuddy *)node;

	(void)data;
	esess_archive_server_ask_forget(purple_buddy_get_account(buddy),
					purple_buddy_get_name(buddy));
}

static void
blist_menu_cb(PurpleBlistNode *node, GList **menu, gpointer data)
{
	PurpleBuddy *buddy;

	(void)data;
	if (!PURPLE_BLIST_NODE_IS_BUDDY(node))
		return;
	buddy = (PurpleBuddy *)node;
	if (g_strcmp0(purple_account_get_protocol_id(purple_buddy_get_account(buddy)),
		      "prpl-jabber") != 0)
		return;
	*menu = g_list_append(*menu, purple_menu_action_new(_("Start encrypted session"),
			      PURPLE_CALLBACK(menu_start_cb), NULL, NULL));
	*menu = g_list_append(*menu, purple_menu_action_new(_("Encryption settings..."),
			      PURPLE_CALLBACK(menu_settings_cb), NULL, NULL));
	*menu = g_list_append(*menu, purple_menu_action_new(_("Reset verification"),
			      PURPLE_CALLBACK(menu_reset_cb), NULL, NULL));
	*menu = g_list_append(*menu, purple_menu_action_new(_("Forget encrypted history..."),
			      PURPLE_CALLBACK(menu_forget_cb), NULL, NULL));
}

/* ---- plugin actions --------------------------------------------------- */

static gboolean
xmpp_account_filter(PurpleAccount *account)
{
	return g_strcmp0(purple_account_get_protocol_id(account), "prpl-jabber") == 0;
}

static void
action_start_ok_cb(void *data, PurpleRequestFields *fields)
{
	PurpleAccount *account = purple_request_fields_get_account(fields, "account");
	const char *who = purple_request_fields_get_string(fields, "who");
	PurpleConversation *conv;

	(void)data;
	if (account == NULL || who == NULL || *who == '\0')
		return;
	conv = esess_ui_conv(account, who);
	if (conv != NULL)
		purple_conversation_present(conv);
	esess_peers_start_user(account, who);
}

static void
action_start(PurplePluginAction *action)
{
	PurpleRequestFields *fields = purple_request_fields_new();
	PurpleRequestFieldGroup *group = purple_request_field_group_new(NULL);
	PurpleRequestField *f;

	(void)action;
	f = purple_request_field_account_new("account", _("Account"), NULL);
	purple_request_field_account_set_filter(f, xmpp_account_filter);
	purple_request_field_account_set_show_all(f, FALSE);
	purple_request_field_group_add_field(group, f);
	f = purple_request_field_string_new("who", _("Contact (XMPP address)"), NULL, FALSE);
	purple_request_field_set_required(f, TRUE);
	purple_request_field_group_add_field(group, f);
	purple_request_fields_add_group(fields, group);
	purple_request_fields(esess_ctx->plugin, _("Start an encrypted session"),
			      _("Start an encrypted session"),
			      _("The contact's program must support XEP-0116 encrypted "
				"sessions."), fields,
			      _("_Start"), G_CALLBACK(action_start_ok_cb),
			      _("_Cancel"), NULL, NULL, NULL, NULL, NULL);
}

static void
action_account_ok_cb(void *data, PurpleRequestFields *fields)
{
	PurpleAccount *account = purple_request_fields_get_account(fields, "account");
	int p = purple_request_fields_get_choice(fields, "policy");
	int l = purple_request_fields_get_choice(fields, "logging");

	(void)data;
	if (account == NULL)
		return;
	if (p >= 0 && (gsize)p < G_N_ELEMENTS(policy_choices))
		purple_account_set_string(account, ESESS_SETTING_POLICY,
					  esess_policy_to_string(policy_choices[p]));
	if (l >= 0 && l <= (int)ESESS_LOGPREF_FORBID)
		purple_account_set_string(account, ESESS_SETTING_LOGGING,
					  esess_logpref_to_string((EsessLogPref)l));
}

static void
action_account(PurplePluginAction *action)
{
	PurpleRequestFields *fields = purple_request_fields_new();
	PurpleRequestFieldGroup *group = purple_request_field_group_new(NULL);
	PurpleRequestField *f;
	gsize i;
	int l;

	(void)action;
	f = purple_request_field_account_new("account", _("Account"), NULL);
	purple_request_field_account_set_filter(f, xmpp_account_filter);
	purple_request_field_account_set_show_all(f, FALSE);
	purple_request_field_group_add_field(group, f);
	f = purple_request_field_choice_new("policy", _("When to encrypt"), 2);
	for (i = 0; i < G_N_ELEMENTS(policy_choices); i++)
		purple_request_field_choice_add(f, esess_policy_label(policy_choices[i]));
	purple_request_field_group_add_field(group, f);
	f = purple_request_field_choice_new("logging", _("Keeping records"), 1);
	for (l = 0; l <= (int)ESESS_LOGPREF_FORBID; l++)
		purple_request_field_choice_add(f, esess_logpref_label((EsessLogPref)l));
	purple_request_field_group_add_field(group, f);
	purple_request_fields_add_group(fields, group);
	purple_request_fields(esess_ctx->plugin, _("Encryption settings"),
			      _("Encryption settings for an account"), NULL, fields,
			      _("_Save"), G_CALLBACK(action_account_ok_cb),
			      _("_Cancel"), NULL, NULL, NULL, NULL, NULL);
}

static void
action_migrate(PurplePluginAction *action)
{
	(void)action;
	esess_archive_migrate_action();
}

static GList *
plugin_actions(PurplePlugin *plugin, gpointer context)
{
	GList *l = NULL;

	(void)plugin;
	(void)context;
	l = g_list_append(l, purple_plugin_action_new(_("Start an encrypted session..."),
						      action_start));
	l = g_list_append(l, purple_plugin_action_new(_("Encryption settings for an account..."),
						      action_account));
	l = g_list_append(l, purple_plugin_action_new(_("Encrypt old conversation logs..."),
						      action_migrate));
	return l;
}

/* ---- prefs frame ------------------------------------------------------ */

/* Issue 12: each XMPP account's identity key, in a form people read aloud
 * to compare; a key is not made just because this frame is shown. */
static void
add_identity_prefs(PurplePluginPrefFrame *frame)
{
	GList *l;

	purple_plugin_pref_frame_add(frame,
				     purple_plugin_pref_new_with_label(_("Identity keys")));
	for (l = purple_accounts_get_all(); l != NULL; l = l->next) {
		PurpleAccount *account = l->data;
		const char *fpr;
		char *text;

		if (!xmpp_account(account))
			continue;
		fpr = esess_identity_fingerprint(account);
		if (fpr != NULL)
			text = g_strdup_printf("%s: %s", purple_account_get_username(account), fpr);
		else if (esess_identity_generating(account))
			text = g_strdup_printf(_("%s: being made"),
					       purple_account_get_username(account));
		else
			text = g_strdup_printf(_("%s: none yet (made when first needed)"),
					       purple_account_get_username(account));
		purple_plugin_pref_frame_add(frame, purple_plugin_pref_new_with_label(text));
		g_free(text);
	}
}

static PurplePluginPrefFrame *
get_pref_frame(PurplePlugin *plugin)
{
	PurplePluginPrefFrame *frame = purple_plugin_pref_frame_new();
	PurplePluginPref *pref;
	gsize i;
	int l;

	(void)plugin;
	pref = purple_plugin_pref_new_with_name_and_label(ESESS_PREFS_ROOT "/policy",
							  _("When to encrypt (default for all accounts)"));
	purple_plugin_pref_set_type(pref, PURPLE_PLUGIN_PREF_CHOICE);
	for (i = 0; i < G_N_ELEMENTS(policy_choices); i++)
		purple_plugin_pref_add_choice(pref, esess_policy_label(policy_choices[i]),
					      (gpointer)esess_policy_to_string(policy_choices[i]));
	purple_plugin_pref_frame_add(frame, pref);

	pref = purple_plugin_pref_new_with_name_and_label(ESESS_PREFS_ROOT "/min_modp_bits",
							  _("Smallest key exchange group accepted"));
	purple_plugin_pref_set_type(pref, PURPLE_PLUGIN_PREF_CHOICE);
	purple_plugin_pref_add_choice(pref, _("2048 bits (group 14)"), GINT_TO_POINTER(2048));
	purple_plugin_pref_add_choice(pref, _("3072 bits (group 15)"), GINT_TO_POINTER(3072));
	purple_plugin_pref_add_choice(pref, _("4096 bits (group 16)"), GINT_TO_POINTER(4096));
	purple_plugin_pref_add_choice(pref, _("6144 bits (group 17, slow)"), GINT_TO_POINTER(6144));
	purple_plugin_pref_add_choice(pref, _("8192 bits (group 18, slow)"), GINT_TO_POINTER(8192));
	purple_plugin_pref_frame_add(frame, pref);

	pref = purple_plugin_pref_new_with_name_and_label(ESESS_PREFS_ROOT "/logging",
							  _("Keeping records of encrypted chats"));
	purple_plugin_pref_set_type(pref, PURPLE_PLUGIN_PREF_CHOICE);
	for (l = 0; l <= (int)ESESS_LOGPREF_FORBID; l++)
		purple_plugin_pref_add_choice(pref, esess_logpref_label((EsessLogPref)l),
					      (gpointer)esess_logpref_to_string((EsessLogPref)l));
	purple_plugin_pref_frame_add(frame, pref);
	/* issue 13 item 3 (doc/archive.md): the server sees only ciphertext */
	pref = purple_plugin_pref_new_with_name_and_label(ESESS_PREFS_ARCHIVE_SERVER,
							  _("Keep an encrypted copy of conversation "
							    "history on my server"));
	purple_plugin_pref_frame_add(frame, pref);
	add_identity_prefs(frame);
	return frame;
}

/* ---- load / unload ---------------------------------------------------- */

static EsessStore *
open_store(void)
{
	char *dir = g_build_filename(purple_user_dir(), "esessions", NULL);
	char *path = g_build_filename(dir, "retained-secrets", NULL);
	EsessStore *store = NULL;
	EsessStatus st;

	if (g_mkdir_with_parents(dir, 0700) != 0 || g_chmod(dir, 0700) != 0) {
		purple_debug_error(ESESS_DEBUG, "cannot create the key store directory\n");
		goto out;
	}
	st = esess_store_open(path, &store);
	if (st != ESESS_OK) {
		purple_debug_error(ESESS_DEBUG, "key store: %s\n", esess_status_symbol(st));
		store = NULL;
	}
out:
	g_free(path);
	g_free(dir);
	return store;
}

/* The engine says here, once, when keys leave locked memory because another
 * component set libgcrypt up without room for them (issue 11 item 4). */
static void
crypto_notice_cb(const char *message)
{
	purple_debug_warning(ESESS_DEBUG, "%s\n", message);
}

static gboolean
plugin_load(PurplePlugin *plugin)
{
	PurplePlugin *jabber = purple_find_prpl("prpl-jabber");
	EsessStatus st;

	if (jabber == NULL) {
		plugin->error = g_strdup(_("The XMPP protocol plugin is not available."));
		return FALSE;
	}
	esess_crypto_set_notice_func(crypto_notice_cb);
	st = esess_crypto_init();
	if (st != ESESS_OK) {
		plugin->error = g_strdup(_("The cryptography library could not be started."));
		return FALSE;
	}
	esess_ctx = g_new0(EsessContext, 1);
	esess_ctx->plugin = plugin;
	/* keys and the resources' values name contacts: wiped when freed */
	esess_ctx->caps = g_hash_table_new_full(g_str_hash, g_str_equal, esess_str_free_wiped,
						g_free);
	esess_ctx->resources = g_hash_table_new_full(g_str_hash, g_str_equal,
						     esess_str_free_wiped, esess_str_free_wiped);
	esess_ctx->ended = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	esess_ctx->store = open_store();
	esess_ctx->pool = esess_keypool_new();
	/* SECURITY 58: a peer cannot make us run unbounded negotiations */
	esess_ctx->limiter = esess_limiter_new(ESESS_LIMIT_PER_PEER, ESESS_LIMIT_WINDOW_S,
					       ESESS_LIMIT_IN_FLIGHT);
	/* issue 9 item 7: requests from contacts not on the buddy list */
	esess_ctx->strangers = esess_limiter_new(ESESS_STRANGER_PER_PEER, ESESS_LIMIT_WINDOW_S,
						 ESESS_STRANGER_IN_FLIGHT);
	esess_ctx->conn_lost = g_hash_table_new(g_direct_hash, g_direct_equal);
	esess_peers_init();
	esess_pep_init();
	esess_offline_init();
	esess_identity_init();
	esess_archive_server_init();
	esess_archive_log_init(plugin);

	register_ipc(plugin);
	esess_hooks_connect(plugin);
	esess_ui_connect(plugin);
	esess_hooks_add_features();
	esess_cmd_register();

	purple_signal_connect(purple_connections_get_handle(), "signing-off", plugin,
			      PURPLE_CALLBACK(signing_off_cb), NULL);
	purple_signal_connect(purple_connections_get_handle(), "signed-on", plugin,
			      PURPLE_CALLBACK(signed_on_cb), NULL);
	purple_signal_connect(purple_connections_get_handle(), "connection-error", plugin,
			      PURPLE_CALLBACK(connection_error_cb), NULL);
	purple_signal_connect(purple_accounts_get_handle(), "account-removed", plugin,
			      PURPLE_CALLBACK(account_removed_cb), NULL);
	purple_signal_connect(purple_blist_get_handle(), "buddy-signed-off", plugin,
			      PURPLE_CALLBACK(buddy_signed_off_cb), NULL);
	purple_signal_connect(purple_blist_get_handle(), "blist-node-extended-menu", plugin,
			      PURPLE_CALLBACK(blist_menu_cb), NULL);
	purple_signal_connect(purple_conversations_get_handle(), "deleting-conversation",
			      plugin, PURPLE_CALLBACK(deleting_conversation_cb), NULL);
	esess_peers_pool_kick();
	purple_debug_info(ESESS_DEBUG, "loaded\n");
	return TRUE;
}

static gboolean
plugin_unload(PurplePlugin *plugin)
{
	/* end every session while still connected (R18), then make sure no
	 * timer, idle, dialog or signal can reach a freed object (SECURITY 62) */
	esess_ctx->quiet = TRUE;
	/* the initiators of waiting requests are told now (issue 10 item 9) */
	esess_hooks_pending_free_all(NULL, TRUE);
	contact_dialogs_close(NULL);
	esess_peers_shutdown();
	esess_ui_keys_close(NULL);
	esess_offline_shutdown();
	esess_pep_shutdown();
	esess_archive_migrate_shutdown();
	esess_archive_log_shutdown();
	esess_archive_server_shutdown();
	/* waits for a key generation still running (SECURITY 62) */
	esess_identity_shutdown();
	esess_cmd_unregister();
	purple_signals_disconnect_by_handle(plugin);
	purple_request_close_with_handle(plugin);
	purple_notify_close_with_handle(plugin);
	if (esess_ctx->pool_idle != 0)
		g_source_remove(esess_ctx->pool_idle);
	esess_keypool_free(esess_ctx->pool);
	/* after esess_peers_shutdown: no chat holds a slot any more */
	esess_limiter_free(esess_ctx->limiter);
	esess_limiter_free(esess_ctx->strangers);
	esess_ui_disconnect();
	g_hash_table_destroy(esess_ctx->conn_lost);
	esess_store_free(esess_ctx->store);
	g_hash_table_destroy(esess_ctx->caps);
	g_hash_table_destroy(esess_ctx->resources);
	g_hash_table_destroy(esess_ctx->ended);
	purple_signal_unregister(plugin, "esessions-state-changed");
	g_free(esess_ctx);
	esess_ctx = NULL;
	purple_debug_info(ESESS_DEBUG, "unloaded\n");
	return TRUE;
}

static PurplePluginUiInfo prefs_info = {
	get_pref_frame, 0, NULL, NULL, NULL, NULL, NULL
};

static PurplePluginInfo info = {
	PURPLE_PLUGIN_MAGIC,
	PURPLE_MAJOR_VERSION,
	PURPLE_MINOR_VERSION,
	PURPLE_PLUGIN_STANDARD,
	NULL,
	0,
	NULL,
	PURPLE_PRIORITY_DEFAULT,
	ESESS_PLUGIN_ID,
	NULL, /* name, set in init_plugin (translated) */
	PACKAGE_VERSION,
	NULL,
	NULL,
	"purple-esessions",
	"",
	plugin_load,
	plugin_unload,
	NULL,
	NULL,
	NULL,
	&prefs_info,
	plugin_actions,
	NULL,
	NULL,
	NULL,
	NULL
};

static void
init_plugin(PurplePlugin *plugin)
{
	(void)plugin;
#ifdef ENABLE_NLS
	{
		/* an absolute ESESS_LOCALEDIR serves uninstalled runs (tests), as
		 * in the Pidgin toolbar plugin */
		const char *dir = g_getenv("ESESS_LOCALEDIR");

		bindtextdomain(GETTEXT_PACKAGE,
			       dir != NULL && g_path_is_absolute(dir) ? dir : LOCALEDIR);
		bind_textdomain_codeset(GETTEXT_PACKAGE, "UTF-8");
	}
#endif
	info.name = _("Encrypted Sessions (XMPP)");
	info.summary = _("End-to-end encrypted XMPP chats (XEP-0116 ESessions)");
	info.description = _("Encrypts one-to-one XMPP chats end to end with "
	    "XEP-0116 encrypted sessions and XEP-0200 stanza encryption. "
	    "Verify a contact once by comparing a five-character short "
	    "authentication string.");
	esess_policy_init_prefs();
}

PURPLE_INIT_PLUGIN(esessions, init_plugin, info)
