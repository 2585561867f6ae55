/*  bench_broker — the figures of issue 14 in one run, against a real
    samhandd in a temp folder (WAL, synchronous=FULL, CURVE on loopback):

      lone      one client, one submit in flight: ack latency
      delivery  submit -> Deliver at a connected, subscribed node
      rate      ack latency at fixed offered loads (open loop: latency is
                counted from the time a submit was due, not sent)
      saturate  N clients each keeping W submits in flight: throughput,
                ack latency, broker CPU per message, RSS, store bytes
      restart   the pending deliveries the saturation left, then SIGTERM
                and start again: time until the broker answers a ping
      nodes     a second broker with K enrolled CURVE nodes connected at
                once: broker RSS before and after

    An ack (SubmitResult) means the message, its outbox entries and its
    audit records are committed. Prints figures; never fails on a time.
    Lines start "bench:" and name their unit. Invented text only.
    Usage: bench_broker [messages per saturation client] [nodes]
    SAMHAND_BENCH_ONLY=saturate or =nodes runs that part alone.           */
#include "benchload.h"
#include "benchstat.h"
#include <sqlite3.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <fcntl.h>

//  "p50 0.41 ms, p99 1.20 ms, p99.9 3.10 ms, max 4.00 ms" of n latencies (sorts them)
static void
s_percentiles (const char *what, int64_t *lat, int n)
{
    if (n == 0) {
        printf ("bench: %s: no samples\n", what);
        return;
    }
    benchstat_sort (lat, n);
    char summary [160];
    benchstat_summary (lat, n, summary, sizeof summary);
    printf ("bench: %s: %s (%d samples)\n", what, summary, n);
}

//  ---------------------------------------------------------------------
//  The broker process: CPU and memory from /proc

//  User + system CPU of pid, in microseconds.
static int64_t
s_cpu_us (pid_t pid)
{
    char path [64], buf [1024];
    snprintf (path, sizeof path, "/proc/%d/stat", (int) pid);
    FILE *f = fopen (path, "r");
    if (!f)
        return -1;
    size_t n = fread (buf, 1, sizeof buf - 1, f);
    fclose (f);
    buf [n] = '\0';
    char *p = strrchr (buf, ')');      //  after the command name
    unsigned long utime = 0, stime = 0;
    if (!p || sscanf (p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu",
                      &utime, &stime) != 2)
        return -1;
    return (int64_t) (utime + stime) * 1000000 / sysconf (_SC_CLK_TCK);
}

//  VmRSS or VmHWM of pid in KiB.
static long
s_mem_kib (pid_t pid, const char *field)
{
    char path [64], line [256];
    snprintf (path, sizeof path, "/proc/%d/status", (int) pid);
    FILE *f = fopen (path, "r");
    long kib = -1;
    size_t fl = strlen (field);
    while (f && fgets (line, sizeof line, f))
        if (strncmp (line, field, fl) == 0 && line [fl] == ':')
            kib = atol (line + fl + 1);
    if (f)
        fclose (f);
    return kib;
}

//  Bytes of the store files (main, WAL, shm); on PostgreSQL the size of
//  the bench's own database (tables, indexes, TOAST; not the server's WAL).
static long long
s_store_bytes (harness_t *h)
{
    if (*h->pg_db)
        return harness_sql_int (h, "SELECT pg_database_size (current_database ())");
    const char *suffix [] = { "", "-wal", "-shm" };
    long long total = 0;
    for (int i = 0; i < 3; i++) {
        char path [400];
        struct stat st;
        snprintf (path, sizeof path, "%s/samhand.db%s", h->dir, suffix [i]);
        if (stat (path, &st) == 0)
            total += st.st_size;
    }
    return total;
}

//  What a durable ack waits for at least: fdatasync after an append, in
//  the store's folder, timed now (a disk shared with other work is slow).
static void
s_fsync_probe (harness_t *h)
{
    char path [400], buf [8192];
    snprintf (path, sizeof path, "%s/fsync-probe", h->dir);
    int fd = open (path, O_CREAT | O_WRONLY | O_TRUNC, 0600);
    if (fd < 0)
        return;
    memset (buf, 'x', sizeof buf);
    int64_t lat [200];
    int n = 0;
    for (; n < 200; n++) {
        if (write (fd, buf, sizeof buf) != (ssize_t) sizeof buf)
            break;
        int64_t t0 = benchstat_now_us ();
        if (fdatasync (fd))
            break;
        lat [n] = benchstat_now_us () - t0;
    }
    close (fd);
    unlink (path);
    s_percentiles ("fdatasync of an 8 KiB append (the disk, now)", lat, n);
}

//  ---------------------------------------------------------------------
//  Submits

//  The packed size of the discussion submit the bench sends, for the
//  mosquitto comparison.
static size_t
s_frame_size (void)
{
    Samhand__V1__Frame frame = SAMHAND__V1__FRAME__INIT;
    Samhand__V1__Submit submit;
    Samhand__V1__CaseDiscussion d;
    uint8_t id [16];
    harness_discussion (&submit, &d, "Invented: hvordan følger vi opp når hun ikke vil anmelde?");
    harness_new_id (&submit, id);
    frame.request_id = 12345;
    frame.command_case = SAMHAND__V1__FRAME__COMMAND_SUBMIT;
    frame.submit = &submit;
    return samhand__v1__frame__get_packed_size (&frame);
}

//  Saturation: clients x messages, window each. Returns acked per second.
static double
s_saturate (harness_t *h, int clients, int messages, int window)
{
    long long bytes0 = s_store_bytes (h);
    int64_t cpu0 = s_cpu_us (h->pid), start = benchstat_now_us ();
    int n, acked, refused;
    int64_t *all = benchload_run (h, clients, messages, window, &n, &acked, &refused);
    double seconds = (double) (benchstat_now_us () - start) / 1e6;
    int64_t cpu = s_cpu_us (h->pid) - cpu0;
    printf ("bench: saturation: %d clients x %d submits, window %d: %d acked, %d refused in %.2f s\n",
            clients, messages, window, acked, refused, seconds);
    printf ("bench: saturation throughput %.0f durable msg/s\n", acked / seconds);
    s_percentiles ("saturation ack latency", all, n);
    if (acked > 0)
        printf ("bench: broker CPU %.1f us per message (user + system, %.2f s over %d messages)\n",
                (double) cpu / acked, cpu / 1e6, acked);
    printf ("bench: broker RSS %ld KiB now, peak %ld KiB\n",
            s_mem_kib (h->pid, "VmRSS"), s_mem_kib (h->pid, "VmHWM"));
    //  the WAL is checkpointed into the main file as it grows; both count
    long long bytes = s_store_bytes (h) - bytes0;
    if (acked > 0)
        printf ("bench: store %.0f bytes per message (%lld bytes for %d messages, %s)\n",
                (double) bytes / acked, bytes, acked,
                *h->pg_db? "PostgreSQL database size": "db + wal");
    free (all);
    return acked / seconds;
}

//  One client, one submit in flight.
static void
s_lone (harness_t *h, int messages)
{
    benchload_worker_t w = { h, "tryggest", 3, messages, 1,
                             (int64_t *) calloc ((size_t) messages, sizeof (int64_t)), 0, 0 };
    benchload_worker (&w);
    s_percentiles ("lone submit ack latency (window 1)", w.latencies_us, w.acked + w.refused);
    free (w.latencies_us);
}

//  Open loop at rate msg/s for seconds: each submit is due at a fixed
//  time; latency is from that time to its ack.
static void
s_rate (harness_t *h, int rate, double seconds)
{
    int total = (int) (rate * seconds);
    hclient_t *c = hclient_new (h, "tryggest");
    if (!c)
        return;
    zsock_set_sndhwm (c->sock, 0);
    zsock_set_rcvhwm (c->sock, 0);
    int64_t *due = (int64_t *) calloc ((size_t) total + 1, sizeof (int64_t));
    int64_t *lat = (int64_t *) calloc ((size_t) total + 1, sizeof (int64_t));
    int sent = 0, done = 0, refused = 0;
    int64_t start = benchstat_now_us () + 1000, last_ack = start;
    while (done < total) {
        int64_t now = benchstat_now_us ();
        while (sent < total && start + (int64_t) sent * 1000000 / rate <= now) {
            due [sent] = start + (int64_t) sent * 1000000 / rate;
            benchload_send (c, 3, (uint64_t) sent + 1);
            sent++;
        }
        int64_t next = sent < total? start + (int64_t) sent * 1000000 / rate: now + 1000000;
        int wait_ms = (int) ((next - now) / 1000);
        if (wait_ms < 0)
            wait_ms = 0;
        zsock_set_rcvtimeo (c->sock, wait_ms);
        zmsg_t *msg = zmsg_recv (c->sock);
        if (!msg) {
            if (sent == total && benchstat_now_us () - last_ack > 10000000)
                break;              //  ten seconds without an ack: give up
            continue;
        }
        zframe_t *fr = zmsg_first (msg);
        Samhand__V1__Frame *f = fr? samhand__v1__frame__unpack (NULL, zframe_size (fr),
                                                                zframe_data (fr)): NULL;
        if (f && f->command_case == SAMHAND__V1__FRAME__COMMAND_SUBMIT_RESULT
        &&  f->request_id >= 1 && f->request_id <= (uint64_t) sent) {
            last_ack = benchstat_now_us ();
            lat [done++] = last_ack - due [f->request_id - 1];
            refused += !f->submit_result->accepted;
        }
        frame_free (&f);
        zmsg_destroy (&msg);
    }
    char what [96];
    snprintf (what, sizeof what, "ack latency at %d msg/s offered for %.0f s (%d refused)",
              rate, seconds, refused);
    s_percentiles (what, lat, done);
    free (due);
    free (lat);
    hclient_destroy (&c);
}

//  Submit -> Deliver at a connected node: vakt's concern reports reach
//  koordinator (same agency); one at a time.
static void
s_delivery (harness_t *h, int messages)
{
    hclient_t *listener = hclient_listener (h, "koordinator");
    hclient_t *vakt = hclient_new (h, "vakt");
    int64_t *lat = (int64_t *) calloc ((size_t) messages, sizeof (int64_t));
    int n = 0;
    for (int i = 0; listener && vakt && i < messages; i++) {
        int64_t t0 = benchstat_now_us ();
        benchload_send (vakt, 1, (uint64_t) i + 1);
        Samhand__V1__Frame *f = hclient_expect (listener, SAMHAND__V1__FRAME__COMMAND_DELIVER, 5000);
        if (!f)
            break;
        lat [n++] = benchstat_now_us () - t0;
        hclient_receipt (listener, f->deliver->delivery_id, 1);
        frame_free (&f);
        f = hclient_expect (vakt, SAMHAND__V1__FRAME__COMMAND_SUBMIT_RESULT, 5000);
        frame_free (&f);
    }
    s_percentiles ("submit -> delivery at a connected node", lat, n);
    free (lat);
    hclient_destroy (&vakt);
    hclient_destroy (&listener);
}

//  A count from the store (the broker stopped).
static long long
s_count (harness_t *h, const char *sql)
{
    if (*h->pg_db)
        return harness_sql_int (h, sql);
    char path [400];
    snprintf (path, sizeof path, "%s/samhand.db", h->dir);
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    long long n = -1;
    if (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK
    &&  sqlite3_prepare_v2 (db, sql, -1, &st, NULL) == SQLITE_OK
    &&  sqlite3_step (st) == SQLITE_ROW)
        n = sqlite3_column_int64 (st, 0);
    sqlite3_finalize (st);
    sqlite3_close (db);
    return n;
}

static void
s_restart (harness_t *h)
{
    int rc = harness_stop (h, SIGTERM);
    long long pending = s_count (h, "SELECT count(*) FROM outbox WHERE state IN (0, 1)");
    long long messages = s_count (h, "SELECT count(*) FROM messages");
    long long bytes = s_store_bytes (h);
    if (messages > 0)
        printf ("bench: store after a clean stop: %lld bytes for %lld messages, %.0f bytes per"
                " message (%.1f deliveries per message)\n", bytes, messages,
                (double) bytes / messages, (double) s_count (h, "SELECT count(*) FROM outbox") / messages);
    int64_t t0 = benchstat_now_us ();
    if (harness_start (h)) {
        printf ("bench: restart: the broker did not come back (stop status %d)\n", rc);
        return;
    }
    double ms = (benchstat_now_us () - t0) / 1000.0;
    printf ("bench: restart with %lld pending deliveries: ready (answers a ping) in %.0f ms\n",
            pending, ms);
    printf ("bench: broker RSS after restart %ld KiB\n", s_mem_kib (h->pid, "VmRSS"));
}

//  ---------------------------------------------------------------------
//  Many nodes

static int
s_enrol (harness_t *h, int count)
{
    static const char *agencies [] = { "resource_centre", "tryggest", "police_risk", "crisis_centre" };
    for (int i = 0; i < count; i++) {
        char name [32], path [512];
        snprintf (name, sizeof name, "bench-%04d", i);
        zcert_t *cert = zcert_new ();
        if (!cert)
            return -1;
        zcert_set_meta (cert, "name", "%s", name);
        zcert_set_meta (cert, "agency", "%s", agencies [i % 4]);
        zcert_set_meta (cert, "role", "%s", i % 4 == 0? "coordinator": "team");
        snprintf (path, sizeof path, "%s/nodes/%s.cert", h->dir, name);
        int rc = zcert_save (cert, path);
        snprintf (path, sizeof path, "%s/enrolled/%s.cert", h->dir, name);
        rc = rc || zcert_save_public (cert, path);
        zcert_destroy (&cert);
        if (rc)
            return -1;
    }
    return 0;
}

static void
s_many_nodes (int count)
{
    if (count <= 0 || count > 100000)
        return;
    harness_t *h = harness_new ("limits\n    max_outbox = 10000000\n    batch = 1024\n");
    int64_t t0 = benchstat_now_us ();
    if (!h || s_enrol (h, count) || harness_start (h)) {
        printf ("bench: nodes: the broker did not start with %d enrolled nodes\n", count);
        harness_destroy (&h);
        return;
    }
    printf ("bench: nodes: broker with %d enrolled nodes started in %.0f ms (certificates made"
            " in the same time)\n", count, (benchstat_now_us () - t0) / 1000.0);
    long rss0 = s_mem_kib (h->pid, "VmRSS");
    hclient_t **c = (hclient_t **) calloc ((size_t) count, sizeof *c);
    t0 = benchstat_now_us ();
    int made = 0;
    for (int i = 0; i < count; i++) {
        char name [32];
        snprintf (name, sizeof name, "bench-%04d", i);
        c [i] = hclient_new (h, name);
        if (c [i]) {
            made++;
            Samhand__V1__Frame frame = SAMHAND__V1__FRAME__INIT;
            Samhand__V1__Ping ping = SAMHAND__V1__PING__INIT;
            frame.command_case = SAMHAND__V1__FRAME__COMMAND_PING;
            frame.ping = &ping;
            hclient_send (c [i], &frame);
        }
    }
    //  wait for the pongs on all sockets at once, 60 s at most
    zmq_pollitem_t *items = (zmq_pollitem_t *) calloc ((size_t) count, sizeof *items);
    bool *got = (bool *) calloc ((size_t) count, sizeof *got);
    for (int i = 0; i < count; i++)
        items [i] = (zmq_pollitem_t) { c [i]? zsock_resolve (c [i]->sock): NULL, 0,
                                       c [i]? ZMQ_POLLIN: 0, 0 };
    int answered = 0;
    int64_t deadline = benchstat_now_us () + 60000000;
    while (answered < made && benchstat_now_us () < deadline) {
        if (zmq_poll (items, count, 1000) < 0)
            break;
        for (int i = 0; i < count; i++)
            if (items [i].revents & ZMQ_POLLIN) {
                Samhand__V1__Frame *f = hclient_recv (c [i], 0);
                if (f && f->command_case == SAMHAND__V1__FRAME__COMMAND_PONG && !got [i]) {
                    got [i] = true;
                    answered++;
                    items [i].events = 0;
                }
                frame_free (&f);
            }
    }
    free (items);
    free (got);
    double ms = (benchstat_now_us () - t0) / 1000.0;
    long rss = s_mem_kib (h->pid, "VmRSS");
    printf ("bench: nodes: %d CURVE connections, %d answered a ping, in %.0f ms\n", made, answered, ms);
    printf ("bench: nodes: broker RSS %ld KiB with %d nodes connected (%ld KiB before: %.1f KiB"
            " per node)\n", rss, answered, rss0, answered? (double) (rss - rss0) / answered: 0.0);
    for (int i = 0; i < count; i++)
        hclient_destroy (&c [i]);
    free (c);
    harness_destroy (&h);
}

int
main (int argc, char *argv [])
{
    int messages = argc > 1? atoi (argv [1]): 25000;
    int nodes = argc > 2? atoi (argv [2]): 2000;
    if (messages < 1 || nodes < 0) {
        fprintf (stderr, "usage: bench_broker [messages per saturation client] [nodes]\n");
        return 2;
    }
    //  a socket and a connection per node, in this process
    struct rlimit rl;
    if (getrlimit (RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit (RLIMIT_NOFILE, &rl);
    }
    zsys_init ();
    zsys_set_linger (0);
    zsys_set_max_sockets (0);
    printf ("bench: a discussion submit frame is %zu bytes\n", s_frame_size ());
    //  SAMHAND_BENCH_ONLY=saturate or =nodes: that part alone (for a profile)
    const char *only = getenv ("SAMHAND_BENCH_ONLY");
    if (only && streq (only, "nodes")) {
        s_many_nodes (nodes);
        return 0;
    }
    harness_t *h = harness_new ("limits\n    max_outbox = 10000000\n    batch = 1024\n");
    if (!h || harness_start (h)) {
        fprintf (stderr, "bench: broker did not start\n");
        harness_destroy (&h);
        return 1;
    }
    printf ("bench: broker RSS at start %ld KiB\n", s_mem_kib (h->pid, "VmRSS"));
    s_fsync_probe (h);
    bool all = !(only && streq (only, "saturate"));
    if (all) {
        s_lone (h, 2000);
        s_delivery (h, 1000);
        s_rate (h, 1000, 5);
        s_rate (h, 10000, 3);
    }
    s_saturate (h, 4, messages, 128);
    if (all)
        s_restart (h);
    harness_destroy (&h);
    if (nodes > 0)
        s_many_nodes (nodes);
    return 0;
}
