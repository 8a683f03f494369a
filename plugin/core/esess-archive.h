/*
 * esess-archive.h - the encrypted archive of session messages (issue 13,
 * XEP-0241 in spirit; the format is doc/archive.md).
 *
 * A collection (one per conversation, day and program run) is a byte
 * string: a header that wraps a random 256-bit collection key to each of
 * the account's identity public keys (an XML-Encryption <EncryptedKey/>
 * per key, RSA-OAEP with SHA-256), then records (one message each: the
 * direction, the time, the sender and the text or XHTML as shown),
 * AES-256-CTR encrypted and HMAC-SHA-256 authenticated, each MAC chained
 * to the previous one, then a trailer that authenticates the number of
 * records.  Flipped bytes, records reordered, dropped or cut, and a
 * missing trailer are all refused, and a collection is returned whole or
 * not at all.
 *
 * Writing needs only the public keys; reading needs one private key.
 * No I/O here: the adapter writes the bytes the writer gives.  Not part of
 * the installed API.
 */
#ifndef ESESS_ARCHIVE_H
#define ESESS_ARCHIVE_H

#include <glib.h>
#include <stddef.h>

#include "esess-idkey.h"
#include "esess-status.h"

G_BEGIN_DECLS

#define ESESS_ARCHIVE_MAGIC        "ESESSAR1"
#define ESESS_ARCHIVE_MAGIC_LEN    8u
#define ESESS_ARCHIVE_KEY_LEN      32u
/* u32 0xffffffff, u32 record count, MAC */
#define ESESS_ARCHIVE_TRAILER_LEN  40u
/* limits: anything larger is refused before any work */
#define ESESS_ARCHIVE_MAX_HEADER   (64u * 1024u)
#define ESESS_ARCHIVE_MAX_RECORD   (1024u * 1024u)
#define ESESS_ARCHIVE_MAX_KEYS     16u
#define ESESS_ARCHIVE_MAX_BYTES    (256u * 1024u * 1024u)

typedef enum {
	ESESS_ARCHIVE_RECEIVED = 1,
	ESESS_ARCHIVE_SENT = 2
} EsessArchiveDir;

typedef struct {
	EsessArchiveDir dir;
	gint64 time;        /* seconds since the epoch */
	char *sender;       /* UTF-8 */
	char *text;         /* UTF-8: the text or XHTML as shown */
} EsessArchiveRecord;

void esess_archive_record_free(EsessArchiveRecord *r);

typedef struct _EsessArchiveWriter EsessArchiveWriter;

/* A new collection for keys[0..n_keys) (1 to ESESS_ARCHIVE_MAX_KEYS): a
 * random collection key wrapped to each.  *bytes (replaced) is the whole
 * new collection (header and an empty trailer): write it as a new file.
 * Returns ESESS_OK, ESESS_ERR_INVALID_ARG, ESESS_ERR_INTERNAL. */
G_GNUC_WARN_UNUSED_RESULT
EsessStatus esess_archive_writer_new(const EsessPubKey *const *keys, guint n_keys,
				     EsessArchiveWriter **out, GByteArray *bytes);

/* Adds one message.  *bytes (replaced) is the record and the new trailer:
 * write them at offset esess_archive_writer_size(w) before this call minus
 * ESESS_ARCHIVE_TRAILER_LEN (they replace the old trailer).
 * Returns ESESS_OK, ESESS_ERR_INVALID_ARG (not UTF-8, bad direction),
 * ESESS_ERR_TOO_LARGE, ESESS_ERR_INTERNAL. */
G_GNUC_WARN_UNUSED_RESULT
EsessStatus esess_archive_writer_append(EsessArchiveWriter *w, EsessArchiveDir dir,
					gint64 time, const char *sender, const char *text,
					GByteArray *bytes);

/* The collection's length so far. */
guint64 esess_archive_writer_size(const EsessArchiveWriter *w);
guint esess_archive_writer_count(const EsessArchiveWriter *w);
void esess_archive_writer_free(EsessArchiveWriter *w);

/* Whether the collection has an <EncryptedKey/> for pk (its header is
 * read, nothing is checked): a reader can tell "not for this key" from
 * "damaged" before it asks for a passphrase. */
gboolean esess_archive_has_key(const guint8 *data, size_t len, const EsessPubKey *pk);

/* Checks and decrypts a whole collection with our private key.
 * *records (EsessArchiveRecord *, freeing) only on ESESS_OK.
 * Returns ESESS_OK; ESESS_ERR_KEY (no <EncryptedKey/> for this key: the
 * collection was written for other keys); ESESS_ERR_MAC (the header or a
 * record does not authenticate, records were reordered, dropped or cut, the
 * key does not unwrap: tampered or damaged); ESESS_ERR_MALFORMED (not a
 * collection, no trailer, trailing bytes); ESESS_ERR_TOO_LARGE. */
G_GNUC_WARN_UNUSED_RESULT
EsessStatus esess_archive_read(const guint8 *data, size_t len, const EsessIdKey *k,
			       GPtrArray **records);

/* ---- building blocks, exposed for the known-answer tests --------------- */

/* As esess_archive_writer_new with a given collection key and name (32
 * lower-case hex digits); n_keys may be 0 (a header without
 * <EncryptedKey/>, readable only with esess_archive_read_with_key). */
G_GNUC_WARN_UNUSED_RESULT
EsessStatus esess_archive_writer_new_with_key(const guint8 key[ESESS_ARCHIVE_KEY_LEN],
					      const char *name,
					      const EsessPubKey *const *keys, guint n_keys,
					      EsessArchiveWriter **out, GByteArray *bytes);
/* As esess_archive_read with the collection key itself. */
G_GNUC_WARN_UNUSED_RESULT
EsessStatus esess_archive_read_with_key(const guint8 *data, size_t len,
					const guint8 key[ESESS_ARCHIVE_KEY_LEN],
					GPtrArray **records);
/* RSA-OAEP (SHA-256, MGF1-SHA-256, no label) of key to pk: *out g_malloc'd,
 * the modulus' length.  And the inverse: ESESS_ERR_MAC when it does not
 * decrypt to ESESS_ARCHIVE_KEY_LEN bytes. */
G_GNUC_WARN_UNUSED_RESULT
EsessStatus esess_archive_wrap(const EsessPubKey *pk, const guint8 key[ESESS_ARCHIVE_KEY_LEN],
			       guint8 **out, size_t *out_len);
G_GNUC_WARN_UNUSED_RESULT
EsessStatus esess_archive_unwrap(const EsessIdKey *k, const guint8 *in, size_t in_len,
				 guint8 key[ESESS_ARCHIVE_KEY_LEN]);

G_END_DECLS

#endif /* ESESS_ARCHIVE_H */
