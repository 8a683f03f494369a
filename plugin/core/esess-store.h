/*
 * esess-store.h - retained secrets (INTEROP R9, XEP-0116 §Retained Secrets),
 * keyed by (our account bare JID, peer bare JID).  The one engine module that
 * does file I/O.
 *
 * The file is created 0600 from the start (temp file with O_EXCL in the same
 * directory, fsync, rename over the old one): a failed write leaves both the
 * old file and the in-memory state untouched.  Secrets live in EsessSecret
 * (secure memory).
 */
#ifndef ESESS_STORE_H
#define ESESS_STORE_H

#include <glib.h>

#include "esess-idkey.h"
#include "esess-mem.h"
#include "esess-status.h"

G_BEGIN_DECLS

typedef struct _EsessStore EsessStore;   /* matches the forward declaration in esess-chat.h */

#define ESESS_STORE_MAX_PER_PEER 16

typedef struct {
	EsessSecret *secret;
	gboolean verified;   /* confirmed by a SAS comparison */
	gint64 created;      /* g_get_real_time() when stored */
} EsessRetained;

/* Opens (loads) path; a missing file is an empty store.  Returns ESESS_OK,
 * ESESS_ERR_STORE_IO (unreadable), ESESS_ERR_STORE_FORMAT (corrupt file:
 * nothing is loaded). Caller frees with esess_store_free. */
G_GNUC_WARN_UNUSED_RESULT
EsessStatus esess_store_open(const char *path, EsessStore **out);

/* Wipes and frees; NULL allowed. */
void esess_store_free(EsessStore *st);

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

/* Forgets every secret and every flag for the peer (the user's "reset
 * verification") and persists.  ESESS_OK, ESESS_ERR_STORE_IO. */
G_GNUC_WARN_UNUSED_RESULT
EsessStatus esess_store_forget_peer(EsessStore *st, const char *account, const char *peer);

/* ---- per-peer flags, kept beside the secrets ------------------------ */

/* The peer completed a session with the committed SAS (INTEROP R23): a
 * later session with the legacy SAS is a broken chain, not a fallback. */
#define ESESS_PEER_COMMITTED_SAS 1u
#define ESESS_PEER_ALL           1u

/* The flags held for (account, peer), 0 when none. */
guint esess_store_peer_flags(EsessStore *st, const char *account, const char *peer);

/* Sets flags (ESESS_PEER_* bits, never cleared except by
 * esess_store_forget_peer) and persists when they change.  ESESS_OK,
 * ESESS_ERR_INVALID_ARG (0 or unknown bits), ESESS_ERR_STORE_IO (nothing
 * changed). */
G_GNUC_WARN_UNUSED_RESULT
EsessStatus esess_store_add_peer_flags(EsessStore *st, const char *account, const char *peer,
				       guint flags);

/* ---- contacts' public keys (INTEROP R21, issue 12) -------------------- */

/* One key per (account, peer): the one the user trusts or was first shown.
 * A different key never replaces it by itself (the negotiation reports it
 * as ESESS_PEER_KEY_CHANGED); the adapter calls esess_store_key_set when
 * the user accepts the new one. */
typedef struct {
	EsessPubKey *key;
	gint64 first_seen;   /* g_get_real_time() when first stored */
	gboolean verified;   /* confirmed by the user: SAS or fingerprint */
} EsessKnownKey;

void esess_known_key_free(EsessKnownKey *k);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(EsessKnownKey, esess_known_key_free)

/* A copy of the key held for (account, peer), NULL when none. */
EsessKnownKey *esess_store_key_get(EsessStore *st, const char *account, const char *peer);

/* Holds pk for the peer, replacing any other key, and persists.  The same
 * key keeps its first-seen time; another one gets now.  ESESS_OK,
 * ESESS_ERR_INVALID_ARG, ESESS_ERR_STORE_IO (nothing changed). */
G_GNUC_WARN_UNUSED_RESULT
EsessStatus esess_store_key_set(EsessStore *st, const char *account, const char *peer,
				const EsessPubKey *pk, gboolean verified);

/* Marks the held key verified (or not) when it is pk, and persists (a
 * verification never carries over to another key).  ESESS_OK,
 * ESESS_ERR_INVALID_ARG (pk is not the held key), ESESS_ERR_STORE_IO. */
G_GNUC_WARN_UNUSED_RESULT
EsessStatus esess_store_key_set_verified(EsessStore *st, const char *account,
					 const char *peer, const EsessPubKey *pk,
					 gboolean verified);

/* Forgets the peer's key (esess_store_forget_peer does too).  ESESS_OK,
 * ESESS_ERR_STORE_IO. */
G_GNUC_WARN_UNUSED_RESULT
EsessStatus esess_store_key_forget(EsessStore *st, const char *account, const char *peer);

/* XEP-0116 §Key Associations: the peers of account (normalised bare JIDs,
 * sorted) whose held key is pk, NULL-terminated (g_strfreev).  More than
 * one means the same key speaks for several JIDs: the user must be told. */
char **esess_store_key_peers(EsessStore *st, const char *account, const EsessPubKey *pk);

G_END_DECLS

#endif /* ESESS_STORE_H */
