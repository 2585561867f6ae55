/*  store_db — backend choice and the statement cache. See store_db.h.    */
#include "store_db.h"
#include <czmq.h>

struct _sdb_cache_t {
    zhashx_t *by_sql;         //  SQL text -> first statement (a chain)
};

bool
sdb_is_postgres (const char *target)
{
    assert (target);
    if (strncmp (target, "postgresql://", 13) == 0 || strncmp (target, "postgres://", 11) == 0)
        return true;
    //  A conninfo string: "key=value" pairs, the first key a word.
    const char *eq = strchr (target, '=');
    if (!eq || eq == target)
        return false;
    for (const char *p = target; p < eq; p++)
        if (!(isalnum ((unsigned char) *p) || *p == '_'))
            return p > target && *p == ' ' && strspn (p, " ") == (size_t) (eq - p);
    return true;
}

int
sdb_init (sdb_t *self, const sdb_ops_t *ops)
{
    self->ops = ops;
    self->cache = (sdb_cache_t *) zmalloc (sizeof (sdb_cache_t));
    if (!self->cache)
        return -1;
    self->cache->by_sql = zhashx_new ();
    return self->cache->by_sql? 0: -1;
}

sdb_t *
sdb_open (const char *target, bool readonly)
{
    assert (target);
    return sdb_is_postgres (target)? sdb_pg_open (target): sdb_sqlite_open (target, readonly);
}

void
sdb_close (sdb_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    sdb_t *self = *self_p;
    if (self->cache) {
        if (self->cache->by_sql) {
            for (sdb_stmt_t *stmt = (sdb_stmt_t *) zhashx_first (self->cache->by_sql); stmt;
                 stmt = (sdb_stmt_t *) zhashx_next (self->cache->by_sql))
                while (stmt) {
                    sdb_stmt_t *next = stmt->next;
                    self->ops->stmt_free (stmt);
                    stmt = next;
                }
            zhashx_destroy (&self->cache->by_sql);
        }
        free (self->cache);
    }
    self->ops->close (self);
    *self_p = NULL;
}

const char *
sdb_backend (sdb_t *self)
{
    return self->ops->name;
}

bool
sdb_remote (sdb_t *self)
{
    return streq (self->ops->name, "postgresql");
}

int
sdb_exec (sdb_t *self, const char *sql)
{
    return self->ops->exec (self, sql);
}

int
sdb_prepare (sdb_t *self, const char *sql, sdb_stmt_t **stmt_p)
{
    assert (self && sql && stmt_p);
    sdb_stmt_t *first = (sdb_stmt_t *) zhashx_lookup (self->cache->by_sql, sql);
    for (sdb_stmt_t *stmt = first; stmt; stmt = stmt->next)
        if (!stmt->busy) {
            stmt->busy = true;
            *stmt_p = stmt;
            return SDB_OK;
        }
    sdb_stmt_t *stmt = self->ops->prepare (self, sql);
    *stmt_p = stmt;
    if (!stmt)
        return SDB_ERROR;
    stmt->db = self;
    stmt->busy = true;
    if (first) {
        stmt->next = first->next;
        first->next = stmt;
    }
    else
    if (zhashx_insert (self->cache->by_sql, sql, stmt)) {
        self->ops->stmt_free (stmt);
        *stmt_p = NULL;
        return SDB_ERROR;
    }
    return SDB_OK;
}

void
sdb_finalize (sdb_stmt_t *stmt)
{
    if (!stmt)
        return;
    stmt->db->ops->reset (stmt);
    stmt->db->ops->clear_bindings (stmt);
    stmt->busy = false;
}

void sdb_reset (sdb_stmt_t *stmt) { stmt->db->ops->reset (stmt); }
void sdb_clear_bindings (sdb_stmt_t *stmt) { stmt->db->ops->clear_bindings (stmt); }
void sdb_bind_int (sdb_stmt_t *stmt, int i, int value) { stmt->db->ops->bind_int64 (stmt, i, value); }
void sdb_bind_int64 (sdb_stmt_t *stmt, int i, int64_t value) { stmt->db->ops->bind_int64 (stmt, i, value); }
void sdb_bind_text (sdb_stmt_t *stmt, int i, const char *text)
{
    if (text)
        stmt->db->ops->bind_text (stmt, i, text);
    else
        stmt->db->ops->bind_null (stmt, i);
}
void sdb_bind_blob (sdb_stmt_t *stmt, int i, const void *data, size_t size)
{
    if (data)
        stmt->db->ops->bind_blob (stmt, i, data, size);
    else
        stmt->db->ops->bind_null (stmt, i);
}
void sdb_bind_null (sdb_stmt_t *stmt, int i) { stmt->db->ops->bind_null (stmt, i); }
int sdb_step (sdb_stmt_t *stmt) { return stmt->db->ops->step (stmt); }
int sdb_column_count (sdb_stmt_t *stmt) { return stmt->db->ops->column_count (stmt); }
bool sdb_column_null (sdb_stmt_t *stmt, int col) { return stmt->db->ops->column_null (stmt, col); }
int sdb_column_int (sdb_stmt_t *stmt, int col) { return (int) stmt->db->ops->column_int64 (stmt, col); }
int64_t sdb_column_int64 (sdb_stmt_t *stmt, int col) { return stmt->db->ops->column_int64 (stmt, col); }
const char *sdb_column_text (sdb_stmt_t *stmt, int col) { return stmt->db->ops->column_text (stmt, col); }
const void *sdb_column_blob (sdb_stmt_t *stmt, int col) { return stmt->db->ops->column_blob (stmt, col); }
int sdb_column_bytes (sdb_stmt_t *stmt, int col) { return stmt->db->ops->column_bytes (stmt, col); }
int64_t sdb_changes (sdb_t *self) { return self->ops->changes (self); }
int64_t sdb_total_changes (sdb_t *self) { return self->ops->total_changes (self); }
int64_t sdb_last_id (sdb_t *self) { return self->ops->last_id (self); }
const char *sdb_errmsg (sdb_t *self) { return self->ops->errmsg (self); }
bool sdb_disk_full (sdb_t *self) { return self->ops->disk_full (self); }
int sdb_begin (sdb_t *self) { return self->ops->begin (self); }
int sdb_commit (sdb_t *self) { return self->ops->commit (self); }
int sdb_rollback (sdb_t *self) { return self->ops->rollback (self); }
bool sdb_in_transaction (sdb_t *self) { return self->ops->in_transaction (self); }
int sdb_schema_version (sdb_t *self) { return self->ops->schema_version (self); }
int sdb_set_schema_version (sdb_t *self, int version) { return self->ops->set_schema_version (self, version); }
int sdb_table_exists (sdb_t *self, const char *table) { return self->ops->table_exists (self, table); }
int sdb_checkpoint (sdb_t *self) { return self->ops->checkpoint (self); }
int sdb_damaged (sdb_t *self, char *what, size_t size) { return self->ops->damaged (self, what, size); }
bool sdb_corrupt (sdb_t *self) { return self->ops->corrupt (self); }

void
sdb_on_lost_transaction (sdb_t *self, void (*fn) (void *arg), void *arg)
{
    self->lost_fn = fn;
    self->lost_arg = arg;
}

void
sdb_lost_transaction (sdb_t *self)
{
    if (self->lost_fn)
        self->lost_fn (self->lost_arg);
}
