/*  keys — the broker's secrets, each in its own file of mode 0600 in the
    keys directory:
        data-key-N.key   AES-256-GCM data keys (N = key id; highest is current)
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
int keys_rotate (keys_t *self);

#endif
