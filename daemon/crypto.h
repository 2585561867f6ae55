/*  crypto.h — encryption at rest, keyed pseudonyms and audit signing.

    Pure computation on caller-supplied buffers: no file I/O (key files are
    keyfile.c's job), no zmq, no sqlite. Built on OpenSSL 3 EVP only.

    Ownership: the keyring owns copies of the keys added to it and cleanses
    them on destroy. Buffers returned through uint8_t ** are heap memory the
    caller owns and must free() (cleansing plaintext first if it matters).
    Every function that can fail returns 0 on success and -1 on failure and
    fails closed: on -1 no output buffer is left allocated.

    Sealed blob (encryption at rest, AES-256-GCM), version 1:

        offset  size  field
        0       1     version = 1
        1       4     key id, big endian (id of the keyring key used)
        5       12    nonce, random per seal (RAND_bytes)
        17      n     ciphertext (same length as the plaintext)
        17+n    16    GCM tag

    The 17-byte header is authenticated together with the caller's AAD
    (AAD = header || caller aad), so any change to version, key id, nonce,
    ciphertext, tag or AAD makes crypto_open fail. Random 96-bit nonces are
    safe for well under 2^32 seals per key; rotate data keys long before.

    Pseudonyms: all HMAC inputs under the broker secret are domain-separated
    by an ASCII prefix ("nid:", "nbd:", "tel:" for subject keys, "ref:" for
    case references), so no input of one kind can collide with another.   */
#ifndef SAMHAND_CRYPTO_H
#define SAMHAND_CRYPTO_H
#include <stddef.h>
#include <stdint.h>

#define CRYPTO_KEY_LEN        32    //  AES-256 key, HMAC key, broker secret
#define CRYPTO_HASH_LEN       32    //  SHA-256 / HMAC-SHA256 output
#define CRYPTO_NONCE_LEN      12
#define CRYPTO_TAG_LEN        16
#define CRYPTO_SEAL_VERSION   1
#define CRYPTO_SEAL_HEADER    (1 + 4 + CRYPTO_NONCE_LEN)
#define CRYPTO_SEAL_OVERHEAD  (CRYPTO_SEAL_HEADER + CRYPTO_TAG_LEN)
#define CRYPTO_SEAL_MAX_PLAIN (64u * 1024 * 1024)   //  refuse larger input
#define CRYPTO_KEYRING_MAX    256   //  monthly rotation for 20 years
#define CRYPTO_CASE_REF_LEN   24    //  size of the crypto_case_ref buffer
#define CRYPTO_ED25519_SIG_LEN 64

//  ---------------------------------------------------------------------
//  Keyring of AES-256-GCM data keys. Key id 0 is reserved for "none".

typedef struct _crypto_keyring_t crypto_keyring_t;

crypto_keyring_t *crypto_keyring_new (void);
//  Cleanses every key, frees the ring and sets *self_p to NULL.
void crypto_keyring_destroy (crypto_keyring_t **self_p);
//  Copies the key in. Fails on id 0, a duplicate id or a full ring.
//  The key with the highest id added so far becomes current.
int crypto_keyring_add (crypto_keyring_t *self, uint32_t key_id,
                        const uint8_t key[CRYPTO_KEY_LEN]);
//  Makes an existing key the one new seals use. Fails on unknown id.
int crypto_keyring_set_current (crypto_keyring_t *self, uint32_t key_id);
//  Id of the current key, 0 when the ring is empty.
uint32_t crypto_keyring_current (const crypto_keyring_t *self);
//  Key with this id (owned by the ring), or NULL when unknown.
const uint8_t *crypto_keyring_lookup (const crypto_keyring_t *self,
                                      uint32_t key_id);
size_t crypto_keyring_size (const crypto_keyring_t *self);

//  ---------------------------------------------------------------------
//  Period keys (crypto-shredding; docs/POLICY.md, "Crypto-shredding").
//  Content is sealed under the key of the week in which its retention
//  ends. Periods are numbered from Monday 1970-01-05 00:00 UTC, one per
//  CRYPTO_PERIOD_MS; a period key's id is CRYPTO_PERIOD_BIT | period, so
//  it never meets the ids 1.. of the rotated data-key-N keys.
//
//  The period keys come from a one-way ratchet: the ring holds the seed
//  S(p0) of its oldest live period p0; S(p+1) = HMAC(S(p), "samhand
//  period seed") and K(p) = HMAC(S(p), "samhand period key"). Any later
//  period's key can be derived (a copy of the keys directory never goes
//  stale for new data), and once the ring has moved past p0 and the seed
//  of p0 is destroyed, K(p0) and every earlier key are gone for good.

#define CRYPTO_PERIOD_MS      (7LL * 24 * 3600 * 1000)
#define CRYPTO_PERIOD_EPOCH_MS (4LL * 24 * 3600 * 1000)     //  Monday 1970-01-05
#define CRYPTO_PERIOD_BIT     0x80000000u
#define CRYPTO_PERIOD_AHEAD   1100      //  periods derivable past p0: > 20 years
#define CRYPTO_SHREDDED       (-2)      //  crypto_open: the key was destroyed

//  Period of a time (unix ms), and the unix ms at which a period starts.
int64_t crypto_period_of (int64_t unix_ms);
int64_t crypto_period_start_ms (int64_t period);
//  Key id of a period, and the period of a key id (-1 when not a period key).
uint32_t crypto_period_key_id (int64_t period);
int64_t crypto_key_period (uint32_t key_id);
//  The next seed of the ratchet (pure; for the key files' rewrite).
int crypto_period_next_seed (const uint8_t seed [CRYPTO_KEY_LEN],
                             uint8_t next [CRYPTO_KEY_LEN]);
//  Gives the ring its ratchet: periods from PERIOD on derive from SEED
//  (copied). Replaces any ratchet it had. 0 or -1.
int crypto_keyring_set_ratchet (crypto_keyring_t *self, int64_t period,
                                const uint8_t seed [CRYPTO_KEY_LEN]);
//  The ring's oldest live period, -1 when it has no ratchet.
int64_t crypto_keyring_ratchet_period (const crypto_keyring_t *self);
//  Moves the ratchet one period on, cleansing the old seed and key from
//  memory; NEXT_SEED gets the new oldest seed (to write to its file).
int crypto_keyring_ratchet_advance (crypto_keyring_t *self,
                                    uint8_t next_seed [CRYPTO_KEY_LEN]);

//  ---------------------------------------------------------------------
//  Encryption at rest. The caller passes the message id as AAD, binding
//  each blob to its row. crypto_seal uses the current key.

int crypto_seal (crypto_keyring_t *ring, const uint8_t *aad, size_t aad_len,
                 const uint8_t *plain, size_t plain_len,
                 uint8_t **out, size_t *out_len);
//  Seals under the key of the period in which END_MS (unix ms: the end
//  of the content's retention) falls. -1 when the ring has no ratchet or
//  that period is before it (already shredded) or too far ahead.
int crypto_seal_until (crypto_keyring_t *ring, int64_t end_ms,
                       const uint8_t *aad, size_t aad_len,
                       const uint8_t *plain, size_t plain_len,
                       uint8_t **out, size_t *out_len);
//  -1 on tampering, wrong AAD, unknown key id, bad version or truncation;
//  CRYPTO_SHREDDED (-2) when the blob was sealed under a period key the
//  ring has moved past (destroyed at its retention's end): not damage.
//  *plain is always heap memory on success, even for an empty plaintext.
int crypto_open (crypto_keyring_t *ring, const uint8_t *aad, size_t aad_len,
                 const uint8_t *sealed, size_t sealed_len,
                 uint8_t **plain, size_t *plain_len);
//  Key id a blob was sealed with (to find rows to re-encrypt on rotation).
//  Reads the unauthenticated header only: -1 if too short or wrong version.
int crypto_sealed_key_id (const uint8_t *sealed, size_t sealed_len,
                          uint32_t *key_id);

//  ---------------------------------------------------------------------
//  Hashes, MACs, randomness, comparison.

int crypto_hmac_sha256 (const uint8_t key[CRYPTO_KEY_LEN], const void *data,
                        size_t len, uint8_t out[CRYPTO_HASH_LEN]);
int crypto_sha256 (const void *data, size_t len, uint8_t out[CRYPTO_HASH_LEN]);
//  Cryptographically secure random bytes (RAND_bytes).
int crypto_random (void *buf, size_t len);
//  Constant-time comparison: 1 when equal, 0 when not.
int crypto_memeq (const void *a, const void *b, size_t len);
//  Wipes a secret so the compiler cannot optimise it away.
void crypto_cleanse (void *buf, size_t len);

//  ---------------------------------------------------------------------
//  Keyed pseudonyms.

//  Stable subject key from identity, HMAC-SHA256 under the broker secret.
//  Tried in order, the first usable form wins (NULL or "" = not given):
//  1. national_id: fødselsnummer / D-number / H-number, 11 digits once
//     spaces, '-' and '.' are removed ("nid:" + digits). The check digits
//     are not verified (they change from 2032).
//  2. name + birth_date: name with whitespace trimmed and collapsed and
//     case-folded (ASCII and UTF-8 Latin-1 letters incl. Æ Ø Å; "A" plus
//     combining ring becomes "å"); birth date strictly YYYY-MM-DD and a
//     real date ("nbd:" + date + ":" + name). Both must be usable.
//  3. phone: spaces, '-', '.', '(' and ')' removed, a +47 / 0047 prefix
//     (or a bare 47 before 8 digits) dropped, then exactly 8 digits
//     ("tel:" + digits). Foreign numbers are not usable.
//  An unusable form falls through to the next. -1 when none is usable.
int crypto_subject_key (const uint8_t secret[CRYPTO_KEY_LEN],
                        const char *national_id, const char *name,
                        const char *birth_date, const char *phone,
                        uint8_t out[CRYPTO_KEY_LEN]);

//  Case reference for one recipient agency: "PR-7KQ4-M2XD-9FHA".
//  HMAC("ref:" + prefix + ":" + subject key) under the broker secret, first
//  60 bits in base32 without 0 O 1 I, in three groups of four. Different
//  for every agency prefix, so agencies cannot link records; deterministic
//  for the same inputs. prefix: 1-6 characters A-Z 0-9. On -1 (bad prefix
//  or MAC failure) out is set to the empty string.
int crypto_case_ref (const uint8_t secret[CRYPTO_KEY_LEN],
                     const char *agency_prefix,
                     const uint8_t subject_key[CRYPTO_KEY_LEN],
                     char out[CRYPTO_CASE_REF_LEN]);

//  ---------------------------------------------------------------------
//  Ed25519 for signing the audit chain head. Raw 32-byte keys.

int crypto_ed25519_keypair (uint8_t priv[32], uint8_t pub[32]);
//  Public key of a private key (e.g. one loaded from a key file).
int crypto_ed25519_public (const uint8_t priv[32], uint8_t pub[32]);
int crypto_ed25519_sign (const uint8_t priv[32], const void *msg,
                         size_t len, uint8_t sig[CRYPTO_ED25519_SIG_LEN]);
//  0 when the signature is valid, -1 otherwise.
int crypto_ed25519_verify (const uint8_t pub[32], const void *msg, size_t len,
                           const uint8_t sig[CRYPTO_ED25519_SIG_LEN]);

#endif
