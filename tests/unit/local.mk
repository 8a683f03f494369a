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
