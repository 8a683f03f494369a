/*
 * esess-sas.h - the Short Authentication Strings: the legacy sas28x5
 * (XEP-0116 §The sas28x5 SAS Algorithm, INTEROP R8, R20) and this project's
 * committed SAS (INTEROP R23, doc/sas.md), which a man in the middle cannot
 * grind.  Both are 24-bit values shown as 5 characters of the same alphabet.
 */
#ifndef ESESS_SAS_H
#define ESESS_SAS_H

#include <glib.h>
#include <stddef.h>

#include "esess-status.h"

G_BEGIN_DECLS

/* 5 characters and the NUL (legacy, R8) */
#define ESESS_SAS_LEN 5
/* the committed SAS (R23) has 6: a string of one can never equal a string
 * of the other, so a man in the middle cannot grind a legacy SAS on one side
 * to match the committed SAS on the other (doc/sas.md) */
#define ESESS_SAS_COMMITTED_LEN 6
#define ESESS_SAS_MAX_LEN 6
/* 28^6: the committed SAS is below it */
#define ESESS_SAS_COMMITTED_RANGE 481890304u
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

/* ---- INTEROP R23: the committed SAS -------------------------------- */

/* The sas_algs option names: the legacy one (every peer) and ours, offered
 * only to peers of this plugin (R19) and chosen whenever offered. */
#define ESESS_SAS_LEGACY_NAME "sas28x5"
#define ESESS_SAS_COMMITTED_NAME "urn:xmpp:esessions:purple:sas:0"

/* The hash label, written first (ASCII, no NUL, no length prefix). */
#define ESESS_SAS_COMMITTED_LABEL "Committed Short Authentication String"

/* Which SAS a negotiation used. */
typedef enum {
	ESESS_SAS_ALG_LEGACY,    /* sas28x5 (R8): can be ground by a man in the middle */
	ESESS_SAS_ALG_COMMITTED  /* R23: fixed before either DH value was seen */
} EsessSasAlg;

/* The inputs of the committed SAS, all fixed by each side before it saw the
 * other's DH value: the nonces, the R7 canonical forms of messages 1 and 2
 * (form_A holds the commitment He, form_B holds d) and the two DH values.
 * e and d may carry leading zero octets: they are hashed as MPI (R2). */
typedef struct {
	const guint8 *n_a;
	size_t n_a_len;
	const guint8 *n_b;
	size_t n_b_len;
	const guint8 *e;
	size_t e_len;
	const guint8 *d;
	size_t d_len;
	const char *form_a;
	size_t form_a_len;
	const char *form_b;
	size_t form_b_len;
} EsessSasInput;

/* INTEROP R23: the last 8 bytes, as a big-endian unsigned integer, modulo
 * 28^6, of
 *   SHA-256(LABEL || L(N_A) || L(N_B) || L(MPI(e)) || L(MPI(d)) ||
 *           L(form_A) || L(form_B))
 * where L(x) is the length of x as 4 big-endian bytes followed by x.
 * Nothing of messages 3 and 4 enters it. */
guint32 esess_sas_committed_value(const EsessSasInput *in);

/* Writes v (< 28^6) as 6 characters of the R8 alphabet, most significant
 * digit first, left-padded with 'a', into out[ESESS_SAS_MAX_LEN + 1]. */
void esess_sas_committed_format(guint32 v, char out[ESESS_SAS_MAX_LEN + 1]);

G_END_DECLS

#endif /* ESESS_SAS_H */
