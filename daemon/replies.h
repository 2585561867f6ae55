/*  replies — the cycle's answers, held until the cycle's commit.

    A handler queues its answer instead of sending it: an acknowledgement
    may go out only once what it acknowledges is on disk. After the commit
    the broker sends the whole queue in order (replies_send); if the
    commit failed it first turns every answer that needed the commit into
    an error (replies_fail), so nothing of a lost batch is acknowledged.
    Answers that need no commit (refusals, queries that wrote nothing)
    go out either way.

    The queue owns every reply's data and its copy of the routing id.   */
#ifndef SAMHAND_REPLIES_H
#define SAMHAND_REPLIES_H

#include <czmq.h>
#include "samhand.pb-c.h"
#include "transport.h"

typedef struct _replies_t replies_t;

//  An empty queue; NULL when out of memory.
replies_t *replies_new (void);
void replies_destroy (replies_t **self_p);

//  Queues DATA (SIZE bytes, a packed Frame) for ROUTING_ID. Takes
//  ownership of DATA, which may be NULL (a failed encode: logged, nothing
//  queued); copies the routing id. NEEDS_COMMIT: an acknowledgement that
//  must not go out if the commit fails; REQUEST_ID answers it then.
void replies_add (replies_t *self, zframe_t *routing_id, uint8_t *data, size_t size,
                  bool needs_commit, uint64_t request_id);

//  Queues a push the broker sends on its own (request_id 0: a StatusReport
//  to a sender) that tells of this cycle's writes: it goes out only if
//  the commit holds. If the commit fails it is dropped, not made an
//  error: no request of that connection waits for it, and the change
//  that failed comes again with its push. Takes ownership of DATA.
void replies_push (replies_t *self, zframe_t *routing_id, uint8_t *data, size_t size);

//  How a reply queued with replies_add_watched ended: handed to its
//  connection; committed but not taken by the connection (gone, pipe
//  full): what it disclosed was never seen; or its batch was not
//  committed (it became an error) or the queue was destroyed: nothing of
//  it is on record.
typedef enum { REPLY_SENT, REPLY_NOT_SENT, REPLY_NOT_COMMITTED } reply_outcome_t;
//  Told once how the reply ended; owns TAG and frees it.
typedef void (reply_watch_fn) (void *tag, reply_outcome_t outcome);

//  As replies_add with NEEDS_COMMIT, for an answer whose committed records
//  say it was handed over (an inbox answer's "shown"): FN is called once
//  with TAG when the reply leaves the queue, so a refused send can be put
//  on record. 0, or -1 when nothing could be queued (DATA NULL or out of
//  memory; DATA is freed, FN not called, TAG still the caller's): the
//  caller must then fail the batch, or its records would say it went out.
int replies_add_watched (replies_t *self, zframe_t *routing_id, uint8_t *data, size_t size,
                         uint64_t request_id, reply_watch_fn *fn, void *tag);

//  Queues nothing to send unless this cycle's commit fails: then an Error
//  INTERNAL with REQUEST_ID (for requests that are answered only on
//  failure, such as a Receipt). 0, or -1 when out of memory: the caller
//  must then fail the batch, so that its acks become errors.
int replies_if_failed (replies_t *self, zframe_t *routing_id, uint64_t request_id);

//  Queues an Error frame (never needs the commit).
void replies_error (replies_t *self, zframe_t *routing_id, uint64_t request_id,
                    int code, const char *text, const ProtobufCBinaryData *message_id);

//  The commit failed: every queued reply that needed it becomes an error
//  for its request (STORE_FULL when DISK_FULL, else INTERNAL); a push
//  (replies_push) is dropped.
void replies_fail (replies_t *self, bool disk_full);

//  Sends every queued reply in order through TRANSPORT and empties the
//  queue. A reply that cannot be sent is logged and dropped: the client
//  retries its request (a watched one tells its watcher first).
void replies_send (replies_t *self, transport_t *transport);

//  Number of queued replies.
size_t replies_size (replies_t *self);

#endif
