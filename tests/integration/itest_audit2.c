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
#include <sqlite3.h>
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
    CHECK (s_mode (h, "samhand.db") == -1, "nothing was created before the refusal");
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
    CHECK (s_mode (h, "samhand.db") == 0600, "the store is created 0600");
    CHECK (s_mode (h, "samhand.db-wal") == 0600, "its WAL is 0600");
    CHECK (s_mode (h, "samhand.db-shm") == 0600, "its SHM is 0600");
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
    hclient_t *vakt = hclient_new (h, "vakt");
    Samhand__V1__Frame *f = s_submit_concern (vakt, "Invented: bekymring før stillheten");
    frame_free (&f);
    hclient_destroy (&vakt);
    zclock_sleep (2500);    //  the head is signed, the expiry mark moves
    char db [400], wal [400];
    snprintf (db, sizeof db, "%s/samhand.db", h->dir);
    snprintf (wal, sizeof wal, "%s/samhand.db-wal", h->dir);
    struct stat before_db, before_wal, after_db, after_wal;
    int rc = stat (db, &before_db) | stat (wal, &before_wal);
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

int
main (void)
{
    zsys_init ();
    zsys_set_linger (0);
    test_files ();
    test_idle ();
    return TEST_DONE ();
}
