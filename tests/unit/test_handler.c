/*  test_handler — the command table (handler.c) against the codec's idea
    of which commands a client may send, and the sessions table.
    The table is checked over every command of the Frame oneof, read from
    the generated descriptor, so a command added to the protocol without
    a row (or a row for a broker-only frame) fails here.                 */
#include "handler.h"
#include "testlib.h"

//  A Frame whose oneof is FIELD, with an all-default body. Caller frees
//  the body.
static void *
s_frame_with (Samhand__V1__Frame *frame, const ProtobufCFieldDescriptor *field)
{
    samhand__v1__frame__init (frame);
    frame->version = FRAME_VERSION;
    const ProtobufCMessageDescriptor *desc = (const ProtobufCMessageDescriptor *) field->descriptor;
    void *body = calloc (1, desc->sizeof_message);
    assert (body);
    protobuf_c_message_init (desc, body);
    *(uint32_t *) ((uint8_t *) frame + field->quantifier_offset) = field->id;
    *(void **) ((uint8_t *) frame + field->offset) = body;
    return body;
}

static void
s_test_table (void)
{
    const ProtobufCMessageDescriptor *desc = &samhand__v1__frame__descriptor;
    int commands = 0, client = 0, mismatched = 0;
    for (unsigned i = 0; i < desc->n_fields; i++) {
        const ProtobufCFieldDescriptor *field = &desc->fields [i];
        if (!(field->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) || field->type != PROTOBUF_C_TYPE_MESSAGE)
            continue;
        commands++;
        Samhand__V1__Frame frame;
        void *body = s_frame_with (&frame, field);
        frame_error_t err;
        //  Refused as a broker's frame, or refused later (a missing field)
        //  or accepted: only the first may lack a handler.
        bool to_broker = frame_validate (&frame, &err) == 0
                      || err.code != SAMHAND__V1__ERROR_CODE__UNEXPECTED_COMMAND;
        bool handled = handler_for ((Samhand__V1__Frame__CommandCase) field->id) != NULL;
        if (to_broker != handled) {
            printf ("  command %s: %s by the codec, %s\n", field->name,
                    to_broker? "taken": "refused", handled? "has a handler": "has none");
            mismatched++;
        }
        client += to_broker;
        free (body);
    }
    CHECK (commands > 20 && client >= 14, "handler table: the Frame oneof was enumerated");
    CHECK (mismatched == 0, "handler table: every command a client may send has a handler,"
                            " and no broker frame has one");
    CHECK (handler_for (SAMHAND__V1__FRAME__COMMAND__NOT_SET) == NULL,
           "handler table: a frame without a command has no handler");
}

static void
s_test_sessions (const char *dir)
{
    sessions_t *sessions = sessions_new ();
    CHECK (sessions && sessions_first (sessions) == NULL, "sessions: a new table is empty");
    CHECK (sessions_lookup (sessions, "vakt-ks") == NULL, "sessions: lookup makes nothing");
    session_t *a = sessions_get (sessions, "vakt-ks");
    CHECK (a && streq (a->node, "vakt-ks") && !a->routing_id && !a->sub_loaded,
           "sessions: get makes an unconnected session");
    CHECK (sessions_get (sessions, "vakt-ks") == a && sessions_lookup (sessions, "vakt-ks") == a,
           "sessions: one session per node");
    session_t *b = sessions_get (sessions, "koord-rc");
    int seen = 0;
    for (session_t *s = sessions_first (sessions); s; s = sessions_next (sessions))
        seen += s == a || s == b;
    CHECK (seen == 2, "sessions: iteration visits each session once");

    //  The subscription cache over a real store: the role's default when
    //  nothing is stored, cached until forgotten, then the stored one.
    char path [300];
    snprintf (path, sizeof path, "%s/store.db", dir);
    store_t *store = store_new (path);
    config_t *config = (config_t *) zmalloc (sizeof (config_t));
    assert (store && config);
    node_t node = { .name = "vakt-ks", .agency = 4, .role = POLICY_ROLE_DUTY_OPERATOR };
    config->role_subscriptions [node.role] = 0x6;
    session_t *s = sessions_subscription (sessions, &node, store, config);
    CHECK (s == a && s->sub_loaded && s->sub_kinds == 0x6 && s->sub_min_urgency == 0,
           "sessions: the role's default subscription when none is stored");
    int rc = store_begin (store);
    rc |= store_subscription_set (store, "vakt-ks", 0x2, 1, 2);
    rc |= store_commit (store);
    CHECK (rc == 0, "sessions: a subscription is stored");
    s = sessions_subscription (sessions, &node, store, config);
    CHECK (s->sub_kinds == 0x6, "sessions: the loaded subscription is cached");
    sessions_forget_subscriptions (sessions);
    CHECK (!a->sub_loaded && !b->sub_loaded, "sessions: forget marks every session unloaded");
    s = sessions_subscription (sessions, &node, store, config);
    CHECK (s->sub_kinds == 0x2 && s->sub_min_urgency == 1 && s->sub_min_level == 2,
           "sessions: after forgetting, the stored subscription is read");

    a->outstanding = 5;
    b->outstanding = 3;
    CHECK (sessions_recount (sessions, store) == 0 && a->outstanding == 0 && b->outstanding == 0,
           "sessions: recount from an empty outbox clears every count");
    store_destroy (&store);
    free (config);
    sessions_destroy (&sessions);
    CHECK (sessions == NULL, "sessions: destroy nulls the pointer");
}

//  The last outcome a watched reply was told of, and how many times.
static int s_outcome = -1, s_told;

static void
s_watch (void *tag, reply_outcome_t outcome)
{
    s_outcome = (int) outcome;
    s_told++;
    free (tag);
}

static void
s_test_replies (void)
{
    replies_t *replies = replies_new ();
    zframe_t *routing_id = zframe_new ("peer", 4);
    assert (replies && routing_id);
    size_t size;
    uint8_t *data = frame_encode_error (7, SAMHAND__V1__ERROR_CODE__NOT_FOUND, "x", NULL, &size);
    replies_add (replies, routing_id, data, size, true, 7);
    replies_error (replies, routing_id, 8, SAMHAND__V1__ERROR_CODE__INTERNAL, "y", NULL);
    replies_add (replies, routing_id, NULL, 0, false, 9);
    CHECK (replies_size (replies) == 2, "replies: queued in order; a failed encode queues nothing");
    CHECK (replies_if_failed (replies, routing_id, 10) == 0 && replies_size (replies) == 3,
           "replies: an answer only on failure (a receipt) is queued as a placeholder");
    data = frame_encode_error (11, SAMHAND__V1__ERROR_CODE__NOT_FOUND, "x", NULL, &size);
    CHECK (replies_add_watched (replies, routing_id, data, size, 11, s_watch, malloc (1)) == 0
        && replies_size (replies) == 4 && s_told == 0,
           "replies: a watched answer is queued, its watcher not told yet");
    CHECK (replies_add_watched (replies, routing_id, NULL, 0, 12, s_watch, NULL) == -1
        && replies_size (replies) == 4 && s_told == 0,
           "replies: a watched answer that cannot be queued says so, its watcher not called");
    data = frame_encode_error (0, SAMHAND__V1__ERROR_CODE__NOT_FOUND, "x", NULL, &size);
    replies_push (replies, routing_id, data, size);
    CHECK (replies_size (replies) == 5, "replies: a push is queued");
    replies_fail (replies, false);
    CHECK (replies_size (replies) == 5, "replies: a failed commit keeps every reply (as errors)");
    CHECK (s_told == 1 && s_outcome == REPLY_NOT_COMMITTED,
           "replies: a failed commit tells a watched answer's watcher, once");
    data = frame_encode_error (13, SAMHAND__V1__ERROR_CODE__NOT_FOUND, "x", NULL, &size);
    replies_add_watched (replies, routing_id, data, size, 13, s_watch, malloc (1));
    zframe_destroy (&routing_id);
    replies_destroy (&replies);
    CHECK (replies == NULL, "replies: destroy nulls the pointer (and frees what it held)");
    CHECK (s_told == 2 && s_outcome == REPLY_NOT_COMMITTED,
           "replies: destroying the queue tells a watcher still waiting");
}

int
main (void)
{
    char dir [] = "/tmp/test_handler.XXXXXX";
    assert (mkdtemp (dir));
    s_test_table ();
    s_test_sessions (dir);
    s_test_replies ();
    char cmd [100];
    snprintf (cmd, sizeof cmd, "rm -rf %s", dir);
    if (system (cmd))
        printf ("  could not remove %s\n", dir);
    return TEST_DONE ();
}
