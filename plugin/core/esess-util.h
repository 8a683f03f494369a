/*
 * esess-util.h - setting the engine up, and the helpers a client needs to
 * treat JIDs and plaintext the way the engine does.  Part of the installed
 * API (esessions.h).
 *
 * The definitions live with their modules: esess-crypto.c (libgcrypt),
 * esess-bytes.c (JIDs), esess-mem.c (wiping); their internal headers
 * include this one.
 */
#ifndef ESESS_UTIL_H
#define ESESS_UTIL_H

#include <glib.h>
#include <stddef.h>

#include "esess-export.h"
#include "esess-status.h"

G_BEGIN_DECLS

/** @file esess-util.h
 * @brief Library set-up, JID comparison and wiping of plaintext. */

/** The version of the library that is running (it may be newer than the
 * headers a program was built with).
 * @return a static string, e.g. "0.1.0" */
ESESS_API const char *esess_version(void);

/** Sets libgcrypt up, only if nobody did yet (pidgin-otr, for instance, may
 * have): it never installs allocation handlers, and enables secure memory
 * when it is the one initialising.  Call it once before any other engine
 * function, from the main thread.  Idempotent, not thread-safe.
 * @return ESESS_OK, or ESESS_ERR_INTERNAL (libgcrypt older than 1.8) */
G_GNUC_WARN_UNUSED_RESULT
ESESS_API EsessStatus esess_crypto_init(void);

/** Receives the engine's one notice that secrets fall out of locked memory.
 * @param message an English sentence for a debug log (static) */
typedef void (*EsessCryptoNoticeFunc)(const char *message);

/** Where the engine says, once per process, that secrets fall out of locked
 * memory (another component set libgcrypt up without secure memory, or with
 * a full pool that does not grow).  Unset, the message goes to g_info().
 * @param fn the function to call, or NULL for the default */
ESESS_API void esess_crypto_set_notice_func(EsessCryptoNoticeFunc fn);

/** The one way the engine compares JIDs (and keys its store): node and
 * domain case-folded, the resource kept as written (RFC 7622 folds the
 * first two only).  ASCII is lower-cased as libpurple does; other text is
 * case-folded and NFKC-normalised like stringprep's nodeprep and nameprep,
 * never by the user's locale.
 * @param jid a JID, or NULL
 * @return a new string (g_free() it), NULL when jid is NULL */
ESESS_API char *esess_jid_normalize(const char *jid);

/** Like esess_jid_normalize(), and drops the resource.
 * @param jid a JID, or NULL
 * @return a new string (g_free() it), NULL when jid is NULL */
ESESS_API char *esess_jid_bare(const char *jid);

/** Compares two JIDs after esess_jid_normalize().
 * @param a a JID, or NULL
 * @param b a JID, or NULL
 * @return TRUE when equal (NULL equals only NULL) */
ESESS_API gboolean esess_jid_equal(const char *a, const char *b);

/** Overwrites memory with zeros in a way the compiler cannot elide: for the
 * copies of plaintext a client makes.
 * @param p the memory (may be NULL when n is 0)
 * @param n its size in bytes */
ESESS_API void esess_wipe(void *p, size_t n);

/** Wipes a buffer allocated with g_malloc() and frees it.
 * @param p the buffer, or NULL
 * @param n its size in bytes */
ESESS_API void esess_free_wiped(void *p, size_t n);

/** Wipes a NUL-terminated string allocated with g_malloc() and frees it: for
 * the copies of JIDs and other names of contacts a client keeps, so that a
 * freed block does not tell whom the user talked to.  Usable as a
 * GDestroyNotify.
 * @param s the string, or NULL */
ESESS_API void esess_str_free_wiped(gpointer s);

G_END_DECLS

#endif /* ESESS_UTIL_H */
