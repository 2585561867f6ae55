/*  itest_silent — nothing dropped in silence (issue 9, section 1), and one
    node cannot stall the others (section 5): a display filter on listen
    leaves the subscription alone; a subscription change is explicit and
    audited; a message decided for an agency that nobody of it will get
    says so; a second listen of the same node, or a revoked certificate,
    ends the older listen loudly; per-sender outbox quotas let an acute
    concern through another sender's backlog and tell the admin; an acute
    concern's escalation ends when it expires; pipelined worst-case
    discussions from one node do not hold up another node's ping.
    Every person and text here is invented.                               */
#include "harness.h"
#include "testlib.h"
#include <signal.h>
#include <sys/stat.h>

#define CONFIG \
    "limits\n    redeliver_after = 30\n" \
    "workflow\n    escalate_after = 1s\n    escalate_every = 1s\n"

//  "samhand" as node NAME of H with ARGS; stderr joins stdout.
static char *
s_cli (harness_t *h, const char *name, const char *args, int *status)
{
    char cmd [4096];
    snprintf (cmd, sizeof cmd, "%s/samhand --endpoint %s --broker-cert %s/server.cert"
              " --cert %s/nodes/%s.cert %s 2>&1", harness_build (), h->endpoint, h->dir,
              h->dir, name, args);
    return harness_run (cmd, status);
}

//  Starts "samhand listen" for NAME in the background; its stderr goes to
//  DIR/NAME.err and its exit code to DIR/NAME.rc when it ends.
static void
s_listen_bg (harness_t *h, const char *name, const char *args)
{
    char cmd [4096];
    snprintf (cmd, sizeof cmd, "rm -f %s/%s.rc; (%s/samhand --endpoint %s --broker-cert"
              " %s/server.cert --cert %s/nodes/%s.cert listen %s >%s/%s.out 2>%s/%s.err;"
              " echo $? >%s/%s.rc) </dev/null >/dev/null 2>&1 &", h->dir, name, harness_build (), h->endpoint, h->dir,
              h->dir, name, args, h->dir, name, h->dir, name, h->dir, name);
    int status;
    free (harness_run (cmd, &status));
}

//  The background listen's exit code, waiting up to TIMEOUT ms; -1 if it
//  is still running.
static int
s_listen_rc (harness_t *h, const char *name, int timeout)
{
    char path [400];
    snprintf (path, sizeof path, "%s/%s.rc", h->dir, name);
    int64_t deadline = zclock_mono () + timeout;
    do {
        FILE *f = fopen (path, "r");
        int rc = -1;
        if (f) {
            if (fscanf (f, "%d", &rc) != 1)
                rc = -1;
            fclose (f);
            if (rc >= 0)
                return rc;
        }
        zclock_sleep (100);
    } while (zclock_mono () < deadline);
    return -1;
}

static char *
s_listen_err (harness_t *h, const char *name)
{
    char cmd [400];
    snprintf (cmd, sizeof cmd, "cat %s/%s.err", h->dir, name);
    return harness_run (cmd, NULL);
}

static Samhand__V1__Frame *
s_concern (hclient_t *c, Samhand__V1__Urgency urgency, uint32_t ttl, uint8_t id [16])
{
    Samhand__V1__Submit submit;
    Samhand__V1__ConcernReport concern;
    Samhand__V1__Subject subject;
    harness_concern (&submit, &concern, &subject, "Invented: ringte fra kiosken, redd for kjæresten.");
    concern.urgency = urgency;
    submit.ttl_seconds = ttl;
    harness_new_id (&submit, id);
    return hclient_submit (c, &submit, 3000);
}

static const Samhand__V1__AgencyDecision *
s_decision (const Samhand__V1__Frame *f, int agency)
{
    if (!f || f->command_case != SAMHAND__V1__FRAME__COMMAND_SUBMIT_RESULT)
        return NULL;
    for (size_t i = 0; i < f->submit_result->n_decisions; i++)
        if ((int) f->submit_result->decisions [i]->agency == agency)
            return f->submit_result->decisions [i];
    return NULL;
}

static int
s_code (const Samhand__V1__Frame *f)
{
    if (!f)
        return -1;
    if (f->command_case == SAMHAND__V1__FRAME__COMMAND_ERROR)
        return f->error->code;
    if (f->command_case == SAMHAND__V1__FRAME__COMMAND_SUBMIT_RESULT && f->submit_result->error)
        return f->submit_result->error->code;
    return 0;
}

//  Waits for a delivery of message ID (receipting what it sees); true if
//  it came within TIMEOUT ms.
static bool
s_gets (hclient_t *c, const uint8_t id [16], int timeout)
{
    int64_t deadline = zclock_mono () + timeout;
    bool got = false;
    while (!got && zclock_mono () < deadline) {
        Samhand__V1__Frame *f = hclient_expect (c, SAMHAND__V1__FRAME__COMMAND_DELIVER,
                                                (int) (deadline - zclock_mono ()));
        if (!f)
            break;
        got = memcmp (f->deliver->message_id.data, id, 16) == 0;
        hclient_receipt (c, f->deliver->delivery_id, SAMHAND__V1__RECEIPT_STATE__RECEIVED);
        frame_free (&f);
    }
    return got;
}

//  Waits for an alert of TYPE (receipting everything); the frame or NULL.
static Samhand__V1__Frame *
s_alert (hclient_t *c, const char *type, int timeout)
{
    int64_t deadline = zclock_mono () + timeout;
    while (zclock_mono () < deadline) {
        Samhand__V1__Frame *f = hclient_expect (c, SAMHAND__V1__FRAME__COMMAND_DELIVER,
                                                (int) (deadline - zclock_mono ()));
        if (!f)
            return NULL;
        hclient_receipt (c, f->deliver->delivery_id, SAMHAND__V1__RECEIPT_STATE__RECEIVED);
        if (f->deliver->alert && streq (f->deliver->alert->type, type))
            return f;
        frame_free (&f);
    }
    return NULL;
}

//  Whether the audit log holds an EVENT record whose detail contains WHAT.
static bool
s_audited (harness_t *h, const char *event, const char *what)
{
    hclient_t *admin = hclient_new (h, "admin");
    bool found = false;
    uint64_t after = 0;
    for (int page = 0; admin && page < 50 && !found; page++) {
        Samhand__V1__Frame frame = SAMHAND__V1__FRAME__INIT;
        Samhand__V1__AuditQuery q = SAMHAND__V1__AUDIT_QUERY__INIT;
        q.query = "export";
        q.after_seq = after;
        q.limit = 500;
        frame.command_case = SAMHAND__V1__FRAME__COMMAND_AUDIT_QUERY;
        frame.audit_query = &q;
        hclient_send (admin, &frame);
        Samhand__V1__Frame *f = hclient_expect (admin, SAMHAND__V1__FRAME__COMMAND_AUDIT_REPLY, 5000);
        if (!f)
            break;
        for (size_t i = 0; i < f->audit_reply->n_entries; i++) {
            const Samhand__V1__AuditEntry *e = f->audit_reply->entries [i];
            found = found || (streq (e->event, event) && (!what || strstr (e->detail, what)));
            after = e->seq;
        }
        bool more = f->audit_reply->more;
        frame_free (&f);
        if (!more)
            break;
    }
    hclient_destroy (&admin);
    return found;
}

//  1. listen --kinds is this session's filter; subscribe is the act.
static void
test_display_filter (harness_t *h)
{
    int status = -1;
    char *out = s_cli (h, "tryggest", "listen --kinds alert --timeout 1", &status);
    CHECK (status == 0, "listen --kinds alert --timeout 1 runs");
    free (out);
    hclient_t *vakt = hclient_new (h, "vakt");
    uint8_t id [16];
    Samhand__V1__Frame *f = s_concern (vakt, SAMHAND__V1__URGENCY__ROUTINE, 0, id);
    const Samhand__V1__AgencyDecision *d = s_decision (f, SAMHAND__V1__AGENCY__TRYGGEST);
    CHECK (d && d->nodes == 1 && !*d->warning,
           "after listen --kinds alert, a concern is still queued for tryggest (nodes: 1)");
    frame_free (&f);
    //  Waiting for it, a filtered listen neither shows nor consumes it.
    out = s_cli (h, "tryggest", "listen --kinds alert --json --timeout 2", &status);
    CHECK (status == 0 && out && !strstr (out, "\"kind\":\"concern_report\""),
           "a listen filtered to alerts does not show the waiting concern");
    free (out);
    hclient_t *team = hclient_new (h, "tryggest");
    Samhand__V1__Frame *sub = hclient_subscribe (team, 3000);
    frame_free (&sub);
    CHECK (s_gets (team, id, 3000), "a later plain listen gets the concern the filtered one left");
    hclient_destroy (&team);
    CHECK (!s_audited (h, "subscription_changed", NULL),
           "no subscription change is audited for a display filter");

    //  subscribe --kinds: explicit, audited, and the sender is told.
    out = s_cli (h, "tryggest", "subscribe --kinds alert", &status);
    CHECK (status == 0 && out && strstr (out, "alert") && strstr (out, "changed"),
           "samhand subscribe --kinds alert changes the subscription and says so");
    free (out);
    CHECK (s_audited (h, "subscription_changed", "new: alert"),
           "the change is audited as subscription_changed with old and new");
    f = s_concern (vakt, SAMHAND__V1__URGENCY__ROUTINE, 0, id);
    d = s_decision (f, SAMHAND__V1__AGENCY__TRYGGEST);
    CHECK (d && d->nodes == 0 && d->view != SAMHAND__V1__VIEW__WITHHELD
             && strstr (d->warning, "not delivered to tryggest"),
           "a decision nobody of the agency will get carries a plain warning");
    frame_free (&f);
    CHECK (s_audited (h, "no_recipient", "tryggest"), "the audit records the missing recipient");
    out = s_cli (h, "vakt", "concern --subject-name 'Kari Oppdiktet' --text 'Invented: trenger"
                 " hjelp' --urgency routine --to tryggest", &status);
    CHECK (status == 0 && out && strstr (out, "warning: not delivered to tryggest"),
           "the CLI prints the warning");
    free (out);
    out = s_cli (h, "tryggest", "subscribe --show --json", &status);
    CHECK (status == 0 && out && strstr (out, "\"kinds\":[\"alert\"]") && strstr (out, "\"changed\":false"),
           "subscribe --show shows the stored subscription and changes nothing");
    free (out);
    out = s_cli (h, "tryggest", "subscribe --reset", &status);
    CHECK (status == 0 && out && strstr (out, "concern_report"),
           "subscribe --reset goes back to the role's default");
    free (out);
    CHECK (s_audited (h, "subscription_changed", "reset"), "the reset is audited");
    f = s_concern (vakt, SAMHAND__V1__URGENCY__ROUTINE, 0, id);
    d = s_decision (f, SAMHAND__V1__AGENCY__TRYGGEST);
    CHECK (d && d->nodes == 1, "after the reset tryggest gets concerns again");
    frame_free (&f);
    hclient_destroy (&vakt);
    team = hclient_listener (h, "tryggest");      //  drain for the next tests
    hclient_destroy (&team);
}

//  2. A second connection of the same node: the older is told, and stops.
static void
test_session_replaced (harness_t *h)
{
    hclient_t *a = hclient_new (h, "tryggest");
    Samhand__V1__Frame *f = hclient_subscribe (a, 3000);
    frame_free (&f);
    hclient_t *b = hclient_new (h, "tryggest");
    f = hclient_subscribe (b, 3000);
    CHECK (f && f->subscribed->session, "the newer connection is the delivery session");
    frame_free (&f);
    f = hclient_expect (a, SAMHAND__V1__FRAME__COMMAND_ERROR, 3000);
    CHECK (f && f->error->code == SAMHAND__V1__ERROR_CODE__SESSION_REPLACED && f->request_id == 0,
           "the older connection gets Error SESSION_REPLACED");
    frame_free (&f);
    f = hclient_ping (a, 3000);
    CHECK (f && f->pong && !f->pong->delivery_session, "its Pong says it is not the session");
    frame_free (&f);
    f = hclient_ping (b, 3000);
    CHECK (f && f->pong && f->pong->delivery_session, "the newer one's Pong says it is");
    frame_free (&f);
    hclient_destroy (&a);
    hclient_destroy (&b);

    s_listen_bg (h, "tryggest", "--timeout 20");
    zclock_sleep (1500);
    hclient_t *c = hclient_new (h, "tryggest");
    f = hclient_subscribe (c, 3000);
    frame_free (&f);
    int rc = s_listen_rc (h, "tryggest", 5000);
    char *err = s_listen_err (h, "tryggest");
    CHECK (rc != 0 && rc != -1 && err && strstr (err, "another listen of this node"),
           "a running samhand listen that is replaced says so and exits non-zero");
    free (err);
    hclient_destroy (&c);
}

//  The session checks must not end a listen that only lived through a
//  broker restart: it waits, subscribes again and gets what comes.
static void
test_listen_survives_restart (harness_t *h)
{
    hclient_t *drain = hclient_listener (h, "politi-risk");     //  nothing old waits
    hclient_destroy (&drain);
    s_listen_bg (h, "politi-risk", "--json --count 1 --timeout 30");
    zclock_sleep (1500);
    CHECK (harness_stop (h, SIGTERM) == 0 && harness_start (h) == 0, "broker restarted");
    zclock_sleep (6000);         //  past listen's next session check
    hclient_t *vakt = hclient_new (h, "vakt");
    uint8_t id [16];
    Samhand__V1__Frame *f = s_concern (vakt, SAMHAND__V1__URGENCY__URGENT, 0, id);
    frame_free (&f);
    hclient_destroy (&vakt);
    char hex [33];
    for (int i = 0; i < 16; i++)
        snprintf (hex + 2 * i, 3, "%02x", id [i]);
    int rc = s_listen_rc (h, "politi-risk", 10000);
    char cmd [400];
    snprintf (cmd, sizeof cmd, "cat %s/politi-risk.out", h->dir);
    char *out = harness_run (cmd, NULL);
    CHECK (rc == 0 && out && strstr (out, hex),
           "a running listen lives through a broker restart and gets the next message");
    free (out);
}

//  3. Revoked, then enrolled again: the running listen does not hang.
static void
test_revoked_listener (harness_t *h)
{
    s_listen_bg (h, "krisesenter", "--timeout 20");
    zclock_sleep (1500);
    char from [400], to [400];
    snprintf (from, sizeof from, "%s/enrolled/krisesenter.cert", h->dir);
    snprintf (to, sizeof to, "%s/krisesenter.cert.revoked", h->dir);
    CHECK (rename (from, to) == 0, "the administrator revokes krisesenter");
    kill (h->pid, SIGHUP);
    zclock_sleep (1000);
    CHECK (rename (to, from) == 0, "and enrols it again");
    kill (h->pid, SIGHUP);
    int rc = s_listen_rc (h, "krisesenter", 8000);
    char *err = s_listen_err (h, "krisesenter");
    CHECK (rc != 0 && rc != -1 && err && strstr (err, "revoked"),
           "the running listen of a revoked node says so and exits non-zero");
    free (err);
    hclient_t *k = hclient_listener (h, "krisesenter");
    Samhand__V1__Frame *f = hclient_ping (k, 3000);
    CHECK (f && f->pong && f->pong->delivery_session, "enrolled again, it can listen again");
    frame_free (&f);
    hclient_destroy (&k);
}

//  5. An acute concern that expires unread: the escalation ends, says
//  so, and a late receipt is answered DELIVERY_EXPIRED.
static void
test_escalation_ends (harness_t *h)
{
    hclient_t *coord = hclient_listener (h, "koordinator");
    hclient_t *team = hclient_listener (h, "tryggest");
    hclient_t *police = hclient_listener (h, "politi-risk");
    hclient_t *vakt = hclient_new (h, "vakt");
    uint8_t id [16];
    Samhand__V1__Frame *f = s_concern (vakt, SAMHAND__V1__URGENCY__ACUTE, 3, id);
    CHECK (f && f->submit_result->accepted, "acute concern with a 3 s time to live accepted");
    frame_free (&f);
    f = hclient_expect (team, SAMHAND__V1__FRAME__COMMAND_DELIVER, 2000);
    if (f)
        hclient_receipt (team, f->deliver->delivery_id, SAMHAND__V1__RECEIPT_STATE__RECEIVED);
    frame_free (&f);
    //  The police node holds it without a receipt: its copy will expire.
    f = hclient_expect (police, SAMHAND__V1__FRAME__COMMAND_DELIVER, 2000);
    uint64_t police_delivery = f? f->deliver->delivery_id: 0;
    frame_free (&f);
    f = s_alert (coord, "escalation", 3000);
    CHECK (f != NULL, "unread, it escalates");
    frame_free (&f);
    f = s_alert (coord, "escalation_ended", 5000);
    CHECK (f && f->deliver->alert->acute && strstr (f->deliver->alert->text, "expired unread")
             && f->deliver->alert->message_id.len == 16
             && memcmp (f->deliver->alert->message_id.data, id, 16) == 0,
           "at expiry the coordinator is told: expired unread, escalation ended");
    frame_free (&f);
    f = s_alert (team, "escalation_ended", 2000);
    CHECK (f != NULL, "the recipient that got escalations is told too");
    frame_free (&f);
    hclient_drain (coord, 300);
    f = s_alert (coord, "escalation", 3000);
    CHECK (f == NULL, "no escalation after the message expired");
    frame_free (&f);
    //  A receipt for the expired copy: a clear answer, not UNKNOWN_DELIVERY.
    hclient_receipt (police, police_delivery, SAMHAND__V1__RECEIPT_STATE__READ);
    f = hclient_expect (police, SAMHAND__V1__FRAME__COMMAND_ERROR, 3000);
    CHECK (f && f->error->code == SAMHAND__V1__ERROR_CODE__DELIVERY_EXPIRED,
           "a READ receipt for an expired delivery answers DELIVERY_EXPIRED");
    frame_free (&f);
    hclient_receipt (police, 987654321, SAMHAND__V1__RECEIPT_STATE__READ);
    f = hclient_expect (police, SAMHAND__V1__FRAME__COMMAND_ERROR, 3000);
    CHECK (f && f->error->code == SAMHAND__V1__ERROR_CODE__UNKNOWN_DELIVERY,
           "a receipt for an unknown delivery still answers UNKNOWN_DELIVERY");
    frame_free (&f);
    hclient_destroy (&vakt);
    hclient_destroy (&police);
    hclient_destroy (&team);
    hclient_destroy (&coord);
}

//  4. Quotas: a flooding sender and an offline node do not stop an acute
//  concern, and the admin hears of the backlog.
static void
test_quotas (void)
{
    harness_t *h = harness_new ("limits\n    max_outbox = 6\n");
    CHECK (h && harness_start (h) == 0, "broker with max_outbox = 6 starts");
    if (!h)
        return;
    hclient_t *admin = hclient_listener (h, "admin");
    hclient_t *flooders [2] = { hclient_new (h, "koordinator"), hclient_new (h, "tryggest") };
    int accepted [2] = { 0, 0 }, full [2] = { 0, 0 };
    for (int who = 0; who < 2; who++)
        for (int i = 0; i < 5; i++) {
            Samhand__V1__Submit submit;
            Samhand__V1__CaseDiscussion d;
            uint8_t id [16];
            harness_discussion (&submit, &d, "Invented: hvordan følger vi opp en som ikke svarer?");
            submit.n_recipients = 1;
            Samhand__V1__Agency police = SAMHAND__V1__AGENCY__POLICE_RISK;
            submit.recipients = &police;
            harness_new_id (&submit, id);
            Samhand__V1__Frame *f = hclient_submit (flooders [who], &submit, 3000);
            accepted [who] += f && f->submit_result && f->submit_result->accepted;
            full [who] += s_code (f) == SAMHAND__V1__ERROR_CODE__OUTBOX_FULL;
            frame_free (&f);
        }
    CHECK (accepted [0] == 3 && full [0] == 2,
           "a flooding sender gets OUTBOX_FULL past its own share (3 of 6) at the offline node");
    CHECK (accepted [1] == 3, "another sender still has its own share");
    hclient_t *vakt = hclient_new (h, "vakt");
    uint8_t routine [16], acute [16];
    Samhand__V1__Frame *f = s_concern (vakt, SAMHAND__V1__URGENCY__ROUTINE, 0, routine);
    CHECK (s_code (f) == SAMHAND__V1__ERROR_CODE__OUTBOX_FULL,
           "with the node's outbox at its bound, a routine concern is refused");
    frame_free (&f);
    f = s_concern (vakt, SAMHAND__V1__URGENCY__ACUTE, 0, acute);
    const Samhand__V1__AgencyDecision *d = s_decision (f, SAMHAND__V1__AGENCY__POLICE_RISK);
    CHECK (f && f->submit_result->accepted && d && d->nodes == 1,
           "the duty phone's ACUTE concern is accepted through others' backlog");
    frame_free (&f);
    f = s_alert (admin, "backlog", 3000);
    CHECK (f && strstr (f->deliver->alert->text, "politi-risk"),
           "the admin gets a backlog alert naming the node");
    frame_free (&f);
    hclient_t *police = hclient_new (h, "politi-risk");
    f = hclient_subscribe (police, 3000);
    frame_free (&f);
    CHECK (s_gets (police, acute, 5000), "when police connects the acute concern is delivered");
    hclient_destroy (&police);
    hclient_destroy (&vakt);
    hclient_destroy (&flooders [0]);
    hclient_destroy (&flooders [1]);
    hclient_destroy (&admin);
    CHECK (harness_stop (h, SIGTERM) == 0, "quota broker stops cleanly");
    harness_destroy (&h);
}

//  A discussion from koordinator to the police; its id in ID.
static bool
s_discuss (hclient_t *c, uint8_t id [16])
{
    Samhand__V1__Submit submit;
    Samhand__V1__CaseDiscussion d;
    harness_discussion (&submit, &d, "Invented: hvordan følger vi opp en som ikke svarer?");
    submit.n_recipients = 1;
    Samhand__V1__Agency police = SAMHAND__V1__AGENCY__POLICE_RISK;
    submit.recipients = &police;
    harness_new_id (&submit, id);
    Samhand__V1__Frame *f = hclient_submit (c, &submit, 5000);
    bool accepted = f && f->submit_result && f->submit_result->accepted;
    frame_free (&f);
    return accepted;
}

//  A whole in-flight window of entries that become dead letters when the
//  node subscribes again (max_attempts used up: the node never sent a
//  receipt) must not leave the entries behind them waiting: the delivery
//  pump read a full window, sent none of it, and took "none sent" for
//  "nothing more to send" until the node's next traffic.
static void
test_window_of_dead_letters (void)
{
    harness_t *h = harness_new ("limits\n    inflight_window = 2\n    redeliver_after = 3600\n"
                                "workflow\n    max_attempts = 1\n");
    CHECK (h && harness_start (h) == 0, "broker with inflight_window = 2, max_attempts = 1 starts");
    if (!h)
        return;
    hclient_t *coord = hclient_new (h, "koordinator");
    hclient_t *police = hclient_new (h, "politi-risk");
    Samhand__V1__Frame *f = hclient_subscribe (police, 5000);
    frame_free (&f);
    uint8_t ids [4][16];
    bool accepted = s_discuss (coord, ids [0]) && s_discuss (coord, ids [1]);
    //  Both sent (attempt 1), never receipted: the window is full.
    int got = 0;
    while (got < 2 && (f = hclient_expect (police, SAMHAND__V1__FRAME__COMMAND_DELIVER, 5000))) {
        got++;
        frame_free (&f);
    }
    accepted = accepted && s_discuss (coord, ids [2]) && s_discuss (coord, ids [3]);
    CHECK (accepted && got == 2, "window: two discussions in flight, unreceipted, two more waiting");
    //  Subscribing again puts the two in flight back: with their one
    //  attempt used up they become dead letters at the next pump.
    f = hclient_subscribe (police, 5000);
    frame_free (&f);
    bool seen [2] = { false, false };
    int64_t deadline = zclock_mono () + 5000;
    while ((!seen [0] || !seen [1]) && zclock_mono () < deadline) {
        f = hclient_expect (police, SAMHAND__V1__FRAME__COMMAND_DELIVER, 200);
        for (int k = 0; f && k < 2; k++)
            seen [k] = seen [k] || memcmp (f->deliver->message_id.data, ids [2 + k], 16) == 0;
        if (f)
            hclient_receipt (police, f->deliver->delivery_id, SAMHAND__V1__RECEIPT_STATE__RECEIVED);
        frame_free (&f);
    }
    CHECK (harness_sql_int (h, "SELECT count(*) FROM outbox WHERE node = 'politi-risk'"
                               " AND state = 5") == 2,
           "window: the two never receipted are dead letters");
    CHECK (seen [0] && seen [1],
           "window: the two waiting behind them are delivered, without other traffic");
    hclient_destroy (&police);
    hclient_destroy (&coord);
    CHECK (harness_stop (h, SIGTERM) == 0, "window broker stops cleanly");
    harness_destroy (&h);
}

//  6. Fairness: one node pipelines worst-case discussions; another node's
//  pings are answered while the flood is still being worked through. The
//  bound is relative to the flood's own duration, so a loaded (or slow)
//  machine stretches both alike: served fairly, a ping waits about one
//  cycle (at most 128 KiB of the flooder's frames, a sixtieth of the
//  flood); served in arrival order, it waits behind a whole batch of up
//  to 512 of them, about half of it.
static void
test_fairness (harness_t *h)
{
    enum { FLOOD = 1000 };
    static char text [8193];
    size_t n = 0;
    while (n + 6 < 8192) {
        memcpy (text + n, "a.b@c ", 6);
        n += 6;
    }
    text [n] = 0;
    hclient_t *flooder = hclient_new (h, "koordinator");
    hclient_t *admin = hclient_new (h, "admin");
    Samhand__V1__Frame *f = hclient_ping (flooder, 10000);
    frame_free (&f);
    f = hclient_ping (admin, 10000);
    frame_free (&f);
    int64_t start = zclock_mono ();
    for (int i = 0; i < FLOOD; i++) {
        Samhand__V1__Submit submit;
        Samhand__V1__CaseDiscussion d;
        uint8_t id [16];
        harness_discussion (&submit, &d, text);
        d.question = text;
        harness_new_id (&submit, id);
        Samhand__V1__Frame frame = SAMHAND__V1__FRAME__INIT;
        frame.request_id = (uint64_t) i + 1;
        frame.command_case = SAMHAND__V1__FRAME__COMMAND_SUBMIT;
        frame.submit = &submit;
        hclient_send (flooder, &frame);
    }
    int64_t worst = 0, samples [256], flood_ms = 0;
    int count = 0;
    //  Until the flood has been answered (bounded: 3 minutes).
    while (!flood_ms && count < 256 && zclock_mono () - start < 180000) {
        int64_t t = zclock_usecs ();
        f = hclient_ping (admin, 60000);
        int64_t ms = (zclock_usecs () - t) / 1000;
        if (!f)
            ms = 60000;
        frame_free (&f);
        samples [count++] = ms;
        worst = ms > worst? ms: worst;
        zclock_sleep (20);
        while ((f = hclient_recv (flooder, 0))) {
            if (f->command_case == SAMHAND__V1__FRAME__COMMAND_SUBMIT_RESULT
            &&  f->request_id == FLOOD)
                flood_ms = zclock_mono () - start;
            frame_free (&f);
        }
    }
    //  Sort for the median.
    for (int i = 1; i < count; i++)
        for (int k = i; k > 0 && samples [k - 1] > samples [k]; k--) {
            int64_t x = samples [k];
            samples [k] = samples [k - 1];
            samples [k - 1] = x;
        }
    int64_t median = count? samples [count / 2]: 99999;
    printf ("# fairness: %d pings during a flood of %d worst-case discussions answered in %"
            PRId64 " ms: median %" PRId64 " ms, worst %" PRId64 " ms\n", count, FLOOD, flood_ms,
            median, worst);
    CHECK (flood_ms > 0, "the flood of worst-case discussions is answered");
    CHECK (count >= 3 && median * 8 < flood_ms,
           "another node's pings are answered all through the flood (median under an eighth"
           " of its duration), not after it");
    hclient_destroy (&admin);
    hclient_destroy (&flooder);
}

int
main (int argc, char *argv [])
{
    zsys_init ();
    zsys_set_linger (0);
    //  "itest_silent window": only the dead-letter window test.
    if (argc > 1 && streq (argv [1], "window")) {
        test_window_of_dead_letters ();
        return TEST_DONE ();
    }
    harness_t *h = harness_new (CONFIG);
    CHECK (h && harness_start (h) == 0, "samhandd starts");
    if (!h)
        return 1;
    test_display_filter (h);
    test_session_replaced (h);
    test_revoked_listener (h);
    test_listen_survives_restart (h);
    test_escalation_ends (h);
    test_fairness (h);
    CHECK (harness_stop (h, SIGTERM) == 0, "clean stop");
    harness_destroy (&h);
    test_quotas ();
    test_window_of_dead_letters ();
    return TEST_DONE ();
}
