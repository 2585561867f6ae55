/*  benchload.h — the closed-loop submit load bench_broker and bench_submit
    share: clients that each keep a window of submits in flight against a
    harness broker, and the latencies of their acks. Invented text only.  */
#ifndef SAMHAND_BENCHLOAD_H
#define SAMHAND_BENCHLOAD_H
#include "harness.h"

//  Sends one submit as c: kind 1 a concern report, any other kind a case
//  discussion, with request_id.
void benchload_send (hclient_t *c, int kind, uint64_t request_id);

//  One client of the closed loop. The caller fills h to window and
//  latencies_us (room for messages); the worker fills the counts.
typedef struct {
    harness_t *h;
    const char *node;
    int kind;                   //  1 concern, 3 discussion
    int messages;
    int window;
    int64_t *latencies_us;      //  one per ack
    int acked, refused;
} benchload_worker_t;

//  Runs one worker (a thread body: arg is a benchload_worker_t): keeps
//  window submits in flight until every one is answered or none comes
//  for ten seconds. Returns NULL.
void *benchload_worker (void *arg);

//  Runs clients (1-8) workers at once, as the demo nodes in turn (every
//  fifth sends concern reports, the others discussions), messages each.
//  Returns the latencies of every ack (caller frees; *n of them) and sets
//  *acked and *refused. NULL when out of memory.
int64_t *benchload_run (harness_t *h, int clients, int messages, int window,
                        int *n, int *acked, int *refused);

#endif
