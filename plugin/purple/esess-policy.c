/*
 * esess-policy.c - the user's choices: when to use encrypted sessions (per
 * account, overridden per contact on the buddy node), the minimum DH group
 * (INTEROP R11) and the archiving preference (XEP-0136's six choices, in
 * plain words).  Global defaults are plugin prefs.
 */
#include "config.h"

#include <string.h>

#include "esess-i18n.h"
#include "esess-purple.h"

#define PREF_POLICY ESESS_PREFS_ROOT "/policy"
#define PREF_MIN_BITS ESESS_PREFS_ROOT "/min_modp_bits"
#define PREF_LOGGING ESESS_PREFS_ROOT "/logging"

void
esess_policy_init_prefs(void)
{
	purple_prefs_add_none("/plugins/core");
	purple_prefs_add_none(ESESS_PREFS_ROOT);
	purple_prefs_add_string(PREF_POLICY, "opportunistic");
	purple_prefs_add_int(PREF_MIN_BITS, 2048);  /* INTEROP R11 */
	purple_prefs_add_string(PREF_LOGGING, "prefer");
	/* issue 13: off until the user asks for a server copy */
	purple_prefs_add_bool(ESESS_PREFS_ARCHIVE_SERVER, FALSE);
	purple_prefs_add_int(ESESS_PREFS_ARCHIVE_SERVER_MAX, ESESS_ARCHIVE_SERVER_MAX);
	purple_prefs_add_int(ESESS_PREFS_ARCHIVE_FETCH_ITEMS, ESESS_ARCHIVE_FETCH_ITEMS);
	purple_prefs_add_int(ESESS_PREFS_ARCHIVE_FETCH_BYTES, ESESS_ARCHIVE_FETCH_BYTES);
	/* hidden (no UI): seconds the published offline options stay valid,
	 * esess-offline-purple.c */
	purple_prefs_add_int(ESESS_PREFS_OFFLINE_LIFETIME, ESESS_OFFLINE_LIFETIME);
	purple_prefs_add_int(ESESS_PREFS_IDKEY_LIFETIME, ESESS_IDKEY_LIFETIME);
	purple_prefs_add_int(ESESS_PREFS_KEY_WAIT, ESESS_KEY_WAIT);
}

const char *
esess_policy_to_string(EsessPolicy p)
{
	switch (p) {
	case ESESS_POLICY_NEVER:
		return "never";
	case ESESS_POLICY_ON_REQUEST:
		return "on-request";
	case ESESS_POLICY_OPPORTUNISTIC:
		return "opportunistic";
	case ESESS_POLICY_REQUIRED:
		return "required";
	}
	return "on-request";
}

gboolean
esess_policy_from_string(const char *s, EsessPolicy *out)
{
	static const EsessPolicy all[] = {
		ESESS_POLICY_NEVER, ESESS_POLICY_ON_REQUEST,
		ESESS_POLICY_OPPORTUNISTIC, ESESS_POLICY_REQUIRED
	};
	gsize i;

	for (i = 0; s != NULL && i < G_N_ELEMENTS(all); i++) {
		if (strcmp(s, esess_policy_to_string(all[i])) == 0) {
			*out = all[i];
			return TRUE;
		}
	}
	return FALSE;
}

const char *
esess_policy_label(EsessPolicy p)
{
	switch (p) {
	case ESESS_POLICY_NEVER:
		return _("Never encrypt");
	case ESESS_POLICY_ON_REQUEST:
		return _("Encrypt when asked (ask me first)");
	case ESESS_POLICY_OPPORTUNISTIC:
		return _("Encrypt whenever the contact supports it");
	case ESESS_POLICY_REQUIRED:
		return _("Always encrypt (send nothing unencrypted)");
	}
	return "";
}

/* Contact override, then account setting, then the global pref. */
EsessPolicy
esess_policy_get(PurpleAccount *account, const char *peer)
{
	EsessPolicy p;
	PurpleBuddy *buddy = NULL;
	char *bare = esess_bare_jid(peer);

	if (bare != NULL)
		buddy = purple_find_buddy(account, bare);
	g_free(bare);
	if (buddy != NULL &&
	    esess_policy_from_string(purple_blist_node_get_string(
		(PurpleBlistNode *)buddy, ESESS_SETTING_POLICY), &p))
		return p;
	if (esess_policy_from_string(purple_account_get_string(account,
					ESESS_SETTING_POLICY, NULL), &p))
		return p;
	if (esess_policy_from_string(purple_prefs_get_string(PREF_POLICY), &p))
		return p;
	return ESESS_POLICY_ON_REQUEST;
}

void
esess_policy_set_contact(PurpleAccount *account, const char *peer, const char *value)
{
	PurpleBuddy *buddy = purple_find_buddy(account, peer);

	if (buddy == NULL)
		return;
	if (value == NULL || *value == '\0')
		purple_blist_node_remove_setting((PurpleBlistNode *)buddy, ESESS_SETTING_POLICY);
	else
		purple_blist_node_set_string((PurpleBlistNode *)buddy, ESESS_SETTING_POLICY, value);
}

guint
esess_policy_min_modp_bits(PurpleAccount *account)
{
	/* NULL: the key pool fills for the default before any account exists
	 * (a first start); libpurple reports a NULL account as a critical */
	int bits = account != NULL ?
		purple_account_get_int(account, "esessions-min-modp-bits", 0) : 0;

	if (bits <= 0)
		bits = purple_prefs_get_int(PREF_MIN_BITS);
	/* never below the profile's floor, whatever the prefs file says (R11) */
	if (bits < 2048)
		bits = 2048;
	return (guint)bits;
}

static guint
group_bits(guint group)
{
	switch (group) {
	case 14:
		return 2048;
	case 15:
		return 3072;
	case 16:
		return 4096;
	case 17:
		return 6144;
	case 18:
		return 8192;
	default:
		return 0;
	}
}

const guint *
esess_policy_groups(PurpleAccount *account, gsize *n)
{
	/* INTEROP R12's order, then the larger ones for a raised minimum */
	static const guint order[] = { 15, 14, 16, 17, 18 };
	static guint out[G_N_ELEMENTS(order)];
	guint min = esess_policy_min_modp_bits(account);
	gsize i;

	*n = 0;
	for (i = 0; i < G_N_ELEMENTS(order); i++) {
		/* 6144 and 8192 only when the minimum asks for them: each costs
		 * a slow exponentiation (SECURITY 58) */
		if (group_bits(order[i]) >= min && (order[i] <= 16 || min > 4096))
			out[(*n)++] = order[i];
	}
	return out;
}

const char *
esess_logpref_to_string(EsessLogPref p)
{
	switch (p) {
	case ESESS_LOGPREF_REQUIRE:
		return "require";
	case ESESS_LOGPREF_PREFER:
		return "prefer";
	case ESESS_LOGPREF_APPROVE:
		return "approve";
	case ESESS_LOGPREF_CONCEDE:
		return "concede";
	case ESESS_LOGPREF_OPPOSE:
		return "oppose";
	case ESESS_LOGPREF_FORBID:
		return "forbid";
	}
	return "prefer";
}

gboolean
esess_logpref_from_string(const char *s, EsessLogPref *out)
{
	static const EsessLogPref all[] = {
		ESESS_LOGPREF_REQUIRE, ESESS_LOGPREF_PREFER, ESESS_LOGPREF_APPROVE,
		ESESS_LOGPREF_CONCEDE, ESESS_LOGPREF_OPPOSE, ESESS_LOGPREF_FORBID
	};
	gsize i;

	for (i = 0; s != NULL && i < G_N_ELEMENTS(all); i++) {
		if (strcmp(s, esess_logpref_to_string(all[i])) == 0) {
			*out = all[i];
			return TRUE;
		}
	}
	return FALSE;
}

const char *
esess_logpref_label(EsessLogPref p)
{
	switch (p) {
	case ESESS_LOGPREF_REQUIRE:
		return _("Never keep a record of encrypted chats (refuse otherwise)");
	case ESESS_LOGPREF_PREFER:
		return _("Prefer that nobody keeps a record");
	case ESESS_LOGPREF_APPROVE:
		return _("No record, but accept one if the contact insists");
	case ESESS_LOGPREF_CONCEDE:
		return _("Records allowed, but none if the contact asks");
	case ESESS_LOGPREF_OPPOSE:
		return _("Prefer to keep records");
	case ESESS_LOGPREF_FORBID:
		return _("Always keep records (refuse otherwise)");
	}
	return "";
}

EsessLogPref
esess_policy_logging(PurpleAccount *account)
{
	EsessLogPref p;

	if (esess_logpref_from_string(purple_account_get_string(account,
					ESESS_SETTING_LOGGING, NULL), &p))
		return p;
	if (esess_logpref_from_string(purple_prefs_get_string(PREF_LOGGING), &p))
		return p;
	return ESESS_LOGPREF_PREFER;
}

/* ---- contacts with whom a session existed --------------------------- */

/* THE RULE (issue 9 item 2, issue 10; SECURITY 65, 68): once an encrypted
 * session existed with a contact, nothing the user types goes out in the
 * clear until the user chooses.  While the plugin runs, the entry in the
 * peers table (esess-peers.c) carries this: it stays, ended or failed,
 * through sign-off, connection loss, server restart, the peer going
 * offline, a failed, declined, timed-out or replaced negotiation and a MAC
 * failure.  Across a plugin reload or a restart of the program it is this
 * list, kept per account in the account's settings (accounts.xml).
 * The user chooses by: /esession end (or the "end" IPC), which forgets
 * both; /esession start, a new session; setting the contact's policy to
 * "Never encrypt".  Nothing else clears it. */
#define PINNED_SETTING "esessions-pinned"
/* a bound on the setting's size; past it the oldest contact is forgotten */
#define PINNED_MAX 1000

static char **
pinned_list(PurpleAccount *account)
{
	const char *s = purple_account_get_string(account, PINNED_SETTING, NULL);

	return g_strsplit(s != NULL ? s : "", " ", -1);
}

gboolean
esess_policy_pinned(PurpleAccount *account, const char *peer)
{
	char *bare = esess_bare_jid(peer);
	char **list;
	gboolean found = FALSE;
	guint i;

	if (account == NULL || bare == NULL || *bare == '\0') {
		g_free(bare);
		return FALSE;
	}
	list = pinned_list(account);
	for (i = 0; list[i] != NULL && !found; i++)
		found = esess_jid_equal(list[i], bare);
	g_strfreev(list);
	g_free(bare);
	return found;
}

void
esess_policy_pin(PurpleAccount *account, const char *peer, gboolean on)
{
	char *bare = esess_bare_jid(peer);
	char **list, *joined;
	GPtrArray *out;
	guint i, n;

	/* a JID holds no space; anything odd is not stored */
	if (account == NULL || bare == NULL || *bare == '\0' || strchr(bare, ' ') != NULL) {
		g_free(bare);
		return;
	}
	if (on == esess_policy_pinned(account, bare)) {
		g_free(bare);
		return;
	}
	list = pinned_list(account);
	n = g_strv_length(list);
	out = g_ptr_array_new();
	for (i = (on && n >= PINNED_MAX) ? n - PINNED_MAX + 1 : 0; i < n; i++)
		if (*list[i] != '\0' && !esess_jid_equal(list[i], bare))
			g_ptr_array_add(out, list[i]);
	if (on)
		g_ptr_array_add(out, bare);
	g_ptr_array_add(out, NULL);
	joined = g_strjoinv(" ", (char **)out->pdata);
	purple_account_set_string(account, PINNED_SETTING, joined);
	g_free(joined);
	g_ptr_array_free(out, TRUE);
	g_strfreev(list);
	g_free(bare);
}
