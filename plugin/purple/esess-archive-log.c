/*
 * esess-archive-log.c - the encrypted log of session messages (issue 13
 * items 1 and 2; the format is doc/archive.md, the engine esess-archive.h).
 *
 * Two ways in:
 *   - the messages of a session whose agreed logging mode is `may`, when the
 *     account has an identity key: written here from "wrote-im-msg" while
 *     Pidgin's own log of the conversation is off (esess-ui.c), so nothing
 *     in plaintext lands under the purple user directory.  A `mustnot`
 *     session writes nothing, ever (INTEROP R17);
 *   - the libpurple log format "ESessions encrypted" (the logger), which
 *     the user may also pick for every conversation in the preferences.
 * Pidgin's and Finch's log viewers list, read, size and search these logs
 * through the logger; reading needs the private key, unlocked as the
 * identity code does (a prompt only when the user opens a log, never while
 * chatting).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "esess-i18n.h"
#include "esess-purple.h"

#define ARCHIVE_EXT ".esa"

/* One collection file: being written (w), or listed to be read. */
typedef struct {
	char *path;
	EsessArchiveWriter *w;
	int day;                  /* local YYYYMMDD of its start */
	PurpleAccount *account;   /* being written: whose, with whom */
	char *who;
} ArchColl;

static PurpleLogLogger *logger;
/* "account\nbare" -> ArchColl *: the collections of the session path */
static GHashTable *open_colls;

static void
coll_free(ArchColl *c)
{
	if (c == NULL)
		return;
	esess_archive_writer_free(c->w);
	g_free(c->path);
	g_free(c->who);
	g_free(c);
}

/* A collection being written is closed (its conversation closed, the day
 * changed, the account signs off, the plugin unloads): nothing is added to
 * it any more, so its server copy can be made (esess-archive-server.c). */
static void
coll_close(ArchColl *c)
{
	if (c == NULL)
		return;
	if (c->w != NULL && c->account != NULL)
		esess_archive_server_closed(c->account, c->who, c->path);
	coll_free(c);
}

static int
local_day(time_t t)
{
	struct tm tm;

	if (localtime_r(&t, &tm) == NULL)
		return 0;
	return (tm.tm_year + 1900) * 10000 + (tm.tm_mon + 1) * 100 + tm.tm_mday;
}

/* What a collection's path names, as a version-2 header binds it: the
 * account's and the contact's bare JIDs, normalised as the folders are. */
void
esess_archive_log_binding(PurpleAccount *account, const char *contact, char **own, char **with)
{
	/* purple_normalize answers in one static buffer: copies */
	*own = g_strdup(purple_normalize(account, purple_account_get_username(account)));
	*with = g_strdup(purple_normalize(account, contact));
}

/* <user dir>/esessions/archive/<account>/<contact> (name NULL: the
 * account's folder) */
char *
esess_archive_log_dir(PurpleAccount *account, const char *name)
{
	char *acct = g_strdup(purple_escape_filename(
		purple_normalize(account, purple_account_get_username(account))));
	char *who = name != NULL ? g_strdup(purple_escape_filename(purple_normalize(account, name)))
		    : NULL;
	char *dir = g_build_filename(purple_user_dir(), "esessions", "archive", acct, who, NULL);

	g_free(acct);
	g_free(who);
	return dir;
}

static gboolean
write_all(int fd, const guint8 *b, size_t len, off_t at)
{
	while (len > 0) {
		ssize_t n = pwrite(fd, b, len, at);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return FALSE;
		b += n;
		len -= (size_t)n;
		at += n;
	}
	return TRUE;
}

/* A new collection file for the conversation, its key wrapped to the
 * account's identity public key: needs no private key, asks nothing. */
static ArchColl *
coll_start(PurpleAccount *account, const char *name, time_t start)
{
	const EsessPubKey *pk = esess_identity_public(account);
	const EsessPubKey *keys[1];
	GByteArray *b;
	EsessArchiveWriter *w = NULL;
	ArchColl *c;
	char *dir, *path = NULL, stamp[32], *own, *with;
	struct tm tm;
	int fd = -1, i;
	gboolean ok;
	EsessStatus st;

	if (pk == NULL || localtime_r(&start, &tm) == NULL)
		return NULL;
	keys[0] = pk;
	strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%S", &tm);
	b = g_byte_array_new();
	/* bound to the account, the contact and the start its path names, so
	 * that a file moved elsewhere is refused (doc/archive.md) */
	esess_archive_log_binding(account, name, &own, &with);
	st = esess_archive_writer_new_bound(keys, 1, own, with, stamp, &w, b);
	g_free(own);
	g_free(with);
	if (st != ESESS_OK) {
		g_byte_array_unref(b);
		return NULL;
	}
	dir = esess_archive_log_dir(account, name);
	if (g_mkdir_with_parents(dir, 0700) != 0) {
		purple_debug_error(ESESS_DEBUG, "archive: cannot make its folder: %s\n",
				   g_strerror(errno));
		g_free(dir);
		g_byte_array_unref(b);
		esess_archive_writer_free(w);
		return NULL;
	}
	/* one collection per conversation, day and run: never reuse a file */
	for (i = 0; i < 100 && fd < 0; i++) {
		g_free(path);
		path = i == 0 ? g_strdup_printf("%s/%s%s", dir, stamp, ARCHIVE_EXT)
		       : g_strdup_printf("%s/%s-%d%s", dir, stamp, i, ARCHIVE_EXT);
		fd = g_open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (fd < 0 && errno != EEXIST)
			break;
	}
	g_free(dir);
	ok = fd >= 0 && write_all(fd, b->data, b->len, 0);
	if (fd >= 0 && close(fd) != 0)
		ok = FALSE;
	g_byte_array_unref(b);
	if (!ok) {
		purple_debug_error(ESESS_DEBUG, "archive: cannot write a new log: %s\n",
				   g_strerror(errno));
		if (fd >= 0)
			g_unlink(path);
		g_free(path);
		esess_archive_writer_free(w);
		return NULL;
	}
	c = g_new0(ArchColl, 1);
	c->path = path;
	c->w = w;
	c->day = local_day(start);
	c->account = account;
	c->who = g_strdup(name);
	return c;
}

/* The record and the new trailer over the old trailer, in one write. */
static gboolean
coll_append(ArchColl *c, EsessArchiveDir dir, time_t t, const char *sender, const char *text)
{
	GByteArray *b = g_byte_array_new();
	guint64 at = esess_archive_writer_size(c->w) - ESESS_ARCHIVE_TRAILER_LEN;
	EsessStatus st;
	gboolean ok = FALSE;
	int fd;

	st = esess_archive_writer_append(c->w, dir, (gint64)t, sender != NULL ? sender : "",
					 text, b);
	if (st == ESESS_OK) {
		fd = g_open(c->path, O_WRONLY | O_CLOEXEC, 0);
		ok = fd >= 0 && write_all(fd, b->data, b->len, (off_t)at);
		if (fd >= 0 && close(fd) != 0)
			ok = FALSE;
	}
	/* the bytes held the message only encrypted; wipe them anyway */
	esess_wipe(b->data, b->len);
	g_byte_array_unref(b);
	if (!ok)
		purple_debug_error(ESESS_DEBUG, "archive: a message could not be added to %s: %s\n",
				   c->path, st != ESESS_OK ? esess_status_name(st)
				   : g_strerror(errno));
	return ok;
}

/* ---- the session path ------------------------------------------------ */

gboolean
esess_archive_log_applies(EsessPeer *peer)
{
	return peer != NULL && peer->chat != NULL &&
	       esess_chat_logging(peer->chat) == ESESS_LOGGING_MAY &&
	       esess_identity_public(peer->account) != NULL;
}

static char *
sender_name(PurpleAccount *account, const char *who, PurpleMessageFlags flags,
	    const char *bare)
{
	const char *alias = NULL;

	if (flags & PURPLE_MESSAGE_SEND) {
		alias = purple_account_get_alias(account);
		if (alias == NULL || *alias == '\0')
			alias = who;
		if (alias == NULL || *alias == '\0')
			alias = purple_account_get_username(account);
	} else {
		PurpleBuddy *b = purple_find_buddy(account, bare);

		alias = b != NULL ? purple_buddy_get_alias(b) : who;
		if (alias == NULL || *alias == '\0')
			alias = bare;
	}
	return g_strdup(alias);
}

static void
wrote_im_cb(PurpleAccount *account, const char *who, const char *message,
	    PurpleConversation *conv, PurpleMessageFlags flags, gpointer data)
{
	EsessPeer *peer;
	ArchColl *c;
	char *key, *sender;
	time_t now = time(NULL);

	(void)data;
	if (message == NULL || !(flags & (PURPLE_MESSAGE_SEND | PURPLE_MESSAGE_RECV)) ||
	    (flags & (PURPLE_MESSAGE_SYSTEM | PURPLE_MESSAGE_ERROR)))
		return;
	peer = esess_peers_for_conv(conv);
	/* INTEROP R17: `mustnot` keeps nothing; no session, nothing here; and
	 * nothing either when the user keeps no log of this conversation
	 * (saved_logging: what it was before esess-ui.c switched it off) */
	if (peer == NULL || !esess_archive_log_applies(peer) ||
	    (peer->ui_state != ESESS_UI_UNVERIFIED && peer->ui_state != ESESS_UI_VERIFIED) ||
	    !peer->logging_off || !peer->saved_logging)
		return;
	key = g_strdup_printf("%s\n%s", purple_account_get_username(account), peer->bare);
	c = g_hash_table_lookup(open_colls, key);
	/* a new collection each day; and, when it is copied to the server,
	 * before it outgrows one server item (the old one is then closed and
	 * copied: esess-archive-server.c); a record adds 51 bytes, the
	 * sender (at most 1024) and the text */
	if (c == NULL || c->day != local_day(now) ||
	    (esess_archive_server_enabled() && esess_archive_writer_count(c->w) > 0 &&
	     esess_archive_writer_size(c->w) + strlen(message) + 1100 >
	     esess_archive_server_max())) {
		c = coll_start(account, peer->bare, now);
		if (c == NULL) {
			g_hash_table_remove(open_colls, key);
			g_free(key);
			return;
		}
		g_hash_table_replace(open_colls, key, c);
	} else {
		g_free(key);
	}
	sender = sender_name(account, who, flags, peer->bare);
	if (!coll_append(c, (flags & PURPLE_MESSAGE_SEND) ? ESESS_ARCHIVE_SENT
			 : ESESS_ARCHIVE_RECEIVED, now, sender, message)) {
		key = g_strdup_printf("%s\n%s", purple_account_get_username(account), peer->bare);
		/* the next message starts a new collection; this one may be
		 * damaged, so it is not copied to the server */
		esess_archive_writer_free(c->w);
		c->w = NULL;
		g_hash_table_remove(open_colls, key);
		g_free(key);
	}
	g_free(sender);
}

/* ---- the logger -------------------------------------------------------- */

static gsize
logger_write(PurpleLog *log, PurpleMessageFlags type, const char *from, time_t time,
	     const char *message)
{
	ArchColl *c = log->logger_data;
	size_t before;

	/* chats and system messages are not session messages */
	if (log->type != PURPLE_LOG_IM || message == NULL ||
	    !(type & (PURPLE_MESSAGE_SEND | PURPLE_MESSAGE_RECV)))
		return 0;
	if (c == NULL) {
		c = coll_start(log->account, log->name, log->time);
		if (c == NULL)
			return 0;
		log->logger_data = c;
	}
	if (c->w == NULL)
		return 0;
	before = esess_archive_writer_size(c->w);
	if (!coll_append(c, (type & PURPLE_MESSAGE_SEND) ? ESESS_ARCHIVE_SENT
			 : ESESS_ARCHIVE_RECEIVED, time, from, message)) {
		esess_archive_writer_free(c->w);
		c->w = NULL;
		return 0;
	}
	return esess_archive_writer_size(c->w) - before;
}

static void
logger_finalize(PurpleLog *log)
{
	coll_close(log->logger_data);
	log->logger_data = NULL;
}

/* The start of a collection from its file name (local time). */
static time_t
name_time(const char *name)
{
	struct tm tm;

	memset(&tm, 0, sizeof tm);
	if (sscanf(name, "%4d%2d%2dT%2d%2d%2d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
		   &tm.tm_hour, &tm.tm_min, &tm.tm_sec) != 6)
		return (time_t)-1;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	tm.tm_isdst = -1;
	return mktime(&tm);
}

static GList *
logger_list(PurpleLogType type, const char *name, PurpleAccount *account)
{
	GList *out = NULL;
	char *dir;
	GDir *d;
	const char *f;

	if (type != PURPLE_LOG_IM)
		return NULL;
	dir = esess_archive_log_dir(account, name);
	d = g_dir_open(dir, 0, NULL);
	while (d != NULL && (f = g_dir_read_name(d)) != NULL) {
		time_t t;
		PurpleLog *log;
		ArchColl *c;

		if (!g_str_has_suffix(f, ARCHIVE_EXT))
			continue;
		t = name_time(f);
		if (t == (time_t)-1)
			continue;
		/* purple_log_new takes the chosen format (whose create, for
		 * libpurple's own, is none): this log is ours.  No struct tm: the
		 * viewers then show t in local time, weekday included */
		log = purple_log_new(PURPLE_LOG_IM, name, account, NULL, t, NULL);
		log->logger = logger;
		c = g_new0(ArchColl, 1);
		c->path = g_build_filename(dir, f, NULL);
		log->logger_data = c;
		out = g_list_prepend(out, log);
	}
	if (d != NULL)
		g_dir_close(d);
	g_free(dir);
	return out;
}

static void
unlock_done(PurpleAccount *account, gboolean ok, gpointer data)
{
	(void)account;
	(void)ok;
	(void)data;
}

static char *
notice(const char *text)
{
	char *e = g_markup_escape_text(text, -1);
	char *out = g_strdup_printf("<b>%s</b><br/>", e);

	g_free(e);
	return out;
}

static void
append_record(GString *out, const EsessArchiveRecord *r)
{
	time_t t = (time_t)r->time;
	struct tm tm;
	char stamp[32] = "";
	char *who = g_markup_escape_text(r->sender, -1);

	if (localtime_r(&t, &tm) != NULL)
		strftime(stamp, sizeof stamp, "%H:%M:%S", &tm);
	/* a system line, or an old log's line whose writer is not known
	 * (doc/archive.md): shown as Pidgin's HTML log shows a system line,
	 * its text as it was and no sender, so nobody is named its writer */
	if (r->dir == ESESS_ARCHIVE_OTHER) {
		g_string_append_printf(out, "<font size=\"2\">(%s)</font><b> %s</b><br/>\n", stamp,
				       r->text);
		g_free(who);
		return;
	}
	/* the colours and layout of Pidgin's own HTML logs */
	g_string_append_printf(out, "<font color=\"%s\"><font size=\"2\">(%s)</font> "
			       "<b>%s:</b></font> %s<br/>\n",
			       r->dir == ESESS_ARCHIVE_SENT ? "#16569E" : "#A82F2F", stamp, who,
			       r->text);
	g_free(who);
}

static char *
logger_read(PurpleLog *log, PurpleLogReadFlags *flags)
{
	ArchColl *c = log->logger_data;
	const EsessPubKey *pk = esess_identity_public(log->account);
	EsessIdKey *k;
	char *data = NULL;
	gsize len = 0;
	GPtrArray *recs = NULL;
	GString *out;
	EsessStatus st;
	GStatBuf sb;
	guint i;
	char *own, *with, *base;
	gboolean bound = FALSE;

	if (flags != NULL)
		*flags = PURPLE_LOG_READ_NO_NEWLINE;
	if (c == NULL || g_stat(c->path, &sb) != 0 || sb.st_size > ESESS_ARCHIVE_MAX_BYTES ||
	    !g_file_get_contents(c->path, &data, &len, NULL))
		return notice(_("This encrypted log could not be read from the disk."));
	if (pk == NULL || !esess_archive_has_key((const guint8 *)data, len, pk)) {
		g_free(data);
		return notice(_("This log is encrypted for an identity key this account does not "
				"have. Import that key to read it."));
	}
	k = esess_identity_private(log->account);
	if (k == NULL) {
		g_free(data);
		/* asked when the user opens a log, never while chatting */
		if (esess_identity_would_ask(log->account))
			esess_identity_unlock(log->account, unlock_done, NULL);
		return notice(_("This log is encrypted with your identity key, which is locked. "
				"Enter its passphrase, then open the log again."));
	}
	/* the account, the contact and the start the path names must be the
	 * ones the header binds: a collection moved into another contact's
	 * folder, renamed to another date, or a server copy fetched under
	 * another item id, is refused as changed (a version-1 collection
	 * binds none: doc/archive.md) */
	base = g_path_get_basename(c->path);
	if (strlen(base) >= 15)
		base[15] = '\0';
	esess_archive_log_binding(log->account, log->name, &own, &with);
	st = esess_archive_read_bound((const guint8 *)data, len, k, own, with, base, &bound,
				      &recs);
	g_free(own);
	g_free(with);
	g_free(base);
	g_free(data);
	if (st == ESESS_OK && !bound)
		purple_debug_info(ESESS_DEBUG, "archive: a version-1 log (its contact and date "
				  "are not authenticated)\n");
	if (st != ESESS_OK) {
		purple_debug_warning(ESESS_DEBUG, "archive: %s refused: %s\n", c->path,
				     esess_status_name(st));
		return notice(st == ESESS_ERR_KEY
			      ? _("This log is encrypted for an identity key this account does "
				  "not have. Import that key to read it.")
			      : _("This log was changed or damaged after it was written, so none "
				  "of it is shown."));
	}
	/* how many, never what (tests/ui waits for this line) */
	purple_debug_info(ESESS_DEBUG, "archive: read a log of %u messages\n", recs->len);
	out = g_string_new(NULL);
	for (i = 0; i < recs->len; i++)
		append_record(out, g_ptr_array_index(recs, i));
	g_ptr_array_unref(recs);
	return g_string_free(out, FALSE);
}

static int
logger_size(PurpleLog *log)
{
	ArchColl *c = log->logger_data;
	GStatBuf sb;

	if (c == NULL || g_stat(c->path, &sb) != 0)
		return 0;
	return sb.st_size > G_MAXINT ? G_MAXINT : (int)sb.st_size;
}

static int
logger_total_size(PurpleLogType type, const char *name, PurpleAccount *account)
{
	GList *logs = logger_list(type, name, account), *l;
	gint64 total = 0;

	for (l = logs; l != NULL; l = l->next) {
		total += logger_size(l->data);
		purple_log_free(l->data);
	}
	g_list_free(logs);
	return total > G_MAXINT ? G_MAXINT : (int)total;
}

/* ---- closing collections ----------------------------------------------- */

gboolean
esess_archive_log_is_open(const char *path)
{
	GHashTableIter it;
	gpointer v;
	GList *cl, *l;

	if (open_colls == NULL)
		return FALSE;
	g_hash_table_iter_init(&it, open_colls);
	while (g_hash_table_iter_next(&it, NULL, &v))
		if (g_strcmp0(((ArchColl *)v)->path, path) == 0)
			return TRUE;
	/* and the logs this format is writing for open conversations (the
	 * user chose it for every conversation): they stay open across a
	 * reconnection, and a copy made now would rename the file under them */
	for (cl = purple_get_conversations(); cl != NULL; cl = cl->next) {
		PurpleConversation *conv = cl->data;

		for (l = conv->logs; l != NULL; l = l->next) {
			PurpleLog *log = l->data;
			ArchColl *c = log->logger_data;

			if (log->logger == logger && c != NULL && g_strcmp0(c->path, path) == 0)
				return TRUE;
		}
	}
	return FALSE;
}

/* The logs this format writes for the account's open conversations with
 * want (normalized; NULL: all), closed without a server copy: forget wipes
 * their files, and an append to a removed file would drop every later
 * message of the conversation.  libpurple opens a new log at the
 * conversation's next message. */
static void
close_conv_logs(PurpleAccount *account, const char *want)
{
	GList *cl;

	for (cl = purple_get_conversations(); cl != NULL; cl = cl->next) {
		PurpleConversation *conv = cl->data;
		GList *l = conv->logs;

		if (purple_conversation_get_account(conv) != account ||
		    (want != NULL && g_strcmp0(purple_normalize(account,
				purple_conversation_get_name(conv)), want) != 0))
			continue;
		while (l != NULL) {
			GList *next = l->next;
			PurpleLog *log = l->data;
			ArchColl *c = log->logger_data;

			if (log->logger == logger) {
				if (c != NULL) {
					esess_archive_writer_free(c->w);
					c->w = NULL;
				}
				purple_log_free(log);
				conv->logs = g_list_delete_link(conv->logs, l);
			}
			l = next;
		}
	}
}

/* The collections of the account (contact NULL: all of them) are closed;
 * upload: their server copy is made (not when the history is forgotten). */
void
esess_archive_log_close(PurpleAccount *account, const char *contact, gboolean upload)
{
	GHashTableIter it;
	gpointer v;
	char *want;

	if (open_colls == NULL)
		return;
	/* purple_normalize answers in one static buffer: a copy to compare */
	want = contact != NULL ? g_strdup(purple_normalize(account, contact)) : NULL;
	g_hash_table_iter_init(&it, open_colls);
	while (g_hash_table_iter_next(&it, NULL, &v)) {
		ArchColl *c = v;

		if (c->account != account ||
		    (want != NULL && g_strcmp0(purple_normalize(account, c->who), want) != 0))
			continue;
		/* without its writer, closing it copies nothing */
		if (!upload) {
			esess_archive_writer_free(c->w);
			c->w = NULL;
		}
		g_hash_table_iter_remove(&it);
	}
	if (!upload)
		close_conv_logs(account, want);
	g_free(want);
}

/* A conversation is closed: so is its collection (doc/archive.md). */
static void
deleting_conv_cb(PurpleConversation *conv, gpointer data)
{
	(void)data;
	if (purple_conversation_get_type(conv) == PURPLE_CONV_TYPE_IM)
		esess_archive_log_close(purple_conversation_get_account(conv),
					purple_conversation_get_name(conv), TRUE);
}

/* The account signs off, still connected: its collections are closed and
 * their copies go out now. */
static void
signing_off_cb(PurpleConnection *gc, gpointer data)
{
	(void)data;
	esess_archive_log_close(purple_connection_get_account(gc), NULL, TRUE);
}

void
esess_archive_log_init(PurplePlugin *plugin)
{
	open_colls = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
					   (GDestroyNotify)coll_close);
	logger = purple_log_logger_new("esessions", _("ESessions encrypted"), 7,
				       NULL, logger_write, logger_finalize, logger_list,
				       logger_read, logger_size, logger_total_size);
	purple_log_logger_add(logger);
	purple_signal_connect(purple_conversations_get_handle(), "wrote-im-msg", plugin,
			      PURPLE_CALLBACK(wrote_im_cb), NULL);
	purple_signal_connect(purple_conversations_get_handle(), "deleting-conversation",
			      plugin, PURPLE_CALLBACK(deleting_conv_cb), NULL);
	purple_signal_connect(purple_connections_get_handle(), "signing-off", plugin,
			      PURPLE_CALLBACK(signing_off_cb), NULL);
}

/* Logs of open conversations that use this format (the user chose it for
 * every conversation) are closed while this code is still loaded; their
 * next message opens a log in the format libpurple falls back to. */
static gboolean
is_ours(PurpleLog *log, gpointer data)
{
	(void)data;
	return log->logger == logger;
}

static void
close_open_logs(void)
{
	esess_archive_close_logs(is_ours, NULL);
}

void
esess_archive_close_logs(gboolean (*match)(PurpleLog *log, gpointer data), gpointer data)
{
	GList *cl;

	for (cl = purple_get_conversations(); cl != NULL; cl = cl->next) {
		PurpleConversation *conv = cl->data;
		GList *l = conv->logs;

		while (l != NULL) {
			GList *next = l->next;
			PurpleLog *log = l->data;

			if (match(log, data)) {
				purple_log_free(log);
				conv->logs = g_list_delete_link(conv->logs, l);
			}
			l = next;
		}
	}
}

void
esess_archive_log_shutdown(void)
{
	if (logger != NULL) {
		gboolean current = purple_log_logger_get() == logger;

		close_open_logs();
		purple_log_logger_remove(logger);
		/* libpurple falls back to its HTML format without changing the
		 * user's choice, which comes back when the plugin is loaded */
		if (current)
			purple_prefs_trigger_callback("/purple/logging/format");
		purple_log_logger_free(logger);
		logger = NULL;
	}
	if (open_colls != NULL) {
		g_hash_table_destroy(open_colls);
		open_colls = NULL;
	}
}
