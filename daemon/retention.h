/*  retention — purges personal data whose retention period has ended,
    in the cycle's transaction.                                          */
#ifndef SAMHAND_RETENTION_H
#define SAMHAND_RETENTION_H

#include "handler.h"

//  Purges expired personal data; returns how many messages.
int retention_run (handler_ctx_t *self);

#endif
