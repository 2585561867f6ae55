/*  bench_parts — what one durable submit costs, part by part: encryption
    at rest (AES-256-GCM seal + open), audit records (hash chain append in
    a WAL transaction, as the broker batches them), the identifier scanner
    and the policy. Figures only; invented text.                          */
#include "audit.h"
#include "crypto.h"
#include "nodes.h"
#include "policy.h"
#include "scanner.h"
#include <czmq.h>
#include "store.h"

static double
s_now (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

//  CPU time of this process: on a shared machine the wall clock also
//  counts the time other work held the core.
static double
s_cpu (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_PROCESS_CPUTIME_ID, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static double s_cpu0;

//  Marks the start of a timed part (wall from the caller's t0, CPU here).
static double
s_start (void)
{
    s_cpu0 = s_cpu ();
    return s_now ();
}

static void
s_report (const char *what, int n, double seconds)
{
    printf ("bench-parts: %-44s %8.2f us/op  %8.2f us CPU/op  (%d ops)\n", what,
            seconds * 1e6 / n, (s_cpu () - s_cpu0) * 1e6 / n, n);
}

static void
s_crypto (void)
{
    crypto_keyring_t *ring = crypto_keyring_new ();
    uint8_t key [32], aad [16], plain [400];
    crypto_random (key, sizeof key);
    crypto_random (aad, sizeof aad);
    memset (plain, 'x', sizeof plain);
    crypto_keyring_add (ring, 1, key);
    int n = 200000;
    double t0 = s_start ();
    for (int i = 0; i < n; i++) {
        uint8_t *out = NULL;
        size_t len = 0;
        crypto_seal (ring, aad, 16, plain, sizeof plain, &out, &len);
        uint8_t *back = NULL;
        size_t back_len = 0;
        crypto_open (ring, aad, 16, out, len, &back, &back_len);
        free (out);
        free (back);
    }
    s_report ("seal + open a 400-byte message (AES-GCM)", n, s_now () - t0);
    crypto_keyring_destroy (&ring);
}

static void
s_audit (void)
{
    char dir [] = "/tmp/samhand-bench-XXXXXX";
    if (!mkdtemp (dir))
        return;
    char path [128];
    snprintf (path, sizeof path, "%s/audit.db", dir);
    store_t *store = store_new (path);
    audit_t *audit = store? audit_new (store): NULL;
    if (!audit) {
        fprintf (stderr, "bench: cannot open %s\n", path);
        exit (1);
    }
    uint8_t id [16], hash [32], subject [32];
    crypto_random (id, 16);
    crypto_random (hash, 32);
    crypto_random (subject, 32);
    int n = 100000, batch = 500;
    double t0 = s_start ();
    for (int i = 0; i < n; i += batch) {
        if (store_begin (store))
            exit (1);
        for (int k = 0; k < batch; k++) {
            audit_record_t r = { .event = "decided", .message_id = id, .sender = "vakt",
                                 .agency = 2, .view = 2, .rule = "FVL13-PSEUDONYMISED",
                                 .basis = "forvaltningsloven §13 a nr. 2", .content_hash = hash,
                                 .subject_key = subject, .detail = "no consent in scope" };
            if (audit_append (audit, &r, i + k)) {
                fprintf (stderr, "bench: audit append failed\n");
                exit (1);
            }
        }
        if (store_commit (store))
            exit (1);
    }
    s_report ("audit record (chain hash + insert, 500/commit)", n, s_now () - t0);
    audit_destroy (&audit);
    store_destroy (&store);
    char cmd [160];
    snprintf (cmd, sizeof cmd, "rm -rf %s", dir);
    if (system (cmd) != 0)
        fprintf (stderr, "cannot remove %s\n", dir);
}

static void
s_scanner (void)
{
    uint8_t key [32] = { 1 };
    scan_known_t *known = scan_known_new (key);
    scan_known_add_name (known, "Kari Testesen", 13);
    const char *text = "Invented: hvordan følger vi opp en kvinne i aktiv rus som ikke vil anmelde,"
                       " når hun sier at ekspartneren venter utenfor hybelen hver kveld?";
    int n = 50000;
    scan_finding_t found [8];
    double t0 = s_start ();
    for (int i = 0; i < n; i++)
        scanner_scan (text, strlen (text), known, found, 8);
    s_report ("identifier scan of a 150-byte discussion", n, s_now () - t0);
    //  as the broker scans: text and question together, with the word list
    char err [300];
    t0 = s_now ();
    namelex_t *lex = namelex_load ("/usr/share/dict/bokmaal", 100000, err, sizeof err);
    printf ("bench-parts: %-44s %8.1f ms     (%zu words, %zu KiB)\n", "names dictionary load",
            (s_now () - t0) * 1e3, namelex_size (lex), namelex_bytes (lex) / 1024);
    if (lex) {
        scan_ctx_t ctx = { .known = known, .lex = lex };
        const char *texts [2] = { text, "Hva bør vi gjøre?" };
        size_t lens [2] = { strlen (text), strlen (texts [1]) };
        t0 = s_start ();
        for (int i = 0; i < n; i++)
            scanner_scan_fields (&ctx, texts, lens, 2, found, 8);
        s_report ("identifier scan, text + question, with the word list", n, s_now () - t0);
    }
    namelex_destroy (&lex);
    scan_known_destroy (&known);
}

static void
s_policy (void)
{
    int n = 1000000;
    policy_decision_t out;
    policy_input_t in = { .kind = SAMHAND__V1__KIND__CONCERN_REPORT, .classes_present = 0xff,
                          .sender_agency = SAMHAND__V1__AGENCY__RESOURCE_CENTRE,
                          .sender_role = POLICY_ROLE_DUTY_OPERATOR,
                          .recipient = SAMHAND__V1__AGENCY__POLICE_RISK, .now = 1, .text_clean = true };
    double t0 = s_start ();
    for (int i = 0; i < n; i++)
        policy_decide (&in, &out);
    s_report ("policy decision (one recipient agency)", n, s_now () - t0);
}

//  The node registry with BENCH_NODES enrolled certificates (invented
//  nodes "bench-0000".., in a folder of their own): the lookup by key every
//  frame makes (broker: the frame's User-Id), by name (per session and
//  cycle), the forced re-read (nodes_reload, SIGHUP) and the check every
//  5 s (nodes_refresh, which reads again only when the folder changed).
#define BENCH_NODES 2000
static void
s_nodes (void)
{
    char dir [] = "/tmp/samhand-bench-nodes-XXXXXX";
    if (!mkdtemp (dir))
        return;
    static char keys [BENCH_NODES][41], names [BENCH_NODES][16];
    static const char *agencies [] = { "resource_centre", "tryggest", "police_risk", "crisis_centre" };
    for (int i = 0; i < BENCH_NODES; i++) {
        zcert_t *cert = zcert_new ();
        snprintf (names [i], sizeof names [i], "bench-%04d", i);
        snprintf (keys [i], sizeof keys [i], "%s", zcert_public_txt (cert));
        zcert_set_meta (cert, "name", "%s", names [i]);
        zcert_set_meta (cert, "agency", "%s", agencies [i % 4]);
        zcert_set_meta (cert, "role", "team");
        char path [96];
        snprintf (path, sizeof path, "%s/%.15s.cert", dir, names [i]);
        if (zcert_save_public (cert, path))
            printf ("bench-parts: cannot write %s\n", path);
        zcert_destroy (&cert);
    }
    double t0 = s_start ();
    nodes_t *nodes = nodes_new (dir);
    s_report ("nodes: load 2,000 enrolled certificates", 1, s_now () - t0);
    if (!nodes || nodes_size (nodes) != BENCH_NODES)
        printf ("bench-parts: nodes: loaded %zu of %d\n", nodes? nodes_size (nodes): 0, BENCH_NODES);
    int n = 200000, found = 0;
    t0 = s_start ();
    for (int i = 0; nodes && i < n; i++)
        found += nodes_by_key (nodes, keys [(i * 7919) % BENCH_NODES]) != NULL;
    s_report ("nodes: by key, 2,000 enrolled", n, s_now () - t0);
    t0 = s_start ();
    for (int i = 0; nodes && i < n; i++)
        found += nodes_by_name (nodes, names [(i * 7919) % BENCH_NODES]) != NULL;
    s_report ("nodes: by name, 2,000 enrolled", n, s_now () - t0);
    t0 = s_start ();
    for (int i = 0; nodes && i < n; i++)
        found += nodes_by_key (nodes, "0000000000000000000000000000000000000000") != NULL;
    s_report ("nodes: by key, not enrolled", n, s_now () - t0);
    if (found != 2 * n)
        printf ("bench-parts: nodes: %d of %d lookups found\n", found, 2 * n);
    int reloads = 5;
    t0 = s_start ();
    for (int i = 0; nodes && i < reloads; i++)
        if (nodes_reload (nodes))
            printf ("bench-parts: nodes: reload failed\n");
    s_report ("nodes: reload 2,000 enrolled certificates", reloads, s_now () - t0);
    //  What the broker does every 5 s now: read again only if the folder
    //  changed (its stat, and every file's stat as the 5 s are past the
    //  scan interval). The clock is put 10 s ahead, as if the files were
    //  written a while ago (files younger than 2 s are read every time).
    int64_t later = zclock_time () + 10000;
    if (nodes)
        nodes_refresh (nodes, later);         //  the first: untrusted, reads
    size_t loads = nodes? nodes_loads (nodes): 0;
    int refreshes = 50;
    t0 = s_start ();
    for (int i = 1; nodes && i <= refreshes; i++)
        if (nodes_refresh (nodes, later + i * 5000))
            printf ("bench-parts: nodes: refresh failed\n");
    s_report ("nodes: refresh 2,000 enrolled, folder unchanged", refreshes, s_now () - t0);
    if (nodes && nodes_loads (nodes) != loads)
        printf ("bench-parts: nodes: an unchanged folder was read again %zu times\n",
                nodes_loads (nodes) - loads);
    nodes_destroy (&nodes);
    for (int i = 0; i < BENCH_NODES; i++) {
        char path [96];
        snprintf (path, sizeof path, "%s/%.15s.cert", dir, names [i]);
        unlink (path);
    }
    rmdir (dir);
}

//  With arguments, only the parts named ("crypto", "audit", "scanner",
//  "policy", "nodes"); without, all of them.
static bool
s_wanted (int argc, char **argv, const char *part)
{
    if (argc < 2)
        return true;
    for (int i = 1; i < argc; i++)
        if (streq (argv [i], part))
            return true;
    return false;
}

int
main (int argc, char **argv)
{
    if (s_wanted (argc, argv, "crypto"))
        s_crypto ();
    if (s_wanted (argc, argv, "audit"))
        s_audit ();
    if (s_wanted (argc, argv, "scanner"))
        s_scanner ();
    if (s_wanted (argc, argv, "policy"))
        s_policy ();
    if (s_wanted (argc, argv, "nodes"))
        s_nodes ();
    return 0;
}
