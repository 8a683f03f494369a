/*
 * esess-quirks.c - INTEROP R20: the one table of peer quirks, keyed by the
 * XEP-0115 caps node.  Every entry is pinned by tests/unit/test-quirks.c.
 */
#include "config.h"

#include <string.h>

#include "esess-quirks.h"

static const EsessQuirks quirks_table[] = {
	/* Gajim 0.12 to 0.16 (DIGEST Appendix B, INTEROP R20) */
	{
		.node = "http://gajim.org",
		.sas_unpadded = TRUE,           /* shows 1 to 5 characters */
		.plaintext_terminate = TRUE,    /* decrypts an encrypted terminate as empty (R18) */
		.no_extensions = TRUE,          /* none implemented */
		.no_group_18 = TRUE,            /* recursive integer encoding fails on 8192 bits */
		.no_group_17_first = TRUE,      /* Bob picks the first group: stalls on 6144 bits */
		.error_text_is_failure = TRUE,  /* its failure error: <text/>, no <feature/> */
	},
};

const EsessQuirks *
esess_quirks_for(const char *caps_node)
{
	gsize i;

	if (caps_node == NULL)
		return NULL;
	for (i = 0; i < G_N_ELEMENTS(quirks_table); i++)
		if (strcmp(quirks_table[i].node, caps_node) == 0)
			return &quirks_table[i];
	return NULL;
}
