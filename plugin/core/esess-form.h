/*
 * esess-form.h - XEP-0004 data forms as ESessions uses them: a lossless,
 * bounded parser of <x xmlns='jabber:x:data'/>, a builder, a writer with no
 * whitespace (INTEROP R7) and the R7 canonical form of a form's content.
 *
 * Forms come from the network: every limit is a named constant and every
 * violation is a status, never a repair (SECURITY C, H 59).
 */
#ifndef ESESS_FORM_H
#define ESESS_FORM_H

#include <glib.h>

#include "esess-status.h"
#include "esess-xml.h"

G_BEGIN_DECLS

/* Hard limits on received forms (SECURITY item 59).  Exceeding any of them is
 * ESESS_ERR_XML_LIMIT (a size problem, distinct from a malformed form). */
#define ESESS_MAX_FORM_FIELDS   64
#define ESESS_MAX_FIELD_VALUES  40
#define ESESS_MAX_FIELD_OPTIONS 32
#define ESESS_MAX_VALUE_LEN     4096  /* bytes of one value, option value or var */

typedef enum {
	ESESS_FORM_FORM,
	ESESS_FORM_SUBMIT,
	ESESS_FORM_RESULT,
	ESESS_FORM_CANCEL
} EsessFormKind;

typedef enum {
	ESESS_FIELD_UNSPECIFIED,  /* no type attribute (text-single semantics) */
	ESESS_FIELD_BOOLEAN,
	ESESS_FIELD_FIXED,
	ESESS_FIELD_HIDDEN,
	ESESS_FIELD_JID_MULTI,
	ESESS_FIELD_JID_SINGLE,
	ESESS_FIELD_LIST_MULTI,
	ESESS_FIELD_LIST_SINGLE,
	ESESS_FIELD_TEXT_MULTI,
	ESESS_FIELD_TEXT_PRIVATE,
	ESESS_FIELD_TEXT_SINGLE
} EsessFieldType;

typedef struct {
	char *var;
	EsessFieldType type;
	GPtrArray *values;   /* char*, in order */
	GPtrArray *options;  /* char* option values, in order */
	gboolean required;
} EsessField;

typedef struct {
	EsessFormKind kind;
	GPtrArray *fields;   /* EsessField*, in order received/built */
} EsessForm;

/* Parses <x xmlns='jabber:x:data' type=...> losslessly, fields in received
 * order (whitespace between elements ignored; <label>, <desc> and option
 * labels dropped).  Returns ESESS_OK (*out owned by the caller, free with
 * esess_form_free), or:
 *  ESESS_ERR_FORM: x is not a jabber:x:data <x>, unknown or missing form type,
 *    an element in another namespace anywhere inside x (SECURITY 64),
 *    a field without var (fixed fields excepted) or a duplicate var, no
 *    FORM_TYPE field, an unknown field type in a form (in a submit or
 *    result any type is read as untyped, R20), more than one value in a boolean,
 *    list-single, text-single, text-private, jid-single or untyped field
 *    (hidden may be multi-valued: dhhashes, rshashes), a value or option with
 *    child elements, a value that is not valid UTF-8 (SECURITY 23);
 *  ESESS_ERR_XML_LIMIT: more than ESESS_MAX_FORM_FIELDS fields,
 *    ESESS_MAX_FIELD_VALUES values or ESESS_MAX_FIELD_OPTIONS options in a
 *    field, or a var/value longer than ESESS_MAX_VALUE_LEN (SECURITY 59).
 * A FORM fixed field without var is kept (var NULL is never looked up). */
G_GNUC_WARN_UNUSED_RESULT
EsessStatus esess_form_parse(const EsessXmlNode *x, EsessForm **out);

EsessForm *esess_form_new(EsessFormKind kind);
/* Appends a new field (var copied) and returns it (owned by the form). */
EsessField *esess_form_add(EsessForm *f, const char *var, EsessFieldType type);
void esess_field_add_value(EsessField *fld, const char *value);
void esess_field_add_option(EsessField *fld, const char *value);
/* The field with this var, or NULL. */
const EsessField *esess_form_get(const EsessForm *f, const char *var);

/* Exactly one value: ESESS_OK (*out points into the form), or ESESS_ERR_FORM
 * when the field is absent, has no value or several values. */
G_GNUC_WARN_UNUSED_RESULT
EsessStatus esess_form_get_single(const EsessForm *f, const char *var, const char **out);

/* Boolean field with one value "1"/"true"/"0"/"false" (exactly those):
 * ESESS_OK, or ESESS_ERR_FORM (absent, multi-valued, other text). */
G_GNUC_WARN_UNUSED_RESULT
EsessStatus esess_form_get_bool(const EsessForm *f, const char *var, gboolean *out);

/* <x xmlns='jabber:x:data' type='...'>, fields in order,
 * <field type='..' var='..'>, <value>, <option><value>, <required/>; no
 * whitespace and no xmlns on fields or values (INTEROP R7).  Untyped fields
 * get no type attribute.  Caller frees with esess_xml_free. */
EsessXmlNode *esess_form_to_xml(const EsessForm *f);

/* INTEROP R7 normalisation of the content of <x> (each child element's
 * esess_xml_canon, in order; text between elements skipped), skipping fields
 * whose var is in exclude (NULL-terminated, may be NULL).  Appends to out.
 * Used for form_A, form_B, form_A2, form_B2 (exclude "identity", "mac") and
 * the SAS (DIGEST §4.12). */
void esess_form_canon(const EsessXmlNode *x, const char *const *exclude, GString *out);

/* NULL is allowed. */
void esess_form_free(EsessForm *f);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(EsessForm, esess_form_free)

/* ---- helpers ------------------------------------------------------- */
/* "form", "submit", ... / "boolean", "list-single", ... (NULL for UNSPECIFIED) */
const char *esess_form_kind_name(EsessFormKind kind);
const char *esess_field_type_name(EsessFieldType type);

G_END_DECLS

#endif /* ESESS_FORM_H */
