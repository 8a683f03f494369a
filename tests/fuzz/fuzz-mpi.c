/*
 * fuzz-mpi: received Diffie-Hellman values (SECURITY items 1-7, 9-11) and
 * strict decimal integers (item 60).  The first byte picks a MODP group (the
 * small ones, so an input costs at most one 2048-bit exponentiation); the
 * rest is the MPI.  Every verdict is checked against a byte-level
 * reimplementation of 1 < v < p-1 on the minimal encoding.
 */
#include "config.h"

#include <string.h>

#include "esess-bytes.h"
#include "esess-crypto.h"
#include "esess-modp.h"

int LLVMFuzzerTestOneInput(const guint8 *data, size_t size);

static const guint fuzz_groups[] = { 1, 2, 5, 14 };

/* the expected esess_dh_check_public verdict, by plain byte comparison */
static EsessStatus
expect_range(guint group, const guint8 *v, size_t len)
{
	const guint8 *p;
	size_t plen;
	int c;

	p = esess_modp_prime(group, &plen);
	if (len > 0 && v[0] == 0)
		return ESESS_ERR_MPI;
	if (len == 0 || len > plen)
		return ESESS_ERR_DH_RANGE;
	if (len == 1 && v[0] == 1)
		return ESESS_ERR_DH_RANGE;
	if (len < plen)
		return ESESS_OK;
	/* same length as p: compare with p - 1 (p ends in 0xff, so p - 1
	 * differs from p in the last byte only) */
	c = memcmp(v, p, plen - 1);
	if (c != 0)
		return c < 0 ? ESESS_OK : ESESS_ERR_DH_RANGE;
	return v[plen - 1] < 0xfe ? ESESS_OK : ESESS_ERR_DH_RANGE;
}

static EsessDhKey *fuzz_keys[G_N_ELEMENTS(fuzz_groups)];

int
LLVMFuzzerTestOneInput(const guint8 *data, size_t size)
{
	guint group, gi;
	const guint8 *v;
	size_t len;
	EsessStatus r, want;
	EsessSecret *s = NULL;
	gchar *text;
	guint64 num = 1;

	if (fuzz_keys[0] == NULL) {
		guint i;

		if (esess_crypto_init() != ESESS_OK)
			__builtin_trap();
		for (i = 0; i < G_N_ELEMENTS(fuzz_groups); i++)
			if (esess_dh_keygen(fuzz_groups[i], &fuzz_keys[i]) != ESESS_OK)
				__builtin_trap();
	}
	if (size == 0)
		return 0;
	gi = data[0] % G_N_ELEMENTS(fuzz_groups);
	group = fuzz_groups[gi];
	v = data + 1;
	len = size - 1;

	if ((esess_mpi_check_minimal(v, len) == ESESS_OK) != (len == 0 || v[0] != 0))
		__builtin_trap();
	if (esess_mpi_strip(v, len) > len)
		__builtin_trap();

	want = expect_range(group, v, len);
	r = esess_dh_check_public(group, v, len);
	if (r != want)
		__builtin_trap();
	r = esess_dh_agree(fuzz_keys[gi], v, len, &s);
	if (want != ESESS_OK) {
		if (r != want || s != NULL)
			__builtin_trap();
	} else if (r == ESESS_OK) {
		if (s == NULL || s->len == 0 || s->data[0] == 0)
			__builtin_trap();
	} else if (r != ESESS_ERR_DH_REFLECTED && r != ESESS_ERR_DH_SHARED) {
		__builtin_trap();
	}
	esess_secret_free(s);
	if (data[0] & 0x80) {
		r = esess_dh_check_public_full(group, v, len);
		if (want != ESESS_OK ? r != want : (r != ESESS_OK && r != ESESS_ERR_DH_RANGE))
			__builtin_trap();
	}

	/* the same bytes as a decimal integer (SECURITY item 60) */
	text = g_strndup((const char *)v, len);
	r = esess_parse_uint(text, G_MAXUINT32, &num);
	if (r == ESESS_OK) {
		gchar *back = g_strdup_printf("%" G_GUINT64_FORMAT, num);

		/* only the canonical spelling of a value <= max is accepted */
		if (num > G_MAXUINT32 || strcmp(back, text) != 0)
			__builtin_trap();
		g_free(back);
	} else if (r != ESESS_ERR_INTEGER || num != 0) {
		__builtin_trap();
	}
	g_free(text);
	return 0;
}
