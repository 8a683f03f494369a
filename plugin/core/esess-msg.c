/*
 * esess-msg.c - esess_msg_inspect: parse an incoming <message/> and say what
 * it is for the ESession engine (esess-chat.h).  The shape rules of
 * INTEROP R15 and SECURITY 45-48 live here, in one place.
 */
#include "config.h"

#include <string.h>

#include "esess-bytes.h"
#include "esess-chat.h"
#include "esess-xml.h"

/* bare JID of a full one, normalised, newly allocated */
static char *
bare_jid(const char *jid)
{
	return esess_jid_bare(jid);
}

/* Counts <c/> elements in the XEP-0200 namespace among the immediate
 * children, and whether any sits deeper (SECURITY 45) or is prefixed or in
 * another namespace (SECURITY 48). */
typedef struct {
	guint immediate;      /* exact: unprefixed, exact namespace */
	guint prefixed;       /* immediate, exact namespace but with a prefix */
	guint nested;         /* deeper than an immediate child */
} CCount;

static void
count_nested(const EsessXmlNode *n, CCount *cc, guint depth)
{
	const EsessXmlNode *ch;

	for (ch = n->first_child; ch != NULL; ch = ch->next) {
		if (ch->kind != ESESS_XML_ELEMENT)
			continue;
		if (esess_xml_is(ch, "c", ESESS_NS_C)) {
			if (depth == 0 && ch->prefix == NULL)
				cc->immediate++;
			else if (depth == 0)
				cc->prefixed++;
			else
				cc->nested++;
		}
		/* carbons and forwards are judged separately */
		if (depth == 0 && (esess_xml_is(ch, "received", ESESS_NS_CARBONS) ||
				   esess_xml_is(ch, "sent", ESESS_NS_CARBONS) ||
				   esess_xml_is(ch, "forwarded", ESESS_NS_FORWARD)))
			continue;
		count_nested(ch, cc, depth + 1);
	}
}

/* The message inside a carbon (XEP-0280) or forward (XEP-0297), or NULL. */
static const EsessXmlNode *
forwarded_message(const EsessXmlNode *stanza)
{
	const EsessXmlNode *w, *fwd;

	w = esess_xml_child(stanza, "received", ESESS_NS_CARBONS);
	if (w == NULL)
		w = esess_xml_child(stanza, "sent", ESESS_NS_CARBONS);
	fwd = w != NULL ? esess_xml_child(w, "forwarded", ESESS_NS_FORWARD) :
			  esess_xml_child(stanza, "forwarded", ESESS_NS_FORWARD);
	if (fwd == NULL)
		return NULL;
	return esess_xml_child(fwd, "message", NULL);
}

static gboolean
has_field_true(const EsessXmlNode *x, const char *var)
{
	const EsessXmlNode *f, *v;
	const char *a;
	char *t;
	gboolean yes = FALSE;

	for (f = esess_xml_child(x, "field", NULL); f != NULL; f = esess_xml_next(f, "field", NULL)) {
		a = esess_xml_attr(f, "var");
		if (a == NULL || strcmp(a, var) != 0)
			continue;
		v = esess_xml_child(f, "value", NULL);
		if (v == NULL)
			return FALSE;
		t = esess_xml_text(v);
		yes = strcmp(t, "1") == 0 || strcmp(t, "true") == 0;
		g_free(t);
		return yes;
	}
	return FALSE;
}

static EsessMsgKind
classify(const EsessXmlNode *stanza, const char *type, const char *from, const char *own_jid)
{
	const EsessXmlNode *inner, *feature, *x;
	CCount cc = { 0, 0, 0 };
	CCount icc = { 0, 0, 0 };
	const char *xtype;
	char *a, *b;
	gboolean ours;

	count_nested(stanza, &cc, 0);
	/* carbons/forwards carrying an encrypted message (SECURITY 47) */
	inner = forwarded_message(stanza);
	if (inner != NULL) {
		count_nested(inner, &icc, 0);
		if (icc.immediate + icc.nested > 0) {
			ours = TRUE;
			if (from != NULL) {
				a = bare_jid(from);
				b = own_jid != NULL ? bare_jid(own_jid) : g_strdup("");
				ours = strcmp(a, b) == 0;
				g_free(a);
				g_free(b);
			}
			return ours && icc.immediate == 1 && icc.nested == 0 ?
				ESESS_MSG_CARBON_ENCRYPTED : ESESS_MSG_DROP;
		}
	}
	if (cc.immediate > 0 || cc.nested > 0) {
		/* SECURITY 45: twice (a prefixed one counts: same element), or
		 * not an immediate child; 46: groupchat */
		if (cc.immediate != 1 || cc.prefixed > 0 || cc.nested > 0)
			return ESESS_MSG_DROP;
		if (type != NULL && strcmp(type, "groupchat") == 0)
			return ESESS_MSG_DROP;
		if (type != NULL && strcmp(type, "error") == 0)
			return ESESS_MSG_NEG; /* a bounce of ours: the chat decides */
		return ESESS_MSG_ENCRYPTED;
	}
	/* SECURITY 48: a prefixed <c/> is not an ESession stanza: OTHER */
	if (type != NULL && strcmp(type, "groupchat") == 0)
		return ESESS_MSG_OTHER;
	if (type != NULL && strcmp(type, "error") == 0)
		return esess_xml_child(stanza, "thread", NULL) != NULL ? ESESS_MSG_NEG : ESESS_MSG_OTHER;
	if (esess_xml_child(stanza, "init", ESESS_NS_INIT) != NULL)
		return ESESS_MSG_NEG;
	feature = esess_xml_child(stanza, "feature", ESESS_NS_FEATURENEG);
	if (feature == NULL)
		return ESESS_MSG_OTHER;
	x = esess_xml_child(feature, "x", ESESS_NS_XDATA);
	if (x == NULL)
		return ESESS_MSG_NEG;
	xtype = esess_xml_attr(x, "type");
	if (has_field_true(x, "terminate"))
		return ESESS_MSG_TERMINATE;
	if (xtype != NULL && strcmp(xtype, "form") == 0)
		return ESESS_MSG_NEG_REQUEST;
	return ESESS_MSG_NEG;
}

EsessStatus
esess_msg_inspect(const char *stanza, size_t len, const char *own_jid, EsessMsgInfo *info)
{
	EsessXmlNode *root = NULL;
	const EsessXmlNode *thread;
	const char *v;
	EsessStatus r;

	g_return_val_if_fail(stanza != NULL && info != NULL, ESESS_ERR_INVALID_ARG);
	memset(info, 0, sizeof *info);
	r = esess_xml_parse(stanza, len, NULL, &root);
	if (r != ESESS_OK)
		return r;
	if (!esess_xml_is(root, "message", NULL) ||
	    (root->ns != NULL && strcmp(root->ns, ESESS_NS_CLIENT) != 0)) {
		info->kind = ESESS_MSG_OTHER;
		info->stanza = root;
		return ESESS_OK;
	}
	v = esess_xml_attr(root, "from");
	info->from = g_strdup(v);
	info->to = g_strdup(esess_xml_attr(root, "to"));
	info->type = g_strdup(esess_xml_attr(root, "type"));
	thread = esess_xml_child(root, "thread", NULL);
	if (thread != NULL)
		info->thread = esess_xml_text(thread);
	info->kind = classify(root, info->type, info->from, own_jid);
	info->stanza = root;
	return ESESS_OK;
}

void
esess_msg_info_clear(EsessMsgInfo *info)
{
	if (info == NULL)
		return;
	esess_str_free_wiped(info->from);
	esess_str_free_wiped(info->to);
	g_free(info->type);
	g_free(info->thread);
	esess_xml_free(info->stanza);
	memset(info, 0, sizeof *info);
}
