/*  itest_metrics — the loopback metrics endpoint never holds up the broker's
    loop. Clients of /metrics that send a request and never read the answer,
    and clients that send their request one byte at a time, while a node
    pings the broker: every Pong comes back promptly. A slow reader that
    takes its answer late still gets all of it, and a plain scrape works
    once the misbehaving clients are gone.

    The broker has a few hundred invented extra nodes enrolled so that its
    metrics text is larger than a socket takes at once. All nodes and names
    are invented.                                                          */
#include "harness.h"
#include "testlib.h"
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#define EXTRA_NODES 6000
#define STUCK       8         //  non-reading clients per burst
#define LATENCY_MS  800       //  the old server stalled 200 ms per stuck client

static int s_mport;

//  A connected TCP socket to the metrics endpoint; RCVBUF small (set
//  before connect, so the window stays small) when asked.
static int
s_connect (int rcvbuf)
{
    int fd = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    if (rcvbuf > 0)
        setsockopt (fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
    struct timeval tv = { 5, 0 };
    setsockopt (fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    struct sockaddr_in addr = { .sin_family = AF_INET, .sin_port = htons ((uint16_t) s_mport) };
    addr.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
    if (connect (fd, (struct sockaddr *) &addr, sizeof addr)) {
        close (fd);
        return -1;
    }
    return fd;
}

static const char *REQUEST = "GET /metrics HTTP/1.0\r\nHost: localhost\r\n\r\n";

//  Reads the whole answer from FD (until the server closes); caller frees.
static char *
s_read_all (int fd, size_t *len_p)
{
    size_t size = 1 << 16, len = 0;
    char *data = (char *) malloc (size);
    while (data) {
        if (len + 1 >= size) {
            char *bigger = (char *) realloc (data, size * 2);
            if (!bigger)
                break;
            data = bigger;
            size *= 2;
        }
        ssize_t n = recv (fd, data + len, size - 1 - len, 0);
        if (n <= 0)
            break;
        len += (size_t) n;
    }
    if (data)
        data [len] = 0;
    *len_p = len;
    return data;
}

//  True when ANSWER is a 200 whose body is as long as its Content-Length.
static bool
s_complete_200 (const char *answer, size_t len)
{
    if (!answer || strncmp (answer, "HTTP/1.1 200 ", 13) != 0)
        return false;
    const char *cl = strstr (answer, "Content-Length: ");
    const char *body = strstr (answer, "\r\n\r\n");
    if (!cl || !body)
        return false;
    size_t want = (size_t) strtoull (cl + 16, NULL, 10);
    return (size_t) (answer + len - (body + 4)) == want && strstr (body, "samhand_info{");
}

static int64_t
s_ping_ms (hclient_t *c)
{
    int64_t start = zclock_mono ();
    Samhand__V1__Frame *pong = hclient_ping (c, 5000);
    int64_t took = pong? zclock_mono () - start: 5000;
    frame_free (&pong);
    return took;
}

int
main (void)
{
    zsys_init ();
    zsys_set_logstream (NULL);
    s_mport = harness_free_port ();
    char extra [128];
    snprintf (extra, sizeof extra, "    metrics_bind = \"127.0.0.1:%d\"\n", s_mport);
    harness_t *h = harness_new (extra);
    assert (h);
    //  Invented extra nodes: a metrics text of some 100 kB.
    for (int i = 0; i < EXTRA_NODES; i++) {
        zcert_t *cert = zcert_new ();
        zcert_set_meta (cert, "name", "invented-metrics-test-node-with-a-long-name-for-a-big-text-%04d", i);
        zcert_set_meta (cert, "agency", "tryggest");
        zcert_set_meta (cert, "role", "team");
        char path [512];
        snprintf (path, sizeof path, "%s/enrolled/invented-%04d.cert", h->dir, i);
        zcert_save_public (cert, path);
        zcert_destroy (&cert);
    }
    int rc = harness_start (h);
    CHECK (rc == 0, "metrics: broker starts with metrics_bind and many enrolled nodes");
    if (rc) {
        harness_destroy (&h);
        return TEST_DONE ();
    }
    hclient_t *vakt = hclient_new (h, "vakt");
    s_ping_ms (vakt);

    //  A plain scrape: the text is larger than a socket takes at once.
    int fd = s_connect (0);
    size_t len = 0;
    char *answer = fd >= 0 && send (fd, REQUEST, strlen (REQUEST), MSG_NOSIGNAL) > 0
                 ? s_read_all (fd, &len): NULL;
    if (fd >= 0)
        close (fd);
    printf ("# the metrics answer is %zu bytes\n", len);
    CHECK (s_complete_200 (answer, len) && len > 64 * 1024,
           "metrics: a plain scrape gets the whole text (over 64 kB here)");
    free (answer);

    //  Bursts of clients that ask and never read, each followed by a ping.
    int stuck [STUCK];
    for (int i = 0; i < STUCK; i++)
        stuck [i] = -1;
    int64_t worst = 0;
    for (int round = 0; round < 6; round++) {
        for (int i = 0; i < STUCK; i++) {
            if (stuck [i] >= 0)
                close (stuck [i]);
            stuck [i] = s_connect (1024);
            if (stuck [i] >= 0 && send (stuck [i], REQUEST, strlen (REQUEST), MSG_NOSIGNAL) < 0) {
                close (stuck [i]);
                stuck [i] = -1;
            }
        }
        zclock_sleep (50);      //  the broker sees them before the ping
        int64_t took = s_ping_ms (vakt);
        printf ("# ping %" PRId64 " ms\n", took);
        if (took > worst)
            worst = took;
    }
    printf ("# worst ping latency with clients that never read: %" PRId64 " ms\n", worst);
    CHECK (worst < LATENCY_MS, "metrics: clients that never read do not hold up a node's ping");
    for (int i = 0; i < STUCK; i++)
        if (stuck [i] >= 0)
            close (stuck [i]);
    zclock_sleep (300);

    //  Clients that send their request one byte at a time, pings between.
    int slow [4];
    for (int i = 0; i < 4; i++)
        slow [i] = s_connect (0);
    worst = 0;
    for (size_t b = 0; b < strlen (REQUEST); b++) {
        for (int i = 0; i < 4; i++)
            if (slow [i] >= 0)
                send (slow [i], REQUEST + b, 1, MSG_NOSIGNAL);
        int64_t took = s_ping_ms (vakt);
        if (took > worst)
            worst = took;
        zclock_sleep (20);
    }
    printf ("# worst ping latency with requests sent byte by byte: %" PRId64 " ms\n", worst);
    CHECK (worst < LATENCY_MS, "metrics: requests sent byte by byte do not hold up a node's ping");
    answer = slow [0] >= 0? s_read_all (slow [0], &len): NULL;
    CHECK (s_complete_200 (answer, len), "metrics: a request sent byte by byte is answered");
    free (answer);
    for (int i = 0; i < 4; i++)
        if (slow [i] >= 0)
            close (slow [i]);

    //  A slow reader (small window) that reads only a second later still
    //  gets the whole answer: it waits in the connection's buffer.
    fd = s_connect (1024);
    if (fd >= 0)
        send (fd, REQUEST, strlen (REQUEST), MSG_NOSIGNAL);
    zclock_sleep (1000);
    int64_t took = s_ping_ms (vakt);
    answer = fd >= 0? s_read_all (fd, &len): NULL;
    if (fd >= 0)
        close (fd);
    CHECK (s_complete_200 (answer, len), "metrics: a reader that starts late gets the whole answer");
    CHECK (took < LATENCY_MS, "metrics: the broker answers pings while a slow reader waits");
    free (answer);

    hclient_destroy (&vakt);
    harness_destroy (&h);
    return TEST_DONE ();
}
