/*
 * test-mem: wiping, constant-time equality and EsessSecret (secure memory,
 * wiped on free).  Tests may call libgcrypt directly to check where a secret
 * lives.
 */
#include "config.h"

#include <string.h>

#include <gcrypt.h>

#include "esess-crypto.h"
#include "esess-mem.h"

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TEST_ASAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__) && !defined(TEST_ASAN)
#define TEST_ASAN 1
#endif
#ifdef TEST_ASAN
#include <sanitizer/asan_interface.h>
#endif
#if defined(__has_include)
#if __has_include(<valgrind/memcheck.h>)
#include <valgrind/memcheck.h>
#define TEST_VALGRIND 1
#endif
#endif

static void
test_wipe(void)
{
	guint8 buf[64];
	volatile guint8 *v = buf;
	size_t i;

	memset(buf, 0xa5, sizeof(buf));
	esess_wipe(buf + 8, 40);
	/* read back through a volatile pointer: the bytes really are zero, and
	 * nothing outside the range was touched */
	for (i = 0; i < sizeof(buf); i++)
		g_assert_cmpuint(v[i], ==, (i >= 8 && i < 48) ? 0x00 : 0xa5);
	esess_wipe(buf, 0);
	g_assert_cmpuint(v[0], ==, 0xa5);
	esess_wipe(NULL, 0);
	esess_wipe(NULL, 16);
}

static void
test_ct_equal(void)
{
	guint8 a[33], b[33];
	size_t i;
	int bit;

	for (i = 0; i < sizeof(a); i++)
		a[i] = b[i] = (guint8)(i * 7 + 1);
	g_assert_true(esess_ct_equal(a, b, sizeof(a)));
	g_assert_true(esess_ct_equal(a, b, 0));
	g_assert_true(esess_ct_equal(NULL, NULL, 0));
	/* every single-bit difference at every position is seen */
	for (i = 0; i < sizeof(a); i++) {
		for (bit = 0; bit < 8; bit++) {
			b[i] ^= (guint8)(1u << bit);
			g_assert_false(esess_ct_equal(a, b, sizeof(a)));
			/* the prefix before the difference still compares equal */
			g_assert_true(esess_ct_equal(a, b, i));
			b[i] ^= (guint8)(1u << bit);
		}
	}
	/* all bytes different */
	for (i = 0; i < sizeof(a); i++)
		b[i] = (guint8)~a[i];
	g_assert_false(esess_ct_equal(a, b, sizeof(a)));
	g_assert_true(esess_ct_equal(a, a, sizeof(a)));
}

static void
test_secret_new(void)
{
	EsessSecret *s, *z;
	size_t i;

	s = esess_secret_new(48);
	g_assert_nonnull(s);
	g_assert_cmpuint(s->len, ==, 48);
	g_assert_nonnull(s->data);
	/* SECURITY rule 9: secrets live in libgcrypt secure memory */
	g_assert_true(gcry_is_secure(s->data));
	for (i = 0; i < s->len; i++)
		g_assert_cmpuint(s->data[i], ==, 0);
	esess_secret_free(s);

	z = esess_secret_new(0);
	g_assert_cmpuint(z->len, ==, 0);
	g_assert_nonnull(z->data);
	esess_secret_free(z);
	esess_secret_free(NULL);
}

static void
test_secret_copy(void)
{
	static const guint8 src[5] = { 1, 2, 3, 4, 5 };
	EsessSecret *a, *b;
	g_autoptr(EsessSecret) c = NULL;

	a = esess_secret_new_from(src, sizeof(src));
	g_assert_cmpuint(a->len, ==, 5);
	g_assert_true(memcmp(a->data, src, 5) == 0);
	g_assert_true(gcry_is_secure(a->data));
	b = esess_secret_dup(a);
	g_assert_true(b != a);
	g_assert_true(b->data != a->data);
	g_assert_cmpuint(b->len, ==, 5);
	g_assert_true(memcmp(b->data, src, 5) == 0);
	g_assert_true(gcry_is_secure(b->data));
	g_assert_null(esess_secret_dup(NULL));
	c = esess_secret_new_from(NULL, 0);
	g_assert_cmpuint(c->len, ==, 0);
	esess_secret_free(a);
	esess_secret_free(b);
}

static void
test_secret_wiped_on_free(void)
{
	EsessSecret *s;
	volatile guint8 *p;
	size_t i, nonzero = 0;

	/*
	 * The bytes of a freed secret are gone.  The pool is libgcrypt's own
	 * mapping and stays mapped after the free, so reading it is safe
	 * (and invisible to ASan); we only do it when the block really came
	 * from that pool.  libgcrypt scrubs freed secure blocks too, so this
	 * checks the outcome; /mem/wipe checks esess_wipe itself.
	 */
	s = esess_secret_new(64);
	memset(s->data, 0xc3, 64);
	p = s->data;
	g_assert_true(gcry_is_secure(s->data));
	esess_secret_free(s);
	for (i = 0; i < 64; i++)
		nonzero += p[i] == 0xc3;
	g_assert_cmpuint(nonzero, ==, 0);
}

/* The pool must hold many sessions' secrets: 1 MiB at start, and libgcrypt
 * grows it on demand (GCRYCTL_AUTO_EXPAND_SECMEM).  3 MiB of live secrets
 * would abort without that. */
static void
test_secret_many(void)
{
	EsessSecret *s[384];
	gsize i;

	for (i = 0; i < G_N_ELEMENTS(s); i++) {
		s[i] = esess_secret_new(8192);
		g_assert_true(gcry_is_secure(s[i]->data));
		s[i]->data[8191] = (guint8)i;
	}
	for (i = 0; i < G_N_ELEMENTS(s); i++) {
		g_assert_cmpuint(s[i]->data[8191], ==, (guint8)i);
		esess_secret_free(s[i]);
	}
}

static void
test_free_wiped(void)
{
	guint8 *buf = g_malloc(32);

	memset(buf, 0x11, 32);
	esess_free_wiped(buf, 32);
	esess_free_wiped(NULL, 0);
	esess_free_wiped(NULL, 10);
}

/* Slabs (issue 11 items 1, 3): 64-byte aligned, zero-filled slots, packed
 * in chunks; a freed slot is wiped and handed out again zeroed; secure slabs
 * take libgcrypt's secure memory; all chunks go back once all are freed. */
static void
test_slab(void)
{
	EsessSlab heap = ESESS_SLAB_INIT(128, FALSE);
	EsessSlab sec = ESESS_SLAB_INIT(64, TRUE);
	guint8 *p[64], *q, *r;
	guint i, j;

	for (i = 0; i < G_N_ELEMENTS(p); i++) {
		p[i] = esess_slab_alloc(&heap);
		g_assert_nonnull(p[i]);
		g_assert_cmpuint((guintptr)p[i] % 64, ==, 0);
		for (j = 0; j < 128; j++)
			g_assert_cmpuint(p[i][j], ==, 0);
		memset(p[i], 0xa5, 128);
		for (j = 0; j < i; j++)
			g_assert_true(p[j] != p[i]);
	}
	/* 64 slots in 32-slot chunks: two chunks, packed */
	g_assert_cmpuint(heap.chunks->len, ==, 2);
	g_assert_true(p[1] == p[0] + 128);
	/* a freed slot comes back wiped */
	esess_slab_free(&heap, p[5]);
	q = esess_slab_alloc(&heap);
	g_assert_true(q == p[5]);
	for (j = 0; j < 128; j++)
		g_assert_cmpuint(q[j], ==, 0);
	/* both full: a third chunk, given back when its one slot is freed */
	r = esess_slab_alloc(&heap);
	g_assert_cmpuint(heap.chunks->len, ==, 3);
	esess_slab_free(&heap, r);
	g_assert_cmpuint(heap.chunks->len, ==, 2);
	for (i = 0; i < G_N_ELEMENTS(p); i++)
		esess_slab_free(&heap, p[i]);
	g_assert_cmpuint(heap.chunks->len, ==, 0);
	esess_slab_free(&heap, NULL);
	g_ptr_array_unref(heap.chunks);

	q = esess_slab_alloc(&sec);
	g_assert_cmpuint((guintptr)q % 64, ==, 0);
	g_assert_true(gcry_is_secure(q));
	esess_slab_free(&sec, q);
	g_assert_cmpuint(sec.chunks->len, ==, 0);
	g_ptr_array_unref(sec.chunks);
}

/* Tagged slabs (issue 11 item 1): each slot's tag is found from the slot's
 * address alone, in every chunk; tags start NULL, keep what was stored
 * apart from every other slot's, and a freed slot's comes back NULL. */
static void
test_slab_tagged(void)
{
	EsessSlab sl = ESESS_SLAB_INIT_TAGGED(384);
	guint8 *p[64], *q;
	guint i, j;

	for (i = 0; i < G_N_ELEMENTS(p); i++) {
		p[i] = esess_slab_alloc(&sl);
		g_assert_nonnull(p[i]);
		g_assert_cmpuint((guintptr)p[i] % 64, ==, 0);
		for (j = 0; j < 384; j++)
			g_assert_cmpuint(p[i][j], ==, 0);
		g_assert_null(*esess_slab_tag(p[i], 384));
		/* the tag lies outside every slot */
		for (j = 0; j <= i; j++)
			g_assert_true((guint8 *)esess_slab_tag(p[i], 384) + sizeof(gpointer) <=
					      p[j] ||
				      (guint8 *)esess_slab_tag(p[i], 384) >= p[j] + 384);
		*esess_slab_tag(p[i], 384) = p[i] + 1;
		memset(p[i], 0xa5, 384);
	}
	g_assert_cmpuint(sl.chunks->len, ==, 2);
	for (i = 0; i < G_N_ELEMENTS(p); i++)
		g_assert_true(*esess_slab_tag(p[i], 384) == p[i] + 1);
	esess_slab_free(&sl, p[40]);
	q = esess_slab_alloc(&sl);
	g_assert_true(q == p[40]);
	g_assert_null(*esess_slab_tag(q, 384));
	for (i = 0; i < G_N_ELEMENTS(p); i++)
		esess_slab_free(&sl, p[i]);
	g_assert_cmpuint(sl.chunks->len, ==, 0);
	g_ptr_array_unref(sl.chunks);
}

static gboolean
checker_runs(void)
{
#ifdef TEST_ASAN
	return TRUE;
#elif defined(TEST_VALGRIND)
	return RUNNING_ON_VALGRIND != 0;
#else
	return FALSE;
#endif
}

/* TRUE when ASan or Valgrind (whichever runs) says byte p is not to be
 * touched; the Valgrind query reports nothing itself */
static gboolean
poisoned(const guint8 *p)
{
#ifdef TEST_ASAN
	return __asan_address_is_poisoned(p) != 0;
#elif defined(TEST_VALGRIND)
	guint8 bits;

	return VALGRIND_GET_VBITS(p, &bits, 1) == 3;
#else
	(void)p;
	return FALSE;
#endif
}

/* A freed slot is poisoned (ASan, Valgrind): a chat or session pointer kept
 * past its free is reported where it is used, not silently read in the
 * slot's next owner (another contact's chat).  Only under one of them. */
static void
test_slab_poisoned(void)
{
	EsessSlab heap = ESESS_SLAB_INIT(128, FALSE);
	EsessSlab sec = ESESS_SLAB_INIT(64, TRUE);
	guint8 *a, *b, *c;

	if (!checker_runs()) {
		g_test_skip("neither under ASan nor under Valgrind");
		return;
	}
	a = esess_slab_alloc(&heap);
	b = esess_slab_alloc(&heap);
	g_assert_false(poisoned(a));
	g_assert_false(poisoned(a + 127));
	g_assert_false(poisoned(b));
	g_assert_true(poisoned(b + 128)); /* never handed out */
	esess_slab_free(&heap, a);
	g_assert_true(poisoned(a));
	g_assert_true(poisoned(a + 127));
	g_assert_false(poisoned(b));
	c = esess_slab_alloc(&heap);
	g_assert_true(c == a);
	g_assert_false(poisoned(c));
	g_assert_false(poisoned(c + 127));
	g_assert_cmpuint(c[64], ==, 0);
	esess_slab_free(&heap, b);
	esess_slab_free(&heap, c);
	g_assert_cmpuint(heap.chunks->len, ==, 0);
	g_ptr_array_unref(heap.chunks);

	a = esess_slab_alloc(&sec);
	b = esess_slab_alloc(&sec);
	esess_slab_free(&sec, a);
	g_assert_true(poisoned(a));
	g_assert_false(poisoned(b));
	esess_slab_free(&sec, b);
	g_assert_cmpuint(sec.chunks->len, ==, 0);
	g_ptr_array_unref(sec.chunks);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	if (esess_crypto_init() != ESESS_OK)
		g_error("esess_crypto_init failed");
	g_test_add_func("/mem/wipe", test_wipe);
	g_test_add_func("/mem/ct-equal", test_ct_equal);
	g_test_add_func("/mem/secret/new", test_secret_new);
	g_test_add_func("/mem/secret/copy", test_secret_copy);
	g_test_add_func("/mem/secret/wiped-on-free", test_secret_wiped_on_free);
	g_test_add_func("/mem/secret/many", test_secret_many);
	g_test_add_func("/mem/free-wiped", test_free_wiped);
	g_test_add_func("/mem/slab", test_slab);
	g_test_add_func("/mem/slab/tagged", test_slab_tagged);
	g_test_add_func("/mem/slab/freed-poisoned", test_slab_poisoned);
	return g_test_run();
}
