/*
 * esess-session.c - an established XEP-0200 session: stanza encryption with
 * AES-CTR and HMAC-SHA-256 (INTEROP R4-R6, R14), re-keying (DIGEST §7.5 with
 * its [INTERP] state model), publication of old MAC keys (§7.6), and the
 * fail-closed rule: any decryption failure ends the session and wipes every
 * key (SECURITY items 34-45, 49; INTEROP R15/R18).
 *
 *   encrypt:  pad(m, 16, ' ') --AES-CTR(KC_own, C_own)--> data
 *             m_content = <data>B64</data>[<key/>][<new/>][<old/>...]
 *             mac = HMAC(KM_own, m_content || C16_before)           R6
 *             => <c xmlns='...xep-0200.html#ns'>m_content<mac/></c>
 *
 *   decrypt:  structure (children once each, old repeated, mac required)
 *             -> size cap and strict base64 of data, mac (exactly 32), key
 *             -> <new/> selects the receive set
 *             -> MAC over R7(children but mac) || C16 or || MPI(C), in
 *                constant time                                        R6
 *             -> <key/> validated (1 < e < p-1)
 *             -> AES-CTR decrypt, strip trailing spaces, UTF-8, parse as
 *                children of <payload xmlns='jabber:client'/>        R14
 *             -> only now: state changes (old sets dropped, re-key applied)
 *
 *   Re-key state (DIGEST §7.5 [INTERP]):
 *     own sending keys: one copy (own_ctr key, own_hmac/own_km);
 *     receive sets, oldest first: {peer KC, peer KM, own DH private};
 *     peer's latest public value;
 *     new_count: <key/> stanzas received since we last sent (<new>N</new>).
 *   The counters run on across re-keys (R5); each key's block count starts
 *   at zero (XEP-0200 §Maximum Key Life).
 *
 * Checks that belong to the caller (SECURITY 45 outer part, 46, 47, 48: the
 * stanza has exactly one <c/> as an immediate child in the exact namespace,
 * from the negotiated full JID, in the session thread, not a groupchat, not a
 * forwarded copy) are made by the negotiation engine's esess_msg_inspect
 * before a <c/> reaches esess_session_decrypt.
 */
#include "config.h"

#include <string.h>

#include "esess-bytes.h"
#include "esess-modp.h"
#include "esess-session.h"

#define ESESS_SESSION_KEY_LEN 32
/* the largest payload a <data/> of ESESS_MAX_DATA_B64 characters can hold */
#define ESESS_SESSION_MAX_PLAIN (ESESS_MAX_DATA_B64 / 4u * 3u)
/* ask for a re-key this many blocks before the 2^32-block key life ends */
#define ESESS_SESSION_REKEY_MARGIN G_GUINT64_CONSTANT(0x1000000)
/* padded plaintext up to this size is encrypted in a stack buffer */
#define SESSION_STACK_PLAIN 1024u
/* at most this many unacknowledged re-keys of ours (receive sets) */
#define ESESS_SESSION_MAX_SETS 8u

typedef struct {
	EsessSecret *kc;  /* the peer's cipher key for this set */
	EsessHmac *hmac;  /* keyed with the peer's MAC key */
	EsessSecret *km;  /* the same MAC key, kept for <old/> (§7.6) */
	EsessDhKey *dh;   /* our DH private for this set (NULL: re-key disabled) */
} EsessRecvSet;

struct _EsessSession {
	/* what every message reads or writes first: the first two cache lines
	 * of a slot of a dense slab, the keys of both directions in the next
	 * three (issue 11 item 1; session_slab below) */
	EsessCtr *own_ctr;      /* in own_ctr_mem while the session lives */
	EsessHmac *own_hmac;    /* in own_hmac_mem */
	EsessCtr *peer_ctr;     /* in peer_ctr_mem; keyed with cur_set's kc */
	/* a copy of sets[0]'s MAC key (in hmac0_mem), and whether cur_set is
	 * sets[0]: an ordinary stanza (no <new/>) is checked without reading
	 * the sets, which lie elsewhere (session_sets_sync) */
	EsessHmac *hmac0;
	gboolean cur_first;
	gboolean ended;
	guint new_count;
	EsessDhKey *pending_dh; /* our next <key/>, set by esess_session_rekey */
	GPtrArray *publish;     /* MAC keys to put in <old/> (EsessSecret *); NULL: none */
	guint64 sent;
	guint64 received;
	guint64 since_rekey;    /* stanzas exchanged since the last key exchange */
	/* the peer's re-keys (issue 9 item 8): its stanzas since its last
	 * <key/>, ours in all, and how many of ours its re-keys have needed */
	guint64 peer_since_key;
	guint64 own_plain_sent;
	guint64 own_needed;
	GPtrArray *sets; /* EsessRecvSet *, oldest first */
	EsessRecvSet *cur_set;
	guint8 own_ctr_mem[ESESS_CTR_SIZE];
	guint8 own_hmac_mem[ESESS_HMAC_SIZE];
	guint8 peer_ctr_mem[ESESS_CTR_SIZE];
	guint8 hmac0_mem[ESESS_HMAC_SIZE]; /* hmac0: sets[0]'s MAC key, copied */
	/* the rest is read on re-keys and at the end */
	EsessSecret *own_km;
	/* counters saved when the keys are wiped at the end */
	guint8 own_counter[ESESS_COUNTER_LEN];
	guint8 peer_counter[ESESS_COUNTER_LEN];
	guint group;
	guint8 *peer_public;
	size_t peer_public_len;
	guint64 rekey_freq;
	EsessSecret *pending_keys; /* KC_A | KC_B | KM_A | KM_B from pending_dh */
	GPtrArray *old_own_km;  /* our replaced MAC keys, not yet publishable; NULL: none */
};

/* Sessions sit in slots of a dense secure slab (they hold keys) rather than
 * each in heap blocks of its own between colder data: the per-message
 * fields and keys of a thousand sessions then share a few hundred KB and
 * lie next to each other, so that a message misses one place in cache, not
 * five (issue 11 item 1). */
#define ESESS_SESSION_SLOT 512u
G_STATIC_ASSERT(sizeof(struct _EsessSession) <= ESESS_SESSION_SLOT);
G_STATIC_ASSERT(G_STRUCT_OFFSET(struct _EsessSession, own_ctr_mem) == 128);
static EsessSlab session_slab = ESESS_SLAB_INIT(ESESS_SESSION_SLOT, TRUE);

static void
session_recv_set_free(gpointer p)
{
	EsessRecvSet *rs = p;

	if (rs == NULL)
		return;
	esess_secret_free(rs->kc);
	esess_secret_free(rs->km);
	esess_hmac_free(rs->hmac);
	esess_dh_key_free(rs->dh);
	g_free(rs);
}

static EsessStatus
session_recv_set_new(const EsessSecret *kc, const EsessSecret *km, EsessDhKey *dh,
		     EsessRecvSet **out)
{
	EsessRecvSet *rs = g_new0(EsessRecvSet, 1);
	EsessStatus r;

	*out = NULL;
	rs->dh = dh;
	rs->kc = esess_secret_dup(kc);
	rs->km = esess_secret_dup(km);
	r = esess_hmac_new(km->data, km->len, &rs->hmac);
	if (r != ESESS_OK) {
		session_recv_set_free(rs);
		return r;
	}
	*out = rs;
	return ESESS_OK;
}

/* Asks for the slot's cache lines that a message reads (the first two, and
 * the keys of one direction) all at once, before any is needed: when the
 * session is cold (a thousand sessions, round robin) each would otherwise be
 * a miss of its own, taken one after the other (issue 11 item 1). */
static inline void
session_prefetch(const EsessSession *s, gboolean own)
{
#if defined(__GNUC__)
	const char *p = (const char *)s;

	__builtin_prefetch(p);
	__builtin_prefetch(p + 64);
	__builtin_prefetch(own ? s->own_ctr_mem : s->peer_ctr_mem);
	__builtin_prefetch(own ? s->own_hmac_mem : s->hmac0_mem);
#else
	(void)s;
	(void)own;
#endif
}

void
esess_session_prefetch(const EsessSession *s, gboolean sending)
{
	if (s != NULL)
		session_prefetch(s, sending);
}

/* Keeps hmac0 and cur_first in step with sets and cur_set: called after
 * every change to either. */
static void
session_sets_sync(EsessSession *s)
{
	EsessRecvSet *first = s->sets != NULL && s->sets->len > 0 ?
				      g_ptr_array_index(s->sets, 0) : NULL;

	if (first != NULL && first->km != NULL) {
		if (s->hmac0 == NULL) {
			/* cannot fail: the shared hash handle is open (the set's
			 * own HMAC was made) */
			if (esess_hmac_init(s->hmac0_mem, first->km->data, first->km->len,
					    &s->hmac0) != ESESS_OK)
				s->hmac0 = NULL;
		} else {
			esess_hmac_set_key(s->hmac0, first->km->data, first->km->len);
		}
	} else if (s->hmac0 != NULL) {
		esess_hmac_clear(s->hmac0);
		s->hmac0 = NULL;
	}
	s->cur_first = s->hmac0 != NULL && s->cur_set == first;
}

/* Appends k to *arr, made when first needed (most sessions never re-key). */
static void
session_keys_add(GPtrArray **arr, EsessSecret *k)
{
	if (*arr == NULL)
		*arr = g_ptr_array_new_with_free_func((GDestroyNotify)esess_secret_free);
	g_ptr_array_add(*arr, k);
}

/* Frees *arr and its keys (wiped). */
static void
session_keys_clear(GPtrArray **arr)
{
	if (*arr != NULL)
		g_ptr_array_unref(*arr);
	*arr = NULL;
}

static gboolean
session_key_ok(const EsessSecret *k)
{
	return k != NULL && k->data != NULL && k->len == ESESS_SESSION_KEY_LEN;
}

EsessStatus
esess_session_new(const EsessSessionParams *params, EsessSession **out)
{
	EsessSession *s = NULL;
	EsessRecvSet *rs = NULL;
	EsessDhKey *dh;
	EsessStatus r;

	g_return_val_if_fail(out != NULL, ESESS_ERR_INVALID_ARG);
	*out = NULL;
	g_return_val_if_fail(params != NULL, ESESS_ERR_INVALID_ARG);
	/* ownership of the key pair is ours from here, on failure too */
	dh = params->own_dh;
	r = esess_crypto_init();
	if (r != ESESS_OK)
		goto out;
	/* INTEROP R3/R4: every key is the full 32-byte HMAC output */
	if (!session_key_ok(params->own_cipher_key) || !session_key_ok(params->own_mac_key) ||
	    !session_key_ok(params->peer_cipher_key) || !session_key_ok(params->peer_mac_key)) {
		r = ESESS_ERR_INVALID_ARG;
		goto out;
	}
	if (dh != NULL) {
		if (esess_dh_key_group(dh) != params->group || params->peer_public == NULL ||
		    esess_dh_check_public(params->group, params->peer_public,
					  params->peer_public_len) != ESESS_OK) {
			r = ESESS_ERR_INVALID_ARG;
			goto out;
		}
	}
	s = esess_slab_alloc(&session_slab);
	s->sets = g_ptr_array_new_with_free_func(session_recv_set_free);
	s->group = params->group;
	s->rekey_freq = params->rekey_freq;
	if (dh != NULL) {
		s->peer_public = g_memdup2(params->peer_public, params->peer_public_len);
		s->peer_public_len = params->peer_public_len;
	}
	r = esess_ctr_init(s->own_ctr_mem, params->own_cipher_key->data,
			   params->own_cipher_key->len, params->own_counter, &s->own_ctr);
	if (r != ESESS_OK)
		goto out;
	r = esess_ctr_init(s->peer_ctr_mem, params->peer_cipher_key->data,
			   params->peer_cipher_key->len, params->peer_counter, &s->peer_ctr);
	if (r != ESESS_OK)
		goto out;
	r = esess_hmac_init(s->own_hmac_mem, params->own_mac_key->data,
			    params->own_mac_key->len, &s->own_hmac);
	if (r != ESESS_OK)
		goto out;
	s->own_km = esess_secret_dup(params->own_mac_key);
	r = session_recv_set_new(params->peer_cipher_key, params->peer_mac_key, dh, &rs);
	dh = NULL; /* now owned by the set (or freed with it) */
	if (r != ESESS_OK)
		goto out;
	g_ptr_array_add(s->sets, rs);
	s->cur_set = rs;
	session_sets_sync(s);
	*out = s;
	s = NULL;
out:
	esess_dh_key_free(dh);
	esess_session_free(s);
	return r;
}

/* ---- helpers ------------------------------------------------------------ */

static void
session_save_counters(EsessSession *s)
{
	if (s->own_ctr != NULL)
		esess_ctr_get_counter(s->own_ctr, s->own_counter);
	if (s->peer_ctr != NULL)
		esess_ctr_get_counter(s->peer_ctr, s->peer_counter);
}

/* HMAC(km, content || counter) for the 16-byte or MPI form of the counter. */
static EsessStatus
session_mac(EsessHmac *h, const char *content, size_t content_len,
	    const guint8 c16[ESESS_COUNTER_LEN], gboolean mpi, guint8 out[ESESS_HMAC_LEN])
{
	size_t skip = mpi ? esess_mpi_strip(c16, ESESS_COUNTER_LEN) : 0;

	esess_hmac_update(h, content, content_len);
	esess_hmac_update(h, c16 + skip, ESESS_COUNTER_LEN - skip);
	return esess_hmac_final(h, out);
}

/* The four re-key keys from K = MPI(shared) used directly as the HMAC key
 * (DIGEST §6 #20 [INTERP]), in the order KC_A, KC_B, KM_A, KM_B ("A" is the
 * re-key initiator), 32 bytes each, in one secret. */
static EsessStatus
session_rekey_derive(const EsessSecret *k, EsessSecret **keys)
{
	static const char *const labels[4] = {
		"Rekey Initiator Crypt", "Rekey Acceptor Crypt",
		"Rekey Initiator MAC", "Rekey Acceptor MAC"
	};
	EsessSecret *ks = esess_secret_new(4 * ESESS_SESSION_KEY_LEN);
	EsessStatus r = ESESS_OK;
	guint i;

	*keys = NULL;
	for (i = 0; i < 4; i++) {
		r = esess_hmac_sha256(k->data, k->len, labels[i], strlen(labels[i]),
				      ks->data + i * ESESS_SESSION_KEY_LEN);
		if (r != ESESS_OK) {
			esess_secret_free(ks);
			return r;
		}
	}
	*keys = ks;
	return ESESS_OK;
}

#define KEY_KC_A(ks) ((ks)->data + 0 * ESESS_SESSION_KEY_LEN)
#define KEY_KC_B(ks) ((ks)->data + 1 * ESESS_SESSION_KEY_LEN)
#define KEY_KM_A(ks) ((ks)->data + 2 * ESESS_SESSION_KEY_LEN)
#define KEY_KM_B(ks) ((ks)->data + 3 * ESESS_SESSION_KEY_LEN)

static void
session_cancel_pending_rekey(EsessSession *s)
{
	esess_dh_key_free(s->pending_dh);
	s->pending_dh = NULL;
	esess_secret_free(s->pending_keys);
	s->pending_keys = NULL;
}

/* ---- encrypting --------------------------------------------------------- */

/* A child of m_content as it was written: name and the span of its text. */
typedef struct {
	const char *name;
	gsize start;
	gsize len;
} SessionSpan;

#define SESSION_SPAN_OPEN(content, spans, nm) do { \
		SessionSpan sp_ = { nm, 0, 0 }; \
		g_string_append(content, "<" nm ">"); \
		sp_.start = (content)->len; \
		if ((spans) != NULL) \
			g_array_append_val(spans, sp_); \
	} while (0)
#define SESSION_SPAN_CLOSE(content, spans, nm) do { \
		if ((spans) != NULL) { \
			SessionSpan *sp_ = &g_array_index(spans, SessionSpan, \
							  (spans)->len - 1); \
			sp_->len = (content)->len - sp_->start; \
		} \
		g_string_append(content, "</" nm ">"); \
	} while (0)

/* Encrypts into out (the <c/> text) or, when parts is not NULL, into its
 * children (EsessCChild *, in order). */
static EsessStatus
session_encrypt(EsessSession *s, const char *payload, size_t len, GString *out, GPtrArray *parts)
{
	guint8 c16[ESESS_COUNTER_LEN];
	guint8 mac[ESESS_HMAC_LEN];
	/* the padded plaintext of an ordinary message fits here: no heap
	 * block per message (issue 11 item 1); wiped like the heap one */
	guint8 stack_buf[SESSION_STACK_PLAIN];
	guint8 *buf = NULL;
	size_t padded = 0;
	size_t start = out != NULL ? out->len : 0, cstart;
	GString *content = NULL, *scratch = NULL;
	EsessRecvSet *rs = NULL;
	EsessSecret *kc_b = NULL, *km_b = NULL;
	gboolean send_key, send_old;
	GArray *spans = NULL; /* only when the children are wanted apart */
	EsessStatus r;
	guint i;

	g_return_val_if_fail(s != NULL && (out != NULL || parts != NULL), ESESS_ERR_INVALID_ARG);
	g_return_val_if_fail(payload != NULL || len == 0, ESESS_ERR_INVALID_ARG);
	session_prefetch(s, TRUE);
	/* INTEROP R14: pad with spaces to whole blocks, never a partial block */
	if (len > ESESS_SESSION_MAX_PLAIN)
		return ESESS_ERR_TOO_LARGE;
	padded = (len + ESESS_AES_BLOCK - 1) / ESESS_AES_BLOCK * ESESS_AES_BLOCK;
	if (padded > ESESS_SESSION_MAX_PLAIN)
		return ESESS_ERR_TOO_LARGE;
	/* the padded plaintext is made before the session is first read, so
	 * that this work overlaps the wait for its cache lines */
	if (len > 0) {
		buf = padded <= sizeof(stack_buf) ? stack_buf : g_malloc(padded);
		memcpy(buf, payload, len);
		memset(buf + len, ' ', padded - len);
	}
	if (s->ended) {
		r = ESESS_ERR_SESSION_ENDED;
		goto out;
	}
	send_key = s->pending_dh != NULL;
	/* §7.6: old MAC keys ride only on a stanza with content */
	send_old = len > 0 && s->publish != NULL && s->publish->len > 0;

	if (send_key) {
		/* everything that can fail is prepared before the counter moves */
		kc_b = esess_secret_new_from(KEY_KC_B(s->pending_keys), ESESS_SESSION_KEY_LEN);
		km_b = esess_secret_new_from(KEY_KM_B(s->pending_keys), ESESS_SESSION_KEY_LEN);
		r = session_recv_set_new(kc_b, km_b, NULL, &rs);
		if (r != ESESS_OK)
			goto out;
	}

	/* INTEROP R6: C before encryption */
	esess_ctr_get_counter(s->own_ctr, c16);
	if (len > 0) {
		r = esess_ctr_crypt(s->own_ctr, buf, buf, padded);
	} else {
		/* XEP-0200 §Encrypting: no content, the counter still moves */
		r = esess_ctr_step(s->own_ctr, 1);
	}
	if (r != ESESS_OK)
		goto out;

	/* m_content: written straight into out after the <c> start tag (no
	 * copy per message, issue 11 item 1; cut back on failure), or into a
	 * scratch string when the children are wanted apart */
	if (out != NULL) {
		g_string_append(out, "<c xmlns='" ESESS_NS_C "'>");
		content = out;
	} else {
		content = scratch = g_string_sized_new(padded / 3 * 4 + 256);
		spans = g_array_sized_new(FALSE, FALSE, sizeof(SessionSpan), 4);
	}
	cstart = content->len;
	if (len > 0) {
		SESSION_SPAN_OPEN(content, spans, "data");
		esess_base64_append(content, buf, padded);
		SESSION_SPAN_CLOSE(content, spans, "data");
	}
	if (send_key) {
		size_t pub_len;
		const guint8 *pub = esess_dh_key_public(s->pending_dh, &pub_len);

		SESSION_SPAN_OPEN(content, spans, "key");
		esess_base64_append(content, pub, pub_len);
		SESSION_SPAN_CLOSE(content, spans, "key");
	}
	if (s->new_count > 0) {
		SESSION_SPAN_OPEN(content, spans, "new");
		g_string_append_printf(content, "%u", s->new_count);
		SESSION_SPAN_CLOSE(content, spans, "new");
	}
	if (send_old) {
		for (i = 0; i < s->publish->len; i++) {
			const EsessSecret *k = g_ptr_array_index(s->publish, i);

			SESSION_SPAN_OPEN(content, spans, "old");
			esess_base64_append(content, k->data, k->len);
			SESSION_SPAN_CLOSE(content, spans, "old");
		}
	}
	/* INTEROP R6: mac = HMAC(KM, m_content || C16).  What we write is
	 * already in R7 form, so the receiver's normalisation gives these very
	 * bytes back. */
	r = session_mac(s->own_hmac, content->str + cstart, content->len - cstart, c16, FALSE,
			mac);
	if (r != ESESS_OK)
		goto out;

	if (send_key) {
		/* §7.5: the <key/> stanza went out under the old keys; from now on
		 * we send with KC_A/KM_A and the peer, once it has seen our key,
		 * sends with the set {KC_B, KM_B, x}.  We keep one KC_A only. */
		r = esess_ctr_set_key(s->own_ctr, KEY_KC_A(s->pending_keys), ESESS_SESSION_KEY_LEN);
		if (r != ESESS_OK) {
			esess_session_end(s);
			goto out;
		}
		esess_hmac_set_key(s->own_hmac, KEY_KM_A(s->pending_keys), ESESS_SESSION_KEY_LEN);
		session_keys_add(&s->old_own_km, s->own_km);
		s->own_km = esess_secret_new_from(KEY_KM_A(s->pending_keys), ESESS_SESSION_KEY_LEN);
		rs->dh = s->pending_dh;
		s->pending_dh = NULL;
		g_ptr_array_add(s->sets, rs);
		rs = NULL;
		session_sets_sync(s);
		session_cancel_pending_rekey(s);
		s->since_rekey = 0;
	}
	if (send_old)
		session_keys_clear(&s->publish);
	s->new_count = 0;
	s->sent++;
	if (!send_key) {
		s->since_rekey++;
		s->own_plain_sent++;
	}
	if (parts != NULL) {
		/* the same bytes as the text below, one child at a time */
		for (i = 0; i < spans->len; i++) {
			const SessionSpan *sp = &g_array_index(spans, SessionSpan, i);
			EsessCChild *ch = g_new0(EsessCChild, 1);

			ch->name = sp->name;
			ch->text = g_strndup(content->str + sp->start, sp->len);
			g_ptr_array_add(parts, ch);
		}
		{
			EsessCChild *ch = g_new0(EsessCChild, 1);
			GString *m = g_string_sized_new(48);

			ch->name = "mac";
			esess_base64_append(m, mac, sizeof(mac));
			ch->text = g_string_free(m, FALSE);
			g_ptr_array_add(parts, ch);
		}
	} else {
		g_string_append(out, "<mac>");
		esess_base64_append(out, mac, sizeof(mac));
		g_string_append(out, "</mac></c>");
	}
	r = ESESS_OK;
out:
	if (r != ESESS_OK && out != NULL)
		g_string_truncate(out, start);
	if (spans != NULL)
		g_array_free(spans, TRUE);
	if (scratch != NULL)
		g_string_free(scratch, TRUE);
	if (buf == stack_buf)
		esess_wipe(stack_buf, padded);
	else
		esess_free_wiped(buf, padded);
	esess_wipe(mac, sizeof(mac));
	esess_wipe(c16, sizeof(c16));
	session_recv_set_free(rs);
	esess_secret_free(kc_b);
	esess_secret_free(km_b);
	return r;
}

EsessStatus
esess_session_encrypt(EsessSession *s, const char *payload, size_t len, GString *out)
{
	g_return_val_if_fail(out != NULL, ESESS_ERR_INVALID_ARG);
	return session_encrypt(s, payload, len, out, NULL);
}

EsessStatus
esess_session_encrypt_parts(EsessSession *s, const char *payload, size_t len, GPtrArray *parts)
{
	g_return_val_if_fail(parts != NULL, ESESS_ERR_INVALID_ARG);
	return session_encrypt(s, payload, len, NULL, parts);
}

/* ---- re-keying ---------------------------------------------------------- */

static gboolean
session_rekey_enabled(const EsessSession *s)
{
	const EsessRecvSet *oldest;

	if (s->rekey_freq == 0 || s->peer_public == NULL || s->sets->len == 0)
		return FALSE;
	oldest = g_ptr_array_index(s->sets, 0);
	return oldest->dh != NULL;
}

EsessStatus
esess_session_rekey(EsessSession *s)
{
	EsessDhKey *dh = NULL;
	EsessSecret *k = NULL, *keys = NULL;
	EsessStatus r;

	g_return_val_if_fail(s != NULL, ESESS_ERR_INVALID_ARG);
	if (s->ended)
		return ESESS_ERR_SESSION_ENDED;
	/* XEP-0116 rekey_freq: the minimum number of stanzas exchanged before
	 * an entity may initiate a key re-exchange; never more often */
	if (!session_rekey_enabled(s) || s->pending_dh != NULL || s->since_rekey < s->rekey_freq ||
	    s->sets->len >= ESESS_SESSION_MAX_SETS)
		return ESESS_ERR_STATE;
	/* §7.5 steps 1-7: x, e = g^x, K = d^x with d the peer's latest value */
	r = esess_dh_keygen(s->group, &dh);
	if (r != ESESS_OK)
		goto out;
	r = esess_dh_agree(dh, s->peer_public, s->peer_public_len, &k);
	if (r != ESESS_OK) {
		r = ESESS_ERR_INTERNAL;
		goto out;
	}
	r = session_rekey_derive(k, &keys);
	if (r != ESESS_OK)
		goto out;
	s->pending_dh = dh;
	s->pending_keys = keys;
	dh = NULL;
	keys = NULL;
out:
	/* §7.5: "then destroy K" */
	esess_secret_free(k);
	esess_secret_free(keys);
	esess_dh_key_free(dh);
	return r;
}

gboolean
esess_session_needs_rekey(const EsessSession *s)
{
	g_return_val_if_fail(s != NULL, FALSE);
	if (s->ended || s->own_ctr == NULL)
		return FALSE;
	return esess_ctr_blocks_used(s->own_ctr) >=
	       ESESS_MAX_BLOCKS_PER_KEY - ESESS_SESSION_REKEY_MARGIN;
}

/* ---- decrypting --------------------------------------------------------- */

/* A received <c/> taken apart: the texts of its children and m_content, the
 * R7 form of every child but <mac/> in document order (INTEROP R6/R7).
 * From a tree (session_split) the texts are copies and m_content is built by
 * esess_xml_canon; from wire text in the simple form (session_split_text)
 * they point into the input. */
typedef struct {
	const EsessXmlNode *data, *key, *new_, *mac;
	guint n_old;
	gboolean has_data;
	const char *data_text;   /* data_len bytes, not NUL-terminated */
	size_t data_len;
	const char *mac_text;    /* mac_len bytes, not NUL-terminated */
	size_t mac_len;
	char *key_text, *new_text;
	const char *content;     /* m_content, content_len bytes */
	size_t content_len;
	/* owned by the tree form */
	char *data_own, *mac_own;
	GString *content_buf;
	/* m_content is "<data>" data_text "</data>", MACed in pieces
	 * (esess_session_decrypt_parts: no copy per message); content unused */
	gboolean content_is_data;
} EsessCParts;

static void
session_parts_clear(EsessCParts *p)
{
	g_free(p->data_own);
	g_free(p->mac_own);
	g_free(p->key_text);
	g_free(p->new_text);
	if (p->content_buf != NULL)
		g_string_free(p->content_buf, TRUE);
	memset(p, 0, sizeof(*p));
}

static gboolean
session_is_whitespace(const char *t, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (t[i] != ' ' && t[i] != '\t' && t[i] != '\n' && t[i] != '\r')
			return FALSE;
	return TRUE;
}

/* Structure of <c/>: XEP-0200 §<c/> element, children in any order, each at
 * most once except <old/>, <mac/> required, no element inside a child, no
 * text between children but whitespace. */
static EsessStatus
session_split(const EsessXmlNode *c, EsessCParts *p)
{
	const EsessXmlNode *n;

	memset(p, 0, sizeof(*p));
	if (!esess_xml_is(c, "c", ESESS_NS_C))
		return ESESS_ERR_MALFORMED;
	for (n = c->first_child; n != NULL; n = n->next) {
		const EsessXmlNode **slot;

		switch (n->kind) {
		case ESESS_XML_TEXT:
			if (!session_is_whitespace(n->text, n->text_len))
				return ESESS_ERR_MALFORMED;
			continue;
		case ESESS_XML_ELEMENT:
			break;
		}
		if (g_strcmp0(n->ns, ESESS_NS_C) != 0 || esess_xml_has_elements(n))
			return ESESS_ERR_MALFORMED;
		if (strcmp(n->name, "old") == 0) {
			/* §7.6: receivers ignore the keys; still counted for the
			 * structure and covered by the MAC */
			p->n_old++;
			continue;
		}
		if (strcmp(n->name, "data") == 0)
			slot = &p->data;
		else if (strcmp(n->name, "key") == 0)
			slot = &p->key;
		else if (strcmp(n->name, "new") == 0)
			slot = &p->new_;
		else if (strcmp(n->name, "mac") == 0)
			slot = &p->mac;
		else
			return ESESS_ERR_MALFORMED;
		if (*slot != NULL)
			return ESESS_ERR_MALFORMED; /* SECURITY 45: duplicates */
		*slot = n;
	}
	if (p->mac == NULL)
		return ESESS_ERR_MALFORMED; /* SECURITY 36 */
	/* old MAC keys are published inside a stanza with content (§7.6) */
	if (p->n_old > 0 && p->data == NULL)
		return ESESS_ERR_MALFORMED;
	p->mac_own = esess_xml_text(p->mac);
	p->mac_text = p->mac_own;
	p->mac_len = strlen(p->mac_own);
	if (p->data != NULL) {
		p->has_data = TRUE;
		p->data_own = esess_xml_text(p->data);
		p->data_text = p->data_own;
		p->data_len = strlen(p->data_own);
	}
	if (p->key != NULL)
		p->key_text = esess_xml_text(p->key);
	if (p->new_ != NULL)
		p->new_text = esess_xml_text(p->new_);
	/* INTEROP R6: m_content = R7 form of every child but <mac/>, in
	 * document order */
	p->content_buf = g_string_sized_new(p->data_len + 64);
	for (n = c->first_child; n != NULL; n = n->next)
		if (n->kind == ESESS_XML_ELEMENT && n != p->mac)
			esess_xml_canon(p->content_buf, n);
	p->content = p->content_buf->str;
	p->content_len = p->content_buf->len;
	return ESESS_OK;
}

/* The base64 alphabet with '=': text made only of these needs no escaping,
 * so its R7 form is the text itself. */
#define B64C(c) [(guchar)(c)] = 1
static const guint8 session_b64_chars[256] = {
	B64C('A'), B64C('B'), B64C('C'), B64C('D'), B64C('E'), B64C('F'), B64C('G'),
	B64C('H'), B64C('I'), B64C('J'), B64C('K'), B64C('L'), B64C('M'), B64C('N'),
	B64C('O'), B64C('P'), B64C('Q'), B64C('R'), B64C('S'), B64C('T'), B64C('U'),
	B64C('V'), B64C('W'), B64C('X'), B64C('Y'), B64C('Z'),
	B64C('a'), B64C('b'), B64C('c'), B64C('d'), B64C('e'), B64C('f'), B64C('g'),
	B64C('h'), B64C('i'), B64C('j'), B64C('k'), B64C('l'), B64C('m'), B64C('n'),
	B64C('o'), B64C('p'), B64C('q'), B64C('r'), B64C('s'), B64C('t'), B64C('u'),
	B64C('v'), B64C('w'), B64C('x'), B64C('y'), B64C('z'),
	B64C('0'), B64C('1'), B64C('2'), B64C('3'), B64C('4'), B64C('5'), B64C('6'),
	B64C('7'), B64C('8'), B64C('9'), B64C('+'), B64C('/'), B64C('=')
};
#undef B64C

static size_t
session_b64_span(const char *t, const char *end)
{
	const guchar *q = (const guchar *)t, *e = (const guchar *)end;

	/* four at a time: this scan runs over every received <data/> */
	while (e - q >= 4 && (session_b64_chars[q[0]] & session_b64_chars[q[1]] &
			      session_b64_chars[q[2]] & session_b64_chars[q[3]]) != 0)
		q += 4;
	while (q < e && session_b64_chars[*q] != 0)
		q++;
	return (size_t)(q - (const guchar *)t);
}

static gboolean
session_take(const char **q, const char *end, const char *lit, size_t lit_len)
{
	if ((size_t)(end - *q) < lit_len || memcmp(*q, lit, lit_len) != 0)
		return FALSE;
	*q += lit_len;
	return TRUE;
}

#define SESSION_TAKE(q, end, lit) session_take(q, end, lit, sizeof(lit) - 1)

/* The form every ordinary stanza has, ours included:
 *   <c xmlns='NS'>[<data>B64</data>]<mac>B64</mac></c>
 * (either quote, B64 non-empty, nothing else, within the XML limits).  The
 * XML reader would give exactly the tree {c: [data: B64], mac: B64} for it,
 * session_split would accept that tree, and R7 writes <data>B64</data> back
 * byte for byte; so the parts are taken from the text itself.  FALSE for
 * anything else, which then goes through the reader and session_split. */
static gboolean
session_split_text(const char *t, size_t len, EsessCParts *p)
{
	const char *q = t, *end = t + len, *data_start;
	char quote;
	size_t n;

	memset(p, 0, sizeof(*p));
	/* beyond these the reader reports a limit: leave that to it */
	if (len > esess_xml_default_limits.max_bytes || len > esess_xml_default_limits.max_text)
		return FALSE;
	if (!SESSION_TAKE(&q, end, "<c xmlns=") || q == end)
		return FALSE;
	quote = *q++;
	if ((quote != '\'' && quote != '"') || !SESSION_TAKE(&q, end, ESESS_NS_C) ||
	    q == end || *q++ != quote || !SESSION_TAKE(&q, end, ">"))
		return FALSE;
	data_start = q;
	if (SESSION_TAKE(&q, end, "<data>")) {
		n = session_b64_span(q, end);
		if (n == 0)
			return FALSE;
		p->has_data = TRUE;
		p->data_text = q;
		p->data_len = n;
		q += n;
		if (!SESSION_TAKE(&q, end, "</data>"))
			return FALSE;
	}
	p->content = data_start;
	p->content_len = (size_t)(q - data_start);
	if (!SESSION_TAKE(&q, end, "<mac>"))
		return FALSE;
	n = session_b64_span(q, end);
	if (n == 0)
		return FALSE;
	p->mac_text = q;
	p->mac_len = n;
	q += n;
	if (!SESSION_TAKE(&q, end, "</mac></c>") || q != end)
		return FALSE;
	return TRUE;
}

/* DIGEST §7.5: "entities MUST NOT rekey more often than agreed", else a peer
 * could make us compute a DH value for every stanza.  rekey_freq counts the
 * stanzas either side sent, but which of ours the peer had received when it
 * re-keyed is not visible here (ours cross its <key/> in flight), so the
 * check is one a peer keeping the agreement always passes: its re-key
 * windows are disjoint and each holds rekey_freq stanzas (key stanzas not
 * counted, as when sending); the peer's own stanzas in this window are
 * known, the rest must come from ours, each of ours counted once over all
 * windows. */
static EsessStatus
session_check_rekey_freq(const EsessSession *s)
{
	guint64 need;

	need = s->peer_since_key >= s->rekey_freq ? 0 : s->rekey_freq - s->peer_since_key;
	if (need > s->own_plain_sent - s->own_needed)
		return ESESS_ERR_REKEY;
	return ESESS_OK;
}

/* Validates a received <key/>: strict base64, then 1 < e < p-1 with a
 * minimal encoding (SECURITY item 4; XEP-0200 only asks e > 1). */
static EsessStatus
session_check_key(const EsessSession *s, const char *text, guint8 **pub, size_t *pub_len)
{
	size_t plen = 0;
	EsessStatus r;

	*pub = NULL;
	*pub_len = 0;
	if (!session_rekey_enabled(s))
		return ESESS_ERR_REKEY;
	(void)esess_modp_prime(s->group, &plen);
	r = esess_base64_decode(text, strlen(text), plen, pub, pub_len);
	if (r == ESESS_ERR_TOO_LARGE)
		return ESESS_ERR_DH_RANGE; /* an encoding longer than p */
	if (r != ESESS_OK)
		return r;
	r = esess_dh_check_public(s->group, *pub, *pub_len);
	if (r == ESESS_OK) {
		r = session_check_rekey_freq(s);
		if (r == ESESS_OK)
			return ESESS_OK;
	}
	g_free(*pub);
	*pub = NULL;
	*pub_len = 0;
	return r == ESESS_ERR_DH_RANGE ? ESESS_ERR_DH_RANGE : ESESS_ERR_REKEY;
}


/* §7.5 acceptor: K = e^y with y of the oldest set (the one that decrypted
 * this stanza); the peer's keys in every set become KC_A/KM_A; with exactly
 * one set our own sending keys become KC_B/KM_B. */
static EsessStatus
session_accept_rekey(EsessSession *s, guint8 *pub, size_t pub_len)
{
	EsessRecvSet *oldest = g_ptr_array_index(s->sets, 0);
	EsessSecret *k = NULL, *keys = NULL;
	EsessHmac **hmacs = NULL;
	gboolean swap_own;
	EsessStatus r;
	guint i;

	r = esess_dh_agree(oldest->dh, pub, pub_len, &k);
	if (r != ESESS_OK) {
		/* a reflected value or a degenerate secret is an invalid re-key */
		if (r != ESESS_ERR_DH_RANGE)
			r = ESESS_ERR_REKEY;
		goto out;
	}
	r = session_rekey_derive(k, &keys);
	if (r != ESESS_OK)
		goto out;
	hmacs = g_new0(EsessHmac *, s->sets->len);
	for (i = 0; i < s->sets->len; i++) {
		r = esess_hmac_new(KEY_KM_A(keys), ESESS_SESSION_KEY_LEN, &hmacs[i]);
		if (r != ESESS_OK)
			goto out;
	}
	/* with exactly one set our own sending keys change too */
	swap_own = s->sets->len == 1;
	/* the peer's new cipher key: the running peer counter carries on (R5) */
	r = esess_ctr_set_key(s->peer_ctr, KEY_KC_A(keys), ESESS_SESSION_KEY_LEN);
	if (r != ESESS_OK)
		goto out;
	for (i = 0; i < s->sets->len; i++) {
		EsessRecvSet *rs = g_ptr_array_index(s->sets, i);

		esess_secret_free(rs->kc);
		rs->kc = esess_secret_new_from(KEY_KC_A(keys), ESESS_SESSION_KEY_LEN);
		esess_secret_free(rs->km);
		rs->km = esess_secret_new_from(KEY_KM_A(keys), ESESS_SESSION_KEY_LEN);
		esess_hmac_free(rs->hmac);
		rs->hmac = hmacs[i];
		hmacs[i] = NULL;
	}
	s->cur_set = oldest;
	session_sets_sync(s);
	if (swap_own) {
		r = esess_ctr_set_key(s->own_ctr, KEY_KC_B(keys), ESESS_SESSION_KEY_LEN);
		if (r != ESESS_OK)
			goto out;
		esess_hmac_set_key(s->own_hmac, KEY_KM_B(keys), ESESS_SESSION_KEY_LEN);
		esess_secret_free(s->own_km);
		s->own_km = esess_secret_new_from(KEY_KM_B(keys), ESESS_SESSION_KEY_LEN);
	}
	g_free(s->peer_public);
	s->peer_public = pub;
	s->peer_public_len = pub_len;
	/* the peer's re-key supersedes one of ours not yet sent */
	session_cancel_pending_rekey(s);
	s->new_count++;
	s->since_rekey = 0;
	/* what session_check_rekey_freq allowed is now used */
	s->own_needed += s->peer_since_key >= s->rekey_freq ? 0 :
			 s->rekey_freq - s->peer_since_key;
	s->peer_since_key = 0;
	r = ESESS_OK;
out:
	if (hmacs != NULL) {
		for (i = 0; i < s->sets->len; i++)
			esess_hmac_free(hmacs[i]);
		g_free(hmacs);
	}
	esess_secret_free(k);
	esess_secret_free(keys);
	return r;
}

/* Drops the receive sets older than index n: the peer has seen our n-th
 * unacknowledged <key/>.  Their MAC keys, and our MAC keys replaced by those
 * re-keys, may now be published (§7.6: we sent a re-key and received a
 * stanza under the new key). */
static void
session_drop_sets(EsessSession *s, guint n)
{
	guint i;

	for (i = 0; i < n; i++) {
		EsessRecvSet *rs = g_ptr_array_index(s->sets, i);

		session_keys_add(&s->publish, rs->km);
		rs->km = NULL;
	}
	g_ptr_array_remove_range(s->sets, 0, n);
	for (i = 0; i < n && s->old_own_km != NULL && s->old_own_km->len > 0; i++)
		session_keys_add(&s->publish, g_ptr_array_steal_index(s->old_own_km, 0));
	if (s->old_own_km != NULL && s->old_own_km->len == 0)
		session_keys_clear(&s->old_own_km);
	session_sets_sync(s);
}

/* session_mac over the m_content of p. */
static EsessStatus
session_mac_c(EsessHmac *h, const EsessCParts *p, const guint8 c16[ESESS_COUNTER_LEN],
	      gboolean mpi, guint8 out[ESESS_HMAC_LEN])
{
	if (!p->content_is_data)
		return session_mac(h, p->content, p->content_len, c16, mpi, out);
	esess_hmac_update(h, "<data>", strlen("<data>"));
	esess_hmac_update(h, p->data_text, p->data_len);
	return session_mac(h, "</data>", strlen("</data>"), c16, mpi, out);
}

/* The part of decrypting that reads only the stanza: the <mac/> and <data/>
 * texts decoded into d (d->r: ESESS_OK or why they are refused).  It reads
 * nothing of the session, so it can run while the session's lines come in
 * (esess_session_in_decode). */
static void
session_decode(const EsessCParts *parts, EsessSessionIn *d)
{
	EsessStatus r;

	memset(d->mac, 0, sizeof(d->mac));
	d->data = NULL;
	d->data_len = 0;
	/* SECURITY 41: size cap before decoding */
	if (parts->has_data && parts->data_len > ESESS_MAX_DATA_B64) {
		d->r = ESESS_ERR_TOO_LARGE;
		return;
	}
	/* SECURITY 35/36: exactly 32 bytes; a MAC of another length is never
	 * compared (libgcrypt's verify would accept a prefix) */
	r = esess_base64_decode_exact(parts->mac_text, parts->mac_len, d->mac, ESESS_HMAC_LEN);
	if (r == ESESS_ERR_LENGTH)
		r = ESESS_ERR_MAC_LENGTH;
	/* SECURITY 40: strict base64; public bytes, so decoding before the MAC
	 * check reveals nothing */
	if (r == ESESS_OK && parts->has_data)
		r = esess_base64_decode(parts->data_text, parts->data_len, ESESS_SESSION_MAX_PLAIN,
					&d->data, &d->data_len);
	d->r = r;
}

/* d: parts decoded (session_decode); its data is taken (decrypted in place,
 * wiped and freed here). */
static EsessStatus
session_decrypt_inner(EsessSession *s, const EsessCParts *parts, EsessSessionIn *d,
		      EsessXmlNode **payload, char **plain, size_t *plain_len)
{
	EsessRecvSet *rs;
	EsessHmac *hmac;
	guint8 c16[ESESS_COUNTER_LEN];
	guint8 *got = d->mac, want[ESESS_HMAC_LEN];
	guint8 *data = d->data, *pub = NULL;
	size_t data_len = d->data_len, pub_len = 0;
	guint64 n_new = 0;
	gboolean ok;
	EsessXmlLimits lim;
	EsessStatus r;

	d->data = NULL;
	d->data_len = 0;
	r = d->r;
	if (r != ESESS_OK)
		goto out;
	/* §7.4 step 1: <new>N</new> selects the receive set */
	if (parts->new_text != NULL) {
		if (esess_parse_uint(parts->new_text, G_MAXUINT32, &n_new) != ESESS_OK ||
		    n_new == 0) {
			r = ESESS_ERR_MALFORMED;
			goto out;
		}
		if (n_new >= s->sets->len) {
			r = ESESS_ERR_REKEY; /* acknowledges keys we never sent */
			goto out;
		}
	}
	/* the ordinary stanza: the first set, already in the peer counter's
	 * cipher; read from the session's first cache lines */
	if (n_new == 0 && s->cur_first) {
		rs = NULL;
		hmac = s->hmac0;
	} else {
		rs = g_ptr_array_index(s->sets, (guint)n_new);
		hmac = rs->hmac;
	}

	/* INTEROP R6: MAC over m_content (R7 form, from the split); C as it
	 * is before decryption */
	esess_ctr_get_counter(s->peer_ctr, c16);
	r = session_mac_c(hmac, parts, c16, FALSE, want);
	if (r != ESESS_OK)
		goto out;
	ok = esess_ct_equal(got, want, ESESS_HMAC_LEN);
	if (!ok && c16[0] == 0) {
		/* INTEROP R6: Gajim MACs the MPI form of C */
		r = session_mac_c(hmac, parts, c16, TRUE, want);
		if (r != ESESS_OK)
			goto out;
		ok = esess_ct_equal(got, want, ESESS_HMAC_LEN);
	}
	if (!ok) {
		r = ESESS_ERR_MAC;
		goto out;
	}

	/* a <key/> is checked now, applied last (SECURITY item 4) */
	if (parts->key_text != NULL) {
		r = session_check_key(s, parts->key_text, &pub, &pub_len);
		if (r != ESESS_OK)
			goto out;
	}

	/* the peer answered on set n_new: its keys go into the counter's
	 * cipher before decrypting (§7.4 step 1) */
	if (rs != NULL && rs != s->cur_set) {
		r = esess_ctr_set_key(s->peer_ctr, rs->kc->data, rs->kc->len);
		if (r != ESESS_OK)
			goto out;
		s->cur_set = rs;
		session_sets_sync(s);
	}
	if (data_len > 0) {
		r = esess_ctr_crypt(s->peer_ctr, data, data, data_len);
	} else {
		/* no content (no or an empty <data/>): the counter moves by one */
		r = esess_ctr_step(s->peer_ctr, 1);
	}
	if (r != ESESS_OK)
		goto out;
	/* INTEROP R14: strip the space padding */
	while (data_len > 0 && data[data_len - 1] == ' ')
		data_len--;
	if (data_len > 0) {
		/* the reader checks UTF-8 (no NUL) before it parses anything, so
		 * the separate check runs only to name a failure: invalid UTF-8
		 * is ESESS_ERR_UTF8, anything else ESESS_ERR_PAYLOAD, as before
		 * (one pass over the plaintext instead of two) */
		lim = esess_xml_default_limits;
		lim.max_bytes = ESESS_SESSION_MAX_PLAIN;
		lim.max_text = ESESS_SESSION_MAX_PLAIN;
		r = esess_xml_parse_fragment((const char *)data, data_len, ESESS_NS_CLIENT, &lim,
					     payload);
		if (r != ESESS_OK) {
			r = esess_utf8_check((const char *)data, data_len) != ESESS_OK ?
				    ESESS_ERR_UTF8 : ESESS_ERR_PAYLOAD;
			goto out;
		}
	}

	/* everything verified: now the state changes */
	if (n_new > 0)
		session_drop_sets(s, (guint)n_new);
	if (pub != NULL) {
		r = session_accept_rekey(s, pub, pub_len);
		if (r != ESESS_OK)
			goto out;
		pub = NULL; /* owned by s */
	} else {
		s->since_rekey++;
		s->peer_since_key++;
	}
	s->received++;
	if (plain != NULL && data_len > 0) {
		*plain = g_malloc(data_len + 1);
		memcpy(*plain, data, data_len);
		(*plain)[data_len] = '\0';
		if (plain_len != NULL)
			*plain_len = data_len;
	}
	r = ESESS_OK;
out:
	esess_free_wiped(data, data_len);
	g_free(pub);
	esess_wipe(want, sizeof(want));
	esess_wipe(c16, sizeof(c16));
	return r;
}

/* SECURITY rule 8: fail closed, show nothing */
static void
session_fail(EsessSession *s, EsessXmlNode **payload)
{
	esess_xml_free(*payload);
	*payload = NULL;
	esess_session_end(s);
}

EsessStatus
esess_session_decrypt(EsessSession *s, const EsessXmlNode *c, EsessXmlNode **payload,
		      char **plain, size_t *plain_len)
{
	EsessCParts parts;
	EsessStatus r;

	g_return_val_if_fail(payload != NULL, ESESS_ERR_INVALID_ARG);
	*payload = NULL;
	if (plain != NULL)
		*plain = NULL;
	if (plain_len != NULL)
		*plain_len = 0;
	g_return_val_if_fail(s != NULL && c != NULL, ESESS_ERR_INVALID_ARG);
	session_prefetch(s, FALSE);
	if (s->ended)
		return ESESS_ERR_SESSION_ENDED;
	r = session_split(c, &parts);
	if (r == ESESS_OK) {
		EsessSessionIn d;

		session_decode(&parts, &d);
		r = session_decrypt_inner(s, &parts, &d, payload, plain, plain_len);
	}
	session_parts_clear(&parts);
	if (r != ESESS_OK)
		session_fail(s, payload);
	return r;
}

EsessStatus
esess_session_decrypt_text(EsessSession *s, const char *c_xml, size_t len,
			   EsessXmlNode **payload, char **plain, size_t *plain_len)
{
	EsessCParts parts;
	EsessXmlNode *c = NULL;
	EsessStatus r;

	g_return_val_if_fail(payload != NULL, ESESS_ERR_INVALID_ARG);
	*payload = NULL;
	if (plain != NULL)
		*plain = NULL;
	if (plain_len != NULL)
		*plain_len = 0;
	g_return_val_if_fail(s != NULL && (c_xml != NULL || len == 0), ESESS_ERR_INVALID_ARG);
	session_prefetch(s, FALSE);
	/* the ordinary stanza needs neither the reader nor a tree; it is taken
	 * apart before the session is first read, so that this work overlaps
	 * the wait for the session's cache lines */
	if (session_split_text(c_xml, len, &parts)) {
		EsessSessionIn d;

		if (s->ended) {
			session_parts_clear(&parts);
			return ESESS_ERR_SESSION_ENDED;
		}
		session_decode(&parts, &d);
		r = session_decrypt_inner(s, &parts, &d, payload, plain, plain_len);
		session_parts_clear(&parts);
		if (r != ESESS_OK)
			session_fail(s, payload);
		return r;
	}
	if (s->ended)
		return ESESS_ERR_SESSION_ENDED;
	r = esess_xml_parse(c_xml, len, NULL, &c);
	if (r != ESESS_OK) {
		esess_session_end(s);
		return r == ESESS_ERR_XML_LIMIT ? ESESS_ERR_TOO_LARGE : ESESS_ERR_MALFORMED;
	}
	r = esess_session_decrypt(s, c, payload, plain, plain_len);
	esess_xml_free(c);
	return r;
}

/* The parts of a <c/> that the client took from its own parse of the stanza
 * (issue 11 item 2).  Only the simple form is taken here: a non-empty <data/>
 * or none, and <mac/>, each made only of base64 characters, so that the R7
 * form of <data/> is "<data>" TEXT "</data>" byte for byte, as
 * session_split_text reads it from wire text.  Anything else changes nothing
 * and is ESESS_ERR_INVALID_ARG: the caller goes the complete way. */
void
esess_session_in_decode(EsessSessionIn *in, const char *data, size_t data_len, const char *mac,
			size_t mac_len)
{
	EsessCParts parts;

	g_return_if_fail(in != NULL);
	memset(in, 0, sizeof(*in));
	in->r = ESESS_ERR_INVALID_ARG;
	if (mac == NULL || mac_len == 0 || mac_len > ESESS_SESSION_PARTS_MAX ||
	    session_b64_span(mac, mac + mac_len) != mac_len)
		return;
	if (data != NULL && (data_len == 0 || data_len > ESESS_SESSION_PARTS_MAX ||
			     session_b64_span(data, data + data_len) != data_len))
		return;
	in->simple = TRUE;
	in->data_text = data;
	in->data_text_len = data_len;
	in->mac_text = mac;
	in->mac_text_len = mac_len;
	memset(&parts, 0, sizeof(parts));
	parts.mac_text = mac;
	parts.mac_len = mac_len;
	parts.has_data = data != NULL;
	parts.data_text = data;
	parts.data_len = data_len;
	session_decode(&parts, in);
}

void
esess_session_in_clear(EsessSessionIn *in)
{
	if (in == NULL)
		return;
	/* ciphertext, or the plaintext when decrypted in place */
	esess_free_wiped(in->data, in->data_len);
	memset(in, 0, sizeof(*in));
}

EsessStatus
esess_session_decrypt_in(EsessSession *s, EsessSessionIn *in, EsessXmlNode **payload)
{
	EsessCParts parts;
	EsessStatus r;

	g_return_val_if_fail(payload != NULL, ESESS_ERR_INVALID_ARG);
	*payload = NULL;
	g_return_val_if_fail(s != NULL && in != NULL, ESESS_ERR_INVALID_ARG);
	session_prefetch(s, FALSE);
	if (s->ended) {
		esess_session_in_clear(in);
		return ESESS_ERR_SESSION_ENDED;
	}
	if (!in->simple) {
		esess_session_in_clear(in);
		return ESESS_ERR_INVALID_ARG;
	}
	memset(&parts, 0, sizeof(parts));
	parts.mac_text = in->mac_text;
	parts.mac_len = in->mac_text_len;
	if (in->data_text != NULL) {
		parts.has_data = TRUE;
		parts.data_text = in->data_text;
		parts.data_len = in->data_text_len;
		/* INTEROP R6, R7: m_content, MACed in pieces */
		parts.content_is_data = TRUE;
	} else {
		parts.content = "";
	}
	r = session_decrypt_inner(s, &parts, in, payload, NULL, NULL);
	session_parts_clear(&parts);
	esess_session_in_clear(in);
	if (r != ESESS_OK)
		session_fail(s, payload);
	return r;
}

EsessStatus
esess_session_decrypt_parts(EsessSession *s, const char *data, size_t data_len,
			    const char *mac, size_t mac_len, EsessXmlNode **payload)
{
	EsessSessionIn in;

	g_return_val_if_fail(payload != NULL, ESESS_ERR_INVALID_ARG);
	*payload = NULL;
	g_return_val_if_fail(s != NULL, ESESS_ERR_INVALID_ARG);
	session_prefetch(s, FALSE);
	if (s->ended)
		return ESESS_ERR_SESSION_ENDED;
	esess_session_in_decode(&in, data, data_len, mac, mac_len);
	return esess_session_decrypt_in(s, &in, payload);
}

/* ---- end, accessors ----------------------------------------------------- */

void
esess_session_end(EsessSession *s)
{
	if (s == NULL)
		return;
	session_save_counters(s);
	s->ended = TRUE;
	esess_ctr_clear(s->own_ctr);
	s->own_ctr = NULL;
	esess_ctr_clear(s->peer_ctr);
	s->peer_ctr = NULL;
	esess_hmac_clear(s->own_hmac);
	s->own_hmac = NULL;
	esess_secret_free(s->own_km);
	s->own_km = NULL;
	s->cur_set = NULL;
	if (s->sets != NULL)
		g_ptr_array_set_size(s->sets, 0);
	session_sets_sync(s);
	session_keys_clear(&s->old_own_km);
	session_keys_clear(&s->publish);
	session_cancel_pending_rekey(s);
	g_free(s->peer_public);
	s->peer_public = NULL;
	s->peer_public_len = 0;
	s->new_count = 0;
}

gboolean
esess_session_is_ended(const EsessSession *s)
{
	g_return_val_if_fail(s != NULL, TRUE);
	return s->ended;
}

void
esess_session_counters(const EsessSession *s, guint8 own[ESESS_COUNTER_LEN],
		       guint8 peer[ESESS_COUNTER_LEN])
{
	g_return_if_fail(s != NULL && own != NULL && peer != NULL);
	if (s->own_ctr != NULL)
		esess_ctr_get_counter(s->own_ctr, own);
	else
		memcpy(own, s->own_counter, ESESS_COUNTER_LEN);
	if (s->peer_ctr != NULL)
		esess_ctr_get_counter(s->peer_ctr, peer);
	else
		memcpy(peer, s->peer_counter, ESESS_COUNTER_LEN);
}

guint64
esess_session_sent(const EsessSession *s)
{
	g_return_val_if_fail(s != NULL, 0);
	return s->sent;
}

guint64
esess_session_received(const EsessSession *s)
{
	g_return_val_if_fail(s != NULL, 0);
	return s->received;
}

void
esess_session_free(EsessSession *s)
{
	if (s == NULL)
		return;
	esess_session_end(s);
	g_ptr_array_unref(s->sets);
	esess_slab_free(&session_slab, s);
}

gboolean
esess_session_keys_wiped(const EsessSession *s)
{
	g_return_val_if_fail(s != NULL, FALSE);
	return s->own_ctr == NULL && s->peer_ctr == NULL && s->own_hmac == NULL &&
	       s->own_km == NULL && s->cur_set == NULL && s->sets->len == 0 &&
	       s->hmac0 == NULL && s->old_own_km == NULL && s->publish == NULL &&
	       s->pending_dh == NULL && s->pending_keys == NULL;
}

EsessStatus
esess_session_skip_blocks_for_test(EsessSession *s, gboolean own, guint64 n)
{
	g_return_val_if_fail(s != NULL, ESESS_ERR_INVALID_ARG);
	if (s->ended)
		return ESESS_ERR_SESSION_ENDED;
	return esess_ctr_step(own ? s->own_ctr : s->peer_ctr, n);
}
