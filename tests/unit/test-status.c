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

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/status/names", test_status_names);
	return g_test_run();
}
