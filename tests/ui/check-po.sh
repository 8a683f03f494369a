#!/bin/sh
# Translations (po/): every catalogue in LINGUAS compiles with msgfmt -c, has no
# untranslated and no fuzzy entry, covers every msgid the sources have today,
# and loads through gettext at run time.  The template is current: xgettext
# over POTFILES.in finds no msgid the template lacks.  TAP output.
srcdir="${ESESS_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}"
domain=purple-esessions
po="$srcdir/po"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/esess-po.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT INT TERM
n=0
failed=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
notok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $1"; sed 's/^/# /' "$tmp/err"; }

langs=$(sed -e 's/#.*//' "$po/LINGUAS" | tr -s ' \t' '\n\n' | grep -v '^$')
nlangs=$(echo "$langs" | grep -c .)
echo "1..$((2 + nlangs * 4))"

# the same options po/Makevars gives xgettext
files=$(sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$po/POTFILES.in")
if (cd "$srcdir" && xgettext --from-code=UTF-8 --keyword=_ --keyword=N_ \
	--keyword=C_:1c,2 --keyword=NC_:1c,2 --keyword=ngettext:1,2 \
	--add-comments=TRANSLATORS: -o "$tmp/fresh.pot" $files) >"$tmp/err" 2>&1 &&
	test -s "$tmp/fresh.pot"; then
	ok "xgettext extracts strings from POTFILES.in"
else
	echo "xgettext produced no template" >>"$tmp/err"
	notok "xgettext extracts strings from POTFILES.in"
fi
# msgcmp: every msgid of the fresh extraction must be in the committed template
if msgcmp --use-untranslated "$po/$domain.pot" "$tmp/fresh.pot" >"$tmp/err" 2>&1; then
	ok "po/$domain.pot is current (run make update-po otherwise)"
else
	notok "po/$domain.pot is current (run make update-po otherwise)"
fi

for l in $langs; do
	mkdir -p "$tmp/locale/$l/LC_MESSAGES"
	mo="$tmp/locale/$l/LC_MESSAGES/$domain.mo"
	if msgfmt -c -o "$mo" "$po/$l.po" >"$tmp/err" 2>&1; then
		ok "$l.po compiles with msgfmt -c"
	else
		notok "$l.po compiles with msgfmt -c"
	fi
	# "N translated messages." and nothing about fuzzy or untranslated ones
	msgfmt --statistics -o /dev/null "$po/$l.po" >"$tmp/stat" 2>&1
	if grep -q 'translated message' "$tmp/stat" && ! grep -Eq 'fuzzy|untranslated' "$tmp/stat"; then
		ok "$l.po has no fuzzy or untranslated entry ($(cat "$tmp/stat"))"
	else
		cp "$tmp/stat" "$tmp/err"
		notok "$l.po has no fuzzy or untranslated entry"
	fi
	# the catalogue translates every msgid the sources have now
	if msgcmp "$po/$l.po" "$tmp/fresh.pot" >"$tmp/err" 2>&1; then
		ok "$l.po translates every msgid of the current sources"
	else
		notok "$l.po translates every msgid of the current sources"
	fi
	# it loads: gettext(1) with the compiled catalogue returns the po's msgstr
	msgid=$(msgattrib --translated --no-fuzzy --no-obsolete "$po/$l.po" 2>/dev/null |
		msgexec -i - sh -c 'test -n "$MSGEXEC_MSGID" && printf "%s\n" "$MSGEXEC_MSGID"' 2>/dev/null |
		grep -v '[%\\]' | head -n 1)
	want=$(msgattrib --translated --no-fuzzy "$po/$l.po" 2>/dev/null |
		msggrep -K -F -e "$msgid" 2>/dev/null | msgexec sh -c \
		'test "$MSGEXEC_MSGID" = "$0" && cat' "$msgid" 2>/dev/null)
	case $l in
	de) loc=de_DE.UTF-8 ;;
	fr) loc=fr_FR.UTF-8 ;;
	*) loc=C.UTF-8 ;;
	esac
	got=$(LC_ALL=$loc LANGUAGE=$l TEXTDOMAINDIR="$tmp/locale" gettext -d "$domain" "$msgid")
	if [ -n "$msgid" ] && [ -n "$want" ] && [ "$got" = "$want" ] && [ "$got" != "$msgid" ]; then
		ok "$l catalogue loads: \"$msgid\" -> \"$got\""
	else
		echo "msgid '$msgid' want '$want' got '$got'" >"$tmp/err"
		notok "$l catalogue loads"
	fi
done
[ "$failed" -eq 0 ]
