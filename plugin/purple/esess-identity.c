/*
 * esess-identity.c - the account's identity key (issue 12, INTEROP R21,
 * R22): where it is kept, when it is made, how it is unlocked, exported and
 * imported, and its publication (esess-pep.c).  The key itself is the
 * engine's (esess-idkey.h); this file decides nothing about trust.
 *
 * Files, in <purple user dir>/esessions/ (directory 0700):
 *   ACCOUNT-idkey.pem  the private key, PEM PKCS#8, mode 0600; encrypted
 *                      with the user's passphrase when they chose one;
 *   ACCOUNT-idkey.pub  its public half as a XEP-0189 <pubkey/>, so that the
 *                      fingerprint is shown and the key published without
 *                      asking for the passphrase.
 * ACCOUNT is the account's bare JID, escaped for a file name.
 *
 * Generation takes about a second (RSA 3072): it runs on a GThread and its
 * result comes back to the main loop through an idle callback; meanwhile
 * our presence carries XEP-0189's <generating/>.  The key is made the first
 * time it is needed (a session with a peer of this plugin, the key's
 * fingerprint or export asked for), never at start-up, so that an account
 * that never uses it costs nothing.
 *
 * The passphrase is asked once per start, and only when the private key is
 * needed (signing, or protecting it anew); the public half never needs it.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "esess-i18n.h"
#include "esess-purple.h"

/* the longest time a published item is renewed ahead of its <end/> */
#define IDKEY_RENEW_AHEAD (30 * 24 * 3600)
/* the largest key file read (an 8192-bit encrypted PKCS#8 is about 7 KiB) */
#define IDKEY_FILE_MAX (64 * 1024)

typedef struct _GenJob GenJob;

typedef struct {
	PurpleAccount *account;
	char *bare;
	EsessIdKey *key;          /* NULL: not loaded, locked, or none yet */
	EsessPubKey *pub;         /* NULL: no key yet */
	char *pubkey_xml;         /* pub as a XEP-0189 <pubkey/> */
	char *fpr;                /* the fingerprint as people read it */
	gboolean encrypted;       /* the file needs a passphrase */
	gboolean asked;           /* the passphrase was asked during this run */
	gboolean asking;          /* its dialog is open */
	GenJob *job;              /* the generation running for it */
	gint64 valid_end;         /* the <end/> written into pubkey_xml */
	guint renew_id;           /* timer: publish again (renewal, repair) */
} EsessIdentity;

struct _GenJob {
	EsessIdentity *ident;     /* NULL: its account went away meanwhile */
	GThread *thread;
	EsessIdKey *key;          /* the worker's result */
	EsessStatus st;
	gint64 started;
};

static GHashTable *identities;   /* PurpleAccount * -> EsessIdentity */
static GList *jobs;              /* GenJob * still running or not collected */

/* ---- files ---------------------------------------------------------- */

static char *
key_path(const EsessIdentity *id, const char *ext)
{
	char *name = g_strdup_printf("%s-idkey.%s", purple_escape_filename(id->bare), ext);
	char *p = g_build_filename(purple_user_dir(), "esessions", name, NULL);

	g_free(name);
	return p;
}

/* Writes data whole to path with mode 0600: a new file beside it, created
 * O_EXCL (never an existing file, never through a symlink), synced, then
 * renamed over path; a failure leaves path as it was. */
static gboolean
write_private(const char *path, const char *data, size_t len)
{
	char *dir = g_path_get_dirname(path);
	char *tmp = g_strdup_printf("%s.new", path);
	gboolean ok = FALSE;
	size_t done = 0;
	int fd;

	if (g_mkdir_with_parents(dir, 0700) != 0)
		goto out;
	g_unlink(tmp);
	fd = g_open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0600);
	if (fd < 0)
		goto out;
	while (done < len) {
		ssize_t w = write(fd, data + done, len - done);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			break;
		done += (size_t)w;
	}
	ok = done == len && fsync(fd) == 0;
	if (close(fd) != 0)
		ok = FALSE;
	if (ok)
		ok = g_rename(tmp, path) == 0;
	if (!ok)
		g_unlink(tmp);
out:
	g_free(tmp);
	g_free(dir);
	return ok;
}

/* The file's bytes (at most IDKEY_FILE_MAX), NUL-terminated; NULL if it
 * cannot be read.  The caller wipes them (they may be a private key). */
static char *
read_small(const char *path, size_t *len)
{
	char *data = NULL;
	gsize n = 0;

	if (!g_file_get_contents(path, &data, &n, NULL))
		return NULL;
	if (n > IDKEY_FILE_MAX) {
		esess_wipe(data, n);
		g_free(data);
		return NULL;
	}
	*len = n;
	return data;
}

/* ---- the public half -------------------------------------------------- */

/* The validity period written into our published <pubkey/> (XEP-0189
 * begin/end): ESESS_IDKEY_LIFETIME, or the hidden preference that tests
 * shorten it with. */
static gint64
lifetime(void)
{
	int t = purple_prefs_get_int(ESESS_PREFS_IDKEY_LIFETIME);

	return CLAMP(t, 2, ESESS_IDKEY_LIFETIME);
}

/* How long before its <end/> a published item is renewed: a month, or a
 * quarter of a shorter period (at least a second). */
static gint64
renew_ahead(void)
{
	return MAX(1, MIN(IDKEY_RENEW_AHEAD, lifetime() / 4));
}

/* pub becomes the identity's public key (owned); its forms are derived,
 * the published one valid from now. */
static gboolean
set_public(EsessIdentity *id, EsessPubKey *pub)
{
	gint64 now = g_get_real_time() / G_USEC_PER_SEC;
	gint64 end = now + lifetime();
	char *xml = esess_pubkey_to_pubkey2_text(pub, id->bare, now, end);

	if (xml == NULL) {
		esess_pubkey_free(pub);
		return FALSE;
	}
	esess_pubkey_free(id->pub);
	g_free(id->pubkey_xml);
	g_free(id->fpr);
	id->pub = pub;
	id->pubkey_xml = xml;
	id->valid_end = end;
	id->fpr = esess_pubkey_fingerprint_text(pub);
	return TRUE;
}

/* A new period for the same key, starting now (a renewal). */
static void
refresh_validity(EsessIdentity *id)
{
	gint64 now = g_get_real_time() / G_USEC_PER_SEC;
	gint64 end = now + lifetime();
	char *xml = esess_pubkey_to_pubkey2_text(id->pub, id->bare, now, end);

	if (xml == NULL)
		return;
	g_free(id->pubkey_xml);
	id->pubkey_xml = xml;
	id->valid_end = end;
}

/* Reads a XEP-0189 <pubkey/> text (ours from disk, or a contact's). */
EsessStatus
esess_identity_parse_pubkey2(const char *xml, EsessPubKey **out, char **jid)
{
	EsessPubkey2Info info;
	EsessStatus st;

	memset(&info, 0, sizeof(info));
	*out = NULL;
	if (xml == NULL)
		return ESESS_ERR_KEY;
	st = esess_pubkey_from_pubkey2_text(xml, strlen(xml), out, &info);
	if (st == ESESS_OK && jid != NULL)
		*jid = g_strdup(info.jid);
	esess_pubkey2_info_clear(&info);
	return st;
}

EsessStatus
esess_identity_parse_contact_pubkey(const char *xml, const char *bare, gint64 now,
				    EsessPubKey **out, gint64 *begin, gint64 *end)
{
	EsessPubkey2Info info;
	EsessStatus st;

	memset(&info, 0, sizeof(info));
	*out = NULL;
	*begin = *end = 0;
	if (xml == NULL)
		return ESESS_ERR_KEY;
	st = esess_pubkey_from_pubkey2_text(xml, strlen(xml), out, &info);
	if (st != ESESS_OK)
		return st;
	/* a key that names someone else is not this contact's */
	if (info.jid == NULL || !esess_jid_equal(info.jid, bare))
		st = ESESS_ERR_KEY;
	/* INTEROP R22 (doc/wire-profile.md "Validity"): a key outside the
	 * period its owner gave it is not trusted, with a few minutes of
	 * clock difference allowed (SECURITY 27: no key is taken silently) */
	if (st == ESESS_OK) {
		*begin = info.begin;
		*end = info.end;
		st = esess_pubkey2_info_check_time(&info, now, ESESS_PUBKEY2_CLOCK_SKEW);
	}
	if (st != ESESS_OK) {
		esess_pubkey_free(*out);
		*out = NULL;
	}
	esess_pubkey2_info_clear(&info);
	return st;
}

static void
save_public(EsessIdentity *id)
{
	char *path = key_path(id, "pub");

	if (!write_private(path, id->pubkey_xml, strlen(id->pubkey_xml)))
		purple_debug_error(ESESS_DEBUG, "identity key: cannot write its public half\n");
	g_free(path);
}

/* ---- publication ------------------------------------------------------ */

/* Issue 12 limit 2 (doc/wire-profile.md "Publishing our key"): the
 * item on our PEP node is read back at sign-on and published again when it
 * is missing, another key, not valid, or near its <end/>; while the
 * account stays online a timer renews it before its <end/> passes, so a
 * contact never reads a lapsed key of ours (INTEROP R22 "Validity"). */

static void schedule_renew(EsessIdentity *id, gint64 end);

static void
published_cb(PurpleAccount *account, const char *bare, const char *result, gpointer data)
{
	EsessIdentity *id;

	(void)bare;
	(void)data;
	if (result == NULL || identities == NULL ||
	    (id = g_hash_table_lookup(identities, account)) == NULL)
		return;
	schedule_renew(id, id->valid_end);
}

static void
publish(EsessIdentity *id)
{
	if (id->pubkey_xml == NULL || !purple_account_is_connected(id->account))
		return;
	esess_pep_publish(id->account, id->pubkey_xml, published_cb, NULL);
}

static gboolean
renew_cb(gpointer data)
{
	EsessIdentity *id = data;

	id->renew_id = 0;
	/* signed off meanwhile: the next sign-on checks again */
	if (id->pub == NULL || !purple_account_is_connected(id->account))
		return FALSE;
	purple_debug_info(ESESS_DEBUG, "identity key: publishing it with a new period\n");
	refresh_validity(id);
	publish(id);
	return FALSE;
}

/* The item valid until end is published again renew_ahead() before it;
 * end 0: at once (from the main loop, never inside the caller). */
static void
schedule_renew(EsessIdentity *id, gint64 end)
{
	gint64 now = g_get_real_time() / G_USEC_PER_SEC;
	gint64 delay = end != 0 ? end - renew_ahead() - now : 0;

	if (id->renew_id != 0)
		purple_timeout_remove(id->renew_id);
	if (delay <= 0)
		id->renew_id = purple_timeout_add(0, renew_cb, id);
	else
		id->renew_id = purple_timeout_add_seconds((guint)MIN(delay, G_MAXINT32),
							  renew_cb, id);
}

static void
own_item_cb(PurpleAccount *account, const char *bare, const char *pubkey, gpointer data)
{
	EsessIdentity *id;
	EsessPubKey *pk = NULL;
	gint64 now = g_get_real_time() / G_USEC_PER_SEC, begin = 0, end = 0;
	EsessStatus st;

	(void)data;
	if (identities == NULL || (id = g_hash_table_lookup(identities, account)) == NULL ||
	    id->pub == NULL)
		return;
	st = esess_identity_parse_contact_pubkey(pubkey, bare, now, &pk, &begin, &end);
	if (st == ESESS_OK && esess_pubkey_equal(pk, id->pub) && end - now > renew_ahead()) {
		purple_debug_info(ESESS_DEBUG, "identity key: the published item is current\n");
		schedule_renew(id, end);
	} else {
		purple_debug_info(ESESS_DEBUG, "identity key: the published item is %s\n",
				  pubkey == NULL ? "missing" : st == ESESS_ERR_EXPIRED ? "not valid now"
				  : st != ESESS_OK ? "unreadable" : pk != NULL &&
				  !esess_pubkey_equal(pk, id->pub) ? "another key" : "near its end");
		/* a sign-off meanwhile stops it (renew_cb) */
		schedule_renew(id, 0);
	}
	esess_pubkey_free(pk);
}

/* ---- loading ------------------------------------------------------- */

static EsessIdentity *
identity_get(PurpleAccount *account)
{
	EsessIdentity *id = g_hash_table_lookup(identities, account);

	if (id == NULL) {
		id = g_new0(EsessIdentity, 1);
		id->account = account;
		id->bare = esess_bare_jid(purple_account_get_username(account));
		g_hash_table_insert(identities, account, id);
	}
	return id;
}

/* Loads what is on disk, once: the public half (from the .pub file, or from
 * the private key when it is not encrypted), and the private key when no
 * passphrase is needed.  Returns whether a key exists. */
static gboolean
load(EsessIdentity *id)
{
	char *pem_path, *pub_path, *pem, *pub_xml = NULL;
	size_t len = 0, plen = 0;
	EsessPubKey *pub = NULL;
	gboolean have_pem;
	EsessStatus st;

	if (id->pub != NULL)
		return TRUE;
	pem_path = key_path(id, "pem");
	pub_path = key_path(id, "pub");
	pem = read_small(pem_path, &len);
	have_pem = pem != NULL;
	if (have_pem) {
		id->encrypted = esess_idkey_pem_is_encrypted(pem, len);
		if (!id->encrypted) {
			st = esess_idkey_import_pem(pem, len, NULL, &id->key);
			if (st != ESESS_OK) {
				purple_debug_error(ESESS_DEBUG, "identity key file: %s\n",
						   esess_status_symbol(st));
				id->key = NULL;
			} else {
				pub = esess_pubkey_copy(esess_idkey_public(id->key));
			}
		}
		esess_wipe(pem, len);
		g_free(pem);
	}
	if (have_pem && pub == NULL)
		pub_xml = read_small(pub_path, &plen);
	if (pub_xml != NULL) {
		if (esess_identity_parse_pubkey2(pub_xml, &pub, NULL) != ESESS_OK)
			purple_debug_error(ESESS_DEBUG, "identity key: unreadable public half\n");
		g_free(pub_xml);
	}
	if (pub != NULL && set_public(id, pub) && !id->encrypted) {
		/* the .pub file may be missing (a key copied by hand) */
		if (!g_file_test(pub_path, G_FILE_TEST_EXISTS))
			save_public(id);
	}
	g_free(pem_path);
	g_free(pub_path);
	return id->pub != NULL;
}

/* The key becomes the account's: written (encrypted when pem is), its
 * public half kept and published.  pem: the file's new content. */
static gboolean
install(EsessIdentity *id, EsessIdKey *key, const char *pem, size_t len, gboolean encrypted)
{
	char *path = key_path(id, "pem");
	gboolean ok = write_private(path, pem, len);

	g_free(path);
	if (!ok) {
		purple_debug_error(ESESS_DEBUG, "identity key: cannot write the key file\n");
		esess_idkey_free(key);
		return FALSE;
	}
	esess_idkey_free(id->key);
	id->key = key;
	id->encrypted = encrypted;
	if (!set_public(id, esess_pubkey_copy(esess_idkey_public(key))))
		return FALSE;
	save_public(id);
	publish(id);
	return TRUE;
}

/* ---- generation --------------------------------------------------- */

static gboolean gen_done_cb(gpointer data);

static gpointer
gen_thread(gpointer data)
{
	GenJob *job = data;

	/* the engine keeps no global state: safe off the main thread */
	job->st = esess_idkey_generate(0, &job->key);
	g_idle_add(gen_done_cb, job);
	return NULL;
}

static void
job_free(GenJob *job)
{
	jobs = g_list_remove(jobs, job);
	esess_idkey_free(job->key);
	g_free(job);
}

static gboolean
gen_done_cb(gpointer data)
{
	GenJob *job = data;
	EsessIdentity *id = job->ident;
	char *pem = NULL;
	size_t len = 0;

	g_thread_join(job->thread);
	job->thread = NULL;
	purple_debug_info(ESESS_DEBUG, "identity key generated in %" G_GINT64_FORMAT " ms (%s)\n",
			  (g_get_monotonic_time() - job->started) / 1000,
			  esess_status_symbol(job->st));
	if (id == NULL) {
		job_free(job);
		return FALSE;
	}
	id->job = NULL;
	esess_pep_set_generating(id->account, FALSE);
	if (id->pub != NULL) {
		/* a key was imported meanwhile: it stays the account's */
		job_free(job);
		return FALSE;
	}
	if (job->st == ESESS_OK &&
	    esess_idkey_export_pem(job->key, NULL, &pem, &len) == ESESS_OK) {
		EsessIdKey *key = job->key;

		job->key = NULL;
		if (install(id, key, pem, len, FALSE))
			esess_ui_identity_ready(id->account, id->fpr);
	} else {
		purple_debug_error(ESESS_DEBUG, "identity key generation failed\n");
	}
	esess_idkey_pem_free(pem, len);
	job_free(job);
	return FALSE;
}

static void
generate(EsessIdentity *id)
{
	GenJob *job;

	if (id->job != NULL || id->pub != NULL)
		return;
	job = g_new0(GenJob, 1);
	job->ident = id;
	job->started = g_get_monotonic_time();
	job->thread = g_thread_try_new("esess-idkey", gen_thread, job, NULL);
	if (job->thread == NULL) {
		purple_debug_error(ESESS_DEBUG, "identity key: no thread to generate it\n");
		g_free(job);
		return;
	}
	id->job = job;
	jobs = g_list_prepend(jobs, job);
	/* XEP-0189 "Signalling Key Generation" */
	esess_pep_set_generating(id->account, TRUE);
}

/* ---- passphrase ------------------------------------------------------ */

typedef struct {
	EsessIdentityDoneCb cb;
	gpointer data;
} UnlockWaiter;

/* One open passphrase dialog per account: whoever needs the key while it
 * is open waits for the same answer (SECURITY 58: a contact's requests
 * cannot open one dialog each). */
typedef struct {
	PurpleAccount *account;
	GSList *waiters;          /* UnlockWaiter *, in the order they came */
} Unlock;

static GList *unlocks;   /* Unlock * whose dialog is open */

/* Every waiter is answered; the dialog's Unlock is freed. */
static void
unlock_answer(Unlock *u, gboolean ok)
{
	GSList *w = g_slist_reverse(u->waiters), *l;

	u->waiters = NULL;
	for (l = w; l != NULL; l = l->next) {
		UnlockWaiter *uw = l->data;

		if (uw->cb != NULL)
			uw->cb(u->account, ok, uw->data);
		g_free(uw);
	}
	g_slist_free(w);
	g_free(u);
}

static void
unlock_finish(Unlock *u, gboolean ok)
{
	unlocks = g_list_remove(unlocks, u);
	unlock_answer(u, ok);
}

static void
unlock_wait(Unlock *u, EsessIdentityDoneCb cb, gpointer data)
{
	UnlockWaiter *uw = g_new0(UnlockWaiter, 1);

	uw->cb = cb;
	uw->data = data;
	u->waiters = g_slist_prepend(u->waiters, uw);
}

static void
unlock_ok_cb(Unlock *u, const char *pass)
{
	EsessIdentity *id;
	char *path, *pem;
	size_t len = 0;
	EsessStatus st = ESESS_ERR_KEY;

	if (g_list_find(unlocks, u) == NULL)
		return;
	id = g_hash_table_lookup(identities, u->account);
	if (id != NULL) {
		id->asking = FALSE;
		path = key_path(id, "pem");
		pem = read_small(path, &len);
		g_free(path);
		if (pem != NULL) {
			EsessIdKey *key = NULL;

			st = esess_idkey_import_pem(pem, len, pass, &key);
			esess_wipe(pem, len);
			g_free(pem);
			if (st == ESESS_OK) {
				esess_idkey_free(id->key);
				id->key = key;
				/* the public half on disk must be this key's: a
				 * stale or altered .pub is rewritten and published */
				if (id->pub == NULL ||
				    !esess_pubkey_equal(id->pub, esess_idkey_public(key))) {
					purple_debug_warning(ESESS_DEBUG, "identity key: its "
							     "public half was stale\n");
					if (set_public(id, esess_pubkey_copy(esess_idkey_public(key)))) {
						save_public(id);
						publish(id);
					}
				}
			}
		}
		if (st != ESESS_OK)
			esess_ui_identity_locked(u->account, st == ESESS_ERR_KEY_PASSPHRASE);
	}
	unlock_finish(u, st == ESESS_OK);
}

static void
unlock_cancel_cb(Unlock *u, const char *pass)
{
	EsessIdentity *id;

	(void)pass;
	if (g_list_find(unlocks, u) == NULL)
		return;
	id = g_hash_table_lookup(identities, u->account);
	if (id != NULL)
		id->asking = FALSE;
	unlock_finish(u, FALSE);
}

/* ---- what the rest of the adapter calls ------------------------------ */

void
esess_identity_init(void)
{
	identities = g_hash_table_new(g_direct_hash, g_direct_equal);
}

static void
identity_free(EsessIdentity *id)
{
	GList *l, *next;

	if (id->job != NULL)
		id->job->ident = NULL;   /* its result is dropped when it comes */
	for (l = unlocks; l != NULL; l = next) {
		Unlock *u = l->data;

		next = l->next;
		if (u->account == id->account) {
			unlocks = g_list_delete_link(unlocks, l);
			purple_request_close_with_handle(u);
			/* its owners let go of their data (nothing starts: the
			 * account or the plugin is going) */
			unlock_answer(u, FALSE);
		}
	}
	if (id->renew_id != 0)
		purple_timeout_remove(id->renew_id);
	esess_idkey_free(id->key);
	esess_pubkey_free(id->pub);
	g_free(id->pubkey_xml);
	g_free(id->fpr);
	g_free(id->bare);
	g_free(id);
}

void
esess_identity_forget_account(PurpleAccount *account)
{
	EsessIdentity *id = g_hash_table_lookup(identities, account);

	if (id == NULL)
		return;
	g_hash_table_remove(identities, account);
	identity_free(id);
}

void
esess_identity_shutdown(void)
{
	GHashTableIter it;
	gpointer v;

	/* a generation still running is waited for (it cannot be stopped),
	 * so no thread or idle callback outlives the plugin's code */
	while (jobs != NULL) {
		GenJob *job = jobs->data;

		if (job->thread != NULL)
			g_thread_join(job->thread);
		job->thread = NULL;
		while (g_idle_remove_by_data(job))
			;
		if (job->ident != NULL)
			job->ident->job = NULL;
		job_free(job);
	}
	g_hash_table_iter_init(&it, identities);
	while (g_hash_table_iter_next(&it, NULL, &v))
		identity_free(v);
	g_hash_table_destroy(identities);
	identities = NULL;
}

void
esess_identity_signed_on(PurpleAccount *account)
{
	EsessIdentity *id = identity_get(account);

	/* a key made or imported while offline, a node emptied or written by
	 * another device since, or an item near its end: read it back */
	if (load(id))
		esess_pep_fetch_own(account, own_item_cb, NULL);
}

gboolean
esess_identity_need(PurpleAccount *account)
{
	EsessIdentity *id = identity_get(account);

	if (load(id))
		return TRUE;
	generate(id);
	return FALSE;
}

gboolean
esess_identity_generating(PurpleAccount *account)
{
	EsessIdentity *id = g_hash_table_lookup(identities, account);

	return id != NULL && id->job != NULL;
}

const char *
esess_identity_fingerprint(PurpleAccount *account)
{
	EsessIdentity *id = identity_get(account);

	return load(id) ? id->fpr : NULL;
}

char *
esess_identity_pubkey_xml(PurpleAccount *account)
{
	EsessIdentity *id = identity_get(account);

	return load(id) ? g_strdup(id->pubkey_xml) : NULL;
}

const EsessPubKey *
esess_identity_public(PurpleAccount *account)
{
	EsessIdentity *id = identity_get(account);

	return load(id) ? id->pub : NULL;
}

EsessIdKey *
esess_identity_private(PurpleAccount *account)
{
	EsessIdentity *id = identity_get(account);

	return load(id) ? id->key : NULL;
}

gboolean
esess_identity_would_ask(PurpleAccount *account)
{
	EsessIdentity *id = identity_get(account);

	return load(id) && id->key == NULL && id->encrypted && (!id->asked || id->asking);
}

static Unlock *
unlock_open(PurpleAccount *account)
{
	GList *l;

	for (l = unlocks; l != NULL; l = l->next)
		if (((Unlock *)l->data)->account == account)
			return l->data;
	return NULL;
}

void
esess_identity_unlock(PurpleAccount *account, EsessIdentityDoneCb cb, gpointer data)
{
	EsessIdentity *id = identity_get(account);
	Unlock *u;

	/* the dialog is open: this one waits for its answer too */
	if (id->asking && (u = unlock_open(account)) != NULL) {
		unlock_wait(u, cb, data);
		return;
	}
	if (!load(id) || id->key != NULL || id->asked) {
		if (cb != NULL)
			cb(account, id->key != NULL, data);
		return;
	}
	/* once per start: a refusal is not asked again until the next one */
	id->asked = TRUE;
	id->asking = TRUE;
	u = g_new0(Unlock, 1);
	u->account = account;
	unlock_wait(u, cb, data);
	unlocks = g_list_prepend(unlocks, u);
	esess_ui_ask_passphrase(account, u, G_CALLBACK(unlock_ok_cb),
				G_CALLBACK(unlock_cancel_cb));
}

/* ---- protection ----------------------------------------------------- */

EsessStatus
esess_identity_protect(PurpleAccount *account, const char *passphrase)
{
	EsessIdentity *id = identity_get(account);
	gboolean enc = passphrase != NULL && passphrase[0] != '\0';
	char *path, *pem = NULL;
	size_t len = 0;
	EsessStatus st;

	if (!load(id) || id->key == NULL)
		return ESESS_ERR_KEY_PASSPHRASE;
	st = esess_idkey_export_pem(id->key, enc ? passphrase : NULL, &pem, &len);
	if (st != ESESS_OK)
		return st;
	path = key_path(id, "pem");
	if (write_private(path, pem, len))
		id->encrypted = enc;
	else
		st = ESESS_ERR_STORE_IO;
	g_free(path);
	esess_idkey_pem_free(pem, len);
	return st;
}

/* ---- export and import ---------------------------------------------- */

EsessStatus
esess_identity_export(PurpleAccount *account, const char *file)
{
	EsessIdentity *id = identity_get(account);
	char *path, *pem;
	size_t len = 0;
	gboolean ok;

	if (!load(id))
		return ESESS_ERR_KEY_UNKNOWN;
	/* the file as it is: a protected key stays protected */
	path = key_path(id, "pem");
	pem = read_small(path, &len);
	g_free(path);
	if (pem == NULL)
		return ESESS_ERR_STORE_IO;
	ok = write_private(file, pem, len);
	esess_wipe(pem, len);
	g_free(pem);
	return ok ? ESESS_OK : ESESS_ERR_STORE_IO;
}

EsessStatus
esess_identity_import(PurpleAccount *account, const char *file, const char *passphrase)
{
	EsessIdentity *id = identity_get(account);
	EsessIdKey *key = NULL;
	char *pem;
	size_t len = 0;
	gboolean encrypted;
	EsessStatus st;

	pem = read_small(file, &len);
	if (pem == NULL)
		return ESESS_ERR_STORE_IO;
	encrypted = esess_idkey_pem_is_encrypted(pem, len);
	st = esess_idkey_import_pem(pem, len, passphrase, &key);
	if (st == ESESS_OK) {
		/* written as it came: its passphrase protects it here too */
		st = install(id, key, pem, len, encrypted) ? ESESS_OK : ESESS_ERR_STORE_IO;
	}
	esess_wipe(pem, len);
	g_free(pem);
	return st;
}

gboolean
esess_identity_file_encrypted(const char *file)
{
	size_t len = 0;
	char *pem = read_small(file, &len);
	gboolean enc;

	if (pem == NULL)
		return FALSE;
	enc = esess_idkey_pem_is_encrypted(pem, len);
	esess_wipe(pem, len);
	g_free(pem);
	return enc;
}
