/*  store_registry — consents, case references, known identifiers: the
    registry's tables in the store (store family: SQL over store_db.h).
    See registry.h.                                                        */
#include "registry.h"
#include "store_db.h"
#include <czmq.h>

static const char *schema =
    "CREATE TABLE IF NOT EXISTS case_refs ("
    "  agency INTEGER NOT NULL, ref TEXT NOT NULL, subject_key BLOB NOT NULL,"
    "  PRIMARY KEY (agency, ref));"
    "CREATE TABLE IF NOT EXISTS consents ("
    "  id TEXT PRIMARY KEY, subject_key BLOB NOT NULL, agencies INTEGER NOT NULL,"
    "  classes INTEGER NOT NULL, purposes TEXT NOT NULL, valid_from INTEGER NOT NULL,"
    "  valid_until INTEGER NOT NULL, form INTEGER NOT NULL, capacity_by TEXT NOT NULL,"
    "  capacity_at INTEGER NOT NULL, recorded_by TEXT NOT NULL, recorded_at INTEGER NOT NULL,"
    "  withdrawn_at INTEGER NOT NULL DEFAULT 0, withdrawn_by TEXT NOT NULL DEFAULT '',"
    //  Added by the store's migrations 2 and 3 (store.c), which made this table.
    "  capacity_sealed BLOB, recorded_agency INTEGER NOT NULL DEFAULT -1);"
    "CREATE INDEX IF NOT EXISTS consents_subject ON consents (subject_key);"
    "CREATE TABLE IF NOT EXISTS known_by_agency ("
    "  agency INTEGER NOT NULL, hash BLOB NOT NULL, kind INTEGER NOT NULL,"
    "  PRIMARY KEY (agency, hash)) WITHOUT ROWID;";

enum { R_REF_PUT, R_REF_GET, R_CONSENTS, R_CONSENT_GET, R_CONSENT_PUT, R_WITHDRAW,
       R_KNOWN_ADD, R_KNOWN_ALL, R_UNKNOWN_RECORDERS, R_SET_RECORDED_AGENCY,
       R_CLEAR_ASSESSORS, R_SEAL_ASSESSOR, R_COUNT };

#define CONSENT_COLUMNS \
    "id, subject_key, agencies, classes, purposes, valid_from, valid_until, form," \
    " capacity_by, capacity_at, recorded_by, recorded_at, withdrawn_at, withdrawn_by," \
    " capacity_sealed, recorded_agency"

static const char *queries [R_COUNT] = {
    [R_REF_PUT] = "INSERT OR IGNORE INTO case_refs (agency, ref, subject_key) VALUES (?1, ?2, ?3)",
    [R_REF_GET] = "SELECT subject_key FROM case_refs WHERE agency = ?1 AND ref = ?2",
    [R_CONSENTS] = "SELECT " CONSENT_COLUMNS " FROM consents WHERE subject_key = ?1"
                   " ORDER BY recorded_at DESC LIMIT ?2",
    [R_CONSENT_GET] = "SELECT " CONSENT_COLUMNS " FROM consents WHERE id = ?1",
    [R_CONSENT_PUT] = "INSERT INTO consents (" CONSENT_COLUMNS ") VALUES"
                      " (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)",
    [R_WITHDRAW] = "UPDATE consents SET withdrawn_at = ?2, withdrawn_by = ?3"
                   " WHERE id = ?1 AND withdrawn_at = 0",
    [R_KNOWN_ADD] = "INSERT OR IGNORE INTO known_by_agency (agency, hash, kind) VALUES (?1, ?2, ?3)",
    [R_KNOWN_ALL] = "SELECT agency, hash, kind FROM known_by_agency",
    [R_UNKNOWN_RECORDERS] = "SELECT DISTINCT recorded_by FROM consents WHERE recorded_agency < 0",
    [R_SET_RECORDED_AGENCY] = "UPDATE consents SET recorded_agency = ?2"
                              " WHERE recorded_by = ?1 AND recorded_agency < 0",
    [R_CLEAR_ASSESSORS] = "SELECT id FROM consents WHERE capacity_by <> ''"
                          " AND capacity_sealed IS NULL",
    [R_SEAL_ASSESSOR] = "UPDATE consents SET capacity_by = '', capacity_sealed = ?2"
                        " WHERE id = ?1 AND capacity_sealed IS NULL",
};

struct _registry_t {
    store_t      *store;
    sdb_t        *db;
    sdb_stmt_t *stmt [R_COUNT];
    zhashx_t     *refs_written;   //  "agency:ref" already in case_refs
};

static int
s_fail (registry_t *self, const char *what)
{
    zsys_error ("registry: %s", what);
    //  A failed statement inside a batch fails the batch, as every store
    //  write (PostgreSQL has aborted the transaction by now anyway).
    return store_fail (self->store, what);
}

//  Stores before per-agency known sets kept known_ids: hashes with no
//  agency (and an older name fold). Using them would let one agency's
//  messages change another's answers, so they are dropped, once.
static int
s_drop_unattributed (registry_t *self)
{
    int exists = sdb_table_exists (self->db, "known_ids");
    if (exists <= 0)
        return exists;              //  no such table: nothing to do
    sdb_stmt_t *stmt = NULL;
    if (sdb_prepare (self->db, "SELECT count(*) FROM known_ids", &stmt) != SDB_OK)
        return s_fail (self, "known_ids");
    int64_t rows = sdb_step (stmt) == SDB_ROW? sdb_column_int64 (stmt, 0): 0;
    sdb_finalize (stmt);
    if (sdb_exec (self->db, "DROP TABLE known_ids") != SDB_OK) {
        zsys_error ("registry: cannot drop the old known_ids table: %s", sdb_errmsg (self->db));
        return -1;
    }
    zsys_warning ("registry: dropped %lld known identifiers of an older store: they name no"
                  " agency, so no agency's scan may use them", (long long) rows);
    return 0;
}

registry_t *
registry_new (store_t *store)
{
    registry_t *self = (registry_t *) zmalloc (sizeof (registry_t));
    if (!self)
        return NULL;
    sdb_t *db = store_sdb (store);
    self->db = db;
    self->store = store;
    self->refs_written = zhashx_new ();
    if (sdb_exec (db, schema) != SDB_OK) {
        zsys_error ("registry: schema: %s", sdb_errmsg (db));
        registry_destroy (&self);
        return NULL;
    }
    if (s_drop_unattributed (self)) {
        registry_destroy (&self);
        return NULL;
    }
    for (int i = 0; i < R_COUNT; i++)
        if (sdb_prepare (db, queries [i], &self->stmt [i]) != SDB_OK) {
            s_fail (self, queries [i]);
            registry_destroy (&self);
            return NULL;
        }
    return self;
}

void
registry_destroy (registry_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    registry_t *self = *self_p;
    for (int i = 0; i < R_COUNT; i++)
        sdb_finalize (self->stmt [i]);
    zhashx_destroy (&self->refs_written);
    free (self);
    *self_p = NULL;
}

static sdb_stmt_t *
s_stmt (registry_t *self, int query)
{
    sdb_reset (self->stmt [query]);
    sdb_clear_bindings (self->stmt [query]);
    return self->stmt [query];
}

static int
s_done (registry_t *self, sdb_stmt_t *stmt, const char *what)
{
    int rc = sdb_step (stmt);
    sdb_reset (stmt);
    return rc == SDB_DONE? 0: s_fail (self, what);
}

int
registry_case_ref_put (registry_t *self, int agency, const char *ref,
                       const uint8_t subject_key [32])
{
    //  A reference is minted for every message about a person; write each
    //  once, not once per message.
    char key [64];
    snprintf (key, sizeof key, "%d:%s", agency, ref);
    if (self->refs_written && zhashx_lookup (self->refs_written, key))
        return 0;
    sdb_stmt_t *stmt = s_stmt (self, R_REF_PUT);
    sdb_bind_int (stmt, 1, agency);
    sdb_bind_text (stmt, 2, ref);
    sdb_bind_blob (stmt, 3, subject_key, 32);
    if (s_done (self, stmt, "case ref put"))
        return -1;
    if (self->refs_written)
        zhashx_insert (self->refs_written, key, (void *) 1);
    return 0;
}

void
registry_forget_writes (registry_t *self)
{
    if (self->refs_written)
        zhashx_purge (self->refs_written);
}

int
registry_case_ref_get (registry_t *self, int agency, const char *ref,
                       uint8_t subject_key [32])
{
    sdb_stmt_t *stmt = s_stmt (self, R_REF_GET);
    sdb_bind_int (stmt, 1, agency);
    sdb_bind_text (stmt, 2, ref);
    int rc = sdb_step (stmt);
    int found = rc == SDB_ROW && sdb_column_bytes (stmt, 0) == 32;
    if (found)
        memcpy (subject_key, sdb_column_blob (stmt, 0), 32);
    sdb_reset (stmt);
    if (rc != SDB_ROW && rc != SDB_DONE)
        return s_fail (self, "case ref get");
    return found;
}

static void
s_text (char *dest, size_t size, const char *text)
{
    snprintf (dest, size, "%s", text? (const char *) text: "");
}

//  Splits purposes_text in place into the purposes array.
static void
s_split_purposes (registry_consent_t *c)
{
    c->n_purposes = 0;
    char *save = NULL;
    for (char *p = strtok_r (c->purposes_text, ",", &save);
         p && c->n_purposes < REGISTRY_MAX_PURPOSES; p = strtok_r (NULL, ",", &save))
        c->purposes [c->n_purposes++] = p;
}

static void
s_read_consent (sdb_stmt_t *stmt, registry_consent_t *c)
{
    memset (c, 0, sizeof *c);
    s_text (c->id, sizeof c->id, sdb_column_text (stmt, 0));
    if (sdb_column_bytes (stmt, 1) == 32)
        memcpy (c->subject_key, sdb_column_blob (stmt, 1), 32);
    c->agencies = (uint32_t) sdb_column_int64 (stmt, 2);
    c->classes = (uint32_t) sdb_column_int64 (stmt, 3);
    s_text (c->purposes_text, sizeof c->purposes_text, sdb_column_text (stmt, 4));
    c->valid_from = sdb_column_int64 (stmt, 5);
    c->valid_until = sdb_column_int64 (stmt, 6);
    c->form = sdb_column_int (stmt, 7);
    s_text (c->capacity_by, sizeof c->capacity_by, sdb_column_text (stmt, 8));
    c->capacity_at = sdb_column_int64 (stmt, 9);
    s_text (c->recorded_by, sizeof c->recorded_by, sdb_column_text (stmt, 10));
    c->recorded_at = sdb_column_int64 (stmt, 11);
    c->withdrawn_at = sdb_column_int64 (stmt, 12);
    s_text (c->withdrawn_by, sizeof c->withdrawn_by, sdb_column_text (stmt, 13));
    int sealed = sdb_column_bytes (stmt, 14);
    if (!sdb_column_null (stmt, 14) && sealed > 0 && (size_t) sealed <= sizeof c->capacity_sealed) {
        memcpy (c->capacity_sealed, sdb_column_blob (stmt, 14), (size_t) sealed);
        c->capacity_sealed_size = (size_t) sealed;
    }
    else
    if (sealed > 0)
        c->capacity_sealed_size = SIZE_MAX;      //  too long: not ours, not shown
    c->recorded_agency = sdb_column_int (stmt, 15);
    s_split_purposes (c);
}

//  C was copied from the record now at FROM: its purposes point into
//  FROM's text; made to point into its own.
static void
s_purposes_moved (registry_consent_t *c, const registry_consent_t *from)
{
    for (size_t p = 0; p < c->n_purposes; p++)
        c->purposes [p] = c->purposes_text + (c->purposes [p] - from->purposes_text);
}

int
registry_consents_for (registry_t *self, const uint8_t subject_key [32],
                       registry_consent_t *out, int max)
{
    sdb_stmt_t *stmt = s_stmt (self, R_CONSENTS);
    sdb_bind_blob (stmt, 1, subject_key, 32);
    sdb_bind_int (stmt, 2, max);
    int rc, count = 0;
    while (count < max && (rc = sdb_step (stmt)) == SDB_ROW)
        s_read_consent (stmt, &out [count++]);
    sdb_reset (stmt);
    //  The newest MAX (the query's order), given oldest first as before:
    //  the oldest MAX left every consent granted after them out of every
    //  decision. purposes [] point into the record itself: moved with it.
    for (int i = 0, k = count - 1; i < k; i++, k--) {
        registry_consent_t swap = out [i];
        out [i] = out [k];
        out [k] = swap;
        s_purposes_moved (&out [i], &out [k]);
        s_purposes_moved (&out [k], &out [i]);
    }
    return count == max || rc == SDB_DONE? count: s_fail (self, "consents for");
}

int
registry_consent_get (registry_t *self, const char *id, registry_consent_t *out)
{
    sdb_stmt_t *stmt = s_stmt (self, R_CONSENT_GET);
    sdb_bind_text (stmt, 1, id);
    int rc = sdb_step (stmt);
    if (rc == SDB_ROW)
        s_read_consent (stmt, out);
    sdb_reset (stmt);
    return rc == SDB_ROW? 1: rc == SDB_DONE? 0: s_fail (self, "consent get");
}

int
registry_consent_insert (registry_t *self, const registry_consent_t *c)
{
    sdb_stmt_t *stmt = s_stmt (self, R_CONSENT_PUT);
    sdb_bind_text (stmt, 1, c->id);
    sdb_bind_blob (stmt, 2, c->subject_key, 32);
    sdb_bind_int64 (stmt, 3, c->agencies);
    sdb_bind_int64 (stmt, 4, c->classes);
    sdb_bind_text (stmt, 5, c->purposes_text);
    sdb_bind_int64 (stmt, 6, c->valid_from);
    sdb_bind_int64 (stmt, 7, c->valid_until);
    sdb_bind_int (stmt, 8, c->form);
    sdb_bind_text (stmt, 9, c->capacity_by);
    sdb_bind_int64 (stmt, 10, c->capacity_at);
    sdb_bind_text (stmt, 11, c->recorded_by);
    sdb_bind_int64 (stmt, 12, c->recorded_at);
    sdb_bind_int64 (stmt, 13, c->withdrawn_at);
    sdb_bind_text (stmt, 14, c->withdrawn_by);
    if (c->capacity_sealed_size && c->capacity_sealed_size <= sizeof c->capacity_sealed)
        sdb_bind_blob (stmt, 15, c->capacity_sealed, c->capacity_sealed_size);
    else
        sdb_bind_null (stmt, 15);
    sdb_bind_int (stmt, 16, c->recorded_agency);
    return s_done (self, stmt, "consent insert");
}

int
registry_consent_withdraw (registry_t *self, const char *id, int64_t now, const char *by)
{
    sdb_stmt_t *stmt = s_stmt (self, R_WITHDRAW);
    sdb_bind_text (stmt, 1, id);
    sdb_bind_int64 (stmt, 2, now);
    sdb_bind_text (stmt, 3, by);
    if (s_done (self, stmt, "consent withdraw"))
        return -1;
    return sdb_changes (self->db);
}

int
registry_known_add (registry_t *self, int agency, const uint8_t hash [32], int kind)
{
    sdb_stmt_t *stmt = s_stmt (self, R_KNOWN_ADD);
    sdb_bind_int (stmt, 1, agency);
    sdb_bind_blob (stmt, 2, hash, 32);
    sdb_bind_int (stmt, 3, kind);
    return s_done (self, stmt, "known add");
}

int
registry_known_each (registry_t *self,
                     void (*fn) (int agency, const uint8_t hash [32], int kind, void *arg),
                     void *arg)
{
    sdb_stmt_t *stmt = s_stmt (self, R_KNOWN_ALL);
    int rc;
    while ((rc = sdb_step (stmt)) == SDB_ROW)
        if (sdb_column_bytes (stmt, 1) == 32)
            fn (sdb_column_int (stmt, 0), (const uint8_t *) sdb_column_blob (stmt, 1),
                sdb_column_int (stmt, 2), arg);
    sdb_reset (stmt);
    return rc == SDB_DONE? 0: s_fail (self, "known each");
}

int
registry_consent_unknown_recorders (registry_t *self, void (*fn) (const char *node, void *arg),
                                    void *arg)
{
    sdb_stmt_t *stmt = s_stmt (self, R_UNKNOWN_RECORDERS);
    int rc, count = 0;
    while ((rc = sdb_step (stmt)) == SDB_ROW) {
        fn (sdb_column_text (stmt, 0)? sdb_column_text (stmt, 0): "", arg);
        count++;
    }
    sdb_reset (stmt);
    return rc == SDB_DONE? count: s_fail (self, "consent recorders");
}

int
registry_consent_set_recorded_agency (registry_t *self, const char *node, int agency)
{
    sdb_stmt_t *stmt = s_stmt (self, R_SET_RECORDED_AGENCY);
    sdb_bind_text (stmt, 1, node);
    sdb_bind_int (stmt, 2, agency);
    return s_done (self, stmt, "consent recorded agency");
}

int
registry_consent_clear_assessors (registry_t *self, void (*fn) (const char *id, void *arg),
                                  void *arg)
{
    sdb_stmt_t *stmt = s_stmt (self, R_CLEAR_ASSESSORS);
    int rc, count = 0;
    while ((rc = sdb_step (stmt)) == SDB_ROW) {
        fn (sdb_column_text (stmt, 0)? sdb_column_text (stmt, 0): "", arg);
        count++;
    }
    sdb_reset (stmt);
    return rc == SDB_DONE? count: s_fail (self, "clear assessors");
}

int
registry_consent_seal_assessor (registry_t *self, const char *id, const uint8_t *sealed,
                                size_t size)
{
    sdb_stmt_t *stmt = s_stmt (self, R_SEAL_ASSESSOR);
    sdb_bind_text (stmt, 1, id);
    sdb_bind_blob (stmt, 2, sealed, size);
    return s_done (self, stmt, "seal assessor");
}
