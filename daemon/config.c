/*  config — ZPL file to config_t. See config.h.                            */
#include "config.h"
#include "store.h"
#include "cfgfile.h"
#include "confcheck.h"
#include "samhand.pb-c.h"
#include <czmq.h>
#include <libgen.h>
#include <netdb.h>
#include "metrics.h"

//  Every section/key the file may hold, in one table: a name not here is
//  refused with a did-you-mean (a misspelt key would silently give the
//  default). Add a key here when config_load learns to read it.
static const char *const known_keys [] = {
    "server/bind", "server/cert", "server/enrolled", "server/store", "server/keys",
    "server/log", "server/log_level", "server/names_dict", "server/metrics_bind",
    "server/state_dir", "server/previous_cert", "server/previous_bind", "server/previous_until",
    "server/name", "server/standby",
    "limits/max_frame", "limits/inflight_window", "limits/max_outbox",
    "limits/redeliver_after", "limits/batch", "limits/heartbeat_ivl",
    "routes/concern_report", "routes/risk_change", "routes/case_discussion",
    "routes/case_status", "routes/risk_plan",
    "roles/duty_operator", "roles/coordinator", "roles/team", "roles/admin",
    "subscriptions/duty_operator", "subscriptions/coordinator", "subscriptions/team",
    "subscriptions/admin",
    "ttl/concern_report", "ttl/risk_change", "ttl/case_discussion", "ttl/case_status",
    "ttl/consent_notice", "ttl/alert", "ttl/risk_plan",
    "workflow/escalate_after", "workflow/escalate_every", "workflow/status_every",
    "workflow/max_attempts", "workflow/tick",
    "retention/concern_report", "retention/risk_change", "retention/case_discussion",
    "retention/case_status", "retention/consent_notice", "retention/alert",
    "retention/risk_plan",
    "retention/check_every",
    "audit/sign_every",
    NULL
};

static const char *agency_names [] = {
    NULL, "resource_centre", "tryggest", "police_risk", "crisis_centre"
};
static const char *kind_names [] = {
    NULL, "concern_report", "risk_change", "case_discussion", "case_status",
    "consent_notice", "alert", "risk_plan"
};
static const char *role_names [] = {
    NULL, "duty_operator", "coordinator", "team", "admin"
};

int
config_agency_from_name (const char *name)
{
    for (int i = 1; i < 5; i++)
        if (name && streq (name, agency_names [i]))
            return i;
    return -1;
}

const char *
config_agency_name (int agency)
{
    return agency > 0 && agency < 5? agency_names [agency]: "none";
}

const char *
config_kind_name (int kind)
{
    return kind > 0 && kind < 8? kind_names [kind]: "unknown";
}

int
config_role_from_name (const char *name)
{
    for (int i = 1; i < CONFIG_ROLES; i++)
        if (name && streq (name, role_names [i]))
            return i;
    return -1;
}

const char *
config_role_name (int role)
{
    return role > 0 && role < CONFIG_ROLES? role_names [role]: "none";
}

//  Splits a comma-separated list and maps each item through lookup; items
//  are trimmed of spaces. Returns the bitmask or -1 on an unknown item.
static int64_t
s_parse_list (const char *list, int (*lookup) (const char *))
{
    int64_t mask = 0;
    char buf [512];
    if (!list)
        return 0;
    if (strlen (list) >= sizeof buf)
        return -1;
    strcpy (buf, list);
    char *save = NULL;
    for (char *item = strtok_r (buf, ", ", &save); item; item = strtok_r (NULL, ", ", &save)) {
        int value = lookup (item);
        if (value < 0)
            return -1;
        mask |= value == 31? KIND_BIT_CONSENT: (1u << value);
    }
    return mask;
}

static int
s_kind_lookup (const char *name)
{
    if (streq (name, "consent"))
        return 31;
    for (int i = 1; i < CONFIG_KINDS; i++)
        if (streq (name, kind_names [i]))
            return i;
    return -1;
}

int64_t
config_parse_agencies (const char *list)
{
    return s_parse_list (list, config_agency_from_name);
}

int64_t
config_parse_kinds (const char *list)
{
    return s_parse_list (list, s_kind_lookup);
}

//  Resolves a path relative to the config file's directory. Caller frees.
static char *
s_resolve (const char *base_dir, const char *path)
{
    if (!path || !*path)
        return NULL;
    if (*path == '/')
        return strdup (path);
    char *full = zsys_sprintf ("%s/%s", base_dir, path);
    return full;
}

static int
s_int (zconfig_t *root, const char *path, int dflt, int min, int max,
       const char *name, char *err, size_t errlen, int *out)
{
    const char *text = zconfig_get (root, path, NULL);
    if (!text) {
        *out = dflt;
        return 0;
    }
    char *end = NULL;
    long value = strtol (text, &end, 10);
    if (!*text || *end || value < min || value > max) {
        snprintf (err, errlen, "%s must be a whole number from %d to %d, not '%s'",
                  name, min, max, text);
        return -1;
    }
    *out = (int) value;
    return 0;
}

static const char *default_routes [CONFIG_KINDS] = {
    NULL,
    "resource_centre,tryggest,police_risk,crisis_centre",
    "resource_centre,tryggest,police_risk,crisis_centre",
    "resource_centre,tryggest,police_risk,crisis_centre",
    "resource_centre",
    NULL, NULL,
    "resource_centre,tryggest,police_risk,crisis_centre"
};
static const char *default_role_kinds [CONFIG_ROLES] = {
    NULL, "concern_report",
    "concern_report,risk_change,case_discussion,case_status,consent,risk_plan",
    "concern_report,case_discussion,case_status", ""
};
static const char *default_role_subs [CONFIG_ROLES] = {
    NULL, "concern_report,risk_change,alert,risk_plan",     //  the duty phone must know the current risk
    "concern_report,risk_change,case_discussion,case_status,consent_notice,alert,risk_plan",
    "concern_report,risk_change,case_discussion,consent_notice,alert,risk_plan", "alert"
};

static int
s_load_tables (config_t *self, zconfig_t *root, char *err, size_t errlen)
{
    for (int kind = 1; kind < CONFIG_KINDS; kind++) {
        if (!default_routes [kind])
            continue;
        char path [64];
        snprintf (path, sizeof path, "routes/%s", kind_names [kind]);
        const char *list = zconfig_get (root, path, default_routes [kind]);
        int64_t mask = config_parse_agencies (list);
        if (mask < 0) {
            snprintf (err, errlen, "%s: unknown agency in '%s'", path, list);
            return -1;
        }
        self->routes [kind] = (uint32_t) mask;
    }
    for (int role = 1; role < CONFIG_ROLES; role++) {
        char path [64];
        snprintf (path, sizeof path, "roles/%s", role_names [role]);
        const char *list = zconfig_get (root, path, default_role_kinds [role]);
        int64_t mask = config_parse_kinds (list);
        if (mask < 0) {
            snprintf (err, errlen, "%s: unknown kind in '%s'", path, list);
            return -1;
        }
        self->role_kinds [role] = (uint32_t) mask;
        snprintf (path, sizeof path, "subscriptions/%s", role_names [role]);
        list = zconfig_get (root, path, default_role_subs [role]);
        mask = config_parse_kinds (list);
        if (mask < 0 || (mask & KIND_BIT_CONSENT)) {
            snprintf (err, errlen, "%s: unknown kind in '%s'", path, list);
            return -1;
        }
        self->role_subscriptions [role] = (uint32_t) mask;
    }
    return 0;
}

int64_t
config_parse_duration (const char *text)
{
    char *end = NULL;
    if (!text || !*text)
        return -1;
    long long value = strtoll (text, &end, 10);
    if (end == text || value < 0 || value > 100000)
        return -1;
    int64_t unit = 86400000;
    if (*end == 's') unit = 1000;
    else if (*end == 'm') unit = 60000;
    else if (*end == 'h') unit = 3600000;
    else if (*end == 'd' || *end == 0) unit = 86400000;
    else return -1;
    if (*end && end [1])
        return -1;
    return (int64_t) value * unit;
}

#define RETENTION_MAX_MS (7000LL * 24 * 3600 * 1000)

//  Personal data is kept per kind for as long as the config says; the
//  defaults follow the seeds' practice: discussions a month, case data a year.
static int
s_load_retention (config_t *self, zconfig_t *root, char *err, size_t errlen)
{
    static const char *defaults [CONFIG_KINDS] = {
        NULL, "365d", "365d", "30d", "365d", "365d", "90d", "365d" };
    for (int kind = 1; kind < CONFIG_KINDS; kind++) {
        if (!defaults [kind])
            continue;
        char path [64];
        snprintf (path, sizeof path, "retention/%s", kind_names [kind]);
        const char *text = zconfig_get (root, path, defaults [kind]);
        self->retention_ms [kind] = config_parse_duration (text);
        if (self->retention_ms [kind] <= 0) {
            snprintf (err, errlen, "%s must be a duration like 30d, 12h or 90s, not '%s'", path, text);
            return -1;
        }
        //  Content is sealed under the key of the week its retention ends,
        //  derivable at most CRYPTO_PERIOD_AHEAD weeks ahead (crypto.h).
        if (self->retention_ms [kind] > RETENTION_MAX_MS) {
            snprintf (err, errlen, "%s must be at most 7000d, not '%s'", path, text);
            return -1;
        }
    }
    return 0;
}

static int
s_duration (zconfig_t *root, const char *path, const char *dflt, int64_t *out,
            char *err, size_t errlen)
{
    const char *text = zconfig_get (root, path, dflt);
    *out = config_parse_duration (text);
    if (*out <= 0) {
        snprintf (err, errlen, "%s must be a duration like 5m, 7d or 90s, not '%s'", path, text);
        return -1;
    }
    return 0;
}

//  Time to live per kind, and the workflow's deadlines. The defaults follow
//  the seeds: acute concerns are escalated after 5 minutes, a high-risk case
//  wants a status report every week.
static int
s_load_workflow (config_t *self, zconfig_t *root, char *err, size_t errlen)
{
    static const char *ttl [CONFIG_KINDS] = {
        NULL, "7d", "30d", "14d", "14d", "30d", "2d", "30d" };
    for (int kind = 1; kind < CONFIG_KINDS; kind++) {
        if (!ttl [kind])
            continue;
        char path [64];
        snprintf (path, sizeof path, "ttl/%s", kind_names [kind]);
        if (s_duration (root, path, ttl [kind], &self->ttl_ms [kind], err, errlen))
            return -1;
    }
    if (s_duration (root, "workflow/escalate_after", "5m", &self->escalate_after_ms, err, errlen)
    ||  s_duration (root, "workflow/escalate_every", "5m", &self->escalate_every_ms, err, errlen)
    ||  s_duration (root, "workflow/status_every", "7d", &self->status_every_ms, err, errlen)
    ||  s_duration (root, "workflow/tick", "1s", &self->timer_tick_ms, err, errlen)
    ||  s_int (root, "workflow/max_attempts", 10, 1, 1000, "workflow/max_attempts",
               err, errlen, &self->max_attempts))
        return -1;
    return 0;
}

static int
s_load_limits (config_t *self, zconfig_t *root, char *err, size_t errlen)
{
    int max_frame, seconds;
    if (s_int (root, "limits/max_frame", 65536, 1024, 16 * 1024 * 1024,
               "limits/max_frame", err, errlen, &max_frame)
    ||  s_int (root, "limits/inflight_window", 64, 1, 100000,
               "limits/inflight_window", err, errlen, &self->inflight_window)
    ||  s_int (root, "limits/max_outbox", 10000, 1, 10000000,
               "limits/max_outbox", err, errlen, &self->max_outbox)
    ||  s_int (root, "limits/redeliver_after", 30, 1, 86400,
               "limits/redeliver_after", err, errlen, &seconds)
    ||  s_int (root, "limits/batch", 512, 1, 100000,
               "limits/batch", err, errlen, &self->batch)
    ||  s_int (root, "limits/heartbeat_ivl", 5000, 100, 600000,
               "limits/heartbeat_ivl", err, errlen, &self->heartbeat_ms)
    ||  s_int (root, "audit/sign_every", 60, 1, 86400,
               "audit/sign_every", err, errlen, &self->audit_sign_every_s)
    ||  s_int (root, "retention/check_every", 60, 1, 86400,
               "retention/check_every", err, errlen, &self->purge_every_s))
        return -1;
    self->max_frame = (size_t) max_frame;
    self->redeliver_after_ms = seconds * 1000;
    return 0;
}

//  "2027-01-31" (00:00 UTC) or "2027-01-31T12:00:00Z" as unix ms; -1 if
//  malformed.
static int64_t
s_parse_moment (const char *text)
{
    struct tm tm;
    memset (&tm, 0, sizeof tm);
    const char *end = strptime (text, "%Y-%m-%dT%H:%M:%SZ", &tm);
    if (!end || *end) {
        memset (&tm, 0, sizeof tm);
        end = strptime (text, "%Y-%m-%d", &tm);
    }
    if (!end || *end)
        return -1;
    time_t when = timegm (&tm);
    return when > 0? (int64_t) when * 1000: -1;
}

//  An ipc path as the kernel sees it: its folder resolved (".", "//", "..",
//  links), then its file name. Unresolvable: the text as written.
static void
s_ipc_path (const char *path, char out [PATH_MAX])
{
    snprintf (out, PATH_MAX, "%s", path);
    char folder [PATH_MAX], resolved [PATH_MAX];
    const char *slash = strrchr (path, '/');
    if (!slash)
        snprintf (folder, sizeof folder, ".");
    else
    if (slash == path)
        snprintf (folder, sizeof folder, "/");
    else
        snprintf (folder, sizeof folder, "%.*s", (int) (slash - path), path);
    const char *file = slash? slash + 1: path;
    if (realpath (folder, resolved)
    &&  snprintf (out, PATH_MAX, "%s/%s", streq (resolved, "/")? "": resolved, file) >= PATH_MAX)
        snprintf (out, PATH_MAX, "%s", path);
}

//  True when the two endpoints would listen on one address: libzmq's ipc
//  bind removes the file already there, so "ipc:///run/s//b.sock" took
//  "ipc:///run/s/b.sock" away from the current key (every node on the new
//  key refused, and the broker deaf once the previous endpoint closed).
//  Likewise one tcp port on hosts that overlap.
static bool
s_same_endpoint (const char *a, const char *b)
{
    if (streq (a, b))
        return true;
    if (strncmp (a, "ipc://", 6) == 0 && strncmp (b, "ipc://", 6) == 0) {
        char pa [PATH_MAX], pb [PATH_MAX];
        s_ipc_path (a + 6, pa);
        s_ipc_path (b + 6, pb);
        return streq (pa, pb);
    }
    if (strncmp (a, "tcp://", 6) || strncmp (b, "tcp://", 6))
        return false;
    const char *ca = strrchr (a + 6, ':'), *cb = strrchr (b + 6, ':');
    if (!ca || !cb || !streq (ca, cb) || streq (ca + 1, "*") || streq (ca + 1, "!"))
        return false;           //  ephemeral ports never clash
    char ha [256], hb [256];
    snprintf (ha, sizeof ha, "%.*s", (int) (ca - a - 6), a + 6);
    snprintf (hb, sizeof hb, "%.*s", (int) (cb - b - 6), b + 6);
    if (streq (ha, "*") || streq (hb, "*"))
        return true;
    struct addrinfo hints = { .ai_flags = AI_PASSIVE, .ai_socktype = SOCK_STREAM };
    struct addrinfo *ra = NULL, *rb = NULL;
    bool same = false;
    for (int i = 0; i < 2; i++) {
        char *h = i? hb: ha;
        size_t n = strlen (h);
        if (n >= 2 && h [0] == '[' && h [n - 1] == ']') {
            memmove (h, h + 1, n - 2);
            h [n - 2] = 0;
        }
    }
    if (getaddrinfo (ha, NULL, &hints, &ra) == 0 && getaddrinfo (hb, NULL, &hints, &rb) == 0)
        for (struct addrinfo *x = ra; x && !same; x = x->ai_next)
            for (struct addrinfo *y = rb; y && !same; y = y->ai_next) {
                const struct sockaddr_in *x4 = (const struct sockaddr_in *) x->ai_addr;
                const struct sockaddr_in *y4 = (const struct sockaddr_in *) y->ai_addr;
                if (x->ai_family == AF_INET && y->ai_family == AF_INET)
                    same = x4->sin_addr.s_addr == y4->sin_addr.s_addr
                        || x4->sin_addr.s_addr == htonl (INADDR_ANY)
                        || y4->sin_addr.s_addr == htonl (INADDR_ANY);
            }
    if (ra)
        freeaddrinfo (ra);
    if (rb)
        freeaddrinfo (rb);
    return same;
}

//  Server key rotation: the previous certificate, the endpoint where it is
//  still accepted, and until when. All three or none.
static int
s_load_previous (config_t *self, zconfig_t *root, const char *base, char *err, size_t errlen)
{
    const char *cert = zconfig_get (root, "server/previous_cert", NULL);
    const char *bind = zconfig_get (root, "server/previous_bind", NULL);
    const char *until = zconfig_get (root, "server/previous_until", NULL);
    if (!cert && !bind && !until)
        return 0;
    if (!cert || !*cert || !bind || !*bind || !until || !*until) {
        //  Named after a key that is there, so the error has its line.
        snprintf (err, errlen, "server/previous_%s: server/previous_%s is missing: previous_cert,"
                  " previous_bind and previous_until go together (the old server key, where it"
                  " is still accepted, and until when)",
                  cert && *cert? "cert": bind && *bind? "bind": "until",
                  !cert || !*cert? "cert": !bind || !*bind? "bind": "until");
        return -1;
    }
    char why [256];
    if (confcheck_endpoint (bind, why, sizeof why)) {
        snprintf (err, errlen, "server/previous_bind '%s': %s", bind, why);
        return -1;
    }
    if (s_same_endpoint (bind, self->bind)) {
        snprintf (err, errlen, "server/previous_bind must differ from server/bind (one endpoint"
                  " has one server key): the new key on a new endpoint, the old on the old");
        return -1;
    }
    self->previous_until_ms = s_parse_moment (until);
    if (self->previous_until_ms < 0) {
        snprintf (err, errlen, "server/previous_until must be a UTC date like 2027-01-31 or"
                  " 2027-01-31T12:00:00Z, not '%s'", until);
        return -1;
    }
    self->previous_cert_path = s_resolve (base, cert);
    self->previous_bind = strdup (bind);
    if (!self->previous_cert_path || !self->previous_bind) {
        snprintf (err, errlen, "out of memory");
        return -1;
    }
    return 0;
}

//  Active and standby (issue 13): the broker's name, and whether it waits
//  while another broker leads the store.
static int
s_load_leadership (config_t *self, zconfig_t *root, char *err, size_t errlen)
{
    const char *name = zconfig_get (root, "server/name", NULL);
    char host [64] = "";
    if (!name) {
        if (gethostname (host, sizeof host - 1) || !*host)
            snprintf (host, sizeof host, "samhandd");
        name = host;
    }
    size_t len = strlen (name);
    bool ok = len > 0 && len < 64;
    for (size_t i = 0; ok && i < len; i++)
        ok = isalnum ((unsigned char) name [i]) || strchr ("-_.", name [i]);
    if (!ok) {
        snprintf (err, errlen, "server/name must be 1-63 letters, digits, '-', '_' or '.',"
                  " not '%s'", name);
        return -1;
    }
    self->name = strdup (name);
    const char *standby = zconfig_get (root, "server/standby", "no");
    if (!streq (standby, "yes") && !streq (standby, "no")) {
        snprintf (err, errlen, "server/standby must be yes (wait while another broker leads"
                  " the store) or no (refuse to start), not '%s'", standby);
        return -1;
    }
    self->standby = streq (standby, "yes");
    if (!self->name) {
        snprintf (err, errlen, "out of memory");
        return -1;
    }
    return 0;
}

config_t *
config_load (const char *file, char *err, size_t errlen)
{
    cfgfile_t *lines = cfgfile_new (file);
    if (!lines) {
        snprintf (err, errlen, "%s: cannot read config file: %s", file, strerror (errno));
        return NULL;
    }
    if (cfgfile_check (lines, known_keys, err, errlen)) {
        cfgfile_destroy (&lines);
        return NULL;
    }
    zconfig_t *root = zconfig_load (file);
    if (!root) {
        snprintf (err, errlen, "%s: cannot parse config file (ZPL: 4 spaces per level,"
                  " name = \"value\")", file);
        cfgfile_destroy (&lines);
        return NULL;
    }
    config_t *self = (config_t *) zmalloc (sizeof (config_t));
    char *copy = strdup (file);
    char *base = copy? dirname (copy): NULL;
    int rc = -1;
    if (!self || !base)
        goto done;
    self->path = strdup (file);
    const char *bind = zconfig_get (root, "server/bind", NULL);
    if (!bind || !*bind) {
        snprintf (err, errlen, "server/bind is missing");
        goto done;
    }
    self->bind = strdup (bind);
    char why [256];
    if (confcheck_endpoint (bind, why, sizeof why)) {
        snprintf (err, errlen, "server/bind '%s': %s", bind, why);
        goto done;
    }
    self->cert_path = s_resolve (base, zconfig_get (root, "server/cert", NULL));
    self->enrolled_dir = s_resolve (base, zconfig_get (root, "server/enrolled", NULL));
    //  State (store, keys) resolves against state_dir, so a config in /etc
    //  keeps its data under /var/lib; without it, beside the config (the
    //  demo's self-contained folder).
    const char *state = zconfig_get (root, "server/state_dir", NULL);
    self->state_dir = state? s_resolve (base, state): strdup (base);
    if (!self->state_dir) {
        snprintf (err, errlen, "server/state_dir must not be empty");
        goto done;
    }
    //  A PostgreSQL store (URI or conninfo) is no path: taken as it is.
    const char *store = zconfig_get (root, "server/store", NULL);
    self->store_path = store && *store && store_path_remote (store)
                     ? strdup (store): s_resolve (self->state_dir, store);
    self->keys_dir = s_resolve (self->state_dir, zconfig_get (root, "server/keys", "keys"));
    if (!self->cert_path || !self->enrolled_dir || !self->store_path) {
        snprintf (err, errlen, "server/cert, server/enrolled and server/store are required");
        goto done;
    }
    //  Without its word list the scanner would pass full names: refuse to
    //  start rather than scan less (the broker loads and checks it whole).
    self->names_dict = s_resolve (base, zconfig_get (root, "server/names_dict",
                                                     CONFIG_NAMES_DICT_DEFAULT));
    if (!self->names_dict || access (self->names_dict, R_OK) != 0) {
        snprintf (err, errlen, "server/names_dict %s cannot be read (install the wnorwegian"
                  " package or name another word list)", self->names_dict? self->names_dict: "");
        goto done;
    }
    if (s_load_previous (self, root, base, err, errlen))
        goto done;
    const char *metrics = zconfig_get (root, "server/metrics_bind", NULL);
    if (metrics) {
        char why [200];
        if (metrics_bind_check (metrics, why, sizeof why)) {
            snprintf (err, errlen, "server/%s", why);
            goto done;
        }
        self->metrics_bind = strdup (metrics);
    }
    if (s_load_leadership (self, root, err, errlen))
        goto done;
    const char *log = zconfig_get (root, "server/log", "stderr");
    if (!streq (log, "stderr") && !streq (log, "syslog")) {
        snprintf (err, errlen, "server/log must be stderr or syslog, not '%s'", log);
        goto done;
    }
    self->log_syslog = streq (log, "syslog");
    const char *level = zconfig_get (root, "server/log_level", "info");
    self->log_level = config_log_level (level);
    if (self->log_level < 0) {
        snprintf (err, errlen, "server/log_level must be error, warning, notice, info or debug,"
                  " not '%s'", level);
        goto done;
    }
    if (s_load_limits (self, root, err, errlen) || s_load_tables (self, root, err, errlen)
    ||  s_load_retention (self, root, err, errlen) || s_load_workflow (self, root, err, errlen))
        goto done;
    rc = 0;
done:
    if (rc)
        cfgfile_locate (lines, err, errlen);
    cfgfile_destroy (&lines);
    free (copy);
    zconfig_destroy (&root);
    if (rc)
        config_destroy (&self);
    return self;
}

int
config_log_level (const char *name)
{
    static const char *levels [] = { "error", "warning", "notice", "info", "debug" };
    for (int i = 0; name && i < 5; i++)
        if (streq (name, levels [i]))
            return i + 3;           //  LOG_ERR .. LOG_DEBUG
    return -1;
}

static bool
s_differs (const char *a, const char *b)
{
    return (a == NULL) != (b == NULL) || (a && strcmp (a, b));
}

int
config_apply_reload (config_t *self, const config_t *fresh)
{
    int restart = s_differs (self->bind, fresh->bind) || s_differs (self->cert_path, fresh->cert_path)
               || s_differs (self->enrolled_dir, fresh->enrolled_dir)
               || s_differs (self->store_path, fresh->store_path)
               || s_differs (self->keys_dir, fresh->keys_dir)
               || s_differs (self->names_dict, fresh->names_dict)
               || s_differs (self->metrics_bind, fresh->metrics_bind)
               || s_differs (self->previous_cert_path, fresh->previous_cert_path)
               || s_differs (self->previous_bind, fresh->previous_bind)
               || self->previous_until_ms != fresh->previous_until_ms
               || s_differs (self->name, fresh->name) || self->standby != fresh->standby
               || self->log_syslog != fresh->log_syslog || self->max_frame != fresh->max_frame
               || self->heartbeat_ms != fresh->heartbeat_ms;
    //  Copy field by field what is safe to change in flight.
    self->inflight_window = fresh->inflight_window;
    self->max_outbox = fresh->max_outbox;
    self->redeliver_after_ms = fresh->redeliver_after_ms;
    self->batch = fresh->batch;
    self->audit_sign_every_s = fresh->audit_sign_every_s;
    self->purge_every_s = fresh->purge_every_s;
    memcpy (self->routes, fresh->routes, sizeof self->routes);
    memcpy (self->role_kinds, fresh->role_kinds, sizeof self->role_kinds);
    memcpy (self->role_subscriptions, fresh->role_subscriptions, sizeof self->role_subscriptions);
    memcpy (self->retention_ms, fresh->retention_ms, sizeof self->retention_ms);
    memcpy (self->ttl_ms, fresh->ttl_ms, sizeof self->ttl_ms);
    self->max_attempts = fresh->max_attempts;
    self->escalate_after_ms = fresh->escalate_after_ms;
    self->escalate_every_ms = fresh->escalate_every_ms;
    self->status_every_ms = fresh->status_every_ms;
    self->timer_tick_ms = fresh->timer_tick_ms;
    self->log_level = fresh->log_level;
    return restart;
}

void
config_destroy (config_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    config_t *self = *self_p;
    free (self->path);
    free (self->bind);
    free (self->cert_path);
    free (self->enrolled_dir);
    free (self->store_path);
    free (self->keys_dir);
    free (self->names_dict);
    free (self->state_dir);
    free (self->metrics_bind);
    free (self->previous_cert_path);
    free (self->previous_bind);
    free (self->name);
    free (self);
    *self_p = NULL;
}
