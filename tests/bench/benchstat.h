/*  benchstat.h — the clock and the latency figures the benches share.
    Pure C (no broker, no harness), so bench_mosq links it as well as
    bench_broker and bench_submit. Latencies are in microseconds.        */
#ifndef SAMHAND_BENCHSTAT_H
#define SAMHAND_BENCHSTAT_H
#include <stddef.h>
#include <stdint.h>

//  The monotonic clock in microseconds.
int64_t benchstat_now_us (void);

//  Sorts n values in place, smallest first.
void benchstat_sort (int64_t *values, int n);

//  The value at per_mille (0-1000) of n > 0 sorted values: the one at index
//  n * per_mille / 1000, the last for 1000.
int64_t benchstat_at (const int64_t *sorted, int n, int per_mille);

//  Writes "p50 0.41 ms, p99 1.20 ms, p99.9 3.10 ms, max 4.00 ms" of n > 0
//  sorted latencies into out (size bytes, NUL-terminated).
void benchstat_summary (const int64_t *sorted, int n, char *out, size_t size);

#endif
