/*
 * test-crypto: SHA-256, HMAC-SHA-256 (RFC 4231), AES-CTR with the counter
 * rules of INTEROP R5 (NIST SP 800-38A), and MODP Diffie-Hellman with the
 * DIGEST §14 known answers and the SECURITY A catalogue (items 1-7, 9-11).
 * Known answers live in $ESESS_VECTORS; tests may call libgcrypt directly to
 * build references (raw AES blocks).
 */
#include "config.h"

#include <string.h>

#include <gcrypt.h>

#if defined(__has_include)
#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#define CRYPTO_HAVE_VALGRIND_H 1
#endif
#endif

#include "esess-bytes.h"
#include "esess-crypto.h"
#include "esess-mem.h"
#include "esess-modp.h"

/* ---- helpers -------------------------------------------------------- */

static guint8 *
hex_decode(const char *hex, size_t *len)
{
	size_t n = strlen(hex), i;
	guint8 *out;

	g_assert_cmpuint(n % 2, ==, 0);
	out = g_malloc(n / 2 + 1);
	for (i = 0; i < n / 2; i++) {
		int hi = g_ascii_xdigit_value(hex[2 * i]);
		int lo = g_ascii_xdigit_value(hex[2 * i + 1]);

		g_assert_cmpint(hi, >=, 0);
		g_assert_cmpint(lo, >=, 0);
		out[i] = (guint8)(hi << 4 | lo);
	}
	*len = n / 2;
	return out;
}

static gchar *
hex_encode(const guint8 *b, size_t n)
{
	GString *s = g_string_sized_new(2 * n + 1);
	size_t i;

	for (i = 0; i < n; i++)
		g_string_append_printf(s, "%02x", b[i]);
	return g_string_free(s, FALSE);
}

#define assert_hex(bytes, n, hex)                                   \
	do {                                                        \
		gchar *h_ = hex_encode((bytes), (n));               \
		g_assert_cmpstr(h_, ==, (hex));                     \
		g_free(h_);                                         \
	} while (0)

/* Reads tests/vectors/NAME: records of "name = value" lines; a line whose
 * name is `first` starts a new record.  Returns a GPtrArray of GHashTable. */
static GPtrArray *
vectors_load(const char *name, const char *first)
{
	const char *dir = g_getenv("ESESS_VECTORS");
	gchar *path, *text = NULL;
	gchar **lines;
	GPtrArray *recs = g_ptr_array_new_with_free_func((GDestroyNotify)g_hash_table_unref);
	GHashTable *cur = NULL;
	GError *err = NULL;
	guint i;

	if (dir == NULL)
		dir = ESESS_TEST_VECTORS;
	path = g_build_filename(dir, name, NULL);
	g_file_get_contents(path, &text, NULL, &err);
	g_assert_no_error(err);
	lines = g_strsplit(text, "\n", -1);
	for (i = 0; lines[i] != NULL; i++) {
		gchar **kv;

		if (lines[i][0] == '\0' || lines[i][0] == '#')
			continue;
		kv = g_strsplit(lines[i], " = ", 2);
		g_assert_nonnull(kv[1]);
		if (cur == NULL || strcmp(kv[0], first) == 0) {
			cur = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
			g_ptr_array_add(recs, cur);
		}
		g_hash_table_insert(cur, g_strdup(kv[0]), g_strdup(kv[1]));
		g_strfreev(kv);
	}
	g_strfreev(lines);
	g_free(text);
	g_free(path);
	return recs;
}

static const char *
rec_get(GHashTable *rec, const char *key)
{
	const char *v = g_hash_table_lookup(rec, key);

	if (v == NULL)
		g_error("vector field '%s' missing", key);
	return v;
}

static guint8 *
rec_hex(GHashTable *rec, const char *key, size_t *len)
{
	return hex_decode(rec_get(rec, key), len);
}

/* raw AES block (the reference for CTR keystream blocks) */
static void
aes_block(const guint8 *key, size_t key_len, const guint8 in[16], guint8 out[16])
{
	gcry_cipher_hd_t h;

	g_assert_cmpint(gcry_cipher_open(&h, key_len == 16 ? GCRY_CIPHER_AES128 : GCRY_CIPHER_AES256,
					 GCRY_CIPHER_MODE_ECB, 0), ==, 0);
	g_assert_cmpint(gcry_cipher_setkey(h, key, key_len), ==, 0);
	g_assert_cmpint(gcry_cipher_encrypt(h, out, 16, in, 16), ==, 0);
	gcry_cipher_close(h);
}

static const guint8 key32[32] = {
	0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f,
	0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f,
};

/* ---- init, random, SHA-256 ------------------------------------------ */

static void
test_init(void)
{
	g_assert_cmpint(esess_crypto_init(), ==, ESESS_OK);
	g_assert_true(gcry_control(GCRYCTL_INITIALIZATION_FINISHED_P));
	/* idempotent, and it leaves an existing initialisation alone */
	g_assert_cmpint(esess_crypto_init(), ==, ESESS_OK);
}

/* pidgin-otr got there first: it initialised libgcrypt (here without secure
 * memory).  esess_crypto_init must accept that and change nothing. */
static void
test_init_foreign(void)
{
	if (g_test_subprocess()) {
		EsessSecret *s;
		guint8 out[32];

		g_assert_false(gcry_control(GCRYCTL_INITIALIZATION_FINISHED_P));
		g_assert_nonnull(gcry_check_version(NULL));
		gcry_control(GCRYCTL_DISABLE_SECMEM, 0);
		gcry_control(GCRYCTL_INITIALIZATION_FINISHED, 0);
		g_assert_cmpint(esess_crypto_init(), ==, ESESS_OK);
		/* still the host's configuration: secure memory stays off */
		s = esess_secret_new(16);
		g_assert_false(gcry_is_secure(s->data));
		esess_secret_free(s);
		g_assert_cmpint(esess_hmac_sha256("k", 1, "m", 1, out), ==, ESESS_OK);
		return;
	}
	g_test_trap_subprocess(NULL, 0, 0);
	g_test_trap_assert_passed();
}

static void
test_random(void)
{
	guint8 a[32], b[32], zero[32];

	memset(a, 0, sizeof(a));
	memset(b, 0, sizeof(b));
	memset(zero, 0, sizeof(zero));
	esess_random(a, sizeof(a));
	esess_random(b, sizeof(b));
	esess_random(NULL, 0);
	g_assert_false(esess_ct_equal(a, b, sizeof(a)));
	g_assert_false(esess_ct_equal(a, zero, sizeof(a)));
}

static void
test_sha256(void)
{
	guint8 out[ESESS_SHA256_LEN], out2[ESESS_SHA256_LEN];
	EsessSha256 *h;
	static const char msg[] = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
	size_t i;

	/* FIPS 180-2 appendix B.1 and B.2, and the empty string */
	esess_sha256("abc", 3, out);
	assert_hex(out, 32, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	esess_sha256(msg, strlen(msg), out);
	assert_hex(out, 32, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
	esess_sha256(NULL, 0, out);
	assert_hex(out, 32, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	esess_sha256(msg, strlen(msg), out);
	/* streaming, split at every position, equals one shot */
	for (i = 0; i <= strlen(msg); i++) {
		h = esess_sha256_new();
		esess_sha256_update(h, msg, i);
		esess_sha256_update(h, msg + i, strlen(msg) - i);
		esess_sha256_finish(h, out2);
		g_assert_true(esess_ct_equal(out, out2, sizeof(out)));
	}
}

/* ---- HMAC-SHA-256 --------------------------------------------------- */

static void
test_hmac_rfc4231(void)
{
	GPtrArray *recs = vectors_load("rfc4231-hmac-sha256.txt", "case");
	guint8 out[ESESS_HMAC_LEN], out2[ESESS_HMAC_LEN];
	guint i;

	g_assert_cmpuint(recs->len, ==, 7);
	for (i = 0; i < recs->len; i++) {
		GHashTable *rec = recs->pdata[i];
		size_t klen, dlen, mlen;
		guint8 *key = rec_hex(rec, "key", &klen);
		guint8 *data = rec_hex(rec, "data", &dlen);
		guint8 *mac = rec_hex(rec, "mac", &mlen);
		EsessHmac *h = NULL;
		int round;

		g_test_message("RFC 4231 test case %s", rec_get(rec, "case"));
		g_assert_cmpuint(i + 1, ==, (guint)atoi(rec_get(rec, "case")));
		/* case 5 is given truncated to 128 bits */
		g_assert_cmpuint(mlen, ==, i + 1 == 5 ? 16 : 32);
		g_assert_cmpint(esess_hmac_sha256(key, klen, data, dlen, out), ==, ESESS_OK);
		g_assert_true(esess_ct_equal(out, mac, mlen));

		/* the kept handle, fed in two pieces, twice: final resets it */
		g_assert_cmpint(esess_hmac_new(key, klen, &h), ==, ESESS_OK);
		for (round = 0; round < 2; round++) {
			memset(out2, 0, sizeof(out2));
			esess_hmac_update(h, data, dlen / 3);
			esess_hmac_update(h, data + dlen / 3, dlen - dlen / 3);
			g_assert_cmpint(esess_hmac_final(h, out2), ==, ESESS_OK);
			g_assert_true(esess_ct_equal(out, out2, sizeof(out)));
		}
		esess_hmac_free(h);
		g_free(key);
		g_free(data);
		g_free(mac);
	}
	g_ptr_array_unref(recs);
}

static void
test_hmac_empty(void)
{
	guint8 out[ESESS_HMAC_LEN], out2[ESESS_HMAC_LEN];
	static const guint8 zero = 0;
	EsessHmac *h = NULL;

	/* HMAC(key = "", msg = "") and HMAC("", "abc") per RFC 2104 (Python
	 * hmac.new(b"", b"", sha256)); libgcrypt itself refuses empty keys */
	g_assert_cmpint(esess_hmac_sha256(NULL, 0, NULL, 0, out), ==, ESESS_OK);
	assert_hex(out, 32, "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad");
	g_assert_cmpint(esess_hmac_sha256("", 0, "abc", 3, out), ==, ESESS_OK);
	assert_hex(out, 32, "fd7adb152c05ef80dccf50a1fa4c05d5a3ec6da95575fc312ae7c5d091836351");
	g_assert_cmpint(esess_hmac_sha256(&zero, 1, "abc", 3, out2), ==, ESESS_OK);
	g_assert_true(esess_ct_equal(out, out2, sizeof(out)));
	g_assert_cmpint(esess_hmac_new(NULL, 0, &h), ==, ESESS_OK);
	esess_hmac_update(h, "abc", 3);
	g_assert_cmpint(esess_hmac_final(h, out2), ==, ESESS_OK);
	g_assert_true(esess_ct_equal(out, out2, sizeof(out)));
	/* an empty message on a kept handle */
	g_assert_cmpint(esess_hmac_final(h, out2), ==, ESESS_OK);
	assert_hex(out2, 32, "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad");
	esess_hmac_free(h);
	esess_hmac_free(NULL);
}

/* Every EsessHmac shares one hash state (issue 11 items 1, 3): keys used
 * in turn, message after message, give each key's own MAC; a second HMAC
 * started before the first one's final makes that final fail, never give a
 * wrong MAC; the one after it works again. */
static void
test_hmac_shared(void)
{
	static const guint8 k1[32] = { 1 }, k2[32] = { 2 };
	guint8 w1[ESESS_HMAC_LEN], w2[ESESS_HMAC_LEN], out[ESESS_HMAC_LEN];
	EsessHmac *h1 = NULL, *h2 = NULL;
	int round;

	g_assert_cmpint(esess_hmac_sha256(k1, 32, "message", 7, w1), ==, ESESS_OK);
	g_assert_cmpint(esess_hmac_sha256(k2, 32, "message", 7, w2), ==, ESESS_OK);
	g_assert_false(esess_ct_equal(w1, w2, sizeof(w1)));
	g_assert_cmpint(esess_hmac_new(k1, 32, &h1), ==, ESESS_OK);
	g_assert_cmpint(esess_hmac_new(k2, 32, &h2), ==, ESESS_OK);
	for (round = 0; round < 3; round++) {
		esess_hmac_update(h1, "mess", 4);
		esess_hmac_update(h1, "age", 3);
		g_assert_cmpint(esess_hmac_final(h1, out), ==, ESESS_OK);
		g_assert_true(esess_ct_equal(out, w1, sizeof(out)));
		esess_hmac_update(h2, "message", 7);
		g_assert_cmpint(esess_hmac_final(h2, out), ==, ESESS_OK);
		g_assert_true(esess_ct_equal(out, w2, sizeof(out)));
	}
	/* interleaved: h1's pass is taken away by h2 */
	esess_hmac_update(h1, "mess", 4);
	esess_hmac_update(h2, "message", 7);
	esess_hmac_update(h1, "age", 3);
	g_assert_cmpint(esess_hmac_final(h1, out), ==, ESESS_ERR_INTERNAL);
	g_assert_cmpint(esess_hmac_final(h2, out), ==, ESESS_OK);
	g_assert_true(esess_ct_equal(out, w2, sizeof(out)));
	/* the failure is not sticky */
	esess_hmac_update(h1, "message", 7);
	g_assert_cmpint(esess_hmac_final(h1, out), ==, ESESS_OK);
	g_assert_true(esess_ct_equal(out, w1, sizeof(out)));
	/* a freed HMAC in the middle of a pass leaves the next one intact */
	esess_hmac_update(h2, "mess", 4);
	esess_hmac_free(h2);
	esess_hmac_update(h1, "message", 7);
	g_assert_cmpint(esess_hmac_final(h1, out), ==, ESESS_OK);
	g_assert_true(esess_ct_equal(out, w1, sizeof(out)));
	/* handles closed under a pass: that pass fails, the next works */
	esess_hmac_update(h1, "mess", 4);
	esess_crypto_close_shared();
	esess_hmac_update(h1, "age", 3);
	g_assert_cmpint(esess_hmac_final(h1, out), ==, ESESS_ERR_INTERNAL);
	esess_hmac_update(h1, "message", 7);
	g_assert_cmpint(esess_hmac_final(h1, out), ==, ESESS_OK);
	g_assert_true(esess_ct_equal(out, w1, sizeof(out)));
	esess_hmac_free(h1);
}

/* ---- AES-CTR -------------------------------------------------------- */

static void
test_ctr_sp800_38a(void)
{
	GPtrArray *recs = vectors_load("sp800-38a-ctr.txt", "case");
	guint i;

	g_assert_cmpuint(recs->len, ==, 2);
	for (i = 0; i < recs->len; i++) {
		GHashTable *rec = recs->pdata[i];
		size_t klen, ilen, plen, clen, j;
		guint8 *key = rec_hex(rec, "key", &klen);
		guint8 *init = rec_hex(rec, "init", &ilen);
		guint8 *pt = rec_hex(rec, "plaintext", &plen);
		guint8 *ct = rec_hex(rec, "ciphertext", &clen);
		guint8 c[ESESS_COUNTER_LEN], got[ESESS_COUNTER_LEN], buf[64];
		EsessCtr *ctr = NULL;

		g_test_message("SP 800-38A %s", rec_get(rec, "case"));
		g_assert_cmpuint(ilen, ==, 16);
		g_assert_cmpuint(plen, ==, 64);
		g_assert_cmpuint(clen, ==, 64);
		/*
		 * NIST CTR uses its initial counter block T1 for the FIRST
		 * block.  INTEROP R5 pre-increments: the first block uses C+1.
		 * So C = T1 - 1 gives the same keystream T1, T1+1, ... and
		 * after 4 blocks C = T1 + 3.  T1 = f0...ff, so T1 - 1 = f0...fe.
		 */
		memcpy(c, init, 16);
		g_assert_cmpuint(c[15], ==, 0xff);
		c[15] = 0xfe;

		/* one message of 4 blocks */
		g_assert_cmpint(esess_ctr_new(key, klen, c, &ctr), ==, ESESS_OK);
		g_assert_cmpint(esess_ctr_crypt(ctr, pt, buf, 64), ==, ESESS_OK);
		g_assert_true(memcmp(buf, ct, 64) == 0);
		esess_ctr_get_counter(ctr, got);
		assert_hex(got, 16, "f0f1f2f3f4f5f6f7f8f9fafbfcfdff02");
		g_assert_cmpuint(esess_ctr_blocks_used(ctr), ==, 4);
		esess_ctr_free(ctr);

		/* four one-block messages continue the same keystream; decrypt
		 * in place */
		memcpy(buf, ct, 64);
		g_assert_cmpint(esess_ctr_new(key, klen, c, &ctr), ==, ESESS_OK);
		for (j = 0; j < 4; j++)
			g_assert_cmpint(esess_ctr_crypt(ctr, buf + 16 * j, buf + 16 * j, 16), ==,
					ESESS_OK);
		g_assert_true(memcmp(buf, pt, 64) == 0);
		esess_ctr_get_counter(ctr, got);
		assert_hex(got, 16, "f0f1f2f3f4f5f6f7f8f9fafbfcfdff02");
		esess_ctr_free(ctr);

		g_free(key);
		g_free(init);
		g_free(pt);
		g_free(ct);
	}
	g_ptr_array_unref(recs);
}

/* keystream block for counter value v under key32 */
static void
ks_block(const guint8 v[16], guint8 out[16])
{
	aes_block(key32, 32, v, out);
}

static void
test_ctr_partial(void)
{
	guint8 c[16] = { 0 }, blk[16], ctrv[16], got[16];
	guint8 zeros[48] = { 0 }, m1[17], m2[16], m3[1];
	EsessCtr *ctr = NULL;

	c[15] = 0x10;
	g_assert_cmpint(esess_ctr_new(key32, 32, c, &ctr), ==, ESESS_OK);
	/* 17 bytes: blocks C+1 and C+2 (one byte of it), C advances by 2 */
	g_assert_cmpint(esess_ctr_crypt(ctr, zeros, m1, 17), ==, ESESS_OK);
	esess_ctr_get_counter(ctr, got);
	assert_hex(got, 16, "00000000000000000000000000000012");
	g_assert_cmpuint(esess_ctr_blocks_used(ctr), ==, 2);
	memset(ctrv, 0, 16);
	ctrv[15] = 0x11;
	ks_block(ctrv, blk);
	g_assert_true(memcmp(m1, blk, 16) == 0);
	ctrv[15] = 0x12;
	ks_block(ctrv, blk);
	g_assert_cmpuint(m1[16], ==, blk[0]);
	/* the next message starts at C+1 = 0x13: the unused 15 bytes of the
	 * 0x12 block are discarded, not used */
	g_assert_cmpint(esess_ctr_crypt(ctr, zeros, m2, 16), ==, ESESS_OK);
	ctrv[15] = 0x13;
	ks_block(ctrv, blk);
	g_assert_true(memcmp(m2, blk, 16) == 0);
	esess_ctr_get_counter(ctr, got);
	assert_hex(got, 16, "00000000000000000000000000000013");
	/* one byte still costs a whole step */
	g_assert_cmpint(esess_ctr_crypt(ctr, zeros, m3, 1), ==, ESESS_OK);
	ctrv[15] = 0x14;
	ks_block(ctrv, blk);
	g_assert_cmpuint(m3[0], ==, blk[0]);
	esess_ctr_get_counter(ctr, got);
	assert_hex(got, 16, "00000000000000000000000000000014");
	/* an empty message leaves C alone; esess_ctr_step counts one */
	g_assert_cmpint(esess_ctr_crypt(ctr, NULL, NULL, 0), ==, ESESS_OK);
	esess_ctr_get_counter(ctr, got);
	assert_hex(got, 16, "00000000000000000000000000000014");
	g_assert_cmpint(esess_ctr_step(ctr, 1), ==, ESESS_OK);
	esess_ctr_get_counter(ctr, got);
	assert_hex(got, 16, "00000000000000000000000000000015");
	g_assert_cmpuint(esess_ctr_blocks_used(ctr), ==, 5);
	/* a carry across bytes */
	g_assert_cmpint(esess_ctr_step(ctr, 0xeb), ==, ESESS_OK);
	esess_ctr_get_counter(ctr, got);
	assert_hex(got, 16, "00000000000000000000000000000100");
	g_assert_cmpint(esess_ctr_step(ctr, G_GUINT64_CONSTANT(0xffffff00)), ==, ESESS_OK);
	esess_ctr_get_counter(ctr, got);
	assert_hex(got, 16, "00000000000000000000000100000000");
	esess_ctr_free(ctr);
}

static void
test_ctr_wrap(void)
{
	guint8 c[16], blk[16], v[16], got[16], zeros[32] = { 0 }, out[32];
	EsessCtr *ctr = NULL;

	/* SECURITY item 39: C = 2^128 - 1, the first block of the next message
	 * uses C+1 = 0 (mod 2^128), then 1 */
	memset(c, 0xff, 16);
	g_assert_cmpint(esess_ctr_new(key32, 32, c, &ctr), ==, ESESS_OK);
	g_assert_cmpint(esess_ctr_crypt(ctr, zeros, out, 32), ==, ESESS_OK);
	memset(v, 0, 16);
	ks_block(v, blk);
	g_assert_true(memcmp(out, blk, 16) == 0);
	v[15] = 1;
	ks_block(v, blk);
	g_assert_true(memcmp(out + 16, blk, 16) == 0);
	esess_ctr_get_counter(ctr, got);
	assert_hex(got, 16, "00000000000000000000000000000001");
	esess_ctr_free(ctr);

	/* the wrap in the middle of a message: C = 2^128 - 2 */
	c[15] = 0xfe;
	g_assert_cmpint(esess_ctr_new(key32, 32, c, &ctr), ==, ESESS_OK);
	g_assert_cmpint(esess_ctr_crypt(ctr, zeros, out, 32), ==, ESESS_OK);
	memset(v, 0xff, 16);
	ks_block(v, blk);
	g_assert_true(memcmp(out, blk, 16) == 0);
	memset(v, 0, 16);
	ks_block(v, blk);
	g_assert_true(memcmp(out + 16, blk, 16) == 0);
	esess_ctr_get_counter(ctr, got);
	assert_hex(got, 16, "00000000000000000000000000000000");
	/* esess_ctr_step wraps the same way */
	g_assert_cmpint(esess_ctr_step(ctr, 3), ==, ESESS_OK);
	esess_ctr_get_counter(ctr, got);
	assert_hex(got, 16, "00000000000000000000000000000003");
	esess_ctr_free(ctr);
}

static void
test_ctr_exhausted(void)
{
	guint8 c[16] = { 0 }, in[17] = { 0 }, out[17], before[17], got[16];
	EsessCtr *ctr = NULL;

	g_assert_cmpint(esess_ctr_new(key32, 32, c, &ctr), ==, ESESS_OK);
	/* XEP-0200 §Maximum Key Life: 2^32 blocks per key, no more */
	g_assert_cmpint(esess_ctr_step(ctr, ESESS_MAX_BLOCKS_PER_KEY - 2), ==, ESESS_OK);
	g_assert_cmpuint(esess_ctr_blocks_used(ctr), ==, ESESS_MAX_BLOCKS_PER_KEY - 2);
	/* 17 bytes need 2 blocks: exactly up to the limit */
	g_assert_cmpint(esess_ctr_crypt(ctr, in, out, 17), ==, ESESS_OK);
	g_assert_cmpuint(esess_ctr_blocks_used(ctr), ==, ESESS_MAX_BLOCKS_PER_KEY);
	esess_ctr_get_counter(ctr, got);
	assert_hex(got, 16, "00000000000000000000000100000000");
	/* one more byte is refused, and out is left untouched */
	memset(out, 0x5a, sizeof(out));
	memcpy(before, out, sizeof(out));
	g_assert_cmpint(esess_ctr_crypt(ctr, in, out, 1), ==, ESESS_ERR_COUNTER_EXHAUSTED);
	g_assert_true(memcmp(out, before, sizeof(out)) == 0);
	g_assert_cmpint(esess_ctr_step(ctr, 1), ==, ESESS_ERR_COUNTER_EXHAUSTED);
	g_assert_cmpint(esess_ctr_step(ctr, 0), ==, ESESS_OK);
	g_assert_cmpint(esess_ctr_crypt(ctr, in, out, 0), ==, ESESS_OK);
	esess_ctr_get_counter(ctr, got);
	assert_hex(got, 16, "00000000000000000000000100000000");
	/* a re-key resets the count and keeps C (INTEROP R5) */
	g_assert_cmpint(esess_ctr_set_key(ctr, key32, 16), ==, ESESS_OK);
	g_assert_cmpuint(esess_ctr_blocks_used(ctr), ==, 0);
	g_assert_cmpint(esess_ctr_crypt(ctr, in, out, 1), ==, ESESS_OK);
	esess_ctr_get_counter(ctr, got);
	assert_hex(got, 16, "00000000000000000000000100000001");
	/* a huge step is refused as a whole */
	g_assert_cmpint(esess_ctr_step(ctr, G_MAXUINT64), ==, ESESS_ERR_COUNTER_EXHAUSTED);
	g_assert_cmpuint(esess_ctr_blocks_used(ctr), ==, 1);
	esess_ctr_free(ctr);
}

static void
test_ctr_keys(void)
{
	guint8 c[16] = { 0 }, zeros[16] = { 0 }, out[16], blk[16], v[16] = { 0 };
	EsessCtr *ctr = NULL, *ref = NULL;

	/* only AES-128 and AES-256 keys */
	g_assert_cmpint(esess_ctr_new(key32, 24, c, &ctr), ==, ESESS_ERR_INVALID_ARG);
	g_assert_null(ctr);
	g_assert_cmpint(esess_ctr_new(key32, 0, c, &ctr), ==, ESESS_ERR_INVALID_ARG);
	g_assert_cmpint(esess_ctr_new(key32, 31, c, &ctr), ==, ESESS_ERR_INVALID_ARG);

	/* 16 bytes means AES-128: block C+1 = 1 under AES-128 */
	g_assert_cmpint(esess_ctr_new(key32, 16, c, &ctr), ==, ESESS_OK);
	g_assert_cmpint(esess_ctr_crypt(ctr, zeros, out, 16), ==, ESESS_OK);
	v[15] = 1;
	aes_block(key32, 16, v, blk);
	g_assert_true(memcmp(out, blk, 16) == 0);
	/* set_key to a 32-byte key switches to AES-256 on the same counter */
	g_assert_cmpint(esess_ctr_set_key(ctr, key32, 24), ==, ESESS_ERR_INVALID_ARG);
	g_assert_cmpint(esess_ctr_set_key(ctr, key32, 32), ==, ESESS_OK);
	g_assert_cmpint(esess_ctr_crypt(ctr, zeros, out, 16), ==, ESESS_OK);
	v[15] = 2;
	aes_block(key32, 32, v, blk);
	g_assert_true(memcmp(out, blk, 16) == 0);
	/* and equals a fresh cipher started at the same counter */
	v[15] = 1;
	g_assert_cmpint(esess_ctr_new(key32, 32, v, &ref), ==, ESESS_OK);
	g_assert_cmpint(esess_ctr_crypt(ref, zeros, blk, 16), ==, ESESS_OK);
	g_assert_true(memcmp(out, blk, 16) == 0);
	esess_ctr_free(ref);
	esess_ctr_free(ctr);
	esess_ctr_free(NULL);
}

static void
test_counter_flip(void)
{
	GPtrArray *recs = vectors_load("digest14-keys.txt", "group");
	GHashTable *rec = recs->pdata[0];
	size_t alen, blen;
	guint8 *ca = rec_hex(rec, "C_A", &alen);
	guint8 *cb = rec_hex(rec, "C_B", &blen);
	guint8 out[16], back[16];

	g_assert_cmpuint(alen, ==, 16);
	g_assert_cmpuint(blen, ==, 16);
	esess_counter_flip_top(ca, out);
	g_assert_true(memcmp(out, cb, 16) == 0);
	esess_counter_flip_top(out, back);
	g_assert_true(memcmp(back, ca, 16) == 0);
	/* in place */
	esess_counter_flip_top(back, back);
	g_assert_true(memcmp(back, cb, 16) == 0);
	g_free(ca);
	g_free(cb);
	g_ptr_array_unref(recs);
}

/* SECURITY item 39: with C_A close to 2^128 - 1 the counter wraps, and the
 * two directions never use the same counter block within one key's life
 * (their ranges are 2^127 apart; each is at most 2^32 blocks long). */
static void
test_security_39_counter_wrap(void)
{
	guint8 ca[16], cb[16], a[16], b[16], zeros[16] = { 0 };
	EsessCtr *ea = NULL, *eb = NULL;

	memset(ca, 0xff, 16);
	ca[15] = 0xf0;
	esess_counter_flip_top(ca, cb);
	assert_hex(cb, 16, "7ffffffffffffffffffffffffffffff0");
	g_assert_cmpint(esess_ctr_new(key32, 32, ca, &ea), ==, ESESS_OK);
	g_assert_cmpint(esess_ctr_new(key32, 32, cb, &eb), ==, ESESS_OK);
	g_assert_cmpint(esess_ctr_step(ea, ESESS_MAX_BLOCKS_PER_KEY - 1), ==, ESESS_OK);
	g_assert_cmpint(esess_ctr_step(eb, ESESS_MAX_BLOCKS_PER_KEY - 1), ==, ESESS_OK);
	esess_ctr_get_counter(ea, a);
	esess_ctr_get_counter(eb, b);
	/* A wrapped past zero: 0xff..f0 + 2^32 - 1 = 0x00000000_ffffffef */
	assert_hex(a, 16, "000000000000000000000000ffffffef");
	assert_hex(b, 16, "800000000000000000000000ffffffef");
	/* the last allowed block of each direction differs */
	g_assert_cmpint(esess_ctr_crypt(ea, zeros, a, 16), ==, ESESS_OK);
	g_assert_cmpint(esess_ctr_crypt(eb, zeros, b, 16), ==, ESESS_OK);
	g_assert_false(memcmp(a, b, 16) == 0);
	g_assert_cmpint(esess_ctr_crypt(ea, zeros, a, 16), ==, ESESS_ERR_COUNTER_EXHAUSTED);
	esess_ctr_free(ea);
	esess_ctr_free(eb);
}

/* Every EsessCtr shares one AES handle per key size (issue 11 items 1, 3):
 * directions with different keys used in turn give what each gives alone,
 * also across a re-key, a freed neighbour and closed handles. */
static void
test_ctr_shared(void)
{
	/* three AES-256 keys (more than the handles per size, so that one is
	 * always re-made) and one AES-128 key */
	static const guint8 k1[32] = { 1 }, k2[32] = { 2 }, k3[16] = { 3 }, k4[32] = { 4 };
	guint8 c[16], zeros[48] = { 0 };
	guint8 alone[4][4][48], got[48];
	EsessCtr *ctr[4];
	const guint8 *keys[4] = { k1, k2, k3, k4 };
	const size_t lens[4] = { 32, 32, 16, 32 };
	int i, m;

	memset(c, 0x5a, sizeof(c));
	/* each key alone: four messages of 48 bytes */
	for (i = 0; i < 4; i++) {
		g_assert_cmpint(esess_ctr_new(keys[i], lens[i], c, &ctr[i]), ==, ESESS_OK);
		for (m = 0; m < 4; m++)
			g_assert_cmpint(esess_ctr_crypt(ctr[i], zeros, alone[i][m], 48), ==,
					ESESS_OK);
		esess_ctr_free(ctr[i]);
	}
	g_assert_true(memcmp(alone[0][0], alone[1][0], 48) != 0);
	g_assert_true(memcmp(alone[0][0], alone[3][0], 48) != 0);
	/* in turn, and in the reverse turn */
	for (i = 0; i < 4; i++)
		g_assert_cmpint(esess_ctr_new(keys[i], lens[i], c, &ctr[i]), ==, ESESS_OK);
	for (m = 0; m < 2; m++) {
		for (i = 0; i < 4; i++) {
			int j = m == 0 ? i : 3 - i;

			g_assert_cmpint(esess_ctr_crypt(ctr[j], zeros, got, 48), ==, ESESS_OK);
			g_assert_true(memcmp(got, alone[j][m], 48) == 0);
		}
	}
	/* ctr[0] re-keyed to k2 (its counter runs on): the third message is
	 * what k2's third message was */
	g_assert_cmpint(esess_ctr_set_key(ctr[0], k2, 32), ==, ESESS_OK);
	g_assert_cmpint(esess_ctr_crypt(ctr[0], zeros, got, 48), ==, ESESS_OK);
	g_assert_true(memcmp(got, alone[1][2], 48) == 0);
	/* the last user of a handle is freed; the others keep their keys */
	esess_ctr_free(ctr[0]);
	g_assert_cmpint(esess_ctr_crypt(ctr[3], zeros, got, 48), ==, ESESS_OK);
	g_assert_true(memcmp(got, alone[3][2], 48) == 0);
	esess_crypto_close_shared();
	g_assert_cmpint(esess_ctr_crypt(ctr[1], zeros, got, 48), ==, ESESS_OK);
	g_assert_true(memcmp(got, alone[1][2], 48) == 0);
	g_assert_cmpint(esess_ctr_crypt(ctr[2], zeros, got, 48), ==, ESESS_OK);
	g_assert_true(memcmp(got, alone[2][2], 48) == 0);
	/* a re-key with a bad length changes nothing */
	g_assert_cmpint(esess_ctr_set_key(ctr[1], k1, 24), ==, ESESS_ERR_INVALID_ARG);
	g_assert_cmpint(esess_ctr_crypt(ctr[1], zeros, got, 48), ==, ESESS_OK);
	g_assert_true(memcmp(got, alone[1][3], 48) == 0);
	g_assert_cmpint(esess_ctr_crypt(ctr[3], zeros, got, 48), ==, ESESS_OK);
	g_assert_true(memcmp(got, alone[3][3], 48) == 0);
	esess_ctr_free(ctr[1]);
	esess_ctr_free(ctr[2]);
	esess_ctr_free(ctr[3]);
}

/* ---- Diffie-Hellman: DIGEST §14 ------------------------------------- */

static void
test_dh_digest14(void)
{
	static const char *const labels[] = {
		"Initiator Cipher Key", "Initiator MAC Key", "Initiator SIGMA Key",
		"Responder Cipher Key", "Responder MAC Key", "Responder SIGMA Key",
	};
	GPtrArray *recs = vectors_load("digest14-keys.txt", "group");
	GHashTable *rec = recs->pdata[0];
	guint group = (guint)atoi(rec_get(rec, "group"));
	size_t xlen, ylen, elen, dlen, hlen, zlen, n;
	guint8 *x = rec_hex(rec, "x", &xlen);
	guint8 *y = rec_hex(rec, "y", &ylen);
	guint8 *e = rec_hex(rec, "e", &elen);
	guint8 *d = rec_hex(rec, "d", &dlen);
	guint8 *he = rec_hex(rec, "He", &hlen);
	guint8 *z = rec_hex(rec, "shared", &zlen);
	EsessDhKey *ka = NULL, *kb = NULL;
	EsessSecret *za = NULL, *zb = NULL;
	const guint8 *pub;
	guint8 k[32], out[32], fk[32];
	gchar *b64;
	gsize i;

	g_assert_cmpuint(group, ==, 1);
	g_assert_cmpint(esess_dh_key_from_private(group, x, xlen, &ka), ==, ESESS_OK);
	g_assert_cmpint(esess_dh_key_from_private(group, y, ylen, &kb), ==, ESESS_OK);
	g_assert_cmpuint(esess_dh_key_group(ka), ==, 1);
	pub = esess_dh_key_public(ka, &n);
	g_assert_cmpuint(n, ==, elen);
	g_assert_true(memcmp(pub, e, n) == 0);
	pub = esess_dh_key_public(kb, &n);
	g_assert_cmpuint(n, ==, dlen);
	g_assert_true(memcmp(pub, d, n) == 0);

	/* He = SHA256(MPI(e)), and its base64 */
	esess_sha256(e, elen, out);
	g_assert_cmpuint(hlen, ==, 32);
	g_assert_true(esess_ct_equal(out, he, 32));
	b64 = esess_base64_encode(out, 32);
	g_assert_cmpstr(b64, ==, rec_get(rec, "He_b64"));
	g_free(b64);

	/* both sides agree on MPI(g^xy mod p) */
	g_assert_cmpint(esess_dh_check_public_full(group, d, dlen), ==, ESESS_OK);
	g_assert_cmpint(esess_dh_check_public_full(group, e, elen), ==, ESESS_OK);
	g_assert_cmpint(esess_dh_agree(ka, d, dlen, &za), ==, ESESS_OK);
	g_assert_cmpint(esess_dh_agree(kb, e, elen, &zb), ==, ESESS_OK);
	g_assert_cmpuint(za->len, ==, zlen);
	g_assert_true(memcmp(za->data, z, zlen) == 0);
	g_assert_cmpuint(zb->len, ==, zlen);
	g_assert_true(memcmp(zb->data, z, zlen) == 0);
	g_assert_true(gcry_is_secure(za->data));

	/* INTEROP R3: K and the six keys */
	esess_sha256(za->data, za->len, k);
	assert_hex(k, 32, rec_get(rec, "K"));
	for (i = 0; i < G_N_ELEMENTS(labels); i++) {
		g_assert_cmpint(esess_hmac_sha256(k, 32, labels[i], strlen(labels[i]), out), ==,
				ESESS_OK);
		assert_hex(out, 32, rec_get(rec, labels[i]));
	}
	/* INTEROP R9: final K with no SRS and no OSS, the new retained secret */
	esess_sha256(k, 32, fk);
	assert_hex(fk, 32, rec_get(rec, "final K"));
	g_assert_cmpint(esess_hmac_sha256(fk, 32, "New Retained Secret", 19, out), ==, ESESS_OK);
	assert_hex(out, 32, rec_get(rec, "New Retained Secret"));

	esess_secret_free(za);
	esess_secret_free(zb);
	esess_dh_key_free(ka);
	esess_dh_key_free(kb);
	g_free(x);
	g_free(y);
	g_free(e);
	g_free(d);
	g_free(he);
	g_free(z);
	g_ptr_array_unref(recs);
}

/* Under memcheck a DH value of group 18 costs seconds of libgcrypt
 * arithmetic, and the code paths are the same for every group: the DH
 * tests then run on the groups up to 2048 bits only (issue 10 item 10: the
 * valgrind stage must not depend on the machine's speed).  The gcc and
 * ASan stages run every group. */
static gboolean
under_valgrind(void)
{
#ifdef CRYPTO_HAVE_VALGRIND_H
	if (RUNNING_ON_VALGRIND)
		return TRUE;
#endif
	return g_getenv("ESESS_UNDER_VALGRIND") != NULL;
}

static gboolean
group_runs(guint group)
{
	return !under_valgrind() || esess_modp_bits(group) <= 2048;
}

/* ---- Diffie-Hellman: key generation and private ranges -------------- */

static void
test_dh_keygen(void)
{
	const guint *groups;
	gsize n, i;

	groups = esess_modp_all(&n);
	for (i = 0; i < n; i++) {
		EsessDhKey *a = NULL, *b = NULL;
		EsessSecret *sa = NULL, *sb = NULL;
		const guint8 *pa, *pb;
		size_t la, lb, plen;

		if (!group_runs(groups[i]))
			continue;
		g_test_message("group %u", groups[i]);
		esess_modp_prime(groups[i], &plen);
		g_assert_cmpint(esess_dh_keygen(groups[i], &a), ==, ESESS_OK);
		g_assert_cmpint(esess_dh_keygen(groups[i], &b), ==, ESESS_OK);
		g_assert_cmpuint(esess_dh_key_group(a), ==, groups[i]);
		pa = esess_dh_key_public(a, &la);
		pb = esess_dh_key_public(b, &lb);
		g_assert_cmpuint(la, <=, plen);
		g_assert_cmpint(esess_mpi_check_minimal(pa, la), ==, ESESS_OK);
		g_assert_false(la == lb && memcmp(pa, pb, la) == 0);
		/* g = 2 generates the order-q subgroup: our values pass the
		 * full check */
		g_assert_cmpint(esess_dh_check_public_full(groups[i], pa, la), ==, ESESS_OK);
		g_assert_cmpint(esess_dh_agree(a, pb, lb, &sa), ==, ESESS_OK);
		g_assert_cmpint(esess_dh_agree(b, pa, la, &sb), ==, ESESS_OK);
		g_assert_cmpuint(sa->len, ==, sb->len);
		g_assert_cmpuint(sa->len, <=, plen);
		g_assert_true(esess_ct_equal(sa->data, sb->data, sa->len));
		g_assert_cmpint(esess_mpi_check_minimal(sa->data, sa->len), ==, ESESS_OK);
		esess_secret_free(sa);
		esess_secret_free(sb);
		esess_dh_key_free(a);
		esess_dh_key_free(b);
	}
}

static void
test_dh_unknown_group(void)
{
	static const guint bad[] = { 0, 3, 4, 6, 13, 19, 24, G_MAXUINT };
	static const guint8 two = 2;
	guint8 x[32];
	EsessDhKey *k = NULL;
	gsize i;

	memset(x, 0x80, sizeof(x));
	for (i = 0; i < G_N_ELEMENTS(bad); i++) {
		g_assert_cmpint(esess_dh_keygen(bad[i], &k), ==, ESESS_ERR_UNKNOWN_GROUP);
		g_assert_null(k);
		g_assert_cmpint(esess_dh_key_from_private(bad[i], x, sizeof(x), &k), ==,
				ESESS_ERR_UNKNOWN_GROUP);
		g_assert_null(k);
		g_assert_cmpint(esess_dh_check_public(bad[i], &two, 1), ==,
				ESESS_ERR_UNKNOWN_GROUP);
		g_assert_cmpint(esess_dh_check_public_full(bad[i], &two, 1), ==,
				ESESS_ERR_UNKNOWN_GROUP);
	}
	esess_dh_key_free(NULL);
}

static void
test_dh_private_range(void)
{
	guint8 x[97];
	const guint8 *p;
	size_t plen;
	EsessDhKey *k = NULL;

	/* 2^255 exactly: refused (the bound is strict) */
	memset(x, 0, sizeof(x));
	x[0] = 0x80;
	g_assert_cmpint(esess_dh_key_from_private(1, x, 32, &k), ==, ESESS_ERR_DH_RANGE);
	g_assert_null(k);
	/* 2^255 - 1, and zero, and the empty string */
	memset(x, 0xff, 32);
	x[0] = 0x7f;
	g_assert_cmpint(esess_dh_key_from_private(1, x, 32, &k), ==, ESESS_ERR_DH_RANGE);
	g_assert_cmpint(esess_dh_key_from_private(1, x, 0, &k), ==, ESESS_ERR_DH_RANGE);
	memset(x, 0, 32);
	g_assert_cmpint(esess_dh_key_from_private(1, x, 32, &k), ==, ESESS_ERR_DH_RANGE);
	/* 2^255 + 1 with leading zero octets is the same number: accepted */
	memset(x, 0, sizeof(x));
	x[3] = 0x80;
	x[34] = 0x01;
	g_assert_cmpint(esess_dh_key_from_private(1, x, 35, &k), ==, ESESS_OK);
	esess_dh_key_free(k);
	k = NULL;
	/* p - 1 refused, p - 2 accepted, p refused */
	p = esess_modp_prime(1, &plen);
	g_assert_cmpuint(plen, ==, 96);
	memcpy(x, p, plen);
	x[plen - 1] -= 1;
	g_assert_cmpint(esess_dh_key_from_private(1, x, plen, &k), ==, ESESS_ERR_DH_RANGE);
	x[plen - 1] -= 1;
	g_assert_cmpint(esess_dh_key_from_private(1, x, plen, &k), ==, ESESS_OK);
	esess_dh_key_free(k);
	k = NULL;
	g_assert_cmpint(esess_dh_key_from_private(1, p, plen, &k), ==, ESESS_ERR_DH_RANGE);
	/* longer than p */
	memset(x, 0, sizeof(x));
	x[0] = 1;
	g_assert_cmpint(esess_dh_key_from_private(1, x, 97, &k), ==, ESESS_ERR_DH_RANGE);
	g_assert_null(k);
}

/* ---- Diffie-Hellman: SECURITY catalogue A --------------------------- */

/* A byte string holding the group's p + delta (delta small, |delta| < 256). */
static guint8 *
p_plus(guint group, int delta, size_t *len)
{
	const guint8 *p = esess_modp_prime(group, len);
	guint8 *v = g_memdup2(p, *len);

	/* the last byte of every MODP prime is 0xff */
	g_assert_cmpuint(v[*len - 1], ==, 0xff);
	if (delta <= 0) {
		v[*len - 1] = (guint8)(0xff + delta);
	} else {
		size_t i = *len - 1;
		guint carry = (guint)delta;

		while (carry != 0) {
			guint s = v[i] + carry;

			v[i] = (guint8)s;
			carry = s >> 8;
			g_assert_cmpuint(i, >, 0);
			i--;
		}
	}
	return v;
}

/* every DH entry point refuses v with `code` */
static void
assert_dh_rejects(guint group, const guint8 *v, size_t len, EsessStatus code)
{
	EsessDhKey *k = NULL;
	EsessSecret *s = NULL;

	g_assert_cmpint(esess_dh_check_public(group, v, len), ==, code);
	g_assert_cmpint(esess_dh_check_public_full(group, v, len), ==, code);
	g_assert_cmpint(esess_dh_keygen(group, &k), ==, ESESS_OK);
	g_assert_cmpint(esess_dh_agree(k, v, len, &s), ==, code);
	g_assert_null(s);
	esess_dh_key_free(k);
}

/* the groups to run every case on; under valgrind the first four
 * (group_runs) */
static const guint sec_groups[] = { 1, 2, 5, 14, 15, 16, 17, 18 };
#define N_SEC_GROUPS (under_valgrind() ? (gsize)4 : G_N_ELEMENTS(sec_groups))

static void
test_security_1_y_zero(void)
{
	static const guint8 zero = 0;
	gsize i;

	for (i = 0; i < N_SEC_GROUPS; i++) {
		/* zero is the empty MPI; a lone 0x00 is a non-minimal zero */
		assert_dh_rejects(sec_groups[i], NULL, 0, ESESS_ERR_DH_RANGE);
		assert_dh_rejects(sec_groups[i], &zero, 1, ESESS_ERR_MPI);
	}
}

static void
test_security_2_y_one(void)
{
	static const guint8 one = 1;
	gsize i;

	for (i = 0; i < N_SEC_GROUPS; i++)
		assert_dh_rejects(sec_groups[i], &one, 1, ESESS_ERR_DH_RANGE);
}

static void
test_security_3_y_p_minus_1(void)
{
	gsize i;

	for (i = 0; i < N_SEC_GROUPS; i++) {
		size_t len;
		guint8 *v = p_plus(sec_groups[i], -1, &len);

		assert_dh_rejects(sec_groups[i], v, len, ESESS_ERR_DH_RANGE);
		g_free(v);
	}
}

static void
test_security_4_y_p_and_above(void)
{
	gsize i;

	for (i = 0; i < N_SEC_GROUPS; i++) {
		guint g = sec_groups[i];
		size_t len;
		guint8 *v;

		/* y = p, p + 1: never reduced mod p */
		v = p_plus(g, 0, &len);
		assert_dh_rejects(g, v, len, ESESS_ERR_DH_RANGE);
		g_free(v);
		v = p_plus(g, 1, &len);
		assert_dh_rejects(g, v, len, ESESS_ERR_DH_RANGE);
		g_free(v);
		/* y = 2^|p| - 1 */
		esess_modp_prime(g, &len);
		v = g_malloc(len + 1);
		memset(v, 0xff, len);
		assert_dh_rejects(g, v, len, ESESS_ERR_DH_RANGE);
		/* an encoding longer than p: 2^|p|, and 2 on |p|+1 bytes is
		 * non-minimal first */
		memset(v, 0, len + 1);
		v[0] = 1;
		assert_dh_rejects(g, v, len + 1, ESESS_ERR_DH_RANGE);
		v[0] = 0;
		v[len] = 2;
		assert_dh_rejects(g, v, len + 1, ESESS_ERR_MPI);
		g_free(v);
	}
}

static void
test_security_5_y_two_and_p_minus_2(void)
{
	static const guint8 two = 2;
	gsize i;

	for (i = 0; i < N_SEC_GROUPS; i++) {
		guint g = sec_groups[i];
		EsessDhKey *k = NULL;
		EsessSecret *s = NULL;
		size_t len;
		guint8 *pm2 = p_plus(g, -2, &len);

		/* legal in range; g itself is a residue, p - 2 is not */
		g_assert_cmpint(esess_dh_check_public(g, &two, 1), ==, ESESS_OK);
		g_assert_cmpint(esess_dh_check_public(g, pm2, len), ==, ESESS_OK);
		g_assert_cmpint(esess_dh_check_public_full(g, &two, 1), ==, ESESS_OK);
		g_assert_cmpint(esess_dh_check_public_full(g, pm2, len), ==, ESESS_ERR_DH_RANGE);
		/* agreeing with them works (range-only policy) */
		g_assert_cmpint(esess_dh_keygen(g, &k), ==, ESESS_OK);
		g_assert_cmpint(esess_dh_agree(k, &two, 1, &s), ==, ESESS_OK);
		g_assert_nonnull(s);
		esess_secret_free(s);
		s = NULL;
		g_assert_cmpint(esess_dh_agree(k, pm2, len, &s), ==, ESESS_OK);
		g_assert_nonnull(s);
		esess_secret_free(s);
		esess_dh_key_free(k);
		g_free(pm2);
	}
}

static void
test_security_6_order_2q(void)
{
	gsize i;

	for (i = 0; i < N_SEC_GROUPS; i++) {
		guint g = sec_groups[i];
		size_t len;
		/* p ≡ 3 (mod 4): -1 is a non-residue, so -4 = p - 4 is one
		 * (order 2q) while 4 = 2^2 is a residue (order q) */
		guint8 *pm4 = p_plus(g, -4, &len);
		static const guint8 four = 4;

		g_assert_cmpint(esess_dh_check_public(g, pm4, len), ==, ESESS_OK);
		g_assert_cmpint(esess_dh_check_public_full(g, pm4, len), ==, ESESS_ERR_DH_RANGE);
		g_assert_cmpint(esess_dh_check_public(g, &four, 1), ==, ESESS_OK);
		g_assert_cmpint(esess_dh_check_public_full(g, &four, 1), ==, ESESS_OK);
		g_free(pm4);
	}
}

static void
test_security_7_leading_zero(void)
{
	EsessDhKey *k = NULL, *peer = NULL;
	EsessSecret *s = NULL;
	const guint8 *pub;
	size_t len;
	guint8 *padded;

	g_assert_cmpint(esess_dh_keygen(14, &k), ==, ESESS_OK);
	g_assert_cmpint(esess_dh_keygen(14, &peer), ==, ESESS_OK);
	pub = esess_dh_key_public(peer, &len);
	g_assert_cmpint(esess_dh_check_public(14, pub, len), ==, ESESS_OK);
	padded = g_malloc(len + 1);
	padded[0] = 0;
	memcpy(padded + 1, pub, len);
	/* the same number with one leading zero octet: He and the MACs would
	 * differ, so it is refused, never normalised */
	g_assert_cmpint(esess_dh_check_public(14, padded, len + 1), ==, ESESS_ERR_MPI);
	g_assert_cmpint(esess_dh_check_public_full(14, padded, len + 1), ==, ESESS_ERR_MPI);
	g_assert_cmpint(esess_dh_agree(k, padded, len + 1, &s), ==, ESESS_ERR_MPI);
	g_assert_null(s);
	g_free(padded);
	esess_dh_key_free(k);
	esess_dh_key_free(peer);
}

static void
test_security_9_rekey_key_le_1(void)
{
	static const guint8 one = 1, two = 2;
	gsize i;

	/* XEP-0200 only says "> 1"; re-key values go through the same full
	 * 1 < e < p-1 check */
	for (i = 0; i < N_SEC_GROUPS; i++) {
		size_t len;
		guint8 *pm1 = p_plus(sec_groups[i], -1, &len);

		g_assert_cmpint(esess_dh_check_public(sec_groups[i], NULL, 0), ==,
				ESESS_ERR_DH_RANGE);
		g_assert_cmpint(esess_dh_check_public(sec_groups[i], &one, 1), ==,
				ESESS_ERR_DH_RANGE);
		g_assert_cmpint(esess_dh_check_public(sec_groups[i], &two, 1), ==, ESESS_OK);
		g_assert_cmpint(esess_dh_check_public(sec_groups[i], pm1, len), ==,
				ESESS_ERR_DH_RANGE);
		g_free(pm1);
	}
}

static void
test_security_10_reflection(void)
{
	EsessDhKey *k = NULL;
	EsessSecret *s = NULL;
	const guint8 *pub;
	size_t len;
	guint8 *copy;

	g_assert_cmpint(esess_dh_keygen(14, &k), ==, ESESS_OK);
	pub = esess_dh_key_public(k, &len);
	copy = g_memdup2(pub, len);
	/* our own e sent back as d */
	g_assert_cmpint(esess_dh_agree(k, copy, len, &s), ==, ESESS_ERR_DH_REFLECTED);
	g_assert_null(s);
	/* one bit different is an ordinary value */
	copy[len - 1] ^= 1;
	g_assert_cmpint(esess_dh_agree(k, copy, len, &s), ==, ESESS_OK);
	esess_secret_free(s);
	g_free(copy);
	esess_dh_key_free(k);
}

static void
test_security_11_degenerate_shared(void)
{
	static const guint8 two = 2;
	gsize i;

	/*
	 * With y in range and a safe prime, y^x is 1 or p-1 only when q | x.
	 * Random exponents (<= 512 bits) never are; x = q = (p-1)/2 is in
	 * (2^255, p-1), so esess_dh_key_from_private builds the case:
	 * 2^q = 1 (2 is a residue) and (p-2)^q = (-2)^q = -1 (q odd).
	 */
	for (i = 0; i < N_SEC_GROUPS; i++) {
		guint g = sec_groups[i];
		EsessDhKey *k = NULL;
		EsessSecret *s = NULL;
		size_t len, j;
		guint8 *q = p_plus(g, -1, &len);
		guint8 *pm2 = p_plus(g, -2, &len);
		guint carry = 0;

		/* q = (p - 1) >> 1 */
		for (j = 0; j < len; j++) {
			guint b = q[j];

			q[j] = (guint8)((b >> 1) | (carry << 7));
			carry = b & 1;
		}
		g_assert_cmpint(esess_dh_key_from_private(g, q, len, &k), ==, ESESS_OK);
		g_assert_cmpint(esess_dh_agree(k, &two, 1, &s), ==, ESESS_ERR_DH_SHARED);
		g_assert_null(s);
		g_assert_cmpint(esess_dh_agree(k, pm2, len, &s), ==, ESESS_ERR_DH_SHARED);
		g_assert_null(s);
		esess_dh_key_free(k);
		g_free(q);
		g_free(pm2);
	}
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	/* /crypto/init/foreign initialises libgcrypt its own way in a child */
	if (!g_test_subprocess() && esess_crypto_init() != ESESS_OK)
		g_error("esess_crypto_init failed");

	g_test_add_func("/crypto/init", test_init);
	g_test_add_func("/crypto/init/foreign", test_init_foreign);
	g_test_add_func("/crypto/random", test_random);
	g_test_add_func("/crypto/sha256/known", test_sha256);
	g_test_add_func("/crypto/hmac/rfc4231", test_hmac_rfc4231);
	g_test_add_func("/crypto/hmac/empty-key", test_hmac_empty);
	g_test_add_func("/crypto/hmac/shared-state", test_hmac_shared);
	g_test_add_func("/crypto/ctr/sp800-38a", test_ctr_sp800_38a);
	g_test_add_func("/crypto/ctr/partial-block", test_ctr_partial);
	g_test_add_func("/crypto/ctr/wrap", test_ctr_wrap);
	g_test_add_func("/crypto/ctr/exhausted", test_ctr_exhausted);
	g_test_add_func("/crypto/ctr/keys", test_ctr_keys);
	g_test_add_func("/crypto/ctr/counter-flip", test_counter_flip);
	g_test_add_func("/crypto/ctr/shared-handle", test_ctr_shared);
	g_test_add_func("/crypto/dh/digest14", test_dh_digest14);
	g_test_add_func("/crypto/dh/keygen", test_dh_keygen);
	g_test_add_func("/crypto/dh/unknown-group", test_dh_unknown_group);
	g_test_add_func("/crypto/dh/private-range", test_dh_private_range);
	g_test_add_func("/crypto/security/1-y-zero", test_security_1_y_zero);
	g_test_add_func("/crypto/security/2-y-one", test_security_2_y_one);
	g_test_add_func("/crypto/security/3-y-p-minus-1", test_security_3_y_p_minus_1);
	g_test_add_func("/crypto/security/4-y-p-and-above", test_security_4_y_p_and_above);
	g_test_add_func("/crypto/security/5-y-two-and-p-minus-2",
			test_security_5_y_two_and_p_minus_2);
	g_test_add_func("/crypto/security/6-order-2q", test_security_6_order_2q);
	g_test_add_func("/crypto/security/7-leading-zero", test_security_7_leading_zero);
	g_test_add_func("/crypto/security/9-rekey-key-le-1", test_security_9_rekey_key_le_1);
	g_test_add_func("/crypto/security/10-reflection", test_security_10_reflection);
	g_test_add_func("/crypto/security/11-degenerate-shared",
			test_security_11_degenerate_shared);
	g_test_add_func("/crypto/security/39-counter-wrap", test_security_39_counter_wrap);
	return g_test_run();
}
