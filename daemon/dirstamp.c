/*  dirstamp — has a folder changed? See dirstamp.h.                      */
#include "dirstamp.h"
#include <czmq.h>
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

//  One value for every file under the folder (order does not matter: the
//  files' values are added). 0 when it cannot be trusted: unreadable, or
//  anything in it changed less than DIRSTAMP_RACY_MS before NOW_MS.
static uint64_t
s_signature (const char *dir, const dirstamp_t *folder, int64_t now_ms)
{
    zdir_t *zdir = folder->valid? zdir_new (dir, NULL): NULL;
    if (!zdir)
        return 0;
    int64_t racy_ns = (now_ms - DIRSTAMP_RACY_MS) * 1000000LL;
    bool racy = folder->mtime_ns >= racy_ns || folder->ctime_ns >= racy_ns;
    uint64_t sum = s_mix ((uint64_t) folder->ino) + s_mix ((uint64_t) folder->mtime_ns);
    zfile_t **files = zdir_flatten (zdir);
    for (size_t i = 0; files && files [i]; i++) {
        const char *path = zfile_filename (files [i], NULL);
        struct stat st;
        if (stat (path, &st)) {
            racy = true;          //  gone between the listing and now
            continue;
        }
        uint64_t h = 14695981039346656037ULL;       //  FNV-1a of the path
        for (const char *p = path; *p; p++)
            h = (h ^ (unsigned char) *p) * 1099511628211ULL;
        h = s_mix (h ^ s_mix ((uint64_t) st.st_ino));
        h = s_mix (h ^ (uint64_t) st.st_size);
        h = s_mix (h ^ (uint64_t) s_ns (st.st_mtim));
        h = s_mix (h ^ (uint64_t) s_ns (st.st_ctim));
        sum += h;
        if (s_ns (st.st_mtim) >= racy_ns || s_ns (st.st_ctim) >= racy_ns)
            racy = true;
    }
    if (!files)
        racy = true;
    zdir_flatten_free (&files);
    zdir_destroy (&zdir);
    return racy || sum == 0? 0: sum;
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
