/*  store_leader — which broker leads a store. See store.h.

    sqlite: an exclusive flock(2) on STORE.lock. The kernel holds it for
    the process and drops it when the process ends, also on kill -9, so a
    standby that polls it takes over as soon as the active broker is gone;
    and a broker that still runs can never lose it, so it never has to ask
    again (store_is_leader only reports what it holds).                    */
#include "store.h"
#include <czmq.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

struct _store_leader_t {
    char *lock_path;
    int   fd;                 //  open lock file, or -1
    bool  held;
};

store_leader_t *
store_leader_new (const char *spec, char *err, size_t errlen)
{
    assert (spec);
    store_leader_t *self = (store_leader_t *) zmalloc (sizeof (store_leader_t));
    if (!self || asprintf (&self->lock_path, "%s.lock", spec) < 0) {
        free (self);
        snprintf (err, errlen, "out of memory");
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
    free (self->lock_path);
    free (self);
    *self_p = NULL;
}

int
store_leadership_try (store_leader_t *self)
{
    assert (self);
    if (self->held)
        return 1;
    if (flock (self->fd, LOCK_EX | LOCK_NB) == 0) {
        self->held = true;
        return 1;
    }
    if (errno == EWOULDBLOCK || errno == EINTR)
        return 0;
    zsys_error ("store: cannot lock %s: %s", self->lock_path, strerror (errno));
    return -1;
}

bool
store_is_leader (store_leader_t *self)
{
    return self && self->held;
}
