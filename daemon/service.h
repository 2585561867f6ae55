/*  service — tells systemd how samhandd is doing (sd_notify), when run as
    a Type=notify unit. Without NOTIFY_SOCKET in the environment every call
    does nothing, so the broker calls them unconditionally.

    READY=1 once the socket is bound and the store is open (a standby
    waits without it: service_waiting), WATCHDOG=1 from
    the broker loop at half the interval systemd asked for (WATCHDOG_USEC),
    RELOADING=1 / READY=1 around a SIGHUP reload, STOPPING=1 on shutdown.
    The state is process-wide (there is one service manager per process),
    so this module has plain functions, not an object.                    */
#ifndef SAMHAND_SERVICE_H
#define SAMHAND_SERVICE_H

#include <stdint.h>

//  The broker is ready: reads WATCHDOG_USEC and sends READY=1 with STATUS.
void service_ready (const char *status);

//  A standby waiting for the leadership: STATUS, and (every 10 s) a 30 s
//  extension of systemd's start timeout and a watchdog ping, without
//  READY=1, which comes with service_ready when it takes over.
void service_waiting (int64_t now_ms, const char *status);

//  Called every loop; sends WATCHDOG=1 when half the interval has passed.
void service_watchdog (int64_t now_ms);

void service_reloading (void);
void service_stopping (void);

//  The watchdog interval systemd asked for, in ms (0 when none): for tests.
int64_t service_watchdog_ms (void);

#endif
