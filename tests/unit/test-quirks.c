/* test-quirks: INTEROP R20, one test per entry of the quirks table. */
#include "config.h"

#include "esess-quirks.h"

static void
test_gajim(void)
{
	const EsessQuirks *q = esess_quirks_for("http://gajim.org");

	g_assert_nonnull(q);
	g_assert_cmpstr(q->node, ==, "http://gajim.org");
	g_assert_true(q->sas_unpadded);
	g_assert_true(q->plaintext_terminate);
	g_assert_true(q->no_extensions);
	g_assert_true(q->no_group_18);
	g_assert_true(q->no_group_17_first);
	g_assert_true(q->error_text_is_failure);
	/* one static entry */
	g_assert_true(esess_quirks_for("http://gajim.org") == q);
}

static void
test_unknown(void)
{
	g_assert_null(esess_quirks_for(NULL));
	g_assert_null(esess_quirks_for(""));
	g_assert_null(esess_quirks_for("http://pidgin.im/"));
	g_assert_null(esess_quirks_for("https://gajim.org"));
	g_assert_null(esess_quirks_for("http://gajim.org/"));
	g_assert_null(esess_quirks_for("HTTP://GAJIM.ORG"));
	g_assert_null(esess_quirks_for("http://gajim.org#0.12"));
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/quirks/gajim", test_gajim);
	g_test_add_func("/quirks/unknown-node", test_unknown);
	return g_test_run();
}
