# tests/fuzz: the libFuzzer smoke run.  The fuzz targets themselves
# (noinst_PROGRAMS named tests/fuzz/fuzz-*) are defined by each module's
# owner inside `if ENABLE_FUZZING`; their seeds live in
# tests/fuzz/corpus/<name without fuzz->/.
#
#   make fuzz-smoke    (in a build configured with CC=clang --enable-fuzzing)
#
# builds every tests/fuzz/fuzz-* program and runs each for a few seconds
# (tests/fuzz/run-smoke.sh prints TAP and the executions).  The list is
# computed when the recipe runs, so targets from every fragment are seen.

EXTRA_DIST += tests/fuzz/run-smoke.sh tests/fuzz/corpus

.PHONY: fuzz-smoke
fuzz-smoke:
	@list='$(filter tests/fuzz/fuzz-%,$(noinst_PROGRAMS:$(EXEEXT)=))'; \
	list=`for t in $$list; do echo $$t; done | sort -u`; \
	if test -n "$$list"; then \
	  $(MAKE) $(AM_MAKEFLAGS) $$list >&2 || exit 1; \
	fi; \
	progs=''; for t in $$list; do progs="$$progs $(abs_builddir)/$$t$(EXEEXT)"; done; \
	ESESS_FUZZ_LOGDIR='$(ESESS_FUZZ_LOGDIR)' \
	bash $(srcdir)/tests/fuzz/run-smoke.sh $(abs_srcdir)/tests/fuzz/corpus $$progs
