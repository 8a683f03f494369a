# tests/e2e: a real Prosody on 127.0.0.1 and headless libpurple clients that
# load the built plugin.  `make check-e2e` runs the scenarios (TAP lines and a
# summary); the benchmark and scripts/demo reuse the same harness.

check_PROGRAMS += tests/e2e/esess-client
tests_e2e_esess_client_SOURCES = tests/e2e/esess-client.c
tests_e2e_esess_client_CPPFLAGS = $(AM_CPPFLAGS) $(PURPLE_CFLAGS)
tests_e2e_esess_client_LDADD = $(PURPLE_LIBS) $(GLIB_LIBS)

EXTRA_DIST += \
	scripts/demo \
	tests/e2e/demo.py \
	tests/e2e/esess_harness.py \
	tests/e2e/run-e2e.py \
	tests/e2e/run-faults.py \
	tests/e2e/mod_esess_fault.lua \
	tests/e2e/bench-e2e.py \
	tests/e2e/mod_esess_tap.lua \
	tests/e2e/mod_esess_dup.lua

E2E_ENV = \
	ESESS_SRCDIR='$(abs_top_srcdir)' \
	ESESS_BUILDDIR='$(abs_top_builddir)' \
	ESESS_CLIENT='$(abs_top_builddir)/tests/e2e/esess-client$(EXEEXT)' \
	ESESS_PLUGIN='$(abs_top_builddir)/plugin/purple/.libs/esessions.so'

.PHONY: check-e2e check-faults bench-e2e
check-e2e: tests/e2e/esess-client$(EXEEXT) plugin/purple/esessions.la
	$(E2E_ENV) /usr/bin/python3 $(abs_top_srcdir)/tests/e2e/run-e2e.py

bench-e2e: tests/e2e/esess-client$(EXEEXT) plugin/purple/esessions.la
	$(E2E_ENV) /usr/bin/python3 $(abs_top_srcdir)/tests/e2e/bench-e2e.py

# the fault stage (issue 10): a fault-injecting Prosody module between the
# clients; a table of outcomes per fault and TAP lines
check-faults: tests/e2e/esess-client$(EXEEXT) plugin/purple/esessions.la
	$(E2E_ENV) /usr/bin/python3 $(abs_top_srcdir)/tests/e2e/run-faults.py
