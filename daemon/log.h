/*  log — samhandd's log lines, as an operator and journald want them.

    The daemon logs through czmq (zsys_error, zsys_warning, zsys_info ...);
    this module gives those lines their final form without touching the
    call sites: czmq writes into a stream of ours, which rewrites each line
    to

        2026-12-01T16:05:26.123Z samhandd[4242] warning: the message

    (RFC 3339, UTC, milliseconds) on stderr, dropping lines below the
    configured level. Under systemd (JOURNAL_STREAM set) each line starts
    with the syslog priority, "<4>2026-...", which journald takes as the
    line's level. With log = "syslog" lines go to syslog, facility daemon,
    at their level (setlogmask drops the rest).                           */
#ifndef SAMHAND_LOG_H
#define SAMHAND_LOG_H
#include <stdbool.h>
#include <stddef.h>

//  Installs the log for IDENT at LEVEL (LOG_ERR .. LOG_DEBUG). 0 or -1.
int log_open (const char *ident, bool to_syslog, int level);

//  Changes the level (a reload).
void log_set_level (int level);

//  Formats one czmq log line ("W: (ident) 26-12-01 16:05:26 message") into
//  OUT as described above, for time MS (ms since the epoch); returns the
//  line's priority, or -1 when LINE is not czmq's form (then OUT holds the
//  line as it came, with the time in front). Pure: unit-tested.
int log_format (const char *line, const char *ident, int pid, long long ms, bool journal,
                char *out, size_t size);

#endif
