/*  test_cfgfile — the config file's names and lines (cfgfile), the endpoint
    form (confcheck_endpoint) and the log line form (log_format). Files are
    written to a temporary folder; the data is invented.                  */
#include "cfgfile.h"
#include "confcheck.h"
#include "log.h"
#include "testlib.h"
#include <czmq.h>
#include <syslog.h>

static const char *const known [] = {
    "server/bind", "server/cert", "limits/inflight_window", "limits/batch",
    "workflow/escalate_after", NULL
};

static char dir [64];

//  Writes TEXT to a file and checks it; err gets the message.
static int
s_check (const char *text, char *err, size_t size)
{
    char path [128];
    snprintf (path, sizeof path, "%s/test.cfg", dir);
    FILE *f = fopen (path, "w");
    fputs (text, f);
    fclose (f);
    cfgfile_t *file = cfgfile_new (path);
    int rc = file? cfgfile_check (file, known, err, size): -2;
    cfgfile_destroy (&file);
    return rc;
}

int
main (void)
{
    snprintf (dir, sizeof dir, "/tmp/samhand-cfgfile-XXXXXX");
    CHECK (mkdtemp (dir) != NULL, "temporary folder");
    char err [512];
    CHECK (s_check ("#   invented\nserver\n    bind = \"tcp://127.0.0.1:1\"  # note\n\n"
                    "limits\n    batch = 5\n", err, sizeof err) == 0, "known names pass");
    CHECK (s_check ("server\n    bind = \"x\"\nlimits\n    inflight_windw = 3\n", err, sizeof err) == -1
           && strstr (err, "test.cfg:4: unknown key 'inflight_windw' in section 'limits'")
           && strstr (err, "did you mean 'inflight_window'?"), "misspelt key: line and did-you-mean");
    CHECK (s_check ("server\n    bind = \"x\"\nworkfow\n    escalate_after = \"1m\"\n", err, sizeof err) == -1
           && strstr (err, "test.cfg:3: unknown section 'workfow' (did you mean 'workflow'?)"),
           "misspelt section: line and did-you-mean");
    CHECK (s_check ("server\n    batch = 5\n", err, sizeof err) == -1
           && strstr (err, "it belongs in section 'limits'"), "a key in the wrong section is pointed home");
    CHECK (s_check ("server\n    zzzzzzzz = 1\n", err, sizeof err) == -1
           && !strstr (err, "did you mean"), "nothing close: no suggestion");
    CHECK (s_check ("server\n    bind = \"a\"\n    bind = \"b\"\n", err, sizeof err) == -1
           && strstr (err, "test.cfg:3: server/bind is set twice (first on line 2)"), "a key set twice");
    CHECK (s_check ("server\n      bind = \"a\"\n", err, sizeof err) == -1
           && strstr (err, "test.cfg:2: indentation"), "odd indentation");
    CHECK (s_check ("server\n    bind\n        deeper = 1\n", err, sizeof err) == -1
           && strstr (err, "nested too deep"), "nesting below a key");
    char *long_text = (char *) malloc (6000);
    memset (long_text, 0, 6000);
    strcpy (long_text, "server\n    bind = \"");
    memset (long_text + strlen (long_text), 'x', 5000);
    strcat (long_text, "\"\nlimits\n    batch = 1\n");
    CHECK (s_check (long_text, err, sizeof err) == -1 && strstr (err, "test.cfg:2: line too long"),
           "an overlong line is refused by its number");
    free (long_text);
    CHECK (cfgfile_distance ("inflight_windw", "inflight_window") == 1
           && cfgfile_distance ("", "abc") == 3 && cfgfile_distance ("abc", "abc") == 0,
           "edit distance");

    //  Locating a value's error by its path.
    char path [128];
    snprintf (path, sizeof path, "%s/test.cfg", dir);
    s_check ("server\n    bind = \"x\"\nlimits\n    batch = lots\n", err, sizeof err);
    cfgfile_t *file = cfgfile_new (path);
    snprintf (err, sizeof err, "limits/batch must be a whole number");
    cfgfile_locate (file, err, sizeof err);
    CHECK (strstr (err, "test.cfg:4: limits/batch must be") != NULL, "a value's error names its line");
    snprintf (err, sizeof err, "server/store is missing");
    cfgfile_locate (file, err, sizeof err);
    CHECK (strstr (err, "test.cfg: server/store is missing") != NULL, "a missing key names the file");
    cfgfile_destroy (&file);

    char why [256];
    CHECK (confcheck_endpoint ("tcp://127.0.0.1:7450", why, sizeof why) == 0
           && confcheck_endpoint ("tcp://*:7450", why, sizeof why) == 0
           && confcheck_endpoint ("tcp://[::1]:7450", why, sizeof why) == 0
           && confcheck_endpoint ("tcp://lo:7450", why, sizeof why) == 0
           && confcheck_endpoint ("ipc:///run/samhand/broker", why, sizeof why) == 0,
           "good endpoints pass");
    CHECK (confcheck_endpoint ("tcp://999.0.0.1:7450", why, sizeof why) == -1
           && strstr (why, "999 is not an IPv4 octet"), "octet 999 refused");
    CHECK (confcheck_endpoint ("tcp://10.0.1:7450", why, sizeof why) == -1, "three octets refused");
    CHECK (confcheck_endpoint ("127.0.0.1:7450", why, sizeof why) == -1 && strstr (why, "no scheme"),
           "no scheme refused");
    CHECK (confcheck_endpoint ("udp://127.0.0.1:7450", why, sizeof why) == -1
           && strstr (why, "tcp:// or ipc://"), "udp refused");
    CHECK (confcheck_endpoint ("tcp://127.0.0.1:0", why, sizeof why) == -1
           && confcheck_endpoint ("tcp://127.0.0.1:65536", why, sizeof why) == -1
           && confcheck_endpoint ("tcp://127.0.0.1:", why, sizeof why) == -1
           && confcheck_endpoint ("tcp://127.0.0.1:74x", why, sizeof why) == -1, "bad ports refused");
    CHECK (confcheck_endpoint ("tcp://127.0.0.1", why, sizeof why) == -1, "no port refused");

    //  2026-12-01T16:05:26.123Z is 1796141126123 ms.
    char line [512];
    int priority = log_format ("W: (samhandd) 26-12-01 17:05:26 broker: refused a frame",
                               "samhandd", 42, 1796141126123LL, false, line, sizeof line);
    CHECK (priority == LOG_WARNING
           && streq (line, "2026-12-01T16:05:26.123Z samhandd[42] warning: broker: refused a frame"),
           "a czmq line becomes RFC 3339 UTC with its level");
    priority = log_format ("E: (samhandd) 26-12-01 17:05:26 store: failed", "samhandd", 42,
                           1796141126123LL, true, line, sizeof line);
    CHECK (priority == LOG_ERR && strncmp (line, "<3>2026-12-01T16:05:26.123Z", 27) == 0,
           "under journald the line starts with its priority");
    priority = log_format ("D: (samhandd) 26-12-01 17:05:26 x", "samhandd", 1, 0, false, line, sizeof line);
    CHECK (priority == LOG_DEBUG && strstr (line, " debug: x"), "debug level");
    priority = log_format ("not czmq", "samhandd", 1, 0, false, line, sizeof line);
    CHECK (priority == -1 && strstr (line, "1970-01-01T00:00:00.000Z samhandd[1] info: not czmq"),
           "a foreign line is kept whole");

    char cmd [128];
    snprintf (cmd, sizeof cmd, "rm -rf '%s'", dir);
    CHECK (system (cmd) == 0, "temporary folder removed");
    return TEST_DONE ();
}
