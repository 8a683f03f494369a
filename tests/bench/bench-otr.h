/*
 * bench-otr.h - the comparison peer: libotr 4 with two users in one process
 * (doc/hacking.md "How to compare").  Linked only into the benchmark programs.
 */
#ifndef BENCH_OTR_H
#define BENCH_OTR_H

#include <glib.h>

G_BEGIN_DECLS

typedef struct _BenchOtrPair BenchOtrPair;

/* Initialises libotr (as pidgin-otr would) and gives alice and bob DSA keys
 * and instance tags (a second or two: done once). */
BenchOtrPair *bench_otr_pair_new(void);

/* One complete AKE, both sides: alice's query, then bob's DH-commit, alice's
 * DH-key, bob's reveal-signature, alice's signature, each delivered through
 * otrl_message_receiving.  Returns TRUE when both ends are ENCRYPTED. */
gboolean bench_otr_ake(BenchOtrPair *p);

/* Forgets both ends' contexts so the next AKE starts from scratch. */
void bench_otr_forget(BenchOtrPair *p);

/* One-way message alice -> bob through the message API
 * (otrl_message_sending + otrl_message_receiving), after an AKE.
 * Returns TRUE when bob got exactly msg. */
gboolean bench_otr_message(BenchOtrPair *p, const char *msg);

/* The same at the protocol layer (otrl_proto_create_data +
 * otrl_proto_accept_data on the established contexts). */
gboolean bench_otr_proto(BenchOtrPair *p, const char *msg);

void bench_otr_pair_free(BenchOtrPair *p);

/* Gives account (protocol "xmpp") of libotr user state us a DSA key and an
 * instance tag, in memory (bench-scale-otr uses it too).  us is an
 * OtrlUserState, named by its struct here so that this header does not
 * depend on the order of libotr's headers. */
struct s_OtrlUserState;
void bench_otr_keys(struct s_OtrlUserState *us, const char *account);

G_END_DECLS

#endif /* BENCH_OTR_H */
