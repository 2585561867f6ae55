/*  sessions — each node's delivery session and cached subscription.

    A session is the connection that last sent Subscribe for a node, with
    what the broker keeps about that node between cycles: its outbox
    count (for the outbox bound), whether it may have pending entries, its
    subscription as loaded from the store (or its role's default), and
    this cycle's scan budget. One entry per node name; entries live until
    the table is destroyed (a disconnected node keeps its counts).

    The table owns every session_t and each session's routing id. Callers
    get borrowed pointers, valid until the table is destroyed.           */
#ifndef SAMHAND_SESSIONS_H
#define SAMHAND_SESSIONS_H

#include <czmq.h>
#include "config.h"
#include "nodes.h"
#include "store.h"
#include "transport.h"

//  A node's delivery session: the connection that last sent Subscribe.
typedef struct {
    char      node [64];
    zframe_t *routing_id;     //  NULL while the node is not connected
    bool      dirty;          //  may have pending entries to send
    int       outstanding;    //  pending + in flight, for the outbox bound
    bool      sub_loaded;     //  the fields below hold the node's subscription
    uint32_t  sub_kinds;
    int       sub_min_urgency;
    int       sub_min_level;
    uint32_t  filter_kinds;   //  this session's own filter (0 = every kind)
    char      key [41];       //  CURVE key that subscribed (a re-keyed node ends it)
    int64_t   backlog_alert_ms;   //  when the admins were last told of its backlog
    int64_t   scan_budget;    //  bytes of submits it may still have scanned this cycle
    int64_t   last_seen_ms;   //  last frame from the node since start (health)
    int64_t   previous_key_ms;    //  its last frame over the previous server key (0: none)
    bool      previous_session;   //  the delivery session's connection is on that key
    int64_t   deliver_after_ms;   //  the connection did not take a Deliver: not before this
    int64_t   not_sent_delay_ms;  //  the back-off that set it (doubles, reset on a send)
} session_t;

typedef struct _sessions_t sessions_t;

//  An empty table; NULL when out of memory.
sessions_t *sessions_new (void);
void sessions_destroy (sessions_t **self_p);

//  NODE's session, made (not connected, all zero) if it has none yet.
//  NULL only when out of memory.
session_t *sessions_get (sessions_t *self, const char *node);

//  NODE's session, or NULL if it has none (nothing is made).
session_t *sessions_lookup (sessions_t *self, const char *node);

//  Iteration in no particular order. Do not add sessions while iterating.
session_t *sessions_first (sessions_t *self);
session_t *sessions_next (sessions_t *self);

//  NODE's session with its subscription loaded: the stored one, or its
//  role's default from CONFIG. Cached until sessions_forget_subscriptions.
//  NULL when the store cannot be read or out of memory.
session_t *sessions_subscription (sessions_t *self, const node_t *node, store_t *store,
                                  const config_t *config);

//  Every cached subscription is read again before its next use (after a
//  rollback, or a reload that may change the roles' defaults).
void sessions_forget_subscriptions (sessions_t *self);

//  Sets every session's outstanding count from the store's outbox (at
//  start, after a rollback or a purge). Returns 0, or -1 when the store
//  cannot be read (counts then stay zero for the nodes not yet counted).
int sessions_recount (sessions_t *self, store_t *store);

//  Tells SESSION's connection why it gets nothing more (an Error with
//  CODE and TEXT, request id 0), sent at once through TRANSPORT before
//  anything else, and forgets the connection. Nothing if not connected.
void session_end (session_t *session, transport_t *transport, int code, const char *text);

#endif
