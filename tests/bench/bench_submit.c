/*  bench_submit — durable submit throughput and ack latency.
    Starts a real samhandd in a temp folder (WAL, synchronous=FULL, CURVE on
    loopback), then N client threads each keep W submits in flight. An ack
    (SubmitResult) means the message, its outbox entries and its audit
    records are committed. Recipients are offline: store-and-forward.
    Prints figures; never fails on a time. Invented text only.             */
#include "benchload.h"
#include "benchstat.h"

static void
s_run (harness_t *h, int clients, int messages, int window)
{
    int64_t start = benchstat_now_us ();
    int n, acked, refused;
    int64_t *all = benchload_run (h, clients, messages, window, &n, &acked, &refused);
    double seconds = (double) (benchstat_now_us () - start) / 1e6;
    benchstat_sort (all, n);
    printf ("bench: %d clients x %d submits, window %d: %d acked, %d refused in %.2f s\n",
            clients, messages, window, acked, refused, seconds);
    printf ("bench: throughput %.0f durable msg/s\n", acked / seconds);
    if (n)
        printf ("bench: ack latency p50 %.2f ms, p99 %.2f ms, max %.2f ms\n",
                benchstat_at (all, n, 500) / 1000.0, benchstat_at (all, n, 990) / 1000.0,
                all [n - 1] / 1000.0);
    free (all);
}

int
main (int argc, char *argv [])
{
    int clients = argc > 1? atoi (argv [1]): 4;
    int messages = argc > 2? atoi (argv [2]): 25000;
    int window = argc > 3? atoi (argv [3]): 128;
    if (clients < 1 || clients > 8 || messages < 1 || window < 1) {
        fprintf (stderr, "usage: bench_submit [clients 1-8] [messages per client] [window]\n");
        return 2;
    }
    zsys_init ();
    zsys_set_linger (0);
    harness_t *h = harness_new ("limits\n    max_outbox = 10000000\n    batch = 1024\n");
    if (!h || harness_start (h)) {
        fprintf (stderr, "bench: broker did not start\n");
        harness_destroy (&h);
        return 1;
    }
    s_run (h, clients, messages, window);
    harness_stop (h, SIGTERM);
    char cmd [400];
    snprintf (cmd, sizeof cmd, "du -sh %s/samhand.db* | tr '\\n' ' '", h->dir);
    char *out = harness_run (cmd, NULL);
    printf ("bench: store size %s\n", out? out: "?");
    free (out);
    harness_destroy (&h);
    return 0;
}
