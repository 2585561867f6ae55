/*  health — the broker's state for operators (no personal data): the
    snapshot behind /metrics and the admin's BrokerStatus.               */
#ifndef SAMHAND_HEALTH_H
#define SAMHAND_HEALTH_H

#include "handler.h"

//  Fills SNAP; *NODES_P gets the node list (caller frees). 0, or -1 when
//  the store could not be read (then nothing is to be freed).
int health_snapshot (handler_ctx_t *self, metrics_snapshot_t *snap, metrics_node_t **nodes_p);

//  metrics_render_fn; ARG is the handler_ctx_t.
char *health_render (void *arg);

//  BrokerStatusQuery (a handler_fn), admins only.
void health_status_handle (handler_ctx_t *self, zframe_t *routing_id, const node_t *node,
                           const Samhand__V1__Frame *frame);

#endif
