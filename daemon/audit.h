/*  audit — the append-only, hash-chained audit log, in the store's database
    and written inside the same transaction as the event it records.

    Each record holds who, what, to whom, on which rule and basis, and a
    hash of the content — never the personal data itself. Record N's hash
    covers its fields and record N-1's hash, so a changed, removed or
    reordered record breaks the chain at that place. The head of the chain
    is signed (Ed25519, by the caller's sign function) at intervals and at
    shutdown, so that cutting off the tail is caught back to the last
    signature, without paying for a signature per record.                 */
#ifndef SAMHAND_AUDIT_H
#define SAMHAND_AUDIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "store.h"

typedef struct _audit_t audit_t;

#ifndef MUST_CHECK
#define MUST_CHECK __attribute__ ((warn_unused_result))
#endif

typedef struct {
    const char    *event;          //  "submitted", "decided", "refused", "delivered", ...
    const uint8_t *message_id;     //  16 bytes or NULL
    const char    *sender;         //  sender node name or NULL
    const char    *node;           //  recipient node or NULL
    int            agency;         //  recipient agency or 0
    int            view;           //  Samhand__V1__View or 0
    const char    *rule;
    const char    *basis;
    const uint8_t *content_hash;   //  32 bytes or NULL
    const uint8_t *subject_key;    //  32 bytes or NULL: lets "who received" find a person
    const char    *detail;         //  short text, never personal data
} audit_record_t;

typedef int (audit_sign_fn) (const uint8_t *msg, size_t len, uint8_t sig [64], void *arg);
typedef int (audit_verify_fn) (const uint8_t *msg, size_t len, const uint8_t sig [64], void *arg);

audit_t *audit_new (store_t *store);
void audit_destroy (audit_t **self_p);

//  Appends a record in the caller's open transaction. 0 or -1; after -1
//  the transaction must not be committed (audit_failed says so too).
MUST_CHECK int audit_append (audit_t *self, const audit_record_t *record, int64_t now_ms);

//  After a rolled-back transaction: reload the chain head from disk.
MUST_CHECK int audit_reload (audit_t *self);

//  True when an append or a signature failed since the last reload: the
//  open transaction holds a broken chain and must be rolled back.
bool audit_failed (audit_t *self);

//  Signs the current head if it moved since the last signature. 0 or -1.
MUST_CHECK int audit_sign_head (audit_t *self, audit_sign_fn *sign, void *arg, int64_t now_ms);

//  Walks the whole chain. Returns 0 when intact; otherwise -1 with the
//  place and kind of damage in problem. records is set to the count seen.
int audit_verify (store_t *store, audit_verify_fn *verify, void *arg,
                  int64_t *records, char *problem, size_t problem_size);

int64_t audit_last_seq (audit_t *self);

//  ---------------------------------------------------------------------
//  Witnessed heads. Signed heads live in the same store as the log, so
//  whoever can cut off the log can cut off its later heads too. Each
//  signed head is therefore also given out (logged at info level, pushed
//  to admin nodes, which keep the newest they saw); verification against
//  such a witnessed head finds the truncation.

typedef struct {
    int64_t seq;
    uint8_t hash [32];
    uint8_t sig [64];
    int64_t ts_ms;
} audit_head_t;

//  The newest head this audit_t signed or loaded (it may belong to the
//  open transaction). 0 when there is none, else 1.
int audit_signed_head (audit_t *self, audit_head_t *head);

//  The newest signed head in the database: 1 found, 0 none, -1 error.
int audit_latest_head (store_t *store, audit_head_t *head);

//  "audit head seq=N hash=<64 hex> sig=<128 hex>": one line, as logged
//  and as kept in an admin node's witness file. size >= 240.
void audit_head_format (const audit_head_t *head, char *text, size_t size);

//  Finds the head with the highest seq in TEXT (a witness file, or a
//  whole log). 1 found, 0 none.
int audit_head_parse (const char *text, audit_head_t *head);

//  Compares the chain with a head witnessed outside the store: its
//  signature must verify (when verify is not NULL), and the log must hold
//  its record with its hash. 0 when it does; -1 with problem naming
//  truncation (the log ends before the witnessed head) or rewriting.
int audit_check_witness (store_t *store, audit_verify_fn *verify, void *arg,
                         const audit_head_t *witness, char *problem, size_t size);

//  A stored record as read back, for queries. Pointers valid during the
//  callback only.
typedef struct {
    int64_t seq;
    int64_t ts_ms;
    audit_record_t r;
    const uint8_t *hash;
    const char *author;            //  who-received: author= of the message's
                                   //  "submitted" record (the node's claim), or NULL
    const char *receipt;           //  who-received: "received" or "read" when the
                                   //  node confirmed the delivery, else NULL
} audit_row_t;
typedef int (audit_row_fn) (const audit_row_t *row, void *arg);

//  Queries below return the count of rows, or -1 when the log cannot be
//  read (a damaged page): never a short answer passed off as complete.
//  Deliveries (and notices) about a subject, oldest first; each row with
//  the author its message's "submitted" record names (row->author). A
//  delivery recorded and then not handed over (its "delivery_not_sent"
//  record follows) is left out: the node never got it. Each handed-over
//  delivery says whether the node confirmed it (row->receipt), from the
//  receipt records that name the subject.
int audit_who_received (store_t *store, const uint8_t subject_key [32],
                        audit_row_fn *fn, void *arg);

//  Disclosures under the duty to avert ("decided" records), for review.
int audit_reviews (store_t *store, audit_row_fn *fn, void *arg);

//  Records with since_ms <= ts < until_ms and seq > after_seq, at most limit.
//  Returns the count, or -1.
int audit_export (store_t *store, int64_t since_ms, int64_t until_ms, int64_t after_seq,
                  int limit, audit_row_fn *fn, void *arg);

//  The bytes a chain hash covers, for tests and tools. Caller frees.
uint8_t *audit_serialize (int64_t seq, int64_t ts_ms, const audit_record_t *r,
                          const uint8_t prev [32], size_t *size);

#endif
