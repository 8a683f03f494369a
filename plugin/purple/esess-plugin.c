/*
 * esess-plugin.c - the libpurple plugin: registration, load and unload.
 *
 * The plugin only translates between libpurple and the engine (plugin/core);
 * protocol decisions live in the engine.  It exports one symbol,
 * purple_init_plugin.
 */
#include "config.h"

#include <glib.h>
#include <purple.h>

#include "esess-i18n.h"

#define ESESS_PLUGIN_ID "core-esessions"

static gboolean
plugin_load(PurplePlugin *plugin)
{
	purple_debug_info("esessions", "loaded\n");
	return TRUE;
}

static gboolean
plugin_unload(PurplePlugin *plugin)
{
	purple_debug_info("esessions", "unloaded\n");
	return TRUE;
}

static PurplePluginInfo info = {
	PURPLE_PLUGIN_MAGIC,
	PURPLE_MAJOR_VERSION,
	PURPLE_MINOR_VERSION,
	PURPLE_PLUGIN_STANDARD,
	NULL,
	0,
	NULL,
	PURPLE_PRIORITY_DEFAULT,
	ESESS_PLUGIN_ID,
	NULL, /* name, set in init_plugin (translated) */
	PACKAGE_VERSION,
	NULL,
	NULL,
	"purple-esessions",
	"",
	plugin_load,
	plugin_unload,
	NULL,
	NULL,
	NULL,
	NULL,
	NULL,
	NULL,
	NULL,
	NULL,
	NULL
};

static void
init_plugin(PurplePlugin *plugin)
{
#ifdef ENABLE_NLS
	bindtextdomain(GETTEXT_PACKAGE, LOCALEDIR);
	bind_textdomain_codeset(GETTEXT_PACKAGE, "UTF-8");
#endif
	info.name = _("Encrypted Sessions (XMPP)");
	info.summary = _("End-to-end encrypted XMPP chats (XEP-0116 ESessions)");
	info.description = _("Encrypts one-to-one XMPP chats end to end with "
	    "XEP-0116 encrypted sessions and XEP-0200 stanza encryption. "
	    "Verify a contact once by comparing a five-character short "
	    "authentication string.");
}

PURPLE_INIT_PLUGIN(esessions, init_plugin, info)
