# plugin/core: the ESession engine.  No libpurple, no UI, no I/O but the key
# store.  Each module group is a convenience library (see crypto.mk, xml.mk,
# forms.mk, negotiate.mk); libesess-core.la bundles them for the plugin.

noinst_LTLIBRARIES += plugin/core/libesess-status.la
plugin_core_libesess_status_la_SOURCES = \
	plugin/core/esess-status.c \
	plugin/core/esess-status.h
ESESS_CORE_LIBADD = plugin/core/libesess-status.la

# libesess-core.la bundles every module library (ESESS_CORE_LIBADD, filled by
# the fragments included after this one).  No module library LIBADDs another:
# libtool copies a convenience library's objects into whatever LIBADDs it, so
# nesting them defines symbols twice.  Everything links libesess-core.la.
noinst_LTLIBRARIES += plugin/core/libesess-core.la
plugin_core_libesess_core_la_SOURCES =
plugin_core_libesess_core_la_LIBADD = $(ESESS_CORE_LIBADD)
ESESS_CORE = plugin/core/libesess-core.la
