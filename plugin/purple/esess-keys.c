/*
 * esess-keys.c - what the user sees of identity keys (issue 12): the
 * `/esession key` commands (show, export, import, verify, accept), the
 * passphrase dialog, the fingerprint comparison, the warning when a
 * contact's key changed, and the sentences about our key and the
 * contact's.  A contact's key is kept in the store (esess-store.h): the
 * first one seen, not verified; a different one never replaces it without
 * the user's `/esession key accept`, and is never verified by itself.  The keys themselves
 * are handled in esess-identity.c; publication in esess-pep.c.
 */
#include "config.h"

#include <string.h>

#include "esess-i18n.h"
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
			       "once until the program is restarted. Without it, a session "
			       "your contact asked for meanwhile is refused, and the others "
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

/* ---- the contact's key: the store's record against what is presented -- */

/* A changed key the user was warned about, waiting for `key accept`:
 * "account\nbare" -> EsessPubKey. */
static GHashTable *changed;

static char *
changed_key(PurpleAccount *account, const char *bare)
{
	return g_strdup_printf("%p\n%s", (void *)account, bare);
}

static char *
date_text(gint64 usec)
{
	time_t t = (time_t)(usec / G_USEC_PER_SEC);

	return g_strdup(purple_date_format_long(localtime(&t)));
}

/* A date a contact wrote (XEP-0082, years 1 to 9999): SECURITY 61, never
 * a NULL from localtime given on. */
static char *
date_text_sec(gint64 sec)
{
	time_t t = (time_t)sec;
	struct tm *tm = localtime(&t);

	return g_strdup(tm != NULL ? purple_date_format_long(tm) : "?");
}

/* The warning of an SSH host-key change: what it may mean, what to do,
 * and that nothing was trusted by itself. */
void
esess_ui_key_changed(PurpleAccount *account, const char *bare, const EsessKnownKey *held,
		     const EsessPubKey *presented)
{
	char *old_fpr = esess_pubkey_fingerprint_text(held->key);
	char *new_fpr = esess_pubkey_fingerprint_text(presented);
	char *since = date_text(held->first_seen);
	char *text;

	if (changed == NULL)
		changed = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
						(GDestroyNotify)esess_pubkey_free);
	g_hash_table_insert(changed, changed_key(account, bare), esess_pubkey_copy(presented));
	text = g_strdup_printf(_("Warning: the identity key of %s has changed.\n"
				 "Key on record (first seen %s): %s\n"
				 "Key presented now: %s\n"
				 "Your contact may have reinstalled or be using a computer without "
				 "their key, but someone may also be intercepting your "
				 "conversations. The conversation is not verified. Compare the new "
				 "fingerprint with your contact in person or by phone (or compare "
				 "the short authentication string); only then type /esession key "
				 "accept to keep the new key."),
			       bare, since, old_fpr, new_fpr);
	esess_ui_error(account, bare, text);
	g_free(text);
	g_free(since);
	g_free(old_fpr);
	g_free(new_fpr);
}

/* The account's bare JID, the store's name for it (caller frees). */
static char *
own_bare(PurpleAccount *account)
{
	return esess_bare_jid(purple_account_get_username(account));
}

/* The store's record for the contact (NULL: none, or no store). */
static EsessKnownKey *
known_key(PurpleAccount *account, const char *bare)
{
	char *own;
	EsessKnownKey *k;

	if (esess_ctx->store == NULL)
		return NULL;
	own = own_bare(account);
	k = esess_store_key_get(esess_ctx->store, own, bare);
	g_free(own);
	return k;
}

static char *known_line(const char *bare, const EsessKnownKey *k);

static void
say_known(PurpleAccount *account, const char *bare, const EsessKnownKey *k)
{
	char *text = known_line(bare, k);

	say(account, bare, text);
	g_free(text);
}

/* A key the contact presents outside a session (their PEP node, a direct
 * answer): the first one is kept, not verified; the same one is shown
 * with its record; another one raises the warning and replaces nothing. */
static void
presented_key(PurpleAccount *account, const char *bare, EsessPubKey *pk)
{
	EsessKnownKey *k = known_key(account, bare);
	char *own;

	if (k != NULL && !esess_pubkey_equal(k->key, pk)) {
		esess_ui_key_changed(account, bare, k, pk);
		esess_known_key_free(k);
		return;
	}
	if (k == NULL && esess_ctx->store != NULL) {
		own = own_bare(account);
		if (esess_store_key_set(esess_ctx->store, own, bare, pk, FALSE) != ESESS_OK)
			purple_debug_error(ESESS_DEBUG, "could not keep a contact's key\n");
		g_free(own);
		k = known_key(account, bare);
	}
	if (k != NULL) {
		say_known(account, bare, k);
		esess_known_key_free(k);
	}
}

static char *
known_line(const char *bare, const EsessKnownKey *k)
{
	char *fpr = esess_pubkey_fingerprint_text(k->key);
	char *since = date_text(k->first_seen);
	char *text = g_strdup_printf(k->verified
				     ? _("Identity key of %s: %s (first seen %s, verified)")
				     : _("Identity key of %s: %s (first seen %s, not verified)"),
				     bare, fpr, since);

	g_free(since);
	g_free(fpr);
	return text;
}

/* XEP-0116 "Key Associations": a key that speaks for several contacts is
 * told, since one of them may be someone else presenting a key he copied
 * or a server reusing it. */
static void
other_owners(EsessPeer *peer, const EsessPubKey *pk)
{
	char *own = own_bare(peer->account);
	char **peers = esess_ctx->store != NULL
		? esess_store_key_peers(esess_ctx->store, own, pk) : NULL;
	GString *others = g_string_new(NULL);
	char *text;
	guint i;

	for (i = 0; peers != NULL && peers[i] != NULL; i++) {
		if (esess_jid_equal(peers[i], peer->bare))
			continue;
		if (others->len > 0)
			g_string_append(others, ", ");
		g_string_append(others, peers[i]);
	}
	if (others->len > 0) {
		text = g_strdup_printf(_("Note: %s presents the same identity key as %s. One "
					 "person may use several addresses; if you did not "
					 "expect it, compare fingerprints before you trust this "
					 "conversation."), peer->bare, others->str);
		esess_ui_error(peer->account, peer->bare, text);
		g_free(text);
	}
	g_string_free(others, TRUE);
	g_strfreev(peers);
	g_free(own);
}

void
esess_ui_peer_key(EsessPeer *peer)
{
	const EsessPubKey *pk;
	EsessKnownKey *k;
	char *text, *fpr, *since;

	if (peer->chat == NULL || esess_ctx->quiet)
		return;
	pk = esess_chat_peer_key(peer->chat);
	k = known_key(peer->account, peer->bare);
	switch (esess_chat_peer_key_status(peer->chat)) {
	case ESESS_PEER_KEY_NONE:
		break;
	case ESESS_PEER_KEY_NEW:
	case ESESS_PEER_KEY_KNOWN:
	case ESESS_PEER_KEY_VERIFIED:
		if (k != NULL)
			say_known(peer->account, peer->bare, k);
		if (pk != NULL)
			other_owners(peer, pk);
		break;
	case ESESS_PEER_KEY_CHANGED:
		/* INTEROP R21: the held key stays; the user decides */
		if (k != NULL && pk != NULL)
			esess_ui_key_changed(peer->account, peer->bare, k, pk);
		break;
	case ESESS_PEER_KEY_MISSING:
		if (k == NULL)
			break;
		fpr = esess_pubkey_fingerprint_text(k->key);
		since = date_text(k->first_seen);
		text = g_strdup_printf(_("Warning: %s did not prove the identity key on record "
					 "(first seen %s): %s\n"
					 "Your contact may be using a computer without their key, "
					 "but someone may also be intercepting your conversations. "
					 "The conversation is not verified: compare the short "
					 "authentication string."),
				       peer->bare, since, fpr);
		esess_ui_error(peer->account, peer->bare, text);
		g_free(text);
		g_free(since);
		g_free(fpr);
		break;
	}
	esess_known_key_free(k);
}

char *
esess_keys_details_line(EsessPeer *peer)
{
	EsessKnownKey *k;
	const EsessPubKey *pk;
	char *line = NULL, *fpr;

	if (peer == NULL || peer->chat == NULL ||
	    (pk = esess_chat_peer_key(peer->chat)) == NULL)
		return NULL;
	k = known_key(peer->account, peer->bare);
	if (k != NULL && esess_pubkey_equal(k->key, pk)) {
		line = known_line(peer->bare, k);
	} else {
		/* not the key on record: the fingerprint alone, never "verified" */
		fpr = esess_pubkey_fingerprint_text(pk);
		line = g_strdup_printf(_("Identity key presented by %s: %s (not the one on "
					 "record)"), peer->bare, fpr);
		g_free(fpr);
	}
	esess_known_key_free(k);
	return line;
}

typedef enum {
	FETCH_SHOW,
	FETCH_VERIFY
} FetchWhy;

typedef struct {
	PurpleAccount *account;
	char *who;
	FetchWhy why;
} KeyShow;

static void verify_dialog(PurpleAccount *account, const char *bare);

static void
contact_key_cb(PurpleAccount *account, const char *bare, const char *pubkey, gpointer data)
{
	KeyShow *ks = data;
	EsessPubKey *pk = NULL;
	EsessStatus st;
	gint64 begin = 0, end = 0;
	char *text, *from, *until;

	(void)bare;
	if (esess_ctx == NULL || esess_ctx->quiet || !purple_account_is_connected(account)) {
		/* signing off or unloading: no window opens for it */
	} else if (pubkey == NULL) {
		text = g_strdup_printf(_("%s has published no identity key."), ks->who);
		say(account, ks->who, text);
		g_free(text);
	} else if ((st = esess_identity_parse_contact_pubkey(pubkey, ks->who,
							     g_get_real_time() / G_USEC_PER_SEC,
							     &pk, &begin, &end)) ==
		   ESESS_ERR_EXPIRED) {
		/* INTEROP R22 "Validity": not kept, not compared, not offered
		 * for verification; the key on record (if any) stays as it is */
		from = date_text_sec(begin);
		until = date_text_sec(end);
		text = g_strdup_printf(_("The identity key that %s published is valid only "
					 "from %s until %s, so it was not trusted. Ask your "
					 "contact to start their program, which publishes their "
					 "key again, and check that your computer's clock is "
					 "right."), ks->who, from, until);
		esess_ui_error(account, ks->who, text);
		g_free(text);
		g_free(until);
		g_free(from);
	} else if (st != ESESS_OK) {
		text = g_strdup_printf(_("The identity key published for %s is not valid; "
					 "it was ignored."), ks->who);
		say(account, ks->who, text);
		g_free(text);
	} else {
		presented_key(account, ks->who, pk);
		if (ks->why == FETCH_VERIFY)
			verify_dialog(account, ks->who);
	}
	esess_pubkey_free(pk);
	g_free(ks->who);
	g_free(ks);
}

static void
fetch(PurpleAccount *account, const char *bare, FetchWhy why)
{
	KeyShow *ks = g_new0(KeyShow, 1);

	ks->account = account;
	ks->who = g_strdup(bare);
	ks->why = why;
	esess_pep_fetch(account, bare, contact_key_cb, ks);
}

static void
key_show(PurpleAccount *account, const char *who)
{
	char *text;
	char *bare = esess_bare_jid(who);

	if (!esess_identity_need(account))
		wait_for_key(account, bare);
	text = own_key_sentence(account);
	say(account, bare, text);
	g_free(text);
	fetch(account, bare, FETCH_SHOW);
	g_free(bare);
}

/* ---- verifying by fingerprint, accepting a changed key ---------------- */

typedef struct {
	PurpleAccount *account;
	char *bare;
	EsessPubKey *key;        /* the key the user compared */
} VerifyReq;

static GList *verifies;   /* VerifyReq * whose dialog is open */

static void
verify_free(VerifyReq *v)
{
	verifies = g_list_remove(verifies, v);
	esess_pubkey_free(v->key);
	g_free(v->bare);
	g_free(v);
}

static void
verify_match_cb(VerifyReq *v, int choice)
{
	char *own, *text;
	EsessStatus st = ESESS_ERR_STORE_IO;

	(void)choice;
	if (g_list_find(verifies, v) == NULL)
		return;
	own = own_bare(v->account);
	/* only the key the user saw: a key changed meanwhile is not marked */
	if (esess_ctx->store != NULL)
		st = esess_store_key_set_verified(esess_ctx->store, own, v->bare, v->key, TRUE);
	g_free(own);
	if (st == ESESS_OK)
		text = g_strdup_printf(_("The identity key of %s is verified. Sessions with any "
					 "of their devices holding this key are verified."),
				       v->bare);
	else
		text = g_strdup_printf(_("The identity key of %s could not be marked as "
					 "verified."), v->bare);
	say(v->account, v->bare, text);
	g_free(text);
	verify_free(v);
}

static void
verify_cancel_cb(VerifyReq *v, int choice)
{
	(void)choice;
	if (g_list_find(verifies, v) == NULL)
		return;
	verify_free(v);
}

static void
verify_dialog(PurpleAccount *account, const char *bare)
{
	EsessKnownKey *k = known_key(account, bare);
	const char *mine = esess_identity_fingerprint(account);
	char *theirs, *primary, *secondary;
	VerifyReq *v;

	if (k == NULL)
		return;   /* told by contact_key_cb why there is none */
	v = g_new0(VerifyReq, 1);
	v->account = account;
	v->bare = g_strdup(bare);
	v->key = esess_pubkey_copy(k->key);
	theirs = esess_pubkey_fingerprint_text(k->key);
	primary = g_strdup_printf(_("Compare identity keys with %s"), bare);
	secondary = g_strdup_printf(_("Your contact's key: %s\nYour key: %s\n\n"
				      "Read them to each other in person or by phone. Choose "
				      "\"They match\" only if your contact's program shows "
				      "exactly these two fingerprints."),
				    theirs, mine != NULL ? mine : "-");
	verifies = g_list_prepend(verifies, v);
	purple_request_action(v, _("Verify identity key"), primary, secondary, 1,
			      account, bare, NULL, v, 2,
			      _("They match"), PURPLE_CALLBACK(verify_match_cb),
			      _("_Cancel"), PURPLE_CALLBACK(verify_cancel_cb));
	g_free(secondary);
	g_free(primary);
	g_free(theirs);
	esess_known_key_free(k);
}

static void
key_verify(PurpleAccount *account, const char *who)
{
	char *bare = esess_bare_jid(who);

	esess_identity_need(account);
	/* the key is read again first, so the user compares what the contact
	 * publishes now (a change is warned about instead) */
	fetch(account, bare, FETCH_VERIFY);
	g_free(bare);
}

static void
key_accept(PurpleAccount *account, const char *who)
{
	char *bare = esess_bare_jid(who);
	char *key = changed_key(account, bare);
	EsessPubKey *pk = changed != NULL ? g_hash_table_lookup(changed, key) : NULL;
	EsessKnownKey *k = pk != NULL ? known_key(account, bare) : NULL;
	char *own, *text;

	/* the key may be on record already (the SAS verified it meanwhile):
	 * nothing to accept, and its verification is not undone */
	if (k != NULL && esess_pubkey_equal(k->key, pk)) {
		g_hash_table_remove(changed, key);
		pk = NULL;
	}
	esess_known_key_free(k);
	if (pk == NULL || esess_ctx->store == NULL) {
		text = g_strdup_printf(_("No changed identity key of %s is waiting to be "
					 "accepted."), bare);
	} else {
		own = own_bare(account);
		/* the user's explicit choice, and still not verified */
		if (esess_store_key_set(esess_ctx->store, own, bare, pk, FALSE) == ESESS_OK)
			text = g_strdup_printf(_("The new identity key of %s is now the one on "
						 "record, not verified. Compare fingerprints with "
						 "/esession key verify."), bare);
		else
			text = g_strdup_printf(_("The identity key of %s could not be saved."),
					       bare);
		g_free(own);
		g_hash_table_remove(changed, key);
	}
	say(account, bare, text);
	g_free(text);
	g_free(key);
	g_free(bare);
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

/* ---- choosing a passphrase ------------------------------------------- */

typedef struct {
	PurpleAccount *account;
	char *who;
	char *first;           /* the passphrase typed first (wiped) */
} ProtectReq;

static GList *protects;   /* ProtectReq * waiting for the user */

static void
protect_free(ProtectReq *r)
{
	protects = g_list_remove(protects, r);
	if (r->first != NULL)
		esess_wipe(r->first, strlen(r->first));
	g_free(r->first);
	g_free(r->who);
	g_free(r);
}

static void protect_ask(ProtectReq *r);

static void
protect_ok_cb(ProtectReq *r, const char *pass)
{
	EsessStatus st;
	const char *text;

	if (g_list_find(protects, r) == NULL)
		return;
	if (r->first == NULL) {
		/* asked twice, so a typing mistake cannot lock the key away */
		r->first = g_strdup(pass != NULL ? pass : "");
		protect_ask(r);
		return;
	}
	if (g_strcmp0(r->first, pass != NULL ? pass : "") != 0) {
		text = _("The two passphrases differ; nothing was changed.");
	} else {
		st = esess_identity_protect(r->account, r->first);
		if (st != ESESS_OK)
			text = _("Your identity key could not be saved; nothing was changed.");
		else if (r->first[0] != '\0')
			text = _("Your identity key is now protected by a passphrase.");
		else
			text = _("Your identity key is no longer protected by a passphrase.");
	}
	say(r->account, r->who, text);
	protect_free(r);
}

static void
protect_cancel_cb(ProtectReq *r, const char *pass)
{
	(void)pass;
	if (g_list_find(protects, r) == NULL)
		return;
	protect_free(r);
}

static void
protect_ask(ProtectReq *r)
{
	purple_request_input(r, _("Identity key passphrase"),
			     r->first == NULL ? _("Choose a passphrase for your identity key.")
			     : _("Type the passphrase again."),
			     _("It is asked once after each start of the program, when the "
			       "key is first needed. Leave it empty to remove the "
			       "protection."),
			     NULL, FALSE, TRUE, NULL,
			     _("_Save"), G_CALLBACK(protect_ok_cb),
			     _("_Cancel"), G_CALLBACK(protect_cancel_cb),
			     r->account, r->who, NULL, r);
}

static void
protect_unlocked_cb(PurpleAccount *account, gboolean ok, gpointer data)
{
	ProtectReq *r = data;

	if (g_list_find(protects, r) == NULL)
		return;
	if (!ok) {
		say(account, r->who, _("Your identity key could not be unlocked, so its "
				       "protection was not changed."));
		protect_free(r);
		return;
	}
	protect_ask(r);
}

static void
key_passphrase(PurpleAccount *account, const char *who)
{
	ProtectReq *r;

	if (!esess_identity_need(account)) {
		wait_for_key(account, who);
		say(account, who, _("Your identity key is being made; its fingerprint will be "
				    "shown here when it is ready."));
		return;
	}
	r = g_new0(ProtectReq, 1);
	r->account = account;
	r->who = g_strdup(who);
	protects = g_list_prepend(protects, r);
	esess_identity_unlock(account, protect_unlocked_cb, r);
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
	for (l = protects; l != NULL; l = next) {
		ProtectReq *r = l->data;

		next = l->next;
		if (account == NULL || r->account == account) {
			protects = g_list_delete_link(protects, l);
			purple_request_close_with_handle(r);
			protect_free(r);
		}
	}
	for (l = verifies; l != NULL; l = next) {
		VerifyReq *v = l->data;

		next = l->next;
		if (account == NULL || v->account == account) {
			verifies = g_list_delete_link(verifies, l);
			purple_request_close_with_handle(v);
			verify_free(v);
		}
	}
	if (changed != NULL) {
		if (account == NULL) {
			g_hash_table_destroy(changed);
			changed = NULL;
		} else {
			char *prefix = g_strdup_printf("%p\n", (void *)account);
			GHashTableIter it;
			gpointer k;

			g_hash_table_iter_init(&it, changed);
			while (g_hash_table_iter_next(&it, &k, NULL))
				if (g_str_has_prefix(k, prefix))
					g_hash_table_iter_remove(&it);
			g_free(prefix);
		}
	}
	keys_forget(account);
}

/* `/esession key [export FILE | import FILE | verify | accept | passphrase]`;
 * rest: what follows "key". */
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
	else if (strcmp(sub, "verify") == 0)
		key_verify(account, who);
	else if (strcmp(sub, "accept") == 0)
		key_accept(account, who);
	else if (strcmp(sub, "passphrase") == 0)
		key_passphrase(account, who);
	else
		ok = FALSE;
	g_strfreev(w);
	g_free(line);
	return ok;
}
