# tests/protocol: two parties in memory (owner: negotiate).  The harness
# (neg-harness.c) drives EsessChat on both sides through the wire, with a
# relay that can rewrite stanzas (man in the middle, byte flips).

ESESS_PROTO_SOURCES = tests/protocol/neg-harness.c tests/protocol/neg-harness.h
ESESS_PROTO_LDADD = $(ESESS_NEG_TEST_LDADD)

check_PROGRAMS += tests/protocol/test-twoparty tests/protocol/test-mitm tests/protocol/test-byteflip
TESTS += tests/protocol/test-twoparty tests/protocol/test-mitm tests/protocol/test-byteflip
tests_protocol_test_twoparty_SOURCES = tests/protocol/test-twoparty.c $(ESESS_PROTO_SOURCES)
tests_protocol_test_twoparty_LDADD = $(ESESS_PROTO_LDADD)
tests_protocol_test_mitm_SOURCES = tests/protocol/test-mitm.c $(ESESS_PROTO_SOURCES)
tests_protocol_test_mitm_LDADD = $(ESESS_PROTO_LDADD)
tests_protocol_test_byteflip_SOURCES = tests/protocol/test-byteflip.c $(ESESS_PROTO_SOURCES)
tests_protocol_test_byteflip_LDADD = $(ESESS_PROTO_LDADD)

# issue 11 item 2: esess_chat_receive_c fails closed exactly as the complete way
check_PROGRAMS += tests/protocol/test-receive-c
TESTS += tests/protocol/test-receive-c
tests_protocol_test_receive_c_SOURCES = tests/protocol/test-receive-c.c $(ESESS_PROTO_SOURCES)
tests_protocol_test_receive_c_LDADD = $(ESESS_PROTO_LDADD)
