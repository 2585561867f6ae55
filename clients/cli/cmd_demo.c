/*  cmd_demo — init-demo: a complete, self-contained demo installation in
    one folder: broker config and certificate, enrolled node certificates,
    and a ready client config per node. Every path inside is relative, so
    the folder can be moved as a whole. Refuses to touch an existing one. */
#include "cli.h"
#include <czmq.h>
#include <errno.h>
#include <sys/stat.h>

static const char *demo_help =
    "samhand init-demo - make a complete demo installation in a folder.\n"
    "\n"
    "  samhand init-demo /tmp/samhand-demo --port 7450\n"
    "  samhandd -c /tmp/samhand-demo/samhandd.cfg &\n"
    "  samhand -c /tmp/samhand-demo/nodes/tryggest.cfg listen\n"
    "\n"
    "  DIR                  the folder (made if missing; must not hold an\n"
    "                       installation already)\n"
    "  --port N             broker port on 127.0.0.1 (default 7450)\n"
    "\n"
    "Nodes: vakt (duty operator, resource centre), koordinator (coordinator,\n"
    "resource centre), tryggest, politi-risk, krisesenter (agency teams) and\n"
    "admin. Each has DIR/nodes/NAME.cfg to use with -c.\n";

static const opt_spec_t demo_opts [] = {
    { "port", 0, OPT_VALUE },
    { NULL, 0, OPT_FLAG }
};

static const char *demo_nodes [][3] = {
    { "vakt", "resource_centre", "duty_operator" },
    { "koordinator", "resource_centre", "coordinator" },
    { "tryggest", "tryggest", "team" },
    { "politi-risk", "police_risk", "team" },
    { "krisesenter", "crisis_centre", "team" },
    { "admin", "", "admin" },
};
#define DEMO_NODES (sizeof demo_nodes / sizeof *demo_nodes)

static const char *broker_config =
    "#   samhandd demo configuration, made by `samhand init-demo`.\n"
    "#   Relative paths are relative to this file's folder.\n"
    "server\n"
    "    bind = \"tcp://127.0.0.1:%d\"\n"
    "    cert = \"server.cert\"                   # server.cert_secret beside it\n"
    "    enrolled = \"enrolled\"                  # enrolled node PUBLIC certificates\n"
    "    store = \"samhand.db\"\n"
    "    keys = \"keys\"                          # data keys and secrets (0700)\n"
    "    log = \"stderr\"                         # or \"syslog\"\n"
    "limits\n"
    "    max_frame = 65536\n"
    "    inflight_window = 64\n"
    "    max_outbox = 10000\n"
    "    redeliver_after = 30                   # seconds\n"
    "routes                                     # default recipient agencies per kind\n"
    "    concern_report = \"resource_centre,tryggest,police_risk,crisis_centre\"\n"
    "    risk_change = \"resource_centre,tryggest,police_risk,crisis_centre\"\n"
    "    case_discussion = \"resource_centre,tryggest,police_risk,crisis_centre\"\n"
    "    case_status = \"resource_centre\"\n"
    "    risk_plan = \"resource_centre,tryggest,police_risk,crisis_centre\"\n"
    "roles                                      # which roles may submit which kinds\n"
    "    duty_operator = \"concern_report\"\n"
    "    coordinator = \"concern_report,risk_change,case_discussion,case_status,consent,"
    "risk_plan\"\n"
    "    team = \"concern_report,case_discussion,case_status\"\n"
    "    admin = \"\"\n"
    "subscriptions                              # default kinds per role\n"
    "    duty_operator = \"concern_report,risk_change,alert,risk_plan\"\n"
    "    coordinator = \"concern_report,risk_change,case_discussion,case_status,"
    "consent_notice,alert,risk_plan\"\n"
    "    team = \"concern_report,risk_change,case_discussion,consent_notice,alert,risk_plan\"\n"
    "    admin = \"alert\"\n";

static const char *node_config =
    "#   samhand client settings for node %s (%s, %s), made by `samhand init-demo`.\n"
    "client\n"
    "    endpoint = \"tcp://127.0.0.1:%d\"\n"
    "    broker_cert = \"../server.cert\"         # the broker's PUBLIC certificate\n"
    "    cert = \"%s.cert\"                        # %s.cert_secret beside it (0600)\n";

static int
s_mkdir (const char *path, mode_t mode)
{
    if (mkdir (path, mode) && errno != EEXIST) {
        fprintf (stderr, "samhand: cannot make folder %s: %s\n", path, strerror (errno));
        return -1;
    }
    if (chmod (path, mode)) {
        fprintf (stderr, "samhand: cannot set the mode of %s: %s\n", path, strerror (errno));
        return -1;
    }
    return 0;
}

static int
s_write (const char *path, mode_t mode, const char *text)
{
    int fd = open (path, O_WRONLY | O_CREAT | O_EXCL, mode);
    FILE *file = fd >= 0? fdopen (fd, "w"): NULL;
    if (!file) {
        fprintf (stderr, "samhand: cannot write %s: %s\n", path, strerror (errno));
        if (fd >= 0)
            close (fd);
        return -1;
    }
    bool ok = fputs (text, file) >= 0;
    ok = (fclose (file) == 0) && ok;
    if (!ok)
        fprintf (stderr, "samhand: cannot write %s\n", path);
    return ok? 0: -1;
}

//  True when DIR already holds any part of an installation.
static bool
s_occupied (const char *dir)
{
    const char *parts [] = { "samhandd.cfg", "server.cert", "server.cert_secret", "enrolled",
                             "nodes", "keys", "samhand.db", NULL };
    for (int i = 0; parts [i]; i++) {
        char path [1100];
        snprintf (path, sizeof path, "%s/%s", dir, parts [i]);
        if (access (path, F_OK) == 0) {
            fprintf (stderr, "samhand: %s already exists: %s holds an installation, "
                             "and init-demo will not touch it.\nChoose a new folder.\n",
                     path, dir);
            return true;
        }
    }
    return false;
}

int
cmd_init_demo (cli_t *cli, int argc, char **argv)
{
    opts_t opts;
    const opt_spec_t *const specs [] = { demo_opts, NULL };
    int rc = cli_parse (cli, "init-demo", demo_help, specs, argc, argv, &opts);
    if (rc >= 0)
        return rc;
    if (opts.n_pos != 1)
        return cli_usage_error ("init-demo", "give the folder, e.g. init-demo /tmp/samhand-demo");
    const char *dir = opts.pos [0];
    int port = SAMHAND_DEFAULT_PORT;
    if (opts_get (&opts, "port")) {
        int64_t value = opts_number (opts_get (&opts, "port"), 65535);
        if (value < 1)
            return cli_usage_error ("init-demo", "--port is a number from 1 to 65535");
        port = (int) value;
    }
    if (strlen (dir) > 900)
        return cli_usage_error ("init-demo", "the folder's path is too long");
    if (s_occupied (dir))
        return EXIT_FAILED;

    char path [1200], enrolled [1000], nodes [1000], text [2048];
    snprintf (enrolled, sizeof enrolled, "%s/enrolled", dir);
    snprintf (nodes, sizeof nodes, "%s/nodes", dir);
    snprintf (path, sizeof path, "%s/keys", dir);
    if (s_mkdir (dir, 0755) || s_mkdir (enrolled, 0755) || s_mkdir (nodes, 0700)
    ||  s_mkdir (path, 0700))
        return EXIT_FAILED;
    if (cli_make_cert (dir, "server", NULL, "broker", NULL))
        return EXIT_FAILED;
    for (size_t i = 0; i < DEMO_NODES; i++) {
        const char *name = demo_nodes [i][0];
        if (cli_make_cert (nodes, name, demo_nodes [i][1], demo_nodes [i][2], enrolled))
            return EXIT_FAILED;
        snprintf (path, sizeof path, "%s/%s.cfg", nodes, name);
        snprintf (text, sizeof text, node_config, name,
                  *demo_nodes [i][1]? demo_nodes [i][1]: "no agency", demo_nodes [i][2],
                  port, name, name);
        if (s_write (path, 0644, text))
            return EXIT_FAILED;
    }
    snprintf (path, sizeof path, "%s/samhandd.cfg", dir);
    snprintf (text, sizeof text, broker_config, port);
    if (s_write (path, 0644, text))
        return EXIT_FAILED;

    printf ("demo installation in %s (broker on tcp://127.0.0.1:%d)\n"
            "  broker   %s/samhandd.cfg\n"
            "  nodes    ", dir, port, dir);
    for (size_t i = 0; i < DEMO_NODES; i++)
        printf ("%s%s", i? ", ": "", demo_nodes [i][0]);
    printf ("\n           (settings in %s/nodes/NAME.cfg)\n"
            "next:\n"
            "  samhandd -c %s/samhandd.cfg &\n"
            "  samhand -c %s/nodes/tryggest.cfg listen\n"
            "  samhand -c %s/nodes/vakt.cfg concern --subject-name \"Kari Testesen\" \\\n"
            "      --subject-phone 41234567 --urgency urgent --text \"Invented test concern\"\n",
            dir, dir, dir, dir);
    return EXIT_OK;
}
