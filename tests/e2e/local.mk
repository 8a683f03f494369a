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
	tests/e2e/bench-e2e-count.py \
	tests/e2e/bench-offline.py \
	tests/e2e/bench-stanza.py \
	tests/e2e/mod_esess_vmcount.lua \
	tests/e2e/mod_esess_tap.lua \
	tests/e2e/mod_esess_dup.lua \
	tests/e2e/mod_esess_modlist.lua

E2E_ENV = \
	ESESS_SRCDIR='$(abs_top_srcdir)' \
	ESESS_BUILDDIR='$(abs_top_builddir)' \
	ESESS_CLIENT='$(abs_top_builddir)/tests/e2e/esess-client$(EXEEXT)' \
	ESESS_PLUGIN='$(abs_top_builddir)/plugin/purple/.libs/esessions.so'

.PHONY: check-e2e check-faults bench-e2e bench-e2e-count bench-offline bench-stanza
check-e2e: tests/e2e/esess-client$(EXEEXT) plugin/purple/esessions.la
	$(E2E_ENV) /usr/bin/python3 $(abs_top_srcdir)/tests/e2e/run-e2e.py

# pidgin-otr beside the plugin (issue 11 item 6): a preloaded library that
# stands in for Pidgin's UI (otr-stub.c) and the OTR keys made beforehand
# (otr-keygen.c).  Built only for the benchmark; never linked into the
# client, so libotr's otrl_init stays out of the plugin's processes.
BENCH_E2E_DEPS = tests/e2e/esess-client$(EXEEXT) plugin/purple/esessions.la
BENCH_E2E_ENV = $(E2E_ENV)
if HAVE_OTR
EXTRA_LTLIBRARIES = tests/e2e/libesess-otrstub.la
tests_e2e_libesess_otrstub_la_SOURCES = tests/e2e/otr-stub.c
tests_e2e_libesess_otrstub_la_CPPFLAGS = $(AM_CPPFLAGS) $(PURPLE_CFLAGS) $(OTR_CFLAGS)
# -rpath: a shared library even though it is never installed
tests_e2e_libesess_otrstub_la_LDFLAGS = $(AM_LDFLAGS) -module -avoid-version -shared \
	-rpath '$(abs_builddir)/tests/e2e'
tests_e2e_libesess_otrstub_la_LIBADD = $(PURPLE_LIBS) $(GLIB_LIBS)
EXTRA_PROGRAMS += tests/e2e/esess-otr-keygen
tests_e2e_esess_otr_keygen_SOURCES = tests/e2e/otr-keygen.c
tests_e2e_esess_otr_keygen_CPPFLAGS = $(AM_CPPFLAGS) $(OTR_CFLAGS)
tests_e2e_esess_otr_keygen_LDADD = $(OTR_LIBS) $(GCRYPT_LIBS)
CLEANFILES += tests/e2e/libesess-otrstub.la tests/e2e/esess-otr-keygen$(EXEEXT)
BENCH_E2E_DEPS += tests/e2e/libesess-otrstub.la tests/e2e/esess-otr-keygen$(EXEEXT)
BENCH_E2E_ENV += \
	ESESS_OTR_STUB='$(abs_top_builddir)/tests/e2e/.libs/libesess-otrstub.so' \
	ESESS_OTR_KEYGEN='$(abs_top_builddir)/tests/e2e/esess-otr-keygen$(EXEEXT)'
endif

# not part of check or tests/run-all: figures, not a verdict.
# ESESS_BENCH_N, ESESS_BENCH_RUNS override the burst size and repetitions.
bench-e2e: $(BENCH_E2E_DEPS)
	$(BENCH_E2E_ENV) /usr/bin/python3 $(abs_top_srcdir)/tests/e2e/bench-e2e.py

# the same pairs with every client under valgrind's callgrind: instructions
# per message, sender and receiver, which a shared machine does not move
# (client CPU time does).  Not part of check or tests/run-all; about two
# minutes.  ESESS_BENCH_N, ESESS_BENCH_RUNS override the burst and the runs.
bench-e2e-count: $(BENCH_E2E_DEPS)
	$(BENCH_E2E_ENV) /usr/bin/python3 $(abs_top_srcdir)/tests/e2e/bench-e2e-count.py

# one XEP-0187 offline message end to end, each run on a fresh Prosody: the
# sender's fetch-check-seal and the receiver's sign-on to the message shown.
# Not part of check or tests/run-all; ESESS_BENCH_RUNS overrides the runs.
bench-offline: tests/e2e/esess-client$(EXEEXT) plugin/purple/esessions.la
	$(E2E_ENV) /usr/bin/python3 $(abs_top_srcdir)/tests/e2e/bench-offline.py

# what one message stanza costs Prosody, by shape (ours, pidgin-otr's,
# plaintext, and variants): raw clients, no libpurple, so it needs no build.
# Not part of check or tests/run-all; ESESS_BENCH_N, ESESS_BENCH_RUNS and
# ESESS_BENCH_LEN override the burst, the runs and the body length.
bench-stanza:
	$(E2E_ENV) /usr/bin/python3 $(abs_top_srcdir)/tests/e2e/bench-stanza.py

# the fault stage (issue 10): a fault-injecting Prosody module between the
# clients; a table of outcomes per fault and TAP lines
check-faults: tests/e2e/esess-client$(EXEEXT) plugin/purple/esessions.la
	$(E2E_ENV) /usr/bin/python3 $(abs_top_srcdir)/tests/e2e/run-faults.py
