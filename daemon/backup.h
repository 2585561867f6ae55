/*  backup — `samhandd --backup DIR -c FILE`: a consistent copy of a running
    (or stopped) broker's state, ready to start from:

        DIR/samhand.db       the store, copied with sqlite's online backup
                             API from a read-only connection: one read
                             transaction, so a consistent point in time,
                             while the broker goes on writing (WAL readers
                             do not block the writer, and the broker's
                             store lock is a separate file)
        DIR/keys/            every key file, mode kept (0600), folder 0700
        DIR/server.cert      the server certificate and its secret
        DIR/server.cert_secret
        DIR/enrolled/        the enrolled public certificates
        DIR/samhandd.cfg     the config, with those paths made relative

    DIR must not exist (it is created 0700); every file is written 0600 and
    fsynced. The copy is checked (PRAGMA quick_check) before it returns.
    `samhandd --verify-audit -c DIR/samhandd.cfg` verifies its audit chain.
    The backup holds the keys to the personal data it holds: keep it as
    safe as the broker itself.                                              */
#ifndef SAMHAND_BACKUP_H
#define SAMHAND_BACKUP_H
#include "config.h"

//  Takes the backup into DIR. 0, or 2 with the reason on stderr.
int backup_run (const config_t *config, const char *dir);

#endif
