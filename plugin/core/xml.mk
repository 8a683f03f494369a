# plugin/core/xml.mk: the engine's XML reader/serialisers (esess-xml) and the
# XEP-0200 stanza encryption (esess-session), their unit tests and fuzz
# targets (owner: session).

noinst_LTLIBRARIES += plugin/core/libesess-xml.la
plugin_core_libesess_xml_la_SOURCES = \
	plugin/core/esess-xml.c \
	plugin/core/esess-xml.h
plugin_core_libesess_xml_la_CFLAGS = $(ESESS_CORE_CFLAGS)
ESESS_CORE_LIBADD += plugin/core/libesess-xml.la

noinst_LTLIBRARIES += plugin/core/libesess-session.la
plugin_core_libesess_session_la_SOURCES = \
	plugin/core/esess-session.c \
	plugin/core/esess-session.h
plugin_core_libesess_session_la_CFLAGS = $(ESESS_CORE_CFLAGS)
ESESS_CORE_LIBADD += plugin/core/libesess-session.la

# ---- unit tests (GTest, TAP) -------------------------------------------
check_PROGRAMS += tests/unit/test-xml
TESTS += tests/unit/test-xml
tests_unit_test_xml_SOURCES = tests/unit/test-xml.c
tests_unit_test_xml_LDADD = $(ESESS_CORE) $(ESESS_CORE_DEPLIBS)

check_PROGRAMS += tests/unit/test-session
TESTS += tests/unit/test-session
tests_unit_test_session_SOURCES = tests/unit/test-session.c
tests_unit_test_session_LDADD = $(ESESS_CORE) $(ESESS_CORE_DEPLIBS)

EXTRA_DIST += \
	tests/vectors/xml-canon-form.txt \
	tests/vectors/xml-canon-escape.txt \
	tests/vectors/xml-canon-nested.txt \
	tests/vectors/xml-canon-sas.txt \
	tests/vectors/session-kat.txt \
	tests/fuzz/fuzz-xml.c \
	tests/fuzz/fuzz-cdecode.c \
	tests/fuzz/corpus/xml/xep0200-message.xml \
	tests/fuzz/corpus/xml/form-request.xml \
	tests/fuzz/corpus/xml/payload-xhtml.xml \
	tests/fuzz/corpus/cdecode/kat \
	tests/fuzz/corpus/cdecode/regress-fastpath-overread \
	tests/fuzz/corpus/xml/regress-fastpath-overread \
	tests/fuzz/corpus/cdecode/xep0200-example \
	tests/fuzz/corpus/cdecode/fixed-payload

if ENABLE_FUZZING
noinst_PROGRAMS += tests/fuzz/fuzz-xml tests/fuzz/fuzz-cdecode
tests_fuzz_fuzz_xml_SOURCES = tests/fuzz/fuzz-xml.c
tests_fuzz_fuzz_xml_LDADD = $(ESESS_CORE) $(ESESS_CORE_DEPLIBS)
tests_fuzz_fuzz_xml_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_LDFLAGS)
tests_fuzz_fuzz_cdecode_SOURCES = tests/fuzz/fuzz-cdecode.c
tests_fuzz_fuzz_cdecode_LDADD = $(ESESS_CORE) $(ESESS_CORE_DEPLIBS)
tests_fuzz_fuzz_cdecode_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_LDFLAGS)
endif
