/*
 * esess-archive.c - the encrypted archive of session messages (issue 13;
 * doc/archive.md is the format, byte for byte).
 *
 * Why each piece:
 *   - a random key per collection, wrapped to every identity public key of
 *     the account (XEP-0241 §manual: one <EncryptedKey/> per key, key
 *     names recorded), so writing never needs the private key and the user
 *     is never prompted while chatting;
 *   - RSA-OAEP (SHA-256) rather than XEP-0241's example rsa-1_5: PKCS#1
 *     v1.5 encryption is open to padding-oracle attacks.  GnuTLS 3.7 (the
 *     one Debian 12 ships) has no OAEP encryption, libgcrypt has: the
 *     wrapping is done there;
 *   - AES-256-CTR and HMAC-SHA-256 (encrypt then MAC) with separate keys
 *     derived from the collection key; each record's MAC covers the
 *     previous MAC and the record's index, so records cannot be reordered,
 *     dropped or replayed from another collection, and the trailer's MAC
 *     covers the count, so cutting whole records off the end is seen too.
 *     Appending rewrites only the trailer.
 */
#include "config.h"

#include <string.h>

#include "esess-archive-private.h"
#include "esess-bytes.h"
#include "esess-crypto.h"
#include "esess-idkey-private.h"
#include "esess-mem.h"
#include "esess-xml.h"

#define NS_ARCHIVE   "urn:xmpp:esessions:purple:archive:0"
#define NS_XENC      "http://www.w3.org/2001/04/xmlenc#"
#define NS_XENC11    "http://www.w3.org/2009/xmlenc11#"
#define ALG_OAEP     "http://www.w3.org/2009/xmlenc11#rsa-oaep"
#define ALG_SHA256   "http://www.w3.org/2001/04/xmlenc#sha256"
#define ALG_MGF1     "http://www.w3.org/2009/xmlenc11#mgf1sha256"

#define LABEL_ENC    "ESessions archive 1: encryption"
#define LABEL_MAC    "ESessions archive 1: authentication"

#define TRAILER_MARK 0xffffffffu
#define NAME_LEN     32u           /* hex digits of a collection's name */
/* a record's plaintext: direction, time, sender length, text length */
#define RECORD_FIXED (1u + 8u + 2u + 4u)
#define MAX_SENDER   1024u

struct _EsessArchiveWriter {
	guint8 *keys;        /* secure memory: Ke then Km */
	guint8 chain[ESESS_HMAC_LEN];
	guint count;
	guint64 size;
};

/* ---- small pieces ---------------------------------------------------- */

static void
put_u32(GByteArray *b, guint32 v)
{
	guint8 o[4] = { v >> 24, v >> 16, v >> 8, v };

	g_byte_array_append(b, o, 4);
}

static guint32
get_u32(const guint8 *p)
{
	return ((guint32)p[0] << 24) | ((guint32)p[1] << 16) | ((guint32)p[2] << 8) | p[3];
}

static void
u32_be(guint32 v, guint8 o[4])
{
	o[0] = v >> 24;
	o[1] = v >> 16;
	o[2] = v >> 8;
	o[3] = v;
}

/* Ke (32 bytes) then Km (32 bytes) into out (secure memory). */
static EsessStatus
derive_keys(const guint8 key[ESESS_ARCHIVE_KEY_LEN], guint8 *out)
{
	EsessStatus r;

	r = esess_hmac_sha256(key, ESESS_ARCHIVE_KEY_LEN, LABEL_ENC, strlen(LABEL_ENC), out);
	if (r == ESESS_OK)
		r = esess_hmac_sha256(key, ESESS_ARCHIVE_KEY_LEN, LABEL_MAC, strlen(LABEL_MAC),
				      out + 32);
	return r;
}

/* MAC of a record (tag 'R', index i, ciphertext) or of the trailer (tag
 * 'E', the count, no ciphertext), chained to prev. */
static EsessStatus
chain_mac(const guint8 *km, char tag, const guint8 prev[ESESS_HMAC_LEN], guint32 i,
	  const guint8 *ct, size_t ct_len, guint8 out[ESESS_HMAC_LEN])
{
	EsessHmac *h;
	EsessStatus r;
	guint8 n[4];

	r = esess_hmac_new(km, 32, &h);
	if (r != ESESS_OK)
		return r;
	esess_hmac_update(h, &tag, 1);
	esess_hmac_update(h, prev, ESESS_HMAC_LEN);
	u32_be(i, n);
	esess_hmac_update(h, n, 4);
	if (tag == 'R') {
		u32_be((guint32)ct_len, n);
		esess_hmac_update(h, n, 4);
		esess_hmac_update(h, ct, ct_len);
	}
	r = esess_hmac_final(h, out);
	esess_hmac_free(h);
	return r;
}

/* AES-256-CTR of record i: the counter block starts at (i, 0) big-endian
 * (esess_ctr pre-increments), unique within the collection's key. */
static EsessStatus
record_crypt(const guint8 *ke, guint32 i, const guint8 *in, guint8 *out, size_t len)
{
	guint8 ctr[ESESS_COUNTER_LEN] = { 0 };
	EsessCtr *c;
	EsessStatus r;

	u32_be(i, ctr);
	r = esess_ctr_new(ke, 32, ctr, &c);
	if (r != ESESS_OK)
		return r;
	r = esess_ctr_crypt(c, in, out, len);
	esess_ctr_free(c);
	return r;
}

void
esess_archive_record_free(EsessArchiveRecord *r)
{
	if (r == NULL)
		return;
	g_free(r->sender);
	if (r->text != NULL) {
		esess_wipe(r->text, strlen(r->text));
		g_free(r->text);
	}
	g_free(r);
}

/* ---- RSA-OAEP -------------------------------------------------------- */

EsessStatus
esess_archive_wrap(const EsessPubKey *pk, const guint8 key[ESESS_ARCHIVE_KEY_LEN],
		   guint8 **out, size_t *out_len)
{
	const guint8 *n, *e;
	size_t n_len, e_len;

	n = esess_pubkey_modulus(pk, &n_len);
	e = esess_pubkey_exponent(pk, &e_len);
	return esess_rsa_oaep_encrypt(n, n_len, e, e_len, key, ESESS_ARCHIVE_KEY_LEN, out,
				      out_len);
}

static void
datum_wipe(gnutls_datum_t *d)
{
	if (d->data == NULL)
		return;
	esess_wipe(d->data, d->size);
	gnutls_free(d->data);
	d->data = NULL;
}

EsessStatus
esess_archive_unwrap(const EsessIdKey *k, const guint8 *in, size_t in_len,
		     guint8 key[ESESS_ARCHIVE_KEY_LEN])
{
	gnutls_datum_t dn = { 0 }, de = { 0 }, dd = { 0 }, dp = { 0 }, dq = { 0 };
	guint8 *plain = NULL;
	size_t plain_len = 0, mod_len;
	EsessStatus r;

	(void)esess_pubkey_modulus(esess_idkey_public(k), &mod_len);
	if (in_len != mod_len)
		return ESESS_ERR_MAC;
	if (gnutls_x509_privkey_export_rsa_raw2(esess_idkey_x509(k), &dn, &de, &dd, &dp, &dq,
						NULL, NULL, NULL) < 0)
		return ESESS_ERR_INTERNAL;
	r = esess_rsa_oaep_decrypt(dn.data, dn.size, de.data, de.size, dd.data, dd.size, dp.data,
				   dp.size, dq.data, dq.size, in, in_len, &plain, &plain_len);
	if (r == ESESS_OK && plain_len != ESESS_ARCHIVE_KEY_LEN)
		r = ESESS_ERR_MAC;
	if (r == ESESS_OK)
		memcpy(key, plain, ESESS_ARCHIVE_KEY_LEN);
	if (plain != NULL)
		esess_free_wiped(plain, plain_len);
	gnutls_free(dn.data);
	gnutls_free(de.data);
	datum_wipe(&dd);
	datum_wipe(&dp);
	datum_wipe(&dq);
	return r;
}

/* ---- the header ------------------------------------------------------ */

/* A public key's name (XEP-0241 <KeyName/>): its fingerprint (SHA-256 of
 * the DER SubjectPublicKeyInfo) in lower-case hex, as people compare it. */
static char *
key_name(const EsessPubKey *pk)
{
	guint8 fpr[ESESS_IDKEY_FPR_LEN];
	GString *s = g_string_sized_new(2 * ESESS_IDKEY_FPR_LEN);
	guint i;

	esess_pubkey_fingerprint(pk, fpr);
	for (i = 0; i < ESESS_IDKEY_FPR_LEN; i++)
		g_string_append_printf(s, "%02x", fpr[i]);
	return g_string_free(s, FALSE);
}

/* <archive xmlns=NS_ARCHIVE version='2' name=NAME own=.. with=.. start=..>
 * (version '1' without the three when own is NULL) and one <EncryptedKey/>
 * per key (XEP-0241 §manual), RSA-OAEP as XML-Encryption 1.1 names it.
 * The account, the contact and the start are in the header so that T0
 * covers them: the path and the server's item id, which say the same, are
 * covered by no MAC. */
static EsessStatus
header_build(const guint8 key[ESESS_ARCHIVE_KEY_LEN], const char *name, const char *own,
	     const char *with, const char *start, const EsessPubKey *const *keys, guint n_keys,
	     GString *out)
{
	EsessXmlNode *root, *ek, *em, *ki;
	guint i;

	root = esess_xml_new("archive", NS_ARCHIVE);
	esess_xml_set_attr(root, "version", own != NULL ? "2" : "1");
	esess_xml_set_attr(root, "name", name);
	if (own != NULL) {
		esess_xml_set_attr(root, "own", own);
		esess_xml_set_attr(root, "with", with);
		esess_xml_set_attr(root, "start", start);
	}
	for (i = 0; i < n_keys; i++) {
		guint8 *w;
		size_t w_len;
		char *b64, *kn;
		EsessStatus r = esess_archive_wrap(keys[i], key, &w, &w_len);

		if (r != ESESS_OK) {
			esess_xml_free(root);
			return r;
		}
		ek = esess_xml_add(root, "EncryptedKey", NS_XENC);
		esess_xml_add_text_child(ek, "CarriedKeyName", name);
		em = esess_xml_add(ek, "EncryptionMethod", NS_XENC);
		esess_xml_set_attr(em, "Algorithm", ALG_OAEP);
		esess_xml_set_attr(esess_xml_add(em, "DigestMethod", ESESS_NS_DSIG),
				   "Algorithm", ALG_SHA256);
		esess_xml_set_attr(esess_xml_add(em, "MGF", NS_XENC11), "Algorithm", ALG_MGF1);
		ki = esess_xml_add(ek, "KeyInfo", ESESS_NS_DSIG);
		kn = key_name(keys[i]);
		esess_xml_add_text_child(ki, "KeyName", kn);
		g_free(kn);
		b64 = esess_base64_encode(w, w_len);
		esess_xml_add_text_child(esess_xml_add(ek, "CipherData", NS_XENC), "CipherValue",
					 b64);
		g_free(b64);
		g_free(w);
	}
	esess_xml_write(out, root, NULL);
	esess_xml_free(root);
	return ESESS_OK;
}

/* ---- writing --------------------------------------------------------- */

/* The directions a record may have (doc/archive.md): received, sent, and
 * "other" (a system line, or an old log's line of unknown writer).  Any
 * other value is refused on writing and on reading. */
static gboolean
dir_ok(unsigned int dir)
{
	return dir == ESESS_ARCHIVE_RECEIVED || dir == ESESS_ARCHIVE_SENT ||
	       dir == ESESS_ARCHIVE_OTHER;
}

static void
put_trailer(EsessArchiveWriter *w, const guint8 mac[ESESS_HMAC_LEN], GByteArray *b)
{
	put_u32(b, TRAILER_MARK);
	put_u32(b, w->count);
	g_byte_array_append(b, mac, ESESS_HMAC_LEN);
}

static gboolean
name_ok(const char *name)
{
	guint i;

	if (name == NULL || strlen(name) != NAME_LEN)
		return FALSE;
	for (i = 0; i < NAME_LEN; i++)
		if (!g_ascii_isxdigit(name[i]) || g_ascii_isupper(name[i]))
			return FALSE;
	return TRUE;
}

/* YYYYMMDDTHHMMSS, the stamp of a collection's file name */
static gboolean
start_ok(const char *start)
{
	guint i;

	if (start == NULL || strlen(start) != 15 || start[8] != 'T')
		return FALSE;
	for (i = 0; i < 15; i++)
		if (i != 8 && !g_ascii_isdigit(start[i]))
			return FALSE;
	return TRUE;
}

/* a bare JID as the caller normalised it: not empty, UTF-8, no resource,
 * no control character (it goes into an attribute) */
static gboolean
jid_ok(const char *jid)
{
	const char *p;

	if (jid == NULL || *jid == '\0' || strlen(jid) > 3071 || !g_utf8_validate(jid, -1, NULL) ||
	    strchr(jid, '/') != NULL)
		return FALSE;
	for (p = jid; *p != '\0'; p++)
		if ((guchar)*p < 0x20)
			return FALSE;
	return TRUE;
}

/* all three or none (version 1) */
static gboolean
binding_ok(const char *own, const char *with, const char *start)
{
	if (own == NULL && with == NULL && start == NULL)
		return TRUE;
	return jid_ok(own) && jid_ok(with) && start_ok(start);
}

EsessStatus
esess_archive_writer_new_with_key(const guint8 key[ESESS_ARCHIVE_KEY_LEN], const char *name,
				  const EsessPubKey *const *keys, guint n_keys,
				  EsessArchiveWriter **out, GByteArray *bytes)
{
	return esess_archive_writer_new_with_key_bound(key, name, NULL, NULL, NULL, keys, n_keys,
						       out, bytes);
}

EsessStatus
esess_archive_writer_new_with_key_bound(const guint8 key[ESESS_ARCHIVE_KEY_LEN],
					const char *name, const char *own, const char *with,
					const char *start, const EsessPubKey *const *keys,
					guint n_keys, EsessArchiveWriter **out, GByteArray *bytes)
{
	EsessArchiveWriter *w;
	GString *hdr;
	guint8 mac[ESESS_HMAC_LEN];
	EsessStatus r;

	if (!name_ok(name) || !binding_ok(own, with, start) || n_keys > ESESS_ARCHIVE_MAX_KEYS ||
	    (n_keys > 0 && keys == NULL))
		return ESESS_ERR_INVALID_ARG;
	hdr = g_string_new(NULL);
	r = header_build(key, name, own, with, start, keys, n_keys, hdr);
	if (r == ESESS_OK && hdr->len > ESESS_ARCHIVE_MAX_HEADER)
		r = ESESS_ERR_TOO_LARGE;
	if (r != ESESS_OK) {
		g_string_free(hdr, TRUE);
		return r;
	}
	w = g_new0(EsessArchiveWriter, 1);
	w->keys = esess_crypto_secure_alloc(64);
	if (w->keys == NULL) {
		g_free(w);
		g_string_free(hdr, TRUE);
		return ESESS_ERR_NOMEM;
	}
	r = derive_keys(key, w->keys);
	g_byte_array_set_size(bytes, 0);
	g_byte_array_append(bytes, (const guint8 *)ESESS_ARCHIVE_MAGIC, ESESS_ARCHIVE_MAGIC_LEN);
	put_u32(bytes, (guint32)hdr->len);
	g_byte_array_append(bytes, (const guint8 *)hdr->str, hdr->len);
	g_string_free(hdr, TRUE);
	/* the header's MAC is the start of the chain */
	if (r == ESESS_OK)
		r = esess_hmac_sha256(w->keys + 32, 32, bytes->data, bytes->len, w->chain);
	if (r == ESESS_OK)
		r = chain_mac(w->keys + 32, 'E', w->chain, 0, NULL, 0, mac);
	if (r != ESESS_OK) {
		esess_archive_writer_free(w);
		g_byte_array_set_size(bytes, 0);
		return r;
	}
	g_byte_array_append(bytes, w->chain, ESESS_HMAC_LEN);
	put_trailer(w, mac, bytes);
	w->size = bytes->len;
	*out = w;
	return ESESS_OK;
}

EsessStatus
esess_archive_writer_new(const EsessPubKey *const *keys, guint n_keys, EsessArchiveWriter **out,
			 GByteArray *bytes)
{
	return esess_archive_writer_new_bound(keys, n_keys, NULL, NULL, NULL, out, bytes);
}

EsessStatus
esess_archive_writer_new_bound(const EsessPubKey *const *keys, guint n_keys, const char *own,
			       const char *with, const char *start, EsessArchiveWriter **out,
			       GByteArray *bytes)
{
	guint8 *key;
	guint8 id[NAME_LEN / 2];
	char name[NAME_LEN + 1];
	guint i;
	EsessStatus r;

	if (n_keys == 0 || keys == NULL || !binding_ok(own, with, start))
		return ESESS_ERR_INVALID_ARG;
	key = esess_crypto_secure_alloc(ESESS_ARCHIVE_KEY_LEN);
	if (key == NULL)
		return ESESS_ERR_NOMEM;
	esess_random(key, ESESS_ARCHIVE_KEY_LEN);
	esess_nonce(id, sizeof id);
	for (i = 0; i < sizeof id; i++)
		g_snprintf(name + 2 * i, 3, "%02x", id[i]);
	r = esess_archive_writer_new_with_key_bound(key, name, own, with, start, keys, n_keys, out,
						    bytes);
	esess_crypto_secure_free(key);
	return r;
}

EsessStatus
esess_archive_writer_append(EsessArchiveWriter *w, EsessArchiveDir dir, gint64 time,
			    const char *sender, const char *text, GByteArray *bytes)
{
	size_t s_len, t_len, p_len;
	guint8 *plain, *p;
	guint8 mac[ESESS_HMAC_LEN], tmac[ESESS_HMAC_LEN];
	guint8 tb[8];
	guint i;
	EsessStatus r;

	if (w == NULL || sender == NULL || text == NULL || !dir_ok(dir))
		return ESESS_ERR_INVALID_ARG;
	s_len = strlen(sender);
	t_len = strlen(text);
	if (s_len > MAX_SENDER || t_len > ESESS_ARCHIVE_MAX_RECORD - RECORD_FIXED - s_len)
		return ESESS_ERR_TOO_LARGE;
	if (!g_utf8_validate(sender, s_len, NULL) || !g_utf8_validate(text, t_len, NULL))
		return ESESS_ERR_INVALID_ARG;
	if (w->count >= G_MAXINT32 ||
	    w->size + 4 + RECORD_FIXED + s_len + t_len + ESESS_HMAC_LEN > ESESS_ARCHIVE_MAX_BYTES)
		return ESESS_ERR_TOO_LARGE;
	p_len = RECORD_FIXED + s_len + t_len;
	plain = g_malloc(p_len);
	p = plain;
	*p++ = (guint8)dir;
	for (i = 0; i < 8; i++)
		tb[i] = (guint8)((guint64)time >> (56 - 8 * i));
	memcpy(p, tb, 8);
	p += 8;
	*p++ = (guint8)(s_len >> 8);
	*p++ = (guint8)s_len;
	memcpy(p, sender, s_len);
	p += s_len;
	u32_be((guint32)t_len, p);
	p += 4;
	memcpy(p, text, t_len);
	r = record_crypt(w->keys, w->count, plain, plain, p_len);
	if (r == ESESS_OK)
		r = chain_mac(w->keys + 32, 'R', w->chain, w->count, plain, p_len, mac);
	if (r == ESESS_OK)
		r = chain_mac(w->keys + 32, 'E', mac, w->count + 1, NULL, 0, tmac);
	if (r != ESESS_OK) {
		esess_free_wiped(plain, p_len);
		return r;
	}
	g_byte_array_set_size(bytes, 0);
	put_u32(bytes, (guint32)p_len);
	g_byte_array_append(bytes, plain, p_len);
	g_byte_array_append(bytes, mac, ESESS_HMAC_LEN);
	g_free(plain);
	memcpy(w->chain, mac, ESESS_HMAC_LEN);
	w->count++;
	put_trailer(w, tmac, bytes);
	w->size = w->size - ESESS_ARCHIVE_TRAILER_LEN + bytes->len;
	return ESESS_OK;
}

guint64
esess_archive_writer_size(const EsessArchiveWriter *w)
{
	return w->size;
}

guint
esess_archive_writer_count(const EsessArchiveWriter *w)
{
	return w->count;
}

void
esess_archive_writer_free(EsessArchiveWriter *w)
{
	if (w == NULL)
		return;
	esess_crypto_secure_free(w->keys);
	esess_wipe(w->chain, sizeof w->chain);
	g_free(w);
}

/* ---- reading --------------------------------------------------------- */

/* The header's XML (not yet authenticated) and where the header's MAC is. */
static EsessStatus
header_locate(const guint8 *data, size_t len, size_t *hdr_len)
{
	guint32 h;

	if (len > ESESS_ARCHIVE_MAX_BYTES)
		return ESESS_ERR_TOO_LARGE;
	if (len < ESESS_ARCHIVE_MAGIC_LEN + 4 ||
	    memcmp(data, ESESS_ARCHIVE_MAGIC, ESESS_ARCHIVE_MAGIC_LEN) != 0)
		return ESESS_ERR_MALFORMED;
	h = get_u32(data + ESESS_ARCHIVE_MAGIC_LEN);
	if (h > ESESS_ARCHIVE_MAX_HEADER)
		return ESESS_ERR_TOO_LARGE;
	if (len - (ESESS_ARCHIVE_MAGIC_LEN + 4) < (size_t)h + ESESS_HMAC_LEN)
		return ESESS_ERR_MALFORMED;
	*hdr_len = h;
	return ESESS_OK;
}

static EsessStatus
header_parse(const guint8 *data, size_t len, EsessXmlNode **out)
{
	static const EsessXmlLimits lim = {
		ESESS_ARCHIVE_MAX_HEADER, 6, 16 + ESESS_ARCHIVE_MAX_KEYS * 10, 8192
	};
	size_t h;
	EsessXmlNode *root;
	EsessStatus r = header_locate(data, len, &h);

	if (r != ESESS_OK)
		return r;
	if (esess_xml_parse((const char *)data + ESESS_ARCHIVE_MAGIC_LEN + 4, h, &lim, &root) !=
	    ESESS_OK)
		return ESESS_ERR_MALFORMED;
	/* version 1: written before the binding (doc/archive.md), read as it
	 * was; version 2 names the account, the contact and the start */
	if (!esess_xml_is(root, "archive", NS_ARCHIVE) ||
	    (g_strcmp0(esess_xml_attr(root, "version"), "1") != 0 &&
	     (g_strcmp0(esess_xml_attr(root, "version"), "2") != 0 ||
	      esess_xml_attr(root, "own") == NULL ||
	      !binding_ok(esess_xml_attr(root, "own"), esess_xml_attr(root, "with"),
			  esess_xml_attr(root, "start")))) ||
	    !name_ok(esess_xml_attr(root, "name")) ||
	    esess_xml_count(root, "EncryptedKey", NS_XENC) > ESESS_ARCHIVE_MAX_KEYS) {
		esess_xml_free(root);
		return ESESS_ERR_MALFORMED;
	}
	*out = root;
	return ESESS_OK;
}

/* The <EncryptedKey/> of root for pk, or NULL. */
static EsessXmlNode *
header_find_key(EsessXmlNode *root, const EsessPubKey *pk)
{
	char *want = key_name(pk);
	EsessXmlNode *ek, *found = NULL;

	for (ek = esess_xml_child(root, "EncryptedKey", NS_XENC); ek != NULL && found == NULL;
	     ek = esess_xml_next(ek, "EncryptedKey", NS_XENC)) {
		EsessXmlNode *ki = esess_xml_child(ek, "KeyInfo", ESESS_NS_DSIG);
		EsessXmlNode *kn = ki != NULL ? esess_xml_child(ki, "KeyName", ESESS_NS_DSIG) : NULL;
		char *t = kn != NULL ? esess_xml_text(kn) : NULL;

		if (t != NULL && strcmp(t, want) == 0)
			found = ek;
		g_free(t);
	}
	g_free(want);
	return found;
}

gboolean
esess_archive_has_key(const guint8 *data, size_t len, const EsessPubKey *pk)
{
	EsessXmlNode *root;
	gboolean has;

	if (header_parse(data, len, &root) != ESESS_OK)
		return FALSE;
	has = header_find_key(root, pk) != NULL;
	esess_xml_free(root);
	return has;
}

static EsessStatus
record_parse(const guint8 *p, size_t len, EsessArchiveRecord **out)
{
	EsessArchiveRecord *rec;
	size_t s_len, t_len;
	guint64 t = 0;
	guint i;

	if (len < RECORD_FIXED || !dir_ok(p[0]))
		return ESESS_ERR_MALFORMED;
	for (i = 0; i < 8; i++)
		t = (t << 8) | p[1 + i];
	s_len = ((size_t)p[9] << 8) | p[10];
	if (s_len > len - RECORD_FIXED)
		return ESESS_ERR_MALFORMED;
	t_len = get_u32(p + 11 + s_len);
	if (t_len != len - RECORD_FIXED - s_len)
		return ESESS_ERR_MALFORMED;
	if (!g_utf8_validate((const char *)p + 11, s_len, NULL) ||
	    !g_utf8_validate((const char *)p + 15 + s_len, t_len, NULL))
		return ESESS_ERR_MALFORMED;
	rec = g_new0(EsessArchiveRecord, 1);
	rec->dir = p[0];
	rec->time = (gint64)t;
	rec->sender = g_strndup((const char *)p + 11, s_len);
	rec->text = g_strndup((const char *)p + 15 + s_len, t_len);
	*out = rec;
	return ESESS_OK;
}

/* A collection read a record at a time (esess_archive_reader_*); the
 * whole-collection readers below go through it too. */
struct _EsessArchiveReader {
	const guint8 *data;       /* borrowed */
	size_t len;
	size_t pos;               /* the next record */
	guint32 i;                /* its number */
	guint8 *keys;             /* secure memory: encryption key, MAC key */
	guint8 chain[ESESS_HMAC_LEN];
	EsessStatus failed;       /* sticky: ESESS_OK while it may go on */
	gboolean done;            /* the trailer was checked */
};

void
esess_archive_reader_free(EsessArchiveReader *rd)
{
	if (rd == NULL)
		return;
	esess_crypto_secure_free(rd->keys);
	esess_wipe(rd->chain, sizeof rd->chain);
	g_free(rd);
}

/* Derives the keys and checks the header's MAC (T0): nothing the header
 * says is believed before. */
static EsessStatus
reader_start(const guint8 *data, size_t len, const guint8 key[ESESS_ARCHIVE_KEY_LEN],
	     EsessArchiveReader **out)
{
	EsessArchiveReader *rd;
	size_t h;
	EsessStatus r;

	*out = NULL;
	r = header_locate(data, len, &h);
	if (r != ESESS_OK)
		return r;
	rd = g_new0(EsessArchiveReader, 1);
	rd->data = data;
	rd->len = len;
	rd->keys = esess_crypto_secure_alloc(64);
	if (rd->keys == NULL) {
		g_free(rd);
		return ESESS_ERR_NOMEM;
	}
	r = derive_keys(key, rd->keys);
	rd->pos = ESESS_ARCHIVE_MAGIC_LEN + 4 + h;
	if (r == ESESS_OK)
		r = esess_hmac_sha256(rd->keys + 32, 32, data, rd->pos, rd->chain);
	if (r == ESESS_OK && !esess_ct_equal(rd->chain, data + rd->pos, ESESS_HMAC_LEN))
		r = ESESS_ERR_MAC;
	if (r != ESESS_OK) {
		esess_archive_reader_free(rd);
		return r;
	}
	rd->pos += ESESS_HMAC_LEN;
	*out = rd;
	return ESESS_OK;
}

EsessStatus
esess_archive_reader_next(EsessArchiveReader *rd, EsessArchiveRecord **rec)
{
	guint8 mac[ESESS_HMAC_LEN], *plain;
	const guint8 *data;
	size_t len, pos;
	guint32 l;
	EsessStatus r;

	g_return_val_if_fail(rd != NULL && rec != NULL, ESESS_ERR_INVALID_ARG);
	*rec = NULL;
	if (rd->failed != ESESS_OK)
		return rd->failed;
	if (rd->done)
		return ESESS_OK;
	data = rd->data;
	len = rd->len;
	pos = rd->pos;
	/* cut inside a record or before the trailer */
	r = ESESS_ERR_MAC;
	if (len - pos < 4)
		goto out;
	l = get_u32(data + pos);
	if (l == TRAILER_MARK) {
		if (len - pos != ESESS_ARCHIVE_TRAILER_LEN || get_u32(data + pos + 4) != rd->i)
			goto out;
		r = chain_mac(rd->keys + 32, 'E', rd->chain, rd->i, NULL, 0, mac);
		if (r == ESESS_OK && !esess_ct_equal(mac, data + pos + 8, ESESS_HMAC_LEN))
			r = ESESS_ERR_MAC;
		rd->done = r == ESESS_OK;
		goto out;
	}
	if (l > ESESS_ARCHIVE_MAX_RECORD) {
		r = ESESS_ERR_TOO_LARGE;
		goto out;
	}
	if (l < RECORD_FIXED || len - pos - 4 < (size_t)l + ESESS_HMAC_LEN)
		goto out;
	if (rd->i >= G_MAXINT32)
		goto out;
	r = chain_mac(rd->keys + 32, 'R', rd->chain, rd->i, data + pos + 4, l, mac);
	if (r != ESESS_OK)
		goto out;
	if (!esess_ct_equal(mac, data + pos + 4 + l, ESESS_HMAC_LEN)) {
		r = ESESS_ERR_MAC;
		goto out;
	}
	plain = g_malloc(l);
	r = record_crypt(rd->keys, rd->i, data + pos + 4, plain, l);
	if (r == ESESS_OK)
		r = record_parse(plain, l, rec);
	esess_free_wiped(plain, l);
	if (r != ESESS_OK)
		goto out;
	memcpy(rd->chain, mac, ESESS_HMAC_LEN);
	rd->pos = pos + 4 + (size_t)l + ESESS_HMAC_LEN;
	rd->i++;
out:
	esess_wipe(mac, sizeof mac);
	if (r != ESESS_OK)
		rd->failed = r;
	return r;
}

EsessStatus
esess_archive_read_with_key(const guint8 *data, size_t len,
			    const guint8 key[ESESS_ARCHIVE_KEY_LEN], GPtrArray **records)
{
	EsessArchiveReader *rd = NULL;
	EsessArchiveRecord *rec;
	GPtrArray *recs;
	EsessStatus r;

	r = reader_start(data, len, key, &rd);
	if (r != ESESS_OK)
		return r;
	recs = g_ptr_array_new_with_free_func((GDestroyNotify)esess_archive_record_free);
	/* everything is checked before anything is returned: a damaged
	 * collection is never shown in part */
	while ((r = esess_archive_reader_next(rd, &rec)) == ESESS_OK && rec != NULL)
		g_ptr_array_add(recs, rec);
	esess_archive_reader_free(rd);
	if (r == ESESS_OK)
		*records = recs;
	else
		g_ptr_array_unref(recs);
	return r;
}

/* A version-2 header names the account, the contact and the start it was
 * written for: a collection listed under others was moved (or its server
 * copy renamed), refused as changed, like a failing MAC.  *v2: whether it
 * names them (version 1 does not). */
static gboolean
binding_matches(const EsessXmlNode *root, const char *own, const char *with,
		const char *start, gboolean *v2)
{
	*v2 = strcmp(esess_xml_attr(root, "version"), "2") == 0;
	return !*v2 || (strcmp(esess_xml_attr(root, "own"), own) == 0 &&
			strcmp(esess_xml_attr(root, "with"), with) == 0 &&
			strcmp(esess_xml_attr(root, "start"), start) == 0);
}

EsessStatus
esess_archive_read_with_key_bound(const guint8 *data, size_t len,
				  const guint8 key[ESESS_ARCHIVE_KEY_LEN], const char *own,
				  const char *with, const char *start, gboolean *bound,
				  GPtrArray **records)
{
	EsessXmlNode *root;
	GPtrArray *recs;
	gboolean v2;
	EsessStatus r;

	if (own == NULL || with == NULL || start == NULL)
		return ESESS_ERR_INVALID_ARG;
	r = header_parse(data, len, &root);
	if (r != ESESS_OK)
		return r;
	/* T0 and everything after it first: the header is authenticated
	 * before what it says is believed */
	r = esess_archive_read_with_key(data, len, key, &recs);
	if (r != ESESS_OK) {
		esess_xml_free(root);
		return r;
	}
	if (!binding_matches(root, own, with, start, &v2)) {
		esess_xml_free(root);
		g_ptr_array_unref(recs);
		return ESESS_ERR_MAC;
	}
	esess_xml_free(root);
	if (bound != NULL)
		*bound = v2;
	*records = recs;
	return ESESS_OK;
}

/* The collection key the header wraps to k, into key (secure memory the
 * caller owns). */
static EsessStatus
header_unwrap(EsessXmlNode *root, const EsessIdKey *k, guint8 *key)
{
	EsessXmlNode *ek, *cd, *cv;
	char *name, *cipher = NULL;
	guint8 *w = NULL;
	size_t w_len = 0;
	EsessStatus r;

	ek = header_find_key(root, esess_idkey_public(k));
	if (ek == NULL)
		return ESESS_ERR_KEY;
	/* what does not match below was changed: the header's MAC would fail */
	r = ESESS_ERR_MAC;
	name = esess_xml_text(esess_xml_child(ek, "CarriedKeyName", NS_XENC) != NULL
			      ? esess_xml_child(ek, "CarriedKeyName", NS_XENC) : root);
	if (g_strcmp0(name, esess_xml_attr(root, "name")) != 0)
		goto out;
	cd = esess_xml_child(ek, "CipherData", NS_XENC);
	cv = cd != NULL ? esess_xml_child(cd, "CipherValue", NS_XENC) : NULL;
	cipher = cv != NULL ? esess_xml_text(cv) : NULL;
	if (cipher == NULL ||
	    esess_base64_decode(cipher, strlen(cipher), ESESS_IDKEY_MAX_BITS / 8, &w, &w_len) !=
	    ESESS_OK)
		goto out;
	r = esess_archive_unwrap(k, w, w_len, key);
out:
	g_free(name);
	g_free(cipher);
	g_free(w);
	return r;
}

/* own NULL: no binding checked (esess_archive_read) */
static EsessStatus
read_impl(const guint8 *data, size_t len, const EsessIdKey *k, const char *own,
	  const char *with, const char *start, gboolean *bound, GPtrArray **records)
{
	EsessXmlNode *root;
	guint8 *key;
	EsessStatus r;

	r = header_parse(data, len, &root);
	if (r != ESESS_OK)
		return r;
	key = esess_crypto_secure_alloc(ESESS_ARCHIVE_KEY_LEN);
	if (key == NULL) {
		esess_xml_free(root);
		return ESESS_ERR_NOMEM;
	}
	r = header_unwrap(root, k, key);
	if (r == ESESS_OK && own == NULL)
		r = esess_archive_read_with_key(data, len, key, records);
	else if (r == ESESS_OK)
		r = esess_archive_read_with_key_bound(data, len, key, own, with, start, bound,
						      records);
	esess_crypto_secure_free(key);
	esess_xml_free(root);
	return r;
}

EsessStatus
esess_archive_reader_new_bound(const guint8 *data, size_t len, const EsessIdKey *k,
			       const char *own, const char *with, const char *start,
			       EsessArchiveReader **out)
{
	EsessXmlNode *root;
	EsessArchiveReader *rd = NULL;
	guint8 *key;
	gboolean v2;
	EsessStatus r;

	g_return_val_if_fail(out != NULL, ESESS_ERR_INVALID_ARG);
	*out = NULL;
	if (data == NULL || k == NULL || own == NULL || with == NULL || start == NULL)
		return ESESS_ERR_INVALID_ARG;
	r = header_parse(data, len, &root);
	if (r != ESESS_OK)
		return r;
	key = esess_crypto_secure_alloc(ESESS_ARCHIVE_KEY_LEN);
	if (key == NULL) {
		esess_xml_free(root);
		return ESESS_ERR_NOMEM;
	}
	r = header_unwrap(root, k, key);
	/* the header's MAC first, then what it names */
	if (r == ESESS_OK)
		r = reader_start(data, len, key, &rd);
	esess_crypto_secure_free(key);
	if (r == ESESS_OK && !binding_matches(root, own, with, start, &v2))
		r = ESESS_ERR_MAC;
	esess_xml_free(root);
	if (r != ESESS_OK) {
		esess_archive_reader_free(rd);
		return r;
	}
	*out = rd;
	return ESESS_OK;
}

EsessStatus
esess_archive_read(const guint8 *data, size_t len, const EsessIdKey *k, GPtrArray **records)
{
	return read_impl(data, len, k, NULL, NULL, NULL, NULL, records);
}

EsessStatus
esess_archive_read_bound(const guint8 *data, size_t len, const EsessIdKey *k, const char *own,
			 const char *with, const char *start, gboolean *bound, GPtrArray **records)
{
	if (own == NULL || with == NULL || start == NULL)
		return ESESS_ERR_INVALID_ARG;
	return read_impl(data, len, k, own, with, start, bound, records);
}

G_STATIC_ASSERT(ESESS_ARCHIVE_MAX_COPY / 3u * 4u <= ESESS_MAX_BASE64_TEXT);

EsessStatus
esess_archive_decode_copy(const char *text, size_t text_len, guint8 **out,
			  size_t *out_len)
{
	guint8 *data = NULL;
	size_t len = 0;
	EsessStatus st;

	if (out != NULL)
		*out = NULL;
	if (out_len != NULL)
		*out_len = 0;
	if (text == NULL || out == NULL || out_len == NULL)
		return ESESS_ERR_INVALID_ARG;
	/* SECURITY rule 2: one strict decoder for every untrusted base64 */
	st = esess_base64_decode(text, text_len, ESESS_ARCHIVE_MAX_COPY, &data, &len);
	if (st != ESESS_OK)
		return st;
	if (len <= ESESS_ARCHIVE_MAGIC_LEN ||
	    memcmp(data, ESESS_ARCHIVE_MAGIC, ESESS_ARCHIVE_MAGIC_LEN) != 0) {
		g_free(data);
		return ESESS_ERR_MALFORMED;
	}
	*out = data;
	*out_len = len;
	return ESESS_OK;
}
