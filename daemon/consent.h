/*  consent — the consent registry's commands: grant, withdraw, list; and
    what a consent's end or withdrawal does to outstanding deliveries.   */
#ifndef SAMHAND_CONSENT_H
#define SAMHAND_CONSENT_H

#include "handler.h"

//  ConsentGrant, ConsentWithdraw and ConsentQuery (a handler_fn).
void consent_handle (handler_ctx_t *self, zframe_t *routing_id, const node_t *node,
                     const Samhand__V1__Frame *frame);

//  At start: assessors an older samhandd kept in clear are sealed; and
//  consents stored before their recording agency was take the
//  agency their recording node has now (what decided who saw them until
//  then), once; a node no longer enrolled gives none (the agencies named
//  only). 0 or -1 (logged).
int consent_start (handler_ctx_t *self);

//  The stored timer that fires when a consent's period ends (key: its id).
#define CONSENT_TIMER "consent_end"

//  A consent's period has ended: decides its subject's outstanding
//  deliveries again and sends the notices, as a withdrawal does. Returns
//  how many were decided again.
int consent_expired (handler_ctx_t *self, const char *consent_id);

//  Before an IDENTIFIED delivery on a consent goes out: is the consent
//  still in force? 0 yes (unchanged); 1 decided again now, d updated to
//  the new (narrower) decision; 2 do not send it: withheld now;
//  CONSENT_RECHECK_LATER do not send it now: the check could not be made
//  (out of memory, or its write failed and the batch with it), so the
//  caller tries again later — it is not withheld, and must not wait for
//  the node's next traffic.
#define CONSENT_RECHECK_LATER (-1)
int consent_recheck (handler_ctx_t *self, store_delivery_t *d, const char *node);

#endif
