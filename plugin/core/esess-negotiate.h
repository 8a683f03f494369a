/*
 * esess-negotiate.h - the XEP-0155/XEP-0116 4-message negotiation (SIGMA-R
 * with hash commitment, SAS and retained secrets), both roles, as a sans-I/O
 * state machine.  It takes parsed stanzas and returns the elements to send;
 * the chat façade (esess-chat.c) adds <message/>, to and <thread/>.
 *
 * Keys: K, the derived keys, the DH exponents and retained secrets live in
 * EsessSecret / EsessDhKey (secure memory).  Failure is sticky and wipes
 * everything (SECURITY 57): a new negotiation uses new key pairs.
 */
#ifndef ESESS_NEGOTIATE_H
#define ESESS_NEGOTIATE_H

#include <glib.h>
#include <stddef.h>

#include "esess-chat.h"
#include "esess-crypto.h"
#include "esess-featneg.h"
#include "esess-idkey.h"
#include "esess-mem.h"
#include "esess-sas.h"
#include "esess-session.h"
#include "esess-status.h"
#include "esess-xml.h"

G_BEGIN_DECLS

/* what the negotiation expects next (doc/hacking.md "State machines") */
typedef enum {
	ESESS_NEG_INIT_EXPECT_RESPONSE, /* Alice sent message 1, waits for message 2 */
	ESESS_NEG_INIT_EXPECT_INIT,     /* Alice sent message 3, waits for message 4 */
	ESESS_NEG_RESP_EXPECT_IDENTITY, /* Bob sent message 2, waits for message 3 */
	ESESS_NEG_DONE,                 /* keys agreed; the session was handed over */
	ESESS_NEG_FAILED                /* sticky: everything wiped */
} EsessNegState;

/* the kinds of incoming negotiation message (one handler each) */
typedef enum {
	ESESS_NEG_MSG_RESPONSE,  /* message 2: submit, accept = 1 */
	ESESS_NEG_MSG_REJECT,    /* submit, accept = 0 (XEP-0155 §Decline) */
	ESESS_NEG_MSG_IDENTITY,  /* message 3: result with dhkeys, identity, mac */
	ESESS_NEG_MSG_FINAL,     /* message 4: result with srshash, identity, mac */
	ESESS_NEG_MSG_ERROR,     /* a type='error' message in the thread */
	ESESS_NEG_MSG_UNKNOWN    /* anything else in the thread */
} EsessNegMsg;

typedef struct _EsessNeg EsessNeg;
typedef struct _EsessKeyPool EsessKeyPool;

/* Known-answer tests only (the plugin always passes NULL): values that
 * replace the random ones, so that a negotiation can replay a run of
 * another implementation (tests/unit/test-gajim-kat.c).  Each NULL or 0
 * member keeps the random value. */
struct _EsessNegFixed {
	guint group;              /* the group x is for */
	const guint8 *x;          /* our private DH exponent for group */
	size_t x_len;
	const guint8 *nonce;      /* initiator: N_A; responder: N_B */
	size_t nonce_len;         /* 8 (Gajim) to ESESS_NEG_NONCE_MAX bytes */
	const guint8 *counter;    /* responder: C_A, 16 bytes */
	const char *thread;       /* chat, initiator: the thread ID */
};

typedef struct {
	const char *account;     /* our bare JID (store key) */
	const char *peer;        /* the peer's bare JID (store key) */
	EsessStore *store;       /* NULL: no retained secrets */
	EsessKeyPool *pool;      /* NULL: key pairs computed on demand */
	EsessFeatPolicy policy;
	const guint *groups;     /* initiator: groups to offer in order */
	gsize n_groups;
	gboolean rekey;          /* hand our DH key to the session (R19, R20) */
	const EsessNegFixed *fixed; /* known-answer tests only; NULL */
	EsessIdKey *idkey;       /* our identity key (R21; the negotiation takes
	                          * a reference); NULL: none */
} EsessNegConfig;

/* longest field name we report, with its NUL */
#define ESESS_NEG_FIELD_MAX 32

/* What to send: at most one of them.  On a failure, field names the form
 * field concerned ("modp", "mac", ...; empty when the problem is the form
 * as a whole), for the debug log and the error (issue 8 item 4). */
typedef struct {
	EsessXmlNode *reply;     /* <feature/> or <init/> to send in the thread */
	EsessXmlNode *error;     /* <error/> for a type='error' message in the thread */
	char field[ESESS_NEG_FIELD_MAX];
} EsessNegOut;

void esess_neg_out_clear(EsessNegOut *o);

/* Established only: what the user sees. */
typedef struct {
	char sas[ESESS_SAS_MAX_LEN + 1]; /* padded: 5 characters (R8) or 6 (R23) */
	guint32 sas_value;
	EsessSasAlg sas_alg;          /* committed (R23) or legacy (R8) */
	gboolean sas_fallback;        /* legacy SAS with a peer that once used the
	                               * committed one: continuity is BROKEN (R23) */
	EsessContinuity continuity;
	gboolean verified;            /* the continued chain was confirmed by SAS */
	EsessLogging logging;
	guint group;
	const char *cipher;           /* as negotiated */
	const EsessSecret *new_rs;    /* the retained secret stored (NULL: no store) */
	EsessPeerKeyStatus key_status; /* the peer's key against the held one (R21) */
	const EsessPubKey *peer_key;  /* the key the peer proved it holds (owned by
	                               * the negotiation), NULL: none */
} EsessNegResult;

/* Alice: message 1 (INTEROP R1, R12).  o->reply is the <feature/>.
 * Returns ESESS_OK, ESESS_ERR_POLICY, ESESS_ERR_UNKNOWN_GROUP,
 * ESESS_ERR_INTERNAL. */
G_GNUC_WARN_UNUSED_RESULT
EsessStatus esess_neg_initiate(const EsessNegConfig *cfg, EsessNeg **out, EsessNegOut *o);

/* Bob: answers message 1 (the <feature/> element) with message 2 (R13).  On
 * failure *out is NULL and o->error holds the XEP-0155/0116 error:
 * ESESS_ERR_NOT_ACCEPTABLE, ESESS_ERR_POLICY (not-acceptable with the
 * fields), ESESS_ERR_FORM, ESESS_ERR_XML_LIMIT (malformed request; mixed
 * 3-/4-message fields, SECURITY 16, give feature-not-implemented for
 * dhkeys), ESESS_ERR_BASE64, ESESS_ERR_LENGTH (nonce, commitments: SECURITY
 * 8, 14), ESESS_ERR_INTERNAL. */
G_GNUC_WARN_UNUSED_RESULT
EsessStatus esess_neg_respond(const EsessNegConfig *cfg, const EsessXmlNode *feature,
			      EsessNeg **out, EsessNegOut *o);

/* Classifies an incoming <message/> of the thread. */
EsessNegMsg esess_neg_classify(const EsessXmlNode *stanza);

/* Handles one incoming <message/> of the thread (sender and thread already
 * checked by the caller).  Returns ESESS_OK (o->reply may be set; the state
 * may be DONE), ESESS_ERR_STATE (message not allowed now: while negotiating
 * this fails the negotiation; once DONE or FAILED nothing changes), or the
 * failure (state FAILED, everything wiped, o->error set where DIGEST §12 says
 * so): ESESS_ERR_REJECTED, ESESS_ERR_PEER_ERROR, ESESS_ERR_FORM,
 * ESESS_ERR_XML_LIMIT, ESESS_ERR_NOT_OFFERED, ESESS_ERR_POLICY,
 * ESESS_ERR_NONCE, ESESS_ERR_BASE64, ESESS_ERR_LENGTH, ESESS_ERR_MPI,
 * ESESS_ERR_DH_RANGE, ESESS_ERR_DH_REFLECTED, ESESS_ERR_DH_SHARED,
 * ESESS_ERR_COMMITMENT, ESESS_ERR_IDENTITY, ESESS_ERR_STORE_IO,
 * ESESS_ERR_INTERNAL. */
G_GNUC_WARN_UNUSED_RESULT
EsessStatus esess_neg_receive(EsessNeg *neg, const EsessXmlNode *stanza, EsessNegOut *o);

EsessNegState esess_neg_state(const EsessNeg *neg);
/* FAILED only: the form field the failure concerns (e.g. "modp",
 * "identity"), or NULL when none does (a form-level problem, a timeout). */
const char *esess_neg_failure_field(const EsessNeg *neg);
gboolean esess_neg_is_initiator(const EsessNeg *neg);

/* DONE only: the result (owned by neg) and the session (caller owns it; can
 * be taken once, later calls give NULL). */
const EsessNegResult *esess_neg_result(const EsessNeg *neg);
EsessSession *esess_neg_take_session(EsessNeg *neg);

/* Fails the negotiation (abort, timeout): wipes everything.  Idempotent. */
void esess_neg_abort(EsessNeg *neg);

/* The <error type='cancel'> of DIGEST §3.4 / INTEROP R13: the condition
 * (not-acceptable, feature-not-implemented, service-unavailable) and the
 * offending fields inside a <feature/> child.  Caller frees. */
EsessXmlNode *esess_neg_error_new(const char *condition, const char *const *vars, gsize n_vars);

/* For tests: our public value for group (MPI bytes owned by neg), NULL when
 * none is held (not offered, or wiped after failure/success). */
const guint8 *esess_neg_own_public(const EsessNeg *neg, guint group, size_t *len);

/* Wipes and frees; NULL allowed. */
void esess_neg_free(EsessNeg *neg);

/* ---- building blocks, exposed for the known-answer tests ------------ */
typedef enum {
	ESESS_KEY_KC_A, ESESS_KEY_KM_A, ESESS_KEY_KS_A,
	ESESS_KEY_KC_B, ESESS_KEY_KM_B, ESESS_KEY_KS_B,
	ESESS_KEY_COUNT_
} EsessKeyId;

/* INTEROP R3: keys[i] = HMAC-SHA-256(K, label_i), each a new 32-byte secret. */
G_GNUC_WARN_UNUSED_RESULT
EsessStatus esess_neg_derive_keys(const EsessSecret *k, EsessSecret *keys[ESESS_KEY_COUNT_]);

/* INTEROP R6: M = HMAC(KM, MPI(C) || ID), C the 16-byte counter before
 * the identity was encrypted. */
G_GNUC_WARN_UNUSED_RESULT
EsessStatus esess_neg_identity_mac(const EsessSecret *km, const guint8 c[ESESS_COUNTER_LEN],
				   const guint8 *id, size_t id_len, guint8 out[ESESS_HMAC_LEN]);

/* INTEROP R9: HMAC(N_A, RS); HMAC(SRS, "Shared Retained Secret");
 * SHA-256(K || SRS) (srs NULL: none; OSS empty); HMAC(K, "New Retained Secret"). */
G_GNUC_WARN_UNUSED_RESULT
EsessStatus esess_neg_rshash(const guint8 *n_a, size_t n_a_len, const EsessSecret *rs,
			     guint8 out[ESESS_HMAC_LEN]);
G_GNUC_WARN_UNUSED_RESULT
EsessStatus esess_neg_srshash(const EsessSecret *srs, guint8 out[ESESS_HMAC_LEN]);
EsessSecret *esess_neg_final_k(const EsessSecret *k, const EsessSecret *srs);
G_GNUC_WARN_UNUSED_RESULT
EsessStatus esess_neg_new_rs(const EsessSecret *final_k, EsessSecret **out);

/* ---- prepared key pairs (esess-chat.h declares the pool's public API) */
/* Takes a prepared key pair for group (caller owns it), or NULL when none is
 * ready.  A key pair is handed out once (never reused). */
EsessDhKey *esess_keypool_take(EsessKeyPool *pool, guint group);
/* Number of ready key pairs for group. */
guint esess_keypool_count(const EsessKeyPool *pool, guint group);

G_END_DECLS

#endif /* ESESS_NEGOTIATE_H */
