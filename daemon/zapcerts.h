/*  zapcerts — the enrolled certificates the ZAP handler admits, in memory.

    czmq's directory-backed zcertstore reads the whole folder (a stat of
    every certificate) on every lookup, i.e. on every CURVE handshake: with
    2,000 enrolled nodes reconnecting at once that is O(nodes²) stat calls
    and handshakes time out. This store loads the folder once and loads it
    again only when it changed, checked cheaply before each lookup
    (dirstamp.h: one stat of the folder each time, every file's at most
    once per DIRSTAMP_SCAN_MS; the node registry uses the same check).

    Which files count is dirstamp's rule, the one the node registry and
    --check-config follow too: every regular file directly in the folder
    (not in subfolders: enrolled/old/x.cert is not admitted), not hidden,
    whose name does not end in "_secret". A folder that cannot be read admits nobody (fail
    closed; zcertstore kept what it had). Two files with one key: the
    first loaded is kept and the duplicate logged (czmq 4.2's
    zcertstore_insert asserts, which aborted the whole broker).

    Used by one thread (the ZAP actor's); not thread-safe.                */
#ifndef SAMHAND_ZAPCERTS_H
#define SAMHAND_ZAPCERTS_H

#include <czmq.h>
#include "dirstamp.h"

#define ZAPCERTS_SCAN_MS DIRSTAMP_SCAN_MS

typedef struct _zapcerts_t zapcerts_t;

//  Loads DIR (a missing or unreadable folder gives an empty store).
//  NULL only when out of memory.
zapcerts_t *zapcerts_new (const char *dir, int64_t now_ms);
void zapcerts_destroy (zapcerts_t **self_p);

//  The enrolled certificate with this Z85 public key, or NULL. Checks the
//  folder first as above (NOW_MS: unix ms, the caller's clock). The
//  certificate belongs to the store and lives until the next call.
zcert_t *zapcerts_lookup (zapcerts_t *self, const char *key, int64_t now_ms);

//  Loads the folder again now, whatever the checks say (SIGHUP).
void zapcerts_reload (zapcerts_t *self, int64_t now_ms);

//  Certificates loaded; how many times the folder was loaded (tests).
size_t zapcerts_size (zapcerts_t *self);
size_t zapcerts_loads (zapcerts_t *self);

#endif
