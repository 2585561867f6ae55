/*  test_nodes — the registry of enrolled nodes, on a real folder of real
    certificates: found by key and by name, and after each re-read of the
    folder (nodes_reload) exactly what the folder says — a revoked node not
    found, one enrolled again under a new key found only by the new key, a
    renamed file still found, a node moved to another agency found with
    it, a second certificate claiming a name taken ignored, one key in two
    files found as the first of them, an expired certificate refused, a
    folder that cannot be read leaving the registry as it was. Invented
    node names.                                                           */
#include "nodes.h"
#include "dirstamp.h"
#include "testlib.h"
#include <czmq.h>
#include <sys/stat.h>

static char s_dir [256];

//  A new certificate for NAME of AGENCY (NULL: none) and ROLE, its public
//  half saved as s_dir/FILE; its key in KEY (when not NULL). EXPIRES adds
//  that "expires" metadata.
static int
s_enrol (const char *file, const char *name, const char *agency, const char *role,
         const char *expires, char key [41])
{
    zcert_t *cert = zcert_new ();
    if (!cert)
        return -1;
    zcert_set_meta (cert, "name", "%s", name);
    if (agency)
        zcert_set_meta (cert, "agency", "%s", agency);
    zcert_set_meta (cert, "role", "%s", role);
    if (expires)
        zcert_set_meta (cert, "expires", "%s", expires);
    if (key)
        snprintf (key, 41, "%s", zcert_public_txt (cert));
    char path [400];
    snprintf (path, sizeof path, "%s/%s", s_dir, file);
    int rc = zcert_save_public (cert, path);
    zcert_destroy (&cert);
    return rc;
}

//  The certificate s_dir/FILE rewritten with another agency (same key).
static int
s_move_agency (const char *file, const char *agency)
{
    char path [400], temp [420];
    snprintf (path, sizeof path, "%s/%s", s_dir, file);
    snprintf (temp, sizeof temp, "%s.tmp", path);
    FILE *in = fopen (path, "r"), *out = fopen (temp, "w");
    char line [256];
    while (in && out && fgets (line, sizeof line, in)) {
        if (strstr (line, "agency = "))
            fprintf (out, "    agency = \"%s\"\n", agency);
        else
            fputs (line, out);
    }
    if (in)
        fclose (in);
    if (out)
        fclose (out);
    return in && out? rename (temp, path): -1;
}

//  Every node listed is the one found by its name, and by its key unless
//  a node listed before it holds the same key (the first is found).
static bool
s_consistent (nodes_t *nodes)
{
    for (size_t i = 0; i < nodes_size (nodes); i++) {
        const node_t *node = nodes_at (nodes, i);
        if (nodes_by_name (nodes, node->name) != node)
            return false;
        const node_t *first = node;
        for (size_t k = 0; k < i; k++)
            if (streq (nodes_at (nodes, k)->key, node->key)) {
                first = nodes_at (nodes, k);
                break;
            }
        if (nodes_by_key (nodes, node->key) != first)
            return false;
    }
    return true;
}

int
main (void)
{
    zsys_init ();
    snprintf (s_dir, sizeof s_dir, "/tmp/samhand-test-nodes-XXXXXX");
    if (!mkdtemp (s_dir)) {
        CHECK (false, "temp folder");
        return TEST_DONE ();
    }
    char vakt [41], politi [41], admin [41], ny [41], claim [41], late [41];
    int rc = s_enrol ("vakt.cert", "vakt", "resource_centre", "duty_operator", NULL, vakt)
           | s_enrol ("politi-risk.cert", "politi-risk", "police_risk", "team", NULL, politi)
           | s_enrol ("admin.cert", "admin", NULL, "admin", NULL, admin)
           | s_enrol ("late.cert", "late", "tryggest", "team", "2001-01-31", late);
    CHECK (rc == 0, "invented certificates enrolled");
    nodes_t *nodes = nodes_new (s_dir);
    CHECK (nodes && nodes_size (nodes) == 3, "three nodes loaded (the expired one refused)");
    if (!nodes)
        return TEST_DONE ();
    const node_t *node = nodes_by_key (nodes, vakt);
    CHECK (node && streq (node->name, "vakt") && node->agency == 1 && node->role > 0,
           "by key: the node, with its agency and role");
    CHECK (nodes_by_name (nodes, "politi-risk") && streq (nodes_by_name (nodes, "politi-risk")->key, politi),
           "by name: the node, with its key");
    CHECK (nodes_by_key (nodes, admin) && nodes_by_key (nodes, admin)->agency == 0,
           "an admin node without agency");
    CHECK (!nodes_by_key (nodes, late) && !nodes_by_name (nodes, "late"), "an expired node is not found");
    CHECK (!nodes_by_key (nodes, "0000000000000000000000000000000000000000")
        && !nodes_by_key (nodes, NULL) && !nodes_by_name (nodes, "ukjent")
        && !nodes_by_name (nodes, NULL) && !nodes_by_key (nodes, ""),
           "an unknown key or name, or none, is not found");
    //  A key differing in its last character only.
    char near [41];
    snprintf (near, sizeof near, "%s", vakt);
    near [39] = near [39] == 'a'? 'b': 'a';
    CHECK (!nodes_by_key (nodes, near), "a key one character off is not found");
    CHECK (s_consistent (nodes), "every node listed is the one found by its key and name");

    //  Revoked: its file removed.
    char path [400], path2 [400];
    snprintf (path, sizeof path, "%s/politi-risk.cert", s_dir);
    CHECK (unlink (path) == 0 && nodes_reload (nodes) == 0, "revoked, reloaded");
    CHECK (!nodes_by_key (nodes, politi) && !nodes_by_name (nodes, "politi-risk")
        && nodes_by_key (nodes, vakt) && nodes_size (nodes) == 2,
           "a revoked node is found neither by key nor by name; the others are");

    //  Enrolled again under a new key (a new certificate, same name).
    rc = s_enrol ("politi-risk.cert", "politi-risk", "police_risk", "team", NULL, ny);
    CHECK (rc == 0 && nodes_reload (nodes) == 0, "enrolled again under a new key, reloaded");
    CHECK (!nodes_by_key (nodes, politi) && nodes_by_key (nodes, ny)
        && streq (nodes_by_key (nodes, ny)->name, "politi-risk")
        && streq (nodes_by_name (nodes, "politi-risk")->key, ny),
           "re-enrolled: found by its new key only, its name gives the new key");

    //  The file renamed: the same node.
    snprintf (path, sizeof path, "%s/vakt.cert", s_dir);
    snprintf (path2, sizeof path2, "%s/vakt-2027.cert", s_dir);
    CHECK (rename (path, path2) == 0 && nodes_reload (nodes) == 0, "a file renamed, reloaded");
    CHECK (nodes_by_key (nodes, vakt) && streq (nodes_by_key (nodes, vakt)->name, "vakt")
        && nodes_by_name (nodes, "vakt") == nodes_by_key (nodes, vakt),
           "a renamed file: the same node, by key and by name");

    //  Moved to another agency (its certificate rewritten, same key).
    CHECK (s_move_agency ("vakt-2027.cert", "tryggest") == 0 && nodes_reload (nodes) == 0,
           "a node moved to another agency, reloaded");
    CHECK (nodes_by_key (nodes, vakt) && nodes_by_key (nodes, vakt)->agency == 2,
           "a node moved: found with its new agency");

    //  A second certificate claiming a name taken: ignored, whichever
    //  order the folder lists them in, one node of that name is found,
    //  and the other key is not.
    rc = s_enrol ("zz-vakt.cert", "vakt", "crisis_centre", "team", NULL, claim);
    CHECK (rc == 0 && nodes_reload (nodes) == 0, "a second certificate named vakt, reloaded");
    const node_t *by_name = nodes_by_name (nodes, "vakt");
    const node_t *by_vakt = nodes_by_key (nodes, vakt), *by_claim = nodes_by_key (nodes, claim);
    CHECK (by_name && (by_name == by_vakt || by_name == by_claim) && (!by_vakt || !by_claim)
        && nodes_size (nodes) == 3,
           "one name, two certificates: one node, found by its key and name; the other ignored");
    snprintf (path, sizeof path, "%s/zz-vakt.cert", s_dir);
    unlink (path);

    //  One key in two files under two names (an edited copy): both names
    //  are nodes, the key finds the first listed.
    snprintf (path, sizeof path, "%s/admin.cert", s_dir);
    snprintf (path2, sizeof path2, "%s/admin-kopi.cert", s_dir);
    char command [1000];
    snprintf (command, sizeof command, "sed 's/name = \"admin\"/name = \"admin-kopi\"/' '%s' > '%s'",
              path, path2);
    CHECK (system (command) == 0 && nodes_reload (nodes) == 0, "one key in two files, reloaded");
    CHECK (nodes_by_name (nodes, "admin") && nodes_by_name (nodes, "admin-kopi")
        && nodes_by_key (nodes, admin) && s_consistent (nodes),
           "one key in two files: the key finds the first listed");
    unlink (path2);

    //  Many nodes: every one found by key and name.
    for (int i = 0; i < 300; i++) {
        char file [32], name [32];
        snprintf (file, sizeof file, "n%03d.cert", i);
        snprintf (name, sizeof name, "oppdiktet-%03d", i);
        rc |= s_enrol (file, name, "tryggest", "team", NULL, NULL);
    }
    CHECK (rc == 0 && nodes_reload (nodes) == 0 && nodes_size (nodes) == 303 && s_consistent (nodes),
           "303 nodes: every one found by its key and its name");

    //  nodes_refresh reads the folder again only when it changed (the
    //  broker's every 5 s and on a key it does not know): the clock is
    //  put 10 s ahead so that the files just written are not "racy".
    int64_t t = zclock_time () + 10000;
    CHECK (nodes_refresh (nodes, t) == 0, "refresh: the first check reads (racy signature)");
    size_t loads = nodes_loads (nodes);
    CHECK (nodes_refresh (nodes, t + 1) == 0 && nodes_loads (nodes) == loads
        && nodes_refresh (nodes, t + DIRSTAMP_SCAN_MS + 1) == 0 && nodes_loads (nodes) == loads
        && nodes_size (nodes) == 303,
           "refresh: an unchanged folder is not read again (also after a full scan)");
    t += DIRSTAMP_SCAN_MS + 1;
    snprintf (path, sizeof path, "%s/n000.cert", s_dir);
    CHECK (unlink (path) == 0 && nodes_refresh (nodes, t + 2) == 0 && nodes_loads (nodes) == loads + 1
        && !nodes_by_name (nodes, "oppdiktet-000") && nodes_size (nodes) == 302,
           "refresh: a file removed is seen at the next check (revoked)");
    snprintf (path, sizeof path, "%s/n001.cert", s_dir);
    snprintf (path2, sizeof path2, "%s/n001-renamed.cert", s_dir);
    CHECK (rename (path, path2) == 0 && nodes_refresh (nodes, t + 3) == 0
        && nodes_loads (nodes) == loads + 2 && nodes_by_name (nodes, "oppdiktet-001"),
           "refresh: a file renamed is seen at the next check");
    char fresh [41];
    CHECK (s_enrol ("n000.cert", "oppdiktet-000", "tryggest", "team", NULL, fresh) == 0
        && nodes_refresh (nodes, t + 4) == 0 && nodes_by_key (nodes, fresh),
           "refresh: a file added is seen at the next check (enrolled)");
    //  Rewritten in place (same path, the folder itself unchanged): seen
    //  by the scan of every file, at most DIRSTAMP_SCAN_MS later.
    t += 10 * DIRSTAMP_SCAN_MS;
    nodes_refresh (nodes, t);                 //  a full scan now
    loads = nodes_loads (nodes);
    snprintf (path, sizeof path, "%s/n002.cert", s_dir);
    snprintf (path2, sizeof path2, "%s-n002.tmp", s_dir);    //  outside the folder
    char rewrite [2000];
    snprintf (rewrite, sizeof rewrite, "sed 's/tryggest/police_risk/' '%s' > '%s' && cat '%s' > '%s'",
              path, path2, path2, path);
    rc = system (rewrite);
    unlink (path2);
    const node_t *n002 = nodes_by_name (nodes, "oppdiktet-002");
    CHECK (rc == 0 && n002 && n002->agency == 2 && nodes_refresh (nodes, t + 1) == 0
        && nodes_loads (nodes) == loads,
           "a certificate rewritten in place (agency changed): not seen within the scan interval");
    nodes_refresh (nodes, t + DIRSTAMP_SCAN_MS + 1);
    n002 = nodes_by_name (nodes, "oppdiktet-002");
    CHECK (nodes_loads (nodes) == loads + 1 && n002 && n002->agency != 2,
           "refresh: a certificate rewritten in place is seen after DIRSTAMP_SCAN_MS");
    t += DIRSTAMP_SCAN_MS + 1;
    loads = nodes_loads (nodes);
    CHECK (nodes_reload (nodes) == 0 && nodes_loads (nodes) == loads + 1,
           "nodes_reload (SIGHUP) reads the folder whatever the check says");

    //  A subfolder is not read (one rule with the ZAP handler and
    //  --check-config): a certificate in enrolled/old/ is no node.
    char sub [300];
    snprintf (sub, sizeof sub, "%s/old", s_dir);
    CHECK (mkdir (sub, 0700) == 0 && s_enrol ("old/gammel.cert", "gammel", "tryggest", "team", NULL, NULL) == 0
        && nodes_reload (nodes) == 0 && !nodes_by_name (nodes, "gammel") && nodes_size (nodes) == 303,
           "a certificate in a subfolder of the enrolled folder is not a node");
    snprintf (path, sizeof path, "%s/old/gammel.cert", s_dir);
    unlink (path);
    rmdir (sub);

    //  The folder unreadable (moved away): the registry stays as it was.
    char away [300];
    snprintf (away, sizeof away, "%s-away", s_dir);
    CHECK (rename (s_dir, away) == 0 && nodes_reload (nodes) != 0
        && nodes_by_key (nodes, vakt) && nodes_by_name (nodes, "politi-risk") && nodes_size (nodes) == 303,
           "a folder that cannot be read: the reload fails and the registry stays");
    CHECK (rename (away, s_dir) == 0, "the folder back");
    loads = nodes_loads (nodes);
    CHECK (nodes_refresh (nodes, t + 1) == 0 && nodes_loads (nodes) == loads + 1
        && nodes_size (nodes) == 303,
           "refresh: after a folder that could not be read, the next check reads it");

    nodes_destroy (&nodes);
    CHECK (nodes == NULL, "destroy nulls the pointer");
    snprintf (command, sizeof command, "rm -rf '%s'", s_dir);
    if (system (command) != 0)
        printf ("note: could not remove %s\n", s_dir);
    return TEST_DONE ();
}
