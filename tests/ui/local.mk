# tests/ui: translations in `make check`; the user's side (Pidgin under Xvfb,
# Finch under tmux, both against a private Prosody and a headless bob from
# tests/e2e) in `make check-ui`, which prints TAP lines and a summary.

TESTS += tests/ui/check-po.sh tests/ui/check-i18n.sh
EXTRA_DIST += \
	tests/ui/check-po.sh \
	tests/ui/check-i18n.sh \
	tests/ui/check-i18n.py
