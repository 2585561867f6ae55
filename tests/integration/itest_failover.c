/*  itest_failover — an active and a standby samhandd on one sqlite store
    (server/standby = "yes", two ports), and libsamhand clients that list
    both endpoints. Under concurrent submits the active broker is killed
    with -9; the standby must take over and serve within 5 s, and the killed
    one comes back as the new standby, again and again. Each round an acute
    concern is acknowledged just before the kill, with its escalation due
    after it: the escalation must come from the new active broker.
    At the end: every acknowledged message was delivered, none again after
    its receipt was confirmed (samhand_client_receipts: only a Pong of the
    broker run that took the receipts confirms them), the audit chain
    verifies, and both brokers stop cleanly.
    Also: a second broker without server/standby refuses to start; the
    standby binds nothing while it waits; admin status names the active
    broker; libsamhand refuses malformed endpoint lists.
    It runs on the store the environment names: sqlite, or PostgreSQL when
    $SAMHAND_TEST_STORE is set (make check runs it both ways), where it
    also ends the active broker's database session to see it fenced off.
    make check runs 3 rounds; SAMHAND_FAILOVER_LONG=1 (make failover-long,
    both backends) runs 10 and prints the takeover times. Everything here
    is invented.                                                          */
#include "harness.h"
#include "testlib.h"
#include "samhand.h"
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#define SENDERS     3
#define PER_SENDER  20000           //  room for ids; a run uses far fewer
#define MAX_ROUNDS  10
#define ACUTE_BASE  (PER_SENDER - MAX_ROUNDS)   //  vakt's ids for the acute concerns
static const char *sender_names [SENDERS] = { "vakt", "koordinator", "tryggest" };

//  Check names carry the backend: the scenario runs on sqlite and PostgreSQL.
static const char *s_backend = "sqlite";
#define BCHECK(cond, name)                                                   \
    do {                                                                     \
        char bname_ [300];                                                   \
        snprintf (bname_, sizeof bname_, "[%s] %s", s_backend, (name));      \
        CHECK ((cond), bname_);                                              \
    } while (0)

typedef struct {
    harness_t *h;
    char   endpoints [128];
    char   config [2][320];
    char   log [2][320];
    int    port [2];
    int    metrics_port [2];
    pid_t  pid [2];
    atomic_int stop_senders;
    atomic_int stop_receiver;
    atomic_int acked_total;
    atomic_int gave_up;             //  submit calls that returned -1 (tried again)
    atomic_int sent [SENDERS];      //  ids used per sender
    atomic_uchar acked [SENDERS][PER_SENDER];
    atomic_int delivered [SENDERS][PER_SENDER];
    atomic_uchar confirmed [SENDERS][PER_SENDER];
    atomic_int after_confirm;
    atomic_int deliveries;
    atomic_int receipt_rounds_unconfirmed;
    atomic_llong escalated_ms [MAX_ROUNDS];   //  when round r's escalation arrived (mono)
    atomic_int escalations [MAX_ROUNDS];
} run_t;

static void
s_id (int sender, int seq, uint8_t id [16])
{
    memset (id, 0x46, 16);          //  'F' for failover
    id [0] = (uint8_t) sender;
    id [1] = (uint8_t) (seq >> 24);
    id [2] = (uint8_t) (seq >> 16);
    id [3] = (uint8_t) (seq >> 8);
    id [4] = (uint8_t) seq;
}

static bool
s_parse_id (const ProtobufCBinaryData *id, int *sender, int *seq)
{
    if (id->len != 16 || id->data [5] != 0x46 || id->data [15] != 0x46 || id->data [0] >= SENDERS)
        return false;
    *sender = id->data [0];
    *seq = (id->data [1] << 24) | (id->data [2] << 16) | (id->data [3] << 8) | id->data [4];
    return *seq >= 0 && *seq < PER_SENDER;
}

static samhand_client_t *
s_client (run_t *run, const char *endpoints, const char *name)
{
    char broker [320], cert [320];
    snprintf (broker, sizeof broker, "%s/server.cert", run->h->dir);
    snprintf (cert, sizeof cert, "%s/nodes/%s.cert", run->h->dir, name);
    return samhand_client_new (endpoints, broker, cert);
}

//  Submits until acknowledged, always with the same message id.
static int
s_submit (run_t *run, samhand_client_t *c, int sender, int seq, bool acute)
{
    Samhand__V1__Submit submit;
    Samhand__V1__ConcernReport concern;
    Samhand__V1__Subject subject;
    Samhand__V1__Agency to [1] = { SAMHAND__V1__AGENCY__POLICE_RISK };
    uint8_t id [16];
    harness_concern (&submit, &concern, &subject, acute
                     ? "Invented: acute concern for the failover test."
                     : "Invented: failover message, same id on every try.");
    if (acute)
        concern.urgency = SAMHAND__V1__URGENCY__ACUTE;
    s_id (sender, seq, id);
    submit.message_id = (ProtobufCBinaryData) { 16, id };
    submit.recipients = to;
    submit.n_recipients = 1;
    for (int tries = 0; tries < 20; tries++) {
        int rc = samhand_client_submit (c, &submit, 2000, 3, NULL);
        if (rc == 0) {
            if (!atomic_exchange (&run->acked [sender][seq], 1))
                atomic_fetch_add (&run->acked_total, 1);
            return 0;
        }
        if (rc == 1)
            return 1;           //  refused: a bug, counted by the caller
        atomic_fetch_add (&run->gave_up, 1);
    }
    return -1;
}

typedef struct {
    run_t *run;
    int sender;
} sender_arg_t;

static void *
s_sender (void *arg)
{
    sender_arg_t *a = (sender_arg_t *) arg;
    run_t *run = a->run;
    samhand_client_t *c = s_client (run, run->endpoints, sender_names [a->sender]);
    int seq = 0;
    while (c && !atomic_load (&run->stop_senders) && seq < ACUTE_BASE) {
        if (s_submit (run, c, a->sender, seq, false))
            break;
        atomic_store (&run->sent [a->sender], ++seq);
        zclock_sleep (2);       //  concurrent, not a benchmark
    }
    samhand_client_destroy (&c);
    return NULL;
}

typedef struct {
    uint64_t ids [256];
    int      index [256];           //  sender * PER_SENDER + seq, or -1
    size_t   n;
    int64_t  since;
} batch_t;

//  One frame for the police RISK team: notes a delivery and adds it to the
//  batch to receipt, and notes when a round's escalation alert arrives.
static void
s_receive (run_t *run, Samhand__V1__Frame *f, batch_t *b)
{
    if (!f || f->command_case != SAMHAND__V1__FRAME__COMMAND_DELIVER)
        return;
    Samhand__V1__Deliver *d = f->deliver;
    int sender, seq, index = -1;
    if (s_parse_id (&d->message_id, &sender, &seq)) {
        atomic_fetch_add (&run->delivered [sender][seq], 1);
        atomic_fetch_add (&run->deliveries, 1);
        if (atomic_load (&run->confirmed [sender][seq]))
            atomic_fetch_add (&run->after_confirm, 1);
        index = sender * PER_SENDER + seq;
    }
    else
    if (d->body_case == SAMHAND__V1__DELIVER__BODY_ALERT
    &&  streq (d->alert->type, "escalation")
    &&  s_parse_id (&d->alert->message_id, &sender, &seq)
    &&  sender == 0 && seq >= ACUTE_BASE) {
        int round = seq - ACUTE_BASE;
        if (atomic_fetch_add (&run->escalations [round], 1) == 0)
            atomic_store (&run->escalated_ms [round], zclock_mono ());
    }
    if (b->n == 0)
        b->since = zclock_mono ();
    if (b->n < sizeof b->ids / sizeof *b->ids) {
        b->ids [b->n] = d->delivery_id;
        b->index [b->n++] = index;
    }
}

//  The police RISK team: notes every delivery and receipts them in batches
//  with samhand_client_receipts. A receipt counts as confirmed only when
//  that says so; a copy that arrives after that is a failure, unless it had
//  arrived before the confirming Pong (the library queued it meanwhile:
//  such a copy was sent before the broker took the receipt).
static void *
s_receiver (void *arg)
{
    run_t *run = (run_t *) arg;
    samhand_client_t *c = s_client (run, run->endpoints, "politi-risk");
    Samhand__V1__Frame *sub = NULL;
    while (c && !sub && !atomic_load (&run->stop_receiver))
        sub = samhand_client_subscribe (c, NULL, 1000);
    samhand_frame_destroy (&sub);
    batch_t batch = { .n = 0 }, next = { .n = 0 };
    while (c && !atomic_load (&run->stop_receiver)) {
        Samhand__V1__Frame *f = samhand_client_recv (c, 50);
        s_receive (run, f, &batch);
        samhand_frame_destroy (&f);
        if (batch.n < 64 && (!batch.n || zclock_mono () - batch.since < 50))
            continue;
        int codes [256];
        int rc = samhand_client_receipts (c, batch.ids, batch.n,
                                          SAMHAND__V1__RECEIPT_STATE__RECEIVED, 2000, codes);
        //  What came before the Pong is older than the confirmation.
        next.n = 0;
        while (samhand_client_has_queued (c)) {
            f = samhand_client_recv (c, 0);
            s_receive (run, f, &next);
            samhand_frame_destroy (&f);
        }
        for (size_t i = 0; rc == 0 && i < batch.n; i++)
            if (batch.index [i] >= 0 && codes [i] == 0)
                atomic_store (&run->confirmed [batch.index [i] / PER_SENDER]
                                              [batch.index [i] % PER_SENDER], 1);
        if (rc)
            atomic_fetch_add (&run->receipt_rounds_unconfirmed, 1);
        batch = next;
    }
    samhand_client_destroy (&c);
    return NULL;
}

static pid_t
s_spawn (const char *config, const char *log)
{
    char binary [256];
    snprintf (binary, sizeof binary, "%s/samhandd", harness_build ());
    pid_t pid = fork ();
    if (pid == 0) {
        //  Not the test's stdout: a broker left behind would hold its pipe.
        FILE *out = freopen (log, "a", stderr);
        out = freopen ("/dev/null", "w", stdout);
        (void) out;
        execl (binary, "samhandd", "-c", config, (char *) NULL);
        _exit (127);
    }
    return pid;
}

//  Still running after WAIT_MS?
static bool
s_alive (pid_t pid, int wait_ms)
{
    zclock_sleep (wait_ms);
    return pid > 0 && waitpid (pid, NULL, WNOHANG) == 0;
}

static int
s_stop (pid_t pid, int sig)
{
    if (pid <= 0)
        return -1;
    kill (pid, sig);
    int status = 0;
    for (int i = 0; i < 200; i++) {
        if (waitpid (pid, &status, WNOHANG) == pid)
            return WIFEXITED (status)? WEXITSTATUS (status): 128 + WTERMSIG (status);
        zclock_sleep (50);
    }
    kill (pid, SIGKILL);
    waitpid (pid, &status, 0);
    return -2;
}

#define INVENTED_PASSWORD "Invented-pw-7"

//  Does one line of FILE hold all of A, B and C?
static bool
s_log_line_has (const char *file, const char *a, const char *b, const char *c)
{
    FILE *f = fopen (file, "r");
    char line [2200];
    bool found = false;
    while (f && !found && fgets (line, sizeof line, f))
        found = strstr (line, a) && strstr (line, b) && strstr (line, c);
    if (f)
        fclose (f);
    return found;
}

//  Does FILE contain TEXT (within WAIT_MS)?
static bool
s_log_has (const char *file, const char *text, int wait_ms)
{
    int64_t until = zclock_mono () + wait_ms;
    do {
        FILE *f = fopen (file, "r");
        char line [1024];
        bool found = false;
        while (f && !found && fgets (line, sizeof line, f))
            found = strstr (line, text) != NULL;
        if (f)
            fclose (f);
        if (found)
            return true;
        zclock_sleep (50);
    } while (zclock_mono () < until);
    return false;
}

//  The instance of the broker that answers a ping now ("" if none within
//  WAIT_MS).
static void
s_instance (samhand_client_t *probe, int wait_ms, char out [40])
{
    out [0] = 0;
    Samhand__V1__Frame *pong = samhand_client_ping (probe, wait_ms);
    if (pong && pong->command_case == SAMHAND__V1__FRAME__COMMAND_PONG)
        snprintf (out, 40, "%s", pong->pong->instance);
    samhand_frame_destroy (&pong);
}

//  admin status: the name of the broker that answers, and its mode.
static bool
s_status_names (samhand_client_t *admin, const char *name, const char *mode)
{
    Samhand__V1__Frame frame = SAMHAND__V1__FRAME__INIT;
    Samhand__V1__BrokerStatusQuery query = SAMHAND__V1__BROKER_STATUS_QUERY__INIT;
    frame.command_case = SAMHAND__V1__FRAME__COMMAND_BROKER_STATUS_QUERY;
    frame.broker_status_query = &query;
    Samhand__V1__Frame *reply = samhand_client_request (admin, &frame, 3000);
    bool ok = reply && reply->command_case == SAMHAND__V1__FRAME__COMMAND_BROKER_STATUS
           && streq (reply->broker_status->active_broker, name)
           && streq (reply->broker_status->mode, mode)
           && reply->broker_status->active_since_ms > 0;
    if (!ok && reply && reply->command_case == SAMHAND__V1__FRAME__COMMAND_BROKER_STATUS)
        fprintf (stderr, "status: %s %s\n", reply->broker_status->active_broker,
                 reply->broker_status->mode);
    samhand_frame_destroy (&reply);
    return ok;
}

//  Writes config I from the harness's, with its own port and name.
static int
s_write_config (run_t *run, int i, const char *base_text)
{
    snprintf (run->config [i], sizeof run->config [i], "%s/broker-%c.cfg", run->h->dir, 'a' + i);
    snprintf (run->log [i], sizeof run->log [i], "%s/broker-%c.log", run->h->dir, 'a' + i);
    FILE *f = fopen (run->config [i], "w");
    if (!f)
        return -1;
    char old_bind [64];
    snprintf (old_bind, sizeof old_bind, "tcp://127.0.0.1:%d", run->h->port);
    const char *at = strstr (base_text, old_bind);
    if (!at) {
        fclose (f);
        return -1;
    }
    //  On PostgreSQL the conninfo carries a password (trust authentication
    //  ignores it): no log line may show it.
    const char *db = harness_pg (run->h)? strstr (at, " dbname="): NULL;
    if (db)
        fprintf (f, "%.*stcp://127.0.0.1:%d%.*s password=%s%s", (int) (at - base_text), base_text,
                 run->port [i], (int) (db - at - strlen (old_bind)), at + strlen (old_bind),
                 INVENTED_PASSWORD, db);
    else
        fprintf (f, "%.*stcp://127.0.0.1:%d%s", (int) (at - base_text), base_text, run->port [i],
                 at + strlen (old_bind));
    fprintf (f, "    name = \"broker-%c\"\n    standby = \"yes\"\n", 'a' + i);
    fprintf (f, "    metrics_bind = \"127.0.0.1:%d\"\n", run->metrics_port [i]);
    return fclose (f);
}

//  `samhandd --health -c` broker I's config: its exit status, its line in
//  LINE.
static int
s_health (run_t *run, int i, char *line, size_t size)
{
    char command [800];
    snprintf (command, sizeof command, "%s/samhandd --health -c '%s' 2>/dev/null",
              harness_build (), run->config [i]);
    *line = 0;
    FILE *p = popen (command, "r");
    if (!p)
        return -1;
    if (!fgets (line, (int) size, p))
        *line = 0;
    int status = pclose (p);
    return WIFEXITED (status)? WEXITSTATUS (status): -1;
}

//  Malformed endpoint lists are refused before anything connects.
static void
s_endpoint_lists (void)
{
    harness_t *h = harness_new (NULL);
    char broker [320] = "", cert [320] = "";
    if (h) {
        snprintf (broker, sizeof broker, "%s/server.cert", h->dir);
        snprintf (cert, sizeof cert, "%s/nodes/vakt.cert", h->dir);
        char secret [400];
        snprintf (secret, sizeof secret, "%s_secret", cert);
        chmod (secret, 0600);
    }
    const char *bad [] = { "tcp://127.0.0.1:1,", ",tcp://127.0.0.1:1", "tcp://127.0.0.1:1,,tcp://127.0.0.1:2",
                           "tcp://127.0.0.1:1 tcp://127.0.0.1:2", "tcp://127.0.0.1:1,tcp://127.0.0.1:1",
                           "tcp://127.0.0.1:1,tcp://127.0.0.1:2,tcp://127.0.0.1:3,tcp://127.0.0.1:4,"
                           "tcp://127.0.0.1:5,tcp://127.0.0.1:6,tcp://127.0.0.1:7,tcp://127.0.0.1:8,"
                           "tcp://127.0.0.1:9" };
    int refused = 0;
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        samhand_client_t *c = samhand_client_new (bad [i], broker, cert);
        refused += c == NULL;
        samhand_client_destroy (&c);
    }
    CHECK (refused == (int) (sizeof bad / sizeof *bad),
           "libsamhand refuses empty, doubled, space-separated and too long endpoint lists");
    samhand_client_t *c = samhand_client_new (" tcp://127.0.0.1:1 , tcp://127.0.0.1:2", broker, cert);
    CHECK (c != NULL, "libsamhand takes a comma-separated list with spaces around the commas");
    samhand_client_destroy (&c);
    harness_destroy (&h);
}

//  The whole scenario on the store $SAMHAND_TEST_STORE names (PostgreSQL),
//  or on a sqlite file.
static void
s_scenario (int rounds)
{
    run_t *run = (run_t *) calloc (1, sizeof (run_t));
    //  The acute concern of each round is escalated 3 s after it was
    //  acknowledged, which is after the kill that follows it by 1 s.
    run->h = harness_new ("limits\n    max_outbox = 1000000\n    redeliver_after = 5\n"
                          "workflow\n    escalate_after = \"3s\"\n    escalate_every = \"1h\"\n");
    if (!run || !run->h) {
        BCHECK (false, "test folder and store");
        free (run);
        return;
    }
    char path [400];
    for (size_t i = 0; i < 6; i++) {
        static const char *names [] = { "vakt", "koordinator", "tryggest", "politi-risk",
                                        "krisesenter", "admin" };
        snprintf (path, sizeof path, "%s/nodes/%s.cert_secret", run->h->dir, names [i]);
        chmod (path, 0600);
    }
    //  The harness's config, less its server section's end: the two brokers'
    //  own settings are appended to the server section.
    char *text = NULL;
    FILE *f = fopen (run->h->config, "r");
    size_t size = 0;
    if (f) {
        text = (char *) calloc (1, 8192);
        size = fread (text, 1, 8191, f);
        fclose (f);
    }
    run->port [0] = run->h->port;
    run->port [1] = harness_free_port ();
    run->metrics_port [0] = harness_free_port ();
    run->metrics_port [1] = harness_free_port ();
    //  The extra sections follow "keys": the server keys go in before them.
    char *limits = text? strstr (text, "limits\n"): NULL;
    char head [8192] = "", tail [8192] = "";
    if (limits) {
        snprintf (head, sizeof head, "%.*s", (int) (limits - text), text);
        snprintf (tail, sizeof tail, "%s", limits);
    }
    BCHECK (size > 0 && limits && s_write_config (run, 0, head) == 0
           && s_write_config (run, 1, head) == 0, "two broker configs on one store");
    for (int i = 0; i < 2; i++) {
        f = fopen (run->config [i], "a");
        if (f) {
            fputs (tail, f);
            fclose (f);
        }
    }
    free (text);
    snprintf (run->endpoints, sizeof run->endpoints, "tcp://127.0.0.1:%d,tcp://127.0.0.1:%d",
              run->port [0], run->port [1]);

    //  Broker A starts and leads; B waits as the standby and binds nothing.
    run->pid [0] = s_spawn (run->config [0], run->log [0]);
    samhand_client_t *probe = s_client (run, run->endpoints, "admin");
    char instance [40] = "", was [40] = "";
    for (int i = 0; i < 50 && !*instance; i++)
        s_instance (probe, 200, instance);
    BCHECK (*instance, "broker A answers through the endpoint list");
    run->pid [1] = s_spawn (run->config [1], run->log [1]);
    BCHECK (s_log_has (run->log [1], "broker-b is the standby", 5000) && s_alive (run->pid [1], 0),
           "broker B starts as the standby and says so");
    {
        //  Monitoring: the standby waiting is no alarm; the active is OK.
        char line [400];
        int code = s_health (run, 1, line, sizeof line);
        BCHECK (code == 0 && strstr (line, "SAMHAND OK - standby, waiting for the store's lock"),
                "--health on the standby: exit 0, 'SAMHAND OK - standby, waiting for the store's lock'");
        if (code != 0)
            printf ("note: standby --health said %d: %s", code, line);
        code = s_health (run, 0, line, sizeof line);
        BCHECK (code == 0 && strstr (line, "SAMHAND OK - ") && !strstr (line, "standby"),
                "--health on the active broker: exit 0, OK, not a standby");
    }
    snprintf (path, sizeof path, "tcp://127.0.0.1:%d", run->port [1]);
    samhand_client_t *direct = s_client (run, path, "admin");
    Samhand__V1__Frame *pong = direct? samhand_client_ping (direct, 700): NULL;
    BCHECK (!pong && samhand_client_link (direct) == SAMHAND_LINK_UNREACHABLE,
           "the standby binds nothing while it waits");
    samhand_frame_destroy (&pong);
    samhand_client_destroy (&direct);
    BCHECK (s_status_names (probe, "broker-a", "active"), "admin status names broker-a as the active broker");
    {
        //  Without server/standby a second broker refuses the store in use.
        char lone [400], lone_log [400];
        snprintf (lone, sizeof lone, "%s/lone.cfg", run->h->dir);
        snprintf (lone_log, sizeof lone_log, "%s/lone.log", run->h->dir);
        char cmd [1200];
        snprintf (cmd, sizeof cmd, "sed -e 's/standby = \"yes\"/standby = \"no\"/'"
                  " -e 's/:%d\"/:%d\"/' '%s' > '%s'", run->port [1], harness_free_port (),
                  run->config [1], lone);
        int status = system (cmd);
        pid_t pid = status == 0? s_spawn (lone, lone_log): -1;
        int rc = pid > 0? s_stop (pid, 0): -1;        //  signal 0: just wait for its exit
        BCHECK (rc == 1 && s_log_has (lone_log, "in use by another samhandd", 0),
               "a broker without server/standby refuses a store another broker leads");
    }

    pthread_t senders [SENDERS], receiver;
    sender_arg_t args [SENDERS];
    pthread_create (&receiver, NULL, s_receiver, run);
    for (int i = 0; i < SENDERS; i++) {
        args [i] = (sender_arg_t) { run, i };
        pthread_create (&senders [i], NULL, s_sender, &args [i]);
    }
    samhand_client_t *acute = s_client (run, run->endpoints, "vakt");
    int active = 0, killed = 0, standby_back = 0, served = 0, escalated = 0, acute_acked = 0;
    int64_t takeover_ms [MAX_ROUNDS], kill_at [MAX_ROUNDS];
    for (int r = 0; r < rounds; r++) {
        //  Some traffic, then an acute concern, then the kill.
        int target = atomic_load (&run->acked_total) + 150;
        int64_t until = zclock_mono () + 20000;
        while (atomic_load (&run->acked_total) < target && zclock_mono () < until)
            zclock_sleep (10);
        acute_acked += s_submit (run, acute, 0, ACUTE_BASE + r, true) == 0;
        zclock_sleep (1000);
        snprintf (was, sizeof was, "%s", instance);
        kill_at [r] = zclock_mono ();
        killed += s_stop (run->pid [active], SIGKILL) == 128 + SIGKILL;
        run->pid [active] = 0;
        //  The standby must serve: a ping answered by another broker run.
        *instance = 0;
        while (zclock_mono () - kill_at [r] < 10000) {
            s_instance (probe, 250, instance);
            if (*instance && strcmp (instance, was))
                break;
        }
        takeover_ms [r] = zclock_mono () - kill_at [r];
        served += *instance && strcmp (instance, was) && takeover_ms [r] < 5000;
        active = 1 - active;
        if (r == 0)
            BCHECK (s_status_names (probe, "broker-b", "active"),
                   "after the kill admin status names broker-b as the active broker");
        //  The killed one comes back as the new standby.
        run->pid [1 - active] = s_spawn (run->config [1 - active], run->log [1 - active]);
        //  The escalation falls due after the kill: the new active fires it.
        until = kill_at [r] + 10000;
        while (!atomic_load (&run->escalations [r]) && zclock_mono () < until)
            zclock_sleep (20);
        escalated += atomic_load (&run->escalations [r]) > 0
                  && atomic_load (&run->escalated_ms [r]) > kill_at [r];
        standby_back += s_alive (run->pid [1 - active], 0);
        printf ("# %s round %d: broker-%c killed, broker-%c served after %lld ms, escalation"
                " %lld ms after the kill\n", s_backend, r + 1, 'a' + (1 - active), 'a' + active,
                (long long) takeover_ms [r], atomic_load (&run->escalations [r])
                ? (long long) (atomic_load (&run->escalated_ms [r]) - kill_at [r]): -1LL);
        fflush (stdout);
    }
    if (harness_pg (run->h)) {
        //  Fencing: the active broker's database session ends under it (as
        //  when its link to PostgreSQL dies). The lock goes with the session:
        //  the standby takes over, and the old broker, which can commit
        //  nothing more, sees it and stops.
        snprintf (was, sizeof was, "%s", instance);
        int64_t cut = zclock_mono ();
        int rc = harness_sql_exec (run->h, "SELECT pg_terminate_backend (pid) FROM pg_locks"
                                   " WHERE locktype = 'advisory' AND classid = 7561581"
                                   " AND objid = 1751215716 AND objsubid = 1 AND granted");
        int status = -1;
        for (int i = 0; i < 100 && status < 0; i++) {
            zclock_sleep (50);
            int raw;
            if (waitpid (run->pid [active], &raw, WNOHANG) == run->pid [active])
                status = WIFEXITED (raw)? WEXITSTATUS (raw): 128 + WTERMSIG (raw);
        }
        int64_t stopped_ms = zclock_mono () - cut;
        *instance = 0;
        while (zclock_mono () - cut < 10000) {
            s_instance (probe, 250, instance);
            if (*instance && strcmp (instance, was))
                break;
        }
        int64_t served_ms = zclock_mono () - cut;
        printf ("# postgresql: session of broker-%c ended: it stopped after %lld ms, broker-%c"
                " served after %lld ms\n", 'a' + active, (long long) stopped_ms,
                'a' + (1 - active), (long long) served_ms);
        BCHECK (rc == 0 && status == 1,
                "a broker whose database session ended (its lock gone) stops, status 1");
        //  The server's reason is libpq's words for how the session ended:
        //  the server's own message when it arrived first, else what the
        //  socket said (under load a pipelined send can meet the closed
        //  socket before any answer is read).
        static const char *reasons [] = { "server closed the connection", "terminating connection",
                                          "could not send data to server",
                                          "could not receive data from server", NULL };
        bool reason = false;
        for (int i = 0; reasons [i]; i++)
            reason = reason || s_log_line_has (run->log [active], "lost the leadership",
                                               "store's lock (", reasons [i]);
        bool one_line = s_log_line_has (run->log [active], "error: samhandd: broker-",
                                         "lost the leadership of the store (PostgreSQL database samhand_",
                                         "no longer holds the store's lock (")
                     && reason
                     && s_log_line_has (run->log [active], "lost the leadership",
                                        "systemd starts it again", "check that PostgreSQL is up")
                     && !s_log_has (run->log [active], "transaction is already open", 0)
                     && !s_log_has (run->log [active], "\tThis probably means", 0);
        BCHECK (one_line, "its log says so on one error line: the store, the server's reason,"
                          " what happens next and what to check");
        if (!one_line) {
            //  Whoever meets this next sees what the broker said.
            char cmd [700];
            snprintf (cmd, sizeof cmd, "grep -n 'error' %s | tail -12 >&2", run->log [active]);
            if (system (cmd) == -1)
                fprintf (stderr, "cannot show %s\n", run->log [active]);
        }
        BCHECK (!s_log_has (run->log [0], INVENTED_PASSWORD, 0)
             && !s_log_has (run->log [1], INVENTED_PASSWORD, 0),
                "no log line shows the password in the store's conninfo");
        BCHECK (*instance && strcmp (instance, was) && served_ms < 5000,
                "the standby took the freed lock and served within 5 s");
        if (status < 0)
            s_stop (run->pid [active], SIGKILL);
        run->pid [active] = 0;
        active = 1 - active;
        //  The broker that stopped comes back as the standby.
        run->pid [1 - active] = s_spawn (run->config [1 - active], run->log [1 - active]);
        BCHECK (s_log_has (run->log [1 - active], "is the standby", 5000),
                "and it comes back as the standby");
        int target = atomic_load (&run->acked_total) + 100;
        int64_t until = zclock_mono () + 10000;
        while (atomic_load (&run->acked_total) < target && zclock_mono () < until)
            zclock_sleep (10);
        BCHECK (atomic_load (&run->acked_total) >= target, "submits go on after the fencing");
    }
    atomic_store (&run->stop_senders, 1);
    for (int i = 0; i < SENDERS; i++)
        pthread_join (senders [i], NULL);
    samhand_client_destroy (&acute);
    //  Every acknowledged message must arrive.
    int missing = 0, total = 0;
    int64_t until = zclock_mono () + 30000;
    do {
        missing = total = 0;
        for (int s = 0; s < SENDERS; s++)
            for (int q = 0; q < atomic_load (&run->sent [s]); q++) {
                total += atomic_load (&run->acked [s][q]);
                missing += atomic_load (&run->acked [s][q]) && !atomic_load (&run->delivered [s][q]);
            }
        if (missing)
            zclock_sleep (100);
    } while (missing && zclock_mono () < until);
    zclock_sleep (700);                 //  the last receipts
    atomic_store (&run->stop_receiver, 1);
    pthread_join (receiver, NULL);
    int sent = 0, twice = 0;
    for (int s = 0; s < SENDERS; s++) {
        sent += atomic_load (&run->sent [s]);
        for (int q = 0; q < atomic_load (&run->sent [s]); q++)
            twice += atomic_load (&run->delivered [s][q]) > 1;
    }
    int64_t worst = 0, sum = 0;
    for (int r = 0; r < rounds; r++) {
        sum += takeover_ms [r];
        worst = takeover_ms [r] > worst? takeover_ms [r]: worst;
    }
    printf ("# failover on %s: %d rounds, takeover mean %lld ms, worst %lld ms; %d messages sent,"
            " %d acknowledged, %d submit calls without an answer (sent again), %d deliveries"
            " (%d messages more than once, %d after a confirmed receipt), %d receipt batches"
            " not confirmed (sent again later)\n", s_backend, rounds, (long long) (sum / rounds),
            (long long) worst, sent, total, atomic_load (&run->gave_up),
            atomic_load (&run->deliveries), twice, atomic_load (&run->after_confirm),
            atomic_load (&run->receipt_rounds_unconfirmed));
    BCHECK (killed == rounds, "the active broker was killed with -9 each round");
    BCHECK (served == rounds, "the standby served within 5 s of each kill");
    BCHECK (standby_back == rounds, "each killed broker came back as the standby");
    BCHECK (acute_acked == rounds && escalated == rounds,
           "each round's escalation fired from the broker that took over");
    BCHECK (sent > 0 && total == sent, "every submit was acknowledged in the end (same id on every try)");
    BCHECK (missing == 0, "every acknowledged message was delivered");
    BCHECK (atomic_load (&run->after_confirm) == 0,
           "nothing was delivered again after its receipt was confirmed");
    samhand_client_destroy (&probe);
    int standby = 1 - active;
    {
        //  After the takeovers: the broker that took over serves its
        //  metrics as the active one, the one that came back as standby.
        //  A broker that just took over, or just came back, may need a
        //  moment on a loaded machine: ask until both say so, up to 20 s.
        char line [400], line2 [400];
        bool both = false;
        int code = -1, code2 = -1;
        for (int64_t until = zclock_mono () + 20000; !both && zclock_mono () < until;) {
            code = s_health (run, active, line, sizeof line);
            code2 = s_health (run, standby, line2, sizeof line2);
            both = code == 0 && strstr (line, "SAMHAND OK - ") && !strstr (line, "standby")
                && code2 == 0 && strstr (line2, "SAMHAND OK - standby");
            if (!both)
                zclock_sleep (500);
        }
        BCHECK (both, "--health after the takeovers: the new active OK, the old one a standby");
        if (!both)
            printf ("note: --health said %d: %s and %d: %s", code, line, code2, line2);
    }
    BCHECK (s_stop (run->pid [standby], SIGTERM) == 0, "the standby stops cleanly on SIGTERM");
    BCHECK (s_stop (run->pid [active], SIGTERM) == 0, "the active broker stops cleanly");
    char cmd [700];
    snprintf (cmd, sizeof cmd, "%s/samhandd --verify-audit -c %s 2>&1", harness_build (),
              run->config [0]);
    int status = -1;
    char *out = harness_run (cmd, &status);
    BCHECK (status == 0 && out && strstr (out, "intact"),
           "the audit chain written by both brokers is continuous and verifies");
    if (status != 0)
        fprintf (stderr, "verify-audit: %s\n", out? out: "");
    free (out);
    harness_destroy (&run->h);
    free (run);
}

int
main (void)
{
    bool longrun = getenv ("SAMHAND_FAILOVER_LONG") && *getenv ("SAMHAND_FAILOVER_LONG") == '1';
    int rounds = longrun? 10: 3;
    zsys_init ();
    zsys_set_logstream (NULL);          //  libsamhand's retry warnings are expected here
    s_endpoint_lists ();
    //  make check runs it once on sqlite and once more on a throwaway
    //  PostgreSQL (tests/run.sh --postgresql sets SAMHAND_TEST_STORE), where
    //  the leadership is the advisory lock and a fencing round is added.
    const char *store = getenv ("SAMHAND_TEST_STORE");
    s_backend = store && *store? "postgresql": "sqlite";
    s_scenario (rounds);
    return TEST_DONE ();
}
