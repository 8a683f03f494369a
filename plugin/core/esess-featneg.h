/*
 * esess-featneg.h - XEP-0020/XEP-0155 option choice for ESessions: the
 * initiator's offer (INTEROP R12), the responder's choice (R13), the
 * initiator's check of the answer (SECURITY 17-24), and the XEP-0136
 * logging tables (DIGEST §10.1).  Pure functions over EsessForm.
 */
#ifndef ESESS_FEATNEG_H
#define ESESS_FEATNEG_H

#include <glib.h>

#include "esess-chat.h"
#include "esess-form.h"
#include "esess-status.h"

G_BEGIN_DECLS

struct _EsessQuirks;

typedef struct {
	guint modp;            /* chosen group */
	guint modp_index;      /* its index in the offer (selects the dhhashes value) */
	char *crypt_algs, *hash_algs, *compress, *sas_algs, *sign_algs, *init_pubkey, *resp_pubkey, *ver, *disclosure, *security;
	gboolean stanzas_message;
	guint64 rekey_freq;
	EsessLogging logging;
} EsessChoice;

typedef struct {
	guint min_modp_bits;      /* R11 default 2048 */
	EsessLogPref logging;
	gboolean extensions;      /* peer advertises urn:xmpp:esessions:purple:0 (R19): may offer aes256-ctr first etc. */
	const struct _EsessQuirks *quirks; /* NULL = none */
	gboolean committed_sas;   /* offer the committed SAS (R23) even without
	                           * extensions: this peer completed a session
	                           * with it before (never to a quirks peer) */
	guint64 min_rekey_freq;   /* our minimum */
	/* INTEROP R21: public keys are offered (init_pubkey, resp_pubkey
	 * key/hash/none) to a peer of this plugin or one whose key we hold,
	 * never to a quirks peer (R20), and only when we hold a key of either
	 * side; the responder chooses `key` or `hash` only as these allow */
	gboolean own_key;         /* we hold an identity key to sign with */
	gboolean peer_key;        /* we hold a key for this peer (`hash` usable) */
	gboolean pubkey_hash_first; /* tests: offer `hash` before `key` */
} EsessFeatPolicy;

/* Initiator: adds the R12 fields (FORM_TYPE, accept, logging per the DIGEST
 * §10.1 offer table, disclosure, security, crypt_algs, hash_algs, compress,
 * stanzas, init_pubkey, resp_pubkey, ver, rekey_freq, sas_algs, sign_algs,
 * modp options in the given order) to a new ESESS_FORM_FORM form; the caller
 * then adds my_nonce and dhhashes.  Shapes as Gajim sends them (DIGEST
 * Appendix B): single offers as hidden fields, lists as list-single options.
 * Returns ESESS_OK, ESESS_ERR_UNKNOWN_GROUP for an unknown or below-policy
 * group in groups (min_modp_bits 0 means 2048), or when no group is left
 * after applying quirks (R20: 18 is dropped for Gajim; 17 is never first,
 * it moves behind the next group, so 17 alone fails), ESESS_ERR_INVALID_ARG
 * for a group listed twice.  (Every XEP-0136 pref has an offer, so the
 * logging pref never makes an offer impossible.) */
G_GNUC_WARN_UNUSED_RESULT
EsessStatus esess_featneg_build_offer(const EsessFeatPolicy *pol, const guint *groups, gsize n_groups,
				      EsessForm **out);

/* Responder (R13): first offered option local policy accepts, per field;
 * fills a new ESESS_FORM_SUBMIT answer (FORM_TYPE, accept=1, one value per
 * field, in the request's field order; the caller adds my_nonce, dhkeys,
 * nonce, counter) and *choice (clear with esess_choice_clear).  On failure
 * *answer is NULL and *choice is cleared:
 *  ESESS_ERR_NOT_ACCEPTABLE with the offending vars appended to bad_vars
 *    (char*, g_strdup'd; bad_vars may be NULL): no offered option we support
 *    (e.g. ver not 1.0, SECURITY 23), rekey_freq >= 2^32 (SECURITY 22), a
 *    logging "fail" cell (DIGEST §10.1), or a 3-message request (dhkeys
 *    instead of dhhashes: bad var "dhkeys", SECURITY 21);
 *  ESESS_ERR_FORM for a malformed request (not a form, missing FORM_TYPE
 *    urn:xmpp:ssn, accept not true, a field of the wrong type, 'logging' with
 *    true/false values is refused per R13 (legacy 'otr' true/false is
 *    mapped: true = mustnot), both 'logging' and 'otr', rekey_freq not a
 *    strict positive decimal (SECURITY 60), dhhashes not one per modp
 *    option, a needed ESession field missing: those vars go to bad_vars);
 *  ESESS_ERR_POLICY (takes precedence over NOT_ACCEPTABLE; the vars go to
 *    bad_vars too) when a field has no acceptable option and offered a value
 *    refused by policy: groups below min_modp_bits (SECURITY 17), cipher none,
 *    hash sha1/md5, compression zlib/lzw (SECURITY 19), disclosure
 *    disabled/enabled (SECURITY 20), security c2s/none.
 * Choices: modp the first known group >= min_modp_bits (0 means 2048),
 * crypt_algs aes256-ctr or aes128-ctr (both AES-256, R4), hash sha256, compress
 * none, sas_algs the committed SAS whenever offered (INTEROP R23) else
 * sas28x5, ver 1.0, pubkeys none, sign_algs rsa-sha256, disclosure never,
 * security e2e, stanzas message; rekey_freq max(Alice's, min_rekey_freq). */
G_GNUC_WARN_UNUSED_RESULT
EsessStatus esess_featneg_choose(const EsessForm *request, const EsessFeatPolicy *pol,
				 EsessForm **answer, EsessChoice *choice, GPtrArray *bad_vars);

/* Initiator: checks the response against what was offered: every choice was
 * offered (ESESS_ERR_NOT_OFFERED, SECURITY 18), rekey_freq >= ours and < 2^32
 * (ESESS_ERR_POLICY; malformed numbers ESESS_ERR_FORM, SECURITY 22, 60),
 * logging consistent with our pref (ESESS_ERR_POLICY), stanzas including
 * message (ESESS_ERR_POLICY), sas28x5 chosen although the committed SAS
 * was offered (ESESS_ERR_SAS_DOWNGRADE, INTEROP R23), a submit form with
 * FORM_TYPE urn:xmpp:ssn, one value per choice and every offered field answered except sign_algs
 * (ESESS_ERR_FORM); accept false is a decline: ESESS_ERR_REJECTED.  Fields
 * the caller handles (my_nonce, dhkeys, nonce, counter, ...) are ignored.
 * Fills *choice (zeroed on failure). */
G_GNUC_WARN_UNUSED_RESULT
EsessStatus esess_featneg_check(const EsessForm *offer, const EsessForm *response,
				const EsessFeatPolicy *pol, EsessChoice *choice);

/* esess_featneg_check, and on failure *field names the field concerned
 * (a static string, e.g. "modp"; NULL for a form-level problem): for the
 * debug log and the error sent to the peer (issue 8 item 4). */
G_GNUC_WARN_UNUSED_RESULT
EsessStatus esess_featneg_check_field(const EsessForm *offer, const EsessForm *response,
				      const EsessFeatPolicy *pol, EsessChoice *choice,
				      const char **field);

/* The XEP-0136 tables (DIGEST §10.1): the offer for a pref (1 or 2 static
 * strings, "mustnot"/"may", in order; returns the count), and the
 * responder's outcome for the offered values (exactly one of the four
 * offers of the table).  ESESS_OK, ESESS_ERR_NOT_ACCEPTABLE for a "fail"
 * cell, ESESS_ERR_FORM for any other list of values. */
gsize esess_featneg_logging_offer(EsessLogPref pref, const char *out[2]);
G_GNUC_WARN_UNUSED_RESULT
EsessStatus esess_featneg_logging_choose(EsessLogPref pref, const char *const *offered, gsize n,
					 EsessLogging *out);

/* The values a field of a request offers: its <option>s when it is a list
 * with options, else its <value>s (Gajim's hidden offers; a hidden `modp`
 * with values, issue 9).  The responder's choice indexes (modp_index, the
 * dhhashes value) count in this array. */
const GPtrArray *esess_featneg_offered_values(const EsessField *fld);

/* Frees the strings and zeroes c; safe on a zeroed or already cleared c. */
void esess_choice_clear(EsessChoice *c);

G_END_DECLS

#endif /* ESESS_FEATNEG_H */
