/*
 * esess-store.c - retained secrets at rest (INTEROP R9, XEP-0116 §4.12),
 * the one engine module that does file I/O.
 *
 * File format (text, UTF-8, one record a line, every line ending in LF):
 *
 *   ESESS-STORE 1
 *   R <b64 account> <b64 peer> <b64 secret> <0|1 verified> <created, decimal µs>
 *   P <b64 account> <b64 peer> <b64 secret> <0|1 verified> <created, decimal µs>
 *     <b64 previous secret> <0|1 previous verified>
 *
 * Each record is one chain.  A P record is pending (SECURITY 67): we stored
 * the secret while answering message 3 with the previous one, but the peer
 * only stores it when our message 4 arrives, so until the peer proves which
 * one it holds (its next rshashes or srshash) the previous secret is kept
 * beside it.  A file with P records is refused by versions that predate
 * them, never misread.
 *
 * Version 2 adds per-peer flags, after the R and P records, at most one
 * line per peer, flags a non-zero decimal (ESESS_PEER_* bits):
 *
 *   ESESS-STORE 2
 *   R ... / P ...
 *   F <b64 account> <b64 peer> <flags>
 *
 * A file without peer flags is still written as version 1, so that nothing
 * changes for a user who never met a peer of the committed SAS (INTEROP
 * R23); a version 1 file with an F line is corrupt.  An older build refuses a
 * version 2 file as corrupt rather than silently dropping the flags.
 *
 * Version 3 adds the contacts' public keys (INTEROP R21, issue 12), at most
 * one line per peer, after the R and P records (F and K lines in any order):
 *
 *   ESESS-STORE 3
 *   R ... / P ... / F ...
 *   K <b64 account> <b64 peer> <b64 modulus> <b64 exponent> <0|1 verified>
 *     <first seen, decimal µs>
 *
 * Modulus and exponent are the canonical big-endian octets of R21; a key
 * esess_pubkey_new refuses makes the file corrupt.  Version 3 is written
 * only when a key is held, version 2 only when flags but no key are, so an
 * older build refuses the file rather than drop what it cannot read.
 *
 * Records are kept oldest first, per peer in the order they were stored.
 * Writing: a new file is created 0600 with O_EXCL next to the old one,
 * written, fsync'd and renamed over it (doc/hacking.md: never chmod afterwards),
 * and only then does the in-memory state change: a failed write loses
 * nothing.  Reading is strict: any deviation is ESESS_ERR_STORE_FORMAT.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "esess-bytes.h"
#include "esess-idkey.h"
#include "esess-store-private.h"

#define STORE_MAGIC        "ESESS-STORE 1"
#define STORE_MAGIC_2      "ESESS-STORE 2"   /* with per-peer flags */
#define STORE_MAGIC_3      "ESESS-STORE 3"   /* with contacts' public keys */
#define STORE_MAX_KEY      (ESESS_IDKEY_MAX_BITS / 8u)
#define STORE_MAX_FILE     (8u * 1024u * 1024u)  /* refuse larger files */
#define STORE_MAX_JID      3071u                  /* RFC 7622 bare JID bound */
#define STORE_MAX_SECRET   64u

/* One chain: the newest secret, and while it is pending the one it
 * replaces (SECURITY 67). */
typedef struct {
	char *account;
	char *peer;
	EsessSecret *secret;
	gboolean verified;
	gint64 created;
	EsessSecret *prev;      /* pending: the secret used, until the peer shows
				 * it holds secret; else NULL */
	gboolean prev_verified;
} StoreEntry;

struct _EsessStore {
	char *path;
	GPtrArray *entries;  /* StoreEntry*, oldest first */
	GHashTable *flags;   /* peer_key() -> GUINT_TO_POINTER(ESESS_PEER_* bits) */
	GHashTable *keys;    /* peer_key() -> EsessKnownKey* (R21) */
	guint writes;        /* files written (esess_store_writes) */
};

static void
known_free(gpointer p)
{
	esess_known_key_free(p);
}

static EsessKnownKey *
known_new(const EsessPubKey *key, gboolean verified, gint64 first_seen)
{
	EsessKnownKey *k = g_new0(EsessKnownKey, 1);

	k->key = esess_pubkey_copy(key);
	k->verified = verified;
	k->first_seen = first_seen;
	return k;
}

void
esess_known_key_free(EsessKnownKey *k)
{
	if (k == NULL)
		return;
	esess_pubkey_free(k->key);
	g_free(k);
}

static GHashTable *
keys_new(void)
{
	return g_hash_table_new_full(g_str_hash, g_str_equal, g_free, known_free);
}

static GHashTable *
keys_copy(GHashTable *from)
{
	GHashTable *to = keys_new();
	GHashTableIter it;
	gpointer k, v;

	g_hash_table_iter_init(&it, from);
	while (g_hash_table_iter_next(&it, &k, &v)) {
		const EsessKnownKey *kk = v;

		g_hash_table_insert(to, g_strdup(k),
				    known_new(kk->key, kk->verified, kk->first_seen));
	}
	return to;
}

/* One key per (account, peer), both normalised bare JIDs like every other
 * store key (issue 9 item 10): a newline is in neither JID. */
static char *
peer_key(const char *account, const char *peer)
{
	g_autofree char *a = esess_jid_bare(account);
	g_autofree char *p = esess_jid_bare(peer);

	return g_strconcat(a, "\n", p, NULL);
}

static GHashTable *
flags_new(void)
{
	return g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
}

static GHashTable *
flags_copy(GHashTable *from)
{
	GHashTable *to = flags_new();
	GHashTableIter it;
	gpointer k, v;

	g_hash_table_iter_init(&it, from);
	while (g_hash_table_iter_next(&it, &k, &v))
		g_hash_table_insert(to, g_strdup(k), v);
	return to;
}

static void
entry_free(StoreEntry *e)
{
	if (e == NULL)
		return;
	g_free(e->account);
	g_free(e->peer);
	esess_secret_free(e->secret);
	esess_secret_free(e->prev);
	g_free(e);
}

static StoreEntry *
entry_new(const char *account, const char *peer, const EsessSecret *s, gboolean verified,
	  gint64 created)
{
	StoreEntry *e = g_new0(StoreEntry, 1);

	e->account = g_strdup(account);
	e->peer = g_strdup(peer);
	e->secret = esess_secret_dup(s);
	e->verified = verified;
	e->created = created;
	return e;
}

static StoreEntry *
entry_copy(const StoreEntry *o)
{
	StoreEntry *e = entry_new(o->account, o->peer, o->secret, o->verified, o->created);

	e->prev = esess_secret_dup(o->prev);
	e->prev_verified = o->prev_verified;
	return e;
}

static gboolean
entry_is(const StoreEntry *e, const char *account, const char *peer)
{
	return strcmp(e->account, account) == 0 && strcmp(e->peer, peer) == 0;
}

/* Secrets are compared in constant time on equal lengths. */
static gboolean
secret_eq(const EsessSecret *a, const EsessSecret *b)
{
	return a->len == b->len && esess_ct_equal(a->data, b->data, a->len);
}

static void
retained_free(gpointer p)
{
	EsessRetained *r = p;

	if (r == NULL)
		return;
	esess_secret_free(r->secret);
	g_free(r);
}

/* ---- reading ---------------------------------------------------------- */

/* Decodes one base64 token into a g_malloc'd, NUL-terminated UTF-8 string. */
static EsessStatus
decode_text(const char *tok, size_t len, char **out)
{
	guint8 *raw = NULL;
	size_t raw_len = 0;
	EsessStatus r;

	*out = NULL;
	r = esess_base64_decode(tok, len, STORE_MAX_JID, &raw, &raw_len);
	if (r != ESESS_OK || raw_len == 0 || esess_utf8_check((const char *)raw, raw_len) != ESESS_OK) {
		g_free(raw);
		return ESESS_ERR_STORE_FORMAT;
	}
	*out = g_strndup((const char *)raw, raw_len);
	g_free(raw);
	return ESESS_OK;
}

/* Decodes a base64 secret token (1..STORE_MAX_SECRET bytes). */
static EsessStatus
decode_secret(const char *tok, size_t len, EsessSecret **out)
{
	guint8 *raw = NULL;
	size_t raw_len = 0;
	EsessStatus r = ESESS_ERR_STORE_FORMAT;

	*out = NULL;
	if (esess_base64_decode(tok, len, STORE_MAX_SECRET, &raw, &raw_len) == ESESS_OK &&
	    raw_len > 0) {
		*out = esess_secret_new_from(raw, raw_len);
		r = ESESS_OK;
	}
	esess_free_wiped(raw, raw_len);
	return r;
}

static gboolean
parse_flag(const char *tok, size_t len, gboolean *out)
{
	if (len != 1 || (tok[0] != '0' && tok[0] != '1'))
		return FALSE;
	*out = tok[0] == '1';
	return TRUE;
}

/* An R record (6 tokens) or a P record (8 tokens). */
static EsessStatus
parse_record(const char *line, size_t len, StoreEntry **out)
{
	const char *tok[8];
	size_t tlen[8];
	size_t pos = 0;
	guint n = 0, want;
	StoreEntry *e = NULL;
	char *num = NULL;
	guint64 created;
	EsessStatus r = ESESS_ERR_STORE_FORMAT;

	*out = NULL;
	/* tokens separated by single spaces */
	while (pos <= len && n < 8) {
		const char *sp = memchr(line + pos, ' ', len - pos);
		size_t end = sp != NULL ? (size_t)(sp - line) : len;

		if (end == pos)
			goto out;  /* empty token */
		tok[n] = line + pos;
		tlen[n] = end - pos;
		n++;
		pos = end + 1;
		if (sp == NULL)
			break;
	}
	if (n == 0 || tlen[0] != 1 || (tok[0][0] != 'R' && tok[0][0] != 'P'))
		goto out;
	want = tok[0][0] == 'R' ? 6 : 8;
	if (n != want || pos != len + 1)
		goto out;
	e = g_new0(StoreEntry, 1);
	if (decode_text(tok[1], tlen[1], &e->account) != ESESS_OK ||
	    decode_text(tok[2], tlen[2], &e->peer) != ESESS_OK ||
	    decode_secret(tok[3], tlen[3], &e->secret) != ESESS_OK ||
	    !parse_flag(tok[4], tlen[4], &e->verified))
		goto out;
	num = g_strndup(tok[5], tlen[5]);
	if (esess_parse_uint(num, G_MAXINT64, &created) != ESESS_OK)
		goto out;
	e->created = (gint64)created;
	if (want == 8) {
		if (decode_secret(tok[6], tlen[6], &e->prev) != ESESS_OK ||
		    !parse_flag(tok[7], tlen[7], &e->prev_verified))
			goto out;
	}
	*out = e;
	e = NULL;
	r = ESESS_OK;
out:
	g_free(num);
	entry_free(e);
	return r;
}

static void
store_norm_in_place(char **jid)
{
	char *n = esess_jid_bare(*jid);

	g_free(*jid);
	*jid = n;
}

/* Version 2: "F <b64 account> <b64 peer> <flags>", flags a known non-zero
 * bit set; one line per peer (INTEROP R23). */
static EsessStatus
parse_flags(const char *line, size_t len, GHashTable *flags)
{
	char **tok;
	char *account = NULL, *peer = NULL, *key = NULL, *text;
	guint64 v;
	EsessStatus r = ESESS_ERR_STORE_FORMAT;

	text = g_strndup(line, len);
	tok = g_strsplit(text, " ", -1);
	if (g_strv_length(tok) != 4 || strcmp(tok[0], "F") != 0 || tok[1][0] == '\0' ||
	    tok[2][0] == '\0')
		goto out;
	if (decode_text(tok[1], strlen(tok[1]), &account) != ESESS_OK ||
	    decode_text(tok[2], strlen(tok[2]), &peer) != ESESS_OK)
		goto out;
	if (esess_parse_uint(tok[3], ESESS_PEER_ALL, &v) != ESESS_OK || v == 0)
		goto out;
	key = peer_key(account, peer);
	if (g_hash_table_contains(flags, key))
		goto out;  /* twice: not a file we wrote */
	g_hash_table_insert(flags, key, GUINT_TO_POINTER((guint)v));
	key = NULL;
	r = ESESS_OK;
out:
	g_free(key);
	g_free(account);
	g_free(peer);
	g_strfreev(tok);
	g_free(text);
	return r;
}

/* Version 3: "K <b64 account> <b64 peer> <b64 modulus> <b64 exponent>
 * <0|1> <first seen>", one line per peer (INTEROP R21). */
static EsessStatus
parse_key(const char *line, size_t len, GHashTable *keys)
{
	char **tok;
	char *account = NULL, *peer = NULL, *key = NULL, *text;
	guint8 *n = NULL, *e = NULL;
	size_t n_len = 0, e_len = 0;
	EsessPubKey *pk = NULL;
	gboolean verified;
	guint64 seen;
	EsessStatus r = ESESS_ERR_STORE_FORMAT;

	text = g_strndup(line, len);
	tok = g_strsplit(text, " ", -1);
	if (g_strv_length(tok) != 7 || strcmp(tok[0], "K") != 0)
		goto out;
	if (decode_text(tok[1], strlen(tok[1]), &account) != ESESS_OK ||
	    decode_text(tok[2], strlen(tok[2]), &peer) != ESESS_OK ||
	    esess_base64_decode(tok[3], strlen(tok[3]), STORE_MAX_KEY, &n, &n_len) != ESESS_OK ||
	    esess_base64_decode(tok[4], strlen(tok[4]), 8, &e, &e_len) != ESESS_OK ||
	    esess_pubkey_new(n, n_len, e, e_len, &pk) != ESESS_OK ||
	    !parse_flag(tok[5], strlen(tok[5]), &verified) ||
	    esess_parse_uint(tok[6], G_MAXINT64, &seen) != ESESS_OK)
		goto out;
	store_norm_in_place(&account);
	store_norm_in_place(&peer);
	key = peer_key(account, peer);
	if (g_hash_table_contains(keys, key))
		goto out;  /* twice: not a file we wrote */
	g_hash_table_insert(keys, key, known_new(pk, verified, (gint64)seen));
	key = NULL;
	r = ESESS_OK;
out:
	esess_pubkey_free(pk);
	g_free(n);
	g_free(e);
	g_free(key);
	g_free(account);
	g_free(peer);
	g_strfreev(tok);
	g_free(text);
	return r;
}

static EsessStatus
parse_file(const char *buf, size_t len, GPtrArray *entries, GHashTable *flags, GHashTable *keys)
{
	GHashTable *counts;
	size_t pos, magic_len = strlen(STORE_MAGIC);
	gboolean v2, v3;
	EsessStatus r = ESESS_OK;

	G_STATIC_ASSERT(sizeof STORE_MAGIC == sizeof STORE_MAGIC_2);
	G_STATIC_ASSERT(sizeof STORE_MAGIC == sizeof STORE_MAGIC_3);
	if (len < magic_len + 1)
		return ESESS_ERR_STORE_FORMAT;
	v3 = memcmp(buf, STORE_MAGIC_3 "\n", magic_len + 1) == 0;
	v2 = v3 || memcmp(buf, STORE_MAGIC_2 "\n", magic_len + 1) == 0;
	if (!v2 && memcmp(buf, STORE_MAGIC "\n", magic_len + 1) != 0)
		return ESESS_ERR_STORE_FORMAT;
	counts = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	pos = magic_len + 1;
	while (pos < len) {
		const char *nl = memchr(buf + pos, '\n', len - pos);
		StoreEntry *e;
		char *key;
		guint cnt;

		if (nl == NULL) {
			r = ESESS_ERR_STORE_FORMAT;  /* truncated last line */
			break;
		}
		if (v2 && buf[pos] == 'F') {
			r = parse_flags(buf + pos, (size_t)(nl - (buf + pos)), flags);
			if (r != ESESS_OK)
				break;
			pos = (size_t)(nl - buf) + 1;
			continue;
		}
		if (v3 && buf[pos] == 'K') {
			r = parse_key(buf + pos, (size_t)(nl - (buf + pos)), keys);
			if (r != ESESS_OK)
				break;
			pos = (size_t)(nl - buf) + 1;
			continue;
		}
		if (g_hash_table_size(flags) > 0 || g_hash_table_size(keys) > 0) {
			r = ESESS_ERR_STORE_FORMAT;  /* a record after F or K: not a file we wrote */
			break;
		}
		r = parse_record(buf + pos, (size_t)(nl - (buf + pos)), &e);
		if (r != ESESS_OK)
			break;
		g_ptr_array_add(entries, e);
		/* more than the limit for one peer: not a file we wrote */
		key = g_strconcat(e->account, "\n", e->peer, NULL);
		cnt = GPOINTER_TO_UINT(g_hash_table_lookup(counts, key)) + 1;
		g_hash_table_replace(counts, key, GUINT_TO_POINTER(cnt));
		if (cnt > ESESS_STORE_MAX_PER_PEER) {
			r = ESESS_ERR_STORE_FORMAT;
			break;
		}
		/* keys are compared normalised (issue 9 item 10); a file
		 * written before that may hold a JID in other case */
		store_norm_in_place(&e->account);
		store_norm_in_place(&e->peer);
		pos = (size_t)(nl - buf) + 1;
	}
	/* we write version 3 only with keys, version 2 only with flags and no
	 * key: anything else is not a file we wrote */
	if (r == ESESS_OK && v3 && g_hash_table_size(keys) == 0)
		r = ESESS_ERR_STORE_FORMAT;
	if (r == ESESS_OK && v2 && !v3 && g_hash_table_size(flags) == 0)
		r = ESESS_ERR_STORE_FORMAT;
	g_hash_table_unref(counts);
	return r;
}

EsessStatus
esess_store_open(const char *path, EsessStore **out)
{
	EsessStore *st = NULL;
	struct stat sb;
	char *buf = NULL;
	size_t len = 0, got = 0;
	int fd = -1;
	EsessStatus r = ESESS_OK;

	g_return_val_if_fail(path != NULL && out != NULL, ESESS_ERR_INVALID_ARG);
	*out = NULL;
	st = g_new0(EsessStore, 1);
	st->path = g_strdup(path);
	st->entries = g_ptr_array_new_with_free_func((GDestroyNotify)entry_free);
	st->flags = flags_new();
	st->keys = keys_new();

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		if (errno == ENOENT)
			goto done;  /* no file yet: an empty store */
		r = ESESS_ERR_STORE_IO;
		goto out;
	}
	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
		r = ESESS_ERR_STORE_IO;
		goto out;
	}
	if (sb.st_size > (off_t)STORE_MAX_FILE) {
		r = ESESS_ERR_STORE_FORMAT;
		goto out;
	}
	/* one buffer, read in place, wiped after: no stray copies */
	len = (size_t)sb.st_size;
	buf = g_malloc(len + 1);
	while (got < len) {
		ssize_t n = read(fd, buf + got, len - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			r = ESESS_ERR_STORE_IO;
			goto out;
		}
		got += (size_t)n;
	}
	r = parse_file(buf, len, st->entries, st->flags, st->keys);
	if (r != ESESS_OK)
		goto out;
done:
	*out = st;
	st = NULL;
out:
	if (fd >= 0)
		close(fd);
	esess_free_wiped(buf, len + 1);
	esess_store_free(st);
	return r;
}

void
esess_store_free(EsessStore *st)
{
	if (st == NULL)
		return;
	g_ptr_array_unref(st->entries);
	g_hash_table_unref(st->flags);
	g_hash_table_unref(st->keys);
	g_free(st->path);
	g_free(st);
}

/* ---- writing ---------------------------------------------------------- */

gboolean
esess_private_file_write(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return FALSE;
		p += w;
		n -= (size_t)w;
	}
	return TRUE;
}

int
esess_private_file_begin(const char *path, char **tmp)
{
	int fd = -1, tries;

	*tmp = NULL;
	for (tries = 0; tries < 8 && fd < 0; tries++) {
		g_free(*tmp);
		*tmp = g_strdup_printf("%s.%08x.tmp", path, g_random_int());
		/* doc/hacking.md: 0600 from creation, never chmod afterwards */
		fd = open(*tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
		if (fd < 0 && errno != EEXIST)
			break;
	}
	if (fd < 0)
		g_clear_pointer(tmp, g_free);
	return fd;
}

EsessStatus
esess_private_file_end(int fd, char **tmp, const char *path, gboolean ok)
{
	char *dir;
	int dfd;
	EsessStatus r = ESESS_ERR_STORE_IO;

	if (fd < 0)
		goto out;
	if (!ok || fsync(fd) != 0) {
		close(fd);
		goto out;
	}
	if (close(fd) != 0)
		goto out;
	if (rename(*tmp, path) != 0)
		goto out;
	g_clear_pointer(tmp, g_free);
	/* make the rename durable; failure here loses nothing */
	dir = g_path_get_dirname(path);
	dfd = open(dir, O_RDONLY | O_CLOEXEC | O_DIRECTORY);
	if (dfd >= 0) {
		(void)fsync(dfd);
		close(dfd);
	}
	g_free(dir);
	r = ESESS_OK;
out:
	if (*tmp != NULL) {
		(void)unlink(*tmp);  /* may not exist: nothing to report */
		g_clear_pointer(tmp, g_free);
	}
	return r;
}

static gboolean
write_entry(int fd, const StoreEntry *e)
{
	GString *line;
	size_t cap;
	gboolean ok;

	/* sized once so the secrets' base64 is never left behind by a realloc */
	cap = 64 + 2 * (strlen(e->account) + strlen(e->peer)) + 2 * e->secret->len;
	if (e->prev != NULL)
		cap += 2 * e->prev->len;
	line = g_string_sized_new(cap);
	g_string_append(line, e->prev != NULL ? "P " : "R ");
	esess_base64_append(line, (const guint8 *)e->account, strlen(e->account));
	g_string_append_c(line, ' ');
	esess_base64_append(line, (const guint8 *)e->peer, strlen(e->peer));
	g_string_append_c(line, ' ');
	esess_base64_append(line, e->secret->data, e->secret->len);
	g_string_append_printf(line, " %c %" G_GINT64_FORMAT, e->verified ? '1' : '0',
			       e->created);
	if (e->prev != NULL) {
		g_string_append_c(line, ' ');
		esess_base64_append(line, e->prev->data, e->prev->len);
		g_string_append_printf(line, " %c", e->prev_verified ? '1' : '0');
	}
	g_string_append_c(line, '\n');
	ok = esess_private_file_write(fd, line->str, line->len);
	esess_wipe(line->str, line->allocated_len);
	g_string_free(line, TRUE);
	return ok;
}

static gboolean
write_flags(int fd, const char *key, guint flags)
{
	const char *nl = strchr(key, '\n');
	GString *line = g_string_new("F ");
	gboolean ok;

	esess_base64_append(line, (const guint8 *)key, (size_t)(nl - key));
	g_string_append_c(line, ' ');
	esess_base64_append(line, (const guint8 *)nl + 1, strlen(nl + 1));
	g_string_append_printf(line, " %u\n", flags);
	ok = esess_private_file_write(fd, line->str, line->len);
	g_string_free(line, TRUE);
	return ok;
}

static gboolean
write_key(int fd, const char *key, const EsessKnownKey *k)
{
	const char *nl = strchr(key, '\n');
	GString *line = g_string_new("K ");
	const guint8 *b;
	size_t len;
	gboolean ok;

	esess_base64_append(line, (const guint8 *)key, (size_t)(nl - key));
	g_string_append_c(line, ' ');
	esess_base64_append(line, (const guint8 *)nl + 1, strlen(nl + 1));
	g_string_append_c(line, ' ');
	b = esess_pubkey_modulus(k->key, &len);
	esess_base64_append(line, b, len);
	g_string_append_c(line, ' ');
	b = esess_pubkey_exponent(k->key, &len);
	esess_base64_append(line, b, len);
	g_string_append_printf(line, " %c %" G_GINT64_FORMAT "\n", k->verified ? '1' : '0',
			       k->first_seen);
	ok = esess_private_file_write(fd, line->str, line->len);
	g_string_free(line, TRUE);
	return ok;
}

/* Writes entries (and the peer flags and keys: version 2 or 3 when there
 * are any) to a fresh 0600 file and renames it over st->path. */
static EsessStatus
persist(const EsessStore *st, const GPtrArray *entries, GHashTable *flags, GHashTable *keys)
{
	const char *magic;
	GList *fkeys = NULL, *keys_l = NULL, *l;
	char *tmp = NULL;
	int fd;
	guint i;
	gboolean ok = FALSE;
	EsessStatus r;

	((EsessStore *)st)->writes++;
	fd = esess_private_file_begin(st->path, &tmp);
	if (fd < 0)
		return ESESS_ERR_STORE_IO;
	magic = g_hash_table_size(keys) > 0    ? STORE_MAGIC_3 "\n"
		: g_hash_table_size(flags) > 0 ? STORE_MAGIC_2 "\n"
					       : STORE_MAGIC "\n";
	if (!esess_private_file_write(fd, magic, strlen(STORE_MAGIC) + 1))
		goto out;
	for (i = 0; i < entries->len; i++)
		if (!write_entry(fd, g_ptr_array_index(entries, i)))
			goto out;
	/* sorted, so the same state always gives the same file */
	fkeys = g_list_sort(g_hash_table_get_keys(flags), (GCompareFunc)strcmp);
	for (l = fkeys; l != NULL; l = l->next) {
		if (!write_flags(fd, l->data, GPOINTER_TO_UINT(g_hash_table_lookup(flags, l->data))))
			goto out;
	}
	keys_l = g_list_sort(g_hash_table_get_keys(keys), (GCompareFunc)strcmp);
	for (l = keys_l; l != NULL; l = l->next) {
		if (!write_key(fd, l->data, g_hash_table_lookup(keys, l->data)))
			goto out;
	}
	ok = TRUE;
out:
	r = esess_private_file_end(fd, &tmp, st->path, ok);
	g_list_free(fkeys);
	g_list_free(keys_l);
	return r;
}

/* Persists proposed (a new array sharing entries with st->entries, plus new
 * ones), the flags new_flags and the keys new_keys (NULL: unchanged), and
 * only then adopts them.  Either way, proposed, new_flags and new_keys are
 * consumed. */
static EsessStatus
apply_all(EsessStore *st, GPtrArray *proposed, GHashTable *new_flags, GHashTable *new_keys)
{
	GHashTable *keep;
	GPtrArray *drop, *old;
	guint i;
	EsessStatus r;

	r = persist(st, proposed, new_flags != NULL ? new_flags : st->flags,
		    new_keys != NULL ? new_keys : st->keys);
	if (new_keys != NULL) {
		if (r == ESESS_OK) {
			g_hash_table_unref(st->keys);
			st->keys = new_keys;
		} else {
			g_hash_table_unref(new_keys);
		}
	}
	if (new_flags != NULL) {
		if (r == ESESS_OK) {
			g_hash_table_unref(st->flags);
			st->flags = new_flags;
		} else {
			g_hash_table_unref(new_flags);
		}
	}
	keep = g_hash_table_new(g_direct_hash, g_direct_equal);
	drop = g_ptr_array_new_with_free_func((GDestroyNotify)entry_free);
	if (r == ESESS_OK) {
		old = st->entries;
		for (i = 0; i < proposed->len; i++)
			g_hash_table_add(keep, g_ptr_array_index(proposed, i));
		for (i = 0; i < old->len; i++)
			if (!g_hash_table_contains(keep, g_ptr_array_index(old, i)))
				g_ptr_array_add(drop, g_ptr_array_index(old, i));
		g_ptr_array_set_free_func(old, NULL);
		g_ptr_array_unref(old);
		g_ptr_array_set_free_func(proposed, (GDestroyNotify)entry_free);
		st->entries = proposed;
	} else {
		/* storage errors never lose the old secret: drop only the new */
		for (i = 0; i < st->entries->len; i++)
			g_hash_table_add(keep, g_ptr_array_index(st->entries, i));
		for (i = 0; i < proposed->len; i++)
			if (!g_hash_table_contains(keep, g_ptr_array_index(proposed, i)))
				g_ptr_array_add(drop, g_ptr_array_index(proposed, i));
		g_ptr_array_unref(proposed);
	}
	g_ptr_array_unref(drop);
	g_hash_table_unref(keep);
	return r;
}

static EsessStatus
apply(EsessStore *st, GPtrArray *proposed)
{
	return apply_all(st, proposed, NULL, NULL);
}

/* A copy of the entry list (shared entries, no free func). */
static GPtrArray *
propose(const EsessStore *st)
{
	GPtrArray *p = g_ptr_array_sized_new(st->entries->len + 1);
	guint i;

	for (i = 0; i < st->entries->len; i++)
		g_ptr_array_add(p, g_ptr_array_index(st->entries, i));
	return p;
}

/* The entry of (account, peer) holding s, as its newest secret (*is_prev
 * FALSE) or as the previous one of a pending chain (*is_prev TRUE); -1. */
static gint
find(const GPtrArray *entries, const char *account, const char *peer, const EsessSecret *s,
     gboolean *is_prev)
{
	guint i;

	for (i = 0; i < entries->len; i++) {
		const StoreEntry *e = g_ptr_array_index(entries, i);

		if (!entry_is(e, account, peer))
			continue;
		if (secret_eq(e->secret, s)) {
			*is_prev = FALSE;
			return (gint)i;
		}
		if (e->prev != NULL && secret_eq(e->prev, s)) {
			*is_prev = TRUE;
			return (gint)i;
		}
	}
	return -1;
}

static void
list_add(GPtrArray *out, const EsessSecret *s, gboolean verified, gint64 created)
{
	EsessRetained *rt = g_new0(EsessRetained, 1);

	rt->secret = esess_secret_dup(s);
	rt->verified = verified;
	rt->created = created;
	g_ptr_array_add(out, rt);
}

GPtrArray *
esess_store_list(EsessStore *st, const char *account_in, const char *peer_in)
{
	g_autofree char *account = NULL;
	g_autofree char *peer = NULL;
	GPtrArray *out = g_ptr_array_new_with_free_func(retained_free);
	guint i;

	g_return_val_if_fail(st != NULL && account_in != NULL && peer_in != NULL, out);
	account = esess_jid_bare(account_in);
	peer = esess_jid_bare(peer_in);
	for (i = st->entries->len; i > 0; i--) {
		const StoreEntry *e = g_ptr_array_index(st->entries, i - 1);

		if (!entry_is(e, account, peer))
			continue;
		/* a pending chain offers both secrets: the peer's next rshashes
		 * or srshash shows which one it holds (SECURITY 67) */
		list_add(out, e->secret, e->verified, e->created);
		if (e->prev != NULL)
			list_add(out, e->prev, e->prev_verified, e->created);
	}
	return out;
}

/* Number of secrets (not chains) held for the peer: INTEROP R9's bound. */
static guint
count_secrets(const GPtrArray *p, const char *account, const char *peer)
{
	guint i, count = 0;

	for (i = 0; i < p->len; i++) {
		const StoreEntry *e = g_ptr_array_index(p, i);

		if (entry_is(e, account, peer))
			count += e->prev != NULL ? 2 : 1;
	}
	return count;
}

EsessStatus
esess_store_commit(EsessStore *st, const char *account_in, const char *peer_in,
		   const EsessSecret *used_srs, const EsessSecret *new_rs, gboolean pending,
		   gboolean *verified)
{
	return esess_store_commit_full(st, account_in, peer_in, used_srs, new_rs, pending, 0,
				       NULL, verified);
}

EsessStatus
esess_store_commit_full(EsessStore *st, const char *account_in, const char *peer_in,
			const EsessSecret *used_srs, const EsessSecret *new_rs, gboolean pending,
			guint add_flags, const EsessPubKey *first_key, gboolean *verified)
{
	GHashTable *new_flags = NULL, *new_keys = NULL;
	g_autofree char *account = NULL;
	g_autofree char *peer = NULL;
	GPtrArray *p;
	StoreEntry *ne;
	gboolean inherit = FALSE, held = FALSE, is_prev;
	guint i;
	gint at;
	EsessStatus r;

	g_return_val_if_fail(st != NULL && account_in != NULL && peer_in != NULL && new_rs != NULL,
			     ESESS_ERR_INVALID_ARG);
	account = esess_jid_bare(account_in);
	peer = esess_jid_bare(peer_in);
	if (verified != NULL)
		*verified = FALSE;
	if (new_rs->len == 0 || new_rs->len > STORE_MAX_SECRET)
		return ESESS_ERR_INVALID_ARG;
	p = propose(st);
	/* INTEROP R9: the new secret replaces the one used and inherits its
	 * flag; with none shared it goes beside the others, unverified.  The
	 * used secret proved which one the peer holds: the other secret of a
	 * pending chain goes with it (SECURITY 67). */
	if (used_srs != NULL) {
		at = find(p, account, peer, used_srs, &is_prev);
		if (at >= 0) {
			const StoreEntry *old = g_ptr_array_index(p, at);

			inherit = is_prev ? old->prev_verified : old->verified;
			held = TRUE;
			g_ptr_array_remove_index(p, (guint)at);
		}
	}
	/* the same secret twice would be one chain counted twice */
	at = find(p, account, peer, new_rs, &is_prev);
	if (at >= 0) {
		const StoreEntry *old = g_ptr_array_index(p, at);

		inherit = inherit || (is_prev ? old->prev_verified : old->verified);
		g_ptr_array_remove_index(p, (guint)at);
	}
	ne = entry_new(account, peer, new_rs, inherit, g_get_real_time());
	/* SECURITY 67: the peer stores new_rs only when our message 4 arrives;
	 * until it shows it has, keep the secret it may still hold */
	if (pending && held) {
		ne->prev = esess_secret_dup(used_srs);
		ne->prev_verified = inherit;
	}
	g_ptr_array_add(p, ne);
	/* at most ESESS_STORE_MAX_PER_PEER secrets: the oldest unverified
	 * chain first, else the oldest; never the one just stored */
	while (count_secrets(p, account, peer) > ESESS_STORE_MAX_PER_PEER) {
		gint victim = -1;

		for (i = 0; i + 1 < p->len; i++) {
			const StoreEntry *e = g_ptr_array_index(p, i);

			if (!entry_is(e, account, peer))
				continue;
			if (!e->verified) {
				victim = (gint)i;
				break;
			}
			if (victim < 0)
				victim = (gint)i;
		}
		if (victim < 0)
			break;  /* only the new chain is left (it holds at most 2) */
		g_ptr_array_remove_index(p, (guint)victim);
	}
	/* the peer's flags and first key in the same file (one fsync'd
	 * write per negotiation, not one per change); keyed as
	 * esess_store_add_peer_flags and esess_store_key_set key them */
	if (add_flags != 0) {
		guint now = esess_store_peer_flags(st, account_in, peer_in);

		if ((now | add_flags) != now) {
			new_flags = flags_copy(st->flags);
			g_hash_table_insert(new_flags, peer_key(account_in, peer_in),
					    GUINT_TO_POINTER(now | add_flags));
		}
	}
	if (first_key != NULL) {
		char *key = peer_key(account_in, peer_in);

		if (!g_hash_table_contains(st->keys, key)) {
			new_keys = keys_copy(st->keys);
			g_hash_table_insert(new_keys, key,
					    known_new(first_key, FALSE, g_get_real_time()));
			key = NULL;
		}
		g_free(key);
	}
	r = apply_all(st, p, new_flags, new_keys);
	if (r == ESESS_OK && verified != NULL)
		*verified = inherit;
	return r;
}

EsessStatus
esess_store_set_verified(EsessStore *st, const char *account_in, const char *peer_in,
			 const EsessSecret *rs, gboolean verified)
{
	g_autofree char *account = NULL;
	g_autofree char *peer = NULL;
	StoreEntry *old, *ne;
	GPtrArray *p;
	gboolean is_prev;
	gint at;

	g_return_val_if_fail(st != NULL && account_in != NULL && peer_in != NULL && rs != NULL,
			     ESESS_ERR_INVALID_ARG);
	account = esess_jid_bare(account_in);
	peer = esess_jid_bare(peer_in);
	at = find(st->entries, account, peer, rs, &is_prev);
	if (at < 0)
		return ESESS_ERR_INVALID_ARG;
	old = g_ptr_array_index(st->entries, at);
	if ((is_prev ? old->prev_verified : old->verified) == verified)
		return ESESS_OK;
	p = propose(st);
	/* a modified copy in the same place, so a failed write changes nothing */
	ne = entry_copy(old);
	if (is_prev)
		ne->prev_verified = verified;
	else
		ne->verified = verified;
	g_ptr_array_index(p, at) = ne;
	return apply(st, p);
}

EsessStatus
esess_store_remove(EsessStore *st, const char *account_in, const char *peer_in,
		   const EsessSecret *rs)
{
	g_autofree char *account = NULL;
	g_autofree char *peer = NULL;
	GPtrArray *p;
	StoreEntry *old, *ne;
	gboolean is_prev;
	gint at;

	g_return_val_if_fail(st != NULL && account_in != NULL && peer_in != NULL && rs != NULL,
			     ESESS_ERR_INVALID_ARG);
	account = esess_jid_bare(account_in);
	peer = esess_jid_bare(peer_in);
	at = find(st->entries, account, peer, rs, &is_prev);
	if (at < 0)
		return ESESS_OK;
	old = g_ptr_array_index(st->entries, at);
	p = propose(st);
	if (old->prev == NULL) {
		g_ptr_array_remove_index(p, (guint)at);
	} else if (is_prev) {
		/* only the new secret is left: a chain of its own */
		ne = entry_copy(old);
		esess_secret_free(ne->prev);
		ne->prev = NULL;
		ne->prev_verified = FALSE;
		g_ptr_array_index(p, at) = ne;
	} else {
		/* the new secret goes; the chain is back where it was before
		 * the session that made it */
		ne = entry_new(old->account, old->peer, old->prev, old->prev_verified,
			       old->created);
		g_ptr_array_index(p, at) = ne;
	}
	return apply(st, p);
}

EsessStatus
esess_store_forget_peer(EsessStore *st, const char *account_in, const char *peer_in)
{
	g_autofree char *account = NULL;
	g_autofree char *peer = NULL;
	GPtrArray *p;
	GHashTable *flags, *keys = NULL;
	char *key;
	gboolean had_flags, had_key;
	guint i;

	g_return_val_if_fail(st != NULL && account_in != NULL && peer_in != NULL,
			     ESESS_ERR_INVALID_ARG);
	account = esess_jid_bare(account_in);
	peer = esess_jid_bare(peer_in);
	p = g_ptr_array_sized_new(st->entries->len);
	for (i = 0; i < st->entries->len; i++)
		if (!entry_is(g_ptr_array_index(st->entries, i), account, peer))
			g_ptr_array_add(p, g_ptr_array_index(st->entries, i));
	/* the user's reset forgets the peer's flags too (a contact who moved
	 * to another program must not raise the R23 alarm for ever), in the
	 * same write as the secrets */
	key = peer_key(account, peer);
	had_flags = g_hash_table_contains(st->flags, key);
	flags = NULL;
	if (had_flags) {
		flags = flags_copy(st->flags);
		g_hash_table_remove(flags, key);
	}
	/* and the contact's key: the next one seen is new, unverified */
	had_key = g_hash_table_contains(st->keys, key);
	if (had_key) {
		keys = keys_copy(st->keys);
		g_hash_table_remove(keys, key);
	}
	g_free(key);
	if (p->len == st->entries->len && !had_flags && !had_key) {
		g_ptr_array_unref(p);
		return ESESS_OK;
	}
	return apply_all(st, p, flags, keys);
}

/* ---- per-peer flags (INTEROP R23) ------------------------------------ */

/* Persists the peer's flags set to exactly `flags` (0: none), then adopts
 * them; a failed write changes nothing. */
static EsessStatus
set_flags(EsessStore *st, const char *account, const char *peer, guint flags)
{
	GHashTable *proposed;
	char *key;
	EsessStatus r;

	key = peer_key(account, peer);
	if (GPOINTER_TO_UINT(g_hash_table_lookup(st->flags, key)) == flags) {
		g_free(key);
		return ESESS_OK;
	}
	proposed = flags_copy(st->flags);
	if (flags == 0)
		g_hash_table_remove(proposed, key);
	else
		g_hash_table_insert(proposed, g_strdup(key), GUINT_TO_POINTER(flags));
	g_free(key);
	r = persist(st, st->entries, proposed, st->keys);
	if (r == ESESS_OK) {
		g_hash_table_unref(st->flags);
		st->flags = proposed;
	} else {
		g_hash_table_unref(proposed);
	}
	return r;
}

guint
esess_store_writes(const EsessStore *st)
{
	return st->writes;
}

guint
esess_store_peer_flags(EsessStore *st, const char *account, const char *peer)
{
	char *key;
	guint v;

	g_return_val_if_fail(st != NULL && account != NULL && peer != NULL, 0);
	key = peer_key(account, peer);
	v = GPOINTER_TO_UINT(g_hash_table_lookup(st->flags, key));
	g_free(key);
	return v;
}

gboolean
esess_store_has_peer(EsessStore *st, const char *account_in, const char *peer_in)
{
	g_autofree char *account = NULL;
	g_autofree char *peer = NULL;
	g_autofree char *key = NULL;
	guint i;

	g_return_val_if_fail(st != NULL && account_in != NULL && peer_in != NULL, FALSE);
	account = esess_jid_bare(account_in);
	peer = esess_jid_bare(peer_in);
	for (i = 0; i < st->entries->len; i++)
		if (entry_is(g_ptr_array_index(st->entries, i), account, peer))
			return TRUE;
	key = peer_key(account, peer);
	return g_hash_table_contains(st->flags, key) || g_hash_table_contains(st->keys, key);
}

EsessStatus
esess_store_add_peer_flags(EsessStore *st, const char *account, const char *peer, guint flags)
{
	g_return_val_if_fail(st != NULL && account != NULL && peer != NULL,
			     ESESS_ERR_INVALID_ARG);
	if ((flags & ~(guint)ESESS_PEER_ALL) != 0 || flags == 0)
		return ESESS_ERR_INVALID_ARG;
	return set_flags(st, account, peer, esess_store_peer_flags(st, account, peer) | flags);
}

/* ---- contacts' public keys (INTEROP R21) ------------------------------ */

EsessKnownKey *
esess_store_key_get(EsessStore *st, const char *account, const char *peer)
{
	const EsessKnownKey *k;
	char *key;

	g_return_val_if_fail(st != NULL && account != NULL && peer != NULL, NULL);
	key = peer_key(account, peer);
	k = g_hash_table_lookup(st->keys, key);
	g_free(key);
	return k != NULL ? known_new(k->key, k->verified, k->first_seen) : NULL;
}

/* Persists the peer's key set to k (NULL: none; consumed), then adopts it;
 * a failed write changes nothing. */
static EsessStatus
set_key(EsessStore *st, const char *account, const char *peer, EsessKnownKey *k)
{
	GHashTable *proposed = keys_copy(st->keys);
	char *key = peer_key(account, peer);

	if (k == NULL)
		g_hash_table_remove(proposed, key);
	else
		g_hash_table_insert(proposed, g_strdup(key), k);
	g_free(key);
	return apply_all(st, propose(st), NULL, proposed);
}

EsessStatus
esess_store_key_set(EsessStore *st, const char *account, const char *peer,
		    const EsessPubKey *pk, gboolean verified)
{
	const EsessKnownKey *old;
	char *key;
	gint64 seen;

	g_return_val_if_fail(st != NULL && account != NULL && peer != NULL,
			     ESESS_ERR_INVALID_ARG);
	if (pk == NULL)
		return ESESS_ERR_INVALID_ARG;
	key = peer_key(account, peer);
	old = g_hash_table_lookup(st->keys, key);
	g_free(key);
	/* the same key keeps the day it was first seen */
	seen = old != NULL && esess_pubkey_equal(old->key, pk) ? old->first_seen
							       : g_get_real_time();
	if (old != NULL && esess_pubkey_equal(old->key, pk) && old->verified == verified)
		return ESESS_OK;
	return set_key(st, account, peer, known_new(pk, verified, seen));
}

EsessStatus
esess_store_key_set_verified(EsessStore *st, const char *account, const char *peer,
			     const EsessPubKey *pk, gboolean verified)
{
	const EsessKnownKey *old;
	char *key;

	g_return_val_if_fail(st != NULL && account != NULL && peer != NULL,
			     ESESS_ERR_INVALID_ARG);
	key = peer_key(account, peer);
	old = g_hash_table_lookup(st->keys, key);
	g_free(key);
	/* a verification is of one key: it never carries over to another */
	if (old == NULL || pk == NULL || !esess_pubkey_equal(old->key, pk))
		return ESESS_ERR_INVALID_ARG;
	if (old->verified == verified)
		return ESESS_OK;
	return set_key(st, account, peer, known_new(old->key, verified, old->first_seen));
}

EsessStatus
esess_store_key_forget(EsessStore *st, const char *account, const char *peer)
{
	char *key;
	gboolean had;

	g_return_val_if_fail(st != NULL && account != NULL && peer != NULL,
			     ESESS_ERR_INVALID_ARG);
	key = peer_key(account, peer);
	had = g_hash_table_contains(st->keys, key);
	g_free(key);
	return had ? set_key(st, account, peer, NULL) : ESESS_OK;
}

char **
esess_store_key_peers(EsessStore *st, const char *account_in, const EsessPubKey *pk)
{
	g_autofree char *account = NULL;
	GPtrArray *out = g_ptr_array_new();
	GList *keys, *l;
	size_t alen;

	g_return_val_if_fail(st != NULL && account_in != NULL && pk != NULL,
			     (char **)g_ptr_array_free(out, FALSE));
	account = esess_jid_bare(account_in);
	alen = strlen(account);
	keys = g_list_sort(g_hash_table_get_keys(st->keys), (GCompareFunc)strcmp);
	for (l = keys; l != NULL; l = l->next) {
		const char *key = l->data;
		const EsessKnownKey *k = g_hash_table_lookup(st->keys, key);

		if (strncmp(key, account, alen) == 0 && key[alen] == '\n' &&
		    esess_pubkey_equal(k->key, pk))
			g_ptr_array_add(out, g_strdup(key + alen + 1));
	}
	g_list_free(keys);
	g_ptr_array_add(out, NULL);
	return (char **)g_ptr_array_free(out, FALSE);
}
