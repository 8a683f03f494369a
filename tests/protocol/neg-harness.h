/*
 * neg-harness.h - two (or more) parties in memory talking through EsessChat:
 * stanza text out of one, esess_msg_inspect + receive into the other, with
 * an optional relay that rewrites stanzas (man in the middle, byte flips).
 */
#ifndef NEG_HARNESS_H
#define NEG_HARNESS_H

#include <glib.h>

#include "esess-chat.h"
#include "esess-negotiate.h"
#include "esess-store.h"

typedef struct {
	char *jid;               /* full JID */
	char *bare;
	char *store_path;
	EsessStore *store;
	EsessChatConfig cfg;
	guint groups[4];
	EsessChat *chat;
	/* what the last delivery did */
	EsessStatus last_status;
	EsessEvent last_event;
	EsessStatus fail_status; /* status of the last FAILED / REJECTED event */
	char fail_field[ESESS_STEP_FIELD_MAX]; /* its field (issue 8 item 4) */
	gboolean by_peer;
	guint n_established;
	guint n_failed;
	guint n_errors_sent;     /* type='error' stanzas this party sent */
	char *last_deliver;
	GPtrArray *unsent;
} NegParty;

/* a relay: may rewrite (return a new string) or drop (return NULL) stanza
 * number index (1-based, counting every stanza that goes over the wire) */
typedef char *(*NegTamper)(guint index, const char *stanza, gpointer data);

typedef struct {
	NegTamper tamper;
	gpointer data;
	guint index;             /* stanzas so far */
	GPtrArray *wire;         /* every stanza as delivered (after tampering) */
} NegWire;

char *neg_tmpdir(void);
void neg_rmdir(const char *dir);

/* One party: full JID, store in dir (NULL: no store), offer {14} by default. */
void neg_party_init(NegParty *p, const char *jid, const char *dir);
void neg_party_clear(NegParty *p);
/* Drops the party's chat (the store stays). */
void neg_party_reset(NegParty *p);

void neg_wire_init(NegWire *w, NegTamper tamper, gpointer data);
void neg_wire_clear(NegWire *w);

/* Sets from= on a stanza (the server does that): newly allocated. */
char *neg_set_from(const char *stanza, const char *from);

/* Delivers one stanza (text, from already set) to p: inspects it, accepts a
 * request when p has no chat, else receives it.  The stanzas p sends back
 * are appended to out (char *, owned by out).  Returns the status. */
EsessStatus neg_deliver(NegParty *p, const char *stanza, GPtrArray *out);

/* a starts a negotiation with b (to b's bare JID, or full when to_full) and
 * the wire runs until quiet.  TRUE when both ended up established. */
gboolean neg_run(NegParty *a, NegParty *b, NegWire *w, gboolean to_full);

/* Runs stanzas (from src to dst) through the wire until quiet. */
void neg_pump(NegParty *src, NegParty *dst, GPtrArray *stanzas, NegWire *w);

/* Field helpers on stanza text: replace the values of field var in the first
 * jabber:x:data form (values NULL: remove the field); newly allocated. */
char *neg_set_field(const char *stanza, const char *var, const char *const *values, gsize n);
/* The first value of field var, or NULL (caller frees). */
char *neg_get_field(const char *stanza, const char *var);
/* Number of values of field var (-1 when absent). */
int neg_count_values(const char *stanza, const char *var);

/* Reads tests/vectors/<name> into a string (caller frees). */
char *neg_vector(const char *name);
/* the same, and its length */
char *neg_vector_len(const char *name, gsize *len);
/* the committed 2048-bit test identity key of WHO ("alice", "bob", ...) */
EsessIdKey *neg_test_idkey(const char *who);
/* The value of "key = value" in a vector file (caller frees) or NULL. */
char *neg_vector_get(const char *text, const char *key);
guint8 *neg_unhex(const char *hex, size_t *len);

/* ---- a man in the middle's tool (SECURITY 63, INTEROP R23) ----------- */
/* The initiator writes message 3 after it has seen d; its rshashes fillers
 * are free bytes.  A forge holds the initiator's negotiation (in state
 * INIT_EXPECT_INIT, after it wrote m3) and rewrites the first rshashes value
 * of m3, then recomputes mac_A, identity and mac with the initiator's keys,
 * exactly as an honest initiator would have: the responder accepts every
 * variant.  C_A is read from message 2 (m2). */
typedef struct _NegM3Forge NegM3Forge;

NegM3Forge *neg_m3_forge_new(const EsessNeg *initiator, const char *m2, const char *m3);
/* Puts filler into the first rshashes value and recomputes; m_a receives the
 * new M_A (what the legacy SAS hashes). */
void neg_m3_forge_try(NegM3Forge *f, const guint8 filler[32], guint8 m_a[32]);
/* The legacy SAS value the responder will compute for the last try (R8). */
guint32 neg_m3_forge_legacy_sas(NegM3Forge *f, const guint8 m_a[32]);
/* The SAS value the responder will compute for the last try, with the
 * algorithm the negotiation chose (R8 over M_A, or R23). */
guint32 neg_m3_forge_sas(NegM3Forge *f, const guint8 m_a[32]);
/* The message 3 stanza of the last try (newly allocated). */
char *neg_m3_forge_text(const NegM3Forge *f);
void neg_m3_forge_free(NegM3Forge *f);

/* The 24- or 28.8-bit value of a displayed SAS string (R8 alphabet). */
guint32 neg_sas_decode(const char *sas);

#endif /* NEG_HARNESS_H */
