/*  handler — the command table and the context's helpers. See handler.h.
    Adding a command means one row here and a handler_fn in its module;
    broker.c does not change.                                            */
#include "handler.h"
#include "admin.h"
#include "consent.h"
#include "health.h"
#include "plan.h"
#include "status.h"
#include "submit.h"
#include "subscribe.h"

typedef struct {
    Samhand__V1__Frame__CommandCase command;
    handler_fn *fn;
} handler_entry_t;

//  Every command a client may send. Replies (Pong, SubmitResult, ...)
//  and Error are the broker's own and have no row: frame_decode refuses
//  them, and a command without a row is dropped unanswered if it ever
//  got through.
static const handler_entry_t s_table [] = {
    { SAMHAND__V1__FRAME__COMMAND_SUBMIT,              submit_handle },
    { SAMHAND__V1__FRAME__COMMAND_RECEIPT,             receipt_handle },
    { SAMHAND__V1__FRAME__COMMAND_SUBSCRIBE,           subscribe_handle },
    { SAMHAND__V1__FRAME__COMMAND_PING,                ping_handle },
    { SAMHAND__V1__FRAME__COMMAND_CONSENT_GRANT,       consent_handle },
    { SAMHAND__V1__FRAME__COMMAND_CONSENT_WITHDRAW,    consent_handle },
    { SAMHAND__V1__FRAME__COMMAND_CONSENT_QUERY,       consent_handle },
    { SAMHAND__V1__FRAME__COMMAND_AUDIT_QUERY,         admin_handle },
    { SAMHAND__V1__FRAME__COMMAND_STATUS_QUERY,        status_handle },
    { SAMHAND__V1__FRAME__COMMAND_INBOX_QUERY,         inbox_handle },
    { SAMHAND__V1__FRAME__COMMAND_ADMIN_COMMAND,       dead_letters_handle },
    { SAMHAND__V1__FRAME__COMMAND_BROKER_STATUS_QUERY, health_status_handle },
    { SAMHAND__V1__FRAME__COMMAND_PLAN_QUERY,          plan_handle },
    { SAMHAND__V1__FRAME__COMMAND_PLAN_EVALUATE,       plan_handle },
};

handler_fn *
handler_for (Samhand__V1__Frame__CommandCase command)
{
    for (size_t i = 0; i < sizeof s_table / sizeof s_table [0]; i++)
        if (s_table [i].command == command)
            return s_table [i].fn;
    return NULL;
}

int
handler_audit (handler_ctx_t *self, const char *event, const uint8_t *message_id,
               const char *sender, const char *detail)
{
    assert (self && event);
    audit_record_t record = { .event = event, .message_id = message_id,
                              .sender = sender, .detail = detail };
    if (store_begin (self->store))
        return -1;
    if (audit_append (self->audit, &record, self->now_ms)) {
        store_fail_batch (self->store);
        return -1;
    }
    return 0;
}
