/*  cmd_enroll — admin enroll / revoke / list: the broker's folder of
    enrolled public certificates, handled locally by the operator on the
    broker's machine (the broker re-reads the folder every few seconds and
    cuts the connections of a revoked node). Local rather than over the
    wire: under the systemd unit the broker cannot write its configuration
    (ProtectSystem=strict), and enrolment is the operator's act anyway.

    enroll copies a public certificate in (atomically, by rename) after
    checking it: no secret key, a usable public key, name/agency/role the
    broker accepts, an expiry that is readable and not past, and neither its
    name nor its key enrolled already. revoke moves a node's certificate to
    revoked/ beside the folder, stamped with the time. list shows each
    certificate with agency, role and expiry.                              */
#include "cli.h"
#include <czmq.h>
#include <sys/stat.h>
#include <fcntl.h>
#include <time.h>
#include <libgen.h>

#define WARN_DAYS 30        //  as the broker's log (daemon/nodes.c)

static const char *agencies [] = { "resource_centre", "tryggest", "police_risk",
                                   "crisis_centre", NULL };
static const char *roles [] = { "duty_operator", "coordinator", "team", "admin", NULL };

typedef struct {
    char file [1024];
    char name [64];
    char agency [32];
    char role [32];
    char key [41];
    char expires [40];
    int64_t expires_at;      //  unix seconds; 0 none; -1 malformed
    bool has_secret;
    const char *problem;     //  why the broker would not accept it, or NULL
} enrolled_t;

static bool
s_known (const char *const *list, const char *word)
{
    for (int i = 0; word && list [i]; i++)
        if (streq (list [i], word))
            return true;
    return false;
}

static bool
s_name_ok (const char *name)
{
    size_t n = strlen (name);
    for (size_t i = 0; i < n; i++)
        if (!isalnum ((unsigned char) name [i]) && !strchr ("._-", name [i]))
            return false;
    return n > 0 && n < 64 && name [0] != '.';
}

//  As the broker reads it (daemon/nodes.c): UTC, YYYY-MM-DD or ...Z.
static int64_t
s_parse_expires (const char *text)
{
    struct tm tm;
    memset (&tm, 0, sizeof tm);
    const char *end = strptime (text, "%Y-%m-%dT%H:%M:%SZ", &tm);
    if (!end || *end) {
        memset (&tm, 0, sizeof tm);
        end = strptime (text, "%Y-%m-%d", &tm);
    }
    return end && !*end? (int64_t) timegm (&tm): -1;
}

static void
s_copy (char *to, size_t size, const char *from)
{
    snprintf (to, size, "%s", from? from: "");
}

//  Reads a certificate file as text (ZPL), without zcert_load's habit of
//  also reading FILE_secret: what is in this very file is what counts.
//  0, or -1 when it is not a certificate at all.
static int
s_read (const char *path, enrolled_t *e)
{
    memset (e, 0, sizeof *e);
    s_copy (e->file, sizeof e->file, path);
    zconfig_t *root = zconfig_load (path);
    if (!root)
        return -1;
    const char *key = zconfig_get (root, "curve/public-key", NULL);
    const char *secret = zconfig_get (root, "curve/secret-key", NULL);
    uint8_t raw [32];
    if (!key || strlen (key) != 40 || !zmq_z85_decode (raw, key)) {
        zconfig_destroy (&root);
        return -1;
    }
    s_copy (e->key, sizeof e->key, key);
    e->has_secret = secret && *secret;
    const char *name = zconfig_get (root, "metadata/name", NULL);
    const char *agency = zconfig_get (root, "metadata/agency", NULL);
    const char *role = zconfig_get (root, "metadata/role", NULL);
    const char *expires = zconfig_get (root, "metadata/expires", NULL);
    s_copy (e->name, sizeof e->name, name);
    s_copy (e->agency, sizeof e->agency, agency);
    s_copy (e->role, sizeof e->role, role);
    s_copy (e->expires, sizeof e->expires, expires);
    e->expires_at = expires? s_parse_expires (expires): 0;
    if (!name || !s_name_ok (name))
        e->problem = "no usable name (letters, digits, '.', '_', '-', at most 63)";
    else
    if (!s_known (roles, role))
        e->problem = "no known role (duty_operator, coordinator, team, admin)";
    else
    if (agency && *agency? !s_known (agencies, agency): !streq (role, "admin"))
        e->problem = "no known agency (resource_centre, tryggest, police_risk, crisis_centre;"
                     " only an admin node has none)";
    else
    if (e->expires_at < 0)
        e->problem = "an unreadable expires (want YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ)";
    else
    if (e->expires_at && e->expires_at <= (int64_t) time (NULL))
        e->problem = "expired";
    zconfig_destroy (&root);
    return 0;
}

//  Every *.cert in DIR, sorted by file name. NULL when DIR cannot be read.
static zlist_t *
s_folder (const char *dir)
{
    zdir_t *d = zdir_new (dir, NULL);
    if (!d)
        return NULL;
    zlist_t *files = zdir_list (d);
    zlist_t *list = zlist_new ();
    for (zfile_t *f = files? (zfile_t *) zlist_first (files): NULL; list && f;
         f = (zfile_t *) zlist_next (files)) {
        const char *path = zfile_filename (f, NULL);
        size_t len = strlen (path);
        if (len < 5 || strcmp (path + len - 5, ".cert"))
            continue;
        enrolled_t *e = (enrolled_t *) zmalloc (sizeof *e);
        if (e && s_read (path, e) == 0)
            zlist_append (list, e);
        else
            free (e);
    }
    zlist_destroy (&files);
    zdir_destroy (&d);
    return list;                    //  items are freed by s_folder_free
}

static void
s_folder_free (zlist_t **list_p)
{
    zlist_t *list = *list_p;
    if (!list)
        return;
    for (void *e = zlist_first (list); e; e = zlist_next (list))
        free (e);
    zlist_purge (list);
    zlist_destroy (list_p);
}

static const char *
s_state (const enrolled_t *e, char *text, size_t size, int *days)
{
    *days = -1;
    if (e->problem)
        return e->problem;
    if (!e->expires_at)
        return "ok";
    int64_t left = e->expires_at - (int64_t) time (NULL);
    *days = (int) (left / 86400);
    if (left <= WARN_DAYS * 86400LL)
        snprintf (text, size, "expires in %d days", *days);
    else
        snprintf (text, size, "ok");
    return text;
}

static int
s_list (const char *dir, bool json)
{
    zlist_t *list = s_folder (dir);
    if (!list) {
        fprintf (stderr, "samhand: cannot read the enrolled folder %s\n", dir);
        return EXIT_FAILED;
    }
    char text [64];
    int days;
    if (json) {
        json_t j;
        json_init (&j);
        json_object_begin (&j, NULL);
        json_array_begin (&j, "enrolled");
        for (enrolled_t *e = (enrolled_t *) zlist_first (list); e;
             e = (enrolled_t *) zlist_next (list)) {
            const char *state = s_state (e, text, sizeof text, &days);
            json_object_begin (&j, NULL);
            json_str (&j, "name", e->name);
            json_str_opt (&j, "agency", e->agency);
            json_str_opt (&j, "role", e->role);
            json_str_opt (&j, "expires", e->expires);
            if (days >= 0)
                json_int (&j, "days_left", days);
            json_str (&j, "state", state);
            json_str (&j, "key", e->key);
            json_str (&j, "file", e->file);
            json_object_end (&j);
        }
        json_array_end (&j);
        json_object_end (&j);
        int rc = cli_json_out (&j);
        json_free (&j);
        s_folder_free (&list);
        return rc? EXIT_FAILED: EXIT_OK;
    }
    printf ("%-20s  %-16s  %-14s  %-20s  %s\n", "NAME", "AGENCY", "ROLE", "EXPIRES", "STATE");
    size_t soon = 0;
    for (enrolled_t *e = (enrolled_t *) zlist_first (list); e;
         e = (enrolled_t *) zlist_next (list)) {
        const char *state = s_state (e, text, sizeof text, &days);
        soon += !e->problem && e->expires_at && days <= WARN_DAYS;
        printf ("%-20s  %-16s  %-14s  %-20s  %s\n", *e->name? e->name: "-",
                *e->agency? e->agency: "-", *e->role? e->role: "-",
                *e->expires? e->expires: "-", state);
    }
    size_t n = zlist_size (list);
    s_folder_free (&list);
    if (fflush (stdout) || ferror (stdout))
        return EXIT_FAILED;
    fprintf (stderr, "%zu certificate%s in %s%s\n", n, n == 1? "": "s", dir,
             soon? "; renew those expiring soon (samhand keygen --days N, then enroll)": "");
    return EXIT_OK;
}

//  Moves FILE to revoked/ beside the enrolled folder DIR: out of the
//  broker's reach, kept for the record, stamped with the time (UTC).
//  The new path in TARGET. 0, or -1 said on stderr.
static int
s_to_revoked (const char *dir, const char *file, char *target, size_t size)
{
    char revoked [1100], stamp [32];
    snprintf (revoked, sizeof revoked, "%s/../revoked", dir);
    time_t now = time (NULL);
    strftime (stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", gmtime (&now));
    //  Named after the file, not the node: metadata is not a safe path.
    const char *base = strrchr (file, '/');
    base = base? base + 1: file;
    int n = (int) (strlen (base) - 5);
    snprintf (target, size, "%s/%.*s-%s.cert", revoked, n, base, stamp);
    //  Two in the same second (a renewal, then a revocation): never
    //  overwrite the record of the first.
    for (int i = 2; access (target, F_OK) == 0 && i < 100; i++)
        snprintf (target, size, "%s/%.*s-%s-%d.cert", revoked, n, base, stamp, i);
    if (access (target, F_OK) == 0) {
        fprintf (stderr, "samhand: %s exists already\n", target);
        return -1;
    }
    if ((mkdir (revoked, 0750) && errno != EEXIST) || rename (file, target)) {
        fprintf (stderr, "samhand: cannot move %s to %s: %s\n", file, target, strerror (errno));
        return -1;
    }
    return 0;
}

static int
s_enroll (const char *dir, const char *path, bool replace)
{
    size_t len = strlen (path);
    enrolled_t cert;
    if (s_read (path, &cert)) {
        fprintf (stderr, "samhand: %s is not a certificate (no CURVE public key)\n", path);
        return EXIT_FAILED;
    }
    if (cert.has_secret || (len > 7 && streq (path + len - 7, "_secret"))) {
        fprintf (stderr, "samhand: %s holds a secret key: enrol the node's public NAME.cert,"
                         " never NAME.cert_secret (it stays with the node)\n", path);
        return EXIT_FAILED;
    }
    if (cert.problem) {
        fprintf (stderr, "samhand: %s has %s: not enrolled (make it with samhand keygen NAME"
                         " --agency A --role R --days N)\n", path, cert.problem);
        return EXIT_FAILED;
    }
    zlist_t *list = s_folder (dir);
    if (!list) {
        fprintf (stderr, "samhand: cannot read the enrolled folder %s\n", dir);
        return EXIT_FAILED;
    }
    const char *clash = NULL;
    char old [1024] = "";
    int same_name = 0;
    time_t newest = 0;
    for (enrolled_t *e = (enrolled_t *) zlist_first (list); e; e = (enrolled_t *) zlist_next (list)) {
        struct stat st;
        if (stat (e->file, &st) == 0 && st.st_mtime > newest)
            newest = st.st_mtime;
    }
    for (enrolled_t *e = (enrolled_t *) zlist_first (list); e && !clash;
         e = (enrolled_t *) zlist_next (list))
        if (streq (e->key, cert.key))
            clash = "its key is enrolled already";
        else
        if (streq (e->name, cert.name)) {
            s_copy (old, sizeof old, e->file);
            same_name++;
        }
    s_folder_free (&list);
    if (!clash && same_name && !replace)
        clash = "a node of that name is enrolled already (renewing? --replace)";
    if (!clash && same_name > 1)
        clash = "several certificates of that name are enrolled: move the wrong ones out by hand";
    if (!clash && replace && !same_name)
        clash = "--replace, but no node of that name is enrolled";
    char target [1100], temp [1200];
    //  A renewal takes the old file's place.
    snprintf (target, sizeof target, "%s", *old? old: "");
    if (!*old)
        snprintf (target, sizeof target, "%s/%s.cert", dir, cert.name);
    if (!clash && !*old && access (target, F_OK) == 0)
        clash = "a file of that name is in the folder already";
    if (clash) {
        fprintf (stderr, "samhand: %s (%s): %s\n", path, cert.name, clash);
        return EXIT_FAILED;
    }
    //  Written beside, then renamed: the broker never reads half a file.
    //  A name not ending in .cert is not read by the broker meanwhile.
    snprintf (temp, sizeof temp, "%s/.%s.cert.new", dir, cert.name);
    //  A certificate is a few hundred bytes; 64 KiB is plenty.
    static char data [65536];
    FILE *in = fopen (path, "rb");
    size_t size = in? fread (data, 1, sizeof data, in): 0;
    bool ok = in && !ferror (in) && feof (in);
    if (in)
        fclose (in);
    FILE *out = ok? fopen (temp, "wx"): NULL;
    ok = out && fwrite (data, 1, size, out) == size;
    ok = out && fclose (out) == 0 && ok;
    ok = ok && chmod (temp, 0644) == 0;
    //  The broker's key store (czmq zcertstore) reloads the folder when its
    //  file count, total size or newest mtime (whole seconds) changes. A
    //  renewal keeps count and size: make sure the newest mtime moves, even
    //  within the second of an earlier change, or the new key stays unknown.
    if (ok && replace && time (NULL) <= newest) {
        struct timespec times [2] = { { newest + 1, 0 }, { newest + 1, 0 } };
        ok = utimensat (AT_FDCWD, temp, times, 0) == 0;
    }
    //  Renewal: the old certificate to revoked/, the new one in its place
    //  at once, so the broker's next read of the folder sees only the new.
    char moved [1300] = "";
    if (ok && *old && s_to_revoked (dir, old, moved, sizeof moved)) {
        remove (temp);
        return EXIT_FAILED;
    }
    ok = ok && rename (temp, target) == 0;
    if (!ok) {
        fprintf (stderr, "samhand: cannot copy %s to %s: %s\n", path, target, strerror (errno));
        if (out)
            remove (temp);
    }
    if (!ok)
        return EXIT_FAILED;
    printf ("enrolled %s (%s, %s%s%s) as %s; the broker takes it up within seconds\n",
            cert.name, *cert.agency? cert.agency: "no agency", cert.role,
            *cert.expires? ", expires ": "", cert.expires, target);
    if (*moved)
        printf ("replaced: the old certificate is in %s; its key is refused within seconds\n",
                moved);
    return EXIT_OK;
}

static int
s_revoke (const char *dir, const char *name)
{
    zlist_t *list = s_folder (dir);
    if (!list) {
        fprintf (stderr, "samhand: cannot read the enrolled folder %s\n", dir);
        return EXIT_FAILED;
    }
    char file [1024] = "";
    int found = 0;
    for (enrolled_t *e = (enrolled_t *) zlist_first (list); e;
         e = (enrolled_t *) zlist_next (list))
        if (streq (e->name, name)) {
            s_copy (file, sizeof file, e->file);
            found++;
        }
    s_folder_free (&list);
    if (found == 0)
        fprintf (stderr, "samhand: %s holds no certificate named %s (see samhand admin list)\n",
                 dir, name);
    if (found > 1)
        fprintf (stderr, "samhand: %d certificates in %s are named %s: move the wrong ones"
                         " out by hand\n", found, dir, name);
    if (found != 1)
        return EXIT_REFUSED;
    char target [1300];
    if (s_to_revoked (dir, file, target, sizeof target))
        return EXIT_FAILED;
    printf ("revoked %s: moved %s to %s; the broker refuses it and closes its connections"
            " within seconds\n", name, file, target);
    return EXIT_OK;
}

static int
s_enrolled_action (const char *action, const char *dir, const char *arg, bool json,
                   bool replace);

//  The enrolled folder the broker's config names (server/enrolled; a
//  relative path is beside the config file, as samhandd reads it). NULL
//  with the reason on stderr, and *usage set when the file is not a
//  broker's config at all. Caller frees.
static char *
s_enrolled_of (const char *config, bool *usage)
{
    *usage = false;
    if (access (config, R_OK)) {
        fprintf (stderr, "samhand: cannot read %s: %s\n", config, strerror (errno));
        return NULL;
    }
    zconfig_t *root = zconfig_load (config);
    if (!root) {
        fprintf (stderr, "samhand: %s is not a configuration file samhand can read (ZPL)\n",
                 config);
        return NULL;
    }
    const char *enrolled = zconfig_get (root, "server/enrolled", NULL);
    char *dir = NULL;
    if (!enrolled || !*enrolled) {
        *usage = true;
        fprintf (stderr, "samhand: admin: %s names no server/enrolled folder: give the"
                 " broker's samhandd.cfg (not a node's config), or --enrolled DIR\n", config);
    }
    else
    if (*enrolled == '/')
        dir = strdup (enrolled);
    else {
        char *copy = strdup (config);
        dir = copy? zsys_sprintf ("%s/%s", dirname (copy), enrolled): NULL;
        free (copy);
    }
    zconfig_destroy (&root);
    return dir;
}

int
cli_admin_enrolled (const char *action, const char *dir, const char *broker_config,
                    const char *arg, bool json, bool replace)
{
    assert (action);
    char *from_config = NULL;
    if (!dir && broker_config) {
        bool usage = false;
        from_config = s_enrolled_of (broker_config, &usage);
        if (!from_config)
            return usage? EXIT_USAGE: EXIT_FAILED;
        dir = from_config;
    }
    int rc = s_enrolled_action (action, dir, arg, json, replace);
    free (from_config);
    return rc;
}

static int
s_enrolled_action (const char *action, const char *dir, const char *arg, bool json,
                   bool replace)
{
    if (!dir)
        return cli_usage_error ("admin", "%s needs the broker's folder of enrolled"
                                " certificates: -c samhandd.cfg (the broker's config, whose"
                                " server/enrolled names it) or --enrolled DIR", action);
    if (replace && !streq (action, "enroll"))
        return cli_usage_error ("admin", "--replace goes with enroll");
    if (streq (action, "list"))
        return arg? cli_usage_error ("admin", "list takes no argument"): s_list (dir, json);
    if (!arg || !*arg)
        return cli_usage_error ("admin", streq (action, "enroll")? "enroll which file?"
                                                                 : "revoke which node?");
    return streq (action, "enroll")? s_enroll (dir, arg, replace): s_revoke (dir, arg);
}
