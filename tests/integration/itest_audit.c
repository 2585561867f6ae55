/*  itest_audit — who saw what: the hash-chained audit log (tamper
    detection, online and offline verification, who-received, export),
    encryption at rest (no personal data in the database or WAL files),
    key rotation and re-encryption, retention purge, key file modes.
    Everything here is invented.                                          */
#include "harness.h"
#include "testlib.h"
#include <signal.h>
#include <sys/stat.h>

#define NAME   "Kari Testesen"
#define NID    "01019012057"
#define PHONE  "41234567"
#define TEXT   "Invented: ekspartner venter utenfor hybelen"

static bool
s_file_contains (const char *path, const char *needle)
{
    FILE *f = fopen (path, "rb");
    if (!f)
        return false;
    fseek (f, 0, SEEK_END);
    long size = ftell (f);
    fseek (f, 0, SEEK_SET);
    char *buf = (char *) malloc ((size_t) size + 1);
    size_t n = buf? fread (buf, 1, (size_t) size, f): 0;
    fclose (f);
    bool found = buf && memmem (buf, n, needle, strlen (needle)) != NULL;
    free (buf);
    return found;
}

static Samhand__V1__Frame *
s_submit_concern (hclient_t *c)
{
    Samhand__V1__Submit submit;
    Samhand__V1__ConcernReport concern;
    Samhand__V1__Subject subject;
    uint8_t id [16];
    harness_concern (&submit, &concern, &subject, TEXT);
    subject.address = "Oppdiktet gate 7";
    harness_new_id (&submit, id);
    return hclient_submit (c, &submit, 3000);
}

static Samhand__V1__Frame *
s_audit (hclient_t *c, const char *query, const char *nid, int64_t since)
{
    Samhand__V1__Frame frame = SAMHAND__V1__FRAME__INIT;
    Samhand__V1__AuditQuery q = SAMHAND__V1__AUDIT_QUERY__INIT;
    Samhand__V1__Subject subject = SAMHAND__V1__SUBJECT__INIT;
    q.query = (char *) query;
    if (nid) {
        subject.national_id = (char *) nid;
        q.subject = &subject;
    }
    q.since = since;
    frame.command_case = SAMHAND__V1__FRAME__COMMAND_AUDIT_QUERY;
    frame.audit_query = &q;
    hclient_send (c, &frame);
    return hclient_expect (c, SAMHAND__V1__FRAME__COMMAND_AUDIT_REPLY, 5000);
}

static char *
s_samhandd (harness_t *h, const char *option, int *status)
{
    char cmd [600];
    snprintf (cmd, sizeof cmd, "%s/samhandd %s -c %s 2>&1", harness_build (), option, h->config);
    return harness_run (cmd, status);
}



static void
test_at_rest_and_queries (harness_t *h)
{
    hclient_t *vakt = hclient_new (h, "vakt");
    hclient_t *police = hclient_new (h, "politi-risk");
    hclient_t *admin = hclient_new (h, "admin");
    Samhand__V1__Frame *f = hclient_subscribe (police, 3000);
    frame_free (&f);
    for (int i = 0; i < 3; i++) {
        f = s_submit_concern (vakt);
        frame_free (&f);
    }
    CHECK (hclient_drain (police, 1000) == 3, "police received three concerns");

    const char *secrets [] = { NAME, NID, PHONE, "ekspartner", "Oppdiktet gate" };
    bool clean = true;
    for (int i = 0; i < 5; i++)
        clean = clean && harness_store_contains (h, secrets [i]) == 0;
    CHECK (clean, "while running, the database and WAL hold no name, number, phone, address or text");

    f = s_audit (admin, "who-received", NID, 0);
    int police_rows = 0;
    for (size_t i = 0; f && i < f->audit_reply->n_entries; i++)
        police_rows += streq (f->audit_reply->entries [i]->node, "politi-risk")
                    && *f->audit_reply->entries [i]->rule;
    CHECK (f && f->audit_reply->ok && police_rows == 3,
           "who-received lists each delivery to the police with its rule");
    frame_free (&f);

    hclient_t *coord = hclient_new (h, "koordinator");
    f = s_audit (coord, "verify", NULL, 0);
    CHECK (f && f->audit_reply->error
             && f->audit_reply->error->code == SAMHAND__V1__ERROR_CODE__NOT_PERMITTED,
           "a non-admin node may not query the audit log");
    frame_free (&f);
    hclient_destroy (&coord);

    f = s_audit (admin, "verify", NULL, 0);
    CHECK (f && f->audit_reply->intact && f->audit_reply->records >= 6,
           "samhand audit verify: the live chain is intact");
    frame_free (&f);

    f = s_audit (admin, "export", NULL, 0);
    int queries = 0, delivered = 0;
    for (size_t i = 0; f && i < f->audit_reply->n_entries; i++) {
        queries += streq (f->audit_reply->entries [i]->event, "admin_query");
        delivered += streq (f->audit_reply->entries [i]->event, "delivered");
    }
    CHECK (queries >= 2 && delivered >= 3, "export returns the records, audit queries among them");
    frame_free (&f);
    hclient_destroy (&admin);
    hclient_destroy (&police);
    hclient_destroy (&vakt);
}

static int
s_count_events (hclient_t *admin, const char *event, const char *detail_part)
{
    Samhand__V1__Frame *f = s_audit (admin, "export", NULL, 0);
    int n = 0;
    for (size_t i = 0; f && i < f->audit_reply->n_entries; i++)
        n += streq (f->audit_reply->entries [i]->event, event)
          && strstr (f->audit_reply->entries [i]->detail, detail_part) != NULL;
    frame_free (&f);
    return n;
}

//  SIGHUP reloads what may change in flight; a bad file changes nothing.
static void
test_reload (harness_t *h)
{
    hclient_t *admin = hclient_new (h, "admin");
    char backup [700];
    snprintf (backup, sizeof backup, "cp '%s' '%s.orig'", h->config, h->config);
    if (system (backup) != 0)
        fprintf (stderr, "cannot back up the config\n");
    FILE *f = fopen (h->config, "a");
    if (f) {
        fprintf (f, "ttl\n    alert = \"1d\"\n");
        fclose (f);
    }
    kill (h->pid, SIGHUP);
    zclock_sleep (700);
    CHECK (s_count_events (admin, "config_reloaded", "reloaded") == 1,
           "SIGHUP reloads the configuration, and the reload is audited");
    f = fopen (h->config, "a");
    if (f) {
        fprintf (f, "limits\n    max_outbox = lots\n");
        fclose (f);
    }
    kill (h->pid, SIGHUP);
    zclock_sleep (700);
    Samhand__V1__Frame *pong = hclient_ping (admin, 2000);
    CHECK (pong && s_count_events (admin, "config_reloaded", "refused") == 1,
           "a broken config on SIGHUP is refused and audited; the broker keeps running");
    frame_free (&pong);
    snprintf (backup, sizeof backup, "mv '%s.orig' '%s'", h->config, h->config);
    if (system (backup) != 0)
        fprintf (stderr, "cannot restore the config\n");
    hclient_destroy (&admin);
}

static void
test_tampering (harness_t *h)
{
    CHECK (harness_stop (h, SIGTERM) == 0, "broker stopped for the offline checks");
    const char *secrets [] = { NAME, NID, PHONE, "ekspartner" };
    bool clean = true;
    for (int i = 0; i < 4; i++)
        clean = clean && harness_store_contains (h, secrets [i]) == 0;
    CHECK (clean, "after the run, the database file holds no personal data");
    int status = -1;
    char *out = s_samhandd (h, "--verify-audit", &status);
    CHECK (status == 0 && out && strstr (out, "intact"), "an untouched store verifies offline");
    free (out);
    //  The pristine log is kept in a table beside it, put back before each
    //  case (the same SQL on either backend).
    CHECK (harness_sql_exec (h, "CREATE TABLE audit_pristine AS SELECT * FROM audit") == 0,
           "the untouched log is copied aside");

    struct { const char *sql; const char *expect; const char *name; } cases [] = {
        { "UPDATE audit SET detail = 'x' WHERE seq = 5", "record 5",
          "a changed record is found and named" },
        { "DELETE FROM audit WHERE seq = 7", "record 7",
          "a removed record is found and named" },
        { "UPDATE audit SET seq = -3 WHERE seq = 3; UPDATE audit SET seq = 3 WHERE seq = 4;"
          " UPDATE audit SET seq = 4 WHERE seq = -3", "record 3",
          "reordered records are found and named" },
        { "DELETE FROM audit WHERE seq = (SELECT max (seq) FROM audit)", "cut off",
          "a log cut off after its signed head is found" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        harness_sql_exec (h, "DELETE FROM audit; INSERT INTO audit SELECT * FROM audit_pristine;");
        harness_sql_exec (h, cases [i].sql);
        out = s_samhandd (h, "--verify-audit", &status);
        CHECK (status == 1 && out && strstr (out, "BROKEN") && strstr (out, cases [i].expect),
               cases [i].name);
        free (out);
    }
    CHECK (harness_sql_exec (h, "DELETE FROM audit; INSERT INTO audit SELECT * FROM audit_pristine;"
                                " DROP TABLE audit_pristine;") == 0, "the untouched log is put back");
}

static void
test_rotation (harness_t *h)
{
    int status = -1;
    char *out = s_samhandd (h, "--rotate-key", &status);
    CHECK (status == 0 && out && strstr (out, "data key 2"), "rotate-key makes data key 2");
    free (out);
    CHECK (harness_start (h) == 0, "broker restarts with two data keys");
    hclient_t *vakt = hclient_new (h, "vakt");
    Samhand__V1__Frame *f = s_submit_concern (vakt);
    CHECK (f && f->submit_result->accepted, "new data is accepted under the new key");
    frame_free (&f);
    hclient_destroy (&vakt);
    //  The police have one new concern waiting, and old ones are delivered.
    out = s_samhandd (h, "--reencrypt", &status);
    CHECK (status != 0 && out && strstr (out, "stop samhandd"), "re-encryption refuses while the broker runs");
    free (out);
    CHECK (harness_stop (h, SIGTERM) == 0, "broker stopped for re-encryption");
    out = s_samhandd (h, "--reencrypt", &status);
    CHECK (status == 0 && out && strstr (out, "re-encrypted under data key 2"),
           "re-encryption moves old data to key 2");
    free (out);
    //  Content is sealed under period keys (crypto-shredding), whose ids
    //  have the top bit set: a data key rotation leaves them where they are.
    int64_t old = harness_sql_int (h, harness_pg (h)
        ? "SELECT count(*) FROM messages WHERE payload IS NOT NULL"
          " AND encode (substring (payload from 2 for 4), 'hex') = '00000001'"
        : "SELECT count(*) FROM messages WHERE payload IS NOT NULL"
          " AND hex (substr (payload, 2, 4)) = '00000001'");
    CHECK (old == 0, "no payload is left under the old key");
    int64_t period = harness_sql_int (h, harness_pg (h)
        ? "SELECT count(*) FROM messages WHERE payload IS NOT NULL"
          " AND get_byte (payload, 1) >= 128"
        : "SELECT count(*) FROM messages WHERE payload IS NOT NULL"
          " AND substr (hex (payload), 3, 1) >= '8'");
    int64_t live = harness_sql_int (h, "SELECT count(*) FROM messages WHERE payload IS NOT NULL");
    CHECK (live > 0 && period == live, "every payload stays under its period key");
    CHECK (harness_start (h) == 0, "broker starts after re-encryption");
    hclient_t *police = hclient_new (h, "politi-risk");
    f = hclient_subscribe (police, 3000);
    frame_free (&f);
    f = hclient_expect (police, SAMHAND__V1__FRAME__COMMAND_DELIVER, 3000);
    CHECK (f && f->deliver->concern && f->deliver->concern->case_ref
             && *f->deliver->concern->case_ref,
           "re-encrypted mail is still delivered");
    frame_free (&f);
    hclient_drain (police, 500);
    hclient_destroy (&police);
    CHECK (harness_stop (h, SIGTERM) == 0, "clean stop");
}

static void
test_key_mode (harness_t *h)
{
    char path [400];
    snprintf (path, sizeof path, "%s/keys/subject.key", h->dir);
    chmod (path, 0644);
    CHECK (harness_start (h) != 0, "samhandd refuses to start when a key file is readable by others");
    snprintf (path, sizeof path, "%s/samhandd.log", h->dir);
    CHECK (s_file_contains (path, "readable"), "and says which file and why");
    snprintf (path, sizeof path, "%s/keys/subject.key", h->dir);
    chmod (path, 0600);
}

static void
test_retention (void)
{
    harness_t *h = harness_new ("retention\n    case_discussion = 2s\n    check_every = 1\n");
    CHECK (h && harness_start (h) == 0, "broker with 2 s discussion retention starts");
    hclient_t *coord = hclient_new (h, "koordinator");
    Samhand__V1__Submit submit;
    Samhand__V1__CaseDiscussion d;
    uint8_t id [16];
    harness_discussion (&submit, &d, "Invented: drøfting om oppfølging av en bruker som uteblir");
    harness_new_id (&submit, id);
    Samhand__V1__Frame *f = hclient_submit (coord, &submit, 3000);
    CHECK (f && f->submit_result->accepted, "discussion accepted, nobody online to receive it");
    frame_free (&f);
    zclock_sleep (3500);
    hclient_t *team = hclient_new (h, "tryggest");
    f = hclient_subscribe (team, 3000);
    frame_free (&f);
    f = hclient_expect (team, SAMHAND__V1__FRAME__COMMAND_DELIVER, 1500);
    CHECK (f == NULL, "past retention, the undelivered discussion is gone");
    frame_free (&f);
    hclient_t *admin = hclient_new (h, "admin");
    f = s_audit (admin, "export", NULL, 0);
    int purged = 0;
    for (size_t i = 0; f && i < f->audit_reply->n_entries; i++)
        purged += streq (f->audit_reply->entries [i]->event, "purged");
    CHECK (purged == 1, "the purge is audited");
    frame_free (&f);
    hclient_destroy (&admin);
    hclient_destroy (&team);
    hclient_destroy (&coord);
    harness_stop (h, SIGTERM);
    int64_t left = harness_sql_int (h, "SELECT count(*) FROM messages WHERE payload IS NOT NULL");
    CHECK (left == 0, "no payload is left in the store after the purge");
    harness_destroy (&h);
}

int
main (void)
{
    zsys_init ();
    zsys_set_linger (0);
    harness_t *h = harness_new ("audit\n    sign_every = 1\n");
    CHECK (h && harness_start (h) == 0, "samhandd starts");
    if (!h)
        return 1;
    test_at_rest_and_queries (h);
    test_reload (h);
    test_tampering (h);
    test_rotation (h);
    test_key_mode (h);
    harness_destroy (&h);
    test_retention ();
    return TEST_DONE ();
}
