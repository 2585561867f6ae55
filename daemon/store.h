/*  store — persistence: messages, outboxes, subscriptions, consents,
    case references, known identifiers, the audit log. It knows nothing of
    sockets, policy or encryption: personal data arrives here already
    sealed by the broker. This is the only interface to the database: named
    operations, no SQL. Behind it (store_db.h, private) a sqlite file or a
    PostgreSQL database, chosen by the configured store: a postgresql://
    URI or a conninfo string (host=... dbname=...) is PostgreSQL, anything
    else the path of a sqlite file.

    Durability: sqlite in WAL with synchronous=FULL; PostgreSQL with
    synchronous_commit on. Either way a COMMIT has reached the disk
    when store_commit returns. The broker groups every write of one poll
    cycle into one transaction (store_begin ... store_commit), and sends
    acknowledgements only after the commit.                                */
#ifndef SAMHAND_STORE_H
#define SAMHAND_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct _store_t store_t;

//  Write functions: a result that is ignored is a batch half done.
#ifndef MUST_CHECK
#define MUST_CHECK __attribute__ ((warn_unused_result))
#endif

//  Outbox states.
enum {
    OUTBOX_PENDING = 0,       //  not sent in this session
    OUTBOX_INFLIGHT = 1,      //  sent, waiting for a receipt
    OUTBOX_RECEIVED = 2,
    OUTBOX_READ = 3,
    OUTBOX_EXPIRED = 4,
    OUTBOX_DEAD = 5,
    OUTBOX_WITHDRAWN = 6      //  withheld again after consent withdrawal
};

typedef struct {
    int64_t  delivery_id;
    int64_t  message;         //  messages.id
    uint8_t  message_id [16];
    char     sender_node [64];
    int      sender_agency;
    int      kind;
    int      acute;
    int      agency;          //  recipient agency
    int      view;
    char     rule [40];
    char     basis [160];
    char     reason [200];
    int      attempts;
    int64_t  created_ms;
    const void *payload;      //  sealed; valid during the callback only
    size_t   payload_size;
    const void *subject_key;  //  32 bytes or NULL
    uint32_t classes;         //  data classes the view keeps
    char     node [64];       //  recipient (filled by store_outbox_for_subject)
    char     sender_key [41];
} store_delivery_t;

typedef struct {
    int64_t  message;         //  rowid, filled by store_message_insert
    const char *sender_key;
    const uint8_t *message_id;
    const char *sender_node;
    int      sender_agency;
    int      kind;
    int      acute;
    const uint8_t *subject_key;      //  32 bytes or NULL
    const void *payload; size_t payload_size;   //  sealed
    const void *result; size_t result_size;     //  packed SubmitResult
    int64_t  created_ms;
    int64_t  expires_ms;
} store_message_t;

//  Opens (creating if needed) the store at PATH (a sqlite path or a
//  PostgreSQL URI / conninfo), creating or upgrading its schema. NULL on
//  failure, and for a schema newer than this samhandd knows.
store_t *store_new (const char *path);
//  Same, for the broker that holds LEADER (store_leadership_try): with
//  PostgreSQL the store writes through the leadership's own session, so
//  that losing one loses the other.
typedef struct _store_leader_t store_leader_t;
store_t *store_new_led (const char *path, store_leader_t *leader);
//  Opens an existing store to read only (offline audit checks): no schema
//  is made or changed. NULL on failure.
store_t *store_new_reader (const char *path);
void store_destroy (store_t **self_p);

//  One read snapshot over several reads (offline checks while a broker
//  writes): begin and end. 0 or -1.
int store_snapshot_begin (store_t *self);
int store_snapshot_end (store_t *self);

//  True when PATH names a PostgreSQL store rather than a sqlite file.
bool store_path_remote (const char *path);
//  PATH as logs may show it: a sqlite path as it is; a PostgreSQL conninfo
//  as "PostgreSQL database D on HOST port P as user U", without its
//  password or other options. Returns BUF.
const char *store_path_display (const char *path, char *buf, size_t size);
//  True when the store is PostgreSQL.
bool store_remote (store_t *self);
//  Rows changed by all writes since the store opened: an unchanged count
//  means a cycle wrote nothing. And rows changed by the last write.
int64_t store_changes_total (store_t *self);
int64_t store_changes (store_t *self);
//  Copies a sqlite store at SRC to a new file DST (sqlite's backup API, one
//  read transaction, checked and checkpointed). 0 or -1 (said on stderr).
//  PostgreSQL stores are backed up with PostgreSQL's tools (pg_dump,
//  pgBackRest): see samhandd(8).
int store_backup_copy (const char *src, const char *dst);

//  True when the database had no schema before store_new created it.
bool store_was_created (store_t *self);

MUST_CHECK int store_begin (store_t *self);
MUST_CHECK int store_commit (store_t *self);      //  0 when durable
void store_rollback (store_t *self);
bool store_in_transaction (store_t *self);
//  Any failed statement inside the open transaction fails all of it:
//  store_commit then rolls back and returns -1. Callers that see another
//  module's write fail (audit, registry) say so here.
void store_fail_batch (store_t *self);
bool store_batch_failed (store_t *self);
//  True when the last transaction failed because the disk is full.
bool store_disk_full (store_t *self);

//  Idempotency: finds a message by (sender key, message id). Returns 1 and
//  a malloc'd copy of its stored SubmitResult, 0 if none, -1 on error.
int store_message_find (store_t *self, const char *sender_key,
                        const uint8_t message_id [16],
                        uint8_t **result, size_t *result_size);
//  The same, and the stored message's kind and its sender's agency when it
//  was stored (either may be NULL): a replay is shown as the sender of that
//  message may see it today, whatever the retry claims.
int store_message_find_origin (store_t *self, const char *sender_key,
                               const uint8_t message_id [16], uint8_t **result,
                               size_t *result_size, int *kind, int *sender_agency);

MUST_CHECK int store_message_insert (store_t *self, store_message_t *msg);

//  Rebuilds the in-memory idempotency index from the table (at open, and
//  after a rolled-back transaction left it with rows that do not exist).
MUST_CHECK int store_idem_rebuild (store_t *self);

//  Adds an outbox entry; returns the delivery id or -1.
MUST_CHECK int64_t store_outbox_insert (store_t *self, int64_t message, const char *node,
                             int agency, int view, const char *rule,
                             const char *basis, const char *reason, uint32_t classes);

//  Calls fn for up to LIMIT pending entries of NODE, oldest first. The
//  callback returns 0 to continue, non-zero to stop.
typedef int (store_delivery_fn) (const store_delivery_t *delivery, void *arg);
int store_outbox_pending (store_t *self, const char *node, int limit,
                          store_delivery_fn *fn, void *arg);

MUST_CHECK int store_outbox_mark_sent (store_t *self, int64_t delivery_id, int64_t now_ms);
//  A pending entry shown to its node in an inbox answer: handed over, so a
//  receipt for it is taken (its sent time is when it was first shown).
MUST_CHECK int store_outbox_mark_shown (store_t *self, int64_t delivery_id, int64_t now_ms);

//  An inbox answer that showed a never-sent entry (its sent time set at
//  SHOWN_MS by store_outbox_mark_shown) was not taken by the connection:
//  the entry is again one the node cannot hold, so a receipt for it is
//  refused until it is shown or delivered. Touches nothing else.
MUST_CHECK int store_outbox_not_shown (store_t *self, int64_t delivery_id, int64_t shown_ms);

//  Applies a receipt from NODE. Returns 2 if the entry was outstanding
//  (pending or in flight) and is now received/read, 1 if it was already
//  received, 0 if the delivery is unknown or not the node's, -1 on error.
MUST_CHECK int store_outbox_receipt (store_t *self, int64_t delivery_id, const char *node,
                          int state, int64_t now_ms);

//  Puts a node's in-flight entries back to pending (new session).
MUST_CHECK int store_outbox_requeue_node (store_t *self, const char *node);

//  Puts in-flight entries sent before CUTOFF back to pending and calls fn
//  with each affected node name. Returns the number requeued.
MUST_CHECK int store_outbox_requeue_overdue (store_t *self, int64_t cutoff_ms,
                                  void (*fn) (const char *node, void *arg), void *arg);

//  Counts of not-yet-received entries per node, for the outbox bound.
int store_outbox_counts (store_t *self,
                         void (*fn) (const char *node, int count, void *arg), void *arg);

//  Outstanding (pending / in flight) entries of messages about a subject,
//  for deciding again when a consent is withdrawn.
int store_outbox_for_subject (store_t *self, const uint8_t subject_key [32],
                              store_delivery_fn *fn, void *arg);
//  Replaces an outstanding entry's decision; a WITHHELD view takes the
//  entry out of the outbox (state WITHDRAWN).
MUST_CHECK int store_outbox_redecide (store_t *self, int64_t delivery_id, int view, const char *rule,
                           const char *basis, const char *reason, uint32_t classes);
//  Nodes that have received an identified view about the subject on a
//  consent, with the agency each entry was decided for.
int store_outbox_identified_nodes (store_t *self, const uint8_t subject_key [32],
                                   void (*fn) (const char *node, int agency, void *arg), void *arg);

//  Entries of NODE sent and not yet receipted.
int store_outbox_inflight (store_t *self, const char *node);

//  Stored subscription of a node: 1 found, 0 none, -1 error.
int store_subscription_get (store_t *self, const char *node, uint32_t *kinds,
                            int *min_urgency, int *min_level);
MUST_CHECK int store_subscription_set (store_t *self, const char *node, uint32_t kinds,
                            int min_urgency, int min_level);

//  Per-store metadata (secrets are kept in key files, not here).
int store_meta_get_int (store_t *self, const char *key, int64_t *value);
MUST_CHECK int store_meta_set_int (store_t *self, const char *key, int64_t value);

//  Retention: messages of KIND created before CUTOFF that still hold
//  personal data; fn is called for each (at most min(limit, 256)).
//  Returns how many (0: none due), or -1 on a database error or when fn
//  failed.
MUST_CHECK int store_purge_due (store_t *self, int kind, int64_t cutoff_ms, int limit,
                     int (*fn) (int64_t message, const uint8_t *message_id,
                                const uint8_t *subject_key, void *arg), void *arg);
//  Drops a message's sealed payload; its undelivered entries expire.
MUST_CHECK int store_purge_message (store_t *self, int64_t message);

//  Re-encryption: sealed payloads in id order after AFTER, and replacing one.
int store_each_payload (store_t *self, int64_t after, int limit,
                        int (*fn) (int64_t message, const uint8_t *message_id,
                                   const uint8_t *payload, size_t size, void *arg), void *arg);
MUST_CHECK int store_set_payload (store_t *self, int64_t message, const void *payload, size_t size);

//  Moves the WAL into the database and empties it.
MUST_CHECK int store_checkpoint (store_t *self);

//  Takes the store's exclusive lock (sqlite: a lock file beside it;
//  PostgreSQL: a session advisory lock on a connection of its own);
//  returns its fd or -1 when another process (a running samhandd) holds it.
int store_lock (const char *path);
//  Gives the lock back (closing its fd).
void store_unlock (int fd);

//  Leadership (store_leader.c): of the brokers configured on one store
//  only the one holding it may open the store for writing and bind; the
//  others wait as standbys (server/standby) and try again. sqlite: the
//  same lock file as store_lock, so the offline tools still see a running
//  broker. PostgreSQL: a session advisory lock on the connection the store
//  then writes through (store_new_led). Opens what the leadership needs
//  (the lock file; PostgreSQL connects at the first try); NULL with ERR on
//  failure.
store_leader_t *store_leader_new (const char *spec, char *err, size_t errlen);
//  Releases the leadership (if held) and frees. Nulls *self_p.
void store_leader_destroy (store_leader_t **self_p);
//  Takes the leadership without waiting: 1 held (now or already), 0 another
//  broker holds it, -1 error (logged).
MUST_CHECK int store_leadership_try (store_leader_t *self);
//  True while this process leads: writes may go on. PostgreSQL: asks the
//  server (at most once a second, between transactions) whether the
//  session still holds the lock; a lost session can commit nothing anyway.
bool store_is_leader (store_leader_t *self);
//  Why store_is_leader turned false, on one line (the server's message,
//  or "the lock is gone"); "" while it leads.
const char *store_leader_lost (store_leader_t *self);

//  ---------------------------------------------------------------------
//  Workflow: message status, expiry, dead letters, timers, inbox.

typedef struct {
    int64_t  message;
    uint8_t  message_id [16];
    int      kind;
    int      acute;
    int64_t  created_ms;
    int64_t  expires_ms;
    char     sender_node [64];
    char     sender_key [41];
    bool     has_subject;
    uint8_t  subject_key [32];
    int      sender_agency;           //  the sender's agency when it was stored
} store_message_info_t;

typedef struct {
    int64_t  delivery_id;
    int64_t  message;
    char     node [64];
    int      agency, view, state, attempts;
    int64_t  sent_ms, received_ms, read_ms;
} store_entry_t;

typedef struct {
    int64_t  id;
    char     kind [16];               //  "escalate", "review", "status"
    uint8_t  key [32];
    size_t   key_size;
    int64_t  message;
    int64_t  due_ms;
    int64_t  every_ms;
    int      fired;
} store_timer_t;

MUST_CHECK int store_workflow_init (store_t *self);
//  Finds a sender's message by id through the idempotency index, or with
//  sender_key NULL by id alone (a scan: for admin questions only).
//  1 found, 0 not, -1 error.
int store_message_lookup (store_t *self, const char *sender_key, const uint8_t message_id [16],
                          store_message_info_t *info);
int store_message_by_row (store_t *self, int64_t message, store_message_info_t *info);
int store_message_of_delivery (store_t *self, int64_t delivery_id, int64_t *message);
int store_outbox_of_message (store_t *self, int64_t message,
                             int (*fn) (const store_entry_t *entry, void *arg), void *arg);
//  Entries joined with their message, at most LIMIT, in delivery order
//  (store_delivery_t with node and sender_key filled in); the count or -1.
//  NODE's pending entries of the kinds in the bit set KINDS (1 << kind):
int store_outbox_pending_kinds (store_t *self, const char *node, uint32_t kinds, int limit,
                                store_delivery_fn *fn, void *arg);
//  NODE's inbox after AFTER_ID: not yet received or read, or with
//  INCLUDE_READ also those read; the newest LIMIT of them, newest first.
int store_inbox (store_t *self, const char *node, bool include_read, int64_t after_id,
                 int limit, store_delivery_fn *fn, void *arg);
//  Dead letters after AFTER_ID (the newest LIMIT, newest first), and one
//  by its delivery id.
int store_dead_letters (store_t *self, int64_t after_id, int limit,
                        store_delivery_fn *fn, void *arg);
int store_dead_letter (store_t *self, int64_t delivery_id, store_delivery_fn *fn, void *arg);
//  Outstanding entries whose message expires in (AFTER_MS, UNTIL_MS].
int store_outbox_expiring (store_t *self, int64_t after_ms, int64_t until_ms, int limit,
                           store_delivery_fn *fn, void *arg);
MUST_CHECK int store_outbox_set_state (store_t *self, int64_t delivery_id, int state, bool reset_attempts);
//  An in-flight entry whose Deliver the connection did not take (after the
//  commit that recorded it): pending again, and that send is not counted
//  against workflow/max_attempts (the node never got it).
MUST_CHECK int store_outbox_not_sent (store_t *self, int64_t delivery_id);
//  The message id and person (subject key, if the message names one) of
//  a delivery, whatever its state. 1 found, 0 not, -1 on error.
int store_delivery_message (store_t *self, int64_t delivery_id, uint8_t message_id [16],
                            uint8_t subject_key [32], bool *has_subject);
//  1 if any recipient node has marked the message read.
int store_message_any_read (store_t *self, int64_t message);
//  1 if a recipient node of an agency in the bit set AGENCIES (1 << agency)
//  has marked the message read; 0 if none; -1 on error.
int store_message_read_by (store_t *self, int64_t message, uint32_t agencies);

//  Stored deadlines: they outlive restarts. One timer per (kind, key).
MUST_CHECK int store_timer_set (store_t *self, const char *kind, const void *key, size_t key_size,
                     int64_t message, int64_t due_ms, int64_t every_ms);
MUST_CHECK int store_timer_cancel (store_t *self, const char *kind, const void *key, size_t key_size);
//  Timers due by NOW_MS into OUT: the count (0: none due) or -1 on error.
MUST_CHECK int store_timers_due (store_t *self, int64_t now_ms, store_timer_t *out, int max);
//  Moves an existing timer; returns 1 if there was one, 0 if not.
MUST_CHECK int store_timer_postpone (store_t *self, const char *kind, const void *key, size_t key_size,
                          int64_t due_ms);
//  Moves a timer to DUE_MS, or deletes it when DUE_MS < 0.
MUST_CHECK int store_timer_reschedule (store_t *self, int64_t id, int64_t due_ms, int fired);


//  Forgets NODE's stored subscription (its role's default applies). 0 or -1.
int store_subscription_clear (store_t *self, const char *node);

//  Outstanding (pending / in flight) entries for NODE of messages whose
//  sender key is SENDER_KEY: a sender's own backlog at that node. -1 on error.
int store_outbox_count_from (store_t *self, const char *node, const char *sender_key);

//  ---------------------------------------------------------------------
//  Operators' counts (store_health.c): no content, no subjects.
typedef struct {
    int64_t dead_letters;
    int64_t open_escalations;     //  escalation timers that have fired
    int64_t last_signature_ms;    //  newest signed audit head, 0 if none
} store_health_t;
int store_health_counts (store_t *self, store_health_t *out);
//  Audit records of event "decided" after AFTER_SEQ: how many, and the
//  last seq seen (AFTER_SEQ when none). 0 or -1.
int store_audit_decided_after (store_t *self, int64_t after_seq, int64_t *count,
                               int64_t *last_seq);
//  Calls fn per node with outstanding (pending / in flight) entries: how
//  many, and the submitted time of the oldest. fn returns non-zero to
//  fail. 0 or -1.
int store_outbox_waiting (store_t *self,
                          int (*fn) (const char *node, int64_t count, int64_t oldest_ms,
                                     void *arg), void *arg);
//  The store's size on disk (the sqlite file at PATH and its WAL, or the
//  PostgreSQL database); -1 when it cannot be read.
int64_t store_size_bytes (store_t *self, const char *path);

//  ---------------------------------------------------------------------
//  Risk plans (store_plan.c): every revision of a case's plan, and its
//  evaluations. A revision's content is its message's sealed payload (so
//  retention purges it like any message); this keeps who, when, on which
//  base and what changed, none of it personal data. An evaluation's note
//  arrives sealed.

typedef struct {
    int      revision;
    int      base;
    int64_t  message;         //  messages.id of the revision's Submit
    char     edited_by [64];
    int64_t  edited_at;       //  unix ms
    int      significant;
    char     changes [256];
    bool     purged;          //  its payload is gone (retention)
} store_plan_rev_t;

typedef struct {
    char     evaluated_by [64];
    int64_t  evaluated_at;    //  unix ms
    const void *note;         //  sealed; valid during the callback only
    size_t   note_size;
    char     next_date [24];
} store_plan_eval_t;

int store_plan_init (store_t *self);
//  The latest revision of the subject's plan: 1 found, 0 none, -1 error.
int store_plan_current (store_t *self, const uint8_t subject_key [32], store_plan_rev_t *rev);
//  One revision: 1 found, 0 none, -1 error.
int store_plan_revision (store_t *self, const uint8_t subject_key [32], int revision,
                         store_plan_rev_t *rev);
//  Adds a revision; -1 on error (a revision number taken twice is one).
int store_plan_revision_insert (store_t *self, const uint8_t subject_key [32],
                                const store_plan_rev_t *rev);
//  Calls fn for every revision, newest first (fn returns non-zero to stop),
//  and store_plan_evaluations for every evaluation, newest first. Return
//  the count or -1.
int store_plan_revisions (store_t *self, const uint8_t subject_key [32],
                          int (*fn) (const store_plan_rev_t *rev, void *arg), void *arg);
int store_plan_evaluation_insert (store_t *self, const uint8_t subject_key [32],
                                  const store_plan_eval_t *eval);
int store_plan_evaluations (store_t *self, const uint8_t subject_key [32],
                            int (*fn) (const store_plan_eval_t *eval, void *arg), void *arg);
//  Retention: drops the sealed notes of evaluations recorded before
//  CUTOFF_MS (the evaluation's who, when and next date stay). Returns how
//  many, or -1.
int store_plan_evaluations_purge (store_t *self, int64_t cutoff_ms);
//  A message's sealed payload and sender by row: 1 found (payload NULL
//  when purged; caller frees it), 0 no such row, -1 error.
int store_plan_payload (store_t *self, int64_t message, uint8_t message_id [16],
                        uint8_t **payload, size_t *size, char sender_node [64],
                        int *sender_agency);
//  Is there a timer (kind, key)? 1 yes, 0 no, -1 error.
int store_timer_exists (store_t *self, const char *kind, const void *key, size_t key_size);

//  ---------------------------------------------------------------------
//  Crypto-shredding (store_shred.c): how many live sealed contents
//  (message payloads, evaluation notes) carry KEY_ID in their header.
//  -1 on error (which fails the open batch).
int64_t store_sealed_count (store_t *self, uint32_t key_id);
//  Those contents, at most LIMIT, for re-sealing under a later key when a
//  retention was lengthened: what (0 a message payload, 1 an evaluation
//  note), its row, kind (RISK_PLAN for a note), the time its retention
//  counts from, its AAD (message id or subject key) and the sealed bytes,
//  valid during the callback only. fn returns 0 to go on, 1 to stop, -1
//  to fail. The count seen, or -1.
typedef struct {
    int what;
    int64_t row;
    int kind;
    int64_t since_ms;
    const void *aad; size_t aad_size;
    const void *sealed; size_t size;
} store_sealed_t;
int store_sealed_each (store_t *self, uint32_t key_id, int limit,
                       int (*fn) (const store_sealed_t *item, void *arg), void *arg);
//  Replaces a content still live with its re-sealed bytes. 0 or -1.
MUST_CHECK int store_sealed_replace (store_t *self, int what, int64_t row, const void *sealed,
                                     size_t size);

#endif
