#!/bin/sh
# bench-scale-callgrind.sh BENCH-SCALE - bench-scale's comparison counted by
# valgrind's callgrind rather than timed (issue 11 item 1): instructions per
# message, one active and round robin, with 1, 8, 100 and 1000 pairs live, and
# their ratios to one pair.  An instruction count does not drift with the
# machine's load: a ratio above 1.00 in "one active" is work that grows with
# the number of sessions.  Beside it the simulated data-cache misses per
# message (a 32 KiB first level and a 1 MiB last level, the size of one
# core's L2 here): round robin's extra cost is there, not in instructions.
#
# One process per size (the 1000 pairs are negotiated under valgrind: a few
# minutes).  ESESS_BENCH_SCALE (default 0.25) sets the messages per run.
prog="${1:?usage: bench-scale-callgrind.sh path/to/bench-scale}"
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
command -v valgrind > /dev/null || { echo "bench-scale-callgrind: valgrind not found"; exit 1; }

# fn: the inclusive Ir, D1 misses and LL misses of function fn in file f
costs() {
	callgrind_annotate --inclusive=yes --show=Ir,D1mr,D1mw,DLmr,DLmw "$1" 2> /dev/null |
		awk -v fn=":$2 " 'index($0, fn) {
			gsub(",", ""); gsub(/\([^)]*\)/, "")
			for (i = 1; i <= 5; i++) if ($i == ".") $i = 0
			print $1, $2 + $3, $4 + $5; exit }'
}

echo "bench-scale-callgrind: per message (send + receive) under callgrind, one active / round robin"
printf '%-7s %-26s %-26s %-26s\n' pairs "instructions" "D1 misses" "LL (1 MiB) misses"
for n in 1 8 100 1000; do
	ESESS_BENCH_SCALE="${ESESS_BENCH_SCALE:-0.25}" ESESS_BENCH_SCALE_SIZES=$n \
	ESESS_BENCH_SCALE_CALLGRIND=1 valgrind --tool=callgrind --cache-sim=yes \
		--D1=32768,8,64 --LL=1048576,16,64 --collect-atstart=no \
		--toggle-collect=scale_pattern_one --toggle-collect=scale_pattern_rr \
		--callgrind-out-file="$tmp/cg.$n" "$prog" 3 > "$tmp/out.$n" 2> "$tmp/err.$n" || {
		echo "bench-scale-callgrind: $n pairs failed"; cat "$tmp/err.$n"; exit 1; }
	counts=$(sed -n 's/^callgrind: one active \([0-9]*\) messages, round robin \([0-9]*\) messages$/\1 \2/p' "$tmp/out.$n")
	set -- $counts
	one_n=$1 rr_n=$2
	set -- $(costs "$tmp/cg.$n" scale_pattern_one)
	one="$1 $2 $3"
	if [ "$rr_n" -gt 0 ]; then
		set -- $(costs "$tmp/cg.$n" scale_pattern_rr)
		rr="$1 $2 $3"
	else
		rr=$one rr_n=$one_n
	fi
	echo "$n $one_n $one $rr_n $rr" >> "$tmp/table"
done
# (no ratio for the last level: at one pair it misses nothing)
awk '
	NR == 1 { for (i = 0; i < 2; i++) { b1[i] = $(3 + i) / $2; b2[i] = $(7 + i) / $6 } }
	{
		printf "%-7s", $1
		printf " %-26s", sprintf("%.0f / %.0f", $3 / $2, $7 / $6)
		for (i = 1; i < 3; i++)
			printf " %-26s", sprintf("%.1f / %.1f", $(3 + i) / $2, $(7 + i) / $6)
		printf "\n"
		if (NR > 1)
			printf "  %s pairs / 1 pair: instructions %.3f / %.3f, D1 misses %.2f / %.2f\n",
			       $1, ($3 / $2) / b1[0], ($7 / $6) / b2[0], ($4 / $2) / b1[1], ($8 / $6) / b2[1]
	}' "$tmp/table"
