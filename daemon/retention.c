/*  retention — removes the personal data of messages past their kind's
    retention. The message row, its outbox history and the audit records
    stay (the audit keeps hashes, not content); the sealed payload goes,
    and deliveries not made by then expire. Every purge is audited.

    Crypto-shredding: a purge only drops the live row's copy, while the
    database may keep the old bytes (sqlite's free pages and WAL,
    PostgreSQL's dead tuples, WAL, replicas and backups). So content is
    sealed under the key of the week (period) in which its retention ends,
    and once that week is over and nothing live is sealed under its key
    any more (what a lengthened retention keeps is re-sealed under its
    new week first), the key is destroyed: every copy anywhere of what was sealed
    under it is unreadable from then on, to the broker as well. The
    decision is audited (data_key_destroyed) and recorded in the store in
    the cycle's transaction; the key file is destroyed at the next check,
    after that transaction committed, and retried until it is gone.    */
#include "retention.h"
#include "plan.h"
#include <time.h>

//  Store meta: the first period of this store's period keys (they must
//  exist from then on), and the period whose key a committed transaction
//  decided to destroy.
#define META_PERIODS_FROM "period_keys_from"
#define META_SHRED "shred_decided"

static int64_t s_warned_period = -1;     //  the live-content warning, once a period

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

int
retention_seal (handler_ctx_t *self, int kind, const uint8_t *aad, size_t aad_len,
                const uint8_t *plain, size_t plain_size, uint8_t **out, size_t *out_size)
{
    assert (kind > 0 && kind < CONFIG_KINDS);
    int64_t keep = self->config->retention_ms [kind];
    int64_t now = self->now_ms? self->now_ms: zclock_time ();
    return crypto_seal_until (keys_ring (self->keys), now + (keep > 0? keep: 0), aad, aad_len,
                              plain, plain_size, out, out_size);
}

int
retention_start (handler_ctx_t *self)
{
    int64_t from = -1;
    int found = store_meta_get_int (self->store, META_PERIODS_FROM, &from);
    if (found < 0)
        return -1;
    if (keys_period (self->keys) < 0) {
        if (found) {
            zsys_error ("retention: the period keys (period-key-N.key) are missing from %s,"
                        " though this store seals content under them since period %" PRId64
                        ": restore the keys directory from the backup taken with the store",
                        self->config->keys_dir, from);
            return -1;
        }
        //  A new store, or one from before period keys: its older content
        //  stays under its data-key-N.key until its retention ends.
        if (keys_periods_start (self->keys, zclock_time ()))
            return -1;
    }
    if (found)
        return 0;
    if (store_begin (self->store)
    ||  store_meta_set_int (self->store, META_PERIODS_FROM, keys_period (self->keys))
    ||  store_commit (self->store)) {
        zsys_error ("retention: cannot record the start of the period keys");
        return -1;
    }
    return 0;
}

static void
s_period_dates (int64_t period, char *text, size_t size)
{
    char from [16] = "?", to [16] = "?";
    struct tm tm;
    time_t start = (time_t) (crypto_period_start_ms (period) / 1000);
    time_t end = (time_t) (crypto_period_start_ms (period + 1) / 1000);
    if (gmtime_r (&start, &tm))
        strftime (from, sizeof from, "%Y-%m-%d", &tm);
    if (gmtime_r (&end, &tm))
        strftime (to, sizeof to, "%Y-%m-%d", &tm);
    snprintf (text, size, "period %" PRId64 " (retention ended %s to %s UTC)", period, from, to);
}

//  Re-sealing what a lengthened retention keeps past its old week.
#define RESEAL_MAX 256
typedef struct {
    handler_ctx_t *self;
    int64_t period_end;
    int blocking;                 //  due but not purged yet, or unreadable
    int n;
    struct { int what; int64_t row; uint8_t *sealed; size_t size; } items [RESEAL_MAX];
} reseal_t;

static int
s_reseal_one (const store_sealed_t *item, void *arg)
{
    reseal_t *r = (reseal_t *) arg;
    handler_ctx_t *self = r->self;
    int64_t keep = item->kind > 0 && item->kind < CONFIG_KINDS
                 ? self->config->retention_ms [item->kind]: 0;
    int64_t end = item->since_ms + keep;
    if (keep <= 0 || end < r->period_end || r->n >= RESEAL_MAX) {
        r->blocking++;                //  the purge takes it: wait for it
        return 0;
    }
    uint8_t *plain = NULL;
    size_t plain_size = 0;
    crypto_keyring_t *ring = keys_ring (self->keys);
    int rc = crypto_open (ring, item->aad, item->aad_size, item->sealed, item->size,
                          &plain, &plain_size);
    if (rc == 0)
        rc = crypto_seal_until (ring, end, item->aad, item->aad_size, plain, plain_size,
                                &r->items [r->n].sealed, &r->items [r->n].size);
    if (plain) {
        crypto_cleanse (plain, plain_size);
        free (plain);
    }
    if (rc) {
        //  Never shred what could not be moved: the key stays.
        zsys_warning ("retention: a sealed item (row %" PRId64 ") cannot be re-sealed", item->row);
        r->blocking++;
        return 0;
    }
    r->items [r->n].what = item->what;
    r->items [r->n].row = item->row;
    r->n++;
    return 0;
}

//  Moves what is still live under PERIOD's key and kept longer now to the
//  key of the week its retention ends in now. Returns how many stay (due
//  but not yet purged, or unreadable), or -1 when a store write failed.
static int
s_reseal (handler_ctx_t *self, int64_t period)
{
    reseal_t *r = (reseal_t *) zmalloc (sizeof (reseal_t));
    if (!r)
        return -1;
    r->self = self;
    r->period_end = crypto_period_start_ms (period + 1);
    int rc = store_sealed_each (self->store, crypto_period_key_id (period), RESEAL_MAX,
                                s_reseal_one, r) < 0? -1: 0;
    for (int i = 0; i < r->n; i++) {
        if (rc == 0 && store_sealed_replace (self->store, r->items [i].what, r->items [i].row,
                                             r->items [i].sealed, r->items [i].size))
            rc = -1;
        free (r->items [i].sealed);
    }
    if (rc == 0 && r->n)
        zsys_info ("retention: %d item(s) kept longer than when sealed moved from the key of"
                   " period %" PRId64 " to a later week's", r->n, period);
    int blocking = r->blocking;
    free (r);
    return rc? -1: blocking;
}

//  After the purge, in the same transaction. A failed key file deletion
//  is logged by keys and tried again at the next check: it never fails
//  the cycle. Returns -1 only when a store write failed.
static int
s_shred (handler_ctx_t *self)
{
    keys_t *keys = self->keys;
    if (keys_shred_pending (keys) && keys_shred_oldest (keys))
        return 0;
    int64_t period = keys_period (keys);
    if (period < 0)
        return 0;
    int64_t decided = -1;
    int found = store_meta_get_int (self->store, META_SHRED, &decided);
    if (found < 0)
        return -1;
    if (found && decided == period) {
        //  Decided in a transaction that has committed since.
        keys_shred_oldest (keys);
        return 0;
    }
    if (self->now_ms < crypto_period_start_ms (period + 1))
        return 0;
    int64_t live = store_sealed_count (self->store, crypto_period_key_id (period));
    if (live > 0 && s_reseal (self, period) >= 0)
        live = store_sealed_count (self->store, crypto_period_key_id (period));
    if (live < 0 || store_batch_failed (self->store))
        return -1;
    char what [96];
    s_period_dates (period, what, sizeof what);
    if (live > 0) {
        //  Due but not purged yet (a backlog), or unreadable: the key
        //  stays until the last of it is purged.
        if (s_warned_period != period)
            zsys_warning ("retention: the key of %s stays: %" PRId64 " live item(s) are sealed"
                          " under it (not purged yet)", what, live);
        s_warned_period = period;
        return 0;
    }
    audit_record_t record = { .event = "data_key_destroyed", .detail = what };
    if (store_meta_set_int (self->store, META_SHRED, period)
    ||  audit_append (self->audit, &record, self->now_ms))
        return -1;
    zsys_info ("retention: the key of %s is destroyed at the next check", what);
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
    if (plan_retention (self) < 0 || s_shred (self))
        self->batch_failed = true;
    return total;
}
