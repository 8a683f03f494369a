/*
 * test-idkey: identity keys (INTEROP R21, R22; issue 12).
 *
 * Known answers from tests/vectors/idkey-r21-r22.txt, computed with
 * Python's `cryptography` over the test key tests/vectors/idkey-alice.pem:
 * the <KeyValue/> and its R21 hash, the fingerprint, PKCS#1 v1.5 SHA-256
 * signatures of fixed mac_A / mac_B bytes, the XEP-0189 <pubkey/> form and
 * the R22 `signs` value.  Then the hostile inputs: every non-canonical or
 * out-of-range key form is refused.
 */
#include "config.h"

#include <string.h>

#if defined(__has_include)
#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#define IDKEY_HAVE_VALGRIND_H 1
#endif
#endif

#include "esess-bytes.h"
#include "esess-crypto.h"
#include "esess-form.h"
#include "esess-idkey-private.h"
#include "esess-mem.h"
#include "esess-xml.h"
#include "../protocol/neg-harness.h"

/* Under memcheck (CI's valgrind stage) RSA generation and GnuTLS's PBKDF2
 * cost a minute: those parts run in the other stages only. */
static gboolean
under_valgrind(void)
{
#ifdef IDKEY_HAVE_VALGRIND_H
	if (RUNNING_ON_VALGRIND)
		return TRUE;
#endif
	return g_getenv("ESESS_UNDER_VALGRIND") != NULL;
}

static char *
vec_get(const char *key)
{
	static char *text;
	char *v;

	if (text == NULL)
		text = neg_vector("idkey-r21-r22.txt");
	v = neg_vector_get(text, key);
	g_assert_nonnull(v);
	return v;
}

static guint8 *
unhex(const char *hex, size_t *len)
{
	size_t n = strlen(hex), i;
	guint8 *b = g_malloc(n / 2 + 1);

	g_assert_cmpuint(n % 2, ==, 0);
	for (i = 0; i < n / 2; i++)
		b[i] = (guint8)((g_ascii_xdigit_value(hex[2 * i]) << 4) |
				g_ascii_xdigit_value(hex[2 * i + 1]));
	*len = n / 2;
	return b;
}

static char *
tohex(const guint8 *b, size_t len)
{
	GString *s = g_string_new(NULL);
	size_t i;

	for (i = 0; i < len; i++)
		g_string_append_printf(s, "%02x", b[i]);
	return g_string_free(s, FALSE);
}

static EsessIdKey *
load_key(const char *name)
{
	gsize len;
	char *pem = neg_vector_len(name, &len);
	EsessIdKey *k = NULL;

	g_assert_cmpint(esess_idkey_import_pem(pem, len, NULL, &k), ==, ESESS_OK);
	g_free(pem);
	return k;
}

static EsessXmlNode *
parse(const char *xml)
{
	EsessXmlNode *n = NULL;

	g_assert_cmpint(esess_xml_parse(xml, strlen(xml), NULL, &n), ==, ESESS_OK);
	return n;
}

/* ---- known answers ------------------------------------------------------ */

static void
test_r21_keyvalue(void)
{
	EsessIdKey *k = load_key("idkey-alice.pem");
	const EsessPubKey *pk = esess_idkey_public(k);
	g_autofree char *mod = vec_get("modulus"), *canon = vec_get("keyvalue_canon");
	g_autofree char *hash = vec_get("r21_hash"), *fpr = vec_get("spki_sha256");
	g_autofree char *text = vec_get("fingerprint_text"), *got = NULL, *ftext = NULL;
	GString *c = g_string_new(NULL);
	guint8 h[ESESS_IDKEY_FPR_LEN];
	const guint8 *n;
	size_t n_len;
	EsessXmlNode *kv, *parsed;
	EsessPubKey *back = NULL;

	g_assert_cmpuint(esess_pubkey_bits(pk), ==, 3072);
	n = esess_pubkey_modulus(pk, &n_len);
	got = tohex(n, n_len);
	g_assert_cmpstr(got, ==, mod);
	esess_pubkey_keyvalue_canon(pk, c);
	g_assert_cmpstr(c->str, ==, canon);
	esess_pubkey_hash(pk, h);
	g_free(got);
	got = tohex(h, sizeof h);
	g_assert_cmpstr(got, ==, hash);
	esess_pubkey_fingerprint(pk, h);
	g_free(got);
	got = tohex(h, sizeof h);
	g_assert_cmpstr(got, ==, fpr);
	ftext = esess_pubkey_fingerprint_text(pk);
	g_assert_cmpstr(ftext, ==, text);
	g_assert_cmpuint(strlen(ftext), ==, ESESS_IDKEY_FPR_TEXT_LEN);

	/* both ways: the element we build, and the R7 form parsed back */
	kv = esess_pubkey_to_keyvalue(pk);
	g_assert_cmpstr(kv->ns, ==, ESESS_NS_DSIG);
	g_assert_cmpint(esess_pubkey_from_keyvalue(kv, &back), ==, ESESS_OK);
	g_assert_true(esess_pubkey_equal(back, pk));
	esess_pubkey_free(back);
	parsed = parse(canon);
	g_assert_cmpint(esess_pubkey_from_keyvalue(parsed, &back), ==, ESESS_OK);
	g_assert_true(esess_pubkey_equal(back, pk));
	esess_pubkey_free(back);
	esess_xml_free(parsed);
	esess_xml_free(kv);
	g_string_free(c, TRUE);
	esess_idkey_free(k);
}

static void
check_sig(const EsessIdKey *k, const char *mac_key, const char *sig_key)
{
	g_autofree char *mh = vec_get(mac_key), *sh = vec_get(sig_key), *got = NULL;
	g_autofree guint8 *mac = NULL, *want = NULL;
	guint8 *sig = NULL;
	size_t mac_len, want_len, sig_len;

	mac = unhex(mh, &mac_len);
	want = unhex(sh, &want_len);
	g_assert_cmpint(esess_idkey_sign(k, mac, mac_len, &sig, &sig_len), ==, ESESS_OK);
	got = tohex(sig, sig_len);
	g_assert_cmpstr(got, ==, sh);
	g_assert_cmpint(esess_pubkey_verify(esess_idkey_public(k), mac, mac_len, want, want_len),
			==, ESESS_OK);
	/* one bit of the signature, or of the MAC, and it fails */
	sig[sig_len - 1] ^= 1;
	g_assert_cmpint(esess_pubkey_verify(esess_idkey_public(k), mac, mac_len, sig, sig_len),
			==, ESESS_ERR_SIGNATURE);
	sig[sig_len - 1] ^= 1;
	mac[0] ^= 0x80;
	g_assert_cmpint(esess_pubkey_verify(esess_idkey_public(k), mac, mac_len, sig, sig_len),
			==, ESESS_ERR_SIGNATURE);
	g_free(sig);
}

static void
test_r21_signatures(void)
{
	EsessIdKey *a = load_key("idkey-alice.pem"), *b = load_key("idkey-bob.pem");
	g_autofree char *mh = vec_get("mac_A"), *sh = vec_get("sig_mac_A");
	g_autofree guint8 *mac = NULL, *sig = NULL;
	guint8 *longer;
	size_t mac_len, sig_len;

	check_sig(a, "mac_A", "sig_mac_A");
	check_sig(a, "mac_B", "sig_mac_B");
	mac = unhex(mh, &mac_len);
	sig = unhex(sh, &sig_len);
	/* another key never verifies it */
	g_assert_cmpint(esess_pubkey_verify(esess_idkey_public(b), mac, mac_len, sig, sig_len), ==,
			ESESS_ERR_SIGNATURE);
	/* exactly k bytes: a leading zero octet added is refused, and so is a
	 * truncated one */
	longer = g_malloc0(sig_len + 1);
	memcpy(longer + 1, sig, sig_len);
	g_assert_cmpint(esess_pubkey_verify(esess_idkey_public(a), mac, mac_len, longer,
					    sig_len + 1),
			==, ESESS_ERR_SIGNATURE);
	g_assert_cmpint(esess_pubkey_verify(esess_idkey_public(a), mac, mac_len, sig,
					    sig_len - 1),
			==, ESESS_ERR_SIGNATURE);
	g_assert_cmpint(esess_pubkey_verify(esess_idkey_public(a), mac, mac_len, NULL, 0), ==,
			ESESS_ERR_SIGNATURE);
	g_free(longer);
	esess_idkey_free(a);
	esess_idkey_free(b);
}

static void
test_r22_pubkey2(void)
{
	EsessIdKey *k = load_key("idkey-alice.pem");
	const EsessPubKey *pk = esess_idkey_public(k);
	g_autofree char *want = vec_get("pubkey2_xml"), *jid = vec_get("pubkey2_jid");
	g_autofree char *dec = vec_get("modulus_dec"), *got = NULL, *mod = NULL;
	g_autofree char *exp = NULL;
	EsessXmlNode *p2, *parsed;
	EsessPubKey *back = NULL;
	EsessPubkey2Info info;
	const guint8 *n;
	size_t n_len;

	p2 = esess_pubkey_to_pubkey2(pk, jid, 1767225600, 1798761600);
	got = esess_xml_to_string(p2);
	g_assert_cmpstr(got, ==, want);
	n = esess_pubkey_modulus(pk, &n_len);
	mod = esess_decimal_from_bytes(n, n_len);
	g_assert_cmpstr(mod, ==, dec);
	n = esess_pubkey_exponent(pk, &n_len);
	exp = esess_decimal_from_bytes(n, n_len);
	g_assert_cmpstr(exp, ==, "65537");
	/* and back, from the vector's own text */
	parsed = parse(want);
	g_assert_cmpint(esess_pubkey_from_pubkey2(parsed, &back, &info), ==, ESESS_OK);
	g_assert_true(esess_pubkey_equal(back, pk));
	g_assert_cmpstr(info.jid, ==, jid);
	g_assert_cmpint(info.begin, ==, 1767225600);
	g_assert_cmpint(info.end, ==, 1798761600);
	esess_pubkey2_info_clear(&info);
	esess_pubkey_free(back);
	esess_xml_free(parsed);
	esess_xml_free(p2);
	esess_idkey_free(k);
}

/* R22 "Validity": a key is trusted only inside its <begin/>..<end/>
 * period, give or take the stated clock difference; the bounds are
 * inclusive and a far-future <end/> does not overflow. */
static void
test_r22_validity(void)
{
	EsessPubkey2Info info = { NULL, 1767225600, 1798761600 };
	const gint64 skew = ESESS_PUBKEY2_CLOCK_SKEW;

	g_assert_cmpint(skew, ==, 300);
	g_assert_cmpint(esess_pubkey2_info_check_time(&info, 1780000000, skew), ==, ESESS_OK);
	/* not begun: beyond the tolerance refused, within it accepted */
	g_assert_cmpint(esess_pubkey2_info_check_time(&info, info.begin - skew - 1, skew), ==,
			ESESS_ERR_EXPIRED);
	g_assert_cmpint(esess_pubkey2_info_check_time(&info, info.begin - skew, skew), ==,
			ESESS_OK);
	g_assert_cmpint(esess_pubkey2_info_check_time(&info, info.begin - 1, 0), ==,
			ESESS_ERR_EXPIRED);
	g_assert_cmpint(esess_pubkey2_info_check_time(&info, info.begin, 0), ==, ESESS_OK);
	/* ended: the same both ways */
	g_assert_cmpint(esess_pubkey2_info_check_time(&info, info.end + skew + 1, skew), ==,
			ESESS_ERR_EXPIRED);
	g_assert_cmpint(esess_pubkey2_info_check_time(&info, info.end + skew, skew), ==,
			ESESS_OK);
	g_assert_cmpint(esess_pubkey2_info_check_time(&info, info.end + 1, 0), ==,
			ESESS_ERR_EXPIRED);
	g_assert_cmpint(esess_pubkey2_info_check_time(&info, info.end, 0), ==, ESESS_OK);
	/* year 9999 and year 1 do not wrap around */
	info.begin = G_MININT64 + 10;
	info.end = G_MAXINT64 - 10;
	g_assert_cmpint(esess_pubkey2_info_check_time(&info, 0, skew), ==, ESESS_OK);
	g_assert_cmpint(esess_pubkey2_info_check_time(&info, G_MININT64, skew), ==,
			ESESS_OK);
	g_assert_cmpint(esess_pubkey2_info_check_time(&info, G_MAXINT64, skew), ==,
			ESESS_OK);
	info.end = G_MININT64 + 10;
	g_assert_cmpint(esess_pubkey2_info_check_time(&info, G_MAXINT64, skew), ==,
			ESESS_ERR_EXPIRED);
	info.begin = info.end = 253402300799;
	g_assert_cmpint(esess_pubkey2_info_check_time(&info, 1780000000, skew), ==,
			ESESS_ERR_EXPIRED);
}

/* R22 `signs`: the R7 form of the options form without `signs`, signed. */
static void
test_r22_signs(void)
{
	EsessIdKey *k = load_key("idkey-alice.pem");
	g_autofree char *form = vec_get("signs_form"), *canon = vec_get("signs_canon");
	g_autofree char *want = vec_get("signs_value"), *b64 = NULL;
	static const char *const no_signs[] = { "signs", NULL };
	EsessXmlNode *x = parse(form);
	GString *c = g_string_new(NULL);
	guint8 *sig = NULL;
	size_t sig_len;

	esess_form_canon(x, no_signs, c);
	g_assert_cmpstr(c->str, ==, canon);
	g_assert_cmpint(esess_idkey_sign(k, (const guint8 *)c->str, c->len, &sig, &sig_len), ==,
			ESESS_OK);
	b64 = esess_base64_encode(sig, sig_len);
	g_assert_cmpstr(b64, ==, want);
	g_free(sig);
	g_free(b64);
	/* the helpers: the same value, and it verifies (the form as
	 * published, with the vector's value in place of the placeholder) */
	g_assert_cmpint(esess_idkey_sign_form(k, x, &b64), ==, ESESS_OK);
	g_assert_cmpstr(b64, ==, want);
	{
		EsessIdKey *other = load_key("idkey-bob.pem");
		char *pub_form = g_strdup(form), *bad;
		EsessXmlNode *y;

		{
			char *at = strstr(pub_form, "PLACEHOLDER");
			char *full = g_strdup_printf("%.*s%s%s", (int)(at - pub_form), pub_form, want,
						     at + strlen("PLACEHOLDER"));

			g_free(pub_form);
			pub_form = full;
		}
		y = parse(pub_form);
		g_assert_cmpint(esess_pubkey_verify_form(esess_idkey_public(k), y), ==, ESESS_OK);
		/* another key; the placeholder (not a signature) */
		g_assert_cmpint(esess_pubkey_verify_form(esess_idkey_public(other), y), ==,
				ESESS_ERR_SIGNATURE);
		g_assert_cmpint(esess_pubkey_verify_form(esess_idkey_public(k), x), ==,
				ESESS_ERR_SIGNATURE);
		esess_xml_free(y);
		/* a changed expiry, a second signs field, no signs at all */
		bad = g_strdup(pub_form);
		memcpy(strstr(bad, "2026-12-03T18"), "2027", 4);
		y = parse(bad);
		g_assert_cmpint(esess_pubkey_verify_form(esess_idkey_public(k), y), ==,
				ESESS_ERR_SIGNATURE);
		esess_xml_free(y);
		g_free(bad);
		bad = g_strdup_printf("%.*s<field var='signs'><value>%s</value></field></x>",
				      (int)(strlen(pub_form) - 4), pub_form, want);
		y = parse(bad);
		g_assert_cmpint(esess_pubkey_verify_form(esess_idkey_public(k), y), ==,
				ESESS_ERR_SIGNATURE);
		esess_xml_free(y);
		g_free(bad);
		y = parse("<x xmlns='jabber:x:data' type='form'/>");
		g_assert_cmpint(esess_pubkey_verify_form(esess_idkey_public(k), y), ==,
				ESESS_ERR_SIGNATURE);
		esess_xml_free(y);
		g_free(pub_form);
		esess_idkey_free(other);
	}
	g_string_free(c, TRUE);
	esess_xml_free(x);
	esess_idkey_free(k);
}

static void
test_r22_decimal(void)
{
	static const struct {
		const char *hex;
		const char *dec;
	} kat[] = {
		{ "", "0" },
		{ "01", "1" },
		{ "ff", "255" },
		{ "0100", "256" },
		{ "3b9ac9ff", "999999999" },
		{ "3b9aca00", "1000000000" },
		{ "0de0b6b3a7640000", "1000000000000000000" },
		{ "010000000000000000", "18446744073709551616" },
		{ "010001", "65537" },
	};
	guint8 buf[512], *out = NULL;
	size_t i, out_len, len;
	guint round;

	for (i = 0; i < G_N_ELEMENTS(kat); i++) {
		g_autofree guint8 *b = unhex(kat[i].hex, &len);
		g_autofree char *d = esess_decimal_from_bytes(b, len);

		g_assert_cmpstr(d, ==, kat[i].dec);
		g_assert_cmpint(esess_decimal_to_bytes(kat[i].dec, FALSE, 64, &out, &out_len), ==,
				ESESS_OK);
		g_assert_cmpuint(out_len, ==, len);
		g_assert_true(len == 0 || memcmp(out, b, len) == 0);
		g_free(out);
	}
	/* round trips of random values of every length */
	for (round = 1; round <= (under_valgrind() ? 30u : 300u); round++) {
		g_autofree char *d = NULL;

		len = 1 + round % sizeof buf;
		esess_random(buf, len);
		buf[0] |= 1;
		d = esess_decimal_from_bytes(buf, len);
		g_assert_cmpint(esess_decimal_to_bytes(d, FALSE, sizeof buf, &out, &out_len), ==,
				ESESS_OK);
		g_assert_cmpuint(out_len, ==, len);
		g_assert_cmpmem(out, out_len, buf, len);
		g_free(out);
	}
	/* strictness */
	g_assert_cmpint(esess_decimal_to_bytes("", TRUE, 8, &out, &out_len), ==, ESESS_ERR_INTEGER);
	g_assert_cmpint(esess_decimal_to_bytes("007", FALSE, 8, &out, &out_len), ==,
			ESESS_ERR_INTEGER);
	g_assert_cmpint(esess_decimal_to_bytes("-7", FALSE, 8, &out, &out_len), ==,
			ESESS_ERR_INTEGER);
	g_assert_cmpint(esess_decimal_to_bytes("+7", FALSE, 8, &out, &out_len), ==,
			ESESS_ERR_INTEGER);
	g_assert_cmpint(esess_decimal_to_bytes("0x7", FALSE, 8, &out, &out_len), ==,
			ESESS_ERR_INTEGER);
	g_assert_cmpint(esess_decimal_to_bytes("1 2", FALSE, 8, &out, &out_len), ==,
			ESESS_ERR_INTEGER);
	g_assert_cmpint(esess_decimal_to_bytes("\n 1\n2 ", TRUE, 8, &out, &out_len), ==,
			ESESS_OK);
	g_assert_cmpuint(out_len, ==, 1);
	g_assert_cmpuint(out[0], ==, 12);
	g_free(out);
	g_assert_cmpint(esess_decimal_to_bytes("1\xc2\xa0" "2", TRUE, 8, &out, &out_len), ==,
			ESESS_ERR_INTEGER);
	/* 2^64 does not fit in 8 bytes */
	g_assert_cmpint(esess_decimal_to_bytes("18446744073709551616", FALSE, 8, &out, &out_len),
			==, ESESS_ERR_TOO_LARGE);
	g_assert_cmpint(esess_decimal_to_bytes("18446744073709551615", FALSE, 8, &out, &out_len),
			==, ESESS_OK);
	g_assert_cmpuint(out_len, ==, 8);
	g_free(out);
}

/* ---- hostile input ------------------------------------------------------ */

/* pubkey:2 text with the modulus and exponent replaced (print omitted). */
static char *
p2_xml(const char *mod, const char *exp, const char *extra)
{
	return g_strdup_printf("<pubkey xmlns='urn:xmpp:pubkey:2'><begin>2026-01-01T00:00:00Z"
			       "</begin><end>2027-01-01T00:00:00Z</end><jid>a@b</jid><rsakey>"
			       "<modulus>%s</modulus><publicExponent>%s</publicExponent>%s"
			       "</rsakey></pubkey>",
			       mod, exp, extra != NULL ? extra : "");
}

static EsessStatus
p2_status(const char *xml)
{
	EsessXmlNode *n = parse(xml);
	EsessPubKey *pk = NULL;
	EsessStatus r = esess_pubkey_from_pubkey2(n, &pk, NULL);

	g_assert_true((r == ESESS_OK) == (pk != NULL));
	esess_pubkey_free(pk);
	esess_xml_free(n);
	return r;
}

static char *
dec_of(const guint8 *b, size_t len)
{
	return esess_decimal_from_bytes(b, len);
}

static void
test_hostile_pubkey2(void)
{
	g_autofree char *mod = vec_get("modulus_dec"), *want = vec_get("pubkey2_xml");
	guint8 big[1025];
	char *x, *d, *lead;
	GString *huge;

	x = p2_xml(mod, "65537", NULL);
	g_assert_cmpint(p2_status(x), ==, ESESS_OK);
	g_free(x);
	/* folded over lines, as XEP-0189's own example does */
	d = g_strdup_printf("\n  %.*s\n  %s\n", 100, mod, mod + 100);
	x = p2_xml(d, " 65537 ", NULL);
	g_assert_cmpint(p2_status(x), ==, ESESS_OK);
	g_free(x);
	g_free(d);
	/* a leading zero, a sign, a hex prefix, a letter, nothing */
	lead = g_strconcat("0", mod, NULL);
	x = p2_xml(lead, "65537", NULL);
	g_assert_cmpint(p2_status(x), ==, ESESS_ERR_KEY);
	g_free(x);
	g_free(lead);
	x = p2_xml(mod, "065537", NULL);
	g_assert_cmpint(p2_status(x), ==, ESESS_ERR_KEY);
	g_free(x);
	lead = g_strconcat("+", mod, NULL);
	x = p2_xml(lead, "65537", NULL);
	g_assert_cmpint(p2_status(x), ==, ESESS_ERR_KEY);
	g_free(x);
	g_free(lead);
	x = p2_xml(mod, "0x10001", NULL);
	g_assert_cmpint(p2_status(x), ==, ESESS_ERR_KEY);
	g_free(x);
	x = p2_xml("", "65537", NULL);
	g_assert_cmpint(p2_status(x), ==, ESESS_ERR_KEY);
	g_free(x);
	/* exponent sanity: 1, even, 2^32 + 1 */
	x = p2_xml(mod, "1", NULL);
	g_assert_cmpint(p2_status(x), ==, ESESS_ERR_KEY);
	g_free(x);
	x = p2_xml(mod, "65536", NULL);
	g_assert_cmpint(p2_status(x), ==, ESESS_ERR_KEY);
	g_free(x);
	x = p2_xml(mod, "4294967297", NULL);
	g_assert_cmpint(p2_status(x), ==, ESESS_ERR_KEY);
	g_free(x);
	x = p2_xml(mod, "3", NULL);
	g_assert_cmpint(p2_status(x), ==, ESESS_OK);
	g_free(x);
	/* modulus sizes: 2047 bits, 8193 bits, even */
	memset(big, 0xff, sizeof big);
	big[0] = 0x7f;
	d = dec_of(big, 256);   /* 2047 bits */
	x = p2_xml(d, "65537", NULL);
	g_assert_cmpint(p2_status(x), ==, ESESS_ERR_KEY);
	g_free(x);
	g_free(d);
	big[0] = 0x80;
	d = dec_of(big, 256);   /* 2048 bits, odd: accepted as a form */
	x = p2_xml(d, "65537", NULL);
	g_assert_cmpint(p2_status(x), ==, ESESS_OK);
	g_free(x);
	g_free(d);
	big[0] = 0x01;
	d = dec_of(big, 1025);  /* 8193 bits */
	x = p2_xml(d, "65537", NULL);
	g_assert_cmpint(p2_status(x), ==, ESESS_ERR_KEY);
	g_free(x);
	g_free(d);
	big[0] = 0xff;
	big[255] = 0xfe;
	d = dec_of(big, 256);   /* even */
	x = p2_xml(d, "65537", NULL);
	g_assert_cmpint(p2_status(x), ==, ESESS_ERR_KEY);
	g_free(x);
	g_free(d);
	/* 150000 digits (under the XML text limit) are refused without converting them */
	huge = g_string_new("1");
	while (huge->len < 150000)
		g_string_append(huge, "1234567890");
	x = p2_xml(huge->str, "65537", NULL);
	g_assert_cmpint(p2_status(x), ==, ESESS_ERR_KEY);
	g_free(x);
	g_string_free(huge, TRUE);
	/* structure: two moduli, a child inside, a wrong print */
	x = p2_xml(mod, "65537", "<modulus>3</modulus>");
	g_assert_cmpint(p2_status(x), ==, ESESS_ERR_KEY);
	g_free(x);
	d = g_strdup_printf("<b>%s</b>", mod);
	x = p2_xml(d, "65537", NULL);
	g_assert_cmpint(p2_status(x), ==, ESESS_ERR_KEY);
	g_free(x);
	g_free(d);
	x = p2_xml(mod, "65537", "<print>AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=</print>");
	g_assert_cmpint(p2_status(x), ==, ESESS_ERR_KEY);
	g_free(x);
	/* another algorithm's print is not ours to check */
	x = p2_xml(mod, "65537", "<print algo='sha-512'>AA==</print>");
	g_assert_cmpint(p2_status(x), ==, ESESS_OK);
	g_free(x);
	/* the vector with one digit of the print changed */
	d = g_strdup(want);
	*strstr(d, "wjQt") = 'x';
	g_assert_cmpint(p2_status(d), ==, ESESS_ERR_KEY);
	g_free(d);
	/* dates: end before begin, not XEP-0082 */
	d = g_strdup(want);
	memcpy(strstr(d, "<end>2027") + 5, "2025", 4);
	g_assert_cmpint(p2_status(d), ==, ESESS_ERR_KEY);
	g_free(d);
	d = g_strdup(want);
	memcpy(strstr(d, "<begin>2026-01-01T00:00:00Z"), "<begin>2026-W01-1T00:00:00Z", 27);
	g_assert_cmpint(p2_status(d), ==, ESESS_ERR_KEY);
	g_free(d);
	/* the wrong namespace */
	d = g_strdup(want);
	memcpy(strstr(d, "pubkey:2"), "pubkey:1", 8);
	g_assert_cmpint(p2_status(d), ==, ESESS_ERR_KEY);
	g_free(d);
}

static EsessStatus
kv_status(const char *xml)
{
	EsessXmlNode *n = parse(xml);
	EsessPubKey *pk = NULL;
	EsessStatus r = esess_pubkey_from_keyvalue(n, &pk);

	g_assert_true((r == ESESS_OK) == (pk != NULL));
	esess_pubkey_free(pk);
	esess_xml_free(n);
	return r;
}

static char *
kv_xml(const char *mod_b64, const char *exp_b64, const char *extra)
{
	return g_strdup_printf("<KeyValue xmlns='http://www.w3.org/2000/09/xmldsig#'>"
			       "<RSAKeyValue><Modulus>%s</Modulus><Exponent>%s</Exponent>%s"
			       "</RSAKeyValue></KeyValue>",
			       mod_b64, exp_b64, extra != NULL ? extra : "");
}

static void
test_hostile_keyvalue(void)
{
	g_autofree char *mh = vec_get("modulus");
	g_autofree guint8 *n = NULL;
	g_autofree char *b64 = NULL, *b64z = NULL, *wrapped = NULL;
	guint8 *z;
	size_t n_len;
	char *x;

	n = unhex(mh, &n_len);
	b64 = esess_base64_encode(n, n_len);
	x = kv_xml(b64, "AQAB", NULL);
	g_assert_cmpint(kv_status(x), ==, ESESS_OK);
	g_free(x);
	/* a leading zero octet (a signed encoding) is another spelling */
	z = g_malloc0(n_len + 1);
	memcpy(z + 1, n, n_len);
	b64z = esess_base64_encode(z, n_len + 1);
	g_free(z);
	x = kv_xml(b64z, "AQAB", NULL);
	g_assert_cmpint(kv_status(x), ==, ESESS_ERR_KEY);
	g_free(x);
	x = kv_xml(b64, "AAEAAQ==", NULL);
	g_assert_cmpint(kv_status(x), ==, ESESS_ERR_KEY);
	g_free(x);
	/* base64 with a line break, or without its padding */
	wrapped = g_strdup_printf("%.64s\n%s", b64, b64 + 64);
	x = kv_xml(wrapped, "AQAB", NULL);
	g_assert_cmpint(kv_status(x), ==, ESESS_ERR_KEY);
	g_free(x);
	x = kv_xml(b64, "AQAB=", NULL);
	g_assert_cmpint(kv_status(x), ==, ESESS_ERR_KEY);
	g_free(x);
	/* structure */
	x = kv_xml(b64, "AQAB", "<Exponent>AQAB</Exponent>");
	g_assert_cmpint(kv_status(x), ==, ESESS_ERR_KEY);
	g_free(x);
	x = g_strdup_printf("<KeyValue><RSAKeyValue><Exponent>AQAB</Exponent><Modulus>%s"
			    "</Modulus></RSAKeyValue></KeyValue>", b64);
	g_assert_cmpint(kv_status(x), ==, ESESS_ERR_KEY);
	g_free(x);
	x = g_strdup_printf("<KeyValue><RSAKeyValue><Modulus a='1'>%s</Modulus><Exponent>AQAB"
			    "</Exponent></RSAKeyValue></KeyValue>", b64);
	g_assert_cmpint(kv_status(x), ==, ESESS_ERR_KEY);
	g_free(x);
	x = g_strdup_printf("<KeyValue><RSAKeyValue><Modulus>%s</Modulus><Exponent>AQAB"
			    "</Exponent></RSAKeyValue><RSAKeyValue/></KeyValue>", b64);
	g_assert_cmpint(kv_status(x), ==, ESESS_ERR_KEY);
	g_free(x);
	x = g_strdup_printf("<KeyValue>junk<RSAKeyValue><Modulus>%s</Modulus><Exponent>AQAB"
			    "</Exponent></RSAKeyValue></KeyValue>", b64);
	g_assert_cmpint(kv_status(x), ==, ESESS_ERR_KEY);
	g_free(x);
	x = g_strdup_printf("<KeyValue><RSAKeyValue xmlns='urn:other'><Modulus>%s</Modulus>"
			    "<Exponent>AQAB</Exponent></RSAKeyValue></KeyValue>", b64);
	g_assert_cmpint(kv_status(x), ==, ESESS_ERR_KEY);
	g_free(x);
	g_assert_cmpint(kv_status("<KeyValue><DSAKeyValue><P>AQAB</P></DSAKeyValue></KeyValue>"),
			==, ESESS_ERR_KEY);
	/* indentation between elements is fine (an ordinary XML-DSig writer) */
	x = g_strdup_printf("<KeyValue>\n <RSAKeyValue>\n  <Modulus>%s</Modulus>\n  <Exponent>"
			    "AQAB</Exponent>\n </RSAKeyValue>\n</KeyValue>", b64);
	g_assert_cmpint(kv_status(x), ==, ESESS_OK);
	g_free(x);
	/* 1024 bits */
	x = kv_xml("wAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
		   "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAB",
		   "AQAB", NULL);
	g_assert_cmpint(kv_status(x), ==, ESESS_ERR_KEY);
	g_free(x);
}

/* ---- PEM ------------------------------------------------------------------ */

static void
test_pem(void)
{
	EsessIdKey *k = load_key("idkey-alice.pem"), *k2 = NULL;
	char *pem = NULL;
	size_t len;
	gsize elen;
	char *enc = neg_vector_len("idkey-alice-enc.pem", &elen);
	g_autofree char *bad = NULL;
	GString *huge;

	/* plain */
	g_assert_cmpint(esess_idkey_export_pem(k, NULL, &pem, &len), ==, ESESS_OK);
	g_assert_true(g_str_has_prefix(pem, "-----BEGIN PRIVATE KEY-----"));
	g_assert_false(esess_idkey_pem_is_encrypted(pem, len));
	g_assert_cmpint(esess_idkey_import_pem(pem, len, NULL, &k2), ==, ESESS_OK);
	g_assert_true(esess_pubkey_equal(esess_idkey_public(k), esess_idkey_public(k2)));
	esess_idkey_free(k2);
	esess_idkey_pem_free(pem, len);
	/* encrypted by us: no passphrase, a wrong one, the right one */
	if (under_valgrind())
		goto openssl;
	g_assert_cmpint(esess_idkey_export_pem(k, "s3cret phrase", &pem, &len), ==, ESESS_OK);
	g_assert_true(g_str_has_prefix(pem, "-----BEGIN ENCRYPTED PRIVATE KEY-----"));
	g_assert_true(esess_idkey_pem_is_encrypted(pem, len));
	g_assert_cmpint(esess_idkey_import_pem(pem, len, NULL, &k2), ==, ESESS_ERR_KEY_PASSPHRASE);
	g_assert_null(k2);
	g_assert_cmpint(esess_idkey_import_pem(pem, len, "", &k2), ==, ESESS_ERR_KEY_PASSPHRASE);
	g_assert_cmpint(esess_idkey_import_pem(pem, len, "s3cret phrasE", &k2), ==,
			ESESS_ERR_KEY_PASSPHRASE);
	g_assert_null(k2);
	g_assert_cmpint(esess_idkey_import_pem(pem, len, "s3cret phrase", &k2), ==, ESESS_OK);
	g_assert_true(esess_pubkey_equal(esess_idkey_public(k), esess_idkey_public(k2)));
	esess_idkey_free(k2);
	esess_idkey_pem_free(pem, len);
	/* "" means no passphrase */
	g_assert_cmpint(esess_idkey_export_pem(k, "", &pem, &len), ==, ESESS_OK);
	g_assert_false(esess_idkey_pem_is_encrypted(pem, len));
	esess_idkey_pem_free(pem, len);
openssl:
	/* one written by OpenSSL (PBES2, AES-256-CBC) */
	g_assert_true(esess_idkey_pem_is_encrypted(enc, elen));
	g_assert_cmpint(esess_idkey_import_pem(enc, elen, NULL, &k2), ==, ESESS_ERR_KEY_PASSPHRASE);
	g_assert_cmpint(esess_idkey_import_pem(enc, elen, "correct horsE", &k2), ==,
			ESESS_ERR_KEY_PASSPHRASE);
	g_assert_null(k2);
	g_assert_cmpint(esess_idkey_import_pem(enc, elen, "correct horse", &k2), ==, ESESS_OK);
	g_assert_true(esess_pubkey_equal(esess_idkey_public(k), esess_idkey_public(k2)));
	esess_idkey_free(k2);
	/* not a PKCS#8 key; damaged; too large */
	g_assert_cmpint(esess_idkey_import_pem("hello", 5, NULL, &k2), ==, ESESS_ERR_KEY);
	bad = g_strdup("-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----\n");
	g_assert_cmpint(esess_idkey_import_pem(bad, strlen(bad), NULL, &k2), ==, ESESS_ERR_KEY);
	g_free(bad);
	bad = g_strdup("-----BEGIN PRIVATE KEY-----\nMIIBAAAA\n-----END PRIVATE KEY-----\n");
	g_assert_cmpint(esess_idkey_import_pem(bad, strlen(bad), NULL, &k2), ==, ESESS_ERR_KEY);
	huge = g_string_new("-----BEGIN PRIVATE KEY-----\n");
	while (huge->len < 70000)
		g_string_append(huge, "QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFB\n");
	g_assert_cmpint(esess_idkey_import_pem(huge->str, huge->len, NULL, &k2), ==,
			ESESS_ERR_TOO_LARGE);
	g_assert_null(k2);
	g_string_free(huge, TRUE);
	g_free(enc);
	esess_idkey_free(k);
}

/* ---- generation ---------------------------------------------------------- */

static gpointer
gen_thread(gpointer data)
{
	EsessIdKey **out = data;

	g_assert_cmpint(esess_idkey_generate(2048, out), ==, ESESS_OK);
	return NULL;
}

static void
test_generate(void)
{
	EsessIdKey *k[2] = { NULL, NULL }, *bad = NULL;
	GThread *t[2];
	guint8 *sig = NULL;
	size_t sig_len;
	guint i;

	g_assert_cmpint(esess_idkey_generate(1024, &bad), ==, ESESS_ERR_INVALID_ARG);
	g_assert_cmpint(esess_idkey_generate(2049, &bad), ==, ESESS_ERR_INVALID_ARG);
	g_assert_cmpint(esess_idkey_generate(8200, &bad), ==, ESESS_ERR_INVALID_ARG);
	g_assert_null(bad);
	if (under_valgrind()) {
		g_test_skip("RSA generation is left out of memcheck (a minute there)");
		return;
	}
	/* two worker threads at once: no shared state */
	for (i = 0; i < 2; i++)
		t[i] = g_thread_new("idkey-gen", gen_thread, &k[i]);
	for (i = 0; i < 2; i++)
		g_thread_join(t[i]);
	for (i = 0; i < 2; i++) {
		g_assert_nonnull(k[i]);
		g_assert_cmpuint(esess_pubkey_bits(esess_idkey_public(k[i])), ==, 2048);
		g_assert_cmpint(esess_idkey_sign(k[i], (const guint8 *)"x", 1, &sig, &sig_len), ==,
				ESESS_OK);
		g_assert_cmpuint(sig_len, ==, 256);
		g_assert_cmpint(esess_pubkey_verify(esess_idkey_public(k[i]), (const guint8 *)"x",
						    1, sig, sig_len),
				==, ESESS_OK);
		g_free(sig);
	}
	g_assert_false(esess_pubkey_equal(esess_idkey_public(k[0]), esess_idkey_public(k[1])));
	esess_idkey_free(k[0]);
	esess_idkey_free(k[1]);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_assert_cmpint(esess_crypto_init(), ==, ESESS_OK);
	g_test_add_func("/idkey/r21/keyvalue-vector", test_r21_keyvalue);
	g_test_add_func("/idkey/r21/signature-vector", test_r21_signatures);
	g_test_add_func("/idkey/r22/pubkey2-vector", test_r22_pubkey2);
	g_test_add_func("/idkey/r22/validity", test_r22_validity);
	g_test_add_func("/idkey/r22/signs-vector", test_r22_signs);
	g_test_add_func("/idkey/r22/decimal", test_r22_decimal);
	g_test_add_func("/idkey/security/29-hostile-pubkey2", test_hostile_pubkey2);
	g_test_add_func("/idkey/security/29-hostile-keyvalue", test_hostile_keyvalue);
	g_test_add_func("/idkey/pem", test_pem);
	g_test_add_func("/idkey/generate", test_generate);
	return g_test_run();
}
