# tests/interop: an independent Gajim-profile peer (owner: interop).
# `make check-interop` runs our plugin (the headless libpurple client of
# tests/e2e) against tests/interop/gajim_peer.py, a Python 3 ESession peer
# written from Gajim's observed behaviour (doc/wire-profile.md R20), through
# a private Prosody on 127.0.0.1.
# Prints TAP lines and "N passed, N failed"; exits non-zero on failure.
# Needs python3-cryptography (AES block function).

EXTRA_DIST += \
	tests/interop/gajim_peer.py \
	tests/interop/run-interop.py

.PHONY: check-interop
check-interop: tests/e2e/esess-client$(EXEEXT) plugin/purple/esessions.la
	$(E2E_ENV) /usr/bin/python3 $(abs_top_srcdir)/tests/interop/run-interop.py
