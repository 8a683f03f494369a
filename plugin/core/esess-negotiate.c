/*
 * esess-negotiate.c - the XEP-0116 4-message negotiation: dispatch, shared
 * building blocks and the key pool.  The role-specific handlers live in
 * esess-neg-init.c (Alice) and esess-neg-resp.c (Bob).
 *
 *   Alice (initiator)                                    Bob (responder)
 *   INIT_EXPECT_RESPONSE                                 (no object yet)
 *     |  M1 <feature><x type=form>  XEP-0155 §Request, 0116 §ESession Request
 *     |     options, my_nonce=N_A, dhhashes=He_i        (INTEROP R1, R12)
 *     |-------------------------------------------------->  esess_neg_respond
 *     |                                                      choose (R13), y, N_B, C_A
 *     |  M2 <feature><x type=submit>  0116 §ESession Response
 *     |     choices, my_nonce=N_B, dhkeys=d, nonce=N_A, counter=C_A
 *     |<--------------------------------------------------  RESP_EXPECT_IDENTITY
 *   on_response: check (SECURITY 17-24), 1<d<p-1, K, KC_A/KM_A/KS_A
 *     |  M3 <feature><x type=result>  0116 §Hiding Alice's Identity
 *     |     nonce=N_B, dhkeys=e, rshashes, identity=ID_A, mac=M_A
 *     |-------------------------------------------------->  on_identity:
 *   INIT_EXPECT_INIT                                     SHA256(e)=He, 1<e<p-1, K,
 *     |                                                  verify M_A, mac_A, SAS,
 *     |                                                  SRS (§Final keys), final K
 *     |  M4 <init><x type=result>  0116 §Final Keys, §Hiding Bob's Identity
 *     |     nonce=N_A, srshash, identity=ID_B, mac=M_B
 *     |<--------------------------------------------------  DONE (session handed over)
 *   on_final: SRS, final K, verify M_B, mac_B, SAS
 *   DONE
 *
 *   Any failure: FAILED (sticky), all secrets wiped, the DIGEST §12 error
 *   sent where the spec says so.  DONE and FAILED ignore later messages.
 */
#include "config.h"

#include <string.h>

#include "esess-bytes.h"
#include "esess-neg-private.h"
#include "esess-store-private.h"

static const char *const key_labels[ESESS_KEY_COUNT_] = {
	"Initiator Cipher Key", "Initiator MAC Key", "Initiator SIGMA Key",
	"Responder Cipher Key", "Responder MAC Key", "Responder SIGMA Key"
}; /* INTEROP R3 */

/* ---- known-answer building blocks ---------------------------------- */

EsessStatus
esess_neg_derive_keys(const EsessSecret *k, EsessSecret *keys[ESESS_KEY_COUNT_])
{
	EsessStatus r = ESESS_OK;
	int i;

	for (i = 0; i < ESESS_KEY_COUNT_; i++)
		keys[i] = NULL;
	for (i = 0; i < ESESS_KEY_COUNT_; i++) {
		keys[i] = esess_secret_new(ESESS_HMAC_LEN);
		r = esess_hmac_sha256(k->data, k->len, key_labels[i], strlen(key_labels[i]),
				      keys[i]->data);
		if (r != ESESS_OK)
			goto out;
	}
out:
	if (r != ESESS_OK) {
		for (i = 0; i < ESESS_KEY_COUNT_; i++) {
			esess_secret_free(keys[i]);
			keys[i] = NULL;
		}
	}
	return r;
}

EsessStatus
esess_neg_identity_mac(const EsessSecret *km, const guint8 c[ESESS_COUNTER_LEN],
		       const guint8 *id, size_t id_len, guint8 out[ESESS_HMAC_LEN])
{
	EsessHmac *h = NULL;
	EsessStatus r;
	size_t off;

	r = esess_hmac_new(km->data, km->len, &h);
	if (r != ESESS_OK)
		return r;
	/* INTEROP R6: counter first, as MPI (leading zero octets stripped) */
	off = esess_mpi_strip(c, ESESS_COUNTER_LEN);
	esess_hmac_update(h, c + off, ESESS_COUNTER_LEN - off);
	esess_hmac_update(h, id, id_len);
	r = esess_hmac_final(h, out);
	esess_hmac_free(h);
	return r;
}

EsessStatus
esess_neg_rshash(const guint8 *n_a, size_t n_a_len, const EsessSecret *rs,
		 guint8 out[ESESS_HMAC_LEN])
{
	return esess_hmac_sha256(n_a, n_a_len, rs->data, rs->len, out);
}

EsessStatus
esess_neg_srshash(const EsessSecret *srs, guint8 out[ESESS_HMAC_LEN])
{
	static const char label[] = "Shared Retained Secret";

	return esess_hmac_sha256(srs->data, srs->len, label, strlen(label), out);
}

EsessSecret *
esess_neg_final_k(const EsessSecret *k, const EsessSecret *srs)
{
	EsessSha256 *h;
	EsessSecret *out;

	/* INTEROP R9: SHA-256(K || SRS || OSS), OSS empty, the hash applied
	 * even when there is no SRS */
	out = esess_secret_new(ESESS_SHA256_LEN);
	h = esess_sha256_new();
	esess_sha256_update(h, k->data, k->len);
	if (srs != NULL)
		esess_sha256_update(h, srs->data, srs->len);
	esess_sha256_finish(h, out->data);
	return out;
}

EsessStatus
esess_neg_new_rs(const EsessSecret *final_k, EsessSecret **out)
{
	static const char label[] = "New Retained Secret";
	EsessSecret *rs;
	EsessStatus r;

	*out = NULL;
	rs = esess_secret_new(ESESS_HMAC_LEN);
	r = esess_hmac_sha256(final_k->data, final_k->len, label, strlen(label), rs->data);
	if (r != ESESS_OK) {
		esess_secret_free(rs);
		return r;
	}
	*out = rs;
	return ESESS_OK;
}

/* ---- the object ----------------------------------------------------- */

EsessNeg *
esess_neg_alloc(const EsessNegConfig *cfg, gboolean initiator)
{
	EsessNeg *neg;

	neg = g_new0(EsessNeg, 1);
	neg->initiator = initiator;
	neg->state = ESESS_NEG_FAILED; /* until the caller sets the first state */
	neg->account = g_strdup(cfg->account);
	neg->peer = g_strdup(cfg->peer);
	neg->store = cfg->store;
	neg->policy = cfg->policy;
	neg->rekey = cfg->rekey;
	neg->fixed = cfg->fixed;
	neg->form_a = g_string_new(NULL);
	neg->form_b = g_string_new(NULL);
	/* INTEROP R21: our key, and the peer's as the store holds it now */
	if (cfg->idkey != NULL)
		neg->idkey = esess_idkey_ref(cfg->idkey);
	if (neg->store != NULL && neg->account != NULL && neg->peer != NULL)
		neg->known = esess_store_key_get(neg->store, neg->account, neg->peer);
	neg->policy.own_key = neg->idkey != NULL;
	neg->policy.peer_key = neg->known != NULL;
	return neg;
}

/* Wipes every secret and everything learned (SECURITY 57); keeps the
 * result of a DONE negotiation except the retained secret. */
void
esess_neg_wipe(EsessNeg *neg)
{
	gsize i;

	for (i = 0; i < neg->n_dh; i++)
		esess_dh_key_free(neg->dh[i]);
	g_free(neg->dh);
	neg->dh = NULL;
	neg->n_dh = 0;
	esess_dh_key_free(neg->own);
	neg->own = NULL;
	esess_form_free(neg->offer);
	neg->offer = NULL;
	g_free(neg->offered);
	neg->offered = NULL;
	neg->n_offered = 0;
	esess_secret_free(neg->k);
	neg->k = NULL;
	for (i = 0; i < ESESS_KEY_COUNT_; i++) {
		esess_secret_free(neg->keys[i]);
		neg->keys[i] = NULL;
	}
	g_free(neg->peer_pub);
	neg->peer_pub = NULL;
	neg->peer_pub_len = 0;
	esess_wipe(neg->n_a, sizeof neg->n_a);
	esess_wipe(neg->n_b, sizeof neg->n_b);
	neg->n_a_len = neg->n_b_len = 0;
	esess_wipe(neg->he, sizeof neg->he);
	esess_wipe(neg->c_a, sizeof neg->c_a);
	esess_wipe(neg->c_b, sizeof neg->c_b);
	esess_wipe(neg->m_a, sizeof neg->m_a);
	/* the buffers go too, not only their text (issue 11 item 3: about
	 * 2 KB each that truncating would keep) */
	esess_gstring_free_wiped(neg->form_a);
	neg->form_a = g_string_new(NULL);
	esess_gstring_free_wiped(neg->form_b);
	neg->form_b = g_string_new(NULL);
	/* our private key is not needed any more (the adapter holds it) */
	esess_idkey_free(neg->idkey);
	neg->idkey = NULL;
}

static EsessStatus
neg_fail(EsessNeg *neg, EsessStatus r)
{
	esess_neg_wipe(neg);
	esess_secret_free(neg->new_rs);
	neg->new_rs = NULL;
	neg->result.new_rs = NULL;
	esess_session_free(neg->session);
	neg->session = NULL;
	esess_choice_clear(&neg->choice);
	neg->state = ESESS_NEG_FAILED;
	return r;
}

void
esess_neg_abort(EsessNeg *neg)
{
	g_return_if_fail(neg != NULL);
	if (neg->state != ESESS_NEG_DONE)
		(void)neg_fail(neg, ESESS_ERR_STATE);
}

void
esess_neg_free(EsessNeg *neg)
{
	if (neg == NULL)
		return;
	(void)neg_fail(neg, ESESS_OK);
	g_string_free(neg->form_a, TRUE);
	g_string_free(neg->form_b, TRUE);
	esess_known_key_free(neg->known);
	esess_pubkey_free(neg->peer_key);
	esess_str_free_wiped(neg->account);
	esess_str_free_wiped(neg->peer);
	g_free(neg);
}

EsessNegState
esess_neg_state(const EsessNeg *neg)
{
	return neg->state;
}

gboolean
esess_neg_is_initiator(const EsessNeg *neg)
{
	return neg->initiator;
}

const EsessNegResult *
esess_neg_result(const EsessNeg *neg)
{
	return neg->state == ESESS_NEG_DONE ? &neg->result : NULL;
}

EsessSession *
esess_neg_take_session(EsessNeg *neg)
{
	EsessSession *s;

	s = neg->session;
	neg->session = NULL;
	return s;
}

const guint8 *
esess_neg_own_public(const EsessNeg *neg, guint group, size_t *len)
{
	gsize i;

	*len = 0;
	if (neg->own != NULL && esess_dh_key_group(neg->own) == group)
		return esess_dh_key_public(neg->own, len);
	for (i = 0; i < neg->n_dh; i++) {
		if (neg->dh[i] != NULL && esess_dh_key_group(neg->dh[i]) == group)
			return esess_dh_key_public(neg->dh[i], len);
	}
	return NULL;
}

void
esess_neg_out_clear(EsessNegOut *o)
{
	esess_xml_free(o->reply);
	esess_xml_free(o->error);
	o->reply = NULL;
	o->error = NULL;
	o->field[0] = '\0';
}

/* The field a failure concerns (our own static names only, never text
 * from the peer); NULL leaves it empty. */
void
esess_neg_out_field(EsessNegOut *o, const char *var)
{
	if (var == NULL)
		o->field[0] = '\0';
	else
		g_strlcpy(o->field, var, sizeof o->field);
}

const char *
esess_neg_failure_field(const EsessNeg *neg)
{
	if (neg->state != ESESS_NEG_FAILED || neg->fail_field[0] == '\0')
		return NULL;
	return neg->fail_field;
}

/* The error for a refused message 2, 3 or 4 (XEP-0155 §Errors, DIGEST §12,
 * INTEROP R13), naming the field when one is concerned: not-acceptable for
 * a choice, a form or a value we do not accept; feature-not-implemented for
 * a cryptographic check that failed (XEP-0116: M_A, M_B, mac_A, mac_B, the
 * commitment, a DH value) and anything else. */
EsessXmlNode *
esess_neg_refusal(EsessStatus r, const char *var)
{
	const char *vars[1];
	const char *cond;

	if (r == ESESS_ERR_FORM || r == ESESS_ERR_XML_LIMIT || r == ESESS_ERR_NOT_OFFERED ||
	    r == ESESS_ERR_NOT_ACCEPTABLE || r == ESESS_ERR_POLICY || r == ESESS_ERR_NONCE ||
	    r == ESESS_ERR_BASE64 || r == ESESS_ERR_LENGTH)
		cond = "not-acceptable";
	else
		cond = "feature-not-implemented";
	vars[0] = var;
	return esess_neg_error_new(cond, vars, var != NULL && *var != '\0' ? 1 : 0);
}

/* ---- helpers shared by both roles ----------------------------------- */

const EsessXmlNode *
esess_neg_find_x(const EsessXmlNode *n)
{
	const EsessXmlNode *w;

	if (esess_xml_is(n, "x", ESESS_NS_XDATA))
		return n;
	if (esess_xml_is(n, "message", NULL)) {
		w = esess_xml_child(n, "feature", ESESS_NS_FEATURENEG);
		if (w == NULL)
			w = esess_xml_child(n, "init", ESESS_NS_INIT);
		if (w == NULL)
			return NULL;
		n = w;
	}
	/* exactly one form in the wrapper (XEP-0020) */
	if (esess_xml_count(n, "x", ESESS_NS_XDATA) != 1)
		return NULL;
	return esess_xml_child(n, "x", ESESS_NS_XDATA);
}

EsessXmlNode *
esess_neg_error_new(const char *condition, const char *const *vars, gsize n_vars)
{
	EsessXmlNode *err, *feat, *fld;
	gsize i;

	/* DIGEST §3.4, INTEROP R13: the offending fields inside a <feature/>
	 * child of <error/>, never the request's form at the top level */
	err = esess_xml_new("error", ESESS_NS_CLIENT);
	esess_xml_set_attr(err, "type", "cancel");
	if (strcmp(condition, "not-acceptable") == 0)
		esess_xml_set_attr(err, "code", "406");
	else
		esess_xml_set_attr(err, "code", "501");
	(void)esess_xml_add(err, condition, ESESS_NS_STANZAS);
	if (n_vars > 0) {
		feat = esess_xml_add(err, "feature", ESESS_NS_FEATURENEG);
		for (i = 0; i < n_vars; i++) {
			fld = esess_xml_add(feat, "field", NULL);
			esess_xml_set_attr(fld, "var", vars[i]);
		}
	}
	return err;
}

void
esess_neg_add_b64(EsessForm *f, const char *var, const guint8 *data, size_t len)
{
	EsessField *fld;
	char *b64;

	fld = esess_form_add(f, var, ESESS_FIELD_HIDDEN);
	b64 = esess_base64_encode(data, len);
	esess_field_add_value(fld, b64);
	g_free(b64);
}

EsessStatus
esess_neg_get_b64(const EsessForm *f, const char *var, size_t min, size_t max,
		  guint8 **out, size_t *out_len)
{
	const char *v;
	EsessStatus r;

	*out = NULL;
	*out_len = 0;
	r = esess_form_get_single(f, var, &v);
	if (r != ESESS_OK)
		return r;
	r = esess_base64_decode(v, strlen(v), max, out, out_len);
	if (r == ESESS_ERR_TOO_LARGE)
		r = ESESS_ERR_LENGTH;
	if (r != ESESS_OK)
		return r;
	if (*out_len < min) {
		g_free(*out);
		*out = NULL;
		*out_len = 0;
		return ESESS_ERR_LENGTH;
	}
	return ESESS_OK;
}

EsessStatus
esess_neg_get_b64_exact(const EsessForm *f, const char *var, guint8 *out, size_t len)
{
	const char *v;
	EsessStatus r;

	r = esess_form_get_single(f, var, &v);
	if (r != ESESS_OK)
		return r;
	return esess_base64_decode_exact(v, strlen(v), out, len);
}

/* FORM_TYPE urn:xmpp:ssn and the expected form type (SECURITY 23) */
EsessStatus
esess_neg_check_ssn(const EsessForm *f, EsessFormKind kind)
{
	const char *v;
	EsessStatus r;

	if (f->kind != kind)
		return ESESS_ERR_FORM;
	r = esess_form_get_single(f, "FORM_TYPE", &v);
	if (r != ESESS_OK)
		return r;
	return strcmp(v, ESESS_NS_SSN) == 0 ? ESESS_OK : ESESS_ERR_FORM;
}

/* The peer's echo of one of our nonces (field var) must be exactly ours:
 * compared in constant time on the exact length (R13).  Returns ESESS_OK,
 * ESESS_ERR_NONCE, or the field's decoding error (esess_neg_get_b64). */
EsessStatus
esess_neg_check_echo(const EsessForm *f, const char *var, const guint8 *own, size_t own_len)
{
	guint8 *echo = NULL;
	size_t echo_len = 0;
	EsessStatus r;

	r = esess_neg_get_b64(f, var, 1, ESESS_NEG_NONCE_MAX, &echo, &echo_len);
	if (r != ESESS_OK)
		return r;
	if (echo_len != own_len || !esess_ct_equal(echo, own, own_len))
		r = ESESS_ERR_NONCE;
	g_free(echo);
	return r;
}

/* A fresh key pair: from the pool when one is ready, else computed now
 * (a known-answer test's fixed exponent for its group). */
EsessDhKey *
esess_neg_get_key(EsessKeyPool *pool, const EsessNegFixed *fixed, guint group, EsessStatus *r)
{
	EsessDhKey *k = NULL;

	*r = ESESS_OK;
	if (fixed != NULL && fixed->x != NULL && fixed->group == group) {
		*r = esess_dh_key_from_private(group, fixed->x, fixed->x_len, &k);
		return k;
	}
	if (pool != NULL)
		k = esess_keypool_take(pool, group);
	if (k == NULL)
		*r = esess_dh_keygen(group, &k);
	return k;
}

/* Our nonce (N_A or N_B): unpredictable (libgcrypt's nonce generator),
 * ESESS_NEG_NONCE_LEN bytes, unless a known-answer test fixed it. */
void
esess_neg_own_nonce(const EsessNeg *neg, guint8 *out, size_t *len)
{
	if (neg->fixed != NULL && neg->fixed->nonce != NULL &&
	    neg->fixed->nonce_len >= ESESS_NEG_NONCE_MIN &&
	    neg->fixed->nonce_len <= ESESS_NEG_NONCE_MAX) {
		memcpy(out, neg->fixed->nonce, neg->fixed->nonce_len);
		*len = neg->fixed->nonce_len;
		return;
	}
	*len = ESESS_NEG_NONCE_LEN;
	/* a public value: the nonce generator, not the strong one (issue 11
	 * item 5: message 1 from a full key pool should not wait on it) */
	esess_nonce(out, *len);
}

/* K = SHA-256(MPI(peer^own mod p)) (INTEROP R3), then the six keys.
 * esess_dh_agree checks the range, reflection and degenerate results
 * (SECURITY 1-4, 10, 11). */
EsessStatus
esess_neg_agree(EsessNeg *neg, const guint8 *peer, size_t peer_len)
{
	EsessSecret *shared = NULL;
	EsessStatus r;
	int i;

	r = esess_dh_agree(neg->own, peer, peer_len, &shared);
	if (r != ESESS_OK)
		goto out;
	esess_secret_free(neg->k);
	neg->k = esess_secret_new(ESESS_SHA256_LEN);
	esess_sha256(shared->data, shared->len, neg->k->data);
	for (i = 0; i < ESESS_KEY_COUNT_; i++) {
		esess_secret_free(neg->keys[i]);
		neg->keys[i] = NULL;
	}
	r = esess_neg_derive_keys(neg->k, neg->keys);
out:
	esess_secret_free(shared);
	return r;
}

/* mac_X = HMAC(KS_X, n1 || n2 || MPI(dh) || pubKey="" || form1 || form2)
 * (XEP-0116 §Hiding Alice's/Bob's Identity, DIGEST §6 #10); with a public
 * key, esess_neg_sigma_mac_pk (INTEROP R21) */
EsessStatus
esess_neg_sigma_mac(const EsessSecret *ks, const guint8 *n1, size_t n1_len,
		    const guint8 *n2, size_t n2_len, const guint8 *dh, size_t dh_len,
		    const GString *form1, const GString *form2, guint8 out[ESESS_HMAC_LEN])
{
	return esess_neg_sigma_mac_pk(ks, n1, n1_len, n2, n2_len, dh, dh_len, NULL, form1, form2,
				      out);
}

/* ID = CIPHER(KC, C, in) in CTR mode (R4: AES-256, R5: pre-increment);
 * c_after receives the counter after the identity (R5: it carries on). */
EsessStatus
esess_neg_crypt_identity(const EsessSecret *kc, const guint8 c[ESESS_COUNTER_LEN],
			 const guint8 *in, guint8 *out, size_t len,
			 guint8 c_after[ESESS_COUNTER_LEN])
{
	EsessCtr *ctr = NULL;
	EsessStatus r;

	r = esess_ctr_new(kc->data, kc->len, c, &ctr);
	if (r != ESESS_OK)
		return r;
	r = esess_ctr_crypt(ctr, in, out, len);
	if (r == ESESS_OK)
		esess_ctr_get_counter(ctr, c_after);
	esess_ctr_free(ctr);
	return r;
}

/* What matching the peer's proof against the held secrets says.  The held
 * list includes both secrets of a pending chain (SECURITY 67), so a peer
 * that missed our message 4 still matches. */
EsessContinuity
esess_neg_continuity(const GPtrArray *held, const EsessRetained *match)
{
	if (match != NULL)
		return match->verified ? ESESS_CONT_VERIFIED : ESESS_CONT_UNVERIFIED;
	if (held->len > 0)
		return ESESS_CONT_BROKEN; /* SECURITY 33 */
	return ESESS_CONT_NEW;
}

/* The secrets retained for this peer (never NULL). */
GPtrArray *
esess_neg_held_secrets(const EsessNeg *neg)
{
	if (neg->store == NULL)
		return g_ptr_array_new();
	return esess_store_list(neg->store, neg->account, neg->peer);
}

/* Final K = SHA-256(K || SRS), re-derived keys, new retained secret
 * (XEP-0116 §Final Keys, INTEROP R9).  K is wiped afterwards. */
EsessStatus
esess_neg_final_keys(EsessNeg *neg, const EsessSecret *srs)
{
	EsessSecret *fk;
	EsessStatus r;
	int i;

	fk = esess_neg_final_k(neg->k, srs);
	esess_secret_free(neg->k);
	neg->k = NULL;
	for (i = 0; i < ESESS_KEY_COUNT_; i++) {
		esess_secret_free(neg->keys[i]);
		neg->keys[i] = NULL;
	}
	r = esess_neg_derive_keys(fk, neg->keys);
	if (r != ESESS_OK)
		goto out;
	esess_secret_free(neg->new_rs);
	neg->new_rs = NULL;
	r = esess_neg_new_rs(fk, &neg->new_rs);
out:
	esess_secret_free(fk);
	return r;
}

/* The SAS of the chosen algorithm (INTEROP R8, R23), padded.  m_a is used by
 * the legacy SAS only; e and d (MPI bytes) by the committed one. */
void
esess_neg_compute_sas(EsessNeg *neg, const guint8 m_a[ESESS_HMAC_LEN], const guint8 *e,
		      size_t e_len, const guint8 *d, size_t d_len)
{
	EsessSasInput in;

	if (g_strcmp0(neg->choice.sas_algs, ESESS_SAS_COMMITTED_NAME) == 0) {
		/* R23: only what both sides fixed before seeing the other's
		 * DH value: nothing of messages 3 and 4 (SECURITY 63) */
		in.n_a = neg->n_a;
		in.n_a_len = neg->n_a_len;
		in.n_b = neg->n_b;
		in.n_b_len = neg->n_b_len;
		in.e = e;
		in.e_len = e_len;
		in.d = d;
		in.d_len = d_len;
		in.form_a = neg->form_a->str;
		in.form_a_len = neg->form_a->len;
		in.form_b = neg->form_b->str;
		in.form_b_len = neg->form_b->len;
		neg->result.sas_alg = ESESS_SAS_ALG_COMMITTED;
		neg->result.sas_value = esess_sas_committed_value(&in);
		esess_sas_committed_format(neg->result.sas_value, neg->result.sas);
	} else {
		/* R8 over M_A and form_B (as sent by Bob, as received by Alice) */
		neg->result.sas_alg = ESESS_SAS_ALG_LEGACY;
		neg->result.sas_value = esess_sas_value(m_a, ESESS_HMAC_LEN, neg->form_b->str,
							neg->form_b->len);
		esess_sas_format(neg->result.sas_value, TRUE, neg->result.sas);
	}
}

/* Continuity from the retained secrets (held, and match the one the peer
 * shared or NULL: esess_neg_continuity), then R23: the legacy SAS with a
 * peer that once completed a session with the committed one is a broken
 * chain, never a quiet fallback.  Call after esess_neg_compute_sas. */
void
esess_neg_set_continuity(EsessNeg *neg, const GPtrArray *held, const EsessRetained *match)
{
	neg->result.continuity = esess_neg_continuity(held, match);
	neg->result.sas_fallback = FALSE;
	if (neg->result.sas_alg == ESESS_SAS_ALG_LEGACY && neg->store != NULL &&
	    (esess_store_peer_flags(neg->store, neg->account, neg->peer) &
	     ESESS_PEER_COMMITTED_SAS) != 0) {
		neg->result.sas_fallback = TRUE;
		neg->result.continuity = ESESS_CONT_BROKEN;
	}
}

/* What esess_neg_finish stores (R23 flag, R21 key, the new retained
 * secret): once, so that the responder can do it while its signature is
 * computed (esess_neg_pk_payload_during), before message 4 leaves. */
EsessStatus
esess_neg_finish_store(EsessNeg *neg, const EsessSecret *used_srs)
{
	gboolean verified = FALSE;
	EsessStatus r;

	g_return_val_if_fail(!neg->stored, ESESS_ERR_INTERNAL);
	/* INTEROP R21: the peer's key against the one held; the first key
	 * seen is held from now on, unverified; another one never replaces it
	 * here (CHANGED: the user decides) */
	neg->result.key_status = esess_neg_key_status(neg);
	neg->result.peer_key = neg->peer_key;
	/* A key the user verified authenticates this session by itself: the
	 * signature covers both forms (so no man in the middle chose the SAS
	 * algorithm either), with or without a retained secret */
	if (neg->result.key_status == ESESS_PEER_KEY_VERIFIED) {
		neg->result.continuity = ESESS_CONT_VERIFIED;
		neg->result.sas_fallback = FALSE;
	}
	if (neg->store != NULL) {
		/* SECURITY 67: the responder stores before its message 4
		 * reaches the initiator, so its chain stays pending; the
		 * initiator has message 4, which proves the responder
		 * stored the new secret.  In the same write: R23, remember
		 * that this peer speaks the committed SAS, so that a later
		 * legacy session with it raises the alarm; R21, the first
		 * key seen.  One fsync'd write, not three. */
		r = esess_store_commit_full(neg->store, neg->account, neg->peer, used_srs,
					    neg->new_rs, !neg->initiator,
					    neg->result.sas_alg == ESESS_SAS_ALG_COMMITTED
						    ? ESESS_PEER_COMMITTED_SAS : 0,
					    neg->result.key_status == ESESS_PEER_KEY_NEW
						    ? neg->peer_key : NULL,
					    &verified);
		if (r != ESESS_OK)
			return r;
	}
	neg->stored = TRUE;
	neg->store_verified = verified;
	return ESESS_OK;
}

/* Commits the new retained secret (unless esess_neg_finish_store did),
 * hands the keys and the counters where they now are (R5) to a new
 * EsessSession, fills the result; DONE. */
EsessStatus
esess_neg_finish(EsessNeg *neg, const EsessSecret *used_srs,
		 const guint8 own_c[ESESS_COUNTER_LEN], const guint8 peer_c[ESESS_COUNTER_LEN])
{
	EsessSessionParams p;
	EsessSession *s = NULL;
	gboolean verified;
	EsessStatus r;
	int own_base, peer_base;

	memset(&p, 0, sizeof p);
	if (!neg->stored) {
		r = esess_neg_finish_store(neg, used_srs);
		if (r != ESESS_OK)
			return r;
	}
	verified = neg->store_verified;
	own_base = neg->initiator ? ESESS_KEY_KC_A : ESESS_KEY_KC_B;
	peer_base = neg->initiator ? ESESS_KEY_KC_B : ESESS_KEY_KC_A;
	p.own_cipher_key = neg->keys[own_base];
	p.own_mac_key = neg->keys[own_base + 1];
	p.peer_cipher_key = neg->keys[peer_base];
	p.peer_mac_key = neg->keys[peer_base + 1];
	memcpy(p.own_counter, own_c, ESESS_COUNTER_LEN);
	memcpy(p.peer_counter, peer_c, ESESS_COUNTER_LEN);
	p.group = neg->choice.modp;
	/* R19/R20: re-keying only with peers of this plugin */
	p.own_dh = neg->rekey ? neg->own : NULL;
	p.peer_public = neg->peer_pub;
	p.peer_public_len = neg->peer_pub_len;
	p.rekey_freq = neg->rekey ? neg->choice.rekey_freq : 0;
	r = esess_session_new(&p, &s);
	if (neg->rekey)
		neg->own = NULL; /* esess_session_new owns it now, on failure too */
	if (r != ESESS_OK)
		return r;
	neg->session = s;
	neg->result.verified = verified && neg->result.continuity != ESESS_CONT_NEW &&
			       neg->result.continuity != ESESS_CONT_BROKEN;
	/* R21: the chain this session starts or continues is as verified as
	 * the key that signed it */
	if (neg->result.key_status == ESESS_PEER_KEY_VERIFIED) {
		if (neg->store != NULL && !verified) {
			r = esess_store_set_verified(neg->store, neg->account, neg->peer,
						     neg->new_rs, TRUE);
			if (r != ESESS_OK)
				return r;
		}
		neg->result.verified = TRUE;
	}
	/* a changed or missing key is shown as a warning: the session is not
	 * called verified, whatever the chain says, until the user compares
	 * the SAS again (which then accepts the new key: esess-chat.c) */
	if (neg->result.key_status == ESESS_PEER_KEY_CHANGED ||
	    neg->result.key_status == ESESS_PEER_KEY_MISSING)
		neg->result.verified = FALSE;
	neg->result.logging = neg->choice.logging;
	neg->result.group = neg->choice.modp;
	neg->result.cipher = neg->choice.crypt_algs;
	neg->result.new_rs = neg->new_rs;
	/* keep the choice (cipher name) but wipe everything secret */
	esess_neg_wipe(neg);
	neg->state = ESESS_NEG_DONE;
	return ESESS_OK;
}

/* ---- dispatch: one handler per message kind ------------------------- */

static char *
x_field_value(const EsessXmlNode *x, const char *var)
{
	const EsessXmlNode *f, *v;
	const char *a;

	for (f = esess_xml_child(x, "field", NULL); f != NULL; f = esess_xml_next(f, "field", NULL)) {
		a = esess_xml_attr(f, "var");
		if (a == NULL || strcmp(a, var) != 0)
			continue;
		v = esess_xml_child(f, "value", NULL);
		return v != NULL ? esess_xml_text(v) : g_strdup("");
	}
	return NULL;
}

EsessNegMsg
esess_neg_classify(const EsessXmlNode *stanza)
{
	const EsessXmlNode *x;
	const char *type;
	char *v;
	EsessNegMsg kind = ESESS_NEG_MSG_UNKNOWN;

	type = esess_xml_attr(stanza, "type");
	if (type != NULL && strcmp(type, "error") == 0)
		return ESESS_NEG_MSG_ERROR;
	x = esess_neg_find_x(stanza);
	if (x == NULL)
		return ESESS_NEG_MSG_UNKNOWN;
	type = esess_xml_attr(x, "type");
	if (type == NULL)
		return ESESS_NEG_MSG_UNKNOWN;
	if (strcmp(type, "submit") == 0) {
		v = x_field_value(x, "accept");
		kind = (v != NULL && (strcmp(v, "0") == 0 || strcmp(v, "false") == 0)) ?
			ESESS_NEG_MSG_REJECT : ESESS_NEG_MSG_RESPONSE;
		g_free(v);
	} else if (strcmp(type, "result") == 0) {
		if (esess_xml_child(stanza, "init", ESESS_NS_INIT) != NULL) {
			kind = ESESS_NEG_MSG_FINAL; /* R1: Bob's message 4 wrapper */
		} else if ((v = x_field_value(x, "srshash")) != NULL) {
			kind = ESESS_NEG_MSG_FINAL; /* R1: accept <feature/> too */
			g_free(v);
		} else {
			kind = ESESS_NEG_MSG_IDENTITY;
		}
	}
	return kind;
}

/* Deny by default (doc/hacking.md): a message the state does not expect fails a
 * running negotiation (SECURITY 52, 53); once over, nothing changes and no
 * key is derived again. */
static EsessStatus
neg_unexpected(EsessNeg *neg)
{
	switch (neg->state) {
	case ESESS_NEG_INIT_EXPECT_RESPONSE:
	case ESESS_NEG_INIT_EXPECT_INIT:
	case ESESS_NEG_RESP_EXPECT_IDENTITY:
		return neg_fail(neg, ESESS_ERR_STATE);
	case ESESS_NEG_DONE:
	case ESESS_NEG_FAILED:
		return ESESS_ERR_STATE;
	}
	return ESESS_ERR_STATE;
}

/* A handler's failure: the peer always gets an error naming the field
 * (issue 8 item 4: a peer must never wait for an answer that will not
 * come), and the field is kept for esess_neg_failure_field. */
static EsessStatus
neg_checked(EsessNeg *neg, EsessStatus r, EsessNegOut *o)
{
	if (r == ESESS_OK)
		return r;
	if (o->error == NULL && r != ESESS_ERR_REJECTED && r != ESESS_ERR_PEER_ERROR)
		o->error = esess_neg_refusal(r, o->field);
	r = neg_fail(neg, r);
	g_strlcpy(neg->fail_field, o->field, sizeof neg->fail_field);
	return r;
}

static EsessStatus
neg_on_response(EsessNeg *neg, const EsessXmlNode *stanza, EsessNegOut *o)
{
	switch (neg->state) {
	case ESESS_NEG_INIT_EXPECT_RESPONSE:
		return neg_checked(neg, esess_neg_init_on_response(neg, stanza, o), o);
	case ESESS_NEG_INIT_EXPECT_INIT:
	case ESESS_NEG_RESP_EXPECT_IDENTITY:
	case ESESS_NEG_DONE:
	case ESESS_NEG_FAILED:
		return neg_unexpected(neg);
	}
	return neg_unexpected(neg);
}

static EsessStatus
neg_on_reject(EsessNeg *neg)
{
	switch (neg->state) {
	case ESESS_NEG_INIT_EXPECT_RESPONSE:
		/* XEP-0155 §Decline: the session is over, nothing to answer */
		return neg_fail(neg, ESESS_ERR_REJECTED);
	case ESESS_NEG_INIT_EXPECT_INIT:
	case ESESS_NEG_RESP_EXPECT_IDENTITY:
	case ESESS_NEG_DONE:
	case ESESS_NEG_FAILED:
		return neg_unexpected(neg);
	}
	return neg_unexpected(neg);
}

static EsessStatus
neg_on_identity(EsessNeg *neg, const EsessXmlNode *stanza, EsessNegOut *o)
{
	switch (neg->state) {
	case ESESS_NEG_RESP_EXPECT_IDENTITY:
		return neg_checked(neg, esess_neg_resp_on_identity(neg, stanza, o), o);
	case ESESS_NEG_INIT_EXPECT_RESPONSE:
	case ESESS_NEG_INIT_EXPECT_INIT:
	case ESESS_NEG_DONE:
	case ESESS_NEG_FAILED:
		return neg_unexpected(neg);
	}
	return neg_unexpected(neg);
}

static EsessStatus
neg_on_final(EsessNeg *neg, const EsessXmlNode *stanza, EsessNegOut *o)
{
	switch (neg->state) {
	case ESESS_NEG_INIT_EXPECT_INIT:
		return neg_checked(neg, esess_neg_init_on_final(neg, stanza, o), o);
	case ESESS_NEG_INIT_EXPECT_RESPONSE:
	case ESESS_NEG_RESP_EXPECT_IDENTITY:
	case ESESS_NEG_DONE:
	case ESESS_NEG_FAILED:
		return neg_unexpected(neg);
	}
	return neg_unexpected(neg);
}

/* The field the peer's error names (DIGEST §3.4: <error><feature><field
 * var=.../>), as one of our own static field names so that no text from the
 * peer reaches the log; NULL when none or an unknown one. */
static const char *
error_field(const EsessXmlNode *stanza)
{
	static const char *const known[] = {
		"FORM_TYPE", "accept", "logging", "otr", "disclosure", "security",
		"crypt_algs", "hash_algs", "compress", "stanzas", "init_pubkey",
		"resp_pubkey", "ver", "rekey_freq", "sas_algs", "sign_algs", "my_nonce",
		"modp", "dhhashes", "dhkeys", "nonce", "counter", "rshashes", "srshash",
		"identity", "mac", NULL
	};
	const EsessXmlNode *err, *feat, *f;
	const char *var;
	gsize i;

	err = esess_xml_child(stanza, "error", NULL);
	feat = err != NULL ? esess_xml_child(err, "feature", ESESS_NS_FEATURENEG) : NULL;
	f = feat != NULL ? esess_xml_child(feat, "field", NULL) : NULL;
	var = f != NULL ? esess_xml_attr(f, "var") : NULL;
	for (i = 0; var != NULL && known[i] != NULL; i++)
		if (strcmp(known[i], var) == 0)
			return known[i];
	return NULL;
}

static EsessStatus
neg_on_error(EsessNeg *neg, const EsessXmlNode *stanza, EsessNegOut *o)
{
	switch (neg->state) {
	case ESESS_NEG_INIT_EXPECT_RESPONSE:
	case ESESS_NEG_INIT_EXPECT_INIT:
	case ESESS_NEG_RESP_EXPECT_IDENTITY:
		/* XEP-0116 §ESession Rejection: the negotiation failed, discard
		 * everything learned; R20: Gajim's <text>-only error too.  The
		 * field the peer named goes to the log (issue 8 item 4) */
		esess_neg_out_field(o, error_field(stanza));
		(void)neg_fail(neg, ESESS_ERR_PEER_ERROR);
		g_strlcpy(neg->fail_field, o->field, sizeof neg->fail_field);
		return ESESS_ERR_PEER_ERROR;
	case ESESS_NEG_DONE:
	case ESESS_NEG_FAILED:
		return ESESS_ERR_STATE;
	}
	return ESESS_ERR_STATE;
}

EsessStatus
esess_neg_receive(EsessNeg *neg, const EsessXmlNode *stanza, EsessNegOut *o)
{
	g_return_val_if_fail(neg != NULL && stanza != NULL && o != NULL, ESESS_ERR_INVALID_ARG);
	o->reply = NULL;
	o->error = NULL;
	o->field[0] = '\0';
	switch (esess_neg_classify(stanza)) {
	case ESESS_NEG_MSG_RESPONSE:
		return neg_on_response(neg, stanza, o);
	case ESESS_NEG_MSG_REJECT:
		return neg_on_reject(neg);
	case ESESS_NEG_MSG_IDENTITY:
		return neg_on_identity(neg, stanza, o);
	case ESESS_NEG_MSG_FINAL:
		return neg_on_final(neg, stanza, o);
	case ESESS_NEG_MSG_ERROR:
		return neg_on_error(neg, stanza, o);
	case ESESS_NEG_MSG_UNKNOWN:
		return neg_unexpected(neg);
	}
	return neg_unexpected(neg);
}
