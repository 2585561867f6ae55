/*  dirstamp — has a folder changed? See dirstamp.h.                      */
#include "dirstamp.h"
#include <czmq.h>
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>

static int64_t
s_ns (struct timespec ts)
{
    return (int64_t) ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

//  The folder itself into SELF (valid false when it is not a folder).
static void
s_folder (dirstamp_t *self, const char *dir)
{
    struct stat st;
    self->valid = stat (dir, &st) == 0 && S_ISDIR (st.st_mode);
    self->dev = self->valid? st.st_dev: 0;
    self->ino = self->valid? st.st_ino: 0;
    self->mtime_ns = self->valid? s_ns (st.st_mtim): 0;
    self->ctime_ns = self->valid? s_ns (st.st_ctim): 0;
}

static bool
s_folder_same (const dirstamp_t *a, const dirstamp_t *b)
{
    return a->valid && b->valid && a->dev == b->dev && a->ino == b->ino
        && a->mtime_ns == b->mtime_ns && a->ctime_ns == b->ctime_ns;
}

//  splitmix64's finaliser: spreads every input bit over the result.
static uint64_t
s_mix (uint64_t x)
{
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

static bool
s_counts (const char *name, const struct stat *st)
{
    size_t len = strlen (name);
    return name [0] != '.' && S_ISREG (st->st_mode)
        && !(len >= 7 && streq (name + len - 7, "_secret"));
}

//  Every entry of the folder that counts, with its stat (at FD's folder).
//  FN gets the name; -1 when the folder cannot be read.
typedef int (s_entry_fn) (const char *name, const struct stat *st, void *arg);
static int
s_entries (const char *dir, s_entry_fn *fn, void *arg)
{
    DIR *folder = opendir (dir);
    if (!folder)
        return -1;
    int rc = 0;
    errno = 0;
    struct dirent *entry;
    while (rc == 0 && (entry = readdir (folder))) {
        struct stat st;
        //  Symbolic links followed, as a path would be; one that
        //  vanished meanwhile is simply not there.
        if (fstatat (dirfd (folder), entry->d_name, &st, 0) == 0 && s_counts (entry->d_name, &st))
            rc = fn (entry->d_name, &st, arg);
        errno = 0;
    }
    if (rc == 0 && errno)
        rc = -1;                  //  readdir failed: the listing is not whole
    closedir (folder);
    return rc;
}

typedef struct {
    const char *dir;
    dirstamp_file_fn *fn;
    void *arg;
} each_t;

static int
s_each_entry (const char *name, const struct stat *st, void *arg)
{
    (void) st;
    each_t *each = (each_t *) arg;
    char *path = zsys_sprintf ("%s/%s", each->dir, name);
    if (!path)
        return -1;
    int rc = each->fn (path, name, each->arg);
    zstr_free (&path);
    return rc;
}

int
dirstamp_each (const char *dir, dirstamp_file_fn *fn, void *arg)
{
    assert (dir && fn);
    each_t each = { dir, fn, arg };
    return s_entries (dir, s_each_entry, &each);
}

typedef struct {
    uint64_t sum;
    int64_t  racy_ns;
    bool     racy;
} filesig_t;

static int
s_sig_entry (const char *name, const struct stat *st, void *arg)
{
    filesig_t *sig = (filesig_t *) arg;
    uint64_t h = 14695981039346656037ULL;           //  FNV-1a of the name
    for (const char *p = name; *p; p++)
        h = (h ^ (unsigned char) *p) * 1099511628211ULL;
    h = s_mix (h ^ s_mix ((uint64_t) st->st_ino));
    h = s_mix (h ^ (uint64_t) st->st_size);
    h = s_mix (h ^ (uint64_t) s_ns (st->st_mtim));
    h = s_mix (h ^ (uint64_t) s_ns (st->st_ctim));
    sig->sum += h;
    if (s_ns (st->st_mtim) >= sig->racy_ns || s_ns (st->st_ctim) >= sig->racy_ns)
        sig->racy = true;
    return 0;
}

//  One value for every file that counts (order does not matter: the
//  files' values are added). 0 when it cannot be trusted: unreadable, or
//  anything in it changed less than DIRSTAMP_RACY_MS before NOW_MS.
static uint64_t
s_signature (const char *dir, const dirstamp_t *folder, int64_t now_ms)
{
    if (!folder->valid)
        return 0;
    filesig_t sig;
    sig.racy_ns = (now_ms - DIRSTAMP_RACY_MS) * 1000000LL;
    sig.racy = folder->mtime_ns >= sig.racy_ns || folder->ctime_ns >= sig.racy_ns;
    sig.sum = s_mix ((uint64_t) folder->ino) + s_mix ((uint64_t) folder->mtime_ns);
    if (s_entries (dir, s_sig_entry, &sig))
        return 0;
    return sig.racy || sig.sum == 0? 0: sig.sum;
}

void
dirstamp_take (dirstamp_t *self, const char *dir, int64_t now_ms)
{
    assert (self && dir);
    s_folder (self, dir);
    self->signature = s_signature (dir, self, now_ms);
    self->scanned_ms = now_ms;
}

void
dirstamp_clear (dirstamp_t *self)
{
    assert (self);
    memset (self, 0, sizeof *self);
}

bool
dirstamp_changed (dirstamp_t *self, const char *dir, int64_t now_ms)
{
    assert (self && dir);
    dirstamp_t now;
    s_folder (&now, dir);
    if (!s_folder_same (&now, self))
        return true;
    if (now_ms - self->scanned_ms < DIRSTAMP_SCAN_MS && now_ms >= self->scanned_ms)
        return false;
    uint64_t signature = s_signature (dir, &now, now_ms);
    if (signature == 0 || self->signature == 0 || signature != self->signature)
        return true;
    self->scanned_ms = now_ms;
    return false;
}
