/*
 * esess-sas.c - sas28x5 (XEP-0116 §The sas28x5 SAS Algorithm).
 * INTEROP R8: last 3 bytes of SHA-256(M_A || form_B || "Short Authentication
 * String"), base 28, most significant digit first, padded with 'a' to 5
 * characters; R20: Gajim shows it unpadded.
 */
#include "config.h"

#include <string.h>

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
