/*  workflow — stored deadlines: escalation, expiry, reminders. Runs in
    the cycle's transaction.                                             */
#ifndef SAMHAND_WORKFLOW_H
#define SAMHAND_WORKFLOW_H

#include "handler.h"

//  A message was stored: sets its stored timers (escalation, expiry,
//  reminders). 0, or non-zero (the batch must fail).
int workflow_submitted (handler_ctx_t *self, int64_t message, const uint8_t message_id [16],
                        const Samhand__V1__Submit *submit, const uint8_t *subject_key);

//  Fires the due timers and expiries.
void workflow_tick (handler_ctx_t *self);

//  D could not be delivered to NODE after its attempts: a dead letter,
//  audited; its sender is told.
void workflow_dead_letter (handler_ctx_t *self, const store_delivery_t *d, const char *node);

#endif
