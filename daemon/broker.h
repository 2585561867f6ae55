/*  broker — samhandd's engine. One cycle: read a batch of frames, validate,
    authorise, decide, commit in one transaction, reply, then deliver.

    The broker owns its transport, store, keys and audit log. broker_run
    returns when interrupted (SIGINT/SIGTERM via zsys_interrupted) after it
    has finished the open transaction and signed the audit head.          */
#ifndef SAMHAND_BROKER_H
#define SAMHAND_BROKER_H

#include "config.h"

typedef struct _broker_t broker_t;

//  Opens keys, store and socket as the config says. NULL on failure (the
//  reason is logged).
broker_t *broker_new (config_t *config);
void broker_destroy (broker_t **self_p);

//  Runs until interrupted. Returns 0 on a clean stop.
int broker_run (broker_t *self);

#endif
