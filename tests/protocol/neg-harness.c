/* neg-harness.c - see neg-harness.h */
#include "config.h"

#include <glib/gstdio.h>
#include <string.h>

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
neg_vector(const char *name)
{
	const char *dir;
	char *path, *text = NULL;
	GError *err = NULL;

	dir = g_getenv("ESESS_VECTORS");
	if (dir == NULL)
		dir = "tests/vectors";
	path = g_build_filename(dir, name, NULL);
	g_file_get_contents(path, &text, NULL, &err);
	g_assert_no_error(err);
	g_free(path);
	return text;
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
