/*  metrics — Prometheus text, health judgement, loopback HTTP. See metrics.h. */
#include "metrics.h"
#include <czmq.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <sys/socket.h>

const double metrics_bucket_bounds [METRICS_BUCKETS - 1] = {
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0
};

void
metrics_hist_observe (metrics_hist_t *self, double seconds)
{
    assert (self);
    size_t bucket = 0;
    while (bucket < METRICS_BUCKETS - 1 && seconds > metrics_bucket_bounds [bucket])
        bucket++;
    self->counts [bucket]++;
    self->count++;
    self->sum_s += seconds;
}

//  ---------------------------------------------------------------------
//  Rendering: a growing buffer; a failed allocation poisons it.

typedef struct {
    char  *data;
    size_t len, size;
    bool   failed;
} text_t;

static void
s_put (text_t *t, const char *format, ...)
{
    if (t->failed)
        return;
    for (;;) {
        va_list args;
        va_start (args, format);
        int n = vsnprintf (t->data + t->len, t->size - t->len, format, args);
        va_end (args);
        if (n < 0) {
            t->failed = true;
            return;
        }
        if (t->len + (size_t) n < t->size) {
            t->len += (size_t) n;
            return;
        }
        size_t size = (t->size + (size_t) n + 1) * 2;
        char *data = (char *) realloc (t->data, size);
        if (!data) {
            t->failed = true;
            return;
        }
        t->data = data;
        t->size = size;
    }
}

//  A label value: backslash, double quote and newline escaped as the text
//  format wants. Node names are identifiers, but a broken one must not
//  break the exposition either.
static void
s_put_label (text_t *t, const char *value)
{
    //  Plain runs in one piece: a call per character was most of the time
    //  of a render with thousands of nodes.
    for (const char *p = value; *p; ) {
        size_t plain = strcspn (p, "\\\"\n");
        if (plain) {
            s_put (t, "%.*s", (int) plain, p);
            p += plain;
            continue;
        }
        if (*p == '\\')      s_put (t, "\\\\");
        else if (*p == '"')  s_put (t, "\\\"");
        else                 s_put (t, "\\n");
        p++;
    }
}

static void
s_gauge (text_t *t, const char *name, const char *help, int64_t value)
{
    s_put (t, "# HELP %s %s\n# TYPE %s gauge\n%s %" PRId64 "\n", name, help, name, name, value);
}

static void
s_counter (text_t *t, const char *name, const char *help, uint64_t value)
{
    s_put (t, "# HELP %s %s\n# TYPE %s counter\n%s %" PRIu64 "\n", name, help, name, name, value);
}

typedef enum { PER_CONNECTED, PER_LAST_SEEN, PER_PENDING, PER_OLDEST,
               PER_PREVIOUS_CONNECTED, PER_PREVIOUS_SEEN } per_node_t;

static void
s_per_node (text_t *t, const metrics_snapshot_t *snap, const char *name, const char *help,
            per_node_t which)
{
    s_put (t, "# HELP %s %s\n# TYPE %s gauge\n", name, help, name);
    for (size_t i = 0; i < snap->n_nodes; i++) {
        const metrics_node_t *n = &snap->nodes [i];
        double value;
        if (which == PER_CONNECTED)
            value = n->connected;
        else if (which == PER_LAST_SEEN) {
            if (!n->last_seen_ms)
                continue;             //  not seen since start: no sample
            value = n->last_seen_ms / 1000.0;
        }
        else if (which == PER_PENDING)
            value = (double) n->pending;
        else if (which == PER_PREVIOUS_CONNECTED || which == PER_PREVIOUS_SEEN) {
            if (!n->previous_key_ms)
                continue;             //  never on the previous key: no sample
            value = which == PER_PREVIOUS_CONNECTED? n->previous_session
                                                   : n->previous_key_ms / 1000.0;
        }
        else
            value = n->oldest_ms && snap->now_ms > n->oldest_ms
                  ? (snap->now_ms - n->oldest_ms) / 1000.0: 0;
        s_put (t, "%s{node=\"", name);
        s_put_label (t, n->node);
        s_put (t, "\"} %.3f\n", value);
    }
}

//  samhand_info{version,mode} 1: what --health first looks for.
static void
s_info (text_t *t, const char *version, const char *mode)
{
    s_put (t, "# HELP samhand_info The broker's version and mode (single: the only broker;"
              " active: leads the store, a standby may wait; standby: waits for the store's"
              " lock, serves nothing else).\n"
              "# TYPE samhand_info gauge\nsamhand_info{version=\"");
    s_put_label (t, version? version: "unknown");
    s_put (t, "\",mode=\"");
    s_put_label (t, mode);
    s_put (t, "\"} 1\n");
}

char *
metrics_render (const metrics_snapshot_t *snap)
{
    assert (snap);
    text_t t = { (char *) malloc (4096), 0, 4096, false };
    if (!t.data)
        return NULL;
    t.data [0] = 0;
    s_info (&t, snap->version, snap->mode? snap->mode: "single");
    int64_t connected = 0;
    for (size_t i = 0; i < snap->n_nodes; i++)
        connected += snap->nodes [i].connected;
    s_gauge (&t, "samhand_connected_nodes", "Nodes with a delivery session now.", connected);
    s_per_node (&t, snap, "samhand_node_connected", "1 if the node has a delivery session now.",
                PER_CONNECTED);
    s_per_node (&t, snap, "samhand_node_last_seen_timestamp_seconds",
                "When the broker last had a frame from the node (since it started).",
                PER_LAST_SEEN);
    s_per_node (&t, snap, "samhand_outbox_pending",
                "Deliveries waiting for the node or sent and not yet receipted.", PER_PENDING);
    s_per_node (&t, snap, "samhand_outbox_oldest_age_seconds",
                "Age of the node's oldest waiting delivery (0 when none).", PER_OLDEST);
    s_gauge (&t, "samhand_dead_letters", "Deliveries given up on after the maximum attempts.",
             snap->dead_letters);
    s_gauge (&t, "samhand_open_escalations", "Escalated acute concerns not yet read or ended.",
             snap->open_escalations);
    s_gauge (&t, "samhand_duty_to_avert_reviews",
             "Disclosures under the duty to avert on record, each for review.", snap->reviews);
    s_put (&t, "# HELP samhand_audit_last_signature_timestamp_seconds When the audit chain's head"
               " was last signed (0: never).\n"
               "# TYPE samhand_audit_last_signature_timestamp_seconds gauge\n"
               "samhand_audit_last_signature_timestamp_seconds %.3f\n",
           snap->last_signature_ms / 1000.0);
    s_gauge (&t, "samhand_store_bytes", "Size of the store (database and WAL).", snap->store_bytes);
    if (snap->previous_until_ms) {
        //  Server key rotation: whether the old key is still accepted,
        //  until when, and who still uses it (node names only).
        s_gauge (&t, "samhand_previous_key_accepted",
                 "1 while the previous server key is accepted (key rotation), 0 after.",
                 snap->previous_open);
        s_put (&t, "# HELP samhand_previous_key_until_timestamp_seconds When the previous server"
                   " key stops being accepted.\n"
                   "# TYPE samhand_previous_key_until_timestamp_seconds gauge\n"
                   "samhand_previous_key_until_timestamp_seconds %.3f\n",
               snap->previous_until_ms / 1000.0);
        s_per_node (&t, snap, "samhand_node_previous_key_connected",
                    "1 if the node's delivery session is a connection on the previous server key"
                    " (only nodes seen on it).", PER_PREVIOUS_CONNECTED);
        s_per_node (&t, snap, "samhand_node_previous_key_last_seen_timestamp_seconds",
                    "When the node last sent a frame over the previous server key (since start).",
                    PER_PREVIOUS_SEEN);
    }
    s_counter (&t, "samhand_submits_total", "Submits accepted since start.", snap->submits);
    s_counter (&t, "samhand_deliveries_total", "Deliveries sent since start.", snap->deliveries);
    s_counter (&t, "samhand_commits_total", "Store transactions committed since start.",
               snap->commits);
    const metrics_hist_t *h = &snap->commit_latency;
    s_put (&t, "# HELP samhand_commit_duration_seconds Time to commit one cycle's batch (fsync).\n"
               "# TYPE samhand_commit_duration_seconds histogram\n");
    uint64_t cumulative = 0;
    for (size_t i = 0; i < METRICS_BUCKETS - 1; i++) {
        cumulative += h->counts [i];
        s_put (&t, "samhand_commit_duration_seconds_bucket{le=\"%g\"} %" PRIu64 "\n",
               metrics_bucket_bounds [i], cumulative);
    }
    s_put (&t, "samhand_commit_duration_seconds_bucket{le=\"+Inf\"} %" PRIu64 "\n"
               "samhand_commit_duration_seconds_sum %.6f\n"
               "samhand_commit_duration_seconds_count %" PRIu64 "\n",
           h->count, h->sum_s, h->count);
    if (t.failed) {
        free (t.data);
        return NULL;
    }
    return t.data;
}

char *
metrics_render_standby (const char *version, double waiting_s)
{
    text_t t = { (char *) malloc (1024), 0, 1024, false };
    if (!t.data)
        return NULL;
    t.data [0] = 0;
    s_info (&t, version, "standby");
    s_put (&t, "# HELP samhand_standby_waiting_seconds How long this standby has waited for the"
               " store's lock (another broker holds it: the active one).\n"
               "# TYPE samhand_standby_waiting_seconds gauge\n"
               "samhand_standby_waiting_seconds %.3f\n", waiting_s > 0? waiting_s: 0.0);
    if (t.failed) {
        free (t.data);
        return NULL;
    }
    return t.data;
}

//  ---------------------------------------------------------------------
//  Health: read back the few samples that matter.

//  A node label's value from LABEL (just after node=\") appended to NAMES
//  ("a, b, ..."), escapes kept as they are; COUNT counts every one.
static void
s_previous_name (const char *label, char *names, size_t size, int *count)
{
    const char *end = label;
    while (*end && !(*end == '"' && end [-1] != '\\'))
        end++;
    size_t used = strlen (names);
    bool full = used >= 3 && streq (names + used - 3, "...");
    if (!full && used + 8 < size) {
        int len = (int) (end - label);
        if (used + (size_t) len + 8 >= size)
            snprintf (names + used, size - used, "%s...", used? ", ": "");
        else
            snprintf (names + used, size - used, "%s%.*s", used? ", ": "", len, label);
    }
    (*count)++;
}

int
metrics_health (const char *text, char *line, size_t size)
{
    assert (line && size);
    if (!text || !strstr (text, "samhand_info{")) {
        snprintf (line, size, "SAMHAND UNKNOWN - the metrics endpoint did not answer with samhand metrics");
        return METRICS_UNKNOWN;
    }
    if (strstr (text, "mode=\"standby\"")) {
        //  Waiting is what a standby is for: no page at 3 a.m.
        double waiting = -1;
        const char *sample = strstr (text, "\nsamhand_standby_waiting_seconds ");
        if (sample)
            waiting = strtod (sample + strlen ("\nsamhand_standby_waiting_seconds "), NULL);
        if (waiting < 0) {
            snprintf (line, size, "SAMHAND UNKNOWN - a standby's metrics without"
                      " samhand_standby_waiting_seconds");
            return METRICS_UNKNOWN;
        }
        snprintf (line, size, "SAMHAND OK - standby, waiting for the store's lock (another"
                  " broker is active) for %.0f s | standby=1 waiting=%.0fs", waiting, waiting);
        return METRICS_OK;
    }
    double connected = -1, dead = -1, pending = 0, oldest = 0;
    double accepted = -1, until_s = 0;
    int on_previous = 0;
    char previous_names [160] = "";       //  the first few, for the line
    const char *p = text;
    while (*p) {
        const char *end = strchr (p, '\n');
        size_t len = end? (size_t) (end - p): strlen (p);
        char sample [512];
        if (len < sizeof sample && *p != '#') {
            memcpy (sample, p, len);
            sample [len] = 0;
            char *space = strrchr (sample, ' ');
            double value = space? strtod (space + 1, NULL): 0;
            if (strncmp (sample, "samhand_connected_nodes ", 24) == 0)
                connected = value;
            else if (strncmp (sample, "samhand_dead_letters ", 21) == 0)
                dead = value;
            else if (strncmp (sample, "samhand_outbox_pending{", 23) == 0)
                pending += value;
            else if (strncmp (sample, "samhand_outbox_oldest_age_seconds{", 34) == 0 && value > oldest)
                oldest = value;
            else if (strncmp (sample, "samhand_previous_key_accepted ", 30) == 0)
                accepted = value;
            else if (strncmp (sample, "samhand_previous_key_until_timestamp_seconds ", 45) == 0)
                until_s = value;
            else if (strncmp (sample, "samhand_node_previous_key_connected{node=\"", 42) == 0
                 &&  value > 0)
                s_previous_name (sample + 42, previous_names, sizeof previous_names, &on_previous);
        }
        p += len + (end? 1: 0);
    }
    if (connected < 0 || dead < 0) {
        snprintf (line, size, "SAMHAND UNKNOWN - the metrics lack samhand_connected_nodes or samhand_dead_letters");
        return METRICS_UNKNOWN;
    }
    int code = dead > 0 || oldest > METRICS_WARN_AGE_S? METRICS_WARNING: METRICS_OK;
    //  Key rotation: until when the previous key is accepted and who is
    //  still on it; nodes still on it close to the end are a warning (they
    //  will be cut off).
    char previous [300] = "", perf [64] = "";
    if (accepted > 0) {
        char until [32] = "?";
        time_t when = (time_t) until_s;
        struct tm tm;
        if (gmtime_r (&when, &tm))
            strftime (until, sizeof until, "%Y-%m-%dT%H:%M:%SZ", &tm);
        if (on_previous)
            snprintf (previous, sizeof previous, "; previous server key accepted until %s,"
                      " %d node%s still on it: %s", until, on_previous, on_previous == 1? "": "s",
                      previous_names);
        else
            snprintf (previous, sizeof previous, "; previous server key accepted until %s,"
                      " no node connected on it", until);
        snprintf (perf, sizeof perf, " previous_key_nodes=%d", on_previous);
        if (on_previous && until_s - (double) time (NULL) < METRICS_WARN_PREVIOUS_S)
            code = METRICS_WARNING;
    }
    snprintf (line, size, "SAMHAND %s - %.0f node%s connected, %.0f waiting (oldest %.0f s),"
              " %.0f dead letter%s%s | connected=%.0f pending=%.0f oldest=%.0fs dead_letters=%.0f%s",
              code == METRICS_OK? "OK": "WARNING", connected, connected == 1? "": "s",
              pending, oldest, dead, dead == 1? "": "s", previous, connected, pending, oldest, dead,
              perf);
    return code;
}

//  ---------------------------------------------------------------------
//  Addresses: loopback only.

static int
s_address (const char *bind, struct sockaddr_storage *addr, socklen_t *addr_len,
           char *err, size_t errlen)
{
    char host [128];
    const char *colon = bind? strrchr (bind, ':'): NULL;
    if (!colon || colon == bind || (size_t) (colon - bind) >= sizeof host) {
        snprintf (err, errlen, "metrics_bind must be ADDRESS:PORT, e.g. 127.0.0.1:9464, not '%s'",
                  bind? bind: "");
        return -1;
    }
    memcpy (host, bind, (size_t) (colon - bind));
    host [colon - bind] = 0;
    char *end = NULL;
    long port = strtol (colon + 1, &end, 10);
    if (!colon [1] || *end || port < 1 || port > 65535) {
        snprintf (err, errlen, "metrics_bind: '%s' is not a port from 1 to 65535", colon + 1);
        return -1;
    }
    memset (addr, 0, sizeof *addr);
    if (host [0] == '[' && host [strlen (host) - 1] == ']') {
        host [strlen (host) - 1] = 0;
        struct sockaddr_in6 *a6 = (struct sockaddr_in6 *) addr;
        if (inet_pton (AF_INET6, host + 1, &a6->sin6_addr) != 1
        ||  !IN6_IS_ADDR_LOOPBACK (&a6->sin6_addr)) {
            snprintf (err, errlen, "metrics_bind: only a loopback address ([::1] or 127.x.x.x)"
                      " may serve metrics, not '%s'", bind);
            return -1;
        }
        a6->sin6_family = AF_INET6;
        a6->sin6_port = htons ((uint16_t) port);
        *addr_len = sizeof *a6;
        return 0;
    }
    struct sockaddr_in *a4 = (struct sockaddr_in *) addr;
    if (streq (host, "localhost"))
        snprintf (host, sizeof host, "127.0.0.1");
    if (inet_pton (AF_INET, host, &a4->sin_addr) != 1
    ||  (ntohl (a4->sin_addr.s_addr) >> 24) != 127) {
        snprintf (err, errlen, "metrics_bind: only a loopback address (127.x.x.x or [::1]) may"
                  " serve metrics, not '%s': put an authenticating proxy in front to export them",
                  bind);
        return -1;
    }
    a4->sin_family = AF_INET;
    a4->sin_port = htons ((uint16_t) port);
    *addr_len = sizeof *a4;
    return 0;
}

int
metrics_bind_check (const char *bind, char *err, size_t errlen)
{
    struct sockaddr_storage addr;
    socklen_t len;
    return s_address (bind, &addr, &len, err, errlen);
}

//  ---------------------------------------------------------------------
//  The HTTP server: non-blocking, a few connections at a time. It runs in
//  the broker's loop, so nothing here may wait: a request is read as it
//  comes, the answer goes into the connection's own buffer and out as the
//  socket takes it (polled for POLLOUT), and a connection too slow to send
//  its request or to take its answer is closed.

#define CLIENTS        (METRICS_POLL_MAX - 1)
#define REQUEST_MAX    2048
#define REQUEST_MS     2000           //  to send the whole request
#define ANSWER_MS      5000           //  to take the whole answer
#define ANSWER_MAX     (16 * 1024 * 1024)  //  per connection; more is a 503

typedef struct {
    int     fd;               //  -1 when free
    size_t  len;
    int64_t deadline;
    char   *out;              //  the answer being sent, NULL while reading
    size_t  out_len, out_sent;
    char    buf [REQUEST_MAX];
} client_t;

struct _metrics_server_t {
    int      fd;
    client_t clients [CLIENTS];
};

metrics_server_t *
metrics_server_new (const char *endpoint, char *err, size_t errlen)
{
    struct sockaddr_storage addr;
    socklen_t addr_len;
    if (s_address (endpoint, &addr, &addr_len, err, errlen))
        return NULL;
    metrics_server_t *self = (metrics_server_t *) zmalloc (sizeof (metrics_server_t));
    if (!self) {
        snprintf (err, errlen, "out of memory");
        return NULL;
    }
    for (size_t i = 0; i < CLIENTS; i++)
        self->clients [i].fd = -1;
    int one = 1;
    self->fd = socket (addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (self->fd < 0
    ||  setsockopt (self->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one)
    ||  bind (self->fd, (struct sockaddr *) &addr, addr_len)
    ||  listen (self->fd, 16)) {
        snprintf (err, errlen, "metrics_bind %s: %s", endpoint, strerror (errno));
        metrics_server_destroy (&self);
        return NULL;
    }
    return self;
}

static void
s_close (client_t *c)
{
    if (c->fd >= 0)
        close (c->fd);
    c->fd = -1;
    c->len = 0;
    free (c->out);
    c->out = NULL;
    c->out_len = c->out_sent = 0;
}

void
metrics_server_destroy (metrics_server_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    metrics_server_t *self = *self_p;
    for (size_t i = 0; i < CLIENTS; i++)
        s_close (&self->clients [i]);
    if (self->fd >= 0)
        close (self->fd);
    free (self);
    *self_p = NULL;
}

size_t
metrics_server_poll_items (metrics_server_t *self, zmq_pollitem_t *items, size_t max)
{
    size_t n = 0;
    if (!self || max == 0)
        return 0;
    items [n++] = (zmq_pollitem_t) { NULL, self->fd, ZMQ_POLLIN, 0 };
    for (size_t i = 0; i < CLIENTS && n < max; i++) {
        const client_t *c = &self->clients [i];
        if (c->fd >= 0)
            items [n++] = (zmq_pollitem_t) { NULL, c->fd, c->out? ZMQ_POLLOUT: ZMQ_POLLIN, 0 };
    }
    return n;
}

//  Sends what the socket takes now, never waiting; closes the connection
//  when the answer is all out or the client has gone.
static void
s_flush (client_t *c)
{
    while (c->out_sent < c->out_len) {
        ssize_t n = send (c->fd, c->out + c->out_sent, c->out_len - c->out_sent,
                          MSG_DONTWAIT | MSG_NOSIGNAL);
        if (n > 0)
            c->out_sent += (size_t) n;
        else
        if (n < 0 && errno == EINTR)
            continue;
        else
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return;                   //  the rest when the socket takes it
        else
            break;                    //  gone: nothing more to do
    }
    s_close (c);
}

static void
s_respond (client_t *c, metrics_render_fn *render, void *arg, int64_t now)
{
    const char *status = "404 Not Found", *type = "text/plain; charset=utf-8";
    char *body = NULL;
    const char *text = "not found: the metrics are at /metrics\n";
    if (strncmp (c->buf, "GET ", 4) != 0) {
        status = "405 Method Not Allowed";
        text = "only GET\n";
    }
    else
    if (strncmp (c->buf, "GET /metrics ", 13) == 0 || strncmp (c->buf, "GET /metrics?", 13) == 0
    ||  strncmp (c->buf, "GET / ", 6) == 0) {
        body = render (arg);
        if (body && strlen (body) < ANSWER_MAX) {
            status = "200 OK";
            type = "text/plain; version=0.0.4; charset=utf-8";
            text = body;
        }
        else {
            status = "503 Service Unavailable";
            text = "the broker could not read its state now\n";
        }
    }
    char head [256];
    int n = snprintf (head, sizeof head, "HTTP/1.1 %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
                      "Connection: close\r\n\r\n", status, type, strlen (text));
    size_t text_len = strlen (text);
    c->out = (char *) malloc ((size_t) n + text_len);
    if (c->out) {
        memcpy (c->out, head, (size_t) n);
        memcpy (c->out + n, text, text_len);
        c->out_len = (size_t) n + text_len;
        c->out_sent = 0;
        c->deadline = now + ANSWER_MS;
    }
    free (body);
    if (c->out)
        s_flush (c);
    else
        s_close (c);                  //  out of memory: the scraper tries again
}

void
metrics_server_serve (metrics_server_t *self, metrics_render_fn *render, void *arg)
{
    if (!self)
        return;
    int64_t now = zclock_mono ();
    for (int accepted = 0; accepted < 16; accepted++) {
        int fd = accept4 (self->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0)
            break;
        client_t *slot = NULL;
        for (size_t i = 0; i < CLIENTS && !slot; i++)
            if (self->clients [i].fd < 0)
                slot = &self->clients [i];
        if (!slot) {
            close (fd);               //  busy: the scraper tries again
            continue;
        }
        slot->fd = fd;
        slot->len = 0;
        slot->deadline = now + REQUEST_MS;
    }
    for (size_t i = 0; i < CLIENTS; i++) {
        client_t *c = &self->clients [i];
        if (c->fd < 0)
            continue;
        if (c->out) {
            //  Answering: more of it if the socket takes it, else in time.
            s_flush (c);
            if (c->fd >= 0 && now > c->deadline)
                s_close (c);          //  a client that does not read loses it
            continue;
        }
        ssize_t n = recv (c->fd, c->buf + c->len, sizeof c->buf - 1 - c->len, MSG_DONTWAIT);
        if (n > 0) {
            c->len += (size_t) n;
            c->buf [c->len] = 0;
            if (strstr (c->buf, "\r\n\r\n") || strstr (c->buf, "\n\n"))
                s_respond (c, render, arg, now);
            else
            if (c->len >= sizeof c->buf - 1 || now > c->deadline)
                s_close (c);          //  no request is that long, or that slow
        }
        else
        if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR))
            s_close (c);
        else
        if (now > c->deadline)
            s_close (c);
    }
}

char *
metrics_fetch (const char *bind, int timeout_ms, char *err, size_t errlen)
{
    struct sockaddr_storage addr;
    socklen_t addr_len;
    if (s_address (bind, &addr, &addr_len, err, errlen))
        return NULL;
    int fd = socket (addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct timeval tv = { timeout_ms / 1000, (timeout_ms % 1000) * 1000 };
    if (fd < 0
    ||  setsockopt (fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv)
    ||  setsockopt (fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv)
    ||  connect (fd, (struct sockaddr *) &addr, addr_len)) {
        snprintf (err, errlen, "cannot connect to the metrics endpoint %s: %s", bind, strerror (errno));
        if (fd >= 0)
            close (fd);
        return NULL;
    }
    const char *request = "GET /metrics HTTP/1.0\r\nHost: localhost\r\n\r\n";
    if (send (fd, request, strlen (request), MSG_NOSIGNAL) != (ssize_t) strlen (request)) {
        snprintf (err, errlen, "cannot send to the metrics endpoint %s: %s", bind, strerror (errno));
        close (fd);
        return NULL;
    }
    size_t size = 65536, len = 0;
    char *data = (char *) malloc (size);
    while (data) {
        if (len + 1 >= size) {
            char *bigger = (char *) realloc (data, size * 2);
            if (!bigger) {
                free (data);
                data = NULL;
                break;
            }
            data = bigger;
            size *= 2;
        }
        ssize_t n = recv (fd, data + len, size - 1 - len, 0);
        if (n < 0) {
            snprintf (err, errlen, "no answer from the metrics endpoint %s: %s", bind, strerror (errno));
            free (data);
            data = NULL;
        }
        if (n <= 0)
            break;
        len += (size_t) n;
    }
    close (fd);
    if (!data)
        return NULL;
    data [len] = 0;
    char *body = strstr (data, "\r\n\r\n");
    if (strncmp (data, "HTTP/1.1 200 ", 13) != 0 || !body) {
        snprintf (err, errlen, "the metrics endpoint %s did not answer 200 OK", bind);
        free (data);
        return NULL;
    }
    memmove (data, body + 4, strlen (body + 4) + 1);
    return data;
}
