# plugin/core/crypto.mk: secure memory, strict encodings, libgcrypt primitives
# and the MODP groups (owner: crypto).  Unit tests and fuzz targets of these
# modules live here too.

noinst_LTLIBRARIES += plugin/core/libesess-crypto.la
plugin_core_libesess_crypto_la_SOURCES = \
	plugin/core/esess-mem.c \
	plugin/core/esess-mem.h \
	plugin/core/esess-bytes.c \
	plugin/core/esess-bytes.h \
	plugin/core/esess-crypto.c \
	plugin/core/esess-crypto.h \
	plugin/core/esess-modp.c \
	plugin/core/esess-modp.h
plugin_core_libesess_crypto_la_CFLAGS = $(ESESS_CORE_CFLAGS)
# No LIBADD: libesess-core.la bundles the module libraries (plugin/core/local.mk).
ESESS_CORE_LIBADD += plugin/core/libesess-crypto.la

# ---- unit tests (GTest, TAP) -------------------------------------------
ESESS_CRYPTO_TEST_LDADD = $(ESESS_CORE) $(ESESS_CORE_DEPLIBS)
# a fallback for running a binary by hand; make check sets ESESS_VECTORS
ESESS_CRYPTO_TEST_CPPFLAGS = $(AM_CPPFLAGS) \
	-DESESS_TEST_VECTORS='"$(abs_top_srcdir)/tests/vectors"'

check_PROGRAMS += tests/unit/test-mem tests/unit/test-bytes \
	tests/unit/test-crypto tests/unit/test-modp
TESTS += tests/unit/test-mem tests/unit/test-bytes \
	tests/unit/test-crypto tests/unit/test-modp
tests_unit_test_mem_SOURCES = tests/unit/test-mem.c
tests_unit_test_mem_LDADD = $(ESESS_CRYPTO_TEST_LDADD)
tests_unit_test_mem_CPPFLAGS = $(ESESS_CRYPTO_TEST_CPPFLAGS)
tests_unit_test_bytes_SOURCES = tests/unit/test-bytes.c
tests_unit_test_bytes_LDADD = $(ESESS_CRYPTO_TEST_LDADD)
tests_unit_test_bytes_CPPFLAGS = $(ESESS_CRYPTO_TEST_CPPFLAGS)
tests_unit_test_crypto_SOURCES = tests/unit/test-crypto.c
tests_unit_test_crypto_LDADD = $(ESESS_CRYPTO_TEST_LDADD)
tests_unit_test_crypto_CPPFLAGS = $(ESESS_CRYPTO_TEST_CPPFLAGS)
tests_unit_test_modp_SOURCES = tests/unit/test-modp.c
tests_unit_test_modp_LDADD = $(ESESS_CRYPTO_TEST_LDADD)
tests_unit_test_modp_CPPFLAGS = $(ESESS_CRYPTO_TEST_CPPFLAGS)

EXTRA_DIST += \
	tests/vectors/rfc4231-hmac-sha256.txt \
	tests/vectors/sp800-38a-ctr.txt \
	tests/vectors/rfc3526-primes.txt \
	tests/vectors/digest14-keys.txt

# ---- fuzz targets (libFuzzer; tests/fuzz/run-smoke.sh runs them) ---------
if ENABLE_FUZZING
noinst_PROGRAMS += tests/fuzz/fuzz-base64 tests/fuzz/fuzz-mpi
tests_fuzz_fuzz_base64_SOURCES = tests/fuzz/fuzz-base64.c
tests_fuzz_fuzz_base64_LDADD = $(ESESS_CRYPTO_TEST_LDADD)
tests_fuzz_fuzz_base64_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_LDFLAGS)
tests_fuzz_fuzz_mpi_SOURCES = tests/fuzz/fuzz-mpi.c
tests_fuzz_fuzz_mpi_LDADD = $(ESESS_CRYPTO_TEST_LDADD)
tests_fuzz_fuzz_mpi_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_LDFLAGS)
endif

EXTRA_DIST += \
	tests/fuzz/fuzz-base64.c \
	tests/fuzz/fuzz-mpi.c \
	tests/fuzz/corpus/base64/abcd \
	tests/fuzz/corpus/base64/pad1 \
	tests/fuzz/corpus/base64/pad2 \
	tests/fuzz/corpus/base64/mac32 \
	tests/fuzz/corpus/base64/bad-junk \
	tests/fuzz/corpus/base64/bad-trailing-bits \
	tests/fuzz/corpus/mpi/g1-two \
	tests/fuzz/corpus/mpi/g1-p-minus-1 \
	tests/fuzz/corpus/mpi/g1-p-minus-2-full \
	tests/fuzz/corpus/mpi/g1-digest14-e \
	tests/fuzz/corpus/mpi/g1-leading-zero \
	tests/fuzz/corpus/mpi/g14-p \
	tests/fuzz/corpus/mpi/uint-max32
