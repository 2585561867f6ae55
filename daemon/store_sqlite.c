/*  store_sqlite — the sqlite backend of store_db.h: a file in WAL mode
    with synchronous=FULL, so a COMMIT is on disk when it returns.       */
#include "store_db.h"
#include <czmq.h>
#include <sqlite3.h>
#include "store.h"

typedef struct {
    sdb_t    base;
    sqlite3 *db;
    bool     in_transaction;  //  begun by sdb_begin
    bool     committing;      //  sdb_commit's own COMMIT is running
    int      last_rc;         //  extended code of the last failure
    char     message [512];
} lite_t;

typedef struct {
    sdb_stmt_t    base;
    sqlite3_stmt *stmt;
} lite_stmt_t;

#define LITE(self) ((lite_t *) (self))
#define LSTMT(stmt) (((lite_stmt_t *) (stmt))->stmt)

static void
s_error (lite_t *self, const char *msg)
{
    self->last_rc = sqlite3_extended_errcode (self->db);
    snprintf (self->message, sizeof self->message, "%s",
              msg? msg: sqlite3_errmsg (self->db));
}

static void
s_close (sdb_t *base)
{
    lite_t *self = LITE (base);
    if (self->db && sqlite3_close (self->db) != SQLITE_OK)
        zsys_error ("store: close: %s", sqlite3_errmsg (self->db));
    free (self);
}

static int
s_exec (sdb_t *base, const char *sql)
{
    lite_t *self = LITE (base);
    char *msg = NULL;
    if (sqlite3_exec (self->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        s_error (self, msg);
        sqlite3_free (msg);
        return SDB_ERROR;
    }
    return SDB_OK;
}

static sdb_stmt_t *
s_prepare (sdb_t *base, const char *sql)
{
    lite_t *self = LITE (base);
    lite_stmt_t *stmt = (lite_stmt_t *) zmalloc (sizeof (lite_stmt_t));
    if (!stmt)
        return NULL;
    if (sqlite3_prepare_v3 (self->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt->stmt, NULL)
        != SQLITE_OK) {
        s_error (self, NULL);
        zsys_error ("store: prepare: %s (%s)", self->message, sql);
        free (stmt);
        return NULL;
    }
    return &stmt->base;
}

static void
s_stmt_free (sdb_stmt_t *stmt)
{
    sqlite3_finalize (LSTMT (stmt));
    free (stmt);
}

static void s_reset (sdb_stmt_t *stmt) { sqlite3_reset (LSTMT (stmt)); }
static void s_clear_bindings (sdb_stmt_t *stmt) { sqlite3_clear_bindings (LSTMT (stmt)); }
static void s_bind_int64 (sdb_stmt_t *stmt, int i, int64_t v) { sqlite3_bind_int64 (LSTMT (stmt), i, v); }
static void s_bind_text (sdb_stmt_t *stmt, int i, const char *text)
{
    sqlite3_bind_text (LSTMT (stmt), i, text, -1, SQLITE_TRANSIENT);
}
static void s_bind_blob (sdb_stmt_t *stmt, int i, const void *data, size_t size)
{
    sqlite3_bind_blob64 (LSTMT (stmt), i, data, size, SQLITE_TRANSIENT);
}
static void s_bind_null (sdb_stmt_t *stmt, int i) { sqlite3_bind_null (LSTMT (stmt), i); }

static int
s_step (sdb_stmt_t *stmt)
{
    int rc = sqlite3_step (LSTMT (stmt));
    if (rc == SQLITE_ROW)
        return SDB_ROW;
    if (rc == SQLITE_DONE)
        return SDB_DONE;
    s_error (LITE (stmt->db), NULL);
    return SDB_ERROR;
}

static int s_column_count (sdb_stmt_t *stmt) { return sqlite3_column_count (LSTMT (stmt)); }
static bool s_column_null (sdb_stmt_t *stmt, int col)
{
    return sqlite3_column_type (LSTMT (stmt), col) == SQLITE_NULL;
}
static int64_t s_column_int64 (sdb_stmt_t *stmt, int col) { return sqlite3_column_int64 (LSTMT (stmt), col); }
static const char *s_column_text (sdb_stmt_t *stmt, int col)
{
    return (const char *) sqlite3_column_text (LSTMT (stmt), col);
}
static const void *s_column_blob (sdb_stmt_t *stmt, int col) { return sqlite3_column_blob (LSTMT (stmt), col); }
static int s_column_bytes (sdb_stmt_t *stmt, int col) { return sqlite3_column_bytes (LSTMT (stmt), col); }

static int64_t s_changes (sdb_t *base) { return sqlite3_changes64 (LITE (base)->db); }
static int64_t s_total_changes (sdb_t *base) { return sqlite3_total_changes64 (LITE (base)->db); }
static int64_t s_last_id (sdb_t *base) { return sqlite3_last_insert_rowid (LITE (base)->db); }
static const char *s_errmsg (sdb_t *base) { return LITE (base)->message; }
static bool s_disk_full (sdb_t *base) { return (LITE (base)->last_rc & 0xff) == SQLITE_FULL; }

//  sqlite rolls a transaction back by itself on some errors (an I/O error
//  in a statement, a full disk). The broker's later statements of the same
//  cycle would then each commit on their own: half a batch on disk, and an
//  audit chain whose links point at rolled-back records. This hook makes
//  every commit inside what the store holds to be its transaction, other
//  than sdb_commit's own, a rollback.
static int
s_commit_hook (void *arg)
{
    lite_t *self = (lite_t *) arg;
    if (self->in_transaction && !self->committing) {
        sdb_lost_transaction (&self->base);
        return 1;
    }
    return 0;
}

static int
s_begin (sdb_t *base)
{
    if (s_exec (base, "BEGIN IMMEDIATE"))
        return SDB_ERROR;
    LITE (base)->in_transaction = true;
    return SDB_OK;
}

static int
s_commit (sdb_t *base)
{
    lite_t *self = LITE (base);
    self->committing = true;
    int rc = s_exec (base, "COMMIT");
    self->committing = false;
    if (rc == SDB_OK)
        self->in_transaction = false;
    return rc;
}

static int
s_rollback (sdb_t *base)
{
    lite_t *self = LITE (base);
    self->in_transaction = false;
    //  sqlite may already have rolled back by itself (some I/O errors).
    if (sqlite3_get_autocommit (self->db))
        return SDB_OK;
    return s_exec (base, "ROLLBACK");
}

static bool s_in_transaction (sdb_t *base) { return sqlite3_get_autocommit (LITE (base)->db) == 0; }

static int
s_schema_version (sdb_t *base)
{
    lite_t *self = LITE (base);
    sqlite3_stmt *stmt = NULL;
    int version = -1;
    if (sqlite3_prepare_v2 (self->db, "PRAGMA user_version", -1, &stmt, NULL) == SQLITE_OK
    &&  sqlite3_step (stmt) == SQLITE_ROW)
        version = sqlite3_column_int (stmt, 0);
    else
        s_error (self, NULL);
    sqlite3_finalize (stmt);
    return version;
}

static int
s_set_schema_version (sdb_t *base, int version)
{
    char sql [64];
    snprintf (sql, sizeof sql, "PRAGMA user_version = %d;", version);
    return s_exec (base, sql);
}

static int
s_table_exists (sdb_t *base, const char *table)
{
    lite_t *self = LITE (base);
    sqlite3_stmt *stmt = NULL;
    if (sqlite3_prepare_v2 (self->db,
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?1",
            -1, &stmt, NULL) != SQLITE_OK) {
        s_error (self, NULL);
        return -1;
    }
    sqlite3_bind_text (stmt, 1, table, -1, SQLITE_STATIC);
    int rc = sqlite3_step (stmt);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        s_error (self, NULL);
    sqlite3_finalize (stmt);
    return rc == SQLITE_ROW? 1: rc == SQLITE_DONE? 0: -1;
}

static int
s_checkpoint (sdb_t *base)
{
    return s_exec (base, "PRAGMA wal_checkpoint(TRUNCATE);");
}

//  sqlite's own check of the file: a damaged page is not a cut-off log.
static int
s_damaged (sdb_t *base, char *what, size_t size)
{
    lite_t *self = LITE (base);
    sqlite3_stmt *stmt = NULL;
    int rc = sqlite3_prepare_v2 (self->db, "PRAGMA quick_check (3)", -1, &stmt, NULL);
    bool damaged = false;
    what [0] = 0;
    while (rc == SQLITE_OK && (rc = sqlite3_step (stmt)) == SQLITE_ROW) {
        const char *line = (const char *) sqlite3_column_text (stmt, 0);
        if (line && !streq (line, "ok")) {
            if (!damaged)
                snprintf (what, size, "%s", line);
            damaged = true;
        }
    }
    if (rc != SQLITE_OK && rc != SQLITE_DONE && !damaged) {
        snprintf (what, size, "%s", sqlite3_errstr (rc));
        damaged = (rc & 0xff) == SQLITE_CORRUPT || (rc & 0xff) == SQLITE_NOTADB;
    }
    sqlite3_finalize (stmt);
    return damaged;
}

static bool
s_corrupt (sdb_t *base)
{
    int code = LITE (base)->last_rc & 0xff;
    return code == SQLITE_CORRUPT || code == SQLITE_NOTADB;
}

static const sdb_ops_t s_ops = {
    .name = "sqlite",
    .close = s_close, .exec = s_exec, .prepare = s_prepare, .stmt_free = s_stmt_free,
    .reset = s_reset, .clear_bindings = s_clear_bindings, .bind_int64 = s_bind_int64,
    .bind_text = s_bind_text, .bind_blob = s_bind_blob, .bind_null = s_bind_null,
    .step = s_step, .column_count = s_column_count, .column_null = s_column_null,
    .column_int64 = s_column_int64, .column_text = s_column_text, .column_blob = s_column_blob,
    .column_bytes = s_column_bytes, .changes = s_changes, .total_changes = s_total_changes,
    .last_id = s_last_id, .errmsg = s_errmsg, .disk_full = s_disk_full, .begin = s_begin,
    .commit = s_commit, .rollback = s_rollback, .in_transaction = s_in_transaction,
    .schema_version = s_schema_version, .set_schema_version = s_set_schema_version,
    .table_exists = s_table_exists, .checkpoint = s_checkpoint, .damaged = s_damaged,
    .corrupt = s_corrupt,
};

//  sqlite creates a new database with 0644 less the umask, and its WAL and
//  SHM with the database file's mode. So the file is made first, 0600
//  whatever the umask, and the others follow it. An existing store keeps
//  its mode; a warning says when others may read it.
static int
s_create_private (const char *path)
{
    int fd = open (path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd >= 0) {
        int rc = fchmod (fd, 0600);
        close (fd);
        if (rc) {
            zsys_error ("store: cannot make %s private: %s", path, strerror (errno));
            unlink (path);
            return -1;
        }
        return 0;
    }
    if (errno != EEXIST) {
        zsys_error ("store: cannot create %s: %s", path, strerror (errno));
        return -1;
    }
    struct stat st;
    if (stat (path, &st) == 0 && (st.st_mode & 077))
        zsys_warning ("store: %s may be read by others (mode %04o): run chmod 600 on it"
                      " and its -wal and -shm files", path, (unsigned) (st.st_mode & 07777));
    return 0;
}

//  WAL + synchronous=FULL: a commit is on disk (WAL fsynced) when it
//  returns. The busy timeout covers offline tools reading the same file.
static int
s_settings (lite_t *self, const char *path)
{
    if (s_exec (&self->base, "PRAGMA journal_mode = WAL;")
    ||  s_exec (&self->base, "PRAGMA synchronous = FULL;")
    ||  s_exec (&self->base, "PRAGMA foreign_keys = ON;")
    ||  s_exec (&self->base, "PRAGMA secure_delete = ON;")
    //  A cycle's transaction must fit in the page cache: a spill writes
    //  pages to the WAL twice.
    ||  s_exec (&self->base, "PRAGMA cache_size = -65536;")) {
        zsys_error ("store: %s: %s", path, self->message);
        return -1;
    }
    //  journal_mode answers with the mode in force: make sure it took.
    sqlite3_stmt *stmt = NULL;
    int ok = sqlite3_prepare_v2 (self->db, "PRAGMA journal_mode", -1, &stmt, NULL) == SQLITE_OK
          && sqlite3_step (stmt) == SQLITE_ROW
          && streq ((const char *) sqlite3_column_text (stmt, 0), "wal");
    sqlite3_finalize (stmt);
    if (!ok) {
        zsys_error ("store: %s is not in WAL mode", path);
        return -1;
    }
    return 0;
}

sdb_t *
sdb_sqlite_open (const char *path, bool readonly)
{
    lite_t *self = (lite_t *) zmalloc (sizeof (lite_t));
    if (!self)
        return NULL;
    if (sdb_init (&self->base, &s_ops)) {
        free (self);
        return NULL;
    }
    sdb_t *base = &self->base;
    if (!readonly && s_create_private (path)) {
        sdb_close (&base);
        return NULL;
    }
    int flags = readonly? SQLITE_OPEN_READONLY
                        : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
    if (sqlite3_open_v2 (path, &self->db, flags, NULL) != SQLITE_OK) {
        zsys_error ("store: %s: %s", path, self->db? sqlite3_errmsg (self->db): "out of memory");
        sdb_close (&base);
        return NULL;
    }
    sqlite3_busy_timeout (self->db, readonly? 10000: 5000);
    if (!readonly) {
        sqlite3_commit_hook (self->db, s_commit_hook, self);
        if (s_settings (self, path)) {
            sdb_close (&base);
            return NULL;
        }
    }
    return base;
}

//  The store, through sqlite's backup API: all pages in one step, so in
//  one read transaction on the source. DST must not exist yet.
int
store_backup_copy (const char *src, const char *dst)
{
    int fd = open (dst, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) {
        fprintf (stderr, "samhandd: backup: cannot create %s: %s\n", dst, strerror (errno));
        return -1;
    }
    close (fd);
    sqlite3 *from = NULL, *to = NULL;
    int rc = sqlite3_open_v2 (src, &from, SQLITE_OPEN_READONLY, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_open_v2 (dst, &to, SQLITE_OPEN_READWRITE, NULL);
    if (rc == SQLITE_OK) {
        sqlite3_busy_timeout (from, 10000);
        sqlite3_backup *copy = sqlite3_backup_init (to, "main", from, "main");
        if (!copy)
            rc = sqlite3_errcode (to);
        else {
            do {
                rc = sqlite3_backup_step (copy, -1);
                if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED)
                    sqlite3_sleep (100);
            } while (rc == SQLITE_BUSY || rc == SQLITE_LOCKED);
            int finish = sqlite3_backup_finish (copy);
            rc = rc == SQLITE_DONE? finish: rc;
        }
    }
    sqlite3_stmt *stmt = NULL;
    if (rc == SQLITE_OK
    &&  (sqlite3_prepare_v2 (to, "PRAGMA quick_check", -1, &stmt, NULL) != SQLITE_OK
     ||  sqlite3_step (stmt) != SQLITE_ROW
     ||  !streq ((const char *) sqlite3_column_text (stmt, 0), "ok")))
        rc = SQLITE_CORRUPT;
    sqlite3_finalize (stmt);
    //  The copy is a WAL database: checkpoint it so one file holds it all.
    if (rc == SQLITE_OK)
        rc = sqlite3_wal_checkpoint_v2 (to, NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL);
    if (rc != SQLITE_OK)
        fprintf (stderr, "samhandd: backup: copying %s failed: %s\n", src,
                 sqlite3_errstr (rc));
    sqlite3_close (from);
    if (to && sqlite3_close (to) != SQLITE_OK && rc == SQLITE_OK)
        rc = SQLITE_ERROR;
    return rc == SQLITE_OK? 0: -1;
}
