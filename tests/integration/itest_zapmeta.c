/*  itest_zapmeta — which server key a connection uses is what the broker's
    ZAP handler says, never what the client says. During a key rotation the
    ZAP handler marks each connection it admits ("X-Samhand-Key": previous
    or current) and admin status shows who is still on the previous key; a
    client may send properties of its own in its handshake (ZMQ_METADATA,
    "X-" names), and one that claims "X-Samhand-Key: previous" on the
    current key must not be listed as on the previous key.               */
#include "harness.h"
#include "testlib.h"

//  libzmq's ZMQ_METADATA (a draft option in 4.3's header; the library has it).
#ifndef ZMQ_METADATA
#   define ZMQ_METADATA 95
#endif

//  A DEALER for NAME that sends PROPERTY in its handshake.
static hclient_t *
s_claiming (harness_t *h, const char *name, const char *property)
{
    char path [512];
    snprintf (path, sizeof path, "%s/nodes/%s.cert", h->dir, name);
    zcert_t *cert = zcert_load (path);
    hclient_t *self = cert? (hclient_t *) zmalloc (sizeof (hclient_t)): NULL;
    if (!self) {
        zcert_destroy (&cert);
        return NULL;
    }
    snprintf (self->name, sizeof self->name, "%s", name);
    self->sock = zsock_new (ZMQ_DEALER);
    zcert_apply (cert, self->sock);
    zcert_destroy (&cert);
    zsock_set_curve_serverkey (self->sock, h->server_public);
    zsock_set_linger (self->sock, 0);
    if (zmq_setsockopt (zsock_resolve (self->sock), ZMQ_METADATA, property, strlen (property))
    ||  zsock_connect (self->sock, "%s", h->endpoint)) {
        hclient_destroy (&self);
        return NULL;
    }
    return self;
}

static Samhand__V1__Frame *
s_ask (hclient_t *c, int command_case)
{
    Samhand__V1__Frame frame = SAMHAND__V1__FRAME__INIT;
    Samhand__V1__Ping ping = SAMHAND__V1__PING__INIT;
    Samhand__V1__BrokerStatusQuery query = SAMHAND__V1__BROKER_STATUS_QUERY__INIT;
    frame.request_id = 7;
    if (command_case == SAMHAND__V1__FRAME__COMMAND_PING) {
        frame.command_case = SAMHAND__V1__FRAME__COMMAND_PING;
        frame.ping = &ping;
    }
    else {
        frame.command_case = SAMHAND__V1__FRAME__COMMAND_BROKER_STATUS_QUERY;
        frame.broker_status_query = &query;
    }
    if (hclient_send (c, &frame))
        return NULL;
    return hclient_recv (c, 5000);
}

//  A certificate copied into enrolled/ by hand (cp, not `samhand admin
//  enroll`, which checks the name) whose name carries terminal controls,
//  a space or a line break: the broker takes no node of that name (its
//  name would go as it is into the log, the metrics and every other
//  agency's view of who sent what).
static void
s_bad_names (harness_t *h)
{
    const char *names [] = { "politi\x1b[2Jrisk", "politi risk", "ti\x7f" "l\xc2\x9b" "bake", ".skjult", NULL };
    for (int i = 0; names [i]; i++) {
        zcert_t *cert = zcert_new ();
        zcert_set_meta (cert, "name", "%s", names [i]);
        zcert_set_meta (cert, "agency", "police_risk");
        zcert_set_meta (cert, "role", "team");
        char path [600];
        snprintf (path, sizeof path, "%s/nodes/bad%d.cert", h->dir, i);
        int rc = zcert_save (cert, path);
        snprintf (path, sizeof path, "%s/enrolled/bad%d.cert", h->dir, i);
        rc |= zcert_save_public (cert, path);
        zcert_destroy (&cert);
        char node [16];
        snprintf (node, sizeof node, "bad%d", i);
        hclient_t *c = rc? NULL: hclient_new (h, node);
        Samhand__V1__Frame *reply = c? s_ask (c, SAMHAND__V1__FRAME__COMMAND_PING): NULL;
        bool served = reply && reply->command_case == SAMHAND__V1__FRAME__COMMAND_PONG;
        //  A delivery session would put its name in the log ("subscribed").
        Samhand__V1__Frame *sub = c? hclient_subscribe (c, 2000): NULL;
        served = served || (sub && sub->command_case == SAMHAND__V1__FRAME__COMMAND_SUBSCRIBED);
        frame_free (&sub);
        char what [160];
        snprintf (what, sizeof what, "node names: a certificate named '%s' copied into enrolled/"
                  " is not taken as a node", i == 0? "politi ESC[2J risk": i == 2? "ti DEL l CSI bake"
                                                 : names [i]);
        CHECK (c && !served, what);
        if (served)
            printf ("  served as node '%s'\n", reply->pong->node);
        frame_free (&reply);
        hclient_destroy (&c);
    }
    //  A good name with an expiry date carrying controls: refused, and
    //  the date is not echoed into the log.
    zcert_t *cert = zcert_new ();
    zcert_set_meta (cert, "name", "ugyldig-dato");
    zcert_set_meta (cert, "agency", "police_risk");
    zcert_set_meta (cert, "role", "team");
    zcert_set_meta (cert, "expires", "2027-01-01\x1b[2J");
    char path [600];
    snprintf (path, sizeof path, "%s/nodes/ugyldig-dato.cert", h->dir);
    int rc = zcert_save (cert, path);
    snprintf (path, sizeof path, "%s/enrolled/ugyldig-dato.cert", h->dir);
    rc |= zcert_save_public (cert, path);
    zcert_destroy (&cert);
    hclient_t *c = rc? NULL: hclient_new (h, "ugyldig-dato");
    Samhand__V1__Frame *reply = c? s_ask (c, SAMHAND__V1__FRAME__COMMAND_PING): NULL;
    CHECK (c && !(reply && reply->command_case == SAMHAND__V1__FRAME__COMMAND_PONG),
           "node names: a certificate whose expiry date carries controls is not taken either");
    frame_free (&reply);
    hclient_destroy (&c);
    char log [600];
    snprintf (log, sizeof log, "%s/samhandd.log", h->dir);
    FILE *f = fopen (log, "r");
    bool esc = false;
    for (int ch; f && (ch = fgetc (f)) != EOF; )
        esc = esc || ch == 0x1b;
    if (f)
        fclose (f);
    CHECK (f && !esc, "node names: no terminal control reaches the broker's log");
}

int
main (void)
{
    harness_t *h = harness_new (NULL);
    if (!h || harness_start (h)) {
        CHECK (false, "zapmeta: broker starts");
        harness_destroy (&h);
        return TEST_DONE ();
    }
    hclient_t *liar = s_claiming (h, "vakt", "X-Samhand-Key:previous");
    Samhand__V1__Frame *pong = liar? s_ask (liar, SAMHAND__V1__FRAME__COMMAND_PING): NULL;
    CHECK (pong && pong->command_case == SAMHAND__V1__FRAME__COMMAND_PONG,
           "zapmeta: a client sending X-Samhand-Key: previous itself is served (on the current key)");
    frame_free (&pong);
    Samhand__V1__Frame *sub = liar? hclient_subscribe (liar, 5000): NULL;
    CHECK (sub != NULL, "zapmeta: ... and subscribes");
    frame_free (&sub);

    hclient_t *admin = hclient_new (h, "admin");
    Samhand__V1__Frame *status = admin? s_ask (admin, 0): NULL;
    const Samhand__V1__BrokerNode *vakt = NULL;
    if (status && status->command_case == SAMHAND__V1__FRAME__COMMAND_BROKER_STATUS)
        for (size_t i = 0; i < status->broker_status->n_nodes; i++)
            if (streq (status->broker_status->nodes [i]->node, "vakt"))
                vakt = status->broker_status->nodes [i];
    CHECK (vakt && vakt->connected && vakt->last_seen_ms > 0, "zapmeta: admin status lists vakt, connected");
    CHECK (vakt && vakt->previous_key_seen_ms == 0 && !vakt->previous_key_session,
           "zapmeta: vakt's own claim does not put it on the previous key (ZAP's property wins)");
    CHECK (status && status->command_case == SAMHAND__V1__FRAME__COMMAND_BROKER_STATUS
           && status->broker_status->previous_key_until_ms == 0 && !status->broker_status->previous_key_open,
           "zapmeta: no key rotation configured: no previous key in the status");
    frame_free (&status);
    hclient_destroy (&admin);
    hclient_destroy (&liar);
    s_bad_names (h);
    harness_destroy (&h);
    return TEST_DONE ();
}
