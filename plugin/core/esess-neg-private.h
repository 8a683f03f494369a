/*
 * esess-neg-private.h - the negotiation object shared by esess-negotiate.c
 * (dispatch, helpers, key pool), esess-neg-init.c (Alice) and
 * esess-neg-resp.c (Bob).  Not a public header.
 */
#ifndef ESESS_NEG_PRIVATE_H
#define ESESS_NEG_PRIVATE_H

#include "esess-form.h"
#include "esess-negotiate.h"
#include "esess-store.h"

/* nonce lengths we accept (Gajim sends 8 bytes, we send 16; DIGEST App. B) */
#define ESESS_NEG_NONCE_LEN 16
#define ESESS_NEG_NONCE_MIN 8
#define ESESS_NEG_NONCE_MAX 64
/* R9: at least this many rshashes values */
#define ESESS_NEG_MIN_RSHASHES 4
/* cap on any base64 DH value: the largest group (8192 bits) */
#define ESESS_NEG_MAX_DH_BYTES 1024
/* identity payload: mac_X only (no public keys in this profile) */
#define ESESS_NEG_ID_LEN ESESS_HMAC_LEN

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
EsessStatus esess_neg_finish(EsessNeg *neg, const EsessSecret *used_srs,
			     const guint8 own_c[ESESS_COUNTER_LEN],
			     const guint8 peer_c[ESESS_COUNTER_LEN]);

/* esess-neg-init.c (Alice) */
G_GNUC_WARN_UNUSED_RESULT
EsessStatus esess_neg_init_on_response(EsessNeg *neg, const EsessXmlNode *stanza, EsessNegOut *o);
G_GNUC_WARN_UNUSED_RESULT
EsessStatus esess_neg_init_on_final(EsessNeg *neg, const EsessXmlNode *stanza, EsessNegOut *o);

/* esess-neg-resp.c (Bob) */
G_GNUC_WARN_UNUSED_RESULT
EsessStatus esess_neg_resp_on_identity(EsessNeg *neg, const EsessXmlNode *stanza, EsessNegOut *o);

#endif /* ESESS_NEG_PRIVATE_H */
