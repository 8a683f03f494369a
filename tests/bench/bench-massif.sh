#!/bin/sh
# bench-massif.sh BENCH-MEMORY - bytes per established session per side
# (issue 11 item 3) measured by valgrind's massif: bench-memory --hold N is
# run under massif for N = 0 and each size; the heap at massif's peak (taken
# while the N pairs are held, see bench-memory.c), less the marker block,
# less the same at N = 0, divided by 2N.  Beside it, the allocator counters
# of the same program run natively: libgcrypt's secure memory, which massif
# does not see (libgcrypt keeps it in its own mlock'ed pool), and glibc's
# in-use bytes (mallinfo2; they also count the blocks malloc keeps cached
# for reuse, so they run higher than massif's, by up to a few KB a session
# at small sizes).  Sessions and their keys sit in slabs of 32 slots
# (esess-mem.h): at one pair the slots were already made for the warm-up
# pair, so its secure figure is low; from 100 pairs on each pays its share.
#
#   ESESS_BENCH_MASSIF_SIZES="1 100"   other sizes (default "1 100 1000")
#
# Prints figures; never fails on size.  Needs valgrind.
set -eu

prog=${1:?usage: bench-massif.sh path/to/bench-memory}
sizes=${ESESS_BENCH_MASSIF_SIZES:-"1 100 1000"}
mark=$((256 * 1024 * 1024))

if ! command -v valgrind >/dev/null 2>&1; then
	echo "bench-massif: valgrind not found" >&2
	exit 1
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# heap bytes (useful + allocator overhead) at massif's peak, marker removed
peak_heap() {
	awk -v mark="$mark" '
		/^snapshot=/ { b = 0; x = 0 }
		/^mem_heap_B=/ { sub(/^mem_heap_B=/, ""); b = $0 }
		/^mem_heap_extra_B=/ { sub(/^mem_heap_extra_B=/, ""); x = $0 }
		/^heap_tree=peak/ { print b + x - mark; exit }
	' "$1"
}

run() {
	valgrind --tool=massif --stacks=no --threshold=100 --detailed-freq=1000000 \
		--massif-out-file="$tmp/massif.$1" "$prog" --hold "$1" \
		>"$tmp/out.$1" 2>"$tmp/err.$1" || {
		echo "bench-massif: bench-memory --hold $1 failed:" >&2
		cat "$tmp/err.$1" >&2
		exit 1
	}
}

run 0
base=$(peak_heap "$tmp/massif.0")
echo "bench-massif: bytes per established session per side (chat API, group 14),"
echo "  heap: valgrind massif (peak while the pairs are held, useful + malloc overhead);"
echo "  secure: libgcrypt's counters, native run; mallinfo: glibc in-use, native run"
printf '%-6s %12s %12s %12s %14s %14s\n' pairs "massif heap" secure total \
	"secure blocks" "mallinfo heap"
for n in $sizes; do
	run "$n"
	h=$(peak_heap "$tmp/massif.$n")
	"$prog" --hold "$n" >"$tmp/native.$n"
	# held N: heap H secure S blocks B
	set -- $(sed -n 's/^held [0-9]*: heap \(-*[0-9]*\) secure \(-*[0-9]*\) blocks \(-*[0-9]*\)$/\1 \2 \3/p' "$tmp/native.$n")
	awk -v n="$n" -v h="$h" -v base="$base" -v mh="$1" -v sec="$2" -v blk="$3" 'BEGIN {
		s = 2 * n
		printf "%-6d %12.0f %12.0f %12.0f %14.1f %14.0f\n", n, (h - base) / s,
		       sec / s, (h - base + sec) / s, blk / s, mh / s
	}'
done
echo "  target: at most 8192 bytes per session per side (issue 11 item 3)"
