/*  test_config_paths — where the config's relative paths point: config
    files (cert, enrolled) beside the config, state (store, keys) under
    server/state_dir, which defaults to the config's folder (the demo).   */
#include "testlib.h"
#include "config.h"
#include <czmq.h>
#include <unistd.h>

static char dir [] = "/tmp/samhand-cfgpaths-XXXXXX";

static config_t *
s_load (const char *server_extra)
{
    char path [256], err [256];
    snprintf (path, sizeof path, "%s/samhandd.cfg", dir);
    FILE *file = fopen (path, "w");
    if (!file)
        return NULL;
    fprintf (file, "server\n    bind = \"tcp://127.0.0.1:7450\"\n    cert = \"server.cert\"\n"
                   "    enrolled = \"enrolled\"\n    store = \"samhand.db\"\n%s", server_extra);
    fclose (file);
    config_t *config = config_load (path, err, sizeof err);
    if (!config)
        printf ("# %s\n", err);
    return config;
}

static bool
s_is (const char *got, const char *suffix_after_dir)
{
    char want [300];
    snprintf (want, sizeof want, "%s%s", dir, suffix_after_dir);
    if (!got || strcmp (got, want))
        printf ("# got %s, want %s\n", got? got: "(null)", want);
    return got && streq (got, want);
}

int
main (void)
{
    if (!mkdtemp (dir)) {
        printf ("FAIL config paths: no temporary folder\n");
        return 1;
    }
    config_t *config = s_load ("");
    CHECK (config && s_is (config->store_path, "/samhand.db")
                  && s_is (config->keys_dir, "/keys"),
           "config paths: without state_dir the store and keys sit beside the config");
    config_destroy (&config);

    config = s_load ("    state_dir = \"/var/lib/samhand\"\n");
    CHECK (config && streq (config->store_path, "/var/lib/samhand/samhand.db")
                  && streq (config->keys_dir, "/var/lib/samhand/keys"),
           "config paths: relative store and keys resolve under state_dir");
    CHECK (config && s_is (config->cert_path, "/server.cert")
                  && s_is (config->enrolled_dir, "/enrolled"),
           "config paths: certificate and enrolled folder stay beside the config");
    config_destroy (&config);

    config = s_load ("    state_dir = \"/var/lib/samhand\"\n    keys = \"/srv/keys\"\n");
    CHECK (config && streq (config->keys_dir, "/srv/keys"),
           "config paths: an absolute keys path is kept as written");
    config_destroy (&config);

    config = s_load ("    state_dir = \"\"\n");
    CHECK (config == NULL, "config paths: an empty state_dir is refused");
    config_destroy (&config);

    //  Active and standby (issue 13): the broker's name and server/standby.
    char host [64] = "";
    gethostname (host, sizeof host - 1);
    config = s_load ("");
    CHECK (config && !config->standby && config->name && streq (config->name, host),
           "config leadership: by default no standby, and the broker is named by its host");
    config_destroy (&config);
    config = s_load ("    name = \"broker-b.vest\"\n    standby = \"yes\"\n");
    CHECK (config && config->standby && streq (config->name, "broker-b.vest"),
           "config leadership: server/name and server/standby = yes are read");
    config_destroy (&config);
    const char *bad [] = { "    standby = \"true\"\n", "    standby = \"\"\n", "    name = \"\"\n",
                           "    name = \"broker a\"\n", "    name = \"broker/a\"\n",
                           "    name = \"a234567890123456789012345678901234567890123456789012345678901234\"\n" };
    int refused = 0;
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        config = s_load (bad [i]);
        refused += config == NULL;
        config_destroy (&config);
    }
    CHECK (refused == (int) (sizeof bad / sizeof *bad),
           "config leadership: a standby other than yes/no and a name with spaces, slashes,"
           " nothing or 64 characters are refused");
    //  Content is sealed under the key of the week its retention ends,
    //  derivable some 1100 weeks ahead: retention has an upper bound.
    config = s_load ("retention\n    concern_report = \"7000d\"\n");
    CHECK (config && config->retention_ms [1] == 7000LL * 86400 * 1000,
           "config retention: 7000 days is accepted");
    config_destroy (&config);
    config = s_load ("retention\n    concern_report = \"7001d\"\n");
    CHECK (config == NULL, "config retention: longer than the period keys reach is refused");
    config_destroy (&config);

    char path [300];
    snprintf (path, sizeof path, "%s/samhandd.cfg", dir);
    unlink (path);
    rmdir (dir);
    return TEST_DONE ();
}
