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
#include "samhand.pb-c.h"
#include "policy.h"

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
    config_t    *config;
    nodes_t     *nodes;
    store_t     *store;
    registry_t  *registry;
    audit_t     *audit;
    keys_t      *keys;
    transport_t *transport;
    scan_known_t *known;      //  keyed hashes of names/phones seen identified
    zhashx_t    *sessions;    //  node name -> session_t
    zlistx_t    *replies;     //  reply_t, sent after commit
    int64_t      now_ms;
    int64_t      next_redeliver_ms;
    int64_t      next_sign_ms;
    int64_t      next_purge_ms;
    int64_t      next_tick_ms;
    int64_t      next_nodes_ms;
    int64_t      expiry_checked_ms;   //  expiries up to here are handled
    bool         checkpoint_due;  //  a purge happened: empty the WAL after commit
    int          lock_fd;
    uint64_t     submits, deliveries, commits;
    bool         batch_failed;   //  a write failed: roll the cycle back
    int64_t      deliver_retry_ms;   //  after a failed delivery commit: not before this
};

//  The node behind a message, or NULL (logged, answered by the caller).
const node_t *broker_node (broker_t *self, const char *user_id);

session_t *broker_session (broker_t *self, const char *node);

//  Queues a reply. Takes ownership of data; copies the routing id.
void broker_reply (broker_t *self, zframe_t *routing_id, uint8_t *data, size_t size,
                   bool needs_commit, uint64_t request_id);

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
//  Derives the subject key of a submit, or resolves its case reference.
//  Returns 1 with key, 0 if the message names nobody, -1 unknown case ref.
int submit_subject_key (broker_t *self, const node_t *node,
                        const Samhand__V1__Submit *submit, uint8_t key [32]);

//  The policy input for one recipient agency of a submit (also used when
//  a consent withdrawal decides pending deliveries again).
void submit_policy_input (broker_t *self, const node_t *sender, const Samhand__V1__Submit *submit,
                          int kind, int recipient, const policy_consent_t *consents, int n_consents,
                          bool text_clean, policy_input_t *in);

//  deliver.c: sends what a connected node may receive within its window.
void deliver_pump (broker_t *self, session_t *session);
//  The packed Deliver frame of one outbox entry (view built now); caller frees.
uint8_t *deliver_build (broker_t *self, const store_delivery_t *d, size_t *size);

//  retention.c: purges expired personal data; returns how many messages.
int retention_run (broker_t *self);

//  workflow.c: stored deadlines (escalation, expiry, reminders)
int workflow_submitted (broker_t *self, int64_t message, const uint8_t message_id [16],
                        const Samhand__V1__Submit *submit, const uint8_t *subject_key);
void workflow_tick (broker_t *self);
void workflow_dead_letter (broker_t *self, const store_delivery_t *d, const char *node);

//  status.c: message status for senders, inboxes, dead letters
void status_push (broker_t *self, int64_t delivery_id);
void status_handle (broker_t *self, zframe_t *routing_id, const node_t *node,
                    const Samhand__V1__Frame *frame);
void inbox_handle (broker_t *self, zframe_t *routing_id, const node_t *node,
                   const Samhand__V1__Frame *frame);
void dead_letters_handle (broker_t *self, zframe_t *routing_id, const node_t *node,
                          const Samhand__V1__Frame *frame);

//  admin.c: audit queries
void admin_handle (broker_t *self, zframe_t *routing_id, const node_t *node,
                   const Samhand__V1__Frame *frame);

//  consent.c
void consent_handle (broker_t *self, zframe_t *routing_id, const node_t *node,
                     const Samhand__V1__Frame *frame);

#endif
