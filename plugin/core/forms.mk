# plugin/core/forms.mk: data forms (XEP-0004), option choice (XEP-0020/0155,
# INTEROP R12/R13), peer quirks (R20) and the retained-secret store (R9).

noinst_LTLIBRARIES += plugin/core/libesess-forms.la
plugin_core_libesess_forms_la_SOURCES = \
	plugin/core/esess-form.c \
	plugin/core/esess-form.h \
	plugin/core/esess-featneg.c \
	plugin/core/esess-featneg.h \
	plugin/core/esess-quirks.c \
	plugin/core/esess-quirks.h \
	plugin/core/esess-store.c \
	plugin/core/esess-store.h \
	plugin/core/esess-store-private.h \
	plugin/core/esess-idkey.c \
	plugin/core/esess-idkey.h \
	plugin/core/esess-idkey-private.h
plugin_core_libesess_forms_la_CFLAGS = $(ESESS_CORE_CFLAGS)
ESESS_CORE_LIBADD += plugin/core/libesess-forms.la

ESESS_FORMS_TEST_LDADD = $(ESESS_CORE) $(ESESS_CORE_DEPLIBS)

check_PROGRAMS += tests/unit/test-form tests/unit/test-featneg \
	tests/unit/test-quirks tests/unit/test-store tests/unit/test-idkey
TESTS += tests/unit/test-form tests/unit/test-featneg \
	tests/unit/test-quirks tests/unit/test-store tests/unit/test-idkey
tests_unit_test_form_SOURCES = tests/unit/test-form.c
tests_unit_test_form_LDADD = $(ESESS_FORMS_TEST_LDADD)
tests_unit_test_featneg_SOURCES = tests/unit/test-featneg.c
tests_unit_test_featneg_LDADD = $(ESESS_FORMS_TEST_LDADD)
tests_unit_test_quirks_SOURCES = tests/unit/test-quirks.c
tests_unit_test_quirks_LDADD = $(ESESS_FORMS_TEST_LDADD)
tests_unit_test_store_SOURCES = tests/unit/test-store.c
tests_unit_test_store_LDADD = $(ESESS_FORMS_TEST_LDADD)
tests_unit_test_idkey_SOURCES = tests/unit/test-idkey.c \
	tests/protocol/neg-harness.c tests/protocol/neg-harness.h
tests_unit_test_idkey_LDADD = $(ESESS_FORMS_TEST_LDADD)
tests_unit_test_idkey_CPPFLAGS = $(AM_CPPFLAGS) \
	-DESESS_TEST_VECTORS='"$(abs_top_srcdir)/tests/vectors"'

EXTRA_DIST += \
	tests/vectors/idkey-r21-r22.txt \
	tests/vectors/idkey-alice.pem \
	tests/vectors/idkey-alice-enc.pem \
	tests/vectors/idkey-bob.pem \
	tests/vectors/idkey-mallory.pem \
	tests/vectors/idkey-alice-2048.pem \
	tests/vectors/idkey-bob-2048.pem \
	tests/vectors/idkey-mallory-2048.pem \
	tests/vectors/form-gajim-request.xml \
	tests/vectors/form-0116-request.xml \
	tests/vectors/form-0116-response.xml \
	tests/vectors/form-canon-request.txt \
	tests/vectors/form-canon-response.txt \
	tests/fuzz/fuzz-form.c \
	tests/fuzz/corpus/form/gajim-request.xml \
	tests/fuzz/corpus/form/0116-response.xml \
	tests/fuzz/corpus/form/limits.xml

if ENABLE_FUZZING
noinst_PROGRAMS += tests/fuzz/fuzz-form
tests_fuzz_fuzz_form_SOURCES = tests/fuzz/fuzz-form.c
tests_fuzz_fuzz_form_LDADD = $(ESESS_CORE) $(ESESS_CORE_DEPLIBS)
tests_fuzz_fuzz_form_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_LDFLAGS)
endif
