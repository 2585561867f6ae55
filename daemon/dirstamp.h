/*  dirstamp — has a folder of files changed since it was last read? Cheap
    enough to ask before every use: the enrolled folder is read by the ZAP
    handler (zapcerts) before each handshake and by the node registry
    (nodes) every few seconds, and reading 2,000 certificates takes some
    70 ms of the broker's loop. One rule, shared, so the two agree.

    - the folder's own device, inode, change and modification times, on
      every check (one stat): every file added, removed or renamed — how
      `samhand admin enroll|revoke` and an operator's cp/mv/rm work — is
      seen by the very next check;
    - every file's (path, inode, size, change and modification times), at
      most once per DIRSTAMP_SCAN_MS: a file rewritten in place, or two
      changes within one tick of the file system's clock (a signature less
      than DIRSTAMP_RACY_MS old is never trusted, so the check after says
      changed again).

    Which files count is one rule for every reader of the enrolled folder
    (dirstamp_each): regular files directly in the folder, not hidden
    (".name"), not "*_secret". Subfolders are not read: a certificate moved
    to enrolled/old/ is not enrolled (the ZAP handler used to admit it
    while the registry and --check-config did not see it).

    A folder that cannot be read always counts as changed, so its reader
    tries again (and fails closed in its own way).                        */
#ifndef SAMHAND_DIRSTAMP_H
#define SAMHAND_DIRSTAMP_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#define DIRSTAMP_SCAN_MS 1000
#define DIRSTAMP_RACY_MS 2000

typedef struct {
    bool     valid;           //  false: nothing taken, or unreadable
    dev_t    dev;
    ino_t    ino;
    int64_t  mtime_ns;
    int64_t  ctime_ns;
    uint64_t signature;       //  every file's; 0 = not trusted
    int64_t  scanned_ms;      //  when the files were last compared
} dirstamp_t;

//  Calls FN for each file of DIR that counts (above), with its path and
//  name; stops at FN's first non-zero. 0, FN's non-zero, or -1 when DIR
//  cannot be read (or out of memory).
typedef int (dirstamp_file_fn) (const char *path, const char *name, void *arg);
int dirstamp_each (const char *dir, dirstamp_file_fn *fn, void *arg);

//  Takes DIR's state; call it BEFORE reading the folder, so that a change
//  made while reading shows as a change at the next check. NOW_MS: unix
//  ms (the files' times are compared with it).
void dirstamp_take (dirstamp_t *self, const char *dir, int64_t now_ms);

//  Forgets what was taken: the next check says changed.
void dirstamp_clear (dirstamp_t *self);

//  True when DIR may have changed since the last take (see above); false
//  only when it certainly did not.
bool dirstamp_changed (dirstamp_t *self, const char *dir, int64_t now_ms);

#endif
