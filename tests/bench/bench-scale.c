/*
 * bench-scale.c - the per-message cost with 1, 8, 100 and 1000 established
 * pairs of chats live in one process (issue 11 item 1), on the path the
 * adapter runs for every message: esess_chat_encrypt_c on the sender's chat
 * ("send") and esess_chat_receive_c on the receiver's ("receive"), one
 * 100-byte <body/> each.  The pairs are negotiated through the chat API
 * (group 14, no store), as bench-memory does, and added as the sizes grow,
 * so that at each size exactly that many pairs are live.
 *
 * Two patterns, measured in the same run, chunk by chunk in alternation (so
 * that the machine's drift touches both alike):
 *
 *   one active   every message on the first pair while N pairs exist: a
 *                client with one conversation going and N open.  What grows
 *                here with N is work that depends on the number of sessions
 *                (lookups, allocators, tables): the "per-message
 *                cost that does not grow with the number of sessions".
 *   round robin  message k on pair k mod N: every message on another
 *                session, whose state was last touched N messages ago.  On
 *                top of the first, each message pays for switching sessions
 *                (the shared AES handles re-keyed, esess-crypto.c) and, past
 *                a few hundred sessions, for the session's state being out
 *                of the nearer caches.  Neither is work that grows with N:
 *                the switch costs the same at 8 pairs as at 1000, and the
 *                misses rise as the sessions' state outgrows each cache
 *                level (about 1.5 KB per session and side, bench-memory: a
 *                core's 1 MiB L2 here holds some 300 pairs), bounded by the
 *                cache lines one message reads (bench-scale-callgrind counts
 *                4.6 misses in a 1 MiB last level per message sent and
 *                received at 1000 pairs, none at one; 14.8 while chats and
 *                their thread and JID strings were heap blocks of their
 *                own, doc/hacking.md).
 *
 * At one pair both patterns are the same.  The work per run is the same at
 * each size: B messages per pattern (B a multiple of 1000), in chunks of 100
 * sends then the same 100 receives.
 *
 * Prints, per size and pattern, the median over runs of the mean CPU time
 * per message with the fastest and slowest run ([min-max]), for send,
 * receive and both; the ratios of the medians to one pair (issue target at
 * 1000 pairs: at most 1.10); and, per size, the median of the runs' own
 * ratios round robin / one active with the lowest and highest of them
 * (drift touches both halves alike).  A
 * deterministic figure of the same comparison is the instruction count per
 * message under callgrind: `make bench-scale-callgrind`
 * (bench-scale-callgrind.sh), which runs this program with
 * ESESS_BENCH_SCALE_CALLGRIND set (it then also prints how many messages
 * each pattern's function measured).
 *
 * libgcrypt is set up by the engine; libotr is never linked here (otrl_init
 * replaces libgcrypt's allocator with plain malloc for the whole process).
 * This program prints figures; it never fails on time.
 *
 *   bench-scale [RUNS]            RUNS runs per size (default 9, at least 3)
 *   ESESS_BENCH_SCALE=0.25        fewer messages per run (a quick run)
 *   ESESS_BENCH_SCALE_SIZES=1,500  these sizes instead (comma-separated, at
 *                                 most 8, each 1 to 10000)
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "esess-chat.h"
#include "esess-crypto.h"
#include "esess-status.h"

#include "bench-util.h"
#include "neg-harness.h"

/* 8: every message of round robin switches sessions, all of them still in
 * the nearest caches (the switch alone) */
static const guint bench_counts[] = { 1, 8, 100, 1000 };
#define SCALE_MAX_SIZES 8

#define SCALE_CHUNK 100
#define SCALE_BODY_LEN 100

enum { PAT_ONE, PAT_RR, N_PAT };
static const char *const pat_names[N_PAT] = { "one active", "round robin" };

typedef struct {
	EsessChat *alice; /* sends */
	EsessChat *bob;   /* receives */
} ScalePair;

typedef struct {
	GArray *pairs;                /* ScalePair */
	const char *from;             /* alice's full JID (the outer from) */
	char *children;               /* the serialised <body/> */
	size_t children_len;
	EsessCOut out[SCALE_CHUNK];   /* the chunk's messages on their way */
	gsize sink_bytes;             /* what the receiver was handed */
	guint64 counted[N_PAT];       /* messages each pattern's function ran, in all */
} Scale;

/* CPU time of this thread: on a shared machine the time spent descheduled
 * would otherwise swamp a few-microsecond message. */
static gint64
scale_cpu_ns(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) != 0)
		return bench_now_ns();
	return (gint64)ts.tv_sec * G_GINT64_CONSTANT(1000000000) + ts.tv_nsec;
}

/* The receiver's sink, as the adapter's builds nodes: it sees every byte. */
static void
sink_open(gpointer data, const char *name, const char *ns, guint n_attrs,
	  const EsessPayloadAttr *attrs)
{
	Scale *sc = data;

	(void)ns;
	(void)attrs;
	sc->sink_bytes += strlen(name) + n_attrs;
}

static void
sink_text(gpointer data, const char *text, size_t len)
{
	Scale *sc = data;

	sc->sink_bytes += len + (len > 0 ? (guchar)text[0] % 2 : 0);
}

static void
sink_close(gpointer data)
{
	(void)data;
}

static const EsessPayloadSink scale_sink = { sink_open, sink_text, sink_close };

/* The child of an outgoing <c/> called name (the adapter reads the same). */
static const EsessCChild *
scale_child(const EsessCOut *o, const char *name)
{
	guint i;

	for (i = 0; o->children != NULL && i < o->children->len; i++) {
		const EsessCChild *ch = g_ptr_array_index(o->children, i);

		if (strcmp(ch->name, name) == 0)
			return ch;
	}
	return NULL;
}

/* Sends then receives one chunk of SCALE_CHUNK messages, message k on pair
 * (first + k) mod n; adds their CPU ns to t[0] (send) and t[1] (receive).
 * Kept out of line so that callgrind can count each pattern apart. */
static G_GNUC_NO_INLINE void
scale_chunk(Scale *sc, guint first, guint n, gint64 t[2])
{
	EsessStep step;
	gint64 t0, t1, t2;
	size_t k;

	t0 = scale_cpu_ns();
	for (k = 0; k < SCALE_CHUNK; k++) {
		ScalePair *p = &g_array_index(sc->pairs, ScalePair, (first + k) % n);
		EsessStatus r;

		esess_step_init(&step);
		r = esess_chat_encrypt_c(p->alice, sc->children, sc->children_len, &sc->out[k],
					 &step);
		if (G_UNLIKELY(r != ESESS_OK))
			bench_fail("esess_chat_encrypt_c", esess_status_name(r));
		esess_step_clear(&step);
	}
	t1 = scale_cpu_ns();
	for (k = 0; k < SCALE_CHUNK; k++) {
		ScalePair *p = &g_array_index(sc->pairs, ScalePair, (first + k) % n);
		const EsessCChild *data = scale_child(&sc->out[k], "data");
		const EsessCChild *mac = scale_child(&sc->out[k], "mac");
		EsessCIn in;
		EsessStatus r;

		memset(&in, 0, sizeof(in));
		in.from = sc->from;
		in.thread = sc->out[k].thread;
		in.has_body = sc->out[k].body != NULL;
		in.data = data->text;
		in.data_len = strlen(data->text);
		in.mac = mac->text;
		in.mac_len = strlen(mac->text);
		esess_step_init(&step);
		r = esess_chat_receive_c(p->bob, &in, &scale_sink, sc, &step);
		if (G_UNLIKELY(r != ESESS_OK || step.event != ESESS_EV_MESSAGE))
			bench_fail("esess_chat_receive_c", esess_status_name(r));
		esess_step_clear(&step);
	}
	t2 = scale_cpu_ns();
	for (k = 0; k < SCALE_CHUNK; k++)
		esess_c_out_clear(&sc->out[k]);
	t[0] += t1 - t0;
	t[1] += t2 - t1;
}

/* The two patterns in functions of their own: callgrind's --toggle-collect
 * counts each apart (bench-scale-callgrind.sh). */
static G_GNUC_NO_INLINE void
scale_pattern_one(Scale *sc, gint64 t[2])
{
	scale_chunk(sc, 0, 1, t);
	sc->counted[PAT_ONE] += SCALE_CHUNK;
}

static G_GNUC_NO_INLINE void
scale_pattern_rr(Scale *sc, guint first, guint n, gint64 t[2])
{
	scale_chunk(sc, first, n, t);
	sc->counted[PAT_RR] += SCALE_CHUNK;
}

/* One run at n pairs: batch messages in each pattern, chunk by chunk in
 * alternation; out[pattern][0 send, 1 receive] the mean CPU ns per message.
 * At one pair the patterns are the same and only one is run. */
static void
scale_run(Scale *sc, guint n, size_t batch, double out[N_PAT][2])
{
	gint64 t[N_PAT][2] = { { 0, 0 }, { 0, 0 } };
	guint next = 0;
	size_t base;
	guint j;

	for (base = 0; base < batch; base += SCALE_CHUNK) {
		if (n > 1) {
			scale_pattern_rr(sc, next, n, t[PAT_RR]);
			next = (next + SCALE_CHUNK) % n;
		}
		scale_pattern_one(sc, t[PAT_ONE]);
	}
	if (n == 1)
		memcpy(t[PAT_RR], t[PAT_ONE], sizeof(t[PAT_ONE]));
	for (j = 0; j < N_PAT; j++) {
		out[j][0] = (double)t[j][0] / (double)batch;
		out[j][1] = (double)t[j][1] / (double)batch;
	}
}

/* One more established pair of chats. */
static void
scale_add_pair(Scale *sc, NegParty *a, NegParty *b, NegWire *w)
{
	ScalePair p;

	if (!neg_run(a, b, w, TRUE))
		bench_fail("negotiation", "not established");
	p.alice = a->chat;
	p.bob = b->chat;
	a->chat = b->chat = NULL;
	g_array_append_val(sc->pairs, p);
	/* the wire keeps every stanza: not the sessions' state */
	neg_wire_clear(w);
	neg_wire_init(w, NULL, NULL);
	neg_party_reset(a);
	neg_party_reset(b);
}

typedef struct {
	double med, lo, hi;
} ScaleStat;

static ScaleStat
scale_stat(double *v, size_t n)
{
	ScaleStat st;
	size_t i;

	st.lo = st.hi = v[0];
	for (i = 1; i < n; i++) {
		st.lo = MIN(st.lo, v[i]);
		st.hi = MAX(st.hi, v[i]);
	}
	st.med = bench_median(v, n);
	return st;
}

/* The sizes to measure, ascending: bench_counts, or those listed in
 * ESESS_BENCH_SCALE_SIZES (any from 1 to 10000).  Returns how many. */
static guint
scale_sizes(guint out[SCALE_MAX_SIZES])
{
	const char *env = g_getenv("ESESS_BENCH_SCALE_SIZES");
	gchar **v;
	guint n = 0, i, j;

	if (env == NULL || *env == '\0') {
		for (i = 0; i < G_N_ELEMENTS(bench_counts); i++)
			out[n++] = bench_counts[i];
		return n;
	}
	v = g_strsplit(env, ",", -1);
	for (i = 0; v[i] != NULL && n < SCALE_MAX_SIZES; i++) {
		guint64 x = g_ascii_strtoull(v[i], NULL, 10);
		gboolean dup = FALSE;

		if (x < 1 || x > 10000)
			continue;
		for (j = 0; j < n; j++)
			dup = dup || out[j] == (guint)x;
		if (!dup)
			out[n++] = (guint)x;
	}
	g_strfreev(v);
	/* ascending: pairs are added as the sizes grow */
	for (i = 1; i < n; i++)
		for (j = i; j > 0 && out[j - 1] > out[j]; j--) {
			guint t = out[j];

			out[j] = out[j - 1];
			out[j - 1] = t;
		}
	return n;
}

/* v[0..2]: send, receive, both per run; prints median [min-max] of each and
 * returns the medians in med[0..2]. */
static void
scale_print_row(const char *label, double *v[3], size_t runs, double med[3])
{
	guint j;

	printf("  %-18s", label);
	for (j = 0; j < 3; j++) {
		ScaleStat st = scale_stat(v[j], runs);
		char cell[64];

		med[j] = st.med;
		g_snprintf(cell, sizeof(cell), "%.0f [%.0f-%.0f]", st.med, st.lo, st.hi);
		printf(" %-20s", cell);
	}
	printf("\n");
}

/* The figures of one size: per pattern, send / receive / both per run, and
 * the runs' own ratios round robin / one active. */
typedef struct {
	guint n;
	size_t done;
	double *v[N_PAT][3];
	double *within[3];
} ScaleSize;

/* Makes exactly n pairs live: negotiates more, or frees the newest. */
static void
scale_resize(Scale *sc, guint n, NegParty *a, NegParty *b, NegWire *w)
{
	while (sc->pairs->len < n)
		scale_add_pair(sc, a, b, w);
	while (sc->pairs->len > n) {
		ScalePair *pr = &g_array_index(sc->pairs, ScalePair, sc->pairs->len - 1);

		esess_chat_free(pr->alice);
		esess_chat_free(pr->bob);
		g_array_set_size(sc->pairs, sc->pairs->len - 1);
	}
}

/* count runs at size z (its pairs live), after one untimed run. */
static void
scale_measure(Scale *sc, ScaleSize *z, size_t count, size_t batch)
{
	double o[N_PAT][2];
	size_t s;
	guint p, j;

	/* first-touch costs are not per message */
	scale_run(sc, z->n, batch, o);
	for (s = 0; s < count; s++, z->done++) {
		scale_run(sc, z->n, batch, o);
		for (p = 0; p < N_PAT; p++) {
			z->v[p][0][z->done] = o[p][0];
			z->v[p][1][z->done] = o[p][1];
			z->v[p][2][z->done] = o[p][0] + o[p][1];
		}
		for (j = 0; j < 3; j++)
			z->within[j][z->done] = z->v[PAT_RR][j][z->done] / z->v[PAT_ONE][j][z->done];
	}
}

int
main(int argc, char **argv)
{
	size_t runs = 9, up;
	/* a multiple of every size: the same messages per pair at each size */
	size_t batch = bench_reps(4, 1) * 1000;
	gboolean cg = g_getenv("ESESS_BENCH_SCALE_CALLGRIND") != NULL;
	ScaleSize sizes[SCALE_MAX_SIZES];
	guint wanted[SCALE_MAX_SIZES], n_wanted;
	double base_med[N_PAT][3];
	gboolean have_base = FALSE;
	NegParty a, b;
	NegWire w;
	Scale sc;
	GString *body;
	size_t k, nz = 0;
	gint zi;
	guint ci, j, p;

	if (argc > 1) {
		runs = (size_t)g_ascii_strtoull(argv[1], NULL, 10);
		if (runs < 3)
			runs = 3;
	}
	if (esess_crypto_init() != ESESS_OK)
		bench_fail("esess_crypto_init", "libgcrypt");
	memset(&sc, 0, sizeof(sc));
	/* the benchmark's own bookkeeping in one array: a pointer per pair
	 * to a block of its own would add a cache miss per message that is
	 * not the engine's */
	sc.pairs = g_array_new(FALSE, TRUE, sizeof(ScalePair));
	body = g_string_new("<body>");
	for (k = 0; k < SCALE_BODY_LEN; k++)
		g_string_append_c(body, "pack my box with five dozen liquor jugs. "[k % 41]);
	g_string_append(body, "</body>");
	sc.children_len = body->len;
	sc.children = g_string_free(body, FALSE);
	neg_party_init(&a, "alice@example.org/pda", NULL);
	neg_party_init(&b, "bob@example.com/laptop", NULL);
	neg_wire_init(&w, NULL, NULL);
	sc.from = a.jid;
	memset(sizes, 0, sizeof(sizes));
	n_wanted = scale_sizes(wanted);
	for (ci = 0; ci < n_wanted; ci++) {
		ScaleSize *z;

		z = &sizes[nz++];
		z->n = wanted[ci];
		for (p = 0; p < N_PAT; p++)
			for (j = 0; j < 3; j++)
				z->v[p][j] = g_new0(double, runs);
		for (j = 0; j < 3; j++)
			z->within[j] = g_new0(double, runs);
	}

	/* The machine's speed drifts by tens of percent over seconds, and the
	 * sizes are measured one after the other: half the runs on the way up
	 * (pairs negotiated) and half on the way down (the newest pairs
	 * freed), so that a drift over the whole program touches every size
	 * alike (A B C C B A). */
	up = (runs + 1) / 2;
	for (zi = 0; zi < (gint)nz; zi++) {
		scale_resize(&sc, sizes[zi].n, &a, &b, &w);
		scale_measure(&sc, &sizes[zi], up, batch);
	}
	for (zi = (gint)nz - 1; zi >= 0; zi--) {
		scale_resize(&sc, sizes[zi].n, &a, &b, &w);
		scale_measure(&sc, &sizes[zi], runs - up, batch);
	}
	if (sc.sink_bytes == 0)
		bench_fail("receive", "nothing was delivered");

	printf("bench-scale: one %u-byte <body/> per message through the adapter's path "
	       "(esess_chat_encrypt_c,\n  esess_chat_receive_c), N established pairs of chats "
	       "(group 14) live, libotr not in the\n  process; %zu messages per pattern and run; "
	       "CPU ns per message: median of %zu runs [min-max]\n  (half of them with the "
	       "sizes growing, half shrinking)\n", SCALE_BODY_LEN, batch, runs);
	printf("  one active: every message on the first pair; round robin: message k on "
	       "pair k mod N\n");
	printf("  %-18s %-20s %-20s %-20s\n", "", "send", "receive", "send + receive");
	for (zi = 0; zi < (gint)nz; zi++) {
		ScaleSize *z = &sizes[zi];
		double med[N_PAT][3];

		printf("%u pair%s\n", z->n, z->n == 1 ? " (both patterns)" : "s");
		for (p = 0; p < N_PAT; p++) {
			if (z->n == 1 && p == PAT_RR) {
				memcpy(med[p], med[PAT_ONE], sizeof(med[p]));
				continue;
			}
			scale_print_row(pat_names[p], z->v[p], runs, med[p]);
		}
		if (z->n > 1) {
			ScaleStat wr[3];

			for (j = 0; j < 3; j++)
				wr[j] = scale_stat(z->within[j], runs);
			printf("  round robin / one active, median of the runs' own ratios "
			       "[min-max]: send %.2f [%.2f-%.2f], receive %.2f [%.2f-%.2f], both "
			       "%.2f [%.2f-%.2f]\n", wr[0].med, wr[0].lo, wr[0].hi, wr[1].med, wr[1].lo,
			       wr[1].hi, wr[2].med, wr[2].lo, wr[2].hi);
		}
		if (z->n == 1) {
			memcpy(base_med, med, sizeof(base_med));
			have_base = TRUE;
		} else if (have_base) {
			for (p = 0; p < N_PAT; p++)
				printf("  %s, %u pairs / 1 pair (medians): send %.2f, receive "
				       "%.2f, both %.2f%s\n", pat_names[p], z->n,
				       med[p][0] / base_med[p][0], med[p][1] / base_med[p][1],
				       med[p][2] / base_med[p][2],
				       z->n == 1000 ? " (target <= 1.10)" : "");
		}
	}
	/* every message the two functions ran, untimed runs included, as
	 * callgrind counts them */
	if (cg)
		printf("callgrind: one active %" G_GUINT64_FORMAT " messages, round robin %"
		       G_GUINT64_FORMAT " messages\n", sc.counted[PAT_ONE], sc.counted[PAT_RR]);

	scale_resize(&sc, 0, &a, &b, &w);
	g_array_free(sc.pairs, TRUE);
	neg_wire_clear(&w);
	neg_party_clear(&a);
	neg_party_clear(&b);
	g_free(sc.children);
	for (zi = 0; zi < (gint)nz; zi++) {
		for (p = 0; p < N_PAT; p++)
			for (j = 0; j < 3; j++)
				g_free(sizes[zi].v[p][j]);
		for (j = 0; j < 3; j++)
			g_free(sizes[zi].within[j]);
	}
	return 0;
}
