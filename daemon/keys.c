/*  keys — loads and creates the broker's key files. See keys.h.            */
#include "keys.h"
#include "keyfile.h"
#include <czmq.h>
#include <sys/stat.h>
#include <dirent.h>

struct _keys_t {
    char *dir;
    crypto_keyring_t *ring;
    int64_t period;               //  oldest live period, -1 without period keys
    uint8_t seed [32];            //  its seed (the content of its key file)
    int64_t unshredded;           //  a passed period whose file is still there, or -1
    uint8_t subject [32];
    uint8_t pseudonym [32];
    uint8_t scanner [32];
    uint8_t sign_priv [32];
    uint8_t sign_pub [32];
};

static const char *secret_files [] = { "subject.key", "pseudonym.key", "scanner.key",
                                       "audit-sign.key" };

static int
s_create_missing (const char *dir, char *err, size_t errlen)
{
    if (mkdir (dir, 0700) && errno != EEXIST) {
        snprintf (err, errlen, "cannot create key directory %s: %s", dir, strerror (errno));
        return -1;
    }
    for (size_t i = 0; i < sizeof secret_files / sizeof *secret_files; i++) {
        char *path = zsys_sprintf ("%s/%s", dir, secret_files [i]);
        uint8_t key [32], pub [32];
        int rc = 0;
        if (path && access (path, F_OK) != 0) {
            rc = i == 3? crypto_ed25519_keypair (key, pub): crypto_random (key, 32);
            if (rc == 0)
                rc = keyfile_create (path, key, 32);
            crypto_cleanse (key, sizeof key);
        }
        if (!path || rc) {
            snprintf (err, errlen, "cannot create key file %s/%s", dir, secret_files [i]);
            zstr_free (&path);
            return -1;
        }
        zstr_free (&path);
    }
    char *probe = zsys_sprintf ("%s/data-key-1.key", dir);
    uint32_t id;
    int rc = probe && access (probe, F_OK) != 0? keyfile_new_data_key (dir, &id): 0;
    zstr_free (&probe);
    if (rc) {
        snprintf (err, errlen, "cannot create a data key in %s", dir);
        return -1;
    }
    return 0;
}

static int
s_load_secret (const char *dir, const char *name, uint8_t out [32], char *err, size_t errlen)
{
    char *path = zsys_sprintf ("%s/%s", dir, name);
    int rc = path? keyfile_load (path, out, 32, err, errlen): -1;
    zstr_free (&path);
    return rc;
}

#define PERIOD_PREFIX "period-key-"

static char *
s_period_path (keys_t *self, int64_t period)
{
    return zsys_sprintf ("%s/" PERIOD_PREFIX "%" PRId64 ".key", self->dir, period);
}

//  The oldest period-key-N.key is the ratchet's state; a newer one is
//  what a shred interrupted after writing its successor left (the shred is
//  done again, see keys_shred_oldest). None: no period keys yet.
static int
s_load_periods (keys_t *self, char *err, size_t errlen)
{
    self->period = -1;
    self->unshredded = -1;
    DIR *dir = opendir (self->dir);
    if (!dir) {
        snprintf (err, errlen, "cannot read key directory %s: %s", self->dir, strerror (errno));
        return -1;
    }
    struct dirent *entry;
    int64_t oldest = -1;
    while ((entry = readdir (dir))) {
        const char *name = entry->d_name;
        size_t len = strlen (name), plen = strlen (PERIOD_PREFIX);
        if (len <= plen + 4 || strncmp (name, PERIOD_PREFIX, plen) || strcmp (name + len - 4, ".key"))
            continue;
        char *end = NULL;
        long long n = strtoll (name + plen, &end, 10);
        //  One name per period: digits only, no leading zero.
        bool digits = name [plen] != '0' || len == plen + 5;
        for (size_t i = plen; i < len - 4; i++)
            digits = digits && name [i] >= '0' && name [i] <= '9';
        if (!digits || end != name + len - 4 || n < 0
        ||  n >= (long long) CRYPTO_PERIOD_BIT - CRYPTO_PERIOD_AHEAD)
            continue;
        if (oldest < 0 || n < oldest)
            oldest = n;
    }
    closedir (dir);
    if (oldest < 0)
        return 0;
    char *path = s_period_path (self, oldest);
    int rc = path? keyfile_load (path, self->seed, 32, err, errlen): -1;
    zstr_free (&path);
    if (rc || crypto_keyring_set_ratchet (self->ring, oldest, self->seed)) {
        if (!rc)
            snprintf (err, errlen, "cannot use the period keys in %s", self->dir);
        return -1;
    }
    self->period = oldest;
    return 0;
}

keys_t *
keys_new (const char *dir, bool create, char *err, size_t errlen)
{
    if (create && s_create_missing (dir, err, errlen))
        return NULL;
    keys_t *self = (keys_t *) zmalloc (sizeof (keys_t));
    if (!self)
        return NULL;
    self->dir = strdup (dir);
    self->ring = keyfile_load_ring (dir, err, errlen);
    if (!self->dir || !self->ring
    ||  s_load_secret (dir, "subject.key", self->subject, err, errlen)
    ||  s_load_secret (dir, "pseudonym.key", self->pseudonym, err, errlen)
    ||  s_load_secret (dir, "scanner.key", self->scanner, err, errlen)
    ||  s_load_secret (dir, "audit-sign.key", self->sign_priv, err, errlen)
    ||  crypto_ed25519_public (self->sign_priv, self->sign_pub)
    ||  s_load_periods (self, err, errlen)) {
        keys_destroy (&self);
        return NULL;
    }
    return self;
}

void
keys_destroy (keys_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    keys_t *self = *self_p;
    crypto_keyring_destroy (&self->ring);
    free (self->dir);
    crypto_cleanse (self, sizeof *self);
    free (self);
    *self_p = NULL;
}

crypto_keyring_t *keys_ring (keys_t *self) { return self->ring; }
const uint8_t *keys_subject_secret (keys_t *self) { return self->subject; }
const uint8_t *keys_pseudonym_secret (keys_t *self) { return self->pseudonym; }
const uint8_t *keys_scanner_secret (keys_t *self) { return self->scanner; }

int
keys_sign (keys_t *self, const uint8_t *msg, size_t len, uint8_t sig [64])
{
    return crypto_ed25519_sign (self->sign_priv, msg, len, sig);
}

int
keys_verify (keys_t *self, const uint8_t *msg, size_t len, const uint8_t sig [64])
{
    return crypto_ed25519_verify (self->sign_pub, msg, len, sig);
}

int
keys_rotate (keys_t *self)
{
    uint32_t id;
    char err [256];
    if (keyfile_new_data_key (self->dir, &id))
        return -1;
    crypto_keyring_t *ring = keyfile_load_ring (self->dir, err, sizeof err);
    if (!ring) {
        zsys_error ("keys: %s", err);
        return -1;
    }
    crypto_keyring_destroy (&self->ring);
    self->ring = ring;
    return (int) id;
}

int64_t
keys_period (keys_t *self)
{
    assert (self);
    return self->period;
}

int
keys_periods_start (keys_t *self, int64_t now_ms)
{
    assert (self);
    if (self->period >= 0)
        return 0;
    int64_t period = crypto_period_of (now_ms);
    uint8_t seed [32];
    char *path = s_period_path (self, period);
    int rc = !path || crypto_random (seed, sizeof seed) || keyfile_create (path, seed, 32)
          || crypto_keyring_set_ratchet (self->ring, period, seed)? -1: 0;
    if (rc == 0) {
        memcpy (self->seed, seed, sizeof seed);
        self->period = period;
        zsys_notice ("keys: period keys start at period %" PRId64 " (%s)", period, path);
    }
    else
        zsys_error ("keys: cannot create %s: %s", path? path: "a period key", strerror (errno));
    crypto_cleanse (seed, sizeof seed);
    zstr_free (&path);
    return rc;
}

//  Destroys the file of a passed period; -1 (logged) leaves it to the next try.
static int
s_shred_file (keys_t *self)
{
    char *path = s_period_path (self, self->unshredded);
    if (!path || keyfile_shred (path)) {
        zsys_warning ("keys: cannot destroy %s: %s (tried again at the next retention check)",
                      path? path: "a period key", strerror (errno));
        zstr_free (&path);
        return -1;
    }
    zsys_notice ("keys: %s destroyed", path);
    zstr_free (&path);
    self->unshredded = -1;
    return 0;
}

int
keys_shred_oldest (keys_t *self)
{
    assert (self);
    if (self->unshredded >= 0)
        return s_shred_file (self);
    if (self->period < 0)
        return -1;
    //  The successor first, durable, so that a crash never leaves neither.
    uint8_t next [32], existing [32];
    char *path = s_period_path (self, self->period + 1);
    char err [256];
    int rc = !path || crypto_period_next_seed (self->seed, next)? -1: 0;
    if (rc == 0 && keyfile_create (path, next, 32)) {
        //  Left by an interrupted shred: it must be this ratchet's own.
        rc = errno == EEXIST && keyfile_load (path, existing, 32, err, sizeof err) == 0
          && crypto_memeq (existing, next, 32)? 0: -1;
        crypto_cleanse (existing, sizeof existing);
        if (rc)
            zsys_error ("keys: %s exists and is not the successor of period %" PRId64
                        ": period keys left as they are", path, self->period);
    }
    uint8_t advanced [32];
    if (rc == 0 && crypto_keyring_ratchet_advance (self->ring, advanced) == 0
    &&  crypto_memeq (advanced, next, 32)) {
        self->unshredded = self->period;
        self->period++;
        memcpy (self->seed, next, 32);
    }
    else
    if (rc == 0) {
        zsys_error ("keys: the period ratchet could not move on");
        rc = -1;
    }
    crypto_cleanse (next, sizeof next);
    crypto_cleanse (advanced, sizeof advanced);
    zstr_free (&path);
    return rc? -1: s_shred_file (self);
}

bool
keys_shred_pending (keys_t *self)
{
    return self->unshredded >= 0;
}
