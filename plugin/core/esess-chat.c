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
 *
 * Both sides know the real state after a failure (issue 10, SECURITY 69):
 *  - The receiver of a stanza that fails (MAC, replay, reorder, a drop
 *    before it, a payload it cannot parse) ends the session at once: the
 *    session layer has already wiped both directions' keys (SECURITY 8), so
 *    no authenticated notice is possible; it sends a plaintext terminate on
 *    the session thread to the negotiated full JID.
 *  - The sender accepts that plaintext terminate even from a peer of this
 *    plugin (whose normal terminate is encrypted, R18), but only when it
 *    names the session's thread and comes from the negotiated full JID
 *    (from_peer), and it does not read it as "the contact ended the
 *    session": the session ends with ESESS_ERR_PEER_UNREADABLE (the contact
 *    could not read the last messages; someone on the path may also have
 *    sent it) and the chat stays ENDED, so nothing the user types goes out
 *    until they choose (/esession start or end).  Ending a session is all a
 *    forger gains, which the server on the path can do anyway by dropping
 *    stanzas; a terminate for another thread or from another JID is still
 *    ignored (SECURITY 51).
 *  - A stanza with content (a <body>) that arrives on a thread the receiver
 *    has ended is never shown (SECURITY 50) and is reported to the adapter
 *    (ESESS_ERR_SESSION_ENDED) so the user is told a message was discarded;
 *    the first such stanza is answered with one more plaintext terminate,
 *    in case the first was lost, so the sender learns too.
 */
#include "config.h"

#include <string.h>

#include "esess-bytes.h"
#include "esess-chat-private.h"
#include "esess-negotiate.h"
#include "esess-quirks.h"
#include "esess-store-private.h"

static const guint default_groups[] = { 15, 14, 16 }; /* R12 */

/* the longest outgoing stanza text parsed to measure it (above: refused) */
#define ESESS_SEND_MAX_INPUT (16u * 1024u * 1024u)

/* ---- creating ----------------------------------------------------------- */

/* Chats in 384-byte slots (ESESS_CHAT_SLOT) of 64-byte aligned chunks
 * (esess-mem.h): the lines every message reads of a thousand chats then
 * share a few pages (issue 11 item 1; struct _EsessChat). */
G_STATIC_ASSERT(sizeof(struct _EsessChat) <= ESESS_CHAT_SLOT);
G_STATIC_ASSERT(G_STRUCT_OFFSET(struct _EsessChat, peer_buf) +
		ESESS_CHAT_PEER_INLINE <= 192);
G_STATIC_ASSERT(ESESS_CHAT_SLOT <= ESESS_SLAB_TAGGED_MAX_SLOT);
/* each slot's tag is its session (esess_chat_set_session) */
static EsessSlab chat_slab = ESESS_SLAB_INIT_TAGGED(ESESS_CHAT_SLOT);

void
esess_chat_set_session(EsessChat *chat, EsessSession *s)
{
	chat->session = s;
	*esess_slab_tag(chat, ESESS_CHAT_SLOT) = s;
}

/* Asks for the lines a message reads of chat and of its session all at once:
 * the session's address comes from the slot's tag, not from the chat's first
 * line, so that a cold session's misses (one among a thousand, issue 11 item
 * 1) no longer wait for the chat's.  Only prefetches: a wrong address would
 * cost time, never a wrong result. */
static inline void
chat_prefetch_hot(const EsessChat *chat, gboolean sending)
{
	esess_session_prefetch(*esess_slab_tag(chat, ESESS_CHAT_SLOT), sending);
#if defined(__GNUC__)
	__builtin_prefetch(chat);
	if (!sending) {
		/* receive compares the thread and the peer's JID (lines 0-2) */
		__builtin_prefetch((const char *)chat + 64);
		__builtin_prefetch((const char *)chat + 128);
	}
#endif
}

void
esess_chat_prefetch(const EsessChat *chat, gboolean sending)
{
	if (chat != NULL)
		chat_prefetch_hot(chat, sending);
}

/* Sets *field to a copy of value: in buf (size bytes) when it fits, else in
 * a block of its own; a previous value of its own block is freed. */
static void
chat_set_id(char **field, char *buf, size_t size, const char *value)
{
	size_t len = strlen(value);

	if (*field != buf)
		esess_str_free_wiped(*field);
	if (len < size) {
		memcpy(buf, value, len + 1);
		*field = buf;
	} else {
		*field = g_strdup(value);
	}
}

static void
chat_set_peer(EsessChat *chat, const char *peer)
{
	chat_set_id(&chat->peer, chat->peer_buf, sizeof(chat->peer_buf), peer);
}

static void
chat_set_thread(EsessChat *chat, const char *thread)
{
	chat_set_id(&chat->thread, chat->thread_buf, sizeof(chat->thread_buf), thread);
}

/* Frees *field if it is not the inline buf (that one is wiped with the
 * slot). */
static void
chat_id_free(char *field, const char *buf)
{
	if (field != buf)
		esess_str_free_wiped(field);
}

static EsessStatus
chat_new(const EsessChatConfig *cfg, const char *peer, gboolean initiator, EsessChat **out)
{
	EsessChat *chat;
	EsessStatus r;

	*out = NULL;
	chat = esess_slab_alloc(&chat_slab); /* zero-filled */
	chat->peer_bare = esess_chat_bare(peer);
	r = esess_limiter_admit(cfg->limiter, chat->peer_bare);
	if (r != ESESS_OK) {
		esess_str_free_wiped(chat->peer_bare);
		esess_slab_free(&chat_slab, chat);
		return r;
	}
	chat->limiter = cfg->limiter;
	chat->counted = cfg->limiter != NULL;
	chat->state = ESESS_CHAT_NEGOTIATING;
	chat->initiator = initiator;
	chat->account = g_strdup(cfg->account);
	chat->own_jid = g_strdup(cfg->own_jid);
	chat_set_peer(chat, peer);
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
	nc->fixed = cfg->fixed_for_test;
	nc->idkey = cfg->idkey;    /* INTEROP R21: the negotiation takes a reference */
	nc->policy.pubkey_hash_first = cfg->pubkey_hash_first;
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
	if (cfg->fixed_for_test != NULL && cfg->fixed_for_test->thread != NULL)
		chat_set_thread(chat, cfg->fixed_for_test->thread);
	else {
		char *t = esess_chat_new_thread(); /* fresh per negotiation (R1) */

		chat_set_thread(chat, t);
		g_free(t);
	}
	neg_config(cfg, chat, &nc);
	r = esess_neg_initiate(&nc, &chat->neg, &o);
	if (r != ESESS_OK) {
		esess_neg_out_clear(&o);
		esess_chat_free(chat);
		return r;
	}
	esess_chat_send_neg(chat, step, &o);
	esess_step_event(step, ESESS_EV_NEGOTIATING, ESESS_OK, FALSE);
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
		esess_step_event(step, ESESS_EV_FAILED, r, FALSE);
		return r;
	}
	chat_set_thread(chat, request->thread); /* mirrored (XEP-0155) */
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
		g_strlcpy(step->field, o.field, sizeof step->field);
		esess_chat_send_neg(chat, step, &o);
		esess_chat_free(chat);
		esess_step_event(step, ESESS_EV_FAILED, r, FALSE);
		return r;
	}
	esess_chat_send_neg(chat, step, &o);
	esess_step_event(step, ESESS_EV_NEGOTIATING, ESESS_OK, FALSE);
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
	esess_chat_send_node(step, m);
	esess_xml_free(m);
	esess_step_event(step, ESESS_EV_NONE, ESESS_OK, FALSE);
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
	a = esess_chat_bare(ours->own_jid);
	b = esess_chat_bare(peer_request->from);
	if (strcmp(b, ours->peer_bare) != 0) {
		g_free(a);
		g_free(b);
		return FALSE; /* not a crossing request from our peer */
	}
	/* SECURITY 54: the larger JID (bare, then full) gives way, so both
	 * sides agree on exactly one surviving negotiation; normalised, so
	 * that a JID written in other case by one side changes nothing */
	c = strcmp(a, b);
	g_free(a);
	g_free(b);
	if (c == 0) {
		a = esess_jid_normalize(ours->own_jid);
		b = esess_jid_normalize(peer_request->from);
		c = strcmp(a, b);
		g_free(a);
		g_free(b);
	}
	return c > 0;
}

/* ---- receiving ------------------------------------------------------------ */

/* R15, SECURITY 55: the thread, and the JID the request went to (bare match
 * for the first reply, then pinned to the full JID that answered). */
static gboolean
from_peer_ids(const EsessChat *chat, const char *from, const char *thread)
{
	char *b;
	gboolean ok;

	if (from == NULL || thread == NULL || strcmp(thread, chat->thread) != 0)
		return FALSE;
	if (chat->pinned || strchr(chat->peer, '/') != NULL)
		return esess_jid_equal(from, chat->peer);
	b = esess_chat_bare(from);
	ok = strcmp(b, chat->peer_bare) == 0;
	g_free(b);
	return ok;
}

static gboolean
from_peer(const EsessChat *chat, const EsessMsgInfo *msg)
{
	return from_peer_ids(chat, msg->from, msg->thread);
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
		r = esess_chat_encrypt_node(chat, step, m);
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
	esess_chat_set_session(chat, esess_neg_take_session(chat->neg));
	memcpy(chat->sas, res->sas, sizeof chat->sas);
	if (chat->quirks != NULL && chat->quirks->sas_unpadded &&
	    res->sas_alg == ESESS_SAS_ALG_LEGACY)
		esess_sas_format(res->sas_value, FALSE, chat->sas); /* R20 */
	chat->sas_alg = res->sas_alg;
	chat->sas_fallback = res->sas_fallback;
	chat->continuity = res->continuity;
	chat->verified = res->verified;
	chat->logging = res->logging;
	chat->group = res->group;
	chat->cipher = g_strdup(res->cipher);
	chat->since = g_get_real_time();
	chat->new_rs = esess_secret_dup(res->new_rs);
	chat->key_status = res->key_status;
	chat->peer_key = esess_pubkey_copy(res->peer_key);
	/* issue 11 item 3: nothing of the negotiation is needed any more (a
	 * late or duplicate negotiation stanza meets chat->neg == NULL and
	 * gets ESESS_ERR_STATE, as it did from the finished negotiation,
	 * SECURITY 52); its forms, result and secrets go now, not when the
	 * chat is freed */
	esess_neg_free(chat->neg);
	chat->neg = NULL;
	chat->state = ESESS_CHAT_ESTABLISHED;
	esess_chat_release(chat);
	flush_queue(chat, step);
	esess_step_event(step, ESESS_EV_ESTABLISHED, ESESS_OK, FALSE);
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
		chat_set_peer(chat, msg->from);
		chat->pinned = TRUE;
	}
	g_strlcpy(step->field, o.field, sizeof step->field);
	esess_chat_send_neg(chat, step, &o);
	if (r != ESESS_OK) {
		/* We refused message 2, 3 or 4: the engine sent the XEP-0155 /
		 * XEP-0116 error naming the field (R13, DIGEST §12).  Gajim only
		 * displays an error and keeps waiting, or keeps the session it
		 * already holds after sending message 4 (R20), and our own peers
		 * ignore errors once established: the terminate form (R18, in
		 * plaintext: there are no keys to encrypt it) ends it on every
		 * side, so no one waits for an answer that will not come */
		if (r != ESESS_ERR_REJECTED && r != ESESS_ERR_PEER_ERROR)
			esess_chat_send_plain_terminate(chat, step);
		esess_chat_end(chat, step);
		esess_step_event(step, r == ESESS_ERR_REJECTED ? ESESS_EV_REJECTED : ESESS_EV_FAILED, r,
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

/* What may stay beside the decrypted children: R14's unencrypted children
 * (thread, error, amp, hints) and the server's XEP-0203 / XEP-0091 delay. */
static gboolean
outer_child_kept(const EsessXmlNode *ch)
{
	if (esess_chat_kept_outside(ch))
		return TRUE;
	return esess_xml_is(ch, "delay", "urn:xmpp:delay") ||
	       esess_xml_is(ch, "x", "jabber:x:delay");
}

/* The stanza to show: the outer routing untouched (R15), the decrypted
 * children in place of <c/>.  Everything else beside <c/> is outside the
 * MAC: the placeholder <body> (R14) but also whatever a man in the middle
 * added (an XHTML-IM <html/> libpurple would show instead of the body,
 * a <subject/>, an OOB URL), so only R14's unencrypted children stay
 * (SECURITY 44: never show forged content as private). */
static char *
delivered(const EsessXmlNode *outer, EsessXmlNode *payload)
{
	EsessXmlNode *m, *ch, *next;
	char *s;

	m = esess_xml_copy(outer);
	for (ch = m->first_child; ch != NULL; ch = next) {
		next = ch->next;
		if (ch->kind == ESESS_XML_ELEMENT && outer_child_kept(ch))
			continue;
		esess_xml_unlink(ch);
		esess_xml_free(ch);
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

/* The checks before a <c/> is looked at, the same on both ways in:
 * ESESS_OK when the chat has a session to decrypt it with. */
static EsessStatus
encrypted_admit(EsessChat *chat, const char *from, const char *thread, gboolean has_body,
		EsessStep *step)
{
	if (!from_peer_ids(chat, from, thread))
		return ESESS_ERR_WRONG_PEER; /* R15, SECURITY 46 */
	if (chat->session == NULL) {
		/* SECURITY 50: nothing shown, no state leaked; a message the
		 * peer typed on a thread we ended makes it learn (once) that
		 * it is no longer read (issue 10, SECURITY 69) */
		if (chat->state != ESESS_CHAT_ENDED)
			return ESESS_ERR_STATE;
		if (!chat->told_ended && has_body) {
			chat->told_ended = TRUE;
			esess_chat_send_plain_terminate(chat, step);
		}
		return ESESS_ERR_SESSION_ENDED;
	}
	return ESESS_OK;
}

/* What follows the session's verdict r on a <c/>, the same on both ways in.
 * *payload (owned, may be NULL) is taken; ESESS_OK with *show set: the
 * decrypted children to show (caller frees), verified and not a terminate. */
static EsessStatus
encrypted_done(EsessChat *chat, EsessStatus r, EsessXmlNode *payload, EsessStep *step,
	       EsessXmlNode **show)
{
	gboolean ack = FALSE;

	*show = NULL;
	if (r != ESESS_OK) {
		/* R15, R18: the session is over; tell the peer in plaintext */
		gboolean was_ending = chat->ack_pending;

		esess_xml_free(payload);
		if (!was_ending)
			esess_chat_send_plain_terminate(chat, step);
		esess_chat_end(chat, step);
		esess_step_event(step, was_ending ? ESESS_EV_NONE : ESESS_EV_ENDED, r, FALSE);
		return r;
	}
	if (payload != NULL && payload_terminate(payload, &ack)) {
		esess_xml_free(payload);
		if (ack) {
			if (!chat->ack_pending)
				return ESESS_ERR_STATE; /* an ack we never asked for */
			esess_chat_end(chat, step); /* XEP-0116 §Termination: ack verified */
			return ESESS_OK;
		}
		if (chat->ack_pending) {
			esess_chat_end(chat, step); /* both ended at once */
			return ESESS_OK;
		}
		/* XEP-0116 §Termination: an encrypted terminate MUST be
		 * acknowledged, whatever the sender advertised (issue 8): a
		 * peer that sends one waits for the ack.  Only our own
		 * terminate follows R18/R20 (plaintext to Gajim) */
		r = esess_chat_send_enc_terminate(chat, step, TRUE);
		esess_chat_end(chat, step);
		esess_step_event(step, ESESS_EV_ENDED, ESESS_OK, TRUE);
		return r;
	}
	if (payload == NULL)
		return ESESS_OK; /* empty stanza */
	if (chat->ack_pending) {
		/* content the peer sent before it saw our terminate: not
		 * shown, but the adapter says one was discarded */
		esess_xml_free(payload);
		return ESESS_ERR_SESSION_ENDED;
	}
	*show = payload;
	esess_step_event(step, ESESS_EV_MESSAGE, ESESS_OK, FALSE);
	return ESESS_OK;
}

static EsessStatus
on_encrypted(EsessChat *chat, const EsessMsgInfo *msg, EsessStep *step)
{
	const EsessXmlNode *c;
	EsessXmlNode *payload = NULL, *show = NULL;
	EsessStatus r;

	r = encrypted_admit(chat, msg->from, msg->thread,
			    esess_xml_child(msg->stanza, "body", NULL) != NULL, step);
	if (r != ESESS_OK)
		return r;
	c = esess_xml_child(msg->stanza, "c", ESESS_NS_C);
	r = esess_session_decrypt(chat->session, c, &payload, NULL, NULL);
	r = encrypted_done(chat, r, payload, step, &show);
	if (show != NULL) {
		step->deliver = delivered(msg->stanza, show);
		esess_xml_free(show);
	}
	return r;
}

/* Hands n's children (elements and text) to the client's sink in document
 * order. */
static void
walk_payload(const EsessXmlNode *n, const EsessPayloadSink *sink, gpointer data)
{
	const EsessXmlNode *ch;

	for (ch = n->first_child; ch != NULL; ch = ch->next) {
		if (ch->kind == ESESS_XML_TEXT) {
			sink->text(data, ch->text, ch->text_len);
			continue;
		}
		sink->open(data, ch->name, ch->ns, ch->n_attrs,
			   (const EsessPayloadAttr *)(const void *)ch->attrs);
		walk_payload(ch, sink, data);
		sink->close(data);
	}
}

G_STATIC_ASSERT(sizeof(EsessPayloadAttr) == sizeof(EsessXmlAttr));
G_STATIC_ASSERT(G_STRUCT_OFFSET(EsessPayloadAttr, name) == G_STRUCT_OFFSET(EsessXmlAttr, name));
G_STATIC_ASSERT(G_STRUCT_OFFSET(EsessPayloadAttr, ns) == G_STRUCT_OFFSET(EsessXmlAttr, ns));
G_STATIC_ASSERT(G_STRUCT_OFFSET(EsessPayloadAttr, value) == G_STRUCT_OFFSET(EsessXmlAttr, value));

EsessStatus
esess_chat_receive_c(EsessChat *chat, const EsessCIn *in, const EsessPayloadSink *sink,
		     gpointer sink_data, EsessStep *step)
{
	EsessXmlNode *payload = NULL, *show = NULL, *ch;
	EsessSessionIn parts;
	EsessStatus r;

	g_return_val_if_fail(chat != NULL && in != NULL && step != NULL, ESESS_ERR_INVALID_ARG);
	g_return_val_if_fail(sink != NULL && sink->open != NULL && sink->text != NULL &&
			     sink->close != NULL, ESESS_ERR_INVALID_ARG);
	/* one session among a thousand is cold: the chat's lines and its
	 * session's are asked for at once, before either is read (issue 11
	 * item 1) */
	chat_prefetch_hot(chat, FALSE);
	/* meanwhile, what reads only the stanza; its verdict comes after the
	 * chat's checks, as if made after them */
	esess_session_in_decode(&parts, in->data, in->data_len, in->mac, in->mac_len);
	/* the complete way handles everything but an established session */
	if (chat->state != ESESS_CHAT_ESTABLISHED || chat->session == NULL) {
		esess_session_in_clear(&parts);
		return ESESS_ERR_INVALID_ARG;
	}
	r = encrypted_admit(chat, in->from, in->thread, in->has_body, step);
	if (r != ESESS_OK) {
		esess_session_in_clear(&parts);
		return r;
	}
	r = esess_session_decrypt_in(chat->session, &parts, &payload);
	if (r == ESESS_ERR_INVALID_ARG)
		return r; /* not the simple form: nothing changed */
	r = encrypted_done(chat, r, payload, step, &show);
	if (r == ESESS_ERR_INVALID_ARG)
		r = ESESS_ERR_INTERNAL; /* that status says "nothing changed" */
	if (show != NULL) {
		/* verified, decrypted, parsed: only now does the client see it
		 * (SECURITY rule 8); top-level text goes, as in delivered() */
		for (ch = show->first_child; ch != NULL; ch = ch->next) {
			if (ch->kind != ESESS_XML_ELEMENT)
				continue;
			sink->open(sink_data, ch->name, ch->ns, ch->n_attrs,
				   (const EsessPayloadAttr *)(const void *)ch->attrs);
			walk_payload(ch, sink, sink_data);
			sink->close(sink_data);
		}
		esess_xml_free(show);
	}
	return r;
}

gboolean
esess_chat_kept_beside_c(const char *name, const char *ns)
{
	EsessXmlNode n;

	g_return_val_if_fail(name != NULL, FALSE);
	memset(&n, 0, sizeof(n));
	n.kind = ESESS_XML_ELEMENT;
	n.name = (char *)name;
	n.ns = (char *)ns;
	return outer_child_kept(&n);
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
		/* A peer of this plugin ends a session inside <c/> with a MAC
		 * (R18); in plaintext it only says that it could not read our
		 * stanzas (see the top of this file).  from_peer has checked the
		 * thread and the negotiated full JID (SECURITY 51); the session
		 * ends without the words "your contact ended it" */
		if (esess_chat_terminate_encrypted(chat)) {
			if (type == NULL || strcmp(type, "submit") != 0)
				return ESESS_ERR_STATE;
			esess_chat_end(chat, step);
			esess_step_event(step, ESESS_EV_ENDED, ESESS_ERR_PEER_UNREADABLE, TRUE);
			return ESESS_ERR_PEER_UNREADABLE;
		}
		break;
	case ESESS_CHAT_ENDED:
		if (chat->ack_pending)
			esess_chat_end(chat, step);
		return ESESS_ERR_SESSION_ENDED;
	}
	if (type == NULL || strcmp(type, "submit") != 0)
		return ESESS_ERR_STATE;
	esess_chat_end(chat, step);
	esess_step_event(step, ESESS_EV_ENDED, ESESS_OK, TRUE);
	return ESESS_OK;
}

static EsessStatus
on_plain(EsessChat *chat, const EsessMsgInfo *msg, EsessStep *step)
{
	char *b;
	gboolean ours;

	if (msg->from == NULL || chat->state != ESESS_CHAT_ESTABLISHED)
		return ESESS_OK;
	b = esess_chat_bare(msg->from);
	ours = strcmp(b, chat->peer_bare) == 0;
	g_free(b);
	if (!ours)
		return ESESS_ERR_WRONG_PEER;
	step->deliver = esess_xml_to_string(msg->stanza);
	esess_step_event(step, ESESS_EV_PLAINTEXT, ESESS_OK, TRUE);
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
	EsessXmlLimits lim;
	EsessStatus r;

	g_return_val_if_fail(chat != NULL && stanza != NULL && step != NULL, ESESS_ERR_INVALID_ARG);
	/* our own text: the receiver's depth and count limits (so it is never
	 * refused there), but no size limit below the payload's own, so that
	 * a long message is refused for its size (SECURITY 70) */
	lim = esess_xml_default_limits;
	lim.max_bytes = ESESS_SEND_MAX_INPUT;
	lim.max_text = ESESS_SEND_MAX_INPUT;
	if (len > lim.max_bytes) {
		step->size = len;
		return ESESS_ERR_TOO_LARGE;
	}
	r = esess_xml_parse(stanza, len, &lim, &m);
	if (r != ESESS_OK)
		return r;
	if (chat->state == ESESS_CHAT_NEGOTIATING) {
		/* refused now, not when the queue is flushed (once
		 * established, esess_chat_encrypt_node checks) */
		GString *payload = esess_chat_payload(m);
		size_t n = payload->len;

		esess_gstring_free_wiped(payload);
		if (n > esess_chat_max_payload()) {
			step->size = n;
			esess_xml_free(m);
			return ESESS_ERR_TOO_LARGE;
		}
	}
	switch (chat->state) {
	case ESESS_CHAT_NEGOTIATING:
		/* R16: bodies wait for the session; nothing goes out in clear */
		body = esess_xml_child(m, "body", NULL);
		if (body != NULL) {
			g_ptr_array_add(chat->queue, esess_xml_text(body));
			esess_step_event(step, ESESS_EV_QUEUED, ESESS_OK, FALSE);
		}
		break;
	case ESESS_CHAT_ESTABLISHED:
		r = esess_chat_encrypt_node(chat, step, m);
		break;
	case ESESS_CHAT_ENDED:
		r = ESESS_ERR_SESSION_ENDED;
		break;
	}
	esess_xml_free(m);
	return r;
}

void
esess_c_child_free(gpointer child)
{
	EsessCChild *ch = child;

	if (ch == NULL)
		return;
	g_free(ch->text);
	g_free(ch);
}

void
esess_c_out_clear(EsessCOut *out)
{
	if (out == NULL)
		return;
	if (out->children != NULL)
		g_ptr_array_unref(out->children);
	memset(out, 0, sizeof(*out));
}

EsessStatus
esess_chat_encrypt_c(EsessChat *chat, const char *children, size_t len, EsessCOut *out,
		     EsessStep *step)
{
	EsessXmlNode *m = NULL;
	EsessXmlLimits lim;
	GString *payload;
	GPtrArray *parts;
	EsessStatus r;

	g_return_val_if_fail(out != NULL, ESESS_ERR_INVALID_ARG);
	memset(out, 0, sizeof(*out));
	g_return_val_if_fail(chat != NULL && step != NULL && (children != NULL || len == 0),
			     ESESS_ERR_INVALID_ARG);
	/* the chat's and the session's lines come in together, while the
	 * payload is parsed (issue 11 item 1: one session among a thousand
	 * is cold) */
	chat_prefetch_hot(chat, TRUE);
	/* the complete way refuses for size */
	if (len > ESESS_SESSION_PARTS_MAX)
		return ESESS_ERR_INVALID_ARG;
	/* as esess_chat_encrypt: the receiver's depth and count limits.  The
	 * payload is parsed before the chat is read, so that the lines asked
	 * for above come in meanwhile */
	lim = esess_xml_default_limits;
	lim.max_bytes = ESESS_SEND_MAX_INPUT;
	lim.max_text = ESESS_SEND_MAX_INPUT;
	if (esess_xml_parse_fragment(children != NULL ? children : "", len, ESESS_NS_CLIENT, &lim,
				     &m) != ESESS_OK)
		return ESESS_ERR_INVALID_ARG;
	payload = esess_chat_payload(m);
	esess_xml_free(m);
	/* the complete way queues, refuses for size and reports the rest */
	if (chat->state != ESESS_CHAT_ESTABLISHED || chat->session == NULL ||
	    payload->len > esess_chat_max_payload()) {
		esess_gstring_free_wiped(payload);
		return ESESS_ERR_INVALID_ARG;
	}
	parts = g_ptr_array_new_with_free_func(esess_c_child_free);
	r = esess_session_encrypt_parts(chat->session, payload->str, payload->len, parts);
	esess_gstring_free_wiped(payload);
	if (r != ESESS_OK) {
		g_ptr_array_unref(parts);
		return r == ESESS_ERR_INVALID_ARG ? ESESS_ERR_INTERNAL : r;
	}
	out->to = chat->peer;
	out->thread = chat->thread;
	out->body = chat->placeholder;
	out->no_store = esess_chat_mustnot(chat);
	out->children = parts;
	return ESESS_OK;
}

gboolean
esess_chat_outside_c(const char *name, const char *ns)
{
	EsessXmlNode n;

	g_return_val_if_fail(name != NULL, FALSE);
	memset(&n, 0, sizeof(n));
	n.kind = ESESS_XML_ELEMENT;
	n.name = (char *)name;
	n.ns = (char *)ns;
	return esess_chat_kept_outside(&n);
}

EsessStatus
esess_chat_terminate(EsessChat *chat, EsessStep *step)
{
	EsessStatus r = ESESS_OK;

	g_return_val_if_fail(chat != NULL && step != NULL, ESESS_ERR_INVALID_ARG);
	switch (chat->state) {
	case ESESS_CHAT_NEGOTIATING:
		esess_chat_send_plain_terminate(chat, step);
		esess_chat_end(chat, step);
		break;
	case ESESS_CHAT_ESTABLISHED:
		if (esess_chat_terminate_encrypted(chat)) {
			/* R18: inside <c/>, then wait for the encrypted ack */
			r = esess_chat_send_enc_terminate(chat, step, FALSE);
			if (r == ESESS_OK) {
				chat->state = ESESS_CHAT_ENDED;
				chat->ack_pending = TRUE;
				esess_chat_unsent(chat, step);
				esess_step_event(step, ESESS_EV_ENDED, ESESS_OK, FALSE);
				return ESESS_OK;
			}
		}
		esess_chat_send_plain_terminate(chat, step);
		esess_chat_end(chat, step);
		r = ESESS_OK;
		break;
	case ESESS_CHAT_ENDED:
		return ESESS_OK; /* idempotent */
	}
	esess_step_event(step, ESESS_EV_ENDED, ESESS_OK, FALSE);
	return r;
}

void
esess_chat_abort(EsessChat *chat, EsessStatus reason, EsessStep *step)
{
	EsessChatState was;

	g_return_if_fail(chat != NULL && step != NULL);
	was = chat->state;
	esess_chat_end(chat, step);
	switch (was) {
	case ESESS_CHAT_NEGOTIATING:
		esess_step_event(step, ESESS_EV_FAILED, reason, FALSE);
		break;
	case ESESS_CHAT_ESTABLISHED:
		esess_step_event(step, ESESS_EV_ENDED, reason, FALSE);
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
		/* INTEROP R21: the SAS also verifies the key that signed this
		 * session; for a CHANGED key this is the user's explicit
		 * acceptance of the new one, never an automatic one */
		if (r == ESESS_OK && chat->store != NULL && chat->peer_key != NULL)
			r = esess_store_key_set(chat->store, chat->account, chat->peer_bare,
						chat->peer_key, TRUE);
		if (r == ESESS_OK) {
			chat->verified = TRUE;
			if (chat->peer_key != NULL)
				chat->key_status = ESESS_PEER_KEY_VERIFIED;
		}
		return r;
	}
	/* SECURITY 31: end now, keep no retained secret from this session */
	if (chat->store != NULL && chat->new_rs != NULL)
		r = esess_store_remove(chat->store, chat->account, chat->peer_bare, chat->new_rs);
	/* ... nor the key it brought first (INTEROP R21): it may be the man in
	 * the middle's, and holding it would make the real one look CHANGED */
	if (chat->store != NULL && chat->key_status == ESESS_PEER_KEY_NEW) {
		EsessStatus k = esess_store_key_forget(chat->store, chat->account,
							chat->peer_bare);

		if (r == ESESS_OK)
			r = k;
	}
	esess_secret_free(chat->new_rs);
	chat->new_rs = NULL;
	if (chat->state == ESESS_CHAT_ESTABLISHED) {
		EsessStatus t = esess_chat_terminate(chat, step);

		(void)t; /* ending anyway: esess_chat_end below */
	}
	esess_chat_end(chat, step);
	esess_step_event(step, ESESS_EV_ENDED, ESESS_ERR_SAS_MISMATCH, FALSE);
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

gboolean
esess_chat_sas_committed(const EsessChat *chat)
{
	return chat->sas_alg == ESESS_SAS_ALG_COMMITTED;
}

gboolean
esess_chat_sas_fallback(const EsessChat *chat)
{
	return chat->sas_fallback;
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

EsessPeerKeyStatus
esess_chat_peer_key_status(const EsessChat *chat)
{
	return chat->key_status;
}

const EsessPubKey *
esess_chat_peer_key(const EsessChat *chat)
{
	return chat->peer_key;
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
	esess_chat_release(chat);
	for (i = 0; i < chat->queue->len; i++) {
		char *b = g_ptr_array_index(chat->queue, i);

		esess_free_wiped(b, strlen(b));
	}
	g_ptr_array_unref(chat->queue);
	esess_secret_free(chat->new_rs);
	esess_pubkey_free(chat->peer_key);
	/* whom the user talked to: wiped, not only freed */
	esess_str_free_wiped(chat->account);
	esess_str_free_wiped(chat->own_jid);
	chat_id_free(chat->peer, chat->peer_buf);
	esess_str_free_wiped(chat->peer_bare);
	chat_id_free(chat->thread, chat->thread_buf);
	g_free(chat->placeholder);
	g_free(chat->cipher);
	esess_slab_free(&chat_slab, chat); /* wiped */
}
