/*
 * esess-offline-private.h - the offline secrets, shared by esess-offline.c
 * (the options) and esess-offline-session.c (the session, the file).  Not a
 * public header.
 */
#ifndef ESESS_OFFLINE_PRIVATE_H
#define ESESS_OFFLINE_PRIVATE_H

#include <glib.h>

#include "esess-crypto.h"

#define OFFLINE_NONCE 16u

struct _EsessOfflineSecrets {
	guint8 n_a[OFFLINE_NONCE];
	gint64 expires;
	guint *groups;
	EsessDhKey **keys;          /* x for each group, secure memory */
	gsize n;
	GHashTable *seen;           /* XEP-0187 replay memory: tagged SHA-256
	                             * of every accepted d and N_B */
	gboolean destroyed;         /* esess_offline_secrets_destroy ran */
};

#endif /* ESESS_OFFLINE_PRIVATE_H */
