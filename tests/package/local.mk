# tests/package: the Debian package (debian/) built from a clean copy of the
# source, checked with lintian, unpacked into a fresh root, and its installed
# plugin loaded into headless libpurple clients.  Not part of `make check`:
# it runs dpkg-buildpackage (about a minute); tests/run-all calls it.

EXTRA_DIST += tests/package/check-deb.sh tests/package/deb-e2e.py

.PHONY: check-deb
check-deb: tests/e2e/esess-client$(EXEEXT)
	ESESS_SRCDIR='$(abs_top_srcdir)' \
	ESESS_BUILDDIR='$(abs_top_builddir)' \
	ESESS_CLIENT='$(abs_top_builddir)/tests/e2e/esess-client$(EXEEXT)' \
	$(SHELL) $(abs_top_srcdir)/tests/package/check-deb.sh
