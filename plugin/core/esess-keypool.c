/*
 * esess-keypool.c - prepared DH key pairs per group (SECURITY 58, doc/hacking.md
 * "Traps"): the adapter fills the pool from an idle callback, one
 * exponentiation per call, so producing message 1 never waits for one.
 * A key pair is handed out once and never reused (XEP-0116 §Security
 * Considerations: e and d unique per session).
 */
#include "config.h"

#include "esess-modp.h"
#include "esess-negotiate.h"

#define KEYPOOL_TARGET 2

struct _EsessKeyPool {
	GHashTable *by_group; /* GUINT_TO_POINTER(group) -> GQueue of EsessDhKey* */
};

static void
keypool_queue_free(gpointer p)
{
	GQueue *q = p;

	g_queue_free_full(q, (GDestroyNotify)esess_dh_key_free);
}

EsessKeyPool *
esess_keypool_new(void)
{
	EsessKeyPool *pool;

	pool = g_new0(EsessKeyPool, 1);
	pool->by_group = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL,
					       keypool_queue_free);
	return pool;
}

void
esess_keypool_free(EsessKeyPool *pool)
{
	if (pool == NULL)
		return;
	g_hash_table_destroy(pool->by_group);
	g_free(pool);
}

guint
esess_keypool_count(const EsessKeyPool *pool, guint group)
{
	GQueue *q;

	q = g_hash_table_lookup(pool->by_group, GUINT_TO_POINTER(group));
	return q != NULL ? q->length : 0;
}

gboolean
esess_keypool_fill_one(EsessKeyPool *pool, const guint *groups, gsize n_groups)
{
	EsessDhKey *k = NULL;
	GQueue *q;
	gsize i;

	g_return_val_if_fail(pool != NULL, FALSE);
	for (i = 0; i < n_groups; i++) {
		if (!esess_modp_known(groups[i]) || esess_keypool_count(pool, groups[i]) >= KEYPOOL_TARGET)
			continue;
		if (esess_dh_keygen(groups[i], &k) != ESESS_OK)
			return FALSE;
		q = g_hash_table_lookup(pool->by_group, GUINT_TO_POINTER(groups[i]));
		if (q == NULL) {
			q = g_queue_new();
			g_hash_table_insert(pool->by_group, GUINT_TO_POINTER(groups[i]), q);
		}
		g_queue_push_tail(q, k);
		break;
	}
	for (i = 0; i < n_groups; i++) {
		if (esess_modp_known(groups[i]) && esess_keypool_count(pool, groups[i]) < KEYPOOL_TARGET)
			return TRUE;
	}
	return FALSE;
}

EsessDhKey *
esess_keypool_take(EsessKeyPool *pool, guint group)
{
	GQueue *q;

	q = g_hash_table_lookup(pool->by_group, GUINT_TO_POINTER(group));
	return q != NULL ? g_queue_pop_head(q) : NULL;
}
