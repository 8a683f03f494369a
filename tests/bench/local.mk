# tests/bench: benchmark programs.  They print medians and ratios measured in
# the same run against the libgcrypt floor and libotr 4; they are never tests
# (doc/hacking.md "Benchmarks are programs that print figures").
#
#   make bench                          builds and runs them
#   make bench ESESS_BENCH_SCALE=0.1    a quick run with fewer repetitions
#
# libotr is linked only here (HAVE_OTR); without it the libotr columns are
# left out.

BENCH_PROGS = tests/bench/bench-stanza$(EXEEXT) tests/bench/bench-negotiate$(EXEEXT) \
	tests/bench/bench-negotiate-plain$(EXEEXT) tests/bench/bench-scale$(EXEEXT) \
	tests/bench/bench-memory$(EXEEXT) tests/bench/bench-pubkey$(EXEEXT) $(BENCH_M1_PROGS) \
	tests/bench/bench-archive$(EXEEXT)
BENCH_M1_PROGS = tests/bench/bench-message1$(EXEEXT)
EXTRA_PROGRAMS += tests/bench/bench-stanza tests/bench/bench-negotiate \
	tests/bench/bench-negotiate-plain tests/bench/bench-scale tests/bench/bench-memory \
	tests/bench/bench-pubkey tests/bench/bench-message1 tests/bench/bench-message1-otr \
	tests/bench/bench-archive tests/bench/bench-scale-otr
CLEANFILES += $(BENCH_PROGS) tests/bench/bench-message1-otr$(EXEEXT) \
	tests/bench/bench-scale-otr$(EXEEXT)

BENCH_COMMON_SOURCES = tests/bench/bench-util.c tests/bench/bench-util.h
BENCH_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/tests/bench
BENCH_LDADD = $(ESESS_CORE) $(ESESS_CORE_DEPLIBS)
if HAVE_OTR
BENCH_CPPFLAGS += -DHAVE_OTR $(OTR_CFLAGS)
BENCH_LDADD += $(OTR_LIBS)
endif

tests_bench_bench_stanza_SOURCES = tests/bench/bench-stanza.c \
	tests/bench/bench-floor.c tests/bench/bench-floor.h $(BENCH_COMMON_SOURCES)
tests_bench_bench_stanza_CPPFLAGS = $(BENCH_CPPFLAGS)
tests_bench_bench_stanza_LDADD = $(BENCH_LDADD)
tests_bench_bench_stanza_DEPENDENCIES = $(ESESS_CORE)

tests_bench_bench_negotiate_SOURCES = tests/bench/bench-negotiate.c $(BENCH_COMMON_SOURCES)
tests_bench_bench_negotiate_CPPFLAGS = $(BENCH_CPPFLAGS)
tests_bench_bench_negotiate_LDADD = $(BENCH_LDADD)
tests_bench_bench_negotiate_DEPENDENCIES = $(ESESS_CORE)

# never linked with libotr: otrl_init would replace libgcrypt's secure
# allocator, the thing this benchmark measures (issue 11 item 1)
tests_bench_bench_scale_SOURCES = tests/bench/bench-scale.c $(BENCH_COMMON_SOURCES) \
	tests/protocol/neg-harness.c tests/protocol/neg-harness.h
tests_bench_bench_scale_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/tests/bench \
	-I$(top_srcdir)/tests/protocol
tests_bench_bench_scale_LDADD = $(ESESS_CORE) $(ESESS_CORE_DEPLIBS)
tests_bench_bench_scale_DEPENDENCIES = $(ESESS_CORE)

# bytes per established session (issue 11 item 3); never linked with libotr
tests_bench_bench_memory_SOURCES = tests/bench/bench-memory.c $(BENCH_COMMON_SOURCES) \
	tests/protocol/neg-harness.c tests/protocol/neg-harness.h
tests_bench_bench_memory_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/tests/bench \
	-I$(top_srcdir)/tests/protocol
tests_bench_bench_memory_LDADD = $(ESESS_CORE) $(ESESS_CORE_DEPLIBS)
tests_bench_bench_memory_DEPENDENCIES = $(ESESS_CORE)

# the same negotiation figures without libotr in the process (issue 11
# item 6): libgcrypt keeps its own secure allocator, as Pidgin runs it
tests_bench_bench_negotiate_plain_SOURCES = tests/bench/bench-negotiate.c $(BENCH_COMMON_SOURCES)
tests_bench_bench_negotiate_plain_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/tests/bench
tests_bench_bench_negotiate_plain_LDADD = $(ESESS_CORE) $(ESESS_CORE_DEPLIBS)
tests_bench_bench_negotiate_plain_DEPENDENCIES = $(ESESS_CORE)

# public-key identity (INTEROP R21, issue 12): with and without, and the
# key generation time; never linked with libotr
tests_bench_bench_pubkey_SOURCES = tests/bench/bench-pubkey.c $(BENCH_COMMON_SOURCES)
tests_bench_bench_pubkey_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/tests/bench
tests_bench_bench_pubkey_LDADD = $(ESESS_CORE) $(ESESS_CORE_DEPLIBS)
tests_bench_bench_pubkey_DEPENDENCIES = $(ESESS_CORE)

# message 1 from a full key pool (issue 11 item 5), without libotr in the
# process and, when libotr is found, with otrl_init run first (item 6)
tests_bench_bench_message1_SOURCES = tests/bench/bench-message1.c $(BENCH_COMMON_SOURCES)
tests_bench_bench_message1_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/tests/bench
tests_bench_bench_message1_LDADD = $(ESESS_CORE) $(ESESS_CORE_DEPLIBS)
tests_bench_bench_message1_DEPENDENCIES = $(ESESS_CORE)

tests_bench_bench_message1_otr_SOURCES = tests/bench/bench-message1.c $(BENCH_COMMON_SOURCES)
tests_bench_bench_message1_otr_CPPFLAGS = $(BENCH_CPPFLAGS) -DBENCH_WITH_OTR
tests_bench_bench_message1_otr_LDADD = $(BENCH_LDADD)
tests_bench_bench_message1_otr_DEPENDENCIES = $(ESESS_CORE)

# bench-scale's measurement with libotr as the peer (issue 11 item 1): a
# program of its own, since otrl_init replaces libgcrypt's secure allocator
# for the whole process; only libotr is measured there
tests_bench_bench_scale_otr_SOURCES = tests/bench/bench-scale-otr.c $(BENCH_COMMON_SOURCES) \
	tests/bench/bench-otr.c tests/bench/bench-otr.h
tests_bench_bench_scale_otr_CPPFLAGS = $(BENCH_CPPFLAGS)
tests_bench_bench_scale_otr_LDADD = $(GLIB_LIBS) $(OTR_LIBS) $(GCRYPT_LIBS)

if HAVE_OTR
BENCH_M1_PROGS += tests/bench/bench-message1-otr$(EXEEXT)
BENCH_PROGS += tests/bench/bench-scale-otr$(EXEEXT)
tests_bench_bench_stanza_SOURCES += tests/bench/bench-otr.c tests/bench/bench-otr.h
tests_bench_bench_negotiate_SOURCES += tests/bench/bench-otr.c tests/bench/bench-otr.h
endif

EXTRA_DIST += tests/bench/bench-massif.sh tests/bench/bench-scale-callgrind.sh

.PHONY: bench bench-message1 bench-massif bench-scale-callgrind
# bench-scale's comparison in instructions per message under callgrind (the
# 1000 pairs are negotiated under valgrind: several minutes)
bench-scale-callgrind: tests/bench/bench-scale$(EXEEXT)
	@$(SHELL) $(top_srcdir)/tests/bench/bench-scale-callgrind.sh ./tests/bench/bench-scale$(EXEEXT)

# bytes per session measured by valgrind's massif (several minutes at 1000)
bench-massif: tests/bench/bench-memory$(EXEEXT)
	@$(SHELL) $(top_srcdir)/tests/bench/bench-massif.sh ./tests/bench/bench-memory$(EXEEXT)

# message 1 from a full pool, with and without libotr in the process
bench-message1: $(BENCH_M1_PROGS)
	@for p in $(BENCH_M1_PROGS); do \
	  ESESS_BENCH_SCALE='$(ESESS_BENCH_SCALE)' ./$$p || exit 1; \
	done

bench: $(BENCH_PROGS)
	@for p in $(BENCH_PROGS); do \
	  echo "== $$p"; \
	  ESESS_BENCH_SCALE='$(ESESS_BENCH_SCALE)' ./$$p || exit 1; \
	done

# the encrypted log against Pidgin's HTML logger through libpurple's log API
# (issue 13): the built plugin, loaded by a headless libpurple
tests_bench_bench_archive_SOURCES = tests/bench/bench-archive.c
tests_bench_bench_archive_CPPFLAGS = $(AM_CPPFLAGS) $(PURPLE_CFLAGS) \
	-DESESS_BENCH_PLUGIN='"$(abs_top_builddir)/plugin/purple/.libs/esessions.so"' \
	-DESESS_TEST_VECTORS='"$(abs_top_srcdir)/tests/vectors"'
tests_bench_bench_archive_LDADD = $(PURPLE_LIBS) $(GLIB_LIBS)
tests_bench_bench_archive_DEPENDENCIES = plugin/purple/esessions.la
