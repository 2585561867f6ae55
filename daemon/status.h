/*  status — message status for senders, inboxes, dead letters.          */
#ifndef SAMHAND_STATUS_H
#define SAMHAND_STATUS_H

#include "handler.h"

//  Pushes the new status of DELIVERY_ID's message to its sender's
//  session, if connected, unless the sender may not see that entry
//  (policy_hidden_from_sender): its report leaves such entries out.
void status_push (handler_ctx_t *self, int64_t delivery_id);

//  The state (OUTBOX_*) of delivery DELIVERY_ID if it is NODE's, else -1.
int status_delivery_state (handler_ctx_t *self, int64_t delivery_id, const char *node);

//  The recipient agency of delivery DELIVERY_ID, or -1.
int status_delivery_agency (handler_ctx_t *self, int64_t delivery_id);

//  StatusQuery, InboxQuery and AdminCommand (dead letters): handler_fn.
void status_handle (handler_ctx_t *self, zframe_t *routing_id, const node_t *node,
                    const Samhand__V1__Frame *frame);
void inbox_handle (handler_ctx_t *self, zframe_t *routing_id, const node_t *node,
                   const Samhand__V1__Frame *frame);
void dead_letters_handle (handler_ctx_t *self, zframe_t *routing_id, const node_t *node,
                          const Samhand__V1__Frame *frame);

#endif
