/*  zapcerts — the enrolled certificates, in memory. See zapcerts.h.      */
#include "zapcerts.h"
#include <sys/stat.h>

//  A signature younger than this may miss a change made within the same
//  tick of the file system's clock after it was taken: not trusted.
#define ZAPCERTS_RACY_MS 2000

//  The folder itself: any entry added, removed or renamed changes these.
typedef struct {
    bool     valid;
    dev_t    dev;
    ino_t    ino;
    int64_t  mtime_ns;
    int64_t  ctime_ns;
} zapcerts_stamp_t;

struct _zapcerts_t {
    char             *dir;
    zhashx_t         *certs;       //  Z85 public key -> zcert_t (owned)
    zapcerts_stamp_t  stamp;       //  the folder when it was last loaded
    uint64_t          signature;   //  every file then; 0 = not trusted
    int64_t           scanned_ms;  //  when the files were last compared
    size_t            loads;
    bool              unreadable;  //  said so in the log (once per outage)
};

static int64_t
s_ns (struct timespec ts)
{
    return (int64_t) ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static zapcerts_stamp_t
s_stamp (const char *dir)
{
    zapcerts_stamp_t stamp = { false, 0, 0, 0, 0 };
    struct stat st;
    if (stat (dir, &st) == 0 && S_ISDIR (st.st_mode))
        stamp = (zapcerts_stamp_t) { true, st.st_dev, st.st_ino,
                                     s_ns (st.st_mtim), s_ns (st.st_ctim) };
    return stamp;
}

static bool
s_stamp_same (const zapcerts_stamp_t *a, const zapcerts_stamp_t *b)
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
//  anything in it changed less than ZAPCERTS_RACY_MS before NOW_MS.
static uint64_t
s_signature (const char *dir, int64_t now_ms)
{
    zapcerts_stamp_t stamp = s_stamp (dir);
    zdir_t *zdir = stamp.valid? zdir_new (dir, NULL): NULL;
    if (!zdir)
        return 0;
    int64_t racy_ns = (now_ms - ZAPCERTS_RACY_MS) * 1000000LL;
    bool racy = stamp.mtime_ns >= racy_ns || stamp.ctime_ns >= racy_ns;
    uint64_t sum = s_mix ((uint64_t) stamp.ino) + s_mix ((uint64_t) stamp.mtime_ns);
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

static void
s_cert_destroy (void **item)
{
    zcert_destroy ((zcert_t **) item);
}

//  Reads every certificate: the folder's stamp and signature are taken
//  first, so a change made while loading shows as a change next time.
static void
s_load (zapcerts_t *self, int64_t now_ms)
{
    zapcerts_stamp_t stamp = s_stamp (self->dir);
    uint64_t signature = s_signature (self->dir, now_ms);
    zhashx_t *certs = zhashx_new ();
    zdir_t *zdir = stamp.valid? zdir_new (self->dir, NULL): NULL;
    zfile_t **files = zdir? zdir_flatten (zdir): NULL;
    if (certs)
        zhashx_set_destructor (certs, s_cert_destroy);
    bool failed = !certs || !files;
    for (size_t i = 0; !failed && files [i]; i++) {
        const char *path = zfile_filename (files [i], NULL);
        size_t len = strlen (path);
        if (!zfile_is_regular (files [i]) || (len >= 7 && streq (path + len - 7, "_secret")))
            continue;
        zcert_t *cert = zcert_load (path);
        if (!cert)
            continue;
        if (zhashx_insert (certs, zcert_public_txt (cert), cert)) {
            zsys_warning ("zapcerts: %s has a public key enrolled already in another file:"
                          " ignored", path);
            zcert_destroy (&cert);
        }
    }
    zdir_flatten_free (&files);
    zdir_destroy (&zdir);
    if (failed) {
        //  Fail closed: a folder that cannot be read admits nobody. The
        //  stamp stays invalid, so the next lookup tries again.
        if (!self->unreadable)
            zsys_warning ("zapcerts: cannot read the enrolled folder %s: every handshake"
                          " refused until it can be read", self->dir);
        self->unreadable = true;
        zhashx_destroy (&certs);
        certs = zhashx_new ();
        stamp.valid = false;
        signature = 0;
    }
    else
    if (self->unreadable) {
        zsys_info ("zapcerts: the enrolled folder %s can be read again", self->dir);
        self->unreadable = false;
    }
    zhashx_destroy (&self->certs);
    self->certs = certs;          //  NULL only out of memory: admits nobody
    self->stamp = stamp;
    self->signature = signature;
    self->scanned_ms = now_ms;
    self->loads++;
}

zapcerts_t *
zapcerts_new (const char *dir, int64_t now_ms)
{
    assert (dir);
    zapcerts_t *self = (zapcerts_t *) zmalloc (sizeof (zapcerts_t));
    if (!self)
        return NULL;
    self->dir = strdup (dir);
    if (!self->dir) {
        zapcerts_destroy (&self);
        return NULL;
    }
    s_load (self, now_ms);
    if (!self->certs)
        zapcerts_destroy (&self);
    return self;
}

void
zapcerts_destroy (zapcerts_t **self_p)
{
    assert (self_p);
    if (!*self_p)
        return;
    zapcerts_t *self = *self_p;
    zhashx_destroy (&self->certs);
    free (self->dir);
    free (self);
    *self_p = NULL;
}

zcert_t *
zapcerts_lookup (zapcerts_t *self, const char *key, int64_t now_ms)
{
    assert (self && key);
    zapcerts_stamp_t stamp = s_stamp (self->dir);
    if (!s_stamp_same (&stamp, &self->stamp))
        s_load (self, now_ms);
    else
    if (now_ms - self->scanned_ms >= ZAPCERTS_SCAN_MS || now_ms < self->scanned_ms) {
        uint64_t signature = s_signature (self->dir, now_ms);
        if (signature == 0 || self->signature == 0 || signature != self->signature)
            s_load (self, now_ms);
        else
            self->scanned_ms = now_ms;
    }
    return self->certs? (zcert_t *) zhashx_lookup (self->certs, key): NULL;
}

void
zapcerts_reload (zapcerts_t *self, int64_t now_ms)
{
    assert (self);
    s_load (self, now_ms);
}

size_t
zapcerts_size (zapcerts_t *self)
{
    assert (self);
    return self->certs? zhashx_size (self->certs): 0;
}

size_t
zapcerts_loads (zapcerts_t *self)
{
    assert (self);
    return self->loads;
}
