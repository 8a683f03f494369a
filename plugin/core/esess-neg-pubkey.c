/*
 * esess-neg-pubkey.c - public-key identity in the negotiation (INTEROP R21,
 * XEP-0116 §Hiding Bob's/Alice's Identity), between peers of this plugin.
 *
 * With `init_pubkey` / `resp_pubkey` other than none, a side's encrypted
 * identity is no longer mac_X but
 *
 *   key:   R7(<KeyValue/>) ‖ <SignatureValue>B64(SIGN(mac_X))</SignatureValue>
 *   hash:  <fingerprint>B64(SHA-256(R7(<KeyValue/>)))</fingerprint> ‖ <SignatureValue>…
 *
 * and mac_X = HMAC(KS_X, n1 ‖ n2 ‖ MPI(dh) ‖ pubKey ‖ form1 ‖ form2) with
 * pubKey = R7(<KeyValue/>) of the signer's full key, for `hash` too (the
 * receiver puts back its copy of the key whose hash matches).  SIGN is
 * RSASSA-PKCS1-v1_5 with SHA-256 of the 32 MAC bytes; the receiver
 * recomputes mac_X and checks the signature against the key presented, so
 * a wrong MAC and a wrong signature are the same failure.  XEP-0116 writes
 * Alice's `hash` without the <fingerprint/> wrapper; R21 uses it on both
 * sides, so that the two payloads parse the same way.
 *
 * The plaintext is parsed with the engine's XML reader and must then be
 * exactly the R7 form of what was read: one spelling per identity.
 */
#include "config.h"

#include <string.h>

#include "esess-bytes.h"
#include "esess-mem.h"
#include "esess-neg-private.h"
#include "esess-store.h"

#define SIGVALUE "SignatureValue"

EsessNegPk
esess_neg_pk_method(const char *choice)
{
	if (g_strcmp0(choice, "key") == 0)
		return ESESS_NEG_PK_KEY;
	if (g_strcmp0(choice, "hash") == 0)
		return ESESS_NEG_PK_HASH;
	return ESESS_NEG_PK_NONE;
}

EsessStatus
esess_neg_sigma_mac_pk(const EsessSecret *ks, const guint8 *n1, size_t n1_len, const guint8 *n2,
		       size_t n2_len, const guint8 *dh, size_t dh_len, const GString *pubkey,
		       const GString *form1, const GString *form2, guint8 out[ESESS_HMAC_LEN])
{
	EsessHmac *h = NULL;
	EsessStatus r;

	r = esess_hmac_new(ks->data, ks->len, &h);
	if (r != ESESS_OK)
		return r;
	esess_hmac_update(h, n1, n1_len);
	esess_hmac_update(h, n2, n2_len);
	esess_hmac_update(h, dh, dh_len);
	if (pubkey != NULL)
		esess_hmac_update(h, pubkey->str, pubkey->len);
	esess_hmac_update(h, form1->str, form1->len);
	esess_hmac_update(h, form2->str, form2->len);
	r = esess_hmac_final(h, out);
	esess_hmac_free(h);
	return r;
}

void
esess_neg_pk_own_term(const EsessNeg *neg, EsessNegPk m, GString *out)
{
	g_string_truncate(out, 0);
	if (m != ESESS_NEG_PK_NONE && neg->idkey != NULL)
		esess_pubkey_keyvalue_canon(esess_idkey_public(neg->idkey), out);
}

static void
append_fingerprint(GString *out, const EsessPubKey *pk)
{
	guint8 h[ESESS_IDKEY_FPR_LEN];

	esess_pubkey_hash(pk, h);
	g_string_append(out, "<fingerprint>");
	esess_base64_append(out, h, sizeof h);
	g_string_append(out, "</fingerprint>");
}

/* The signature job of esess_neg_pk_payload_during: the thread reads the
 * key (a reference the caller holds) and the 32 MAC bytes, nothing else */
typedef struct {
	const EsessIdKey *key;
	guint8 mac[ESESS_HMAC_LEN];
	guint8 *sig;
	size_t sig_len;
	EsessStatus r;
} SignJob;

static gpointer
sign_thread(gpointer data)
{
	SignJob *job = data;

	job->r = esess_idkey_sign(job->key, job->mac, ESESS_HMAC_LEN, &job->sig, &job->sig_len);
	return NULL;
}

EsessStatus
esess_neg_pk_payload(const EsessNeg *neg, EsessNegPk m, const guint8 mac[ESESS_HMAC_LEN],
		     guint8 **out, size_t *len)
{
	return esess_neg_pk_payload_during(neg, m, mac, NULL, NULL, out, len);
}

EsessStatus
esess_neg_pk_payload_during(const EsessNeg *neg, EsessNegPk m, const guint8 mac[ESESS_HMAC_LEN],
			    EsessNegMeanwhileFn meanwhile, gpointer data, guint8 **out,
			    size_t *len)
{
	const EsessPubKey *pk;
	GString *p;
	GThread *th = NULL;
	SignJob job;
	EsessStatus r, rm = ESESS_OK;

	*out = NULL;
	*len = 0;
	if (m == ESESS_NEG_PK_NONE) {
		if (meanwhile != NULL)
			rm = meanwhile(data);
		if (rm != ESESS_OK)
			return rm;
		*out = g_memdup2(mac, ESESS_HMAC_LEN);
		*len = ESESS_HMAC_LEN;
		return ESESS_OK;
	}
	/* the offer and the choice only allow key/hash when we hold a key */
	if (neg->idkey == NULL)
		return ESESS_ERR_INTERNAL;
	pk = esess_idkey_public(neg->idkey);
	memset(&job, 0, sizeof job);
	job.key = neg->idkey;
	memcpy(job.mac, mac, ESESS_HMAC_LEN);
	/* The RSA signature is the longest computation of the step (R21, RSA
	 * 3072); what the caller must also do before the message leaves
	 * (the responder's fsync'd store commit, SECURITY 67) waits on the
	 * disk, not the CPU: the two overlap, and both are done before the
	 * message is built.  Without a thread, one after the other. */
	if (meanwhile != NULL)
		th = g_thread_try_new("esess-sign", sign_thread, &job, NULL);
	if (th == NULL)
		sign_thread(&job);
	if (meanwhile != NULL)
		rm = meanwhile(data);
	if (th != NULL)
		g_thread_join(th);
	r = job.r;
	esess_wipe(job.mac, sizeof job.mac);
	if (r == ESESS_OK && rm != ESESS_OK)
		r = rm;
	if (r != ESESS_OK) {
		g_free(job.sig);
		return r;
	}
	p = g_string_sized_new(2 * job.sig_len + 2 * esess_pubkey_bits(pk) / 8 + 128);
	if (m == ESESS_NEG_PK_KEY)
		esess_pubkey_keyvalue_canon(pk, p);
	else
		append_fingerprint(p, pk);
	g_string_append(p, "<" SIGVALUE ">");
	esess_base64_append(p, job.sig, job.sig_len);
	g_string_append(p, "</" SIGVALUE ">");
	g_free(job.sig);
	*len = p->len;
	*out = (guint8 *)g_string_free(p, FALSE);
	return ESESS_OK;
}

/* The key the peer named: the <KeyValue/> itself, or (hash) the held key
 * whose R21 hash is the <fingerprint/>. */
static EsessStatus
named_key(const EsessNeg *neg, EsessNegPk m, const EsessXmlNode *first, EsessPubKey **out)
{
	g_autofree char *t = NULL;
	guint8 want[ESESS_IDKEY_FPR_LEN], h[ESESS_IDKEY_FPR_LEN];

	*out = NULL;
	if (m == ESESS_NEG_PK_KEY) {
		if (!esess_xml_is(first, "KeyValue", NULL))
			return ESESS_ERR_IDENTITY;
		return esess_pubkey_from_keyvalue(first, out) == ESESS_OK ? ESESS_OK
									  : ESESS_ERR_IDENTITY;
	}
	if (!esess_xml_is(first, "fingerprint", NULL) || first->n_attrs != 0 ||
	    esess_xml_has_elements(first))
		return ESESS_ERR_IDENTITY;
	t = esess_xml_text(first);
	if (esess_base64_decode_exact(t, strlen(t), want, sizeof want) != ESESS_OK)
		return ESESS_ERR_IDENTITY;
	/* XEP-0116: without a copy of the key she MUST terminate */
	if (neg->known == NULL)
		return ESESS_ERR_KEY_UNKNOWN;
	esess_pubkey_hash(neg->known->key, h);
	if (!esess_ct_equal(h, want, sizeof h))
		return ESESS_ERR_KEY_UNKNOWN;
	*out = esess_pubkey_copy(neg->known->key);
	return ESESS_OK;
}

EsessStatus
esess_neg_pk_check(EsessNeg *neg, EsessNegPk m, const guint8 *plain, size_t len,
		   const GString *form2, EsessNegMacFn mac_fn, gpointer data)
{
	static const EsessXmlLimits limits = {
		ESESS_NEG_ID_MAX, 8, 16, ESESS_NEG_ID_MAX
	};
	EsessXmlNode *root = NULL, *first, *second;
	EsessPubKey *pk = NULL;
	GString *canon = NULL, *term = NULL;
	g_autofree char *t = NULL;
	guint8 mac[ESESS_HMAC_LEN], *sig = NULL;
	size_t sig_len = 0;
	EsessStatus r;

	esess_pubkey_free(neg->peer_key);
	neg->peer_key = NULL;
	term = g_string_new(NULL);
	if (m == ESESS_NEG_PK_NONE) {
		/* XEP-0116: the plaintext is mac_X, pubKey is "" */
		if (len != ESESS_HMAC_LEN) {
			r = ESESS_ERR_IDENTITY;
			goto out;
		}
		r = mac_fn(neg, term, form2, mac, data);
		if (r == ESESS_OK && !esess_ct_equal(mac, plain, sizeof mac))
			r = ESESS_ERR_IDENTITY;
		goto out;
	}
	r = ESESS_ERR_IDENTITY;
	if (esess_xml_parse_fragment((const char *)plain, len, NULL, &limits, &root) != ESESS_OK)
		goto out;
	/* exactly two elements and nothing else, in their R7 form */
	if (esess_xml_count(root, NULL, NULL) != 2)
		goto out;
	for (first = root->first_child; first != NULL && first->kind != ESESS_XML_ELEMENT;
	     first = first->next)
		;
	second = esess_xml_next(first, NULL, NULL);
	if (!esess_xml_is(second, SIGVALUE, NULL) || second->n_attrs != 0 ||
	    esess_xml_has_elements(second))
		goto out;
	canon = g_string_sized_new(len);
	esess_xml_canon(canon, first);
	esess_xml_canon(canon, second);
	if (canon->len != len || !esess_ct_equal(canon->str, plain, len))
		goto out;
	r = named_key(neg, m, first, &pk);
	if (r != ESESS_OK)
		goto out;
	t = esess_xml_text(second);
	if (esess_base64_decode(t, strlen(t), ESESS_IDKEY_MAX_BITS / 8, &sig, &sig_len) !=
	    ESESS_OK) {
		r = ESESS_ERR_IDENTITY;
		goto out;
	}
	/* mac_X over the full key (for hash: our copy of it), then VERIFY */
	esess_pubkey_keyvalue_canon(pk, term);
	r = mac_fn(neg, term, form2, mac, data);
	if (r != ESESS_OK)
		goto out;
	r = esess_pubkey_verify(pk, mac, sizeof mac, sig, sig_len);
	if (r != ESESS_OK)
		goto out;
	neg->peer_key = pk;
	pk = NULL;
out:
	/* the identity is hidden from all but the peer (XEP-0116): what was
	 * copied of the plaintext goes the way the plaintext goes */
	esess_wipe(mac, sizeof mac);
	esess_pubkey_free(pk);
	if (sig != NULL)
		esess_free_wiped(sig, sig_len);
	if (t != NULL)
		esess_wipe(t, strlen(t));
	esess_xml_free(root);
	if (canon != NULL)
		esess_gstring_free_wiped(canon);
	g_string_free(term, TRUE);
	return r;
}

EsessPeerKeyStatus
esess_neg_key_status(const EsessNeg *neg)
{
	if (neg->peer_key == NULL)
		return neg->known != NULL ? ESESS_PEER_KEY_MISSING : ESESS_PEER_KEY_NONE;
	if (neg->known == NULL)
		return ESESS_PEER_KEY_NEW;
	if (!esess_pubkey_equal(neg->known->key, neg->peer_key))
		return ESESS_PEER_KEY_CHANGED;
	return neg->known->verified ? ESESS_PEER_KEY_VERIFIED : ESESS_PEER_KEY_KNOWN;
}
