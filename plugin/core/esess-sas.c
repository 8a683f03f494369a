/*
 * esess-sas.c - sas28x5 (XEP-0116 §The sas28x5 SAS Algorithm) and the
 * committed SAS of INTEROP R23.
 * INTEROP R8: last 3 bytes of SHA-256(M_A || form_B || "Short Authentication
 * String"), base 28, most significant digit first, padded with 'a' to 5
 * characters; R20: Gajim shows it unpadded.
 * INTEROP R23: M_A covers message 3, which the initiator writes after it saw
 * d, so a man in the middle can vary it until the R8 value matches (SECURITY
 * 63).  The committed SAS hashes only what both sides fixed before seeing the
 * other's DH value; see esess-sas.h and doc/sas.md.
 */
#include "config.h"

#include <string.h>

#include "esess-bytes.h"
#include "esess-crypto.h"
#include "esess-sas.h"

#define SAS_LABEL "Short Authentication String"

guint32
esess_sas_value(const guint8 *m_a, size_t m_a_len, const char *form_b, size_t form_b_len)
{
	EsessSha256 *h;
	guint8 digest[ESESS_SHA256_LEN];
	guint32 v;

	h = esess_sha256_new();
	esess_sha256_update(h, m_a, m_a_len);
	esess_sha256_update(h, form_b, form_b_len);
	esess_sha256_update(h, SAS_LABEL, strlen(SAS_LABEL));
	esess_sha256_finish(h, digest);
	/* "least-significant 24 bits" = the last 3 bytes of the big-endian digest */
	v = ((guint32)digest[29] << 16) | ((guint32)digest[30] << 8) | (guint32)digest[31];
	esess_wipe(digest, sizeof digest);
	return v;
}

/* L(x): the length as 4 big-endian bytes, then x, so that no two different
 * lists of inputs give the same byte string */
static void
update_lp(EsessSha256 *h, const void *data, size_t len)
{
	guint8 n[4];

	g_return_if_fail(len <= G_MAXUINT32);
	n[0] = (guint8)(len >> 24);
	n[1] = (guint8)(len >> 16);
	n[2] = (guint8)(len >> 8);
	n[3] = (guint8)len;
	esess_sha256_update(h, n, sizeof n);
	if (len > 0)
		esess_sha256_update(h, data, len);
}

guint32
esess_sas_committed_value(const EsessSasInput *in)
{
	EsessSha256 *h;
	guint8 digest[ESESS_SHA256_LEN];
	size_t off_e, off_d;
	guint64 w;
	guint32 v;
	int i;

	/* R2: DH values as MPI, so that a leading zero octet on the wire
	 * cannot make the two sides hash different bytes */
	off_e = esess_mpi_strip(in->e, in->e_len);
	off_d = esess_mpi_strip(in->d, in->d_len);
	h = esess_sha256_new();
	esess_sha256_update(h, ESESS_SAS_COMMITTED_LABEL, strlen(ESESS_SAS_COMMITTED_LABEL));
	update_lp(h, in->n_a, in->n_a_len);
	update_lp(h, in->n_b, in->n_b_len);
	update_lp(h, in->e + off_e, in->e_len - off_e);
	update_lp(h, in->d + off_d, in->d_len - off_d);
	update_lp(h, in->form_a, in->form_a_len);
	update_lp(h, in->form_b, in->form_b_len);
	esess_sha256_finish(h, digest);
	/* 64 bits reduced modulo 28^6: the bias is below 2^-35 */
	w = 0;
	for (i = ESESS_SHA256_LEN - 8; i < ESESS_SHA256_LEN; i++)
		w = (w << 8) | digest[i];
	v = (guint32)(w % ESESS_SAS_COMMITTED_RANGE);
	esess_wipe(digest, sizeof digest);
	w = 0;
	return v;
}

void
esess_sas_committed_format(guint32 v, char out[ESESS_SAS_MAX_LEN + 1])
{
	static const char alphabet[] = ESESS_SAS_ALPHABET;
	int i;

	g_return_if_fail(v < ESESS_SAS_COMMITTED_RANGE);
	/* the R8 alphabet and digit order, always 6 characters (padded) */
	for (i = ESESS_SAS_COMMITTED_LEN - 1; i >= 0; i--) {
		out[i] = alphabet[v % 28u];
		v /= 28u;
	}
	out[ESESS_SAS_COMMITTED_LEN] = '\0';
}

void
esess_sas_format(guint32 v, gboolean padded, char out[ESESS_SAS_LEN + 1])
{
	static const char alphabet[] = ESESS_SAS_ALPHABET;
	char digits[ESESS_SAS_LEN];
	int i, start;

	g_return_if_fail(v < (1u << 24));
	for (i = ESESS_SAS_LEN - 1; i >= 0; i--) {
		digits[i] = alphabet[v % 28u];
		v /= 28u;
	}
	start = 0;
	if (!padded) {
		/* R20: Gajim prints the integer without leading zero digits */
		while (start < ESESS_SAS_LEN - 1 && digits[start] == alphabet[0])
			start++;
	}
	memcpy(out, digits + start, (size_t)(ESESS_SAS_LEN - start));
	out[ESESS_SAS_LEN - start] = '\0';
}

void
esess_sas_compute(const guint8 *m_a, size_t m_a_len, const char *form_b, size_t form_b_len,
		  gboolean padded, char out[ESESS_SAS_LEN + 1])
{
	esess_sas_format(esess_sas_value(m_a, m_a_len, form_b, form_b_len), padded, out);
}
