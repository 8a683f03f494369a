/*
 * esess-idkey-private.h - the XML-element forms of public keys the engine
 * reads and writes itself (INTEROP R21, R22), and building blocks exposed
 * for tests.  Not installed: they take EsessXmlNode, the engine's own tree;
 * esess-idkey.h has the installed API (text forms).
 */
#ifndef ESESS_IDKEY_PRIVATE_H
#define ESESS_IDKEY_PRIVATE_H

#include <glib.h>
#include <gnutls/x509.h>
#include <stddef.h>

#include "esess-idkey.h"
#include "esess-status.h"
#include "esess-xml.h"

G_BEGIN_DECLS

#define ESESS_NS_DSIG    "http://www.w3.org/2000/09/xmldsig#"

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

/* The GnuTLS key behind k (owned by k): esess-archive.c unwraps collection
 * keys with RSA-OAEP through libgcrypt, which GnuTLS 3.7 does not offer. */
gnutls_x509_privkey_t esess_idkey_x509(const EsessIdKey *k);

G_END_DECLS

#endif /* ESESS_IDKEY_PRIVATE_H */
