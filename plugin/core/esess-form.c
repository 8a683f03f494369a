/*
 * esess-form.c - XEP-0004 data forms for ESessions (DIGEST §2.1): a bounded,
 * lossless parser, a builder, a whitespace-free writer and the INTEROP R7
 * canonical content of a form.
 *
 * Received forms are untrusted: every count and length is checked against
 * the named limits before anything is kept (SECURITY 59), and any shape the
 * XEP forbids is refused, never repaired (SECURITY 23).
 */
#include "config.h"

#include <string.h>

#include "esess-form.h"

static const struct {
	EsessFieldType type;
	const char *name;
} field_types[] = {
	{ ESESS_FIELD_BOOLEAN,      "boolean" },
	{ ESESS_FIELD_FIXED,        "fixed" },
	{ ESESS_FIELD_HIDDEN,       "hidden" },
	{ ESESS_FIELD_JID_MULTI,    "jid-multi" },
	{ ESESS_FIELD_JID_SINGLE,   "jid-single" },
	{ ESESS_FIELD_LIST_MULTI,   "list-multi" },
	{ ESESS_FIELD_LIST_SINGLE,  "list-single" },
	{ ESESS_FIELD_TEXT_MULTI,   "text-multi" },
	{ ESESS_FIELD_TEXT_PRIVATE, "text-private" },
	{ ESESS_FIELD_TEXT_SINGLE,  "text-single" },
};

const char *
esess_form_kind_name(EsessFormKind kind)
{
	switch (kind) {
	case ESESS_FORM_FORM:
		return "form";
	case ESESS_FORM_SUBMIT:
		return "submit";
	case ESESS_FORM_RESULT:
		return "result";
	case ESESS_FORM_CANCEL:
		return "cancel";
	}
	return "form";
}

const char *
esess_field_type_name(EsessFieldType type)
{
	gsize i;

	for (i = 0; i < G_N_ELEMENTS(field_types); i++)
		if (field_types[i].type == type)
			return field_types[i].name;
	return NULL;
}

static gboolean
parse_kind(const char *s, EsessFormKind *out)
{
	static const EsessFormKind kinds[] = {
		ESESS_FORM_FORM, ESESS_FORM_SUBMIT, ESESS_FORM_RESULT, ESESS_FORM_CANCEL
	};
	gsize i;

	if (s == NULL)
		return FALSE;
	for (i = 0; i < G_N_ELEMENTS(kinds); i++) {
		if (strcmp(s, esess_form_kind_name(kinds[i])) == 0) {
			*out = kinds[i];
			return TRUE;
		}
	}
	return FALSE;
}

static gboolean
parse_field_type(const char *s, EsessFieldType *out)
{
	gsize i;

	if (s == NULL) {
		*out = ESESS_FIELD_UNSPECIFIED;
		return TRUE;
	}
	for (i = 0; i < G_N_ELEMENTS(field_types); i++) {
		if (strcmp(s, field_types[i].name) == 0) {
			*out = field_types[i].type;
			return TRUE;
		}
	}
	return FALSE;
}

/* XEP-0004 §3.3: only these may carry several <value/> (DIGEST §2.1). */
static gboolean
type_is_multi(EsessFieldType t)
{
	switch (t) {
	case ESESS_FIELD_HIDDEN:
	case ESESS_FIELD_JID_MULTI:
	case ESESS_FIELD_LIST_MULTI:
	case ESESS_FIELD_TEXT_MULTI:
		return TRUE;
	case ESESS_FIELD_UNSPECIFIED:
	case ESESS_FIELD_BOOLEAN:
	case ESESS_FIELD_FIXED:
	case ESESS_FIELD_JID_SINGLE:
	case ESESS_FIELD_LIST_SINGLE:
	case ESESS_FIELD_TEXT_PRIVATE:
	case ESESS_FIELD_TEXT_SINGLE:
		return FALSE;
	}
	return FALSE;
}

static void
field_free(gpointer p)
{
	EsessField *fld = p;

	if (fld == NULL)
		return;
	g_free(fld->var);
	g_ptr_array_unref(fld->values);
	g_ptr_array_unref(fld->options);
	g_free(fld);
}

static EsessField *
field_new(const char *var, EsessFieldType type)
{
	EsessField *fld = g_new0(EsessField, 1);

	fld->var = g_strdup(var);
	fld->type = type;
	fld->values = g_ptr_array_new_with_free_func(g_free);
	fld->options = g_ptr_array_new_with_free_func(g_free);
	return fld;
}

EsessForm *
esess_form_new(EsessFormKind kind)
{
	EsessForm *f = g_new0(EsessForm, 1);

	f->kind = kind;
	f->fields = g_ptr_array_new_with_free_func(field_free);
	return f;
}

void
esess_form_free(EsessForm *f)
{
	if (f == NULL)
		return;
	g_ptr_array_unref(f->fields);
	g_free(f);
}

EsessField *
esess_form_add(EsessForm *f, const char *var, EsessFieldType type)
{
	EsessField *fld;

	g_return_val_if_fail(f != NULL, NULL);
	fld = field_new(var, type);
	g_ptr_array_add(f->fields, fld);
	return fld;
}

void
esess_field_add_value(EsessField *fld, const char *value)
{
	g_return_if_fail(fld != NULL && value != NULL);
	g_ptr_array_add(fld->values, g_strdup(value));
}

void
esess_field_add_option(EsessField *fld, const char *value)
{
	g_return_if_fail(fld != NULL && value != NULL);
	g_ptr_array_add(fld->options, g_strdup(value));
}

const EsessField *
esess_form_get(const EsessForm *f, const char *var)
{
	guint i;

	g_return_val_if_fail(f != NULL && var != NULL, NULL);
	for (i = 0; i < f->fields->len; i++) {
		const EsessField *fld = g_ptr_array_index(f->fields, i);

		if (fld->var != NULL && strcmp(fld->var, var) == 0)
			return fld;
	}
	return NULL;
}

EsessStatus
esess_form_get_single(const EsessForm *f, const char *var, const char **out)
{
	const EsessField *fld;

	g_return_val_if_fail(out != NULL, ESESS_ERR_INVALID_ARG);
	*out = NULL;
	fld = esess_form_get(f, var);
	if (fld == NULL || fld->values->len != 1)
		return ESESS_ERR_FORM;
	*out = g_ptr_array_index(fld->values, 0);
	return ESESS_OK;
}

EsessStatus
esess_form_get_bool(const EsessForm *f, const char *var, gboolean *out)
{
	const char *v;
	EsessStatus r;

	g_return_val_if_fail(out != NULL, ESESS_ERR_INVALID_ARG);
	*out = FALSE;
	r = esess_form_get_single(f, var, &v);
	if (r != ESESS_OK)
		return r;
	/* XEP-0004 §3.3 lexical forms, exactly */
	if (strcmp(v, "1") == 0 || strcmp(v, "true") == 0)
		*out = TRUE;
	else if (strcmp(v, "0") == 0 || strcmp(v, "false") == 0)
		*out = FALSE;
	else
		return ESESS_ERR_FORM;
	return ESESS_OK;
}

/* Text of a <value/>: no element children, bounded length. */
static EsessStatus
value_text(const EsessXmlNode *v, char **out)
{
	char *t;

	*out = NULL;
	if (esess_xml_has_elements(v))
		return ESESS_ERR_FORM;
	t = esess_xml_text(v);
	if (strlen(t) > ESESS_MAX_VALUE_LEN) {
		g_free(t);
		return ESESS_ERR_XML_LIMIT;
	}
	*out = t;
	return ESESS_OK;
}

static gboolean
array_has(const GPtrArray *a, const char *s)
{
	guint i;

	for (i = 0; i < a->len; i++)
		if (strcmp(g_ptr_array_index(a, i), s) == 0)
			return TRUE;
	return FALSE;
}

static EsessStatus
parse_field(const EsessXmlNode *fn, EsessFormKind kind, EsessField **out)
{
	EsessField *fld = NULL;
	EsessFieldType type;
	const EsessXmlNode *c;
	const char *var;
	char *text = NULL;
	EsessStatus r = ESESS_OK;

	*out = NULL;
	var = esess_xml_attr(fn, "var");
	/* In a submit or result form the type is not significant (XEP-0004
	 * §3.2, INTEROP R20): any type, even one XEP-0004 does not define,
	 * is read as untyped and the values judged; the R7 canonical form
	 * still covers the attribute as it arrived.  A form's type matters. */
	if (!parse_field_type(esess_xml_attr(fn, "type"), &type)) {
		if (kind == ESESS_FORM_FORM)
			return ESESS_ERR_FORM;
		type = ESESS_FIELD_UNSPECIFIED;
	}
	if (var != NULL && strlen(var) > ESESS_MAX_VALUE_LEN)
		return ESESS_ERR_XML_LIMIT;
	/* only a fixed field may go without a var (XEP-0004 §3.2) */
	if (var == NULL && type != ESESS_FIELD_FIXED)
		return ESESS_ERR_FORM;
	fld = field_new(var, type);
	for (c = fn->first_child; c != NULL; c = c->next) {
		if (c->kind != ESESS_XML_ELEMENT)
			continue;
		if (esess_xml_is(c, "value", ESESS_NS_XDATA)) {
			if (fld->values->len >= ESESS_MAX_FIELD_VALUES) {
				r = ESESS_ERR_XML_LIMIT;
				goto out;
			}
			r = value_text(c, &text);
			if (r != ESESS_OK)
				goto out;
			g_ptr_array_add(fld->values, text);
			text = NULL;
		} else if (esess_xml_is(c, "option", ESESS_NS_XDATA)) {
			const EsessXmlNode *v;

			if (fld->options->len >= ESESS_MAX_FIELD_OPTIONS) {
				r = ESESS_ERR_XML_LIMIT;
				goto out;
			}
			/* exactly one <value/> per option */
			if (esess_xml_count(c, "value", ESESS_NS_XDATA) != 1 ||
			    esess_xml_count(c, NULL, NULL) != 1) {
				r = ESESS_ERR_FORM;
				goto out;
			}
			v = esess_xml_child(c, "value", ESESS_NS_XDATA);
			r = value_text(v, &text);
			if (r != ESESS_OK)
				goto out;
			/* options unique by value (XEP-0004 §3.3) */
			if (array_has(fld->options, text)) {
				r = ESESS_ERR_FORM;
				goto out;
			}
			g_ptr_array_add(fld->options, text);
			text = NULL;
		} else if (esess_xml_is(c, "required", ESESS_NS_XDATA)) {
			/* <required/> MUST be empty; twice is a malformed field */
			if (fld->required || c->first_child != NULL) {
				r = ESESS_ERR_FORM;
				goto out;
			}
			fld->required = TRUE;
		}
		/* <desc/>: not used, dropped (foreign extensions were
		 * refused above, SECURITY 64) */
	}
	/* a single-valued type with several values is malformed in a form; in
	 * a submit or result the type is not significant (INTEROP R20) and the
	 * reader of each field asks for exactly the values it needs */
	if (kind == ESESS_FORM_FORM && !type_is_multi(type) && fld->values->len > 1) {
		r = ESESS_ERR_FORM;
		goto out;
	}
	*out = fld;
	fld = NULL;
out:
	g_free(text);
	field_free(fld);
	return r;
}

/* SECURITY 64: every element of a negotiation form, at any depth, is in
 * the jabber:x:data namespace.  The R7 canonical form writes local names
 * only, so an <option> or <value> moved into a foreign namespace would be
 * dropped by the parser yet still count in the MACs unchanged: a man in the
 * middle could hide offered options from the responder.  Gajim never sends
 * a foreign element here (XEP-0122/0221 extensions are not used). */
static gboolean
only_xdata(const EsessXmlNode *n)
{
	const EsessXmlNode *c;

	for (c = n->first_child; c != NULL; c = c->next) {
		if (c->kind != ESESS_XML_ELEMENT)
			continue;
		if (c->ns == NULL || strcmp(c->ns, ESESS_NS_XDATA) != 0 || !only_xdata(c))
			return FALSE;
	}
	return TRUE;
}

EsessStatus
esess_form_parse(const EsessXmlNode *x, EsessForm **out)
{
	EsessForm *f = NULL;
	EsessFormKind kind;
	const EsessXmlNode *c;
	EsessField *fld = NULL;
	EsessStatus r = ESESS_OK;

	g_return_val_if_fail(out != NULL, ESESS_ERR_INVALID_ARG);
	*out = NULL;
	if (x == NULL || !esess_xml_is(x, "x", ESESS_NS_XDATA))
		return ESESS_ERR_FORM;
	if (!parse_kind(esess_xml_attr(x, "type"), &kind))
		return ESESS_ERR_FORM;
	if (!only_xdata(x))
		return ESESS_ERR_FORM; /* SECURITY 64 */
	f = esess_form_new(kind);
	for (c = x->first_child; c != NULL; c = c->next) {
		if (!esess_xml_is(c, "field", ESESS_NS_XDATA))
			continue;  /* title, instructions, text between elements */
		/* SECURITY 59: the cap is checked before the next field is built */
		if (f->fields->len >= ESESS_MAX_FORM_FIELDS) {
			r = ESESS_ERR_XML_LIMIT;
			goto out;
		}
		r = parse_field(c, kind, &fld);
		if (r != ESESS_OK)
			goto out;
		if (fld->var != NULL && esess_form_get(f, fld->var) != NULL) {
			r = ESESS_ERR_FORM;  /* SECURITY 23: duplicate field */
			goto out;
		}
		g_ptr_array_add(f->fields, fld);
		fld = NULL;
	}
	/* FORM_TYPE: exactly one value.  In a form it is hidden (or untyped);
	 * in a submit or result the field type is not significant (XEP-0004
	 * §3.2): Gajim types every field there text-single (INTEROP R20). */
	fld = (EsessField *)esess_form_get(f, "FORM_TYPE");
	if (fld == NULL || fld->values->len != 1 ||
	    (kind == ESESS_FORM_FORM && fld->type != ESESS_FIELD_HIDDEN &&
	     fld->type != ESESS_FIELD_UNSPECIFIED)) {
		fld = NULL;
		r = ESESS_ERR_FORM;
		goto out;
	}
	fld = NULL;
	*out = f;
	f = NULL;
out:
	field_free(fld);
	esess_form_free(f);
	return r;
}

EsessXmlNode *
esess_form_to_xml(const EsessForm *f)
{
	EsessXmlNode *x, *fn, *on;
	guint i, j;

	g_return_val_if_fail(f != NULL, NULL);
	x = esess_xml_new("x", ESESS_NS_XDATA);
	esess_xml_set_attr(x, "type", esess_form_kind_name(f->kind));
	for (i = 0; i < f->fields->len; i++) {
		const EsessField *fld = g_ptr_array_index(f->fields, i);
		const char *tname = esess_field_type_name(fld->type);

		/* INTEROP R7: children inherit the namespace, so no xmlns */
		fn = esess_xml_add(x, "field", NULL);
		if (tname != NULL)
			esess_xml_set_attr(fn, "type", tname);
		if (fld->var != NULL)
			esess_xml_set_attr(fn, "var", fld->var);
		for (j = 0; j < fld->values->len; j++)
			esess_xml_add_text_child(fn, "value", g_ptr_array_index(fld->values, j));
		for (j = 0; j < fld->options->len; j++) {
			on = esess_xml_add(fn, "option", NULL);
			esess_xml_add_text_child(on, "value", g_ptr_array_index(fld->options, j));
		}
		if (fld->required)
			(void)esess_xml_add(fn, "required", NULL);
	}
	return x;
}

static gboolean
excluded(const EsessXmlNode *c, const char *const *exclude)
{
	const char *var;
	gsize i;

	if (exclude == NULL || !esess_xml_is(c, "field", NULL))
		return FALSE;
	var = esess_xml_attr(c, "var");
	if (var == NULL)
		return FALSE;
	for (i = 0; exclude[i] != NULL; i++)
		if (strcmp(exclude[i], var) == 0)
			return TRUE;
	return FALSE;
}

void
esess_form_canon(const EsessXmlNode *x, const char *const *exclude, GString *out)
{
	const EsessXmlNode *c;

	g_return_if_fail(x != NULL && out != NULL);
	/* INTEROP R7, DIGEST §4.14 [INTERP]: the <x> tags themselves excluded,
	 * character data between the children removed */
	for (c = x->first_child; c != NULL; c = c->next) {
		if (c->kind != ESESS_XML_ELEMENT || excluded(c, exclude))
			continue;
		esess_xml_canon(out, c);
	}
}
