# tests/unit: one GTest binary per engine module, plus the layering check.

check_SCRIPTS += tests/unit/check-layering.sh
TESTS += tests/unit/check-layering.sh
EXTRA_DIST += tests/unit/check-layering.sh

check_PROGRAMS += tests/unit/test-status
TESTS += tests/unit/test-status
tests_unit_test_status_SOURCES = tests/unit/test-status.c
tests_unit_test_status_LDADD = plugin/core/libesess-status.la $(ESESS_CORE_DEPLIBS)

# tests/unit/test-audit: defects found by the security audit (owner: audit)
check_PROGRAMS += tests/unit/test-audit
TESTS += tests/unit/test-audit
tests_unit_test_audit_SOURCES = tests/unit/test-audit.c tests/protocol/neg-harness.c \
	tests/protocol/neg-harness.h
tests_unit_test_audit_LDADD = $(ESESS_NEG_TEST_LDADD)

# tests/unit/test-gajim-kat: known answers from Gajim's own ESession code
# (issue 8): its stanzas and printed values in tests/vectors/gajim/
check_PROGRAMS += tests/unit/test-gajim-kat
TESTS += tests/unit/test-gajim-kat
tests_unit_test_gajim_kat_SOURCES = tests/unit/test-gajim-kat.c tests/protocol/neg-harness.c \
	tests/protocol/neg-harness.h
tests_unit_test_gajim_kat_LDADD = $(ESESS_NEG_TEST_LDADD)
EXTRA_DIST += \
	tests/vectors/gajim/README \
	tests/vectors/gajim/round1-values.txt \
	tests/vectors/gajim/round1-m1.xml \
	tests/vectors/gajim/round1-m2.xml \
	tests/vectors/gajim/round1-m3.xml \
	tests/vectors/gajim/round1-m4.xml \
	tests/vectors/gajim/round1-msg-alice.xml \
	tests/vectors/gajim/round1-msg-bob.xml \
	tests/vectors/gajim/round1-terminate.xml \
	tests/vectors/gajim/round2-values.txt \
	tests/vectors/gajim/round2-m1.xml \
	tests/vectors/gajim/round2-m2.xml \
	tests/vectors/gajim/round2-m3.xml \
	tests/vectors/gajim/round2-m4.xml \
	tests/vectors/gajim/round2-msg-alice.xml \
	tests/vectors/gajim/round2-msg-bob.xml \
	tests/vectors/gajim/round2-terminate.xml

# tests/unit/test-wipe: SECURITY 9, no plaintext left in freed memory
check_PROGRAMS += tests/unit/test-wipe
TESTS += tests/unit/test-wipe
tests_unit_test_wipe_SOURCES = tests/unit/test-wipe.c tests/protocol/neg-harness.c \
	tests/protocol/neg-harness.h
tests_unit_test_wipe_LDADD = $(ESESS_NEG_TEST_LDADD) -ldl
