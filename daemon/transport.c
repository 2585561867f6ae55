/*  transport — ROUTER + CURVE + zauth. See transport.h.                    */
#include "transport.h"
#include "zapcerts.h"
#include <zmq.h>
#include <ctype.h>

//  A draft option in libzmq 4.3's header; the library itself supports it.
#ifndef ZMQ_ZAP_ENFORCE_DOMAIN
#   define ZMQ_ZAP_ENFORCE_DOMAIN 93
#endif

struct _transport_t {
    zsock_t  *router;
    zactor_t *auth;
    zsock_t  *monitor;        //  PAIR receiving libzmq socket events
    char     *previous;       //  the previous key's bound endpoint, NULL if none
    char     *current_cert;   //  the current server certificate's path
};

//  ZAP domains: one per listening endpoint (the key it serves).
#define ZAP_DOMAIN           "samhand"
#define ZAP_DOMAIN_PREVIOUS  "samhand-previous"

//  Our ZAP handler, in place of czmq's zauth, doing what zauth does in
//  CURVE mode (a key is admitted if and only if a certificate in the
//  enrolled folder has it; zapcerts keeps them in memory and loads the
//  folder again when it changed, not on every handshake as zcertstore),
//  and telling the broker whom it refused: the peer address and the key
//  from the ZAP request, which libzmq's monitor events do not carry. A
//  report that would block (the broker busy, a flood) is counted and
//  sent with the next one (so counted under that one's address and key:
//  the total stays right), and refusing never waits on the broker.
#define ZAP_ENDPOINT "inproc://zeromq.zap.01"

//  The property a connection on the previous key carries: name length,
//  name, 4-byte big-endian value length, value.
#define ZAP_PREVIOUS_PROPERTY "X-Samhand-Key"
#define ZAP_PREVIOUS_META     "\x0d" ZAP_PREVIOUS_PROPERTY "\x00\x00\x00\x08" "previous"
#define ZAP_CURRENT_META      "\x0d" ZAP_PREVIOUS_PROPERTY "\x00\x00\x00\x07" "current"

static void
s_zap_report (zsock_t *pipe, const char *address, const char *key, unsigned *missed)
{
    char report [160];
    int len = snprintf (report, sizeof report, "%u %.63s %.40s", *missed + 1,
                        *address? address: "-", *key? key: "-");
    if (zmq_send (zsock_resolve (pipe), report, (size_t) len, ZMQ_DONTWAIT) < 0)
        (*missed)++;
    else
        *missed = 0;
}

//  The previous server key is accepted until this (unix ms; 0: never).
typedef struct {
    int64_t until_ms;
} zap_previous_t;

static void
s_zap_handle (zsock_t *handler, zapcerts_t *certs, zsock_t *pipe, unsigned *missed,
              const zap_previous_t *previous)
{
    zmsg_t *request = zmsg_recv (handler);
    if (!request)
        return;
    char *version = zmsg_popstr (request);
    char *sequence = zmsg_popstr (request);
    char *domain = zmsg_popstr (request);
    char *address = zmsg_popstr (request);
    char *identity = zmsg_popstr (request);
    char *mechanism = zmsg_popstr (request);
    zframe_t *credentials = zmsg_pop (request);
    char key [41] = "";
    bool curve = version && streq (version, "1.0") && mechanism && streq (mechanism, "CURVE")
              && credentials && zframe_size (credentials) == 32;
    if (curve)
        zmq_z85_encode (key, zframe_data (credentials), 32);
    zcert_t *enrolled = curve? zapcerts_lookup (certs, key, zclock_time ()): NULL;
    bool allowed = enrolled != NULL;
    if (allowed && domain && streq (domain, ZAP_DOMAIN_PREVIOUS)) {
        //  A node still on the previous server key: accepted until the
        //  transition ends, and named in the log so an operator can see
        //  who has not switched yet.
        const char *name = zcert_meta (enrolled, "name");
        char until [32] = "?";
        time_t when = (time_t) (previous->until_ms / 1000);
        struct tm tm;
        if (gmtime_r (&when, &tm))
            strftime (until, sizeof until, "%Y-%m-%dT%H:%M:%SZ", &tm);
        if (zclock_time () >= previous->until_ms) {
            allowed = false;
            zsys_warning ("transport: %s (key %s) refused: it uses the previous server key,"
                          " retired %s; give it the new broker certificate and endpoint",
                          name? name: "a node", key, until);
        }
        else
            zsys_warning ("transport: %s (key %s) connected with the PREVIOUS server key,"
                          " accepted until %s: switch its broker_cert and endpoint to the new"
                          " ones", name? name: "a node", key, until);
    }
    zmsg_t *reply = zmsg_new ();
    zmsg_addstr (reply, "1.0");
    zmsg_addstr (reply, sequence? sequence: "");
    zmsg_addstr (reply, allowed? "200": "400");
    zmsg_addstr (reply, allowed? "OK": "not enrolled");
    zmsg_addstr (reply, allowed? key: "");
    //  ZAP metadata (ZMTP property list): libzmq attaches it to every
    //  message of the connection, so the broker sees which key it is on.
    //  Set on every admitted connection: libzmq lets ZAP's properties win
    //  over those a client sends itself (ZMQ_METADATA, "X-" names).
    if (allowed && domain && streq (domain, ZAP_DOMAIN_PREVIOUS))
        zmsg_addmem (reply, ZAP_PREVIOUS_META, sizeof ZAP_PREVIOUS_META - 1);
    else
    if (allowed)
        zmsg_addmem (reply, ZAP_CURRENT_META, sizeof ZAP_CURRENT_META - 1);
    else
        zmsg_addmem (reply, NULL, 0);
    if (zmsg_send (&reply, handler))
        zmsg_destroy (&reply);
    if (!allowed) {
        //  Only what is safe to log: an address, and a Z85 key or nothing.
        char safe [64] = "";
        for (size_t i = 0; address && address [i] && i < sizeof safe - 1; i++)
            safe [i] = isgraph ((unsigned char) address [i])? address [i]: '?';
        s_zap_report (pipe, safe, key, missed);
    }
    zframe_destroy (&credentials);
    zstr_free (&version);
    zstr_free (&sequence);
    zstr_free (&domain);
    zstr_free (&address);
    zstr_free (&identity);
    zstr_free (&mechanism);
    zmsg_destroy (&request);
}

typedef struct {
    const char *enrolled_dir;
    bool        failed;        //  set before the actor's first signal
} zap_args_t;

static void
s_zap_actor (zsock_t *pipe, void *arg)
{
    zap_args_t *args = (zap_args_t *) arg;
    zapcerts_t *certs = zapcerts_new (args->enrolled_dir, zclock_time ());
    zsock_t *handler = zsock_new (ZMQ_REP);
    if (!certs || !handler || zsock_bind (handler, ZAP_ENDPOINT) < 0) {
        zsys_error ("transport: cannot start the ZAP handler: %s", zmq_strerror (zmq_errno ()));
        zsock_destroy (&handler);
        zapcerts_destroy (&certs);
        args->failed = true;
        zsock_signal (pipe, 0);
        return;
    }
    zsock_signal (pipe, 0);
    zpoller_t *poller = zpoller_new (pipe, handler, NULL);
    //  SIGTERM must not stop admission before the broker stops: only the
    //  broker's $TERM (or a dead context) ends this loop.
    if (poller)
        zpoller_set_nonstop (poller, true);
    unsigned missed = 0;
    zap_previous_t previous = { 0 };
    while (poller) {
        zsock_t *which = (zsock_t *) zpoller_wait (poller, -1);
        if (which == handler)
            s_zap_handle (handler, certs, pipe, &missed, &previous);
        else
        if (which == pipe) {
            char *command = zstr_recv (pipe);
            bool term = !command || streq (command, "$TERM");
            //  "PREVIOUS UNTIL_MS": the previous key's transition (before
            //  its endpoint is bound).
            long long until = 0;
            if (command && sscanf (command, "PREVIOUS %lld", &until) == 1) {
                previous.until_ms = until;
                zsock_signal (pipe, 0);
            }
            //  "RELOAD": the broker's SIGHUP reads the folder again.
            if (command && streq (command, "RELOAD"))
                zapcerts_reload (certs, zclock_time ());
            zstr_free (&command);
            if (term)
                break;
        }
        else
        if (zmq_errno () == ETERM)
            break;
    }
    zpoller_destroy (&poller);
    zsock_destroy (&handler);
    zapcerts_destroy (&certs);
}

//  Starts the ZAP handler on the enrolled directory: a CURVE client is
//  allowed only if its public key is one of the certificates there.
static zactor_t *
s_auth_start (const char *enrolled_dir)
{
    zap_args_t args = { enrolled_dir, false };
    //  zactor_new returns after the actor's first signal.
    zactor_t *auth = zactor_new (s_zap_actor, &args);
    if (auth && args.failed)
        zactor_destroy (&auth);
    return auth;
}

static int
s_configure (zsock_t *router, const char *cert_path, size_t hard_max, int heartbeat_ms)
{
    zcert_t *cert = zcert_load (cert_path);
    if (!cert || !zcert_secret_txt (cert) || streq (zcert_secret_txt (cert),
        "0000000000000000000000000000000000000000")) {
        zsys_error ("transport: cannot load server certificate %s (and its _secret)", cert_path);
        zcert_destroy (&cert);
        return -1;
    }
    zcert_apply (cert, router);
    zcert_destroy (&cert);
    void *raw = zsock_resolve (router);
    int on = 1;
    int64_t max = (int64_t) hard_max;
    int hwm = 10000;
    int linger = 0;
    //  czmq's zsock_set_zap_enforce_domain is a no-op on Debian's build
    //  (draft API), so the option is set on the libzmq socket directly:
    //  without it a missing ZAP handler would let everyone in.
    if (zmq_setsockopt (raw, ZMQ_CURVE_SERVER, &on, sizeof on)
    ||  zmq_setsockopt (raw, ZMQ_ZAP_DOMAIN, ZAP_DOMAIN, strlen (ZAP_DOMAIN))
    ||  zmq_setsockopt (raw, ZMQ_ZAP_ENFORCE_DOMAIN, &on, sizeof on)
    ||  zmq_setsockopt (raw, ZMQ_ROUTER_MANDATORY, &on, sizeof on)
    ||  zmq_setsockopt (raw, ZMQ_MAXMSGSIZE, &max, sizeof max)
    ||  zmq_setsockopt (raw, ZMQ_SNDHWM, &hwm, sizeof hwm)
    ||  zmq_setsockopt (raw, ZMQ_RCVHWM, &hwm, sizeof hwm)
    ||  zmq_setsockopt (raw, ZMQ_LINGER, &linger, sizeof linger)
    ||  zmq_setsockopt (raw, ZMQ_HEARTBEAT_IVL, &heartbeat_ms, sizeof heartbeat_ms)) {
        zsys_error ("transport: setsockopt failed: %s", zmq_strerror (zmq_errno ()));
        return -1;
    }
    int timeout = heartbeat_ms * 3;
    if (zmq_setsockopt (raw, ZMQ_HEARTBEAT_TIMEOUT, &timeout, sizeof timeout)
    ||  zmq_setsockopt (raw, ZMQ_HEARTBEAT_TTL, &timeout, sizeof timeout)) {
        zsys_error ("transport: heartbeat setsockopt failed: %s", zmq_strerror (zmq_errno ()));
        return -1;
    }
    return 0;
}

static zsock_t *
s_monitor_start (zsock_t *router)
{
    char endpoint [64];
    snprintf (endpoint, sizeof endpoint, "inproc://samhand-monitor-%p", (void *) router);
    if (zmq_socket_monitor (zsock_resolve (router), endpoint,
                            ZMQ_EVENT_HANDSHAKE_FAILED_AUTH
                          | ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL
                          | ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL)) {
        zsys_error ("transport: cannot monitor socket: %s", zmq_strerror (zmq_errno ()));
        return NULL;
    }
    zsock_t *pair = zsock_new_pair (endpoint);   //  '>' connect by default
    return pair;
}

transport_t *
transport_new (const char *endpoint, const char *cert_path,
               const char *enrolled_dir, size_t hard_max, int heartbeat_ms)
{
    transport_t *self = (transport_t *) zmalloc (sizeof (transport_t));
    if (!self)
        return NULL;
    self->auth = s_auth_start (enrolled_dir);
    self->router = zsock_new (ZMQ_ROUTER);
    if (!self->auth || !self->router) {
        zsys_error ("transport: cannot start authentication or socket");
        transport_destroy (&self);
        return NULL;
    }
    self->current_cert = strdup (cert_path);
    if (!self->current_cert || s_configure (self->router, cert_path, hard_max, heartbeat_ms)) {
        transport_destroy (&self);
        return NULL;
    }
    self->monitor = s_monitor_start (self->router);
    if (!self->monitor || zsock_bind (self->router, "%s", endpoint) < 0) {
        zsys_error ("transport: cannot bind %s: %s", endpoint, zmq_strerror (zmq_errno ()));
        transport_destroy (&self);
        return NULL;
    }
    return self;
}

int
transport_bind_previous (transport_t *self, const char *endpoint, const char *cert_path,
                         int64_t until_ms)
{
    assert (self && endpoint && cert_path && !self->previous);
    zcert_t *cert = zcert_load (cert_path);
    if (!cert || !zcert_secret_txt (cert) || streq (zcert_secret_txt (cert),
        "0000000000000000000000000000000000000000")) {
        zsys_error ("transport: cannot load the previous server certificate %s (and its _secret)",
                    cert_path);
        zcert_destroy (&cert);
        return -1;
    }
    //  The ZAP handler learns the end first, so it never admits past it.
    zstr_sendf (self->auth, "PREVIOUS %lld", (long long) until_ms);
    zsock_wait (self->auth);
    //  A listener takes the socket's options when it binds: the previous
    //  key and domain for this endpoint, then the current ones back for
    //  whatever comes later.
    void *raw = zsock_resolve (self->router);
    zcert_apply (cert, self->router);
    zcert_destroy (&cert);
    int rc = zmq_setsockopt (raw, ZMQ_ZAP_DOMAIN, ZAP_DOMAIN_PREVIOUS, strlen (ZAP_DOMAIN_PREVIOUS));
    if (rc == 0 && zsock_bind (self->router, "%s", endpoint) < 0)
        rc = -1;
    if (rc == 0)
        self->previous = zsock_last_endpoint (self->router);
    zmq_setsockopt (raw, ZMQ_ZAP_DOMAIN, ZAP_DOMAIN, strlen (ZAP_DOMAIN));
    zcert_t *current = self->current_cert? zcert_load (self->current_cert): NULL;
    if (current) {
        zcert_apply (current, self->router);
        zcert_destroy (&current);
    }
    if (rc || !self->previous) {
        zsys_error ("transport: cannot bind %s for the previous server key: %s", endpoint,
                    zmq_strerror (zmq_errno ()));
        return -1;
    }
    return 0;
}

void
transport_end_previous (transport_t *self)
{
    assert (self);
    if (!self->previous)
        return;
    if (zmq_unbind (zsock_resolve (self->router), self->previous))
        zsys_error ("transport: cannot close %s: %s", self->previous, zmq_strerror (zmq_errno ()));
    zstr_free (&self->previous);
}

void
transport_reload_enrolled (transport_t *self)
{
    assert (self);
    //  No answer is awaited: the pipe also carries refusal reports.
    if (zstr_send (self->auth, "RELOAD"))
        zsys_warning ("transport: cannot ask the ZAP handler to reload the enrolled folder");
}

bool
transport_previous_open (transport_t *self)
{
    return self && self->previous;
}

void
transport_destroy (transport_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    transport_t *self = *self_p;
    zstr_free (&self->previous);
    zstr_free (&self->current_cert);
    if (self->router)
        zmq_socket_monitor (zsock_resolve (self->router), NULL, 0);
    zsock_destroy (&self->monitor);
    zsock_destroy (&self->router);
    zactor_destroy (&self->auth);
    free (self);
    *self_p = NULL;
}

void *
transport_socket (transport_t *self)
{
    return self->router;
}

void *
transport_monitor_socket (transport_t *self)
{
    return self->monitor;
}

int
transport_recv (transport_t *self, transport_msg_t *msg)
{
    memset (msg, 0, sizeof *msg);
    void *raw = zsock_resolve (self->router);
    zmq_pollitem_t item = { raw, 0, ZMQ_POLLIN, 0 };
    if (zmq_poll (&item, 1, 0) <= 0 || !(item.revents & ZMQ_POLLIN))
        return 1;
    msg->routing_id = zframe_recv (self->router);
    if (!msg->routing_id)
        return 1;
    if (!zframe_more (msg->routing_id)) {
        transport_msg_clear (msg);
        return -1;
    }
    msg->body = zframe_recv (self->router);
    if (!msg->body) {
        transport_msg_clear (msg);
        return -1;
    }
    //  A DEALER sends one body frame; anything more is not our protocol.
    //  Drain the rest so the next read starts on a message boundary.
    int more = zframe_more (msg->body);
    while (more) {
        zframe_t *extra = zframe_recv (self->router);
        more = extra && zframe_more (extra);
        zframe_destroy (&extra);
    }
    const char *user_id = zframe_meta (msg->body, "User-Id");
    if (!user_id || strlen (user_id) != 40) {
        //  Cannot happen with ZAP enforced; fail closed if it ever does.
        zsys_warning ("transport: message without an authenticated User-Id dropped");
        transport_msg_clear (msg);
        return -1;
    }
    memcpy (msg->user_id, user_id, 41);
    const char *key = zframe_meta (msg->body, ZAP_PREVIOUS_PROPERTY);
    msg->previous_key = key && streq (key, "previous");
    return 0;
}

void
transport_msg_clear (transport_msg_t *msg)
{
    zframe_destroy (&msg->routing_id);
    zframe_destroy (&msg->body);
}

int
transport_send (transport_t *self, zframe_t *routing_id, const void *data, size_t size)
{
    void *raw = zsock_resolve (self->router);
    if (zmq_send (raw, zframe_data (routing_id), zframe_size (routing_id),
                  ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0)
        return -1;
    if (zmq_send (raw, data, size, ZMQ_DONTWAIT) < 0)
        return -1;   //  cannot happen after the first part was queued
    return 0;
}

//  Refusals by ZAP come from the handler with address and key. The
//  monitor adds those that never reach ZAP: a client with the wrong
//  broker key fails CURVE's cryptographic handshake before any ZAP
//  request, and libzmq reports it with no peer address and no key.
int
transport_refused_handshakes (transport_t *self, transport_refusal_fn *fn, void *arg)
{
    int refused = 0;
    while (zsock_events (self->auth) & ZMQ_POLLIN) {
        char *report = zstr_recv (self->auth);
        if (!report)
            break;
        transport_refusal_t r = { "", "", "unknown key (not enrolled, or revoked)", 1 };
        unsigned count = 0;
        char address [64], key [41];
        if (sscanf (report, "%u %63s %40s", &count, address, key) == 3 && count > 0) {
            r.count = (int) count;
            snprintf (r.address, sizeof r.address, "%s", streq (address, "-")? "": address);
            snprintf (r.key, sizeof r.key, "%s", streq (key, "-")? "": key);
            refused += r.count;
            fn (&r, arg);
        }
        zstr_free (&report);
    }
    while (zsock_events (self->monitor) & ZMQ_POLLIN) {
        zmsg_t *event = zmsg_recv (self->monitor);
        if (!event)
            break;
        zframe_t *head = zmsg_first (event);
        if (head && zframe_size (head) >= 6) {
            uint16_t id;
            memcpy (&id, zframe_data (head), 2);
            //  FAILED_AUTH is ZAP's own refusal, reported above.
            if (id != ZMQ_EVENT_HANDSHAKE_FAILED_AUTH) {
                transport_refusal_t r = { "", "",
                    id == ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL
                    ? "CURVE handshake failed before ZAP (a client with a wrong broker key,"
                      " or not speaking CURVE; libzmq gives no address or key)"
                    : "connection dropped during the handshake", 1 };
                refused++;
                fn (&r, arg);
            }
        }
        zmsg_destroy (&event);
    }
    return refused;
}
