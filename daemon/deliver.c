/*  deliver — turns outbox entries into Deliver frames for a connected node,
    within its in-flight window. The view is built at send time from the
    sealed message and the stored decision, so a decision taken again
    (consent withdrawn) changes what goes out without copying personal
    data into the outbox.
    Record first, then disclose: a frame is queued while its entry is
    marked sent and its "delivered" audit record written, and goes to the
    node only after that transaction has committed (deliver_flush). A
    frame that cannot be handed to the connection after the commit (the
    node went away, its pipe is full) gets a "delivery_not_sent" record
    and its entry is pending again.                                       */
#include "deliver.h"
#include "plan.h"
#include "consent.h"
#include "workflow.h"
#include "policy.h"
#include "redact.h"

typedef struct {
    store_delivery_t d;
    uint8_t *payload;         //  copy of the sealed payload
    uint8_t subject_key [32];
    bool has_subject;
} entry_t;

typedef struct {
    entry_t *entries;
    int      count;
    int      max;
} batch_t;

static int
s_collect (const store_delivery_t *d, void *arg)
{
    batch_t *batch = (batch_t *) arg;
    if (batch->count >= batch->max)
        return 1;
    entry_t *e = &batch->entries [batch->count];
    e->d = *d;
    e->payload = (uint8_t *) malloc (d->payload_size? d->payload_size: 1);
    if (!e->payload)
        return 1;
    if (d->payload_size)
        memcpy (e->payload, d->payload, d->payload_size);
    e->d.payload = e->payload;
    e->has_subject = d->subject_key != NULL;
    if (e->has_subject)
        memcpy (e->subject_key, d->subject_key, 32);
    e->d.subject_key = NULL;
    batch->count++;
    return 0;
}

//  A Deliver frame waiting for the commit of its record.
typedef struct {
    char      node [64];
    zframe_t *routing_id;
    uint8_t  *data;
    size_t    size;
    int64_t   delivery_id;
    int       attempt;
    uint8_t   message_id [16];
    uint8_t   subject_key [32];
    bool      has_subject;
    bool      not_sent;       //  recorded, committed, not handed over
} outgoing_t;

void
deliver_outgoing_free (void **item)
{
    outgoing_t *out = (outgoing_t *) *item;
    if (out) {
        zframe_destroy (&out->routing_id);
        free (out->data);
        free (out);
        *item = NULL;
    }
}

static const char *agency_prefix [5] = { NULL, "RC", "TE", "PR", "KS" };

//  Copies the redacted body of a Submit into the Deliver (pointers only:
//  the Submit stays the owner).
static void
s_attach_body (Samhand__V1__Deliver *out, Samhand__V1__Submit *submit)
{
    switch (submit->body_case) {
        case SAMHAND__V1__SUBMIT__BODY_CONCERN:
            out->body_case = SAMHAND__V1__DELIVER__BODY_CONCERN;
            out->concern = submit->concern;
            break;
        case SAMHAND__V1__SUBMIT__BODY_RISK_CHANGE:
            out->body_case = SAMHAND__V1__DELIVER__BODY_RISK_CHANGE;
            out->risk_change = submit->risk_change;
            break;
        case SAMHAND__V1__SUBMIT__BODY_DISCUSSION:
            out->body_case = SAMHAND__V1__DELIVER__BODY_DISCUSSION;
            out->discussion = submit->discussion;
            break;
        case SAMHAND__V1__SUBMIT__BODY_CASE_STATUS:
            out->body_case = SAMHAND__V1__DELIVER__BODY_CASE_STATUS;
            out->case_status = submit->case_status;
            break;
        case SAMHAND__V1__SUBMIT__BODY_RISK_PLAN:
            out->body_case = SAMHAND__V1__DELIVER__BODY_RISK_PLAN;
            out->risk_plan = submit->risk_plan;
            break;
        default:
            break;
    }
}

//  Builds and packs the Deliver for one entry. Returns a malloc'd buffer,
//  or NULL when the entry cannot be opened (logged; it stays pending).
static uint8_t *
s_build (handler_ctx_t *self, entry_t *e, size_t *size)
{
    uint8_t *plain = NULL;
    size_t plain_size = 0;
    if (crypto_open (keys_ring (self->keys), e->d.message_id, 16, e->payload,
                     e->d.payload_size, &plain, &plain_size)) {
        zsys_error ("deliver: message of delivery %" PRId64 " cannot be decrypted", e->d.delivery_id);
        return NULL;
    }
    Samhand__V1__Frame frame = SAMHAND__V1__FRAME__INIT;
    Samhand__V1__Deliver deliver = SAMHAND__V1__DELIVER__INIT;
    Samhand__V1__Deliver *template_ = NULL;
    Samhand__V1__Submit *submit = NULL;
    uint8_t *data = NULL;
    if (e->d.kind == SAMHAND__V1__KIND__CONSENT_NOTICE || e->d.kind == SAMHAND__V1__KIND__ALERT) {
        //  Broker-made notices are stored as a Deliver template.
        template_ = samhand__v1__deliver__unpack (NULL, plain_size, plain);
        if (template_)
            deliver = *template_;
    }
    else {
        submit = samhand__v1__submit__unpack (NULL, plain_size, plain);
        char case_ref [CRYPTO_CASE_REF_LEN] = "";
        if (submit && e->has_subject)
            crypto_case_ref (keys_pseudonym_secret (self->keys), agency_prefix [e->d.agency],
                             e->subject_key, case_ref);
        policy_decision_t decision;
        memset (&decision, 0, sizeof decision);
        decision.view = (Samhand__V1__View) e->d.view;
        decision.rule = e->d.rule;
        decision.legal_basis = e->d.basis;
        decision.classes_allowed = e->d.classes;
        decision.recipient = (Samhand__V1__Agency) e->d.agency;
        if (submit && e->d.kind == SAMHAND__V1__KIND__RISK_PLAN
        &&  decision.view == SAMHAND__V1__VIEW__PSEUDONYMISED) {
            //  A delivery that waited: names learned since count.
            const node_t *author = nodes_by_name (self->nodes, e->d.sender_node);
            node_t stand_in = { .agency = e->d.sender_agency, .role = POLICY_ROLE_COORDINATOR };
            plan_rescan_steps (self, author? author: &stand_in, submit);
        }
        if (submit && redact_apply (submit, &decision, case_ref) == 0)
            s_attach_body (&deliver, submit);
        else
            samhand__v1__submit__free_unpacked (submit, NULL), submit = NULL;
    }
    crypto_cleanse (plain, plain_size);
    free (plain);
    if (!submit && !template_) {
        zsys_error ("deliver: delivery %" PRId64 " has no deliverable view", e->d.delivery_id);
        return NULL;
    }
    deliver.delivery_id = (uint64_t) e->d.delivery_id;
    deliver.message_id.data = e->d.message_id;
    deliver.message_id.len = 16;
    deliver.sender_node = e->d.sender_node;
    deliver.sender_agency = (Samhand__V1__Agency) e->d.sender_agency;
    deliver.kind = (Samhand__V1__Kind) e->d.kind;
    deliver.view = (Samhand__V1__View) e->d.view;
    deliver.rule = e->d.rule;
    deliver.legal_basis = e->d.basis;
    deliver.reason = e->d.reason;
    deliver.submitted_at = e->d.created_ms;
    deliver.attempt = (uint32_t) e->d.attempts + 1;
    deliver.acute = e->d.acute;
    frame.command_case = SAMHAND__V1__FRAME__COMMAND_DELIVER;
    frame.deliver = &deliver;
    data = frame_encode (&frame, size);
    //  deliver was a shallow copy of the template: free the template last.
    if (template_)
        samhand__v1__deliver__free_unpacked (template_, NULL);
    samhand__v1__submit__free_unpacked (submit, NULL);
    return data;
}

static void
s_audit_delivered (handler_ctx_t *self, session_t *session, entry_t *e)
{
    const node_t *node = nodes_by_name (self->nodes, session->node);
    audit_record_t record = { .event = "delivered", .message_id = e->d.message_id,
                              .sender = e->d.sender_node, .node = session->node,
                              .agency = node? node->agency: e->d.agency, .view = e->d.view,
                              .rule = e->d.rule, .basis = e->d.basis,
                              .subject_key = e->has_subject? e->subject_key: NULL };
    char detail [48];
    snprintf (detail, sizeof detail, "delivery %" PRId64 " attempt %d", e->d.delivery_id,
              e->d.attempts + 1);
    record.detail = detail;
    //  Unaudited means unsent: the mark rolls back and the entry goes again.
    if (audit_append (self->audit, &record, self->now_ms))
        store_fail_batch (self->store);
}

//  The entry was decided for the agency its node had then: a node name
//  enrolled again under another agency (a reorganisation, a mistake) must
//  not be given what was decided for the old one.
static bool
s_same_agency (handler_ctx_t *self, const char *node_name, int agency)
{
    const node_t *node = nodes_by_name (self->nodes, node_name);
    if (node && node->agency == agency)
        return true;
    zsys_warning ("deliver: %s is no longer of the agency its delivery was decided for:"
                  " not sent", node_name);
    return false;
}

uint8_t *
deliver_build (handler_ctx_t *self, const store_delivery_t *d, size_t *size)
{
    if (!s_same_agency (self, d->node, d->agency))
        return NULL;
    entry_t e;
    memset (&e, 0, sizeof e);
    e.d = *d;
    e.payload = (uint8_t *) d->payload;
    e.has_subject = d->subject_key != NULL;
    if (e.has_subject)
        memcpy (e.subject_key, d->subject_key, 32);
    //  Shown in an inbox is disclosed too: the same consent check as a send
    //  (not shown when it could not be checked now either).
    int recheck = consent_recheck (self, &e.d, d->node);
    if (recheck == 2 || recheck == CONSENT_RECHECK_LATER)
        return NULL;
    return s_build (self, &e, size);
}

//  Queues one entry, marked sent and recorded in the open transaction.
//  0 queued, 1 skip (unreadable, or withheld now), 2 not now (its consent
//  could not be checked: try again later), -1 cannot queue it.
static int
s_send (handler_ctx_t *self, session_t *session, entry_t *e)
{
    if (e->d.attempts >= self->config->max_attempts
    ||  !s_same_agency (self, session->node, e->d.agency)) {
        //  A dead letter an admin sees (and cannot send to the wrong agency).
        workflow_dead_letter (self, &e->d, session->node);
        return 1;
    }
    //  Never an identified view on a consent no longer in force, whatever
    //  the stored decision says (its end timer may not have fired yet).
    e->d.subject_key = e->has_subject? e->subject_key: NULL;
    int recheck = consent_recheck (self, &e->d, session->node);
    e->d.subject_key = NULL;
    if (recheck == CONSENT_RECHECK_LATER)
        return 2;
    if (recheck == 2)
        return 1;
    size_t size = 0;
    uint8_t *data = s_build (self, e, &size);
    if (!data) {
        //  Cannot be opened (a missing key, a damaged row): never a silent
        //  drop and never a stuck outbox: it becomes a dead letter the
        //  sender hears about and an admin can requeue once it is mended.
        workflow_dead_letter (self, &e->d, session->node);
        return 1;
    }
    //  Sent only once this is committed (deliver_flush).
    outgoing_t *out = (outgoing_t *) zmalloc (sizeof (outgoing_t));
    if (!out || !(out->routing_id = zframe_dup (session->routing_id))) {
        zsys_error ("deliver: out of memory queueing delivery %" PRId64, e->d.delivery_id);
        free (out);
        free (data);
        return -1;
    }
    snprintf (out->node, sizeof out->node, "%s", session->node);
    out->data = data;
    out->size = size;
    out->delivery_id = e->d.delivery_id;
    out->attempt = e->d.attempts + 1;
    memcpy (out->message_id, e->d.message_id, 16);
    out->has_subject = e->has_subject;
    if (e->has_subject)
        memcpy (out->subject_key, e->subject_key, 32);
    zlistx_add_end (self->outgoing, out);
    if (store_outbox_mark_sent (self->store, e->d.delivery_id, self->now_ms))
        store_fail_batch (self->store);
    else
        s_audit_delivered (self, session, e);
    return 0;
}

//  Deliveries recorded as sent that could not be handed over: on record
//  (with the person, so who-received leaves the "delivered" record out),
//  and pending again without the send counting as an attempt: the node
//  never got it, so a flaky connection cannot make it a dead letter. If
//  this cannot be written they stay in flight and the overdue requeue
//  (limits/redeliver_after) sends them again.
static void
s_not_sent (handler_ctx_t *self)
{
    if (store_begin (self->store))
        return;
    outgoing_t *out = (outgoing_t *) zlistx_first (self->outgoing);
    for (; out; out = (outgoing_t *) zlistx_next (self->outgoing)) {
        if (!out->not_sent)
            continue;
        const node_t *node = nodes_by_name (self->nodes, out->node);
        char detail [96];
        snprintf (detail, sizeof detail, "delivery %" PRId64 " attempt %d: the connection"
                  " did not take it; pending again", out->delivery_id, out->attempt);
        audit_record_t record = { .event = "delivery_not_sent", .message_id = out->message_id,
                                  .node = out->node, .agency = node? node->agency: 0,
                                  .subject_key = out->has_subject? out->subject_key: NULL,
                                  .detail = detail };
        if (store_outbox_not_sent (self->store, out->delivery_id)
        ||  audit_append (self->audit, &record, self->now_ms))
            store_fail_batch (self->store);
    }
    if (store_commit (self->store)) {
        zsys_warning ("deliver: deliveries not handed over stay in flight until they are overdue");
        if (audit_reload (self->audit))
            zsys_error ("deliver: cannot reload the audit head; it is reloaded before use");
    }
}

//  The connection did not take a Deliver (its pipe is full): since that
//  send is not counted as an attempt, nothing else bounds the retries, so
//  the session waits before the next, twice as long each time (from half
//  a second up to limits/redeliver_after), until a send goes through.
static void
s_back_off (handler_ctx_t *self, session_t *session)
{
    if (session->deliver_after_ms > self->now_ms)
        return;         //  set already by an earlier frame of this flush
    int64_t delay = session->not_sent_delay_ms? session->not_sent_delay_ms * 2: 500;
    if (delay > self->config->redeliver_after_ms)
        delay = self->config->redeliver_after_ms;
    session->not_sent_delay_ms = delay;
    session->deliver_after_ms = self->now_ms + delay;
}

void
deliver_flush (handler_ctx_t *self, bool committed)
{
    bool any_failed = false;
    outgoing_t *out = (outgoing_t *) zlistx_first (self->outgoing);
    for (; committed && out; out = (outgoing_t *) zlistx_next (self->outgoing)) {
        session_t *session = sessions_lookup (self->sessions, out->node);
        bool current = session && session->routing_id
                    && zframe_eq (session->routing_id, out->routing_id);
        if (transport_send (self->transport, out->routing_id, out->data, out->size) == 0) {
            self->deliveries++;
            if (current)
                session->not_sent_delay_ms = 0;
            continue;
        }
        int err = zmq_errno ();
        if (err == EHOSTUNREACH && current) {
            //  The session is gone; the node gets everything when it
            //  subscribes again.
            zsys_info ("deliver: %s disconnected", out->node);
            zframe_destroy (&session->routing_id);
        }
        else
        if (session && session->routing_id) {
            session->dirty = true;      //  pipe full: try again, not at once
            if (current)
                s_back_off (self, session);
        }
        zsys_warning ("deliver: delivery %" PRId64 " to %s recorded but not handed over (%s):"
                      " pending again", out->delivery_id, out->node, zmq_strerror (err));
        out->not_sent = any_failed = true;
    }
    if (any_failed)
        s_not_sent (self);
    zlistx_purge (self->outgoing);
}

//  The session's outbox could not be read (BEGIN or a read failed), or a
//  delivery's consent could not be checked (consent_recheck: out of
//  memory): it stays dirty and is tried again in a second, not at once (a failing
//  disk must not become a busy loop). Clearing it would leave acknowledged
//  messages waiting for the node's next traffic: nothing else looks at
//  entries that were never sent.
static void
s_pump_again (handler_ctx_t *self, session_t *session)
{
    session->dirty = true;
    if (session->deliver_after_ms < self->now_ms + 1000)
        session->deliver_after_ms = self->now_ms + 1000;
}

static void
s_pump_later (handler_ctx_t *self, session_t *session)
{
    //  A failing disk fails every session's pump: one line in ten seconds.
    static int64_t logged_ms;
    if (!logged_ms || self->now_ms - logged_ms >= 10000 || self->now_ms < logged_ms) {
        logged_ms = self->now_ms;
        zsys_warning ("deliver: cannot read %s's outbox now; trying again in a second"
                      " (said once in ten seconds)", session->node);
    }
    s_pump_again (self, session);
}

void
deliver_pump (handler_ctx_t *self, session_t *session)
{
    if (store_begin (self->store)) {
        s_pump_later (self, session);
        return;
    }
    int inflight = store_outbox_inflight (self->store, session->node);
    if (inflight < 0) {
        s_pump_later (self, session);
        return;
    }
    session->dirty = false;
    int window = self->config->inflight_window - inflight;
    if (window <= 0)
        return;     //  receipts will free the window and mark it dirty
    batch_t batch = { (entry_t *) calloc ((size_t) window, sizeof (entry_t)), 0, window };
    if (!batch.entries) {
        s_pump_later (self, session);
        return;
    }
    //  A session with its own filter gets only those kinds; the others
    //  stay pending, untouched, for a session that takes them.
    int found = session->filter_kinds
              ? store_outbox_pending_kinds (self->store, session->node, session->filter_kinds,
                                            window, s_collect, &batch)
              : store_outbox_pending (self->store, session->node, window, s_collect, &batch);
    if (found < 0)
        s_pump_later (self, session);
    int sent = 0;
    bool later = false;
    for (int i = 0; i < batch.count; i++) {
        int rc = s_send (self, session, &batch.entries [i]);
        if (rc < 0) {
            session->dirty = session->routing_id != NULL;   //  no memory: try again
            break;
        }
        if (rc == 2) {
            //  Its consent could not be checked now (out of memory): the
            //  rest waits too, so that they still go out in order, and the
            //  session is looked at again in a second, as after a failed
            //  read; with a partial window nothing else would mark it dirty.
            later = true;
            break;
        }
        sent += rc == 0;
    }
    if (later)
        s_pump_again (self, session);     //  consent.c said why

    //  A full window means there may be more behind it, whether its
    //  entries went out or were skipped (dead letters, withheld: room for
    //  the next ones); taking "none sent" for "nothing more" left the
    //  entries behind a window of dead letters waiting for the node's next
    //  traffic. When none went out, the next look is in a second, so that
    //  entries skipped without changing (a check that could not be made
    //  now) do not make a busy loop.
    if (found == window) {
        session->dirty = true;
        if (sent == 0 && session->deliver_after_ms < self->now_ms + 1000)
            session->deliver_after_ms = self->now_ms + 1000;
    }
    for (int i = 0; i < batch.count; i++)
        free (batch.entries [i].payload);
    free (batch.entries);
}
