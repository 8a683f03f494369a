#!/bin/sh
# The built plugin loads into a headless libpurple and unloads, however it
# links the engine (issue 14 item 3): its own copy (default) or the shared
# libesessions (--with-shared-engine; found in the build tree here, where an
# installed plugin finds it in libdir).  TAP output (plugin-load.c's).
builddir="${ESESS_BUILDDIR:-.}"
plugin="$builddir/plugin/purple/.libs/esessions.so"
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
if [ "${ESESS_SHARED_ENGINE:-no}" = yes ]; then
	LD_LIBRARY_PATH="$builddir/plugin/core/.libs${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
	export LD_LIBRARY_PATH
fi
# libpurple's own start and stop leak by design; the engine's memory is
# checked by the unit tests, not here
ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
export ASAN_OPTIONS
# no session bus: libpurple's D-Bus support stays quiet
DBUS_SESSION_BUS_ADDRESS=disabled: exec "$builddir/tests/unit/plugin-load" "$tmp" "$plugin"
