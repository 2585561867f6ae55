/*  store_pg — the PostgreSQL backend of store_db.h, through libpq.

    Durability: synchronous_commit is set on for the session, so COMMIT
    returns only when the commit record is flushed (and, with synchronous
    standbys configured, replicated). A COMMIT that PostgreSQL answers with
    ROLLBACK (a statement of the transaction failed) is a failure.

    Statements are prepared once per connection (PQprepare) and run with
    PQexecPrepared; results come whole (text format, bytea decoded here),
    so several statements may be read at the same time as with sqlite.
    A transaction begins lazily, at its first statement: an idle broker
    cycle (begin, nothing written, rollback) costs no round trip.

    The SQL dialect above the seam is sqlite's with numbered placeholders;
    s_translate below rewrites what PostgreSQL spells differently.        */
#include "store_db.h"
#include <czmq.h>
#include <libpq-fe.h>
#include <ctype.h>

#define BYTEAOID 17

typedef struct {
    sdb_t    base;
    PGconn  *conn;
    bool     begin_pending;   //  sdb_begin called, BEGIN not yet sent
    bool     in_batch;        //  between sdb_begin and its commit or rollback
    bool     pipelined;       //  in libpq pipeline mode, QUEUED results unread
    int      queued;
    int64_t  changes, total_changes;
    int      next_name;
    char     sqlstate [6];
    char     message [512];
    char     lost [512];      //  the error with which the connection went bad
    char     earlier [512];   //  the first error of this transaction, before that
} pg_t;

typedef struct {
    sdb_stmt_t base;
    char       name [16];
    int        nparams;
    char     **values;
    int       *lengths;
    int       *formats;
    bool       executed;
    PGresult  *res;
    int        row;
    int        ncols;
    int        fields;        //  result columns, known from the prepare
    unsigned char **decoded;  //  bytea columns of the current row
    size_t    *decoded_size;
} pg_stmt_t;

#define PG(self) ((pg_t *) (self))
#define PSTMT(stmt) ((pg_stmt_t *) (stmt))

static void
s_error (pg_t *self, const PGresult *res, const char *what)
{
    const char *msg = res? PQresultErrorMessage (res): PQerrorMessage (self->conn);
    const char *state = res? PQresultErrorField (res, PG_DIAG_SQLSTATE): NULL;
    snprintf (self->sqlstate, sizeof self->sqlstate, "%s", state? state: "");
    snprintf (self->message, sizeof self->message, "%s%s%s", what? what: "", what? ": ": "",
              msg && *msg? msg: "PostgreSQL connection failed");
    //  One line: libpq's messages run over several ("server closed the
    //  connection unexpectedly\n\tThis probably means ...").
    size_t len = 0;
    for (const char *c = self->message; *c; c++)
        if (!isspace ((unsigned char) *c) || (len && self->message [len - 1] != ' '))
            self->message [len++] = isspace ((unsigned char) *c)? ' ': *c;
    while (len && self->message [len - 1] == ' ')
        len--;
    self->message [len] = 0;
    //  The first error of a dead connection says why; later ones only
    //  "no connection to the server".
    size_t skip = what? strlen (what) + 2: 0;        //  "WHAT: "
    const char *why = skip < len? self->message + skip: "the connection failed";
    if (*self->lost)
        return;
    if (PQstatus (self->conn) != CONNECTION_BAD) {
        //  A server ending the session sends its reason ("FATAL:
        //  terminating connection ...") as an error while libpq still
        //  counts the connection good; once it has given up, libpq only
        //  says "no connection to the server". Kept for that case.
        if (!*self->earlier)
            snprintf (self->earlier, sizeof self->earlier, "%s", why);
        return;
    }
    if (*self->earlier && strstr (why, "no connection to the server"))
        why = self->earlier;
    snprintf (self->lost, sizeof self->lost, "%s", why);
}

//  ---------------------------------------------------------------------
//  The dialect: sqlite's spelling in, PostgreSQL's out.

static bool
s_word_char (char c)
{
    return isalnum ((unsigned char) c) || c == '_';
}

//  The next word after P (skipping blanks) into WORD; returns the pointer
//  after it, or P when there is no word.
static const char *
s_next_word (const char *p, char *word, size_t size)
{
    const char *q = p;
    while (*q && isspace ((unsigned char) *q))
        q++;
    size_t n = 0;
    while (s_word_char (*q) && n + 1 < size)
        word [n++] = *q++;
    word [n] = 0;
    return n? q: p;
}

//  Rewrites SQL; *NPARAMS gets the highest placeholder number. The caller
//  frees the result.
static char *
s_translate (const char *sql, int *nparams, uint64_t *used)
{
    size_t size = strlen (sql) * 2 + 256;
    char *out = (char *) malloc (size);
    if (!out)
        return NULL;
    size_t n = 0;
    int max = 0, seq = 0;
    bool ignore = false;          //  INSERT OR IGNORE in this statement
    bool after_insert = false, after_begin = false;
    const char *p = sql;
#define EMIT(s) do { const char *e_ = (s); size_t l_ = strlen (e_); \
        if (n + l_ + 64 >= size) { size = (n + l_) * 2 + 256; \
            char *r_ = (char *) realloc (out, size); if (!r_) { free (out); return NULL; } out = r_; } \
        memcpy (out + n, e_, l_); n += l_; } while (0)
    while (*p) {
        char c = *p;
        if (c == '\'') {          //  a string literal, as it is
            const char *q = p + 1;
            while (*q && !(*q == '\'' && q [1] != '\'')) {
                if (*q == '\'')
                    q++;
                q++;
            }
            if (*q)
                q++;
            char buf [512];
            size_t len = (size_t) (q - p) < sizeof buf - 1? (size_t) (q - p): sizeof buf - 1;
            memcpy (buf, p, len);
            buf [len] = 0;
            EMIT (buf);
            p = q;
            continue;
        }
        if (c == '?') {
            p++;
            int num = 0;
            if (isdigit ((unsigned char) *p))
                num = (int) strtol (p, (char **) &p, 10);
            else
                num = ++seq;
            if (num > max)
                max = num;
            if (used && num <= 64)
                *used |= 1ULL << (num - 1);
            char buf [16];
            snprintf (buf, sizeof buf, "$%d", num);
            EMIT (buf);
            continue;
        }
        if (c == ';') {
            if (ignore)
                EMIT (" ON CONFLICT DO NOTHING");
            ignore = after_insert = after_begin = false;
            EMIT (";");
            p++;
            continue;
        }
        if (s_word_char (c) && !(p > sql && (s_word_char (p [-1]) || p [-1] == '.'))) {
            char word [64], next [64], third [64];
            const char *end = s_next_word (p, word, sizeof word);
            const char *after = s_next_word (end, next, sizeof next);
            bool was_insert = after_insert, was_begin = after_begin;
            after_insert = strcasecmp (word, "INSERT") == 0;
            after_begin = strcasecmp (word, "BEGIN") == 0;
            if (strcasecmp (word, "INTEGER") == 0 && strcasecmp (next, "PRIMARY") == 0) {
                const char *key_end = s_next_word (after, third, sizeof third);
                if (strcasecmp (third, "KEY") == 0) {
                    EMIT ("BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY");
                    p = key_end;
                    continue;
                }
            }
            if (strcasecmp (word, "INTEGER") == 0) {
                EMIT ("BIGINT");
                p = end;
                continue;
            }
            if (strcasecmp (word, "BLOB") == 0) {
                EMIT ("BYTEA");
                p = end;
                continue;
            }
            if (strcasecmp (word, "AUTOINCREMENT") == 0
            ||  (was_begin && strcasecmp (word, "IMMEDIATE") == 0)) {
                p = end;
                continue;
            }
            if (was_insert && strcasecmp (word, "OR") == 0 && strcasecmp (next, "IGNORE") == 0) {
                ignore = true;
                after_insert = true;      //  INSERT OR IGNORE INTO: still after INSERT
                p = after;
                continue;
            }
            if (strcasecmp (word, "INDEXED") == 0 && strcasecmp (next, "BY") == 0) {
                p = s_next_word (after, third, sizeof third);
                continue;
            }
            if (strcasecmp (word, "WITHOUT") == 0 && strcasecmp (next, "ROWID") == 0) {
                p = after;
                continue;
            }
            char buf [64];
            snprintf (buf, sizeof buf, "%.*s", (int) (end - p), p);
            EMIT (buf);
            p = end;
            continue;
        }
        char buf [2] = { c, 0 };
        EMIT (buf);
        p++;
    }
    if (ignore)
        EMIT (" ON CONFLICT DO NOTHING");
    out [n] = 0;
#undef EMIT
    *nparams = max;
    return out;
}

//  ---------------------------------------------------------------------

static int s_exec_raw (pg_t *self, const char *sql);
static bool s_changed_rows (const PGresult *res);

//  Pipeline: inside a batch, statements that return no rows are sent
//  without waiting for their answers (libpq pipeline mode); the answers
//  are read before anything that needs them (a read, a change count, the
//  commit) or after PIPELINE_MAX statements. A statement that failed there
//  fails the whole batch (the store is told, and PostgreSQL has aborted the
//  transaction, so its COMMIT would be a ROLLBACK anyway).
#define PIPELINE_MAX 64

static int
s_drain (pg_t *self)
{
    if (!self->pipelined)
        return SDB_OK;
    int rc = SDB_OK;
    if (PQpipelineSync (self->conn) != 1) {
        s_error (self, NULL, "pipeline sync");
        rc = SDB_ERROR;
    }
    else {
        for (int i = 0; i < self->queued; i++) {
            PGresult *res;
            while ((res = PQgetResult (self->conn))) {
                if (PQresultStatus (res) == PGRES_COMMAND_OK) {
                    if (s_changed_rows (res)) {
                        self->changes = atoll (PQcmdTuples (res));
                        self->total_changes += self->changes;
                    }
                }
                else
                if (rc == SDB_OK) {
                    s_error (self, res, NULL);
                    rc = SDB_ERROR;
                }
                PQclear (res);
            }
        }
        PGresult *res = PQgetResult (self->conn);
        if (PQresultStatus (res) != PGRES_PIPELINE_SYNC && rc == SDB_OK) {
            s_error (self, res, "pipeline");
            rc = SDB_ERROR;
        }
        PQclear (res);
    }
    self->queued = 0;
    if (PQexitPipelineMode (self->conn) != 1 && rc == SDB_OK) {
        s_error (self, NULL, "pipeline end");
        rc = SDB_ERROR;
    }
    self->pipelined = false;
    if (rc != SDB_OK) {
        zsys_error ("store: %s", self->message);
        sdb_lost_transaction (&self->base);
    }
    return rc;
}

//  Sends a statement of the batch into the pipeline (with the batch's
//  deferred BEGIN ahead of it).
static int
s_queue (pg_t *self, const char *name, int nparams, char **values, int *lengths, int *formats)
{
    if (!self->pipelined) {
        if (PQenterPipelineMode (self->conn) != 1) {
            s_error (self, NULL, "pipeline");
            return SDB_ERROR;
        }
        self->pipelined = true;
    }
    if (self->begin_pending) {
        self->begin_pending = false;
        if (!PQsendQueryParams (self->conn, "BEGIN", 0, NULL, NULL, NULL, NULL, 0)) {
            s_error (self, NULL, "pipeline");
            s_drain (self);
            return SDB_ERROR;
        }
        self->queued++;
    }
    if (!PQsendQueryPrepared (self->conn, name, nparams, (const char * const *) values,
                              lengths, formats, 0)) {
        s_error (self, NULL, "pipeline");
        s_drain (self);
        return SDB_ERROR;
    }
    self->queued++;
    return self->queued >= PIPELINE_MAX? s_drain (self): SDB_OK;
}

//  Sends the BEGIN that sdb_begin deferred.
static int
s_begin_now (pg_t *self)
{
    if (s_drain (self))
        return SDB_ERROR;
    if (!self->begin_pending)
        return SDB_OK;
    self->begin_pending = false;
    return s_exec_raw (self, "BEGIN");
}

static int
s_exec_raw (pg_t *self, const char *sql)
{
    PGresult *res = PQexec (self->conn, sql);
    ExecStatusType status = PQresultStatus (res);
    int rc = status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK? SDB_OK: SDB_ERROR;
    if (rc != SDB_OK)
        s_error (self, res, NULL);
    PQclear (res);
    return rc;
}

static void
s_close (sdb_t *base)
{
    pg_t *self = PG (base);
    if (self->conn)
        PQfinish (self->conn);
    free (self);
}

static int
s_exec (sdb_t *base, const char *sql)
{
    pg_t *self = PG (base);
    if (s_begin_now (self))
        return SDB_ERROR;
    int nparams = 0;
    char *text = s_translate (sql, &nparams, NULL);
    if (!text) {
        snprintf (self->message, sizeof self->message, "out of memory");
        return SDB_ERROR;
    }
    int rc = s_exec_raw (self, text);
    free (text);
    return rc;
}

static sdb_stmt_t *
s_prepare (sdb_t *base, const char *sql)
{
    pg_t *self = PG (base);
    pg_stmt_t *stmt = (pg_stmt_t *) zmalloc (sizeof (pg_stmt_t));
    uint64_t used = 0;
    char *text = stmt? s_translate (sql, &stmt->nparams, &used): NULL;
    if (!text) {
        free (stmt);
        return NULL;
    }
    snprintf (stmt->name, sizeof stmt->name, "s%d", ++self->next_name);
    int np = stmt->nparams? stmt->nparams: 1;
    stmt->values = (char **) calloc ((size_t) np, sizeof (char *));
    stmt->lengths = (int *) calloc ((size_t) np, sizeof (int));
    stmt->formats = (int *) calloc ((size_t) np, sizeof (int));
    //  A placeholder the SQL skips (?1 and ?3 but no ?2, as sqlite allows)
    //  has no type to deduce: it is declared text, and whatever is bound
    //  to it is ignored by the statement.
    Oid *types = (Oid *) calloc ((size_t) np, sizeof (Oid));
    for (int i = 0; types && i < stmt->nparams && i < 64; i++)
        if (!(used & (1ULL << i)))
            types [i] = 25;             //  TEXTOID
    //  Preparing inside an open transaction is part of it: a failure here
    //  fails it like any statement.
    PGresult *res = stmt->values && stmt->lengths && stmt->formats && types
                    && s_begin_now (self) == SDB_OK
                  ? PQprepare (self->conn, stmt->name, text, stmt->nparams, types): NULL;
    free (types);
    bool ok = res && PQresultStatus (res) == PGRES_COMMAND_OK;
    if (!ok) {
        s_error (self, res, "prepare");
        zsys_error ("store: prepare: %s (%s)", self->message, text);
    }
    PQclear (res);
    //  The result's column count, as sqlite knows it before the first step.
    if (ok) {
        res = PQdescribePrepared (self->conn, stmt->name);
        ok = PQresultStatus (res) == PGRES_COMMAND_OK;
        if (ok)
            stmt->fields = PQnfields (res);
        else
            s_error (self, res, "describe");
        PQclear (res);
    }
    free (text);
    if (!ok) {
        free (stmt->values);
        free (stmt->lengths);
        free (stmt->formats);
        free (stmt);
        return NULL;
    }
    return &stmt->base;
}

static void
s_free_row (pg_stmt_t *stmt)
{
    if (stmt->decoded)
        for (int i = 0; i < stmt->ncols; i++)
            if (stmt->decoded [i]) {
                PQfreemem (stmt->decoded [i]);
                stmt->decoded [i] = NULL;
            }
}

static void
s_reset (sdb_stmt_t *base)
{
    pg_stmt_t *stmt = PSTMT (base);
    s_free_row (stmt);
    free (stmt->decoded);
    free (stmt->decoded_size);
    stmt->decoded = NULL;
    stmt->decoded_size = NULL;
    PQclear (stmt->res);
    stmt->res = NULL;
    stmt->executed = false;
    stmt->ncols = 0;
}

static void
s_clear_bindings (sdb_stmt_t *base)
{
    pg_stmt_t *stmt = PSTMT (base);
    for (int i = 0; i < stmt->nparams; i++) {
        free (stmt->values [i]);
        stmt->values [i] = NULL;
        stmt->lengths [i] = 0;
        stmt->formats [i] = 0;
    }
}

static void
s_stmt_free (sdb_stmt_t *base)
{
    pg_stmt_t *stmt = PSTMT (base);
    s_reset (base);
    s_clear_bindings (base);
    free (stmt->values);
    free (stmt->lengths);
    free (stmt->formats);
    free (stmt);
}

static void
s_set_param (pg_stmt_t *stmt, int i, char *value, int length, int format)
{
    if (i < 1 || i > stmt->nparams) {
        free (value);
        return;
    }
    free (stmt->values [i - 1]);
    stmt->values [i - 1] = value;
    stmt->lengths [i - 1] = length;
    stmt->formats [i - 1] = format;
}

static void
s_bind_int64 (sdb_stmt_t *base, int i, int64_t value)
{
    char buf [24];
    snprintf (buf, sizeof buf, "%" PRId64, value);
    s_set_param (PSTMT (base), i, strdup (buf), 0, 0);
}

//  PostgreSQL refuses text that is not valid UTF-8 (sqlite keeps any
//  bytes). A name or detail from the wire must not fail a whole batch:
//  bytes that are not UTF-8 are stored as '?'.
static char *
s_utf8_copy (const char *text)
{
    size_t len = strlen (text);
    char *out = (char *) malloc (len + 1);
    if (!out)
        return NULL;
    const unsigned char *p = (const unsigned char *) text;
    size_t i = 0, o = 0;
    while (i < len) {
        unsigned char c = p [i];
        int extra = c < 0x80? 0: (c & 0xe0) == 0xc0 && c >= 0xc2? 1: (c & 0xf0) == 0xe0? 2
                  : (c & 0xf8) == 0xf0 && c <= 0xf4? 3: -1;
        bool ok = extra >= 0 && i + (size_t) extra < len;
        for (int k = 1; ok && k <= extra; k++)
            ok = (p [i + k] & 0xc0) == 0x80;
        if (ok && extra == 2) {
            unsigned cp = ((c & 0x0f) << 12) | ((p [i + 1] & 0x3f) << 6);
            ok = cp >= 0x800 && !(cp >= 0xd800 && cp <= 0xdfff);
        }
        if (ok && extra == 3) {
            unsigned cp = ((c & 0x07) << 18) | ((p [i + 1] & 0x3f) << 12);
            ok = cp >= 0x10000 && cp <= 0x10ffff;
        }
        if (!ok) {
            out [o++] = '?';
            i++;
            continue;
        }
        memcpy (out + o, p + i, (size_t) extra + 1);
        o += (size_t) extra + 1;
        i += (size_t) extra + 1;
    }
    out [o] = 0;
    return out;
}

static void
s_bind_text (sdb_stmt_t *base, int i, const char *text)
{
    s_set_param (PSTMT (base), i, s_utf8_copy (text), 0, 0);
}

static void
s_bind_blob (sdb_stmt_t *base, int i, const void *data, size_t size)
{
    char *copy = (char *) malloc (size? size: 1);
    if (copy && size)
        memcpy (copy, data, size);
    s_set_param (PSTMT (base), i, copy, (int) size, 1);
}

static void
s_bind_null (sdb_stmt_t *base, int i)
{
    s_set_param (PSTMT (base), i, NULL, 0, 0);
}

static bool
s_changed_rows (const PGresult *res)
{
    const char *status = PQcmdStatus ((PGresult *) res);
    return strncmp (status, "INSERT", 6) == 0 || strncmp (status, "UPDATE", 6) == 0
        || strncmp (status, "DELETE", 6) == 0;
}

static int
s_step (sdb_stmt_t *base)
{
    pg_stmt_t *stmt = PSTMT (base);
    pg_t *self = PG (base->db);
    if (!stmt->executed) {
        stmt->executed = true;
        for (int i = 0; i < stmt->nparams; i++)
            if (stmt->formats [i] == 1 && !stmt->values [i]) {
                snprintf (self->message, sizeof self->message, "out of memory");
                return SDB_ERROR;
            }
        //  A write of the batch: into the pipeline, answered later.
        if (self->in_batch && stmt->fields == 0) {
            stmt->res = NULL;
            return s_queue (self, stmt->name, stmt->nparams, stmt->values, stmt->lengths,
                            stmt->formats) == SDB_OK? SDB_DONE: SDB_ERROR;
        }
        if (s_begin_now (self))
            return SDB_ERROR;
        stmt->res = PQexecPrepared (self->conn, stmt->name, stmt->nparams,
                                    (const char * const *) stmt->values, stmt->lengths,
                                    stmt->formats, 0);
        ExecStatusType status = PQresultStatus (stmt->res);
        if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
            s_error (self, stmt->res, NULL);
            PQclear (stmt->res);
            stmt->res = NULL;
            return SDB_ERROR;
        }
        self->changes = s_changed_rows (stmt->res)? atoll (PQcmdTuples (stmt->res)): 0;
        self->total_changes += self->changes;
        stmt->row = -1;
        stmt->ncols = PQnfields (stmt->res);
        if (stmt->ncols) {
            stmt->decoded = (unsigned char **) calloc ((size_t) stmt->ncols, sizeof (unsigned char *));
            stmt->decoded_size = (size_t *) calloc ((size_t) stmt->ncols, sizeof (size_t));
            if (!stmt->decoded || !stmt->decoded_size) {
                snprintf (self->message, sizeof self->message, "out of memory");
                return SDB_ERROR;
            }
        }
    }
    if (!stmt->res)
        return SDB_DONE;
    s_free_row (stmt);
    stmt->row++;
    return stmt->row < PQntuples (stmt->res)? SDB_ROW: SDB_DONE;
}

static bool
s_valid (pg_stmt_t *stmt, int col)
{
    return stmt->res && col >= 0 && col < stmt->ncols && stmt->row >= 0
        && stmt->row < PQntuples (stmt->res);
}

static int s_column_count (sdb_stmt_t *base) { return PSTMT (base)->fields; }

static bool
s_column_null (sdb_stmt_t *base, int col)
{
    pg_stmt_t *stmt = PSTMT (base);
    return !s_valid (stmt, col) || PQgetisnull (stmt->res, stmt->row, col);
}

static int64_t
s_column_int64 (sdb_stmt_t *base, int col)
{
    pg_stmt_t *stmt = PSTMT (base);
    if (s_column_null (base, col))
        return 0;
    const char *v = PQgetvalue (stmt->res, stmt->row, col);
    if (streq (v, "t"))
        return 1;
    if (streq (v, "f"))
        return 0;
    return strtoll (v, NULL, 10);
}

static const char *
s_column_text (sdb_stmt_t *base, int col)
{
    pg_stmt_t *stmt = PSTMT (base);
    return s_column_null (base, col)? NULL: PQgetvalue (stmt->res, stmt->row, col);
}

//  A bytea column of the current row, decoded once.
static bool
s_decode (pg_stmt_t *stmt, int col)
{
    if (stmt->decoded [col])
        return true;
    stmt->decoded [col] = PQunescapeBytea ((const unsigned char *) PQgetvalue (stmt->res, stmt->row, col),
                                           &stmt->decoded_size [col]);
    return stmt->decoded [col] != NULL;
}

static const void *
s_column_blob (sdb_stmt_t *base, int col)
{
    pg_stmt_t *stmt = PSTMT (base);
    if (s_column_null (base, col))
        return NULL;
    if (PQftype (stmt->res, col) != BYTEAOID)
        return PQgetvalue (stmt->res, stmt->row, col);
    if (!s_decode (stmt, col))
        return NULL;
    return stmt->decoded_size [col]? stmt->decoded [col]: NULL;
}

static int
s_column_bytes (sdb_stmt_t *base, int col)
{
    pg_stmt_t *stmt = PSTMT (base);
    if (s_column_null (base, col))
        return 0;
    if (PQftype (stmt->res, col) != BYTEAOID)
        return PQgetlength (stmt->res, stmt->row, col);
    return s_decode (stmt, col)? (int) stmt->decoded_size [col]: 0;
}

static int64_t
s_changes (sdb_t *base)
{
    pg_t *self = PG (base);
    return s_drain (self) == SDB_OK? self->changes: 0;
}

static int64_t
s_total_changes (sdb_t *base)
{
    pg_t *self = PG (base);
    s_drain (self);             //  a failure there has failed the batch already
    return self->total_changes;
}

static int64_t
s_last_id (sdb_t *base)
{
    pg_t *self = PG (base);
    if (s_drain (self))
        return -1;
    PGresult *res = PQexec (self->conn, "SELECT lastval ()");
    int64_t id = -1;
    if (PQresultStatus (res) == PGRES_TUPLES_OK && PQntuples (res) == 1)
        id = strtoll (PQgetvalue (res, 0, 0), NULL, 10);
    else
        s_error (self, res, "lastval");
    PQclear (res);
    return id;
}

static const char *s_errmsg (sdb_t *base) { return PG (base)->message; }
static bool s_disk_full (sdb_t *base) { return streq (PG (base)->sqlstate, "53100"); }
static bool s_corrupt (sdb_t *base)
{
    return streq (PG (base)->sqlstate, "XX001") || streq (PG (base)->sqlstate, "XX002");
}

static int
s_begin (sdb_t *base)
{
    pg_t *self = PG (base);
    if (PQstatus (self->conn) == CONNECTION_BAD) {
        //  A dead session's transaction status is "unknown", not "open":
        //  say what happened (the first error's reason, if one was seen).
        snprintf (self->message, sizeof self->message, "no connection to PostgreSQL%s%.400s",
                  *self->lost? ": ": "", self->lost);
        return SDB_ERROR;
    }
    if (PQtransactionStatus (self->conn) != PQTRANS_IDLE) {
        snprintf (self->message, sizeof self->message, "a transaction is already open");
        return SDB_ERROR;
    }
    self->begin_pending = true;
    self->in_batch = true;
    self->earlier [0] = 0;
    return SDB_OK;
}

static int
s_commit (sdb_t *base)
{
    pg_t *self = PG (base);
    self->in_batch = false;
    if (self->begin_pending) {
        self->begin_pending = false;      //  nothing was sent: nothing to commit
        return SDB_OK;
    }
    if (s_drain (self)) {
        s_exec_raw (self, "ROLLBACK");
        return SDB_ERROR;
    }
    PGresult *res = PQexec (self->conn, "COMMIT");
    int rc = SDB_ERROR;
    if (PQresultStatus (res) != PGRES_COMMAND_OK)
        s_error (self, res, "commit");
    else
    if (!streq (PQcmdStatus (res), "COMMIT"))
        //  PostgreSQL ends a failed transaction's COMMIT with ROLLBACK.
        snprintf (self->message, sizeof self->message,
                  "a statement of the transaction failed: PostgreSQL rolled it back");
    else
        rc = SDB_OK;
    PQclear (res);
    return rc;
}

static int
s_rollback (sdb_t *base)
{
    pg_t *self = PG (base);
    self->in_batch = false;
    if (self->begin_pending) {
        self->begin_pending = false;
        return SDB_OK;
    }
    if (self->pipelined) {
        //  Its answers no longer matter: read and dropped, the store not
        //  told again of a batch it is already rolling back.
        void (*fn) (void *) = base->lost_fn;
        base->lost_fn = NULL;
        s_drain (self);
        base->lost_fn = fn;
    }
    if (PQtransactionStatus (self->conn) == PQTRANS_IDLE)
        return SDB_OK;
    return s_exec_raw (self, "ROLLBACK");
}

static bool
s_in_transaction (sdb_t *base)
{
    pg_t *self = PG (base);
    return self->begin_pending || self->pipelined
        || PQtransactionStatus (self->conn) != PQTRANS_IDLE;
}

//  One integer from a query with at most one text parameter; -1 on error.
static int64_t
s_query_int (pg_t *self, const char *sql, const char *param)
{
    if (s_begin_now (self))
        return -1;
    const char *values [1] = { param };
    PGresult *res = PQexecParams (self->conn, sql, param? 1: 0, NULL, values, NULL, NULL, 0);
    int64_t value = -1;
    if (PQresultStatus (res) == PGRES_TUPLES_OK && PQntuples (res) == 1) {
        const char *v = PQgetvalue (res, 0, 0);
        value = streq (v, "t")? 1: streq (v, "f")? 0: strtoll (v, NULL, 10);
    }
    else
        s_error (self, res, NULL);
    PQclear (res);
    return value;
}

static int
s_table_exists (sdb_t *base, const char *table)
{
    return (int) s_query_int (PG (base), "SELECT to_regclass ($1) IS NOT NULL", table);
}

static int
s_schema_version (sdb_t *base)
{
    int exists = s_table_exists (base, "samhand_schema");
    if (exists <= 0)
        return exists;
    return (int) s_query_int (PG (base), "SELECT coalesce (max (version), 0) FROM samhand_schema",
                              NULL);
}

static int
s_set_schema_version (sdb_t *base, int version)
{
    char sql [200];
    snprintf (sql, sizeof sql, "CREATE TABLE IF NOT EXISTS samhand_schema (version INTEGER NOT NULL);"
              " DELETE FROM samhand_schema; INSERT INTO samhand_schema VALUES (%d);", version);
    pg_t *self = PG (base);
    if (s_begin_now (self))
        return SDB_ERROR;
    return s_exec_raw (self, sql);
}

static int s_checkpoint (sdb_t *base) { (void) base; return SDB_OK; }

static int
s_damaged (sdb_t *base, char *what, size_t size)
{
    //  PostgreSQL checks its pages as it reads them (data checksums when
    //  the cluster has them): a damaged page is an error of the read.
    (void) base;
    what [0] = 0;
    (void) size;
    return 0;
}

static const sdb_ops_t s_ops = {
    .name = "postgresql",
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

static void
s_notice (void *arg, const char *message)
{
    (void) arg;
    (void) message;               //  "relation ... already exists, skipping" and the like
}

sdb_t *
sdb_pg_open (const char *conninfo)
{
    pg_t *self = (pg_t *) zmalloc (sizeof (pg_t));
    if (!self)
        return NULL;
    sdb_t *base = &self->base;
    if (sdb_init (base, &s_ops)) {
        free (self);
        return NULL;
    }
    self->conn = PQconnectdb (conninfo);
    if (!self->conn || PQstatus (self->conn) != CONNECTION_OK) {
        //  The conninfo may hold a password: never log it.
        zsys_error ("store: cannot connect to PostgreSQL: %s",
                    self->conn? PQerrorMessage (self->conn): "out of memory");
        sdb_close (&base);
        return NULL;
    }
    PQsetNoticeProcessor (self->conn, s_notice, NULL);
    //  Acknowledgements follow commits: a commit must be durable when it
    //  returns, whatever the server's default.
    if (s_exec_raw (self, "SET synchronous_commit = on; SET client_min_messages = warning;"
                          " SET client_encoding = 'UTF8'; SET TIME ZONE 'UTC'")) {
        zsys_error ("store: PostgreSQL session settings: %s", self->message);
        sdb_close (&base);
        return NULL;
    }
    return base;
}

//  The lock's key: "samhand" in ASCII, one per database (PostgreSQL's
//  advisory locks are per database).
#define SAMHAND_LOCK_KEY 0x73616d68616e64LL

//  The connections holding a lock (a process holds one or two).
static PGconn *s_locks [8];

int
sdb_pg_unlock (int fd)
{
    for (int i = 0; i < 8; i++)
        if (s_locks [i] && PQsocket (s_locks [i]) == fd) {
            PQfinish (s_locks [i]);
            s_locks [i] = NULL;
            return 0;
        }
    return -1;
}

const char *
sdb_pg_lost (sdb_t *base)
{
    if (!base || PQstatus (PG (base)->conn) != CONNECTION_BAD)
        return NULL;
    pg_t *self = PG (base);
    return *self->lost? self->lost: *self->earlier? self->earlier: PQerrorMessage (self->conn);
}

const char *
sdb_pg_describe (const char *conninfo, char *buf, size_t size)
{
    char *err = NULL;
    PQconninfoOption *options = PQconninfoParse (conninfo, &err);
    PQfreemem (err);
    const char *dbname = NULL, *host = NULL, *hostaddr = NULL, *port = NULL, *user = NULL;
    for (PQconninfoOption *o = options; o && o->keyword; o++) {
        if (!o->val || !*o->val)
            continue;
        if (streq (o->keyword, "dbname"))
            dbname = o->val;
        else
        if (streq (o->keyword, "host"))
            host = o->val;
        else
        if (streq (o->keyword, "hostaddr"))
            hostaddr = o->val;
        else
        if (streq (o->keyword, "port"))
            port = o->val;
        else
        if (streq (o->keyword, "user"))
            user = o->val;
    }
    //  Named by what an operator recognises; never the password or any
    //  other option (which may hold secrets: passfile, sslkey...).
    snprintf (buf, size, "PostgreSQL database %s on %s%s%s%s%s", dbname? dbname: "(default)",
              host? host: hostaddr? hostaddr: "(default host)", port? " port ": "",
              port? port: "", user? " as user ": "", user? user: "");
    PQconninfoFree (options);
    return buf;
}

int
sdb_pg_lock (const char *conninfo)
{
    PGconn *conn = PQconnectdb (conninfo);
    if (!conn || PQstatus (conn) != CONNECTION_OK) {
        zsys_error ("store: cannot connect to PostgreSQL: %s",
                    conn? PQerrorMessage (conn): "out of memory");
        if (conn)
            PQfinish (conn);
        return -1;
    }
    char sql [80];
    snprintf (sql, sizeof sql, "SELECT pg_try_advisory_lock (%lld)", (long long) SAMHAND_LOCK_KEY);
    PGresult *res = PQexec (conn, sql);
    bool held = PQresultStatus (res) == PGRES_TUPLES_OK && PQntuples (res) == 1
             && streq (PQgetvalue (res, 0, 0), "t");
    PQclear (res);
    if (!held) {
        PQfinish (conn);
        return -1;
    }
    //  The caller holds the lock by this socket; store_unlock ends the
    //  session (and a process that dies ends it too).
    for (int i = 0; i < 8; i++)
        if (!s_locks [i]) {
            s_locks [i] = conn;
            return PQsocket (conn);
        }
    PQfinish (conn);
    return -1;
}
