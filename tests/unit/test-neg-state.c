/*
 * test-neg-state: the SECURITY items of E (31-33: SAS and continuity),
 * G (50-57: the session state machines) and H (58-60: bounded work),
 * through the negotiation and the chat, named "/neg/security/NN-name".
 */
#include "config.h"

#include <string.h>

#include "esess-bytes.h"
#include "esess-chat-private.h"
#include "esess-featneg.h"
#include "esess-form.h"
#include "esess-modp.h"
#include "esess-negotiate.h"
#include "esess-neg-private.h"
#include "esess-sas.h"
#include "neg-pair.h"

#define TERM_FMT "<message from='%s' to='%s'><thread>%s</thread>" \
	"<feature xmlns='http://jabber.org/protocol/feature-neg'>" \
	"<x xmlns='jabber:x:data' type='submit'>" \
	"<field var='FORM_TYPE'><value>urn:xmpp:ssn</value></field>" \
	"<field var='terminate'><value>1</value></field></x></feature></message>"

static void
sec_52_duplicate(void)
{
	P p;

	p_init(&p);
	g_assert_cmpint(p_run(&p), ==, ESESS_OK);
	/* a second message 3 / message 4 after DONE: ignored, no new keys */
	g_assert_cmpint(p_recv(&p, p.b, p.m[3], 5), ==, ESESS_ERR_STATE);
	g_assert_null(p.m[5]);
	g_assert_cmpint(esess_neg_state(p.b), ==, ESESS_NEG_DONE);
	g_assert_cmpint(p_recv(&p, p.a, p.m[4], 5), ==, ESESS_ERR_STATE);
	g_assert_cmpint(esess_neg_state(p.a), ==, ESESS_NEG_DONE);
	p_clear(&p);
	/* a second message 2 while waiting for message 4: fails, no new keys */
	p_init(&p);
	p_m1(&p);
	g_assert_cmpint(p_respond(&p, p.m[1]), ==, ESESS_OK);
	g_assert_cmpint(p_recv(&p, p.a, p.m[2], 3), ==, ESESS_OK);
	g_assert_cmpint(p_recv(&p, p.a, p.m[2], 5), ==, ESESS_ERR_STATE);
	g_assert_null(p.m[5]);
	assert_failed_wiped(p.a);
	p_clear(&p);
}

/* Issue 11 item 3: once established, a chat holds nothing of its
 * negotiation (forms, result, secrets); a late duplicate of message 3 or 4
 * is still refused without changing anything (SECURITY 52). */
static void
sec_52_established_frees_negotiation(void)
{
	Fx fx;
	const char *m3, *m4;

	fx_init(&fx);
	g_assert_true(neg_run(&fx.a, &fx.b, &fx.w, TRUE));
	g_assert_null(fx.a.chat->neg);
	g_assert_null(fx.b.chat->neg);
	g_assert_cmpuint(fx.w.wire->len, >=, 4);
	m3 = g_ptr_array_index(fx.w.wire, 2);
	m4 = g_ptr_array_index(fx.w.wire, 3);
	g_assert_cmpint(neg_deliver(&fx.b, m3, NULL), ==, ESESS_ERR_STATE);
	g_assert_cmpint(neg_deliver(&fx.a, m4, NULL), ==, ESESS_ERR_STATE);
	g_assert_cmpint(esess_chat_state(fx.a.chat), ==, ESESS_CHAT_ESTABLISHED);
	g_assert_cmpint(esess_chat_state(fx.b.chat), ==, ESESS_CHAT_ESTABLISHED);
	fx_clear(&fx);
}

/* esess_neg_wipe gives the canonical forms' buffers back, not only their
 * text. */
static void
neg_wipe_frees_forms(void)
{
	P p;

	p_init(&p);
	p_m1(&p);
	g_assert_cmpint(p_respond(&p, p.m[1]), ==, ESESS_OK);
	g_assert_cmpuint(p.b->form_a->allocated_len, >, 256);
	esess_neg_wipe(p.b);
	g_assert_cmpuint(p.b->form_a->allocated_len, <, 256);
	g_assert_cmpuint(p.b->form_b->allocated_len, <, 256);
	p_clear(&p);
}

static void
sec_53_reordered(void)
{
	P p, q;

	/* message 4 of another run before message 2 */
	p_init(&q);
	g_assert_cmpint(p_run(&q), ==, ESESS_OK);
	p_init(&p);
	p_m1(&p);
	g_assert_cmpint(p_recv(&p, p.a, q.m[4], 0), ==, ESESS_ERR_STATE);
	assert_failed_wiped(p.a);
	p_clear(&p);
	/* message 3 to Bob before he answered: Bob has no state for it; and
	 * message 2 to Bob (a responder never takes one) */
	p_init(&p);
	p_m1(&p);
	g_assert_cmpint(p_respond(&p, p.m[1]), ==, ESESS_OK);
	g_assert_cmpint(p_recv(&p, p.b, q.m[2], 0), ==, ESESS_ERR_STATE);
	g_assert_cmpint(esess_neg_state(p.b), ==, ESESS_NEG_FAILED);
	p_clear(&p);
	p_clear(&q);
}

static void
sec_57_no_half_state(void)
{
	P p;
	const guint8 *e;
	guint8 *e1;
	size_t n1, n2;

	p_init(&p);
	p_m1(&p);
	e = esess_neg_own_public(p.a, 14, &n1);
	e1 = g_memdup2(e, n1);
	g_assert_cmpint(p_respond(&p, p.m[1]), ==, ESESS_OK);
	g_assert_cmpint(p_recv(&p, p.a, p.m[1], 3), ==, ESESS_ERR_STATE); /* junk */
	assert_failed_wiped(p.a);
	g_assert_cmpint(p_recv(&p, p.a, p.m[2], 3), ==, ESESS_ERR_STATE); /* sticky */
	p_clear(&p);
	p_init(&p);
	p_m1(&p);
	e = esess_neg_own_public(p.a, 14, &n2);
	g_assert_false(n1 == n2 && memcmp(e, e1, n1) == 0); /* fresh x, e */
	g_assert_cmpint(p_respond(&p, p.m[1]), ==, ESESS_OK);
	g_assert_cmpint(p_recv(&p, p.a, p.m[2], 3), ==, ESESS_OK);
	g_assert_cmpint(p_recv(&p, p.b, p.m[3], 4), ==, ESESS_OK);
	g_assert_cmpint(p_recv(&p, p.a, p.m[4], 0), ==, ESESS_OK);
	g_free(e1);
	p_clear(&p);
}

static void
sec_59_huge_form(void)
{
	P p;
	GString *s;
	char *t;
	int i;

	p_init(&p);
	p_m1(&p);
	s = g_string_new(p.m[1]);
	for (i = 0; i < 100; i++) {
		char *f = g_strdup_printf("<field var='junk%d'><value>x</value></field>", i);
		char *pos = strstr(s->str, "</x>");

		g_string_insert(s, pos - s->str, f);
		g_free(f);
	}
	t = g_string_free(s, FALSE);
	g_assert_cmpint(p_respond(&p, t), ==, ESESS_ERR_XML_LIMIT);
	g_assert_null(p.b);
	g_free(t);
	p_clear(&p);
}

static void
sec_60_integers(void)
{
	m2_field("rekey_freq", "+5", ESESS_ERR_FORM);
	m2_field("rekey_freq", "-1", ESESS_ERR_FORM);
	m2_field("rekey_freq", "18446744073709551616", ESESS_ERR_FORM);
	m2_field("rekey_freq", "12ab", ESESS_ERR_FORM);
}

static void
sec_31_sas_mismatch(void)
{
	Fx fx;
	EsessStep step;

	fx_init(&fx);
	g_assert_true(neg_run(&fx.a, &fx.b, &fx.w, FALSE));
	esess_step_init(&step);
	g_assert_cmpint(esess_chat_sas_result(fx.a.chat, FALSE, &step), ==, ESESS_ERR_SAS_MISMATCH);
	g_assert_cmpint(step.event, ==, ESESS_EV_ENDED);
	g_assert_cmpint(step.status, ==, ESESS_ERR_SAS_MISMATCH);
	g_assert_cmpuint(esess_step_n_send(&step), ==, 1); /* terminate */
	esess_step_clear(&step);
	g_assert_cmpint(esess_chat_state(fx.a.chat), ==, ESESS_CHAT_ENDED);
	/* no retained secret kept on Alice's side: Bob's one no longer matches */
	neg_party_reset(&fx.a);
	neg_party_reset(&fx.b);
	g_assert_true(neg_run(&fx.a, &fx.b, &fx.w, FALSE));
	g_assert_cmpint(esess_chat_continuity(fx.a.chat), ==, ESESS_CONT_NEW);
	g_assert_cmpint(esess_chat_continuity(fx.b.chat), ==, ESESS_CONT_BROKEN);
	fx_clear(&fx);
}

/* message 2 re-serialised: whitespace between elements, double quotes */
static char *
reformat(guint index, const char *s, gpointer data)
{
	GString *g;
	const char *p;

	(void)data;
	if (index != 2)
		return g_strdup(s);
	g = g_string_new(NULL);
	for (p = s; *p != '\0'; p++) {
		if (*p == '\'')
			g_string_append_c(g, '"');
		else
			g_string_append_c(g, *p);
		if (*p == '>' && p[1] == '<')
			g_string_append(g, "\n  ");
	}
	return g_string_free(g, FALSE);
}

static void
sec_32_sas_normalised(void)
{
	Fx fx;

	fx_init(&fx);
	neg_wire_clear(&fx.w);
	neg_wire_init(&fx.w, reformat, NULL);
	g_assert_true(neg_run(&fx.a, &fx.b, &fx.w, FALSE));
	g_assert_cmpstr(esess_chat_sas(fx.a.chat), ==, esess_chat_sas(fx.b.chat));
	fx_clear(&fx);
}

static void
sec_33_continuity_broken(void)
{
	Fx fx;
	char *path;

	fx_init(&fx);
	g_assert_true(neg_run(&fx.a, &fx.b, &fx.w, FALSE));
	/* Bob loses his secrets (or a MitM stands in for him) */
	neg_party_reset(&fx.a);
	neg_party_reset(&fx.b);
	g_assert_cmpint(esess_store_forget_peer(fx.b.store, fx.b.bare, fx.a.bare), ==, ESESS_OK);
	g_assert_true(neg_run(&fx.a, &fx.b, &fx.w, FALSE));
	g_assert_cmpint(esess_chat_continuity(fx.a.chat), ==, ESESS_CONT_BROKEN);
	g_assert_cmpint(esess_chat_continuity(fx.b.chat), ==, ESESS_CONT_NEW);
	path = NULL;
	g_free(path);
	fx_clear(&fx);
}

/* drops message 4 (the responder's result, the one carrying srshash) */
static char *
drop_m4(guint index, const char *s, gpointer data)
{
	(void)index;
	if (strstr(s, "srshash") != NULL) {
		(*(guint *)data)++;
		return NULL;
	}
	return g_strdup(s);
}

/* SECURITY 67: a lost message 4 is no attack.  Bob stored the new secret
 * answering message 3, Alice never did; the next session (either side
 * starting) must find the chain, verified, and the chain must carry on. */
static void
sec_67_message_4_lost_one(gboolean bob_starts)
{
	Fx fx;
	EsessStep step;
	NegParty *first, *second;
	guint dropped = 0, round;

	fx_init(&fx);
	g_assert_true(neg_run(&fx.a, &fx.b, &fx.w, FALSE));
	esess_step_init(&step);
	g_assert_cmpint(esess_chat_sas_result(fx.a.chat, TRUE, &step), ==, ESESS_OK);
	g_assert_cmpint(esess_chat_sas_result(fx.b.chat, TRUE, &step), ==, ESESS_OK);
	esess_step_clear(&step);
	/* Alice starts; her message 4 is lost (twice in a row, even) */
	for (round = 0; round < 2; round++) {
		neg_party_reset(&fx.a);
		neg_party_reset(&fx.b);
		neg_wire_clear(&fx.w);
		neg_wire_init(&fx.w, drop_m4, &dropped);
		g_assert_false(neg_run(&fx.a, &fx.b, &fx.w, FALSE));
		g_assert_cmpuint(dropped, ==, round + 1);
		g_assert_cmpint(esess_chat_state(fx.b.chat), ==, ESESS_CHAT_ESTABLISHED);
		g_assert_cmpint(esess_chat_continuity(fx.b.chat), ==, ESESS_CONT_VERIFIED);
		g_assert_cmpint(esess_chat_state(fx.a.chat), !=, ESESS_CHAT_ESTABLISHED);
	}
	neg_wire_clear(&fx.w);
	neg_wire_init(&fx.w, NULL, NULL);
	/* the next sessions: no broken chain, still verified, on both sides,
	 * whoever starts */
	first = bob_starts ? &fx.b : &fx.a;
	second = bob_starts ? &fx.a : &fx.b;
	for (round = 0; round < 3; round++) {
		neg_party_reset(&fx.a);
		neg_party_reset(&fx.b);
		g_assert_true(neg_run(round == 1 ? second : first, round == 1 ? first : second,
				      &fx.w, FALSE));
		g_assert_cmpint(esess_chat_continuity(fx.a.chat), ==, ESESS_CONT_VERIFIED);
		g_assert_cmpint(esess_chat_continuity(fx.b.chat), ==, ESESS_CONT_VERIFIED);
		g_assert_true(esess_chat_verified(fx.a.chat));
		g_assert_true(esess_chat_verified(fx.b.chat));
	}
	fx_clear(&fx);
}

static void
sec_67_message_4_lost(void)
{
	sec_67_message_4_lost_one(FALSE);
	sec_67_message_4_lost_one(TRUE);
}

static void
sec_50_unknown_session(void)
{
	Fx fx;
	char *enc = NULL;
	GPtrArray *out;
	EsessStep step;
	const char *msg = "<message to='bob@example.com' type='chat'><body>x</body></message>";

	fx_init(&fx);
	g_assert_true(neg_run(&fx.a, &fx.b, &fx.w, FALSE));
	esess_step_init(&step);
	g_assert_cmpint(esess_chat_encrypt(fx.a.chat, msg, strlen(msg), &step), ==, ESESS_OK);
	enc = neg_set_from(g_ptr_array_index(step.send, 0), fx.a.jid);
	esess_step_clear(&step);
	g_assert_cmpint(esess_chat_terminate(fx.b.chat, &step), ==, ESESS_OK);
	esess_step_clear(&step);
	/* after termination: nothing shown, no error reply; the sender of a
	 * message is told once, by a terminate on its own thread (issue 10) */
	out = g_ptr_array_new_with_free_func(g_free);
	g_assert_cmpint(neg_deliver(&fx.b, enc, out), ==, ESESS_ERR_SESSION_ENDED);
	g_assert_cmpuint(out->len, ==, 1);
	g_assert_nonnull(strstr(g_ptr_array_index(out, 0), "terminate"));
	g_assert_nonnull(strstr(g_ptr_array_index(out, 0), esess_chat_thread(fx.b.chat)));
	g_assert_null(strstr(g_ptr_array_index(out, 0), "error"));
	g_assert_null(fx.b.last_deliver);
	g_ptr_array_set_size(out, 0);
	g_assert_cmpint(neg_deliver(&fx.b, enc, out), ==, ESESS_ERR_SESSION_ENDED);
	g_assert_cmpuint(out->len, ==, 0);
	g_ptr_array_unref(out);
	g_free(enc);
	fx_clear(&fx);
}

static void
sec_51_terminate_forged(void)
{
	Fx fx;
	char *term, *other;

	fx_init(&fx);
	fx.a.cfg.peer_has_plugin = fx.b.cfg.peer_has_plugin = TRUE;
	g_assert_true(neg_run(&fx.a, &fx.b, &fx.w, FALSE));
	/* another thread: ignored */
	other = g_strdup_printf(TERM_FMT, fx.a.jid, fx.b.jid, "someotherthreadid");
	g_assert_cmpint(neg_deliver(&fx.b, other, NULL), ==, ESESS_ERR_WRONG_PEER);
	g_assert_cmpint(esess_chat_state(fx.b.chat), ==, ESESS_CHAT_ESTABLISHED);
	g_free(other);
	/* the thread, from another resource of the peer: ignored */
	other = g_strdup_printf(TERM_FMT, "alice@example.org/other", fx.b.jid,
				esess_chat_thread(fx.b.chat));
	g_assert_cmpint(neg_deliver(&fx.b, other, NULL), ==, ESESS_ERR_WRONG_PEER);
	g_assert_cmpint(esess_chat_state(fx.b.chat), ==, ESESS_CHAT_ESTABLISHED);
	/* plaintext (no MAC) to a peer of this plugin, on the thread from the
	 * negotiated JID: never read as "the peer ended it", but as "the peer
	 * could not read us" (issue 10): the session ends, fail closed */
	term = g_strdup_printf(TERM_FMT, fx.a.jid, fx.b.jid, esess_chat_thread(fx.b.chat));
	g_assert_cmpint(neg_deliver(&fx.b, term, NULL), ==, ESESS_ERR_PEER_UNREADABLE);
	g_assert_cmpint(fx.b.last_status, ==, ESESS_ERR_PEER_UNREADABLE);
	g_assert_cmpint(esess_chat_state(fx.b.chat), ==, ESESS_CHAT_ENDED);
	g_free(term);
	g_free(other);
	fx_clear(&fx);
}

static void
sec_54_simultaneous(void)
{
	Fx fx;
	EsessStep step;
	EsessMsgInfo ia, ib;
	char *s;

	fx_init(&fx);
	fx.a.cfg.peer_jid = fx.b.bare;
	fx.b.cfg.peer_jid = fx.a.bare;
	esess_step_init(&step);
	g_assert_cmpint(esess_chat_start(&fx.a.cfg, &fx.a.chat, &step), ==, ESESS_OK);
	s = neg_set_from(g_ptr_array_index(step.send, 0), fx.a.jid);
	g_assert_cmpint(esess_msg_inspect(s, strlen(s), fx.b.jid, &ib), ==, ESESS_OK);
	g_free(s);
	esess_step_clear(&step);
	g_assert_cmpint(esess_chat_start(&fx.b.cfg, &fx.b.chat, &step), ==, ESESS_OK);
	s = neg_set_from(g_ptr_array_index(step.send, 0), fx.b.jid);
	g_assert_cmpint(esess_msg_inspect(s, strlen(s), fx.a.jid, &ia), ==, ESESS_OK);
	g_free(s);
	esess_step_clear(&step);
	/* alice@example.org > bob@example.com? 'a' < 'b': Alice keeps hers */
	g_assert_false(esess_chat_yields_to(fx.a.chat, &ia));
	g_assert_true(esess_chat_yields_to(fx.b.chat, &ib));
	esess_msg_info_clear(&ia);
	esess_msg_info_clear(&ib);
	fx_clear(&fx);
}

/* Issue 9 item 10: Bob's account is written "Bob@example.com", the server
 * stamps his stanzas "bob@example.com/laptop".  Compared as written, both
 * sides kept their own negotiation ('B' < 'a' < 'b'); normalised, exactly
 * one gives way. */
static void
sec_54_simultaneous_mixed_case(void)
{
	Fx fx;
	EsessStep step;
	EsessMsgInfo ia, ib;
	char *s;
	gboolean a_yields, b_yields;

	fx_init(&fx);
	fx.a.cfg.peer_jid = "bob@example.com";
	fx.b.cfg.peer_jid = "Alice@Example.org";
	fx.b.cfg.own_jid = "Bob@example.com/laptop";
	esess_step_init(&step);
	g_assert_cmpint(esess_chat_start(&fx.a.cfg, &fx.a.chat, &step), ==, ESESS_OK);
	s = neg_set_from(g_ptr_array_index(step.send, 0), "alice@example.org/pda");
	g_assert_cmpint(esess_msg_inspect(s, strlen(s), fx.b.jid, &ib), ==, ESESS_OK);
	g_free(s);
	esess_step_clear(&step);
	g_assert_cmpint(esess_chat_start(&fx.b.cfg, &fx.b.chat, &step), ==, ESESS_OK);
	s = neg_set_from(g_ptr_array_index(step.send, 0), "bob@example.com/laptop");
	g_assert_cmpint(esess_msg_inspect(s, strlen(s), fx.a.jid, &ia), ==, ESESS_OK);
	g_free(s);
	esess_step_clear(&step);
	a_yields = esess_chat_yields_to(fx.a.chat, &ia);
	b_yields = esess_chat_yields_to(fx.b.chat, &ib);
	g_assert_false(a_yields);
	g_assert_true(b_yields);
	esess_msg_info_clear(&ia);
	esess_msg_info_clear(&ib);
	fx_clear(&fx);
}

/* Issue 9 item 10: the user typed "Bob@Example.COM", the answers come from
 * "bob@example.com/laptop": the same peer (it used to be refused as
 * SECURITY 55's wrong JID), and the same retained secrets whichever way
 * the JID is written next time. */
static void
jid_mixed_case_peer(void)
{
	Fx fx;
	char *upper = g_strdup("Bob@Example.COM");
	char *lower;

	fx_init(&fx);
	lower = fx.b.bare;
	fx.b.bare = upper;  /* neg_run addresses b->bare */
	g_assert_true(neg_run(&fx.a, &fx.b, &fx.w, FALSE));
	g_assert_cmpint(esess_chat_continuity(fx.a.chat), ==, ESESS_CONT_NEW);
	neg_party_reset(&fx.a);
	neg_party_reset(&fx.b);
	fx.b.bare = lower;
	g_assert_true(neg_run(&fx.a, &fx.b, &fx.w, FALSE));
	g_assert_cmpint(esess_chat_continuity(fx.a.chat), ==, ESESS_CONT_UNVERIFIED);
	g_assert_cmpint(esess_chat_continuity(fx.b.chat), ==, ESESS_CONT_UNVERIFIED);
	/* and back from Bob's side, to "ALICE@example.org" */
	neg_party_reset(&fx.a);
	neg_party_reset(&fx.b);
	lower = fx.a.bare;
	fx.a.bare = g_strdup("ALICE@example.org");
	g_assert_true(neg_run(&fx.b, &fx.a, &fx.w, FALSE));
	g_assert_cmpint(esess_chat_continuity(fx.a.chat), ==, ESESS_CONT_UNVERIFIED);
	g_assert_cmpint(esess_chat_continuity(fx.b.chat), ==, ESESS_CONT_UNVERIFIED);
	g_free(fx.a.bare);
	fx.a.bare = lower;
	g_free(upper);
	fx_clear(&fx);
}

static void
sec_55_wrong_jid(void)
{
	Fx fx;
	EsessStep step;
	GPtrArray *out;
	char *m1, *m2, *forged;
	guint i;

	fx_init(&fx);
	fx.a.cfg.peer_jid = fx.b.bare;
	esess_step_init(&step);
	g_assert_cmpint(esess_chat_start(&fx.a.cfg, &fx.a.chat, &step), ==, ESESS_OK);
	m1 = neg_set_from(g_ptr_array_index(step.send, 0), fx.a.jid);
	esess_step_clear(&step);
	out = g_ptr_array_new_with_free_func(g_free);
	(void)neg_deliver(&fx.b, m1, out);
	g_assert_cmpuint(out->len, ==, 1);
	/* the answer from mallory: dropped, nothing changes */
	forged = neg_set_from(g_ptr_array_index(out, 0), "mallory@example.net/x");
	g_assert_cmpint(neg_deliver(&fx.a, forged, NULL), ==, ESESS_ERR_WRONG_PEER);
	g_assert_cmpint(esess_chat_state(fx.a.chat), ==, ESESS_CHAT_NEGOTIATING);
	g_free(forged);
	/* the real answer pins Bob's full JID */
	m2 = neg_set_from(g_ptr_array_index(out, 0), fx.b.jid);
	g_ptr_array_set_size(out, 0);
	(void)neg_deliver(&fx.a, m2, out);
	g_assert_cmpstr(esess_chat_peer(fx.a.chat), ==, fx.b.jid);
	g_assert_cmpuint(out->len, ==, 1);
	(void)neg_deliver(&fx.b, (forged = neg_set_from(g_ptr_array_index(out, 0), fx.a.jid)), out);
	g_free(forged);
	/* message 4 from another resource of Bob: dropped */
	for (i = 0; i < out->len; i++) {
		const char *s = g_ptr_array_index(out, i);

		if (strstr(s, "#ns-init") == NULL)
			continue;
		forged = neg_set_from(s, "bob@example.com/phone");
		g_assert_cmpint(neg_deliver(&fx.a, forged, NULL), ==, ESESS_ERR_WRONG_PEER);
		g_free(forged);
		forged = neg_set_from(s, fx.b.jid);
		g_assert_cmpint(neg_deliver(&fx.a, forged, NULL), ==, ESESS_OK);
		g_free(forged);
	}
	g_assert_cmpint(esess_chat_state(fx.a.chat), ==, ESESS_CHAT_ESTABLISHED);
	g_ptr_array_unref(out);
	g_free(m1);
	g_free(m2);
	fx_clear(&fx);
}

static void
sec_56_offline(void)
{
	Fx fx;
	EsessStep step;
	const char *q = "<message to='bob@example.com'><body>pending</body></message>";

	fx_init(&fx);
	fx.a.cfg.peer_jid = fx.b.bare;
	esess_step_init(&step);
	g_assert_cmpint(esess_chat_start(&fx.a.cfg, &fx.a.chat, &step), ==, ESESS_OK);
	esess_step_clear(&step);
	g_assert_cmpint(esess_chat_encrypt(fx.a.chat, q, strlen(q), &step), ==, ESESS_OK);
	esess_step_clear(&step);
	/* the peer went offline: ended without sending, queue reported */
	esess_chat_abort(fx.a.chat, ESESS_ERR_TIMEOUT, &step);
	g_assert_cmpint(step.event, ==, ESESS_EV_FAILED);
	g_assert_cmpint(step.status, ==, ESESS_ERR_TIMEOUT);
	g_assert_cmpuint(esess_step_n_send(&step), ==, 0);
	g_assert_cmpuint(esess_step_n_unsent(&step), ==, 1);
	g_assert_cmpstr(g_ptr_array_index(step.unsent, 0), ==, "pending");
	esess_step_clear(&step);
	g_assert_cmpint(esess_chat_state(fx.a.chat), ==, ESESS_CHAT_ENDED);
	fx_clear(&fx);
}

static void
sec_58_rate_limit(void)
{
	Fx fx;
	EsessLimiter *lim;
	EsessChat *c[20];
	EsessStep step;
	char peer[64];
	int i;

	fx_init(&fx);
	lim = esess_limiter_new(ESESS_LIMIT_PER_PEER, ESESS_LIMIT_WINDOW_S, ESESS_LIMIT_IN_FLIGHT);
	esess_limiter_set_time(lim, 1000000);
	fx.a.cfg.limiter = lim;
	fx.a.cfg.peer_jid = fx.b.bare;
	memset(c, 0, sizeof c);
	esess_step_init(&step);
	for (i = 0; i < 5; i++) {
		g_assert_cmpint(esess_chat_start(&fx.a.cfg, &c[i], &step), ==, ESESS_OK);
		esess_step_clear(&step);
	}
	g_assert_cmpint(esess_chat_start(&fx.a.cfg, &c[5], &step), ==, ESESS_ERR_RATE_LIMIT);
	g_assert_null(c[5]);
	g_assert_cmpuint(esess_limiter_in_flight(lim), ==, 5);
	/* a minute later the peer may ask again */
	esess_limiter_set_time(lim, 1000000 + 60 * G_USEC_PER_SEC);
	g_assert_cmpint(esess_chat_start(&fx.a.cfg, &c[5], &step), ==, ESESS_OK);
	esess_step_clear(&step);
	/* the cap on negotiations in flight, across peers */
	for (i = 6; i < 20; i++) {
		g_snprintf(peer, sizeof peer, "peer%d@example.net", i);
		fx.a.cfg.peer_jid = peer;
		g_assert_cmpint(esess_chat_start(&fx.a.cfg, &c[i], &step),
				==, i < 16 ? ESESS_OK : ESESS_ERR_RATE_LIMIT);
		esess_step_clear(&step);
	}
	g_assert_cmpuint(esess_limiter_in_flight(lim), ==, 16);
	for (i = 0; i < 20; i++)
		esess_chat_free(c[i]);
	g_assert_cmpuint(esess_limiter_in_flight(lim), ==, 0);
	esess_limiter_free(lim);
	fx.a.cfg.limiter = NULL;
	fx_clear(&fx);
}

/* Gives back one slot in flight, as esess_chat_release does for a chat whose
 * negotiation ended. */
static void
lim_release_one(EsessLimiter *lim)
{
	EsessChat fake;

	memset(&fake, 0, sizeof fake);
	fake.limiter = lim;
	fake.counted = TRUE;
	esess_chat_release(&fake);
}

/* Issue 11 item 1: the limiter forgets peers whose admissions left the
 * window, so a stream of distinct JIDs does not grow its table for ever. */
static void
sec_58_limiter_pruned(void)
{
	EsessLimiter *lim;
	gint64 now = 1000000;
	char peer[64];
	guint i;

	lim = esess_limiter_new(ESESS_LIMIT_PER_PEER, ESESS_LIMIT_WINDOW_S, ESESS_LIMIT_IN_FLIGHT);
	for (i = 0; i < 5000; i++) {
		/* one new JID a second, each negotiation over at once */
		esess_limiter_set_time(lim, now + (gint64)i * G_USEC_PER_SEC);
		g_snprintf(peer, sizeof peer, "stranger%u@example.net", i);
		g_assert_cmpint(esess_limiter_admit(lim, peer), ==, ESESS_OK);
		g_assert_cmpuint(esess_limiter_in_flight(lim), ==, 1);
		lim_release_one(lim);
		/* at most 60 are inside the window; the table stays bounded */
		g_assert_cmpuint(esess_limiter_peers_tracked(lim), <=, 2 * 64 + 60);
	}
	/* a peer inside the window is still limited after sweeps */
	for (i = 0; i < ESESS_LIMIT_PER_PEER - 1; i++) {
		g_assert_cmpint(esess_limiter_admit(lim, "stranger4999@example.net"), ==, ESESS_OK);
		lim_release_one(lim);
	}
	g_assert_cmpint(esess_limiter_admit(lim, "stranger4999@example.net"), ==,
			ESESS_ERR_RATE_LIMIT);
	esess_limiter_free(lim);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_assert_cmpint(esess_crypto_init(), ==, ESESS_OK);
	g_test_add_func("/neg/security/31-sas-mismatch", sec_31_sas_mismatch);
	g_test_add_func("/neg/security/32-sas-normalised-form", sec_32_sas_normalised);
	g_test_add_func("/neg/security/33-continuity-broken", sec_33_continuity_broken);
	g_test_add_func("/neg/security/50-unknown-session", sec_50_unknown_session);
	g_test_add_func("/neg/security/67-message-4-lost", sec_67_message_4_lost);
	g_test_add_func("/neg/security/51-terminate-forged", sec_51_terminate_forged);
	g_test_add_func("/neg/security/52-duplicate", sec_52_duplicate);
	g_test_add_func("/neg/security/52-established-frees-negotiation",
			sec_52_established_frees_negotiation);
	g_test_add_func("/neg/wipe-frees-forms", neg_wipe_frees_forms);
	g_test_add_func("/neg/security/53-reordered", sec_53_reordered);
	g_test_add_func("/neg/security/54-simultaneous", sec_54_simultaneous);
	g_test_add_func("/neg/security/54-simultaneous-mixed-case", sec_54_simultaneous_mixed_case);
	g_test_add_func("/neg/jid-mixed-case-peer", jid_mixed_case_peer);
	g_test_add_func("/neg/security/55-wrong-jid", sec_55_wrong_jid);
	g_test_add_func("/neg/security/56-offline", sec_56_offline);
	g_test_add_func("/neg/security/57-no-half-state", sec_57_no_half_state);
	g_test_add_func("/neg/security/58-rate-limit", sec_58_rate_limit);
	g_test_add_func("/neg/security/58-limiter-pruned", sec_58_limiter_pruned);
	g_test_add_func("/neg/security/59-huge-form", sec_59_huge_form);
	g_test_add_func("/neg/security/60-integers", sec_60_integers);
	return g_test_run();
}
