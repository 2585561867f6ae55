/*  notice — messages the broker itself sends: consent notices now, and the
    workflow's alerts. A notice is stored like any message (sealed, with
    outbox entries per node) so it is as durable as a submit and follows
    the same delivery, receipts and redelivery.                           */
#ifndef SAMHAND_NOTICE_H
#define SAMHAND_NOTICE_H

#include "broker_internal.h"

//  Posts TEMPLATE (kind CONSENT_NOTICE or ALERT, body set) to every node of
//  the agencies in AGENCIES (bitmask) whose subscription takes the kind,
//  or to the single node ONLY_NODE when not NULL. Runs in the open
//  transaction. Returns the number of outbox entries, or -1.
int notice_post (broker_t *self, Samhand__V1__Deliver *template_, uint32_t agencies,
                 const char *only_node, const uint8_t *subject_key,
                 const char *rule, const char *basis, const char *reason);

#endif
