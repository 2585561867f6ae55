/*  bench_submit — durable submit throughput and ack latency.
    Starts a real samhandd in a temp folder (WAL, synchronous=FULL, CURVE on
    loopback), then N client threads each keep W submits in flight. An ack
    (SubmitResult) means the message, its outbox entries and its audit
    records are committed. Recipients are offline: store-and-forward.
    Prints figures; never fails on a time. Invented text only.             */
#include "benchstat.h"
#include "harness.h"
#include <pthread.h>

typedef struct {
    harness_t *h;
    const char *node;
    int kind;                 //  1 concern, 3 discussion
    int messages;
    int window;
    int64_t *latencies_us;    //  one per message
    int acked, refused;
} worker_t;

static void
s_send (hclient_t *c, worker_t *w, uint64_t request_id)
{
    Samhand__V1__Frame frame = SAMHAND__V1__FRAME__INIT;
    Samhand__V1__Submit submit;
    Samhand__V1__ConcernReport concern;
    Samhand__V1__Subject subject;
    Samhand__V1__CaseDiscussion d;
    uint8_t id [16];
    if (w->kind == 1)
        harness_concern (&submit, &concern, &subject,
                         "Invented: kvinne i aktiv rus ringte vakttelefonen, redd for ekspartner.");
    else
        harness_discussion (&submit, &d, "Invented: hvordan følger vi opp når hun ikke vil anmelde?");
    harness_new_id (&submit, id);
    frame.request_id = request_id;
    frame.command_case = SAMHAND__V1__FRAME__COMMAND_SUBMIT;
    frame.submit = &submit;
    hclient_send (c, &frame);
}

static void *
s_worker (void *arg)
{
    worker_t *w = (worker_t *) arg;
    hclient_t *c = hclient_new (w->h, w->node);
    int64_t *sent_at = (int64_t *) calloc ((size_t) w->messages + 1, sizeof (int64_t));
    int sent = 0, done = 0;
    while (done < w->messages) {
        while (sent < w->messages && sent - done < w->window) {
            sent_at [sent] = benchstat_now_us ();
            s_send (c, w, (uint64_t) sent + 1);
            sent++;
        }
        Samhand__V1__Frame *f = hclient_recv (c, 10000);
        if (!f)
            break;
        if (f->command_case == SAMHAND__V1__FRAME__COMMAND_SUBMIT_RESULT
        &&  f->request_id >= 1 && f->request_id <= (uint64_t) w->messages) {
            int64_t i = (int64_t) f->request_id - 1;
            w->latencies_us [done] = benchstat_now_us () - sent_at [i];
            if (f->submit_result->accepted)
                w->acked++;
            else
                w->refused++;
            done++;
        }
        frame_free (&f);
    }
    free (sent_at);
    hclient_destroy (&c);
    return NULL;
}

static void
s_run (harness_t *h, int clients, int messages, int window)
{
    static const char *nodes [] = { "vakt", "koordinator", "tryggest", "politi-risk", "krisesenter" };
    worker_t workers [8];
    pthread_t threads [8];
    int64_t start = benchstat_now_us ();
    for (int i = 0; i < clients; i++) {
        workers [i] = (worker_t) { h, nodes [i % 5], i % 5 == 0? 1: 3, messages, window,
                                   (int64_t *) calloc ((size_t) messages, sizeof (int64_t)), 0, 0 };
        pthread_create (&threads [i], NULL, s_worker, &workers [i]);
    }
    int64_t *all = (int64_t *) calloc ((size_t) clients * (size_t) messages, sizeof (int64_t));
    int n = 0, acked = 0, refused = 0;
    for (int i = 0; i < clients; i++) {
        pthread_join (threads [i], NULL);
        for (int k = 0; k < workers [i].acked + workers [i].refused; k++)
            all [n++] = workers [i].latencies_us [k];
        acked += workers [i].acked;
        refused += workers [i].refused;
        free (workers [i].latencies_us);
    }
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
