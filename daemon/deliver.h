/*  deliver — turns outbox entries into Deliver frames for a connected
    node, within its in-flight window. Called by the broker after the
    cycle's commit, in a transaction of its own.                         */
#ifndef SAMHAND_DELIVER_H
#define SAMHAND_DELIVER_H

#include "handler.h"

//  Sends what SESSION's node may receive within its window.
void deliver_pump (handler_ctx_t *self, session_t *session);

//  The packed Deliver frame of one outbox entry (view built now); caller
//  frees. NULL on failure.
uint8_t *deliver_build (handler_ctx_t *self, const store_delivery_t *d, size_t *size);

#endif
