/*  zapcerts — the enrolled certificates, in memory. See zapcerts.h.      */
#include "zapcerts.h"

struct _zapcerts_t {
    char             *dir;
    zhashx_t         *certs;       //  Z85 public key -> zcert_t (owned)
    dirstamp_t        stamp;       //  the folder when it was last loaded
    size_t            loads;
    bool              unreadable;  //  said so in the log (once per outage)
};

static void
s_cert_destroy (void **item)
{
    zcert_destroy ((zcert_t **) item);
}

static int
s_add_path (const char *path, const char *name, void *arg)
{
    (void) name;
    char *copy = strdup (path);
    if (!copy || !zlistx_add_end ((zlistx_t *) arg, copy)) {
        free (copy);
        return -1;
    }
    return 0;
}

//  Reads every certificate: the folder's stamp and signature are taken
//  first, so a change made while loading shows as a change next time.
static void
s_load (zapcerts_t *self, int64_t now_ms)
{
    dirstamp_t stamp;
    dirstamp_take (&stamp, self->dir, now_ms);
    zhashx_t *certs = zhashx_new ();
    zlistx_t *paths = zlistx_new ();
    if (certs)
        zhashx_set_destructor (certs, s_cert_destroy);
    if (paths) {
        zlistx_set_destructor (paths, (zlistx_destructor_fn *) zstr_free);
        zlistx_set_comparator (paths, (zlistx_comparator_fn *) strcmp);
    }
    //  The files that count (dirstamp.h: top level only), in name order so
    //  that of two files with one key the same one is kept every time.
    bool failed = !certs || !paths || !stamp.valid
               || dirstamp_each (self->dir, s_add_path, paths) != 0;
    if (!failed)
        zlistx_sort (paths);
    for (const char *path = failed? NULL: (const char *) zlistx_first (paths); path;
         path = (const char *) zlistx_next (paths)) {
        zcert_t *cert = zcert_load (path);
        if (!cert)
            continue;
        if (zhashx_insert (certs, zcert_public_txt (cert), cert)) {
            zsys_warning ("zapcerts: %s has a public key enrolled already in another file:"
                          " ignored", path);
            zcert_destroy (&cert);
        }
    }
    zlistx_destroy (&paths);
    if (failed) {
        //  Fail closed: a folder that cannot be read admits nobody. The
        //  stamp stays invalid, so the next lookup tries again.
        if (!self->unreadable)
            zsys_warning ("zapcerts: cannot read the enrolled folder %s: every handshake"
                          " refused until it can be read", self->dir);
        self->unreadable = true;
        zhashx_destroy (&certs);
        certs = zhashx_new ();
        dirstamp_clear (&stamp);
    }
    else
    if (self->unreadable) {
        zsys_info ("zapcerts: the enrolled folder %s can be read again", self->dir);
        self->unreadable = false;
    }
    zhashx_destroy (&self->certs);
    self->certs = certs;          //  NULL only out of memory: admits nobody
    self->stamp = stamp;
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
    if (dirstamp_changed (&self->stamp, self->dir, now_ms))
        s_load (self, now_ms);
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
