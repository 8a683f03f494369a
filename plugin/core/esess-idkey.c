/*
 * esess-idkey.c - identity keys (INTEROP R21, R22): RSA with GnuTLS, the
 * XML-DSig <KeyValue/> and XEP-0189 <pubkey/> forms, fingerprints.
 *
 * GnuTLS holds our private key (its numbers are wiped when it is freed);
 * every public key that arrives is checked here once (EsessPubKey) and the
 * rest of the engine never sees a malformed one.  Conversions are exact:
 * the canonical form of a value is the only one accepted, so a key has one
 * <KeyValue/>, one R21 hash and one <pubkey/> (SECURITY: a second spelling
 * of the same key would be a second key to the store).
 */
#include "config.h"

#include <string.h>

#include <gnutls/abstract.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "esess-bytes.h"
#include "esess-crypto.h"
#include "esess-form.h"
#include "esess-idkey-private.h"
#include "esess-mem.h"

/* largest PEM we read: an encrypted 8192-bit PKCS#8 is about 6.5 KiB */
#define IDKEY_MAX_PEM     (64u * 1024u)
#define IDKEY_MAX_BYTES   (ESESS_IDKEY_MAX_BITS / 8u)
#define IDKEY_MAX_EXP     4u           /* exponent below 2^32 */
/* decimal digits of 2^8192 - 1 */
#define IDKEY_MAX_DIGITS  2467u

struct _EsessPubKey {
	guint8 *n;
	size_t n_len;
	guint8 *e;
	size_t e_len;
	guint bits;
};

struct _EsessIdKey {
	gint ref;                   /* atomic: a chat may hold the key too */
	gnutls_x509_privkey_t x509;
	EsessPubKey *pub;
};

/* ---- public keys ------------------------------------------------------ */

static guint
bit_length(const guint8 *b, size_t len)
{
	guint8 top;
	guint bits;

	if (len == 0)
		return 0;
	top = b[0];
	bits = (guint)(len - 1) * 8u;
	while (top != 0) {
		bits++;
		top >>= 1;
	}
	return bits;
}

EsessStatus
esess_pubkey_new(const guint8 *n, size_t n_len, const guint8 *e, size_t e_len, EsessPubKey **out)
{
	EsessPubKey *pk;
	guint bits;

	g_return_val_if_fail(out != NULL, ESESS_ERR_INVALID_ARG);
	*out = NULL;
	if (n == NULL || e == NULL)
		return ESESS_ERR_KEY;
	/* canonical: no leading zero octet (R21 CryptoBinary, R22 decimal) */
	if (n_len == 0 || n[0] == 0 || e_len == 0 || e[0] == 0)
		return ESESS_ERR_KEY;
	bits = bit_length(n, n_len);
	if (bits < ESESS_IDKEY_MIN_BITS || bits > ESESS_IDKEY_MAX_BITS)
		return ESESS_ERR_KEY;
	/* an RSA modulus is odd; so is a usable exponent, at least 3 and below
	 * 2^32 (larger ones are legal but nobody uses them, and they make
	 * every verification slow) */
	if ((n[n_len - 1] & 1u) == 0 || (e[e_len - 1] & 1u) == 0)
		return ESESS_ERR_KEY;
	if (e_len > IDKEY_MAX_EXP || (e_len == 1 && e[0] < 3))
		return ESESS_ERR_KEY;
	pk = g_new0(EsessPubKey, 1);
	pk->n = g_memdup2(n, n_len);
	pk->n_len = n_len;
	pk->e = g_memdup2(e, e_len);
	pk->e_len = e_len;
	pk->bits = bits;
	*out = pk;
	return ESESS_OK;
}

EsessPubKey *
esess_pubkey_copy(const EsessPubKey *pk)
{
	EsessPubKey *c;

	if (pk == NULL)
		return NULL;
	c = g_new0(EsessPubKey, 1);
	c->n = g_memdup2(pk->n, pk->n_len);
	c->n_len = pk->n_len;
	c->e = g_memdup2(pk->e, pk->e_len);
	c->e_len = pk->e_len;
	c->bits = pk->bits;
	return c;
}

void
esess_pubkey_free(EsessPubKey *pk)
{
	if (pk == NULL)
		return;
	g_free(pk->n);
	g_free(pk->e);
	g_free(pk);
}

gboolean
esess_pubkey_equal(const EsessPubKey *a, const EsessPubKey *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return a->n_len == b->n_len && a->e_len == b->e_len &&
	       memcmp(a->n, b->n, a->n_len) == 0 && memcmp(a->e, b->e, a->e_len) == 0;
}

guint
esess_pubkey_bits(const EsessPubKey *pk)
{
	g_return_val_if_fail(pk != NULL, 0);
	return pk->bits;
}

const guint8 *
esess_pubkey_modulus(const EsessPubKey *pk, size_t *len)
{
	g_return_val_if_fail(pk != NULL && len != NULL, NULL);
	*len = pk->n_len;
	return pk->n;
}

const guint8 *
esess_pubkey_exponent(const EsessPubKey *pk, size_t *len)
{
	g_return_val_if_fail(pk != NULL && len != NULL, NULL);
	*len = pk->e_len;
	return pk->e;
}

static int
pubkey_to_gnutls(const EsessPubKey *pk, gnutls_pubkey_t *out)
{
	gnutls_datum_t m, e;
	int rc;

	m.data = pk->n;
	m.size = (unsigned)pk->n_len;
	e.data = pk->e;
	e.size = (unsigned)pk->e_len;
	rc = gnutls_pubkey_init(out);
	if (rc < 0)
		return rc;
	rc = gnutls_pubkey_import_rsa_raw(*out, &m, &e);
	if (rc < 0) {
		gnutls_pubkey_deinit(*out);
		*out = NULL;
	}
	return rc;
}

EsessStatus
esess_pubkey_verify(const EsessPubKey *pk, const guint8 *data, size_t len, const guint8 *sig,
		    size_t sig_len)
{
	gnutls_pubkey_t pub = NULL;
	gnutls_datum_t d, s;
	int rc;

	g_return_val_if_fail(pk != NULL, ESESS_ERR_SIGNATURE);
	/* I2OSP: a PKCS#1 signature is exactly k bytes (RFC 8017 §8.2.2);
	 * GnuTLS would also take a shorter one */
	if (sig == NULL || sig_len != pk->n_len || (data == NULL && len != 0))
		return ESESS_ERR_SIGNATURE;
	if (pubkey_to_gnutls(pk, &pub) < 0)
		return ESESS_ERR_SIGNATURE;
	d.data = (unsigned char *)(data != NULL ? data : (const guint8 *)"");
	d.size = (unsigned)len;
	s.data = (unsigned char *)sig;
	s.size = (unsigned)sig_len;
	rc = gnutls_pubkey_verify_data2(pub, GNUTLS_SIGN_RSA_SHA256, 0, &d, &s);
	gnutls_pubkey_deinit(pub);
	return rc >= 0 ? ESESS_OK : ESESS_ERR_SIGNATURE;
}

void
esess_pubkey_fingerprint(const EsessPubKey *pk, guint8 out[ESESS_IDKEY_FPR_LEN])
{
	gnutls_pubkey_t pub = NULL;
	gnutls_datum_t der = { NULL, 0 };

	memset(out, 0, ESESS_IDKEY_FPR_LEN);
	g_return_if_fail(pk != NULL);
	/* both calls only fail on memory exhaustion for a key that
	 * esess_pubkey_new accepted */
	if (pubkey_to_gnutls(pk, &pub) < 0)
		g_error("esess_pubkey_fingerprint: GnuTLS refused a checked key");
	if (gnutls_pubkey_export2(pub, GNUTLS_X509_FMT_DER, &der) < 0)
		g_error("esess_pubkey_fingerprint: GnuTLS could not export a key");
	esess_sha256(der.data, der.size, out);
	gnutls_free(der.data);
	gnutls_pubkey_deinit(pub);
}

void
esess_fingerprint_format(const guint8 fpr[ESESS_IDKEY_FPR_LEN],
			 char out[ESESS_IDKEY_FPR_TEXT_LEN + 1])
{
	static const char hex[] = "0123456789ABCDEF";
	size_t i, o = 0;

	for (i = 0; i < ESESS_IDKEY_FPR_LEN; i++) {
		if (i > 0 && i % 2 == 0)
			out[o++] = ' ';
		out[o++] = hex[fpr[i] >> 4];
		out[o++] = hex[fpr[i] & 15];
	}
	out[o] = '\0';
}

char *
esess_pubkey_fingerprint_text(const EsessPubKey *pk)
{
	guint8 fpr[ESESS_IDKEY_FPR_LEN];
	char text[ESESS_IDKEY_FPR_TEXT_LEN + 1];

	esess_pubkey_fingerprint(pk, fpr);
	esess_fingerprint_format(fpr, text);
	return g_strdup(text);
}

/* ---- our key ---------------------------------------------------------- */

/* Fills k->pub from the private key's public half. */
static EsessStatus
idkey_take_public(EsessIdKey *k)
{
	gnutls_datum_t m = { NULL, 0 }, e = { NULL, 0 };
	size_t mo, eo;
	EsessStatus r;

	if (gnutls_x509_privkey_get_pk_algorithm(k->x509) != GNUTLS_PK_RSA)
		return ESESS_ERR_KEY;
	if (gnutls_x509_privkey_export_rsa_raw2(k->x509, &m, &e, NULL, NULL, NULL, NULL, NULL,
						NULL) < 0)
		return ESESS_ERR_KEY;
	/* GnuTLS may give a leading zero octet (a signed encoding) */
	mo = esess_mpi_strip(m.data, m.size);
	eo = esess_mpi_strip(e.data, e.size);
	r = esess_pubkey_new(m.data + mo, m.size - mo, e.data + eo, e.size - eo, &k->pub);
	gnutls_free(m.data);
	gnutls_free(e.data);
	return r;
}

EsessStatus
esess_idkey_generate(guint bits, EsessIdKey **out)
{
	EsessIdKey *k;
	EsessStatus r;

	g_return_val_if_fail(out != NULL, ESESS_ERR_INVALID_ARG);
	*out = NULL;
	if (bits == 0)
		bits = ESESS_IDKEY_BITS;
	if (bits < ESESS_IDKEY_MIN_BITS || bits > ESESS_IDKEY_MAX_BITS || bits % 8 != 0)
		return ESESS_ERR_INVALID_ARG;
	k = g_new0(EsessIdKey, 1);
	k->ref = 1;
	if (gnutls_x509_privkey_init(&k->x509) < 0) {
		g_free(k);
		return ESESS_ERR_INTERNAL;
	}
	if (gnutls_x509_privkey_generate2(k->x509, GNUTLS_PK_RSA, bits, 0, NULL, 0) < 0) {
		esess_idkey_free(k);
		return ESESS_ERR_INTERNAL;
	}
	r = idkey_take_public(k);
	if (r != ESESS_OK || k->pub->bits != bits) {
		esess_idkey_free(k);
		return ESESS_ERR_INTERNAL;
	}
	*out = k;
	return ESESS_OK;
}

EsessIdKey *
esess_idkey_ref(EsessIdKey *k)
{
	g_return_val_if_fail(k != NULL, NULL);
	g_atomic_int_inc(&k->ref);
	return k;
}

void
esess_idkey_free(EsessIdKey *k)
{
	if (k == NULL || !g_atomic_int_dec_and_test(&k->ref))
		return;
	if (k->x509 != NULL)
		gnutls_x509_privkey_deinit(k->x509);
	esess_pubkey_free(k->pub);
	g_free(k);
}

const EsessPubKey *
esess_idkey_public(const EsessIdKey *k)
{
	g_return_val_if_fail(k != NULL, NULL);
	return k->pub;
}

EsessStatus
esess_idkey_export_pem(const EsessIdKey *k, const char *passphrase, char **pem, size_t *len)
{
	gnutls_datum_t d = { NULL, 0 };
	gboolean enc = passphrase != NULL && passphrase[0] != '\0';
	int rc;

	g_return_val_if_fail(k != NULL && pem != NULL && len != NULL, ESESS_ERR_INVALID_ARG);
	*pem = NULL;
	*len = 0;
	rc = gnutls_x509_privkey_export2_pkcs8(k->x509, GNUTLS_X509_FMT_PEM,
					       enc ? passphrase : NULL,
					       enc ? GNUTLS_PKCS_PBES2_AES_256 : GNUTLS_PKCS_PLAIN,
					       &d);
	if (rc < 0)
		return ESESS_ERR_INTERNAL;
	/* our own copy, so the caller frees it like any engine buffer */
	*pem = g_malloc(d.size + 1);
	memcpy(*pem, d.data, d.size);
	(*pem)[d.size] = '\0';
	*len = d.size;
	esess_wipe(d.data, d.size);
	gnutls_free(d.data);
	return ESESS_OK;
}

void
esess_idkey_pem_free(char *pem, size_t len)
{
	if (pem == NULL)
		return;
	esess_free_wiped(pem, len + 1);
}

static gboolean
pem_has(const char *pem, size_t len, const char *label)
{
	return g_strstr_len(pem, (gssize)len, label) != NULL;
}

gboolean
esess_idkey_pem_is_encrypted(const char *pem, size_t len)
{
	if (pem == NULL || len > IDKEY_MAX_PEM)
		return FALSE;
	return pem_has(pem, len, "-----BEGIN ENCRYPTED PRIVATE KEY-----");
}

EsessStatus
esess_idkey_import_pem(const char *pem, size_t len, const char *passphrase, EsessIdKey **out)
{
	EsessIdKey *k;
	gnutls_datum_t d;
	gboolean enc;
	int rc;
	EsessStatus r;

	g_return_val_if_fail(out != NULL, ESESS_ERR_INVALID_ARG);
	*out = NULL;
	if (pem == NULL)
		return ESESS_ERR_KEY;
	if (len > IDKEY_MAX_PEM)
		return ESESS_ERR_TOO_LARGE;
	enc = esess_idkey_pem_is_encrypted(pem, len);
	if (!enc && !pem_has(pem, len, "-----BEGIN PRIVATE KEY-----"))
		return ESESS_ERR_KEY;   /* PKCS#8 only: no PKCS#1 or OpenSSH keys */
	if (enc && (passphrase == NULL || passphrase[0] == '\0'))
		return ESESS_ERR_KEY_PASSPHRASE;
	k = g_new0(EsessIdKey, 1);
	k->ref = 1;
	if (gnutls_x509_privkey_init(&k->x509) < 0) {
		g_free(k);
		return ESESS_ERR_INTERNAL;
	}
	d.data = (unsigned char *)pem;
	d.size = (unsigned)len;
	rc = gnutls_x509_privkey_import_pkcs8(k->x509, &d, GNUTLS_X509_FMT_PEM,
					      enc ? passphrase : NULL,
					      enc ? 0 : GNUTLS_PKCS_PLAIN);
	if (rc < 0) {
		esess_idkey_free(k);
		/* a wrong passphrase decrypts to garbage that then fails to
		 * parse: GnuTLS reports either */
		return enc ? ESESS_ERR_KEY_PASSPHRASE : ESESS_ERR_KEY;
	}
	r = idkey_take_public(k);
	if (r == ESESS_OK && gnutls_x509_privkey_verify_params(k->x509) < 0)
		r = ESESS_ERR_KEY;
	if (r != ESESS_OK) {
		esess_idkey_free(k);
		return ESESS_ERR_KEY;
	}
	*out = k;
	return ESESS_OK;
}

EsessStatus
esess_idkey_sign(const EsessIdKey *k, const guint8 *data, size_t len, guint8 **sig,
		 size_t *sig_len)
{
	gnutls_privkey_t priv = NULL;
	gnutls_datum_t d, s = { NULL, 0 };
	int rc;

	g_return_val_if_fail(k != NULL && sig != NULL && sig_len != NULL, ESESS_ERR_INVALID_ARG);
	*sig = NULL;
	*sig_len = 0;
	if (gnutls_privkey_init(&priv) < 0)
		return ESESS_ERR_INTERNAL;
	/* no copy: priv borrows k->x509 and does not free it */
	if (gnutls_privkey_import_x509(priv, k->x509, 0) < 0) {
		gnutls_privkey_deinit(priv);
		return ESESS_ERR_INTERNAL;
	}
	d.data = (unsigned char *)(data != NULL ? data : (const guint8 *)"");
	d.size = (unsigned)len;
	rc = gnutls_privkey_sign_data2(priv, GNUTLS_SIGN_RSA_SHA256, 0, &d, &s);
	gnutls_privkey_deinit(priv);
	if (rc < 0)
		return ESESS_ERR_INTERNAL;
	/* I2OSP to exactly k bytes (GnuTLS already does; be sure) */
	if (s.size > k->pub->n_len) {
		gnutls_free(s.data);
		return ESESS_ERR_INTERNAL;
	}
	*sig = g_malloc0(k->pub->n_len);
	memcpy(*sig + (k->pub->n_len - s.size), s.data, s.size);
	*sig_len = k->pub->n_len;
	gnutls_free(s.data);
	return ESESS_OK;
}

/* ---- decimal (R22) ---------------------------------------------------- */

char *
esess_decimal_from_bytes(const guint8 *b, size_t len)
{
	guint32 *limbs;      /* base 2^32, most significant first */
	size_t n, i, off;
	GString *out;
	char *s;

	off = esess_mpi_strip(b, len);
	b += off;
	len -= off;
	if (len == 0)
		return g_strdup("0");
	n = (len + 3) / 4;
	limbs = g_new0(guint32, n);
	for (i = 0; i < len; i++) {
		size_t from_end = len - 1 - i;

		limbs[n - 1 - from_end / 4] |= (guint32)b[i] << (8 * (from_end % 4));
	}
	out = g_string_new(NULL);
	/* divide by 10^9 until zero; each remainder is 9 digits, last first */
	for (;;) {
		guint64 rem = 0;
		gboolean zero = TRUE;
		char chunk[10];

		for (i = 0; i < n; i++) {
			guint64 cur = (rem << 32) | limbs[i];

			limbs[i] = (guint32)(cur / 1000000000u);
			rem = cur % 1000000000u;
			if (limbs[i] != 0)
				zero = FALSE;
		}
		if (zero) {
			g_snprintf(chunk, sizeof chunk, "%u", (guint)rem);
			g_string_prepend(out, chunk);
			break;
		}
		g_snprintf(chunk, sizeof chunk, "%09u", (guint)rem);
		g_string_prepend(out, chunk);
	}
	g_free(limbs);
	s = g_string_free(out, FALSE);
	return s;
}

static gboolean
is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

EsessStatus
esess_decimal_to_bytes(const char *text, gboolean allow_space, size_t max_len, guint8 **out,
		       size_t *out_len)
{
	GString *digits;
	guint8 *acc;
	size_t i, acc_len, used = 0, off;
	EsessStatus r = ESESS_OK;

	g_return_val_if_fail(out != NULL && out_len != NULL, ESESS_ERR_INVALID_ARG);
	*out = NULL;
	*out_len = 0;
	if (text == NULL)
		return ESESS_ERR_INTEGER;
	digits = g_string_new(NULL);
	for (i = 0; text[i] != '\0'; i++) {
		if (text[i] >= '0' && text[i] <= '9') {
			if (digits->len > IDKEY_MAX_DIGITS) {
				r = ESESS_ERR_TOO_LARGE;
				goto out;
			}
			g_string_append_c(digits, text[i]);
		} else if (!(allow_space && is_space(text[i]))) {
			r = ESESS_ERR_INTEGER;
			goto out;
		}
	}
	/* canonical: no sign, no empty value, no leading zero */
	if (digits->len == 0 || (digits->str[0] == '0' && digits->len > 1)) {
		r = ESESS_ERR_INTEGER;
		goto out;
	}
	/* acc = acc * 10 + digit, big-endian, acc_len bytes wide; 2467 digits
	 * need at most 1025 bytes */
	acc_len = max_len + 2;
	acc = g_malloc0(acc_len);
	for (i = 0; i < digits->len; i++) {
		guint carry = (guint)(digits->str[i] - '0');
		size_t j;

		for (j = acc_len; j > 0; j--) {
			guint v = (guint)acc[j - 1] * 10u + carry;

			acc[j - 1] = (guint8)(v & 0xffu);
			carry = v >> 8;
		}
		if (carry != 0 || acc[0] != 0) {
			g_free(acc);
			r = ESESS_ERR_TOO_LARGE;
			goto out;
		}
	}
	off = esess_mpi_strip(acc, acc_len);
	used = acc_len - off;
	if (used > max_len) {
		g_free(acc);
		r = ESESS_ERR_TOO_LARGE;
		goto out;
	}
	*out = g_memdup2(acc + off, used);
	*out_len = used;
	g_free(acc);
out:
	g_string_free(digits, TRUE);
	return r;
}

/* ---- R21: <KeyValue/> ------------------------------------------------- */

EsessXmlNode *
esess_pubkey_to_keyvalue(const EsessPubKey *pk)
{
	EsessXmlNode *kv, *rsa;
	char *b64;

	g_return_val_if_fail(pk != NULL, NULL);
	kv = esess_xml_new("KeyValue", ESESS_NS_DSIG);
	rsa = esess_xml_add(kv, "RSAKeyValue", NULL);
	b64 = esess_base64_encode(pk->n, pk->n_len);
	esess_xml_add_text_child(rsa, "Modulus", b64);
	g_free(b64);
	b64 = esess_base64_encode(pk->e, pk->e_len);
	esess_xml_add_text_child(rsa, "Exponent", b64);
	g_free(b64);
	return kv;
}

void
esess_pubkey_keyvalue_canon(const EsessPubKey *pk, GString *out)
{
	EsessXmlNode *kv = esess_pubkey_to_keyvalue(pk);

	esess_xml_canon(out, kv);
	esess_xml_free(kv);
}

void
esess_pubkey_hash(const EsessPubKey *pk, guint8 out[ESESS_IDKEY_FPR_LEN])
{
	GString *c = g_string_new(NULL);

	esess_pubkey_keyvalue_canon(pk, c);
	esess_sha256(c->str, c->len, out);
	g_string_free(c, TRUE);
}

/* TRUE when every text child of n is whitespace only. */
static gboolean
only_space_text(const EsessXmlNode *n)
{
	const EsessXmlNode *c;
	size_t i;

	for (c = n->first_child; c != NULL; c = c->next) {
		if (c->kind != ESESS_XML_TEXT)
			continue;
		for (i = 0; i < c->text_len; i++)
			if (!is_space(c->text[i]))
				return FALSE;
	}
	return TRUE;
}

/* The only element child of n, which must be named name, or NULL. */
static const EsessXmlNode *
sole_child(const EsessXmlNode *n, const char *name)
{
	const EsessXmlNode *c;

	if (esess_xml_count(n, NULL, NULL) != 1 || !only_space_text(n))
		return NULL;
	c = esess_xml_child(n, name, NULL);
	/* one namespace for the whole key (none at all in the R7 form) */
	if (c == NULL || c->n_attrs != 0 || g_strcmp0(c->ns, n->ns) != 0)
		return NULL;
	return c;
}

/* A leaf element's strict base64 value, at most max bytes. */
static EsessStatus
leaf_b64(const EsessXmlNode *n, size_t max, guint8 **out, size_t *len)
{
	g_autofree char *t = NULL;

	if (n->n_attrs != 0 || esess_xml_has_elements(n))
		return ESESS_ERR_KEY;
	t = esess_xml_text(n);
	if (esess_base64_decode(t, strlen(t), max, out, len) != ESESS_OK)
		return ESESS_ERR_KEY;
	return ESESS_OK;
}

EsessStatus
esess_pubkey_from_keyvalue(const EsessXmlNode *kv, EsessPubKey **out)
{
	const EsessXmlNode *rsa, *mod, *exp;
	guint8 *n = NULL, *e = NULL;
	size_t n_len = 0, e_len = 0;
	EsessStatus r = ESESS_ERR_KEY;

	g_return_val_if_fail(out != NULL, ESESS_ERR_INVALID_ARG);
	*out = NULL;
	if (kv == NULL || !esess_xml_is(kv, "KeyValue", NULL) || kv->n_attrs != 0)
		return ESESS_ERR_KEY;
	rsa = sole_child(kv, "RSAKeyValue");
	if (rsa == NULL || esess_xml_count(rsa, NULL, NULL) != 2 || !only_space_text(rsa))
		return ESESS_ERR_KEY;
	/* exactly <Modulus/> then <Exponent/>, in rsa's namespace */
	for (mod = rsa->first_child; mod != NULL && mod->kind != ESESS_XML_ELEMENT;
	     mod = mod->next)
		;
	exp = mod != NULL ? esess_xml_next(mod, NULL, NULL) : NULL;
	if (mod == NULL || exp == NULL || g_strcmp0(mod->name, "Modulus") != 0 ||
	    g_strcmp0(exp->name, "Exponent") != 0 || g_strcmp0(mod->ns, rsa->ns) != 0 ||
	    g_strcmp0(exp->ns, rsa->ns) != 0)
		return ESESS_ERR_KEY;
	if (leaf_b64(mod, IDKEY_MAX_BYTES, &n, &n_len) != ESESS_OK ||
	    leaf_b64(exp, IDKEY_MAX_EXP, &e, &e_len) != ESESS_OK)
		goto out;
	r = esess_pubkey_new(n, n_len, e, e_len, out);
out:
	g_free(n);
	g_free(e);
	return r;
}

/* ---- R22: XEP-0189 <pubkey/> ----------------------------------------- */

void
esess_pubkey2_info_clear(EsessPubkey2Info *info)
{
	if (info == NULL)
		return;
	g_free(info->jid);
	memset(info, 0, sizeof *info);
}

EsessStatus
esess_pubkey2_info_check_time(const EsessPubkey2Info *info, gint64 now, gint64 skew)
{
	g_return_val_if_fail(info != NULL && skew >= 0, ESESS_ERR_INVALID_ARG);
	/* differences taken unsigned, where they are positive, so that no
	 * value of the caller's overflows */
	if (info->begin > now && (guint64)info->begin - (guint64)now > (guint64)skew)
		return ESESS_ERR_EXPIRED;
	if (info->end < now && (guint64)now - (guint64)info->end > (guint64)skew)
		return ESESS_ERR_EXPIRED;
	return ESESS_OK;
}

char *
esess_datetime_format(gint64 t)
{
	GDateTime *dt = g_date_time_new_from_unix_utc(t);
	char *s;

	if (dt == NULL)
		return g_strdup("1970-01-01T00:00:00Z");
	s = g_date_time_format(dt, "%Y-%m-%dT%H:%M:%SZ");
	g_date_time_unref(dt);
	return s;
}

/* XEP-0082 DateTime with a zone (Z or +hh:mm); fractions allowed. */
gboolean
esess_datetime_parse(const char *s, gint64 *out)
{
	GDateTime *dt;
	size_t i, n = strlen(s);

	/* GLib also takes week dates, ordinal dates and missing zones:
	 * insist on the XEP-0082 shape first */
	if (n < 20 || n > 35 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' ||
	    s[16] != ':')
		return FALSE;
	for (i = 0; i < n; i++)
		if (!g_ascii_isdigit(s[i]) && strchr("-T:.Z+", s[i]) == NULL)
			return FALSE;
	dt = g_date_time_new_from_iso8601(s, NULL);
	if (dt == NULL)
		return FALSE;
	*out = g_date_time_to_unix(dt);
	g_date_time_unref(dt);
	return TRUE;
}

static void
pubkey2_print(const char *begin, const char *end, const char *jid, const char *mod,
	      const char *exp, guint8 out[ESESS_SHA256_LEN])
{
	EsessSha256 *h = esess_sha256_new();

	esess_sha256_update(h, begin, strlen(begin));
	esess_sha256_update(h, end, strlen(end));
	esess_sha256_update(h, jid, strlen(jid));
	esess_sha256_update(h, mod, strlen(mod));
	esess_sha256_update(h, exp, strlen(exp));
	esess_sha256_finish(h, out);
}

EsessXmlNode *
esess_pubkey_to_pubkey2(const EsessPubKey *pk, const char *jid, gint64 begin, gint64 end)
{
	EsessXmlNode *pub, *rsa, *print;
	g_autofree char *b = NULL, *e = NULL, *mod = NULL, *exp = NULL, *pb64 = NULL;
	guint8 h[ESESS_SHA256_LEN];

	g_return_val_if_fail(pk != NULL && jid != NULL, NULL);
	b = esess_datetime_format(begin);
	e = esess_datetime_format(end);
	mod = esess_decimal_from_bytes(pk->n, pk->n_len);
	exp = esess_decimal_from_bytes(pk->e, pk->e_len);
	pubkey2_print(b, e, jid, mod, exp, h);
	pb64 = esess_base64_encode(h, sizeof h);
	pub = esess_xml_new("pubkey", ESESS_NS_PUBKEY2);
	esess_xml_add_text_child(pub, "begin", b);
	esess_xml_add_text_child(pub, "end", e);
	esess_xml_add_text_child(pub, "jid", jid);
	rsa = esess_xml_add(pub, "rsakey", NULL);
	esess_xml_add_text_child(rsa, "modulus", mod);
	esess_xml_add_text_child(rsa, "publicExponent", exp);
	print = esess_xml_add_text_child(rsa, "print", pb64);
	esess_xml_set_attr(print, "algo", "sha-256");
	return pub;
}

/* The text of the single child name of n in ns (leaf, no attributes unless
 * allow_attrs), or NULL when it is missing, repeated or not a leaf. */
static char *
leaf_text(const EsessXmlNode *n, const char *name, gboolean allow_attrs)
{
	const EsessXmlNode *c;

	if (esess_xml_count(n, name, ESESS_NS_PUBKEY2) != 1)
		return NULL;
	c = esess_xml_child(n, name, ESESS_NS_PUBKEY2);
	if (esess_xml_has_elements(c) || (!allow_attrs && c->n_attrs != 0))
		return NULL;
	return esess_xml_text(c);
}

EsessStatus
esess_pubkey_from_pubkey2(const EsessXmlNode *pubkey, EsessPubKey **out, EsessPubkey2Info *info)
{
	const EsessXmlNode *rsa, *print;
	g_autofree char *b = NULL, *e = NULL, *jid = NULL, *mod = NULL, *exp = NULL;
	g_autofree char *pr = NULL, *cmod = NULL, *cexp = NULL;
	g_autofree guint8 *nb = NULL, *eb = NULL, *prb = NULL;
	size_t n_len = 0, e_len = 0, prb_len = 0;
	const char *algo;
	gint64 tb = 0, te = 0;
	guint8 h[ESESS_SHA256_LEN];
	EsessStatus r;

	g_return_val_if_fail(out != NULL, ESESS_ERR_INVALID_ARG);
	*out = NULL;
	if (info != NULL)
		memset(info, 0, sizeof *info);
	if (pubkey == NULL || !esess_xml_is(pubkey, "pubkey", ESESS_NS_PUBKEY2))
		return ESESS_ERR_KEY;
	b = leaf_text(pubkey, "begin", FALSE);
	e = leaf_text(pubkey, "end", FALSE);
	jid = leaf_text(pubkey, "jid", FALSE);
	if (b == NULL || e == NULL || jid == NULL || !esess_datetime_parse(b, &tb) ||
	    !esess_datetime_parse(e, &te) || tb > te || esess_utf8_check(jid, strlen(jid)) != ESESS_OK)
		return ESESS_ERR_KEY;
	if (esess_xml_count(pubkey, "rsakey", ESESS_NS_PUBKEY2) != 1)
		return ESESS_ERR_KEY;
	rsa = esess_xml_child(pubkey, "rsakey", ESESS_NS_PUBKEY2);
	if (rsa->n_attrs != 0 || !only_space_text(rsa))
		return ESESS_ERR_KEY;
	mod = leaf_text(rsa, "modulus", FALSE);
	exp = leaf_text(rsa, "publicExponent", FALSE);
	if (mod == NULL || exp == NULL)
		return ESESS_ERR_KEY;
	if (esess_decimal_to_bytes(mod, TRUE, IDKEY_MAX_BYTES, &nb, &n_len) != ESESS_OK ||
	    esess_decimal_to_bytes(exp, TRUE, IDKEY_MAX_EXP, &eb, &e_len) != ESESS_OK)
		return ESESS_ERR_KEY;
	r = esess_pubkey_new(nb, n_len, eb, e_len, out);
	if (r != ESESS_OK)
		return r;
	/* the print, when given in the default algorithm, must be right: it
	 * is over the canonical decimal strings */
	if (esess_xml_count(rsa, "print", ESESS_NS_PUBKEY2) > 1)
		goto bad;
	print = esess_xml_child(rsa, "print", ESESS_NS_PUBKEY2);
	if (print != NULL) {
		algo = esess_xml_attr(print, "algo");
		if (esess_xml_has_elements(print))
			goto bad;
		if (algo == NULL || strcmp(algo, "sha-256") == 0) {
			pr = esess_xml_text(print);
			g_strstrip(pr);
			cmod = esess_decimal_from_bytes(nb, n_len);
			cexp = esess_decimal_from_bytes(eb, e_len);
			pubkey2_print(b, e, jid, cmod, cexp, h);
			if (esess_base64_decode(pr, strlen(pr), sizeof h, &prb, &prb_len) !=
				    ESESS_OK ||
			    prb_len != sizeof h || !esess_ct_equal(prb, h, sizeof h))
				goto bad;
		}
	}
	if (info != NULL) {
		info->jid = g_steal_pointer(&jid);
		info->begin = tb;
		info->end = te;
	}
	return ESESS_OK;
bad:
	esess_pubkey_free(*out);
	*out = NULL;
	return ESESS_ERR_KEY;
}

/* ---- R22: XEP-0187 `signs` ------------------------------------------- */

#define SIGNS_MAX_VALUES 16u

static const char *const no_signs[] = { "signs", NULL };

EsessStatus
esess_idkey_sign_form(const EsessIdKey *k, const EsessXmlNode *x, char **b64)
{
	GString *c;
	guint8 *sig = NULL;
	size_t sig_len = 0;
	EsessStatus r;

	g_return_val_if_fail(k != NULL && b64 != NULL, ESESS_ERR_INVALID_ARG);
	*b64 = NULL;
	if (x == NULL || !esess_xml_is(x, "x", ESESS_NS_XDATA))
		return ESESS_ERR_INVALID_ARG;
	c = g_string_new(NULL);
	esess_form_canon(x, no_signs, c);
	r = esess_idkey_sign(k, (const guint8 *)c->str, c->len, &sig, &sig_len);
	g_string_free(c, TRUE);
	if (r != ESESS_OK)
		return r;
	*b64 = esess_base64_encode(sig, sig_len);
	g_free(sig);
	return ESESS_OK;
}

EsessStatus
esess_pubkey_verify_form(const EsessPubKey *pk, const EsessXmlNode *x)
{
	const EsessXmlNode *f, *signs = NULL, *v;
	GString *c;
	guint n = 0;
	EsessStatus r = ESESS_ERR_SIGNATURE;

	g_return_val_if_fail(pk != NULL, ESESS_ERR_SIGNATURE);
	if (x == NULL || !esess_xml_is(x, "x", ESESS_NS_XDATA))
		return ESESS_ERR_SIGNATURE;
	for (f = esess_xml_child(x, "field", ESESS_NS_XDATA); f != NULL;
	     f = esess_xml_next(f, "field", ESESS_NS_XDATA)) {
		if (g_strcmp0(esess_xml_attr(f, "var"), "signs") != 0)
			continue;
		if (signs != NULL)
			return ESESS_ERR_SIGNATURE;  /* which one would count? */
		signs = f;
	}
	if (signs == NULL)
		return ESESS_ERR_SIGNATURE;
	c = g_string_new(NULL);
	esess_form_canon(x, no_signs, c);
	for (v = esess_xml_child(signs, "value", ESESS_NS_XDATA);
	     v != NULL && n < SIGNS_MAX_VALUES && r != ESESS_OK;
	     v = esess_xml_next(v, "value", ESESS_NS_XDATA), n++) {
		g_autofree char *t = esess_xml_text(v);
		guint8 *sig = NULL;
		size_t sig_len = 0;

		if (esess_base64_decode(t, strlen(t), IDKEY_MAX_BYTES, &sig, &sig_len) != ESESS_OK)
			continue;
		r = esess_pubkey_verify(pk, (const guint8 *)c->str, c->len, sig, sig_len);
		g_free(sig);
	}
	g_string_free(c, TRUE);
	return r == ESESS_OK ? ESESS_OK : ESESS_ERR_SIGNATURE;
}

/* ---- the text forms of the installed API (esess-idkey.h) ------------- */

char *
esess_pubkey_to_pubkey2_text(const EsessPubKey *pk, const char *jid, gint64 begin, gint64 end)
{
	EsessXmlNode *x = esess_pubkey_to_pubkey2(pk, jid, begin, end);
	char *text;

	if (x == NULL)
		return NULL;
	text = esess_xml_to_string(x);
	esess_xml_free(x);
	return text;
}

EsessStatus
esess_pubkey_from_pubkey2_text(const char *xml, size_t len, EsessPubKey **out,
			       EsessPubkey2Info *info)
{
	EsessXmlNode *x = NULL;
	EsessStatus st;

	g_return_val_if_fail(out != NULL, ESESS_ERR_INVALID_ARG);
	*out = NULL;
	if (info != NULL)
		memset(info, 0, sizeof(*info));
	if (xml == NULL)
		return ESESS_ERR_KEY;
	/* a text that is not one well-formed element within the limits is
	 * not a key either: one status for every way of not being one */
	if (esess_xml_parse(xml, len, NULL, &x) != ESESS_OK)
		return ESESS_ERR_KEY;
	if (!esess_xml_is(x, "pubkey", ESESS_NS_PUBKEY2))
		st = ESESS_ERR_KEY;
	else
		st = esess_pubkey_from_pubkey2(x, out, info);
	esess_xml_free(x);
	return st;
}

/* The archive (esess-archive.c) unwraps collection keys with RSA-OAEP,
 * which GnuTLS 3.7 cannot do: it reads the key's numbers through this. */
gnutls_x509_privkey_t
esess_idkey_x509(const EsessIdKey *k)
{
	return k->x509;
}
