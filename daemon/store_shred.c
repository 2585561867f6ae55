/*  store_shred — what crypto-shredding asks of the store: how much live
    content is still sealed under a key. See store.h.                    */
#include "store.h"
#include "store_db.h"
#include <czmq.h>

//  Live content: a message's payload (NULL once purged) and an
//  evaluation's note (NULL once purged). The key id sits in bytes 2..5 of
//  a sealed blob (crypto.h); substr on a blob is a blob in both backends.
static const char *s_queries [] = {
    "SELECT count(*) FROM messages WHERE payload IS NOT NULL AND substr (payload, 2, 4) = ?1",
    "SELECT count(*) FROM plan_evaluations WHERE note IS NOT NULL AND substr (note, 2, 4) = ?1",
};

int64_t
store_sealed_count (store_t *self, uint32_t key_id)
{
    assert (self);
    uint8_t id [4] = { (uint8_t) (key_id >> 24), (uint8_t) (key_id >> 16),
                       (uint8_t) (key_id >> 8), (uint8_t) key_id };
    int64_t total = 0;
    for (size_t i = 0; i < sizeof s_queries / sizeof *s_queries; i++) {
        sdb_stmt_t *stmt = NULL;
        if (sdb_prepare (store_sdb (self), s_queries [i], &stmt) != SDB_OK)
            return store_fail (self, "sealed count");
        sdb_bind_blob (stmt, 1, id, sizeof id);
        int rc = sdb_step (stmt);
        if (rc == SDB_ROW)
            total += sdb_column_int64 (stmt, 0);
        sdb_finalize (stmt);
        if (rc != SDB_ROW)
            return store_fail (self, "sealed count");
    }
    return total;
}

//  The same contents, row by row, with what re-sealing them needs.
static const char *s_each [] = {
    "SELECT id, kind, created_ms, message_id, payload FROM messages"
    " WHERE payload IS NOT NULL AND substr (payload, 2, 4) = ?1 ORDER BY id LIMIT ?2",
    "SELECT id, 7, evaluated_at, subject_key, note FROM plan_evaluations"
    " WHERE note IS NOT NULL AND substr (note, 2, 4) = ?1 ORDER BY id LIMIT ?2",
};

int
store_sealed_each (store_t *self, uint32_t key_id, int limit,
                   int (*fn) (const store_sealed_t *item, void *arg), void *arg)
{
    assert (self && fn);
    uint8_t id [4] = { (uint8_t) (key_id >> 24), (uint8_t) (key_id >> 16),
                       (uint8_t) (key_id >> 8), (uint8_t) key_id };
    int count = 0;
    for (int what = 0; what < 2 && count < limit; what++) {
        sdb_stmt_t *stmt = NULL;
        if (sdb_prepare (store_sdb (self), s_each [what], &stmt) != SDB_OK)
            return store_fail (self, "sealed each");
        sdb_bind_blob (stmt, 1, id, sizeof id);
        sdb_bind_int (stmt, 2, limit - count);
        int rc, stop = 0;
        while (!stop && (rc = sdb_step (stmt)) == SDB_ROW) {
            store_sealed_t item = {
                .what = what, .row = sdb_column_int64 (stmt, 0), .kind = sdb_column_int (stmt, 1),
                .since_ms = sdb_column_int64 (stmt, 2), .aad = sdb_column_blob (stmt, 3),
                .aad_size = (size_t) sdb_column_bytes (stmt, 3),
                .sealed = sdb_column_blob (stmt, 4), .size = (size_t) sdb_column_bytes (stmt, 4) };
            count++;
            stop = fn (&item, arg);
        }
        sdb_finalize (stmt);
        if (stop)
            return stop < 0? -1: count;
        if (rc != SDB_DONE)
            return store_fail (self, "sealed each");
    }
    return count;
}

int
store_sealed_replace (store_t *self, int what, int64_t row, const void *sealed, size_t size)
{
    assert (self && sealed && (what == 0 || what == 1));
    sdb_stmt_t *stmt = NULL;
    const char *sql = what == 0? "UPDATE messages SET payload = ?2 WHERE id = ?1 AND payload IS NOT NULL"
                               : "UPDATE plan_evaluations SET note = ?2 WHERE id = ?1 AND note IS NOT NULL";
    if (sdb_prepare (store_sdb (self), sql, &stmt) != SDB_OK)
        return store_fail (self, "re-seal");
    sdb_bind_int64 (stmt, 1, row);
    sdb_bind_blob (stmt, 2, sealed, size);
    int rc = sdb_step (stmt);
    sdb_finalize (stmt);
    return rc == SDB_DONE? 0: store_fail (self, "re-seal");
}
