/*  service — sd_notify for samhandd. See service.h.                        */
#include "service.h"
#include <czmq.h>
#include <systemd/sd-daemon.h>

static int64_t s_watchdog_ms;        //  0: systemd wants no watchdog
static int64_t s_next_watchdog_ms;

static void
s_notify (const char *state)
{
    //  A lost notification is logged, never fatal: systemd then restarts
    //  or times out the unit, which is the right outcome anyway.
    int rc = sd_notify (0, state);
    if (rc < 0)
        zsys_warning ("service: sd_notify (%s) failed: %s", state, strerror (-rc));
}

void
service_ready (const char *status)
{
    uint64_t usec = 0;
    if (sd_watchdog_enabled (0, &usec) > 0 && usec >= 1000)
        s_watchdog_ms = (int64_t) (usec / 1000);
    else
        s_watchdog_ms = 0;
    s_next_watchdog_ms = 0;
    char state [300];
    snprintf (state, sizeof state, "READY=1\nSTATUS=%s", status? status: "running");
    s_notify (state);
}

//  A standby does not report READY (systemd would count it as serving), so
//  it keeps its start job alive instead: EXTEND_TIMEOUT_USEC pushes
//  TimeoutStartSec= on by 30 s each time, and WATCHDOG=1 shows it is alive.
#define WAIT_NOTIFY_MS   10000
#define WAIT_EXTEND_USEC "30000000"

void
service_waiting (int64_t now_ms, const char *status)
{
    static int64_t next_ms;
    if (next_ms && now_ms < next_ms)
        return;
    next_ms = now_ms + WAIT_NOTIFY_MS;
    uint64_t usec = 0;
    bool watchdog = sd_watchdog_enabled (0, &usec) > 0;
    char state [400];
    snprintf (state, sizeof state, "STATUS=%s\nEXTEND_TIMEOUT_USEC=" WAIT_EXTEND_USEC "%s",
              status? status: "waiting", watchdog? "\nWATCHDOG=1": "");
    s_notify (state);
}

void
service_watchdog (int64_t now_ms)
{
    if (s_watchdog_ms <= 0 || now_ms < s_next_watchdog_ms)
        return;
    s_next_watchdog_ms = now_ms + s_watchdog_ms / 2;
    s_notify ("WATCHDOG=1");
}

void
service_reloading (void)
{
    s_notify ("RELOADING=1");
}

void
service_stopping (void)
{
    s_notify ("STOPPING=1");
}

int64_t
service_watchdog_ms (void)
{
    return s_watchdog_ms;
}
