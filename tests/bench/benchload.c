/*  benchload.c — see benchload.h.                                         */
#include "benchload.h"
#include "benchstat.h"
#include <pthread.h>

void
benchload_send (hclient_t *c, int kind, uint64_t request_id)
{
    Samhand__V1__Frame frame = SAMHAND__V1__FRAME__INIT;
    Samhand__V1__Submit submit;
    Samhand__V1__ConcernReport concern;
    Samhand__V1__Subject subject;
    Samhand__V1__CaseDiscussion d;
    uint8_t id [16];
    if (kind == 1)
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

void *
benchload_worker (void *arg)
{
    benchload_worker_t *w = (benchload_worker_t *) arg;
    hclient_t *c = hclient_new (w->h, w->node);
    int64_t *sent_at = (int64_t *) calloc ((size_t) w->messages + 1, sizeof (int64_t));
    int sent = 0, done = 0;
    while (c && sent_at && done < w->messages) {
        while (sent < w->messages && sent - done < w->window) {
            sent_at [sent] = benchstat_now_us ();
            benchload_send (c, w->kind, (uint64_t) sent + 1);
            sent++;
        }
        Samhand__V1__Frame *f = hclient_recv (c, 10000);
        if (!f)
            break;
        if (f->command_case == SAMHAND__V1__FRAME__COMMAND_SUBMIT_RESULT
        &&  f->request_id >= 1 && f->request_id <= (uint64_t) sent) {
            w->latencies_us [done] = benchstat_now_us () - sent_at [f->request_id - 1];
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

int64_t *
benchload_run (harness_t *h, int clients, int messages, int window,
               int *n, int *acked, int *refused)
{
    static const char *nodes [] = { "vakt", "koordinator", "tryggest", "politi-risk", "krisesenter" };
    assert (clients >= 1 && clients <= 8 && messages >= 1);
    benchload_worker_t workers [8];
    pthread_t threads [8];
    int started = 0;
    for (; started < clients; started++) {
        benchload_worker_t *w = &workers [started];
        *w = (benchload_worker_t) { h, nodes [started % 5], started % 5 == 0? 1: 3, messages, window,
                                    (int64_t *) calloc ((size_t) messages, sizeof (int64_t)), 0, 0 };
        if (!w->latencies_us || pthread_create (&threads [started], NULL, benchload_worker, w)) {
            //  the figures then say how many clients ran
            fprintf (stderr, "bench: cannot start client %d of %d\n", started + 1, clients);
            free (w->latencies_us);
            break;
        }
    }
    int64_t *all = (int64_t *) calloc ((size_t) clients * (size_t) messages, sizeof (int64_t));
    *n = *acked = *refused = 0;
    for (int i = 0; i < started; i++) {
        pthread_join (threads [i], NULL);
        for (int k = 0; all && k < workers [i].acked + workers [i].refused; k++)
            all [(*n)++] = workers [i].latencies_us [k];
        *acked += workers [i].acked;
        *refused += workers [i].refused;
        free (workers [i].latencies_us);
    }
    return all;
}
