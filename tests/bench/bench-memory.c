/*
 * bench-memory.c - bytes per established session per side (issue 11 item 3):
 * heap (glibc's mallinfo2, in-use bytes) and libgcrypt secure memory (its
 * own statistics, GCRYCTL_DUMP_SECMEM_STATS, read through the log handler),
 * with 1, 100 and 1000 pairs negotiated through the chat API (group 14, no
 * store) and kept established, as the plugin keeps them.
 *
 * libotr is never linked here (otrl_init would move secure memory to the
 * heap).  Prints figures; never fails on size.
 *
 *   bench-memory            the table above
 *   bench-memory --hold N   for bench-massif.sh: one warm-up pair and N more
 *                           pairs established and held, the allocator
 *                           counters printed ("held N: ..."), then one
 *                           MEM_MARK-byte block allocated and freed, so that
 *                           massif's peak snapshot is taken exactly while the
 *                           N pairs are held, with no negotiation under way
 */
#include "config.h"

#include <malloc.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <gcrypt.h>

#include "esess-chat.h"
#include "esess-crypto.h"

#include "bench-util.h"
#include "neg-harness.h"

static const guint mem_counts[] = { 1, 100, 1000 };

/* bench-massif.sh subtracts it from massif's peak */
#define MEM_MARK (256u * 1024u * 1024u)

static gsize sec_used, sec_blocks;

/* libgcrypt reports "secmem usage: USED/SIZE bytes in BLOCKS blocks" for
 * the main pool and each overflow pool; the lines are summed. */
static void
mem_log(void *data, int level, const char *fmt, va_list ap)
{
	char *line = g_strdup_vprintf(fmt, ap);
	const char *p;
	unsigned long used, size, blocks;

	(void)data;
	(void)level;
	if (g_getenv("ESESS_BENCH_MEMORY_LOG") != NULL)
		fprintf(stderr, "libgcrypt: %s", line);
	/* "secmem usage: U/S bytes in B blocks", then "   U/S bytes in B
	 * blocks" for each overflow pool */
	p = g_str_has_prefix(line, "secmem usage:") ? line + strlen("secmem usage:") : line;
	if (sscanf(p, " %lu/%lu bytes in %lu blocks", &used, &size, &blocks) == 3) {
		sec_used += used;
		sec_blocks += blocks;
	}
	g_free(line);
}

static void
mem_sample(gsize *heap, gsize *sec, gsize *blocks)
{
	struct mallinfo2 mi = mallinfo2();

	sec_used = sec_blocks = 0;
	gcry_control(GCRYCTL_DUMP_SECMEM_STATS);
	*heap = mi.uordblks;
	*sec = sec_used;
	*blocks = sec_blocks;
}

/* One more established pair, kept in chats. */
static void
mem_add_pair(NegParty *a, NegParty *b, NegWire *w, GPtrArray *chats)
{
	if (!neg_run(a, b, w, TRUE))
		bench_fail("negotiation", "not established");
	g_ptr_array_add(chats, a->chat);
	g_ptr_array_add(chats, b->chat);
	a->chat = b->chat = NULL;
	/* the wire keeps every stanza: not the sessions' memory */
	neg_wire_clear(w);
	neg_wire_init(w, NULL, NULL);
	neg_party_reset(a);
	neg_party_reset(b);
}

int
main(int argc, char **argv)
{
	NegParty a, b;
	NegWire w;
	GPtrArray *chats;
	gsize heap0, sec0, blk0;
	gboolean hold = FALSE;
	guint hold_n = 0;
	guint ci;

	if (argc == 3 && strcmp(argv[1], "--hold") == 0) {
		hold = TRUE;
		hold_n = (guint)g_ascii_strtoull(argv[2], NULL, 10);
	}
	if (esess_crypto_init() != ESESS_OK)
		bench_fail("esess_crypto_init", "libgcrypt");
	gcry_set_log_handler(mem_log, NULL);
	neg_party_init(&a, "alice@example.org/pda", NULL);
	neg_party_init(&b, "bob@example.com/laptop", NULL);
	neg_wire_init(&w, NULL, NULL);
	chats = g_ptr_array_new();

	/* one negotiation first, so that one-time costs (tables, pools) are
	 * not counted as the first session's */
	mem_add_pair(&a, &b, &w, chats);
	mem_sample(&heap0, &sec0, &blk0);

	if (hold) {
		gsize heap, sec, blk;
		void *mark;

		while (chats->len < 2 + 2 * hold_n)
			mem_add_pair(&a, &b, &w, chats);
		mem_sample(&heap, &sec, &blk);
		/* the allocator counters beside massif's figure, relative to
		 * the warm-up pair */
		printf("held %u: heap %" G_GSSIZE_FORMAT " secure %" G_GSSIZE_FORMAT
		       " blocks %" G_GSSIZE_FORMAT "\n", hold_n, (gssize)(heap - heap0),
		       (gssize)(sec - sec0), (gssize)(blk - blk0));
		fflush(stdout);
		mark = g_malloc(MEM_MARK);
		g_free(mark);
	} else {
		printf("bench-memory: bytes per established session per side (chat API, "
		       "group 14)\n");
		printf("%-6s %12s %12s %12s %14s\n", "pairs", "heap", "secure", "total",
		       "secure blocks");
		for (ci = 0; ci < G_N_ELEMENTS(mem_counts); ci++) {
			gsize heap, sec, blk;
			double sides;

			while (chats->len < 2 + 2 * mem_counts[ci])
				mem_add_pair(&a, &b, &w, chats);
			mem_sample(&heap, &sec, &blk);
			sides = 2.0 * mem_counts[ci];
			printf("%-6u %12.0f %12.0f %12.0f %14.1f\n", mem_counts[ci],
			       (double)(heap - heap0) / sides, (double)(sec - sec0) / sides,
			       (double)(heap - heap0 + sec - sec0) / sides,
			       (double)(blk - blk0) / sides);
		}
		printf("  target: at most 8192 bytes per session per side (issue 11 item 3)\n");
	}

	while (chats->len > 0)
		esess_chat_free(g_ptr_array_steal_index_fast(chats, chats->len - 1));
	g_ptr_array_free(chats, TRUE);
	neg_wire_clear(&w);
	neg_party_clear(&a);
	neg_party_clear(&b);
	return 0;
}
