/*
 * bench-floor.h - the bare libgcrypt floor of one XEP-0200 message: AES-CTR,
 * HMAC-SHA-256 and base64 of the same bytes, handles kept open (doc/hacking.md
 * "The floor").  What any implementation must pay at least.
 */
#ifndef BENCH_FLOOR_H
#define BENCH_FLOOR_H

#include <glib.h>
#include <stddef.h>

G_BEGIN_DECLS

typedef struct _BenchFloor BenchFloor;

/* A sender and a receiver with the same AES-256 and HMAC keys and counter. */
BenchFloor *bench_floor_new(size_t max_len);

/* One-way message: the sender pads msg to 16 bytes, encrypts it with
 * AES-256-CTR, MACs ciphertext || counter, base64-encodes ciphertext and MAC;
 * the receiver base64-decodes both, recomputes and compares the MAC, decrypts.
 * Returns TRUE when the receiver got msg back. */
gboolean bench_floor_oneway(BenchFloor *f, const char *msg, size_t len);

void bench_floor_free(BenchFloor *f);

G_END_DECLS

#endif /* BENCH_FLOOR_H */
