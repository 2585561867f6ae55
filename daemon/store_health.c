/*  store_health — the counts operators read (health.c: /metrics and
    samhand admin status). Counts and node names only. See store.h.      */
#include "store.h"
#include "store_db.h"
#include <czmq.h>

//  One integer from a query without parameters; -1 when it fails.
static int64_t
s_count (sdb_t *db, const char *sql)
{
    sdb_stmt_t *stmt = NULL;
    int64_t value = -1;
    if (sdb_prepare (db, sql, &stmt) == SDB_OK && sdb_step (stmt) == SDB_ROW)
        value = sdb_column_int64 (stmt, 0);
    sdb_finalize (stmt);
    return value;
}

int
store_health_counts (store_t *self, store_health_t *out)
{
    assert (self && out);
    sdb_t *db = store_sdb (self);
    memset (out, 0, sizeof *out);
    out->dead_letters = s_count (db, "SELECT count (*) FROM outbox WHERE state = 5");
    out->open_escalations = s_count (db, "SELECT count (*) FROM timers"
                                         " WHERE kind = 'escalate' AND fired > 0");
    out->last_signature_ms = s_count (db, "SELECT coalesce (max (ts_ms), 0) FROM audit_heads");
    return out->dead_letters < 0 || out->open_escalations < 0 || out->last_signature_ms < 0
         ? -1: 0;
}

int
store_audit_decided_after (store_t *self, int64_t after_seq, int64_t *count, int64_t *last_seq)
{
    assert (self && count && last_seq);
    sdb_stmt_t *stmt = NULL;
    if (sdb_prepare (store_sdb (self), "SELECT count (*), coalesce (max (seq), ?1) FROM audit"
                     " WHERE seq > ?1 AND event = 'decided'", &stmt) != SDB_OK)
        return -1;
    sdb_bind_int64 (stmt, 1, after_seq);
    int rc = sdb_step (stmt);
    if (rc == SDB_ROW) {
        *count = sdb_column_int64 (stmt, 0);
        *last_seq = sdb_column_int64 (stmt, 1);
    }
    sdb_finalize (stmt);
    return rc == SDB_ROW? 0: -1;
}

//  Submitted time of NODE's oldest waiting delivery, 0 if none, -1 on a
//  failed read. Outbox ids grow with insertion, so the smallest id in each
//  waiting state is found in the (node, state, id) index without a scan.
static int64_t
s_oldest (sdb_t *db, const char *node)
{
    sdb_stmt_t *stmt = NULL;
    if (sdb_prepare (db, "SELECT o.id, m.created_ms FROM outbox o JOIN messages m"
                     " ON m.id = o.message WHERE o.node = ?1 AND o.state = ?2"
                     " ORDER BY o.id LIMIT 1", &stmt) != SDB_OK)
        return -1;
    int64_t best_id = 0, oldest = 0;
    for (int state = OUTBOX_PENDING; state <= OUTBOX_INFLIGHT; state++) {
        sdb_reset (stmt);
        sdb_bind_text (stmt, 1, node);
        sdb_bind_int (stmt, 2, state);
        int rc = sdb_step (stmt);
        if (rc == SDB_ROW) {
            int64_t id = sdb_column_int64 (stmt, 0);
            if (!best_id || id < best_id) {
                best_id = id;
                oldest = sdb_column_int64 (stmt, 1);
            }
        }
        else
        if (rc != SDB_DONE) {
            sdb_finalize (stmt);
            return -1;
        }
    }
    sdb_finalize (stmt);
    return oldest;
}

int
store_outbox_waiting (store_t *self,
                      int (*fn) (const char *node, int64_t count, int64_t oldest_ms, void *arg),
                      void *arg)
{
    assert (self && fn);
    sdb_t *db = store_sdb (self);
    sdb_stmt_t *stmt = NULL;
    int rc = sdb_prepare (db, "SELECT node, count (*) FROM outbox WHERE state IN (0, 1)"
                          " GROUP BY node", &stmt);
    bool failed = false;
    while (!failed && rc == SDB_OK && (rc = sdb_step (stmt)) == SDB_ROW) {
        const char *name = sdb_column_text (stmt, 0);
        int64_t oldest = s_oldest (db, name? name: "");
        if (oldest < 0 || fn (name? name: "", sdb_column_int64 (stmt, 1), oldest, arg))
            failed = true;
        rc = SDB_OK;
    }
    sdb_finalize (stmt);
    return failed || (rc != SDB_DONE && rc != SDB_OK)? -1: 0;
}

static int64_t
s_file_size (const char *path, const char *suffix)
{
    char name [1100];
    struct stat st;
    snprintf (name, sizeof name, "%s%s", path, suffix);
    return stat (name, &st) == 0? (int64_t) st.st_size: 0;
}

int64_t
store_size_bytes (store_t *self, const char *path)
{
    assert (self && path);
    if (store_remote (self))
        return s_count (store_sdb (self), "SELECT pg_database_size (current_database ())");
    return s_file_size (path, "") + s_file_size (path, "-wal");
}
