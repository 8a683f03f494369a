/*
 * esess-bytes.h - strict encodings of untrusted bytes: base64 (RFC 4648 §4),
 * MPI (INTEROP R2), decimal integers, UTF-8, and the bounded reader.
 *
 * "Reject, don't repair" (WireGuard encoding.c).  g_base64_decode accepts junk
 * and is never used on network data (SECURITY rule 2).
 */
#ifndef ESESS_BYTES_H
#define ESESS_BYTES_H

#include <glib.h>
#include <stddef.h>

#include "esess-status.h"
#include "esess-util.h"

G_BEGIN_DECLS

/* Largest base64 text any decoder accepts (well above the XMPP stanza sizes
 * servers allow; SECURITY item 41). */
#define ESESS_MAX_BASE64_TEXT (1024u * 1024u)

/* Base64 (RFC 4648 §4, '=' padding, no line breaks) of data[0..len).
 * Caller g_frees.  len 0 gives "". */
gchar *esess_base64_encode(const guint8 *data, size_t len);

/* Appends the base64 of data[0..len) to out (no allocation per call). */
void esess_base64_append(GString *out, const guint8 *data, size_t len);

/* Strict base64 decoding of text[0..text_len): only the RFC 4648 §4 alphabet,
 * length a multiple of 4, 0-2 '=' only at the end, the unused bits of the last
 * quantum zero, no whitespace, no NUL.  Rejects text longer than
 * ESESS_MAX_BASE64_TEXT and decoded output longer than max_out.
 * On success *out is g_malloc'd (caller frees; NULL when *out_len is 0).
 * Returns ESESS_OK, ESESS_ERR_BASE64, ESESS_ERR_TOO_LARGE. */
G_GNUC_WARN_UNUSED_RESULT
EsessStatus esess_base64_decode(const char *text, size_t text_len, size_t max_out,
				guint8 **out, size_t *out_len);

/* As esess_base64_decode, but for a value that must decode to exactly
 * expect_len bytes into out[] (e.g. a 32-byte MAC, a 16-byte counter).
 * Returns ESESS_OK, ESESS_ERR_BASE64, ESESS_ERR_LENGTH. */
G_GNUC_WARN_UNUSED_RESULT
EsessStatus esess_base64_decode_exact(const char *text, size_t text_len,
				      guint8 *out, size_t expect_len);

/* MPI (INTEROP R2): big-endian, no leading zero octets; zero is the empty
 * string.  esess_mpi_check_minimal returns ESESS_OK when buf[0..len) is a
 * minimal encoding (len == 0 or buf[0] != 0), else ESESS_ERR_MPI. */
G_GNUC_WARN_UNUSED_RESULT
EsessStatus esess_mpi_check_minimal(const guint8 *buf, size_t len);

/* Strips leading zero octets: returns the offset of the first non-zero byte
 * (len when all are zero). */
size_t esess_mpi_strip(const guint8 *buf, size_t len);

/* Strict unsigned decimal: digits only, no sign, no leading zeros (except
 * "0"), no whitespace, value <= max.  Returns ESESS_OK or ESESS_ERR_INTEGER
 * (SECURITY item 60). */
G_GNUC_WARN_UNUSED_RESULT
EsessStatus esess_parse_uint(const char *text, guint64 max, guint64 *out);

/* ESESS_OK when s[0..len) is valid UTF-8 without NUL, else ESESS_ERR_UTF8. */
G_GNUC_WARN_UNUSED_RESULT
EsessStatus esess_utf8_check(const char *s, size_t len);

/* Overflow-checked size arithmetic (libotr CVE-2016-2851). FALSE on overflow. */
gboolean esess_size_add(size_t a, size_t b, size_t *out);
gboolean esess_size_mul(size_t a, size_t b, size_t *out);

/* A bounded reader over untrusted bytes (OpenSSH sshbuf, Noise-C NoiseBuffer). */
typedef struct {
	const guint8 *data;
	size_t len;
	size_t pos;
} EsessReader;

void esess_reader_init(EsessReader *r, const void *data, size_t len);
size_t esess_reader_left(const EsessReader *r);
/* Takes n bytes: *out points into the buffer.  ESESS_ERR_LENGTH if fewer left. */
G_GNUC_WARN_UNUSED_RESULT
EsessStatus esess_reader_take(EsessReader *r, size_t n, const guint8 **out);
/* ESESS_OK only when every byte was consumed, else ESESS_ERR_LENGTH. */
G_GNUC_WARN_UNUSED_RESULT
EsessStatus esess_reader_finish(const EsessReader *r);

/* JIDs (esess_jid_normalize, esess_jid_bare, esess_jid_equal): esess-util.h,
 * the one way JIDs are compared in the engine and the adapter (issue 9
 * item 10). */

G_END_DECLS

#endif /* ESESS_BYTES_H */
