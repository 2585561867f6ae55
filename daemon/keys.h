/*  keys — the broker's secrets, each in its own file of mode 0600 in the
    keys directory:
        data-key-N.key   AES-256-GCM data keys (N = key id; highest is current)
        period-key-N.key seed of the period keys from period N on (crypto.h)
        subject.key      HMAC secret for subject keys
        pseudonym.key    HMAC secret for per-agency case references
        scanner.key      HMAC secret for the hashes of known identifiers
        audit-sign.key   Ed25519 private key for the audit chain head
    samhandd refuses to start if any of them is readable by others.       */
#ifndef SAMHAND_KEYS_H
#define SAMHAND_KEYS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "crypto.h"

typedef struct _keys_t keys_t;

//  Loads every key from DIR. With create, makes the directory (0700) and
//  any missing key first — only for a brand-new installation.
keys_t *keys_new (const char *dir, bool create, char *err, size_t errlen);
void keys_destroy (keys_t **self_p);

crypto_keyring_t *keys_ring (keys_t *self);
const uint8_t *keys_subject_secret (keys_t *self);
const uint8_t *keys_pseudonym_secret (keys_t *self);
const uint8_t *keys_scanner_secret (keys_t *self);

//  Audit head signatures.
int keys_sign (keys_t *self, const uint8_t *msg, size_t len, uint8_t sig [64]);
int keys_verify (keys_t *self, const uint8_t *msg, size_t len, const uint8_t sig [64]);

//  Adds data-key-(N+1).key and makes it current. Returns the new id or -1.
//  (New content is sealed under period keys; see below.)
int keys_rotate (keys_t *self);

//  Period keys (crypto-shredding, see crypto.h and docs/POLICY.md): one
//  file period-key-N.key holds the seed of the oldest period N whose key
//  still exists; every later period's key derives from it, no earlier one
//  can. keys_new loads it when there is one.
//  The oldest live period, or -1 when the directory has no period keys.
int64_t keys_period (keys_t *self);
//  Starts the period keys at the period of NOW_MS when there are none
//  (a new installation, or one from before period keys). 0 or -1.
int keys_periods_start (keys_t *self, int64_t now_ms);
//  Destroys the oldest period's key: writes period-key-(N+1).key (fsynced),
//  moves the ring on (the key leaves memory), then destroys
//  period-key-N.key (keyfile_shred: unlinked, directory fsynced, bytes
//  overwritten and fsynced). When only that last
//  step failed (logged) the next call tries it again before anything
//  else. 0 when the file is gone, -1 when not (yet).
int keys_shred_oldest (keys_t *self);
//  A passed period's key file still waits to be destroyed.
bool keys_shred_pending (keys_t *self);

#endif
