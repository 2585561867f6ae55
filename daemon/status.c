/*  status — what happened to a message, told to its sender: on request
    (StatusQuery) and pushed whenever a recipient receives or reads it, or
    it expires or dies. Also the node's inbox and the admin's dead-letter
    list, which read the same outbox.                                      */
#include "status.h"
#include "deliver.h"

static const char *state_names [] = {
    "pending", "sent", "received", "read", "expired", "dead", "withdrawn"
};

typedef struct {
    Samhand__V1__NodeStatus nodes [256];
    Samhand__V1__NodeStatus *list [256];
    char names [256][64];
    size_t count;
    int read, received, dead, expired, open;
    int viewer_agency;          //  -1: an admin, sees every entry
    int kind;
} report_t;

static int
s_add_entry (const store_entry_t *e, void *arg)
{
    report_t *r = (report_t *) arg;
    //  Not even counted in the overall state (policy_hidden_from_sender).
    if (r->viewer_agency >= 0 && policy_hidden_from_sender (r->kind, r->viewer_agency, e->agency))
        return 0;
    //  Every entry counts in the overall state; the first 256 are listed.
    //  (It stopped at 256: read by the 300th node said "delivered".)
    r->read += e->state == OUTBOX_READ;
    r->received += e->state == OUTBOX_RECEIVED;
    r->dead += e->state == OUTBOX_DEAD;
    r->expired += e->state == OUTBOX_EXPIRED;
    r->open += e->state == OUTBOX_PENDING || e->state == OUTBOX_INFLIGHT;
    if (r->count >= 256)
        return 0;
    Samhand__V1__NodeStatus *n = &r->nodes [r->count];
    samhand__v1__node_status__init (n);
    snprintf (r->names [r->count], 64, "%s", e->node);
    n->node = r->names [r->count];
    n->agency = (Samhand__V1__Agency) e->agency;
    n->view = (Samhand__V1__View) e->view;
    n->state = (char *) (e->state >= 0 && e->state <= 6? state_names [e->state]: "unknown");
    n->attempts = (uint32_t) e->attempts;
    n->sent_at = e->sent_ms;
    n->received_at = e->received_ms;
    n->read_at = e->read_ms;
    n->delivery_id = (uint64_t) e->delivery_id;
    r->list [r->count++] = n;
    return 0;
}

static const char *
s_overall (const report_t *r)
{
    if (r->read)
        return "read";
    if (r->received)
        return "delivered";
    if (r->dead)
        return "failed";
    if (r->expired && !r->open)
        return "expired";
    return "submitted";
}

//  Packs a StatusReport frame for a message, as the viewer's agency may
//  see it (-1: all); NULL if it cannot be read (never a report built from
//  part of its entries).
static uint8_t *
s_report (handler_ctx_t *self, const store_message_info_t *info, uint64_t request_id,
          int viewer_agency, size_t *size)
{
    report_t *r = (report_t *) zmalloc (sizeof (report_t));
    if (!r)
        return NULL;
    r->viewer_agency = viewer_agency;
    r->kind = info->kind;
    if (store_outbox_of_message (self->store, info->message, s_add_entry, r) < 0) {
        free (r);
        return NULL;
    }
    Samhand__V1__StatusReport report = SAMHAND__V1__STATUS_REPORT__INIT;
    report.message_id = (ProtobufCBinaryData) { 16, (uint8_t *) info->message_id };
    report.kind = (Samhand__V1__Kind) info->kind;
    report.state = (char *) s_overall (r);
    report.nodes = r->list;
    report.n_nodes = r->count;
    report.submitted_at = info->created_ms;
    report.expires_at = info->expires_ms;
    Samhand__V1__Frame frame = SAMHAND__V1__FRAME__INIT;
    frame.request_id = request_id;
    frame.command_case = SAMHAND__V1__FRAME__COMMAND_STATUS_REPORT;
    frame.status_report = &report;
    uint8_t *data = frame_encode (&frame, size);
    free (r);
    return data;
}

void
status_push (handler_ctx_t *self, int64_t delivery_id)
{
    int64_t message = 0;
    store_message_info_t info;
    if (store_message_of_delivery (self->store, delivery_id, &message) != 1
    ||  store_message_by_row (self->store, message, &info) != 1)
        return;
    session_t *session = sessions_lookup (self->sessions, info.sender_node);
    if (!session || !session->routing_id)
        return;         //  not connected: it can ask with StatusQuery
    //  A change of an entry the sender may not see is no news to it: a
    //  push at that moment would tell it the crisis centre read it.
    const node_t *sender = nodes_by_name (self->nodes, info.sender_node);
    if (!sender)
        return;
    int agency = status_delivery_agency (self, delivery_id);
    if (agency < 0 || policy_hidden_from_sender (info.kind, sender->agency, agency))
        return;
    size_t size;
    uint8_t *data = s_report (self, &info, 0, sender->agency, &size);
    if (data)
        replies_push (self->replies, session->routing_id, data, size);
}

typedef struct {
    int64_t delivery_id;
    const char *node;           //  NULL: any node
    int state;
    int agency;
} lookup_t;

static int
s_find_entry (const store_entry_t *e, void *arg)
{
    lookup_t *l = (lookup_t *) arg;
    if (e->delivery_id != l->delivery_id)
        return 0;
    if (!l->node || streq (e->node, l->node)) {
        l->state = e->state;
        l->agency = e->agency;
    }
    return 1;
}

int
status_delivery_agency (handler_ctx_t *self, int64_t delivery_id)
{
    int64_t message = 0;
    lookup_t l = { delivery_id, NULL, -1, -1 };
    if (store_message_of_delivery (self->store, delivery_id, &message) == 1)
        store_outbox_of_message (self->store, message, s_find_entry, &l);
    return l.agency;
}

int
status_delivery_state (handler_ctx_t *self, int64_t delivery_id, const char *node)
{
    int64_t message = 0;
    lookup_t l = { delivery_id, node, -1, -1 };
    if (store_message_of_delivery (self->store, delivery_id, &message) == 1)
        store_outbox_of_message (self->store, message, s_find_entry, &l);
    return l.state;
}

void
status_handle (handler_ctx_t *self, zframe_t *routing_id, const node_t *node,
               const Samhand__V1__Frame *frame)
{
    const Samhand__V1__StatusQuery *q = frame->status_query;
    store_message_info_t info;
    //  A sender sees its own messages; an admin any message.
    const char *key = node->role == POLICY_ROLE_ADMIN? NULL: node->key;
    int found = q->message_id.len == 16
              ? store_message_lookup (self->store, key, q->message_id.data, &info): 0;
    size_t size;
    uint8_t *data = found == 1
                  ? s_report (self, &info, frame->request_id,
                              node->role == POLICY_ROLE_ADMIN? -1: node->agency, &size): NULL;
    //  A read error (or no memory) is no "not found" and no report of part
    //  of the recipients: the sender is told to ask again.
    if (found < 0 || (found == 1 && !data))
        replies_error (self->replies, routing_id, frame->request_id, SAMHAND__V1__ERROR_CODE__INTERNAL,
                       "the broker cannot read this message's status now: retry", NULL);
    else
    if (found != 1)
        replies_error (self->replies, routing_id, frame->request_id, SAMHAND__V1__ERROR_CODE__NOT_FOUND,
                       "no message with that id from this node", NULL);
    else
        replies_add (self->replies, routing_id, data, size, false, frame->request_id);
}

//  One entry of an inbox answer, kept until it is known whether the
//  connection took the answer (s_inbox_ended).
typedef struct {
    int64_t delivery_id;
    uint8_t message_id [16];
    uint8_t subject_key [32];
    bool    has_subject;
    bool    first_shown;        //  this answer set its sent time: never handed over before
    int     agency;
    char    node [64];
} shown_t;

typedef struct {
    handler_ctx_t *self;
    int64_t shown_ms;
    size_t  count;
    shown_t items [200];
} shown_answer_t;

typedef struct {
    handler_ctx_t *self;
    Samhand__V1__Frame *frames [200];
    Samhand__V1__Deliver *items [200];
    shown_answer_t *shown;
    size_t count;
} inbox_t;

static int
s_inbox_add (const store_delivery_t *d, void *arg)
{
    inbox_t *inbox = (inbox_t *) arg;
    if (inbox->count >= 200)
        return 1;
    size_t size = 0;
    uint8_t *data = deliver_build (inbox->self, d, &size);
    if (!data)
        return 0;
    Samhand__V1__Frame *f = samhand__v1__frame__unpack (NULL, size, data);
    free (data);
    if (f && f->deliver) {
        inbox->frames [inbox->count] = f;
        inbox->items [inbox->count++] = f->deliver;
        //  Content shown is content disclosed: audited like a delivery.
        char detail [48];
        snprintf (detail, sizeof detail, "inbox: delivery %" PRId64, d->delivery_id);
        audit_record_t record = { .event = "shown", .message_id = d->message_id,
                                  .sender = d->sender_node, .node = d->node, .agency = d->agency,
                                  .view = d->view, .rule = d->rule, .basis = d->basis,
                                  .subject_key = (const uint8_t *) d->subject_key,
                                  .detail = detail };
        shown_t *shown = &inbox->shown->items [inbox->count - 1];
        shown->delivery_id = d->delivery_id;
        memcpy (shown->message_id, d->message_id, 16);
        shown->has_subject = d->subject_key != NULL;
        if (shown->has_subject)
            memcpy (shown->subject_key, d->subject_key, 32);
        shown->agency = d->agency;
        snprintf (shown->node, sizeof shown->node, "%s", d->node);
        if (audit_append (inbox->self->audit, &record, inbox->self->now_ms)) {
            store_fail_batch (inbox->self->store);     //  unaudited: not shown
            return 1;
        }
    }
    else
        frame_destroy (&f);
    return 0;
}

//  An inbox answer the connection did not take (after the commit of its
//  "shown" records): the node never saw it. Each entry gets a
//  "delivery_not_sent" record (with the person, so who-received leaves
//  the "shown" record out), and an entry this answer was the first to
//  hand over is again one the node cannot hold (store_outbox_not_shown),
//  as deliver does for a Deliver not taken. If this cannot be written the
//  records stay as they are (logged): the node has the entry at its next
//  inbox answer or delivery.
static void
s_inbox_not_sent (shown_answer_t *answer)
{
    handler_ctx_t *self = answer->self;
    if (store_begin (self->store)) {
        zsys_warning ("status: an inbox answer to %s was not taken and cannot be put on record",
                      answer->items [0].node);
        return;
    }
    for (size_t i = 0; i < answer->count; i++) {
        const shown_t *shown = &answer->items [i];
        char detail [96];
        snprintf (detail, sizeof detail, "inbox: delivery %" PRId64 ": the connection did not"
                  " take the answer; not shown", shown->delivery_id);
        audit_record_t record = { .event = "delivery_not_sent", .message_id = shown->message_id,
                                  .node = shown->node, .agency = shown->agency,
                                  .subject_key = shown->has_subject? shown->subject_key: NULL,
                                  .detail = detail };
        if ((shown->first_shown
             && store_outbox_not_shown (self->store, shown->delivery_id, answer->shown_ms))
        ||  audit_append (self->audit, &record, self->now_ms))
            store_fail_batch (self->store);
    }
    if (store_commit (self->store)) {
        zsys_warning ("status: an inbox answer to %s was not taken and cannot be put on record",
                      answer->items [0].node);
        if (audit_reload (self->audit))
            zsys_error ("status: cannot reload the audit head; it is reloaded before use");
    }
}

static void
s_inbox_ended (void *tag, reply_outcome_t outcome)
{
    shown_answer_t *answer = (shown_answer_t *) tag;
    if (outcome == REPLY_NOT_SENT) {
        zsys_warning ("status: an inbox answer of %zu entries to %s was not taken by the"
                      " connection: recorded as not shown", answer->count, answer->items [0].node);
        s_inbox_not_sent (answer);
    }
    free (answer);
}

void
inbox_handle (handler_ctx_t *self, zframe_t *routing_id, const node_t *node,
              const Samhand__V1__Frame *frame)
{
    inbox_t *inbox = (inbox_t *) zmalloc (sizeof (inbox_t));
    shown_answer_t *shown = (shown_answer_t *) zmalloc (sizeof (shown_answer_t));
    if (!inbox || !shown || store_begin (self->store)) {
        free (inbox);
        free (shown);
        replies_error (self->replies, routing_id, frame->request_id, SAMHAND__V1__ERROR_CODE__INTERNAL,
                       "the broker cannot read the inbox now: retry", NULL);
        return;
    }
    inbox->self = self;
    inbox->shown = shown;
    shown->self = self;
    shown->shown_ms = self->now_ms;
    int limit = frame->inbox_query->limit && frame->inbox_query->limit < 200
              ? (int) frame->inbox_query->limit: 200;
    store_inbox (self->store, node->name, frame->inbox_query->include_read, 0, limit,
                 s_inbox_add, inbox);
    shown->count = inbox->count;
    //  The store gives the newest LIMIT newest first; the reply lists
    //  them oldest first (PROTOCOL.md §5.9).
    for (size_t i = 0, k = inbox->count? inbox->count - 1: 0; i < k; i++, k--) {
        Samhand__V1__Frame *frame_ = inbox->frames [i];
        Samhand__V1__Deliver *item = inbox->items [i];
        shown_t entry = shown->items [i];
        inbox->frames [i] = inbox->frames [k];
        inbox->items [i] = inbox->items [k];
        shown->items [i] = shown->items [k];
        inbox->frames [k] = frame_;
        inbox->items [k] = item;
        shown->items [k] = entry;
    }
    //  Shown is handed over: a receipt for a pending entry is taken from now.
    for (size_t i = 0; i < inbox->count; i++) {
        if (store_outbox_mark_shown (self->store, shown->items [i].delivery_id, self->now_ms))
            store_fail_batch (self->store);
        else
            shown->items [i].first_shown = store_changes (self->store) == 1;
    }
    Samhand__V1__InboxReply reply = SAMHAND__V1__INBOX_REPLY__INIT;
    reply.items = inbox->items;
    reply.n_items = inbox->count;
    Samhand__V1__Frame out = SAMHAND__V1__FRAME__INIT;
    out.request_id = frame->request_id;
    out.command_case = SAMHAND__V1__FRAME__COMMAND_INBOX_REPLY;
    out.inbox_reply = &reply;
    size_t size;
    uint8_t *data = frame_encode (&out, &size);
    //  The "shown" records must be committed before the content goes out,
    //  and put right if the connection does not take it.
    if (!shown->count) {
        replies_add (self->replies, routing_id, data, size, true, frame->request_id);
        free (shown);
    }
    else
    if (replies_add_watched (self->replies, routing_id, data, size, frame->request_id,
                             s_inbox_ended, shown)) {
        //  No answer can go out: its "shown" records must not be kept.
        store_fail_batch (self->store);
        free (shown);
        replies_error (self->replies, routing_id, frame->request_id, SAMHAND__V1__ERROR_CODE__INTERNAL,
                       "the broker cannot answer now: retry", NULL);
    }
    for (size_t i = 0; i < inbox->count; i++)
        frame_destroy (&inbox->frames [i]);
    free (inbox);
}

typedef struct {
    Samhand__V1__DeadLetter items [200];
    Samhand__V1__DeadLetter *list [200];
    uint8_t ids [200][16];
    char nodes [200][64], senders [200][64];
    size_t count;
} dead_t;

static int
s_dead_add (const store_delivery_t *d, void *arg)
{
    dead_t *dead = (dead_t *) arg;
    if (dead->count >= 200)
        return 1;
    size_t i = dead->count++;
    Samhand__V1__DeadLetter *l = &dead->items [i];
    samhand__v1__dead_letter__init (l);
    l->delivery_id = (uint64_t) d->delivery_id;
    memcpy (dead->ids [i], d->message_id, 16);
    l->message_id = (ProtobufCBinaryData) { 16, dead->ids [i] };
    snprintf (dead->nodes [i], 64, "%s", d->node);
    snprintf (dead->senders [i], 64, "%s", d->sender_node);
    l->node = dead->nodes [i];
    l->sender_node = dead->senders [i];
    l->kind = (Samhand__V1__Kind) d->kind;
    l->attempts = (uint32_t) d->attempts;
    l->submitted_at = d->created_ms;
    dead->list [i] = l;
    return 0;
}

void
dead_letters_handle (handler_ctx_t *self, zframe_t *routing_id, const node_t *node,
                     const Samhand__V1__Frame *frame)
{
    const Samhand__V1__AdminCommand *cmd = frame->admin_command;
    Samhand__V1__AdminReply reply = SAMHAND__V1__ADMIN_REPLY__INIT;
    Samhand__V1__Error error = SAMHAND__V1__ERROR__INIT;
    dead_t *dead = (dead_t *) zmalloc (sizeof (dead_t));
    if (!dead || store_begin (self->store)) {
        free (dead);
        replies_error (self->replies, routing_id, frame->request_id, SAMHAND__V1__ERROR_CODE__INTERNAL,
                       "the broker cannot read dead letters now: retry", NULL);
        return;
    }
    if (node->role != POLICY_ROLE_ADMIN) {
        error.code = SAMHAND__V1__ERROR_CODE__NOT_PERMITTED;
        error.text = "only admin nodes may handle dead letters";
        reply.error = &error;
    }
    else
    if (streq (cmd->command, "dead-letters")) {
        store_dead_letters (self->store, 0, 200, s_dead_add, dead);
        //  The newest 200, listed oldest first.
        for (size_t i = 0, k = dead->count? dead->count - 1: 0; i < k; i++, k--) {
            Samhand__V1__DeadLetter *l = dead->list [i];
            dead->list [i] = dead->list [k];
            dead->list [k] = l;
        }
        reply.ok = true;
        reply.dead_letters = dead->list;
        reply.n_dead_letters = dead->count;
    }
    else
    if (streq (cmd->command, "requeue")) {
        store_dead_letter (self->store, (int64_t) cmd->delivery_id, s_dead_add, dead);
        if (dead->count == 1
        &&  store_outbox_set_state (self->store, (int64_t) cmd->delivery_id, OUTBOX_PENDING, true) == 0) {
            session_t *session = sessions_get (self->sessions, dead->nodes [0]);
            if (session) {
                session->dirty = true;
                session->outstanding++;
            }
            char detail [64];
            snprintf (detail, sizeof detail, "delivery %" PRIu64 " requeued", cmd->delivery_id);
            audit_record_t record = { .event = "requeued", .message_id = dead->ids [0],
                                      .sender = node->name, .node = dead->nodes [0], .detail = detail };
            if (audit_append (self->audit, &record, self->now_ms))
                store_fail_batch (self->store);     //  the reply becomes INTERNAL
            reply.ok = true;
            reply.dead_letters = dead->list;
            reply.n_dead_letters = 1;
        }
        else {
            error.code = SAMHAND__V1__ERROR_CODE__NOT_FOUND;
            error.text = "no dead letter with that delivery id";
            reply.error = &error;
        }
    }
    else {
        error.code = SAMHAND__V1__ERROR_CODE__INVALID_FIELD;
        error.text = "command must be dead-letters or requeue";
        reply.error = &error;
    }
    Samhand__V1__Frame out = SAMHAND__V1__FRAME__INIT;
    out.request_id = frame->request_id;
    out.command_case = SAMHAND__V1__FRAME__COMMAND_ADMIN_REPLY;
    out.admin_reply = &reply;
    size_t size;
    uint8_t *data = frame_encode (&out, &size);
    replies_add (self->replies, routing_id, data, size, true, frame->request_id);
    free (dead);
}
