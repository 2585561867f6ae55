/*  store — sqlite persistence. See store.h.                                 */
#include "store.h"
#include <czmq.h>
#include <sys/file.h>
#include <openssl/evp.h>
#include "idem.h"
#include "store_db.h"

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
    [Q_FIND] = "SELECT result, sender_key, message_id, kind, sender_agency FROM messages WHERE id = ?1",
    [Q_INSERT_MESSAGE] =
        "INSERT INTO messages (sender_key, message_id, sender_node, sender_agency, kind,"
        " acute, subject_key, payload, created_ms, expires_ms, result, idem)"
        " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12) RETURNING id",
    [Q_INSERT_OUTBOX] =
        "INSERT INTO outbox (message, node, agency, view, rule, basis, reason, classes)"
        " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) RETURNING id",
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
        "UPDATE outbox SET state = CASE WHEN state > ?3 THEN state ELSE ?3 END,"
        " received_ms = CASE WHEN received_ms = 0 THEN ?4 ELSE received_ms END,"
        " read_ms = CASE WHEN CAST (?3 AS BIGINT) = 3 AND read_ms = 0 THEN ?4 ELSE read_ms END"
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
        " state = CASE WHEN CAST (?2 AS BIGINT) = 4 THEN 6 ELSE 0 END WHERE id = ?1 AND state IN (0, 1)",
    [Q_SUBJECT_RECEIVED] =
        "SELECT DISTINCT o.node, o.agency FROM outbox o JOIN messages m ON m.id = o.message"
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

static int s_fail (store_t *self, const char *what);

struct _store_t {
    idem_t       *idem;           //  (sender, message id) -> row, in memory
    sdb_t        *db;
    sdb_stmt_t   *stmt [Q_COUNT];
    bool          in_transaction;
    bool          failed;         //  a statement of the open transaction failed
    bool          disk_full;      //  ... and it failed because the disk is full
    bool          idem_stale;     //  a rebuild failed: the index may miss rows
    bool          created;
    bool          readonly;
};

//  Every failure inside a transaction fails the transaction: a caller
//  that forgets a result cannot commit half a batch.
int
store_fail (store_t *self, const char *what)
{
    return s_fail (self, what);
}

static int
s_fail (store_t *self, const char *what)
{
    bool full = sdb_disk_full (self->db);
    zsys_error ("store: %s: %s%s", what, sdb_errmsg (self->db), full? " (disk full)": "");
    if (self->in_transaction)
        self->failed = true;
    if (full)
        self->disk_full = true;
    return -1;
}

int
store_exec (store_t *self, const char *sql)
{
    assert (self && sql);
    if (sdb_exec (self->db, sql) != SDB_OK) {
        bool full = sdb_disk_full (self->db);
        zsys_error ("store: %s%s", sdb_errmsg (self->db), full? " (disk full)": "");
        if (self->in_transaction)
            self->failed = true;
        if (full)
            self->disk_full = true;
        return -1;
    }
    return 0;
}

//  The backend found the transaction ended under us (sqlite rolled back
//  by itself on an I/O error, or a statement would have committed on its
//  own): the whole batch has failed.
static void
s_lost_transaction (void *arg)
{
    store_t *self = (store_t *) arg;
    if (self->in_transaction)
        self->failed = true;
}

//  The schema's version (sqlite's PRAGMA user_version; a one-row table in
//  PostgreSQL). A store made by a newer samhandd is refused (it may hold
//  what this one does not understand); an older one is brought up to date
//  by the numbered migrations below, in one transaction. Migration N
//  takes version N-1 to N; version 1 is the schema as it was when
//  versions began (created by the schemas in store*.c, audit.c and
//  registry.c). Migrations are written in the SQL both backends accept
//  (see store_db.h).
//  The registry's consents table is made by registry_new, after the store
//  is open: a migration that changes it creates it first as it was at
//  version 1 (a new store), so the registry's CREATE finds it made.
#define CONSENTS_V1 \
    "CREATE TABLE IF NOT EXISTS consents (" \
    "  id TEXT PRIMARY KEY, subject_key BLOB NOT NULL, agencies INTEGER NOT NULL," \
    "  classes INTEGER NOT NULL, purposes TEXT NOT NULL, valid_from INTEGER NOT NULL," \
    "  valid_until INTEGER NOT NULL, form INTEGER NOT NULL, capacity_by TEXT NOT NULL," \
    "  capacity_at INTEGER NOT NULL, recorded_by TEXT NOT NULL, recorded_at INTEGER NOT NULL," \
    "  withdrawn_at INTEGER NOT NULL DEFAULT 0, withdrawn_by TEXT NOT NULL DEFAULT '');"
#define STORE_SCHEMA_VERSION 3
static const char *migrations [STORE_SCHEMA_VERSION + 1] = {
    NULL,
    "",                     //  1: nothing to change, only the version stamped
    //  2: who assessed a person's capacity to consent, sealed (consent.c);
    //  rows from before keep it in capacity_by, in clear, and are read so.
    CONSENTS_V1
    "ALTER TABLE consents ADD COLUMN capacity_sealed BLOB;",
    //  3: the agency that recorded a consent, as it was then (who may see
    //  the consent). -1: recorded before, filled in once at start from the
    //  recording node's agency then (consent_start).
    "ALTER TABLE consents ADD COLUMN recorded_agency INTEGER NOT NULL DEFAULT -1;"
};

static int
s_migrate (store_t *self, const char *path, int version)
{
    if (version == STORE_SCHEMA_VERSION)
        return 0;
    if (sdb_begin (self->db))
        return s_fail (self, "begin upgrade");
    for (int step = version + 1; step <= STORE_SCHEMA_VERSION; step++)
        if (*migrations [step] && store_exec (self, migrations [step])) {
            if (sdb_rollback (self->db))
                zsys_warning ("store: rollback of a failed upgrade failed");
            zsys_error ("store: upgrading %s to schema version %d failed", path, step);
            return -1;
        }
    if (sdb_set_schema_version (self->db, STORE_SCHEMA_VERSION) || sdb_commit (self->db)) {
        s_fail (self, "stamp schema version");
        if (sdb_rollback (self->db))
            zsys_warning ("store: rollback of a failed upgrade failed");
        return -1;
    }
    if (version > 0)
        zsys_notice ("store: %s upgraded from schema version %d to %d", path, version,
                     STORE_SCHEMA_VERSION);
    return 0;
}

static int
s_open_db (store_t *self, const char *path, sdb_t *db)
{
    self->db = db? db: sdb_open (path, self->readonly);
    if (!self->db)
        return -1;
    sdb_on_lost_transaction (self->db, s_lost_transaction, self);
    //  A conninfo may hold a password: logs name the backend only.
    if (sdb_remote (self->db))
        path = "the PostgreSQL store";
    int exists = sdb_table_exists (self->db, "messages");
    if (exists < 0)
        return s_fail (self, "read schema");
    self->created = exists == 0;
    int version = sdb_schema_version (self->db);
    if (version < 0)
        return s_fail (self, "schema version");
    if (version > STORE_SCHEMA_VERSION) {
        zsys_error ("store: %s has schema version %d, newer than this samhandd knows (%d):"
                    " run the samhandd that wrote it, or restore a backup", path, version,
                    STORE_SCHEMA_VERSION);
        return -1;
    }
    if (self->readonly)
        return exists? 0: -1;
    //  The whole schema, every table of the store family, before the
    //  version is stamped (the migrations above start from it).
    if (store_exec (self, schema) || store_workflow_init (self) || store_plan_init (self))
        return -1;
    return s_migrate (self, path, version);
}

static store_t *
s_new (const char *path, bool readonly, sdb_t *db)
{
    store_t *self = (store_t *) zmalloc (sizeof (store_t));
    if (!self) {
        sdb_close (&db);
        return NULL;
    }
    self->readonly = readonly;
    self->idem = idem_new ();
    if (!self->idem) {
        sdb_close (&db);
        store_destroy (&self);
        return NULL;
    }
    if (s_open_db (self, path, db)) {
        store_destroy (&self);
        return NULL;
    }
    if (readonly)
        return self;
    for (int i = 0; i < Q_COUNT; i++)
        if (sdb_prepare (self->db, queries [i], &self->stmt [i]) != SDB_OK) {
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

store_t *
store_new (const char *path)
{
    return s_new (path, false, NULL);
}

store_t *
store_new_led (const char *path, store_leader_t *leader)
{
    //  PostgreSQL: the session that holds the leadership is the one that
    //  writes (fencing). sqlite: the lock is the file's; a new connection.
    return s_new (path, false, store_leader_lend (leader));
}

store_t *
store_new_reader (const char *path)
{
    return s_new (path, true, NULL);
}

void
store_destroy (store_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    store_t *self = *self_p;
    if (self->in_transaction)
        store_rollback (self);
    sdb_close (&self->db);
    idem_destroy (&self->idem);
    free (self);
    *self_p = NULL;
}

sdb_t *
store_sdb (store_t *self)
{
    return self->db;
}

int
store_snapshot_begin (store_t *self)
{
    assert (self && !self->in_transaction);
    return store_exec (self, sdb_remote (self->db)
                       ? "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY": "BEGIN");
}

int
store_snapshot_end (store_t *self)
{
    return store_exec (self, "COMMIT");
}

bool
store_path_remote (const char *path)
{
    return sdb_is_postgres (path);
}

const char *
store_path_display (const char *path, char *buf, size_t size)
{
    assert (path && buf && size);
    if (sdb_is_postgres (path))
        return sdb_pg_describe (path, buf, size);
    snprintf (buf, size, "%s", path);
    return buf;
}

bool
store_remote (store_t *self)
{
    return sdb_remote (self->db);
}

int64_t
store_changes_total (store_t *self)
{
    return sdb_total_changes (self->db);
}

int64_t
store_changes (store_t *self)
{
    return sdb_changes (self->db);
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
    if (sdb_begin (self->db))
        return s_fail (self, "begin");
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
    int rc = sdb_commit (self->db) == SDB_OK? 0: s_fail (self, "commit");
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
    if (sdb_rollback (self->db))
        zsys_error ("store: rollback failed: the broker cannot trust its state");
}

bool
store_in_transaction (store_t *self)
{
    return self->in_transaction;
}

//  Returns a reset statement ready for binding.
static sdb_stmt_t *
s_stmt (store_t *self, int query)
{
    sdb_stmt_t *stmt = self->stmt [query];
    sdb_reset (stmt);
    sdb_clear_bindings (stmt);
    return stmt;
}

//  Steps a statement that returns no rows.
static int
s_done (store_t *self, sdb_stmt_t *stmt, const char *what)
{
    int rc = sdb_step (stmt);
    sdb_reset (stmt);
    return rc == SDB_DONE? 0: s_fail (self, what);
}

//  Steps a statement prepared with sdb_prepare that returns no rows, and
//  gives it back.
static int
s_run (store_t *self, sdb_stmt_t *stmt, const char *what)
{
    int rc = sdb_step (stmt);
    sdb_finalize (stmt);
    return rc == SDB_DONE? 0: s_fail (self, what);
}


//  Steps an INSERT ... RETURNING id: the new row's id, or -1. (One round
//  trip on PostgreSQL, where asking for the last id would be a second.)
static int64_t
s_returned_id (store_t *self, sdb_stmt_t *stmt, const char *what)
{
    int rc = sdb_step (stmt);
    int64_t id = rc == SDB_ROW? sdb_column_int64 (stmt, 0): -1;
    sdb_reset (stmt);
    return id > 0? id: s_fail (self, what);
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
    sdb_stmt_t *stmt = NULL;
    if (sdb_prepare (self->db, "SELECT idem, id FROM messages WHERE payload IS NOT NULL", &stmt) != SDB_OK)
        return s_fail (self, "idem rebuild");
    int rc;
    while ((rc = sdb_step (stmt)) == SDB_ROW)
        if (idem_put (self->idem, (uint64_t) sdb_column_int64 (stmt, 0),
                      sdb_column_int64 (stmt, 1))) {
            rc = SDB_ERROR;
            break;
        }
    sdb_finalize (stmt);
    if (rc != SDB_DONE)
        return s_fail (self, "idem rebuild");
    self->idem_stale = false;
    return 0;
}

int
store_message_find (store_t *self, const char *sender_key, const uint8_t message_id [16],
                    uint8_t **result, size_t *result_size)
{
    return store_message_find_origin (self, sender_key, message_id, result, result_size,
                                      NULL, NULL);
}

int
store_message_find_origin (store_t *self, const char *sender_key, const uint8_t message_id [16],
                           uint8_t **result, size_t *result_size, int *kind, int *sender_agency)
{
    if (self->idem_stale && store_idem_rebuild (self))
        return -1;
    int64_t rowid = idem_get (self->idem, s_idem_key (sender_key, message_id));
    if (!rowid)
        return 0;
    sdb_stmt_t *stmt = s_stmt (self, Q_FIND);
    sdb_bind_int64 (stmt, 1, rowid);
    int rc = sdb_step (stmt);
    if (rc != SDB_ROW) {
        sdb_reset (stmt);
        return rc == SDB_DONE? 0: s_fail (self, "find message");
    }
    //  The index is a hint: the row must be this sender's message.
    const char *key = (const char *) sdb_column_text (stmt, 1);
    bool same = key && streq (key, sender_key) && sdb_column_bytes (stmt, 2) == 16
             && memcmp (sdb_column_blob (stmt, 2), message_id, 16) == 0;
    size_t size = (size_t) sdb_column_bytes (stmt, 0);
    *result = same? (uint8_t *) malloc (size? size: 1): NULL;
    if (*result && size)
        memcpy (*result, sdb_column_blob (stmt, 0), size);
    *result_size = size;
    if (kind)
        *kind = sdb_column_int (stmt, 3);
    if (sender_agency)
        *sender_agency = sdb_column_int (stmt, 4);
    sdb_reset (stmt);
    if (!same)
        return 0;
    return *result? 1: -1;
}

int
store_message_insert (store_t *self, store_message_t *msg)
{
    assert (self && msg && msg->sender_key && msg->message_id && msg->sender_node);
    assert (self->in_transaction);
    sdb_stmt_t *stmt = s_stmt (self, Q_INSERT_MESSAGE);
    sdb_bind_text (stmt, 1, msg->sender_key);
    sdb_bind_blob (stmt, 2, msg->message_id, 16);
    sdb_bind_text (stmt, 3, msg->sender_node);
    sdb_bind_int (stmt, 4, msg->sender_agency);
    sdb_bind_int (stmt, 5, msg->kind);
    sdb_bind_int (stmt, 6, msg->acute);
    if (msg->subject_key)
        sdb_bind_blob (stmt, 7, msg->subject_key, 32);
    sdb_bind_blob (stmt, 8, msg->payload, (int) msg->payload_size);
    sdb_bind_int64 (stmt, 9, msg->created_ms);
    sdb_bind_int64 (stmt, 10, msg->expires_ms);
    if (msg->result)
        sdb_bind_blob (stmt, 11, msg->result, (int) msg->result_size);
    uint64_t idem = s_idem_key (msg->sender_key, msg->message_id);
    sdb_bind_int64 (stmt, 12, (int64_t) idem);
    msg->message = s_returned_id (self, stmt, "insert message");
    if (msg->message < 0)
        return -1;
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
    sdb_stmt_t *stmt = s_stmt (self, Q_INSERT_OUTBOX);
    sdb_bind_int64 (stmt, 1, message);
    sdb_bind_text (stmt, 2, node);
    sdb_bind_int (stmt, 3, agency);
    sdb_bind_int (stmt, 4, view);
    sdb_bind_text (stmt, 5, rule);
    sdb_bind_text (stmt, 6, basis);
    sdb_bind_text (stmt, 7, reason);
    sdb_bind_int64 (stmt, 8, classes);
    return s_returned_id (self, stmt, "insert outbox");
}

static void
s_copy_text (char *dest, size_t size, const char *text)
{
    snprintf (dest, size, "%s", text? (const char *) text: "");
}

static void s_read_delivery (sdb_stmt_t *stmt, store_delivery_t *out);

//  Steps a delivery query, calling fn per row until it returns non-zero.
static int
s_each_delivery (store_t *self, sdb_stmt_t *stmt, store_delivery_fn *fn, void *arg,
                 const char *what)
{
    int rc, count = 0;
    while ((rc = sdb_step (stmt)) == SDB_ROW) {
        store_delivery_t d;
        s_read_delivery (stmt, &d);
        count++;
        if (fn (&d, arg))
            break;
    }
    sdb_reset (stmt);
    return rc == SDB_ROW || rc == SDB_DONE? count: s_fail (self, what);
}

int
store_outbox_pending (store_t *self, const char *node, int limit,
                      store_delivery_fn *fn, void *arg)
{
    sdb_stmt_t *stmt = s_stmt (self, Q_PENDING);
    sdb_bind_text (stmt, 1, node);
    sdb_bind_int (stmt, 2, limit);
    return s_each_delivery (self, stmt, fn, arg, "read outbox");
}

static void
s_read_delivery (sdb_stmt_t *stmt, store_delivery_t *out)
{
    store_delivery_t d;
    memset (&d, 0, sizeof d);
    d.delivery_id = sdb_column_int64 (stmt, 0);
    d.message = sdb_column_int64 (stmt, 1);
    if (sdb_column_bytes (stmt, 2) == 16)
        memcpy (d.message_id, sdb_column_blob (stmt, 2), 16);
    s_copy_text (d.sender_node, sizeof d.sender_node, sdb_column_text (stmt, 3));
    d.sender_agency = sdb_column_int (stmt, 4);
    d.kind = sdb_column_int (stmt, 5);
    d.acute = sdb_column_int (stmt, 6);
    d.agency = sdb_column_int (stmt, 7);
    d.view = sdb_column_int (stmt, 8);
    s_copy_text (d.rule, sizeof d.rule, sdb_column_text (stmt, 9));
    s_copy_text (d.basis, sizeof d.basis, sdb_column_text (stmt, 10));
    s_copy_text (d.reason, sizeof d.reason, sdb_column_text (stmt, 11));
    d.attempts = sdb_column_int (stmt, 12);
    d.created_ms = sdb_column_int64 (stmt, 13);
    d.payload = sdb_column_blob (stmt, 14);
    d.payload_size = (size_t) sdb_column_bytes (stmt, 14);
    d.subject_key = sdb_column_bytes (stmt, 15) == 32? sdb_column_blob (stmt, 15): NULL;
    d.classes = (uint32_t) sdb_column_int64 (stmt, 16);
    if (sdb_column_count (stmt) > 17)
        s_copy_text (d.node, sizeof d.node, sdb_column_text (stmt, 17));
    if (sdb_column_count (stmt) > 18)
        s_copy_text (d.sender_key, sizeof d.sender_key, sdb_column_text (stmt, 18));
    *out = d;
}

int
store_outbox_for_subject (store_t *self, const uint8_t subject_key [32],
                          store_delivery_fn *fn, void *arg)
{
    sdb_stmt_t *stmt = s_stmt (self, Q_SUBJECT_PENDING);
    sdb_bind_blob (stmt, 1, subject_key, 32);
    return s_each_delivery (self, stmt, fn, arg, "subject outbox");
}

int
store_outbox_redecide (store_t *self, int64_t delivery_id, int view, const char *rule,
                       const char *basis, const char *reason, uint32_t classes)
{
    sdb_stmt_t *stmt = s_stmt (self, Q_REDECIDE);
    sdb_bind_int64 (stmt, 1, delivery_id);
    sdb_bind_int (stmt, 2, view);
    sdb_bind_text (stmt, 3, rule);
    sdb_bind_text (stmt, 4, basis);
    sdb_bind_text (stmt, 5, reason);
    sdb_bind_int64 (stmt, 6, classes);
    return s_done (self, stmt, "redecide");
}

int
store_outbox_identified_nodes (store_t *self, const uint8_t subject_key [32],
                               void (*fn) (const char *node, int agency, void *arg), void *arg)
{
    sdb_stmt_t *stmt = s_stmt (self, Q_SUBJECT_RECEIVED);
    sdb_bind_blob (stmt, 1, subject_key, 32);
    int rc;
    while ((rc = sdb_step (stmt)) == SDB_ROW)
        fn ((const char *) sdb_column_text (stmt, 0), sdb_column_int (stmt, 1), arg);
    sdb_reset (stmt);
    return rc == SDB_DONE? 0: s_fail (self, "identified nodes");
}

int
store_outbox_mark_sent (store_t *self, int64_t delivery_id, int64_t now_ms)
{
    sdb_stmt_t *stmt = s_stmt (self, Q_MARK_SENT);
    sdb_bind_int64 (stmt, 1, delivery_id);
    sdb_bind_int64 (stmt, 2, now_ms);
    return s_done (self, stmt, "mark sent");
}

int
store_outbox_mark_shown (store_t *self, int64_t delivery_id, int64_t now_ms)
{
    sdb_stmt_t *stmt = s_stmt (self, Q_MARK_SHOWN);
    sdb_bind_int64 (stmt, 1, delivery_id);
    sdb_bind_int64 (stmt, 2, now_ms);
    return s_done (self, stmt, "mark shown");
}

int
store_outbox_not_shown (store_t *self, int64_t delivery_id, int64_t shown_ms)
{
    assert (self && self->in_transaction);
    sdb_stmt_t *stmt = NULL;
    if (sdb_prepare (self->db, "UPDATE outbox SET sent_ms = 0 WHERE id = ?1 AND state = 0"
                     " AND attempts = 0 AND sent_ms = ?2", &stmt) != SDB_OK)
        return s_fail (self, "not shown");
    sdb_bind_int64 (stmt, 1, delivery_id);
    sdb_bind_int64 (stmt, 2, shown_ms);
    return s_run (self, stmt, "not shown");
}

int
store_outbox_receipt (store_t *self, int64_t delivery_id, const char *node,
                      int state, int64_t now_ms)
{
    assert (self && node && self->in_transaction);
    assert (state == OUTBOX_RECEIVED || state == OUTBOX_READ);
    sdb_stmt_t *stmt = s_stmt (self, Q_STATE);
    sdb_bind_int64 (stmt, 1, delivery_id);
    sdb_bind_text (stmt, 2, node);
    int rc = sdb_step (stmt);
    int before = rc == SDB_ROW? sdb_column_int (stmt, 0): -1;
    int attempts = rc == SDB_ROW? sdb_column_int (stmt, 1): 0;
    int64_t sent_ms = rc == SDB_ROW? sdb_column_int64 (stmt, 2): 0;
    sdb_reset (stmt);
    if (rc != SDB_ROW && rc != SDB_DONE)
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
    sdb_bind_int64 (stmt, 1, delivery_id);
    sdb_bind_text (stmt, 2, node);
    sdb_bind_int (stmt, 3, state);
    sdb_bind_int64 (stmt, 4, now_ms);
    if (s_done (self, stmt, "receipt"))
        return -1;
    return before <= OUTBOX_INFLIGHT? 2: 1;
}

int
store_outbox_requeue_node (store_t *self, const char *node)
{
    sdb_stmt_t *stmt = s_stmt (self, Q_REQUEUE_NODE);
    sdb_bind_text (stmt, 1, node);
    if (s_done (self, stmt, "requeue node"))
        return -1;
    return sdb_changes (self->db);
}

int
store_outbox_requeue_overdue (store_t *self, int64_t cutoff_ms,
                              void (*fn) (const char *node, void *arg), void *arg)
{
    sdb_stmt_t *stmt = s_stmt (self, Q_OVERDUE_NODES);
    sdb_bind_int64 (stmt, 1, cutoff_ms);
    int rc;
    while ((rc = sdb_step (stmt)) == SDB_ROW)
        fn ((const char *) sdb_column_text (stmt, 0), arg);
    sdb_reset (stmt);
    if (rc != SDB_DONE)
        return s_fail (self, "overdue nodes");
    stmt = s_stmt (self, Q_REQUEUE_OVERDUE);
    sdb_bind_int64 (stmt, 1, cutoff_ms);
    if (s_done (self, stmt, "requeue overdue"))
        return -1;
    return sdb_changes (self->db);
}

int
store_outbox_counts (store_t *self, void (*fn) (const char *node, int count, void *arg),
                     void *arg)
{
    sdb_stmt_t *stmt = s_stmt (self, Q_COUNTS);
    int rc;
    while ((rc = sdb_step (stmt)) == SDB_ROW)
        fn ((const char *) sdb_column_text (stmt, 0), sdb_column_int (stmt, 1), arg);
    sdb_reset (stmt);
    return rc == SDB_DONE? 0: s_fail (self, "outbox counts");
}

int
store_subscription_get (store_t *self, const char *node, uint32_t *kinds,
                        int *min_urgency, int *min_level)
{
    sdb_stmt_t *stmt = s_stmt (self, Q_SUB_GET);
    sdb_bind_text (stmt, 1, node);
    int rc = sdb_step (stmt);
    if (rc == SDB_ROW) {
        *kinds = (uint32_t) sdb_column_int64 (stmt, 0);
        *min_urgency = sdb_column_int (stmt, 1);
        *min_level = sdb_column_int (stmt, 2);
    }
    sdb_reset (stmt);
    return rc == SDB_ROW? 1: rc == SDB_DONE? 0: s_fail (self, "subscription");
}

int
store_subscription_set (store_t *self, const char *node, uint32_t kinds,
                        int min_urgency, int min_level)
{
    sdb_stmt_t *stmt = s_stmt (self, Q_SUB_SET);
    sdb_bind_text (stmt, 1, node);
    sdb_bind_int64 (stmt, 2, kinds);
    sdb_bind_int (stmt, 3, min_urgency);
    sdb_bind_int (stmt, 4, min_level);
    return s_done (self, stmt, "set subscription");
}

int
store_meta_get_int (store_t *self, const char *key, int64_t *value)
{
    sdb_stmt_t *stmt = s_stmt (self, Q_META_GET);
    sdb_bind_text (stmt, 1, key);
    int rc = sdb_step (stmt);
    if (rc == SDB_ROW)
        *value = sdb_column_int64 (stmt, 0);
    sdb_reset (stmt);
    return rc == SDB_ROW? 1: rc == SDB_DONE? 0: s_fail (self, "meta");
}

int
store_meta_set_int (store_t *self, const char *key, int64_t value)
{
    sdb_stmt_t *stmt = s_stmt (self, Q_META_SET);
    sdb_bind_text (stmt, 1, key);
    sdb_bind_int64 (stmt, 2, value);
    return s_done (self, stmt, "set meta");
}

int
store_outbox_inflight (store_t *self, const char *node)
{
    sdb_stmt_t *stmt = s_stmt (self, Q_INFLIGHT);
    sdb_bind_text (stmt, 1, node);
    int rc = sdb_step (stmt);
    int count = rc == SDB_ROW? sdb_column_int (stmt, 0): -1;
    sdb_reset (stmt);
    return count < 0? s_fail (self, "inflight"): count;
}

int
store_purge_due (store_t *self, int kind, int64_t cutoff_ms, int limit,
                 int (*fn) (int64_t message, const uint8_t *message_id,
                            const uint8_t *subject_key, void *arg), void *arg)
{
    sdb_stmt_t *stmt = NULL;
    if (sdb_prepare (self->db, "SELECT id, message_id, subject_key FROM messages"
                            " INDEXED BY messages_live"
                            " WHERE created_ms < ?2 AND payload IS NOT NULL AND kind = ?1"
                            " ORDER BY created_ms LIMIT ?3", &stmt) != SDB_OK)
        return s_fail (self, "purge select");
    sdb_bind_int (stmt, 1, kind);
    sdb_bind_int64 (stmt, 2, cutoff_ms);
    sdb_bind_int (stmt, 3, limit);
    int rc = SDB_DONE, count = 0;
    //  Collect first: the callback writes to the same table.
    int64_t ids [256];
    uint8_t mids [256][16], keys [256][32];
    bool has_key [256];
    while (count < 256 && count < limit && (rc = sdb_step (stmt)) == SDB_ROW) {
        ids [count] = sdb_column_int64 (stmt, 0);
        memset (mids [count], 0, 16);
        if (sdb_column_bytes (stmt, 1) == 16)
            memcpy (mids [count], sdb_column_blob (stmt, 1), 16);
        has_key [count] = sdb_column_bytes (stmt, 2) == 32;
        if (has_key [count])
            memcpy (keys [count], sdb_column_blob (stmt, 2), 32);
        count++;
    }
    sdb_finalize (stmt);
    //  A read error is not "nothing due": the caller fails the batch.
    if (rc != SDB_ROW && rc != SDB_DONE)
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
    sdb_stmt_t *stmt = NULL;
    if (sdb_prepare (self->db, "UPDATE messages SET payload = NULL WHERE id = ?1", &stmt) != SDB_OK)
        return s_fail (self, "purge");
    sdb_bind_int64 (stmt, 1, message);
    if (s_run (self, stmt, "purge"))
        return -1;
    if (sdb_prepare (self->db, "UPDATE outbox SET state = 4 WHERE message = ?1 AND state IN (0, 1)",
                     &stmt) != SDB_OK)
        return s_fail (self, "purge");
    sdb_bind_int64 (stmt, 1, message);
    return s_run (self, stmt, "purge");
}

int
store_each_payload (store_t *self, int64_t after, int limit,
                    int (*fn) (int64_t message, const uint8_t *message_id,
                               const uint8_t *payload, size_t size, void *arg), void *arg)
{
    sdb_stmt_t *stmt = NULL;
    if (sdb_prepare (self->db, "SELECT id, message_id, payload FROM messages"
                            " WHERE id > ?1 AND payload IS NOT NULL ORDER BY id LIMIT ?2", &stmt) != SDB_OK)
        return s_fail (self, "each payload");
    sdb_bind_int64 (stmt, 1, after);
    sdb_bind_int (stmt, 2, limit);
    int rc, count = 0;
    while ((rc = sdb_step (stmt)) == SDB_ROW) {
        count++;
        if (sdb_column_bytes (stmt, 1) != 16)
            continue;
        if (fn (sdb_column_int64 (stmt, 0), (const uint8_t *) sdb_column_blob (stmt, 1),
                (const uint8_t *) sdb_column_blob (stmt, 2),
                (size_t) sdb_column_bytes (stmt, 2), arg))
            break;
    }
    sdb_finalize (stmt);
    return rc == SDB_ROW || rc == SDB_DONE? count: s_fail (self, "each payload");
}

int
store_set_payload (store_t *self, int64_t message, const void *payload, size_t size)
{
    sdb_stmt_t *stmt = NULL;
    if (sdb_prepare (self->db, "UPDATE messages SET payload = ?2 WHERE id = ?1", &stmt) != SDB_OK)
        return s_fail (self, "set payload");
    sdb_bind_int64 (stmt, 1, message);
    sdb_bind_blob (stmt, 2, payload, (int) size);
    int rc = sdb_step (stmt);
    sdb_finalize (stmt);
    return rc == SDB_DONE? 0: s_fail (self, "set payload");
}

int
store_checkpoint (store_t *self)
{
    return sdb_checkpoint (self->db) == SDB_OK? 0: s_fail (self, "checkpoint");
}

void
store_unlock (int fd)
{
    if (fd >= 0 && sdb_pg_unlock (fd) != 0)
        close (fd);
}

//  One broker per store: an advisory lock beside the database, held for
//  the process's life. Offline tools that write take the same lock.
int
store_lock (const char *path)
{
    //  PostgreSQL: a session advisory lock on a connection of its own,
    //  held as long as that connection; its socket is the fd returned.
    if (sdb_is_postgres (path))
        return sdb_pg_lock (path);
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
    "id, kind, created_ms, expires_ms, sender_node, sender_key, acute, subject_key, message_id," \
    " sender_agency"

//  One message's row as store_message_info_t; 1 found, 0 not, -1 error.
static int
s_message_info (store_t *self, sdb_stmt_t *stmt, store_message_info_t *info)
{
    int rc = sdb_step (stmt);
    if (rc == SDB_ROW) {
        memset (info, 0, sizeof *info);
        info->message = sdb_column_int64 (stmt, 0);
        info->kind = sdb_column_int (stmt, 1);
        info->created_ms = sdb_column_int64 (stmt, 2);
        info->expires_ms = sdb_column_int64 (stmt, 3);
        s_copy_text (info->sender_node, sizeof info->sender_node, sdb_column_text (stmt, 4));
        s_copy_text (info->sender_key, sizeof info->sender_key, sdb_column_text (stmt, 5));
        info->acute = sdb_column_int (stmt, 6);
        info->has_subject = sdb_column_bytes (stmt, 7) == 32;
        if (info->has_subject)
            memcpy (info->subject_key, sdb_column_blob (stmt, 7), 32);
        if (sdb_column_bytes (stmt, 8) == 16)
            memcpy (info->message_id, sdb_column_blob (stmt, 8), 16);
        info->sender_agency = sdb_column_int (stmt, 9);
    }
    sdb_finalize (stmt);
    return rc == SDB_ROW? 1: rc == SDB_DONE? 0: s_fail (self, "message info");
}

int
store_message_by_row (store_t *self, int64_t message, store_message_info_t *info)
{
    sdb_stmt_t *stmt = NULL;
    if (sdb_prepare (self->db, "SELECT " INFO_COLUMNS " FROM messages WHERE id = ?1", &stmt) != SDB_OK)
        return s_fail (self, "message by row");
    sdb_bind_int64 (stmt, 1, message);
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
    sdb_stmt_t *stmt = NULL;
    if (sdb_prepare (self->db, "SELECT " INFO_COLUMNS " FROM messages WHERE message_id = ?1", &stmt) != SDB_OK)
        return s_fail (self, "message lookup");
    sdb_bind_blob (stmt, 1, message_id, 16);
    return s_message_info (self, stmt, info);
}

int
store_outbox_of_message (store_t *self, int64_t message,
                         int (*fn) (const store_entry_t *entry, void *arg), void *arg)
{
    sdb_stmt_t *stmt = NULL;
    if (sdb_prepare (self->db, "SELECT id, node, agency, view, state, attempts, sent_ms,"
                            " received_ms, read_ms FROM outbox WHERE message = ?1 ORDER BY id", &stmt) != SDB_OK)
        return s_fail (self, "outbox of message");
    sdb_bind_int64 (stmt, 1, message);
    int rc, count = 0;
    while ((rc = sdb_step (stmt)) == SDB_ROW) {
        store_entry_t e;
        memset (&e, 0, sizeof e);
        e.delivery_id = sdb_column_int64 (stmt, 0);
        s_copy_text (e.node, sizeof e.node, sdb_column_text (stmt, 1));
        e.agency = sdb_column_int (stmt, 2);
        e.view = sdb_column_int (stmt, 3);
        e.state = sdb_column_int (stmt, 4);
        e.attempts = sdb_column_int (stmt, 5);
        e.sent_ms = sdb_column_int64 (stmt, 6);
        e.received_ms = sdb_column_int64 (stmt, 7);
        e.read_ms = sdb_column_int64 (stmt, 8);
        e.message = message;
        count++;
        if (fn (&e, arg))
            break;
    }
    sdb_finalize (stmt);
    return rc == SDB_ROW || rc == SDB_DONE? count: s_fail (self, "outbox of message");
}

int
store_message_of_delivery (store_t *self, int64_t delivery_id, int64_t *message)
{
    sdb_stmt_t *stmt = NULL;
    if (sdb_prepare (self->db, "SELECT message FROM outbox WHERE id = ?1", &stmt) != SDB_OK)
        return s_fail (self, "message of delivery");
    sdb_bind_int64 (stmt, 1, delivery_id);
    int rc = sdb_step (stmt);
    if (rc == SDB_ROW)
        *message = sdb_column_int64 (stmt, 0);
    sdb_finalize (stmt);
    return rc == SDB_ROW? 1: rc == SDB_DONE? 0: s_fail (self, "message of delivery");
}

//  Entries in a state range, joined with their message; used for expiry
//  (state 0-1, expires < now), dead letters (state 5), inboxes.
//  Outbox entries joined with their message, in delivery order.
#define ENTRY_SELECT \
    "SELECT o.id, o.message, m.message_id, m.sender_node, m.sender_agency, m.kind," \
    " m.acute, o.agency, o.view, o.rule, o.basis, o.reason, o.attempts, m.created_ms," \
    " m.payload, m.subject_key, o.classes, o.node, m.sender_key" \
    " FROM outbox o JOIN messages m ON m.id = o.message WHERE "

//  Runs one of the entry queries below: ?1 is A, ?2 NODE (when not NULL),
//  ?3 LIMIT, ?4 B (when the query has it).
static int
s_entries (store_t *self, const char *sql, int64_t a, const char *node, int limit,
           bool has_b, int64_t b, store_delivery_fn *fn, void *arg)
{
    sdb_stmt_t *stmt = NULL;
    if (sdb_prepare (self->db, sql, &stmt) != SDB_OK)
        return s_fail (self, "entries");
    sdb_bind_int64 (stmt, 1, a);
    if (node)
        sdb_bind_text (stmt, 2, node);
    sdb_bind_int (stmt, 3, limit);
    if (has_b)
        sdb_bind_int64 (stmt, 4, b);
    int count = s_each_delivery (self, stmt, fn, arg, "entries");
    sdb_finalize (stmt);
    return count;
}

int
store_outbox_pending_kinds (store_t *self, const char *node, uint32_t kinds, int limit,
                            store_delivery_fn *fn, void *arg)
{
    assert (self && node);
    return s_entries (self, ENTRY_SELECT "o.node = ?2 AND o.state = 0"
                      " AND ((CAST (1 AS BIGINT) << CAST (m.kind AS INT)) & ?1) <> 0"
                      " ORDER BY o.id LIMIT ?3",
                      (int64_t) kinds, node, limit, false, 0, fn, arg);
}

int
store_inbox (store_t *self, const char *node, bool include_read, int64_t after_id, int limit,
             store_delivery_fn *fn, void *arg)
{
    assert (self && node);
    //  The newest LIMIT, newest first: the oldest first, a node holding
    //  more than LIMIT never listed what came after them.
    return s_entries (self, include_read
                      ? ENTRY_SELECT "o.node = ?2 AND o.state IN (0, 1, 2, 3) AND o.id > ?1"
                        " ORDER BY o.id DESC LIMIT ?3"
                      : ENTRY_SELECT "o.node = ?2 AND o.state IN (0, 1, 2) AND o.id > ?1"
                        " ORDER BY o.id DESC LIMIT ?3",
                      after_id, node, limit, false, 0, fn, arg);
}

int
store_dead_letters (store_t *self, int64_t after_id, int limit, store_delivery_fn *fn, void *arg)
{
    assert (self);
    //  The newest LIMIT, newest first (as store_inbox): the oldest first,
    //  past LIMIT dead letters the new ones were never listed to requeue.
    return s_entries (self, ENTRY_SELECT "o.state = 5 AND o.id > ?1 ORDER BY o.id DESC LIMIT ?3",
                      after_id, NULL, limit, false, 0, fn, arg);
}

int
store_dead_letter (store_t *self, int64_t delivery_id, store_delivery_fn *fn, void *arg)
{
    assert (self);
    return s_entries (self, ENTRY_SELECT "o.state = 5 AND o.id = ?1 ORDER BY o.id LIMIT ?3",
                      delivery_id, NULL, 1, false, 0, fn, arg);
}

int
store_delivery_message (store_t *self, int64_t delivery_id, uint8_t message_id [16],
                        uint8_t subject_key [32], bool *has_subject)
{
    assert (self && message_id && subject_key && has_subject);
    *has_subject = false;
    sdb_stmt_t *stmt = NULL;
    if (sdb_prepare (self->db, "SELECT m.message_id, m.subject_key FROM outbox o"
                     " JOIN messages m ON m.id = o.message WHERE o.id = ?1", &stmt) != SDB_OK)
        return s_fail (self, "delivery message");
    sdb_bind_int64 (stmt, 1, delivery_id);
    int rc = sdb_step (stmt);
    int found = 0;
    if (rc == SDB_ROW && sdb_column_bytes (stmt, 0) == 16) {
        memcpy (message_id, sdb_column_blob (stmt, 0), 16);
        if (sdb_column_bytes (stmt, 1) == 32) {
            memcpy (subject_key, sdb_column_blob (stmt, 1), 32);
            *has_subject = true;
        }
        found = 1;
    }
    sdb_finalize (stmt);
    return rc == SDB_ROW || rc == SDB_DONE? found: s_fail (self, "delivery message");
}

int
store_outbox_expiring (store_t *self, int64_t after_ms, int64_t until_ms, int limit,
                       store_delivery_fn *fn, void *arg)
{
    assert (self);
    return s_entries (self, ENTRY_SELECT "o.state IN (0, 1) AND m.expires_ms > ?4"
                      " AND m.expires_ms <= ?1 ORDER BY o.id LIMIT ?3",
                      until_ms, NULL, limit, true, after_ms, fn, arg);
}

int
store_outbox_not_sent (store_t *self, int64_t delivery_id)
{
    assert (self && self->in_transaction);
    sdb_stmt_t *stmt = NULL;
    //  Never handed over at all (no attempt left): as if never sent, so a
    //  receipt for it is refused as one the node cannot hold (receipt).
    if (sdb_prepare (self->db, "UPDATE outbox SET state = 0,"
                     " attempts = CASE WHEN attempts > 0 THEN attempts - 1 ELSE 0 END,"
                     " sent_ms = CASE WHEN attempts <= 1 THEN 0 ELSE sent_ms END"
                     " WHERE id = ?1 AND state = 1", &stmt) != SDB_OK)
        return s_fail (self, "not sent");
    sdb_bind_int64 (stmt, 1, delivery_id);
    return s_run (self, stmt, "not sent");
}

int
store_outbox_set_state (store_t *self, int64_t delivery_id, int state, bool reset_attempts)
{
    assert (self && self->in_transaction);
    assert (state >= OUTBOX_PENDING && state <= OUTBOX_WITHDRAWN);
    sdb_stmt_t *stmt = NULL;
    if (sdb_prepare (self->db, reset_attempts
                     ? "UPDATE outbox SET state = ?2, attempts = 0 WHERE id = ?1"
                     : "UPDATE outbox SET state = ?2 WHERE id = ?1", &stmt) != SDB_OK)
        return s_fail (self, "set state");
    sdb_bind_int64 (stmt, 1, delivery_id);
    sdb_bind_int (stmt, 2, state);
    return s_run (self, stmt, "set state");
}

int
store_message_any_read (store_t *self, int64_t message)
{
    return store_message_read_by (self, message, 0x1e);
}

int
store_message_read_by (store_t *self, int64_t message, uint32_t agencies)
{
    sdb_stmt_t *stmt = NULL;
    //  INT, not INTEGER: PostgreSQL's bigint >> takes an int4 (and the
    //  backend writes INTEGER as BIGINT).
    if (sdb_prepare (self->db, "SELECT 1 FROM outbox WHERE message = ?1 AND state = 3"
                               " AND ((CAST (?2 AS BIGINT) >> CAST (agency AS INT)) & 1) = 1 LIMIT 1", &stmt) != SDB_OK)
        return s_fail (self, "any read");
    sdb_bind_int64 (stmt, 1, message);
    sdb_bind_int64 (stmt, 2, agencies);
    int rc = sdb_step (stmt);
    sdb_finalize (stmt);
    return rc == SDB_ROW? 1: rc == SDB_DONE? 0: s_fail (self, "any read");
}

int
store_timer_set (store_t *self, const char *kind, const void *key, size_t key_size,
                 int64_t message, int64_t due_ms, int64_t every_ms)
{
    sdb_stmt_t *stmt = NULL;
    if (sdb_prepare (self->db,
            "INSERT INTO timers (kind, key, message, due_ms, every_ms, fired) VALUES (?1, ?2, ?3, ?4, ?5, 0)"
            " ON CONFLICT (kind, key) DO UPDATE SET message = ?3, due_ms = ?4, every_ms = ?5, fired = 0", &stmt) != SDB_OK)
        return s_fail (self, "timer set");
    sdb_bind_text (stmt, 1, kind);
    sdb_bind_blob (stmt, 2, key, (int) key_size);
    sdb_bind_int64 (stmt, 3, message);
    sdb_bind_int64 (stmt, 4, due_ms);
    sdb_bind_int64 (stmt, 5, every_ms);
    int rc = sdb_step (stmt);
    sdb_finalize (stmt);
    return rc == SDB_DONE? 0: s_fail (self, "timer set");
}

int
store_timer_cancel (store_t *self, const char *kind, const void *key, size_t key_size)
{
    sdb_stmt_t *stmt = NULL;
    if (sdb_prepare (self->db, "DELETE FROM timers WHERE kind = ?1 AND key = ?2", &stmt) != SDB_OK)
        return s_fail (self, "timer cancel");
    sdb_bind_text (stmt, 1, kind);
    sdb_bind_blob (stmt, 2, key, (int) key_size);
    int rc = sdb_step (stmt);
    sdb_finalize (stmt);
    return rc == SDB_DONE? 0: s_fail (self, "timer cancel");
}

int
store_timers_due (store_t *self, int64_t now_ms, store_timer_t *out, int max)
{
    sdb_stmt_t *stmt = NULL;
    if (sdb_prepare (self->db, "SELECT id, kind, key, message, due_ms, every_ms, fired"
                            " FROM timers WHERE due_ms <= ?1 ORDER BY due_ms LIMIT ?2", &stmt) != SDB_OK)
        return s_fail (self, "timers due");
    sdb_bind_int64 (stmt, 1, now_ms);
    sdb_bind_int (stmt, 2, max);
    int rc = SDB_DONE, n = 0;
    while (n < max && (rc = sdb_step (stmt)) == SDB_ROW) {
        store_timer_t *t = &out [n++];
        memset (t, 0, sizeof *t);
        t->id = sdb_column_int64 (stmt, 0);
        s_copy_text (t->kind, sizeof t->kind, sdb_column_text (stmt, 1));
        t->key_size = (size_t) sdb_column_bytes (stmt, 2);
        if (t->key_size > sizeof t->key)
            t->key_size = sizeof t->key;
        memcpy (t->key, sdb_column_blob (stmt, 2), t->key_size);
        t->message = sdb_column_int64 (stmt, 3);
        t->due_ms = sdb_column_int64 (stmt, 4);
        t->every_ms = sdb_column_int64 (stmt, 5);
        t->fired = sdb_column_int (stmt, 6);
    }
    sdb_finalize (stmt);
    return rc == SDB_ROW || rc == SDB_DONE? n: s_fail (self, "timers due");
}

int
store_timer_reschedule (store_t *self, int64_t id, int64_t due_ms, int fired)
{
    sdb_stmt_t *stmt = NULL;
    if (sdb_prepare (self->db, due_ms < 0
                     ? "DELETE FROM timers WHERE id = ?1"
                     : "UPDATE timers SET due_ms = ?2, fired = ?3 WHERE id = ?1", &stmt) != SDB_OK)
        return s_fail (self, "timer reschedule");
    sdb_bind_int64 (stmt, 1, id);
    if (due_ms >= 0) {
        sdb_bind_int64 (stmt, 2, due_ms);
        sdb_bind_int (stmt, 3, fired);
    }
    return s_run (self, stmt, "timer reschedule");
}

int
store_timer_postpone (store_t *self, const char *kind, const void *key, size_t key_size,
                      int64_t due_ms)
{
    sdb_stmt_t *stmt = NULL;
    if (sdb_prepare (self->db, "UPDATE timers SET due_ms = ?3, fired = 0"
                            " WHERE kind = ?1 AND key = ?2", &stmt) != SDB_OK)
        return s_fail (self, "timer postpone");
    sdb_bind_text (stmt, 1, kind);
    sdb_bind_blob (stmt, 2, key, (int) key_size);
    sdb_bind_int64 (stmt, 3, due_ms);
    int rc = sdb_step (stmt);
    sdb_finalize (stmt);
    return rc == SDB_DONE? sdb_changes (self->db): s_fail (self, "timer postpone");
}

int
store_subscription_clear (store_t *self, const char *node)
{
    sdb_stmt_t *stmt = NULL;
    if (sdb_prepare (self->db, "DELETE FROM subscriptions WHERE node = ?1", &stmt) != SDB_OK)
        return s_fail (self, "clear subscription");
    sdb_bind_text (stmt, 1, node);
    int rc = sdb_step (stmt);
    sdb_finalize (stmt);
    return rc == SDB_DONE? 0: s_fail (self, "clear subscription");
}

int
store_outbox_count_from (store_t *self, const char *node, const char *sender_key)
{
    sdb_stmt_t *stmt = NULL;
    if (sdb_prepare (self->db,
            "SELECT count(*) FROM outbox o JOIN messages m ON m.id = o.message"
            " WHERE o.node = ?1 AND o.state IN (0, 1) AND m.sender_key = ?2", &stmt) != SDB_OK)
        return s_fail (self, "count sender backlog");
    sdb_bind_text (stmt, 1, node);
    sdb_bind_text (stmt, 2, sender_key);
    int rc = sdb_step (stmt);
    int count = rc == SDB_ROW? sdb_column_int (stmt, 0): -1;
    sdb_finalize (stmt);
    return count < 0? s_fail (self, "count sender backlog"): count;
}
