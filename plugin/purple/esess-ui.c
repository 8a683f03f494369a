/*
 * esess-ui.c - every sentence the user sees: conversation system messages,
 * the SAS dialog, the warning for broken continuity, and the one switch that
 * maps an EsessStatus to what happened and what the user can do.  Works in
 * Pidgin and Finch alike (purple_request_* and conversation writes only).
 * Message text (plaintext) is only written with PURPLE_MESSAGE_NO_LOG.
 */
#include "config.h"

#include <string.h>

#include "esess-i18n.h"
#include "esess-purple.h"

PurpleConversation *
esess_ui_conv(PurpleAccount *account, const char *jid)
{
	PurpleConversation *conv;

	if (account == NULL || jid == NULL)
		return NULL;
	conv = purple_find_conversation_with_account(PURPLE_CONV_TYPE_IM, jid, account);
	if (conv == NULL && !esess_ctx->quiet)
		conv = purple_conversation_new(PURPLE_CONV_TYPE_IM, account, jid);
	return conv;
}

static void
write_flags(PurpleAccount *account, const char *jid, const char *text, PurpleMessageFlags flags)
{
	PurpleConversation *conv = esess_ui_conv(account, jid);

	if (conv != NULL)
		purple_conversation_write(conv, NULL, text, flags, time(NULL));
}

void
esess_ui_system(PurpleAccount *account, const char *jid, const char *text)
{
	write_flags(account, jid, text, PURPLE_MESSAGE_SYSTEM);
}

void
esess_ui_error(PurpleAccount *account, const char *jid, const char *text)
{
	write_flags(account, jid, text, PURPLE_MESSAGE_ERROR | PURPLE_MESSAGE_SYSTEM);
}

const char *
esess_ui_placeholder(void)
{
	/* INTEROP R14: the only readable text next to <c/> */
	return _("[This message is encrypted. Your client cannot show it: it needs "
		 "XEP-0116 encrypted sessions.]");
}

/* What happened and what the user can do, for every status (no default:
 * a new status must get a sentence). */
const char *
esess_ui_status_sentence(EsessStatus st)
{
	switch (st) {
	case ESESS_OK:
		return _("Everything went well.");
	case ESESS_ERR_INTERNAL:
		return _("An internal error stopped the encryption. Try again; if it keeps "
			 "happening, restart the program.");
	case ESESS_ERR_NOMEM:
		/* issue 11 item 4: only this session ended */
		return _("The program ran out of memory for this session's keys, so this "
			 "encrypted session was ended; your other sessions go on. Close "
			 "some conversations or restart the program, then try again.");
	case ESESS_ERR_INVALID_ARG:
	case ESESS_ERR_KEY_PASSPHRASE:
		return _("The encrypted session could not be set up for this contact "
			 "(invalid address or settings).");
	case ESESS_ERR_TOO_LARGE:
		return _("A message was too large to handle securely; it was dropped.");
	case ESESS_ERR_BASE64:
	case ESESS_ERR_MPI:
	case ESESS_ERR_INTEGER:
	case ESESS_ERR_UTF8:
	case ESESS_ERR_LENGTH:
	case ESESS_ERR_XML:
	case ESESS_ERR_XML_LIMIT:
	case ESESS_ERR_FORM:
	case ESESS_ERR_MALFORMED:
	case ESESS_ERR_PAYLOAD:
	case ESESS_ERR_KEY:
		return _("Your contact's program sent data that does not follow the "
			 "protocol, so it was refused. Try again, or ask your contact to "
			 "update their program.");
	case ESESS_ERR_UNKNOWN_GROUP:
	case ESESS_ERR_NOT_ACCEPTABLE:
		return _("Your contact's program and yours have no security settings in "
			 "common. Check the encryption settings on both sides.");
	case ESESS_ERR_DH_RANGE:
	case ESESS_ERR_DH_REFLECTED:
	case ESESS_ERR_DH_SHARED:
	case ESESS_ERR_COMMITMENT:
	case ESESS_ERR_IDENTITY:
	case ESESS_ERR_NONCE:
	case ESESS_ERR_NOT_OFFERED:
	case ESESS_ERR_SIGNATURE:
	case ESESS_ERR_KEY_UNKNOWN:
	case ESESS_ERR_REPLAY:
		return _("The key exchange failed a security check. Someone may be "
			 "tampering with the connection. Try again later, and compare the "
			 "short authentication string when it works.");
	case ESESS_ERR_MAC:
	case ESESS_ERR_MAC_LENGTH:
		return _("A message failed its integrity check, so the session was ended "
			 "and the message was not shown. Someone may be tampering with the "
			 "connection. Start a new session to continue.");
	case ESESS_ERR_COUNTER_EXHAUSTED:
	case ESESS_ERR_REKEY:
		return _("The session's keys could not be renewed. Start a new session to "
			 "continue.");
	case ESESS_ERR_SESSION_ENDED:
		return _("The encrypted session has ended. Start a new one with "
			 "/esession start, or go back to unencrypted messages with "
			 "/esession end.");
	case ESESS_ERR_POLICY:
		return _("Your encryption settings do not allow this session. Change them "
			 "in the plugin's preferences if you want it.");
	case ESESS_ERR_STATE:
	case ESESS_ERR_WRONG_PEER:
		return _("A message arrived out of order or from the wrong sender and was "
			 "ignored.");
	case ESESS_ERR_REJECTED:
		return _("Your contact declined the encrypted session.");
	case ESESS_ERR_PEER_ERROR:
		return _("Your contact's program could not set up the encrypted session. "
			 "It may not support it or may have other settings.");
	case ESESS_ERR_RATE_LIMIT:
		/* the engine says the same for the per-contact rate and the
		 * cap on sessions set up at once (issue 10 item 8) */
		return _("Too many encrypted sessions were set up in a short time, with "
			 "this contact or altogether. Wait a minute and try again.");
	case ESESS_ERR_SAS_MISMATCH:
		return _("You said the short authentication strings differ: someone may "
			 "be listening in. The session was ended. Check with your contact "
			 "over another channel before starting a new one.");
	case ESESS_ERR_SAS_DOWNGRADE:
		/* INTEROP R23, SECURITY 63 */
		return _("Your contact's program refused the stronger verification that "
			 "both programs support. Someone may be tampering with the "
			 "connection, so no session was set up. Try again later.");
	case ESESS_ERR_TIMEOUT:
	case ESESS_ERR_EXPIRED:
		return _("Your contact did not answer in time. They may be offline or "
			 "their program may not support encrypted sessions.");
	case ESESS_ERR_STORE_IO:
		return _("The file of saved verification secrets could not be written. "
			 "The session works, but the next one will have to be verified "
			 "again. Check the disk space and permissions of your settings "
			 "folder.");
	case ESESS_ERR_STORE_FORMAT:
		return _("The file of saved verification secrets is damaged and was "
			 "ignored. You will have to verify your contacts again.");
	case ESESS_ERR_PEER_UNREADABLE:
		return _("Your contact's program reported that it could not read your "
			 "last message or messages, so they may not have arrived (someone "
			 "on the connection could also have caused this). Nothing was "
			 "sent unencrypted. Type /esession start for a new encrypted "
			 "session, or /esession end to continue unencrypted.");
	case ESESS_STATUS_COUNT_:
		break;
	}
	return _("An unknown error occurred.");
}

/* A failed negotiation, said as the kind of problem the user can act on
 * (issue 8 item 4): options the two programs do not share, a security
 * check that failed, no answer in time, or the contact's refusal; the
 * debug log names the status and the field. */
static const char *
failure_sentence(EsessStatus st)
{
	if (st == ESESS_ERR_FORM || st == ESESS_ERR_XML || st == ESESS_ERR_XML_LIMIT ||
	    st == ESESS_ERR_BASE64 || st == ESESS_ERR_LENGTH || st == ESESS_ERR_MPI ||
	    st == ESESS_ERR_INTEGER || st == ESESS_ERR_UTF8 || st == ESESS_ERR_UNKNOWN_GROUP ||
	    st == ESESS_ERR_NOT_ACCEPTABLE)
		return _("Your contact's program proposed or answered with encryption "
			 "options that this program does not accept. Check the encryption "
			 "settings on both sides, or ask your contact to update their "
			 "program; the debug window names the option.");
	return esess_ui_status_sentence(st);
}

static char *
spaced_sas(const char *sas)
{
	GString *out = g_string_new(NULL);
	const char *p;

	for (p = sas; p != NULL && *p != '\0'; p = g_utf8_next_char(p)) {
		if (out->len > 0)
			g_string_append(out, "  ");
		g_string_append_len(out, p, g_utf8_next_char(p) - p);
	}
	return g_string_free(out, FALSE);
}

static const char *
logging_sentence(EsessLogging l)
{
	switch (l) {
	case ESESS_LOGGING_MUSTNOT:
		return _("Agreed logging mode: off the record. Neither program keeps a log "
			 "of this conversation, and the server is asked not to archive it.");
	case ESESS_LOGGING_MAY:
		return _("Agreed logging mode: logging allowed. Either side may keep a log "
			 "of this conversation.");
	}
	return "";
}

/* Finch 2.x re-reads a conversation's title only on typing notices (its
 * buddy-typing handler renames the window from purple_conversation_get_title),
 * so after changing the title there, nudge it the same way.  Other UIs follow
 * purple_conversation_set_title by themselves and are left alone. */
static void
refresh_title(PurpleConversation *conv)
{
	const char *ui = purple_core_get_ui();

	if (ui == NULL || strcmp(ui, "gnt-purple") != 0)
		return;
	purple_signal_emit(purple_conversations_get_handle(), "buddy-typing-stopped",
			   purple_conversation_get_account(conv),
			   purple_conversation_get_name(conv));
}

/* Issue 9 item 6, INTEROP R17: what the user types while a session is
 * being set up may belong to an off-the-record session, and libpurple logs
 * its echo of a sent message right away; so the conversation's log is off
 * from the start of a negotiation, and comes back only when the session
 * agrees that logging is allowed, or when no session comes of it. */
static void
log_off(EsessPeer *peer, PurpleConversation *conv)
{
	if (conv == NULL || peer->logging_off)
		return;
	peer->saved_logging = purple_conversation_is_logging(conv);
	peer->logging_off = TRUE;
	purple_conversation_set_logging(conv, FALSE);
}

static void
log_restore(EsessPeer *peer, PurpleConversation *conv)
{
	if (conv != NULL && peer->logging_off)
		purple_conversation_set_logging(conv, peer->saved_logging);
	peer->logging_off = FALSE;
}

void
esess_ui_mark_conv(EsessPeer *peer)
{
	PurpleConversation *conv = esess_ui_conv(peer->account, peer->bare);
	char *title;

	/* INTEROP R17: the server's archive too, with or without a window */
	esess_archive_server_session(peer, peer->chat != NULL &&
				     esess_chat_logging(peer->chat) == ESESS_LOGGING_MUSTNOT);
	if (conv == NULL)
		return;
	if (peer->saved_title == NULL)
		peer->saved_title = g_strdup(purple_conversation_get_title(conv));
	title = g_strdup_printf(peer->ui_state == ESESS_UI_VERIFIED
				? _("%s [private, verified]") : _("%s [private]"),
				peer->saved_title);
	purple_conversation_set_title(conv, title);
	refresh_title(conv);
	g_free(title);
	/* INTEROP R17: no log of an off-the-record session, for its life; and
	 * a `may` session goes to the encrypted log only (issue 13), never in
	 * plaintext under the purple user directory */
	if (peer->chat != NULL && (esess_chat_logging(peer->chat) == ESESS_LOGGING_MUSTNOT ||
				   esess_archive_log_applies(peer)))
		log_off(peer, conv);
	else
		log_restore(peer, conv);
}

void
esess_ui_unmark_conv(EsessPeer *peer)
{
	PurpleConversation *conv = purple_find_conversation_with_account(
		PURPLE_CONV_TYPE_IM, peer->bare, peer->account);

	esess_archive_server_session(peer, FALSE);
	if (conv != NULL && peer->saved_title != NULL) {
		purple_conversation_set_title(conv, peer->saved_title);
		refresh_title(conv);
	}
	log_restore(peer, conv);
	g_free(peer->saved_title);
	peer->saved_title = NULL;
}

/* ---- the SAS dialog ----------------------------------------------- */

/* INTEROP R23, SECURITY 63: with a peer that does not offer the committed
 * SAS (Gajim) the legacy one can be ground by a man in the middle; the user
 * is told, in the dialog, the session messages and the details. */
static const char *
weaker_sas_sentence(void)
{
	return _("This is the weaker check: your contact's program only supports the "
		 "older kind of string, which an attacker with enough computing power "
		 "can make match. A match is good evidence, but not proof that nobody "
		 "is listening in.");
}

static void
sas_answer(EsessPeer *peer, gboolean match)
{
	EsessStep step;
	EsessStatus st;

	peer->sas_dialog = FALSE;
	if (peer->chat == NULL || esess_chat_state(peer->chat) != ESESS_CHAT_ESTABLISHED)
		return;
	esess_step_init(&step);
	st = esess_chat_sas_result(peer->chat, match, &step);
	if (match) {
		if (st == ESESS_OK) {
			esess_peers_set_state(peer, ESESS_UI_VERIFIED);
			esess_ui_mark_conv(peer);
			esess_ui_system(peer->account, peer->bare,
					_("You confirmed the short authentication string: this "
					  "private conversation is verified. Later sessions with "
					  "this contact will be verified automatically."));
		} else {
			esess_ui_error(peer->account, peer->bare, esess_ui_status_sentence(st));
		}
	} else {
		purple_notify_warning(peer, _("Possible eavesdropper"),
				      _("The short authentication strings differ"),
				      esess_ui_status_sentence(ESESS_ERR_SAS_MISMATCH));
	}
	esess_peers_apply(peer, &step);
	esess_step_clear(&step);
}

static void
sas_match_cb(EsessPeer *peer, int index)
{
	(void)index;  /* doc/hacking.md pitfall 6: one callback per button */
	sas_answer(peer, TRUE);
}

static void
sas_differ_cb(EsessPeer *peer, int index)
{
	(void)index;
	sas_answer(peer, FALSE);
}

static void
sas_later_cb(EsessPeer *peer, int index)
{
	(void)index;
	peer->sas_dialog = FALSE;
	esess_ui_system(peer->account, peer->bare,
			_("The conversation is private but not verified. Type /esession "
			  "verify to compare the short authentication string later."));
}

void
esess_ui_sas_dialog(EsessPeer *peer)
{
	PurpleConversation *conv;
	char *sas, *primary, *secondary;

	if (peer->chat == NULL || esess_chat_state(peer->chat) != ESESS_CHAT_ESTABLISHED ||
	    esess_chat_sas(peer->chat) == NULL)
		return;
	if (peer->sas_dialog)
		purple_request_close_with_handle(peer);
	conv = esess_ui_conv(peer->account, peer->bare);
	sas = spaced_sas(esess_chat_sas(peer->chat));
	primary = g_strdup_printf(_("Short authentication string:  %s"), sas);
	if (esess_chat_sas_committed(peer->chat))
		secondary = g_strdup_printf(_("Read this string to %s over a channel you trust, "
					      "for example a phone call, and listen to theirs. "
					      "If both are the same, nobody is listening in."),
					    peer->bare);
	else
		secondary = g_strdup_printf("%s\n\n%s",
					    _("Read this string to your contact over a channel "
					      "you trust, for example a phone call, and listen "
					      "to theirs."), weaker_sas_sentence());
	peer->sas_dialog = TRUE;
	purple_request_action(peer, _("Verify the encrypted session"), primary, secondary, 0,
			      peer->account, peer->bare, conv, peer, 3,
			      _("They match"), PURPLE_CALLBACK(sas_match_cb),
			      _("They differ"), PURPLE_CALLBACK(sas_differ_cb),
			      _("Later"), PURPLE_CALLBACK(sas_later_cb));
	g_free(sas);
	g_free(primary);
	g_free(secondary);
}

/* ---- events --------------------------------------------------------- */

static void
established(EsessPeer *peer)
{
	char *sas = spaced_sas(esess_chat_sas(peer->chat));
	char *text;

	switch (esess_chat_continuity(peer->chat)) {
	case ESESS_CONT_VERIFIED:
		peer->ui_state = ESESS_UI_VERIFIED;
		esess_ui_mark_conv(peer);
		esess_peers_set_state(peer, ESESS_UI_VERIFIED);
		esess_ui_system(peer->account, peer->bare,
				_("Private and verified: this session continues a chain of "
				  "sessions you verified with this contact."));
		break;
	case ESESS_CONT_NEW:
	case ESESS_CONT_UNVERIFIED:
		peer->ui_state = ESESS_UI_UNVERIFIED;
		esess_ui_mark_conv(peer);
		esess_peers_set_state(peer, ESESS_UI_UNVERIFIED);
		text = g_strdup_printf(_("Private but not verified. Short authentication "
					 "string: %s. Compare it with your contact over a "
					 "channel you trust (for example a phone call); if it "
					 "is the same on both sides, choose \"They match\". "
					 "Type /esession verify to compare later."), sas);
		esess_ui_system(peer->account, peer->bare, text);
		g_free(text);
		if (!esess_chat_sas_committed(peer->chat))
			esess_ui_system(peer->account, peer->bare, weaker_sas_sentence());
		esess_ui_sas_dialog(peer);
		break;
	case ESESS_CONT_BROKEN:
		if (esess_chat_sas_fallback(peer->chat)) {
			/* R23: no silent fallback to the legacy SAS; its match
			 * proves nothing here, so no dialog invites one */
			peer->ui_state = ESESS_UI_UNVERIFIED;
			esess_ui_mark_conv(peer);
			esess_peers_set_state(peer, ESESS_UI_UNVERIFIED);
			esess_ui_error(peer->account, peer->bare,
				       _("Warning: possible attack. Earlier sessions with this "
					 "contact used the stronger check, but this one only "
					 "has the weaker one. Either your contact changed "
					 "programs, or someone is intercepting the conversation "
					 "and hiding the stronger check. Matching strings prove "
					 "nothing this time: say nothing private, and check with "
					 "your contact over a channel you trust."));
			purple_notify_warning(peer, _("Possible attack"),
					      _("The stronger check is missing"),
					      _("Earlier sessions with this contact used the "
						"stronger check; this one does not. Someone may be "
						"intercepting the conversation. If your contact "
						"really changed programs, reset the verification of "
						"this contact in the buddy list menu."));
			break;
		}
		peer->ui_state = ESESS_UI_UNVERIFIED;
		esess_ui_mark_conv(peer);
		esess_peers_set_state(peer, ESESS_UI_UNVERIFIED);
		text = g_strdup_printf(_("Warning: possible attack. Your contact's program "
					 "did not know the secret of your earlier sessions. "
					 "Either they reinstalled or lost their settings, or "
					 "someone is intercepting the conversation. Compare the "
					 "short authentication string %s with them over a "
					 "channel you trust before saying anything private."),
				       sas);
		esess_ui_error(peer->account, peer->bare, text);
		g_free(text);
		purple_notify_warning(peer, _("Possible attack"),
				      _("The chain of verified sessions is broken"),
				      _("Your contact did not know the secret of your earlier "
					"sessions. They may have reinstalled, or someone may be "
					"intercepting the conversation. Compare the short "
					"authentication string before trusting it."));
		esess_ui_sas_dialog(peer);
		break;
	}
	esess_ui_system(peer->account, peer->bare,
			logging_sentence(esess_chat_logging(peer->chat)));
	g_free(sas);
}

static const char *
end_cause_sentence(EsessEndCause cause)
{
	switch (cause) {
	case ESESS_END_NONE:
		break;
	case ESESS_END_SIGNOFF:
		return _("You signed off, so the encrypted session ended.");
	case ESESS_END_CONNECTION:
		return _("The connection to the server was lost, so the encrypted "
			 "session ended.");
	}
	return "";
}

void
esess_ui_event(EsessPeer *peer, const EsessStep *step)
{
	PurpleConversation *conv;
	char *text;

	switch (step->event) {
	case ESESS_EV_NONE:
	case ESESS_EV_MESSAGE:
	case ESESS_EV_PLAINTEXT:
		break;
	case ESESS_EV_NEGOTIATING:
		/* a request we answer opens no window before the session is up
		 * (issue 9 item 7): a stranger's request costs no conversation */
		conv = peer->chat != NULL && !esess_chat_is_initiator(peer->chat)
			? purple_find_conversation_with_account(PURPLE_CONV_TYPE_IM,
								peer->bare, peer->account)
			: esess_ui_conv(peer->account, peer->bare);
		log_off(peer, conv);
		esess_peers_set_state(peer, ESESS_UI_NEGOTIATING);
		text = g_strdup_printf(_("Setting up an encrypted session with %s..."),
				       peer->bare);
		if (conv != NULL)
			purple_conversation_write(conv, NULL, text, PURPLE_MESSAGE_SYSTEM,
						  time(NULL));
		g_free(text);
		break;
	case ESESS_EV_ESTABLISHED:
		established(peer);
		break;
	case ESESS_EV_QUEUED:
		/* before libpurple logs its echo of the queued message */
		log_off(peer, esess_ui_conv(peer->account, peer->bare));
		esess_ui_system(peer->account, peer->bare,
				_("Your message will be sent as soon as the encrypted session "
				  "is ready."));
		break;
	case ESESS_EV_ENDED:
		if (peer->sas_dialog) {
			peer->sas_dialog = FALSE;
			purple_request_close_with_handle(peer);
		}
		esess_ui_unmark_conv(peer);
		esess_peers_set_state(peer, ESESS_UI_ENDED);
		if (peer->end_cause != ESESS_END_NONE)
			text = g_strdup_printf("%s %s", end_cause_sentence(peer->end_cause),
					       _("Messages you type now are not sent: type "
						 "/esession start for a new encrypted session or "
						 "/esession end to continue unencrypted."));
		else if (step->status == ESESS_OK && step->by_peer)
			text = g_strdup_printf(_("%s ended the encrypted session. Messages you "
						 "type now are not sent: type /esession end "
						 "to continue unencrypted or /esession start "
						 "for a new encrypted session."), peer->bare);
		else if (step->status == ESESS_OK)
			text = g_strdup(_("You ended the encrypted session."));
		else
			text = g_strdup_printf(_("The encrypted session ended. %s"),
					       esess_ui_status_sentence(step->status));
		esess_ui_system(peer->account, peer->bare, text);
		g_free(text);
		break;
	case ESESS_EV_FAILED:
		esess_ui_unmark_conv(peer);
		esess_peers_set_state(peer, ESESS_UI_NOT_PRIVATE);
		text = g_strdup_printf(_("No encrypted session could be set up. %s"),
				       peer->end_cause != ESESS_END_NONE
				       ? end_cause_sentence(peer->end_cause)
				       : failure_sentence(step->status));
		esess_ui_error(peer->account, peer->bare, text);
		g_free(text);
		break;
	case ESESS_EV_REJECTED:
		esess_ui_unmark_conv(peer);
		esess_peers_set_state(peer, ESESS_UI_NOT_PRIVATE);
		text = g_strdup_printf(_("%s declined the encrypted session."), peer->bare);
		esess_ui_system(peer->account, peer->bare, text);
		g_free(text);
		break;
	}
}

void
esess_ui_unsent(PurpleAccount *account, const char *jid, const char *body)
{
	char *esc = g_markup_escape_text(body ? body : "", -1);
	char *text = g_strdup_printf(_("This message was NOT sent: %s"), esc);

	/* the text is plaintext: never into a log (R17) */
	write_flags(account, jid, text, PURPLE_MESSAGE_ERROR | PURPLE_MESSAGE_SYSTEM |
		    PURPLE_MESSAGE_NO_LOG);
	g_free(text);
	g_free(esc);
}

/* ---- withheld messages: the echo must not look sent ----------------- */

static gboolean
echo_clear_cb(gpointer data)
{
	(void)data;
	esess_ctx->echo_idle = 0;
	esess_ctx->echo_account = NULL;
	esess_str_free_wiped(esess_ctx->echo_who);
	esess_ctx->echo_who = NULL;
	return FALSE;
}

void
esess_ui_withheld(PurpleAccount *account, const char *jid, const char *why,
		  const char *body)
{
	if (why != NULL)
		esess_ui_error(account, jid, why);
	esess_ui_unsent(account, jid, body);
	/* libpurple writes its "sent" line right after the XMPP plugin
	 * returns, in the same call: hide that one echo (issue 10 item 8) */
	esess_ctx->echo_account = account;
	esess_str_free_wiped(esess_ctx->echo_who);
	esess_ctx->echo_who = esess_bare_jid(jid);
	if (esess_ctx->echo_idle == 0)
		esess_ctx->echo_idle = g_idle_add(echo_clear_cb, NULL);
}

static gboolean
writing_im_msg_cb(PurpleAccount *account, const char *who, char **message,
		  PurpleConversation *conv, PurpleMessageFlags flags, gpointer data)
{
	char *bare;
	gboolean hide;

	(void)who;
	(void)message;
	(void)data;
	if (esess_ctx == NULL || esess_ctx->echo_who == NULL || !(flags & PURPLE_MESSAGE_SEND) ||
	    account != esess_ctx->echo_account || conv == NULL)
		return FALSE;
	bare = esess_bare_jid(purple_conversation_get_name(conv));
	hide = g_strcmp0(bare, esess_ctx->echo_who) == 0;
	g_free(bare);
	if (hide) {
		/* one echo per withheld message; returning TRUE also keeps it
		 * out of the log */
		esess_str_free_wiped(esess_ctx->echo_who);
		esess_ctx->echo_who = NULL;
		esess_ctx->echo_account = NULL;
	}
	return hide;
}

void
esess_ui_connect(PurplePlugin *plugin)
{
	purple_signal_connect(purple_conversations_get_handle(), "writing-im-msg", plugin,
			      PURPLE_CALLBACK(writing_im_msg_cb), NULL);
}

void
esess_ui_disconnect(void)
{
	if (esess_ctx->echo_idle != 0)
		g_source_remove(esess_ctx->echo_idle);
	esess_ctx->echo_idle = 0;
	esess_str_free_wiped(esess_ctx->echo_who);
	esess_ctx->echo_who = NULL;
}

void
esess_ui_plaintext_notice(PurpleAccount *account, const char *jid)
{
	/* not "your contact": anyone on the way, the server included, can
	 * put a plaintext message on the session (issue 10 item 8) */
	esess_ui_error(account, jid, _("The next message was NOT encrypted: it arrived "
				       "outside the encrypted session, so it may not come "
				       "from your contact and others may have read it."));
}

void
esess_ui_carbon_notice(PurpleAccount *account, const char *jid)
{
	esess_ui_system(account, jid, _("An encrypted message was exchanged with this "
					"contact on another of your devices; it was "
					"encrypted for that device and cannot be shown "
					"here."));
}

void
esess_ui_send_refused(PurpleAccount *account, const char *jid, EsessStatus st, size_t size)
{
	char *text;

	if (st == ESESS_ERR_TOO_LARGE) {
		/* SECURITY 70: the receiver's limit, in the user's units */
		text = g_strdup_printf(_("This message is too long to send encrypted (%lu KiB; "
					 "the limit is %lu KiB). Split it into smaller "
					 "messages."),
				       (unsigned long)((size + 1023) / 1024),
				       (unsigned long)(esess_chat_max_payload() / 1024));
		esess_ui_error(account, jid, text);
		g_free(text);
	} else if (st == ESESS_ERR_XML_LIMIT) {
		esess_ui_error(account, jid, _("This message has too much formatting (nesting "
					       "or elements) to send encrypted. Send it with "
					       "less formatting, or split it into smaller "
					       "messages."));
	} else {
		esess_ui_error(account, jid, esess_ui_status_sentence(st));
	}
}

void
esess_ui_discarded(PurpleAccount *account, const char *jid)
{
	char *bare, *text;

	if (jid == NULL)
		return;
	bare = esess_bare_jid(jid);
	text = g_strdup_printf(_("A message from %s could not be decrypted and was "
				 "discarded. Ask them to send it again in a new "
				 "encrypted session."), bare);
	esess_ui_error(account, bare, text);
	g_free(text);
	g_free(bare);
}

void
esess_ui_not_private_notice(PurpleAccount *account, const char *jid, gboolean known)
{
	/* issue 10 item 5: say "does not support" only when it is known */
	esess_ui_system(account, jid, known
			? _("Your message is sent unencrypted: this contact's program does "
			    "not support encrypted sessions.")
			: _("Your message is sent unencrypted: this contact's program has not "
			    "said yet whether it supports encrypted sessions."));
}

void
esess_ui_ask_request(PurpleAccount *account, const char *peer, gboolean replaces,
		     gpointer handle, GCallback accept_cb, GCallback refuse_cb)
{
	char *primary = g_strdup_printf(_("%s wants an encrypted session"), peer);

	/* SECURITY 65: anyone on the way can send a request; the running
	 * session ends only if the user says so */
	purple_request_action(handle, _("Encrypted session request"), primary,
			      replaces
			      ? _("An encrypted session with this contact is running. Accept "
				  "to end it and set up a new one (do so only if your contact "
				  "restarted their program). Refuse to keep the current "
				  "session.")
			      : _("Accept to make this conversation private (encrypted end to "
				  "end). Refuse to keep it unencrypted."), 0,
			      account, peer, NULL, handle, 2,
			      _("Accept"), accept_cb,
			      _("Refuse"), refuse_cb);
	g_free(primary);
}

char *
esess_ui_details(EsessPeer *peer)
{
	GString *s;
	const char *state = _("Not private");
	char *sas, *line;
	time_t since;

	/* the string only once it is returned: this early return leaked it */
	if (peer == NULL || peer->chat == NULL)
		return g_strdup(_("Not private: no encrypted session."));
	s = g_string_new(NULL);
	switch (esess_chat_state(peer->chat)) {
	case ESESS_CHAT_NEGOTIATING:
		state = _("Setting up the encrypted session");
		break;
	case ESESS_CHAT_ESTABLISHED:
		state = esess_chat_verified(peer->chat) ? _("Private and verified")
			: _("Private but not verified");
		break;
	case ESESS_CHAT_ENDED:
		state = _("Ended");
		break;
	}
	g_string_append_printf(s, _("State: %s\n"), state);
	g_string_append_printf(s, _("Contact: %s\n"), esess_chat_peer(peer->chat));
	if (esess_chat_state(peer->chat) != ESESS_CHAT_ESTABLISHED)
		return g_string_free(s, FALSE);
	g_string_append_printf(s, _("Encryption: %s\n"), esess_chat_cipher(peer->chat));
	g_string_append_printf(s, _("Key exchange group: %u\n"), esess_chat_group(peer->chat));
	g_string_append_printf(s, _("Logging: %s\n"),
			       esess_chat_logging(peer->chat) == ESESS_LOGGING_MUSTNOT
			       ? _("off the record") : _("allowed"));
	sas = spaced_sas(esess_chat_sas(peer->chat));
	g_string_append_printf(s, _("Short authentication string: %s\n"), sas);
	g_free(sas);
	if (esess_chat_sas_committed(peer->chat))
		g_string_append(s, _("Check: the stronger one\n"));
	else
		g_string_append_printf(s, _("Check: the weaker one. %s\n"), weaker_sas_sentence());
	since = (time_t)(esess_chat_since(peer->chat) / G_USEC_PER_SEC);
	g_string_append_printf(s, _("Since: %s\n"), purple_date_format_long(localtime(&since)));
	/* issue 12: the contact's key in this session, and the key this
	 * account is known by (never made from here) */
	line = esess_keys_details_line(peer);
	if (line != NULL) {
		g_string_append(s, line);
		g_string_append_c(s, '\n');
		g_free(line);
	}
	/* (our own key) */
	if (esess_identity_fingerprint(peer->account) != NULL) {
		g_string_append_printf(s, _("Your identity key: %s"),
				       esess_identity_fingerprint(peer->account));
		g_string_append_c(s, '\n');
	}
	return g_string_free(s, FALSE);
}
