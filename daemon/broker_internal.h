/*  broker_internal — state shared by the broker's own files (broker.c,
    submit.c, deliver.c, consent.c). Nothing outside the broker includes it. */
#ifndef SAMHAND_BROKER_INTERNAL_H
#define SAMHAND_BROKER_INTERNAL_H

#include <czmq.h>
#include "broker.h"
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
} session_t;

//  A reply waiting for the cycle's commit.
typedef struct {
    zframe_t *routing_id;
    uint8_t  *data;
    size_t    size;
    bool      needs_commit;   //  an ack that must not go out if the commit fails
    uint64_t  request_id;
} reply_t;

struct _broker_t {
    char         instance [33];   //  random hex per start, in every Pong
    config_t    *config;
    nodes_t     *nodes;
    store_t     *store;
    registry_t  *registry;
    audit_t     *audit;
    keys_t      *keys;
    transport_t *transport;
    //  Keyed hashes of the names each agency has sent, or received in an
    //  identified view; a sender's scan consults its own agency's set only.
    scan_known_t *known [5];  //  by Samhand__V1__Agency (0: none)
    namelex_t   *names;       //  proper nouns and common words (names_dict)
    zhashx_t    *probes;      //  node name -> probe_window_t (submit.c)
    zhashx_t    *sessions;    //  node name -> session_t
    zlistx_t    *replies;     //  reply_t, sent after commit
    zlistx_t    *outgoing;    //  Deliver frames of this cycle, sent after their commit (deliver.c)
    zlistx_t    *parked;      //  transport_msg_t * over a node's budget, for the next cycle
    size_t       parked_bytes;
    int64_t      now_ms;
    int64_t      next_redeliver_ms;
    int64_t      next_sign_ms;
    int64_t      next_purge_ms;
    int64_t      next_tick_ms;
    int64_t      next_nodes_ms;
    int64_t      expiry_checked_ms;   //  expiries up to here are handled
    int64_t      expiry_saved_ms;     //  ... and up to here that is on disk
    zhashx_t    *refusals;        //  refused handshakes of this interval, by reason and address
    int64_t      next_refusals_ms;
    int64_t      announced_seq;   //  the newest signed head logged and pushed
    int64_t      changes_seen;    //  store_changes_total when the last transaction ended
    bool         checkpoint_due;  //  a purge happened: empty the WAL after commit
    store_leader_t *leader;      //  held while this broker is the active one
    int64_t      active_since_ms;    //  when it took the leadership (unix ms)
    uint64_t     submits, deliveries, commits;
    bool         batch_failed;   //  a write failed: roll the cycle back
    metrics_server_t *metrics;   //  loopback /metrics endpoint, NULL when off
    metrics_hist_t commit_latency;
    int64_t      health_audit_seq;   //  review records counted up to here
    int64_t      health_reviews;
    int64_t      deliver_retry_ms;   //  after a failed delivery commit: not before this
};

//  The node behind a message, or NULL (logged, answered by the caller).
const node_t *broker_node (broker_t *self, const char *user_id);

session_t *broker_session (broker_t *self, const char *node);

//  Queues a reply. Takes ownership of data; copies the routing id.
void broker_reply (broker_t *self, zframe_t *routing_id, uint8_t *data, size_t size,
                   bool needs_commit, uint64_t request_id);

//  Queues nothing to send unless this cycle's commit fails: then an Error
//  INTERNAL with REQUEST_ID (for requests that are answered only on
//  failure, such as a Receipt).
void broker_reply_if_failed (broker_t *self, zframe_t *routing_id, uint64_t request_id);

//  The node's subscription (stored, or its role's default), cached.
session_t *broker_subscription (broker_t *self, const node_t *node);
void broker_reply_error (broker_t *self, zframe_t *routing_id, uint64_t request_id,
                         int code, const char *text, const ProtobufCBinaryData *message_id);

//  Audit shorthand for events without a recipient.
int broker_audit (broker_t *self, const char *event, const uint8_t *message_id,
                  const char *sender, const char *detail);

//  Reloads per-node outstanding counts from the store (after a rollback).
void broker_recount (broker_t *self);

//  submit.c
void submit_handle (broker_t *self, zframe_t *routing_id, const node_t *node,
                    const Samhand__V1__Frame *frame);
//  True when every free-text field of the message passes the identifier
//  scanner as the SENDER'S agency's scan sees it (its own known names and
//  the lexicon; never what other agencies' messages taught the broker).
bool submit_text_clean (broker_t *self, const node_t *sender, const Samhand__V1__Submit *submit);
//  Derives the subject key of a submit, or resolves its case reference.
//  Returns 1 with key, 0 if the message names nobody, -1 unknown case ref,
//  -2 a subject and a case reference that are two different people.
int submit_subject_key (broker_t *self, const node_t *node,
                        const Samhand__V1__Submit *submit, uint8_t key [32]);

//  True when every free-text field of the submit passes the identifier
//  scanner, as seen for this sender (also used when a decision is taken
//  again, so a re-decision checks content exactly as the first did).
bool submit_text_clean (broker_t *self, const node_t *sender, const Samhand__V1__Submit *submit);

//  The policy input for one recipient agency of a submit (also used when
//  a consent withdrawal decides pending deliveries again).
void submit_policy_input (broker_t *self, const node_t *sender, const Samhand__V1__Submit *submit,
                          int kind, int recipient, const policy_consent_t *consents, int n_consents,
                          bool text_clean, policy_input_t *in);

//  deliver.c: sends what a connected node may receive within its window.
//  The pump marks entries sent and writes their "delivered" records in the
//  open transaction and queues the frames on self->outgoing; deliver_flush
//  sends them once that transaction has committed (COMMITTED true), or
//  drops them (false: the entries are pending again after the rollback).
void deliver_pump (broker_t *self, session_t *session);
void deliver_flush (broker_t *self, bool committed);
void deliver_outgoing_free (void **item);
//  The packed Deliver frame of one outbox entry (view built now); caller frees.
uint8_t *deliver_build (broker_t *self, const store_delivery_t *d, size_t *size);

//  retention.c: purges expired personal data; returns how many messages.
//  Then destroys the key of a passed period (crypto-shredding).
int retention_run (broker_t *self);
//  At start: the period keys exist (made on a store's first start with
//  them; missing after that is refused). 0 or -1 (logged).
int retention_start (broker_t *self);
//  Seals content of KIND (also a plan note: RISK_PLAN) under the key of
//  the period in which its retention, from now, ends. As crypto_seal.
int retention_seal (broker_t *self, int kind, const uint8_t *aad, size_t aad_len,
                    const uint8_t *plain, size_t plain_size, uint8_t **out, size_t *out_size);

//  workflow.c: stored deadlines (escalation, expiry, reminders)
int workflow_submitted (broker_t *self, int64_t message, const uint8_t message_id [16],
                        const Samhand__V1__Submit *submit, const uint8_t *subject_key);
void workflow_tick (broker_t *self);
void workflow_dead_letter (broker_t *self, const store_delivery_t *d, const char *node);

//  status.c: message status for senders, inboxes, dead letters
void status_push (broker_t *self, int64_t delivery_id);
//  The state (OUTBOX_*) of delivery DELIVERY_ID if it is NODE's, else -1.
int status_delivery_state (broker_t *self, int64_t delivery_id, const char *node);
void status_handle (broker_t *self, zframe_t *routing_id, const node_t *node,
                    const Samhand__V1__Frame *frame);
void inbox_handle (broker_t *self, zframe_t *routing_id, const node_t *node,
                   const Samhand__V1__Frame *frame);
void dead_letters_handle (broker_t *self, zframe_t *routing_id, const node_t *node,
                          const Samhand__V1__Frame *frame);

//  admin.c: audit queries
void admin_handle (broker_t *self, zframe_t *routing_id, const node_t *node,
                   const Samhand__V1__Frame *frame);
//  The detail of a duty-to-avert review record: reason, then the claim
//  (decision-maker, justification, statute) sealed under the data key, in
//  hex. Only `audit reviews` opens it. Caller frees; NULL on failure.
char *admin_review_detail (broker_t *self, const uint8_t message_id [16], const char *reason,
                           const Samhand__V1__LegalClaim *claim);

//  health.c: the broker's state for operators (no personal data)
int health_snapshot (broker_t *self, metrics_snapshot_t *snap, metrics_node_t **nodes_p);
char *health_render (void *arg);             //  metrics_render_fn over the broker
void health_status_handle (broker_t *self, zframe_t *routing_id, const node_t *node,
                           const Samhand__V1__Frame *frame);

//  consent.c
void consent_handle (broker_t *self, zframe_t *routing_id, const node_t *node,
                     const Samhand__V1__Frame *frame);
//  The stored timer that fires when a consent's period ends (key: its id).
#define CONSENT_TIMER "consent_end"
//  A consent's period has ended: decides its subject's outstanding
//  deliveries again and sends the notices, as a withdrawal does. Returns
//  how many were decided again.
int consent_expired (broker_t *self, const char *consent_id);
//  Before an IDENTIFIED delivery on a consent goes out: is the consent
//  still in force? 0 yes (unchanged); 1 decided again now, d updated to
//  the new (narrower) decision; 2 do not send it (withheld now, or the
//  check itself failed).
int consent_recheck (broker_t *self, store_delivery_t *d, const char *node);

#endif
