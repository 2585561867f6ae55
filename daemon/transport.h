/*  transport — the broker's ROUTER socket: CURVE, ZAP over the enrolled
    certificate directory, frames in and out. It knows nothing of policy.

    Every message a client sends arrives as [routing id][body]. The sender
    is the Z85 key in the body's "User-Id" property, set by libzmq from the
    CURVE handshake that ZAP approved — never anything the client wrote.   */
#ifndef SAMHAND_TRANSPORT_H
#define SAMHAND_TRANSPORT_H

#include <stddef.h>
#include <stdint.h>
#include <czmq.h>

typedef struct _transport_t transport_t;

typedef struct {
    zframe_t *routing_id;     //  owned by the message
    zframe_t *body;           //  owned by the message
    char      user_id [41];   //  Z85 CURVE key of the sender
    bool      previous_key;   //  came over the previous server key's endpoint
} transport_msg_t;

//  Binds ENDPOINT with the server certificate at CERT_PATH and ZAP over
//  ENROLLED_DIR. hard_max is the size over which libzmq drops the peer;
//  the broker answers bodies between its own limit and that with an Error.
transport_t *transport_new (const char *endpoint, const char *cert_path,
                            const char *enrolled_dir, size_t hard_max,
                            int heartbeat_ms);
void transport_destroy (transport_t **self_p);

//  The ZAP handler reads the enrolled folder again now (SIGHUP); without
//  it, it does so whenever the folder changed (see zapcerts.h).
void transport_reload_enrolled (transport_t *self);

//  The socket to poll for input.
void *transport_socket (transport_t *self);

//  Receives one message without blocking. Returns 0 and fills msg, 1 when
//  nothing is waiting, -1 on a malformed envelope (dropped, logged).
int transport_recv (transport_t *self, transport_msg_t *msg);
void transport_msg_clear (transport_msg_t *msg);

//  Sends a body to a routing id without blocking. Returns 0, or -1 when
//  the peer is gone (EHOSTUNREACH) or its pipe is full (EAGAIN): the
//  caller keeps the work pending and tries again later.
int transport_send (transport_t *self, zframe_t *routing_id,
                    const void *data, size_t size);

//  Server key rotation: also accepts clients that still use the previous
//  server key (CERT_PATH, its secret beside it) on ENDPOINT, until UNTIL_MS
//  (unix ms). One socket, two endpoints: libzmq takes a listener's CURVE
//  key and ZAP domain when it binds, so the previous key's endpoint has its
//  own (ZAP domain "samhand-previous": the handler logs each node still on
//  it, and refuses it from UNTIL_MS on). 0, or -1 (logged).
int transport_bind_previous (transport_t *self, const char *endpoint, const char *cert_path,
                             int64_t until_ms);
//  Ends the transition: the previous key's endpoint is unbound, which
//  closes the connections made through it. True while it is open.
void transport_end_previous (transport_t *self);
bool transport_previous_open (transport_t *self);

//  A refused handshake (or COUNT of them from one report).
typedef struct {
    char        address [64];   //  peer IP address from the ZAP request, "" if unknown
    char        key [41];       //  the client's public key (Z85), "" if unknown
    const char *reason;
    int         count;
} transport_refusal_t;
typedef void (transport_refusal_fn) (const transport_refusal_t *refusal, void *arg);

//  Drains the reports of refused handshakes (the ZAP handler's, with
//  address and key; the monitor's for failures before ZAP) and calls fn
//  for each, without logging. Returns how many were refused.
int transport_refused_handshakes (transport_t *self, transport_refusal_fn *fn, void *arg);
void *transport_monitor_socket (transport_t *self);

#endif
