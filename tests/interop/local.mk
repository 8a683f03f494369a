# tests/interop: an independent Gajim-profile peer (owner: interop).
# `make check-interop` first checks that the peer writes Gajim's own stanzas
# (test-gajim-shapes.py, against tests/interop/vectors/, no network), then runs
# our plugin (the headless libpurple client of tests/e2e) against
# tests/interop/gajim_peer.py, a Python 3 ESession peer written from Gajim's
# observed behaviour (doc/wire-profile.md R20) and Gajim's own output,
# through a private Prosody on 127.0.0.1.
# Prints TAP lines and "N passed, N failed"; exits non-zero on failure.
# `make check-interop-long` (outside the CI suite) runs ESESS_INTEROP_LONG
# sessions each way in a row (default 100) and requires 0 failures.
# Needs python3-cryptography (AES block function).

EXTRA_DIST += \
	tests/interop/gajim_peer.py \
	tests/interop/run-interop.py \
	tests/interop/test-gajim-shapes.py \
	tests/interop/vectors/README.md \
	tests/interop/vectors/gajim-rounds.txt

.PHONY: check-interop check-interop-long
check-interop: tests/e2e/esess-client$(EXEEXT) plugin/purple/esessions.la
	@rc=0; \
	/usr/bin/python3 $(abs_top_srcdir)/tests/interop/test-gajim-shapes.py || rc=1; \
	$(E2E_ENV) /usr/bin/python3 $(abs_top_srcdir)/tests/interop/run-interop.py || rc=1; \
	exit $$rc

check-interop-long: tests/e2e/esess-client$(EXEEXT) plugin/purple/esessions.la
	$(E2E_ENV) ESESS_INTEROP_LONG=$${ESESS_INTEROP_LONG:-100} \
	/usr/bin/python3 $(abs_top_srcdir)/tests/interop/run-interop.py
