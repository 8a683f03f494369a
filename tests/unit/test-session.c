/* test-session: XEP-0200 stanza encryption (esess-session) with two sessions
 * in memory wired as the two directions: A's own keys and counter are B's
 * peer keys and counter, C_B = C_A XOR 2^127 (INTEROP R5).
 *
 * SECURITY items 46-48 (groupchat, wrong full JID, carbons/forwards, a <c/>
 * in another namespace or prefixed at the stanza level, two <c/> in one
 * stanza) are checked before a <c/> reaches this module, by the negotiation
 * engine's esess_msg_inspect (esess-msg.c), and are tested there. */
#include "config.h"

#include <string.h>

#include <gcrypt.h>

#include "esess-bytes.h"
#include "esess-crypto.h"
#include "esess-modp.h"
#include "esess-session.h"

#define GROUP 14u

typedef struct {
	EsessSession *a, *b;
	guint8 kc_a[32], km_a[32], kc_b[32], km_b[32];
	guint8 c_a[16], c_b[16];
	guint8 *pub_a, *pub_b; /* DH publics when re-keying is on */
	size_t pub_a_len, pub_b_len;
} Pair;

static void
fill(guint8 *k, size_t n, guint8 seed)
{
	size_t i;

	for (i = 0; i < n; i++)
		k[i] = (guint8)(seed + i * 7);
}

static EsessDhKey *
dh_key(guint8 seed)
{
	guint8 x[32];
	EsessDhKey *k = NULL;

	fill(x, sizeof(x), seed);
	x[0] = 0xA0 | (seed & 0x0f);
	g_assert_cmpint(esess_dh_key_from_private(GROUP, x, sizeof(x), &k), ==, ESESS_OK);
	return k;
}

/* ca NULL: a fixed counter.  rekey_freq 0 with dh TRUE still wires DH keys. */
static void
pair_init(Pair *p, const guint8 *ca, gboolean dh, guint64 freq_a, guint64 freq_b)
{
	EsessSessionParams pa, pb;
	EsessSecret *kca, *kma, *kcb, *kmb;
	EsessDhKey *da = NULL, *db = NULL;
	const guint8 *pub;

	memset(p, 0, sizeof(*p));
	fill(p->kc_a, 32, 0x11);
	fill(p->km_a, 32, 0x22);
	fill(p->kc_b, 32, 0x33);
	fill(p->km_b, 32, 0x44);
	if (ca != NULL)
		memcpy(p->c_a, ca, 16);
	else
		fill(p->c_a, 16, 0x5a);
	esess_counter_flip_top(p->c_a, p->c_b);
	kca = esess_secret_new_from(p->kc_a, 32);
	kma = esess_secret_new_from(p->km_a, 32);
	kcb = esess_secret_new_from(p->kc_b, 32);
	kmb = esess_secret_new_from(p->km_b, 32);
	if (dh) {
		da = dh_key(0x61);
		db = dh_key(0x72);
		pub = esess_dh_key_public(da, &p->pub_a_len);
		p->pub_a = g_memdup2(pub, p->pub_a_len);
		pub = esess_dh_key_public(db, &p->pub_b_len);
		p->pub_b = g_memdup2(pub, p->pub_b_len);
	}
	memset(&pa, 0, sizeof(pa));
	pa.own_cipher_key = kca;
	pa.own_mac_key = kma;
	pa.peer_cipher_key = kcb;
	pa.peer_mac_key = kmb;
	memcpy(pa.own_counter, p->c_a, 16);
	memcpy(pa.peer_counter, p->c_b, 16);
	pa.group = GROUP;
	pa.own_dh = da;
	pa.peer_public = p->pub_b;
	pa.peer_public_len = p->pub_b_len;
	pa.rekey_freq = freq_a;
	pb = pa;
	pb.own_cipher_key = kcb;
	pb.own_mac_key = kmb;
	pb.peer_cipher_key = kca;
	pb.peer_mac_key = kma;
	memcpy(pb.own_counter, p->c_b, 16);
	memcpy(pb.peer_counter, p->c_a, 16);
	pb.own_dh = db;
	pb.peer_public = p->pub_a;
	pb.peer_public_len = p->pub_a_len;
	pb.rekey_freq = freq_b;
	g_assert_cmpint(esess_session_new(&pa, &p->a), ==, ESESS_OK);
	g_assert_cmpint(esess_session_new(&pb, &p->b), ==, ESESS_OK);
	esess_secret_free(kca);
	esess_secret_free(kma);
	esess_secret_free(kcb);
	esess_secret_free(kmb);
}

static void
pair_clear(Pair *p)
{
	esess_session_free(p->a);
	esess_session_free(p->b);
	g_free(p->pub_a);
	g_free(p->pub_b);
	memset(p, 0, sizeof(*p));
}

static char *
enc(EsessSession *s, const char *payload, size_t len)
{
	GString *out = g_string_new(NULL);

	g_assert_cmpint(esess_session_encrypt(s, payload, len, out), ==, ESESS_OK);
	return g_string_free(out, FALSE);
}

/* from encrypts, to decrypts; the plaintext (without padding) comes back */
static void
roundtrip(EsessSession *from, EsessSession *to, const char *payload, size_t len)
{
	char *c = enc(from, payload, len);
	EsessXmlNode *pl = NULL;
	char *plain = NULL;
	size_t plain_len = 0;
	guint8 own[16], peer[16], o2[16], p2[16];

	g_assert_cmpint(esess_session_decrypt_text(to, c, strlen(c), &pl, &plain, &plain_len), ==,
			ESESS_OK);
	/* trailing spaces of the payload are indistinguishable from padding */
	while (len > 0 && payload[len - 1] == ' ')
		len--;
	g_assert_cmpuint(plain_len, ==, len);
	if (len > 0) {
		g_assert_nonnull(plain);
		g_assert_true(memcmp(plain, payload, len) == 0);
		g_assert_nonnull(pl);
		g_assert_true(esess_xml_is(pl, "payload", ESESS_NS_CLIENT));
	} else {
		g_assert_null(plain);
		g_assert_null(pl);
	}
	esess_session_counters(from, own, peer);
	esess_session_counters(to, o2, p2);
	g_assert_true(memcmp(own, p2, 16) == 0);
	esess_free_wiped(plain, plain_len);
	esess_xml_free(pl);
	g_free(c);
}

static void
assert_ended(EsessSession *s)
{
	GString *out = g_string_new(NULL);
	EsessXmlNode *pl = (EsessXmlNode *)0x1;

	g_assert_true(esess_session_is_ended(s));
	g_assert_true(esess_session_keys_wiped(s));
	g_assert_cmpint(esess_session_encrypt(s, "x", 1, out), ==, ESESS_ERR_SESSION_ENDED);
	g_assert_cmpuint(out->len, ==, 0);
	g_assert_cmpint(esess_session_decrypt_text(s, "<c/>", 4, &pl, NULL, NULL), ==,
			ESESS_ERR_SESSION_ENDED);
	g_assert_null(pl);
	g_assert_cmpint(esess_session_rekey(s), ==, ESESS_ERR_SESSION_ENDED);
	g_assert_cmpint(esess_session_skip_blocks_for_test(s, TRUE, 1), ==,
			ESESS_ERR_SESSION_ENDED);
	g_assert_false(esess_session_needs_rekey(s));
	g_string_free(out, TRUE);
}

/* B must refuse c with exactly want, end, wipe, and hand out nothing */
static void
expect_fail(EsessSession *b, const char *c, EsessStatus want)
{
	EsessXmlNode *pl = (EsessXmlNode *)0x1;
	char *plain = (char *)0x1;
	size_t plain_len = 99;
	EsessStatus r;

	g_assert_false(esess_session_is_ended(b));
	r = esess_session_decrypt_text(b, c, strlen(c), &pl, &plain, &plain_len);
	g_assert_cmpstr(esess_status_symbol(r), ==, esess_status_symbol(want));
	g_assert_null(pl);
	g_assert_null(plain);
	g_assert_cmpuint(plain_len, ==, 0);
	assert_ended(b);
}

static void
expect_ok(EsessSession *b, const char *c, EsessXmlNode **pl_out)
{
	EsessXmlNode *pl = NULL;

	g_assert_cmpstr(esess_status_symbol(esess_session_decrypt_text(b, c, strlen(c), &pl, NULL,
									NULL)),
			==, "ESESS_OK");
	if (pl_out != NULL)
		*pl_out = pl;
	else
		esess_xml_free(pl);
}

/* A <c/> whose MAC is right for B (KM_A over content || C16 at B's current
 * peer counter): content is sent as written, MACed as mac_content (its R7
 * form). */
static char *
forge(EsessSession *b, const guint8 *km, const char *content, const char *mac_content)
{
	guint8 own[16], peer[16], mac[32];
	GString *m = g_string_new(mac_content != NULL ? mac_content : content);
	GString *out = g_string_new("<c xmlns='" ESESS_NS_C "'>");

	esess_session_counters(b, own, peer);
	g_string_append_len(m, (const char *)peer, 16);
	g_assert_cmpint(esess_hmac_sha256(km, 32, m->str, m->len, mac), ==, ESESS_OK);
	g_string_append(out, content);
	g_string_append(out, "<mac>");
	esess_base64_append(out, mac, 32);
	g_string_append(out, "</mac></c>");
	g_string_free(m, TRUE);
	return g_string_free(out, FALSE);
}

/* "<data>B64</data>" of payload encrypted under key at B's peer counter,
 * made with a separate EsessCtr (the sender side, by hand) */
static char *
forge_data(EsessSession *b, const guint8 *kc, const char *payload, size_t len)
{
	guint8 own[16], peer[16];
	EsessCtr *ctr = NULL;
	guint8 *buf = g_malloc0(len + 1);
	GString *out = g_string_new("<data>");

	esess_session_counters(b, own, peer);
	g_assert_cmpint(esess_ctr_new(kc, 32, peer, &ctr), ==, ESESS_OK);
	memcpy(buf, payload, len);
	g_assert_cmpint(esess_ctr_crypt(ctr, buf, buf, len), ==, ESESS_OK);
	esess_base64_append(out, buf, len);
	g_string_append(out, "</data>");
	esess_ctr_free(ctr);
	g_free(buf);
	return g_string_free(out, FALSE);
}

/* ---- round trips ------------------------------------------------------- */

static void
make_payload(char *buf, size_t n, size_t salt)
{
	size_t i;

	if (n >= 13) {
		memcpy(buf, "<body>", 6);
		for (i = 6; i < n - 7; i++)
			buf[i] = (char)('a' + (i + salt) % 26);
		memcpy(buf + n - 7, "</body>", 7);
	} else {
		for (i = 0; i < n; i++)
			buf[i] = (char)('A' + (i + salt) % 26);
	}
}

static void
test_roundtrip_sizes(void)
{
	Pair p;
	char *buf = g_malloc(70001);
	size_t n;
	guint8 own[16], peer[16], expect[16];
	guint64 blocks = 0;
	int i;

	pair_init(&p, NULL, FALSE, 0, 0);
	for (n = 0; n <= 1100; n++) {
		make_payload(buf, n, n);
		/* alternate directions so both keys and counters are exercised */
		roundtrip(n % 2 ? p.a : p.b, n % 2 ? p.b : p.a, buf, n);
	}
	for (n = 1101; n <= 70000; n += n / 7) {
		make_payload(buf, n, n);
		roundtrip(p.a, p.b, buf, n);
	}
	{
		static const size_t edge[] = { 4095, 4096, 4097, 65535, 65536, 65537, 69999, 70000 };

		for (i = 0; i < (int)G_N_ELEMENTS(edge); i++) {
			make_payload(buf, edge[i], 3);
			roundtrip(p.b, p.a, buf, edge[i]);
		}
	}
	g_assert_cmpuint(esess_session_sent(p.a) + esess_session_sent(p.b), ==,
			 esess_session_received(p.a) + esess_session_received(p.b));
	pair_clear(&p);

	/* counter arithmetic: every stanza moves C by its padded blocks, an
	 * empty one by 1 (R5, XEP-0200 §Encrypting) */
	pair_init(&p, NULL, FALSE, 0, 0);
	for (n = 0; n <= 40; n++) {
		make_payload(buf, n, 0);
		roundtrip(p.a, p.b, buf, n);
		blocks += n == 0 ? 1 : (n + 15) / 16;
	}
	esess_session_counters(p.a, own, peer);
	memcpy(expect, p.c_a, 16);
	for (i = 15; i >= 0 && blocks > 0; i--) {
		guint v = expect[i] + (guint)(blocks & 0xff);

		expect[i] = (guint8)v;
		blocks = (blocks >> 8) + (v >> 8);
	}
	g_assert_true(memcmp(own, expect, 16) == 0);
	g_assert_true(memcmp(peer, p.c_b, 16) == 0);
	pair_clear(&p);
	g_free(buf);
}

static void
test_roundtrip_content(void)
{
	static const char *payloads[] = {
		"<body>Gr\xc3\xbc\xc3\x9f Gott, \xe4\xbd\xa0\xe5\xa5\xbd, \xf0\x9f\x98\x80</body>",
		"<body>Hello, Bob!</body><active xmlns='http://jabber.org/protocol/chatstates'/>",
		"<body>bold</body><html xmlns='http://jabber.org/protocol/xhtml-im'>"
		"<body xmlns='http://www.w3.org/1999/xhtml'><p>a <strong>bold</strong> "
		"<a href='http://x/?a=1&amp;b=2'>link</a></p></body></html>"
		"<request xmlns='urn:xmpp:receipts'/>",
		"<body>trailing spaces inside are kept   </body>",
		"<body xml:lang='de'>\xc3\xa9\xc3\xa8</body>",
	};
	Pair p;
	EsessXmlNode *pl = NULL, *html;
	char *c, *t;
	guint i;

	pair_init(&p, NULL, FALSE, 0, 0);
	for (i = 0; i < G_N_ELEMENTS(payloads); i++)
		roundtrip(p.a, p.b, payloads[i], strlen(payloads[i]));
	c = enc(p.a, payloads[2], strlen(payloads[2]));
	expect_ok(p.b, c, &pl);
	html = esess_xml_child(pl, "html", "http://jabber.org/protocol/xhtml-im");
	g_assert_nonnull(html);
	g_assert_nonnull(esess_xml_child(html, "body", "http://www.w3.org/1999/xhtml"));
	g_assert_nonnull(esess_xml_child(pl, "request", "urn:xmpp:receipts"));
	t = esess_xml_text(esess_xml_child(pl, "body", ESESS_NS_CLIENT));
	g_assert_cmpstr(t, ==, "bold");
	g_free(t);
	esess_xml_free(pl);
	g_free(c);
	/* the wire form: data then mac, in the exact namespace */
	c = enc(p.a, "<body>x</body>", 14);
	g_assert_true(g_str_has_prefix(c, "<c xmlns='http://www.xmpp.org/extensions/xep-0200.html#ns'>"
					  "<data>"));
	g_assert_true(strstr(c, "</data><mac>") != NULL);
	g_assert_true(g_str_has_suffix(c, "</mac></c>"));
	g_free(c);
	/* an empty stanza: no <data/>, counter + 1 */
	c = enc(p.a, NULL, 0);
	g_assert_true(strstr(c, "<data") == NULL);
	g_free(c);
	pair_clear(&p);
}

/* ---- known answer ------------------------------------------------------ */

static GHashTable *
read_kv(const char *file)
{
	const char *dir = g_getenv("ESESS_VECTORS");
	char *path, *contents = NULL, **lines;
	GHashTable *h = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	guint i;

	g_assert_nonnull(dir);
	path = g_build_filename(dir, file, NULL);
	g_assert_true(g_file_get_contents(path, &contents, NULL, NULL));
	lines = g_strsplit(contents, "\n", -1);
	for (i = 0; lines[i] != NULL; i++) {
		char *eq = strchr(lines[i], '=');

		if (lines[i][0] == '#' || eq == NULL)
			continue;
		g_hash_table_insert(h, g_strndup(lines[i], eq - lines[i]), g_strdup(eq + 1));
	}
	g_strfreev(lines);
	g_free(contents);
	g_free(path);
	return h;
}

static void
unhex(const char *s, guint8 *out, size_t n)
{
	size_t i;

	g_assert_cmpuint(strlen(s), ==, 2 * n);
	for (i = 0; i < n; i++)
		out[i] = (guint8)((g_ascii_xdigit_value(s[2 * i]) << 4) |
				  g_ascii_xdigit_value(s[2 * i + 1]));
}

static void
test_kat(void)
{
	GHashTable *h = read_kv("session-kat.txt");
	EsessSessionParams pa;
	EsessSecret *kc, *km, *pkc, *pkm;
	EsessSession *s = NULL, *r = NULL;
	guint8 kcb[32], kmb[32], ctr[16], mac[32], want_mac[32], blk[16], ks[16];
	const char *payload = g_hash_table_lookup(h, "payload");
	const char *want = g_hash_table_lookup(h, "c");
	EsessXmlNode *c = NULL, *pl = NULL;
	char *got, *dtext, *mtext;
	guint8 *data = NULL;
	size_t data_len = 0, i, padded;
	GString *msg;
	gcry_cipher_hd_t aes;

	g_assert_nonnull(payload);
	g_assert_nonnull(want);
	unhex(g_hash_table_lookup(h, "kc"), kcb, 32);
	unhex(g_hash_table_lookup(h, "km"), kmb, 32);
	unhex(g_hash_table_lookup(h, "counter"), ctr, 16);
	kc = esess_secret_new_from(kcb, 32);
	km = esess_secret_new_from(kmb, 32);
	pkc = esess_secret_new(32);
	pkm = esess_secret_new(32);
	memset(&pa, 0, sizeof(pa));
	pa.own_cipher_key = kc;
	pa.own_mac_key = km;
	pa.peer_cipher_key = pkc;
	pa.peer_mac_key = pkm;
	memcpy(pa.own_counter, ctr, 16);
	esess_counter_flip_top(ctr, pa.peer_counter);
	g_assert_cmpint(esess_session_new(&pa, &s), ==, ESESS_OK);
	got = enc(s, payload, strlen(payload));
	g_test_message("kat c=%s", got);
	g_assert_cmpstr(got, ==, want);

	/* independently of esess-session: the MAC with esess_hmac_sha256 over
	 * "<data>B64</data>" || C16, and the data with raw AES-256 on C+1... */
	g_assert_cmpint(esess_xml_parse(want, strlen(want), NULL, &c), ==, ESESS_OK);
	dtext = esess_xml_text(esess_xml_child(c, "data", ESESS_NS_C));
	mtext = esess_xml_text(esess_xml_child(c, "mac", ESESS_NS_C));
	g_assert_cmpint(esess_base64_decode_exact(mtext, strlen(mtext), mac, 32), ==, ESESS_OK);
	msg = g_string_new("<data>");
	g_string_append(msg, dtext);
	g_string_append(msg, "</data>");
	g_string_append_len(msg, (const char *)ctr, 16);
	g_assert_cmpint(esess_hmac_sha256(kmb, 32, msg->str, msg->len, want_mac), ==, ESESS_OK);
	g_assert_true(memcmp(mac, want_mac, 32) == 0);
	g_assert_cmpint(esess_base64_decode(dtext, strlen(dtext), 1 << 20, &data, &data_len), ==,
			ESESS_OK);
	padded = (strlen(payload) + 15) / 16 * 16;
	g_assert_cmpuint(data_len, ==, padded);
	g_assert_cmpint(gcry_cipher_open(&aes, GCRY_CIPHER_AES256, GCRY_CIPHER_MODE_ECB, 0), ==, 0);
	g_assert_cmpint(gcry_cipher_setkey(aes, kcb, 32), ==, 0);
	memcpy(blk, ctr, 16);
	for (i = 0; i < data_len; i++) {
		if (i % 16 == 0) {
			int j;

			for (j = 15; j >= 0; j--)
				if (++blk[j] != 0)
					break;
			g_assert_cmpint(gcry_cipher_encrypt(aes, ks, 16, blk, 16), ==, 0);
		}
		data[i] ^= ks[i % 16];
	}
	gcry_cipher_close(aes);
	g_assert_true(memcmp(data, payload, strlen(payload)) == 0);
	for (i = strlen(payload); i < data_len; i++)
		g_assert_cmpint(data[i], ==, ' ');

	/* ...and a receiving session with the same keys decrypts it */
	pa.own_cipher_key = pkc;
	pa.own_mac_key = pkm;
	pa.peer_cipher_key = kc;
	pa.peer_mac_key = km;
	memcpy(pa.peer_counter, ctr, 16);
	esess_counter_flip_top(ctr, pa.own_counter);
	g_assert_cmpint(esess_session_new(&pa, &r), ==, ESESS_OK);
	expect_ok(r, want, &pl);
	g_assert_nonnull(esess_xml_child(pl, "body", ESESS_NS_CLIENT));
	esess_xml_free(pl);

	g_free(data);
	g_string_free(msg, TRUE);
	g_free(dtext);
	g_free(mtext);
	esess_xml_free(c);
	g_free(got);
	esess_session_free(s);
	esess_session_free(r);
	esess_secret_free(kc);
	esess_secret_free(km);
	esess_secret_free(pkc);
	esess_secret_free(pkm);
	g_hash_table_unref(h);
}

/* INTEROP R6: the MPI form of C (Gajim) is accepted as well as 16 bytes */
static void
test_mpi_counter(void)
{
	guint8 ca[16] = { 0x00, 0x00, 0x7f, 0x01, 0x02, 0x03, 0x04, 0x05,
			  0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d };
	guint8 own[16], peer[16], mac[32];
	Pair p;
	char *d, *c;
	GString *m, *out;
	size_t skip;

	pair_init(&p, ca, FALSE, 0, 0);
	roundtrip(p.a, p.b, "<body>16-byte form</body>", 25);
	/* A's own counter now still starts with two zero octets */
	esess_session_counters(p.b, own, peer);
	g_assert_cmpint(peer[0], ==, 0);
	g_assert_cmpint(peer[1], ==, 0);
	skip = esess_mpi_strip(peer, 16);
	g_assert_cmpuint(skip, ==, 2);
	/* a Gajim-style stanza: MAC over data || MPI(C) */
	d = forge_data(p.b, p.kc_a, "<body>mpi form!</body>          ", 32);
	m = g_string_new(d);
	g_string_append_len(m, (const char *)peer + skip, 16 - skip);
	g_assert_cmpint(esess_hmac_sha256(p.km_a, 32, m->str, m->len, mac), ==, ESESS_OK);
	out = g_string_new("<c xmlns='" ESESS_NS_C "'>");
	g_string_append(out, d);
	g_string_append(out, "<mac>");
	esess_base64_append(out, mac, 32);
	g_string_append(out, "</mac></c>");
	expect_ok(p.b, out->str, NULL);
	g_assert_cmpuint(esess_session_received(p.b), ==, 2);
	g_string_free(out, TRUE);
	g_string_free(m, TRUE);
	g_free(d);

	/* a counter stripped one octet too far is no valid form */
	esess_session_counters(p.b, own, peer);
	d = forge_data(p.b, p.kc_a, "<body>x</body>  ", 16);
	m = g_string_new(d);
	g_string_append_len(m, (const char *)peer + 3, 13);
	g_assert_cmpint(esess_hmac_sha256(p.km_a, 32, m->str, m->len, mac), ==, ESESS_OK);
	{
		char *m64 = esess_base64_encode(mac, 32);

		c = g_strdup_printf("<c xmlns='" ESESS_NS_C "'>%s<mac>%s</mac></c>", d, m64);
		g_free(m64);
	}
	expect_fail(p.b, c, ESESS_ERR_MAC);
	g_free(c);
	g_string_free(m, TRUE);
	g_free(d);
	pair_clear(&p);
}

/* INTEROP R14: we never send a partial last block, but accept one; it counts
 * as one counter step (R5) */
static void
test_partial_block(void)
{
	Pair p;
	char *d, *c;
	guint8 own[16], before[16], after[16];
	EsessXmlNode *pl = NULL;

	pair_init(&p, NULL, FALSE, 0, 0);
	esess_session_counters(p.b, own, before);
	d = forge_data(p.b, p.kc_a, "<body>twenty</body>!", 20);
	c = forge(p.b, p.km_a, d, NULL);
	expect_ok(p.b, c, &pl);
	g_assert_nonnull(esess_xml_child(pl, "body", ESESS_NS_CLIENT));
	g_assert_cmpstr(pl->last_child->text, ==, "!");
	esess_session_counters(p.b, own, after);
	g_assert_cmpint(after[15], ==, (guint8)(before[15] + 2));
	esess_xml_free(pl);
	g_free(c);
	g_free(d);
	pair_clear(&p);
}

/* ---- SECURITY items ------------------------------------------------------ */

static char *
replace_between(const char *s, const char *open, const char *close, const char *with)
{
	const char *a = strstr(s, open), *b;

	g_assert_nonnull(a);
	a += strlen(open);
	b = strstr(a, close);
	g_assert_nonnull(b);
	return g_strdup_printf("%.*s%s%s", (int)(a - s), s, with, b);
}

static char *
between(const char *s, const char *open, const char *close)
{
	const char *a = strstr(s, open), *b;

	g_assert_nonnull(a);
	a += strlen(open);
	b = strstr(a, close);
	return g_strndup(a, b - a);
}

static void
test_sec_34_bit_flip(void)
{
	Pair p;
	char *c, *d, *m, *bad, *enc_t;
	guint8 *raw = NULL;
	size_t raw_len = 0, pos;
	guint bit;

	/* one bit in the ciphertext, at several places, every bit of a byte */
	for (pos = 0; pos < 48; pos += 13) {
		for (bit = 0; bit < 8; bit += 3) {
			pair_init(&p, NULL, FALSE, 0, 0);
			c = enc(p.a, "<body>attack at dawn, not at dusk!</body>", 41);
			d = between(c, "<data>", "</data>");
			g_assert_cmpint(esess_base64_decode(d, strlen(d), 1024, &raw, &raw_len), ==,
					ESESS_OK);
			raw[pos] ^= (guint8)(1u << bit);
			enc_t = esess_base64_encode(raw, raw_len);
			bad = replace_between(c, "<data>", "</data>", enc_t);
			expect_fail(p.b, bad, ESESS_ERR_MAC);
			g_free(raw);
			g_free(enc_t);
			g_free(bad);
			g_free(d);
			g_free(c);
			pair_clear(&p);
		}
	}
	/* one bit in the MAC, first and last byte */
	for (pos = 0; pos < 32; pos += 31) {
		pair_init(&p, NULL, FALSE, 0, 0);
		c = enc(p.a, "<body>hi</body>", 15);
		m = between(c, "<mac>", "</mac>");
		g_assert_cmpint(esess_base64_decode(m, strlen(m), 64, &raw, &raw_len), ==, ESESS_OK);
		raw[pos] ^= 0x80;
		enc_t = esess_base64_encode(raw, raw_len);
		bad = replace_between(c, "<mac>", "</mac>", enc_t);
		expect_fail(p.b, bad, ESESS_ERR_MAC);
		g_free(raw);
		g_free(enc_t);
		g_free(bad);
		g_free(m);
		g_free(c);
		pair_clear(&p);
	}
	/* every byte of a stanza changed, one at a time: never accepted
	 * (doc/hacking.md: tamper with every byte of every message) */
	pair_init(&p, NULL, FALSE, 0, 0);
	c = enc(p.a, "<body>x</body>", 14);
	pair_clear(&p);
	for (pos = 0; c[pos] != '\0'; pos++) {
		EsessXmlNode *pl = NULL;
		char *t = g_strdup(c);

		pair_init(&p, NULL, FALSE, 0, 0);
		g_free(enc(p.a, "<body>x</body>", 14));
		t[pos] ^= 0x01;
		g_assert_cmpint(esess_session_decrypt_text(p.b, t, strlen(t), &pl, NULL, NULL), !=,
				ESESS_OK);
		g_assert_null(pl);
		assert_ended(p.b);
		g_free(t);
		pair_clear(&p);
	}
	g_free(c);
}

static void
test_sec_35_truncated_mac(void)
{
	Pair p;
	char *c, *m, *bad, *t;
	guint8 raw[32];
	size_t k;

	for (k = 1; k <= 31; k++) {
		pair_init(&p, NULL, FALSE, 0, 0);
		c = enc(p.a, "<body>hi</body>", 15);
		m = between(c, "<mac>", "</mac>");
		g_assert_cmpint(esess_base64_decode_exact(m, strlen(m), raw, 32), ==, ESESS_OK);
		/* the correct prefix of the right MAC: libgcrypt would accept it */
		t = esess_base64_encode(raw, k);
		bad = replace_between(c, "<mac>", "</mac>", t);
		expect_fail(p.b, bad, ESESS_ERR_MAC_LENGTH);
		g_free(t);
		g_free(bad);
		g_free(m);
		g_free(c);
		pair_clear(&p);
	}
}

static void
test_sec_36_mac_data_missing(void)
{
	Pair p;
	char *c, *m, *bad, *t, *d;
	guint8 raw[100];
	static const size_t longer[] = { 33, 48, 64, 100 };
	guint i;

	for (i = 0; i < G_N_ELEMENTS(longer); i++) {
		pair_init(&p, NULL, FALSE, 0, 0);
		c = enc(p.a, "<body>hi</body>", 15);
		m = between(c, "<mac>", "</mac>");
		g_assert_cmpint(esess_base64_decode_exact(m, strlen(m), raw, 32), ==, ESESS_OK);
		memset(raw + 32, 0, sizeof(raw) - 32);
		t = esess_base64_encode(raw, longer[i]);
		bad = replace_between(c, "<mac>", "</mac>", t);
		expect_fail(p.b, bad, ESESS_ERR_MAC_LENGTH);
		g_free(t);
		g_free(bad);
		g_free(m);
		g_free(c);
		pair_clear(&p);
	}
	/* empty <mac/> in both spellings */
	pair_init(&p, NULL, FALSE, 0, 0);
	c = enc(p.a, "<body>hi</body>", 15);
	bad = replace_between(c, "<mac>", "</mac>", "");
	expect_fail(p.b, bad, ESESS_ERR_MAC_LENGTH);
	g_free(bad);
	pair_clear(&p);
	pair_init(&p, NULL, FALSE, 0, 0);
	d = between(c, "<data>", "</data>");
	bad = g_strdup_printf("<c xmlns='" ESESS_NS_C "'><data>%s</data><mac/></c>", d);
	expect_fail(p.b, bad, ESESS_ERR_MAC_LENGTH);
	g_free(bad);
	pair_clear(&p);
	/* missing <mac/> */
	pair_init(&p, NULL, FALSE, 0, 0);
	bad = g_strdup_printf("<c xmlns='" ESESS_NS_C "'><data>%s</data></c>", d);
	expect_fail(p.b, bad, ESESS_ERR_MALFORMED);
	g_free(bad);
	pair_clear(&p);
	/* missing <data/> where <old/> needs it (valid MAC, so only the
	 * structure is wrong) */
	pair_init(&p, NULL, FALSE, 0, 0);
	bad = forge(p.b, p.km_a, "<old>AAAA</old>", NULL);
	expect_fail(p.b, bad, ESESS_ERR_MALFORMED);
	g_free(bad);
	pair_clear(&p);
	/* an unknown child, a child in another namespace, text in <c/>,
	 * an element inside <data/> */
	{
		static const char *odd[] = {
			"<data>AAAAAAAAAAAAAAAAAAAAAA==</data><foo/>",
			"<data xmlns='urn:other'>AAAAAAAAAAAAAAAAAAAAAA==</data>",
			"junk<data>AAAAAAAAAAAAAAAAAAAAAA==</data>",
			"<data>AAAA<b/>AAAAAAAAAAAAAAAAAA==</data>",
		};

		for (i = 0; i < G_N_ELEMENTS(odd); i++) {
			pair_init(&p, NULL, FALSE, 0, 0);
			bad = forge(p.b, p.km_a, odd[i], NULL);
			expect_fail(p.b, bad, ESESS_ERR_MALFORMED);
			g_free(bad);
			pair_clear(&p);
		}
	}
	/* not a <c/> at all, and not XML */
	pair_init(&p, NULL, FALSE, 0, 0);
	expect_fail(p.b, "<x xmlns='" ESESS_NS_C "'><mac/></x>", ESESS_ERR_MALFORMED);
	pair_clear(&p);
	pair_init(&p, NULL, FALSE, 0, 0);
	expect_fail(p.b, "<c xmlns='" ESESS_NS_C "'><data>", ESESS_ERR_MALFORMED);
	pair_clear(&p);
	g_free(d);
	g_free(c);
}

static void
test_sec_37_replay(void)
{
	Pair p;
	char *c;

	pair_init(&p, NULL, FALSE, 0, 0);
	c = enc(p.a, "<body>pay 100</body>", 20);
	expect_ok(p.b, c, NULL);
	expect_fail(p.b, c, ESESS_ERR_MAC);
	g_free(c);
	pair_clear(&p);
	/* an empty stanza replayed too */
	pair_init(&p, NULL, FALSE, 0, 0);
	c = enc(p.a, NULL, 0);
	expect_ok(p.b, c, NULL);
	expect_fail(p.b, c, ESESS_ERR_MAC);
	g_free(c);
	pair_clear(&p);
}

static void
test_sec_38_reorder_drop(void)
{
	Pair p;
	char *c1, *c2, *c3;

	pair_init(&p, NULL, FALSE, 0, 0);
	c1 = enc(p.a, "<body>one</body>", 16);
	c2 = enc(p.a, "<body>two</body>", 16);
	expect_fail(p.b, c2, ESESS_ERR_MAC);
	/* no resync by searching counters: the in-order one fails too now */
	g_assert_cmpint(esess_session_decrypt_text(p.b, c1, strlen(c1), &(EsessXmlNode *){ NULL },
						   NULL, NULL),
			==, ESESS_ERR_SESSION_ENDED);
	g_free(c1);
	g_free(c2);
	pair_clear(&p);
	/* a dropped stanza */
	pair_init(&p, NULL, FALSE, 0, 0);
	c1 = enc(p.a, "<body>one</body>", 16);
	c2 = enc(p.a, "<body>two</body>", 16);
	c3 = enc(p.a, "<body>three</body>", 18);
	expect_ok(p.b, c1, NULL);
	expect_fail(p.b, c3, ESESS_ERR_MAC);
	g_free(c1);
	g_free(c2);
	g_free(c3);
	pair_clear(&p);
}

static void
test_sec_39_counter(void)
{
	guint8 ca[16];
	guint8 own_a[16], peer_a[16], own_b[16], peer_b[16];
	Pair p;
	char *c;
	GString *out;
	int i;

	/* C_A = 2^128 - 3: a 4-block stanza wraps to 1 */
	memset(ca, 0xff, 16);
	ca[15] = 0xfd;
	pair_init(&p, ca, FALSE, 0, 0);
	roundtrip(p.a, p.b, "<body>0123456789012345678901234567890123456789012345678</body>",
		  62);
	esess_session_counters(p.a, own_a, peer_a);
	for (i = 0; i < 15; i++)
		g_assert_cmpint(own_a[i], ==, 0);
	g_assert_cmpint(own_a[15], ==, 1);
	roundtrip(p.a, p.b, "<body>after the wrap</body>", 27);
	roundtrip(p.b, p.a, "<body>other way</body>", 22);
	/* the directions stay 2^127 apart: never the same counter block */
	esess_session_counters(p.a, own_a, peer_a);
	esess_session_counters(p.b, own_b, peer_b);
	g_assert_true(memcmp(own_a, peer_b, 16) == 0);
	g_assert_true(memcmp(own_b, peer_a, 16) == 0);
	g_assert_cmpint(own_a[0], ==, 0x00);
	g_assert_cmpint(own_b[0], ==, 0x7f);
	g_assert_cmpint(own_a[0] ^ own_b[0], !=, 0);
	pair_clear(&p);

	/* the 2^32-block key life: asked to re-key before, refused at */
	pair_init(&p, NULL, FALSE, 0, 0);
	g_assert_false(esess_session_needs_rekey(p.a));
	g_assert_cmpint(esess_session_skip_blocks_for_test(p.a, TRUE,
							   ESESS_MAX_BLOCKS_PER_KEY - 0x1000001),
			==, ESESS_OK);
	g_assert_cmpint(esess_session_skip_blocks_for_test(p.b, FALSE,
							   ESESS_MAX_BLOCKS_PER_KEY - 0x1000001),
			==, ESESS_OK);
	g_assert_false(esess_session_needs_rekey(p.a));
	roundtrip(p.a, p.b, "<body>x</body>", 14);
	g_assert_true(esess_session_needs_rekey(p.a));
	g_assert_cmpint(esess_session_skip_blocks_for_test(p.a, TRUE, 0xffffff), ==, ESESS_OK);
	g_assert_cmpint(esess_session_skip_blocks_for_test(p.b, FALSE, 0xffffff), ==, ESESS_OK);
	/* one block left: 16 bytes fit, 17 do not */
	out = g_string_new(NULL);
	g_assert_cmpint(esess_session_encrypt(p.a, "<body>12</body>x", 17, out), ==,
			ESESS_ERR_COUNTER_EXHAUSTED);
	g_assert_cmpuint(out->len, ==, 0);
	g_assert_false(esess_session_is_ended(p.a));
	roundtrip(p.a, p.b, "<body>ab</body>", 15);
	g_assert_cmpint(esess_session_encrypt(p.a, NULL, 0, out), ==, ESESS_ERR_COUNTER_EXHAUSTED);
	g_assert_cmpint(esess_session_skip_blocks_for_test(p.a, TRUE, 1), ==,
			ESESS_ERR_COUNTER_EXHAUSTED);
	g_string_free(out, TRUE);
	/* the receiver refuses a stanza past the key life even with a valid MAC */
	{
		char *d = forge_data(p.b, p.kc_a, "<body>0123456789abcdef</body>   ", 32);

		c = forge(p.b, p.km_a, d, NULL);
		expect_fail(p.b, c, ESESS_ERR_COUNTER_EXHAUSTED);
		g_free(c);
		g_free(d);
	}
	pair_clear(&p);
}

static void
test_sec_40_bad_base64(void)
{
	static const char *junk[] = {
		"QUJD$$$$RA==", "====", "QUJ", "QUJDRA=", "QUJDRA=A", " QUJDRA==", "QUJD\nRA==",
		"QUJDRB==", /* unused bits set */
		"QU&#x4A;D", /* a char ref decoding to junk position */
	};
	Pair p;
	char *bad, *content;
	guint i;

	for (i = 0; i < G_N_ELEMENTS(junk); i++) {
		/* in <data/>, with a MAC that is right for what was sent */
		pair_init(&p, NULL, FALSE, 0, 0);
		content = g_strdup_printf("<data>%s</data>", junk[i]);
		bad = forge(p.b, p.km_a, content, NULL);
		expect_fail(p.b, bad, i == 8 ? ESESS_ERR_MAC : ESESS_ERR_BASE64);
		g_free(bad);
		g_free(content);
		pair_clear(&p);
		/* in <mac/> */
		pair_init(&p, NULL, FALSE, 0, 0);
		bad = g_strdup_printf("<c xmlns='" ESESS_NS_C "'><data>AAAAAAAAAAAAAAAAAAAAAA==</data>"
				      "<mac>%s</mac></c>",
				      junk[i]);
		expect_fail(p.b, bad, i == 8 ? ESESS_ERR_MAC_LENGTH : ESESS_ERR_BASE64);
		g_free(bad);
		pair_clear(&p);
	}
}

static void
test_sec_41_oversized(void)
{
	Pair p;
	EsessXmlNode *c, *d, *pl = (EsessXmlNode *)0x1;
	GString *big = g_string_new(NULL);
	char *text;

	/* a tree built by hand: the cap holds before any decoding */
	pair_init(&p, NULL, FALSE, 0, 0);
	c = esess_xml_new("c", ESESS_NS_C);
	d = esess_xml_add(c, "data", NULL);
	g_string_set_size(big, ESESS_MAX_DATA_B64 + 4);
	memset(big->str, 'A', big->len);
	esess_xml_add_text(d, big->str, (gssize)big->len);
	esess_xml_add_text_child(c, "mac", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=");
	g_assert_cmpint(esess_session_decrypt(p.b, c, &pl, NULL, NULL), ==, ESESS_ERR_TOO_LARGE);
	g_assert_null(pl);
	assert_ended(p.b);
	/* as text: the stanza parser's limits stop it first, same status */
	pair_clear(&p);
	pair_init(&p, NULL, FALSE, 0, 0);
	text = esess_xml_to_string(c);
	expect_fail(p.b, text, ESESS_ERR_TOO_LARGE);
	g_free(text);
	esess_xml_free(c);
	pair_clear(&p);
	/* the sender refuses what could not be received */
	pair_init(&p, NULL, FALSE, 0, 0);
	g_string_set_size(big, ESESS_MAX_DATA_B64 / 4 * 3 + 1);
	{
		GString *out = g_string_new(NULL);

		g_assert_cmpint(esess_session_encrypt(p.a, big->str, big->len, out), ==,
				ESESS_ERR_TOO_LARGE);
		g_assert_cmpuint(out->len, ==, 0);
		g_string_free(out, TRUE);
	}
	g_assert_false(esess_session_is_ended(p.a));
	pair_clear(&p);
	g_string_free(big, TRUE);
}

static void
test_sec_42_zero_length_data(void)
{
	Pair p;
	char *c, *c2;
	EsessXmlNode *pl = (EsessXmlNode *)0x1;
	char *plain = (char *)0x1;
	guint8 own[16], before[16], after[16];

	/* legal as an empty stanza: nothing comes out, the counter moves by 1 */
	pair_init(&p, NULL, FALSE, 0, 0);
	esess_session_counters(p.b, own, before);
	c = forge(p.b, p.km_a, "<data></data>", "<data />");
	g_assert_cmpint(esess_session_decrypt_text(p.b, c, strlen(c), &pl, &plain, NULL), ==,
			ESESS_OK);
	g_assert_null(pl);
	g_assert_null(plain);
	esess_session_counters(p.b, own, after);
	g_assert_cmpint(after[15], ==, (guint8)(before[15] + 1));
	/* A's own empty stanza moves its counter the same way, so the next one
	 * verifies */
	g_free(enc(p.a, NULL, 0));
	roundtrip(p.a, p.b, "<body>next</body>", 17);
	/* replayed, it fails */
	expect_fail(p.b, c, ESESS_ERR_MAC);
	g_free(c);
	pair_clear(&p);
	/* a zero-length <data/> MACed as if the counter had not moved is
	 * refused (the next stanza is then out of step) */
	pair_init(&p, NULL, FALSE, 0, 0);
	c = forge(p.b, p.km_a, "<data/>", "<data />");
	expect_ok(p.b, c, NULL);
	c2 = enc(p.a, "<body>x</body>", 14);
	expect_fail(p.b, c2, ESESS_ERR_MAC);
	g_free(c);
	g_free(c2);
	pair_clear(&p);
}

static void
test_sec_43_bad_plaintext(void)
{
	static const struct {
		const char *pt;
		size_t len;
		EsessStatus want;
	} cases[] = {
		{ "\xff\xfe<body/>", 9, ESESS_ERR_UTF8 },
		{ "<body>\xc0\xaf</body>", 15, ESESS_ERR_UTF8 },
		{ "<body>a\0b</body>", 16, ESESS_ERR_UTF8 },
		{ "<body>unclosed", 0, ESESS_ERR_PAYLOAD },
		{ "</payload><payload>", 0, ESESS_ERR_PAYLOAD },
		{ "<body>x</body></payload>", 0, ESESS_ERR_PAYLOAD },
		{ "<!DOCTYPE x [<!ENTITY e 'x'>]><body>&e;</body>", 0, ESESS_ERR_PAYLOAD },
		{ "<body>&undefined;</body>", 0, ESESS_ERR_PAYLOAD },
		{ "<p:body/>", 0, ESESS_ERR_PAYLOAD },
		{ "<?xml version='1.0'?><body/>", 0, ESESS_ERR_PAYLOAD },
	};
	Pair p;
	char *c;
	guint i;

	for (i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_test_message("case %u", i);
		pair_init(&p, NULL, FALSE, 0, 0);
		/* len 0: the string's own length (the others hold bad bytes) */
		c = enc(p.a, cases[i].pt, cases[i].len ? cases[i].len : strlen(cases[i].pt));
		expect_fail(p.b, c, cases[i].want);
		g_free(c);
		pair_clear(&p);
	}
	/* the depth limit: 31 levels fit under the synthetic root, 32 do not */
	for (i = 31; i <= 32; i++) {
		GString *deep = g_string_new(NULL);
		guint j;

		for (j = 0; j < i; j++)
			g_string_append(deep, "<a>");
		for (j = 0; j < i; j++)
			g_string_append(deep, "</a>");
		pair_init(&p, NULL, FALSE, 0, 0);
		c = enc(p.a, deep->str, deep->len);
		if (i == 31)
			expect_ok(p.b, c, NULL);
		else
			expect_fail(p.b, c, ESESS_ERR_PAYLOAD);
		g_free(c);
		g_string_free(deep, TRUE);
		pair_clear(&p);
	}
}

static void
test_sec_44_inner_content(void)
{
	static const char inner[] =
		"<c xmlns='http://www.xmpp.org/extensions/xep-0200.html#ns'><data>AAAA</data>"
		"<mac>AAAA</mac></c>"
		"<body from='evil@x/y' to='me@x' id='forged' type='groupchat'>"
		"<b>not</b> <script>markup</script></body>"
		"<message xmlns='jabber:client' from='boss@x'><body>inner</body></message>";
	Pair p;
	EsessXmlNode *pl = NULL, *c;
	char *t;

	pair_init(&p, NULL, FALSE, 0, 0);
	t = enc(p.a, inner, strlen(inner));
	expect_ok(p.b, t, &pl);
	g_free(t);
	/* ordinary content: the nested <c/> is not decrypted, the attributes
	 * are just attributes of a child (the caller never copies them to the
	 * outer stanza), the session carries on */
	g_assert_true(esess_xml_is(pl, "payload", ESESS_NS_CLIENT));
	g_assert_null(esess_xml_attr(pl, "from"));
	c = esess_xml_child(pl, "c", ESESS_NS_C);
	g_assert_nonnull(c);
	g_assert_nonnull(esess_xml_child(c, "data", ESESS_NS_C));
	g_assert_cmpstr(esess_xml_attr(esess_xml_child(pl, "body", ESESS_NS_CLIENT), "from"), ==,
			"evil@x/y");
	g_assert_nonnull(esess_xml_child(pl, "message", ESESS_NS_CLIENT));
	g_assert_cmpuint(esess_session_received(p.b), ==, 1);
	g_assert_false(esess_session_is_ended(p.b));
	roundtrip(p.a, p.b, "<body>still fine</body>", 23);
	esess_xml_free(pl);
	pair_clear(&p);
}

static void
test_sec_45_duplicates(void)
{
	static const char *dups[] = {
		"<data>AAAAAAAAAAAAAAAAAAAAAA==</data><data>AAAAAAAAAAAAAAAAAAAAAA==</data>",
		"<data>AAAAAAAAAAAAAAAAAAAAAA==</data><key>Ag==</key><key>Ag==</key>",
		"<data>AAAAAAAAAAAAAAAAAAAAAA==</data><new>1</new><new>1</new>",
	};
	Pair p;
	char *bad, *c, *m;
	guint i;

	for (i = 0; i < G_N_ELEMENTS(dups); i++) {
		pair_init(&p, NULL, FALSE, 0, 0);
		bad = forge(p.b, p.km_a, dups[i], NULL);
		expect_fail(p.b, bad, ESESS_ERR_MALFORMED);
		g_free(bad);
		pair_clear(&p);
	}
	/* two <mac/>, the right one first */
	pair_init(&p, NULL, FALSE, 0, 0);
	c = enc(p.a, "<body>x</body>", 14);
	m = between(c, "<mac>", "</mac>");
	bad = replace_between(c, "</mac>", "</c>", "");
	{
		char *t = g_strdup_printf("%.*s<mac>%s</mac></c>", (int)(strlen(bad) - 4), bad, m);

		expect_fail(p.b, t, ESESS_ERR_MALFORMED);
		g_free(t);
	}
	g_free(bad);
	g_free(m);
	g_free(c);
	pair_clear(&p);
	/* several <old/> are allowed (and ignored) */
	pair_init(&p, NULL, FALSE, 0, 0);
	{
		char *d = forge_data(p.b, p.kc_a, "<body>olds</body>               ", 32);
		char *content = g_strdup_printf("%s<old>AAAA</old><old>BBBB</old>", d);

		bad = forge(p.b, p.km_a, content, NULL);
		expect_ok(p.b, bad, NULL);
		g_free(bad);
		g_free(content);
		g_free(d);
	}
	pair_clear(&p);
}

static void
test_sec_49_normalised(void)
{
	Pair p;
	char *c, *d, *m, *t;
	EsessXmlNode *pl = NULL;

	/* whitespace and a comment between children, CDATA and a character
	 * reference in the text, a prefixed form of the same namespace */
	pair_init(&p, NULL, FALSE, 0, 0);
	c = enc(p.a, "<body>one</body>", 16);
	d = between(c, "<data>", "</data>");
	m = between(c, "<mac>", "</mac>");
	t = g_strdup_printf("<c xmlns='" ESESS_NS_C "'>\n  <data><![CDATA[%s]]></data>\n"
			    "  <!-- a comment -->\n  <mac>&#x%02X;%s</mac>\n</c>",
			    d, (guint)m[0], m + 1);
	expect_ok(p.b, t, &pl);
	g_assert_nonnull(esess_xml_child(pl, "body", ESESS_NS_CLIENT));
	esess_xml_free(pl);
	g_free(t);
	g_free(d);
	g_free(m);
	g_free(c);
	c = enc(p.a, "<body>two</body>", 16);
	d = between(c, "<data>", "</data>");
	m = between(c, "<mac>", "</mac>");
	t = g_strdup_printf("<e:c xmlns:e='" ESESS_NS_C "'><e:data>%s</e:data><e:mac>%s</e:mac>"
			    "</e:c>",
			    d, m);
	expect_ok(p.b, t, NULL);
	g_free(t);
	g_free(d);
	g_free(m);
	g_free(c);
	/* attribute order inside a child does not matter (R7 sorts) */
	{
		char *dd = forge_data(p.b, p.kc_a, "<body>three</body>              ", 32);
		char *b64 = between(dd, "<data>", "</data>");
		char *sent = g_strdup_printf("<data z='1' a='2'>%s</data>", b64);
		char *canon = g_strdup_printf("<data a=\"2\" z=\"1\">%s</data>", b64);

		t = forge(p.b, p.km_a, sent, canon);
		expect_ok(p.b, t, NULL);
		g_free(t);
		g_free(sent);
		g_free(canon);
		g_free(b64);
		g_free(dd);
	}
	pair_clear(&p);
	/* whitespace inside <data/> is not base64: fails closed */
	pair_init(&p, NULL, FALSE, 0, 0);
	c = enc(p.a, "<body>one</body>", 16);
	d = between(c, "<data>", "</data>");
	t = replace_between(c, "<data>", "</data>", "");
	{
		char *w = g_strdup_printf("<data>\n%s\n", d);
		char *x = g_strdup(t);
		char *pos = strstr(x, "<data>");

		*pos = '\0';
		g_free(t);
		t = g_strdup_printf("%s%s%s", x, w, pos + 6);
		g_free(w);
		g_free(x);
	}
	expect_fail(p.b, t, ESESS_ERR_BASE64);
	g_free(t);
	g_free(d);
	g_free(c);
	pair_clear(&p);
	/* an attribute added by someone on the path changes the MAC input */
	pair_init(&p, NULL, FALSE, 0, 0);
	c = enc(p.a, "<body>one</body>", 16);
	t = replace_between(c, "<c xmlns='" ESESS_NS_C "'><data", ">", " x='1'");
	expect_fail(p.b, t, ESESS_ERR_MAC);
	g_free(t);
	g_free(c);
	pair_clear(&p);
}

/* ---- re-keying ------------------------------------------------------------ */

static void
test_rekey_both(void)
{
	Pair p;
	char *c, *o1, *o2, *km_a64, *km_b64;
	guint8 own[16], peer[16], own2[16], peer2[16];
	guint i;

	pair_init(&p, NULL, TRUE, 2, 2);
	/* rekey_freq: 2 stanzas must be exchanged first */
	g_assert_cmpint(esess_session_rekey(p.a), ==, ESESS_ERR_STATE);
	roundtrip(p.a, p.b, "<body>1</body>", 14);
	g_assert_cmpint(esess_session_rekey(p.a), ==, ESESS_ERR_STATE);
	roundtrip(p.b, p.a, "<body>2</body>", 14);
	g_assert_cmpint(esess_session_rekey(p.a), ==, ESESS_OK);
	/* only one outstanding */
	g_assert_cmpint(esess_session_rekey(p.a), ==, ESESS_ERR_STATE);
	c = enc(p.a, "<body>with key</body>", 21);
	g_assert_nonnull(strstr(c, "</data><key>"));
	g_assert_nonnull(strstr(c, "</key><mac>"));
	expect_ok(p.b, c, NULL);
	g_free(c);
	/* A's next stanza uses the new keys: B follows */
	roundtrip(p.a, p.b, "<body>new keys</body>", 21);
	/* B acknowledges with <new>1</new> (and switched its own keys) */
	c = enc(p.b, "<body>ack</body>", 16);
	g_assert_nonnull(strstr(c, "</data><new>1</new><mac>"));
	expect_ok(p.a, c, NULL);
	g_free(c);
	/* now A may publish the old MAC keys (§7.6): B's and its own */
	c = enc(p.a, "<body>olds</body>", 17);
	km_a64 = esess_base64_encode(p.km_a, 32);
	km_b64 = esess_base64_encode(p.km_b, 32);
	o1 = g_strdup_printf("<old>%s</old>", km_b64);
	o2 = g_strdup_printf("<old>%s</old>", km_a64);
	g_assert_nonnull(strstr(c, o1));
	g_assert_nonnull(strstr(c, o2));
	g_assert_true(strstr(c, "</data><old>") != NULL);
	expect_ok(p.b, c, NULL);
	g_free(c);
	/* published once only */
	c = enc(p.a, "<body>no olds</body>", 20);
	g_assert_null(strstr(c, "<old>"));
	expect_ok(p.b, c, NULL);
	g_free(c);
	g_free(o1);
	g_free(o2);
	g_free(km_a64);
	g_free(km_b64);
	/* the other direction re-keys too; the counters never restart (R5) */
	esess_session_counters(p.a, own, peer);
	g_assert_cmpint(esess_session_rekey(p.b), ==, ESESS_OK);
	c = enc(p.b, NULL, 0); /* an empty re-key stanza: key and mac only */
	g_assert_true(g_str_has_prefix(c, "<c xmlns='" ESESS_NS_C "'><key>"));
	expect_ok(p.a, c, NULL);
	g_free(c);
	esess_session_counters(p.a, own2, peer2);
	g_assert_true(memcmp(own, own2, 16) == 0);
	g_assert_cmpint(peer2[15], ==, (guint8)(peer[15] + 1));
	for (i = 0; i < 5; i++) {
		roundtrip(p.a, p.b, "<body>a</body>", 14);
		roundtrip(p.b, p.a, "<body>b</body>", 14);
	}
	pair_clear(&p);
}

static void
test_rekey_in_flight(void)
{
	Pair p;
	char *s1, *s2, *t1, *t2, *t3;

	pair_init(&p, NULL, TRUE, 1, 1);
	roundtrip(p.a, p.b, "<body>0</body>", 14);
	g_assert_cmpint(esess_session_rekey(p.a), ==, ESESS_OK);
	s1 = enc(p.a, "<body>s1 key</body>", 19);
	s2 = enc(p.a, "<body>s2 new</body>", 19);
	/* B has not seen the key yet and sends with the old keys */
	t1 = enc(p.b, "<body>t1</body>", 15);
	t2 = enc(p.b, "<body>t2</body>", 15);
	expect_ok(p.a, t1, NULL);
	expect_ok(p.a, t2, NULL);
	expect_ok(p.b, s1, NULL);
	expect_ok(p.b, s2, NULL);
	t3 = enc(p.b, "<body>t3</body>", 15);
	g_assert_nonnull(strstr(t3, "<new>1</new>"));
	expect_ok(p.a, t3, NULL);
	roundtrip(p.a, p.b, "<body>after</body>", 18);
	roundtrip(p.b, p.a, "<body>after</body>", 18);
	g_free(s1);
	g_free(s2);
	g_free(t1);
	g_free(t2);
	g_free(t3);
	pair_clear(&p);

	/* a stanza under the old key after the peer switched fails (and the
	 * receiver ends the session): <new/> must not be stripped */
	pair_init(&p, NULL, TRUE, 1, 1);
	roundtrip(p.a, p.b, "<body>0</body>", 14);
	g_assert_cmpint(esess_session_rekey(p.a), ==, ESESS_OK);
	s1 = enc(p.a, "<body>s1 key</body>", 19);
	expect_ok(p.b, s1, NULL);
	t1 = enc(p.b, "<body>t1</body>", 15);
	t2 = replace_between(t1, "</data>", "<mac>", "");
	expect_fail(p.a, t2, ESESS_ERR_MAC);
	g_free(s1);
	g_free(t1);
	g_free(t2);
	pair_clear(&p);
}

/* both sides start a re-key before seeing the other's <key/> (DIGEST §7.5:
 * several receive sets, peer keys replaced in all of them) */
static void
test_rekey_crossing(void)
{
	Pair p;
	char *ka, *kb, *c;
	guint i;

	pair_init(&p, NULL, TRUE, 1, 1);
	roundtrip(p.a, p.b, "<body>0</body>", 14);
	roundtrip(p.b, p.a, "<body>1</body>", 14);
	g_assert_cmpint(esess_session_rekey(p.a), ==, ESESS_OK);
	g_assert_cmpint(esess_session_rekey(p.b), ==, ESESS_OK);
	ka = enc(p.a, "<body>key from A</body>", 23);
	kb = enc(p.b, "<body>key from B</body>", 23);
	g_assert_nonnull(strstr(ka, "<key>"));
	g_assert_nonnull(strstr(kb, "<key>"));
	expect_ok(p.b, ka, NULL);
	expect_ok(p.a, kb, NULL);
	/* each acknowledges the other's key and both directions carry on */
	c = enc(p.a, "<body>a</body>", 14);
	g_assert_nonnull(strstr(c, "<new>1</new>"));
	expect_ok(p.b, c, NULL);
	g_free(c);
	c = enc(p.b, "<body>b</body>", 14);
	g_assert_nonnull(strstr(c, "<new>1</new>"));
	expect_ok(p.a, c, NULL);
	g_free(c);
	for (i = 0; i < 3; i++) {
		roundtrip(p.a, p.b, "<body>x</body>", 14);
		roundtrip(p.b, p.a, "<body>y</body>", 14);
	}
	g_free(ka);
	g_free(kb);
	pair_clear(&p);
}

static char *
key_content(const guint8 *v, size_t len)
{
	GString *s = g_string_new("<key>");

	esess_base64_append(s, v, len);
	g_string_append(s, "</key>");
	return g_string_free(s, FALSE);
}

static void
test_rekey_bad_values(void)
{
	Pair p;
	size_t plen;
	const guint8 *prime = esess_modp_prime(GROUP, &plen);
	guint8 *v = g_malloc0(plen + 2);
	guint8 one = 1, two[2] = { 0, 2 };
	char *k, *c;
	struct {
		const guint8 *v;
		size_t len;
		EsessStatus want;
	} cases[6];
	guint i;

	/* p - 1, p, and a value longer than p */
	memcpy(v, prime, plen);
	v[plen - 1] -= 1;
	cases[0].v = (const guint8 *)"";
	cases[0].len = 0;
	cases[0].want = ESESS_ERR_DH_RANGE; /* e = 0 */
	cases[1].v = &one;
	cases[1].len = 1;
	cases[1].want = ESESS_ERR_DH_RANGE; /* e = 1 */
	cases[2].v = v;
	cases[2].len = plen;
	cases[2].want = ESESS_ERR_DH_RANGE; /* e = p - 1 */
	cases[3].v = prime;
	cases[3].len = plen;
	cases[3].want = ESESS_ERR_DH_RANGE; /* e = p */
	cases[4].v = two;
	cases[4].len = 2;
	cases[4].want = ESESS_ERR_REKEY; /* 2 with a leading zero octet: not MPI */
	cases[5].v = v;
	cases[5].len = plen + 1;
	cases[5].want = ESESS_ERR_DH_RANGE; /* longer than p */
	for (i = 0; i < G_N_ELEMENTS(cases); i++) {
		char *content, *canon;
		char *d;

		g_test_message("case %u", i);
		pair_init(&p, NULL, TRUE, 1, 1);
		roundtrip(p.a, p.b, "<body>0</body>", 14);
		d = forge_data(p.b, p.kc_a, "<body>bad key</body>            ", 32);
		k = key_content(cases[i].v, cases[i].len);
		content = g_strdup_printf("%s%s", d, k);
		/* e = 0 is the empty MPI: <key></key>, R7 form <key /> */
		canon = cases[i].len == 0 ? g_strdup_printf("%s<key />", d) : NULL;
		c = forge(p.b, p.km_a, content, canon);
		expect_fail(p.b, c, cases[i].want);
		g_free(c);
		g_free(k);
		g_free(d);
		g_free(content);
		g_free(canon);
		pair_clear(&p);
	}
	/* B's own public value sent back to it */
	pair_init(&p, NULL, TRUE, 1, 1);
	roundtrip(p.a, p.b, "<body>0</body>", 14);
	k = key_content(p.pub_b, p.pub_b_len);
	c = forge(p.b, p.km_a, k, NULL);
	expect_fail(p.b, c, ESESS_ERR_REKEY);
	g_free(c);
	g_free(k);
	pair_clear(&p);
	/* bad base64 in <key/> */
	pair_init(&p, NULL, TRUE, 1, 1);
	c = forge(p.b, p.km_a, "<key>QUJ</key>", NULL);
	expect_fail(p.b, c, ESESS_ERR_BASE64);
	g_free(c);
	pair_clear(&p);
	/* <new/>: not a positive integer, or more keys than we ever sent */
	{
		static const char *news[] = { "0", "-1", "01", "+1", "x", "", "4294967296" };

		for (i = 0; i < G_N_ELEMENTS(news); i++) {
			char *content = g_strdup_printf("<new>%s</new>", news[i]);
			char *canon = g_strdup_printf(news[i][0] ? "<new>%s</new>" : "<new />",
						      news[i]);

			pair_init(&p, NULL, TRUE, 1, 1);
			c = forge(p.b, p.km_a, content, canon);
			expect_fail(p.b, c, ESESS_ERR_MALFORMED);
			g_free(c);
			g_free(content);
			g_free(canon);
			pair_clear(&p);
		}
		pair_init(&p, NULL, TRUE, 1, 1);
		c = forge(p.b, p.km_a, "<new>1</new>", NULL);
		expect_fail(p.b, c, ESESS_ERR_REKEY);
		g_free(c);
		pair_clear(&p);
	}
	g_free(v);
}

static void
test_rekey_freq(void)
{
	Pair p;
	char *c;
	guint i;

	/* rekey_freq 0: never; a <key/> from the peer is an invalid re-key */
	pair_init(&p, NULL, TRUE, 1, 0);
	roundtrip(p.a, p.b, "<body>0</body>", 14);
	g_assert_cmpint(esess_session_rekey(p.b), ==, ESESS_ERR_STATE);
	g_assert_cmpint(esess_session_rekey(p.a), ==, ESESS_OK);
	c = enc(p.a, "<body>k</body>", 14);
	expect_fail(p.b, c, ESESS_ERR_REKEY);
	g_free(c);
	pair_clear(&p);
	/* no DH key pair: re-keying disabled */
	pair_init(&p, NULL, FALSE, 5, 5);
	for (i = 0; i < 6; i++)
		roundtrip(p.a, p.b, "<body>0</body>", 14);
	g_assert_cmpint(esess_session_rekey(p.a), ==, ESESS_ERR_STATE);
	c = forge(p.b, p.km_a, "<key>Ag==</key>", NULL);
	expect_fail(p.b, c, ESESS_ERR_REKEY);
	g_free(c);
	pair_clear(&p);
	/* rekey_freq 3: three stanzas (either way) between re-keys */
	pair_init(&p, NULL, TRUE, 3, 3);
	roundtrip(p.a, p.b, "<body>1</body>", 14);
	roundtrip(p.b, p.a, "<body>2</body>", 14);
	g_assert_cmpint(esess_session_rekey(p.a), ==, ESESS_ERR_STATE);
	roundtrip(p.a, p.b, "<body>3</body>", 14);
	g_assert_cmpint(esess_session_rekey(p.a), ==, ESESS_OK);
	roundtrip(p.a, p.b, "<body>key</body>", 16);
	g_assert_cmpint(esess_session_rekey(p.a), ==, ESESS_ERR_STATE);
	g_assert_cmpint(esess_session_rekey(p.b), ==, ESESS_ERR_STATE);
	for (i = 0; i < 3; i++)
		roundtrip(p.b, p.a, "<body>x</body>", 14);
	g_assert_cmpint(esess_session_rekey(p.b), ==, ESESS_OK);
	roundtrip(p.b, p.a, "<body>key</body>", 16);
	roundtrip(p.a, p.b, "<body>y</body>", 14);
	pair_clear(&p);
}

/* Issue 9 item 8: the peer's re-keys obey the agreed rekey_freq, so an
 * authenticated peer cannot make us compute a DH value for every stanza;
 * a peer keeping the agreement is never refused, even when our stanzas
 * cross its <key/> in flight. */
static void
test_rekey_peer_freq(void)
{
	Pair p;
	char *c, *t1, *t2;
	guint i;

	/* A believes rekey_freq is 1, B agreed 3: A re-keys too soon */
	pair_init(&p, NULL, TRUE, 1, 3);
	roundtrip(p.a, p.b, "<body>1</body>", 14);
	roundtrip(p.b, p.a, "<body>2</body>", 14);
	g_assert_cmpint(esess_session_rekey(p.a), ==, ESESS_OK);
	c = enc(p.a, "<body>early key</body>", 22);
	expect_fail(p.b, c, ESESS_ERR_REKEY);
	assert_ended(p.b);
	g_free(c);
	pair_clear(&p);

	/* once enough stanzas went by, the same re-key is accepted; a second
	 * one right after it is not, however many stanzas went before */
	pair_init(&p, NULL, TRUE, 1, 3);
	for (i = 0; i < 3; i++)
		roundtrip(p.b, p.a, "<body>x</body>", 14);
	g_assert_cmpint(esess_session_rekey(p.a), ==, ESESS_OK);
	c = enc(p.a, "<body>key 1</body>", 18);
	expect_ok(p.b, c, NULL);
	g_free(c);
	roundtrip(p.a, p.b, "<body>y</body>", 14);
	g_assert_cmpint(esess_session_rekey(p.a), ==, ESESS_OK);
	c = enc(p.a, "<body>key 2</body>", 18);
	expect_fail(p.b, c, ESESS_ERR_REKEY);
	assert_ended(p.b);
	g_free(c);
	pair_clear(&p);

	/* a re-key every other stanza while B says nothing: A's own stanzas
	 * before the first key do not pay for the second */
	pair_init(&p, NULL, TRUE, 1, 2);
	for (i = 0; i < 4; i++)
		roundtrip(p.a, p.b, "<body>x</body>", 14);
	g_assert_cmpint(esess_session_rekey(p.a), ==, ESESS_OK);
	c = enc(p.a, "<body>key 1</body>", 18);
	expect_ok(p.b, c, NULL);
	g_free(c);
	roundtrip(p.a, p.b, "<body>x</body>", 14);
	g_assert_cmpint(esess_session_rekey(p.a), ==, ESESS_OK);
	c = enc(p.a, "<body>key 2</body>", 18);
	expect_fail(p.b, c, ESESS_ERR_REKEY);
	g_free(c);
	pair_clear(&p);

	/* both keep rekey_freq 2; B's stanzas cross A's first <key/>, and A
	 * re-keys again on them: allowed (A counted them after its key) */
	pair_init(&p, NULL, TRUE, 2, 2);
	roundtrip(p.b, p.a, "<body>1</body>", 14);
	roundtrip(p.b, p.a, "<body>2</body>", 14);
	g_assert_cmpint(esess_session_rekey(p.a), ==, ESESS_OK);
	c = enc(p.a, "<body>key 1</body>", 18);
	t1 = enc(p.b, "<body>t1</body>", 15);
	t2 = enc(p.b, "<body>t2</body>", 15);
	expect_ok(p.b, c, NULL);
	g_free(c);
	expect_ok(p.a, t1, NULL);
	expect_ok(p.a, t2, NULL);
	g_assert_cmpint(esess_session_rekey(p.a), ==, ESESS_OK);
	c = enc(p.a, "<body>key 2</body>", 18);
	expect_ok(p.b, c, NULL);
	g_free(c);
	roundtrip(p.b, p.a, "<body>after</body>", 18);
	roundtrip(p.a, p.b, "<body>after</body>", 18);
	g_free(t1);
	g_free(t2);
	pair_clear(&p);
}

/* ---- API edges ------------------------------------------------------------ */

static void
test_new_and_end(void)
{
	EsessSessionParams pa;
	EsessSecret *k32 = esess_secret_new(32), *k16 = esess_secret_new(16);
	EsessSession *s = (EsessSession *)0x1;
	guint8 own[16], peer[16];
	Pair p;

	memset(&pa, 0, sizeof(pa));
	pa.own_cipher_key = k32;
	pa.own_mac_key = k32;
	pa.peer_cipher_key = k16; /* not the R4 32 bytes */
	pa.peer_mac_key = k32;
	g_assert_cmpint(esess_session_new(&pa, &s), ==, ESESS_ERR_INVALID_ARG);
	g_assert_null(s);
	pa.peer_cipher_key = NULL;
	g_assert_cmpint(esess_session_new(&pa, &s), ==, ESESS_ERR_INVALID_ARG);
	/* a key pair of another group (ownership is taken even on failure) */
	pa.peer_cipher_key = k32;
	pa.group = 15;
	pa.own_dh = dh_key(0x61);
	g_assert_cmpint(esess_session_new(&pa, &s), ==, ESESS_ERR_INVALID_ARG);
	g_assert_null(s);
	esess_secret_free(k32);
	esess_secret_free(k16);

	pair_init(&p, NULL, FALSE, 0, 0);
	roundtrip(p.a, p.b, "<body>x</body>", 14);
	g_assert_cmpuint(esess_session_sent(p.a), ==, 1);
	g_assert_cmpuint(esess_session_received(p.b), ==, 1);
	g_assert_false(esess_session_keys_wiped(p.a));
	esess_session_end(p.a);
	esess_session_end(p.a); /* idempotent */
	assert_ended(p.a);
	/* the counters stay readable after the end */
	esess_session_counters(p.a, own, peer);
	g_assert_true(memcmp(peer, p.c_b, 16) == 0);
	g_assert_cmpint(own[15], ==, (guint8)(p.c_a[15] + 1));
	esess_session_free(NULL);
	pair_clear(&p);
}

/* issue 11 item 2: esess_session_encrypt_parts gives the children of <c/>
 * a client builds itself; written out they are esess_session_encrypt's
 * text byte for byte (twin pairs with the same keys and counters), and
 * through re-keying (key, new, old) the peer reads them. */
static char *
enc_parts(EsessSession *s, const char *payload, size_t len)
{
	GPtrArray *parts = g_ptr_array_new_with_free_func(esess_c_child_free);
	GString *out = g_string_new("<c xmlns='" ESESS_NS_C "'>");
	guint i;

	g_assert_cmpint(esess_session_encrypt_parts(s, payload, len, parts), ==, ESESS_OK);
	for (i = 0; i < parts->len; i++) {
		const EsessCChild *ch = g_ptr_array_index(parts, i);

		g_string_append_printf(out, "<%s>%s</%s>", ch->name, ch->text, ch->name);
	}
	g_assert_cmpstr(((const EsessCChild *)g_ptr_array_index(parts, parts->len - 1))->name,
			==, "mac");
	g_ptr_array_unref(parts);
	g_string_append(out, "</c>");
	return g_string_free(out, FALSE);
}

static void
test_encrypt_parts(void)
{
	Pair p, q;
	char *c, *d;

	pair_init(&p, NULL, TRUE, 2, 2);
	pair_init(&q, NULL, TRUE, 2, 2);
	c = enc(p.a, "<body>1</body>", 14);
	d = enc_parts(q.a, "<body>1</body>", 14);
	g_assert_cmpstr(d, ==, c);
	expect_ok(p.b, c, NULL);
	expect_ok(q.b, d, NULL);
	g_free(c);
	g_free(d);
	/* an empty stanza: mac only */
	c = enc(p.a, NULL, 0);
	d = enc_parts(q.a, NULL, 0);
	g_assert_cmpstr(d, ==, c);
	g_free(c);
	g_free(d);
	pair_clear(&p);
	pair_clear(&q);

	/* through a re-key each way: key, new and old children */
	pair_init(&p, NULL, TRUE, 2, 2);
	roundtrip(p.a, p.b, "<body>1</body>", 14);
	roundtrip(p.b, p.a, "<body>2</body>", 14);
	g_assert_cmpint(esess_session_rekey(p.a), ==, ESESS_OK);
	c = enc_parts(p.a, "<body>with key</body>", 21);
	g_assert_nonnull(strstr(c, "</data><key>"));
	expect_ok(p.b, c, NULL);
	g_free(c);
	c = enc_parts(p.a, "<body>new keys</body>", 21);
	expect_ok(p.b, c, NULL);
	g_free(c);
	c = enc_parts(p.b, "<body>ack</body>", 16);
	g_assert_nonnull(strstr(c, "</data><new>1</new><mac>"));
	expect_ok(p.a, c, NULL);
	g_free(c);
	c = enc_parts(p.a, "<body>olds</body>", 17);
	g_assert_nonnull(strstr(c, "</data><old>"));
	expect_ok(p.b, c, NULL);
	g_free(c);
	g_assert_cmpint(esess_session_rekey(p.b), ==, ESESS_OK);
	c = enc_parts(p.b, NULL, 0);
	g_assert_true(g_str_has_prefix(c, "<c xmlns='" ESESS_NS_C "'><key>"));
	expect_ok(p.a, c, NULL);
	g_free(c);
	roundtrip(p.a, p.b, "<body>a</body>", 14);
	pair_clear(&p);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_assert_cmpint(esess_crypto_init(), ==, ESESS_OK);
	g_test_add_func("/session/roundtrip/sizes", test_roundtrip_sizes);
	g_test_add_func("/session/roundtrip/content", test_roundtrip_content);
	g_test_add_func("/session/kat", test_kat);
	g_test_add_func("/session/mpi-counter", test_mpi_counter);
	g_test_add_func("/session/partial-block", test_partial_block);
	g_test_add_func("/session/security/34-bit-flip", test_sec_34_bit_flip);
	g_test_add_func("/session/security/35-truncated-mac", test_sec_35_truncated_mac);
	g_test_add_func("/session/security/36-mac-data-missing", test_sec_36_mac_data_missing);
	g_test_add_func("/session/security/37-replay", test_sec_37_replay);
	g_test_add_func("/session/security/38-reorder-drop", test_sec_38_reorder_drop);
	g_test_add_func("/session/security/39-counter-wrap-limit", test_sec_39_counter);
	g_test_add_func("/session/security/40-bad-base64", test_sec_40_bad_base64);
	g_test_add_func("/session/security/41-oversized-data", test_sec_41_oversized);
	g_test_add_func("/session/security/42-zero-length-data", test_sec_42_zero_length_data);
	g_test_add_func("/session/security/43-bad-plaintext", test_sec_43_bad_plaintext);
	g_test_add_func("/session/security/44-inner-content", test_sec_44_inner_content);
	g_test_add_func("/session/security/45-duplicate-children", test_sec_45_duplicates);
	g_test_add_func("/session/security/49-normalised-mac", test_sec_49_normalised);
	g_test_add_func("/session/rekey/both-directions", test_rekey_both);
	g_test_add_func("/session/encrypt-parts", test_encrypt_parts);
	g_test_add_func("/session/rekey/in-flight", test_rekey_in_flight);
	g_test_add_func("/session/rekey/crossing", test_rekey_crossing);
	g_test_add_func("/session/rekey/bad-values", test_rekey_bad_values);
	g_test_add_func("/session/rekey/freq", test_rekey_freq);
	g_test_add_func("/session/rekey/peer-freq-enforced", test_rekey_peer_freq);
	g_test_add_func("/session/new-and-end", test_new_and_end);
	return g_test_run();
}
