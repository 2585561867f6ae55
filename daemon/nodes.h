/*  nodes — the registry of enrolled nodes, read from the directory of
    enrolled public certificates that zauth also uses.

    A node's name, agency and role come from its enrolled certificate's
    metadata ("name", "agency", "role"). The administrator writes those
    files when enrolling a node, so they are trusted; nothing a client sends
    can change them. The registry is keyed by the Z85 public key that ZAP
    authenticated and libzmq reports as each frame's User-Id.              */
#ifndef SAMHAND_NODES_H
#define SAMHAND_NODES_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    char key [41];           //  Z85 public key
    char name [64];
    int  agency;             //  Samhand__V1__Agency, 0 for none (admin)
    int  role;               //  policy_role_t
    int64_t expires_ms;      //  the certificate's "expires" (unix ms), 0 = none
} node_t;

typedef struct _nodes_t nodes_t;

//  Loads every *.cert in DIR. Certificates with missing or unknown metadata
//  are skipped with a warning (such a node can connect but may do nothing).
//  So are certificates past their "expires" metadata (UTC, YYYY-MM-DD or
//  RFC 3339 ...Z) or with a malformed one; one that expires within 30 days
//  is loaded with a warning. Each such warning is logged once per state.
nodes_t *nodes_new (const char *dir);
void nodes_destroy (nodes_t **self_p);

//  Re-reads the directory (new enrolments, revocations). Returns 0 or -1
//  (the registry stays as it was).
int nodes_reload (nodes_t *self);

//  Re-reads the directory only when it changed since it was last read
//  (dirstamp.h: the ZAP handler's check — a file added, removed or renamed
//  is seen at once, one rewritten in place within DIRSTAMP_SCAN_MS); a
//  folder that could not be read is tried again. Reading 2,000 enrolled
//  certificates takes some 70 ms, checking a few. NOW_MS: unix ms, the
//  caller's clock (zclock_time). Returns 0 or -1.
int nodes_refresh (nodes_t *self, int64_t now_ms);

//  How many times the folder was read (tests).
size_t nodes_loads (nodes_t *self);

//  Returns the node for a key, or NULL. Owned by the registry; valid until
//  the next reload.
const node_t *nodes_by_key (nodes_t *self, const char *key);
const node_t *nodes_by_name (nodes_t *self, const char *name);

//  Number of nodes and indexed access, for iterating (routing, admin).
size_t nodes_size (nodes_t *self);
const node_t *nodes_at (nodes_t *self, size_t index);

#endif
