/*  harness — integration tests against the real samhandd: a temp folder
    with a real config, real CURVE certificates and a real store (a sqlite
    file, or its own database on the PostgreSQL in $SAMHAND_TEST_STORE), a
    broker process on a free loopback port, and raw DEALER clients that can
    send anything (including garbage) as one node or another.
    All people in the tests are invented.                                 */
#ifndef SAMHAND_HARNESS_H
#define SAMHAND_HARNESS_H

#include <czmq.h>
#include <stdbool.h>
#include "samhand.pb-c.h"

typedef struct {
    char  dir [256];
    char  config [300];
    int   port;
    pid_t pid;
    char  endpoint [64];
    char  server_public [41];
    char  store [600];        //  the config's store: "samhand.db" or a conninfo
    char  pg_db [64];         //  the test's own PostgreSQL database, or ""
} harness_t;

typedef struct {
    zsock_t *sock;
    char     name [64];
} hclient_t;

//  Creates DIR with samhandd.cfg, server cert, enrolled demo nodes (vakt,
//  koordinator, tryggest, politi-risk, krisesenter, admin) and one
//  unenrolled certificate "inntrenger". extra_config is appended to the
//  config file (e.g. "limits\n    max_outbox = 5\n").
harness_t *harness_new (const char *extra_config);
void harness_destroy (harness_t **self_p);    //  stops the broker, removes DIR

//  Starts samhandd (or $SAMHAND_DAEMON from the build directory, e.g.
//  "samhandd-fault") and waits until it answers a ping. 0 or -1.
int harness_start (harness_t *self);
//  Sends SIG and waits; returns the exit status (or 128+signal).
int harness_stop (harness_t *self, int sig);

//  A DEALER for node NAME (its cert in DIR/nodes). NULL on failure.
hclient_t *hclient_new (harness_t *h, const char *name);
//  The same, announcing ROUTING_ID to the broker's ROUTER (which then uses
//  it for this connection): the fault build can fail sends to it.
hclient_t *hclient_new_as (harness_t *h, const char *name, const char *routing_id);
void hclient_destroy (hclient_t **self_p);
int hclient_send (hclient_t *self, Samhand__V1__Frame *frame);
int hclient_send_raw (hclient_t *self, const void *data, size_t size);
//  Next frame, or NULL after timeout_ms.
Samhand__V1__Frame *hclient_recv (hclient_t *self, int timeout_ms);
//  Next frame of a given command case, skipping others; NULL on timeout.
Samhand__V1__Frame *hclient_expect (hclient_t *self, int command_case, int timeout_ms);

//  Submits and waits for the SubmitResult; NULL on timeout.
Samhand__V1__Frame *hclient_submit (hclient_t *self, Samhand__V1__Submit *submit, int timeout_ms);
//  Subscribes (kinds may be NULL) and waits for Subscribed.
Samhand__V1__Frame *hclient_subscribe (hclient_t *self, int timeout_ms);
int hclient_receipt (hclient_t *self, uint64_t delivery_id, int state);
//  Receipts (RECEIVED) and discards deliveries until none comes within
//  timeout_ms; returns how many.
int hclient_drain (hclient_t *self, int timeout_ms);
//  Subscribes with the stored subscription and drains what was waiting.
hclient_t *hclient_listener (harness_t *h, const char *name);
//  Ping; the Pong frame or NULL.
Samhand__V1__Frame *hclient_ping (hclient_t *self, int timeout_ms);

//  Builders for invented test messages. Strings are static/owned by caller.
void harness_concern (Samhand__V1__Submit *submit, Samhand__V1__ConcernReport *concern,
                      Samhand__V1__Subject *subject, const char *text);
void harness_discussion (Samhand__V1__Submit *submit, Samhand__V1__CaseDiscussion *d,
                         const char *text);
void harness_new_id (Samhand__V1__Submit *submit, uint8_t id [16]);
//  Fills frame as a written consent grant for the person with this
//  national id, to the agencies for the classes and purposes given, valid
//  until valid_until (unix seconds). frame, grant, subject and the arrays
//  are the caller's and must outlive the send; the caller sets any other
//  field (capacity_assessed_by, grant_id) before sending.
void harness_grant (Samhand__V1__Frame *frame, Samhand__V1__ConsentGrant *grant,
                    Samhand__V1__Subject *subject, const char *national_id,
                    Samhand__V1__Agency *agencies, size_t n_agencies,
                    Samhand__V1__DataClass *classes, size_t n_classes,
                    char **purposes, size_t n_purposes, int64_t valid_until);

//  Consent requests by self, each answered by a ConsentReply (NULL after
//  timeout_ms): withdraw the consent with this id; list the consents of
//  the person with this national id.
Samhand__V1__Frame *hclient_withdraw (hclient_t *self, const char *consent_id, int timeout_ms);
Samhand__V1__Frame *hclient_consents (hclient_t *self, const char *national_id, int timeout_ms);

//  True when the packed frame holds text's bytes anywhere (a leak check
//  that does not depend on which field carries them); false for NULL.
bool frame_contains (const Samhand__V1__Frame *frame, const char *text);

//  Runs a shell command and returns its stdout (caller frees), for the CLI.
char *harness_run (const char *command, int *status);

//  Makes coordinator node NAME of AGENCY with `samhand keygen` (replacing
//  a node of that name) and enrols its certificate in the broker's folder
//  (seen at the next start or reload). True on success.
bool harness_enrol (harness_t *self, const char *name, const char *agency);

//  Path of the build directory ($SAMHAND_BUILD or "build").
const char *harness_build (void);

void frame_free (Samhand__V1__Frame **frame_p);

//  The store under test. With $SAMHAND_TEST_STORE set to a PostgreSQL
//  conninfo without dbname (tests/pg/pgtmp.sh), every harness gets its own
//  database there (created by harness_new, dropped by harness_destroy);
//  otherwise the sqlite file DIR/samhand.db.
bool harness_pg (harness_t *self);
//  Runs SQL on the test's store (sqlite or PostgreSQL) from outside the
//  broker, as an attacker or an inspector would: the first column of the
//  first row as an integer (-1 when the query fails or gives no row).
int64_t harness_sql_int (harness_t *self, const char *sql);
//  Runs SQL that gives no rows. 0 or -1.
int harness_sql_exec (harness_t *self, const char *sql);
//  Calls fn with the first column (as text) of each row. Rows or -1.
int harness_sql_each (harness_t *self, const char *sql,
                      void (*fn) (const char *value, void *arg), void *arg);
//  Where the test's store keeps its bytes on disk, for greps: the sqlite
//  file (and -wal) or PostgreSQL's data directory ($SAMHAND_TEST_PGDATA).
//  Writes up to 2 paths; returns how many.
int harness_store_files (harness_t *self, char paths [2][600]);
//  1 when any of those holds NEEDLE's bytes, 0 when none does, -1 when
//  there is nothing to look in.
int harness_store_contains (harness_t *self, const char *needle);

//  A free TCP port on 127.0.0.1 at the time of asking, or -1.
int harness_free_port (void);

#endif
