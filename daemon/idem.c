/*  idem — open-addressing hash of uint64 -> int64. See idem.h.            */
#include "idem.h"
#include <stdlib.h>
#include <string.h>

typedef struct {
    uint64_t key;
    int64_t  rowid;           //  0 = empty slot
} slot_t;

struct _idem_t {
    slot_t *slots;
    size_t  cap;              //  power of two
    size_t  size;
};

//  Keys are already uniform (hash output); mixing guards against a
//  caller that passes something that is not.
static size_t
s_slot (uint64_t key, size_t cap)
{
    key ^= key >> 33;
    key *= 0xff51afd7ed558ccdULL;
    key ^= key >> 33;
    return (size_t) key & (cap - 1);
}

static int
s_grow (idem_t *self)
{
    size_t cap = self->cap? self->cap * 2: 1024;
    slot_t *slots = (slot_t *) calloc (cap, sizeof (slot_t));
    if (!slots)
        return -1;
    for (size_t i = 0; i < self->cap; i++) {
        if (!self->slots [i].rowid)
            continue;
        size_t k = s_slot (self->slots [i].key, cap);
        while (slots [k].rowid)
            k = (k + 1) & (cap - 1);
        slots [k] = self->slots [i];
    }
    free (self->slots);
    self->slots = slots;
    self->cap = cap;
    return 0;
}

idem_t *
idem_new (void)
{
    idem_t *self = (idem_t *) calloc (1, sizeof (idem_t));
    if (self && s_grow (self)) {
        free (self);
        return NULL;
    }
    return self;
}

void
idem_destroy (idem_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    free ((*self_p)->slots);
    free (*self_p);
    *self_p = NULL;
}

int
idem_put (idem_t *self, uint64_t key, int64_t rowid)
{
    if (!self || rowid <= 0)
        return -1;
    if ((self->size + 1) * 2 > self->cap && s_grow (self))
        return -1;
    size_t k = s_slot (key, self->cap);
    while (self->slots [k].rowid && self->slots [k].key != key)
        k = (k + 1) & (self->cap - 1);
    if (!self->slots [k].rowid)
        self->size++;
    self->slots [k].key = key;
    self->slots [k].rowid = rowid;
    return 0;
}

int64_t
idem_get (const idem_t *self, uint64_t key)
{
    if (!self)
        return 0;
    for (size_t k = s_slot (key, self->cap); self->slots [k].rowid; k = (k + 1) & (self->cap - 1))
        if (self->slots [k].key == key)
            return self->slots [k].rowid;
    return 0;
}

size_t
idem_size (const idem_t *self)
{
    return self? self->size: 0;
}

void
idem_clear (idem_t *self)
{
    if (!self)
        return;
    memset (self->slots, 0, self->cap * sizeof (slot_t));
    self->size = 0;
}
