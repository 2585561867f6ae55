/*  crypto.c — encryption at rest, keyed pseudonyms and audit signing.
    See crypto.h for the formats. Pure: no file I/O.                      */
#include "crypto.h"

#include <assert.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#define NAME_MAX_BYTES 256          //  longer normalised names are unusable
#define PREFIX_MAX     6            //  agency prefix in a case reference

typedef struct {
    uint32_t id;
    uint8_t key [CRYPTO_KEY_LEN];
} ring_key_t;

struct _crypto_keyring_t {
    size_t count;
    uint32_t current;
    ring_key_t keys [CRYPTO_KEYRING_MAX];
    //  The period ratchet: seeds [i] and pkeys [i] belong to period
    //  period0 + i, derived on demand up to derived (CRYPTO_PERIOD_AHEAD).
    bool ratchet;
    int64_t period0;
    size_t derived;
    uint8_t (*seeds) [CRYPTO_KEY_LEN];
    uint8_t (*pkeys) [CRYPTO_KEY_LEN];
};

static const char s_seed_label [] = "samhand period seed";
static const char s_key_label [] = "samhand period key";

//  ---------------------------------------------------------------------
//  Small helpers

static void
s_put_be32 (uint8_t *p, uint32_t v)
{
    p [0] = (uint8_t) (v >> 24);
    p [1] = (uint8_t) (v >> 16);
    p [2] = (uint8_t) (v >> 8);
    p [3] = (uint8_t) v;
}

static uint32_t
s_get_be32 (const uint8_t *p)
{
    return ((uint32_t) p [0] << 24) | ((uint32_t) p [1] << 16)
         | ((uint32_t) p [2] << 8) | (uint32_t) p [3];
}

void
crypto_cleanse (void *buf, size_t len)
{
    if (buf && len)
        OPENSSL_cleanse (buf, len);
}

int
crypto_memeq (const void *a, const void *b, size_t len)
{
    if (len == 0)
        return 1;
    if (!a || !b)
        return 0;
    return CRYPTO_memcmp (a, b, len) == 0;
}

int
crypto_random (void *buf, size_t len)
{
    if (len == 0)
        return 0;
    if (!buf || len > INT_MAX)
        return -1;
    return RAND_bytes (buf, (int) len) == 1? 0: -1;
}

//  ---------------------------------------------------------------------
//  Keyring

crypto_keyring_t *
crypto_keyring_new (void)
{
    return calloc (1, sizeof (crypto_keyring_t));
}

static void
s_ratchet_free (crypto_keyring_t *self)
{
    if (self->seeds)
        OPENSSL_cleanse (self->seeds, CRYPTO_PERIOD_AHEAD * CRYPTO_KEY_LEN);
    if (self->pkeys)
        OPENSSL_cleanse (self->pkeys, CRYPTO_PERIOD_AHEAD * CRYPTO_KEY_LEN);
    free (self->seeds);
    free (self->pkeys);
    self->seeds = self->pkeys = NULL;
    self->ratchet = false;
    self->derived = 0;
}

void
crypto_keyring_destroy (crypto_keyring_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    s_ratchet_free (*self_p);
    OPENSSL_cleanse (*self_p, sizeof (crypto_keyring_t));
    free (*self_p);
    *self_p = NULL;
}

static ring_key_t *
s_ring_find (const crypto_keyring_t *self, uint32_t key_id)
{
    if (!self || key_id == 0)
        return NULL;
    for (size_t i = 0; i < self->count; i++)
        if (self->keys [i].id == key_id)
            return (ring_key_t *) &self->keys [i];
    return NULL;
}

int
crypto_keyring_add (crypto_keyring_t *self, uint32_t key_id,
                    const uint8_t key [CRYPTO_KEY_LEN])
{
    if (!self || !key || key_id == 0 || self->count >= CRYPTO_KEYRING_MAX
    ||  s_ring_find (self, key_id))
        return -1;
    ring_key_t *slot = &self->keys [self->count++];
    slot->id = key_id;
    memcpy (slot->key, key, CRYPTO_KEY_LEN);
    if (key_id > self->current)
        self->current = key_id;
    return 0;
}

int
crypto_keyring_set_current (crypto_keyring_t *self, uint32_t key_id)
{
    if (!s_ring_find (self, key_id))
        return -1;
    self->current = key_id;
    return 0;
}

uint32_t
crypto_keyring_current (const crypto_keyring_t *self)
{
    return self? self->current: 0;
}

//  ---------------------------------------------------------------------
//  Periods and the ratchet

static int64_t
s_floor_div (int64_t a, int64_t b)
{
    return a >= 0? a / b: -((-a + b - 1) / b);
}

int64_t
crypto_period_of (int64_t unix_ms)
{
    return s_floor_div (unix_ms - CRYPTO_PERIOD_EPOCH_MS, CRYPTO_PERIOD_MS);
}

int64_t
crypto_period_start_ms (int64_t period)
{
    return CRYPTO_PERIOD_EPOCH_MS + period * CRYPTO_PERIOD_MS;
}

uint32_t
crypto_period_key_id (int64_t period)
{
    assert (period >= 0 && period < (int64_t) CRYPTO_PERIOD_BIT);
    return CRYPTO_PERIOD_BIT | (uint32_t) period;
}

int64_t
crypto_key_period (uint32_t key_id)
{
    return key_id & CRYPTO_PERIOD_BIT? (int64_t) (key_id & ~CRYPTO_PERIOD_BIT): -1;
}

int
crypto_period_next_seed (const uint8_t seed [CRYPTO_KEY_LEN], uint8_t next [CRYPTO_KEY_LEN])
{
    return crypto_hmac_sha256 (seed, s_seed_label, strlen (s_seed_label), next);
}

int
crypto_keyring_set_ratchet (crypto_keyring_t *self, int64_t period,
                            const uint8_t seed [CRYPTO_KEY_LEN])
{
    if (!self || !seed || period < 0
    ||  period + CRYPTO_PERIOD_AHEAD >= (int64_t) CRYPTO_PERIOD_BIT)
        return -1;
    s_ratchet_free (self);
    self->seeds = calloc (CRYPTO_PERIOD_AHEAD, CRYPTO_KEY_LEN);
    self->pkeys = calloc (CRYPTO_PERIOD_AHEAD, CRYPTO_KEY_LEN);
    if (!self->seeds || !self->pkeys) {
        s_ratchet_free (self);
        return -1;
    }
    memcpy (self->seeds [0], seed, CRYPTO_KEY_LEN);
    if (crypto_hmac_sha256 (seed, s_key_label, strlen (s_key_label), self->pkeys [0])) {
        s_ratchet_free (self);
        return -1;
    }
    self->ratchet = true;
    self->period0 = period;
    self->derived = 1;
    return 0;
}

int64_t
crypto_keyring_ratchet_period (const crypto_keyring_t *self)
{
    return self && self->ratchet? self->period0: -1;
}

//  The key of PERIOD, derived forward from the oldest seed as needed (the
//  ring caches what it derived). NULL before the ratchet or too far ahead.
static const uint8_t *
s_period_key (crypto_keyring_t *self, int64_t period)
{
    if (!self || !self->ratchet || period < self->period0
    ||  period - self->period0 >= CRYPTO_PERIOD_AHEAD)
        return NULL;
    size_t index = (size_t) (period - self->period0);
    while (self->derived <= index) {
        size_t i = self->derived;
        if (crypto_period_next_seed (self->seeds [i - 1], self->seeds [i])
        ||  crypto_hmac_sha256 (self->seeds [i], s_key_label, strlen (s_key_label),
                                self->pkeys [i]))
            return NULL;
        self->derived++;
    }
    return self->pkeys [index];
}

int
crypto_keyring_ratchet_advance (crypto_keyring_t *self, uint8_t next_seed [CRYPTO_KEY_LEN])
{
    if (!self || !self->ratchet || !next_seed
    ||  !s_period_key (self, self->period0 + 1))
        return -1;
    memmove (self->seeds [0], self->seeds [1], (self->derived - 1) * CRYPTO_KEY_LEN);
    memmove (self->pkeys [0], self->pkeys [1], (self->derived - 1) * CRYPTO_KEY_LEN);
    self->derived--;
    OPENSSL_cleanse (self->seeds [self->derived], CRYPTO_KEY_LEN);
    OPENSSL_cleanse (self->pkeys [self->derived], CRYPTO_KEY_LEN);
    self->period0++;
    memcpy (next_seed, self->seeds [0], CRYPTO_KEY_LEN);
    return 0;
}

const uint8_t *
crypto_keyring_lookup (const crypto_keyring_t *self, uint32_t key_id)
{
    if (key_id & CRYPTO_PERIOD_BIT)
        //  Deriving fills the ring's cache: logically the ring is unchanged.
        return s_period_key ((crypto_keyring_t *) self, crypto_key_period (key_id));
    ring_key_t *slot = s_ring_find (self, key_id);
    return slot? slot->key: NULL;
}

size_t
crypto_keyring_size (const crypto_keyring_t *self)
{
    return self? self->count: 0;
}

//  ---------------------------------------------------------------------
//  AES-256-GCM. One routine for both directions so that seal and open can
//  never disagree on what is authenticated: header, then caller AAD.

static int
s_gcm (int enc, const uint8_t *key, const uint8_t *header,
       const uint8_t *aad, size_t aad_len,
       const uint8_t *in, size_t len, uint8_t *out,
       uint8_t tag [CRYPTO_TAG_LEN])
{
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new ();
    int n = 0, fin = 0;
    bool ok = ctx != NULL
        && EVP_CipherInit_ex (ctx, EVP_aes_256_gcm (), NULL, key,
                              header + 5, enc) == 1
        && EVP_CipherUpdate (ctx, NULL, &n, header, CRYPTO_SEAL_HEADER) == 1
        && (aad_len == 0
            || EVP_CipherUpdate (ctx, NULL, &n, aad, (int) aad_len) == 1)
        && (len == 0
            || (EVP_CipherUpdate (ctx, out, &n, in, (int) len) == 1
                && (size_t) n == len))
        && (enc
            || EVP_CIPHER_CTX_ctrl (ctx, EVP_CTRL_AEAD_SET_TAG,
                                    CRYPTO_TAG_LEN, tag) == 1)
        && EVP_CipherFinal_ex (ctx, out + len, &fin) == 1 && fin == 0
        && (!enc
            || EVP_CIPHER_CTX_ctrl (ctx, EVP_CTRL_AEAD_GET_TAG,
                                    CRYPTO_TAG_LEN, tag) == 1);
    EVP_CIPHER_CTX_free (ctx);
    return ok? 0: -1;
}

static int
s_seal (crypto_keyring_t *ring, uint32_t key_id, const uint8_t *aad, size_t aad_len,
        const uint8_t *plain, size_t plain_len, uint8_t **out, size_t *out_len)
{
    if (!out || !out_len)
        return -1;
    *out = NULL;
    *out_len = 0;
    if ((!aad && aad_len) || (!plain && plain_len)
    ||  aad_len > INT_MAX || plain_len > CRYPTO_SEAL_MAX_PLAIN)
        return -1;
    const uint8_t *key = crypto_keyring_lookup (ring, key_id);
    if (!key)
        return -1;

    size_t total = CRYPTO_SEAL_OVERHEAD + plain_len;
    uint8_t *buf = malloc (total);
    if (!buf)
        return -1;
    buf [0] = CRYPTO_SEAL_VERSION;
    s_put_be32 (buf + 1, key_id);
    uint8_t *ct = buf + CRYPTO_SEAL_HEADER;
    if (RAND_bytes (buf + 5, CRYPTO_NONCE_LEN) != 1
    ||  s_gcm (1, key, buf, aad, aad_len, plain, plain_len, ct,
               ct + plain_len)) {
        OPENSSL_cleanse (buf, total);
        free (buf);
        return -1;
    }
    *out = buf;
    *out_len = total;
    return 0;
}

int
crypto_seal (crypto_keyring_t *ring, const uint8_t *aad, size_t aad_len,
             const uint8_t *plain, size_t plain_len,
             uint8_t **out, size_t *out_len)
{
    return s_seal (ring, crypto_keyring_current (ring), aad, aad_len, plain, plain_len,
                   out, out_len);
}

int
crypto_seal_until (crypto_keyring_t *ring, int64_t end_ms,
                   const uint8_t *aad, size_t aad_len,
                   const uint8_t *plain, size_t plain_len,
                   uint8_t **out, size_t *out_len)
{
    int64_t period = crypto_period_of (end_ms);
    if (out)
        *out = NULL;
    if (out_len)
        *out_len = 0;
    if (!ring || !ring->ratchet || period < ring->period0
    ||  period - ring->period0 >= CRYPTO_PERIOD_AHEAD)
        return -1;
    return s_seal (ring, crypto_period_key_id (period), aad, aad_len, plain, plain_len,
                   out, out_len);
}

int
crypto_sealed_key_id (const uint8_t *sealed, size_t sealed_len,
                      uint32_t *key_id)
{
    if (!sealed || !key_id || sealed_len < CRYPTO_SEAL_OVERHEAD
    ||  sealed [0] != CRYPTO_SEAL_VERSION)
        return -1;
    *key_id = s_get_be32 (sealed + 1);
    return 0;
}

int
crypto_open (crypto_keyring_t *ring, const uint8_t *aad, size_t aad_len,
             const uint8_t *sealed, size_t sealed_len,
             uint8_t **plain, size_t *plain_len)
{
    if (!plain || !plain_len)
        return -1;
    *plain = NULL;
    *plain_len = 0;
    uint32_t key_id;
    if ((!aad && aad_len) || aad_len > INT_MAX
    ||  crypto_sealed_key_id (sealed, sealed_len, &key_id))
        return -1;
    const uint8_t *key = crypto_keyring_lookup (ring, key_id);
    size_t len = sealed_len - CRYPTO_SEAL_OVERHEAD;
    int64_t period = crypto_key_period (key_id);
    if (!key && period >= 0 && ring && ring->ratchet && period < ring->period0)
        return CRYPTO_SHREDDED;
    if (!key || len > CRYPTO_SEAL_MAX_PLAIN)
        return -1;

    uint8_t tag [CRYPTO_TAG_LEN];
    memcpy (tag, sealed + CRYPTO_SEAL_HEADER + len, CRYPTO_TAG_LEN);
    uint8_t *buf = malloc (len? len: 1);
    if (!buf)
        return -1;
    if (s_gcm (0, key, sealed, aad, aad_len, sealed + CRYPTO_SEAL_HEADER,
               len, buf, tag)) {
        //  GCM decrypts before it verifies: wipe the unauthenticated text
        OPENSSL_cleanse (buf, len? len: 1);
        free (buf);
        return -1;
    }
    *plain = buf;
    *plain_len = len;
    return 0;
}

//  ---------------------------------------------------------------------
//  Hashes

int
crypto_hmac_sha256 (const uint8_t key [CRYPTO_KEY_LEN], const void *data,
                    size_t len, uint8_t out [CRYPTO_HASH_LEN])
{
    if (!key || !out || (!data && len))
        return -1;
    char digest [] = "SHA256";
    OSSL_PARAM params [] = {
        OSSL_PARAM_construct_utf8_string (OSSL_MAC_PARAM_DIGEST, digest, 0),
        OSSL_PARAM_construct_end ()
    };
    EVP_MAC *mac = EVP_MAC_fetch (NULL, "HMAC", NULL);
    EVP_MAC_CTX *ctx = mac? EVP_MAC_CTX_new (mac): NULL;
    size_t out_len = 0;
    bool ok = ctx != NULL
        && EVP_MAC_init (ctx, key, CRYPTO_KEY_LEN, params) == 1
        && (len == 0 || EVP_MAC_update (ctx, data, len) == 1)
        && EVP_MAC_final (ctx, out, &out_len, CRYPTO_HASH_LEN) == 1
        && out_len == CRYPTO_HASH_LEN;
    EVP_MAC_CTX_free (ctx);
    EVP_MAC_free (mac);
    if (!ok)
        OPENSSL_cleanse (out, CRYPTO_HASH_LEN);
    return ok? 0: -1;
}

int
crypto_sha256 (const void *data, size_t len, uint8_t out [CRYPTO_HASH_LEN])
{
    if (!out || (!data && len))
        return -1;
    unsigned int out_len = 0;
    if (EVP_Digest (len? data: "", len, out, &out_len, EVP_sha256 (), NULL)
        != 1 || out_len != CRYPTO_HASH_LEN)
        return -1;
    return 0;
}

//  ---------------------------------------------------------------------
//  Identity normalisation for subject keys

static bool
s_is_digit (char c)
{
    return c >= '0' && c <= '9';
}

//  Copies the digits of src to dst (capacity cap incl. NUL), skipping the
//  separators in skip. Any other character, or too many digits, fails.
static int
s_digits (const char *src, const char *skip, char *dst, size_t cap)
{
    size_t n = 0;
    for (; *src; src++) {
        if (strchr (skip, *src))
            continue;
        if (!s_is_digit (*src) || n + 1 >= cap)
            return -1;
        dst [n++] = *src;
    }
    dst [n] = 0;
    return 0;
}

static int
s_national_id (const char *src, char out [12])
{
    char buf [12];
    if (s_digits (src, " \t-.", buf, sizeof buf) || strlen (buf) != 11)
        return -1;
    memcpy (out, buf, sizeof buf);
    return 0;
}

static int
s_phone (const char *src, char out [9])
{
    //  Room for "+47" / "0047" plus 8 digits; the '+' is handled first
    char buf [16];
    bool plus = false;
    while (*src == ' ' || *src == '\t')
        src++;
    if (*src == '+') {
        plus = true;
        src++;
    }
    if (s_digits (src, " \t-.()", buf, sizeof buf))
        return -1;
    const char *digits = buf;
    size_t len = strlen (buf);
    if (plus) {
        if (strncmp (buf, "47", 2))
            return -1;                  //  foreign number
        digits += 2;
    }
    else
    if (len == 12 && strncmp (buf, "0047", 4) == 0)
        digits += 4;
    else
    if (len == 10 && strncmp (buf, "47", 2) == 0)
        digits += 2;
    if (strlen (digits) != 8)
        return -1;
    memcpy (out, digits, 9);
    return 0;
}

static bool
s_leap (int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

//  Strictly YYYY-MM-DD (surrounding whitespace allowed) and a real date.
static int
s_birth_date (const char *src, char out [11])
{
    while (*src == ' ' || *src == '\t')
        src++;
    size_t len = strlen (src);
    while (len > 0 && (src [len - 1] == ' ' || src [len - 1] == '\t'
                   ||  src [len - 1] == '\n' || src [len - 1] == '\r'))
        len--;
    if (len != 10 || src [4] != '-' || src [7] != '-')
        return -1;
    for (int i = 0; i < 10; i++)
        if (i != 4 && i != 7 && !s_is_digit (src [i]))
            return -1;
    int year = (src [0] - '0') * 1000 + (src [1] - '0') * 100
             + (src [2] - '0') * 10 + (src [3] - '0');
    int month = (src [5] - '0') * 10 + (src [6] - '0');
    int day = (src [8] - '0') * 10 + (src [9] - '0');
    static const int days [12] = { 31, 28, 31, 30, 31, 30,
                                   31, 31, 30, 31, 30, 31 };
    if (year < 1850 || month < 1 || month > 12 || day < 1)
        return -1;
    int max = days [month - 1] + (month == 2 && s_leap (year));
    if (day > max)
        return -1;
    memcpy (out, src, 10);
    out [10] = 0;
    return 0;
}

//  Decomposed letters (base + combining mark) that occur in Nordic and
//  neighbouring names, mapped to the precomposed lower-case second byte
//  after 0xC3. Combining marks are U+0300..U+033F: 0xCC 0x80..0xBF.
static const struct {
    char base;
    uint8_t mark;
    uint8_t composed;
} s_compose [] = {
    { 'a', 0x8A, 0xA5 },    //  a + ring above      -> å
    { 'a', 0x88, 0xA4 },    //  a + diaeresis       -> ä
    { 'o', 0x88, 0xB6 },    //  o + diaeresis       -> ö
    { 'u', 0x88, 0xBC },    //  u + diaeresis       -> ü
    { 'e', 0x81, 0xA9 },    //  e + acute           -> é
    { 'e', 0x80, 0xA8 },    //  e + grave           -> è
    { 'o', 0xB8, 0xB8 },    //  o + long solidus    -> ø
};

static int
s_append (char *out, size_t *n, size_t cap, const char *bytes, size_t len)
{
    if (*n + len >= cap)
        return -1;
    memcpy (out + *n, bytes, len);
    *n += len;
    return 0;
}

//  Case-folds and collapses whitespace. Upper-case Latin-1 letters in
//  UTF-8 (0xC3 0x80..0x9E, not 0x97 '×') fold by +0x20 in the second byte,
//  which covers Æ Ø Å. Other bytes pass through: this is hash input, not
//  display text, and a stable byte string is all it needs to be.
static int
s_name (const char *src, char *out, size_t cap)
{
    const uint8_t *s = (const uint8_t *) src;
    size_t n = 0;
    bool space = false;
    while (*s) {
        if (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r'
        ||  *s == '\v' || *s == '\f') {
            space = true;
            s++;
            continue;
        }
        if (s [0] == 0xC2 && s [1] == 0xA0) {           //  no-break space
            space = true;
            s += 2;
            continue;
        }
        if (*s < 0x20 || *s == 0x7F)
            return -1;
        if (space && n > 0 && s_append (out, &n, cap, " ", 1))
            return -1;
        space = false;

        char c [2];
        size_t len = 1;
        if (*s >= 'A' && *s <= 'Z')
            c [0] = (char) (*s + 32);
        else
        if (s [0] == 0xC3 && s [1] >= 0x80 && s [1] <= 0x9E && s [1] != 0x97) {
            c [0] = (char) 0xC3;
            c [1] = (char) (s [1] + 0x20);
            len = 2;
        }
        else
        if (s [0] == 0xC3 && s [1]) {
            c [0] = (char) 0xC3;
            c [1] = (char) s [1];
            len = 2;
        }
        else
            c [0] = (char) *s;

        if (len == 1 && s [1] == 0xCC && s [2]) {
            size_t i;
            for (i = 0; i < sizeof s_compose / sizeof s_compose [0]; i++)
                if (s_compose [i].base == c [0] && s_compose [i].mark == s [2])
                    break;
            if (i < sizeof s_compose / sizeof s_compose [0]) {
                char pre [2] = { (char) 0xC3, (char) s_compose [i].composed };
                if (s_append (out, &n, cap, pre, 2))
                    return -1;
                s += 3;
                continue;
            }
        }
        if (s_append (out, &n, cap, c, len))
            return -1;
        s += len;
    }
    out [n] = 0;
    return n > 0? 0: -1;
}

int
crypto_subject_key (const uint8_t secret [CRYPTO_KEY_LEN],
                    const char *national_id, const char *name,
                    const char *birth_date, const char *phone,
                    uint8_t out [CRYPTO_KEY_LEN])
{
    if (!secret || !out)
        return -1;
    //  "nbd:" + date + ":" + name; the date is fixed-length so the
    //  concatenation is unambiguous
    char input [4 + 10 + 1 + NAME_MAX_BYTES + 1];
    char nid [12], date [11], tel [9];
    char folded [NAME_MAX_BYTES + 1];
    bool found = false;

    if (national_id && *national_id && s_national_id (national_id, nid) == 0) {
        snprintf (input, sizeof input, "nid:%s", nid);
        found = true;
    }
    else
    if (name && *name && birth_date && *birth_date
    &&  s_name (name, folded, sizeof folded) == 0
    &&  s_birth_date (birth_date, date) == 0) {
        snprintf (input, sizeof input, "nbd:%s:%s", date, folded);
        found = true;
    }
    else
    if (phone && *phone && s_phone (phone, tel) == 0) {
        snprintf (input, sizeof input, "tel:%s", tel);
        found = true;
    }
    int rc = found? crypto_hmac_sha256 (secret, input, strlen (input), out): -1;
    OPENSSL_cleanse (input, sizeof input);
    OPENSSL_cleanse (nid, sizeof nid);
    OPENSSL_cleanse (date, sizeof date);
    OPENSSL_cleanse (tel, sizeof tel);
    OPENSSL_cleanse (folded, sizeof folded);
    if (rc)
        OPENSSL_cleanse (out, CRYPTO_KEY_LEN);
    return rc;
}

//  ---------------------------------------------------------------------
//  Case references

//  No 0 O 1 I, so a reference read aloud on the duty phone survives.
static const char s_base32 [] = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ";

int
crypto_case_ref (const uint8_t secret [CRYPTO_KEY_LEN],
                 const char *agency_prefix,
                 const uint8_t subject_key [CRYPTO_KEY_LEN],
                 char out [CRYPTO_CASE_REF_LEN])
{
    if (!out)
        return -1;
    out [0] = 0;
    if (!secret || !agency_prefix || !subject_key)
        return -1;
    size_t plen = strlen (agency_prefix);
    if (plen == 0 || plen > PREFIX_MAX)
        return -1;
    for (size_t i = 0; i < plen; i++) {
        char c = agency_prefix [i];
        if (!((c >= 'A' && c <= 'Z') || s_is_digit (c)))
            return -1;
    }
    //  "ref:" + prefix + ":" + subject key; the prefix has no ':'
    uint8_t input [4 + PREFIX_MAX + 1 + CRYPTO_KEY_LEN];
    size_t n = 0;
    memcpy (input, "ref:", 4);
    n += 4;
    memcpy (input + n, agency_prefix, plen);
    n += plen;
    input [n++] = ':';
    memcpy (input + n, subject_key, CRYPTO_KEY_LEN);
    n += CRYPTO_KEY_LEN;

    uint8_t mac [CRYPTO_HASH_LEN];
    int rc = crypto_hmac_sha256 (secret, input, n, mac);
    OPENSSL_cleanse (input, sizeof input);
    if (rc)
        return -1;
    uint64_t bits = 0;
    for (int i = 0; i < 8; i++)
        bits = (bits << 8) | mac [i];
    bits >>= 4;                         //  60 bits = 12 base32 characters
    OPENSSL_cleanse (mac, sizeof mac);

    char *p = out;
    memcpy (p, agency_prefix, plen);
    p += plen;
    for (int i = 0; i < 12; i++) {
        if (i % 4 == 0)
            *p++ = '-';
        *p++ = s_base32 [(bits >> (55 - 5 * i)) & 31];
    }
    *p = 0;
    return 0;
}

//  ---------------------------------------------------------------------
//  Ed25519

int
crypto_ed25519_keypair (uint8_t priv [32], uint8_t pub [32])
{
    if (!priv || !pub)
        return -1;
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_id (EVP_PKEY_ED25519, NULL);
    EVP_PKEY *pkey = NULL;
    size_t priv_len = 32, pub_len = 32;
    bool ok = ctx != NULL
        && EVP_PKEY_keygen_init (ctx) == 1
        && EVP_PKEY_keygen (ctx, &pkey) == 1
        && EVP_PKEY_get_raw_private_key (pkey, priv, &priv_len) == 1
        && priv_len == 32
        && EVP_PKEY_get_raw_public_key (pkey, pub, &pub_len) == 1
        && pub_len == 32;
    EVP_PKEY_free (pkey);
    EVP_PKEY_CTX_free (ctx);
    if (!ok)
        OPENSSL_cleanse (priv, 32);
    return ok? 0: -1;
}

int
crypto_ed25519_public (const uint8_t priv [32], uint8_t pub [32])
{
    if (!priv || !pub)
        return -1;
    EVP_PKEY *pkey = EVP_PKEY_new_raw_private_key (EVP_PKEY_ED25519, NULL,
                                                   priv, 32);
    size_t pub_len = 32;
    bool ok = pkey != NULL
        && EVP_PKEY_get_raw_public_key (pkey, pub, &pub_len) == 1
        && pub_len == 32;
    EVP_PKEY_free (pkey);
    return ok? 0: -1;
}

int
crypto_ed25519_sign (const uint8_t priv [32], const void *msg, size_t len,
                     uint8_t sig [CRYPTO_ED25519_SIG_LEN])
{
    if (!priv || !sig || (!msg && len))
        return -1;
    EVP_PKEY *pkey = EVP_PKEY_new_raw_private_key (EVP_PKEY_ED25519, NULL,
                                                   priv, 32);
    EVP_MD_CTX *md = EVP_MD_CTX_new ();
    size_t sig_len = CRYPTO_ED25519_SIG_LEN;
    bool ok = pkey != NULL && md != NULL
        && EVP_DigestSignInit (md, NULL, NULL, NULL, pkey) == 1
        && EVP_DigestSign (md, sig, &sig_len, len? msg: "", len) == 1
        && sig_len == CRYPTO_ED25519_SIG_LEN;
    EVP_MD_CTX_free (md);
    EVP_PKEY_free (pkey);
    return ok? 0: -1;
}

int
crypto_ed25519_verify (const uint8_t pub [32], const void *msg, size_t len,
                       const uint8_t sig [CRYPTO_ED25519_SIG_LEN])
{
    if (!pub || !sig || (!msg && len))
        return -1;
    EVP_PKEY *pkey = EVP_PKEY_new_raw_public_key (EVP_PKEY_ED25519, NULL,
                                                  pub, 32);
    EVP_MD_CTX *md = EVP_MD_CTX_new ();
    bool ok = pkey != NULL && md != NULL
        && EVP_DigestVerifyInit (md, NULL, NULL, NULL, pkey) == 1
        && EVP_DigestVerify (md, sig, CRYPTO_ED25519_SIG_LEN,
                             len? msg: "", len) == 1;
    EVP_MD_CTX_free (md);
    EVP_PKEY_free (pkey);
    return ok? 0: -1;
}
