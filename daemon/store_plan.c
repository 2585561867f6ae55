/*  store_plan — risk plan revisions and evaluations in sqlite. See store.h.
    Kept apart from store.c: its own tables, statements prepared per call
    (a plan is edited a few times a week, not thousands of times a second). */
#include "store.h"
#include "store_db.h"
#include <czmq.h>

static const char *plan_schema =
    "CREATE TABLE IF NOT EXISTS plan_revisions ("
    "  id INTEGER PRIMARY KEY,"
    "  subject_key BLOB NOT NULL,"
    "  revision INTEGER NOT NULL,"
    "  base INTEGER NOT NULL,"
    "  message INTEGER NOT NULL REFERENCES messages (id),"
    "  edited_by TEXT NOT NULL,"
    "  edited_at INTEGER NOT NULL,"
    "  significant INTEGER NOT NULL DEFAULT 0,"
    "  changes TEXT NOT NULL DEFAULT '',"
    //  The second guard against a lost update: one row per revision.
    "  UNIQUE (subject_key, revision));"
    "CREATE TABLE IF NOT EXISTS plan_evaluations ("
    "  id INTEGER PRIMARY KEY,"
    "  subject_key BLOB NOT NULL,"
    "  evaluated_by TEXT NOT NULL,"
    "  evaluated_at INTEGER NOT NULL,"
    "  note BLOB,"                    //  sealed
    "  next_date TEXT NOT NULL);"
    "CREATE INDEX IF NOT EXISTS plan_evaluations_subject ON plan_evaluations (subject_key, id);";

#define REV_COLUMNS \
    "r.revision, r.base, r.message, r.edited_by, r.edited_at, r.significant, r.changes," \
    " m.payload IS NULL"

static int
s_fail (store_t *self, const char *what)
{
    //  As every store write: a failure inside a batch fails the batch
    //  (PostgreSQL has aborted the transaction by now anyway).
    return store_fail (self, what);
}

static sdb_stmt_t *
s_prepare (store_t *self, const char *sql)
{
    sdb_stmt_t *stmt = NULL;
    if (sdb_prepare (store_sdb (self), sql, &stmt) != SDB_OK) {
        s_fail (self, "prepare");
        return NULL;
    }
    return stmt;
}

static void
s_text (char *out, size_t size, const char *text)
{
    snprintf (out, size, "%s", text? (const char *) text: "");
}

static void
s_read_rev (sdb_stmt_t *stmt, store_plan_rev_t *rev)
{
    memset (rev, 0, sizeof *rev);
    rev->revision = sdb_column_int (stmt, 0);
    rev->base = sdb_column_int (stmt, 1);
    rev->message = sdb_column_int64 (stmt, 2);
    s_text (rev->edited_by, sizeof rev->edited_by, sdb_column_text (stmt, 3));
    rev->edited_at = sdb_column_int64 (stmt, 4);
    rev->significant = sdb_column_int (stmt, 5);
    s_text (rev->changes, sizeof rev->changes, sdb_column_text (stmt, 6));
    rev->purged = sdb_column_int (stmt, 7) != 0;
}

int
store_plan_init (store_t *self)
{
    return store_exec (self, plan_schema);
}

static int
s_one_rev (store_t *self, sdb_stmt_t *stmt, store_plan_rev_t *rev, const char *what)
{
    int rc = sdb_step (stmt);
    if (rc == SDB_ROW)
        s_read_rev (stmt, rev);
    sdb_finalize (stmt);
    return rc == SDB_ROW? 1: rc == SDB_DONE? 0: s_fail (self, what);
}

int
store_plan_current (store_t *self, const uint8_t subject_key [32], store_plan_rev_t *rev)
{
    sdb_stmt_t *stmt = s_prepare (self,
        "SELECT " REV_COLUMNS " FROM plan_revisions r JOIN messages m ON m.id = r.message"
        " WHERE r.subject_key = ?1 ORDER BY r.revision DESC LIMIT 1");
    if (!stmt)
        return -1;
    sdb_bind_blob (stmt, 1, subject_key, 32);
    return s_one_rev (self, stmt, rev, "plan current");
}

int
store_plan_revision (store_t *self, const uint8_t subject_key [32], int revision,
                     store_plan_rev_t *rev)
{
    sdb_stmt_t *stmt = s_prepare (self,
        "SELECT " REV_COLUMNS " FROM plan_revisions r JOIN messages m ON m.id = r.message"
        " WHERE r.subject_key = ?1 AND r.revision = ?2");
    if (!stmt)
        return -1;
    sdb_bind_blob (stmt, 1, subject_key, 32);
    sdb_bind_int (stmt, 2, revision);
    return s_one_rev (self, stmt, rev, "plan revision");
}

int
store_plan_revision_insert (store_t *self, const uint8_t subject_key [32],
                            const store_plan_rev_t *rev)
{
    sdb_stmt_t *stmt = s_prepare (self,
        "INSERT INTO plan_revisions (subject_key, revision, base, message, edited_by,"
        " edited_at, significant, changes) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)");
    if (!stmt)
        return -1;
    sdb_bind_blob (stmt, 1, subject_key, 32);
    sdb_bind_int (stmt, 2, rev->revision);
    sdb_bind_int (stmt, 3, rev->base);
    sdb_bind_int64 (stmt, 4, rev->message);
    sdb_bind_text (stmt, 5, rev->edited_by);
    sdb_bind_int64 (stmt, 6, rev->edited_at);
    sdb_bind_int (stmt, 7, rev->significant);
    sdb_bind_text (stmt, 8, rev->changes);
    int rc = sdb_step (stmt);
    sdb_finalize (stmt);
    return rc == SDB_DONE? 0: s_fail (self, "plan revision insert");
}

int
store_plan_revisions (store_t *self, const uint8_t subject_key [32],
                      int (*fn) (const store_plan_rev_t *rev, void *arg), void *arg)
{
    sdb_stmt_t *stmt = s_prepare (self,
        "SELECT " REV_COLUMNS " FROM plan_revisions r JOIN messages m ON m.id = r.message"
        " WHERE r.subject_key = ?1 ORDER BY r.revision DESC");
    if (!stmt)
        return -1;
    sdb_bind_blob (stmt, 1, subject_key, 32);
    int count = 0, rc;
    while ((rc = sdb_step (stmt)) == SDB_ROW) {
        store_plan_rev_t rev;
        s_read_rev (stmt, &rev);
        count++;
        if (fn (&rev, arg))
            break;
    }
    bool failed = rc != SDB_ROW && rc != SDB_DONE;
    sdb_finalize (stmt);
    return failed? s_fail (self, "plan revisions"): count;
}

int
store_plan_evaluation_insert (store_t *self, const uint8_t subject_key [32],
                              const store_plan_eval_t *eval)
{
    sdb_stmt_t *stmt = s_prepare (self,
        "INSERT INTO plan_evaluations (subject_key, evaluated_by, evaluated_at, note, next_date)"
        " VALUES (?1, ?2, ?3, ?4, ?5)");
    if (!stmt)
        return -1;
    sdb_bind_blob (stmt, 1, subject_key, 32);
    sdb_bind_text (stmt, 2, eval->evaluated_by);
    sdb_bind_int64 (stmt, 3, eval->evaluated_at);
    if (eval->note && eval->note_size)
        sdb_bind_blob (stmt, 4, eval->note, (int) eval->note_size);
    else
        sdb_bind_null (stmt, 4);
    sdb_bind_text (stmt, 5, eval->next_date);
    int rc = sdb_step (stmt);
    sdb_finalize (stmt);
    return rc == SDB_DONE? 0: s_fail (self, "plan evaluation insert");
}

int
store_plan_evaluations (store_t *self, const uint8_t subject_key [32],
                        int (*fn) (const store_plan_eval_t *eval, void *arg), void *arg)
{
    sdb_stmt_t *stmt = s_prepare (self,
        "SELECT evaluated_by, evaluated_at, note, next_date FROM plan_evaluations"
        " WHERE subject_key = ?1 ORDER BY id DESC");
    if (!stmt)
        return -1;
    sdb_bind_blob (stmt, 1, subject_key, 32);
    int count = 0, rc;
    while ((rc = sdb_step (stmt)) == SDB_ROW) {
        store_plan_eval_t eval;
        memset (&eval, 0, sizeof eval);
        s_text (eval.evaluated_by, sizeof eval.evaluated_by, sdb_column_text (stmt, 0));
        eval.evaluated_at = sdb_column_int64 (stmt, 1);
        eval.note = sdb_column_blob (stmt, 2);
        eval.note_size = (size_t) sdb_column_bytes (stmt, 2);
        s_text (eval.next_date, sizeof eval.next_date, sdb_column_text (stmt, 3));
        count++;
        if (fn (&eval, arg))
            break;
    }
    bool failed = rc != SDB_ROW && rc != SDB_DONE;
    sdb_finalize (stmt);
    return failed? s_fail (self, "plan evaluations"): count;
}

int
store_plan_evaluations_purge (store_t *self, int64_t cutoff_ms)
{
    sdb_stmt_t *stmt = s_prepare (self,
        "UPDATE plan_evaluations SET note = NULL WHERE evaluated_at < ?1 AND note IS NOT NULL");
    if (!stmt)
        return -1;
    sdb_bind_int64 (stmt, 1, cutoff_ms);
    int rc = sdb_step (stmt);
    sdb_finalize (stmt);
    if (rc != SDB_DONE)
        return s_fail (self, "plan evaluations purge");
    return sdb_changes (store_sdb (self));
}

int
store_plan_payload (store_t *self, int64_t message, uint8_t message_id [16],
                    uint8_t **payload, size_t *size, char sender_node [64], int *sender_agency)
{
    *payload = NULL;
    *size = 0;
    sdb_stmt_t *stmt = s_prepare (self,
        "SELECT payload, message_id, sender_node, sender_agency FROM messages WHERE id = ?1");
    if (!stmt)
        return -1;
    sdb_bind_int64 (stmt, 1, message);
    int rc = sdb_step (stmt), found = 0;
    if (rc == SDB_ROW) {
        found = 1;
        int bytes = sdb_column_bytes (stmt, 0);
        if (bytes > 0) {
            *payload = (uint8_t *) malloc ((size_t) bytes);
            if (!*payload)
                found = -1;
            else {
                memcpy (*payload, sdb_column_blob (stmt, 0), (size_t) bytes);
                *size = (size_t) bytes;
            }
        }
        if (sdb_column_bytes (stmt, 1) == 16)
            memcpy (message_id, sdb_column_blob (stmt, 1), 16);
        s_text (sender_node, 64, sdb_column_text (stmt, 2));
        *sender_agency = sdb_column_int (stmt, 3);
    }
    else
    if (rc != SDB_DONE)
        found = s_fail (self, "plan payload");
    sdb_finalize (stmt);
    return found;
}

int
store_timer_exists (store_t *self, const char *kind, const void *key, size_t key_size)
{
    sdb_stmt_t *stmt = s_prepare (self, "SELECT 1 FROM timers WHERE kind = ?1 AND key = ?2");
    if (!stmt)
        return -1;
    sdb_bind_text (stmt, 1, kind);
    sdb_bind_blob (stmt, 2, key, (int) key_size);
    int rc = sdb_step (stmt);
    sdb_finalize (stmt);
    return rc == SDB_ROW? 1: rc == SDB_DONE? 0: s_fail (self, "timer exists");
}
