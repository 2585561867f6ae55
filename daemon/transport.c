/*  transport — ROUTER + CURVE + zauth. See transport.h.                    */
#include "transport.h"
#include <zmq.h>

//  A draft option in libzmq 4.3's header; the library itself supports it.
#ifndef ZMQ_ZAP_ENFORCE_DOMAIN
#   define ZMQ_ZAP_ENFORCE_DOMAIN 93
#endif

struct _transport_t {
    zsock_t  *router;
    zactor_t *auth;
    zsock_t  *monitor;        //  PAIR receiving libzmq socket events
};

//  Starts zauth on the enrolled directory: a CURVE client is allowed only
//  if its public key is one of the certificates there.
static zactor_t *
s_auth_start (const char *enrolled_dir)
{
    zactor_t *auth = zactor_new (zauth, NULL);
    if (!auth)
        return NULL;
    if (zstr_sendx (auth, "CURVE", enrolled_dir, NULL) || zsock_wait (auth) < 0) {
        zactor_destroy (&auth);
        return NULL;
    }
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
    ||  zmq_setsockopt (raw, ZMQ_ZAP_DOMAIN, "samhand", 7)
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
    if (s_configure (self->router, cert_path, hard_max, heartbeat_ms)) {
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

void
transport_destroy (transport_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    transport_t *self = *self_p;
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

int
transport_refused_handshakes (transport_t *self)
{
    int refused = 0;
    while (zsock_events (self->monitor) & ZMQ_POLLIN) {
        zmsg_t *event = zmsg_recv (self->monitor);
        if (!event)
            break;
        zframe_t *head = zmsg_first (event);
        if (head && zframe_size (head) >= 6) {
            uint16_t id;
            uint32_t value;
            memcpy (&id, zframe_data (head), 2);
            memcpy (&value, zframe_data (head) + 2, 4);
            const char *why = id == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH
                ? "unknown or revoked certificate"
                : id == ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL
                ? "protocol error (a client with the wrong broker key?)"
                : "connection dropped during the handshake";
            zsys_warning ("transport: a client was refused at the handshake (event 0x%x, status %u): %s",
                          id, value, why);
            refused++;
        }
        zmsg_destroy (&event);
    }
    return refused;
}
