/*
 * bench-message1.c - the initiator's time to produce message 1 (the
 * XEP-0116 request, esess_chat_start) with a full key pool (issue 11 item
 * 5: under 0.1 ms; public values from the nonce generator).
 *
 * Built twice:
 *   bench-message1      libotr is not in the process: libgcrypt is set up
 *                       by the engine with its own secure memory, as Pidgin
 *                       runs this plugin alone;
 *   bench-message1-otr  otrl_init runs first, as when pidgin-otr is loaded
 *                       before this plugin: libotr replaces libgcrypt's
 *                       allocator with plain malloc for the whole process
 *                       (issue 11 item 6).
 *
 * Two offers: group 15 alone, and the plugin's default offer (15, 14, 16 for
 * a 2048-bit minimum, esess_policy_groups).  Each run fills its pools first,
 * untimed (in the plugin that is idle work, long done when the user starts
 * a chat), then takes message 1 from each.  Prints the median over runs of
 * each run's median message, with the fastest and slowest run.
 *
 * Three cases:
 *   from a full pool     message after message: the code and data of
 *                        message 1 stay in the CPU caches (warm);
 *   right after refill   each message just after its pool's key
 *                        generation (4096-bit arithmetic for group 16);
 *   every cache cold     each message just after 64 MiB were written,
 *                        which evicts every cache level (the L3 here is
 *                        32 MiB): message 1's code and data come from
 *                        memory.
 * The second case does no more work than the first: under callgrind its
 * instruction count is no higher (it was 5% lower), it makes at most two
 * secure allocations and takes at most one page fault, as the first does;
 * pinned to one CPU it is as slow; a CPU-bound spin of 5-20 ms before the
 * message changes nothing, while one 4096-bit modular exponentiation
 * alone makes it about 50 us.  So it
 * is the key generation's disturbance of the caches (and of what the CPU
 * has learnt of message 1's code), not work of ours: the third case is its
 * limit.  What a user hits lies between the last two: in the plugin the
 * refill is a low-priority idle callback (esess-peers.c), and a chat is
 * started from a user action, after the toolkit has handled the click; the
 * code of message 1 last ran when the previous chat was started.
 * Figures only; never fails on time (doc/hacking.md).
 *
 *   bench-message1 [RUNS]       RUNS runs (default 7, at least 3)
 *   ESESS_BENCH_SCALE=0.2       fewer messages per run
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "esess-chat.h"
#include "esess-crypto.h"
#include "esess-status.h"

#include "bench-util.h"

#ifdef BENCH_WITH_OTR
#include <gcrypt.h>
#include <libotr/proto.h>
#endif

typedef struct {
	const char *label;
	const guint *groups;
	size_t n_groups;
} M1Offer;

static const guint offer_15[] = { 15 };
static const guint offer_default[] = { 15, 14, 16 };

static const M1Offer m1_offers[] = {
	{ "group 15", offer_15, G_N_ELEMENTS(offer_15) },
	{ "15, 14, 16 (default)", offer_default, G_N_ELEMENTS(offer_default) },
};

static void
m1_config(EsessChatConfig *c, const M1Offer *o, EsessKeyPool *pool)
{
	memset(c, 0, sizeof(*c));
	c->account = "alice@localhost";
	c->own_jid = "alice@localhost/bench";
	c->peer_jid = "bob@localhost/bench";
	c->store = NULL;
	c->pool = pool;
	c->min_modp_bits = 2048;
	c->modp_offer = o->groups;
	c->n_modp_offer = o->n_groups;
	c->logging = ESESS_LOGPREF_PREFER;
	c->peer_has_plugin = TRUE;
	c->placeholder = "[This message is encrypted.]";
}

/* One message 1 from a full pool: wall-clock ns of esess_chat_start. */
static double
m1_once(EsessChatConfig *c)
{
	EsessChat *chat = NULL;
	EsessStep step;
	EsessStatus r;
	gint64 t0;
	double t;

	esess_step_init(&step);
	t0 = bench_now_ns();
	r = esess_chat_start(c, &chat, &step);
	t = (double)(bench_now_ns() - t0);
	if (r != ESESS_OK || step.send == NULL || step.send->len != 1)
		bench_fail("esess_chat_start", esess_status_name(r));
	esess_step_clear(&step);
	esess_chat_free(chat);
	return t;
}

/* The same, each message right after its pool's refill: the same work as
 * from a full pool (see the top of this file), with the caches as the key
 * generation left them. */
static double
m1_run_after_refill(const M1Offer *o, size_t n, double *one)
{
	EsessKeyPool *pool = esess_keypool_new();
	EsessChatConfig c;
	size_t k;

	m1_config(&c, o, pool);
	for (k = 0; k < n; k++) {
		while (esess_keypool_fill_one(pool, o->groups, o->n_groups))
			;
		one[k] = m1_once(&c);
	}
	esess_keypool_free(pool);
	return bench_median(one, n);
}

/* 64 MiB, written before each message of the cold case: more than every
 * cache level together. */
#define M1_EVICT_BYTES (64u * 1024u * 1024u)
static guint8 *m1_evict_buf;

static void
m1_evict_caches(void)
{
	size_t i;

	if (m1_evict_buf == NULL)
		m1_evict_buf = g_malloc(M1_EVICT_BYTES);
	/* one write a cache line: the lines are owned, and the old ones out */
	for (i = 0; i < M1_EVICT_BYTES; i += 64)
		m1_evict_buf[i] = (guint8)(m1_evict_buf[i] + i);
}

/* As m1_run, every cache emptied before each message (untimed). */
static double
m1_run_cold(const M1Offer *o, size_t n, double *one)
{
	EsessKeyPool **pools = g_new0(EsessKeyPool *, n);
	EsessChatConfig c;
	double med;
	size_t k;

	for (k = 0; k < n; k++) {
		pools[k] = esess_keypool_new();
		while (esess_keypool_fill_one(pools[k], o->groups, o->n_groups))
			;
	}
	for (k = 0; k < n; k++) {
		m1_config(&c, o, pools[k]);
		m1_evict_caches();
		one[k] = m1_once(&c);
	}
	med = bench_median(one, n);
	for (k = 0; k < n; k++)
		esess_keypool_free(pools[k]);
	g_free(pools);
	return med;
}

/* One run: n full pools prepared first (untimed; in the plugin that is idle
 * work, long done when the user starts a chat), then message 1 from each in
 * turn, so that no key generation runs between two timed messages.  The
 * median message. */
static double
m1_run(const M1Offer *o, size_t n, double *one)
{
	EsessKeyPool **pools = g_new0(EsessKeyPool *, n);
	EsessChatConfig c;
	double med;
	size_t k;

	for (k = 0; k < n; k++) {
		pools[k] = esess_keypool_new();
		while (esess_keypool_fill_one(pools[k], o->groups, o->n_groups))
			;
	}
	for (k = 0; k < n; k++) {
		m1_config(&c, o, pools[k]);
		one[k] = m1_once(&c);
	}
	med = bench_median(one, n);
	for (k = 0; k < n; k++)
		esess_keypool_free(pools[k]);
	g_free(pools);
	return med;
}

int
main(int argc, char **argv)
{
	size_t runs = 7;
	size_t per_run = bench_reps(40, 10);
	double *one, *run_med;
	EsessStatus r;
	size_t oi, s;

	if (argc > 1) {
		runs = (size_t)g_ascii_strtoull(argv[1], NULL, 10);
		if (runs < 3)
			runs = 3;
	}
#ifdef BENCH_WITH_OTR
	/* pidgin-otr first: libotr sets libgcrypt up with its own allocation
	 * handlers (otrl_mem_init), then this plugin finds it initialised */
	if (otrl_init(OTRL_VERSION_MAJOR, OTRL_VERSION_MINOR, OTRL_VERSION_SUB))
		bench_fail("libotr", "otrl_init");
#endif
	r = esess_crypto_init();
	if (r != ESESS_OK)
		bench_fail("esess_crypto_init", esess_status_name(r));
	one = g_new0(double, per_run);
	run_med = g_new0(double, runs);

#ifdef BENCH_WITH_OTR
	printf("bench-message1-otr: otrl_init ran first (libotr's allocator for the whole "
	       "process)\n");
#else
	printf("bench-message1: libotr not in the process (libgcrypt's secure memory, set up "
	       "by the engine)\n");
#endif
	printf("  message 1 (esess_chat_start) from a full key pool: median of %zu runs "
	       "[fastest run, slowest run],\n  each run the median of %zu messages\n", runs,
	       per_run);
	for (oi = 0; oi < 3 * G_N_ELEMENTS(m1_offers); oi++) {
		const M1Offer *o = &m1_offers[oi % G_N_ELEMENTS(m1_offers)];
		guint mode = (guint)(oi / G_N_ELEMENTS(m1_offers));
		double lo, hi, med;
		char b1[32], b2[32], b3[32];

		if (oi == G_N_ELEMENTS(m1_offers))
			printf("  each message right after its pool's refill (the same work, "
			       "caches disturbed):\n");
		else if (oi == 2 * G_N_ELEMENTS(m1_offers))
			printf("  each message with every cache cold (64 MiB written before "
			       "it):\n");
		/* one untimed run first: first-use costs are not per message */
		(void)m1_run(o, 3, one);
		for (s = 0; s < runs; s++)
			run_med[s] = mode == 1 ? m1_run_after_refill(o, per_run, one) :
				     mode == 2 ? m1_run_cold(o, per_run, one) :
						 m1_run(o, per_run, one);
		lo = hi = run_med[0];
		for (s = 1; s < runs; s++) {
			lo = MIN(lo, run_med[s]);
			hi = MAX(hi, run_med[s]);
		}
		med = bench_median(run_med, runs);
		printf("  offer %-22s %10s [%s, %s]   target < 0.1 ms: %s\n", o->label,
		       bench_fmt_ns(med, b1, sizeof(b1)), bench_fmt_ns(lo, b2, sizeof(b2)),
		       bench_fmt_ns(hi, b3, sizeof(b3)), med < 1e5 ? "met" : "NOT met");
	}
	g_free(one);
	g_free(run_med);
	g_free(m1_evict_buf);
	return 0;
}
