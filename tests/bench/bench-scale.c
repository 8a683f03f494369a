/*
 * bench-scale.c - the per-message cost with 1, 100 and 1000 established
 * sessions live in one process (issue 11 item 1): one 100-byte message
 * encrypted (esess_session_encrypt) and decrypted (esess_session_decrypt_text)
 * between two sessions, while the other sessions hold their keys, cipher and
 * MAC handles and DH key pairs (group 14) in libgcrypt's secure memory as
 * established sessions do.
 *
 * libotr is never linked here: otrl_init replaces libgcrypt's allocator with
 * plain malloc for the whole process, and the point is to measure the secure
 * allocator that Pidgin runs with this plugin alone.
 *
 * Prints, per session count, the median over samples of the mean cost of a
 * batch of messages, and the ratio of the largest count's median to the
 * smallest's (issue target: at most 1.1), two ways: always on the same pair
 * (what grows with the number of sessions is then the engine's own work, such
 * as libgcrypt's secure allocator walking every live block), and round robin
 * over every live pair (adds the cache misses of touching every session).
 * This program prints figures; it never fails on time.
 *
 * ESESS_BENCH_SCALE=0.1 makes a quick run.
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
 * would otherwise swamp a 2 µs message. */
static gint64
scale_cpu_ns(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) != 0)
		return bench_now_ns();
	return (gint64)ts.tv_sec * G_GINT64_CONSTANT(1000000000) + ts.tv_nsec;
}

static void
scale_oneway(ScalePair *p, GString *wire, const char *payload, size_t len)
{
	EsessXmlNode *node = NULL;
	EsessStatus r;

	g_string_truncate(wire, 0);
	r = esess_session_encrypt(p->alice, payload, len, wire);
	if (r != ESESS_OK)
		bench_fail("esess_session_encrypt", esess_status_name(r));
	r = esess_session_decrypt_text(p->bob, wire->str, wire->len, &node, NULL, NULL);
	if (r != ESESS_OK || node == NULL)
		bench_fail("esess_session_decrypt_text", esess_status_name(r));
	esess_xml_free(node);
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

int
main(int argc, char **argv)
{
	size_t samples = bench_reps(31, 5);
	size_t batch = bench_reps(500, 50);
	GPtrArray *pairs;
	GString *wire;
	double *t, *rr;
	double med[G_N_ELEMENTS(bench_counts)], rmed[G_N_ELEMENTS(bench_counts)];
	double mins[G_N_ELEMENTS(bench_counts)];
	char *payload;
	size_t plen;
	guint ci, j;

	(void)argc;
	(void)argv;
	if (esess_crypto_init() != ESESS_OK)
		bench_fail("esess_crypto_init", "libgcrypt");
	pairs = g_ptr_array_new();
	wire = g_string_sized_new(4096);
	payload = scale_payload(100, &plen);
	t = g_new0(double, samples);
	rr = g_new0(double, samples);

	printf("bench-scale: one 100-byte message, esess_session_encrypt + "
	       "esess_session_decrypt_text,\n  with N established pairs live "
	       "(2N sessions, group-14 key pairs held); %zu samples x %zu messages, "
	       "median CPU ns per message\n", samples, batch);
	printf("  one pair: always the first pair (the cost of the engine's own "
	       "work as sessions are added)\n"
	       "  round robin: each message on the next pair (adds the cache misses "
	       "of touching every session's state)\n");
	printf("%-6s %10s %10s %10s %12s %10s %10s\n", "pairs", "one pair", "min", "max",
	       "round robin", "min", "max");
	for (ci = 0; ci < G_N_ELEMENTS(bench_counts); ci++) {
		size_t s, k, next = 0;
		double lo, hi, rlo, rhi;

		while (pairs->len < bench_counts[ci]) {
			ScalePair *p = g_new0(ScalePair, 1);

			scale_pair_init(p);
			g_ptr_array_add(pairs, p);
		}
		for (j = 0; j < pairs->len; j++)
			scale_oneway(g_ptr_array_index(pairs, j), wire, payload, plen);
		/* the two ways interleaved sample by sample, so that the
		 * machine's drift touches both alike */
		for (s = 0; s < samples; s++) {
			gint64 t0 = scale_cpu_ns();

			for (k = 0; k < batch; k++)
				scale_oneway(g_ptr_array_index(pairs, 0), wire, payload, plen);
			t[s] = (double)(scale_cpu_ns() - t0) / (double)batch;
			t0 = scale_cpu_ns();
			for (k = 0; k < batch; k++) {
				scale_oneway(g_ptr_array_index(pairs, next), wire, payload, plen);
				next = (next + 1) % pairs->len;
			}
			rr[s] = (double)(scale_cpu_ns() - t0) / (double)batch;
		}
		lo = hi = t[0];
		rlo = rhi = rr[0];
		for (s = 1; s < samples; s++) {
			lo = MIN(lo, t[s]);
			hi = MAX(hi, t[s]);
			rlo = MIN(rlo, rr[s]);
			rhi = MAX(rhi, rr[s]);
		}
		mins[ci] = lo;
		med[ci] = bench_median(t, samples);
		rmed[ci] = bench_median(rr, samples);
		printf("%-6u %10.0f %10.0f %10.0f %12.0f %10.0f %10.0f\n", bench_counts[ci],
		       med[ci], lo, hi, rmed[ci], rlo, rhi);
	}
	ci = G_N_ELEMENTS(bench_counts) - 1;
	printf("  ratio %u pairs / %u pair: one pair %.2f, round robin %.2f "
	       "(target <= 1.10)\n", bench_counts[ci], bench_counts[0],
	       med[ci] / med[0], rmed[ci] / rmed[0]);
	/* the fastest sample is the least disturbed by the machine's other
	 * tenants: its ratio is the steadier figure on a shared machine */
	printf("  ratio of the fastest samples, one pair: %.2f\n", mins[ci] / mins[0]);

	for (j = 0; j < pairs->len; j++) {
		ScalePair *p = g_ptr_array_index(pairs, j);

		esess_session_free(p->alice);
		esess_session_free(p->bob);
		g_free(p);
	}
	g_ptr_array_free(pairs, TRUE);
	g_string_free(wire, TRUE);
	g_free(payload);
	g_free(t);
	g_free(rr);
	return 0;
}
