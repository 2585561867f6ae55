/*  idem — the idempotency index: 64-bit keys (truncated SHA-256 of sender
    key and message id) to message row ids, in memory. Pure: no I/O.

    Kept out of sqlite on purpose: a random index in the database costs a
    4 KiB page write per message under WAL, more than the rest of a submit.
    The store rebuilds it from the messages table at start; a hit is only a
    hint and the store checks the row before trusting it.                 */
#ifndef SAMHAND_IDEM_H
#define SAMHAND_IDEM_H

#include <stddef.h>
#include <stdint.h>

typedef struct _idem_t idem_t;

idem_t *idem_new (void);
void idem_destroy (idem_t **self_p);

//  Maps key to rowid (rowid > 0), replacing any earlier value. 0 or -1.
int idem_put (idem_t *self, uint64_t key, int64_t rowid);

//  The rowid for key, or 0 when absent.
int64_t idem_get (const idem_t *self, uint64_t key);

size_t idem_size (const idem_t *self);
void idem_clear (idem_t *self);

#endif
