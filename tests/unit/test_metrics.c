/*  test_metrics — the pure parts of metrics: Prometheus text rendering,
    label escaping, the commit histogram, the --health judgement and the
    loopback-only rule for metrics_bind. Node names are invented.         */
#include "testlib.h"
#include "metrics.h"
#include <czmq.h>

static bool
s_has (const char *text, const char *line)
{
    char want [512];
    snprintf (want, sizeof want, "\n%s\n", line);
    bool found = text && strstr (text, want);
    if (!found)
        printf ("# missing: %s\n", line);
    return found;
}

int
main (void)
{
    metrics_node_t nodes [3] = {
        { .node = "vakt", .connected = true, .last_seen_ms = 1700000000500, .pending = 2,
          .oldest_ms = 1700000000000 - 90000 },
        { .node = "politi-risk", .connected = false, .pending = 0 },
        { .node = "bad\"name\\x\ny", .connected = false, .pending = 1, .oldest_ms = 1 },
    };
    metrics_snapshot_t snap = { .now_ms = 1700000000000, .version = "9.9.9", .mode = "single",
                                .nodes = nodes, .n_nodes = 3, .dead_letters = 4,
                                .open_escalations = 1, .reviews = 2,
                                .last_signature_ms = 1699999999000, .store_bytes = 123456,
                                .submits = 10, .deliveries = 20, .commits = 30 };
    metrics_hist_observe (&snap.commit_latency, 0.0001);    //  first bucket
    metrics_hist_observe (&snap.commit_latency, 0.003);     //  le 0.005
    metrics_hist_observe (&snap.commit_latency, 7.0);       //  +Inf only
    char *text = metrics_render (&snap);
    CHECK (text != NULL, "metrics: renders");
    CHECK (s_has (text, "samhand_info{version=\"9.9.9\",mode=\"single\"} 1"),
           "metrics: samhand_info names version and mode");
    CHECK (s_has (text, "samhand_connected_nodes 1"), "metrics: connected nodes counted");
    CHECK (s_has (text, "samhand_outbox_pending{node=\"vakt\"} 2.000")
        && s_has (text, "samhand_outbox_pending{node=\"politi-risk\"} 0.000"),
           "metrics: outbox pending per node, zero included");
    CHECK (s_has (text, "samhand_outbox_oldest_age_seconds{node=\"vakt\"} 90.000"),
           "metrics: age of the oldest waiting delivery in seconds");
    CHECK (s_has (text, "samhand_node_last_seen_timestamp_seconds{node=\"vakt\"} 1700000000.500")
        && !strstr (text, "samhand_node_last_seen_timestamp_seconds{node=\"politi-risk\""),
           "metrics: last seen only for nodes seen");
    CHECK (s_has (text, "samhand_outbox_pending{node=\"bad\\\"name\\\\x\\ny\"} 1.000"),
           "metrics: label values escaped (quote, backslash, newline)");
    CHECK (s_has (text, "samhand_dead_letters 4") && s_has (text, "samhand_open_escalations 1")
        && s_has (text, "samhand_duty_to_avert_reviews 2") && s_has (text, "samhand_store_bytes 123456")
        && s_has (text, "samhand_audit_last_signature_timestamp_seconds 1699999999.000"),
           "metrics: dead letters, escalations, reviews, store size, last signature");
    CHECK (s_has (text, "# TYPE samhand_submits_total counter") && s_has (text, "samhand_submits_total 10")
        && s_has (text, "samhand_deliveries_total 20") && s_has (text, "samhand_commits_total 30"),
           "metrics: submit, delivery and commit counters");
    CHECK (s_has (text, "# TYPE samhand_commit_duration_seconds histogram")
        && s_has (text, "samhand_commit_duration_seconds_bucket{le=\"0.0005\"} 1")
        && s_has (text, "samhand_commit_duration_seconds_bucket{le=\"0.0025\"} 1")
        && s_has (text, "samhand_commit_duration_seconds_bucket{le=\"0.005\"} 2")
        && s_has (text, "samhand_commit_duration_seconds_bucket{le=\"1\"} 2")
        && s_has (text, "samhand_commit_duration_seconds_bucket{le=\"+Inf\"} 3")
        && s_has (text, "samhand_commit_duration_seconds_count 3"),
           "metrics: commit latency histogram is cumulative and ends in +Inf");
    //  Every line is a comment or "name{labels} value": nothing else leaks in.
    bool clean = text != NULL;
    for (char *line = text; clean && line && *line; ) {
        char *end = strchr (line, '\n');
        clean = end != NULL && (line [0] == '#' || strncmp (line, "samhand_", 8) == 0);
        line = end? end + 1: NULL;
    }
    CHECK (clean, "metrics: every line is a comment or a samhand_ sample, newline-terminated");

    char line [300];
    int code = metrics_health (text, line, sizeof line);
    CHECK (code == METRICS_WARNING && strncmp (line, "SAMHAND WARNING - 1 node connected, 3 waiting", 45) == 0,
           "health: dead letters give WARNING");
    printf ("# %s\n", line);
    free (text);

    snap.dead_letters = 0;
    nodes [2].oldest_ms = 0;
    text = metrics_render (&snap);
    code = metrics_health (text, line, sizeof line);
    CHECK (code == METRICS_OK && strstr (line, "SAMHAND OK - ") == line && !strchr (line, '\n'),
           "health: no dead letters, nothing old: OK, one line");
    free (text);
    nodes [0].oldest_ms = snap.now_ms - (METRICS_WARN_AGE_S + 5) * 1000LL;
    text = metrics_render (&snap);
    CHECK (metrics_health (text, line, sizeof line) == METRICS_WARNING,
           "health: a delivery waiting over an hour gives WARNING");
    free (text);
    //  A standby waiting for the store's lock: OK, and it says so.
    text = metrics_render_standby ("0.1.0", 12.4);
    CHECK (text && strstr (text, "samhand_info{version=\"0.1.0\",mode=\"standby\"} 1\n")
           && strstr (text, "\nsamhand_standby_waiting_seconds 12.400\n")
           && !strstr (text, "samhand_connected_nodes"),
           "metrics: a standby serves its mode and how long it has waited, no counts");
    code = metrics_health (text, line, sizeof line);
    CHECK (code == METRICS_OK && streq (line, "SAMHAND OK - standby, waiting for the store's lock"
           " (another broker is active) for 12 s | standby=1 waiting=12s"),
           "health: a standby waiting is OK and says standby");
    printf ("# %s\n", line);
    free (text);
    CHECK (metrics_health ("samhand_info{version=\"0.1.0\",mode=\"standby\"} 1\n", line, sizeof line)
           == METRICS_UNKNOWN, "health: a standby's text without its waiting time is UNKNOWN");
    //  Key rotation: the previous key's end and the nodes still on it.
    text = metrics_render (&snap);
    CHECK (text && !strstr (text, "previous_key"),
           "metrics: no previous-key samples when no key rotation is configured");
    free (text);
    int64_t now_s = (int64_t) time (NULL);
    nodes [2].oldest_ms = 0;
    nodes [0].oldest_ms = 0;
    nodes [0].previous_key_ms = 1700000000250;
    nodes [0].previous_session = true;
    nodes [1].previous_key_ms = 1699999999000;
    snap.dead_letters = 0;
    snap.previous_until_ms = (now_s + 7200) * 1000;
    snap.previous_open = true;
    text = metrics_render (&snap);
    char until [96];
    snprintf (until, sizeof until, "samhand_previous_key_until_timestamp_seconds %lld.000",
              (long long) now_s + 7200);
    CHECK (s_has (text, "samhand_previous_key_accepted 1") && s_has (text, until)
        && s_has (text, "samhand_node_previous_key_connected{node=\"vakt\"} 1.000")
        && s_has (text, "samhand_node_previous_key_connected{node=\"politi-risk\"} 0.000")
        && s_has (text, "samhand_node_previous_key_last_seen_timestamp_seconds{node=\"vakt\"} 1700000000.250")
        && !strstr (text, "samhand_node_previous_key_connected{node=\"bad"),
           "metrics: previous key accepted, until when, per node seen on it (connected or not)");
    code = metrics_health (text, line, sizeof line);
    CHECK (code == METRICS_WARNING && strstr (line, "; previous server key accepted until ")
           && strstr (line, ", 1 node still on it: vakt |") && strstr (line, " previous_key_nodes=1"),
           "health: a node still on the previous key within a day of its end: WARNING, named");
    printf ("# %s\n", line);
    free (text);
    snap.previous_until_ms = (now_s + 3 * 86400) * 1000;
    text = metrics_render (&snap);
    CHECK (metrics_health (text, line, sizeof line) == METRICS_OK && strstr (line, "1 node still on it: vakt"),
           "health: ... days before its end: OK, still named");
    free (text);
    nodes [0].previous_session = false;
    text = metrics_render (&snap);
    CHECK (metrics_health (text, line, sizeof line) == METRICS_OK
           && strstr (line, "no node connected on it") && strstr (line, "previous_key_nodes=0"),
           "health: nobody connected on the previous key: OK, says so");
    free (text);
    snap.previous_open = false;
    text = metrics_render (&snap);
    CHECK (s_has (text, "samhand_previous_key_accepted 0") && metrics_health (text, line, sizeof line) == METRICS_OK
           && !strstr (line, "previous"), "health: after the end, nothing about a previous key");
    free (text);
    CHECK (metrics_health ("<html>hello</html>", line, sizeof line) == METRICS_UNKNOWN
        && metrics_health (NULL, line, sizeof line) == METRICS_UNKNOWN,
           "health: a text that is not ours is UNKNOWN");

    char err [256];
    CHECK (metrics_bind_check ("127.0.0.1:9464", err, sizeof err) == 0
        && metrics_bind_check ("127.0.0.2:9464", err, sizeof err) == 0
        && metrics_bind_check ("[::1]:9464", err, sizeof err) == 0
        && metrics_bind_check ("localhost:9464", err, sizeof err) == 0,
           "metrics_bind: loopback addresses are accepted");
    CHECK (metrics_bind_check ("0.0.0.0:9464", err, sizeof err) == -1
        && metrics_bind_check ("10.1.2.3:9464", err, sizeof err) == -1
        && metrics_bind_check ("[::]:9464", err, sizeof err) == -1
        && metrics_bind_check ("[::ffff:10.0.0.1]:9464", err, sizeof err) == -1
        && metrics_bind_check ("example.org:9464", err, sizeof err) == -1,
           "metrics_bind: any address that is not loopback is refused");
    CHECK (metrics_bind_check ("127.0.0.1", err, sizeof err) == -1
        && metrics_bind_check ("127.0.0.1:0", err, sizeof err) == -1
        && metrics_bind_check ("127.0.0.1:70000", err, sizeof err) == -1
        && metrics_bind_check ("127.0.0.1:94x", err, sizeof err) == -1
        && metrics_bind_check (":9464", err, sizeof err) == -1,
           "metrics_bind: a missing or bad port is refused");
    return TEST_DONE ();
}
