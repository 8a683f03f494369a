/*
 * esess-modp.h - the MODP Diffie-Hellman groups of RFC 2409 and RFC 3526
 * (generator 2).  Groups 1, 2, 5 and 14-18 exist; 3 and 4 are elliptic-curve
 * groups, not MODP, and are never offered (INTEROP R11, DIGEST §15 #6).
 */
#ifndef ESESS_MODP_H
#define ESESS_MODP_H

#include <glib.h>
#include <stddef.h>

G_BEGIN_DECLS

#define ESESS_MODP_GENERATOR 2u

/* TRUE for 1, 2, 5, 14, 15, 16, 17, 18. */
gboolean esess_modp_known(guint group);

/* The prime p as big-endian bytes (static storage), or NULL for an unknown
 * group.  *len receives its length (bits / 8). */
const guint8 *esess_modp_prime(guint group, size_t *len);

/* Modulus size in bits (768 ... 8192), 0 for an unknown group. */
guint esess_modp_bits(guint group);

/* Private exponent size in bits per INTEROP R10: 256 for groups up to 14,
 * 320 for 15, 384 for 16, 448 for 17, 512 for 18; 0 for unknown. */
guint esess_modp_exponent_bits(guint group);

/* All known groups in ascending order; *n receives the count. */
const guint *esess_modp_all(gsize *n);

G_END_DECLS

#endif /* ESESS_MODP_H */
