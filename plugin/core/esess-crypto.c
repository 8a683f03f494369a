/*
 * esess-crypto.c - the engine's only door to libgcrypt (doc/hacking.md, Noise-C's
 * src/backend): SHA-256, HMAC-SHA-256, AES-CTR with the counter rules of
 * INTEROP R5, random numbers, MODP Diffie-Hellman with full validation.
 *
 * Handles are opened once per key and kept (doc/hacking.md: opening and keying per
 * message is 20 times slower).  Keys, DH exponents and shared values live in
 * libgcrypt secure memory (SECURITY rule 9).
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
 * HMAC (RFC 2104) built here on two plain SHA-256 handles kept open for the
 * key's life, rather than libgcrypt's GCRY_MAC_HMAC_SHA256: libgcrypt
 * finishes an HMAC by allocating a temporary block in secure memory, and its
 * secure allocator walks every live block, so the per-message cost grew with
 * the number of sessions (issue 11 item 1); when that allocation failed
 * (another component's small pool) libgcrypt aborted the process (item 4).
 * Here nothing is allocated per message: the padded keys K^ipad and K^opad
 * sit in one secure block, and one SHA-256 handle is reset and fed the pad
 * block for each pass (two SHA-256 blocks more per message, tens of
 * nanoseconds).  One handle rather than two: fewer secure blocks per session
 * (item 3).
 */
#define HMAC_BLOCK 64

struct _EsessHmac {
	gcry_md_hd_t md;     /* H(K^ipad || m) since the last final */
	guint8 *pads;        /* K^ipad || K^opad, secure (or wiped) memory */
};

/* HMAC pads the key with zero bytes to the block size (RFC 2104 §2), so the
 * empty key and the one-byte key "\0" give the same MAC. */
static void
hmac_restart(EsessHmac *h)
{
	gcry_md_reset(h->md);
	gcry_md_write(h->md, h->pads, HMAC_BLOCK);
}

EsessStatus
esess_hmac_new(const void *key, size_t key_len, EsessHmac **out)
{
	EsessHmac *h = NULL;
	EsessStatus r;
	size_t i;

	g_return_val_if_fail(out != NULL, ESESS_ERR_INVALID_ARG);
	*out = NULL;
	g_return_val_if_fail(key_len == 0 || key != NULL, ESESS_ERR_INVALID_ARG);
	crypto_ensure_init();

	h = g_new0(EsessHmac, 1);
	h->pads = esess_crypto_secure_alloc(2 * HMAC_BLOCK);
	/* RFC 2104 §2: a key longer than the block is hashed first */
	if (key_len > HMAC_BLOCK)
		gcry_md_hash_buffer(GCRY_MD_SHA256, h->pads, key, key_len);
	else if (key_len > 0)
		memcpy(h->pads, key, key_len);
	memcpy(h->pads + HMAC_BLOCK, h->pads, HMAC_BLOCK);
	for (i = 0; i < HMAC_BLOCK; i++) {
		h->pads[i] ^= 0x36;
		h->pads[HMAC_BLOCK + i] ^= 0x5c;
	}
	r = crypto_md_open(&h->md);
	if (r != ESESS_OK)
		goto out;
	hmac_restart(h);
	*out = h;
	h = NULL;
out:
	esess_hmac_free(h);
	return r;
}

void
esess_hmac_update(EsessHmac *h, const void *data, size_t len)
{
	g_return_if_fail(h != NULL);
	g_return_if_fail(len == 0 || data != NULL);
	if (len > 0)
		gcry_md_write(h->md, data, len);
}

EsessStatus
esess_hmac_final(EsessHmac *h, guint8 out[ESESS_HMAC_LEN])
{
	guint8 inner[ESESS_SHA256_LEN];
	const guint8 *d;
	EsessStatus r = ESESS_ERR_INTERNAL;

	g_return_val_if_fail(h != NULL && out != NULL, ESESS_ERR_INVALID_ARG);
	d = gcry_md_read(h->md, GCRY_MD_SHA256);
	if (d == NULL)
		goto out;
	memcpy(inner, d, sizeof inner);
	gcry_md_reset(h->md);
	gcry_md_write(h->md, h->pads + HMAC_BLOCK, HMAC_BLOCK);
	gcry_md_write(h->md, inner, sizeof inner);
	d = gcry_md_read(h->md, GCRY_MD_SHA256);
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
	/* the next message starts fresh with the same key (reset wipes the
	 * state of this one) */
	hmac_restart(h);
	return r;
}

void
esess_hmac_free(EsessHmac *h)
{
	if (h == NULL)
		return;
	/* gcry_md_close wipes the context */
	if (h->md != NULL)
		gcry_md_close(h->md);
	if (h->pads != NULL) {
		esess_wipe(h->pads, 2 * HMAC_BLOCK);
		esess_crypto_secure_free(h->pads);
	}
	g_free(h);
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

struct _EsessCtr {
	gcry_cipher_hd_t cipher;
	size_t key_len;
	guint8 counter[ESESS_COUNTER_LEN]; /* C: before the next pre-increment */
	guint64 blocks;                    /* since the key was set */
};

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
ctr_open(EsessCtr *c, const guint8 *key, size_t key_len)
{
	int algo;

	switch (key_len) {
	case 16:
		algo = GCRY_CIPHER_AES128;
		break;
	case 32:
		/* INTEROP R4: the full 32-byte key, so AES-256 */
		algo = GCRY_CIPHER_AES256;
		break;
	default:
		return ESESS_ERR_INVALID_ARG;
	}
	if (c->cipher != NULL && c->key_len != key_len) {
		gcry_cipher_close(c->cipher);
		c->cipher = NULL;
	}
	if (c->cipher == NULL &&
	    gcry_cipher_open(&c->cipher, algo, GCRY_CIPHER_MODE_CTR, GCRY_CIPHER_SECURE) != 0) {
		gcry_error_t err;

		/* issue 11 item 4: a full pool that does not grow (set up by
		 * another component) moves the key schedule to ordinary
		 * memory, which gcry_cipher_close wipes; said once */
		err = gcry_cipher_open(&c->cipher, algo, GCRY_CIPHER_MODE_CTR, 0);
		if (err != 0) {
			c->cipher = NULL;
			return crypto_status_of(err);
		}
		crypto_note_insecure("pool full");
	}
	c->key_len = key_len;
	if (gcry_cipher_setkey(c->cipher, key, key_len) != 0) {
		/* never leave a handle holding the previous key */
		gcry_cipher_close(c->cipher);
		c->cipher = NULL;
		return ESESS_ERR_INTERNAL;
	}
	c->blocks = 0;
	return ESESS_OK;
}

EsessStatus
esess_ctr_new(const guint8 *key, size_t key_len,
	      const guint8 counter[ESESS_COUNTER_LEN], EsessCtr **out)
{
	EsessCtr *c = NULL;
	EsessStatus r;

	g_return_val_if_fail(out != NULL, ESESS_ERR_INVALID_ARG);
	*out = NULL;
	g_return_val_if_fail(key != NULL && counter != NULL, ESESS_ERR_INVALID_ARG);
	crypto_ensure_init();

	c = g_new0(EsessCtr, 1);
	r = ctr_open(c, key, key_len);
	if (r != ESESS_OK)
		goto out;
	memcpy(c->counter, counter, ESESS_COUNTER_LEN);
	*out = c;
	c = NULL;
out:
	esess_ctr_free(c);
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
	guint64 n;
	gcry_error_t err;

	g_return_val_if_fail(c != NULL, ESESS_ERR_INVALID_ARG);
	g_return_val_if_fail(len == 0 || (in != NULL && out != NULL), ESESS_ERR_INVALID_ARG);
	if (c->cipher == NULL)
		return ESESS_ERR_INTERNAL; /* a failed esess_ctr_set_key */
	if (len == 0)
		return ESESS_OK;
	n = ctr_blocks_for(len);
	/* INTEROP R5, XEP-0200 §Maximum Key Life */
	if (n > ESESS_MAX_BLOCKS_PER_KEY - c->blocks)
		return ESESS_ERR_COUNTER_EXHAUSTED;

	/* INTEROP R5: pre-increment, the first block uses C+1.  Setting the
	 * counter per message also drops the unused keystream that libgcrypt
	 * keeps from an earlier partial block. */
	memcpy(first, c->counter, ESESS_COUNTER_LEN);
	counter_add(first, 1);
	if (gcry_cipher_setctr(c->cipher, first, ESESS_COUNTER_LEN) != 0)
		return ESESS_ERR_INTERNAL;
	if (in == out)
		err = gcry_cipher_encrypt(c->cipher, out, len, NULL, 0);
	else
		err = gcry_cipher_encrypt(c->cipher, out, len, in, len);
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
	g_return_val_if_fail(c != NULL && key != NULL, ESESS_ERR_INVALID_ARG);
	/* INTEROP R5: the counter carries across the switch to new keys */
	return ctr_open(c, key, key_len);
}

void
esess_ctr_free(EsessCtr *c)
{
	if (c == NULL)
		return;
	if (c->cipher != NULL)
		gcry_cipher_close(c->cipher);
	/* the counter is public; the key was in libgcrypt's secure memory */
	g_free(c);
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
