/* test-status: every status has a distinct symbol and a description. */
#include "config.h"

#include <string.h>

#include "esess-status.h"

static void
test_status_names(void)
{
	int i, j;

	g_assert_cmpint(ESESS_OK, ==, 0);
	g_assert_cmpstr(esess_status_symbol(ESESS_ERR_MAC), ==, "ESESS_ERR_MAC");
	for (i = 0; i < ESESS_STATUS_COUNT_; i++) {
		g_assert_nonnull(esess_status_name((EsessStatus)i));
		g_assert_cmpuint(strlen(esess_status_name((EsessStatus)i)), >, 0);
		g_assert_true(g_str_has_prefix(esess_status_symbol((EsessStatus)i), "ESESS_"));
		for (j = 0; j < i; j++)
			g_assert_cmpstr(esess_status_symbol((EsessStatus)i), !=,
					esess_status_symbol((EsessStatus)j));
	}
	g_assert_cmpstr(esess_status_symbol((EsessStatus)ESESS_STATUS_COUNT_), ==,
			"ESESS_ERR_UNKNOWN");
	g_assert_cmpstr(esess_status_name((EsessStatus)-1), ==, "unknown status");
}

/* issue 8 item 4: the debug line of a refused negotiation */
static void
test_status_describe(void)
{
	char *d;

	d = esess_status_describe(ESESS_ERR_NOT_OFFERED, "modp");
	g_assert_cmpstr(d, ==, "ESESS_ERR_NOT_OFFERED field=modp");
	g_free(d);
	d = esess_status_describe(ESESS_ERR_TIMEOUT, NULL);
	g_assert_cmpstr(d, ==, "ESESS_ERR_TIMEOUT field=none");
	g_free(d);
	d = esess_status_describe(ESESS_ERR_FORM, "");
	g_assert_cmpstr(d, ==, "ESESS_ERR_FORM field=none");
	g_free(d);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/status/names", test_status_names);
	g_test_add_func("/status/describe", test_status_describe);
	return g_test_run();
}
