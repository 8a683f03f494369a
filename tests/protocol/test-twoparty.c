/*
 * test-twoparty: Alice and Bob in memory, through EsessChat and
 * esess_msg_inspect: full negotiation both roles, messages both ways,
 * retained secrets, rejection, no common option, the XEP-0136 logging table
 * end to end, termination both ways (INTEROP R1, R8, R9, R13-R18).
 */
#include "config.h"

#include <string.h>

#include "esess-featneg.h"
#include "neg-harness.h"

typedef struct {
	char *dir;
	NegParty alice, bob;
	NegWire wire;
} Fx;

static void
fx_setup(Fx *fx, gconstpointer data)
{
	(void)data;
	fx->dir = neg_tmpdir();
	neg_party_init(&fx->alice, "alice@example.org/pda", fx->dir);
	neg_party_init(&fx->bob, "bob@example.com/laptop", fx->dir);
	neg_wire_init(&fx->wire, NULL, NULL);
}

static void
fx_teardown(Fx *fx, gconstpointer data)
{
	(void)data;
	neg_party_clear(&fx->alice);
	neg_party_clear(&fx->bob);
	neg_wire_clear(&fx->wire);
	neg_rmdir(fx->dir);
	g_free(fx->dir);
}

/* the decrypted body, in jabber:client (doc/hacking.md pitfall 3) */
static gboolean
has_body(const char *deliver, const char *text)
{
	char *a, *b;
	gboolean yes;

	a = g_strdup_printf("<body>%s</body>", text);
	b = g_strdup_printf("<body xmlns='jabber:client'>%s</body>", text);
	yes = strstr(deliver, a) != NULL || strstr(deliver, b) != NULL;
	g_free(a);
	g_free(b);
	return yes;
}

/* sends one outgoing <message/> from p to q through the chat */
static EsessStatus
say(NegParty *p, NegParty *q, const char *body, NegWire *w)
{
	EsessStep step;
	GPtrArray *out;
	char *stanza;
	EsessStatus r;
	guint i;

	esess_step_init(&step);
	stanza = g_markup_printf_escaped("<message to='%s' type='chat' id='m1'><body>%s</body>"
					 "<active xmlns='http://jabber.org/protocol/chatstates'/></message>",
					 q->bare, body);
	r = esess_chat_encrypt(p->chat, stanza, strlen(stanza), &step);
	g_free(stanza);
	out = g_ptr_array_new_with_free_func(g_free);
	for (i = 0; i < esess_step_n_send(&step); i++)
		g_ptr_array_add(out, g_strdup(g_ptr_array_index(step.send, i)));
	esess_step_clear(&step);
	neg_pump(p, q, out, w);
	return r;
}

static void
test_full_negotiation(Fx *fx, gconstpointer data)
{
	const char *wire1;

	(void)data;
	g_assert_true(neg_run(&fx->alice, &fx->bob, &fx->wire, FALSE));
	/* four messages, R1 shapes */
	g_assert_cmpuint(fx->wire.wire->len, ==, 4);
	wire1 = g_ptr_array_index(fx->wire.wire, 0);
	g_assert_null(strstr(wire1, "<body"));
	{
		/* R1: no type on the message itself */
		char *tag = g_strndup(wire1, (gsize)(strchr(wire1, '>') - wire1));

		g_assert_null(strstr(tag, "type="));
		g_free(tag);
	}
	g_assert_nonnull(strstr(g_ptr_array_index(fx->wire.wire, 3), "<init xmlns='" ESESS_NS_INIT "'"));
	g_assert_cmpint(neg_count_values(g_ptr_array_index(fx->wire.wire, 1), "dhhashes"), ==, -1);
	g_assert_cmpuint(strlen(esess_chat_thread(fx->alice.chat)), >=, 16);
	g_assert_cmpstr(esess_chat_thread(fx->alice.chat), ==, esess_chat_thread(fx->bob.chat));
	/* equal SAS, 5 characters */
	g_assert_nonnull(esess_chat_sas(fx->alice.chat));
	g_assert_cmpuint(strlen(esess_chat_sas(fx->alice.chat)), ==, 5);
	g_assert_cmpstr(esess_chat_sas(fx->alice.chat), ==, esess_chat_sas(fx->bob.chat));
	g_assert_cmpint(esess_chat_continuity(fx->alice.chat), ==, ESESS_CONT_NEW);
	g_assert_cmpint(esess_chat_continuity(fx->bob.chat), ==, ESESS_CONT_NEW);
	g_assert_cmpuint(esess_chat_group(fx->alice.chat), ==, 14);
	g_assert_cmpstr(esess_chat_cipher(fx->alice.chat), ==, "aes128-ctr");
	g_assert_true(esess_chat_is_initiator(fx->alice.chat));
	g_assert_false(esess_chat_is_initiator(fx->bob.chat));
	/* pinned to the full JID that answered (SECURITY 55) */
	g_assert_cmpstr(esess_chat_peer(fx->alice.chat), ==, fx->bob.jid);
	g_assert_cmpstr(esess_chat_peer(fx->bob.chat), ==, fx->alice.jid);
}

static void
test_messages_both_ways(Fx *fx, gconstpointer data)
{
	const char *enc;

	(void)data;
	g_assert_true(neg_run(&fx->alice, &fx->bob, &fx->wire, FALSE));
	g_assert_cmpint(say(&fx->alice, &fx->bob, "hello <Bob> & co", &fx->wire), ==, ESESS_OK);
	enc = g_ptr_array_index(fx->wire.wire, fx->wire.wire->len - 1);
	/* R14: nothing readable beside <c/> but the placeholder */
	g_assert_null(strstr(enc, "hello"));
	g_assert_null(strstr(enc, "chatstates"));
	g_assert_nonnull(strstr(enc, "type='chat'"));
	g_assert_nonnull(strstr(enc, "to='bob@example.com/laptop'"));
	g_assert_nonnull(strstr(enc, "no-permanent-store"));
	g_assert_nonnull(strstr(enc, "<c xmlns='" ESESS_NS_C "'>"));
	g_assert_cmpint(fx->bob.last_event, ==, ESESS_EV_MESSAGE);
	g_assert_true(has_body(fx->bob.last_deliver, "hello &lt;Bob&gt; &amp; co"));
	g_assert_null(strstr(fx->bob.last_deliver, "This message is encrypted"));
	g_assert_nonnull(strstr(fx->bob.last_deliver, "from='alice@example.org/pda'"));
	g_assert_nonnull(strstr(fx->bob.last_deliver, "id='m1'"));
	g_assert_nonnull(strstr(fx->bob.last_deliver, "chatstates"));
	g_assert_cmpint(say(&fx->bob, &fx->alice, "hi Alice", &fx->wire), ==, ESESS_OK);
	g_assert_cmpint(fx->alice.last_event, ==, ESESS_EV_MESSAGE);
	g_assert_true(has_body(fx->alice.last_deliver, "hi Alice"));
	g_assert_cmpint(say(&fx->alice, &fx->bob, "second", &fx->wire), ==, ESESS_OK);
	g_assert_true(has_body(fx->bob.last_deliver, "second"));
}

static void
test_bob_initiates(Fx *fx, gconstpointer data)
{
	(void)data;
	g_assert_true(neg_run(&fx->bob, &fx->alice, &fx->wire, TRUE));
	g_assert_cmpstr(esess_chat_sas(fx->alice.chat), ==, esess_chat_sas(fx->bob.chat));
	g_assert_cmpint(say(&fx->alice, &fx->bob, "x", &fx->wire), ==, ESESS_OK);
	g_assert_true(has_body(fx->bob.last_deliver, "x"));
}

static void
test_queue_while_negotiating(Fx *fx, gconstpointer data)
{
	EsessStep step;
	GPtrArray *out;
	const char *q = "<message to='bob@example.com' type='chat'><body>early</body></message>";
	guint i;

	(void)data;
	fx->alice.cfg.peer_jid = fx->bob.bare;
	esess_step_init(&step);
	g_assert_cmpint(esess_chat_start(&fx->alice.cfg, &fx->alice.chat, &step), ==, ESESS_OK);
	out = g_ptr_array_new_with_free_func(g_free);
	for (i = 0; i < esess_step_n_send(&step); i++)
		g_ptr_array_add(out, g_strdup(g_ptr_array_index(step.send, i)));
	esess_step_clear(&step);
	/* R16: held, nothing sent in the clear */
	g_assert_cmpint(esess_chat_encrypt(fx->alice.chat, q, strlen(q), &step), ==, ESESS_OK);
	g_assert_cmpint(step.event, ==, ESESS_EV_QUEUED);
	g_assert_cmpuint(esess_step_n_send(&step), ==, 0);
	esess_step_clear(&step);
	neg_pump(&fx->alice, &fx->bob, out, &fx->wire);
	g_assert_cmpint(esess_chat_state(fx->bob.chat), ==, ESESS_CHAT_ESTABLISHED);
	/* flushed encrypted on establishment, delivered to Bob */
	g_assert_cmpint(fx->bob.last_event, ==, ESESS_EV_MESSAGE);
	g_assert_true(has_body(fx->bob.last_deliver, "early"));
	for (i = 0; i < fx->wire.wire->len; i++)
		g_assert_null(strstr(g_ptr_array_index(fx->wire.wire, i), "early"));
}

static void
test_retained_unverified(Fx *fx, gconstpointer data)
{
	(void)data;
	g_assert_true(neg_run(&fx->alice, &fx->bob, &fx->wire, FALSE));
	g_assert_cmpint(esess_chat_continuity(fx->alice.chat), ==, ESESS_CONT_NEW);
	neg_party_reset(&fx->alice);
	neg_party_reset(&fx->bob);
	g_assert_true(neg_run(&fx->alice, &fx->bob, &fx->wire, FALSE));
	g_assert_cmpint(esess_chat_continuity(fx->alice.chat), ==, ESESS_CONT_UNVERIFIED);
	g_assert_cmpint(esess_chat_continuity(fx->bob.chat), ==, ESESS_CONT_UNVERIFIED);
	g_assert_false(esess_chat_verified(fx->alice.chat));
}

static void
test_retained_verified(Fx *fx, gconstpointer data)
{
	EsessStep step;

	(void)data;
	g_assert_true(neg_run(&fx->alice, &fx->bob, &fx->wire, FALSE));
	esess_step_init(&step);
	g_assert_cmpint(esess_chat_sas_result(fx->alice.chat, TRUE, &step), ==, ESESS_OK);
	g_assert_cmpint(esess_chat_sas_result(fx->bob.chat, TRUE, &step), ==, ESESS_OK);
	esess_step_clear(&step);
	g_assert_true(esess_chat_verified(fx->alice.chat));
	neg_party_reset(&fx->alice);
	neg_party_reset(&fx->bob);
	g_assert_true(neg_run(&fx->alice, &fx->bob, &fx->wire, FALSE));
	g_assert_cmpint(esess_chat_continuity(fx->alice.chat), ==, ESESS_CONT_VERIFIED);
	g_assert_cmpint(esess_chat_continuity(fx->bob.chat), ==, ESESS_CONT_VERIFIED);
	g_assert_true(esess_chat_verified(fx->bob.chat));
	/* and the chain carries on */
	neg_party_reset(&fx->alice);
	neg_party_reset(&fx->bob);
	g_assert_true(neg_run(&fx->alice, &fx->bob, &fx->wire, FALSE));
	g_assert_cmpint(esess_chat_continuity(fx->alice.chat), ==, ESESS_CONT_VERIFIED);
}

static void
test_rejection(Fx *fx, gconstpointer data)
{
	EsessStep step;
	EsessMsgInfo info;
	GPtrArray *out;
	const char *m1;
	char *s;
	guint i;

	(void)data;
	fx->alice.cfg.peer_jid = fx->bob.bare;
	esess_step_init(&step);
	g_assert_cmpint(esess_chat_start(&fx->alice.cfg, &fx->alice.chat, &step), ==, ESESS_OK);
	m1 = g_ptr_array_index(step.send, 0);
	s = neg_set_from(m1, fx->alice.jid);
	esess_step_clear(&step);
	g_assert_cmpint(esess_msg_inspect(s, strlen(s), fx->bob.jid, &info), ==, ESESS_OK);
	g_free(s);
	g_assert_cmpint(info.kind, ==, ESESS_MSG_NEG_REQUEST);
	g_assert_cmpint(esess_chat_decline(&fx->bob.cfg, &info, &step), ==, ESESS_OK);
	esess_msg_info_clear(&info);
	g_assert_cmpuint(esess_step_n_send(&step), ==, 1);
	out = g_ptr_array_new_with_free_func(g_free);
	for (i = 0; i < esess_step_n_send(&step); i++)
		g_ptr_array_add(out, g_strdup(g_ptr_array_index(step.send, i)));
	esess_step_clear(&step);
	neg_pump(&fx->bob, &fx->alice, out, &fx->wire);
	g_assert_cmpint(fx->alice.last_event, ==, ESESS_EV_REJECTED);
	g_assert_cmpint(fx->alice.last_status, ==, ESESS_ERR_REJECTED);
	g_assert_true(fx->alice.by_peer);
	g_assert_cmpint(esess_chat_state(fx->alice.chat), ==, ESESS_CHAT_ENDED);
}

static void
test_no_common_option(Fx *fx, gconstpointer data)
{
	(void)data;
	/* Alice wants off-the-record only, Bob forbids it: no common
	 * logging option, not-acceptable listing the field (R13) */
	fx->alice.cfg.logging = ESESS_LOGPREF_REQUIRE;
	fx->bob.cfg.logging = ESESS_LOGPREF_FORBID;
	g_assert_false(neg_run(&fx->alice, &fx->bob, &fx->wire, FALSE));
	g_assert_null(fx->bob.chat);
	g_assert_cmpint(fx->bob.last_event, ==, ESESS_EV_FAILED);
	g_assert_cmpint(fx->bob.last_status, ==, ESESS_ERR_NOT_ACCEPTABLE);
	g_assert_cmpuint(fx->wire.wire->len, ==, 2);
	g_assert_nonnull(strstr(g_ptr_array_index(fx->wire.wire, 1), "<not-acceptable"));
	g_assert_nonnull(strstr(g_ptr_array_index(fx->wire.wire, 1), "<field var='logging'"));
	/* R13: the request's form is not echoed at the top level */
	g_assert_null(strstr(g_ptr_array_index(fx->wire.wire, 1), "jabber:x:data"));
	g_assert_cmpint(fx->alice.last_event, ==, ESESS_EV_FAILED);
	g_assert_cmpint(fx->alice.fail_status, ==, ESESS_ERR_PEER_ERROR);
	g_assert_true(fx->alice.by_peer);
}

static void
test_logging_table(Fx *fx, gconstpointer data)
{
	EsessLogPref a, b;
	const char *offer[2];
	gsize n;
	EsessLogging expect;
	EsessStatus want;
	gboolean ok;

	(void)data;
	for (a = ESESS_LOGPREF_REQUIRE; a <= ESESS_LOGPREF_FORBID; a++) {
		for (b = ESESS_LOGPREF_REQUIRE; b <= ESESS_LOGPREF_FORBID; b++) {
			neg_party_reset(&fx->alice);
			neg_party_reset(&fx->bob);
			fx->alice.cfg.logging = a;
			fx->bob.cfg.logging = b;
			n = esess_featneg_logging_offer(a, offer);
			want = esess_featneg_logging_choose(b, offer, n, &expect);
			ok = neg_run(&fx->alice, &fx->bob, &fx->wire, FALSE);
			if (want == ESESS_OK) {
				g_assert_true(ok);
				g_assert_cmpint(esess_chat_logging(fx->alice.chat), ==, expect);
				g_assert_cmpint(esess_chat_logging(fx->bob.chat), ==, expect);
			} else {
				g_assert_false(ok);
				g_assert_cmpint(fx->bob.last_status, ==, want);
				g_assert_cmpint(fx->alice.fail_status, ==, ESESS_ERR_PEER_ERROR);
			}
		}
	}
}

static void
terminate_both(Fx *fx, gboolean plugin)
{
	EsessStep step;
	GPtrArray *out;
	guint i, before;
	const char *term;

	fx->alice.cfg.peer_has_plugin = plugin;
	fx->bob.cfg.peer_has_plugin = plugin;
	g_assert_true(neg_run(&fx->alice, &fx->bob, &fx->wire, FALSE));
	before = fx->wire.wire->len;
	esess_step_init(&step);
	g_assert_cmpint(esess_chat_terminate(fx->alice.chat, &step), ==, ESESS_OK);
	g_assert_cmpint(step.event, ==, ESESS_EV_ENDED);
	g_assert_cmpuint(esess_step_n_send(&step), ==, 1);
	out = g_ptr_array_new_with_free_func(g_free);
	for (i = 0; i < esess_step_n_send(&step); i++)
		g_ptr_array_add(out, g_strdup(g_ptr_array_index(step.send, i)));
	esess_step_clear(&step);
	g_assert_cmpint(esess_chat_state(fx->alice.chat), ==, ESESS_CHAT_ENDED);
	neg_pump(&fx->alice, &fx->bob, out, &fx->wire);
	term = g_ptr_array_index(fx->wire.wire, before);
	g_assert_cmpint(fx->bob.last_event, ==, plugin ? ESESS_EV_ENDED : ESESS_EV_ENDED);
	g_assert_true(fx->bob.by_peer);
	g_assert_cmpint(esess_chat_state(fx->bob.chat), ==, ESESS_CHAT_ENDED);
	if (plugin) {
		/* R18: encrypted, acknowledged (encrypted) */
		g_assert_nonnull(strstr(term, "<c xmlns="));
		g_assert_null(strstr(term, "terminate"));
		g_assert_cmpuint(fx->wire.wire->len, ==, before + 2);
		g_assert_nonnull(strstr(g_ptr_array_index(fx->wire.wire, before + 1), "<c xmlns="));
		g_assert_cmpint(fx->alice.last_status, ==, ESESS_OK);
	} else {
		/* plaintext, no ack */
		g_assert_nonnull(strstr(term, "terminate"));
		g_assert_null(strstr(term, "<c xmlns="));
		g_assert_cmpuint(fx->wire.wire->len, ==, before + 1);
	}
	/* nothing can be sent any more */
	esess_step_init(&step);
	g_assert_cmpint(esess_chat_encrypt(fx->bob.chat, "<message><body>x</body></message>", 33,
					   &step), ==, ESESS_ERR_SESSION_ENDED);
	g_assert_cmpint(esess_chat_terminate(fx->alice.chat, &step), ==, ESESS_OK);
	g_assert_cmpuint(esess_step_n_send(&step), ==, 0);
	esess_step_clear(&step);
}

static void
test_terminate_plugin(Fx *fx, gconstpointer data)
{
	(void)data;
	terminate_both(fx, TRUE);
}

static void
test_terminate_plain(Fx *fx, gconstpointer data)
{
	(void)data;
	terminate_both(fx, FALSE);
}

static void
test_terminate_by_bob(Fx *fx, gconstpointer data)
{
	EsessStep step;
	GPtrArray *out;
	guint i;

	(void)data;
	g_assert_true(neg_run(&fx->alice, &fx->bob, &fx->wire, FALSE));
	esess_step_init(&step);
	g_assert_cmpint(esess_chat_terminate(fx->bob.chat, &step), ==, ESESS_OK);
	out = g_ptr_array_new_with_free_func(g_free);
	for (i = 0; i < esess_step_n_send(&step); i++)
		g_ptr_array_add(out, g_strdup(g_ptr_array_index(step.send, i)));
	esess_step_clear(&step);
	neg_pump(&fx->bob, &fx->alice, out, &fx->wire);
	g_assert_cmpint(fx->alice.last_event, ==, ESESS_EV_ENDED);
	g_assert_cmpint(esess_chat_state(fx->alice.chat), ==, ESESS_CHAT_ENDED);
}

/* Issue 8 item 5: Alice knows Bob runs this plugin and terminates inside
 * <c/>; Bob does not know Alice's capabilities (he would send a plaintext
 * terminate himself, R18) but must still acknowledge hers, encrypted
 * (XEP-0116 §Termination), so Alice's session ends cleanly. */
static void
test_terminate_ack_unadvertised(Fx *fx, gconstpointer data)
{
	EsessStep step;
	GPtrArray *out;
	guint i, before;
	const char *ack;

	(void)data;
	fx->alice.cfg.peer_has_plugin = TRUE;
	fx->bob.cfg.peer_has_plugin = FALSE;
	g_assert_true(neg_run(&fx->alice, &fx->bob, &fx->wire, FALSE));
	before = fx->wire.wire->len;
	esess_step_init(&step);
	g_assert_cmpint(esess_chat_terminate(fx->alice.chat, &step), ==, ESESS_OK);
	out = g_ptr_array_new_with_free_func(g_free);
	for (i = 0; i < esess_step_n_send(&step); i++)
		g_ptr_array_add(out, g_strdup(g_ptr_array_index(step.send, i)));
	esess_step_clear(&step);
	g_assert_nonnull(strstr(out->pdata[0], "<c xmlns="));
	neg_pump(&fx->alice, &fx->bob, out, &fx->wire);
	g_assert_cmpint(fx->bob.last_event, ==, ESESS_EV_ENDED);
	g_assert_true(fx->bob.by_peer);
	/* Bob's acknowledgement went back, encrypted, and Alice took it */
	g_assert_cmpuint(fx->wire.wire->len, ==, before + 2);
	ack = g_ptr_array_index(fx->wire.wire, before + 1);
	g_assert_nonnull(strstr(ack, "<c xmlns="));
	g_assert_null(strstr(ack, "terminate"));
	g_assert_cmpint(fx->alice.last_status, ==, ESESS_OK);
	g_assert_cmpint(esess_chat_state(fx->alice.chat), ==, ESESS_CHAT_ENDED);
	/* a second ack now would be one we did not ask for */
	esess_step_init(&step);
	g_assert_cmpint(esess_chat_terminate(fx->bob.chat, &step), ==, ESESS_OK);
	g_assert_cmpuint(esess_step_n_send(&step), ==, 0);
	esess_step_clear(&step);
}

/* message 2 chooses group 16, which Alice never offered */
static char *
m2_other_group(guint index, const char *s, gpointer data)
{
	static const char *const g16[] = { "16" };

	(void)data;
	if (index != 2)
		return g_strdup(s);
	return neg_set_field(s, "modp", g16, 1);
}

/* Issue 8 item 4: Alice refuses message 2.  She names the reason and the
 * field (step->field), tells Bob with the R13 error naming the field and
 * ends his negotiation with a terminate (a peer such as Gajim only shows an
 * error, R20); Bob learns the field from the error. */
static void
test_refusal_names_field(Fx *fx, gconstpointer data)
{
	guint i;
	gboolean terminate = FALSE, error = FALSE;

	(void)data;
	fx->wire.tamper = m2_other_group; /* fx_setup made the wire */
	g_assert_false(neg_run(&fx->alice, &fx->bob, &fx->wire, FALSE));
	g_assert_cmpint(fx->alice.fail_status, ==, ESESS_ERR_NOT_OFFERED);
	g_assert_cmpstr(fx->alice.fail_field, ==, "modp");
	g_assert_cmpuint(fx->alice.n_errors_sent, ==, 1);
	for (i = 2; i < fx->wire.wire->len; i++) {
		const char *st = g_ptr_array_index(fx->wire.wire, i);

		if (strstr(st, "type='error'") != NULL && strstr(st, "<field var='modp'/>") != NULL)
			error = TRUE;
		if (strstr(st, "var='terminate'") != NULL && strstr(st, "type='error'") == NULL)
			terminate = TRUE;
	}
	g_assert_true(error);
	g_assert_true(terminate);
	g_assert_cmpint(fx->bob.fail_status, ==, ESESS_ERR_PEER_ERROR);
	g_assert_cmpstr(fx->bob.fail_field, ==, "modp");
	g_assert_cmpint(esess_chat_state(fx->alice.chat), ==, ESESS_CHAT_ENDED);
	g_assert_cmpint(esess_chat_state(fx->bob.chat), ==, ESESS_CHAT_ENDED);
}

static void
test_plaintext_while_established(Fx *fx, gconstpointer data)
{
	const char *plain = "<message from='bob@example.com/laptop' to='alice@example.org/pda' "
			    "type='chat'><body>clear</body></message>";

	(void)data;
	g_assert_true(neg_run(&fx->alice, &fx->bob, &fx->wire, FALSE));
	(void)neg_deliver(&fx->alice, plain, NULL);
	g_assert_cmpint(fx->alice.last_event, ==, ESESS_EV_PLAINTEXT);
	g_assert_true(has_body(fx->alice.last_deliver, "clear"));
}

/* Alice's encrypted <message/> (body text), as it leaves her. */
static char *
seal(NegParty *p, NegParty *q, const char *body)
{
	EsessStep step;
	char *stanza, *out;

	esess_step_init(&step);
	stanza = g_markup_printf_escaped("<message to='%s' type='chat'><body>%s</body></message>",
					 q->bare, body);
	g_assert_cmpint(esess_chat_encrypt(p->chat, stanza, strlen(stanza), &step), ==, ESESS_OK);
	g_free(stanza);
	g_assert_cmpuint(esess_step_n_send(&step), ==, 1);
	out = neg_set_from(g_ptr_array_index(step.send, 0), p->jid);
	esess_step_clear(&step);
	return out;
}

/* Issue 10, SECURITY 69: a MAC failure at Bob (here: Alice's first message
 * lost on the way, so the second fails) reaches Alice as a plaintext
 * terminate on the thread from Bob's negotiated JID; she ends with
 * ESESS_ERR_PEER_UNREADABLE and sends nothing more.  Bob tells the sender
 * once more on the first later message, and only once. */
static void
test_failure_tells_sender(Fx *fx, gconstpointer data)
{
	GPtrArray *back;
	char *m1, *m2, *m3, *term, *forged;
	EsessStep step;

	(void)data;
	fx->alice.cfg.peer_has_plugin = fx->bob.cfg.peer_has_plugin = TRUE;
	g_assert_true(neg_run(&fx->alice, &fx->bob, &fx->wire, FALSE));
	m1 = seal(&fx->alice, &fx->bob, "lost");
	m2 = seal(&fx->alice, &fx->bob, "second");
	m3 = seal(&fx->alice, &fx->bob, "third");
	back = g_ptr_array_new_with_free_func(g_free);
	/* m1 never arrives: m2 fails at Bob */
	g_assert_cmpint(neg_deliver(&fx->bob, m2, back), ==, ESESS_ERR_MAC);
	g_assert_cmpint(fx->bob.last_event, ==, ESESS_EV_ENDED);
	g_assert_cmpint(esess_chat_state(fx->bob.chat), ==, ESESS_CHAT_ENDED);
	g_assert_cmpuint(back->len, ==, 1);
	term = neg_set_from(g_ptr_array_index(back, 0), fx->bob.jid);
	g_assert_nonnull(strstr(term, "terminate"));
	g_assert_null(strstr(term, "<c xmlns="));
	/* the same terminate from another resource of Bob: ignored (SECURITY 51) */
	forged = neg_set_from(g_ptr_array_index(back, 0), "bob@example.com/other");
	g_ptr_array_set_size(back, 0);
	g_assert_cmpint(neg_deliver(&fx->alice, forged, NULL), ==, ESESS_ERR_WRONG_PEER);
	g_assert_cmpint(esess_chat_state(fx->alice.chat), ==, ESESS_CHAT_ESTABLISHED);
	/* from the negotiated JID on the thread: Alice learns, fail closed */
	g_assert_cmpint(neg_deliver(&fx->alice, term, NULL), ==, ESESS_ERR_PEER_UNREADABLE);
	g_assert_cmpint(fx->alice.last_event, ==, ESESS_EV_ENDED);
	g_assert_cmpint(fx->alice.last_status, ==, ESESS_ERR_PEER_UNREADABLE);
	g_assert_true(fx->alice.by_peer);
	g_assert_cmpint(esess_chat_state(fx->alice.chat), ==, ESESS_CHAT_ENDED);
	esess_step_init(&step);
	g_assert_cmpint(esess_chat_encrypt(fx->alice.chat, "<message><body>x</body></message>", 33,
					   &step), ==, ESESS_ERR_SESSION_ENDED);
	g_assert_cmpuint(esess_step_n_send(&step), ==, 0);
	esess_step_clear(&step);
	/* m3 on Bob's ended thread: not shown, reported, the sender told once */
	g_assert_cmpint(neg_deliver(&fx->bob, m3, back), ==, ESESS_ERR_SESSION_ENDED);
	g_assert_null(fx->bob.last_deliver);
	g_assert_cmpuint(back->len, ==, 1);
	g_assert_nonnull(strstr(g_ptr_array_index(back, 0), "terminate"));
	g_ptr_array_set_size(back, 0);
	g_assert_cmpint(neg_deliver(&fx->bob, m1, back), ==, ESESS_ERR_SESSION_ENDED);
	g_assert_cmpuint(back->len, ==, 0);
	g_ptr_array_unref(back);
	g_free(m1);
	g_free(m2);
	g_free(m3);
	g_free(term);
	g_free(forged);
}

/* Issue 10 item 2, SECURITY 70: a payload of exactly esess_chat_max_payload
 * bytes is sent and read by the receiver's own limits; one byte more is
 * refused by the sender, with its size, while established and while
 * negotiating (not only when the queue is flushed). */
static void
test_size_limit(Fx *fx, gconstpointer data)
{
	size_t max = esess_chat_max_payload();
	EsessStep step;
	GString *stanza;
	GPtrArray *out;
	char *sent;
	guint i;

	(void)data;
	g_assert_cmpuint(max, >=, 100u * 1024u);
	g_assert_true(neg_run(&fx->alice, &fx->bob, &fx->wire, FALSE));
	for (i = 0; i < 2; i++) {
		stanza = g_string_new("<message to='bob@example.com' type='chat'><body>");
		/* the payload is <body>...</body>: 13 bytes of markup */
		while (stanza->len < strlen("<message to='bob@example.com' type='chat'><body>") +
		       max - 13 + i)
			g_string_append_c(stanza, 'a' + (char)(stanza->len % 26));
		g_string_append(stanza, "</body></message>");
		esess_step_init(&step);
		if (i == 0) {
			g_assert_cmpint(esess_chat_encrypt(fx->alice.chat, stanza->str, stanza->len,
							   &step), ==, ESESS_OK);
			g_assert_cmpuint(esess_step_n_send(&step), ==, 1);
			sent = neg_set_from(g_ptr_array_index(step.send, 0), fx->alice.jid);
			out = g_ptr_array_new_with_free_func(g_free);
			g_assert_cmpint(neg_deliver(&fx->bob, sent, out), ==, ESESS_OK);
			g_assert_cmpint(fx->bob.last_event, ==, ESESS_EV_MESSAGE);
			g_assert_cmpuint(strlen(fx->bob.last_deliver), >, max);
			g_ptr_array_unref(out);
			g_free(sent);
		} else {
			g_assert_cmpint(esess_chat_encrypt(fx->alice.chat, stanza->str, stanza->len,
							   &step), ==, ESESS_ERR_TOO_LARGE);
			g_assert_cmpuint(step.size, ==, max + 1);
			g_assert_cmpuint(esess_step_n_send(&step), ==, 0);
			g_assert_cmpint(esess_chat_state(fx->alice.chat), ==, ESESS_CHAT_ESTABLISHED);
		}
		esess_step_clear(&step);
		g_string_free(stanza, TRUE);
	}
	/* 1 MiB (beyond the engine's stanza limits): the same refusal */
	stanza = g_string_new("<message to='bob@example.com' type='chat'><body>");
	while (stanza->len < 1024u * 1024u)
		g_string_append(stanza, "0123456789abcdef");
	g_string_append(stanza, "</body></message>");
	esess_step_init(&step);
	g_assert_cmpint(esess_chat_encrypt(fx->alice.chat, stanza->str, stanza->len, &step), ==,
			ESESS_ERR_TOO_LARGE);
	g_assert_cmpuint(step.size, >, 1000u * 1024u);
	esess_step_clear(&step);
	/* while negotiating: refused at once, not queued */
	neg_party_reset(&fx->alice);
	g_assert_cmpint(esess_chat_start(&fx->alice.cfg, &fx->alice.chat, &step), ==, ESESS_OK);
	esess_step_clear(&step);
	g_assert_cmpint(esess_chat_encrypt(fx->alice.chat, stanza->str, stanza->len, &step), ==,
			ESESS_ERR_TOO_LARGE);
	g_assert_cmpint(step.event, ==, ESESS_EV_NONE);
	esess_step_clear(&step);
	g_string_free(stanza, TRUE);
}

/* R20: a peer whose caps node is http://gajim.org: the SAS is shown
 * unpadded, the terminate goes in plaintext with no ack even if the peer
 * claimed the plugin feature, and nothing beyond R12 is offered. */
static void
test_gajim_quirks(Fx *fx, gconstpointer data)
{
	EsessStep step;
	const char *pa, *pb;

	(void)data;
	fx->alice.cfg.peer_caps_node = "http://gajim.org";
	fx->alice.cfg.peer_has_plugin = TRUE;
	g_assert_true(neg_run(&fx->alice, &fx->bob, &fx->wire, FALSE));
	pa = esess_chat_sas(fx->alice.chat);
	pb = esess_chat_sas(fx->bob.chat);
	g_assert_cmpuint(strlen(pb), ==, 5);
	while (*pb == 'a' && pb[1] != '\0')
		pb++;
	g_assert_cmpstr(pa, ==, pb);
	g_assert_null(strstr(g_ptr_array_index(fx->wire.wire, 0), "aes256-ctr"));
	esess_step_init(&step);
	g_assert_cmpint(esess_chat_terminate(fx->alice.chat, &step), ==, ESESS_OK);
	g_assert_cmpuint(esess_step_n_send(&step), ==, 1);
	g_assert_nonnull(strstr(g_ptr_array_index(step.send, 0), "terminate"));
	g_assert_null(strstr(g_ptr_array_index(step.send, 0), "<c xmlns="));
	esess_step_clear(&step);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_assert_cmpint(esess_crypto_init(), ==, ESESS_OK);
#define ADD(path, fn) g_test_add(path, Fx, NULL, fx_setup, fn, fx_teardown)
	ADD("/twoparty/negotiation", test_full_negotiation);
	ADD("/twoparty/messages-both-ways", test_messages_both_ways);
	ADD("/twoparty/bob-initiates", test_bob_initiates);
	ADD("/twoparty/queue-while-negotiating", test_queue_while_negotiating);
	ADD("/twoparty/retained-secret-unverified", test_retained_unverified);
	ADD("/twoparty/retained-secret-verified", test_retained_verified);
	ADD("/twoparty/rejection", test_rejection);
	ADD("/twoparty/no-common-option", test_no_common_option);
	ADD("/twoparty/logging-table", test_logging_table);
	ADD("/twoparty/terminate-plugin-encrypted-ack", test_terminate_plugin);
	ADD("/twoparty/terminate-plaintext", test_terminate_plain);
	ADD("/twoparty/terminate-by-responder", test_terminate_by_bob);
	ADD("/twoparty/terminate-ack-whatever-advertised", test_terminate_ack_unadvertised);
	ADD("/twoparty/refusal-names-field", test_refusal_names_field);
	ADD("/twoparty/plaintext-while-established", test_plaintext_while_established);
	ADD("/twoparty/gajim-quirks", test_gajim_quirks);
	ADD("/twoparty/failure-tells-sender", test_failure_tells_sender);
	ADD("/twoparty/size-limit", test_size_limit);
	return g_test_run();
}
