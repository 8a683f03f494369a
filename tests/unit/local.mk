# tests/unit: one GTest binary per engine module, plus the layering check.

check_SCRIPTS += tests/unit/check-layering.sh
TESTS += tests/unit/check-layering.sh
EXTRA_DIST += tests/unit/check-layering.sh

check_PROGRAMS += tests/unit/test-status
TESTS += tests/unit/test-status
tests_unit_test_status_SOURCES = tests/unit/test-status.c
tests_unit_test_status_LDADD = plugin/core/libesess-status.la $(ESESS_CORE_DEPLIBS)
