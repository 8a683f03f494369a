/*
 * esess-quirks.h - INTEROP R20: the ONE table of peer-specific behaviour,
 * keyed by the peer's XEP-0115 caps node.  Each entry has a test
 * (tests/unit/test-quirks.c).  Nothing else in the engine looks at clients.
 */
#ifndef ESESS_QUIRKS_H
#define ESESS_QUIRKS_H

#include <glib.h>

G_BEGIN_DECLS

typedef struct _EsessQuirks {
	const char *node;               /* e.g. "http://gajim.org" */
	gboolean sas_unpadded;          /* show SAS without leading 'a' padding */
	gboolean plaintext_terminate;   /* terminate in plaintext, no ack */
	gboolean no_extensions;         /* never offer rekey, public keys, 3-message, offline */
	gboolean no_group_18;
	gboolean no_group_17_first;
	gboolean error_text_is_failure; /* feature-not-implemented with <text> and no <feature> = failed */
} EsessQuirks;

/* The entry for caps_node (exact match of the node URI), or NULL for no
 * quirks (unknown or NULL node).  The result is static: never freed. */
const EsessQuirks *esess_quirks_for(const char *caps_node);

G_END_DECLS

#endif /* ESESS_QUIRKS_H */
