#!/bin/sh
# What the libraries export (issue 14 item 3).  libesessions.so exports
# exactly the functions its installed headers declare (ESESS_API), and no
# internal engine function; the plugin exports only purple_init_plugin and
# links the engine the way configure said (private copy, or the shared
# libesessions.so.0).  TAP output.
srcdir="${ESESS_SRCDIR:-$(dirname "$0")/../..}"
builddir="${ESESS_BUILDDIR:-.}"
lib="$builddir/plugin/core/.libs/libesessions.so"
plugin="$builddir/plugin/purple/.libs/esessions.so"
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT

# dynamic symbols a shared object defines (functions and data), one a line
exported() {
	nm -D --defined-only "$1" | awk 'NF == 3 && $2 ~ /^[TDBRVWiu]$/ { print $3 }' | sort -u
}

if [ "${ESESS_ENGINE_LIBRARY:-yes}" != yes ]; then
	echo "1..0 # SKIP configure --disable-engine-library"
	exit 0
fi
echo "1..7"

# every function the installed headers declare at file scope (not the
# static inline helpers), and those of them marked ESESS_API
: > "$tmp/declared"
: > "$tmp/marked"
for h in $ESESS_API_HEADER_LIST; do
	# drop comments, preprocessor lines, typedefs and the static inline
	# helpers (up to their closing brace), then one declaration a line
	sed -e 's|/\*.*\*/||g' "$srcdir/$h" |
		awk '/\/\*/ { c = 1 } !c { print } /\*\// { c = 0 }' |
		awk '/^static/ { s = 1 } !s { print } s && /^}/ { s = 0 }' |
		grep -vE '^[[:space:]]*(#|typedef)' |
		tr '\n' ' ' | tr ';' '\n' > "$tmp/decls"
	grep -oE '\b(esess|Esess)[A-Za-z0-9_]*[[:space:]]*\(' "$tmp/decls" |
		sed 's/[[:space:]]*($//' | grep -v '^Esess' >> "$tmp/declared"
	grep 'ESESS_API' "$tmp/decls" |
		grep -oE '\besess_[a-z0-9_]*[[:space:]]*\(' |
		sed 's/[[:space:]]*($//' >> "$tmp/marked"
done
sort -u "$tmp/declared" -o "$tmp/declared"
sort -u "$tmp/marked" -o "$tmp/marked"
n=$(wc -l < "$tmp/declared")
if [ "$n" -gt 40 ] && cmp -s "$tmp/declared" "$tmp/marked"; then
	echo "ok 1 - the installed headers declare $n functions, each marked ESESS_API"
else
	echo "not ok 1 - declared ($n) and marked ESESS_API differ:"
	diff "$tmp/declared" "$tmp/marked" | sed 's/^/# /'
fi

exported "$lib" > "$tmp/exported"
if cmp -s "$tmp/exported" "$tmp/marked"; then
	echo "ok 2 - libesessions.so exports exactly the $n public functions"
else
	echo "not ok 2 - libesessions.so exports differ from the public functions (< exported, > public):"
	diff "$tmp/exported" "$tmp/marked" | sed 's/^/# /'
fi

# internal functions that exist in the library's objects must stay hidden
bad=""
for f in esess_neg_initiate esess_session_decrypt esess_xml_parse esess_store_commit \
	esess_random esess_ct_equal esess_limiter_set_time esess_pubkey_from_keyvalue; do
	nm "$builddir/plugin/core/.libs/libesess-core.a" 2>/dev/null | grep -qE " T $f\$" ||
		bad="$bad $f(not-in-engine)"
	grep -qx "$f" "$tmp/exported" && bad="$bad $f"
done
if [ -z "$bad" ]; then
	echo "ok 3 - internal engine functions are hidden (esess_neg_initiate, esess_session_decrypt, ...)"
else
	echo "not ok 3 - internal functions exported or missing:$bad"
fi

soname=$(objdump -p "$lib" | awk '$1 == "SONAME" { print $2 }')
if [ "$soname" = "libesessions.so.0" ]; then
	echo "ok 4 - SONAME is $soname"
else
	echo "not ok 4 - SONAME is '$soname', expected libesessions.so.0"
fi

exported "$plugin" > "$tmp/plugin-exported"
if [ "$(cat "$tmp/plugin-exported")" = "purple_init_plugin" ]; then
	echo "ok 5 - the plugin exports only purple_init_plugin"
else
	echo "not ok 5 - the plugin exports more than purple_init_plugin:"
	head -n 20 "$tmp/plugin-exported" | sed 's/^/# /'
fi

needed=$(objdump -p "$plugin" | awk '$1 == "NEEDED" { print $2 }')
case "${ESESS_SHARED_ENGINE:-no}:$needed" in
yes:*libesessions.so.0*)
	echo "ok 6 - --with-shared-engine: the plugin needs libesessions.so.0" ;;
no:*libesessions*)
	echo "not ok 6 - the plugin needs libesessions although configured with a private copy" ;;
no:*)
	echo "ok 6 - the plugin carries its own copy of the engine (no libesessions.so needed)" ;;
*)
	echo "not ok 6 - --with-shared-engine, yet the plugin does not need libesessions.so.0" ;;
esac

# a plugin with the engine inside holds engine code; a shared one does not
if nm "$plugin" 2>/dev/null | grep -qE ' [tT] esess_neg_initiate$'; then
	inside=yes
else
	inside=no
fi
if { [ "${ESESS_SHARED_ENGINE:-no}" = yes ] && [ $inside = no ]; } ||
   { [ "${ESESS_SHARED_ENGINE:-no}" != yes ] && [ $inside = yes ]; }; then
	echo "ok 7 - engine code inside the plugin: $inside (shared engine: ${ESESS_SHARED_ENGINE:-no})"
else
	echo "not ok 7 - engine code inside the plugin: $inside (shared engine: ${ESESS_SHARED_ENGINE:-no})"
fi
