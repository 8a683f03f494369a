/*
 * bench-stanza.c - the cost of one encrypted message, one way (issue
 * "Foundation" item 7): the full per-message path through the engine, payload
 * XML text in, <c/> text out (esess_session_encrypt), and back
 * (esess_session_decrypt_text, which verifies, decrypts and parses the
 * payload), both ends in one process.
 *
 * Printed beside, measured in the same run and interleaved sample by sample:
 *   floor        the bare libgcrypt work of the same message (AES-256-CTR,
 *                HMAC-SHA-256 and base64 of the same bytes, handles kept open)
 *   otr proto    libotr 4 otrl_proto_create_data + otrl_proto_accept_data
 *   otr message  libotr 4 otrl_message_sending + otrl_message_receiving
 * after a real AKE between two in-memory users (doc/hacking.md "How to compare").
 *
 * Targets (issue): 100-byte one way <= 1.0x libotr and <= 5x the floor.
 * This program prints figures; it never fails on time (doc/hacking.md).
 *
 * ESESS_BENCH_SCALE=0.1 makes a quick run.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "esess-crypto.h"
#include "esess-mem.h"
#include "esess-session.h"
#include "esess-status.h"
#include "esess-xml.h"

#include "bench-floor.h"
#include "bench-util.h"
#ifdef HAVE_OTR
#include "bench-otr.h"
#endif

#define BENCH_KEY_LEN 32

static const size_t bench_sizes[] = { 100, 1024, 4096 };

typedef struct {
	EsessSession *alice;  /* sends */
	EsessSession *bob;    /* receives */
	GString *wire;
} BenchPair;

/* Two sessions whose keys and counters mirror each other: alice's own keys
 * are bob's peer keys (keys per direction, DIGEST §15 #17). */
static void
bench_pair_init(BenchPair *p)
{
	EsessSecret *k[4];
	EsessSessionParams a;
	EsessSessionParams b;
	guint8 ca[ESESS_COUNTER_LEN];
	guint8 cb[ESESS_COUNTER_LEN];
	EsessStatus r;
	guint i;

	for (i = 0; i < G_N_ELEMENTS(k); i++) {
		k[i] = esess_secret_new(BENCH_KEY_LEN);
		esess_random(k[i]->data, k[i]->len);
	}
	esess_random(ca, sizeof(ca));
	esess_counter_flip_top(ca, cb);

	memset(&a, 0, sizeof(a));
	a.own_cipher_key = k[0];
	a.own_mac_key = k[1];
	a.peer_cipher_key = k[2];
	a.peer_mac_key = k[3];
	memcpy(a.own_counter, ca, sizeof(ca));
	memcpy(a.peer_counter, cb, sizeof(cb));
	a.group = 14;
	a.own_dh = NULL;  /* no re-keying in this benchmark */

	memset(&b, 0, sizeof(b));
	b.own_cipher_key = k[2];
	b.own_mac_key = k[3];
	b.peer_cipher_key = k[0];
	b.peer_mac_key = k[1];
	memcpy(b.own_counter, cb, sizeof(cb));
	memcpy(b.peer_counter, ca, sizeof(ca));
	b.group = 14;
	b.own_dh = NULL;

	r = esess_session_new(&a, &p->alice);
	if (r != ESESS_OK)
		bench_fail("esess_session_new (alice)", esess_status_name(r));
	r = esess_session_new(&b, &p->bob);
	if (r != ESESS_OK)
		bench_fail("esess_session_new (bob)", esess_status_name(r));
	for (i = 0; i < G_N_ELEMENTS(k); i++)
		esess_secret_free(k[i]);
	p->wire = g_string_sized_new(8192);
}

static void
bench_pair_clear(BenchPair *p)
{
	esess_session_free(p->alice);
	esess_session_free(p->bob);
	g_string_free(p->wire, TRUE);
}

/* One message alice -> bob through the engine; the receiver gets the parsed
 * payload, as the adapter does. */
static void
bench_engine_oneway(BenchPair *p, const char *payload, size_t len)
{
	EsessXmlNode *node = NULL;
	EsessStatus r;

	g_string_truncate(p->wire, 0);
	r = esess_session_encrypt(p->alice, payload, len, p->wire);
	if (r != ESESS_OK)
		bench_fail("esess_session_encrypt", esess_status_name(r));
	r = esess_session_decrypt_text(p->bob, p->wire->str, p->wire->len, &node, NULL, NULL);
	if (r != ESESS_OK || node == NULL)
		bench_fail("esess_session_decrypt_text", esess_status_name(r));
	esess_xml_free(node);
}

/* Checks once, untimed, that the path round-trips the exact payload text. */
static size_t
bench_engine_verify(BenchPair *p, const char *payload, size_t len)
{
	EsessXmlNode *node = NULL;
	char *plain = NULL;
	size_t plain_len = 0;
	size_t wire_len;
	EsessStatus r;

	g_string_truncate(p->wire, 0);
	r = esess_session_encrypt(p->alice, payload, len, p->wire);
	if (r != ESESS_OK)
		bench_fail("esess_session_encrypt", esess_status_name(r));
	wire_len = p->wire->len;
	r = esess_session_decrypt_text(p->bob, p->wire->str, p->wire->len, &node, &plain,
				       &plain_len);
	if (r != ESESS_OK)
		bench_fail("esess_session_decrypt_text", esess_status_name(r));
	if (plain_len != len || memcmp(plain, payload, len) != 0)
		bench_fail("engine round trip", "decrypted text differs from the payload");
	esess_free_wiped(plain, plain_len);
	esess_xml_free(node);
	return wire_len;
}

/* A <body/> payload whose text is exactly body_len bytes of plain prose. */
static char *
bench_payload(size_t body_len, size_t *len)
{
	static const char prose[] =
		"The quick brown fox jumps over the lazy dog; pack my box with "
		"five dozen liquor jugs. ";
	GString *s = g_string_sized_new(body_len + 16);
	size_t i;

	g_string_append(s, "<body>");
	for (i = 0; i < body_len; i++)
		g_string_append_c(s, prose[i % (sizeof(prose) - 1)]);
	g_string_append(s, "</body>");
	*len = s->len;
	return g_string_free(s, FALSE);
}

int
main(int argc, char **argv)
{
	size_t samples = bench_reps(41, 5);
	size_t batch = bench_reps(200, 20);
	BenchPair pair;
	BenchFloor *floor_ctx;
#ifdef HAVE_OTR
	BenchOtrPair *otr;
#endif
	double *t_engine;
	double *t_floor;
	double *t_proto;
	double *t_msg;
	EsessStatus r;
	size_t si;

	r = esess_crypto_init();
	if (r != ESESS_OK)
		bench_fail("esess_crypto_init", esess_status_name(r));
#ifdef HAVE_OTR
	otr = bench_otr_pair_new();
	if (!bench_otr_ake(otr))
		bench_fail("libotr", "AKE did not reach ENCRYPTED on both sides");
#endif
	bench_pair_init(&pair);
	floor_ctx = bench_floor_new(8192);
	t_engine = g_new0(double, samples);
	t_floor = g_new0(double, samples);
	t_proto = g_new0(double, samples);
	t_msg = g_new0(double, samples);

	printf("bench-stanza: one-way message (sender + receiver), median ns per message\n");
	printf("  %zu samples x %zu messages, interleaved; engine = esess_session_encrypt + "
	       "esess_session_decrypt_text\n", samples, batch);
	printf("%-7s %-6s %10s %10s %10s %10s %9s %9s %9s\n", "body", "<c/>", "engine",
	       "floor", "otr-proto", "otr-msg", "x floor", "x otr-p", "x otr-m");

	for (si = 0; si < G_N_ELEMENTS(bench_sizes); si++) {
		size_t plen;
		char *payload = bench_payload(bench_sizes[si], &plen);
		size_t wire_len = bench_engine_verify(&pair, payload, plen);
		double m_engine, m_floor, m_proto = 0.0, m_msg = 0.0;
		size_t s;
		size_t k;
		gint64 t0;

		/* warm up every path once */
		bench_engine_oneway(&pair, payload, plen);
		if (!bench_floor_oneway(floor_ctx, payload, plen))
			bench_fail("floor", "round trip");
		for (s = 0; s < samples; s++) {
			t0 = bench_now_ns();
			for (k = 0; k < batch; k++)
				bench_engine_oneway(&pair, payload, plen);
			t_engine[s] = (double)(bench_now_ns() - t0) / (double)batch;

			t0 = bench_now_ns();
			for (k = 0; k < batch; k++)
				if (!bench_floor_oneway(floor_ctx, payload, plen))
					bench_fail("floor", "round trip");
			t_floor[s] = (double)(bench_now_ns() - t0) / (double)batch;
#ifdef HAVE_OTR
			t0 = bench_now_ns();
			for (k = 0; k < batch; k++)
				if (!bench_otr_proto(otr, payload))
					bench_fail("libotr proto", "round trip");
			t_proto[s] = (double)(bench_now_ns() - t0) / (double)batch;

			t0 = bench_now_ns();
			for (k = 0; k < batch; k++)
				if (!bench_otr_message(otr, payload))
					bench_fail("libotr message", "round trip");
			t_msg[s] = (double)(bench_now_ns() - t0) / (double)batch;
#endif
		}
		m_engine = bench_median(t_engine, samples);
		m_floor = bench_median(t_floor, samples);
#ifdef HAVE_OTR
		m_proto = bench_median(t_proto, samples);
		m_msg = bench_median(t_msg, samples);
#endif
		printf("%-7zu %-6zu %10.0f %10.0f %10.0f %10.0f %8.2fx %8.2fx %8.2fx\n",
		       bench_sizes[si], wire_len, m_engine, m_floor, m_proto, m_msg,
		       m_engine / m_floor,
		       m_proto > 0.0 ? m_engine / m_proto : 0.0,
		       m_msg > 0.0 ? m_engine / m_msg : 0.0);
		if (bench_sizes[si] == 100) {
			printf("  target 100 B: <= 1.0x libotr (%.2fx proto, %.2fx message API), "
			       "<= 5x floor (%.2fx)\n",
			       m_proto > 0.0 ? m_engine / m_proto : 0.0,
			       m_msg > 0.0 ? m_engine / m_msg : 0.0, m_engine / m_floor);
		}
		g_free(payload);
	}
#ifndef HAVE_OTR
	printf("  (libotr not found at configure time: no libotr columns)\n");
#endif

	g_free(t_engine);
	g_free(t_floor);
	g_free(t_proto);
	g_free(t_msg);
	bench_floor_free(floor_ctx);
	bench_pair_clear(&pair);
#ifdef HAVE_OTR
	bench_otr_pair_free(otr);
#endif
	return 0;
}
