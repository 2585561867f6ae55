/*  notice — messages the broker itself sends: consent notices now, and the
    workflow's alerts. A notice is stored like any message (sealed, with
    outbox entries per node) so it is as durable as a submit and follows
    the same delivery, receipts and redelivery.                           */
#ifndef SAMHAND_NOTICE_H
#define SAMHAND_NOTICE_H

#include "handler.h"

//  Who a notice goes to: every node of AGENCIES (bitmask) with a role in
//  ROLES (bitmask, 0 = any) whose subscription takes the kind, plus the
//  single node ONLY_NODE when not NULL (which alone, when agencies is 0).
typedef struct {
    uint32_t agencies;
    uint32_t roles;
    const char *only_node;
} notice_to_t;

//  Posts TEMPLATE (kind CONSENT_NOTICE or ALERT, body set). Runs in the
//  open transaction. Returns the number of outbox entries, or -1.
MUST_CHECK int notice_post (handler_ctx_t *self, Samhand__V1__Deliver *template_, notice_to_t to,
                 const uint8_t *subject_key, const char *rule, const char *basis,
                 const char *reason);

//  Posts an ALERT of TYPE with TEXT about MESSAGE_ID (may be NULL), under
//  the rule SAME-AGENCY (alerts stay within the agency they concern).
MUST_CHECK int notice_alert (handler_ctx_t *self, const char *type, const uint8_t *message_id,
                  const char *case_ref, const char *text, bool acute, notice_to_t to,
                  const uint8_t *subject_key);

//  The same, naming another rule and basis (an escalation to a recipient
//  of the message, in another agency).
MUST_CHECK int notice_alert_as (handler_ctx_t *self, const char *rule, const char *basis, const char *type,
                     const uint8_t *message_id, const char *case_ref, const char *text,
                     bool acute, notice_to_t to, const uint8_t *subject_key);

#endif
