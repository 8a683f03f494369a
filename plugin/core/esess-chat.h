/*
 * esess-chat.h - the engine's façade for one ESession with one peer: the
 * XEP-0155/0116 negotiation, then the XEP-0200 session, then termination.
 * Sans-I/O: every call takes stanza text or a parsed stanza and returns an
 * EsessStep (stanzas to send + one event).  The adapter sends, shows and
 * times out; it makes no protocol decision.
 *
 * Stanzas in and out are whole <message/> elements as XML text in the
 * jabber:client namespace (the adapter converts to and from libpurple's
 * xmlnode).  Negotiation messages follow INTEROP R1, R12, R13; encrypted
 * messages R14-R16; termination R18; peer quirks R20 (esess-quirks).
 *
 * INTEROP Rn = doc/wire-profile.md, SECURITY n = doc/threat-model.md.
 */
#ifndef ESESS_CHAT_H
#define ESESS_CHAT_H

#include <glib.h>
#include <stddef.h>

#include "esess-status.h"
#include "esess-xml.h"

G_BEGIN_DECLS

typedef struct _EsessChat EsessChat;
typedef struct _EsessStore EsessStore;     /* esess-store.h */
typedef struct _EsessKeyPool EsessKeyPool; /* prepared DH key pairs, below */
typedef struct _EsessLimiter EsessLimiter; /* rate limit and cap, below */
typedef struct _EsessNegFixed EsessNegFixed; /* esess-negotiate.h: tests only */
typedef struct _EsessIdKey EsessIdKey;     /* esess-idkey.h */
typedef struct _EsessPubKey EsessPubKey;   /* esess-idkey.h */

/* XEP-0136 archiving preference (DIGEST §10.1 tables) */
typedef enum {
	ESESS_LOGPREF_REQUIRE,  /* off the record only: offer mustnot */
	ESESS_LOGPREF_PREFER,   /* mustnot, may */
	ESESS_LOGPREF_APPROVE,  /* mustnot, may */
	ESESS_LOGPREF_CONCEDE,  /* may, mustnot */
	ESESS_LOGPREF_OPPOSE,   /* may, mustnot */
	ESESS_LOGPREF_FORBID    /* may only */
} EsessLogPref;

/* the agreed `logging` value */
typedef enum {
	ESESS_LOGGING_MAY,
	ESESS_LOGGING_MUSTNOT
} EsessLogging;

/* what the retained secrets said about this session (INTEROP R9) */
typedef enum {
	ESESS_CONT_NEW,         /* no retained secret held for this peer: first session */
	ESESS_CONT_UNVERIFIED,  /* continues a chain never confirmed by SAS */
	ESESS_CONT_VERIFIED,    /* continues a chain confirmed by SAS */
	ESESS_CONT_BROKEN       /* secrets were held but none matched: possible attack */
} EsessContinuity;

/* The peer's public key in an established session (INTEROP R21, issue
 * 12), against the one the store holds for the peer.  CHANGED and MISSING
 * must be shown as a warning, like an SSH host-key change: the held key
 * is never replaced without the user (esess_chat_sas_result, or the
 * adapter's esess_store_key_set). */
typedef enum {
	ESESS_PEER_KEY_NONE,     /* no key in this session and none held */
	ESESS_PEER_KEY_NEW,      /* the first key seen for the peer: now held, unverified */
	ESESS_PEER_KEY_KNOWN,    /* the held key, not verified yet */
	ESESS_PEER_KEY_VERIFIED, /* the held key, verified by the user: the session is
	                          * verified even with no retained secret */
	ESESS_PEER_KEY_CHANGED,  /* another key than the held one (which stays held) */
	ESESS_PEER_KEY_MISSING   /* a key is held but the peer proved none */
} EsessPeerKeyStatus;

typedef enum {
	ESESS_CHAT_NEGOTIATING,
	ESESS_CHAT_ESTABLISHED,
	ESESS_CHAT_ENDED,       /* terminated normally, or after a failure */
} EsessChatState;

typedef enum {
	ESESS_EV_NONE,             /* nothing to tell the user */
	ESESS_EV_NEGOTIATING,      /* a negotiation started (request sent or accepted) */
	ESESS_EV_ESTABLISHED,      /* keys agreed: SAS, continuity and logging are ready;
	                            * queued messages are in send, encrypted */
	ESESS_EV_MESSAGE,          /* deliver holds a decrypted stanza to show */
	ESESS_EV_QUEUED,           /* an outgoing message is held until established (R16) */
	ESESS_EV_PLAINTEXT,        /* deliver holds a plaintext stanza the peer sent while
	                            * the session is up: show it marked "not encrypted" */
	ESESS_EV_ENDED,            /* the session ended normally (status ESESS_OK) or was
	                            * ended by a failure (status says why) */
	ESESS_EV_FAILED,           /* the negotiation failed; status says why */
	ESESS_EV_REJECTED          /* the peer declined the session */
} EsessEvent;

#define ESESS_STEP_FIELD_MAX 32

typedef struct {
	EsessEvent event;
	EsessStatus status;        /* why, for ENDED / FAILED / REJECTED */
	char field[ESESS_STEP_FIELD_MAX]; /* FAILED: the form field the failure concerns
	                            * ("modp", "identity", ...), "" when none: for the
	                            * debug log (issue 8 item 4); never peer text */
	gboolean by_peer;          /* ENDED / FAILED: the peer ended it or sent the error */
	GPtrArray *send;           /* char *: complete <message/> stanzas to send, in order */
	char *deliver;             /* MESSAGE / PLAINTEXT: the <message/> to show */
	GPtrArray *unsent;         /* char *: bodies (plain text) of queued messages that
	                            * were not sent because the session failed or ended */
	size_t size;               /* esess_chat_encrypt's ESESS_ERR_TOO_LARGE: the size
	                            * of the refused payload in bytes */
} EsessStep;

/* The largest payload (the serialised children that go inside <c/>, R14)
 * that a receiver accepts (issue 10 item 2, SECURITY 70).  A receiver parses
 * the whole stanza within esess_xml_default_limits (256 KiB, one text of at
 * most 192 KiB); <data/> is the base64 (4/3) of the payload padded to whole
 * blocks, and ESESS_STANZA_OVERHEAD is left for the rest of the stanza (JIDs,
 * placeholder, thread, hints, a re-key <key/>, <mac/>).  Senders refuse
 * anything larger, so both sides agree by construction. */
#define ESESS_STANZA_OVERHEAD (16u * 1024u)
size_t esess_chat_max_payload(void);

void esess_step_init(EsessStep *step);
/* Number of stanzas to send / unsent bodies (NULL arrays count as empty). */
static inline guint
esess_step_n_send(const EsessStep *step)
{
	return step->send != NULL ? step->send->len : 0;
}
static inline guint
esess_step_n_unsent(const EsessStep *step)
{
	return step->unsent != NULL ? step->unsent->len : 0;
}
/* Frees what the step holds (wiping deliver and unsent) and leaves it empty
 * (send and unsent NULL, nothing allocated), ready to be reused or dropped.
 * Readers treat a NULL send or unsent as empty. */
void esess_step_clear(EsessStep *step);

typedef struct {
	const char *account;        /* our bare JID: key for the store */
	const char *own_jid;        /* our full JID */
	const char *peer_jid;       /* start: bare or full JID to send the request to */
	EsessStore *store;          /* retained secrets; NULL = keep none */
	EsessKeyPool *pool;         /* prepared key pairs; NULL = compute on demand */
	guint min_modp_bits;        /* default 2048 (R11) */
	const guint *modp_offer;    /* groups to offer in order; NULL = 15, 14, 16 (R12) */
	gsize n_modp_offer;
	EsessLogPref logging;       /* archiving preference */
	gboolean peer_has_plugin;   /* peer advertises urn:xmpp:esessions:purple:0 (R19) */
	const char *peer_caps_node; /* XEP-0115 node of the peer, for quirks (R20); may be NULL */
	const char *placeholder;    /* translated placeholder <body> text (R14) */
	EsessLimiter *limiter;      /* SECURITY 58: per-peer rate limit and cap on
	                             * negotiations in flight; NULL = no limit.  Must
	                             * outlive every chat created with it. */
	const EsessNegFixed *fixed_for_test; /* known-answer tests only; NULL */
	EsessIdKey *idkey;          /* our identity key (R21): the chat takes a
	                             * reference; NULL = none yet (generating,
	                             * locked): public keys are then offered and
	                             * chosen as `none` for us */
	gboolean pubkey_hash_first; /* tests: offer `hash` before `key` (R21) */
} EsessChatConfig;

/* ---- inspecting incoming stanzas ---------------------------------- */
typedef enum {
	ESESS_MSG_OTHER,            /* not an ESession stanza: libpurple handles it */
	ESESS_MSG_NEG_REQUEST,      /* an XEP-0155 request form: a new negotiation */
	ESESS_MSG_NEG,              /* another negotiation message or error for a thread */
	ESESS_MSG_ENCRYPTED,        /* a message with one <c/> */
	ESESS_MSG_TERMINATE,        /* a plaintext terminate form */
	ESESS_MSG_CARBON_ENCRYPTED, /* a carbon (XEP-0280) of an encrypted message from our
	                             * own bare JID: show "encrypted for another device" */
	ESESS_MSG_DROP              /* violates a rule (forged carbon, two <c/>, <c/> in a
	                             * groupchat, ...): drop it, show nothing */
} EsessMsgKind;

typedef struct {
	EsessMsgKind kind;
	char *from;                 /* outer from (full JID), may be NULL */
	char *to;
	char *type;                 /* outer type attribute or NULL */
	char *thread;               /* <thread/> text or NULL */
	EsessXmlNode *stanza;       /* the parsed stanza (owned) */
} EsessMsgInfo;

/* Parses and classifies a <message/> stanza.  own_jid (our full JID) is used
 * to check carbons.  Returns ESESS_OK (info filled; kind may be DROP),
 * ESESS_ERR_XML, ESESS_ERR_XML_LIMIT (the adapter drops such a stanza). */
G_GNUC_WARN_UNUSED_RESULT
EsessStatus esess_msg_inspect(const char *stanza, size_t len, const char *own_jid,
			      EsessMsgInfo *info);
void esess_msg_info_clear(EsessMsgInfo *info);

/* ---- starting, answering ------------------------------------------ */
/* Initiator: builds message 1 (a fresh thread, key pairs from the pool when
 * available).  step->send holds the request; event NEGOTIATING.
 * Returns ESESS_OK, ESESS_ERR_INVALID_ARG, ESESS_ERR_RATE_LIMIT, ESESS_ERR_INTERNAL. */
G_GNUC_WARN_UNUSED_RESULT
EsessStatus esess_chat_start(const EsessChatConfig *cfg, EsessChat **out, EsessStep *step);

/* Responder: answers a request (info->kind == ESESS_MSG_NEG_REQUEST) with
 * message 2, or with the XEP-0155/0116 error when no option is acceptable
 * (then *out is NULL, event FAILED, status says why).
 * Returns the same status as step->status. */
G_GNUC_WARN_UNUSED_RESULT
EsessStatus esess_chat_accept(const EsessChatConfig *cfg, const EsessMsgInfo *request,
			      EsessChat **out, EsessStep *step);

/* Responder: declines a request (accept = 0, XEP-0155 §Decline); step->send
 * holds the reply (empty if the policy is to stay silent). */
G_GNUC_WARN_UNUSED_RESULT
EsessStatus esess_chat_decline(const EsessChatConfig *cfg, const EsessMsgInfo *request,
			       EsessStep *step);

/* Simultaneous initiation (SECURITY item 54): TRUE when our own pending
 * negotiation must give way to the peer's request (deterministic by JID). */
gboolean esess_chat_yields_to(const EsessChat *ours, const EsessMsgInfo *peer_request);

/* ---- the running chat --------------------------------------------- */
/* Handles an incoming stanza for this chat (kinds NEG, ENCRYPTED, TERMINATE,
 * or OTHER from the peer while established -> EV_PLAINTEXT).  Checks the
 * sender and thread (R15); wrong ones give ESESS_ERR_WRONG_PEER and change
 * nothing.  Failures in the session end it (R15, R18). */
G_GNUC_WARN_UNUSED_RESULT
EsessStatus esess_chat_receive(EsessChat *chat, const EsessMsgInfo *msg, EsessStep *step);

/* ---- the message path without whole-stanza text (issue 11 item 2) --
 * A client that has parsed the stanza itself hands over only what the engine
 * needs; what the engine gives back is built into the client's own tree.
 * Negotiation, termination and anything unusual take the complete way above
 * (esess_msg_inspect, esess_chat_receive, esess_chat_encrypt). */

/* An incoming <message/> with one <c/> (INTEROP R14, R15), as the client's
 * parse found it.  The client takes this way only when the stanza has that
 * exact shape: a message (not groupchat, not error) whose element children
 * are leaves except the one <c/> in ESESS_NS_C, unprefixed; one <thread/>;
 * <c/>'s children are one <mac/> and at most one <data/> in ESESS_NS_C,
 * without attributes or elements inside. */
typedef struct {
	const char *from;           /* outer from */
	const char *thread;         /* the <thread/> text */
	gboolean has_body;          /* a <body/> (the placeholder) beside <c/> */
	const char *data;           /* <data/> text (base64), NULL when there is none */
	size_t data_len;
	const char *mac;            /* <mac/> text (base64) */
	size_t mac_len;
} EsessCIn;

/* An attribute of a decrypted element: ns NULL for an unprefixed one. */
typedef struct {
	const char *name;
	const char *ns;
	const char *value;
} EsessPayloadAttr;

/* Receives the decrypted children of a <c/> in document order: open for an
 * element (its namespace URI, NULL for none, and its attributes), text for
 * text inside one, close at its end.  Texts are UTF-8, entities resolved;
 * the text between the top-level children is left out. */
typedef struct {
	void (*open)(gpointer data, const char *name, const char *ns, guint n_attrs,
		     const EsessPayloadAttr *attrs);
	void (*text)(gpointer data, const char *text, size_t len);
	void (*close)(gpointer data);
} EsessPayloadSink;

/* esess_chat_receive for an ESESS_MSG_ENCRYPTED stanza taken apart by the
 * client (EsessCIn).  The same checks in the same order (R15 sender and
 * thread, SECURITY 50 ended threads, the MAC before anything else, counters,
 * sizes, the payload's XML) with the same statuses and steps; when the step's
 * event is ESESS_EV_MESSAGE the decrypted children have gone to sink (the
 * client puts them in place of <c/> and keeps beside them only what
 * esess_chat_kept_beside_c allows), and step->deliver is NULL.  Returns
 * ESESS_ERR_INVALID_ARG, having changed nothing, when the chat is not
 * established or the texts are not in the simple form (see
 * esess_session_decrypt_parts): the client then takes the complete way. */
G_GNUC_WARN_UNUSED_RESULT
EsessStatus esess_chat_receive_c(EsessChat *chat, const EsessCIn *in, const EsessPayloadSink *sink,
				 gpointer sink_data, EsessStep *step);

/* TRUE when a child (local name, namespace URI or NULL) of a received
 * encrypted message stays beside the decrypted children: R14's unencrypted
 * children (thread, error, amp, hints) and the server's delay.  Everything
 * else beside <c/> is outside the MAC and is not shown (SECURITY 44). */
gboolean esess_chat_kept_beside_c(const char *name, const char *ns);

/* One child of an outgoing <c/>: its name ("data", "key", "new", "old",
 * "mac") and text (base64 or a decimal number: nothing to escape). */
typedef struct {
	const char *name;
	char *text;
} EsessCChild;
void esess_c_child_free(gpointer child);

/* An outgoing encrypted message for the client to build in its own tree:
 * <message to type='chat' [id]> [<body>body</body>] <thread>thread</thread>
 * the children it kept outside <c/> (esess_chat_outside_c) but <thread/>
 * and, when no_store, the two hints, [<no-permanent-store/><no-copy/> in
 * urn:xmpp:hints] <c xmlns=XEP-0200>children in order</c> (INTEROP R14,
 * R15, R17), as esess_chat_encrypt writes it. */
typedef struct {
	const char *to;             /* the negotiated full JID */
	const char *thread;
	const char *body;           /* the placeholder, NULL for none */
	gboolean no_store;          /* logging mustnot */
	GPtrArray *children;        /* EsessCChild * */
} EsessCOut;
void esess_c_out_clear(EsessCOut *out);

/* esess_chat_encrypt for an established chat, from the client's own
 * serialisation of the children that go inside <c/> (those for which
 * esess_chat_outside_c is FALSE, in order, each written as XML in the
 * stanza's namespace).  The engine parses them as the receiver will
 * (esess_xml_default_limits) and encrypts what the complete way would;
 * *out says what to build (clear it with esess_c_out_clear).  Returns
 * ESESS_OK, a failure of esess_session_encrypt, or ESESS_ERR_INVALID_ARG,
 * having changed nothing, when the chat is not established or the children
 * are not plain XML within the limits: the client then takes the complete
 * way, which refuses or queues as it always did. */
G_GNUC_WARN_UNUSED_RESULT
EsessStatus esess_chat_encrypt_c(EsessChat *chat, const char *children, size_t len,
				 EsessCOut *out, EsessStep *step);

/* TRUE when a child (local name, namespace URI or NULL for the stanza's) of
 * an outgoing message stays outside <c/>: thread, error, amp and XEP-0334
 * hints (R14). */
gboolean esess_chat_outside_c(const char *name, const char *ns);

/* Handles an outgoing <message/> to the peer: while negotiating, a message
 * with a body is queued (EV_QUEUED, nothing sent; others are dropped); a
 * payload larger than esess_chat_max_payload is refused in every state
 * (ESESS_ERR_TOO_LARGE, step->size says how large), one deeper or with more
 * elements than a receiver parses gives ESESS_ERR_XML_LIMIT; when
 * established, step->send[0] is the encrypted stanza (R14: children other than
 * thread, error, amp and hints inside <c/>, the placeholder body, the thread,
 * the hints when logging is mustnot, addressed to the negotiated full JID);
 * when ended, ESESS_ERR_SESSION_ENDED and nothing is sent. */
G_GNUC_WARN_UNUSED_RESULT
EsessStatus esess_chat_encrypt(EsessChat *chat, const char *stanza, size_t len, EsessStep *step);

/* Ends the chat by the user's wish: sends the terminate form (encrypted and
 * acknowledged for peers of this plugin, plaintext otherwise, R18); wipes.
 * Event ENDED.  Idempotent. */
G_GNUC_WARN_UNUSED_RESULT
EsessStatus esess_chat_terminate(EsessChat *chat, EsessStep *step);

/* Ends the chat without sending anything (peer went offline, timeout, account
 * signed off after sending terminates, plugin unload).  Event ENDED or FAILED
 * with reason; queued messages are reported in step->unsent. */
void esess_chat_abort(EsessChat *chat, EsessStatus reason, EsessStep *step);

/* The user compared the SAS: match marks the retained-secret chain verified in
 * the store; mismatch ends the session (sending terminate), forgets the new
 * retained secret and reports ESESS_ERR_SAS_MISMATCH (SECURITY item 31). */
G_GNUC_WARN_UNUSED_RESULT
EsessStatus esess_chat_sas_result(EsessChat *chat, gboolean match, EsessStep *step);

/* ---- what the adapter shows --------------------------------------- */
EsessChatState esess_chat_state(const EsessChat *chat);
const char *esess_chat_thread(const EsessChat *chat);
/* The peer's JID: the full JID once negotiated (R15), before that as started. */
const char *esess_chat_peer(const EsessChat *chat);
gboolean esess_chat_is_initiator(const EsessChat *chat);
/* Established only (NULL / defaults before): */
const char *esess_chat_sas(const EsessChat *chat);  /* as to display (R8, R20) */
/* TRUE: the SAS is the committed one of INTEROP R23, which a man in the
 * middle cannot grind; FALSE: the legacy sas28x5 (R8), the weaker check, used
 * with peers that do not offer R23 (Gajim). */
gboolean esess_chat_sas_committed(const EsessChat *chat);
/* TRUE: the legacy SAS with a peer that once completed a session with the
 * committed one; continuity is then ESESS_CONT_BROKEN (R23). */
gboolean esess_chat_sas_fallback(const EsessChat *chat);
EsessContinuity esess_chat_continuity(const EsessChat *chat);
gboolean esess_chat_verified(const EsessChat *chat); /* chain confirmed by SAS, or the
                                                     * peer's key verified (R21) */
/* The peer's key in this session (R21): its status, and the key itself
 * (owned by the chat; NULL when the peer proved none).  Established only. */
EsessPeerKeyStatus esess_chat_peer_key_status(const EsessChat *chat);
const EsessPubKey *esess_chat_peer_key(const EsessChat *chat);
EsessLogging esess_chat_logging(const EsessChat *chat);
guint esess_chat_group(const EsessChat *chat);
const char *esess_chat_cipher(const EsessChat *chat); /* e.g. "aes128-ctr" as negotiated */
gint64 esess_chat_since(const EsessChat *chat);       /* g_get_real_time() at establishment */
/* Frees (ending and wiping first when still running; sends nothing). */
void esess_chat_free(EsessChat *chat);

/* ---- prepared key pairs (SECURITY item 58, issue "cost control") --- */
EsessKeyPool *esess_keypool_new(void);
/* Computes one key pair for the first group below its target fill (call from
 * an idle callback: one exponentiation per call).  Returns TRUE while more
 * work remains. */
gboolean esess_keypool_fill_one(EsessKeyPool *pool, const guint *groups, gsize n_groups);
void esess_keypool_free(EsessKeyPool *pool);

/* ---- bounding the work a peer can cause (SECURITY item 58) ----------- */
#define ESESS_LIMIT_PER_PEER 5      /* negotiations per peer per window */
#define ESESS_LIMIT_WINDOW_S 60
#define ESESS_LIMIT_IN_FLIGHT 16    /* negotiations running at once */

/* A limiter owned by the adapter (one per account or process): at most
 * per_peer negotiations (started or answered) per peer bare JID within
 * window_s seconds, and at most max_in_flight running at once.  Chats admit
 * themselves in esess_chat_start/accept (ESESS_ERR_RATE_LIMIT) and release
 * their slot when the negotiation ends. */
EsessLimiter *esess_limiter_new(guint per_peer, guint window_s, guint max_in_flight);
void esess_limiter_free(EsessLimiter *lim);
/* For tests: pretend the monotonic clock reads now_us (0: the real clock). */
void esess_limiter_set_time(EsessLimiter *lim, gint64 now_us);
guint esess_limiter_in_flight(const EsessLimiter *lim);
/* For tests: how many peers the limiter remembers (pruned: at most about
 * twice those admitted within the last window, issue 11 item 1). */
guint esess_limiter_peers_tracked(const EsessLimiter *lim);

G_END_DECLS

#endif /* ESESS_CHAT_H */
