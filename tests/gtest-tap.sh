#!/bin/sh
# Runs one GTest binary with TAP output for automake's tap-driver.
# ESESS_TEST_WRAPPER (e.g. "valgrind --error-exitcode=99 ...") runs it under a tool.
prog="$1"; shift
# libtool wrapper scripts: run the real binary under the wrapper tool
if [ -n "$ESESS_TEST_WRAPPER" ]; then
	exec ${LIBTOOL:-libtool} --mode=execute $ESESS_TEST_WRAPPER "$prog" --tap "$@"
fi
exec "$prog" --tap "$@"
