/*
 * esess-offline.h - XEP-0187 offline options, signed per INTEROP R22: the
 * engine part of publishing them (Alice, before she goes offline) and of
 * checking a set fetched from a contact's PEP node (Bob, who wants to write
 * to her while she is away).  Issue 12 item 4, first part.
 *
 * The offline session itself (esess-offline-session.c): the sender seals
 * one message as a one-shot XEP-0187 session against a checked set; the
 * recipient opens it with the secrets kept since publishing, which also
 * remember every d and N_B accepted (replays are refused).
 *
 * The options form is the XEP-0116 request form with XEP-0187's changes:
 * no `accept`, no `init_pubkey` / `resp_pubkey` (the published key is the
 * identity), no `sas_algs` and no `dhhashes` (it is the 3-message form:
 * `dhkeys` carries e for every group, in the order of the `modp` options),
 * `stanzas` message only, plus `expires` (XEP-0082 UTC), `match_resource`
 * when given, and `signs` (one value per published key, R22).
 */
#ifndef ESESS_OFFLINE_H
#define ESESS_OFFLINE_H

#include <glib.h>

#include "esess-chat.h"
#include "esess-crypto.h"
#include "esess-idkey-private.h"
#include "esess-mem.h"
#include "esess-status.h"
#include "esess-xml.h"

G_BEGIN_DECLS

/* What Alice keeps while the options are published: N_A, one DH key pair
 * per offered group, the expiry.  Secret (secure memory); freed wiped. */
typedef struct _EsessOfflineSecrets EsessOfflineSecrets;

typedef struct {
	EsessIdKey *key;            /* signs the form (R22); required */
	const guint *groups;        /* groups to offer, in order; NULL = 15, 14, 16 */
	gsize n_groups;
	guint min_modp_bits;        /* 0 = 2048 (R11) */
	EsessLogPref logging;
	gint64 expires;             /* seconds since the epoch (UTC); in the future */
	const char *match_resource; /* NULL: none */
} EsessOfflineConfig;

/* A fresh options form (fresh nonce and DH values every time: XEP-0187
 * §Security, replay) and the secrets that go with it.  Returns ESESS_OK,
 * ESESS_ERR_INVALID_ARG (no key, expiry in the past), ESESS_ERR_UNKNOWN_GROUP,
 * ESESS_ERR_INTERNAL.  Caller frees *x (esess_xml_free) and *secrets. */
G_GNUC_WARN_UNUSED_RESULT
EsessStatus esess_offline_options_new(const EsessOfflineConfig *cfg, EsessXmlNode **x,
				      EsessOfflineSecrets **secrets);

/* Wipes and frees (the replay memory too); NULL allowed. */
void esess_offline_secrets_free(EsessOfflineSecrets *s);
/* XEP-0187 §Accepting: destroys N_A and every x now (the options were
 * replaced or expired, or the offline messages were read); later
 * esess_offline_open calls give ESESS_ERR_SESSION_ENDED. */
void esess_offline_secrets_destroy(EsessOfflineSecrets *s);
gint64 esess_offline_secrets_expires(const EsessOfflineSecrets *s);
/* N_A (owned by s). */
const guint8 *esess_offline_secrets_nonce(const EsessOfflineSecrets *s, size_t *len);
/* The key pair of group (owned by s), NULL when not offered. */
const EsessDhKey *esess_offline_secrets_key(const EsessOfflineSecrets *s, guint group);

/* What Bob takes from a checked options form. */
typedef struct {
	guint group;            /* the first offered group we accept */
	guint8 *e;              /* its DH value (MPI), checked 1 < e < p-1 */
	size_t e_len;
	guint8 *n_a;            /* Alice's nonce */
	size_t n_a_len;
	char *cipher;           /* "aes256-ctr" or "aes128-ctr" */
	EsessLogging logging;
	gint64 expires;
	char *match_resource;   /* NULL: none */
} EsessOfflineOffer;

void esess_offline_offer_clear(EsessOfflineOffer *o);

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

/* The secrets at rest between publishing and return (doc/wire-profile.md
 * "Offline sessions"): written to path through a fresh 0600 file renamed
 * over it; read back; overwritten and unlinked.  ESESS_OK,
 * ESESS_ERR_STORE_IO, ESESS_ERR_STORE_FORMAT (load). */
G_GNUC_WARN_UNUSED_RESULT
EsessStatus esess_offline_secrets_save(const EsessOfflineSecrets *s, const char *path);
G_GNUC_WARN_UNUSED_RESULT
EsessStatus esess_offline_secrets_load(const char *path, EsessOfflineSecrets **out);
G_GNUC_WARN_UNUSED_RESULT
EsessStatus esess_offline_secrets_destroy_file(const char *path);

/* The sender: one message as a one-shot offline session against a checked
 * offer (esess_offline_options_check), signed with idkey (R21, `key`).
 * payload[0..len) is the serialised content (R14, e.g. the <body/>); the
 * SHIM Created header with created (seconds since the epoch, UTC) is added
 * inside the encryption.  *init receives the <init/> element (caller frees)
 * and the <c/> text is appended to c_out; both go in one <message/>.
 * Returns ESESS_OK, ESESS_ERR_INVALID_ARG (no key), the DH and crypto
 * errors. */
G_GNUC_WARN_UNUSED_RESULT
EsessStatus esess_offline_seal(const EsessOfflineOffer *offer, EsessIdKey *idkey,
			       const char *payload, size_t len, gint64 created,
			       EsessXmlNode **init, GString *c_out);

/* The recipient, back online: opens the <init/> and <c/> of one offline
 * message with the secrets s, the key trusted for the sender and the time
 * now.  On success *payload receives the decrypted content (caller frees;
 * the SHIM headers taken out) and *created the writing time (0: none
 * given).  Every failure is to be dropped WITHOUT any answer (XEP-0187):
 * ESESS_ERR_EXPIRED, ESESS_ERR_SESSION_ENDED (secrets destroyed),
 * ESESS_ERR_KEY_UNKNOWN (no trusted key), ESESS_ERR_FORM, ESESS_ERR_NONCE
 * (not this set's N_A), ESESS_ERR_NOT_OFFERED, ESESS_ERR_REPLAY (d or N_B
 * seen before), ESESS_ERR_IDENTITY (M_B or mac_B), ESESS_ERR_SIGNATURE (not
 * signed by the trusted key), the DH errors, and esess_session_decrypt's
 * (ESESS_ERR_MAC ...) for the content. */
G_GNUC_WARN_UNUSED_RESULT
EsessStatus esess_offline_open(EsessOfflineSecrets *s, const EsessPubKey *trusted, gint64 now,
			       const EsessXmlNode *init, const EsessXmlNode *c,
			       EsessXmlNode **payload, gint64 *created);

G_END_DECLS

#endif /* ESESS_OFFLINE_H */
