/*  confcheck — what `samhandd --check-config` checks beyond the values in
    the file, and what the broker checks before it starts (the same
    function, so it never starts on what the check refuses):

    - the server certificate loads, and its secret (CERT_secret beside it,
      or the certificate itself) is mode 0600, owned by us, and holds a key;
      the same for server/previous_cert (key rotation), which must hold
      another key, and previous_bind can be bound while its time lasts;
    - the enrolled folder exists and holds no secret keys, and no public
      key in two files (a copy would keep admitting a node revoked by
      removing the other); its nodes are listed (with agency, role and
      expiry) when asked for a report;
    - the key folder's files are each 0600 (or the folder does not exist
      yet but its parent does, so the broker can create it);
    - the store's folder exists (and the store, if there, is a file);
    - the bind endpoint is well formed and can be bound now.

    Errors begin with the config path they concern ("server/cert: ...") so
    cfgfile_locate can name the file and line.                              */
#ifndef SAMHAND_CONFCHECK_H
#define SAMHAND_CONFCHECK_H
#include <stddef.h>
#include <stdio.h>
#include "config.h"

//  The form of a bind endpoint: tcp://HOST:PORT, HOST "*", an IPv4
//  address (four octets 0-255), [IPv6] or an interface/host name, PORT
//  1-65535 or "*"; or ipc://PATH. 0, or -1 with the reason in why.
int confcheck_endpoint (const char *endpoint, char *why, size_t size);

//  Runs every check above. REPORT, when not NULL, gets what was found (the
//  enrolled nodes). 0, or -1 with "FILE:LINE: what to fix" in err.
int confcheck_run (const config_t *config, FILE *report, char *err, size_t errlen);

#endif
