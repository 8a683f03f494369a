#!/usr/bin/env bash
# tests/fuzz/run-smoke.sh: a short libFuzzer run of every fuzz target, as TAP.
#
#   run-smoke.sh CORPUS_ROOT TARGET...
#
# Each TARGET (a built tests/fuzz/fuzz-NAME program) runs for ESESS_FUZZ_SECS
# seconds (default: 15, fewer when there are many targets so the whole smoke
# run stays near 100 s) starting from CORPUS_ROOT/NAME/ (read only: new
# inputs go to a scratch directory, never into the source tree).  One TAP
# result per target: ok with the executions libFuzzer reports ("Done N runs"),
# not ok on any crash, leak, sanitizer report or timeout.  The last line is
# "# executions total: N".  Logs and crash inputs go to ESESS_FUZZ_LOGDIR
# (default: a temporary directory, printed).
set -uo pipefail

if [ "$#" -lt 1 ]; then
	echo "usage: $0 CORPUS_ROOT [TARGET...]" >&2
	exit 2
fi
corpus_root="$1"
shift

n="$#"
echo "1..$n"
if [ "$n" -eq 0 ]; then
	echo "# no fuzz targets built (configure with CC=clang --enable-fuzzing)"
	echo "# executions total: 0"
	exit 0
fi

budget=100
if [ -n "${ESESS_FUZZ_SECS:-}" ]; then
	secs="$ESESS_FUZZ_SECS"
else
	secs=$((budget / n))
	[ "$secs" -gt 15 ] && secs=15
	[ "$secs" -lt 3 ] && secs=3
fi

logdir="${ESESS_FUZZ_LOGDIR:-}"
if [ -z "$logdir" ]; then
	logdir="$(mktemp -d "${TMPDIR:-/tmp}/esess-fuzz.XXXXXX")"
fi
mkdir -p "$logdir"
scratch="$(mktemp -d "${TMPDIR:-/tmp}/esess-fuzz-corpus.XXXXXX")"
trap 'rm -rf "$scratch"' EXIT

# leaks are bugs here too; UBSan must stop at the first report
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"

i=0
failed=0
total=0
for target in "$@"; do
	i=$((i + 1))
	base="$(basename "$target")"
	name="${base#fuzz-}"
	log="$logdir/$base.log"
	out="$scratch/$name"
	mkdir -p "$out" "$logdir/$base-artifacts"
	dirs=("$out")
	if [ -d "$corpus_root/$name" ]; then
		dirs+=("$corpus_root/$name")
		seeds="$(find "$corpus_root/$name" -type f | wc -l)"
	else
		seeds=0
	fi
	# new inputs land in the first (scratch) directory only.  -timeout is a
	# guard against hangs: one input of a group-18 negotiation under ASan
	# on a busy machine takes seconds, which is no failure (issue 10 item 10)
	"$target" -max_total_time="$secs" -timeout=120 -rss_limit_mb=2048 \
		-print_final_stats=1 -artifact_prefix="$logdir/$base-artifacts/" \
		"${dirs[@]}" >"$log" 2>&1 </dev/null
	rc=$?
	runs="$(sed -n 's/^Done \([0-9][0-9]*\) runs.*/\1/p' "$log" | tail -n 1)"
	if [ "$rc" -eq 0 ] && [ -n "$runs" ] && ! grep -qE '^==[0-9]+==ERROR|runtime error:' "$log"; then
		total=$((total + runs))
		echo "ok $i - $base: $runs executions in ${secs}s from $seeds seeds"
	else
		failed=$((failed + 1))
		why="exit status $rc"
		grep -qE 'ERROR: AddressSanitizer' "$log" && why="AddressSanitizer report"
		grep -qE 'ERROR: LeakSanitizer' "$log" && why="leak"
		grep -q 'runtime error:' "$log" && why="UndefinedBehaviorSanitizer report"
		grep -q 'ERROR: libFuzzer: timeout' "$log" && why="timeout"
		grep -q 'ERROR: libFuzzer: out-of-memory' "$log" && why="out of memory"
		grep -q 'deadly signal' "$log" && why="crash ($why)"
		echo "not ok $i - $base: $why (log $log, inputs in $logdir/$base-artifacts/)"
		# the sanitizer's report (first lines) rather than its shadow dump
		if grep -qE '^==[0-9]+==ERROR|runtime error:|^==[0-9]+== ERROR: libFuzzer' "$log"; then
			grep -m1 -A 24 -E '^==[0-9]+==ERROR|runtime error:|ERROR: libFuzzer' "$log" | sed 's/^/# /'
		else
			tail -n 30 "$log" | sed 's/^/# /'
		fi
	fi
done
echo "# executions total: $total"
[ "$failed" -eq 0 ]
