/*  test_zapcerts — the ZAP handler's in-memory store of enrolled
    certificates, on a real folder of real certificates: loaded once, not
    again while nothing changes, an enrolment or revocation seen by the
    very next lookup, a certificate rewritten in place within a second,
    an unreadable folder admitting nobody. Invented node names.          */
#include "zapcerts.h"
#include "testlib.h"
#include <sys/stat.h>

static char s_dir [256];
static char s_enrolled [300];
static char s_revoked [300];

//  A new certificate's public half saved at DIR/NAME; its key in KEY.
static int
s_enrol (const char *dir, const char *name, char key [41])
{
    zcert_t *cert = zcert_new ();
    if (!cert)
        return -1;
    zcert_set_meta (cert, "name", "%s", name);
    snprintf (key, 41, "%s", zcert_public_txt (cert));
    char path [400];
    snprintf (path, sizeof path, "%s/%s", dir, name);
    int rc = zcert_save_public (cert, path);
    zcert_destroy (&cert);
    return rc;
}

//  Rewrites PATH in place (same inode, the folder's entries untouched)
//  with a new certificate's public half.
static int
s_rewrite (const char *path, char key [41])
{
    char temp [400];
    snprintf (temp, sizeof temp, "%s/rewrite.cert", s_revoked);
    zcert_t *cert = zcert_new ();
    if (!cert || zcert_save_public (cert, temp)) {
        zcert_destroy (&cert);
        return -1;
    }
    snprintf (key, 41, "%s", zcert_public_txt (cert));
    zcert_destroy (&cert);
    FILE *in = fopen (temp, "r");
    FILE *out = fopen (path, "r+");
    char buffer [4096];
    size_t size = in? fread (buffer, 1, sizeof buffer, in): 0;
    int rc = in && out && size > 0 && fwrite (buffer, 1, size, out) == size
          && ftruncate (fileno (out), (off_t) size) == 0? 0: -1;
    if (in)
        fclose (in);
    if (out && fclose (out))
        rc = -1;
    unlink (temp);
    return rc;
}

int
main (void)
{
    zsys_init ();
    snprintf (s_dir, sizeof s_dir, "/tmp/samhand-test-zapcerts-XXXXXX");
    if (!mkdtemp (s_dir)) {
        CHECK (false, "temp folder");
        return TEST_DONE ();
    }
    snprintf (s_enrolled, sizeof s_enrolled, "%s/enrolled", s_dir);
    snprintf (s_revoked, sizeof s_revoked, "%s/revoked", s_dir);
    mkdir (s_enrolled, 0700);
    mkdir (s_revoked, 0700);
    char kari [41], testa [41], hidden [41], ny [41], other [41];
    int rc = s_enrol (s_enrolled, "kari-oppdiktet.cert", kari)
          | s_enrol (s_enrolled, "testa-testesen.cert", testa)
          | s_enrol (s_enrolled, ".half-written.cert", hidden);
    //  A secret certificate beside a public one: only the public is read.
    zcert_t *secret = zcert_new ();
    char path [400];
    snprintf (path, sizeof path, "%s/vakt.cert", s_enrolled);
    char vakt [41];
    snprintf (vakt, sizeof vakt, "%s", zcert_public_txt (secret));
    rc |= zcert_save (secret, path);
    zcert_destroy (&secret);
    CHECK (rc == 0, "invented certificates written");

    //  The clock given is ahead of the files' times, so nothing looks
    //  just changed and a signature is trusted.
    int64_t now = zclock_time () + 10000;
    zapcerts_t *certs = zapcerts_new (s_enrolled, now);
    CHECK (certs && zapcerts_size (certs) == 3 && zapcerts_loads (certs) == 1,
           "loads the public certificates at start (hidden and _secret files skipped)");
    zcert_t *found = certs? zapcerts_lookup (certs, kari, now): NULL;
    CHECK (found && streq (zcert_meta (found, "name"), "kari-oppdiktet.cert"),
           "an enrolled key is found, with its metadata");
    CHECK (certs && zapcerts_lookup (certs, vakt, now), "a certificate saved with its secret is found");
    CHECK (certs && !zapcerts_lookup (certs, hidden, now), "a hidden (half-written) file admits nobody");
    CHECK (certs && !zapcerts_lookup (certs, "0000000000000000000000000000000000000000", now),
           "an unknown key is not found");
    if (!certs)
        return TEST_DONE ();

    //  What made 2,000 reconnecting nodes time out: every handshake read
    //  the whole folder. Now 3,000 lookups over 30 s read it once more at
    //  most (the start's signature may not have been trusted).
    size_t loads = zapcerts_loads (certs);
    bool all = true;
    for (int i = 0; i < 3000; i++)
        all &= zapcerts_lookup (certs, i % 2? kari: testa, now + i * 10) != NULL;
    CHECK (all && zapcerts_loads (certs) <= loads + 1,
           "3,000 lookups over 30 s with nothing changed: the folder is not loaded again");
    now += 30000;
    loads = zapcerts_loads (certs);

    //  Enrolment the way `samhand admin enroll` does it: written beside
    //  (a hidden name here), renamed in. Seen by the very next lookup,
    //  at the same instant.
    char temp [400], target [400];
    rc = s_enrol (s_enrolled, ".ny.cert.tmp", ny);
    snprintf (temp, sizeof temp, "%s/.ny.cert.tmp", s_enrolled);
    snprintf (target, sizeof target, "%s/ny.cert", s_enrolled);
    CHECK (rc == 0 && !zapcerts_lookup (certs, ny, now), "a file being written admits nobody");
    rc = rename (temp, target);
    CHECK (rc == 0 && zapcerts_lookup (certs, ny, now), "an enrolled node is admitted at the next lookup");
    CHECK (zapcerts_loads (certs) > loads, "the enrolment made a load");

    //  Revocation the way `samhand admin revoke` does it: moved out. The
    //  very next lookup refuses the key, and no later one admits it.
    snprintf (temp, sizeof temp, "%s/testa-testesen.cert", s_enrolled);
    snprintf (target, sizeof target, "%s/testa-testesen-20261201T170312Z.cert", s_revoked);
    rc = rename (temp, target);
    CHECK (rc == 0 && !zapcerts_lookup (certs, testa, now), "a revoked key is refused at the next lookup");
    all = true;
    for (int i = 1; i <= 50; i++)
        all &= !zapcerts_lookup (certs, testa, now + i * 100);
    CHECK (all, "a revoked key stays refused afterwards");
    CHECK (zapcerts_lookup (certs, kari, now), "the others are still admitted");
    //  rm, as an operator might
    snprintf (temp, sizeof temp, "%s/ny.cert", s_enrolled);
    CHECK (unlink (temp) == 0 && !zapcerts_lookup (certs, ny, now), "a deleted certificate is refused at once");
    now += 5000;

    //  Rewritten in place with another key: the folder's entries did not
    //  change; the next scan of its files (at most a second) sees it.
    snprintf (temp, sizeof temp, "%s/kari-oppdiktet.cert", s_enrolled);
    rc = s_rewrite (temp, other);
    zapcerts_lookup (certs, kari, now);
    CHECK (rc == 0 && !zapcerts_lookup (certs, kari, now + ZAPCERTS_SCAN_MS)
           && zapcerts_lookup (certs, other, now + ZAPCERTS_SCAN_MS),
           "a certificate rewritten in place: old key refused, new admitted within a second");
    now += 5000;

    //  Two files with one key: kept once, no crash.
    char dup [41];
    rc = s_enrol (s_enrolled, "dup-a.cert", dup);
    char a [400], b [400];
    snprintf (a, sizeof a, "%s/dup-a.cert", s_enrolled);
    snprintf (b, sizeof b, "%s/dup-b.cert", s_enrolled);
    zcert_t *copy = zcert_load (a);
    rc |= copy? zcert_save_public (copy, b): -1;
    zcert_destroy (&copy);
    CHECK (rc == 0 && zapcerts_lookup (certs, dup, now) && zapcerts_size (certs) == 3,
           "one key in two files: admitted, counted once");

    //  Folder gone (moved away): nobody is admitted; back: admitted again.
    char away [400];
    snprintf (away, sizeof away, "%s/enrolled-away", s_dir);
    rc = rename (s_enrolled, away);
    CHECK (rc == 0 && !zapcerts_lookup (certs, other, now) && zapcerts_size (certs) == 0,
           "the enrolled folder gone: every key refused (fail closed)");
    rc = rename (away, s_enrolled);
    CHECK (rc == 0 && zapcerts_lookup (certs, other, now + 1), "the folder back: admitted again");

    //  A subfolder is not read (one rule with the node registry and
    //  --check-config, dirstamp.h): a certificate moved to enrolled/old/
    //  is not admitted, not at once and not after a full scan.
    char old_dir [340], old_key [41];
    snprintf (old_dir, sizeof old_dir, "%s/old", s_enrolled);
    rc = mkdir (old_dir, 0700) | s_enrol (old_dir, "gammel-oppdiktet.cert", old_key);
    CHECK (rc == 0 && !zapcerts_lookup (certs, old_key, now + 3)
        && !zapcerts_lookup (certs, old_key, now + 3 + ZAPCERTS_SCAN_MS)
        && zapcerts_lookup (certs, other, now + 3 + ZAPCERTS_SCAN_MS),
           "a certificate in a subfolder of the enrolled folder is not admitted");
    now += 3 + ZAPCERTS_SCAN_MS;
    //  Moved up into the folder itself: admitted at the next lookup.
    snprintf (a, sizeof a, "%s/gammel-oppdiktet.cert", old_dir);
    snprintf (b, sizeof b, "%s/gammel-oppdiktet.cert", s_enrolled);
    CHECK (rename (a, b) == 0 && zapcerts_lookup (certs, old_key, now + 1),
           "the same certificate moved into the folder itself is admitted");

    //  An explicit reload (SIGHUP) loads whatever the checks say.
    loads = zapcerts_loads (certs);
    zapcerts_reload (certs, now + 2);
    CHECK (zapcerts_loads (certs) == loads + 1 && zapcerts_lookup (certs, vakt, now + 2),
           "reload loads the folder again");

    zapcerts_destroy (&certs);
    CHECK (certs == NULL, "destroy nulls the pointer");
    char command [600];
    snprintf (command, sizeof command, "rm -rf '%s'", s_dir);
    if (system (command) != 0)
        printf ("note: could not remove %s\n", s_dir);
    return TEST_DONE ();
}
