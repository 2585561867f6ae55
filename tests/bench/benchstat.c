/*  benchstat.c — see benchstat.h.                                         */
#include "benchstat.h"
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

int64_t
benchstat_now_us (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return (int64_t) ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int
s_cmp (const void *a, const void *b)
{
    int64_t x = *(const int64_t *) a, y = *(const int64_t *) b;
    return x < y? -1: x > y;
}

void
benchstat_sort (int64_t *values, int n)
{
    assert (n >= 0);
    if (n > 1)
        qsort (values, (size_t) n, sizeof *values, s_cmp);
}

int64_t
benchstat_at (const int64_t *sorted, int n, int per_mille)
{
    assert (n > 0 && per_mille >= 0 && per_mille <= 1000);
    //  in 64 bits: n * 999 does not fit an int from about 2 million samples
    int64_t i = (int64_t) n * per_mille / 1000;
    return sorted [i < n? i: n - 1];
}

void
benchstat_summary (const int64_t *sorted, int n, char *out, size_t size)
{
    snprintf (out, size, "p50 %.2f ms, p99 %.2f ms, p99.9 %.2f ms, max %.2f ms",
              benchstat_at (sorted, n, 500) / 1000.0, benchstat_at (sorted, n, 990) / 1000.0,
              benchstat_at (sorted, n, 999) / 1000.0, sorted [n - 1] / 1000.0);
}
