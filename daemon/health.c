/*  health — the broker's own state, read for operators: the snapshot behind
    /metrics (metrics.h) and the admin's BrokerStatus (samhand admin status).
    Counts and node names only: nothing here reads a message's content or
    a subject. Reads run between cycles, outside any transaction.          */
#include "health.h"
#include "metrics.h"
#include <sys/stat.h>

#define CERT_WARN_MS (30 * 86400000LL)     //  as the log warns (nodes.c)

//  The node list being built; grows as needed.
//  Indexed by name: with thousands of enrolled nodes a search through the
//  list for each one made every /metrics render quadratic (6,000 nodes:
//  some 100 ms of the broker's loop per scrape).
typedef struct {
    metrics_node_t *items;
    size_t count, max;
    zhashx_t *index;          //  name -> position + 1 (as a pointer)
} node_list_t;

//  The entry for NAME, added if new; NULL when out of memory.
static metrics_node_t *
s_node (node_list_t *list, const char *name)
{
    if (!list->index) {
        list->index = zhashx_new ();
        if (!list->index)
            return NULL;
    }
    size_t at = (size_t) (uintptr_t) zhashx_lookup (list->index, name);
    if (at)
        return &list->items [at - 1];
    if (list->count == list->max) {
        size_t max = list->max * 2 + 16;
        metrics_node_t *items = (metrics_node_t *) realloc (list->items, max * sizeof *items);
        if (!items)
            return NULL;
        list->items = items;
        list->max = max;
    }
    metrics_node_t *n = &list->items [list->count];
    memset (n, 0, sizeof *n);
    snprintf (n->node, sizeof n->node, "%s", name);
    if (zhashx_insert (list->index, name, (void *) (uintptr_t) (list->count + 1)))
        return NULL;
    list->count++;
    return n;
}

//  Duty-to-avert review records, counted incrementally: the audit log is
//  append-only, so only records after the last one counted are read. Inside
//  an open transaction (an admin's query mid-cycle) the records may yet be
//  rolled back: they are counted for this answer but not remembered.
static int64_t
s_count_reviews (handler_ctx_t *self)
{
    int64_t found = 0, last_seq = 0;
    if (store_audit_decided_after (self->store, self->health_audit_seq, &found, &last_seq))
        return -1;
    int64_t count = self->health_reviews + found;
    if (!store_in_transaction (self->store)) {
        self->health_reviews = count;
        self->health_audit_seq = last_seq;
    }
    return count;
}

static int
s_waiting (const char *node, int64_t count, int64_t oldest_ms, void *arg)
{
    metrics_node_t *n = s_node ((node_list_t *) arg, node);
    if (!n)
        return -1;
    n->pending = count;
    n->oldest_ms = oldest_ms;
    return 0;
}

//  Fills SNAP; *NODES_P gets the node list (caller frees). 0, or -1 when
//  the store could not be read (then nothing is to be freed).
int
health_snapshot (handler_ctx_t *self, metrics_snapshot_t *snap, metrics_node_t **nodes_p)
{
    assert (self && snap && nodes_p);
    memset (snap, 0, sizeof *snap);
    *nodes_p = NULL;
    store_health_t counts;
    if (store_health_counts (self->store, &counts)
    ||  (snap->reviews = s_count_reviews (self)) < 0) {
        zsys_warning ("health: cannot read the store's counts");
        return -1;
    }
    snap->dead_letters = counts.dead_letters;
    snap->open_escalations = counts.open_escalations;
    snap->last_signature_ms = counts.last_signature_ms;
    node_list_t list = { NULL, 0, 0, NULL };
    bool failed = false;
    for (size_t i = 0; i < nodes_size (self->nodes) && !failed; i++)
        failed = !s_node (&list, nodes_at (self->nodes, i)->name);
    if (failed || store_outbox_waiting (self->store, s_waiting, &list)) {
        zsys_warning ("health: cannot read the outbox");
        free (list.items);
        zhashx_destroy (&list.index);
        return -1;
    }
    session_t *session = sessions_first (self->sessions);
    for (; session; session = sessions_next (self->sessions)) {
        if (!session->routing_id && !session->last_seen_ms)
            continue;
        metrics_node_t *n = s_node (&list, session->node);
        if (!n) {
            free (list.items);
            zhashx_destroy (&list.index);
            return -1;
        }
        n->connected = session->routing_id != NULL;
        n->last_seen_ms = session->last_seen_ms;
        n->previous_key_ms = session->previous_key_ms;
        //  When the transition ends the endpoint closes with every
        //  connection made through it.
        n->previous_session = n->connected && session->previous_session
                           && transport_previous_open (self->transport);
    }
    snap->now_ms = zclock_time ();
    snap->version = SAMHAND_VERSION;
    //  "active": one of a pair on the store (server/standby), the one that
    //  leads it now; "single": configured as the only broker.
    snap->mode = self->config->standby? "active": "single";
    snap->nodes = list.items;
    snap->n_nodes = list.count;
    snap->store_bytes = store_size_bytes (self->store, self->config->store_path);
    snap->submits = self->submits;
    snap->deliveries = self->deliveries;
    snap->commits = self->commits;
    snap->commit_latency = self->commit_latency;
    if (self->config->previous_cert_path) {
        snap->previous_until_ms = self->config->previous_until_ms;
        snap->previous_open = transport_previous_open (self->transport);
    }
    zhashx_destroy (&list.index);
    *nodes_p = list.items;
    return 0;
}

char *
health_render (void *arg)
{
    handler_ctx_t *self = (handler_ctx_t *) arg;
    metrics_snapshot_t snap;
    metrics_node_t *nodes;
    if (health_snapshot (self, &snap, &nodes))
        return NULL;
    char *text = metrics_render (&snap);
    free (nodes);
    return text;
}

//  samhand admin status: the same snapshot as a BrokerStatus, admins only.
//  Audited like every admin query.
void
health_status_handle (handler_ctx_t *self, zframe_t *routing_id, const node_t *node,
                      const Samhand__V1__Frame *frame)
{
    if (node->role != POLICY_ROLE_ADMIN) {
        zsys_warning ("health: %s (not an admin) asked for the broker status: refused", node->name);
        replies_error (self->replies, routing_id, frame->request_id,
                       SAMHAND__V1__ERROR_CODE__NOT_PERMITTED,
                       "the broker status is for admin nodes", NULL);
        return;
    }
    metrics_snapshot_t snap;
    metrics_node_t *nodes;
    if (health_snapshot (self, &snap, &nodes)) {
        replies_error (self->replies, routing_id, frame->request_id, SAMHAND__V1__ERROR_CODE__INTERNAL,
                       "the broker cannot read its state now: retry", NULL);
        return;
    }
    //  Room for every enrolled node too: one whose certificate expires
    //  within 30 days is listed even when idle, so the warning is seen.
    size_t room = snap.n_nodes + nodes_size (self->nodes) + 1;
    Samhand__V1__BrokerNode *items = (Samhand__V1__BrokerNode *) calloc (room, sizeof *items);
    Samhand__V1__BrokerNode **list = (Samhand__V1__BrokerNode **) calloc (room, sizeof *list);
    if (!items || !list) {
        free (items);
        free (list);
        free (nodes);
        replies_error (self->replies, routing_id, frame->request_id, SAMHAND__V1__ERROR_CODE__INTERNAL,
                       "the broker is out of memory: retry", NULL);
        return;
    }
    for (size_t i = 0; i < snap.n_nodes; i++) {
        samhand__v1__broker_node__init (&items [i]);
        items [i].node = nodes [i].node;
        items [i].connected = nodes [i].connected;
        items [i].last_seen_ms = nodes [i].last_seen_ms;
        items [i].pending = (uint32_t) nodes [i].pending;
        items [i].oldest_pending_ms = nodes [i].oldest_ms;
        items [i].previous_key_seen_ms = nodes [i].previous_key_ms;
        items [i].previous_key_session = nodes [i].previous_session;
        list [i] = &items [i];
    }
    size_t count = snap.n_nodes;
    int64_t warn_until = snap.now_ms + CERT_WARN_MS;
    for (size_t k = 0; k < nodes_size (self->nodes); k++) {
        const node_t *enrolled = nodes_at (self->nodes, k);
        if (!enrolled->expires_ms || enrolled->expires_ms > warn_until)
            continue;
        size_t i = 0;
        while (i < count && strcmp (items [i].node, enrolled->name))
            i++;
        if (i == count) {
            samhand__v1__broker_node__init (&items [i]);
            items [i].node = (char *) enrolled->name;
            list [count++] = &items [i];
        }
        items [i].cert_expires_ms = enrolled->expires_ms;
    }
    Samhand__V1__BrokerStatus status = SAMHAND__V1__BROKER_STATUS__INIT;
    status.ok = true;
    status.nodes = list;
    status.n_nodes = count;
    status.dead_letters = (uint64_t) snap.dead_letters;
    status.open_escalations = (uint64_t) snap.open_escalations;
    status.avert_reviews = (uint64_t) snap.reviews;
    status.last_audit_signature_ms = snap.last_signature_ms;
    status.store_bytes = (uint64_t) snap.store_bytes;
    status.active_broker = self->config->name;
    status.active_since_ms = self->active_since_ms;
    status.mode = (char *) snap.mode;
    status.version = (char *) snap.version;
    status.now_ms = snap.now_ms;
    status.submits = snap.submits;
    status.deliveries = snap.deliveries;
    status.commits = snap.commits;
    status.previous_key_until_ms = snap.previous_until_ms;
    status.previous_key_open = snap.previous_open;
    if (snap.previous_until_ms && self->config->previous_bind)
        status.previous_bind = self->config->previous_bind;
    Samhand__V1__Frame reply = SAMHAND__V1__FRAME__INIT;
    reply.request_id = frame->request_id;
    reply.command_case = SAMHAND__V1__FRAME__COMMAND_BROKER_STATUS;
    reply.broker_status = &status;
    size_t size;
    uint8_t *data = frame_encode (&reply, &size);
    audit_record_t record = { .event = "admin_status", .node = node->name, .agency = node->agency,
                              .detail = "broker status read" };
    if (store_begin (self->store) || audit_append (self->audit, &record, self->now_ms)) {
        self->batch_failed = true;
        free (data);
        replies_error (self->replies, routing_id, frame->request_id, SAMHAND__V1__ERROR_CODE__INTERNAL,
                       "the broker cannot record the query now: retry", NULL);
    }
    else
        replies_add (self->replies, routing_id, data, size, true, frame->request_id);
    free (items);
    free (list);
    free (nodes);
}
