/*
 * neg-pair.h - the negotiation engine driven directly (EsessNeg, both
 * roles, messages as text) and two chat parties, for the negotiate unit
 * tests (test-negotiate.c, test-neg-security.c).
 */
#ifndef NEG_PAIR_H
#define NEG_PAIR_H

#include "esess-negotiate.h"
#include "esess-store.h"
#include "../protocol/neg-harness.h"

typedef struct {
	char *dir;
	EsessStore *sa, *sb;
	EsessNegConfig ca, cb;
	guint groups[3];
	EsessNeg *a, *b;
	char *m[6];         /* m[1]..m[4]: the four messages as text */
	char *err;          /* last error stanza produced, or NULL */
} P;

typedef struct {
	char *dir;
	NegParty a, b;
	NegWire w;
} Fx;

void p_init(P *p);
void p_clear(P *p);
char *wrap(EsessXmlNode *el, const char *from, const char *type);
void take_out(P *p, EsessNegOut *o, const char *from, char **slot);
void p_m1(P *p);
EsessStatus p_respond(P *p, const char *text);
EsessStatus p_recv(P *p, EsessNeg *neg, const char *text, int slot);
EsessStatus p_run(P *p);
EsessStatus bad_d(const guint8 *v, size_t n, P *p);
void assert_failed_wiped(EsessNeg *neg);
guint8 *prime_plus(gint delta, size_t *n);
void m2_field(const char *var, const char *value, EsessStatus want);
void fx_init(Fx *fx);
void fx_clear(Fx *fx);

#endif /* NEG_PAIR_H */
