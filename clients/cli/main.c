/*  samhand — the command line client of the samhand broker.
    main: global options and dispatch to one command group, nothing else. */
#include "cli.h"
#include <czmq.h>
#include <unistd.h>

static const char *usage =
    "samhand - send and receive concern reports, risk changes and case\n"
    "discussions through the samhand broker.\n"
    "\n"
    "Usage: samhand [-c NODE.cfg] COMMAND [options]\n"
    "\n"
    "Commands:\n"
    "  concern       report a concern about a person\n"
    "  risk          share a change in risk (level, measures)\n"
    "  discuss       ask the partners about a case, anonymously\n"
    "  case-status   status report on a case to the coordinator\n"
    "  listen        show incoming messages and confirm that they arrived\n"
    "  subscribe     show or change what this node receives (audited)\n"
    "  inbox         what is waiting for this node; mark messages read\n"
    "  status        what happened to a message you sent (who has it, read it)\n"
    "  ping          check the connection: who the broker thinks you are\n"
    "  consent       record, withdraw or list a person's consent\n"
    "  plan          the shared risk management plan: show, history, edit,\n"
    "                evaluate\n"    "  audit         verify the audit log; who received what about a person\n"
    "                (admin)\n"
    "  admin         dead letters: list them, put one back; the broker's status\n"
    "                (admin)\n"
    "  keygen        make a certificate for a new node\n"
    "  init-demo     make a complete demo installation in a folder\n"
    "  selftest      check this program's own parts\n"
    "\n"
    "Connection (for every command that talks to the broker):\n"
    "  -c, --config FILE    this node's settings (or set SAMHAND_CONFIG=FILE)\n"
    "  --endpoint E --broker-cert FILE --cert FILE   instead of, or over, the file\n"
    "  --wait SECONDS       how long to wait for the broker (default 5; 0: do not\n"
    "                       wait, answer 4 at once unless a reply is already there)\n"
    "  --version            print the version and exit\n"
    "\n"
    "Exit codes: 0 done; 1 local problem (file, certificate); 2 wrong command\n"
    "line; 3 refused by the broker (the reason is printed); 4 no answer; 5 the\n"
    "broker refused this node's key (not enrolled, revoked, or its key changed).\n"
    "\n"
    "Every command has --help with an example:\n"
    "  samhand -c /etc/samhand/vakt.cfg concern --help\n";

typedef struct {
    const char *name;
    int (*run) (cli_t *cli, int argc, char **argv);
} command_t;

//  Is ARG one of the global options (cli_connection_opts)? "--wait=5" too.
static bool
s_global_option (const char *arg)
{
    if (streq (arg, "--version"))
        return true;
    if (arg [1] != '-')
        return arg [2] == 0 && (arg [1] == 'c' || arg [1] == 'h');
    size_t len = strcspn (arg + 2, "=");
    for (const opt_spec_t *spec = cli_connection_opts; spec->name; spec++)
        if (strlen (spec->name) == len && strncmp (spec->name, arg + 2, len) == 0)
            return true;
    return false;
}

static const command_t commands [] = {
    { "concern", cmd_concern },
    { "risk", cmd_risk },
    { "discuss", cmd_discuss },
    { "case-status", cmd_case_status },
    { "listen", cmd_listen },
    { "ping", cmd_ping },
    { "subscribe", cmd_subscribe },
    { "whoami", cmd_ping },
    { "consent", cmd_consent },
    { "plan", cmd_plan },
    { "status", cmd_status },
    { "inbox", cmd_inbox },
    { "audit", cmd_audit },
    { "admin", cmd_admin },
    { "keygen", cmd_keygen },
    { "init-demo", cmd_init_demo },
    { "selftest", cmd_selftest },
    { NULL, NULL }
};

//  The words after the program's name carry personal data (--subject-id,
//  --subject-name, --text ...), and /proc/PID/cmdline, which ps shows to
//  every user of the machine, reads them from the process's own memory
//  for as long as it runs (up to --wait while the broker does not answer).
//  They are copied, and the originals wiped, before anything else.
static void
s_hide_arguments (int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        char *copy = strdup (argv [i]);
        if (!copy) {
            fprintf (stderr, "samhand: out of memory\n");
            exit (EXIT_FAILED);
        }
        memset (argv [i], 0, strlen (argv [i]));
        argv [i] = copy;
    }
}

int
main (int argc, char **argv)
{
    s_hide_arguments (argc, argv);
    //  czmq logs to stdout by default, which would corrupt --json output;
    //  the CLI says what matters itself. SAMHAND_DEBUG shows the rest.
    zsys_init ();
    zsys_set_logstream (getenv ("SAMHAND_DEBUG")? stderr: NULL);

    cli_t cli = { .wait_ms = CLI_DEFAULT_WAIT_MS, .tty = isatty (STDOUT_FILENO) };
    //  Global options are those before the command word; all but --help
    //  take a value (the next word, or after '=').
    int first = 1;
    while (first < argc && argv [first][0] == '-' && argv [first][1]) {
        const char *arg = argv [first];
        if (streq (arg, "--version")) {
            printf ("samhand %s\n", SAMHAND_VERSION);
            return EXIT_OK;
        }
        bool flag = streq (arg, "-h") || streq (arg, "--help");
        if (!s_global_option (arg))
            return cli_usage_error ("samhand", "unknown option %s", arg);
        first += flag || strchr (arg, '=')? 1: 2;
    }
    if (first > argc)
        return cli_usage_error ("samhand", "%s needs a value", argv [argc - 1]);
    opts_t global;
    int rc = cli_parse (&cli, "samhand", usage, NULL, first - 1, argv + 1, &global);
    if (rc >= 0)
        return rc;
    if (global.n_pos)    //  a flag where a value was expected: "-c --json"
        return cli_usage_error ("samhand", "unexpected '%s'", global.pos [0]);
    if (first >= argc) {
        fputs (usage, stderr);
        return EXIT_USAGE;
    }

    const char *name = argv [first];
    for (const command_t *command = commands; command->name; command++)
        if (streq (command->name, name))
            return command->run (&cli, argc - first - 1, argv + first + 1);
    if (streq (name, "help")) {
        fputs (usage, stdout);
        return EXIT_OK;
    }
    return cli_usage_error ("samhand", "unknown command '%s'", name);
}
