/*
 * bench-negotiate.c - the cost of a complete ESession negotiation (issue
 * "Negotiation"): the four XEP-0116 messages, both sides in one process,
 * through the engine's façade (esess_chat_start, esess_msg_inspect,
 * esess_chat_accept, esess_chat_receive) exactly as the adapter drives it,
 * for MODP groups 14, 15, 16 (and 18 once), with and without prepared key
 * pairs (esess_keypool_*).  Also the initiator's time to produce message 1
 * with a full pool.
 *
 * Printed beside, in the same run: libotr 4's complete AKE (both sides in
 * memory, DH-1536 + DSA), and the ratios.
 *
 * Targets (issue): group 15 <= 1.0x libotr AKE, group 14 <= 0.5x, message 1
 * with a full pool < 0.1 ms.  Figures only; never fails on time (doc/hacking.md).
 *
 * ESESS_BENCH_SCALE=0.1 makes a quick run.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "esess-chat.h"
#include "esess-crypto.h"
#include "esess-status.h"

#include "bench-util.h"
#ifdef HAVE_OTR
#include "bench-otr.h"
#endif

#define BENCH_ALICE_BARE "alice@localhost"
#define BENCH_ALICE_FULL "alice@localhost/bench"
#define BENCH_BOB_BARE "bob@localhost"
#define BENCH_BOB_FULL "bob@localhost/bench"
/* a negotiation is four messages; allow a few more before calling it stuck */
#define BENCH_MAX_ROUNDS 8

typedef struct {
	EsessChatConfig alice;
	EsessChatConfig bob;
	guint group[1];
	EsessKeyPool *alice_pool;
	EsessKeyPool *bob_pool;
} BenchNeg;

static void
bench_neg_config(EsessChatConfig *c, const char *bare, const char *full, const char *peer,
		 const guint *offer)
{
	memset(c, 0, sizeof(*c));
	c->account = bare;
	c->own_jid = full;
	c->peer_jid = peer;
	c->store = NULL;
	c->pool = NULL;
	c->min_modp_bits = 2048;
	c->modp_offer = offer;
	c->n_modp_offer = 1;
	c->logging = ESESS_LOGPREF_PREFER;
	c->peer_has_plugin = TRUE;
	c->peer_caps_node = NULL;
	c->placeholder = "[This message is encrypted.]";
}

static void
bench_neg_init(BenchNeg *n, guint group, gboolean pools)
{
	memset(n, 0, sizeof(*n));
	n->group[0] = group;
	bench_neg_config(&n->alice, BENCH_ALICE_BARE, BENCH_ALICE_FULL, BENCH_BOB_FULL, n->group);
	bench_neg_config(&n->bob, BENCH_BOB_BARE, BENCH_BOB_FULL, BENCH_ALICE_FULL, n->group);
	if (pools) {
		n->alice_pool = esess_keypool_new();
		n->bob_pool = esess_keypool_new();
		n->alice.pool = n->alice_pool;
		n->bob.pool = n->bob_pool;
	}
}

/* Fills both pools completely (untimed: in the plugin this is idle work). */
static void
bench_neg_refill(BenchNeg *n)
{
	if (n->alice_pool != NULL)
		while (esess_keypool_fill_one(n->alice_pool, n->group, 1))
			;
	if (n->bob_pool != NULL)
		while (esess_keypool_fill_one(n->bob_pool, n->group, 1))
			;
}

static void
bench_neg_clear(BenchNeg *n)
{
	esess_keypool_free(n->alice_pool);
	esess_keypool_free(n->bob_pool);
}

/* The server stamps the sender's full JID on every stanza it routes. */
static char *
bench_stamp_from(const char *stanza, const char *from)
{
	const char *end = strchr(stanza, '>');
	const char *p;

	if (strncmp(stanza, "<message", 8) != 0 || end == NULL)
		bench_fail("negotiation", "the engine sent something that is not a <message/>");
	p = strstr(stanza, " from=");
	if (p != NULL && p < end)
		return g_strdup(stanza);
	return g_strdup_printf("<message from='%s'%s", from, stanza + 8);
}

/* Delivers every stanza of *out to the receiving side and collects its reply
 * in *reply.  bob_chat NULL on the first delivery to bob means "a request":
 * bob accepts it. */
static void
bench_deliver(BenchNeg *n, EsessStep *out, gboolean to_bob, EsessChat *alice_chat,
	      EsessChat **bob_chat, EsessStep *reply)
{
	guint i;

	for (i = 0; out->send != NULL && i < out->send->len; i++) {
		char *stanza = bench_stamp_from(g_ptr_array_index(out->send, i),
						to_bob ? BENCH_ALICE_FULL : BENCH_BOB_FULL);
		EsessMsgInfo info;
		EsessStatus r;

		memset(&info, 0, sizeof(info));
		r = esess_msg_inspect(stanza, strlen(stanza),
				      to_bob ? BENCH_BOB_FULL : BENCH_ALICE_FULL, &info);
		if (r != ESESS_OK)
			bench_fail("esess_msg_inspect", esess_status_name(r));
		if (to_bob && *bob_chat == NULL) {
			if (info.kind != ESESS_MSG_NEG_REQUEST)
				bench_fail("negotiation", "message 1 is not classified as a request");
			r = esess_chat_accept(&n->bob, &info, bob_chat, reply);
			if (r != ESESS_OK || *bob_chat == NULL)
				bench_fail("esess_chat_accept", esess_status_name(r));
		} else {
			r = esess_chat_receive(to_bob ? *bob_chat : alice_chat, &info, reply);
			if (r != ESESS_OK)
				bench_fail("esess_chat_receive", esess_status_name(r));
		}
		esess_msg_info_clear(&info);
		g_free(stanza);
	}
}

/* One complete negotiation, both sides.  Returns the group both agreed on. */
static guint
bench_negotiate_once(BenchNeg *n)
{
	EsessChat *alice = NULL;
	EsessChat *bob = NULL;
	EsessStep a;
	EsessStep b;
	EsessStatus r;
	guint round;
	guint group;

	esess_step_init(&a);
	esess_step_init(&b);
	r = esess_chat_start(&n->alice, &alice, &a);
	if (r != ESESS_OK)
		bench_fail("esess_chat_start", esess_status_name(r));
	for (round = 0; round < BENCH_MAX_ROUNDS; round++) {
		if (esess_chat_state(alice) == ESESS_CHAT_ESTABLISHED && bob != NULL &&
		    esess_chat_state(bob) == ESESS_CHAT_ESTABLISHED)
			break;
		if (a.send == NULL || a.send->len == 0) {
			if (b.send == NULL || b.send->len == 0)
				bench_fail("negotiation", "stalled: nobody has anything to send");
		}
		esess_step_clear(&b);
		bench_deliver(n, &a, TRUE, alice, &bob, &b);
		esess_step_clear(&a);
		bench_deliver(n, &b, FALSE, alice, &bob, &a);
	}
	if (bob == NULL || esess_chat_state(alice) != ESESS_CHAT_ESTABLISHED ||
	    esess_chat_state(bob) != ESESS_CHAT_ESTABLISHED)
		bench_fail("negotiation", "did not reach ESTABLISHED on both sides");
	group = esess_chat_group(alice);
	if (group != esess_chat_group(bob) ||
	    g_strcmp0(esess_chat_sas(alice), esess_chat_sas(bob)) != 0)
		bench_fail("negotiation", "the two sides disagree on the group or the SAS");
	esess_step_clear(&a);
	esess_step_clear(&b);
	esess_chat_free(alice);
	esess_chat_free(bob);
	return group;
}

/* One timed negotiation (pools refilled first, untimed). */
static double
bench_negotiation_ns(BenchNeg *n)
{
	gint64 t0;

	bench_neg_refill(n);
	t0 = bench_now_ns();
	if (bench_negotiate_once(n) != n->group[0])
		bench_fail("negotiation", "agreed on a group that was not offered");
	return (double)(bench_now_ns() - t0);
}

/* One timed message 1 from a full pool. */
static double
bench_message1_ns(BenchNeg *n)
{
	EsessChat *alice = NULL;
	EsessStep a;
	EsessStatus r;
	gint64 t0;
	double t;

	bench_neg_refill(n);
	esess_step_init(&a);
	t0 = bench_now_ns();
	r = esess_chat_start(&n->alice, &alice, &a);
	t = (double)(bench_now_ns() - t0);
	if (r != ESESS_OK || a.send == NULL || a.send->len != 1)
		bench_fail("esess_chat_start", esess_status_name(r));
	esess_step_clear(&a);
	esess_chat_free(alice);
	return t;
}

int
main(int argc, char **argv)
{
	static const guint groups[] = { 14, 15, 16 };
	enum { N_GROUPS = G_N_ELEMENTS(groups) };
	size_t samples = bench_reps(21, 3);
	BenchNeg cold_neg[N_GROUPS];
	BenchNeg warm_neg[N_GROUPS];
	BenchNeg big;
	double *t_cold[N_GROUPS];
	double *t_warm[N_GROUPS];
	/* message 1 is short and noisy: several per sample */
	enum { M1_PER_SAMPLE = 8 };
	double *t_m1 = g_new0(double, samples * M1_PER_SAMPLE);
	double *t_ake = g_new0(double, samples);
	double cold[N_GROUPS];
	double warm[N_GROUPS];
	double ake = 0.0;
	double cold18, warm18, m1;
	char b1[32], b2[32];
	EsessStatus r;
	size_t i;
	size_t s;
#ifdef HAVE_OTR
	BenchOtrPair *otr;
#endif

	r = esess_crypto_init();
	if (r != ESESS_OK)
		bench_fail("esess_crypto_init", esess_status_name(r));
#ifdef HAVE_OTR
	otr = bench_otr_pair_new();
#endif
	for (i = 0; i < N_GROUPS; i++) {
		bench_neg_init(&cold_neg[i], groups[i], FALSE);
		bench_neg_init(&warm_neg[i], groups[i], TRUE);
		t_cold[i] = g_new0(double, samples);
		t_warm[i] = g_new0(double, samples);
		/* warm up each path once, untimed */
		(void)bench_negotiation_ns(&cold_neg[i]);
		(void)bench_negotiation_ns(&warm_neg[i]);
	}

	/* interleaved sample by sample, so drift on a shared machine hits every
	 * column alike (doc/hacking.md) */
	for (s = 0; s < samples; s++) {
#ifdef HAVE_OTR
		gint64 t0;

		bench_otr_forget(otr);
		t0 = bench_now_ns();
		if (!bench_otr_ake(otr))
			bench_fail("libotr", "AKE did not reach ENCRYPTED on both sides");
		t_ake[s] = (double)(bench_now_ns() - t0);
#endif
		for (i = 0; i < N_GROUPS; i++) {
			t_cold[i][s] = bench_negotiation_ns(&cold_neg[i]);
			t_warm[i][s] = bench_negotiation_ns(&warm_neg[i]);
		}
		for (i = 0; i < M1_PER_SAMPLE; i++)
			t_m1[s * M1_PER_SAMPLE + i] = bench_message1_ns(&warm_neg[1]);
	}
#ifdef HAVE_OTR
	ake = bench_median(t_ake, samples);
#endif
	for (i = 0; i < N_GROUPS; i++) {
		cold[i] = bench_median(t_cold[i], samples);
		warm[i] = bench_median(t_warm[i], samples);
	}
	m1 = bench_median(t_m1, samples * M1_PER_SAMPLE);

	bench_neg_init(&big, 18, FALSE);
	cold18 = bench_negotiation_ns(&big);
	bench_neg_clear(&big);
	bench_neg_init(&big, 18, TRUE);
	warm18 = bench_negotiation_ns(&big);
	bench_neg_clear(&big);

	printf("bench-negotiate: complete four-message negotiation, both sides in one process\n");
	printf("  medians of %zu interleaved runs (group 18: one run); libotr 4 AKE: %s\n",
	       samples, ake > 0.0 ? bench_fmt_ns(ake, b1, sizeof(b1)) : "n/a");
	printf("%-6s %14s %10s %14s %10s\n", "group", "computed", "x otr-AKE", "prepared keys",
	       "x otr-AKE");
	for (i = 0; i < N_GROUPS; i++)
		printf("%-6u %14s %9.2fx %14s %9.2fx\n", groups[i],
		       bench_fmt_ns(cold[i], b1, sizeof(b1)), ake > 0.0 ? cold[i] / ake : 0.0,
		       bench_fmt_ns(warm[i], b2, sizeof(b2)), ake > 0.0 ? warm[i] / ake : 0.0);
	printf("%-6u %14s %9.2fx %14s %9.2fx   (one run)\n", 18u,
	       bench_fmt_ns(cold18, b1, sizeof(b1)), ake > 0.0 ? cold18 / ake : 0.0,
	       bench_fmt_ns(warm18, b2, sizeof(b2)), ake > 0.0 ? warm18 / ake : 0.0);
	printf("message 1 (initiator, group 15) with a full pool: %s\n",
	       bench_fmt_ns(m1, b1, sizeof(b1)));
	printf("  targets: group 15 <= 1.0x libotr AKE (%.2fx computed, %.2fx prepared), "
	       "group 14 <= 0.5x (%.2fx, %.2fx), message 1 < 0.1 ms (%.3f ms)\n",
	       ake > 0.0 ? cold[1] / ake : 0.0, ake > 0.0 ? warm[1] / ake : 0.0,
	       ake > 0.0 ? cold[0] / ake : 0.0, ake > 0.0 ? warm[0] / ake : 0.0, m1 / 1e6);
#ifndef HAVE_OTR
	printf("  (libotr not found at configure time: no libotr ratios)\n");
#endif

	for (i = 0; i < N_GROUPS; i++) {
		bench_neg_clear(&cold_neg[i]);
		bench_neg_clear(&warm_neg[i]);
		g_free(t_cold[i]);
		g_free(t_warm[i]);
	}
	g_free(t_m1);
	g_free(t_ake);
#ifdef HAVE_OTR
	bench_otr_pair_free(otr);
#endif
	return 0;
}
