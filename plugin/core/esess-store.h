/*
 * esess-store.h - retained secrets (INTEROP R9, XEP-0116 §Retained Secrets),
 * keyed by (our account bare JID, peer bare JID).  The one engine module that
 * does file I/O.  Part of the installed API (esessions.h): a client opens a
 * store and hands it to its chats (EsessChatConfig::store), which keep the
 * chain of secrets up to date; esess-store-private.h has what the engine
 * itself does with it.
 *
 * The file is created 0600 from the start (temp file with O_EXCL in the same
 * directory, fsync, rename over the old one): a failed write leaves both the
 * old file and the in-memory state untouched.  Secrets live in secure memory.
 */
#ifndef ESESS_STORE_H
#define ESESS_STORE_H

#include <glib.h>

#include "esess-export.h"
#include "esess-idkey.h"
#include "esess-status.h"

G_BEGIN_DECLS

/** @file esess-store.h
 * @brief EsessStore: the retained secrets (INTEROP R9) and the contacts'
 * public keys (R21) at rest. */

/** The retained secrets of every peer of one or more accounts, held in
 * memory and in one file.  Opaque. */
typedef struct _EsessStore EsessStore;

/** Opens a store, loading the file at path; a missing file is an empty
 * store (the file is created by the first write, its directory must exist).
 * The file is read strictly: any deviation loads nothing.
 * @param path the file
 * @param[out] out the store; free it with esess_store_free()
 * @return ESESS_OK, ESESS_ERR_STORE_IO (unreadable), ESESS_ERR_STORE_FORMAT
 *         (corrupt file: nothing is loaded) */
G_GNUC_WARN_UNUSED_RESULT
ESESS_API EsessStatus esess_store_open(const char *path, EsessStore **out);

/** Wipes and frees a store.  Every chat using it must be freed first.
 * @param st the store, or NULL */
ESESS_API void esess_store_free(EsessStore *st);

/** Forgets every secret, every flag and the key held for a peer (the
 * user's "reset verification"), and writes the file.
 * @param st the store
 * @param account our bare JID, as in EsessChatConfig::account
 * @param peer the peer's JID (the resource is ignored)
 * @return ESESS_OK, ESESS_ERR_STORE_IO (nothing changed) */
G_GNUC_WARN_UNUSED_RESULT
ESESS_API EsessStatus esess_store_forget_peer(EsessStore *st, const char *account,
					      const char *peer);

/** The peer completed a session with the committed SAS (INTEROP R23): a
 * later session with the legacy SAS is a broken chain, not a fallback. */
#define ESESS_PEER_COMMITTED_SAS 1u
/** Every flag esess_store_peer_flags() can return. */
#define ESESS_PEER_ALL           1u

/** The flags held for a peer.
 * @param st the store
 * @param account our bare JID
 * @param peer the peer's JID (the resource is ignored)
 * @return ESESS_PEER_* bits, 0 when none */
ESESS_API guint esess_store_peer_flags(EsessStore *st, const char *account, const char *peer);

/** Whether anything is held for a peer: retained secrets (a session was
 * established with it), flags or its key.  What the client calls "a
 * contact with whom encrypted sessions were held" (issue 13: the logs
 * offered for encryption).
 * @param st the store
 * @param account our bare JID
 * @param peer the peer's JID (the resource is ignored)
 * @return TRUE when the store has a record of the peer */
ESESS_API gboolean esess_store_has_peer(EsessStore *st, const char *account, const char *peer);

/* ---- contacts' public keys (INTEROP R21, issue 12) -------------------- */

/** The one key held for a peer: the one the user trusts or was first shown.
 * A different key never replaces it by itself; the client calls
 * esess_store_key_set() when the user accepts the new one. */
typedef struct {
	EsessPubKey *key;    /**< the key (owned) */
	gint64 first_seen;   /**< g_get_real_time() when first stored */
	gboolean verified;   /**< confirmed by the user: SAS or fingerprint */
} EsessKnownKey;

/** Frees a known key from esess_store_key_get().
 * @param k the key, or NULL */
ESESS_API void esess_known_key_free(EsessKnownKey *k);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(EsessKnownKey, esess_known_key_free)

/** The key held for a peer.
 * @param st the store
 * @param account our bare JID
 * @param peer the peer's JID (the resource is ignored)
 * @return a copy (esess_known_key_free() it), NULL when none */
ESESS_API EsessKnownKey *esess_store_key_get(EsessStore *st, const char *account,
					     const char *peer);

/** Holds a key for a peer, replacing any other, and writes the file.  The
 * same key keeps its first-seen time; another one gets now.
 * @param st the store
 * @param account our bare JID
 * @param peer the peer's JID (the resource is ignored)
 * @param pk the key (copied)
 * @param verified whether the user confirmed it
 * @return ESESS_OK, ESESS_ERR_INVALID_ARG, ESESS_ERR_STORE_IO (nothing
 *         changed) */
G_GNUC_WARN_UNUSED_RESULT
ESESS_API EsessStatus esess_store_key_set(EsessStore *st, const char *account, const char *peer,
					  const EsessPubKey *pk, gboolean verified);

/** Marks the held key verified (or not) when it is pk, and writes the file
 * (a verification never carries over to another key).
 * @param st the store
 * @param account our bare JID
 * @param peer the peer's JID (the resource is ignored)
 * @param pk the key the user compared
 * @param verified the result
 * @return ESESS_OK, ESESS_ERR_INVALID_ARG (pk is not the held key),
 *         ESESS_ERR_STORE_IO */
G_GNUC_WARN_UNUSED_RESULT
ESESS_API EsessStatus esess_store_key_set_verified(EsessStore *st, const char *account,
						   const char *peer, const EsessPubKey *pk,
						   gboolean verified);

/** Forgets the peer's key (esess_store_forget_peer() does too) and writes
 * the file.
 * @param st the store
 * @param account our bare JID
 * @param peer the peer's JID (the resource is ignored)
 * @return ESESS_OK, ESESS_ERR_STORE_IO */
G_GNUC_WARN_UNUSED_RESULT
ESESS_API EsessStatus esess_store_key_forget(EsessStore *st, const char *account,
					     const char *peer);

/** XEP-0116 §Key Associations: the peers whose held key is pk.  More than
 * one means the same key speaks for several JIDs: the user must be told.
 * @param st the store
 * @param account our bare JID
 * @param pk a key
 * @return normalised bare JIDs, sorted, NULL-terminated (g_strfreev()) */
ESESS_API char **esess_store_key_peers(EsessStore *st, const char *account,
				       const EsessPubKey *pk);

G_END_DECLS

#endif /* ESESS_STORE_H */
