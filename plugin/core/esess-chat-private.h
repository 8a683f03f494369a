/*
 * esess-chat-private.h - the chat object shared by esess-chat.c (creating,
 * receiving, the user's actions) and esess-chat-out.c (the limiter, steps and
 * the stanzas we build and send).  Not a public header.
 */
#ifndef ESESS_CHAT_PRIVATE_H
#define ESESS_CHAT_PRIVATE_H

#include "esess-chat.h"
#include "esess-negotiate.h"
#include "esess-quirks.h"
#include "esess-session.h"

G_BEGIN_DECLS

/* For tests: pretend the monotonic clock reads now_us (0: the real clock). */
void esess_limiter_set_time(EsessLimiter *lim, gint64 now_us);
/* For tests: how many peers the limiter remembers (pruned: at most about
 * twice those admitted within the last window, issue 11 item 1). */
guint esess_limiter_peers_tracked(const EsessLimiter *lim);

#define THREAD_LEN 20 /* R1: at least 16 random letters */

/* The thread and the peer's JID are kept inside the chat when they fit
 * (ours are 20 letters, a JID with its resource usually under 100 bytes),
 * longer ones in blocks of their own. */
#define ESESS_CHAT_THREAD_INLINE 40
#define ESESS_CHAT_PEER_INLINE 104

/* The size of a chat's slot in the chat slab, whose tag is the chat's
 * session (esess_chat_set_session). */
#define ESESS_CHAT_SLOT 384u

/* Chats sit in slots of a dense slab (esess-chat.c): what a message reads of
 * a chat, and its thread and peer's JID, are the first cache lines of one
 * slot, where each in a heap block of its own lay on three pages between
 * colder data, and a session among a thousand missed each in cache and TLB
 * (issue 11 item 1). */
struct _EsessChat {
	/* line 0: what every message reads (encrypt: state, session, peer,
	 * thread, placeholder, logging; receive: ack_pending, pinned) */
	EsessChatState state;
	gboolean pinned;      /* SECURITY 55: peer is the full JID now */
	gboolean ack_pending; /* we sent an encrypted terminate (R18) */
	EsessLogging logging;
	EsessSession *session;
	char *peer;           /* as started, then the full JID that answered;
	                       * peer_buf when it fits */
	char *thread;         /* thread_buf when it fits */
	char *placeholder;
	/* lines 0-2: thread then peer, what receive compares */
	char thread_buf[ESESS_CHAT_THREAD_INLINE];
	char peer_buf[ESESS_CHAT_PEER_INLINE];
	/* the rest is read on negotiation, events and at the end */
	gboolean initiator;
	char *account;
	char *own_jid;
	char *peer_bare;
	gboolean peer_has_plugin;
	const EsessQuirks *quirks;
	EsessLimiter *limiter;
	gboolean counted;     /* holds a slot in the limiter */
	EsessStore *store;
	EsessNeg *neg;
	GPtrArray *queue;     /* char *: bodies waiting for the session (R16) */
	gboolean told_ended;  /* ended: the peer was told once that its
	                       * encrypted messages are no longer read */
	/* established */
	char sas[ESESS_SAS_MAX_LEN + 1];
	EsessSasAlg sas_alg;
	gboolean sas_fallback;
	EsessContinuity continuity;
	gboolean verified;
	guint group;
	char *cipher;
	gint64 since;
	EsessSecret *new_rs;
	EsessPeerKeyStatus key_status; /* INTEROP R21 */
	EsessPubKey *peer_key;
};

G_GNUC_WARN_UNUSED_RESULT
EsessStatus esess_limiter_admit(EsessLimiter *lim, const char *peer_bare);
void esess_chat_release(EsessChat *chat);
/* chat->session = s, and the slot's tag with it (esess-chat.c) */
void esess_chat_set_session(EsessChat *chat, EsessSession *s);
void esess_step_event(EsessStep *step, EsessEvent ev, EsessStatus st, gboolean by_peer);
char *esess_chat_bare(const char *jid);
char *esess_chat_new_thread(void);
EsessXmlNode *esess_chat_message_new(const EsessChat *chat, const char *type);
void esess_chat_send_node(EsessStep *step, const EsessXmlNode *m);
void esess_chat_send_neg(const EsessChat *chat, EsessStep *step, EsessNegOut *o);
EsessXmlNode *esess_chat_terminate_form(gboolean ack);
void esess_chat_unsent(EsessChat *chat, EsessStep *step);
void esess_chat_end(EsessChat *chat, EsessStep *step);
gboolean esess_chat_mustnot(const EsessChat *chat);
gboolean esess_chat_kept_outside(const EsessXmlNode *ch);
G_GNUC_WARN_UNUSED_RESULT
EsessStatus esess_chat_send_encrypted(EsessChat *chat, EsessStep *step, const EsessXmlNode *orig, const char *payload, size_t len, gboolean with_body);
/* The serialised children that go inside <c/> (R14); caller wipes, frees. */
GString *esess_chat_payload(const EsessXmlNode *stanza);
G_GNUC_WARN_UNUSED_RESULT
EsessStatus esess_chat_encrypt_node(EsessChat *chat, EsessStep *step, const EsessXmlNode *stanza);
G_GNUC_WARN_UNUSED_RESULT
EsessStatus esess_chat_send_enc_terminate(EsessChat *chat, EsessStep *step, gboolean ack);
void esess_chat_send_plain_terminate(EsessChat *chat, EsessStep *step);
gboolean esess_chat_terminate_encrypted(const EsessChat *chat);

G_END_DECLS

#endif /* ESESS_CHAT_PRIVATE_H */
