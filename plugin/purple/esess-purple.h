/*
 * esess-purple.h - what the files of plugin/purple share.  Adapters only
 * translate (doc/hacking.md): libpurple events in, engine calls (esess-chat.h) out,
 * engine steps back to stanzas and sentences.  No protocol decision here.
 *
 *   esess-plugin.c  registration, load/unload, prefs frame, actions, IPC
 *   esess-hooks.c   jabber-receiving-xmlnode / jabber-sending-xmlnode, presence
 *   esess-cparts.c  encrypted messages taken apart and built on xmlnode trees
 *   esess-peers.c   the table of sessions (account, peer JID, thread) and the
 *                   application of engine steps; cleanup (SECURITY 62)
 *   esess-cmd.c     /esession start|end|status|verify
 *   esess-ui.c      every user-visible sentence and dialog
 *   esess-policy.c  policy per account and per contact, group, logging
 *   esess-identity.c the account's identity key: file, generation, passphrase
 *   esess-pep.c     XEP-0189 over PEP and iq: publish, fetch, direct requests
 *   esess-keys.c    /esession key, and the sentences about identity keys
 *   esess-offline-purple.c XEP-0187 offline messages: options, send, receive
 */
#ifndef ESESS_PURPLE_H
#define ESESS_PURPLE_H

#include <glib.h>
#include <purple.h>

#include "esessions.h" /* the engine: only its installed API */

#define ESESS_PLUGIN_ID "core-esessions"
#define ESESS_PREFS_ROOT "/plugins/core/esessions"
/* how long published offline options stay valid, in seconds: a day of
 * refresh plus margin (XEP-0187 §Security: shortly after the expected
 * return); a hidden pref, for users who are seldom away long and want the
 * offline secrets gone sooner */
#define ESESS_PREFS_OFFLINE_LIFETIME ESESS_PREFS_ROOT "/offline_lifetime"
#define ESESS_OFFLINE_LIFETIME (3 * 24 * 3600)
/* the validity period of our published identity key (XEP-0189 begin/end);
 * the hidden preference shortens it for tests */
#define ESESS_PREFS_IDKEY_LIFETIME ESESS_PREFS_ROOT "/idkey_lifetime"
#define ESESS_IDKEY_LIFETIME (5 * 365 * 24 * 3600)
/* how long a contact's request waits for our identity key's passphrase
 * (seconds): refused before the initiator gives up; the hidden preference
 * shortens it for tests */
#define ESESS_PREFS_KEY_WAIT ESESS_PREFS_ROOT "/key_wait"
#define ESESS_KEY_WAIT (ESESS_NEGOTIATION_TIMEOUT - 10)
#define ESESS_DEBUG "esessions"

#define ESESS_NS_XEP0116 "http://www.xmpp.org/extensions/xep-0116.html#ns"
#define ESESS_NS_SSN "urn:xmpp:ssn"
#define ESESS_NS_PURPLE "urn:xmpp:esessions:purple:0"
#define ESESS_NS_PUBKEY "urn:xmpp:pubkey:2"   /* XEP-0189: PEP node and iq */
/* issue 13: the PEP node of the server copy, and its payload */
#define ESESS_NS_ARCHIVE "urn:xmpp:esessions:purple:archive:0"
/* issue 13: keep an encrypted copy of the history on the user's server */
#define ESESS_PREFS_ARCHIVE_SERVER ESESS_PREFS_ROOT "/archive_server"
/* the largest collection copied to the server, in bytes: its base64 must
 * fit one stanza (Prosody's default c2s limit is 256 KiB); the session's
 * collection is closed and a new one started before it grows past it.  A
 * hidden pref, for servers with another limit */
#define ESESS_PREFS_ARCHIVE_SERVER_MAX ESESS_PREFS_ROOT "/archive_server_max"
#define ESESS_ARCHIVE_SERVER_MAX (180 * 1024)
/* What one fetch from the user's own server takes at most (a hostile or
 * broken server may list any number of items; what is left is fetched by
 * the next fetch, which skips what is already here):
 * - items: each is one request at a time on the account's connection;
 *   1000 are minutes at most over a slow link, and more conversation logs
 *   than anyone reads back at once;
 * - bytes: 64 MiB of disk per fetch, about 85 copies of the largest size
 *   (ESESS_ARCHIVE_MAX_COPY) or thousands of ordinary ones; the first item
 *   of a fetch is always taken, so every fetch makes progress.
 * Hidden prefs may lower them (a metered link), never raise them. */
#define ESESS_PREFS_ARCHIVE_FETCH_ITEMS ESESS_PREFS_ROOT "/archive_server_fetch_items"
#define ESESS_ARCHIVE_FETCH_ITEMS 1000
#define ESESS_PREFS_ARCHIVE_FETCH_BYTES ESESS_PREFS_ROOT "/archive_server_fetch_bytes"
#define ESESS_ARCHIVE_FETCH_BYTES (64 * 1024 * 1024)

/* seconds a negotiation may take before it is abandoned */
#define ESESS_NEGOTIATION_TIMEOUT 60

/* issue 9 item 7: requests from contacts not on the buddy list have their
 * own limiter, so they never hold the ESESS_LIMIT_IN_FLIGHT slots of the
 * user's own sessions and their buddies' */
#define ESESS_STRANGER_PER_PEER 2
#define ESESS_STRANGER_IN_FLIGHT 4

/* the state published through "esessions-state-changed" and "get-state" */
typedef enum {
	ESESS_UI_NOT_PRIVATE = 0,
	ESESS_UI_NEGOTIATING = 1,
	ESESS_UI_UNVERIFIED = 2,
	ESESS_UI_VERIFIED = 3,
	ESESS_UI_ENDED = 4
} EsessUiState;

/* ---- esess-policy.c ---------------------------------------------- */
typedef enum {
	ESESS_POLICY_NEVER,
	ESESS_POLICY_ON_REQUEST,
	ESESS_POLICY_OPPORTUNISTIC,
	ESESS_POLICY_REQUIRED
} EsessPolicy;

#define ESESS_SETTING_POLICY "esessions-policy"   /* account and buddy node */
#define ESESS_SETTING_LOGGING "esessions-logging" /* account */

void esess_policy_init_prefs(void);
EsessPolicy esess_policy_get(PurpleAccount *account, const char *peer);
const char *esess_policy_to_string(EsessPolicy p);
gboolean esess_policy_from_string(const char *s, EsessPolicy *out);
const char *esess_policy_label(EsessPolicy p);
guint esess_policy_min_modp_bits(PurpleAccount *account);
EsessLogPref esess_policy_logging(PurpleAccount *account);
const char *esess_logpref_to_string(EsessLogPref p);
gboolean esess_logpref_from_string(const char *s, EsessLogPref *out);
const char *esess_logpref_label(EsessLogPref p);
/* The groups to offer (RFC 3526 numbers), filtered by the minimum. */
const guint *esess_policy_groups(PurpleAccount *account, gsize *n);
void esess_policy_set_contact(PurpleAccount *account, const char *peer, const char *value);
/* The contacts with whom a session existed and the user has not chosen
 * unencrypted messages since (the rule, written out in esess-policy.c). */
gboolean esess_policy_pinned(PurpleAccount *account, const char *peer);
void esess_policy_pin(PurpleAccount *account, const char *peer, gboolean on);

/* ---- esess-peers.c ------------------------------------------------ */
typedef struct _EsessPeer EsessPeer;

/* Why a session ended when the engine's status does not say it (the user's
 * sign-off or a lost connection end sessions without a protocol event). */
typedef enum {
	ESESS_END_NONE,
	ESESS_END_SIGNOFF,
	ESESS_END_CONNECTION
} EsessEndCause;

struct _EsessPeer {
	PurpleAccount *account;
	char *bare;               /* peer bare JID: the conversation */
	EsessChat *chat;          /* NULL when nothing runs */
	EsessUiState ui_state;
	guint timeout_id;
	gboolean sas_dialog;      /* a SAS dialog (handle: this peer) is open */
	gboolean logging_off;     /* we switched the conversation's log off */
	gboolean saved_logging;
	char *saved_title;        /* the title before we marked it */
	gboolean plain_notice;    /* the "sent in the clear" notice was shown */
	gboolean failed;          /* the last negotiation failed: no session now */
	EsessEndCause end_cause;  /* set while a sign-off ends the session */
	guint8 last_neg[32];      /* digest of the last negotiation stanza received
	                           * (SECURITY 52: an exact duplicate is ignored) */
	gboolean have_last_neg;
};

/* Context of the loaded plugin. */
typedef struct {
	PurplePlugin *plugin;
	EsessStore *store;        /* NULL when the store could not be opened */
	EsessKeyPool *pool;
	EsessLimiter *limiter;    /* SECURITY 58: every chat is admitted here;
	                           * freed after the last chat */
	guint pool_idle;
	GHashTable *caps;         /* "account\npeer full JID" -> caps node */
	GHashTable *resources;    /* "account\npeer bare" -> last available full JID */
	GList *requests;          /* EsessPendingRequest *: asked the user */
	GHashTable *ended;        /* threads of sessions we freed: late stanzas
	                           * (acks, retransmits) are dropped silently */
	EsessLimiter *strangers;  /* issue 9 item 7: requests from contacts not on
	                           * the buddy list are admitted here, so they can
	                           * never hold the slots of the user's own sessions */
	GHashTable *conn_lost;    /* accounts whose connection failed (set on
	                           * connection-error, read at signing-off) */
	PurpleAccount *echo_account; /* a withheld message's echo to hide */
	char *echo_who;
	guint echo_idle;
	gboolean sending_own;     /* our stanza is passing through our send hook */
	gboolean quiet;           /* unloading or closing: open no conversation */
} EsessContext;

extern EsessContext *esess_ctx;

char *esess_peers_key(PurpleAccount *account, const char *jid);
char *esess_bare_jid(const char *jid);
void esess_peers_init(void);
void esess_peers_shutdown(void);
EsessPeer *esess_peers_find(PurpleAccount *account, const char *jid);
EsessPeer *esess_peers_find_thread(PurpleAccount *account, const char *thread);
EsessPeer *esess_peers_get(PurpleAccount *account, const char *jid);
EsessPeer *esess_peers_for_conv(PurpleConversation *conv);
/* Frees peer->chat (remembering its thread) and sets it NULL. */
void esess_peers_free_chat(EsessPeer *peer);
/* Ends and frees one entry.  send_terminate: send the terminate form first
 * (user's wish, sign-off while connected); otherwise abort silently. */
void esess_peers_remove(EsessPeer *peer, gboolean send_terminate, EsessStatus reason);
/* Every entry of the account (NULL: all). */
void esess_peers_remove_account(PurpleAccount *account, gboolean send_terminate,
				EsessStatus reason);
/* Every entry bound to this full JID (presence unavailable). */
void esess_peers_peer_gone(PurpleAccount *account, const char *full_jid);
/* The contact runs this plugin (caps, or a committed-SAS session before). */
gboolean esess_peers_has_plugin(PurpleAccount *account, const char *peer_jid);
void esess_peers_fill_config(EsessPeer *peer, EsessChatConfig *cfg, const char *peer_jid);
void esess_peers_config_clear(EsessChatConfig *cfg);
/* Sends the step's stanzas and shows its event. */
void esess_peers_apply(EsessPeer *peer, EsessStep *step);
void esess_peers_set_state(EsessPeer *peer, EsessUiState st);
/* Starts a negotiation (user, IPC or opportunistic). */
void esess_peers_start(PurpleAccount *account, const char *jid);
/* The user's own start (command, menu, IPC): a protected identity key is
 * unlocked first, so that the session it starts can carry it. */
void esess_peers_start_user(PurpleAccount *account, const char *jid);
void esess_peers_end(PurpleAccount *account, const char *jid);
void esess_peers_send_text(PurpleAccount *account, const char *stanza);
/* jid itself when it has a resource, else the resource last seen available,
 * else the bare JID.  Caller frees. */
char *esess_peers_full_jid(PurpleAccount *account, const char *jid);
void esess_peers_pool_kick(void);
/* The account signs off (lost: the connection failed): every session ends
 * but its entry stays, ended, so nothing typed afterwards goes out in the
 * clear (the rule, esess-policy.c). */
void esess_peers_signoff(PurpleAccount *account, gboolean lost);

/* ---- esess-hooks.c ------------------------------------------------ */
void esess_hooks_connect(PurplePlugin *plugin);
void esess_hooks_disconnect(PurplePlugin *plugin);
void esess_hooks_add_features(void);
gboolean esess_hooks_peer_has(PurpleAccount *account, const char *jid, const char *ns);
/* Closes the request dialogs of the account (NULL: all); decline: answer
 * each initiator with a decline first (while connected) so that nobody
 * waits for a dialog that is gone. */
void esess_hooks_pending_free_all(PurpleAccount *account, gboolean decline);

/* ---- esess-cmd.c -------------------------------------------------- */
void esess_cmd_register(void);
void esess_cmd_unregister(void);

/* ---- esess-ui.c --------------------------------------------------- */
PurpleConversation *esess_ui_conv(PurpleAccount *account, const char *jid);
void esess_ui_system(PurpleAccount *account, const char *jid, const char *text);
void esess_ui_error(PurpleAccount *account, const char *jid, const char *text);
const char *esess_ui_status_sentence(EsessStatus st);
void esess_ui_event(EsessPeer *peer, const EsessStep *step);
void esess_ui_unsent(PurpleAccount *account, const char *jid, const char *body);
void esess_ui_sas_dialog(EsessPeer *peer);
char *esess_ui_details(EsessPeer *peer);
void esess_ui_mark_conv(EsessPeer *peer);
void esess_ui_unmark_conv(EsessPeer *peer);
void esess_ui_plaintext_notice(PurpleAccount *account, const char *jid);
void esess_ui_carbon_notice(PurpleAccount *account, const char *jid);
/* Why an outgoing message was not encrypted (size: step.size of a
 * ESESS_ERR_TOO_LARGE). */
void esess_ui_send_refused(PurpleAccount *account, const char *jid, EsessStatus st, size_t size);
/* A message from jid was not shown (SECURITY 69: never lost without a word). */
void esess_ui_discarded(PurpleAccount *account, const char *jid);
void esess_ui_not_private_notice(PurpleAccount *account, const char *jid, gboolean known);
const char *esess_ui_placeholder(void);
/* replaces: a session with this contact runs; accepting ends it */
void esess_ui_ask_request(PurpleAccount *account, const char *peer, gboolean replaces,
			  gpointer handle, GCallback accept_cb, GCallback refuse_cb);
/* A withheld message: the "not sent" line, and libpurple's echo of it as a
 * sent line is hidden (issue 10 item 8). */
void esess_ui_withheld(PurpleAccount *account, const char *jid, const char *why,
		       const char *body);
void esess_ui_connect(PurplePlugin *plugin);
void esess_ui_disconnect(void);

/* ---- esess-pep.c --------------------------------------------------- */
/* pubkey: the <pubkey/> element as text (a publication: "" when it
 * worked), NULL when there is none or the request failed. */
typedef void (*EsessPepKeyCb)(PurpleAccount *account, const char *bare, const char *pubkey,
			      gpointer data);
void esess_pep_init(void);
void esess_pep_shutdown(void);
void esess_pep_publish(PurpleAccount *account, const char *pubkey_xml, EsessPepKeyCb cb,
		       gpointer data);
/* The contact's PEP node, then a direct request to its full JID. */
void esess_pep_fetch(PurpleAccount *account, const char *bare, EsessPepKeyCb cb, gpointer data);
/* Our own <pubkey/> as our PEP node holds it (NULL: none, or no answer). */
void esess_pep_fetch_own(PurpleAccount *account, EsessPepKeyCb cb, gpointer data);
/* The same for another node (XEP-0187 offline options): item "current"
 * holding item_xml ("" publishes an empty item), with the same node
 * options; a fetch gives the text of the item's child element (no direct
 * request). */
void esess_pep_publish_node(PurpleAccount *account, const char *node, const char *item_xml,
			    EsessPepKeyCb cb, gpointer data);
void esess_pep_fetch_node(PurpleAccount *account, const char *bare, const char *node,
			  const char *child, const char *child_ns, EsessPepKeyCb cb,
			  gpointer data);
/* Adds a field to data form x (XEP-0004), FORM_TYPE as a hidden one: the
 * pubsub options of every node this plugin publishes to. */
void esess_pep_add_field(xmlnode *x, const char *var, const char *value);
/* An incoming iq: TRUE when it was ours (the caller drops it). */
gboolean esess_pep_receive_iq(PurpleAccount *account, xmlnode *iq);
void esess_pep_set_generating(PurpleAccount *account, gboolean on);
void esess_pep_outgoing_presence(PurpleAccount *account, xmlnode *pres);
/* Requests of the account (NULL: all) end unanswered (callbacks run). */
void esess_pep_forget(PurpleAccount *account);

/* ---- esess-offline-purple.c (XEP-0187) ----------------------------- */
void esess_offline_init(void);
void esess_offline_shutdown(void);
void esess_offline_forget(PurpleAccount *account);
/* publishes fresh options (and reads the last set's secrets once) */
void esess_offline_signed_on(PurpleAccount *account);
void esess_offline_signing_off(PurpleAccount *account);
/* TRUE when *packet was an offline-session stanza: shown decrypted or
 * dropped (never answered) */
gboolean esess_offline_receive(PurpleAccount *account, xmlnode **packet);
/* TRUE when the contact shows no online resource */
gboolean esess_offline_contact_away(PurpleAccount *account, const char *jid);
/* Sends payload (the children to encrypt; taken, wiped when done) to the
 * offline contact as an offline session, or tells the user it was not
 * sent; body is what the user typed, for that notice. */
void esess_offline_send(PurpleAccount *account, const char *to, char *payload, size_t len,
			const char *body);

/* ---- esess-identity.c ---------------------------------------------- */
typedef void (*EsessIdentityDoneCb)(PurpleAccount *account, gboolean ok, gpointer data);
void esess_identity_init(void);
void esess_identity_shutdown(void);
void esess_identity_forget_account(PurpleAccount *account);
void esess_identity_signed_on(PurpleAccount *account);
/* TRUE when the account has a key; otherwise its generation starts (in the
 * background) and FALSE is returned. */
gboolean esess_identity_need(PurpleAccount *account);
gboolean esess_identity_generating(PurpleAccount *account);
/* NULL while there is no key. */
const char *esess_identity_fingerprint(PurpleAccount *account);
char *esess_identity_pubkey_xml(PurpleAccount *account);
const EsessPubKey *esess_identity_public(PurpleAccount *account);
/* NULL while locked (see esess_identity_unlock) or absent. */
EsessIdKey *esess_identity_private(PurpleAccount *account);
/* Asks the passphrase (once per start) when the key is locked; cb says
 * whether the private key is available now. */
void esess_identity_unlock(PurpleAccount *account, EsessIdentityDoneCb cb, gpointer data);
/* TRUE when esess_identity_unlock would ask the passphrase now, or wait
 * for the dialog already open (one per account, its answer shared). */
gboolean esess_identity_would_ask(PurpleAccount *account);
EsessStatus esess_identity_export(PurpleAccount *account, const char *file);
/* Rewrites the key file protected by passphrase (NULL or "": none); the
 * private key must be unlocked. */
EsessStatus esess_identity_protect(PurpleAccount *account, const char *passphrase);
EsessStatus esess_identity_import(PurpleAccount *account, const char *file,
				  const char *passphrase);
gboolean esess_identity_file_encrypted(const char *file);
/* A XEP-0189 <pubkey/> text; *jid its <jid/> (g_free), jid may be NULL. */
EsessStatus esess_identity_parse_pubkey2(const char *xml, EsessPubKey **out, char **jid);
/* A contact's fetched <pubkey/>: ESESS_OK and the key when it names bare
 * and its validity holds at now; ESESS_ERR_EXPIRED (begin and end set)
 * when it does not; ESESS_ERR_KEY when it is not a valid key of bare. */
EsessStatus esess_identity_parse_contact_pubkey(const char *xml, const char *bare, gint64 now,
						EsessPubKey **out, gint64 *begin, gint64 *end);

/* ---- esess-archive-log.c ------------------------------------------- */
void esess_archive_log_init(PurplePlugin *plugin);
void esess_archive_log_shutdown(void);
/* TRUE when the peer's session agreed logging `may` and the account has
 * an identity key: its messages go to the encrypted log, and Pidgin's own
 * log of the conversation stays off (issue 13). */
gboolean esess_archive_log_applies(EsessPeer *peer);
/* <user dir>/esessions/archive/<account>/<contact> (contact NULL: the
 * account's folder).  Caller frees. */
char *esess_archive_log_dir(PurpleAccount *account, const char *contact);
void esess_archive_log_binding(PurpleAccount *account, const char *contact, char **own,
			       char **with);
/* TRUE while the collection at path is being written. */
gboolean esess_archive_log_is_open(const char *path);
/* Closes the collections of the account being written (contact NULL: all);
 * upload: their server copy is made. */
void esess_archive_log_close(PurpleAccount *account, const char *contact, gboolean upload);
/* Closes (purple_log_free) the logs of open conversations for which
 * match(log, data) holds; libpurple opens a new one at the conversation's
 * next message. */
void esess_archive_close_logs(gboolean (*match)(PurpleLog *log, gpointer data), gpointer data);

/* ---- esess-archive-server.c ---------------------------------------- */
void esess_archive_server_init(void);
void esess_archive_server_shutdown(void);
gboolean esess_archive_server_enabled(void);
/* ESESS_PREFS_ARCHIVE_SERVER_MAX, within sane bounds. */
guint esess_archive_server_max(void);
/* A collection was closed: its copy goes to the server (when enabled). */
void esess_archive_server_closed(PurpleAccount *account, const char *contact, const char *path);
/* Fetches the server copies this computer does not have; report_to: the
 * conversation told how many (NULL: none). */
void esess_archive_server_fetch(PurpleAccount *account, const char *report_to);
void esess_archive_server_signed_on(PurpleAccount *account);
void esess_archive_server_forget(PurpleAccount *account);
/* ...and its confirmation dialogs are closed. */
void esess_archive_server_account_removed(PurpleAccount *account);
/* "Forget history with this contact": asks first (Cancel is the default),
 * then removes the local collections (overwritten, unlinked) and retracts
 * the server copies, and says how many in the conversation. */
void esess_archive_server_ask_forget(PurpleAccount *account, const char *contact);
/* The session with the peer is established (mustnot: its agreed logging
 * mode is `mustnot`) or not: the server's XEP-0313 preferences leave the
 * contact out for the life of a `mustnot` session (INTEROP R17). */
void esess_archive_server_session(EsessPeer *peer, gboolean mustnot);
/* An incoming iq: TRUE when it answered one of ours (the caller drops it). */
gboolean esess_archive_server_receive_iq(PurpleAccount *account, xmlnode *iq);

/* ---- esess-archive-migrate.c ---------------------------------------- */
/* `/esession archive migrate`: this contact's plaintext logs, with the
 * user's consent; FALSE when rest is not a known subcommand. */
gboolean esess_archive_migrate_command(PurpleAccount *account, const char *who,
				       const char *rest);
/* The plugin action: the plaintext logs of every contact with a record of
 * encrypted sessions, with the user's consent. */
void esess_archive_migrate_action(void);
void esess_archive_migrate_account_removed(PurpleAccount *account);
void esess_archive_migrate_shutdown(void);

/* ---- esess-keys.c -------------------------------------------------- */
gboolean esess_keys_command(PurpleAccount *account, const char *who, const char *rest);
void esess_ui_identity_ready(PurpleAccount *account, const char *fpr);
void esess_ui_identity_locked(PurpleAccount *account, gboolean wrong);
/* The contact's key is not the one on record (held): the warning, and
 * `/esession key accept` may then keep the presented one. */
void esess_ui_key_changed(PurpleAccount *account, const char *bare,
			  const EsessKnownKey *held, const EsessPubKey *presented);
void esess_ui_ask_passphrase(PurpleAccount *account, gpointer handle, GCallback ok_cb,
			     GCallback cancel_cb);
/* A session was established: what it says of the contact's key (R21),
 * the warning when the key changed or is missing. */
void esess_ui_peer_key(EsessPeer *peer);
/* The contact's key in the session, one line for the details (NULL: none). */
char *esess_keys_details_line(EsessPeer *peer);
/* Closes the dialogs and forgets the waiting conversations of the account
 * (NULL: all). */
void esess_ui_keys_close(PurpleAccount *account);

/* ---- esess-plugin.c ----------------------------------------------- */
void esess_plugin_emit_state(PurpleConversation *conv, EsessUiState st);

#endif /* ESESS_PURPLE_H */
