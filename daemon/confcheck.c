/*  confcheck — the configuration's files, folders and endpoint. See
    confcheck.h.                                                           */
#include "confcheck.h"
#include "store.h"
#include "cfgfile.h"
#include "keyfile.h"
#include <czmq.h>
#include <dirent.h>
#include <libgen.h>
#include <netdb.h>
#include <sys/socket.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <arpa/inet.h>

static bool
s_all (const char *text, size_t len, const char *set)
{
    return len > 0 && strspn (text, set) >= len;
}

static int
s_ipv4 (const char *host, size_t len, char *why, size_t size)
{
    char copy [64];
    if (len >= sizeof copy) {
        snprintf (why, size, "host is too long");
        return -1;
    }
    memcpy (copy, host, len);
    copy [len] = 0;
    int parts = 0;
    char *save = NULL;
    if (copy [0] == '.' || copy [len - 1] == '.' || strstr (copy, "..")) {
        snprintf (why, size, "'%s' is not an IPv4 address", copy);
        return -1;
    }
    for (char *octet = strtok_r (copy, ".", &save); octet; octet = strtok_r (NULL, ".", &save)) {
        if (strlen (octet) > 3 || atoi (octet) > 255) {
            snprintf (why, size, "%s is not an IPv4 octet (0-255)", octet);
            return -1;
        }
        parts++;
    }
    if (parts != 4) {
        snprintf (why, size, "an IPv4 address has four octets");
        return -1;
    }
    return 0;
}

int
confcheck_endpoint (const char *endpoint, char *why, size_t size)
{
    assert (endpoint && why);
    if (strncmp (endpoint, "ipc://", 6) == 0) {
        if (!endpoint [6]) {
            snprintf (why, size, "ipc:// needs a path");
            return -1;
        }
        return 0;
    }
    if (strncmp (endpoint, "tcp://", 6)) {
        const char *scheme = strstr (endpoint, "://");
        if (scheme)
            snprintf (why, size, "scheme must be tcp:// or ipc://, not %.*s://",
                      (int) (scheme - endpoint), endpoint);
        else
            snprintf (why, size, "no scheme: write tcp://%s (or ipc://PATH)", endpoint);
        return -1;
    }
    const char *host = endpoint + 6;
    const char *colon = strrchr (host, ':');
    if (!colon || colon == host) {
        snprintf (why, size, "tcp:// needs HOST:PORT, e.g. tcp://127.0.0.1:7450");
        return -1;
    }
    size_t hostlen = (size_t) (colon - host);
    const char *port = colon + 1;
    if (strcmp (port, "*") && strcmp (port, "!")) {
        char *end = NULL;
        long number = strtol (port, &end, 10);
        if (!*port || *end || number < 1 || number > 65535) {
            snprintf (why, size, "port must be 1-65535, not '%s'", port);
            return -1;
        }
    }
    if (hostlen == 1 && *host == '*')
        return 0;
    if (*host == '[') {
        char six [64];
        if (hostlen < 3 || hostlen - 2 >= sizeof six || host [hostlen - 1] != ']') {
            snprintf (why, size, "an IPv6 host is written [ADDRESS]");
            return -1;
        }
        memcpy (six, host + 1, hostlen - 2);
        six [hostlen - 2] = 0;
        struct in6_addr addr;
        if (inet_pton (AF_INET6, six, &addr) != 1) {
            snprintf (why, size, "'%s' is not an IPv6 address", six);
            return -1;
        }
        return 0;
    }
    if (s_all (host, hostlen, "0123456789."))
        return s_ipv4 (host, hostlen, why, size);
    if (!s_all (host, hostlen, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._")) {
        snprintf (why, size, "'%.*s' is not an address or interface name", (int) hostlen, host);
        return -1;
    }
    return 0;
}

//  Can we bind the endpoint now? A plain socket, closed at once (libzmq
//  would unlink an ipc path a running broker listens on, so ipc is probed
//  by connecting instead).
static int
s_can_bind (const char *endpoint, char *why, size_t size)
{
    if (strncmp (endpoint, "ipc://", 6) == 0) {
        const char *path = endpoint + 6;
        char *copy = strdup (path);
        struct stat st;
        int rc = copy && stat (dirname (copy), &st) == 0 && S_ISDIR (st.st_mode)? 0: -1;
        free (copy);
        if (rc) {
            snprintf (why, size, "the folder of %s does not exist", path);
            return -1;
        }
        struct sockaddr_un addr = { .sun_family = AF_UNIX };
        if (strlen (path) >= sizeof addr.sun_path) {
            snprintf (why, size, "ipc path is too long");
            return -1;
        }
        strcpy (addr.sun_path, path);
        int fd = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        bool used = fd >= 0 && connect (fd, (struct sockaddr *) &addr, sizeof addr) == 0;
        if (fd >= 0)
            close (fd);
        if (used) {
            snprintf (why, size, "cannot bind: something already listens on %s", path);
            errno = EADDRINUSE;
            return -1;
        }
        return 0;
    }
    const char *host = endpoint + 6;
    const char *colon = strrchr (host, ':');
    if (!colon || streq (colon + 1, "*") || streq (colon + 1, "!"))
        return 0;
    char name [256];
    snprintf (name, sizeof name, "%.*s", (int) (colon - host), host);
    if (*name == '[') {
        memmove (name, name + 1, strlen (name));
        name [strlen (name) - 1] = 0;
    }
    struct addrinfo hints = { .ai_flags = AI_PASSIVE | AI_NUMERICSERV,
                              .ai_socktype = SOCK_STREAM }, *found = NULL;
    int rc = getaddrinfo (streq (name, "*")? NULL: name, colon + 1, &hints, &found);
    if (rc) {
        snprintf (why, size, "cannot resolve '%s': %s", name, gai_strerror (rc));
        return -1;
    }
    rc = -1;
    int error = 0;
    for (struct addrinfo *at = found; at && rc; at = at->ai_next) {
        int fd = socket (at->ai_family, at->ai_socktype | SOCK_CLOEXEC, at->ai_protocol);
        if (fd < 0) {
            error = errno;
            continue;
        }
        int on = 1;     //  as libzmq does: a socket in TIME_WAIT is no conflict
        setsockopt (fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
        if (bind (fd, at->ai_addr, at->ai_addrlen) == 0)
            rc = 0;
        else
            error = errno;
        close (fd);
    }
    freeaddrinfo (found);
    if (rc)
        snprintf (why, size, "cannot bind: %s%s", strerror (error),
                  error == EADDRINUSE? " (is another broker or program using the port?)": "");
    errno = error;          //  the caller tells a busy port from the rest
    return rc;
}

static int
s_check_cert (const char *cert_path, const char *key, char *err, size_t errlen)
{
    char why [512];
    zcert_t *cert = zcert_load (cert_path);
    if (!cert) {
        snprintf (err, errlen, "%s: cannot load %s: %s (create it with"
                  " `samhand keygen server --server`)", key, cert_path,
                  access (cert_path, F_OK)? strerror (errno): "not a certificate");
        return -1;
    }
    zcert_destroy (&cert);
    //  czmq reads CERT_secret beside the certificate, or the certificate
    //  itself when it holds the secret key: that file must be private.
    char *secret = zsys_sprintf ("%s_secret", cert_path);
    const char *holder = secret && access (secret, F_OK) == 0? secret: cert_path;
    int rc = 0;
    if (holder == cert_path) {
        //  No CERT_secret: only a certificate holding its secret will do.
        cert = zcert_load (cert_path);
        bool has = cert && zcert_secret_txt (cert)
                && !streq (zcert_secret_txt (cert), "0000000000000000000000000000000000000000");
        zcert_destroy (&cert);
        if (!has) {
            snprintf (err, errlen, "%s: the secret key %s_secret is missing (make the"
                      " pair with `samhand keygen server --server`)", key, cert_path);
            zstr_free (&secret);
            return -1;
        }
    }
    if (keyfile_check_private (holder, why, sizeof why)) {
        snprintf (err, errlen, "%s: %s", key, why);
        rc = -1;
    }
    cert = rc? NULL: zcert_load (holder);
    if (!rc && (!cert || !zcert_secret_txt (cert)
            || streq (zcert_secret_txt (cert), "0000000000000000000000000000000000000000"))) {
        snprintf (err, errlen, "%s: no secret key in %s (nor in %s_secret)",
                  key, cert_path, cert_path);
        rc = -1;
    }
    zcert_destroy (&cert);
    zstr_free (&secret);
    return rc;
}

static bool
s_ends (const char *name, const char *tail)
{
    size_t len = strlen (name), tlen = strlen (tail);
    return len >= tlen && streq (name + len - tlen, tail);
}

//  Two files of the enrolled folder with one public key (an operator's
//  `cp vakt.cert vakt-kopi.cert`): the broker admits the key once, from
//  whichever it read first, and removing one file to revoke the node
//  would leave the other admitting it. Every file the ZAP handler would
//  load counts (zapcerts: any name but *_secret and hidden ones). KEYS
//  maps each public key seen to its file name. 0, or -1 with both names
//  (never the key) in err.
static int
s_check_duplicate (zhashx_t *keys, const char *dir, const char *name, zcert_t *cert,
                   char *err, size_t errlen)
{
    const char *first = (const char *) zhashx_lookup (keys, zcert_public_txt (cert));
    if (!first) {
        if (zhashx_insert (keys, zcert_public_txt (cert), (void *) name)) {
            snprintf (err, errlen, "server/enrolled: out of memory reading %s", dir);
            return -1;
        }
        return 0;
    }
    //  Named in a stable order, whatever order the folder lists them in.
    const char *a = strcmp (first, name) < 0? first: name;
    const char *b = a == first? name: first;
    snprintf (err, errlen, "server/enrolled: %s/%s and %s/%s hold the same public key (a copy?):"
              " a node's key is enrolled once; revoking one file would leave the other admitting"
              " it; remove the copy", dir, a, dir, b);
    return -1;
}

static int
s_check_enrolled (const char *dir, FILE *report, char *err, size_t errlen)
{
    DIR *folder = opendir (dir);
    if (!folder) {
        snprintf (err, errlen, "server/enrolled: cannot open folder %s: %s (create it and copy"
                  " each node's PUBLIC certificate into it)", dir, strerror (errno));
        return -1;
    }
    zhashx_t *keys = zhashx_new ();         //  public key -> file name (in names)
    zlistx_t *names = zlistx_new ();        //  the file names, owned
    if (!keys || !names) {
        zhashx_destroy (&keys);
        zlistx_destroy (&names);
        closedir (folder);
        snprintf (err, errlen, "server/enrolled: out of memory reading %s", dir);
        return -1;
    }
    zlistx_set_destructor (names, (zlistx_destructor_fn *) zstr_free);
    int rc = 0, count = 0;
    for (struct dirent *entry = readdir (folder); entry && rc == 0; entry = readdir (folder)) {
        if (s_ends (entry->d_name, "_secret")) {
            snprintf (err, errlen, "server/enrolled: %s/%s is a SECRET key: the enrolled folder"
                      " is for public certificates only; move it away", dir, entry->d_name);
            rc = -1;
        }
        if (rc || *entry->d_name == '.')
            continue;
        char *path = zsys_sprintf ("%s/%s", dir, entry->d_name);
        struct stat st;
        bool folder = path && stat (path, &st) == 0 && S_ISDIR (st.st_mode);
        zcert_t *cert = path && !folder && stat (path, &st) == 0 && S_ISREG (st.st_mode)
                      ? zcert_load (path): NULL;
        if (folder) {
            //  One rule with the broker (dirstamp.h): only the top level
            //  counts; say so, as an operator may have moved old ones there.
            if (report)
                fprintf (report, "  skipped  %s/: a subfolder; certificates in it are not"
                         " enrolled (only the folder itself is read)\n", entry->d_name);
            zstr_free (&path);
            continue;
        }
        if (cert) {
            char *name = strdup (entry->d_name);
            if (!name || !zlistx_add_end (names, name)) {
                free (name);
                snprintf (err, errlen, "server/enrolled: out of memory reading %s", dir);
                rc = -1;
            }
            else
                rc = s_check_duplicate (keys, dir, name, cert, err, errlen);
        }
        if (rc || !s_ends (entry->d_name, ".cert")) {
            zcert_destroy (&cert);
            zstr_free (&path);
            continue;
        }
        if (report && cert) {
            const char *expires = zcert_meta (cert, "expires");
            fprintf (report, "  enrolled %-24s %-16s %-14s %s%s\n",
                     zcert_meta (cert, "name")? zcert_meta (cert, "name"): "(no name)",
                     zcert_meta (cert, "agency")? zcert_meta (cert, "agency"): "-",
                     zcert_meta (cert, "role")? zcert_meta (cert, "role"): "(no role)",
                     expires? "expires ": "", expires? expires: "");
        }
        else
        if (report)
            fprintf (report, "  skipped  %s: not a certificate\n", entry->d_name);
        count += cert != NULL;
        zcert_destroy (&cert);
        zstr_free (&path);
    }
    closedir (folder);
    zhashx_destroy (&keys);
    zlistx_destroy (&names);
    if (rc == 0 && report)
        fprintf (report, "  %d enrolled node certificate%s in %s\n", count, count == 1? "": "s", dir);
    return rc;
}

static int
s_check_keys (const char *dir, char *err, size_t errlen)
{
    DIR *folder = opendir (dir);
    if (!folder) {
        char *copy = strdup (dir);
        struct stat st;
        int rc = copy && errno == ENOENT && stat (dirname (copy), &st) == 0
              && S_ISDIR (st.st_mode)? 0: -1;
        free (copy);
        if (rc)
            snprintf (err, errlen, "server/keys: cannot open key folder %s: %s", dir,
                      strerror (errno));
        return rc;          //  created, mode 0700, at the first start
    }
    int rc = 0;
    char why [512];
    for (struct dirent *entry = readdir (folder); entry && rc == 0; entry = readdir (folder)) {
        if (*entry->d_name == '.')
            continue;
        char *path = zsys_sprintf ("%s/%s", dir, entry->d_name);
        if (!path || keyfile_check_private (path, why, sizeof why)) {
            snprintf (err, errlen, "server/keys: %s", path? why: "out of memory");
            rc = -1;
        }
        zstr_free (&path);
    }
    closedir (folder);
    return rc;
}

static int
s_check_store (const char *store, char *err, size_t errlen)
{
    if (store_path_remote (store))
        return 0;               //  PostgreSQL: checked when the broker connects
    char *copy = strdup (store);
    struct stat st;
    const char *dir = copy? dirname (copy): ".";
    int rc = 0;
    if (stat (dir, &st) || !S_ISDIR (st.st_mode)) {
        snprintf (err, errlen, "server/store: the folder %s for %s does not exist", dir, store);
        rc = -1;
    }
    else
    if (stat (store, &st) == 0 && !S_ISREG (st.st_mode)) {
        snprintf (err, errlen, "server/store: %s is not a file", store);
        rc = -1;
    }
    free (copy);
    return rc;
}

//  Is a samhandd running on this store (holding its lock, store.c)? The
//  lock file is not created here.
static bool
s_store_in_use (const char *store)
{
    if (store_path_remote (store))
        return false;
    char *lock = zsys_sprintf ("%s.lock", store);
    int fd = lock? open (lock, O_RDWR | O_CLOEXEC): -1;
    bool held = fd >= 0 && flock (fd, LOCK_EX | LOCK_NB) != 0 && errno == EWOULDBLOCK;
    if (fd >= 0)
        close (fd);
    zstr_free (&lock);
    return held;
}

//  The previous server certificate (key rotation) passes the checks of the
//  current one, and is another key.
static int
s_check_previous (const config_t *config, char *err, size_t errlen)
{
    if (!config->previous_cert_path)
        return 0;
    if (s_check_cert (config->previous_cert_path, "server/previous_cert", err, errlen))
        return -1;
    zcert_t *now = zcert_load (config->cert_path);
    zcert_t *old = zcert_load (config->previous_cert_path);
    bool same = now && old && streq (zcert_public_txt (now), zcert_public_txt (old));
    zcert_destroy (&now);
    zcert_destroy (&old);
    if (same) {
        snprintf (err, errlen, "server/previous_cert holds the same key as server/cert: the"
                  " previous key is the one being replaced (make a new pair with"
                  " `samhand keygen NAME --server`)");
        return -1;
    }
    return 0;
}

int
confcheck_run (const config_t *config, FILE *report, char *err, size_t errlen)
{
    assert (config && err);
    char why [512];
    int rc = s_check_cert (config->cert_path, "server/cert", err, errlen)
          || s_check_previous (config, err, errlen)
          || s_check_enrolled (config->enrolled_dir, report, err, errlen)
          || s_check_keys (config->keys_dir, err, errlen)
          || s_check_store (config->store_path, err, errlen);
    //  Checking the file of a running broker (before a reload): its own
    //  endpoint is busy, and that is no fault. (At start the store lock
    //  refuses a second broker anyway.)
    if (!rc && s_can_bind (config->bind, why, sizeof why)
    &&  !(report && errno == EADDRINUSE && s_store_in_use (config->store_path))) {
        snprintf (err, errlen, "server/bind %s: %s", config->bind, why);
        rc = -1;
    }
    else
    if (!rc && report && s_store_in_use (config->store_path))
        fprintf (report, "  %s is in use by the samhandd running on this store\n", config->bind);
    //  The previous key's endpoint, while its transition lasts.
    if (!rc && config->previous_bind && zclock_time () < config->previous_until_ms
    &&  s_can_bind (config->previous_bind, why, sizeof why)
    &&  !(report && errno == EADDRINUSE && s_store_in_use (config->store_path))) {
        snprintf (err, errlen, "server/previous_bind %s: %s", config->previous_bind, why);
        rc = -1;
    }
    if (!rc && report && config->previous_bind) {
        char until [32];
        time_t when = (time_t) (config->previous_until_ms / 1000);
        strftime (until, sizeof until, "%Y-%m-%dT%H:%M:%SZ", gmtime (&when));
        if (zclock_time () < config->previous_until_ms)
            fprintf (report, "  the previous server key is accepted on %s until %s\n",
                     config->previous_bind, until);
        else
            fprintf (report, "  server/previous_until %s has passed: the previous server key is"
                     " refused and %s is not opened; remove the previous_* settings\n",
                     until, config->previous_bind);
    }
    if (rc) {
        cfgfile_t *lines = cfgfile_new (config->path);
        cfgfile_locate (lines, err, errlen);
        cfgfile_destroy (&lines);
    }
    return rc? -1: 0;
}
