# plugin/core/negotiate.mk: the negotiation engine (XEP-0155/0116), the
# message inspector, the chat façade and the SAS.  Owned by "negotiate".

noinst_LTLIBRARIES += plugin/core/libesess-neg.la
plugin_core_libesess_neg_la_SOURCES = \
	plugin/core/esess-negotiate.c \
	plugin/core/esess-negotiate.h \
	plugin/core/esess-neg-private.h \
	plugin/core/esess-neg-init.c \
	plugin/core/esess-neg-resp.c \
	plugin/core/esess-neg-pubkey.c \
	plugin/core/esess-neg-identity.c \
	plugin/core/esess-offline.c \
	plugin/core/esess-offline.h \
	plugin/core/esess-offline-private.h \
	plugin/core/esess-offline-session.c \
	plugin/core/esess-keypool.c \
	plugin/core/esess-msg.c \
	plugin/core/esess-chat.c \
	plugin/core/esess-chat.h \
	plugin/core/esess-chat-private.h \
	plugin/core/esess-chat-out.c \
	plugin/core/esess-sas.c \
	plugin/core/esess-sas.h
plugin_core_libesess_neg_la_CFLAGS = $(ESESS_CORE_CFLAGS)
# No LIBADD: libesess-core.la bundles the module libraries (plugin/core/local.mk).
ESESS_CORE_LIBADD += plugin/core/libesess-neg.la

ESESS_NEG_TEST_LDADD = $(ESESS_CORE) $(ESESS_CORE_DEPLIBS)

ESESS_NEG_PAIR_SOURCES = tests/unit/neg-pair.c tests/unit/neg-pair.h \
	tests/protocol/neg-harness.c tests/protocol/neg-harness.h

check_PROGRAMS += tests/unit/test-negotiate tests/unit/test-neg-security \
	tests/unit/test-neg-state tests/unit/test-msg tests/unit/test-sas-r23 \
	tests/unit/test-neg-pubkey tests/unit/test-offline \
	tests/unit/test-offline-session
TESTS += tests/unit/test-negotiate tests/unit/test-neg-security \
	tests/unit/test-neg-state tests/unit/test-msg tests/unit/test-sas-r23 \
	tests/unit/test-neg-pubkey tests/unit/test-offline \
	tests/unit/test-offline-session
tests_unit_test_negotiate_SOURCES = tests/unit/test-negotiate.c $(ESESS_NEG_PAIR_SOURCES)
tests_unit_test_negotiate_LDADD = $(ESESS_NEG_TEST_LDADD) -ldl
tests_unit_test_neg_security_SOURCES = tests/unit/test-neg-security.c $(ESESS_NEG_PAIR_SOURCES)
tests_unit_test_neg_security_LDADD = $(ESESS_NEG_TEST_LDADD)
tests_unit_test_neg_state_SOURCES = tests/unit/test-neg-state.c $(ESESS_NEG_PAIR_SOURCES)
tests_unit_test_neg_state_LDADD = $(ESESS_NEG_TEST_LDADD)
tests_unit_test_sas_r23_SOURCES = tests/unit/test-sas-r23.c $(ESESS_NEG_PAIR_SOURCES)
tests_unit_test_sas_r23_LDADD = $(ESESS_NEG_TEST_LDADD)
tests_unit_test_neg_pubkey_SOURCES = tests/unit/test-neg-pubkey.c $(ESESS_NEG_PAIR_SOURCES)
tests_unit_test_neg_pubkey_LDADD = $(ESESS_NEG_TEST_LDADD)
tests_unit_test_offline_SOURCES = tests/unit/test-offline.c $(ESESS_NEG_PAIR_SOURCES)
tests_unit_test_offline_LDADD = $(ESESS_NEG_TEST_LDADD)
tests_unit_test_offline_session_SOURCES = tests/unit/test-offline-session.c $(ESESS_NEG_PAIR_SOURCES)
tests_unit_test_offline_session_LDADD = $(ESESS_NEG_TEST_LDADD)
tests_unit_test_msg_SOURCES = tests/unit/test-msg.c
tests_unit_test_msg_LDADD = $(ESESS_NEG_TEST_LDADD)

EXTRA_DIST += \
	tests/vectors/neg-r3-keys.txt \
	tests/vectors/neg-r6-identity-mac.txt \
	tests/vectors/neg-r7-m1-form.txt \
	tests/vectors/neg-r8-sas.txt \
	tests/vectors/neg-r23-sas.txt \
	tests/vectors/neg-r9-retained.txt

if ENABLE_FUZZING
noinst_PROGRAMS += tests/fuzz/fuzz-neg-inspect tests/fuzz/fuzz-neg-respond
tests_fuzz_fuzz_neg_inspect_SOURCES = tests/fuzz/fuzz-neg-inspect.c
tests_fuzz_fuzz_neg_inspect_LDADD = $(ESESS_NEG_TEST_LDADD)
tests_fuzz_fuzz_neg_inspect_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_LDFLAGS)
tests_fuzz_fuzz_neg_respond_SOURCES = tests/fuzz/fuzz-neg-respond.c
tests_fuzz_fuzz_neg_respond_LDADD = $(ESESS_NEG_TEST_LDADD)
tests_fuzz_fuzz_neg_respond_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_LDFLAGS)
endif
EXTRA_DIST += tests/fuzz/fuzz-neg-inspect.c tests/fuzz/fuzz-neg-respond.c

# tests/unit/test-neighbour-*: another component set up libgcrypt first (issue
# 11 item 4); one process per set-up, since libgcrypt is set up once
NEIGHBOUR_PROGS = tests/unit/test-neighbour-pool16k tests/unit/test-neighbour-pool32k \
	tests/unit/test-neighbour-nosecmem tests/unit/test-neighbour-handlers
check_PROGRAMS += $(NEIGHBOUR_PROGS)
TESTS += $(NEIGHBOUR_PROGS)
tests_unit_test_neighbour_pool16k_SOURCES = tests/unit/test-neighbour.c $(ESESS_NEG_PAIR_SOURCES)
tests_unit_test_neighbour_pool16k_CPPFLAGS = $(AM_CPPFLAGS) -DNEIGHBOUR_POOL=16384
tests_unit_test_neighbour_pool16k_LDADD = $(ESESS_NEG_TEST_LDADD)
tests_unit_test_neighbour_pool32k_SOURCES = tests/unit/test-neighbour.c $(ESESS_NEG_PAIR_SOURCES)
tests_unit_test_neighbour_pool32k_CPPFLAGS = $(AM_CPPFLAGS) -DNEIGHBOUR_POOL=32768
tests_unit_test_neighbour_pool32k_LDADD = $(ESESS_NEG_TEST_LDADD)
tests_unit_test_neighbour_nosecmem_SOURCES = tests/unit/test-neighbour.c $(ESESS_NEG_PAIR_SOURCES)
tests_unit_test_neighbour_nosecmem_CPPFLAGS = $(AM_CPPFLAGS) -DNEIGHBOUR_NOSECMEM
tests_unit_test_neighbour_nosecmem_LDADD = $(ESESS_NEG_TEST_LDADD)
tests_unit_test_neighbour_handlers_SOURCES = tests/unit/test-neighbour.c $(ESESS_NEG_PAIR_SOURCES)
tests_unit_test_neighbour_handlers_CPPFLAGS = $(AM_CPPFLAGS) -DNEIGHBOUR_HANDLERS
tests_unit_test_neighbour_handlers_LDADD = $(ESESS_NEG_TEST_LDADD)
