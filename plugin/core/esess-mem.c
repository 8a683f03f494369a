/*
 * esess-mem.c - wiping, constant-time comparison and the EsessSecret holder.
 *
 * The only file that decides how secrets are wiped and compared (doc/hacking.md).
 * Secret bytes live in libgcrypt secure memory, obtained through
 * esess_crypto_secure_alloc (esess-crypto.c is the door to libgcrypt).
 */
/* explicit_bzero is a glibc (>= 2.25) and BSD extension */
#define _DEFAULT_SOURCE 1

#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "esess-crypto.h"
#include "esess-mem.h"

#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 25))
#define ESESS_HAVE_EXPLICIT_BZERO 1
#endif

void
esess_wipe(void *p, size_t n)
{
	if (p == NULL || n == 0)
		return;
#ifdef ESESS_HAVE_EXPLICIT_BZERO
	explicit_bzero(p, n);
#else
	{
		/* stores through a volatile pointer cannot be elided */
		volatile guint8 *v = p;
		size_t i;

		for (i = 0; i < n; i++)
			v[i] = 0;
	}
#endif
}

gboolean
esess_ct_equal(const void *a, const void *b, size_t n)
{
	const volatile guint8 *x = a;
	const volatile guint8 *y = b;
	guint8 d = 0;
	size_t i;

	g_return_val_if_fail(n == 0 || (a != NULL && b != NULL), FALSE);
	/* no early exit: the loop always runs n times, and the result is
	 * derived without a data-dependent branch */
	for (i = 0; i < n; i++)
		d |= x[i] ^ y[i];
	return (gboolean)(1 & (((guint)d - 1) >> 8));
}

EsessSecret *
esess_secret_new(size_t len)
{
	EsessSecret *s;

	/* the struct itself holds no secret; the bytes go to secure memory
	 * (one byte at least, so that data is never NULL) */
	s = g_new0(EsessSecret, 1);
	s->data = esess_crypto_secure_alloc(len > 0 ? len : 1);
	s->len = len;
	return s;
}

EsessSecret *
esess_secret_new_from(const void *data, size_t len)
{
	EsessSecret *s;

	g_return_val_if_fail(len == 0 || data != NULL, NULL);
	s = esess_secret_new(len);
	if (len > 0)
		memcpy(s->data, data, len);
	return s;
}

EsessSecret *
esess_secret_dup(const EsessSecret *s)
{
	if (s == NULL)
		return NULL;
	return esess_secret_new_from(s->data, s->len);
}

void
esess_secret_free(EsessSecret *s)
{
	if (s == NULL)
		return;
	esess_wipe(s->data, s->len > 0 ? s->len : 1);
	esess_crypto_secure_free(s->data);
	s->data = NULL;
	s->len = 0;
	g_free(s);
}

void
esess_free_wiped(void *p, size_t n)
{
	if (p == NULL)
		return;
	esess_wipe(p, n);
	g_free(p);
}

void
esess_str_free_wiped(gpointer s)
{
	if (s == NULL)
		return;
	esess_free_wiped(s, strlen(s));
}

void
esess_gstring_free_wiped(GString *s)
{
	if (s == NULL)
		return;
	esess_wipe(s->str, s->allocated_len);
	g_string_free(s, TRUE);
}

void
esess_gstring_reserve(GString *s, size_t extra)
{
	size_t want, cap;
	char *buf;

	g_return_if_fail(s != NULL);
	g_return_if_fail(extra < G_MAXSIZE - s->len - 1);
	want = s->len + extra + 1;
	if (want <= s->allocated_len)
		return;
	/* doubling, as GString does, so that many small reserves stay linear */
	cap = s->allocated_len > 0 ? s->allocated_len : 64;
	while (cap < want)
		cap = cap > G_MAXSIZE / 2 ? want : cap * 2;
	buf = g_malloc(cap);
	memcpy(buf, s->str, s->len + 1);
	esess_wipe(s->str, s->allocated_len);
	g_free(s->str);
	s->str = buf;
	s->allocated_len = cap;
}

/* ---- slabs -------------------------------------------------------------- */

#define SLAB_SLOTS 32u
#define SLAB_ALIGN 64u

/* A free slot is poisoned for ASan and Valgrind: a pointer kept past
 * esess_slab_free (a chat or session freed, its slot soon handed to another
 * contact's) is reported where it is used, as it was when each had its own
 * heap block, instead of silently reading the next owner's slot. */
#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define ESESS_SLAB_ASAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__) && !defined(ESESS_SLAB_ASAN)
#define ESESS_SLAB_ASAN 1
#endif
#ifdef ESESS_SLAB_ASAN
#include <sanitizer/asan_interface.h>
#endif
#if defined(__has_include)
#if __has_include(<valgrind/memcheck.h>)
#include <valgrind/memcheck.h>
#define ESESS_SLAB_VALGRIND 1
#endif
#endif

static void
slab_poison(void *p, size_t n)
{
#ifdef ESESS_SLAB_ASAN
	ASAN_POISON_MEMORY_REGION(p, n);
#endif
#ifdef ESESS_SLAB_VALGRIND
	(void)VALGRIND_MAKE_MEM_NOACCESS(p, n);
#endif
	(void)p;
	(void)n;
}

/* p[0..n) usable again, and as it is: zero (wiped on free, or new) */
static void
slab_unpoison(void *p, size_t n)
{
#ifdef ESESS_SLAB_ASAN
	ASAN_UNPOISON_MEMORY_REGION(p, n);
#endif
#ifdef ESESS_SLAB_VALGRIND
	(void)VALGRIND_MAKE_MEM_DEFINED(p, n);
#endif
	(void)p;
	(void)n;
}

typedef struct {
	void *mem;     /* as allocated */
	guint8 *base;  /* mem rounded up to SLAB_ALIGN */
	guint32 used;  /* bit i: slot i in use */
} SlabChunk;

void *
esess_slab_alloc(EsessSlab *sl)
{
	SlabChunk *ch;
	size_t len;
	gint bit;
	guint i;

	g_return_val_if_fail(sl != NULL && sl->slot > 0 && sl->slot % SLAB_ALIGN == 0, NULL);
	if (sl->chunks == NULL)
		sl->chunks = g_ptr_array_new();
	/* the newest chunks first: the older ones are usually full */
	for (i = sl->chunks->len; i > 0; i--) {
		ch = g_ptr_array_index(sl->chunks, i - 1);
		if (ch->used != G_MAXUINT32) {
			bit = g_bit_nth_lsf((gulong)(~ch->used & G_MAXUINT32), -1);
			ch->used |= (guint32)1 << bit;
			slab_unpoison(ch->base + (size_t)bit * sl->slot, sl->slot);
			return ch->base + (size_t)bit * sl->slot;
		}
	}
	ch = g_new0(SlabChunk, 1);
	if (sl->tagged) {
		/* the tags, then the slots, at an address aligned to
		 * ESESS_SLAB_TAG_ALIGN (esess_slab_tag) */
		g_return_val_if_fail(!sl->secure && sl->slot <= ESESS_SLAB_TAGGED_MAX_SLOT, NULL);
		len = ESESS_SLAB_TAGS_LEN + SLAB_SLOTS * sl->slot;
		if (posix_memalign(&ch->mem, ESESS_SLAB_TAG_ALIGN, len) != 0)
			g_error("esess_slab_alloc: out of memory (%zu bytes)", len);
		memset(ch->mem, 0, len);
		ch->base = (guint8 *)ch->mem + ESESS_SLAB_TAGS_LEN;
	} else {
		len = SLAB_SLOTS * sl->slot + SLAB_ALIGN - 1;
		ch->mem = sl->secure ? esess_crypto_secure_alloc(len) : g_malloc0(len);
		ch->base = (guint8 *)(((guintptr)ch->mem + SLAB_ALIGN - 1) &
				      ~(guintptr)(SLAB_ALIGN - 1));
	}
	ch->used = 1;
	slab_poison(ch->base + sl->slot, (SLAB_SLOTS - 1) * sl->slot);
	g_ptr_array_add(sl->chunks, ch);
	return ch->base;
}

void
esess_slab_free(EsessSlab *sl, void *p)
{
	guint8 *q = p;
	guint i;

	if (p == NULL)
		return;
	g_return_if_fail(sl != NULL);
	for (i = 0; sl->chunks != NULL && i < sl->chunks->len; i++) {
		SlabChunk *ch = g_ptr_array_index(sl->chunks, i);
		size_t idx;

		if (q < ch->base || q >= ch->base + SLAB_SLOTS * sl->slot)
			continue;
		idx = (size_t)(q - ch->base) / sl->slot;
		g_return_if_fail(q == ch->base + idx * sl->slot &&
				 (ch->used & ((guint32)1 << idx)) != 0);
		esess_wipe(q, sl->slot);
		slab_poison(q, sl->slot);
		if (sl->tagged)
			((gpointer *)ch->mem)[idx] = NULL; /* the next owner's starts NULL */
		ch->used &= ~((guint32)1 << idx);
		if (ch->used == 0) {
			/* the allocator reads and wipes what it gets back */
			slab_unpoison(ch->base, SLAB_SLOTS * sl->slot);
			if (sl->secure)
				esess_crypto_secure_free(ch->mem);
			else if (sl->tagged)
				free(ch->mem); /* posix_memalign's */
			else
				g_free(ch->mem);
			g_ptr_array_remove_index_fast(sl->chunks, i);
			g_free(ch);
		}
		return;
	}
	g_return_if_reached();
}
