#!/bin/sh
# The esession tool runs a whole session between two processes (see
# check-cli.py).  TAP output.
srcdir="${ESESS_SRCDIR:-$(dirname "$0")/../..}"
builddir="${ESESS_BUILDDIR:-.}"
if [ "${ESESS_ENGINE_LIBRARY:-yes}" != yes ]; then
	echo "1..0 # SKIP configure --disable-engine-library"
	exit 0
fi
exec /usr/bin/python3 "$srcdir/tests/unit/check-cli.py" "$builddir/tools/esession"
