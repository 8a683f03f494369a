/*
 * esess-neg-identity.c - the encrypted identity fields ("identity", "mac")
 * of message 3, message 4 and the offline init (XEP-0116 §Hiding Alice's
 * Identity, §Hiding Bob's Identity; XEP-0187 §Accepting): sealing ours and
 * opening the peer's, written once for the three places that use them.
 *
 *   seal:  ID_X = CIPHER(KC_X, C_X, plain)          INTEROP R4, R5
 *          M_X  = HMAC(KM_X, MPI(C_X) || ID_X)       INTEROP R6
 *   open:  lengths (SECURITY 25), then M_X in constant time, and only when
 *          it matches: decrypt, parse, check mac_X (and the signature, R21)
 *
 * Nothing of ID_X is decrypted or parsed before its MAC matched, and the
 * plaintext is wiped on every path.
 */
#include "config.h"

#include <string.h>

#include "esess-mem.h"
#include "esess-neg-private.h"

void
esess_neg_canon_no_identity(const EsessXmlNode *x, GString *out)
{
	/* form_X2 is the form without these two fields (XEP-0116) */
	static const char *const no_identity[] = { "identity", "mac", NULL };

	esess_form_canon(x, no_identity, out);
}

static void
side_keys(const EsessNeg *neg, EsessNegSide side, const EsessSecret **kc,
	  const EsessSecret **km, const guint8 **c)
{
	switch (side) {
	case ESESS_NEG_SIDE_A:
		*kc = neg->keys[ESESS_KEY_KC_A];
		*km = neg->keys[ESESS_KEY_KM_A];
		*c = neg->c_a;
		return;
	case ESESS_NEG_SIDE_B:
		*kc = neg->keys[ESESS_KEY_KC_B];
		*km = neg->keys[ESESS_KEY_KM_B];
		*c = neg->c_b;
		return;
	}
	g_assert_not_reached();
}

EsessStatus
esess_neg_seal_identity(const EsessNeg *neg, EsessNegSide side, const guint8 *plain,
			size_t len, EsessForm *f, guint8 mac[ESESS_HMAC_LEN],
			guint8 c_after[ESESS_COUNTER_LEN])
{
	const EsessSecret *kc, *km;
	const guint8 *c;
	guint8 *id;
	EsessStatus r;

	g_return_val_if_fail(neg != NULL && plain != NULL && len > 0 && f != NULL,
			     ESESS_ERR_INVALID_ARG);
	side_keys(neg, side, &kc, &km, &c);
	id = g_malloc(len);
	r = esess_neg_crypt_identity(kc, c, plain, id, len, c_after);
	if (r != ESESS_OK)
		goto out;
	r = esess_neg_identity_mac(km, c, id, len, mac);
	if (r != ESESS_OK)
		goto out;
	esess_neg_add_b64(f, "identity", id, len);
	esess_neg_add_b64(f, "mac", mac, ESESS_HMAC_LEN);
out:
	/* ciphertext: nothing to wipe */
	g_free(id);
	return r;
}

EsessStatus
esess_neg_get_identity(const EsessForm *f, EsessNegPk m, EsessNegIdentity *idn,
		       const char **field)
{
	EsessStatus r;

	g_return_val_if_fail(f != NULL && idn != NULL && field != NULL, ESESS_ERR_INVALID_ARG);
	memset(idn, 0, sizeof *idn);
	*field = "identity";
	/* without public keys exactly mac_X (32 bytes), with them up to
	 * ESESS_NEG_ID_MAX (R21); another length is an identity failure */
	r = esess_neg_get_b64(f, "identity", 1, ESESS_NEG_ID_MAX, &idn->id, &idn->len);
	if (r == ESESS_OK && m == ESESS_NEG_PK_NONE && idn->len != ESESS_NEG_ID_LEN)
		r = ESESS_ERR_LENGTH;
	if (r == ESESS_ERR_LENGTH)
		r = ESESS_ERR_IDENTITY;
	if (r != ESESS_OK)
		goto out;
	/* SECURITY 25: exactly 32 bytes, else it is an identity failure */
	*field = "mac";
	r = esess_neg_get_b64_exact(f, "mac", idn->mac, sizeof idn->mac);
	if (r == ESESS_ERR_LENGTH)
		r = ESESS_ERR_IDENTITY;
	if (r != ESESS_OK)
		goto out;
	*field = NULL;
out:
	if (r != ESESS_OK)
		esess_neg_identity_clear(idn);
	return r;
}

EsessStatus
esess_neg_open_identity(EsessNeg *neg, EsessNegSide side, EsessNegPk m,
			const EsessNegIdentity *idn, const EsessXmlNode *x, EsessNegMacFn mac_fn,
			gpointer data, guint8 c_after[ESESS_COUNTER_LEN], const char **field)
{
	const EsessSecret *kc, *km;
	const guint8 *c;
	guint8 mm[ESESS_HMAC_LEN], *plain = NULL;
	GString *form2 = NULL;
	EsessStatus r;

	g_return_val_if_fail(neg != NULL && idn != NULL && idn->id != NULL && x != NULL &&
				     mac_fn != NULL && field != NULL,
			     ESESS_ERR_INVALID_ARG);
	*field = NULL;
	/* nobody is proved until this succeeds */
	esess_pubkey_free(neg->peer_key);
	neg->peer_key = NULL;
	side_keys(neg, side, &kc, &km, &c);
	/* INTEROP R6: M_X first, compared in constant time on its exact
	 * length; a mismatch stops here, before anything is decrypted */
	r = esess_neg_identity_mac(km, c, idn->id, idn->len, mm);
	if (r != ESESS_OK)
		goto out;
	if (!esess_ct_equal(mm, idn->mac, sizeof mm)) {
		r = ESESS_ERR_IDENTITY;
		*field = "mac";
		goto out;
	}
	plain = g_malloc(idn->len);
	r = esess_neg_crypt_identity(kc, c, idn->id, plain, idn->len, c_after);
	if (r != ESESS_OK)
		goto out;
	form2 = g_string_new(NULL);
	esess_neg_canon_no_identity(x, form2);
	/* mac_X, and with public keys the signature of it (R21) */
	r = esess_neg_pk_check(neg, m, plain, idn->len, form2, mac_fn, data);
	if (r != ESESS_OK)
		*field = "identity";
out:
	esess_wipe(mm, sizeof mm);
	esess_free_wiped(plain, idn->len);
	if (form2 != NULL)
		g_string_free(form2, TRUE);
	return r;
}

void
esess_neg_identity_clear(EsessNegIdentity *idn)
{
	if (idn == NULL)
		return;
	g_free(idn->id);
	memset(idn, 0, sizeof *idn);
}
