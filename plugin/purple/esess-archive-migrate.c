/*
 * esess-archive-migrate.c - old plaintext logs into the encrypted log
 * (issue 13 item 4; doc/archive.md "Migrating old logs").
 *
 * Pidgin's own logs (its HTML and plain-text formats) of conversations with
 * a contact are converted, with the user's consent, into collections of
 * the encrypted log (esess-archive-log.c), one collection per old log:
 *   - `/esession archive migrate` in a conversation: that contact's logs
 *     (the user chose the contact);
 *   - the plugin action "Encrypt old conversation logs...": the logs of
 *     every contact with whom this plugin has a record of encrypted
 *     sessions (has_record: retained secrets, a flag or the contact's key
 *     in the store, or the contact pinned).
 * Every line of an old log is kept: messages as messages, and system lines
 * and text-format lines whose writer is not known as records of direction
 * "other" (ESESS_ARCHIVE_OTHER), verbatim, so nothing is lost and nothing
 * is put in the contact's mouth.
 * Nothing happens before the user has read what will happen (how many
 * logs, which contacts, that the plaintext files are removed) and said
 * yes.  Writing needs only the identity public key; each new collection is
 * read back from the disk and checked (decrypted and compared record by
 * record when the private key is unlocked, otherwise compared byte for
 * byte with what was written and its key wrapping checked) BEFORE the
 * plaintext file is overwritten with zeros, synced and unlinked.
 */
/* strptime: the stamps are read in the locale they were written in */
#define _GNU_SOURCE 1
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

/* an old log larger than this is left alone (a log is a day or a
 * conversation; this is far beyond any) */
#define MIGRATE_MAX_LOG (64 * 1024 * 1024)
/* contact names listed in the consent dialog; more are counted */
#define MIGRATE_MAX_NAMES 12

typedef struct {
	PurpleAccount *account;
	char *name;               /* the contact, as the log names it */
	char *path;               /* the plaintext file */
	gboolean txt;             /* Pidgin's plain-text format, else HTML */
	time_t start;             /* the log's start (from its file name) */
} OldLog;

typedef struct _Conv Conv;
static void conv_free(Conv *c);

typedef struct {
	GList *logs;              /* OldLog * */
	PurpleAccount *account;   /* the conversation of the command, or NULL */
	char *who;                /* (the action reports in a notification) */
	GList *unlock;            /* PurpleAccount * still to unlock */
	GList *next;              /* the next log to convert */
	guint idle;               /* the conversion running, a slice per turn */
	Conv *conv;               /* the log being converted, or NULL */
	guint done, failed, msgs; /* the counts told at the end */
} Job;

static GList *jobs;
/* the parsers' patterns, made on first use, freed at unload */
static GRegex *rx_time, *rx_html, *rx_html_other, *rx_html_stamp, *rx_txt, *rx_txt_entry;

static void
oldlog_free(OldLog *o)
{
	g_free(o->name);
	g_free(o->path);
	g_free(o);
}

static void
job_free(Job *job)
{
	jobs = g_list_remove(jobs, job);
	if (job->idle != 0)
		g_source_remove(job->idle);
	conv_free(job->conv);
	g_list_free_full(job->logs, (GDestroyNotify)oldlog_free);
	g_list_free(job->unlock);
	g_free(job->who);
	g_free(job);
}

/* ---- which logs ---------------------------------------------------- */

static gboolean
job_has_path(Job *job, const char *path)
{
	GList *l;

	for (l = job->logs; l != NULL; l = l->next)
		if (strcmp(((OldLog *)l->data)->path, path) == 0)
			return TRUE;
	return FALSE;
}

/* An open conversation may still be writing to a log being migrated: that
 * log is closed first (libpurple opens a new one at its next message), so
 * nothing is written into a file after it was converted. */
static gboolean
in_job(PurpleLog *log, gpointer data)
{
	PurpleLogCommonLoggerData *d = log->logger_data;

	return log->logger != NULL && d != NULL && d->path != NULL &&
	       (strcmp(log->logger->id, "html") == 0 || strcmp(log->logger->id, "txt") == 0) &&
	       job_has_path(data, d->path);
}

static void
close_in_use(Job *job)
{
	esess_archive_close_logs(in_job, job);
}

/* The contact's logs in Pidgin's plaintext formats, appended to job. */
static guint
collect(Job *job, PurpleAccount *account, const char *name)
{
	GList *logs = purple_log_get_logs(PURPLE_LOG_IM, name, account), *l;
	guint n = 0;

	for (l = logs; l != NULL; l = l->next) {
		PurpleLog *log = l->data;
		PurpleLogCommonLoggerData *d = log->logger_data;
		const char *id = log->logger != NULL ? log->logger->id : "";

		if ((strcmp(id, "html") == 0 || strcmp(id, "txt") == 0) && d != NULL &&
		    d->path != NULL) {
			OldLog *o = g_new0(OldLog, 1);

			o->account = account;
			o->name = g_strdup(name);
			o->path = g_strdup(d->path);
			o->txt = strcmp(id, "txt") == 0;
			o->start = log->time;
			job->logs = g_list_append(job->logs, o);
			n++;
		}
		purple_log_free(log);
	}
	g_list_free(logs);
	return n;
}

/* A record of encrypted sessions with the contact: what "conversations
 * held in ESessions" means for the action (doc/archive.md): the store
 * holds retained secrets (a session was established), a flag or the
 * contact's key, or the contact is pinned (a session existed lately). */
static gboolean
has_record(PurpleAccount *account, const char *name)
{
	char *own;
	gboolean yes;

	if (esess_policy_pinned(account, name))
		return TRUE;
	if (esess_ctx->store == NULL)
		return FALSE;
	own = esess_bare_jid(purple_account_get_username(account));
	yes = esess_store_has_peer(esess_ctx->store, own, name);
	g_free(own);
	return yes;
}

/* ---- reading Pidgin's formats ------------------------------------- */

typedef struct {
	EsessArchiveDir dir;
	gint64 time;
	char *sender;
	GString *text;
} Msg;

static void
msg_free(Msg *m)
{
	if (m == NULL)
		return;
	g_free(m->sender);
	if (m->text != NULL) {
		esess_wipe(m->text->str, m->text->len);
		g_string_free(m->text, TRUE);
	}
	g_free(m);
}

/* Our own names as libpurple writes them for sent messages: the account's
 * alias, the connection's display name, the JID with or without resource,
 * its local part. */
static gboolean
is_own_name(PurpleAccount *account, const char *sender)
{
	const char *user = purple_account_get_username(account);
	const char *alias = purple_account_get_alias(account);
	PurpleConnection *gc = purple_account_get_connection(account);
	char *bare = esess_bare_jid(user);
	char *local = g_strndup(bare, strcspn(bare, "@"));
	gboolean yes;

	yes = g_strcmp0(sender, user) == 0 || g_strcmp0(sender, bare) == 0 ||
	      g_strcmp0(sender, local) == 0 || (alias != NULL && strcmp(sender, alias) == 0) ||
	      (gc != NULL && g_strcmp0(sender, purple_connection_get_display_name(gc)) == 0);
	g_free(bare);
	g_free(local);
	return yes;
}

/* The local midnight of the day of t, and t's date into tm. */
static void
day_of(time_t t, struct tm *tm)
{
	if (localtime_r(&t, tm) == NULL)
		memset(tm, 0, sizeof *tm);
	tm->tm_hour = tm->tm_min = tm->tm_sec = 0;
	tm->tm_isdst = -1;
}

/* A message's time from its stamp: libpurple writes the time of day
 * ("%X") or, for a message written long after it was sent, the date too
 * ("%x %X"), both in the writer's locale.  The date is taken when this
 * locale reads it back; otherwise the day is the log's, moved on when the
 * time of day goes backwards (a log across midnight).  A stamp that does
 * not read keeps the previous message's time. */
static gint64
stamp_time(const char *stamp, time_t start, gint64 prev)
{
	GMatchInfo *mi = NULL;
	struct tm tm;
	const char *end;
	gboolean dated = FALSE;
	gint64 t;
	int h, mi_, s;

	memset(&tm, 0, sizeof tm);
	end = strptime(stamp, "%x %X", &tm);
	if (end != NULL && *end == '\0') {
		tm.tm_isdst = -1;
		t = (gint64)mktime(&tm);
		return t == -1 ? prev : t;
	}
	if (rx_time == NULL)
		rx_time = g_regex_new("(\\d{1,2})[:.](\\d{2})(?:[:.](\\d{2}))?\\s*([AaPp])?",
				 G_REGEX_OPTIMIZE, 0, NULL);
	memset(&tm, 0, sizeof tm);
	end = strptime(stamp, "%x", &tm);
	if (end != NULL && end != stamp) {
		dated = TRUE;
		stamp = end;
	} else {
		day_of(start, &tm);
	}
	if (!g_regex_match(rx_time, stamp, 0, &mi)) {
		g_match_info_free(mi);
		return prev;
	}
	{
		char *hs = g_match_info_fetch(mi, 1), *ms = g_match_info_fetch(mi, 2);
		char *ss = g_match_info_fetch(mi, 3), *ap = g_match_info_fetch(mi, 4);

		h = atoi(hs);
		mi_ = atoi(ms);
		s = ss != NULL && *ss != '\0' ? atoi(ss) : 0;
		if (ap != NULL && (*ap == 'p' || *ap == 'P') && h < 12)
			h += 12;
		else if (ap != NULL && (*ap == 'a' || *ap == 'A') && h == 12)
			h = 0;
		g_free(hs);
		g_free(ms);
		g_free(ss);
		g_free(ap);
	}
	g_match_info_free(mi);
	tm.tm_hour = h;
	tm.tm_min = mi_;
	tm.tm_sec = s;
	tm.tm_isdst = -1;
	t = (gint64)mktime(&tm);
	if (t == -1)
		return prev;
	/* across midnight: the time of day went backwards by more than a
	 * clock change could explain */
	while (!dated && prev != G_MININT64 && t < prev - 3600)
		t += 24 * 3600;
	return t;
}

/* One line of Pidgin's HTML log: "<span style="color: C"><span
 * style="font-size: smaller">(STAMP)</span> <b>SENDER:</b></span>
 * MESSAGE<br>" (libpurple 2.14), or the same with <font color=C><font
 * size=2> and <br/> (earlier versions).  The colour says the direction
 * (#16569E sent, #A82F2F received); an action ("/me", #062585) has one
 * colour for both, so its direction comes from the sender's name, as for
 * a message of a type libpurple does not know (no colour at all); when
 * that name is neither ours nor the contact's, nothing says who wrote it:
 * NULL and *unknown (the line is kept whole, parse_other_line).  A
 * message whose text holds a line break goes on over the next lines: its
 * first line has no <br> (parse_line joins them).  Errors (#FF0000) are not
 * messages. */
static gboolean is_contact_name(PurpleAccount *account, const char *name, const char *sender);

static Msg *
parse_html_line(const OldLog *o, const char *line, gint64 prev, gboolean *unknown)
{
	PurpleAccount *account = o->account;
	GMatchInfo *mi = NULL;
	Msg *m = NULL;

	if (rx_html == NULL)
		rx_html = g_regex_new("^(?:<(?:font color=\"|span style=\"color: )"
				 "(#[0-9A-Fa-f]{6})\">)?"
				 "<(?:font size=\"2\"|span style=\"font-size: smaller\")>"
				 "\\((.*?)\\)</(?:font|span)> ?<b> ?(.*?)</b></(?:font|span)> "
				 "(.*)$", G_REGEX_OPTIMIZE, 0, NULL);
	if (g_regex_match(rx_html, line, 0, &mi)) {
		char *color = g_match_info_fetch(mi, 1), *stamp = g_match_info_fetch(mi, 2);
		char *who = g_match_info_fetch(mi, 3), *text = g_match_info_fetch(mi, 4);
		gboolean me = g_str_has_prefix(who, "***");
		char *sender;
		size_t n;

		if (g_ascii_strcasecmp(color, "#FF0000") == 0)
			goto done;
		if (me)
			memmove(who, who + 3, strlen(who + 3) + 1);
		n = strlen(who);
		if (!me && n > 0 && who[n - 1] == ':')
			who[--n] = '\0';
		if (g_str_has_suffix(who, " &lt;AUTO-REPLY&gt;"))
			who[n - strlen(" &lt;AUTO-REPLY&gt;")] = '\0';
		sender = purple_unescape_html(who);
		if (sender == NULL)
			sender = g_strdup("");
		/* no colour that says the direction, and a name that is neither
		 * ours nor the contact's (an old alias): the line is kept whole,
		 * as a line of unknown writer (parse_other_line) */
		if (g_ascii_strcasecmp(color, "#16569E") != 0 &&
		    g_ascii_strcasecmp(color, "#A82F2F") != 0 && !is_own_name(account, sender) &&
		    !is_contact_name(account, o->name, sender)) {
			*unknown = TRUE;
			g_free(sender);
			goto done;
		}
		m = g_new0(Msg, 1);
		m->sender = sender;
		if (g_ascii_strcasecmp(color, "#16569E") == 0)
			m->dir = ESESS_ARCHIVE_SENT;
		else if (g_ascii_strcasecmp(color, "#A82F2F") == 0)
			m->dir = ESESS_ARCHIVE_RECEIVED;
		else
			m->dir = is_own_name(account, m->sender) ? ESESS_ARCHIVE_SENT
				 : ESESS_ARCHIVE_RECEIVED;
		m->time = stamp_time(stamp, o->start, prev);
		m->text = g_string_new(me ? "/me " : "");
		g_string_append(m->text, text);
done:
		esess_wipe(text, strlen(text));
		g_free(color);
		g_free(stamp);
		g_free(who);
		g_free(text);
	}
	g_match_info_free(mi);
	return m;
}

/* The lines of Pidgin's HTML log that are not messages: state changes and
 * notices ("<font size=2>(STAMP)</font><b> TEXT</b><br/>"), raw lines
 * (the same without <b>) and errors (#FF0000). */
static gboolean
is_html_other(const char *line)
{
	if (rx_html_other == NULL)
		rx_html_other = g_regex_new("^(?:<(?:font color=\"|span style=\"color: )"
				       "#[Ff]{2}0000\">)?"
				       "<(?:font size=\"2\"|span style=\"font-size: smaller\")>"
				       "\\(", G_REGEX_OPTIMIZE, 0, NULL);
	return g_regex_match(rx_html_other, line, 0, NULL);
}

/* The contact's names as libpurple writes them for received messages:
 * the JID (bare, or full with a resource), its local part, the aliases of
 * its buddy. */
static gboolean
is_contact_name(PurpleAccount *account, const char *name, const char *sender)
{
	PurpleBuddy *b = purple_find_buddy(account, name);
	size_t n = strlen(name);
	char *local = g_strndup(name, strcspn(name, "@"));
	gboolean yes;

	yes = strcmp(sender, name) == 0 || strcmp(sender, local) == 0 ||
	      (strncmp(sender, name, n) == 0 && sender[n] == '/') ||
	      (b != NULL && (g_strcmp0(sender, purple_buddy_get_alias(b)) == 0 ||
			     g_strcmp0(sender, purple_buddy_get_contact_alias(b)) == 0 ||
			     g_strcmp0(sender, purple_buddy_get_server_alias(b)) == 0 ||
			     g_strcmp0(sender, purple_buddy_get_local_buddy_alias(b)) == 0));
	g_free(local);
	return yes;
}

/* A line of Pidgin's plain-text log that starts an entry: "(STAMP) ",
 * STAMP holding a time of day.  Anything else continues the entry before
 * it (a message of several lines, whose next line may well start with a
 * parenthesis). */
static gboolean
is_txt_entry(const char *line)
{
	if (rx_txt_entry == NULL)
		rx_txt_entry = g_regex_new("^\\([^()]*\\d{1,2}[:.]\\d{2}[^()]*\\) ",
					  G_REGEX_OPTIMIZE, 0, NULL);
	return g_regex_match(rx_txt_entry, line, 0, NULL);
}

/* The sender of a text-format action "***SENDER TEXT": the longest of our
 * own or the contact's names that starts it, else NULL (the line is then
 * kept as a line of unknown writer, never put in the contact's mouth). */
static char *
txt_action_sender(const OldLog *o, const char *rest)
{
	const char *sp;
	char *best = NULL;

	for (sp = strchr(rest, ' '); sp != NULL; sp = strchr(sp + 1, ' ')) {
		char *cand = g_strndup(rest, (size_t)(sp - rest));

		if (is_own_name(o->account, cand) || is_contact_name(o->account, o->name, cand)) {
			g_free(best);
			best = cand;
		} else {
			g_free(cand);
		}
	}
	return best;
}

/* A text-format message's sender: one of our own names (*own) or one of
 * the contact's.  Any other name (an alias no longer ours nor the buddy's)
 * says nothing of the direction: such a line is kept whole as a line of
 * unknown writer (parse_other_line). */
static gboolean
txt_sender(const OldLog *o, const char *who, gboolean *own)
{
	*own = is_own_name(o->account, who);
	return *own || is_contact_name(o->account, o->name, who);
}

/* One line of Pidgin's plain-text log: "(STAMP) SENDER: MESSAGE", or
 * "(STAMP) ***SENDER MESSAGE" for an action.  The format marks neither
 * direction nor system lines: a sender that is one of our own names is us,
 * one of the contact's names is the contact; anything else ("(STAMP) Some
 * sentence: more", a message under an old alias) is no message here (NULL)
 * and is kept whole as a line of unknown writer. */
static Msg *
parse_txt_line(const OldLog *o, const char *line, gint64 prev)
{
	GMatchInfo *mi = NULL;
	Msg *m = NULL;
	const char *close = strstr(line, ") ");

	if (close != NULL && g_str_has_prefix(close + 2, "***") && close[5] != '\0') {
		char *stamp = g_strndup(line + 1, (size_t)(close - line - 1));
		const char *rest = close + 5;
		char *who = txt_action_sender(o, rest);
		const char *text;
		char *esc;

		if (who == NULL) {
			g_free(stamp);
			return NULL;
		}
		text = rest + strlen(who);
		m = g_new0(Msg, 1);
		m->sender = who;
		m->dir = is_own_name(o->account, who) ? ESESS_ARCHIVE_SENT : ESESS_ARCHIVE_RECEIVED;
		m->time = stamp_time(stamp, o->start, prev);
		esc = g_markup_escape_text(*text == ' ' ? text + 1 : text, -1);
		m->text = g_string_new("/me ");
		g_string_append(m->text, esc);
		esess_wipe(esc, strlen(esc));
		g_free(esc);
		g_free(stamp);
		return m;
	}
	if (rx_txt == NULL)
		rx_txt = g_regex_new("^\\(([^)]*)\\) (.*?)(?: <AUTO-REPLY>)?: (.*)$", G_REGEX_OPTIMIZE,
				 0, NULL);
	if (g_regex_match(rx_txt, line, 0, &mi)) {
		char *stamp = g_match_info_fetch(mi, 1), *who = g_match_info_fetch(mi, 2);
		char *text = g_match_info_fetch(mi, 3), *esc, *mark;
		gboolean own = FALSE, yes = txt_sender(o, who, &own);

		/* an auto-reply in another language: libpurple translates its
		 * mark ("SENDER <MARK>: TEXT") */
		if (!yes && g_str_has_suffix(who, ">") && (mark = g_strrstr(who, " <")) != NULL &&
		    strchr(mark + 2, '<') == NULL) {
			*mark = '\0';
			yes = txt_sender(o, who, &own);
			if (!yes)
				*mark = ' ';
		}
		if (yes) {
			m = g_new0(Msg, 1);
			m->sender = who;
			who = NULL;
			m->dir = own ? ESESS_ARCHIVE_SENT : ESESS_ARCHIVE_RECEIVED;
			m->time = stamp_time(stamp, o->start, prev);
			/* the encrypted log keeps the text as shown: markup */
			esc = g_markup_escape_text(text, -1);
			m->text = g_string_new(esc);
			esess_wipe(esc, strlen(esc));
			g_free(esc);
		}
		esess_wipe(text, strlen(text));
		g_free(text);
		g_free(who);
		g_free(stamp);
	}
	g_match_info_free(mi);
	return m;
}

/* A line that starts an entry but is no message (doc/archive.md): a system
 * line, a notice, an error, or in the text format a line that looks like a
 * message from a name that is not one of ours or the contact's (an old
 * alias, or a sentence with a colon).  It is kept as it was, without its
 * time stamp, as a record of direction "other" with no sender: nothing of
 * the old log is lost, and nobody is named its writer. */
static Msg *
parse_other_line(const OldLog *o, const char *line, gint64 prev)
{
	Msg *m = g_new0(Msg, 1);
	char *stamp = NULL;

	m->dir = ESESS_ARCHIVE_OTHER;
	m->sender = g_strdup("");
	if (o->txt) {
		/* "(STAMP) TEXT": is_txt_entry allows no parenthesis in STAMP */
		const char *close = strchr(line, ')');
		char *esc;

		stamp = g_strndup(line + 1, (size_t)(close - line - 1));
		/* the text format lost the markup: the text is kept escaped */
		esc = g_markup_escape_text(close + 2, -1);
		m->text = g_string_new(esc);
		esess_wipe(esc, strlen(esc));
		g_free(esc);
	} else {
		GMatchInfo *mi = NULL;
		gint from, to;

		/* the line without its "<font size=2>(STAMP)</font>" (an
		 * error's colour around it is kept) */
		if (rx_html_stamp == NULL)
			rx_html_stamp = g_regex_new("<(?:font size=\"2\"|span style=\"font-size: "
						    "smaller\")>\\((.*?)\\)</(?:font|span)>",
						    G_REGEX_OPTIMIZE, 0, NULL);
		m->text = g_string_new(NULL);
		if (g_regex_match(rx_html_stamp, line, 0, &mi) &&
		    g_match_info_fetch_pos(mi, 0, &from, &to)) {
			stamp = g_match_info_fetch(mi, 1);
			g_string_append_len(m->text, line, from);
			g_string_append(m->text, line + to);
		} else {
			g_string_append(m->text, line);
		}
		g_match_info_free(mi);
	}
	m->time = stamp != NULL ? stamp_time(stamp, o->start, prev) : prev;
	g_free(stamp);
	return m;
}

/* An HTML-log system line's text as libpurple's logger got it: it wrote
 * "<b> TEXT</b>", which the logger's reader adds back. */
static void
strip_html_system(GString *text)
{
	if (g_str_has_prefix(text->str, "<b> ") && g_str_has_suffix(text->str, "</b>")) {
		g_string_truncate(text, text->len - 4);
		g_string_erase(text, 0, 4);
	}
}

/* The end of an HTML-log message: libpurple's <br> after it. */
static void
strip_html_end(GString *text)
{
	while (text->len > 0 && g_ascii_isspace(text->str[text->len - 1]))
		g_string_truncate(text, text->len - 1);
	if (g_str_has_suffix(text->str, "<br/>"))
		g_string_truncate(text, text->len - 5);
	else if (g_str_has_suffix(text->str, "<br>"))
		g_string_truncate(text, text->len - 4);
}

/* The records of an old log (Msg *), oldest first, read a line at a time
 * (parse_line), so that a long log is read over several turns of the main
 * loop.  Every line is accounted for: the header (the first line), a
 * message's start, the start of a line that is not a message (system
 * lines, errors, text-format lines of unknown writer: kept as records of
 * direction "other"), or the next line of the entry before it (a message
 * of several lines goes on; so does a notice).  A line that is none of
 * these (a form this does not know, which may hold a message) makes the
 * whole log unreadable (parse_end gives NULL): its plaintext is then kept,
 * never removed with a message left out. */
typedef struct {
	GPtrArray *out;           /* Msg * */
	Msg *last;                /* the entry a continuation line goes on */
	gint64 prev;              /* the time of the last record */
	guint line;               /* lines read so far */
	guint bad;                /* lines of no form this reads */
} Parse;

static void
parse_init(Parse *p)
{
	p->out = g_ptr_array_new_with_free_func((GDestroyNotify)msg_free);
	p->last = NULL;
	p->prev = G_MININT64;
	p->line = 0;
	p->bad = 0;
}

/* One line (NUL-terminated, without its newline; wiped here). */
static void
parse_line(const OldLog *o, Parse *p, char *line)
{
	Msg *m = NULL;
	size_t n = strlen(line);
	gboolean entry, unknown = FALSE;
	guint i = p->line++;

	if (n > 0 && line[n - 1] == '\r')
		line[--n] = '\0';
	if (o->txt) {
		entry = is_txt_entry(line);
		if (entry)
			m = parse_txt_line(o, line, p->prev);
	} else {
		entry = g_str_has_prefix(line, "<font") || g_str_has_prefix(line, "<span");
		if (entry)
			m = parse_html_line(o, line, p->prev, &unknown);
		if (entry && m == NULL && !unknown && !is_html_other(line)) {
			/* a form this does not know: the log is refused */
			p->bad++;
			esess_wipe(line, n);
			return;
		}
	}
	/* not a message: kept as it was (doc/archive.md) */
	if (entry && m == NULL)
		m = parse_other_line(o, line, p->prev);
	if (m != NULL) {
		if (m->time == G_MININT64)
			m->time = (gint64)o->start;
		p->prev = m->time;
		g_ptr_array_add(p->out, m);
		p->last = m;
	} else if (i == 0 || n == 0 || (!o->txt && strcmp(line, "</body></html>") == 0)) {
		/* the header, an empty line, the end */
	} else if (p->last != NULL) {
		char *esc = o->txt ? g_markup_escape_text(line, -1) : g_strdup(line);

		/* the text format lost the markup (a line break was <br>);
		 * in HTML a line break in the markup is a space */
		g_string_append(p->last->text, o->txt ? "<br/>" : "\n");
		g_string_append(p->last->text, esc);
		esess_wipe(esc, strlen(esc));
		g_free(esc);
	} else {
		p->bad++;
	}
	esess_wipe(line, n);
}

/* The records, once every line was read; NULL when a line was of no form
 * this reads (*bad: how many). */
static GPtrArray *
parse_end(const OldLog *o, Parse *p, guint *bad)
{
	GPtrArray *out = p->out;
	guint i;

	p->out = NULL;
	p->last = NULL;
	*bad = p->bad;
	if (!o->txt)
		for (i = 0; i < out->len; i++) {
			Msg *m = g_ptr_array_index(out, i);

			strip_html_end(m->text);
			if (m->dir == ESESS_ARCHIVE_OTHER)
				strip_html_system(m->text);
		}
	if (*bad > 0) {
		g_ptr_array_unref(out);
		return NULL;
	}
	return out;
}

static void
parse_clear(Parse *p)
{
	if (p->out != NULL)
		g_ptr_array_unref(p->out);
	p->out = NULL;
	p->last = NULL;
}

/* ---- writing, checking, removing ----------------------------------- */

static gboolean
write_file(const char *path, const guint8 *b, size_t len)
{
	int fd = g_open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	gboolean ok = fd >= 0;

	while (ok && len > 0) {
		ssize_t n = write(fd, b, len);

		if (n < 0 && errno == EINTR)
			continue;
		ok = n > 0;
		if (ok) {
			b += n;
			len -= (size_t)n;
		}
	}
	if (fd >= 0) {
		ok = ok && fsync(fd) == 0;
		if (close(fd) != 0)
			ok = FALSE;
	}
	return ok;
}

static gboolean
sync_dir(const char *dir)
{
	int fd = g_open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
	gboolean ok = fd >= 0 && fsync(fd) == 0;

	if (fd >= 0)
		close(fd);
	return ok;
}

/* The old log, opened once for reading and for overwriting it later. */
typedef struct {
	int dir;                  /* its folder */
	int fd;
	char *base;               /* its name in the folder */
	GStatBuf sb;              /* as it was read */
} OldFile;

static void
oldfile_close(OldFile *f)
{
	if (f->fd >= 0)
		close(f->fd);
	if (f->dir >= 0)
		close(f->dir);
	g_free(f->base);
	f->fd = f->dir = -1;
	f->base = NULL;
}

/* Opens the old log without following a link anywhere below the purple
 * user folder (a linked folder or file would make the overwrite hit a file
 * elsewhere), and only a regular file (never blocks on a FIFO). */
static gboolean
oldfile_open(const char *path, OldFile *f)
{
	const char *user = purple_user_dir();
	size_t n = strlen(user);
	char **parts;
	guint i, len;
	gboolean ok;

	f->dir = f->fd = -1;
	f->base = NULL;
	while (n > 1 && user[n - 1] == '/')
		n--;
	if (strncmp(path, user, n) != 0 || path[n] != '/')
		return FALSE;
	parts = g_strsplit(path + n + 1, "/", -1);
	len = g_strv_length(parts);
	f->dir = g_open(user, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
	ok = f->dir >= 0 && len >= 2;
	for (i = 0; ok && i + 1 < len; i++) {
		int next;

		if (*parts[i] == '\0' || strcmp(parts[i], ".") == 0 ||
		    strcmp(parts[i], "..") == 0) {
			ok = FALSE;
			break;
		}
		next = openat(f->dir, parts[i], O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		close(f->dir);
		f->dir = next;
		ok = next >= 0;
	}
	if (ok) {
		f->base = g_strdup(parts[len - 1]);
		f->fd = openat(f->dir, f->base, O_RDWR | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
		ok = f->fd >= 0 && fstat(f->fd, &f->sb) == 0 && S_ISREG(f->sb.st_mode);
	}
	g_strfreev(parts);
	if (!ok)
		oldfile_close(f);
	return ok;
}

/* The whole file, read from the descriptor (at most MIGRATE_MAX_LOG). */
static gboolean
oldfile_read(OldFile *f, char **data, gsize *len)
{
	GByteArray *buf;
	guint8 chunk[65536];

	if (f->sb.st_size > MIGRATE_MAX_LOG || lseek(f->fd, 0, SEEK_SET) != 0)
		return FALSE;
	buf = g_byte_array_sized_new((guint)f->sb.st_size + 1);
	for (;;) {
		ssize_t r = read(f->fd, chunk, sizeof chunk);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0 || buf->len + (gsize)r > MIGRATE_MAX_LOG) {
			esess_wipe(chunk, sizeof chunk);
			if (r != 0) {
				esess_wipe(buf->data, buf->len);
				g_byte_array_unref(buf);
				return FALSE;
			}
			break;
		}
		g_byte_array_append(buf, chunk, (guint)r);
	}
	*len = buf->len;
	g_byte_array_append(buf, (const guint8 *)"", 1);
	*data = (char *)g_byte_array_free(buf, FALSE);
	return TRUE;
}

/* The file is still what was read: same file under its name, same size
 * and time of change (a program still writing to it would change them). */
static gboolean
oldfile_unchanged(const OldFile *f, gsize len)
{
	GStatBuf now, named;

	return fstat(f->fd, &now) == 0 && now.st_size == f->sb.st_size && now.st_nlink == 1 &&
	       (gsize)now.st_size == len && now.st_mtim.tv_sec == f->sb.st_mtim.tv_sec &&
	       now.st_mtim.tv_nsec == f->sb.st_mtim.tv_nsec &&
	       fstatat(f->dir, f->base, &named, AT_SYMLINK_NOFOLLOW) == 0 &&
	       named.st_dev == now.st_dev && named.st_ino == now.st_ino;
}

/* Overwrites the plaintext with zeros, syncs it, unlinks it (on SSDs and
 * copy-on-write file systems the old blocks may survive: doc/archive.md).
 * The file is the one opened and read, checked unchanged first. */
static gboolean
shred(OldFile *f, gsize len)
{
	static const guint8 zeros[65536];
	off_t left = (off_t)len, at = 0;
	gboolean ok = oldfile_unchanged(f, len);
	GStatBuf named;

	while (ok && left > 0) {
		ssize_t n = pwrite(f->fd, zeros, left < (off_t)sizeof zeros ? (size_t)left
				   : sizeof zeros, at);

		if (n < 0 && errno == EINTR)
			continue;
		ok = n > 0;
		if (ok) {
			left -= n;
			at += n;
		}
	}
	ok = ok && fsync(f->fd) == 0;
	/* the name still the file overwritten (its time changed, of course) */
	if (!ok || fstatat(f->dir, f->base, &named, AT_SYMLINK_NOFOLLOW) != 0 ||
	    named.st_dev != f->sb.st_dev || named.st_ino != f->sb.st_ino ||
	    unlinkat(f->dir, f->base, 0) != 0)
		return FALSE;
	(void)fsync(f->dir);
	return TRUE;
}

/* One old log: read, parsed, written as a new collection, checked, then
 * its plaintext removed, over several turns of the main loop (a log of
 * tens of megabytes takes seconds to parse and encrypt): each turn parses
 * or encrypts about MIGRATE_SLICE bytes, or does one step on the disk.
 * The file stays open from the read to the removal; that nothing wrote to
 * it meanwhile is checked before it is overwritten (oldfile_unchanged). */
typedef enum {
	CONV_PARSE,               /* lines into records, a slice a turn */
	CONV_ENCRYPT,             /* records into the collection, a slice a turn */
	CONV_WRITE,               /* the collection written under a temporary name */
	CONV_VERIFY,              /* read back and compared with what was written */
	CONV_CHECK,               /* decrypted and compared, a slice a turn */
	CONV_REMOVE               /* named, the plaintext overwritten and removed */
} ConvPhase;

typedef enum {
	CONV_MORE,                /* call conv_step again at the next turn */
	CONV_DONE,
	CONV_FAILED               /* the old log is as it was, no new collection */
} ConvResult;

struct _Conv {
	const OldLog *o;          /* borrowed from the job */
	ConvPhase phase;
	OldFile of;
	char *data;               /* the old log as read (wiped line by line) */
	gsize len;
	gsize pos;                /* parse: the next line */
	Parse parse;
	GPtrArray *msgs;          /* Msg * */
	guint rec;                /* encrypt: the next record */
	EsessArchiveWriter *w;
	GByteArray *all, *b;
	char *own, *with, *dir, *tmp, stamp[32];
	char *back;               /* verify: the new collection read back */
	gsize back_len;
	EsessArchiveReader *rd;   /* check: decrypting it, a slice a turn */
	guint checked;            /* check: records found equal so far */
	guint turns;
};

/* what one turn parses or encrypts of a log: a few milliseconds */
#define MIGRATE_SLICE (256 * 1024)

static void
conv_free(Conv *c)
{
	if (c == NULL)
		return;
	/* unfinished: the new file goes, the old log stays */
	if (c->tmp != NULL)
		g_unlink(c->tmp);
	if (c->data != NULL) {
		esess_wipe(c->data, c->len);
		g_free(c->data);
	}
	parse_clear(&c->parse);
	if (c->all != NULL) {
		esess_wipe(c->all->data, c->all->len);
		g_byte_array_unref(c->all);
	}
	if (c->b != NULL)
		g_byte_array_unref(c->b);
	if (c->msgs != NULL)
		g_ptr_array_unref(c->msgs);
	esess_archive_writer_free(c->w);
	esess_archive_reader_free(c->rd);
	g_free(c->back);
	oldfile_close(&c->of);
	g_free(c->own);
	g_free(c->with);
	g_free(c->dir);
	g_free(c->tmp);
	g_free(c);
}

/* Opens and reads the old log; NULL (and *why) when it is left alone. */
static Conv *
conv_new(const OldLog *o, const char **why)
{
	Conv *c = g_new0(Conv, 1);

	c->o = o;
	c->of.dir = c->of.fd = -1;
	parse_init(&c->parse);
	if (esess_identity_public(o->account) == NULL) {
		*why = "no identity key";
		goto fail;
	}
	if (!oldfile_open(o->path, &c->of)) {
		*why = "cannot open the old log (reached through a link, not a regular "
		       "file, or not writable)";
		goto fail;
	}
	/* another name of the same file (a backup made with hard links, say)
	 * would be overwritten too: such a log is left alone */
	if (c->of.sb.st_nlink != 1) {
		*why = "the old log has other hard links (overwriting it would reach them)";
		goto fail;
	}
	if (!oldfile_read(&c->of, &c->data, &c->len)) {
		*why = "cannot read the old log (or it is larger than 64 MiB)";
		goto fail;
	}
	/* g_utf8_validate refuses a NUL; the lines are checked as they are
	 * parsed (a newline is never inside a UTF-8 sequence) */
	if (memchr(c->data, '\0', c->len) != NULL) {
		*why = "the old log is not UTF-8";
		goto fail;
	}
	c->phase = CONV_PARSE;
	return c;
fail:
	conv_free(c);
	return NULL;
}

static ConvResult
conv_parse(Conv *c, const char **why)
{
	gsize used = 0;
	guint bad = 0;

	/* the lines as g_strsplit(data, "\n") gives them: the last one may
	 * be empty */
	while (c->pos <= c->len && used < MIGRATE_SLICE) {
		char *line = c->data + c->pos;
		char *nl = memchr(line, '\n', c->len - c->pos);
		gsize n = nl != NULL ? (gsize)(nl - line) : c->len - c->pos;

		c->pos += n + 1;
		used += n + 1;
		line[n] = '\0'; /* the newline, or the NUL after the data */
		if (!g_utf8_validate(line, (gssize)n, NULL)) {
			*why = "the old log is not UTF-8";
			return CONV_FAILED;
		}
		parse_line(c->o, &c->parse, line);
	}
	if (c->pos <= c->len)
		return CONV_MORE;
	c->msgs = parse_end(c->o, &c->parse, &bad);
	if (c->msgs == NULL) {
		/* counts only: the lines may hold messages */
		purple_debug_warning(ESESS_DEBUG, "archive: %u lines of an old log are of no "
				     "form this reads\n", bad);
		*why = "a line of the old log is of a form this does not read";
		return CONV_FAILED;
	}
	/* a log of system lines only is converted too: a line of unknown
	 * writer may be a message under an old alias */
	if (c->msgs->len == 0) {
		*why = "nothing to keep in the old log";
		return CONV_FAILED;
	}
	c->phase = CONV_ENCRYPT;
	return CONV_MORE;
}

static ConvResult
conv_encrypt(Conv *c, const char **why)
{
	const EsessPubKey *keys[1];
	gsize used = 0;
	struct tm tm;

	if (c->w == NULL) {
		/* the collection under its log's start time (its name and,
		 * bound in its header, the start: doc/archive.md) */
		if (localtime_r(&c->o->start, &tm) == NULL) {
			*why = "the old log has no start time";
			return CONV_FAILED;
		}
		strftime(c->stamp, sizeof c->stamp, "%Y%m%dT%H%M%S", &tm);
		keys[0] = esess_identity_public(c->o->account);
		if (keys[0] == NULL) {
			*why = "no identity key";
			return CONV_FAILED;
		}
		c->all = g_byte_array_new();
		c->b = g_byte_array_new();
		esess_archive_log_binding(c->o->account, c->o->name, &c->own, &c->with);
		if (esess_archive_writer_new_bound(keys, 1, c->own, c->with, c->stamp, &c->w,
						   c->all) != ESESS_OK) {
			*why = "cannot start a collection";
			return CONV_FAILED;
		}
	}
	while (c->rec < c->msgs->len && used < MIGRATE_SLICE) {
		const Msg *m = g_ptr_array_index(c->msgs, c->rec);

		if (esess_archive_writer_append(c->w, m->dir, m->time, m->sender, m->text->str,
						c->b) != ESESS_OK) {
			*why = "a message does not fit the format";
			return CONV_FAILED;
		}
		/* the record and the new trailer replace the old trailer */
		g_byte_array_set_size(c->all, c->all->len - ESESS_ARCHIVE_TRAILER_LEN);
		g_byte_array_append(c->all, c->b->data, c->b->len);
		used += c->b->len;
		c->rec++;
	}
	if (c->rec == c->msgs->len)
		c->phase = CONV_WRITE;
	return CONV_MORE;
}

static ConvResult
conv_write(Conv *c, const char **why)
{
	c->dir = esess_archive_log_dir(c->o->account, c->o->name);
	if (g_mkdir_with_parents(c->dir, 0700) != 0) {
		*why = "cannot make the folder of the encrypted log";
		return CONV_FAILED;
	}
	c->tmp = g_strdup_printf("%s/.migrating-%u.tmp", c->dir, g_random_int());
	if (!write_file(c->tmp, c->all->data, c->all->len)) {
		*why = "cannot write the new collection";
		return CONV_FAILED;
	}
	c->phase = CONV_VERIFY;
	return CONV_MORE;
}

/* The collection read back from the disk is the one written: its bytes
 * equal those written and its key is wrapped to ours; with the private
 * key, it is then decrypted (conv_check) and every record compared with
 * what was parsed. */
static ConvResult
conv_verify(Conv *c, const char **why)
{
	const EsessPubKey *pk = esess_identity_public(c->o->account);
	EsessIdKey *k = esess_identity_private(c->o->account);

	if (!g_file_get_contents(c->tmp, &c->back, &c->back_len, NULL)) {
		*why = "cannot read the new collection back";
		return CONV_FAILED;
	}
	if (c->back_len != c->all->len || memcmp(c->back, c->all->data, c->back_len) != 0 ||
	    pk == NULL || !esess_archive_has_key((const guint8 *)c->back, c->back_len, pk)) {
		*why = "the new collection on disk differs from what was written";
		return CONV_FAILED;
	}
	if (k == NULL) {
		/* which check it was (tests/e2e waits for these lines) */
		purple_debug_info(ESESS_DEBUG, "archive: a migrated log was checked against the "
				  "bytes written (the private key is locked)\n");
		c->phase = CONV_REMOVE;
		return CONV_MORE;
	}
	if (esess_archive_reader_new_bound((const guint8 *)c->back, c->back_len, k, c->own,
					   c->with, c->stamp, &c->rd) != ESESS_OK) {
		*why = "the new collection does not decrypt to the old log's messages";
		return CONV_FAILED;
	}
	c->phase = CONV_CHECK;
	return CONV_MORE;
}

static ConvResult
conv_check(Conv *c, const char **why)
{
	EsessArchiveRecord *r = NULL;
	gsize used = 0;
	gboolean ok = TRUE;

	while (ok && used < MIGRATE_SLICE) {
		const Msg *m;

		ok = esess_archive_reader_next(c->rd, &r) == ESESS_OK;
		if (ok && r == NULL) {
			/* the trailer holds: all of it was read */
			if (c->checked != c->msgs->len)
				break;
			purple_debug_info(ESESS_DEBUG, "archive: a migrated log was checked by "
					  "decrypting it\n");
			c->phase = CONV_REMOVE;
			return CONV_MORE;
		}
		ok = ok && c->checked < c->msgs->len;
		if (ok) {
			m = g_ptr_array_index(c->msgs, c->checked);
			ok = r->dir == m->dir && r->time == m->time &&
			     strcmp(r->sender, m->sender) == 0 && strcmp(r->text, m->text->str) == 0;
			used += strlen(r->text) + 1;
			c->checked++;
		}
		esess_archive_record_free(r);
		r = NULL;
	}
	if (ok && used >= MIGRATE_SLICE)
		return CONV_MORE;
	*why = "the new collection does not decrypt to the old log's messages";
	return CONV_FAILED;
}

static ConvResult
conv_remove(Conv *c, const char **why)
{
	char *final = NULL;
	gboolean linked = FALSE;
	guint i;

	if (!oldfile_unchanged(&c->of, c->len)) {
		*why = "the old log changed while it was converted";
		return CONV_FAILED;
	}
	/* never over another collection */
	for (i = 0; i < 100 && !linked; i++) {
		g_free(final);
		final = i == 0 ? g_strdup_printf("%s/%s.esa", c->dir, c->stamp)
			: g_strdup_printf("%s/%s-%u.esa", c->dir, c->stamp, i);
		linked = link(c->tmp, final) == 0;
		if (!linked && errno != EEXIST)
			break;
	}
	if (!linked) {
		g_free(final);
		*why = "cannot name the new collection";
		return CONV_FAILED;
	}
	g_unlink(c->tmp);
	g_clear_pointer(&c->tmp, g_free);
	/* from here on the new collection stays, whatever happens */
	if (!sync_dir(c->dir)) {
		/* the new name may not survive a crash: keep the plaintext */
		g_free(final);
		*why = "the folder of the new collection could not be synced";
		return CONV_FAILED;
	}
	if (!shred(&c->of, c->len)) {
		/* the history is in both forms now: say so, keep both */
		g_free(final);
		*why = "the plaintext file could not be removed";
		return CONV_FAILED;
	}
	/* a closed collection like any other: its server copy, when the user
	 * keeps one (esess-archive-server.c) */
	esess_archive_server_closed(c->o->account, c->o->name, final);
	g_free(final);
	return CONV_DONE;
}

/* One slice of the conversion.  CONV_FAILED logs why. */
static ConvResult
conv_step(Conv *c)
{
	const char *why = NULL;
	ConvResult r = CONV_FAILED;

	c->turns++;
	switch (c->phase) {
	case CONV_PARSE:
		r = conv_parse(c, &why);
		break;
	case CONV_ENCRYPT:
		r = conv_encrypt(c, &why);
		break;
	case CONV_WRITE:
		r = conv_write(c, &why);
		break;
	case CONV_VERIFY:
		r = conv_verify(c, &why);
		break;
	case CONV_CHECK:
		r = conv_check(c, &why);
		break;
	case CONV_REMOVE:
		r = conv_remove(c, &why);
		break;
	}
	if (r == CONV_FAILED)
		purple_debug_warning(ESESS_DEBUG, "archive: an old log of %s was not migrated: %s\n",
				     c->o->name, why != NULL ? why : "?");
	else if (r == CONV_DONE)
		purple_debug_info(ESESS_DEBUG, "archive: an old log was migrated in %u turns of the "
				  "main loop\n", c->turns);
	return r;
}

/* The messages carried over (system lines are carried over too, and not
 * counted): what the user is told. */
static guint
conv_count(const Conv *c)
{
	guint i, n = 0;

	for (i = 0; i < c->msgs->len; i++)
		if (((const Msg *)g_ptr_array_index(c->msgs, i))->dir != ESESS_ARCHIVE_OTHER)
			n++;
	return n;
}

/* ---- the user's side ----------------------------------------------- */

static void
tell(Job *job, const char *text)
{
	if (job->account != NULL)
		esess_ui_system(job->account, job->who, text);
	else
		purple_notify_info(esess_ctx->plugin, _("Encrypt old conversation logs"),
				   _("Encrypt old conversation logs"), text);
}

static void
finish(Job *job)
{
	char *text;

	/* counts, never names or contents, in the debug log */
	purple_debug_info(ESESS_DEBUG, "archive: migrated %u old logs (%u messages), %u left\n",
			  job->done, job->msgs, job->failed);
	if (job->failed == 0)
		text = g_strdup_printf(_("Old logs encrypted: %u (%u messages); their plaintext "
					 "files were overwritten and removed."), job->done, job->msgs);
	else
		text = g_strdup_printf(_("Old logs encrypted: %u (%u messages); their plaintext "
					 "files were overwritten and removed. Left as they were: "
					 "%u (the debug window says why)."), job->done, job->msgs,
				       job->failed);
	tell(job, text);
	g_free(text);
	job_free(job);
}

/* A slice of one log per turn of the main loop: a long history (an RSA
 * decryption per log for the check, seconds of parsing for a log of tens
 * of megabytes) never freezes the program. */
static gboolean
run_step(gpointer data)
{
	Job *job = data;
	OldLog *o;
	const char *why = NULL;

	if (job->conv == NULL && job->next != NULL) {
		o = job->next->data;
		job->next = job->next->next;
		/* an account removed meanwhile: its logs stay (and its
		 * conversion ends, esess_archive_migrate_account_removed) */
		if (g_list_find(purple_accounts_get_all(), o->account) == NULL) {
			job->failed++;
		} else {
			job->conv = conv_new(o, &why);
			if (job->conv == NULL) {
				purple_debug_warning(ESESS_DEBUG, "archive: an old log of %s was "
						     "not migrated: %s\n", o->name, why);
				job->failed++;
			}
		}
		return TRUE;
	}
	if (job->conv != NULL) {
		switch (conv_step(job->conv)) {
		case CONV_MORE:
			return TRUE;
		case CONV_DONE:
			job->done++;
			job->msgs += conv_count(job->conv);
			break;
		case CONV_FAILED:
			job->failed++;
			break;
		}
		conv_free(job->conv);
		job->conv = NULL;
		return TRUE;
	}
	job->idle = 0;
	finish(job);
	return FALSE;
}

static void
run(Job *job)
{
	close_in_use(job);
	job->next = job->logs;
	job->idle = g_idle_add(run_step, job);
}

static void next_unlock(Job *job);

static void
unlocked_cb(PurpleAccount *account, gboolean ok, gpointer data)
{
	(void)account;
	(void)ok;
	/* without the private key the check is the structural one */
	if (g_list_find(jobs, data) != NULL)
		next_unlock(data);
}

/* With the private key unlocked, each new collection is decrypted before
 * its plaintext goes: ask for the passphrases first (the user just asked
 * for this), one account after the other. */
static void
next_unlock(Job *job)
{
	while (job->unlock != NULL) {
		PurpleAccount *account = job->unlock->data;

		job->unlock = g_list_delete_link(job->unlock, job->unlock);
		if (esess_identity_would_ask(account)) {
			esess_identity_unlock(account, unlocked_cb, job);
			return;
		}
	}
	run(job);
}

static void
consent_cb(Job *job, int choice)
{
	GList *l;

	(void)choice;
	if (g_list_find(jobs, job) == NULL)
		return;
	for (l = job->logs; l != NULL; l = l->next) {
		OldLog *o = l->data;

		if (g_list_find(job->unlock, o->account) == NULL)
			job->unlock = g_list_append(job->unlock, o->account);
	}
	next_unlock(job);
}

static void
refuse_cb(Job *job, int choice)
{
	(void)choice;
	if (g_list_find(jobs, job) != NULL)
		job_free(job);
}

/* Says what will happen, and waits for the user's yes. */
static void
ask(Job *job, PurpleConversation *conv)
{
	GString *names = g_string_new(NULL);
	GList *l;
	guint n_names = 0;
	char *text;

	for (l = job->logs; l != NULL; l = l->next) {
		OldLog *o = l->data;
		GList *p;
		gboolean seen = FALSE;

		for (p = job->logs; p != l && !seen; p = p->next)
			seen = strcmp(((OldLog *)p->data)->name, o->name) == 0;
		if (seen)
			continue;
		if (n_names < MIGRATE_MAX_NAMES)
			g_string_append_printf(names, "%s%s", names->len > 0 ? ", " : "", o->name);
		else if (n_names == MIGRATE_MAX_NAMES)
			g_string_append(names, ", ...");
		n_names++;
	}
	text = g_strdup_printf(_("Plaintext logs to encrypt: %u, of your conversations with %s. "
				 "Each becomes an encrypted log that only the holder of your "
				 "identity key (and its passphrase, if it has one) can read. Each "
				 "new log is read back and checked, then the plaintext file is "
				 "overwritten and removed; a log that fails the check stays as it "
				 "is."), g_list_length(job->logs), names->str);
	jobs = g_list_prepend(jobs, job);
	purple_request_action(job, _("Encrypt old conversation logs"),
			      _("Encrypt old conversation logs?"), text, 1,
			      job->account, job->who, conv, job, 2,
			      _("_Encrypt and remove"), G_CALLBACK(consent_cb),
			      _("_Cancel"), G_CALLBACK(refuse_cb));
	g_free(text);
	g_string_free(names, TRUE);
}

gboolean
esess_archive_migrate_command(PurpleAccount *account, const char *who, const char *rest)
{
	Job *job;
	char *bare, *sub;
	gboolean yes;

	sub = g_strstrip(g_strdup(rest != NULL ? rest : ""));
	yes = strcmp(sub, "migrate") == 0;
	g_free(sub);
	/* anything else is the command's help */
	if (!yes)
		return FALSE;
	bare = esess_bare_jid(who);
	if (esess_identity_public(account) == NULL) {
		esess_ui_system(account, who,
				_("Old logs cannot be encrypted yet: this account has no identity "
				  "key. It is made the first time you start an encrypted session "
				  "with a contact who uses this plugin, or with /esession key. "
				  "Nothing was changed."));
		g_free(bare);
		return TRUE;
	}
	job = g_new0(Job, 1);
	job->account = account;
	job->who = g_strdup(who);
	if (collect(job, account, bare) == 0) {
		esess_ui_system(account, who, _("There is no plaintext log of this conversation "
						"to encrypt."));
		job_free(job);
	} else {
		ask(job, esess_ui_conv(account, who));
	}
	g_free(bare);
	return TRUE;
}

/* The contacts of an account with a folder of Pidgin's logs: libpurple's
 * own list of log sets finds no account for an XMPP account whose name
 * has a resource, so the account's folder is read here. */
static GList *
log_contacts(PurpleAccount *account)
{
	char *one = purple_log_get_log_dir(PURPLE_LOG_IM, "x", account);
	char *dir = one != NULL ? g_path_get_dirname(one) : NULL;
	GDir *d = dir != NULL ? g_dir_open(dir, 0, NULL) : NULL;
	GList *out = NULL;
	const char *f;

	while (d != NULL && (f = g_dir_read_name(d)) != NULL) {
		/* chats are "<room>.chat", the system log ".system" */
		if (*f == '.' || g_str_has_suffix(f, ".chat"))
			continue;
		out = g_list_prepend(out, g_strdup(purple_unescape_filename(f)));
	}
	if (d != NULL)
		g_dir_close(d);
	g_free(dir);
	g_free(one);
	return g_list_sort(out, (GCompareFunc)strcmp);
}

void
esess_archive_migrate_action(void)
{
	Job *job = g_new0(Job, 1);
	gboolean keyless = FALSE;
	GList *al, *names, *l;

	for (al = purple_accounts_get_all(); al != NULL; al = al->next) {
		PurpleAccount *account = al->data;

		if (g_strcmp0(purple_account_get_protocol_id(account), "prpl-jabber") != 0)
			continue;
		names = log_contacts(account);
		for (l = names; l != NULL; l = l->next) {
			if (!has_record(account, l->data))
				continue;
			if (esess_identity_public(account) == NULL)
				keyless = TRUE;
			else
				collect(job, account, l->data);
		}
		g_list_free_full(names, g_free);
	}
	if (job->logs == NULL) {
		tell(job, keyless
		     ? _("Old logs cannot be encrypted yet: this account has no identity key. It "
			 "is made the first time you start an encrypted session with a contact "
			 "who uses this plugin, or with /esession key. Nothing was changed.")
		     : _("There are no plaintext logs of conversations with contacts you had "
			 "encrypted sessions with."));
		job_free(job);
		return;
	}
	ask(job, NULL);
}

/* An account deleted: the account is freed soon after, so its logs leave
 * every job (they stay as they are), and a job left without a log ends
 * with its consent dialog, whose answer would otherwise reach the freed
 * account (SECURITY 62). */
void
esess_archive_migrate_account_removed(PurpleAccount *account)
{
	GList *jl = jobs;

	while (jl != NULL) {
		Job *job = jl->data;
		GList *l = job->logs;

		jl = jl->next;
		while (l != NULL) {
			GList *next = l->next;

			if (((OldLog *)l->data)->account == account) {
				if (job->next == l)
					job->next = next;
				/* its conversion ends: the old log stays as it was */
				if (job->conv != NULL && job->conv->o == l->data) {
					conv_free(job->conv);
					job->conv = NULL;
					job->failed++;
				}
				oldlog_free(l->data);
				job->logs = g_list_delete_link(job->logs, l);
			}
			l = next;
		}
		job->unlock = g_list_remove_all(job->unlock, account);
		if (job->account == account)
			job->account = NULL;
		if (job->logs == NULL) {
			purple_request_close_with_handle(job);
			job_free(job);
		}
	}
}

void
esess_archive_migrate_shutdown(void)
{
	while (jobs != NULL) {
		Job *job = jobs->data;

		purple_request_close_with_handle(job);
		job_free(job);
	}
	g_clear_pointer(&rx_time, g_regex_unref);
	g_clear_pointer(&rx_html, g_regex_unref);
	g_clear_pointer(&rx_txt, g_regex_unref);
	g_clear_pointer(&rx_html_other, g_regex_unref);
	g_clear_pointer(&rx_html_stamp, g_regex_unref);
	g_clear_pointer(&rx_txt_entry, g_regex_unref);
}
