/*  itest_fault — proven by fault injection, as SQLite proves itself. The
    test broker build/samhandd-fault (tests/fault/testhooks.c: a failing
    sqlite VFS and an injectable clock) runs a realistic step again and
    again — a consent grant, an acute concern to every agency, deliveries
    and receipts, then the clock moved on so escalation, expiry, retention
    purge and audit signing all run — while the Nth write, sync or lock of
    the step fails with SQLITE_IOERR or SQLITE_FULL, N walked over the step.
    After every injected failure: no acknowledgement without a commit
    (every acked message is in the store and reaches its recipients, every
    acked grant is one consent), nothing half done, the audit chain
    verifies, and the broker serves again. A full disk gives the sender
    STORE_FULL and the log says so. The same walk then fails the Nth read
    (SQLITE_IOERR_READ); a read error on the timers due or the messages
    due for purge is an error (logged, batch failed, done at the next
    look), never "nothing due"; out of memory in a consent list is
    answered INTERNAL, never silence; out of memory in the consent check
    before a send leaves the broker running and the delivery goes out a
    second later without traffic from the node ("itest_fault recheck"
    runs that alone); and with the commit that records a
    delivery failing (a full disk) the node gets nothing until the record
    is on disk.
    make check walks a sample of N (under a minute); SAMHAND_FAULT_LONG=1
    (make check-fault-long) walks every N. Everything here is invented.    */
#include "harness.h"
#include "testlib.h"
#include <signal.h>
#include <sys/wait.h>
#include <sqlite3.h>

#define CONFIG \
    "limits\n    redeliver_after = 1\n" \
    "workflow\n    escalate_after = 60s\n    escalate_every = 60s\n" \
    "retention\n    concern_report = 1h\n    alert = 1h\n    consent_notice = 1h\n" \
    "    check_every = 1\n" \
    "audit\n    sign_every = 1\n"

#define MAX_ACKED 4096

typedef struct {
    harness_t *h;
    char fault_file [400];
    char clock_file [400];
    char db [400];
    int64_t clock_offset;
    hclient_t *vakt, *coord, *team, *police;
    uint8_t acked [MAX_ACKED][16];        //  message ids acknowledged
    int n_acked;
    int checked;                          //  acked ids below this were checked already
    int grants;                           //  grants acknowledged
    int step;
    int answered_error;                   //  requests answered INTERNAL / STORE_FULL
    bool broken;                          //  an invariant failed: stop walking
} fx_t;

static void
s_write_file (const char *path, const char *text)
{
    FILE *f = fopen (path, "w");
    if (f) {
        fputs (text, f);
        fclose (f);
    }
}

static void
s_arm (fx_t *fx, long at, long times, const char *kind)
{
    char text [64];
    snprintf (text, sizeof text, "%ld %ld %s\n", at, times, kind);
    s_write_file (fx->fault_file, text);
    //  The shim re-reads the file when its mtime changes: make sure it does.
    zclock_sleep (5);
}

static int64_t
s_count (fx_t *fx)
{
    char path [420], text [32] = "";
    snprintf (path, sizeof path, "%s.count", fx->fault_file);
    FILE *f = fopen (path, "r");
    if (f) {
        if (!fgets (text, sizeof text, f))
            text [0] = 0;
        fclose (f);
    }
    return strtoll (text, NULL, 10);
}

static void
s_advance (fx_t *fx, int64_t ms)
{
    char text [32];
    fx->clock_offset += ms;
    snprintf (text, sizeof text, "%lld\n", (long long) fx->clock_offset);
    s_write_file (fx->clock_file, text);
}

//  One integer from SQL (with one optional 16-byte blob bound to ?1).
static int64_t
s_sql (fx_t *fx, const char *sql, const uint8_t *blob)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *stmt = NULL;
    int64_t value = -1;
    if (sqlite3_open_v2 (fx->db, &db, SQLITE_OPEN_READWRITE, NULL) == SQLITE_OK) {
        sqlite3_busy_timeout (db, 3000);
        if (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL) == SQLITE_OK) {
            if (blob)
                sqlite3_bind_blob (stmt, 1, blob, 16, SQLITE_STATIC);
            if (sqlite3_step (stmt) == SQLITE_ROW)
                value = sqlite3_column_int64 (stmt, 0);
        }
        sqlite3_finalize (stmt);
    }
    sqlite3_close (db);
    return value;
}

static bool
s_alive (fx_t *fx)
{
    return fx->h->pid && waitpid (fx->h->pid, NULL, WNOHANG) == 0;
}

//  Acute concerns received but not yet read: marked READ once their
//  escalation has been seen, so old ones do not escalate for ever.
static struct { hclient_t *c; uint64_t delivery_id; } s_unread [4096];
static int s_n_unread;

static void
s_read_all (void)
{
    for (int i = 0; i < s_n_unread; i++)
        hclient_receipt (s_unread [i].c, s_unread [i].delivery_id, SAMHAND__V1__RECEIPT_STATE__READ);
    s_n_unread = 0;
}

//  Receipts every delivery waiting for C (RECEIVED), until none comes
//  within timeout_ms.
static int
s_drain (hclient_t *c, int timeout_ms)
{
    int n = 0;
    Samhand__V1__Frame *f;
    while (c && (f = hclient_recv (c, timeout_ms))) {
        if (f->command_case == SAMHAND__V1__FRAME__COMMAND_DELIVER) {
            hclient_receipt (c, f->deliver->delivery_id, SAMHAND__V1__RECEIPT_STATE__RECEIVED);
            if (f->deliver->kind == SAMHAND__V1__KIND__CONCERN_REPORT && f->deliver->acute
            &&  s_n_unread < 4096) {
                s_unread [s_n_unread].c = c;
                s_unread [s_n_unread++].delivery_id = f->deliver->delivery_id;
            }
            n++;
        }
        frame_free (&f);
    }
    return n;
}

//  The error code of a reply, 0 when it is an acknowledgement, -1 none.
static int
s_code (Samhand__V1__Frame *f)
{
    if (!f)
        return -1;
    if (f->command_case == SAMHAND__V1__FRAME__COMMAND_ERROR)
        return f->error->code;
    if (f->command_case == SAMHAND__V1__FRAME__COMMAND_SUBMIT_RESULT)
        return f->submit_result->accepted? 0
             : f->submit_result->error? (int) f->submit_result->error->code: -2;
    if (f->command_case == SAMHAND__V1__FRAME__COMMAND_CONSENT_REPLY)
        return f->consent_reply->ok? 0
             : f->consent_reply->error? (int) f->consent_reply->error->code: -2;
    return -3;
}

//  The reply to request ID: skips deliveries and other replies.
static Samhand__V1__Frame *
s_reply (hclient_t *c, uint64_t request_id, int timeout_ms)
{
    int64_t deadline = zclock_mono () + timeout_ms;
    while (zclock_mono () < deadline) {
        Samhand__V1__Frame *f = hclient_recv (c, (int) (deadline - zclock_mono ()));
        if (!f)
            return NULL;
        if (f->request_id == request_id
        &&  f->command_case != SAMHAND__V1__FRAME__COMMAND_DELIVER)
            return f;
        if (f->command_case == SAMHAND__V1__FRAME__COMMAND_DELIVER)
            hclient_receipt (c, f->deliver->delivery_id, SAMHAND__V1__RECEIPT_STATE__RECEIVED);
        frame_free (&f);
    }
    return NULL;
}

//  Sends FRAME until it is acknowledged (the same request each time, as a
//  client retries after a lost or refused reply). Returns the last code.
static int
s_until_acked (fx_t *fx, hclient_t *c, Samhand__V1__Frame *frame)
{
    static uint64_t request_id = 1000;
    int code = -1;
    for (int attempt = 0; attempt < 20; attempt++) {
        frame->request_id = ++request_id;
        hclient_send (c, frame);
        Samhand__V1__Frame *reply = s_reply (c, frame->request_id, 3000);
        code = s_code (reply);
        frame_free (&reply);
        if (code == 0)
            break;
        if (code == SAMHAND__V1__ERROR_CODE__INTERNAL
        ||  code == SAMHAND__V1__ERROR_CODE__STORE_FULL)
            fx->answered_error++;
        else
        if (code != -1) {
            fprintf (stderr, "step %d: refused with code %d\n", fx->step, code);
            break;
        }
        zclock_sleep (50);
    }
    return code;
}

static int
s_grant (fx_t *fx)
{
    Samhand__V1__Frame frame = SAMHAND__V1__FRAME__INIT;
    Samhand__V1__ConsentGrant grant = SAMHAND__V1__CONSENT_GRANT__INIT;
    Samhand__V1__Subject subject = SAMHAND__V1__SUBJECT__INIT;
    Samhand__V1__Agency agencies [1] = { SAMHAND__V1__AGENCY__TRYGGEST };
    Samhand__V1__DataClass classes [2] = { SAMHAND__V1__DATA_CLASS__IDENTITY,
                                           SAMHAND__V1__DATA_CLASS__CONTACT };
    char *purposes [1] = { "follow_up" };
    uint8_t grant_id [16];
    memset (grant_id, 0, sizeof grant_id);
    memcpy (grant_id, &fx->step, sizeof fx->step);
    grant_id [15] = 0x5A;
    subject.national_id = "01019012057";
    grant.subject = &subject;
    grant.agencies = agencies;
    grant.n_agencies = 1;
    grant.classes = classes;
    grant.n_classes = 2;
    grant.purposes = purposes;
    grant.n_purposes = 1;
    grant.valid_from = (zclock_time () + fx->clock_offset) / 1000 - 60;
    grant.valid_until = grant.valid_from + 365 * 86400LL;
    grant.form = SAMHAND__V1__CONSENT_FORM__WRITTEN;
    grant.grant_id = (ProtobufCBinaryData) { sizeof grant_id, grant_id };
    frame.command_case = SAMHAND__V1__FRAME__COMMAND_CONSENT_GRANT;
    frame.consent_grant = &grant;
    int code = s_until_acked (fx, fx->coord, &frame);
    fx->grants += code == 0;
    return code;
}

static int
s_concern (fx_t *fx)
{
    Samhand__V1__Frame frame = SAMHAND__V1__FRAME__INIT;
    Samhand__V1__Submit submit;
    Samhand__V1__ConcernReport concern;
    Samhand__V1__Subject subject;
    uint8_t id [16];
    harness_concern (&submit, &concern, &subject, "Invented: ringte fra busstasjonen, redd.");
    concern.urgency = SAMHAND__V1__URGENCY__ACUTE;
    submit.ttl_seconds = 600;
    harness_new_id (&submit, id);
    frame.command_case = SAMHAND__V1__FRAME__COMMAND_SUBMIT;
    frame.submit = &submit;
    int code = s_until_acked (fx, fx->vakt, &frame);
    if (code == 0 && fx->n_acked < MAX_ACKED)
        memcpy (fx->acked [fx->n_acked++], id, 16);
    return code;
}

//  Waits (draining the listeners) until SQL answers WANT; false on timeout.
static bool
s_wait_sql (fx_t *fx, const char *sql, const uint8_t *blob, int64_t want, int timeout_ms)
{
    int64_t deadline = zclock_mono () + timeout_ms;
    while (zclock_mono () < deadline) {
        if (s_sql (fx, sql, blob) == want)
            return true;
        s_drain (fx->team, 20);
        s_drain (fx->police, 20);
        s_drain (fx->coord, 0);
        s_drain (fx->vakt, 0);
    }
    return s_sql (fx, sql, blob) == want;
}

//  The checks after every step: nothing acknowledged lost, nothing half
//  done. Returns true when all hold.
static bool
s_invariants (fx_t *fx, bool report)
{
    bool ok = true;
    //  Every acknowledged message is stored, with its submitted record.
    //  (After a step only the new ones; the report checks them all.)
    int from = report? 0: fx->checked;
    int missing = 0;
    for (int i = from; i < fx->n_acked; i++)
        if (s_sql (fx, "SELECT count(*) FROM messages m WHERE m.message_id = ?1 AND EXISTS"
                       " (SELECT 1 FROM audit a WHERE a.message_id = m.message_id"
                       " AND a.event = 'submitted')", fx->acked [i]) != 1)
            missing++;
    if (report || missing)
        CHECK (missing == 0, "every acknowledged message is in the store with its audit record");
    ok &= missing == 0;
    //  Every connected recipient got every acknowledged message (receipted).
    int undelivered = 0;
    for (int i = from; i < fx->n_acked; i++)
        if (!s_wait_sql (fx, "SELECT count(*) FROM outbox o JOIN messages m ON m.id = o.message"
                             " WHERE m.message_id = ?1 AND o.node IN ('tryggest', 'politi-risk')"
                             " AND o.state NOT IN (2, 3)", fx->acked [i], 0, 5000))
            undelivered++;
    if (report || undelivered)
        CHECK (undelivered == 0, "every acknowledged message reached the connected recipients");
    ok &= undelivered == 0;
    //  Nothing half done: no message without its outbox, no submitted
    //  record without its message, no consent without its record, one
    //  consent per acknowledged grant.
    int64_t orphans = s_sql (fx,
        "SELECT (SELECT count(*) FROM messages m WHERE m.sender_node = 'vakt'"
        "         AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.message = m.id))"
        "     + (SELECT count(*) FROM audit a WHERE a.event = 'submitted'"
        "         AND NOT EXISTS (SELECT 1 FROM messages m WHERE m.message_id = a.message_id))"
        "     + (SELECT count(*) FROM consents c WHERE NOT EXISTS (SELECT 1 FROM audit a"
        "         WHERE a.event = 'consent_granted' AND a.detail = c.id))", NULL);
    int64_t consents = s_sql (fx, "SELECT count(*) FROM consents", NULL);
    if (report || orphans || consents != fx->grants)
        CHECK (orphans == 0 && consents == fx->grants,
               "nothing half done: messages have outboxes, records have rows, one consent per acked grant");
    ok &= orphans == 0 && consents == fx->grants;
    fx->checked = fx->n_acked;
    return ok;
}

//  One realistic step. Returns false if the broker stopped serving.
static bool
s_step (fx_t *fx)
{
    fx->step++;
    bool ok = s_grant (fx) == 0;
    ok &= s_concern (fx) == 0;
    //  Delivered and receipted before the clock moves on (an hour later
    //  retention would rightly purge what was never delivered).
    if (ok && !s_wait_sql (fx, "SELECT count(*) FROM outbox o JOIN messages m ON m.id = o.message"
                               " WHERE m.message_id = ?1 AND o.node IN ('tryggest', 'politi-risk')"
                               " AND o.state NOT IN (2, 3)", fx->acked [fx->n_acked - 1], 0, 8000)) {
        fprintf (stderr, "step %d: the acknowledged message was not delivered within 8 s\n", fx->step);
        ok = false;
    }
    //  Unread after a minute: escalation. krisesenter never connects, so
    //  its copy expires after ten; after an hour retention purges it all.
    s_advance (fx, 2 * 60000);
    s_wait_sql (fx, "SELECT count(*) FROM audit a WHERE a.event = 'escalated' AND a.message_id = ?1",
                fx->n_acked? fx->acked [fx->n_acked - 1]: NULL, 1, 1500);
    s_read_all ();
    s_advance (fx, 11 * 60000);
    s_wait_sql (fx, "SELECT count(*) FROM outbox o JOIN messages m ON m.id = o.message"
                    " WHERE m.message_id = ?1 AND o.node = 'krisesenter' AND o.state IN (0, 1)",
                fx->n_acked? fx->acked [fx->n_acked - 1]: NULL, 0, 1500);
    s_advance (fx, 2 * 3600000LL);
    s_wait_sql (fx, "SELECT count(*) FROM messages WHERE payload IS NOT NULL AND kind = 1", NULL, 0,
                1500);
    return ok;
}

static char *
s_verify_audit (fx_t *fx, int *status)
{
    char cmd [700];
    snprintf (cmd, sizeof cmd, "%s/samhandd --verify-audit -c %s 2>&1", harness_build (),
              fx->h->config);
    return harness_run (cmd, status);
}

static int
s_log_count_h (harness_t *h, const char *needle)
{
    char path [400];
    snprintf (path, sizeof path, "%s/samhandd.log", h->dir);
    FILE *f = fopen (path, "r");
    int n = 0;
    char line [1024];
    while (f && fgets (line, sizeof line, f))
        n += strstr (line, needle) != NULL;
    if (f)
        fclose (f);
    return n;
}

static int
s_log_count (fx_t *fx, const char *needle)
{
    return s_log_count_h (fx->h, needle);
}

static void
test_disk_full (fx_t *fx)
{
    //  From the next counted operation on, every write fails: a full disk.
    s_arm (fx, 1, -1, "full");
    Samhand__V1__Frame frame = SAMHAND__V1__FRAME__INIT;
    Samhand__V1__Submit submit;
    Samhand__V1__ConcernReport concern;
    Samhand__V1__Subject subject;
    uint8_t id [16];
    harness_concern (&submit, &concern, &subject, "Invented: full disk, same message sent again.");
    harness_new_id (&submit, id);
    frame.command_case = SAMHAND__V1__FRAME__COMMAND_SUBMIT;
    frame.submit = &submit;
    frame.request_id = 77;
    hclient_send (fx->vakt, &frame);
    Samhand__V1__Frame *reply = s_reply (fx->vakt, 77, 3000);
    CHECK (s_code (reply) == SAMHAND__V1__ERROR_CODE__STORE_FULL,
           "disk full: the sender gets STORE_FULL, not an acknowledgement");
    frame_free (&reply);
    CHECK (s_log_count (fx, "THE DISK IS FULL") > 0, "disk full: the log says so plainly");
    CHECK (s_sql (fx, "SELECT count(*) FROM messages WHERE message_id = ?1", id) == 0,
           "disk full: nothing of the refused message is stored");
    //  Space freed: the same message, sent again, is taken.
    s_arm (fx, 0, 0, "ioerr");
    frame.request_id = 78;
    hclient_send (fx->vakt, &frame);
    reply = s_reply (fx->vakt, 78, 3000);
    CHECK (s_code (reply) == 0, "space freed: the same message sent again is acknowledged");
    frame_free (&reply);
    if (fx->n_acked < MAX_ACKED)
        memcpy (fx->acked [fx->n_acked++], id, 16);
}

//  Reads fail too (a bad sector, a disk going away): the Nth xRead of a
//  step answers SQLITE_IOERR_READ, N walked over the step as the write
//  walk does, with the same checks after every point. Run with the small
//  page cache of test_spill: with the broker's own cache every page a
//  step needs is in memory and only the WAL checkpoint reads the disk.
static void
test_read_walk (fx_t *fx)
{
    s_arm (fx, 0, 0, "read");
    bool served = s_step (fx);
    int64_t reads = s_count (fx);
    CHECK (served && s_invariants (fx, true), "reads: a step without faults passes every check");
    printf ("# one step: %lld counted reads\n", (long long) reads);
    CHECK (reads > 3, "reads: the step reads from the disk enough to walk over");
    int budget = getenv ("SAMHAND_FAULT_LONG") && *getenv ("SAMHAND_FAULT_LONG") == '1'
               ? (int) reads: 5;
    int64_t stride = reads / budget > 0? reads / budget: 1;
    int walked = 0, injected_before = s_log_count (fx, "injected SQLITE_IOERR_READ at counted read");
    int failed_before = s_log_count (fx, "commit failed") + s_log_count (fx, "rolled back");
    for (int64_t n = 1; n <= reads && !fx->broken; n += stride, walked++) {
        s_arm (fx, (long) n, walked % 3 == 2? 4: 1, "read");
        bool ok = s_step (fx);
        s_arm (fx, 0, 0, "ioerr");
        if (!ok || !s_alive (fx) || !s_invariants (fx, false)) {
            fprintf (stderr, "reads: broken with the fault at counted read %lld\n", (long long) n);
            fx->broken = true;
        }
    }
    int injected = s_log_count (fx, "injected SQLITE_IOERR_READ at counted read") - injected_before;
    int failed = s_log_count (fx, "commit failed") + s_log_count (fx, "rolled back") - failed_before;
    printf ("# walked %d read fault points (stride %lld of %lld), %d read errors injected,"
            " %d batches failed\n", walked, (long long) stride, (long long) reads, injected, failed);
    CHECK (injected >= walked / 2, "reads: the read errors were really injected");
    CHECK (failed > 0, "reads: failed reads failed their cycles' batches");
    CHECK (!fx->broken && s_alive (fx),
           "reads: no failed read left an ack without a commit, or anything half done");
    CHECK (s_step (fx) && s_invariants (fx, false), "reads: after the faults the broker serves again");
    int status = -1;
    char *out = s_verify_audit (fx, &status);
    CHECK (status == 0 && out && strstr (out, "intact"), "reads: the audit chain verifies after failed reads");
    if (status != 0)
        fprintf (stderr, "verify-audit: %s\n", out? out: "");
    free (out);
}

//  A ConsentQuery for the invented person of s_grant; the reply or NULL.
static Samhand__V1__Frame *
s_consent_list (fx_t *fx, uint64_t request_id)
{
    Samhand__V1__Frame frame = SAMHAND__V1__FRAME__INIT;
    Samhand__V1__ConsentQuery q = SAMHAND__V1__CONSENT_QUERY__INIT;
    Samhand__V1__Subject subject = SAMHAND__V1__SUBJECT__INIT;
    subject.national_id = "01019012057";
    q.subject = &subject;
    frame.command_case = SAMHAND__V1__FRAME__COMMAND_CONSENT_QUERY;
    frame.consent_query = &q;
    frame.request_id = request_id;
    hclient_send (fx->coord, &frame);
    return s_reply (fx->coord, request_id, 3000);
}

//  Out of memory while listing consents: an answer all the same (INTERNAL),
//  never silence; the next list is whole.
static void
test_consent_list_oom (fx_t *fx)
{
#ifdef __SANITIZE_ADDRESS__
    //  ASan owns calloc: the fault build cannot fail one (testhooks.c).
    (void) fx;
    printf ("# consent list out of memory: not injected in a SANITIZE=1 build\n");
    return;
#endif
    char kind [64];
    snprintf (kind, sizeof kind, "alloc %zu 32", sizeof (Samhand__V1__ConsentRecord));
    s_arm (fx, 1, 1, kind);
    Samhand__V1__Frame *reply = s_consent_list (fx, 91);
    s_arm (fx, 0, 0, "ioerr");
    CHECK (s_log_count (fx, "injected out of memory at calloc") > 0,
           "consent list: the allocation failure was injected");
    CHECK (reply && reply->command_case == SAMHAND__V1__FRAME__COMMAND_CONSENT_REPLY
        && !reply->consent_reply->ok && reply->consent_reply->error
        && reply->consent_reply->error->code == SAMHAND__V1__ERROR_CODE__INTERNAL,
           "consent list: out of memory is answered with INTERNAL, not silence");
    frame_free (&reply);
    reply = s_consent_list (fx, 92);
    CHECK (reply && reply->command_case == SAMHAND__V1__FRAME__COMMAND_CONSENT_REPLY
        && reply->consent_reply->ok && reply->consent_reply->n_consents > 0,
           "consent list: with memory again the list is answered whole");
    frame_free (&reply);
}

//  The size of consent.c's redecide_t, the block consent_recheck
//  allocates before an identified delivery on a consent goes out: a
//  mirror of it from the daemon's own headers (if it drifts, the check
//  that the failure was injected fails and says so).
#include "../../daemon/registry.h"
#include "../../daemon/policy.h"
typedef struct {
    void *self;
    registry_consent_t consents [32];
    policy_consent_t policy [32];
    int n, redecided;
    uint32_t shown;
    int redecided_shown, withheld;
    const char *why;
} recheck_mirror_t;

//  Out of memory in the consent check before a send: the delivery is not
//  sent then (it cannot be checked), and it must not wait for the node's
//  next traffic: the session's pump tries again in a second. The node
//  (tryggest, on a consent) sends nothing meanwhile: no receipt, no ping.
static void
test_recheck_oom (fx_t *fx)
{
#ifdef __SANITIZE_ADDRESS__
    (void) fx;
    printf ("# consent recheck out of memory: not injected in a SANITIZE=1 build\n");
    return;
#endif
    s_drain (fx->team, 300);              //  nothing of tryggest's in flight
    fx->step++;
    CHECK (s_grant (fx) == 0, "recheck oom: a consent for tryggest granted");
    s_drain (fx->team, 300);
    int injected_before = s_log_count (fx, "injected out of memory at calloc");
    char kind [64];
    snprintf (kind, sizeof kind, "alloc %zu 1", sizeof (recheck_mirror_t));
    s_arm (fx, 1, 1, kind);
    bool acked = s_concern (fx) == 0;
    const uint8_t *id = fx->acked [fx->n_acked - 1];
    //  Waits without reading tryggest's socket (a receipt is traffic).
    const char *sent = "SELECT count(*) FROM outbox o JOIN messages m ON m.id = o.message"
                       " WHERE m.message_id = ?1 AND o.node = 'tryggest' AND o.state <> 0";
    int64_t deadline = zclock_mono () + 6000;
    while (zclock_mono () < deadline && s_sql (fx, sent, id) != 1)
        zclock_sleep (50);
    s_arm (fx, 0, 0, "ioerr");
    int injected = s_log_count (fx, "injected out of memory at calloc") - injected_before;
    CHECK (acked && injected > 0, "recheck oom: the allocation failure was injected in the"
                                  " consent check (else redecide_t changed size)");
    CHECK (s_sql (fx, "SELECT count(*) FROM outbox o JOIN messages m ON m.id = o.message"
                      " WHERE m.message_id = ?1 AND o.node = 'tryggest'"
                      " AND o.rule = 'FVL13A1-CONSENT'", id) == 1,
           "recheck oom: tryggest's copy is identified on the consent (the check applies)");
    CHECK (s_sql (fx, sent, id) == 1,
           "recheck oom: the delivery goes out within seconds, without traffic from the node");
    s_drain (fx->team, 500);
}

//  Waits until the log has more than BEFORE lines with NEEDLE.
static bool
s_wait_log (fx_t *fx, const char *needle, int before, int timeout_ms)
{
    int64_t deadline = zclock_mono () + timeout_ms;
    while (zclock_mono () < deadline) {
        if (s_log_count (fx, needle) > before)
            return true;
        s_drain (fx->team, 20);
        s_drain (fx->police, 20);
    }
    return s_log_count (fx, needle) > before;
}

//  The timers due and the messages due for purge cannot be read: that is
//  an error (logged, the cycle's batch failed), never "nothing due"; the
//  next tick or purge check does the work, nothing is lost.
static void
test_due_read_errors (fx_t *fx)
{
    fx->step++;
    bool ok = s_grant (fx) == 0 && s_concern (fx) == 0
           && s_wait_sql (fx, "SELECT count(*) FROM outbox o JOIN messages m ON m.id = o.message"
                              " WHERE m.message_id = ?1 AND o.node IN ('tryggest', 'politi-risk')"
                              " AND o.state NOT IN (2, 3)", fx->acked [fx->n_acked - 1], 0, 8000);
    CHECK (ok, "due reads: an acute concern delivered, unread");
    const uint8_t *id = fx->acked [fx->n_acked - 1];
    //  Escalation is due; the first look at the timers fails.
    int logged = s_log_count (fx, "store: timers due:");
    int failed = s_log_count (fx, "commit failed") + s_log_count (fx, "rolled back");
    int injected = s_log_count (fx, "injected SQLITE_IOERR_READ at step");
    s_arm (fx, 1, 1, "sql FROM timers WHERE due_ms <=");
    s_advance (fx, 2 * 60000);
    bool escalated = s_wait_sql (fx, "SELECT count(*) FROM audit a WHERE a.event = 'escalated'"
                                     " AND a.message_id = ?1", id, 1, 5000);
    s_arm (fx, 0, 0, "ioerr");
    CHECK (s_log_count (fx, "injected SQLITE_IOERR_READ at step") > injected,
           "timers due: the read of the due timers failed");
    CHECK (s_wait_log (fx, "store: timers due:", logged, 2000),
           "timers due: the read error is logged, not taken for 'no timers due'");
    CHECK (s_log_count (fx, "commit failed") + s_log_count (fx, "rolled back") > failed,
           "timers due: the cycle's batch failed with it");
    CHECK (escalated, "timers due: the next tick escalates all the same (nothing lost)");
    s_read_all ();
    s_advance (fx, 11 * 60000);
    s_wait_sql (fx, "SELECT count(*) FROM outbox o JOIN messages m ON m.id = o.message"
                    " WHERE m.message_id = ?1 AND o.node = 'krisesenter' AND o.state IN (0, 1)",
                id, 0, 3000);
    //  Retention is due; the first look for messages to purge fails.
    logged = s_log_count (fx, "store: purge select:");
    failed = s_log_count (fx, "commit failed") + s_log_count (fx, "rolled back");
    injected = s_log_count (fx, "injected SQLITE_IOERR_READ at step");
    s_arm (fx, 1, 1, "sql INDEXED BY messages_live");
    s_advance (fx, 2 * 3600000LL);
    bool purged = s_wait_sql (fx, "SELECT count(*) FROM messages WHERE payload IS NOT NULL"
                                  " AND message_id = ?1", id, 0, 5000);
    s_arm (fx, 0, 0, "ioerr");
    CHECK (s_log_count (fx, "injected SQLITE_IOERR_READ at step") > injected,
           "purge due: the read of the messages due failed");
    CHECK (s_wait_log (fx, "store: purge select:", logged, 2000),
           "purge due: the read error is logged, not taken for 'nothing to purge'");
    CHECK (s_log_count (fx, "commit failed") + s_log_count (fx, "rolled back") > failed,
           "purge due: the cycle's batch failed with it");
    CHECK (purged && s_sql (fx, "SELECT count(*) FROM audit WHERE event = 'purged'"
                                " AND message_id = ?1", id) == 1,
           "purge due: the next check purges it all the same, audited once");
    CHECK (s_invariants (fx, false), "due reads: nothing acknowledged lost, nothing half done");
}

//  A connected node's outbox cannot be read for a moment (the BEGIN of its
//  delivery pump fails, as when the disk refuses a lock): the acknowledged
//  message still goes out within seconds, instead of waiting for the
//  node's next traffic. ("begin" counts the BEGINs straight after a
//  COMMIT: the first after arming is the pump after the submit's cycle.)
static void
test_begin_fails (fx_t *fx)
{
    int injected_before = s_log_count (fx, "testhooks: injected SQLITE_IOERR at BEGIN");
    int acked = 0, stuck = 0;
    for (int i = 0; i < 3; i++) {
        fx->step++;
        //  Every copy the step makes for a connected node (the concern's,
        //  and the coordinator's notices): whichever session's pump met
        //  the failed BEGIN.
        char sql [300];
        snprintf (sql, sizeof sql, "SELECT count(*) FROM outbox o WHERE o.message > %lld"
                  " AND o.node IN ('tryggest', 'politi-risk', 'koordinator') AND o.state IN (0, 1)",
                  (long long) s_sql (fx, "SELECT coalesce(max(id), 0) FROM messages", NULL));
        s_arm (fx, 1, 1, "begin");
        bool ok = s_concern (fx) == 0;
        acked += ok;
        if (ok && !s_wait_sql (fx, sql, NULL, 0, 6000))
            stuck++;
        s_arm (fx, 0, 0, "ioerr");
    }
    int injected = s_log_count (fx, "testhooks: injected SQLITE_IOERR at BEGIN") - injected_before;
    CHECK (acked == 3 && injected >= 3, "begin: three concerns acknowledged, a BEGIN failed after each");
    CHECK (stuck == 0, "begin: a delivery pump whose BEGIN failed tries again: every copy"
                       " received within 6 s");
    if (stuck)
        fprintf (stderr, "begin: %d of %d steps left a copy for a connected node unreceived\n",
                 stuck, acked);
    CHECK (s_log_count (fx, "outbox now; trying again") > 0, "begin: the broker logs that it tries again");
}

//  A delivery goes out only after the commit of the cycle that wrote its
//  "delivered" audit record: with that commit failing (a full disk), the
//  node gets nothing, never a disclosure the audit does not show; once the
//  disk has room it gets the delivery, recorded before it arrived.
static void
test_deliver_after_commit (fx_t *fx)
{
    //  The police node goes offline; the broker finds out at its next send.
    hclient_destroy (&fx->police);
    fx->step++;
    CHECK (s_concern (fx) == 0, "deliver after commit: a concern acknowledged, police offline");
    //  Its police copy was recorded, then not taken by the closed
    //  connection: from then on the broker sends nothing more to it.
    s_wait_sql (fx, "SELECT count(*) > 0 FROM audit WHERE event = 'delivery_not_sent'"
                    " AND node = 'politi-risk' AND message_id = ?1", fx->acked [fx->n_acked - 1], 1,
                30000);
    CHECK (s_concern (fx) == 0, "deliver after commit: a second one acknowledged");
    const uint8_t *id = fx->acked [fx->n_acked - 1];
    const char *recorded = "SELECT count(*) FROM audit WHERE event = 'delivered'"
                           " AND node = 'politi-risk' AND message_id = ?1";
    //  Nothing else to write: delivered to the others, head signed. Each
    //  wait is for its state, bounded generously (a loaded machine).
    s_wait_sql (fx, "SELECT count(*) FROM outbox o JOIN messages m ON m.id = o.message"
                    " WHERE m.message_id = ?1 AND o.node = 'tryggest' AND o.state NOT IN (2, 3)",
                id, 0, 30000);
    //  The police copy waits: pending, never handed over. (Had a send
    //  gone out before the broker saw the connection close, the copy is in
    //  flight until limits/redeliver_after, 1 s here, then pending again.)
    s_wait_sql (fx, "SELECT count(*) FROM outbox o JOIN messages m ON m.id = o.message"
                    " WHERE m.message_id = ?1 AND o.node = 'politi-risk' AND o.state = 0", id, 1,
                30000);
    s_wait_sql (fx, "SELECT (SELECT max(seq) FROM audit) - (SELECT max(seq) FROM audit_heads)",
                NULL, 0, 15000);
    CHECK (s_sql (fx, recorded, id) == 0
        && s_sql (fx, "SELECT count(*) FROM outbox o JOIN messages m ON m.id = o.message"
                      " WHERE m.message_id = ?1 AND o.node = 'politi-risk' AND o.state = 0", id) == 1,
           "deliver after commit: the police copy waits, not delivered");
    int failed_before = s_log_count (fx, "cannot record deliveries as sent");
    //  The disk fills; the police node connects again and subscribes.
    s_arm (fx, 1, -1, "full");
    hclient_t *police = hclient_new (fx->h, "politi-risk");
    Samhand__V1__Frame frame = SAMHAND__V1__FRAME__INIT;
    Samhand__V1__Subscribe sub = SAMHAND__V1__SUBSCRIBE__INIT;
    frame.command_case = SAMHAND__V1__FRAME__COMMAND_SUBSCRIBE;
    frame.subscribe = &sub;
    frame.request_id = 601;
    hclient_send (police, &frame);
    //  Until the broker has failed to record the deliveries (bounded at
    //  30 s), and a second beyond that: every frame that comes is counted.
    int early = 0, unrecorded = 0;
    bool commit_failed = false;
    int64_t deadline = zclock_mono () + 30000;
    while (zclock_mono () < deadline) {
        Samhand__V1__Frame *f = hclient_recv (police, 100);
        if (f && f->command_case == SAMHAND__V1__FRAME__COMMAND_DELIVER) {
            early++;
            if (s_sql (fx, recorded, f->deliver->message_id.data) < 1)
                unrecorded++;
        }
        frame_free (&f);
        if (!commit_failed && s_log_count (fx, "cannot record deliveries as sent") > failed_before) {
            commit_failed = true;
            deadline = zclock_mono () + 1000;
        }
    }
    CHECK (commit_failed, "deliver after commit: the commit recording the deliveries failed");
    CHECK (unrecorded == 0, "deliver after commit: no delivery reached the node without its"
                            " committed audit record");
    CHECK (early == 0, "deliver after commit: nothing was sent while the commit failed");
    //  Room again: the delivery goes, its record committed first.
    s_arm (fx, 0, 0, "ioerr");
    bool got = false, in_order = true;
    deadline = zclock_mono () + 30000;
    while (zclock_mono () < deadline && !got) {
        Samhand__V1__Frame *f = hclient_recv (police, 100);
        if (f && f->command_case == SAMHAND__V1__FRAME__COMMAND_DELIVER) {
            in_order &= s_sql (fx, recorded, f->deliver->message_id.data) >= 1;
            got = f->deliver->message_id.len == 16
               && memcmp (f->deliver->message_id.data, id, 16) == 0;
            hclient_receipt (police, f->deliver->delivery_id, SAMHAND__V1__RECEIPT_STATE__RECEIVED);
        }
        frame_free (&f);
    }
    CHECK (got && in_order,
           "deliver after commit: with room again it is delivered, its audit record committed first");
    s_drain (police, 300);
    fx->police = police;
}

//  With a tiny page cache a transaction writes pages to the WAL in the
//  middle of its statements; an I/O error there makes sqlite roll the
//  whole transaction back by itself, and every later statement of the
//  cycle would commit on its own (half a batch, an audit chain linked to
//  rolled-back records) unless the store refuses it.
static void
test_spill (fx_t *fx)
{
    CHECK (harness_stop (fx->h, SIGTERM) == 0, "spill: broker stopped to shrink its page cache");
    setenv ("SAMHAND_FAULT_CACHE_PAGES", "4", 1);
    s_arm (fx, 0, 0, "ioerr");
    CHECK (harness_start (fx->h) == 0, "spill: broker restarted with a 4-page cache");
    hclient_destroy (&fx->vakt);
    hclient_destroy (&fx->coord);
    hclient_destroy (&fx->team);
    hclient_destroy (&fx->police);
    fx->vakt = hclient_new (fx->h, "vakt");
    fx->coord = hclient_listener (fx->h, "koordinator");
    fx->team = hclient_listener (fx->h, "tryggest");
    fx->police = hclient_listener (fx->h, "politi-risk");
    s_n_unread = 0;
    s_arm (fx, 0, 0, "ioerr");
    bool served = s_step (fx);
    int64_t ops = s_count (fx);
    CHECK (served && s_invariants (fx, true), "spill: a step without faults passes every check");
    int walked = 0;
    int64_t stride = ops / 8 > 0? ops / 8: 1;
    for (int64_t n = 3; n <= ops && !fx->broken; n += stride, walked++) {
        s_arm (fx, (long) n, walked % 2? 3: 1, "ioerr");
        bool ok = s_step (fx);
        s_arm (fx, 0, 0, "ioerr");
        if (!ok || !s_alive (fx) || !s_invariants (fx, false)) {
            fprintf (stderr, "spill: broken with the fault at counted operation %lld\n", (long long) n);
            fx->broken = true;
        }
    }
    CHECK (!fx->broken && s_alive (fx), "spill: no fault mid-statement left anything half done");
    int status = -1;
    char *out = s_verify_audit (fx, &status);
    CHECK (status == 0 && out && strstr (out, "intact"),
           "spill: the audit chain verifies after faults in the middle of statements");
    if (status != 0)
        fprintf (stderr, "verify-audit: %s\n", out? out: "");
    free (out);
    CHECK (s_log_count (fx, "rolled back") + s_log_count (fx, "commit failed") > 0,
           "spill: the faults did fail batches");
    test_read_walk (fx);
    unsetenv ("SAMHAND_FAULT_CACHE_PAGES");
}

//  who-received for the invented person: the EVENT rows (delivered, shown)
//  naming NODE, with how many of them carry a receipt. -1 when the query
//  is not answered.
static int
s_received (hclient_t *admin, const char *node, const char *event, int *confirmed)
{
    Samhand__V1__Frame frame = SAMHAND__V1__FRAME__INIT;
    Samhand__V1__AuditQuery q = SAMHAND__V1__AUDIT_QUERY__INIT;
    Samhand__V1__Subject subject = SAMHAND__V1__SUBJECT__INIT;
    subject.national_id = "01019012057";
    q.query = "who-received";
    q.subject = &subject;
    frame.command_case = SAMHAND__V1__FRAME__COMMAND_AUDIT_QUERY;
    frame.audit_query = &q;
    frame.request_id = 7001;
    hclient_send (admin, &frame);
    Samhand__V1__Frame *f = hclient_expect (admin, SAMHAND__V1__FRAME__COMMAND_AUDIT_REPLY, 10000);
    if (!f || !f->audit_reply->ok) {
        frame_free (&f);
        return -1;
    }
    int rows = 0;
    *confirmed = 0;
    for (size_t i = 0; i < f->audit_reply->n_entries; i++) {
        const Samhand__V1__AuditEntry *e = f->audit_reply->entries [i];
        if (!streq (e->node, node) || !streq (e->event, event))
            continue;
        rows++;
        *confirmed += *e->receipt != 0;
    }
    frame_free (&f);
    return rows;
}

//  A broker of its own for one test: samhandd-fault with its fault file
//  FAULT_FILE (disarmed) and the real clock, started. WHAT names the test
//  in its checks. NULL when it could not be made (said as a FAIL).
static harness_t *
s_fault_broker (const char *what, const char *config, char *fault_file, size_t size)
{
    char name [160];
    harness_t *h = harness_new (config);
    snprintf (name, sizeof name, "%s: an installation", what);
    CHECK (h != NULL, name);
    if (!h)
        return NULL;
    snprintf (fault_file, size, "%s/fault", h->dir);
    s_write_file (fault_file, "0\n");
    setenv ("SAMHAND_DAEMON", "samhandd-fault", 1);
    setenv ("SAMHAND_FAULT_FILE", fault_file, 1);
    unsetenv ("SAMHAND_CLOCK_FILE");
    snprintf (name, sizeof name, "%s: the fault broker starts", what);
    CHECK (harness_start (h) == 0, name);
    return h;
}

//  SENDER submits a concern about the invented person with TEXT (TTL
//  seconds to live, 0 for the default); its id in ID. True when accepted.
static bool
s_concern_from (hclient_t *sender, const char *text, int ttl, uint8_t id [16])
{
    Samhand__V1__Submit submit;
    Samhand__V1__ConcernReport concern;
    Samhand__V1__Subject subject;
    harness_concern (&submit, &concern, &subject, text);
    harness_new_id (&submit, id);
    if (ttl)
        submit.ttl_seconds = ttl;
    Samhand__V1__Frame *f = hclient_submit (sender, &submit, 10000);
    bool accepted = f && f->submit_result && f->submit_result->accepted;
    frame_free (&f);
    return accepted;
}

//  A flaky connection: the broker records a delivery, commits, and then
//  the node's connection does not take the frame (testhooks "send": EAGAIN,
//  as with a full pipe) three times running. Such a send is not an attempt
//  (max_attempts = 2 here: counted, it would be a dead letter before it
//  was ever handed over), it is retried with a back-off (not every cycle),
//  and who-received names the node only for the delivery handed over,
//  confirmed once the node sends its receipt.
static void
test_flaky_connection (void)
{
    char fault_file [400];
    harness_t *h = s_fault_broker ("flaky connection", "workflow\n    max_attempts = 2\n",
                                   fault_file, sizeof fault_file);
    if (!h)
        return;
    hclient_t *police = hclient_new_as (h, "politi-risk", "flaky-police");
    hclient_t *vakt = hclient_new (h, "vakt");
    hclient_t *admin = hclient_new (h, "admin");
    Samhand__V1__Frame *f = hclient_subscribe (police, 10000);
    CHECK (f && f->command_case == SAMHAND__V1__FRAME__COMMAND_SUBSCRIBED,
           "flaky connection: the police node subscribes");
    frame_free (&f);
    //  The next three messages to this connection fail; then it recovers.
    s_write_file (fault_file, "1 3 send flaky-police\n");
    zclock_sleep (5);
    uint8_t id [16];
    CHECK (s_concern_from (vakt, "Invented: ringte fra busstasjonen, redd.", 0, id),
           "flaky connection: a concern about the invented person is accepted");
    //  After the first refused send the node has never held it: a receipt
    //  for its number (read from the store, as a guess would be) is not
    //  taken, or the delivery would never be made.
    int64_t deadline = zclock_mono () + 30000;
    while (zclock_mono () < deadline
       &&  harness_sql_int (h, "SELECT count(*) FROM audit WHERE event = 'delivery_not_sent'") < 1)
        zclock_sleep (20);
    int64_t guessed = harness_sql_int (h, "SELECT id FROM outbox WHERE node = 'politi-risk'"
                                          " AND state = 0");
    //  (From a second connection of the node: its answer must not count
    //  among the sends that fail on the first.)
    hclient_t *other = hclient_new (h, "politi-risk");
    hclient_receipt (other, (uint64_t) guessed, SAMHAND__V1__RECEIPT_STATE__RECEIVED);
    f = hclient_expect (other, SAMHAND__V1__FRAME__COMMAND_ERROR, 10000);
    CHECK (guessed > 0 && f && f->error->code == SAMHAND__V1__ERROR_CODE__UNKNOWN_DELIVERY,
           "flaky connection: a receipt for the delivery not yet handed over is refused");
    frame_free (&f);
    hclient_destroy (&other);
    //  Wait for the handover itself (or its end as a dead letter).
    uint64_t delivery_id = 0;
    uint32_t attempt = 0;
    deadline = zclock_mono () + 30000;
    while (!delivery_id && zclock_mono () < deadline) {
        f = hclient_recv (police, 200);
        if (f && f->command_case == SAMHAND__V1__FRAME__COMMAND_DELIVER
        &&  f->deliver->message_id.len == 16 && memcmp (f->deliver->message_id.data, id, 16) == 0) {
            delivery_id = f->deliver->delivery_id;
            attempt = f->deliver->attempt;
        }
        frame_free (&f);
        if (harness_sql_int (h, "SELECT count(*) FROM outbox WHERE state = 5") > 0)
            break;
    }
    int64_t not_sent = harness_sql_int (h, "SELECT count(*) FROM audit WHERE event = 'delivery_not_sent'"
                                           " AND node = 'politi-risk'");
    CHECK (not_sent == 3, "flaky connection: three sends were recorded as not handed over");
    CHECK (harness_sql_int (h, "SELECT count(*) FROM outbox WHERE state = 5") == 0
        && harness_sql_int (h, "SELECT count(*) FROM audit WHERE event = 'dead_letter'") == 0,
           "flaky connection: sends the connection did not take are no attempts: no dead letter");
    CHECK (delivery_id != 0 && attempt == 1,
           "flaky connection: the delivery is handed over when the connection takes it,"
           " as its first attempt");
    //  Not retried every cycle: each failed send waits longer than the last.
    int64_t gap = harness_sql_int (h, "SELECT min(b.ts_ms - a.ts_ms) FROM audit a JOIN audit b"
                                      " ON b.seq = (SELECT min(seq) FROM audit c WHERE c.seq > a.seq"
                                      " AND c.event = 'delivery_not_sent')"
                                      " WHERE a.event = 'delivery_not_sent'");
    printf ("# flaky connection: shortest time between failed sends %lld ms\n", (long long) gap);
    CHECK (gap >= 400, "flaky connection: failed sends are retried after a back-off, not at once");
    //  who-received: the node is named for the one delivery it got.
    int confirmed = -1;
    int rows = s_received (admin, "politi-risk", "delivered", &confirmed);
    CHECK (rows == 1 && confirmed == 0,
           "flaky connection: who-received lists only the delivery handed over, not yet confirmed");
    hclient_receipt (police, delivery_id, SAMHAND__V1__RECEIPT_STATE__READ);
    f = hclient_ping (police, 10000);
    frame_free (&f);
    rows = s_received (admin, "politi-risk", "delivered", &confirmed);
    CHECK (rows == 1 && confirmed == 1,
           "flaky connection: after the node's receipt who-received says it was confirmed");
    hclient_destroy (&admin);
    hclient_destroy (&vakt);
    hclient_destroy (&police);
    CHECK (harness_stop (h, SIGTERM) == 0, "flaky connection: clean stop");
    harness_destroy (&h);
}

//  An inbox answer the connection does not take: the "shown" records of
//  its entries were committed before it went out, but the node never saw
//  them. Like a Deliver not handed over, each gets a "delivery_not_sent"
//  record, who-received leaves it out, and an entry that had never been
//  handed over is again one the node cannot hold: a receipt for it is
//  refused until it is really shown or delivered.
static int
s_inbox_query (hclient_t *client, uint64_t request_id)
{
    Samhand__V1__Frame q = SAMHAND__V1__FRAME__INIT;
    Samhand__V1__InboxQuery iq = SAMHAND__V1__INBOX_QUERY__INIT;
    q.command_case = SAMHAND__V1__FRAME__COMMAND_INBOX_QUERY;
    q.inbox_query = &iq;
    q.request_id = request_id;
    return hclient_send (client, &q);
}

static void
test_inbox_not_sent (void)
{
    char fault_file [400];
    harness_t *h = s_fault_broker ("inbox not sent", "", fault_file, sizeof fault_file);
    if (!h)
        return;
    hclient_t *vakt = hclient_new (h, "vakt");
    hclient_t *admin = hclient_new (h, "admin");
    //  The police node is not subscribed: its entry waits, never sent.
    uint8_t id [16];
    CHECK (s_concern_from (vakt, "Invented: ringte fra legekontoret, redd.", 0, id),
           "inbox not sent: a concern about the invented person is accepted");
    Samhand__V1__Frame *f = NULL;
    int64_t delivery = harness_sql_int (h, "SELECT id FROM outbox WHERE node = 'politi-risk'"
                                           " AND state = 0 AND attempts = 0");
    CHECK (delivery > 0, "inbox not sent: the police node's entry waits, never sent");
    //  The connection does not take the next message to it: the answer.
    hclient_t *police = hclient_new_as (h, "politi-risk", "inbox-police");
    s_write_file (fault_file, "1 1 send inbox-police\n");
    zclock_sleep (5);
    s_inbox_query (police, 41);
    f = hclient_expect (police, SAMHAND__V1__FRAME__COMMAND_INBOX_REPLY, 2000);
    CHECK (f == NULL, "inbox not sent: the connection did not take the inbox answer");
    frame_free (&f);
    int64_t deadline = zclock_mono () + 10000;
    while (zclock_mono () < deadline
       &&  harness_sql_int (h, "SELECT count(*) FROM audit WHERE event = 'delivery_not_sent'") < 1)
        zclock_sleep (20);
    char sql [300];
    snprintf (sql, sizeof sql, "SELECT count(*) FROM audit WHERE event = 'delivery_not_sent'"
              " AND node = 'politi-risk' AND detail LIKE 'inbox: delivery %lld%%'", (long long) delivery);
    CHECK (harness_sql_int (h, sql) == 1,
           "inbox not sent: the refused answer is on record as not handed over, with its delivery");
    int confirmed = -1;
    CHECK (s_received (admin, "politi-risk", "shown", &confirmed) == 0,
           "inbox not sent: who-received does not list the answer the connection refused");
    //  The node never held it: a receipt for it is not taken.
    hclient_receipt (police, (uint64_t) delivery, SAMHAND__V1__RECEIPT_STATE__RECEIVED);
    f = hclient_expect (police, SAMHAND__V1__FRAME__COMMAND_ERROR, 5000);
    CHECK (f && f->error->code == SAMHAND__V1__ERROR_CODE__UNKNOWN_DELIVERY,
           "inbox not sent: a receipt for the entry never shown is refused");
    frame_free (&f);
    //  The connection takes the next answer: shown, and listed once.
    s_inbox_query (police, 42);
    f = hclient_expect (police, SAMHAND__V1__FRAME__COMMAND_INBOX_REPLY, 10000);
    bool listed = false;
    for (size_t i = 0; f && i < f->inbox_reply->n_items; i++)
        listed = listed || f->inbox_reply->items [i]->delivery_id == (uint64_t) delivery;
    CHECK (f && f->request_id == 42 && listed, "inbox not sent: the next inbox answer shows it");
    frame_free (&f);
    CHECK (s_received (admin, "politi-risk", "shown", &confirmed) == 1 && confirmed == 0,
           "inbox not sent: who-received lists the answer that went out, not yet confirmed");
    hclient_receipt (police, (uint64_t) delivery, SAMHAND__V1__RECEIPT_STATE__READ);
    Samhand__V1__Frame ping = SAMHAND__V1__FRAME__INIT;
    Samhand__V1__Ping body = SAMHAND__V1__PING__INIT;
    ping.command_case = SAMHAND__V1__FRAME__COMMAND_PING;
    ping.ping = &body;
    hclient_send (police, &ping);
    f = hclient_recv (police, 10000);      //  an Error would come before the Pong
    CHECK (f && f->command_case == SAMHAND__V1__FRAME__COMMAND_PONG,
           "inbox not sent: a receipt for the entry shown is taken");
    frame_free (&f);
    CHECK (s_received (admin, "politi-risk", "shown", &confirmed) == 1 && confirmed == 1,
           "inbox not sent: after the node's receipt who-received says it was confirmed");
    hclient_destroy (&police);
    hclient_destroy (&admin);
    hclient_destroy (&vakt);
    CHECK (harness_stop (h, SIGTERM) == 0, "inbox not sent: clean stop");
    harness_destroy (&h);
}

//  A status push (request_id 0) tells the sender of a change this cycle
//  wrote (a recipient's receipt). When the cycle's commit fails the change
//  is not stored and its push must not go out; but neither must an Error
//  with request_id 0 go out in its place ("the broker could not store
//  this: retry" about no request the sender made, which PROTOCOL §4 says
//  answers an undecodable frame). The receipt sent again brings the push.
static void
test_push_commit_fails (void)
{
    char fault_file [400];
    harness_t *h = s_fault_broker ("push", "", fault_file, sizeof fault_file);
    if (!h)
        return;
    hclient_t *vakt = hclient_listener (h, "vakt");
    hclient_t *police = hclient_listener (h, "politi-risk");
    uint8_t id [16];
    CHECK (s_concern_from (vakt, "Invented: ringte fra jobben, redd.", 0, id),
           "push: a concern about the invented person is accepted");
    Samhand__V1__Frame *f = NULL;
    uint64_t delivery = 0;
    int64_t deadline = zclock_mono () + 10000;
    while (!delivery && zclock_mono () < deadline
       &&  (f = hclient_expect (police, SAMHAND__V1__FRAME__COMMAND_DELIVER, 1000))) {
        if (f->deliver->message_id.len == 16 && memcmp (f->deliver->message_id.data, id, 16) == 0)
            delivery = f->deliver->delivery_id;
        frame_free (&f);
    }
    CHECK (delivery != 0, "push: the police node has the concern");
    //  A full disk: the cycle with the receipt cannot commit.
    s_write_file (fault_file, "1 -1 full\n");
    zclock_sleep (5);
    Samhand__V1__Frame frame = SAMHAND__V1__FRAME__INIT;
    Samhand__V1__Receipt receipt = SAMHAND__V1__RECEIPT__INIT;
    receipt.delivery_id = delivery;
    receipt.state = SAMHAND__V1__RECEIPT_STATE__READ;
    frame.command_case = SAMHAND__V1__FRAME__COMMAND_RECEIPT;
    frame.receipt = &receipt;
    frame.request_id = 501;
    hclient_send (police, &frame);
    f = hclient_expect (police, SAMHAND__V1__FRAME__COMMAND_ERROR, 5000);
    CHECK (f && f->request_id == 501 && f->error->code == SAMHAND__V1__ERROR_CODE__STORE_FULL,
           "push: the receipt's cycle failed (disk full): the receipt is refused");
    frame_free (&f);
    int stray = 0, pushes = 0;
    deadline = zclock_mono () + 1500;
    while (zclock_mono () < deadline && (f = hclient_recv (vakt, 200))) {
        stray += f->command_case == SAMHAND__V1__FRAME__COMMAND_ERROR;
        pushes += f->command_case == SAMHAND__V1__FRAME__COMMAND_STATUS_REPORT;
        frame_free (&f);
    }
    CHECK (stray == 0 && pushes == 0,
           "push: the sender gets neither the push of the lost change nor an error in its place");
    s_write_file (fault_file, "0\n");
    zclock_sleep (5);
    frame.request_id = 502;
    hclient_send (police, &frame);
    f = hclient_expect (vakt, SAMHAND__V1__FRAME__COMMAND_STATUS_REPORT, 5000);
    CHECK (f && f->request_id == 0 && streq (f->status_report->state, "read"),
           "push: the receipt sent again is taken and its push comes");
    frame_free (&f);
    hclient_destroy (&police);
    hclient_destroy (&vakt);
    CHECK (harness_stop (h, SIGTERM) == 0, "push: clean stop");
    harness_destroy (&h);
}

//  A StatusQuery the broker cannot read through: the message's row or its
//  outbox entries unreadable (SQLITE_IOERR_READ). The sender is told to
//  retry (INTERNAL), never "no message with that id" and never a report
//  built from what could be read (no recipients: "submitted").
static Samhand__V1__Frame *
s_status_query (hclient_t *client, const uint8_t id [16], uint64_t request_id)
{
    Samhand__V1__Frame frame = SAMHAND__V1__FRAME__INIT;
    Samhand__V1__StatusQuery q = SAMHAND__V1__STATUS_QUERY__INIT;
    q.message_id.data = (uint8_t *) id;
    q.message_id.len = 16;
    frame.command_case = SAMHAND__V1__FRAME__COMMAND_STATUS_QUERY;
    frame.status_query = &q;
    frame.request_id = request_id;
    hclient_send (client, &frame);
    return s_reply (client, request_id, 5000);
}

static void
test_status_read_errors (void)
{
    char fault_file [400];
    harness_t *h = s_fault_broker ("status read", "", fault_file, sizeof fault_file);
    if (!h)
        return;
    hclient_t *vakt = hclient_new (h, "vakt");
    uint8_t id [16];
    CHECK (s_concern_from (vakt, "Invented: ringte fra butikken, redd.", 0, id),
           "status read: a concern about the invented person is accepted");
    Samhand__V1__Frame *f = NULL;
    //  The message's own row cannot be read.
    s_write_file (fault_file, "1 1 sql FROM messages WHERE id = ?1\n");
    zclock_sleep (5);
    f = s_status_query (vakt, id, 601);
    CHECK (f && s_code (f) == SAMHAND__V1__ERROR_CODE__INTERNAL,
           "status read: the message unreadable: INTERNAL (retry), not NOT_FOUND");
    frame_free (&f);
    //  Its outbox entries cannot be read.
    s_write_file (fault_file, "1 1 sql read_ms FROM outbox WHERE message = ?1\n");
    zclock_sleep (5);
    f = s_status_query (vakt, id, 602);
    CHECK (f && s_code (f) == SAMHAND__V1__ERROR_CODE__INTERNAL,
           "status read: its recipients unreadable: INTERNAL (retry), not a report without them");
    frame_free (&f);
    s_write_file (fault_file, "0\n");
    zclock_sleep (5);
    f = s_status_query (vakt, id, 603);
    CHECK (f && f->command_case == SAMHAND__V1__FRAME__COMMAND_STATUS_REPORT
        && f->status_report->n_nodes > 0,
           "status read: readable again: the report with its recipients");
    frame_free (&f);
    CHECK (s_log_count_h (h, "injected SQLITE_IOERR_READ") >= 2,
           "status read: both read errors were injected");
    hclient_destroy (&vakt);
    CHECK (harness_stop (h, SIGTERM) == 0, "status read: clean stop");
    harness_destroy (&h);
}

//  A receipt for a delivery that expired: the broker looks up whether it
//  was the node's own (DELIVERY_EXPIRED, kept on record as late) or not
//  (UNKNOWN_DELIVERY). A read error there is neither: the node is told
//  to send it again (INTERNAL), not that the delivery does not exist.
static void
test_late_receipt_read_error (void)
{
    char fault_file [400];
    harness_t *h = s_fault_broker ("late receipt", "", fault_file, sizeof fault_file);
    if (!h)
        return;
    hclient_t *vakt = hclient_new (h, "vakt");
    uint8_t id [16];
    CHECK (s_concern_from (vakt, "Invented: ringte fra parkeringsplassen, redd.", 1, id),
           "late receipt: a concern with one second to live is accepted");
    Samhand__V1__Frame *f = NULL;
    //  The police node was not connected: its copy expires undelivered.
    int64_t deadline = zclock_mono () + 15000;
    while (zclock_mono () < deadline
       &&  harness_sql_int (h, "SELECT count(*) FROM outbox WHERE node = 'politi-risk'"
                               " AND state = 4") < 1)
        zclock_sleep (50);
    int64_t delivery = harness_sql_int (h, "SELECT id FROM outbox WHERE node = 'politi-risk'"
                                           " AND state = 4");
    CHECK (delivery > 0, "late receipt: the police node's copy expired undelivered");
    hclient_t *police = hclient_new (h, "politi-risk");
    s_write_file (fault_file, "1 1 sql read_ms FROM outbox WHERE message = ?1\n");
    zclock_sleep (5);
    Samhand__V1__Frame frame = SAMHAND__V1__FRAME__INIT;
    Samhand__V1__Receipt receipt = SAMHAND__V1__RECEIPT__INIT;
    receipt.delivery_id = (uint64_t) delivery;
    receipt.state = SAMHAND__V1__RECEIPT_STATE__RECEIVED;
    frame.command_case = SAMHAND__V1__FRAME__COMMAND_RECEIPT;
    frame.receipt = &receipt;
    frame.request_id = 701;
    hclient_send (police, &frame);
    f = s_reply (police, 701, 5000);
    CHECK (f && s_code (f) == SAMHAND__V1__ERROR_CODE__INTERNAL,
           "late receipt: a read error looking it up is INTERNAL (send again), not UNKNOWN_DELIVERY");
    frame_free (&f);
    s_write_file (fault_file, "0\n");
    zclock_sleep (5);
    frame.request_id = 702;
    hclient_send (police, &frame);
    f = s_reply (police, 702, 5000);
    CHECK (f && s_code (f) == SAMHAND__V1__ERROR_CODE__DELIVERY_EXPIRED,
           "late receipt: sent again it is answered DELIVERY_EXPIRED");
    frame_free (&f);
    CHECK (s_log_count_h (h, "injected SQLITE_IOERR_READ") >= 1,
           "late receipt: the read error was injected");
    hclient_destroy (&police);
    hclient_destroy (&vakt);
    CHECK (harness_stop (h, SIGTERM) == 0, "late receipt: clean stop");
    harness_destroy (&h);
}

int
main (int argc, char *argv [])
{
    //  "itest_fault connection": only the connection tests (own brokers).
    if (argc > 1 && streq (argv [1], "connection")) {
        test_flaky_connection ();
        test_inbox_not_sent ();
        test_push_commit_fails ();
        test_status_read_errors ();
        test_late_receipt_read_error ();
        return TEST_DONE ();
    }
    bool longrun = getenv ("SAMHAND_FAULT_LONG") && *getenv ("SAMHAND_FAULT_LONG") == '1';
    fx_t *fx = (fx_t *) zmalloc (sizeof (fx_t));
    fx->h = harness_new (CONFIG);
    if (!fx->h)
        return 1;
    snprintf (fx->fault_file, sizeof fx->fault_file, "%s/fault", fx->h->dir);
    snprintf (fx->clock_file, sizeof fx->clock_file, "%s/clock", fx->h->dir);
    snprintf (fx->db, sizeof fx->db, "%s/samhand.db", fx->h->dir);
    s_write_file (fx->fault_file, "0\n");
    s_write_file (fx->clock_file, "0\n");
    setenv ("SAMHAND_DAEMON", "samhandd-fault", 1);
    setenv ("SAMHAND_FAULT_FILE", fx->fault_file, 1);
    setenv ("SAMHAND_CLOCK_FILE", fx->clock_file, 1);
    CHECK (harness_start (fx->h) == 0, "the fault-injection broker starts");
    fx->vakt = hclient_new (fx->h, "vakt");
    fx->coord = hclient_listener (fx->h, "koordinator");
    fx->team = hclient_listener (fx->h, "tryggest");
    fx->police = hclient_listener (fx->h, "politi-risk");

    //  "itest_fault recheck": only the consent recheck out of memory.
    if (argc > 1 && streq (argv [1], "recheck")) {
        s_step (fx);
        test_recheck_oom (fx);
        CHECK (s_alive (fx), "recheck: the broker is alive");
        harness_destroy (&fx->h);
        return TEST_DONE ();
    }
    //  Calibration: how many counted operations one step makes.
    s_arm (fx, 0, 0, "ioerr");
    int64_t t0 = zclock_mono ();
    bool served = s_step (fx);
    int64_t ops = s_count (fx);
    int64_t step_ms = zclock_mono () - t0;
    CHECK (served && s_invariants (fx, true), "a step without faults passes every check");
    printf ("# one step: %lld counted writes/syncs/locks, %lld ms\n", (long long) ops,
            (long long) step_ms);
    CHECK (ops > 20, "the step makes enough writes, syncs and locks to walk over");

    //  The walk. make check samples 12 values of N; the long
    //  run takes every N.
    int budget = longrun? (int) ops: 12;
    int64_t stride = ops / budget > 0? ops / budget: 1;
    int walked = 0, injected_before = s_log_count (fx, "testhooks: injected");
    for (int64_t n = 1; n <= ops && !fx->broken; n += stride) {
        //  Mostly one failure; every third point a full disk; every fourth
        //  a burst of failures (the commit, then the reads that reload the
        //  broker's state after it).
        const char *kind = walked % 3 == 2? "full": "ioerr";
        long times = walked % 4 == 3? 6: 1;
        s_arm (fx, (long) n, times, kind);
        bool served = s_step (fx);
        s_arm (fx, 0, 0, "ioerr");
        walked++;
        if (!served) {
            fprintf (stderr, "walk: step not served with the fault at counted operation %lld (%s x%ld)\n",
                     (long long) n, kind, times);
            fx->broken = true;
        }
        if (!s_alive (fx)) {
            CHECK (false, "the broker survives every injected failure");
            fx->broken = true;
            break;
        }
        if (!s_invariants (fx, false)) {
            fprintf (stderr, "walk: invariant broken with the fault at counted operation %lld (%s x%ld)\n",
                     (long long) n, kind, times);
            fx->broken = true;
        }
    }
    int injected = s_log_count (fx, "testhooks: injected") - injected_before;
    printf ("# walked %d fault points (stride %lld of %lld), %d faults injected, %d requests"
            " answered INTERNAL/STORE_FULL and retried\n", walked, (long long) stride,
            (long long) ops, injected, fx->answered_error);
    CHECK (injected >= walked / 2, "the faults were really injected");
    CHECK (!fx->broken && s_alive (fx), "no failure left the broker down or its state half done");
    CHECK (fx->answered_error > 0, "failed cycles were answered with an error, then retried");
    //  The broker serves again once writes succeed.
    CHECK (s_step (fx), "after the faults the broker serves again");
    s_invariants (fx, true);
    int status = -1;
    char *out = s_verify_audit (fx, &status);
    CHECK (status == 0 && out && strstr (out, "intact"), "the audit chain verifies after every fault");
    if (status != 0)
        fprintf (stderr, "verify-audit: %s\n", out? out: "");
    free (out);
    CHECK (s_sql (fx, "SELECT count(*) FROM audit_heads", NULL) > 1, "the audit head was signed along the way");

    test_consent_list_oom (fx);
    test_recheck_oom (fx);
    test_due_read_errors (fx);
    test_begin_fails (fx);
    test_deliver_after_commit (fx);
    test_disk_full (fx);
    test_spill (fx);

    //  All of it survives a restart.
    CHECK (harness_stop (fx->h, SIGTERM) == 0, "clean stop");
    s_write_file (fx->clock_file, "0\n");
    fx->clock_offset = 0;
    hclient_destroy (&fx->vakt);
    hclient_destroy (&fx->coord);
    hclient_destroy (&fx->team);
    hclient_destroy (&fx->police);
    out = s_verify_audit (fx, &status);
    CHECK (status == 0 && out && strstr (out, "intact"), "the audit chain verifies after the stop");
    free (out);
    int missing = 0;
    for (int i = 0; i < fx->n_acked; i++)
        missing += s_sql (fx, "SELECT count(*) FROM messages WHERE message_id = ?1", fx->acked [i]) != 1;
    CHECK (missing == 0, "every acknowledged message is still stored after the stop");
    harness_destroy (&fx->h);
    free (fx);
    test_flaky_connection ();
    test_inbox_not_sent ();
    test_push_commit_fails ();
    test_status_read_errors ();
    test_late_receipt_read_error ();
    return TEST_DONE ();
}
