/*
 * lib-consumer.c - a program written against the installed libesessions
 * only (<esessions.h>, pkg-config esessions-0): tests/unit/check-install.sh
 * builds it against a DESTDIR installation and runs it.  Two chats in one
 * process pass their stanzas to each other until the session is
 * established, compare the SAS, send one message and terminate.  Prints TAP.
 */
#include <stdio.h>
#include <string.h>

#include <esessions.h>

static int n_test;

static void
check(int ok, const char *what)
{
	printf("%sok %d - %s\n", ok ? "" : "not ", ++n_test, what);
}

/* Hands every stanza in step->send to the other side; the replies go back
 * the same way until nobody has anything left to send. */
static void
relay(EsessChat **chat, const char **own_jid, EsessChatConfig *cfg_b,
      EsessStep *step, int from)
{
	guint i;

	for (i = 0; i < esess_step_n_send(step); i++) {
		const char *out = g_ptr_array_index(step->send, i);
		int to = 1 - from;
		EsessMsgInfo info;
		EsessStep next;
		char *s;
		EsessStatus r;

		/* the server stamps the sender's full JID on what it delivers */
		if (strncmp(out, "<message", 8) != 0)
			continue;
		s = g_strdup_printf("<message from='%s'%s", own_jid[from], out + 8);
		esess_step_init(&next);
		r = esess_msg_inspect(s, strlen(s), own_jid[to], &info);
		g_free(s);
		if (r != ESESS_OK)
			continue;
		if (info.kind == ESESS_MSG_NEG_REQUEST && chat[to] == NULL) {
			if (esess_chat_accept(cfg_b, &info, &chat[to], &next) != ESESS_OK)
				chat[to] = NULL;
		} else if (chat[to] != NULL) {
			if (esess_chat_receive(chat[to], &info, &next) != ESESS_OK)
				printf("# receive refused a stanza\n");
		}
		esess_msg_info_clear(&info);
		relay(chat, own_jid, cfg_b, &next, to);
		esess_step_clear(&next);
	}
}

int
main(void)
{
	const char *own_jid[2] = { "alice@example.org/a", "bob@example.org/b" };
	EsessChatConfig cfg[2];
	EsessChat *chat[2] = { NULL, NULL };
	EsessStep step;
	const char *msg = "<message xmlns='jabber:client' to='bob@example.org/b' type='chat'>"
			  "<body>hello through the library</body></message>";
	int i;

	setvbuf(stdout, NULL, _IONBF, 0);
	printf("1..5\n");
	check(esess_crypto_init() == ESESS_OK, "esess_crypto_init");
	for (i = 0; i < 2; i++) {
		memset(&cfg[i], 0, sizeof cfg[i]);
		cfg[i].own_jid = own_jid[i];
		cfg[i].account = i == 0 ? "alice@example.org" : "bob@example.org";
		cfg[i].placeholder = "[encrypted]";
	}
	cfg[0].peer_jid = own_jid[1];

	esess_step_init(&step);
	if (esess_chat_start(&cfg[0], &chat[0], &step) != ESESS_OK)
		return 1;
	relay(chat, own_jid, &cfg[1], &step, 0);
	esess_step_clear(&step);
	check(chat[1] != NULL && esess_chat_state(chat[0]) == ESESS_CHAT_ESTABLISHED &&
	      esess_chat_state(chat[1]) == ESESS_CHAT_ESTABLISHED,
	      "both chats established");
	if (chat[1] == NULL)
		return 1;
	check(esess_chat_sas(chat[0]) != NULL && esess_chat_sas(chat[1]) != NULL &&
	      strcmp(esess_chat_sas(chat[0]), esess_chat_sas(chat[1])) == 0,
	      "both sides show the same SAS");

	/* one message from Alice, decrypted by Bob */
	{
		EsessStep in;
		EsessMsgInfo info;
		const char *wire;
		char *stamped = NULL;
		int delivered = 0;

		esess_step_init(&in);
		if (esess_chat_encrypt(chat[0], msg, strlen(msg), &step) == ESESS_OK &&
		    esess_step_n_send(&step) == 1) {
			wire = g_ptr_array_index(step.send, 0);
			stamped = g_strdup_printf("<message from='%s'%s", own_jid[0], wire + 8);
			if (strstr(wire, "through the library") == NULL &&
			    esess_msg_inspect(stamped, strlen(stamped), own_jid[1], &info) == ESESS_OK) {
				if (esess_chat_receive(chat[1], &info, &in) == ESESS_OK &&
				    in.event == ESESS_EV_MESSAGE && in.deliver != NULL &&
				    strstr(in.deliver, "hello through the library") != NULL)
					delivered = 1;
				esess_msg_info_clear(&info);
			}
		}
		g_free(stamped);
		esess_step_clear(&step);
		esess_step_clear(&in);
		check(delivered, "a message arrives decrypted, and was not in clear on the wire");
	}

	if (esess_chat_terminate(chat[0], &step) != ESESS_OK)
		return 1;
	relay(chat, own_jid, &cfg[1], &step, 0);
	esess_step_clear(&step);
	check(esess_chat_state(chat[0]) == ESESS_CHAT_ENDED &&
	      esess_chat_state(chat[1]) == ESESS_CHAT_ENDED, "terminate ends both sides");
	esess_chat_free(chat[0]);
	esess_chat_free(chat[1]);
	return 0;
}
