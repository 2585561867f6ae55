/*  sessions — each node's delivery session. See sessions.h.             */
#include "sessions.h"
#include "frame.h"

struct _sessions_t {
    zhashx_t *table;          //  node name -> session_t
};

static void
s_session_free (void **item)
{
    session_t *session = (session_t *) *item;
    if (session) {
        zframe_destroy (&session->routing_id);
        free (session);
        *item = NULL;
    }
}

sessions_t *
sessions_new (void)
{
    sessions_t *self = (sessions_t *) zmalloc (sizeof (sessions_t));
    if (!self)
        return NULL;
    self->table = zhashx_new ();
    if (!self->table) {
        free (self);
        return NULL;
    }
    zhashx_set_destructor (self->table, s_session_free);
    return self;
}

void
sessions_destroy (sessions_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    sessions_t *self = *self_p;
    zhashx_destroy (&self->table);
    free (self);
    *self_p = NULL;
}

session_t *
sessions_get (sessions_t *self, const char *node)
{
    assert (self && node);
    session_t *session = (session_t *) zhashx_lookup (self->table, node);
    if (!session) {
        session = (session_t *) zmalloc (sizeof (session_t));
        if (!session)
            return NULL;
        snprintf (session->node, sizeof session->node, "%s", node);
        zhashx_insert (self->table, node, session);
    }
    return session;
}

session_t *
sessions_lookup (sessions_t *self, const char *node)
{
    assert (self && node);
    return (session_t *) zhashx_lookup (self->table, node);
}

session_t *
sessions_first (sessions_t *self)
{
    assert (self);
    return (session_t *) zhashx_first (self->table);
}

session_t *
sessions_next (sessions_t *self)
{
    assert (self);
    return (session_t *) zhashx_next (self->table);
}

session_t *
sessions_subscription (sessions_t *self, const node_t *node, store_t *store,
                       const config_t *config)
{
    assert (self && node && store && config);
    session_t *session = sessions_get (self, node->name);
    if (!session || session->sub_loaded)
        return session;
    int found = store_subscription_get (store, node->name, &session->sub_kinds,
                                        &session->sub_min_urgency, &session->sub_min_level);
    if (found < 0)
        return NULL;
    if (found == 0) {
        session->sub_kinds = config->role_subscriptions [node->role];
        session->sub_min_urgency = 0;
        session->sub_min_level = 0;
    }
    session->sub_loaded = true;
    return session;
}

void
sessions_forget_subscriptions (sessions_t *self)
{
    assert (self);
    session_t *session = sessions_first (self);
    for (; session; session = sessions_next (self))
        session->sub_loaded = false;
}

static void
s_count_outstanding (const char *node, int count, void *arg)
{
    session_t *session = sessions_get ((sessions_t *) arg, node);
    if (session)
        session->outstanding = count;
}

int
sessions_recount (sessions_t *self, store_t *store)
{
    assert (self && store);
    session_t *session = sessions_first (self);
    for (; session; session = sessions_next (self))
        session->outstanding = 0;
    return store_outbox_counts (store, s_count_outstanding, self);
}

void
session_end (session_t *session, transport_t *transport, int code, const char *text)
{
    assert (session && transport);
    if (!session->routing_id)
        return;
    size_t size;
    uint8_t *data = frame_encode_error (0, code, text, NULL, &size);
    if (!data || transport_send (transport, session->routing_id, data, size))
        zsys_info ("broker: %s: the old session could not be told (already gone)", session->node);
    free (data);
    zframe_destroy (&session->routing_id);
}
