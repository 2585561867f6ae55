/*  subscribe — the session commands. See subscribe.h.
    They change the sessions table (sessions.h) that the broker's delivery
    phase reads; nothing here sends a reply before the commit, except the
    notice to a replaced session, which must precede anything else.     */
#include "subscribe.h"
#include "status.h"

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
s_subscription_change (handler_ctx_t *self, const node_t *node, session_t *session,
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

//  Subscribe: this connection becomes the node's delivery session (unless
//  manage_only), and whatever was in flight to an earlier session is sent
//  again. An earlier session on another connection is told it is replaced.
//  The stored subscription changes only on explicit kinds or reset.
void
subscribe_handle (handler_ctx_t *self, zframe_t *routing_id, const node_t *node,
                  const Samhand__V1__Frame *frame)
{
    const Samhand__V1__Subscribe *sub = frame->subscribe;
    session_t *session = sessions_subscription (self->sessions, node, self->store, self->config);
    if (!session || store_begin (self->store)) {
        replies_error (self->replies, routing_id, frame->request_id, SAMHAND__V1__ERROR_CODE__INTERNAL,
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
            replies_error (self->replies, routing_id, frame->request_id,
                           SAMHAND__V1__ERROR_CODE__INTERNAL,
                           "the broker cannot store the subscription now: retry", NULL);
            return;
        }
    }
    if (!sub->manage_only) {
        if (session->routing_id && !zframe_eq (session->routing_id, routing_id)) {
            zsys_warning ("broker: %s subscribed on a new connection: its older session is"
                          " told it is replaced and gets nothing more", node->name);
            session_end (session, self->transport, SAMHAND__V1__ERROR_CODE__SESSION_REPLACED,
                         "another connection of this node subscribed: this one gets no"
                         " more deliveries");
        }
        if (store_outbox_requeue_node (self->store, node->name) < 0) {
            self->batch_failed = true;
            replies_error (self->replies, routing_id, frame->request_id,
                           SAMHAND__V1__ERROR_CODE__INTERNAL,
                           "the broker cannot take the subscription now: retry", NULL);
            return;
        }
        zframe_destroy (&session->routing_id);
        session->routing_id = zframe_dup (routing_id);
        //  A new connection: the old one's send back-off does not apply.
        session->deliver_after_ms = 0;
        session->not_sent_delay_ms = 0;
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
    replies_add (self->replies, routing_id, data, size, true, frame->request_id);
    if (!sub->manage_only)
        zsys_info ("broker: %s subscribed (%u waiting)", node->name, subscribed.pending);
}

//  The message and person of a delivery, for its receipt's audit record:
//  who-received finds the receipt through the person, like the delivery.
typedef struct {
    uint8_t message_id [16];
    uint8_t subject_key [32];
    bool    has_message, has_subject;
} receipted_t;

void
receipt_handle (handler_ctx_t *self, zframe_t *routing_id, const node_t *node,
                const Samhand__V1__Frame *frame)
{
    const Samhand__V1__Receipt *receipt = frame->receipt;
    int state = receipt->state == SAMHAND__V1__RECEIPT_STATE__READ? OUTBOX_READ: OUTBOX_RECEIVED;
    int changed = store_begin (self->store)? -1
                : store_outbox_receipt (self->store, (int64_t) receipt->delivery_id,
                                        node->name, state, self->now_ms);
    if (changed < 0) {
        //  Not recorded: the node keeps the delivery and it comes again.
        replies_error (self->replies, routing_id, frame->request_id, SAMHAND__V1__ERROR_CODE__INTERNAL,
                       "the broker cannot record the receipt now", NULL);
        return;
    }
    bool late = changed == 0 && status_delivery_state (self, (int64_t) receipt->delivery_id,
                                                       node->name) == OUTBOX_EXPIRED;
    if (changed == 0 && store_batch_failed (self->store)) {
        //  Whose it is could not be read: not "unknown", and not recorded.
        replies_error (self->replies, routing_id, frame->request_id, SAMHAND__V1__ERROR_CODE__INTERNAL,
                       "the broker cannot record the receipt now", NULL);
        return;
    }
    receipted_t of;
    memset (&of, 0, sizeof of);
    if (changed > 0 || late)
        //  A read error fails the batch (and so this receipt): it comes again.
        of.has_message = store_delivery_message (self->store, (int64_t) receipt->delivery_id,
                                                 of.message_id, of.subject_key,
                                                 &of.has_subject) == 1;
    if (late) {
        //  Its own copy, but too late: the sender was already told it was
        //  not delivered. Say that, not "unknown", and keep it on record.
        char detail [96];
        snprintf (detail, sizeof detail, "delivery %" PRIu64 " %s after it expired",
                  receipt->delivery_id, state == OUTBOX_READ? "read": "received");
        audit_record_t record = { .event = "late_receipt", .node = node->name,
                                  .agency = node->agency, .detail = detail,
                                  .message_id = of.has_message? of.message_id: NULL,
                                  .subject_key = of.has_subject? of.subject_key: NULL };
        if (audit_append (self->audit, &record, self->now_ms)) {
            self->batch_failed = true;
            replies_error (self->replies, routing_id, frame->request_id,
                           SAMHAND__V1__ERROR_CODE__INTERNAL,
                           "the broker cannot record the receipt now", NULL);
            return;
        }
        zsys_info ("broker: %s: %s", node->name, detail);
        replies_error (self->replies, routing_id, frame->request_id,
                       SAMHAND__V1__ERROR_CODE__DELIVERY_EXPIRED,
                       "this delivery expired before it was receipted: the sender was"
                       " told it was not delivered; contact the sender if it matters", NULL);
        return;
    }
    if (changed == 0) {
        //  Unknown, or another node's delivery: say so, change nothing.
        zsys_warning ("broker: %s sent a receipt for delivery %" PRIu64 " that is not its own",
                      node->name, receipt->delivery_id);
        replies_error (self->replies, routing_id, frame->request_id,
                       SAMHAND__V1__ERROR_CODE__UNKNOWN_DELIVERY,
                       "no such delivery for this node", NULL);
        return;
    }
    char detail [48];
    snprintf (detail, sizeof detail, "delivery %" PRIu64 " %s", receipt->delivery_id,
              state == OUTBOX_READ? "read": "received");
    audit_record_t record = { .event = "receipt", .node = node->name,
                              .agency = node->agency, .detail = detail,
                              .message_id = of.has_message? of.message_id: NULL,
                              .subject_key = of.has_subject? of.subject_key: NULL };
    if (audit_append (self->audit, &record, self->now_ms)) {
        //  The receipt is not recorded either: the node keeps it and sends again.
        store_fail_batch (self->store);
        replies_error (self->replies, routing_id, frame->request_id, SAMHAND__V1__ERROR_CODE__INTERNAL,
                       "the broker cannot record the receipt now", NULL);
        return;
    }
    session_t *session = sessions_get (self->sessions, node->name);
    if (session) {
        session->dirty = true;
        if (changed == 2 && session->outstanding > 0)
            session->outstanding--;
    }
    status_push (self, (int64_t) receipt->delivery_id);
    //  A receipt is answered only when it could not be recorded: also when
    //  this cycle's commit fails (a fenced broker: its database session is
    //  gone), or a Ping behind it would confirm what was never stored.
    if (replies_if_failed (self->replies, routing_id, frame->request_id))
        self->batch_failed = true;
}

void
ping_handle (handler_ctx_t *self, zframe_t *routing_id, const node_t *node,
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
    session_t *session = sessions_lookup (self->sessions, node->name);
    pong.delivery_session = session && session->routing_id
                         && zframe_eq (session->routing_id, routing_id)
                         && streq (session->key, node->key);
    reply.request_id = frame->request_id;
    reply.command_case = SAMHAND__V1__FRAME__COMMAND_PONG;
    reply.pong = &pong;
    size_t size;
    uint8_t *data = frame_encode (&reply, &size);
    //  A Pong confirms the receipts sent before it (PROTOCOL.md §4): when
    //  the cycle's commit fails it becomes Error INTERNAL like every ack.
    replies_add (self->replies, routing_id, data, size, true, frame->request_id);
}
