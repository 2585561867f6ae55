/*  broker — the cycle. See broker.h.
    Data flows one way through a cycle: read a batch -> validate ->
    authorise -> decide and write (one transaction) -> commit -> reply ->
    deliver. Acknowledgements wait for the commit; if it fails, every ack
    of the batch becomes an INTERNAL error and nothing is acknowledged.    */
#include "broker_internal.h"
#include <signal.h>
#include "policy.h"

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
    self->sessions = zhashx_new ();
    self->replies = zlistx_new ();
    if (!self->sessions || !self->replies)
        goto fail;
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
    if (store_workflow_init (self->store))
        goto fail;
    self->registry = registry_new (store_db (self->store));
    self->audit = audit_new (store_db (self->store));
    self->known = scan_known_new (keys_scanner_secret (self->keys));
    if (!self->registry || !self->audit || !self->known || s_load_known (self))
        goto fail;
    if (store_outbox_counts (self->store, s_count_outstanding, self)
    ||  store_meta_get_int (self->store, "expiry_checked_ms", &self->expiry_checked_ms) < 0)
        goto fail;
    self->transport = transport_new (config->bind, config->cert_path, config->enrolled_dir,
                                     config->max_frame * 4 + 4096, config->heartbeat_ms);
    if (!self->transport)
        goto fail;
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
    zlistx_destroy (&self->replies);
    zhashx_destroy (&self->sessions);
    scan_known_destroy (&self->known);
    audit_destroy (&self->audit);
    registry_destroy (&self->registry);
    store_destroy (&self->store);
    keys_destroy (&self->keys);
    nodes_destroy (&self->nodes);
    if (self->lock_fd >= 0)
        close (self->lock_fd);
    free (self);
    *self_p = NULL;
}

static void
s_add_known (const uint8_t hash [32], int kind, void *arg)
{
    (void) kind;
    scan_known_add_hash ((scan_known_t *) arg, hash);
}

static int
s_load_known (broker_t *self)
{
    return registry_known_each (self->registry, s_add_known, self->known);
}

//  Subscribe: this connection becomes the node's delivery session, and
//  whatever was in flight to an earlier session is sent again.
static void
s_handle_subscribe (broker_t *self, zframe_t *routing_id, const node_t *node,
                    const Samhand__V1__Frame *frame)
{
    const Samhand__V1__Subscribe *sub = frame->subscribe;
    session_t *session = broker_session (self, node->name);
    if (!session || store_begin (self->store)) {
        broker_reply_error (self, routing_id, frame->request_id, SAMHAND__V1__ERROR_CODE__INTERNAL,
                            "the broker cannot take the subscription now: retry", NULL);
        return;
    }
    uint32_t kinds = 0;
    for (size_t i = 0; i < sub->n_kinds; i++)
        kinds |= 1u << sub->kinds [i];
    if (kinds) {
        if (store_subscription_set (self->store, node->name, kinds,
                                    sub->min_urgency, sub->min_risk_level)) {
            broker_reply_error (self, routing_id, frame->request_id,
                                SAMHAND__V1__ERROR_CODE__INTERNAL,
                                "the broker cannot store the subscription now: retry", NULL);
            return;
        }
        session->sub_kinds = kinds;
        session->sub_min_urgency = sub->min_urgency;
        session->sub_min_level = sub->min_risk_level;
        session->sub_loaded = true;
    }
    else
    if (broker_subscription (self, node))
        kinds = session->sub_kinds;
    if (store_outbox_requeue_node (self->store, node->name) < 0) {
        broker_reply_error (self, routing_id, frame->request_id, SAMHAND__V1__ERROR_CODE__INTERNAL,
                            "the broker cannot take the subscription now: retry", NULL);
        return;
    }
    zframe_destroy (&session->routing_id);
    session->routing_id = zframe_dup (routing_id);
    session->dirty = true;

    Samhand__V1__Frame reply = SAMHAND__V1__FRAME__INIT;
    Samhand__V1__Subscribed subscribed = SAMHAND__V1__SUBSCRIBED__INIT;
    Samhand__V1__Kind list [CONFIG_KINDS];
    size_t n = 0;
    for (int kind = 1; kind < CONFIG_KINDS; kind++)
        if (kinds & (1u << kind))
            list [n++] = (Samhand__V1__Kind) kind;
    subscribed.kinds = list;
    subscribed.n_kinds = n;
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
                            "this certificate is not enrolled (revoked, or no name/agency/role)", NULL);
        return;
    }
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

static void
s_commit (broker_t *self)
{
    if (!store_in_transaction (self->store))
        return;
    self->commits++;
    //  One rule: any failed write of the cycle fails the whole batch.
    if (self->batch_failed || audit_failed (self->audit))
        store_fail_batch (self->store);
    if (store_commit (self->store))
        s_fail_batch (self);
    else
    if (self->checkpoint_due) {
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
        if (session->routing_id && !nodes_by_name (self->nodes, session->node)) {
            zsys_warning ("broker: %s is no longer enrolled: its session is closed", session->node);
            zframe_destroy (&session->routing_id);
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
}

static void
s_cycle (broker_t *self)
{
    self->now_ms = zclock_time ();
    int refused = transport_refused_handshakes (self->transport);
    for (int i = 0; i < refused; i++)
        broker_audit (self, "handshake_refused", NULL, NULL, "unknown or revoked certificate");
    for (int count = 0; count < self->config->batch; count++) {
        transport_msg_t msg;
        int rc = transport_recv (self->transport, &msg);
        if (rc == 1)
            break;
        if (rc == 0)
            s_handle_message (self, &msg);
        transport_msg_clear (&msg);
    }
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
    char err [256], detail [300];
    config_t *fresh = config_load (self->config->path, err, sizeof err);
    if (!fresh) {
        zsys_warning ("broker: config reload refused, nothing changed: %s", err);
        snprintf (detail, sizeof detail, "refused: %s", err);
    }
    else {
        int restart = config_apply_reload (self->config, fresh);
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
    zmq_pollitem_t items [] = {
        { zsock_resolve (transport_socket (self->transport)), 0, ZMQ_POLLIN, 0 },
        { zsock_resolve (transport_monitor_socket (self->transport)), 0, ZMQ_POLLIN, 0 },
    };
    while (!zsys_interrupted) {
        int rc = zmq_poll (items, 2, 200);
        if (rc < 0 && zmq_errno () != EINTR) {
            zsys_error ("broker: poll: %s", zmq_strerror (zmq_errno ()));
            break;
        }
        if (s_reload_requested)
            s_reload (self);
        s_cycle (self);
    }
    //  Stop taking work: the open transaction was committed by the last
    //  cycle; sign the head so the log's end is covered.
    self->now_ms = zclock_time ();
    if (store_begin (self->store) == 0
    &&  audit_sign_head (self->audit, s_sign, self->keys, self->now_ms) == 0
    &&  store_commit (self->store) == 0)
        zsys_info ("samhandd: audit head signed at record %" PRId64, audit_last_seq (self->audit));
    zsys_info ("samhandd: stopped after %" PRIu64 " submits and %" PRIu64 " deliveries"
               " in %" PRIu64 " commits", self->submits, self->deliveries, self->commits);
    return 0;
}
