/*
 * esess-status.h - the one error type of the ESession engine.
 *
 * Every engine function that can fail returns an EsessStatus (OpenSSH's
 * SSH_ERR_*, Noise-C's NOISE_ERROR_*).  ESESS_OK is 0.  Tests assert exact
 * codes, so a code means one thing.  User-visible sentences for these live
 * only in the adapter (plugin/purple), never here.
 *
 * To add a code: add one X(...) line in the right group below; the name table
 * follows automatically.  Keep the groups; append, never renumber in the middle
 * of a release.
 */
#ifndef ESESS_STATUS_H
#define ESESS_STATUS_H

#include <glib.h>

#include "esess-export.h"

G_BEGIN_DECLS

/** @file esess-status.h
 * @brief EsessStatus: the one error type of the engine. */

/** The status codes, one X(symbol, description) line each, in the order of
 * their values (ESESS_OK is 0).  The description is what
 * esess_status_name() returns. */
#define ESESS_STATUS_LIST(X) \
	X(ESESS_OK,                      "ok") \
	/* generic */ \
	X(ESESS_ERR_INTERNAL,            "internal error (crypto library failure)") \
	X(ESESS_ERR_NOMEM,               "out of (secure) memory") \
	X(ESESS_ERR_INVALID_ARG,         "invalid argument") \
	X(ESESS_ERR_TOO_LARGE,           "input exceeds a size limit") \
	/* encodings: base64, MPI, integers, UTF-8 (esess-bytes) */ \
	X(ESESS_ERR_BASE64,              "malformed base64") \
	X(ESESS_ERR_MPI,                 "malformed integer encoding (MPI)") \
	X(ESESS_ERR_INTEGER,             "malformed decimal integer") \
	X(ESESS_ERR_UTF8,                "invalid UTF-8") \
	X(ESESS_ERR_LENGTH,              "value has the wrong length") \
	/* Diffie-Hellman (esess-crypto, esess-modp) */ \
	X(ESESS_ERR_UNKNOWN_GROUP,       "unknown or unsupported MODP group") \
	X(ESESS_ERR_DH_RANGE,            "Diffie-Hellman value out of range") \
	X(ESESS_ERR_DH_REFLECTED,        "Diffie-Hellman value reflected or reused") \
	X(ESESS_ERR_DH_SHARED,           "degenerate Diffie-Hellman shared secret") \
	/* XML (esess-xml) */ \
	X(ESESS_ERR_XML,                 "malformed or forbidden XML") \
	X(ESESS_ERR_XML_LIMIT,           "XML exceeds a depth, count or size limit") \
	/* stanza encryption (esess-session, XEP-0200) */ \
	X(ESESS_ERR_MAC,                 "MAC verification failed") \
	X(ESESS_ERR_MAC_LENGTH,          "MAC has the wrong length") \
	X(ESESS_ERR_MALFORMED,           "malformed encrypted element") \
	X(ESESS_ERR_PAYLOAD,             "decrypted payload is not acceptable XML") \
	X(ESESS_ERR_COUNTER_EXHAUSTED,   "key life exhausted (2^32 blocks): re-key needed") \
	X(ESESS_ERR_SESSION_ENDED,       "the encrypted session has ended") \
	X(ESESS_ERR_REKEY,               "invalid re-key") \
	/* data forms and option choice (esess-form, esess-featneg) */ \
	X(ESESS_ERR_FORM,                "malformed data form") \
	X(ESESS_ERR_NOT_ACCEPTABLE,      "no acceptable option") \
	X(ESESS_ERR_NOT_OFFERED,         "peer chose an option that was not offered") \
	X(ESESS_ERR_POLICY,              "refused by local policy") \
	/* negotiation (esess-negotiate, XEP-0155/0116) */ \
	X(ESESS_ERR_COMMITMENT,          "hash commitment does not match") \
	X(ESESS_ERR_IDENTITY,            "identity verification failed") \
	X(ESESS_ERR_NONCE,               "nonce mismatch") \
	X(ESESS_ERR_STATE,               "message not allowed in the current state") \
	X(ESESS_ERR_WRONG_PEER,          "stanza from the wrong peer or thread") \
	X(ESESS_ERR_REJECTED,            "the peer declined the session") \
	X(ESESS_ERR_PEER_ERROR,          "the peer returned an error") \
	X(ESESS_ERR_RATE_LIMIT,          "too many negotiations") \
	X(ESESS_ERR_SAS_MISMATCH,        "the user reported that the SAS differs") \
	X(ESESS_ERR_TIMEOUT,             "the peer did not answer in time") \
	X(ESESS_ERR_SAS_DOWNGRADE,       "the peer chose the legacy SAS although ours was offered") \
	/* retained-secret store (esess-store) */ \
	X(ESESS_ERR_STORE_IO,            "key store could not be read or written") \
	X(ESESS_ERR_STORE_FORMAT,        "key store file is corrupt") \
	/* appended (issue 10) */ \
	X(ESESS_ERR_PEER_UNREADABLE,     "the peer could not read our stanzas and ended the session") \
	/* identity keys (esess-idkey, INTEROP R21, R22; issue 12) */ \
	X(ESESS_ERR_KEY,                 "malformed or unacceptable public or private key") \
	X(ESESS_ERR_KEY_PASSPHRASE,      "the identity key needs a passphrase, or it is wrong") \
	X(ESESS_ERR_SIGNATURE,           "signature verification failed") \
	X(ESESS_ERR_KEY_UNKNOWN,         "the peer named a key we do not hold") \
	X(ESESS_ERR_EXPIRED,             "the offline options have expired") \
	X(ESESS_ERR_REPLAY,              "an offline message was replayed")

/** What an engine call came to: ESESS_OK (0) or the reason it failed.  The
 * values are listed, with their meaning, in ESESS_STATUS_LIST.  A code
 * means one thing; new codes are appended (the values of existing ones
 * never change within a major version of the library). */
typedef enum {
	/** @cond INTERNAL */
#define ESESS_STATUS_ENUM_(sym, text) sym,
	ESESS_STATUS_LIST(ESESS_STATUS_ENUM_)
#undef ESESS_STATUS_ENUM_
	ESESS_STATUS_COUNT_
	/** @endcond */
} EsessStatus;

/** The constant symbol of a status ("ESESS_ERR_MAC"), for logs and tests.
 * @param s a status
 * @return a static string; "ESESS_ERR_UNKNOWN" for a value out of range */
ESESS_API const char *esess_status_symbol(EsessStatus s);

/** A short English description, for debug logs only (not translated, not
 * for users: a client maps statuses to its own translated sentences).
 * @param s a status
 * @return a static string */
ESESS_API const char *esess_status_name(EsessStatus s);

/** The debug-log form of a failure (issue 8 item 4): "SYMBOL field=NAME",
 * e.g. "ESESS_ERR_NOT_OFFERED field=modp".
 * @param s a status
 * @param field one of the engine's own field names (EsessStep::field),
 *        never text from the peer; NULL or "" gives "field=none"
 * @return a new string; the caller frees it with g_free() */
ESESS_API char *esess_status_describe(EsessStatus s, const char *field);

G_END_DECLS

#endif /* ESESS_STATUS_H */
