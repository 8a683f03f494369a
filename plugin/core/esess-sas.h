/*
 * esess-sas.h - the sas28x5 Short Authentication String (XEP-0116 §The
 * sas28x5 SAS Algorithm, INTEROP R8, R20).
 */
#ifndef ESESS_SAS_H
#define ESESS_SAS_H

#include <glib.h>
#include <stddef.h>

#include "esess-status.h"

G_BEGIN_DECLS

/* 5 characters and the NUL */
#define ESESS_SAS_LEN 5
#define ESESS_SAS_ALPHABET "acdefghikmopqruvwxy123456789"

/* The 24-bit value: the last 3 bytes of SHA-256(m_a || form_b ||
 * "Short Authentication String") as a big-endian unsigned integer (R8). */
guint32 esess_sas_value(const guint8 *m_a, size_t m_a_len, const char *form_b, size_t form_b_len);

/* Writes v (< 2^24) in base 28 with the R8 alphabet, most significant digit
 * first, into out[ESESS_SAS_LEN + 1].  padded: left-padded with 'a' to 5
 * characters (R8); unpadded: without the leading 'a's, at least one character
 * (Gajim, R20). */
void esess_sas_format(guint32 v, gboolean padded, char out[ESESS_SAS_LEN + 1]);

/* esess_sas_value + esess_sas_format. */
void esess_sas_compute(const guint8 *m_a, size_t m_a_len, const char *form_b, size_t form_b_len,
		       gboolean padded, char out[ESESS_SAS_LEN + 1]);

G_END_DECLS

#endif /* ESESS_SAS_H */
