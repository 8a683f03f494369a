# plugin/core/archive.mk: the encrypted archive of session messages
# (issue 13, doc/archive.md).

noinst_LTLIBRARIES += plugin/core/libesess-archive.la
plugin_core_libesess_archive_la_SOURCES = \
	plugin/core/esess-archive.c \
	plugin/core/esess-archive.h \
	plugin/core/esess-archive-private.h
plugin_core_libesess_archive_la_CFLAGS = $(ESESS_CORE_CFLAGS)
ESESS_CORE_LIBADD += plugin/core/libesess-archive.la

check_PROGRAMS += tests/unit/test-archive
TESTS += tests/unit/test-archive
tests_unit_test_archive_SOURCES = tests/unit/test-archive.c \
	tests/protocol/neg-harness.c tests/protocol/neg-harness.h
tests_unit_test_archive_LDADD = $(ESESS_CORE) $(ESESS_CORE_DEPLIBS)
tests_unit_test_archive_CPPFLAGS = $(AM_CPPFLAGS) \
	-DESESS_TEST_VECTORS='"$(abs_top_srcdir)/tests/vectors"'
EXTRA_DIST += tests/vectors/archive-kat.txt tests/vectors/archive-kat.py doc/archive.md
