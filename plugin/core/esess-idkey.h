/*
 * esess-idkey.h - long-term identity keys (INTEROP R21, R22; issue 12):
 * our RSA key pair, a contact's public key, and the forms they travel in.
 * Part of the installed API (esessions.h); the XML-element forms the engine
 * itself reads and writes are in esess-idkey-private.h.
 *
 *   EsessIdKey   our private key (GnuTLS), with its public half.  Generated
 *                once per account, kept by the adapter as a PEM PKCS#8 file,
 *                optionally encrypted with a passphrase.
 *   EsessPubKey  an RSA public key (modulus, exponent), checked on the way
 *                in: 2048 to 8192 bits, odd modulus, odd exponent 3 to
 *                2^32-1, no leading zero octets anywhere.
 *
 * Forms of a public key:
 *   - XML-DSig <KeyValue><RSAKeyValue><Modulus/><Exponent/> with base64
 *     big-endian values: what the negotiation carries (R21);
 *   - XEP-0189 <pubkey xmlns='urn:xmpp:pubkey:2'> with decimal modulus and
 *     exponent: what PEP publishes (R22); converted exactly both ways;
 *   - the fingerprint people compare: SHA-256 of the DER
 *     SubjectPublicKeyInfo, written as 16 groups of 4 hex digits
 *     (doc/wire-profile.md R21);
 *   - the R21 `hash`: SHA-256 of the R7 form of the <KeyValue/>.
 *
 * Nothing here holds global state or touches libpurple: generation and
 * every other call may run on a worker thread, one object per thread.
 */
#ifndef ESESS_IDKEY_H
#define ESESS_IDKEY_H

#include <glib.h>
#include <stddef.h>

#include "esess-export.h"
#include "esess-status.h"

G_BEGIN_DECLS

/** @file esess-idkey.h
 * @brief Identity keys: our RSA key pair and the contacts' public keys
 * (INTEROP R21, R22). */

/** The namespace of XEP-0189 public keys, as PEP publishes them (R22). */
#define ESESS_NS_PUBKEY2 "urn:xmpp:pubkey:2"

/** Size of a new key unless asked otherwise, in bits (R21). */
#define ESESS_IDKEY_BITS      3072u
/** Smaller keys are refused everywhere. */
#define ESESS_IDKEY_MIN_BITS  2048u
/** Larger keys are refused too (their cost is a denial of service). */
#define ESESS_IDKEY_MAX_BITS  8192u
/** Bytes of a fingerprint (SHA-256). */
#define ESESS_IDKEY_FPR_LEN   32u
/** Characters of a written fingerprint, "XXXX XXXX ... XXXX": 16 groups of
 * 4 hex digits and 15 spaces, without the NUL. */
#define ESESS_IDKEY_FPR_TEXT_LEN (16u * 4u + 15u)

/** Our private key, with its public half.  Opaque. */
typedef struct _EsessIdKey EsessIdKey;
/** An RSA public key, checked when it was made.  Opaque. */
typedef struct _EsessPubKey EsessPubKey;

/* ---- our key ---------------------------------------------------------- */

/** Generates an RSA key.  Takes seconds: call it from a worker thread (no
 * global state; thread-safe).
 * @param bits 0 for ESESS_IDKEY_BITS, else 2048 to 8192, a multiple of 8
 * @param[out] out the key; free it with esess_idkey_free()
 * @return ESESS_OK, ESESS_ERR_INVALID_ARG, ESESS_ERR_INTERNAL */
G_GNUC_WARN_UNUSED_RESULT
ESESS_API EsessStatus esess_idkey_generate(guint bits, EsessIdKey **out);

/** Takes a reference: keys are reference-counted (atomically), so a chat
 * holds one for its negotiation and the client may drop its own at any
 * time.
 * @param k the key
 * @return k */
ESESS_API EsessIdKey *esess_idkey_ref(EsessIdKey *k);
/** Drops a reference; the last one frees the key (GnuTLS wipes its
 * numbers).
 * @param k the key, or NULL */
ESESS_API void esess_idkey_free(EsessIdKey *k);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(EsessIdKey, esess_idkey_free)

/** The private key as PEM PKCS#8: "ENCRYPTED PRIVATE KEY" (PBES2, AES-256,
 * PBKDF2) with a passphrase, else "PRIVATE KEY".
 * @param k the key
 * @param passphrase NULL or "" for none
 * @param[out] pem NUL-terminated; it holds the private key (in clear without
 *        a passphrase): free it with esess_idkey_pem_free()
 * @param[out] len its length without the NUL
 * @return ESESS_OK, ESESS_ERR_INTERNAL */
G_GNUC_WARN_UNUSED_RESULT
ESESS_API EsessStatus esess_idkey_export_pem(const EsessIdKey *k, const char *passphrase,
					     char **pem, size_t *len);

/** Wipes and frees a PEM from esess_idkey_export_pem().
 * @param pem the PEM, or NULL
 * @param len its length */
ESESS_API void esess_idkey_pem_free(char *pem, size_t len);

/** Whether importing a PEM needs a passphrase (ask the user only then).
 * @param pem the PEM text
 * @param len its length
 * @return TRUE for an encrypted PKCS#8 key */
ESESS_API gboolean esess_idkey_pem_is_encrypted(const char *pem, size_t len);

/** Reads a PEM PKCS#8 private key, encrypted or not.
 * @param pem the PEM text
 * @param len its length
 * @param passphrase NULL or "" for none
 * @param[out] out the key; free it with esess_idkey_free()
 * @return ESESS_OK, ESESS_ERR_KEY_PASSPHRASE (encrypted and the passphrase
 *         is missing or wrong), ESESS_ERR_KEY (not a PKCS#8 RSA key, or its
 *         size is outside 2048..8192 bits), ESESS_ERR_TOO_LARGE */
G_GNUC_WARN_UNUSED_RESULT
ESESS_API EsessStatus esess_idkey_import_pem(const char *pem, size_t len, const char *passphrase,
					     EsessIdKey **out);

/** The public half of our key.
 * @param k the key
 * @return the public key (owned by k) */
ESESS_API const EsessPubKey *esess_idkey_public(const EsessIdKey *k);

/** Signs with RSASSA-PKCS1-v1_5 and SHA-256 (R21, R22).  Deterministic.
 * @param k the key
 * @param data what to sign
 * @param len its length
 * @param[out] sig exactly the modulus length; g_free() it
 * @param[out] sig_len its length
 * @return ESESS_OK, ESESS_ERR_INTERNAL */
G_GNUC_WARN_UNUSED_RESULT
ESESS_API EsessStatus esess_idkey_sign(const EsessIdKey *k, const guint8 *data, size_t len,
				       guint8 **sig, size_t *sig_len);

/* ---- public keys ------------------------------------------------------ */

/** A public key from its raw big-endian modulus and exponent, checked as
 * described at the top (leading zero octets are refused).
 * @param n the modulus
 * @param n_len its length
 * @param e the exponent
 * @param e_len its length
 * @param[out] out the key; free it with esess_pubkey_free()
 * @return ESESS_OK, ESESS_ERR_KEY */
G_GNUC_WARN_UNUSED_RESULT
ESESS_API EsessStatus esess_pubkey_new(const guint8 *n, size_t n_len, const guint8 *e,
				       size_t e_len, EsessPubKey **out);
/** @param pk a key
 * @return a copy; free it with esess_pubkey_free() */
ESESS_API EsessPubKey *esess_pubkey_copy(const EsessPubKey *pk);
/** Frees a key.
 * @param pk the key, or NULL */
ESESS_API void esess_pubkey_free(EsessPubKey *pk);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(EsessPubKey, esess_pubkey_free)

/** @param a a key
 * @param b a key
 * @return TRUE when both are the same key */
ESESS_API gboolean esess_pubkey_equal(const EsessPubKey *a, const EsessPubKey *b);
/** @param pk a key
 * @return the size of its modulus in bits */
ESESS_API guint esess_pubkey_bits(const EsessPubKey *pk);
/** @param pk a key
 * @param[out] len the modulus' length
 * @return the modulus, big-endian, no leading zero octet (owned by pk) */
ESESS_API const guint8 *esess_pubkey_modulus(const EsessPubKey *pk, size_t *len);
/** @param pk a key
 * @param[out] len the exponent's length
 * @return the exponent, big-endian, no leading zero octet (owned by pk) */
ESESS_API const guint8 *esess_pubkey_exponent(const EsessPubKey *pk, size_t *len);

/** Checks an RSASSA-PKCS1-v1_5 SHA-256 signature.
 * @param pk the signer's key
 * @param data what was signed
 * @param len its length
 * @param sig the signature: exactly the modulus length
 * @param sig_len its length
 * @return ESESS_OK or ESESS_ERR_SIGNATURE (never anything else for a bad
 *         signature) */
G_GNUC_WARN_UNUSED_RESULT
ESESS_API EsessStatus esess_pubkey_verify(const EsessPubKey *pk, const guint8 *data, size_t len,
					  const guint8 *sig, size_t sig_len);

/** The fingerprint people compare: SHA-256 of the DER SubjectPublicKeyInfo
 * (the same as `openssl pkey -pubin -outform DER | sha256sum`).
 * @param pk a key
 * @param[out] out the fingerprint */
ESESS_API void esess_pubkey_fingerprint(const EsessPubKey *pk, guint8 out[ESESS_IDKEY_FPR_LEN]);
/** Writes a fingerprint as 16 groups of 4 upper-case hex digits separated
 * by spaces.
 * @param fpr the fingerprint
 * @param[out] out ESESS_IDKEY_FPR_TEXT_LEN + 1 bytes */
ESESS_API void esess_fingerprint_format(const guint8 fpr[ESESS_IDKEY_FPR_LEN],
					char out[ESESS_IDKEY_FPR_TEXT_LEN + 1]);
/** esess_pubkey_fingerprint() and esess_fingerprint_format() at once.
 * @param pk a key
 * @return the written fingerprint; g_free() it */
ESESS_API char *esess_pubkey_fingerprint_text(const EsessPubKey *pk);

/* ---- R22: XEP-0189 <pubkey xmlns='urn:xmpp:pubkey:2'/> ---------------- */

/** What a XEP-0189 `<pubkey/>` says besides the key. */
typedef struct {
	char *jid;     /**< the `<jid/>` text as it arrived */
	gint64 begin;  /**< start of validity, seconds since the epoch (UTC) */
	gint64 end;    /**< end of validity, seconds since the epoch (UTC) */
} EsessPubkey2Info;
/** Frees what an EsessPubkey2Info holds and empties it.
 * @param info the info */
ESESS_API void esess_pubkey2_info_clear(EsessPubkey2Info *info);

/** The clock difference, in seconds, that esess_pubkey2_info_check_time()
 * is given by the plugin: a contact's clock may be a few minutes off ours
 * (doc/wire-profile.md, R22 "Validity"). */
#define ESESS_PUBKEY2_CLOCK_SKEW 300

/** Whether a XEP-0189 key's validity period holds at a time: `<begin/>`
 * is not later than now + skew and `<end/>` not earlier than now - skew.
 * A key outside its period must not be trusted (R22 "Validity").
 * @param info what esess_pubkey_from_pubkey2_text() read
 * @param now the time, seconds since the epoch (UTC)
 * @param skew the tolerated clock difference in seconds (>= 0)
 * @return ESESS_OK, ESESS_ERR_EXPIRED (not begun yet, or ended) or
 *         ESESS_ERR_INVALID_ARG */
G_GNUC_WARN_UNUSED_RESULT
ESESS_API EsessStatus esess_pubkey2_info_check_time(const EsessPubkey2Info *info, gint64 now,
						    gint64 skew);

/** The XEP-0189 form of a key, as XML text (R22): a `<pubkey/>` holding
 * `<begin/>`, `<end/>`, `<jid/>` and `<rsakey/>` with the decimal
 * `<modulus/>` and `<publicExponent/>` and the XEP-0189 `<print/>`.
 * @param pk the key
 * @param jid the bare JID it speaks for
 * @param begin start of validity, seconds since the epoch
 * @param end end of validity, seconds since the epoch
 * @return the element as XML text; g_free() it */
ESESS_API char *esess_pubkey_to_pubkey2_text(const EsessPubKey *pk, const char *jid,
					     gint64 begin, gint64 end);

/** Reads the XEP-0189 form of a key from XML text (the inverse, exactly):
 * one `<pubkey xmlns='urn:xmpp:pubkey:2'/>` element, parsed with the
 * engine's limits.  Decimal values: digits only, no sign, no leading zero;
 * whitespace around and between digits is ignored.  The print, when
 * present, must match; begin <= end.
 * @param xml the element as text
 * @param len its length
 * @param[out] out the key; free it with esess_pubkey_free()
 * @param[out] info what else it says (may be NULL); empty it with
 *        esess_pubkey2_info_clear()
 * @return ESESS_OK, ESESS_ERR_KEY (not one well-formed `<pubkey/>` of a
 *         valid key) */
G_GNUC_WARN_UNUSED_RESULT
ESESS_API EsessStatus esess_pubkey_from_pubkey2_text(const char *xml, size_t len,
						     EsessPubKey **out, EsessPubkey2Info *info);

G_END_DECLS

#endif /* ESESS_IDKEY_H */
