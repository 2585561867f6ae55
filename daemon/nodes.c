/*  nodes — enrolled node registry. See nodes.h.                            */
#include "nodes.h"
#include "config.h"
#include "dirstamp.h"
#include <czmq.h>

struct _nodes_t {
    char   *dir;
    node_t *nodes;
    size_t  size;
    //  Every frame looks its sender up by key, every cycle each session
    //  by name: hashed (a linear search was 2,000 compares per frame with
    //  2,000 nodes). Both point into nodes; made again with it by each
    //  reload. A key held by two nodes finds the first, as the list did.
    zhashx_t *by_key;        //  Z85 key -> node_t * (not owned)
    zhashx_t *by_name;       //  name -> node_t * (not owned)
    zhash_t *told;           //  key -> what the log was last told about its expiry
    dirstamp_t stamp;        //  the folder when it was last read
    size_t loads;            //  times it was read (tests)
};

//  A certificate's "expires" metadata ("2027-01-31T00:00:00Z" or
//  "2027-01-31", UTC) as unix seconds; -1 if malformed.
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
    if (!end || *end)
        return -1;
    return (int64_t) timegm (&tm);
}

//  Expiry: an expired certificate is refused (fail closed, as a malformed
//  date is); one that expires within 30 days is warned about. Each is said
//  once per state, not at every re-read of the folder. 0 to accept.
#define NODES_WARN_DAYS 30
static int
s_check_expiry (nodes_t *self, zcert_t *cert, const char *file, const char *name)
{
    const char *expires = zcert_meta (cert, "expires");
    if (!expires)
        return 0;
    int64_t when = s_parse_expires (expires);
    int64_t now = (int64_t) time (NULL);
    const char *state = when < 0? "malformed": when <= now? "expired"
                      : when - now <= NODES_WARN_DAYS * 86400LL? "soon": "fine";
    const char *key = zcert_public_txt (cert);
    const char *before = self->told? (const char *) zhash_lookup (self->told, key): NULL;
    if (self->told && (!before || !streq (before, state))) {
        if (streq (state, "malformed"))
            //  Not echoed: whatever it holds would go into the log as it is.
            zsys_warning ("nodes: %s (%s) has an unreadable expires (want YYYY-MM-DD or"
                          " YYYY-MM-DDTHH:MM:SSZ): refused", name, file);
        else
        if (streq (state, "expired"))
            zsys_warning ("nodes: %s (%s): certificate expired on %s: refused; make a new one"
                          " (samhand keygen --days N) and enrol it", name, file, expires);
        else
        if (streq (state, "soon"))
            zsys_warning ("nodes: %s (%s): certificate expires on %s, in %d days: make a new"
                          " one (samhand keygen --days N) and enrol it", name, file, expires,
                          (int) ((when - now) / 86400));
        zhash_update (self->told, key, (void *) state);
    }
    return streq (state, "fine") || streq (state, "soon")? 0: -1;
}

//  A node name as `samhand admin enroll` and keygen allow it: letters,
//  digits, '.', '_' and '-', not starting with '.'. The broker checks it
//  too: a certificate copied in by hand (cp) bypasses enroll, and a name
//  goes as it is into the log, the metrics, the audit and every other
//  agency's view of who sent what ("politi ESC[2J" cleared a terminal).
static bool
s_name_ok (const char *name)
{
    size_t n = strlen (name);
    for (size_t i = 0; i < n; i++) {
        char c = name [i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
        ||  c == '.' || c == '_' || c == '-'))
            return false;
    }
    return n > 0 && name [0] != '.';
}

static int
s_node_from_cert (zcert_t *cert, const char *file, node_t *node)
{
    const char *name = zcert_meta (cert, "name");
    const char *agency = zcert_meta (cert, "agency");
    const char *role = zcert_meta (cert, "role");
    memset (node, 0, sizeof *node);
    snprintf (node->key, sizeof node->key, "%s", zcert_public_txt (cert));
    node->role = role? config_role_from_name (role): -1;
    node->agency = agency && *agency? config_agency_from_name (agency): 0;
    if (!name || !s_name_ok (name) || strlen (name) >= sizeof node->name
    ||  node->role < 0 || node->agency < 0
    ||  (node->agency == 0 && node->role != 4)) {
        zsys_warning ("nodes: %s has missing or unknown name/agency/role metadata: ignored", file);
        return -1;
    }
    snprintf (node->name, sizeof node->name, "%s", name);
    return 0;
}

static int
s_add_cert (const char *path, const char *name, void *arg)
{
    size_t len = strlen (name);
    if (len < 5 || strcmp (name + len - 5, ".cert"))
        return 0;
    char *copy = strdup (path);
    if (!copy || !zlistx_add_end ((zlistx_t *) arg, copy)) {
        free (copy);
        return -1;
    }
    return 0;
}

//  Reads the folder; NOW_MS (unix ms) dates the folder's stamp.
static int
s_reload (nodes_t *self, int64_t now_ms)
{
    //  Taken before reading: a change made meanwhile shows next time.
    dirstamp_t stamp;
    dirstamp_take (&stamp, self->dir, now_ms);
    //  The files that count (dirstamp.h: top level only, as the ZAP
    //  handler reads them), in name order; of those, the *.cert ones.
    zlistx_t *paths = zlistx_new ();
    if (paths) {
        zlistx_set_destructor (paths, (zlistx_destructor_fn *) zstr_free);
        zlistx_set_comparator (paths, (zlistx_comparator_fn *) strcmp);
    }
    if (!paths || dirstamp_each (self->dir, s_add_cert, paths) != 0) {
        zsys_error ("nodes: cannot read enrolled directory %s", self->dir);
        zlistx_destroy (&paths);
        dirstamp_clear (&self->stamp);
        return -1;
    }
    zlistx_sort (paths);
    node_t *nodes = (node_t *) calloc (zlistx_size (paths) + 1, sizeof (node_t));
    zhashx_t *by_key = zhashx_new (), *by_name = zhashx_new ();
    if (!by_key || !by_name) {
        free (nodes);
        nodes = NULL;       //  out of memory: the registry stays as it was
    }
    size_t size = 0;
    for (const char *path = nodes? (const char *) zlistx_first (paths): NULL; path;
         path = (const char *) zlistx_next (paths)) {
        zcert_t *cert = zcert_load (path);
        if (!cert)
            continue;
        node_t node;
        if (s_node_from_cert (cert, path, &node) == 0
        &&  s_check_expiry (self, cert, path, node.name) == 0) {
            const char *expires = zcert_meta (cert, "expires");
            int64_t when = expires? s_parse_expires (expires): 0;
            node.expires_ms = when > 0? when * 1000: 0;
            if (zhashx_lookup (by_name, node.name))
                zsys_warning ("nodes: duplicate node name %s in %s: ignored", node.name, path);
            else {
                nodes [size] = node;
                zhashx_insert (by_name, node.name, &nodes [size]);
                zhashx_insert (by_key, node.key, &nodes [size]);   //  the first keeps it
                size++;
            }
        }
        zcert_destroy (&cert);
    }
    zlistx_destroy (&paths);
    if (!nodes) {
        zhashx_destroy (&by_key);
        zhashx_destroy (&by_name);
        dirstamp_clear (&self->stamp);
        return -1;
    }
    free (self->nodes);
    zhashx_destroy (&self->by_key);
    zhashx_destroy (&self->by_name);
    self->nodes = nodes;
    self->size = size;
    self->by_key = by_key;
    self->by_name = by_name;
    self->stamp = stamp;
    self->loads++;
    return 0;
}

int
nodes_reload (nodes_t *self)
{
    assert (self);
    return s_reload (self, zclock_time ());
}

int
nodes_refresh (nodes_t *self, int64_t now_ms)
{
    assert (self);
    if (!dirstamp_changed (&self->stamp, self->dir, now_ms))
        return 0;
    return s_reload (self, now_ms);
}

size_t
nodes_loads (nodes_t *self)
{
    assert (self);
    return self->loads;
}

nodes_t *
nodes_new (const char *dir)
{
    nodes_t *self = (nodes_t *) zmalloc (sizeof (nodes_t));
    if (!self)
        return NULL;
    self->dir = strdup (dir);
    self->told = zhash_new ();
    if (!self->dir || !self->told || nodes_reload (self)) {
        nodes_destroy (&self);
        return NULL;
    }
    return self;
}

void
nodes_destroy (nodes_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    nodes_t *self = *self_p;
    free (self->dir);
    free (self->nodes);
    zhashx_destroy (&self->by_key);
    zhashx_destroy (&self->by_name);
    zhash_destroy (&self->told);
    free (self);
    *self_p = NULL;
}

const node_t *
nodes_by_key (nodes_t *self, const char *key)
{
    assert (self);
    return key? (const node_t *) zhashx_lookup (self->by_key, key): NULL;
}

const node_t *
nodes_by_name (nodes_t *self, const char *name)
{
    assert (self);
    return name? (const node_t *) zhashx_lookup (self->by_name, name): NULL;
}

size_t
nodes_size (nodes_t *self)
{
    return self->size;
}

const node_t *
nodes_at (nodes_t *self, size_t index)
{
    return index < self->size? &self->nodes [index]: NULL;
}
