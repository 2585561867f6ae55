/*  offline — samhandd's maintenance commands, run on the store while the
    broker is stopped (or, for verification, read-only beside it).       */
#ifndef SAMHAND_OFFLINE_H
#define SAMHAND_OFFLINE_H

#include "config.h"

//  Each returns the process exit code and prints what it did.
//  WITNESS (may be NULL) is a file holding a signed head seen outside the
//  store: an admin node's NODE.audit_head, or the broker's log (the head
//  with the highest record number in it is used).
int offline_verify_audit (config_t *config, const char *witness);
int offline_rotate_key (config_t *config);
int offline_reencrypt (config_t *config);

#endif
