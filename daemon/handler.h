/*  handler — the narrow context the broker's handlers work in, and the
    table that maps each Frame command to its handler.

    broker.c owns the cycle (read, commit, reply, deliver) and everything
    that serves only the cycle: the socket's budgets, parked frames,
    refusal counts, timers' next times, the store's leadership, the
    previous server key's endpoint, the metrics server. Handlers (submit.c, consent.c, status.c, admin.c, health.c,
    plan.c, subscribe.c) and what the cycle calls between frames
    (deliver.c, workflow.c, retention.c, notice.c) see only this context:
    the services below, the cycle's clock and its failure flag. None of
    them includes broker.h, so the broker can change its cycle without
    touching a handler, and a handler cannot reach the cycle's machinery.

    Handlers name their context `self`: it is the state they act on.

    The broker makes the context, owns every service in it and destroys
    them; handlers borrow them for the length of a call.                 */
#ifndef SAMHAND_HANDLER_H
#define SAMHAND_HANDLER_H

#include <czmq.h>
#include "config.h"
#include "nodes.h"
#include "store.h"
#include "registry.h"
#include "audit.h"
#include "keys.h"
#include "transport.h"
#include "frame.h"
#include "scanner.h"
#include "namelex.h"
#include "samhand.pb-c.h"
#include "policy.h"
#include "metrics.h"
#include "sessions.h"
#include "replies.h"

typedef struct {
    //  Services (owned by the broker). Handlers read the configuration;
    //  only the broker's reload (SIGHUP) changes it.
    const config_t *config;
    nodes_t      *nodes;
    store_t      *store;
    registry_t   *registry;
    audit_t      *audit;
    keys_t       *keys;
    sessions_t   *sessions;
    replies_t    *replies;    //  answers wait here for the commit
    zlistx_t     *outgoing;   //  Deliver frames of this cycle, sent after their commit (deliver.c)
    //  Only delivery and pushes to a session send at once; every answer
    //  to a request goes through replies.
    transport_t  *transport;

    //  The identifier scanner's state (submit.c; consent.c uses names).
    //  Keyed hashes of the names each agency has sent, or received in an
    //  identified view; a sender's scan consults its own agency's set only.
    scan_known_t *known [5];  //  by Samhand__V1__Agency (0: none)
    namelex_t    *names;      //  proper nouns and common words (names_dict)
    zhashx_t     *probes;     //  node name -> probe_window_t (submit.c)

    //  The cycle. now_ms is the one clock every handler reads: set once
    //  per cycle, so a cycle's records all carry the same time and a test
    //  clock (tests/fault/testhooks.c) reaches every handler.
    int64_t       now_ms;
    bool          batch_failed;       //  a write failed: roll the cycle back
    int64_t       expiry_checked_ms;  //  expiries up to here are handled (workflow.c)
    char          instance [33];      //  random hex per start, in every Pong
    int64_t       active_since_ms;    //  when this broker took the leadership (unix ms)

    //  Counts for operators (health.c), written by their owners.
    uint64_t      submits, deliveries, commits;
    metrics_hist_t commit_latency;
    int64_t       health_audit_seq;   //  review records counted up to here
    int64_t       health_reviews;
} handler_ctx_t;

//  Handles one decoded frame from NODE, which arrived on ROUTING_ID.
//  Answers go to self->replies; writes join the cycle's transaction.
typedef void (handler_fn) (handler_ctx_t *self, zframe_t *routing_id, const node_t *node,
                           const Samhand__V1__Frame *frame);

//  The handler of a Frame command, or NULL for a command no client may
//  send (frame_decode refuses those before dispatch).
handler_fn *handler_for (Samhand__V1__Frame__CommandCase command);

//  Audit shorthand for events without a recipient, in the cycle's
//  transaction (begun if needed). 0, or -1 when it could not be written.
int handler_audit (handler_ctx_t *self, const char *event, const uint8_t *message_id,
                   const char *sender, const char *detail);

#endif
