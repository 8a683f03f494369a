/*
 * esess-offline-private.h - the offline secrets, shared by esess-offline.c
 * (the options) and esess-offline-session.c (the session, the file).  Not a
 * public header.
 */
#ifndef ESESS_OFFLINE_PRIVATE_H
#define ESESS_OFFLINE_PRIVATE_H

#include <glib.h>

#include "esess-crypto.h"
#include "esess-idkey-private.h"
#include "esess-mem.h"
#include "esess-offline.h"
#include "esess-xml.h"

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

/* The node-based engine API (the text wrappers of esess-offline.h call
 * these; the unit tests use them directly). */

/* A fresh options form (fresh nonce and DH values every time: XEP-0187
 * §Security, replay) and the secrets that go with it.  Returns ESESS_OK,
 * ESESS_ERR_INVALID_ARG (no key, expiry in the past), ESESS_ERR_UNKNOWN_GROUP,
 * ESESS_ERR_INTERNAL.  Caller frees *x (esess_xml_free) and *secrets. */
G_GNUC_WARN_UNUSED_RESULT
EsessStatus esess_offline_options_new(const EsessOfflineConfig *cfg, EsessXmlNode **x,
				      EsessOfflineSecrets **secrets);

/* N_A (owned by s). */
const guint8 *esess_offline_secrets_nonce(const EsessOfflineSecrets *s, size_t *len);
/* The key pair of group (owned by s), NULL when not offered. */
const EsessDhKey *esess_offline_secrets_key(const EsessOfflineSecrets *s, guint group);

/* Checks a fetched options form against the key we trust for the contact
 * (XEP-0187: without a good signature proceed no further), the time now
 * (seconds since the epoch) and our policy.  Returns ESESS_OK,
 * ESESS_ERR_SIGNATURE, ESESS_ERR_EXPIRED, ESESS_ERR_FORM (not an options
 * form: accept, pubkey, sas_algs or dhhashes present, iq in stanzas, a
 * missing field, dhkeys not one per group), ESESS_ERR_NOT_ACCEPTABLE or
 * ESESS_ERR_POLICY (nothing we accept in a field), ESESS_ERR_DH_RANGE,
 * ESESS_ERR_BASE64, ESESS_ERR_LENGTH.  Fills *offer on success. */
G_GNUC_WARN_UNUSED_RESULT
EsessStatus esess_offline_options_check(const EsessXmlNode *x, const EsessPubKey *trusted,
					gint64 now, guint min_modp_bits, EsessLogPref logging,
					EsessOfflineOffer *offer);

/* The sender: *init receives the <init/> element (caller frees) and the
 * <c/> text is appended to c_out (esess_offline_seal_text). */
G_GNUC_WARN_UNUSED_RESULT
EsessStatus esess_offline_seal(const EsessOfflineOffer *offer, EsessIdKey *idkey,
			       const char *payload, size_t len, gint64 created,
			       EsessXmlNode **init, GString *c_out);

/* The recipient: the <init/> and <c/> elements of one offline message
 * (esess_offline_open_text).  *payload: the synthetic element holding the
 * decrypted children (caller frees). */
G_GNUC_WARN_UNUSED_RESULT
EsessStatus esess_offline_open(EsessOfflineSecrets *s, const EsessPubKey *trusted, gint64 now,
			       const EsessXmlNode *init, const EsessXmlNode *c,
			       EsessXmlNode **payload, gint64 *created, EsessPubKey **signer);

#endif /* ESESS_OFFLINE_PRIVATE_H */
