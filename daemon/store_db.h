/*  store_db — the store's private database driver: the one place where a
    backend (sqlite, PostgreSQL) is chosen. Only the store family includes
    this header (store*.c: store, store_plan, store_audit, store_registry,
    store_health, and the backends); everyone else talks to store.h,
    audit.h and registry.h, which name operations and hold no SQL.

    SQL above this seam is written once, in the dialect both backends
    accept: numbered placeholders ?1..?N, ON CONFLICT (...) DO UPDATE, no
    two-argument max(). The PostgreSQL backend rewrites placeholders to
    $N, INTEGER to BIGINT, BLOB to BYTEA, INTEGER PRIMARY KEY to an
    identity column, INSERT OR IGNORE to ON CONFLICT DO NOTHING, and drops
    sqlite's planner hints (INDEXED BY, WITHOUT ROWID); what has no
    translation (PRAGMAs, the backup API, the file) is a named operation
    here, done by each backend its own way.

    Statements are prepared once per connection: sdb_prepare hands out a
    cached statement for the same SQL text (a second one while the first
    is still in use), sdb_finalize gives it back. The shape follows
    sqlite's so the calling code reads the same for both backends.      */
#ifndef SAMHAND_STORE_DB_H
#define SAMHAND_STORE_DB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct _sdb_t sdb_t;
typedef struct _sdb_stmt_t sdb_stmt_t;

enum { SDB_OK = 0, SDB_ERROR = 1, SDB_ROW = 100, SDB_DONE = 101 };

//  True when TARGET names a PostgreSQL database: a postgresql:// or
//  postgres:// URI, or a conninfo string (key=value ...). Anything else
//  is the path of a sqlite file.
bool sdb_is_postgres (const char *target);

//  Opens the database. READONLY: sqlite opens the file read-only and
//  never creates it. NULL on failure (logged).
sdb_t *sdb_open (const char *target, bool readonly);
void sdb_close (sdb_t **self_p);
//  "sqlite" or "postgresql".
const char *sdb_backend (sdb_t *self);
bool sdb_remote (sdb_t *self);

//  Runs SQL (one or more statements, no parameters, no rows).
int sdb_exec (sdb_t *self, const char *sql);
//  A prepared statement for SQL, ready for binding; *stmt NULL on error.
int sdb_prepare (sdb_t *self, const char *sql, sdb_stmt_t **stmt);
//  Resets the statement and gives it back to the cache (NULL is fine).
void sdb_finalize (sdb_stmt_t *stmt);
void sdb_reset (sdb_stmt_t *stmt);
void sdb_clear_bindings (sdb_stmt_t *stmt);
//  Parameters count from 1. Text and blobs are copied.
void sdb_bind_int (sdb_stmt_t *stmt, int i, int value);
void sdb_bind_int64 (sdb_stmt_t *stmt, int i, int64_t value);
void sdb_bind_text (sdb_stmt_t *stmt, int i, const char *text);
//  DATA NULL binds SQL NULL; a zero-length non-NULL blob is an empty one.
void sdb_bind_blob (sdb_stmt_t *stmt, int i, const void *data, size_t size);
void sdb_bind_null (sdb_stmt_t *stmt, int i);
//  SDB_ROW, SDB_DONE or SDB_ERROR.
int sdb_step (sdb_stmt_t *stmt);
//  Columns count from 0; values are valid until the next step or reset.
int sdb_column_count (sdb_stmt_t *stmt);
bool sdb_column_null (sdb_stmt_t *stmt, int col);
int sdb_column_int (sdb_stmt_t *stmt, int col);
int64_t sdb_column_int64 (sdb_stmt_t *stmt, int col);
const char *sdb_column_text (sdb_stmt_t *stmt, int col);
const void *sdb_column_blob (sdb_stmt_t *stmt, int col);
int sdb_column_bytes (sdb_stmt_t *stmt, int col);

//  Rows changed by the last INSERT/UPDATE/DELETE, and by all of them
//  since the connection opened.
int64_t sdb_changes (sdb_t *self);
int64_t sdb_total_changes (sdb_t *self);
//  The id given to the row the last INSERT made.
int64_t sdb_last_id (sdb_t *self);
const char *sdb_errmsg (sdb_t *self);
//  The last error was a full disk.
bool sdb_disk_full (sdb_t *self);

//  Transactions: BEGIN (sqlite: IMMEDIATE, taking the write lock),
//  COMMIT (0 only when it committed: durable on return), ROLLBACK.
int sdb_begin (sdb_t *self);
int sdb_commit (sdb_t *self);
int sdb_rollback (sdb_t *self);
//  A transaction is open on the connection (it may have been begun
//  by sdb_begin or an sdb_exec ("BEGIN")).
bool sdb_in_transaction (sdb_t *self);
//  Called when the backend finds the open transaction was (or would be)
//  ended by anything other than sdb_commit: the batch has failed.
void sdb_on_lost_transaction (sdb_t *self, void (*fn) (void *arg), void *arg);

//  Schema version: sqlite's user_version, a one-row table in PostgreSQL.
//  -1 on error; 0 when never stamped.
int sdb_schema_version (sdb_t *self);
int sdb_set_schema_version (sdb_t *self, int version);
//  1 if TABLE exists, 0 if not, -1 on error.
int sdb_table_exists (sdb_t *self, const char *table);
//  Backend upkeep after a purge: sqlite moves the WAL into the file and
//  empties it; PostgreSQL leaves it to (auto)vacuum.
int sdb_checkpoint (sdb_t *self);
//  A damaged database: 1 and a description, 0 when intact (PostgreSQL
//  checks its own pages), -1 when the check could not run.
int sdb_damaged (sdb_t *self, char *what, size_t size);
//  The last error said the database is corrupt.
bool sdb_corrupt (sdb_t *self);

//  For the store family: the store's connection, and running DDL / SQL
//  without rows inside the store's batch rules (a failure fails the batch).
typedef struct _store_t store_t;
sdb_t *store_sdb (store_t *store);
int store_exec (store_t *store, const char *sql);
//  A failed statement of the store family: logged, and it fails the
//  store's open transaction. Returns -1.
int store_fail (store_t *store, const char *what);

//  The leadership's database session (store_leader.c), handed to the
//  store that then owns it: a PostgreSQL store writes through the session
//  that holds the advisory lock. NULL for sqlite (the lock is a file's).
typedef struct _store_leader_t store_leader_t;
sdb_t *store_leader_lend (store_leader_t *leader);

//  Backend entry points (store_sqlite.c, store_pg.c).
sdb_t *sdb_sqlite_open (const char *path, bool readonly);
sdb_t *sdb_pg_open (const char *conninfo);
//  One samhandd (or offline writer) per PostgreSQL database: a session
//  advisory lock on a connection kept for the process's life. Returns that
//  connection's socket (closing it ends the session and frees the lock),
//  or -1 when another holds the lock or the server cannot be reached.
int sdb_pg_lock (const char *conninfo);
//  A PostgreSQL connection that is gone for good (libpq does not
//  reconnect), every statement on it failing: the server's message of
//  the first failure (why it went). NULL while the connection is good.
const char *sdb_pg_lost (sdb_t *db);
//  CONNINFO for the log: "PostgreSQL database D on HOST port P as user U",
//  never a password or any other option. Returns BUF.
const char *sdb_pg_describe (const char *conninfo, char *buf, size_t size);
//  Ends the lock's session: 0, or -1 when FD is not one of its sockets.
int sdb_pg_unlock (int fd);

//  The backends' operation table; sdb_t starts with a pointer to it.
typedef struct {
    const char *name;
    void (*close) (sdb_t *self);
    int (*exec) (sdb_t *self, const char *sql);
    sdb_stmt_t *(*prepare) (sdb_t *self, const char *sql);
    void (*stmt_free) (sdb_stmt_t *stmt);
    void (*reset) (sdb_stmt_t *stmt);
    void (*clear_bindings) (sdb_stmt_t *stmt);
    void (*bind_int64) (sdb_stmt_t *stmt, int i, int64_t value);
    void (*bind_text) (sdb_stmt_t *stmt, int i, const char *text);
    void (*bind_blob) (sdb_stmt_t *stmt, int i, const void *data, size_t size);
    void (*bind_null) (sdb_stmt_t *stmt, int i);
    int (*step) (sdb_stmt_t *stmt);
    int (*column_count) (sdb_stmt_t *stmt);
    bool (*column_null) (sdb_stmt_t *stmt, int col);
    int64_t (*column_int64) (sdb_stmt_t *stmt, int col);
    const char *(*column_text) (sdb_stmt_t *stmt, int col);
    const void *(*column_blob) (sdb_stmt_t *stmt, int col);
    int (*column_bytes) (sdb_stmt_t *stmt, int col);
    int64_t (*changes) (sdb_t *self);
    int64_t (*total_changes) (sdb_t *self);
    int64_t (*last_id) (sdb_t *self);
    const char *(*errmsg) (sdb_t *self);
    bool (*disk_full) (sdb_t *self);
    int (*begin) (sdb_t *self);
    int (*commit) (sdb_t *self);
    int (*rollback) (sdb_t *self);
    bool (*in_transaction) (sdb_t *self);
    int (*schema_version) (sdb_t *self);
    int (*set_schema_version) (sdb_t *self, int version);
    int (*table_exists) (sdb_t *self, const char *table);
    int (*checkpoint) (sdb_t *self);
    int (*damaged) (sdb_t *self, char *what, size_t size);
    bool (*corrupt) (sdb_t *self);
} sdb_ops_t;

//  What every backend's connection and statement begin with: store_db.c
//  keeps the statement cache and the lost-transaction callback here.
typedef struct _sdb_cache_t sdb_cache_t;
struct _sdb_t {
    const sdb_ops_t *ops;
    sdb_cache_t *cache;
    void (*lost_fn) (void *arg);
    void *lost_arg;
};
struct _sdb_stmt_t {
    sdb_t *db;
    sdb_stmt_t *next;         //  another statement of the same SQL
    bool busy;                //  handed out by sdb_prepare
};
//  Called by backends when their open transaction was lost.
void sdb_lost_transaction (sdb_t *self);
//  Base initialisation for a backend's new connection.
int sdb_init (sdb_t *self, const sdb_ops_t *ops);

#endif
