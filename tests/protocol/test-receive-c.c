/*
 * test-receive-c: the message path taken apart (issue 11 item 2).
 * esess_chat_receive_c gets the texts of <thread/>, <data/> and <mac/> as a
 * client found them; it must end every hostile stanza exactly as the
 * complete way (esess_msg_inspect + esess_chat_receive) does: the same
 * status, event, stanzas sent and state, and show the same children.
 *
 * Each case runs on two pairs negotiated the same way: pair A delivers the
 * stanza the complete way, pair B takes it apart.  When the parts are not in
 * the simple form, B's chat must be untouched (ESESS_ERR_INVALID_ARG, nothing
 * sent) and the stanza then goes B's complete way, as the adapter does.
 * After each case one more good message goes each way and must fare alike.
 */
#include "config.h"

#include <string.h>

#include "esess-bytes.h"
#include "esess-chat-private.h"
#include "esess-session.h"
#include "esess-xml.h"
#include "neg-harness.h"

typedef struct {
	char *dir;
	NegParty alice, bob;
	NegWire wire;
	char *first;     /* the first good stanza, as delivered */
} Pair;

typedef struct {
	gboolean taken;  /* B: esess_chat_receive_c took it */
	EsessStatus st;
	EsessEvent ev;
	EsessStatus ev_status;
	gboolean by_peer;
	guint n_sent;
	guint n_terminates;
	EsessChatState state;
	char *shown;     /* the decrypted children as esess_xml_write gives them */
} Outcome;

static void
outcome_clear(Outcome *o)
{
	g_free(o->shown);
	memset(o, 0, sizeof(*o));
}

static void
pair_init(Pair *p, gboolean plugin)
{
	memset(p, 0, sizeof(*p));
	p->dir = neg_tmpdir();
	neg_party_init(&p->alice, "alice@example.org/pda", p->dir);
	neg_party_init(&p->bob, "bob@example.com/laptop", p->dir);
	p->alice.cfg.peer_has_plugin = plugin;
	p->bob.cfg.peer_has_plugin = plugin;
	neg_wire_init(&p->wire, NULL, NULL);
	g_assert_true(neg_run(&p->alice, &p->bob, &p->wire, FALSE));
}

static void
pair_clear(Pair *p)
{
	neg_party_clear(&p->alice);
	neg_party_clear(&p->bob);
	neg_wire_clear(&p->wire);
	neg_rmdir(p->dir);
	g_free(p->dir);
	g_free(p->first);
}

/* alice encrypts one message for bob: the stanza as the server delivers it */
static char *
seal(Pair *p, const char *body)
{
	EsessStep step;
	char *stanza, *out;

	esess_step_init(&step);
	stanza = g_markup_printf_escaped("<message to='%s' type='chat' id='m1'><body>%s</body>"
					 "<active xmlns='http://jabber.org/protocol/chatstates'/>"
					 "<x xmlns='urn:example' lang='en'>it's <b>bold</b></x></message>",
					 p->bob.bare, body);
	g_assert_cmpint(esess_chat_encrypt(p->alice.chat, stanza, strlen(stanza), &step), ==,
			ESESS_OK);
	g_free(stanza);
	g_assert_cmpuint(esess_step_n_send(&step), ==, 1);
	out = neg_set_from(g_ptr_array_index(step.send, 0), p->alice.jid);
	esess_step_clear(&step);
	return out;
}

static void
count_sent(Outcome *o, GPtrArray *out)
{
	guint i;

	o->n_sent = out->len;
	for (i = 0; i < out->len; i++)
		if (strstr(g_ptr_array_index(out, i), "terminate") != NULL)
			o->n_terminates++;
}

/* the children of a delivered stanza that are shown: all but those kept
 * beside <c/> */
static char *
shown_of_stanza(const char *deliver)
{
	EsessXmlNode *m = NULL, *ch;
	GString *s = g_string_new(NULL);

	g_assert_cmpint(esess_xml_parse(deliver, strlen(deliver), NULL, &m), ==, ESESS_OK);
	for (ch = m->first_child; ch != NULL; ch = ch->next)
		if (ch->kind == ESESS_XML_ELEMENT && !esess_chat_kept_beside_c(ch->name, ch->ns))
			esess_xml_write(s, ch, ESESS_NS_CLIENT);
	esess_xml_free(m);
	return g_string_free(s, FALSE);
}

static void
via_complete(NegParty *p, const char *stanza, Outcome *o)
{
	GPtrArray *out = g_ptr_array_new_with_free_func(g_free);
	EsessMsgInfo info;
	EsessStep step;

	/* neg_deliver, with the step's details kept */
	g_assert_cmpint(esess_msg_inspect(stanza, strlen(stanza), p->jid, &info), ==, ESESS_OK);
	esess_step_init(&step);
	o->st = esess_chat_receive(p->chat, &info, &step);
	o->ev = step.event;
	o->ev_status = step.status;
	o->by_peer = step.by_peer;
	if (step.deliver != NULL && step.event == ESESS_EV_MESSAGE)
		o->shown = shown_of_stanza(step.deliver);
	for (guint i = 0; i < esess_step_n_send(&step); i++)
		g_ptr_array_add(out, g_strdup(g_ptr_array_index(step.send, i)));
	esess_step_clear(&step);
	esess_msg_info_clear(&info);
	count_sent(o, out);
	o->state = esess_chat_state(p->chat);
	g_ptr_array_unref(out);
}

/* ---- B: taken apart ----------------------------------------------------- */

typedef struct {
	EsessXmlNode *root, *cur;
} Tree;

static void
t_open(gpointer data, const char *name, const char *ns, guint n_attrs,
       const EsessPayloadAttr *attrs)
{
	Tree *t = data;
	guint i;

	t->cur = esess_xml_add(t->cur, name, ns);
	for (i = 0; i < n_attrs; i++) {
		g_assert_null(attrs[i].ns);
		esess_xml_set_attr(t->cur, attrs[i].name, attrs[i].value);
	}
}

static void
t_text(gpointer data, const char *text, size_t len)
{
	Tree *t = data;

	esess_xml_add_text(t->cur, text, (gssize)len);
}

static void
t_close(gpointer data)
{
	Tree *t = data;

	t->cur = t->cur->parent;
}

static const EsessPayloadSink tree_sink = { t_open, t_text, t_close };

/* the parts as a client finds them: first <data/> and <mac/> of <c/> */
static void
take_parts(const EsessXmlNode *m, EsessCIn *in, char **texts)
{
	const EsessXmlNode *c, *d, *mac, *th;

	memset(in, 0, sizeof(*in));
	in->from = esess_xml_attr(m, "from");
	th = esess_xml_child(m, "thread", NULL);
	texts[0] = th != NULL ? esess_xml_text(th) : NULL;
	in->thread = texts[0];
	in->has_body = esess_xml_child(m, "body", NULL) != NULL;
	c = esess_xml_child(m, "c", ESESS_NS_C);
	g_assert_nonnull(c);
	d = esess_xml_child(c, "data", NULL);
	mac = esess_xml_child(c, "mac", NULL);
	texts[1] = d != NULL ? esess_xml_text(d) : NULL;
	texts[2] = mac != NULL ? esess_xml_text(mac) : NULL;
	in->data = texts[1];
	in->data_len = texts[1] != NULL ? strlen(texts[1]) : 0;
	in->mac = texts[2];
	in->mac_len = texts[2] != NULL ? strlen(texts[2]) : 0;
}

static void
via_parts(NegParty *p, const char *stanza, Outcome *o)
{
	GPtrArray *out = g_ptr_array_new_with_free_func(g_free);
	EsessXmlNode *m = NULL, *ch;
	EsessStep step;
	EsessCIn in;
	char *texts[3];
	Tree t;
	EsessChatState before = esess_chat_state(p->chat);

	g_assert_cmpint(esess_xml_parse(stanza, strlen(stanza), NULL, &m), ==, ESESS_OK);
	take_parts(m, &in, texts);
	t.root = esess_xml_new("payload", ESESS_NS_CLIENT);
	t.cur = t.root;
	esess_step_init(&step);
	o->st = esess_chat_receive_c(p->chat, &in, &tree_sink, &t, &step);
	o->taken = o->st != ESESS_ERR_INVALID_ARG;
	o->ev = step.event;
	o->ev_status = step.status;
	o->by_peer = step.by_peer;
	g_assert_null(step.deliver);
	if (step.event == ESESS_EV_MESSAGE) {
		GString *s = g_string_new(NULL);

		g_assert_true(t.cur == t.root); /* every open closed */
		for (ch = t.root->first_child; ch != NULL; ch = ch->next)
			esess_xml_write(s, ch, ESESS_NS_CLIENT);
		o->shown = g_string_free(s, FALSE);
	} else {
		g_assert_null(t.root->first_child); /* nothing reached the sink */
	}
	for (guint i = 0; i < esess_step_n_send(&step); i++)
		g_ptr_array_add(out, g_strdup(g_ptr_array_index(step.send, i)));
	esess_step_clear(&step);
	count_sent(o, out);
	o->state = esess_chat_state(p->chat);
	esess_xml_free(t.root);
	esess_xml_free(m);
	for (guint i = 0; i < 3; i++)
		g_free(texts[i]);
	g_ptr_array_unref(out);
	if (!o->taken) {
		/* nothing changed: the adapter takes the complete way */
		g_assert_cmpuint(o->n_sent, ==, 0);
		g_assert_cmpint(o->state, ==, before);
		g_assert_cmpint(o->ev, ==, ESESS_EV_NONE);
		g_free(o->shown);
		memset(o, 0, sizeof(*o));
		via_complete(p, stanza, o);
		o->taken = FALSE;
	}
}

static void
assert_same(const Outcome *a, const Outcome *b)
{
	g_assert_cmpstr(esess_status_symbol(b->st), ==, esess_status_symbol(a->st));
	g_assert_cmpint(b->ev, ==, a->ev);
	g_assert_cmpstr(esess_status_symbol(b->ev_status), ==, esess_status_symbol(a->ev_status));
	g_assert_cmpint(b->by_peer, ==, a->by_peer);
	g_assert_cmpuint(b->n_sent, ==, a->n_sent);
	g_assert_cmpuint(b->n_terminates, ==, a->n_terminates);
	g_assert_cmpint(b->state, ==, a->state);
	g_assert_cmpstr(b->shown, ==, a->shown);
}

/* ---- the cases ---------------------------------------------------------- */

typedef char *(*Mutate)(Pair *p, const char *stanza);

typedef struct {
	const char *name;
	Mutate mutate;
	gboolean taken;           /* B takes it apart (else: the complete way) */
	EsessStatus want;         /* the status both ways */
	EsessChatState state;     /* bob's chat afterwards */
} Case;

/* replaces the text of the first <name> element in stanza */
static char *
set_text(const char *stanza, const char *name, const char *text)
{
	char *open = g_strdup_printf("<%s>", name), *close = g_strdup_printf("</%s>", name);
	const char *a = strstr(stanza, open), *b;
	char *out;

	g_assert_nonnull(a);
	a += strlen(open);
	b = strstr(a, close);
	g_assert_nonnull(b);
	out = g_strdup_printf("%.*s%s%s", (int)(a - stanza), stanza, text, b);
	g_free(open);
	g_free(close);
	return out;
}

static char *
get_text(const char *stanza, const char *name)
{
	char *open = g_strdup_printf("<%s>", name), *close = g_strdup_printf("</%s>", name);
	const char *a = strstr(stanza, open), *b;
	char *out;

	g_assert_nonnull(a);
	a += strlen(open);
	b = strstr(a, close);
	out = g_strndup(a, (gsize)(b - a));
	g_free(open);
	g_free(close);
	return out;
}

/* changes character i of the text of <name> to c (or to its neighbour in
 * the alphabet when c is 0) */
static char *
poke(const char *stanza, const char *name, gsize i, char c)
{
	char *t = get_text(stanza, name), *out;

	g_assert_cmpuint(i, <, strlen(t));
	t[i] = c != 0 ? c : (t[i] == 'A' ? 'B' : 'A');
	out = set_text(stanza, name, t);
	g_free(t);
	return out;
}

static char *
m_same(Pair *p, const char *s)
{
	(void)p;
	return g_strdup(s);
}

static char *
m_mac_flip(Pair *p, const char *s)
{
	(void)p;
	return poke(s, "mac", 3, 0);
}

static char *
m_data_flip(Pair *p, const char *s)
{
	(void)p;
	return poke(s, "data", 7, 0);
}

static char *
m_mac_short(Pair *p, const char *s)
{
	(void)p;
	return set_text(s, "mac", "AAAAAAAAAAAAAAAAAAAAAA==");
}

static char *
m_mac_long(Pair *p, const char *s)
{
	char *t = g_strnfill(64, 'A'), *out; /* 48 bytes */

	(void)p;
	out = set_text(s, "mac", t);
	g_free(t);
	return out;
}

static char *
m_data_bang(Pair *p, const char *s)
{
	(void)p;
	return poke(s, "data", 5, '!');
}

static char *
m_data_pad_inside(Pair *p, const char *s)
{
	(void)p;
	return poke(s, "data", 5, '=');
}

static char *
m_mac_bang(Pair *p, const char *s)
{
	(void)p;
	return poke(s, "mac", 2, '*');
}

static char *
m_data_space(Pair *p, const char *s)
{
	(void)p;
	return poke(s, "data", 8, ' ');
}

static char *
m_replay(Pair *p, const char *s)
{
	(void)s;
	return g_strdup(p->first);
}

static char *
m_no_data(Pair *p, const char *s)
{
	const char *a = strstr(s, "<data>"), *b = strstr(s, "</data>");

	(void)p;
	return g_strdup_printf("%.*s%s", (int)(a - s), s, b + strlen("</data>"));
}

static char *
m_no_mac(Pair *p, const char *s)
{
	const char *a = strstr(s, "<mac>"), *b = strstr(s, "</mac>");

	(void)p;
	return g_strdup_printf("%.*s%s", (int)(a - s), s, b + strlen("</mac>"));
}

static char *
m_thread(Pair *p, const char *s)
{
	(void)p;
	return poke(s, "thread", 0, 0);
}

static char *
m_from(Pair *p, const char *s)
{
	char *out, *t;

	(void)p;
	t = g_strdup(s);
	out = g_strdup_printf("<message from='alice@example.org/other'%s",
			      strstr(t, " to="));
	g_free(t);
	return out;
}

static char *
m_big_data(Pair *p, const char *s)
{
	char *big = g_strnfill(ESESS_SESSION_PARTS_MAX + 4, 'A'), *out;

	(void)p;
	out = set_text(s, "data", big);
	g_free(big);
	return out;
}

static const Case cases[] = {
	{ "good", m_same, TRUE, ESESS_OK, ESESS_CHAT_ESTABLISHED },
	{ "mac-flipped", m_mac_flip, TRUE, ESESS_ERR_MAC, ESESS_CHAT_ENDED },          /* SECURITY 34 */
	{ "data-flipped", m_data_flip, TRUE, ESESS_ERR_MAC, ESESS_CHAT_ENDED },        /* SECURITY 34 */
	{ "mac-short", m_mac_short, TRUE, ESESS_ERR_MAC_LENGTH, ESESS_CHAT_ENDED },    /* SECURITY 35 */
	{ "mac-long", m_mac_long, TRUE, ESESS_ERR_MAC_LENGTH, ESESS_CHAT_ENDED },      /* SECURITY 35 */
	{ "mac-missing", m_no_mac, FALSE, ESESS_ERR_MALFORMED, ESESS_CHAT_ENDED },     /* SECURITY 36 */
	{ "data-missing", m_no_data, TRUE, ESESS_ERR_MAC, ESESS_CHAT_ENDED },          /* SECURITY 36 */
	{ "replayed", m_replay, TRUE, ESESS_ERR_MAC, ESESS_CHAT_ENDED },               /* SECURITY 37 */
	{ "data-bad-char", m_data_bang, FALSE, ESESS_ERR_BASE64, ESESS_CHAT_ENDED },   /* SECURITY 40 */
	{ "data-space", m_data_space, FALSE, ESESS_ERR_BASE64, ESESS_CHAT_ENDED },     /* SECURITY 40 */
	{ "data-pad-inside", m_data_pad_inside, TRUE, ESESS_ERR_BASE64, ESESS_CHAT_ENDED }, /* SECURITY 40 */
	{ "mac-bad-char", m_mac_bang, FALSE, ESESS_ERR_BASE64, ESESS_CHAT_ENDED },     /* SECURITY 40 */
	{ "data-oversized", m_big_data, FALSE, ESESS_ERR_MAC, ESESS_CHAT_ENDED },      /* SECURITY 41 */
	{ "wrong-thread", m_thread, TRUE, ESESS_ERR_WRONG_PEER, ESESS_CHAT_ESTABLISHED }, /* R15 */
	{ "wrong-from", m_from, TRUE, ESESS_ERR_WRONG_PEER, ESESS_CHAT_ESTABLISHED },  /* SECURITY 46 */
};

static void
test_case(gconstpointer data)
{
	const Case *c = data;
	Pair a, b;
	Outcome oa, ob;
	char *sa, *sb, *ha, *hb;

	pair_init(&a, FALSE);
	pair_init(&b, FALSE);
	memset(&oa, 0, sizeof(oa));
	memset(&ob, 0, sizeof(ob));
	/* one good message first, so that the counters have moved */
	a.first = seal(&a, "first");
	b.first = seal(&b, "first");
	via_complete(&a.bob, a.first, &oa);
	via_parts(&b.bob, b.first, &ob);
	g_assert_true(ob.taken);
	g_assert_cmpint(ob.ev, ==, ESESS_EV_MESSAGE);
	assert_same(&oa, &ob);
	g_assert_nonnull(strstr(ob.shown, "<body>first</body>"));
	g_assert_nonnull(strstr(ob.shown, "<b>bold</b></x>"));
	outcome_clear(&oa);
	outcome_clear(&ob);

	/* the case */
	sa = seal(&a, "second");
	sb = seal(&b, "second");
	ha = c->mutate(&a, sa);
	hb = c->mutate(&b, sb);
	via_complete(&a.bob, ha, &oa);
	via_parts(&b.bob, hb, &ob);
	g_assert_cmpint(ob.taken, ==, c->taken);
	g_assert_cmpstr(esess_status_symbol(oa.st), ==, esess_status_symbol(c->want));
	g_assert_cmpint(oa.state, ==, c->state);
	assert_same(&oa, &ob);
	if (c->want != ESESS_OK) {
		/* fail closed: nothing shown */
		g_assert_null(ob.shown);
		g_assert_cmpint(ob.ev, !=, ESESS_EV_MESSAGE);
	}
	outcome_clear(&oa);
	outcome_clear(&ob);
	g_free(sa);
	g_free(sb);
	g_free(ha);
	g_free(hb);

	/* what follows fares alike: shown while established, else refused */
	if (esess_chat_state(a.alice.chat) == ESESS_CHAT_ESTABLISHED &&
	    esess_chat_state(b.alice.chat) == ESESS_CHAT_ESTABLISHED) {
		sa = seal(&a, "third");
		sb = seal(&b, "third");
		via_complete(&a.bob, sa, &oa);
		via_parts(&b.bob, sb, &ob);
		assert_same(&oa, &ob);
		outcome_clear(&oa);
		outcome_clear(&ob);
		g_free(sa);
		g_free(sb);
	}
	pair_clear(&a);
	pair_clear(&b);
}

/* An encrypted terminate inside <c/> (R18, peers of this plugin) and its
 * acknowledgement go the same way taken apart. */
static void
test_terminate(void)
{
	Pair a, b;
	Outcome oa, ob;
	EsessStep sta, stb;
	char *ta, *tb;

	pair_init(&a, TRUE);
	pair_init(&b, TRUE);
	memset(&oa, 0, sizeof(oa));
	memset(&ob, 0, sizeof(ob));
	esess_step_init(&sta);
	esess_step_init(&stb);
	g_assert_cmpint(esess_chat_terminate(a.alice.chat, &sta), ==, ESESS_OK);
	g_assert_cmpint(esess_chat_terminate(b.alice.chat, &stb), ==, ESESS_OK);
	g_assert_cmpuint(esess_step_n_send(&sta), ==, 1);
	ta = neg_set_from(g_ptr_array_index(sta.send, 0), a.alice.jid);
	tb = neg_set_from(g_ptr_array_index(stb.send, 0), b.alice.jid);
	g_assert_nonnull(strstr(ta, "<c xmlns="));
	via_complete(&a.bob, ta, &oa);
	via_parts(&b.bob, tb, &ob);
	g_assert_true(ob.taken);
	g_assert_cmpint(oa.ev, ==, ESESS_EV_ENDED);
	g_assert_cmpuint(oa.n_sent, ==, 1); /* the acknowledgement */
	assert_same(&oa, &ob);
	esess_step_clear(&sta);
	esess_step_clear(&stb);
	outcome_clear(&oa);
	outcome_clear(&ob);
	g_free(ta);
	g_free(tb);
	pair_clear(&a);
	pair_clear(&b);
}

/* Not established, or nothing to take: ESESS_ERR_INVALID_ARG, no change. */
static void
test_not_taken(void)
{
	Pair a;
	EsessStep step;
	EsessCIn in;
	char *s;
	Outcome o;

	pair_init(&a, FALSE);
	memset(&in, 0, sizeof(in));
	memset(&o, 0, sizeof(o));
	in.from = a.alice.jid;
	in.thread = esess_chat_thread(a.bob.chat);
	esess_step_init(&step);
	/* no mac at all */
	g_assert_cmpint(esess_chat_receive_c(a.bob.chat, &in, &tree_sink, NULL, &step), ==,
			ESESS_ERR_INVALID_ARG);
	/* an empty <data/> */
	in.mac = "AAAA";
	in.mac_len = 4;
	in.data = "";
	in.data_len = 0;
	g_assert_cmpint(esess_chat_receive_c(a.bob.chat, &in, &tree_sink, NULL, &step), ==,
			ESESS_ERR_INVALID_ARG);
	g_assert_cmpuint(esess_step_n_send(&step), ==, 0);
	g_assert_cmpint(step.event, ==, ESESS_EV_NONE);
	/* the session still reads what follows */
	s = seal(&a, "after");
	via_parts(&a.bob, s, &o);
	g_assert_true(o.taken);
	g_assert_cmpint(o.ev, ==, ESESS_EV_MESSAGE);
	outcome_clear(&o);
	g_free(s);
	/* ended: the complete way */
	esess_chat_abort(a.bob.chat, ESESS_OK, &step);
	esess_step_clear(&step);
	s = seal(&a, "late");
	via_parts(&a.bob, s, &o);
	g_assert_false(o.taken);
	g_assert_cmpstr(esess_status_symbol(o.st), ==, "ESESS_ERR_SESSION_ENDED");
	outcome_clear(&o);
	g_free(s);
	pair_clear(&a);
}

/* issue 11 item 1: the chat's slot tag, from which a message asks for the
 * session's lines before reading the chat, is its session while there is
 * one; and the stanza's texts, now decoded before the chat is read, still
 * get their verdict after the chat's own checks (another thread is
 * ESESS_ERR_WRONG_PEER whatever its <mac/>, and changes nothing). */
static void
test_tag_and_order(void)
{
	Pair a;
	EsessStep step;
	EsessCIn in;
	char *s;
	Outcome o;

	pair_init(&a, FALSE);
	g_assert_nonnull(a.bob.chat->session);
	g_assert_true(*esess_slab_tag(a.bob.chat, ESESS_CHAT_SLOT) == a.bob.chat->session);
	g_assert_true(*esess_slab_tag(a.alice.chat, ESESS_CHAT_SLOT) == a.alice.chat->session);
	memset(&in, 0, sizeof(in));
	memset(&o, 0, sizeof(o));
	in.from = a.alice.jid;
	in.thread = "not-the-session-thread";
	esess_step_init(&step);
	/* not base64, and base64 with a wrong MAC: the thread decides first */
	in.mac = "!!!!";
	in.mac_len = 4;
	g_assert_cmpint(esess_chat_receive_c(a.bob.chat, &in, &tree_sink, NULL, &step), ==,
			ESESS_ERR_WRONG_PEER);
	in.mac = "AAAA";
	in.data = "AAAAAAAAAAAAAAAAAAAAAA==";
	in.data_len = strlen(in.data);
	g_assert_cmpint(esess_chat_receive_c(a.bob.chat, &in, &tree_sink, NULL, &step), ==,
			ESESS_ERR_WRONG_PEER);
	g_assert_cmpuint(esess_step_n_send(&step), ==, 0);
	g_assert_cmpint(step.event, ==, ESESS_EV_NONE);
	/* on the session's thread the same wrong MAC ends it (SECURITY 34) */
	in.thread = esess_chat_thread(a.bob.chat);
	g_assert_cmpint(esess_chat_receive_c(a.bob.chat, &in, &tree_sink, NULL, &step), !=,
			ESESS_OK);
	esess_step_clear(&step);
	g_assert_cmpint(esess_chat_state(a.bob.chat), ==, ESESS_CHAT_ENDED);
	g_assert_null(a.bob.chat->session);
	g_assert_null(*esess_slab_tag(a.bob.chat, ESESS_CHAT_SLOT));
	/* alice's session is untouched and still sends */
	s = seal(&a, "still");
	g_assert_nonnull(s);
	g_free(s);
	outcome_clear(&o);
	pair_clear(&a);
}

/* ---- sending: esess_chat_encrypt_c ------------------------------------ */

#define CHILDREN "<body>it&apos;s &amp; &lt;b&gt; \xc3\xa9</body>" \
	"<active xmlns='http://jabber.org/protocol/chatstates'/>" \
	"<html xmlns='http://jabber.org/protocol/xhtml-im'><body " \
	"xmlns='http://www.w3.org/1999/xhtml'><b>it&apos;s</b></body></html>"

/* bob's session reads <c/> of stanza: the decrypted bytes */
static char *
plain_of(Pair *p, const char *stanza)
{
	const char *a = strstr(stanza, "<c xmlns="), *b = strstr(stanza, "</c>");
	EsessXmlNode *payload = NULL;
	char *plain = NULL;
	size_t plain_len = 0;

	g_assert_nonnull(a);
	g_assert_nonnull(b);
	g_assert_cmpint(esess_session_decrypt_text(p->bob.chat->session, a,
						   (size_t)(b + 4 - a), &payload, &plain,
						   &plain_len), ==, ESESS_OK);
	esess_xml_free(payload);
	return plain;
}

/* the stanza a client builds from out, as esess-cparts.c does */
static char *
built(const EsessCOut *out, const char *id)
{
	GString *s = g_string_new(NULL);
	guint i;

	g_string_append_printf(s, "<message to='%s' type='chat' id='%s'>", out->to, id);
	if (out->body != NULL)
		g_string_append_printf(s, "<body>%s</body>", out->body);
	g_string_append_printf(s, "<thread>%s</thread>", out->thread);
	if (out->no_store)
		g_string_append(s, "<no-permanent-store xmlns='urn:xmpp:hints'/>"
				"<no-copy xmlns='urn:xmpp:hints'/>");
	g_string_append(s, "<c xmlns='" ESESS_NS_C "'>");
	for (i = 0; i < out->children->len; i++) {
		const EsessCChild *ch = g_ptr_array_index(out->children, i);

		g_string_append_printf(s, "<%s>%s</%s>", ch->name, ch->text, ch->name);
	}
	g_string_append(s, "</c></message>");
	return g_string_free(s, FALSE);
}

/* the texts of <data/> and <mac/> blanked, to compare shapes */
static char *
blank(const char *stanza)
{
	char *a = set_text(stanza, "data", "D"), *b = set_text(a, "mac", "M");

	g_free(a);
	return b;
}

static void
test_encrypt_c(gconstpointer data)
{
	gboolean mustnot = GPOINTER_TO_INT(data);
	Pair a;
	EsessStep step;
	EsessCOut out;
	char *stanza, *complete, *parts, *p1, *p2, *from;
	Outcome o;

	memset(&a, 0, sizeof(a));
	a.dir = neg_tmpdir();
	neg_party_init(&a.alice, "alice@example.org/pda", a.dir);
	neg_party_init(&a.bob, "bob@example.com/laptop", a.dir);
	a.alice.cfg.logging = mustnot ? ESESS_LOGPREF_REQUIRE : ESESS_LOGPREF_FORBID;
	a.bob.cfg.logging = a.alice.cfg.logging;
	neg_wire_init(&a.wire, NULL, NULL);
	g_assert_true(neg_run(&a.alice, &a.bob, &a.wire, FALSE));
	memset(&o, 0, sizeof(o));

	/* the complete way */
	stanza = g_strdup_printf("<message to='%s' type='chat' id='m1'>" CHILDREN
				 "<thread>theirs</thread></message>", a.bob.bare);
	esess_step_init(&step);
	g_assert_cmpint(esess_chat_encrypt(a.alice.chat, stanza, strlen(stanza), &step), ==,
			ESESS_OK);
	complete = g_strdup(g_ptr_array_index(step.send, 0));
	esess_step_clear(&step);
	/* taken apart: the same children as libpurple writes them */
	g_assert_cmpint(esess_chat_encrypt_c(a.alice.chat, CHILDREN, strlen(CHILDREN), &out,
					     &step), ==, ESESS_OK);
	g_assert_cmpint(step.event, ==, ESESS_EV_NONE);
	g_assert_cmpuint(esess_step_n_send(&step), ==, 0);
	g_assert_cmpuint(out.children->len, ==, 2);
	g_assert_cmpstr(((EsessCChild *)g_ptr_array_index(out.children, 0))->name, ==, "data");
	g_assert_cmpstr(((EsessCChild *)g_ptr_array_index(out.children, 1))->name, ==, "mac");
	g_assert_cmpint(out.no_store, ==, mustnot);
	g_assert_cmpstr(out.to, ==, a.bob.jid);
	parts = built(&out, "m1");
	esess_c_out_clear(&out);
	/* the same stanza but for the encrypted texts */
	p1 = blank(complete);
	p2 = blank(parts);
	g_assert_cmpstr(p2, ==, p1);
	g_free(p1);
	g_free(p2);
	/* the same payload bytes, byte for byte (what Gajim decrypts) */
	p1 = plain_of(&a, complete);
	p2 = plain_of(&a, parts);
	g_assert_cmpstr(p2, ==, p1);
	g_assert_nonnull(strstr(p1, "<body>it's &amp; &lt;b&gt; \xc3\xa9</body>"));
	esess_free_wiped(p1, strlen(p1));
	esess_free_wiped(p2, strlen(p2));
	/* and the stanza built from the parts reads the complete way */
	esess_step_clear(&step);
	g_assert_cmpint(esess_chat_encrypt_c(a.alice.chat, CHILDREN, strlen(CHILDREN), &out,
					     &step), ==, ESESS_OK);
	g_free(parts);
	parts = built(&out, "m2");
	esess_c_out_clear(&out);
	from = neg_set_from(parts, a.alice.jid);
	via_complete(&a.bob, from, &o);
	g_assert_cmpint(o.ev, ==, ESESS_EV_MESSAGE);
	g_assert_nonnull(strstr(o.shown, "<b>it's</b>"));
	outcome_clear(&o);
	g_free(from);
	g_free(parts);
	g_free(complete);
	g_free(stanza);
	pair_clear(&a);
}

/* Children that are not plain XML within the receiver's limits are not
 * taken, and nothing changes: the next message still reads. */
static void
test_encrypt_c_not_taken(void)
{
	static const char *const odd[] = {
		"<body>unclosed",
		"<body>\x01</body>",
		"<body>&#x1;</body>",
		"<body>&undefined;</body>",
		"<e:body>x</e:body>",
		"<body>\xff\xfe</body>",
		"<body a='1' a='2'>x</body>",
		"<!DOCTYPE x><body>x</body>",
	};
	Pair a;
	EsessStep step;
	EsessCOut out;
	GString *deep = g_string_new(NULL);
	char *s, *from;
	Outcome o;
	guint i;

	pair_init(&a, FALSE);
	memset(&o, 0, sizeof(o));
	esess_step_init(&step);
	for (i = 0; i < G_N_ELEMENTS(odd); i++) {
		g_assert_cmpint(esess_chat_encrypt_c(a.alice.chat, odd[i], strlen(odd[i]), &out,
						     &step), ==, ESESS_ERR_INVALID_ARG);
		g_assert_null(out.children);
		g_assert_cmpuint(esess_step_n_send(&step), ==, 0);
	}
	/* deeper than a receiver parses (esess_xml_default_limits) */
	for (i = 0; i < 40; i++)
		g_string_append(deep, "<x>");
	for (i = 0; i < 40; i++)
		g_string_append(deep, "</x>");
	g_assert_cmpint(esess_chat_encrypt_c(a.alice.chat, deep->str, deep->len, &out, &step), ==,
			ESESS_ERR_INVALID_ARG);
	g_string_free(deep, TRUE);
	/* larger than taken apart */
	s = g_strdup_printf("<body>%0*d</body>", (int)ESESS_SESSION_PARTS_MAX, 0);
	g_assert_cmpint(esess_chat_encrypt_c(a.alice.chat, s, strlen(s), &out, &step), ==,
			ESESS_ERR_INVALID_ARG);
	g_free(s);
	/* nothing moved: the next one reads */
	s = seal(&a, "next");
	via_complete(&a.bob, s, &o);
	g_assert_cmpint(o.ev, ==, ESESS_EV_MESSAGE);
	outcome_clear(&o);
	g_free(s);
	/* not established: the complete way queues or refuses */
	esess_chat_abort(a.alice.chat, ESESS_OK, &step);
	esess_step_clear(&step);
	g_assert_cmpint(esess_chat_encrypt_c(a.alice.chat, "<body>x</body>", 14, &out, &step), ==,
			ESESS_ERR_INVALID_ARG);
	(void)from;
	pair_clear(&a);
}

/* The relay lengthens the initiator's thread ID on the way to the responder
 * and shortens it back on the way home: the responder mirrors a thread
 * longer than the chat keeps inside itself (struct _EsessChat). */
typedef struct {
	char *thread;      /* the initiator's, once seen */
	char *long_thread; /* the one the responder gets */
} LongThread;

static char *
long_thread_tamper(guint index, const char *stanza, gpointer data)
{
	LongThread *lt = data;
	const char *t, *e;
	char **v, *s;

	(void)index;
	if (lt->thread == NULL && (t = strstr(stanza, "<thread>")) != NULL &&
	    (e = strstr(t, "</thread>")) != NULL) {
		lt->thread = g_strndup(t + 8, (gsize)(e - t - 8));
		lt->long_thread = g_strdup_printf("%s-%0*d", lt->thread, 120, 7);
	}
	if (lt->thread == NULL)
		return g_strdup(stanza);
	if (strstr(stanza, lt->long_thread) != NULL) {
		v = g_strsplit(stanza, lt->long_thread, -1);
		s = g_strjoinv(lt->thread, v);
	} else {
		v = g_strsplit(stanza, lt->thread, -1);
		s = g_strjoinv(lt->long_thread, v);
	}
	g_strfreev(v);
	return s;
}

/* One message from src to dst through the taken-apart path: sealed with
 * esess_chat_encrypt_c, received with esess_chat_receive_c from `from' in
 * `thread' (NULL: the one the sender wrote); returns the receive status. */
static EsessStatus
c_message(NegParty *src, NegParty *dst, const char *from, const char *thread)
{
	static const char body[] = "<body>inline or not</body>";
	const EsessCChild *data = NULL, *mac = NULL;
	EsessStep step;
	EsessCOut out;
	EsessCIn in;
	GString *shown = g_string_new(NULL);
	Tree t;
	EsessStatus r;
	guint i;

	esess_step_init(&step);
	g_assert_cmpint(esess_chat_encrypt_c(src->chat, body, strlen(body), &out, &step), ==,
			ESESS_OK);
	esess_step_clear(&step);
	for (i = 0; i < out.children->len; i++) {
		const EsessCChild *ch = g_ptr_array_index(out.children, i);

		if (strcmp(ch->name, "data") == 0)
			data = ch;
		else if (strcmp(ch->name, "mac") == 0)
			mac = ch;
	}
	g_assert_nonnull(data);
	g_assert_nonnull(mac);
	memset(&in, 0, sizeof(in));
	in.from = from;
	in.thread = thread != NULL ? thread : out.thread;
	in.has_body = TRUE;
	in.data = data->text;
	in.data_len = strlen(data->text);
	in.mac = mac->text;
	in.mac_len = strlen(mac->text);
	t.root = esess_xml_new("payload", ESESS_NS_CLIENT);
	t.cur = t.root;
	esess_step_init(&step);
	r = esess_chat_receive_c(dst->chat, &in, &tree_sink, &t, &step);
	esess_xml_write(shown, t.root, ESESS_NS_CLIENT);
	if (r == ESESS_OK) {
		g_assert_cmpint(step.event, ==, ESESS_EV_MESSAGE);
		g_assert_nonnull(strstr(shown->str, body));
	} else {
		g_assert_null(strstr(shown->str, "inline"));
	}
	g_string_free(shown, TRUE);
	esess_xml_free(t.root);
	esess_step_clear(&step);
	esess_c_out_clear(&out);
	return r;
}

/* A chat keeps its thread and its peer's JID inside itself when they fit
 * and in blocks of their own when not (issue 11 item 1): either way,
 * messages go both ways, the JID is the peer's to the last byte (SECURITY
 * 46, R15), the thread is the session's, and the chats free cleanly. */
static void
test_long_ids(void)
{
	/* full JIDs of 102 and 103 bytes fit, 104 and 200 do not */
	static const gsize jid_len[] = { 22, 102, 103, 104, 200 };
	gsize i;

	for (i = 0; i < G_N_ELEMENTS(jid_len); i++) {
		LongThread lt = { NULL, NULL };
		NegParty alice, bob;
		NegWire w;
		char *aj, *bj, *wrong;
		const char *bob_thread;

		/* "alice@example.org/" is 18 bytes, "bob@example.com/" 16 */
		aj = g_strdup_printf("alice@example.org/%0*d", (int)(jid_len[i] - 18), 1);
		bj = g_strdup_printf("bob@example.com/%0*d", (int)(jid_len[i] - 16), 2);
		g_assert_cmpuint(strlen(aj), ==, jid_len[i]);
		neg_party_init(&alice, aj, NULL);
		neg_party_init(&bob, bj, NULL);
		neg_wire_init(&w, i % 2 == 1 ? long_thread_tamper : NULL, &lt);
		g_assert_true(neg_run(&alice, &bob, &w, TRUE));
		g_assert_cmpstr(esess_chat_peer(alice.chat), ==, bj);
		g_assert_cmpstr(esess_chat_peer(bob.chat), ==, aj);
		bob_thread = esess_chat_thread(bob.chat);
		if (i % 2 == 1) {
			g_assert_nonnull(lt.long_thread);
			g_assert_cmpstr(bob_thread, ==, lt.long_thread);
			g_assert_cmpuint(strlen(bob_thread), >, 100);
		}
		/* the thread as the relay hands it on */
		g_assert_cmpint(c_message(&alice, &bob, aj, bob_thread), ==, ESESS_OK);
		g_assert_cmpint(c_message(&bob, &alice, bj, esess_chat_thread(alice.chat)), ==,
				ESESS_OK);
		/* another resource differing in its last byte, or another
		 * thread, is not the peer: refused, nothing changes */
		wrong = g_strdup(aj);
		wrong[strlen(wrong) - 1] = '9';
		g_assert_cmpint(c_message(&alice, &bob, wrong, bob_thread), ==,
				ESESS_ERR_WRONG_PEER);
		g_free(wrong);
		g_assert_cmpint(c_message(&alice, &bob, aj, "another-thread"), ==,
				ESESS_ERR_WRONG_PEER);
		g_assert_cmpint(esess_chat_state(bob.chat), ==, ESESS_CHAT_ESTABLISHED);
		neg_party_clear(&alice);
		neg_party_clear(&bob);
		neg_wire_clear(&w);
		g_free(lt.thread);
		g_free(lt.long_thread);
		g_free(aj);
		g_free(bj);
	}
}

int
main(int argc, char **argv)
{
	gsize i;

	g_test_init(&argc, &argv, NULL);
	for (i = 0; i < G_N_ELEMENTS(cases); i++) {
		char *path = g_strdup_printf("/receive-c/same-as-complete/%s", cases[i].name);

		g_test_add_data_func(path, &cases[i], test_case);
		g_free(path);
	}
	g_test_add_func("/receive-c/terminate", test_terminate);
	g_test_add_func("/receive-c/not-taken", test_not_taken);
	g_test_add_func("/receive-c/tag-and-order", test_tag_and_order);
	g_test_add_data_func("/encrypt-c/same-as-complete/may", GINT_TO_POINTER(FALSE),
			     test_encrypt_c);
	g_test_add_data_func("/encrypt-c/same-as-complete/mustnot", GINT_TO_POINTER(TRUE),
			     test_encrypt_c);
	g_test_add_func("/encrypt-c/not-taken", test_encrypt_c_not_taken);
	g_test_add_func("/chat-c/long-ids", test_long_ids);
	return g_test_run();
}
