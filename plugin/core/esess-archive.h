/*
 * esess-archive.h - the encrypted archive of session messages (issue 13,
 * XEP-0241 in spirit; doc/archive.md is the format, byte for byte).
 *
 * A collection (one per conversation, day and program run) is a byte
 * string: a header that wraps a random 256-bit collection key to each of
 * the account's identity public keys (an XML-Encryption <EncryptedKey/>
 * per key, RSA-OAEP with SHA-256), then records (one message, or one
 * system line, each: the direction, the time, the sender and the text or
 * XHTML as shown),
 * AES-256-CTR encrypted and HMAC-SHA-256 authenticated, each MAC chained
 * to the previous one, then a trailer that authenticates the number of
 * records.  Flipped bytes, records reordered, dropped or cut, and a
 * missing trailer are all refused, and a collection is returned whole or
 * not at all.
 *
 * Writing needs only the public keys; reading needs one private key.  No
 * I/O here: the caller writes the bytes the writer gives.  Part of the
 * installed API (esessions.h); the known-answer building blocks are in
 * esess-archive-private.h.
 */
#ifndef ESESS_ARCHIVE_H
#define ESESS_ARCHIVE_H

#include <glib.h>
#include <stddef.h>

#include "esess-export.h"
#include "esess-idkey.h"
#include "esess-status.h"

G_BEGIN_DECLS

/** @file esess-archive.h
 * @brief The encrypted archive of session messages (doc/archive.md). */

/** The first bytes of every collection. */
#define ESESS_ARCHIVE_MAGIC        "ESESSAR1"
/** Length of ESESS_ARCHIVE_MAGIC. */
#define ESESS_ARCHIVE_MAGIC_LEN    8u
/** Largest collection esess_archive_decode_copy() takes: what the strict
 * decoder's text limit (1 MiB of base64) holds. */
#define ESESS_ARCHIVE_MAX_COPY     (768u * 1024u)
/** Length of a collection key (AES-256). */
#define ESESS_ARCHIVE_KEY_LEN      32u
/** Length of the trailer: u32 0xffffffff, u32 record count, MAC. */
#define ESESS_ARCHIVE_TRAILER_LEN  40u
/** Largest header; a larger one is refused before any work. */
#define ESESS_ARCHIVE_MAX_HEADER   (64u * 1024u)
/** Largest record (its encrypted length). */
#define ESESS_ARCHIVE_MAX_RECORD   (1024u * 1024u)
/** Most identity keys a collection is wrapped to. */
#define ESESS_ARCHIVE_MAX_KEYS     16u
/** Largest collection. */
#define ESESS_ARCHIVE_MAX_BYTES    (256u * 1024u * 1024u)

/** Who wrote a record.  A reader refuses (ESESS_ERR_MALFORMED) a record
 * of any other value; readers before ESESS_ARCHIVE_OTHER existed refuse a
 * collection holding one. */
typedef enum {
	ESESS_ARCHIVE_RECEIVED = 1, /**< the contact */
	ESESS_ARCHIVE_SENT = 2,     /**< we */
	ESESS_ARCHIVE_OTHER = 3     /**< neither: a system line or a line of an
				     *   old log whose writer is not known, kept
				     *   verbatim (the sender may be empty) */
} EsessArchiveDir;

/** One record of a collection: a message, or a line that is none
 * (ESESS_ARCHIVE_OTHER). */
typedef struct {
	EsessArchiveDir dir; /**< who wrote it */
	gint64 time;         /**< seconds since the epoch */
	char *sender;        /**< the sender's name as shown, UTF-8 */
	char *text;          /**< the text or XHTML as shown, UTF-8 */
} EsessArchiveRecord;

/** Frees a record (its text is wiped).
 * @param r the record, or NULL */
ESESS_API void esess_archive_record_free(EsessArchiveRecord *r);

/** A collection being written.  Opaque. */
typedef struct _EsessArchiveWriter EsessArchiveWriter;

/** Starts a collection for some public keys: a random collection key
 * wrapped to each.
 * @param keys the account's identity public keys
 * @param n_keys their number, 1 to ESESS_ARCHIVE_MAX_KEYS
 * @param[out] out the writer; free it with esess_archive_writer_free()
 * @param bytes replaced by the whole new collection (header and an empty
 *        trailer): write it as a new file
 * @return ESESS_OK, ESESS_ERR_INVALID_ARG, ESESS_ERR_NOMEM,
 *         ESESS_ERR_INTERNAL */
G_GNUC_WARN_UNUSED_RESULT
ESESS_API EsessStatus esess_archive_writer_new(const EsessPubKey *const *keys, guint n_keys,
					       EsessArchiveWriter **out, GByteArray *bytes);

/** Starts a collection bound to its account, contact and start (a
 * version-2 header, doc/archive.md): the header that the first MAC covers
 * names them, so a collection listed under another contact or date (a
 * file moved, a server copy renamed) is refused by
 * esess_archive_read_bound().  esess_archive_writer_new() writes a
 * version-1 header, which names none of them.
 * @param keys the account's identity public keys
 * @param n_keys their number, 1 to ESESS_ARCHIVE_MAX_KEYS
 * @param own the account's bare JID, normalised (as the path names it)
 * @param with the contact's bare JID, normalised (as the path names it)
 * @param start the collection's start as its file name says it,
 *        YYYYMMDDTHHMMSS (local time)
 * @param[out] out the writer; free it with esess_archive_writer_free()
 * @param bytes replaced by the whole new collection (header and an empty
 *        trailer): write it as a new file
 * @return ESESS_OK, ESESS_ERR_INVALID_ARG (a JID empty, with a resource
 *         or not UTF-8, start not of that form), ESESS_ERR_NOMEM,
 *         ESESS_ERR_INTERNAL */
G_GNUC_WARN_UNUSED_RESULT
ESESS_API EsessStatus esess_archive_writer_new_bound(const EsessPubKey *const *keys,
						     guint n_keys, const char *own,
						     const char *with, const char *start,
						     EsessArchiveWriter **out, GByteArray *bytes);

/** Adds one record.
 * @param w the writer
 * @param dir who wrote it: ESESS_ARCHIVE_RECEIVED, ESESS_ARCHIVE_SENT or
 *        ESESS_ARCHIVE_OTHER
 * @param time seconds since the epoch
 * @param sender the sender's name as shown (UTF-8, at most 1024 bytes)
 * @param text the text or XHTML as shown (UTF-8)
 * @param bytes replaced by the record and the new trailer: write them at
 *        esess_archive_writer_size() (before this call) minus
 *        ESESS_ARCHIVE_TRAILER_LEN, over the old trailer
 * @return ESESS_OK, ESESS_ERR_INVALID_ARG (not UTF-8, bad direction),
 *         ESESS_ERR_TOO_LARGE, ESESS_ERR_NOMEM, ESESS_ERR_INTERNAL */
G_GNUC_WARN_UNUSED_RESULT
ESESS_API EsessStatus esess_archive_writer_append(EsessArchiveWriter *w, EsessArchiveDir dir,
						  gint64 time, const char *sender,
						  const char *text, GByteArray *bytes);

/** @param w the writer
 * @return the collection's length so far */
ESESS_API guint64 esess_archive_writer_size(const EsessArchiveWriter *w);
/** @param w the writer
 * @return the number of messages written */
ESESS_API guint esess_archive_writer_count(const EsessArchiveWriter *w);
/** Frees a writer (its keys are wiped).
 * @param w the writer, or NULL */
ESESS_API void esess_archive_writer_free(EsessArchiveWriter *w);

/** Whether a collection has an `<EncryptedKey/>` for a key (only its
 * header is read, nothing is checked): tells "written for other keys" from
 * "damaged" before asking for a passphrase.
 * @param data the collection
 * @param len its length
 * @param pk a public key
 * @return TRUE when the header wraps the collection key to pk */
ESESS_API gboolean esess_archive_has_key(const guint8 *data, size_t len, const EsessPubKey *pk);

/** Checks and decrypts a whole collection with our private key; nothing
 * is returned unless all of it is intact.
 * @param data the collection
 * @param len its length
 * @param k our private key
 * @param[out] records EsessArchiveRecord pointers (the array frees them),
 *        set only on ESESS_OK
 * @return ESESS_OK; ESESS_ERR_KEY (no `<EncryptedKey/>` for this key);
 *         ESESS_ERR_MAC (changed or damaged: a MAC fails, records were
 *         reordered, dropped or cut, the key does not unwrap);
 *         ESESS_ERR_MALFORMED (not a collection); ESESS_ERR_TOO_LARGE */
G_GNUC_WARN_UNUSED_RESULT
ESESS_API EsessStatus esess_archive_read(const guint8 *data, size_t len, const EsessIdKey *k,
					 GPtrArray **records);

/** As esess_archive_read(), and checks, once the header's MAC holds, that
 * a version-2 collection was written for this account, contact and start
 * (the ones its path or server item id gives).  A version-1 collection
 * names none of them and is accepted as it was (bound says so).
 * @param data the collection
 * @param len its length
 * @param k our private key
 * @param own the account's bare JID, normalised
 * @param with the contact's bare JID, normalised
 * @param start the start its file name gives, YYYYMMDDTHHMMSS
 * @param[out] bound optional: TRUE when the header names them (version 2)
 * @param[out] records as esess_archive_read()
 * @return as esess_archive_read(); ESESS_ERR_MAC also when the header
 *         names another account, contact or start;
 *         ESESS_ERR_INVALID_ARG when own, with or start is NULL */
G_GNUC_WARN_UNUSED_RESULT
ESESS_API EsessStatus esess_archive_read_bound(const guint8 *data, size_t len,
					       const EsessIdKey *k, const char *own,
					       const char *with, const char *start,
					       gboolean *bound, GPtrArray **records);

/** A collection being read a record at a time.  Opaque. */
typedef struct _EsessArchiveReader EsessArchiveReader;

/** Starts reading a collection a record at a time (a long collection
 * checked over several turns of a main loop): unwraps the collection key
 * with k, checks the header's MAC, then, as esess_archive_read_bound(),
 * the account, contact and start a version-2 header names.
 * @param data the collection; it must stay unchanged until the reader is
 *        freed
 * @param len its length
 * @param k our private key (not needed once this returns)
 * @param own the account's bare JID, normalised
 * @param with the contact's bare JID, normalised
 * @param start the start its file name gives, YYYYMMDDTHHMMSS
 * @param[out] out the reader; free it with esess_archive_reader_free()
 * @return as esess_archive_read_bound() */
G_GNUC_WARN_UNUSED_RESULT
ESESS_API EsessStatus esess_archive_reader_new_bound(const guint8 *data, size_t len,
						     const EsessIdKey *k, const char *own,
						     const char *with, const char *start,
						     EsessArchiveReader **out);
/** The next record.  Each record's MAC is checked before it is returned,
 * but whether records follow that were dropped or cut is known only at
 * the end: a record is not part of an intact collection until this has
 * returned ESESS_OK with *rec NULL (the trailer checked).  A failure is
 * sticky.
 * @param rd the reader
 * @param[out] rec the record (free it with esess_archive_record_free()),
 *        NULL at the end
 * @return ESESS_OK; ESESS_ERR_MAC (changed, reordered, dropped or cut);
 *         ESESS_ERR_MALFORMED; ESESS_ERR_TOO_LARGE */
G_GNUC_WARN_UNUSED_RESULT
ESESS_API EsessStatus esess_archive_reader_next(EsessArchiveReader *rd, EsessArchiveRecord **rec);
/** Frees a reader (its keys are wiped).
 * @param rd the reader, or NULL */
ESESS_API void esess_archive_reader_free(EsessArchiveReader *rd);

/**
 * Decodes a collection carried as base64 (a server copy) with the engine's
 * strict decoder (SECURITY rule 2: RFC 4648 alphabet, padding, zero unused
 * bits, no whitespace; at most ESESS_ARCHIVE_MAX_COPY bytes) and checks
 * only its magic: every MAC is checked when it is read.
 * @param text the base64 text
 * @param text_len its length
 * @param[out] out the collection (g_free), NULL on failure
 * @param[out] out_len its length
 * @return ESESS_OK, ESESS_ERR_BASE64, ESESS_ERR_TOO_LARGE,
 *         ESESS_ERR_MALFORMED (not a collection), ESESS_ERR_INVALID_ARG */
G_GNUC_WARN_UNUSED_RESULT
ESESS_API EsessStatus esess_archive_decode_copy(const char *text, size_t text_len,
						guint8 **out, size_t *out_len);

G_END_DECLS

#endif /* ESESS_ARCHIVE_H */
