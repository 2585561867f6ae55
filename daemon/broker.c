/*  broker — the cycle. See broker.h.
    Data flows one way through a cycle: read a batch -> validate ->
    authorise -> decide and write (one transaction) -> commit -> reply ->
    deliver. Acknowledgements wait for the commit; if it fails, every ack
    of the batch becomes an INTERNAL error and nothing is acknowledged.    */
#include "broker_internal.h"
#include "log.h"
#include <signal.h>
#include "policy.h"
#include "service.h"

//  Fairness (issue 9): scanning a submit's free text costs CPU in
//  proportion to its size, and one node pipelining large discussions must
//  not stall everyone else's cycle. Each node may have at most
//  NODE_BUDGET bytes of frames handled per cycle (a frame is always taken
//  if it is the node's first of the cycle); a cycle takes at most
//  CYCLE_BUDGET bytes in all. Frames over budget wait, in their order, for
//  the next cycle, which takes waiting frames first; small frames (pings,
//  receipts) cost nothing against the cycle's budget. At most
//  PARKED_MAX_BYTES wait; beyond that the socket is left unread (libzmq's
//  queues then push back on the senders).
#define NODE_BUDGET        (128 * 1024)
#define CYCLE_BUDGET       (256 * 1024)
#define SMALL_FRAME        1024
#define PARKED_MAX_BYTES   (16 * 1024 * 1024)

static void
s_parked_free (void **item)
{
    transport_msg_t *msg = (transport_msg_t *) *item;
    if (msg) {
        transport_msg_clear (msg);
        free (msg);
        *item = NULL;
    }
}
#include "plan.h"

static void
s_session_free (void **item)
{
    session_t *session = (session_t *) *item;
    if (session) {
        zframe_destroy (&session->routing_id);
        free (session);
        *item = NULL;
    }
}

//  Refused handshakes are counted per reason and peer address, and each
//  address costs one audit record and one log line per interval, with
//  the count and the keys it used: a flood of throwaway keys (13,881
//  refusals in 10 s once) no longer writes a record each. The first
//  refusal from an address in an interval is logged at once.
#define REFUSAL_INTERVAL_MS  10000
#define REFUSAL_ADDRESSES    64       //  beyond: one bucket for the rest
#define REFUSAL_KEYS         256      //  distinct keys counted per address

typedef struct {
    char      address [64];
    char      reason [160];
    char      first_key [41];
    char      last_key [41];
    int64_t   count;
    zhashx_t *keys;
} refusal_t;

static void
s_refusal_free (void **item)
{
    refusal_t *refusal = (refusal_t *) *item;
    if (refusal) {
        zhashx_destroy (&refusal->keys);
        free (refusal);
        *item = NULL;
    }
}

static void
s_on_refusal (const transport_refusal_t *r, void *arg)
{
    broker_t *self = (broker_t *) arg;
    const char *address = *r->address? r->address: "an unknown address";
    char id [256];
    snprintf (id, sizeof id, "%s|%s", r->reason, address);
    refusal_t *agg = (refusal_t *) zhashx_lookup (self->refusals, id);
    if (!agg && zhashx_size (self->refusals) >= REFUSAL_ADDRESSES) {
        address = "other addresses";
        snprintf (id, sizeof id, "%s|%s", r->reason, address);
        agg = (refusal_t *) zhashx_lookup (self->refusals, id);
    }
    if (!agg) {
        agg = (refusal_t *) zmalloc (sizeof (refusal_t));
        if (!agg || !(agg->keys = zhashx_new ())) {
            free (agg);
            zsys_warning ("broker: handshake refused from %s: %s", address, r->reason);
            return;
        }
        snprintf (agg->address, sizeof agg->address, "%s", address);
        snprintf (agg->reason, sizeof agg->reason, "%s", r->reason);
        zhashx_insert (self->refusals, id, agg);
        zsys_warning ("broker: a client was refused at the handshake: from %s, key %s: %s"
                      " (further refusals from there are counted and reported every %d s)", address,
                      *r->key? r->key: "unknown", r->reason, REFUSAL_INTERVAL_MS / 1000);
    }
    agg->count += r->count;
    if (*r->key) {
        if (!*agg->first_key)
            snprintf (agg->first_key, sizeof agg->first_key, "%s", r->key);
        snprintf (agg->last_key, sizeof agg->last_key, "%s", r->key);
        if (zhashx_size (agg->keys) < REFUSAL_KEYS)
            zhashx_insert (agg->keys, r->key, (void *) "");
    }
}

//  One audit record and one log line per address of the interval.
static void
s_flush_refusals (broker_t *self)
{
    refusal_t *agg = (refusal_t *) zhashx_first (self->refusals);
    for (; agg; agg = (refusal_t *) zhashx_next (self->refusals)) {
        char detail [600];
        size_t keys = zhashx_size (agg->keys);
        if (keys)
            snprintf (detail, sizeof detail, "%" PRId64 " refused handshake%s from %s: %s;"
                      " %zu%s distinct key%s (first %s, last %s)", agg->count,
                      agg->count == 1? "": "s", agg->address, agg->reason, keys,
                      keys >= REFUSAL_KEYS? " or more": "", keys == 1? "": "s",
                      agg->first_key, agg->last_key);
        else
            snprintf (detail, sizeof detail, "%" PRId64 " refused handshake%s from %s: %s",
                      agg->count, agg->count == 1? "": "s", agg->address, agg->reason);
        zsys_warning ("broker: %s", detail);
        if (broker_audit (self, "handshake_refused", NULL, NULL, detail))
            self->batch_failed = true;
    }
    zhashx_purge (self->refusals);
}

static void
s_reply_free (void **item)
{
    reply_t *reply = (reply_t *) *item;
    if (reply) {
        zframe_destroy (&reply->routing_id);
        free (reply->data);
        free (reply);
        *item = NULL;
    }
}

session_t *
broker_session (broker_t *self, const char *node)
{
    session_t *session = (session_t *) zhashx_lookup (self->sessions, node);
    if (!session) {
        session = (session_t *) zmalloc (sizeof (session_t));
        if (!session)
            return NULL;
        snprintf (session->node, sizeof session->node, "%s", node);
        zhashx_insert (self->sessions, node, session);
    }
    return session;
}

const node_t *
broker_node (broker_t *self, const char *user_id)
{
    //  ZAP admitted this key, so a miss means an enrolment newer than our
    //  list, or a revocation: read the folder again before deciding.
    const node_t *node = nodes_by_key (self->nodes, user_id);
    if (!node && nodes_reload (self->nodes) == 0)
        node = nodes_by_key (self->nodes, user_id);
    return node;
}

void
broker_reply (broker_t *self, zframe_t *routing_id, uint8_t *data, size_t size,
              bool needs_commit, uint64_t request_id)
{
    reply_t *reply = (reply_t *) zmalloc (sizeof (reply_t));
    if (!reply || !data) {
        zsys_error ("broker: out of memory queueing a reply");
        free (reply);
        free (data);
        return;
    }
    reply->routing_id = zframe_dup (routing_id);
    reply->data = data;
    reply->size = size;
    reply->needs_commit = needs_commit;
    reply->request_id = request_id;
    zlistx_add_end (self->replies, reply);
}

void
broker_reply_error (broker_t *self, zframe_t *routing_id, uint64_t request_id, int code,
                    const char *text, const ProtobufCBinaryData *message_id)
{
    size_t size;
    uint8_t *data = frame_encode_error (request_id, code, text, message_id, &size);
    broker_reply (self, routing_id, data, size, false, request_id);
}

session_t *
broker_subscription (broker_t *self, const node_t *node)
{
    session_t *session = broker_session (self, node->name);
    if (!session || session->sub_loaded)
        return session;
    int found = store_subscription_get (self->store, node->name, &session->sub_kinds,
                                        &session->sub_min_urgency, &session->sub_min_level);
    if (found < 0)
        return NULL;
    if (found == 0) {
        session->sub_kinds = self->config->role_subscriptions [node->role];
        session->sub_min_urgency = 0;
        session->sub_min_level = 0;
    }
    session->sub_loaded = true;
    return session;
}

int
broker_audit (broker_t *self, const char *event, const uint8_t *message_id,
              const char *sender, const char *detail)
{
    audit_record_t record = { .event = event, .message_id = message_id,
                              .sender = sender, .detail = detail };
    if (store_begin (self->store))
        return -1;
    if (audit_append (self->audit, &record, self->now_ms)) {
        store_fail_batch (self->store);
        return -1;
    }
    return 0;
}

static int
s_sign (const uint8_t *msg, size_t len, uint8_t sig [64], void *arg)
{
    return keys_sign ((keys_t *) arg, msg, len, sig);
}

static void
s_count_outstanding (const char *node, int count, void *arg)
{
    session_t *session = broker_session ((broker_t *) arg, node);
    if (session)
        session->outstanding = count;
}

static int
s_load_known (broker_t *self);
static int
s_load_names (broker_t *self);

void
broker_recount (broker_t *self)
{
    session_t *session = (session_t *) zhashx_first (self->sessions);
    for (; session; session = (session_t *) zhashx_next (self->sessions))
        session->outstanding = 0;
    store_outbox_counts (self->store, s_count_outstanding, self);
}

broker_t *
broker_new (config_t *config)
{
    broker_t *self = (broker_t *) zmalloc (sizeof (broker_t));
    if (!self)
        return NULL;
    self->config = config;
    self->lock_fd = -1;
    //  Tells clients apart one broker run from the next (Pong.instance).
    uint8_t instance [16];
    if (crypto_random (instance, sizeof instance))
        goto fail;
    for (int i = 0; i < 16; i++)
        snprintf (self->instance + 2 * i, 3, "%02x", instance [i]);
    self->sessions = zhashx_new ();
    self->replies = zlistx_new ();
    self->parked = zlistx_new ();
    self->refusals = zhashx_new ();
    if (!self->sessions || !self->replies || !self->parked || !self->refusals)
        goto fail;
    zlistx_set_destructor (self->parked, s_parked_free);
    zhashx_set_destructor (self->refusals, s_refusal_free);
    zhashx_set_destructor (self->sessions, s_session_free);
    zlistx_set_destructor (self->replies, s_reply_free);
    self->lock_fd = store_lock (config->store_path);
    if (self->lock_fd < 0) {
        zsys_error ("broker: %s is in use by another samhandd (or its lock cannot be made)",
                    config->store_path);
        goto fail;
    }
    self->nodes = nodes_new (config->enrolled_dir);
    if (!self->nodes)
        goto fail;
    self->store = store_new (config->store_path);
    if (!self->store)
        goto fail;
    //  Keys may be created only together with a new store: a missing key
    //  beside an existing store is a misconfiguration, not a fresh start.
    char err [256];
    self->keys = keys_new (config->keys_dir, store_was_created (self->store), err, sizeof err);
    if (!self->keys) {
        zsys_error ("broker: %s", err);
        goto fail;
    }
    if (store_workflow_init (self->store) || store_plan_init (self->store))
        goto fail;
    self->registry = registry_new (self->store);
    self->audit = audit_new (self->store);
    if (!self->registry || !self->audit || s_load_names (self) || s_load_known (self))
        goto fail;
    if (store_outbox_counts (self->store, s_count_outstanding, self)
    ||  store_meta_get_int (self->store, "expiry_checked_ms", &self->expiry_checked_ms) < 0)
        goto fail;
    self->expiry_saved_ms = self->expiry_checked_ms;
    self->changes_seen = store_changes_total (self->store);
    audit_head_t head;
    if (audit_signed_head (self->audit, &head)) {
        //  The newest head at start, for whoever keeps the log as a witness.
        char text [300];
        audit_head_format (&head, text, sizeof text);
        zsys_info ("audit: newest signed %s", text);
        self->announced_seq = head.seq;
    }
    self->transport = transport_new (config->bind, config->cert_path, config->enrolled_dir,
                                     config->max_frame * 4 + 4096, config->heartbeat_ms);
    if (!self->transport)
        goto fail;
    if (config->metrics_bind) {
        self->metrics = metrics_server_new (config->metrics_bind, err, sizeof err);
        if (!self->metrics) {
            zsys_error ("broker: %s", err);
            goto fail;
        }
        zsys_info ("samhandd: metrics on http://%s/metrics", config->metrics_bind);
    }
    zsys_info ("samhandd: %zu enrolled nodes, store %s, listening on %s",
               nodes_size (self->nodes), config->store_path, config->bind);
    return self;
fail:
    broker_destroy (&self);
    return NULL;
}

void
broker_destroy (broker_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    broker_t *self = *self_p;
    transport_destroy (&self->transport);
    metrics_server_destroy (&self->metrics);
    zlistx_destroy (&self->replies);
    zlistx_destroy (&self->parked);
    zhashx_destroy (&self->sessions);
    zhashx_destroy (&self->refusals);
    for (int agency = 0; agency < 5; agency++)
        scan_known_destroy (&self->known [agency]);
    namelex_destroy (&self->names);
    zhashx_destroy (&self->probes);
    audit_destroy (&self->audit);
    registry_destroy (&self->registry);
    store_destroy (&self->store);
    keys_destroy (&self->keys);
    nodes_destroy (&self->nodes);
    store_unlock (self->lock_fd);
    free (self);
    *self_p = NULL;
}

static void
s_probe_free (void **item)
{
    free (*item);
    *item = NULL;
}

static void
s_add_known (int agency, const uint8_t hash [32], int kind, void *arg)
{
    broker_t *self = (broker_t *) arg;
    if (kind == REGISTRY_KNOWN_NAME && agency > 0 && agency < 5)
        scan_known_add_hash (self->known [agency], hash);
}

//  One known set per agency, each filled only from its own rows.
static int
s_load_known (broker_t *self)
{
    for (int agency = 0; agency < 5; agency++) {
        self->known [agency] = scan_known_new (keys_scanner_secret (self->keys));
        if (!self->known [agency])
            return -1;
    }
    self->probes = zhashx_new ();
    if (!self->probes)
        return -1;
    zhashx_set_destructor (self->probes, s_probe_free);
    return registry_known_each (self->registry, s_add_known, self);
}

//  The scanner's word list. Fail closed: without it full names would pass.
static int
s_load_names (broker_t *self)
{
    char err [300];
    int64_t start = zclock_mono ();
    self->names = namelex_load (self->config->names_dict, 100000, err, sizeof err);
    if (!self->names) {
        zsys_error ("broker: %s", err);
        return -1;
    }
    zsys_info ("broker: names dictionary %s: %zu words, %zu KiB, loaded in %lld ms",
               self->config->names_dict, namelex_size (self->names),
               namelex_bytes (self->names) / 1024, (long long) (zclock_mono () - start));
    return 0;
}

//  "concern_report,alert; min urgency 2; min risk level 0" for the audit.
static void
s_sub_text (uint32_t kinds, int min_urgency, int min_level, char *out, size_t size)
{
    size_t len = 0;
    out [0] = 0;
    for (int kind = 1; kind < CONFIG_KINDS && len < size; kind++)
        if (kinds & (1u << kind))
            len += (size_t) snprintf (out + len, size - len, "%s%s", len? ",": "",
                                      config_kind_name (kind));
    if (len < size)
        snprintf (out + len, size - len, "%s; min urgency %d; min risk level %d",
                  len? "": "nothing", min_urgency, min_level);
}

//  Changes the node's stored subscription (SUB's kinds, or reset to the
//  role's default), audited as subscription_changed with old and new.
//  Returns 1 if it changed, 0 if not, -1 on a failed write (batch failed).
static int
s_subscription_change (broker_t *self, const node_t *node, session_t *session,
                       const Samhand__V1__Subscribe *sub, uint32_t kinds)
{
    uint32_t old_kinds = session->sub_kinds;
    int old_urgency = session->sub_min_urgency, old_level = session->sub_min_level;
    int rc = 0;
    if (sub->reset) {
        rc = store_subscription_clear (self->store, node->name);
        session->sub_kinds = self->config->role_subscriptions [node->role];
        session->sub_min_urgency = 0;
        session->sub_min_level = 0;
    }
    else {
        rc = store_subscription_set (self->store, node->name, kinds,
                                     sub->min_urgency, sub->min_risk_level);
        session->sub_kinds = kinds;
        session->sub_min_urgency = sub->min_urgency;
        session->sub_min_level = sub->min_risk_level;
    }
    session->sub_loaded = true;
    bool changed = old_kinds != session->sub_kinds || old_urgency != session->sub_min_urgency
                || old_level != session->sub_min_level;
    if (rc == 0 && (changed || sub->reset)) {
        char was [200], now [200], detail [460];
        s_sub_text (old_kinds, old_urgency, old_level, was, sizeof was);
        s_sub_text (session->sub_kinds, session->sub_min_urgency, session->sub_min_level,
                    now, sizeof now);
        snprintf (detail, sizeof detail, "old: %s; new: %s%s", was, now,
                  sub->reset? " (reset to the role's default)": "");
        audit_record_t record = { .event = "subscription_changed", .node = node->name,
                                  .agency = node->agency, .detail = detail };
        rc = audit_append (self->audit, &record, self->now_ms);
        if (rc == 0)
            zsys_info ("broker: %s changed its subscription: %s", node->name, detail);
    }
    if (rc) {
        self->batch_failed = true;
        session->sub_loaded = false;     //  read it again after the rollback
        return -1;
    }
    return changed? 1: 0;
}

//  Tells a connection that is no longer the node's delivery session why it
//  gets nothing more; it goes out at once, before anything else is sent.
static void
s_session_end (broker_t *self, session_t *session, int code, const char *text)
{
    if (!session->routing_id)
        return;
    size_t size;
    uint8_t *data = frame_encode_error (0, code, text, NULL, &size);
    if (!data || transport_send (self->transport, session->routing_id, data, size))
        zsys_info ("broker: %s: the old session could not be told (already gone)", session->node);
    free (data);
    zframe_destroy (&session->routing_id);
}

//  Subscribe: this connection becomes the node's delivery session (unless
//  manage_only), and whatever was in flight to an earlier session is sent
//  again. An earlier session on another connection is told it is replaced.
//  The stored subscription changes only on explicit kinds or reset.
static void
s_handle_subscribe (broker_t *self, zframe_t *routing_id, const node_t *node,
                    const Samhand__V1__Frame *frame)
{
    const Samhand__V1__Subscribe *sub = frame->subscribe;
    session_t *session = broker_subscription (self, node);
    if (!session || store_begin (self->store)) {
        broker_reply_error (self, routing_id, frame->request_id, SAMHAND__V1__ERROR_CODE__INTERNAL,
                            "the broker cannot take the subscription now: retry", NULL);
        return;
    }
    uint32_t kinds = 0, filter = 0;
    for (size_t i = 0; i < sub->n_kinds; i++)
        kinds |= 1u << sub->kinds [i];
    for (size_t i = 0; i < sub->n_session_kinds; i++)
        filter |= 1u << sub->session_kinds [i];
    int changed = 0;
    if (kinds || sub->reset) {
        changed = s_subscription_change (self, node, session, sub, kinds);
        if (changed < 0) {
            broker_reply_error (self, routing_id, frame->request_id,
                                SAMHAND__V1__ERROR_CODE__INTERNAL,
                                "the broker cannot store the subscription now: retry", NULL);
            return;
        }
    }
    if (!sub->manage_only) {
        if (session->routing_id && !zframe_eq (session->routing_id, routing_id)) {
            zsys_warning ("broker: %s subscribed on a new connection: its older session is"
                          " told it is replaced and gets nothing more", node->name);
            s_session_end (self, session, SAMHAND__V1__ERROR_CODE__SESSION_REPLACED,
                           "another connection of this node subscribed: this one gets no"
                           " more deliveries");
        }
        if (store_outbox_requeue_node (self->store, node->name) < 0) {
            self->batch_failed = true;
            broker_reply_error (self, routing_id, frame->request_id,
                                SAMHAND__V1__ERROR_CODE__INTERNAL,
                                "the broker cannot take the subscription now: retry", NULL);
            return;
        }
        zframe_destroy (&session->routing_id);
        session->routing_id = zframe_dup (routing_id);
        session->filter_kinds = filter;
        snprintf (session->key, sizeof session->key, "%s", node->key);
        session->dirty = true;
    }

    Samhand__V1__Frame reply = SAMHAND__V1__FRAME__INIT;
    Samhand__V1__Subscribed subscribed = SAMHAND__V1__SUBSCRIBED__INIT;
    Samhand__V1__Kind list [CONFIG_KINDS], filtered [CONFIG_KINDS];
    size_t n = 0, n_filtered = 0;
    for (int kind = 1; kind < CONFIG_KINDS; kind++) {
        if (session->sub_kinds & (1u << kind))
            list [n++] = (Samhand__V1__Kind) kind;
        if (!sub->manage_only && (filter & (1u << kind)))
            filtered [n_filtered++] = (Samhand__V1__Kind) kind;
    }
    subscribed.kinds = list;
    subscribed.n_kinds = n;
    subscribed.session_kinds = filtered;
    subscribed.n_session_kinds = n_filtered;
    subscribed.min_urgency = (Samhand__V1__Urgency) session->sub_min_urgency;
    subscribed.min_risk_level = (Samhand__V1__RiskLevel) session->sub_min_level;
    subscribed.changed = changed > 0;
    subscribed.session = !sub->manage_only;
    subscribed.pending = (uint32_t) session->outstanding;
    subscribed.node = (char *) node->name;
    subscribed.agency = (Samhand__V1__Agency) node->agency;
    subscribed.role = (char *) config_role_name (node->role);
    reply.request_id = frame->request_id;
    reply.command_case = SAMHAND__V1__FRAME__COMMAND_SUBSCRIBED;
    reply.subscribed = &subscribed;
    size_t size;
    uint8_t *data = frame_encode (&reply, &size);
    broker_reply (self, routing_id, data, size, true, frame->request_id);
    if (!sub->manage_only)
        zsys_info ("broker: %s subscribed (%u waiting)", node->name, subscribed.pending);
}

static void
s_handle_receipt (broker_t *self, zframe_t *routing_id, const node_t *node,
                  const Samhand__V1__Frame *frame)
{
    const Samhand__V1__Receipt *receipt = frame->receipt;
    int state = receipt->state == SAMHAND__V1__RECEIPT_STATE__READ? OUTBOX_READ: OUTBOX_RECEIVED;
    int changed = store_begin (self->store)? -1
                : store_outbox_receipt (self->store, (int64_t) receipt->delivery_id,
                                        node->name, state, self->now_ms);
    if (changed < 0) {
        //  Not recorded: the node keeps the delivery and it comes again.
        broker_reply_error (self, routing_id, frame->request_id, SAMHAND__V1__ERROR_CODE__INTERNAL,
                            "the broker cannot record the receipt now", NULL);
        return;
    }
    if (changed == 0 && status_delivery_state (self, (int64_t) receipt->delivery_id,
                                               node->name) == OUTBOX_EXPIRED) {
        //  Its own copy, but too late: the sender was already told it was
        //  not delivered. Say that, not "unknown", and keep it on record.
        char detail [96];
        snprintf (detail, sizeof detail, "delivery %" PRIu64 " %s after it expired",
                  receipt->delivery_id, state == OUTBOX_READ? "read": "received");
        audit_record_t record = { .event = "late_receipt", .node = node->name,
                                  .agency = node->agency, .detail = detail };
        if (audit_append (self->audit, &record, self->now_ms)) {
            self->batch_failed = true;
            broker_reply_error (self, routing_id, frame->request_id,
                                SAMHAND__V1__ERROR_CODE__INTERNAL,
                                "the broker cannot record the receipt now", NULL);
            return;
        }
        zsys_info ("broker: %s: %s", node->name, detail);
        broker_reply_error (self, routing_id, frame->request_id,
                            SAMHAND__V1__ERROR_CODE__DELIVERY_EXPIRED,
                            "this delivery expired before it was receipted: the sender was"
                            " told it was not delivered; contact the sender if it matters", NULL);
        return;
    }
    if (changed == 0) {
        //  Unknown, or another node's delivery: say so, change nothing.
        zsys_warning ("broker: %s sent a receipt for delivery %" PRIu64 " that is not its own",
                      node->name, receipt->delivery_id);
        broker_reply_error (self, routing_id, frame->request_id,
                            SAMHAND__V1__ERROR_CODE__UNKNOWN_DELIVERY,
                            "no such delivery for this node", NULL);
        return;
    }
    char detail [48];
    snprintf (detail, sizeof detail, "delivery %" PRIu64 " %s", receipt->delivery_id,
              state == OUTBOX_READ? "read": "received");
    audit_record_t record = { .event = "receipt", .node = node->name,
                              .agency = node->agency, .detail = detail };
    if (audit_append (self->audit, &record, self->now_ms)) {
        //  The receipt is not recorded either: the node keeps it and sends again.
        store_fail_batch (self->store);
        broker_reply_error (self, routing_id, frame->request_id, SAMHAND__V1__ERROR_CODE__INTERNAL,
                            "the broker cannot record the receipt now", NULL);
        return;
    }
    session_t *session = broker_session (self, node->name);
    if (session) {
        session->dirty = true;
        if (changed == 2 && session->outstanding > 0)
            session->outstanding--;
    }
    status_push (self, (int64_t) receipt->delivery_id);
}

static void
s_handle_ping (broker_t *self, zframe_t *routing_id, const node_t *node,
               const Samhand__V1__Frame *frame)
{
    Samhand__V1__Frame reply = SAMHAND__V1__FRAME__INIT;
    Samhand__V1__Pong pong = SAMHAND__V1__PONG__INIT;
    pong.nonce = frame->ping->nonce;
    pong.node = (char *) node->name;
    pong.agency = (Samhand__V1__Agency) node->agency;
    pong.role = (char *) config_role_name (node->role);
    pong.instance = self->instance;
    //  A listener pings now and then to learn that it still is the session.
    session_t *session = (session_t *) zhashx_lookup (self->sessions, node->name);
    pong.delivery_session = session && session->routing_id
                         && zframe_eq (session->routing_id, routing_id)
                         && streq (session->key, node->key);
    reply.request_id = frame->request_id;
    reply.command_case = SAMHAND__V1__FRAME__COMMAND_PONG;
    reply.pong = &pong;
    size_t size;
    uint8_t *data = frame_encode (&reply, &size);
    broker_reply (self, routing_id, data, size, false, frame->request_id);
}

//  One message from the wire: validate, identify, dispatch.
static void
s_handle_message (broker_t *self, transport_msg_t *msg)
{
    const node_t *node = broker_node (self, msg->user_id);
    if (!node) {
        //  Enrolled for ZAP but without usable metadata: fail closed.
        zsys_warning ("broker: key %.8s... is not (or no longer) an enrolled node: refused",
                      msg->user_id);
        broker_reply_error (self, msg->routing_id, 0, SAMHAND__V1__ERROR_CODE__NOT_PERMITTED,
                            "this certificate is not enrolled (revoked, expired, or no name/agency/role)", NULL);
        return;
    }
    session_t *seen = broker_session (self, node->name);
    if (seen)
        seen->last_seen_ms = self->now_ms;
    frame_error_t err;
    Samhand__V1__Frame *frame = frame_decode (zframe_data (msg->body), zframe_size (msg->body),
                                              self->config->max_frame, &err);
    if (!frame) {
        zsys_warning ("broker: %s sent a bad frame (%zu bytes): %s: %s", node->name,
                      zframe_size (msg->body), frame_error_name (err.code), err.text);
        broker_reply_error (self, msg->routing_id, err.request_id, err.code, err.text, NULL);
        return;
    }
    switch (frame->command_case) {
        case SAMHAND__V1__FRAME__COMMAND_SUBMIT:
            submit_handle (self, msg->routing_id, node, frame);
            break;
        case SAMHAND__V1__FRAME__COMMAND_RECEIPT:
            s_handle_receipt (self, msg->routing_id, node, frame);
            break;
        case SAMHAND__V1__FRAME__COMMAND_SUBSCRIBE:
            s_handle_subscribe (self, msg->routing_id, node, frame);
            break;
        case SAMHAND__V1__FRAME__COMMAND_PING:
            s_handle_ping (self, msg->routing_id, node, frame);
            break;
        case SAMHAND__V1__FRAME__COMMAND_CONSENT_GRANT:
        case SAMHAND__V1__FRAME__COMMAND_CONSENT_WITHDRAW:
        case SAMHAND__V1__FRAME__COMMAND_CONSENT_QUERY:
            consent_handle (self, msg->routing_id, node, frame);
            break;
        case SAMHAND__V1__FRAME__COMMAND_AUDIT_QUERY:
            admin_handle (self, msg->routing_id, node, frame);
            break;
        case SAMHAND__V1__FRAME__COMMAND_STATUS_QUERY:
            status_handle (self, msg->routing_id, node, frame);
            break;
        case SAMHAND__V1__FRAME__COMMAND_INBOX_QUERY:
            inbox_handle (self, msg->routing_id, node, frame);
            break;
        case SAMHAND__V1__FRAME__COMMAND_ADMIN_COMMAND:
            dead_letters_handle (self, msg->routing_id, node, frame);
            break;
        case SAMHAND__V1__FRAME__COMMAND_BROKER_STATUS_QUERY:
            health_status_handle (self, msg->routing_id, node, frame);
            break;
        case SAMHAND__V1__FRAME__COMMAND_PLAN_QUERY:
        case SAMHAND__V1__FRAME__COMMAND_PLAN_EVALUATE:
            plan_handle (self, msg->routing_id, node, frame);
            break;
        default:
            break;      //  frame_decode refused everything else
    }
    frame_destroy (&frame);
}

//  Commit failed: nothing of this batch is durable, so no ack may go out.
static void
s_fail_batch (broker_t *self)
{
    bool full = store_disk_full (self->store);
    if (full)
        zsys_error ("broker: commit failed: THE DISK IS FULL (%s): the batch is refused with"
                    " STORE_FULL; free space for the broker's store", self->config->store_path);
    else
        zsys_error ("broker: commit failed: the batch is refused with INTERNAL");
    reply_t *reply = (reply_t *) zlistx_first (self->replies);
    for (; reply; reply = (reply_t *) zlistx_next (self->replies)) {
        if (!reply->needs_commit)
            continue;
        free (reply->data);
        reply->data = full
            ? frame_encode_error (reply->request_id, SAMHAND__V1__ERROR_CODE__STORE_FULL,
                                  "the broker's disk is full: nothing was stored; retry later",
                                  NULL, &reply->size)
            : frame_encode_error (reply->request_id, SAMHAND__V1__ERROR_CODE__INTERNAL,
                                  "the broker could not store this: retry",
                                  NULL, &reply->size);
    }
    //  In-memory state that followed the rolled-back writes follows them back.
    //  A reload that fails is tried again before the next use (audit, idem);
    //  an unknown expiry mark starts from the beginning (expired is expired).
    if (audit_reload (self->audit) || store_idem_rebuild (self->store))
        zsys_error ("broker: cannot reload state after a failed batch; will retry before use");
    if (store_meta_get_int (self->store, "expiry_checked_ms", &self->expiry_checked_ms) < 0)
        self->expiry_checked_ms = 0;
    registry_forget_writes (self->registry);
    //  A subscription changed in the batch was rolled back with it.
    session_t *session = (session_t *) zhashx_first (self->sessions);
    for (; session; session = (session_t *) zhashx_next (self->sessions))
        session->sub_loaded = false;
    broker_recount (self);
}

static void
s_send_replies (broker_t *self)
{
    reply_t *reply = (reply_t *) zlistx_first (self->replies);
    for (; reply; reply = (reply_t *) zlistx_next (self->replies))
        if (reply->data && transport_send (self->transport, reply->routing_id,
                                           reply->data, reply->size))
            zsys_warning ("broker: reply not sent (%s): the client will retry",
                          zmq_strerror (zmq_errno ()));
    zlistx_purge (self->replies);
}

static void
s_mark_dirty (const char *node, void *arg)
{
    session_t *session = broker_session ((broker_t *) arg, node);
    if (session)
        session->dirty = true;
}

//  Time-driven work: redelivery of unreceipted entries, audit head signing.
static void
s_timers (broker_t *self)
{
    if (self->now_ms >= self->next_redeliver_ms) {
        self->next_redeliver_ms = self->now_ms + 1000;
        if (store_begin (self->store) == 0) {
            //  A failure marks the transaction failed in the store itself.
            int n = store_outbox_requeue_overdue (self->store,
                        self->now_ms - self->config->redeliver_after_ms, s_mark_dirty, self);
            if (n > 0)
                zsys_info ("broker: %d unreceipted deliveries queued again", n);
        }
    }
    if (self->now_ms >= self->next_nodes_ms) {
        //  Revocation: a certificate removed from the enrolled folder stops
        //  its node within seconds, even on a connection already open.
        self->next_nodes_ms = self->now_ms + 5000;
        nodes_reload (self->nodes);
    }
    if (self->now_ms >= self->next_tick_ms) {
        self->next_tick_ms = self->now_ms + self->config->timer_tick_ms;
        workflow_tick (self);
    }
    if (self->now_ms >= self->next_purge_ms) {
        self->next_purge_ms = self->now_ms + self->config->purge_every_s * 1000LL;
        if (retention_run (self) > 0)
            self->checkpoint_due = true;
    }
    if (self->now_ms >= self->next_sign_ms) {
        self->next_sign_ms = self->now_ms + self->config->audit_sign_every_s * 1000LL;
        if (store_begin (self->store) == 0
        &&  audit_sign_head (self->audit, s_sign, self->keys, self->now_ms)) {
            zsys_error ("broker: cannot sign the audit head");
            store_fail_batch (self->store);
        }
    }
}

//  Commits, and records how long the commit (its fsync) took.
static int
s_timed_commit (broker_t *self)
{
    int64_t start = zclock_usecs ();
    int rc = store_commit (self->store);
    metrics_hist_observe (&self->commit_latency, (zclock_usecs () - start) / 1e6);
    return rc;
}

//  A signed head, once committed, is given out to be witnessed outside
//  the store: one info line in the log, and a push (AuditReply with the
//  head, request_id 0) to the delivery session of every connected admin
//  node, which keeps the newest it saw. Only committed heads go out: a
//  head of a rolled-back cycle would name a record that never existed.
static void
s_announce_head (broker_t *self)
{
    audit_head_t head;
    if (!audit_signed_head (self->audit, &head) || head.seq <= self->announced_seq)
        return;
    self->announced_seq = head.seq;
    char text [300];
    audit_head_format (&head, text, sizeof text);
    zsys_info ("audit: signed %s", text);
    Samhand__V1__Frame frame = SAMHAND__V1__FRAME__INIT;
    Samhand__V1__AuditReply reply = SAMHAND__V1__AUDIT_REPLY__INIT;
    Samhand__V1__AuditHead wire = SAMHAND__V1__AUDIT_HEAD__INIT;
    wire.seq = (uint64_t) head.seq;
    wire.hash = (ProtobufCBinaryData) { 32, head.hash };
    wire.sig = (ProtobufCBinaryData) { 64, head.sig };
    wire.ts_ms = head.ts_ms;
    reply.ok = true;
    reply.head = &wire;
    frame.command_case = SAMHAND__V1__FRAME__COMMAND_AUDIT_REPLY;
    frame.audit_reply = &reply;
    size_t size;
    uint8_t *data = frame_encode (&frame, &size);
    session_t *session = (session_t *) zhashx_first (self->sessions);
    for (; data && session; session = (session_t *) zhashx_next (self->sessions)) {
        const node_t *node = nodes_by_name (self->nodes, session->node);
        if (session->routing_id && node && node->role == POLICY_ROLE_ADMIN
        &&  transport_send (self->transport, session->routing_id, data, size))
            zsys_warning ("broker: the audit head could not be pushed to %s", session->node);
    }
    free (data);
}

//  Idle means no writes: a cycle whose transaction changed nothing (the
//  timers looked and found no work) ends it without a COMMIT, so neither
//  the database nor its WAL is touched. The expiry high-water mark is
//  stored only with a cycle that writes anyway: after a restart the
//  expiry check starts from the last stored mark, which is safe (entries
//  already expired are no longer outstanding) and costs one range read.
static void
s_commit (broker_t *self)
{
    if (!store_in_transaction (self->store))
        return;
    int64_t changes = store_changes_total (self->store);
    //  Idle: nothing written and nothing failed. A write that failed
    //  without changing a row still fails the batch below.
    if (!self->batch_failed && !audit_failed (self->audit) && !store_batch_failed (self->store)
    &&  changes == self->changes_seen) {
        store_rollback (self->store);
        return;
    }
    if (!self->batch_failed && self->expiry_saved_ms != self->expiry_checked_ms
    &&  store_meta_set_int (self->store, "expiry_checked_ms", self->expiry_checked_ms))
        self->batch_failed = true;
    self->commits++;
    //  One rule: any failed write of the cycle fails the whole batch.
    if (self->batch_failed || audit_failed (self->audit))
        store_fail_batch (self->store);
    bool failed = false;
    if (s_timed_commit (self)) {
        s_fail_batch (self);
        failed = true;
    }
    if (failed)
        //  Expiries of the lost batch were rolled back: look again.
        self->expiry_checked_ms = self->expiry_saved_ms;
    else {
        self->expiry_saved_ms = self->expiry_checked_ms;
        s_announce_head (self);
    }
    self->changes_seen = store_changes_total (self->store);
    if (!failed && self->checkpoint_due) {
        //  Purged content may still sit in old WAL frames: move and empty.
        if (store_checkpoint (self->store))
            zsys_warning ("broker: WAL checkpoint after a purge failed; retried after the next");
        else
            self->checkpoint_due = false;
    }
    self->batch_failed = false;
}

//  Delivery runs in its own transaction after the acks: marking entries
//  sent needs no fsync before the send, since a lost mark only means the
//  entry is sent again, which receipts make harmless.
static void
s_deliver (broker_t *self)
{
    session_t *session = (session_t *) zhashx_first (self->sessions);
    for (; session; session = (session_t *) zhashx_next (self->sessions)) {
        const node_t *node = session->routing_id? nodes_by_name (self->nodes, session->node): NULL;
        if (session->routing_id && (!node || !streq (node->key, session->key))) {
            //  Revoked, or enrolled again under another key: the old
            //  connection is told and gets nothing more.
            zsys_warning ("broker: %s is no longer enrolled under the key that subscribed:"
                          " its session is closed", session->node);
            s_session_end (self, session, SAMHAND__V1__ERROR_CODE__NOT_PERMITTED,
                           "this node's certificate was revoked or replaced: the session is"
                           " closed; connect again with an enrolled certificate");
        }
        if (session->dirty && session->routing_id && self->now_ms >= self->deliver_retry_ms)
            deliver_pump (self, session);
    }
    if (!store_in_transaction (self->store))
        return;
    if (self->batch_failed || audit_failed (self->audit))
        store_fail_batch (self->store);
    self->batch_failed = false;
    if (store_commit (self->store)) {
        zsys_error ("broker: cannot record deliveries as sent; they will be sent again in a second");
        s_fail_batch (self);
        //  Not every cycle: a failing disk must not become a resend storm.
        self->deliver_retry_ms = self->now_ms + 1000;
        session = (session_t *) zhashx_first (self->sessions);
        for (; session; session = (session_t *) zhashx_next (self->sessions))
            session->dirty = session->routing_id != NULL;
    }
    self->changes_seen = store_changes_total (self->store);
}

//  This cycle's spending per node (by key) and in all.
typedef struct {
    zhashx_t *spent;          //  user id -> bytes taken + 1 (as a pointer)
    zhashx_t *waiting;        //  user ids with a frame parked: later ones wait too
    size_t    total;
} budget_t;

//  May this node's frame of SIZE bytes be handled in this cycle?
static bool
s_budget_take (budget_t *b, const char *user_id, size_t size)
{
    if (zhashx_lookup (b->waiting, user_id))
        return false;         //  keep each node's frames in order
    size_t spent = (size_t) (uintptr_t) zhashx_lookup (b->spent, user_id);
    spent = spent? spent - 1: 0;
    if (size >= SMALL_FRAME && spent > 0
    &&  (spent + size > NODE_BUDGET || b->total + size > CYCLE_BUDGET))
        return false;
    if (size >= SMALL_FRAME)
        b->total += size;
    zhashx_update (b->spent, user_id, (void *) (uintptr_t) (spent + size + 1));
    return true;
}

static void
s_park (broker_t *self, budget_t *b, transport_msg_t *msg)
{
    transport_msg_t *copy = (transport_msg_t *) malloc (sizeof *copy);
    if (!copy) {
        //  Cannot keep it for later: handle it now rather than drop it.
        s_handle_message (self, msg);
        transport_msg_clear (msg);
        return;
    }
    *copy = *msg;
    memset (msg, 0, sizeof *msg);
    zhashx_update (b->waiting, copy->user_id, (void *) 1);
    self->parked_bytes += zframe_size (copy->body);
    zlistx_add_end (self->parked, copy);
}

//  Reads and handles one cycle's frames: waiting ones first, then the
//  socket, each node within its budget (see NODE_BUDGET).
static void
s_read_batch (broker_t *self)
{
    budget_t b = { zhashx_new (), zhashx_new (), 0 };
    if (!b.spent || !b.waiting) {
        zhashx_destroy (&b.spent);
        zhashx_destroy (&b.waiting);
        return;               //  out of memory: the next cycle tries again
    }
    int count = 0;
    transport_msg_t *msg = (transport_msg_t *) zlistx_first (self->parked);
    while (msg && count < self->config->batch) {
        void *cursor = zlistx_cursor (self->parked);
        transport_msg_t *next = (transport_msg_t *) zlistx_next (self->parked);
        if (s_budget_take (&b, msg->user_id, zframe_size (msg->body))) {
            self->parked_bytes -= zframe_size (msg->body);
            s_handle_message (self, msg);
            zlistx_delete (self->parked, cursor);
            count++;
        }
        else
            zhashx_update (b.waiting, msg->user_id, (void *) 1);
        msg = next;
    }
    for (; count < self->config->batch && self->parked_bytes < PARKED_MAX_BYTES; count++) {
        transport_msg_t in;
        int rc = transport_recv (self->transport, &in);
        if (rc == 1)
            break;
        if (rc == 0) {
            if (s_budget_take (&b, in.user_id, zframe_size (in.body)))
                s_handle_message (self, &in);
            else
                s_park (self, &b, &in);
        }
        transport_msg_clear (&in);
    }
    zhashx_destroy (&b.spent);
    zhashx_destroy (&b.waiting);
}

static void
s_cycle (broker_t *self)
{
    self->now_ms = zclock_time ();
    transport_refused_handshakes (self->transport, s_on_refusal, self);
    if (self->now_ms >= self->next_refusals_ms) {
        self->next_refusals_ms = self->now_ms + REFUSAL_INTERVAL_MS;
        if (zhashx_size (self->refusals))
            s_flush_refusals (self);
    }
    s_read_batch (self);
    s_timers (self);
    s_commit (self);
    s_send_replies (self);
    s_deliver (self);
}

static volatile sig_atomic_t s_reload_requested;

static void
s_on_sighup (int sig)
{
    (void) sig;
    s_reload_requested = 1;
}

//  SIGHUP: read the config file and the enrolled folder again. A bad file
//  changes nothing; either way the attempt is audited.
static void
s_reload (broker_t *self)
{
    s_reload_requested = 0;
    service_reloading ();
    char err [256], detail [300];
    config_t *fresh = config_load (self->config->path, err, sizeof err);
    if (!fresh) {
        zsys_warning ("broker: config reload refused, nothing changed: %s", err);
        snprintf (detail, sizeof detail, "refused: %s", err);
    }
    else {
        int restart = config_apply_reload (self->config, fresh);
        log_set_level (self->config->log_level);
        config_destroy (&fresh);
        nodes_reload (self->nodes);
        //  Subscriptions by role may have changed: reload them lazily.
        session_t *session = (session_t *) zhashx_first (self->sessions);
        for (; session; session = (session_t *) zhashx_next (self->sessions))
            session->sub_loaded = false;
        snprintf (detail, sizeof detail, "%s%s", "limits, routes, roles, subscriptions, timers reloaded",
                  restart? "; endpoint, certificate, store, keys or log changes need a restart": "");
        zsys_info ("broker: configuration %s", detail);
    }
    broker_audit (self, "config_reloaded", NULL, NULL, detail);
    service_ready ("configuration reloaded");
}

int
broker_run (broker_t *self)
{
    struct sigaction action;
    memset (&action, 0, sizeof action);
    action.sa_handler = s_on_sighup;
    sigemptyset (&action.sa_mask);
    if (sigaction (SIGHUP, &action, NULL))
        zsys_warning ("broker: cannot handle SIGHUP: configuration reload disabled");
    zmq_pollitem_t items [2 + METRICS_POLL_MAX] = {
        { zsock_resolve (transport_socket (self->transport)), 0, ZMQ_POLLIN, 0 },
        { zsock_resolve (transport_monitor_socket (self->transport)), 0, ZMQ_POLLIN, 0 },
    };
    //  Socket bound and store open (broker_new): systemd may start dependants.
    service_ready ("accepting connections");
    while (!zsys_interrupted) {
        //  Frames waiting for their turn are work already in hand.
        int n_items = 2 + (int) metrics_server_poll_items (self->metrics, items + 2,
                                                            METRICS_POLL_MAX);
        int rc = zmq_poll (items, n_items, zlistx_size (self->parked)? 0: 200);
        if (rc < 0 && zmq_errno () != EINTR) {
            zsys_error ("broker: poll: %s", zmq_strerror (zmq_errno ()));
            break;
        }
        if (s_reload_requested)
            s_reload (self);
        s_cycle (self);
        metrics_server_serve (self->metrics, health_render, self);
        service_watchdog (self->now_ms);
    }
    service_stopping ();
    //  Stop taking work: the open transaction was committed by the last
    //  cycle; count the last refusals and sign the head so the log's end
    //  is covered.
    self->now_ms = zclock_time ();
    transport_refused_handshakes (self->transport, s_on_refusal, self);
    if (zhashx_size (self->refusals))
        s_flush_refusals (self);
    if (self->batch_failed) {
        store_rollback (self->store);
        if (audit_reload (self->audit))
            zsys_error ("broker: cannot reload the audit head at shutdown; it is reloaded before use");
        self->batch_failed = false;
    }
    if (store_begin (self->store) == 0
    &&  audit_sign_head (self->audit, s_sign, self->keys, self->now_ms) == 0
    &&  store_commit (self->store) == 0) {
        zsys_info ("samhandd: audit head signed at record %" PRId64, audit_last_seq (self->audit));
        s_announce_head (self);
    }
    zsys_info ("samhandd: stopped after %" PRIu64 " submits and %" PRIu64 " deliveries"
               " in %" PRIu64 " commits", self->submits, self->deliveries, self->commits);
    return 0;
}
