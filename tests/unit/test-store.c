/* test-store: retained secrets at rest (INTEROP R9). */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "esess-bytes.h"
#include "esess-idkey.h"
#include "esess-mem.h"
#include "esess-store-private.h"

#define ACC  "alice@example.org"
#define PEER "bob@example.com"

typedef struct {
	char *dir;
	char *path;
} Fixture;

static void
fx_setup(Fixture *fx, gconstpointer data)
{
	(void)data;
	fx->dir = g_dir_make_tmp("esess-store-XXXXXX", NULL);
	g_assert_nonnull(fx->dir);
	fx->path = g_build_filename(fx->dir, "secrets", NULL);
}

static void
rm_rf(const char *path)
{
	GDir *d = g_dir_open(path, 0, NULL);
	const char *name;

	if (d == NULL) {
		(void)g_remove(path);
		return;
	}
	while ((name = g_dir_read_name(d)) != NULL) {
		char *p = g_build_filename(path, name, NULL);

		rm_rf(p);
		g_free(p);
	}
	g_dir_close(d);
	(void)g_rmdir(path);
}

static void
fx_teardown(Fixture *fx, gconstpointer data)
{
	(void)data;
	rm_rf(fx->dir);
	g_free(fx->dir);
	g_free(fx->path);
}

/* A 32-byte secret filled with b. */
static EsessSecret *
sec(guint8 b)
{
	EsessSecret *s = esess_secret_new(32);

	memset(s->data, b, 32);
	return s;
}

static EsessStore *
open_store(const char *path)
{
	EsessStore *st = NULL;

	g_assert_cmpint(esess_store_open(path, &st), ==, ESESS_OK);
	g_assert_nonnull(st);
	return st;
}

static void
commit(EsessStore *st, const char *peer, guint8 used, guint8 fresh, gboolean expect_verified)
{
	EsessSecret *u = used ? sec(used) : NULL, *n = sec(fresh);
	gboolean v = !expect_verified;

	g_assert_cmpint(esess_store_commit(st, ACC, peer, u, n, FALSE, &v), ==, ESESS_OK);
	g_assert_cmpint(v, ==, expect_verified);
	esess_secret_free(u);
	esess_secret_free(n);
}

/* As commit, as the responder does: the chain stays pending (SECURITY 67). */
static void
commit_pending(EsessStore *st, const char *peer, guint8 used, guint8 fresh,
	       gboolean expect_verified)
{
	EsessSecret *u = used ? sec(used) : NULL, *n = sec(fresh);
	gboolean v = !expect_verified;

	g_assert_cmpint(esess_store_commit(st, ACC, peer, u, n, TRUE, &v), ==, ESESS_OK);
	g_assert_cmpint(v, ==, expect_verified);
	esess_secret_free(u);
	esess_secret_free(n);
}

/* The first byte of each secret held for peer, newest first, as a string. */
static char *
summary(EsessStore *st, const char *peer)
{
	GPtrArray *l = esess_store_list(st, ACC, peer);
	GString *s = g_string_new(NULL);
	guint i;

	for (i = 0; i < l->len; i++) {
		EsessRetained *r = g_ptr_array_index(l, i);

		g_assert_cmpuint(r->secret->len, ==, 32);
		g_string_append_printf(s, "%s%02x%s", i ? "," : "", r->secret->data[0],
				       r->verified ? "v" : "");
	}
	g_ptr_array_unref(l);
	return g_string_free(s, FALSE);
}

#define assert_summary(st, peer, want) G_STMT_START { \
	char *got_ = summary((st), (peer)); \
	g_assert_cmpstr(got_, ==, (want)); \
	g_free(got_); \
} G_STMT_END

static void
test_missing_file_is_empty(Fixture *fx, gconstpointer data)
{
	EsessStore *st = open_store(fx->path);
	GPtrArray *l = esess_store_list(st, ACC, PEER);

	(void)data;
	g_assert_nonnull(l);
	g_assert_cmpuint(l->len, ==, 0);
	g_ptr_array_unref(l);
	/* nothing is written before the first commit */
	g_assert_false(g_file_test(fx->path, G_FILE_TEST_EXISTS));
	esess_store_free(st);
}

static void
test_mode_0600(Fixture *fx, gconstpointer data)
{
	EsessStore *st = open_store(fx->path);
	struct stat sb;
	mode_t old = umask(0);

	(void)data;
	/* with umask 0 a 0644/0666 create would show: 0600 comes from open() */
	commit(st, PEER, 0, 0x11, FALSE);
	umask(old);
	g_assert_cmpint(stat(fx->path, &sb), ==, 0);
	g_assert_cmpuint(sb.st_mode & 07777, ==, 0600);
	g_assert_true(S_ISREG(sb.st_mode));
	esess_store_free(st);
}

static void
test_reload(Fixture *fx, gconstpointer data)
{
	EsessStore *st = open_store(fx->path);
	EsessSecret *s;

	(void)data;
	commit(st, PEER, 0, 0x11, FALSE);
	commit(st, PEER, 0, 0x22, FALSE);
	commit(st, "carol@example.net", 0, 0x33, FALSE);
	s = sec(0x11);
	g_assert_cmpint(esess_store_set_verified(st, ACC, PEER, s, TRUE), ==, ESESS_OK);
	esess_secret_free(s);
	esess_store_free(st);
	st = open_store(fx->path);
	assert_summary(st, PEER, "22,11v");
	assert_summary(st, "carol@example.net", "33");
	assert_summary(st, "nobody@example.net", "");
	{
		/* per account too */
		GPtrArray *l = esess_store_list(st, "other@example.org", PEER);

		g_assert_cmpuint(l->len, ==, 0);
		g_ptr_array_unref(l);
	}
	esess_store_free(st);
}

static void
test_replace_inherits_verified(Fixture *fx, gconstpointer data)
{
	EsessStore *st = open_store(fx->path);
	EsessSecret *s = sec(0x11);

	(void)data;
	commit(st, PEER, 0, 0x11, FALSE);
	g_assert_cmpint(esess_store_set_verified(st, ACC, PEER, s, TRUE), ==, ESESS_OK);
	commit(st, PEER, 0, 0x22, FALSE);               /* second client, new chain */
	commit(st, PEER, 0x11, 0x33, TRUE);             /* continues the verified chain */
	assert_summary(st, PEER, "33v,22");
	commit(st, PEER, 0x22, 0x44, FALSE);            /* continues the unverified one */
	assert_summary(st, PEER, "44,33v");
	esess_secret_free(s);
	esess_store_free(st);
	st = open_store(fx->path);
	assert_summary(st, PEER, "44,33v");
	esess_store_free(st);
}

/* SECURITY 33: no retained secret matched: the new one goes beside the others,
 * unverified, and nothing held is lost or marked verified */
static void
test_sec33_mismatch(Fixture *fx, gconstpointer data)
{
	EsessStore *st = open_store(fx->path);
	EsessSecret *s = sec(0x11);

	(void)data;
	commit(st, PEER, 0, 0x11, FALSE);
	g_assert_cmpint(esess_store_set_verified(st, ACC, PEER, s, TRUE), ==, ESESS_OK);
	commit(st, PEER, 0x99, 0x55, FALSE);  /* used_srs not held */
	assert_summary(st, PEER, "55,11v");
	esess_secret_free(s);
	esess_store_free(st);
}

static void
test_limit_per_peer(Fixture *fx, gconstpointer data)
{
	EsessStore *st = open_store(fx->path);
	EsessSecret *s;
	GPtrArray *l;
	guint i;
	char *got;

	(void)data;
	/* secrets 0x01..0x10, with 0x01 and 0x03 verified */
	for (i = 1; i <= ESESS_STORE_MAX_PER_PEER; i++)
		commit(st, PEER, 0, (guint8)i, FALSE);
	s = sec(0x01);
	g_assert_cmpint(esess_store_set_verified(st, ACC, PEER, s, TRUE), ==, ESESS_OK);
	esess_secret_free(s);
	s = sec(0x03);
	g_assert_cmpint(esess_store_set_verified(st, ACC, PEER, s, TRUE), ==, ESESS_OK);
	esess_secret_free(s);
	/* a 17th drops the oldest unverified (0x02), not the verified 0x01 */
	commit(st, PEER, 0, 0x20, FALSE);
	commit(st, PEER, 0, 0x21, FALSE);  /* then 0x04 */
	l = esess_store_list(st, ACC, PEER);
	g_assert_cmpuint(l->len, ==, ESESS_STORE_MAX_PER_PEER);
	g_ptr_array_unref(l);
	got = summary(st, PEER);
	g_assert_cmpstr(got, ==, "21,20,10,0f,0e,0d,0c,0b,0a,09,08,07,06,05,03v,01v");
	g_free(got);
	/* another peer is not affected by this peer's limit */
	commit(st, "carol@example.net", 0, 0x77, FALSE);
	assert_summary(st, "carol@example.net", "77");
	esess_store_free(st);
	st = open_store(fx->path);
	got = summary(st, PEER);
	g_assert_cmpstr(got, ==, "21,20,10,0f,0e,0d,0c,0b,0a,09,08,07,06,05,03v,01v");
	g_free(got);
	esess_store_free(st);
}

static void
test_limit_all_verified(Fixture *fx, gconstpointer data)
{
	EsessStore *st = open_store(fx->path);
	guint i;

	(void)data;
	for (i = 1; i <= ESESS_STORE_MAX_PER_PEER; i++) {
		EsessSecret *s = sec((guint8)i);

		commit(st, PEER, 0, (guint8)i, FALSE);
		g_assert_cmpint(esess_store_set_verified(st, ACC, PEER, s, TRUE), ==, ESESS_OK);
		esess_secret_free(s);
	}
	commit(st, PEER, 0, 0x30, FALSE);
	assert_summary(st, PEER,
		       "30,10v,0fv,0ev,0dv,0cv,0bv,0av,09v,08v,07v,06v,05v,04v,03v,02v");
	esess_store_free(st);
}

static void
test_remove_and_forget(Fixture *fx, gconstpointer data)
{
	EsessStore *st = open_store(fx->path);
	EsessSecret *s = sec(0x22), *missing = sec(0x99);

	(void)data;
	commit(st, PEER, 0, 0x11, FALSE);
	commit(st, PEER, 0, 0x22, FALSE);
	commit(st, "carol@example.net", 0, 0x33, FALSE);
	g_assert_true(esess_store_has_peer(st, ACC, PEER));
	g_assert_true(esess_store_has_peer(st, ACC, "Carol@Example.net/home"));
	g_assert_false(esess_store_has_peer(st, ACC, "dave@example.net"));
	g_assert_false(esess_store_has_peer(st, "other@example.com", PEER));
	g_assert_cmpint(esess_store_remove(st, ACC, PEER, s), ==, ESESS_OK);
	g_assert_cmpint(esess_store_remove(st, ACC, PEER, missing), ==, ESESS_OK);
	assert_summary(st, PEER, "11");
	g_assert_cmpint(esess_store_set_verified(st, ACC, PEER, missing, TRUE), ==,
			ESESS_ERR_INVALID_ARG);
	g_assert_cmpint(esess_store_forget_peer(st, ACC, PEER), ==, ESESS_OK);
	assert_summary(st, PEER, "");
	g_assert_false(esess_store_has_peer(st, ACC, PEER));
	esess_store_free(st);
	st = open_store(fx->path);
	assert_summary(st, PEER, "");
	assert_summary(st, "carol@example.net", "33");
	g_assert_true(esess_store_has_peer(st, ACC, "carol@example.net"));
	g_assert_false(esess_store_has_peer(st, ACC, PEER));
	esess_store_free(st);
	esess_secret_free(s);
	esess_secret_free(missing);
}

static char *
file_text(const char *path)
{
	char *t = NULL;

	g_assert_true(g_file_get_contents(path, &t, NULL, NULL));
	return t;
}

/* Storage errors never lose the old secret: the directory of the store is
 * replaced by a regular file, so the temp file cannot be created (works as
 * root too, where permission bits do not stop anything). */
static void
test_failed_write_keeps_old(Fixture *fx, gconstpointer data)
{
	char *sub = g_build_filename(fx->dir, "d", NULL);
	char *moved = g_build_filename(fx->dir, "d-moved", NULL);
	char *path = g_build_filename(sub, "secrets", NULL);
	char *moved_path = g_build_filename(moved, "secrets", NULL);
	char *before, *after;
	EsessStore *st;
	EsessSecret *s1 = sec(0x11), *s2 = sec(0x22);
	gboolean v = TRUE;

	(void)data;
	g_assert_cmpint(g_mkdir(sub, 0700), ==, 0);
	st = open_store(path);
	commit(st, PEER, 0, 0x11, FALSE);
	before = file_text(path);
	g_assert_cmpint(rename(sub, moved), ==, 0);
	g_assert_true(g_file_set_contents(sub, "not a directory", -1, NULL));

	g_assert_cmpint(esess_store_commit(st, ACC, PEER, s1, s2, FALSE, &v), ==, ESESS_ERR_STORE_IO);
	g_assert_false(v);
	assert_summary(st, PEER, "11");
	g_assert_cmpint(esess_store_set_verified(st, ACC, PEER, s1, TRUE), ==, ESESS_ERR_STORE_IO);
	assert_summary(st, PEER, "11");
	g_assert_cmpint(esess_store_remove(st, ACC, PEER, s1), ==, ESESS_ERR_STORE_IO);
	assert_summary(st, PEER, "11");
	g_assert_cmpint(esess_store_forget_peer(st, ACC, PEER), ==, ESESS_ERR_STORE_IO);
	assert_summary(st, PEER, "11");
	after = file_text(moved_path);
	g_assert_cmpstr(before, ==, after);
	esess_store_free(st);

	/* opening a store under a non-directory is an I/O error */
	g_assert_cmpint(esess_store_open(path, &st), ==, ESESS_ERR_STORE_IO);
	g_assert_null(st);

	/* put the directory back: the old secret is still there */
	g_assert_cmpint(g_remove(sub), ==, 0);
	g_assert_cmpint(rename(moved, sub), ==, 0);
	st = open_store(path);
	assert_summary(st, PEER, "11");
	esess_store_free(st);
	g_free(before);
	g_free(after);
	g_free(sub);
	g_free(moved);
	g_free(path);
	g_free(moved_path);
	esess_secret_free(s1);
	esess_secret_free(s2);
}

/* atomic replace: a new inode each time, no temp file left behind */
static void
test_atomic_replace(Fixture *fx, gconstpointer data)
{
	EsessStore *st = open_store(fx->path);
	struct stat a, b;
	GDir *d;
	const char *name;
	guint n = 0;

	(void)data;
	commit(st, PEER, 0, 0x11, FALSE);
	g_assert_cmpint(stat(fx->path, &a), ==, 0);
	commit(st, PEER, 0x11, 0x22, FALSE);
	g_assert_cmpint(stat(fx->path, &b), ==, 0);
	g_assert_cmpuint(a.st_ino, !=, b.st_ino);
	g_assert_cmpuint(b.st_mode & 07777, ==, 0600);
	d = g_dir_open(fx->dir, 0, NULL);
	while ((name = g_dir_read_name(d)) != NULL) {
		g_assert_cmpstr(name, ==, "secrets");
		n++;
	}
	g_dir_close(d);
	g_assert_cmpuint(n, ==, 1);
	esess_store_free(st);
}

static void
test_file_format(Fixture *fx, gconstpointer data)
{
	EsessStore *st = open_store(fx->path);
	char *t, **lines;

	(void)data;
	commit(st, PEER, 0, 0x11, FALSE);
	esess_store_free(st);
	t = file_text(fx->path);
	lines = g_strsplit(t, "\n", -1);
	g_assert_cmpstr(lines[0], ==, "ESESS-STORE 1");
	/* R base64("alice@example.org") base64("bob@example.com") base64(32 x 0x11) 0 <time> */
	g_assert_true(g_str_has_prefix(lines[1],
		"R YWxpY2VAZXhhbXBsZS5vcmc= Ym9iQGV4YW1wbGUuY29t "
		"ERERERERERERERERERERERERERERERERERERERERERE= 0 "));
	g_assert_cmpstr(lines[2], ==, "");
	g_assert_null(lines[3]);
	g_strfreev(lines);
	g_free(t);
}

static void
expect_corrupt(const char *path, const char *content)
{
	EsessStore *st = NULL;

	g_assert_true(g_file_set_contents(path, content, -1, NULL));
	g_assert_cmpstr(esess_status_symbol(esess_store_open(path, &st)), ==,
			"ESESS_ERR_STORE_FORMAT");
	g_assert_null(st);
}

#define GOOD_LINE "R YWxpY2VAZXhhbXBsZS5vcmc= Ym9iQGV4YW1wbGUuY29t " \
	"ERERERERERERERERERERERERERERERERERERERERERE= 1 1700000000000000\n"

#define PENDING_HEAD "P YWxpY2VAZXhhbXBsZS5vcmc= Ym9iQGV4YW1wbGUuY29t " \
	"ERERERERERERERERERERERERERERERERERERERERERE="
#define GOOD_FENDING PENDING_HEAD " 1 1700000000000000 " \
	"IiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiI= 0\n"

static void
test_corrupt(Fixture *fx, gconstpointer data)
{
	EsessStore *st;
	GString *many;
	guint i;

	(void)data;
	/* the good line loads */
	g_assert_true(g_file_set_contents(fx->path, "ESESS-STORE 1\n" GOOD_LINE, -1, NULL));
	st = open_store(fx->path);
	assert_summary(st, PEER, "11v");
	esess_store_free(st);

	expect_corrupt(fx->path, "");
	expect_corrupt(fx->path, "ESESS-STORE 2\n");
	expect_corrupt(fx->path, "ESESS-STORE 1");
	expect_corrupt(fx->path, "ESESS-STORE 1\n" GOOD_LINE "R");
	expect_corrupt(fx->path, "ESESS-STORE 1\n"
		"R YWxpY2VAZXhhbXBsZS5vcmc= Ym9iQGV4YW1wbGUuY29t "
		"ERERERERERERERERERERERERERERERERERERERERERE= 1 1700000000000000");  /* no LF */
	expect_corrupt(fx->path, "ESESS-STORE 1\n"
		"X YWxpY2VAZXhhbXBsZS5vcmc= Ym9iQGV4YW1wbGUuY29t "
		"ERERERERERERERERERERERERERERERERERERERERERE= 1 1700000000000000\n");
	expect_corrupt(fx->path, "ESESS-STORE 1\n"
		"R YWxpY2VAZXhhbXBsZS5vcmc Ym9iQGV4YW1wbGUuY29t "      /* bad padding */
		"ERERERERERERERERERERERERERERERERERERERERERE= 1 1700000000000000\n");
	expect_corrupt(fx->path, "ESESS-STORE 1\n"
		"R YWxpY2VAZXhhbXBsZS5vcmc= Ym9iQGV4YW1wbGUuY29t "
		"ERERERERERERERERERERERERERERERERERERERERERE= 2 1700000000000000\n");
	expect_corrupt(fx->path, "ESESS-STORE 1\n"
		"R YWxpY2VAZXhhbXBsZS5vcmc= Ym9iQGV4YW1wbGUuY29t "
		"ERERERERERERERERERERERERERERERERERERERERERE= 1 -5\n");
	expect_corrupt(fx->path, "ESESS-STORE 1\n"
		"R YWxpY2VAZXhhbXBsZS5vcmc= Ym9iQGV4YW1wbGUuY29t "
		"ERERERERERERERERERERERERERERERERERERERERERE=  1 1700000000000000\n"); /* two spaces */
	expect_corrupt(fx->path, "ESESS-STORE 1\n"
		"R YWxpY2VAZXhhbXBsZS5vcmc= Ym9iQGV4YW1wbGUuY29t "
		"ERERERERERERERERERERERERERERERERERERERERERE= 1 1700000000000000 extra\n");
	expect_corrupt(fx->path, "ESESS-STORE 1\n"
		"R YWxpY2VAZXhhbXBsZS5vcmc= Ym9iQGV4YW1wbGUuY29t = 1 1\n");       /* empty secret */
	expect_corrupt(fx->path, "ESESS-STORE 1\n"
		"R  Ym9iQGV4YW1wbGUuY29t ERERERERERERERERERERERERERERERERERERERERERE= 1 1\n");
	expect_corrupt(fx->path, "ESESS-STORE 1\n\n");
	/* pending records (SECURITY 67): a good one loads, then the bad ones */
	g_assert_true(g_file_set_contents(fx->path, "ESESS-STORE 1\n" GOOD_FENDING, -1, NULL));
	st = open_store(fx->path);
	assert_summary(st, PEER, "11v,22");
	esess_store_free(st);
	expect_corrupt(fx->path, "ESESS-STORE 1\n" PENDING_HEAD " 1 1\n");   /* 6 tokens */
	expect_corrupt(fx->path, "ESESS-STORE 1\n" PENDING_HEAD " 1 1 - 0\n");   /* no secret */
	expect_corrupt(fx->path, "ESESS-STORE 1\n" PENDING_HEAD " 1 1 IiIi$ 0\n");
	expect_corrupt(fx->path, "ESESS-STORE 1\n" PENDING_HEAD " 1 1 IiIi 2\n");
	expect_corrupt(fx->path, "ESESS-STORE 1\n" PENDING_HEAD " 1 1 IiIi 0 x\n");
	expect_corrupt(fx->path, "ESESS-STORE 1\n" GOOD_LINE "\n");
	/* a NUL byte inside */
	g_assert_true(g_file_set_contents(fx->path, "ESESS-STORE 1\nR \0 x", 19, NULL));
	g_assert_cmpint(esess_store_open(fx->path, &st), ==, ESESS_ERR_STORE_FORMAT);
	/* more than the per-peer limit: not a file we wrote */
	many = g_string_new("ESESS-STORE 1\n");
	for (i = 0; i <= ESESS_STORE_MAX_PER_PEER; i++)
		g_string_append(many, GOOD_LINE);
	expect_corrupt(fx->path, many->str);
	g_string_free(many, TRUE);
}

/* SECURITY 67: the responder keeps the secret it used until the peer shows
 * which one it holds; whichever the peer shows, the other goes. */
static void
test_pending_keeps_used(Fixture *fx, gconstpointer data)
{
	EsessStore *st = open_store(fx->path);
	EsessSecret *s11 = sec(0x11);

	(void)data;
	commit(st, PEER, 0, 0x11, FALSE);
	g_assert_cmpint(esess_store_set_verified(st, ACC, PEER, s11, TRUE), ==, ESESS_OK);
	/* answering message 3 with 0x11: 0x22 is pending, 0x11 kept, both
	 * carrying 0x11's flag */
	commit_pending(st, PEER, 0x11, 0x22, TRUE);
	assert_summary(st, PEER, "22v,11v");
	/* and it survives a reload */
	esess_store_free(st);
	st = open_store(fx->path);
	assert_summary(st, PEER, "22v,11v");
	/* the peer showed 0x11 (message 4 was lost): 0x22 goes */
	commit_pending(st, PEER, 0x11, 0x33, TRUE);
	assert_summary(st, PEER, "33v,11v");
	/* the peer showed 0x33 (it has message 4): 0x11 goes */
	commit_pending(st, PEER, 0x33, 0x44, TRUE);
	assert_summary(st, PEER, "44v,33v");
	/* as initiator, message 4 in hand: nothing pending any more */
	commit(st, PEER, 0x44, 0x55, TRUE);
	assert_summary(st, PEER, "55v");
	esess_store_free(st);
	st = open_store(fx->path);
	assert_summary(st, PEER, "55v");
	esess_store_free(st);
	esess_secret_free(s11);
}

/* Forgetting the new secret of a pending chain (SAS mismatch) puts the
 * chain back where it was; forgetting the old one leaves the new one. */
static void
test_pending_remove(Fixture *fx, gconstpointer data)
{
	EsessStore *st = open_store(fx->path);
	EsessSecret *s22 = sec(0x22), *s11 = sec(0x11);

	(void)data;
	commit_pending(st, PEER, 0, 0x11, FALSE);
	assert_summary(st, PEER, "11");
	commit_pending(st, PEER, 0x11, 0x22, FALSE);
	assert_summary(st, PEER, "22,11");
	/* the verified flag is per secret */
	g_assert_cmpint(esess_store_set_verified(st, ACC, PEER, s22, TRUE), ==, ESESS_OK);
	assert_summary(st, PEER, "22v,11");
	g_assert_cmpint(esess_store_remove(st, ACC, PEER, s22), ==, ESESS_OK);
	assert_summary(st, PEER, "11");
	esess_store_free(st);
	st = open_store(fx->path);
	assert_summary(st, PEER, "11");
	commit_pending(st, PEER, 0x11, 0x22, FALSE);
	g_assert_cmpint(esess_store_remove(st, ACC, PEER, s11), ==, ESESS_OK);
	assert_summary(st, PEER, "22");
	esess_store_free(st);
	st = open_store(fx->path);
	assert_summary(st, PEER, "22");
	esess_store_free(st);
	esess_secret_free(s11);
	esess_secret_free(s22);
}

/* INTEROP R9 counts secrets: a pending chain holds two of the 16. */
static void
test_pending_limit(Fixture *fx, gconstpointer data)
{
	EsessStore *st = open_store(fx->path);
	GPtrArray *l;
	char *summ;
	guint i;

	(void)data;
	/* 8 pending chains of two secrets each: the limit */
	for (i = 0; i < ESESS_STORE_MAX_PER_PEER / 2; i++) {
		commit(st, PEER, 0, (guint8)(0x40 + i), FALSE);
		commit_pending(st, PEER, (guint8)(0x40 + i), (guint8)(0x80 + i), FALSE);
	}
	l = esess_store_list(st, ACC, PEER);
	g_assert_cmpuint(l->len, ==, ESESS_STORE_MAX_PER_PEER);
	g_ptr_array_unref(l);
	/* one more: the oldest chain goes, both of its secrets */
	commit_pending(st, PEER, 0, 0x90, FALSE);
	summ = summary(st, PEER);
	g_assert_true(g_str_has_prefix(summ, "90,87,47,"));
	g_assert_null(strstr(summ, "80"));
	g_assert_null(strstr(summ, "40"));
	g_assert_nonnull(strstr(summ, "81,41"));
	g_free(summ);
	esess_store_free(st);
	st = open_store(fx->path);
	esess_store_free(st);
}

/* Issue 9 item 10: the store key is the normalised bare JID, for what we
 * store and for what an older file holds. */
static void
test_jid_case(Fixture *fx, gconstpointer data)
{
	EsessStore *st = open_store(fx->path);
	EsessSecret *s = sec(0x11);
	GPtrArray *l;
	gboolean v;

	(void)data;
	g_assert_cmpint(esess_store_commit(st, "Alice@Example.ORG", "BOB@example.COM/Laptop", NULL,
					   s, FALSE, &v), ==, ESESS_OK);
	assert_summary(st, PEER, "11");
	l = esess_store_list(st, "alice@example.org/pda", "Bob@Example.com");
	g_assert_cmpuint(l->len, ==, 1);
	g_ptr_array_unref(l);
	g_assert_cmpint(esess_store_set_verified(st, ACC, "bob@EXAMPLE.com", s, TRUE), ==, ESESS_OK);
	assert_summary(st, PEER, "11v");
	esess_store_free(st);
	/* a file with the peer in other case (base64 of "Bob@Example.com") */
	g_assert_true(g_file_set_contents(fx->path, "ESESS-STORE 1\n"
		"R YWxpY2VAZXhhbXBsZS5vcmc= Qm9iQEV4YW1wbGUuY29t "
		"ERERERERERERERERERERERERERERERERERERERERERE= 1 1700000000000000\n", -1, NULL));
	st = open_store(fx->path);
	assert_summary(st, PEER, "11v");
	g_assert_cmpint(esess_store_forget_peer(st, ACC, "BOB@EXAMPLE.COM"), ==, ESESS_OK);
	assert_summary(st, PEER, "");
	esess_store_free(st);
	esess_secret_free(s);
}

/* INTEROP R23: the per-peer "committed SAS" flag survives a reload, is
 * written as a version 2 file only when a flag exists, is per (account,
 * peer), and the user's reset (forget_peer) clears it with the secrets. */
static void
test_peer_flags(Fixture *fx, gconstpointer data)
{
	EsessStore *st;
	char *t, **lines;

	(void)data;
	st = open_store(fx->path);
	commit(st, PEER, 0, 0x11, FALSE);
	g_assert_cmpuint(esess_store_peer_flags(st, ACC, PEER), ==, 0);
	g_assert_cmpint(esess_store_add_peer_flags(st, ACC, PEER, 0), ==, ESESS_ERR_INVALID_ARG);
	g_assert_cmpint(esess_store_add_peer_flags(st, ACC, PEER, 2), ==, ESESS_ERR_INVALID_ARG);
	g_assert_cmpint(esess_store_add_peer_flags(st, ACC, PEER, ESESS_PEER_COMMITTED_SAS), ==,
			ESESS_OK);
	g_assert_cmpuint(esess_store_peer_flags(st, ACC, PEER), ==, ESESS_PEER_COMMITTED_SAS);
	g_assert_cmpuint(esess_store_peer_flags(st, ACC, "carol@example.net"), ==, 0);
	g_assert_cmpuint(esess_store_peer_flags(st, "other@example.org", PEER), ==, 0);
	/* the key is the normalised bare JID (issue 9 item 10) */
	g_assert_cmpuint(esess_store_peer_flags(st, "Alice@Example.ORG/pda", "BOB@example.com"), ==,
			 ESESS_PEER_COMMITTED_SAS);
	/* a later commit keeps the flag */
	commit(st, PEER, 0x11, 0x22, FALSE);
	esess_store_free(st);

	t = file_text(fx->path);
	lines = g_strsplit(t, "\n", -1);
	g_assert_cmpstr(lines[0], ==, "ESESS-STORE 2");
	g_assert_true(g_str_has_prefix(lines[1], "R "));
	g_assert_cmpstr(lines[2], ==, "F YWxpY2VAZXhhbXBsZS5vcmc= Ym9iQGV4YW1wbGUuY29t 1");
	g_assert_cmpstr(lines[3], ==, "");
	g_strfreev(lines);
	g_free(t);

	st = open_store(fx->path);
	assert_summary(st, PEER, "22");
	g_assert_cmpuint(esess_store_peer_flags(st, ACC, PEER), ==, ESESS_PEER_COMMITTED_SAS);
	/* the user's reset forgets the flag too; the file is version 1 again */
	g_assert_cmpint(esess_store_forget_peer(st, ACC, PEER), ==, ESESS_OK);
	g_assert_cmpuint(esess_store_peer_flags(st, ACC, PEER), ==, 0);
	esess_store_free(st);
	t = file_text(fx->path);
	g_assert_cmpstr(t, ==, "ESESS-STORE 1\n");
	g_free(t);
	st = open_store(fx->path);
	g_assert_cmpuint(esess_store_peer_flags(st, ACC, PEER), ==, 0);
	/* a flag alone, without secrets, is kept and reset as well */
	g_assert_cmpint(esess_store_add_peer_flags(st, ACC, PEER, ESESS_PEER_COMMITTED_SAS), ==,
			ESESS_OK);
	esess_store_free(st);
	st = open_store(fx->path);
	g_assert_cmpuint(esess_store_peer_flags(st, ACC, PEER), ==, ESESS_PEER_COMMITTED_SAS);
	g_assert_cmpint(esess_store_forget_peer(st, ACC, PEER), ==, ESESS_OK);
	g_assert_cmpuint(esess_store_peer_flags(st, ACC, PEER), ==, 0);
	esess_store_free(st);
}

#define GOOD_F "F YWxpY2VAZXhhbXBsZS5vcmc= Ym9iQGV4YW1wbGUuY29t 1\n"

static void
test_peer_flags_corrupt(Fixture *fx, gconstpointer data)
{
	EsessStore *st;

	(void)data;
	g_assert_true(g_file_set_contents(fx->path, "ESESS-STORE 2\n" GOOD_LINE GOOD_F, -1, NULL));
	st = open_store(fx->path);
	assert_summary(st, PEER, "11v");
	g_assert_cmpuint(esess_store_peer_flags(st, ACC, PEER), ==, ESESS_PEER_COMMITTED_SAS);
	esess_store_free(st);
	expect_corrupt(fx->path, "ESESS-STORE 1\n" GOOD_LINE GOOD_F);     /* F in version 1 */
	expect_corrupt(fx->path, "ESESS-STORE 2\n" GOOD_LINE);            /* 2 without F */
	expect_corrupt(fx->path, "ESESS-STORE 2\n" GOOD_F GOOD_LINE);     /* R after F */
	expect_corrupt(fx->path, "ESESS-STORE 2\n" GOOD_F GOOD_F);        /* twice */
	expect_corrupt(fx->path, "ESESS-STORE 2\n"
		"F YWxpY2VAZXhhbXBsZS5vcmc= Ym9iQGV4YW1wbGUuY29t 0\n");    /* no flag */
	expect_corrupt(fx->path, "ESESS-STORE 2\n"
		"F YWxpY2VAZXhhbXBsZS5vcmc= Ym9iQGV4YW1wbGUuY29t 2\n");    /* unknown bit */
	expect_corrupt(fx->path, "ESESS-STORE 2\n"
		"F YWxpY2VAZXhhbXBsZS5vcmc= Ym9iQGV4YW1wbGUuY29t 01\n");
	expect_corrupt(fx->path, "ESESS-STORE 2\n"
		"F YWxpY2VAZXhhbXBsZS5vcmc= Ym9iQGV4YW1wbGUuY29t\n");
	expect_corrupt(fx->path, "ESESS-STORE 2\n"
		"F YWxpY2VAZXhhbXBsZS5vcmc=  Ym9iQGV4YW1wbGUuY29t 1\n");
	expect_corrupt(fx->path, "ESESS-STORE 2\n"
		"F YWxpY2VAZXhhbXBsZS5vcmc= Ym9iQGV4YW1wbGUuY29t 1 x\n");
}

/* A 2048-bit public key whose modulus is 0xff.. with last byte b (odd):
 * not a real key, but the store only keeps and compares keys. */
static EsessPubKey *
fake_key(guint8 b)
{
	guint8 n[256];
	static const guint8 e[] = { 1, 0, 1 };
	EsessPubKey *pk = NULL;

	memset(n, 0xff, sizeof n);
	n[255] = b;
	g_assert_cmpint(esess_pubkey_new(n, sizeof n, e, sizeof e, &pk), ==, ESESS_OK);
	return pk;
}

/* INTEROP R21: a contact's key, its first-seen time and its verification
 * survive a reload; the same key keeps its first-seen time, another one
 * does not; a verification is for one key only; the user's reset forgets
 * the key; the file is version 3 only while a key is held. */
static void
test_keys(Fixture *fx, gconstpointer data)
{
	EsessStore *st;
	EsessPubKey *k1 = fake_key(0x01), *k2 = fake_key(0x03);
	EsessKnownKey *kk;
	gint64 seen;
	char *t, **peers;

	(void)data;
	st = open_store(fx->path);
	g_assert_null(esess_store_key_get(st, ACC, PEER));
	commit(st, PEER, 0, 0x11, FALSE);
	g_assert_cmpint(esess_store_key_set(st, ACC, PEER, NULL, FALSE), ==, ESESS_ERR_INVALID_ARG);
	g_assert_cmpint(esess_store_key_set(st, ACC, PEER, k1, FALSE), ==, ESESS_OK);
	kk = esess_store_key_get(st, "Alice@Example.org/pda", "BOB@example.com");
	g_assert_nonnull(kk);
	g_assert_true(esess_pubkey_equal(kk->key, k1));
	g_assert_false(kk->verified);
	seen = kk->first_seen;
	g_assert_cmpint(seen, >, 0);
	esess_known_key_free(kk);
	/* verifying another key than the one held does nothing */
	g_assert_cmpint(esess_store_key_set_verified(st, ACC, PEER, k2, TRUE), ==,
			ESESS_ERR_INVALID_ARG);
	g_assert_cmpint(esess_store_key_set_verified(st, ACC, "carol@example.net", k1, TRUE), ==,
			ESESS_ERR_INVALID_ARG);
	g_assert_cmpint(esess_store_key_set_verified(st, ACC, PEER, k1, TRUE), ==, ESESS_OK);
	esess_store_free(st);

	t = file_text(fx->path);
	g_assert_true(g_str_has_prefix(t, "ESESS-STORE 3\nR "));
	g_assert_nonnull(strstr(t, "\nK YWxpY2VAZXhhbXBsZS5vcmc= Ym9iQGV4YW1wbGUuY29t "));
	g_free(t);

	st = open_store(fx->path);
	assert_summary(st, PEER, "11");
	kk = esess_store_key_get(st, ACC, PEER);
	g_assert_true(esess_pubkey_equal(kk->key, k1));
	g_assert_true(kk->verified);
	g_assert_cmpint(kk->first_seen, ==, seen);
	esess_known_key_free(kk);
	/* the same key again keeps its first-seen time */
	g_assert_cmpint(esess_store_key_set(st, ACC, PEER, k1, TRUE), ==, ESESS_OK);
	kk = esess_store_key_get(st, ACC, PEER);
	g_assert_cmpint(kk->first_seen, ==, seen);
	esess_known_key_free(kk);
	/* key associations: the same key for two JIDs is listed */
	g_assert_cmpint(esess_store_key_set(st, ACC, "carol@example.net", k1, FALSE), ==, ESESS_OK);
	g_assert_cmpint(esess_store_key_set(st, "other@example.org", "dave@example.net", k1, FALSE),
			==, ESESS_OK);
	peers = esess_store_key_peers(st, ACC, k1);
	g_assert_cmpuint(g_strv_length(peers), ==, 2);
	g_assert_cmpstr(peers[0], ==, PEER);
	g_assert_cmpstr(peers[1], ==, "carol@example.net");
	g_strfreev(peers);
	peers = esess_store_key_peers(st, ACC, k2);
	g_assert_cmpuint(g_strv_length(peers), ==, 0);
	g_strfreev(peers);
	/* the user accepted another key: new, with its own first-seen time */
	g_usleep(2000);
	g_assert_cmpint(esess_store_key_set(st, ACC, PEER, k2, FALSE), ==, ESESS_OK);
	kk = esess_store_key_get(st, ACC, PEER);
	g_assert_true(esess_pubkey_equal(kk->key, k2));
	g_assert_false(kk->verified);
	g_assert_cmpint(kk->first_seen, >, seen);
	esess_known_key_free(kk);
	/* the reset forgets the key with the secrets; forgetting keys only */
	g_assert_cmpint(esess_store_forget_peer(st, ACC, PEER), ==, ESESS_OK);
	g_assert_null(esess_store_key_get(st, ACC, PEER));
	g_assert_cmpint(esess_store_key_forget(st, ACC, "carol@example.net"), ==, ESESS_OK);
	g_assert_cmpint(esess_store_key_forget(st, "other@example.org", "dave@example.net"), ==,
			ESESS_OK);
	g_assert_cmpint(esess_store_key_forget(st, ACC, PEER), ==, ESESS_OK);
	esess_store_free(st);
	/* no key held any more: back to version 1 */
	t = file_text(fx->path);
	g_assert_cmpstr(t, ==, "ESESS-STORE 1\n");
	g_free(t);
	esess_pubkey_free(k1);
	esess_pubkey_free(k2);
}

/* A K line of a real-looking key built from fake_key(0x01). */
static char *
k_line(const char *verified, const char *seen, guint8 last, gboolean zero)
{
	guint8 n[257];
	g_autofree char *b64 = NULL;

	memset(n, 0xff, sizeof n);
	n[0] = 0;
	n[256] = last;
	b64 = esess_base64_encode(zero ? n : n + 1, zero ? 257 : 256);
	return g_strdup_printf("K YWxpY2VAZXhhbXBsZS5vcmc= Ym9iQGV4YW1wbGUuY29t %s AQAB %s %s\n",
			       b64, verified, seen);
}

static void
test_keys_corrupt(Fixture *fx, gconstpointer data)
{
	EsessStore *st;
	EsessKnownKey *kk;
	char *good = k_line("1", "1700000000000000", 0x01, FALSE);
	char *t;

	(void)data;
	t = g_strconcat("ESESS-STORE 3\n", GOOD_LINE, GOOD_F, good, NULL);
	g_assert_true(g_file_set_contents(fx->path, t, -1, NULL));
	g_free(t);
	st = open_store(fx->path);
	assert_summary(st, PEER, "11v");
	g_assert_cmpuint(esess_store_peer_flags(st, ACC, PEER), ==, ESESS_PEER_COMMITTED_SAS);
	kk = esess_store_key_get(st, ACC, PEER);
	g_assert_nonnull(kk);
	g_assert_true(kk->verified);
	g_assert_cmpint(kk->first_seen, ==, 1700000000000000);
	esess_known_key_free(kk);
	esess_store_free(st);
	/* K before F and without F is fine too */
	t = g_strconcat("ESESS-STORE 3\n", GOOD_LINE, good, NULL);
	g_assert_true(g_file_set_contents(fx->path, t, -1, NULL));
	g_free(t);
	st = open_store(fx->path);
	esess_store_free(st);
#define CORRUPT(...) G_STMT_START { \
	t = g_strconcat(__VA_ARGS__, NULL); \
	expect_corrupt(fx->path, t); \
	g_free(t); \
} G_STMT_END
	CORRUPT("ESESS-STORE 2\n", GOOD_LINE, GOOD_F, good);   /* K in version 2 */
	CORRUPT("ESESS-STORE 1\n", GOOD_LINE, good);           /* K in version 1 */
	CORRUPT("ESESS-STORE 3\n", GOOD_LINE, GOOD_F);         /* 3 without K */
	CORRUPT("ESESS-STORE 3\n", good, GOOD_LINE);           /* R after K */
	CORRUPT("ESESS-STORE 3\n", good, good);                /* twice */
	{
		char *even = k_line("1", "1", 0x02, FALSE);
		char *lead = k_line("1", "1", 0x01, TRUE);
		char *flag = k_line("2", "1", 0x01, FALSE);
		char *when = k_line("1", "-1", 0x01, FALSE);

		CORRUPT("ESESS-STORE 3\n", even);   /* not a key we would accept */
		CORRUPT("ESESS-STORE 3\n", lead);   /* a leading zero octet */
		CORRUPT("ESESS-STORE 3\n", flag);
		CORRUPT("ESESS-STORE 3\n", when);
		g_free(even);
		g_free(lead);
		g_free(flag);
		g_free(when);
	}
	CORRUPT("ESESS-STORE 3\n", "K YWxpY2VAZXhhbXBsZS5vcmc= Ym9iQGV4YW1wbGUuY29t AQAB 1 1\n");
#undef CORRUPT
	g_free(good);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
#define ADD(name, fn) g_test_add(name, Fixture, NULL, fx_setup, fn, fx_teardown)
	ADD("/store/missing-file-is-empty", test_missing_file_is_empty);
	ADD("/store/mode-0600-from-creation", test_mode_0600);
	ADD("/store/reload", test_reload);
	ADD("/store/file-format", test_file_format);
	ADD("/store/atomic-replace", test_atomic_replace);
	ADD("/store/replace-inherits-verified", test_replace_inherits_verified);
	ADD("/store/limit-16-drops-oldest-unverified", test_limit_per_peer);
	ADD("/store/limit-16-all-verified", test_limit_all_verified);
	ADD("/store/remove-and-forget", test_remove_and_forget);
	ADD("/store/failed-write-keeps-old-secret", test_failed_write_keeps_old);
	ADD("/store/security-67-pending-keeps-used", test_pending_keeps_used);
	ADD("/store/security-67-pending-remove", test_pending_remove);
	ADD("/store/security-67-pending-limit", test_pending_limit);
	ADD("/store/jid-case-normalised", test_jid_case);
	ADD("/store/corrupt-file", test_corrupt);
	ADD("/store/r23-peer-flags", test_peer_flags);
	ADD("/store/r23-peer-flags-corrupt", test_peer_flags_corrupt);
	ADD("/store/r21-known-keys", test_keys);
	ADD("/store/r21-known-keys-corrupt", test_keys_corrupt);
	ADD("/forms/security/33-retained-secret-mismatch", test_sec33_mismatch);
	return g_test_run();
}
