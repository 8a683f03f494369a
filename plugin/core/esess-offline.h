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
#include <stddef.h>

#include "esess-chat.h"
#include "esess-export.h"
#include "esess-idkey.h"
#include "esess-status.h"

G_BEGIN_DECLS

/** @file esess-offline.h
 * @brief XEP-0187 offline sessions: signed options (INTEROP R22) and
 * one-shot sealed messages to a contact who is offline. */

/** What the recipient keeps while its options are published: N_A, one DH
 * key pair per offered group, the expiry, and the replay memory.  Secret
 * (secure memory); freed wiped.  Opaque. */
typedef struct _EsessOfflineSecrets EsessOfflineSecrets;

/** How esess_offline_options_new_text() builds an options set. */
typedef struct {
	EsessIdKey *key;            /**< signs the form (R22); required */
	const guint *groups;        /**< groups to offer, in order; NULL = 15, 14, 16 */
	gsize n_groups;             /**< entries of groups */
	guint min_modp_bits;        /**< 0 = 2048 (R11) */
	EsessLogPref logging;       /**< archiving preference */
	gint64 expires;             /**< seconds since the epoch (UTC); in the future */
	const char *match_resource; /**< NULL: none */
} EsessOfflineConfig;

/** What the sender takes from a checked options form. */
typedef struct {
	guint group;            /**< the first offered group we accept */
	guint8 *e;              /**< its DH value (MPI), checked 1 < e < p-1 */
	size_t e_len;           /**< bytes of e */
	guint8 *n_a;            /**< the recipient's nonce */
	size_t n_a_len;         /**< bytes of n_a */
	char *cipher;           /**< "aes256-ctr" or "aes128-ctr" */
	EsessLogging logging;   /**< the logging choice */
	gint64 expires;         /**< when the options expire */
	char *match_resource;   /**< NULL: none */
} EsessOfflineOffer;

/** Frees what an offer holds (not the struct).
 * @param o the offer; NULL allowed */
ESESS_API void esess_offline_offer_clear(EsessOfflineOffer *o);

/** Wipes and frees (the replay memory too).
 * @param s the secrets, or NULL */
ESESS_API void esess_offline_secrets_free(EsessOfflineSecrets *s);
/** XEP-0187 §Accepting: destroys N_A and every x now (the options were
 * replaced or expired, or the offline messages were read); later opens
 * give ESESS_ERR_SESSION_ENDED.
 * @param s the secrets */
ESESS_API void esess_offline_secrets_destroy(EsessOfflineSecrets *s);
/** The expiry of the options the secrets go with.
 * @param s the secrets
 * @return seconds since the epoch (UTC) */
ESESS_API gint64 esess_offline_secrets_expires(const EsessOfflineSecrets *s);

/** The secrets at rest between publishing and return (doc/wire-profile.md
 * "Offline sessions"): written to path through a fresh 0600 file renamed
 * over it.
 * @param s the secrets
 * @param path the file to write
 * @return ESESS_OK, ESESS_ERR_STORE_IO */
G_GNUC_WARN_UNUSED_RESULT
ESESS_API EsessStatus esess_offline_secrets_save(const EsessOfflineSecrets *s, const char *path);
/** Reads secrets written by esess_offline_secrets_save().
 * @param path the file to read
 * @param[out] out the secrets; free with esess_offline_secrets_free()
 * @return ESESS_OK, ESESS_ERR_STORE_IO, ESESS_ERR_STORE_FORMAT */
G_GNUC_WARN_UNUSED_RESULT
ESESS_API EsessStatus esess_offline_secrets_load(const char *path, EsessOfflineSecrets **out);
/** Overwrites and unlinks the file (none: ESESS_OK).
 * @param path the file
 * @return ESESS_OK, ESESS_ERR_STORE_IO */
G_GNUC_WARN_UNUSED_RESULT
ESESS_API EsessStatus esess_offline_secrets_destroy_file(const char *path);

/** A fresh options form, signed (R22), as XML text (*form_xml, the
 * jabber:x:data `<x/>`; caller frees), and its secrets (caller frees).
 * @param cfg what to offer and the key that signs
 * @param[out] form_xml the signed form as XML text
 * @param[out] secrets what the recipient keeps until it returns
 * @return ESESS_OK, ESESS_ERR_INVALID_ARG, ESESS_ERR_UNKNOWN_GROUP,
 * ESESS_ERR_INTERNAL */
G_GNUC_WARN_UNUSED_RESULT
ESESS_API EsessStatus esess_offline_options_new_text(const EsessOfflineConfig *cfg,
						     char **form_xml,
						     EsessOfflineSecrets **secrets);

/** Checks a fetched options form (XML text of the `<x/>`) against the key
 * trusted for the contact, the time now and our policy; fills *offer
 * (esess_offline_offer_clear() it).
 * @param form_xml the fetched `<x/>` as XML text
 * @param len bytes of form_xml
 * @param trusted the key held for the contact
 * @param now seconds since the epoch (UTC)
 * @param min_modp_bits the smallest group our policy accepts
 * @param logging our archiving preference
 * @param[out] offer what the sender takes from the form
 * @return ESESS_OK, ESESS_ERR_XML, ESESS_ERR_SIGNATURE, ESESS_ERR_EXPIRED,
 * ESESS_ERR_FORM, ESESS_ERR_NOT_ACCEPTABLE, ESESS_ERR_POLICY, ... */
G_GNUC_WARN_UNUSED_RESULT
ESESS_API EsessStatus esess_offline_options_check_text(const char *form_xml, size_t len,
						       const EsessPubKey *trusted, gint64 now,
						       guint min_modp_bits, EsessLogPref logging,
						       EsessOfflineOffer *offer);

/** The sender: one message as a one-shot offline session (see
 * doc/wire-profile.md).  payload[0..len) is the serialised content (R14);
 * the SHIM Created header (created, seconds since the epoch) goes inside.
 * *children receives the XML text of the `<init/>` and the `<c/>` to put
 * in the `<message/>` (caller frees).
 * @param offer a checked offer (esess_offline_options_check_text())
 * @param idkey our identity key, which signs
 * @param payload the serialised content
 * @param len bytes of payload
 * @param created the writing time, seconds since the epoch (UTC)
 * @param[out] children the `<init/>` and `<c/>` as XML text
 * @return ESESS_OK, ESESS_ERR_INVALID_ARG, DH and crypto errors */
G_GNUC_WARN_UNUSED_RESULT
ESESS_API EsessStatus esess_offline_seal_text(const EsessOfflineOffer *offer, EsessIdKey *idkey,
					      const char *payload, size_t len, gint64 created,
					      char **children);

/** TRUE when the `<message/>` text looks like an offline session's stanza
 * (an `<init/>` holding a submit form): the caller then hands it to
 * esess_offline_open_text() and never treats it as anything else.
 * @param msg_xml the `<message/>` as XML text
 * @param len bytes of msg_xml
 * @return TRUE for an offline session's stanza */
ESESS_API gboolean esess_offline_is_offline_stanza(const char *msg_xml, size_t len);

/** The recipient: opens a whole `<message/>` (text) with the secrets, the
 * key held for the sender and the time now.  On success *payload_xml
 * holds the decrypted children (without the SHIM headers; caller frees
 * wiped), *created the writing time (0: none) and, when signer is not
 * NULL, *signer a copy of the key that signed (caller frees).  With no key
 * held (trusted NULL) and signer not NULL, the key the message proves is
 * accepted as the first one seen (INTEROP R21: the caller keeps it, not
 * verified); with signer NULL it is ESESS_ERR_KEY_UNKNOWN.  Every failure
 * is dropped WITHOUT an answer (XEP-0187).
 * @param s the secrets kept since publishing
 * @param trusted the key held for the sender, or NULL
 * @param now seconds since the epoch (UTC)
 * @param msg_xml the `<message/>` as XML text
 * @param len bytes of msg_xml
 * @param[out] payload_xml the decrypted children
 * @param[out] created the writing time (0: none)
 * @param[out] signer the key that signed, or NULL
 * @return ESESS_OK, ESESS_ERR_XML, ESESS_ERR_EXPIRED,
 * ESESS_ERR_SESSION_ENDED, ESESS_ERR_KEY_UNKNOWN, ESESS_ERR_FORM,
 * ESESS_ERR_NONCE, ESESS_ERR_NOT_OFFERED, ESESS_ERR_REPLAY,
 * ESESS_ERR_IDENTITY, ESESS_ERR_SIGNATURE, ESESS_ERR_MAC, ... */
G_GNUC_WARN_UNUSED_RESULT
ESESS_API EsessStatus esess_offline_open_text(EsessOfflineSecrets *s, const EsessPubKey *trusted,
					      gint64 now, const char *msg_xml, size_t len,
					      char **payload_xml, gint64 *created,
					      EsessPubKey **signer);

G_END_DECLS

#endif /* ESESS_OFFLINE_H */
