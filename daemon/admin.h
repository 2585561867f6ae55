/*  admin — audit queries for admin nodes.                               */
#ifndef SAMHAND_ADMIN_H
#define SAMHAND_ADMIN_H

#include "handler.h"

//  AuditQuery (a handler_fn).
void admin_handle (handler_ctx_t *self, zframe_t *routing_id, const node_t *node,
                   const Samhand__V1__Frame *frame);

//  The detail of a duty-to-avert review record: reason, then the claim
//  (decision-maker, justification, statute) sealed under the data key, in
//  hex. Only `audit reviews` opens it. Caller frees; NULL on failure.
char *admin_review_detail (handler_ctx_t *self, const uint8_t message_id [16],
                           const char *reason, const Samhand__V1__LegalClaim *claim);

#endif
