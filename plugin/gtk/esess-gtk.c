/*
 * esess-gtk.c - Pidgin-only extras: a button in each XMPP conversation's
 * toolbar that shows the session state (icon + short label) and offers
 * start / end / verify / details in its menu.
 *
 * This plugin holds no protocol logic and no secrets.  It talks to the core
 * plugin ("core-esessions") only through its signal and IPC, so Finch and
 * headless libpurple users never load GTK:
 *
 *   core-esessions --"esessions-state-changed"(conv, state)--> update button
 *   button menu    --ipc "start"/"end"/"verify"(conv)-------> core-esessions
 *   button menu    --ipc "get-details"(conv) -> gchar*------> notify dialog
 *   new toolbar    --ipc "get-state"(conv) -> int-----------> initial icon
 *
 * Each state change is also written to the debug log as
 * "toolbar state=<name>" so that the UI tests can assert it without
 * looking at pixels.
 */
#include "config.h"

#include <string.h>

#include <glib.h>
#include <gtk/gtk.h>
#include <purple.h>

#include <gtkconv.h>
#include <gtkplugin.h>

#include "esess-i18n.h"

#define ESESS_GTK_PLUGIN_ID "gtk-esessions"
#define ESESS_CORE_PLUGIN_ID "core-esessions"
#define ESESS_GTK_DEBUG "gtk-esessions"
/* key of the per-conversation button in purple_conversation_get_data */
#define ESESS_GTK_BUTTON_KEY "gtk-esessions-button"
#define ESESS_GTK_ICON_SIZE 16

/* The states of the core plugin's "esessions-state-changed" contract. */
typedef enum {
	ESESS_GTK_NOT_PRIVATE = 0,
	ESESS_GTK_NEGOTIATING = 1,
	ESESS_GTK_UNVERIFIED = 2,
	ESESS_GTK_VERIFIED = 3,
	ESESS_GTK_ENDED = 4
} EsessGtkState;

/* The widgets of one conversation's toolbar button. */
typedef struct {
	GtkWidget *button;
	GtkWidget *image;
	GtkWidget *label;
	PurpleConversation *conv;
	EsessGtkState state;
	GdkRectangle logged;	/* last position written to the debug log */
} EsessGtkButton;

static PurplePlugin *esess_gtk_self;
static PurplePlugin *esess_gtk_core;

static EsessGtkState
esess_gtk_state_from_int(gint state)
{
	switch (state) {
	case ESESS_GTK_NEGOTIATING:
		return ESESS_GTK_NEGOTIATING;
	case ESESS_GTK_UNVERIFIED:
		return ESESS_GTK_UNVERIFIED;
	case ESESS_GTK_VERIFIED:
		return ESESS_GTK_VERIFIED;
	case ESESS_GTK_ENDED:
		return ESESS_GTK_ENDED;
	default:
		/* an unknown value never shows as private */
		return ESESS_GTK_NOT_PRIVATE;
	}
}

/* Machine-readable name for the debug log; never translated. */
static const char *
esess_gtk_state_name(EsessGtkState state)
{
	switch (state) {
	case ESESS_GTK_NOT_PRIVATE:
		return "not-private";
	case ESESS_GTK_NEGOTIATING:
		return "negotiating";
	case ESESS_GTK_UNVERIFIED:
		return "private-unverified";
	case ESESS_GTK_VERIFIED:
		return "private-verified";
	case ESESS_GTK_ENDED:
		return "ended";
	}
	return "not-private";
}

/* The short label next to the icon (translated). */
static const char *
esess_gtk_state_label(EsessGtkState state)
{
	switch (state) {
	case ESESS_GTK_NOT_PRIVATE:
		return _("Not private");
	case ESESS_GTK_NEGOTIATING:
		return _("Negotiating");
	case ESESS_GTK_UNVERIFIED:
		return _("Unverified");
	case ESESS_GTK_VERIFIED:
		return _("Verified");
	case ESESS_GTK_ENDED:
		return _("Ended");
	}
	return _("Not private");
}

/* The tooltip: one sentence per state (translated). */
static const char *
esess_gtk_state_tooltip(EsessGtkState state)
{
	switch (state) {
	case ESESS_GTK_NOT_PRIVATE:
		return _("This conversation is not encrypted.");
	case ESESS_GTK_NEGOTIATING:
		return _("An encrypted session is being negotiated.");
	case ESESS_GTK_UNVERIFIED:
		return _("This conversation is encrypted, but you have not "
		    "verified your contact yet.");
	case ESESS_GTK_VERIFIED:
		return _("This conversation is encrypted and your contact is "
		    "verified.");
	case ESESS_GTK_ENDED:
		return _("The encrypted session has ended. New messages will not "
		    "be encrypted.");
	}
	return NULL;
}

/*
 * Icons are looked up in $ESESS_PIXMAPSDIR (used by the UI tests to run
 * from the source tree), then in the installed pixmaps directory.
 */
static GdkPixbuf *
esess_gtk_load_icon(EsessGtkState state)
{
	const char *dirs[2];
	GdkPixbuf *pixbuf = NULL;
	char *file;
	char *path;
	size_t i;

	dirs[0] = g_getenv("ESESS_PIXMAPSDIR");
	dirs[1] = ESESS_PIXMAPSDIR;
	file = g_strdup_printf("esess-%s.png", esess_gtk_state_name(state));
	for (i = 0; i < G_N_ELEMENTS(dirs) && pixbuf == NULL; i++) {
		if (dirs[i] == NULL || dirs[i][0] == '\0')
			continue;
		path = g_build_filename(dirs[i], "16", file, NULL);
		pixbuf = gdk_pixbuf_new_from_file_at_size(path,
		    ESESS_GTK_ICON_SIZE, ESESS_GTK_ICON_SIZE, NULL);
		g_free(path);
	}
	if (pixbuf == NULL)
		purple_debug_warning(ESESS_GTK_DEBUG, "icon %s not found\n", file);
	g_free(file);
	return pixbuf;
}

static gint
esess_gtk_core_get_state(PurpleConversation *conv)
{
	gboolean ok = FALSE;
	gpointer r;

	if (esess_gtk_core == NULL)
		return ESESS_GTK_NOT_PRIVATE;
	r = purple_plugin_ipc_call(esess_gtk_core, "get-state", &ok, conv);
	if (!ok)
		return ESESS_GTK_NOT_PRIVATE;
	return GPOINTER_TO_INT(r);
}

static void
esess_gtk_core_call(PurpleConversation *conv, const char *name)
{
	gboolean ok = FALSE;

	if (esess_gtk_core == NULL)
		return;
	(void)purple_plugin_ipc_call(esess_gtk_core, name, &ok, conv);
	if (!ok)
		purple_debug_warning(ESESS_GTK_DEBUG, "ipc %s failed\n", name);
	else
		purple_debug_info(ESESS_GTK_DEBUG, "menu %s\n", name);
}

static void
esess_gtk_button_show_state(EsessGtkButton *b, EsessGtkState state)
{
	GdkPixbuf *pixbuf;

	b->state = state;
	pixbuf = esess_gtk_load_icon(state);
	if (pixbuf != NULL) {
		gtk_image_set_from_pixbuf(GTK_IMAGE(b->image), pixbuf);
		g_object_unref(pixbuf);
	} else {
		gtk_image_clear(GTK_IMAGE(b->image));
	}
	gtk_label_set_text(GTK_LABEL(b->label), esess_gtk_state_label(state));
	gtk_widget_set_tooltip_text(b->button, esess_gtk_state_tooltip(state));
	/* the label is UI text, not a secret: the tests check its language */
	purple_debug_info(ESESS_GTK_DEBUG, "toolbar state=%s conv=%s label=\"%s\"\n",
	    esess_gtk_state_name(state), purple_conversation_get_name(b->conv),
	    esess_gtk_state_label(state));
}

static void
esess_gtk_start_cb(GtkMenuItem *item, gpointer data)
{
	EsessGtkButton *b = data;

	esess_gtk_core_call(b->conv, "start");
}

static void
esess_gtk_end_cb(GtkMenuItem *item, gpointer data)
{
	EsessGtkButton *b = data;

	esess_gtk_core_call(b->conv, "end");
}

static void
esess_gtk_verify_cb(GtkMenuItem *item, gpointer data)
{
	EsessGtkButton *b = data;

	esess_gtk_core_call(b->conv, "verify");
}

static void
esess_gtk_details_cb(GtkMenuItem *item, gpointer data)
{
	EsessGtkButton *b = data;
	gboolean ok = FALSE;
	char *details;

	if (esess_gtk_core == NULL)
		return;
	details = purple_plugin_ipc_call(esess_gtk_core, "get-details", &ok,
	    b->conv);
	if (!ok || details == NULL) {
		purple_debug_warning(ESESS_GTK_DEBUG, "ipc get-details failed\n");
		return;
	}
	purple_debug_info(ESESS_GTK_DEBUG, "menu get-details\n");
	purple_notify_message(esess_gtk_self, PURPLE_NOTIFY_MSG_INFO,
	    _("Encrypted session"), _("Details of the encrypted session"),
	    details, NULL, NULL);
	g_free(details);
}

static GtkWidget *
esess_gtk_menu_item(GtkWidget *menu, const char *text, gboolean sensitive,
    GCallback cb, EsessGtkButton *b)
{
	GtkWidget *item;

	item = gtk_menu_item_new_with_mnemonic(text);
	gtk_widget_set_sensitive(item, sensitive);
	g_signal_connect(item, "activate", cb, b);
	gtk_menu_shell_append(GTK_MENU_SHELL(menu), item);
	return item;
}

static void
esess_gtk_button_clicked_cb(GtkButton *button, gpointer data)
{
	EsessGtkButton *b = data;
	gboolean can_start = FALSE;
	gboolean can_end = FALSE;
	gboolean in_session = FALSE;
	GtkWidget *menu;

	switch (b->state) {
	case ESESS_GTK_NOT_PRIVATE:
		can_start = TRUE;
		break;
	case ESESS_GTK_ENDED:
		/*
		 * the contact ended it: the core holds back what the user types
		 * until they start a new session or end theirs too
		 */
		can_start = TRUE;
		can_end = TRUE;
		break;
	case ESESS_GTK_NEGOTIATING:
		can_end = TRUE;
		break;
	case ESESS_GTK_UNVERIFIED:
	case ESESS_GTK_VERIFIED:
		can_end = TRUE;
		in_session = TRUE;
		break;
	}

	menu = gtk_menu_new();
	esess_gtk_menu_item(menu, _("_Start encrypted session"), can_start,
	    G_CALLBACK(esess_gtk_start_cb), b);
	esess_gtk_menu_item(menu, _("_End encrypted session"), can_end,
	    G_CALLBACK(esess_gtk_end_cb), b);
	esess_gtk_menu_item(menu, _("_Verify contact..."), in_session,
	    G_CALLBACK(esess_gtk_verify_cb), b);
	esess_gtk_menu_item(menu, _("_Details..."), in_session,
	    G_CALLBACK(esess_gtk_details_cb), b);
	gtk_widget_show_all(menu);
	/* the menu frees itself once it is hidden again */
	g_signal_connect(menu, "selection-done", G_CALLBACK(gtk_widget_destroy),
	    NULL);
	gtk_menu_popup(GTK_MENU(menu), NULL, NULL, NULL, NULL, 0,
	    gtk_get_current_event_time());
}

/* Where the button is on screen, for the UI tests that click it. */
static gboolean
esess_gtk_button_mapped_cb(GtkWidget *widget, GdkEventExpose *ev,
    gpointer data)
{
	EsessGtkButton *b = data;
	GtkAllocation *a = &widget->allocation;
	gint x = 0;
	gint y = 0;

	if (widget->window == NULL)
		return FALSE;
	gdk_window_get_origin(widget->window, &x, &y);
	/* once per move or resize, not per redraw */
	if (b->logged.x == x + a->x && b->logged.y == y + a->y &&
	    b->logged.width == a->width && b->logged.height == a->height)
		return FALSE;
	b->logged.x = x + a->x;
	b->logged.y = y + a->y;
	b->logged.width = a->width;
	b->logged.height = a->height;
	purple_debug_info(ESESS_GTK_DEBUG,
	    "toolbar button conv=%s x=%d y=%d w=%d h=%d\n",
	    purple_conversation_get_name(b->conv), b->logged.x, b->logged.y,
	    b->logged.width, b->logged.height);
	return FALSE;
}

static void
esess_gtk_button_free(gpointer data)
{
	g_free(data);
}

static gboolean
esess_gtk_conv_wanted(PurpleConversation *conv)
{
	PurpleAccount *account;

	if (purple_conversation_get_type(conv) != PURPLE_CONV_TYPE_IM)
		return FALSE;
	account = purple_conversation_get_account(conv);
	return account != NULL &&
	    g_strcmp0(purple_account_get_protocol_id(account), "prpl-jabber") == 0;
}

static void
esess_gtk_attach(PidginConversation *gtkconv)
{
	PurpleConversation *conv;
	EsessGtkButton *b;
	GtkWidget *hbox;

	if (gtkconv == NULL || gtkconv->toolbar == NULL)
		return;
	conv = gtkconv->active_conv;
	if (conv == NULL || !esess_gtk_conv_wanted(conv))
		return;
	if (purple_conversation_get_data(conv, ESESS_GTK_BUTTON_KEY) != NULL)
		return;

	b = g_new0(EsessGtkButton, 1);
	b->conv = conv;
	b->button = gtk_button_new();
	gtk_button_set_relief(GTK_BUTTON(b->button), GTK_RELIEF_NONE);
	gtk_widget_set_name(b->button, "esess-gtk-toolbar-button");
	hbox = gtk_hbox_new(FALSE, 3);
	b->image = gtk_image_new();
	b->label = gtk_label_new(NULL);
	gtk_box_pack_start(GTK_BOX(hbox), b->image, FALSE, FALSE, 0);
	gtk_box_pack_start(GTK_BOX(hbox), b->label, FALSE, FALSE, 0);
	gtk_container_add(GTK_CONTAINER(b->button), hbox);
	g_object_set_data_full(G_OBJECT(b->button), "esess-gtk", b,
	    esess_gtk_button_free);
	g_signal_connect(b->button, "clicked",
	    G_CALLBACK(esess_gtk_button_clicked_cb), b);
	g_signal_connect_after(b->button, "expose-event",
	    G_CALLBACK(esess_gtk_button_mapped_cb), b);
	gtk_box_pack_end(GTK_BOX(gtkconv->toolbar), b->button, FALSE, FALSE, 0);
	gtk_widget_show_all(b->button);
	purple_conversation_set_data(conv, ESESS_GTK_BUTTON_KEY, b);
	esess_gtk_button_show_state(b,
	    esess_gtk_state_from_int(esess_gtk_core_get_state(conv)));
}

static void
esess_gtk_detach(PurpleConversation *conv)
{
	EsessGtkButton *b;

	b = purple_conversation_get_data(conv, ESESS_GTK_BUTTON_KEY);
	if (b == NULL)
		return;
	purple_conversation_set_data(conv, ESESS_GTK_BUTTON_KEY, NULL);
	/* destroying the button frees b through its object data */
	gtk_widget_destroy(b->button);
}

static void
esess_gtk_displayed_cb(PidginConversation *gtkconv, gpointer data)
{
	esess_gtk_attach(gtkconv);
}

static void
esess_gtk_switched_cb(PurpleConversation *conv, gpointer data)
{
	if (conv != NULL && PIDGIN_IS_PIDGIN_CONVERSATION(conv))
		esess_gtk_attach(PIDGIN_CONVERSATION(conv));
}

static void
esess_gtk_deleting_cb(PurpleConversation *conv, gpointer data)
{
	/* the widgets go with the window; only forget the pointer */
	purple_conversation_set_data(conv, ESESS_GTK_BUTTON_KEY, NULL);
}

static void
esess_gtk_state_changed_cb(PurpleConversation *conv, gint state,
    gpointer data)
{
	EsessGtkButton *b;

	if (conv == NULL)
		return;
	b = purple_conversation_get_data(conv, ESESS_GTK_BUTTON_KEY);
	if (b == NULL && PIDGIN_IS_PIDGIN_CONVERSATION(conv)) {
		esess_gtk_attach(PIDGIN_CONVERSATION(conv));
		b = purple_conversation_get_data(conv, ESESS_GTK_BUTTON_KEY);
	}
	if (b == NULL)
		return;
	esess_gtk_button_show_state(b, esess_gtk_state_from_int(state));
}

/*
 * The core plugin and this one share one gettext domain.  Uninstalled runs
 * (the UI tests) point it at freshly compiled catalogues; we are loaded
 * after the core plugin, so this binding holds for both.
 */
static void
esess_gtk_bind_textdomain(void)
{
#ifdef ENABLE_NLS
	const char *dir = g_getenv("ESESS_LOCALEDIR");

	if (dir != NULL && g_path_is_absolute(dir))
		bindtextdomain(GETTEXT_PACKAGE, dir);
	else
		bindtextdomain(GETTEXT_PACKAGE, LOCALEDIR);
	bind_textdomain_codeset(GETTEXT_PACKAGE, "UTF-8");
#endif
}

static gboolean
plugin_load(PurplePlugin *plugin)
{
	GList *l;

	esess_gtk_bind_textdomain();
	esess_gtk_self = plugin;
	esess_gtk_core = purple_plugins_find_with_id(ESESS_CORE_PLUGIN_ID);
	if (esess_gtk_core == NULL || !purple_plugin_is_loaded(esess_gtk_core)) {
		purple_debug_error(ESESS_GTK_DEBUG, "core plugin not loaded\n");
		return FALSE;
	}
	purple_signal_connect(esess_gtk_core, "esessions-state-changed", plugin,
	    PURPLE_CALLBACK(esess_gtk_state_changed_cb), NULL);
	purple_signal_connect(pidgin_conversations_get_handle(),
	    "conversation-displayed", plugin,
	    PURPLE_CALLBACK(esess_gtk_displayed_cb), NULL);
	purple_signal_connect(pidgin_conversations_get_handle(),
	    "conversation-switched", plugin,
	    PURPLE_CALLBACK(esess_gtk_switched_cb), NULL);
	purple_signal_connect(purple_conversations_get_handle(),
	    "deleting-conversation", plugin,
	    PURPLE_CALLBACK(esess_gtk_deleting_cb), NULL);
	/* conversations that were open before we were loaded */
	for (l = purple_get_conversations(); l != NULL; l = l->next) {
		PurpleConversation *conv = l->data;

		if (PIDGIN_IS_PIDGIN_CONVERSATION(conv))
			esess_gtk_attach(PIDGIN_CONVERSATION(conv));
	}
	purple_debug_info(ESESS_GTK_DEBUG, "loaded\n");
	return TRUE;
}

static gboolean
plugin_unload(PurplePlugin *plugin)
{
	GList *l;

	for (l = purple_get_conversations(); l != NULL; l = l->next)
		esess_gtk_detach(l->data);
	purple_signals_disconnect_by_handle(plugin);
	esess_gtk_core = NULL;
	esess_gtk_self = NULL;
	purple_debug_info(ESESS_GTK_DEBUG, "unloaded\n");
	return TRUE;
}

static PurplePluginInfo info = {
	PURPLE_PLUGIN_MAGIC,
	PURPLE_MAJOR_VERSION,
	PURPLE_MINOR_VERSION,
	PURPLE_PLUGIN_STANDARD,
	PIDGIN_PLUGIN_TYPE,
	0,
	NULL, /* dependencies, set in init_plugin */
	PURPLE_PRIORITY_DEFAULT,
	ESESS_GTK_PLUGIN_ID,
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
	esess_gtk_bind_textdomain();
	info.dependencies = g_list_append(NULL, (gpointer)ESESS_CORE_PLUGIN_ID);
	info.name = _("Encrypted Sessions (Pidgin toolbar)");
	info.summary = _("Shows the encrypted session state in the "
	    "conversation toolbar");
	info.description = _("Adds a button to each XMPP conversation that "
	    "shows whether the conversation is private and verified, and "
	    "lets you start, end and verify an encrypted session.");
}

PURPLE_INIT_PLUGIN(gtkesessions, init_plugin, info)
