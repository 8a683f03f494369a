/*
 * test-archive: the encrypted archive's collection format (issue 13,
 * doc/archive.md).
 *
 * Known answers from tests/vectors/archive-kat.txt, computed independently
 * with Python's `cryptography` (tests/vectors/archive-kat.py): a fixed
 * collection key and name and three fixed messages give fixed bytes, and
 * they read back, as does a collection with system lines (direction 3),
 * while the same with direction 0 or 4 is refused; an RSA-OAEP wrapping made there unwraps here (OAEP is
 * randomised, so our own wrapping is checked by round trips).  Then the
 * hostile inputs: a flipped bit anywhere, every truncation, reordered,
 * dropped or foreign records, trailing bytes, a wrong key and oversized
 * lengths are each refused, and nothing is returned then.
 */
#include "config.h"

#include <string.h>

#include "esess-archive-private.h"
#include "esess-bytes.h"
#include "esess-crypto.h"
#include "esess-idkey-private.h"
#include "../protocol/neg-harness.h"

static char *
vec_get(const char *key)
{
	static char *text;
	char *v;

	if (text == NULL)
		text = neg_vector("archive-kat.txt");
	v = neg_vector_get(text, key);
	g_assert_nonnull(v);
	return v;
}

static GBytes *
vec_b64(const char *key)
{
	char *v = vec_get(key);
	gsize len;
	guchar *b = g_base64_decode(v, &len);

	g_free(v);
	return g_bytes_new_take(b, len);
}

static void
vec_hex(const char *key, guint8 *out, size_t len)
{
	char *v = vec_get(key);
	size_t i;

	g_assert_cmpuint(strlen(v), ==, 2 * len);
	for (i = 0; i < len; i++)
		out[i] = (guint8)(g_ascii_xdigit_value(v[2 * i]) * 16 +
				  g_ascii_xdigit_value(v[2 * i + 1]));
	g_free(v);
}

/* memmem() is a GNU extension */
static guint8 *
find_bytes(const void *hay, gsize hay_len, const char *needle, gsize n)
{
	const guint8 *h = hay;
	gsize i;

	for (i = 0; i + n <= hay_len; i++)
		if (memcmp(h + i, needle, n) == 0)
			return (guint8 *)h + i;
	return NULL;
}

typedef struct {
	EsessArchiveDir dir;
	gint64 time;
	char *sender;
	char *text;
} Msg;

static Msg *
vec_msgs_named(const char *prefix, guint *n)
{
	Msg *m = g_new0(Msg, 3);
	guint i;

	for (i = 0; i < 3; i++) {
		char *k = g_strdup_printf("%s%u", prefix, i), *v = vec_get(k);
		char **f = g_strsplit(v, " ", 4);
		gsize l;

		g_assert_cmpuint(g_strv_length(f), ==, 4);
		m[i].dir = (EsessArchiveDir)atoi(f[0]);
		m[i].time = g_ascii_strtoll(f[1], NULL, 10);
		m[i].sender = (char *)g_base64_decode(f[2], &l);
		m[i].sender = g_realloc(m[i].sender, l + 1);
		m[i].sender[l] = '\0';
		m[i].text = (char *)g_base64_decode(f[3], &l);
		m[i].text = g_realloc(m[i].text, l + 1);
		m[i].text[l] = '\0';
		g_strfreev(f);
		g_free(v);
		g_free(k);
	}
	*n = 3;
	return m;
}

static Msg *
vec_msgs(guint *n)
{
	return vec_msgs_named("msg", n);
}

static void
msgs_free(Msg *m, guint n)
{
	guint i;

	for (i = 0; i < n; i++) {
		g_free(m[i].sender);
		g_free(m[i].text);
	}
	g_free(m);
}

/* What the adapter does with the writer's bytes: a new file, then each
 * append replaces the trailer. */
static void
file_apply(GByteArray *file, const GByteArray *bytes, gboolean first)
{
	if (!first)
		g_byte_array_set_size(file, file->len - ESESS_ARCHIVE_TRAILER_LEN);
	g_byte_array_append(file, bytes->data, bytes->len);
}

static GByteArray *
write_collection(const guint8 *key, const char *name, const EsessPubKey *const *keys,
		 guint n_keys, const Msg *m, guint n)
{
	EsessArchiveWriter *w;
	GByteArray *file = g_byte_array_new(), *b = g_byte_array_new();
	guint i;

	if (key != NULL)
		g_assert_cmpint(esess_archive_writer_new_with_key(key, name, keys, n_keys, &w, b),
				==, ESESS_OK);
	else
		g_assert_cmpint(esess_archive_writer_new(keys, n_keys, &w, b), ==, ESESS_OK);
	file_apply(file, b, TRUE);
	g_assert_cmpuint(esess_archive_writer_size(w), ==, file->len);
	for (i = 0; i < n; i++) {
		g_assert_cmpint(esess_archive_writer_append(w, m[i].dir, m[i].time, m[i].sender,
							    m[i].text, b), ==, ESESS_OK);
		file_apply(file, b, FALSE);
		g_assert_cmpuint(esess_archive_writer_size(w), ==, file->len);
	}
	g_assert_cmpuint(esess_archive_writer_count(w), ==, n);
	esess_archive_writer_free(w);
	g_byte_array_unref(b);
	return file;
}

/* The same, bound to an account, a contact and a start (version 2). */
static GByteArray *
write_bound(const EsessPubKey *const *keys, const char *own, const char *with,
	    const char *start, const Msg *m, guint n)
{
	EsessArchiveWriter *w = NULL;
	GByteArray *file = g_byte_array_new(), *b = g_byte_array_new();
	guint i;

	g_assert_cmpint(esess_archive_writer_new_bound(keys, 1, own, with, start, &w, b), ==,
			ESESS_OK);
	file_apply(file, b, TRUE);
	for (i = 0; i < n; i++) {
		g_assert_cmpint(esess_archive_writer_append(w, m[i].dir, m[i].time, m[i].sender,
							    m[i].text, b), ==, ESESS_OK);
		file_apply(file, b, FALSE);
	}
	esess_archive_writer_free(w);
	g_byte_array_unref(b);
	return file;
}

static void
assert_records(GPtrArray *recs, const Msg *m, guint n)
{
	guint i;

	g_assert_cmpuint(recs->len, ==, n);
	for (i = 0; i < n; i++) {
		EsessArchiveRecord *r = g_ptr_array_index(recs, i);

		g_assert_cmpint(r->dir, ==, m[i].dir);
		g_assert_cmpint(r->time, ==, m[i].time);
		g_assert_cmpstr(r->sender, ==, m[i].sender);
		g_assert_cmpstr(r->text, ==, m[i].text);
	}
}

static void
test_kat_collection(void)
{
	guint8 key[32];
	char *name = vec_get("name");
	GBytes *want = vec_b64("collection"), *want_empty = vec_b64("empty");
	GByteArray *file;
	GPtrArray *recs = NULL;
	guint n;
	Msg *m = vec_msgs(&n);

	vec_hex("key", key, sizeof key);
	file = write_collection(key, name, NULL, 0, m, 0);
	g_assert_cmpmem(file->data, file->len, g_bytes_get_data(want_empty, NULL),
			g_bytes_get_size(want_empty));
	g_byte_array_unref(file);

	file = write_collection(key, name, NULL, 0, m, n);
	g_assert_cmpmem(file->data, file->len, g_bytes_get_data(want, NULL),
			g_bytes_get_size(want));
	g_assert_cmpint(esess_archive_read_with_key(file->data, file->len, key, &recs), ==,
			ESESS_OK);
	assert_records(recs, m, n);
	g_ptr_array_unref(recs);
	g_byte_array_unref(file);
	msgs_free(m, n);
	g_bytes_unref(want);
	g_bytes_unref(want_empty);
	g_free(name);
}

/* Version 2 (doc/archive.md): the header binds the account, the contact and
 * the start.  The bytes the independent script makes; the check refuses
 * (as changed, ESESS_ERR_MAC) a collection read under another contact,
 * account or start (a file moved to another folder or renamed, a server
 * copy under another item id); every byte of the three attributes is
 * under T0; a version-1 collection binds nothing and is read as before. */
static void
test_kat_bound(void)
{
	guint8 key[32];
	char *name = vec_get("name"), *bv = vec_get("bound");
	char **b = g_strsplit(bv, " ", 3);
	GBytes *want = vec_b64("bound_collection"), *v1 = vec_b64("collection");
	EsessArchiveWriter *w;
	GByteArray *file, *hb = g_byte_array_new();
	GPtrArray *recs = NULL;
	gboolean bound = FALSE;
	guint8 *from, *to;
	gsize off;
	guint n, i;
	Msg *m = vec_msgs(&n);

	vec_hex("key", key, sizeof key);
	g_assert_cmpuint(g_strv_length(b), ==, 3);
	g_assert_cmpint(esess_archive_writer_new_with_key_bound(key, name, b[0], b[1], b[2], NULL,
								0, &w, hb), ==, ESESS_OK);
	file = g_byte_array_new();
	file_apply(file, hb, TRUE);
	for (i = 0; i < n; i++) {
		g_assert_cmpint(esess_archive_writer_append(w, m[i].dir, m[i].time, m[i].sender,
							    m[i].text, hb), ==, ESESS_OK);
		file_apply(file, hb, FALSE);
	}
	esess_archive_writer_free(w);
	g_assert_cmpmem(file->data, file->len, g_bytes_get_data(want, NULL),
			g_bytes_get_size(want));
	g_assert_cmpint(esess_archive_read_with_key_bound(file->data, file->len, key, b[0], b[1],
							  b[2], &bound, &recs), ==, ESESS_OK);
	g_assert_true(bound);
	assert_records(recs, m, n);
	g_ptr_array_unref(recs);
	recs = NULL;
	/* listed under another contact, account or date: refused */
	g_assert_cmpint(esess_archive_read_with_key_bound(file->data, file->len, key, b[0],
							  "carol@localhost", b[2], NULL, &recs),
			==, ESESS_ERR_MAC);
	g_assert_null(recs);
	g_assert_cmpint(esess_archive_read_with_key_bound(file->data, file->len, key,
							  "mallory@localhost", b[1], b[2], NULL,
							  &recs), ==, ESESS_ERR_MAC);
	g_assert_cmpint(esess_archive_read_with_key_bound(file->data, file->len, key, b[0], b[1],
							  "20251204T140000", NULL, &recs), ==,
			ESESS_ERR_MAC);
	g_assert_null(recs);
	/* every byte of the attributes is authenticated */
	from = find_bytes(file->data, file->len, " own='", 6);
	to = find_bytes(file->data, file->len, b[2], strlen(b[2]));
	g_assert_nonnull(from);
	g_assert_nonnull(to);
	for (off = (gsize)(from - file->data); off < (gsize)(to - file->data) + strlen(b[2]);
	     off++) {
		file->data[off] ^= 0x01;
		g_assert_cmpint(esess_archive_read_with_key_bound(file->data, file->len, key, b[0],
								  b[1], b[2], NULL, &recs), !=,
				ESESS_OK);
		g_assert_cmpint(esess_archive_read_with_key(file->data, file->len, key, &recs), !=,
				ESESS_OK);
		g_assert_null(recs);
		file->data[off] ^= 0x01;
	}
	/* a version-1 collection binds nothing: read, and said so */
	bound = TRUE;
	g_assert_cmpint(esess_archive_read_with_key_bound(g_bytes_get_data(v1, NULL),
							  g_bytes_get_size(v1), key, b[0],
							  "carol@localhost", b[2], &bound, &recs),
			==, ESESS_OK);
	g_assert_false(bound);
	assert_records(recs, m, n);
	g_ptr_array_unref(recs);
	g_byte_array_unref(file);
	g_byte_array_unref(hb);
	msgs_free(m, n);
	g_bytes_unref(want);
	g_bytes_unref(v1);
	g_strfreev(b);
	g_free(bv);
	g_free(name);
}

/* Direction 3 (a system line, or an old log's line whose writer is not
 * known; the sender may be empty): the bytes the independent script makes,
 * and they read back.  The same collection with that byte 0 or 4, each
 * MAC valid, is refused whole: only 1, 2 and 3 are directions. */
static void
test_kat_system(void)
{
	guint8 key[32];
	char *name = vec_get("name");
	GBytes *want = vec_b64("sys_collection");
	GBytes *dir0 = vec_b64("sys_dir0"), *dir4 = vec_b64("sys_dir4");
	GByteArray *file;
	GPtrArray *recs = NULL;
	guint n;
	Msg *m = vec_msgs_named("sysmsg", &n);

	vec_hex("key", key, sizeof key);
	g_assert_cmpint(m[1].dir, ==, ESESS_ARCHIVE_OTHER);
	g_assert_cmpstr(m[1].sender, ==, "");
	file = write_collection(key, name, NULL, 0, m, n);
	g_assert_cmpmem(file->data, file->len, g_bytes_get_data(want, NULL),
			g_bytes_get_size(want));
	g_assert_cmpint(esess_archive_read_with_key(file->data, file->len, key, &recs), ==,
			ESESS_OK);
	assert_records(recs, m, n);
	g_ptr_array_unref(recs);
	recs = NULL;
	g_assert_cmpint(esess_archive_read_with_key(g_bytes_get_data(dir0, NULL),
						    g_bytes_get_size(dir0), key, &recs), ==,
			ESESS_ERR_MALFORMED);
	g_assert_null(recs);
	g_assert_cmpint(esess_archive_read_with_key(g_bytes_get_data(dir4, NULL),
						    g_bytes_get_size(dir4), key, &recs), ==,
			ESESS_ERR_MALFORMED);
	g_assert_null(recs);
	g_byte_array_unref(file);
	msgs_free(m, n);
	g_bytes_unref(want);
	g_bytes_unref(dir0);
	g_bytes_unref(dir4);
	g_free(name);
}

static EsessIdKey *
load_key(const char *file)
{
	gsize len;
	char *pem = neg_vector_len(file, &len);
	EsessIdKey *k = NULL;

	g_assert_cmpint(esess_idkey_import_pem(pem, len, NULL, &k), ==, ESESS_OK);
	g_free(pem);
	return k;
}

static void
test_kat_unwrap(void)
{
	EsessIdKey *alice = load_key("idkey-alice.pem");
	EsessIdKey *bob = load_key("idkey-bob.pem");
	GBytes *w = vec_b64("wrapped_alice");
	guint8 want[32], got[32];
	guint8 *bad;

	vec_hex("wrap_key", want, sizeof want);
	g_assert_cmpint(esess_archive_unwrap(alice, g_bytes_get_data(w, NULL), g_bytes_get_size(w),
					     got), ==, ESESS_OK);
	g_assert_cmpmem(got, 32, want, 32);
	/* another key, a flipped bit, a wrong length: refused */
	g_assert_cmpint(esess_archive_unwrap(bob, g_bytes_get_data(w, NULL), g_bytes_get_size(w),
					     got), ==, ESESS_ERR_MAC);
	bad = g_memdup2(g_bytes_get_data(w, NULL), g_bytes_get_size(w));
	bad[100] ^= 0x01;
	g_assert_cmpint(esess_archive_unwrap(alice, bad, g_bytes_get_size(w), got), ==,
			ESESS_ERR_MAC);
	g_assert_cmpint(esess_archive_unwrap(alice, bad, g_bytes_get_size(w) - 1, got), ==,
			ESESS_ERR_MAC);
	g_free(bad);
	g_bytes_unref(w);
	esess_idkey_free(alice);
	esess_idkey_free(bob);
}

/* The public pair: a collection written bound to alice, bob and a start is
 * read by esess_archive_read_bound() under those, refused under another
 * contact (a file moved into carol's folder), another start (renamed), or
 * another account; esess_archive_read() does not look.  The arguments
 * are checked. */
static void
test_roundtrip_bound(void)
{
	EsessIdKey *alice = load_key("idkey-alice-2048.pem");
	const EsessPubKey *keys[1] = { esess_idkey_public(alice) };
	EsessArchiveWriter *w = NULL;
	GByteArray *file, *b = g_byte_array_new();
	GPtrArray *recs = NULL;
	gboolean bound = FALSE;
	const char *own = "alice@example.org", *with = "bob@example.org";
	const char *start = "20261203T171500";
	guint n;
	Msg *m = vec_msgs(&n);

	file = write_bound(keys, own, with, start, m, n);
	g_assert_cmpint(esess_archive_read_bound(file->data, file->len, alice, own, with, start,
						 &bound, &recs), ==, ESESS_OK);
	g_assert_true(bound);
	assert_records(recs, m, n);
	g_ptr_array_unref(recs);
	recs = NULL;
	g_assert_cmpint(esess_archive_read_bound(file->data, file->len, alice, own,
						 "carol@example.org", start, NULL, &recs), ==,
			ESESS_ERR_MAC);
	g_assert_cmpint(esess_archive_read_bound(file->data, file->len, alice, own, with,
						 "20261202T171500", NULL, &recs), ==,
			ESESS_ERR_MAC);
	g_assert_cmpint(esess_archive_read_bound(file->data, file->len, alice, with, with, start,
						 NULL, &recs), ==, ESESS_ERR_MAC);
	g_assert_null(recs);
	g_assert_cmpint(esess_archive_read_bound(file->data, file->len, alice, own, NULL, start,
						 NULL, &recs), ==, ESESS_ERR_INVALID_ARG);
	g_assert_cmpint(esess_archive_read(file->data, file->len, alice, &recs), ==, ESESS_OK);
	g_ptr_array_unref(recs);
	/* the binding's arguments: all three, bare JIDs, the file name's stamp */
	g_assert_cmpint(esess_archive_writer_new_bound(keys, 1, own, NULL, start, &w, b), ==,
			ESESS_ERR_INVALID_ARG);
	g_assert_cmpint(esess_archive_writer_new_bound(keys, 1, own, "bob@example.org/res", start,
						       &w, b), ==, ESESS_ERR_INVALID_ARG);
	g_assert_cmpint(esess_archive_writer_new_bound(keys, 1, "", with, start, &w, b), ==,
			ESESS_ERR_INVALID_ARG);
	g_assert_cmpint(esess_archive_writer_new_bound(keys, 1, own, with, "2026-12-03 17:15", &w,
						       b), ==, ESESS_ERR_INVALID_ARG);
	g_assert_cmpint(esess_archive_writer_new_bound(keys, 1, own, with, "20261203X171500", &w,
						       b), ==, ESESS_ERR_INVALID_ARG);
	g_byte_array_unref(file);
	g_byte_array_unref(b);
	msgs_free(m, n);
	esess_idkey_free(alice);
}

/* A record at a time (esess_archive_reader_*): the same records as the
 * whole read, the end only once the trailer holds; the binding checked at
 * the start; a cut or a changed record stops it for good. */
static void
test_reader(void)
{
	EsessIdKey *alice = load_key("idkey-alice-2048.pem");
	const EsessPubKey *keys[1] = { esess_idkey_public(alice) };
	EsessArchiveReader *rd = NULL;
	EsessArchiveRecord *rec = NULL;
	GByteArray *file;
	GPtrArray *recs = g_ptr_array_new_with_free_func((GDestroyNotify)esess_archive_record_free);
	const char *own = "alice@example.org", *with = "bob@example.org";
	const char *start = "20261203T171500";
	guint n, i;
	Msg *m = vec_msgs(&n);

	file = write_bound(keys, own, with, start, m, n);

	g_assert_cmpint(esess_archive_reader_new_bound(file->data, file->len, alice, own, with,
						       start, &rd), ==, ESESS_OK);
	while (esess_archive_reader_next(rd, &rec) == ESESS_OK && rec != NULL)
		g_ptr_array_add(recs, rec);
	g_assert_null(rec);
	assert_records(recs, m, n);
	/* the end stays the end */
	g_assert_cmpint(esess_archive_reader_next(rd, &rec), ==, ESESS_OK);
	g_assert_null(rec);
	esess_archive_reader_free(rd);
	rd = NULL;

	/* another contact: refused before any record */
	g_assert_cmpint(esess_archive_reader_new_bound(file->data, file->len, alice, own,
						       "carol@example.org", start, &rd), ==,
			ESESS_ERR_MAC);
	g_assert_null(rd);
	g_assert_cmpint(esess_archive_reader_new_bound(file->data, file->len, alice, own, with,
						       NULL, &rd), ==, ESESS_ERR_INVALID_ARG);

	/* cut before the trailer: every record reads, the end does not */
	g_assert_cmpint(esess_archive_reader_new_bound(file->data,
						       file->len - ESESS_ARCHIVE_TRAILER_LEN, alice,
						       own, with, start, &rd), ==, ESESS_OK);
	for (i = 0; i < n; i++) {
		g_assert_cmpint(esess_archive_reader_next(rd, &rec), ==, ESESS_OK);
		g_assert_nonnull(rec);
		esess_archive_record_free(rec);
	}
	g_assert_cmpint(esess_archive_reader_next(rd, &rec), ==, ESESS_ERR_MAC);
	g_assert_null(rec);
	g_assert_cmpint(esess_archive_reader_next(rd, &rec), ==, ESESS_ERR_MAC);
	esess_archive_reader_free(rd);

	/* a byte of the last record changed: the records before it read */
	file->data[file->len - ESESS_ARCHIVE_TRAILER_LEN - ESESS_HMAC_LEN - 1] ^= 1;
	g_assert_cmpint(esess_archive_reader_new_bound(file->data, file->len, alice, own, with,
						       start, &rd), ==, ESESS_OK);
	for (i = 0; i + 1 < n; i++) {
		g_assert_cmpint(esess_archive_reader_next(rd, &rec), ==, ESESS_OK);
		esess_archive_record_free(rec);
	}
	g_assert_cmpint(esess_archive_reader_next(rd, &rec), ==, ESESS_ERR_MAC);
	g_assert_null(rec);
	esess_archive_reader_free(rd);

	g_ptr_array_unref(recs);
	g_byte_array_unref(file);
	msgs_free(m, n);
	esess_idkey_free(alice);
}

/* A random key wrapped to two keys: each private key reads it, a third
 * does not (ESESS_ERR_KEY: "not for this key", never garbage). */
static void
test_roundtrip_wrap(void)
{
	EsessIdKey *alice = load_key("idkey-alice-2048.pem");
	EsessIdKey *bob = load_key("idkey-bob-2048.pem");
	EsessIdKey *mallory = load_key("idkey-mallory-2048.pem");
	const EsessPubKey *keys[2] = { esess_idkey_public(alice), esess_idkey_public(bob) };
	GByteArray *file, *other;
	GPtrArray *recs = NULL;
	guint n;
	Msg *m = vec_msgs(&n);

	file = write_collection(NULL, NULL, keys, 2, m, n);
	g_assert_true(esess_archive_has_key(file->data, file->len, keys[0]));
	g_assert_true(esess_archive_has_key(file->data, file->len, keys[1]));
	g_assert_false(esess_archive_has_key(file->data, file->len,
					     esess_idkey_public(mallory)));
	g_assert_cmpint(esess_archive_read(file->data, file->len, alice, &recs), ==, ESESS_OK);
	assert_records(recs, m, n);
	g_ptr_array_unref(recs);
	recs = NULL;
	g_assert_cmpint(esess_archive_read(file->data, file->len, bob, &recs), ==, ESESS_OK);
	assert_records(recs, m, n);
	g_ptr_array_unref(recs);
	recs = NULL;
	g_assert_cmpint(esess_archive_read(file->data, file->len, mallory, &recs), ==,
			ESESS_ERR_KEY);
	g_assert_null(recs);
	/* two collections never share a key: same messages, other bytes */
	other = write_collection(NULL, NULL, keys, 2, m, n);
	g_assert_cmpuint(other->len, ==, file->len);
	g_assert_true(memcmp(other->data, file->data, file->len) != 0);
	/* the plaintext is nowhere in the file */
	g_assert_null(find_bytes(file->data, file->len, "private", 7));
	/* a flipped bit in the wrapped key or anywhere in the header: refused */
	{
		guint8 *pos = find_bytes(file->data, file->len, "<CipherValue>", 13);
		gsize off;

		g_assert_nonnull(pos);
		off = (gsize)(pos - file->data) + 20;
		file->data[off] ^= 0x02;
		g_assert_cmpint(esess_archive_read(file->data, file->len, alice, &recs), !=,
				ESESS_OK);
		g_assert_null(recs);
		file->data[off] ^= 0x02;
		/* the first wrapped key is alice's: flip bob's wrapped key, alice
		 * still unwraps hers, but the header MAC catches the change */
		pos = find_bytes(pos + 1, file->len - (gsize)(pos + 1 - file->data), "<CipherValue>",
			     13);
		g_assert_nonnull(pos);
		off = (gsize)(pos - file->data) + 20;
		file->data[off] ^= 0x02;
		g_assert_cmpint(esess_archive_read(file->data, file->len, alice, &recs), ==,
				ESESS_ERR_MAC);
		g_assert_null(recs);
		file->data[off] ^= 0x02;
	}
	g_byte_array_unref(other);
	g_byte_array_unref(file);
	msgs_free(m, n);
	esess_idkey_free(alice);
	esess_idkey_free(bob);
	esess_idkey_free(mallory);
}

static GByteArray *
kat_file(guint8 key[32])
{
	char *name = vec_get("name");
	guint n;
	Msg *m = vec_msgs(&n);
	GByteArray *file;

	vec_hex("key", key, 32);
	file = write_collection(key, name, NULL, 0, m, n);
	msgs_free(m, n);
	g_free(name);
	return file;
}

static void
assert_refused(const guint8 *data, size_t len, const guint8 *key)
{
	GPtrArray *recs = NULL;

	g_assert_cmpint(esess_archive_read_with_key(data, len, key, &recs), !=, ESESS_OK);
	g_assert_null(recs);
}

/* SECURITY: every bit of a collection is covered by a MAC (header, each
 * record and the trailer). */
static void
test_hostile_flip(void)
{
	guint8 key[32];
	GByteArray *file = kat_file(key);
	guint i;

	/* one bit of every byte, a different bit from byte to byte (cheap
	 * enough for the memcheck stage) */
	for (i = 0; i < file->len; i++) {
		file->data[i] ^= (guint8)(1u << (i % 8));
		assert_refused(file->data, file->len, key);
		file->data[i] ^= (guint8)(1u << (i % 8));
	}
	g_byte_array_unref(file);
}

/* Every cut, whole records included, is seen (the trailer counts them). */
static void
test_hostile_truncate(void)
{
	guint8 key[32];
	GByteArray *file = kat_file(key);
	guint i;

	for (i = 0; i < file->len; i++)
		assert_refused(file->data, i, key);
	/* trailing bytes after the trailer */
	g_byte_array_append(file, (const guint8 *)"x", 1);
	assert_refused(file->data, file->len, key);
	g_byte_array_unref(file);
}

/* Offsets of the records: [i] is where record i starts, [n] the trailer. */
static guint
record_offsets(const GByteArray *file, gsize *off)
{
	gsize p = ESESS_ARCHIVE_MAGIC_LEN;
	guint n = 0;
	guint32 l;

	l = ((guint32)file->data[p] << 24) | ((guint32)file->data[p + 1] << 16) |
	    ((guint32)file->data[p + 2] << 8) | file->data[p + 3];
	p += 4 + l + 32;
	for (;;) {
		off[n] = p;
		l = ((guint32)file->data[p] << 24) | ((guint32)file->data[p + 1] << 16) |
		    ((guint32)file->data[p + 2] << 8) | file->data[p + 3];
		if (l == 0xffffffffu)
			return n;
		p += 4 + l + 32;
		n++;
	}
}

static void
test_hostile_reorder(void)
{
	guint8 key[32], other_key[32];
	GByteArray *file = kat_file(key), *x, *foreign;
	gsize off[8];
	guint n = record_offsets(file, off);
	char *name = vec_get("name");
	guint nm;
	Msg *m = vec_msgs(&nm);

	g_assert_cmpuint(n, ==, 3);
	/* records 0 and 1 swapped */
	x = g_byte_array_new();
	g_byte_array_append(x, file->data, off[0]);
	g_byte_array_append(x, file->data + off[1], off[2] - off[1]);
	g_byte_array_append(x, file->data + off[0], off[1] - off[0]);
	g_byte_array_append(x, file->data + off[2], file->len - off[2]);
	g_assert_cmpuint(x->len, ==, file->len);
	assert_refused(x->data, x->len, key);
	g_byte_array_unref(x);
	/* record 1 dropped (the trailer's count fixed up) */
	x = g_byte_array_new();
	g_byte_array_append(x, file->data, off[1]);
	g_byte_array_append(x, file->data + off[2], file->len - off[2]);
	x->data[x->len - 33] = 2;
	assert_refused(x->data, x->len, key);
	g_byte_array_unref(x);
	/* the last record dropped, the old trailer kept */
	x = g_byte_array_new();
	g_byte_array_append(x, file->data, off[2]);
	g_byte_array_append(x, file->data + off[3], file->len - off[3]);
	assert_refused(x->data, x->len, key);
	g_byte_array_unref(x);
	/* a record duplicated */
	x = g_byte_array_new();
	g_byte_array_append(x, file->data, off[1]);
	g_byte_array_append(x, file->data + off[0], file->len - off[0]);
	assert_refused(x->data, x->len, key);
	g_byte_array_unref(x);
	/* a record from a collection with another key, at the same place */
	memcpy(other_key, key, 32);
	other_key[0] ^= 1;
	foreign = write_collection(other_key, name, NULL, 0, m, nm);
	x = g_byte_array_new();
	g_byte_array_append(x, file->data, off[1]);
	g_byte_array_append(x, foreign->data + off[1], off[2] - off[1]);
	g_byte_array_append(x, file->data + off[2], file->len - off[2]);
	assert_refused(x->data, x->len, key);
	g_byte_array_unref(x);
	/* the whole collection with the wrong key */
	assert_refused(foreign->data, foreign->len, key);
	g_byte_array_unref(foreign);
	g_byte_array_unref(file);
	msgs_free(m, nm);
	g_free(name);
}

static void
test_hostile_lengths(void)
{
	guint8 key[32];
	GByteArray *file = kat_file(key);
	gsize off[8];
	guint n = record_offsets(file, off);
	GPtrArray *recs = NULL;
	EsessIdKey *alice = load_key("idkey-alice-2048.pem");

	g_assert_cmpuint(n, ==, 3);
	/* a collection larger than the limit is refused before it is read */
	g_assert_cmpint(esess_archive_read_with_key(file->data, ESESS_ARCHIVE_MAX_BYTES + 1u, key,
						    &recs), ==, ESESS_ERR_TOO_LARGE);
	/* header length: huge, then one more than there is */
	file->data[8] = 0xff;
	g_assert_cmpint(esess_archive_read_with_key(file->data, file->len, key, &recs), ==,
			ESESS_ERR_TOO_LARGE);
	g_assert_cmpint(esess_archive_read(file->data, file->len, alice, &recs), ==,
			ESESS_ERR_TOO_LARGE);
	file->data[8] = 0;
	file->data[11]++;
	assert_refused(file->data, file->len, key);
	file->data[11]--;
	/* a record length beyond the limit, and beyond the end */
	file->data[off[1]] = 0x7f;
	g_assert_cmpint(esess_archive_read_with_key(file->data, file->len, key, &recs), ==,
			ESESS_ERR_TOO_LARGE);
	file->data[off[1]] = 0x00;
	file->data[off[1] + 1] = 0x0f;
	assert_refused(file->data, file->len, key);
	file->data[off[1] + 1] = 0x00;
	/* not a collection */
	assert_refused((const guint8 *)"ESESSAR2", 8, key);
	assert_refused((const guint8 *)"", 0, key);
	g_assert_null(recs);
	/* intact again */
	g_assert_cmpint(esess_archive_read_with_key(file->data, file->len, key, &recs), ==,
			ESESS_OK);
	g_ptr_array_unref(recs);
	/* this KAT header wraps to nobody: alice's key is not there */
	recs = NULL;
	g_assert_cmpint(esess_archive_read(file->data, file->len, alice, &recs), ==,
			ESESS_ERR_KEY);
	g_assert_null(recs);
	esess_idkey_free(alice);
	g_byte_array_unref(file);
}

static void
test_writer_args(void)
{
	guint8 key[32];
	GByteArray *b = g_byte_array_new();
	EsessArchiveWriter *w = NULL;
	char *big;

	vec_hex("key", key, 32);
	g_assert_cmpint(esess_archive_writer_new(NULL, 0, &w, b), ==, ESESS_ERR_INVALID_ARG);
	g_assert_cmpint(esess_archive_writer_new_with_key(key, "0011", NULL, 0, &w, b), ==,
			ESESS_ERR_INVALID_ARG);
	g_assert_cmpint(esess_archive_writer_new_with_key(key, "00112233445566778899AABBCCDDEEFF",
							  NULL, 0, &w, b), ==,
			ESESS_ERR_INVALID_ARG);
	g_assert_cmpint(esess_archive_writer_new_with_key(key, "00112233445566778899aabbccddeeff",
							  NULL, 0, &w, b), ==, ESESS_OK);
	g_assert_cmpint(esess_archive_writer_append(w, ESESS_ARCHIVE_SENT, 0, "a", "\xff", b), ==,
			ESESS_ERR_INVALID_ARG);
	g_assert_cmpint(esess_archive_writer_append(w, (EsessArchiveDir)0, 0, "a", "b", b), ==,
			ESESS_ERR_INVALID_ARG);
	g_assert_cmpint(esess_archive_writer_append(w, (EsessArchiveDir)4, 0, "a", "b", b), ==,
			ESESS_ERR_INVALID_ARG);
	g_assert_cmpint(esess_archive_writer_append(w, (EsessArchiveDir)255, 0, "a", "b", b), ==,
			ESESS_ERR_INVALID_ARG);
	big = g_malloc(ESESS_ARCHIVE_MAX_RECORD + 1);
	memset(big, 'a', ESESS_ARCHIVE_MAX_RECORD);
	big[ESESS_ARCHIVE_MAX_RECORD] = '\0';
	g_assert_cmpint(esess_archive_writer_append(w, ESESS_ARCHIVE_SENT, 0, "a", big, b), ==,
			ESESS_ERR_TOO_LARGE);
	g_free(big);
	/* nothing was counted */
	g_assert_cmpuint(esess_archive_writer_count(w), ==, 0);
	esess_archive_writer_free(w);
	g_byte_array_unref(b);
}

/* A server copy is decoded by the engine's strict decoder and must start
 * with the magic (SECURITY rule 2: what g_base64_decode would take with
 * junk in it is refused). */
static void
test_decode_copy(void)
{
	static const guint8 coll[] = "ESESSAR1 and the rest";
	char *b64 = esess_base64_encode(coll, sizeof(coll) - 1), *bad;
	guint8 *out = NULL, *big;
	size_t len = 0, n = strlen(b64);

	g_assert_cmpint(esess_archive_decode_copy(b64, n, &out, &len), ==, ESESS_OK);
	g_assert_cmpuint(len, ==, sizeof(coll) - 1);
	g_assert_cmpmem(out, len, coll, sizeof(coll) - 1);
	g_free(out);

	bad = g_strdup_printf("%.8s\n%s", b64, b64 + 8);   /* a line break */
	g_assert_cmpint(esess_archive_decode_copy(bad, strlen(bad), &out, &len), ==,
			ESESS_ERR_BASE64);
	g_assert_null(out);
	g_assert_cmpuint(len, ==, 0);
	g_free(bad);
	bad = g_strdup_printf("%.4s!!%s", b64, b64 + 4);    /* junk characters */
	g_assert_cmpint(esess_archive_decode_copy(bad, strlen(bad), &out, &len), ==,
			ESESS_ERR_BASE64);
	g_free(bad);
	g_free(b64);

	b64 = esess_base64_encode((const guint8 *)"ESESSAR2 other", 14);
	g_assert_cmpint(esess_archive_decode_copy(b64, strlen(b64), &out, &len), ==,
			ESESS_ERR_MALFORMED);
	g_assert_null(out);
	g_free(b64);
	b64 = esess_base64_encode((const guint8 *)"ESESSAR1", 8);   /* magic only */
	g_assert_cmpint(esess_archive_decode_copy(b64, strlen(b64), &out, &len), ==,
			ESESS_ERR_MALFORMED);
	g_free(b64);

	big = g_malloc0(ESESS_ARCHIVE_MAX_COPY + 3);
	memcpy(big, ESESS_ARCHIVE_MAGIC, ESESS_ARCHIVE_MAGIC_LEN);
	b64 = esess_base64_encode(big, ESESS_ARCHIVE_MAX_COPY);
	g_assert_cmpint(esess_archive_decode_copy(b64, strlen(b64), &out, &len), ==, ESESS_OK);
	g_free(out);
	g_free(b64);
	b64 = esess_base64_encode(big, ESESS_ARCHIVE_MAX_COPY + 3);
	g_assert_cmpint(esess_archive_decode_copy(b64, strlen(b64), &out, &len), !=, ESESS_OK);
	g_assert_null(out);
	g_free(b64);
	g_free(big);
	g_assert_cmpint(esess_archive_decode_copy(NULL, 0, &out, &len), ==,
			ESESS_ERR_INVALID_ARG);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_assert_cmpint(esess_crypto_init(), ==, ESESS_OK);
	g_test_add_func("/archive/kat/collection", test_kat_collection);
	g_test_add_func("/archive/kat/system", test_kat_system);
	g_test_add_func("/archive/kat/bound", test_kat_bound);
	g_test_add_func("/archive/roundtrip/bound", test_roundtrip_bound);
	g_test_add_func("/archive/reader", test_reader);
	g_test_add_func("/archive/kat/unwrap-oaep", test_kat_unwrap);
	g_test_add_func("/archive/roundtrip/wrap", test_roundtrip_wrap);
	g_test_add_func("/archive/hostile/flip", test_hostile_flip);
	g_test_add_func("/archive/hostile/truncate", test_hostile_truncate);
	g_test_add_func("/archive/hostile/reorder", test_hostile_reorder);
	g_test_add_func("/archive/hostile/lengths", test_hostile_lengths);
	g_test_add_func("/archive/writer-args", test_writer_args);
	g_test_add_func("/archive/decode-copy", test_decode_copy);
	return g_test_run();
}
