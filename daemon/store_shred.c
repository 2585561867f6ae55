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
