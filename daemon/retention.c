/*  retention — removes the personal data of messages past their kind's
    retention. The message row, its outbox history and the audit records
    stay (the audit keeps hashes, not content); the sealed payload goes,
    and deliveries not made by then expire. Every purge is audited.      */
#include "retention.h"
#include "plan.h"

typedef struct {
    handler_ctx_t *self;
    int kind;
    int purged;
} purge_t;

static int
s_purge_one (int64_t message, const uint8_t *message_id, const uint8_t *subject_key, void *arg)
{
    purge_t *p = (purge_t *) arg;
    audit_record_t record = { .event = "purged", .message_id = message_id,
                              .subject_key = subject_key,
                              .detail = config_kind_name (p->kind) };
    if (store_purge_message (p->self->store, message)
    ||  audit_append (p->self->audit, &record, p->self->now_ms))
        return -1;
    p->purged++;
    return 0;
}

//  Runs in the cycle's transaction; returns how many messages were purged.
int
retention_run (handler_ctx_t *self)
{
    int total = 0;
    if (store_begin (self->store))
        return 0;
    for (int kind = 1; kind < CONFIG_KINDS; kind++) {
        if (self->config->retention_ms [kind] <= 0)
            continue;
        purge_t p = { self, kind, 0 };
        int64_t cutoff = self->now_ms - self->config->retention_ms [kind];
        if (store_purge_due (self->store, kind, cutoff, 256, s_purge_one, &p) < 0) {
            self->batch_failed = true;
            return total;
        }
        if (p.purged) {
            zsys_info ("retention: personal data of %d %s message(s) purged", p.purged,
                       config_kind_name (kind));
            sessions_recount (self->sessions, self->store);
        }
        total += p.purged;
    }
    if (plan_retention (self) < 0)
        self->batch_failed = true;
    return total;
}
