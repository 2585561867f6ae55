/*  cmd_keygen — a CURVE certificate for a node: NAME.cert (public, goes
    to the broker's enrolled folder) and NAME.cert_secret (stays here,
    mode 0600). The broker knows the node's name, agency and role from
    the certificate's metadata, never from anything the client sends.    */
#include "cli.h"
#include <czmq.h>
#include <ctype.h>
#include <errno.h>
#include <sys/stat.h>

static const char *keygen_help =
    "samhand keygen - make the certificate for a new node.\n"
    "\n"
    "  samhand keygen vakt2 --agency resource_centre --role duty_operator --days 365\n"
    "  samhand keygen server --server --dir /etc/samhand     (the broker's own)\n"
    "\n"
    "  NAME                 the node's name: letters, digits, - and _\n"
    "  --agency AGENCY      resource_centre, tryggest, police_risk, crisis_centre\n"
    "                       (admin nodes may have none)\n"
    "  --role ROLE          duty_operator, coordinator, team, admin\n"
    "  --days N             the certificate expires in N days (metadata \"expires\");\n"
    "                       the broker refuses it after that and warns in its log\n"
    "                       30 days before\n"
    "  --server             the broker's certificate: no agency, role or expiry\n"
    "                       (also when NAME is \"server\" and no --role is given)\n"
    "  --dir DIR            where to write (default: here)\n"
    "\n"
    "Writes DIR/NAME.cert (public: give it to the broker's administrator, who\n"
    "puts it in the enrolled folder) and DIR/NAME.cert_secret (secret: it never\n"
    "leaves this machine). Refuses to overwrite an existing certificate.\n";

static const opt_spec_t keygen_opts [] = {
    { "agency", 0, OPT_VALUE },
    { "role", 0, OPT_VALUE },
    { "dir", 0, OPT_VALUE },
    { "days", 0, OPT_VALUE },
    { "server", 0, OPT_FLAG },
    { NULL, 0, OPT_FLAG }
};

static const char *roles [] = { "duty_operator", "coordinator", "team", "admin", NULL };

bool
cli_name_valid (const char *name)
{
    size_t len = strlen (name);
    if (len == 0 || len > 63 || name [0] == '-' || name [0] == '.')
        return false;
    for (const char *p = name; *p; p++)
        if (!isalnum ((unsigned char) *p) && *p != '-' && *p != '_')
            return false;
    return true;
}

//  Writes DIR/NAME.cert and its secret; ROLE NULL for the server's own,
//  EXPIRES (UTC, RFC 3339) or NULL.
static int
s_make_cert (const char *dir, const char *name, const char *agency, const char *role,
             const char *enrolled, const char *expires)
{
    char path [1024], secret [1100];
    snprintf (path, sizeof path, "%s/%s.cert", dir, name);
    snprintf (secret, sizeof secret, "%s_secret", path);
    if (access (path, F_OK) == 0 || access (secret, F_OK) == 0) {
        fprintf (stderr, "samhand: %s already exists: not overwriting a node's key\n", path);
        return -1;
    }
    zcert_t *cert = zcert_new ();
    if (!cert) {
        fprintf (stderr, "samhand: could not make a key pair\n");
        return -1;
    }
    zcert_set_meta (cert, "name", "%s", name);
    if (agency && *agency)
        zcert_set_meta (cert, "agency", "%s", agency);
    if (role)
        zcert_set_meta (cert, "role", "%s", role);
    if (expires)
        zcert_set_meta (cert, "expires", "%s", expires);
    //  Create the secret file 0600 before anything is written into it.
    mode_t old = umask (077);
    int rc = zcert_save (cert, path);
    umask (old);
    if (rc == 0 && (chmod (secret, 0600) || chmod (path, 0644)))
        rc = -1;
    if (rc == 0 && enrolled) {
        char copy [1024];
        snprintf (copy, sizeof copy, "%s/%s.cert", enrolled, name);
        rc = zcert_save_public (cert, copy);
        if (rc == 0)
            rc = chmod (copy, 0644);
    }
    zcert_destroy (&cert);
    if (rc)
        fprintf (stderr, "samhand: could not write %s: %s\n", path, strerror (errno));
    return rc;
}

int
cli_make_cert (const char *dir, const char *name, const char *agency, const char *role,
               const char *enrolled)
{
    return s_make_cert (dir, name, agency, role, enrolled, NULL);
}

//  The broker's certificate: nothing about agency or role, which are a
//  node's; what to do with each file is not what a node does with its own.
static int
s_server_cert (const char *dir, const char *name)
{
    if (s_make_cert (dir, name, NULL, NULL, NULL, NULL))
        return EXIT_FAILED;
    printf ("%s/%s.cert         public: the broker's certificate; every node's settings name\n"
            "                     it as broker_cert, and samhandd.cfg as server/cert\n"
            "%s/%s.cert_secret  secret: the broker's key; stays beside it, mode 0600,\n"
            "                     readable only by the user samhandd runs as\n",
            dir, name, dir, name);
    return EXIT_OK;
}

int
cmd_keygen (cli_t *cli, int argc, char **argv)
{
    opts_t opts;
    char err [256];
    const opt_spec_t *const specs [] = { keygen_opts, NULL };
    int rc = cli_parse (cli, "keygen", keygen_help, specs, argc, argv, &opts);
    if (rc >= 0)
        return rc;
    if (opts.n_pos != 1)
        return cli_usage_error ("keygen", "give the node's name, e.g. keygen vakt2 --agency "
                                "resource_centre --role duty_operator");
    const char *name = opts.pos [0];
    if (!cli_name_valid (name))
        return cli_usage_error ("keygen", "'%s' is not a node name: letters, digits, - and _, "
                                "at most 63", name);
    const char *role = opts_get (&opts, "role");
    const char *dir = opts_get (&opts, "dir")? opts_get (&opts, "dir"): ".";
    bool server = opts_has (&opts, "server") || (streq (name, "server") && !role);
    if (server && (role || opts_get (&opts, "agency") || opts_get (&opts, "days")))
        return cli_usage_error ("keygen", "the server's certificate has no --role, --agency or"
                                " --days");
    struct stat st;
    if (stat (dir, &st) || !S_ISDIR (st.st_mode)) {
        fprintf (stderr, "samhand: %s is not a folder\n", dir);
        return EXIT_FAILED;
    }
    if (server)
        return s_server_cert (dir, name);
    char expires [32] = "";
    if (opts_get (&opts, "days")) {
        int64_t days = opts_number (opts_get (&opts, "days"), 36500);
        if (days < 1)
            return cli_usage_error ("keygen", "--days is whole days, 1 to 36500");
        time_t when = time (NULL) + (time_t) days * 86400;
        struct tm tm;
        if (!gmtime_r (&when, &tm) || !strftime (expires, sizeof expires, "%Y-%m-%dT%H:%M:%SZ", &tm))
            return EXIT_FAILED;
    }
    bool known = false;
    for (int i = 0; role && roles [i]; i++)
        known = known || streq (roles [i], role);
    if (!known)
        return cli_usage_error ("keygen", "--role is duty_operator, coordinator, team or admin"
                                " (or --server for the broker's own certificate)");
    const char *agency = opts_get (&opts, "agency");
    if (agency && *agency) {
        if (opts_enum (agency, samhand_agency_from_name, "--agency", err, sizeof err) < 0)
            return cli_usage_error ("keygen", "%s (resource_centre, tryggest, police_risk, "
                                    "crisis_centre)", err);
        //  Store the canonical spelling: the broker compares exactly.
        agency = samhand_agency_name (opts_enum (agency, samhand_agency_from_name, "", err,
                                                 sizeof err));
    }
    else
    if (!streq (role, "admin"))
        return cli_usage_error ("keygen", "--agency is needed (only admin nodes have none)");
    if (s_make_cert (dir, name, agency, role, NULL, *expires? expires: NULL))
        return EXIT_FAILED;
    printf ("%s/%s.cert         public: give it to the broker's administrator to enroll\n"
            "%s/%s.cert_secret  secret: keep it here (mode 0600)\n", dir, name, dir, name);
    return EXIT_OK;
}
