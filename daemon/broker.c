/*  broker — the cycle. See broker.h.
    Data flows one way through a cycle: read a batch -> validate ->
    authorise -> decide and write (one transaction) -> commit -> reply ->
    deliver. Acknowledgements wait for the commit; if it fails, every ack
    of the batch becomes an INTERNAL error and nothing is acknowledged.    */
#include "broker.h"
#include "handler.h"
#include "deliver.h"
#include "health.h"
#include "retention.h"
#include "workflow.h"
#include "consent.h"
#include "log.h"
#include <signal.h>
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

//  The broker: the handlers' context (handler.h), whose services it owns,
//  and what only the cycle uses.
struct _broker_t {
    handler_ctx_t ctx;
    config_t    *config;      //  ctx.config, writable: the reload changes it
    zlistx_t    *parked;      //  transport_msg_t * over a node's budget, for the next cycle
    size_t       parked_bytes;
    int64_t      next_redeliver_ms;
    int64_t      next_sign_ms;
    int64_t      next_purge_ms;
    int64_t      next_tick_ms;
    int64_t      next_nodes_ms;
    int64_t      expiry_saved_ms;     //  expiries up to here are handled on disk
    zhashx_t    *refusals;        //  refused handshakes of this interval, by reason and address
    int64_t      next_refusals_ms;
    int64_t      announced_seq;   //  the newest signed head logged and pushed
    int64_t      changes_seen;    //  store_changes_total when the last transaction ended
    bool         checkpoint_due;  //  a purge happened: empty the WAL after commit
    store_leader_t *leader;   //  held while this broker is the active one
    metrics_server_t *metrics;   //  loopback /metrics endpoint, NULL when off
    int64_t      deliver_retry_ms;   //  after a failed delivery commit: not before this
};

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
        if (handler_audit (&self->ctx, "handshake_refused", NULL, NULL, detail))
            self->ctx.batch_failed = true;
    }
    zhashx_purge (self->refusals);
}

//  The node behind a message, or NULL (logged, answered by the caller).
static const node_t *
s_node (broker_t *self, const char *user_id)
{
    //  ZAP admitted this key, so a miss means an enrolment newer than our
    //  list, or a revocation: read the folder again, if it changed, before
    //  deciding.
    const node_t *node = nodes_by_key (self->ctx.nodes, user_id);
    if (!node && nodes_refresh (self->ctx.nodes, zclock_time ()) == 0)
        node = nodes_by_key (self->ctx.nodes, user_id);
    return node;
}

static int
s_sign (const uint8_t *msg, size_t len, uint8_t sig [64], void *arg)
{
    return keys_sign ((keys_t *) arg, msg, len, sig);
}

static int
s_load_known (broker_t *self);
static int
s_load_names (broker_t *self);

//  A standby polls the leadership this often: the takeover's delay.
#define STANDBY_POLL_MS  100

//  Takes the store's leadership; with server/standby, waits for it while
//  another broker holds it. 0 when this broker leads, -1 when it may not
//  (refused, interrupted while waiting, or an error).
//  A standby answers /metrics as a standby (metrics_render_standby), so
//  that monitoring sees it waiting rather than a broker that is down. Its
//  metrics_bind is its own (two brokers on one machine need two); when it
//  cannot bind now it waits without, and binds when it takes over.
static void
s_standby_metrics (broker_t *self)
{
    const config_t *config = self->ctx.config;
    if (!config->metrics_bind || self->metrics)
        return;
    char err [256];
    self->metrics = metrics_server_new (config->metrics_bind, err, sizeof err);
    if (self->metrics)
        zsys_info ("samhandd: standby metrics on http://%s/metrics", config->metrics_bind);
    else
        zsys_warning ("broker: the standby serves no metrics (%s); it tries again when it"
                      " takes over", err);
}

typedef struct {
    int64_t since_mono;
} standby_view_t;

static char *
s_standby_render (void *arg)
{
    const standby_view_t *view = (const standby_view_t *) arg;
    return metrics_render_standby (SAMHAND_VERSION, (zclock_mono () - view->since_mono) / 1000.0);
}

//  One STANDBY_POLL_MS of waiting, answering /metrics meanwhile.
static void
s_standby_wait (broker_t *self, int64_t since_mono)
{
    zmq_pollitem_t items [METRICS_POLL_MAX];
    size_t n = metrics_server_poll_items (self->metrics, items, METRICS_POLL_MAX);
    if (n == 0) {
        zclock_sleep (STANDBY_POLL_MS);
        return;
    }
    if (zmq_poll (items, (int) n, STANDBY_POLL_MS) < 0 && zmq_errno () != EINTR)
        zclock_sleep (STANDBY_POLL_MS);
    standby_view_t view = { since_mono };
    metrics_server_serve (self->metrics, s_standby_render, &view);
}

static int
s_lead (broker_t *self)
{
    const config_t *config = self->ctx.config;
    char err [300];
    self->leader = store_leader_new (config->store_path, err, sizeof err);
    if (!self->leader) {
        zsys_error ("broker: %s", err);
        return -1;
    }
    int rc = store_leadership_try (self->leader);
    char store [300];
    store_path_display (config->store_path, store, sizeof store);
    if (rc == 0 && !config->standby)
        zsys_error ("broker: %s is in use by another samhandd (to wait as its standby and"
                    " take over when it stops, set server/standby = \"yes\")", store);
    if (rc == 0 && config->standby) {
        zsys_notice ("samhandd: %s is the standby: another broker leads %s; taking over when"
                     " it stops", config->name, store);
        int64_t since = zclock_mono ();
        s_standby_metrics (self);
        while (rc == 0 && !zsys_interrupted) {
            service_waiting (zclock_mono (), "standby: another broker is active");
            s_standby_wait (self, since);
            rc = store_leadership_try (self->leader);
        }
        if (rc == 1)
            zsys_notice ("samhandd: %s takes over: the store's leadership came free after"
                         " %.1f s as standby", config->name, (zclock_mono () - since) / 1000.0);
    }
    if (rc != 1)
        return -1;
    self->ctx.active_since_ms = zclock_time ();
    return 0;
}

//  "2027-01-31T00:00:00Z" for the log.
static void
s_utc_text (int64_t ms, char *out, size_t size)
{
    time_t when = (time_t) (ms / 1000);
    struct tm tm;
    if (!gmtime_r (&when, &tm) || !strftime (out, size, "%Y-%m-%dT%H:%M:%SZ", &tm))
        snprintf (out, size, "?");
}

//  Server key rotation (server/previous_*): the previous key is accepted
//  on its own endpoint until previous_until; after that date it is not
//  opened at all.
static int
s_previous_key_start (broker_t *self)
{
    const config_t *config = self->ctx.config;
    if (!config->previous_cert_path)
        return 0;
    char until [32];
    s_utc_text (config->previous_until_ms, until, sizeof until);
    if (zclock_time () >= config->previous_until_ms) {
        zsys_warning ("broker: server/previous_until %s has passed: the previous server key is"
                      " refused and %s is not opened (remove the previous_* settings)", until,
                      config->previous_bind);
        return 0;
    }
    if (transport_bind_previous (self->ctx.transport, config->previous_bind,
                                 config->previous_cert_path, config->previous_until_ms))
        return -1;
    zsys_warning ("broker: key rotation: the previous server key (%s) is accepted on %s until %s;"
                  " nodes switch to the new broker certificate and %s before then",
                  config->previous_cert_path, config->previous_bind, until, config->bind);
    return 0;
}

//  The transition is over: the previous key's endpoint closes, with the
//  connections made through it. On record.
static void
s_previous_key_end (broker_t *self)
{
    char until [32], detail [200];
    s_utc_text (self->ctx.config->previous_until_ms, until, sizeof until);
    transport_end_previous (self->ctx.transport);
    snprintf (detail, sizeof detail, "previous server key retired at %s: %s closed", until,
              self->ctx.config->previous_bind);
    zsys_warning ("broker: %s; nodes still on it are refused", detail);
    if (handler_audit (&self->ctx, "server_key_retired", NULL, NULL, detail))
        self->ctx.batch_failed = true;
}

broker_t *
broker_new (config_t *config)
{
    broker_t *self = (broker_t *) zmalloc (sizeof (broker_t));
    if (!self)
        return NULL;
    self->config = config;
    self->ctx.config = config;
    //  Tells clients apart one broker run from the next (Pong.instance).
    uint8_t instance [16];
    if (crypto_random (instance, sizeof instance))
        goto fail;
    for (int i = 0; i < 16; i++)
        snprintf (self->ctx.instance + 2 * i, 3, "%02x", instance [i]);
    self->ctx.sessions = sessions_new ();
    self->ctx.replies = replies_new ();
    self->ctx.outgoing = zlistx_new ();
    self->parked = zlistx_new ();
    self->refusals = zhashx_new ();
    if (!self->ctx.sessions || !self->ctx.replies || !self->ctx.outgoing || !self->parked
    ||  !self->refusals)
        goto fail;
    zlistx_set_destructor (self->ctx.outgoing, deliver_outgoing_free);
    zlistx_set_destructor (self->parked, s_parked_free);
    zhashx_set_destructor (self->refusals, s_refusal_free);
    //  What does not depend on the store comes first: a standby has it
    //  ready when it takes over (the word list takes half a second).
    self->ctx.nodes = nodes_new (config->enrolled_dir);
    if (!self->ctx.nodes || s_load_names (self))
        goto fail;
    //  Only the leader opens the store (its state: idempotency index, audit
    //  head, timers) and only then binds.
    if (s_lead (self))
        goto fail;
    self->ctx.store = store_new_led (config->store_path, self->leader);
    if (!self->ctx.store)
        goto fail;
    //  Keys may be created only together with a new store: a missing key
    //  beside an existing store is a misconfiguration, not a fresh start.
    char err [256];
    self->ctx.keys = keys_new (config->keys_dir, store_was_created (self->ctx.store), err, sizeof err);
    if (!self->ctx.keys) {
        zsys_error ("broker: %s", err);
        goto fail;
    }
    if (store_workflow_init (self->ctx.store) || store_plan_init (self->ctx.store)
    ||  retention_start (&self->ctx))
        goto fail;
    self->ctx.registry = registry_new (self->ctx.store);
    self->ctx.audit = audit_new (self->ctx.store);
    if (!self->ctx.registry || !self->ctx.audit || s_load_known (self)
    ||  consent_start (&self->ctx))
        goto fail;
    if (sessions_recount (self->ctx.sessions, self->ctx.store)
    ||  store_meta_get_int (self->ctx.store, "expiry_checked_ms", &self->ctx.expiry_checked_ms) < 0)
        goto fail;
    self->expiry_saved_ms = self->ctx.expiry_checked_ms;
    self->changes_seen = store_changes_total (self->ctx.store);
    audit_head_t head;
    if (audit_signed_head (self->ctx.audit, &head)) {
        //  The newest head at start, for whoever keeps the log as a witness.
        char text [300];
        audit_head_format (&head, text, sizeof text);
        zsys_info ("audit: newest signed %s", text);
        self->announced_seq = head.seq;
    }
    self->ctx.transport = transport_new (config->bind, config->cert_path, config->enrolled_dir,
                                         config->max_frame * 4 + 4096, config->heartbeat_ms);
    if (!self->ctx.transport || s_previous_key_start (self))
        goto fail;
    //  A standby that took over keeps the endpoint it served as standby.
    if (config->metrics_bind && !self->metrics) {
        self->metrics = metrics_server_new (config->metrics_bind, err, sizeof err);
        if (!self->metrics) {
            zsys_error ("broker: %s", err);
            goto fail;
        }
        zsys_info ("samhandd: metrics on http://%s/metrics", config->metrics_bind);
    }
    char store [300];
    zsys_info ("samhandd: %zu enrolled nodes, store %s, listening on %s",
               nodes_size (self->ctx.nodes),
               store_path_display (config->store_path, store, sizeof store), config->bind);
    zsys_notice ("samhandd: %s is the active broker%s", config->name,
                 config->standby? " (a standby may wait for the store)": "");
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
    transport_destroy (&self->ctx.transport);
    metrics_server_destroy (&self->metrics);
    replies_destroy (&self->ctx.replies);
    zlistx_destroy (&self->ctx.outgoing);
    zlistx_destroy (&self->parked);
    sessions_destroy (&self->ctx.sessions);
    zhashx_destroy (&self->refusals);
    for (int agency = 0; agency < 5; agency++)
        scan_known_destroy (&self->ctx.known [agency]);
    namelex_destroy (&self->ctx.names);
    zhashx_destroy (&self->ctx.probes);
    audit_destroy (&self->ctx.audit);
    registry_destroy (&self->ctx.registry);
    store_destroy (&self->ctx.store);
    keys_destroy (&self->ctx.keys);
    nodes_destroy (&self->ctx.nodes);
    store_leader_destroy (&self->leader);
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
        scan_known_add_hash (self->ctx.known [agency], hash);
}

//  One known set per agency, each filled only from its own rows.
static int
s_load_known (broker_t *self)
{
    for (int agency = 0; agency < 5; agency++) {
        self->ctx.known [agency] = scan_known_new (keys_scanner_secret (self->ctx.keys));
        if (!self->ctx.known [agency])
            return -1;
    }
    self->ctx.probes = zhashx_new ();
    if (!self->ctx.probes)
        return -1;
    zhashx_set_destructor (self->ctx.probes, s_probe_free);
    return registry_known_each (self->ctx.registry, s_add_known, self);
}

//  The scanner's word list. Fail closed: without it full names would pass.
static int
s_load_names (broker_t *self)
{
    char err [300];
    int64_t start = zclock_mono ();
    self->ctx.names = namelex_load (self->ctx.config->names_dict, 100000, err, sizeof err);
    if (!self->ctx.names) {
        zsys_error ("broker: %s", err);
        return -1;
    }
    zsys_info ("broker: names dictionary %s: %zu words, %zu KiB, loaded in %lld ms",
               self->ctx.config->names_dict, namelex_size (self->ctx.names),
               namelex_bytes (self->ctx.names) / 1024, (long long) (zclock_mono () - start));
    return 0;
}

//  One message from the wire: validate, identify, dispatch.
static void
s_handle_message (broker_t *self, transport_msg_t *msg)
{
    const node_t *node = s_node (self, msg->user_id);
    if (!node) {
        //  Enrolled for ZAP but without usable metadata: fail closed.
        zsys_warning ("broker: key %.8s... is not (or no longer) an enrolled node: refused",
                      msg->user_id);
        replies_error (self->ctx.replies, msg->routing_id, 0, SAMHAND__V1__ERROR_CODE__NOT_PERMITTED,
                       "this certificate is not enrolled (revoked, expired, or no name/agency/role)", NULL);
        return;
    }
    session_t *seen = sessions_get (self->ctx.sessions, node->name);
    if (seen)
        seen->last_seen_ms = self->ctx.now_ms;
    if (seen && msg->previous_key)
        seen->previous_key_ms = self->ctx.now_ms;
    frame_error_t err;
    Samhand__V1__Frame *frame = frame_decode (zframe_data (msg->body), zframe_size (msg->body),
                                              self->ctx.config->max_frame, &err);
    if (!frame) {
        zsys_warning ("broker: %s sent a bad frame (%zu bytes): %s: %s", node->name,
                      zframe_size (msg->body), frame_error_name (err.code), err.text);
        replies_error (self->ctx.replies, msg->routing_id, err.request_id, err.code, err.text, NULL);
        return;
    }
    //  frame_decode refused every command without a handler.
    handler_fn *handle = handler_for (frame->command_case);
    if (handle)
        handle (&self->ctx, msg->routing_id, node, frame);
    frame_destroy (&frame);
    //  Key rotation: is the node's delivery session (maybe just made by
    //  this frame) a connection on the previous key? Every frame of a
    //  connection comes over the endpoint it was made on.
    session_t *session = sessions_lookup (self->ctx.sessions, node->name);
    if (session && session->routing_id && zframe_eq (session->routing_id, msg->routing_id))
        session->previous_session = msg->previous_key;
}

//  Commit failed: nothing of this batch is durable, so no ack may go out.
static void
s_fail_batch (broker_t *self)
{
    bool full = store_disk_full (self->ctx.store);
    char store [300];
    if (full)
        zsys_error ("broker: commit failed: THE DISK IS FULL (%s): the batch is refused with"
                    " STORE_FULL; free space for the broker's store",
                    store_path_display (self->ctx.config->store_path, store, sizeof store));
    else
        zsys_error ("broker: commit failed: the batch is refused with INTERNAL");
    replies_fail (self->ctx.replies, full);
    //  In-memory state that followed the rolled-back writes follows them back.
    //  A reload that fails is tried again before the next use (audit, idem);
    //  an unknown expiry mark starts from the beginning (expired is expired).
    if (audit_reload (self->ctx.audit) || store_idem_rebuild (self->ctx.store))
        zsys_error ("broker: cannot reload state after a failed batch; will retry before use");
    if (store_meta_get_int (self->ctx.store, "expiry_checked_ms", &self->ctx.expiry_checked_ms) < 0)
        self->ctx.expiry_checked_ms = 0;
    registry_forget_writes (self->ctx.registry);
    //  A subscription changed in the batch was rolled back with it.
    sessions_forget_subscriptions (self->ctx.sessions);
    sessions_recount (self->ctx.sessions, self->ctx.store);
}

static void
s_mark_dirty (const char *node, void *arg)
{
    session_t *session = sessions_get ((sessions_t *) arg, node);
    if (session)
        session->dirty = true;
}

//  Time-driven work: redelivery of unreceipted entries, audit head signing.
static void
s_timers (broker_t *self)
{
    if (self->ctx.now_ms >= self->next_redeliver_ms) {
        self->next_redeliver_ms = self->ctx.now_ms + 1000;
        if (store_begin (self->ctx.store) == 0) {
            //  A failure marks the transaction failed in the store itself.
            int n = store_outbox_requeue_overdue (self->ctx.store,
                        self->ctx.now_ms - self->ctx.config->redeliver_after_ms, s_mark_dirty, self->ctx.sessions);
            if (n > 0)
                zsys_info ("broker: %d unreceipted deliveries queued again", n);
        }
    }
    if (transport_previous_open (self->ctx.transport)
    &&  self->ctx.now_ms >= self->ctx.config->previous_until_ms)
        s_previous_key_end (self);
    if (self->ctx.now_ms >= self->next_nodes_ms) {
        //  Revocation: a certificate removed from the enrolled folder stops
        //  its node within seconds, even on a connection already open.
        //  Read again only when the folder changed (a few stat calls).
        self->next_nodes_ms = self->ctx.now_ms + 5000;
        nodes_refresh (self->ctx.nodes, zclock_time ());
    }
    if (self->ctx.now_ms >= self->next_tick_ms) {
        self->next_tick_ms = self->ctx.now_ms + self->ctx.config->timer_tick_ms;
        workflow_tick (&self->ctx);
    }
    if (self->ctx.now_ms >= self->next_purge_ms) {
        self->next_purge_ms = self->ctx.now_ms + self->ctx.config->purge_every_s * 1000LL;
        if (retention_run (&self->ctx) > 0)
            self->checkpoint_due = true;
    }
    if (self->ctx.now_ms >= self->next_sign_ms) {
        self->next_sign_ms = self->ctx.now_ms + self->ctx.config->audit_sign_every_s * 1000LL;
        if (store_begin (self->ctx.store) == 0
        &&  audit_sign_head (self->ctx.audit, s_sign, self->ctx.keys, self->ctx.now_ms)) {
            zsys_error ("broker: cannot sign the audit head");
            store_fail_batch (self->ctx.store);
        }
    }
}

//  Commits, and records how long the commit (its fsync) took.
static int
s_timed_commit (broker_t *self)
{
    int64_t start = zclock_usecs ();
    int rc = store_commit (self->ctx.store);
    metrics_hist_observe (&self->ctx.commit_latency, (zclock_usecs () - start) / 1e6);
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
    if (!audit_signed_head (self->ctx.audit, &head) || head.seq <= self->announced_seq)
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
    session_t *session = sessions_first (self->ctx.sessions);
    for (; data && session; session = sessions_next (self->ctx.sessions)) {
        const node_t *node = nodes_by_name (self->ctx.nodes, session->node);
        if (session->routing_id && node && node->role == POLICY_ROLE_ADMIN
        &&  transport_send (self->ctx.transport, session->routing_id, data, size))
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
    if (!store_in_transaction (self->ctx.store))
        return;
    int64_t changes = store_changes_total (self->ctx.store);
    //  Idle: nothing written and nothing failed. A write that failed
    //  without changing a row still fails the batch below.
    if (!self->ctx.batch_failed && !audit_failed (self->ctx.audit) && !store_batch_failed (self->ctx.store)
    &&  changes == self->changes_seen) {
        store_rollback (self->ctx.store);
        return;
    }
    if (!self->ctx.batch_failed && self->expiry_saved_ms != self->ctx.expiry_checked_ms
    &&  store_meta_set_int (self->ctx.store, "expiry_checked_ms", self->ctx.expiry_checked_ms))
        self->ctx.batch_failed = true;
    self->ctx.commits++;
    //  One rule: any failed write of the cycle fails the whole batch.
    if (self->ctx.batch_failed || audit_failed (self->ctx.audit))
        store_fail_batch (self->ctx.store);
    bool failed = false;
    if (s_timed_commit (self)) {
        s_fail_batch (self);
        failed = true;
    }
    if (failed)
        //  Expiries of the lost batch were rolled back: look again.
        self->ctx.expiry_checked_ms = self->expiry_saved_ms;
    else {
        self->expiry_saved_ms = self->ctx.expiry_checked_ms;
        s_announce_head (self);
    }
    self->changes_seen = store_changes_total (self->ctx.store);
    if (!failed && self->checkpoint_due) {
        //  Purged content may still sit in old WAL frames: move and empty.
        if (store_checkpoint (self->ctx.store))
            zsys_warning ("broker: WAL checkpoint after a purge failed; retried after the next");
        else
            self->checkpoint_due = false;
    }
    self->ctx.batch_failed = false;
}

//  Delivery runs in its own transaction after the acks. A Deliver goes out
//  only after the commit that recorded it (marked sent, "delivered" in the
//  audit): if that commit fails, nothing was disclosed without its record,
//  and the entries, pending again, go with a later cycle.
static void
s_deliver (broker_t *self)
{
    session_t *session = sessions_first (self->ctx.sessions);
    for (; session; session = sessions_next (self->ctx.sessions)) {
        const node_t *node = session->routing_id? nodes_by_name (self->ctx.nodes, session->node): NULL;
        if (session->routing_id && (!node || !streq (node->key, session->key))) {
            //  Revoked, or enrolled again under another key: the old
            //  connection is told and gets nothing more.
            zsys_warning ("broker: %s is no longer enrolled under the key that subscribed:"
                          " its session is closed", session->node);
            session_end (session, self->ctx.transport, SAMHAND__V1__ERROR_CODE__NOT_PERMITTED,
                         "this node's certificate was revoked or replaced: the session is"
                         " closed; connect again with an enrolled certificate");
        }
        if (session->dirty && session->routing_id && self->ctx.now_ms >= self->deliver_retry_ms
        &&  self->ctx.now_ms >= session->deliver_after_ms)
            deliver_pump (&self->ctx, session);
    }
    if (!store_in_transaction (self->ctx.store)) {
        deliver_flush (&self->ctx, false);
        return;
    }
    if (self->ctx.batch_failed || audit_failed (self->ctx.audit))
        store_fail_batch (self->ctx.store);
    self->ctx.batch_failed = false;
    if (store_commit (self->ctx.store)) {
        zsys_error ("broker: cannot record deliveries as sent: none was sent; they go again in a second");
        deliver_flush (&self->ctx, false);
        s_fail_batch (self);
        //  Not every cycle: a failing disk must not become a resend storm.
        self->deliver_retry_ms = self->ctx.now_ms + 1000;
        session = sessions_first (self->ctx.sessions);
        for (; session; session = sessions_next (self->ctx.sessions))
            session->dirty = session->routing_id != NULL;
    }
    else
        deliver_flush (&self->ctx, true);
    self->changes_seen = store_changes_total (self->ctx.store);
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
    while (msg && count < self->ctx.config->batch) {
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
    for (; count < self->ctx.config->batch && self->parked_bytes < PARKED_MAX_BYTES; count++) {
        transport_msg_t in;
        int rc = transport_recv (self->ctx.transport, &in);
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
    self->ctx.now_ms = zclock_time ();
    transport_refused_handshakes (self->ctx.transport, s_on_refusal, self);
    if (self->ctx.now_ms >= self->next_refusals_ms) {
        self->next_refusals_ms = self->ctx.now_ms + REFUSAL_INTERVAL_MS;
        if (zhashx_size (self->refusals))
            s_flush_refusals (self);
    }
    s_read_batch (self);
    s_timers (self);
    s_commit (self);
    replies_send (self->ctx.replies, self->ctx.transport);
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
    config_t *fresh = config_load (self->ctx.config->path, err, sizeof err);
    if (!fresh) {
        zsys_warning ("broker: config reload refused, nothing changed: %s", err);
        snprintf (detail, sizeof detail, "refused: %s", err);
    }
    else {
        int restart = config_apply_reload (self->config, fresh);
        log_set_level (self->ctx.config->log_level);
        config_destroy (&fresh);
        nodes_reload (self->ctx.nodes);
        //  Subscriptions by role may have changed: reload them lazily.
        sessions_forget_subscriptions (self->ctx.sessions);
        snprintf (detail, sizeof detail, "%s%s", "limits, routes, roles, subscriptions, timers reloaded",
                  restart? "; endpoint, certificate, store, keys or log changes need a restart": "");
        zsys_info ("broker: configuration %s", detail);
    }
    //  The ZAP handler's copy of the enrolled folder too, whatever the
    //  file said (it also notices changes by itself, see zapcerts.h).
    if (self->ctx.transport)
        transport_reload_enrolled (self->ctx.transport);
    handler_audit (&self->ctx, "config_reloaded", NULL, NULL, detail);
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
        { zsock_resolve (transport_socket (self->ctx.transport)), 0, ZMQ_POLLIN, 0 },
        { zsock_resolve (transport_monitor_socket (self->ctx.transport)), 0, ZMQ_POLLIN, 0 },
    };
    //  Socket bound and store open (broker_new): systemd may start dependants.
    service_ready ("active: accepting connections");
    bool lost = false;
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
        metrics_server_serve (self->metrics, health_render, &self->ctx);
        service_watchdog (self->ctx.now_ms);
        if (!store_is_leader (self->leader)) {
            //  Fenced: nothing this broker writes can commit any more. Stop
            //  serving, so that clients go to the broker that leads now.
            //  One line that says what happened and what comes next.
            char store [300];
            zsys_error ("samhandd: %s lost the leadership of the store (%s): its"
                        " PostgreSQL session no longer holds the store's lock (%s), so it can"
                        " commit nothing more there and stops now"
                        " (exit status 1); nothing it acknowledged is lost. systemd starts it"
                        " again: it leads once it can reach the database, or waits as the"
                        " standby while another broker leads; if this repeats, check that"
                        " PostgreSQL is up and reachable from this machine",
                        self->ctx.config->name, store_path_display (self->ctx.config->store_path,
                                                                    store, sizeof store),
                        store_leader_lost (self->leader));
            lost = true;
            break;
        }
    }
    service_stopping ();
    //  Stop taking work: the open transaction was committed by the last
    //  cycle; count the last refusals and sign the head so the log's end
    //  is covered.
    self->ctx.now_ms = zclock_time ();
    if (lost) {
        //  The store is not this broker's any more: nothing to write there.
        zsys_info ("samhandd: stopped after %" PRIu64 " submits and %" PRIu64 " deliveries"
                   " in %" PRIu64 " commits", self->ctx.submits, self->ctx.deliveries,
                   self->ctx.commits);
        return 1;
    }
    transport_refused_handshakes (self->ctx.transport, s_on_refusal, self);
    if (zhashx_size (self->refusals))
        s_flush_refusals (self);
    if (self->ctx.batch_failed) {
        store_rollback (self->ctx.store);
        if (audit_reload (self->ctx.audit))
            zsys_error ("broker: cannot reload the audit head at shutdown; it is reloaded before use");
        self->ctx.batch_failed = false;
    }
    if (store_begin (self->ctx.store) == 0
    &&  audit_sign_head (self->ctx.audit, s_sign, self->ctx.keys, self->ctx.now_ms) == 0
    &&  store_commit (self->ctx.store) == 0) {
        zsys_info ("samhandd: audit head signed at record %" PRId64, audit_last_seq (self->ctx.audit));
        s_announce_head (self);
    }
    zsys_info ("samhandd: stopped after %" PRIu64 " submits and %" PRIu64 " deliveries"
               " in %" PRIu64 " commits", self->ctx.submits, self->ctx.deliveries, self->ctx.commits);
    return lost? 1: 0;
}
