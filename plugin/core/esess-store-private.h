/*
 * esess-store-private.h - what the engine does with the retained-secret
 * store (esess-store.h): the chains of secrets, kept by the negotiation.
 * Not installed: these take EsessSecret, which is the engine's own.
 */
#ifndef ESESS_STORE_PRIVATE_H
#define ESESS_STORE_PRIVATE_H

#include <glib.h>

#include "esess-mem.h"
#include "esess-status.h"
#include "esess-store.h"

G_BEGIN_DECLS

#define ESESS_STORE_MAX_PER_PEER 16

typedef struct {
	EsessSecret *secret;
	gboolean verified;   /* confirmed by a SAS comparison */
	gint64 created;      /* g_get_real_time() when stored */
} EsessRetained;

/* Copies of the secrets held for (account, peer bare JID), newest first, as
 * EsessRetained*; caller frees with g_ptr_array_unref (element free func set,
 * wipes).  Never NULL (empty when none).  A pending chain gives both of its
 * secrets, the new one first. */
GPtrArray *esess_store_list(EsessStore *st, const char *account, const char *peer);

/* After a session: replaces the chain holding used_srs (when not NULL and
 * held, as its newest or its pending previous secret) by new_rs, inheriting
 * used_srs's verified flag, else adds new_rs unverified.  pending (the
 * responder, which stores before the peer has message 4): the chain keeps
 * used_srs beside new_rs until the peer shows which one it holds, by
 * matching either in a later session (SECURITY 67).  Keeps at most
 * ESESS_STORE_MAX_PER_PEER secrets, dropping the oldest unverified chain
 * first (then the oldest); persists atomically.  *verified (may be NULL)
 * receives the new secret's flag.  Returns ESESS_OK, ESESS_ERR_INVALID_ARG
 * (empty secret), ESESS_ERR_STORE_IO (nothing changed, in memory or on disk). */
G_GNUC_WARN_UNUSED_RESULT
EsessStatus esess_store_commit(EsessStore *st, const char *account, const char *peer,
			       const EsessSecret *used_srs, const EsessSecret *new_rs,
			       gboolean pending, gboolean *verified);

/* esess_store_commit, and in the same atomic write: add_flags (ESESS_PEER_*
 * bits, 0: none) to the peer's flags, and first_key (NULL: none) as the
 * peer's key, unverified, when none is held (R21).  All or nothing. */
G_GNUC_WARN_UNUSED_RESULT
EsessStatus esess_store_commit_full(EsessStore *st, const char *account, const char *peer,
				    const EsessSecret *used_srs, const EsessSecret *new_rs,
				    gboolean pending, guint add_flags,
				    const EsessPubKey *first_key, gboolean *verified);

/* How many times the store wrote its file since it was opened (tests). */
guint esess_store_writes(const EsessStore *st);

/* Marks rs verified (or not) and persists.  ESESS_OK, ESESS_ERR_INVALID_ARG
 * (rs not held for this peer), ESESS_ERR_STORE_IO (nothing changed). */
G_GNUC_WARN_UNUSED_RESULT
EsessStatus esess_store_set_verified(EsessStore *st, const char *account, const char *peer,
				     const EsessSecret *rs, gboolean verified);

/* Forgets rs and persists; when rs is the new secret of a pending chain the
 * chain goes back to the secret it replaced.  ESESS_OK (also when rs was not
 * held), ESESS_ERR_STORE_IO (nothing changed). */
G_GNUC_WARN_UNUSED_RESULT
EsessStatus esess_store_remove(EsessStore *st, const char *account, const char *peer,
			       const EsessSecret *rs);

/* Sets flags (ESESS_PEER_* bits, never cleared except by
 * esess_store_forget_peer) and persists when they change.  ESESS_OK,
 * ESESS_ERR_INVALID_ARG (0 or unknown bits), ESESS_ERR_STORE_IO (nothing
 * changed). */
G_GNUC_WARN_UNUSED_RESULT
EsessStatus esess_store_add_peer_flags(EsessStore *st, const char *account, const char *peer,
				       guint flags);

/* Files that hold secrets (the store, the offline secrets): made 0600 from
 * creation under a fresh temporary name beside path (doc/hacking.md: never
 * chmod afterwards), written, fsync'd and renamed over path.
 * esess_private_file_begin gives the descriptor (-1: ESESS_ERR_STORE_IO)
 * and *tmp; esess_private_file_end commits when ok is TRUE (otherwise, or
 * when committing fails, it removes the temporary file) and frees *tmp. */
int esess_private_file_begin(const char *path, char **tmp);
gboolean esess_private_file_write(int fd, const char *p, size_t n);
G_GNUC_WARN_UNUSED_RESULT
EsessStatus esess_private_file_end(int fd, char **tmp, const char *path, gboolean ok);

G_END_DECLS

#endif /* ESESS_STORE_PRIVATE_H */
