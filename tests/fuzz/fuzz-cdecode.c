/* fuzz-cdecode: bytes -> esess_session_decrypt_text with a fresh session of
 * fixed keys per input (SECURITY 34-45, 49, 60).  The first byte selects a
 * mode so the fuzzer also gets past the MAC:
 *   bit 0  the session has a DH key pair (re-keying on, <key/> reachable)
 *   bit 1  the harness replaces <mac/> by the right MAC for what it sends
 *   bit 2  the harness encrypts <data/>'s text first (then bit 1 applies),
 *          so the payload parser is reached with chosen plaintext
 * The rest is the <c/> element.  Keys and counter are those of
 * tests/vectors/session-kat.txt, so that vector is a valid mode-0 input. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "esess-bytes.h"
#include "esess-crypto.h"
#include "esess-session.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const guint8 counter[16] = { 0x8f, 0x7e, 0x6d, 0x5c, 0x4b, 0x3a, 0x29, 0x18,
				    0x07, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01, 0x00 };

static void
peer_keys(guint8 kc[32], guint8 km[32])
{
	guint i;

	for (i = 0; i < 32; i++) {
		kc[i] = (guint8)i;
		km[i] = (guint8)(0x20 + i);
	}
}

/* mode bits 1/2: rewrite the element so it verifies */
static char *
fix_up(const char *xml, size_t len, gboolean encrypt_data, size_t *out_len)
{
	EsessXmlNode *c = NULL, *n, *next, *d;
	guint8 kc[32], km[32], mac[32];
	GString *content, *out;
	EsessCtr *ctr = NULL;

	if (esess_xml_parse(xml, len, NULL, &c) != ESESS_OK)
		return NULL;
	peer_keys(kc, km);
	d = esess_xml_child(c, "data", ESESS_NS_C);
	if (encrypt_data && d != NULL && !esess_xml_has_elements(d)) {
		char *t = esess_xml_text(d);
		size_t tl = strlen(t);
		GString *b64 = g_string_new(NULL);

		if (esess_ctr_new(kc, 32, counter, &ctr) != ESESS_OK ||
		    esess_ctr_crypt(ctr, (guint8 *)t, (guint8 *)t, tl) != ESESS_OK)
			abort();
		esess_ctr_free(ctr);
		esess_base64_append(b64, (const guint8 *)t, tl);
		while (d->first_child != NULL) {
			n = d->first_child;
			esess_xml_unlink(n);
			esess_xml_free(n);
		}
		esess_xml_add_text(d, b64->str, (gssize)b64->len);
		g_string_free(b64, TRUE);
		g_free(t);
	}
	for (n = c->first_child; n != NULL; n = next) {
		next = n->next;
		if (esess_xml_is(n, "mac", NULL)) {
			esess_xml_unlink(n);
			esess_xml_free(n);
		}
	}
	content = g_string_new(NULL);
	for (n = c->first_child; n != NULL; n = n->next)
		if (n->kind == ESESS_XML_ELEMENT)
			esess_xml_canon(content, n);
	g_string_append_len(content, (const char *)counter, 16);
	if (esess_hmac_sha256(km, 32, content->str, content->len, mac) != ESESS_OK)
		abort();
	g_string_truncate(content, 0);
	esess_base64_append(content, mac, 32);
	esess_xml_add_text_child(c, "mac", content->str);
	g_string_free(content, TRUE);
	out = g_string_new(NULL);
	esess_xml_write(out, c, NULL);
	esess_xml_free(c);
	*out_len = out->len;
	return g_string_free(out, FALSE);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static gboolean init;
	EsessSessionParams p;
	EsessSecret *kc, *km, *okc, *okm;
	EsessSession *s = NULL;
	EsessXmlNode *pl = NULL;
	char *plain = NULL, *fixed = NULL;
	size_t plain_len = 0, len;
	guint8 k1[32], k2[32], x[32];
	const char *xml;
	EsessStatus r;
	guint mode;

	if (!init) {
		if (esess_crypto_init() != ESESS_OK)
			abort();
		init = TRUE;
	}
	if (size < 1)
		return 0;
	mode = data[0];
	xml = (const char *)data + 1;
	len = size - 1;
	if (mode & 6) {
		fixed = fix_up(xml, len, (mode & 4) != 0, &len);
		if (fixed == NULL)
			return 0;
		xml = fixed;
	}
	peer_keys(k1, k2);
	kc = esess_secret_new_from(k1, 32);
	km = esess_secret_new_from(k2, 32);
	memset(k1, 0x55, 32);
	memset(k2, 0x66, 32);
	okc = esess_secret_new_from(k1, 32);
	okm = esess_secret_new_from(k2, 32);
	memset(&p, 0, sizeof(p));
	p.own_cipher_key = okc;
	p.own_mac_key = okm;
	p.peer_cipher_key = kc;
	p.peer_mac_key = km;
	memcpy(p.peer_counter, counter, 16);
	esess_counter_flip_top(counter, p.own_counter);
	p.group = 14;
	p.rekey_freq = 1;
	if (mode & 1) {
		/* the peer's public value is 2^x for another fixed x */
		memset(x, 0xa5, sizeof(x));
		if (esess_dh_key_from_private(14, x, sizeof(x), &p.own_dh) != ESESS_OK)
			abort();
		memset(k1, 0, sizeof(k1));
		k1[0] = 2;
		p.peer_public = k1;
		p.peer_public_len = 1;
	}
	if (esess_session_new(&p, &s) != ESESS_OK)
		abort();
	r = esess_session_decrypt_text(s, xml, len, &pl, &plain, &plain_len);
	if (r != ESESS_OK) {
		if (pl != NULL || plain != NULL || !esess_session_is_ended(s) ||
		    !esess_session_keys_wiped(s))
			abort();
	} else {
		/* what came out is valid UTF-8 and a synthetic payload */
		if (plain != NULL && esess_utf8_check(plain, plain_len) != ESESS_OK)
			abort();
		if (pl != NULL && !esess_xml_is(pl, "payload", ESESS_NS_CLIENT))
			abort();
		/* the same stanza again is a replay: refused, session over */
		esess_xml_free(pl);
		pl = NULL;
		if (esess_session_decrypt_text(s, xml, len, &pl, NULL, NULL) == ESESS_OK ||
		    pl != NULL || !esess_session_is_ended(s))
			abort();
	}
	esess_xml_free(pl);
	esess_free_wiped(plain, plain_len);
	esess_session_free(s);
	esess_secret_free(kc);
	esess_secret_free(km);
	esess_secret_free(okc);
	esess_secret_free(okm);
	g_free(fixed);
	return 0;
}
