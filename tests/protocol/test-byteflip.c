/*
 * test-byteflip: every byte inside the attribute values and text of each of
 * the four negotiation messages is flipped in turn to another printable
 * character (so the XML stays parsable).  The negotiation never completes;
 * the receiver fails cleanly with an expected status, emits the DIGEST §12
 * error where one is due, wipes; and a fresh negotiation afterwards succeeds
 * with a fresh e (SECURITY 57; libotr's two-party tamper tests).
 *
 * ESESS_BYTEFLIP_STRIDE=n flips every n-th eligible byte (default 1).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "neg-harness.h"

typedef struct {
	guint msg;      /* which message (1..4) */
	guint nth;      /* which eligible byte */
	gboolean hit;   /* the byte existed */
	char before, after;
} Flip;

static char
flipped(char c)
{
	if (c >= 'a' && c <= 'z')
		return c == 'z' ? 'a' : (char)(c + 1);
	if (c >= 'A' && c <= 'Z')
		return c == 'Z' ? 'A' : (char)(c + 1);
	if (c >= '0' && c <= '9')
		return c == '9' ? '0' : (char)(c + 1);
	return c == 'Q' ? 'R' : 'Q';
}

/* Eligible bytes: inside attribute values and text, after the outer
 * <message ...> start tag (its from/to are checked elsewhere: SECURITY 55). */
static char *
flip_nth(const char *s, guint nth, gboolean *hit, char *before, char *after)
{
	char *t;
	size_t i;
	gboolean in_tag = FALSE, in_attr = FALSE, outer_done = FALSE;
	char quote = 0;
	guint k = 0;

	t = g_strdup(s);
	*hit = FALSE;
	for (i = 0; t[i] != '\0'; i++) {
		char c = t[i];
		gboolean eligible = FALSE;

		if (in_attr) {
			if (c == quote)
				in_attr = FALSE;
			else
				eligible = outer_done;
		} else if (in_tag) {
			if (c == '\'' || c == '"') {
				in_attr = TRUE;
				quote = c;
			} else if (c == '>') {
				in_tag = FALSE;
				outer_done = TRUE;
			}
		} else if (c == '<') {
			in_tag = TRUE;
		} else {
			eligible = outer_done && c != '&' && c != ';';
		}
		if (!eligible)
			continue;
		if (k++ == nth) {
			*before = c;
			t[i] = flipped(c);
			*after = t[i];
			*hit = TRUE;
			break;
		}
	}
	return t;
}

static char *
tamper(guint index, const char *s, gpointer data)
{
	Flip *f = data;

	if (index != f->msg)
		return g_strdup(s);
	return flip_nth(s, f->nth, &f->hit, &f->before, &f->after);
}

/* TRUE when the flip landed in the type attribute of the identity or mac
 * field: those two fields are outside the forms the SIGMA MACs cover (their
 * values are checked by M_A/M_B and the MAC itself, XEP-0116), and in a
 * submit or result form a field's type is not significant (XEP-0004,
 * INTEROP R20), so such a flip changes nothing and may go unnoticed. */
static gboolean
flip_in_ignored_type(const char *stanza)
{
	GRegex *re;
	GMatchInfo *mi = NULL;
	gboolean found = FALSE;

	re = g_regex_new("<field type='([^']*)' var='(identity|mac)'", 0, 0, NULL);
	g_regex_match(re, stanza, 0, &mi);
	while (g_match_info_matches(mi) && !found) {
		char *type = g_match_info_fetch(mi, 1);

		found = g_strcmp0(type, "hidden") != 0;
		g_free(type);
		g_match_info_next(mi, NULL);
	}
	g_match_info_free(mi);
	g_regex_unref(re);
	return found;
}

static gboolean
allowed(EsessStatus r)
{
	static const EsessStatus ok[] = {
		ESESS_ERR_XML, ESESS_ERR_FORM, ESESS_ERR_BASE64, ESESS_ERR_LENGTH,
		ESESS_ERR_MPI, ESESS_ERR_DH_RANGE, ESESS_ERR_NOT_ACCEPTABLE,
		ESESS_ERR_NOT_OFFERED, ESESS_ERR_POLICY, ESESS_ERR_NONCE,
		ESESS_ERR_COMMITMENT, ESESS_ERR_IDENTITY, ESESS_ERR_STATE,
		ESESS_ERR_WRONG_PEER, ESESS_ERR_REJECTED, ESESS_ERR_PEER_ERROR,
		ESESS_ERR_UNKNOWN_GROUP, ESESS_ERR_INTEGER
	};
	gsize i;

	for (i = 0; i < G_N_ELEMENTS(ok); i++) {
		if (ok[i] == r)
			return TRUE;
	}
	return FALSE;
}

static void
flip_message(guint msg)
{
	NegParty a, b;
	NegWire w;
	Flip f;
	guint stride, runs = 0, nth;
	const char *env;
	char *he1, *he2;
	gboolean ok;
	NegParty *recv;

	env = g_getenv("ESESS_BYTEFLIP_STRIDE");
	stride = env != NULL ? (guint)atoi(env) : 1;
	if (stride == 0)
		stride = 1;
	for (nth = 0;; nth += stride) {
		neg_party_init(&a, "alice@example.org/pda", NULL);
		neg_party_init(&b, "bob@example.com/laptop", NULL);
		memset(&f, 0, sizeof f);
		f.msg = msg;
		f.nth = nth;
		neg_wire_init(&w, tamper, &f);
		ok = neg_run(&a, &b, &w, FALSE);
		if (!f.hit) {
			/* past the last eligible byte: the untouched run works */
			g_assert_true(ok);
			neg_wire_clear(&w);
			neg_party_clear(&a);
			neg_party_clear(&b);
			break;
		}
		if (ok && flip_in_ignored_type(g_ptr_array_index(w.wire, msg - 1))) {
			neg_wire_clear(&w);
			neg_party_clear(&a);
			neg_party_clear(&b);
			continue;
		}
		if (ok) {
			g_test_message("message %u byte %u '%c'->'%c' went unnoticed: %s", msg, nth,
				       f.before, f.after, (char *)g_ptr_array_index(w.wire, msg - 1));
			g_assert_not_reached();
		}
		runs++;
		/* the receiver of the flipped message: an expected status, or
		 * (a flipped namespace: not a negotiation stanza at all) the
		 * stanza was ignored and the negotiation stalls */
		recv = msg % 2 == 1 ? &b : &a;
		if (!allowed(recv->last_status) &&
		    !allowed((msg % 2 == 1 ? &a : &b)->last_status) &&
		    !(recv->last_status == ESESS_OK && recv->chat != NULL &&
		      esess_chat_state(recv->chat) == ESESS_CHAT_NEGOTIATING)) {
			g_test_message("message %u byte %u: statuses %s / %s", msg, nth,
				       esess_status_symbol(a.last_status), esess_status_symbol(b.last_status));
			g_assert_not_reached();
		}
		/* DIGEST §12: a refused offer, a broken commitment or identity is
		 * answered with exactly one error stanza (never one echoing the
		 * form: R13) */
		if (recv->last_event == ESESS_EV_FAILED &&
		    (recv->last_status == ESESS_ERR_COMMITMENT || recv->last_status == ESESS_ERR_IDENTITY ||
		     recv->last_status == ESESS_ERR_NOT_ACCEPTABLE || recv->last_status == ESESS_ERR_POLICY ||
		     recv->last_status == ESESS_ERR_NOT_OFFERED || recv->last_status == ESESS_ERR_DH_RANGE)) {
			if (recv->n_errors_sent != 1)
				g_test_message("message %u byte %u: %s and %u error stanzas", msg, nth,
					       esess_status_symbol(recv->last_status), recv->n_errors_sent);
			g_assert_cmpuint(recv->n_errors_sent, ==, 1);
		}
		/* no half state: nothing established, nothing usable */
		g_assert_true(a.chat == NULL || esess_chat_state(a.chat) != ESESS_CHAT_ESTABLISHED ||
			      b.chat == NULL || esess_chat_state(b.chat) != ESESS_CHAT_ESTABLISHED);
		he1 = neg_get_field(g_ptr_array_index(w.wire, 0), "dhhashes");
		neg_wire_clear(&w);
		/* every 50th run: a fresh negotiation succeeds, with a fresh e */
		if (runs % 50 == 1) {
			neg_party_reset(&a);
			neg_party_reset(&b);
			neg_wire_init(&w, NULL, NULL);
			g_assert_true(neg_run(&a, &b, &w, FALSE));
			he2 = neg_get_field(g_ptr_array_index(w.wire, 0), "dhhashes");
			g_assert_cmpstr(he1, !=, he2);
			g_free(he2);
			neg_wire_clear(&w);
		}
		g_free(he1);
		neg_party_clear(&a);
		neg_party_clear(&b);
	}
	g_test_message("message %u: %u flips, all refused", msg, runs);
	g_assert_cmpuint(runs, >, 100 / stride);
}

static void
test_m1(void)
{
	flip_message(1);
}

static void
test_m2(void)
{
	flip_message(2);
}

static void
test_m3(void)
{
	flip_message(3);
}

static void
test_m4(void)
{
	flip_message(4);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_assert_cmpint(esess_crypto_init(), ==, ESESS_OK);
	g_test_add_func("/byteflip/message1", test_m1);
	g_test_add_func("/byteflip/message2", test_m2);
	g_test_add_func("/byteflip/message3", test_m3);
	g_test_add_func("/byteflip/message4", test_m4);
	return g_test_run();
}
