/*  keys — loads and creates the broker's key files. See keys.h.            */
#include "keys.h"
#include "keyfile.h"
#include <czmq.h>
#include <sys/stat.h>

struct _keys_t {
    char *dir;
    crypto_keyring_t *ring;
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
    ||  crypto_ed25519_public (self->sign_priv, self->sign_pub)) {
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
