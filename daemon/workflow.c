/*  workflow — the deadlines the agencies work by, stored so they outlive a
    restart: escalation of unread acute concerns, expiry of undelivered
    mail with a non-delivery report, the risk plan's review date, and the
    weekly status a high-risk case needs. Alerts carry no personal data:
    a message id, the coordinator's case reference and a plain sentence. */
#include "workflow.h"
#include "consent.h"
#include "status.h"
#include "notice.h"
#include "plan.h"

#define ROLE_BIT(r) (1u << (r))

//  One rule for writes: a failed one fails the cycle's whole batch.
static void
s_written (handler_ctx_t *self, int rc)
{
    if (rc < 0)
        store_fail_batch (self->store);
}

//  A message id as the clients print it (hex), for log lines: an operator
//  finds the message by it; the log itself holds no personal data.
static const char *
s_id_hex (const uint8_t id [16], char out [33])
{
    for (int i = 0; i < 16; i++)
        snprintf (out + 2 * i, 3, "%02x", id [i]);
    return out;
}

static const notice_to_t to_coordinators = {
    1u << SAMHAND__V1__AGENCY__RESOURCE_CENTRE, ROLE_BIT (POLICY_ROLE_COORDINATOR), NULL };
static const notice_to_t to_duty = {
    1u << SAMHAND__V1__AGENCY__RESOURCE_CENTRE,
    ROLE_BIT (POLICY_ROLE_COORDINATOR) | ROLE_BIT (POLICY_ROLE_DUTY_OPERATOR), NULL };

//  "YYYY-MM-DD" passes at the end of that day (UTC); a full
//  "YYYY-MM-DDTHH:MM:SSZ" at that moment. -1 if neither.
static int64_t
s_review_due (const char *text)
{
    int y, m, d, hh = 0, mm = 0, ss = 0;
    size_t len = strlen (text);
    bool date_only = len == 10;
    if (len == 10 && sscanf (text, "%4d-%2d-%2d", &y, &m, &d) != 3)
        return -1;
    if (len == 20 && sscanf (text, "%4d-%2d-%2dT%2d:%2d:%2dZ", &y, &m, &d, &hh, &mm, &ss) != 6)
        return -1;
    if ((len != 10 && len != 20) || m < 1 || m > 12 || d < 1 || d > 31 || hh > 23 || mm > 59 || ss > 60)
        return -1;
    struct tm tm = { .tm_year = y - 1900, .tm_mon = m - 1, .tm_mday = d,
                     .tm_hour = hh, .tm_min = mm, .tm_sec = ss };
    int64_t t = (int64_t) timegm (&tm);
    if (date_only)
        t += 86400;
    return t * 1000;
}

static void
s_coordinator_ref (handler_ctx_t *self, const uint8_t *subject_key, char ref [CRYPTO_CASE_REF_LEN])
{
    ref [0] = 0;
    if (subject_key)
        crypto_case_ref (keys_pseudonym_secret (self->keys), "RC", subject_key, ref);
}

int
workflow_submitted (handler_ctx_t *self, int64_t message, const uint8_t message_id [16],
                    const Samhand__V1__Submit *submit, const uint8_t *subject_key)
{
    store_t *store = self->store;
    int64_t now = self->now_ms;
    int rc = 0;
    if (submit->body_case == SAMHAND__V1__SUBMIT__BODY_CONCERN
    &&  submit->concern->urgency == SAMHAND__V1__URGENCY__ACUTE)
        rc |= store_timer_set (store, "escalate", message_id, 16, message,
                               now + self->config->escalate_after_ms,
                               self->config->escalate_every_ms);
    if (submit->body_case == SAMHAND__V1__SUBMIT__BODY_RISK_CHANGE && subject_key) {
        const Samhand__V1__RiskChange *risk = submit->risk_change;
        int64_t due = *risk->review_by? s_review_due (risk->review_by): -1;
        //  A newer risk change for the case replaces the review date.
        rc |= due > 0? store_timer_set (store, "review", subject_key, 32, message, due, 0)
                     : store_timer_cancel (store, "review", subject_key, 32);
        rc |= risk->level == SAMHAND__V1__RISK_LEVEL__HIGH
            ? store_timer_set (store, "status", subject_key, 32, message,
                               now + self->config->status_every_ms, self->config->status_every_ms)
            : store_timer_cancel (store, "status", subject_key, 32);
    }
    if (submit->body_case == SAMHAND__V1__SUBMIT__BODY_CASE_STATUS && subject_key)
        rc |= store_timer_postpone (store, "status", subject_key, 32,
                                    now + self->config->status_every_ms) < 0
            || store_timer_postpone (store, PLAN_TIMER_STATUS, subject_key, 32,
                                     now + self->config->status_every_ms) < 0;
    return rc? -1: 0;
}

typedef struct {
    handler_ctx_t *self;
    const store_message_info_t *info;
    const char *text;
    bool final;               //  the escalation ends: expired copies count too
    int failed;               //  a notice could not be written
} escalate_t;

//  The other recipients of the concern are told too: they already hold
//  it (in the view the policy gave them), so the alert tells them nothing
//  new about the person, only that it waits for them. Their own agency's
//  case reference goes with it.
static int
s_escalate_recipient (const store_entry_t *e, void *arg)
{
    static const char *prefixes [5] = { NULL, "RC", "TE", "PR", "KS" };
    escalate_t *x = (escalate_t *) arg;
    const node_t *node = nodes_by_name (x->self->nodes, e->node);
    bool held = e->state <= OUTBOX_RECEIVED || (x->final && e->state == OUTBOX_EXPIRED);
    if (!node || !held || e->agency < 1 || e->agency > 4)
        return 0;
    if (node->agency == SAMHAND__V1__AGENCY__RESOURCE_CENTRE
    &&  (node->role == POLICY_ROLE_COORDINATOR || node->role == POLICY_ROLE_DUTY_OPERATOR))
        return 0;       //  already alerted as the resource centre's duty
    char ref [CRYPTO_CASE_REF_LEN] = "";
    if (x->info->has_subject)
        crypto_case_ref (keys_pseudonym_secret (x->self->keys), prefixes [e->agency],
                         x->info->subject_key, ref);
    notice_to_t to = { 0, 0, e->node };
    if (notice_alert_as (x->self, "ESCALATION-RECIPIENT",
                         "no personal data: a message this node already holds waits for it",
                         x->final? "escalation_ended": "escalation", x->info->message_id,
                         ref, x->text, true, to,
                         x->info->has_subject? x->info->subject_key: NULL) < 0)
        x->failed = 1;
    return 0;
}

static int
s_rc_holds (const store_entry_t *e, void *arg)
{
    if (e->agency == SAMHAND__V1__AGENCY__RESOURCE_CENTRE && e->view != SAMHAND__V1__VIEW__WITHHELD)
        *(bool *) arg = true;
    return 0;
}

//  The resource centre's duty is alerted about an unread acute concern
//  only when the resource centre sent it or was given it: the alert names
//  the sender and carries the resource centre's case reference for the
//  person, so about a concern withheld from the resource centre (one from
//  the crisis centre without consent, or under the duty to avert to the
//  police only) it would disclose what the policy withheld — under
//  krisesenterlova §5 even the contact. Fails closed.
static bool
s_duty_may_know (handler_ctx_t *self, const store_message_info_t *info)
{
    const node_t *sender = *info->sender_key? nodes_by_key (self->nodes, info->sender_key)
                                            : nodes_by_name (self->nodes, info->sender_node);
    if (sender && sender->agency == SAMHAND__V1__AGENCY__RESOURCE_CENTRE)
        return true;
    bool holds = false;
    if (store_outbox_of_message (self->store, info->message, s_rc_holds, &holds) < 0)
        return false;
    return holds;
}

//  The concern's time to live has passed with nobody having read it: the
//  escalation ends, and says so to those it went to, so nobody waits for
//  an alert that will not come again. Returns 0 or -1 (a failed write).
static int
s_escalation_end (handler_ctx_t *self, const store_timer_t *t, const store_message_info_t *info)
{
    char text [300], ref [CRYPTO_CASE_REF_LEN];
    s_coordinator_ref (self, info->has_subject? info->subject_key: NULL, ref);
    int minutes = (int) ((self->now_ms - info->created_ms) / 60000);
    snprintf (text, sizeof text, "ACUTE concern from %s expired unread by an agency its sender"
              " can see after %d min"
              " (%d escalation%s): escalation ended; it was not delivered in time:"
              " contact the sender and the recipients directly",
              info->sender_node, minutes, t->fired, t->fired == 1? "": "s");
    escalate_t x = { self, info, text, true, 0 };
    if ((s_duty_may_know (self, info)
         && notice_alert (self, "escalation_ended", info->message_id, ref, text, true, to_duty,
                          info->has_subject? info->subject_key: NULL) < 0)
    ||  (t->fired > 0 && store_outbox_of_message (self->store, t->message,
                                                   s_escalate_recipient, &x) < 0)
    ||  x.failed)
        return -1;
    audit_record_t record = { .event = "escalation_ended", .message_id = info->message_id,
                              .sender = info->sender_node, .detail = text,
                              .subject_key = info->has_subject? info->subject_key: NULL };
    if (audit_append (self->audit, &record, self->now_ms)
    ||  store_timer_reschedule (self->store, t->id, -1, t->fired))
        return -1;
    char hex [33];
    zsys_warning ("workflow: message %s: %s", s_id_hex (info->message_id, hex), text);
    return 0;
}

//  The agencies whose reading an acute concern ends its escalation: those
//  whose column its sender may see. A read by the crisis centre does not
//  end the escalation of another agency's concern: the alerts stopping
//  would tell the sender's duty that the crisis centre has it (and so of
//  a consent naming it, and of her contact with it: krisesenterlova §5),
//  which its SubmitResult and status report do not. The concern is then
//  picked up by an agency the sender may know of (POLICY.md §10a).
static uint32_t
s_read_ends (const store_message_info_t *info)
{
    uint32_t agencies = 0;
    for (int agency = 1; agency < 5; agency++)
        if (!policy_hidden_from_sender (info->kind, info->sender_agency, agency))
            agencies |= 1u << agency;
    return agencies;
}

//  An acute concern nobody has marked read: alert the coordinator and the
//  duty operators, and the recipients still holding it unread, again at
//  every interval, until someone of an agency the sender may know of
//  reads it.
static void
s_escalate (handler_ctx_t *self, const store_timer_t *t)
{
    store_message_info_t info;
    int found = store_message_by_row (self->store, t->message, &info);
    if (found < 0) {
        self->batch_failed = true;
        return;
    }
    int read = found? store_message_read_by (self->store, t->message, s_read_ends (&info)): 1;
    if (read != 0) {
        if (read < 0)
            self->batch_failed = true;
        else
            s_written (self, store_timer_reschedule (self->store, t->id, -1, 0));
        return;
    }
    if (info.expires_ms <= self->now_ms) {
        if (s_escalation_end (self, t, &info))
            self->batch_failed = true;
        return;
    }
    char text [200], ref [CRYPTO_CASE_REF_LEN];
    s_coordinator_ref (self, info.has_subject? info.subject_key: NULL, ref);
    int minutes = (int) ((self->now_ms - info.created_ms) / 60000);
    //  "by any recipient" was not true once the crisis centre had read it
    //  (its read does not end another agency's escalation, s_read_ends);
    //  said alike whoever read it, so the text tells the duty nothing.
    snprintf (text, sizeof text, "ACUTE concern from %s has not been read by an agency its"
              " sender can see (%d min, escalation %d): pick it up now", info.sender_node,
              minutes, t->fired + 1);
    if (s_duty_may_know (self, &info))
        s_written (self, notice_alert (self, "escalation", info.message_id, ref, text, true, to_duty,
                                       info.has_subject? info.subject_key: NULL));
    escalate_t x = { self, &info, text, false, 0 };
    store_outbox_of_message (self->store, t->message, s_escalate_recipient, &x);
    audit_record_t record = { .event = "escalated", .message_id = info.message_id,
                              .sender = info.sender_node, .detail = text,
                              .subject_key = info.has_subject? info.subject_key: NULL };
    s_written (self, audit_append (self->audit, &record, self->now_ms));
    char hex [33];
    zsys_warning ("workflow: message %s: %s", s_id_hex (info.message_id, hex), text);
    //  The next round, but no later than the expiry, when it ends.
    int64_t next = self->now_ms + t->every_ms;
    if (info.expires_ms > self->now_ms && info.expires_ms < next)
        next = info.expires_ms;
    if (x.failed || store_timer_reschedule (self->store, t->id, next, t->fired + 1))
        self->batch_failed = true;
}

static void
s_remind (handler_ctx_t *self, const store_timer_t *t, const char *type, const char *what)
{
    char text [200], ref [CRYPTO_CASE_REF_LEN];
    s_coordinator_ref (self, t->key, ref);
    snprintf (text, sizeof text, "%s for case %s", what, ref);
    //  The reminder tells the resource centre's coordinators, under their
    //  case reference, that a risk change was made for the person: only
    //  when the resource centre sent or was given that risk change.
    store_message_info_t info;
    int found = store_message_by_row (self->store, t->message, &info);
    if (found < 0)
        store_fail_batch (self->store);
    else
    if (found == 1 && s_duty_may_know (self, &info))
        s_written (self, notice_alert (self, type, NULL, ref, text, false, to_coordinators, t->key));
    else
        zsys_warning ("workflow: %s not sent: the resource centre does not hold the risk change", type);
    audit_record_t record = { .event = "reminded", .detail = text, .subject_key = t->key };
    s_written (self, audit_append (self->audit, &record, self->now_ms));
    zsys_info ("workflow: %s", text);
    s_written (self, store_timer_reschedule (self->store, t->id, t->every_ms? self->now_ms + t->every_ms: -1,
                                             t->fired + 1));
}

typedef struct {
    int64_t  delivery_id;
    uint8_t  message_id [16];
    char     sender_node [64];
    char     node [64];
    int      kind;
    int      agency;
    bool     has_subject;
    uint8_t  subject_key [32];
} lapsed_t;

typedef struct {
    lapsed_t items [128];
    int      count;
} lapsed_list_t;

//  A non-delivery report about a node the sender may not know was sent
//  anything (policy_hidden_from_sender) is not sent: it names the node.
static bool
s_sender_may_know (handler_ctx_t *self, const char *sender_node, int kind, int agency)
{
    const node_t *sender = nodes_by_name (self->nodes, sender_node);
    return sender && !policy_hidden_from_sender (kind, sender->agency, agency);
}

static void
s_expire_one (handler_ctx_t *self, const lapsed_t *l)
{
    s_written (self, store_outbox_set_state (self->store, l->delivery_id, OUTBOX_EXPIRED, false));
    audit_record_t record = { .event = "expired", .message_id = l->message_id,
                              .sender = l->sender_node, .node = l->node, .agency = l->agency,
                              .subject_key = l->has_subject? l->subject_key: NULL };
    s_written (self, audit_append (self->audit, &record, self->now_ms));
    char hex [33];
    zsys_info ("workflow: message %s to %s expired undelivered (delivery %" PRId64 ")",
               s_id_hex (l->message_id, hex), l->node, l->delivery_id);
    if (!streq (l->sender_node, "samhandd") && s_sender_may_know (self, l->sender_node, l->kind, l->agency)) {
        char text [200];
        snprintf (text, sizeof text, "your %s was not delivered to %s (%s) before it expired",
                  config_kind_name (l->kind), l->node, config_agency_name (l->agency));
        notice_to_t to = { 0, 0, l->sender_node };
        s_written (self, notice_alert (self, "non_delivery", l->message_id, NULL, text, false, to, NULL));
    }
    session_t *session = sessions_get (self->sessions, l->node);
    if (session && session->outstanding > 0)
        session->outstanding--;
    status_push (self, l->delivery_id);
}

static int
s_collect (const store_delivery_t *d, void *arg)
{
    lapsed_list_t *list = (lapsed_list_t *) arg;
    if (list->count >= 128)
        return 1;
    lapsed_t *l = &list->items [list->count++];
    l->delivery_id = d->delivery_id;
    memcpy (l->message_id, d->message_id, 16);
    snprintf (l->sender_node, sizeof l->sender_node, "%s", d->sender_node);
    snprintf (l->node, sizeof l->node, "%s", d->node);
    l->kind = d->kind;
    l->agency = d->agency;
    l->has_subject = d->subject_key != NULL;
    if (l->has_subject)
        memcpy (l->subject_key, d->subject_key, 32);
    return 0;
}

//  Undelivered past its time to live: the entry expires and the sender
//  gets a non-delivery report saying to whom. Only messages whose expiry
//  fell since the last check are looked at (an index range, not a scan).
static void
s_expire (handler_ctx_t *self)
{
    lapsed_list_t *list = (lapsed_list_t *) zmalloc (sizeof (lapsed_list_t));
    if (!list)
        return;
    int total = 0;
    do {
        list->count = 0;
        if (store_outbox_expiring (self->store, self->expiry_checked_ms, self->now_ms,
                                   128, s_collect, list) < 0) {
            //  Unreadable: the mark stays where it was, the batch fails.
            store_fail_batch (self->store);
            free (list);
            return;
        }
        for (int i = 0; i < list->count; i++)
            s_expire_one (self, &list->items [i]);
        total += list->count;
    } while (list->count == 128);
    //  The mark is stored by the cycle's commit, and only when the cycle
    //  writes anyway: an idle broker writes nothing (broker.c, s_commit).
    self->expiry_checked_ms = self->now_ms;
    if (total)
        zsys_info ("workflow: %d undelivered entries expired", total);
    free (list);
}

void
workflow_dead_letter (handler_ctx_t *self, const store_delivery_t *d, const char *node)
{
    s_written (self, store_outbox_set_state (self->store, d->delivery_id, OUTBOX_DEAD, false));
    audit_record_t record = { .event = "dead_letter", .message_id = d->message_id,
                              .sender = d->sender_node, .node = node, .agency = d->agency };
    s_written (self, audit_append (self->audit, &record, self->now_ms));
    char hex [33];
    zsys_warning ("workflow: message %s: delivery %" PRId64 " to %s is a dead letter after %d"
                  " attempts", s_id_hex (d->message_id, hex), d->delivery_id, node, d->attempts);
    if (!streq (d->sender_node, "samhandd") && s_sender_may_know (self, d->sender_node, d->kind, d->agency)) {
        char text [200];
        snprintf (text, sizeof text, "your %s could not be delivered to %s after %d attempts;"
                  " an administrator can requeue it", config_kind_name (d->kind), node, d->attempts);
        notice_to_t to = { 0, 0, d->sender_node };
        s_written (self, notice_alert (self, "dead_letter", d->message_id, NULL, text, false, to, NULL));
    }
    session_t *session = sessions_get (self->sessions, node);
    if (session && session->outstanding > 0)
        session->outstanding--;
    status_push (self, d->delivery_id);
}

void
workflow_tick (handler_ctx_t *self)
{
    if (store_begin (self->store))
        return;
    s_expire (self);
    store_timer_t timers [64];
    int n = store_timers_due (self->store, self->now_ms, timers, 64);
    for (int i = 0; i < n; i++) {
        const store_timer_t *t = &timers [i];
        if (streq (t->kind, "escalate"))
            s_escalate (self, t);
        else
        if (streq (t->kind, "review"))
            s_remind (self, t, "review_due",
                      "The risk management plan's review date has passed with no newer risk change");
        else
        if (streq (t->kind, "status"))
            s_remind (self, t, "status_due",
                      "No status report this period for a case with high risk");
        else
        if (streq (t->kind, PLAN_TIMER_REVIEW) || streq (t->kind, PLAN_TIMER_STATUS))
            plan_timer (self, t);
        else
        if (streq (t->kind, CONSENT_TIMER)) {
            //  A consent's period ended: like a withdrawal, at that moment.
            char id [sizeof t->key + 1];
            memcpy (id, t->key, t->key_size < sizeof t->key? t->key_size: sizeof t->key);
            id [t->key_size < sizeof t->key? t->key_size: sizeof t->key] = 0;
            consent_expired (self, id);
            s_written (self, store_timer_reschedule (self->store, t->id, -1, 0));
        }
        else
            s_written (self, store_timer_reschedule (self->store, t->id, -1, 0));
    }
}
