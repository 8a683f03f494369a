# plugin/core: the ESession engine.  No libpurple, no UI, no I/O but the key
# store.  Each module group is a convenience library (see crypto.mk, xml.mk,
# forms.mk, negotiate.mk); libesess-core.la bundles them for the plugin.

# Every engine object is compiled with -fvisibility=hidden: only what the
# installed headers mark ESESS_API leaves libesessions.so (library.mk).
ESESS_CORE_CFLAGS = $(AM_CFLAGS) $(VISIBILITY_CFLAGS)

noinst_LTLIBRARIES += plugin/core/libesess-status.la
plugin_core_libesess_status_la_SOURCES = \
	plugin/core/esess-status.c \
	plugin/core/esess-status.h \
	plugin/core/esess-export.h \
	plugin/core/esess-util.h \
	plugin/core/esessions.h
plugin_core_libesess_status_la_CFLAGS = $(ESESS_CORE_CFLAGS)
ESESS_CORE_LIBADD = plugin/core/libesess-status.la

# libesess-core.la bundles every module library (ESESS_CORE_LIBADD, filled by
# the fragments included after this one).  No module library LIBADDs another:
# libtool copies a convenience library's objects into whatever LIBADDs it, so
# nesting them defines symbols twice.  Everything links libesess-core.la.
noinst_LTLIBRARIES += plugin/core/libesess-core.la
plugin_core_libesess_core_la_SOURCES =
plugin_core_libesess_core_la_LIBADD = $(ESESS_CORE_LIBADD)
ESESS_CORE = plugin/core/libesess-core.la
