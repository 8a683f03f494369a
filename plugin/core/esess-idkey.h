/*
 * esess-idkey.h - long-term identity keys (INTEROP R21, R22; issue 12):
 * our RSA key pair, a contact's public key, and the forms they travel in.
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

#include "esess-status.h"
#include "esess-xml.h"

G_BEGIN_DECLS

#define ESESS_NS_DSIG    "http://www.w3.org/2000/09/xmldsig#"
#define ESESS_NS_PUBKEY2 "urn:xmpp:pubkey:2"

#define ESESS_IDKEY_BITS      3072u  /* R21 default */
#define ESESS_IDKEY_MIN_BITS  2048u  /* smaller keys are refused everywhere */
#define ESESS_IDKEY_MAX_BITS  8192u  /* larger ones too (cost, SECURITY) */
#define ESESS_IDKEY_FPR_LEN   32u    /* SHA-256 */
/* "XXXX XXXX ... XXXX": 16 groups of 4 hex digits, 15 spaces, NUL */
#define ESESS_IDKEY_FPR_TEXT_LEN (16u * 4u + 15u)

typedef struct _EsessIdKey EsessIdKey;
typedef struct _EsessPubKey EsessPubKey;

/* ---- our key ---------------------------------------------------------- */

/* Generates an RSA key of bits bits (0: ESESS_IDKEY_BITS; else 2048 to 8192,
 * a multiple of 8).  Takes seconds: call it from a worker thread (no global
 * state; thread-safe).  Returns ESESS_OK, ESESS_ERR_INVALID_ARG,
 * ESESS_ERR_INTERNAL.  Caller frees with esess_idkey_free. */
G_GNUC_WARN_UNUSED_RESULT
EsessStatus esess_idkey_generate(guint bits, EsessIdKey **out);

/* Keys are reference-counted (atomically): a chat takes a reference for
 * its negotiation, so the adapter may drop its own at any time.
 * esess_idkey_free drops one reference; the last one frees the key (GnuTLS
 * wipes its numbers).  NULL allowed. */
EsessIdKey *esess_idkey_ref(EsessIdKey *k);
void esess_idkey_free(EsessIdKey *k);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(EsessIdKey, esess_idkey_free)

/* The private key as PEM PKCS#8: "ENCRYPTED PRIVATE KEY" (PBES2, AES-256,
 * PBKDF2) when passphrase is neither NULL nor "", else "PRIVATE KEY".
 * *pem is NUL-terminated, *len excludes the NUL; it holds the private key
 * (in clear when there is no passphrase): free it with esess_idkey_pem_free.
 * Returns ESESS_OK, ESESS_ERR_INTERNAL. */
G_GNUC_WARN_UNUSED_RESULT
EsessStatus esess_idkey_export_pem(const EsessIdKey *k, const char *passphrase, char **pem,
				   size_t *len);
/* Wipes and frees a PEM from esess_idkey_export_pem; NULL allowed. */
void esess_idkey_pem_free(char *pem, size_t len);

/* TRUE when pem[0..len) is an encrypted PKCS#8 key, i.e. importing it needs
 * the passphrase (the adapter asks the user only then). */
gboolean esess_idkey_pem_is_encrypted(const char *pem, size_t len);

/* Reads a PEM PKCS#8 private key (encrypted or not; passphrase NULL or ""
 * for none).  Returns ESESS_OK, ESESS_ERR_KEY_PASSPHRASE (encrypted and the
 * passphrase is missing or wrong), ESESS_ERR_KEY (not a PKCS#8 RSA key, or
 * its size is outside 2048..8192 bits), ESESS_ERR_TOO_LARGE. */
G_GNUC_WARN_UNUSED_RESULT
EsessStatus esess_idkey_import_pem(const char *pem, size_t len, const char *passphrase,
				   EsessIdKey **out);

/* The public half (owned by k). */
const EsessPubKey *esess_idkey_public(const EsessIdKey *k);

/* RSASSA-PKCS1-v1_5 with SHA-256 over data[0..len) (R21, R22): *sig is
 * exactly the modulus length (g_free).  Deterministic.  Returns ESESS_OK,
 * ESESS_ERR_INTERNAL. */
G_GNUC_WARN_UNUSED_RESULT
EsessStatus esess_idkey_sign(const EsessIdKey *k, const guint8 *data, size_t len, guint8 **sig,
			     size_t *sig_len);

/* ---- public keys ------------------------------------------------------ */

/* A public key from its raw big-endian modulus and exponent, checked as
 * described at the top (leading zero octets are refused: the forms we read
 * are canonical).  Returns ESESS_OK, ESESS_ERR_KEY. */
G_GNUC_WARN_UNUSED_RESULT
EsessStatus esess_pubkey_new(const guint8 *n, size_t n_len, const guint8 *e, size_t e_len,
			     EsessPubKey **out);
EsessPubKey *esess_pubkey_copy(const EsessPubKey *pk);
void esess_pubkey_free(EsessPubKey *pk);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(EsessPubKey, esess_pubkey_free)

gboolean esess_pubkey_equal(const EsessPubKey *a, const EsessPubKey *b);
/* Size of the modulus in bits. */
guint esess_pubkey_bits(const EsessPubKey *pk);
/* Big-endian, no leading zero octet; owned by pk. */
const guint8 *esess_pubkey_modulus(const EsessPubKey *pk, size_t *len);
const guint8 *esess_pubkey_exponent(const EsessPubKey *pk, size_t *len);

/* Checks an RSASSA-PKCS1-v1_5 SHA-256 signature over data[0..len).  The
 * signature must be exactly the modulus length.  Returns ESESS_OK or
 * ESESS_ERR_SIGNATURE (never anything else for a bad signature). */
G_GNUC_WARN_UNUSED_RESULT
EsessStatus esess_pubkey_verify(const EsessPubKey *pk, const guint8 *data, size_t len,
				const guint8 *sig, size_t sig_len);

/* The fingerprint people compare: SHA-256 of the DER SubjectPublicKeyInfo
 * (the same as `openssl pkey -pubin -outform DER | sha256sum`). */
void esess_pubkey_fingerprint(const EsessPubKey *pk, guint8 out[ESESS_IDKEY_FPR_LEN]);
/* fpr as 16 groups of 4 upper-case hex digits separated by spaces; out
 * holds ESESS_IDKEY_FPR_TEXT_LEN + 1 bytes. */
void esess_fingerprint_format(const guint8 fpr[ESESS_IDKEY_FPR_LEN],
			      char out[ESESS_IDKEY_FPR_TEXT_LEN + 1]);
/* Both at once, newly allocated (g_free). */
char *esess_pubkey_fingerprint_text(const EsessPubKey *pk);

/* ---- R21: <KeyValue/> ------------------------------------------------- */

/* <KeyValue xmlns=ESESS_NS_DSIG><RSAKeyValue><Modulus>B64</Modulus>
 * <Exponent>B64</Exponent></RSAKeyValue></KeyValue> (caller frees). */
EsessXmlNode *esess_pubkey_to_keyvalue(const EsessPubKey *pk);
/* Appends the R7 form of that element (what the identity MACs and the
 * `hash` cover). */
void esess_pubkey_keyvalue_canon(const EsessPubKey *pk, GString *out);
/* R21 `hash`: SHA-256 of esess_pubkey_keyvalue_canon. */
void esess_pubkey_hash(const EsessPubKey *pk, guint8 out[ESESS_IDKEY_FPR_LEN]);
/* Reads a <KeyValue/> element (any namespace: the R7 form carries none):
 * exactly one <RSAKeyValue/> with exactly <Modulus/> then <Exponent/>, no
 * attributes, strict base64 of canonical (no leading zero octet) values;
 * whitespace-only text between elements is ignored.  Returns ESESS_OK,
 * ESESS_ERR_KEY. */
G_GNUC_WARN_UNUSED_RESULT
EsessStatus esess_pubkey_from_keyvalue(const EsessXmlNode *kv, EsessPubKey **out);

/* ---- R22: XEP-0189 <pubkey xmlns='urn:xmpp:pubkey:2'/> ---------------- */

typedef struct {
	char *jid;     /* the <jid/> text as it arrived */
	gint64 begin;  /* validity, seconds since the epoch (UTC) */
	gint64 end;
} EsessPubkey2Info;
void esess_pubkey2_info_clear(EsessPubkey2Info *info);

/* <pubkey><begin/><end/><jid/><rsakey><modulus/><publicExponent/>
 * <print algo='sha-256'/></rsakey></pubkey> with decimal values and the
 * XEP-0189 print: Base64(SHA-256(begin ‖ end ‖ jid ‖ modulus ‖ exponent)).
 * begin and end in seconds since the epoch, written as XEP-0082
 * "YYYY-MM-DDThh:mm:ssZ".  Caller frees. */
EsessXmlNode *esess_pubkey_to_pubkey2(const EsessPubKey *pk, const char *jid, gint64 begin,
				      gint64 end);
/* Reads one (the inverse, exactly).  Decimal values: digits only, no sign,
 * no leading zero; ASCII whitespace around and between digits is ignored
 * (XEP-0189's own example folds the modulus over lines).  The print, when
 * present with algo sha-256 (the default), must match.  begin <= end.
 * info may be NULL.  Returns ESESS_OK, ESESS_ERR_KEY. */
G_GNUC_WARN_UNUSED_RESULT
EsessStatus esess_pubkey_from_pubkey2(const EsessXmlNode *pubkey, EsessPubKey **out,
				      EsessPubkey2Info *info);

/* ---- R22: XEP-0187 `signs` ------------------------------------------- */

/* The `signs` value for an offline options form x (<x xmlns='jabber:x:data'>):
 * Base64 of RSASSA-PKCS1-v1_5 SHA-256 over the R7 form of x's children
 * without the `signs` field (the caller then adds it).  *b64 is g_malloc'd.
 * Returns ESESS_OK, ESESS_ERR_INVALID_ARG, ESESS_ERR_INTERNAL. */
G_GNUC_WARN_UNUSED_RESULT
EsessStatus esess_idkey_sign_form(const EsessIdKey *k, const EsessXmlNode *x, char **b64);

/* ESESS_OK when one of the values of x's `signs` field (at most 16 are
 * looked at) is such a signature by pk; ESESS_ERR_SIGNATURE when none is
 * (no `signs`, two `signs` fields, malformed base64, another key, a
 * changed form).  XEP-0187: without one, proceed no further. */
G_GNUC_WARN_UNUSED_RESULT
EsessStatus esess_pubkey_verify_form(const EsessPubKey *pk, const EsessXmlNode *x);

/* ---- building blocks, exposed for tests ------------------------------ */

/* XEP-0082 DateTime: "YYYY-MM-DDThh:mm:ssZ" of t (seconds since the epoch,
 * UTC; g_free); and the strict reader (a zone, Z or +hh:mm, is required;
 * fractions allowed), FALSE when s is not one. */
char *esess_datetime_format(gint64 t);
gboolean esess_datetime_parse(const char *s, gint64 *out);

/* Decimal text of the big-endian unsigned integer b[0..len) ("0" when it is
 * zero).  g_free. */
char *esess_decimal_from_bytes(const guint8 *b, size_t len);
/* Strict decimal text (digits only, no leading zero, whitespace as above
 * when allow_space) to big-endian bytes without leading zero octets, at most
 * max_len bytes.  Returns ESESS_OK, ESESS_ERR_INTEGER, ESESS_ERR_TOO_LARGE. */
G_GNUC_WARN_UNUSED_RESULT
EsessStatus esess_decimal_to_bytes(const char *text, gboolean allow_space, size_t max_len,
				   guint8 **out, size_t *out_len);

G_END_DECLS

#endif /* ESESS_IDKEY_H */
