/* neg-harness.c - see neg-harness.h */
#include "config.h"

#include <glib/gstdio.h>
#include <string.h>

#include "esess-bytes.h"
#include "esess-neg-private.h"
#include "esess-xml.h"
#include "neg-harness.h"

char *
neg_tmpdir(void)
{
	GError *err = NULL;
	char *d;

	d = g_dir_make_tmp("esess-neg-XXXXXX", &err);
	g_assert_no_error(err);
	return d;
}

void
neg_rmdir(const char *dir)
{
	GDir *d;
	const char *name;
	char *p;

	d = g_dir_open(dir, 0, NULL);
	if (d == NULL)
		return;
	while ((name = g_dir_read_name(d)) != NULL) {
		p = g_build_filename(dir, name, NULL);
		g_unlink(p);
		g_free(p);
	}
	g_dir_close(d);
	g_rmdir(dir);
}

void
neg_party_init(NegParty *p, const char *jid, const char *dir)
{
	const char *slash;

	memset(p, 0, sizeof *p);
	p->jid = g_strdup(jid);
	slash = strchr(jid, '/');
	p->bare = slash != NULL ? g_strndup(jid, (gsize)(slash - jid)) : g_strdup(jid);
	if (dir != NULL) {
		p->store_path = g_strdup_printf("%s/%s.store", dir, p->bare);
		g_assert_cmpint(esess_store_open(p->store_path, &p->store), ==, ESESS_OK);
	}
	p->groups[0] = 14;
	p->cfg.account = p->bare;
	p->cfg.own_jid = p->jid;
	p->cfg.store = p->store;
	p->cfg.min_modp_bits = 2048;
	p->cfg.modp_offer = p->groups;
	p->cfg.n_modp_offer = 1;
	p->cfg.logging = ESESS_LOGPREF_PREFER;
	p->cfg.placeholder = "[This message is encrypted]";
	p->unsent = g_ptr_array_new_with_free_func(g_free);
}

void
neg_party_reset(NegParty *p)
{
	esess_chat_free(p->chat);
	p->chat = NULL;
	p->n_established = p->n_failed = p->n_errors_sent = 0;
	p->last_status = ESESS_OK;
	p->fail_status = ESESS_OK;
	p->fail_field[0] = '\0';
	p->last_event = ESESS_EV_NONE;
	g_free(p->last_deliver);
	p->last_deliver = NULL;
	g_ptr_array_set_size(p->unsent, 0);
}

void
neg_party_clear(NegParty *p)
{
	neg_party_reset(p);
	esess_store_free(p->store);
	g_free(p->store_path);
	g_free(p->jid);
	g_free(p->bare);
	g_ptr_array_unref(p->unsent);
	memset(p, 0, sizeof *p);
}

void
neg_wire_init(NegWire *w, NegTamper tamper, gpointer data)
{
	w->tamper = tamper;
	w->data = data;
	w->index = 0;
	w->wire = g_ptr_array_new_with_free_func(g_free);
}

void
neg_wire_clear(NegWire *w)
{
	g_ptr_array_unref(w->wire);
}

char *
neg_set_from(const char *stanza, const char *from)
{
	g_assert_true(g_str_has_prefix(stanza, "<message"));
	return g_strdup_printf("<message from='%s'%s", from, stanza + strlen("<message"));
}

static void
take_step(NegParty *p, EsessStep *step, EsessStatus r, GPtrArray *out)
{
	guint i;

	p->last_status = r;
	p->last_event = step->event;
	p->by_peer = step->by_peer;
	if (step->event == ESESS_EV_ESTABLISHED)
		p->n_established++;
	if (step->event == ESESS_EV_FAILED || step->event == ESESS_EV_REJECTED) {
		p->n_failed++;
		p->fail_status = step->status;
		g_strlcpy(p->fail_field, step->field, sizeof p->fail_field);
	}
	if (step->deliver != NULL) {
		g_free(p->last_deliver);
		p->last_deliver = g_strdup(step->deliver);
	}
	for (i = 0; step->unsent != NULL && i < step->unsent->len; i++)
		g_ptr_array_add(p->unsent, g_strdup(g_ptr_array_index(step->unsent, i)));
	for (i = 0; step->send != NULL && i < step->send->len; i++) {
		const char *s = g_ptr_array_index(step->send, i);

		if (strstr(s, "type='error'") != NULL && g_str_has_prefix(s, "<message"))
			p->n_errors_sent++;
		if (out != NULL)
			g_ptr_array_add(out, g_strdup(s));
	}
	esess_step_clear(step);
}

EsessStatus
neg_deliver(NegParty *p, const char *stanza, GPtrArray *out)
{
	EsessMsgInfo info;
	EsessStep step;
	EsessStatus r;

	esess_step_init(&step);
	r = esess_msg_inspect(stanza, strlen(stanza), p->jid, &info);
	if (r != ESESS_OK) {
		take_step(p, &step, r, out);
		return r;
	}
	if (p->chat == NULL && info.kind == ESESS_MSG_NEG_REQUEST) {
		r = esess_chat_accept(&p->cfg, &info, &p->chat, &step);
	} else if (p->chat != NULL) {
		r = esess_chat_receive(p->chat, &info, &step);
	} else {
		r = ESESS_ERR_STATE;
	}
	take_step(p, &step, r, out);
	esess_msg_info_clear(&info);
	return r;
}

void
neg_pump(NegParty *src, NegParty *dst, GPtrArray *stanzas, NegWire *w)
{
	GPtrArray *next;
	NegParty *tmp;
	guint i;
	char *s, *t;

	while (stanzas->len > 0) {
		next = g_ptr_array_new_with_free_func(g_free);
		for (i = 0; i < stanzas->len; i++) {
			s = neg_set_from(g_ptr_array_index(stanzas, i), src->jid);
			w->index++;
			if (w->tamper != NULL) {
				t = w->tamper(w->index, s, w->data);
				g_free(s);
				s = t;
			}
			if (s == NULL)
				continue;
			g_ptr_array_add(w->wire, g_strdup(s));
			if (g_getenv("ESESS_DUMP_WIRE") != NULL) {
				/* for fuzz seeds: ESESS_DUMP_WIRE=dir writes wire-N.xml */
				char *path = g_strdup_printf("%s/wire-%u.xml", g_getenv("ESESS_DUMP_WIRE"),
							     w->index);

				g_assert_true(g_file_set_contents(path, s, -1, NULL));
				g_free(path);
			}
			(void)neg_deliver(dst, s, next);
			g_free(s);
		}
		g_ptr_array_unref(stanzas);
		stanzas = next;
		tmp = src;
		src = dst;
		dst = tmp;
	}
	g_ptr_array_unref(stanzas);
}

gboolean
neg_run(NegParty *a, NegParty *b, NegWire *w, gboolean to_full)
{
	EsessStep step;
	GPtrArray *out;
	EsessStatus r;

	a->cfg.peer_jid = to_full ? b->jid : b->bare;
	esess_step_init(&step);
	out = g_ptr_array_new_with_free_func(g_free);
	r = esess_chat_start(&a->cfg, &a->chat, &step);
	g_assert_cmpint(r, ==, ESESS_OK);
	take_step(a, &step, r, out);
	neg_pump(a, b, out, w);
	return a->chat != NULL && b->chat != NULL &&
	       esess_chat_state(a->chat) == ESESS_CHAT_ESTABLISHED &&
	       esess_chat_state(b->chat) == ESESS_CHAT_ESTABLISHED;
}

/* ---- stanza field helpers -------------------------------------------- */

static EsessXmlNode *
first_form(EsessXmlNode *n)
{
	EsessXmlNode *ch, *f;

	if (esess_xml_is(n, "x", ESESS_NS_XDATA))
		return n;
	for (ch = n->first_child; ch != NULL; ch = ch->next) {
		if (ch->kind != ESESS_XML_ELEMENT)
			continue;
		f = first_form(ch);
		if (f != NULL)
			return f;
	}
	return NULL;
}

static EsessXmlNode *
find_field(EsessXmlNode *x, const char *var)
{
	EsessXmlNode *f;
	const char *a;

	for (f = esess_xml_child(x, "field", NULL); f != NULL; f = esess_xml_next(f, "field", NULL)) {
		a = esess_xml_attr(f, "var");
		if (a != NULL && strcmp(a, var) == 0)
			return f;
	}
	return NULL;
}

char *
neg_set_field(const char *stanza, const char *var, const char *const *values, gsize n)
{
	EsessXmlNode *root = NULL, *x, *f, *ch, *next;
	char *s;
	gsize i;

	g_assert_cmpint(esess_xml_parse(stanza, strlen(stanza), NULL, &root), ==, ESESS_OK);
	x = first_form(root);
	g_assert_nonnull(x);
	f = find_field(x, var);
	if (values == NULL) {
		if (f != NULL) {
			esess_xml_unlink(f);
			esess_xml_free(f);
		}
	} else {
		if (f == NULL) {
			f = esess_xml_add(x, "field", NULL);
			esess_xml_set_attr(f, "var", var);
		}
		for (ch = f->first_child; ch != NULL; ch = next) {
			next = ch->next;
			if (esess_xml_is(ch, "value", NULL)) {
				esess_xml_unlink(ch);
				esess_xml_free(ch);
			}
		}
		for (i = 0; i < n; i++)
			(void)esess_xml_add_text_child(f, "value", values[i]);
	}
	s = esess_xml_to_string(root);
	esess_xml_free(root);
	return s;
}

char *
neg_get_field(const char *stanza, const char *var)
{
	EsessXmlNode *root = NULL, *x, *f, *v;
	char *s = NULL;

	if (esess_xml_parse(stanza, strlen(stanza), NULL, &root) != ESESS_OK)
		return NULL;
	x = first_form(root);
	f = x != NULL ? find_field(x, var) : NULL;
	v = f != NULL ? esess_xml_child(f, "value", NULL) : NULL;
	if (v != NULL)
		s = esess_xml_text(v);
	esess_xml_free(root);
	return s;
}

int
neg_count_values(const char *stanza, const char *var)
{
	EsessXmlNode *root = NULL, *x, *f;
	int n = -1;

	if (esess_xml_parse(stanza, strlen(stanza), NULL, &root) != ESESS_OK)
		return -1;
	x = first_form(root);
	f = x != NULL ? find_field(x, var) : NULL;
	if (f != NULL)
		n = (int)esess_xml_count(f, "value", NULL);
	esess_xml_free(root);
	return n;
}

char *
neg_vector_len(const char *name, gsize *len)
{
	const char *dir;
	char *path, *text = NULL;
	GError *err = NULL;

	dir = g_getenv("ESESS_VECTORS");
#ifdef ESESS_TEST_VECTORS
	if (dir == NULL)
		dir = ESESS_TEST_VECTORS;
#endif
	if (dir == NULL)
		dir = "tests/vectors";
	path = g_build_filename(dir, name, NULL);
	g_file_get_contents(path, &text, len, &err);
	g_assert_no_error(err);
	g_free(path);
	return text;
}

char *
neg_vector(const char *name)
{
	return neg_vector_len(name, NULL);
}

EsessIdKey *
neg_test_idkey(const char *who)
{
	char *name = g_strdup_printf("idkey-%s-2048.pem", who);
	char *pem = neg_vector(name);
	EsessIdKey *k = NULL;

	g_assert_cmpint(esess_idkey_import_pem(pem, strlen(pem), NULL, &k), ==, ESESS_OK);
	g_free(pem);
	g_free(name);
	return k;
}

char *
neg_vector_get(const char *text, const char *key)
{
	char **lines;
	char *v = NULL;
	size_t kl;
	guint i;

	lines = g_strsplit(text, "\n", -1);
	kl = strlen(key);
	for (i = 0; lines[i] != NULL && v == NULL; i++) {
		if (strncmp(lines[i], key, kl) == 0 && strncmp(lines[i] + kl, " = ", 3) == 0)
			v = g_strdup(lines[i] + kl + 3);
	}
	g_strfreev(lines);
	return v;
}

guint8 *
neg_unhex(const char *hex, size_t *len)
{
	size_t n, i;
	guint8 *b;

	n = strlen(hex);
	g_assert_cmpuint(n % 2, ==, 0);
	b = g_malloc(n / 2 + 1);
	for (i = 0; i < n / 2; i++)
		b[i] = (guint8)(g_ascii_xdigit_value(hex[2 * i]) * 16 + g_ascii_xdigit_value(hex[2 * i + 1]));
	*len = n / 2;
	return b;
}

/* ---- a man in the middle's tool ------------------------------------------ */

struct _NegM3Forge {
	const EsessNeg *neg;
	guint8 c_a[ESESS_COUNTER_LEN];
	EsessXmlNode *root;
	EsessXmlNode *x;
	EsessXmlNode *filler;     /* text node of the first rshashes value */
	EsessXmlNode *identity;   /* text node of identity's value */
	EsessXmlNode *mac;        /* text node of mac's value */
	GString *form_a2;
};

static EsessXmlNode *
value_text(EsessXmlNode *x, const char *var)
{
	EsessXmlNode *f = find_field(x, var), *v;

	g_assert_nonnull(f);
	v = esess_xml_child(f, "value", NULL);
	g_assert_nonnull(v);
	g_assert_nonnull(v->first_child);
	g_assert_true(v->first_child->kind == ESESS_XML_TEXT);
	return v->first_child;
}

static void
set_text(EsessXmlNode *t, const guint8 *data, size_t len)
{
	g_free(t->text);
	t->text = esess_base64_encode(data, len);
	t->text_len = strlen(t->text);
}

NegM3Forge *
neg_m3_forge_new(const EsessNeg *initiator, const char *m2, const char *m3)
{
	NegM3Forge *f = g_new0(NegM3Forge, 1);
	char *c;
	guint8 *ctr;
	size_t n;

	g_assert_cmpint(esess_neg_state(initiator), ==, ESESS_NEG_INIT_EXPECT_INIT);
	f->neg = initiator;
	/* C_A as Bob sent it (16 bytes from this project, MPI from Gajim) */
	c = neg_get_field(m2, "counter");
	g_assert_nonnull(c);
	g_assert_cmpint(esess_base64_decode(c, strlen(c), ESESS_COUNTER_LEN, &ctr, &n), ==, ESESS_OK);
	memcpy(f->c_a + ESESS_COUNTER_LEN - n, ctr, n);
	g_free(ctr);
	g_free(c);
	g_assert_cmpint(esess_xml_parse(m3, strlen(m3), NULL, &f->root), ==, ESESS_OK);
	f->x = first_form(f->root);
	g_assert_nonnull(f->x);
	f->filler = value_text(f->x, "rshashes");
	f->identity = value_text(f->x, "identity");
	f->mac = value_text(f->x, "mac");
	f->form_a2 = g_string_new(NULL);
	return f;
}

void
neg_m3_forge_try(NegM3Forge *f, const guint8 filler[32], guint8 m_a[32])
{
	static const char *const no_identity[] = { "identity", "mac", NULL };
	const EsessNeg *neg = f->neg;
	guint8 mac_a[ESESS_HMAC_LEN], id_a[ESESS_HMAC_LEN], after[ESESS_COUNTER_LEN];
	const guint8 *e;
	size_t e_len;

	set_text(f->filler, filler, 32);
	g_string_truncate(f->form_a2, 0);
	esess_form_canon(f->x, no_identity, f->form_a2);
	e = esess_dh_key_public(neg->own, &e_len);
	/* mac_A = HMAC(KS_A, N_B || N_A || e || form_A || form_A2), then
	 * ID_A and M_A, as the initiator computes them (esess-neg-init.c) */
	g_assert_cmpint(esess_neg_sigma_mac(neg->keys[ESESS_KEY_KS_A], neg->n_b, neg->n_b_len,
					    neg->n_a, neg->n_a_len, e, e_len, neg->form_a,
					    f->form_a2, mac_a), ==, ESESS_OK);
	g_assert_cmpint(esess_neg_crypt_identity(neg->keys[ESESS_KEY_KC_A], f->c_a, mac_a, id_a,
						 sizeof id_a, after), ==, ESESS_OK);
	g_assert_cmpint(esess_neg_identity_mac(neg->keys[ESESS_KEY_KM_A], f->c_a, id_a, sizeof id_a,
					       m_a), ==, ESESS_OK);
	set_text(f->identity, id_a, sizeof id_a);
	set_text(f->mac, m_a, ESESS_HMAC_LEN);
}

guint32
neg_m3_forge_legacy_sas(NegM3Forge *f, const guint8 m_a[32])
{
	return esess_sas_value(m_a, 32, f->neg->form_b->str, f->neg->form_b->len);
}

guint32
neg_m3_forge_sas(NegM3Forge *f, const guint8 m_a[32])
{
	const EsessNeg *neg = f->neg;
	EsessSasInput in;
	const guint8 *e;
	size_t e_len;

	if (g_strcmp0(neg->choice.sas_algs, ESESS_SAS_COMMITTED_NAME) != 0)
		return neg_m3_forge_legacy_sas(f, m_a);
	/* R23: the same inputs whatever the forger wrote into message 3 */
	e = esess_dh_key_public(neg->own, &e_len);
	in.n_a = neg->n_a;
	in.n_a_len = neg->n_a_len;
	in.n_b = neg->n_b;
	in.n_b_len = neg->n_b_len;
	in.e = e;
	in.e_len = e_len;
	in.d = neg->peer_pub;
	in.d_len = neg->peer_pub_len;
	in.form_a = neg->form_a->str;
	in.form_a_len = neg->form_a->len;
	in.form_b = neg->form_b->str;
	in.form_b_len = neg->form_b->len;
	return esess_sas_committed_value(&in);
}

char *
neg_m3_forge_text(const NegM3Forge *f)
{
	return esess_xml_to_string(f->root);
}

void
neg_m3_forge_free(NegM3Forge *f)
{
	if (f == NULL)
		return;
	esess_xml_free(f->root);
	g_string_free(f->form_a2, TRUE);
	g_free(f);
}

guint32
neg_sas_decode(const char *sas)
{
	static const char alphabet[] = ESESS_SAS_ALPHABET;
	guint32 v = 0;
	const char *p, *at;

	for (p = sas; *p != '\0'; p++) {
		at = strchr(alphabet, *p);
		g_assert_nonnull(at);
		v = v * 28u + (guint32)(at - alphabet);
	}
	return v;
}
