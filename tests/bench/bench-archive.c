/*
 * bench-archive: the encrypted log (issue 13) against Pidgin's own HTML
 * logger, in the same run, through libpurple's log API as the
 * conversation and the log viewer use it (purple_log_write,
 * purple_log_read).  Prints per-message write and read cost (medians of
 * the runs) and bytes on disk per message.
 *
 * A headless libpurple (no connection) loads the built plugin; the account
 * gets the test identity key tests/vectors/idkey-alice.pem (3072 bits).
 * Reading includes unwrapping the collection key (one RSA-OAEP decryption
 * per collection), spread over its messages.
 *
 *   bench-archive [PLUGIN.so]      ESESS_BENCH_SCALE=0.1 for a quick run
 */
#include "config.h"

#include <glib.h>
#include <glib/gstdio.h>
#include <purple.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define RUNS 5
#define PEER "bob@localhost"
#define MESSAGE "<span style='font-weight: bold;'>Hello Bob</span>, shall we meet at " \
	"the station at half past six? I will bring the tickets &amp; the map."

static PurpleEventLoopUiOps eventloop_ops = {
	.timeout_add = g_timeout_add,
	.timeout_remove = g_source_remove,
	.timeout_add_seconds = g_timeout_add_seconds
};

static void
remove_tree(const char *path)
{
	GDir *d = g_dir_open(path, 0, NULL);
	const char *n;

	while (d != NULL && (n = g_dir_read_name(d)) != NULL) {
		char *p = g_build_filename(path, n, NULL);

		if (g_file_test(p, G_FILE_TEST_IS_DIR) && !g_file_test(p, G_FILE_TEST_IS_SYMLINK))
			remove_tree(p);
		else
			g_unlink(p);
		g_free(p);
	}
	if (d != NULL)
		g_dir_close(d);
	g_rmdir(path);
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double
median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof *v, cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* The size on disk of the log of format id at time when, as the viewer
 * sees it. */
static gint64
log_size(const char *id, PurpleAccount *account, time_t when)
{
	GList *logs = purple_log_get_logs(PURPLE_LOG_IM, PEER, account), *x;
	gint64 size = -1;

	for (x = logs; x != NULL; x = x->next) {
		PurpleLog *log = x->data;

		if (log->time == when && strcmp(log->logger->id, id) == 0)
			size = purple_log_get_size(log);
		purple_log_free(log);
	}
	g_list_free(logs);
	return size;
}

/* Writes n messages to a new log of format id at time when; returns the
 * seconds it took. */
static double
write_log(PurpleAccount *account, const char *id, time_t when, int n)
{
	PurpleLog *log;
	gint64 t0;
	int i;

	purple_prefs_set_string("/purple/logging/format", id);
	log = purple_log_new(PURPLE_LOG_IM, PEER, account, NULL, when, NULL);
	if (strcmp(log->logger->id, id) != 0) {
		fprintf(stderr, "format %s is not available\n", id);
		exit(1);
	}
	t0 = g_get_monotonic_time();
	for (i = 0; i < n; i++)
		purple_log_write(log, i % 2 ? PURPLE_MESSAGE_RECV : PURPLE_MESSAGE_SEND,
				 i % 2 ? PEER : "alice@localhost", when + i, MESSAGE);
	purple_log_free(log);       /* closes the file */
	return (double)(g_get_monotonic_time() - t0) / 1e6;
}

/* Lists the conversation's logs (as the viewer does) and reads the one of
 * format id at time when; the seconds the read took. */
static double
read_log(PurpleAccount *account, const char *id, time_t when, int n)
{
	GList *logs = purple_log_get_logs(PURPLE_LOG_IM, PEER, account), *x;
	double secs = -1;

	for (x = logs; x != NULL; x = x->next) {
		PurpleLog *log = x->data;

		if (log->time == when && strcmp(log->logger->id, id) == 0) {
			PurpleLogReadFlags flags;
			gint64 t0 = g_get_monotonic_time();
			char *text = purple_log_read(log, &flags);

			secs = (double)(g_get_monotonic_time() - t0) / 1e6;
			/* the last message must be there: nothing was refused */
			if (text == NULL || g_strrstr(text, "half past six") == NULL ||
			    strstr(text, "damaged") != NULL || strstr(text, "locked") != NULL) {
				fprintf(stderr, "%s: the log did not read back\n", id);
				exit(1);
			}
			g_free(text);
		}
		purple_log_free(log);
	}
	g_list_free(logs);
	(void)n;
	return secs;
}

int
main(int argc, char **argv)
{
	const char *plugin_path = argc > 1 ? argv[1] : ESESS_BENCH_PLUGIN;
	const char *scale_s = g_getenv("ESESS_BENCH_SCALE");
	double scale = scale_s != NULL ? g_ascii_strtod(scale_s, NULL) : 1.0;
	int n = (int)(2000 * (scale > 0 ? scale : 1.0));
	char *dir = g_dir_make_tmp("bench-archive-XXXXXX", NULL);
	char *keydir, *key, *pem = NULL;
	gsize pem_len;
	PurpleAccount *account;
	PurplePlugin *plugin;
	static const char *const ids[2] = { "html", "esessions" };
	double w[2][RUNS], r[2][RUNS];
	gint64 bytes[2] = { 0, 0 }, records;
	int run, f;
	time_t base = 1764770400;

	if (n < 10)
		n = 10;
	keydir = g_build_filename(dir, "esessions", NULL);
	g_mkdir_with_parents(keydir, 0700);
	key = g_build_filename(keydir, "alice@localhost-idkey.pem", NULL);
	if (!g_file_get_contents(ESESS_TEST_VECTORS "/idkey-alice.pem", &pem, &pem_len, NULL) ||
	    !g_file_set_contents(key, pem, (gssize)pem_len, NULL)) {
		fprintf(stderr, "cannot copy the test identity key\n");
		return 1;
	}
	g_chmod(key, 0600);
	g_free(pem);
	purple_util_set_user_dir(dir);
	purple_debug_set_enabled(FALSE);
	purple_eventloop_set_ui_ops(&eventloop_ops);
	if (!purple_core_init("bench-archive")) {
		fprintf(stderr, "libpurple did not start\n");
		return 1;
	}
	purple_set_blist(purple_blist_new());
	purple_prefs_set_bool("/purple/logging/log_ims", TRUE);
	account = purple_account_new("alice@localhost/bench", "prpl-jabber");
	purple_accounts_add(account);
	plugin = purple_plugin_probe(plugin_path);
	if (plugin == NULL || !purple_plugin_load(plugin)) {
		fprintf(stderr, "cannot load %s\n", plugin_path);
		return 1;
	}
	for (run = 0; run < RUNS; run++)
		for (f = 0; f < 2; f++) {
			/* one collection per run and format, a day apart */
			time_t when = base + (run * 2 + f) * 86400;

			w[f][run] = write_log(account, ids[f], when, n) / n;
			r[f][run] = read_log(account, ids[f], when, n) / n;
			if (run == 0)
				bytes[f] = log_size(ids[f], account, when);
		}
	/* doc/archive.md: a record is 4 + 15 + sender + text + 32 bytes */
	records = (gint64)n * (51 + (gint64)strlen(MESSAGE)) + (gint64)((n + 1) / 2) * 15 +
		  (gint64)(n / 2) * (gint64)strlen(PEER);
	printf("bench-archive: %d messages of %zu bytes per log, %d runs, medians\n", n,
	       strlen(MESSAGE), RUNS);
	printf("  %-24s %12s %12s %14s\n", "format", "write us/msg", "read us/msg",
	       "bytes/msg disk");
	for (f = 0; f < 2; f++)
		printf("  %-24s %12.2f %12.2f %14.1f\n",
		       f == 0 ? "Pidgin HTML (plaintext)" : "ESessions encrypted",
		       median(w[f], RUNS) * 1e6, median(r[f], RUNS) * 1e6, (double)bytes[f] / n);
	printf("  encrypted log: %" G_GINT64_FORMAT " bytes per collection (header with one "
	       "wrapped key, trailer); %+.1f bytes per message against the HTML log\n",
	       bytes[1] - records, ((double)records - (double)bytes[0]) / n);
	purple_plugin_unload(plugin);
	purple_core_quit();
	remove_tree(dir);
	g_free(dir);
	g_free(key);
	g_free(keydir);
	return 0;
}
