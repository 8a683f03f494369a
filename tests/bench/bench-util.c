/*
 * bench-util.c - timing helpers shared by the benchmark programs.
 */
#include "config.h"

#include "bench-util.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

gint64
bench_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (gint64)ts.tv_sec * G_GINT64_CONSTANT(1000000000) + ts.tv_nsec;
}

static int
bench_cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a;
	double y = *(const double *)b;

	return (x > y) - (x < y);
}

double
bench_median(double *v, size_t n)
{
	g_return_val_if_fail(v != NULL && n > 0, 0.0);

	qsort(v, n, sizeof(*v), bench_cmp_double);
	if (n % 2 == 1)
		return v[n / 2];
	return (v[n / 2 - 1] + v[n / 2]) / 2.0;
}

void
bench_fail(const char *what, const char *detail)
{
	fprintf(stderr, "benchmark failed: %s: %s\n", what, detail ? detail : "");
	exit(1);
}

size_t
bench_reps(size_t base, size_t min)
{
	const char *s = g_getenv("ESESS_BENCH_SCALE");
	double scale = 1.0;
	size_t n;

	if (s != NULL) {
		scale = g_ascii_strtod(s, NULL);
		if (!(scale > 0.0) || scale > 100.0)
			scale = 1.0;
	}
	n = (size_t)((double)base * scale);
	return n < min ? min : n;
}

const char *
bench_fmt_ns(double ns, char *buf, size_t len)
{
	if (ns >= 1e6)
		g_snprintf(buf, len, "%.2f ms", ns / 1e6);
	else if (ns >= 1e3)
		g_snprintf(buf, len, "%.2f us", ns / 1e3);
	else
		g_snprintf(buf, len, "%.0f ns", ns);
	return buf;
}
