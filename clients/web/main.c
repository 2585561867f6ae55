/*  samhand-web — the web client an agency runs beside its node.

      samhand-web -c NODE.cfg [--listen 127.0.0.1:8080] [--users FILE]
                  [--static DIR] [--idle SECONDS] [--tls-cert F --tls-key F]
      samhand-web -c NODE.cfg adduser NAME --role ROLE
      samhand-web -c NODE.cfg passwd NAME
      samhand-web -c NODE.cfg deluser NAME

    The users file defaults to NODE.users beside NODE.cfg, the list of
    messages sent from here to NODE.sent. Passwords are read from the
    terminal without echo (twice), or as one line from standard input when
    it is not a terminal.                                                 */
#include "web.h"
#include <czmq.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#ifndef WEB_STATIC_DIR
#define WEB_STATIC_DIR "clients/web/static"
#endif

//  The default pages: the source tree's when run from it, else the ones
//  `make install` put in PREFIX/share/samhand/web beside PREFIX/bin.
static const char *
s_default_static (char *buf, size_t size)
{
    struct stat st;
    if (stat (WEB_STATIC_DIR, &st) == 0 && S_ISDIR (st.st_mode))
        return WEB_STATIC_DIR;
    char exe [1024];
    ssize_t n = readlink ("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0)
        return WEB_STATIC_DIR;
    exe [n] = 0;
    char *slash = strrchr (exe, '/');
    if (!slash)
        return WEB_STATIC_DIR;
    *slash = 0;
    snprintf (buf, size, "%s/../share/samhand/web", exe);
    return buf;
}

static const char *usage =
    "usage: samhand-web -c NODE.cfg [options]            serve the node's staff\n"
    "       samhand-web -c NODE.cfg adduser NAME --role duty_operator|coordinator|team|admin\n"
    "       samhand-web -c NODE.cfg passwd NAME\n"
    "       samhand-web -c NODE.cfg deluser NAME\n"
    "options:\n"
    "  --listen HOST:PORT   where to listen (default 127.0.0.1:8080); an address that is\n"
    "                       not loopback needs --tls-cert and --tls-key\n"
    "  --tls-cert FILE      PEM certificate (chain) for HTTPS\n"
    "  --tls-key FILE       PEM private key for HTTPS\n"
    "  --users FILE         person accounts (default NODE.users beside NODE.cfg)\n"
    "  --static DIR         pages, styles and scripts (default " WEB_STATIC_DIR ")\n"
    "  --idle SECONDS       log out after this long without activity (default 900)\n"
    "example:\n"
    "  samhand-web -c /tmp/demo/nodes/koordinator.cfg adduser anne --role coordinator\n"
    "  samhand-web -c /tmp/demo/nodes/koordinator.cfg --listen 127.0.0.1:8081\n";

//  NODE.cfg -> NODE.EXT
static void
s_beside (const char *config, const char *ext, char *out, size_t size)
{
    snprintf (out, size, "%s", config);
    size_t len = strlen (out);
    if (len > 4 && strcmp (out + len - 4, ".cfg") == 0)
        out [len - 4] = 0;
    len = strlen (out);
    snprintf (out + len, size - len, ".%s", ext);
}

//  The node's role, from its certificate's metadata.
static int
s_node_role (const char *config, char *role, size_t size)
{
    samhand_settings_t settings;
    if (samhand_settings_load (&settings, config)) {
        fprintf (stderr, "samhand-web: %s\n", samhand_last_error ());
        return -1;
    }
    zcert_t *cert = zcert_load (settings.cert);
    const char *meta = cert? zcert_meta (cert, "role"): NULL;
    if (!meta || !web_role_known (meta)) {
        fprintf (stderr, "samhand-web: the node certificate %s names no role\n", settings.cert);
        zcert_destroy (&cert);
        return -1;
    }
    snprintf (role, size, "%s", meta);
    zcert_destroy (&cert);
    return 0;
}

static int
s_read_line (const char *prompt, char *out, size_t size)
{
    bool tty = isatty (STDIN_FILENO);
    struct termios old, quiet;
    if (tty) {
        fprintf (stderr, "%s", prompt);
        if (tcgetattr (STDIN_FILENO, &old) == 0) {
            quiet = old;
            quiet.c_lflag &= (tcflag_t) ~ECHO;
            tcsetattr (STDIN_FILENO, TCSAFLUSH, &quiet);
        }
    }
    char *got = fgets (out, (int) size, stdin);
    if (tty) {
        tcsetattr (STDIN_FILENO, TCSAFLUSH, &old);
        fprintf (stderr, "\n");
    }
    if (!got)
        return -1;
    out [strcspn (out, "\r\n")] = 0;
    return 0;
}

static int
s_password (char *out, size_t size)
{
    if (s_read_line ("Passord: ", out, size))
        return -1;
    if (isatty (STDIN_FILENO)) {
        char again [256];
        if (s_read_line ("Gjenta passordet: ", again, sizeof again) || strcmp (out, again)) {
            fprintf (stderr, "samhand-web: the passwords differ\n");
            sodium_memzero (again, sizeof again);
            return -1;
        }
        sodium_memzero (again, sizeof again);
    }
    if (strlen (out) < 10) {
        fprintf (stderr, "samhand-web: a password needs at least 10 characters\n");
        return -1;
    }
    return 0;
}

static int
s_user_command (const char *config, const char *users, int argc, char **argv, int at)
{
    const char *command = argv [at];
    const char *name = at + 1 < argc? argv [at + 1]: NULL;
    const char *role = NULL;
    for (int i = at + 2; i < argc; i++)
        if (strcmp (argv [i], "--role") == 0 && i + 1 < argc)
            role = argv [++i];
        else {
            fprintf (stderr, "samhand-web: unexpected %s\n%s", argv [i], usage);
            return 2;
        }
    if (!web_name_valid (name)) {
        fprintf (stderr, "samhand-web: a user name is 1 to 32 letters, digits, '.', '_', '-'\n");
        return 2;
    }
    if (strcmp (command, "deluser") == 0) {
        int rc = users_delete (users, name);
        if (rc)
            fprintf (stderr, "samhand-web: %s\n", rc > 0? "no such user": "cannot rewrite the users file");
        return rc? 1: 0;
    }
    if (strcmp (command, "adduser") == 0) {
        char node_role [16];
        if (!role || !web_role_known (role)) {
            fprintf (stderr, "samhand-web: adduser needs --role duty_operator|coordinator|team|admin\n");
            return 2;
        }
        if (s_node_role (config, node_role, sizeof node_role))
            return 1;
        if (!web_role_within (node_role, role)) {
            fprintf (stderr, "samhand-web: role %s exceeds the node's role %s\n", role, node_role);
            return 1;
        }
        web_user_t existing;
        int found = users_find (users, name, &existing);
        sodium_memzero (&existing, sizeof existing);
        if (found != 0) {
            fprintf (stderr, "samhand-web: %s\n", found > 0? "that user exists already (passwd changes"
                     " the password; deluser first to change the role)": "cannot read the users file");
            return 1;
        }
    }
    char password [256];
    if (s_password (password, sizeof password))
        return 1;
    int rc = users_put (users, name, role, password, strcmp (command, "passwd") == 0);
    sodium_memzero (password, sizeof password);
    if (rc == 0)
        fprintf (stderr, "samhand-web: %s %s\n", name, strcmp (command, "passwd") == 0?
                 "has a new password": "added");
    return rc? 1: 0;
}

int
main (int argc, char **argv)
{
    //  Every date and time the web client computes is Norwegian time.
    setenv ("TZ", "Europe/Oslo", 1);
    tzset ();
    zsys_set_logstream (stderr);
    if (sodium_init () < 0) {
        fprintf (stderr, "samhand-web: libsodium does not start\n");
        return 1;
    }
    char installed_static [1100];
    web_server_config_t config = { .listen = "127.0.0.1:8080",
                                   .static_dir = s_default_static (installed_static,
                                                                   sizeof installed_static) };
    const char *node_config = NULL;
    int idle = 900;
    int i = 1;
    for (; i < argc; i++) {
        const char *a = argv [i];
        const char *v = i + 1 < argc? argv [i + 1]: NULL;
        if (!strcmp (a, "-h") || !strcmp (a, "--help")) {
            printf ("%s", usage);
            return 0;
        }
        if (a [0] != '-')
            break;
        if (!v) {
            fprintf (stderr, "samhand-web: %s needs a value\n%s", a, usage);
            return 2;
        }
        if (!strcmp (a, "-c")) node_config = v;
        else if (!strcmp (a, "--listen")) config.listen = v;
        else if (!strcmp (a, "--users")) config.users_path = v;
        else if (!strcmp (a, "--static")) config.static_dir = v;
        else if (!strcmp (a, "--tls-cert")) config.tls_cert = v;
        else if (!strcmp (a, "--tls-key")) config.tls_key = v;
        else if (!strcmp (a, "--idle")) idle = atoi (v);
        else {
            fprintf (stderr, "samhand-web: unknown option %s\n%s", a, usage);
            return 2;
        }
        i++;
    }
    if (!node_config)
        node_config = getenv ("SAMHAND_CONFIG");
    if (!node_config) {
        fprintf (stderr, "samhand-web: -c NODE.cfg is needed\n%s", usage);
        return 2;
    }
    if (idle < 1 || idle > 24 * 3600) {
        fprintf (stderr, "samhand-web: --idle is 1 to 86400 seconds\n");
        return 2;
    }
    char users [1100], sent [1100];
    s_beside (node_config, "users", users, sizeof users);
    s_beside (node_config, "sent", sent, sizeof sent);
    if (!config.users_path)
        config.users_path = users;
    if (i < argc) {
        if (strcmp (argv [i], "adduser") && strcmp (argv [i], "deluser")
        &&  strcmp (argv [i], "passwd")) {
            fprintf (stderr, "samhand-web: unknown command %s\n%s", argv [i], usage);
            return 2;
        }
        return s_user_command (node_config, config.users_path, argc, argv, i);
    }
    //  Fail closed on a users file others can read or write.
    struct stat st;
    if (stat (config.users_path, &st) == 0 && (st.st_mode & 077)) {
        fprintf (stderr, "samhand-web: %s is readable by others; chmod 600 it first\n",
                 config.users_path);
        return 1;
    }
    //  So is a TLS key others can read: they could read every page (and
    //  password) sent to this server. Before the broker is asked anything.
    if (config.tls_key && stat (config.tls_key, &st) == 0 && (st.st_mode & 077)) {
        fprintf (stderr, "samhand-web: the TLS key %s is readable by others; chmod 600 it first\n",
                 config.tls_key);
        return 1;
    }
    sessions_init (idle);
    if (bridge_start (node_config, sent, &config.node)) {
        bridge_stop ();
        return 1;
    }
    int rc = http_serve (&config);
    bridge_stop ();
    return rc? 1: 0;
}
