#!/bin/sh
# The engine (plugin/core) must not include any libpurple, Pidgin or GTK header
# (doc/hacking.md "The engine is sans-I/O"), and nothing outside it includes an
# engine header but the installed esessions.h (doc/library.md).  TAP output.
srcdir="${ESESS_SRCDIR:-$(dirname "$0")/../..}"
echo "1..3"
bad=$(grep -nE '^[[:space:]]*#[[:space:]]*include[[:space:]]*[<"](purple|pidgin|gtk|gdk|libpurple|account|conversation|plugin|debug|xmlnode|signals|request|prpl|util|version|cmds|blist|connection|server|notify)[./]' \
	"$srcdir"/plugin/core/*.c "$srcdir"/plugin/core/*.h 2>/dev/null)
if [ -z "$bad" ]; then
	echo "ok 1 - plugin/core includes no purple, pidgin or gtk header"
else
	echo "not ok 1 - plugin/core includes a purple, pidgin or gtk header:"
	echo "$bad" | sed 's/^/# /'
fi
# only esess-crypto.c (and esess-mem.c for secure allocation) may talk to libgcrypt
bad=$(grep -lE '^[[:space:]]*#[[:space:]]*include[[:space:]]*<gcrypt\.h>' "$srcdir"/plugin/core/*.c "$srcdir"/plugin/core/*.h 2>/dev/null |
	grep -vE '/esess-(crypto|mem)\.c$')
if [ -z "$bad" ]; then
	echo "ok 2 - only esess-crypto.c and esess-mem.c include gcrypt.h"
else
	echo "not ok 2 - gcrypt.h included outside esess-crypto.c/esess-mem.c: $bad"
fi
# the plugin and the tools use the engine through its installed API only:
# an engine header (one in plugin/core) included outside plugin/core must be
# esessions.h or one it includes
public=" esessions.h $(sed -n 's/^#include "\(esess-[a-z0-9-]*\.h\)".*/\1/p' "$srcdir/plugin/core/esessions.h" | tr '\n' ' ')"
bad=""
for f in "$srcdir"/plugin/purple/*.[ch] "$srcdir"/plugin/gtk/*.[ch] "$srcdir"/tools/*.c; do
	[ -f "$f" ] || continue
	for h in $(sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*[<"]\(esess[a-z0-9-]*\.h\)[>"].*/\1/p' "$f"); do
		[ -f "$srcdir/plugin/core/$h" ] || continue
		case "$public" in *" $h "*) ;; *) bad="$bad ${f#"$srcdir"/}:$h" ;; esac
	done
done
if [ -z "$bad" ]; then
	echo "ok 3 - plugin/ and tools/ include no engine header but esessions.h and what it includes"
else
	echo "not ok 3 - internal engine headers included outside plugin/core:$bad"
fi
