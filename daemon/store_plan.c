/*  store_plan — risk plan revisions and evaluations in sqlite. See store.h.
    Kept apart from store.c: its own tables, statements prepared per call
    (a plan is edited a few times a week, not thousands of times a second). */
#include "store.h"
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
    zsys_error ("store: %s: %s", what, sqlite3_errmsg (store_db (self)));
    return -1;
}

static sqlite3_stmt *
s_prepare (store_t *self, const char *sql)
{
    sqlite3_stmt *stmt = NULL;
    if (sqlite3_prepare_v2 (store_db (self), sql, -1, &stmt, NULL) != SQLITE_OK) {
        s_fail (self, "prepare");
        return NULL;
    }
    return stmt;
}

static void
s_text (char *out, size_t size, const unsigned char *text)
{
    snprintf (out, size, "%s", text? (const char *) text: "");
}

static void
s_read_rev (sqlite3_stmt *stmt, store_plan_rev_t *rev)
{
    memset (rev, 0, sizeof *rev);
    rev->revision = sqlite3_column_int (stmt, 0);
    rev->base = sqlite3_column_int (stmt, 1);
    rev->message = sqlite3_column_int64 (stmt, 2);
    s_text (rev->edited_by, sizeof rev->edited_by, sqlite3_column_text (stmt, 3));
    rev->edited_at = sqlite3_column_int64 (stmt, 4);
    rev->significant = sqlite3_column_int (stmt, 5);
    s_text (rev->changes, sizeof rev->changes, sqlite3_column_text (stmt, 6));
    rev->purged = sqlite3_column_int (stmt, 7) != 0;
}

int
store_plan_init (store_t *self)
{
    return store_exec (self, plan_schema);
}

static int
s_one_rev (store_t *self, sqlite3_stmt *stmt, store_plan_rev_t *rev, const char *what)
{
    int rc = sqlite3_step (stmt);
    if (rc == SQLITE_ROW)
        s_read_rev (stmt, rev);
    sqlite3_finalize (stmt);
    return rc == SQLITE_ROW? 1: rc == SQLITE_DONE? 0: s_fail (self, what);
}

int
store_plan_current (store_t *self, const uint8_t subject_key [32], store_plan_rev_t *rev)
{
    sqlite3_stmt *stmt = s_prepare (self,
        "SELECT " REV_COLUMNS " FROM plan_revisions r JOIN messages m ON m.id = r.message"
        " WHERE r.subject_key = ?1 ORDER BY r.revision DESC LIMIT 1");
    if (!stmt)
        return -1;
    sqlite3_bind_blob (stmt, 1, subject_key, 32, SQLITE_STATIC);
    return s_one_rev (self, stmt, rev, "plan current");
}

int
store_plan_revision (store_t *self, const uint8_t subject_key [32], int revision,
                     store_plan_rev_t *rev)
{
    sqlite3_stmt *stmt = s_prepare (self,
        "SELECT " REV_COLUMNS " FROM plan_revisions r JOIN messages m ON m.id = r.message"
        " WHERE r.subject_key = ?1 AND r.revision = ?2");
    if (!stmt)
        return -1;
    sqlite3_bind_blob (stmt, 1, subject_key, 32, SQLITE_STATIC);
    sqlite3_bind_int (stmt, 2, revision);
    return s_one_rev (self, stmt, rev, "plan revision");
}

int
store_plan_revision_insert (store_t *self, const uint8_t subject_key [32],
                            const store_plan_rev_t *rev)
{
    sqlite3_stmt *stmt = s_prepare (self,
        "INSERT INTO plan_revisions (subject_key, revision, base, message, edited_by,"
        " edited_at, significant, changes) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)");
    if (!stmt)
        return -1;
    sqlite3_bind_blob (stmt, 1, subject_key, 32, SQLITE_STATIC);
    sqlite3_bind_int (stmt, 2, rev->revision);
    sqlite3_bind_int (stmt, 3, rev->base);
    sqlite3_bind_int64 (stmt, 4, rev->message);
    sqlite3_bind_text (stmt, 5, rev->edited_by, -1, SQLITE_STATIC);
    sqlite3_bind_int64 (stmt, 6, rev->edited_at);
    sqlite3_bind_int (stmt, 7, rev->significant);
    sqlite3_bind_text (stmt, 8, rev->changes, -1, SQLITE_STATIC);
    int rc = sqlite3_step (stmt);
    sqlite3_finalize (stmt);
    return rc == SQLITE_DONE? 0: s_fail (self, "plan revision insert");
}

int
store_plan_revisions (store_t *self, const uint8_t subject_key [32],
                      int (*fn) (const store_plan_rev_t *rev, void *arg), void *arg)
{
    sqlite3_stmt *stmt = s_prepare (self,
        "SELECT " REV_COLUMNS " FROM plan_revisions r JOIN messages m ON m.id = r.message"
        " WHERE r.subject_key = ?1 ORDER BY r.revision");
    if (!stmt)
        return -1;
    sqlite3_bind_blob (stmt, 1, subject_key, 32, SQLITE_STATIC);
    int count = 0, rc;
    while ((rc = sqlite3_step (stmt)) == SQLITE_ROW) {
        store_plan_rev_t rev;
        s_read_rev (stmt, &rev);
        count++;
        if (fn (&rev, arg))
            break;
    }
    bool failed = rc != SQLITE_ROW && rc != SQLITE_DONE;
    sqlite3_finalize (stmt);
    return failed? s_fail (self, "plan revisions"): count;
}

int
store_plan_evaluation_insert (store_t *self, const uint8_t subject_key [32],
                              const store_plan_eval_t *eval)
{
    sqlite3_stmt *stmt = s_prepare (self,
        "INSERT INTO plan_evaluations (subject_key, evaluated_by, evaluated_at, note, next_date)"
        " VALUES (?1, ?2, ?3, ?4, ?5)");
    if (!stmt)
        return -1;
    sqlite3_bind_blob (stmt, 1, subject_key, 32, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 2, eval->evaluated_by, -1, SQLITE_STATIC);
    sqlite3_bind_int64 (stmt, 3, eval->evaluated_at);
    if (eval->note && eval->note_size)
        sqlite3_bind_blob (stmt, 4, eval->note, (int) eval->note_size, SQLITE_STATIC);
    else
        sqlite3_bind_null (stmt, 4);
    sqlite3_bind_text (stmt, 5, eval->next_date, -1, SQLITE_STATIC);
    int rc = sqlite3_step (stmt);
    sqlite3_finalize (stmt);
    return rc == SQLITE_DONE? 0: s_fail (self, "plan evaluation insert");
}

int
store_plan_evaluations (store_t *self, const uint8_t subject_key [32],
                        int (*fn) (const store_plan_eval_t *eval, void *arg), void *arg)
{
    sqlite3_stmt *stmt = s_prepare (self,
        "SELECT evaluated_by, evaluated_at, note, next_date FROM plan_evaluations"
        " WHERE subject_key = ?1 ORDER BY id");
    if (!stmt)
        return -1;
    sqlite3_bind_blob (stmt, 1, subject_key, 32, SQLITE_STATIC);
    int count = 0, rc;
    while ((rc = sqlite3_step (stmt)) == SQLITE_ROW) {
        store_plan_eval_t eval;
        memset (&eval, 0, sizeof eval);
        s_text (eval.evaluated_by, sizeof eval.evaluated_by, sqlite3_column_text (stmt, 0));
        eval.evaluated_at = sqlite3_column_int64 (stmt, 1);
        eval.note = sqlite3_column_blob (stmt, 2);
        eval.note_size = (size_t) sqlite3_column_bytes (stmt, 2);
        s_text (eval.next_date, sizeof eval.next_date, sqlite3_column_text (stmt, 3));
        count++;
        if (fn (&eval, arg))
            break;
    }
    bool failed = rc != SQLITE_ROW && rc != SQLITE_DONE;
    sqlite3_finalize (stmt);
    return failed? s_fail (self, "plan evaluations"): count;
}

int
store_plan_evaluations_purge (store_t *self, int64_t cutoff_ms)
{
    sqlite3_stmt *stmt = s_prepare (self,
        "UPDATE plan_evaluations SET note = NULL WHERE evaluated_at < ?1 AND note IS NOT NULL");
    if (!stmt)
        return -1;
    sqlite3_bind_int64 (stmt, 1, cutoff_ms);
    int rc = sqlite3_step (stmt);
    sqlite3_finalize (stmt);
    if (rc != SQLITE_DONE)
        return s_fail (self, "plan evaluations purge");
    return sqlite3_changes (store_db (self));
}

int
store_plan_payload (store_t *self, int64_t message, uint8_t message_id [16],
                    uint8_t **payload, size_t *size, char sender_node [64], int *sender_agency)
{
    *payload = NULL;
    *size = 0;
    sqlite3_stmt *stmt = s_prepare (self,
        "SELECT payload, message_id, sender_node, sender_agency FROM messages WHERE id = ?1");
    if (!stmt)
        return -1;
    sqlite3_bind_int64 (stmt, 1, message);
    int rc = sqlite3_step (stmt), found = 0;
    if (rc == SQLITE_ROW) {
        found = 1;
        int bytes = sqlite3_column_bytes (stmt, 0);
        if (bytes > 0) {
            *payload = (uint8_t *) malloc ((size_t) bytes);
            if (!*payload)
                found = -1;
            else {
                memcpy (*payload, sqlite3_column_blob (stmt, 0), (size_t) bytes);
                *size = (size_t) bytes;
            }
        }
        if (sqlite3_column_bytes (stmt, 1) == 16)
            memcpy (message_id, sqlite3_column_blob (stmt, 1), 16);
        s_text (sender_node, 64, sqlite3_column_text (stmt, 2));
        *sender_agency = sqlite3_column_int (stmt, 3);
    }
    else
    if (rc != SQLITE_DONE)
        found = s_fail (self, "plan payload");
    sqlite3_finalize (stmt);
    return found;
}

int
store_timer_exists (store_t *self, const char *kind, const void *key, size_t key_size)
{
    sqlite3_stmt *stmt = s_prepare (self, "SELECT 1 FROM timers WHERE kind = ?1 AND key = ?2");
    if (!stmt)
        return -1;
    sqlite3_bind_text (stmt, 1, kind, -1, SQLITE_STATIC);
    sqlite3_bind_blob (stmt, 2, key, (int) key_size, SQLITE_STATIC);
    int rc = sqlite3_step (stmt);
    sqlite3_finalize (stmt);
    return rc == SQLITE_ROW? 1: rc == SQLITE_DONE? 0: s_fail (self, "timer exists");
}
