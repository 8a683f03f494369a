/*
 * plugin-load.c - loads the built plugin into a headless libpurple, as
 * Pidgin or Finch would, and unloads it: the smoke test of both ways of
 * linking the engine (issue 14 item 3: a private copy, or the shared
 * libesessions with configure --with-shared-engine).  Run by
 * check-plugin-load.sh; prints TAP.
 *
 * Usage: plugin-load USERDIR PLUGIN.so
 */
#include "config.h"

#include <glib.h>
#include <purple.h>
#include <stdio.h>
#include <string.h>

static PurpleEventLoopUiOps eventloop_ops = {
	.timeout_add = g_timeout_add,
	.timeout_remove = g_source_remove,
	.timeout_add_seconds = g_timeout_add_seconds
};

static int n_test;

static void
check(gboolean ok, const char *what, const char *detail)
{
	printf("%sok %d - %s%s%s\n", ok ? "" : "not ", ++n_test, what,
	       detail != NULL ? ": " : "", detail != NULL ? detail : "");
}

int
main(int argc, char **argv)
{
	PurplePlugin *p;
	gboolean loaded;

	if (argc != 3) {
		fprintf(stderr, "usage: %s USERDIR PLUGIN.so\n", argv[0]);
		return 2;
	}
	setvbuf(stdout, NULL, _IONBF, 0);
	printf("1..3\n");
	purple_util_set_user_dir(argv[1]);
	purple_debug_set_enabled(FALSE);
	purple_core_set_ui_ops(NULL);
	purple_eventloop_set_ui_ops(&eventloop_ops);
	if (!purple_core_init("esess-plugin-load")) {
		check(FALSE, "libpurple starts", NULL);
		return 1;
	}
	purple_set_blist(purple_blist_new());

	p = purple_plugin_probe(argv[2]);
	check(p != NULL && p->info != NULL &&
	      g_strcmp0(purple_plugin_get_id(p), "core-esessions") == 0,
	      "libpurple probes the plugin", p != NULL ? p->error : "not a plugin");
	loaded = p != NULL && purple_plugin_load(p);
	check(loaded && purple_plugin_is_loaded(p), "the plugin loads",
	      p != NULL ? p->error : NULL);
	/* the load started the engine (libgcrypt, key pool, store): running the
	 * main loop a little lets its idle work run before it is torn down */
	if (loaded) {
		int i;

		for (i = 0; i < 50 && g_main_context_iteration(NULL, FALSE); i++)
			;
	}
	check(loaded && purple_plugin_unload(p) && !purple_plugin_is_loaded(p),
	      "the plugin unloads", NULL);
	purple_core_quit();
	return 0;
}
