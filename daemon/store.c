/*  store — sqlite persistence. See store.h.                                 */
#include "store.h"
#include <czmq.h>
#include <sys/file.h>
#include <openssl/evp.h>
#include "idem.h"

static const char *schema =
    "CREATE TABLE IF NOT EXISTS meta ("
    "  key TEXT PRIMARY KEY, value INTEGER);"
    "CREATE TABLE IF NOT EXISTS messages ("
    "  id INTEGER PRIMARY KEY,"
    "  sender_key TEXT NOT NULL,"
    "  message_id BLOB NOT NULL,"
    "  sender_node TEXT NOT NULL,"
    "  sender_agency INTEGER NOT NULL,"
    "  kind INTEGER NOT NULL,"
    "  acute INTEGER NOT NULL DEFAULT 0,"
    "  subject_key BLOB,"
    "  payload BLOB,"                 //  sealed packed Submit; NULL once purged
    "  result BLOB,"                  //  packed SubmitResult: no personal data
    "  created_ms INTEGER NOT NULL,"
    "  expires_ms INTEGER NOT NULL,"
    "  idem INTEGER NOT NULL);"           //  idempotency key: see idem.h
    "CREATE INDEX IF NOT EXISTS messages_subject ON messages (subject_key);"
    //  Time-ordered indexes (cheap appends) for the once-a-second and
    //  once-a-minute work, so it never scans whole tables: expiry, and
    //  retention (partial: purged messages leave the index).
    "CREATE INDEX IF NOT EXISTS messages_expiry ON messages (expires_ms);"
    "CREATE INDEX IF NOT EXISTS messages_live ON messages (created_ms) WHERE payload IS NOT NULL;"
    "CREATE TABLE IF NOT EXISTS outbox ("
    "  id INTEGER PRIMARY KEY,"       //  the delivery id
    "  message INTEGER NOT NULL REFERENCES messages (id),"
    "  node TEXT NOT NULL,"
    "  agency INTEGER NOT NULL,"
    "  view INTEGER NOT NULL,"
    "  rule TEXT NOT NULL,"
    "  basis TEXT NOT NULL,"
    "  reason TEXT NOT NULL,"
    "  classes INTEGER NOT NULL DEFAULT 0,"   //  data classes the view keeps
    "  state INTEGER NOT NULL DEFAULT 0,"
    "  attempts INTEGER NOT NULL DEFAULT 0,"
    "  sent_ms INTEGER NOT NULL DEFAULT 0,"
    "  received_ms INTEGER NOT NULL DEFAULT 0,"
    "  read_ms INTEGER NOT NULL DEFAULT 0);"
    "CREATE INDEX IF NOT EXISTS outbox_node ON outbox (node, state, id);"
    "CREATE INDEX IF NOT EXISTS outbox_message ON outbox (message);"
    //  Only what is in flight (the redelivery timer) or dead (the admin).
    "CREATE INDEX IF NOT EXISTS outbox_inflight ON outbox (sent_ms) WHERE state = 1;"
    "CREATE INDEX IF NOT EXISTS outbox_dead ON outbox (id) WHERE state = 5;"
    "CREATE TABLE IF NOT EXISTS subscriptions ("
    "  node TEXT PRIMARY KEY, kinds INTEGER NOT NULL,"
    "  min_urgency INTEGER NOT NULL, min_level INTEGER NOT NULL);";

enum {
    Q_FIND, Q_INSERT_MESSAGE, Q_INSERT_OUTBOX, Q_PENDING,
    Q_MARK_SENT, Q_MARK_SHOWN, Q_STATE, Q_RECEIPT, Q_REQUEUE_NODE, Q_OVERDUE_NODES, Q_REQUEUE_OVERDUE,
    Q_COUNTS, Q_INFLIGHT, Q_SUBJECT_PENDING, Q_REDECIDE, Q_SUBJECT_RECEIVED, Q_SUB_GET, Q_SUB_SET, Q_META_GET, Q_META_SET, Q_COUNT
};

static const char *queries [Q_COUNT] = {
    [Q_FIND] = "SELECT result, sender_key, message_id FROM messages WHERE id = ?1",
    [Q_INSERT_MESSAGE] =
        "INSERT INTO messages (sender_key, message_id, sender_node, sender_agency, kind,"
        " acute, subject_key, payload, created_ms, expires_ms, result, idem)"
        " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
    [Q_INSERT_OUTBOX] =
        "INSERT INTO outbox (message, node, agency, view, rule, basis, reason, classes)"
        " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    [Q_PENDING] =
        "SELECT o.id, o.message, m.message_id, m.sender_node, m.sender_agency, m.kind,"
        " m.acute, o.agency, o.view, o.rule, o.basis, o.reason, o.attempts, m.created_ms,"
        " m.payload, m.subject_key, o.classes"
        " FROM outbox o JOIN messages m ON m.id = o.message"
        " WHERE o.node = ?1 AND o.state = 0 ORDER BY o.id LIMIT ?2",
    [Q_MARK_SENT] =
        "UPDATE outbox SET state = 1, attempts = attempts + 1, sent_ms = ?2 WHERE id = ?1",
    [Q_MARK_SHOWN] = "UPDATE outbox SET sent_ms = ?2 WHERE id = ?1 AND state = 0 AND sent_ms = 0",
    [Q_STATE] = "SELECT state, attempts, sent_ms FROM outbox WHERE id = ?1 AND node = ?2",
    [Q_RECEIPT] =
        "UPDATE outbox SET state = max (state, ?3),"
        " received_ms = CASE WHEN received_ms = 0 THEN ?4 ELSE received_ms END,"
        " read_ms = CASE WHEN ?3 = 3 AND read_ms = 0 THEN ?4 ELSE read_ms END"
        " WHERE id = ?1 AND node = ?2 AND state IN (0, 1, 2, 3)",
    [Q_REQUEUE_NODE] = "UPDATE outbox SET state = 0 WHERE node = ?1 AND state = 1",
    [Q_OVERDUE_NODES] =
        "SELECT DISTINCT node FROM outbox INDEXED BY outbox_inflight WHERE state = 1 AND sent_ms < ?1",
    [Q_REQUEUE_OVERDUE] =
        "UPDATE outbox INDEXED BY outbox_inflight SET state = 0 WHERE state = 1 AND sent_ms < ?1",
    [Q_COUNTS] = "SELECT node, count(*) FROM outbox WHERE state IN (0, 1) GROUP BY node",
    [Q_INFLIGHT] = "SELECT count(*) FROM outbox WHERE node = ?1 AND state = 1",
    [Q_SUBJECT_PENDING] =
        "SELECT o.id, o.message, m.message_id, m.sender_node, m.sender_agency, m.kind,"
        " m.acute, o.agency, o.view, o.rule, o.basis, o.reason, o.attempts, m.created_ms,"
        " m.payload, m.subject_key, o.classes, o.node, m.sender_key"
        " FROM outbox o JOIN messages m ON m.id = o.message"
        " WHERE m.subject_key = ?1 AND o.state IN (0, 1) AND m.kind IN (1, 2, 3, 4, 7)"
        " ORDER BY o.id",
    [Q_REDECIDE] =
        "UPDATE outbox SET view = ?2, rule = ?3, basis = ?4, reason = ?5, classes = ?6,"
        " state = CASE WHEN ?2 = 4 THEN 6 ELSE 0 END WHERE id = ?1 AND state IN (0, 1)",
    [Q_SUBJECT_RECEIVED] =
        "SELECT DISTINCT o.node FROM outbox o JOIN messages m ON m.id = o.message"
        " WHERE m.subject_key = ?1 AND o.state IN (2, 3) AND o.view = 1"
        " AND o.rule = 'FVL13A1-CONSENT'",
    [Q_SUB_GET] = "SELECT kinds, min_urgency, min_level FROM subscriptions WHERE node = ?1",
    [Q_SUB_SET] =
        "INSERT INTO subscriptions (node, kinds, min_urgency, min_level) VALUES (?1, ?2, ?3, ?4)"
        " ON CONFLICT (node) DO UPDATE SET kinds = ?2, min_urgency = ?3, min_level = ?4",
    [Q_META_GET] = "SELECT value FROM meta WHERE key = ?1",
    [Q_META_SET] =
        "INSERT INTO meta (key, value) VALUES (?1, ?2)"
        " ON CONFLICT (key) DO UPDATE SET value = ?2",
};

struct _store_t {
    idem_t       *idem;           //  (sender, message id) -> row, in memory
    sqlite3      *db;
    sqlite3_stmt *stmt [Q_COUNT];
    bool          in_transaction;
    bool          failed;         //  a statement of the open transaction failed
    bool          disk_full;      //  ... and it failed with SQLITE_FULL
    bool          committing;     //  store_commit's own COMMIT is running
    bool          idem_stale;     //  a rebuild failed: the index may miss rows
    bool          created;
};

//  Every failure inside a transaction fails the transaction: a caller
//  that forgets a result cannot commit half a batch.
static int
s_fail (store_t *self, const char *what)
{
    int code = sqlite3_extended_errcode (self->db);
    zsys_error ("store: %s: %s%s", what, sqlite3_errmsg (self->db),
                (code & 0xff) == SQLITE_FULL? " (disk full)": "");
    if (self->in_transaction)
        self->failed = true;
    if ((code & 0xff) == SQLITE_FULL)
        self->disk_full = true;
    return -1;
}

int
store_exec (store_t *self, const char *sql)
{
    assert (self && sql);
    char *msg = NULL;
    if (sqlite3_exec (self->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        int code = sqlite3_extended_errcode (self->db);
        zsys_error ("store: %s%s", msg? msg: sqlite3_errmsg (self->db),
                    (code & 0xff) == SQLITE_FULL? " (disk full)": "");
        sqlite3_free (msg);
        if (self->in_transaction)
            self->failed = true;
        if ((code & 0xff) == SQLITE_FULL)
            self->disk_full = true;
        return -1;
    }
    return 0;
}

static int
s_table_exists (store_t *self, const char *table)
{
    sqlite3_stmt *stmt = NULL;
    if (sqlite3_prepare_v2 (self->db,
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?1",
            -1, &stmt, NULL) != SQLITE_OK)
        return -1;
    sqlite3_bind_text (stmt, 1, table, -1, SQLITE_STATIC);
    int rc = sqlite3_step (stmt);
    sqlite3_finalize (stmt);
    return rc == SQLITE_ROW? 1: rc == SQLITE_DONE? 0: -1;
}

//  sqlite rolls a transaction back by itself on some errors (an I/O error
//  in a statement, a full disk). The broker's later statements of the same
//  cycle would then each commit on their own: half a batch on disk, and an
//  audit chain whose links point at rolled-back records. This hook makes
//  every commit inside what the store holds to be its transaction, other
//  than store_commit's own, a rollback.
static int
s_commit_hook (void *arg)
{
    store_t *self = (store_t *) arg;
    if (self->in_transaction && !self->committing) {
        self->failed = true;
        return 1;
    }
    return 0;
}

//  WAL + synchronous=FULL: a commit is on disk (WAL fsynced) when it
//  returns. The busy timeout covers offline tools reading the same file.
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

//  The schema's version, in PRAGMA user_version. A store made by a newer
//  samhandd is refused (it may hold what this one does not understand); an
//  older one is brought up to date by the numbered migrations below, in
//  one transaction. Migration N takes version N-1 to N; version 1 is the
//  schema as it was when versions began (created by `schema` above).
#define STORE_SCHEMA_VERSION 1
static const char *migrations [STORE_SCHEMA_VERSION + 1] = {
    NULL,
    ""                      //  1: nothing to change, only the version stamped
};

static int
s_user_version (store_t *self)
{
    sqlite3_stmt *stmt = NULL;
    int version = -1;
    if (sqlite3_prepare_v2 (self->db, "PRAGMA user_version", -1, &stmt, NULL) == SQLITE_OK
    &&  sqlite3_step (stmt) == SQLITE_ROW)
        version = sqlite3_column_int (stmt, 0);
    sqlite3_finalize (stmt);
    return version;
}

static int
s_migrate (store_t *self, const char *path, int version)
{
    if (version == STORE_SCHEMA_VERSION)
        return 0;
    char sql [64];
    snprintf (sql, sizeof sql, "PRAGMA user_version = %d;", STORE_SCHEMA_VERSION);
    if (store_exec (self, "BEGIN IMMEDIATE"))
        return -1;
    for (int step = version + 1; step <= STORE_SCHEMA_VERSION; step++)
        if (*migrations [step] && store_exec (self, migrations [step])) {
            if (store_exec (self, "ROLLBACK"))
                zsys_warning ("store: rollback of a failed upgrade failed");
            zsys_error ("store: upgrading %s to schema version %d failed", path, step);
            return -1;
        }
    if (store_exec (self, sql) || store_exec (self, "COMMIT")) {
        if (store_exec (self, "ROLLBACK"))
            zsys_warning ("store: rollback of a failed upgrade failed");
        return -1;
    }
    if (version > 0)
        zsys_notice ("store: %s upgraded from schema version %d to %d", path, version,
                     STORE_SCHEMA_VERSION);
    return 0;
}

static int
s_open_db (store_t *self, const char *path)
{
    if (s_create_private (path))
        return -1;
    if (sqlite3_open_v2 (path, &self->db,
                         SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                         NULL) != SQLITE_OK)
        return s_fail (self, path);
    sqlite3_busy_timeout (self->db, 5000);
    sqlite3_commit_hook (self->db, s_commit_hook, self);
    int exists = s_table_exists (self, "messages");
    if (exists < 0)
        return s_fail (self, "read schema");
    self->created = exists == 0;
    int version = s_user_version (self);
    if (version < 0)
        return s_fail (self, "PRAGMA user_version");
    if (version > STORE_SCHEMA_VERSION) {
        zsys_error ("store: %s has schema version %d, newer than this samhandd knows (%d):"
                    " run the samhandd that wrote it, or restore a backup", path, version,
                    STORE_SCHEMA_VERSION);
        return -1;
    }
    if (store_exec (self, "PRAGMA journal_mode = WAL;")
    ||  store_exec (self, "PRAGMA synchronous = FULL;")
    ||  store_exec (self, "PRAGMA foreign_keys = ON;")
    ||  store_exec (self, "PRAGMA secure_delete = ON;")
    //  A cycle's transaction must fit in the page cache: a spill writes
    //  pages to the WAL twice.
    ||  store_exec (self, "PRAGMA cache_size = -65536;")
    ||  store_exec (self, schema))
        return -1;
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
    return s_migrate (self, path, version);
}

store_t *
store_new (const char *path)
{
    store_t *self = (store_t *) zmalloc (sizeof (store_t));
    if (!self)
        return NULL;
    self->idem = idem_new ();
    if (!self->idem || s_open_db (self, path)) {
        store_destroy (&self);
        return NULL;
    }
    for (int i = 0; i < Q_COUNT; i++)
        if (sqlite3_prepare_v3 (self->db, queries [i], -1, SQLITE_PREPARE_PERSISTENT,
                                &self->stmt [i], NULL) != SQLITE_OK) {
            s_fail (self, queries [i]);
            store_destroy (&self);
            return NULL;
        }
    if (store_idem_rebuild (self)) {
        store_destroy (&self);
        return NULL;
    }
    return self;
}

void
store_destroy (store_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    store_t *self = *self_p;
    if (self->in_transaction)
        store_rollback (self);
    for (int i = 0; i < Q_COUNT; i++)
        sqlite3_finalize (self->stmt [i]);
    if (self->db && sqlite3_close (self->db) != SQLITE_OK)
        zsys_error ("store: close: %s", sqlite3_errmsg (self->db));
    idem_destroy (&self->idem);
    free (self);
    *self_p = NULL;
}

sqlite3 *
store_db (store_t *self)
{
    return self->db;
}

bool
store_was_created (store_t *self)
{
    return self->created;
}

int
store_begin (store_t *self)
{
    assert (self);
    if (self->in_transaction)
        return 0;
    if (store_exec (self, "BEGIN IMMEDIATE"))
        return -1;
    self->in_transaction = true;
    self->failed = false;
    self->disk_full = false;
    return 0;
}

bool
store_disk_full (store_t *self)
{
    assert (self);
    return self->disk_full;
}

void
store_fail_batch (store_t *self)
{
    assert (self);
    if (self->in_transaction)
        self->failed = true;
}

bool
store_batch_failed (store_t *self)
{
    assert (self);
    return self->in_transaction && self->failed;
}

int
store_commit (store_t *self)
{
    assert (self);
    if (!self->in_transaction)
        return 0;
    if (self->failed) {
        zsys_error ("store: a write of this transaction failed: all of it is rolled back");
        store_rollback (self);
        return -1;
    }
    self->committing = true;
    int rc = store_exec (self, "COMMIT");
    self->committing = false;
    if (rc) {
        store_rollback (self);
        return -1;
    }
    self->in_transaction = false;
    return 0;
}

void
store_rollback (store_t *self)
{
    if (!self->in_transaction)
        return;
    self->in_transaction = false;
    self->failed = false;
    //  sqlite may already have rolled back by itself (some I/O errors).
    if (sqlite3_get_autocommit (self->db) == 0 && store_exec (self, "ROLLBACK"))
        zsys_error ("store: rollback failed: the broker cannot trust its state");
}

bool
store_in_transaction (store_t *self)
{
    return self->in_transaction;
}

//  Returns a reset statement ready for binding.
static sqlite3_stmt *
s_stmt (store_t *self, int query)
{
    sqlite3_stmt *stmt = self->stmt [query];
    sqlite3_reset (stmt);
    sqlite3_clear_bindings (stmt);
    return stmt;
}

//  Steps a statement that returns no rows.
static int
s_done (store_t *self, sqlite3_stmt *stmt, const char *what)
{
    int rc = sqlite3_step (stmt);
    sqlite3_reset (stmt);
    return rc == SQLITE_DONE? 0: s_fail (self, what);
}

//  First 8 bytes of SHA-256 over the sender key and message id: a node
//  cannot aim a collision at another node's messages.
static uint64_t
s_idem_key (const char *sender_key, const uint8_t message_id [16])
{
    uint8_t buf [64], digest [32];
    size_t len = strlen (sender_key);
    if (len > 40)
        len = 40;
    memcpy (buf, sender_key, len);
    memcpy (buf + len, message_id, 16);
    unsigned out = 0;
    if (EVP_Digest (buf, len + 16, digest, &out, EVP_sha256 (), NULL) != 1)
        return 0;
    uint64_t key = 0;
    for (int i = 0; i < 8; i++)
        key = (key << 8) | digest [i];
    return key;
}

//  Rebuilds the idempotency index from the messages that still hold
//  their content (purged ones are past any sensible retry).
int
store_idem_rebuild (store_t *self)
{
    idem_clear (self->idem);
    //  A half-built index would miss stored messages and let a retry be
    //  stored twice: until a rebuild succeeds, look-ups rebuild first.
    self->idem_stale = true;
    sqlite3_stmt *stmt = NULL;
    if (sqlite3_prepare_v2 (self->db, "SELECT idem, id FROM messages WHERE payload IS NOT NULL",
                            -1, &stmt, NULL) != SQLITE_OK)
        return s_fail (self, "idem rebuild");
    int rc;
    while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
        if (idem_put (self->idem, (uint64_t) sqlite3_column_int64 (stmt, 0),
                      sqlite3_column_int64 (stmt, 1))) {
            rc = SQLITE_NOMEM;
            break;
        }
    sqlite3_finalize (stmt);
    if (rc != SQLITE_DONE)
        return s_fail (self, "idem rebuild");
    self->idem_stale = false;
    return 0;
}

int
store_message_find (store_t *self, const char *sender_key, const uint8_t message_id [16],
                    uint8_t **result, size_t *result_size)
{
    if (self->idem_stale && store_idem_rebuild (self))
        return -1;
    int64_t rowid = idem_get (self->idem, s_idem_key (sender_key, message_id));
    if (!rowid)
        return 0;
    sqlite3_stmt *stmt = s_stmt (self, Q_FIND);
    sqlite3_bind_int64 (stmt, 1, rowid);
    int rc = sqlite3_step (stmt);
    if (rc != SQLITE_ROW) {
        sqlite3_reset (stmt);
        return rc == SQLITE_DONE? 0: s_fail (self, "find message");
    }
    //  The index is a hint: the row must be this sender's message.
    const char *key = (const char *) sqlite3_column_text (stmt, 1);
    bool same = key && streq (key, sender_key) && sqlite3_column_bytes (stmt, 2) == 16
             && memcmp (sqlite3_column_blob (stmt, 2), message_id, 16) == 0;
    size_t size = (size_t) sqlite3_column_bytes (stmt, 0);
    *result = same? (uint8_t *) malloc (size? size: 1): NULL;
    if (*result && size)
        memcpy (*result, sqlite3_column_blob (stmt, 0), size);
    *result_size = size;
    sqlite3_reset (stmt);
    if (!same)
        return 0;
    return *result? 1: -1;
}

int
store_message_insert (store_t *self, store_message_t *msg)
{
    assert (self && msg && msg->sender_key && msg->message_id && msg->sender_node);
    assert (self->in_transaction);
    sqlite3_stmt *stmt = s_stmt (self, Q_INSERT_MESSAGE);
    sqlite3_bind_text (stmt, 1, msg->sender_key, -1, SQLITE_STATIC);
    sqlite3_bind_blob (stmt, 2, msg->message_id, 16, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 3, msg->sender_node, -1, SQLITE_STATIC);
    sqlite3_bind_int (stmt, 4, msg->sender_agency);
    sqlite3_bind_int (stmt, 5, msg->kind);
    sqlite3_bind_int (stmt, 6, msg->acute);
    if (msg->subject_key)
        sqlite3_bind_blob (stmt, 7, msg->subject_key, 32, SQLITE_STATIC);
    sqlite3_bind_blob (stmt, 8, msg->payload, (int) msg->payload_size, SQLITE_STATIC);
    sqlite3_bind_int64 (stmt, 9, msg->created_ms);
    sqlite3_bind_int64 (stmt, 10, msg->expires_ms);
    if (msg->result)
        sqlite3_bind_blob (stmt, 11, msg->result, (int) msg->result_size, SQLITE_STATIC);
    uint64_t idem = s_idem_key (msg->sender_key, msg->message_id);
    sqlite3_bind_int64 (stmt, 12, (int64_t) idem);
    if (s_done (self, stmt, "insert message"))
        return -1;
    msg->message = sqlite3_last_insert_rowid (self->db);
    if (idem_put (self->idem, idem, msg->message))
        return -1;
    return 0;
}

int64_t
store_outbox_insert (store_t *self, int64_t message, const char *node, int agency,
                     int view, const char *rule, const char *basis, const char *reason,
                     uint32_t classes)
{
    assert (self && node && rule && basis && reason);
    assert (self->in_transaction);
    sqlite3_stmt *stmt = s_stmt (self, Q_INSERT_OUTBOX);
    sqlite3_bind_int64 (stmt, 1, message);
    sqlite3_bind_text (stmt, 2, node, -1, SQLITE_STATIC);
    sqlite3_bind_int (stmt, 3, agency);
    sqlite3_bind_int (stmt, 4, view);
    sqlite3_bind_text (stmt, 5, rule, -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 6, basis, -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 7, reason, -1, SQLITE_STATIC);
    sqlite3_bind_int64 (stmt, 8, classes);
    if (s_done (self, stmt, "insert outbox"))
        return -1;
    return sqlite3_last_insert_rowid (self->db);
}

static void
s_copy_text (char *dest, size_t size, const unsigned char *text)
{
    snprintf (dest, size, "%s", text? (const char *) text: "");
}

static void s_read_delivery (sqlite3_stmt *stmt, store_delivery_t *out);

//  Steps a delivery query, calling fn per row until it returns non-zero.
static int
s_each_delivery (store_t *self, sqlite3_stmt *stmt, store_delivery_fn *fn, void *arg,
                 const char *what)
{
    int rc, count = 0;
    while ((rc = sqlite3_step (stmt)) == SQLITE_ROW) {
        store_delivery_t d;
        s_read_delivery (stmt, &d);
        count++;
        if (fn (&d, arg))
            break;
    }
    sqlite3_reset (stmt);
    return rc == SQLITE_ROW || rc == SQLITE_DONE? count: s_fail (self, what);
}

int
store_outbox_pending (store_t *self, const char *node, int limit,
                      store_delivery_fn *fn, void *arg)
{
    sqlite3_stmt *stmt = s_stmt (self, Q_PENDING);
    sqlite3_bind_text (stmt, 1, node, -1, SQLITE_STATIC);
    sqlite3_bind_int (stmt, 2, limit);
    return s_each_delivery (self, stmt, fn, arg, "read outbox");
}

static void
s_read_delivery (sqlite3_stmt *stmt, store_delivery_t *out)
{
    store_delivery_t d;
    memset (&d, 0, sizeof d);
    d.delivery_id = sqlite3_column_int64 (stmt, 0);
    d.message = sqlite3_column_int64 (stmt, 1);
    if (sqlite3_column_bytes (stmt, 2) == 16)
        memcpy (d.message_id, sqlite3_column_blob (stmt, 2), 16);
    s_copy_text (d.sender_node, sizeof d.sender_node, sqlite3_column_text (stmt, 3));
    d.sender_agency = sqlite3_column_int (stmt, 4);
    d.kind = sqlite3_column_int (stmt, 5);
    d.acute = sqlite3_column_int (stmt, 6);
    d.agency = sqlite3_column_int (stmt, 7);
    d.view = sqlite3_column_int (stmt, 8);
    s_copy_text (d.rule, sizeof d.rule, sqlite3_column_text (stmt, 9));
    s_copy_text (d.basis, sizeof d.basis, sqlite3_column_text (stmt, 10));
    s_copy_text (d.reason, sizeof d.reason, sqlite3_column_text (stmt, 11));
    d.attempts = sqlite3_column_int (stmt, 12);
    d.created_ms = sqlite3_column_int64 (stmt, 13);
    d.payload = sqlite3_column_blob (stmt, 14);
    d.payload_size = (size_t) sqlite3_column_bytes (stmt, 14);
    d.subject_key = sqlite3_column_bytes (stmt, 15) == 32? sqlite3_column_blob (stmt, 15): NULL;
    d.classes = (uint32_t) sqlite3_column_int64 (stmt, 16);
    if (sqlite3_column_count (stmt) > 17)
        s_copy_text (d.node, sizeof d.node, sqlite3_column_text (stmt, 17));
    if (sqlite3_column_count (stmt) > 18)
        s_copy_text (d.sender_key, sizeof d.sender_key, sqlite3_column_text (stmt, 18));
    *out = d;
}

int
store_outbox_for_subject (store_t *self, const uint8_t subject_key [32],
                          store_delivery_fn *fn, void *arg)
{
    sqlite3_stmt *stmt = s_stmt (self, Q_SUBJECT_PENDING);
    sqlite3_bind_blob (stmt, 1, subject_key, 32, SQLITE_STATIC);
    return s_each_delivery (self, stmt, fn, arg, "subject outbox");
}

int
store_outbox_redecide (store_t *self, int64_t delivery_id, int view, const char *rule,
                       const char *basis, const char *reason, uint32_t classes)
{
    sqlite3_stmt *stmt = s_stmt (self, Q_REDECIDE);
    sqlite3_bind_int64 (stmt, 1, delivery_id);
    sqlite3_bind_int (stmt, 2, view);
    sqlite3_bind_text (stmt, 3, rule, -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 4, basis, -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 5, reason, -1, SQLITE_STATIC);
    sqlite3_bind_int64 (stmt, 6, classes);
    return s_done (self, stmt, "redecide");
}

int
store_outbox_identified_nodes (store_t *self, const uint8_t subject_key [32],
                               void (*fn) (const char *node, void *arg), void *arg)
{
    sqlite3_stmt *stmt = s_stmt (self, Q_SUBJECT_RECEIVED);
    sqlite3_bind_blob (stmt, 1, subject_key, 32, SQLITE_STATIC);
    int rc;
    while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
        fn ((const char *) sqlite3_column_text (stmt, 0), arg);
    sqlite3_reset (stmt);
    return rc == SQLITE_DONE? 0: s_fail (self, "identified nodes");
}

int
store_outbox_mark_sent (store_t *self, int64_t delivery_id, int64_t now_ms)
{
    sqlite3_stmt *stmt = s_stmt (self, Q_MARK_SENT);
    sqlite3_bind_int64 (stmt, 1, delivery_id);
    sqlite3_bind_int64 (stmt, 2, now_ms);
    return s_done (self, stmt, "mark sent");
}

int
store_outbox_mark_shown (store_t *self, int64_t delivery_id, int64_t now_ms)
{
    sqlite3_stmt *stmt = s_stmt (self, Q_MARK_SHOWN);
    sqlite3_bind_int64 (stmt, 1, delivery_id);
    sqlite3_bind_int64 (stmt, 2, now_ms);
    return s_done (self, stmt, "mark shown");
}

int
store_outbox_receipt (store_t *self, int64_t delivery_id, const char *node,
                      int state, int64_t now_ms)
{
    assert (self && node && self->in_transaction);
    assert (state == OUTBOX_RECEIVED || state == OUTBOX_READ);
    sqlite3_stmt *stmt = s_stmt (self, Q_STATE);
    sqlite3_bind_int64 (stmt, 1, delivery_id);
    sqlite3_bind_text (stmt, 2, node, -1, SQLITE_STATIC);
    int rc = sqlite3_step (stmt);
    int before = rc == SQLITE_ROW? sqlite3_column_int (stmt, 0): -1;
    int attempts = rc == SQLITE_ROW? sqlite3_column_int (stmt, 1): 0;
    int64_t sent_ms = rc == SQLITE_ROW? sqlite3_column_int64 (stmt, 2): 0;
    sqlite3_reset (stmt);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return s_fail (self, "receipt state");
    if (before < 0 || before > OUTBOX_READ)
        return 0;
    //  Never handed over, by a Deliver or in an inbox answer: the node
    //  cannot have it (a guessed number, or one from a broker since
    //  restored, given out again). Marked received, it would never be
    //  delivered.
    if (before == OUTBOX_PENDING && attempts == 0 && sent_ms == 0)
        return 0;
    stmt = s_stmt (self, Q_RECEIPT);
    sqlite3_bind_int64 (stmt, 1, delivery_id);
    sqlite3_bind_text (stmt, 2, node, -1, SQLITE_STATIC);
    sqlite3_bind_int (stmt, 3, state);
    sqlite3_bind_int64 (stmt, 4, now_ms);
    if (s_done (self, stmt, "receipt"))
        return -1;
    return before <= OUTBOX_INFLIGHT? 2: 1;
}

int
store_outbox_requeue_node (store_t *self, const char *node)
{
    sqlite3_stmt *stmt = s_stmt (self, Q_REQUEUE_NODE);
    sqlite3_bind_text (stmt, 1, node, -1, SQLITE_STATIC);
    if (s_done (self, stmt, "requeue node"))
        return -1;
    return sqlite3_changes (self->db);
}

int
store_outbox_requeue_overdue (store_t *self, int64_t cutoff_ms,
                              void (*fn) (const char *node, void *arg), void *arg)
{
    sqlite3_stmt *stmt = s_stmt (self, Q_OVERDUE_NODES);
    sqlite3_bind_int64 (stmt, 1, cutoff_ms);
    int rc;
    while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
        fn ((const char *) sqlite3_column_text (stmt, 0), arg);
    sqlite3_reset (stmt);
    if (rc != SQLITE_DONE)
        return s_fail (self, "overdue nodes");
    stmt = s_stmt (self, Q_REQUEUE_OVERDUE);
    sqlite3_bind_int64 (stmt, 1, cutoff_ms);
    if (s_done (self, stmt, "requeue overdue"))
        return -1;
    return sqlite3_changes (self->db);
}

int
store_outbox_counts (store_t *self, void (*fn) (const char *node, int count, void *arg),
                     void *arg)
{
    sqlite3_stmt *stmt = s_stmt (self, Q_COUNTS);
    int rc;
    while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
        fn ((const char *) sqlite3_column_text (stmt, 0), sqlite3_column_int (stmt, 1), arg);
    sqlite3_reset (stmt);
    return rc == SQLITE_DONE? 0: s_fail (self, "outbox counts");
}

int
store_subscription_get (store_t *self, const char *node, uint32_t *kinds,
                        int *min_urgency, int *min_level)
{
    sqlite3_stmt *stmt = s_stmt (self, Q_SUB_GET);
    sqlite3_bind_text (stmt, 1, node, -1, SQLITE_STATIC);
    int rc = sqlite3_step (stmt);
    if (rc == SQLITE_ROW) {
        *kinds = (uint32_t) sqlite3_column_int64 (stmt, 0);
        *min_urgency = sqlite3_column_int (stmt, 1);
        *min_level = sqlite3_column_int (stmt, 2);
    }
    sqlite3_reset (stmt);
    return rc == SQLITE_ROW? 1: rc == SQLITE_DONE? 0: s_fail (self, "subscription");
}

int
store_subscription_set (store_t *self, const char *node, uint32_t kinds,
                        int min_urgency, int min_level)
{
    sqlite3_stmt *stmt = s_stmt (self, Q_SUB_SET);
    sqlite3_bind_text (stmt, 1, node, -1, SQLITE_STATIC);
    sqlite3_bind_int64 (stmt, 2, kinds);
    sqlite3_bind_int (stmt, 3, min_urgency);
    sqlite3_bind_int (stmt, 4, min_level);
    return s_done (self, stmt, "set subscription");
}

int
store_meta_get_int (store_t *self, const char *key, int64_t *value)
{
    sqlite3_stmt *stmt = s_stmt (self, Q_META_GET);
    sqlite3_bind_text (stmt, 1, key, -1, SQLITE_STATIC);
    int rc = sqlite3_step (stmt);
    if (rc == SQLITE_ROW)
        *value = sqlite3_column_int64 (stmt, 0);
    sqlite3_reset (stmt);
    return rc == SQLITE_ROW? 1: rc == SQLITE_DONE? 0: s_fail (self, "meta");
}

int
store_meta_set_int (store_t *self, const char *key, int64_t value)
{
    sqlite3_stmt *stmt = s_stmt (self, Q_META_SET);
    sqlite3_bind_text (stmt, 1, key, -1, SQLITE_STATIC);
    sqlite3_bind_int64 (stmt, 2, value);
    return s_done (self, stmt, "set meta");
}

int
store_outbox_inflight (store_t *self, const char *node)
{
    sqlite3_stmt *stmt = s_stmt (self, Q_INFLIGHT);
    sqlite3_bind_text (stmt, 1, node, -1, SQLITE_STATIC);
    int rc = sqlite3_step (stmt);
    int count = rc == SQLITE_ROW? sqlite3_column_int (stmt, 0): -1;
    sqlite3_reset (stmt);
    return count < 0? s_fail (self, "inflight"): count;
}

int
store_purge_due (store_t *self, int kind, int64_t cutoff_ms, int limit,
                 int (*fn) (int64_t message, const uint8_t *message_id,
                            const uint8_t *subject_key, void *arg), void *arg)
{
    sqlite3_stmt *stmt = NULL;
    if (sqlite3_prepare_v2 (self->db, "SELECT id, message_id, subject_key FROM messages"
                            " INDEXED BY messages_live"
                            " WHERE created_ms < ?2 AND payload IS NOT NULL AND kind = ?1"
                            " ORDER BY created_ms LIMIT ?3", -1, &stmt, NULL) != SQLITE_OK)
        return s_fail (self, "purge select");
    sqlite3_bind_int (stmt, 1, kind);
    sqlite3_bind_int64 (stmt, 2, cutoff_ms);
    sqlite3_bind_int (stmt, 3, limit);
    int rc = SQLITE_DONE, count = 0;
    //  Collect first: the callback writes to the same table.
    int64_t ids [256];
    uint8_t mids [256][16], keys [256][32];
    bool has_key [256];
    while (count < 256 && count < limit && (rc = sqlite3_step (stmt)) == SQLITE_ROW) {
        ids [count] = sqlite3_column_int64 (stmt, 0);
        memset (mids [count], 0, 16);
        if (sqlite3_column_bytes (stmt, 1) == 16)
            memcpy (mids [count], sqlite3_column_blob (stmt, 1), 16);
        has_key [count] = sqlite3_column_bytes (stmt, 2) == 32;
        if (has_key [count])
            memcpy (keys [count], sqlite3_column_blob (stmt, 2), 32);
        count++;
    }
    sqlite3_finalize (stmt);
    //  A read error is not "nothing due": the caller fails the batch.
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return s_fail (self, "purge select");
    for (int i = 0; i < count; i++)
        if (fn (ids [i], mids [i], has_key [i]? keys [i]: NULL, arg))
            return -1;
    return count;
}

int
store_purge_message (store_t *self, int64_t message)
{
    assert (self && self->in_transaction);
    char sql [200];
    snprintf (sql, sizeof sql,
              "UPDATE messages SET payload = NULL WHERE id = %" PRId64 ";"
              "UPDATE outbox SET state = 4 WHERE message = %" PRId64 " AND state IN (0, 1);",
              message, message);
    return store_exec (self, sql);
}

int
store_each_payload (store_t *self, int64_t after, int limit,
                    int (*fn) (int64_t message, const uint8_t *message_id,
                               const uint8_t *payload, size_t size, void *arg), void *arg)
{
    sqlite3_stmt *stmt = NULL;
    if (sqlite3_prepare_v2 (self->db, "SELECT id, message_id, payload FROM messages"
                            " WHERE id > ?1 AND payload IS NOT NULL ORDER BY id LIMIT ?2",
                            -1, &stmt, NULL) != SQLITE_OK)
        return s_fail (self, "each payload");
    sqlite3_bind_int64 (stmt, 1, after);
    sqlite3_bind_int (stmt, 2, limit);
    int rc, count = 0;
    while ((rc = sqlite3_step (stmt)) == SQLITE_ROW) {
        count++;
        if (sqlite3_column_bytes (stmt, 1) != 16)
            continue;
        if (fn (sqlite3_column_int64 (stmt, 0), (const uint8_t *) sqlite3_column_blob (stmt, 1),
                (const uint8_t *) sqlite3_column_blob (stmt, 2),
                (size_t) sqlite3_column_bytes (stmt, 2), arg))
            break;
    }
    sqlite3_finalize (stmt);
    return rc == SQLITE_ROW || rc == SQLITE_DONE? count: s_fail (self, "each payload");
}

int
store_set_payload (store_t *self, int64_t message, const void *payload, size_t size)
{
    sqlite3_stmt *stmt = NULL;
    if (sqlite3_prepare_v2 (self->db, "UPDATE messages SET payload = ?2 WHERE id = ?1",
                            -1, &stmt, NULL) != SQLITE_OK)
        return s_fail (self, "set payload");
    sqlite3_bind_int64 (stmt, 1, message);
    sqlite3_bind_blob (stmt, 2, payload, (int) size, SQLITE_STATIC);
    int rc = sqlite3_step (stmt);
    sqlite3_finalize (stmt);
    return rc == SQLITE_DONE? 0: s_fail (self, "set payload");
}

int
store_checkpoint (store_t *self)
{
    return store_exec (self, "PRAGMA wal_checkpoint(TRUNCATE);");
}

//  One broker per store: an advisory lock beside the database, held for
//  the process's life. Offline tools that write take the same lock.
int
store_lock (const char *path)
{
    char lock [1024];
    snprintf (lock, sizeof lock, "%s.lock", path);
    int fd = open (lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0)
        return -1;
    if (flock (fd, LOCK_EX | LOCK_NB)) {
        close (fd);
        return -1;
    }
    return fd;
}

//  ---------------------------------------------------------------------
//  Workflow: message status, expiry, dead letters, timers, inbox.

static const char *workflow_schema =
    "CREATE TABLE IF NOT EXISTS timers ("
    "  id INTEGER PRIMARY KEY, kind TEXT NOT NULL, key BLOB NOT NULL,"
    "  message INTEGER NOT NULL DEFAULT 0, due_ms INTEGER NOT NULL,"
    "  every_ms INTEGER NOT NULL DEFAULT 0, fired INTEGER NOT NULL DEFAULT 0,"
    "  UNIQUE (kind, key));"
    "CREATE INDEX IF NOT EXISTS timers_due ON timers (due_ms);";

int
store_workflow_init (store_t *self)
{
    return store_exec (self, workflow_schema);
}

#define INFO_COLUMNS \
    "id, kind, created_ms, expires_ms, sender_node, sender_key, acute, subject_key, message_id"

//  One message's row as store_message_info_t; 1 found, 0 not, -1 error.
static int
s_message_info (store_t *self, sqlite3_stmt *stmt, store_message_info_t *info)
{
    int rc = sqlite3_step (stmt);
    if (rc == SQLITE_ROW) {
        memset (info, 0, sizeof *info);
        info->message = sqlite3_column_int64 (stmt, 0);
        info->kind = sqlite3_column_int (stmt, 1);
        info->created_ms = sqlite3_column_int64 (stmt, 2);
        info->expires_ms = sqlite3_column_int64 (stmt, 3);
        s_copy_text (info->sender_node, sizeof info->sender_node, sqlite3_column_text (stmt, 4));
        s_copy_text (info->sender_key, sizeof info->sender_key, sqlite3_column_text (stmt, 5));
        info->acute = sqlite3_column_int (stmt, 6);
        info->has_subject = sqlite3_column_bytes (stmt, 7) == 32;
        if (info->has_subject)
            memcpy (info->subject_key, sqlite3_column_blob (stmt, 7), 32);
        if (sqlite3_column_bytes (stmt, 8) == 16)
            memcpy (info->message_id, sqlite3_column_blob (stmt, 8), 16);
    }
    sqlite3_finalize (stmt);
    return rc == SQLITE_ROW? 1: rc == SQLITE_DONE? 0: s_fail (self, "message info");
}

int
store_message_by_row (store_t *self, int64_t message, store_message_info_t *info)
{
    sqlite3_stmt *stmt = NULL;
    if (sqlite3_prepare_v2 (self->db, "SELECT " INFO_COLUMNS " FROM messages WHERE id = ?1",
                            -1, &stmt, NULL) != SQLITE_OK)
        return s_fail (self, "message by row");
    sqlite3_bind_int64 (stmt, 1, message);
    return s_message_info (self, stmt, info);
}

int
store_message_lookup (store_t *self, const char *sender_key, const uint8_t message_id [16],
                      store_message_info_t *info)
{
    if (sender_key) {
        if (self->idem_stale && store_idem_rebuild (self))
            return -1;
        //  A sender's own message: the idempotency index has its row.
        int64_t rowid = idem_get (self->idem, s_idem_key (sender_key, message_id));
        int found = rowid? store_message_by_row (self, rowid, info): 0;
        if (found != 1)
            return found;
        return streq (info->sender_key, sender_key)
            && memcmp (info->message_id, message_id, 16) == 0? 1: 0;
    }
    //  By id alone (an admin's question): rare, so a scan is acceptable.
    sqlite3_stmt *stmt = NULL;
    if (sqlite3_prepare_v2 (self->db, "SELECT " INFO_COLUMNS " FROM messages WHERE message_id = ?1",
                            -1, &stmt, NULL) != SQLITE_OK)
        return s_fail (self, "message lookup");
    sqlite3_bind_blob (stmt, 1, message_id, 16, SQLITE_STATIC);
    return s_message_info (self, stmt, info);
}

int
store_outbox_of_message (store_t *self, int64_t message,
                         int (*fn) (const store_entry_t *entry, void *arg), void *arg)
{
    sqlite3_stmt *stmt = NULL;
    if (sqlite3_prepare_v2 (self->db, "SELECT id, node, agency, view, state, attempts, sent_ms,"
                            " received_ms, read_ms FROM outbox WHERE message = ?1 ORDER BY id",
                            -1, &stmt, NULL) != SQLITE_OK)
        return s_fail (self, "outbox of message");
    sqlite3_bind_int64 (stmt, 1, message);
    int rc, count = 0;
    while ((rc = sqlite3_step (stmt)) == SQLITE_ROW) {
        store_entry_t e;
        memset (&e, 0, sizeof e);
        e.delivery_id = sqlite3_column_int64 (stmt, 0);
        s_copy_text (e.node, sizeof e.node, sqlite3_column_text (stmt, 1));
        e.agency = sqlite3_column_int (stmt, 2);
        e.view = sqlite3_column_int (stmt, 3);
        e.state = sqlite3_column_int (stmt, 4);
        e.attempts = sqlite3_column_int (stmt, 5);
        e.sent_ms = sqlite3_column_int64 (stmt, 6);
        e.received_ms = sqlite3_column_int64 (stmt, 7);
        e.read_ms = sqlite3_column_int64 (stmt, 8);
        e.message = message;
        count++;
        if (fn (&e, arg))
            break;
    }
    sqlite3_finalize (stmt);
    return rc == SQLITE_ROW || rc == SQLITE_DONE? count: s_fail (self, "outbox of message");
}

int
store_message_of_delivery (store_t *self, int64_t delivery_id, int64_t *message)
{
    sqlite3_stmt *stmt = NULL;
    if (sqlite3_prepare_v2 (self->db, "SELECT message FROM outbox WHERE id = ?1",
                            -1, &stmt, NULL) != SQLITE_OK)
        return s_fail (self, "message of delivery");
    sqlite3_bind_int64 (stmt, 1, delivery_id);
    int rc = sqlite3_step (stmt);
    if (rc == SQLITE_ROW)
        *message = sqlite3_column_int64 (stmt, 0);
    sqlite3_finalize (stmt);
    return rc == SQLITE_ROW? 1: rc == SQLITE_DONE? 0: s_fail (self, "message of delivery");
}

//  Entries in a state range, joined with their message; used for expiry
//  (state 0-1, expires < now), dead letters (state 5), inboxes.
int
store_entries_where (store_t *self, const char *where, int64_t a, int64_t b, const char *node,
                     int limit, store_delivery_fn *fn, void *arg)
{
    char sql [1024];
    snprintf (sql, sizeof sql,
        "SELECT o.id, o.message, m.message_id, m.sender_node, m.sender_agency, m.kind,"
        " m.acute, o.agency, o.view, o.rule, o.basis, o.reason, o.attempts, m.created_ms,"
        " m.payload, m.subject_key, o.classes, o.node, m.sender_key"
        " FROM outbox o JOIN messages m ON m.id = o.message WHERE %s ORDER BY o.id LIMIT ?3",
        where);
    sqlite3_stmt *stmt = NULL;
    if (sqlite3_prepare_v2 (self->db, sql, -1, &stmt, NULL) != SQLITE_OK)
        return s_fail (self, "entries where");
    sqlite3_bind_int64 (stmt, 1, a);
    if (node)
        sqlite3_bind_text (stmt, 2, node, -1, SQLITE_STATIC);
    sqlite3_bind_int (stmt, 3, limit);
    if (sqlite3_bind_parameter_count (stmt) >= 4)
        sqlite3_bind_int64 (stmt, 4, b);
    int count = s_each_delivery (self, stmt, fn, arg, "entries where");
    sqlite3_finalize (stmt);
    return count;
}

int
store_outbox_set_state (store_t *self, int64_t delivery_id, int state, bool reset_attempts)
{
    assert (self && self->in_transaction);
    assert (state >= OUTBOX_PENDING && state <= OUTBOX_WITHDRAWN);
    char sql [160];
    snprintf (sql, sizeof sql, "UPDATE outbox SET state = %d%s WHERE id = %" PRId64,
              state, reset_attempts? ", attempts = 0": "", delivery_id);
    return store_exec (self, sql);
}

int
store_message_any_read (store_t *self, int64_t message)
{
    sqlite3_stmt *stmt = NULL;
    if (sqlite3_prepare_v2 (self->db, "SELECT 1 FROM outbox WHERE message = ?1 AND state = 3 LIMIT 1",
                            -1, &stmt, NULL) != SQLITE_OK)
        return s_fail (self, "any read");
    sqlite3_bind_int64 (stmt, 1, message);
    int rc = sqlite3_step (stmt);
    sqlite3_finalize (stmt);
    return rc == SQLITE_ROW? 1: rc == SQLITE_DONE? 0: s_fail (self, "any read");
}

int
store_timer_set (store_t *self, const char *kind, const void *key, size_t key_size,
                 int64_t message, int64_t due_ms, int64_t every_ms)
{
    sqlite3_stmt *stmt = NULL;
    if (sqlite3_prepare_v2 (self->db,
            "INSERT INTO timers (kind, key, message, due_ms, every_ms, fired) VALUES (?1, ?2, ?3, ?4, ?5, 0)"
            " ON CONFLICT (kind, key) DO UPDATE SET message = ?3, due_ms = ?4, every_ms = ?5, fired = 0",
            -1, &stmt, NULL) != SQLITE_OK)
        return s_fail (self, "timer set");
    sqlite3_bind_text (stmt, 1, kind, -1, SQLITE_STATIC);
    sqlite3_bind_blob (stmt, 2, key, (int) key_size, SQLITE_STATIC);
    sqlite3_bind_int64 (stmt, 3, message);
    sqlite3_bind_int64 (stmt, 4, due_ms);
    sqlite3_bind_int64 (stmt, 5, every_ms);
    int rc = sqlite3_step (stmt);
    sqlite3_finalize (stmt);
    return rc == SQLITE_DONE? 0: s_fail (self, "timer set");
}

int
store_timer_cancel (store_t *self, const char *kind, const void *key, size_t key_size)
{
    sqlite3_stmt *stmt = NULL;
    if (sqlite3_prepare_v2 (self->db, "DELETE FROM timers WHERE kind = ?1 AND key = ?2",
                            -1, &stmt, NULL) != SQLITE_OK)
        return s_fail (self, "timer cancel");
    sqlite3_bind_text (stmt, 1, kind, -1, SQLITE_STATIC);
    sqlite3_bind_blob (stmt, 2, key, (int) key_size, SQLITE_STATIC);
    int rc = sqlite3_step (stmt);
    sqlite3_finalize (stmt);
    return rc == SQLITE_DONE? 0: s_fail (self, "timer cancel");
}

int
store_timers_due (store_t *self, int64_t now_ms, store_timer_t *out, int max)
{
    sqlite3_stmt *stmt = NULL;
    if (sqlite3_prepare_v2 (self->db, "SELECT id, kind, key, message, due_ms, every_ms, fired"
                            " FROM timers WHERE due_ms <= ?1 ORDER BY due_ms LIMIT ?2",
                            -1, &stmt, NULL) != SQLITE_OK)
        return s_fail (self, "timers due");
    sqlite3_bind_int64 (stmt, 1, now_ms);
    sqlite3_bind_int (stmt, 2, max);
    int rc = SQLITE_DONE, n = 0;
    while (n < max && (rc = sqlite3_step (stmt)) == SQLITE_ROW) {
        store_timer_t *t = &out [n++];
        memset (t, 0, sizeof *t);
        t->id = sqlite3_column_int64 (stmt, 0);
        s_copy_text (t->kind, sizeof t->kind, sqlite3_column_text (stmt, 1));
        t->key_size = (size_t) sqlite3_column_bytes (stmt, 2);
        if (t->key_size > sizeof t->key)
            t->key_size = sizeof t->key;
        memcpy (t->key, sqlite3_column_blob (stmt, 2), t->key_size);
        t->message = sqlite3_column_int64 (stmt, 3);
        t->due_ms = sqlite3_column_int64 (stmt, 4);
        t->every_ms = sqlite3_column_int64 (stmt, 5);
        t->fired = sqlite3_column_int (stmt, 6);
    }
    sqlite3_finalize (stmt);
    return rc == SQLITE_ROW || rc == SQLITE_DONE? n: s_fail (self, "timers due");
}

int
store_timer_reschedule (store_t *self, int64_t id, int64_t due_ms, int fired)
{
    char sql [160];
    if (due_ms < 0)
        snprintf (sql, sizeof sql, "DELETE FROM timers WHERE id = %" PRId64, id);
    else
        snprintf (sql, sizeof sql, "UPDATE timers SET due_ms = %" PRId64 ", fired = %d WHERE id = %"
                  PRId64, due_ms, fired, id);
    return store_exec (self, sql);
}

int
store_timer_postpone (store_t *self, const char *kind, const void *key, size_t key_size,
                      int64_t due_ms)
{
    sqlite3_stmt *stmt = NULL;
    if (sqlite3_prepare_v2 (self->db, "UPDATE timers SET due_ms = ?3, fired = 0"
                            " WHERE kind = ?1 AND key = ?2", -1, &stmt, NULL) != SQLITE_OK)
        return s_fail (self, "timer postpone");
    sqlite3_bind_text (stmt, 1, kind, -1, SQLITE_STATIC);
    sqlite3_bind_blob (stmt, 2, key, (int) key_size, SQLITE_STATIC);
    sqlite3_bind_int64 (stmt, 3, due_ms);
    int rc = sqlite3_step (stmt);
    sqlite3_finalize (stmt);
    return rc == SQLITE_DONE? sqlite3_changes (self->db): s_fail (self, "timer postpone");
}

int
store_subscription_clear (store_t *self, const char *node)
{
    sqlite3_stmt *stmt = NULL;
    if (sqlite3_prepare_v2 (self->db, "DELETE FROM subscriptions WHERE node = ?1",
                            -1, &stmt, NULL) != SQLITE_OK)
        return s_fail (self, "clear subscription");
    sqlite3_bind_text (stmt, 1, node, -1, SQLITE_STATIC);
    int rc = sqlite3_step (stmt);
    sqlite3_finalize (stmt);
    return rc == SQLITE_DONE? 0: s_fail (self, "clear subscription");
}

int
store_outbox_count_from (store_t *self, const char *node, const char *sender_key)
{
    sqlite3_stmt *stmt = NULL;
    if (sqlite3_prepare_v2 (self->db,
            "SELECT count(*) FROM outbox o JOIN messages m ON m.id = o.message"
            " WHERE o.node = ?1 AND o.state IN (0, 1) AND m.sender_key = ?2",
            -1, &stmt, NULL) != SQLITE_OK)
        return s_fail (self, "count sender backlog");
    sqlite3_bind_text (stmt, 1, node, -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 2, sender_key, -1, SQLITE_STATIC);
    int rc = sqlite3_step (stmt);
    int count = rc == SQLITE_ROW? sqlite3_column_int (stmt, 0): -1;
    sqlite3_finalize (stmt);
    return count < 0? s_fail (self, "count sender backlog"): count;
}
