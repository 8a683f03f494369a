/*
 * esess-client.c - a headless libpurple client for the end-to-end tests
 * (nullclient.c style, doc/hacking.md "Headless libpurple clients").
 *
 * It logs one XMPP account into the test's private Prosody, loads plugins by
 * path, and is driven by one command per line on stdin.  Every event it sees
 * goes to stdout as one line of tab-separated fields, so the driver
 * (tests/e2e/esess_harness.py) can wait for it.  Text fields escape
 * backslash, tab and newline as \\, \t, \n.
 *
 * Usage: esess-client --dir DIR --jid USER@HOST/RES --password PW --port N
 *                     [--log-ims 0|1] [--plugin PATH]... [--ui-id ID]
 *
 * Commands (arguments separated by one space; the last one takes the rest):
 *   send JID HTML            send an IM (creates the conversation)
 *   cmd JID COMMAND...       run a slash command (without the slash) there
 *   close JID                close (destroy) the conversation
 *   answer LABEL             from now on answer every dialog having a button
 *                            LABEL with it (several allowed; first wins)
 *   answer-clear             forget the standing answers
 *   input-text TEXT          text inputs (passphrases) are answered with TEXT
 *                            when their OK button is clicked or answered
 *   click LABEL              answer the oldest pending dialog with LABEL
 *   ipc NAME JID             call the plugin's IPC NAME on the conversation
 *   has-feature JID NS       the XMPP plugin's contact_has_feature
 *   add-buddy JID            add to the roster and subscribe
 *   signoff / signon         disconnect / connect the account
 *   drop                     the connection fails (libpurple's network error path)
 *   action LABEL             run the first plugin's action LABEL (Tools menu);
 *                            prints action-done / action-failed LABEL
 *   unload                   unload every plugin loaded by --plugin
 *   load                     load them again (a plugin reload)
 *   privacy allow-all|allow-buddies   the account's privacy setting
 *   pref-bool PATH 0|1, pref-int PATH N, pref-string PATH VALUE
 *   account-set KEY VALUE    account setting (string)
 *   buddy-set JID KEY VALUE  buddy-node setting (string)
 *   raw XML                  sends a stanza as it is (e.g. the carbons iq)
 *   stall-watch start|stop   measure the longest main-loop stall; stop prints
 *                            "stall MS"
 *   echo TOKEN               prints "echo TOKEN" (a barrier)
 *   burst JID TAG N LEN      sends N messages of LEN bytes, "TAG-i " and filler
 *                            (make bench-e2e); prints burst-start, burst-sent
 *   expect TAG N LEN [reply] counts the messages of such a burst as they are
 *                            shown, each compared with what was sent, without
 *                            a msg event each; prints expect-done when all came;
 *                            with "reply", answers message i with "TAG-r-i"
 *   pingpong JID TAG N LEN   a conversation: sends "TAG-0", and "TAG-(i+1)" when
 *                            the answer "TAG-r-i" came, until N answers came
 *   wire TAG                 prints the wire counters now (wire-sent, wire-recv)
 *   cpu                      prints this process's CPU time so far
 *   account-delete           deletes the account (Accounts > Delete); only
 *                            quit may follow; prints account-deleted
 *   quit                     signs off, unloads the plugins, exits 0
 *
 * Events: ready, signed-on, signed-off, connection-error, msg (conversation
 * writes: FLAGS NAME WHO TEXT), dialog ID TITLE PRIMARY SECONDARY BUTTONS...,
 * dialog-answered ID LABEL, dialog-closed ID, notify TYPE TITLE PRIMARY
 * SECONDARY, state CONV N, title CONV TITLE, ipc NAME JID RESULT,
 * has-feature JID NS 0|1, buddy-signed-on JID, buddy-signed-off JID,
 * debug LEVEL CATEGORY TEXT (warnings and errors only; everything goes to
 * DIR/debug.log), glib LEVEL TEXT, loaded ID [VERSION PATH] (at start-up the
 * plugin's version and file) / load-failed PATH, unloaded ID,
 * burst-start TAG T, burst-sent TAG COUNTS... T, expect-done TAG COUNTS... T,
 * expect-sent TAG COUNTS... T (what this client sent meanwhile),
 * cmd-result JID STATUS ERROR T (T: when the command started),
 * expect-bad TAG TEXT, expect-late TAG TEXT, cpu CPU_US T MAIN_US (T: CLOCK_MONOTONIC
 * in microseconds, the same clock in every process of the machine).
 *
 * The wire counters (burst-sent, expect-done) say what went over the
 * connection during a burst: message stanzas sent as text (the bytes after
 * every plugin, just before the XMPP plugin writes them) and received as XML
 * (before any plugin), each counted as an ESession <c/> (XEP-0200), an OTR
 * body ("?OTR:") or a plain body; "leak" counts sent stanzas that carry the
 * burst's plaintext.  COUNTS are: total esess otr plain leak bytes, and for
 * the stanzas sent their elements and namespace declarations (what the
 * server's parser and serialiser work on: make bench-stanza).
 *
 * --debug-log 0 leaves out DIR/debug.log and libpurple's debug output below
 * warnings, as Pidgin runs with its debug window closed (the benchmark).
 */
/* RUSAGE_THREAD (the cpu command) */
#define _GNU_SOURCE 1

#include "config.h"

#include <execinfo.h>
#include <glib.h>
#include <purple.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#define CLIENT_UI_ID "esess-e2e"

typedef struct {
	guint id;
	char *title;
	GPtrArray *labels;      /* char * */
	GArray *cbs;            /* PurpleRequestActionCb */
	void *user_data;
	gboolean answering;     /* an idle answer is scheduled */
	gboolean input;         /* a text input: cbs are PurpleRequestInputCb */
} Dialog;

static GMainLoop *loop;
static PurpleAccount *account;
static GSList *plugins;          /* PurplePlugin * loaded by --plugin */
static GList *dialogs;           /* Dialog *, oldest first */
static GPtrArray *standing;      /* char *: standing answers */
static char *input_text;         /* what a text input is answered with */
static guint next_dialog_id = 1;
static FILE *debug_file;
static gboolean debug_all = TRUE;    /* --debug-log */
static gboolean quitting;

/* make bench-e2e: one burst sent, one expected, and the wire counters */
#define BENCH_NS_C "http://www.xmpp.org/extensions/xep-0200.html#ns"
#define BENCH_CHUNK 8           /* messages per main-loop turn while sending */

typedef struct {
	char *to;
	char *tag;
	guint n;
	guint next;
	guint len;
} Burst;

typedef struct {
	char *tag;
	guint n;
	guint len;
	guint good;
	guint bad;
	guint dup;
	guint8 *seen;
	gboolean done;
	char *reply_tag;        /* answer message i with "TAG-r-i" (a conversation) */
	char *chain_to;         /* pingpong: send message i+1 when reply i came */
	char *chain_tag;
} Expect;

typedef struct {
	guint total;
	guint esess;
	guint otr;
	guint plain;
	guint leak;
	guint64 bytes;
	guint64 elements;       /* start tags in the stanzas sent */
	guint64 xmlns;          /* namespace declarations in them */
} WireCount;

static Burst *burst;
static char *burst_prefix;      /* "TAG-" of the last burst: quiet, leak check */
static Expect *expect;
static WireCount wire_sent, wire_recv;

/* ---- output --------------------------------------------------------- */

static char *
escape(const char *s)
{
	GString *out = g_string_new(NULL);

	for (; s != NULL && *s != '\0'; s++) {
		switch (*s) {
		case '\\':
			g_string_append(out, "\\\\");
			break;
		case '\t':
			g_string_append(out, "\\t");
			break;
		case '\n':
			g_string_append(out, "\\n");
			break;
		case '\r':
			g_string_append(out, "\\r");
			break;
		default:
			g_string_append_c(out, *s);
		}
	}
	return g_string_free(out, FALSE);
}

/* Prints one event: fields separated by tabs, each escaped. */
static void
emit(const char *event, ...)
{
	va_list ap;
	const char *f;

	fputs(event, stdout);
	va_start(ap, event);
	while ((f = va_arg(ap, const char *)) != NULL) {
		char *e = escape(f);

		fputc('\t', stdout);
		fputs(e, stdout);
		g_free(e);
	}
	va_end(ap);
	fputc('\n', stdout);
	fflush(stdout);
}

/* ---- event loop (nullclient.c) -------------------------------------- */

#define PURPLE_GLIB_READ_COND  (G_IO_IN | G_IO_HUP | G_IO_ERR)
#define PURPLE_GLIB_WRITE_COND (G_IO_OUT | G_IO_HUP | G_IO_ERR | G_IO_NVAL)

typedef struct {
	PurpleInputFunction function;
	guint result;
	gpointer data;
} IoClosure;

static void
io_destroy(gpointer data)
{
	g_free(data);
}

static gboolean
io_invoke(GIOChannel *source, GIOCondition condition, gpointer data)
{
	IoClosure *closure = data;
	int cond = 0;

	(void)source;
	if (condition & PURPLE_GLIB_READ_COND)
		cond |= PURPLE_INPUT_READ;
	if (condition & PURPLE_GLIB_WRITE_COND)
		cond |= PURPLE_INPUT_WRITE;
	closure->function(closure->data, g_io_channel_unix_get_fd(source), cond);
	return TRUE;
}

static guint
input_add(gint fd, PurpleInputCondition condition, PurpleInputFunction function,
	  gpointer data)
{
	IoClosure *closure = g_new0(IoClosure, 1);
	GIOChannel *channel;
	int cond = 0;

	closure->function = function;
	closure->data = data;
	if (condition & PURPLE_INPUT_READ)
		cond |= PURPLE_GLIB_READ_COND;
	if (condition & PURPLE_INPUT_WRITE)
		cond |= PURPLE_GLIB_WRITE_COND;
	channel = g_io_channel_unix_new(fd);
	closure->result = g_io_add_watch_full(channel, G_PRIORITY_DEFAULT, cond,
					      io_invoke, closure, io_destroy);
	g_io_channel_unref(channel);
	return closure->result;
}

static PurpleEventLoopUiOps eventloop_ops = {
	.timeout_add = g_timeout_add,
	.timeout_remove = g_source_remove,
	.input_add = input_add,
	.input_remove = g_source_remove,
	.timeout_add_seconds = g_timeout_add_seconds
};

/* ---- debug ---------------------------------------------------------- */

static const char *
level_name(PurpleDebugLevel level)
{
	switch (level) {
	case PURPLE_DEBUG_ALL:
		return "all";
	case PURPLE_DEBUG_MISC:
		return "misc";
	case PURPLE_DEBUG_INFO:
		return "info";
	case PURPLE_DEBUG_WARNING:
		return "warning";
	case PURPLE_DEBUG_ERROR:
		return "error";
	case PURPLE_DEBUG_FATAL:
		return "fatal";
	}
	return "?";
}

static void
debug_print(PurpleDebugLevel level, const char *category, const char *arg)
{
	if (debug_file != NULL) {
		fprintf(debug_file, "%s %s: %s", level_name(level),
			category ? category : "-", arg);
		fflush(debug_file);
	}
	if (level >= PURPLE_DEBUG_WARNING) {
		char *t = g_strchomp(g_strdup(arg));

		emit("debug", level_name(level), category ? category : "-", t, NULL);
		g_free(t);
	}
}

static gboolean
debug_is_enabled(PurpleDebugLevel level, const char *category)
{
	(void)category;
	return debug_all || level >= PURPLE_DEBUG_WARNING;
}

static PurpleDebugUiOps debug_ops = {
	.print = debug_print,
	.is_enabled = debug_is_enabled
};

static void
glib_log(const gchar *domain, GLogLevelFlags level, const gchar *message, gpointer data)
{
	const char *name = (level & G_LOG_LEVEL_ERROR) ? "error"
		: (level & G_LOG_LEVEL_CRITICAL) ? "critical"
		: (level & G_LOG_LEVEL_WARNING) ? "warning" : "other";

	(void)data;
	if (debug_file != NULL)
		fprintf(debug_file, "glib %s %s: %s\n", name, domain ? domain : "-", message);
	if (level & (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING))
		emit("glib", name, domain ? domain : "-", message, NULL);
}

/* ---- dialogs -------------------------------------------------------- */

static void
dialog_free(Dialog *d)
{
	g_free(d->title);
	g_ptr_array_unref(d->labels);
	g_array_unref(d->cbs);
	g_free(d);
}

static Dialog *
dialog_find(guint id)
{
	GList *l;

	for (l = dialogs; l != NULL; l = l->next) {
		Dialog *d = l->data;

		if (d->id == id)
			return d;
	}
	return NULL;
}

typedef struct {
	guint id;
	guint index;
} Answer;

static gboolean
answer_idle_cb(gpointer data)
{
	Answer *a = data;
	Dialog *d = dialog_find(a->id);
	PurpleRequestActionCb cb;
	char idbuf[16];

	if (d != NULL && a->index < d->cbs->len) {
		g_snprintf(idbuf, sizeof(idbuf), "%u", d->id);
		emit("dialog-answered", idbuf, (const char *)g_ptr_array_index(d->labels, a->index), NULL);
		cb = g_array_index(d->cbs, PurpleRequestActionCb, a->index);
		if (cb != NULL && d->input)
			((PurpleRequestInputCb)(void (*)(void))cb)(d->user_data,
								  input_text != NULL ? input_text : "");
		else if (cb != NULL)
			cb(d->user_data, (int)a->index);
		/* the callback may have closed it already */
		if (dialog_find(a->id) != NULL)
			purple_request_close(d->input ? PURPLE_REQUEST_INPUT : PURPLE_REQUEST_ACTION, d);
	}
	g_free(a);
	return FALSE;
}

static gboolean
dialog_answer(Dialog *d, const char *label)
{
	guint i;

	if (d->answering)
		return FALSE;
	for (i = 0; i < d->labels->len; i++) {
		if (g_strcmp0(g_ptr_array_index(d->labels, i), label) == 0) {
			Answer *a = g_new0(Answer, 1);

			a->id = d->id;
			a->index = i;
			d->answering = TRUE;
			g_idle_add(answer_idle_cb, a);
			return TRUE;
		}
	}
	return FALSE;
}

static Dialog *
dialog_new(const char *title, void *user_data)
{
	Dialog *d = g_new0(Dialog, 1);

	d->id = next_dialog_id++;
	d->title = g_strdup(title);
	d->labels = g_ptr_array_new_with_free_func(g_free);
	d->cbs = g_array_new(FALSE, TRUE, sizeof(PurpleRequestActionCb));
	d->user_data = user_data;
	return d;
}

static void
dialog_add(Dialog *d, const char *label, PurpleRequestActionCb cb)
{
	g_ptr_array_add(d->labels, purple_strreplace(label ? label : "", "_", ""));
	g_array_append_val(d->cbs, cb);
}

/* Lists the dialog, prints it, and answers it when a standing answer fits. */
static void *
dialog_show(Dialog *d, const char *primary, const char *secondary)
{
	GPtrArray *fields = g_ptr_array_new_with_free_func(g_free);
	guint j;

	dialogs = g_list_append(dialogs, d);

	g_ptr_array_add(fields, g_strdup_printf("%u", d->id));
	g_ptr_array_add(fields, g_strdup(d->title ? d->title : ""));
	g_ptr_array_add(fields, g_strdup(primary ? primary : ""));
	g_ptr_array_add(fields, g_strdup(secondary ? secondary : ""));
	{
		GString *line = g_string_new("dialog");

		for (j = 0; j < fields->len; j++) {
			char *e = escape(g_ptr_array_index(fields, j));

			g_string_append_printf(line, "\t%s", e);
			g_free(e);
		}
		for (j = 0; j < d->labels->len; j++) {
			char *e = escape(g_ptr_array_index(d->labels, j));

			g_string_append_printf(line, "\t%s", e);
			g_free(e);
		}
		puts(line->str);
		fflush(stdout);
		g_string_free(line, TRUE);
	}
	g_ptr_array_unref(fields);

	for (j = 0; j < standing->len; j++)
		if (dialog_answer(d, g_ptr_array_index(standing, j)))
			break;
	return d;
}

static void *
request_action(const char *title, const char *primary, const char *secondary,
	       int default_action, PurpleAccount *acct, const char *who,
	       PurpleConversation *conv, void *user_data, size_t action_count,
	       va_list actions)
{
	Dialog *d = dialog_new(title, user_data);
	size_t i;

	(void)default_action;
	(void)acct;
	(void)who;
	(void)conv;
	for (i = 0; i < action_count; i++) {
		const char *label = va_arg(actions, const char *);
		PurpleRequestActionCb cb = va_arg(actions, PurpleRequestActionCb);

		dialog_add(d, label, cb);
	}
	return dialog_show(d, primary, secondary);
}

static void
close_request(PurpleRequestType type, void *ui_handle)
{
	GList *l = g_list_find(dialogs, ui_handle);
	char idbuf[16];

	if ((type != PURPLE_REQUEST_ACTION && type != PURPLE_REQUEST_INPUT) || l == NULL)
		return;
	g_snprintf(idbuf, sizeof(idbuf), "%u", ((Dialog *)ui_handle)->id);
	emit("dialog-closed", idbuf, NULL);
	dialogs = g_list_delete_link(dialogs, l);
	dialog_free(ui_handle);
}

/* A text input (a passphrase): shown as a dialog with its two buttons; the
 * OK button answers with the text set by the input-text command. */
static void *
request_input(const char *title, const char *primary, const char *secondary,
	      const char *default_value, gboolean multiline, gboolean masked, gchar *hint,
	      const char *ok_text, GCallback ok_cb, const char *cancel_text,
	      GCallback cancel_cb, PurpleAccount *acct, const char *who,
	      PurpleConversation *conv, void *user_data)
{
	Dialog *d;

	(void)default_value;
	(void)multiline;
	(void)masked;
	(void)hint;
	(void)acct;
	(void)who;
	(void)conv;
	d = dialog_new(title, user_data);
	d->input = TRUE;
	dialog_add(d, ok_text, (PurpleRequestActionCb)(void (*)(void))ok_cb);
	dialog_add(d, cancel_text, (PurpleRequestActionCb)(void (*)(void))cancel_cb);
	return dialog_show(d, primary, secondary);
}

static PurpleRequestUiOps request_ops = {
	.request_input = request_input,
	.request_action = request_action,
	.close_request = close_request
};

static void *
notify_message(PurpleNotifyMsgType type, const char *title, const char *primary,
	       const char *secondary)
{
	const char *t = type == PURPLE_NOTIFY_MSG_ERROR ? "error"
		: type == PURPLE_NOTIFY_MSG_WARNING ? "warning" : "info";

	emit("notify", t, title ? title : "", primary ? primary : "",
	     secondary ? secondary : "", NULL);
	return NULL;
}

static void *
notify_formatted(const char *title, const char *primary, const char *secondary,
		 const char *text)
{
	emit("notify", "formatted", title ? title : "", primary ? primary : "",
	     secondary ? secondary : "", text ? text : "", NULL);
	return NULL;
}

static PurpleNotifyUiOps notify_ops = {
	.notify_message = notify_message,
	.notify_formatted = notify_formatted
};

/* ---- accounts: authorise every subscription (test rosters) ---------- */

typedef struct {
	PurpleAccountRequestAuthorizationCb cb;
	void *data;
} Authorize;

static gboolean
authorize_idle_cb(gpointer data)
{
	Authorize *a = data;

	a->cb(a->data);
	g_free(a);
	return FALSE;
}

static void *
request_authorize(PurpleAccount *acct, const char *remote_user, const char *id,
		  const char *alias, const char *message, gboolean on_list,
		  PurpleAccountRequestAuthorizationCb authorize_cb,
		  PurpleAccountRequestAuthorizationCb deny_cb, void *user_data)
{
	Authorize *a = g_new0(Authorize, 1);

	(void)acct;
	(void)id;
	(void)alias;
	(void)message;
	(void)on_list;
	(void)deny_cb;
	emit("authorize", remote_user, NULL);
	a->cb = authorize_cb;
	a->data = user_data;
	g_idle_add(authorize_idle_cb, a);
	return a;
}

static PurpleAccountUiOps account_ops = {
	.request_authorize = request_authorize
};

/* ---- make bench-e2e: bursts, expectations, wire counters ------------- */

static PurpleConversation *get_conv(const char *who);

static gint64
now_us(void)
{
	return g_get_monotonic_time();
}

/* Message i of a burst: "TAG-i " and filler, len bytes in all (no markup,
 * no character libpurple escapes, no trailing space). */
static char *
bench_text(const char *tag, guint i, guint len)
{
	static const char filler[] = "the quick brown fox jumps over the lazy dog ";
	GString *t = g_string_new(NULL);

	g_string_printf(t, "%s-%u ", tag, i);
	while (t->len < len)
		g_string_append_c(t, filler[(t->len) % (sizeof(filler) - 1)]);
	if (t->len > 0 && t->str[t->len - 1] == ' ')
		t->str[t->len - 1] = 'x';
	return g_string_free(t, FALSE);
}

static void
wire_emit(const char *event, const char *tag, const WireCount *w)
{
	char total[16], esess[16], otr[16], plain[16], leak[16], bytes[32], t[32];
	char elements[32], xmlns[32];

	g_snprintf(total, sizeof(total), "%u", w->total);
	g_snprintf(esess, sizeof(esess), "%u", w->esess);
	g_snprintf(otr, sizeof(otr), "%u", w->otr);
	g_snprintf(plain, sizeof(plain), "%u", w->plain);
	g_snprintf(leak, sizeof(leak), "%u", w->leak);
	g_snprintf(bytes, sizeof(bytes), "%" G_GUINT64_FORMAT, w->bytes);
	g_snprintf(elements, sizeof(elements), "%" G_GUINT64_FORMAT, w->elements);
	g_snprintf(xmlns, sizeof(xmlns), "%" G_GUINT64_FORMAT, w->xmlns);
	g_snprintf(t, sizeof(t), "%" G_GINT64_FORMAT, now_us());
	emit(event, tag, total, esess, otr, plain, leak, bytes, elements, xmlns, t, NULL);
}

/* jabber-sending-text, last of all handlers: the text the XMPP plugin writes */
static void
wire_sending_cb(PurpleConnection *gc, char **text, gpointer data)
{
	const char *s = text != NULL ? *text : NULL;
	const char *p;

	(void)gc;
	(void)data;
	if (s == NULL || strncmp(s, "<message", 8) != 0)
		return;
	wire_sent.total++;
	wire_sent.bytes += strlen(s);
	for (p = s; (p = strchr(p, '<')) != NULL; p++)
		if (g_ascii_isalpha(p[1]))
			wire_sent.elements++;
	for (p = s; (p = strstr(p, " xmlns")) != NULL; p++)
		if (p[6] == '=' || p[6] == ':')
			wire_sent.xmlns++;
	if (strstr(s, BENCH_NS_C) != NULL)
		wire_sent.esess++;
	else if (strstr(s, "?OTR:") != NULL)
		wire_sent.otr++;
	else if (strstr(s, "<body") != NULL)
		wire_sent.plain++;
	if (burst_prefix != NULL && strstr(s, burst_prefix) != NULL)
		wire_sent.leak++;
}

/* jabber-receiving-xmlnode, first of all handlers: the stanza as it came */
static void
wire_receiving_cb(PurpleConnection *gc, xmlnode **packet, gpointer data)
{
	xmlnode *node = packet != NULL ? *packet : NULL;
	xmlnode *c;
	gboolean esess = FALSE, otr = FALSE, plain = FALSE;

	(void)gc;
	(void)data;
	if (node == NULL || node->name == NULL || strcmp(node->name, "message") != 0)
		return;
	wire_recv.total++;
	for (c = node->child; c != NULL; c = c->next) {
		if (c->type != XMLNODE_TYPE_TAG)
			continue;
		if (strcmp(c->name, "c") == 0 &&
		    g_strcmp0(xmlnode_get_namespace(c), BENCH_NS_C) == 0) {
			esess = TRUE;
		} else if (strcmp(c->name, "body") == 0) {
			xmlnode *d = c->child;

			if (d != NULL && d->type == XMLNODE_TYPE_DATA && d->data_sz >= 5 &&
			    memcmp(d->data, "?OTR:", 5) == 0)
				otr = TRUE;
			else
				plain = TRUE;
		}
	}
	if (esess)
		wire_recv.esess++;
	else if (otr)
		wire_recv.otr++;
	else if (plain)
		wire_recv.plain++;
}

static void
burst_free(Burst *b)
{
	g_free(b->to);
	g_free(b->tag);
	g_free(b);
}

static gboolean
burst_idle_cb(gpointer data)
{
	guint i;

	(void)data;
	for (i = 0; i < BENCH_CHUNK && burst->next < burst->n; i++, burst->next++) {
		char *text = bench_text(burst->tag, burst->next, burst->len);

		purple_conv_im_send(PURPLE_CONV_IM(get_conv(burst->to)), text);
		g_free(text);
	}
	if (burst->next < burst->n)
		return TRUE;
	wire_emit("burst-sent", burst->tag, &wire_sent);
	burst_free(burst);
	burst = NULL;
	return FALSE;
}

static void
do_burst(const char *rest)
{
	char **r = g_strsplit(rest, " ", 4);
	char t[32];

	if (burst != NULL || g_strv_length(r) != 4) {
		emit("burst-failed", rest, NULL);
		g_strfreev(r);
		return;
	}
	burst = g_new0(Burst, 1);
	burst->to = g_strdup(r[0]);
	burst->tag = g_strdup(r[1]);
	burst->n = (guint)strtoul(r[2], NULL, 10);
	burst->len = (guint)strtoul(r[3], NULL, 10);
	g_free(burst_prefix);
	burst_prefix = g_strdup_printf("%s-", burst->tag);
	memset(&wire_sent, 0, sizeof(wire_sent));
	g_strfreev(r);
	g_snprintf(t, sizeof(t), "%" G_GINT64_FORMAT, now_us());
	emit("burst-start", burst->tag, t, NULL);
	/* below I/O: what arrives meanwhile is handled between chunks */
	g_idle_add(burst_idle_cb, NULL);
}

static void
expect_free(Expect *e)
{
	g_free(e->tag);
	g_free(e->seen);
	g_free(e->reply_tag);
	g_free(e->chain_to);
	g_free(e->chain_tag);
	g_free(e);
}

static Expect *
expect_new(const char *tag, guint n, guint len)
{
	if (expect != NULL)
		expect_free(expect);
	expect = g_new0(Expect, 1);
	expect->tag = g_strdup(tag);
	expect->n = n;
	expect->len = len;
	expect->seen = g_malloc0(n + 1);
	memset(&wire_recv, 0, sizeof(wire_recv));
	return expect;
}

typedef struct {
	char *to;
	char *text;
} LaterSend;

static gboolean
send_later_cb(gpointer data)
{
	LaterSend *l = data;

	purple_conv_im_send(PURPLE_CONV_IM(get_conv(l->to)), l->text);
	g_free(l->to);
	g_free(l->text);
	g_free(l);
	return FALSE;
}

/* From the main loop, not from inside the conversation write that asked
 * for it (a send nested in a receive is not what a user does). */
static void
send_later(const char *to, const char *tag, guint i, guint len)
{
	LaterSend *l = g_new0(LaterSend, 1);

	l->to = g_strdup(to);
	l->text = bench_text(tag, i, len);
	g_idle_add(send_later_cb, l);
}

static void
do_expect(const char *rest)
{
	char **r = g_strsplit(rest, " ", 4);
	guint n = g_strv_length(r);

	if (n != 3 && !(n == 4 && strcmp(r[3], "reply") == 0)) {
		emit("expect-failed", rest, NULL);
		g_strfreev(r);
		return;
	}
	expect_new(r[0], (guint)strtoul(r[1], NULL, 10), (guint)strtoul(r[2], NULL, 10));
	if (n == 4) {
		expect->reply_tag = g_strdup_printf("%s-r", expect->tag);
		/* the answers are this client's sends: quiet, counted, leak-checked */
		g_free(burst_prefix);
		burst_prefix = g_strdup_printf("%s-", expect->tag);
		memset(&wire_sent, 0, sizeof(wire_sent));
	}
	g_strfreev(r);
	emit("expecting", expect->tag, NULL);
}

static void
do_pingpong(const char *rest)
{
	char **r = g_strsplit(rest, " ", 4);
	char *reply_tag;
	char t[32];
	guint len;

	if (g_strv_length(r) != 4) {
		emit("pingpong-failed", rest, NULL);
		g_strfreev(r);
		return;
	}
	len = (guint)strtoul(r[3], NULL, 10);
	reply_tag = g_strdup_printf("%s-r", r[1]);
	expect_new(reply_tag, (guint)strtoul(r[2], NULL, 10), len);
	expect->chain_to = g_strdup(r[0]);
	expect->chain_tag = g_strdup(r[1]);
	g_free(burst_prefix);
	burst_prefix = g_strdup_printf("%s-", r[1]);
	memset(&wire_sent, 0, sizeof(wire_sent));
	g_snprintf(t, sizeof(t), "%" G_GINT64_FORMAT, now_us());
	emit("burst-start", r[1], t, NULL);
	send_later(r[0], r[1], 0, len);
	g_free(reply_tag);
	g_strfreev(r);
}

/* TRUE when the conversation write belongs to a burst and is counted here
 * instead of printed (one event per message would cost more than the
 * message). */
static gboolean
bench_write_conv(PurpleConversation *conv, const char *message, PurpleMessageFlags flags)
{
	size_t tl;
	char *end = NULL;
	char *want;
	unsigned long i;

	if (message == NULL)
		return FALSE;
	if ((flags & PURPLE_MESSAGE_SEND) && burst_prefix != NULL &&
	    g_str_has_prefix(message, burst_prefix))
		return TRUE;
	if (!(flags & PURPLE_MESSAGE_RECV) || expect == NULL)
		return FALSE;
	tl = strlen(expect->tag);
	if (strncmp(message, expect->tag, tl) != 0 || message[tl] != '-')
		return FALSE;
	i = strtoul(message + tl + 1, &end, 10);
	if (expect->done) {
		emit("expect-late", expect->tag, message, NULL);
		return TRUE;
	}
	want = i < expect->n ? bench_text(expect->tag, (guint)i, expect->len) : NULL;
	if (want == NULL || strcmp(want, message) != 0) {
		if (expect->bad++ == 0)
			emit("expect-bad", expect->tag, message, NULL);
	} else if (expect->seen[i]) {
		expect->dup++;
	} else {
		expect->seen[i] = 1;
		expect->good++;
		if (expect->reply_tag != NULL)
			send_later(purple_conversation_get_name(conv), expect->reply_tag, (guint)i,
				   expect->len);
		if (expect->chain_to != NULL && i + 1 < expect->n)
			send_later(expect->chain_to, expect->chain_tag, (guint)i + 1, expect->len);
	}
	g_free(want);
	if (expect->good == expect->n) {
		char good[16], bad[16], dup[16];

		expect->done = TRUE;
		g_snprintf(good, sizeof(good), "%u", expect->good);
		g_snprintf(bad, sizeof(bad), "%u", expect->bad);
		g_snprintf(dup, sizeof(dup), "%u", expect->dup);
		emit("expect-counts", expect->tag, good, bad, dup, NULL);
		wire_emit("expect-done", expect->tag, &wire_recv);
		wire_emit("expect-sent", expect->tag, &wire_sent);
	}
	return TRUE;
}

static gint64
rusage_us(int who)
{
	struct rusage ru;

	if (getrusage(who, &ru) != 0)
		return -1;
	return (gint64)ru.ru_utime.tv_sec * G_USEC_PER_SEC + ru.ru_utime.tv_usec +
	       (gint64)ru.ru_stime.tv_sec * G_USEC_PER_SEC + ru.ru_stime.tv_usec;
}

/* "cpu PROCESS_US TIME_US MAIN_THREAD_US": the process's CPU time (every
 * thread), and the main loop's alone, which tells the benchmark when a
 * background thread (a key being made) ran during a burst */
static void
do_cpu(void)
{
	char cpu[32], t[32], main_thread[32];

	g_snprintf(cpu, sizeof(cpu), "%" G_GINT64_FORMAT, rusage_us(RUSAGE_SELF));
	g_snprintf(main_thread, sizeof(main_thread), "%" G_GINT64_FORMAT,
		   rusage_us(RUSAGE_THREAD));
	g_snprintf(t, sizeof(t), "%" G_GINT64_FORMAT, now_us());
	emit("cpu", cpu, t, main_thread, NULL);
}

/* ---- conversations -------------------------------------------------- */

static void
write_conv(PurpleConversation *conv, const char *name, const char *alias,
	   const char *message, PurpleMessageFlags flags, time_t mtime)
{
	GString *f = g_string_new(NULL);
	char when[32];

	(void)alias;
	if (bench_write_conv(conv, message, flags))
		return;
	if (flags & PURPLE_MESSAGE_SEND)
		g_string_append(f, "send,");
	if (flags & PURPLE_MESSAGE_RECV)
		g_string_append(f, "recv,");
	if (flags & PURPLE_MESSAGE_SYSTEM)
		g_string_append(f, "system,");
	if (flags & PURPLE_MESSAGE_ERROR)
		g_string_append(f, "error,");
	if (flags & PURPLE_MESSAGE_NOTIFY)
		g_string_append(f, "notify,");
	if (flags & PURPLE_MESSAGE_NO_LOG)
		g_string_append(f, "nolog,");
	if (flags & PURPLE_MESSAGE_DELAYED)
		g_string_append(f, "delayed,");
	if (f->len > 0)
		g_string_truncate(f, f->len - 1);
	else
		g_string_append(f, "none");
	/* the sixth field: the message's time (seconds since the epoch) */
	g_snprintf(when, sizeof when, "%" G_GINT64_FORMAT, (gint64)mtime);
	emit("msg", f->str, purple_conversation_get_name(conv), name ? name : "",
	     message ? message : "", when, NULL);
	g_string_free(f, TRUE);
}

static PurpleConversationUiOps conv_ops = {
	.write_conv = write_conv
};

static PurpleConversation *
get_conv(const char *who)
{
	PurpleConversation *conv;

	conv = purple_find_conversation_with_account(PURPLE_CONV_TYPE_IM, who, account);
	if (conv == NULL)
		conv = purple_conversation_new(PURPLE_CONV_TYPE_IM, account, who);
	return conv;
}

/* ---- signals -------------------------------------------------------- */

static void
signed_on_cb(PurpleConnection *gc, gpointer data)
{
	(void)gc;
	(void)data;
	emit("signed-on", purple_account_get_username(account), NULL);
}

static void
signed_off_cb(PurpleConnection *gc, gpointer data)
{
	(void)gc;
	(void)data;
	emit("signed-off", purple_account_get_username(account), NULL);
}

static void
connection_error_cb(PurpleConnection *gc, PurpleConnectionError err,
		    const gchar *desc, gpointer data)
{
	char buf[16];

	(void)gc;
	(void)data;
	g_snprintf(buf, sizeof(buf), "%d", (int)err);
	emit("connection-error", buf, desc ? desc : "", NULL);
}

static void
buddy_signed_on_cb(PurpleBuddy *buddy, gpointer data)
{
	(void)data;
	emit("buddy-signed-on", purple_buddy_get_name(buddy), NULL);
}

static void
buddy_signed_off_cb(PurpleBuddy *buddy, gpointer data)
{
	(void)data;
	emit("buddy-signed-off", purple_buddy_get_name(buddy), NULL);
}

static void
conv_updated_cb(PurpleConversation *conv, PurpleConvUpdateType type, gpointer data)
{
	(void)data;
	if (type == PURPLE_CONV_UPDATE_TITLE)
		emit("title", purple_conversation_get_name(conv),
		     purple_conversation_get_title(conv), NULL);
	if (type == PURPLE_CONV_UPDATE_LOGGING)
		emit("logging", purple_conversation_get_name(conv),
		     purple_conversation_is_logging(conv) ? "1" : "0", NULL);
}

static void
state_changed_cb(PurpleConversation *conv, gint state, gpointer data)
{
	char buf[16], t[32];

	(void)data;
	g_snprintf(buf, sizeof(buf), "%d", state);
	g_snprintf(t, sizeof(t), "%" G_GINT64_FORMAT, now_us());
	emit("state", conv ? purple_conversation_get_name(conv) : "", buf, t, NULL);
}

/* Only this project's plugin has the signal (pidgin-otr, loaded by the
 * benchmark, does not: connecting there is a GLib critical). */
static void
connect_state_signal(PurplePlugin *p)
{
	if (g_strcmp0(purple_plugin_get_id(p), "core-esessions") != 0)
		return;
	purple_signal_connect(p, "esessions-state-changed", &loop,
			      PURPLE_CALLBACK(state_changed_cb), NULL);
}

/* ---- commands ------------------------------------------------------- */

static void
unload_plugins(void)
{
	GSList *l;

	for (l = plugins; l != NULL; l = l->next) {
		PurplePlugin *p = l->data;

		if (purple_plugin_is_loaded(p)) {
			gboolean ok = purple_plugin_unload(p);

			emit(ok ? "unloaded" : "unload-failed", purple_plugin_get_id(p), NULL);
		}
	}
}

static PurplePlugin *
first_plugin(void)
{
	return plugins != NULL ? plugins->data : NULL;
}

static void
do_ipc(const char *name, const char *who)
{
	PurplePlugin *p = first_plugin();
	PurpleConversation *conv = get_conv(who);
	gboolean ok = FALSE;

	if (p == NULL) {
		emit("ipc", name, who, "no-plugin", NULL);
	} else if (strcmp(name, "get-state") == 0) {
		int st = GPOINTER_TO_INT(purple_plugin_ipc_call(p, name, &ok, conv));
		char buf[16];

		g_snprintf(buf, sizeof(buf), "%d", st);
		emit("ipc", name, who, ok ? buf : "failed", NULL);
	} else if (strcmp(name, "get-details") == 0) {
		char *text = purple_plugin_ipc_call(p, name, &ok, conv);

		emit("ipc", name, who, ok ? (text ? text : "") : "failed", NULL);
		g_free(text);
	} else {
		purple_plugin_ipc_call(p, name, &ok, conv);
		emit("ipc", name, who, ok ? "ok" : "failed", NULL);
	}
}

static void
do_has_feature(const char *who, const char *ns)
{
	PurplePlugin *jabber = purple_find_prpl("prpl-jabber");
	gboolean ok = FALSE;
	gboolean has;

	has = GPOINTER_TO_INT(purple_plugin_ipc_call(jabber, "contact_has_feature", &ok,
						     account, who, ns));
	emit("has-feature", who, ns, ok ? (has ? "1" : "0") : "failed", NULL);
}

static void
do_add_buddy(const char *who)
{
	PurpleBuddy *b = purple_find_buddy(account, who);

	if (b == NULL) {
		b = purple_buddy_new(account, who, NULL);
		purple_blist_add_buddy(b, NULL, NULL, NULL);
	}
	purple_account_add_buddy(account, b);
	emit("buddy-added", who, NULL);
}

static void
do_quit(void)
{
	if (quitting)
		return;
	quitting = TRUE;
	/* sign off first so plugins see signing-off while still connected */
	if (account != NULL &&
	    (purple_account_is_connected(account) || purple_account_is_connecting(account)))
		purple_account_disconnect(account);
	unload_plugins();
	g_main_loop_quit(loop);
}

/* ---- main-loop stalls (issue 12: key generation must not block) ---- */

static guint stall_id;
static gint64 stall_last, stall_max;

static gboolean
stall_tick_cb(gpointer data)
{
	gint64 now = g_get_monotonic_time();

	(void)data;
	if (now - stall_last > stall_max)
		stall_max = now - stall_last;
	stall_last = now;
	return TRUE;
}

/* start: a 5 ms tick records the longest gap between two ticks; stop:
 * prints "stall MS" (the longest gap, in milliseconds). */
static void
stall_watch(gboolean start)
{
	char buf[32];

	if (stall_id != 0) {
		g_source_remove(stall_id);
		stall_id = 0;
	}
	if (start) {
		stall_last = g_get_monotonic_time();
		stall_max = 0;
		stall_id = g_timeout_add(5, stall_tick_cb, NULL);
		return;
	}
	stall_tick_cb(NULL);
	g_snprintf(buf, sizeof(buf), "%" G_GINT64_FORMAT, stall_max / 1000);
	emit("stall", buf, NULL);
}

/* Splits "a b rest..." into n fields, the last taking the rest. */
static char **
split_args(const char *line, int n)
{
	return g_strsplit(line, " ", n);
}

/* The log viewer's paths (issue 13): every log of the conversation with
 * peer, from every logger (libpurple's purple_log_get_logs, as Pidgin's
 * and Finch's viewers list them), each read as they show it (their search
 * reads the same text): "log", logger id, size, read text, date as shown
 * ("Thu 2026-12-03"); then
 * "logs-done", count, total size. */
static void
do_logs(const char *peer)
{
	GList *logs = purple_log_get_logs(PURPLE_LOG_IM, peer, account), *l;
	guint n = 0;
	char num[32], total[32];

	for (l = logs; l != NULL; l = l->next) {
		PurpleLog *log = l->data;
		PurpleLogReadFlags flags = 0;
		char *text = purple_log_read(log, &flags);
		char size[32], date[64] = "";
		struct tm tm;

		g_snprintf(size, sizeof size, "%d", purple_log_get_size(log));
		/* the date as the viewers show it: the log's struct tm if any */
		if (log->tm != NULL)
			tm = *log->tm;
		else
			localtime_r(&log->time, &tm);
		strftime(date, sizeof date, "%a %Y-%m-%d", &tm);
		emit("log", log->logger != NULL ? log->logger->id : "", size,
		     text != NULL ? text : "", date, NULL);
		g_free(text);
		purple_log_free(log);
		n++;
	}
	g_list_free(logs);
	g_snprintf(num, sizeof num, "%u", n);
	g_snprintf(total, sizeof total, "%d",
		   purple_log_get_total_size(PURPLE_LOG_IM, peer, account));
	emit("logs-done", num, total, NULL);
}

/* The first plugin's action with this label (as the Tools menu runs it). */
static void
run_action(const char *label)
{
	PurplePlugin *p = first_plugin();
	GList *actions = NULL, *l;
	gboolean done = FALSE;

	if (p != NULL && p->info != NULL && p->info->actions != NULL)
		actions = p->info->actions(p, NULL);
	for (l = actions; l != NULL; l = l->next) {
		PurplePluginAction *a = l->data;

		if (a == NULL)
			continue;
		if (!done && g_strcmp0(a->label, label) == 0) {
			a->plugin = p;
			a->callback(a);
			done = TRUE;
		}
		purple_plugin_action_free(a);
	}
	g_list_free(actions);
	emit(done ? "action-done" : "action-failed", label, NULL);
}

static void
handle_line(char *line)
{
	char **a = split_args(line, 2);
	const char *cmd = a[0] ? a[0] : "";
	const char *rest = a[0] && a[1] ? a[1] : "";
	char **r = NULL;

	if (strcmp(cmd, "send") == 0) {
		r = split_args(rest, 2);
		if (r[0] && r[1])
			purple_conv_im_send(PURPLE_CONV_IM(get_conv(r[0])), r[1]);
	} else if (strcmp(cmd, "cmd") == 0) {
		r = split_args(rest, 2);
		if (r[0] && r[1]) {
			/* when the command started, for the benchmark's time to private */
			gint64 started = now_us();
			PurpleConversation *conv = get_conv(r[0]);
			char *err = NULL;
			char *markup = g_markup_escape_text(r[1], -1);
			PurpleCmdStatus st = purple_cmd_do_command(conv, r[1], markup, &err);
			char buf[16], t[32];

			g_snprintf(buf, sizeof(buf), "%d", (int)st);
			g_snprintf(t, sizeof(t), "%" G_GINT64_FORMAT, started);
			emit("cmd-result", r[0], buf, err ? err : "", t, NULL);
			g_free(err);
			g_free(markup);
		}
	} else if (strcmp(cmd, "close") == 0) {
		PurpleConversation *conv = purple_find_conversation_with_account(
			PURPLE_CONV_TYPE_IM, rest, account);

		if (conv != NULL)
			purple_conversation_destroy(conv);
		emit("closed", rest, NULL);
	} else if (strcmp(cmd, "answer") == 0) {
		GList *l;

		g_ptr_array_add(standing, g_strdup(rest));
		for (l = dialogs; l != NULL; l = l->next)
			(void)dialog_answer(l->data, rest);
	} else if (strcmp(cmd, "input-text") == 0) {
		g_free(input_text);
		input_text = g_strdup(rest);
	} else if (strcmp(cmd, "answer-clear") == 0) {
		g_ptr_array_set_size(standing, 0);
	} else if (strcmp(cmd, "click") == 0) {
		GList *l;
		gboolean done = FALSE;

		for (l = dialogs; l != NULL && !done; l = l->next)
			done = dialog_answer(l->data, rest);
		if (!done)
			emit("click-failed", rest, NULL);
	} else if (strcmp(cmd, "ipc") == 0) {
		r = split_args(rest, 2);
		if (r[0] && r[1])
			do_ipc(r[0], r[1]);
	} else if (strcmp(cmd, "has-feature") == 0) {
		r = split_args(rest, 2);
		if (r[0] && r[1])
			do_has_feature(r[0], r[1]);
	} else if (strcmp(cmd, "add-buddy") == 0) {
		do_add_buddy(rest);
	} else if (strcmp(cmd, "signoff") == 0) {
		purple_account_set_enabled(account, purple_core_get_ui(), FALSE);
	} else if (strcmp(cmd, "drop") == 0) {
		PurpleConnection *gc = purple_account_get_connection(account);

		if (gc != NULL)
			purple_connection_error_reason(gc, PURPLE_CONNECTION_ERROR_NETWORK_ERROR,
						       "connection dropped by the test");
	} else if (strcmp(cmd, "signon") == 0) {
		purple_account_set_enabled(account, purple_core_get_ui(), TRUE);
	} else if (strcmp(cmd, "action") == 0) {
		run_action(rest);
	} else if (strcmp(cmd, "unload") == 0) {
		unload_plugins();
	} else if (strcmp(cmd, "load") == 0) {
		GSList *l;

		for (l = plugins; l != NULL; l = l->next) {
			PurplePlugin *p = l->data;

			if (!purple_plugin_is_loaded(p)) {
				gboolean ok = purple_plugin_load(p);

				emit(ok ? "loaded" : "load-failed", purple_plugin_get_id(p), NULL);
				if (ok)
					connect_state_signal(p);
			}
		}
	} else if (strcmp(cmd, "privacy") == 0) {
		purple_account_set_privacy_type(account, strcmp(rest, "allow-buddies") == 0
						? PURPLE_PRIVACY_ALLOW_BUDDYLIST
						: PURPLE_PRIVACY_ALLOW_ALL);
		emit("privacy", rest, NULL);
	} else if (strcmp(cmd, "pref-bool") == 0) {
		r = split_args(rest, 2);
		if (r[0] && r[1])
			purple_prefs_set_bool(r[0], atoi(r[1]) != 0);
	} else if (strcmp(cmd, "pref-int") == 0) {
		r = split_args(rest, 2);
		if (r[0] && r[1])
			purple_prefs_set_int(r[0], atoi(r[1]));
	} else if (strcmp(cmd, "pref-string") == 0) {
		r = split_args(rest, 2);
		if (r[0] && r[1])
			purple_prefs_set_string(r[0], r[1]);
	} else if (strcmp(cmd, "account-set") == 0) {
		r = split_args(rest, 2);
		if (r[0] && r[1])
			purple_account_set_string(account, r[0], r[1]);
	} else if (strcmp(cmd, "buddy-set") == 0) {
		r = split_args(rest, 3);
		if (r[0] && r[1] && r[2]) {
			PurpleBuddy *b = purple_find_buddy(account, r[0]);

			if (b != NULL)
				purple_blist_node_set_string((PurpleBlistNode *)b, r[1], r[2]);
			else
				emit("no-buddy", r[0], NULL);
		}
	} else if (strcmp(cmd, "raw") == 0) {
		PurpleConnection *gc = purple_account_get_connection(account);
		xmlnode *node = xmlnode_from_str(rest, -1);

		if (gc != NULL && node != NULL)
			purple_signal_emit(purple_connection_get_prpl(gc),
					   "jabber-sending-xmlnode", gc, &node);
		if (node != NULL)
			xmlnode_free(node);
		emit("raw-sent", NULL);
	} else if (strcmp(cmd, "stall-watch") == 0) {
		stall_watch(strcmp(rest, "start") == 0);
	} else if (strcmp(cmd, "echo") == 0) {
		emit("echo", rest, NULL);
	} else if (strcmp(cmd, "burst") == 0) {
		do_burst(rest);
	} else if (strcmp(cmd, "expect") == 0) {
		do_expect(rest);
	} else if (strcmp(cmd, "pingpong") == 0) {
		do_pingpong(rest);
	} else if (strcmp(cmd, "wire") == 0) {
		wire_emit("wire-sent", rest, &wire_sent);
		wire_emit("wire-recv", rest, &wire_recv);
	} else if (strcmp(cmd, "cpu") == 0) {
		do_cpu();
	} else if (strcmp(cmd, "logs") == 0) {
		do_logs(rest);
	} else if (strcmp(cmd, "account-delete") == 0 && account != NULL) {
		/* as the Accounts window does: the account is freed afterwards */
		purple_accounts_delete(account);
		account = NULL;
		emit("account-deleted", "", NULL);
	} else if (strcmp(cmd, "quit") == 0) {
		do_quit();
	} else if (cmd[0] != '\0') {
		emit("unknown-command", cmd, NULL);
	}
	g_strfreev(r);
	g_strfreev(a);
}

static gboolean
stdin_cb(GIOChannel *ch, GIOCondition cond, gpointer data)
{
	char *line = NULL;
	gsize len = 0;
	GIOStatus st;

	(void)cond;
	(void)data;
	st = g_io_channel_read_line(ch, &line, &len, NULL, NULL);
	if (st == G_IO_STATUS_NORMAL && line != NULL) {
		g_strchomp(line);
		handle_line(line);
		g_free(line);
		return TRUE;
	}
	g_free(line);
	if (st == G_IO_STATUS_AGAIN)
		return TRUE;
	do_quit();
	return FALSE;
}

/* ---- main ----------------------------------------------------------- */

/* A crash leaves a backtrace on stderr for the driver's diagnostics. */
static void
crash_handler(int sig)
{
	void *frames[64];
	int n = backtrace(frames, 64);

	backtrace_symbols_fd(frames, n, 2);
	signal(sig, SIG_DFL);
	raise(sig);
}

int
main(int argc, char **argv)
{
	char *dir = NULL, *jid = NULL, *password = NULL, *ui_id = NULL;
	char **plugin_paths = NULL;
	int port = 5222, log_ims = 0, debug_log = 1;
	GOptionEntry entries[] = {
		{ "dir", 0, 0, G_OPTION_ARG_FILENAME, &dir, "user dir", "DIR" },
		{ "jid", 0, 0, G_OPTION_ARG_STRING, &jid, "full JID", "JID" },
		{ "password", 0, 0, G_OPTION_ARG_STRING, &password, "password", "PW" },
		{ "port", 0, 0, G_OPTION_ARG_INT, &port, "c2s port", "N" },
		{ "log-ims", 0, 0, G_OPTION_ARG_INT, &log_ims, "libpurple IM logs", "0|1" },
		{ "plugin", 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &plugin_paths, "plugin", "PATH" },
		{ "ui-id", 0, 0, G_OPTION_ARG_STRING, &ui_id, "UI id", "ID" },
		{ "debug-log", 0, 0, G_OPTION_ARG_INT, &debug_log, "DIR/debug.log", "0|1" },
		{ NULL, 0, 0, G_OPTION_ARG_NONE, NULL, NULL, NULL }
	};
	GOptionContext *ctx = g_option_context_new("- headless ESessions test client");
	GError *err = NULL;
	GIOChannel *in;
	char *path;
	int i;
	PurpleSavedStatus *status;

	signal(SIGSEGV, crash_handler);
	signal(SIGABRT, crash_handler);
	signal(SIGBUS, crash_handler);
	g_option_context_add_main_entries(ctx, entries, NULL);
	if (!g_option_context_parse(ctx, &argc, &argv, &err) || dir == NULL ||
	    jid == NULL || password == NULL) {
		fprintf(stderr, "usage: %s --dir DIR --jid JID --password PW --port N\n", argv[0]);
		return 2;
	}
	g_option_context_free(ctx);

	loop = g_main_loop_new(NULL, FALSE);
	standing = g_ptr_array_new_with_free_func(g_free);
	debug_all = debug_log != 0;
	if (debug_all) {
		path = g_build_filename(dir, "debug.log", NULL);
		debug_file = fopen(path, "a");
		g_free(path);
	}
	g_log_set_default_handler(glib_log, NULL);

	purple_util_set_user_dir(dir);
	purple_debug_set_enabled(FALSE);
	purple_debug_set_ui_ops(&debug_ops);
	purple_core_set_ui_ops(NULL);
	purple_eventloop_set_ui_ops(&eventloop_ops);
	purple_request_set_ui_ops(&request_ops);
	purple_notify_set_ui_ops(&notify_ops);
	purple_accounts_set_ui_ops(&account_ops);
	purple_conversations_set_ui_ops(&conv_ops);
	if (!purple_core_init(ui_id ? ui_id : CLIENT_UI_ID)) {
		fprintf(stderr, "libpurple initialisation failed\n");
		return 1;
	}
	purple_set_blist(purple_blist_new());
	purple_blist_load();
	purple_prefs_load();

	/* doc/hacking.md pitfall 7: the scenario says whether libpurple logs */
	purple_prefs_set_bool("/purple/logging/log_ims", log_ims != 0);
	purple_prefs_set_bool("/purple/logging/log_chats", log_ims != 0);
	purple_prefs_set_bool("/purple/logging/log_system", log_ims != 0);
	purple_prefs_set_string("/purple/logging/format", "txt");

	purple_signal_connect(purple_connections_get_handle(), "signed-on", &loop,
			      PURPLE_CALLBACK(signed_on_cb), NULL);
	purple_signal_connect(purple_connections_get_handle(), "signed-off", &loop,
			      PURPLE_CALLBACK(signed_off_cb), NULL);
	purple_signal_connect(purple_connections_get_handle(), "connection-error", &loop,
			      PURPLE_CALLBACK(connection_error_cb), NULL);
	purple_signal_connect(purple_blist_get_handle(), "buddy-signed-on", &loop,
			      PURPLE_CALLBACK(buddy_signed_on_cb), NULL);
	purple_signal_connect(purple_blist_get_handle(), "buddy-signed-off", &loop,
			      PURPLE_CALLBACK(buddy_signed_off_cb), NULL);
	purple_signal_connect(purple_conversations_get_handle(), "conversation-updated", &loop,
			      PURPLE_CALLBACK(conv_updated_cb), NULL);
	/* the wire counters: after every plugin on send, before them on receive */
	purple_signal_connect_priority(purple_find_prpl("prpl-jabber"), "jabber-sending-text",
				       &loop, PURPLE_CALLBACK(wire_sending_cb), NULL,
				       PURPLE_SIGNAL_PRIORITY_HIGHEST);
	purple_signal_connect_priority(purple_find_prpl("prpl-jabber"),
				       "jabber-receiving-xmlnode", &loop,
				       PURPLE_CALLBACK(wire_receiving_cb), NULL,
				       PURPLE_SIGNAL_PRIORITY_LOWEST);

	for (i = 0; plugin_paths != NULL && plugin_paths[i] != NULL; i++) {
		PurplePlugin *p = purple_plugin_probe(plugin_paths[i]);

		if (p == NULL || !purple_plugin_load(p)) {
			emit("load-failed", plugin_paths[i],
			     p && p->error ? p->error : "", NULL);
			continue;
		}
		plugins = g_slist_append(plugins, p);
		/* the version and the file it came from let the package test
		 * (tests/package) tell the installed plugin from the built one */
		emit("loaded", purple_plugin_get_id(p),
		     purple_plugin_get_version(p) ? purple_plugin_get_version(p) : "",
		     p->path ? p->path : "", NULL);
		connect_state_signal(p);
	}

	account = purple_account_new(jid, "prpl-jabber");
	purple_account_set_password(account, password);
	/* or libpurple forgets it on sign-off and "signon" cannot log in */
	purple_account_set_remember_password(account, TRUE);
	purple_account_set_string(account, "connect_server", "127.0.0.1");
	purple_account_set_int(account, "port", port);
	purple_account_set_string(account, "connection_security", "require_tls");
	purple_account_set_bool(account, "auth_plain_in_clear", FALSE);
	purple_accounts_add(account);

	in = g_io_channel_unix_new(0);
	g_io_channel_set_encoding(in, NULL, NULL);
	g_io_add_watch(in, G_IO_IN | G_IO_HUP | G_IO_ERR, stdin_cb, NULL);
	g_io_channel_unref(in);

	purple_account_set_enabled(account, ui_id ? ui_id : CLIENT_UI_ID, TRUE);
	status = purple_savedstatus_new(NULL, PURPLE_STATUS_AVAILABLE);
	purple_savedstatus_activate(status);
	emit("ready", jid, NULL);

	g_main_loop_run(loop);

	purple_core_quit();
	emit("bye", NULL);
	if (debug_file != NULL)
		fclose(debug_file);
	g_main_loop_unref(loop);
	g_ptr_array_unref(standing);
	g_strfreev(plugin_paths);
	g_free(dir);
	g_free(jid);
	g_free(password);
	g_free(ui_id);
	return 0;
}
