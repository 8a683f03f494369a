# plugin/purple: the libpurple plugin (Pidgin, Finch, any libpurple UI).
# Adapters only: libpurple in, engine (plugin/core, $(ESESS_CORE_LIBADD)) out.

plugin_LTLIBRARIES += plugin/purple/esessions.la
plugin_purple_esessions_la_SOURCES = \
	plugin/purple/esess-plugin.c \
	plugin/purple/esess-hooks.c \
	plugin/purple/esess-peers.c \
	plugin/purple/esess-cmd.c \
	plugin/purple/esess-ui.c \
	plugin/purple/esess-policy.c \
	plugin/purple/esess-purple.h \
	plugin/purple/esess-i18n.h
plugin_purple_esessions_la_CPPFLAGS = $(AM_CPPFLAGS) $(PURPLE_CFLAGS)
plugin_purple_esessions_la_LDFLAGS = $(AM_LDFLAGS) -module -avoid-version -no-undefined \
	-export-symbols-regex '^purple_init_plugin$$'
# The engine's convenience libraries nest (libesess-neg.la carries forms,
# session, xml, crypto and status again), and libtool links each convenience
# .la whole: duplicate symbols.  Link their PIC archives instead, so only the
# objects needed are pulled, once; the .la stay the build dependencies.
# ESESS_CORE_LIBADD lists a library after what it needs; a static link
# wants the reverse (libtool drops a repeated archive, so no second pass).
esess_reverse = $(if $(1),$(call esess_reverse,$(wordlist 2,$(words $(1)),$(1))) $(firstword $(1)))
ESESS_CORE_ARCHIVES = $(call esess_reverse,$(foreach l,$(ESESS_CORE_LIBADD),$(dir $(l)).libs/$(basename $(notdir $(l))).a))
plugin_purple_esessions_la_LIBADD = $(ESESS_CORE_ARCHIVES) \
	$(PURPLE_LIBS) $(ESESS_CORE_DEPLIBS) $(LTLIBINTL)
plugin_purple_esessions_la_DEPENDENCIES = $(ESESS_CORE_LIBADD)
