/*
 * esess-chat-out.c - the chat façade's plumbing: the limiter (SECURITY 58),
 * steps, and the stanzas the chat builds and sends (INTEROP R1, R14, R18).
 * See esess-chat.c for the state machine.
 */
#include "config.h"

#include <string.h>

#include "esess-bytes.h"
#include "esess-chat-private.h"

/* ---- the limiter (SECURITY 58) ------------------------------------- */

struct _EsessLimiter {
	guint per_peer;
	gint64 window_us;
	guint max_in_flight;
	guint in_flight;
	gint64 fixed_now;
	GHashTable *peers; /* bare JID -> GArray of gint64 admission times */
	guint sweep_at;    /* sweep the table when it reaches this size */
};

/* Below this many tracked peers the table is never swept. */
#define LIMITER_SWEEP_MIN 64

EsessLimiter *
esess_limiter_new(guint per_peer, guint window_s, guint max_in_flight)
{
	EsessLimiter *lim;

	lim = g_new0(EsessLimiter, 1);
	lim->per_peer = per_peer;
	lim->window_us = (gint64)window_s * G_USEC_PER_SEC;
	lim->max_in_flight = max_in_flight;
	/* keys: bare JIDs, wiped when a peer is swept or the limiter freed */
	lim->peers = g_hash_table_new_full(g_str_hash, g_str_equal, esess_str_free_wiped,
					   (GDestroyNotify)g_array_unref);
	lim->sweep_at = LIMITER_SWEEP_MIN;
	return lim;
}

void
esess_limiter_free(EsessLimiter *lim)
{
	if (lim == NULL)
		return;
	g_hash_table_destroy(lim->peers);
	g_free(lim);
}

void
esess_limiter_set_time(EsessLimiter *lim, gint64 now_us)
{
	lim->fixed_now = now_us;
}

guint
esess_limiter_in_flight(const EsessLimiter *lim)
{
	return lim->in_flight;
}

guint
esess_limiter_peers_tracked(const EsessLimiter *lim)
{
	return g_hash_table_size(lim->peers);
}

/* TRUE when every admission of the peer is older than the window (times
 * are appended in order, so the last one is the newest). */
static gboolean
limiter_entry_stale(gpointer key, gpointer value, gpointer data)
{
	GArray *times = value;
	const gint64 *cut = data;

	(void)key;
	return times->len == 0 || g_array_index(times, gint64, times->len - 1) <= *cut;
}

/* Issue 11 item 1: peers whose admissions all left the window are dropped,
 * so the table holds only the peers of the last window, not every JID that
 * ever asked.  The sweep runs when the table has doubled since the last
 * one: amortised O(1) per admission. */
static void
limiter_sweep(EsessLimiter *lim, gint64 now)
{
	gint64 cut = now - lim->window_us;

	if (g_hash_table_size(lim->peers) < lim->sweep_at)
		return;
	g_hash_table_foreach_remove(lim->peers, limiter_entry_stale, &cut);
	lim->sweep_at = MAX(LIMITER_SWEEP_MIN, 2 * g_hash_table_size(lim->peers));
}

EsessStatus
esess_limiter_admit(EsessLimiter *lim, const char *peer_bare)
{
	GArray *times;
	gint64 now;
	guint i;

	if (lim == NULL)
		return ESESS_OK;
	now = lim->fixed_now != 0 ? lim->fixed_now : g_get_monotonic_time();
	if (lim->in_flight >= lim->max_in_flight)
		return ESESS_ERR_RATE_LIMIT;
	limiter_sweep(lim, now);
	times = g_hash_table_lookup(lim->peers, peer_bare);
	if (times == NULL) {
		times = g_array_new(FALSE, FALSE, sizeof(gint64));
		g_hash_table_insert(lim->peers, g_strdup(peer_bare), times);
	}
	/* forget admissions older than the window */
	for (i = 0; i < times->len;) {
		if (now - g_array_index(times, gint64, i) >= lim->window_us)
			g_array_remove_index(times, i);
		else
			i++;
	}
	if (times->len >= lim->per_peer)
		return ESESS_ERR_RATE_LIMIT;
	g_array_append_val(times, now);
	lim->in_flight++;
	return ESESS_OK;
}

void
esess_chat_release(EsessChat *chat)
{
	if (chat->counted && chat->limiter != NULL && chat->limiter->in_flight > 0)
		chat->limiter->in_flight--;
	chat->counted = FALSE;
}

/* ---- steps ------------------------------------------------------------ */

void
esess_step_init(EsessStep *step)
{
	memset(step, 0, sizeof *step);
	step->event = ESESS_EV_NONE;
	step->status = ESESS_OK;
	step->send = g_ptr_array_new_with_free_func(g_free);
	step->unsent = g_ptr_array_new();
}

void
esess_step_clear(EsessStep *step)
{
	guint i;

	if (step->send != NULL)
		g_ptr_array_unref(step->send);
	if (step->deliver != NULL)
		esess_free_wiped(step->deliver, strlen(step->deliver));
	if (step->unsent != NULL) {
		for (i = 0; i < step->unsent->len; i++) {
			char *b = g_ptr_array_index(step->unsent, i);

			esess_free_wiped(b, strlen(b));
		}
		g_ptr_array_unref(step->unsent);
	}
	/* empty, not re-allocated: a cleared step may simply be dropped; the
	 * arrays come back on demand (step_send, step_unsent) */
	memset(step, 0, sizeof *step);
	step->event = ESESS_EV_NONE;
	step->status = ESESS_OK;
}

static void
step_send(EsessStep *step, char *stanza)
{
	if (step->send == NULL)
		step->send = g_ptr_array_new_with_free_func(g_free);
	g_ptr_array_add(step->send, stanza);
}

static void
step_unsent(EsessStep *step, char *body)
{
	if (step->unsent == NULL)
		step->unsent = g_ptr_array_new();
	g_ptr_array_add(step->unsent, body);
}

void
esess_step_event(EsessStep *step, EsessEvent ev, EsessStatus st, gboolean by_peer)
{
	step->event = ev;
	step->status = st;
	step->by_peer = by_peer;
}

/* ---- helpers ------------------------------------------------------------ */

/* normalised (esess_jid_bare): every comparison of JIDs in the engine goes
 * through esess-bytes' one normalisation (issue 9 item 10) */
char *
esess_chat_bare(const char *jid)
{
	return esess_jid_bare(jid);
}

char *
esess_chat_new_thread(void)
{
	static const char letters[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
	char *t;
	guint8 rnd[2 * THREAD_LEN], b;
	size_t used = sizeof rnd;
	int n = 0;

	t = g_malloc(THREAD_LEN + 1);
	while (n < THREAD_LEN) {
		/* the thread is public: the nonce generator, one call per
		 * batch, so that message 1 does not wait on the strong
		 * generator (issue "cost control", issue 11 item 5) */
		if (used == sizeof rnd) {
			esess_nonce(rnd, sizeof rnd);
			used = 0;
		}
		b = rnd[used++];
		if (b >= 208) /* 4 * 52: no modulo bias */
			continue;
		t[n++] = letters[b % 52];
	}
	t[THREAD_LEN] = '\0';
	esess_wipe(rnd, sizeof rnd);
	return t;
}

EsessXmlNode *
esess_chat_message_new(const EsessChat *chat, const char *type)
{
	EsessXmlNode *m;

	m = esess_xml_new("message", ESESS_NS_CLIENT);
	esess_xml_set_attr(m, "to", chat->peer);
	if (type != NULL)
		esess_xml_set_attr(m, "type", type);
	(void)esess_xml_add_text_child(m, "thread", chat->thread);
	return m;
}

void
esess_chat_send_node(EsessStep *step, const EsessXmlNode *m)
{
	GString *s;

	s = g_string_new(NULL);
	esess_xml_write(s, m, ESESS_NS_CLIENT);
	step_send(step, g_string_free(s, FALSE));
}

/* a negotiation message: thread, no type, no body (R1); or its error */
void
esess_chat_send_neg(const EsessChat *chat, EsessStep *step, EsessNegOut *o)
{
	EsessXmlNode *m;

	if (o->reply != NULL) {
		m = esess_chat_message_new(chat, NULL);
		esess_xml_append(m, o->reply);
		o->reply = NULL;
		esess_chat_send_node(step, m);
		esess_xml_free(m);
	}
	if (o->error != NULL) {
		m = esess_chat_message_new(chat, "error");
		esess_xml_append(m, o->error);
		o->error = NULL;
		esess_chat_send_node(step, m);
		esess_xml_free(m);
	}
}

/* XEP-0155 §Termination form: terminate = 1 (submit) or its ack (result) */
EsessXmlNode *
esess_chat_terminate_form(gboolean ack)
{
	EsessXmlNode *feat, *x, *f;

	feat = esess_xml_new("feature", ESESS_NS_FEATURENEG);
	x = esess_xml_add(feat, "x", ESESS_NS_XDATA);
	esess_xml_set_attr(x, "type", ack ? "result" : "submit");
	f = esess_xml_add(x, "field", NULL);
	esess_xml_set_attr(f, "type", "hidden");
	esess_xml_set_attr(f, "var", "FORM_TYPE");
	(void)esess_xml_add_text_child(f, "value", ESESS_NS_SSN);
	f = esess_xml_add(x, "field", NULL);
	esess_xml_set_attr(f, "type", "boolean");
	esess_xml_set_attr(f, "var", "terminate");
	(void)esess_xml_add_text_child(f, "value", "1");
	return feat;
}

void
esess_chat_unsent(EsessChat *chat, EsessStep *step)
{
	guint i;

	for (i = 0; i < chat->queue->len; i++)
		step_unsent(step, g_ptr_array_index(chat->queue, i));
	g_ptr_array_set_size(chat->queue, 0);
}

/* Ends everything: wipes the session and the negotiation (sticky). */
void
esess_chat_end(EsessChat *chat, EsessStep *step)
{
	if (chat->neg != NULL)
		esess_neg_abort(chat->neg);
	if (chat->session != NULL)
		esess_session_free(chat->session);
	esess_chat_set_session(chat, NULL);
	chat->ack_pending = FALSE;
	chat->state = ESESS_CHAT_ENDED;
	esess_chat_release(chat);
	esess_chat_unsent(chat, step);
}

gboolean
esess_chat_mustnot(const EsessChat *chat)
{
	return chat->logging == ESESS_LOGGING_MUSTNOT;
}

gboolean
esess_chat_kept_outside(const EsessXmlNode *ch)
{
	/* R14: thread, error, amp and XEP-0334 hints stay outside <c/> */
	if (ch->ns != NULL && strcmp(ch->ns, ESESS_NS_HINTS) == 0)
		return TRUE;
	if (esess_xml_is(ch, "amp", ESESS_NS_AMP))
		return TRUE;
	if (ch->ns == NULL || strcmp(ch->ns, ESESS_NS_CLIENT) == 0)
		return strcmp(ch->name, "thread") == 0 || strcmp(ch->name, "error") == 0;
	return FALSE;
}

/* Encrypts payload into a complete <message/> (R14) and adds it to send. */
EsessStatus
esess_chat_send_encrypted(EsessChat *chat, EsessStep *step, const EsessXmlNode *orig,
	       const char *payload, size_t len, gboolean with_body)
{
	EsessXmlNode *m, *ch, *hint;
	GString *c, *s;
	const char *id;
	EsessStatus r;

	c = g_string_new(NULL);
	r = esess_session_encrypt(chat->session, payload, len, c);
	if (r != ESESS_OK) {
		g_string_free(c, TRUE);
		return r;
	}
	m = esess_xml_new("message", ESESS_NS_CLIENT);
	esess_xml_set_attr(m, "to", chat->peer); /* the negotiated full JID */
	esess_xml_set_attr(m, "type", "chat");
	id = orig != NULL ? esess_xml_attr(orig, "id") : NULL;
	if (id != NULL)
		esess_xml_set_attr(m, "id", id);
	if (with_body && chat->placeholder != NULL)
		(void)esess_xml_add_text_child(m, "body", chat->placeholder);
	(void)esess_xml_add_text_child(m, "thread", chat->thread);
	for (ch = orig != NULL ? orig->first_child : NULL; ch != NULL; ch = ch->next) {
		if (ch->kind != ESESS_XML_ELEMENT || !esess_chat_kept_outside(ch))
			continue;
		if (strcmp(ch->name, "thread") == 0)
			continue;
		if (ch->ns != NULL && strcmp(ch->ns, ESESS_NS_HINTS) == 0 && esess_chat_mustnot(chat) &&
		    (strcmp(ch->name, "no-permanent-store") == 0 || strcmp(ch->name, "no-copy") == 0))
			continue; /* added below once */
		esess_xml_append(m, esess_xml_copy(ch));
	}
	if (esess_chat_mustnot(chat)) {
		/* R14, R17: keep the server's archive out of it */
		hint = esess_xml_add(m, "no-permanent-store", ESESS_NS_HINTS);
		(void)hint;
		(void)esess_xml_add(m, "no-copy", ESESS_NS_HINTS);
	}
	s = g_string_new(NULL);
	esess_xml_write(s, m, ESESS_NS_CLIENT);
	esess_xml_free(m);
	/* splice <c/> in before the end tag (m always has children) */
	g_assert(g_str_has_suffix(s->str, "</message>"));
	g_string_insert_len(s, (gssize)(s->len - strlen("</message>")), c->str, (gssize)c->len);
	g_string_free(c, TRUE);
	step_send(step, g_string_free(s, FALSE));
	return ESESS_OK;
}

size_t
esess_chat_max_payload(void)
{
	size_t b64 = esess_xml_default_limits.max_text;

	if (esess_xml_default_limits.max_bytes - ESESS_STANZA_OVERHEAD < b64)
		b64 = esess_xml_default_limits.max_bytes - ESESS_STANZA_OVERHEAD;
	/* whole base64 quanta, then whole cipher blocks (R14 padding) */
	return b64 / 4u * 3u / 16u * 16u;
}

GString *
esess_chat_payload(const EsessXmlNode *stanza)
{
	const EsessXmlNode *ch;
	GString *payload;

	payload = g_string_new(NULL);
	for (ch = stanza->first_child; ch != NULL; ch = ch->next) {
		if (ch->kind != ESESS_XML_ELEMENT || esess_chat_kept_outside(ch))
			continue;
		/* relative to the stanza's own namespace: a <body> that libpurple
		 * wrote without xmlns stays without one, so the receiver parses it
		 * in jabber:client (XEP-0200 §Decrypting step 6), never xmlns='' */
		esess_xml_write(payload, ch, stanza->ns);
	}
	return payload;
}

EsessStatus
esess_chat_encrypt_node(EsessChat *chat, EsessStep *step, const EsessXmlNode *stanza)
{
	GString *payload;
	EsessStatus r;

	payload = esess_chat_payload(stanza);
	if (payload->len > esess_chat_max_payload()) {
		/* SECURITY 70: never send what the receiver would drop */
		step->size = payload->len;
		esess_gstring_free_wiped(payload);
		return ESESS_ERR_TOO_LARGE;
	}
	r = esess_chat_send_encrypted(chat, step, stanza, payload->str, payload->len, TRUE);
	esess_gstring_free_wiped(payload);
	return r;
}

EsessStatus
esess_chat_send_enc_terminate(EsessChat *chat, EsessStep *step, gboolean ack)
{
	EsessXmlNode *form;
	GString *payload;
	EsessStatus r;

	form = esess_chat_terminate_form(ack);
	payload = g_string_new(NULL);
	esess_xml_write(payload, form, ESESS_NS_CLIENT);
	esess_xml_free(form);
	r = esess_chat_send_encrypted(chat, step, NULL, payload->str, payload->len, FALSE);
	g_string_free(payload, TRUE);
	return r;
}

void
esess_chat_send_plain_terminate(EsessChat *chat, EsessStep *step)
{
	EsessXmlNode *m;

	m = esess_chat_message_new(chat, NULL);
	esess_xml_append(m, esess_chat_terminate_form(FALSE));
	esess_chat_send_node(step, m);
	esess_xml_free(m);
}

/* R18: encrypted and acknowledged only for peers of this plugin */
gboolean
esess_chat_terminate_encrypted(const EsessChat *chat)
{
	return chat->peer_has_plugin && !(chat->quirks != NULL && chat->quirks->plaintext_terminate);
}

