/*  metrics — the broker's state for operators: Prometheus text on a small
    loopback-only HTTP endpoint (server/metrics_bind), and the monitoring-
    plugin judgement `samhandd --health` makes of it.

    Three parts, kept apart so the first two are pure and unit-tested:
      - the snapshot (plain numbers the broker fills in) and its rendering
        as Prometheus text format 0.0.4 (metrics_render);
      - the health judgement of a rendered text (metrics_health);
      - the HTTP server the broker loop polls (metrics_server_*), and the
        client side of --health (metrics_fetch).
    No personal data goes into a snapshot: labels carry node names only,
    which are identifiers the operator chose when enrolling.               */
#ifndef SAMHAND_METRICS_H
#define SAMHAND_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <zmq.h>

//  Commit latency histogram: upper bounds in seconds, the last is +Inf.
#define METRICS_BUCKETS 12
extern const double metrics_bucket_bounds [METRICS_BUCKETS - 1];

typedef struct {
    uint64_t counts [METRICS_BUCKETS];    //  per bucket, not cumulative
    uint64_t count;
    double   sum_s;
} metrics_hist_t;

void metrics_hist_observe (metrics_hist_t *self, double seconds);

typedef struct {
    char    node [64];
    bool    connected;        //  has a delivery session now
    int64_t last_seen_ms;     //  last frame from it since start; 0 = not seen
    int64_t pending;          //  waiting or in flight
    int64_t oldest_ms;        //  submitted time of the oldest waiting; 0 = none
    int64_t previous_key_ms;  //  last frame over the previous server key; 0 = none
    bool    previous_session; //  its delivery session is on the previous key now
} metrics_node_t;

typedef struct {
    int64_t now_ms;
    const char *version;
    const char *mode;                 //  "single": the only one; "active": of a pair, the leader
    const metrics_node_t *nodes;
    size_t  n_nodes;
    int64_t dead_letters;
    int64_t open_escalations;         //  raised and not yet ended
    int64_t reviews;                  //  duty-to-avert disclosures on record
    int64_t last_signature_ms;        //  0 = none yet
    int64_t store_bytes;              //  database + WAL
    uint64_t submits, deliveries, commits;
    metrics_hist_t commit_latency;
    int64_t previous_until_ms;        //  server key rotation: previous key's end; 0 = none
    bool    previous_open;            //  the previous key is accepted now
} metrics_snapshot_t;

//  The snapshot as Prometheus text. Caller frees; NULL when out of memory.
char *metrics_render (const metrics_snapshot_t *snap);

//  What a standby serves while it waits for the store's lock (it has no
//  store open, so no counts): samhand_info with mode="standby" and
//  samhand_standby_waiting_seconds. Caller frees; NULL when out of memory.
char *metrics_render_standby (const char *version, double waiting_s);

//  Deliveries waiting longer than this make --health say WARNING.
#define METRICS_WARN_AGE_S  3600
#define METRICS_WARN_PREVIOUS_S  86400

//  Monitoring-plugin exit codes.
enum { METRICS_OK = 0, METRICS_WARNING = 1, METRICS_CRITICAL = 2, METRICS_UNKNOWN = 3 };

//  Judges a rendered text: WARNING on dead letters or a delivery waiting
//  longer than METRICS_WARN_AGE_S, or nodes still connected on the
//  previous server key less than METRICS_WARN_PREVIOUS_S before it is
//  retired, UNKNOWN when the text is not ours, else OK. While a previous
//  key is accepted the line says until when and names the nodes still on
//  it. Writes one line ("SAMHAND OK - ... | perfdata") to LINE. A standby
//  waiting for the store's lock is OK ("SAMHAND OK - standby, waiting for
//  the store's lock ..."): it is doing its job; the active broker is
//  checked on its own (a lock held means a live broker holds it).
int metrics_health (const char *text, char *line, size_t size);

//  Checks a metrics_bind value: "127.0.0.1:9464", "[::1]:9464" or
//  "localhost:9464"; anything not loopback is refused. 0, or -1 with ERR.
int metrics_bind_check (const char *bind, char *err, size_t errlen);

typedef struct _metrics_server_t metrics_server_t;
typedef char *(metrics_render_fn) (void *arg);     //  malloc'd text or NULL

//  Listens on BIND (checked as above). NULL with ERR on failure.
metrics_server_t *metrics_server_new (const char *bind, char *err, size_t errlen);
void metrics_server_destroy (metrics_server_t **self_p);

//  Fills poll items for the listening socket and open connections; returns
//  how many (at most MAX).
size_t metrics_server_poll_items (metrics_server_t *self, zmq_pollitem_t *items, size_t max);
#define METRICS_POLL_MAX 9

//  Accepts, reads and answers what is ready, never waiting for a slow
//  client: it runs in the broker's loop. A connection gets 2 s to send its
//  request and 5 s to take its answer, which waits in its own buffer and
//  goes out as the socket takes it (poll items ask for POLLOUT then); at
//  most METRICS_POLL_MAX - 1 connections at a time, more are closed at
//  once. GET /metrics is answered with RENDER's text; anything else with
//  404 or 405.
void metrics_server_serve (metrics_server_t *self, metrics_render_fn *render, void *arg);

//  GET /metrics from BIND (for --health). Body, caller frees; NULL with ERR.
char *metrics_fetch (const char *bind, int timeout_ms, char *err, size_t errlen);

#endif
