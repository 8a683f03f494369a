/*
 * fuzz-base64: the strict base64 decoder on arbitrary bytes (SECURITY items
 * 40-41).  Strictness means canonical: whatever decodes must encode back to
 * exactly the input, and the exact-length decoder must agree with the
 * general one.
 */
#include "config.h"

#include <string.h>

#include "esess-bytes.h"
#include "esess-mem.h"

int LLVMFuzzerTestOneInput(const guint8 *data, size_t size);

int
LLVMFuzzerTestOneInput(const guint8 *data, size_t size)
{
	const char *text = (const char *)data;
	guint8 *out = NULL, *exact;
	size_t n = 0;
	EsessStatus r, rx;
	gchar *back;
	GString *s;

	r = esess_base64_decode(text, size, G_MAXSIZE, &out, &n);
	if (r == ESESS_OK) {
		/* decode . encode is the identity on accepted input */
		back = esess_base64_encode(out, n);
		if (strlen(back) != size || memcmp(back, text, size) != 0)
			__builtin_trap();
		s = g_string_new(NULL);
		esess_base64_append(s, out, n);
		if (s->len != size || memcmp(s->str, text, size) != 0)
			__builtin_trap();
		g_string_free(s, TRUE);
		g_free(back);
		/* a tighter max_out is refused exactly when it is too small */
		if (n > 0) {
			guint8 *o2 = NULL;
			size_t n2 = 0;

			if (esess_base64_decode(text, size, n - 1, &o2, &n2) != ESESS_ERR_TOO_LARGE ||
			    o2 != NULL)
				__builtin_trap();
		}
	} else if (r != ESESS_ERR_BASE64 && r != ESESS_ERR_TOO_LARGE) {
		__builtin_trap();
	} else if (out != NULL || n != 0) {
		__builtin_trap();
	}

	/* the exact decoder at the decoded length and one byte off */
	exact = g_malloc(n + 2);
	rx = esess_base64_decode_exact(text, size, exact, n);
	if (r == ESESS_OK && (rx != ESESS_OK || (n > 0 && memcmp(exact, out, n) != 0)))
		__builtin_trap();
	if (r == ESESS_ERR_BASE64 && rx != ESESS_ERR_BASE64 && rx != ESESS_ERR_LENGTH)
		__builtin_trap();
	rx = esess_base64_decode_exact(text, size, exact, n + 1);
	if (r == ESESS_OK && rx != ESESS_ERR_LENGTH)
		__builtin_trap();
	g_free(exact);
	g_free(out);

	/* encode . decode is the identity on any bytes */
	if (size <= 4096) {
		guint8 *o3 = NULL;
		size_t n3 = 0;

		back = esess_base64_encode(data, size);
		if (esess_base64_decode(back, strlen(back), size, &o3, &n3) != ESESS_OK ||
		    n3 != size || (size > 0 && memcmp(o3, data, size) != 0))
			__builtin_trap();
		g_free(o3);
		g_free(back);
	}
	return 0;
}
