# plugin/purple: the libpurple plugin (Pidgin, Finch, any libpurple UI).
# Adapters only: libpurple in, engine (plugin/core, $(ESESS_CORE_LIBADD)) out.

plugin_LTLIBRARIES += plugin/purple/esessions.la
plugin_purple_esessions_la_SOURCES = \
	plugin/purple/esess-plugin.c \
	plugin/purple/esess-hooks.c \
	plugin/purple/esess-cparts.c \
	plugin/purple/esess-cparts.h \
	plugin/purple/esess-peers.c \
	plugin/purple/esess-cmd.c \
	plugin/purple/esess-ui.c \
	plugin/purple/esess-policy.c \
	plugin/purple/esess-identity.c \
	plugin/purple/esess-pep.c \
	plugin/purple/esess-keys.c \
	plugin/purple/esess-archive-log.c \
	plugin/purple/esess-archive-server.c \
	plugin/purple/esess-archive-migrate.c \
	plugin/purple/esess-offline-purple.c \
	plugin/purple/esess-purple.h \
	plugin/purple/esess-i18n.h
plugin_purple_esessions_la_CPPFLAGS = $(AM_CPPFLAGS) $(PURPLE_CFLAGS)
plugin_purple_esessions_la_LDFLAGS = $(AM_LDFLAGS) -module -avoid-version -no-undefined \
	-export-symbols-regex '^purple_init_plugin$$'
# the engine: a private copy (default), or the shared libesessions
# (configure --with-shared-engine); either way only its installed API
if SHARED_ENGINE
ESESS_PLUGIN_ENGINE = plugin/core/libesessions.la
else
ESESS_PLUGIN_ENGINE = $(ESESS_CORE)
endif
plugin_purple_esessions_la_LIBADD = $(ESESS_PLUGIN_ENGINE) \
	$(PURPLE_LIBS) $(ESESS_CORE_DEPLIBS) $(LTLIBINTL)

# tests/unit/test-cparts: the adapter's side of the message path taken apart
# (issue 11 item 2) on libpurple's own trees
check_PROGRAMS += tests/unit/test-cparts
TESTS += tests/unit/test-cparts
tests_unit_test_cparts_SOURCES = tests/unit/test-cparts.c plugin/purple/esess-cparts.c \
	plugin/purple/esess-cparts.h
tests_unit_test_cparts_CPPFLAGS = $(AM_CPPFLAGS) $(PURPLE_CFLAGS) -I$(top_srcdir)/plugin/purple
tests_unit_test_cparts_LDADD = $(ESESS_CORE) $(PURPLE_LIBS) $(ESESS_CORE_DEPLIBS)
