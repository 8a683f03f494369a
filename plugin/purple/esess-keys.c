/*
 * esess-keys.c - what the user sees of identity keys (issue 12): the
 * `/esession key` commands (show, export, import), the passphrase dialog,
 * and the sentences about our key and the contact's.  The keys themselves
 * are handled in esess-identity.c; publication in esess-pep.c.
 */
#include "config.h"

#include <string.h>

#include "esess-bytes.h"
#include "esess-i18n.h"
#include "esess-idkey.h"
#include "esess-purple.h"

/* Conversations whose user asked for our key while it was being made: they
 * are told its fingerprint when it is ready.  "account\nbare" strings. */
static GList *waiting;

static void
say(PurpleAccount *account, const char *who, const char *text)
{
	char *esc = g_markup_escape_text(text, -1);
	char *html = purple_strdup_withhtml(esc);

	esess_ui_system(account, who, html);
	g_free(html);
	g_free(esc);
}

static char *
own_key_sentence(PurpleAccount *account)
{
	const char *fpr = esess_identity_fingerprint(account);

	if (fpr != NULL)
		return g_strdup_printf(_("Your identity key: %s"), fpr);
	return g_strdup(_("Your identity key is being made; its fingerprint will be "
			  "shown here when it is ready."));
}

void
esess_ui_identity_ready(PurpleAccount *account, const char *fpr)
{
	GList *l, *next;
	char *prefix = g_strdup_printf("%p\n", (void *)account);
	char *text = g_strdup_printf(_("Your identity key is ready: %s"), fpr);

	for (l = waiting; l != NULL; l = next) {
		char *w = l->data;

		next = l->next;
		if (!g_str_has_prefix(w, prefix))
			continue;
		waiting = g_list_delete_link(waiting, l);
		say(account, w + strlen(prefix), text);
		g_free(w);
	}
	g_free(text);
	g_free(prefix);
}

static void
wait_for_key(PurpleAccount *account, const char *who)
{
	char *w = g_strdup_printf("%p\n%s", (void *)account, who);

	if (g_list_find_custom(waiting, w, (GCompareFunc)strcmp) != NULL)
		g_free(w);
	else
		waiting = g_list_prepend(waiting, w);
}

static void
keys_forget(PurpleAccount *account)
{
	GList *l, *next;
	char *prefix = g_strdup_printf("%p\n", (void *)account);

	for (l = waiting; l != NULL; l = next) {
		next = l->next;
		if (account == NULL || g_str_has_prefix(l->data, prefix)) {
			g_free(l->data);
			waiting = g_list_delete_link(waiting, l);
		}
	}
	g_free(prefix);
}

/* ---- the passphrase ----------------------------------------------- */

void
esess_ui_ask_passphrase(PurpleAccount *account, gpointer handle, GCallback ok_cb,
			GCallback cancel_cb)
{
	char *primary = g_strdup_printf(_("The identity key of %s is protected by a "
					  "passphrase."),
					purple_account_get_username(account));

	purple_request_input(handle, _("Identity key passphrase"), primary,
			     _("Enter it to use the key for encrypted sessions. It is asked "
			       "once until the program is restarted; without it, sessions "
			       "are set up without your identity key."),
			     NULL, FALSE, TRUE, NULL,
			     _("_Unlock"), ok_cb, _("_Cancel"), cancel_cb,
			     account, NULL, NULL, handle);
	g_free(primary);
}

void
esess_ui_identity_locked(PurpleAccount *account, gboolean wrong)
{
	(void)wrong;
	purple_notify_error(esess_ctx->plugin, _("Identity key passphrase"),
			    _("The identity key could not be unlocked."),
			    _("Your identity key is not used until the program is "
			      "restarted. Sessions can still be set up and verified by "
			      "comparing the short authentication string."));
	(void)account;
}

/* ---- /esession key ------------------------------------------------ */

typedef struct {
	PurpleAccount *account;
	char *who;
} KeyShow;

static void
contact_key_cb(PurpleAccount *account, const char *bare, const char *pubkey, gpointer data)
{
	KeyShow *ks = data;
	EsessPubKey *pk = NULL;
	char *jid = NULL, *fpr, *text;

	(void)bare;
	if (esess_ctx == NULL || esess_ctx->quiet || !purple_account_is_connected(account)) {
		/* signing off or unloading: no window opens for it */
	} else if (pubkey == NULL) {
		text = g_strdup_printf(_("%s has published no identity key."), ks->who);
		say(account, ks->who, text);
		g_free(text);
	} else if (esess_identity_parse_pubkey2(pubkey, &pk, &jid) != ESESS_OK ||
		   jid == NULL || !esess_jid_equal(jid, ks->who)) {
		/* a key that names someone else is not this contact's */
		text = g_strdup_printf(_("The identity key published for %s is not valid; "
					 "it was ignored."), ks->who);
		say(account, ks->who, text);
		g_free(text);
	} else {
		fpr = esess_pubkey_fingerprint_text(pk);
		text = g_strdup_printf(_("Identity key of %s: %s"), ks->who, fpr);
		say(account, ks->who, text);
		g_free(text);
		g_free(fpr);
	}
	esess_pubkey_free(pk);
	g_free(jid);
	g_free(ks->who);
	g_free(ks);
}

static void
key_show(PurpleAccount *account, const char *who)
{
	char *text;
	KeyShow *ks;
	char *bare = esess_bare_jid(who);

	if (!esess_identity_need(account))
		wait_for_key(account, bare);
	text = own_key_sentence(account);
	say(account, bare, text);
	g_free(text);
	ks = g_new0(KeyShow, 1);
	ks->account = account;
	ks->who = bare;
	esess_pep_fetch(account, bare, contact_key_cb, ks);
}

static char *
expand_path(const char *file)
{
	if (g_str_has_prefix(file, "~/"))
		return g_build_filename(g_get_home_dir(), file + 2, NULL);
	return g_strdup(file);
}

static void
key_export(PurpleAccount *account, const char *who, const char *file)
{
	char *path = expand_path(file);
	EsessStatus st;
	char *text;

	if (!esess_identity_need(account)) {
		wait_for_key(account, who);
		say(account, who, _("Your identity key is being made; its fingerprint will be "
				    "shown here when it is ready."));
		g_free(path);
		return;
	}
	st = esess_identity_export(account, path);
	if (st == ESESS_OK)
		text = g_strdup_printf(_("Your identity key was written to %s. Import it on "
					 "your other computers with /esession key import, "
					 "then delete the file: it holds your private key."),
				       path);
	else
		text = g_strdup_printf(_("Your identity key could not be written to %s."), path);
	say(account, who, text);
	g_free(text);
	g_free(path);
}

typedef struct {
	PurpleAccount *account;
	char *who;
	char *path;
} ImportReq;

static GList *imports;   /* ImportReq * whose passphrase dialog is open */

static void
import_free(ImportReq *r)
{
	imports = g_list_remove(imports, r);
	g_free(r->who);
	g_free(r->path);
	g_free(r);
}

static void
import_done(PurpleAccount *account, const char *who, const char *path, const char *pass)
{
	EsessStatus st = esess_identity_import(account, path, pass);
	char *text;

	if (st == ESESS_OK)
		text = g_strdup_printf(_("The identity key from %s is now this account's: %s"),
				       path, esess_identity_fingerprint(account));
	else if (st == ESESS_ERR_KEY_PASSPHRASE)
		text = g_strdup_printf(_("The identity key in %s was not imported: the "
					 "passphrase is wrong."), path);
	else if (st == ESESS_ERR_STORE_IO)
		text = g_strdup_printf(_("The identity key in %s was not imported: the "
					 "file could not be read, or the key could not be "
					 "saved."), path);
	else
		text = g_strdup_printf(_("The identity key in %s was not imported: it is "
					 "not an RSA private key in PKCS#8 form of 2048 to "
					 "8192 bits."), path);
	say(account, who, text);
	g_free(text);
}

static void
import_ok_cb(ImportReq *r, const char *pass)
{
	if (g_list_find(imports, r) == NULL)
		return;
	import_done(r->account, r->who, r->path, pass);
	import_free(r);
}

static void
import_cancel_cb(ImportReq *r, const char *pass)
{
	(void)pass;
	if (g_list_find(imports, r) == NULL)
		return;
	import_free(r);
}

static void
key_import(PurpleAccount *account, const char *who, const char *file)
{
	char *path = expand_path(file);
	ImportReq *r;

	if (!esess_identity_file_encrypted(path)) {
		import_done(account, who, path, NULL);
		g_free(path);
		return;
	}
	r = g_new0(ImportReq, 1);
	r->account = account;
	r->who = g_strdup(who);
	r->path = path;
	imports = g_list_prepend(imports, r);
	purple_request_input(r, _("Identity key passphrase"),
			     _("The identity key to import is protected by a passphrase."),
			     NULL, NULL, FALSE, TRUE, NULL,
			     _("_Import"), G_CALLBACK(import_ok_cb),
			     _("_Cancel"), G_CALLBACK(import_cancel_cb),
			     account, who, NULL, r);
}

void
esess_ui_keys_close(PurpleAccount *account)
{
	GList *l, *next;

	for (l = imports; l != NULL; l = next) {
		ImportReq *r = l->data;

		next = l->next;
		if (account == NULL || r->account == account) {
			imports = g_list_delete_link(imports, l);
			purple_request_close_with_handle(r);
			import_free(r);
		}
	}
	keys_forget(account);
}

/* `/esession key [export FILE | import FILE]`; rest: what follows "key". */
gboolean
esess_keys_command(PurpleAccount *account, const char *who, const char *rest)
{
	char *line = g_strstrip(g_strdup(rest != NULL ? rest : ""));
	char **w = g_strsplit(line, " ", 2);
	const char *sub = w[0] != NULL ? w[0] : "";
	const char *arg = sub[0] != '\0' && w[1] != NULL ? g_strstrip(w[1]) : "";
	gboolean ok = TRUE;

	if (sub[0] == '\0' || strcmp(sub, "show") == 0)
		key_show(account, who);
	else if (strcmp(sub, "export") == 0 && arg[0] != '\0')
		key_export(account, who, arg);
	else if (strcmp(sub, "import") == 0 && arg[0] != '\0')
		key_import(account, who, arg);
	else
		ok = FALSE;
	g_strfreev(w);
	g_free(line);
	return ok;
}
