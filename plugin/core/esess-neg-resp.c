/*
 * esess-neg-resp.c - Bob, the responder of the XEP-0116 4-message
 * negotiation: message 1 -> message 2, message 3 -> message 4 + session.
 * The flow diagram is at the top of esess-negotiate.c.
 */
#include "config.h"

#include <string.h>

#include "esess-bytes.h"
#include "esess-neg-private.h"
#include "esess-store-private.h"

/* What Bob's recomputation of mac_A needs besides neg and form_A2. */
typedef struct {
	const guint8 *e;
	size_t e_len;
} MacACtx;

/* mac_A as Bob recomputes it, for a pubKey term (INTEROP R21). */
static EsessStatus
mac_a_for(EsessNeg *neg, const GString *pubkey, const GString *form_a2,
	  guint8 out[ESESS_HMAC_LEN], gpointer data)
{
	const MacACtx *c = data;

	return esess_neg_sigma_mac_pk(neg->keys[ESESS_KEY_KS_A], neg->n_b, neg->n_b_len,
				      neg->n_a, neg->n_a_len, c->e, c->e_len, pubkey, neg->form_a,
				      form_a2, out);
}

static EsessXmlNode *
error_for(const char *condition, const char *var)
{
	const char *vars[1];

	vars[0] = var;
	return esess_neg_error_new(condition, vars, var != NULL ? 1 : 0);
}

/* ---- message 1 -> message 2 (§ESession Response, INTEROP R13) ------- */

EsessStatus
esess_neg_respond(const EsessNegConfig *cfg, const EsessXmlNode *feature, EsessNeg **out,
		  EsessNegOut *o)
{
	const EsessXmlNode *xin;
	const EsessField *modp, *hashes;
	EsessForm *req = NULL, *answer = NULL;
	EsessNeg *neg;
	GPtrArray *bad;
	EsessXmlNode *x = NULL, *wrapper;
	const char *he_b64;
	const guint8 *d;
	size_t d_len;
	EsessStatus r;

	g_return_val_if_fail(cfg != NULL && feature != NULL && out != NULL && o != NULL,
			     ESESS_ERR_INVALID_ARG);
	*out = NULL;
	o->reply = NULL;
	o->error = NULL;
	o->field[0] = '\0';
	neg = esess_neg_alloc(cfg, FALSE);
	bad = g_ptr_array_new_with_free_func(g_free);
	xin = esess_neg_find_x(feature);
	if (xin == NULL) {
		r = ESESS_ERR_FORM;
		o->error = error_for("not-acceptable", NULL);
		goto out;
	}
	r = esess_form_parse(xin, &req);
	if (r != ESESS_OK) {
		o->error = error_for("not-acceptable", NULL);
		goto out;
	}
	/* SECURITY 16, 21: e revealed in a 4-message request (3-message or
	 * mixed): DIGEST §4.4 feature-not-implemented for dhkeys */
	if (esess_form_get(req, "dhkeys") != NULL) {
		r = ESESS_ERR_FORM;
		o->error = error_for("feature-not-implemented", "dhkeys");
		esess_neg_out_field(o, "dhkeys");
		goto out;
	}
	/* neg->policy: cfg's, with what we hold of the keys (R21) */
	r = esess_featneg_choose(req, &neg->policy, &answer, &neg->choice, bad);
	if (r != ESESS_OK) {
		o->error = esess_neg_error_new("not-acceptable",
					       (const char *const *)bad->pdata, bad->len);
		/* the first offending field (all are in the error) */
		if (bad->len > 0)
			esess_neg_out_field(o, g_ptr_array_index(bad, 0));
		goto out;
	}
	/* SECURITY 8, 14: one well-formed 32-byte commitment per offered group */
	modp = esess_form_get(req, "modp");
	hashes = esess_form_get(req, "dhhashes");
	/* the offered groups are modp's options, or its values when it is a
	 * hidden field (esess_featneg_offered_values, as chosen) */
	if (modp == NULL || hashes == NULL ||
	    hashes->values->len != esess_featneg_offered_values(modp)->len ||
	    neg->choice.modp_index >= hashes->values->len) {
		r = ESESS_ERR_FORM;
		o->error = error_for("not-acceptable", "dhhashes");
		esess_neg_out_field(o, "dhhashes");
		goto out;
	}
	he_b64 = g_ptr_array_index(hashes->values, neg->choice.modp_index);
	r = esess_base64_decode_exact(he_b64, strlen(he_b64), neg->he, sizeof neg->he);
	if (r != ESESS_OK) {
		o->error = error_for("not-acceptable", "dhhashes");
		esess_neg_out_field(o, "dhhashes");
		goto out;
	}
	{
		guint8 *na = NULL;
		size_t na_len = 0;

		r = esess_neg_get_b64(req, "my_nonce", ESESS_NEG_NONCE_MIN, ESESS_NEG_NONCE_MAX,
				      &na, &na_len);
		if (r == ESESS_OK) {
			memcpy(neg->n_a, na, na_len);
			neg->n_a_len = na_len;
		}
		g_free(na);
	}
	if (r != ESESS_OK) {
		o->error = error_for("not-acceptable", "my_nonce");
		esess_neg_out_field(o, "my_nonce");
		goto out;
	}
	neg->own = esess_neg_get_key(cfg->pool, cfg->fixed, neg->choice.modp, &r);
	if (r != ESESS_OK)
		goto out;
	esess_neg_own_nonce(neg, neg->n_b, &neg->n_b_len);
	/* C_A: 16 random bytes, first byte non-zero so that the MPI and the
	 * 16-byte forms agree (DIGEST §15 #12); C_B = C_A XOR 2^127 (R5) */
	if (cfg->fixed != NULL && cfg->fixed->counter != NULL) {
		memcpy(neg->c_a, cfg->fixed->counter, sizeof neg->c_a);
	} else {
		do {
			esess_random(neg->c_a, sizeof neg->c_a);
		} while (neg->c_a[0] == 0);
	}
	esess_counter_flip_top(neg->c_a, neg->c_b);
	esess_neg_add_b64(answer, "my_nonce", neg->n_b, neg->n_b_len);
	d = esess_dh_key_public(neg->own, &d_len);
	esess_neg_add_b64(answer, "dhkeys", d, d_len);
	esess_neg_add_b64(answer, "nonce", neg->n_a, neg->n_a_len);
	esess_neg_add_b64(answer, "counter", neg->c_a, sizeof neg->c_a);
	x = esess_form_to_xml(answer);
	esess_form_canon(x, NULL, neg->form_b); /* as sent (R7) */
	esess_form_canon(xin, NULL, neg->form_a); /* as received */
	wrapper = esess_xml_new("feature", ESESS_NS_FEATURENEG);
	esess_xml_append(wrapper, x);
	x = NULL;
	o->reply = wrapper;
	neg->state = ESESS_NEG_RESP_EXPECT_IDENTITY;
	*out = neg;
	neg = NULL;
out:
	esess_xml_free(x);
	esess_form_free(req);
	esess_form_free(answer);
	g_ptr_array_unref(bad);
	esess_neg_free(neg);
	return r;
}

/* ---- message 3 -> message 4 (§Final Keys, §Hiding Bob's Identity) ---- */

/* the store part of esess_neg_finish, run during message 4's signature */
typedef struct {
	EsessNeg *neg;
	const EsessSecret *used_srs;
} StoreJob;

static EsessStatus
store_meanwhile(gpointer data)
{
	StoreJob *job = data;

	return esess_neg_finish_store(job->neg, job->used_srs);
}

static EsessXmlNode *
build_m4(EsessNeg *neg, const guint8 srshash[ESESS_HMAC_LEN], guint8 c_b_after[ESESS_COUNTER_LEN],
	 const EsessSecret *used_srs, EsessStatus *r)
{
	StoreJob job;
	EsessForm *m4;
	EsessField *fld;
	EsessXmlNode *x, *wrapper = NULL;
	GString *form_b2, *pkterm;
	guint8 mac_b[ESESS_HMAC_LEN], *plain = NULL, m_b[ESESS_HMAC_LEN];
	size_t plain_len = 0;
	EsessNegPk m_resp = esess_neg_pk_method(neg->choice.resp_pubkey);
	const guint8 *d;
	size_t d_len;

	m4 = esess_form_new(ESESS_FORM_RESULT);
	fld = esess_form_add(m4, "FORM_TYPE", ESESS_FIELD_HIDDEN);
	esess_field_add_value(fld, ESESS_NS_SSN);
	esess_neg_add_b64(m4, "nonce", neg->n_a, neg->n_a_len);
	esess_neg_add_b64(m4, "srshash", srshash, ESESS_HMAC_LEN);
	x = esess_form_to_xml(m4);
	form_b2 = g_string_new(NULL);
	esess_neg_canon_no_identity(x, form_b2);
	esess_xml_free(x);
	d = esess_dh_key_public(neg->own, &d_len);
	/* mac_B = HMAC(KS_B, N_A || N_B || MPI(d) || pubKey_B || form_B ||
	 * form_B2), pubKey_B our <KeyValue/> when Alice asked for one (R21) */
	pkterm = g_string_new(NULL);
	esess_neg_pk_own_term(neg, m_resp, pkterm);
	*r = esess_neg_sigma_mac_pk(neg->keys[ESESS_KEY_KS_B], neg->n_a, neg->n_a_len,
				    neg->n_b, neg->n_b_len, d, d_len, pkterm, neg->form_b, form_b2,
				    mac_b);
	g_string_free(pkterm, TRUE);
	if (*r != ESESS_OK)
		goto out;
	/* SECURITY 67: stored before message 4 exists; during the signature
	 * (the store waits on the disk, the signature on the CPU) */
	job.neg = neg;
	job.used_srs = used_srs;
	*r = esess_neg_pk_payload_during(neg, m_resp, mac_b, store_meanwhile, &job, &plain,
					 &plain_len);
	if (*r != ESESS_OK)
		goto out;
	*r = esess_neg_seal_identity(neg, ESESS_NEG_SIDE_B, plain, plain_len, m4, m_b,
				     c_b_after);
	if (*r != ESESS_OK)
		goto out;
	wrapper = esess_xml_new("init", ESESS_NS_INIT); /* R1 */
	esess_xml_append(wrapper, esess_form_to_xml(m4));
out:
	esess_wipe(mac_b, sizeof mac_b);
	esess_free_wiped(plain, plain_len);
	g_string_free(form_b2, TRUE);
	esess_form_free(m4);
	return wrapper;
}

EsessStatus
esess_neg_resp_on_identity(EsessNeg *neg, const EsessXmlNode *stanza, EsessNegOut *o)
{
	const EsessXmlNode *xin;
	const EsessField *rsh;
	EsessForm *m3 = NULL;
	GPtrArray *held = NULL;
	EsessRetained *ret, *match = NULL;
	EsessXmlNode *reply = NULL;
	guint8 *e = NULL;
	size_t e_len = 0;
	guint8 he[ESESS_SHA256_LEN];
	EsessNegIdentity idn = { NULL, 0, { 0 } };
	EsessNegPk m_init = esess_neg_pk_method(neg->choice.init_pubkey);
	MacACtx mctx;
	guint8 h[ESESS_HMAC_LEN], srshash[ESESS_HMAC_LEN];
	guint8 (*rshashes)[ESESS_HMAC_LEN] = NULL;
	guint8 c_a_after[ESESS_COUNTER_LEN], c_b_after[ESESS_COUNTER_LEN];
	const char *fail_var = NULL;
	const guint8 *d;
	size_t d_len;
	guint i, j, n_rsh = 0;
	EsessStatus r;

	xin = esess_neg_find_x(stanza);
	if (xin == NULL) {
		r = ESESS_ERR_FORM;
		goto out;
	}
	r = esess_form_parse(xin, &m3);
	if (r != ESESS_OK)
		goto out;
	r = esess_neg_check_ssn(m3, ESESS_FORM_RESULT);
	if (r != ESESS_OK) {
		fail_var = "FORM_TYPE";
		goto out;
	}
	r = esess_neg_check_echo(m3, "nonce", neg->n_b, neg->n_b_len);
	if (r != ESESS_OK) {
		fail_var = "nonce";
		goto out;
	}
	r = esess_neg_get_b64(m3, "dhkeys", 0, ESESS_NEG_MAX_DH_BYTES, &e, &e_len);
	if (r != ESESS_OK) {
		fail_var = "dhkeys";
		goto out;
	}
	/* SECURITY 13, 15: SHA-256(e) equals He of the SELECTED group */
	esess_sha256(e, e_len, he);
	if (!esess_ct_equal(he, neg->he, sizeof he)) {
		r = ESESS_ERR_COMMITMENT;
		fail_var = "dhkeys";
		goto out;
	}
	/* rshashes: each exactly 32 bytes (Gajim sends a single one) */
	rsh = esess_form_get(m3, "rshashes");
	if (rsh != NULL && rsh->values->len > 0) {
		n_rsh = rsh->values->len;
		rshashes = g_malloc0_n(n_rsh, ESESS_HMAC_LEN);
		for (i = 0; i < n_rsh; i++) {
			const char *v = g_ptr_array_index(rsh->values, i);

			r = esess_base64_decode_exact(v, strlen(v), rshashes[i], ESESS_HMAC_LEN);
			if (r != ESESS_OK) {
				fail_var = "rshashes";
				goto out;
			}
		}
	}
	/* lengths only (R21, SECURITY 25): opened once the keys exist */
	r = esess_neg_get_identity(m3, m_init, &idn, &fail_var);
	if (r != ESESS_OK)
		goto out;
	/* 1 < e < p-1, e != d, K, provisory keys (§4.10) */
	r = esess_neg_agree(neg, e, e_len);
	if (r != ESESS_OK) {
		fail_var = "dhkeys";
		goto out;
	}
	/* M_A, then ID_A: mac_A and with public keys Alice's signature (R21) */
	mctx.e = e;
	mctx.e_len = e_len;
	r = esess_neg_open_identity(neg, ESESS_NEG_SIDE_A, m_init, &idn, xin, mac_a_for, &mctx,
				    c_a_after, &fail_var);
	if (r != ESESS_OK)
		goto out;

	/* SAS: R23 over values fixed before e was seen, or R8 over M_A and
	 * form_B as sent */
	d = esess_dh_key_public(neg->own, &d_len);
	esess_neg_compute_sas(neg, idn.mac, e, e_len, d, d_len);
	/* SRS: HMAC(N_A, RS) against every rshashes value (R9) */
	held = esess_neg_held_secrets(neg);
	for (i = 0; i < held->len && match == NULL; i++) {
		ret = g_ptr_array_index(held, i);
		r = esess_neg_rshash(neg->n_a, neg->n_a_len, ret->secret, h);
		if (r != ESESS_OK)
			goto out;
		for (j = 0; j < n_rsh; j++) {
			if (esess_ct_equal(h, rshashes[j], sizeof h))
				match = ret;
		}
	}
	esess_neg_set_continuity(neg, held, match);
	if (match != NULL) {
		r = esess_neg_srshash(match->secret, srshash);
		if (r != ESESS_OK)
			goto out;
	} else {
		esess_random(srshash, sizeof srshash);
	}
	r = esess_neg_final_keys(neg, match != NULL ? match->secret : NULL);
	if (r != ESESS_OK)
		goto out;
	reply = build_m4(neg, srshash, c_b_after, match != NULL ? match->secret : NULL, &r);
	if (r != ESESS_OK)
		goto out;
	g_free(neg->peer_pub);
	neg->peer_pub = e;
	neg->peer_pub_len = e_len;
	e = NULL;
	r = esess_neg_finish(neg, match != NULL ? match->secret : NULL, c_b_after, c_a_after);
	if (r != ESESS_OK)
		goto out;
	o->reply = reply;
	reply = NULL;
out:
	if (r != ESESS_OK)
		esess_neg_out_field(o, fail_var);
	if (r == ESESS_ERR_COMMITMENT || r == ESESS_ERR_IDENTITY || r == ESESS_ERR_DH_RANGE ||
	    r == ESESS_ERR_DH_REFLECTED || r == ESESS_ERR_DH_SHARED || r == ESESS_ERR_MPI ||
	    r == ESESS_ERR_SIGNATURE || r == ESESS_ERR_KEY_UNKNOWN)
		o->error = error_for("feature-not-implemented", fail_var); /* DIGEST §12 */
	esess_neg_identity_clear(&idn);
	esess_wipe(h, sizeof h);
	esess_wipe(srshash, sizeof srshash);
	esess_xml_free(reply);
	esess_form_free(m3);
	g_free(e);
	g_free(rshashes);
	if (held != NULL)
		g_ptr_array_unref(held);
	return r;
}
