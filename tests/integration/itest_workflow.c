/*  itest_workflow — the workflow the agencies work by, with deadlines of
    seconds: escalation of an unread acute concern (fires, repeats, stops
    when read), expiry with a non-delivery report, dead letters and their
    requeue, the review-date and weekly-status reminders, status reports,
    the inbox, subscription filters, and every timer after kill -9.
    Everything here is invented.                                          */
#include "harness.h"
#include "testlib.h"
#include <signal.h>

//  The broker under test is build/samhandd-fault with a clock that runs
//  RATE times as fast (tests/fault/testhooks.c): its deadlines of seconds
//  pass in a fraction of that. Waits for something that must NOT happen
//  are scaled with it (SCALED); waits for what must happen keep their
//  real-time bounds.
#define RATE 5
#define SCALED(ms) ((ms) / RATE)
//  The bound of a wait for what must happen: generous, for a loaded
//  machine (the wait ends as soon as it has happened).
#define MUST_MS 20000
static int64_t s_anchor_ms;

//  The broker's time, as unix seconds.
static time_t
s_broker_now (void)
{
    int64_t real = zclock_time ();
    return (time_t) ((s_anchor_ms + (real - s_anchor_ms) * RATE) / 1000);
}

#define CONFIG \
    "limits\n    redeliver_after = 1\n" \
    "workflow\n    escalate_after = 2s\n    escalate_every = 2s\n" \
    "    status_every = 3s\n    max_attempts = 3\n"

static Samhand__V1__Frame *
s_concern (hclient_t *c, Samhand__V1__Urgency urgency, uint32_t ttl, uint8_t id [16])
{
    Samhand__V1__Submit submit;
    Samhand__V1__ConcernReport concern;
    Samhand__V1__Subject subject;
    harness_concern (&submit, &concern, &subject, "Invented: ringte fra busstasjonen, redd.");
    concern.urgency = urgency;
    submit.ttl_seconds = ttl;
    harness_new_id (&submit, id);
    return hclient_submit (c, &submit, MUST_MS);
}

//  Waits for an alert of TYPE (receipting everything); NULL on timeout.
static Samhand__V1__Frame *
s_alert (hclient_t *c, const char *type, int timeout)
{
    int64_t deadline = zclock_mono () + timeout;
    while (zclock_mono () < deadline) {
        Samhand__V1__Frame *f = hclient_expect (c, SAMHAND__V1__FRAME__COMMAND_DELIVER,
                                                (int) (deadline - zclock_mono ()));
        if (!f)
            return NULL;
        hclient_receipt (c, f->deliver->delivery_id, 1);
        if (f->deliver->alert && streq (f->deliver->alert->type, type))
            return f;
        frame_free (&f);
    }
    return NULL;
}

//  Does the broker's log, within ~2 s, hold a line with "message HEX" (the
//  message id, as the clients print it) and WHAT? (Issue 12 §3: escalation
//  and non-delivery lines name the message id, and never personal data.)
static bool
s_log_names (harness_t *h, const uint8_t id [16], const char *what)
{
    char hex [48] = "message ", path [400];
    for (int i = 0; i < 16; i++)
        snprintf (hex + 8 + 2 * i, 3, "%02x", id [i]);
    snprintf (path, sizeof path, "%s/samhandd.log", h->dir);
    for (int attempt = 0; attempt < 20; attempt++) {
        bool found = false;
        FILE *f = fopen (path, "r");
        char line [1024];
        while (f && !found && fgets (line, sizeof line, f))
            found = strstr (line, hex) && strstr (line, what) && !strstr (line, "busstasjonen");
        if (f)
            fclose (f);
        if (found)
            return true;
        zclock_sleep (100);
    }
    return false;
}

static void
test_escalation (harness_t *h)
{
    hclient_t *coord = hclient_listener (h, "koordinator");
    hclient_t *team = hclient_listener (h, "tryggest");
    hclient_t *vakt = hclient_new (h, "vakt");
    uint8_t id [16];
    Samhand__V1__Frame *f = s_concern (vakt, SAMHAND__V1__URGENCY__ACUTE, 0, id);
    CHECK (f && f->submit_result->accepted, "acute concern accepted");
    frame_free (&f);
    f = hclient_expect (team, SAMHAND__V1__FRAME__COMMAND_DELIVER, MUST_MS);
    uint64_t delivery = f? f->deliver->delivery_id: 0;
    CHECK (f && f->deliver->acute, "the delivery is marked acute");
    frame_free (&f);
    hclient_receipt (team, delivery, SAMHAND__V1__RECEIPT_STATE__RECEIVED);
    f = s_alert (coord, "escalation", MUST_MS);
    CHECK (f && f->deliver->acute && f->deliver->alert->message_id.len == 16
             && memcmp (f->deliver->alert->message_id.data, id, 16) == 0,
           "received but unread after 2 s: the coordinator gets an acute escalation");
    frame_free (&f);
    CHECK (s_log_names (h, id, "has not been read by an agency its sender can see"),
           "the escalation's log line names the message id");
    f = hclient_expect (team, SAMHAND__V1__FRAME__COMMAND_DELIVER, MUST_MS);
    CHECK (f && f->deliver->alert && streq (f->deliver->alert->type, "escalation")
             && strncmp (f->deliver->alert->case_ref, "TE-", 3) == 0
             && streq (f->deliver->rule, "ESCALATION-RECIPIENT")
             && !strstr (f->deliver->alert->text, "Testesen"),
           "the recipient holding it unread is alerted too, with its own case reference");
    if (f)
        hclient_receipt (team, f->deliver->delivery_id, SAMHAND__V1__RECEIPT_STATE__RECEIVED);
    frame_free (&f);
    f = s_alert (coord, "escalation", MUST_MS);
    CHECK (f != NULL, "the escalation repeats at its interval");
    frame_free (&f);
    hclient_receipt (team, delivery, SAMHAND__V1__RECEIPT_STATE__READ);
    zclock_sleep (300);
    hclient_drain (coord, 400);
    f = s_alert (coord, "escalation", SCALED (3500));
    CHECK (f == NULL, "once a recipient marks it read, the escalation stops");
    frame_free (&f);

    //  Status, as the sender sees it.
    Samhand__V1__Frame q = SAMHAND__V1__FRAME__INIT;
    Samhand__V1__StatusQuery sq = SAMHAND__V1__STATUS_QUERY__INIT;
    sq.message_id = (ProtobufCBinaryData) { 16, id };
    q.command_case = SAMHAND__V1__FRAME__COMMAND_STATUS_QUERY;
    q.status_query = &sq;
    hclient_send (vakt, &q);
    f = hclient_expect (vakt, SAMHAND__V1__FRAME__COMMAND_STATUS_REPORT, MUST_MS);
    bool team_read = false;
    for (size_t i = 0; f && i < f->status_report->n_nodes; i++)
        team_read = team_read || (streq (f->status_report->nodes [i]->node, "tryggest")
                                  && streq (f->status_report->nodes [i]->state, "read"));
    CHECK (f && streq (f->status_report->state, "read") && team_read,
           "status: the sender sees per node that tryggest has read it");
    frame_free (&f);
    hclient_send (coord, &q);
    f = hclient_expect (coord, SAMHAND__V1__FRAME__COMMAND_ERROR, MUST_MS);
    CHECK (f && f->error->code == SAMHAND__V1__ERROR_CODE__NOT_FOUND,
           "another node cannot read the status of vakt's message");
    frame_free (&f);
    hclient_destroy (&vakt);
    hclient_destroy (&team);
    hclient_destroy (&coord);
}

static void
test_status_push_and_inbox (harness_t *h)
{
    hclient_t *vakt = hclient_listener (h, "vakt");
    hclient_t *team = hclient_listener (h, "tryggest");
    uint8_t id [16];
    Samhand__V1__Frame *f = s_concern (vakt, SAMHAND__V1__URGENCY__ROUTINE, 0, id);
    frame_free (&f);
    f = hclient_expect (team, SAMHAND__V1__FRAME__COMMAND_DELIVER, MUST_MS);
    uint64_t delivery = f? f->deliver->delivery_id: 0;
    frame_free (&f);
    hclient_receipt (team, delivery, SAMHAND__V1__RECEIPT_STATE__RECEIVED);
    f = hclient_expect (vakt, SAMHAND__V1__FRAME__COMMAND_STATUS_REPORT, MUST_MS);
    CHECK (f && f->request_id == 0 && streq (f->status_report->state, "delivered"),
           "the connected sender is told at once when a recipient receives it");
    frame_free (&f);

    Samhand__V1__Frame q = SAMHAND__V1__FRAME__INIT;
    Samhand__V1__InboxQuery iq = SAMHAND__V1__INBOX_QUERY__INIT;
    q.command_case = SAMHAND__V1__FRAME__COMMAND_INBOX_QUERY;
    q.inbox_query = &iq;
    hclient_send (team, &q);
    f = hclient_expect (team, SAMHAND__V1__FRAME__COMMAND_INBOX_REPLY, MUST_MS);
    bool listed = false;
    for (size_t i = 0; f && i < f->inbox_reply->n_items; i++)
        listed = listed || f->inbox_reply->items [i]->delivery_id == delivery;
    CHECK (listed, "the inbox lists the received but unread concern");
    frame_free (&f);
    hclient_receipt (team, delivery, SAMHAND__V1__RECEIPT_STATE__READ);
    f = hclient_expect (vakt, SAMHAND__V1__FRAME__COMMAND_STATUS_REPORT, MUST_MS);
    CHECK (f && streq (f->status_report->state, "read"), "and again when it is read");
    frame_free (&f);
    hclient_send (team, &q);
    f = hclient_expect (team, SAMHAND__V1__FRAME__COMMAND_INBOX_REPLY, MUST_MS);
    listed = false;
    for (size_t i = 0; f && i < f->inbox_reply->n_items; i++)
        listed = listed || f->inbox_reply->items [i]->delivery_id == delivery;
    CHECK (f && !listed, "once read it leaves the inbox");
    frame_free (&f);
    hclient_destroy (&team);
    hclient_destroy (&vakt);
}

static void
test_expiry (harness_t *h)
{
    hclient_t *vakt = hclient_listener (h, "vakt");
    uint8_t id [16];
    //  tryggest is offline; the sender shortens the time to live to 1 s.
    Samhand__V1__Frame *f = s_concern (vakt, SAMHAND__V1__URGENCY__ROUTINE, 1, id);
    frame_free (&f);
    //  Every offline recipient gets its own report; find tryggest's.
    bool named = false;
    while (!named && (f = s_alert (vakt, "non_delivery", MUST_MS))) {
        named = strstr (f->deliver->alert->text, "tryggest")
             && memcmp (f->deliver->alert->message_id.data, id, 16) == 0;
        frame_free (&f);
    }
    CHECK (named, "past its time to live the sender gets a non-delivery report naming the node");
    CHECK (s_log_names (h, id, "to tryggest expired undelivered"),
           "the expiry's log line names the message id");
    hclient_t *team = hclient_new (h, "tryggest");
    f = hclient_subscribe (team, MUST_MS);
    frame_free (&f);
    bool got = false;
    while ((f = hclient_expect (team, SAMHAND__V1__FRAME__COMMAND_DELIVER, 800))) {
        got = got || memcmp (f->deliver->message_id.data, id, 16) == 0;
        hclient_receipt (team, f->deliver->delivery_id, 1);
        frame_free (&f);
    }
    CHECK (!got, "the expired concern is not delivered later");
    hclient_destroy (&team);
    hclient_destroy (&vakt);
}

static void
test_dead_letter (harness_t *h)
{
    hclient_t *vakt = hclient_listener (h, "vakt");
    hclient_t *police = hclient_listener (h, "politi-risk");
    uint8_t id [16];
    Samhand__V1__Frame *f = s_concern (vakt, SAMHAND__V1__URGENCY__ROUTINE, 0, id);
    frame_free (&f);
    //  politi-risk never sends a receipt: 3 attempts, 1 s apart.
    //  Until the third (bounded), then as long again as two more would take.
    int attempts = 0;
    int64_t deadline = zclock_mono () + 3 * MUST_MS;
    while (zclock_mono () < deadline) {
        f = hclient_expect (police, SAMHAND__V1__FRAME__COMMAND_DELIVER,
                            (int) (deadline - zclock_mono ()));
        if (!f)
            break;
        if (memcmp (f->deliver->message_id.data, id, 16) == 0 && ++attempts == 3)
            deadline = zclock_mono () + SCALED (2500);
        frame_free (&f);
    }
    CHECK (attempts == 3, "delivery is tried max_attempts (3) times, no more");
    f = s_alert (vakt, "dead_letter", MUST_MS);
    CHECK (f != NULL, "the sender gets a dead-letter report");
    CHECK (s_log_names (h, id, "is a dead letter after 3 attempts"),
           "the dead letter's log line names the message id");
    frame_free (&f);

    hclient_t *admin = hclient_new (h, "admin");
    Samhand__V1__Frame q = SAMHAND__V1__FRAME__INIT;
    Samhand__V1__AdminCommand cmd = SAMHAND__V1__ADMIN_COMMAND__INIT;
    cmd.command = "dead-letters";
    q.command_case = SAMHAND__V1__FRAME__COMMAND_ADMIN_COMMAND;
    q.admin_command = &cmd;
    hclient_send (admin, &q);
    f = hclient_expect (admin, SAMHAND__V1__FRAME__COMMAND_ADMIN_REPLY, MUST_MS);
    uint64_t dead = 0;
    for (size_t i = 0; f && i < f->admin_reply->n_dead_letters; i++)
        if (memcmp (f->admin_reply->dead_letters [i]->message_id.data, id, 16) == 0)
            dead = f->admin_reply->dead_letters [i]->delivery_id;
    CHECK (dead != 0, "an admin lists the dead letter");
    frame_free (&f);
    cmd.command = "requeue";
    cmd.delivery_id = dead;
    hclient_send (admin, &q);
    f = hclient_expect (admin, SAMHAND__V1__FRAME__COMMAND_ADMIN_REPLY, MUST_MS);
    CHECK (f && f->admin_reply->ok, "the admin requeues it");
    frame_free (&f);
    f = hclient_expect (police, SAMHAND__V1__FRAME__COMMAND_DELIVER, MUST_MS);
    CHECK (f && f->deliver->delivery_id == dead && f->deliver->attempt == 1,
           "the requeued letter is delivered again, attempts counted anew");
    if (f)
        hclient_receipt (police, f->deliver->delivery_id, 1);
    frame_free (&f);
    hclient_destroy (&admin);
    hclient_destroy (&police);
    hclient_destroy (&vakt);
}

static Samhand__V1__Frame *
s_risk (hclient_t *c, Samhand__V1__RiskLevel level, const char *review_by, const char *nid)
{
    Samhand__V1__Submit submit = SAMHAND__V1__SUBMIT__INIT;
    Samhand__V1__RiskChange risk = SAMHAND__V1__RISK_CHANGE__INIT;
    Samhand__V1__Subject subject = SAMHAND__V1__SUBJECT__INIT;
    uint8_t id [16];
    subject.national_id = (char *) nid;
    risk.subject = &subject;
    risk.level = level;
    risk.review_by = (char *) (review_by? review_by: "");
    submit.body_case = SAMHAND__V1__SUBMIT__BODY_RISK_CHANGE;
    submit.risk_change = &risk;
    harness_new_id (&submit, id);
    return hclient_submit (c, &submit, MUST_MS);
}

static void
s_in (int seconds, char out [32])
{
    time_t t = s_broker_now () + seconds;
    struct tm tm;
    gmtime_r (&t, &tm);
    strftime (out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static void
test_reminders (harness_t *h)
{
    hclient_t *coord = hclient_listener (h, "koordinator");
    char when [32];
    s_in (2, when);
    //  Invented numbers with valid check digits for invented dates.
    Samhand__V1__Frame *f = s_risk (coord, SAMHAND__V1__RISK_LEVEL__MODERATE, when, "02029012345");
    frame_free (&f);
    f = s_alert (coord, "review_due", MUST_MS);
    CHECK (f && strncmp (f->deliver->alert->case_ref, "RC-", 3) == 0,
           "the review date passes with no newer risk change: the coordinator is reminded");
    frame_free (&f);
    s_in (2, when);
    f = s_risk (coord, SAMHAND__V1__RISK_LEVEL__MODERATE, when, "03039012345");
    frame_free (&f);
    f = s_risk (coord, SAMHAND__V1__RISK_LEVEL__LOW, NULL, "03039012345");
    frame_free (&f);
    f = s_alert (coord, "review_due", SCALED (4000));
    CHECK (f == NULL, "a newer risk change for the case means no review reminder");
    frame_free (&f);

    f = s_risk (coord, SAMHAND__V1__RISK_LEVEL__HIGH, NULL, "04049012345");
    char case_ref [64] = "";
    if (f && f->submit_result->case_ref)
        snprintf (case_ref, sizeof case_ref, "%s", f->submit_result->case_ref);
    frame_free (&f);
    f = s_alert (coord, "status_due", MUST_MS);
    CHECK (f && streq (f->deliver->alert->case_ref, case_ref),
           "a high-risk case with no status for the period: the coordinator is reminded");
    frame_free (&f);
    Samhand__V1__Submit submit = SAMHAND__V1__SUBMIT__INIT;
    Samhand__V1__CaseStatus status = SAMHAND__V1__CASE_STATUS__INIT;
    uint8_t id [16];
    status.case_ref = case_ref;
    status.text = "Invented: ukentlig status, bor fortsatt på krisehybel";
    submit.body_case = SAMHAND__V1__SUBMIT__BODY_CASE_STATUS;
    submit.case_status = &status;
    harness_new_id (&submit, id);
    f = hclient_submit (coord, &submit, MUST_MS);
    CHECK (f && f->submit_result->accepted, "a case status report is accepted by case reference");
    frame_free (&f);
    f = s_alert (coord, "status_due", SCALED (2000));
    CHECK (f == NULL, "a status report resets the weekly-status clock");
    frame_free (&f);
    //  Stop the high-risk clock for the rest of the test.
    f = s_risk (coord, SAMHAND__V1__RISK_LEVEL__LOW, NULL, "04049012345");
    frame_free (&f);
    hclient_destroy (&coord);
}

static void
test_filters (harness_t *h)
{
    hclient_t *police = hclient_new (h, "politi-risk");
    Samhand__V1__Frame frame = SAMHAND__V1__FRAME__INIT;
    Samhand__V1__Subscribe sub = SAMHAND__V1__SUBSCRIBE__INIT;
    Samhand__V1__Kind kinds [2] = { SAMHAND__V1__KIND__CONCERN_REPORT, SAMHAND__V1__KIND__ALERT };
    sub.kinds = kinds;
    sub.n_kinds = 2;
    sub.min_urgency = SAMHAND__V1__URGENCY__ACUTE;
    frame.command_case = SAMHAND__V1__FRAME__COMMAND_SUBSCRIBE;
    frame.subscribe = &sub;
    hclient_send (police, &frame);
    Samhand__V1__Frame *f = hclient_expect (police, SAMHAND__V1__FRAME__COMMAND_SUBSCRIBED, MUST_MS);
    frame_free (&f);
    hclient_drain (police, 400);
    hclient_destroy (&police);
    //  The subscription is kept across a restart.
    CHECK (harness_stop (h, SIGTERM) == 0 && harness_start (h) == 0, "broker restarted");
    police = hclient_listener (h, "politi-risk");
    hclient_t *vakt = hclient_new (h, "vakt");
    uint8_t routine [16], acute [16];
    f = s_concern (vakt, SAMHAND__V1__URGENCY__ROUTINE, 0, routine);
    frame_free (&f);
    f = s_concern (vakt, SAMHAND__V1__URGENCY__ACUTE, 0, acute);
    frame_free (&f);
    //  Until the acute one comes (bounded: 30 s), and half a second more:
    //  the routine one, submitted first, would have come before it.
    bool got_routine = false, got_acute = false;
    int64_t deadline = zclock_mono () + 30000;
    while (zclock_mono () < deadline) {
        f = hclient_expect (police, SAMHAND__V1__FRAME__COMMAND_DELIVER,
                            (int) (deadline - zclock_mono ()));
        if (!f)
            break;
        got_routine = got_routine || memcmp (f->deliver->message_id.data, routine, 16) == 0;
        if (!got_acute && memcmp (f->deliver->message_id.data, acute, 16) == 0) {
            got_acute = true;
            deadline = zclock_mono () + 500;
        }
        hclient_receipt (police, f->deliver->delivery_id, SAMHAND__V1__RECEIPT_STATE__READ);
        frame_free (&f);
    }
    CHECK (got_acute && !got_routine, "a stored min-urgency filter survives a restart and applies");
    hclient_destroy (&vakt);
    hclient_destroy (&police);
}

static void
test_timers_survive_kill (harness_t *h)
{
    hclient_t *vakt = hclient_new (h, "vakt");
    uint8_t acute [16], short_lived [16];
    Samhand__V1__Frame *f = s_concern (vakt, SAMHAND__V1__URGENCY__ACUTE, 0, acute);
    frame_free (&f);
    f = s_concern (vakt, SAMHAND__V1__URGENCY__ROUTINE, 2, short_lived);
    frame_free (&f);
    char when [32];
    s_in (3, when);
    hclient_t *coord = hclient_new (h, "koordinator");
    f = s_risk (coord, SAMHAND__V1__RISK_LEVEL__MODERATE, when, "05059012345");
    frame_free (&f);
    hclient_destroy (&coord);
    hclient_destroy (&vakt);
    CHECK (harness_stop (h, SIGKILL) == 128 + SIGKILL, "broker killed with -9 before any deadline");
    zclock_sleep (SCALED (3500));
    CHECK (harness_start (h) == 0, "broker restarted after the deadlines passed");
    coord = hclient_new (h, "koordinator");
    vakt = hclient_new (h, "vakt");
    f = hclient_subscribe (coord, 10000);
    frame_free (&f);
    f = hclient_subscribe (vakt, 10000);
    frame_free (&f);
    //  Until all three have come (bounded: 60 s; they are due at once).
    bool escalated = false, reviewed = false, reported = false;
    int64_t deadline = zclock_mono () + 60000;
    while (zclock_mono () < deadline && !(escalated && reviewed && reported)) {
        hclient_t *clients [2] = { coord, vakt };
        for (int i = 0; i < 2; i++) {
            f = hclient_expect (clients [i], SAMHAND__V1__FRAME__COMMAND_DELIVER, 200);
            if (!f)
                continue;
            hclient_receipt (clients [i], f->deliver->delivery_id, 1);
            Samhand__V1__Alert *a = f->deliver->alert;
            if (a && streq (a->type, "escalation") && a->message_id.len == 16
            &&  memcmp (a->message_id.data, acute, 16) == 0)
                escalated = true;
            if (a && streq (a->type, "review_due"))
                reviewed = true;
            if (a && streq (a->type, "non_delivery") && a->message_id.len == 16
            &&  memcmp (a->message_id.data, short_lived, 16) == 0)
                reported = true;
            frame_free (&f);
        }
    }
    CHECK (escalated, "after kill -9 and restart the escalation still fires");
    CHECK (reviewed, "after kill -9 and restart the review reminder still fires");
    CHECK (reported, "after kill -9 and restart the expiry still reports non-delivery");
    hclient_destroy (&vakt);
    hclient_destroy (&coord);
}

//  An acute concern the crisis centre sends without a consent is withheld
//  from every agency (krisesenterlova §5: even the contact is
//  confidential). Nobody holds it, so nobody reads it: the resource
//  centre's duty must not be alerted about it, for the alert would tell
//  them, under their own case reference for the person, that the crisis
//  centre has been in contact with her.
static void
test_crisis_escalation (harness_t *h)
{
    hclient_t *coord = hclient_listener (h, "koordinator");
    hclient_t *ks = hclient_new (h, "krisesenter");
    uint8_t id [16];
    Samhand__V1__Frame *f = coord && ks? s_concern (ks, SAMHAND__V1__URGENCY__ACUTE, 5, id): NULL;
    bool withheld = f && f->submit_result->accepted;
    for (size_t i = 0; f && i < f->submit_result->n_decisions; i++)
        withheld = withheld && f->submit_result->decisions [i]->view == SAMHAND__V1__VIEW__WITHHELD;
    frame_free (&f);
    CHECK (withheld, "crisis escalation: an acute concern from the crisis centre is withheld from all");
    //  escalation after 2 s and 4 s, its end at 5 s: wait past all three
    int64_t deadline = zclock_mono () + 6500;
    int about_it = 0;
    while (zclock_mono () < deadline) {
        f = hclient_expect (coord, SAMHAND__V1__FRAME__COMMAND_DELIVER, (int) (deadline - zclock_mono ()));
        if (!f)
            break;
        hclient_receipt (coord, f->deliver->delivery_id, 1);
        if (f->deliver->alert && f->deliver->alert->message_id.len == 16
        &&  memcmp (f->deliver->alert->message_id.data, id, 16) == 0)
            about_it++;
        frame_free (&f);
    }
    CHECK (withheld && about_it == 0,
           "crisis escalation: the resource centre gets no alert about a message it was not given");
    hclient_destroy (&coord);
    hclient_destroy (&ks);
}

int
main (void)
{
    zsys_init ();
    zsys_set_linger (0);
    harness_t *h = harness_new (CONFIG);
    if (h) {
        char path [400], text [64];
        snprintf (path, sizeof path, "%s/clock", h->dir);
        s_anchor_ms = zclock_time ();
        snprintf (text, sizeof text, "0 %d %lld\n", RATE, (long long) s_anchor_ms);
        FILE *file = fopen (path, "w");
        if (file) {
            fputs (text, file);
            fclose (file);
        }
        setenv ("SAMHAND_DAEMON", "samhandd-fault", 1);
        setenv ("SAMHAND_CLOCK_FILE", path, 1);
    }
    CHECK (h && harness_start (h) == 0, "samhandd starts with deadlines of seconds");
    if (!h)
        return 1;
    test_escalation (h);
    test_crisis_escalation (h);
    test_status_push_and_inbox (h);
    test_expiry (h);
    test_dead_letter (h);
    test_reminders (h);
    test_filters (h);
    test_timers_survive_kill (h);
    CHECK (harness_stop (h, SIGTERM) == 0, "clean stop");
    harness_destroy (&h);
    return TEST_DONE ();
}
