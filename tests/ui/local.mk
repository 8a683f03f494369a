# tests/ui: translations in `make check`; the user's side (Pidgin under Xvfb,
# Finch under tmux, both against a private Prosody and a headless bob from
# tests/e2e) in `make check-ui`, which prints TAP lines and a summary.

TESTS += tests/ui/check-po.sh tests/ui/check-i18n.sh
EXTRA_DIST += \
	tests/ui/check-po.sh \
	tests/ui/check-i18n.sh \
	tests/ui/check-i18n.py \
	tests/ui/esess_ui.py \
	tests/ui/run-ui.py

# check-ui: Pidgin (when built) under Xvfb and Finch under tmux, against a
# private Prosody on 127.0.0.1 with a headless bob (tests/e2e).  Screenshots and
# logs go to tests/ui/run/ in the build tree.  The catalogues are compiled into
# tests/ui/locale/ so that uninstalled runs can show German and French.
if HAVE_PIDGIN
# reads the clipboard for the Pidgin test (conversation text)
check_PROGRAMS += tests/ui/esess-clip
tests_ui_esess_clip_SOURCES = tests/ui/esess-clip.c
tests_ui_esess_clip_CPPFLAGS = $(AM_CPPFLAGS) $(PIDGIN_CFLAGS:-I%=-isystem %) \
	-DGLIB_DISABLE_DEPRECATION_WARNINGS
tests_ui_esess_clip_LDADD = $(PIDGIN_LIBS)
UI_GTK_PLUGIN = plugin/gtk/esessions-gtk.la tests/ui/esess-clip$(EXEEXT)
UI_SCENARIOS = pidgin pidgin-de pidgin-fr pidgin-differ pidgin-log finch finch-log prefs
else
UI_GTK_PLUGIN =
UI_SCENARIOS = finch finch-log prefs
endif

.PHONY: check-ui
check-ui: plugin/purple/esessions.la tests/e2e/esess-client$(EXEEXT) $(UI_GTK_PLUGIN) \
		tests/ui/locale.stamp
	$(E2E_ENV) \
	ESESS_GTK_PLUGIN='$(abs_top_builddir)/plugin/gtk/.libs/esessions-gtk.so' \
	ESESS_LOCALEDIR='$(abs_top_builddir)/tests/ui/locale' \
	ESESS_UI_RUNDIR='$(abs_top_builddir)/tests/ui/run' \
	ESESS_CLIP='$(abs_top_builddir)/tests/ui/esess-clip$(EXEEXT)' \
	/usr/bin/python3 $(abs_top_srcdir)/tests/ui/run-ui.py $(UI_SCENARIOS)

tests/ui/locale.stamp: $(srcdir)/po/LINGUAS $(wildcard $(srcdir)/po/*.po)
	@set -e; for l in `sed -e 's/#.*//' $(srcdir)/po/LINGUAS`; do \
		$(MKDIR_P) tests/ui/locale/$$l/LC_MESSAGES; \
		$(MSGFMT) -c -o tests/ui/locale/$$l/LC_MESSAGES/$(GETTEXT_PACKAGE).mo $(srcdir)/po/$$l.po; \
	done; touch $@

CLEANFILES += tests/ui/locale.stamp tests/ui/locale/*/LC_MESSAGES/$(GETTEXT_PACKAGE).mo
