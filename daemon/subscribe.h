/*  subscribe — the session commands: Subscribe (which connection is a
    node's delivery session, and what it subscribes to), Receipt and Ping.
    Each is a handler_fn (handler.h).                                    */
#ifndef SAMHAND_SUBSCRIBE_H
#define SAMHAND_SUBSCRIBE_H

#include "handler.h"

void subscribe_handle (handler_ctx_t *self, zframe_t *routing_id, const node_t *node,
                       const Samhand__V1__Frame *frame);
void receipt_handle (handler_ctx_t *self, zframe_t *routing_id, const node_t *node,
                     const Samhand__V1__Frame *frame);
void ping_handle (handler_ctx_t *self, zframe_t *routing_id, const node_t *node,
                  const Samhand__V1__Frame *frame);

#endif
