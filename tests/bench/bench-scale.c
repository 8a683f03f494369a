/*
 * bench-scale.c - the per-message cost with 1, 100 and 1000 established
 * pairs of sessions live in one process (issue 11 item 1): one 100-byte
 * message encrypted (esess_session_encrypt, "send") and decrypted
 * (esess_session_decrypt_text, "receive"), each message on the next pair in
 * turn (round robin), as a client with that many conversations sees them.
 * The sessions hold their keys, cipher and MAC state and group-14 DH key
 * pairs in libgcrypt's secure memory, as negotiated sessions do.
 *
 * The work per timed batch is the same at each size: a batch of B messages
 * (B a multiple of 1000), message k on pair k mod N; first the B sends, then
 * the B receives in the same order (each pair receives its own messages in
 * order).  What changes with N is only how many sessions' state the batch
 * touches, so the ratio shows what grows with the number of sessions: cache
 * misses on per-session state, lookups, the allocators.
 *
 * libgcrypt is set up by the engine; libotr is never linked here (otrl_init
 * replaces libgcrypt's allocator with plain malloc for the whole process).
 *
 * Prints, per size, the median over runs of the mean CPU time per message,
 * with the fastest and slowest run, for send, receive and both, and the
 * ratio of the 1000-pair median to the 1-pair median (issue target: at most
 * 1.10).  This program prints figures; it never fails on time.
 *
 *   bench-scale [RUNS]          RUNS timed batches per size (default 9, >= 3)
 *   ESESS_BENCH_SCALE=0.1       fewer messages per batch (a quick run)
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

/* One timed run: batch messages round robin over the first n pairs, in
 * chunks of SCALE_CHUNK sends then the same SCALE_CHUNK receives (the wire
 * buffers stay few and cache-warm, alike at every size); the mean CPU ns per
 * message for sending and for receiving. */
#define SCALE_CHUNK 100

static void
scale_batch(GPtrArray *pairs, guint n, GString **wires, size_t batch, const char *payload,
	    size_t plen, double *send_ns, double *recv_ns)
{
	gint64 t0, t1, t2, send = 0, recv = 0;
	size_t base, k;

	for (base = 0; base < batch; base += SCALE_CHUNK) {
		for (k = 0; k < SCALE_CHUNK; k++)
			g_string_truncate(wires[k], 0);
		t0 = scale_cpu_ns();
		for (k = 0; k < SCALE_CHUNK; k++) {
			ScalePair *p = g_ptr_array_index(pairs, (base + k) % n);
			EsessStatus r = esess_session_encrypt(p->alice, payload, plen, wires[k]);

			if (G_UNLIKELY(r != ESESS_OK))
				bench_fail("esess_session_encrypt", esess_status_name(r));
		}
		t1 = scale_cpu_ns();
		for (k = 0; k < SCALE_CHUNK; k++) {
			ScalePair *p = g_ptr_array_index(pairs, (base + k) % n);
			EsessXmlNode *node = NULL;
			EsessStatus r = esess_session_decrypt_text(p->bob, wires[k]->str,
								   wires[k]->len, &node, NULL,
								   NULL);

			if (G_UNLIKELY(r != ESESS_OK || node == NULL))
				bench_fail("esess_session_decrypt_text", esess_status_name(r));
			esess_xml_free(node);
		}
		t2 = scale_cpu_ns();
		send += t1 - t0;
		recv += t2 - t1;
	}
	*send_ns = (double)send / (double)batch;
	*recv_ns = (double)recv / (double)batch;
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

int
main(int argc, char **argv)
{
	size_t runs = 9;
	/* a multiple of every size: the same messages per pair at each size */
	size_t batch = bench_reps(4, 1) * 1000;
	GPtrArray *pairs;
	GString **wires;
	double *snd, *rcv, *both;
	ScaleStat st[G_N_ELEMENTS(bench_counts)][3];
	gboolean done[G_N_ELEMENTS(bench_counts)];
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
	pairs = g_ptr_array_new();
	payload = scale_payload(100, &plen);
	wires = g_new0(GString *, SCALE_CHUNK);
	for (k = 0; k < SCALE_CHUNK; k++)
		wires[k] = g_string_sized_new(512);
	snd = g_new0(double, runs);
	rcv = g_new0(double, runs);
	both = g_new0(double, runs);
	memset(done, 0, sizeof(done));

	printf("bench-scale: one 100-byte message per step, round robin over N established "
	       "pairs\n  (2N sessions, group-14 key pairs held), libotr not in the process; "
	       "%zu messages per run,\n  median of %zu runs of the mean CPU ns per message "
	       "[fastest run, slowest run]\n", batch, runs);
	printf("%-6s %-22s %-22s %-22s\n", "pairs", "send (encrypt)", "receive (decrypt)",
	       "send + receive");
	for (ci = 0; ci < G_N_ELEMENTS(bench_counts); ci++) {
		guint n = bench_counts[ci];
		size_t s;

		if (!scale_size_wanted(n))
			continue;
		while (pairs->len < n) {
			ScalePair *p = g_new0(ScalePair, 1);

			scale_pair_init(p);
			g_ptr_array_add(pairs, p);
		}
		/* one untimed batch: first-touch costs are not per message */
		scale_batch(pairs, n, wires, batch, payload, plen, &snd[0], &rcv[0]);
		for (s = 0; s < runs; s++) {
			scale_batch(pairs, n, wires, batch, payload, plen, &snd[s], &rcv[s]);
			both[s] = snd[s] + rcv[s];
		}
		st[ci][0] = scale_stat(snd, runs);
		st[ci][1] = scale_stat(rcv, runs);
		st[ci][2] = scale_stat(both, runs);
		done[ci] = TRUE;
		printf("%-6u", n);
		for (j = 0; j < 3; j++) {
			char cell[64];

			g_snprintf(cell, sizeof(cell), "%.0f [%.0f, %.0f]", st[ci][j].med,
				   st[ci][j].lo, st[ci][j].hi);
			printf(" %-22s", cell);
		}
		printf("\n");
		fflush(stdout);
	}
	ci = G_N_ELEMENTS(bench_counts) - 1;
	if (done[0] && done[ci]) {
		printf("  ratio %u pairs / %u pair (medians): send %.2f, receive %.2f, "
		       "send + receive %.2f (target <= 1.10)\n", bench_counts[ci],
		       bench_counts[0], st[ci][0].med / st[0][0].med,
		       st[ci][1].med / st[0][1].med, st[ci][2].med / st[0][2].med);
		/* the fastest runs are the least disturbed by the machine's other
		 * tenants */
		printf("  ratio of the fastest runs: send + receive %.2f\n",
		       st[ci][2].lo / st[0][2].lo);
	}

	for (j = 0; j < pairs->len; j++) {
		ScalePair *p = g_ptr_array_index(pairs, j);

		esess_session_free(p->alice);
		esess_session_free(p->bob);
		g_free(p);
	}
	g_ptr_array_free(pairs, TRUE);
	for (k = 0; k < SCALE_CHUNK; k++)
		g_string_free(wires[k], TRUE);
	g_free(wires);
	g_free(payload);
	g_free(snd);
	g_free(rcv);
	g_free(both);
	return 0;
}
