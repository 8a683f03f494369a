/*
 * esess-chat.c - the façade of esess-chat.h: one ESession with one peer on
 * top of esess-negotiate (XEP-0155/0116) and esess-session (XEP-0200).
 *
 *   NEGOTIATING --(message 4 sent/verified)--> ESTABLISHED --(terminate,
 *        |                                          failure R15)--> ENDED
 *        +--(failure, rejection, error, terminate, abort)-------------> ENDED
 *
 * Outgoing: INTEROP R14 (what is encrypted), R16 (queue while negotiating).
 * Incoming: R15 (who may send, which thread), R18 (termination).
 */
#include "config.h"

#include <string.h>

#include "esess-bytes.h"
#include "esess-chat.h"
#include "esess-negotiate.h"
#include "esess-quirks.h"
#include "esess-store.h"

#define THREAD_LEN 20 /* R1: at least 16 random letters */

static const guint default_groups[] = { 15, 14, 16 }; /* R12 */

struct _EsessChat {
	EsessChatState state;
	gboolean initiator;
	char *account;
	char *own_jid;
	char *peer;           /* as started, then the full JID that answered */
	char *peer_bare;
	gboolean pinned;      /* SECURITY 55: peer is the full JID now */
	char *thread;
	char *placeholder;
	gboolean peer_has_plugin;
	const EsessQuirks *quirks;
	EsessLimiter *limiter;
	gboolean counted;     /* holds a slot in the limiter */
	EsessStore *store;
	EsessNeg *neg;
	EsessSession *session;
	GPtrArray *queue;     /* char *: bodies waiting for the session (R16) */
	gboolean ack_pending; /* we sent an encrypted terminate (R18) */
	/* established */
	char sas[ESESS_SAS_LEN + 1];
	EsessContinuity continuity;
	gboolean verified;
	EsessLogging logging;
	guint group;
	char *cipher;
	gint64 since;
	EsessSecret *new_rs;
};

/* ---- the limiter (SECURITY 58) ------------------------------------- */

struct _EsessLimiter {
	guint per_peer;
	gint64 window_us;
	guint max_in_flight;
	guint in_flight;
	gint64 fixed_now;
	GHashTable *peers; /* bare JID -> GArray of gint64 admission times */
};

EsessLimiter *
esess_limiter_new(guint per_peer, guint window_s, guint max_in_flight)
{
	EsessLimiter *lim;

	lim = g_new0(EsessLimiter, 1);
	lim->per_peer = per_peer;
	lim->window_us = (gint64)window_s * G_USEC_PER_SEC;
	lim->max_in_flight = max_in_flight;
	lim->peers = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
					   (GDestroyNotify)g_array_unref);
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

static EsessStatus
limiter_admit(EsessLimiter *lim, const char *peer_bare)
{
	GArray *times;
	gint64 now;
	guint i;

	if (lim == NULL)
		return ESESS_OK;
	now = lim->fixed_now != 0 ? lim->fixed_now : g_get_monotonic_time();
	if (lim->in_flight >= lim->max_in_flight)
		return ESESS_ERR_RATE_LIMIT;
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

static void
chat_release(EsessChat *chat)
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
	esess_step_init(step);
}

static void
step_event(EsessStep *step, EsessEvent ev, EsessStatus st, gboolean by_peer)
{
	step->event = ev;
	step->status = st;
	step->by_peer = by_peer;
}

/* ---- helpers ------------------------------------------------------------ */

static char *
bare_of(const char *jid)
{
	const char *slash;

	slash = strchr(jid, '/');
	return slash != NULL ? g_strndup(jid, (gsize)(slash - jid)) : g_strdup(jid);
}

static char *
new_thread_id(void)
{
	static const char letters[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
	char *t;
	guint8 b;
	int n = 0;

	t = g_malloc(THREAD_LEN + 1);
	while (n < THREAD_LEN) {
		esess_random(&b, 1);
		if (b >= 208) /* 4 * 52: no modulo bias */
			continue;
		t[n++] = letters[b % 52];
	}
	t[THREAD_LEN] = '\0';
	return t;
}

static EsessXmlNode *
message_new(const EsessChat *chat, const char *type)
{
	EsessXmlNode *m;

	m = esess_xml_new("message", ESESS_NS_CLIENT);
	esess_xml_set_attr(m, "to", chat->peer);
	if (type != NULL)
		esess_xml_set_attr(m, "type", type);
	(void)esess_xml_add_text_child(m, "thread", chat->thread);
	return m;
}

static void
send_node(EsessStep *step, const EsessXmlNode *m)
{
	GString *s;

	s = g_string_new(NULL);
	esess_xml_write(s, m, ESESS_NS_CLIENT);
	g_ptr_array_add(step->send, g_string_free(s, FALSE));
}

/* a negotiation message: thread, no type, no body (R1); or its error */
static void
send_neg(const EsessChat *chat, EsessStep *step, EsessNegOut *o)
{
	EsessXmlNode *m;

	if (o->reply != NULL) {
		m = message_new(chat, NULL);
		esess_xml_append(m, o->reply);
		o->reply = NULL;
		send_node(step, m);
		esess_xml_free(m);
	}
	if (o->error != NULL) {
		m = message_new(chat, "error");
		esess_xml_append(m, o->error);
		o->error = NULL;
		send_node(step, m);
		esess_xml_free(m);
	}
}

/* XEP-0155 §Termination form: terminate = 1 (submit) or its ack (result) */
static EsessXmlNode *
terminate_form(gboolean ack)
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

static void
queue_to_unsent(EsessChat *chat, EsessStep *step)
{
	guint i;

	for (i = 0; i < chat->queue->len; i++)
		g_ptr_array_add(step->unsent, g_ptr_array_index(chat->queue, i));
	g_ptr_array_set_size(chat->queue, 0);
}

/* Ends everything: wipes the session and the negotiation (sticky). */
static void
chat_end(EsessChat *chat, EsessStep *step)
{
	if (chat->neg != NULL)
		esess_neg_abort(chat->neg);
	if (chat->session != NULL)
		esess_session_free(chat->session);
	chat->session = NULL;
	chat->ack_pending = FALSE;
	chat->state = ESESS_CHAT_ENDED;
	chat_release(chat);
	queue_to_unsent(chat, step);
}

static gboolean
logging_mustnot(const EsessChat *chat)
{
	return chat->logging == ESESS_LOGGING_MUSTNOT;
}

static gboolean
is_kept_outside(const EsessXmlNode *ch)
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
static EsessStatus
send_encrypted(EsessChat *chat, EsessStep *step, const EsessXmlNode *orig,
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
		if (ch->kind != ESESS_XML_ELEMENT || !is_kept_outside(ch))
			continue;
		if (strcmp(ch->name, "thread") == 0)
			continue;
		if (ch->ns != NULL && strcmp(ch->ns, ESESS_NS_HINTS) == 0 && logging_mustnot(chat) &&
		    (strcmp(ch->name, "no-permanent-store") == 0 || strcmp(ch->name, "no-copy") == 0))
			continue; /* added below once */
		esess_xml_append(m, esess_xml_copy(ch));
	}
	if (logging_mustnot(chat)) {
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
	g_ptr_array_add(step->send, g_string_free(s, FALSE));
	return ESESS_OK;
}

static EsessStatus
encrypt_node(EsessChat *chat, EsessStep *step, const EsessXmlNode *stanza)
{
	const EsessXmlNode *ch;
	GString *payload;
	EsessStatus r;

	payload = g_string_new(NULL);
	for (ch = stanza->first_child; ch != NULL; ch = ch->next) {
		if (ch->kind != ESESS_XML_ELEMENT || is_kept_outside(ch))
			continue;
		esess_xml_write(payload, ch, ESESS_NS_CLIENT);
	}
	r = send_encrypted(chat, step, stanza, payload->str, payload->len, TRUE);
	esess_wipe(payload->str, payload->len);
	g_string_free(payload, TRUE);
	return r;
}

static EsessStatus
send_encrypted_terminate(EsessChat *chat, EsessStep *step, gboolean ack)
{
	EsessXmlNode *form;
	GString *payload;
	EsessStatus r;

	form = terminate_form(ack);
	payload = g_string_new(NULL);
	esess_xml_write(payload, form, ESESS_NS_CLIENT);
	esess_xml_free(form);
	r = send_encrypted(chat, step, NULL, payload->str, payload->len, FALSE);
	g_string_free(payload, TRUE);
	return r;
}

static void
send_plain_terminate(EsessChat *chat, EsessStep *step)
{
	EsessXmlNode *m;

	m = message_new(chat, NULL);
	esess_xml_append(m, terminate_form(FALSE));
	send_node(step, m);
	esess_xml_free(m);
}

/* R18: encrypted and acknowledged only for peers of this plugin */
static gboolean
encrypted_terminate(const EsessChat *chat)
{
	return chat->peer_has_plugin && !(chat->quirks != NULL && chat->quirks->plaintext_terminate);
}

/* ---- creating ----------------------------------------------------------- */

static EsessStatus
chat_new(const EsessChatConfig *cfg, const char *peer, gboolean initiator, EsessChat **out)
{
	EsessChat *chat;
	EsessStatus r;

	*out = NULL;
	chat = g_new0(EsessChat, 1);
	chat->peer_bare = bare_of(peer);
	r = limiter_admit(cfg->limiter, chat->peer_bare);
	if (r != ESESS_OK) {
		g_free(chat->peer_bare);
		g_free(chat);
		return r;
	}
	chat->limiter = cfg->limiter;
	chat->counted = cfg->limiter != NULL;
	chat->state = ESESS_CHAT_NEGOTIATING;
	chat->initiator = initiator;
	chat->account = g_strdup(cfg->account);
	chat->own_jid = g_strdup(cfg->own_jid);
	chat->peer = g_strdup(peer);
	chat->placeholder = g_strdup(cfg->placeholder);
	chat->peer_has_plugin = cfg->peer_has_plugin;
	chat->quirks = esess_quirks_for(cfg->peer_caps_node);
	chat->store = cfg->store;
	chat->queue = g_ptr_array_new();
	*out = chat;
	return ESESS_OK;
}

static void
neg_config(const EsessChatConfig *cfg, const EsessChat *chat, EsessNegConfig *nc)
{
	gboolean ext;

	memset(nc, 0, sizeof *nc);
	ext = cfg->peer_has_plugin && !(chat->quirks != NULL && chat->quirks->no_extensions);
	nc->account = cfg->account;
	nc->peer = chat->peer_bare;
	nc->store = cfg->store;
	nc->pool = cfg->pool;
	nc->policy.min_modp_bits = cfg->min_modp_bits != 0 ? cfg->min_modp_bits : 2048;
	nc->policy.logging = cfg->logging;
	nc->policy.extensions = ext;
	nc->policy.quirks = chat->quirks;
	nc->policy.min_rekey_freq = 1;
	nc->groups = cfg->modp_offer != NULL ? cfg->modp_offer : default_groups;
	nc->n_groups = cfg->modp_offer != NULL ? cfg->n_modp_offer : G_N_ELEMENTS(default_groups);
	nc->rekey = ext; /* R19, R20 */
}

EsessStatus
esess_chat_start(const EsessChatConfig *cfg, EsessChat **out, EsessStep *step)
{
	EsessChat *chat = NULL;
	EsessNegConfig nc;
	EsessNegOut o = { NULL, NULL };
	EsessStatus r;

	g_return_val_if_fail(out != NULL && step != NULL, ESESS_ERR_INVALID_ARG);
	*out = NULL;
	if (cfg == NULL || cfg->account == NULL || cfg->own_jid == NULL || cfg->peer_jid == NULL ||
	    *cfg->peer_jid == '\0')
		return ESESS_ERR_INVALID_ARG;
	r = chat_new(cfg, cfg->peer_jid, TRUE, &chat);
	if (r != ESESS_OK)
		return r;
	chat->thread = new_thread_id(); /* fresh per negotiation (R1) */
	neg_config(cfg, chat, &nc);
	r = esess_neg_initiate(&nc, &chat->neg, &o);
	if (r != ESESS_OK) {
		esess_neg_out_clear(&o);
		esess_chat_free(chat);
		return r;
	}
	send_neg(chat, step, &o);
	step_event(step, ESESS_EV_NEGOTIATING, ESESS_OK, FALSE);
	*out = chat;
	return ESESS_OK;
}

EsessStatus
esess_chat_accept(const EsessChatConfig *cfg, const EsessMsgInfo *request, EsessChat **out,
		  EsessStep *step)
{
	EsessChat *chat = NULL;
	EsessNegConfig nc;
	EsessNegOut o = { NULL, NULL };
	const EsessXmlNode *feature;
	EsessStatus r;

	g_return_val_if_fail(out != NULL && step != NULL, ESESS_ERR_INVALID_ARG);
	*out = NULL;
	if (cfg == NULL || cfg->account == NULL || cfg->own_jid == NULL || request == NULL ||
	    request->kind != ESESS_MSG_NEG_REQUEST || request->from == NULL ||
	    request->thread == NULL || *request->thread == '\0')
		return ESESS_ERR_INVALID_ARG;
	r = chat_new(cfg, request->from, FALSE, &chat);
	if (r != ESESS_OK) {
		step_event(step, ESESS_EV_FAILED, r, FALSE);
		return r;
	}
	chat->thread = g_strdup(request->thread); /* mirrored (XEP-0155) */
	chat->pinned = TRUE;
	neg_config(cfg, chat, &nc);
	feature = esess_xml_child(request->stanza, "feature", ESESS_NS_FEATURENEG);
	if (feature == NULL) {
		r = ESESS_ERR_FORM;
		o.error = esess_neg_error_new("service-unavailable", NULL, 0);
	} else {
		r = esess_neg_respond(&nc, feature, &chat->neg, &o);
	}
	if (r != ESESS_OK) {
		send_neg(chat, step, &o);
		esess_chat_free(chat);
		step_event(step, ESESS_EV_FAILED, r, FALSE);
		return r;
	}
	send_neg(chat, step, &o);
	step_event(step, ESESS_EV_NEGOTIATING, ESESS_OK, FALSE);
	*out = chat;
	return ESESS_OK;
}

EsessStatus
esess_chat_decline(const EsessChatConfig *cfg, const EsessMsgInfo *request, EsessStep *step)
{
	EsessXmlNode *m, *feat, *x, *f;

	g_return_val_if_fail(step != NULL, ESESS_ERR_INVALID_ARG);
	if (cfg == NULL || request == NULL || request->from == NULL || request->thread == NULL)
		return ESESS_ERR_INVALID_ARG;
	/* XEP-0155 §Decline: submit with accept = 0, nothing else */
	m = esess_xml_new("message", ESESS_NS_CLIENT);
	esess_xml_set_attr(m, "to", request->from);
	(void)esess_xml_add_text_child(m, "thread", request->thread);
	feat = esess_xml_add(m, "feature", ESESS_NS_FEATURENEG);
	x = esess_xml_add(feat, "x", ESESS_NS_XDATA);
	esess_xml_set_attr(x, "type", "submit");
	f = esess_xml_add(x, "field", NULL);
	esess_xml_set_attr(f, "var", "FORM_TYPE");
	(void)esess_xml_add_text_child(f, "value", ESESS_NS_SSN);
	f = esess_xml_add(x, "field", NULL);
	esess_xml_set_attr(f, "var", "accept");
	(void)esess_xml_add_text_child(f, "value", "0");
	send_node(step, m);
	esess_xml_free(m);
	step_event(step, ESESS_EV_NONE, ESESS_OK, FALSE);
	return ESESS_OK;
}

gboolean
esess_chat_yields_to(const EsessChat *ours, const EsessMsgInfo *peer_request)
{
	char *a, *b;
	int c;

	g_return_val_if_fail(ours != NULL && peer_request != NULL, FALSE);
	if (!ours->initiator || ours->state != ESESS_CHAT_NEGOTIATING ||
	    peer_request->kind != ESESS_MSG_NEG_REQUEST || peer_request->from == NULL)
		return FALSE;
	a = bare_of(ours->own_jid);
	b = bare_of(peer_request->from);
	if (strcmp(b, ours->peer_bare) != 0) {
		g_free(a);
		g_free(b);
		return FALSE; /* not a crossing request from our peer */
	}
	/* SECURITY 54: the larger JID (bare, then full) gives way, so both
	 * sides agree on exactly one surviving negotiation */
	c = strcmp(a, b);
	if (c == 0)
		c = strcmp(ours->own_jid, peer_request->from);
	g_free(a);
	g_free(b);
	return c > 0;
}

/* ---- receiving ------------------------------------------------------------ */

/* R15, SECURITY 55: the thread, and the JID the request went to (bare match
 * for the first reply, then pinned to the full JID that answered). */
static gboolean
from_peer(const EsessChat *chat, const EsessMsgInfo *msg)
{
	char *b;
	gboolean ok;

	if (msg->from == NULL || msg->thread == NULL || strcmp(msg->thread, chat->thread) != 0)
		return FALSE;
	if (chat->pinned || strchr(chat->peer, '/') != NULL)
		return strcmp(msg->from, chat->peer) == 0;
	b = bare_of(msg->from);
	ok = strcmp(b, chat->peer_bare) == 0;
	g_free(b);
	return ok;
}

static void
flush_queue(EsessChat *chat, EsessStep *step)
{
	EsessXmlNode *m;
	EsessStatus r;
	guint i;

	for (i = 0; i < chat->queue->len; i++) {
		char *body = g_ptr_array_index(chat->queue, i);

		m = esess_xml_new("message", ESESS_NS_CLIENT);
		esess_xml_set_attr(m, "type", "chat");
		(void)esess_xml_add_text_child(m, "body", body);
		r = encrypt_node(chat, step, m);
		esess_xml_free(m);
		if (r != ESESS_OK)
			return; /* the rest stays queued and is reported at the end */
		esess_free_wiped(body, strlen(body));
		chat->queue->pdata[i] = NULL;
	}
	g_ptr_array_set_size(chat->queue, 0);
}

static void
establish(EsessChat *chat, EsessStep *step)
{
	const EsessNegResult *res;

	res = esess_neg_result(chat->neg);
	chat->session = esess_neg_take_session(chat->neg);
	memcpy(chat->sas, res->sas, sizeof chat->sas);
	if (chat->quirks != NULL && chat->quirks->sas_unpadded)
		esess_sas_format(res->sas_value, FALSE, chat->sas); /* R20 */
	chat->continuity = res->continuity;
	chat->verified = res->verified;
	chat->logging = res->logging;
	chat->group = res->group;
	chat->cipher = g_strdup(res->cipher);
	chat->since = g_get_real_time();
	chat->new_rs = esess_secret_dup(res->new_rs);
	chat->state = ESESS_CHAT_ESTABLISHED;
	chat_release(chat);
	flush_queue(chat, step);
	step_event(step, ESESS_EV_ESTABLISHED, ESESS_OK, FALSE);
}

static EsessStatus
on_neg(EsessChat *chat, const EsessMsgInfo *msg, EsessStep *step)
{
	EsessNegOut o = { NULL, NULL };
	EsessNegState before;
	EsessStatus r;

	if (!from_peer(chat, msg))
		return ESESS_ERR_WRONG_PEER;
	if (chat->neg == NULL)
		return ESESS_ERR_STATE;
	before = esess_neg_state(chat->neg);
	r = esess_neg_receive(chat->neg, msg->stanza, &o);
	if (before == ESESS_NEG_DONE || before == ESESS_NEG_FAILED) {
		/* SECURITY 52: over; never re-derive keys, change nothing */
		esess_neg_out_clear(&o);
		return r;
	}
	if (!chat->pinned) {
		g_free(chat->peer);
		chat->peer = g_strdup(msg->from);
		chat->pinned = TRUE;
	}
	send_neg(chat, step, &o);
	if (r != ESESS_OK) {
		chat_end(chat, step);
		step_event(step, r == ESESS_ERR_REJECTED ? ESESS_EV_REJECTED : ESESS_EV_FAILED, r,
			   r == ESESS_ERR_REJECTED || r == ESESS_ERR_PEER_ERROR);
		return r;
	}
	if (esess_neg_state(chat->neg) == ESESS_NEG_DONE)
		establish(chat, step);
	return ESESS_OK;
}

static gboolean
payload_terminate(const EsessXmlNode *payload, gboolean *ack)
{
	const EsessXmlNode *feat, *x, *f, *v;
	const char *type, *var;
	char *t;
	gboolean yes = FALSE;

	feat = esess_xml_child(payload, "feature", ESESS_NS_FEATURENEG);
	if (feat == NULL)
		return FALSE;
	x = esess_xml_child(feat, "x", ESESS_NS_XDATA);
	if (x == NULL)
		return FALSE;
	type = esess_xml_attr(x, "type");
	*ack = type != NULL && strcmp(type, "result") == 0;
	for (f = esess_xml_child(x, "field", NULL); f != NULL; f = esess_xml_next(f, "field", NULL)) {
		var = esess_xml_attr(f, "var");
		v = esess_xml_child(f, "value", NULL);
		if (var == NULL || strcmp(var, "terminate") != 0 || v == NULL)
			continue;
		t = esess_xml_text(v);
		yes = strcmp(t, "1") == 0 || strcmp(t, "true") == 0;
		g_free(t);
	}
	return yes;
}

/* The stanza to show: the outer routing untouched (R15), any <body> beside
 * <c/> removed (R14), the decrypted children in its place. */
static char *
delivered(const EsessXmlNode *outer, EsessXmlNode *payload)
{
	EsessXmlNode *m, *ch, *next;
	char *s;

	m = esess_xml_copy(outer);
	for (ch = m->first_child; ch != NULL; ch = next) {
		next = ch->next;
		if (ch->kind == ESESS_XML_ELEMENT &&
		    (esess_xml_is(ch, "c", ESESS_NS_C) || strcmp(ch->name, "body") == 0)) {
			esess_xml_unlink(ch);
			esess_xml_free(ch);
		}
	}
	for (ch = payload->first_child; ch != NULL; ch = next) {
		next = ch->next;
		if (ch->kind != ESESS_XML_ELEMENT)
			continue;
		esess_xml_unlink(ch);
		esess_xml_append(m, ch);
	}
	s = esess_xml_to_string(m);
	esess_xml_free(m);
	return s;
}

static EsessStatus
on_encrypted(EsessChat *chat, const EsessMsgInfo *msg, EsessStep *step)
{
	const EsessXmlNode *c;
	EsessXmlNode *payload = NULL;
	gboolean ack = FALSE;
	EsessStatus r;

	if (!from_peer(chat, msg))
		return ESESS_ERR_WRONG_PEER; /* R15, SECURITY 46 */
	if (chat->session == NULL) /* SECURITY 50: ignore, no reply */
		return chat->state == ESESS_CHAT_ENDED ? ESESS_ERR_SESSION_ENDED : ESESS_ERR_STATE;
	c = esess_xml_child(msg->stanza, "c", ESESS_NS_C);
	r = esess_session_decrypt(chat->session, c, &payload, NULL, NULL);
	if (r != ESESS_OK) {
		/* R15, R18: the session is over; tell the peer in plaintext */
		gboolean was_ending = chat->ack_pending;

		if (!was_ending)
			send_plain_terminate(chat, step);
		chat_end(chat, step);
		step_event(step, was_ending ? ESESS_EV_NONE : ESESS_EV_ENDED, r, FALSE);
		return r;
	}
	if (payload != NULL && payload_terminate(payload, &ack)) {
		esess_xml_free(payload);
		if (ack) {
			if (!chat->ack_pending)
				return ESESS_ERR_STATE; /* an ack we never asked for */
			chat_end(chat, step); /* XEP-0116 §Termination: ack verified */
			return ESESS_OK;
		}
		if (chat->ack_pending) {
			chat_end(chat, step); /* both ended at once */
			return ESESS_OK;
		}
		if (encrypted_terminate(chat))
			r = send_encrypted_terminate(chat, step, TRUE);
		chat_end(chat, step);
		step_event(step, ESESS_EV_ENDED, ESESS_OK, TRUE);
		return r;
	}
	if (chat->ack_pending || payload == NULL) {
		esess_xml_free(payload);
		return ESESS_OK; /* empty stanza, or content after our terminate */
	}
	step->deliver = delivered(msg->stanza, payload);
	esess_xml_free(payload);
	step_event(step, ESESS_EV_MESSAGE, ESESS_OK, FALSE);
	return ESESS_OK;
}

static EsessStatus
on_terminate(EsessChat *chat, const EsessMsgInfo *msg, EsessStep *step)
{
	const EsessXmlNode *feat, *x;
	const char *type;

	if (!from_peer(chat, msg))
		return ESESS_ERR_WRONG_PEER; /* SECURITY 51: another thread */
	feat = esess_xml_child(msg->stanza, "feature", ESESS_NS_FEATURENEG);
	x = feat != NULL ? esess_xml_child(feat, "x", ESESS_NS_XDATA) : NULL;
	type = x != NULL ? esess_xml_attr(x, "type") : NULL;
	switch (chat->state) {
	case ESESS_CHAT_NEGOTIATING:
		break;
	case ESESS_CHAT_ESTABLISHED:
		/* SECURITY 51: a peer of this plugin terminates inside <c/> with
		 * a MAC (R18); a plaintext one without MAC is ignored */
		if (encrypted_terminate(chat))
			return ESESS_ERR_MAC;
		break;
	case ESESS_CHAT_ENDED:
		if (chat->ack_pending)
			chat_end(chat, step);
		return ESESS_ERR_SESSION_ENDED;
	}
	if (type == NULL || strcmp(type, "submit") != 0)
		return ESESS_ERR_STATE;
	chat_end(chat, step);
	step_event(step, ESESS_EV_ENDED, ESESS_OK, TRUE);
	return ESESS_OK;
}

static EsessStatus
on_plain(EsessChat *chat, const EsessMsgInfo *msg, EsessStep *step)
{
	char *b;
	gboolean ours;

	if (msg->from == NULL || chat->state != ESESS_CHAT_ESTABLISHED)
		return ESESS_OK;
	b = bare_of(msg->from);
	ours = strcmp(b, chat->peer_bare) == 0;
	g_free(b);
	if (!ours)
		return ESESS_ERR_WRONG_PEER;
	step->deliver = esess_xml_to_string(msg->stanza);
	step_event(step, ESESS_EV_PLAINTEXT, ESESS_OK, TRUE);
	return ESESS_OK;
}

EsessStatus
esess_chat_receive(EsessChat *chat, const EsessMsgInfo *msg, EsessStep *step)
{
	g_return_val_if_fail(chat != NULL && msg != NULL && step != NULL, ESESS_ERR_INVALID_ARG);
	switch (msg->kind) {
	case ESESS_MSG_NEG_REQUEST:
	case ESESS_MSG_NEG:
		return on_neg(chat, msg, step);
	case ESESS_MSG_ENCRYPTED:
		return on_encrypted(chat, msg, step);
	case ESESS_MSG_TERMINATE:
		return on_terminate(chat, msg, step);
	case ESESS_MSG_OTHER:
		return on_plain(chat, msg, step);
	case ESESS_MSG_CARBON_ENCRYPTED:
	case ESESS_MSG_DROP:
		return ESESS_OK; /* not for a chat: show nothing */
	}
	return ESESS_ERR_STATE;
}

/* ---- sending ----------------------------------------------------------- */

EsessStatus
esess_chat_encrypt(EsessChat *chat, const char *stanza, size_t len, EsessStep *step)
{
	EsessXmlNode *m = NULL, *body;
	EsessStatus r;

	g_return_val_if_fail(chat != NULL && stanza != NULL && step != NULL, ESESS_ERR_INVALID_ARG);
	r = esess_xml_parse(stanza, len, NULL, &m);
	if (r != ESESS_OK)
		return r;
	switch (chat->state) {
	case ESESS_CHAT_NEGOTIATING:
		/* R16: bodies wait for the session; nothing goes out in clear */
		body = esess_xml_child(m, "body", NULL);
		if (body != NULL) {
			g_ptr_array_add(chat->queue, esess_xml_text(body));
			step_event(step, ESESS_EV_QUEUED, ESESS_OK, FALSE);
		}
		break;
	case ESESS_CHAT_ESTABLISHED:
		r = encrypt_node(chat, step, m);
		break;
	case ESESS_CHAT_ENDED:
		r = ESESS_ERR_SESSION_ENDED;
		break;
	}
	esess_xml_free(m);
	return r;
}

EsessStatus
esess_chat_terminate(EsessChat *chat, EsessStep *step)
{
	EsessStatus r = ESESS_OK;

	g_return_val_if_fail(chat != NULL && step != NULL, ESESS_ERR_INVALID_ARG);
	switch (chat->state) {
	case ESESS_CHAT_NEGOTIATING:
		send_plain_terminate(chat, step);
		chat_end(chat, step);
		break;
	case ESESS_CHAT_ESTABLISHED:
		if (encrypted_terminate(chat)) {
			/* R18: inside <c/>, then wait for the encrypted ack */
			r = send_encrypted_terminate(chat, step, FALSE);
			if (r == ESESS_OK) {
				chat->state = ESESS_CHAT_ENDED;
				chat->ack_pending = TRUE;
				queue_to_unsent(chat, step);
				step_event(step, ESESS_EV_ENDED, ESESS_OK, FALSE);
				return ESESS_OK;
			}
		}
		send_plain_terminate(chat, step);
		chat_end(chat, step);
		r = ESESS_OK;
		break;
	case ESESS_CHAT_ENDED:
		return ESESS_OK; /* idempotent */
	}
	step_event(step, ESESS_EV_ENDED, ESESS_OK, FALSE);
	return r;
}

void
esess_chat_abort(EsessChat *chat, EsessStatus reason, EsessStep *step)
{
	EsessChatState was;

	g_return_if_fail(chat != NULL && step != NULL);
	was = chat->state;
	chat_end(chat, step);
	switch (was) {
	case ESESS_CHAT_NEGOTIATING:
		step_event(step, ESESS_EV_FAILED, reason, FALSE);
		break;
	case ESESS_CHAT_ESTABLISHED:
		step_event(step, ESESS_EV_ENDED, reason, FALSE);
		break;
	case ESESS_CHAT_ENDED:
		break;
	}
}

EsessStatus
esess_chat_sas_result(EsessChat *chat, gboolean match, EsessStep *step)
{
	EsessStatus r = ESESS_OK;

	g_return_val_if_fail(chat != NULL && step != NULL, ESESS_ERR_INVALID_ARG);
	if (chat->new_rs == NULL && chat->state != ESESS_CHAT_ESTABLISHED)
		return ESESS_ERR_STATE;
	if (match) {
		if (chat->store != NULL && chat->new_rs != NULL)
			r = esess_store_set_verified(chat->store, chat->account, chat->peer_bare,
						     chat->new_rs, TRUE);
		if (r == ESESS_OK)
			chat->verified = TRUE;
		return r;
	}
	/* SECURITY 31: end now, keep no retained secret from this session */
	if (chat->store != NULL && chat->new_rs != NULL)
		r = esess_store_remove(chat->store, chat->account, chat->peer_bare, chat->new_rs);
	esess_secret_free(chat->new_rs);
	chat->new_rs = NULL;
	if (chat->state == ESESS_CHAT_ESTABLISHED) {
		EsessStatus t = esess_chat_terminate(chat, step);

		(void)t; /* ending anyway: chat_end below */
	}
	chat_end(chat, step);
	step_event(step, ESESS_EV_ENDED, ESESS_ERR_SAS_MISMATCH, FALSE);
	return r != ESESS_OK ? r : ESESS_ERR_SAS_MISMATCH;
}

/* ---- what the adapter shows --------------------------------------------- */

EsessChatState
esess_chat_state(const EsessChat *chat)
{
	return chat->state;
}

const char *
esess_chat_thread(const EsessChat *chat)
{
	return chat->thread;
}

const char *
esess_chat_peer(const EsessChat *chat)
{
	return chat->peer;
}

gboolean
esess_chat_is_initiator(const EsessChat *chat)
{
	return chat->initiator;
}

const char *
esess_chat_sas(const EsessChat *chat)
{
	return chat->cipher != NULL ? chat->sas : NULL;
}

EsessContinuity
esess_chat_continuity(const EsessChat *chat)
{
	return chat->continuity;
}

gboolean
esess_chat_verified(const EsessChat *chat)
{
	return chat->verified;
}

EsessLogging
esess_chat_logging(const EsessChat *chat)
{
	return chat->logging;
}

guint
esess_chat_group(const EsessChat *chat)
{
	return chat->group;
}

const char *
esess_chat_cipher(const EsessChat *chat)
{
	return chat->cipher;
}

gint64
esess_chat_since(const EsessChat *chat)
{
	return chat->since;
}

void
esess_chat_free(EsessChat *chat)
{
	guint i;

	if (chat == NULL)
		return;
	esess_session_free(chat->session);
	esess_neg_free(chat->neg);
	chat_release(chat);
	for (i = 0; i < chat->queue->len; i++) {
		char *b = g_ptr_array_index(chat->queue, i);

		esess_free_wiped(b, strlen(b));
	}
	g_ptr_array_unref(chat->queue);
	esess_secret_free(chat->new_rs);
	g_free(chat->account);
	g_free(chat->own_jid);
	g_free(chat->peer);
	g_free(chat->peer_bare);
	g_free(chat->thread);
	g_free(chat->placeholder);
	g_free(chat->cipher);
	g_free(chat);
}
