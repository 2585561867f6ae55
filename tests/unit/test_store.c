/*  test_store — the same cases against every store backend: a sqlite file
    always, and PostgreSQL when $SAMHAND_TEST_STORE names a server (a
    conninfo without dbname, as tests/pg/pgtmp.sh prints; the test makes
    and drops its own database there). Real databases, no mocks. Every
    name and message here is invented.                                    */
#include "store.h"
#include "store_db.h"
#include "audit.h"
#include "registry.h"
#include "testlib.h"
#include <czmq.h>
#include <libpq-fe.h>

//  Takes the consents table back to its version 1 columns.
#define V1_CONSENTS "ALTER TABLE consents DROP COLUMN capacity_sealed;" \
                    " ALTER TABLE consents DROP COLUMN recorded_agency;"

static char s_label [64];
static char s_name [256];

static const char *
s_case (const char *what)
{
    snprintf (s_name, sizeof s_name, "%s: %s", s_label, what);
    return s_name;
}

static int
s_pg_admin (const char *base, const char *sql)
{
    char *conninfo = zsys_sprintf ("%s dbname=postgres", base);
    PGconn *conn = PQconnectdb (conninfo);
    PGresult *res = PQstatus (conn) == CONNECTION_OK? PQexec (conn, sql): NULL;
    int rc = PQresultStatus (res) == PGRES_COMMAND_OK? 0: -1;
    if (rc)
        fprintf (stderr, "test_store: %s: %s\n", sql, PQerrorMessage (conn));
    PQclear (res);
    PQfinish (conn);
    zstr_free (&conninfo);
    return rc;
}

static void
s_message (store_message_t *m, const char *sender_key, uint8_t id [16], const uint8_t *subject,
           const void *payload, size_t size)
{
    memset (m, 0, sizeof *m);
    m->sender_key = sender_key;
    m->message_id = id;
    m->sender_node = "vakt";
    m->sender_agency = 1;
    m->kind = 1;
    m->subject_key = subject;
    m->payload = payload;
    m->payload_size = size;
    m->result = "result";
    m->result_size = 6;
    m->created_ms = 1000;
    m->expires_ms = 5000;
}

typedef struct {
    int count;
    int64_t ids [16];
    size_t payload_size [16];
    uint8_t payload [16][8];
    store_t *store;
    int nested;
} seen_t;

static int
s_seen (const store_delivery_t *d, void *arg)
{
    seen_t *seen = (seen_t *) arg;
    if (seen->count < 16) {
        seen->ids [seen->count] = d->delivery_id;
        seen->payload_size [seen->count] = d->payload_size;
        memcpy (seen->payload [seen->count], d->payload,
                d->payload_size < 8? d->payload_size: 8);
    }
    seen->count++;
    return 0;
}

//  Reads the same query again while the outer read is still going: the
//  statement cache must hand out a second statement, not reset the first.
static int
s_nested (const store_delivery_t *d, void *arg)
{
    seen_t *seen = (seen_t *) arg;
    seen_t inner = { 0 };
    if (store_inbox (seen->store, "tryggest", true, 0, 10, s_seen, &inner) >= 0)
        seen->nested += inner.count;
    return s_seen (d, arg);
}

static int
s_purge_cb (int64_t message, const uint8_t *message_id, const uint8_t *subject_key, void *arg)
{
    (void) message_id;
    (void) subject_key;
    return store_purge_message ((store_t *) arg, message);
}

//  who-received rows as "DETAIL RECEIPT" ("-" when unconfirmed).
typedef struct {
    char rows [8][80];
    int  count;
} received_t;

static int
s_received (const audit_row_t *row, void *arg)
{
    received_t *got = (received_t *) arg;
    if (got->count < 8)
        snprintf (got->rows [got->count++], sizeof got->rows [0], "%s %s",
                  row->r.detail? row->r.detail: "", row->receipt? row->receipt: "-");
    return 0;
}

static void
s_run_cases (const char *target)
{
    store_t *store = store_new (target);
    CHECK (store != NULL, s_case ("a new store opens and makes its schema"));
    if (!store)
        return;
    CHECK (store_was_created (store), s_case ("it says it was created"));
    CHECK (store_remote (store) == store_path_remote (target), s_case ("the backend is the one named"));
    registry_t *registry = registry_new (store);
    audit_t *audit = audit_new (store);
    CHECK (registry && audit, s_case ("registry and audit open on the store"));

    //  Messages, idempotency, blobs with zero bytes inside.
    const char *key = "Kari-Oppdiktet-key-0123456789abcdefghijk";
    uint8_t id [16], subject [32];
    for (int i = 0; i < 16; i++)
        id [i] = (uint8_t) (i * 17);
    memset (subject, 0, sizeof subject);
    subject [5] = 0xff;
    uint8_t payload [5] = { 0, 1, 0, 0xfe, 0 };
    store_message_t m;
    s_message (&m, key, id, subject, payload, sizeof payload);
    CHECK (store_begin (store) == 0 && store_message_insert (store, &m) == 0 && m.message > 0,
           s_case ("a message is inserted and gets a row id"));
    int64_t d1 = store_outbox_insert (store, m.message, "tryggest", 2, 2, "FVL13-PSEUDONYMISED",
                                      "forvaltningsloven", "no consent", 7);
    int64_t d2 = store_outbox_insert (store, m.message, "politi-risk", 3, 1, "FVL13A1-CONSENT",
                                      "samtykke", "consent", 3);
    CHECK (d1 > 0 && d2 > d1, s_case ("outbox entries get growing delivery ids"));
    CHECK (store_commit (store) == 0, s_case ("the batch commits"));
    uint8_t *result = NULL;
    size_t result_size = 0;
    CHECK (store_message_find (store, key, id, &result, &result_size) == 1 && result_size == 6
           && memcmp (result, "result", 6) == 0, s_case ("a retry finds the stored result"));
    free (result);
    uint8_t other [16] = { 9 };
    CHECK (store_message_find (store, key, other, &result, &result_size) == 0,
           s_case ("another id is not found"));

    seen_t seen = { 0 };
    seen.store = store;
    CHECK (store_inbox (store, "tryggest", true, 0, 10, s_nested, &seen) == 1 && seen.count == 1
           && seen.ids [0] == d1 && seen.nested == 1,
           s_case ("the inbox read, and read again inside the read"));
    CHECK (seen.payload_size [0] == sizeof payload && memcmp (seen.payload [0], payload, 5) == 0,
           s_case ("a sealed payload with zero bytes comes back byte for byte"));
    memset (&seen, 0, sizeof seen);
    CHECK (store_outbox_pending_kinds (store, "tryggest", 1u << 1, 10, s_seen, &seen) == 1
           && seen.count == 1, s_case ("pending of its kinds: the concern is there"));
    memset (&seen, 0, sizeof seen);
    CHECK (store_outbox_pending_kinds (store, "tryggest", 1u << 2, 10, s_seen, &seen) == 0,
           s_case ("pending of other kinds: nothing"));

    //  Receipts: outstanding -> received, then already received.
    CHECK (store_begin (store) == 0 && store_outbox_mark_sent (store, d1, 2000) == 0
           && store_commit (store) == 0, s_case ("marked sent"));
    CHECK (store_outbox_inflight (store, "tryggest") == 1, s_case ("one in flight"));
    int64_t before = store_changes_total (store);
    CHECK (store_begin (store) == 0, s_case ("begin"));
    CHECK (store_outbox_receipt (store, d1, "tryggest", OUTBOX_RECEIVED, 2100) == 2,
           s_case ("a receipt for an outstanding entry says 2"));
    CHECK (store_outbox_receipt (store, d1, "tryggest", OUTBOX_READ, 2200) == 1,
           s_case ("then it was already received: 1"));
    CHECK (store_outbox_receipt (store, d1, "politi-risk", OUTBOX_READ, 2200) == 0,
           s_case ("another node's receipt for it: 0"));
    CHECK (store_commit (store) == 0 && store_changes_total (store) > before,
           s_case ("receipts commit and count as changes"));
    CHECK (store_message_any_read (store, m.message) == 1, s_case ("the message was read"));
    CHECK (store_message_read_by (store, m.message, 1u << 2) == 1
           && store_message_read_by (store, m.message, 0x1e & ~(1u << 2)) == 0,
           s_case ("read by a node of agency 2: counted for a set with 2, not for one without"));
    before = store_changes_total (store);
    memset (&seen, 0, sizeof seen);
    CHECK (store_inbox (store, "tryggest", true, 0, 10, s_seen, &seen) == 1
           && store_inbox (store, "tryggest", false, 0, 10, s_seen, &seen) == 0,
           s_case ("the inbox shows read entries only when asked"));
    CHECK (store_changes_total (store) == before, s_case ("reads change nothing"));

    //  Dead letters and expiry through the named queries.
    CHECK (store_begin (store) == 0 && store_outbox_set_state (store, d2, OUTBOX_DEAD, true) == 0
           && store_commit (store) == 0, s_case ("an entry is made dead"));
    memset (&seen, 0, sizeof seen);
    CHECK (store_dead_letters (store, 0, 10, s_seen, &seen) == 1 && seen.ids [0] == d2
           && store_dead_letter (store, d2, s_seen, &seen) == 1
           && store_dead_letter (store, d1, s_seen, &seen) == 0,
           s_case ("dead letters listed, one found by id, a live one not"));
    //  More dead letters than asked for: the newest are listed (the oldest
    //  were, and new ones past the limit could never be requeued).
    CHECK (store_begin (store) == 0 && store_outbox_set_state (store, d1, OUTBOX_DEAD, false) == 0
           && store_commit (store) == 0, s_case ("an older entry is made dead too"));
    memset (&seen, 0, sizeof seen);
    CHECK (store_dead_letters (store, 0, 1, s_seen, &seen) == 1 && seen.ids [0] == d2,
           s_case ("dead letters past the limit: the newest is listed"));
    CHECK (store_begin (store) == 0 && store_outbox_set_state (store, d1, OUTBOX_READ, false) == 0
           && store_commit (store) == 0, s_case ("the older entry is read again"));
    CHECK (store_begin (store) == 0 && store_outbox_set_state (store, d2, OUTBOX_PENDING, true) == 0
           && store_commit (store) == 0, s_case ("requeued"));
    memset (&seen, 0, sizeof seen);
    CHECK (store_outbox_expiring (store, 4000, 6000, 10, s_seen, &seen) == 1 && seen.ids [0] == d2
           && store_outbox_expiring (store, 5000, 6000, 10, s_seen, &seen) == 0,
           s_case ("expiring in (after, until]: the outstanding entry, once"));

    //  One failed write fails the whole batch: the first insert is gone too.
    uint8_t id2 [16] = { 1, 2, 3 };
    store_message_t m2;
    s_message (&m2, key, id2, subject, "x", 1);
    store_plan_rev_t rev = { .revision = 1, .base = 0, .edited_by = "koordinator",
                             .edited_at = 3000, .changes = "first" };
    CHECK (store_begin (store) == 0 && store_message_insert (store, &m2) == 0,
           s_case ("a second message in a new batch"));
    rev.message = m2.message;
    CHECK (store_plan_revision_insert (store, subject, &rev) == 0, s_case ("revision 1 stored"));
    //  sqlite refuses it at once; PostgreSQL's pipeline answers it when the
    //  batch's answers are next read (here: asking for a change count).
    int dup = store_plan_revision_insert (store, subject, &rev);
    CHECK (dup == -1 || store_remote (store), s_case ("revision 1 again is refused (unique)"));
    store_changes (store);
    CHECK (store_batch_failed (store), s_case ("the batch is marked failed"));
    CHECK (store_commit (store) == -1, s_case ("its commit fails"));
    CHECK (store_idem_rebuild (store) == 0
           && store_message_find (store, key, id2, &result, &result_size) == 0,
           s_case ("nothing of the failed batch is stored"));
    store_plan_rev_t cur;
    CHECK (store_plan_current (store, subject, &cur) == 0, s_case ("no plan revision either"));
    //  ... and the store works on.
    CHECK (store_begin (store) == 0 && store_message_insert (store, &m2) == 0
           && (rev.message = m2.message, store_plan_revision_insert (store, subject, &rev) == 0)
           && store_commit (store) == 0, s_case ("the next batch commits"));
    CHECK (store_plan_current (store, subject, &cur) == 1 && cur.revision == 1
           && streq (cur.edited_by, "koordinator") && !cur.purged,
           s_case ("the plan revision reads back"));

    //  Timers and meta.
    CHECK (store_begin (store) == 0
           && store_timer_set (store, "escalate", id, 16, m.message, 4000, 60000) == 0
           && store_timer_set (store, "escalate", id, 16, m.message, 4500, 60000) == 0
           && store_commit (store) == 0, s_case ("a timer set twice is one timer"));
    store_timer_t due [4];
    CHECK (store_timers_due (store, 4400, due, 4) == 0, s_case ("not due before its time"));
    int n = store_timers_due (store, 4500, due, 4);
    CHECK (n == 1 && due [0].due_ms == 4500 && due [0].key_size == 16 && memcmp (due [0].key, id, 16) == 0,
           s_case ("due at its time, key intact"));
    CHECK (n == 1 && store_begin (store) == 0
           && store_timer_reschedule (store, due [0].id, -1, 0) == 0 && store_commit (store) == 0
           && store_timer_exists (store, "escalate", id, 16) == 0,
           s_case ("a timer rescheduled below zero is gone"));
    int64_t value = 0;
    CHECK (store_begin (store) == 0 && store_meta_set_int (store, "expiry_checked_ms", 1LL << 42) == 0
           && store_meta_set_int (store, "expiry_checked_ms", (1LL << 42) + 1) == 0
           && store_commit (store) == 0
           && store_meta_get_int (store, "expiry_checked_ms", &value) == 1 && value == (1LL << 42) + 1,
           s_case ("meta keeps a 64-bit value, last write wins"));

    //  Registry: INSERT OR IGNORE of a case reference, text not valid UTF-8.
    CHECK (store_begin (store) == 0
           && registry_case_ref_put (registry, 2, "SAK-\xff\xfe-1", subject) == 0
           && registry_case_ref_put (registry, 2, "SAK-\xff\xfe-1", subject) == 0
           && store_commit (store) == 0,
           s_case ("a case reference stored twice (ignored), odd bytes and all"));

    //  Audit: appended in the batch, the chain verifies.
    audit_record_t r = { .event = "submitted", .message_id = id, .sender = "vakt",
                         .detail = "author=Testa Testesen" };
    CHECK (store_begin (store) == 0 && audit_append (audit, &r, 3000) == 0
           && audit_append (audit, &r, 3001) == 0 && store_commit (store) == 0,
           s_case ("audit records appended in a batch"));
    int64_t records = 0;
    char problem [512] = "";
    CHECK (audit_verify (store, NULL, NULL, &records, problem, sizeof problem) == 0 && records == 2,
           s_case ("the audit chain verifies"));

    //  who-received: a "delivered" record followed by its delivery_not_sent
    //  is left out; receipts (for the same node and delivery) confirm.
    struct { const char *event, *node, *detail; } fates [] = {
        { "delivered", "politi-risk", "delivery 7 attempt 1" },
        { "delivered", "politi-risk", "delivery 8 attempt 1" },
        { "delivery_not_sent", "politi-risk", "delivery 8 attempt 1: the connection did not take it" },
        { "delivered", "politi-risk", "delivery 9 attempt 1" },
        { "delivered", "politi-risk", "delivery 8 attempt 1" },
        { "delivered", "politi-risk", "delivery 9 attempt 2" },
        { "delivery_not_sent", "politi-risk", "delivery 9 attempt 2: the connection did not take it" },
        { "shown", "tryggest", "inbox: delivery 10" },
        { "receipt", "politi-risk", "delivery 7 read" },
        { "receipt", "politi-risk", "delivery 8 received" },
        { "receipt", "tryggest", "delivery 9 read" },
        { "late_receipt", "tryggest", "delivery 10 received after it expired" },
        //  Inbox answers the connection did not take: two shown in one
        //  cycle, both refused; and one alone.
        { "shown", "tryggest", "inbox: delivery 11" },
        { "shown", "tryggest", "inbox: delivery 11" },
        { "delivery_not_sent", "tryggest", "inbox: delivery 11: the connection did not take the answer" },
        { "delivery_not_sent", "tryggest", "inbox: delivery 11: the connection did not take the answer" },
        { "shown", "tryggest", "inbox: delivery 12" },
        { "delivery_not_sent", "tryggest", "inbox: delivery 12: the connection did not take the answer" },
    };
    bool appended = store_begin (store) == 0;
    for (size_t i = 0; appended && i < sizeof fates / sizeof fates [0]; i++) {
        audit_record_t f = { .event = fates [i].event, .message_id = id, .node = fates [i].node,
                             .subject_key = subject, .detail = fates [i].detail };
        appended = audit_append (audit, &f, 3100 + (int64_t) i) == 0;
    }
    CHECK (appended && store_commit (store) == 0, s_case ("delivery fates appended"));
    received_t got;
    memset (&got, 0, sizeof got);
    int n_received = audit_who_received (store, subject, s_received, &got);
    CHECK (n_received == 4
           && got.count == 4
           && streq (got.rows [0], "delivery 7 attempt 1 read")
           && streq (got.rows [1], "delivery 9 attempt 1 -")
           && streq (got.rows [2], "delivery 8 attempt 1 received")
           && streq (got.rows [3], "inbox: delivery 10 received"),
           s_case ("who-received: only handed-over deliveries, each with the node's receipt"));
    //  A plan query that showed her plan (identified or pseudonymised) is
    //  listed; one that showed nothing (withheld, no plan) is not.
    //  Views as in samhand.v1.View: 1 identified, 2 pseudonymised, 4 withheld.
    struct { const char *node; int view; const char *detail; } plans [] = {
        { "politi-risk", 1, "plan revision 3 shown" },
        { "tryggest", 2, "plan revision 2 shown" },
        { "krisesenter", 4, "plan revision 3 shown" },
        { "krisesenter", 4, "no such plan revision: nothing shown" },
    };
    appended = store_begin (store) == 0;
    for (size_t i = 0; appended && i < sizeof plans / sizeof plans [0]; i++) {
        audit_record_t f = { .event = "plan_shown", .node = plans [i].node,
                             .agency = 3, .view = plans [i].view, .rule = "FVL13A1-CONSENT",
                             .subject_key = subject, .detail = plans [i].detail };
        appended = audit_append (audit, &f, 3200 + (int64_t) i) == 0;
    }
    memset (&got, 0, sizeof got);
    n_received = appended && store_commit (store) == 0
               ? audit_who_received (store, subject, s_received, &got): -1;
    CHECK (n_received == 6 && streq (got.rows [3], "inbox: delivery 10 received")
           && streq (got.rows [4], "plan revision 3 shown -")
           && streq (got.rows [5], "plan revision 2 shown -"),
           s_case ("who-received: plan queries that showed her plan are listed, not those"
                   " that showed nothing"));

    //  Retention: the payload is dropped, outstanding entries expire.
    CHECK (store_begin (store) == 0, s_case ("begin purge"));
    int purged = store_purge_due (store, 1, 1500, 10, s_purge_cb, store);
    CHECK (purged == 2 && store_commit (store) == 0, s_case ("both messages purged"));
    CHECK (store_checkpoint (store) == 0, s_case ("checkpoint after the purge"));
    memset (&seen, 0, sizeof seen);
    CHECK (store_outbox_pending (store, "politi-risk", 10, s_seen, &seen) == 0,
           s_case ("purged messages leave the outbox"));
    CHECK (store_plan_current (store, subject, &cur) == 1 && cur.purged,
           s_case ("the plan revision says its content is purged"));

    //  A person with more consents than a decision reads (32): the newest
    //  are read. The oldest were, so a consent granted after the 32nd
    //  (renewed monthly for three years) was never in any decision.
    uint8_t many [32];
    memset (many, 0x5a, sizeof many);
    bool granted = store_begin (store) == 0;
    for (int i = 0; granted && i < 33; i++) {
        registry_consent_t c;
        memset (&c, 0, sizeof c);
        snprintf (c.id, sizeof c.id, "c-%012d", i);
        memcpy (c.subject_key, many, 32);
        c.agencies = 1u << 3;
        c.classes = 1u << 1;
        snprintf (c.purposes_text, sizeof c.purposes_text, "risk_management");
        c.valid_from = 1000;
        c.valid_until = 4000000000LL;
        c.form = 1;
        snprintf (c.recorded_by, sizeof c.recorded_by, "koordinator");
        c.recorded_at = 1000 + i;
        granted = registry_consent_insert (registry, &c) == 0;
    }
    CHECK (granted && store_commit (store) == 0, s_case ("33 consents for one person"));
    registry_consent_t *read = calloc (32, sizeof *read);
    int n_read = read? registry_consents_for (registry, many, read, 32): -1;
    bool newest = false, purposes = n_read > 0;
    for (int i = 0; i < n_read; i++) {
        newest = newest || streq (read [i].id, "c-000000000032");
        purposes = purposes && read [i].n_purposes == 1
                && read [i].purposes [0] == read [i].purposes_text
                && streq (read [i].purposes [0], "risk_management");
    }
    CHECK (n_read == 32 && newest, s_case ("consents past 32: the newest is read"));
    CHECK (n_read == 32 && streq (read [0].id, "c-000000000001")
           && streq (read [31].id, "c-000000000032") && purposes,
           s_case ("consents: listed oldest first, each with its own purposes"));
    free (read);

    audit_destroy (&audit);
    registry_destroy (&registry);
    store_destroy (&store);

    //  Reopen: nothing created, and schema versions.
    store = store_new (target);
    CHECK (store && !store_was_created (store), s_case ("it reopens as an existing store"));
    store_destroy (&store);
    sdb_t *db = sdb_open (target, false);
    CHECK (db && sdb_schema_version (db) == 3, s_case ("the schema is stamped version 3"));
    //  As a version 1 store was: no sealed assessor (migration 2), no
    //  recording agency (3).
    CHECK (db && sdb_exec (db, V1_CONSENTS) == SDB_OK
              && sdb_set_schema_version (db, 1) == 0,
           s_case ("made a version 1 store (consents without capacity_sealed, recorded_agency)"));
    sdb_close (&db);
    store = store_new (target);
    CHECK (store != NULL, s_case ("a version 1 store opens"));
    store_destroy (&store);
    db = sdb_open (target, false);
    sdb_stmt_t *probe = NULL;
    CHECK (db && sdb_schema_version (db) == 3
              && sdb_prepare (db, "SELECT capacity_sealed, recorded_agency FROM consents",
                              &probe) == SDB_OK,
           s_case ("and is upgraded to version 3, consents with capacity_sealed, recorded_agency"));
    sdb_finalize (probe);
    CHECK (db && sdb_exec (db, V1_CONSENTS) == SDB_OK
              && sdb_set_schema_version (db, 0) == 0, s_case ("stamped back to 0 (an old store)"));
    sdb_close (&db);
    store = store_new (target);
    CHECK (store != NULL, s_case ("an old store opens"));
    store_destroy (&store);
    db = sdb_open (target, false);
    CHECK (db && sdb_schema_version (db) == 3, s_case ("and is upgraded to version 3"));
    CHECK (db && sdb_set_schema_version (db, 99) == 0, s_case ("stamped 99 (a newer samhandd's)"));
    sdb_close (&db);
    store = store_new (target);
    CHECK (store == NULL, s_case ("a newer schema is refused"));
    store_destroy (&store);
    store = store_new_reader (target);
    CHECK (store == NULL, s_case ("the reader refuses it too"));
    store_destroy (&store);
}

int
main (void)
{
    zsys_init ();
    zsys_set_logstream (NULL);
    char dir [] = "/tmp/samhand-test-store-XXXXXX";
    if (!mkdtemp (dir))
        return 1;
    char path [128];
    snprintf (path, sizeof path, "%s/samhand.db", dir);
    snprintf (s_label, sizeof s_label, "sqlite");
    s_run_cases (path);
    struct stat st;
    CHECK (stat (path, &st) == 0 && (st.st_mode & 0777) == 0600, "sqlite: the store file is 0600");
    char cmd [200];
    snprintf (cmd, sizeof cmd, "rm -rf %s", dir);
    if (system (cmd) != 0)
        fprintf (stderr, "cannot remove %s\n", dir);

    const char *base = getenv ("SAMHAND_TEST_STORE");
    if (base && *base) {
        char db [64], sql [128];
        snprintf (db, sizeof db, "samhand_store_%d", (int) getpid ());
        snprintf (sql, sizeof sql, "CREATE DATABASE %s", db);
        CHECK (s_pg_admin (base, sql) == 0, "postgresql: a database for the test");
        char *target = zsys_sprintf ("%s dbname=%s", base, db);
        snprintf (s_label, sizeof s_label, "postgresql");
        s_run_cases (target);
        zstr_free (&target);
        snprintf (sql, sizeof sql, "DROP DATABASE %s WITH (FORCE)", db);
        CHECK (s_pg_admin (base, sql) == 0, "postgresql: the test database is dropped");
    }
    else
        printf ("SKIP postgresql: no server named in SAMHAND_TEST_STORE\n");
    return TEST_DONE ();
}
