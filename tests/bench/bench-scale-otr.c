/*
 * bench-scale-otr.c - bench-scale's measurement with libotr 4 as the peer:
 * the per-message cost of otrl_message_sending (alice's side) and
 * otrl_message_receiving (bob's side) with 1, 8, 100 and 1000 established
 * contexts per side live in one process, in bench-scale's two patterns, so
 * that our growth with the number of sessions can be set beside libotr's
 * (issue 11 item 1, doc/hacking.md).
 *
 * A program of its own: otrl_init replaces libgcrypt's secure allocator for
 * the whole process, so libotr must never share bench-scale's process.
 *
 * Set-up: alice is one account ("alice@localhost", one DSA key) with one
 * buddy per pair, bob0000@localhost, bob0001@localhost, ...; bob is one
 * account ("bob@localhost", one DSA key) that sees each pair's messages
 * coming from alice0000@localhost, alice0001@localhost, ...  So each side
 * holds N contexts in one user state, as a client with N conversations
 * does.  (OTR's key exchange does not bind the account names, so one key per
 * side serves every pair.)  Every pair runs libotr's complete AKE (query,
 * DH-commit, DH-key, reveal-signature, signature) before it is measured.
 *
 *   one active   every message on the first pair (the first in libotr's
 *                context lists, which are kept sorted and searched from
 *                the front: its best case)
 *   round robin  message k on pair k mod N
 *
 * As in bench-scale: chunks of 100 sends then the same 100 receives, the two
 * patterns chunk by chunk in alternation, B messages per pattern and run,
 * one untimed run first at each size (it also absorbs the heartbeats that
 * libotr sends on contexts idle for a minute); CPU time of this thread.
 * Unlike bench-scale the sizes are only measured growing (contexts are not
 * torn down), so the ratios to one pair are more exposed to the machine's
 * drift; the ratio round robin / one active is taken within each run.
 * Prints figures; never fails on time.
 *
 *   bench-scale-otr [RUNS]          RUNS runs per size (default 5, at least 3)
 *   ESESS_BENCH_SCALE=0.25          fewer messages per run; below 0.1 (the
 *                                   CI's quick run) only 1 and 8 contexts
 *   ESESS_BENCH_SCALE_SIZES=1,1000  only these sizes
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <gcrypt.h>
/* libotr's headers depend on their order (proto.h first, as pidgin-otr) */
#include <libotr/proto.h>
#include <libotr/context.h>
#include <libotr/tlv.h>
#include <libotr/userstate.h>
#include <libotr/message.h>
#include <libotr/privkey.h>
#include <libotr/instag.h>

#include "bench-otr.h"
#include "bench-util.h"

#define SO_PROTO "xmpp" /* as bench_otr_keys's */
#define SO_ALICE "alice@localhost"
#define SO_BOB "bob@localhost"
#define SO_POLICY (OTRL_POLICY_ALLOW_V2 | OTRL_POLICY_ALLOW_V3)
#define SO_CHUNK 100
#define SO_BODY_LEN 100
#define SO_NAME_LEN 32

static const guint so_counts[] = { 1, 8, 100, 1000 };

enum { PAT_ONE, PAT_RR, N_PAT };
static const char *const pat_names[N_PAT] = { "one active", "round robin" };

typedef struct {
	char bob[SO_NAME_LEN];   /* alice's buddy for this pair */
	char alice[SO_NAME_LEN]; /* the sender bob sees for this pair */
} SoPair;

typedef struct {
	char *to;
	char *from_account;
	char *msg;
} SoWire;

typedef struct {
	OtrlUserState alice, bob;
	GArray *pairs;        /* SoPair */
	GQueue wire;          /* SoWire *: AKE messages, heartbeats */
	int errors;
	guint injected;       /* messages libotr injected (AKE, heartbeats) */
	char *body;
	char *enc[SO_CHUNK];  /* the chunk's messages on their way */
	gsize delivered;
} So;

static OtrlPolicy
so_policy_cb(void *opdata, ConnContext *context)
{
	(void)opdata;
	(void)context;
	return SO_POLICY;
}

static int
so_logged_in_cb(void *opdata, const char *accountname, const char *protocol,
		const char *recipient)
{
	(void)opdata;
	(void)accountname;
	(void)protocol;
	(void)recipient;
	return 1;
}

static void
so_inject_cb(void *opdata, const char *accountname, const char *protocol,
	     const char *recipient, const char *message)
{
	So *so = opdata;
	SoWire *w = g_new0(SoWire, 1);

	(void)protocol;
	w->to = g_strdup(recipient);
	w->from_account = g_strdup(accountname);
	w->msg = g_strdup(message);
	g_queue_push_tail(&so->wire, w);
	so->injected++;
}

static int
so_max_size_cb(void *opdata, ConnContext *context)
{
	(void)opdata;
	(void)context;
	return 0; /* no fragmentation: XMPP carries whole messages */
}

static void
so_msg_event_cb(void *opdata, OtrlMessageEvent ev, ConnContext *context, const char *message,
		gcry_error_t err)
{
	So *so = opdata;

	(void)context;
	(void)message;
	(void)err;
	if (ev == OTRL_MSGEVENT_NONE || ev == OTRL_MSGEVENT_LOG_HEARTBEAT_RCVD ||
	    ev == OTRL_MSGEVENT_LOG_HEARTBEAT_SENT)
		return;
	so->errors++;
}

static OtrlMessageAppOps so_ops = {
	.policy = so_policy_cb,
	.is_logged_in = so_logged_in_cb,
	.inject_message = so_inject_cb,
	.max_message_size = so_max_size_cb,
	.handle_msg_event = so_msg_event_cb,
};

static void
so_wire_free(SoWire *w)
{
	g_free(w->to);
	g_free(w->from_account);
	g_free(w->msg);
	g_free(w);
}

/* Delivers everything on the wire: what alice's account sends to bobNNNN
 * reaches bob's account from aliceNNNN, and back. */
static void
so_pump(So *so)
{
	SoWire *w;

	while ((w = g_queue_pop_head(&so->wire)) != NULL) {
		gboolean to_bob = strcmp(w->from_account, SO_ALICE) == 0;
		const char *num = w->to + (to_bob ? strlen("bob") : strlen("alice"));
		char sender[SO_NAME_LEN];
		char *newmsg = NULL;
		OtrlTLV *tlvs = NULL;

		g_snprintf(sender, sizeof(sender), "%s%.4s@localhost", to_bob ? "alice" : "bob",
			   num);
		(void)otrl_message_receiving(to_bob ? so->bob : so->alice, &so_ops, so,
					     to_bob ? SO_BOB : SO_ALICE, SO_PROTO, sender, w->msg,
					     &newmsg, &tlvs, NULL, NULL, NULL);
		otrl_message_free(newmsg);
		otrl_tlv_free(tlvs);
		so_wire_free(w);
	}
}

static gboolean
so_encrypted(OtrlUserState us, const char *user, const char *account)
{
	ConnContext *c = otrl_context_find(us, user, account, SO_PROTO, OTRL_INSTAG_BEST, 0,
					   NULL, NULL, NULL);

	return c != NULL && c->msgstate == OTRL_MSGSTATE_ENCRYPTED;
}

/* One more pair, through libotr's complete AKE. */
static void
so_add_pair(So *so)
{
	SoPair p;
	char *query;

	g_snprintf(p.bob, sizeof(p.bob), "bob%04u@localhost", so->pairs->len);
	g_snprintf(p.alice, sizeof(p.alice), "alice%04u@localhost", so->pairs->len);
	query = otrl_proto_default_query_msg(SO_ALICE, SO_POLICY);
	so_inject_cb(so, SO_ALICE, SO_PROTO, p.bob, query);
	free(query);
	so_pump(so);
	if (so->errors != 0 || !so_encrypted(so->alice, p.bob, SO_ALICE) ||
	    !so_encrypted(so->bob, p.alice, SO_BOB))
		bench_fail("libotr AKE", "not encrypted");
	g_array_append_val(so->pairs, p);
}

static gint64
so_cpu_ns(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) != 0)
		return bench_now_ns();
	return (gint64)ts.tv_sec * G_GINT64_CONSTANT(1000000000) + ts.tv_nsec;
}

/* Sends then receives one chunk, message k on pair (first + k) mod n; adds
 * the CPU ns to t[0] (send) and t[1] (receive). */
static void
so_chunk(So *so, guint first, guint n, gint64 t[2])
{
	gint64 t0, t1, t2;
	size_t k;

	t0 = so_cpu_ns();
	for (k = 0; k < SO_CHUNK; k++) {
		SoPair *p = &g_array_index(so->pairs, SoPair, (first + k) % n);
		gcry_error_t err;

		so->enc[k] = NULL;
		err = otrl_message_sending(so->alice, &so_ops, so, SO_ALICE, SO_PROTO, p->bob,
					   OTRL_INSTAG_BEST, so->body, NULL, &so->enc[k],
					   OTRL_FRAGMENT_SEND_SKIP, NULL, NULL, NULL);
		if (G_UNLIKELY(err || so->enc[k] == NULL))
			bench_fail("otrl_message_sending", gcry_strerror(err));
	}
	t1 = so_cpu_ns();
	for (k = 0; k < SO_CHUNK; k++) {
		SoPair *p = &g_array_index(so->pairs, SoPair, (first + k) % n);
		char *plain = NULL;
		OtrlTLV *tlvs = NULL;
		int internal;

		internal = otrl_message_receiving(so->bob, &so_ops, so, SO_BOB, SO_PROTO, p->alice,
						  so->enc[k], &plain, &tlvs, NULL, NULL, NULL);
		if (G_UNLIKELY(internal || plain == NULL))
			bench_fail("otrl_message_receiving", "not delivered");
		so->delivered += strlen(plain);
		otrl_message_free(plain);
		otrl_tlv_free(tlvs);
	}
	t2 = so_cpu_ns();
	for (k = 0; k < SO_CHUNK; k++)
		otrl_message_free(so->enc[k]);
	/* heartbeats libotr injected, delivered untimed */
	if (!g_queue_is_empty(&so->wire))
		so_pump(so);
	if (G_UNLIKELY(so->errors != 0))
		bench_fail("libotr", "a message event reported an error");
	t[0] += t1 - t0;
	t[1] += t2 - t1;
}

static void
so_run(So *so, guint n, size_t batch, double out[N_PAT][2])
{
	gint64 t[N_PAT][2] = { { 0, 0 }, { 0, 0 } };
	guint next = 0;
	size_t base;
	guint j;

	for (base = 0; base < batch; base += SO_CHUNK) {
		if (n > 1) {
			so_chunk(so, next, n, t[PAT_RR]);
			next = (next + SO_CHUNK) % n;
		}
		so_chunk(so, 0, 1, t[PAT_ONE]);
	}
	if (n == 1)
		memcpy(t[PAT_RR], t[PAT_ONE], sizeof(t[PAT_ONE]));
	for (j = 0; j < N_PAT; j++) {
		out[j][0] = (double)t[j][0] / (double)batch;
		out[j][1] = (double)t[j][1] / (double)batch;
	}
}

static gboolean
so_size_wanted(guint n, gboolean quick)
{
	const char *sizes = g_getenv("ESESS_BENCH_SCALE_SIZES");
	gchar **v;
	gboolean found = FALSE;
	guint i;

	if (sizes == NULL || *sizes == '\0')
		return !quick || n <= 8;
	v = g_strsplit(sizes, ",", -1);
	for (i = 0; v[i] != NULL; i++)
		if ((guint)g_ascii_strtoull(v[i], NULL, 10) == n)
			found = TRUE;
	g_strfreev(v);
	return found;
}

static void
so_cell(double *v, size_t n, double *med)
{
	double lo = v[0], hi = v[0];
	char cell[64];
	size_t i;

	for (i = 1; i < n; i++) {
		lo = MIN(lo, v[i]);
		hi = MAX(hi, v[i]);
	}
	*med = bench_median(v, n);
	g_snprintf(cell, sizeof(cell), "%.0f [%.0f-%.0f]", *med, lo, hi);
	printf(" %-20s", cell);
}

int
main(int argc, char **argv)
{
	size_t runs = 5, batch = bench_reps(4, 1) * 1000, s;
	const char *scale = g_getenv("ESESS_BENCH_SCALE");
	gboolean quick = scale != NULL && *scale != '\0' && g_ascii_strtod(scale, NULL) < 0.1;
	double base_med[N_PAT][3] = { { 0, 0, 0 }, { 0, 0, 0 } };
	gboolean have_base = FALSE;
	GString *body;
	So so;
	guint ci, p, j, k;
	gint64 t_ake;
	guint n_ake = 0;
	double ake_ns = 0;

	if (argc > 1) {
		runs = (size_t)g_ascii_strtoull(argv[1], NULL, 10);
		if (runs < 3)
			runs = 3;
	}
	if (otrl_init(OTRL_VERSION_MAJOR, OTRL_VERSION_MINOR, OTRL_VERSION_SUB))
		bench_fail("libotr", "otrl_init");
	memset(&so, 0, sizeof(so));
	g_queue_init(&so.wire);
	so.pairs = g_array_new(FALSE, TRUE, sizeof(SoPair));
	so.alice = otrl_userstate_create();
	so.bob = otrl_userstate_create();
	bench_otr_keys(so.alice, SO_ALICE);
	bench_otr_keys(so.bob, SO_BOB);
	/* the same 100 bytes as bench-scale's <body/> */
	body = g_string_new(NULL);
	for (k = 0; k < SO_BODY_LEN; k++)
		g_string_append_c(body, "pack my box with five dozen liquor jugs. "[k % 41]);
	so.body = g_string_free(body, FALSE);

	printf("bench-scale-otr: libotr %s, otrl_message_sending (alice) and "
	       "otrl_message_receiving (bob),\n  one %u-byte message each, N established "
	       "contexts per side; %zu messages per pattern and run;\n  CPU ns per message: "
	       "median of %zu runs [min-max] (sizes measured growing)\n",
	       otrl_version(), SO_BODY_LEN, batch, runs);
	printf("  one active: every message on the first pair (the first of libotr's sorted "
	       "context lists);\n  round robin: message k on pair k mod N\n");
	printf("  %-18s %-20s %-20s %-20s\n", "", "send", "receive", "send + receive");
	for (ci = 0; ci < G_N_ELEMENTS(so_counts); ci++) {
		guint n = so_counts[ci];
		double *v[N_PAT][3], *within[3], o[N_PAT][2], med[N_PAT][3];

		if (!so_size_wanted(n, quick))
			continue;
		t_ake = bench_now_ns();
		while (so.pairs->len < n) {
			so_add_pair(&so);
			n_ake++;
		}
		ake_ns += (double)(bench_now_ns() - t_ake);
		for (p = 0; p < N_PAT; p++)
			for (j = 0; j < 3; j++)
				v[p][j] = g_new0(double, runs);
		for (j = 0; j < 3; j++)
			within[j] = g_new0(double, runs);
		so.injected = 0;
		so_run(&so, n, batch, o); /* untimed: first touch, heartbeats */
		for (s = 0; s < runs; s++) {
			so_run(&so, n, batch, o);
			for (p = 0; p < N_PAT; p++) {
				v[p][0][s] = o[p][0];
				v[p][1][s] = o[p][1];
				v[p][2][s] = o[p][0] + o[p][1];
			}
			for (j = 0; j < 3; j++)
				within[j][s] = v[PAT_RR][j][s] / v[PAT_ONE][j][s];
		}
		printf("%u context%s per side%s\n", n, n == 1 ? "" : "s", n == 1 ? " (both patterns)" : "");
		for (p = 0; p < N_PAT; p++) {
			if (n == 1 && p == PAT_RR) {
				memcpy(med[p], med[PAT_ONE], sizeof(med[p]));
				continue;
			}
			printf("  %-18s", pat_names[p]);
			for (j = 0; j < 3; j++)
				so_cell(v[p][j], runs, &med[p][j]);
			printf("\n");
		}
		if (n > 1) {
			printf("  round robin / one active, median of the runs' own ratios "
			       "[min-max]:");
			for (j = 0; j < 3; j++) {
				double lo = within[j][0], hi = within[j][0];

				for (s = 1; s < runs; s++) {
					lo = MIN(lo, within[j][s]);
					hi = MAX(hi, within[j][s]);
				}
				printf(" %s %.2f [%.2f-%.2f]%s", j == 0 ? "send" : j == 1 ?
				       "receive" : "both", bench_median(within[j], runs), lo, hi,
				       j < 2 ? "," : "\n");
			}
		}
		if (n == 1) {
			memcpy(base_med, med, sizeof(base_med));
			have_base = TRUE;
		} else if (have_base) {
			for (p = 0; p < N_PAT; p++)
				printf("  %s, %u / 1 (medians): send %.2f, receive %.2f, both "
				       "%.2f\n", pat_names[p], n, med[p][0] / base_med[p][0],
				       med[p][1] / base_med[p][1], med[p][2] / base_med[p][2]);
		}
		if (so.injected > 0)
			printf("  (libotr injected %u heartbeats here, untimed run included)\n",
			       so.injected);
		for (p = 0; p < N_PAT; p++)
			for (j = 0; j < 3; j++)
				g_free(v[p][j]);
		for (j = 0; j < 3; j++)
			g_free(within[j]);
	}
	if (n_ake > 0)
		printf("  (%u AKEs, %.2f ms each, wall clock)\n", n_ake, ake_ns / n_ake / 1e6);
	if (so.delivered == 0)
		bench_fail("receive", "nothing was delivered");

	so_pump(&so);
	otrl_userstate_free(so.alice);
	otrl_userstate_free(so.bob);
	g_array_free(so.pairs, TRUE);
	g_free(so.body);
	return 0;
}
