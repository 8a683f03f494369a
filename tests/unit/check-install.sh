#!/bin/sh
# The engine as others get it (issue 14 item 3): install libesessions, its
# headers, esessions-0.pc and the esession tool into a DESTDIR; only the
# public headers are installed and each compiles on its own with the
# pkg-config flags; a program written against <esessions.h> alone builds
# from the installed .pc and runs a whole session; so does the esession
# tool's source, and the installed tool runs.  TAP output.
srcdir="${ESESS_SRCDIR:-$(dirname "$0")/../..}"
builddir="${ESESS_BUILDDIR:-.}"
: "${MAKE:=make}" "${CC:=cc}" "${PKG_CONFIG:=pkg-config}"

if [ "${ESESS_ENGINE_LIBRARY:-yes}" != yes ]; then
	echo "1..0 # SKIP configure --disable-engine-library"
	exit 0
fi
echo "1..9"
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
dest="$tmp/dest"

# the paths configure chose (the .pc in the build tree has them)
pcvar() {
	PKG_CONFIG_PATH="$builddir/plugin/core" $PKG_CONFIG --variable="$1" esessions-0
}
libdir=$(pcvar libdir)
includedir=$(pcvar includedir)

# no jobserver of the calling make: this is a make of its own
if MAKEFLAGS= $MAKE -C "$builddir" DESTDIR="$dest" install-libLTLIBRARIES \
	install-esessionsincludeHEADERS install-pkgconfigDATA install-binPROGRAMS install-man1 \
	> "$tmp/install.log" 2>&1; then
	echo "ok 1 - make install (library, headers, pkg-config file, esession and its manual) into a DESTDIR"
else
	echo "not ok 1 - make install into a DESTDIR failed:"
	tail -n 20 "$tmp/install.log" | sed 's/^/# /'
fi

# exactly the public headers, nothing internal
expected=$(for h in $ESESS_API_HEADER_LIST; do basename "$h"; done | sort | tr '\n' ' ')
got=$(ls "$dest$includedir/esessions-0" 2>/dev/null | sort | tr '\n' ' ')
if [ -n "$expected" ] && [ "$got" = "$expected" ] &&
   [ -e "$dest$libdir/libesessions.so.0" ] && [ -e "$dest$libdir/pkgconfig/esessions-0.pc" ]; then
	echo "ok 2 - installed: libesessions.so.0, esessions-0.pc and the headers $got"
else
	echo "not ok 2 - installed headers '$got', expected '$expected' (or the library or .pc is missing)"
fi

# the installed .pc with its paths moved into the DESTDIR (a line that
# names a directory outside the prefix gets the DESTDIR in front)
mkdir -p "$tmp/pc"
sed -e "s#^\(prefix\|exec_prefix\|libdir\|includedir\)=/#\1=$dest/#" \
	"$dest$libdir/pkgconfig/esessions-0.pc" > "$tmp/pc/esessions-0.pc" 2>/dev/null
pc() {
	PKG_CONFIG_PATH="$tmp/pc" $PKG_CONFIG "$@" esessions-0
}
cflags=$(pc --cflags)
libs=$(pc --libs)
version=$(pc --modversion)
expect_version=$(sed -n 's/^AC_INIT(\[[^]]*\], *\[\([^]]*\)\].*/\1/p' "$srcdir/configure.ac")
case "$cflags" in
*"-I$dest$includedir/esessions-0"*)
	if [ "$version" = "$expect_version" ] && [ "$(pc --print-requires)" = glib-2.0 ]; then
		echo "ok 3 - pkg-config esessions-0: version $version, requires glib-2.0, the installed include dir"
	else
		echo "not ok 3 - pkg-config esessions-0: version '$version' (expected $expect_version), requires '$(pc --print-requires)'"
	fi ;;
*)	echo "not ok 3 - pkg-config --cflags esessions-0 gives '$cflags'" ;;
esac

# each installed header alone, then the umbrella alone, strict C99
strict="-std=c99 -pedantic-errors -Wall -Wextra -Werror -Wmissing-prototypes -Wstrict-prototypes"
# a sanitizer build of the library needs its runtime in the program too
san="${ESESS_SAN_FLAGS:-}"
bad=""
for h in "$dest$includedir"/esessions-0/*.h; do
	printf '#include <%s>\ntypedef int esess_not_empty;\n' "$(basename "$h")" > "$tmp/one.c"
	# shellcheck disable=SC2086
	$CC $strict $cflags -c "$tmp/one.c" -o "$tmp/one.o" > "$tmp/one.log" 2>&1 ||
		bad="$bad $(basename "$h")"
done
if [ -z "$bad" ]; then
	echo "ok 4 - every installed header compiles on its own (C99, -pedantic-errors, -Werror)"
else
	echo "not ok 4 - these installed headers do not compile on their own:$bad"
	sed 's/^/# /' "$tmp/one.log" | head -n 10
fi

# the consumer includes only <esessions.h> and is built from the .pc alone
# shellcheck disable=SC2086
if $CC $strict $san $cflags "$srcdir/tests/unit/lib-consumer.c" -o "$tmp/consumer" $libs \
	> "$tmp/cc.log" 2>&1; then
	echo "ok 5 - a program using <esessions.h> builds with pkg-config esessions-0"
else
	echo "not ok 5 - building against the installed library failed:"
	sed 's/^/# /' "$tmp/cc.log" | head -n 20
fi

# it runs against the installed library (not the build tree's)
LD_LIBRARY_PATH="$dest$libdir" "$tmp/consumer" > "$tmp/run.log" 2>&1
rc=$?
resolved=$(LD_LIBRARY_PATH="$dest$libdir" ldd "$tmp/consumer" 2>/dev/null | awk '/libesessions/ { print $3 }')
if [ $rc -eq 0 ] && grep -q '^1\.\.5$' "$tmp/run.log" && [ "$(grep -c '^ok ' "$tmp/run.log")" -eq 5 ] &&
   [ "$resolved" = "$dest$libdir/libesessions.so.0" ]; then
	echo "ok 6 - it runs a session against the installed libesessions.so.0 (established, same SAS, message, terminate)"
else
	echo "not ok 6 - the program failed (exit $rc, libesessions from '$resolved'):"
	sed 's/^/# /' "$tmp/run.log"
fi

# the esession tool: its source needs nothing but the installed API
# shellcheck disable=SC2086
if $CC $strict $san -D_POSIX_C_SOURCE=200809L $cflags "$srcdir/tools/esession-cli.c" \
	-o "$tmp/esession" $libs > "$tmp/cli.log" 2>&1; then
	echo "ok 7 - tools/esession-cli.c builds against the installed headers and .pc alone"
else
	echo "not ok 7 - tools/esession-cli.c does not build against the installed API:"
	sed 's/^/# /' "$tmp/cli.log" | head -n 20
fi
exe=$(find "$dest" -type f -name esession | head -n 1)
if [ -n "$exe" ] && LD_LIBRARY_PATH="$dest$libdir" "$exe" --version > "$tmp/v.log" 2>&1 &&
   grep -q "libesessions $expect_version" "$tmp/v.log"; then
	echo "ok 8 - the installed esession runs: $(cat "$tmp/v.log")"
else
	echo "not ok 8 - the installed esession does not run (${exe:-not installed}):"
	sed 's/^/# /' "$tmp/v.log" 2>/dev/null | head -n 5
fi
page=$(find "$dest" -type f -name esession.1 | head -n 1)
if [ -n "$page" ] && LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings=w -l "$page" > "$tmp/man.txt" 2> "$tmp/man.err" &&
   ! [ -s "$tmp/man.err" ] && grep -q -- '--initiate' "$tmp/man.txt"; then
	echo "ok 9 - the manual page esession(1) is installed and man renders it without a warning"
else
	echo "not ok 9 - esession.1 missing or man warns (${page:-not installed}):"
	sed 's/^/# /' "$tmp/man.err" 2>/dev/null | head -n 5
fi
