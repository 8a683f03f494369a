/*
 * esession-cli.c - `esession`: one ESession between two processes, over a
 * Unix socket or an inherited file descriptor, with no XMPP server.  A
 * debugging aid and the example of a program written against the
 * installed libesessions API alone (<esessions.h>, pkg-config esessions-0):
 * it includes no other engine header and needs no libpurple.
 *
 *   esession --listen /tmp/s                       (Bob, answers)
 *   esession --initiate --connect /tmp/s [--group 15]   (Alice, asks)
 *
 * Lines typed on stdin are sent as encrypted messages once the session is
 * up (before that the engine holds them, INTEROP R16); /match and /differ
 * report the SAS comparison; /quit or the end of stdin terminates.  What
 * happens is written to stdout, one line per event ("* ..." for the
 * session, "> text" for a message received), so that a test can read it.
 *
 * On the channel every stanza is a frame: its length in decimal, a
 * newline, then the stanza's bytes.  The sender stamps its own JID as the
 * from attribute, as an XMPP server would.  Nothing on the channel is
 * trusted: the engine checks everything it receives (SECURITY 34-49 for
 * encrypted stanzas).
 */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <glib.h>

#include <esessions.h>

/* a frame larger than any stanza a receiver parses (256 KiB) is refused */
#define MAX_FRAME (512u * 1024u)

typedef struct {
	int fd;                   /* the channel to the other process */
	GString *in;              /* bytes read, not yet a whole frame */
	gboolean initiate;
	char *own_jid;
	char *peer_jid;           /* initiator: whom to ask; responder: NULL = anyone */
	char *account;            /* bare own_jid: the store's key */
	guint group;
	EsessStore *store;
	EsessLimiter *limiter;
	EsessChat *chat;
	gboolean ending;          /* we terminated: wait for the peer to close */
	guint timeout_s;          /* for the negotiation */
	int exit_code;
	GMainLoop *loop;
} Cli;

static void
say(const char *fmt, ...) G_GNUC_PRINTF(1, 2);

static void
say(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

static void
quit(Cli *cli, int code)
{
	if (code > cli->exit_code)
		cli->exit_code = code;
	g_main_loop_quit(cli->loop);
}

static gboolean
write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return FALSE;
		p += w;
		n -= (size_t)w;
	}
	return TRUE;
}

/* Sends one stanza of the engine's, stamped with our JID as a server would
 * stamp it.  The engine writes every stanza as "<message ..."; anything
 * else would be a bug of ours, and is not sent. */
static gboolean
send_stanza(Cli *cli, const char *stanza)
{
	char *stamped, *head;
	gboolean ok;
	char *from;

	if (strncmp(stanza, "<message", 8) != 0)
		return FALSE;
	from = g_markup_printf_escaped(" from='%s'", cli->own_jid);
	stamped = g_strconcat("<message", from, stanza + 8, NULL);
	head = g_strdup_printf("%zu\n", strlen(stamped));
	ok = write_all(cli->fd, head, strlen(head)) && write_all(cli->fd, stamped, strlen(stamped));
	g_free(head);
	g_free(from);
	/* it may hold a queued message's text only encrypted, but wipe anyway:
	 * the habit costs nothing */
	esess_wipe(stamped, strlen(stamped));
	g_free(stamped);
	return ok;
}

static const char *
continuity_name(EsessContinuity c)
{
	switch (c) {
	case ESESS_CONT_NEW:
		return "new";
	case ESESS_CONT_UNVERIFIED:
		return "unverified";
	case ESESS_CONT_VERIFIED:
		return "verified";
	case ESESS_CONT_BROKEN:
		return "BROKEN (secrets were held but none matched: possible attack)";
	}
	return "?";
}

/* ---- showing a decrypted stanza: its <body/> text ------------------- */
typedef struct {
	gboolean in_body;
	GString *body;
} BodyParse;

static void
body_start(GMarkupParseContext *ctx, const char *name, const char **attr_names,
	   const char **attr_values, gpointer data, GError **err)
{
	BodyParse *bp = data;

	(void)attr_names;
	(void)attr_values;
	(void)err;
	/* only <body/> directly inside <message/>, not an XHTML-IM copy */
	if (strcmp(name, "body") == 0 && g_markup_parse_context_get_element_stack(ctx)->next != NULL &&
	    g_markup_parse_context_get_element_stack(ctx)->next->next == NULL)
		bp->in_body = TRUE;
}

static void
body_end(GMarkupParseContext *ctx, const char *name, gpointer data, GError **err)
{
	BodyParse *bp = data;

	(void)ctx;
	(void)err;
	if (strcmp(name, "body") == 0)
		bp->in_body = FALSE;
}

static void
body_text(GMarkupParseContext *ctx, const char *text, gsize len, gpointer data, GError **err)
{
	BodyParse *bp = data;

	(void)ctx;
	(void)err;
	if (bp->in_body)
		g_string_append_len(bp->body, text, (gssize)len);
}

/* The body of a stanza the engine delivered (well-formed: it serialised it
 * itself).  Caller wipes and frees; NULL when there is none. */
static GString *
stanza_body(const char *stanza)
{
	static const GMarkupParser parser = { body_start, body_end, body_text, NULL, NULL };
	BodyParse bp = { FALSE, NULL };
	GMarkupParseContext *ctx;
	gboolean ok;

	bp.body = g_string_new(NULL);
	ctx = g_markup_parse_context_new(&parser, 0, &bp, NULL);
	ok = g_markup_parse_context_parse(ctx, stanza, -1, NULL) &&
	     g_markup_parse_context_end_parse(ctx, NULL);
	g_markup_parse_context_free(ctx);
	if (!ok) {
		esess_wipe(bp.body->str, bp.body->allocated_len);
		g_string_free(bp.body, TRUE);
		return NULL;
	}
	return bp.body;
}

/* ---- applying a step: send, then show ------------------------------- */
static void
apply(Cli *cli, EsessStep *step)
{
	guint i;

	for (i = 0; i < esess_step_n_send(step); i++) {
		if (!send_stanza(cli, g_ptr_array_index(step->send, i))) {
			say("* the channel is gone: could not send");
			quit(cli, 1);
			break;
		}
	}
	switch (step->event) {
	case ESESS_EV_NONE:
		break;
	case ESESS_EV_NEGOTIATING:
		say("* negotiating with %s", cli->chat != NULL ? esess_chat_peer(cli->chat) : "?");
		break;
	case ESESS_EV_ESTABLISHED:
		say("* established with %s: SAS %s (%s), group %u, %s, logging %s, continuity %s",
		    esess_chat_peer(cli->chat), esess_chat_sas(cli->chat),
		    esess_chat_sas_committed(cli->chat) ? "committed" : "legacy sas28x5",
		    esess_chat_group(cli->chat), esess_chat_cipher(cli->chat),
		    esess_chat_logging(cli->chat) == ESESS_LOGGING_MUSTNOT ? "mustnot" : "may",
		    continuity_name(esess_chat_continuity(cli->chat)));
		say("* compare the SAS with your peer over another channel, then type /match or /differ");
		break;
	case ESESS_EV_MESSAGE:
	case ESESS_EV_PLAINTEXT: {
		GString *body = step->deliver != NULL ? stanza_body(step->deliver) : NULL;

		/* a plaintext message while the session is up is shown, marked,
		 * as the plugin does: the user must know it was readable */
		if (body != NULL && body->len > 0)
			say("%s%s", step->event == ESESS_EV_MESSAGE ? "> " : "* NOT encrypted: ",
			    body->str);
		if (body != NULL) {
			esess_wipe(body->str, body->allocated_len);
			g_string_free(body, TRUE);
		}
		break;
	}
	case ESESS_EV_QUEUED:
		say("* held until the session is established");
		break;
	case ESESS_EV_ENDED:
		if (step->status == ESESS_OK)
			say("* ended by %s", step->by_peer ? "the peer" : "us");
		else
			say("* ended: %s (%s)", esess_status_symbol(step->status),
			    esess_status_name(step->status));
		for (i = 0; i < esess_step_n_unsent(step); i++)
			say("* not sent: %s", (const char *)g_ptr_array_index(step->unsent, i));
		/* after our own terminate, wait for the peer's acknowledgement
		 * (R18) until it closes the channel */
		if (!cli->ending)
			quit(cli, step->status == ESESS_OK ? 0 : 1);
		break;
	case ESESS_EV_FAILED:
		say("* negotiation failed: %s (%s)%s%s", esess_status_symbol(step->status),
		    esess_status_name(step->status), step->field[0] != '\0' ? ", field " : "",
		    step->field);
		quit(cli, 1);
		break;
	case ESESS_EV_REJECTED:
		say("* the peer declined the session");
		quit(cli, 1);
		break;
	}
}

static EsessChatConfig
config(Cli *cli, const guint *offer)
{
	EsessChatConfig cfg;

	memset(&cfg, 0, sizeof cfg);
	cfg.account = cli->account;
	cfg.own_jid = cli->own_jid;
	cfg.peer_jid = cli->peer_jid;
	cfg.store = cli->store;
	cfg.limiter = cli->limiter;
	cfg.modp_offer = offer;
	cfg.n_modp_offer = offer != NULL ? 1 : 0;
	cfg.logging = ESESS_LOGPREF_REQUIRE;
	/* the other end is this program: it speaks the committed SAS (R23) */
	cfg.peer_has_plugin = TRUE;
	cfg.placeholder = "[This message is encrypted (XEP-0200).]";
	return cfg;
}

/* ---- what arrives on the channel ----------------------------------- */
static void
handle_stanza(Cli *cli, const char *stanza, size_t len)
{
	guint offer[1];
	EsessChatConfig cfg;
	EsessMsgInfo info;
	EsessStep step;
	EsessStatus r;

	offer[0] = cli->group;
	cfg = config(cli, offer);
	esess_step_init(&step);
	r = esess_msg_inspect(stanza, len, cli->own_jid, &info);
	if (r != ESESS_OK) {
		say("* dropped a stanza that does not parse: %s", esess_status_symbol(r));
		return;
	}
	switch (info.kind) {
	case ESESS_MSG_NEG_REQUEST:
		if (cli->chat != NULL || cli->initiate ||
		    (cli->peer_jid != NULL && !esess_jid_equal(info.from, cli->peer_jid))) {
			r = esess_chat_decline(&cfg, &info, &step);
			say("* declined a request from %s", info.from != NULL ? info.from : "?");
		} else {
			r = esess_chat_accept(&cfg, &info, &cli->chat, &step);
		}
		break;
	case ESESS_MSG_OTHER:
	case ESESS_MSG_NEG:
	case ESESS_MSG_ENCRYPTED:
	case ESESS_MSG_TERMINATE:
		if (cli->chat == NULL) {
			say("* dropped a stanza for no session");
			break;
		}
		r = esess_chat_receive(cli->chat, &info, &step);
		if (r != ESESS_OK && step.event == ESESS_EV_NONE)
			say("* refused a stanza: %s (%s)", esess_status_symbol(r), esess_status_name(r));
		break;
	case ESESS_MSG_CARBON_ENCRYPTED:
	case ESESS_MSG_DROP:
		say("* dropped a stanza that breaks the rules");
		break;
	}
	esess_msg_info_clear(&info);
	apply(cli, &step);
	esess_step_clear(&step);
}

/* Takes whole frames out of cli->in.  FALSE: a malformed frame (the
 * channel is not one of ours, or was tampered with beyond repair). */
static gboolean
take_frames(Cli *cli)
{
	for (;;) {
		char *nl = memchr(cli->in->str, '\n', cli->in->len);
		char *end;
		guint64 n;
		size_t head;

		if (nl == NULL)
			return cli->in->len < 16;
		if (nl == cli->in->str || !g_ascii_isdigit(cli->in->str[0]))
			return FALSE;
		n = g_ascii_strtoull(cli->in->str, &end, 10);
		if (end != nl || n == 0 || n > MAX_FRAME)
			return FALSE;
		head = (size_t)(nl - cli->in->str) + 1;
		if (cli->in->len < head + n)
			return TRUE;
		handle_stanza(cli, cli->in->str + head, (size_t)n);
		esess_wipe(cli->in->str, head + (size_t)n);
		g_string_erase(cli->in, 0, (gssize)(head + n));
		if (!g_main_loop_is_running(cli->loop))
			return TRUE;
	}
}

static gboolean
channel_cb(GIOChannel *src, GIOCondition cond, gpointer data)
{
	Cli *cli = data;
	char buf[4096];
	ssize_t n;

	(void)src;
	(void)cond;
	n = read(cli->fd, buf, sizeof buf);
	if (n < 0 && errno == EINTR)
		return TRUE;
	if (n <= 0) {
		if (cli->ending) {
			quit(cli, 0);
		} else {
			EsessStep step;

			say("* the channel closed");
			if (cli->chat != NULL) {
				esess_step_init(&step);
				esess_chat_abort(cli->chat, ESESS_ERR_TIMEOUT, &step);
				esess_step_clear(&step);
			}
			quit(cli, 1);
		}
		return FALSE;
	}
	g_string_append_len(cli->in, buf, n);
	esess_wipe(buf, (size_t)n);
	if (!take_frames(cli)) {
		say("* the channel sent something that is not a frame: closing");
		quit(cli, 1);
		return FALSE;
	}
	return TRUE;
}

/* The peer did not complete the negotiation in time (an XMPP client would
 * give up the same way). */
static gboolean
timeout_cb(gpointer data)
{
	Cli *cli = data;
	EsessStep step;

	if (cli->chat != NULL && esess_chat_state(cli->chat) != ESESS_CHAT_NEGOTIATING)
		return FALSE;
	if (cli->chat == NULL) {
		say("* no request arrived in %u s", cli->timeout_s);
		quit(cli, 1);
		return FALSE;
	}
	esess_step_init(&step);
	esess_chat_abort(cli->chat, ESESS_ERR_TIMEOUT, &step);
	apply(cli, &step);
	esess_step_clear(&step);
	quit(cli, 1);
	return FALSE;
}

/* ---- what the user types ------------------------------------------- */
static void
terminate(Cli *cli)
{
	EsessStep step;

	if (cli->chat == NULL || cli->ending) {
		quit(cli, cli->exit_code);
		return;
	}
	cli->ending = TRUE;
	esess_step_init(&step);
	if (esess_chat_terminate(cli->chat, &step) != ESESS_OK)
		say("* could not terminate cleanly");
	apply(cli, &step);
	esess_step_clear(&step);
	/* no more from us; the peer acknowledges and closes (R18) */
	shutdown(cli->fd, SHUT_WR);
}

static void
user_line(Cli *cli, char *line)
{
	EsessStep step;
	char *stanza;
	EsessStatus r;

	esess_step_init(&step);
	if (strcmp(line, "/quit") == 0) {
		terminate(cli);
		return;
	}
	if (strcmp(line, "/match") == 0 || strcmp(line, "/differ") == 0) {
		if (cli->chat == NULL) {
			say("* no session yet");
			return;
		}
		r = esess_chat_sas_result(cli->chat, strcmp(line, "/match") == 0, &step);
		if (r == ESESS_OK)
			say("* the SAS is marked verified");
		else if (r != ESESS_ERR_SAS_MISMATCH)
			say("* could not record the comparison: %s", esess_status_symbol(r));
		apply(cli, &step);
		esess_step_clear(&step);
		return;
	}
	if (cli->chat == NULL) {
		say("* no session yet: not sent");
		return;
	}
	stanza = g_markup_printf_escaped("<message xmlns='jabber:client' to='%s' type='chat'>"
					 "<body>%s</body></message>",
					 esess_chat_peer(cli->chat), line);
	r = esess_chat_encrypt(cli->chat, stanza, strlen(stanza), &step);
	esess_wipe(stanza, strlen(stanza));
	g_free(stanza);
	if (r != ESESS_OK)
		say("* not sent: %s (%s)", esess_status_symbol(r), esess_status_name(r));
	apply(cli, &step);
	esess_step_clear(&step);
}

static gboolean
stdin_cb(GIOChannel *src, GIOCondition cond, gpointer data)
{
	Cli *cli = data;
	char *line = NULL;
	gsize len = 0, term = 0;
	GIOStatus st;

	(void)cond;
	st = g_io_channel_read_line(src, &line, &len, &term, NULL);
	if (st == G_IO_STATUS_AGAIN)
		return TRUE;
	if (st != G_IO_STATUS_NORMAL) {
		/* end of input: the user is done */
		terminate(cli);
		return FALSE;
	}
	line[term] = '\0';
	if (term > 0)
		user_line(cli, line);
	esess_wipe(line, len);
	g_free(line);
	return TRUE;
}

/* ---- the channel ---------------------------------------------------- */
static int
unix_socket(const char *path, gboolean listen_on)
{
	struct sockaddr_un sa;
	int fd, conn;

	if (strlen(path) >= sizeof sa.sun_path) {
		fprintf(stderr, "esession: socket path too long: %s\n", path);
		return -1;
	}
	memset(&sa, 0, sizeof sa);
	sa.sun_family = AF_UNIX;
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (fd < 0)
		return -1;
	if (!listen_on) {
		if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
			fprintf(stderr, "esession: cannot connect to %s: %s\n", path, g_strerror(errno));
			close(fd);
			return -1;
		}
		return fd;
	}
	if (bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0 || listen(fd, 1) != 0) {
		fprintf(stderr, "esession: cannot listen on %s: %s\n", path, g_strerror(errno));
		close(fd);
		return -1;
	}
	say("* waiting on %s", path);
	conn = accept(fd, NULL, NULL);
	close(fd);
	unlink(path);
	return conn;
}

int
main(int argc, char **argv)
{
	gboolean initiate = FALSE, version = FALSE;
	char *listen_path = NULL, *connect_path = NULL, *store_path = NULL;
	char *own_jid = NULL, *peer_jid = NULL;
	int fd = -1, group = 15, timeout_s = 60;
	GOptionEntry entries[] = {
		{ "initiate", 'i', 0, G_OPTION_ARG_NONE, &initiate,
		  "start the session (the other side answers)", NULL },
		{ "group", 'g', 0, G_OPTION_ARG_INT, &group,
		  "with --initiate, the MODP group to offer: 14, 15 (default), 16, 17 or 18", "N" },
		{ "listen", 'l', 0, G_OPTION_ARG_FILENAME, &listen_path,
		  "wait for the other side on a Unix socket", "PATH" },
		{ "connect", 'c', 0, G_OPTION_ARG_FILENAME, &connect_path,
		  "connect to the other side's Unix socket", "PATH" },
		{ "fd", 0, 0, G_OPTION_ARG_INT, &fd,
		  "use an inherited socket or pipe pair end", "FD" },
		{ "jid", 'j', 0, G_OPTION_ARG_STRING, &own_jid,
		  "our full JID (default alice@example.org/cli with --initiate, else bob@example.org/cli)",
		  "JID" },
		{ "peer", 'p', 0, G_OPTION_ARG_STRING, &peer_jid,
		  "the peer's JID (default: the other of the two above; answering: anyone)", "JID" },
		{ "store", 's', 0, G_OPTION_ARG_FILENAME, &store_path,
		  "keep retained secrets in FILE, so later sessions continue the chain", "FILE" },
		{ "timeout", 't', 0, G_OPTION_ARG_INT, &timeout_s,
		  "give up when no session is established after N seconds (default 60)", "N" },
		{ "version", 0, 0, G_OPTION_ARG_NONE, &version, "print the library version", NULL },
		{ NULL, 0, 0, G_OPTION_ARG_NONE, NULL, NULL, NULL }
	};
	GOptionContext *octx;
	GError *err = NULL;
	GIOChannel *ch_in, *ch_net;
	Cli cli;
	EsessStatus r;
	int channels;

	octx = g_option_context_new("- an XMPP ESession (XEP-0116/0200) between two processes");
	g_option_context_add_main_entries(octx, entries, NULL);
	if (!g_option_context_parse(octx, &argc, &argv, &err)) {
		fprintf(stderr, "esession: %s\n", err->message);
		return 2;
	}
	g_option_context_free(octx);
	if (version) {
		printf("esession (libesessions %s)\n", esess_version());
		return 0;
	}
	channels = (listen_path != NULL) + (connect_path != NULL) + (fd >= 0);
	if (channels != 1) {
		fprintf(stderr, "esession: give exactly one of --listen, --connect, --fd (see --help)\n");
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);

	memset(&cli, 0, sizeof cli);
	cli.initiate = initiate;
	cli.group = (guint)group;
	cli.timeout_s = timeout_s > 0 ? (guint)timeout_s : 60;
	cli.own_jid = own_jid != NULL ? own_jid :
		g_strdup(initiate ? "alice@example.org/cli" : "bob@example.org/cli");
	cli.peer_jid = peer_jid != NULL ? peer_jid :
		(initiate ? g_strdup("bob@example.org/cli") : NULL);
	cli.account = esess_jid_bare(cli.own_jid);
	cli.in = g_string_new(NULL);
	cli.loop = g_main_loop_new(NULL, FALSE);

	r = esess_crypto_init();
	if (r != ESESS_OK) {
		fprintf(stderr, "esession: libgcrypt: %s\n", esess_status_name(r));
		return 1;
	}
	if (store_path != NULL) {
		r = esess_store_open(store_path, &cli.store);
		if (r != ESESS_OK) {
			fprintf(stderr, "esession: %s: %s\n", store_path, esess_status_name(r));
			return 1;
		}
	}
	cli.limiter = esess_limiter_new(ESESS_LIMIT_PER_PEER, ESESS_LIMIT_WINDOW_S,
					ESESS_LIMIT_IN_FLIGHT);

	if (fd >= 0)
		cli.fd = fd;
	else
		cli.fd = unix_socket(listen_path != NULL ? listen_path : connect_path,
				     listen_path != NULL);
	if (cli.fd < 0)
		return 1;

	ch_net = g_io_channel_unix_new(cli.fd);
	g_io_add_watch(ch_net, G_IO_IN | G_IO_HUP | G_IO_ERR, channel_cb, &cli);
	g_io_channel_unref(ch_net);
	ch_in = g_io_channel_unix_new(0);
	g_io_channel_set_encoding(ch_in, NULL, NULL);
	g_io_add_watch(ch_in, G_IO_IN | G_IO_HUP | G_IO_ERR, stdin_cb, &cli);

	if (initiate) {
		guint offer[1];
		EsessChatConfig cfg;
		EsessStep step;

		offer[0] = cli.group;
		cfg = config(&cli, offer);
		esess_step_init(&step);
		r = esess_chat_start(&cfg, &cli.chat, &step);
		if (r != ESESS_OK) {
			fprintf(stderr, "esession: cannot start: %s\n", esess_status_name(r));
			return 1;
		}
		apply(&cli, &step);
		esess_step_clear(&step);
	}
	g_timeout_add_seconds(cli.timeout_s, timeout_cb, &cli);
	g_main_loop_run(cli.loop);

	g_io_channel_unref(ch_in);
	esess_chat_free(cli.chat);
	esess_limiter_free(cli.limiter);
	esess_store_free(cli.store);
	close(cli.fd);
	esess_wipe(cli.in->str, cli.in->allocated_len);
	g_string_free(cli.in, TRUE);
	g_main_loop_unref(cli.loop);
	g_free(cli.own_jid);
	g_free(cli.peer_jid);
	g_free(cli.account);
	g_free(listen_path);
	g_free(connect_path);
	g_free(store_path);
	return cli.exit_code;
}
