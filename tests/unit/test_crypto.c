/*  test_crypto.c — crypto.c (sealing, hashes, pseudonyms, Ed25519) and
    keyfile.c (key files and data key directories).
    Every person, fødselsnummer and phone number here is invented; the
    fødselsnumre were generated with valid check digits from made-up dates. */
#include "crypto.h"
#include "keyfile.h"
#include "testlib.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void
s_unhex (const char *hex, uint8_t *out, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        unsigned v = 0;
        sscanf (hex + 2 * i, "%2x", &v);
        out [i] = (uint8_t) v;
    }
}

static bool
s_equals_hex (const uint8_t *data, size_t len, const char *hex)
{
    uint8_t want [128];
    if (strlen (hex) != 2 * len || len > sizeof want)
        return false;
    s_unhex (hex, want, len);
    return memcmp (data, want, len) == 0;
}

//  Opens a copy of sealed with one bit flipped at byte index at.
static int
s_open_flipped (crypto_keyring_t *ring, const uint8_t *aad, size_t aad_len,
                const uint8_t *sealed, size_t len, size_t at)
{
    uint8_t *copy = malloc (len);
    memcpy (copy, sealed, len);
    copy [at] ^= 0x01;
    uint8_t *plain = NULL;
    size_t plain_len = 0;
    int rc = crypto_open (ring, aad, aad_len, copy, len, &plain, &plain_len);
    if (rc == 0 || plain)
        rc = 0;                         //  any success counts as a failure
    free (plain);
    free (copy);
    return rc;
}

static void
s_write_file (const char *path, const char *text, mode_t mode)
{
    FILE *file = fopen (path, "w");
    if (file) {
        fputs (text, file);
        fclose (file);
    }
    chmod (path, mode);
}

static void
s_remove_tree (const char *dir)
{
    DIR *handle = opendir (dir);
    if (!handle)
        return;
    struct dirent *entry;
    char path [4096];
    while ((entry = readdir (handle))) {
        if (strcmp (entry->d_name, ".") == 0 || strcmp (entry->d_name, "..") == 0)
            continue;
        snprintf (path, sizeof path, "%s/%s", dir, entry->d_name);
        struct stat st;
        if (lstat (path, &st) == 0 && S_ISDIR (st.st_mode))
            s_remove_tree (path);
        else
            unlink (path);
    }
    closedir (handle);
    rmdir (dir);
}

static void
test_seal (void)
{
    uint8_t key1 [32], key2 [32];
    memset (key1, 0x11, sizeof key1);
    memset (key2, 0x22, sizeof key2);
    crypto_keyring_t *ring = crypto_keyring_new ();
    CHECK (ring && crypto_keyring_current (ring) == 0, "keyring starts empty");
    CHECK (crypto_keyring_add (ring, 0, key1) == -1, "keyring refuses key id 0");
    CHECK (crypto_keyring_add (ring, 1, key1) == 0
        && crypto_keyring_current (ring) == 1, "keyring add makes key current");
    CHECK (crypto_keyring_add (ring, 1, key2) == -1, "keyring refuses duplicate id");

    const char *msg = "Bekymring: Kari Testesen (oppdiktet) trenger krisebolig";
    const uint8_t *plain = (const uint8_t *) msg;
    size_t plain_len = strlen (msg);
    const uint8_t aad [] = "msg-0001";
    size_t aad_len = sizeof aad - 1;

    uint8_t *sealed = NULL, *sealed2 = NULL, *opened = NULL;
    size_t sealed_len = 0, sealed2_len = 0, opened_len = 0;
    CHECK (crypto_seal (ring, aad, aad_len, plain, plain_len,
                        &sealed, &sealed_len) == 0
        && sealed_len == plain_len + CRYPTO_SEAL_OVERHEAD
        && sealed [0] == 1 && sealed [1] == 0 && sealed [4] == 1,
           "seal output has version, key id and overhead");
    CHECK (memmem (sealed, sealed_len, "Kari", 4) == NULL,
           "sealed blob does not contain the plaintext");
    CHECK (crypto_open (ring, aad, aad_len, sealed, sealed_len,
                        &opened, &opened_len) == 0
        && opened_len == plain_len && memcmp (opened, plain, plain_len) == 0,
           "seal/open roundtrip");
    free (opened);
    opened = NULL;

    const uint8_t other [] = "msg-0002";
    CHECK (crypto_open (ring, other, sizeof other - 1, sealed, sealed_len,
                        &opened, &opened_len) == -1 && opened == NULL,
           "open with wrong AAD fails");
    CHECK (crypto_open (ring, NULL, 0, sealed, sealed_len,
                        &opened, &opened_len) == -1, "open with no AAD fails");
    CHECK (s_open_flipped (ring, aad, aad_len, sealed, sealed_len,
                           CRYPTO_SEAL_HEADER + 3) == -1,
           "flipped bit in ciphertext fails");
    CHECK (s_open_flipped (ring, aad, aad_len, sealed, sealed_len,
                           sealed_len - 1) == -1, "flipped bit in tag fails");
    CHECK (s_open_flipped (ring, aad, aad_len, sealed, sealed_len, 7) == -1,
           "flipped bit in nonce fails");
    CHECK (s_open_flipped (ring, aad, aad_len, sealed, sealed_len, 4) == -1,
           "flipped bit in key id fails");
    CHECK (s_open_flipped (ring, aad, aad_len, sealed, sealed_len, 0) == -1,
           "flipped bit in version fails");

    bool all_truncations_fail = true;
    for (size_t len = 0; len < sealed_len; len++) {
        if (crypto_open (ring, aad, aad_len, sealed, len,
                         &opened, &opened_len) == 0) {
            all_truncations_fail = false;
            free (opened);
        }
    }
    CHECK (all_truncations_fail, "every truncation fails");
    uint8_t *longer = malloc (sealed_len + 1);
    memcpy (longer, sealed, sealed_len);
    longer [sealed_len] = 0;
    CHECK (crypto_open (ring, aad, aad_len, longer, sealed_len + 1,
                        &opened, &opened_len) == -1, "appended byte fails");
    free (longer);

    CHECK (crypto_seal (ring, aad, aad_len, plain, plain_len,
                        &sealed2, &sealed2_len) == 0
        && sealed2_len == sealed_len
        && memcmp (sealed, sealed2, sealed_len) != 0
        && memcmp (sealed + 5, sealed2 + 5, CRYPTO_NONCE_LEN) != 0,
           "two seals of the same plaintext differ (random nonce)");
    free (sealed2);
    sealed2 = NULL;

    uint8_t *empty = NULL;
    size_t empty_len = 0;
    CHECK (crypto_seal (ring, NULL, 0, NULL, 0, &empty, &empty_len) == 0
        && empty_len == CRYPTO_SEAL_OVERHEAD
        && crypto_open (ring, NULL, 0, empty, empty_len,
                        &opened, &opened_len) == 0
        && opened != NULL && opened_len == 0,
           "empty plaintext roundtrip");
    free (opened);
    opened = NULL;
    free (empty);

    //  Rotation: key 2 arrives and becomes current; key 1 data still opens
    uint32_t key_id = 0;
    CHECK (crypto_sealed_key_id (sealed, sealed_len, &key_id) == 0
        && key_id == 1, "sealed key id reads 1");
    CHECK (crypto_keyring_add (ring, 2, key2) == 0
        && crypto_keyring_current (ring) == 2
        && crypto_keyring_size (ring) == 2, "rotation: key 2 becomes current");
    CHECK (crypto_open (ring, aad, aad_len, sealed, sealed_len,
                        &opened, &opened_len) == 0
        && opened_len == plain_len && memcmp (opened, plain, plain_len) == 0,
           "rotation: data sealed with key 1 still opens");
    free (opened);
    opened = NULL;
    CHECK (crypto_seal (ring, aad, aad_len, plain, plain_len,
                        &sealed2, &sealed2_len) == 0
        && crypto_sealed_key_id (sealed2, sealed2_len, &key_id) == 0
        && key_id == 2, "rotation: new data uses key 2");

    //  A blob relabelled to another key the ring does hold must not open
    uint8_t *relabel = malloc (sealed_len);
    memcpy (relabel, sealed, sealed_len);
    relabel [4] = 2;
    CHECK (crypto_open (ring, aad, aad_len, relabel, sealed_len,
                        &opened, &opened_len) == -1,
           "blob relabelled to another known key id fails");
    relabel [4] = 9;
    CHECK (crypto_open (ring, aad, aad_len, relabel, sealed_len,
                        &opened, &opened_len) == -1, "unknown key id fails");
    free (relabel);

    CHECK (crypto_keyring_set_current (ring, 1) == 0
        && crypto_keyring_current (ring) == 1
        && crypto_keyring_set_current (ring, 99) == -1
        && crypto_keyring_current (ring) == 1,
           "set current accepts known ids only");

    crypto_keyring_t *only2 = crypto_keyring_new ();
    crypto_keyring_add (only2, 2, key2);
    CHECK (crypto_open (only2, aad, aad_len, sealed, sealed_len,
                        &opened, &opened_len) == -1
        && crypto_open (only2, aad, aad_len, sealed2, sealed2_len,
                        &opened, &opened_len) == 0,
           "ring without key 1 refuses key 1 data, opens key 2 data");
    free (opened);
    crypto_keyring_destroy (&only2);

    free (sealed2);
    crypto_keyring_t *none = crypto_keyring_new ();
    CHECK (crypto_seal (none, aad, aad_len, plain, plain_len,
                        &sealed2, &sealed2_len) == -1 && sealed2 == NULL,
           "seal with an empty keyring fails");
    crypto_keyring_destroy (&none);
    free (sealed);
    crypto_keyring_destroy (&ring);
    CHECK (ring == NULL, "keyring destroy nulls the pointer");
}

static void
test_hashes (void)
{
    //  RFC 4231 keys are shorter than 32 bytes; HMAC zero-pads keys to the
    //  block size, so the key padded with zeros to 32 bytes is the same key
    uint8_t key [32] = { 0 }, mac [32], digest [32];
    memset (key, 0x0b, 20);
    CHECK (crypto_hmac_sha256 (key, "Hi There", 8, mac) == 0
        && s_equals_hex (mac, 32, "b0344c61d8db38535ca8afceaf0bf12b"
                                  "881dc200c9833da726e9376c2e32cff7"),
           "HMAC-SHA256 RFC 4231 test case 1");
    memset (key, 0, sizeof key);
    memcpy (key, "Jefe", 4);
    const char *data = "what do ya want for nothing?";
    CHECK (crypto_hmac_sha256 (key, data, strlen (data), mac) == 0
        && s_equals_hex (mac, 32, "5bdcc146bf60754e6a042426089575c7"
                                  "5a003f089d2739839dec58b964ec3843"),
           "HMAC-SHA256 RFC 4231 test case 2");
    CHECK (crypto_sha256 ("abc", 3, digest) == 0
        && s_equals_hex (digest, 32, "ba7816bf8f01cfea414140de5dae2223"
                                     "b00361a396177a9cb410ff61f20015ad"),
           "SHA-256 of \"abc\"");
    CHECK (crypto_sha256 (NULL, 0, digest) == 0
        && s_equals_hex (digest, 32, "e3b0c44298fc1c149afbf4c8996fb924"
                                     "27ae41e4649b934ca495991b7852b855"),
           "SHA-256 of the empty string");
    CHECK (crypto_memeq ("abcd", "abcd", 4) == 1
        && crypto_memeq ("abcd", "abce", 4) == 0, "constant-time compare");
}

static void
test_subject_key (void)
{
    uint8_t secret [32], secret2 [32];
    memset (secret, 0x5a, sizeof secret);
    memset (secret2, 0x5b, sizeof secret2);
    uint8_t a [32], b [32], c [32];

    CHECK (crypto_subject_key (secret, "010190 12057", NULL, NULL, NULL, a) == 0
        && crypto_subject_key (secret, "01019012057", NULL, NULL, NULL, b) == 0
        && memcmp (a, b, 32) == 0,
           "subject key: national id formatting does not matter");
    CHECK (crypto_subject_key (secret, "15038549682", NULL, NULL, NULL, c) == 0
        && memcmp (a, c, 32) != 0,
           "subject key: different national ids differ");
    CHECK (crypto_subject_key (secret2, "01019012057", NULL, NULL, NULL, c) == 0
        && memcmp (a, c, 32) != 0,
           "subject key: depends on the broker secret");

    CHECK (crypto_subject_key (secret, NULL, "  Kari   TESTESEN ", "1990-01-01",
                               NULL, a) == 0
        && crypto_subject_key (secret, "", "kari testesen", " 1990-01-01\n",
                               NULL, b) == 0
        && memcmp (a, b, 32) == 0,
           "subject key: name case and whitespace do not matter");
    CHECK (crypto_subject_key (secret, NULL, "ØYVIND ÆRLIG ÅSMUNDSEN",
                               "1985-03-15", NULL, a) == 0
        && crypto_subject_key (secret, NULL, "øyvind ærlig åsmundsen",
                               "1985-03-15", NULL, b) == 0
        && memcmp (a, b, 32) == 0,
           "subject key: ØYVIND ÆRLIG ÅSMUNDSEN == øyvind ærlig åsmundsen");
    //  "Åse" typed on a system that sends A + combining ring (NFD)
    CHECK (crypto_subject_key (secret, NULL, "\xC3\x85se Oppdiktet",
                               "1985-03-15", NULL, a) == 0
        && crypto_subject_key (secret, NULL, "A\xCC\x8Ase oppdiktet",
                               "1985-03-15", NULL, b) == 0
        && memcmp (a, b, 32) == 0,
           "subject key: decomposed Å equals precomposed Å");
    CHECK (crypto_subject_key (secret, NULL, "Kari Testesen", "1990-01-02",
                               NULL, c) == 0
        && crypto_subject_key (secret, NULL, "Kari Testesen", "1990-01-01",
                               NULL, a) == 0
        && memcmp (a, c, 32) != 0,
           "subject key: different birth dates differ");
    CHECK (crypto_subject_key (secret, NULL, "Kari Testesen", "1990-02-30",
                               NULL, a) == -1
        && crypto_subject_key (secret, NULL, "Kari Testesen", "01.01.1990",
                               NULL, a) == -1
        && crypto_subject_key (secret, NULL, "   ", "1990-01-01",
                               NULL, a) == -1,
           "subject key: impossible date, other date format, blank name refused");

    CHECK (crypto_subject_key (secret, NULL, NULL, NULL, "+47 912 34 567", a) == 0
        && crypto_subject_key (secret, NULL, NULL, NULL, "91234567", b) == 0
        && crypto_subject_key (secret, NULL, NULL, NULL, "0047 91234567", c) == 0
        && memcmp (a, b, 32) == 0 && memcmp (a, c, 32) == 0,
           "subject key: +47 912 34 567 == 91234567 == 0047 91234567");
    CHECK (crypto_subject_key (secret, NULL, NULL, NULL, "+46 70 123 45 67", a) == -1
        && crypto_subject_key (secret, NULL, NULL, NULL, "9123456", a) == -1
        && crypto_subject_key (secret, NULL, NULL, NULL, "912x4567", a) == -1,
           "subject key: foreign, short and non-numeric phones refused");

    crypto_subject_key (secret, "01019012057", NULL, NULL, NULL, b);
    CHECK (crypto_subject_key (secret, "01019012057", "Ola Oppdiktet",
                               "1990-01-01", "91234567", a) == 0
        && memcmp (a, b, 32) == 0, "subject key: national id wins");
    crypto_subject_key (secret, NULL, "Ola Oppdiktet", "1990-01-01", NULL, b);
    CHECK (crypto_subject_key (secret, "0101901205", "Ola Oppdiktet",
                               "1990-01-01", "91234567", a) == 0
        && memcmp (a, b, 32) == 0,
           "subject key: malformed national id falls back to name + birth date");
    crypto_subject_key (secret, NULL, NULL, NULL, "91234567", b);
    CHECK (crypto_subject_key (secret, NULL, "Ola Oppdiktet", NULL,
                               "91234567", a) == 0
        && memcmp (a, b, 32) == 0,
           "subject key: name without birth date falls back to phone");
    memset (a, 0xEE, sizeof a);
    CHECK (crypto_subject_key (secret, NULL, NULL, NULL, NULL, a) == -1
        && crypto_subject_key (secret, "123", "Ola", NULL, "12", a) == -1
        && a [0] == 0 && a [31] == 0,
           "subject key: none usable returns -1 and a wiped output");
}

static bool
s_case_ref_well_formed (const char *ref, const char *prefix)
{
    size_t plen = strlen (prefix);
    if (strlen (ref) != plen + 15 || strncmp (ref, prefix, plen))
        return false;
    for (size_t i = 0; i < 15; i++) {
        char c = ref [plen + i];
        if (i % 5 == 0) {
            if (c != '-')
                return false;
        }
        else
        if (!strchr ("23456789ABCDEFGHJKLMNPQRSTUVWXYZ", c))
            return false;
    }
    return true;
}

static void
test_case_ref (void)
{
    uint8_t secret [32], subject [32], subject2 [32];
    memset (secret, 0x42, sizeof secret);
    crypto_subject_key (secret, "01019012057", NULL, NULL, NULL, subject);
    crypto_subject_key (secret, "15038549682", NULL, NULL, NULL, subject2);

    const char *prefixes [4] = { "RC", "TE", "PR", "KS" };
    char refs [4][CRYPTO_CASE_REF_LEN];
    bool formed = true;
    for (int i = 0; i < 4; i++)
        if (crypto_case_ref (secret, prefixes [i], subject, refs [i])
        ||  !s_case_ref_well_formed (refs [i], prefixes [i]))
            formed = false;
    printf ("# example case refs: %s %s %s %s\n",
            refs [0], refs [1], refs [2], refs [3]);
    CHECK (formed, "case refs look like PR-XXXX-XXXX-XXXX without 0 O 1 I");
    bool distinct = true;
    for (int i = 0; i < 4; i++)
        for (int j = i + 1; j < 4; j++)
            if (strcmp (refs [i] + 2, refs [j] + 2) == 0)
                distinct = false;
    CHECK (distinct, "case refs differ between agencies beyond the prefix");
    char again [CRYPTO_CASE_REF_LEN], other [CRYPTO_CASE_REF_LEN];
    CHECK (crypto_case_ref (secret, "PR", subject, again) == 0
        && strcmp (again, refs [2]) == 0, "case ref is stable");
    CHECK (crypto_case_ref (secret, "PR", subject2, other) == 0
        && strcmp (other, refs [2]) != 0, "case refs differ between subjects");
    strcpy (other, "x");
    CHECK (crypto_case_ref (secret, "pr", subject, other) == -1
        && other [0] == 0
        && crypto_case_ref (secret, "TOOLONG", subject, other) == -1
        && crypto_case_ref (secret, "", subject, other) == -1,
           "case ref refuses bad prefixes");
}

static void
test_ed25519 (void)
{
    //  RFC 8032 section 7.1, test 1 (empty message)
    uint8_t priv [32], pub [32], derived [32], sig [64];
    s_unhex ("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
             priv, 32);
    CHECK (crypto_ed25519_public (priv, derived) == 0
        && s_equals_hex (derived, 32, "d75a980182b10ab7d54bfed3c964073a"
                                      "0ee172f3daa62325af021a68f707511a")
        && crypto_ed25519_sign (priv, "", 0, sig) == 0
        && s_equals_hex (sig, 64, "e5564300c360ac729086e2cc806e828a"
                                  "84877f1eb8e5d974d873e06522490155"
                                  "5fb8821590a33bacc61e39701cf9b46b"
                                  "d25bf5f0595bbe24655141438e7a100b"),
           "Ed25519 RFC 8032 test 1");

    const char *head = "audit head 42 3f1c...";
    CHECK (crypto_ed25519_keypair (priv, pub) == 0
        && crypto_ed25519_public (priv, derived) == 0
        && memcmp (pub, derived, 32) == 0, "Ed25519 keypair, public from private");
    CHECK (crypto_ed25519_sign (priv, head, strlen (head), sig) == 0
        && crypto_ed25519_verify (pub, head, strlen (head), sig) == 0,
           "Ed25519 sign then verify");
    CHECK (crypto_ed25519_verify (pub, "audit head 43 3f1c...",
                                  strlen (head), sig) == -1,
           "Ed25519 verify fails on a changed message");
    sig [10] ^= 1;
    CHECK (crypto_ed25519_verify (pub, head, strlen (head), sig) == -1,
           "Ed25519 verify fails on a changed signature");
    sig [10] ^= 1;
    uint8_t priv2 [32], pub2 [32];
    crypto_ed25519_keypair (priv2, pub2);
    CHECK (crypto_ed25519_verify (pub2, head, strlen (head), sig) == -1,
           "Ed25519 verify fails under another public key");
}

static void
test_keyfile (const char *dir)
{
    char path [512], err [512];
    uint8_t key [32], loaded [32];
    for (int i = 0; i < 32; i++)
        key [i] = (uint8_t) (i * 7 + 1);

    snprintf (path, sizeof path, "%s/broker.key", dir);
    mode_t old_umask = umask (0);       //  create must not trust the umask
    int rc = keyfile_create (path, key, sizeof key);
    umask (old_umask);
    struct stat st;
    CHECK (rc == 0 && stat (path, &st) == 0 && (st.st_mode & 07777) == 0600,
           "keyfile create makes a 0600 file even with umask 0");
    err [0] = 0;
    CHECK (keyfile_load (path, loaded, sizeof loaded, err, sizeof err) == 0
        && memcmp (key, loaded, 32) == 0, "keyfile create then load");
    CHECK (keyfile_create (path, key, sizeof key) == -1 && errno == EEXIST
        && keyfile_load (path, loaded, sizeof loaded, err, sizeof err) == 0
        && memcmp (key, loaded, 32) == 0,
           "keyfile create refuses to overwrite");

    chmod (path, 0644);
    err [0] = 0;
    CHECK (keyfile_load (path, loaded, sizeof loaded, err, sizeof err) == -1
        && strstr (err, "mode 0644") && strstr (err, "readable by")
        && strstr (err, "chmod 600") && strstr (err, path),
           "keyfile 0644 refused with a message naming the mode");
    printf ("# %s\n", err);
    chmod (path, 0620);
    CHECK (keyfile_load (path, loaded, sizeof loaded, err, sizeof err) == -1
        && strstr (err, "writable by group") && strstr (err, "0620"),
           "keyfile group-writable refused");
    chmod (path, 0600);

    if (geteuid () == 0 && chown (path, 65534, 65534) == 0) {
        CHECK (keyfile_load (path, loaded, sizeof loaded, err, sizeof err) == -1
            && strstr (err, "owned by uid 65534"),
               "keyfile owned by another user refused");
        if (chown (path, 0, 0))
            printf ("# chown back failed\n");
    }

    snprintf (path, sizeof path, "%s/missing.key", dir);
    err [0] = 0;
    CHECK (keyfile_load (path, loaded, sizeof loaded, err, sizeof err) == -1
        && strstr (err, "missing.key") && strstr (err, "No such file"),
           "missing keyfile refused");
    printf ("# %s\n", err);

    snprintf (path, sizeof path, "%s/short.key", dir);
    s_write_file (path, "0001020304050607080900010203040506070809000102030405060708090a\n",
                  0600);
    err [0] = 0;
    CHECK (keyfile_load (path, loaded, sizeof loaded, err, sizeof err) == -1
        && strstr (err, "wrong length"), "keyfile of wrong length refused");
    snprintf (path, sizeof path, "%s/long.key", dir);
    s_write_file (path, "000102030405060708090001020304050607080900010203040506070809"
                        "0a0b0c\n", 0600);
    CHECK (keyfile_load (path, loaded, sizeof loaded, err, sizeof err) == -1
        && strstr (err, "wrong length"), "keyfile too long refused");
    snprintf (path, sizeof path, "%s/nothex.key", dir);
    s_write_file (path, "zz0102030405060708090001020304050607080900010203040506070809"
                        "0a0b\n", 0600);
    CHECK (keyfile_load (path, loaded, sizeof loaded, err, sizeof err) == -1
        && strstr (err, "not hexadecimal"), "keyfile with non-hex refused");
    snprintf (path, sizeof path, "%s/nonl.key", dir);
    s_write_file (path, "000102030405060708090001020304050607080900010203040506070809"
                        "0A0B", 0600);
    CHECK (keyfile_load (path, loaded, sizeof loaded, err, sizeof err) == 0
        && loaded [0] == 0 && loaded [30] == 0x0a && loaded [31] == 0x0b,
           "keyfile without newline, upper-case hex loads");
    CHECK (keyfile_load (dir, loaded, sizeof loaded, err, sizeof err) == -1
        && strstr (err, "not a regular file"),
           "directory as keyfile refused");
}

static void
test_ring_dir (const char *dir)
{
    char keys [512], path [600], err [512];
    snprintf (keys, sizeof keys, "%s/keys", dir);
    mkdir (keys, 0700);

    err [0] = 0;
    crypto_keyring_t *ring = keyfile_load_ring (keys, err, sizeof err);
    CHECK (ring == NULL && strstr (err, "no data keys"),
           "keyring dir with no keys refused");

    uint32_t id1 = 0, id2 = 0, id3 = 0;
    CHECK (keyfile_new_data_key (keys, &id1) == 0 && id1 == 1
        && keyfile_new_data_key (keys, &id2) == 0 && id2 == 2,
           "new data key creates ids 1 then 2");
    snprintf (path, sizeof path, "%s/README", keys);
    s_write_file (path, "not a key\n", 0644);
    snprintf (path, sizeof path, "%s/data-key-07.key", keys);
    s_write_file (path, "not a key\n", 0644);

    ring = keyfile_load_ring (keys, err, sizeof err);
    CHECK (ring && crypto_keyring_size (ring) == 2
        && crypto_keyring_current (ring) == 2,
           "keyring dir loads both keys, current is the highest id");
    const uint8_t aad [] = "msg-0003";
    const uint8_t plain [] = "Risikoendring for Ola Oppdiktet (oppdiktet)";
    uint8_t *sealed = NULL, *opened = NULL;
    size_t sealed_len = 0, opened_len = 0;
    uint32_t key_id = 0;
    CHECK (crypto_seal (ring, aad, sizeof aad, plain, sizeof plain,
                        &sealed, &sealed_len) == 0
        && crypto_sealed_key_id (sealed, sealed_len, &key_id) == 0
        && key_id == 2, "sealing with a loaded ring uses the highest key");
    crypto_keyring_destroy (&ring);

    CHECK (keyfile_new_data_key (keys, &id3) == 0 && id3 == 3,
           "rotation creates key 3");
    ring = keyfile_load_ring (keys, err, sizeof err);
    CHECK (ring && crypto_keyring_current (ring) == 3
        && crypto_open (ring, aad, sizeof aad, sealed, sealed_len,
                        &opened, &opened_len) == 0
        && opened_len == sizeof plain && memcmp (opened, plain, sizeof plain) == 0,
           "after rotation the reloaded ring opens key 2 data");
    free (opened);
    free (sealed);
    crypto_keyring_destroy (&ring);

    snprintf (path, sizeof path, "%s/data-key-2.key", keys);
    chmod (path, 0644);
    err [0] = 0;
    ring = keyfile_load_ring (keys, err, sizeof err);
    CHECK (ring == NULL && strstr (err, "data-key-2.key") && strstr (err, "0644"),
           "keyring dir with an unsafe key file refused");
    crypto_keyring_destroy (&ring);

    snprintf (path, sizeof path, "%s/nowhere", dir);
    CHECK (keyfile_load_ring (path, err, sizeof err) == NULL
        && strstr (err, "cannot open key directory")
        && keyfile_new_data_key (path, &id1) == -1,
           "missing keyring dir refused");
}

//  Crypto-shredding: period numbering, sealing under the period of a
//  retention's end, the one-way ratchet and the "shredded" result.
static void
test_periods (void)
{
    //  Monday 2026-11-30 00:00 UTC is 1795996800 s; periods are weeks.
    int64_t monday = 1795996800000LL;
    int64_t p = crypto_period_of (monday);
    CHECK (crypto_period_start_ms (p) == monday
        && crypto_period_of (monday - 1) == p - 1
        && crypto_period_of (monday + CRYPTO_PERIOD_MS - 1) == p
        && crypto_period_of (monday + CRYPTO_PERIOD_MS) == p + 1,
           "periods are weeks from Monday 00:00 UTC");
    CHECK (crypto_period_of (CRYPTO_PERIOD_EPOCH_MS) == 0 && crypto_period_of (0) == -1,
           "period 0 starts Monday 1970-01-05");
    CHECK (crypto_key_period (crypto_period_key_id (p)) == p && crypto_key_period (7) == -1
        && (crypto_period_key_id (p) & CRYPTO_PERIOD_BIT),
           "period key ids never meet data key ids");

    uint8_t seed [32], aad [16] = "invented-msg-id";
    const uint8_t plain [] = "Invented: Kari Oppdiktet, bekymring etter hjemmebesøk";
    memset (seed, 0x5a, sizeof seed);
    crypto_keyring_t *ring = crypto_keyring_new ();
    uint8_t *sealed = NULL, *later = NULL, *opened = NULL;
    size_t sealed_len = 0, later_len = 0, opened_len = 0;
    CHECK (crypto_seal_until (ring, monday, aad, 16, plain, sizeof plain, &sealed, &sealed_len) == -1
        && !sealed, "no sealing under a period without a ratchet");
    CHECK (crypto_keyring_set_ratchet (ring, p, seed) == 0 && crypto_keyring_ratchet_period (ring) == p,
           "the ratchet starts at its period");
    //  Retention ends on Wednesday of period p, and of period p + 3.
    int64_t end = monday + 2 * 24 * 3600 * 1000LL;
    uint32_t id = 0;
    CHECK (crypto_seal_until (ring, end, aad, 16, plain, sizeof plain, &sealed, &sealed_len) == 0
        && crypto_sealed_key_id (sealed, sealed_len, &id) == 0 && id == crypto_period_key_id (p),
           "content is sealed under the key of the week its retention ends");
    CHECK (crypto_seal_until (ring, end + 3 * CRYPTO_PERIOD_MS, aad, 16, plain, sizeof plain,
                              &later, &later_len) == 0
        && crypto_sealed_key_id (later, later_len, &id) == 0 && id == crypto_period_key_id (p + 3),
           "a later retention end, a later period's key");
    CHECK (crypto_seal_until (ring, monday - 1, aad, 16, plain, sizeof plain, &opened, &opened_len) == -1,
           "nothing is sealed under a period before the ratchet");
    CHECK (crypto_seal_until (ring, monday + CRYPTO_PERIOD_AHEAD * CRYPTO_PERIOD_MS, aad, 16,
                              plain, sizeof plain, &opened, &opened_len) == -1,
           "nor too far ahead");

    //  A second ring from the same seed (a copy of the keys directory)
    //  opens both; a ring started from the next seed opens only the later.
    crypto_keyring_t *copy = crypto_keyring_new ();
    uint8_t next [32], advanced [32];
    CHECK (crypto_keyring_set_ratchet (copy, p, seed) == 0
        && crypto_open (copy, aad, 16, later, later_len, &opened, &opened_len) == 0
        && opened_len == sizeof plain && memcmp (opened, plain, sizeof plain) == 0,
           "a copy of the seed derives the later period's key");
    free (opened);
    opened = NULL;
    CHECK (crypto_period_next_seed (seed, next) == 0
        && crypto_keyring_ratchet_advance (ring, advanced) == 0
        && memcmp (advanced, next, 32) == 0 && crypto_keyring_ratchet_period (ring) == p + 1,
           "advancing the ratchet gives the next seed");
    int rc = crypto_open (ring, aad, 16, sealed, sealed_len, &opened, &opened_len);
    CHECK (rc == CRYPTO_SHREDDED && !opened, "content of the passed period is shredded, not damaged");
    CHECK (crypto_open (ring, aad, 16, later, later_len, &opened, &opened_len) == 0,
           "content of later periods still opens");
    free (opened);
    opened = NULL;
    crypto_keyring_t *fresh = crypto_keyring_new ();
    CHECK (crypto_keyring_set_ratchet (fresh, p + 1, next) == 0
        && crypto_open (fresh, aad, 16, sealed, sealed_len, &opened, &opened_len) == CRYPTO_SHREDDED
        && crypto_open (fresh, aad, 16, later, later_len, &opened, &opened_len) == 0,
           "the next seed alone cannot open the passed period");
    free (opened);
    opened = NULL;
    //  Damage is still damage, not "shredded".
    sealed [sealed_len - 1] ^= 1;
    CHECK (crypto_open (copy, aad, 16, sealed, sealed_len, &opened, &opened_len) == -1,
           "a damaged blob of a live period is -1");
    crypto_keyring_destroy (&fresh);
    crypto_keyring_destroy (&copy);
    crypto_keyring_destroy (&ring);
    free (sealed);
    free (later);
}

static void
test_keyfile_shred (const char *dir)
{
    char path [300];
    uint8_t key [32];
    memset (key, 0x11, sizeof key);
    snprintf (path, sizeof path, "%s/period-key-7.key", dir);
    CHECK (keyfile_create (path, key, 32) == 0, "a period key file is made");
    int fd = open (path, O_RDONLY);
    CHECK (keyfile_shred (path) == 0 && access (path, F_OK) != 0, "keyfile_shred removes it");
    char buf [80];
    ssize_t n = fd >= 0? read (fd, buf, sizeof buf): -1;
    bool zeros = n == 65;
    for (ssize_t i = 0; i < n; i++)
        zeros = zeros && buf [i] == 0;
    CHECK (zeros, "its bytes were overwritten before the unlink");
    if (fd >= 0)
        close (fd);
    CHECK (keyfile_shred (path) == 0, "shredding a file already gone is fine (a retry)");
}

int
main (void)
{
    test_seal ();
    test_hashes ();
    test_subject_key ();
    test_case_ref ();
    test_ed25519 ();
    test_periods ();

    char dir [] = "/tmp/samhand-test-crypto-XXXXXX";
    CHECK (mkdtemp (dir) != NULL, "temporary directory");
    test_keyfile (dir);
    test_ring_dir (dir);
    test_keyfile_shred (dir);
    s_remove_tree (dir);
    return TEST_DONE ();
}
