/*
 * esess-session.h - an established XEP-0200 session: stanza encryption with
 * AES-CTR and HMAC-SHA-256, counters, re-keying, termination.
 *
 * Keys are per direction (own = what we send, peer = what we receive), never
 * per XEP-0116 role (DIGEST §15 #17).  Any failure while decrypting ends the
 * session for good and wipes its keys (SECURITY items 34-49): every later call
 * returns ESESS_ERR_SESSION_ENDED.
 */
#ifndef ESESS_SESSION_H
#define ESESS_SESSION_H

#include <glib.h>
#include <stddef.h>

#include "esess-chat.h"
#include "esess-crypto.h"
#include "esess-mem.h"
#include "esess-status.h"
#include "esess-xml.h"

G_BEGIN_DECLS

/* Cap on the base64 text of <data/> (SECURITY item 41), checked before
 * decoding; payloads are at most this size once decoded (3/4 of it). */
#define ESESS_MAX_DATA_B64 (512u * 1024u)

typedef struct _EsessSession EsessSession;

typedef struct {
	/* 32-byte keys; cipher keys select AES-256 (INTEROP R4) */
	const EsessSecret *own_cipher_key;
	const EsessSecret *own_mac_key;
	const EsessSecret *peer_cipher_key;
	const EsessSecret *peer_mac_key;
	/* the running counters as they are now (after identity encryption, R5) */
	guint8 own_counter[ESESS_COUNTER_LEN];
	guint8 peer_counter[ESESS_COUNTER_LEN];
	/* for re-keying (XEP-0200 §Re-Key Exchange): the group, our key pair
	 * (ownership taken by esess_session_new; NULL disables re-keying) and
	 * the peer's public value (copied) */
	guint group;
	EsessDhKey *own_dh;
	const guint8 *peer_public;
	size_t peer_public_len;
	/* agreed rekey_freq: minimum stanzas between re-keys (0 = never re-key) */
	guint64 rekey_freq;
} EsessSessionParams;

/* Copies the keys into secure memory, takes ownership of params->own_dh.
 * Returns ESESS_OK, ESESS_ERR_INVALID_ARG, ESESS_ERR_INTERNAL. */
G_GNUC_WARN_UNUSED_RESULT
EsessStatus esess_session_new(const EsessSessionParams *params, EsessSession **out);

/* Encrypts payload[0..len) (the serialised children of a stanza, INTEROP R14;
 * len 0 = an empty stanza, counter + 1) and appends the complete
 * <c xmlns='http://www.xmpp.org/extensions/xep-0200.html#ns'> element to out:
 * data (padded with spaces to a multiple of 16 bytes), then key/new/old when a
 * re-key is in progress, then mac = HMAC(KM, m_content || C) with C written as
 * 16 bytes (INTEROP R6).  Returns ESESS_OK, ESESS_ERR_SESSION_ENDED,
 * ESESS_ERR_COUNTER_EXHAUSTED (re-key or end first), ESESS_ERR_TOO_LARGE. */
G_GNUC_WARN_UNUSED_RESULT
EsessStatus esess_session_encrypt(EsessSession *s, const char *payload, size_t len, GString *out);

/* Same, with the children of <c/> appended to parts (EsessCChild *, caller
 * frees them with esess_c_child_free) in the order and with the very texts
 * the <c/> text would hold: data, key, new, old..., mac (issue 11 item 2). */
G_GNUC_WARN_UNUSED_RESULT
EsessStatus esess_session_encrypt_parts(EsessSession *s, const char *payload, size_t len,
					GPtrArray *parts);

/* Verifies and decrypts one <c/> element (already checked by the caller to be
 * the single immediate child in the exact namespace, from the right JID and
 * thread, INTEROP R15): children data/key/new/old/mac in any order, each at
 * most once except old; MAC checked first, in constant time, on exactly 32
 * bytes, with C as 16 bytes or as MPI (R6); then decrypt, strip the space
 * padding, check UTF-8 and parse the payload as children of a synthetic
 * element in jabber:client (esess_xml_parse_fragment).  A <key/> is applied
 * (re-key) only after the MAC verified.  On success *payload receives the
 * synthetic element (caller frees; NULL for an empty stanza), and *plain /
 * *plain_len, when not NULL, the decrypted text (caller frees with
 * esess_free_wiped).  Any failure ends the session and wipes its keys.
 * Returns ESESS_OK, ESESS_ERR_SESSION_ENDED, ESESS_ERR_MALFORMED,
 * ESESS_ERR_BASE64, ESESS_ERR_TOO_LARGE, ESESS_ERR_MAC_LENGTH, ESESS_ERR_MAC,
 * ESESS_ERR_UTF8, ESESS_ERR_PAYLOAD, ESESS_ERR_REKEY, ESESS_ERR_DH_RANGE,
 * ESESS_ERR_COUNTER_EXHAUSTED. */
G_GNUC_WARN_UNUSED_RESULT
EsessStatus esess_session_decrypt(EsessSession *s, const EsessXmlNode *c,
				  EsessXmlNode **payload, char **plain, size_t *plain_len);

/* Same, from the text of a <c/> element (parses it with the default limits). */
G_GNUC_WARN_UNUSED_RESULT
EsessStatus esess_session_decrypt_text(EsessSession *s, const char *c_xml, size_t len,
				       EsessXmlNode **payload, char **plain, size_t *plain_len);

/* The largest <data/> or <mac/> text esess_session_decrypt_parts takes: a
 * stanza this size is far inside what the complete way parses
 * (esess_xml_default_limits), so both ways refuse the same stanzas. */
#define ESESS_SESSION_PARTS_MAX (64u * 1024u)

/* Same as esess_session_decrypt, from the texts of <data/> (NULL when the
 * <c/> has none) and <mac/> of a <c/> whose only children they are, each at
 * most once (the caller checked the structure, issue 11 item 2).  Texts not
 * in the simple form (empty, longer than ESESS_SESSION_PARTS_MAX, anything
 * but base64 characters) give ESESS_ERR_INVALID_ARG and change nothing: the
 * caller then takes the complete way.  Every other status is as
 * esess_session_decrypt's, failures ending the session. */
G_GNUC_WARN_UNUSED_RESULT
EsessStatus esess_session_decrypt_parts(EsessSession *s, const char *data, size_t data_len,
					const char *mac, size_t mac_len, EsessXmlNode **payload);

/* esess_session_decrypt_parts in two steps, so that a caller can do the
 * work that reads only the stanza (the texts' checks and base64 decoding)
 * while a cold session's lines come in (esess_session_prefetch; issue 11
 * item 1).  esess_session_in_decode reads the texts (which must outlive
 * in) and nothing of any session; esess_session_decrypt_in then gives
 * esess_session_decrypt_parts's verdict on them, ESESS_ERR_SESSION_ENDED
 * first, ESESS_ERR_INVALID_ARG (nothing changed) for texts not in the simple
 * form, failures ending the session, and clears in.  A caller that does not
 * go on to esess_session_decrypt_in clears in with esess_session_in_clear. */
typedef struct {
	gboolean simple;        /* FALSE: not the simple form */
	EsessStatus r;          /* the decoding's verdict */
	guint8 mac[ESESS_HMAC_LEN]; /* the <mac/> decoded (public) */
	guint8 *data;           /* the <data/> decoded, owned; wiped on clear */
	size_t data_len;
	const char *data_text, *mac_text;
	size_t data_text_len, mac_text_len;
} EsessSessionIn;

void esess_session_in_decode(EsessSessionIn *in, const char *data, size_t data_len,
			     const char *mac, size_t mac_len);
G_GNUC_WARN_UNUSED_RESULT
EsessStatus esess_session_decrypt_in(EsessSession *s, EsessSessionIn *in,
				     EsessXmlNode **payload);
void esess_session_in_clear(EsessSessionIn *in);

/* Asks for the cache lines of s that the next message reads (its first
 * lines and the keys of one direction: sending TRUE for encrypt), without
 * reading them: a caller with other work to do before it encrypts or
 * decrypts (the chat's sender and thread checks, parsing the payload) lets
 * the misses of a cold session overlap that work (issue 11 item 1). */
void esess_session_prefetch(const EsessSession *s, gboolean sending);

/* Starts a re-key (XEP-0200 §Re-Key Exchange): the next encrypted stanza
 * carries <key/>.  Returns ESESS_OK, ESESS_ERR_SESSION_ENDED, ESESS_ERR_STATE
 * (re-keying disabled or too soon for rekey_freq), ESESS_ERR_INTERNAL. */
G_GNUC_WARN_UNUSED_RESULT
EsessStatus esess_session_rekey(EsessSession *s);

/* TRUE when the sending key is close enough to its 2^32-block life that the
 * caller should re-key (or end) now. */
gboolean esess_session_needs_rekey(const EsessSession *s);

/* Ends the session: wipes every key.  Idempotent. */
void esess_session_end(EsessSession *s);
gboolean esess_session_is_ended(const EsessSession *s);

/* Current counters (for tests and diagnostics). */
void esess_session_counters(const EsessSession *s, guint8 own[ESESS_COUNTER_LEN],
			    guint8 peer[ESESS_COUNTER_LEN]);

/* Stanzas sent and received so far. */
guint64 esess_session_sent(const EsessSession *s);
guint64 esess_session_received(const EsessSession *s);

/* Wipes and frees; NULL allowed. */
void esess_session_free(EsessSession *s);

/* For tests: TRUE when no key material is held any more (after end/failure). */
gboolean esess_session_keys_wiped(const EsessSession *s);

/* For tests only: advances our sending counter (own TRUE) or the peer's
 * receiving counter by n blocks of the current key without producing
 * keystream, so the 2^32-block key life (XEP-0200 §Maximum Key Life) can be
 * reached without encrypting 64 GiB.  Returns ESESS_OK,
 * ESESS_ERR_SESSION_ENDED, ESESS_ERR_COUNTER_EXHAUSTED. */
G_GNUC_WARN_UNUSED_RESULT
EsessStatus esess_session_skip_blocks_for_test(EsessSession *s, gboolean own, guint64 n);

G_END_DECLS

#endif /* ESESS_SESSION_H */
