/*  itest_audit2 — audit integrity and the broker's files: a truncated
    audit log is found through signed heads witnessed outside the store
    (the log, and the admin node's own file); a damaged page is reported
    as damage, not as truncation; refused handshakes are counted, not
    written one by one; an idle broker writes nothing; the broker's
    secret certificate must be private and its store is created 0600.
    Everything here is invented.                                          */
#include "harness.h"
#include "testlib.h"
#include <signal.h>
#include <sys/stat.h>

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

static int
s_mode (harness_t *h, const char *name)
{
    char path [400];
    snprintf (path, sizeof path, "%s/%s", h->dir, name);
    struct stat st;
    return stat (path, &st) == 0? (int) (st.st_mode & 07777): -1;
}

static Samhand__V1__Frame *
s_submit_concern (hclient_t *c, const char *text)
{
    Samhand__V1__Submit submit;
    Samhand__V1__ConcernReport concern;
    Samhand__V1__Subject subject;
    uint8_t id [16];
    harness_concern (&submit, &concern, &subject, text);
    harness_new_id (&submit, id);
    return hclient_submit (c, &submit, 3000);
}

//  The server's secret certificate must be private; the store, its WAL
//  and SHM are made 0600 even under umask 022.
static void
test_files (void)
{
    harness_t *h = harness_new (NULL);
    CHECK (h != NULL, "installation for the file checks");
    if (!h)
        return;
    char path [400];
    snprintf (path, sizeof path, "%s/server.cert_secret", h->dir);
    chmod (path, 0644);
    int started = harness_start (h);
    CHECK (started != 0, "samhandd refuses to start when server.cert_secret is readable by others");
    if (started == 0)
        harness_stop (h, SIGTERM);
    snprintf (path, sizeof path, "%s/samhandd.log", h->dir);
    CHECK (s_file_contains (path, "server.cert_secret is readable by group and others"),
           "and the log names the file and why");
    CHECK (harness_pg (h) || s_mode (h, "samhand.db") == -1, "nothing was created before the refusal");
    snprintf (path, sizeof path, "%s/server.cert_secret", h->dir);
    chmod (path, 0600);
    mode_t old = umask (022);
    CHECK (harness_start (h) == 0, "with a private server.cert_secret it starts (umask 022)");
    umask (old);
    hclient_t *vakt = hclient_new (h, "vakt");
    Samhand__V1__Frame *f = s_submit_concern (vakt, "Invented: bekymring om en oppdiktet bruker");
    CHECK (f && f->submit_result->accepted, "a submit is stored");
    frame_free (&f);
    hclient_destroy (&vakt);
    if (harness_pg (h))
        printf ("SKIP store file modes: PostgreSQL keeps its own files\n");
    else {
        CHECK (s_mode (h, "samhand.db") == 0600, "the store is created 0600");
        CHECK (s_mode (h, "samhand.db-wal") == 0600, "its WAL is 0600");
        CHECK (s_mode (h, "samhand.db-shm") == 0600, "its SHM is 0600");
    }
    harness_destroy (&h);
}

//  An idle broker writes nothing: no commit, no WAL growth, no change of
//  the database files, while timers, expiry and signing run every second.
static void
test_idle (void)
{
    harness_t *h = harness_new ("audit\n    sign_every = 1\nworkflow\n    tick = \"1s\"\nretention\n    check_every = 1\n");
    CHECK (h && harness_start (h) == 0, "broker for the idle check starts");
    if (!h)
        return;
    if (harness_pg (h)) {
        //  The sqlite files are watched here; on PostgreSQL an idle cycle
        //  sends nothing at all (the transaction begins at its first
        //  statement), which test_store checks through the change count.
        printf ("SKIP idle writes: watched through the sqlite files\n");
        harness_destroy (&h);
        return;
    }
    hclient_t *vakt = hclient_new (h, "vakt");
    Samhand__V1__Frame *f = s_submit_concern (vakt, "Invented: bekymring før stillheten");
    frame_free (&f);
    hclient_destroy (&vakt);
    char db [400], wal [400];
    snprintf (db, sizeof db, "%s/samhand.db", h->dir);
    snprintf (wal, sizeof wal, "%s/samhand.db-wal", h->dir);
    //  The work after the submit is done (the head signed over it, the
    //  expiry mark moved) once the files have been still for 3 s; a broker
    //  that kept writing never gets there (bounded: 60 s, then measured
    //  all the same and found writing).
    struct stat before_db, before_wal, after_db, after_wal;
    int rc = stat (db, &before_db) | stat (wal, &before_wal);
    int64_t deadline = zclock_mono () + 60000, still_since = zclock_mono ();
    while (zclock_mono () < deadline && zclock_mono () - still_since < 3000) {
        zclock_sleep (100);
        struct stat db_now, wal_now;
        rc = stat (db, &db_now) | stat (wal, &wal_now);
        if (db_now.st_size != before_db.st_size || wal_now.st_size != before_wal.st_size
        ||  memcmp (&db_now.st_mtim, &before_db.st_mtim, sizeof db_now.st_mtim)
        ||  memcmp (&wal_now.st_mtim, &before_wal.st_mtim, sizeof wal_now.st_mtim)) {
            before_db = db_now;
            before_wal = wal_now;
            still_since = zclock_mono ();
        }
    }
    CHECK (harness_sql_int (h, "SELECT (SELECT max(seq) FROM audit_heads)"
                               " = (SELECT max(seq) FROM audit)") == 1,
           "after the submit the broker signed a head over its records");
    zclock_sleep (5000);
    rc |= stat (db, &after_db) | stat (wal, &after_wal);
    CHECK (rc == 0, "database and WAL exist");
    printf ("# idle 5 s: WAL %lld -> %lld bytes\n", (long long) before_wal.st_size,
            (long long) after_wal.st_size);
    CHECK (after_wal.st_size == before_wal.st_size
        && after_wal.st_mtim.tv_sec == before_wal.st_mtim.tv_sec
        && after_wal.st_mtim.tv_nsec == before_wal.st_mtim.tv_nsec,
           "an idle broker does not write to its WAL for 5 s");
    CHECK (after_db.st_size == before_db.st_size
        && after_db.st_mtim.tv_sec == before_db.st_mtim.tv_sec
        && after_db.st_mtim.tv_nsec == before_db.st_mtim.tv_nsec,
           "nor to its database file");
    harness_destroy (&h);
}

static char *
s_run (const char *format, const char *a, const char *b, int *status)
{
    char cmd [1600];
    snprintf (cmd, sizeof cmd, format, a, b);
    return harness_run (cmd, status);
}

//  The admin CLI of this installation, without a config file: its
//  witness file is then nodes/admin.audit_head, beside its certificate.
static char *
s_cli_verify (harness_t *h, int *status)
{
    char cmd [1400];
    snprintf (cmd, sizeof cmd, "%s/samhand --endpoint %s --broker-cert %s/server.cert"
              " --cert %s/nodes/admin.cert audit verify 2>&1", harness_build (), h->endpoint,
              h->dir, h->dir);
    return harness_run (cmd, status);
}

static char *
s_offline_verify (harness_t *h, const char *witness, int *status)
{
    char extra [600] = "";
    if (witness)
        snprintf (extra, sizeof extra, " --witness %s/%s", h->dir, witness);
    char cmd [1400];
    snprintf (cmd, sizeof cmd, "%s/samhandd --verify-audit -c %s%s 2>&1", harness_build (),
              h->config, extra);
    return harness_run (cmd, status);
}

static long long
s_witnessed_seq (harness_t *h)
{
    char path [400];
    snprintf (path, sizeof path, "%s/nodes/admin.audit_head", h->dir);
    FILE *f = fopen (path, "r");
    char line [600];
    long long seq = 0;
    while (f && fgets (line, sizeof line, f)) {
        const char *p = strstr (line, "audit head seq=");
        if (p)
            seq = atoll (p + 15);
    }
    if (f)
        fclose (f);
    return seq;
}

//  Overwrites, in the middle of the file, one page that holds audit
//  records (found by an event name only the audit table stores).
static int
s_damage_page (harness_t *h)
{
    char path [400];
    snprintf (path, sizeof path, "%s/samhand.db", h->dir);
    FILE *f = fopen (path, "r+b");
    if (!f)
        return -1;
    uint8_t page [4096];
    long pages [4096];
    int n = 0;
    for (long at = 4096; n < 4096; at += 4096) {
        if (fseek (f, at, SEEK_SET) || fread (page, 1, sizeof page, f) != sizeof page)
            break;
        if (memmem (page, sizeof page, "submitted", 9))
            pages [n++] = at;
    }
    int rc = -1;
    if (n >= 3) {
        memset (page, 0x5a, sizeof page);
        rc = fseek (f, pages [n / 2], SEEK_SET) == 0
          && fwrite (page, 1, sizeof page, f) == sizeof page? 0: -1;
    }
    fclose (f);
    return rc;
}

//  Signed heads are witnessed outside the store: deleting the tail of the
//  log together with its later signed heads is found by the admin node
//  and by samhandd --verify-audit --witness. A damaged page is reported
//  as damage.
static void
test_witness (void)
{
    harness_t *h = harness_new ("audit\n    sign_every = 1\n");
    CHECK (h && harness_start (h) == 0, "broker for the witness checks starts");
    if (!h)
        return;
    hclient_t *watcher = hclient_new (h, "admin");
    Samhand__V1__Frame *f = hclient_subscribe (watcher, 3000);
    frame_free (&f);
    hclient_t *vakt = hclient_new (h, "vakt");
    int accepted = 0;
    for (int i = 0; i < 150; i++) {
        f = s_submit_concern (vakt, "Invented: bekymring om Testa Testesen i oppgangen");
        accepted += f && f->submit_result->accepted;
        frame_free (&f);
    }
    CHECK (accepted == 150, "150 concerns accepted");
    f = hclient_expect (watcher, SAMHAND__V1__FRAME__COMMAND_AUDIT_REPLY, 3000);
    CHECK (f && f->request_id == 0 && f->audit_reply->head && f->audit_reply->head->seq > 0
             && f->audit_reply->head->hash.len == 32 && f->audit_reply->head->sig.len == 64,
           "a connected admin node is sent each signed head (seq, hash, signature)");
    frame_free (&f);
    hclient_destroy (&watcher);
    //  samhand listen, as the admin node, keeps the pushed heads.
    char cmd [1400];
    snprintf (cmd, sizeof cmd, "%s/samhand --endpoint %s --broker-cert %s/server.cert"
              " --cert %s/nodes/admin.cert listen --timeout 60 >/dev/null 2>&1 & echo $!",
              harness_build (), h->endpoint, h->dir, h->dir);
    int status = -1;
    char *out = harness_run (cmd, &status);
    pid_t listener = out? (pid_t) atoi (out): 0;
    free (out);
    CHECK (status == 0 && listener > 0, "samhand listen runs as the admin node");
    //  Once it is connected, a new head is pushed to it after the next
    //  submit: a submit every half second until the file has one
    //  (bounded: 60 s).
    long long listened = 0;
    int64_t deadline = zclock_mono () + 60000;
    while (!listened && zclock_mono () < deadline) {
        f = s_submit_concern (vakt, "Invented: en til mens admin lytter");
        frame_free (&f);
        zclock_sleep (500);
        listened = s_witnessed_seq (h);
    }
    if (listener > 0)
        kill (listener, SIGTERM);
    CHECK (listened > 0, "samhand listen keeps the pushed signed head in NODE.audit_head");
    f = s_submit_concern (vakt, "Invented: og en til");
    frame_free (&f);
    hclient_destroy (&vakt);
    //  Until the broker has signed a head over it (bounded: 60 s).
    deadline = zclock_mono () + 60000;
    while (zclock_mono () < deadline
       &&  harness_sql_int (h, "SELECT (SELECT max(seq) FROM audit_heads)"
                               " >= (SELECT max(seq) FROM audit WHERE event = 'submitted')") != 1)
        zclock_sleep (100);
    status = -1;
    out = s_cli_verify (h, &status);
    CHECK (status == 0 && out && strstr (out, "intact") && strstr (out, "holds the signed head this node witnessed")
           && strstr (out, "kept as this node's witness"),
           "samhand audit verify: intact, holds the witnessed head, and the newer head is kept");
    free (out);
    CHECK (s_mode (h, "nodes/admin.audit_head") == 0600, "the witness file is 0600, beside the certificate");
    long long witnessed = s_witnessed_seq (h);
    CHECK (witnessed > listened && witnessed > 100, "it holds the newer signed head's record number");
    char path [400];
    snprintf (path, sizeof path, "%s/samhandd.log", h->dir);
    CHECK (s_file_contains (path, "audit: signed audit head seq="),
           "each signed head is written to the log (seq, hash, signature)");
    CHECK (harness_stop (h, SIGTERM) == 0, "broker stopped");
    if (harness_pg (h))
        printf ("SKIP damaged page: sqlite's file layout\n");
    else {
        out = s_run ("cp '%s/samhand.db' '%s/pristine.db'", h->dir, h->dir, &status);
        free (out);
        //  A damaged page: corruption, not a cut-off log.
        CHECK (s_damage_page (h) == 0, "a page of audit records in the middle of the file is overwritten");
        out = s_offline_verify (h, NULL, &status);
        CHECK (status == 1 && out && strstr (out, "damaged") && !strstr (out, "cut off"),
               "--verify-audit reports the damaged page as corruption, not as a cut-off log");
        if (out)
            printf ("# %s", out);
        free (out);
        out = s_run ("cp '%s/pristine.db' '%s/samhand.db'", h->dir, h->dir, &status);
        free (out);
    }

    //  Cut off the tail with its signed heads, as someone with the file could.
    char sql [300];
    snprintf (sql, sizeof sql, "DELETE FROM audit WHERE seq > %lld;"
              " DELETE FROM audit_heads WHERE seq > %lld;", witnessed - 20, witnessed - 20);
    CHECK (harness_sql_exec (h, sql) == 0, "the tail and its signed heads are deleted with SQL");
    out = s_offline_verify (h, NULL, &status);
    CHECK (status == 0, "without a witness the shortened chain still looks whole");
    free (out);
    out = s_offline_verify (h, "nodes/admin.audit_head", &status);
    CHECK (status == 1 && out && strstr (out, "BROKEN") && strstr (out, "truncation"),
           "samhandd --verify-audit --witness NODE.audit_head finds the truncation");
    free (out);
    out = s_offline_verify (h, "samhandd.log", &status);
    CHECK (status == 1 && out && strstr (out, "BROKEN") && strstr (out, "truncation"),
           "samhandd --verify-audit --witness LOG (head lines copied from the log) finds it too");
    free (out);
    CHECK (harness_start (h) == 0, "the broker restarts on the shortened log");
    out = s_cli_verify (h, &status);
    CHECK (status == 3 && out && strstr (out, "BROKEN") && strstr (out, "truncation"),
           "samhand audit verify fails loudly, naming the truncation (exit 3)");
    if (out)
        printf ("# %s", out);
    free (out);
    CHECK (s_witnessed_seq (h) == witnessed, "the witness is kept as it was");
    harness_destroy (&h);
}

typedef struct {
    int rows, wrong_key;
    long long counted;
} refused_t;

static void
s_refused (const char *detail, void *arg)
{
    refused_t *r = (refused_t *) arg;
    r->rows++;
    if (detail && strstr (detail, "from 127.0.0.1") && strstr (detail, "unknown key"))
        r->counted += atoll (detail);
    if (detail && strstr (detail, "wrong broker key"))
        r->wrong_key++;
}

//  A flood of handshakes with throwaway keys costs a bounded number of
//  audit records, each with a count; the log names the address and a key.
static void
test_handshakes (void)
{
    harness_t *h = harness_new (NULL);
    CHECK (h && harness_start (h) == 0, "broker for the handshake flood starts");
    if (!h)
        return;
    static char keys [500][41];
    hclient_t *probe = hclient_new (h, "vakt");
    int64_t started = zclock_mono ();
    for (int batch = 0; batch < 10; batch++) {
        zsock_t *socks [50];
        for (int i = 0; i < 50; i++) {
            zcert_t *cert = zcert_new ();
            snprintf (keys [batch * 50 + i], sizeof keys [0], "%s", zcert_public_txt (cert));
            socks [i] = zsock_new (ZMQ_DEALER);
            zcert_apply (cert, socks [i]);
            zsock_set_curve_serverkey (socks [i], h->server_public);
            zsock_set_linger (socks [i], 0);
            zsock_set_reconnect_ivl (socks [i], 1000);
            zsock_connect (socks [i], "%s", h->endpoint);
            zcert_destroy (&cert);
        }
        //  Time for the handshakes: at least 250 ms, and until the broker
        //  has answered an enrolled node's ping sent after them (on a
        //  loaded machine the handshakes take longer).
        zclock_sleep (250);
        Samhand__V1__Frame *pong = hclient_ping (probe, 30000);
        frame_free (&pong);
        for (int i = 0; i < 50; i++)
            zsock_destroy (&socks [i]);
    }
    //  And one client with the wrong broker key: refused before ZAP.
    zcert_t *cert = zcert_new ();
    zcert_t *other = zcert_new ();
    zsock_t *lost = zsock_new (ZMQ_DEALER);
    zcert_apply (cert, lost);
    zsock_set_curve_serverkey (lost, zcert_public_txt (other));
    zsock_set_linger (lost, 0);
    zsock_connect (lost, "%s", h->endpoint);
    zclock_sleep (500);
    zsock_destroy (&lost);
    zcert_destroy (&cert);
    zcert_destroy (&other);
    printf ("# 500 throwaway handshakes in %d ms\n", (int) (zclock_mono () - started));
    hclient_destroy (&probe);
    hclient_t *vakt = hclient_new (h, "vakt");
    Samhand__V1__Frame *pong = hclient_ping (vakt, 10000);
    CHECK (pong != NULL, "an enrolled node is still served during and after the flood");
    frame_free (&pong);
    hclient_destroy (&vakt);
    //  The ZAP handler follows the enrolled folder, as zauth did.
    char from [400], to [400];
    snprintf (from, sizeof from, "%s/enrolled/tryggest.cert", h->dir);
    snprintf (to, sizeof to, "%s/tryggest.cert.revoked", h->dir);
    CHECK (rename (from, to) == 0, "tryggest's certificate is removed from the enrolled folder");
    zclock_sleep (300);
    hclient_t *revoked = hclient_new (h, "tryggest");
    pong = hclient_ping (revoked, 1500);
    CHECK (pong == NULL, "a new handshake with the revoked key is refused");
    frame_free (&pong);
    hclient_destroy (&revoked);
    CHECK (rename (to, from) == 0, "and enrolled again");
    //  A new connection each try (a refused one is not tried again at
    //  once), until one is admitted (bounded: 30 s).
    pong = NULL;
    int64_t deadline = zclock_mono () + 30000;
    while (!pong && zclock_mono () < deadline) {
        zclock_sleep (300);
        hclient_t *again = hclient_new (h, "tryggest");
        pong = hclient_ping (again, 3000);
        hclient_destroy (&again);
    }
    CHECK (pong && streq (pong->pong->node, "tryggest"), "a new enrolment is admitted without a restart");
    frame_free (&pong);
    CHECK (harness_stop (h, SIGTERM) == 0, "broker stopped (the last counts are written)");

    refused_t refused = { 0, 0, 0 };
    harness_sql_each (h, "SELECT detail FROM audit WHERE event = 'handshake_refused'",
                      s_refused, &refused);
    int rows = refused.rows, wrong_key = refused.wrong_key;
    long long counted = refused.counted;
    printf ("# %d audit records for %lld refused handshakes from 127.0.0.1\n", rows, counted);
    CHECK (rows >= 1 && rows <= 8, "the flood adds a bounded number of audit records (one per address and reason per 10 s)");
    CHECK (counted >= 250 && counted > 20 * rows,
           "which count the refused handshakes (each record many of them)");
    CHECK (wrong_key >= 1, "a client with the wrong broker key is told apart (refused before ZAP)");
    char path [400];
    snprintf (path, sizeof path, "%s/samhandd.log", h->dir);
    bool named = false;
    for (int i = 0; i < 500 && !named; i++) {
        char line [120];
        snprintf (line, sizeof line, "from 127.0.0.1, key %.40s", keys [i]);
        named = s_file_contains (path, line);
    }
    CHECK (named, "the log names the peer address and the key from the ZAP request");
    harness_destroy (&h);
}

int
main (void)
{
    zsys_init ();
    zsys_set_linger (0);
    test_files ();
    test_idle ();
    test_witness ();
    test_handshakes ();
    return TEST_DONE ();
}
