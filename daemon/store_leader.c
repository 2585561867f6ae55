/*  store_leader — which broker leads a store. See store.h.

    sqlite: an exclusive flock(2) on STORE.lock. The kernel holds it for
    the process and drops it when the process ends, also on kill -9, so a
    standby that polls it takes over as soon as the active broker is gone;
    and a broker that still runs can never lose it.

    PostgreSQL: a session advisory lock (pg_try_advisory_lock) taken on the
    very connection the store then writes through (store_new_led adopts
    it). The server drops the lock when that session ends, and only then:
    a broker whose connection died can commit nothing more (its writes
    went with the session), and the standby's next try takes the lock.
    Fencing needs no cooperation from the old broker. libpq does not
    reconnect by itself, so a broken connection stays broken: the broker
    sees store_is_leader turn false and stops.                            */
#include "store.h"
#include "store_db.h"
#include <czmq.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

//  The advisory lock's key: "samhand" in ASCII. Advisory locks are per
//  database, so every samhand store on a cluster has its own.
#define LEADER_KEY       INT64_C (0x73616d68616e64)
//  How often the active broker asks PostgreSQL whether it still holds it.
#define LEADER_CHECK_MS  1000
//  A standby whose database is down connects again this often.
#define LEADER_CONNECT_MS  2000

struct _store_leader_t {
    char    *lock_path;       //  sqlite: STORE.lock
    int      fd;              //  sqlite: open lock file, or -1
    char    *conninfo;        //  PostgreSQL: where to connect
    sdb_t   *db;              //  PostgreSQL: the session (the store's, once lent)
    bool     lent;            //  the store owns db now
    bool     held;
    int64_t  checked_ms;      //  last time the lock was seen held
    int64_t  next_connect_ms; //  PostgreSQL down: not before this
    char     lost [256];      //  why the leadership was lost, one line
};

store_leader_t *
store_leader_new (const char *spec, char *err, size_t errlen)
{
    assert (spec);
    store_leader_t *self = (store_leader_t *) zmalloc (sizeof (store_leader_t));
    if (!self) {
        snprintf (err, errlen, "out of memory");
        return NULL;
    }
    self->fd = -1;
    if (sdb_is_postgres (spec)) {
        self->conninfo = strdup (spec);
        if (!self->conninfo) {
            snprintf (err, errlen, "out of memory");
            store_leader_destroy (&self);
        }
        return self;            //  connects on the first try
    }
    if (asprintf (&self->lock_path, "%s.lock", spec) < 0) {
        self->lock_path = NULL;
        snprintf (err, errlen, "out of memory");
        store_leader_destroy (&self);
        return NULL;
    }
    self->fd = open (self->lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (self->fd < 0) {
        snprintf (err, errlen, "cannot open the store's lock file %s: %s", self->lock_path,
                  strerror (errno));
        store_leader_destroy (&self);
    }
    return self;
}

void
store_leader_destroy (store_leader_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    store_leader_t *self = *self_p;
    if (self->fd >= 0)
        close (self->fd);                 //  frees the lock: a standby takes over
    if (self->db && !self->lent)
        sdb_close (&self->db);            //  ends the session, and its lock
    free (self->lock_path);
    free (self->conninfo);
    free (self);
    *self_p = NULL;
}

//  One boolean query on the leader's session: 1 true, 0 false, -1 failed.
static int
s_pg_ask (store_leader_t *self, const char *sql)
{
    sdb_stmt_t *stmt = NULL;
    if (sdb_prepare (self->db, sql, &stmt) != SDB_OK)
        return -1;
    sdb_bind_int64 (stmt, 1, LEADER_KEY);
    int rc = sdb_step (stmt);
    int answer = rc == SDB_ROW? sdb_column_int (stmt, 0) != 0: -1;
    sdb_finalize (stmt);
    return answer;
}

static int
s_pg_try (store_leader_t *self)
{
    if (!self->db) {
        //  Not leading yet, so a new session loses nothing. A database
        //  that is down is waited for like a busy lock (asked every 2 s).
        int64_t now = zclock_mono ();
        if (now < self->next_connect_ms)
            return 0;
        self->next_connect_ms = now + LEADER_CONNECT_MS;
        self->db = sdb_open (self->conninfo, false);
        if (!self->db)
            return 0;
    }
    int rc = s_pg_ask (self, "SELECT CASE WHEN pg_try_advisory_lock (?1) THEN 1 ELSE 0 END");
    if (rc < 0) {
        zsys_warning ("store: cannot ask PostgreSQL for the leadership (%s): trying again",
                      sdb_errmsg (self->db));
        sdb_close (&self->db);
        return 0;
    }
    return rc;
}

int
store_leadership_try (store_leader_t *self)
{
    assert (self);
    if (self->held)
        return 1;
    int rc;
    if (self->conninfo)
        rc = s_pg_try (self);
    else
    if (flock (self->fd, LOCK_EX | LOCK_NB) == 0)
        rc = 1;
    else
    if (errno == EWOULDBLOCK || errno == EINTR)
        rc = 0;
    else {
        zsys_error ("store: cannot lock %s: %s", self->lock_path, strerror (errno));
        rc = -1;
    }
    if (rc == 1) {
        self->held = true;
        self->checked_ms = zclock_mono ();
    }
    return rc;
}

bool
store_is_leader (store_leader_t *self)
{
    if (!self || !self->held)
        return false;
    if (!self->conninfo)
        return true;
    //  PostgreSQL: is our session alive and still the lock's holder? Asked
    //  at most once a second, by the broker between its cycles (so outside
    //  its transactions). A dead session fails the query: not the leader.
    //  A connection libpq has given up on is not asked: it is lost now,
    //  and the broker stops before it fails cycle after cycle.
    int64_t now = zclock_mono ();
    const char *gone = sdb_pg_lost (self->db);
    if (now - self->checked_ms < LEADER_CHECK_MS && !gone)
        return true;
    int rc = gone? -1
           : s_pg_ask (self, "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'"
                             " AND pid = pg_backend_pid () AND granted AND objsubid = 1"
                             " AND ((classid::bigint << 32) | objid::bigint) = ?1");
    if (rc < 0 && !gone)
        gone = sdb_pg_lost (self->db);
    if (rc != 1) {
        //  The broker says it, once, with what to do (libpq's messages
        //  run over several lines: made one here).
        snprintf (self->lost, sizeof self->lost, "%s", gone? gone: rc < 0
                  ? sdb_errmsg (self->db): "the session is alive but no longer holds the lock");
        size_t n = 0;
        for (const char *c = self->lost; *c; c++)
            if (!isspace ((unsigned char) *c) || (n && self->lost [n - 1] != ' '))
                self->lost [n++] = isspace ((unsigned char) *c)? ' ': *c;
        while (n && (self->lost [n - 1] == ' ' || self->lost [n - 1] == '.'))
            n--;
        self->lost [n] = 0;
        if (!n)
            snprintf (self->lost, sizeof self->lost, "the session failed");
        self->held = false;
        return false;
    }
    self->checked_ms = now;
    return true;
}

const char *
store_leader_lost (store_leader_t *self)
{
    return self && !self->held? self->lost: "";
}

sdb_t *
store_leader_lend (store_leader_t *self)
{
    assert (self && self->held);
    if (!self->db)
        return NULL;
    self->lent = true;
    return self->db;
}
