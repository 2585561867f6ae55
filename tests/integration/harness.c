/*  harness — see harness.h. Invented people only.                          */
#include "harness.h"
#include <libpq-fe.h>
#include <sqlite3.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

static const char *demo_nodes [][3] = {
    { "vakt", "resource_centre", "duty_operator" },
    { "koordinator", "resource_centre", "coordinator" },
    { "tryggest", "tryggest", "team" },
    { "politi-risk", "police_risk", "team" },
    { "krisesenter", "crisis_centre", "team" },
    { "admin", "", "admin" },
};

const char *
harness_build (void)
{
    const char *b = getenv ("SAMHAND_BUILD");
    return b && *b? b: "build";
}

int
harness_free_port (void)
{
    int fd = socket (AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in addr = { .sin_family = AF_INET, .sin_port = 0 };
    addr.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    int port = -1;
    if (fd >= 0 && bind (fd, (struct sockaddr *) &addr, sizeof addr) == 0
    &&  getsockname (fd, (struct sockaddr *) &addr, &len) == 0)
        port = ntohs (addr.sin_port);
    if (fd >= 0)
        close (fd);
    return port;
}

static int
s_make_cert (const char *dir, const char *name, const char *agency, const char *role,
             const char *enrolled)
{
    zcert_t *cert = zcert_new ();
    if (!cert)
        return -1;
    zcert_set_meta (cert, "name", "%s", name);
    if (*agency)
        zcert_set_meta (cert, "agency", "%s", agency);
    zcert_set_meta (cert, "role", "%s", role);
    char path [512];
    snprintf (path, sizeof path, "%s/%s.cert", dir, name);
    int rc = zcert_save (cert, path);
    if (rc == 0 && enrolled) {
        snprintf (path, sizeof path, "%s/%s.cert", enrolled, name);
        rc = zcert_save_public (cert, path);
    }
    zcert_destroy (&cert);
    return rc;
}

//  ---------------------------------------------------------------------
//  The store under test: sqlite file or a PostgreSQL database of its own.

static int
s_pg_admin (const char *sql)
{
    const char *base = getenv ("SAMHAND_TEST_STORE");
    char *conninfo = zsys_sprintf ("%s dbname=postgres", base);
    PGconn *conn = conninfo? PQconnectdb (conninfo): NULL;
    PGresult *res = conn && PQstatus (conn) == CONNECTION_OK? PQexec (conn, sql): NULL;
    int rc = res && PQresultStatus (res) == PGRES_COMMAND_OK? 0: -1;
    if (rc)
        fprintf (stderr, "harness: %s: %s\n", sql, conn? PQerrorMessage (conn): "no connection");
    PQclear (res);
    if (conn)
        PQfinish (conn);
    zstr_free (&conninfo);
    return rc;
}

static int
s_store_new (harness_t *self)
{
    const char *base = getenv ("SAMHAND_TEST_STORE");
    if (!base || !*base) {
        snprintf (self->store, sizeof self->store, "samhand.db");
        return 0;
    }
    static int count = 0;
    snprintf (self->pg_db, sizeof self->pg_db, "samhand_t%d_%d", (int) getpid (), ++count);
    char sql [128];
    snprintf (sql, sizeof sql, "CREATE DATABASE %s", self->pg_db);
    if (s_pg_admin (sql))
        return -1;
    snprintf (self->store, sizeof self->store, "%s dbname=%s", base, self->pg_db);
    return 0;
}

bool
harness_pg (harness_t *self)
{
    return *self->pg_db != 0;
}

int
harness_sql_each (harness_t *self, const char *sql,
                  void (*fn) (const char *value, void *arg), void *arg)
{
    int rows = -1;
    if (harness_pg (self)) {
        PGconn *conn = PQconnectdb (self->store);
        PGresult *res = PQstatus (conn) == CONNECTION_OK? PQexec (conn, sql): NULL;
        ExecStatusType status = PQresultStatus (res);
        if (status == PGRES_TUPLES_OK || status == PGRES_COMMAND_OK) {
            rows = status == PGRES_TUPLES_OK? PQntuples (res): 0;
            for (int i = 0; fn && i < rows; i++)
                fn (PQgetisnull (res, i, 0)? NULL: PQgetvalue (res, i, 0), arg);
        }
        else
            fprintf (stderr, "harness: %s: %s\n", sql, PQerrorMessage (conn));
        PQclear (res);
        PQfinish (conn);
        return rows;
    }
    char path [600];
    snprintf (path, sizeof path, "%s/samhand.db", self->dir);
    sqlite3 *db = NULL;
    sqlite3_stmt *stmt = NULL;
    if (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READWRITE, NULL) == SQLITE_OK) {
        sqlite3_busy_timeout (db, 3000);
        if (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL) == SQLITE_OK) {
            int rc;
            rows = 0;
            while ((rc = sqlite3_step (stmt)) == SQLITE_ROW) {
                rows++;
                if (fn)
                    fn ((const char *) sqlite3_column_text (stmt, 0), arg);
            }
            if (rc != SQLITE_DONE)
                rows = -1;
        }
        if (rows < 0)
            fprintf (stderr, "harness: %s: %s\n", sql, sqlite3_errmsg (db));
    }
    sqlite3_finalize (stmt);
    sqlite3_close (db);
    return rows;
}

static void
s_first (const char *value, void *arg)
{
    int64_t *out = (int64_t *) arg;
    if (*out == -2)
        *out = value? strtoll (value, NULL, 10): 0;
}

int64_t
harness_sql_int (harness_t *self, const char *sql)
{
    int64_t value = -2;
    if (harness_sql_each (self, sql, s_first, &value) < 1 || value == -2)
        return -1;
    return value;
}

int
harness_sql_exec (harness_t *self, const char *sql)
{
    if (harness_pg (self))
        return harness_sql_each (self, sql, NULL, NULL) < 0? -1: 0;
    //  sqlite: several statements at once.
    char path [600];
    snprintf (path, sizeof path, "%s/samhand.db", self->dir);
    sqlite3 *db = NULL;
    int rc = sqlite3_open_v2 (path, &db, SQLITE_OPEN_READWRITE, NULL) == SQLITE_OK
          && sqlite3_busy_timeout (db, 3000) == SQLITE_OK
          && sqlite3_exec (db, sql, NULL, NULL, NULL) == SQLITE_OK? 0: -1;
    if (rc)
        fprintf (stderr, "harness: %s: %s\n", sql, sqlite3_errmsg (db));
    sqlite3_close (db);
    return rc;
}

int
harness_store_files (harness_t *self, char paths [2][600])
{
    if (harness_pg (self)) {
        const char *data = getenv ("SAMHAND_TEST_PGDATA");
        if (!data)
            return 0;
        snprintf (paths [0], 600, "%s", data);
        return 1;
    }
    snprintf (paths [0], 600, "%s/samhand.db", self->dir);
    snprintf (paths [1], 600, "%s/samhand.db-wal", self->dir);
    return 2;
}

int
harness_store_contains (harness_t *self, const char *needle)
{
    char paths [2][600];
    int n = harness_store_files (self, paths);
    if (n == 0 || strchr (needle, '\''))
        return -1;
    char cmd [1600];
    snprintf (cmd, sizeof cmd, "grep -rqaF -- '%s' '%s' %s%s%s 2>/dev/null", needle, paths [0],
              n > 1? "'": "", n > 1? paths [1]: "", n > 1? "'": "");
    int rc = system (cmd);
    return WIFEXITED (rc) && WEXITSTATUS (rc) == 0? 1: 0;
}

harness_t *
harness_new (const char *extra_config)
{
    harness_t *self = (harness_t *) zmalloc (sizeof (harness_t));
    snprintf (self->dir, sizeof self->dir, "/tmp/samhand-test-XXXXXX");
    if (!mkdtemp (self->dir)) {
        free (self);
        return NULL;
    }
    self->port = harness_free_port ();
    snprintf (self->endpoint, sizeof self->endpoint, "tcp://127.0.0.1:%d", self->port);
    char path [512], nodes [300], enrolled [300];
    snprintf (nodes, sizeof nodes, "%s/nodes", self->dir);
    snprintf (enrolled, sizeof enrolled, "%s/enrolled", self->dir);
    mkdir (nodes, 0700);
    mkdir (enrolled, 0700);
    zcert_t *server = zcert_new ();
    snprintf (path, sizeof path, "%s/server.cert", self->dir);
    zcert_save (server, path);
    snprintf (self->server_public, sizeof self->server_public, "%s", zcert_public_txt (server));
    zcert_destroy (&server);
    for (size_t i = 0; i < sizeof demo_nodes / sizeof *demo_nodes; i++)
        s_make_cert (nodes, demo_nodes [i][0], demo_nodes [i][1], demo_nodes [i][2], enrolled);
    //  A real certificate that nobody enrolled.
    s_make_cert (nodes, "inntrenger", "police_risk", "team", NULL);
    if (s_store_new (self)) {
        free (self);
        return NULL;
    }
    snprintf (self->config, sizeof self->config, "%s/samhandd.cfg", self->dir);
    FILE *f = fopen (self->config, "w");
    if (!f) {
        free (self);
        return NULL;
    }
    fprintf (f, "#   samhandd test configuration (invented installation)\n"
                "server\n"
                "    bind = \"%s\"\n"
                "    cert = \"server.cert\"\n"
                "    enrolled = \"enrolled\"\n"
                "    store = \"%s\"\n"
                "    keys = \"keys\"\n"
                "%s", self->endpoint, self->store, extra_config? extra_config: "");
    fclose (f);
    return self;
}

int
harness_start (harness_t *self)
{
    char binary [256], log [300];
    //  $SAMHAND_DAEMON names another broker binary in the build directory
    //  (the fault-injection build samhandd-fault).
    const char *daemon = getenv ("SAMHAND_DAEMON");
    snprintf (binary, sizeof binary, "%s/%s", harness_build (), daemon && *daemon? daemon: "samhandd");
    snprintf (log, sizeof log, "%s/samhandd.log", self->dir);
    pid_t pid = fork ();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        FILE *out = freopen (log, "a", stderr);
        (void) out;
        execl (binary, "samhandd", "-c", self->config, (char *) NULL);
        _exit (127);
    }
    self->pid = pid;
    hclient_t *probe = hclient_new (self, "admin");
    int rc = -1;
    //  Up to 30 s: a loaded machine starts it slowly; a broker that exits
    //  ends the wait at once.
    for (int attempt = 0; probe && attempt < 150 && rc; attempt++) {
        Samhand__V1__Frame frame = SAMHAND__V1__FRAME__INIT;
        Samhand__V1__Ping ping = SAMHAND__V1__PING__INIT;
        frame.command_case = SAMHAND__V1__FRAME__COMMAND_PING;
        frame.ping = &ping;
        hclient_send (probe, &frame);
        Samhand__V1__Frame *pong = hclient_expect (probe, SAMHAND__V1__FRAME__COMMAND_PONG, 200);
        if (pong)
            rc = 0;
        frame_free (&pong);
        if (waitpid (pid, NULL, WNOHANG) == pid) {
            self->pid = 0;
            break;
        }
    }
    hclient_destroy (&probe);
    return rc;
}

int
harness_stop (harness_t *self, int sig)
{
    if (!self->pid)
        return -1;
    kill (self->pid, sig);
    int status = 0;
    for (int i = 0; i < 100; i++) {
        if (waitpid (self->pid, &status, WNOHANG) == self->pid) {
            self->pid = 0;
            return WIFEXITED (status)? WEXITSTATUS (status): 128 + WTERMSIG (status);
        }
        zclock_sleep (50);
    }
    kill (self->pid, SIGKILL);
    waitpid (self->pid, &status, 0);
    self->pid = 0;
    return -2;   //  did not stop in time
}

void
harness_destroy (harness_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    harness_t *self = *self_p;
    if (self->pid)
        harness_stop (self, SIGKILL);
    if (*self->pg_db && !getenv ("SAMHAND_KEEP")) {
        char sql [128];
        snprintf (sql, sizeof sql, "DROP DATABASE IF EXISTS %s WITH (FORCE)", self->pg_db);
        if (s_pg_admin (sql))
            fprintf (stderr, "harness: could not drop %s\n", self->pg_db);
    }
    if (!getenv ("SAMHAND_KEEP")) {
        char cmd [300];
        snprintf (cmd, sizeof cmd, "rm -rf '%s'", self->dir);
        if (system (cmd) != 0)
            fprintf (stderr, "harness: could not remove %s\n", self->dir);
    }
    free (self);
    *self_p = NULL;
}

hclient_t *
hclient_new (harness_t *h, const char *name)
{
    return hclient_new_as (h, name, NULL);
}

hclient_t *
hclient_new_as (harness_t *h, const char *name, const char *routing_id)
{
    char path [512];
    snprintf (path, sizeof path, "%s/nodes/%s.cert", h->dir, name);
    zcert_t *cert = zcert_load (path);
    if (!cert)
        return NULL;
    hclient_t *self = (hclient_t *) zmalloc (sizeof (hclient_t));
    snprintf (self->name, sizeof self->name, "%s", name);
    self->sock = zsock_new (ZMQ_DEALER);
    zcert_apply (cert, self->sock);
    zsock_set_curve_serverkey (self->sock, h->server_public);
    zsock_set_linger (self->sock, 0);
    if (routing_id)
        zsock_set_identity (self->sock, routing_id);
    zcert_destroy (&cert);
    if (zsock_connect (self->sock, "%s", h->endpoint)) {
        hclient_destroy (&self);
        return NULL;
    }
    return self;
}

void
hclient_destroy (hclient_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    zsock_destroy (&(*self_p)->sock);
    free (*self_p);
    *self_p = NULL;
}

int
hclient_send_raw (hclient_t *self, const void *data, size_t size)
{
    zframe_t *frame = zframe_new (data, size);
    return zframe_send (&frame, self->sock, 0);
}

int
hclient_send (hclient_t *self, Samhand__V1__Frame *frame)
{
    if (!frame->version)
        frame->version = 1;
    size_t size = samhand__v1__frame__get_packed_size (frame);
    uint8_t *buf = (uint8_t *) malloc (size + 1);
    samhand__v1__frame__pack (frame, buf);
    int rc = hclient_send_raw (self, buf, size);
    free (buf);
    return rc;
}

Samhand__V1__Frame *
hclient_recv (hclient_t *self, int timeout_ms)
{
    zpoller_t *poller = zpoller_new (self->sock, NULL);
    void *which = zpoller_wait (poller, timeout_ms);
    zpoller_destroy (&poller);
    if (which != self->sock)
        return NULL;
    zframe_t *frame = zframe_recv (self->sock);
    if (!frame)
        return NULL;
    Samhand__V1__Frame *decoded = samhand__v1__frame__unpack (NULL, zframe_size (frame),
                                                              zframe_data (frame));
    zframe_destroy (&frame);
    return decoded;
}

Samhand__V1__Frame *
hclient_expect (hclient_t *self, int command_case, int timeout_ms)
{
    int64_t deadline = zclock_mono () + timeout_ms;
    while (zclock_mono () < deadline) {
        Samhand__V1__Frame *frame = hclient_recv (self, (int) (deadline - zclock_mono ()));
        if (!frame)
            return NULL;
        if ((int) frame->command_case == command_case)
            return frame;
        frame_free (&frame);
    }
    return NULL;
}

Samhand__V1__Frame *
hclient_submit (hclient_t *self, Samhand__V1__Submit *submit, int timeout_ms)
{
    Samhand__V1__Frame frame = SAMHAND__V1__FRAME__INIT;
    frame.command_case = SAMHAND__V1__FRAME__COMMAND_SUBMIT;
    frame.submit = submit;
    if (hclient_send (self, &frame))
        return NULL;
    return hclient_expect (self, SAMHAND__V1__FRAME__COMMAND_SUBMIT_RESULT, timeout_ms);
}

Samhand__V1__Frame *
hclient_subscribe (hclient_t *self, int timeout_ms)
{
    Samhand__V1__Frame frame = SAMHAND__V1__FRAME__INIT;
    Samhand__V1__Subscribe sub = SAMHAND__V1__SUBSCRIBE__INIT;
    frame.command_case = SAMHAND__V1__FRAME__COMMAND_SUBSCRIBE;
    frame.subscribe = &sub;
    if (hclient_send (self, &frame))
        return NULL;
    return hclient_expect (self, SAMHAND__V1__FRAME__COMMAND_SUBSCRIBED, timeout_ms);
}

int
hclient_receipt (hclient_t *self, uint64_t delivery_id, int state)
{
    Samhand__V1__Frame frame = SAMHAND__V1__FRAME__INIT;
    Samhand__V1__Receipt receipt = SAMHAND__V1__RECEIPT__INIT;
    receipt.delivery_id = delivery_id;
    receipt.state = (Samhand__V1__ReceiptState) state;
    frame.command_case = SAMHAND__V1__FRAME__COMMAND_RECEIPT;
    frame.receipt = &receipt;
    return hclient_send (self, &frame);
}

int
hclient_drain (hclient_t *self, int timeout_ms)
{
    int n = 0;
    Samhand__V1__Frame *f;
    while ((f = hclient_expect (self, SAMHAND__V1__FRAME__COMMAND_DELIVER, timeout_ms))) {
        hclient_receipt (self, f->deliver->delivery_id, SAMHAND__V1__RECEIPT_STATE__RECEIVED);
        frame_free (&f);
        n++;
    }
    return n;
}

hclient_t *
hclient_listener (harness_t *h, const char *name)
{
    hclient_t *c = hclient_new (h, name);
    Samhand__V1__Frame *f = c? hclient_subscribe (c, 3000): NULL;
    frame_free (&f);
    if (c)
        hclient_drain (c, 400);
    return c;
}

Samhand__V1__Frame *
hclient_ping (hclient_t *self, int timeout_ms)
{
    Samhand__V1__Frame frame = SAMHAND__V1__FRAME__INIT;
    Samhand__V1__Ping ping = SAMHAND__V1__PING__INIT;
    ping.nonce = 42;
    frame.command_case = SAMHAND__V1__FRAME__COMMAND_PING;
    frame.ping = &ping;
    hclient_send (self, &frame);
    return hclient_expect (self, SAMHAND__V1__FRAME__COMMAND_PONG, timeout_ms);
}

void
harness_new_id (Samhand__V1__Submit *submit, uint8_t id [16])
{
    for (int i = 0; i < 16; i++)
        id [i] = (uint8_t) randof (256);
    submit->message_id.data = id;
    submit->message_id.len = 16;
}

void
harness_concern (Samhand__V1__Submit *submit, Samhand__V1__ConcernReport *concern,
                 Samhand__V1__Subject *subject, const char *text)
{
    samhand__v1__submit__init (submit);
    samhand__v1__concern_report__init (concern);
    samhand__v1__subject__init (subject);
    //  Invented person: the number has valid check digits for an invented date.
    subject->name = "Kari Testesen";
    subject->national_id = "01019012057";
    subject->phone = "41234567";
    concern->subject = subject;
    concern->text = (char *) text;
    concern->urgency = SAMHAND__V1__URGENCY__URGENT;
    submit->body_case = SAMHAND__V1__SUBMIT__BODY_CONCERN;
    submit->concern = concern;
}

void
harness_discussion (Samhand__V1__Submit *submit, Samhand__V1__CaseDiscussion *d, const char *text)
{
    samhand__v1__submit__init (submit);
    samhand__v1__case_discussion__init (d);
    d->text = (char *) text;
    submit->body_case = SAMHAND__V1__SUBMIT__BODY_DISCUSSION;
    submit->discussion = d;
}

void
harness_grant (Samhand__V1__Frame *frame, Samhand__V1__ConsentGrant *grant,
               Samhand__V1__Subject *subject, const char *national_id,
               Samhand__V1__Agency *agencies, size_t n_agencies,
               Samhand__V1__DataClass *classes, size_t n_classes,
               char **purposes, size_t n_purposes, int64_t valid_until)
{
    samhand__v1__frame__init (frame);
    samhand__v1__consent_grant__init (grant);
    samhand__v1__subject__init (subject);
    subject->national_id = (char *) national_id;
    grant->subject = subject;
    grant->agencies = agencies;
    grant->n_agencies = n_agencies;
    grant->classes = classes;
    grant->n_classes = n_classes;
    grant->purposes = purposes;
    grant->n_purposes = n_purposes;
    grant->valid_until = valid_until;
    grant->form = SAMHAND__V1__CONSENT_FORM__WRITTEN;
    frame->command_case = SAMHAND__V1__FRAME__COMMAND_CONSENT_GRANT;
    frame->consent_grant = grant;
}

Samhand__V1__Frame *
hclient_withdraw (hclient_t *self, const char *consent_id, int timeout_ms)
{
    Samhand__V1__Frame frame = SAMHAND__V1__FRAME__INIT;
    Samhand__V1__ConsentWithdraw w = SAMHAND__V1__CONSENT_WITHDRAW__INIT;
    w.consent_id = (char *) consent_id;
    frame.command_case = SAMHAND__V1__FRAME__COMMAND_CONSENT_WITHDRAW;
    frame.consent_withdraw = &w;
    hclient_send (self, &frame);
    return hclient_expect (self, SAMHAND__V1__FRAME__COMMAND_CONSENT_REPLY, timeout_ms);
}

Samhand__V1__Frame *
hclient_consents (hclient_t *self, const char *national_id, int timeout_ms)
{
    Samhand__V1__Frame frame = SAMHAND__V1__FRAME__INIT;
    Samhand__V1__ConsentQuery q = SAMHAND__V1__CONSENT_QUERY__INIT;
    Samhand__V1__Subject subject = SAMHAND__V1__SUBJECT__INIT;
    subject.national_id = (char *) national_id;
    q.subject = &subject;
    frame.command_case = SAMHAND__V1__FRAME__COMMAND_CONSENT_QUERY;
    frame.consent_query = &q;
    hclient_send (self, &frame);
    return hclient_expect (self, SAMHAND__V1__FRAME__COMMAND_CONSENT_REPLY, timeout_ms);
}

bool
frame_contains (const Samhand__V1__Frame *frame, const char *text)
{
    if (!frame)
        return false;
    size_t size = samhand__v1__frame__get_packed_size (frame);
    uint8_t *buf = (uint8_t *) malloc (size + 1);
    //  no "not found" on a failed allocation: a leak check must not pass by it
    assert (buf);
    samhand__v1__frame__pack (frame, buf);
    bool found = memmem (buf, size, text, strlen (text)) != NULL;
    free (buf);
    return found;
}

void
frame_free (Samhand__V1__Frame **frame_p)
{
    if (frame_p && *frame_p) {
        samhand__v1__frame__free_unpacked (*frame_p, NULL);
        *frame_p = NULL;
    }
}

bool
harness_enrol (harness_t *self, const char *name, const char *agency)
{
    char cmd [4096];
    snprintf (cmd, sizeof cmd, "rm -f %s/nodes/%s.cert %s/nodes/%s.cert_secret %s/enrolled/%s.cert"
              " && %s/samhand keygen %s --agency %s --role coordinator --dir %s/nodes >/dev/null"
              " && cp %s/nodes/%s.cert %s/enrolled/", self->dir, name, self->dir, name, self->dir,
              name, harness_build (), name, agency, self->dir, self->dir, name, self->dir);
    int status = -1;
    char *out = harness_run (cmd, &status);
    free (out);
    return status == 0;
}

char *
harness_run (const char *command, int *status)
{
    FILE *p = popen (command, "r");
    if (!p)
        return NULL;
    size_t size = 0, cap = 4096;
    char *out = (char *) malloc (cap);
    size_t n;
    while (out && (n = fread (out + size, 1, cap - size - 1, p)) > 0) {
        size += n;
        if (cap - size < 1024) {
            cap *= 2;
            out = (char *) realloc (out, cap);
        }
    }
    int rc = pclose (p);
    if (status)
        *status = WIFEXITED (rc)? WEXITSTATUS (rc): -1;
    if (out)
        out [size] = 0;
    return out;
}
