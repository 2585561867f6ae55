/*  client — libsamhand's connection to samhandd. See samhand.h.

    The client talks request/reply over one DEALER, but the broker may push
    Deliver frames at any moment once the node has subscribed. So while a
    request waits for its reply, every other frame that is not a stale
    reply is queued and handed out later by samhand_client_recv: nothing
    the broker sends for the application is dropped on the floor.          */
#include "samhand.h"
#include <czmq.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

//  Larger bodies from the broker are refused by libzmq (the broker's own
//  frames are bounded far below this).
#define CLIENT_MAX_MSGSIZE   (16 * 1024 * 1024)
//  With several brokers: how long to wait at most between two attempts to
//  reach one that is not listening (a standby, until it takes over).
#define CLIENT_STANDBY_RECONNECT_MS  1000

//  Several brokers (issue 13): one active, the others standbys that bind
//  only when they take over. The client connects to all of them.
#define CLIENT_MAX_ENDPOINTS 8
//  Links are tracked per address the monitor names (an endpoint may be
//  reported in another spelling than the one given, e.g. resolved).
#define CLIENT_MAX_PEERS     (2 * CLIENT_MAX_ENDPOINTS)

typedef struct {
    char addr [256];
    samhand_link_t link;
    int  failures;        //  handshakes failed in a row (reset by one that succeeds)
    bool zap_refused;     //  the last failure was the broker's ZAP refusing our key
} peer_t;

//  Handshakes that fail in a row before the failure is taken for a wrong
//  broker key and not a broker going down mid-handshake (which fails one,
//  then is unreachable until it, or its standby, listens again).
#define CLIENT_KEY_FAILURES  3

struct _samhand_client_t {
    zsock_t *sock;
    zsock_t *monitor;                 //  PAIR reading sock's events, or NULL
    peer_t   peers [CLIENT_MAX_PEERS];
    size_t   n_peers;
    int      handshakes;              //  completed on this socket
    uint64_t losses;                  //  ready connections lost on this client
    char    *endpoint;                //  as given: "tcp://a:7450,tcp://b:7450"
    char    *endpoints [CLIENT_MAX_ENDPOINTS];
    size_t   n_endpoints;
    zcert_t *cert;                    //  our certificate, with secret key
    char     server_key [41];         //  broker's public key, Z85
    zlist_t *queue;                   //  Samhand__V1__Frame * not yet recv'd
    uint64_t request_seq;             //  last request id used
    uint8_t  message_id [SAMHAND_MESSAGE_ID_SIZE];  //  see samhand_client_submit
    uint8_t  grant_id [SAMHAND_MESSAGE_ID_SIZE];    //  see samhand_client_consent_grant
    char     instance [40];           //  broker run of the last Pong ("" none yet)
    bool     subscribed;              //  resend Subscribe on reconnect
    Samhand__V1__Kind sub_kinds [16];
    size_t   sub_n_kinds;
    Samhand__V1__Urgency sub_min_urgency;
    Samhand__V1__RiskLevel sub_min_level;
    Samhand__V1__Kind sub_session_kinds [16];   //  this connection's filter
    size_t   sub_n_session_kinds;
};

static _Thread_local char s_error [512];

const char *
samhand_last_error (void)
{
    return s_error;
}

static void
s_fail (const char *format, ...)
{
    va_list args;
    va_start (args, format);
    vsnprintf (s_error, sizeof s_error, format, args);
    va_end (args);
    zsys_error ("samhand: %s", s_error);
}

//  ---------------------------------------------------------------- settings

//  PATH relative to the directory of BASE_FILE, unless it is absolute.
static void
s_resolve (const char *base_file, const char *path, char *out, size_t size)
{
    const char *slash = strrchr (base_file, '/');
    if (path [0] == '/' || !slash)
        snprintf (out, size, "%s", path);
    else
        snprintf (out, size, "%.*s/%s", (int) (slash - base_file), base_file, path);
}

int
samhand_settings_load (samhand_settings_t *settings, const char *config_path)
{
    memset (settings, 0, sizeof *settings);
    if (!config_path || access (config_path, R_OK) != 0) {
        s_fail ("cannot read client config %s: %s", config_path? config_path: "(none)",
                strerror (errno));
        return -1;
    }
    zconfig_t *root = zconfig_load (config_path);
    if (!root) {
        s_fail ("client config %s is not valid ZPL", config_path);
        return -1;
    }
    const char *endpoint = zconfig_get (root, "client/endpoint", NULL);
    const char *broker_cert = zconfig_get (root, "client/broker_cert", NULL);
    const char *cert = zconfig_get (root, "client/cert", NULL);
    int rc = -1;
    if (!endpoint || !*endpoint || !broker_cert || !*broker_cert || !cert || !*cert)
        s_fail ("client config %s needs client/endpoint, client/broker_cert and client/cert",
                config_path);
    else
    if (strlen (endpoint) >= sizeof settings->endpoint)
        s_fail ("client config %s: endpoint is too long", config_path);
    else {
        snprintf (settings->endpoint, sizeof settings->endpoint, "%s", endpoint);
        s_resolve (config_path, broker_cert, settings->broker_cert, sizeof settings->broker_cert);
        s_resolve (config_path, cert, settings->cert, sizeof settings->cert);
        rc = 0;
    }
    zconfig_destroy (&root);
    return rc;
}

//  ---------------------------------------------------------------- socket

static int s_send_subscribe (samhand_client_t *self);
static samhand_link_t s_link (samhand_client_t *self);

//  Watches the socket's events. Without them a silence cannot be told
//  apart: no broker, a refused certificate, or a slow broker. Optional:
//  if it cannot be set up, the link just stays UNKNOWN.
static void
s_monitor_open (samhand_client_t *self)
{
    static atomic_uint sequence;
    char endpoint [96];
    snprintf (endpoint, sizeof endpoint, "inproc://samhand-monitor-%p-%u",
              (void *) self, atomic_fetch_add (&sequence, 1));
    int events = ZMQ_EVENT_CONNECTED | ZMQ_EVENT_CONNECT_RETRIED | ZMQ_EVENT_DISCONNECTED
               | ZMQ_EVENT_HANDSHAKE_SUCCEEDED | ZMQ_EVENT_HANDSHAKE_FAILED_AUTH
               | ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL | ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL;
    self->n_peers = 0;
    self->handshakes = 0;
    if (zmq_socket_monitor (zsock_resolve (self->sock), endpoint, events) == 0) {
        self->monitor = zsock_new (ZMQ_PAIR);
        if (self->monitor && zsock_connect (self->monitor, "%s", endpoint))
            zsock_destroy (&self->monitor);
    }
}

//  The peer entry for the address an event names. With one endpoint every
//  event is that endpoint's, however libzmq spells it.
static peer_t *
s_peer (samhand_client_t *self, const char *addr)
{
    if (self->n_endpoints == 1)
        addr = self->endpoints [0];
    for (size_t i = 0; i < self->n_peers; i++)
        if (streq (self->peers [i].addr, addr))
            return &self->peers [i];
    if (self->n_peers == CLIENT_MAX_PEERS)
        return &self->peers [CLIENT_MAX_PEERS - 1];     //  shared overflow entry
    peer_t *peer = &self->peers [self->n_peers++];
    snprintf (peer->addr, sizeof peer->addr, "%s", addr);
    peer->link = SAMHAND_LINK_UNKNOWN;
    peer->failures = 0;
    peer->zap_refused = false;
    return peer;
}

static void
s_monitor_event (samhand_client_t *self, uint16_t event, const char *addr)
{
    peer_t *peer = s_peer (self, addr);
    switch (event) {
        case ZMQ_EVENT_CONNECT_RETRIED:
            if (peer->link != SAMHAND_LINK_REFUSED && peer->link != SAMHAND_LINK_FAILED)
                peer->link = SAMHAND_LINK_UNREACHABLE;
            break;
        case ZMQ_EVENT_CONNECTED:
            peer->link = SAMHAND_LINK_CONNECTED;
            break;
        case ZMQ_EVENT_HANDSHAKE_SUCCEEDED:
            peer->link = SAMHAND_LINK_READY;
            peer->failures = 0;
            peer->zap_refused = false;
            //  A new handshake on the same socket means libzmq reconnected
            //  by itself (the broker restarted, or a standby took over):
            //  the broker no longer knows this connection as our delivery
            //  session.
            if (++self->handshakes > 1 && self->subscribed)
                s_send_subscribe (self);
            break;
        case ZMQ_EVENT_HANDSHAKE_FAILED_AUTH:
            peer->link = SAMHAND_LINK_REFUSED;
            peer->failures++;
            peer->zap_refused = true;
            break;
        case ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL:
        case ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL:
            peer->link = SAMHAND_LINK_FAILED;
            peer->failures++;
            peer->zap_refused = false;
            break;
        case ZMQ_EVENT_DISCONNECTED: {
            //  Whatever was sent on a ready connection and not answered is
            //  lost with it (the broker does not queue for vanished peers).
            bool was_ready = peer->link == SAMHAND_LINK_READY;
            if (was_ready)
                self->losses++;
            if (peer->link == SAMHAND_LINK_READY || peer->link == SAMHAND_LINK_CONNECTED)
                peer->link = SAMHAND_LINK_LOST;
            //  Two brokers were up for a moment (the old one fenced off, the
            //  new one taking over): the Subscribe of the last handshake may
            //  have gone to the one that is now gone. Send it again to the
            //  one still here.
            if (was_ready && self->subscribed && s_link (self) == SAMHAND_LINK_READY)
                s_send_subscribe (self);
            break;
        }
        default:
            break;
    }
}

//  Reads every pending monitor event without blocking.
static void
s_monitor_drain (samhand_client_t *self)
{
    if (!self->monitor)
        return;
    void *handle = zsock_resolve (self->monitor);
    while (true) {
        zmq_msg_t part;
        zmq_msg_init (&part);
        if (zmq_msg_recv (&part, handle, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close (&part);
            return;
        }
        //  First part: 16-bit event, 32-bit value; then the endpoint.
        uint16_t event = 0;
        bool have_event = zmq_msg_size (&part) >= 2;
        if (have_event)
            memcpy (&event, zmq_msg_data (&part), sizeof event);
        int more = zmq_msg_more (&part);
        zmq_msg_close (&part);
        char addr [256] = "";
        while (more) {
            zmq_msg_init (&part);
            if (zmq_msg_recv (&part, handle, 0) < 0) {
                zmq_msg_close (&part);
                return;
            }
            if (!*addr) {
                size_t size = zmq_msg_size (&part);
                if (size >= sizeof addr)
                    size = sizeof addr - 1;
                memcpy (addr, zmq_msg_data (&part), size);
                addr [size] = 0;
            }
            more = zmq_msg_more (&part);
            zmq_msg_close (&part);
        }
        if (have_event)
            s_monitor_event (self, event, addr);
    }
}

//  The link that explains the client's state best: one ready broker is
//  enough; else a refusal or a failed handshake (they will not mend by
//  waiting), then a handshake under way, a lost one, nothing listening.
static samhand_link_t
s_link (samhand_client_t *self)
{
    static const samhand_link_t order [] = {
        SAMHAND_LINK_READY, SAMHAND_LINK_REFUSED, SAMHAND_LINK_FAILED,
        SAMHAND_LINK_CONNECTED, SAMHAND_LINK_LOST, SAMHAND_LINK_UNREACHABLE
    };
    for (size_t k = 0; k < sizeof order / sizeof *order; k++)
        for (size_t i = 0; i < self->n_peers; i++)
            if (self->peers [i].link == order [k])
                return order [k];
    return SAMHAND_LINK_UNKNOWN;
}

samhand_link_t
samhand_client_link (samhand_client_t *self)
{
    s_monitor_drain (self);
    return s_link (self);
}

//  See samhand_client_key_refused; without reading new events.
static bool
s_key_refused (samhand_client_t *self, bool *by_zap)
{
    bool refused = false, zap = false;
    for (size_t i = 0; i < self->n_peers; i++) {
        if (self->peers [i].link == SAMHAND_LINK_READY)
            return false;
        if (self->peers [i].zap_refused || self->peers [i].failures >= CLIENT_KEY_FAILURES)
            refused = true;
        zap |= self->peers [i].zap_refused;
    }
    if (by_zap)
        *by_zap = zap;
    return refused;
}

bool
samhand_client_key_refused (samhand_client_t *self, bool *by_zap)
{
    assert (self);
    s_monitor_drain (self);
    return s_key_refused (self, by_zap);
}

static void
s_close_socket (samhand_client_t *self)
{
    //  Lingering only helps if frames can still leave: with no working
    //  link, waiting just delays the exit (a submit is retried with the
    //  same id, and the broker sends again whatever was not confirmed).
    if (self->sock && samhand_client_link (self) != SAMHAND_LINK_READY)
        zsock_set_linger (self->sock, 0);
    if (self->sock && self->monitor)
        zmq_socket_monitor (zsock_resolve (self->sock), NULL, 0);
    zsock_destroy (&self->monitor);
    zsock_destroy (&self->sock);
}

static int
s_open_socket (samhand_client_t *self)
{
    self->sock = zsock_new (ZMQ_DEALER);
    if (!self->sock) {
        s_fail ("cannot create a ZeroMQ socket");
        return -1;
    }
    zcert_apply (self->cert, self->sock);
    zsock_set_curve_serverkey (self->sock, self->server_key);
    //  Bounded linger so a command line tool exits even with no broker.
    zsock_set_linger (self->sock, SAMHAND_LINGER_MS);
    zsock_set_heartbeat_ivl (self->sock, SAMHAND_HEARTBEAT_IVL_MS);
    zsock_set_heartbeat_timeout (self->sock, SAMHAND_HEARTBEAT_TTL_MS);
    zsock_set_heartbeat_ttl (self->sock, SAMHAND_HEARTBEAT_TTL_MS);
    zsock_set_reconnect_ivl (self->sock, 200);
    zsock_set_reconnect_ivl_max (self->sock, 5000);
    zsock_set_maxmsgsize (self->sock, CLIENT_MAX_MSGSIZE);
    if (self->n_endpoints > 1) {
        //  A DEALER deals its frames round-robin over its connections, and
        //  without IMMEDIATE it would keep a queue for a standby that is
        //  not listening: every other request would wait there until a
        //  takeover. With it, frames go only to a connection whose
        //  handshake is done, i.e. to the active broker.
        zsock_set_immediate (self->sock, 1);
        //  A standby that takes over must be found within a second, not
        //  after a backoff grown while it was not listening.
        zsock_set_reconnect_ivl_max (self->sock, CLIENT_STANDBY_RECONNECT_MS);
    }
    s_monitor_open (self);
    for (size_t i = 0; i < self->n_endpoints; i++)
        if (zsock_connect (self->sock, "%s", self->endpoints [i])) {
            s_fail ("cannot connect to '%s': %s", self->endpoints [i],
                    zmq_strerror (zmq_errno ()));
            s_close_socket (self);
            return -1;
        }
    return 0;
}

//  Splits "tcp://a:7450, tcp://b:7450" into self->endpoints. 0 or -1.
static int
s_parse_endpoints (samhand_client_t *self, const char *list)
{
    const char *p = list;
    while (*p) {
        while (*p == ' ' || *p == '\t')
            p++;
        size_t len = strcspn (p, ",");
        size_t trimmed = len;
        while (trimmed && (p [trimmed - 1] == ' ' || p [trimmed - 1] == '\t'))
            trimmed--;
        if (trimmed == 0 || memchr (p, ' ', trimmed) || memchr (p, '\t', trimmed)) {
            s_fail ("endpoint list '%s': each broker endpoint is one word, separated by"
                    " commas (tcp://HOST:PORT,tcp://HOST:PORT)", list);
            return -1;
        }
        if (self->n_endpoints == CLIENT_MAX_ENDPOINTS) {
            s_fail ("endpoint list '%s': at most %d brokers", list, CLIENT_MAX_ENDPOINTS);
            return -1;
        }
        for (size_t i = 0; i < self->n_endpoints; i++)
            if (strlen (self->endpoints [i]) == trimmed
            &&  memcmp (self->endpoints [i], p, trimmed) == 0) {
                s_fail ("endpoint list '%s' names %.*s twice", list, (int) trimmed, p);
                return -1;
            }
        char *one = strndup (p, trimmed);
        if (!one) {
            s_fail ("out of memory");
            return -1;
        }
        self->endpoints [self->n_endpoints++] = one;
        p += len;
        if (*p == ',') {
            p++;
            if (!*p) {
                s_fail ("endpoint list '%s' ends with a comma", list);
                return -1;
            }
        }
    }
    if (self->n_endpoints == 0) {
        s_fail ("no broker endpoint given");
        return -1;
    }
    return 0;
}

//  Loads a certificate; with_secret demands the secret file beside it.
static zcert_t *
s_load_cert (const char *path, bool with_secret)
{
    if (access (path, R_OK) != 0) {
        s_fail ("cannot read certificate %s: %s", path, strerror (errno));
        return NULL;
    }
    if (with_secret) {
        char secret [1100];
        snprintf (secret, sizeof secret, "%s_secret", path);
        if (access (secret, R_OK) != 0) {
            s_fail ("cannot read secret key %s: %s", secret, strerror (errno));
            return NULL;
        }
        //  Whoever can read the secret can be this node: refuse to use one
        //  that others may read, as the broker refuses its own.
        int fd = open (secret, O_RDONLY | O_CLOEXEC);
        struct stat st;
        int rc = fd >= 0? fstat (fd, &st): -1;
        if (fd >= 0)
            close (fd);
        if (rc || !S_ISREG (st.st_mode) || st.st_uid != geteuid () || (st.st_mode & 077)) {
            s_fail ("secret key %s is not private to this user (mode 0%o): run chmod 600 %s",
                    secret, rc? 0: (unsigned) (st.st_mode & 0777), secret);
            return NULL;
        }
    }
    zcert_t *cert = zcert_load (path);
    if (!cert) {
        s_fail ("%s is not a certificate", path);
        return NULL;
    }
    const char *zero = "0000000000000000000000000000000000000000";
    if (streq (zcert_public_txt (cert), zero)
    ||  (with_secret && streq (zcert_secret_txt (cert), zero))) {
        s_fail ("certificate %s has no usable key", path);
        zcert_destroy (&cert);
        return NULL;
    }
    return cert;
}

samhand_client_t *
samhand_client_new (const char *endpoint, const char *broker_cert_path,
                    const char *client_cert_path)
{
    if (!endpoint || !*endpoint || !broker_cert_path || !client_cert_path) {
        s_fail ("endpoint, broker certificate and client certificate are all needed");
        return NULL;
    }
    zcert_t *server = s_load_cert (broker_cert_path, false);
    if (!server)
        return NULL;
    samhand_client_t *self = (samhand_client_t *) zmalloc (sizeof (samhand_client_t));
    snprintf (self->server_key, sizeof self->server_key, "%s", zcert_public_txt (server));
    zcert_destroy (&server);
    self->endpoint = strdup (endpoint);
    self->cert = s_load_cert (client_cert_path, true);
    self->queue = zlist_new ();
    if (!self->endpoint || !self->cert || !self->queue
    ||  s_parse_endpoints (self, endpoint) || s_open_socket (self))
        samhand_client_destroy (&self);
    return self;
}

samhand_client_t *
samhand_client_new_from_config (const char *config_path)
{
    samhand_settings_t settings;
    if (samhand_settings_load (&settings, config_path))
        return NULL;
    return samhand_client_new (settings.endpoint, settings.broker_cert, settings.cert);
}

void
samhand_client_destroy (samhand_client_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    samhand_client_t *self = *self_p;
    s_close_socket (self);
    if (self->queue) {
        Samhand__V1__Frame *frame;
        while ((frame = (Samhand__V1__Frame *) zlist_pop (self->queue)))
            samhand_frame_destroy (&frame);
        zlist_destroy (&self->queue);
    }
    zcert_destroy (&self->cert);
    for (size_t i = 0; i < self->n_endpoints; i++)
        free (self->endpoints [i]);
    free (self->endpoint);
    free (self);
    *self_p = NULL;
}

void *
samhand_client_socket (samhand_client_t *self)
{
    return self->sock;
}

bool
samhand_client_has_queued (samhand_client_t *self)
{
    return zlist_size (self->queue) > 0;
}

//  ---------------------------------------------------------------- frames

void
samhand_frame_destroy (Samhand__V1__Frame **frame_p)
{
    if (frame_p && *frame_p) {
        samhand__v1__frame__free_unpacked (*frame_p, NULL);
        *frame_p = NULL;
    }
}

//  Waits until the socket takes a frame (a connection is ready) or until
//  DEADLINE (zclock_mono). True when it would take one now.
static bool
s_wait_writable (samhand_client_t *self, int64_t deadline)
{
    while (!zsys_interrupted) {
        if (zsock_events (self->sock) & ZMQ_POLLOUT)
            return true;
        int64_t left = deadline - zclock_mono ();
        if (left <= 0)
            return false;
        zmq_pollitem_t items [2] = {
            { zsock_resolve (self->sock), 0, ZMQ_POLLOUT, 0 },
            { self->monitor? zsock_resolve (self->monitor): NULL, 0, ZMQ_POLLIN, 0 }
        };
        int rc = zmq_poll (items, self->monitor? 2: 1, left);
        if (rc < 0 && zmq_errno () != EINTR)
            return false;
        if (self->monitor && (items [1].revents & ZMQ_POLLIN))
            s_monitor_drain (self);
        if (s_key_refused (self, NULL))
            return false;
    }
    return false;
}

//  Packs and sends FRAME. With several brokers a frame can only leave on a
//  ready connection: wait for one up to WAIT_MS. Never blocks otherwise:
//  with no broker the queue fills up to the high-water mark, and then the
//  caller should hear about it rather than hang.
static int
s_send (samhand_client_t *self, Samhand__V1__Frame *frame, int wait_ms)
{
    if (!self->sock) {
        s_fail ("not connected");
        return -1;
    }
    frame->version = SAMHAND_PROTOCOL_VERSION;
    size_t size = samhand__v1__frame__get_packed_size (frame);
    uint8_t *buf = (uint8_t *) malloc (size? size: 1);
    if (!buf) {
        s_fail ("out of memory");
        return -1;
    }
    samhand__v1__frame__pack (frame, buf);
    int64_t deadline = zclock_mono () + (wait_ms > 0? wait_ms: 0);
    int rc;
    while ((rc = zmq_send (zsock_resolve (self->sock), buf, size, ZMQ_DONTWAIT)) < 0
       &&  zmq_errno () == EAGAIN && self->n_endpoints > 1
       &&  s_wait_writable (self, deadline))
        ;
    free (buf);
    if (rc < 0) {
        if (zmq_errno () == EAGAIN && self->n_endpoints > 1)
            s_fail ("no broker at %s is ready to take a request", self->endpoint);
        else
            s_fail ("cannot send to the broker: %s", zmq_strerror (zmq_errno ()));
        return -1;
    }
    return 0;
}

int
samhand_client_send (samhand_client_t *self, Samhand__V1__Frame *frame)
{
    return s_send (self, frame, SAMHAND_SEND_WAIT_MS);
}

//  Next frame from the socket itself, dropping what is not a v1 Frame.
//  With LOSSES (not NULL) it gives up as soon as a ready connection was
//  lost since self->losses was *LOSSES: an answer on it will never come.
static Samhand__V1__Frame *
s_recv_wire (samhand_client_t *self, int timeout_ms, const uint64_t *losses, bool request)
{
    int64_t deadline = timeout_ms < 0? -1: zclock_mono () + timeout_ms;
    while (!zsys_interrupted) {
        int remaining = -1;
        if (deadline >= 0) {
            int64_t left = deadline - zclock_mono ();
            remaining = left > 0? (int) left: 0;
        }
        zmq_pollitem_t items [2] = {
            { zsock_resolve (self->sock), 0, ZMQ_POLLIN, 0 },
            { self->monitor? zsock_resolve (self->monitor): NULL, 0, ZMQ_POLLIN, 0 }
        };
        int rc = zmq_poll (items, self->monitor? 2: 1, remaining);
        if (rc < 0 && zmq_errno () == EINTR)
            continue;
        if (rc <= 0)
            return NULL;
        if (self->monitor && (items [1].revents & ZMQ_POLLIN))
            s_monitor_drain (self);
        if (losses && self->losses != *losses)
            return NULL;
        //  Waiting for an answer that cannot come: the broker refuses
        //  our key, or we hold the wrong one of the broker's.
        if (request && s_key_refused (self, NULL)) {
            s_fail ("the broker refused this node's key (not enrolled, revoked, or the"
                    " broker's key changed)");
            return NULL;
        }
        if (!(items [0].revents & ZMQ_POLLIN))
            continue;
        zmsg_t *msg = zmsg_recv (self->sock);
        if (!msg)
            return NULL;
        zframe_t *body = zmsg_first (msg);
        Samhand__V1__Frame *frame = NULL;
        if (zmsg_size (msg) == 1)
            frame = samhand__v1__frame__unpack (NULL, zframe_size (body), zframe_data (body));
        zmsg_destroy (&msg);
        if (frame && frame->version == SAMHAND_PROTOCOL_VERSION)
            return frame;
        zsys_warning ("samhand: dropped a message from the broker that is not a version 1 frame");
        samhand_frame_destroy (&frame);
        if (deadline >= 0 && zclock_mono () >= deadline)
            return NULL;
    }
    return NULL;
}

Samhand__V1__Frame *
samhand_client_recv (samhand_client_t *self, int timeout_ms)
{
    Samhand__V1__Frame *frame = (Samhand__V1__Frame *) zlist_pop (self->queue);
    if (frame)
        return frame;
    return s_recv_wire (self, timeout_ms, NULL, false);
}

//  Waits for the reply to REQUEST_ID; queues what the application may
//  still want, drops stale replies. LOSSES as for s_recv_wire.
static Samhand__V1__Frame *
s_await (samhand_client_t *self, uint64_t request_id, int timeout_ms, const uint64_t *losses)
{
    int64_t deadline = zclock_mono () + timeout_ms;
    while (true) {
        int64_t left = deadline - zclock_mono ();
        if (left <= 0)
            return NULL;
        Samhand__V1__Frame *frame = s_recv_wire (self, (int) left, losses, true);
        if (!frame)
            return NULL;
        if (frame->request_id == request_id)
            return frame;
        //  The broker could not read the request (so not its id either);
        //  we have one request in flight, so this is its answer.
        //  SESSION_REPLACED is the broker's own news, never an answer.
        if (frame->request_id == 0 && frame->command_case == SAMHAND__V1__FRAME__COMMAND_ERROR
        &&  frame->error->code != SAMHAND__V1__ERROR_CODE__SESSION_REPLACED)
            return frame;
        //  Any other answer to a request is for one we gave up on. Errors
        //  are kept (a refused receipt, say) and so is all the broker
        //  sends on its own (request_id 0: Deliver).
        if (frame->request_id != 0 && frame->command_case != SAMHAND__V1__FRAME__COMMAND_ERROR)
            samhand_frame_destroy (&frame);
        else
        if (zlist_append (self->queue, frame)) {
            samhand_frame_destroy (&frame);
            s_fail ("out of memory");
            return NULL;
        }
    }
}

Samhand__V1__Frame *
samhand_client_request (samhand_client_t *self, Samhand__V1__Frame *request, int timeout_ms)
{
    request->request_id = ++self->request_seq;
    int64_t start = zclock_mono ();
    if (s_send (self, request, timeout_ms))
        return NULL;
    int64_t spent = zclock_mono () - start;
    return s_await (self, request->request_id, spent < timeout_ms? timeout_ms - (int) spent: 0,
                    NULL);
}

//  Sends the remembered Subscribe without waiting. Its Subscribed reply
//  will be dropped as stale: the deliveries that follow are what matters.
//  The stored subscription was already changed (if asked) the first time:
//  a reconnect only restores the session and its filter.
static int
s_send_subscribe (samhand_client_t *self)
{
    Samhand__V1__Frame frame = SAMHAND__V1__FRAME__INIT;
    Samhand__V1__Subscribe sub = SAMHAND__V1__SUBSCRIBE__INIT;
    sub.session_kinds = self->sub_session_kinds;
    sub.n_session_kinds = self->sub_n_session_kinds;
    frame.command_case = SAMHAND__V1__FRAME__COMMAND_SUBSCRIBE;
    frame.subscribe = &sub;
    frame.request_id = ++self->request_seq;
    //  Not waiting: this runs while monitor events are read, and it follows
    //  a completed handshake, so the connection takes it at once.
    return s_send (self, &frame, 0);
}

int
samhand_client_reconnect (samhand_client_t *self)
{
    s_close_socket (self);
    if (s_open_socket (self))
        return -1;
    if (self->subscribed && self->n_endpoints > 1) {
        //  No connection is ready yet and frames wait for none: the first
        //  handshake of the new socket sends the Subscribe (as a second
        //  one does on any socket).
        self->handshakes = 1;
        return 0;
    }
    return self->subscribed? s_send_subscribe (self): 0;
}

//  ---------------------------------------------------------------- commands

const Samhand__V1__Error *
samhand_reply_error (const Samhand__V1__Frame *reply)
{
    if (!reply)
        return NULL;
    if (reply->command_case == SAMHAND__V1__FRAME__COMMAND_ERROR)
        return reply->error;
    if (reply->command_case == SAMHAND__V1__FRAME__COMMAND_SUBMIT_RESULT)
        return reply->submit_result->error;
    if (reply->command_case == SAMHAND__V1__FRAME__COMMAND_CONSENT_REPLY)
        return reply->consent_reply->error;
    if (reply->command_case == SAMHAND__V1__FRAME__COMMAND_AUDIT_REPLY)
        return reply->audit_reply->error;
    if (reply->command_case == SAMHAND__V1__FRAME__COMMAND_STATUS_REPORT)
        return reply->status_report->error;
    if (reply->command_case == SAMHAND__V1__FRAME__COMMAND_INBOX_REPLY)
        return reply->inbox_reply->error;
    if (reply->command_case == SAMHAND__V1__FRAME__COMMAND_ADMIN_REPLY)
        return reply->admin_reply->error;
    if (reply->command_case == SAMHAND__V1__FRAME__COMMAND_PLAN_REPLY)
        return reply->plan_reply->error;
    return NULL;
}

//  The broker says: not now, try again (nothing was stored).
static bool
s_transient (const Samhand__V1__Frame *reply)
{
    const Samhand__V1__Error *error = samhand_reply_error (reply);
    bool accepted = reply->command_case == SAMHAND__V1__FRAME__COMMAND_SUBMIT_RESULT
                 && reply->submit_result->accepted;
    return !accepted && error && (error->code == SAMHAND__V1__ERROR_CODE__INTERNAL
                               || error->code == SAMHAND__V1__ERROR_CODE__STORE_FULL
                               || error->code == SAMHAND__V1__ERROR_CODE__SHUTTING_DOWN);
}

int
samhand_client_submit (samhand_client_t *self, Samhand__V1__Submit *submit,
                       int timeout_ms, int retries, Samhand__V1__Frame **reply_p)
{
    if (reply_p)
        *reply_p = NULL;
    if (submit->message_id.len == 0) {
        samhand_random_message_id (self->message_id);
        submit->message_id.data = self->message_id;
        submit->message_id.len = sizeof self->message_id;
    }
    Samhand__V1__Frame frame = SAMHAND__V1__FRAME__INIT;
    frame.command_case = SAMHAND__V1__FRAME__COMMAND_SUBMIT;
    frame.submit = submit;
    //  One request id for every attempt: it is one request, and a late
    //  answer to an earlier attempt is as good as any.
    uint64_t request_id = ++self->request_seq;
    Samhand__V1__Frame *reply = NULL;
    enum { FIRST, TIMED_OUT, LOST, TRANSIENT } why = FIRST;
    for (int attempt = 0; attempt <= retries && !zsys_interrupted; attempt++) {
        if (why == TIMED_OUT) {
            //  A refused certificate or a wrong broker key will not mend
            //  itself in seconds: say so now rather than after every retry.
            samhand_link_t link = samhand_client_link (self);
            if (link == SAMHAND_LINK_REFUSED || link == SAMHAND_LINK_FAILED)
                break;
            zsys_warning ("samhand: no answer from %s, trying again with the same message id",
                          self->endpoint);
            if (samhand_client_reconnect (self))
                break;
        }
        else
        if (why == LOST)
            //  The connection it went on is gone (the broker died, or a
            //  standby is taking over): libzmq reconnects by itself, and
            //  with several brokers the frame waits for whichever is ready.
            zsys_warning ("samhand: the connection to the broker was lost, sending again"
                          " with the same message id");
        else
        if (why == TRANSIENT) {
            //  The broker is busy or restarting: give it a moment.
            samhand_frame_destroy (&reply);
            zclock_sleep (250 * attempt);
        }
        frame.request_id = request_id;
        s_monitor_drain (self);
        uint64_t losses = self->losses;
        int64_t start = zclock_mono ();
        if (s_send (self, &frame, timeout_ms)) {
            //  With several brokers: none was ready within the wait.
            if (self->n_endpoints > 1) {
                why = TIMED_OUT;
                continue;
            }
            break;
        }
        //  A broker that has just taken over deserves a fair wait too.
        int64_t left = timeout_ms - (zclock_mono () - start);
        if (left < timeout_ms / 2)
            left = timeout_ms / 2;
        reply = s_await (self, request_id, left > 0? (int) left: 0, &losses);
        if (!reply)
            why = self->losses != losses? LOST: TIMED_OUT;
        else
        if (s_transient (reply))
            why = TRANSIENT;
        else
            break;
    }
    int rc;
    if (!reply) {
        s_fail ("the broker at %s did not answer", self->endpoint);
        rc = -1;
    }
    else
    if (reply->command_case == SAMHAND__V1__FRAME__COMMAND_SUBMIT_RESULT
    &&  reply->submit_result->accepted)
        rc = 0;
    else
        rc = 1;
    if (reply_p)
        *reply_p = reply;
    else
        samhand_frame_destroy (&reply);
    return rc;
}

Samhand__V1__Frame *
samhand_client_subscribe (samhand_client_t *self, Samhand__V1__Subscribe *subscribe,
                          int timeout_ms)
{
    Samhand__V1__Subscribe empty = SAMHAND__V1__SUBSCRIBE__INIT;
    if (!subscribe)
        subscribe = &empty;
    if (subscribe->n_kinds > sizeof self->sub_kinds / sizeof *self->sub_kinds
    ||  subscribe->n_session_kinds > sizeof self->sub_session_kinds / sizeof *self->sub_session_kinds) {
        s_fail ("too many kinds in one subscription");
        return NULL;
    }
    if (!subscribe->manage_only) {
        //  Remembered for a reconnect; a manage-only request changes what
        //  the broker stores and is not a session.
        if (subscribe->n_kinds)
            memcpy (self->sub_kinds, subscribe->kinds,
                    subscribe->n_kinds * sizeof *subscribe->kinds);
        self->sub_n_kinds = subscribe->n_kinds;
        self->sub_min_urgency = subscribe->min_urgency;
        self->sub_min_level = subscribe->min_risk_level;
        if (subscribe->n_session_kinds)
            memcpy (self->sub_session_kinds, subscribe->session_kinds,
                    subscribe->n_session_kinds * sizeof *subscribe->session_kinds);
        self->sub_n_session_kinds = subscribe->n_session_kinds;
        self->subscribed = true;
    }
    Samhand__V1__Frame frame = SAMHAND__V1__FRAME__INIT;
    frame.command_case = SAMHAND__V1__FRAME__COMMAND_SUBSCRIBE;
    frame.subscribe = subscribe;
    return samhand_client_request (self, &frame, timeout_ms);
}

int
samhand_client_receipt (samhand_client_t *self, uint64_t delivery_id,
                        Samhand__V1__ReceiptState state)
{
    Samhand__V1__Frame frame = SAMHAND__V1__FRAME__INIT;
    Samhand__V1__Receipt receipt = SAMHAND__V1__RECEIPT__INIT;
    receipt.delivery_id = delivery_id;
    receipt.state = state;
    frame.command_case = SAMHAND__V1__FRAME__COMMAND_RECEIPT;
    frame.receipt = &receipt;
    //  An id of its own, so that an UNKNOWN_DELIVERY answer can never be
    //  mistaken for the answer to another request.
    frame.request_id = ++self->request_seq;
    return samhand_client_send (self, &frame);
}

Samhand__V1__Frame *
samhand_client_ping (samhand_client_t *self, int timeout_ms)
{
    Samhand__V1__Frame frame = SAMHAND__V1__FRAME__INIT;
    Samhand__V1__Ping ping = SAMHAND__V1__PING__INIT;
    ping.nonce = self->request_seq ^ (uint64_t) zclock_time ();
    frame.command_case = SAMHAND__V1__FRAME__COMMAND_PING;
    frame.ping = &ping;
    Samhand__V1__Frame *reply = samhand_client_request (self, &frame, timeout_ms);
    if (reply && reply->command_case == SAMHAND__V1__FRAME__COMMAND_PONG && reply->pong->instance)
        snprintf (self->instance, sizeof self->instance, "%s", reply->pong->instance);
    return reply;
}

Samhand__V1__Frame *
samhand_client_consent_grant (samhand_client_t *self, Samhand__V1__ConsentGrant *grant,
                              int timeout_ms)
{
    Samhand__V1__Frame frame = SAMHAND__V1__FRAME__INIT;
    //  A grant retried after a lost reply must not become a second consent:
    //  the broker recognises it by this key (kept in the client, like the
    //  submit's message id, until the next grant).
    if (grant->grant_id.len == 0) {
        samhand_random_message_id (self->grant_id);
        grant->grant_id.data = self->grant_id;
        grant->grant_id.len = sizeof self->grant_id;
    }
    frame.command_case = SAMHAND__V1__FRAME__COMMAND_CONSENT_GRANT;
    frame.consent_grant = grant;
    return samhand_client_request (self, &frame, timeout_ms);
}

Samhand__V1__Frame *
samhand_client_consent_withdraw (samhand_client_t *self, const char *consent_id,
                                 int timeout_ms)
{
    Samhand__V1__Frame frame = SAMHAND__V1__FRAME__INIT;
    Samhand__V1__ConsentWithdraw withdraw = SAMHAND__V1__CONSENT_WITHDRAW__INIT;
    withdraw.consent_id = (char *) consent_id;
    frame.command_case = SAMHAND__V1__FRAME__COMMAND_CONSENT_WITHDRAW;
    frame.consent_withdraw = &withdraw;
    return samhand_client_request (self, &frame, timeout_ms);
}

Samhand__V1__Frame *
samhand_client_consent_query (samhand_client_t *self, Samhand__V1__Subject *subject,
                              int timeout_ms)
{
    Samhand__V1__Frame frame = SAMHAND__V1__FRAME__INIT;
    Samhand__V1__ConsentQuery query = SAMHAND__V1__CONSENT_QUERY__INIT;
    query.subject = subject;
    frame.command_case = SAMHAND__V1__FRAME__COMMAND_CONSENT_QUERY;
    frame.consent_query = &query;
    return samhand_client_request (self, &frame, timeout_ms);
}

Samhand__V1__Frame *
samhand_client_status (samhand_client_t *self, const uint8_t *message_id, size_t len,
                       int timeout_ms)
{
    Samhand__V1__Frame frame = SAMHAND__V1__FRAME__INIT;
    Samhand__V1__StatusQuery query = SAMHAND__V1__STATUS_QUERY__INIT;
    query.message_id.data = (uint8_t *) message_id;
    query.message_id.len = len;
    frame.command_case = SAMHAND__V1__FRAME__COMMAND_STATUS_QUERY;
    frame.status_query = &query;
    return samhand_client_request (self, &frame, timeout_ms);
}

Samhand__V1__Frame *
samhand_client_inbox (samhand_client_t *self, bool include_read, uint32_t limit,
                      int timeout_ms)
{
    Samhand__V1__Frame frame = SAMHAND__V1__FRAME__INIT;
    Samhand__V1__InboxQuery query = SAMHAND__V1__INBOX_QUERY__INIT;
    query.include_read = include_read;
    query.limit = limit;
    frame.command_case = SAMHAND__V1__FRAME__COMMAND_INBOX_QUERY;
    frame.inbox_query = &query;
    return samhand_client_request (self, &frame, timeout_ms);
}

//  Takes the refusals of the receipts sent with request ids from ANY_FIRST
//  to FIRST + COUNT - 1 out of the queue (they are answers, not news for
//  the application) and records the codes of those from FIRST on (the
//  last attempt's).
static void
s_take_receipt_errors (samhand_client_t *self, uint64_t any_first, uint64_t first,
                       size_t count, int *codes)
{
    zlist_t *keep = zlist_new ();
    Samhand__V1__Frame *frame;
    while ((frame = (Samhand__V1__Frame *) zlist_pop (self->queue))) {
        bool ours = frame->command_case == SAMHAND__V1__FRAME__COMMAND_ERROR
                 && frame->request_id >= any_first && frame->request_id < first + count;
        if (ours) {
            if (codes && frame->request_id >= first)
                codes [frame->request_id - first] = frame->error->code
                                                  ? (int) frame->error->code
                                                  : SAMHAND__V1__ERROR_CODE__INTERNAL;
            samhand_frame_destroy (&frame);
        }
        else
        if (!keep || zlist_append (keep, frame))
            samhand_frame_destroy (&frame);     //  out of memory: nothing better to do
    }
    if (keep) {
        zlist_destroy (&self->queue);
        self->queue = keep;
    }
}

int
samhand_client_receipts (samhand_client_t *self, const uint64_t *delivery_ids, size_t count,
                         Samhand__V1__ReceiptState state, int timeout_ms, int *codes)
{
    //  Which broker run takes them: a Pong from another run does not confirm
    //  them (the DEALER may have lost them with the old connection, or a
    //  standby took over). Then they go again, to the run that answered;
    //  a receipt taken twice changes nothing.
    if (!*self->instance) {
        Samhand__V1__Frame *first_pong = samhand_client_ping (self, timeout_ms);
        samhand_frame_destroy (&first_pong);
    }
    uint64_t any_first = self->request_seq + 1;
    int rc = -1;
    for (int attempt = 0; attempt <= SAMHAND_RECEIPT_RETRIES && !zsys_interrupted; attempt++) {
        for (size_t i = 0; codes && i < count; i++)
            codes [i] = 0;
        char before [sizeof self->instance];
        snprintf (before, sizeof before, "%s", self->instance);
        //  Consecutive request ids, so each refusal names its receipt.
        uint64_t first = self->request_seq + 1;
        s_monitor_drain (self);
        uint64_t losses = self->losses;
        bool sent = true;
        for (size_t i = 0; i < count && sent; i++) {
            Samhand__V1__Frame frame = SAMHAND__V1__FRAME__INIT;
            Samhand__V1__Receipt receipt = SAMHAND__V1__RECEIPT__INIT;
            receipt.delivery_id = delivery_ids [i];
            receipt.state = state;
            frame.command_case = SAMHAND__V1__FRAME__COMMAND_RECEIPT;
            frame.receipt = &receipt;
            frame.request_id = ++self->request_seq;
            sent = s_send (self, &frame, timeout_ms) == 0;
        }
        if (!sent)
            break;                  //  no broker was ready within the wait
        Samhand__V1__Frame *pong = samhand_client_ping (self, timeout_ms);
        if (!pong) {
            s_fail ("the broker at %s did not answer", self->endpoint);
            //  Silence on a connection that stayed up: asking again will
            //  not help. A lost connection may have a successor.
            if (self->losses == losses)
                break;
        }
        else
        if (pong->command_case != SAMHAND__V1__FRAME__COMMAND_PONG) {
            //  It could not read one of them: which one, it cannot say.
            const Samhand__V1__Error *error = samhand_reply_error (pong);
            s_fail ("the broker could not read the receipts (%s)",
                    samhand_error_code_name (error? (int) error->code: 0));
            samhand_frame_destroy (&pong);
            break;
        }
        else
        if (!*before || strcmp (before, self->instance))
            s_fail ("another broker run answered at %s while the receipts were sent (a"
                    " restart or a takeover): they are not confirmed%s", self->endpoint,
                    attempt < SAMHAND_RECEIPT_RETRIES? "; sending them again": "");
        else {
            s_take_receipt_errors (self, any_first, first, count, codes);
            rc = 0;
        }
        samhand_frame_destroy (&pong);
        if (rc == 0)
            break;
    }
    if (rc)
        for (size_t i = 0; codes && i < count; i++)
            codes [i] = 0;
    return rc;
}

Samhand__V1__Frame *
samhand_client_audit (samhand_client_t *self, Samhand__V1__AuditQuery *query, int timeout_ms)
{
    Samhand__V1__Frame frame = SAMHAND__V1__FRAME__INIT;
    frame.command_case = SAMHAND__V1__FRAME__COMMAND_AUDIT_QUERY;
    frame.audit_query = query;
    return samhand_client_request (self, &frame, timeout_ms);
}

Samhand__V1__Frame *
samhand_client_admin (samhand_client_t *self, const char *command, uint64_t delivery_id,
                      int timeout_ms)
{
    Samhand__V1__Frame frame = SAMHAND__V1__FRAME__INIT;
    Samhand__V1__AdminCommand admin = SAMHAND__V1__ADMIN_COMMAND__INIT;
    admin.command = (char *) command;
    admin.delivery_id = delivery_id;
    frame.command_case = SAMHAND__V1__FRAME__COMMAND_ADMIN_COMMAND;
    frame.admin_command = &admin;
    return samhand_client_request (self, &frame, timeout_ms);
}

//  ---------------------------------------------------------------- helpers

void
samhand_random_message_id (uint8_t out [SAMHAND_MESSAGE_ID_SIZE])
{
    size_t have = 0;
    while (have < SAMHAND_MESSAGE_ID_SIZE) {
        ssize_t n = getrandom (out + have, SAMHAND_MESSAGE_ID_SIZE - have, 0);
        if (n > 0)
            have += (size_t) n;
        else
        if (n < 0 && errno != EINTR)
            break;
    }
    if (have == SAMHAND_MESSAGE_ID_SIZE)
        return;
    //  No getrandom (very old kernel): the device, and if even that fails
    //  we stop rather than reuse ids, which would merge distinct messages.
    int fd = open ("/dev/urandom", O_RDONLY | O_CLOEXEC);
    ssize_t n = fd >= 0? read (fd, out, SAMHAND_MESSAGE_ID_SIZE): -1;
    if (fd >= 0)
        close (fd);
    if (n != SAMHAND_MESSAGE_ID_SIZE) {
        fprintf (stderr, "samhand: no source of random numbers: cannot make a message id\n");
        abort ();
    }
}

char *
samhand_hex (const uint8_t *data, size_t len, char *out)
{
    static const char digits [] = "0123456789abcdef";
    for (size_t i = 0; i < len; i++) {
        out [2 * i] = digits [data [i] >> 4];
        out [2 * i + 1] = digits [data [i] & 15];
    }
    out [2 * len] = 0;
    return out;
}

Samhand__V1__Frame *
samhand_client_plan_query (samhand_client_t *self, const char *case_ref, uint32_t revision,
                           bool history, int timeout_ms)
{
    Samhand__V1__Frame frame = SAMHAND__V1__FRAME__INIT;
    Samhand__V1__PlanQuery query = SAMHAND__V1__PLAN_QUERY__INIT;
    query.case_ref = (char *) (case_ref? case_ref: "");
    query.revision = revision;
    query.history = history;
    frame.command_case = SAMHAND__V1__FRAME__COMMAND_PLAN_QUERY;
    frame.plan_query = &query;
    return samhand_client_request (self, &frame, timeout_ms);
}

Samhand__V1__Frame *
samhand_client_plan_evaluate (samhand_client_t *self, const char *case_ref, const char *note,
                              const char *next_date, int timeout_ms)
{
    Samhand__V1__Frame frame = SAMHAND__V1__FRAME__INIT;
    Samhand__V1__PlanEvaluate eval = SAMHAND__V1__PLAN_EVALUATE__INIT;
    eval.case_ref = (char *) (case_ref? case_ref: "");
    eval.note = (char *) (note? note: "");
    eval.next_date = (char *) (next_date? next_date: "");
    frame.command_case = SAMHAND__V1__FRAME__COMMAND_PLAN_EVALUATE;
    frame.plan_evaluate = &eval;
    return samhand_client_request (self, &frame, timeout_ms);
}
