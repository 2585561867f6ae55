/*  replies — the cycle's answers, held until the commit. See replies.h.  */
#include "replies.h"
#include "frame.h"

typedef struct {
    zframe_t *routing_id;
    uint8_t  *data;           //  NULL once replies_fail could not encode its error
    size_t    size;
    bool      needs_commit;   //  an ack that must not go out if the commit fails
    bool      push;           //  no request: dropped if the commit fails
    uint64_t  request_id;
    reply_watch_fn *watch;    //  told how it ended (replies_add_watched)
    void     *tag;
} reply_t;

//  Tells a watched reply's watcher how it ended, once.
static void
s_reply_ended (reply_t *reply, reply_outcome_t outcome)
{
    if (reply->watch) {
        reply->watch (reply->tag, outcome);
        reply->watch = NULL;
        reply->tag = NULL;
    }
}

struct _replies_t {
    zlistx_t *queue;          //  reply_t, in the order they were queued
};

static void
s_reply_free (void **item)
{
    reply_t *reply = (reply_t *) *item;
    if (reply) {
        s_reply_ended (reply, REPLY_NOT_COMMITTED);
        zframe_destroy (&reply->routing_id);
        free (reply->data);
        free (reply);
        *item = NULL;
    }
}

replies_t *
replies_new (void)
{
    replies_t *self = (replies_t *) zmalloc (sizeof (replies_t));
    if (!self)
        return NULL;
    self->queue = zlistx_new ();
    if (!self->queue) {
        free (self);
        return NULL;
    }
    zlistx_set_destructor (self->queue, s_reply_free);
    return self;
}

void
replies_destroy (replies_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    replies_t *self = *self_p;
    zlistx_destroy (&self->queue);
    free (self);
    *self_p = NULL;
}

void
replies_add (replies_t *self, zframe_t *routing_id, uint8_t *data, size_t size,
             bool needs_commit, uint64_t request_id)
{
    assert (self);
    reply_t *reply = (reply_t *) zmalloc (sizeof (reply_t));
    if (!reply || !data) {
        zsys_error ("broker: out of memory queueing a reply");
        free (reply);
        free (data);
        return;
    }
    reply->routing_id = zframe_dup (routing_id);
    reply->data = data;
    reply->size = size;
    reply->needs_commit = needs_commit;
    reply->request_id = request_id;
    zlistx_add_end (self->queue, reply);
}

void
replies_push (replies_t *self, zframe_t *routing_id, uint8_t *data, size_t size)
{
    assert (self);
    size_t before = zlistx_size (self->queue);
    replies_add (self, routing_id, data, size, true, 0);
    if (zlistx_size (self->queue) > before)
        ((reply_t *) zlistx_last (self->queue))->push = true;
}

int
replies_add_watched (replies_t *self, zframe_t *routing_id, uint8_t *data, size_t size,
                     uint64_t request_id, reply_watch_fn *fn, void *tag)
{
    assert (self && fn);
    size_t before = zlistx_size (self->queue);
    replies_add (self, routing_id, data, size, true, request_id);
    if (zlistx_size (self->queue) == before)
        return -1;
    reply_t *reply = (reply_t *) zlistx_last (self->queue);
    reply->watch = fn;
    reply->tag = tag;
    return 0;
}

int
replies_if_failed (replies_t *self, zframe_t *routing_id, uint64_t request_id)
{
    assert (self);
    reply_t *reply = (reply_t *) zmalloc (sizeof (reply_t));
    if (!reply) {
        zsys_error ("broker: out of memory queueing a reply");
        return -1;
    }
    reply->routing_id = zframe_dup (routing_id);
    reply->needs_commit = true;          //  data NULL: nothing is sent unless replies_fail
    reply->request_id = request_id;
    zlistx_add_end (self->queue, reply);
    return 0;
}

void
replies_error (replies_t *self, zframe_t *routing_id, uint64_t request_id, int code,
               const char *text, const ProtobufCBinaryData *message_id)
{
    size_t size;
    uint8_t *data = frame_encode_error (request_id, code, text, message_id, &size);
    replies_add (self, routing_id, data, size, false, request_id);
}

void
replies_fail (replies_t *self, bool disk_full)
{
    assert (self);
    reply_t *reply = (reply_t *) zlistx_first (self->queue);
    for (; reply; reply = (reply_t *) zlistx_next (self->queue)) {
        if (!reply->needs_commit)
            continue;
        s_reply_ended (reply, REPLY_NOT_COMMITTED);
        free (reply->data);
        reply->data = NULL;
        if (reply->push)
            continue;           //  told of what was not stored: nothing to send
        reply->data = disk_full
            ? frame_encode_error (reply->request_id, SAMHAND__V1__ERROR_CODE__STORE_FULL,
                                  "the broker's disk is full: nothing was stored; retry later",
                                  NULL, &reply->size)
            : frame_encode_error (reply->request_id, SAMHAND__V1__ERROR_CODE__INTERNAL,
                                  "the broker could not store this: retry",
                                  NULL, &reply->size);
    }
}

void
replies_send (replies_t *self, transport_t *transport)
{
    assert (self && transport);
    reply_t *reply = (reply_t *) zlistx_first (self->queue);
    for (; reply; reply = (reply_t *) zlistx_next (self->queue)) {
        if (!reply->data)
            continue;
        if (transport_send (transport, reply->routing_id, reply->data, reply->size) == 0) {
            s_reply_ended (reply, REPLY_SENT);
            continue;
        }
        zsys_warning ("broker: reply not sent (%s): the client will retry",
                      zmq_strerror (zmq_errno ()));
        s_reply_ended (reply, REPLY_NOT_SENT);
    }
    zlistx_purge (self->queue);
}

size_t
replies_size (replies_t *self)
{
    assert (self);
    return zlistx_size (self->queue);
}
