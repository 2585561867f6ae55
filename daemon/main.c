/*  samhandd — the samhand broker.
        samhandd -c FILE                  run in the foreground
        samhandd --check-config -c FILE   validate the config and exit
        samhandd --verify-audit -c FILE   verify the audit chain offline
        samhandd --health -c FILE         the running broker's health, for monitoring
    main.c holds arguments, config, logging and signals; the work is in
    broker.c.                                                             */
#include "broker.h"
#include "config.h"
#include "offline.h"
#include "keyfile.h"
#include "metrics.h"
#include "confcheck.h"
#include "backup.h"
#include "log.h"
#include <syslog.h>
#include <czmq.h>

static void
s_usage (FILE *out)
{
    fprintf (out,
        "usage: samhandd -c FILE [-v]            run the broker in the foreground (-v: log\n"
        "                                        at debug level, whatever log_level says)\n"
        "       samhandd --check-config -c FILE  check the configuration, its certificates,\n"
        "                                        folders, key modes and endpoint, and exit\n"
        "       samhandd --verify-audit -c FILE [--witness HEADFILE]\n"
        "                                        verify the audit log (offline) and exit; with\n"
        "                                        a witnessed signed head (an admin node's\n"
        "                                        NODE.audit_head, or the broker's log) also\n"
        "                                        check that the log still holds it\n"
        "       samhandd --backup DIR -c FILE    copy the store (online, consistent), keys,\n"
        "                                        certificates and config into DIR (new)\n"
        "       samhandd --rotate-key -c FILE    add a new data key for new data\n"
        "       samhandd --reencrypt -c FILE     re-encrypt stored data under the newest key\n"
        "                                        (the broker must be stopped)\n"
        "       samhandd --health -c FILE        ask the running broker (metrics_bind) how it\n"
        "                                        is: one line; exit 0 OK, 1 WARNING, 2 CRITICAL,\n"
        "                                        3 UNKNOWN\n"
        "       samhandd --version               print the version and exit\n");
}

//  --health: monitoring-plugin exit codes and exactly one line of output.
static int
s_health (const char *file)
{
    char err [256], line [400];
    config_t *config = file? config_load (file, err, sizeof err): NULL;
    if (!config) {
        printf ("SAMHAND UNKNOWN - %s: %s\n", file? file: "no config (-c FILE)", file? err: "");
        return METRICS_UNKNOWN;
    }
    int code;
    if (!config->metrics_bind) {
        snprintf (line, sizeof line, "SAMHAND UNKNOWN - %s has no server/metrics_bind:"
                  " --health reads the broker's metrics endpoint", file);
        code = METRICS_UNKNOWN;
    }
    else {
        char *text = metrics_fetch (config->metrics_bind, 5000, err, sizeof err);
        if (!text) {
            snprintf (line, sizeof line, "SAMHAND CRITICAL - the broker does not answer: %s", err);
            code = METRICS_CRITICAL;
        }
        else
            code = metrics_health (text, line, sizeof line);
        free (text);
    }
    printf ("%s\n", line);
    config_destroy (&config);
    return code;
}

int
main (int argc, char *argv [])
{
    const char *file = getenv ("SAMHANDD_CONFIG");
    const char *witness = NULL, *backup = NULL;
    bool check = false, verify = false, rotate = false, reencrypt = false, health = false;
    bool verbose = false;
    for (int i = 1; i < argc; i++) {
        if (streq (argv [i], "-c") && i + 1 < argc)
            file = argv [++i];
        else if (streq (argv [i], "--check-config"))
            check = true;
        else if (streq (argv [i], "--verify-audit"))
            verify = true;
        else if (streq (argv [i], "--witness") && i + 1 < argc)
            witness = argv [++i];
        else if (streq (argv [i], "--backup") && i + 1 < argc)
            backup = argv [++i];
        else if (streq (argv [i], "--rotate-key"))
            rotate = true;
        else if (streq (argv [i], "--reencrypt"))
            reencrypt = true;
        else if (streq (argv [i], "-v") || streq (argv [i], "--verbose"))
            verbose = true;
        else if (streq (argv [i], "--health"))
            health = true;
        else if (streq (argv [i], "--version")) {
            printf ("samhandd %s\n", SAMHAND_VERSION);
            return 0;
        }
        else if (streq (argv [i], "-h") || streq (argv [i], "--help")) {
            s_usage (stdout);
            return 0;
        }
        else {
            s_usage (stderr);
            return 2;
        }
    }
    if (health)
        return s_health (file);
    if (!file) {
        s_usage (stderr);
        return 2;
    }
    char err [1024];
    config_t *config = config_load (file, err, sizeof err);
    if (!config) {
        //  Starting the broker: say it as a log line, so journald files it
        //  as an error; the tools say it plainly.
        bool serve = !check && !verify && !rotate && !reencrypt && !backup && !witness;
        if (serve && log_open ("samhandd", false, LOG_INFO) == 0)
            zsys_error ("samhandd: %s", err);
        else
            fprintf (stderr, "samhandd: %s\n", err);
        return 2;
    }
    if (check) {
        int rc = confcheck_run (config, stdout, err, sizeof err);
        if (rc)
            fprintf (stderr, "samhandd: %s\n", err);
        else
            printf ("samhandd: %s is valid\n", file);
        config_destroy (&config);
        return rc? 2: 0;
    }
    if (witness && !verify) {
        s_usage (stderr);
        config_destroy (&config);
        return 2;
    }
    if (backup) {
        int rc = backup_run (config, backup);
        config_destroy (&config);
        return rc;
    }
    if (verify || rotate || reencrypt) {
        int rc = verify? offline_verify_audit (config, witness)
               : rotate? offline_rotate_key (config): offline_reencrypt (config);
        config_destroy (&config);
        return rc;
    }
    zsys_init ();
    if (log_open ("samhandd", config->log_syslog, verbose? LOG_DEBUG: config->log_level)) {
        fprintf (stderr, "samhandd: cannot set up logging\n");
        config_destroy (&config);
        return 1;
    }
    zsys_set_linger (0);
    //  The broker starts on nothing the check would refuse.
    if (confcheck_run (config, NULL, err, sizeof err)) {
        zsys_error ("samhandd: %s", err);
        config_destroy (&config);
        return 1;
    }
    broker_t *broker = broker_new (config);
    if (!broker && zsys_interrupted) {
        //  Stopped while it waited as the standby: nothing went wrong.
        zsys_info ("samhandd: %s stopped (it was the standby)", config->name);
        config_destroy (&config);
        return 0;
    }
    if (!broker) {
        zsys_error ("samhandd: cannot start (see above)");
        config_destroy (&config);
        return 1;
    }
    int rc = broker_run (broker);
    broker_destroy (&broker);
    config_destroy (&config);
    return rc;
}
