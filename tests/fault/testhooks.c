/*  testhooks — linked only into the test broker build/samhandd-fault, never
    into samhandd: a failing sqlite VFS and an injectable clock, for what a
    real run cannot be made to do on demand (a disk that fails on the Nth
    write, a clock hours ahead). Nothing in daemon/ knows about it: the VFS
    is registered as sqlite's default before main() runs, and the clock
    replaces czmq's zclock_time() for the whole process (the executable's
    definition wins over the shared library's).

    Faults. The counted operations are the VFS's xWrite, xSync, xTruncate,
    xLock and exclusive xShmLock, on every file sqlite opens (database,
    WAL, journal). Operation N (1-based, counted from the last arming)
    fails, and the TIMES-1 after it (TIMES -1: every one from N on), with
    SQLITE_IOERR_* ("ioerr"), or with SQLITE_FULL ("full": then only writes
    and truncates fail, as on a full disk). Armed by
        SAMHAND_FAULT_AT=N SAMHAND_FAULT_TIMES=K SAMHAND_FAULT_KIND=ioerr|full
    counted from start-up, and re-armed at run time through the file named
    by SAMHAND_FAULT_FILE holding "N K KIND" (re-read whenever it changes;
    counting starts again from 0; "0" disarms). Each injected fault is
    logged on stderr as "testhooks: injected ...", and the running count is
    written to SAMHAND_FAULT_FILE.count, so a test knows how many counted
    operations a step made.
    Other kinds count something else instead (only the main thread's):
      "N K read"          the VFS's xRead calls: read N fails with
                          SQLITE_IOERR_READ (a bad sector, a lost disk);
      "N K sql PATTERN"   steps of statements whose SQL contains PATTERN
                          (the rest of the line): on the Nth the page
                          cache is let go and the next xRead fails, so the
                          statement meets a real SQLITE_IOERR_READ (a step
                          that reads nothing does not count);
      "N K alloc SIZE [COUNT]"  calloc calls with element size SIZE (and
                          COUNT elements, if given): the Nth returns NULL
                          (out of memory at that allocation); not in a
                          SANITIZE=1 build, where ASan owns calloc;
      "N K begin"         BEGIN statements that come straight after a
                          COMMIT (in samhandd: the delivery pump after a
                          cycle that wrote): the Nth fails with
                          SQLITE_IOERR before sqlite sees it (a lock the
                          disk refuses), so no transaction is opened;
      "N K send PEER"     messages zmq_send starts to the peer whose
                          routing id is PEER (the client's ZMQ_ROUTING_ID):
                          the Nth fails with EAGAIN, as when the peer's
                          pipe is full, before any part of it is queued.

    Unlink. With SAMHAND_UNLINK_FAIL_FILE naming a file that holds a word,
    unlink() of any path containing that word fails with EPERM (as on an
    immutable directory, which root cannot be kept out of otherwise);
    logged as "testhooks: injected unlink failure". An empty file or none
    lets every unlink through.

    Clock. zclock_time() is the real time plus an offset in milliseconds
    read from the file named by SAMHAND_CLOCK_FILE (re-read when it
    changes), so a test can move the broker hours ahead in an instant. The
    file holds "OFFSET [RATE ANCHOR]": with RATE > 1 time runs RATE times
    as fast from the real time ANCHOR (ms) on, so deadlines of seconds pass
    in a fraction of the wait.                                            */
#ifndef SAMHAND_TESTHOOKS
#error "testhooks.c is for the test broker build/samhandd-fault only"
#endif
#include <dlfcn.h>
#include <pthread.h>
#include <errno.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>

//  ---------------------------------------------------------------------
//  Control files: re-read only when their modification time changes.

typedef struct {
    const char *path;
    struct timespec mtime;
    off_t size;
    bool seen;
} watch_t;

//  True (and TEXT filled) when the file changed since the last look.
static bool
s_changed (watch_t *w, char *text, size_t size)
{
    struct stat st;
    if (!w->path || stat (w->path, &st))
        return false;
    if (w->seen && st.st_mtim.tv_sec == w->mtime.tv_sec
    &&  st.st_mtim.tv_nsec == w->mtime.tv_nsec && st.st_size == w->size)
        return false;
    FILE *f = fopen (w->path, "r");
    if (!f)
        return false;
    size_t n = fread (text, 1, size - 1, f);
    fclose (f);
    text [n] = 0;
    w->mtime = st.st_mtim;
    w->size = st.st_size;
    w->seen = true;
    return true;
}

//  ---------------------------------------------------------------------
//  Page cache: SAMHAND_FAULT_CACHE_PAGES=N replaces the store's cache_size
//  pragma with N pages, so that a transaction spills pages to the WAL in
//  the middle of a statement, where an I/O error makes sqlite roll the
//  whole transaction back by itself. (The executable's sqlite3_exec wins
//  over the library's for the broker's own calls.)

typedef int (exec_fn) (sqlite3 *, const char *, int (*) (void *, int, char **, char **),
                       void *, char **);

static bool s_begin_fails (const char *sql);

int
sqlite3_exec (sqlite3 *db, const char *sql, int (*cb) (void *, int, char **, char **),
              void *arg, char **errmsg)
{
    static exec_fn *real;
    if (!real)
        *(void **) (&real) = dlsym (RTLD_NEXT, "sqlite3_exec");
    if (sql && s_begin_fails (sql)) {
        if (errmsg)
            *errmsg = sqlite3_mprintf ("disk I/O error (injected at BEGIN)");
        return SQLITE_IOERR;
    }
    const char *pages = getenv ("SAMHAND_FAULT_CACHE_PAGES");
    if (pages && sql && strncmp (sql, "PRAGMA cache_size", 17) == 0) {
        char small [64];
        snprintf (small, sizeof small, "PRAGMA cache_size = %d;", atoi (pages));
        return real (db, small, cb, arg, errmsg);
    }
    return real (db, sql, cb, arg, errmsg);
}

//  ---------------------------------------------------------------------
//  Clock

static watch_t s_clock_watch;
static int64_t s_clock_offset;
static long long s_clock_rate = 1;
static int64_t s_clock_anchor;

int64_t zclock_time (void);
int64_t
zclock_time (void)
{
    char text [128];
    if (s_changed (&s_clock_watch, text, sizeof text)) {
        long long offset = 0, rate = 1, anchor = 0;
        int n = sscanf (text, "%lld %lld %lld", &offset, &rate, &anchor);
        s_clock_offset = n >= 1? offset: 0;
        s_clock_rate = n >= 2 && rate > 0? rate: 1;
        s_clock_anchor = n >= 3? anchor: 0;
    }
    struct timespec ts;
    clock_gettime (CLOCK_REALTIME, &ts);
    int64_t real = (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
    //  Time runs RATE times as fast from the anchor on: the same for every
    //  broker process a test starts, so a restart does not turn it back.
    if (s_clock_rate > 1 && real > s_clock_anchor)
        real = s_clock_anchor + (real - s_clock_anchor) * s_clock_rate;
    return real + s_clock_offset;
}

//  ---------------------------------------------------------------------
//  Faults

static watch_t s_fault_watch;
typedef enum { MODE_WRITE, MODE_READ, MODE_SQL, MODE_ALLOC, MODE_SEND, MODE_BEGIN } mode_t_;
static mode_t_ s_mode = MODE_WRITE;
static int64_t s_count;            //  counted operations since arming
static int64_t s_at;               //  0: disarmed
static int64_t s_times = 1;
static bool s_full;
static char s_pattern [200];       //  MODE_SQL: the statement to fail; MODE_SEND: the peer
static size_t s_alloc_size;        //  MODE_ALLOC: the element size to fail
static size_t s_alloc_nmemb;       //  ... and element count (0: any)
static bool s_fail_next_read;      //  MODE_SQL: a matching step is under way
static char s_count_path [1100];
static pthread_t s_main_thread;

static void
s_arm (const char *text)
{
    char kind [16] = "ioerr";
    long long at = 0, times = 1;
    int used = 0;
    int n = sscanf (text, "%lld %lld %15s %n", &at, &times, kind, &used);
    s_at = n >= 1 && at > 0? at: 0;
    s_times = n >= 2? times: 1;
    s_full = strcasecmp (kind, "full") == 0;
    s_mode = strcasecmp (kind, "read") == 0? MODE_READ
           : strcasecmp (kind, "sql") == 0? MODE_SQL
           : strcasecmp (kind, "alloc") == 0? MODE_ALLOC
           : strcasecmp (kind, "send") == 0? MODE_SEND
           : strcasecmp (kind, "begin") == 0? MODE_BEGIN: MODE_WRITE;
    const char *rest = n >= 3 && used > 0? text + used: "";
    snprintf (s_pattern, sizeof s_pattern, "%s", rest);
    s_pattern [strcspn (s_pattern, "\r\n")] = 0;
    char *end = NULL;
    s_alloc_size = (size_t) strtoull (rest, &end, 10);
    s_alloc_nmemb = end? (size_t) strtoull (end, NULL, 10): 0;
    if (((s_mode == MODE_SQL || s_mode == MODE_SEND) && !*s_pattern)
    ||  (s_mode == MODE_ALLOC && !s_alloc_size))
        s_at = 0;
    s_fail_next_read = false;
    s_count = 0;
}

static void
s_write_count (void)
{
    if (!*s_count_path)
        return;
    //  Written aside and renamed: a reader never sees it half written.
    char tmp [1200];
    snprintf (tmp, sizeof tmp, "%s.tmp", s_count_path);
    FILE *f = fopen (tmp, "w");
    if (f) {
        fprintf (f, "%lld\n", (long long) s_count);
        fclose (f);
        rename (tmp, s_count_path);
    }
}

//  Counts one operation of MODE; true when it is one of those to fail.
static bool
s_counted_fails (mode_t_ mode)
{
    char text [300];
    if (s_changed (&s_fault_watch, text, sizeof text))
        s_arm (text);
    if (mode != s_mode)
        return false;
    s_count++;
    s_write_count ();
    return s_at && s_count >= s_at && (s_times < 0 || s_count < s_at + s_times);
}

//  0 to go on, or the error code the operation must fail with.
static int
s_fault (const char *op, int ioerr)
{
    if (!pthread_equal (pthread_self (), s_main_thread) || !s_counted_fails (MODE_WRITE))
        return 0;
    //  A full disk fails writes, not locks or syncs.
    bool grows = ioerr == SQLITE_IOERR_WRITE || ioerr == SQLITE_IOERR_TRUNCATE;
    if (s_full && !grows)
        return 0;
    int code = s_full? SQLITE_FULL: ioerr;
    fprintf (stderr, "testhooks: injected %s at counted operation %lld (%s)\n",
             code == SQLITE_FULL? "SQLITE_FULL": "SQLITE_IOERR", (long long) s_count, op);
    return code;
}

//  SQL, run by sqlite3_exec: true when it is a BEGIN to fail (MODE_BEGIN
//  counts the main thread's BEGINs that come straight after a COMMIT).
static bool
s_begin_fails (const char *sql)
{
    static bool after_commit;
    if (!pthread_equal (pthread_self (), s_main_thread))
        return false;
    bool follows = after_commit;
    after_commit = strncmp (sql, "COMMIT", 6) == 0;
    if (!follows || strncmp (sql, "BEGIN", 5) || !s_counted_fails (MODE_BEGIN))
        return false;
    fprintf (stderr, "testhooks: injected SQLITE_IOERR at BEGIN %lld\n", (long long) s_count);
    return true;
}

//  xRead: 0 to go on, or SQLITE_IOERR_READ.
static int
s_read_fault (void)
{
    if (!pthread_equal (pthread_self (), s_main_thread))
        return 0;
    if (s_fail_next_read) {
        s_fail_next_read = false;
        fprintf (stderr, "testhooks: injected SQLITE_IOERR_READ at step %lld of '%s'\n",
                 (long long) s_count, s_pattern);
        return SQLITE_IOERR_READ;
    }
    if (!s_counted_fails (MODE_READ))
        return 0;
    fprintf (stderr, "testhooks: injected SQLITE_IOERR_READ at counted read %lld\n",
             (long long) s_count);
    return SQLITE_IOERR_READ;
}

//  The executable's sqlite3_step wins over the library's for the broker's
//  own calls: a matching statement is made to read from the disk, and
//  that read fails (MODE_SQL).
typedef int (step_fn) (sqlite3_stmt *);

int
sqlite3_step (sqlite3_stmt *stmt)
{
    static step_fn *real;
    if (!real)
        *(void **) (&real) = dlsym (RTLD_NEXT, "sqlite3_step");
    const char *sql = stmt? sqlite3_sql (stmt): NULL;
    bool armed = false;
    if (sql && pthread_equal (pthread_self (), s_main_thread)) {
        char text [300];
        if (s_changed (&s_fault_watch, text, sizeof text))
            s_arm (text);
        if (s_mode == MODE_SQL && s_at && strstr (sql, s_pattern)) {
            int64_t next = s_count + 1;
            if (next >= s_at && (s_times < 0 || next < s_at + s_times)) {
                //  Clean pages leave the cache: the statement reads the disk.
                sqlite3_db_release_memory (sqlite3_db_handle (stmt));
                s_fail_next_read = armed = true;
            }
            else
                s_count++;
        }
    }
    int rc = real (stmt);
    if (armed) {
        //  Counted only if the read really failed (a step served from
        //  pages this transaction changed reads nothing).
        if (!s_fail_next_read)
            s_count++;
        s_fail_next_read = false;
        s_write_count ();
    }
    return rc;
}

//  zmq_send over libzmq's own (MODE_SEND): the first part of a message
//  (the routing id, sent with ZMQ_SNDMORE by the broker's ROUTER) to the
//  armed peer fails as a full pipe does, so nothing of it is queued.
typedef int (send_fn) (void *, const void *, size_t, int);
#define TESTHOOKS_SNDMORE 2             //  ZMQ_SNDMORE, without zmq.h
#define TESTHOOKS_DONTWAIT 1            //  ZMQ_DONTWAIT

int zmq_send (void *socket, const void *buf, size_t len, int flags);
int
zmq_send (void *socket, const void *buf, size_t len, int flags)
{
    static send_fn *real;
    if (!real)
        *(void **) (&real) = dlsym (RTLD_NEXT, "zmq_send");
    if ((flags & TESTHOOKS_SNDMORE) && (flags & TESTHOOKS_DONTWAIT)
    &&  pthread_equal (pthread_self (), s_main_thread)) {
        char text [300];
        if (s_changed (&s_fault_watch, text, sizeof text))
            s_arm (text);
        if (s_mode == MODE_SEND && s_at && len == strlen (s_pattern)
        &&  memcmp (buf, s_pattern, len) == 0 && s_counted_fails (MODE_SEND)) {
            fprintf (stderr, "testhooks: injected EAGAIN at send %lld to %s\n",
                     (long long) s_count, s_pattern);
            errno = EAGAIN;
            return -1;
        }
    }
    return real (socket, buf, len, flags);
}

//  calloc over glibc's own (MODE_ALLOC). Only the main thread's calls
//  count, and the control file is looked at no more than every 2 ms. Not
//  in an AddressSanitizer build: ASan owns the allocator there, and memory
//  from glibc's calloc freed through ASan's free would be an error.
#ifndef __SANITIZE_ADDRESS__
extern void *__libc_calloc (size_t nmemb, size_t size);

void *
calloc (size_t nmemb, size_t size)
{
    static struct timespec last;
    if (s_main_thread && pthread_equal (pthread_self (), s_main_thread) && s_fault_watch.path) {
        struct timespec now;
        clock_gettime (CLOCK_MONOTONIC_COARSE, &now);
        int64_t ms = (now.tv_sec - last.tv_sec) * 1000 + (now.tv_nsec - last.tv_nsec) / 1000000;
        static bool inside;
        if (!inside && (ms >= 2 || ms < 0)) {
            //  s_changed opens the file; its allocations must not come back here.
            inside = true;
            last = now;
            char text [300];
            if (s_changed (&s_fault_watch, text, sizeof text))
                s_arm (text);
            inside = false;
        }
        if (!inside && s_mode == MODE_ALLOC && s_at && size == s_alloc_size
        &&  (!s_alloc_nmemb || nmemb == s_alloc_nmemb)) {
            inside = true;
            bool fail = s_counted_fails (MODE_ALLOC);
            inside = false;
            if (fail) {
                fprintf (stderr, "testhooks: injected out of memory at calloc %lld of %zu x %zu\n",
                         (long long) s_count, nmemb, size);
                return NULL;
            }
        }
    }
    return __libc_calloc (nmemb, size);
}
#endif

typedef struct {
    sqlite3_file base;
    sqlite3_file *real;          //  follows this struct in the same block
} fault_file_t;

static sqlite3_vfs *s_real_vfs;
#define REAL(f) (((fault_file_t *) (f))->real)

static int
s_close (sqlite3_file *f)
{
    int rc = REAL (f)->pMethods? REAL (f)->pMethods->xClose (REAL (f)): SQLITE_OK;
    return rc;
}

static int
s_read (sqlite3_file *f, void *buf, int amount, sqlite3_int64 offset)
{
    int rc = s_read_fault ();
    if (rc)
        return rc;
    return REAL (f)->pMethods->xRead (REAL (f), buf, amount, offset);
}

static int
s_write (sqlite3_file *f, const void *buf, int amount, sqlite3_int64 offset)
{
    int rc = s_fault ("write", SQLITE_IOERR_WRITE);
    return rc? rc: REAL (f)->pMethods->xWrite (REAL (f), buf, amount, offset);
}

static int
s_truncate (sqlite3_file *f, sqlite3_int64 size)
{
    int rc = s_fault ("truncate", SQLITE_IOERR_TRUNCATE);
    return rc? rc: REAL (f)->pMethods->xTruncate (REAL (f), size);
}

static int
s_sync (sqlite3_file *f, int flags)
{
    int rc = s_fault ("sync", SQLITE_IOERR_FSYNC);
    return rc? rc: REAL (f)->pMethods->xSync (REAL (f), flags);
}

static int
s_file_size (sqlite3_file *f, sqlite3_int64 *size)
{
    return REAL (f)->pMethods->xFileSize (REAL (f), size);
}

static int
s_lock (sqlite3_file *f, int level)
{
    int rc = s_fault ("lock", SQLITE_IOERR_LOCK);
    return rc? rc: REAL (f)->pMethods->xLock (REAL (f), level);
}

static int
s_unlock (sqlite3_file *f, int level)
{
    return REAL (f)->pMethods->xUnlock (REAL (f), level);
}

static int
s_check_reserved (sqlite3_file *f, int *out)
{
    return REAL (f)->pMethods->xCheckReservedLock (REAL (f), out);
}

static int
s_file_control (sqlite3_file *f, int op, void *arg)
{
    return REAL (f)->pMethods->xFileControl (REAL (f), op, arg);
}

static int
s_sector_size (sqlite3_file *f)
{
    return REAL (f)->pMethods->xSectorSize (REAL (f));
}

static int
s_device_chars (sqlite3_file *f)
{
    return REAL (f)->pMethods->xDeviceCharacteristics (REAL (f));
}

static int
s_shm_map (sqlite3_file *f, int page, int size, int extend, void volatile **out)
{
    return REAL (f)->pMethods->xShmMap (REAL (f), page, size, extend, out);
}

static int
s_shm_lock (sqlite3_file *f, int offset, int n, int flags)
{
    if ((flags & SQLITE_SHM_LOCK) && (flags & SQLITE_SHM_EXCLUSIVE)) {
        int rc = s_fault ("shm lock", SQLITE_IOERR_SHMLOCK);
        if (rc)
            return rc == SQLITE_FULL? SQLITE_IOERR_SHMLOCK: rc;
    }
    return REAL (f)->pMethods->xShmLock (REAL (f), offset, n, flags);
}

static void
s_shm_barrier (sqlite3_file *f)
{
    REAL (f)->pMethods->xShmBarrier (REAL (f));
}

static int
s_shm_unmap (sqlite3_file *f, int delete_flag)
{
    return REAL (f)->pMethods->xShmUnmap (REAL (f), delete_flag);
}

static int
s_fetch (sqlite3_file *f, sqlite3_int64 offset, int amount, void **out)
{
    return REAL (f)->pMethods->xFetch (REAL (f), offset, amount, out);
}

static int
s_unfetch (sqlite3_file *f, sqlite3_int64 offset, void *p)
{
    return REAL (f)->pMethods->xUnfetch (REAL (f), offset, p);
}

static const sqlite3_io_methods s_methods = {
    3, s_close, s_read, s_write, s_truncate, s_sync, s_file_size, s_lock, s_unlock,
    s_check_reserved, s_file_control, s_sector_size, s_device_chars,
    s_shm_map, s_shm_lock, s_shm_barrier, s_shm_unmap, s_fetch, s_unfetch
};

static int
s_open (sqlite3_vfs *vfs, const char *name, sqlite3_file *f, int flags, int *out_flags)
{
    (void) vfs;
    fault_file_t *ff = (fault_file_t *) f;
    ff->real = (sqlite3_file *) (ff + 1);
    memset (ff->real, 0, (size_t) s_real_vfs->szOsFile);
    int rc = s_real_vfs->xOpen (s_real_vfs, name, ff->real, flags, out_flags);
    //  sqlite calls xClose whenever pMethods is set, even after a failed open.
    f->pMethods = ff->real->pMethods? &s_methods: NULL;
    return rc;
}

static int
s_delete (sqlite3_vfs *vfs, const char *name, int sync_dir)
{
    (void) vfs;
    return s_real_vfs->xDelete (s_real_vfs, name, sync_dir);
}

static int
s_access (sqlite3_vfs *vfs, const char *name, int flags, int *out)
{
    (void) vfs;
    return s_real_vfs->xAccess (s_real_vfs, name, flags, out);
}

static int
s_full_pathname (sqlite3_vfs *vfs, const char *name, int size, char *out)
{
    (void) vfs;
    return s_real_vfs->xFullPathname (s_real_vfs, name, size, out);
}

static void *
s_dl_open (sqlite3_vfs *vfs, const char *name)
{
    (void) vfs;
    return s_real_vfs->xDlOpen (s_real_vfs, name);
}

static void
s_dl_error (sqlite3_vfs *vfs, int size, char *out)
{
    (void) vfs;
    s_real_vfs->xDlError (s_real_vfs, size, out);
}

static void (*s_dl_sym (sqlite3_vfs *vfs, void *handle, const char *name)) (void)
{
    (void) vfs;
    return s_real_vfs->xDlSym (s_real_vfs, handle, name);
}

static void
s_dl_close (sqlite3_vfs *vfs, void *handle)
{
    (void) vfs;
    s_real_vfs->xDlClose (s_real_vfs, handle);
}

static int
s_randomness (sqlite3_vfs *vfs, int size, char *out)
{
    (void) vfs;
    return s_real_vfs->xRandomness (s_real_vfs, size, out);
}

static int
s_sleep (sqlite3_vfs *vfs, int micro)
{
    (void) vfs;
    return s_real_vfs->xSleep (s_real_vfs, micro);
}

static int
s_current_time (sqlite3_vfs *vfs, double *out)
{
    (void) vfs;
    return s_real_vfs->xCurrentTime (s_real_vfs, out);
}

static int
s_last_error (sqlite3_vfs *vfs, int size, char *out)
{
    (void) vfs;
    return s_real_vfs->xGetLastError? s_real_vfs->xGetLastError (s_real_vfs, size, out): 0;
}

static int
s_current_time_int64 (sqlite3_vfs *vfs, sqlite3_int64 *out)
{
    (void) vfs;
    return s_real_vfs->xCurrentTimeInt64 (s_real_vfs, out);
}

static sqlite3_vfs s_vfs = {
    2, 0, 0, NULL, "samhand-fault", NULL,
    s_open, s_delete, s_access, s_full_pathname, s_dl_open, s_dl_error, s_dl_sym,
    s_dl_close, s_randomness, s_sleep, s_current_time, s_last_error, s_current_time_int64,
    NULL, NULL, NULL
};

__attribute__ ((constructor)) static void
s_testhooks_init (void)
{
    s_main_thread = pthread_self ();
    s_clock_watch.path = getenv ("SAMHAND_CLOCK_FILE");
    s_fault_watch.path = getenv ("SAMHAND_FAULT_FILE");
    if (s_fault_watch.path)
        snprintf (s_count_path, sizeof s_count_path, "%s.count", s_fault_watch.path);
    const char *at = getenv ("SAMHAND_FAULT_AT");
    if (at) {
        char text [128];
        snprintf (text, sizeof text, "%s %s %s", at,
                  getenv ("SAMHAND_FAULT_TIMES")? getenv ("SAMHAND_FAULT_TIMES"): "1",
                  getenv ("SAMHAND_FAULT_KIND")? getenv ("SAMHAND_FAULT_KIND"): "ioerr");
        s_arm (text);
    }
    s_real_vfs = sqlite3_vfs_find (NULL);
    if (!s_real_vfs) {
        fprintf (stderr, "testhooks: no default sqlite VFS\n");
        abort ();
    }
    s_vfs.szOsFile = (int) sizeof (fault_file_t) + s_real_vfs->szOsFile;
    s_vfs.mxPathname = s_real_vfs->mxPathname;
    if (sqlite3_vfs_register (&s_vfs, 1) != SQLITE_OK) {
        fprintf (stderr, "testhooks: cannot register the fault VFS\n");
        abort ();
    }
    fprintf (stderr, "testhooks: fault VFS over '%s' and injectable clock in place"
             " (test build, never for production)\n", s_real_vfs->zName);
}

//  ---------------------------------------------------------------------
//  Unlink

int unlink (const char *path);
int
unlink (const char *path)
{
    static int (*real) (const char *);
    if (!real)
        real = (int (*) (const char *)) dlsym (RTLD_NEXT, "unlink");
    const char *control = getenv ("SAMHAND_UNLINK_FAIL_FILE");
    char word [256] = "";
    FILE *file = control? fopen (control, "r"): NULL;
    if (file) {
        if (!fgets (word, sizeof word, file))
            word [0] = 0;
        fclose (file);
        word [strcspn (word, "\n")] = 0;
    }
    if (*word && path && strstr (path, word)) {
        fprintf (stderr, "testhooks: injected unlink failure on %s\n", path);
        errno = EPERM;
        return -1;
    }
    return real? real (path): -1;
}
