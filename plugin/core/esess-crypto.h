/*
 * esess-crypto.h - the engine's only door to libgcrypt (doc/hacking.md, Noise-C's
 * src/backend).  SHA-256, HMAC-SHA-256, AES-CTR with the counter rules of
 * INTEROP R5, random numbers, MODP Diffie-Hellman with full validation.
 *
 * EsessHmac and EsessCtr hold only their keys and counters, in secure memory;
 * the libgcrypt handles that compute with them are shared by the process, so
 * the engine is to be used from one thread (issue 11 items 1 and 3).
 */
#ifndef ESESS_CRYPTO_H
#define ESESS_CRYPTO_H

#include <glib.h>
#include <stddef.h>

#include "esess-mem.h"
#include "esess-status.h"
#include "esess-util.h"

G_BEGIN_DECLS

#define ESESS_SHA256_LEN 32
#define ESESS_HMAC_LEN 32
#define ESESS_AES_BLOCK 16
#define ESESS_COUNTER_LEN 16
/* XEP-0200 §Maximum Key Life: at most 2^32 blocks per key exchange */
#define ESESS_MAX_BLOCKS_PER_KEY G_GUINT64_CONSTANT(0x100000000)

/* esess_crypto_init and esess_crypto_set_notice_func: esess-util.h */

/* TRUE once that notice was given (for tests). */
gboolean esess_crypto_noticed_insecure(void);

/* Closes (and so wipes) the cipher and hash handles that every EsessCtr and
 * EsessHmac share (see esess-crypto.c); they are opened again when next
 * needed.  Keys in use stay valid.  For a host unloading the engine, and for
 * tests of a failing allocation. */
void esess_crypto_close_shared(void);

/* Strong random bytes (GCRY_STRONG_RANDOM), for secrets. */
void esess_random(void *buf, size_t len);

/* Unpredictable bytes for public values (nonces, thread IDs) from
 * libgcrypt's nonce generator (gcry_create_nonce): it never drains the
 * strong pool, and is several times cheaper (issue 11 item 5). */
void esess_nonce(void *buf, size_t len);

/* Secure-memory allocation used by esess-mem.c (zero-filled).  When the pool
 * is full and does not grow, falls back to ordinary memory (the caller wipes
 * it on free as always) and says so once; aborts only when the ordinary heap
 * is exhausted, as g_malloc does.  Free with esess_crypto_secure_free. */
void *esess_crypto_secure_alloc(size_t len);
void esess_crypto_secure_free(void *p);

/* ---- SHA-256 -------------------------------------------------------- */
void esess_sha256(const void *data, size_t len, guint8 out[ESESS_SHA256_LEN]);

typedef struct _EsessSha256 EsessSha256;
EsessSha256 *esess_sha256_new(void);
void esess_sha256_update(EsessSha256 *h, const void *data, size_t len);
/* Writes the digest and frees h. */
void esess_sha256_finish(EsessSha256 *h, guint8 out[ESESS_SHA256_LEN]);

/* ---- HMAC-SHA-256 --------------------------------------------------- */
/* One-shot HMAC-SHA-256(key, msg).  Any key length (RFC 2104). */
G_GNUC_WARN_UNUSED_RESULT
EsessStatus esess_hmac_sha256(const void *key, size_t key_len,
			      const void *msg, size_t msg_len,
			      guint8 out[ESESS_HMAC_LEN]);

/* A keyed HMAC: the padded key in secure memory while the pool has room; the
 * hash state is the process's shared handle.  Use: update* then final (which
 * resets for the next message).  Nothing is allocated per message.  One
 * HMAC at a time: update on another EsessHmac before this one's final makes
 * this one's final fail (ESESS_ERR_INTERNAL), never give a wrong MAC.
 * Returns ESESS_OK or ESESS_ERR_NOMEM. */
typedef struct _EsessHmac EsessHmac;
G_GNUC_WARN_UNUSED_RESULT
EsessStatus esess_hmac_new(const void *key, size_t key_len, EsessHmac **out);
void esess_hmac_update(EsessHmac *h, const void *data, size_t len);
/* Writes the full 32-byte MAC of everything updated since the last final,
 * then resets h to accept a new message with the same key. */
G_GNUC_WARN_UNUSED_RESULT
EsessStatus esess_hmac_final(EsessHmac *h, guint8 out[ESESS_HMAC_LEN]);
void esess_hmac_free(EsessHmac *h);

/* The same state kept in the caller's memory: mem is ESESS_HMAC_SIZE bytes
 * of zero-filled secure memory (esess-session.c keeps a session's keys next
 * to its other per-message fields, issue 11 item 1).  esess_hmac_clear
 * wipes it (and the shared state if it holds a pass of it), frees nothing. */
#define ESESS_HMAC_SIZE 64u
G_GNUC_WARN_UNUSED_RESULT
EsessStatus esess_hmac_init(void *mem, const void *key, size_t key_len, EsessHmac **out);
void esess_hmac_clear(EsessHmac *h);

/* Replaces h's key (a pass in progress is dropped); cannot fail. */
void esess_hmac_set_key(EsessHmac *h, const void *key, size_t key_len);

/* ---- AES in CTR mode, INTEROP R4/R5 --------------------------------- */
/* One direction's cipher: an AES key (16 bytes: AES-128, 32 bytes: AES-256)
 * and its running 128-bit counter C.  Per message: the first keystream block
 * uses C+1 (pre-increment), every block or partial block advances C by one,
 * and the next message continues from the new C (a partial block's unused
 * keystream is discarded).  C wraps mod 2^128. */
typedef struct _EsessCtr EsessCtr;

/* Returns ESESS_OK, ESESS_ERR_INVALID_ARG (bad key length), ESESS_ERR_INTERNAL. */
G_GNUC_WARN_UNUSED_RESULT
EsessStatus esess_ctr_new(const guint8 *key, size_t key_len,
			  const guint8 counter[ESESS_COUNTER_LEN], EsessCtr **out);

/* Encrypts or decrypts len bytes (in == out allowed).  Advances C by
 * ceil(len / 16); len 0 leaves C unchanged (callers that must count an empty
 * stanza, XEP-0200 §Encrypting, use esess_ctr_step).  Returns
 * ESESS_ERR_COUNTER_EXHAUSTED, without touching out, when the blocks since
 * the last (re)key would exceed ESESS_MAX_BLOCKS_PER_KEY. */
G_GNUC_WARN_UNUSED_RESULT
EsessStatus esess_ctr_crypt(EsessCtr *c, const guint8 *in, guint8 *out, size_t len);

/* Advances C by n blocks without producing keystream. */
G_GNUC_WARN_UNUSED_RESULT
EsessStatus esess_ctr_step(EsessCtr *c, guint64 n);

/* The current C (the value before the next block's pre-increment). */
void esess_ctr_get_counter(const EsessCtr *c, guint8 out[ESESS_COUNTER_LEN]);

/* Blocks consumed since the key was set. */
guint64 esess_ctr_blocks_used(const EsessCtr *c);

/* Replaces the key, keeps C, resets the block count (final keys, re-key). */
G_GNUC_WARN_UNUSED_RESULT
EsessStatus esess_ctr_set_key(EsessCtr *c, const guint8 *key, size_t key_len);

void esess_ctr_free(EsessCtr *c);

/* The same state kept in the caller's memory: mem is ESESS_CTR_SIZE bytes of
 * zero-filled secure memory; esess_ctr_clear wipes it, frees nothing. */
#define ESESS_CTR_SIZE 64u
G_GNUC_WARN_UNUSED_RESULT
EsessStatus esess_ctr_init(void *mem, const guint8 *key, size_t key_len,
			   const guint8 counter[ESESS_COUNTER_LEN], EsessCtr **out);
void esess_ctr_clear(EsessCtr *c);

/* 128-bit counter helpers (big-endian 16 bytes). */
/* out = a XOR 2^127 (C_B from C_A, INTEROP R5). */
void esess_counter_flip_top(const guint8 a[ESESS_COUNTER_LEN], guint8 out[ESESS_COUNTER_LEN]);

/* ---- Diffie-Hellman over the MODP groups (esess-modp.h) ------------- */
/* A key pair: private x in secure memory, 2^255 < x < p-1 with the exponent
 * size of INTEROP R10; public e = 2^x mod p kept as its MPI bytes. */
typedef struct _EsessDhKey EsessDhKey;

/* Returns ESESS_OK, ESESS_ERR_UNKNOWN_GROUP, ESESS_ERR_INTERNAL. */
G_GNUC_WARN_UNUSED_RESULT
EsessStatus esess_dh_keygen(guint group, EsessDhKey **out);

/* Deterministic key pair from a given private exponent (big-endian bytes);
 * for known-answer tests only.  Same range checks as keygen:
 * ESESS_ERR_DH_RANGE if x is not in (2^255, p-1). */
G_GNUC_WARN_UNUSED_RESULT
EsessStatus esess_dh_key_from_private(guint group, const guint8 *x, size_t x_len,
				      EsessDhKey **out);

guint esess_dh_key_group(const EsessDhKey *k);

/* The private exponent x as big-endian bytes in a new secure secret, for
 * the XEP-0187 offline secrets that must outlive the process (caller frees
 * with esess_secret_free).  Returns ESESS_OK, ESESS_ERR_INTERNAL. */
G_GNUC_WARN_UNUSED_RESULT
EsessStatus esess_dh_key_export_private(const EsessDhKey *k, EsessSecret **out);

/* The public value as MPI bytes (owned by k). */
const guint8 *esess_dh_key_public(const EsessDhKey *k, size_t *len);

/* Validates a received public value v (MPI bytes) for group: minimal encoding
 * (ESESS_ERR_MPI), encoding no longer than p and 1 < v < p-1
 * (ESESS_ERR_DH_RANGE); ESESS_ERR_UNKNOWN_GROUP.  SECURITY items 1-4, 7, 9. */
G_GNUC_WARN_UNUSED_RESULT
EsessStatus esess_dh_check_public(guint group, const guint8 *v, size_t len);

/* Full validation: also v^q == 1 mod p with q = (p-1)/2 (rejects the order-2q
 * non-residues, SECURITY item 6).  ESESS_ERR_DH_RANGE on failure. */
G_GNUC_WARN_UNUSED_RESULT
EsessStatus esess_dh_check_public_full(guint group, const guint8 *v, size_t len);

/* Shared secret MPI(peer^x mod p) into a new secure *shared.  Checks peer with
 * esess_dh_check_public first, rejects peer equal to our own public value
 * (ESESS_ERR_DH_REFLECTED) and a result of 1 or p-1 (ESESS_ERR_DH_SHARED). */
G_GNUC_WARN_UNUSED_RESULT
EsessStatus esess_dh_agree(const EsessDhKey *k, const guint8 *peer, size_t peer_len,
			   EsessSecret **shared);

void esess_dh_key_free(EsessDhKey *k);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(EsessDhKey, esess_dh_key_free)

/* ---- RSA-OAEP (the archive's key wrapping, issue 13) ------------- */
/* RSAES-OAEP with SHA-256, MGF1-SHA-256 and no label (RFC 8017), which
 * GnuTLS 3.7 lacks.  Numbers are big-endian without sign.  Encryption:
 * *out g_malloc'd, exactly n_len bytes.  Returns ESESS_OK,
 * ESESS_ERR_INTERNAL. */
G_GNUC_WARN_UNUSED_RESULT
EsessStatus esess_rsa_oaep_encrypt(const guint8 *n, size_t n_len, const guint8 *e, size_t e_len,
				   const guint8 *in, size_t in_len, guint8 **out, size_t *out_len);
/* Decryption with the private numbers (p, q in any order).  *out
 * g_malloc'd (wipe it).  Returns ESESS_OK, ESESS_ERR_MAC (does not decrypt:
 * another key, or changed), ESESS_ERR_INTERNAL. */
G_GNUC_WARN_UNUSED_RESULT
EsessStatus esess_rsa_oaep_decrypt(const guint8 *n, size_t n_len, const guint8 *e, size_t e_len,
				   const guint8 *d, size_t d_len, const guint8 *p, size_t p_len,
				   const guint8 *q, size_t q_len, const guint8 *in, size_t in_len,
				   guint8 **out, size_t *out_len);

G_END_DECLS

#endif /* ESESS_CRYPTO_H */
