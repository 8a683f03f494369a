/*
 * esess-neg-private.h - the negotiation object shared by esess-negotiate.c
 * (dispatch, helpers, key pool), esess-neg-init.c (Alice) and
 * esess-neg-resp.c (Bob).  Not a public header.
 */
#ifndef ESESS_NEG_PRIVATE_H
#define ESESS_NEG_PRIVATE_H

#include "esess-form.h"
#include "esess-idkey-private.h"
#include "esess-negotiate.h"
#include "esess-store-private.h"

/* nonce lengths we accept (Gajim sends 8 bytes, we send 16; DIGEST App. B) */
#define ESESS_NEG_NONCE_LEN 16
#define ESESS_NEG_NONCE_MIN 8
#define ESESS_NEG_NONCE_MAX 64
/* R9: at least this many rshashes values */
#define ESESS_NEG_MIN_RSHASHES 4
/* cap on any base64 DH value: the largest group (8192 bits) */
#define ESESS_NEG_MAX_DH_BYTES 1024
/* identity payload without public keys: mac_X only */
#define ESESS_NEG_ID_LEN ESESS_HMAC_LEN
/* with them (R21): the R7 <KeyValue/> of an 8192-bit key and its
 * <SignatureValue/> take about 2.8 KB */
#define ESESS_NEG_ID_MAX 4096

/* INTEROP R21: how a side identifies itself (init_pubkey, resp_pubkey) */
typedef enum {
	ESESS_NEG_PK_NONE,
	ESESS_NEG_PK_KEY,
	ESESS_NEG_PK_HASH
} EsessNegPk;

struct _EsessNeg {
	EsessNegState state;
	gboolean initiator;
	char *account;
	char *peer;
	EsessStore *store;
	EsessFeatPolicy policy;
	gboolean rekey;
	const EsessNegFixed *fixed; /* tests only (EsessNegConfig) */
	char fail_field[ESESS_NEG_FIELD_MAX]; /* esess_neg_failure_field */

	/* Alice: what was offered and one key pair per offered group */
	EsessForm *offer;
	guint *offered;
	gsize n_offered;
	EsessDhKey **dh;          /* Alice: n_offered entries; Bob: dh[0] */
	gsize n_dh;
	EsessDhKey *own;          /* the key of the chosen group (owned) */

	EsessChoice choice;
	guint8 n_a[ESESS_NEG_NONCE_MAX];
	size_t n_a_len;
	guint8 n_b[ESESS_NEG_NONCE_MAX];
	size_t n_b_len;
	guint8 he[ESESS_SHA256_LEN]; /* Bob: commitment for the chosen group */
	guint8 c_a[ESESS_COUNTER_LEN]; /* initial counters */
	guint8 c_b[ESESS_COUNTER_LEN];
	GString *form_a;          /* R7 canon of message 1's form */
	GString *form_b;          /* R7 canon of message 2's form */
	EsessSecret *k;           /* SHA-256(MPI(g^xy)) */
	EsessSecret *keys[ESESS_KEY_COUNT_];
	guint8 *peer_pub;         /* Alice: d; Bob: e */
	size_t peer_pub_len;
	guint8 m_a[ESESS_HMAC_LEN];

	EsessNegResult result;
	EsessSecret *new_rs;
	EsessSession *session;

	/* INTEROP R21 */
	EsessIdKey *idkey;        /* ours (a reference), dropped with the secrets */
	EsessKnownKey *known;     /* the peer's key held in the store at the start */
	EsessPubKey *peer_key;    /* the key the peer proved it holds */

	/* esess_neg_finish_store done, and what the store said of the chain */
	gboolean stored;
	gboolean store_verified;
};

/* esess-negotiate.c */
void esess_neg_out_field(EsessNegOut *o, const char *var);
EsessXmlNode *esess_neg_refusal(EsessStatus r, const char *var);
EsessNeg *esess_neg_alloc(const EsessNegConfig *cfg, gboolean initiator);
void esess_neg_wipe(EsessNeg *neg);
const EsessXmlNode *esess_neg_find_x(const EsessXmlNode *stanza_or_wrapper);
void esess_neg_add_b64(EsessForm *f, const char *var, const guint8 *data, size_t len);
G_GNUC_WARN_UNUSED_RESULT
EsessStatus esess_neg_get_b64(const EsessForm *f, const char *var, size_t min, size_t max,
			      guint8 **out, size_t *out_len);
G_GNUC_WARN_UNUSED_RESULT
EsessStatus esess_neg_get_b64_exact(const EsessForm *f, const char *var, guint8 *out, size_t len);
G_GNUC_WARN_UNUSED_RESULT
EsessStatus esess_neg_check_ssn(const EsessForm *f, EsessFormKind kind);
G_GNUC_WARN_UNUSED_RESULT
EsessStatus esess_neg_check_echo(const EsessForm *f, const char *var, const guint8 *own,
				 size_t own_len);
EsessDhKey *esess_neg_get_key(EsessKeyPool *pool, const EsessNegFixed *fixed, guint group,
			      EsessStatus *r);
void esess_neg_own_nonce(const EsessNeg *neg, guint8 *out, size_t *len);
G_GNUC_WARN_UNUSED_RESULT
EsessStatus esess_neg_agree(EsessNeg *neg, const guint8 *peer, size_t peer_len);
G_GNUC_WARN_UNUSED_RESULT
EsessStatus esess_neg_sigma_mac(const EsessSecret *ks, const guint8 *n1, size_t n1_len,
				const guint8 *n2, size_t n2_len, const guint8 *dh, size_t dh_len,
				const GString *form1, const GString *form2, guint8 out[ESESS_HMAC_LEN]);
G_GNUC_WARN_UNUSED_RESULT
EsessStatus esess_neg_crypt_identity(const EsessSecret *kc, const guint8 c[ESESS_COUNTER_LEN],
				     const guint8 *in, guint8 *out, size_t len,
				     guint8 c_after[ESESS_COUNTER_LEN]);
GPtrArray *esess_neg_held_secrets(const EsessNeg *neg);
/* Continuity from the held secrets (EsessRetained*) and the one the peer
 * showed (NULL: none). */
EsessContinuity esess_neg_continuity(const GPtrArray *held, const EsessRetained *match);
G_GNUC_WARN_UNUSED_RESULT
EsessStatus esess_neg_final_keys(EsessNeg *neg, const EsessSecret *srs);
void esess_neg_compute_sas(EsessNeg *neg, const guint8 m_a[ESESS_HMAC_LEN], const guint8 *e,
			   size_t e_len, const guint8 *d, size_t d_len);
void esess_neg_set_continuity(EsessNeg *neg, const GPtrArray *held, const EsessRetained *match);
G_GNUC_WARN_UNUSED_RESULT
EsessStatus esess_neg_finish_store(EsessNeg *neg, const EsessSecret *used_srs);
G_GNUC_WARN_UNUSED_RESULT
EsessStatus esess_neg_finish(EsessNeg *neg, const EsessSecret *used_srs,
			     const guint8 own_c[ESESS_COUNTER_LEN],
			     const guint8 peer_c[ESESS_COUNTER_LEN]);

/* esess-neg-pubkey.c (INTEROP R21) */
EsessNegPk esess_neg_pk_method(const char *choice);
G_GNUC_WARN_UNUSED_RESULT
EsessStatus esess_neg_sigma_mac_pk(const EsessSecret *ks, const guint8 *n1, size_t n1_len,
				   const guint8 *n2, size_t n2_len, const guint8 *dh, size_t dh_len,
				   const GString *pubkey, const GString *form1, const GString *form2,
				   guint8 out[ESESS_HMAC_LEN]);
/* Our pubKey term of mac_X: the R7 <KeyValue/> of our key, or "" (none). */
void esess_neg_pk_own_term(const EsessNeg *neg, EsessNegPk m, GString *out);
/* The identity plaintext: mac alone (none), or our key's form (the
 * <KeyValue/>, or <fingerprint/> for hash) and <SignatureValue/> of mac.
 * Caller frees with esess_free_wiped(*out, *len). */
G_GNUC_WARN_UNUSED_RESULT
EsessStatus esess_neg_pk_payload(const EsessNeg *neg, EsessNegPk m,
				 const guint8 mac[ESESS_HMAC_LEN], guint8 **out, size_t *len);
/* The same, with meanwhile(data) run while the signature is computed in
 * another thread (with no thread, after it); both finish before it
 * returns.  meanwhile's error wins over a good signature; with
 * ESESS_NEG_PK_NONE only meanwhile runs. */
typedef EsessStatus (*EsessNegMeanwhileFn)(gpointer data);
G_GNUC_WARN_UNUSED_RESULT
EsessStatus esess_neg_pk_payload_during(const EsessNeg *neg, EsessNegPk m,
					const guint8 mac[ESESS_HMAC_LEN],
					EsessNegMeanwhileFn meanwhile, gpointer data,
					guint8 **out, size_t *len);
/* Checks the peer's decrypted identity plaintext against a recomputed
 * mac_X: mac_fn computes it for a pubKey term and form2 (form_X2, passed
 * through).  Called by esess_neg_open_identity once M_X matched; tests
 * call it directly.  On success neg->peer_key
 * holds the key the peer proved (none: NULL).  ESESS_OK, ESESS_ERR_IDENTITY
 * (malformed, or the MAC differs), ESESS_ERR_KEY_UNKNOWN (hash of a key we
 * do not hold), ESESS_ERR_SIGNATURE, or mac_fn's error. */
typedef EsessStatus (*EsessNegMacFn)(EsessNeg *neg, const GString *pubkey,
				     const GString *form2, guint8 out[ESESS_HMAC_LEN],
				     gpointer data);
G_GNUC_WARN_UNUSED_RESULT
EsessStatus esess_neg_pk_check(EsessNeg *neg, EsessNegPk m, const guint8 *plain, size_t len,
			       const GString *form2, EsessNegMacFn mac_fn, gpointer data);
/* The peer's key against the held one (result.key_status). */
EsessPeerKeyStatus esess_neg_key_status(const EsessNeg *neg);

/* esess-neg-identity.c: the "identity" and "mac" fields, for the three
 * places that send or receive them (messages 3 and 4, the offline init) */
typedef enum {
	ESESS_NEG_SIDE_A, /* KC_A, KM_A, C_A */
	ESESS_NEG_SIDE_B  /* KC_B, KM_B, C_B */
} EsessNegSide;
/* The R7 form of x without "identity" and "mac" (form_X2 of XEP-0116;
 * form_B of the offline init). */
void esess_neg_canon_no_identity(const EsessXmlNode *x, GString *out);
/* The peer's fields as received, not yet opened. */
typedef struct {
	guint8 *id;                 /* ID_X (ciphertext), owned */
	size_t len;
	guint8 mac[ESESS_HMAC_LEN]; /* M_X */
} EsessNegIdentity;
/* Seals plain (the identity plaintext) as side's ID_X and M_X (INTEROP R5,
 * R6) and adds them to f as "identity" and "mac"; mac receives M_X, c_after
 * the counter after ID_X.  ESESS_OK or a crypto error. */
G_GNUC_WARN_UNUSED_RESULT
EsessStatus esess_neg_seal_identity(const EsessNeg *neg, EsessNegSide side, const guint8 *plain,
				    size_t len, EsessForm *f, guint8 mac[ESESS_HMAC_LEN],
				    guint8 c_after[ESESS_COUNTER_LEN]);
/* Reads the peer's "identity" (exactly mac_X's 32 bytes when m is
 * ESESS_NEG_PK_NONE, else up to ESESS_NEG_ID_MAX) and "mac" (exactly 32
 * bytes, SECURITY 25) into idn (clear it with esess_neg_identity_clear).
 * ESESS_OK, ESESS_ERR_IDENTITY (a wrong length), ESESS_ERR_FORM or
 * ESESS_ERR_BASE64; *field names the failing field (NULL on success). */
G_GNUC_WARN_UNUSED_RESULT
EsessStatus esess_neg_get_identity(const EsessForm *f, EsessNegPk m, EsessNegIdentity *idn,
				   const char **field);
/* Opens what esess_neg_get_identity read, for the peer on side: M_X is
 * checked first in constant time, and only when it matches is ID_X
 * decrypted and checked (esess_neg_pk_check, with form2 the R7 form of x
 * without "identity" and "mac").  c_after receives C_X after ID_X.  On
 * success neg->peer_key holds the key the peer proved (none: NULL); on
 * failure it is NULL.  Statuses as esess_neg_pk_check's, and
 * ESESS_ERR_IDENTITY for a wrong M_X; *field is "mac" or "identity" for
 * the peer's fault, NULL otherwise.  The plaintext is wiped on every path. */
G_GNUC_WARN_UNUSED_RESULT
EsessStatus esess_neg_open_identity(EsessNeg *neg, EsessNegSide side, EsessNegPk m,
				    const EsessNegIdentity *idn, const EsessXmlNode *x,
				    EsessNegMacFn mac_fn, gpointer data,
				    guint8 c_after[ESESS_COUNTER_LEN], const char **field);
void esess_neg_identity_clear(EsessNegIdentity *idn);

/* esess-neg-init.c (Alice) */
G_GNUC_WARN_UNUSED_RESULT
EsessStatus esess_neg_init_on_response(EsessNeg *neg, const EsessXmlNode *stanza, EsessNegOut *o);
G_GNUC_WARN_UNUSED_RESULT
EsessStatus esess_neg_init_on_final(EsessNeg *neg, const EsessXmlNode *stanza, EsessNegOut *o);

/* esess-neg-resp.c (Bob) */
G_GNUC_WARN_UNUSED_RESULT
EsessStatus esess_neg_resp_on_identity(EsessNeg *neg, const EsessXmlNode *stanza, EsessNegOut *o);

#endif /* ESESS_NEG_PRIVATE_H */
