/*
 * test-bytes: strict base64 (SECURITY rule 2, items 40-41), MPI minimality
 * (INTEROP R2), strict decimal integers (SECURITY item 60), UTF-8, size
 * arithmetic and the bounded reader.
 */
#include "config.h"

#include <string.h>

#include "esess-bytes.h"
#include "esess-crypto.h"
#include "esess-mem.h"

static void
assert_decodes(const char *text, const char *expect)
{
	guint8 *out = NULL;
	size_t n = 99;

	g_assert_cmpint(esess_base64_decode(text, strlen(text), 1024, &out, &n), ==, ESESS_OK);
	g_assert_cmpuint(n, ==, strlen(expect));
	if (n == 0)
		g_assert_null(out);
	else
		g_assert_true(memcmp(out, expect, n) == 0);
	g_free(out);
}

static void
test_base64_rfc4648(void)
{
	/* RFC 4648 §10 */
	static const char *const vec[][2] = {
		{ "", "" },           { "f", "Zg==" },         { "fo", "Zm8=" },
		{ "foo", "Zm9v" },    { "foob", "Zm9vYg==" },  { "fooba", "Zm9vYmE=" },
		{ "foobar", "Zm9vYmFy" },
	};
	gsize i;

	for (i = 0; i < G_N_ELEMENTS(vec); i++) {
		gchar *enc = esess_base64_encode((const guint8 *)vec[i][0], strlen(vec[i][0]));
		GString *s = g_string_new("x:");

		g_assert_cmpstr(enc, ==, vec[i][1]);
		esess_base64_append(s, (const guint8 *)vec[i][0], strlen(vec[i][0]));
		g_assert_cmpstr(s->str + 2, ==, vec[i][1]);
		g_assert_cmpuint(s->len, ==, 2 + strlen(vec[i][1]));
		assert_decodes(vec[i][1], vec[i][0]);
		g_string_free(s, TRUE);
		g_free(enc);
	}
	/* all 64 alphabet characters, both directions */
	{
		static const char alpha[] =
			"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
		static const guint8 bytes[48] = {
			0x00, 0x10, 0x83, 0x10, 0x51, 0x87, 0x20, 0x92, 0x8b, 0x30, 0xd3, 0x8f,
			0x41, 0x14, 0x93, 0x51, 0x55, 0x97, 0x61, 0x96, 0x9b, 0x71, 0xd7, 0x9f,
			0x82, 0x18, 0xa3, 0x92, 0x59, 0xa7, 0xa2, 0x9a, 0xab, 0xb2, 0xdb, 0xaf,
			0xc3, 0x1c, 0xb3, 0xd3, 0x5d, 0xb7, 0xe3, 0x9e, 0xbb, 0xf3, 0xdf, 0xbf,
		};
		guint8 *out = NULL;
		size_t n = 0;
		gchar *enc;

		g_assert_cmpint(esess_base64_decode(alpha, 64, 48, &out, &n), ==, ESESS_OK);
		g_assert_cmpuint(n, ==, 48);
		g_assert_true(memcmp(out, bytes, 48) == 0);
		enc = esess_base64_encode(bytes, 48);
		g_assert_cmpstr(enc, ==, alpha);
		g_free(enc);
		g_free(out);
	}
}

static void
test_base64_roundtrip(void)
{
	guint8 data[300], exact[300];
	size_t len;

	esess_random(data, sizeof(data));
	for (len = 0; len <= sizeof(data); len++) {
		gchar *enc = esess_base64_encode(data, len);
		gchar *ref = g_base64_encode(data, len);
		GString *s = g_string_new("pre");
		guint8 *out = NULL;
		size_t n = 12345;

		/* GLib's encoder is a fine reference: only its decoder is lax */
		g_assert_cmpstr(enc, ==, ref);
		g_assert_cmpuint(strlen(enc), ==, (len + 2) / 3 * 4);
		esess_base64_append(s, data, len);
		g_assert_cmpstr(s->str + 3, ==, ref);
		g_assert_cmpint(esess_base64_decode(enc, strlen(enc), len, &out, &n), ==, ESESS_OK);
		g_assert_cmpuint(n, ==, len);
		g_assert_true(len == 0 ? out == NULL : memcmp(out, data, len) == 0);
		g_assert_cmpint(esess_base64_decode_exact(enc, strlen(enc), exact, len), ==,
				ESESS_OK);
		g_assert_true(len == 0 || memcmp(exact, data, len) == 0);
		/* one byte short of room: refused */
		if (len > 0) {
			guint8 *o2 = NULL;
			size_t n2 = 1;

			g_assert_cmpint(esess_base64_decode(enc, strlen(enc), len - 1, &o2, &n2), ==,
					ESESS_ERR_TOO_LARGE);
			g_assert_null(o2);
			g_assert_cmpuint(n2, ==, 0);
			g_assert_cmpint(esess_base64_decode_exact(enc, strlen(enc), exact, len - 1),
					==, ESESS_ERR_LENGTH);
		}
		g_free(out);
		g_free(enc);
		g_free(ref);
		g_string_free(s, TRUE);
	}
}

static void
assert_b64_status(const char *text, size_t len, size_t max_out, EsessStatus code)
{
	guint8 *out = (guint8 *)"sentinel";
	size_t n = 77;

	g_test_message("base64 input of %" G_GSIZE_FORMAT " bytes", len);
	g_assert_cmpint(esess_base64_decode(text, len, max_out, &out, &n), ==, code);
	if (code != ESESS_OK) {
		g_assert_null(out);
		g_assert_cmpuint(n, ==, 0);
	}
	g_free(out);
}

#define B64_BAD(s) assert_b64_status((s), sizeof(s) - 1, 1024, ESESS_ERR_BASE64)

static void
test_security_40_base64_junk(void)
{
	guint8 mac[32];

	/* SECURITY rule 2: what g_base64_decode "decodes" */
	B64_BAD("QUJD$$$$RA==");
	B64_BAD("====");
	B64_BAD("QUJ");
	/* whitespace anywhere, line breaks included */
	B64_BAD("QUJD RA=");
	B64_BAD(" QUJDRA=");
	B64_BAD("QUJDRA=\n");
	B64_BAD("QUJD\nRA==");
	B64_BAD("QUJD\tRA=");
	B64_BAD("QUJD\r\nRA==");
	/* non-zero unused bits: "QR==" is not the canonical "QQ==" */
	B64_BAD("QR==");
	B64_BAD("QUJ=");
	B64_BAD("QUF=");
	assert_decodes("QQ==", "A");
	assert_decodes("QUI=", "AB");
	/* padding in the wrong place or too much of it */
	B64_BAD("Q===");
	B64_BAD("=QUI");
	B64_BAD("QU=I");
	B64_BAD("QUJDRA==QUJD");
	B64_BAD("QUJD====");
	B64_BAD("QQ=");
	B64_BAD("QQ");
	B64_BAD("Q");
	/* other alphabets, NUL, 8-bit bytes */
	B64_BAD("ab-_");
	B64_BAD("QUJD\0RA=");
	B64_BAD("QUJ\xc3\xa9");
	B64_BAD("\xffQUI");
	B64_BAD("QU.I");

	/* the exact decoder: junk is BASE64, good text of another length LENGTH */
	g_assert_cmpint(esess_base64_decode_exact("QUJD$$$$RA==", 12, mac, 8), ==,
			ESESS_ERR_BASE64);
	g_assert_cmpint(esess_base64_decode_exact("QUJD$$$$RA==", 12, mac, 32), ==,
			ESESS_ERR_BASE64);
	g_assert_cmpint(esess_base64_decode_exact("QUJ", 3, mac, 2), ==, ESESS_ERR_BASE64);
	g_assert_cmpint(esess_base64_decode_exact("QR==", 4, mac, 1), ==, ESESS_ERR_BASE64);
	g_assert_cmpint(esess_base64_decode_exact("QUJD", 4, mac, 32), ==, ESESS_ERR_LENGTH);
	g_assert_cmpint(esess_base64_decode_exact("", 0, mac, 32), ==, ESESS_ERR_LENGTH);
	g_assert_cmpint(esess_base64_decode_exact("", 0, NULL, 0), ==, ESESS_OK);
}

static void
test_security_35_base64_mac_length(void)
{
	guint8 raw[33], mac[32];
	size_t n;

	/* a MAC decodes to exactly 32 bytes: 1..31 and 33 are LENGTH */
	esess_random(raw, sizeof(raw));
	for (n = 1; n <= 33; n++) {
		gchar *b = esess_base64_encode(raw, n);

		g_assert_cmpint(esess_base64_decode_exact(b, strlen(b), mac, 32), ==,
				n == 32 ? ESESS_OK : ESESS_ERR_LENGTH);
		g_free(b);
	}
	g_assert_true(memcmp(mac, raw, 32) == 0);
}

static void
test_security_41_base64_oversized(void)
{
	size_t big = ESESS_MAX_BASE64_TEXT + 4;
	gchar *text = g_malloc(big);
	guint8 *out = NULL;
	size_t n = 0;
	guint8 one[1];

	memset(text, 'A', big);
	/* the text cap comes before looking at any character */
	assert_b64_status(text, big, G_MAXSIZE, ESESS_ERR_TOO_LARGE);
	text[0] = '$';
	assert_b64_status(text, big, G_MAXSIZE, ESESS_ERR_TOO_LARGE);
	g_assert_cmpint(esess_base64_decode_exact(text, big, one, 1), ==, ESESS_ERR_LENGTH);
	/* exactly at the cap is fine */
	text[0] = 'A';
	g_assert_cmpint(esess_base64_decode(text, ESESS_MAX_BASE64_TEXT, G_MAXSIZE, &out, &n), ==,
			ESESS_OK);
	g_assert_cmpuint(n, ==, ESESS_MAX_BASE64_TEXT / 4 * 3);
	g_free(out);
	/* the output cap: max_out exceeded */
	assert_b64_status("QUJD", 4, 2, ESESS_ERR_TOO_LARGE);
	assert_b64_status("QUJD", 4, 3, ESESS_OK);
	assert_b64_status("QUI=", 4, 1, ESESS_ERR_TOO_LARGE);
	assert_b64_status("QUI=", 4, 2, ESESS_OK);
	assert_b64_status("", 0, 0, ESESS_OK);
	g_free(text);
}

static void
test_mpi(void)
{
	static const guint8 z1[] = { 0 }, z2[] = { 0, 1 }, ok[] = { 1, 0 }, zz[] = { 0, 0, 5 };
	static const guint8 allz[] = { 0, 0, 0 };

	g_assert_cmpint(esess_mpi_check_minimal(NULL, 0), ==, ESESS_OK);
	g_assert_cmpint(esess_mpi_check_minimal(z1, 1), ==, ESESS_ERR_MPI);
	g_assert_cmpint(esess_mpi_check_minimal(z2, 2), ==, ESESS_ERR_MPI);
	g_assert_cmpint(esess_mpi_check_minimal(ok, 2), ==, ESESS_OK);
	g_assert_cmpint(esess_mpi_check_minimal(zz, 3), ==, ESESS_ERR_MPI);
	g_assert_cmpuint(esess_mpi_strip(zz, 3), ==, 2);
	g_assert_cmpuint(esess_mpi_strip(ok, 2), ==, 0);
	g_assert_cmpuint(esess_mpi_strip(allz, 3), ==, 3);
	g_assert_cmpuint(esess_mpi_strip(NULL, 0), ==, 0);
	g_assert_cmpint(esess_mpi_check_minimal(zz + esess_mpi_strip(zz, 3), 1), ==, ESESS_OK);
}

static void
assert_uint(const char *text, guint64 max, EsessStatus code, guint64 expect)
{
	guint64 v = 4242;

	g_test_message("parse_uint \"%s\"", text);
	g_assert_cmpint(esess_parse_uint(text, max, &v), ==, code);
	g_assert_cmpuint(v, ==, code == ESESS_OK ? expect : 0);
}

static void
test_security_60_integers(void)
{
	const guint64 u32 = G_MAXUINT32;

	assert_uint("-1", u32, ESESS_ERR_INTEGER, 0);
	assert_uint("+1", u32, ESESS_ERR_INTEGER, 0);
	assert_uint("01", u32, ESESS_ERR_INTEGER, 0);
	assert_uint("00", u32, ESESS_ERR_INTEGER, 0);
	assert_uint("", u32, ESESS_ERR_INTEGER, 0);
	assert_uint(" 1", u32, ESESS_ERR_INTEGER, 0);
	assert_uint("1 ", u32, ESESS_ERR_INTEGER, 0);
	assert_uint("1\n", u32, ESESS_ERR_INTEGER, 0);
	assert_uint("0x10", u32, ESESS_ERR_INTEGER, 0);
	assert_uint("1e3", u32, ESESS_ERR_INTEGER, 0);
	assert_uint("12a", u32, ESESS_ERR_INTEGER, 0);
	assert_uint("\xd9\xa1", u32, ESESS_ERR_INTEGER, 0); /* ARABIC-INDIC DIGIT ONE */
	assert_uint("18446744073709551616", G_MAXUINT64, ESESS_ERR_INTEGER, 0);
	assert_uint("99999999999999999999999", G_MAXUINT64, ESESS_ERR_INTEGER, 0);
	assert_uint("4294967296", u32, ESESS_ERR_INTEGER, 0);
	assert_uint("4294967295", u32, ESESS_OK, u32);
	assert_uint("18446744073709551615", G_MAXUINT64, ESESS_OK, G_MAXUINT64);
	assert_uint("18446744073709551615", G_MAXUINT64 - 1, ESESS_ERR_INTEGER, 0);
	assert_uint("0", u32, ESESS_OK, 0);
	assert_uint("0", 0, ESESS_OK, 0);
	assert_uint("1", 0, ESESS_ERR_INTEGER, 0);
	assert_uint("10", 9, ESESS_ERR_INTEGER, 0);
	assert_uint("9", 9, ESESS_OK, 9);
	assert_uint("100", 100, ESESS_OK, 100);
	assert_uint("101", 100, ESESS_ERR_INTEGER, 0);
}

static void
test_utf8(void)
{
	g_assert_cmpint(esess_utf8_check("", 0), ==, ESESS_OK);
	g_assert_cmpint(esess_utf8_check(NULL, 0), ==, ESESS_OK);
	g_assert_cmpint(esess_utf8_check("hello", 5), ==, ESESS_OK);
	g_assert_cmpint(esess_utf8_check("h\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", 12), ==,
			ESESS_OK);
	/* only the given length counts */
	g_assert_cmpint(esess_utf8_check("ab\xff", 2), ==, ESESS_OK);
	g_assert_cmpint(esess_utf8_check("ab\xff", 3), ==, ESESS_ERR_UTF8);
	g_assert_cmpint(esess_utf8_check("a\0b", 3), ==, ESESS_ERR_UTF8);
	g_assert_cmpint(esess_utf8_check("\xc0\x80", 2), ==, ESESS_ERR_UTF8);     /* overlong NUL */
	g_assert_cmpint(esess_utf8_check("\xe0\x80\xaf", 3), ==, ESESS_ERR_UTF8); /* overlong / */
	g_assert_cmpint(esess_utf8_check("\xed\xa0\x80", 3), ==, ESESS_ERR_UTF8); /* surrogate */
	g_assert_cmpint(esess_utf8_check("\xf4\x90\x80\x80", 4), ==, ESESS_ERR_UTF8);
	g_assert_cmpint(esess_utf8_check("\xe2\x82", 2), ==, ESESS_ERR_UTF8); /* truncated */
	g_assert_cmpint(esess_utf8_check("\x80", 1), ==, ESESS_ERR_UTF8);
}

static void
test_size(void)
{
	size_t r = 1;

	g_assert_true(esess_size_add(2, 3, &r));
	g_assert_cmpuint(r, ==, 5);
	g_assert_true(esess_size_add(G_MAXSIZE - 1, 1, &r));
	g_assert_cmpuint(r, ==, G_MAXSIZE);
	g_assert_false(esess_size_add(G_MAXSIZE, 1, &r));
	g_assert_false(esess_size_add(1, G_MAXSIZE, &r));
	g_assert_true(esess_size_mul(0, G_MAXSIZE, &r));
	g_assert_cmpuint(r, ==, 0);
	g_assert_true(esess_size_mul(G_MAXSIZE, 1, &r));
	g_assert_cmpuint(r, ==, G_MAXSIZE);
	g_assert_true(esess_size_mul(1000, 1000, &r));
	g_assert_cmpuint(r, ==, 1000000);
	g_assert_false(esess_size_mul(G_MAXSIZE / 2 + 1, 2, &r));
	g_assert_false(esess_size_mul((size_t)1 << (sizeof(size_t) * 4),
				      (size_t)1 << (sizeof(size_t) * 4), &r));
}

static void
test_reader(void)
{
	static const guint8 buf[6] = { 1, 2, 3, 4, 5, 6 };
	EsessReader r;
	const guint8 *p = buf;

	esess_reader_init(&r, buf, sizeof(buf));
	g_assert_cmpuint(esess_reader_left(&r), ==, 6);
	g_assert_cmpint(esess_reader_take(&r, 2, &p), ==, ESESS_OK);
	g_assert_true(p == buf);
	g_assert_cmpuint(esess_reader_left(&r), ==, 4);
	g_assert_cmpint(esess_reader_finish(&r), ==, ESESS_ERR_LENGTH);
	/* too much: refused, nothing consumed, *out cleared */
	g_assert_cmpint(esess_reader_take(&r, 5, &p), ==, ESESS_ERR_LENGTH);
	g_assert_null(p);
	g_assert_cmpint(esess_reader_take(&r, G_MAXSIZE, &p), ==, ESESS_ERR_LENGTH);
	g_assert_cmpuint(esess_reader_left(&r), ==, 4);
	g_assert_cmpint(esess_reader_take(&r, 0, &p), ==, ESESS_OK);
	g_assert_true(p == buf + 2);
	g_assert_cmpint(esess_reader_take(&r, 4, &p), ==, ESESS_OK);
	g_assert_cmpuint(p[0], ==, 3);
	g_assert_cmpuint(esess_reader_left(&r), ==, 0);
	g_assert_cmpint(esess_reader_finish(&r), ==, ESESS_OK);
	g_assert_cmpint(esess_reader_take(&r, 1, &p), ==, ESESS_ERR_LENGTH);

	esess_reader_init(&r, NULL, 0);
	g_assert_cmpint(esess_reader_finish(&r), ==, ESESS_OK);
}

/* Issue 9 item 10: one normalisation of JIDs for the engine and the
 * adapter: node and domain folded, the resource kept. */
static void
test_jid(void)
{
	char *t;

#define NORM(in, want) G_STMT_START { \
	t = esess_jid_normalize(in); \
	g_assert_cmpstr(t, ==, want); \
	g_free(t); \
} G_STMT_END
#define BARE(in, want) G_STMT_START { \
	t = esess_jid_bare(in); \
	g_assert_cmpstr(t, ==, want); \
	g_free(t); \
} G_STMT_END
	NORM("Alice@Example.ORG/PDA Home", "alice@example.org/PDA Home");
	NORM("alice@example.org", "alice@example.org");
	NORM("EXAMPLE.org/Res/With/Slash", "example.org/Res/With/Slash");
	NORM("IRMAK@example.org/I", "irmak@example.org/I");  /* never the locale's */
	/* non-ASCII: case folded and NFKC, as nodeprep/nameprep map them */
	NORM("\xc3\x84lice@B\xc3\xbc" "cher.example/\xc3\x84",
	     "\xc3\xa4lice@b\xc3\xbc" "cher.example/\xc3\x84");
	NORM("A\xcc\x88@x.example", "\xc3\xa4@x.example");   /* A + combining diaeresis */
	BARE("Alice@Example.ORG/PDA", "alice@example.org");
	BARE("alice@example.org", "alice@example.org");
	g_assert_null(esess_jid_normalize(NULL));
	g_assert_null(esess_jid_bare(NULL));
	g_assert_true(esess_jid_equal("Bob@Example.COM/laptop", "bob@example.com/laptop"));
	g_assert_false(esess_jid_equal("bob@example.com/Laptop", "bob@example.com/laptop"));
	g_assert_false(esess_jid_equal("bob@example.com", "bob@example.com/laptop"));
	g_assert_true(esess_jid_equal(NULL, NULL));
	g_assert_false(esess_jid_equal("a@b", NULL));
#undef NORM
#undef BARE
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	if (esess_crypto_init() != ESESS_OK)
		g_error("esess_crypto_init failed");
	g_test_add_func("/bytes/base64/rfc4648", test_base64_rfc4648);
	g_test_add_func("/bytes/base64/roundtrip-0-300", test_base64_roundtrip);
	g_test_add_func("/bytes/security/35-base64-mac-length", test_security_35_base64_mac_length);
	g_test_add_func("/bytes/security/40-base64-junk", test_security_40_base64_junk);
	g_test_add_func("/bytes/security/41-base64-oversized", test_security_41_base64_oversized);
	g_test_add_func("/bytes/mpi", test_mpi);
	g_test_add_func("/bytes/security/60-integers", test_security_60_integers);
	g_test_add_func("/bytes/utf8", test_utf8);
	g_test_add_func("/bytes/size", test_size);
	g_test_add_func("/bytes/reader", test_reader);
	g_test_add_func("/bytes/jid-normalise", test_jid);
	return g_test_run();
}
