/*
 * otr-stub.c - lets Debian's pidgin-otr run in the headless test client
 * (tests/e2e/esess-client) so `make bench-e2e` can measure it beside the
 * plugin through the same Prosody (issue 11 item 6).
 *
 * pidgin-otr.so is a Pidgin plugin: it links GTK and 8 Pidgin symbols and
 * shows every event in GTK dialogs.  The benchmark preloads
 * libgtk-x11-2.0.so.0 and this library (LD_PRELOAD).  This library
 *   - defines the 8 Pidgin symbols pidgin-otr needs to load at all (they are
 *     reached only from its GTK code, which never runs here: if one is called
 *     anyway it says so with an "otr unexpected NAME" event);
 *   - replaces pidgin-otr's UI entry points (otrg_ui_*, otrg_dialog_*): they
 *     are global functions that pidgin-otr calls through the PLT, so the
 *     preloaded definitions win.  All are no-ops except
 *       otrg_ui_get_prefs      the OTR policy: v2 and v3 allowed, started
 *                              by hand (pidgin-otr's "enable private
 *                              messaging" without "automatically initiate")
 *       otrg_dialog_connected  where libotr says the AKE finished: prints
 *                              "otr connected PEER MSGSTATE TIME_US";
 *   - adds three slash commands so the driver can use pidgin-otr's own entry
 *     points: /otr-start (pidgin-otr's "Start private conversation": the
 *     default query message), /otr-end (its "End private conversation") and
 *     /otr-state (prints "otr state PEER MSGSTATE TRUST").
 *
 * libotr does all the crypto as in Pidgin; only the display is missing.
 * The account's DSA key is made beforehand (tests/e2e/otr-keygen.c) because
 * pidgin-otr generates keys behind a GTK dialog.
 *
 * Events go to stdout in esess-client's format (tab-separated fields, one
 * line each); fields here never contain tabs or newlines (JIDs, numbers).
 */
#include "config.h"

#include <glib.h>
#include <gmodule.h>
#include <purple.h>
#include <stdio.h>

/* libotr's headers depend on their order (proto.h first, as pidgin-otr) */
#include <libotr/proto.h>
#include <libotr/context.h>
#include <libotr/message.h>

/* pidgin-otr 4.0's preferences struct (common.h / ui.h); newer versions add
 * fields after these two, which the caller owns, so writing only these is
 * right for all of them */
typedef struct {
	OtrlPolicy policy;
	gboolean avoid_logging_otr;
} StubPrefs;

/* pidgin-otr's own functions, looked up in its module at run time */
typedef void (*SendQueryFn)(PurpleConversation *conv);
typedef ConnContext *(*ConvToContextFn)(PurpleConversation *conv, int force_create);
typedef void (*DisconnectFn)(ConnContext *context);

/* ---- prototypes (-Wmissing-prototypes: these are pidgin-otr's names) -- */

void *pidgin_conversations_get_handle(void);
void *pidgin_account_option_menu_get_selected(void);
void *pidgin_account_option_menu_new(void);
void *pidgin_conv_get_window(void);
void pidgin_conv_switch_active_conversation(void);
void *pidgin_conv_window_get_active_gtkconv(void);
void *pidgin_create_prpl_icon(void);
void gtk_imhtml_append_text_with_images(void);

void otrg_ui_init(void);
void otrg_ui_cleanup(void);
void otrg_ui_update_fingerprint(void);
void otrg_ui_update_keylist(void);
void otrg_ui_config_buddy(PurpleBuddy *buddy);
void otrg_ui_get_prefs(StubPrefs *prefsp, PurpleAccount *account, const char *name);

void otrg_dialog_init(void);
void otrg_dialog_cleanup(void);
void otrg_dialog_notify_message(PurpleNotifyMsgType type, const char *accountname,
				const char *protocol, const char *username, const char *title,
				const char *primary, const char *secondary);
void otrg_dialog_notify_error(const char *accountname, const char *protocol,
			      const char *username, const char *title, const char *primary,
			      const char *secondary);
void otrg_dialog_notify_warning(const char *accountname, const char *protocol,
				const char *username, const char *title, const char *primary,
				const char *secondary);
void otrg_dialog_notify_info(const char *accountname, const char *protocol,
			     const char *username, const char *title, const char *primary,
			     const char *secondary);
int otrg_dialog_display_otr_message(const char *accountname, const char *protocol,
				    const char *username, const char *msg, int force_create);
void *otrg_dialog_private_key_wait_start(const char *account, const char *protocol,
					 void *cancel_cb, gpointer user_data);
void otrg_dialog_private_key_wait_done(void *handle);
void otrg_dialog_unknown_fingerprint(OtrlUserState us, const char *accountname,
				     const char *protocol, const char *who,
				     unsigned char fingerprint[20]);
void otrg_dialog_verify_fingerprint(Fingerprint *fprint);
void otrg_dialog_socialist_millionaires(ConnContext *context);
void otrg_dialog_socialist_millionaires_q(ConnContext *context, char *question);
void otrg_dialog_update_smp(ConnContext *context, OtrlSMPEvent smp_event,
			    double progress_level);
void otrg_dialog_connected(ConnContext *context);
void otrg_dialog_disconnected(ConnContext *context);
void otrg_dialog_stillconnected(ConnContext *context);
void otrg_dialog_finished(const char *accountname, const char *protocol,
			  const char *username);
void otrg_dialog_resensitize_all(void);
void otrg_dialog_new_conv(PurpleConversation *conv);
void otrg_dialog_remove_conv(PurpleConversation *conv);

/* ---- output --------------------------------------------------------- */

static void
stub_emit(const char *what, const char *peer, const char *a, const char *b)
{
	printf("otr\t%s\t%s", what, peer != NULL ? peer : "");
	if (a != NULL)
		printf("\t%s", a);
	if (b != NULL)
		printf("\t%s", b);
	putchar('\n');
	fflush(stdout);
}

/* Pidgin symbols reached only from pidgin-otr's GTK code: report a call,
 * which would mean a UI path this library does not cover */
static void
stub_unexpected(const char *name)
{
	stub_emit("unexpected", name, NULL, NULL);
}

/* ---- the 8 Pidgin symbols ------------------------------------------- */

static int stub_pidgin_conv_handle;

void *
pidgin_conversations_get_handle(void)
{
	return &stub_pidgin_conv_handle;
}

void *
pidgin_account_option_menu_get_selected(void)
{
	stub_unexpected("pidgin_account_option_menu_get_selected");
	return NULL;
}

void *
pidgin_account_option_menu_new(void)
{
	stub_unexpected("pidgin_account_option_menu_new");
	return NULL;
}

void *
pidgin_conv_get_window(void)
{
	stub_unexpected("pidgin_conv_get_window");
	return NULL;
}

void
pidgin_conv_switch_active_conversation(void)
{
	stub_unexpected("pidgin_conv_switch_active_conversation");
}

void *
pidgin_conv_window_get_active_gtkconv(void)
{
	stub_unexpected("pidgin_conv_window_get_active_gtkconv");
	return NULL;
}

void *
pidgin_create_prpl_icon(void)
{
	stub_unexpected("pidgin_create_prpl_icon");
	return NULL;
}

void
gtk_imhtml_append_text_with_images(void)
{
	stub_unexpected("gtk_imhtml_append_text_with_images");
}

/* ---- pidgin-otr's functions, from its own module -------------------- */

static gpointer
stub_otr_symbol(const char *name)
{
	PurplePlugin *otr = purple_plugins_find_with_id("otr");
	gpointer sym = NULL;

	if (otr == NULL || otr->handle == NULL ||
	    !g_module_symbol((GModule *)otr->handle, name, &sym))
		return NULL;
	return sym;
}

static ConnContext *
stub_context(PurpleConversation *conv)
{
	ConvToContextFn to_context = (ConvToContextFn)stub_otr_symbol(
		"otrg_plugin_conv_to_selected_context");

	return to_context != NULL ? to_context(conv, 0) : NULL;
}

static const char *
stub_peer(PurpleConversation *conv)
{
	return purple_conversation_get_name(conv);
}

/* ---- slash commands for the driver ---------------------------------- */

static PurpleCmdId stub_cmd_start, stub_cmd_end, stub_cmd_state;

static PurpleCmdRet
stub_start_cb(PurpleConversation *conv, const gchar *cmd, gchar **args, gchar **error,
	      void *data)
{
	SendQueryFn send_query = (SendQueryFn)stub_otr_symbol(
		"otrg_plugin_send_default_query_conv");

	if (send_query == NULL) {
		*error = g_strdup("pidgin-otr has no otrg_plugin_send_default_query_conv");
		return PURPLE_CMD_RET_FAILED;
	}
	send_query(conv);
	return PURPLE_CMD_RET_OK;
}

static PurpleCmdRet
stub_end_cb(PurpleConversation *conv, const gchar *cmd, gchar **args, gchar **error,
	    void *data)
{
	DisconnectFn disconnect = (DisconnectFn)stub_otr_symbol("otrg_plugin_disconnect");
	ConnContext *context = stub_context(conv);

	if (disconnect == NULL || context == NULL) {
		*error = g_strdup("no OTR context to end");
		return PURPLE_CMD_RET_FAILED;
	}
	disconnect(context);
	return PURPLE_CMD_RET_OK;
}

static PurpleCmdRet
stub_state_cb(PurpleConversation *conv, const gchar *cmd, gchar **args, gchar **error,
	      void *data)
{
	ConnContext *context = stub_context(conv);
	char state[16], version[16];

	g_snprintf(state, sizeof(state), "%d", context ? (int)context->msgstate : -1);
	g_snprintf(version, sizeof(version), "%u", context ? context->protocol_version : 0);
	stub_emit("state", stub_peer(conv), state, version);
	return PURPLE_CMD_RET_OK;
}

/* ---- otrg_ui_*: the UI subsystem ------------------------------------ */

void
otrg_ui_init(void)
{
	PurpleCmdFlag flags = PURPLE_CMD_FLAG_IM;

	stub_cmd_start = purple_cmd_register("otr-start", "", PURPLE_CMD_P_PLUGIN, flags, NULL,
					     stub_start_cb, "otr-start: send the OTR query",
					     NULL);
	stub_cmd_end = purple_cmd_register("otr-end", "", PURPLE_CMD_P_PLUGIN, flags, NULL,
					   stub_end_cb, "otr-end: end the OTR session", NULL);
	stub_cmd_state = purple_cmd_register("otr-state", "", PURPLE_CMD_P_PLUGIN, flags, NULL,
					     stub_state_cb, "otr-state: print libotr's state",
					     NULL);
}

void
otrg_ui_cleanup(void)
{
	purple_cmd_unregister(stub_cmd_start);
	purple_cmd_unregister(stub_cmd_end);
	purple_cmd_unregister(stub_cmd_state);
}

void
otrg_ui_update_fingerprint(void)
{
}

void
otrg_ui_update_keylist(void)
{
}

void
otrg_ui_config_buddy(PurpleBuddy *buddy)
{
}

void
otrg_ui_get_prefs(StubPrefs *prefsp, PurpleAccount *account, const char *name)
{
	prefsp->policy = OTRL_POLICY_MANUAL;
	/* pidgin-otr's default; the client does not log anyway */
	prefsp->avoid_logging_otr = TRUE;
}

/* ---- otrg_dialog_*: the dialogs ------------------------------------- */

void
otrg_dialog_init(void)
{
}

void
otrg_dialog_cleanup(void)
{
}

void
otrg_dialog_notify_message(PurpleNotifyMsgType type, const char *accountname,
			   const char *protocol, const char *username, const char *title,
			   const char *primary, const char *secondary)
{
	stub_emit("notify", username, title, primary);
}

void
otrg_dialog_notify_error(const char *accountname, const char *protocol,
			 const char *username, const char *title, const char *primary,
			 const char *secondary)
{
	stub_emit("notify", username, title, primary);
}

void
otrg_dialog_notify_warning(const char *accountname, const char *protocol,
			   const char *username, const char *title, const char *primary,
			   const char *secondary)
{
	stub_emit("notify", username, title, primary);
}

void
otrg_dialog_notify_info(const char *accountname, const char *protocol,
			const char *username, const char *title, const char *primary,
			const char *secondary)
{
	stub_emit("notify", username, title, primary);
}

/* 0: "displayed", so pidgin-otr does not put the control message into the
 * conversation as if the peer had written it */
int
otrg_dialog_display_otr_message(const char *accountname, const char *protocol,
				const char *username, const char *msg, int force_create)
{
	return 0;
}

void *
otrg_dialog_private_key_wait_start(const char *account, const char *protocol,
				   void *cancel_cb, gpointer user_data)
{
	/* the keys are made beforehand; this means one was missing */
	stub_emit("unexpected", "private_key_wait_start", account, NULL);
	return NULL;
}

void
otrg_dialog_private_key_wait_done(void *handle)
{
}

void
otrg_dialog_unknown_fingerprint(OtrlUserState us, const char *accountname,
				const char *protocol, const char *who,
				unsigned char fingerprint[20])
{
}

void
otrg_dialog_verify_fingerprint(Fingerprint *fprint)
{
}

void
otrg_dialog_socialist_millionaires(ConnContext *context)
{
}

void
otrg_dialog_socialist_millionaires_q(ConnContext *context, char *question)
{
}

void
otrg_dialog_update_smp(ConnContext *context, OtrlSMPEvent smp_event, double progress_level)
{
}

static void
stub_emit_context(const char *what, ConnContext *context)
{
	char state[16], when[32];

	g_snprintf(state, sizeof(state), "%d", (int)context->msgstate);
	g_snprintf(when, sizeof(when), "%" G_GINT64_FORMAT, g_get_monotonic_time());
	stub_emit(what, context->username, state, when);
}

void
otrg_dialog_connected(ConnContext *context)
{
	stub_emit_context("connected", context);
}

void
otrg_dialog_disconnected(ConnContext *context)
{
	stub_emit_context("disconnected", context);
}

void
otrg_dialog_stillconnected(ConnContext *context)
{
	stub_emit_context("stillconnected", context);
}

void
otrg_dialog_finished(const char *accountname, const char *protocol, const char *username)
{
	stub_emit("finished", username, NULL, NULL);
}

void
otrg_dialog_resensitize_all(void)
{
}

void
otrg_dialog_new_conv(PurpleConversation *conv)
{
}

void
otrg_dialog_remove_conv(PurpleConversation *conv)
{
}
