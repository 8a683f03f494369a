# plugin/core/library.mk: the engine as a library (issue 14 item 3).
#
# libesessions.la is libesess-core.la (every engine object) as an installed
# shared library.  The objects are compiled with -fvisibility=hidden
# (ESESS_CORE_CFLAGS in local.mk), so it exports exactly the functions the
# installed headers declare with ESESS_API; the unit tests keep linking
# libesess-core.la, which gives them the internal functions too.  The plugin
# links libesess-core.la (default) or libesessions.la (--with-shared-engine),
# see plugin/purple/local.mk.

# the installed API: esessions.h includes the others; nothing else is installed
ESESS_API_HEADER_LIST = \
	plugin/core/esessions.h \
	plugin/core/esess-export.h \
	plugin/core/esess-status.h \
	plugin/core/esess-util.h \
	plugin/core/esess-idkey.h \
	plugin/core/esess-archive.h \
	plugin/core/esess-store.h \
	plugin/core/esess-chat.h \
	plugin/core/esess-offline.h

EXTRA_DIST += plugin/core/esessions-0.pc.in

if ENGINE_LIBRARY
lib_LTLIBRARIES += plugin/core/libesessions.la
plugin_core_libesessions_la_SOURCES =
plugin_core_libesessions_la_LIBADD = $(ESESS_CORE) $(ESESS_CORE_DEPLIBS)
# ESESS_LT_VERSION: configure.ac says how it changes
plugin_core_libesessions_la_LDFLAGS = $(AM_LDFLAGS) -no-undefined \
	-version-info $(ESESS_LT_VERSION)

esessionsincludedir = $(includedir)/esessions-0
esessionsinclude_HEADERS = $(ESESS_API_HEADER_LIST)

pkgconfigdir = $(libdir)/pkgconfig
pkgconfig_DATA = plugin/core/esessions-0.pc
endif
DISTCLEANFILES += plugin/core/esessions-0.pc

# tests of the library as others see it; they skip (TAP 1..0) when
# configure --disable-engine-library left it out
AM_TESTS_ENVIRONMENT += \
	ESESS_ENGINE_LIBRARY='$(ENGINE_LIBRARY)'; export ESESS_ENGINE_LIBRARY; \
	ESESS_SHARED_ENGINE='$(SHARED_ENGINE)'; export ESESS_SHARED_ENGINE; \
	ESESS_API_HEADER_LIST='$(ESESS_API_HEADER_LIST)'; export ESESS_API_HEADER_LIST; \
	MAKE='$(MAKE)'; export MAKE; \
	CC='$(CC)'; export CC; \
	ESESS_SAN_FLAGS='$(SAN_CFLAGS) $(SAN_LDFLAGS)'; export ESESS_SAN_FLAGS; \
	PKG_CONFIG='$(PKG_CONFIG)'; export PKG_CONFIG; \
	DOXYGEN='$(DOXYGEN)'; export DOXYGEN;

check_SCRIPTS += tests/unit/check-exports.sh tests/unit/check-install.sh
TESTS += tests/unit/check-exports.sh tests/unit/check-install.sh
EXTRA_DIST += tests/unit/check-exports.sh tests/unit/check-install.sh \
	tests/unit/lib-consumer.c
# check-exports.sh reads the built libraries
if ENGINE_LIBRARY
ESESS_EXPORTS_DEPS = plugin/purple/esessions.la plugin/core/libesessions.la
else
ESESS_EXPORTS_DEPS = plugin/purple/esessions.la
endif
tests/unit/check-exports.log: $(ESESS_EXPORTS_DEPS)

# the plugin loads into libpurple however it links the engine
check_PROGRAMS += tests/unit/plugin-load
tests_unit_plugin_load_SOURCES = tests/unit/plugin-load.c
tests_unit_plugin_load_CPPFLAGS = $(AM_CPPFLAGS) $(PURPLE_CFLAGS)
tests_unit_plugin_load_LDADD = $(PURPLE_LIBS) $(GLIB_LIBS)
check_SCRIPTS += tests/unit/check-plugin-load.sh
TESTS += tests/unit/check-plugin-load.sh
EXTRA_DIST += tests/unit/check-plugin-load.sh
tests/unit/check-plugin-load.log: plugin/purple/esessions.la tests/unit/plugin-load$(EXEEXT)

# ---- the API reference: doxygen over the installed headers -------------
# `make doc` writes doc/api/html/ in the build tree and fails on any doxygen
# warning (an undocumented public item, a wrong @param); check-apidoc.sh does
# the same in make check.
.PHONY: doc
doc: doc/Doxyfile
	$(AM_V_GEN)if test -z "$(DOXYGEN)"; then \
		echo "doxygen not found: run scripts/setup-deps, then configure" >&2; exit 1; fi; \
	rm -rf doc/api && $(MKDIR_P) doc/api && $(DOXYGEN) doc/Doxyfile && \
	if test -s doc/api/warnings.log; then cat doc/api/warnings.log >&2; exit 1; fi; \
	echo "API reference: $(abs_builddir)/doc/api/html/index.html"
clean-local: clean-apidoc
.PHONY: clean-apidoc
clean-apidoc:
	-rm -rf doc/api
EXTRA_DIST += doc/Doxyfile.in
DISTCLEANFILES += doc/Doxyfile

check_SCRIPTS += tests/unit/check-apidoc.sh
TESTS += tests/unit/check-apidoc.sh
EXTRA_DIST += tests/unit/check-apidoc.sh

# ---- esession: a whole session between two processes, on the public API
if ENGINE_LIBRARY
bin_PROGRAMS += tools/esession
tools_esession_SOURCES = tools/esession-cli.c
# only the installed headers' directory matters: esessions.h alone
tools_esession_CPPFLAGS = -I$(top_srcdir)/plugin/core $(GLIB_CFLAGS) $(HARDEN_CPPFLAGS)
tools_esession_LDADD = plugin/core/libesessions.la $(GLIB_LIBS)
man1_MANS = tools/esession.1
endif
EXTRA_DIST += tools/esession-cli.c tools/esession.1
check_SCRIPTS += tests/unit/check-cli.sh
TESTS += tests/unit/check-cli.sh
EXTRA_DIST += tests/unit/check-cli.sh tests/unit/check-cli.py
if ENGINE_LIBRARY
tests/unit/check-cli.log: tools/esession$(EXEEXT)
endif
EXTRA_DIST += doc/library.md
