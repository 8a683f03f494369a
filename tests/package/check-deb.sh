#!/usr/bin/env bash
# tests/package/check-deb.sh: the Debian package as a user gets it (TAP).
#
# Builds pidgin-esessions with dpkg-buildpackage from a clean copy of the
# source (`make distdir`: what a release tarball holds, so a file missing
# from EXTRA_DIST fails here), runs lintian (errors and warnings fail),
# unpacks the .deb into a fresh root with dpkg -x, checks its file list,
# owners and modes, the plugin's exported symbols and the paths compiled into
# it, then loads the INSTALLED plugin into two headless libpurple clients
# (tests/e2e/esess-client) that set up a private session through a private
# Prosody, both installed plugins into Pidgin under Xvfb (in German, with the
# package's icons and catalogue), and the plugin into Finch under tmux (in
# French) where alice accepts a session (deb-e2e.py).  When debian/control
# also builds the engine's packages (libesessions0, libesessions-dev,
# esession), a program is compiled against the unpacked header and .pc and
# run on the unpacked library, and so is the unpacked esession tool.
#
# Run through `make check-deb` (needs ESESS_BUILDDIR, a configured build
# tree, and the client built there).  ESESS_DEB_JOBS: make -j of the package
# build (default 2).  ESESS_DEB_KEEP=1 keeps the scratch directory.
set -u

srcdir="${ESESS_SRCDIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
builddir="${ESESS_BUILDDIR:?run through make check-deb}"
export ESESS_CLIENT="${ESESS_CLIENT:-$builddir/tests/e2e/esess-client}"
jobs="${ESESS_DEB_JOBS:-2}"

# the package build runs its own make: it must not join this one's jobserver
unset MAKEFLAGS MFLAGS MAKELEVEL MAKEOVERRIDES

work="$(mktemp -d "${TMPDIR:-/tmp}/esess-deb.XXXXXX")"
cleanup() {
	if [ "${ESESS_DEB_KEEP:-0}" = 1 ]; then
		echo "# kept $work"
	else
		rm -rf "$work"
	fi
}
trap cleanup EXIT

n=0
failed=0
ok() {
	n=$((n + 1))
	echo "ok $n - $1"
}
not_ok() {
	n=$((n + 1))
	failed=$((failed + 1))
	echo "not ok $n - $1"
	shift
	local l
	for l in "$@"; do
		printf '%s\n' "$l" | sed 's/^/#   /'
	done
}
# check DESCRIPTION COMMAND...: one TAP line from a command's status
check() {
	local what="$1" out
	shift
	if out="$("$@" 2>&1)"; then
		ok "$what"
	else
		not_ok "$what" "$out"
	fi
}
finish() {
	echo "1..$n"
	echo "# $((n - failed)) passed, $failed failed"
	[ "$failed" -eq 0 ]
	exit
}
bail() {
	not_ok "$@"
	finish
}

for tool in dpkg-buildpackage dpkg-deb lintian dh_autoreconf; do
	command -v "$tool" >/dev/null 2>&1 ||
		bail "$tool is installed (scripts/setup-deps installs it)"
done

version="$(sed -n 's/^PACKAGE_VERSION = //p' "$builddir/Makefile")"
package="$(sed -n 's/^PACKAGE = //p' "$builddir/Makefile")"
multiarch="$(dpkg-architecture -qDEB_HOST_MULTIARCH)"
arch="$(dpkg-architecture -qDEB_HOST_ARCH)"

# ---- 1. the changelog names the version configure.ac has (a native
# package: no Debian revision)
clversion="$(dpkg-parsechangelog -l "$srcdir/debian/changelog" -S Version)"
if [ "$clversion" = "$version" ]; then
	ok "debian/changelog version $clversion is configure.ac's"
else
	not_ok "debian/changelog version $clversion is configure.ac's ($version)"
fi

# ---- 2. a clean source tree, as the release tarball has it
rm -rf "${builddir:?}/$package-$version"
if make -s -C "$builddir" distdir >"$work/distdir.log" 2>&1 &&
	mv "$builddir/$package-$version" "$work/"; then
	ok "make distdir gives a clean source tree with debian/"
else
	bail "make distdir gives a clean source tree with debian/" "$(tail -n 20 "$work/distdir.log")"
fi
src="$work/$package-$version"

# ---- 3. the package builds with the distribution's tools (dpkg-buildpackage
# also checks that debian/control's Build-Depends are installed)
t0=$SECONDS
if (cd "$src" && DEB_BUILD_OPTIONS="parallel=$jobs" dpkg-buildpackage -us -uc -b) \
	>"$work/build.log" 2>&1; then
	ok "dpkg-buildpackage -us -uc -b builds the package ($((SECONDS - t0)) s)"
else
	bail "dpkg-buildpackage -us -uc -b builds the package" "$(tail -n 40 "$work/build.log")"
fi
# functions added to the library since debian/libesessions0.symbols was
# last updated: not a failure (dpkg-gensymbols fails only when one
# disappears at a later version), but the file should list them
if grep -q 'dpkg-gensymbols: warning: some new symbols' "$work/build.log"; then
	echo "# debian/libesessions0.symbols lacks new functions of the library:"
	sed -n 's/^+ \(esess_[^ ]*\).*/#   \1/p' "$work/build.log"
fi
deb="$work/pidgin-esessions_${version}_${arch}.deb"
changes="$work/${package}_${version}_${arch}.changes"
[ -f "$deb" ] || bail "the build made $(basename "$deb")" "$(ls "$work")"

# ---- 4. lintian: no error, no warning; the rest is shown
lintian_out="$(lintian --display-info --fail-on error,warning "$changes" 2>&1)"
lintian_rc=$?
lintian_out="$(printf '%s\n' "$lintian_out" | grep -v '^running with root privileges')"
if [ "$lintian_rc" -eq 0 ] && ! printf '%s\n' "$lintian_out" | grep -q '^[EW]: '; then
	ok "lintian: no errors, no warnings"
	[ -n "$lintian_out" ] && printf '%s\n' "$lintian_out" | sed 's/^/# lintian: /'
else
	not_ok "lintian: no errors, no warnings" "$lintian_out"
fi

# ---- 5. control fields
field() {
	dpkg-deb -f "$deb" "$1"
}
depends="$(field Depends)"
enhances="$(field Enhances)"
if [ "$(field Package)" = pidgin-esessions ] &&
	printf '%s\n' "$depends" | grep -q '\blibpurple0\b' &&
	printf '%s\n' "$enhances" | grep -q '\bpidgin\b' &&
	printf '%s\n' "$enhances" | grep -q '\bfinch\b'; then
	ok "control: Depends has libpurple0, Enhances pidgin and finch"
else
	not_ok "control: Depends has libpurple0, Enhances pidgin and finch" \
		"Depends: $depends" "Enhances: $enhances"
fi

# every binary package of the build would install here: its dependencies
# exist and are satisfiable (apt only simulates)
debs=()
for f in "$work"/*_"${version}"_*.deb; do
	case "$f" in *-dbgsym_*) ;; *) debs+=("$f") ;; esac
done
if out="$(apt-get install -s "${debs[@]}" 2>&1)"; then
	ok "apt-get would install $(printf '%s ' "${debs[@]##*/}")"
else
	not_ok "apt-get would install the packages" "$out"
fi

# ---- 6. owners and modes, as dpkg will install them
listing="$(dpkg-deb -c "$deb")"
bad="$(printf '%s\n' "$listing" | awk '
	$2 != "root/root" { print "owner: " $0; next }
	/^d/ && $1 != "drwxr-xr-x" { print "mode: " $0; next }
	/^-/ && $1 != "-rw-r--r--" { print "mode: " $0; next }
	/^[^d-]/ { print "not a file or directory: " $0 }')"
if [ -z "$bad" ]; then
	ok "every file is root-owned, 0644 (plugins too), directories 0755"
else
	not_ok "every file is root-owned, 0644 (plugins too), directories 0755" "$bad"
fi
outside="$(printf '%s\n' "$listing" | awk '{ print $6 }' | grep -v -e '^\./$' -e '^\./usr/' || true)"
libtool="$(printf '%s\n' "$listing" | awk '{ print $6 }' | grep '\.la$' || true)"
if [ -z "$outside$libtool" ]; then
	ok "everything is under /usr, no libtool .la files"
else
	not_ok "everything is under /usr, no libtool .la files" "$(printf '%s\n' $outside $libtool)"
fi

# ---- 7. unpack into a fresh root and check the file list
root="$work/root"
mkdir "$root"
check "dpkg -x unpacks the package into a fresh root" dpkg -x "$deb" "$root"
plugindir="$root/usr/lib/$multiarch/purple-2"
pidgindir="$root/usr/lib/$multiarch/pidgin"
plugin="$plugindir/esessions.so"
gtkplugin="$pidgindir/esessions-gtk.so"
pixmaps="$root/usr/share/pixmaps/purple-esessions"
missing=()
for f in "$plugin" "$gtkplugin" \
	"$root/usr/share/doc/pidgin-esessions/copyright" \
	"$root/usr/share/doc/pidgin-esessions/changelog.gz" \
	"$root/usr/share/doc/pidgin-esessions/README.gz"; do
	[ -f "$f" ] || missing+=("${f#"$root"}")
done
[ ${#missing[@]} -eq 0 ] && ok "the libpurple plugin, the Pidgin extra and the documents are there" ||
	not_ok "the libpurple plugin, the Pidgin extra and the documents are there" "${missing[@]}"

# every language of po/LINGUAS, as a catalogue gettext can read
missing=()
for lang in $(sed 's/#.*//' "$srcdir/po/LINGUAS"); do
	mo="$root/usr/share/locale/$lang/LC_MESSAGES/$package.mo"
	if [ ! -f "$mo" ]; then
		missing+=("${mo#"$root"}: missing")
	elif ! msgunfmt "$mo" 2>/dev/null | grep -q '^msgstr "[^"]'; then
		missing+=("${mo#"$root"}: no translation in it")
	fi
done
[ ${#missing[@]} -eq 0 ] && ok "a translation catalogue for every language in po/LINGUAS" ||
	not_ok "a translation catalogue for every language in po/LINGUAS" "${missing[@]}"

# every state icon (pixmaps/*.svg) in every size the Pidgin extra uses
missing=()
for svg in "$srcdir"/pixmaps/esess-*.svg; do
	name="$(basename "$svg" .svg)"
	for f in 16/$name.png 22/$name.png 24/$name.png scalable/$name.svg; do
		[ -s "$pixmaps/$f" ] || missing+=("${pixmaps#"$root"}/$f")
	done
done
[ ${#missing[@]} -eq 0 ] && ok "every state icon in 16, 22, 24 px and scalable" ||
	not_ok "every state icon in 16, 22, 24 px and scalable" "${missing[@]}"

# ---- 8. the plugins as shared objects
exports() {
	nm -D --defined-only "$1" | awk '{ print $3 }' | sort -u | tr '\n' ' '
}
for so in "$plugin" "$gtkplugin"; do
	got="$(exports "$so")"
	if [ "$got" = "purple_init_plugin " ]; then
		ok "$(basename "$so") exports purple_init_plugin only"
	else
		not_ok "$(basename "$so") exports purple_init_plugin only" "exports: $got"
	fi
done
dyn="$(readelf -d "$plugin" "$gtkplugin" 2>&1)"
if ! printf '%s\n' "$dyn" | grep -q -e RPATH -e RUNPATH &&
	[ "$(printf '%s\n' "$dyn" | grep -c 'Flags:.*NOW')" -ge 2 ]; then
	ok "no RPATH, RELRO with BIND_NOW in both plugins"
else
	not_ok "no RPATH, RELRO with BIND_NOW in both plugins" "$dyn"
fi
unresolved="$(ldd "$plugin" 2>&1 | grep 'not found' || true)"
[ -z "$unresolved" ] && ok "every library esessions.so needs is found" ||
	not_ok "every library esessions.so needs is found" "$unresolved"

# the directories compiled in are the ones the package fills: the text
# domain's (plugin) and the icons' (Pidgin extra)
if grep -qa '/usr/share/locale' "$plugin" && [ -d "$root/usr/share/locale" ]; then
	ok "the plugin looks for its translations in /usr/share/locale"
else
	not_ok "the plugin looks for its translations in /usr/share/locale"
fi
if grep -qa '/usr/share/pixmaps/purple-esessions' "$gtkplugin" && [ -d "$pixmaps" ]; then
	ok "the Pidgin extra looks for its icons in /usr/share/pixmaps/purple-esessions"
else
	not_ok "the Pidgin extra looks for its icons in /usr/share/pixmaps/purple-esessions" \
		"$(strings "$gtkplugin" | grep pixmaps)"
fi

# ---- 9. the INSTALLED plugin in two headless libpurple clients, then both
# plugins in Pidgin and the plugin in Finch, with the package's icons and
# catalogues
if [ ! -x "$ESESS_CLIENT" ]; then
	bail "the headless client is built ($ESESS_CLIENT)"
fi
t0=$SECONDS
ESESS_PLUGIN="$plugin" ESESS_GTK_PLUGIN="$gtkplugin" ESESS_PIXMAPSDIR="$pixmaps" \
	ESESS_LOCALEDIR="$root/usr/share/locale" /usr/bin/python3 "$srcdir/tests/package/deb-e2e.py" "$version" \
	>"$work/e2e.out" 2>&1
while IFS= read -r line; do
	case "$line" in
	"ok "*) ok "${line#ok }" ;;
	"not-ok "*) not_ok "${line#not-ok }" ;;
	*) printf '# %s\n' "$line" ;;
	esac
done <"$work/e2e.out"
grep -q '^ok ' "$work/e2e.out" || not_ok "the installed-plugin session ran"
echo "# the installed plugins' runs took $((SECONDS - t0)) s"

# ---- 10. the engine as a library, when debian/control builds it
# (libesessions0, libesessions-dev, esession): a program written against the
# installed header and pkg-config file, and the installed tool, run on the
# unpacked library
# relay_tap PREFIX FILE: another program's TAP lines as ours
relay_tap() {
	local line
	while IFS= read -r line; do
		case "$line" in
		"ok "*) ok "$1: $(printf '%s' "${line#ok }" | sed 's/^[0-9]* *-* *//')" ;;
		"not ok "*) not_ok "$1: $(printf '%s' "${line#not ok }" | sed 's/^[0-9]* *-* *//')" ;;
		"1.."*) ;;
		*) printf '# %s\n' "$line" ;;
		esac
	done <"$2"
}
if grep -q '^Package: libesessions-dev$' "$src/debian/control"; then
	libroot="$work/libroot"
	mkdir "$libroot"
	for p in libesessions0 libesessions-dev esession; do
		dpkg -x "$work/${p}_${version}_${arch}.deb" "$libroot" ||
			not_ok "dpkg -x $p"
	done
	libdir="$libroot/usr/lib/$multiarch"
	so="$libdir/libesessions.so.0"
	if [ -L "$so" ] && [ -L "$libdir/libesessions.so" ] &&
		readelf -d "$so" | grep -q 'SONAME.*\[libesessions\.so\.0\]' &&
		dpkg-deb -I "$work/libesessions0_${version}_${arch}.deb" symbols |
		grep -q '^libesessions\.so\.0 libesessions0 '; then
		ok "libesessions0: soname libesessions.so.0, its links, a symbols file"
	else
		not_ok "libesessions0: soname libesessions.so.0, its links, a symbols file" \
			"$(ls -l "$libdir")"
	fi
	foreign="$(nm -D --defined-only "$so" | awk '{ print $3 }' | grep -v '^esess_' || true)"
	[ -z "$foreign" ] && ok "libesessions exports esess_* functions only" ||
		not_ok "libesessions exports esess_* functions only" "$foreign"
	# the .pc as installed, its prefix moved into the unpacked root (not
	# --define-variable, which would move glib-2.0's too)
	mkdir "$work/pc"
	sed "s#^prefix=/usr\$#prefix=$libroot/usr#" "$libdir/pkgconfig/esessions-0.pc" \
		>"$work/pc/esessions-0.pc"
	pc() {
		PKG_CONFIG_PATH="$work/pc" pkg-config "$@" esessions-0
	}
	if [ "$(pc --modversion 2>&1)" = "$version" ] &&
		cc -o "$work/lib-consumer" "$srcdir/tests/unit/lib-consumer.c" \
			$(pc --cflags --libs) >"$work/consumer.log" 2>&1; then
		ok "a program builds from the installed <esessions.h> and esessions-0.pc"
		LD_LIBRARY_PATH="$libdir" "$work/lib-consumer" >"$work/consumer.out" 2>&1 ||
			not_ok "lib-consumer exits 0" "$(tail -n 20 "$work/consumer.out")"
		relay_tap lib-consumer "$work/consumer.out"
	else
		not_ok "a program builds from the installed <esessions.h> and esessions-0.pc" \
			"$(pc --modversion 2>&1)" "$(cat "$work/consumer.log")"
	fi
	tool="$libroot/usr/bin/esession"
	if [ -x "$tool" ] && [ -s "$libroot/usr/share/man/man1/esession.1.gz" ] &&
		[ "$(LD_LIBRARY_PATH="$libdir" ldd "$tool" | sed -n 's/.*libesessions\.so\.0 => \([^ ]*\).*/\1/p')" = "$so" ]; then
		ok "esession: installed with its manual page, runs on the unpacked library"
	else
		not_ok "esession: installed with its manual page, runs on the unpacked library" \
			"$(LD_LIBRARY_PATH="$libdir" ldd "$tool" 2>&1)"
	fi
	LD_LIBRARY_PATH="$libdir" /usr/bin/python3 "$srcdir/tests/unit/check-cli.py" "$tool" \
		>"$work/cli.out" 2>&1 || not_ok "check-cli.py on the installed esession exits 0"
	relay_tap esession "$work/cli.out"
fi

finish
