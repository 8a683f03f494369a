/*
 * esess-mem.h - how secrets are held, wiped and compared.
 *
 * Only esess-mem.c decides how secrets are wiped and compared (doc/hacking.md).
 * Secrets (DH exponents, K, derived keys, retained secrets) live in libgcrypt
 * secure memory, owned by exactly one EsessSecret each, wiped on free.
 */
#ifndef ESESS_MEM_H
#define ESESS_MEM_H

#include <glib.h>
#include <stddef.h>

#include "esess-util.h"

G_BEGIN_DECLS

/* esess_wipe and esess_free_wiped are declared in esess-util.h (public). */

/* Constant-time equality of exactly n bytes (time depends on n only).
 * Returns TRUE when equal.  Callers check lengths themselves first: a MAC,
 * hash or commitment of the wrong length is an error, never a compare
 * (SECURITY rule 1). */
gboolean esess_ct_equal(const void *a, const void *b, size_t n);

/* A secret byte string in secure memory. */
typedef struct {
	guint8 *data;
	size_t len;
} EsessSecret;

/* New zero-filled secret of len bytes (len may be 0).  Never returns NULL:
 * aborts like g_malloc if secure memory is exhausted.  Caller frees with
 * esess_secret_free. */
EsessSecret *esess_secret_new(size_t len);

/* New secret holding a copy of data[0..len). */
EsessSecret *esess_secret_new_from(const void *data, size_t len);

/* Copy of s (NULL gives NULL). */
EsessSecret *esess_secret_dup(const EsessSecret *s);

/* Wipes and frees s; NULL is allowed. */
void esess_secret_free(EsessSecret *s);


/* SECURITY rule 9 for growing strings: wipes the whole allocation of s
 * (allocated_len, not only len) and frees it; NULL allowed. */
void esess_gstring_free_wiped(GString *s);

/* Makes room for extra more bytes in s (and the NUL) without leaving a copy
 * behind: a larger buffer is allocated, the old one wiped and freed, where
 * g_string's own growth (g_realloc) would hand the old bytes back to the
 * heap as they are. */
void esess_gstring_reserve(GString *s, size_t extra);

/* Fixed-size slots packed in 32-slot chunks (issue 11 item 1): the state
 * that every message touches (a session's counters, its cipher and MAC keys)
 * of a thousand sessions then sits in a few hundred KB, where each in its
 * own allocation would be spread over megabytes between colder data, and
 * every message would miss it in cache and TLB.  Secure slabs take their
 * chunks from libgcrypt's secure memory (falling back as
 * esess_crypto_secure_alloc does); every slot is zero-filled when handed
 * out and wiped when freed; a chunk whose slots are all free is given back.
 * Declare one with ESESS_SLAB_INIT(slot size, secure); slot sizes are
 * multiples of 64 (a cache line) and slots are 64-byte aligned.  Not
 * thread-safe (the engine runs on one thread). */
typedef struct {
	size_t slot;
	gboolean secure;
	gboolean tagged;
	GPtrArray *chunks;
} EsessSlab;

#define ESESS_SLAB_INIT(slot, secure) { (slot), (secure), FALSE, NULL }

/* A tagged slab (ordinary memory only) also keeps one pointer per slot, the
 * slot's tag, in a dense array at the start of its chunk, and its chunks are
 * aligned to ESESS_SLAB_TAG_ALIGN, so that a slot's tag is found from the
 * slot's address alone, without reading the slot.  A chat keeps its
 * session's address there: a message then asks for the chat's lines and
 * the session's at once, where reading the pointer in the chat's first line
 * made the session's miss wait for the chat's (issue 11 item 1).  The tag
 * arrays of a thousand slots share a few KB, so they stay in the nearer
 * caches.  Tags start NULL; they are not wiped with the slot (keep only
 * addresses there).  Slots of a tagged slab are at most
 * ESESS_SLAB_TAGGED_MAX_SLOT bytes. */
#define ESESS_SLAB_INIT_TAGGED(slot) { (slot), FALSE, TRUE, NULL }
#define ESESS_SLAB_TAG_ALIGN 16384u
#define ESESS_SLAB_TAGS_LEN (32u * sizeof(gpointer)) /* a multiple of 64 */
#define ESESS_SLAB_TAGGED_MAX_SLOT ((ESESS_SLAB_TAG_ALIGN - 256u) / 32u)

/* The tag of slot p of a tagged slab of slot-byte slots (a constant, so
 * that the division is a multiplication). */
static inline gpointer *
esess_slab_tag(const void *p, size_t slot)
{
	guintptr a = (guintptr)p;
	guintptr chunk = a & ~(guintptr)(ESESS_SLAB_TAG_ALIGN - 1);

	return (gpointer *)chunk + (a - chunk - ESESS_SLAB_TAGS_LEN) / slot;
}

void *esess_slab_alloc(EsessSlab *sl);
void esess_slab_free(EsessSlab *sl, void *p);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(EsessSecret, esess_secret_free)

G_END_DECLS

#endif /* ESESS_MEM_H */
