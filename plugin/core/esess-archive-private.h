/*
 * esess-archive-private.h - building blocks of the archive (esess-archive.h)
 * exposed for the known-answer tests.  Not installed.
 */
#ifndef ESESS_ARCHIVE_PRIVATE_H
#define ESESS_ARCHIVE_PRIVATE_H

#include "esess-archive.h"

G_BEGIN_DECLS

/* ---- building blocks, exposed for the known-answer tests --------------- */

/* As esess_archive_writer_new with a given collection key and name (32
 * lower-case hex digits); n_keys may be 0 (a header without
 * <EncryptedKey/>, readable only with esess_archive_read_with_key). */
G_GNUC_WARN_UNUSED_RESULT
EsessStatus esess_archive_writer_new_with_key(const guint8 key[ESESS_ARCHIVE_KEY_LEN],
					      const char *name,
					      const EsessPubKey *const *keys, guint n_keys,
					      EsessArchiveWriter **out, GByteArray *bytes);
/* The same, bound (version 2, doc/archive.md) when own is not NULL: own,
 * with and start as esess_archive_writer_new_bound takes them. */
G_GNUC_WARN_UNUSED_RESULT
EsessStatus esess_archive_writer_new_with_key_bound(const guint8 key[ESESS_ARCHIVE_KEY_LEN],
						    const char *name, const char *own,
						    const char *with, const char *start,
						    const EsessPubKey *const *keys, guint n_keys,
						    EsessArchiveWriter **out, GByteArray *bytes);
/* As esess_archive_read_bound with the collection key itself. */
G_GNUC_WARN_UNUSED_RESULT
EsessStatus esess_archive_read_with_key_bound(const guint8 *data, size_t len,
					      const guint8 key[ESESS_ARCHIVE_KEY_LEN],
					      const char *own, const char *with,
					      const char *start, gboolean *bound,
					      GPtrArray **records);
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

#endif /* ESESS_ARCHIVE_PRIVATE_H */
