/*
 * esess-archive-server.c - the encrypted archive on the user's own server
 * (issue 13 item 3; doc/archive.md "On your server").
 *
 * When the user asks for it (a preference, off by default), every closed
 * collection is published, still encrypted, to a private PEP node of the
 * account (XEP-0223): whitelist access (nobody but the account), persistent
 * items, never pushed.  The publication carries these options as
 * publish-options, so a server that cannot honour them refuses it, and then
 * nothing is uploaded.  Another computer of the same person, holding the
 * same identity key, fetches what it does not have (at sign-on when the
 * preference is on, and with `/esession archive fetch`) into the same
 * archive folder, where the logger reads and checks it as any collection.
 * The server sees ciphertext, sizes, and the item ids (the contact and the
 * collection's start, as the local path already shows them).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "esess-i18n.h"
#include "esess-purple.h"

#define NS_PUBSUB "http://jabber.org/protocol/pubsub"
#define NS_PUBSUB_PUBOPTS "http://jabber.org/protocol/pubsub#publish-options"
#define NS_DISCO_ITEMS "http://jabber.org/protocol/disco#items"
#define NS_XDATA "jabber:x:data"
#define NS_STANZAS "urn:ietf:params:xml:ns:xmpp-stanzas"
#define NS_PUBSUB_ERRORS "http://jabber.org/protocol/pubsub#errors"

#define SRV_IQ_TIMEOUT 30
/* What a fetched item may hold: more than any computer of the account
 * copies (esess_archive_server_max), less than a hostile server could
 * send. */
#define SRV_MAX_FETCH ESESS_ARCHIVE_MAX_COPY
#define ARCHIVE_EXT ".esa"
#define HASH_HEX 8

#define NS_MAM "urn:xmpp:mam:2"

typedef enum {
	SRV_UPLOAD,
	SRV_LIST,       /* disco#items of the node: the item ids */
	SRV_ITEM,       /* one item */
	SRV_MAM_GET,    /* XEP-0313 preferences, read */
	SRV_MAM_SET,    /* and written */
	SRV_RETRACT     /* forget: one item removed */
} SrvKind;

/* A fetch (or a forget): the ids still to get (or retract), one request
 * at a time. */
typedef struct {
	PurpleAccount *account;
	char *report_to;          /* the conversation asking, or NULL */
	GQueue ids;               /* char * */
	guint fetched;            /* forget: retracted */
	guint failed;
	guint64 bytes;            /* fetch: written so far */
	char *forget;             /* forget: the contact (normalized) */
	guint local;              /* forget: files removed here */
	gboolean server_failed;   /* forget: the list could not be read */
} SrvFetch;

typedef struct {
	PurpleAccount *account;
	char *id;
	SrvKind kind;
	char *path;               /* upload: the file, and its name once */
	char *new_path;           /* uploaded (with the hash) */
	char *item_id;
	SrvFetch *fetch;
	char *contact;            /* MAM: the contact of the change */
	gboolean exclude;         /* MAM: TRUE keep it out, FALSE restore */
	guint timeout_id;
} SrvRequest;

static GHashTable *requests;  /* id -> SrvRequest */
static GList *fetches;        /* SrvFetch * */
static guint next_id;

static void fetch_next(SrvFetch *f);
static void mam_get_done(SrvRequest *r, xmlnode *iq, gboolean ok);
static void mam_set_done(SrvRequest *r, xmlnode *iq, gboolean ok);

static void
fetch_free(SrvFetch *f)
{
	fetches = g_list_remove(fetches, f);
	g_queue_clear_full(&f->ids, g_free);
	g_free(f->report_to);
	g_free(f->forget);
	g_free(f);
}

static void
request_free(gpointer p)
{
	SrvRequest *r = p;

	if (r->timeout_id != 0)
		purple_timeout_remove(r->timeout_id);
	g_free(r->id);
	g_free(r->path);
	g_free(r->new_path);
	g_free(r->item_id);
	g_free(r->contact);
	g_free(r);
}

gboolean
esess_archive_server_enabled(void)
{
	return purple_prefs_get_bool(ESESS_PREFS_ARCHIVE_SERVER);
}

guint
esess_archive_server_max(void)
{
	int n = purple_prefs_get_int(ESESS_PREFS_ARCHIVE_SERVER_MAX);

	/* a collection's header alone is about 1.3 KiB */
	return (guint)CLAMP(n, 2048, (int)SRV_MAX_FETCH);
}

static gboolean
send_node(PurpleAccount *account, xmlnode *node)
{
	PurpleConnection *gc = purple_account_get_connection(account);
	gboolean sent = FALSE;

	if (esess_ctx != NULL && gc != NULL &&
	    purple_connection_get_state(gc) == PURPLE_CONNECTED) {
		esess_ctx->sending_own = TRUE;
		purple_signal_emit(purple_connection_get_prpl(gc), "jabber-sending-xmlnode",
				   gc, &node);
		esess_ctx->sending_own = FALSE;
		sent = TRUE;
	}
	if (node != NULL)
		xmlnode_free(node);
	return sent;
}

static void request_done(SrvRequest *r, xmlnode *iq, gboolean ok);

static gboolean
request_timeout_cb(gpointer data)
{
	SrvRequest *r = data;

	r->timeout_id = 0;
	request_done(r, NULL, FALSE);
	return FALSE;
}

static SrvRequest *
request_new(PurpleAccount *account, SrvKind kind)
{
	SrvRequest *r = g_new0(SrvRequest, 1);

	r->account = account;
	r->kind = kind;
	r->id = g_strdup_printf("esess-arch-%u", ++next_id);
	r->timeout_id = purple_timeout_add_seconds(SRV_IQ_TIMEOUT, request_timeout_cb, r);
	g_hash_table_insert(requests, r->id, r);
	return r;
}

/* An iq of ours to our own account (PEP). */
static xmlnode *
iq_new(SrvRequest *r, const char *type)
{
	xmlnode *iq = xmlnode_new("iq");

	xmlnode_set_attrib(iq, "type", type);
	xmlnode_set_attrib(iq, "id", r->id);
	return iq;
}

static void
send_request(SrvRequest *r, xmlnode *iq)
{
	if (!send_node(r->account, iq))
		request_done(r, NULL, FALSE);
}

/* The condition of an error reply, for the debug log: the pubsub one
 * (XEP-0060, e.g. precondition-not-met) before the general one. */
static const char *
error_condition(xmlnode *iq)
{
	xmlnode *e = iq != NULL ? xmlnode_get_child(iq, "error") : NULL;
	xmlnode *c;

	for (c = e != NULL ? e->child : NULL; c != NULL; c = c->next)
		if (c->type == XMLNODE_TYPE_TAG &&
		    g_strcmp0(xmlnode_get_namespace(c), NS_PUBSUB_ERRORS) == 0)
			return c->name;
	for (c = e != NULL ? e->child : NULL; c != NULL; c = c->next)
		if (c->type == XMLNODE_TYPE_TAG &&
		    g_strcmp0(xmlnode_get_namespace(c), NS_STANZAS) == 0)
			return c->name;
	return iq != NULL ? "unknown" : "no answer";
}

/* ---- names ------------------------------------------------------------ */

/* "STEM.HHHHHHHH": a collection already uploaded (or fetched) keeps its
 * server name, the first hex digits of the SHA-256 of its bytes, so that
 * two computers never give the same item id to different collections. */
static gboolean
stem_is_uploaded(const char *stem)
{
	const char *dot = strrchr(stem, '.');
	int i;

	if (dot == NULL || strlen(dot + 1) != HASH_HEX)
		return FALSE;
	for (i = 0; i < HASH_HEX; i++)
		if (!g_ascii_isxdigit(dot[1 + i]) || g_ascii_isupper(dot[1 + i]))
			return FALSE;
	return TRUE;
}

/* A stem as this plugin writes them: YYYYMMDDTHHMMSS, "-N" (1 to 99) when
 * that second was taken, then the hash. */
static gboolean
stem_valid(const char *stem)
{
	size_t n = strlen(stem), i;

	if (!stem_is_uploaded(stem) || n < 15 + 1 + HASH_HEX)
		return FALSE;
	for (i = 0; i < 15; i++)
		if (i == 8 ? stem[i] != 'T' : !g_ascii_isdigit(stem[i]))
			return FALSE;
	n -= 1 + HASH_HEX;
	if (n == 15)
		return TRUE;
	if (stem[15] != '-' || n < 17 || n > 18)
		return FALSE;
	for (i = 16; i < n; i++)
		if (!g_ascii_isdigit(stem[i]))
			return FALSE;
	return stem[16] != '0';
}

static char *
normalized_contact(PurpleAccount *account, const char *contact)
{
	const char *n = purple_normalize(account, contact);

	return g_strdup(n != NULL ? n : contact);
}

/* The item id is one of contact's: "<contact>/<stem>" (contact normalized). */
static gboolean
id_of_contact(const char *item_id, const char *contact)
{
	size_t n = strlen(contact);

	return strncmp(item_id, contact, n) == 0 && item_id[n] == '/';
}

/* ---- upload ------------------------------------------------------------ */

static void
upload_done(SrvRequest *r, xmlnode *iq, gboolean ok)
{
	if (!ok) {
		/* XEP-0223: precondition-not-met is the server saying it cannot
		 * keep the node private and persistent; nothing was stored */
		purple_debug_warning(ESESS_DEBUG, "archive: the server did not take the copy of a "
				     "collection (%s); it stays on this computer only\n",
				     error_condition(iq));
		return;
	}
	if (r->new_path != NULL && g_rename(r->path, r->new_path) != 0)
		purple_debug_warning(ESESS_DEBUG, "archive: an uploaded collection could not be "
				     "renamed: %s\n", g_strerror(errno));
	purple_debug_info(ESESS_DEBUG, "archive: a collection was copied to the server\n");
}

/* Publishes one closed collection file (XEP-0223). */
static void
upload_file(PurpleAccount *account, const char *contact, const char *path)
{
	char *data = NULL, *b64, *base, *stem, *norm, *hash;
	gsize len = 0;
	GStatBuf sb;
	SrvRequest *r;
	xmlnode *iq, *pubsub, *publish, *item, *coll, *opts, *x;

	if (g_stat(path, &sb) != 0)
		return;
	if ((guint64)sb.st_size > esess_archive_server_max()) {
		purple_debug_warning(ESESS_DEBUG, "archive: a collection of %" G_GUINT64_FORMAT
				     " bytes is too large for one server item; it stays on this "
				     "computer only\n", (guint64)sb.st_size);
		return;
	}
	if (!g_file_get_contents(path, &data, &len, NULL))
		return;
	if (len < ESESS_ARCHIVE_MAGIC_LEN ||
	    memcmp(data, ESESS_ARCHIVE_MAGIC, ESESS_ARCHIVE_MAGIC_LEN) != 0) {
		g_free(data);
		return;
	}
	base = g_path_get_basename(path);
	stem = g_strndup(base, strlen(base) - strlen(ARCHIVE_EXT));
	norm = normalized_contact(account, contact);
	r = request_new(account, SRV_UPLOAD);
	r->path = g_strdup(path);
	if (stem_is_uploaded(stem)) {
		r->item_id = g_strdup_printf("%s/%s", norm, stem);
	} else {
		char *dir = g_path_get_dirname(path), *name;

		hash = g_compute_checksum_for_data(G_CHECKSUM_SHA256, (const guchar *)data, len);
		hash[HASH_HEX] = '\0';
		r->item_id = g_strdup_printf("%s/%s.%s", norm, stem, hash);
		name = g_strdup_printf("%s.%s%s", stem, hash, ARCHIVE_EXT);
		r->new_path = g_build_filename(dir, name, NULL);
		g_free(name);
		g_free(dir);
		g_free(hash);
	}
	b64 = g_base64_encode((const guchar *)data, len);
	g_free(data);
	iq = iq_new(r, "set");
	pubsub = xmlnode_new_child(iq, "pubsub");
	xmlnode_set_namespace(pubsub, NS_PUBSUB);
	publish = xmlnode_new_child(pubsub, "publish");
	xmlnode_set_attrib(publish, "node", ESESS_NS_ARCHIVE);
	item = xmlnode_new_child(publish, "item");
	xmlnode_set_attrib(item, "id", r->item_id);
	coll = xmlnode_new_child(item, "collection");
	xmlnode_set_namespace(coll, ESESS_NS_ARCHIVE);
	xmlnode_insert_data(coll, b64, -1);
	/* XEP-0223: the node is made with these options, or the publication is
	 * refused (precondition-not-met) when the server cannot honour them */
	opts = xmlnode_new_child(pubsub, "publish-options");
	x = xmlnode_new_child(opts, "x");
	xmlnode_set_namespace(x, NS_XDATA);
	xmlnode_set_attrib(x, "type", "submit");
	esess_pep_add_field(x, "FORM_TYPE", NS_PUBSUB_PUBOPTS);
	esess_pep_add_field(x, "pubsub#persist_items", "true");
	esess_pep_add_field(x, "pubsub#access_model", "whitelist");
	esess_pep_add_field(x, "pubsub#max_items", "max");
	esess_pep_add_field(x, "pubsub#send_last_published_item", "never");
	esess_pep_add_field(x, "pubsub#deliver_notifications", "false");
	g_free(b64);
	g_free(norm);
	g_free(stem);
	g_free(base);
	send_request(r, iq);
}

void
esess_archive_server_closed(PurpleAccount *account, const char *contact, const char *path)
{
	if (account == NULL || contact == NULL || path == NULL || requests == NULL ||
	    !esess_archive_server_enabled() ||
	    g_strcmp0(purple_account_get_protocol_id(account), "prpl-jabber") != 0)
		return;
	upload_file(account, contact, path);
}

/* Collections of the account never uploaded (closed while offline, or
 * before the preference was on): uploaded at sign-on. */
static void
upload_pending(PurpleAccount *account)
{
	char *adir = esess_archive_log_dir(account, NULL);
	GDir *d = g_dir_open(adir, 0, NULL);
	const char *who;

	while (d != NULL && (who = g_dir_read_name(d)) != NULL) {
		char *cdir = g_build_filename(adir, who, NULL);
		GDir *cd = g_dir_open(cdir, 0, NULL);
		const char *f;

		while (cd != NULL && (f = g_dir_read_name(cd)) != NULL) {
			char *stem, *path;

			if (!g_str_has_suffix(f, ARCHIVE_EXT))
				continue;
			stem = g_strndup(f, strlen(f) - strlen(ARCHIVE_EXT));
			path = g_build_filename(cdir, f, NULL);
			if (!stem_is_uploaded(stem) && !esess_archive_log_is_open(path))
				upload_file(account, purple_unescape_filename(who), path);
			g_free(path);
			g_free(stem);
		}
		if (cd != NULL)
			g_dir_close(cd);
		g_free(cdir);
	}
	if (d != NULL)
		g_dir_close(d);
	g_free(adir);
}

/* ---- fetch ------------------------------------------------------------- */

/* The local file for a server item id, or NULL when the id is not one this
 * plugin makes (a hostile server chooses ids: no path may come of one but
 * <archive dir>/<account>/<contact>/<stem>.esa). */
static char *
item_path(PurpleAccount *account, const char *item_id)
{
	const char *slash = strchr(item_id, '/');
	char *contact, *stem, *dir, *name, *path = NULL;

	if (slash == NULL || slash == item_id)
		return NULL;
	contact = g_strndup(item_id, slash - item_id);
	stem = g_strdup(slash + 1);
	if (stem_valid(stem) && strcmp(contact, ".") != 0 && strcmp(contact, "..") != 0 &&
	    g_strcmp0(purple_normalize(account, contact), contact) == 0) {
		dir = esess_archive_log_dir(account, contact);
		name = g_strconcat(stem, ARCHIVE_EXT, NULL);
		path = g_build_filename(dir, name, NULL);
		g_free(name);
		g_free(dir);
	}
	g_free(contact);
	g_free(stem);
	return path;
}

/* Writes a fetched collection: 0600 from creation, fsynced, then renamed
 * into place, so the logger never lists half a file. */
static gboolean
write_collection(const char *path, const guint8 *data, gsize len)
{
	char *dir = g_path_get_dirname(path);
	char *tmp = g_strconcat(path, ".part", NULL);
	gboolean ok = FALSE;
	int fd;

	if (g_mkdir_with_parents(dir, 0700) != 0)
		goto out;
	fd = g_open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		goto out;
	ok = TRUE;
	while (len > 0 && ok) {
		ssize_t n = write(fd, data, len);

		if (n < 0 && errno == EINTR)
			continue;
		ok = n > 0;
		if (ok) {
			data += n;
			len -= (gsize)n;
		}
	}
	if (ok && fsync(fd) != 0)
		ok = FALSE;
	if (close(fd) != 0)
		ok = FALSE;
	if (ok && g_rename(tmp, path) != 0)
		ok = FALSE;
	if (!ok)
		g_unlink(tmp);
out:
	g_free(tmp);
	g_free(dir);
	return ok;
}

static void forget_finish(SrvFetch *f);
static void retract_next(SrvFetch *f);

/* A forget of the item's contact is running on the account: a fetch
 * started before it (the one at sign-on) must not write that contact's
 * copies back after the local files were wiped.  The server answers one
 * stream in order, so a copy it still sends was read before its retraction,
 * whose answer ends the forget: while the forget runs covers them all. */
/* The caps of one fetch (ESESS_ARCHIVE_FETCH_ITEMS, _BYTES): the hidden
 * prefs within 1 and the built-in ceiling. */
static guint
fetch_max_items(void)
{
	int n = purple_prefs_get_int(ESESS_PREFS_ARCHIVE_FETCH_ITEMS);

	return (guint)CLAMP(n, 1, ESESS_ARCHIVE_FETCH_ITEMS);
}

static guint64
fetch_max_bytes(void)
{
	int n = purple_prefs_get_int(ESESS_PREFS_ARCHIVE_FETCH_BYTES);

	return (guint64)CLAMP(n, 1, ESESS_ARCHIVE_FETCH_BYTES);
}

static gboolean
being_forgotten(PurpleAccount *account, const char *item_id)
{
	GList *l;

	for (l = fetches; l != NULL; l = l->next) {
		SrvFetch *f = l->data;

		if (f->forget != NULL && f->account == account && id_of_contact(item_id, f->forget))
			return TRUE;
	}
	return FALSE;
}

static void
fetch_finish(SrvFetch *f)
{
	purple_debug_info(ESESS_DEBUG, "archive: %u collections fetched from the server, "
			  "%u refused\n", f->fetched, f->failed);
	if (f->report_to != NULL && f->server_failed) {
		/* offline, no answer or an error: "0 fetched" would say there
		 * was nothing to fetch */
		esess_ui_error(f->account, f->report_to,
			       _("The copies of your conversation logs on your server could not be "
				 "listed, so none was fetched. Try /esession archive fetch again "
				 "later."));
	} else if (f->report_to != NULL) {
		char *text = g_strdup_printf(_("Conversation logs fetched from your server: %u."),
					     f->fetched);

		esess_ui_system(f->account, f->report_to, text);
		g_free(text);
	}
	fetch_free(f);
}

static void
fetch_next(SrvFetch *f)
{
	char *id = g_queue_pop_head(&f->ids);
	SrvRequest *r;
	xmlnode *iq, *pubsub, *items, *item;

	while (id != NULL && being_forgotten(f->account, id)) {
		g_free(id);
		id = g_queue_pop_head(&f->ids);
	}
	if (id == NULL) {
		fetch_finish(f);
		return;
	}
	r = request_new(f->account, SRV_ITEM);
	r->fetch = f;
	r->item_id = id;
	iq = iq_new(r, "get");
	pubsub = xmlnode_new_child(iq, "pubsub");
	xmlnode_set_namespace(pubsub, NS_PUBSUB);
	items = xmlnode_new_child(pubsub, "items");
	xmlnode_set_attrib(items, "node", ESESS_NS_ARCHIVE);
	item = xmlnode_new_child(items, "item");
	xmlnode_set_attrib(item, "id", id);
	send_request(r, iq);
}

static void
item_done(SrvRequest *r, xmlnode *iq, gboolean ok)
{
	SrvFetch *f = r->fetch;
	xmlnode *n = NULL;
	char *path = item_path(r->account, r->item_id), *text = NULL;
	guint8 *data = NULL;
	size_t len = 0;

	if (ok) {
		n = xmlnode_get_child_with_namespace(iq, "pubsub", NS_PUBSUB);
		n = n != NULL ? xmlnode_get_child(n, "items") : NULL;
		if (n != NULL && g_strcmp0(xmlnode_get_attrib(n, "node"), ESESS_NS_ARCHIVE) != 0)
			n = NULL;
		n = n != NULL ? xmlnode_get_child(n, "item") : NULL;
		if (n != NULL && g_strcmp0(xmlnode_get_attrib(n, "id"), r->item_id) != 0)
			n = NULL;
		n = n != NULL ? xmlnode_get_child_with_namespace(n, "collection",
								 ESESS_NS_ARCHIVE) : NULL;
		text = n != NULL ? xmlnode_get_data(n) : NULL;
	}
	if (being_forgotten(r->account, r->item_id)) {
		purple_debug_info(ESESS_DEBUG, "archive: a server item of a contact being forgotten "
				  "was not kept: %s\n", r->item_id);
		g_free(text);
		g_free(path);
		fetch_next(f);
		return;
	}
	/* only the shape is checked here (strictly decoded, its magic); the
	 * logger checks every MAC when the collection is read, and refuses a
	 * changed one whole */
	if (text != NULL &&
	    esess_archive_decode_copy(text, strlen(text), &data, &len) != ESESS_OK)
		data = NULL;
	if (data != NULL && f->bytes > 0 && f->bytes + len > fetch_max_bytes()) {
		/* the disk this fetch may fill is spent: the rest waits for the
		 * next fetch (the first item of a fetch always fits) */
		purple_debug_info(ESESS_DEBUG, "archive: the fetch reached its cap of %" G_GUINT64_FORMAT
				  " bytes; this item and %u more are left for the next fetch\n",
				  fetch_max_bytes(), g_queue_get_length(&f->ids));
		g_free(data);
		g_free(text);
		g_free(path);
		fetch_finish(f); /* frees the ids left */
		return;
	}
	if (path != NULL && data != NULL &&
	    !g_file_test(path, G_FILE_TEST_EXISTS) && write_collection(path, data, len)) {
		f->fetched++;
		f->bytes += len;
	} else {
		f->failed++;
		purple_debug_warning(ESESS_DEBUG, "archive: a server item was not taken (%s)\n",
				     ok ? "not a collection" : error_condition(iq));
	}
	g_free(data);
	g_free(text);
	g_free(path);
	fetch_next(f);
}

static void
list_done(SrvRequest *r, xmlnode *iq, gboolean ok)
{
	SrvFetch *f = r->fetch;
	xmlnode *q, *it;

	q = ok ? xmlnode_get_child_with_namespace(iq, "query", NS_DISCO_ITEMS) : NULL;
	if (!ok && g_strcmp0(error_condition(iq), "item-not-found") != 0) {
		purple_debug_warning(ESESS_DEBUG, "archive: the server's list of copies was not "
				     "read (%s)\n", error_condition(iq));
		f->server_failed = TRUE;
	}
	if (f->forget != NULL) {
		/* this contact's items: "<contact>/<stem>" */
		for (it = q != NULL ? xmlnode_get_child(q, "item") : NULL; it != NULL;
		     it = xmlnode_get_next_twin(it)) {
			const char *id = xmlnode_get_attrib(it, "name");

			if (id != NULL && id_of_contact(id, f->forget))
				g_queue_push_tail(&f->ids, g_strdup(id));
		}
		retract_next(f);
		return;
	}
	for (it = q != NULL ? xmlnode_get_child(q, "item") : NULL; it != NULL;
	     it = xmlnode_get_next_twin(it)) {
		const char *id = xmlnode_get_attrib(it, "name");
		char *path;

		if (g_queue_get_length(&f->ids) >= fetch_max_items()) {
			/* the rest of the list waits for the next fetch */
			purple_debug_info(ESESS_DEBUG, "archive: the server listed more items than "
					  "one fetch takes (%u); the rest is left for the next "
					  "fetch\n", fetch_max_items());
			break;
		}
		if (id != NULL && being_forgotten(r->account, id))
			continue;
		path = id != NULL ? item_path(r->account, id) : NULL;
		if (path != NULL && !g_file_test(path, G_FILE_TEST_EXISTS))
			g_queue_push_tail(&f->ids, g_strdup(id));
		else if (path == NULL)
			f->failed++;
		g_free(path);
	}
	fetch_next(f);
}

static SrvFetch *
job_new(PurpleAccount *account, const char *report_to)
{
	SrvFetch *f = g_new0(SrvFetch, 1);

	f->account = account;
	f->report_to = g_strdup(report_to);
	g_queue_init(&f->ids);
	fetches = g_list_prepend(fetches, f);
	return f;
}

static void
list_items(SrvFetch *f)
{
	PurpleAccount *account = f->account;
	SrvRequest *r;
	xmlnode *iq, *q;
	char *own;

	r = request_new(account, SRV_LIST);
	r->fetch = f;
	iq = iq_new(r, "get");
	/* XEP-0060 "Discover Items for a Node": the ids, not the items */
	own = esess_bare_jid(purple_account_get_username(account));
	xmlnode_set_attrib(iq, "to", own);
	g_free(own);
	q = xmlnode_new_child(iq, "query");
	xmlnode_set_namespace(q, NS_DISCO_ITEMS);
	xmlnode_set_attrib(q, "node", ESESS_NS_ARCHIVE);
	send_request(r, iq);
}

void
esess_archive_server_fetch(PurpleAccount *account, const char *report_to)
{
	if (requests == NULL)
		return;
	list_items(job_new(account, report_to));
}

/* ---- forget history with a contact --------------------------------------- */

/* Overwrites a file with zeros, then unlinks it: the collections are
 * encrypted, but the user asked for them to be gone.  Only a regular file
 * of the folder itself is overwritten: a symbolic link named like a
 * collection is removed, never followed (its target, outside the archive,
 * is not ours to zero), and a FIFO must not block the program in open().
 * TRUE: a collection was overwritten and removed. */
static gboolean
wipe_file(const char *path)
{
	static const guint8 zeros[4096];
	GStatBuf sb;
	off_t left;
	gboolean regular = FALSE;
	int fd = g_open(path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK, 0);

	if (fd >= 0 && fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode)) {
		regular = TRUE;
		for (left = sb.st_size; left > 0;) {
			ssize_t n = write(fd, zeros, left < (off_t)sizeof zeros ? (size_t)left
					  : sizeof zeros);

			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				break;
			left -= n;
		}
		(void)fsync(fd);
	}
	if (fd >= 0)
		close(fd);
	return g_unlink(path) == 0 && regular;
}

static guint
forget_local(PurpleAccount *account, const char *contact)
{
	char *dir = esess_archive_log_dir(account, contact);
	GDir *d = g_dir_open(dir, 0, NULL);
	const char *f;
	guint n = 0;

	while (d != NULL && (f = g_dir_read_name(d)) != NULL) {
		char *path;

		if (!g_str_has_suffix(f, ARCHIVE_EXT) && !g_str_has_suffix(f, ".part"))
			continue;
		path = g_build_filename(dir, f, NULL);
		if (wipe_file(path) && g_str_has_suffix(f, ARCHIVE_EXT))
			n++;
		g_free(path);
	}
	if (d != NULL)
		g_dir_close(d);
	(void)g_rmdir(dir);
	g_free(dir);
	return n;
}

static void
retract_next(SrvFetch *f)
{
	char *id = g_queue_pop_head(&f->ids);
	SrvRequest *r;
	xmlnode *iq, *pubsub, *retract, *item;

	if (id == NULL) {
		forget_finish(f);
		return;
	}
	r = request_new(f->account, SRV_RETRACT);
	r->fetch = f;
	r->item_id = id;
	iq = iq_new(r, "set");
	pubsub = xmlnode_new_child(iq, "pubsub");
	xmlnode_set_namespace(pubsub, NS_PUBSUB);
	retract = xmlnode_new_child(pubsub, "retract");
	xmlnode_set_attrib(retract, "node", ESESS_NS_ARCHIVE);
	item = xmlnode_new_child(retract, "item");
	xmlnode_set_attrib(item, "id", id);
	send_request(r, iq);
}

static void
retract_done(SrvRequest *r, xmlnode *iq, gboolean ok)
{
	SrvFetch *f = r->fetch;

	if (ok) {
		f->fetched++;
	} else {
		f->failed++;
		purple_debug_warning(ESESS_DEBUG, "archive: a server copy was not removed (%s)\n",
				     error_condition(iq));
	}
	retract_next(f);
}

/* Forgets whose server part did not finish (offline, no answer, a refused
 * retraction, or a sign-off meanwhile): done again at the account's next
 * sign-on in this run, before the fetch there could write the copies back
 * (the user is told to run it again too: a restart loses this list). */
typedef struct {
	PurpleAccount *account;
	char *contact;            /* normalized */
} PendingForget;

static GList *pending_forgets;  /* PendingForget * */

static void
pending_forget_free(PendingForget *p)
{
	g_free(p->contact);
	g_free(p);
}

static void
pending_forget_set(PurpleAccount *account, const char *contact, gboolean pending)
{
	GList *l;
	PendingForget *p;

	for (l = pending_forgets; l != NULL; l = l->next) {
		p = l->data;
		if (p->account == account && strcmp(p->contact, contact) == 0) {
			if (!pending) {
				pending_forgets = g_list_delete_link(pending_forgets, l);
				pending_forget_free(p);
			}
			return;
		}
	}
	if (pending) {
		p = g_new0(PendingForget, 1);
		p->account = account;
		p->contact = g_strdup(contact);
		pending_forgets = g_list_append(pending_forgets, p);
	}
}

/* The account's pending forgets (NULL: all), taken out of the list. */
static GList *
pending_forgets_take(PurpleAccount *account)
{
	GList *l, *next, *out = NULL;

	for (l = pending_forgets; l != NULL; l = next) {
		next = l->next;
		if (account == NULL || ((PendingForget *)l->data)->account == account) {
			out = g_list_append(out, l->data);
			pending_forgets = g_list_delete_link(pending_forgets, l);
		}
	}
	return out;
}

static void
forget_finish(SrvFetch *f)
{
	char *text;

	purple_debug_info(ESESS_DEBUG, "archive: history forgotten: %u logs here, %u on the "
			  "server, %u not removed there\n", f->local, f->fetched, f->failed);
	text = g_strdup_printf(_("Encrypted history with this contact forgotten: %u logs removed "
				 "from this computer, %u from your server."), f->local, f->fetched);
	esess_ui_system(f->account, f->report_to, text);
	g_free(text);
	if (f->server_failed || f->failed > 0)
		esess_ui_error(f->account, f->report_to,
			       _("Some copies on your server could not be removed now. Run "
				 "/esession forget again when you are connected."));
	pending_forget_set(f->account, f->forget, f->server_failed || f->failed > 0);
	fetch_free(f);
}

static void
forget_now(PurpleAccount *account, const char *contact)
{
	SrvFetch *f = job_new(account, contact);

	f->forget = normalized_contact(account, contact);
	/* the collection being written goes too, without a copy */
	esess_archive_log_close(account, contact, FALSE);
	f->local = forget_local(account, contact);
	/* the server's copies: whatever the preference is now, some may have
	 * been made while it was on */
	list_items(f);
}

typedef struct {
	PurpleAccount *account;
	char *contact;
} ForgetAsk;

static GList *asks;  /* ForgetAsk *: confirmations shown */

static void
ask_free(ForgetAsk *a)
{
	asks = g_list_remove(asks, a);
	g_free(a->contact);
	g_free(a);
}

/* Finch calls the cancel callback when the dialog is closed by
 * purple_request_close_with_handle too: only listed requests act. */
static void
ask_forget_cb(ForgetAsk *a, int action)
{
	(void)action;
	if (g_list_find(asks, a) == NULL)
		return;
	forget_now(a->account, a->contact);
	ask_free(a);
}

static void
ask_cancel_cb(ForgetAsk *a, int action)
{
	(void)action;
	if (g_list_find(asks, a) == NULL)
		return;
	ask_free(a);
}

void
esess_archive_server_ask_forget(PurpleAccount *account, const char *contact)
{
	ForgetAsk *a;
	char *primary;

	if (requests == NULL || contact == NULL)
		return;
	a = g_new0(ForgetAsk, 1);
	a->account = account;
	a->contact = esess_bare_jid(contact);
	asks = g_list_prepend(asks, a);
	primary = g_strdup_printf(_("Forget the encrypted history with %s?"), a->contact);
	/* the default is Cancel: a typo never removes anything */
	purple_request_action(a, _("Forget history"), primary,
			      _("This removes the encrypted logs of your private conversations "
				"with this contact from this computer, and their copies from your "
				"server. Pidgin's own logs are not touched. This cannot be undone."),
			      1, account, a->contact, NULL, a, 2,
			      _("_Forget"), PURPLE_CALLBACK(ask_forget_cb),
			      _("_Cancel"), PURPLE_CALLBACK(ask_cancel_cb));
	g_free(primary);
}

static void
asks_close(PurpleAccount *account)
{
	GList *l, *next;

	for (l = asks; l != NULL; l = next) {
		ForgetAsk *a = l->data;

		next = l->next;
		if (account == NULL || a->account == account) {
			asks = g_list_delete_link(asks, l);
			purple_request_close_with_handle(a);
			g_free(a->contact);
			g_free(a);
		}
	}
}

/* ---- XEP-0313 preferences (INTEROP R17) ---------------------------------
 *
 * A `mustnot` session's messages carry the XEP-0334 hints (R14, R17), so a
 * server that honours them archives none of ours; but a contact's client
 * may not add them, and the server archives what it receives for us too.
 * So for the session's life the contact is put into the <never/> list of
 * the account's XEP-0313 preferences, and taken out again afterwards (back
 * into <always/> if it was there).  The contacts we put there are written
 * to <user dir>/esessions/mam-excluded before the change is sent, so that a
 * crash or a sign-off before the restoration is repaired at the next
 * sign-on.  A contact the user had put into <never/> is left alone.  The
 * changes of an account are made one at a time (read, change, write), so
 * two sessions never overwrite each other's change. */

typedef struct {
	char *contact;
	gboolean exclude;
} MamOp;

typedef struct {
	GQueue ops;               /* MamOp * */
	gboolean busy;
	gboolean unsupported;     /* the server has no XEP-0313 preferences */
} MamAccount;

static GHashTable *mam_accounts;  /* PurpleAccount * -> MamAccount */
static GHashTable *mam_running;   /* "account\ncontact": excluded for a session */

static void
mam_op_free(gpointer p)
{
	MamOp *op = p;

	g_free(op->contact);
	g_free(op);
}

static void
mam_account_free(gpointer p)
{
	MamAccount *m = p;

	g_queue_clear_full(&m->ops, mam_op_free);
	g_free(m);
}

static char *
mam_file(void)
{
	return g_build_filename(purple_user_dir(), "esessions", "mam-excluded", NULL);
}

/* The record: "account\tcontact\tprevious" lines (previous: "always" or
 * "none"). */
static GPtrArray *
mam_records_load(void)
{
	GPtrArray *out = g_ptr_array_new_with_free_func((GDestroyNotify)g_strfreev);
	char *path = mam_file(), *text = NULL, **lines;
	int i;

	if (g_file_get_contents(path, &text, NULL, NULL)) {
		lines = g_strsplit(text, "\n", -1);
		for (i = 0; lines[i] != NULL; i++) {
			char **f = g_strsplit(lines[i], "\t", 3);

			if (g_strv_length(f) == 3)
				g_ptr_array_add(out, f);
			else
				g_strfreev(f);
		}
		g_strfreev(lines);
	}
	g_free(text);
	g_free(path);
	return out;
}

static void
mam_records_save(GPtrArray *recs)
{
	GString *text = g_string_new(NULL);
	char *path = mam_file(), *dir = g_path_get_dirname(path);
	guint i;

	for (i = 0; i < recs->len; i++) {
		char **f = g_ptr_array_index(recs, i);

		g_string_append_printf(text, "%s\t%s\t%s\n", f[0], f[1], f[2]);
	}
	if (g_mkdir_with_parents(dir, 0700) != 0 ||
	    !write_collection(path, (const guint8 *)text->str, text->len))
		purple_debug_error(ESESS_DEBUG, "archive: the record of the server archive "
				   "preferences could not be written\n");
	g_string_free(text, TRUE);
	g_free(dir);
	g_free(path);
}

static int
mam_record_find(GPtrArray *recs, PurpleAccount *account, const char *contact)
{
	guint i;

	for (i = 0; i < recs->len; i++) {
		char **f = g_ptr_array_index(recs, i);

		if (strcmp(f[0], purple_account_get_username(account)) == 0 &&
		    strcmp(f[1], contact) == 0)
			return (int)i;
	}
	return -1;
}

static MamAccount *
mam_account(PurpleAccount *account)
{
	MamAccount *m = g_hash_table_lookup(mam_accounts, account);

	if (m == NULL) {
		m = g_new0(MamAccount, 1);
		g_queue_init(&m->ops);
		g_hash_table_insert(mam_accounts, account, m);
	}
	return m;
}

static void
mam_next(PurpleAccount *account)
{
	MamAccount *m = mam_account(account);
	MamOp *op;
	SrvRequest *r;
	xmlnode *iq, *prefs;

	if (m->busy)
		return;
	op = g_queue_pop_head(&m->ops);
	if (op == NULL)
		return;
	if (m->unsupported) {
		mam_op_free(op);
		g_queue_clear_full(&m->ops, mam_op_free);
		return;
	}
	m->busy = TRUE;
	r = request_new(account, SRV_MAM_GET);
	r->contact = op->contact;
	r->exclude = op->exclude;
	g_free(op);
	iq = iq_new(r, "get");
	prefs = xmlnode_new_child(iq, "prefs");
	xmlnode_set_namespace(prefs, NS_MAM);
	send_request(r, iq);
}

static void
mam_queue(PurpleAccount *account, const char *contact, gboolean exclude)
{
	MamOp *op = g_new0(MamOp, 1);

	op->contact = g_strdup(contact);
	op->exclude = exclude;
	g_queue_push_tail(&mam_account(account)->ops, op);
	mam_next(account);
}

static void
mam_op_finished(PurpleAccount *account)
{
	MamAccount *m = g_hash_table_lookup(mam_accounts, account);

	if (m != NULL)
		m->busy = FALSE;
	mam_next(account);
}

/* The <jid/>s of a list, except contact; *had: contact was in it. */
static GList *
mam_list(xmlnode *prefs, const char *name, const char *contact, gboolean *had)
{
	xmlnode *l = prefs != NULL ? xmlnode_get_child(prefs, name) : NULL;
	xmlnode *j;
	GList *out = NULL;

	*had = FALSE;
	for (j = l != NULL ? xmlnode_get_child(l, "jid") : NULL; j != NULL;
	     j = xmlnode_get_next_twin(j)) {
		char *v = xmlnode_get_data(j);

		if (v == NULL)
			continue;
		if (esess_jid_equal(v, contact)) {
			*had = TRUE;
			g_free(v);
		} else {
			out = g_list_append(out, v);
		}
	}
	return out;
}

static void
mam_add_list(xmlnode *prefs, const char *name, GList *jids)
{
	xmlnode *l = xmlnode_new_child(prefs, name);

	for (; jids != NULL; jids = jids->next)
		xmlnode_insert_data(xmlnode_new_child(l, "jid"), jids->data, -1);
}

static void
mam_get_done(SrvRequest *r, xmlnode *iq, gboolean ok)
{
	xmlnode *prefs = ok ? xmlnode_get_child_with_namespace(iq, "prefs", NS_MAM) : NULL;
	GList *always, *never;
	gboolean in_always, in_never;
	GPtrArray *recs;
	int rec;
	SrvRequest *set;
	xmlnode *siq, *sp;
	const char *def;

	if (prefs == NULL) {
		const char *cond = error_condition(iq);
		/* no XEP-0313 preferences (a result without them, or the errors
		 * of a server without the feature): the hints (R14) are all there
		 * is.  A passing error (wait, resource-constraint...) or no answer
		 * says nothing of the next sessions, which still try (R17). */
		gboolean none = iq != NULL &&
			(g_strcmp0(xmlnode_get_attrib(iq, "type"), "result") == 0 ||
			 strcmp(cond, "feature-not-implemented") == 0 ||
			 strcmp(cond, "service-unavailable") == 0);

		if (none)
			purple_debug_info(ESESS_DEBUG, "archive: the server has no XEP-0313 "
					  "preferences (%s)\n", cond);
		else
			purple_debug_warning(ESESS_DEBUG, "archive: the server archive preferences "
					     "could not be read (%s)\n", cond);
		mam_account(r->account)->unsupported = none;
		mam_op_finished(r->account);
		return;
	}
	/* XEP-0313: the default is required; without one, writing the
	 * preferences back would have to choose one, and "always" would start
	 * archiving every contact of a user who archives nothing by default */
	def = xmlnode_get_attrib(prefs, "default");
	if (g_strcmp0(def, "always") != 0 && g_strcmp0(def, "never") != 0 &&
	    g_strcmp0(def, "roster") != 0) {
		purple_debug_warning(ESESS_DEBUG, "archive: the server archive preferences have no "
				     "valid default; they are left as they are\n");
		mam_op_finished(r->account);
		return;
	}
	always = mam_list(prefs, "always", r->contact, &in_always);
	never = mam_list(prefs, "never", r->contact, &in_never);
	recs = mam_records_load();
	rec = mam_record_find(recs, r->account, r->contact);
	if (r->exclude && in_never) {
		/* already kept out: by the user (left alone), or by us before a
		 * crash (the record stays, for the restoration) */
		purple_debug_info(ESESS_DEBUG, "archive: the server archive already leaves out this "
				  "contact\n");
		goto done;
	}
	if (!r->exclude && rec < 0)
		goto done;   /* never ours to restore */
	if (r->exclude) {
		char **f = g_new0(char *, 4);

		f[0] = g_strdup(purple_account_get_username(r->account));
		f[1] = g_strdup(r->contact);
		f[2] = g_strdup(in_always ? "always" : "none");
		if (rec >= 0)
			g_ptr_array_remove_index(recs, rec);
		g_ptr_array_add(recs, f);
		/* written before the server is changed: a crash leaves a record
		 * of a change that may not have happened, never the reverse */
		mam_records_save(recs);
		never = g_list_append(never, g_strdup(r->contact));
	} else {
		char **f = g_ptr_array_index(recs, rec);

		if (strcmp(f[2], "always") == 0)
			always = g_list_append(always, g_strdup(r->contact));
	}
	set = request_new(r->account, SRV_MAM_SET);
	set->contact = g_strdup(r->contact);
	set->exclude = r->exclude;
	siq = iq_new(set, "set");
	sp = xmlnode_new_child(siq, "prefs");
	xmlnode_set_namespace(sp, NS_MAM);
	xmlnode_set_attrib(sp, "default", def);
	mam_add_list(sp, "always", always);
	mam_add_list(sp, "never", never);
	g_list_free_full(always, g_free);
	g_list_free_full(never, g_free);
	g_ptr_array_unref(recs);
	send_request(set, siq);
	return;
done:
	g_list_free_full(always, g_free);
	g_list_free_full(never, g_free);
	g_ptr_array_unref(recs);
	mam_op_finished(r->account);
}

static void
mam_set_done(SrvRequest *r, xmlnode *iq, gboolean ok)
{
	if (!ok) {
		purple_debug_warning(ESESS_DEBUG, "archive: the server archive preferences were not "
				     "changed (%s)\n", error_condition(iq));
	} else if (r->exclude) {
		purple_debug_info(ESESS_DEBUG, "archive: the server archive leaves out an off-the-"
				  "record contact for the session's life\n");
	} else {
		GPtrArray *recs = mam_records_load();
		int rec = mam_record_find(recs, r->account, r->contact);

		if (rec >= 0) {
			g_ptr_array_remove_index(recs, rec);
			mam_records_save(recs);
		}
		g_ptr_array_unref(recs);
		purple_debug_info(ESESS_DEBUG, "archive: the server archive preferences were "
				  "restored\n");
	}
	mam_op_finished(r->account);
}

void
esess_archive_server_session(EsessPeer *peer, gboolean mustnot)
{
	char *key;

	if (mam_running == NULL || peer == NULL ||
	    g_strcmp0(purple_account_get_protocol_id(peer->account), "prpl-jabber") != 0)
		return;
	key = g_strdup_printf("%s\n%s", purple_account_get_username(peer->account), peer->bare);
	if (mustnot && !g_hash_table_contains(mam_running, key)) {
		/* INTEROP R17: not archived by the server while the session lasts */
		g_hash_table_add(mam_running, key);
		mam_queue(peer->account, peer->bare, TRUE);
		return;
	}
	if (!mustnot && g_hash_table_remove(mam_running, key))
		mam_queue(peer->account, peer->bare, FALSE);
	g_free(key);
}

/* Contacts left out by a run that ended before it could restore them. */
static void
mam_signed_on(PurpleAccount *account)
{
	GPtrArray *recs = mam_records_load();
	guint i;

	for (i = 0; i < recs->len; i++) {
		char **f = g_ptr_array_index(recs, i);

		if (strcmp(f[0], purple_account_get_username(account)) == 0)
			mam_queue(account, f[1], FALSE);
	}
	g_ptr_array_unref(recs);
}

/* ---- answers ----------------------------------------------------------- */

static void
request_done(SrvRequest *r, xmlnode *iq, gboolean ok)
{
	g_hash_table_steal(requests, r->id);
	if (r->timeout_id != 0) {
		purple_timeout_remove(r->timeout_id);
		r->timeout_id = 0;
	}
	switch (r->kind) {
	case SRV_UPLOAD:
		upload_done(r, iq, ok);
		break;
	case SRV_LIST:
		list_done(r, iq, ok);
		break;
	case SRV_ITEM:
		item_done(r, iq, ok);
		break;
	case SRV_MAM_GET:
		mam_get_done(r, iq, ok);
		break;
	case SRV_MAM_SET:
		mam_set_done(r, iq, ok);
		break;
	case SRV_RETRACT:
		retract_done(r, iq, ok);
		break;
	}
	request_free(r);
}

gboolean
esess_archive_server_receive_iq(PurpleAccount *account, xmlnode *iq)
{
	const char *type = xmlnode_get_attrib(iq, "type");
	const char *id = xmlnode_get_attrib(iq, "id");
	const char *from = xmlnode_get_attrib(iq, "from");
	SrvRequest *r;
	char *own;
	gboolean mine;

	if (requests == NULL || type == NULL || id == NULL ||
	    (strcmp(type, "result") != 0 && strcmp(type, "error") != 0))
		return FALSE;
	r = g_hash_table_lookup(requests, id);
	if (r == NULL || r->account != account)
		return FALSE;
	/* our own account answers (the server stamps it): nobody else may */
	own = esess_bare_jid(purple_account_get_username(account));
	mine = from == NULL || esess_jid_equal(from, own);
	g_free(own);
	if (!mine)
		return FALSE;
	request_done(r, iq, strcmp(type, "result") == 0);
	return TRUE;
}

/* ---- life ------------------------------------------------------------- */

void
esess_archive_server_signed_on(PurpleAccount *account)
{
	GList *pending = pending_forgets_take(account), *l;

	mam_signed_on(account);
	/* first, so that the fetch below skips what they remove */
	for (l = pending; l != NULL; l = l->next) {
		PendingForget *p = l->data;

		forget_now(account, p->contact);
		pending_forget_free(p);
	}
	g_list_free(pending);
	if (!esess_archive_server_enabled())
		return;
	upload_pending(account);
	esess_archive_server_fetch(account, NULL);
}

/* The account's requests end unanswered, and nothing of them runs later. */
void
esess_archive_server_forget(PurpleAccount *account)
{
	GHashTableIter it;
	gpointer v;
	GList *l, *next;

	if (requests == NULL)
		return;
	g_hash_table_iter_init(&it, requests);
	while (g_hash_table_iter_next(&it, NULL, &v))
		if (account == NULL || ((SrvRequest *)v)->account == account)
			g_hash_table_iter_remove(&it);
	for (l = fetches; l != NULL; l = next) {
		SrvFetch *f = l->data;

		next = l->next;
		if (account == NULL || f->account == account) {
			/* a forget cut short by the sign-off: again at sign-on */
			if (f->forget != NULL && account != NULL)
				pending_forget_set(account, f->forget, TRUE);
			fetch_free(f);
		}
	}
	if (account == NULL) {
		asks_close(NULL);
		g_list_free_full(pending_forgets_take(NULL),
				 (GDestroyNotify)pending_forget_free);
	}
	/* the record keeps what is still to restore (next sign-on) */
	if (account == NULL) {
		g_hash_table_remove_all(mam_accounts);
		g_hash_table_remove_all(mam_running);
	} else {
		char *prefix = g_strdup_printf("%s\n", purple_account_get_username(account));

		g_hash_table_remove(mam_accounts, account);
		g_hash_table_iter_init(&it, mam_running);
		while (g_hash_table_iter_next(&it, &v, NULL))
			if (g_str_has_prefix(v, prefix))
				g_hash_table_iter_remove(&it);
		g_free(prefix);
	}
}

void
esess_archive_server_account_removed(PurpleAccount *account)
{
	asks_close(account);
	esess_archive_server_forget(account);
	g_list_free_full(pending_forgets_take(account), (GDestroyNotify)pending_forget_free);
}

void
esess_archive_server_init(void)
{
	requests = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, request_free);
	mam_accounts = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL,
					     mam_account_free);
	mam_running = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
}

void
esess_archive_server_shutdown(void)
{
	esess_archive_server_forget(NULL);
	g_hash_table_destroy(requests);
	requests = NULL;
	g_hash_table_destroy(mam_accounts);
	g_hash_table_destroy(mam_running);
	mam_accounts = NULL;
	mam_running = NULL;
}
