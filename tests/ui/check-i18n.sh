#!/bin/sh
# Runs check-i18n.py (no user-visible string escapes translation; every
# catalogue in po/LINGUAS has the right headers and keeps what the msgids
# need); TAP output.
srcdir="${ESESS_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}"
exec /usr/bin/python3 "$srcdir/tests/ui/check-i18n.py"
