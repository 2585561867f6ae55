/*  samhandd — the samhand broker.
        samhandd -c FILE                  run in the foreground
        samhandd --check-config -c FILE   validate the config and exit
        samhandd --verify-audit -c FILE   verify the audit chain offline
    main.c holds arguments, config, logging and signals; the work is in
    broker.c.                                                             */
#include "broker.h"
#include "config.h"
#include "audit.h"
#include "keys.h"
#include "store.h"
#include <czmq.h>

static void
s_usage (FILE *out)
{
    fprintf (out,
        "usage: samhandd -c FILE                 run the broker in the foreground\n"
        "       samhandd --check-config -c FILE  check the configuration and exit\n"
        "       samhandd --verify-audit -c FILE  verify the audit log (offline) and exit\n"
        "       samhandd --rotate-key -c FILE    add a new data key (broker stopped)\n");
}

static int
s_verify (const uint8_t *msg, size_t len, const uint8_t sig [64], void *arg)
{
    return keys_verify ((keys_t *) arg, msg, len, sig);
}

//  Offline: opens the store read-only and walks the chain.
static int
s_verify_audit (config_t *config)
{
    char err [256];
    keys_t *keys = keys_new (config->keys_dir, false, err, sizeof err);
    if (!keys) {
        fprintf (stderr, "samhandd: %s\n", err);
        return 2;
    }
    sqlite3 *db = NULL;
    if (sqlite3_open_v2 (config->store_path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
        fprintf (stderr, "samhandd: cannot open %s: %s\n", config->store_path, sqlite3_errmsg (db));
        sqlite3_close (db);
        keys_destroy (&keys);
        return 2;
    }
    int64_t records = 0;
    char problem [256];
    int rc = audit_verify (db, s_verify, keys, &records, problem, sizeof problem);
    if (rc == 0)
        printf ("audit chain intact: %" PRId64 " records verified\n", records);
    else
        printf ("audit chain BROKEN: %s (%" PRId64 " records verified before it)\n",
                problem, records);
    sqlite3_close (db);
    keys_destroy (&keys);
    return rc == 0? 0: 1;
}

int
main (int argc, char *argv [])
{
    const char *file = getenv ("SAMHANDD_CONFIG");
    bool check = false, verify = false, rotate = false;
    for (int i = 1; i < argc; i++) {
        if (streq (argv [i], "-c") && i + 1 < argc)
            file = argv [++i];
        else if (streq (argv [i], "--check-config"))
            check = true;
        else if (streq (argv [i], "--verify-audit"))
            verify = true;
        else if (streq (argv [i], "--rotate-key"))
            rotate = true;
        else if (streq (argv [i], "-h") || streq (argv [i], "--help")) {
            s_usage (stdout);
            return 0;
        }
        else {
            s_usage (stderr);
            return 2;
        }
    }
    if (!file) {
        s_usage (stderr);
        return 2;
    }
    char err [256];
    config_t *config = config_load (file, err, sizeof err);
    if (!config) {
        fprintf (stderr, "samhandd: %s: %s\n", file, err);
        return 2;
    }
    if (check) {
        printf ("samhandd: %s is valid\n", file);
        config_destroy (&config);
        return 0;
    }
    if (verify) {
        int rc = s_verify_audit (config);
        config_destroy (&config);
        return rc;
    }
    if (rotate) {
        keys_t *keys = keys_new (config->keys_dir, false, err, sizeof err);
        int id = keys? keys_rotate (keys): -1;
        if (id > 0)
            printf ("samhandd: data key %d is now current; run `samhand admin reencrypt` "
                    "to re-encrypt old data under it\n", id);
        else
            fprintf (stderr, "samhandd: key rotation failed%s%s\n", keys? "": ": ", keys? "": err);
        keys_destroy (&keys);
        config_destroy (&config);
        return id > 0? 0: 1;
    }
    zsys_init ();
    zsys_set_logident ("samhandd");
    zsys_set_logstream (stderr);
    if (config->log_syslog)
        zsys_set_logsystem (true);
    zsys_set_linger (0);
    broker_t *broker = broker_new (config);
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
