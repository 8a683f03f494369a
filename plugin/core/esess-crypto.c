/*
 * esess-crypto.c - the engine's only door to libgcrypt (doc/hacking.md, Noise-C's
 * src/backend): SHA-256, HMAC-SHA-256, AES-CTR with the counter rules of
 * INTEROP R5, random numbers, MODP Diffie-Hellman with full validation.
 *
 * Handles are opened once and kept (doc/hacking.md: opening a handle per
 * message is 20 times slower), one per kind shared by every key (issue 11
 * items 1 and 3: see the HMAC and AES-CTR sections).  Keys, DH exponents and
 * shared values live in libgcrypt secure memory (SECURITY rule 9).
 */
#include "config.h"

#include <string.h>

#include <gcrypt.h>

#include "esess-bytes.h"
#include "esess-crypto.h"
#include "esess-modp.h"

/* Secure memory pool: one session holds a few hundred bytes of keys plus its
 * DH exponents, so 1 MiB covers many sessions; libgcrypt >= 1.8 also grows
 * the pool on demand (GCRYCTL_AUTO_EXPAND_SECMEM). */
#define ESESS_SECMEM_SIZE (1024u * 1024u)
#define ESESS_SECMEM_EXPAND (256u * 1024u)

static EsessCryptoNoticeFunc notice_func;
static gboolean noticed_insecure;

void
esess_crypto_set_notice_func(EsessCryptoNoticeFunc fn)
{
	notice_func = fn;
}

/* Issue 11 item 4: says once, in the host's debug log, that secrets now
 * also live outside locked memory (they are still wiped on free). */
static void
crypto_note_insecure(const char *why)
{
	char *msg;

	if (noticed_insecure)
		return;
	noticed_insecure = TRUE;
	msg = g_strdup_printf("libgcrypt secure memory unavailable (%s): keys are now "
			      "also held in ordinary memory, which may be swapped to "
			      "disk; they are still wiped when freed", why);
	if (notice_func != NULL)
		notice_func(msg);
	else
		g_info("%s", msg);
	g_free(msg);
}

gboolean
esess_crypto_noticed_insecure(void)
{
	return noticed_insecure;
}

EsessStatus
esess_crypto_init(void)
{
	/* pidgin-otr (or the host) may have initialised libgcrypt already: then
	 * we use it as it is and never touch its configuration; its pool may
	 * be small or absent (issue 11 item 4), and every allocation below
	 * copes with that */
	if (gcry_control(GCRYCTL_INITIALIZATION_FINISHED_P)) {
		void *probe;

		if (gcry_check_version("1.8.0") == NULL)
			return ESESS_ERR_INTERNAL;
		probe = gcry_malloc_secure(16);
		if (probe == NULL || !gcry_is_secure(probe))
			crypto_note_insecure("another component set up libgcrypt without it");
		gcry_free(probe);
		return ESESS_OK;
	}
	if (gcry_check_version("1.8.0") == NULL)
		return ESESS_ERR_INTERNAL;
	/* libgcrypt's own "Warning: using insecure memory!" stays on: it is
	 * the only notice when mlock is refused or when the pool grows past
	 * its first (locked) MiB */
	gcry_control(GCRYCTL_INIT_SECMEM, ESESS_SECMEM_SIZE, 0);
	gcry_control(GCRYCTL_AUTO_EXPAND_SECMEM, ESESS_SECMEM_EXPAND, 0);
	gcry_control(GCRYCTL_INITIALIZATION_FINISHED, 0);
	return ESESS_OK;
}

/* Everything below needs an initialised libgcrypt; a caller that forgot
 * esess_crypto_init gets it done here rather than libgcrypt's implicit,
 * secure-memory-less initialisation. */
static void
crypto_ensure_init(void)
{
	if (G_LIKELY(gcry_control(GCRYCTL_INITIALIZATION_FINISHED_P)))
		return;
	if (esess_crypto_init() != ESESS_OK)
		g_error("libgcrypt >= 1.8.0 is required");
}

static EsessStatus
crypto_status_of(gcry_error_t err)
{
	return gcry_err_code(err) == GPG_ERR_ENOMEM ? ESESS_ERR_NOMEM : ESESS_ERR_INTERNAL;
}

/* A SHA-256 handle (HMAC construction below, or plain hashing) in secure
 * memory when the pool has room, otherwise in ordinary memory, said once
 * (issue 11 item 4: another component's pool may be small and not grow).
 * libgcrypt wipes the context on gcry_md_reset and gcry_md_close. */
static EsessStatus
crypto_md_open(gcry_md_hd_t *md)
{
	gcry_error_t err;

	err = gcry_md_open(md, GCRY_MD_SHA256, GCRY_MD_FLAG_SECURE);
	if (err == 0)
		return ESESS_OK;
	err = gcry_md_open(md, GCRY_MD_SHA256, 0);
	if (err != 0) {
		*md = NULL;
		return crypto_status_of(err);
	}
	crypto_note_insecure("pool full");
	return ESESS_OK;
}

void
esess_random(void *buf, size_t len)
{
	g_return_if_fail(len == 0 || buf != NULL);
	if (len == 0)
		return;
	crypto_ensure_init();
	gcry_randomize(buf, len, GCRY_STRONG_RANDOM);
}

void
esess_nonce(void *buf, size_t len)
{
	g_return_if_fail(len == 0 || buf != NULL);
	if (len == 0)
		return;
	crypto_ensure_init();
	gcry_create_nonce(buf, len);
}

void *
esess_crypto_secure_alloc(size_t len)
{
	void *p;

	crypto_ensure_init();
	p = gcry_calloc_secure(1, len > 0 ? len : 1);
	if (G_LIKELY(p != NULL))
		return p;
	/* issue 11 item 4: a pool set up by another component may be full and
	 * not grow; ordinary memory, still wiped by esess-mem.c, rather than
	 * aborting the client */
	p = gcry_calloc(1, len > 0 ? len : 1);
	if (p == NULL)
		g_error("out of memory (%" G_GSIZE_FORMAT " bytes)", len);
	crypto_note_insecure("pool full");
	return p;
}

void
esess_crypto_secure_free(void *p)
{
	/* gcry_free also zeroes secure blocks; esess-mem.c has wiped already.
	 * Blocks from the ordinary-memory fallback came from gcry_calloc. */
	gcry_free(p);
}

/* ---- SHA-256 -------------------------------------------------------- */

struct _EsessSha256 {
	gcry_md_hd_t md;
};

void
esess_sha256(const void *data, size_t len, guint8 out[ESESS_SHA256_LEN])
{
	g_return_if_fail(out != NULL);
	g_return_if_fail(len == 0 || data != NULL);
	crypto_ensure_init();
	gcry_md_hash_buffer(GCRY_MD_SHA256, out, len > 0 ? data : "", len);
}

EsessSha256 *
esess_sha256_new(void)
{
	EsessSha256 *h;

	crypto_ensure_init();
	h = g_new0(EsessSha256, 1);
	/* secure if the pool has room: the hashed data includes g^xy and K
	 * (INTEROP R3, R9); only an exhausted ordinary heap aborts, as
	 * g_malloc does */
	if (crypto_md_open(&h->md) != ESESS_OK)
		g_error("out of memory (SHA-256 handle)");
	return h;
}

void
esess_sha256_update(EsessSha256 *h, const void *data, size_t len)
{
	g_return_if_fail(h != NULL);
	g_return_if_fail(len == 0 || data != NULL);
	if (len > 0)
		gcry_md_write(h->md, data, len);
}

void
esess_sha256_finish(EsessSha256 *h, guint8 out[ESESS_SHA256_LEN])
{
	g_return_if_fail(h != NULL);
	g_return_if_fail(out != NULL);
	memcpy(out, gcry_md_read(h->md, GCRY_MD_SHA256), ESESS_SHA256_LEN);
	gcry_md_close(h->md);
	g_free(h);
}

/* ---- HMAC-SHA-256 --------------------------------------------------- */

/*
 * HMAC (RFC 2104) built here on plain SHA-256 rather than libgcrypt's
 * GCRY_MAC_HMAC_SHA256: libgcrypt finishes an HMAC by allocating a temporary
 * block in secure memory, and its secure allocator walks every live block,
 * so the per-message cost grew with the number of sessions (issue 11 item
 * 1); when that allocation failed (another component's small pool) libgcrypt
 * aborted the process (item 4).
 *
 * An EsessHmac is only its key padded to the block, K0 (RFC 2104 §2): one
 * 64-byte slot of a secure slab (esess-mem.h); the two pad blocks K0^ipad
 * and K0^opad are made on the stack for each pass and wiped.  The SHA-256
 * state lives in one handle shared by the whole process (the engine runs on
 * one thread, esess_crypto_init): a libgcrypt handle is about 400 bytes in
 * its own block, and with one per key a client with a thousand sessions
 * touched a thousand cold handles spread over the secure pool, which made a
 * message at 1000 sessions twice as dear as at one (item 1), and cost two
 * secure blocks per key (item 3).  The shared handle is reset, which wipes
 * it, after every final and when its HMAC is freed.
 *
 * One HMAC is computed at a time: update on another EsessHmac before the
 * first one's final takes the shared state away, and the first one's final
 * then fails (ESESS_ERR_INTERNAL) rather than give a wrong MAC.
 */
#define HMAC_BLOCK 64

struct _EsessHmac {
	guint8 k0[HMAC_BLOCK]; /* the key, zero-padded or hashed to the block */
};

G_STATIC_ASSERT(sizeof(EsessHmac) <= ESESS_HMAC_SIZE);

static EsessSlab slab_hmac = ESESS_SLAB_INIT(ESESS_HMAC_SIZE, TRUE);

/* pad = K0 XOR the byte x repeated (0x36: ipad, 0x5c: opad) */
static void
hmac_pad(const EsessHmac *h, guint8 x, guint8 pad[HMAC_BLOCK])
{
	size_t i;

	for (i = 0; i < HMAC_BLOCK; i++)
		pad[i] = h->k0[i] ^ x;
}

static gcry_md_hd_t hmac_md;       /* shared SHA-256 state */
static EsessHmac *hmac_md_owner;   /* whose inner pass hmac_md holds, or NULL */
/* HMACs whose pass was taken away (a misuse, so kept out of the slot) */
static GPtrArray *hmac_lost;

static void
hmac_set_lost(EsessHmac *h)
{
	if (hmac_lost == NULL)
		hmac_lost = g_ptr_array_new();
	if (!g_ptr_array_find(hmac_lost, h, NULL))
		g_ptr_array_add(hmac_lost, h);
}

/* TRUE if h's pass was lost; forgets it when clear is set. */
static gboolean
hmac_is_lost(EsessHmac *h, gboolean clear)
{
	if (G_LIKELY(hmac_lost == NULL || hmac_lost->len == 0))
		return FALSE;
	if (clear)
		return g_ptr_array_remove_fast(hmac_lost, h);
	return g_ptr_array_find(hmac_lost, h, NULL);
}

static EsessStatus
hmac_shared_md(void)
{
	if (G_LIKELY(hmac_md != NULL))
		return ESESS_OK;
	return crypto_md_open(&hmac_md);
}

/* Makes the shared state hold h's inner pass: H(K^ipad || ...). */
static gboolean
hmac_claim(EsessHmac *h)
{
	guint8 pad[HMAC_BLOCK];

	if (G_LIKELY(hmac_md_owner == h))
		return TRUE;
	if (hmac_shared_md() != ESESS_OK) {
		hmac_set_lost(h);
		return FALSE;
	}
	if (hmac_md_owner != NULL)
		hmac_set_lost(hmac_md_owner);
	/* HMAC pads the key with zero bytes to the block size (RFC 2104 §2),
	 * so the empty key and the one-byte key "\0" give the same MAC */
	gcry_md_reset(hmac_md);
	hmac_pad(h, 0x36, pad);
	gcry_md_write(hmac_md, pad, HMAC_BLOCK);
	esess_wipe(pad, sizeof(pad));
	hmac_md_owner = h;
	return TRUE;
}

/* Wipes the shared state (gcry_md_reset zeroes the hash context). */
static void
hmac_release(void)
{
	if (hmac_md != NULL)
		gcry_md_reset(hmac_md);
	hmac_md_owner = NULL;
}

/* K0 from key (RFC 2104 §2): a key longer than the block is hashed first,
 * a shorter one zero-padded. */
static void
hmac_set_k0(EsessHmac *h, const void *key, size_t key_len)
{
	esess_wipe(h->k0, sizeof(h->k0));
	if (key_len > HMAC_BLOCK)
		gcry_md_hash_buffer(GCRY_MD_SHA256, h->k0, key, key_len);
	else if (key_len > 0)
		memcpy(h->k0, key, key_len);
}

EsessStatus
esess_hmac_init(void *mem, const void *key, size_t key_len, EsessHmac **out)
{
	EsessHmac *h = mem;
	EsessStatus r;

	g_return_val_if_fail(out != NULL, ESESS_ERR_INVALID_ARG);
	*out = NULL;
	g_return_val_if_fail(mem != NULL, ESESS_ERR_INVALID_ARG);
	g_return_val_if_fail(key_len == 0 || key != NULL, ESESS_ERR_INVALID_ARG);
	crypto_ensure_init();
	/* the shared handle is opened with the first key, so that a failure
	 * shows here and not at the first message */
	r = hmac_shared_md();
	if (r != ESESS_OK)
		return r;
	hmac_set_k0(h, key, key_len);
	*out = h;
	return ESESS_OK;
}

EsessStatus
esess_hmac_new(const void *key, size_t key_len, EsessHmac **out)
{
	void *mem;
	EsessStatus r;

	g_return_val_if_fail(out != NULL, ESESS_ERR_INVALID_ARG);
	*out = NULL;
	g_return_val_if_fail(key_len == 0 || key != NULL, ESESS_ERR_INVALID_ARG);
	mem = esess_slab_alloc(&slab_hmac);
	r = esess_hmac_init(mem, key, key_len, out);
	if (r != ESESS_OK)
		esess_slab_free(&slab_hmac, mem);
	return r;
}

void
esess_hmac_set_key(EsessHmac *h, const void *key, size_t key_len)
{
	g_return_if_fail(h != NULL);
	g_return_if_fail(key_len == 0 || key != NULL);
	/* a pass in progress under the old key is dropped, wiped */
	if (hmac_md_owner == h)
		hmac_release();
	(void)hmac_is_lost(h, TRUE);
	hmac_set_k0(h, key, key_len);
}

void
esess_hmac_update(EsessHmac *h, const void *data, size_t len)
{
	g_return_if_fail(h != NULL);
	g_return_if_fail(len == 0 || data != NULL);
	if (hmac_is_lost(h, FALSE) || !hmac_claim(h))
		return;
	if (len > 0)
		gcry_md_write(hmac_md, data, len);
}

EsessStatus
esess_hmac_final(EsessHmac *h, guint8 out[ESESS_HMAC_LEN])
{
	guint8 inner[ESESS_SHA256_LEN], pad[HMAC_BLOCK];
	const guint8 *d;
	EsessStatus r = ESESS_ERR_INTERNAL;

	g_return_val_if_fail(h != NULL && out != NULL, ESESS_ERR_INVALID_ARG);
	/* a pass taken away by another HMAC fails closed, once; the next
	 * message starts afresh */
	if (hmac_is_lost(h, TRUE) || !hmac_claim(h))
		goto out;
	d = gcry_md_read(hmac_md, GCRY_MD_SHA256);
	if (d == NULL)
		goto out;
	memcpy(inner, d, sizeof inner);
	gcry_md_reset(hmac_md);
	hmac_pad(h, 0x5c, pad);
	gcry_md_write(hmac_md, pad, HMAC_BLOCK);
	gcry_md_write(hmac_md, inner, sizeof inner);
	d = gcry_md_read(hmac_md, GCRY_MD_SHA256);
	if (d == NULL)
		goto out;
	/* the full 32 bytes; callers compare all of them themselves
	 * (SECURITY rule 1) */
	memcpy(out, d, ESESS_HMAC_LEN);
	r = ESESS_OK;
out:
	if (r != ESESS_OK)
		esess_wipe(out, ESESS_HMAC_LEN);
	esess_wipe(inner, sizeof inner);
	esess_wipe(pad, sizeof pad);
	/* the next message starts fresh; nothing of this one stays behind */
	if (hmac_md_owner == h)
		hmac_release();
	return r;
}

void
esess_hmac_clear(EsessHmac *h)
{
	if (h == NULL)
		return;
	if (hmac_md_owner == h)
		hmac_release();
	(void)hmac_is_lost(h, TRUE);
	esess_wipe(h, sizeof(*h));
}

void
esess_hmac_free(EsessHmac *h)
{
	if (h == NULL)
		return;
	esess_hmac_clear(h);
	esess_slab_free(&slab_hmac, h);
}

EsessStatus
esess_hmac_sha256(const void *key, size_t key_len,
		  const void *msg, size_t msg_len,
		  guint8 out[ESESS_HMAC_LEN])
{
	EsessHmac *h = NULL;
	EsessStatus r;

	g_return_val_if_fail(out != NULL, ESESS_ERR_INVALID_ARG);
	g_return_val_if_fail(key_len == 0 || key != NULL, ESESS_ERR_INVALID_ARG);
	g_return_val_if_fail(msg_len == 0 || msg != NULL, ESESS_ERR_INVALID_ARG);
	/* the keys here are K, final K and retained secrets (INTEROP R3, R9):
	 * the padded key state stays in secure memory when the pool has room
	 * (gcry_md_hash_buffers would put it on the ordinary heap) */
	r = esess_hmac_new(key, key_len, &h);
	if (r != ESESS_OK) {
		esess_wipe(out, ESESS_HMAC_LEN);
		return r;
	}
	esess_hmac_update(h, msg, msg_len);
	r = esess_hmac_final(h, out);
	esess_hmac_free(h);
	return r;
}

/* ---- AES-CTR, INTEROP R4/R5 ----------------------------------------- */

/*
 * An EsessCtr is its key, counter and block count: one 64-byte slot of a
 * secure slab (esess-mem.h).  The AES key schedule lives in libgcrypt
 * handles shared by the process (two per key size, see ctr_hd; one thread,
 * esess_crypto_init), and is re-made (about 50 ns) only when an EsessCtr
 * that neither holds encrypts: a libgcrypt cipher handle is about 2 KB, and
 * with one per direction and session a client with a thousand sessions
 * touched a thousand cold handles spread over the secure pool (issue 11
 * item 1), two secure blocks of 2 KB per session (item 3).  When an EsessCtr
 * changes its key or is freed while a shared handle holds its schedule, the
 * handle is re-keyed with zeros and reset, so no key outlives its EsessCtr
 * there.
 */
struct _EsessCtr {
	guint8 key[32];
	guint8 counter[ESESS_COUNTER_LEN]; /* C: before the next pre-increment */
	guint64 blocks;                    /* since the key was set */
	guint8 key_len;                    /* 16 or 32; 0 after a failed set_key */
};

G_STATIC_ASSERT(sizeof(EsessCtr) <= ESESS_CTR_SIZE);

static EsessSlab slab_ctr = ESESS_SLAB_INIT(ESESS_CTR_SIZE, TRUE);

/* Two handles per key size, [2 * size + way] with size 0: AES-128, 1:
 * AES-256: one conversation alternates its sending and receiving keys, and
 * with two ways neither is re-made per message (the least recently used
 * way is re-keyed). */
#define CTR_WAYS 2u
static gcry_cipher_hd_t ctr_hd[2 * CTR_WAYS];
static const EsessCtr *ctr_owner[2 * CTR_WAYS]; /* whose schedule ctr_hd[j] holds */
static guint ctr_last_way[2];                   /* the way used last, per size */

/* c = c + n mod 2^128, big-endian */
static void
counter_add(guint8 c[ESESS_COUNTER_LEN], guint64 n)
{
	guint carry = 0;
	int i;

	for (i = ESESS_COUNTER_LEN - 1; i >= 0; i--) {
		guint sum = (guint)c[i] + (guint)(n & 0xff) + carry;

		c[i] = (guint8)sum;
		carry = sum >> 8;
		n >>= 8;
		if (n == 0 && carry == 0)
			break;
	}
}

static EsessStatus
ctr_shared_open(guint i)
{
	int algo = i / CTR_WAYS == 0 ? GCRY_CIPHER_AES128 : GCRY_CIPHER_AES256;
	gcry_error_t err;

	if (G_LIKELY(ctr_hd[i] != NULL))
		return ESESS_OK;
	if (gcry_cipher_open(&ctr_hd[i], algo, GCRY_CIPHER_MODE_CTR, GCRY_CIPHER_SECURE) == 0)
		return ESESS_OK;
	/* issue 11 item 4: a full pool that does not grow (set up by another
	 * component) moves the key schedule to ordinary memory, which
	 * ctr_forget overwrites; said once */
	err = gcry_cipher_open(&ctr_hd[i], algo, GCRY_CIPHER_MODE_CTR, 0);
	if (err != 0) {
		ctr_hd[i] = NULL;
		return crypto_status_of(err);
	}
	crypto_note_insecure("pool full");
	return ESESS_OK;
}

/* If a shared handle holds c's key schedule, overwrite it with a zero key's
 * and drop the keystream and counter state (gcry_cipher_reset). */
static void
ctr_forget(const EsessCtr *c)
{
	static const guint8 zero[32];
	guint i;

	for (i = 0; i < G_N_ELEMENTS(ctr_hd); i++) {
		if (ctr_owner[i] != c)
			continue;
		ctr_owner[i] = NULL;
		if (gcry_cipher_setkey(ctr_hd[i], zero, i / CTR_WAYS == 0 ? 16 : 32) != 0) {
			/* cannot overwrite: close it (gcry_cipher_close wipes) */
			gcry_cipher_close(ctr_hd[i]);
			ctr_hd[i] = NULL;
			continue;
		}
		gcry_cipher_reset(ctr_hd[i]);
	}
}

static EsessStatus
ctr_set(EsessCtr *c, const guint8 *key, size_t key_len)
{
	EsessStatus r;

	if (key_len != 16 && key_len != 32)
		return ESESS_ERR_INVALID_ARG;
	/* INTEROP R4: a 32-byte key is AES-256; the first handle for its size
	 * is opened with the first key, so a failure shows here */
	r = ctr_shared_open(key_len == 16 ? 0 : CTR_WAYS);
	if (r != ESESS_OK)
		return r;
	ctr_forget(c);
	esess_wipe(c->key, sizeof(c->key));
	memcpy(c->key, key, key_len);
	c->key_len = (guint8)key_len;
	c->blocks = 0;
	return ESESS_OK;
}

EsessStatus
esess_ctr_init(void *mem, const guint8 *key, size_t key_len,
	       const guint8 counter[ESESS_COUNTER_LEN], EsessCtr **out)
{
	EsessCtr *c = mem;
	EsessStatus r;

	g_return_val_if_fail(out != NULL, ESESS_ERR_INVALID_ARG);
	*out = NULL;
	g_return_val_if_fail(mem != NULL && key != NULL && counter != NULL,
			     ESESS_ERR_INVALID_ARG);
	crypto_ensure_init();
	r = ctr_set(c, key, key_len);
	if (r != ESESS_OK) {
		esess_ctr_clear(c);
		return r;
	}
	memcpy(c->counter, counter, ESESS_COUNTER_LEN);
	*out = c;
	return ESESS_OK;
}

EsessStatus
esess_ctr_new(const guint8 *key, size_t key_len,
	      const guint8 counter[ESESS_COUNTER_LEN], EsessCtr **out)
{
	void *mem;
	EsessStatus r;

	g_return_val_if_fail(out != NULL, ESESS_ERR_INVALID_ARG);
	*out = NULL;
	g_return_val_if_fail(key != NULL && counter != NULL, ESESS_ERR_INVALID_ARG);
	mem = esess_slab_alloc(&slab_ctr);
	r = esess_ctr_init(mem, key, key_len, counter, out);
	if (r != ESESS_OK)
		esess_slab_free(&slab_ctr, mem);
	return r;
}

/* ceil(len / 16) */
static guint64
ctr_blocks_for(size_t len)
{
	return (guint64)(len / ESESS_AES_BLOCK) + (len % ESESS_AES_BLOCK != 0);
}

EsessStatus
esess_ctr_crypt(EsessCtr *c, const guint8 *in, guint8 *out, size_t len)
{
	guint8 first[ESESS_COUNTER_LEN];
	gcry_cipher_hd_t hd;
	guint64 n;
	guint i, size;
	gcry_error_t err;

	g_return_val_if_fail(c != NULL, ESESS_ERR_INVALID_ARG);
	g_return_val_if_fail(len == 0 || (in != NULL && out != NULL), ESESS_ERR_INVALID_ARG);
	if (c->key_len == 0)
		return ESESS_ERR_INTERNAL; /* a failed esess_ctr_set_key */
	if (len == 0)
		return ESESS_OK;
	n = ctr_blocks_for(len);
	/* INTEROP R5, XEP-0200 §Maximum Key Life */
	if (n > ESESS_MAX_BLOCKS_PER_KEY - c->blocks)
		return ESESS_ERR_COUNTER_EXHAUSTED;

	size = c->key_len == 16 ? 0 : 1;
	i = size * CTR_WAYS;
	while (i < (size + 1) * CTR_WAYS && ctr_owner[i] != c)
		i++;
	if (i == (size + 1) * CTR_WAYS) {
		/* not keyed with c: re-key the least recently used way (the
		 * first if the other cannot be opened) */
		i = size * CTR_WAYS + (ctr_last_way[size] + 1) % CTR_WAYS;
		if (ctr_shared_open(i) != ESESS_OK)
			i = size * CTR_WAYS;
		if (G_UNLIKELY(ctr_shared_open(i) != ESESS_OK))
			return ESESS_ERR_NOMEM;
		ctr_owner[i] = NULL;
		if (gcry_cipher_setkey(ctr_hd[i], c->key, c->key_len) != 0)
			return ESESS_ERR_INTERNAL;
		ctr_owner[i] = c;
	}
	ctr_last_way[size] = i % CTR_WAYS;
	hd = ctr_hd[i];
	/* INTEROP R5: pre-increment, the first block uses C+1.  Setting the
	 * counter per message also drops the unused keystream that libgcrypt
	 * keeps from an earlier partial block. */
	memcpy(first, c->counter, ESESS_COUNTER_LEN);
	counter_add(first, 1);
	if (gcry_cipher_setctr(hd, first, ESESS_COUNTER_LEN) != 0)
		return ESESS_ERR_INTERNAL;
	if (in == out)
		err = gcry_cipher_encrypt(hd, out, len, NULL, 0);
	else
		err = gcry_cipher_encrypt(hd, out, len, in, len);
	if (err != 0)
		return ESESS_ERR_INTERNAL;
	/* a partial last block still consumes one counter step */
	counter_add(c->counter, n);
	c->blocks += n;
	return ESESS_OK;
}

EsessStatus
esess_ctr_step(EsessCtr *c, guint64 n)
{
	g_return_val_if_fail(c != NULL, ESESS_ERR_INVALID_ARG);
	if (n > ESESS_MAX_BLOCKS_PER_KEY - c->blocks)
		return ESESS_ERR_COUNTER_EXHAUSTED;
	counter_add(c->counter, n);
	c->blocks += n;
	return ESESS_OK;
}

void
esess_ctr_get_counter(const EsessCtr *c, guint8 out[ESESS_COUNTER_LEN])
{
	g_return_if_fail(c != NULL && out != NULL);
	memcpy(out, c->counter, ESESS_COUNTER_LEN);
}

guint64
esess_ctr_blocks_used(const EsessCtr *c)
{
	g_return_val_if_fail(c != NULL, 0);
	return c->blocks;
}

EsessStatus
esess_ctr_set_key(EsessCtr *c, const guint8 *key, size_t key_len)
{
	EsessStatus r;

	g_return_val_if_fail(c != NULL && key != NULL, ESESS_ERR_INVALID_ARG);
	/* INTEROP R5: the counter carries across the switch to new keys */
	r = ctr_set(c, key, key_len);
	if (r != ESESS_OK && r != ESESS_ERR_INVALID_ARG) {
		/* a bad length changes nothing; any other failure never leaves c
		 * holding the previous key */
		ctr_forget(c);
		esess_wipe(c->key, sizeof(c->key));
		c->key_len = 0;
	}
	return r;
}

void
esess_ctr_clear(EsessCtr *c)
{
	if (c == NULL)
		return;
	ctr_forget(c);
	esess_wipe(c, sizeof(*c));
}

void
esess_ctr_free(EsessCtr *c)
{
	if (c == NULL)
		return;
	esess_ctr_clear(c);
	esess_slab_free(&slab_ctr, c);
}

void
esess_crypto_close_shared(void)
{
	guint i;

	/* gcry_md_close and gcry_cipher_close wipe the handles; the EsessCtr
	 * and EsessHmac objects keep their keys and re-key a new handle */
	if (hmac_md != NULL) {
		if (hmac_md_owner != NULL)
			hmac_set_lost(hmac_md_owner);
		hmac_md_owner = NULL;
		gcry_md_close(hmac_md);
		hmac_md = NULL;
	}
	for (i = 0; i < G_N_ELEMENTS(ctr_hd); i++) {
		ctr_owner[i] = NULL;
		if (ctr_hd[i] != NULL)
			gcry_cipher_close(ctr_hd[i]);
		ctr_hd[i] = NULL;
	}
}

void
esess_counter_flip_top(const guint8 a[ESESS_COUNTER_LEN], guint8 out[ESESS_COUNTER_LEN])
{
	g_return_if_fail(a != NULL && out != NULL);
	/* INTEROP R5: C_B = C_A XOR 2^127 */
	memmove(out, a, ESESS_COUNTER_LEN);
	out[0] ^= 0x80;
}

/* ---- Diffie-Hellman ------------------------------------------------- */

struct _EsessDhKey {
	guint group;
	gcry_mpi_t p;     /* the group's prime (public) */
	gcry_mpi_t x;     /* private exponent, secure MPI */
	guint8 *pub;      /* MPI(2^x mod p), INTEROP R2 */
	size_t pub_len;
};

/* The prime of group as an MPI, or NULL for an unknown group. */
static gcry_mpi_t
dh_prime(guint group)
{
	const guint8 *bytes;
	size_t len;
	gcry_mpi_t p = NULL;

	bytes = esess_modp_prime(group, &len);
	if (bytes == NULL)
		return NULL;
	if (gcry_mpi_scan(&p, GCRYMPI_FMT_USG, bytes, len, NULL) != 0)
		g_error("cannot load MODP prime %u", group);
	return p;
}

/* MPI bytes (INTEROP R2: minimal big-endian, zero is empty) of a public v. */
static EsessStatus
dh_mpi_bytes(gcry_mpi_t v, guint8 **out, size_t *out_len)
{
	size_t n = 0;

	*out = NULL;
	*out_len = 0;
	if (gcry_mpi_print(GCRYMPI_FMT_USG, NULL, 0, &n, v) != 0)
		return ESESS_ERR_INTERNAL;
	*out = g_malloc(n > 0 ? n : 1);
	if (gcry_mpi_print(GCRYMPI_FMT_USG, *out, n, out_len, v) != 0 || *out_len != n) {
		g_free(*out);
		*out = NULL;
		*out_len = 0;
		return ESESS_ERR_INTERNAL;
	}
	return ESESS_OK;
}

/* Completes k (group, p and x set): checks 2^255 < x < p-1 and computes e. */
static EsessStatus
dh_finish_key(EsessDhKey *k)
{
	gcry_mpi_t lo = NULL, pm1 = NULL, e = NULL, g = NULL;
	EsessStatus r;

	lo = gcry_mpi_set_ui(NULL, 0);
	gcry_mpi_set_bit(lo, 255);
	pm1 = gcry_mpi_new(0);
	gcry_mpi_sub_ui(pm1, k->p, 1);
	/* INTEROP R10, DIGEST §6 #2: 2^(2n-1) < x < p-1 with n = 128 */
	if (gcry_mpi_cmp(k->x, lo) <= 0 || gcry_mpi_cmp(k->x, pm1) >= 0) {
		r = ESESS_ERR_DH_RANGE;
		goto out;
	}
	g = gcry_mpi_set_ui(NULL, ESESS_MODP_GENERATOR);
	e = gcry_mpi_new(0);
	gcry_mpi_powm(e, g, k->x, k->p);
	r = dh_mpi_bytes(e, &k->pub, &k->pub_len);
out:
	gcry_mpi_release(lo);
	gcry_mpi_release(pm1);
	gcry_mpi_release(g);
	gcry_mpi_release(e);
	return r;
}

EsessStatus
esess_dh_keygen(guint group, EsessDhKey **out)
{
	EsessDhKey *k = NULL;
	EsessStatus r;
	guint bits;

	g_return_val_if_fail(out != NULL, ESESS_ERR_INVALID_ARG);
	*out = NULL;
	bits = esess_modp_exponent_bits(group);
	if (bits == 0)
		return ESESS_ERR_UNKNOWN_GROUP;
	crypto_ensure_init();

	k = g_new0(EsessDhKey, 1);
	k->group = group;
	k->p = dh_prime(group);
	k->x = gcry_mpi_snew(bits);
	/* a random exponent of exactly `bits` bits: top bit set, so x >= 2^255;
	 * x == 2^255 exactly (probability 2^-255 for 256 bits) fails the
	 * strict bound and is drawn again */
	do {
		gcry_mpi_randomize(k->x, bits, GCRY_STRONG_RANDOM);
		gcry_mpi_set_highbit(k->x, bits - 1);
		r = dh_finish_key(k);
	} while (r == ESESS_ERR_DH_RANGE);
	if (r != ESESS_OK)
		goto out;
	*out = k;
	k = NULL;
out:
	esess_dh_key_free(k);
	return r;
}

EsessStatus
esess_dh_key_export_private(const EsessDhKey *k, EsessSecret **out)
{
	size_t n = 0;
	EsessSecret *s;

	g_return_val_if_fail(k != NULL && out != NULL, ESESS_ERR_INVALID_ARG);
	*out = NULL;
	if (k->x == NULL)
		return ESESS_ERR_INTERNAL;
	n = (gcry_mpi_get_nbits(k->x) + 7) / 8;
	s = esess_secret_new(n);
	/* written straight into secure memory: no copy of x elsewhere */
	if (gcry_mpi_print(GCRYMPI_FMT_USG, s->data, s->len, &n, k->x) != 0 || n != s->len) {
		esess_secret_free(s);
		return ESESS_ERR_INTERNAL;
	}
	*out = s;
	return ESESS_OK;
}

EsessStatus
esess_dh_key_from_private(guint group, const guint8 *x, size_t x_len, EsessDhKey **out)
{
	EsessDhKey *k = NULL;
	guint8 *sx = NULL;
	EsessStatus r;

	g_return_val_if_fail(out != NULL, ESESS_ERR_INVALID_ARG);
	*out = NULL;
	g_return_val_if_fail(x_len == 0 || x != NULL, ESESS_ERR_INVALID_ARG);
	if (!esess_modp_known(group))
		return ESESS_ERR_UNKNOWN_GROUP;
	if (x_len == 0)
		return ESESS_ERR_DH_RANGE;
	crypto_ensure_init();

	k = g_new0(EsessDhKey, 1);
	k->group = group;
	k->p = dh_prime(group);
	/* scanning from a secure buffer gives a secure MPI */
	sx = esess_crypto_secure_alloc(x_len);
	memcpy(sx, x, x_len);
	if (gcry_mpi_scan(&k->x, GCRYMPI_FMT_USG, sx, x_len, NULL) != 0) {
		k->x = NULL;
		r = ESESS_ERR_INTERNAL;
		goto out;
	}
	r = dh_finish_key(k);
	if (r != ESESS_OK)
		goto out;
	*out = k;
	k = NULL;
out:
	if (sx != NULL) {
		esess_wipe(sx, x_len);
		esess_crypto_secure_free(sx);
	}
	esess_dh_key_free(k);
	return r;
}

guint
esess_dh_key_group(const EsessDhKey *k)
{
	g_return_val_if_fail(k != NULL, 0);
	return k->group;
}

const guint8 *
esess_dh_key_public(const EsessDhKey *k, size_t *len)
{
	g_return_val_if_fail(k != NULL && len != NULL, NULL);
	*len = k->pub_len;
	return k->pub;
}

/*
 * The range checks of esess_dh_check_public; on success *vp (if not NULL)
 * receives v and *pp the prime, as MPIs the caller releases.
 */
static EsessStatus
dh_check_range(guint group, const guint8 *v, size_t len, gcry_mpi_t *vp, gcry_mpi_t *pp)
{
	gcry_mpi_t p = NULL, pm1 = NULL, y = NULL;
	size_t plen;
	EsessStatus r;

	if (vp != NULL)
		*vp = NULL;
	if (pp != NULL)
		*pp = NULL;
	if (esess_modp_prime(group, &plen) == NULL)
		return ESESS_ERR_UNKNOWN_GROUP;
	/* SECURITY item 7: leading zero octets change He and the MACs */
	r = esess_mpi_check_minimal(v, len);
	if (r != ESESS_OK)
		return r;
	/* SECURITY item 4: never reduce mod p; an encoding longer than p is
	 * refused before it is parsed */
	if (len > plen)
		return ESESS_ERR_DH_RANGE;
	/* SECURITY item 1: y = 0 is the empty MPI */
	if (len == 0)
		return ESESS_ERR_DH_RANGE;

	p = dh_prime(group);
	pm1 = gcry_mpi_new(0);
	gcry_mpi_sub_ui(pm1, p, 1);
	if (gcry_mpi_scan(&y, GCRYMPI_FMT_USG, v, len, NULL) != 0) {
		y = NULL;
		r = ESESS_ERR_INTERNAL;
		goto out;
	}
	/* INTEROP R10, SECURITY items 1-4 and 9: 1 < y < p-1 */
	if (gcry_mpi_cmp_ui(y, 1) <= 0 || gcry_mpi_cmp(y, pm1) >= 0) {
		r = ESESS_ERR_DH_RANGE;
		goto out;
	}
	r = ESESS_OK;
	if (vp != NULL) {
		*vp = y;
		y = NULL;
	}
	if (pp != NULL) {
		*pp = p;
		p = NULL;
	}
out:
	gcry_mpi_release(p);
	gcry_mpi_release(pm1);
	gcry_mpi_release(y);
	return r;
}

EsessStatus
esess_dh_check_public(guint group, const guint8 *v, size_t len)
{
	g_return_val_if_fail(len == 0 || v != NULL, ESESS_ERR_INVALID_ARG);
	return dh_check_range(group, v, len, NULL, NULL);
}

EsessStatus
esess_dh_check_public_full(guint group, const guint8 *v, size_t len)
{
	gcry_mpi_t y = NULL, p = NULL, q = NULL, t = NULL;
	EsessStatus r;

	g_return_val_if_fail(len == 0 || v != NULL, ESESS_ERR_INVALID_ARG);
	r = dh_check_range(group, v, len, &y, &p);
	if (r != ESESS_OK)
		goto out;
	/* SECURITY item 6: p is a safe prime, so y is in the order-q subgroup
	 * exactly when y^q == 1 (q = (p-1)/2) */
	q = gcry_mpi_new(0);
	gcry_mpi_rshift(q, p, 1);
	t = gcry_mpi_new(0);
	gcry_mpi_powm(t, y, q, p);
	if (gcry_mpi_cmp_ui(t, 1) != 0)
		r = ESESS_ERR_DH_RANGE;
out:
	gcry_mpi_release(y);
	gcry_mpi_release(p);
	gcry_mpi_release(q);
	gcry_mpi_release(t);
	return r;
}

EsessStatus
esess_dh_agree(const EsessDhKey *k, const guint8 *peer, size_t peer_len,
	       EsessSecret **shared)
{
	gcry_mpi_t y = NULL, z = NULL, pm1 = NULL;
	EsessSecret *s = NULL;
	unsigned int nbits, i;
	size_t n;
	EsessStatus r;

	g_return_val_if_fail(shared != NULL, ESESS_ERR_INVALID_ARG);
	*shared = NULL;
	g_return_val_if_fail(k != NULL, ESESS_ERR_INVALID_ARG);
	g_return_val_if_fail(peer_len == 0 || peer != NULL, ESESS_ERR_INVALID_ARG);

	r = dh_check_range(k->group, peer, peer_len, &y, NULL);
	if (r != ESESS_OK)
		goto out;
	/* SECURITY item 10: our own value sent back.  Public values: a plain
	 * compare is fine. */
	if (peer_len == k->pub_len && memcmp(peer, k->pub, peer_len) == 0) {
		r = ESESS_ERR_DH_REFLECTED;
		goto out;
	}
	z = gcry_mpi_snew(gcry_mpi_get_nbits(k->p));
	gcry_mpi_powm(z, y, k->x, k->p);
	/* SECURITY item 11: cannot happen for y in range, x in range and a safe
	 * prime unless x is a multiple of q; checked anyway */
	pm1 = gcry_mpi_new(0);
	gcry_mpi_sub_ui(pm1, k->p, 1);
	if (gcry_mpi_cmp_ui(z, 1) <= 0 || gcry_mpi_cmp(z, pm1) == 0) {
		r = ESESS_ERR_DH_SHARED;
		goto out;
	}
	/* INTEROP R2/R3: MPI(g^xy mod p), minimal big-endian, written straight
	 * into secure memory bit by bit: gcry_mpi_print would first copy a
	 * secure MPI into a temporary secure block, which fails when another
	 * component's pool is full and does not grow (issue 11 item 4) */
	nbits = gcry_mpi_get_nbits(z);
	n = (nbits + 7) / 8;
	if (n == 0) {
		r = ESESS_ERR_INTERNAL;
		goto out;
	}
	s = esess_secret_new(n);
	for (i = 0; i < nbits; i++)
		if (gcry_mpi_test_bit(z, i))
			s->data[n - 1 - i / 8] |= (guint8)(1u << (i % 8));
	*shared = s;
	s = NULL;
	r = ESESS_OK;
out:
	gcry_mpi_release(y);
	gcry_mpi_release(z); /* secure MPIs are wiped on release */
	gcry_mpi_release(pm1);
	esess_secret_free(s);
	return r;
}

void
esess_dh_key_free(EsessDhKey *k)
{
	if (k == NULL)
		return;
	gcry_mpi_release(k->p);
	gcry_mpi_release(k->x);
	g_free(k->pub);
	g_free(k);
}

/* ---- RSA-OAEP ------------------------------------------------------- */

EsessStatus
esess_rsa_oaep_encrypt(const guint8 *n, size_t n_len, const guint8 *e, size_t e_len,
		       const guint8 *in, size_t in_len, guint8 **out, size_t *out_len)
{
	gcry_sexp_t spk = NULL, data = NULL, enc = NULL, a = NULL;
	gcry_mpi_t m = NULL;
	size_t w = 0;
	guint8 *buf;
	EsessStatus r = ESESS_ERR_INTERNAL;

	if (gcry_sexp_build(&spk, NULL, "(public-key (rsa (n %b) (e %b)))", (int)n_len, n,
			    (int)e_len, e) != 0)
		goto out;
	if (gcry_sexp_build(&data, NULL, "(data (flags oaep) (hash-algo sha256) (value %b))",
			    (int)in_len, in) != 0)
		goto out;
	if (gcry_pk_encrypt(&enc, data, spk) != 0)
		goto out;
	a = gcry_sexp_find_token(enc, "a", 0);
	if (a == NULL)
		goto out;
	m = gcry_sexp_nth_mpi(a, 1, GCRYMPI_FMT_USG);
	if (m == NULL)
		goto out;
	/* left-padded to the modulus' length (RFC 8017 I2OSP) */
	if (gcry_mpi_print(GCRYMPI_FMT_USG, NULL, 0, &w, m) != 0 || w > n_len)
		goto out;
	buf = g_malloc0(n_len);
	if (gcry_mpi_print(GCRYMPI_FMT_USG, buf + (n_len - w), w, NULL, m) != 0) {
		g_free(buf);
		goto out;
	}
	*out = buf;
	*out_len = n_len;
	r = ESESS_OK;
out:
	gcry_mpi_release(m);
	gcry_sexp_release(a);
	gcry_sexp_release(enc);
	gcry_sexp_release(data);
	gcry_sexp_release(spk);
	return r;
}

static gcry_mpi_t
oaep_mpi(const guint8 *b, size_t len, gboolean secret)
{
	gcry_mpi_t m = NULL;

	if (gcry_mpi_scan(&m, GCRYMPI_FMT_USG, b, len, NULL) != 0)
		return NULL;
	if (secret)
		gcry_mpi_set_flag(m, GCRYMPI_FLAG_SECURE);
	return m;
}

EsessStatus
esess_rsa_oaep_decrypt(const guint8 *n, size_t n_len, const guint8 *e, size_t e_len,
		       const guint8 *d, size_t d_len, const guint8 *p, size_t p_len,
		       const guint8 *q, size_t q_len, const guint8 *in, size_t in_len,
		       guint8 **out, size_t *out_len)
{
	gcry_mpi_t mn, me, md, mp, mq, mu = NULL;
	gcry_sexp_t sk = NULL, enc = NULL, plain = NULL, v = NULL;
	const char *val;
	size_t val_len = 0;
	EsessStatus r = ESESS_ERR_INTERNAL;

	mn = oaep_mpi(n, n_len, FALSE);
	me = oaep_mpi(e, e_len, FALSE);
	md = oaep_mpi(d, d_len, TRUE);
	mp = oaep_mpi(p, p_len, TRUE);
	mq = oaep_mpi(q, q_len, TRUE);
	if (mn == NULL || me == NULL || md == NULL || mp == NULL || mq == NULL)
		goto out;
	/* libgcrypt's CRT wants p < q and u = p^-1 mod q */
	if (gcry_mpi_cmp(mp, mq) > 0)
		gcry_mpi_swap(mp, mq);
	mu = gcry_mpi_snew(0);
	if (!gcry_mpi_invm(mu, mp, mq))
		goto out;
	if (gcry_sexp_build(&sk, NULL,
			    "(private-key (rsa (n %m) (e %m) (d %m) (p %m) (q %m) (u %m)))",
			    mn, me, md, mp, mq, mu) != 0)
		goto out;
	if (gcry_sexp_build(&enc, NULL, "(enc-val (flags oaep) (hash-algo sha256) (rsa (a %b)))",
			    (int)in_len, in) != 0)
		goto out;
	r = ESESS_ERR_MAC;
	if (gcry_pk_decrypt(&plain, enc, sk) != 0)
		goto out;
	v = gcry_sexp_find_token(plain, "value", 0);
	val = v != NULL ? gcry_sexp_nth_data(v, 1, &val_len) : NULL;
	if (val == NULL)
		goto out;
	*out = g_memdup2(val, val_len);
	*out_len = val_len;
	r = ESESS_OK;
out:
	gcry_sexp_release(v);
	gcry_sexp_release(plain);
	gcry_sexp_release(enc);
	gcry_sexp_release(sk);
	gcry_mpi_release(mn);
	gcry_mpi_release(me);
	gcry_mpi_release(md);
	gcry_mpi_release(mp);
	gcry_mpi_release(mq);
	gcry_mpi_release(mu);
	return r;
}
