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
 *
 * Part of the installed API (esessions.h): comments starting with two stars
 * are the API reference (doxygen, `make doc`); test-only and internal
 * declarations live in esess-chat-private.h.
 */
#ifndef ESESS_CHAT_H
#define ESESS_CHAT_H

#include <glib.h>
#include <stddef.h>

#include "esess-export.h"
#include "esess-status.h"
#include "esess-store.h"

G_BEGIN_DECLS

/** @file esess-chat.h
 * @brief EsessChat: one ESession with one peer, sans-I/O. */

/** One ESession with one peer, from request to termination.  Opaque. */
typedef struct _EsessChat EsessChat;
/** DH key pairs computed ahead of time (esess_keypool_new()).  Opaque. */
typedef struct _EsessKeyPool EsessKeyPool;
/** Bounds the negotiations peers can cause (esess_limiter_new()).  Opaque. */
typedef struct _EsessLimiter EsessLimiter;
/** Fixed values for known-answer tests (internal).  Opaque. */
typedef struct _EsessNegFixed EsessNegFixed;

/** The XEP-0136 archiving preference, which decides the `logging` options
 * offered and accepted (INTEROP R12). */
typedef enum {
	ESESS_LOGPREF_REQUIRE,  /**< off the record only: offer mustnot */
	ESESS_LOGPREF_PREFER,   /**< offer mustnot, then may */
	ESESS_LOGPREF_APPROVE,  /**< offer mustnot, then may */
	ESESS_LOGPREF_CONCEDE,  /**< offer may, then mustnot */
	ESESS_LOGPREF_OPPOSE,   /**< offer may, then mustnot */
	ESESS_LOGPREF_FORBID    /**< offer may only */
} EsessLogPref;

/** The agreed `logging` value. */
typedef enum {
	ESESS_LOGGING_MAY,      /**< either side may keep a log of the messages */
	ESESS_LOGGING_MUSTNOT   /**< off the record: neither side keeps one */
} EsessLogging;

/** What the retained secrets said about a session (INTEROP R9). */
typedef enum {
	ESESS_CONT_NEW,         /**< no retained secret held for this peer: first session */
	ESESS_CONT_UNVERIFIED,  /**< continues a chain never confirmed by SAS */
	ESESS_CONT_VERIFIED,    /**< continues a chain confirmed by SAS */
	ESESS_CONT_BROKEN       /**< secrets were held but none matched: possible attack */
} EsessContinuity;

/** The peer's public key in an established session (INTEROP R21), against
 * the one the store holds for the peer.  CHANGED and MISSING must be shown
 * as a warning, like an SSH host-key change: the held key is never
 * replaced without the user (esess_chat_sas_result(), or the client's
 * esess_store_key_set()). */
typedef enum {
	ESESS_PEER_KEY_NONE,     /**< no key in this session and none held */
	ESESS_PEER_KEY_NEW,      /**< the first key seen for the peer: now held, unverified */
	ESESS_PEER_KEY_KNOWN,    /**< the held key, not verified yet */
	ESESS_PEER_KEY_VERIFIED, /**< the held key, verified by the user: the session is
	                          * verified even with no retained secret */
	ESESS_PEER_KEY_CHANGED,  /**< another key than the held one (which stays held) */
	ESESS_PEER_KEY_MISSING   /**< a key is held but the peer proved none */
} EsessPeerKeyStatus;

/** Where a chat stands. */
typedef enum {
	ESESS_CHAT_NEGOTIATING, /**< the four XEP-0116 messages are under way */
	ESESS_CHAT_ESTABLISHED, /**< keys agreed: messages are encrypted */
	ESESS_CHAT_ENDED,       /**< terminated normally, or after a failure */
} EsessChatState;

/** What a step tells the user. */
typedef enum {
	ESESS_EV_NONE,             /**< nothing to tell the user */
	ESESS_EV_NEGOTIATING,      /**< a negotiation started (request sent or accepted) */
	ESESS_EV_ESTABLISHED,      /**< keys agreed: SAS, continuity and logging are
	                            * ready; queued messages are in send, encrypted */
	ESESS_EV_MESSAGE,          /**< deliver holds a decrypted stanza to show */
	ESESS_EV_QUEUED,           /**< an outgoing message is held until established (R16) */
	ESESS_EV_PLAINTEXT,        /**< deliver holds a plaintext stanza the peer sent while
	                            * the session is up: show it marked "not encrypted" */
	ESESS_EV_ENDED,            /**< the session ended normally (status ESESS_OK) or was
	                            * ended by a failure (status says why) */
	ESESS_EV_FAILED,           /**< the negotiation failed; status says why */
	ESESS_EV_REJECTED          /**< the peer declined the session */
} EsessEvent;

/** Size of EsessStep::field, with its NUL. */
#define ESESS_STEP_FIELD_MAX 32

/** What one engine call produced: stanzas to send and one event.  Set it up
 * with esess_step_init() before the first call and empty it with
 * esess_step_clear() after each. */
typedef struct {
	EsessEvent event;          /**< what to tell the user */
	EsessStatus status;        /**< why, for ENDED / FAILED / REJECTED */
	char field[ESESS_STEP_FIELD_MAX]; /**< FAILED: the form field the failure
	                            * concerns ("modp", "identity", ...), "" when none:
	                            * for a debug log; never text from the peer */
	gboolean by_peer;          /**< ENDED / FAILED: the peer ended it or sent the error */
	GPtrArray *send;           /**< char *: complete `<message/>` stanzas to send, in
	                            * order; NULL counts as empty (esess_step_n_send()) */
	char *deliver;             /**< MESSAGE / PLAINTEXT: the `<message/>` to show */
	GPtrArray *unsent;         /**< char *: bodies (plain text) of queued messages that
	                            * were not sent because the session failed or ended;
	                            * NULL counts as empty (esess_step_n_unsent()) */
	size_t size;               /**< esess_chat_encrypt()'s ESESS_ERR_TOO_LARGE: the size
	                            * of the refused payload in bytes */
} EsessStep;

/** Room left in a stanza for what surrounds the encrypted payload (JIDs,
 * placeholder, thread, hints, a re-key `<key/>`, `<mac/>`). */
#define ESESS_STANZA_OVERHEAD (16u * 1024u)

/** The largest payload (the serialised children that go inside `<c/>`, R14)
 * that a receiver accepts (SECURITY 70).  A receiver parses the whole stanza
 * within 256 KiB, one text of at most 192 KiB; `<data/>` is the base64 (4/3)
 * of the payload padded to whole blocks, and ESESS_STANZA_OVERHEAD is left
 * for the rest.  Senders refuse anything larger, so both sides agree by
 * construction.
 * @return the size in bytes */
ESESS_API size_t esess_chat_max_payload(void);

/** Makes a step empty, ready for its first use.
 * @param step the step */
ESESS_API void esess_step_init(EsessStep *step);

/** Number of stanzas to send.
 * @param step the step
 * @return the length of EsessStep::send (0 when NULL) */
static inline guint
esess_step_n_send(const EsessStep *step)
{
	return step->send != NULL ? step->send->len : 0;
}

/** Number of unsent bodies.
 * @param step the step
 * @return the length of EsessStep::unsent (0 when NULL) */
static inline guint
esess_step_n_unsent(const EsessStep *step)
{
	return step->unsent != NULL ? step->unsent->len : 0;
}

/** Frees what the step holds (wiping deliver and unsent) and leaves it empty
 * (send and unsent NULL, nothing allocated), ready to be reused or dropped.
 * @param step the step */
ESESS_API void esess_step_clear(EsessStep *step);

/** How to run a chat.  Read during the call that creates the chat (the
 * strings are copied); the store, pool and limiter are borrowed and must
 * outlive the chat.  Zero-fill it, then set what you
 * need: zero members take the defaults. */
typedef struct {
	const char *account;        /**< our bare JID: the store's key */
	const char *own_jid;        /**< our full JID */
	const char *peer_jid;       /**< esess_chat_start(): bare or full JID to send the
	                             * request to */
	EsessStore *store;          /**< retained secrets; NULL = keep none */
	EsessKeyPool *pool;         /**< prepared key pairs; NULL = compute on demand */
	guint min_modp_bits;        /**< smallest group accepted; 0 = 2048 (R11) */
	const guint *modp_offer;    /**< groups to offer, in order; NULL = 15, 14, 16 (R12) */
	gsize n_modp_offer;         /**< number of groups in modp_offer */
	EsessLogPref logging;       /**< archiving preference */
	gboolean peer_has_plugin;   /**< the peer advertises urn:xmpp:esessions:purple:0
	                             * (R19): committed SAS, encrypted terminate */
	const char *peer_caps_node; /**< XEP-0115 node of the peer, for quirks (R20);
	                             * may be NULL */
	const char *placeholder;    /**< placeholder `<body>` text of encrypted messages (R14) */
	EsessLimiter *limiter;      /**< SECURITY 58: per-peer rate limit and cap on
	                             * negotiations in flight; NULL = no limit */
	const EsessNegFixed *fixed_for_test; /**< known-answer tests only; NULL */
	EsessIdKey *idkey;          /**< our identity key (R21): the chat takes a
	                             * reference (esess_idkey_ref()); NULL = none yet
	                             * (generating, locked): public keys are then
	                             * offered and chosen as `none` for us */
	gboolean pubkey_hash_first; /**< tests only: offer `hash` before `key` (R21) */
} EsessChatConfig;

/* ---- inspecting incoming stanzas ---------------------------------- */
/** What an incoming `<message/>` is, for the engine. */
typedef enum {
	ESESS_MSG_OTHER,            /**< not an ESession stanza: the client handles it */
	ESESS_MSG_NEG_REQUEST,      /**< an XEP-0155 request form: a new negotiation */
	ESESS_MSG_NEG,              /**< another negotiation message or error for a thread */
	ESESS_MSG_ENCRYPTED,        /**< a message with one `<c/>` */
	ESESS_MSG_TERMINATE,        /**< a plaintext terminate form */
	ESESS_MSG_CARBON_ENCRYPTED, /**< a carbon (XEP-0280) of an encrypted message from
	                             * our own bare JID: show "encrypted for another device" */
	ESESS_MSG_DROP              /**< violates a rule (forged carbon, two `<c/>`, `<c/>`
	                             * in a groupchat, ...): drop it, show nothing */
} EsessMsgKind;

/** An incoming stanza, parsed and classified by esess_msg_inspect(). */
typedef struct {
	EsessMsgKind kind;          /**< what it is */
	char *from;                 /**< outer from (full JID), may be NULL */
	char *to;                   /**< outer to, may be NULL */
	char *type;                 /**< outer type attribute, may be NULL */
	char *thread;               /**< `<thread/>` text, may be NULL */
	struct _EsessXmlNode *stanza; /**< the parsed stanza (owned; internal) */
} EsessMsgInfo;

/** Parses and classifies a `<message/>` stanza.
 * @param stanza the stanza as XML text, in jabber:client
 * @param len its length in bytes
 * @param own_jid our full JID, to check carbons
 * @param[out] info filled on success; empty it with esess_msg_info_clear()
 * @return ESESS_OK (info filled; its kind may be DROP), ESESS_ERR_XML,
 *         ESESS_ERR_XML_LIMIT (drop such a stanza) */
G_GNUC_WARN_UNUSED_RESULT
ESESS_API EsessStatus esess_msg_inspect(const char *stanza, size_t len, const char *own_jid,
					EsessMsgInfo *info);

/** Frees what esess_msg_inspect() filled in.
 * @param info the info */
ESESS_API void esess_msg_info_clear(EsessMsgInfo *info);

/* ---- starting, answering ------------------------------------------ */
/** Initiator: builds message 1 (a fresh thread; key pairs from the pool
 * when it has them).
 * @param cfg how to run the chat; peer_jid says whom to ask
 * @param[out] out the new chat; free it with esess_chat_free()
 * @param step receives the request in send, event NEGOTIATING
 * @return ESESS_OK, ESESS_ERR_INVALID_ARG, ESESS_ERR_RATE_LIMIT,
 *         ESESS_ERR_INTERNAL */
G_GNUC_WARN_UNUSED_RESULT
ESESS_API EsessStatus esess_chat_start(const EsessChatConfig *cfg, EsessChat **out,
				       EsessStep *step);

/** Responder: answers a request with message 2, or with the XEP-0155/0116
 * error when no option is acceptable (then *out is NULL, event FAILED,
 * status says why).
 * @param cfg how to run the chat (peer_jid is not used: the request says)
 * @param request an inspected stanza of kind ESESS_MSG_NEG_REQUEST
 * @param[out] out the new chat, or NULL
 * @param step receives the reply in send and the event
 * @return the same status as step->status */
G_GNUC_WARN_UNUSED_RESULT
ESESS_API EsessStatus esess_chat_accept(const EsessChatConfig *cfg, const EsessMsgInfo *request,
					EsessChat **out, EsessStep *step);

/** Responder: declines a request (accept = 0, XEP-0155 §Decline).
 * @param cfg our configuration
 * @param request an inspected stanza of kind ESESS_MSG_NEG_REQUEST
 * @param step receives the reply in send (empty when the policy is to stay
 *        silent)
 * @return ESESS_OK, ESESS_ERR_INVALID_ARG */
G_GNUC_WARN_UNUSED_RESULT
ESESS_API EsessStatus esess_chat_decline(const EsessChatConfig *cfg, const EsessMsgInfo *request,
					 EsessStep *step);

/** Simultaneous initiation (SECURITY 54): whether our own pending
 * negotiation must give way to the peer's request (deterministic by JID, so
 * that exactly one side gives way).
 * @param ours our chat, still negotiating
 * @param peer_request the peer's request
 * @return TRUE: free ours and accept theirs */
ESESS_API gboolean esess_chat_yields_to(const EsessChat *ours, const EsessMsgInfo *peer_request);

/* ---- the running chat --------------------------------------------- */
/** Handles an incoming stanza for this chat: kinds NEG, ENCRYPTED,
 * TERMINATE, or OTHER from the peer while established (event PLAINTEXT).
 * The sender and thread are checked (R15): wrong ones give
 * ESESS_ERR_WRONG_PEER and change nothing.  Failures in the session end it
 * (R15, R18); a negotiation message that breaks a rule fails the
 * negotiation.
 * @param chat the chat whose thread the stanza carries
 * @param msg the inspected stanza
 * @param step receives the stanzas to send, the event and, for MESSAGE,
 *        the decrypted stanza in deliver
 * @return ESESS_OK or why the stanza was refused (step->status tells why
 *         the chat ended or failed) */
G_GNUC_WARN_UNUSED_RESULT
ESESS_API EsessStatus esess_chat_receive(EsessChat *chat, const EsessMsgInfo *msg,
					 EsessStep *step);

/* ---- the message path without whole-stanza text (issue 11 item 2) --
 * A client that has parsed the stanza itself hands over only what the engine
 * needs; what the engine gives back is built into the client's own tree.
 * Negotiation, termination and anything unusual take the complete way above
 * (esess_msg_inspect, esess_chat_receive, esess_chat_encrypt). */

/** An incoming `<message/>` with one `<c/>` (INTEROP R14, R15), as the
 * client's own parser found it.  The client takes this way only when the
 * stanza has that exact shape: a message (not groupchat, not error) whose
 * element children are leaves except the one unprefixed `<c/>` in the
 * XEP-0200 namespace; one `<thread/>`; the children of `<c/>` are one
 * `<mac/>` and at most one `<data/>` in that namespace, without attributes
 * or elements inside. */
typedef struct {
	const char *from;           /**< outer from */
	const char *thread;         /**< the `<thread/>` text */
	gboolean has_body;          /**< a `<body/>` (the placeholder) beside `<c/>` */
	const char *data;           /**< `<data/>` text (base64), NULL when there is none */
	size_t data_len;            /**< its length */
	const char *mac;            /**< `<mac/>` text (base64) */
	size_t mac_len;             /**< its length */
} EsessCIn;

/** An attribute of a decrypted element. */
typedef struct {
	const char *name;           /**< local name */
	const char *ns;             /**< namespace URI, NULL for an unprefixed attribute */
	const char *value;          /**< value, entities resolved */
} EsessPayloadAttr;

/** Receives the decrypted children of a `<c/>` in document order: open for
 * an element, text for text inside one, close at its end.  Texts are UTF-8,
 * entities resolved; the text between the top-level children is left out. */
typedef struct {
	/** An element starts: its local name, namespace URI (NULL for none) and
	 * attributes. */
	void (*open)(gpointer data, const char *name, const char *ns, guint n_attrs,
		     const EsessPayloadAttr *attrs);
	/** Text inside the current element. */
	void (*text)(gpointer data, const char *text, size_t len);
	/** The current element ends. */
	void (*close)(gpointer data);
} EsessPayloadSink;

/** esess_chat_receive() for an ESESS_MSG_ENCRYPTED stanza the client took
 * apart itself: the same checks in the same order (R15 sender and thread,
 * SECURITY 50 ended threads, the MAC before anything else, counters, sizes,
 * the payload's XML) with the same statuses and steps.  When the step's
 * event is ESESS_EV_MESSAGE the decrypted children have gone to sink (the
 * client puts them in place of `<c/>` and keeps beside them only what
 * esess_chat_kept_beside_c() allows), and step->deliver is NULL.
 * @param chat an established chat
 * @param in the parts of the stanza
 * @param sink where the decrypted children go
 * @param sink_data passed to sink's functions
 * @param step receives the stanzas to send and the event
 * @return as esess_chat_receive(); ESESS_ERR_INVALID_ARG, having changed
 *         nothing, when the chat is not established or the texts are not
 *         in the simple form: the client then takes the complete way */
G_GNUC_WARN_UNUSED_RESULT
ESESS_API EsessStatus esess_chat_receive_c(EsessChat *chat, const EsessCIn *in,
					   const EsessPayloadSink *sink, gpointer sink_data,
					   EsessStep *step);

/** Whether a child of a received encrypted message stays beside the
 * decrypted children: R14's unencrypted children (thread, error, amp,
 * hints) and the server's delay.  Everything else beside `<c/>` is outside
 * the MAC and is not shown (SECURITY 44).
 * @param name the child's local name
 * @param ns its namespace URI, or NULL
 * @return TRUE when it stays */
ESESS_API gboolean esess_chat_kept_beside_c(const char *name, const char *ns);

/** One child of an outgoing `<c/>`. */
typedef struct {
	const char *name;           /**< "data", "key", "new", "old" or "mac" */
	char *text;                 /**< base64 or a decimal number: nothing to escape */
} EsessCChild;
/** Frees an EsessCChild.
 * @param child the child (an EsessCChild *) */
ESESS_API void esess_c_child_free(gpointer child);

/** An outgoing encrypted message for the client to build in its own tree,
 * as esess_chat_encrypt() writes it (INTEROP R14, R15, R17): a `<message/>`
 * to `to` of type chat (with the original id, if any), the placeholder
 * `<body/>` when there is one, `<thread/>`, the children the client kept
 * outside `<c/>` (esess_chat_outside_c()) but `<thread/>`, the two
 * urn:xmpp:hints `<no-permanent-store/>` and `<no-copy/>` when no_store,
 * then `<c/>` in the XEP-0200 namespace with children in order. */
typedef struct {
	const char *to;             /**< the negotiated full JID */
	const char *thread;         /**< the thread */
	const char *body;           /**< the placeholder, NULL for none */
	gboolean no_store;          /**< logging mustnot: add the hints */
	GPtrArray *children;        /**< EsessCChild *: the children of `<c/>` */
} EsessCOut;
/** Frees what an EsessCOut holds and empties it.
 * @param out the description */
ESESS_API void esess_c_out_clear(EsessCOut *out);

/** esess_chat_encrypt() for an established chat, from the client's own
 * serialisation of the children that go inside `<c/>` (those for which
 * esess_chat_outside_c() is FALSE, in order, each written as XML in the
 * stanza's namespace).  The engine parses them as the receiver will and
 * encrypts what the complete way would.
 * @param chat an established chat
 * @param children the serialised children
 * @param len their length
 * @param[out] out what to build; clear it with esess_c_out_clear()
 * @param step receives the event
 * @return ESESS_OK, a failure of the encryption (as esess_chat_encrypt()),
 *         or ESESS_ERR_INVALID_ARG, having changed nothing, when the chat is
 *         not established or the children are not plain XML within the
 *         limits: the client then takes the complete way */
G_GNUC_WARN_UNUSED_RESULT
ESESS_API EsessStatus esess_chat_encrypt_c(EsessChat *chat, const char *children, size_t len,
					   EsessCOut *out, EsessStep *step);

/** Asks for the memory that the next message on chat reads (the chat's
 * and its session's cache lines) without reading it, so that a client can
 * start it as soon as it knows the chat and let it come in while it does
 * other work (parsing or writing out the stanza); with a thousand sessions
 * each is otherwise a cache miss that the message waits for (issue 11 item
 * 1).  Only a hint: it changes nothing, and a chat without a session is
 * fine.
 * @param chat the chat (NULL is ignored)
 * @param sending TRUE before esess_chat_encrypt_c(), FALSE before
 *        esess_chat_receive_c() */
ESESS_API void esess_chat_prefetch(const EsessChat *chat, gboolean sending);

/** Whether a child of an outgoing message stays outside `<c/>`: thread,
 * error, amp and XEP-0334 hints (R14).
 * @param name the child's local name
 * @param ns its namespace URI, or NULL for the stanza's
 * @return TRUE when it stays outside */
ESESS_API gboolean esess_chat_outside_c(const char *name, const char *ns);

/** Handles an outgoing `<message/>` to the peer.  While negotiating, a
 * message with a body is queued (event QUEUED, nothing sent; others are
 * dropped).  When established, step->send[0] is the encrypted stanza (R14:
 * children other than thread, error, amp and hints inside `<c/>`, the
 * placeholder body, the thread, the hints when logging is mustnot,
 * addressed to the negotiated full JID).  Never sends plaintext.
 * @param chat the chat
 * @param stanza the message as XML text, in jabber:client
 * @param len its length in bytes
 * @param step receives the stanzas to send and the event
 * @return ESESS_OK; ESESS_ERR_TOO_LARGE (payload above
 *         esess_chat_max_payload(), in every state; step->size says how
 *         large); ESESS_ERR_XML_LIMIT (deeper or with more elements than a
 *         receiver parses); ESESS_ERR_XML; ESESS_ERR_SESSION_ENDED (ended:
 *         nothing is sent) */
G_GNUC_WARN_UNUSED_RESULT
ESESS_API EsessStatus esess_chat_encrypt(EsessChat *chat, const char *stanza, size_t len,
					 EsessStep *step);

/** Ends the chat by the user's wish: sends the terminate form (encrypted and
 * acknowledged for peers of this plugin, plaintext otherwise, R18) and wipes
 * the keys.  Idempotent.
 * @param chat the chat
 * @param step receives the terminate in send, event ENDED
 * @return ESESS_OK */
G_GNUC_WARN_UNUSED_RESULT
ESESS_API EsessStatus esess_chat_terminate(EsessChat *chat, EsessStep *step);

/** Ends the chat without sending anything (peer went offline, timeout,
 * account signed off after sending terminates, program exit).
 * @param chat the chat
 * @param reason why (ESESS_ERR_TIMEOUT, ...)
 * @param step event ENDED or FAILED with reason; queued messages are
 *        reported in unsent */
ESESS_API void esess_chat_abort(EsessChat *chat, EsessStatus reason, EsessStep *step);

/** The user compared the SAS.  A match marks the retained-secret chain
 * verified in the store; a mismatch ends the session (sending terminate),
 * forgets the new retained secret and reports ESESS_ERR_SAS_MISMATCH
 * (SECURITY 31).
 * @param chat an established chat
 * @param match whether both sides showed the same string
 * @param step receives the terminate and event ENDED on a mismatch
 * @return ESESS_OK, ESESS_ERR_SAS_MISMATCH, ESESS_ERR_STATE (not
 *         established), ESESS_ERR_STORE_IO */
G_GNUC_WARN_UNUSED_RESULT
ESESS_API EsessStatus esess_chat_sas_result(EsessChat *chat, gboolean match, EsessStep *step);

/* ---- what a client shows ------------------------------------------ */
/** @param chat a chat
 * @return where it stands */
ESESS_API EsessChatState esess_chat_state(const EsessChat *chat);
/** @param chat a chat
 * @return its XMPP thread ID (owned by the chat) */
ESESS_API const char *esess_chat_thread(const EsessChat *chat);
/** The peer's JID: the full JID once negotiated (R15), before that as
 * started.
 * @param chat a chat
 * @return the JID (owned by the chat) */
ESESS_API const char *esess_chat_peer(const EsessChat *chat);
/** @param chat a chat
 * @return TRUE when we sent the request */
ESESS_API gboolean esess_chat_is_initiator(const EsessChat *chat);
/** The short authentication string to compare aloud (R8, R23, R20).
 * @param chat an established chat
 * @return the string (owned by the chat); NULL before establishment */
ESESS_API const char *esess_chat_sas(const EsessChat *chat);
/** Which SAS was agreed.
 * @param chat an established chat
 * @return TRUE: the committed SAS of INTEROP R23, which a man in the middle
 *         cannot grind; FALSE: the legacy sas28x5 (R8), a weaker check, used
 *         with peers that do not offer R23 */
ESESS_API gboolean esess_chat_sas_committed(const EsessChat *chat);
/** @param chat an established chat
 * @return TRUE: the legacy SAS with a peer that once completed a session
 *         with the committed one; continuity is then ESESS_CONT_BROKEN (R23) */
ESESS_API gboolean esess_chat_sas_fallback(const EsessChat *chat);
/** @param chat an established chat
 * @return what the retained secrets said (INTEROP R9) */
ESESS_API EsessContinuity esess_chat_continuity(const EsessChat *chat);
/** @param chat an established chat
 * @return TRUE when the continued chain was confirmed by a SAS comparison,
 *         or the peer's key is verified (R21) */
ESESS_API gboolean esess_chat_verified(const EsessChat *chat);
/** @param chat an established chat
 * @return the peer's key in this session against the one held (R21) */
ESESS_API EsessPeerKeyStatus esess_chat_peer_key_status(const EsessChat *chat);
/** @param chat an established chat
 * @return the key the peer proved in this session (owned by the chat),
 *         NULL when it proved none */
ESESS_API const EsessPubKey *esess_chat_peer_key(const EsessChat *chat);
/** @param chat an established chat
 * @return the agreed logging value */
ESESS_API EsessLogging esess_chat_logging(const EsessChat *chat);
/** @param chat an established chat
 * @return the agreed MODP group number (14, 15, 16, ...); 0 before */
ESESS_API guint esess_chat_group(const EsessChat *chat);
/** @param chat an established chat
 * @return the cipher as negotiated, e.g. "aes128-ctr" (owned by the chat) */
ESESS_API const char *esess_chat_cipher(const EsessChat *chat);
/** @param chat an established chat
 * @return g_get_real_time() at establishment */
ESESS_API gint64 esess_chat_since(const EsessChat *chat);
/** Frees a chat, ending and wiping it first when still running; sends
 * nothing (use esess_chat_terminate() first to tell the peer).
 * @param chat the chat, or NULL */
ESESS_API void esess_chat_free(EsessChat *chat);

/* ---- prepared key pairs (SECURITY 58) ----------------------------- */
/** A new, empty pool of prepared DH key pairs.
 * @return the pool; free it with esess_keypool_free() */
ESESS_API EsessKeyPool *esess_keypool_new(void);
/** Computes one key pair for the first group below its target fill: call it
 * from an idle callback (one exponentiation per call).
 * @param pool the pool
 * @param groups the groups to keep ready
 * @param n_groups their number
 * @return TRUE while more work remains */
ESESS_API gboolean esess_keypool_fill_one(EsessKeyPool *pool, const guint *groups,
					  gsize n_groups);
/** Wipes and frees a pool.
 * @param pool the pool, or NULL */
ESESS_API void esess_keypool_free(EsessKeyPool *pool);

/* ---- bounding the work a peer can cause (SECURITY 58) ------------- */
/** Default: negotiations per peer per window. */
#define ESESS_LIMIT_PER_PEER 5
/** Default: the window, in seconds. */
#define ESESS_LIMIT_WINDOW_S 60
/** Default: negotiations running at once. */
#define ESESS_LIMIT_IN_FLIGHT 16

/** A limiter (one per account or process): at most per_peer negotiations
 * (started or answered) per peer bare JID within window_s seconds, and at
 * most max_in_flight running at once.  Chats admit themselves in
 * esess_chat_start() and esess_chat_accept() (ESESS_ERR_RATE_LIMIT) and
 * release their slot when the negotiation ends.
 * @param per_peer e.g. ESESS_LIMIT_PER_PEER
 * @param window_s e.g. ESESS_LIMIT_WINDOW_S
 * @param max_in_flight e.g. ESESS_LIMIT_IN_FLIGHT
 * @return the limiter; free it with esess_limiter_free() after every chat
 *         using it */
ESESS_API EsessLimiter *esess_limiter_new(guint per_peer, guint window_s, guint max_in_flight);
/** Frees a limiter.
 * @param lim the limiter, or NULL */
ESESS_API void esess_limiter_free(EsessLimiter *lim);
/** @param lim a limiter
 * @return the number of negotiations running now */
ESESS_API guint esess_limiter_in_flight(const EsessLimiter *lim);

G_END_DECLS

#endif /* ESESS_CHAT_H */
