/*  bench_mosq — the same load through an MQTT broker, for comparison:
    N client threads (libmosquitto) each publish M messages of S bytes at
    QoS 1, keeping W unacknowledged; a message counts when its PUBACK is
    back. "bench_mosq port subscribe" leaves a persistent session (clean
    session off) subscribed at QoS 1 to every bench topic and disconnects:
    the broker then keeps each message for it, as samhandd keeps each for
    its offline recipients. Prints figures; never fails on a time.
    Invented payload.
    Usage: bench_mosq port clients messages window size label
           bench_mosq port subscribe                                      */
#include "benchstat.h"
#include <mosquitto.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

typedef struct {
    int port, messages, window, size, index;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    int inflight, acked;
    bool answered, connected;       //  CONNACK came back; and accepted
    //  by message id (< 65536 in flight at once); 0: not yet known. The
    //  PUBACK may come back before mosquitto_publish has returned its id.
    int64_t sent_at [65536], acked_at [65536];
    int64_t *lat;
} client_t;

static void
s_on_connect (struct mosquitto *mosq, void *arg, int rc)
{
    (void) mosq;
    client_t *c = (client_t *) arg;
    pthread_mutex_lock (&c->lock);
    c->answered = true;
    c->connected = rc == 0;
    pthread_cond_broadcast (&c->cond);
    pthread_mutex_unlock (&c->lock);
}

static void
s_on_publish (struct mosquitto *mosq, void *arg, int mid)
{
    (void) mosq;
    client_t *c = (client_t *) arg;
    int64_t now = benchstat_now_us ();
    pthread_mutex_lock (&c->lock);
    int k = mid & 0xFFFF;
    if (c->sent_at [k] == 0)
        c->acked_at [k] = now;
    else {
        if (c->acked < c->messages)
            c->lat [c->acked++] = now - c->sent_at [k];
        c->sent_at [k] = 0;
    }
    c->inflight--;
    pthread_cond_broadcast (&c->cond);
    pthread_mutex_unlock (&c->lock);
}

static void *
s_client (void *arg)
{
    client_t *c = (client_t *) arg;
    char id [32];
    snprintf (id, sizeof id, "samhand-bench-%d-%d", (int) getpid (), c->index);
    struct mosquitto *mosq = mosquitto_new (id, true, c);
    char *payload = (char *) malloc ((size_t) c->size);
    memset (payload, 'x', (size_t) c->size);
    if (!mosq || !payload)
        goto done;
    mosquitto_connect_callback_set (mosq, s_on_connect);
    mosquitto_publish_callback_set (mosq, s_on_publish);
    mosquitto_max_inflight_messages_set (mosq, (unsigned) c->window);
    if (mosquitto_connect (mosq, "127.0.0.1", c->port, 60) != MOSQ_ERR_SUCCESS
    ||  mosquitto_loop_start (mosq) != MOSQ_ERR_SUCCESS)
        goto done;
    pthread_mutex_lock (&c->lock);
    struct timespec until;
    clock_gettime (CLOCK_REALTIME, &until);
    until.tv_sec += 10;
    while (!c->answered && pthread_cond_timedwait (&c->cond, &c->lock, &until) == 0)
        ;
    bool connected = c->connected;
    pthread_mutex_unlock (&c->lock);
    if (!connected) {
        fprintf (stderr, "bench_mosq: no connection to 127.0.0.1:%d\n", c->port);
        mosquitto_loop_stop (mosq, true);
        goto done;
    }
    char topic [64];
    snprintf (topic, sizeof topic, "samhand/bench/%d", c->index);
    for (int i = 0; i < c->messages; i++) {
        pthread_mutex_lock (&c->lock);
        while (c->inflight >= c->window)
            pthread_cond_wait (&c->cond, &c->lock);
        c->inflight++;
        pthread_mutex_unlock (&c->lock);
        int mid = 0;
        int64_t t = benchstat_now_us ();
        int rc = mosquitto_publish (mosq, &mid, topic, c->size, payload, 1, false);
        pthread_mutex_lock (&c->lock);
        int k = mid & 0xFFFF;
        if (c->acked_at [k]) {      //  acknowledged already
            if (c->acked < c->messages)
                c->lat [c->acked++] = c->acked_at [k] - t;
            c->acked_at [k] = 0;
        }
        else
            c->sent_at [k] = t? t: 1;
        pthread_mutex_unlock (&c->lock);
        if (rc != MOSQ_ERR_SUCCESS) {
            fprintf (stderr, "bench_mosq: publish: %s\n", mosquitto_strerror (rc));
            break;
        }
    }
    pthread_mutex_lock (&c->lock);
    while (c->inflight > 0) {
        struct timespec until;
        clock_gettime (CLOCK_REALTIME, &until);
        until.tv_sec += 10;
        if (pthread_cond_timedwait (&c->cond, &c->lock, &until) != 0)
            break;              //  ten seconds without an ack
    }
    pthread_mutex_unlock (&c->lock);
    mosquitto_disconnect (mosq);
    mosquitto_loop_stop (mosq, false);
done:
    mosquitto_destroy (mosq);
    free (payload);
    return NULL;
}

static void
s_on_subscribe (struct mosquitto *mosq, void *arg, int mid, int qos_count, const int *granted)
{
    (void) mosq;
    (void) mid;
    (void) qos_count;
    (void) granted;
    *(bool *) arg = true;
}

//  A persistent session subscribed to samhand/bench/#, then gone.
static int
s_subscribe (int port)
{
    bool done = false;
    struct mosquitto *mosq = mosquitto_new ("samhand-bench-offline", false, &done);
    if (!mosq)
        return 1;
    mosquitto_subscribe_callback_set (mosq, s_on_subscribe);
    int rc = mosquitto_connect (mosq, "127.0.0.1", port, 60);
    rc = rc || mosquitto_subscribe (mosq, NULL, "samhand/bench/#", 1);
    for (int i = 0; rc == MOSQ_ERR_SUCCESS && !done && i < 100; i++)
        rc = mosquitto_loop (mosq, 100, 1);
    if (rc == MOSQ_ERR_SUCCESS && done)
        rc = mosquitto_disconnect (mosq);
    mosquitto_destroy (mosq);
    if (rc != MOSQ_ERR_SUCCESS || !done) {
        fprintf (stderr, "bench_mosq: subscribe: %s\n", mosquitto_strerror (rc));
        return 1;
    }
    return 0;
}

int
main (int argc, char *argv [])
{
    if (argc == 3 && strcmp (argv [2], "subscribe") == 0) {
        mosquitto_lib_init ();
        int rc = s_subscribe (atoi (argv [1]));
        mosquitto_lib_cleanup ();
        return rc;
    }
    if (argc < 7) {
        fprintf (stderr, "usage: bench_mosq port clients messages window size label\n");
        return 2;
    }
    int port = atoi (argv [1]), clients = atoi (argv [2]), messages = atoi (argv [3]);
    int window = atoi (argv [4]), size = atoi (argv [5]);
    const char *label = argv [6];
    if (clients < 1 || clients > 16 || messages < 1 || window < 1 || window > 60000 || size < 1)
        return 2;
    mosquitto_lib_init ();
    client_t **c = (client_t **) calloc ((size_t) clients, sizeof *c);
    pthread_t threads [16];
    int64_t start = benchstat_now_us ();
    for (int i = 0; i < clients; i++) {
        c [i] = (client_t *) calloc (1, sizeof (client_t));
        *c [i] = (client_t) { .port = port, .messages = messages, .window = window, .size = size,
                              .index = i };
        pthread_mutex_init (&c [i]->lock, NULL);
        pthread_cond_init (&c [i]->cond, NULL);
        c [i]->lat = (int64_t *) calloc ((size_t) messages, sizeof (int64_t));
        pthread_create (&threads [i], NULL, s_client, c [i]);
    }
    int64_t *all = (int64_t *) calloc ((size_t) clients * (size_t) messages, sizeof (int64_t));
    int n = 0;
    for (int i = 0; i < clients; i++) {
        pthread_join (threads [i], NULL);
        memcpy (all + n, c [i]->lat, (size_t) c [i]->acked * sizeof (int64_t));
        n += c [i]->acked;
    }
    double seconds = (benchstat_now_us () - start) / 1e6;
    benchstat_sort (all, n);
    printf ("bench: mosquitto %s: %d clients x %d messages of %d bytes, QoS 1, window %d:"
            " %d acknowledged in %.2f s\n", label, clients, messages, size, window, n, seconds);
    printf ("bench: mosquitto %s throughput %.0f msg/s\n", label, n / seconds);
    if (n) {
        char summary [160];
        benchstat_summary (all, n, summary, sizeof summary);
        printf ("bench: mosquitto %s ack latency: %s\n", label, summary);
    }
    for (int i = 0; i < clients; i++) {
        free (c [i]->lat);
        free (c [i]);
    }
    free (c);
    free (all);
    mosquitto_lib_cleanup ();
    return 0;
}
