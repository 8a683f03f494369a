# plugin/gtk: Pidgin-only extras (the conversation toolbar button) and the
# state icons.  Built only when GTK 2 and Pidgin are found, so Finch and
# headless libpurple users never link GTK.  The plugin talks to the core
# plugin through its signal and IPC only.

pixmapsdir = $(datadir)/pixmaps/purple-esessions
ESESS_PIXMAPS_STATES = not-private negotiating private-unverified private-verified ended
pixmaps16dir = $(pixmapsdir)/16
pixmaps22dir = $(pixmapsdir)/22
pixmaps24dir = $(pixmapsdir)/24
pixmapsscalabledir = $(pixmapsdir)/scalable
dist_pixmaps16_DATA = $(ESESS_PIXMAPS_STATES:%=pixmaps/16/esess-%.png)
dist_pixmaps22_DATA = $(ESESS_PIXMAPS_STATES:%=pixmaps/22/esess-%.png)
dist_pixmaps24_DATA = $(ESESS_PIXMAPS_STATES:%=pixmaps/24/esess-%.png)
dist_pixmapsscalable_DATA = $(ESESS_PIXMAPS_STATES:%=pixmaps/esess-%.svg)
EXTRA_DIST += pixmaps/render.sh

if HAVE_PIDGIN
pidginplugin_LTLIBRARIES += plugin/gtk/esessions-gtk.la
plugin_gtk_esessions_gtk_la_SOURCES = plugin/gtk/esess-gtk.c
# GTK 2 and Pidgin headers are old (unprototyped declarations, API that
# GLib 2.74 deprecates): include them as system headers so -Werror keeps
# applying to our own code.
plugin_gtk_esessions_gtk_la_CPPFLAGS = $(AM_CPPFLAGS) \
	-I$(top_srcdir)/plugin/purple \
	-DESESS_PIXMAPSDIR=\""$(pixmapsdir)"\" \
	-DGLIB_DISABLE_DEPRECATION_WARNINGS \
	$(PIDGIN_CFLAGS:-I%=-isystem %) $(PURPLE_CFLAGS)
plugin_gtk_esessions_gtk_la_LDFLAGS = $(AM_LDFLAGS) -module -avoid-version -no-undefined \
	-export-symbols-regex '^purple_init_plugin$$'
plugin_gtk_esessions_gtk_la_LIBADD = $(PIDGIN_LIBS) $(PURPLE_LIBS) $(GLIB_LIBS) $(LTLIBINTL)
endif

# the user guide and its screenshots (taken by `make check-ui`, see tests/ui)
EXTRA_DIST += doc/USER.md \
	doc/images/menu.png doc/images/details.png doc/images/conversation.png \
	doc/images/sas-dialog.png doc/images/sas-dialog-fr.png \
	doc/images/toolbar-0-not-private.png doc/images/toolbar-1-negotiating.png \
	doc/images/toolbar-2-private-unverified.png doc/images/toolbar-3-private-verified.png \
	doc/images/toolbar-4-ended.png doc/images/toolbar-5-not-private-again.png \
	$(ESESS_PIXMAPS_STATES:%=doc/images/esess-%.png)
