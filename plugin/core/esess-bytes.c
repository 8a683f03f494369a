/*
 * esess-bytes.c - strict decoders for untrusted bytes: base64 (RFC 4648 §4),
 * MPI (INTEROP R2), decimal integers, UTF-8, and the bounded reader.
 *
 * Reject, don't repair (WireGuard encoding.c): every decoder either accepts
 * exactly the canonical form or returns an error, never a "best effort" value
 * (SECURITY rule 2; g_base64_decode turns "QUJD$$$$RA==" into "ABCD").
 * The base64 coders are table driven and allocate nothing but their output
 * (doc/hacking.md: per-message cost is XML and base64, not crypto).
 */
#include "config.h"

#include <string.h>

#include "esess-bytes.h"
#include "esess-mem.h"

static const char b64_alphabet[64] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* 0..63 for alphabet characters, 0x80 for everything else ('=' and NUL
 * included: padding is handled apart, only at the very end) */
#define B64_BAD 0x80
static const guint8 b64_value[256] = {
#define B64_R16 B64_BAD, B64_BAD, B64_BAD, B64_BAD, B64_BAD, B64_BAD, B64_BAD, B64_BAD, \
	B64_BAD, B64_BAD, B64_BAD, B64_BAD, B64_BAD, B64_BAD, B64_BAD, B64_BAD
	B64_R16, B64_R16, /* 0x00-0x1f */
	B64_BAD, B64_BAD, B64_BAD, B64_BAD, B64_BAD, B64_BAD, B64_BAD, B64_BAD, /* 0x20-0x27 */
	B64_BAD, B64_BAD, B64_BAD, 62, B64_BAD, B64_BAD, B64_BAD, 63,       /* ( ) * + , - . / */
	52, 53, 54, 55, 56, 57, 58, 59, 60, 61,                             /* 0-9 */
	B64_BAD, B64_BAD, B64_BAD, B64_BAD, B64_BAD, B64_BAD,               /* : ; < = > ? */
	B64_BAD, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14,          /* @ A-O */
	15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25,                         /* P-Z */
	B64_BAD, B64_BAD, B64_BAD, B64_BAD, B64_BAD,                        /* [ \ ] ^ _ */
	B64_BAD, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40, /* ` a-o */
	41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51,                         /* p-z */
	B64_BAD, B64_BAD, B64_BAD, B64_BAD, B64_BAD,                        /* { | } ~ DEL */
	B64_R16, B64_R16, B64_R16, B64_R16, B64_R16, B64_R16, B64_R16, B64_R16, /* 0x80-0xff */
#undef B64_R16
};

G_STATIC_ASSERT(sizeof(b64_value) == 256);

/* 4 * ceil(len / 3), or FALSE on size_t overflow */
static gboolean
b64_encoded_len(size_t len, size_t *out)
{
	return esess_size_mul(len / 3 + (len % 3 != 0), 4, out);
}

/* Writes the base64 of data[0..len) at dst (exactly b64_encoded_len bytes). */
static void
b64_encode_into(char *dst, const guint8 *data, size_t len)
{
	size_t i = 0;
	guint32 v;

	for (; len - i >= 3; i += 3) {
		v = ((guint32)data[i] << 16) | ((guint32)data[i + 1] << 8) | data[i + 2];
		*dst++ = b64_alphabet[v >> 18];
		*dst++ = b64_alphabet[(v >> 12) & 63];
		*dst++ = b64_alphabet[(v >> 6) & 63];
		*dst++ = b64_alphabet[v & 63];
	}
	if (len - i == 1) {
		v = (guint32)data[i] << 16;
		*dst++ = b64_alphabet[v >> 18];
		*dst++ = b64_alphabet[(v >> 12) & 63];
		*dst++ = '=';
		*dst = '=';
	} else if (len - i == 2) {
		v = ((guint32)data[i] << 16) | ((guint32)data[i + 1] << 8);
		*dst++ = b64_alphabet[v >> 18];
		*dst++ = b64_alphabet[(v >> 12) & 63];
		*dst++ = b64_alphabet[(v >> 6) & 63];
		*dst = '=';
	}
}

gchar *
esess_base64_encode(const guint8 *data, size_t len)
{
	size_t n, alloc;
	gchar *out;

	g_return_val_if_fail(len == 0 || data != NULL, NULL);
	if (!b64_encoded_len(len, &n) || !esess_size_add(n, 1, &alloc))
		g_error("esess_base64_encode: length overflow");
	out = g_malloc(alloc);
	b64_encode_into(out, data, len);
	out[n] = '\0';
	return out;
}

void
esess_base64_append(GString *out, const guint8 *data, size_t len)
{
	size_t n, old, total;

	g_return_if_fail(out != NULL);
	g_return_if_fail(len == 0 || data != NULL);
	old = out->len;
	if (!b64_encoded_len(len, &n) || !esess_size_add(old, n, &total))
		g_error("esess_base64_append: length overflow");
	g_string_set_size(out, total);
	b64_encode_into(out->str + old, data, len);
}

/*
 * Checks the shape of text[0..text_len) (length a multiple of 4, at most two
 * '=' and only at the end) and returns the decoded length in *dlen and the
 * number of '=' in *pad.  The characters themselves are checked while
 * decoding.
 */
static EsessStatus
b64_shape(const char *text, size_t text_len, size_t *dlen, size_t *pad)
{
	*dlen = 0;
	*pad = 0;
	if (text_len % 4 != 0)
		return ESESS_ERR_BASE64;
	if (text_len == 0)
		return ESESS_OK;
	if (text[text_len - 1] == '=') {
		(*pad)++;
		if (text[text_len - 2] == '=')
			(*pad)++;
	}
	*dlen = text_len / 4 * 3 - *pad;
	return ESESS_OK;
}

/*
 * Decodes text (shape already checked by b64_shape) into dst, which holds
 * dlen bytes; dst NULL only validates.  Rejects any character outside the
 * alphabet (a '=' before the padding included) and non-zero unused bits in
 * the last quantum (RFC 4648 §3.5: "QR==" is not the canonical "QQ==").
 */
static EsessStatus
b64_decode_into(const char *text, size_t text_len, size_t pad, guint8 *dst)
{
	const guint8 *t = (const guint8 *)text;
	size_t full, i;
	guint a, b, c, d;

	if (text_len == 0)
		return ESESS_OK;
	full = text_len / 4 - (pad > 0);
	for (i = 0; i < full; i++, t += 4) {
		a = b64_value[t[0]];
		b = b64_value[t[1]];
		c = b64_value[t[2]];
		d = b64_value[t[3]];
		if ((a | b | c | d) & B64_BAD)
			return ESESS_ERR_BASE64;
		if (dst != NULL) {
			*dst++ = (guint8)((a << 2) | (b >> 4));
			*dst++ = (guint8)((b << 4) | (c >> 2));
			*dst++ = (guint8)((c << 6) | d);
		}
	}
	if (pad == 0)
		return ESESS_OK;
	a = b64_value[t[0]];
	b = b64_value[t[1]];
	c = pad == 1 ? b64_value[t[2]] : 0;
	if ((a | b | c) & B64_BAD)
		return ESESS_ERR_BASE64;
	/* the bits after the last whole byte must be zero */
	if (pad == 2 ? (b & 0x0f) != 0 : (c & 0x03) != 0)
		return ESESS_ERR_BASE64;
	if (dst != NULL) {
		*dst++ = (guint8)((a << 2) | (b >> 4));
		if (pad == 1)
			*dst = (guint8)((b << 4) | (c >> 2));
	}
	return ESESS_OK;
}

EsessStatus
esess_base64_decode(const char *text, size_t text_len, size_t max_out,
		    guint8 **out, size_t *out_len)
{
	EsessStatus r;
	size_t dlen, pad;
	guint8 *buf = NULL;

	g_return_val_if_fail(out != NULL && out_len != NULL, ESESS_ERR_INVALID_ARG);
	*out = NULL;
	*out_len = 0;
	g_return_val_if_fail(text_len == 0 || text != NULL, ESESS_ERR_INVALID_ARG);

	/* size caps first, before looking at a single character (SECURITY 41) */
	if (text_len > ESESS_MAX_BASE64_TEXT)
		return ESESS_ERR_TOO_LARGE;
	r = b64_shape(text, text_len, &dlen, &pad);
	if (r != ESESS_OK)
		goto out;
	if (dlen > max_out) {
		r = ESESS_ERR_TOO_LARGE;
		goto out;
	}
	if (dlen == 0) {
		r = b64_decode_into(text, text_len, pad, NULL);
		goto out;
	}
	buf = g_malloc(dlen);
	r = b64_decode_into(text, text_len, pad, buf);
	if (r != ESESS_OK)
		goto out;
	*out = buf;
	*out_len = dlen;
	buf = NULL;
out:
	/* a partial decode may hold plaintext or key bytes */
	esess_free_wiped(buf, dlen);
	return r;
}

EsessStatus
esess_base64_decode_exact(const char *text, size_t text_len,
			  guint8 *out, size_t expect_len)
{
	EsessStatus r;
	size_t dlen, pad;

	g_return_val_if_fail(expect_len == 0 || out != NULL, ESESS_ERR_INVALID_ARG);
	g_return_val_if_fail(text_len == 0 || text != NULL, ESESS_ERR_INVALID_ARG);

	if (text_len > ESESS_MAX_BASE64_TEXT)
		return ESESS_ERR_LENGTH;
	r = b64_shape(text, text_len, &dlen, &pad);
	if (r != ESESS_OK)
		return r;
	if (dlen != expect_len) {
		/* report junk as junk, well-formed text of another length as
		 * a length error */
		r = b64_decode_into(text, text_len, pad, NULL);
		return r != ESESS_OK ? r : ESESS_ERR_LENGTH;
	}
	r = b64_decode_into(text, text_len, pad, out);
	if (r != ESESS_OK)
		esess_wipe(out, expect_len);
	return r;
}

EsessStatus
esess_mpi_check_minimal(const guint8 *buf, size_t len)
{
	g_return_val_if_fail(len == 0 || buf != NULL, ESESS_ERR_INVALID_ARG);
	/* INTEROP R2: no leading zero octet; zero is the empty string */
	if (len > 0 && buf[0] == 0)
		return ESESS_ERR_MPI;
	return ESESS_OK;
}

size_t
esess_mpi_strip(const guint8 *buf, size_t len)
{
	size_t i = 0;

	g_return_val_if_fail(len == 0 || buf != NULL, 0);
	while (i < len && buf[i] == 0)
		i++;
	return i;
}

EsessStatus
esess_parse_uint(const char *text, guint64 max, guint64 *out)
{
	guint64 v = 0;
	guint d;
	const char *p;

	g_return_val_if_fail(out != NULL, ESESS_ERR_INVALID_ARG);
	*out = 0;
	g_return_val_if_fail(text != NULL, ESESS_ERR_INVALID_ARG);

	/* SECURITY item 60: digits only; no sign, no space, no leading zero */
	if (text[0] == '\0' || (text[0] == '0' && text[1] != '\0'))
		return ESESS_ERR_INTEGER;
	for (p = text; *p != '\0'; p++) {
		if (*p < '0' || *p > '9')
			return ESESS_ERR_INTEGER;
		d = (guint)(*p - '0');
		if (d > max || v > (max - d) / 10)
			return ESESS_ERR_INTEGER;
		v = v * 10 + d;
	}
	*out = v;
	return ESESS_OK;
}

EsessStatus
esess_utf8_check(const char *s, size_t len)
{
	g_return_val_if_fail(len == 0 || s != NULL, ESESS_ERR_INVALID_ARG);
	if (len == 0)
		return ESESS_OK;
	/* g_utf8_validate_len rejects overlong forms, surrogates, code points
	 * past U+10FFFF and any NUL inside the given length */
	if (memchr(s, '\0', len) != NULL || !g_utf8_validate_len(s, len, NULL))
		return ESESS_ERR_UTF8;
	return ESESS_OK;
}

gboolean
esess_size_add(size_t a, size_t b, size_t *out)
{
	g_return_val_if_fail(out != NULL, FALSE);
	if (a > G_MAXSIZE - b) {
		*out = 0;
		return FALSE;
	}
	*out = a + b;
	return TRUE;
}

gboolean
esess_size_mul(size_t a, size_t b, size_t *out)
{
	g_return_val_if_fail(out != NULL, FALSE);
	if (a != 0 && b > G_MAXSIZE / a) {
		*out = 0;
		return FALSE;
	}
	*out = a * b;
	return TRUE;
}

void
esess_reader_init(EsessReader *r, const void *data, size_t len)
{
	g_return_if_fail(r != NULL);
	g_return_if_fail(len == 0 || data != NULL);
	r->data = data;
	r->len = len;
	r->pos = 0;
}

size_t
esess_reader_left(const EsessReader *r)
{
	g_return_val_if_fail(r != NULL, 0);
	return r->len - r->pos;
}

EsessStatus
esess_reader_take(EsessReader *r, size_t n, const guint8 **out)
{
	g_return_val_if_fail(r != NULL && out != NULL, ESESS_ERR_INVALID_ARG);
	*out = NULL;
	/* compared against what is left, so pos + n cannot overflow */
	if (n > r->len - r->pos)
		return ESESS_ERR_LENGTH;
	*out = r->data + r->pos;
	r->pos += n;
	return ESESS_OK;
}

EsessStatus
esess_reader_finish(const EsessReader *r)
{
	g_return_val_if_fail(r != NULL, ESESS_ERR_INVALID_ARG);
	return r->pos == r->len ? ESESS_OK : ESESS_ERR_LENGTH;
}

/* ---- JIDs --------------------------------------------------------------- */

/* node@domain of len bytes, folded (see esess-bytes.h) */
static char *
jid_fold(const char *s, size_t len)
{
	char *folded, *norm;
	size_t i;

	for (i = 0; i < len; i++)
		if ((guchar)s[i] >= 0x80)
			break;
	if (i == len || !g_utf8_validate(s, (gssize)len, NULL))
		return g_ascii_strdown(s, (gssize)len);
	folded = g_utf8_casefold(s, (gssize)len);
	norm = g_utf8_normalize(folded, -1, G_NORMALIZE_NFKC);
	g_free(folded);
	return norm != NULL ? norm : g_ascii_strdown(s, (gssize)len);
}

char *
esess_jid_normalize(const char *jid)
{
	const char *slash;
	char *bare, *out;

	if (jid == NULL)
		return NULL;
	slash = strchr(jid, '/');
	if (slash == NULL)
		return jid_fold(jid, strlen(jid));
	bare = jid_fold(jid, (size_t)(slash - jid));
	out = g_strconcat(bare, slash, NULL);
	g_free(bare);
	return out;
}

char *
esess_jid_bare(const char *jid)
{
	const char *slash;

	if (jid == NULL)
		return NULL;
	slash = strchr(jid, '/');
	return jid_fold(jid, slash != NULL ? (size_t)(slash - jid) : strlen(jid));
}

gboolean
esess_jid_equal(const char *a, const char *b)
{
	char *x, *y;
	gboolean eq;

	if (a == NULL || b == NULL)
		return a == b;
	if (strcmp(a, b) == 0)
		return TRUE;
	x = esess_jid_normalize(a);
	y = esess_jid_normalize(b);
	eq = strcmp(x, y) == 0;
	g_free(x);
	g_free(y);
	return eq;
}
