/*
 * bench-scale.c - the per-message cost with 1, 100 and 1000 established
 * pairs of sessions live in one process (issue 11 item 1): one 100-byte
 * message encrypted (esess_session_encrypt, "send") and decrypted
 * (esess_session_decrypt_text, "receive"), each message on the next pair in
 * turn (round robin), as a client with that many conversations sees them.
 * The sessions hold their keys, MAC pads and group-14 DH key pairs in
 * libgcrypt's secure memory, as negotiated sessions do.
 *
 * The work per run is the same at each size: B messages (B a multiple of
 * 1000), message k on pair k mod N, in chunks of 100 sends then the same 100
 * receives (the wire buffers stay few and cache-warm alike at every size) (each pair receives its own messages in order).  What changes with
 * N is only how many sessions' state a run touches, so the ratio shows what
 * grows with the number of sessions: cache and TLB misses on per-session
 * state, lookups, the allocators.  The pairs are added as the sizes grow, so
 * that at each size exactly that many are live.
 *
 * The machine is shared and its speed drifts by tens of percent within
 * seconds: at N > 1 pairs each chunk of 100 messages round robin alternates
 * with a chunk of 100 on the first pair alone (its state hot, as with one
 * conversation; "1 pair, alt"), and the ratio is the median of the runs'
 * ratios of the two, which that drift touches alike.
 *
 * libgcrypt is set up by the engine; libotr is never linked here (otrl_init
 * replaces libgcrypt's allocator with plain malloc for the whole process).
 *
 * Prints, per size, the median over runs of the mean CPU time per message,
 * with the fastest and slowest run, for send, receive and both, and the
 * median ratio to one pair (issue target at 1000 pairs: at most 1.10).
 * This program prints figures; it never fails on time.
 *
 *   bench-scale [RUNS]          RUNS runs per size (default 9, at least 3)
 *   ESESS_BENCH_SCALE=0.25      fewer messages per run (a quick run)
 *   ESESS_BENCH_SCALE_SIZES=1000  only these sizes (comma-separated; profiling)
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "esess-crypto.h"
#include "esess-mem.h"
#include "esess-session.h"
#include "esess-status.h"
#include "esess-xml.h"

#include "bench-util.h"

#define BENCH_KEY_LEN 32
#define BENCH_GROUP 14

static const guint bench_counts[] = { 1, 100, 1000 };

typedef struct {
	EsessSession *alice;  /* sends */
	EsessSession *bob;    /* receives */
} ScalePair;

/* Two established sessions whose keys and counters mirror each other, each
 * holding a group-14 key pair for re-keying, as a negotiated session does. */
static void
scale_pair_init(ScalePair *p)
{
	EsessSecret *k[4];
	EsessSessionParams a, b;
	guint8 ca[ESESS_COUNTER_LEN], cb[ESESS_COUNTER_LEN];
	EsessDhKey *da = NULL, *db = NULL;
	const guint8 *pa, *pb;
	size_t la, lb;
	EsessStatus r;
	guint i;

	for (i = 0; i < G_N_ELEMENTS(k); i++) {
		k[i] = esess_secret_new(BENCH_KEY_LEN);
		esess_random(k[i]->data, k[i]->len);
	}
	esess_random(ca, sizeof(ca));
	esess_counter_flip_top(ca, cb);
	if (esess_dh_keygen(BENCH_GROUP, &da) != ESESS_OK ||
	    esess_dh_keygen(BENCH_GROUP, &db) != ESESS_OK)
		bench_fail("esess_dh_keygen", "group 14");
	pa = esess_dh_key_public(da, &la);
	pb = esess_dh_key_public(db, &lb);

	memset(&a, 0, sizeof(a));
	a.own_cipher_key = k[0];
	a.own_mac_key = k[1];
	a.peer_cipher_key = k[2];
	a.peer_mac_key = k[3];
	memcpy(a.own_counter, ca, sizeof(ca));
	memcpy(a.peer_counter, cb, sizeof(cb));
	a.group = BENCH_GROUP;
	a.own_dh = da;
	a.peer_public = pb;
	a.peer_public_len = lb;

	memset(&b, 0, sizeof(b));
	b.own_cipher_key = k[2];
	b.own_mac_key = k[3];
	b.peer_cipher_key = k[0];
	b.peer_mac_key = k[1];
	memcpy(b.own_counter, cb, sizeof(cb));
	memcpy(b.peer_counter, ca, sizeof(ca));
	b.group = BENCH_GROUP;
	b.own_dh = db;
	b.peer_public = pa;
	b.peer_public_len = la;

	/* peer_public is copied by esess_session_new before either key pair
	 * could be freed: the sessions take ownership of da and db */
	r = esess_session_new(&a, &p->alice);
	if (r != ESESS_OK)
		bench_fail("esess_session_new (alice)", esess_status_name(r));
	r = esess_session_new(&b, &p->bob);
	if (r != ESESS_OK)
		bench_fail("esess_session_new (bob)", esess_status_name(r));
	for (i = 0; i < G_N_ELEMENTS(k); i++)
		esess_secret_free(k[i]);
}

/* CPU time of this thread: on a shared machine the time spent descheduled
 * would otherwise swamp a 1 us message. */
static gint64
scale_cpu_ns(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) != 0)
		return bench_now_ns();
	return (gint64)ts.tv_sec * G_GINT64_CONSTANT(1000000000) + ts.tv_nsec;
}

/* A <body/> payload whose text is exactly body_len bytes. */
static char *
scale_payload(size_t body_len, size_t *len)
{
	GString *s = g_string_sized_new(body_len + 16);
	size_t i;

	g_string_append(s, "<body>");
	for (i = 0; i < body_len; i++)
		g_string_append_c(s, "pack my box with five dozen liquor jugs. "[i % 41]);
	g_string_append(s, "</body>");
	*len = s->len;
	return g_string_free(s, FALSE);
}

/* Sends then receives one chunk of SCALE_CHUNK messages, message k on pair
 * (*next)++ mod n; adds their CPU ns to *send and *recv. */
#define SCALE_CHUNK 100

static void
scale_chunk(GArray *pairs, guint n, guint *next, GString **wires, const char *payload,
	    size_t plen, gint64 *send, gint64 *recv)
{
	guint first = *next;
	gint64 t0, t1, t2;
	size_t k;

	for (k = 0; k < SCALE_CHUNK; k++)
		g_string_truncate(wires[k], 0);
	t0 = scale_cpu_ns();
	for (k = 0; k < SCALE_CHUNK; k++) {
		ScalePair *p = &g_array_index(pairs, ScalePair, (first + k) % n);
		EsessStatus r = esess_session_encrypt(p->alice, payload, plen, wires[k]);

		if (G_UNLIKELY(r != ESESS_OK))
			bench_fail("esess_session_encrypt", esess_status_name(r));
	}
	t1 = scale_cpu_ns();
	for (k = 0; k < SCALE_CHUNK; k++) {
		ScalePair *p = &g_array_index(pairs, ScalePair, (first + k) % n);
		EsessXmlNode *node = NULL;
		EsessStatus r = esess_session_decrypt_text(p->bob, wires[k]->str, wires[k]->len,
							   &node, NULL, NULL);

		if (G_UNLIKELY(r != ESESS_OK || node == NULL))
			bench_fail("esess_session_decrypt_text", esess_status_name(r));
		esess_xml_free(node);
	}
	t2 = scale_cpu_ns();
	*next = (first + SCALE_CHUNK) % n;
	*send += t1 - t0;
	*recv += t2 - t1;
}

/* One run: batch messages round robin over the first n pairs and, chunk by
 * chunk in alternation, batch messages on the first pair alone (so that the
 * machine's drift touches both alike); the mean CPU ns per message. */
static void
scale_run(GArray *pairs, guint n, GString **wires, size_t batch, const char *payload,
	  size_t plen, double out[2], double ref[2])
{
	gint64 send = 0, recv = 0, rsend = 0, rrecv = 0;
	guint next = 0, next1 = 0;
	size_t base;

	for (base = 0; base < batch; base += SCALE_CHUNK) {
		scale_chunk(pairs, n, &next, wires, payload, plen, &send, &recv);
		if (n > 1)
			scale_chunk(pairs, 1, &next1, wires, payload, plen, &rsend, &rrecv);
	}
	out[0] = (double)send / (double)batch;
	out[1] = (double)recv / (double)batch;
	ref[0] = (double)rsend / (double)batch;
	ref[1] = (double)rrecv / (double)batch;
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

static gboolean
scale_size_wanted(guint n)
{
	const char *sizes = g_getenv("ESESS_BENCH_SCALE_SIZES");
	gchar **v;
	gboolean found = FALSE;
	guint i;

	if (sizes == NULL || *sizes == '\0')
		return TRUE;
	v = g_strsplit(sizes, ",", -1);
	for (i = 0; v[i] != NULL; i++)
		if ((guint)g_ascii_strtoull(v[i], NULL, 10) == n)
			found = TRUE;
	g_strfreev(v);
	return found;
}

static void
scale_print_row(const char *label, double *v[3], size_t runs)
{
	guint j;

	printf("%-13s", label);
	for (j = 0; j < 3; j++) {
		ScaleStat st = scale_stat(v[j], runs);
		char cell[64];

		g_snprintf(cell, sizeof(cell), "%.0f [%.0f, %.0f]", st.med, st.lo, st.hi);
		printf(" %-20s", cell);
	}
	printf("\n");
}

int
main(int argc, char **argv)
{
	size_t runs = 9;
	/* a multiple of every size: the same messages per pair at each size */
	size_t batch = bench_reps(4, 1) * 1000;
	GArray *pairs;
	GString **wires;
	double *v[3], *ref[3], *ratio[3], o[2], r[2];
	char *payload;
	size_t plen, k;
	guint ci, j;

	if (argc > 1) {
		runs = (size_t)g_ascii_strtoull(argv[1], NULL, 10);
		if (runs < 3)
			runs = 3;
	}
	if (esess_crypto_init() != ESESS_OK)
		bench_fail("esess_crypto_init", "libgcrypt");
	/* the benchmark's own bookkeeping in one array: a pointer per pair
	 * to a block of its own would add a cache miss per message that is
	 * not the engine's */
	pairs = g_array_new(FALSE, TRUE, sizeof(ScalePair));
	payload = scale_payload(100, &plen);
	wires = g_new0(GString *, SCALE_CHUNK);
	for (k = 0; k < SCALE_CHUNK; k++)
		wires[k] = g_string_sized_new(512);
	for (j = 0; j < 3; j++) {
		v[j] = g_new0(double, runs);
		ref[j] = g_new0(double, runs);
		ratio[j] = g_new0(double, runs);
	}

	printf("bench-scale: one 100-byte message per step, round robin over N established "
	       "pairs\n  (2N sessions, group-14 key pairs held), libotr not in the process; "
	       "%zu messages per run;\n  CPU ns per message: median of %zu runs "
	       "[fastest run, slowest run]\n", batch, runs);
	printf("%-13s %-20s %-20s %-20s\n", "", "send (encrypt)", "receive (decrypt)",
	       "send + receive");
	for (ci = 0; ci < G_N_ELEMENTS(bench_counts); ci++) {
		guint n = bench_counts[ci];
		char label[32];
		size_t s;

		if (!scale_size_wanted(n))
			continue;
		while (pairs->len < n) {
			ScalePair p;

			scale_pair_init(&p);
			g_array_append_val(pairs, p);
		}
		/* one untimed run: first-touch costs are not per message */
		scale_run(pairs, n, wires, batch, payload, plen, o, r);
		for (s = 0; s < runs; s++) {
			scale_run(pairs, n, wires, batch, payload, plen, o, r);
			v[0][s] = o[0];
			v[1][s] = o[1];
			v[2][s] = o[0] + o[1];
			ref[0][s] = r[0];
			ref[1][s] = r[1];
			ref[2][s] = r[0] + r[1];
			for (j = 0; j < 3 && n > 1; j++)
				ratio[j][s] = v[j][s] / ref[j][s];
		}
		g_snprintf(label, sizeof(label), "%u pair%s", n, n == 1 ? "" : "s");
		scale_print_row(label, v, runs);
		if (n > 1) {
			scale_print_row("  1 pair, alt", ref, runs);
			printf("  ratio %u pairs / 1 pair (median of the runs' ratios): send %.2f, "
			       "receive %.2f, send + receive %.2f%s\n", n,
			       bench_median(ratio[0], runs), bench_median(ratio[1], runs),
			       bench_median(ratio[2], runs),
			       n == 1000 ? " (target <= 1.10)" : "");
		}
		fflush(stdout);
	}

	for (j = 0; j < pairs->len; j++) {
		ScalePair *p = &g_array_index(pairs, ScalePair, j);

		esess_session_free(p->alice);
		esess_session_free(p->bob);
	}
	g_array_free(pairs, TRUE);
	for (k = 0; k < SCALE_CHUNK; k++)
		g_string_free(wires[k], TRUE);
	g_free(wires);
	g_free(payload);
	for (j = 0; j < 3; j++) {
		g_free(v[j]);
		g_free(ref[j]);
		g_free(ratio[j]);
	}
	return 0;
}
