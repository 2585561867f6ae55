/*  itest_spine — the broker's spine end to end: authentication, identity,
    validation, durability, idempotency, redelivery, flow control.
    Real samhandd, real CURVE certificates, real sqlite file, loopback.
    Every person here is invented.                                        */
#include "harness.h"
#include "testlib.h"
#include <signal.h>

static bool
s_accepted (Samhand__V1__Frame *f)
{
    return f && f->command_case == SAMHAND__V1__FRAME__COMMAND_SUBMIT_RESULT
             && f->submit_result->accepted;
}

static int
s_error_code (Samhand__V1__Frame *f)
{
    if (!f)
        return -1;
    if (f->command_case == SAMHAND__V1__FRAME__COMMAND_ERROR)
        return f->error->code;
    if (f->command_case == SAMHAND__V1__FRAME__COMMAND_SUBMIT_RESULT && f->submit_result->error)
        return f->submit_result->error->code;
    return 0;
}

static char *
s_file (const char *path)
{
    char cmd [600];
    snprintf (cmd, sizeof cmd, "cat '%s'", path);
    return harness_run (cmd, NULL);
}

static void
test_authentication (harness_t *h)
{
    hclient_t *intruder = hclient_new (h, "inntrenger");
    Samhand__V1__Frame *pong = hclient_ping (intruder, 1500);
    CHECK (pong == NULL, "an unenrolled certificate gets no answer");
    frame_free (&pong);
    hclient_destroy (&intruder);
    char path [400];
    snprintf (path, sizeof path, "%s/samhandd.log", h->dir);
    char *log = s_file (path);
    CHECK (log && strstr (log, "refused at the handshake"),
           "the refused handshake is logged as a warning");
    free (log);

    hclient_t *vakt = hclient_new (h, "vakt");
    pong = hclient_ping (vakt, 2000);
    CHECK (pong && streq (pong->pong->node, "vakt") && pong->pong->agency == 1,
           "an enrolled node is known by its certificate (name and agency)");
    frame_free (&pong);
    hclient_destroy (&vakt);
}

//  The sender is the CURVE key, whatever the client writes: a ROUTING_ID
//  and an extra protobuf field both claiming "koordinator" change nothing.
static void
test_no_impersonation (harness_t *h)
{
    hclient_t *listener = hclient_new (h, "koordinator");
    Samhand__V1__Frame *sub = hclient_subscribe (listener, 2000);
    CHECK (sub != NULL, "koordinator subscribes");
    frame_free (&sub);

    hclient_t *vakt = hclient_new (h, "vakt");
    zsock_destroy (&vakt->sock);
    vakt->sock = zsock_new (ZMQ_DEALER);
    char path [512];
    snprintf (path, sizeof path, "%s/nodes/vakt.cert", h->dir);
    zcert_t *cert = zcert_load (path);
    zcert_apply (cert, vakt->sock);
    zcert_destroy (&cert);
    zsock_set_curve_serverkey (vakt->sock, h->server_public);
    zmq_setsockopt (zsock_resolve (vakt->sock), ZMQ_ROUTING_ID, "koordinator", 11);
    zsock_connect (vakt->sock, "%s", h->endpoint);

    Samhand__V1__Submit submit;
    Samhand__V1__ConcernReport concern;
    Samhand__V1__Subject subject;
    uint8_t id [16];
    harness_concern (&submit, &concern, &subject, "Invented: bruiser synlige i ansiktet.");
    harness_new_id (&submit, id);
    Samhand__V1__Frame frame = SAMHAND__V1__FRAME__INIT;
    frame.version = 1;
    frame.command_case = SAMHAND__V1__FRAME__COMMAND_SUBMIT;
    frame.submit = &submit;
    size_t size = samhand__v1__frame__get_packed_size (&frame);
    uint8_t *buf = (uint8_t *) malloc (size + 32);
    samhand__v1__frame__pack (&frame, buf);
    //  field 99, wire type 2 (length-delimited): "koordinator"
    buf [size++] = (uint8_t) ((99 << 3) | 2) | 0x80;
    buf [size++] = (uint8_t) (((99 << 3) | 2) >> 7);
    buf [size++] = 11;
    memcpy (buf + size, "koordinator", 11);
    size += 11;
    hclient_send_raw (vakt, buf, size);
    free (buf);
    Samhand__V1__Frame *result = hclient_expect (vakt, SAMHAND__V1__FRAME__COMMAND_SUBMIT_RESULT, 3000);
    CHECK (s_accepted (result), "a submit with a forged sender field is accepted as vakt's own");
    frame_free (&result);
    Samhand__V1__Frame *got = hclient_expect (listener, SAMHAND__V1__FRAME__COMMAND_DELIVER, 3000);
    CHECK (got && streq (got->deliver->sender_node, "vakt")
               && got->deliver->sender_agency == SAMHAND__V1__AGENCY__RESOURCE_CENTRE,
           "the delivery names the authenticated sender, not the claimed one");
    if (got)
        hclient_receipt (listener, got->deliver->delivery_id, 1);
    frame_free (&got);
    hclient_destroy (&vakt);
    hclient_destroy (&listener);
}

static void
test_validation (harness_t *h)
{
    hclient_t *c = hclient_new (h, "vakt");
    hclient_send_raw (c, "\xff\xff\xff garbage", 12);
    Samhand__V1__Frame *f = hclient_expect (c, SAMHAND__V1__FRAME__COMMAND_ERROR, 2000);
    CHECK (s_error_code (f) == SAMHAND__V1__ERROR_CODE__MALFORMED, "garbage gets Error MALFORMED");
    frame_free (&f);

    size_t big = 70 * 1024;
    uint8_t *blob = (uint8_t *) calloc (1, big);
    hclient_send_raw (c, blob, big);
    free (blob);
    f = hclient_expect (c, SAMHAND__V1__FRAME__COMMAND_ERROR, 2000);
    CHECK (s_error_code (f) == SAMHAND__V1__ERROR_CODE__TOO_LARGE, "a 70 KiB frame gets Error TOO_LARGE");
    frame_free (&f);

    Samhand__V1__Frame frame = SAMHAND__V1__FRAME__INIT;
    Samhand__V1__Ping ping = SAMHAND__V1__PING__INIT;
    frame.version = 7;
    frame.command_case = SAMHAND__V1__FRAME__COMMAND_PING;
    frame.ping = &ping;
    hclient_send (c, &frame);
    f = hclient_expect (c, SAMHAND__V1__FRAME__COMMAND_ERROR, 2000);
    CHECK (s_error_code (f) == SAMHAND__V1__ERROR_CODE__UNSUPPORTED_VERSION,
           "version 7 gets Error UNSUPPORTED_VERSION");
    frame_free (&f);

    Samhand__V1__Submit submit;
    Samhand__V1__ConcernReport concern;
    Samhand__V1__Subject subject;
    uint8_t id [16];
    harness_concern (&submit, &concern, &subject, "Invented text.");
    harness_new_id (&submit, id);
    concern.urgency = (Samhand__V1__Urgency) 99;
    frame = (Samhand__V1__Frame) SAMHAND__V1__FRAME__INIT;
    frame.command_case = SAMHAND__V1__FRAME__COMMAND_SUBMIT;
    frame.submit = &submit;
    hclient_send (c, &frame);
    f = hclient_expect (c, SAMHAND__V1__FRAME__COMMAND_ERROR, 2000);
    CHECK (s_error_code (f) == SAMHAND__V1__ERROR_CODE__INVALID_FIELD,
           "an urgency out of range gets Error INVALID_FIELD");
    frame_free (&f);

    concern.urgency = SAMHAND__V1__URGENCY__URGENT;
    submit.message_id.len = 5;
    hclient_send (c, &frame);
    f = hclient_expect (c, SAMHAND__V1__FRAME__COMMAND_ERROR, 2000);
    CHECK (s_error_code (f) == SAMHAND__V1__ERROR_CODE__INVALID_FIELD,
           "a 5-byte message id gets Error INVALID_FIELD");
    frame_free (&f);

    submit.message_id.len = 16;
    concern.text = "";
    hclient_send (c, &frame);
    f = hclient_expect (c, SAMHAND__V1__FRAME__COMMAND_ERROR, 2000);
    CHECK (s_error_code (f) == SAMHAND__V1__ERROR_CODE__MISSING_FIELD,
           "a concern without text gets Error MISSING_FIELD");
    frame_free (&f);

    char bad_utf8 [] = "Invented \xc3\x28 text";
    concern.text = bad_utf8;
    hclient_send (c, &frame);
    f = hclient_expect (c, SAMHAND__V1__FRAME__COMMAND_ERROR, 2000);
    CHECK (s_error_code (f) == SAMHAND__V1__ERROR_CODE__INVALID_FIELD,
           "invalid UTF-8 gets Error INVALID_FIELD");
    frame_free (&f);

    Samhand__V1__Frame deliver_frame = SAMHAND__V1__FRAME__INIT;
    Samhand__V1__Deliver deliver = SAMHAND__V1__DELIVER__INIT;
    deliver_frame.command_case = SAMHAND__V1__FRAME__COMMAND_DELIVER;
    deliver_frame.deliver = &deliver;
    hclient_send (c, &deliver_frame);
    f = hclient_expect (c, SAMHAND__V1__FRAME__COMMAND_ERROR, 2000);
    CHECK (s_error_code (f) == SAMHAND__V1__ERROR_CODE__UNEXPECTED_COMMAND,
           "a Deliver sent to the broker gets Error UNEXPECTED_COMMAND");
    frame_free (&f);

    f = hclient_ping (c, 2000);
    CHECK (f != NULL, "the broker keeps serving the same connection after bad input");
    frame_free (&f);
    hclient_destroy (&c);
}

static void
test_roles (harness_t *h)
{
    hclient_t *c = hclient_new (h, "vakt");
    Samhand__V1__Submit submit = SAMHAND__V1__SUBMIT__INIT;
    Samhand__V1__RiskChange risk = SAMHAND__V1__RISK_CHANGE__INIT;
    Samhand__V1__Subject subject = SAMHAND__V1__SUBJECT__INIT;
    uint8_t id [16];
    subject.national_id = "01019012057";
    risk.subject = &subject;
    risk.level = SAMHAND__V1__RISK_LEVEL__HIGH;
    submit.body_case = SAMHAND__V1__SUBMIT__BODY_RISK_CHANGE;
    submit.risk_change = &risk;
    harness_new_id (&submit, id);
    Samhand__V1__Frame *f = hclient_submit (c, &submit, 3000);
    CHECK (f && !f->submit_result->accepted
             && s_error_code (f) == SAMHAND__V1__ERROR_CODE__NOT_PERMITTED,
           "a duty operator may not send a risk change (NOT_PERMITTED)");
    frame_free (&f);
    hclient_destroy (&c);
}

//  Counts deliveries of one message id arriving within timeout.
static int
s_count_deliveries (hclient_t *c, const uint8_t id [16], int timeout, bool receipt)
{
    int count = 0;
    int64_t deadline = zclock_mono () + timeout;
    while (zclock_mono () < deadline) {
        Samhand__V1__Frame *f = hclient_expect (c, SAMHAND__V1__FRAME__COMMAND_DELIVER,
                                                (int) (deadline - zclock_mono ()));
        if (!f)
            break;
        if (f->deliver->message_id.len == 16 && memcmp (f->deliver->message_id.data, id, 16) == 0)
            count++;
        if (receipt)
            hclient_receipt (c, f->deliver->delivery_id, 1);
        frame_free (&f);
    }
    return count;
}

static void
test_durable_and_offline (harness_t *h)
{
    hclient_t *vakt = hclient_new (h, "vakt");
    Samhand__V1__Submit submit;
    Samhand__V1__ConcernReport concern;
    Samhand__V1__Subject subject;
    uint8_t id [16];
    harness_concern (&submit, &concern, &subject, "Invented: ringte fra en bensinstasjon, redd.");
    harness_new_id (&submit, id);
    Samhand__V1__Frame *f = hclient_submit (vakt, &submit, 3000);
    CHECK (s_accepted (f), "concern accepted while tryggest is offline");
    frame_free (&f);
    hclient_destroy (&vakt);
    //  Kill -9 right after the SubmitResult: the ack promised it is on disk.
    CHECK (harness_stop (h, SIGKILL) == 128 + SIGKILL, "broker killed with SIGKILL");
    CHECK (harness_start (h) == 0, "broker restarts on the same store");
    hclient_t *tryggest = hclient_new (h, "tryggest");
    Samhand__V1__Frame *sub = hclient_subscribe (tryggest, 3000);
    CHECK (sub && sub->subscribed->pending >= 1, "tryggest sees mail waiting when it connects");
    frame_free (&sub);
    //  Earlier tests left other mail waiting: find ours among it.
    f = NULL;
    for (int i = 0; i < 10; i++) {
        f = hclient_expect (tryggest, SAMHAND__V1__FRAME__COMMAND_DELIVER, 3000);
        if (!f || memcmp (f->deliver->message_id.data, id, 16) == 0)
            break;
        hclient_receipt (tryggest, f->deliver->delivery_id, 1);
        frame_free (&f);
    }
    bool ok = f != NULL;
    CHECK (ok, "the acknowledged concern survives kill -9 and reaches the offline node");
    CHECK (f && f->deliver->view == SAMHAND__V1__VIEW__PSEUDONYMISED
             && f->deliver->concern && f->deliver->concern->subject == NULL
             && *f->deliver->concern->case_ref,
           "tryggest gets it pseudonymised: no subject, a case reference");
    if (f)
        hclient_receipt (tryggest, f->deliver->delivery_id, 1);
    frame_free (&f);
    hclient_destroy (&tryggest);
}

static void
test_duplicate (harness_t *h)
{
    hclient_t *listener = hclient_new (h, "politi-risk");
    Samhand__V1__Frame *sub = hclient_subscribe (listener, 3000);
    frame_free (&sub);
    s_count_deliveries (listener, (const uint8_t *) "----------------", 500, true);
    hclient_t *vakt = hclient_new (h, "vakt");
    Samhand__V1__Submit submit;
    Samhand__V1__ConcernReport concern;
    Samhand__V1__Subject subject;
    uint8_t id [16];
    harness_concern (&submit, &concern, &subject, "Invented: dobbel innsending.");
    harness_new_id (&submit, id);
    Samhand__V1__Frame *a = hclient_submit (vakt, &submit, 3000);
    Samhand__V1__Frame *b = hclient_submit (vakt, &submit, 3000);
    CHECK (s_accepted (a) && !a->submit_result->duplicate, "first submit accepted");
    CHECK (s_accepted (b) && b->submit_result->duplicate, "retry with the same id says duplicate");
    CHECK (a && b && a->submit_result->n_decisions == b->submit_result->n_decisions,
           "the retry returns the same decisions");
    frame_free (&a);
    frame_free (&b);
    CHECK (s_count_deliveries (listener, id, 1500, true) == 1, "a duplicate submit is delivered once");
    hclient_destroy (&vakt);
    hclient_destroy (&listener);
}

static void
test_redelivery (harness_t *h)
{
    hclient_t *first = hclient_new (h, "krisesenter");
    Samhand__V1__Frame *sub = hclient_subscribe (first, 3000);
    frame_free (&sub);
    s_count_deliveries (first, (const uint8_t *) "----------------", 500, true);
    hclient_t *c = hclient_new (h, "koordinator");
    Samhand__V1__Submit submit;
    Samhand__V1__CaseDiscussion d;
    uint8_t id [16];
    harness_discussion (&submit, &d, "Invented: hvordan møter vi en kvinne som ruser seg og er redd?");
    harness_new_id (&submit, id);
    Samhand__V1__Frame *f = hclient_submit (c, &submit, 3000);
    CHECK (s_accepted (f), "anonymised discussion accepted");
    frame_free (&f);
    f = hclient_expect (first, SAMHAND__V1__FRAME__COMMAND_DELIVER, 3000);
    uint64_t delivery = f? f->deliver->delivery_id: 0;
    CHECK (f && f->deliver->attempt == 1 && f->deliver->view == SAMHAND__V1__VIEW__ANONYMISED,
           "first delivery, anonymised, attempt 1");
    frame_free (&f);
    //  No receipt: the node goes away and comes back.
    hclient_destroy (&first);
    hclient_t *second = hclient_new (h, "krisesenter");
    sub = hclient_subscribe (second, 3000);
    frame_free (&sub);
    f = hclient_expect (second, SAMHAND__V1__FRAME__COMMAND_DELIVER, 3000);
    CHECK (f && f->deliver->delivery_id == delivery && f->deliver->attempt == 2,
           "unreceipted delivery is sent again after reconnect (same id, attempt 2)");
    frame_free (&f);
    //  Still no receipt: the timeout (2 s in this config) sends it again.
    f = hclient_expect (second, SAMHAND__V1__FRAME__COMMAND_DELIVER, 5000);
    CHECK (f && f->deliver->delivery_id == delivery && f->deliver->attempt == 3,
           "unreceipted delivery is sent again after the redelivery timeout");
    if (f)
        hclient_receipt (second, f->deliver->delivery_id, 1);
    frame_free (&f);
    f = hclient_expect (second, SAMHAND__V1__FRAME__COMMAND_DELIVER, 3000);
    CHECK (f == NULL, "after the receipt it is not sent again");
    frame_free (&f);
    hclient_destroy (&second);
    hclient_destroy (&c);
}

//  A node that never sends receipts holds a window of 4; the broker keeps
//  everything else stored and keeps serving others; all of it arrives, in
//  order, once the node catches up.
static void
test_slow_node (harness_t *h)
{
    hclient_t *slow = hclient_new (h, "tryggest");
    Samhand__V1__Frame *sub = hclient_subscribe (slow, 3000);
    frame_free (&sub);
    s_count_deliveries (slow, (const uint8_t *) "----------------", 500, true);
    hclient_t *c = hclient_new (h, "koordinator");
    int total = 40, accepted = 0;
    for (int i = 0; i < total; i++) {
        Samhand__V1__Submit submit;
        Samhand__V1__CaseDiscussion d;
        uint8_t id [16];
        char text [80];
        snprintf (text, sizeof text, "Invented discussion number %d about routines.", i);
        harness_discussion (&submit, &d, text);
        harness_new_id (&submit, id);
        Samhand__V1__Frame *f = hclient_submit (c, &submit, 3000);
        accepted += s_accepted (f);
        frame_free (&f);
    }
    CHECK (accepted == total, "40 discussions accepted while tryggest is slow");
    int got = 0;
    Samhand__V1__Frame *f;
    uint64_t ids [64];
    while ((f = hclient_expect (slow, SAMHAND__V1__FRAME__COMMAND_DELIVER, 700)) && got < 64) {
        ids [got++] = f->deliver->delivery_id;
        frame_free (&f);
    }
    CHECK (got == 4, "without receipts the node holds exactly its window of 4");
    Samhand__V1__Frame *pong = hclient_ping (c, 2000);
    CHECK (pong != NULL, "other nodes are served while one node is slow");
    frame_free (&pong);
    //  Catch up slowly, one receipt at a time.
    for (int i = 0; i < got; i++)
        hclient_receipt (slow, ids [i], 1);
    int received = got;
    uint64_t last = ids [got - 1];
    bool ordered = true;
    while ((f = hclient_expect (slow, SAMHAND__V1__FRAME__COMMAND_DELIVER, 2000))) {
        ordered = ordered && f->deliver->delivery_id > last;
        last = f->deliver->delivery_id;
        hclient_receipt (slow, f->deliver->delivery_id, 1);
        received++;
        frame_free (&f);
    }
    CHECK (received == total, "every message reaches the slow node: nothing dropped");
    CHECK (ordered, "deliveries arrive in order");
    hclient_destroy (&c);
    hclient_destroy (&slow);
}

//  Removing a certificate from the enrolled folder revokes the node, also
//  on a connection that is already open.
static void
test_revocation (harness_t *h)
{
    hclient_t *team = hclient_new (h, "tryggest");
    Samhand__V1__Frame *f = hclient_ping (team, 2000);
    CHECK (f != NULL, "tryggest is connected and known");
    frame_free (&f);
    char path [400];
    snprintf (path, sizeof path, "%s/enrolled/tryggest.cert", h->dir);
    CHECK (unlink (path) == 0, "the administrator removes tryggest's enrolled certificate");
    zclock_sleep (5500);
    Samhand__V1__Frame ping = SAMHAND__V1__FRAME__INIT;
    Samhand__V1__Ping p = SAMHAND__V1__PING__INIT;
    ping.command_case = SAMHAND__V1__FRAME__COMMAND_PING;
    ping.ping = &p;
    hclient_send (team, &ping);
    f = hclient_recv (team, 2000);
    CHECK (f && f->command_case == SAMHAND__V1__FRAME__COMMAND_ERROR
             && f->error->code == SAMHAND__V1__ERROR_CODE__NOT_PERMITTED,
           "the open connection of a revoked node is refused");
    frame_free (&f);
    hclient_destroy (&team);
    hclient_t *again = hclient_new (h, "tryggest");
    f = hclient_ping (again, 1500);
    CHECK (f == NULL, "a revoked node cannot connect again");
    frame_free (&f);
    hclient_destroy (&again);
}

static void
test_outbox_full (void)
{
    //  One sender may fill half of a node's outbox (its share): 3 of 6.
    harness_t *h = harness_new ("limits\n    max_outbox = 6\n");
    CHECK (h && harness_start (h) == 0, "broker with max_outbox = 6 starts");
    if (!h)
        return;
    hclient_t *c = hclient_new (h, "koordinator");
    int accepted = 0, full = 0;
    for (int i = 0; i < 5; i++) {
        Samhand__V1__Submit submit;
        Samhand__V1__CaseDiscussion d;
        uint8_t id [16];
        harness_discussion (&submit, &d, "Invented routine question about follow-up.");
        harness_new_id (&submit, id);
        Samhand__V1__Frame *f = hclient_submit (c, &submit, 3000);
        accepted += s_accepted (f);
        full += s_error_code (f) == SAMHAND__V1__ERROR_CODE__OUTBOX_FULL;
        frame_free (&f);
    }
    CHECK (accepted == 3 && full == 2, "past its share of the outbox bound the sender gets OUTBOX_FULL, not a silent drop");
    hclient_destroy (&c);
    CHECK (harness_stop (h, SIGTERM) == 0, "SIGTERM stops the broker with exit 0");
    char cmd [400];
    snprintf (cmd, sizeof cmd, "%s/samhandd --verify-audit -c %s", harness_build (), h->config);
    int status = -1;
    char *out = harness_run (cmd, &status);
    CHECK (status == 0 && out && strstr (out, "intact"), "the audit chain verifies after a clean stop");
    free (out);
    harness_destroy (&h);
}

static void
test_check_config (void)
{
    harness_t *h = harness_new ("limits\n    max_frame = tiny\n");
    char cmd [400];
    snprintf (cmd, sizeof cmd, "%s/samhandd --check-config -c %s 2>&1", harness_build (), h->config);
    int status = 0;
    char *out = harness_run (cmd, &status);
    CHECK (status != 0 && out && strstr (out, "max_frame"), "--check-config names a bad value");
    free (out);
    harness_destroy (&h);
    h = harness_new (NULL);
    //  A subfolder of the enrolled folder (old certificates kept there):
    //  not read by the broker, and --check-config says so.
    char old [1000];
    snprintf (old, sizeof old, "mkdir '%s/enrolled/old' && cp '%s/enrolled/vakt.cert'"
              " '%s/enrolled/old/vakt-2025.cert'", h->dir, h->dir, h->dir);
    int made = system (old);
    snprintf (cmd, sizeof cmd, "%s/samhandd --check-config -c %s 2>&1", harness_build (), h->config);
    out = harness_run (cmd, &status);
    CHECK (status == 0, "--check-config accepts a good config");
    CHECK (made == 0 && out && strstr (out, "skipped  old/: a subfolder; certificates in it are not enrolled"),
           "--check-config says a subfolder of the enrolled folder is not read");
    free (out);
    harness_destroy (&h);
}

//  A node holding more deliveries than an InboxQuery lists is shown the
//  newest of them (oldest first): it was shown the oldest, so past 200
//  (--all, or the web client's inbox) nothing new was ever listed again.
static void
test_inbox_newest (harness_t *h)
{
    hclient_t *vakt = hclient_new (h, "vakt");
    hclient_t *team = hclient_new (h, "tryggest");
    uint8_t ids [5][16];
    bool stored = vakt && team;
    for (int i = 0; i < 5 && stored; i++) {
        Samhand__V1__Submit submit;
        Samhand__V1__ConcernReport concern;
        Samhand__V1__Subject subject;
        harness_concern (&submit, &concern, &subject, "Oppdiktet: innboks i rekkefølge");
        harness_new_id (&submit, ids [i]);
        Samhand__V1__Frame *f = hclient_submit (vakt, &submit, 3000);
        stored = s_accepted (f);
        frame_free (&f);
    }
    CHECK (stored, "inbox: five concerns to TryggEst are stored");
    Samhand__V1__Frame q = SAMHAND__V1__FRAME__INIT;
    Samhand__V1__InboxQuery iq = SAMHAND__V1__INBOX_QUERY__INIT;
    iq.include_read = true;
    iq.limit = 3;
    q.command_case = SAMHAND__V1__FRAME__COMMAND_INBOX_QUERY;
    q.inbox_query = &iq;
    Samhand__V1__Frame *f = NULL;
    if (team && hclient_send (team, &q) == 0)
        f = hclient_expect (team, SAMHAND__V1__FRAME__COMMAND_INBOX_REPLY, 3000);
    int position [5] = { -1, -1, -1, -1, -1 };
    bool ascending = true;
    for (size_t i = 0; f && i < f->inbox_reply->n_items; i++) {
        const Samhand__V1__Deliver *d = f->inbox_reply->items [i];
        for (int k = 0; k < 5; k++)
            if (d->message_id.len == 16 && memcmp (d->message_id.data, ids [k], 16) == 0)
                position [k] = (int) i;
        if (i && d->delivery_id < f->inbox_reply->items [i - 1]->delivery_id)
            ascending = false;
    }
    CHECK (f && f->inbox_reply->n_items == 3 && position [4] == 2 && position [3] == 1
           && position [2] == 0 && position [0] < 0 && ascending,
           "inbox: a node holding more than the limit is shown the newest, oldest first");
    frame_free (&f);
    hclient_destroy (&team);
    hclient_destroy (&vakt);
}

//  More subscribed nodes than 256: each gets its copy. A fixed array of
//  256 targets dropped the rest without a word (2,000 nodes is a size
//  the broker is measured at).
static void
test_many_nodes (harness_t *h)
{
    bool made = true;
    for (int i = 0; i < 260 && made; i++) {
        zcert_t *cert = zcert_new ();
        char name [16], path [600];
        snprintf (name, sizeof name, "te-%03d", i);
        zcert_set_meta (cert, "name", "%s", name);
        zcert_set_meta (cert, "agency", "tryggest");
        zcert_set_meta (cert, "role", "team");
        snprintf (path, sizeof path, "%s/enrolled/%s.cert", h->dir, name);
        made = zcert_save_public (cert, path) == 0;
        if (made && i == 259) {
            //  The last one can connect: it will read what it gets.
            snprintf (path, sizeof path, "%s/nodes/%s.cert", h->dir, name);
            made = zcert_save (cert, path) == 0;
        }
        zcert_destroy (&cert);
    }
    CHECK (made, "many nodes: 260 more TryggEst nodes enrolled");
    //  A new connection's handshake makes the broker read the folder.
    hclient_t *vakt = hclient_new (h, "vakt");
    Samhand__V1__Frame *f = NULL;
    uint8_t id [16];
    for (int attempt = 0; vakt && attempt < 50; attempt++) {
        Samhand__V1__Submit submit;
        Samhand__V1__ConcernReport concern;
        Samhand__V1__Subject subject;
        harness_concern (&submit, &concern, &subject, "Oppdiktet: til mange noder");
        harness_new_id (&submit, id);
        frame_free (&f);
        f = hclient_submit (vakt, &submit, 5000);
        uint32_t nodes = 0;
        for (size_t i = 0; s_accepted (f) && i < f->submit_result->n_decisions; i++)
            if (f->submit_result->decisions [i]->agency == SAMHAND__V1__AGENCY__TRYGGEST)
                nodes = f->submit_result->decisions [i]->nodes;
        if (nodes > 1)
            break;              //  the folder was read
        zclock_sleep (100);
    }
    uint32_t nodes = 0;
    for (size_t i = 0; s_accepted (f) && i < f->submit_result->n_decisions; i++)
        if (f->submit_result->decisions [i]->agency == SAMHAND__V1__AGENCY__TRYGGEST)
            nodes = f->submit_result->decisions [i]->nodes;
    CHECK (nodes >= 260, "many nodes: a concern is queued for each of the 260 new TryggEst nodes");
    if (nodes < 260)
        printf ("  queued for %u TryggEst nodes\n", nodes);
    //  The last node reads it: the sender's status says read, though its
    //  copy is past the 256 the report lists.
    hclient_t *last = hclient_new (h, "te-259");
    Samhand__V1__Frame *sub = last? hclient_subscribe (last, 5000): NULL;
    frame_free (&sub);
    Samhand__V1__Frame *d = last? hclient_expect (last, SAMHAND__V1__FRAME__COMMAND_DELIVER, 5000): NULL;
    bool read = d && d->deliver->message_id.len == 16 && memcmp (d->deliver->message_id.data, id, 16) == 0
             && hclient_receipt (last, d->deliver->delivery_id, SAMHAND__V1__RECEIPT_STATE__READ) == 0;
    frame_free (&d);
    CHECK (read, "many nodes: the 260th new node gets its copy and reads it");
    Samhand__V1__Frame q = SAMHAND__V1__FRAME__INIT;
    Samhand__V1__StatusQuery sq = SAMHAND__V1__STATUS_QUERY__INIT;
    sq.message_id.data = id;
    sq.message_id.len = 16;
    q.command_case = SAMHAND__V1__FRAME__COMMAND_STATUS_QUERY;
    q.status_query = &sq;
    Samhand__V1__Frame *st = NULL;
    for (int attempt = 0; read && attempt < 30; attempt++) {
        frame_free (&st);
        if (hclient_send (vakt, &q) == 0)
            st = hclient_expect (vakt, SAMHAND__V1__FRAME__COMMAND_STATUS_REPORT, 3000);
        if (st && streq (st->status_report->state, "read"))
            break;
        zclock_sleep (100);
    }
    CHECK (st && streq (st->status_report->state, "read") && st->status_report->n_nodes == 256,
           "many nodes: the sender's status says read (256 copies listed)");
    if (st && !streq (st->status_report->state, "read"))
        printf ("  status: %s, %zu nodes listed\n", st->status_report->state,
                st->status_report->n_nodes);
    frame_free (&st);
    hclient_destroy (&last);
    frame_free (&f);
    hclient_destroy (&vakt);
}

int
main (void)
{
    zsys_init ();
    zsys_set_linger (0);
    harness_t *h = harness_new ("limits\n    inflight_window = 4\n    redeliver_after = 2\n");
    CHECK (h != NULL, "test installation created");
    if (!h)
        return 1;
    CHECK (harness_start (h) == 0, "samhandd starts and answers");
    test_authentication (h);
    test_no_impersonation (h);
    test_validation (h);
    test_roles (h);
    test_durable_and_offline (h);
    test_duplicate (h);
    test_redelivery (h);
    test_slow_node (h);
    test_inbox_newest (h);
    test_revocation (h);
    test_many_nodes (h);
    CHECK (harness_stop (h, SIGTERM) == 0, "SIGTERM: broker exits 0");
    harness_destroy (&h);
    test_outbox_full ();
    test_check_config ();
    return TEST_DONE ();
}
