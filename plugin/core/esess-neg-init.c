/*
 * esess-neg-init.c - Alice, the initiator of the XEP-0116 4-message
 * negotiation: message 1, message 2 -> message 3, message 4 -> session.
 * The flow diagram is at the top of esess-negotiate.c.
 */
#include "config.h"

#include <string.h>

#include "esess-bytes.h"
#include "esess-neg-private.h"
#include "esess-store-private.h"

/* mac_B as Alice recomputes it, for a pubKey term (INTEROP R21). */
static EsessStatus
mac_b_for(EsessNeg *neg, const GString *pubkey, const GString *form_b2,
	  guint8 out[ESESS_HMAC_LEN], gpointer data)
{
	(void)data;
	return esess_neg_sigma_mac_pk(neg->keys[ESESS_KEY_KS_B], neg->n_a, neg->n_a_len,
				      neg->n_b, neg->n_b_len, neg->peer_pub, neg->peer_pub_len,
				      pubkey, neg->form_b, form_b2, out);
}

/* ---- message 1 (XEP-0116 §ESession Request, INTEROP R1, R12) -------- */

/* The groups as they ended up in the offer (after policy and quirks). */
static EsessStatus
offered_groups(const EsessForm *offer, guint **out, gsize *n)
{
	const EsessField *f;
	guint64 v;
	guint i;
	EsessStatus r;

	*out = NULL;
	*n = 0;
	f = esess_form_get(offer, "modp");
	if (f == NULL || f->options->len == 0)
		return ESESS_ERR_UNKNOWN_GROUP;
	*out = g_new0(guint, f->options->len);
	for (i = 0; i < f->options->len; i++) {
		r = esess_parse_uint(g_ptr_array_index(f->options, i), 1000, &v);
		if (r != ESESS_OK) {
			g_free(*out);
			*out = NULL;
			return ESESS_ERR_INTERNAL;
		}
		(*out)[i] = (guint)v;
	}
	*n = f->options->len;
	return ESESS_OK;
}

EsessStatus
esess_neg_initiate(const EsessNegConfig *cfg, EsessNeg **out, EsessNegOut *o)
{
	EsessNeg *neg;
	EsessField *hashes;
	EsessXmlNode *x = NULL, *wrapper;
	const guint8 *pub;
	size_t pub_len;
	guint8 he[ESESS_SHA256_LEN];
	char *b64;
	gsize i;
	EsessStatus r;

	g_return_val_if_fail(cfg != NULL && out != NULL && o != NULL, ESESS_ERR_INVALID_ARG);
	*out = NULL;
	o->reply = NULL;
	o->error = NULL;
	neg = esess_neg_alloc(cfg, TRUE);
	/* INTEROP R23: a peer that completed a session with the committed SAS
	 * is offered it again even while its capabilities are not known (just
	 * after a reconnect or a reload), so that it does not look like a
	 * fallback */
	if (neg->store != NULL &&
	    (esess_store_peer_flags(neg->store, neg->account, neg->peer) &
	     ESESS_PEER_COMMITTED_SAS) != 0)
		neg->policy.committed_sas = TRUE;
	r = esess_featneg_build_offer(&neg->policy, cfg->groups, cfg->n_groups, &neg->offer);
	if (r != ESESS_OK)
		goto out;
	r = offered_groups(neg->offer, &neg->offered, &neg->n_offered);
	if (r != ESESS_OK)
		goto out;
	/* one fresh key pair per offered group (pool first: SECURITY 58) */
	neg->dh = g_new0(EsessDhKey *, neg->n_offered);
	neg->n_dh = neg->n_offered;
	for (i = 0; i < neg->n_offered; i++) {
		neg->dh[i] = esess_neg_get_key(cfg->pool, cfg->fixed, neg->offered[i], &r);
		if (r != ESESS_OK)
			goto out;
	}
	esess_neg_own_nonce(neg, neg->n_a, &neg->n_a_len);
	esess_neg_add_b64(neg->offer, "my_nonce", neg->n_a, neg->n_a_len);
	/* dhhashes: He_i = SHA-256(MPI(e_i)), same order as the modp options */
	hashes = esess_form_add(neg->offer, "dhhashes", ESESS_FIELD_HIDDEN);
	for (i = 0; i < neg->n_offered; i++) {
		pub = esess_dh_key_public(neg->dh[i], &pub_len);
		esess_sha256(pub, pub_len, he);
		b64 = esess_base64_encode(he, sizeof he);
		esess_field_add_value(hashes, b64);
		g_free(b64);
	}
	x = esess_form_to_xml(neg->offer);
	/* form_A: R7 canon of what we send */
	esess_form_canon(x, NULL, neg->form_a);
	wrapper = esess_xml_new("feature", ESESS_NS_FEATURENEG);
	esess_xml_append(wrapper, x);
	x = NULL;
	o->reply = wrapper;
	neg->state = ESESS_NEG_INIT_EXPECT_RESPONSE;
	*out = neg;
	neg = NULL;
out:
	esess_xml_free(x);
	esess_neg_free(neg);
	return r;
}

/* ---- message 2 -> message 3 (§Hiding Alice's Identity) ---------------- */

/* R9: HMAC(N_A, RS) per held secret plus random fillers, at least
 * ESESS_NEG_MIN_RSHASHES and a multiple of it, shuffled. */
static EsessStatus
add_rshashes(EsessNeg *neg, EsessForm *f)
{
	GPtrArray *held, *vals;
	EsessRetained *ret;
	EsessField *fld;
	guint8 h[ESESS_HMAC_LEN];
	guint n, total, i, j;
	guint32 rnd;
	gpointer tmp;
	EsessStatus r = ESESS_OK;

	held = esess_neg_held_secrets(neg);
	vals = g_ptr_array_new_with_free_func(g_free);
	for (i = 0; i < held->len; i++) {
		ret = g_ptr_array_index(held, i);
		r = esess_neg_rshash(neg->n_a, neg->n_a_len, ret->secret, h);
		if (r != ESESS_OK)
			goto out;
		g_ptr_array_add(vals, esess_base64_encode(h, sizeof h));
	}
	n = held->len + 1;
	total = ((n + ESESS_NEG_MIN_RSHASHES - 1) / ESESS_NEG_MIN_RSHASHES) * ESESS_NEG_MIN_RSHASHES;
	while (vals->len < total) {
		esess_random(h, sizeof h);
		g_ptr_array_add(vals, esess_base64_encode(h, sizeof h));
	}
	/* Fisher-Yates, so the position tells nothing either */
	for (i = vals->len - 1; i > 0; i--) {
		esess_random(&rnd, sizeof rnd);
		j = rnd % (i + 1);
		tmp = vals->pdata[i];
		vals->pdata[i] = vals->pdata[j];
		vals->pdata[j] = tmp;
	}
	fld = esess_form_add(f, "rshashes", ESESS_FIELD_HIDDEN);
	for (i = 0; i < vals->len; i++)
		esess_field_add_value(fld, g_ptr_array_index(vals, i));
out:
	esess_wipe(h, sizeof h);
	g_ptr_array_unref(vals);
	g_ptr_array_unref(held);
	return r;
}

EsessStatus
esess_neg_init_on_response(EsessNeg *neg, const EsessXmlNode *stanza, EsessNegOut *o)
{
	const EsessXmlNode *xin;
	EsessForm *resp = NULL, *m3 = NULL;
	EsessChoice choice;
	EsessXmlNode *x = NULL, *wrapper;
	guint8 *nb = NULL, *d = NULL, *ctr = NULL;
	size_t nb_len = 0, d_len = 0, ctr_len = 0;
	guint8 mac_a[ESESS_HMAC_LEN], *plain = NULL;
	size_t plain_len = 0;
	guint8 c_after[ESESS_COUNTER_LEN];
	EsessNegPk m_init;
	GString *pkterm = NULL;
	const guint8 *e;
	size_t e_len;
	EsessField *fld;
	GString *form_b = NULL, *form_a2 = NULL;
	const char *field = NULL;
	gsize i;
	EsessStatus r;

	memset(&choice, 0, sizeof choice);
	/* parse and check everything first; the state changes last */
	xin = esess_neg_find_x(stanza);
	if (xin == NULL) {
		r = ESESS_ERR_FORM;
		goto out;
	}
	r = esess_form_parse(xin, &resp);
	if (r != ESESS_OK)
		goto out;
	field = "FORM_TYPE";
	r = esess_neg_check_ssn(resp, ESESS_FORM_SUBMIT);
	if (r != ESESS_OK)
		goto out;
	/* XEP-0116 §ESession Response: Bob MUST NOT include dhhashes */
	field = "dhhashes";
	if (esess_form_get(resp, "dhhashes") != NULL) {
		r = ESESS_ERR_FORM;
		goto out;
	}
	r = esess_featneg_check_field(neg->offer, resp, &neg->policy, &choice, &field);
	if (r != ESESS_OK)
		goto out;
	field = "modp";
	if (choice.modp_index >= neg->n_offered || neg->offered[choice.modp_index] != choice.modp) {
		r = ESESS_ERR_NOT_OFFERED;
		goto out;
	}
	/* R13: the initiator checks the echoed nonce (Gajim does not: R20) */
	field = "nonce";
	r = esess_neg_check_echo(resp, "nonce", neg->n_a, neg->n_a_len);
	if (r != ESESS_OK)
		goto out;
	field = "my_nonce";
	r = esess_neg_get_b64(resp, "my_nonce", ESESS_NEG_NONCE_MIN, ESESS_NEG_NONCE_MAX, &nb, &nb_len);
	if (r != ESESS_OK)
		goto out;
	/* the counter: 16 bytes, or the MPI form (Gajim) left-padded */
	field = "counter";
	r = esess_neg_get_b64(resp, "counter", 1, ESESS_COUNTER_LEN, &ctr, &ctr_len);
	if (r != ESESS_OK)
		goto out;
	field = "dhkeys";
	r = esess_neg_get_b64(resp, "dhkeys", 0, ESESS_NEG_MAX_DH_BYTES, &d, &d_len);
	if (r != ESESS_OK)
		goto out;
	/* DIGEST §12: not 1 < d < p-1 is not-acceptable (esess_neg_refusal) */
	r = esess_dh_check_public(choice.modp, d, d_len);
	if (r != ESESS_OK) {
		o->error = esess_neg_error_new("not-acceptable", &field, 1);
		goto out;
	}
	/* the chosen group's key pair; every other one is wiped now */
	neg->own = neg->dh[choice.modp_index];
	neg->dh[choice.modp_index] = NULL;
	r = esess_neg_agree(neg, d, d_len);
	if (r != ESESS_OK) {
		o->error = esess_neg_error_new("not-acceptable", &field, 1);
		goto out;
	}
	field = NULL;
	memset(neg->c_a, 0, sizeof neg->c_a);
	memcpy(neg->c_a + ESESS_COUNTER_LEN - ctr_len, ctr, ctr_len);
	esess_counter_flip_top(neg->c_a, neg->c_b);
	memcpy(neg->n_b, nb, nb_len);
	neg->n_b_len = nb_len;
	form_b = g_string_new(NULL);
	esess_form_canon(xin, NULL, form_b); /* as received (R7) */

	/* message 3 */
	m3 = esess_form_new(ESESS_FORM_RESULT);
	fld = esess_form_add(m3, "FORM_TYPE", ESESS_FIELD_HIDDEN);
	esess_field_add_value(fld, ESESS_NS_SSN);
	fld = esess_form_add(m3, "accept", ESESS_FIELD_BOOLEAN);
	esess_field_add_value(fld, "1");
	esess_neg_add_b64(m3, "nonce", neg->n_b, neg->n_b_len);
	e = esess_dh_key_public(neg->own, &e_len);
	esess_neg_add_b64(m3, "dhkeys", e, e_len);
	r = add_rshashes(neg, m3);
	if (r != ESESS_OK)
		goto out;
	x = esess_form_to_xml(m3);
	form_a2 = g_string_new(NULL);
	esess_neg_canon_no_identity(x, form_a2);
	esess_xml_free(x);
	x = NULL;
	/* mac_A = HMAC(KS_A, N_B || N_A || MPI(e) || pubKey_A || form_A ||
	 * form_A2), pubKey_A our <KeyValue/> when Bob asked for one (R21) */
	m_init = esess_neg_pk_method(choice.init_pubkey);
	pkterm = g_string_new(NULL);
	esess_neg_pk_own_term(neg, m_init, pkterm);
	r = esess_neg_sigma_mac_pk(neg->keys[ESESS_KEY_KS_A], neg->n_b, neg->n_b_len,
				   neg->n_a, neg->n_a_len, e, e_len, pkterm, neg->form_a, form_a2,
				   mac_a);
	if (r != ESESS_OK)
		goto out;
	r = esess_neg_pk_payload(neg, m_init, mac_a, &plain, &plain_len);
	if (r != ESESS_OK)
		goto out;
	/* M_A is kept: the R8 SAS is computed over it */
	r = esess_neg_seal_identity(neg, ESESS_NEG_SIDE_A, plain, plain_len, m3, neg->m_a,
				    c_after);
	if (r != ESESS_OK)
		goto out;
	x = esess_form_to_xml(m3);
	wrapper = esess_xml_new("feature", ESESS_NS_FEATURENEG);
	esess_xml_append(wrapper, x);
	x = NULL;

	/* commit: the state changes last */
	for (i = 0; i < neg->n_dh; i++) {
		esess_dh_key_free(neg->dh[i]);
		neg->dh[i] = NULL;
	}
	g_string_assign(neg->form_b, form_b->str);
	g_free(neg->peer_pub);
	neg->peer_pub = d;
	neg->peer_pub_len = d_len;
	d = NULL;
	esess_choice_clear(&neg->choice);
	neg->choice = choice;
	memset(&choice, 0, sizeof choice);
	memcpy(neg->c_a, c_after, sizeof c_after); /* C_A carries on (R5) */
	o->reply = wrapper;
	neg->state = ESESS_NEG_INIT_EXPECT_INIT;
out:
	if (r != ESESS_OK)
		esess_neg_out_field(o, field);
	esess_wipe(mac_a, sizeof mac_a);
	esess_free_wiped(plain, plain_len);
	if (pkterm != NULL)
		g_string_free(pkterm, TRUE);
	esess_choice_clear(&choice);
	esess_form_free(resp);
	esess_form_free(m3);
	esess_xml_free(x);
	g_free(nb);
	g_free(d);
	g_free(ctr);
	if (form_b != NULL)
		g_string_free(form_b, TRUE);
	if (form_a2 != NULL)
		g_string_free(form_a2, TRUE);
	return r;
}

/* ---- message 4 (§Final Keys, §Hiding Bob's Identity) ---------------- */

EsessStatus
esess_neg_init_on_final(EsessNeg *neg, const EsessXmlNode *stanza, EsessNegOut *o)
{
	static const char *const fni_vars[] = { "identity" };
	const EsessXmlNode *xin;
	EsessForm *fin = NULL;
	GPtrArray *held = NULL;
	EsessRetained *ret, *match = NULL;
	guint8 srshash[ESESS_HMAC_LEN], h[ESESS_HMAC_LEN];
	EsessNegIdentity idn = { NULL, 0, { 0 } };
	EsessNegPk m_resp = esess_neg_pk_method(neg->choice.resp_pubkey);
	guint8 c_b_after[ESESS_COUNTER_LEN];
	const char *field = NULL;
	const guint8 *e;
	size_t e_len;
	guint i;
	EsessStatus r;

	xin = esess_neg_find_x(stanza);
	if (xin == NULL) {
		r = ESESS_ERR_FORM;
		goto out;
	}
	r = esess_form_parse(xin, &fin);
	if (r != ESESS_OK)
		goto out;
	field = "FORM_TYPE";
	r = esess_neg_check_ssn(fin, ESESS_FORM_RESULT);
	if (r != ESESS_OK)
		goto out;
	field = "nonce";
	r = esess_neg_check_echo(fin, "nonce", neg->n_a, neg->n_a_len);
	if (r != ESESS_OK)
		goto out;
	field = "srshash";
	r = esess_neg_get_b64_exact(fin, "srshash", srshash, sizeof srshash);
	if (r != ESESS_OK)
		goto out;
	/* lengths only (R21, SECURITY 25): opened once the keys are final */
	r = esess_neg_get_identity(fin, m_resp, &idn, &field);
	if (r != ESESS_OK)
		goto out;

	/* SRS: HMAC(RS, "Shared Retained Secret") == srshash (R9) */
	field = NULL;
	held = esess_neg_held_secrets(neg);
	for (i = 0; i < held->len && match == NULL; i++) {
		ret = g_ptr_array_index(held, i);
		r = esess_neg_srshash(ret->secret, h);
		if (r != ESESS_OK)
			goto out;
		if (esess_ct_equal(h, srshash, sizeof h))
			match = ret;
	}
	r = esess_neg_final_keys(neg, match != NULL ? match->secret : NULL);
	if (r != ESESS_OK)
		goto out;
	/* M_B, then ID_B: mac_B and with public keys Bob's signature (R21) */
	r = esess_neg_open_identity(neg, ESESS_NEG_SIDE_B, m_resp, &idn, xin, mac_b_for, NULL,
				    c_b_after, &field);
	if (r != ESESS_OK)
		goto out;

	/* SAS: R23 over values fixed before d was seen, or R8 over M_A and
	 * form_B as received; then continuity (R9, R23) */
	e = esess_dh_key_public(neg->own, &e_len);
	esess_neg_compute_sas(neg, neg->m_a, e, e_len, neg->peer_pub, neg->peer_pub_len);
	esess_neg_set_continuity(neg, held, match);
	r = esess_neg_finish(neg, match != NULL ? match->secret : NULL, neg->c_a, c_b_after);
out:
	if (r != ESESS_OK)
		esess_neg_out_field(o, field);
	if (r == ESESS_ERR_IDENTITY || r == ESESS_ERR_SIGNATURE || r == ESESS_ERR_KEY_UNKNOWN)
		o->error = esess_neg_error_new("feature-not-implemented", fni_vars, 1);
	esess_wipe(h, sizeof h);
	esess_neg_identity_clear(&idn);
	esess_form_free(fin);
	if (held != NULL)
		g_ptr_array_unref(held);
	return r;
}
