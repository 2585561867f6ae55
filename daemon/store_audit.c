/*  store_audit — the hash-chained audit log in the store (store family:
    its records are written in the cycle's transaction, SQL over
    store_db.h). See audit.h.                                              */
#include "audit.h"
#include "store_db.h"
#include <czmq.h>
#include <openssl/evp.h>
#include <ctype.h>

static const char *schema =
    "CREATE TABLE IF NOT EXISTS audit ("
    "  seq INTEGER PRIMARY KEY, ts_ms INTEGER NOT NULL, event TEXT NOT NULL,"
    "  message_id BLOB, sender TEXT, node TEXT, agency INTEGER NOT NULL,"
    "  view INTEGER NOT NULL, rule TEXT, basis TEXT, content_hash BLOB,"
    "  subject_key BLOB, detail TEXT, prev BLOB NOT NULL, hash BLOB NOT NULL);"
    "CREATE INDEX IF NOT EXISTS audit_subject ON audit (subject_key);"
    "CREATE INDEX IF NOT EXISTS audit_time ON audit (ts_ms);"
    "CREATE TABLE IF NOT EXISTS audit_heads ("
    "  seq INTEGER PRIMARY KEY, hash BLOB NOT NULL, sig BLOB NOT NULL, ts_ms INTEGER NOT NULL);";

#define AUDIT_COLUMNS "seq, ts_ms, event, message_id, sender, node, agency, view, rule," \
                      " basis, content_hash, subject_key, detail, prev, hash"

struct _audit_t {
    sdb_t        *db;
    store_t      *store;
    sdb_stmt_t *insert;
    int64_t       seq;            //  last record
    uint8_t       head [32];      //  its hash
    int64_t       signed_seq;
    audit_head_t  signed_head;    //  the newest signed head (seq 0: none)
    bool          failed;         //  an append failed since the last reload
    bool          stale;          //  a reload failed: seq and head are not the disk's
};

static const void *s_blob (sdb_stmt_t *stmt, int col, int len);

static void
s_put (zchunk_t *chunk, const void *data, size_t len)
{
    uint32_t be = htonl ((uint32_t) len);
    zchunk_extend (chunk, &be, 4);
    if (len)
        zchunk_extend (chunk, data, len);
}

static void
s_put_str (zchunk_t *chunk, const char *s)
{
    s_put (chunk, s? s: "", s? strlen (s): 0);
}

static void
s_put_int (zchunk_t *chunk, int64_t value)
{
    char text [24];
    snprintf (text, sizeof text, "%" PRId64, value);
    s_put_str (chunk, text);
}

//  Length-prefixed fields: no two different records serialise alike.
uint8_t *
audit_serialize (int64_t seq, int64_t ts_ms, const audit_record_t *r,
                 const uint8_t prev [32], size_t *size)
{
    zchunk_t *chunk = zchunk_new (NULL, 256);
    if (!chunk)
        return NULL;
    s_put_str (chunk, "samhand-audit-v1");
    s_put_int (chunk, seq);
    s_put_int (chunk, ts_ms);
    s_put_str (chunk, r->event);
    s_put (chunk, r->message_id, r->message_id? 16: 0);
    s_put_str (chunk, r->sender);
    s_put_str (chunk, r->node);
    s_put_int (chunk, r->agency);
    s_put_int (chunk, r->view);
    s_put_str (chunk, r->rule);
    s_put_str (chunk, r->basis);
    s_put (chunk, r->content_hash, r->content_hash? 32: 0);
    s_put (chunk, r->subject_key, r->subject_key? 32: 0);
    s_put_str (chunk, r->detail);
    s_put (chunk, prev, 32);
    *size = zchunk_size (chunk);
    uint8_t *data = (uint8_t *) malloc (*size);
    if (data)
        memcpy (data, zchunk_data (chunk), *size);
    zchunk_destroy (&chunk);
    return data;
}

static int
s_hash (int64_t seq, int64_t ts_ms, const audit_record_t *r, const uint8_t prev [32],
        uint8_t out [32])
{
    size_t size;
    uint8_t *data = audit_serialize (seq, ts_ms, r, prev, &size);
    if (!data)
        return -1;
    unsigned len = 0;
    int ok = EVP_Digest (data, size, out, &len, EVP_sha256 (), NULL) == 1 && len == 32;
    free (data);
    return ok? 0: -1;
}

audit_t *
audit_new (store_t *store)
{
    audit_t *self = (audit_t *) zmalloc (sizeof (audit_t));
    if (!self)
        return NULL;
    sdb_t *db = store_sdb (store);
    self->db = db;
    self->store = store;
    if (sdb_exec (db, schema) != SDB_OK
    ||  sdb_prepare (db, "INSERT INTO audit (" AUDIT_COLUMNS ") VALUES"
                            " (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)", &self->insert) != SDB_OK
    ||  audit_reload (self)) {
        zsys_error ("audit: cannot open: %s", sdb_errmsg (db));
        audit_destroy (&self);
    }
    return self;
}

void
audit_destroy (audit_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    sdb_finalize ((*self_p)->insert);
    free (*self_p);
    *self_p = NULL;
}

bool
audit_failed (audit_t *self)
{
    assert (self);
    return self->failed;
}

int
audit_reload (audit_t *self)
{
    assert (self);
    self->failed = false;
    //  Until a reload succeeds nothing may be chained to the head in memory:
    //  it may be a record that was rolled back.
    self->stale = true;
    sdb_stmt_t *stmt = NULL;
    if (sdb_prepare (self->db, "SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1", &stmt) != SDB_OK)
        return -1;
    int rc = sdb_step (stmt);
    self->seq = 0;
    memset (self->head, 0, 32);
    if (rc == SDB_ROW && sdb_column_bytes (stmt, 1) == 32) {
        self->seq = sdb_column_int64 (stmt, 0);
        memcpy (self->head, sdb_column_blob (stmt, 1), 32);
    }
    sdb_finalize (stmt);
    if (rc != SDB_ROW && rc != SDB_DONE)
        return -1;
    int found = audit_latest_head (self->store, &self->signed_head);
    if (found < 0)
        return -1;
    if (found == 0)
        memset (&self->signed_head, 0, sizeof self->signed_head);
    self->signed_seq = self->signed_head.seq;
    self->stale = false;
    return 0;
}

static void
s_bind_blob (sdb_stmt_t *stmt, int col, const void *data, int len)
{
    if (data)
        sdb_bind_blob (stmt, col, data, len);
    else
        sdb_bind_null (stmt, col);
}

int
audit_append (audit_t *self, const audit_record_t *r, int64_t now_ms)
{
    assert (self && r && r->event);
    //  Only inside the caller's transaction: a record committed on its own
    //  (after sqlite rolled the transaction back) would link to nothing.
    if (!sdb_in_transaction (self->db)) {
        zsys_error ("audit: append outside a transaction refused");
        self->failed = true;
        return -1;
    }
    if (self->stale && audit_reload (self)) {
        zsys_error ("audit: the chain head cannot be read back: append refused");
        self->failed = true;
        return -1;
    }
    uint8_t hash [32];
    int64_t seq = self->seq + 1;
    if (s_hash (seq, now_ms, r, self->head, hash)) {
        self->failed = true;
        return -1;
    }
    sdb_stmt_t *stmt = self->insert;
    sdb_reset (stmt);
    sdb_clear_bindings (stmt);
    sdb_bind_int64 (stmt, 1, seq);
    sdb_bind_int64 (stmt, 2, now_ms);
    sdb_bind_text (stmt, 3, r->event);
    s_bind_blob (stmt, 4, r->message_id, 16);
    sdb_bind_text (stmt, 5, r->sender? r->sender: "");
    sdb_bind_text (stmt, 6, r->node? r->node: "");
    sdb_bind_int (stmt, 7, r->agency);
    sdb_bind_int (stmt, 8, r->view);
    sdb_bind_text (stmt, 9, r->rule? r->rule: "");
    sdb_bind_text (stmt, 10, r->basis? r->basis: "");
    s_bind_blob (stmt, 11, r->content_hash, 32);
    s_bind_blob (stmt, 12, r->subject_key, 32);
    sdb_bind_text (stmt, 13, r->detail? r->detail: "");
    sdb_bind_blob (stmt, 14, self->head, 32);
    sdb_bind_blob (stmt, 15, hash, 32);
    int rc = sdb_step (stmt);
    sdb_reset (stmt);
    if (rc != SDB_DONE) {
        zsys_error ("audit: append: %s", sdb_errmsg (self->db));
        self->failed = true;
        return -1;
    }
    self->seq = seq;
    memcpy (self->head, hash, 32);
    return 0;
}

int64_t
audit_last_seq (audit_t *self)
{
    return self->seq;
}

//  What a head signature covers: the sequence number and the hash.
#define HEAD_MESSAGE_SIZE 56
static void
s_head_message (int64_t seq, const uint8_t hash [32], uint8_t out [HEAD_MESSAGE_SIZE])
{
    memcpy (out, "samhand-head-v1:", 16);
    for (int i = 0; i < 8; i++)
        out [16 + i] = (uint8_t) (seq >> (56 - 8 * i));
    memcpy (out + 24, hash, 32);
}

int
audit_sign_head (audit_t *self, audit_sign_fn *sign, void *arg, int64_t now_ms)
{
    if (self->stale && audit_reload (self)) {
        self->failed = true;
        return -1;
    }
    if (self->seq == 0 || self->seq == self->signed_seq)
        return 0;
    uint8_t msg [HEAD_MESSAGE_SIZE], sig [64];
    s_head_message (self->seq, self->head, msg);
    if (sign (msg, sizeof msg, sig, arg))
        return -1;
    sdb_stmt_t *stmt = NULL;
    if (sdb_prepare (self->db,
            "INSERT INTO audit_heads (seq, hash, sig, ts_ms) VALUES (?1, ?2, ?3, ?4)"
            " ON CONFLICT (seq) DO UPDATE SET hash = ?2, sig = ?3, ts_ms = ?4", &stmt) != SDB_OK) {
        self->failed = true;
        return -1;
    }
    sdb_bind_int64 (stmt, 1, self->seq);
    sdb_bind_blob (stmt, 2, self->head, 32);
    sdb_bind_blob (stmt, 3, sig, 64);
    sdb_bind_int64 (stmt, 4, now_ms);
    int rc = sdb_step (stmt);
    sdb_finalize (stmt);
    if (rc != SDB_DONE) {
        zsys_error ("audit: cannot store the signed head: %s", sdb_errmsg (self->db));
        self->failed = true;
        return -1;
    }
    self->signed_seq = self->seq;
    self->signed_head.seq = self->seq;
    memcpy (self->signed_head.hash, self->head, 32);
    memcpy (self->signed_head.sig, sig, 64);
    self->signed_head.ts_ms = now_ms;
    return 0;
}

int
audit_signed_head (audit_t *self, audit_head_t *head)
{
    *head = self->signed_head;
    return head->seq > 0;
}

int
audit_latest_head (store_t *store, audit_head_t *head)
{
    sdb_t *db = store_sdb (store);
    memset (head, 0, sizeof *head);
    sdb_stmt_t *stmt = NULL;
    if (sdb_prepare (db, "SELECT seq, hash, sig, ts_ms FROM audit_heads"
                            " ORDER BY seq DESC LIMIT 1", &stmt) != SDB_OK)
        return -1;
    int rc = sdb_step (stmt), found = 0;
    if (rc == SDB_ROW && sdb_column_bytes (stmt, 1) == 32
    &&  sdb_column_bytes (stmt, 2) == 64) {
        head->seq = sdb_column_int64 (stmt, 0);
        memcpy (head->hash, sdb_column_blob (stmt, 1), 32);
        memcpy (head->sig, sdb_column_blob (stmt, 2), 64);
        head->ts_ms = sdb_column_int64 (stmt, 3);
        found = 1;
    }
    sdb_finalize (stmt);
    return rc == SDB_ROW || rc == SDB_DONE? found: -1;
}

static void
s_hex (const uint8_t *data, size_t len, char *out)
{
    static const char digits [] = "0123456789abcdef";
    for (size_t i = 0; i < len; i++) {
        out [2 * i] = digits [data [i] >> 4];
        out [2 * i + 1] = digits [data [i] & 15];
    }
    out [2 * len] = 0;
}

static int
s_unhex (const char *text, uint8_t *out, size_t len)
{
    for (size_t i = 0; i < 2 * len; i++)
        if (!isxdigit ((unsigned char) text [i]))
            return -1;
    if (isxdigit ((unsigned char) text [2 * len]))
        return -1;
    for (size_t i = 0; i < len; i++) {
        unsigned value;
        if (sscanf (text + 2 * i, "%2x", &value) != 1)
            return -1;
        out [i] = (uint8_t) value;
    }
    return 0;
}

void
audit_head_format (const audit_head_t *head, char *text, size_t size)
{
    char hash [65], sig [129];
    s_hex (head->hash, 32, hash);
    s_hex (head->sig, 64, sig);
    snprintf (text, size, "audit head seq=%" PRId64 " hash=%s sig=%s", head->seq, hash, sig);
}

int
audit_head_parse (const char *text, audit_head_t *best)
{
    memset (best, 0, sizeof *best);
    int found = 0;
    for (const char *p = strstr (text, "seq="); p; p = strstr (p + 4, "seq=")) {
        audit_head_t head;
        memset (&head, 0, sizeof head);
        char *end = NULL;
        long long seq = strtoll (p + 4, &end, 10);
        if (!end || end == p + 4 || seq <= 0 || strncmp (end, " hash=", 6)
        ||  s_unhex (end + 6, head.hash, 32) || strncmp (end + 6 + 64, " sig=", 5)
        ||  s_unhex (end + 6 + 64 + 5, head.sig, 64))
            continue;
        head.seq = seq;
        if (!found || head.seq > best->seq)
            *best = head;
        found = 1;
    }
    return found;
}

int
audit_check_witness (store_t *store, audit_verify_fn *verify, void *arg,
                     const audit_head_t *witness, char *problem, size_t size)
{
    sdb_t *db = store_sdb (store);
    uint8_t msg [HEAD_MESSAGE_SIZE];
    s_head_message (witness->seq, witness->hash, msg);
    if (verify && verify (msg, sizeof msg, witness->sig, arg)) {
        snprintf (problem, size, "the witnessed head at record %" PRId64 " does not carry this"
                  " broker's signature (a garbled witness, or another broker's)", witness->seq);
        return -1;
    }
    sdb_stmt_t *stmt = NULL;
    if (sdb_prepare (db, "SELECT (SELECT hash FROM audit WHERE seq = ?1),"
                            " (SELECT max (seq) FROM audit)", &stmt) != SDB_OK) {
        snprintf (problem, size, "cannot read the audit log: %s", sdb_errmsg (db));
        return -1;
    }
    sdb_bind_int64 (stmt, 1, witness->seq);
    int rc = -1;
    if (sdb_step (stmt) != SDB_ROW)
        snprintf (problem, size, "cannot read the audit log: %s", sdb_errmsg (db));
    else {
        int64_t last = sdb_column_int64 (stmt, 1);
        const void *stored = s_blob (stmt, 0, 32);
        if (last < witness->seq)
            snprintf (problem, size, "TRUNCATED: a signed head at record %" PRId64 " was witnessed"
                      " outside the store, but the log ends at record %" PRId64 ": records %"
                      PRId64 " to %" PRId64 " (and their signed heads) were cut off (truncation)",
                      witness->seq, last, last + 1, witness->seq);
        else
        if (!stored || memcmp (stored, witness->hash, 32))
            snprintf (problem, size, "the log does not contain the witnessed signed head:"
                      " record %" PRId64 " differs from it (the log was cut off and written"
                      " again after record %" PRId64 ", or rewritten: truncation)",
                      witness->seq, witness->seq - 1);
        else
            rc = 0;
    }
    sdb_finalize (stmt);
    return rc;
}

static const void *
s_blob (sdb_stmt_t *stmt, int col, int len)
{
    return sdb_column_bytes (stmt, col) == len? sdb_column_blob (stmt, col): NULL;
}

//  Checks every signed head: its record must exist with that hash, and the
//  signature must verify. Catches truncation back to the last signature.
static int
s_verify_heads (sdb_t *db, audit_verify_fn *verify, void *arg, int64_t last_seq,
                char *problem, size_t size)
{
    sdb_stmt_t *stmt = NULL, *rec = NULL;
    if (sdb_prepare (db, "SELECT seq, hash, sig FROM audit_heads ORDER BY seq", &stmt) != SDB_OK
    ||  sdb_prepare (db, "SELECT hash FROM audit WHERE seq = ?1", &rec)
        != SDB_OK) {
        sdb_finalize (stmt);
        snprintf (problem, size, "cannot read signed heads: %s", sdb_errmsg (db));
        return -1;
    }
    int rc = 0, step;
    while (rc == 0 && (step = sdb_step (stmt)) != SDB_DONE) {
        if (step != SDB_ROW) {
            snprintf (problem, size, "cannot read the signed heads: %s%s", sdb_errmsg (db),
                      sdb_corrupt (db)? " (the database file is damaged: corruption)": "");
            rc = -1;
            break;
        }
        int64_t seq = sdb_column_int64 (stmt, 0);
        const uint8_t *hash = (const uint8_t *) s_blob (stmt, 1, 32);
        const uint8_t *sig = (const uint8_t *) s_blob (stmt, 2, 64);
        uint8_t msg [HEAD_MESSAGE_SIZE];
        if (!hash || !sig) {
            snprintf (problem, size, "signed head at record %" PRId64 " is damaged", seq);
            rc = -1;
            break;
        }
        s_head_message (seq, hash, msg);
        if (verify && verify (msg, sizeof msg, sig, arg)) {
            snprintf (problem, size, "signature of the head at record %" PRId64 " does not verify", seq);
            rc = -1;
            break;
        }
        if (seq > last_seq) {
            snprintf (problem, size, "records %" PRId64 " to %" PRId64 " were signed but are missing"
                      " (the log was cut off after record %" PRId64 ")", last_seq + 1, seq, last_seq);
            rc = -1;
            break;
        }
        sdb_reset (rec);
        sdb_bind_int64 (rec, 1, seq);
        const void *stored = sdb_step (rec) == SDB_ROW? s_blob (rec, 0, 32): NULL;
        if (!stored || memcmp (stored, hash, 32)) {
            snprintf (problem, size, "record %" PRId64 " differs from its signed head", seq);
            rc = -1;
        }
    }
    sdb_finalize (rec);
    sdb_finalize (stmt);
    return rc;
}

static void
s_record_from_row (sdb_stmt_t *stmt, audit_record_t *r)
{
    memset (r, 0, sizeof *r);
    r->event = (const char *) sdb_column_text (stmt, 2);
    r->message_id = (const uint8_t *) s_blob (stmt, 3, 16);
    r->sender = (const char *) sdb_column_text (stmt, 4);
    r->node = (const char *) sdb_column_text (stmt, 5);
    r->agency = sdb_column_int (stmt, 6);
    r->view = sdb_column_int (stmt, 7);
    r->rule = (const char *) sdb_column_text (stmt, 8);
    r->basis = (const char *) sdb_column_text (stmt, 9);
    r->content_hash = (const uint8_t *) s_blob (stmt, 10, 32);
    r->subject_key = (const uint8_t *) s_blob (stmt, 11, 32);
    r->detail = (const char *) sdb_column_text (stmt, 12);
}

int
audit_verify (store_t *store, audit_verify_fn *verify, void *arg, int64_t *records,
              char *problem, size_t size)
{
    sdb_t *db = store_sdb (store);
    sdb_stmt_t *stmt = NULL;
    *records = 0;
    problem [0] = 0;
    if (sdb_prepare (db, "SELECT " AUDIT_COLUMNS " FROM audit ORDER BY seq", &stmt) != SDB_OK) {
        snprintf (problem, size, "cannot read the audit log: %s%s", sdb_errmsg (db),
                  sdb_corrupt (db)
                  ? " (the database file is damaged: corruption, SQLITE_CORRUPT)": "");
        return -1;
    }
    uint8_t prev [32] = { 0 };
    int64_t expect = 1;
    int rc = 0, step = SDB_DONE;
    while (rc == 0 && (step = sdb_step (stmt)) == SDB_ROW) {
        int64_t seq = sdb_column_int64 (stmt, 0);
        const uint8_t *stored_prev = (const uint8_t *) s_blob (stmt, 13, 32);
        const uint8_t *stored_hash = (const uint8_t *) s_blob (stmt, 14, 32);
        audit_record_t r;
        uint8_t hash [32];
        s_record_from_row (stmt, &r);
        if (seq != expect)
            snprintf (problem, size, "record %" PRId64 " is missing (found %" PRId64 " after %"
                      PRId64 ")", expect, seq, expect - 1), rc = -1;
        else
        if (!stored_prev || !stored_hash || memcmp (stored_prev, prev, 32))
            snprintf (problem, size, "record %" PRId64 " does not follow record %" PRId64
                      " (removed, reordered or replaced)", seq, seq - 1), rc = -1;
        else
        if (s_hash (seq, sdb_column_int64 (stmt, 1), &r, prev, hash)
        ||  memcmp (hash, stored_hash, 32))
            snprintf (problem, size, "record %" PRId64 " was changed (its hash does not match"
                      " its content)", seq), rc = -1;
        else {
            memcpy (prev, stored_hash, 32);
            expect++;
            (*records)++;
        }
    }
    if (rc == 0 && step != SDB_DONE)
        //  The walk ended on an error, not at the end of the log.
        snprintf (problem, size, "the database file is damaged after record %" PRId64
                  ": %s (%s; corruption, not a cut-off log: keep the file as it is"
                  " and restore from a backup)", expect - 1, sdb_errmsg (db),
                  sdb_corrupt (db)? "SQLITE_CORRUPT": "a read error"), rc = -1;
    sdb_finalize (stmt);
    if (rc == 0)
        rc = s_verify_heads (db, verify, arg, expect - 1, problem, size);
    char damage [160];
    if (rc && !strstr (problem, "damaged") && sdb_damaged (db, damage, sizeof damage) == 1) {
        //  What looked like a changed or missing record sits in a damaged
        //  file: say that first, with what the chain walk saw.
        char seen [256];
        snprintf (seen, sizeof seen, "%s", problem);
        snprintf (problem, size, "the database file is damaged (corruption: the database's integrity"
                  " check says \"%s\"); the chain walk saw: %s", damage, seen);
    }
    return rc;
}

//  The author= of a "submitted" record's detail: at most 32 of the
//  characters frame.c lets through (letters, digits, '.', '_', '-'), so
//  nothing else in the detail can be taken for it. NULL when there is none.
static const char *
s_author_of (const char *detail, char *author, size_t size)
{
    const char *at = detail? strstr (detail, "; author="): NULL;
    if (!at)
        return NULL;
    at += strlen ("; author=");
    size_t n = 0;
    while (n + 1 < size && (isalnum ((unsigned char) at [n]) || at [n] == '.'
                            || at [n] == '_' || at [n] == '-'))
        author [n] = at [n], n++;
    author [n] = 0;
    return n? author: NULL;
}

//  Fills row from the current result row (seq, ts, the record, its hash
//  and, when the query selected the detail as column 15, its author, held
//  in author). The row points into stmt until the next step.
static void
s_row_fill (sdb_stmt_t *stmt, audit_row_t *row, char author [33])
{
    row->seq = sdb_column_int64 (stmt, 0);
    row->ts_ms = sdb_column_int64 (stmt, 1);
    s_record_from_row (stmt, &row->r);
    row->hash = (const uint8_t *) s_blob (stmt, 14, 32);
    row->author = sdb_column_count (stmt) > 15
                ? s_author_of ((const char *) sdb_column_text (stmt, 15), author, 33)
                : NULL;
    row->receipt = NULL;
}

static int
s_rows (sdb_stmt_t *stmt, audit_row_fn *fn, void *arg)
{
    int rc, count = 0;
    while ((rc = sdb_step (stmt)) == SDB_ROW) {
        audit_row_t row;
        char author [33];
        s_row_fill (stmt, &row, author);
        count++;
        if (fn (&row, arg))
            break;
    }
    sdb_finalize (stmt);
    return rc == SDB_ROW || rc == SDB_DONE? count: -1;
}

//  What the records after a delivery say about it: who-received lists a
//  delivery only if it was handed over, and says whether it was confirmed.
typedef struct {
    int64_t seq;
    int64_t delivery;         //  the delivery id its detail names
    char    node [64];
    char    what;             //  'D' delivered/shown, 'N' not sent, 'R' received, 'r' read
    bool    not_sent;         //  'D' only: the connection did not take it
    char    receipt;          //  'D' only: 'R', 'r' or 0
} fate_t;

typedef struct {
    fate_t *list;
    size_t  count, max;
} fates_t;

//  The delivery id after "delivery " in a record's detail; -1 if none.
static int64_t
s_delivery_of (const char *detail)
{
    const char *at = detail? strstr (detail, "delivery "): NULL;
    if (!at || !isdigit ((unsigned char) at [9]))
        return -1;
    return strtoll (at + 9, NULL, 10);
}

static int
s_fate_order (const void *a, const void *b)
{
    const fate_t *x = (const fate_t *) a, *y = (const fate_t *) b;
    int c = strcmp (x->node, y->node);
    if (c)
        return c;
    if (x->delivery != y->delivery)
        return x->delivery < y->delivery? -1: 1;
    return x->seq < y->seq? -1: x->seq > y->seq;
}

static int
s_fate_by_seq (const void *a, const void *b)
{
    const fate_t *x = (const fate_t *) a, *y = (const fate_t *) b;
    return x->seq < y->seq? -1: x->seq > y->seq;
}

//  Reads every record about the subject's deliveries, then settles each
//  handed-over record's fate: a "delivery_not_sent" cancels the record it
//  follows (the delivery's next record: its entry was in flight until
//  then, so nothing else of it can come between; for an inbox answer it
//  is written right after the commit of its "shown", before any delivery
//  of that cycle); a receipt (or a late one) confirms the delivery. 0, or -1 when the log cannot be read.
static int
s_fates (sdb_t *db, const uint8_t subject_key [32], fates_t *fates)
{
    sdb_stmt_t *stmt = NULL;
    if (sdb_prepare (db, "SELECT seq, event, node, detail FROM audit WHERE subject_key = ?1"
                         " AND event IN ('delivered', 'shown', 'delivery_not_sent', 'receipt',"
                         " 'late_receipt') ORDER BY seq", &stmt) != SDB_OK)
        return -1;
    sdb_bind_blob (stmt, 1, subject_key, 32);
    int rc;
    while ((rc = sdb_step (stmt)) == SDB_ROW) {
        const char *event = (const char *) sdb_column_text (stmt, 1);
        const char *detail = (const char *) sdb_column_text (stmt, 3);
        int64_t delivery = s_delivery_of (detail);
        if (!event || delivery < 0)
            continue;
        if (fates->count == fates->max) {
            size_t max = fates->max? fates->max * 2: 64;
            fate_t *list = (fate_t *) realloc (fates->list, max * sizeof (fate_t));
            if (!list) {
                rc = SDB_ERROR;
                break;
            }
            fates->list = list;
            fates->max = max;
        }
        fate_t *f = &fates->list [fates->count++];
        memset (f, 0, sizeof *f);
        f->seq = sdb_column_int64 (stmt, 0);
        f->delivery = delivery;
        const char *node = (const char *) sdb_column_text (stmt, 2);
        snprintf (f->node, sizeof f->node, "%s", node? node: "");
        bool receipt = streq (event, "receipt") || streq (event, "late_receipt");
        f->what = streq (event, "delivery_not_sent")? 'N'
                : receipt? (strstr (detail, " read")? 'r': 'R'): 'D';
    }
    sdb_finalize (stmt);
    if (rc != SDB_DONE)
        return -1;
    //  Per (node, delivery), in the order written.
    if (fates->count)
        qsort (fates->list, fates->count, sizeof (fate_t), s_fate_order);
    for (size_t i = 0; i < fates->count; ) {
        size_t end = i;
        char receipt = 0;
        for (; end < fates->count && fates->list [end].delivery == fates->list [i].delivery
               && streq (fates->list [end].node, fates->list [i].node); end++) {
            fate_t *f = &fates->list [end];
            if (f->what == 'N') {
                //  The latest record not yet cancelled: two inbox answers
                //  of one cycle both refused are both written before
                //  their two "not sent" records.
                for (size_t k = end; k-- > i; )
                    if (fates->list [k].what == 'D' && !fates->list [k].not_sent) {
                        fates->list [k].not_sent = true;
                        break;
                    }
            }
            else
            if (f->what == 'r' || (f->what == 'R' && receipt != 'r'))
                receipt = f->what;
        }
        for (size_t k = i; k < end; k++)
            if (fates->list [k].what == 'D' && !fates->list [k].not_sent)
                fates->list [k].receipt = receipt;
        i = end;
    }
    //  Looked up by seq while the rows go out.
    if (fates->count)
        qsort (fates->list, fates->count, sizeof (fate_t), s_fate_by_seq);
    return 0;
}

int
audit_who_received (store_t *store, const uint8_t subject_key [32], audit_row_fn *fn, void *arg)
{
    sdb_t *db = store_sdb (store);
    fates_t fates = { NULL, 0, 0 };
    if (s_fates (db, subject_key, &fates)) {
        free (fates.list);
        return -1;
    }
    sdb_stmt_t *stmt = NULL;
    //  A plan query's answer shows the plan as a delivery would
    //  ("plan_shown", identified or pseudonymised): whoever saw it is
    //  listed; one that showed nothing (view 4, withheld: no plan, or
    //  none for that agency) told nothing about her and is not.
    //  The author is in the message's "submitted" record, which names the
    //  same person: found through the same index, per row (cheap), rather
    //  than copied into every delivery record.
    if (sdb_prepare (db, "SELECT " AUDIT_COLUMNS ", (SELECT s.detail FROM audit s"
                            " WHERE s.subject_key = ?1 AND s.event = 'submitted'"
                            " AND s.message_id = audit.message_id ORDER BY s.seq LIMIT 1)"
                            " FROM audit WHERE subject_key = ?1"
                            " AND (event IN ('delivered', 'notice', 'shown')"
                            "      OR (event = 'plan_shown' AND view <> 4))"
                            " ORDER BY seq", &stmt) != SDB_OK) {
        free (fates.list);
        return -1;
    }
    sdb_bind_blob (stmt, 1, subject_key, 32);
    int rc, count = 0;
    while ((rc = sdb_step (stmt)) == SDB_ROW) {
        audit_row_t row;
        char author [33];
        s_row_fill (stmt, &row, author);
        fate_t key = { .seq = row.seq };
        const fate_t *fate = fates.count
                           ? (const fate_t *) bsearch (&key, fates.list, fates.count,
                                                       sizeof (fate_t), s_fate_by_seq)
                           : NULL;
        //  Recorded, then not taken by the connection: not received.
        if (fate && fate->not_sent)
            continue;
        row.receipt = !fate || !fate->receipt? NULL: fate->receipt == 'r'? "read": "received";
        count++;
        if (fn (&row, arg))
            break;
    }
    sdb_finalize (stmt);
    free (fates.list);
    return rc == SDB_ROW || rc == SDB_DONE? count: -1;
}

int
audit_reviews (store_t *store, audit_row_fn *fn, void *arg)
{
    sdb_t *db = store_sdb (store);
    sdb_stmt_t *stmt = NULL;
    if (sdb_prepare (db, "SELECT " AUDIT_COLUMNS " FROM audit WHERE event = 'decided'"
                            " ORDER BY seq", &stmt) != SDB_OK)
        return -1;
    return s_rows (stmt, fn, arg);
}

int
audit_export (store_t *store, int64_t since_ms, int64_t until_ms, int64_t after_seq, int limit,
              audit_row_fn *fn, void *arg)
{
    sdb_t *db = store_sdb (store);
    sdb_stmt_t *stmt = NULL;
    if (sdb_prepare (db, "SELECT " AUDIT_COLUMNS " FROM audit WHERE seq > ?1"
                            " AND ts_ms >= ?2 AND ts_ms < ?3 ORDER BY seq LIMIT ?4", &stmt) != SDB_OK)
        return -1;
    sdb_bind_int64 (stmt, 1, after_seq);
    sdb_bind_int64 (stmt, 2, since_ms);
    sdb_bind_int64 (stmt, 3, until_ms);
    sdb_bind_int (stmt, 4, limit);
    return s_rows (stmt, fn, arg);
}
