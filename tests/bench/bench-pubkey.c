/*
 * bench-pubkey.c - what public-key identity (INTEROP R21, issue 12) costs:
 * a complete negotiation between two peers of this plugin with identity
 * keys (each side signs its mac and verifies the other's, RSA 3072) against
 * the same negotiation without keys, group 15, both sides in one process,
 * through the chat façade as the adapter drives it, interleaved sample by
 * sample; with prepared DH key pairs (the plugin's normal case) and
 * computed ones.  Then the time to generate an RSA 3072 identity key.
 *
 * Medians with the spread (min .. max) of the samples.  Figures only; never
 * fails on time (doc/hacking.md).  ESESS_BENCH_SCALE=0.1 makes a quick run.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "esess-chat.h"
#include "esess-crypto.h"
#include "esess-idkey.h"
#include "esess-status.h"

#include "bench-util.h"

#define ALICE_BARE "alice@localhost"
#define ALICE_FULL "alice@localhost/bench"
#define BOB_BARE "bob@localhost"
#define BOB_FULL "bob@localhost/bench"
#define MAX_ROUNDS 8

static const guint group15[] = { 15 };

typedef struct {
	EsessChatConfig alice, bob;
	EsessKeyPool *pa, *pb;
} Pair;

static void
config(EsessChatConfig *c, const char *bare, const char *full, const char *peer, EsessIdKey *k)
{
	memset(c, 0, sizeof *c);
	c->account = bare;
	c->own_jid = full;
	c->peer_jid = peer;
	c->min_modp_bits = 2048;
	c->modp_offer = group15;
	c->n_modp_offer = 1;
	c->logging = ESESS_LOGPREF_PREFER;
	c->peer_has_plugin = TRUE;
	c->placeholder = "[This message is encrypted.]";
	c->idkey = k;
}

static void
pair_init(Pair *p, EsessIdKey *ka, EsessIdKey *kb, gboolean pools)
{
	config(&p->alice, ALICE_BARE, ALICE_FULL, BOB_FULL, ka);
	config(&p->bob, BOB_BARE, BOB_FULL, ALICE_FULL, kb);
	p->pa = p->pb = NULL;
	if (pools) {
		p->pa = esess_keypool_new();
		p->pb = esess_keypool_new();
		p->alice.pool = p->pa;
		p->bob.pool = p->pb;
	}
}

static void
pair_clear(Pair *p)
{
	esess_keypool_free(p->pa);
	esess_keypool_free(p->pb);
}

static void
refill(Pair *p)
{
	if (p->pa != NULL)
		while (esess_keypool_fill_one(p->pa, group15, 1))
			;
	if (p->pb != NULL)
		while (esess_keypool_fill_one(p->pb, group15, 1))
			;
}

static char *
stamp(const char *stanza, const char *from)
{
	if (strncmp(stanza, "<message", 8) != 0)
		bench_fail("negotiation", "the engine sent something that is not a <message/>");
	return g_strdup_printf("<message from='%s'%s", from, stanza + 8);
}

static void
deliver(Pair *p, EsessStep *out, gboolean to_bob, EsessChat *alice, EsessChat **bob,
	EsessStep *reply)
{
	guint i;

	for (i = 0; out->send != NULL && i < out->send->len; i++) {
		char *s = stamp(g_ptr_array_index(out->send, i), to_bob ? ALICE_FULL : BOB_FULL);
		EsessMsgInfo info;
		EsessStatus r;

		memset(&info, 0, sizeof info);
		r = esess_msg_inspect(s, strlen(s), to_bob ? BOB_FULL : ALICE_FULL, &info);
		if (r != ESESS_OK)
			bench_fail("esess_msg_inspect", esess_status_name(r));
		if (to_bob && *bob == NULL)
			r = esess_chat_accept(&p->bob, &info, bob, reply);
		else
			r = esess_chat_receive(to_bob ? *bob : alice, &info, reply);
		if (r != ESESS_OK)
			bench_fail("negotiation", esess_status_name(r));
		esess_msg_info_clear(&info);
		g_free(s);
	}
}

/* One complete negotiation, timed (pools refilled first, untimed). */
static double
negotiate_ns(Pair *p, EsessPeerKeyStatus want)
{
	EsessChat *alice = NULL, *bob = NULL;
	EsessStep a, b;
	guint round;
	gint64 t0;
	double t;

	refill(p);
	esess_step_init(&a);
	esess_step_init(&b);
	t0 = bench_now_ns();
	if (esess_chat_start(&p->alice, &alice, &a) != ESESS_OK)
		bench_fail("esess_chat_start", "failed");
	for (round = 0; round < MAX_ROUNDS; round++) {
		if (bob != NULL && esess_chat_state(alice) == ESESS_CHAT_ESTABLISHED &&
		    esess_chat_state(bob) == ESESS_CHAT_ESTABLISHED)
			break;
		esess_step_clear(&b);
		deliver(p, &a, TRUE, alice, &bob, &b);
		esess_step_clear(&a);
		deliver(p, &b, FALSE, alice, &bob, &a);
	}
	t = (double)(bench_now_ns() - t0);
	if (bob == NULL || esess_chat_state(alice) != ESESS_CHAT_ESTABLISHED ||
	    esess_chat_state(bob) != ESESS_CHAT_ESTABLISHED)
		bench_fail("negotiation", "did not reach ESTABLISHED on both sides");
	/* the measured path is the one meant: keys used, or not */
	if (esess_chat_peer_key_status(alice) != want || esess_chat_peer_key_status(bob) != want)
		bench_fail("negotiation", "public keys used (or not) against the column");
	esess_step_clear(&a);
	esess_step_clear(&b);
	esess_chat_free(alice);
	esess_chat_free(bob);
	return t;
}

static void
row(const char *name, double *v, size_t n, double base)
{
	char b1[32], b2[32], b3[32];
	double lo, hi, med;

	med = bench_median(v, n); /* sorts v */
	lo = v[0];
	hi = v[n - 1];
	printf("  %-34s %12s  (%s .. %s)", name, bench_fmt_ns(med, b1, sizeof b1),
	       bench_fmt_ns(lo, b2, sizeof b2), bench_fmt_ns(hi, b3, sizeof b3));
	if (base > 0.0)
		printf("  %.2fx", med / base);
	printf("\n");
}

int
main(int argc, char **argv)
{
	size_t samples = bench_reps(21, 3), gens = 3, s;
	EsessIdKey *ka = NULL, *kb = NULL;
	double *t_plain_w = g_new0(double, samples), *t_key_w = g_new0(double, samples);
	double *t_plain_c = g_new0(double, samples), *t_key_c = g_new0(double, samples);
	double *t_gen = g_new0(double, gens), *t_gen_sorted;
	double plain_w, plain_c;
	Pair plain_warm, key_warm, plain_cold, key_cold;

	(void)argc;
	(void)argv;
	if (esess_crypto_init() != ESESS_OK)
		bench_fail("esess_crypto_init", "failed");
	/* key generation, the plugin's worker-thread job: median of 3 */
	for (s = 0; s < gens; s++) {
		EsessIdKey *k = NULL;
		gint64 t0 = bench_now_ns();

		if (esess_idkey_generate(ESESS_IDKEY_BITS, &k) != ESESS_OK)
			bench_fail("esess_idkey_generate", "failed");
		t_gen[s] = (double)(bench_now_ns() - t0);
		if (ka == NULL)
			ka = k;
		else if (kb == NULL)
			kb = k;
		else
			esess_idkey_free(k);
	}
	pair_init(&plain_warm, NULL, NULL, TRUE);
	pair_init(&key_warm, ka, kb, TRUE);
	pair_init(&plain_cold, NULL, NULL, FALSE);
	pair_init(&key_cold, ka, kb, FALSE);
	/* once each, untimed */
	(void)negotiate_ns(&plain_warm, ESESS_PEER_KEY_NONE);
	(void)negotiate_ns(&key_warm, ESESS_PEER_KEY_NEW);
	/* interleaved sample by sample (doc/hacking.md) */
	for (s = 0; s < samples; s++) {
		t_plain_w[s] = negotiate_ns(&plain_warm, ESESS_PEER_KEY_NONE);
		t_key_w[s] = negotiate_ns(&key_warm, ESESS_PEER_KEY_NEW);
		t_plain_c[s] = negotiate_ns(&plain_cold, ESESS_PEER_KEY_NONE);
		t_key_c[s] = negotiate_ns(&key_cold, ESESS_PEER_KEY_NEW);
	}
	printf("bench-pubkey: INTEROP R21 public-key identity, group 15, both sides in one "
	       "process\n");
	printf("  medians of %zu interleaved runs, (min .. max), and the ratio to the same "
	       "negotiation without keys\n", samples);
	plain_w = bench_median(t_plain_w, samples);
	plain_c = bench_median(t_plain_c, samples);
	row("prepared DH keys, no identity keys", t_plain_w, samples, 0.0);
	row("prepared DH keys, RSA 3072 keys", t_key_w, samples, plain_w);
	row("computed DH keys, no identity keys", t_plain_c, samples, 0.0);
	row("computed DH keys, RSA 3072 keys", t_key_c, samples, plain_c);
	t_gen_sorted = g_memdup2(t_gen, gens * sizeof *t_gen);
	printf("identity key generation (RSA %u, GnuTLS), %zu runs:\n", ESESS_IDKEY_BITS, gens);
	row("esess_idkey_generate", t_gen_sorted, gens, 0.0);
	pair_clear(&plain_warm);
	pair_clear(&key_warm);
	pair_clear(&plain_cold);
	pair_clear(&key_cold);
	esess_idkey_free(ka);
	esess_idkey_free(kb);
	g_free(t_plain_w);
	g_free(t_key_w);
	g_free(t_plain_c);
	g_free(t_key_c);
	g_free(t_gen);
	g_free(t_gen_sorted);
	return 0;
}
