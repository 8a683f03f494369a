#!/bin/sh
# The API reference (issue 14 item 3): doxygen over the installed headers
# gives no warning (every public function, type, member and constant is
# documented, every parameter described) and has an entry for each public
# function.  TAP output.
srcdir="${ESESS_SRCDIR:-$(dirname "$0")/../..}"
builddir="${ESESS_BUILDDIR:-.}"
echo "1..2"
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
if [ -z "$DOXYGEN" ] || ! [ -x "$DOXYGEN" ]; then
	echo "not ok 1 - doxygen not found (scripts/setup-deps installs it; then configure again)"
	echo "not ok 2 - no API reference"
	exit 0
fi
# the configured Doxyfile, writing into the temporary directory
{ cat "$builddir/doc/Doxyfile"
  echo "OUTPUT_DIRECTORY = $tmp"
  echo "WARN_LOGFILE = $tmp/warnings.log"; } > "$tmp/Doxyfile"
if "$DOXYGEN" "$tmp/Doxyfile" > "$tmp/out.log" 2>&1 && [ -f "$tmp/warnings.log" ] &&
   ! [ -s "$tmp/warnings.log" ]; then
	echo "ok 1 - doxygen runs over the installed headers without a warning"
else
	echo "not ok 1 - doxygen failed or warned:"
	cat "$tmp/out.log" "$tmp/warnings.log" 2>/dev/null | head -n 30 | sed 's/^/# /'
fi
missing=""
for h in $ESESS_API_HEADER_LIST; do
	for f in $(grep -oE 'ESESS_API [^(]*\besess_[a-z0-9_]+\(' "$srcdir/$h" |
		grep -oE 'esess_[a-z0-9_]+\($' | tr -d '('); do
		grep -q "<li>$f()&#160;" "$tmp/html/globals_func.html" 2>/dev/null || missing="$missing $f"
	done
done
if [ -z "$missing" ]; then
	echo "ok 2 - the reference has an entry for every public function"
else
	echo "not ok 2 - not in the reference:$missing"
fi
