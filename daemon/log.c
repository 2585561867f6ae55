/*  log — RFC 3339 UTC lines with journald priorities. See log.h.           */
#include "log.h"
#include <czmq.h>
#include <syslog.h>

static int s_level = LOG_INFO;
static char s_ident [32] = "samhandd";
static bool s_journal = false;
static char s_line [2048];      //  a partial line; the FILE's lock guards it
static size_t s_fill = 0;

static const char *
s_level_name (int priority)
{
    static const char *names [] = { "emerg", "alert", "crit", "error", "warning",
                                    "notice", "info", "debug" };
    return priority >= 0 && priority < 8? names [priority]: "info";
}

int
log_format (const char *line, const char *ident, int pid, long long ms, bool journal,
            char *out, size_t size)
{
    int priority = -1;
    const char *message = line;
    if (line [0] && line [1] == ':' && line [2] == ' ') {
        const char *levels = "EWNID";
        const char *at = strchr (levels, line [0]);
        if (at) {
            priority = LOG_ERR + (int) (at - levels);
            message = line + 3;
            if (*message == '(' && strstr (message, ") "))
                message = strstr (message, ") ") + 2;
            //  czmq's local date and time: two words, replaced by ours.
            for (int word = 0; word < 2 && strchr (message, ' '); word++)
                message = strchr (message, ' ') + 1;
        }
    }
    time_t seconds = (time_t) (ms / 1000);
    struct tm utc;
    gmtime_r (&seconds, &utc);
    char stamp [40];
    strftime (stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &utc);
    char prefix [16] = "";
    if (journal)
        snprintf (prefix, sizeof prefix, "<%d>", priority < 0? LOG_INFO: priority);
    snprintf (out, size, "%s%s.%03dZ %s[%d] %s: %s", prefix, stamp, (int) (ms % 1000),
              ident, pid, s_level_name (priority < 0? LOG_INFO: priority), message);
    return priority;
}

static void
s_emit (const char *line)
{
    char out [2200];
    int priority = log_format (line, s_ident, (int) getpid (), (long long) zclock_time (),
                               s_journal, out, sizeof out - 1);
    if (priority > s_level)
        return;
    size_t len = strlen (out);
    out [len++] = '\n';
    for (size_t done = 0; done < len; ) {
        ssize_t n = write (STDERR_FILENO, out + done, len - done);
        if (n <= 0 && errno != EINTR)
            return;             //  nowhere left to say it
        done += n > 0? (size_t) n: 0;
    }
}

static ssize_t
s_write (void *cookie, const char *data, size_t size)
{
    (void) cookie;
    for (size_t i = 0; i < size; i++) {
        if (data [i] == '\n' || s_fill == sizeof s_line - 1) {
            s_line [s_fill] = 0;
            s_emit (s_line);
            s_fill = 0;
            if (data [i] == '\n')
                continue;
        }
        s_line [s_fill++] = data [i];
    }
    return (ssize_t) size;
}

int
log_open (const char *ident, bool to_syslog, int level)
{
    snprintf (s_ident, sizeof s_ident, "%s", ident);
    s_level = level;
    s_journal = getenv ("JOURNAL_STREAM") != NULL;
    zsys_set_logident (s_ident);
    if (to_syslog) {
        zsys_set_logstream (NULL);
        zsys_set_logsystem (true);
        //  czmq opens syslog with facility user; a daemon logs as daemon.
        openlog (s_ident, LOG_PID, LOG_DAEMON);
        setlogmask (LOG_UPTO (level));
        return 0;
    }
    cookie_io_functions_t io = { .write = s_write };
    FILE *stream = fopencookie (NULL, "w", io);
    if (!stream)
        return -1;
    setvbuf (stream, NULL, _IOLBF, 0);
    zsys_set_logstream (stream);
    return 0;
}

void
log_set_level (int level)
{
    s_level = level;
    setlogmask (LOG_UPTO (level));
}
