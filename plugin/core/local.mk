# plugin/core: the ESession engine.  No libpurple, no UI, no I/O but the key
# store.  Each module group is a convenience library (see crypto.mk, xml.mk,
# forms.mk, negotiate.mk); libesess-core.la bundles them for the plugin.

noinst_LTLIBRARIES += plugin/core/libesess-status.la
plugin_core_libesess_status_la_SOURCES = \
	plugin/core/esess-status.c \
	plugin/core/esess-status.h
ESESS_CORE_LIBADD = plugin/core/libesess-status.la
