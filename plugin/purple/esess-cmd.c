/*
 * esess-cmd.c - the /esession command in XMPP conversations:
 *   /esession start | end | status | verify | help
 *   /esession key [export FILE | import FILE | verify | accept | passphrase]
 *                                           (esess-keys.c)
 *   /esession archive fetch | forget        (esess-archive-server.c)
 *   /esession archive migrate               (esess-archive-migrate.c)
 */
#include "config.h"

#include <string.h>

#include "esess-i18n.h"
#include "esess-purple.h"

static PurpleCmdId cmd_id;

static const char *
help_text(void)
{
	return _("esession &lt;start|end|status|verify|key&gt;: encrypted sessions.\n"
		 "start: set up an encrypted session with this contact.\n"
		 "end: end the encrypted session (messages are then sent unencrypted).\n"
		 "status: show whether this conversation is private, with the details.\n"
		 "verify: compare the short authentication string again.\n"
		 "key: show your identity key and this contact's.\n"
		 "key export FILE, key import FILE: copy your identity key to "
		 "your other computers.\n"
		 "key verify: compare identity keys with this contact.\n"
		 "key accept: keep this contact's changed identity key.\n"
		 "key passphrase: protect your identity key with a passphrase.\n"
		 "archive fetch: copy your encrypted history from your server to this "
		 "computer.\n"
		 "archive migrate: encrypt the old plaintext logs of this conversation.\n"
		 "forget: remove the encrypted history with this contact, here and on "
		 "your server (asks first).");
}

static PurpleCmdRet
esession_cmd_cb(PurpleConversation *conv, const gchar *cmd, gchar **args,
		gchar **error, void *data)
{
	PurpleAccount *account = purple_conversation_get_account(conv);
	const char *who = purple_conversation_get_name(conv);
	const char *sub = args != NULL && args[0] != NULL ? args[0] : "";
	EsessPeer *peer;

	(void)cmd;
	(void)data;
	if (strcmp(sub, "start") == 0) {
		esess_peers_start_user(account, who);
	} else if (strcmp(sub, "end") == 0) {
		esess_peers_end(account, who);
	} else if (strcmp(sub, "status") == 0) {
		char *details = esess_ui_details(esess_peers_for_conv(conv));
		/* plain text (the peer's full JID: a resource may hold '<')
		 * written into a conversation that renders markup */
		char *esc = g_markup_escape_text(details, -1);
		char *html = purple_strdup_withhtml(esc);

		esess_ui_system(account, who, html);
		g_free(html);
		g_free(esc);
		g_free(details);
	} else if (strcmp(sub, "verify") == 0) {
		peer = esess_peers_for_conv(conv);
		if (peer == NULL || peer->chat == NULL ||
		    esess_chat_state(peer->chat) != ESESS_CHAT_ESTABLISHED)
			esess_ui_system(account, who, _("There is no private conversation to "
							"verify. Start one with /esession "
							"start."));
		else
			esess_ui_sas_dialog(peer);
	} else if (strcmp(sub, "key") == 0 &&
		   esess_keys_command(account, who, args[1])) {
		/* done there */
	} else if (strcmp(sub, "archive") == 0 && args[1] != NULL &&
		   strcmp(g_strstrip(args[1]), "fetch") == 0) {
		/* issue 13: the server copies this computer does not have yet */
		esess_archive_server_fetch(account, who);
	} else if (strcmp(sub, "forget") == 0) {
		/* issue 13 item 4: after a confirmation */
		esess_archive_server_ask_forget(account, who);
	} else if (strcmp(sub, "archive") == 0 &&
		   esess_archive_migrate_command(account, who, args[1])) {
		/* done there (issue 13 item 4) */
	} else {
		*error = g_strdup(help_text());
		return PURPLE_CMD_RET_FAILED;
	}
	return PURPLE_CMD_RET_OK;
}

void
esess_cmd_register(void)
{
	cmd_id = purple_cmd_register("esession", "ws", PURPLE_CMD_P_PLUGIN,
				     PURPLE_CMD_FLAG_IM | PURPLE_CMD_FLAG_PRPL_ONLY |
				     PURPLE_CMD_FLAG_ALLOW_WRONG_ARGS,
				     "prpl-jabber", esession_cmd_cb, help_text(), NULL);
}

void
esess_cmd_unregister(void)
{
	if (cmd_id != 0)
		purple_cmd_unregister(cmd_id);
	cmd_id = 0;
}
