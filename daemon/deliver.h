/*  deliver — turns outbox entries into Deliver frames for a connected
    node, within its in-flight window. Called by the broker after the
    cycle's commit, in a transaction of its own; the frames go out only
    once that transaction has committed (deliver_flush).                 */
#ifndef SAMHAND_DELIVER_H
#define SAMHAND_DELIVER_H

#include "handler.h"

//  Prepares what SESSION's node may receive within its window: marks the
//  entries sent and writes their "delivered" records in the open
//  transaction, and queues the frames on self->outgoing. deliver_flush
//  sends them once that transaction has committed (COMMITTED true), or
//  drops them (false: the entries are pending again after the rollback).
void deliver_pump (handler_ctx_t *self, session_t *session);
void deliver_flush (handler_ctx_t *self, bool committed);

//  Destructor of an item of self->outgoing (the broker's list).
void deliver_outgoing_free (void **item);

//  The packed Deliver frame of one outbox entry (view built now); caller
//  frees. NULL on failure.
uint8_t *deliver_build (handler_ctx_t *self, const store_delivery_t *d, size_t *size);

#endif
