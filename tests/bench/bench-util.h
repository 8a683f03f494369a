/*
 * bench-util.h - timing helpers shared by the benchmark programs.
 *
 * Benchmarks print figures; they never pass or fail on time (doc/hacking.md).
 * These machines are shared and noisy (doc/hacking.md): report medians of many
 * repetitions and ratios measured side by side in the same run.
 */
#ifndef BENCH_UTIL_H
#define BENCH_UTIL_H

#include <glib.h>
#include <stddef.h>

G_BEGIN_DECLS

/* Monotonic clock in nanoseconds. */
gint64 bench_now_ns(void);

/* Median of v[0..n) (sorts v in place); n > 0. */
double bench_median(double *v, size_t n);

/* Aborts the benchmark with a message: a benchmark whose measured path
 * failed must not print a figure for it. */
G_NORETURN void bench_fail(const char *what, const char *detail);

/* Reads ESESS_BENCH_SCALE (default 1.0, e.g. 0.1 for a quick run) and scales
 * a repetition count by it, never below min. */
size_t bench_reps(size_t base, size_t min);

/* "x.xx µs" / "x.xx ms" into buf (bench output is for humans). */
const char *bench_fmt_ns(double ns, char *buf, size_t len);

G_END_DECLS

#endif /* BENCH_UTIL_H */
