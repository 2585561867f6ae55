/*  scanner.c — identifier scanner for anonymised case discussions (pure).

    One left-to-right pass. At each position the detectors that can start
    there are tried in a fixed order; the first that matches emits a finding
    and the scan resumes after it, so findings come out in order and never
    overlap. Every detector looks at a bounded window around its position
    (or at its own word, run or keyword once), which keeps the pass linear
    on any input, and every read is checked against len.

    Where a detector has to choose between privacy and noise it leans to
    privacy, except for the false positives the design names explicitly
    (amounts, dates, times, years, counts, 11-digit non-dates).            */
#include "scanner.h"
#include "textnorm.h"

#include <assert.h>
#include <pthread.h>
#include <string.h>
#include <stdlib.h>
#include <unicode/uchar.h>
//  HMAC-SHA256 is computed from precomputed inner and outer SHA-256 states
//  (RFC 2104): the scan hashes every word window of a text, and the EVP_MAC
//  route costs a context duplication per window, four times the hashing.
//  The low-level SHA-256 calls are deprecated in OpenSSL 3 but supported.
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/crypto.h>
#include <openssl/sha.h>
#include <sodium.h>
//  explicit_bzero (glibc) clears the scratch of the hot paths: OpenSSL's
//  cleanse goes a byte at a time, and is kept for keys and tables.

typedef unsigned char byte;

struct _scan_known_t {
    SHA256_CTX inner;               //  after the key ^ ipad block
    SHA256_CTX outer;               //  after the key ^ opad block
    //  SipHash key of version 3 hashes, derived from the scanner key
    uint8_t sip_key [crypto_shorthash_siphashx24_KEYBYTES];
    uint8_t (*slots) [SCAN_HASH_SIZE];
    uint8_t *used;
    size_t cap;                     //  power of two
    size_t size;
    size_t legacy;                  //  version 2 hashes (HMAC) among them
};

//  The folded key and lexicon flags of a word, kept for the other
//  detectors that ask about the same word (direct-mapped on its start).
#define WORD_CACHE    16
#define WORD_KEY_MAX  48
typedef struct {
    size_t ws, we;                  //  we == 0: empty
    int flags;                      //  lex_flags, -1 until asked
    int key_len;                    //  0: the word folds to no key
    char key [WORD_KEY_MAX];
} word_cache_t;

typedef struct {
    const byte *s;
    size_t len;
    word_cache_t *cache;            //  WORD_CACHE entries, or NULL
    const scan_known_t *known;      //  NULL when there is nothing to match
    const namelex_t *lex;           //  NULL: no lexicon rules
    scan_finding_t *out;
    size_t max;
    size_t count;
    size_t last_end;                //  end of the last finding
    //  The local-part run of an e-mail candidate and what follows it, kept
    //  so that a run is scanned once however often we land inside it.
    bool em_valid;
    size_t em_from, em_end, em_domain_end;
    //  For base64 tokens: the original fields (a token is decoded from
    //  the bytes the user wrote, since normalising reads digits inside
    //  words as letters), the map back to them, and whether this scan is
    //  itself of decoded text (then no token is decoded again).
    const textnorm_t *norm;
    const char *const *texts;
    const size_t *lens;
    size_t nfields;
    bool decoded;
} scan_t;

static size_t scan_fields (const scan_ctx_t *ctx, const char *const *texts, const size_t *lens,
                           size_t nfields, scan_finding_t *findings, size_t max_findings,
                           bool decoded);

//  ---------------------------------------------------------------------
//  Characters

static bool
is_digit (int c)
{
    return c >= '0' && c <= '9';
}

static bool
is_alpha (int c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool
is_upper_ascii (int c)
{
    return c >= 'A' && c <= 'Z';
}

//  strchr would also find the terminating NUL
static bool
in_set (int c, const char *set)
{
    return c != 0 && strchr (set, c) != NULL;
}

//  Decodes the UTF-8 character at pos; returns its length and sets *cp,
//  or returns 1 with *cp = -1 for a byte that starts no valid sequence.
static inline size_t
utf8_at (const byte *s, size_t len, size_t pos, long *cp)
{
    byte c = s [pos];
    size_t n;
    long v;
    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    if (c >= 0xC2 && c <= 0xDF) { n = 2; v = c & 0x1F; }
    else
    if (c >= 0xE0 && c <= 0xEF) { n = 3; v = c & 0x0F; }
    else
    if (c >= 0xF0 && c <= 0xF4) { n = 4; v = c & 0x07; }
    else { *cp = -1; return 1; }

    if (n > len - pos) { *cp = -1; return 1; }
    for (size_t k = 1; k < n; k++) {
        if ((s [pos + k] & 0xC0) != 0x80) { *cp = -1; return 1; }
        v = (v << 6) | (s [pos + k] & 0x3F);
    }
    if ((n == 3 && v < 0x800) || (n == 4 && (v < 0x10000 || v > 0x10FFFF))
    ||  (v >= 0xD800 && v <= 0xDFFF)) {
        *cp = -1;
        return 1;
    }
    *cp = v;
    return n;
}

//  The character ending just before pos (pos > 0), decoded as utf8_at
//  would have decoded it going forward.
static size_t
utf8_before (const byte *s, size_t len, size_t pos, long *cp)
{
    size_t start = pos - 1;
    for (int k = 0; k < 3 && start > 0 && (s [start] & 0xC0) == 0x80; k++)
        start--;
    if (start + utf8_at (s, len, start, cp) == pos)
        return pos - start;
    *cp = -1;
    return 1;
}

//  Letters are what words are made of: ASCII letters and every decoded
//  character from Latin-1 letters up, except the punctuation and symbol
//  blocks that appear in ordinary text.
static inline bool
cp_is_letter (long cp)
{
    if (cp < 0x80)
        return cp >= 0 && is_alpha ((int) cp);
    if (cp < 0xC0 || cp == 0xD7 || cp == 0xF7)
        return false;
    if ((cp >= 0x2000 && cp <= 0x2BFF) || (cp >= 0x3000 && cp <= 0x303F)
    ||  (cp >= 0xFE00 && cp <= 0xFE0F) || cp == 0xFEFF
    ||  (cp >= 0xFF00 && cp <= 0xFF20))
        return false;
    return true;
}

//  Upper (or title) case in any script: text is normalised first, but a
//  capital may still be Latin Extended, Greek or Cyrillic.
static bool
cp_is_upper (long cp)
{
    if (cp < 0x80)
        return cp >= 'A' && cp <= 'Z';
    return u_isupper ((UChar32) cp) || u_istitle ((UChar32) cp);
}

static inline bool
letter_at (const scan_t *t, size_t pos)
{
    long cp;
    if (pos >= t->len)
        return false;
    if (t->s [pos] < 0x80)
        return is_alpha (t->s [pos]);
    utf8_at (t->s, t->len, pos, &cp);
    return cp_is_letter (cp);
}

static inline bool
letter_before (const scan_t *t, size_t pos)
{
    long cp;
    if (pos == 0)
        return false;
    if (t->s [pos - 1] < 0x80)
        return is_alpha (t->s [pos - 1]);
    utf8_before (t->s, t->len, pos, &cp);
    return cp_is_letter (cp);
}

static bool
digit_at (const scan_t *t, size_t pos)
{
    return pos < t->len && is_digit (t->s [pos]);
}

//  A space that may separate digit groups or a word from its number: one
//  ASCII space, no-break space, narrow no-break space, thin or figure space.
static size_t
group_space_at (const scan_t *t, size_t pos)
{
    long cp;
    if (pos >= t->len)
        return 0;
    size_t n = utf8_at (t->s, t->len, pos, &cp);
    if (cp == ' ' || cp == 0xA0 || cp == 0x202F || cp == 0x2009 || cp == 0x2007)
        return n;
    return 0;
}

static size_t
space_at (const scan_t *t, size_t pos)
{
    if (pos < t->len && (t->s [pos] == '\t' || t->s [pos] == '\n'
                     ||  t->s [pos] == '\r' || t->s [pos] == '\v'
                     ||  t->s [pos] == '\f'))
        return 1;
    return group_space_at (t, pos);
}

//  Skips at most max whitespace characters.
static size_t
skip_spaces (const scan_t *t, size_t pos, int max)
{
    size_t n;
    while (max-- > 0 && (n = space_at (t, pos)) > 0)
        pos += n;
    return pos;
}

static bool
group_space_before (const scan_t *t, size_t pos)
{
    long cp;
    if (pos == 0)
        return false;
    utf8_before (t->s, t->len, pos, &cp);
    return cp == ' ' || cp == 0xA0 || cp == 0x202F || cp == 0x2009 || cp == 0x2007;
}

//  Length of the digit run at pos, counting no further than cap + 1 so a
//  caller can tell "exactly cap" from "longer".
static size_t
digit_run (const scan_t *t, size_t pos, size_t cap)
{
    size_t n = 0;
    while (n <= cap && digit_at (t, pos + n))
        n++;
    return n;
}

static int
digits_value (const byte *s, size_t n)
{
    int v = 0;
    for (size_t k = 0; k < n; k++)
        v = v * 10 + (s [k] - '0');
    return v;
}

//  Compares n text bytes with a lower-case UTF-8 keyword, folding ASCII
//  and the Latin-1 letters encoded as C3 xx (Æ/æ, Ø/ø, Å/å, É/é...).
static bool
ci_equal_n (const byte *a, size_t n, const char *kw)
{
    for (size_t k = 0; k < n; k++) {
        byte x = a [k], y = (byte) kw [k];
        if (x == y)
            continue;
        if (y >= 'a' && y <= 'z' && x == y - 32)
            continue;
        if (k > 0 && (byte) kw [k - 1] == 0xC3 && a [k - 1] == 0xC3
        &&  y >= 0xA0 && y <= 0xBE && y != 0xB7 && x == y - 0x20)
            continue;
        return false;
    }
    return true;
}

static bool
ci_equal (const byte *a, size_t n, const char *kw)
{
    return n == strlen (kw) && ci_equal_n (a, n, kw);
}

//  Called for every keyword at every word: the first byte rejects almost
//  all of them before the keyword's length is measured.
static size_t
ci_prefix (const scan_t *t, size_t pos, const char *kw)
{
    if (pos >= t->len)
        return 0;
    byte x = t->s [pos], y = (byte) kw [0];
    if (x != y && !(y >= 'a' && y <= 'z' && x == y - 32))
        return 0;
    size_t n = strlen (kw);
    if (n > t->len - pos)
        return 0;
    return ci_equal_n (t->s + pos, n, kw)? n: 0;
}

//  As ci_prefix, but the keyword must end the word ("f." may be followed
//  by a digit, "nr" may not).
static size_t
ci_word (const scan_t *t, size_t pos, const char *kw)
{
    size_t n = ci_prefix (t, pos, kw);
    if (n == 0 || letter_at (t, pos + n))
        return 0;
    if (is_alpha ((byte) kw [n - 1]) && digit_at (t, pos + n))
        return 0;
    return n;
}

static bool
ci_contains (const byte *a, size_t n, const char *kw)
{
    size_t m = strlen (kw);
    for (size_t k = 0; k + m <= n; k++)
        if (ci_equal (a + k, m, kw))
            return true;
    return false;
}

//  ---------------------------------------------------------------------
//  Word lists with a gate: every word of the text meets several lists,
//  and almost never a word of them. A gate holds the folded first (or
//  last) two bytes of each listed word and the lengths; a text word whose
//  bytes are not in the gate is rejected without comparing it to any
//  listed word. The fold is ci_equal_n's, applied alike to both sides, so
//  whatever ci_equal_n matches passes the gate (it may pass more).

typedef struct {
    uint64_t lens;                  //  bit n: a listed word of n bytes (n < 64)
    uint64_t one [4];               //  the folded byte of one-byte words
    uint64_t two [64];              //  folded byte pairs, hashed to 4096 bits
} gate_t;

#define WORDLIST_MAX 48
typedef struct {
    const char *const *words;       //  NULL-terminated, lower case
    bool suffix;                    //  gate on the last two bytes, not the first
    gate_t gate;
    uint8_t lens [WORDLIST_MAX];    //  strlen of each word
    //  Suffix lists: the words (bit i: word i) whose folded last three
    //  bytes hash to each bucket, and the words shorter than three bytes.
    //  Norwegian words end alike ("-en"), so the gate passes many.
    uint64_t by_end [256];
    uint64_t short_words;
} wordlist_t;

static inline byte
fold_byte (byte c)
{
    if (c >= 'A' && c <= 'Z')
        return c + 32;
    if (c >= 0x80 && c <= 0x9E && c != 0x97)
        return c + 0x20;            //  the second byte of a Latin-1 capital
    return c;
}

static inline unsigned
gate_pair (byte a, byte b)
{
    return ((unsigned) fold_byte (a) * 31 + fold_byte (b)) & 4095;
}

static void
gate_add (gate_t *g, const char *word, bool suffix)
{
    const byte *w = (const byte *) word;
    size_t n = strlen (word);
    assert (n > 0);
    g->lens |= n < 64? (uint64_t) 1 << n: (uint64_t) 1 << 63;
    if (n == 1)
        g->one [fold_byte (w [0]) >> 6] |= (uint64_t) 1 << (fold_byte (w [0]) & 63);
    else {
        unsigned k = suffix? gate_pair (w [n - 2], w [n - 1]): gate_pair (w [0], w [1]);
        g->two [k >> 6] |= (uint64_t) 1 << (k & 63);
    }
}

//  False when no listed word can start with the byte a or the bytes a b
//  (for a suffix gate: end with the byte b or the bytes a b); the pair is
//  only looked at when have_b.
static inline bool
gate_maybe (const gate_t *g, byte a, byte b, bool have_b, bool suffix)
{
    byte one = suffix? b: a;
    if (g->one [fold_byte (one) >> 6] & ((uint64_t) 1 << (fold_byte (one) & 63)))
        return true;
    if (!have_b)
        return false;
    unsigned k = gate_pair (a, b);
    return (g->two [k >> 6] & ((uint64_t) 1 << (k & 63))) != 0;
}

//  Might a listed word start at pos?
static inline bool
gate_prefix (const gate_t *g, const byte *s, size_t len, size_t pos)
{
    return pos < len && gate_maybe (g, s [pos], pos + 1 < len? s [pos + 1]: 0, pos + 1 < len, false);
}

//  Might a listed word end at end (ws..end being the text word)?
static inline bool
gate_suffix (const gate_t *g, const byte *s, size_t ws, size_t end)
{
    return end > ws && gate_maybe (g, end - ws >= 2? s [end - 2]: 0, s [end - 1], end - ws >= 2, true);
}

//  Might the token of n bytes at s be a listed word?
static inline bool
gate_token (const gate_t *g, const byte *s, size_t n)
{
    if (n == 0 || !(g->lens & ((uint64_t) 1 << (n < 64? n: 63))))
        return false;
    return gate_maybe (g, s [0], n > 1? s [1]: 0, n > 1, false);
}

//  ---------------------------------------------------------------------
//  Words: letters, with single hyphens inside ("Anne-Kari", "krise-senter")

static bool
word_start (const scan_t *t, size_t pos)
{
    if (!letter_at (t, pos) || letter_before (t, pos))
        return false;
    if (pos >= 1 && t->s [pos - 1] == '-' && letter_before (t, pos - 1))
        return false;
    return true;
}

static size_t
word_end (const scan_t *t, size_t pos)
{
    long cp;
    while (pos < t->len) {
        if (is_alpha (t->s [pos])) {
            pos++;
            continue;
        }
        size_t n = utf8_at (t->s, t->len, pos, &cp);
        if (cp_is_letter (cp))
            pos += n;
        else
        if (cp == '-' && letter_at (t, pos + 1))
            pos += 1;
        else
            break;
    }
    return pos;
}

//  The start of the word ending at pos, looking back at most 64 bytes.
static bool
word_back (const scan_t *t, size_t pos, size_t *start)
{
    size_t p = pos;
    long cp;
    while (p > 0 && pos - p < 64) {
        size_t n = utf8_before (t->s, t->len, p, &cp);
        if (cp_is_letter (cp))
            p -= n;
        else
        if (cp == '-' && letter_before (t, p - 1) && p < pos)
            p -= 1;
        else
            break;
    }
    if (p == pos || pos - p >= 64 || !word_start (t, p))
        return false;
    *start = p;
    return true;
}

//  The next word after a word ending at pos, if only a short gap of
//  punctuation or space separates them (no digits, no long runs).
static bool
next_word (const scan_t *t, size_t pos, size_t *ws, size_t *we)
{
    size_t p = pos;
    long cp;
    while (p < t->len && p - pos <= 8) {
        size_t n = utf8_at (t->s, t->len, p, &cp);
        if (cp_is_letter (cp))
            break;
        if (cp >= '0' && cp <= '9')
            return false;
        p += n;
    }
    if (p == pos || p - pos > 8 || !word_start (t, p))
        return false;
    *ws = p;
    *we = word_end (t, p);
    return true;
}

//  ---------------------------------------------------------------------
//  Findings

static bool
emit (scan_t *t, scan_kind_t kind, size_t offset, size_t length, int confidence)
{
    if (t->count < t->max) {
        t->out [t->count].kind = kind;
        t->out [t->count].offset = offset;
        t->out [t->count].length = length;
        t->out [t->count].confidence = confidence;
    }
    t->count++;
    t->last_end = offset + length;
    return true;
}

//  ---------------------------------------------------------------------
//  Dates

static bool
date_ok (int day, int month, int year, bool four_digit_year)
{
    static const int days [12] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    if (month < 1 || month > 12 || day < 1 || day > days [month - 1])
        return false;
    if (month == 2 && day == 29) {
        if (four_digit_year)
            return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
        return year % 4 == 0;       //  "00" may be 2000
    }
    return true;
}

static const struct { const char *name; int month; } month_names [] = {
    { "januar", 1 }, { "january", 1 }, { "jan", 1 },
    { "februar", 2 }, { "february", 2 }, { "feb", 2 },
    { "mars", 3 }, { "march", 3 }, { "mar", 3 },
    { "april", 4 }, { "apr", 4 },
    { "mai", 5 }, { "may", 5 },
    { "juni", 6 }, { "june", 6 }, { "jun", 6 },
    { "juli", 7 }, { "july", 7 }, { "jul", 7 },
    { "august", 8 }, { "aug", 8 },
    { "september", 9 }, { "sept", 9 }, { "sep", 9 },
    { "oktober", 10 }, { "october", 10 }, { "okt", 10 }, { "oct", 10 },
    { "november", 11 }, { "nov", 11 },
    { "desember", 12 }, { "december", 12 }, { "des", 12 }, { "dec", 12 },
};

static int
month_name_at (const scan_t *t, size_t pos, size_t *length)
{
    for (size_t k = 0; k < sizeof month_names / sizeof month_names [0]; k++) {
        size_t n = ci_word (t, pos, month_names [k].name);
        if (n) {
            *length = n;
            return month_names [k].month;
        }
    }
    return 0;
}

//  A date at pos: d.m.yy(yy), d/m/yy(yy), d-m-yy(yy), yyyy-mm-dd,
//  ddmmyy(yy), or "12. mars 1985". Returns its end, or 0.
static size_t
date_at (const scan_t *t, size_t pos)
{
    const byte *s = t->s;
    size_t n1 = digit_run (t, pos, 8);
    if (n1 == 4 && pos + 4 < t->len && s [pos + 4] == '-') {
        size_t m = pos + 5, d = pos + 7;
        if (digit_run (t, m, 2) == 2 && d < t->len && s [d] == '-'
        &&  digit_run (t, d + 1, 2) == 2
        &&  date_ok (digits_value (s + d + 1, 2), digits_value (s + m, 2),
                     digits_value (s + pos, 4), true))
            return d + 3;
        return 0;
    }
    if (n1 == 6 || n1 == 8) {
        if (date_ok (digits_value (s + pos, 2), digits_value (s + pos + 2, 2),
                     digits_value (s + pos + 4, n1 - 4), n1 == 8))
            return pos + n1;
        return 0;
    }
    if (n1 != 1 && n1 != 2)
        return 0;
    int day = digits_value (s + pos, n1);
    size_t q = pos + n1;
    if (q < t->len && (s [q] == '.' || s [q] == '/' || s [q] == '-')) {
        byte sep = s [q];
        size_t n2 = digit_run (t, q + 1, 2);
        size_t r = q + 1 + n2;
        if ((n2 == 1 || n2 == 2) && r < t->len && s [r] == sep) {
            size_t n3 = digit_run (t, r + 1, 4);
            if ((n3 == 2 || n3 == 4)
            &&  date_ok (day, digits_value (s + q + 1, n2),
                         digits_value (s + r + 1, n3), n3 == 4))
                return r + 1 + n3;
            return 0;
        }
    }
    //  "12. mars 1985"
    if (q < t->len && s [q] == '.')
        q++;
    q = skip_spaces (t, q, 2);
    size_t mlen = 0;
    int month = month_name_at (t, q, &mlen);
    if (!month)
        return 0;
    q += mlen;
    if (q < t->len && s [q] == '.')
        q++;
    size_t r = skip_spaces (t, q, 2);
    if (r == q)
        return 0;
    size_t n3 = digit_run (t, r, 4);
    if ((n3 == 2 || n3 == 4)
    &&  date_ok (day, month, digits_value (s + r, n3), n3 == 4))
        return r + n3;
    return 0;
}

//  ---------------------------------------------------------------------
//  Fødselsnummer, D-number, H-number

static bool
fnr_date_ok (const byte *d)
{
    int day = (d [0] - '0') * 10 + (d [1] - '0');
    int month = (d [2] - '0') * 10 + (d [3] - '0');
    int year = (d [4] - '0') * 10 + (d [5] - '0');
    if (day >= 41 && day <= 71) {
        if (month > 12)
            return false;           //  D and H together: no such number
        day -= 40;
    }
    else
    if (month >= 41 && month <= 52)
        month -= 40;
    return date_ok (day, month, year, false);
}

//  Check digit over n digits with the given weights: 0..9, or -1 when the
//  remainder makes it 10 (no such number).
static int
fnr_check_digit (const byte *d, const int *weights, int n)
{
    int sum = 0;
    for (int k = 0; k < n; k++)
        sum += weights [k] * (d [k] - '0');
    int check = 11 - sum % 11;
    if (check == 11)
        check = 0;
    return check == 10? -1: check;
}

static const int fnr_w1 [9] = { 3, 7, 6, 1, 8, 9, 4, 5, 2 };
static const int fnr_w2 [10] = { 5, 4, 3, 2, 7, 6, 5, 4, 3, 2 };

bool
scanner_fnr_valid (const char *digits, size_t len)
{
    if (!digits || len != 11)
        return false;
    const byte *d = (const byte *) digits;
    for (size_t k = 0; k < 11; k++)
        if (!is_digit (d [k]))
            return false;
    return fnr_check_digit (d, fnr_w1, 9) == d [9] - '0'
        && fnr_check_digit (d, fnr_w2, 10) == d [10] - '0';
}

int
scanner_fnr_make (int day, int month, int year2, int individual,
                  scan_fnr_type_t type, char out [12])
{
    if (!out || year2 < 0 || year2 > 99 || individual < 0 || individual > 999
    ||  !date_ok (day, month, year2, false))
        return -1;
    if (type == SCAN_FNR_D)
        day += 40;
    else
    if (type == SCAN_FNR_H)
        month += 40;
    int fields [4] = { day, month, year2, individual };
    char *p = out;
    for (int k = 0; k < 4; k++) {
        int width = k == 3? 3: 2, v = fields [k];
        for (int w = width - 1; w >= 0; w--, v /= 10)
            p [w] = (char) ('0' + v % 10);
        p += width;
    }
    int k1 = fnr_check_digit ((const byte *) out, fnr_w1, 9);
    if (k1 < 0)
        return -1;
    out [9] = (char) ('0' + k1);
    int k2 = fnr_check_digit ((const byte *) out, fnr_w2, 10);
    if (k2 < 0)
        return -1;
    out [10] = (char) ('0' + k2);
    out [11] = '\0';
    return 0;
}

//  Eleven digits, alone or as 6 + 5 with one space, whose first six form a
//  date. From 2032 new numbers have other check digits, so the checksum
//  only raises confidence.
static bool
fnr_try (scan_t *t, size_t pos)
{
    byte d [11];
    size_t end;
    size_t run = digit_run (t, pos, 11);
    if (run == 11) {
        memcpy (d, t->s + pos, 11);
        end = pos + 11;
    }
    else
    if (run == 6) {
        size_t sp = group_space_at (t, pos + 6);
        if (!sp && pos + 6 < t->len && t->s [pos + 6] == '-')
            sp = 1;
        if (!sp || digit_run (t, pos + 6 + sp, 5) != 5)
            return false;
        memcpy (d, t->s + pos, 6);
        memcpy (d + 6, t->s + pos + 6 + sp, 5);
        end = pos + 6 + sp + 5;
    }
    else
        return false;
    if (!fnr_date_ok (d))
        return false;
    int conf = scanner_fnr_valid ((const char *) d, 11)? SCAN_CONF_HIGH: SCAN_CONF_MEDIUM;
    return emit (t, SCAN_NATIONAL_ID, pos, end - pos, conf);
}

//  ---------------------------------------------------------------------
//  Bank account numbers: eleven digits, the last a MOD11 check digit over
//  the first ten with the weights 5,4,3,2,7,6,5,4,3,2 (those of the
//  fødselsnummer's second check digit). An account is held by a person
//  and a bank tells the police whose it is: it identifies as a phone does.

static bool
account_valid (const byte *d)
{
    return fnr_check_digit (d, fnr_w2, 10) == d [10] - '0';
}

//  Eleven digits alone with a valid check digit. (Written 4.2.5 with
//  separators, the digit chain finds it: chain_try.)
static bool
account_try (scan_t *t, size_t pos)
{
    if (digit_run (t, pos, 11) != 11 || !account_valid (t->s + pos))
        return false;
    return emit (t, SCAN_BANK_ACCOUNT, pos, 11, SCAN_CONF_HIGH);
}

//  ---------------------------------------------------------------------
//  Known set: keyed hashes of a tagged, normalised value
//
//  Version 3 (this one): SipHash-2-4 with a 128-bit output (libsodium's
//  crypto_shorthash_siphashx24) under a key derived from the scanner key,
//  followed by a 16-byte marker, is the stored 32-byte value. A scan hashes
//  every word window of a text; a SipHash of a short name costs a few dozen
//  nanoseconds where HMAC-SHA256 cost a quarter of a microsecond. There is
//  no HMAC check after a SipHash hit: a false match (one in 2^128 per
//  lookup) would only add a finding, and a confirmation step would make a
//  scan's time depend on whether a name is known.
//
//  Version 2 hashes (HMAC-SHA256 of the tagged value under the scanner
//  key) are still matched when a store holds them: any hash without the
//  marker is one, and a set holding any makes the scan compute version 2
//  hashes too, as before.

static int
known_mac (const scan_known_t *self, const char *tag, const void *data, size_t n,
           uint8_t out [SCAN_HASH_SIZE])
{
    SHA256_CTX ctx = self->inner;
    uint8_t inner [SHA256_DIGEST_LENGTH];
    int ok = SHA256_Update (&ctx, tag, strlen (tag)) == 1
          && SHA256_Update (&ctx, data, n) == 1
          && SHA256_Final (inner, &ctx) == 1;
    ctx = self->outer;
    ok = ok && SHA256_Update (&ctx, inner, sizeof inner) == 1
            && SHA256_Final (out, &ctx) == 1;
    OPENSSL_cleanse (&ctx, sizeof ctx);
    OPENSSL_cleanse (inner, sizeof inner);
    return ok? 0: -1;
}

//  The tags keep a name and a phone with the same bytes apart; a name
//  never contains a newline after normalisation.
//  Version 2: names are folded with textnorm_fold_key (version 1 hashes
//  of Latin-1 case folds are not comparable and are not loaded).
//  (Arrays, not literals: tag3_of tells them apart by address.)
static const char TAG_NAME [] = "samhand-scan-2 name\n";
static const char TAG_PHONE [] = "samhand-scan-2 phone\n";
//  A first name alone: counts only when the word list does not have it (a
//  distinctive name), so "Kari" does not block an agency's discussions
//  for ever because it once reported a Kari. Middle names are kept as
//  surnames are (TAG_NAME): a middle name alone names the person.
static const char TAG_PART [] = "samhand-scan-2 part\n";
//  The first word of a name of two words or more, whatever its length:
//  a text window of two or three words is hashed only when its first word
//  has this hash in the set, which spares most windows their lookups.
static const char TAG_FIRST [] = "samhand-scan-2 first\n";

//  Version 3 tags: one byte before the value (a folded name holds only
//  letters, '-', '\'' and spaces; phone digits are ASCII digits).
static byte
tag3_of (const char *tag)
{
    assert (tag == TAG_NAME || tag == TAG_PHONE || tag == TAG_PART || tag == TAG_FIRST);
    return tag == TAG_NAME? 1: tag == TAG_PHONE? 2: tag == TAG_PART? 3: 4;
}

//  What follows the SipHash in a version 3 hash.
static const uint8_t known_marker [SCAN_HASH_SIZE - crypto_shorthash_siphashx24_BYTES] = {
    's', 'a', 'm', 'h', 'a', 'n', 'd', ' ', 's', 'c', 'a', 'n', ' ', 'v', '3', '.'
};

static bool
known_is_v3 (const uint8_t *hash)
{
    return memcmp (hash + crypto_shorthash_siphashx24_BYTES, known_marker,
                   sizeof known_marker) == 0;
}

//  The version 3 hash of a tagged value (n at most SCAN_NAME_MAX bytes).
static int
known_hash (const scan_known_t *self, const char *tag, const void *data, size_t n,
            uint8_t out [SCAN_HASH_SIZE])
{
    byte in [1 + SCAN_NAME_MAX];
    if (n > SCAN_NAME_MAX)
        return -1;
    in [0] = tag3_of (tag);
    memcpy (in + 1, data, n);
    int rc = crypto_shorthash_siphashx24 (out, in, n + 1, self->sip_key);
    memcpy (out + crypto_shorthash_siphashx24_BYTES, known_marker, sizeof known_marker);
    explicit_bzero (in, n + 1);
    return rc == 0? 0: -1;
}

static size_t
known_slot (const scan_known_t *self, const uint8_t *hash)
{
    uint64_t h;
    memcpy (&h, hash, sizeof h);
    return (size_t) h & (self->cap - 1);
}

static bool
known_contains (const scan_known_t *self, const uint8_t *hash)
{
    for (size_t k = known_slot (self, hash); self->used [k]; k = (k + 1) & (self->cap - 1))
        if (memcmp (self->slots [k], hash, SCAN_HASH_SIZE) == 0)
            return true;
    return false;
}

static void
known_put (scan_known_t *self, const uint8_t *hash)
{
    size_t k = known_slot (self, hash);
    while (self->used [k]) {
        if (memcmp (self->slots [k], hash, SCAN_HASH_SIZE) == 0)
            return;
        k = (k + 1) & (self->cap - 1);
    }
    memcpy (self->slots [k], hash, SCAN_HASH_SIZE);
    self->used [k] = 1;
    self->size++;
    if (!known_is_v3 (hash))
        self->legacy++;
}

static int
known_grow (scan_known_t *self)
{
    size_t cap = self->cap? self->cap * 2: 64;
    if (cap > SIZE_MAX / SCAN_HASH_SIZE / 2)
        return -1;
    uint8_t (*slots) [SCAN_HASH_SIZE] = calloc (cap, SCAN_HASH_SIZE);
    uint8_t *used = calloc (cap, 1);
    if (!slots || !used) {
        free (slots);
        free (used);
        return -1;
    }
    scan_known_t old = *self;
    self->slots = slots;
    self->used = used;
    self->cap = cap;
    self->size = 0;
    self->legacy = 0;
    for (size_t k = 0; k < old.cap; k++)
        if (old.used [k])
            known_put (self, old.slots [k]);
    free (old.slots);
    free (old.used);
    return 0;
}

scan_known_t *
scan_known_new (const uint8_t key [SCAN_KEY_SIZE])
{
    if (!key)
        return NULL;
    scan_known_t *self = calloc (1, sizeof *self);
    if (!self)
        return NULL;
    uint8_t ipad [SHA256_CBLOCK], opad [SHA256_CBLOCK];
    memset (ipad, 0x36, sizeof ipad);
    memset (opad, 0x5c, sizeof opad);
    for (size_t i = 0; i < SCAN_KEY_SIZE; i++) {
        ipad [i] ^= key [i];
        opad [i] ^= key [i];
    }
    int ok = SHA256_Init (&self->inner) == 1 && SHA256_Update (&self->inner, ipad, sizeof ipad) == 1
          && SHA256_Init (&self->outer) == 1 && SHA256_Update (&self->outer, opad, sizeof opad) == 1;
    OPENSSL_cleanse (ipad, sizeof ipad);
    OPENSSL_cleanse (opad, sizeof opad);
    //  the SipHash key: HMAC of a label under the scanner key, cut short
    uint8_t derived [SCAN_HASH_SIZE];
    ok = ok && sodium_init () >= 0
            && known_mac (self, "samhand-scan-3 siphash key\n", "", 0, derived) == 0;
    memcpy (self->sip_key, derived, sizeof self->sip_key);
    OPENSSL_cleanse (derived, sizeof derived);
    if (!ok || known_grow (self) != 0) {
        scan_known_destroy (&self);
        return NULL;
    }
    return self;
}

void
scan_known_destroy (scan_known_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    scan_known_t *self = *self_p;
    OPENSSL_cleanse (&self->inner, sizeof self->inner);
    OPENSSL_cleanse (&self->outer, sizeof self->outer);
    OPENSSL_cleanse (self->sip_key, sizeof self->sip_key);
    if (self->slots)
        OPENSSL_cleanse (self->slots, self->cap * SCAN_HASH_SIZE);
    free (self->slots);
    free (self->used);
    free (self);
    *self_p = NULL;
}

int
scan_known_add_hash (scan_known_t *self, const uint8_t hash [SCAN_HASH_SIZE])
{
    if (!self || !hash)
        return -1;
    if ((self->size + 1) * 2 > self->cap && known_grow (self) != 0)
        return -1;
    known_put (self, hash);
    return 0;
}

bool
scan_known_contains (const scan_known_t *self, const uint8_t hash [SCAN_HASH_SIZE])
{
    return self && hash && known_contains (self, hash);
}

size_t
scan_known_size (const scan_known_t *self)
{
    return self? self->size: 0;
}

//  The cache entry of the word [ws, we), emptied first if it held another.
static word_cache_t *
word_cached (const scan_t *t, size_t ws, size_t we)
{
    if (!t->cache)
        return NULL;
    word_cache_t *e = &t->cache [ws % WORD_CACHE];
    if (e->ws != ws || e->we != we) {
        e->ws = ws;
        e->we = we;
        e->flags = -1;
        e->key_len = -1;
    }
    return e;
}

//  textnorm_fold_key of the word [ws, we) into out, through the cache.
static size_t
word_key (const scan_t *t, size_t ws, size_t we, char *out, size_t cap)
{
    word_cache_t *e = word_cached (t, ws, we);
    if (e && e->key_len >= 0) {
        if ((size_t) e->key_len >= cap)
            return 0;               //  as textnorm_fold_key: it does not fit
        memcpy (out, e->key, (size_t) e->key_len + 1);
        return (size_t) e->key_len;
    }
    size_t n = textnorm_fold_key ((const char *) t->s + ws, we - ws, out, cap);
    //  0 may mean "did not fit cap": only a key is kept
    if (e && n > 0 && n < WORD_KEY_MAX) {
        memcpy (e->key, out, n);
        e->key [n] = '\0';
        e->key_len = (int) n;
    }
    return n;
}

//  Folds the word [ws, we) with textnorm_fold_key and appends it to buf;
//  false if it does not fit or holds no letter.
static bool
fold_append (const scan_t *t, size_t ws, size_t we, char *buf, size_t *used, size_t cap)
{
    size_t n = word_key (t, ws, we, buf + *used, cap - *used);
    if (n == 0)
        return false;
    *used += n;
    return true;
}

//  Normalises words into "w1 w2 w3"; false if longer than SCAN_NAME_MAX.
static bool
join_words (const scan_t *t, const size_t *ws, const size_t *we, int n,
            char buf [SCAN_NAME_MAX], size_t *used)
{
    *used = 0;
    for (int k = 0; k < n; k++) {
        if (k > 0) {
            if (*used + 1 >= SCAN_NAME_MAX)
                return false;
            buf [(*used)++] = ' ';
        }
        if (!fold_append (t, ws [k], we [k], buf, used, SCAN_NAME_MAX))
            return false;
    }
    return true;
}

static size_t
cp_count (const scan_t *t, size_t ws, size_t we)
{
    size_t count = 0;
    long cp;
    for (size_t p = ws; p < we; count++)
        p += utf8_at (t->s, t->len, p, &cp);
    return count;
}

//  Splits a name into words the way the text is split, so that both sides
//  normalise alike. Returns the word count (may exceed max).
static int
split_words (const scan_t *t, size_t *ws, size_t *we, int max)
{
    int n = 0;
    long cp;
    for (size_t p = 0; p < t->len; ) {
        if (word_start (t, p)) {
            size_t e = word_end (t, p);
            if (n < max) {
                ws [n] = p;
                we [n] = e;
            }
            else {                  //  keep the last word in the last slot
                ws [max - 1] = p;
                we [max - 1] = e;
            }
            n++;
            p = e;
        }
        else
            p += utf8_at (t->s, t->len, p, &cp);
    }
    return n;
}

static int
name_hash_tag (const scan_known_t *self, const scan_t *t, const size_t *ws, const size_t *we,
               int n, const char *tag, uint8_t hash [SCAN_HASH_SIZE])
{
    char buf [SCAN_NAME_MAX];
    size_t used;
    int rc = join_words (t, ws, we, n, buf, &used)
           ? known_hash (self, tag, buf, used, hash): -1;
    OPENSSL_cleanse (buf, sizeof buf);
    return rc;
}

static int
name_hash (const scan_known_t *self, const scan_t *t, const size_t *ws, const size_t *we, int n,
           uint8_t hash [SCAN_HASH_SIZE])
{
    return name_hash_tag (self, t, ws, we, n, TAG_NAME, hash);
}

static int
name_hashes (const scan_known_t *self, const scan_t *t,
             uint8_t hashes [SCAN_NAME_HASHES_MAX][SCAN_HASH_SIZE])
{
    size_t ws [4], we [4];
    int words = split_words (t, ws, we, 4);
    if (words == 0)
        return -1;
    int last = words < 4? words - 1: 3;
    int count = 0;
    if (words >= 2 && words <= 4 && name_hash (self, t, ws, we, words, hashes [count++]))
        return -1;
    if (words >= 3) {
        size_t fs [2] = { ws [0], ws [last] }, fe [2] = { we [0], we [last] };
        if (name_hash (self, t, fs, fe, 2, hashes [count++]))
            return -1;
    }
    //  Every word alone, middle names too: "Marie" alone names the
    //  person as well as her surname does (with more than four words the
    //  first three and the last are kept).
    for (int k = 0; k <= last && count < SCAN_NAME_HASHES_MAX; k++)
        if (cp_count (t, ws [k], we [k]) >= 3
        &&  name_hash_tag (self, t, ws + k, we + k, 1, k == 0 && last > 0? TAG_PART: TAG_NAME,
                           hashes [count++]))
            return -1;
    if (words >= 2 && count < SCAN_NAME_HASHES_MAX
    &&  name_hash_tag (self, t, ws, we, 1, TAG_FIRST, hashes [count++]))
        return -1;
    return count > 0? count: -1;
}

int
scan_known_name_hashes (const scan_known_t *self, const char *name, size_t len,
                        uint8_t hashes [SCAN_NAME_HASHES_MAX][SCAN_HASH_SIZE])
{
    if (!self || !name || !hashes)
        return -1;
    //  The name is normalised as scanned text is, so that both sides
    //  meet whatever characters either was written with.
    textnorm_t *norm = textnorm_new ();
    if (!norm || textnorm_add (norm, name, len, 0)) {
        textnorm_destroy (&norm);
        return -1;
    }
    scan_t t = { .s = (const byte *) textnorm_text (norm), .len = textnorm_len (norm) };
    int rc = name_hashes (self, &t, hashes);
    textnorm_destroy (&norm);
    return rc;
}

int
scan_known_add_name (scan_known_t *self, const char *name, size_t len)
{
    uint8_t hashes [SCAN_NAME_HASHES_MAX][SCAN_HASH_SIZE];
    int n = scan_known_name_hashes (self, name, len, hashes);
    int rc = n > 0? 0: -1;
    for (int k = 0; k < n && rc == 0; k++)
        rc = scan_known_add_hash (self, hashes [k]);
    return rc;
}

//  The 8 national digits of a phone number written by a person.
static bool
phone_normalise (const char *phone, size_t len, char digits [8])
{
    char all [16];
    size_t n = 0;
    bool plus = false;
    for (size_t k = 0; k < len; k++) {
        char c = phone [k];
        if (is_digit ((byte) c)) {
            if (n == sizeof all)
                return false;
            all [n++] = c;
        }
        else
        if (c == '+' && n == 0 && !plus)
            plus = true;
        else
        if (c != ' ' && c != '-' && c != '.' && c != '(' && c != ')')
            return false;
    }
    const char *national = all;
    if (n == 12 && !plus && memcmp (all, "0047", 4) == 0)
        national += 4;
    else
    if (n == 10 && memcmp (all, "47", 2) == 0)
        national += 2;
    else
    if (n != 8 || plus)
        return false;
    memcpy (digits, national, 8);
    return true;
}

int
scan_known_phone_hash (const scan_known_t *self, const char *phone, size_t len,
                       uint8_t hash [SCAN_HASH_SIZE])
{
    char digits [8];
    if (!self || !phone || !hash || !phone_normalise (phone, len, digits))
        return -1;
    return known_hash (self, TAG_PHONE, digits, 8, hash);
}

int
scan_known_add_phone (scan_known_t *self, const char *phone, size_t len)
{
    uint8_t hash [SCAN_HASH_SIZE];
    if (scan_known_phone_hash (self, phone, len, hash) != 0)
        return -1;
    return scan_known_add_hash (self, hash);
}

//  ---------------------------------------------------------------------
//  Phone numbers

static bool
token_in (const scan_t *t, size_t pos, size_t end, const wordlist_t *list)
{
    if (!gate_token (&list->gate, t->s + pos, end - pos))
        return false;
    for (size_t i = 0; list->words [i]; i++)
        if (list->lens [i] == end - pos && ci_equal_n (t->s + pos, end - pos, list->words [i]))
            return true;
    return false;
}

static const char *const money_before_w [] = {
    "kr", "kr.", "nok", "kroner", "beløp", "beløpet", "sum", "eur", "usd",
    "sek", "dkk", "€", "$", "£", NULL
};
static wordlist_t money_before = { money_before_w, false, { 0 }, { 0 }, { 0 }, 0 };
static const char *const unit_after_w [] = {
    "kr", "kr.", "kroner", "nok", "prosent", "%", "mill", "mill.", "millioner",
    "mrd", "mrd.", "milliarder", "euro", "eur", "dollar", "usd", ",-", NULL
};
static wordlist_t unit_after = { unit_after_w, false, { 0 }, { 0 }, { 0 }, 0 };

//  The token (run of non-space characters, at most 12 bytes) that ends
//  after at most two spaces before pos.
static bool
token_before (const scan_t *t, size_t pos, size_t *start, size_t *end)
{
    long cp;
    size_t p = pos;
    for (int k = 0; k < 2 && p > 0; k++) {
        size_t n = utf8_before (t->s, t->len, p, &cp);
        if (cp != ' ' && cp != 0xA0)
            break;
        p -= n;
    }
    size_t e = p;
    while (p > 0 && e - p <= 12) {
        size_t n = utf8_before (t->s, t->len, p, &cp);
        if (cp == ' ' || cp == 0xA0 || cp == '\n' || cp == '\t' || cp == '(')
            break;
        p -= n;
    }
    if (e > p && t->s [e - 1] == ':')   //  "beløp:"
        e--;
    if (p == e || e - p > 12)
        return false;
    *start = p;
    *end = e;
    return true;
}

static bool
token_after (const scan_t *t, size_t pos, size_t *start, size_t *end)
{
    long cp;
    size_t p = skip_spaces (t, pos, 2);
    size_t s = p;
    while (p < t->len && p - s <= 12) {
        size_t n = utf8_at (t->s, t->len, p, &cp);
        if (cp == ' ' || cp == 0xA0 || cp == '\n' || cp == '\t' || cp == ')'
        ||  cp == ',' || cp == ';' || cp == '!' || cp == '?')
            break;
        p += n;
    }
    //  "kr." at the end of a sentence is still "kr"
    while (p > s && t->s [p - 1] == '.' && !ci_equal (t->s + s, p - s, "kr.")
           && !ci_equal (t->s + s, p - s, "mill.") && !ci_equal (t->s + s, p - s, "mrd."))
        p--;
    if (p == s || p - s > 12)
        return false;
    *start = s;
    *end = p;
    return true;
}

//  An 8-digit number in a usual grouping at pos: 91234567, 912 34 567,
//  91 23 45 67, 9123 4567 (dashes allowed in the first two groupings).
//  Fills digits, returns the end or 0.
static size_t
phone_groups (const scan_t *t, size_t pos, char digits [8], bool *grouped)
{
    size_t groups [4];
    int ngroups = 0;
    size_t total = 0, p = pos;
    bool dash = false;
    while (true) {
        size_t run = digit_run (t, p, 8);
        if (run == 0 || run > 8 - total || ngroups == 4)
            return 0;
        memcpy (digits + total, t->s + p, run);
        groups [ngroups++] = run;
        total += run;
        p += run;
        if (total == 8)
            break;
        size_t sep = group_space_at (t, p);
        if (!sep && p < t->len && t->s [p] == '-') {
            sep = 1;
            dash = true;
        }
        if (!sep)
            return 0;
        p += sep;
    }
    bool ok = (ngroups == 1)
           || (ngroups == 3 && groups [0] == 3 && groups [1] == 2)
           || (ngroups == 4 && groups [0] == 2 && groups [1] == 2 && groups [2] == 2)
           || (ngroups == 2 && groups [0] == 4 && !dash);
    if (!ok || digits [0] < '2')
        return 0;
    const byte *d = (const byte *) digits;
    if (ngroups == 2) {             //  "2019 2020" is two years
        int a = digits_value (d, 4), b = digits_value (d + 4, 4);
        if (a >= 1900 && a <= 2099 && b >= 1900 && b <= 2099)
            return 0;
    }
    if (ngroups == 1) {             //  "25122023" is a date
        int year = digits_value (d + 4, 4);
        if (year >= 1900 && year <= 2099
        &&  date_ok (digits_value (d, 2), digits_value (d + 2, 2), year, true))
            return 0;
    }
    //  one more group after a grouped number: a longer number or a list
    *grouped = ngroups > 1;
    size_t sep = group_space_at (t, p);
    if (!sep && p < t->len && t->s [p] == '-')
        sep = 1;
    if (*grouped && sep && digit_at (t, p + sep))
        return 0;
    return p;
}

//  Amounts, decimals, dates and times around a bare 8-digit candidate.
static bool
phone_context_ok (const scan_t *t, size_t start, size_t end, bool grouped)
{
    const byte *s = t->s;
    size_t a, b;
    if (start >= 2 && in_set (s [start - 1], ".,:/-") && is_digit (s [start - 2]))
        return false;
    if (grouped && group_space_before (t, start)) {
        long cp;
        size_t n = utf8_before (t->s, t->len, start, &cp);
        if (start > n && is_digit (s [start - n - 1]))
            return false;           //  a group before it
    }
    if (token_before (t, start, &a, &b) && token_in (t, a, b, &money_before))
        return false;
    if (end < t->len) {
        byte c = s [end];
        if (c == '%')
            return false;
        if (in_set (c, ".,:/") && end + 1 < t->len
        &&  (is_digit (s [end + 1]) || s [end + 1] == '-'))
            return false;
    }
    if (token_after (t, end, &a, &b) && token_in (t, a, b, &unit_after))
        return false;
    return true;
}

//  Known or not, a phone is a phone: the answer must not tell a sender
//  whether the broker has seen the number (no membership oracle).
static bool
phone_emit (scan_t *t, size_t start, size_t end, const char digits [8], int conf)
{
    (void) digits;
    return emit (t, SCAN_PHONE, start, end - start, conf);
}

static bool
phone_try (scan_t *t, size_t pos)
{
    char digits [8];
    bool grouped = false;
    size_t p = 0;
    //  +47 / 0047 / (+47) prefix: then it is a phone whatever surrounds it
    if (t->s [pos] == '+' && ci_prefix (t, pos, "+47"))
        p = pos + 3;
    else
    if (ci_prefix (t, pos, "0047"))
        p = pos + 4;
    if (p) {
        if (p < t->len && t->s [p] == ')')
            p++;
        size_t sep = group_space_at (t, p);
        if (!sep && p < t->len && t->s [p] == '-')
            sep = 1;
        size_t end = phone_groups (t, p + sep, digits, &grouped);
        if (end)
            return phone_emit (t, pos, end, digits, SCAN_CONF_HIGH);
        if (t->s [pos] == '+')
            return false;
    }
    if (!is_digit (t->s [pos]))
        return false;
    //  "47 912 34 567": the country code without its plus
    size_t sep = ci_prefix (t, pos, "47")? group_space_at (t, pos + 2): 0;
    size_t end = sep? phone_groups (t, pos + 2 + sep, digits, &grouped): 0;
    if (end && phone_context_ok (t, pos, end, true))
        return phone_emit (t, pos, end, digits, SCAN_CONF_HIGH);
    end = phone_groups (t, pos, digits, &grouped);
    if (!end || !phone_context_ok (t, pos, end, grouped))
        return false;
    return phone_emit (t, pos, end, digits, SCAN_CONF_MEDIUM);
}

//  ---------------------------------------------------------------------
//  Digit chains: a number written in groups with any separators a reader
//  reads through ("010190.40034", "4123-4567", "41.23.45.67", "412 345 67",
//  a tab or line break between groups)

#define CHAIN_MAX 12

typedef struct {
    char digits [CHAIN_MAX + 1];
    size_t n;                   //  digits (CHAIN_MAX + 1 means "more")
    int groups;
    size_t glen [CHAIN_MAX + 1];
    char sep [CHAIN_MAX + 1];   //  between group k and k+1: ' ', '.', '-', '/'
    size_t end;
    bool lookalike;             //  a letter was read as a digit
} chain_t;

//  A letter a reader takes for a digit inside a number: O for 0, l and I
//  for 1 ("O1O19O 4OO34").
static char
lookalike_digit (byte c)
{
    return c == 'O' || c == 'o'? '0': c == 'l' || c == 'I'? '1': 0;
}

//  The digit at p in a chain: a digit, or a look-alike letter after a
//  digit of its group or (with at most two more) before a digit. 0 when
//  none.
static char
chain_digit (const scan_t *t, size_t p, bool after_digit)
{
    if (digit_at (t, p))
        return (char) t->s [p];
    if (p >= t->len)
        return 0;
    char d = lookalike_digit (t->s [p]);
    if (!d || after_digit)
        return d;
    //  at the start of a group: up to three look-alikes, then a digit
    for (size_t q = p + 1; q < t->len && q - p <= 3; q++) {
        if (is_digit (t->s [q]))
            return d;
        if (!lookalike_digit (t->s [q]))
            return 0;
    }
    return 0;
}

//  Between two digit groups: one to three characters of spaces, line
//  breaks and at most one mark a reader reads through ('.', '-', '/', '\\',
//  '_', '*', '~', '|', '+', ':', '\'', '(', ')'), the mark possibly
//  repeated at once (kind 'D'). Returns its length and kind; or a lone
//  ',' or ';'.
static size_t
chain_sep (const scan_t *t, size_t pos, char *kind)
{
    size_t p = pos;
    *kind = ' ';
    //  a comma or semicolon only alone, with a digit right after it
    //  ("412,34,567", "010190;40034"): with a space it lists ("2, 3 og 4")
    if (p < t->len && (t->s [p] == ',' || t->s [p] == ';')) {
        *kind = (char) t->s [p];
        return chain_digit (t, p + 1, false)? 1: 0;
    }
    byte mark = 0;
    while (p < t->len && p - pos < 3) {
        byte c = t->s [p];
        if (c == ' ' || c == '\n')
            p++;
        else
        if (in_set (c, ".-/\\_*~|+:'()") && *kind == ' ') {
            *kind = (char) c;
            mark = c;
            p++;
        }
        else
        if (c == mark && t->s [p - 1] == mark) {
            //  the mark doubled or tripled at once ("4123..4567",
            //  "4123...4567"): read through as the mark alone is, but a
            //  kind of its own, so "20.30..22.45" stays a range of times
            *kind = 'D';
            p++;
        }
        else
            break;
    }
    return chain_digit (t, p, false)? p - pos: 0;
}

//  A comma and one or two spaces before the next digit group ("010190,
//  40034", "412, 34, 567"): what lists numbers in ordinary text, so only
//  a chain of such separators alone is read with it (comma_chain_try).
static size_t
chain_sep_spaced_comma (const scan_t *t, size_t pos, char *kind)
{
    *kind = ',';
    if (pos + 2 >= t->len || t->s [pos] != ',' || t->s [pos + 1] != ' ')
        return 0;
    size_t p = pos + 2;
    if (t->s [p] == ' ')
        p++;
    return chain_digit (t, p, false)? p - pos: 0;
}

static void
chain_read_with (const scan_t *t, size_t pos, chain_t *c, bool spaced_comma)
{
    memset (c, 0, sizeof *c);
    size_t p = pos;
    while (c->n <= CHAIN_MAX) {
        size_t run = 0;
        char d;
        while (c->n <= CHAIN_MAX && (d = chain_digit (t, p, run > 0)) != 0) {
            c->lookalike = c->lookalike || !is_digit (t->s [p]);
            c->digits [c->n++] = d;
            p++;
            run++;
        }
        c->glen [c->groups++] = run;
        c->end = p;
        char kind;
        size_t sep = c->n > CHAIN_MAX? 0
                   : spaced_comma? chain_sep_spaced_comma (t, p, &kind): chain_sep (t, p, &kind);
        if (!sep || c->groups > CHAIN_MAX)
            break;
        c->sep [c->groups - 1] = kind;
        p += sep;
    }
}

static void
chain_read (const scan_t *t, size_t pos, chain_t *c)
{
    chain_read_with (t, pos, c, false);
}

static bool
hhmm_ok (const char *d)
{
    return digits_value ((const byte *) d, 2) <= 23 && digits_value ((const byte *) d + 2, 2) <= 59;
}

static bool
ddmm_ok (const char *d)
{
    return date_ok (digits_value ((const byte *) d, 2), digits_value ((const byte *) d + 2, 2),
                    2000, true);
}

//  Eight grouped digits that are not a phone: a range of times or dates
//  ("20.30-22.45", "20:30 - 22:45", "22.03-24.03"), a date with a four-digit year either
//  way round, two years, a round amount ("45 000 000").
static bool
chain_not_phone (const chain_t *c)
{
    const char *d = c->digits;
    const byte *b = (const byte *) d;
    if (c->groups == 4 && c->glen [0] == 2 && c->glen [1] == 2 && c->glen [2] == 2
    &&  (c->sep [0] == '.' || c->sep [0] == ':' || c->sep [0] == ',') && c->sep [2] == c->sep [0]
    &&  c->sep [1] != c->sep [0]
    &&  ((hhmm_ok (d) && hhmm_ok (d + 4)) || (ddmm_ok (d) && ddmm_ok (d + 4))))
        return true;
    int y1 = digits_value (b + 4, 4), y0 = digits_value (b, 4);
    if (y1 >= 1900 && y1 <= 2099
    &&  date_ok (digits_value (b, 2), digits_value (b + 2, 2), y1, true))
        return true;
    if (y0 >= 1900 && y0 <= 2099
    &&  date_ok (digits_value (b + 6, 2), digits_value (b + 4, 2), y0, true))
        return true;
    if (y0 >= 1900 && y0 <= 2099 && y1 >= 1900 && y1 <= 2099)
        return true;
    if (c->groups >= 3 && c->glen [c->groups - 1] == 3 && c->glen [c->groups - 2] == 3
    &&  memcmp (d + 5, "000", 3) == 0)
        return true;
    //  a decimal comma: "234567,89", "234 567,89", "23.456,78" (no phone
    //  is grouped with two digits after a comma at its end, after a
    //  group other than two digits)
    if (c->sep [c->groups - 2] == ',' && c->glen [c->groups - 1] <= 2
    &&  (c->groups == 2 || c->glen [c->groups - 2] != 2))
        return true;
    return false;
}

//  A list goes on after end: "og", "eller", "til" or "and" and a number,
//  a dash and a number ("412, 34, 567 og 890", "12, 13-14").
static bool
list_goes_on (const scan_t *t, size_t end)
{
    size_t p = skip_spaces (t, end, 2);
    if (p < t->len && (t->s [p] == '-' || t->s [p] == ',' || t->s [p] == ';')
    &&  digit_at (t, skip_spaces (t, p + 1, 2)))
        return true;
    static const char *const words [] = { "og", "eller", "til", "and", "or", "to", "&" };
    for (size_t k = 0; k < sizeof words / sizeof words [0]; k++) {
        size_t n = ci_prefix (t, p, words [k]);
        if (n && p > end && p + n < t->len && t->s [p + n] == ' '
        &&  digit_at (t, skip_spaces (t, p + n, 2)))
            return true;
    }
    return false;
}

//  Digit groups joined by a comma and a space ("010190, 40034", "412, 34,
//  567", "1234, 56, 78903"): a list of numbers to most readers, so read
//  as one number only when the whole is an identifier beyond doubt — a
//  fødselsnummer or an account number whose check digits are right, or
//  eight digits grouped 3-2-3 as a phone is — every group has two digits
//  or more, and no list goes on before or after it ("12, 13 og 14",
//  "41, 42, 43, 44", "2300, 4500" stay ordinary text). end is where the
//  plain run of digits at pos ends.
static bool
comma_chain_try (scan_t *t, size_t pos, size_t end)
{
    if (end + 2 >= t->len || t->s [end] != ',' || t->s [end + 1] != ' ')
        return false;
    size_t b = pos;
    while (b > 0 && pos - b < 2 && t->s [b - 1] == ' ')
        b--;
    if (b >= 2 && (t->s [b - 1] == ',' || t->s [b - 1] == ';' || t->s [b - 1] == '-')
    &&  is_digit (t->s [b - 2]))
        return false;               //  a list or range before it
    chain_t c;
    chain_read_with (t, pos, &c, true);
    if (c.groups < 2 || c.n > 11)
        return false;
    for (int g = 0; g < c.groups; g++)
        if (c.glen [g] < 2)
            return false;
    if (list_goes_on (t, c.end))
        return false;
    const byte *d = (const byte *) c.digits;
    if (c.n == 11 && fnr_date_ok (d) && scanner_fnr_valid (c.digits, 11))
        return emit (t, SCAN_NATIONAL_ID, pos, c.end - pos, SCAN_CONF_HIGH);
    if (c.n == 11 && c.groups <= 4 && account_valid (d))
        return emit (t, SCAN_BANK_ACCOUNT, pos, c.end - pos, SCAN_CONF_HIGH);
    if (c.n == 8 && c.groups == 3 && c.glen [0] == 3 && c.glen [1] == 2 && c.glen [2] == 3
    &&  c.digits [0] >= '2' && !chain_not_phone (&c) && phone_context_ok (t, pos, c.end, true))
        return phone_emit (t, pos, c.end, c.digits, SCAN_CONF_MEDIUM);
    return false;
}

static bool
chain_try (scan_t *t, size_t pos)
{
    chain_t c;
    chain_read (t, pos, &c);
    if (c.groups == 1 && !c.lookalike && comma_chain_try (t, pos, c.end))
        return true;
    if (c.groups < 2 && !c.lookalike)
        return false;               //  one run of digits: the detectors above decide
    if (c.n == 11 && fnr_date_ok ((const byte *) c.digits)) {
        int conf = scanner_fnr_valid (c.digits, 11)? SCAN_CONF_HIGH: SCAN_CONF_MEDIUM;
        return emit (t, SCAN_NATIONAL_ID, pos, c.end - pos, conf);
    }
    //  an account number: with a valid check digit in at most four groups
    //  (eleven digits spaced one by one are as likely a list of scores), or
    //  grouped as accounts are (1234.56.78903) even with a wrong one
    if (c.n == 11) {
        bool valid = c.groups <= 4 && account_valid ((const byte *) c.digits);
        bool shaped = c.groups == 3 && c.glen [0] == 4 && c.glen [1] == 2 && c.glen [2] == 5;
        if (valid || shaped)
            return emit (t, SCAN_BANK_ACCOUNT, pos, c.end - pos,
                         valid? SCAN_CONF_HIGH: SCAN_CONF_MEDIUM);
    }
    const char *national = NULL;
    if (c.n == 8)
        national = c.digits;
    else
    if (c.n == 10 && memcmp (c.digits, "47", 2) == 0)
        national = c.digits + 2;
    else
    if (c.n == 12 && memcmp (c.digits, "0047", 4) == 0)
        national = c.digits + 4;
    if (!national || national [0] < '2')
        return false;
    if (c.n == 8 && (chain_not_phone (&c) || !phone_context_ok (t, pos, c.end, true)))
        return false;
    return phone_emit (t, pos, c.end, national, SCAN_CONF_MEDIUM);
}

//  ---------------------------------------------------------------------
//  E-mail

static inline size_t
local_char_at (const scan_t *t, size_t pos)
{
    if (pos >= t->len)
        return 0;
    byte c = t->s [pos];
    //  letters, digits and !#$%&'*+/=?^_`{|}~.-
    static const uint32_t ascii [4] = { 0, 0xa3ffecfa, 0xc7fffffe, 0x7fffffff };
    if (c < 0x80)
        return (ascii [c >> 5] >> (c & 31)) & 1;
    long cp;
    size_t n = utf8_at (t->s, t->len, pos, &cp);
    return cp_is_letter (cp)? n: 0;
}

static bool
local_char_before (const scan_t *t, size_t pos)
{
    long cp;
    if (pos == 0)
        return false;
    size_t n = utf8_before (t->s, t->len, pos, &cp);
    return local_char_at (t, pos - n) == n;
}

//  "@", fullwidth "＠", "(at)" or "[at]", each with an optional space
//  either side.
static size_t
at_sign_at (const scan_t *t, size_t pos)
{
    size_t p = pos;
    if (p < t->len && t->s [p] == ' ')
        p++;
    size_t n = p < t->len && t->s [p] == '@'? 1: 0;
    if (!n)
        n = ci_prefix (t, p, "\xef\xbc\xa0");
    if (!n)
        n = ci_prefix (t, p, "(at)");
    if (!n)
        n = ci_prefix (t, p, "[at]");
    if (!n)
        return 0;
    p += n;
    if (p < t->len && t->s [p] == ' ')
        p++;
    return p - pos;
}

//  A domain with at least one dot (or a comma or semicolon standing for one) and a
//  top-level label of two or more letters. Returns its end, or 0.
static size_t
domain_end (const scan_t *t, size_t pos)
{
    size_t p = pos;
    long cp;
    while (p < t->len) {
        byte c = t->s [p];
        size_t n = 1;
        if (c >= 0x80) {
            n = utf8_at (t->s, t->len, p, &cp);
            if (!cp_is_letter (cp))
                break;
        }
        else
        if (c == '.' || ((c == ',' || c == ';') && p + 1 < t->len && is_alpha (t->s [p + 1]))) {
            //  a comma or semicolon for a dot ("kari@example,no",
            //  "kari@example;no") reads as one when a letter follows it
            //  at once
            if (p == pos || t->s [p - 1] == '.' || t->s [p - 1] == ',' || t->s [p - 1] == ';')
                break;
        }
        else
        if (!is_alpha (c) && !is_digit (c) && c != '-')
            break;
        p += n;
    }
    while (p > pos && (t->s [p - 1] == '.' || t->s [p - 1] == '-'))
        p--;
    size_t label = p;               //  start of the top-level label
    while (label > pos && t->s [label - 1] != '.' && t->s [label - 1] != ','
           && t->s [label - 1] != ';')
        label--;
    if (label == pos || p - label < 2 || is_digit (t->s [label]))
        return 0;
    return p;
}

static bool
email_try (scan_t *t, size_t pos)
{
    if (local_char_before (t, pos) && pos != t->last_end)
        return false;
    if (!(t->em_valid && pos >= t->em_from && pos < t->em_end)) {
        size_t end = pos, n;
        while ((n = local_char_at (t, end)) > 0)
            end += n;
        size_t at = at_sign_at (t, end);
        t->em_valid = true;
        t->em_from = pos;
        t->em_end = end;
        t->em_domain_end = at? domain_end (t, end + at): 0;
    }
    if (!t->em_domain_end)
        return false;
    size_t start = pos;
    while (start < t->em_end && t->s [start] == '.')
        start++;
    if (start == t->em_end)
        return false;
    return emit (t, SCAN_EMAIL, start, t->em_domain_end - start, SCAN_CONF_HIGH);
}

//  ---------------------------------------------------------------------
//  Keywords followed by a value: case numbers and dates of birth

static const char *const filler_words_w [] = {
    "nr", "nummer", "no", "number", "er", "var", "den", "d", "the", "on",
    "is", "was", "of", NULL
};
static wordlist_t filler_words = { filler_words_w, false, { 0 }, { 0 }, { 0 }, 0 };

//  Skips ":", ".", "#", "nr", "den" and the like between a keyword and
//  its value; a bounded number of steps.
static size_t
skip_fillers (const scan_t *t, size_t pos)
{
    for (int round = 0; round < 6; round++) {
        size_t q = skip_spaces (t, pos, 3);
        if (q < t->len && (t->s [q] == ':' || t->s [q] == '.' || t->s [q] == '#')) {
            pos = q + 1;
            continue;
        }
        size_t n = 0;
        if (gate_prefix (&filler_words.gate, t->s, t->len, q))
            for (const char *const *w = filler_words.words; *w && !n; w++)
                n = ci_word (t, q, *w);
        if (!n)
            return q;
        pos = q + n;
    }
    return skip_spaces (t, pos, 3);
}

typedef struct { const char *word; bool prefix; } keyword_t;
typedef struct {
    const keyword_t *words;
    gate_t gate;                    //  on the first bytes
} kwlist_t;

//  Keyword at pos: exact word, or a word starting with it (prefix).
//  Returns the end of the keyword's word, or 0.
static size_t
keyword_at (const scan_t *t, size_t pos, size_t we, const kwlist_t *kw)
{
    if (!gate_prefix (&kw->gate, t->s, t->len, pos))
        return 0;
    for (const keyword_t *list = kw->words; list->word; list++) {
        size_t n = list->prefix? ci_prefix (t, pos, list->word): ci_word (t, pos, list->word);
        if (n)
            return list->prefix && pos + n < we? we: pos + n;
    }
    return 0;
}

static const keyword_t case_keywords_k [] = {
    { "anmeld", true },             //  anmeldelse, anmeldelsesnummer, anmeldt
    { "anm", false },
    { "saksn", true },              //  saksnr, saksnummer
    { "straffesak", true },         //  straffesak, straffesaksnr.
    { "politisak", true },
    { "sak", false }, { "saken", false },
    { "journaln", true },
    { "referansen", true },
    { "ref", false },
    { "case", false },
    { NULL, false }
};
static kwlist_t case_keywords = { case_keywords_k, { 0 } };

static bool
case_try (scan_t *t, size_t pos, size_t we)
{
    size_t p = keyword_at (t, pos, we, &case_keywords);
    if (!p)
        return false;
    p = skip_fillers (t, p);
    if (!digit_at (t, p))
        return false;
    size_t start = p, digits = 0;
    while (p < t->len && p - start < 32) {
        if (is_digit (t->s [p]))
            digits++;
        else
        if (!((t->s [p] == '/' || t->s [p] == '-') && digit_at (t, p + 1)))
            break;
        p++;
    }
    if (digits < 5 || digit_at (t, p))
        return false;
    return emit (t, SCAN_CASE_NUMBER, start, p - start, SCAN_CONF_HIGH);
}

static const keyword_t birth_keywords_k [] = {
    { "fødselsdato", true }, { "fødselsdag", true },
    { "født", false }, { "fødd", false },
    { "f.dato", false }, { "f.d.", false }, { "fdato", false }, { "f.", false },
    { "date of birth", false }, { "dob", false }, { "d.o.b.", false },
    { "born", false },
    { NULL, false }
};
static kwlist_t birth_keywords = { birth_keywords_k, { 0 } };

static bool
birth_try (scan_t *t, size_t pos, size_t we)
{
    size_t p = keyword_at (t, pos, we, &birth_keywords);
    if (!p)
        return false;
    p = skip_fillers (t, p);
    size_t end = digit_at (t, p)? date_at (t, p): 0;
    if (!end || digit_at (t, end))
        return false;
    return emit (t, SCAN_BIRTH_DATE, p, end - p, SCAN_CONF_HIGH);
}

//  A full date without a keyword whose four-digit year is before
//  BARE_DATE_BEFORE: a case discussion is about now, and a day that far
//  back is almost always somebody's date of birth ("12.03.1985",
//  "1985-03-12", "12. mars 1985"). Recent dates (meetings, incidents)
//  and dates with two-digit years pass.
#define BARE_DATE_BEFORE 2010
static bool
bare_date_try (scan_t *t, size_t pos)
{
    size_t end = date_at (t, pos);
    if (!end || end - pos < 8 || digit_at (t, end))
        return false;
    int year = 0;
    if (digit_run (t, pos, 4) == 4 && pos + 4 < t->len && t->s [pos + 4] == '-')
        year = digits_value (t->s + pos, 4);
    else
    if (digit_run (t, end - 4, 4) == 4 && !digit_at (t, end - 5))
        year = digits_value (t->s + end - 4, 4);
    else
    if (end - pos == 8 && digit_run (t, pos, 8) == 8)
        year = digits_value (t->s + pos + 4, 4);
    if (year < 1900 || year >= BARE_DATE_BEFORE)
        return false;
    return emit (t, SCAN_BIRTH_DATE, pos, end - pos, SCAN_CONF_MEDIUM);
}

//  ---------------------------------------------------------------------
//  Crisis centre

//  The word as the crisis centre's check reads it: folded (case, accents
//  and marks gone: "krisesénteret" is "krisesenteret", as names are read)
//  when it holds a non-ASCII byte, else as written.
static const byte *
crisis_word (const scan_t *t, size_t ws, size_t we, char *key, size_t cap, size_t *n)
{
    for (size_t i = ws; i < we; i++)
        if (t->s [i] >= 0x80) {
            size_t k = word_key (t, ws, we, key, cap);
            if (k > 0) {
                *n = k;
                return (const byte *) key;
            }
            break;
        }
    *n = we - ws;
    return t->s + ws;
}

static bool
crisis_try (scan_t *t, size_t pos, size_t we)
{
    char key [SCAN_NAME_MAX + 1], next_key [SCAN_NAME_MAX + 1];
    size_t n;
    const byte *w = crisis_word (t, pos, we, key, sizeof key, &n);
    if (ci_contains (w, n, "krisesent") || ci_contains (w, n, "krise-sent")
    ||  ci_contains (w, n, "crisiscent") || ci_contains (w, n, "crisis-cent"))
        return emit (t, SCAN_CRISIS_CENTRE, pos, we - pos, SCAN_CONF_HIGH);
    //  "krise senter", "crisis centre"
    bool krise = n >= 5 && ci_equal (w + n - 5, 5, "krise");
    bool crisis = n >= 6 && ci_equal (w + n - 6, 6, "crisis");
    if (!krise && !crisis)
        return false;
    size_t q = skip_spaces (t, we, 2);
    if (q == we || !word_start (t, q))
        return false;
    size_t qe = word_end (t, q), m;
    const byte *next = crisis_word (t, q, qe, next_key, sizeof next_key, &m);
    if (m < 4 || !ci_equal_n (next, 4, krise? "sent": "cent"))
        return false;
    return emit (t, SCAN_CRISIS_CENTRE, pos, qe - pos, SCAN_CONF_HIGH);
}

//  ---------------------------------------------------------------------
//  Vehicle registration: two letters and five digits

static bool
vehicle_try (scan_t *t, size_t pos, size_t we)
{
    if (we != pos + 2 || !is_alpha (t->s [pos]) || !is_alpha (t->s [pos + 1]))
        return false;
    size_t p = we;
    size_t sep = group_space_at (t, p);
    if (!sep && p < t->len && t->s [p] == '-')
        sep = 1;
    p += sep;
    if (digit_run (t, p, 5) != 5 || t->s [p] == '0')
        return false;
    size_t end = p + 5;
    if (end + 1 < t->len && in_set (t->s [end], ".,:") && is_digit (t->s [end + 1]))
        return false;
    bool upper = is_upper_ascii (t->s [pos]) && is_upper_ascii (t->s [pos + 1]);
    //  "kr 12500" is an amount; lower case counts only when written as one
    if (!upper && (sep || ci_equal (t->s + pos, 2, "kr") || ci_equal (t->s + pos, 2, "nr")))
        return false;
    return emit (t, SCAN_VEHICLE, pos, end - pos, SCAN_CONF_MEDIUM);
}

//  ---------------------------------------------------------------------
//  Street addresses: "Storgata 12B", "Karl Johans gate 5"

static const char *const street_suffixes_w [] = {
    "gate", "gata", "gaten", "veien", "vegen", "vei", "veg", "veita",
    "allé", "allè", "plass", "plassen", "stien", "svingen", "bakken", "bakke",
    "tunet", "torget", "torg", "brygga", "bryggen", "kaia", "kaien",
    "ringen", "løkka", "løkken", "haugen", "åsen", "jordet", "kroken",
    "smauet", "stredet", "terrasse", "terrassen", "lunden", "vollen",
    "grenda", "sletta", "høgda", "promenaden", NULL
};
static wordlist_t street_suffixes = { street_suffixes_w, true, { 0 }, { 0 }, { 0 }, 0 };
//  Only after a capitalised word ("Bygdøy alle"): alone they are words.
static const char *const street_words_w [] = { "alle", NULL };
static wordlist_t street_words = { street_words_w, true, { 0 }, { 0 }, { 0 }, 0 };
//  Only with a dot: "Storgt. 12", "Sørkedalsvn. 3"
static const char *const street_abbrevs_w [] = { "gt", "vn", NULL };
static wordlist_t street_abbrevs = { street_abbrevs_w, true, { 0 }, { 0 }, { 0 }, 0 };

static const char *const count_words_w [] = {
    "år", "års", "dag", "dager", "døgn", "gang", "ganger", "gangen", "time",
    "timer", "uke", "uker", "måned", "måneder", "mnd", "natt", "netter",
    "barn", "barna", "sak", "saker", "kr", "kroner", "nok", "prosent", "min",
    "minutter", "sekunder", "personer", "stk", "kg", "km", "meter", "m",
    "cm", "liter", "klokka", "kl", NULL
};
static wordlist_t count_words = { count_words_w, false, { 0 }, { 0 }, { 0 }, 0 };

//  The bucket of three bytes for wordlist_t.by_end.
static inline unsigned
end_bucket (const byte *b)
{
    return (((unsigned) fold_byte (b [0]) * 31 + fold_byte (b [1])) * 31 + fold_byte (b [2])) & 255;
}

static size_t
suffix_of (const scan_t *t, size_t ws, size_t we, const wordlist_t *wl)
{
    assert (wl->suffix);
    if (!gate_suffix (&wl->gate, t->s, ws, we))
        return 0;
    //  the candidates, in list order (the first listed match wins)
    uint64_t candidates = wl->short_words;
    if (we - ws >= 3)
        candidates |= wl->by_end [end_bucket (t->s + we - 3)];
    while (candidates) {
        int i = __builtin_ctzll (candidates);
        candidates &= candidates - 1;
        size_t n = wl->lens [i];
        if (we - ws >= n && ci_equal_n (t->s + we - n, n, wl->words [i]))
            return n;
    }
    return 0;
}

//  The house number after a street name: 1-4 digits and an optional
//  letter, not a count ("3 ganger"), decimal, date or time.
static size_t
house_number (const scan_t *t, size_t pos)
{
    size_t p = pos, n;
    for (int k = 0; k < 2 && (n = group_space_at (t, p)) > 0; k++)
        p += n;
    if (p == pos)
        return 0;
    size_t run = digit_run (t, p, 4);
    if (run == 0 || run > 4 || t->s [p] == '0')
        return 0;
    p += run;
    if (p < t->len && is_alpha (t->s [p]) && !letter_at (t, p + 1) && !digit_at (t, p + 1))
        p++;
    else
    if (letter_at (t, p))
        return 0;
    if (p + 1 < t->len && in_set (t->s [p], ".,:") && is_digit (t->s [p + 1]))
        return 0;
    size_t q = skip_spaces (t, p, 2);
    if (q < t->len && t->s [q] == '%')
        return 0;
    if (q > p && word_start (t, q) && token_in (t, q, word_end (t, q), &count_words))
        return 0;
    return p;
}

//  A capitalised word just before pos (one or two spaces between).
static bool
capitalised_before (const scan_t *t, size_t pos, size_t *start)
{
    size_t p = pos;
    long cp;
    for (int k = 0; k < 2 && p > 0; k++) {
        size_t n = utf8_before (t->s, t->len, p, &cp);
        if (cp != ' ' && cp != 0xA0)
            break;
        p -= n;
    }
    if (p == pos || !word_back (t, p, start))
        return false;
    utf8_at (t->s, t->len, *start, &cp);
    return cp_is_upper (cp) && cp_count (t, *start, p) >= 2;  //  not "I gata 3"
}

static const char *const number_words_w [] = { "nr", "nummer", "no", NULL };
static wordlist_t number_words = { number_words_w, false, { 0 }, { 0 }, { 0 }, 0 };

//  "Kirkeveien nr 3", "Kirkeveien nummer 3": the end of a number word
//  (and its full stop) after the street, where the house number may
//  follow; we itself when there is none (house_number then finds nothing).
static size_t
number_word_after (const scan_t *t, size_t we)
{
    size_t p = skip_spaces (t, we, 2);
    if (p == we || !word_start (t, p))
        return we;
    size_t e = word_end (t, p);
    if (!token_in (t, p, e, &number_words))
        return we;
    return e < t->len && t->s [e] == '.'? e + 1: e;
}

static bool
address_try (scan_t *t, size_t pos, size_t we)
{
    size_t start = pos, end = 0;
    size_t n = suffix_of (t, pos, we, &street_suffixes);
    bool bare = n == we - pos;
    if (!n) {
        n = suffix_of (t, pos, we, &street_words);
        bare = n > 0;
        if (n && n != we - pos)
            return false;
    }
    if (n) {
        size_t prev;
        if (bare) {
            if (!capitalised_before (t, pos, &prev))
                return false;
            if (prev >= t->last_end)
                start = prev;
        }
        end = house_number (t, we);
        if (!end)
            end = house_number (t, number_word_after (t, we));
    }
    else
    if (suffix_of (t, pos, we, &street_abbrevs) && we > pos + 2
    &&  we < t->len && t->s [we] == '.')
        end = house_number (t, we + 1);
    if (!end)
        return false;
    return emit (t, SCAN_ADDRESS, start, end - start, SCAN_CONF_MEDIUM);
}

//  ---------------------------------------------------------------------
//  Names (docs/POLICY.md, "The identifier scanner")

//  Surname endings, for capitalised words the lexicon does not list
//  ("Testesen", "Oppdalstad"): Norwegian surnames the list lacks mostly
//  end so.
static const char *const surname_endings_w [] = {
    "sen", "son", "stad", "rud", "heim", "dal", "land", "haug", "lund", "moen", NULL
};
static wordlist_t surname_endings = { surname_endings_w, true, { 0 }, { 0 }, { 0 }, 0 };

//  An unlisted surname: a surname's ending, also before a genitive -s.
static bool
key_has_ending (const char *key, size_t n, const wordlist_t *wl)
{
    for (int i = 0; wl->words [i]; i++) {
        size_t m = wl->lens [i]? wl->lens [i]: strlen (wl->words [i]);
        if (n >= m && memcmp (key + n - m, wl->words [i], m) == 0)
            return true;
    }
    return false;
}

static bool
surname_ending (const scan_t *t, size_t ws, size_t we)
{
    if (suffix_of (t, ws, we, &surname_endings) > 0)
        return true;
    if (we - ws > 4 && t->s [we - 1] == 's' && suffix_of (t, ws, we - 1, &surname_endings) > 0)
        return true;
    //  An accent on the ending ("Testesén", "Testerúd"): read folded, as
    //  the lexicon and the known names read the word.
    bool ascii = true;
    for (size_t i = ws; i < we && ascii; i++)
        ascii = t->s [i] < 0x80;
    if (ascii)
        return false;
    char key [SCAN_NAME_MAX + 1];
    size_t n = word_key (t, ws, we, key, sizeof key);
    if (n == 0)
        return false;
    return key_has_ending (key, n, &surname_endings)
        || (n > 4 && key [n - 1] == 's' && key_has_ending (key, n - 1, &surname_endings));
}

//  What the lexicon says of a word: NAMELEX_* bits of the word, or of the
//  word without a genitive -s when the word itself is not listed. An
//  unlisted word that ends in a common word of four letters or more after
//  a head of three ("Barnehuset": "huset") is a compound, so a common
//  word; for a word that ends like a surname the common word must have
//  six letters or more ("Rettsprosessen" is a compound, "Testesen" not).
static int lex_flags_of (const scan_t *t, size_t ws, size_t we, char *key);

static int
lex_flags (const scan_t *t, size_t ws, size_t we)
{
    char key [SCAN_NAME_MAX];
    if (!t->lex || we - ws >= sizeof key)
        return 0;
    word_cache_t *e = word_cached (t, ws, we);
    if (e && e->flags >= 0)
        return e->flags;
    int flags = lex_flags_of (t, ws, we, key);
    if (e)
        e->flags = flags;
    explicit_bzero (key, sizeof key);
    return flags;
}

//  lex_flags without the cache; key is scratch of SCAN_NAME_MAX bytes.
static int
lex_flags_of (const scan_t *t, size_t ws, size_t we, char *key)
{
    size_t n = word_key (t, ws, we, key, SCAN_NAME_MAX);
    if (n == 0)
        return 0;
    int flags = namelex_lookup_key (t->lex, key, n);
    if (!flags && n >= 4 && key [n - 1] == 's')
        flags = namelex_lookup_key (t->lex, key, n - 1) & NAMELEX_PROPER;
    if (!flags && n >= 7 && n <= 40) {
        //  a surname's genitive is judged without its -s ("Testesens")
        size_t m = n, tail = 4;
        if (suffix_of (t, ws, we, &surname_endings) > 0)
            tail = 6;
        else
        if (surname_ending (t, ws, we)) {
            tail = 6;
            m = n - 1;
        }
        for (size_t p = 3; p + tail <= m; p++)
            if (namelex_lookup_key (t->lex, key + p, m - p) & NAMELEX_COMMON)
                return NAMELEX_COMMON;
    }
    return flags;
}

static bool
word_capitalised (const scan_t *t, size_t ws)
{
    long cp;
    utf8_at (t->s, t->len, ws, &cp);
    return cp_is_upper (cp);
}

//  A word starts a sentence when only spaces, quotes or brackets stand
//  between it and the start of the text or a full stop, question mark,
//  exclamation mark, colon or line break.
static bool
sentence_initial (const scan_t *t, size_t ws)
{
    size_t p = ws;
    for (int k = 0; k < 8 && p > 0; k++) {
        byte c = t->s [p - 1];
        if (c == ' ' || c == '"' || c == '(' || c == '\'' || c == '-')
            p--;
        else
        if (c >= 0x80) {            //  « » “ ” and no-break spaces
            long cp;
            size_t n = utf8_before (t->s, t->len, p, &cp);
            if (cp == 0xAB || cp == 0xBB || cp == 0x201C || cp == 0x201D || cp == 0xA0)
                p -= n;
            else
                return false;
        }
        else
            return c == '.' || c == '!' || c == '?' || c == ':' || c == '\n';
    }
    return p == 0;
}


static bool
unlisted_surname (const scan_t *t, size_t ws, size_t we, int flags)
{
    if (flags || cp_count (t, ws, we) < 5)
        return false;
    return surname_ending (t, ws, we);
}

//  Name-like: a proper noun that is no common word ("Kari", "Hansen"; not
//  "Berg", "Per"), or an unlisted word with a surname's ending.
static bool
name_like (const scan_t *t, size_t ws, size_t we, int flags)
{
    return (flags == NAMELEX_PROPER) || unlisted_surname (t, ws, we, flags);
}

//  The word after a word ending at pos, separated only by one or two
//  spaces, or by one line break when the next word is no common word.
static bool
name_next (const scan_t *t, size_t pos, size_t *ws, size_t *we, int *flags)
{
    size_t p = pos;
    bool newline = false;
    for (int k = 0; k < 2 && p < t->len && (t->s [p] == ' ' || t->s [p] == '\n'); k++) {
        newline = newline || t->s [p] == '\n';
        p++;
    }
    if (p == pos || !word_start (t, p))
        return false;
    *ws = p;
    *we = word_end (t, p);
    *flags = lex_flags (t, *ws, *we);
    return !(newline && (*flags & NAMELEX_COMMON) && !(*flags & NAMELEX_PROPER));
}

static const char *const family_words_w [] = {
    "familien", "familie", "familiens", "saken", "barna", "barnet", "gutten", "jenta",
    "mora", "moren", "faren", "huset", "hjemmet", "paret", "ekteparet", "søsknene", NULL
};
static wordlist_t family_words = { family_words_w, false, { 0 }, { 0 }, { 0 }, 0 };

//  "Testesen-familien", "Hansen-saken": a name-like part joined to a word
//  that names a family or a case.
static bool
family_compound (const scan_t *t, size_t ws, size_t we)
{
    size_t dash = ws;
    while (dash < we && t->s [dash] != '-')
        dash++;
    if (dash >= we || dash == ws)
        return false;
    size_t last = we;
    while (last > dash && t->s [last - 1] != '-')
        last--;
    if (!token_in (t, last, we, &family_words))
        return false;
    return name_like (t, ws, dash, lex_flags (t, ws, dash));
}

//  Words the list lacks that are no names but turn up capitalised in case
//  work: the platforms threats arrive on.
static const char *const not_names_w [] = {
    "facebook", "messenger", "instagram", "snapchat", "whatsapp", "telegram", "signal",
    "teams", "zoom", "skype", "tiktok", "youtube", "twitter", "discord", "vipps",
    "maps", "gmail", "outlook", "iphone", "android", "tinder",
    "bufetat", "bufdir", "rema", "coop", "extra", "prix", "obs", NULL
};
static wordlist_t not_names = { not_names_w, false, { 0 }, { 0 }, { 0 }, 0 };

//  A name from outside the list: a capitalised word the list lacks at all
//  (nor as a compound), of letters and hyphens only, otherwise lower case
//  in each part ("Aleksandra", "Kowalska", "Kari-Anne"). Norwegian words
//  are in the list; what it lacks and is written capitalised is nearly
//  always a name, so beside another capitalised word it names someone.
static bool
foreign_name (const scan_t *t, size_t ws, size_t we, int flags)
{
    (void) flags;
    if (!t->lex || cp_count (t, ws, we) < 3 || token_in (t, ws, we, &not_names))
        return false;
    char key [SCAN_NAME_MAX];
    if (we - ws >= sizeof key)
        return false;
    size_t n = textnorm_fold_key ((const char *) t->s + ws, we - ws, key, sizeof key);
    if (n == 0 || namelex_lookup_key (t->lex, key, n))
        return false;
    if (n >= 4 && key [n - 1] == 's' && namelex_lookup_key (t->lex, key, n - 1))
        return false;
    //  a compound of two listed words ("Barnehuset": "barne" + "huset") is
    //  Norwegian, not a name; "Aleksandra" has no listed head
    for (size_t p = 3; p + 4 <= n && p < 40; p++)
        if ((namelex_lookup_key (t->lex, key + p, n - p) & NAMELEX_COMMON)
        &&  (namelex_lookup_key (t->lex, key, p)
             || (key [p - 1] == 's' && namelex_lookup_key (t->lex, key, p - 1))
             || (key [p - 1] == 'e' && namelex_lookup_key (t->lex, key, p - 1))))
            return false;
    bool part_start = true;
    for (size_t p = ws; p < we; ) {
        long cp;
        size_t n = utf8_at (t->s, t->len, p, &cp);
        if (cp == '-') {
            part_start = true;
            p += n;
            continue;
        }
        if (part_start != cp_is_upper (cp))
            return false;
        part_start = false;
        p += n;
    }
    return true;
}

//  "K. Hansen": one capital letter and a full stop before a name-like or
//  foreign capitalised word. Returns the end of the name, or 0.
static size_t
initial_name (const scan_t *t, size_t pos, size_t we)
{
    if (we != pos + 1 || !is_upper_ascii (t->s [pos]) || we + 2 >= t->len
    ||  t->s [we] != '.' || t->s [we + 1] != ' ' || !word_start (t, we + 2)
    ||  !word_capitalised (t, we + 2))
        return 0;
    size_t ws2 = we + 2, we2 = word_end (t, ws2);
    int fl = lex_flags (t, ws2, we2);
    return name_like (t, ws2, we2, fl) || foreign_name (t, ws2, we2, fl)? we2: 0;
}

//  Lexicon rules. A capitalised unlisted word with a surname's ending is a
//  name alone. At a capitalised word: a run of up to four capitalised
//  words, less a sentence-initial first word that is no proper noun and
//  less leading words that are only common words (kept when the run has
//  an unlisted surname), is a name when it holds two or more words and
//  one is name-like or two are proper nouns. In lower
//  case: two adjacent name-like words. A single word is never a name by
//  the lexicon alone.
static bool
lex_try (scan_t *t, size_t pos, size_t we)
{
    if (!t->lex)
        return false;
    int flags = lex_flags (t, pos, we);
    if (!word_capitalised (t, pos)) {
        size_t ws2, we2;
        int flags2;
        if (name_like (t, pos, we, flags) && name_next (t, we, &ws2, &we2, &flags2)
        &&  name_like (t, ws2, we2, flags2))
            return emit (t, SCAN_NAME, pos, we2 - pos, SCAN_CONF_MEDIUM);
        return false;
    }
    if (family_compound (t, pos, we))
        return emit (t, SCAN_NAME, pos, we - pos, SCAN_CONF_MEDIUM);
    size_t ie = initial_name (t, pos, we);
    if (ie)
        return emit (t, SCAN_NAME, pos, ie - pos, SCAN_CONF_MEDIUM);
    //  the run: up to four capitalised words
    size_t ws [4] = { pos }, wend [4] = { we };
    int fl [4] = { flags };
    int n = 1;
    while (n < 4 && name_next (t, wend [n - 1], &ws [n], &wend [n], &fl [n])
           && word_capitalised (t, ws [n]))
        n++;
    //  Alone, only a capitalised word the list lacks that ends like a
    //  surname ("Testesen", "Testesens"): no ordinary word looks so.
    if (n < 2) {
        if (unlisted_surname (t, pos, we, flags))
            return emit (t, SCAN_NAME, pos, we - pos, SCAN_CONF_MEDIUM);
        return false;
    }
    bool unlisted = false;
    for (int k = 0; k < n; k++)
        unlisted = unlisted || unlisted_surname (t, ws [k], wend [k], fl [k]);
    //  Leading words that are only common words are not part of a name
    //  ("Barnehuset Oslo", "Mor Kari"), unless the run holds an unlisted
    //  surname ("Testa Testesen"); nor is a sentence-initial word that is
    //  not name-like ("Hun", "Det").
    int k0 = 0;
    if (sentence_initial (t, pos) && !(flags & NAMELEX_PROPER) && !name_like (t, pos, we, flags)
    &&  !foreign_name (t, pos, we, flags))
        k0 = 1;
    while (!unlisted && k0 < n && fl [k0] == NAMELEX_COMMON
           && !foreign_name (t, ws [k0], wend [k0], fl [k0]))
        k0++;
    //  Named: one name-like word, or two proper nouns that are also
    //  common words ("Per Berg", "Eva Lie"): capitalised together they
    //  are names, not words.
    bool named = false;
    int proper = 0;
    for (int k = k0; k < n; k++) {
        named = named || name_like (t, ws [k], wend [k], fl [k])
                      || foreign_name (t, ws [k], wend [k], fl [k]);
        proper += (fl [k] & NAMELEX_PROPER) != 0;
    }
    if (n - k0 >= 2 && (named || proper >= 2))
        return emit (t, SCAN_NAME, ws [k0], wend [n - 1] - ws [k0], SCAN_CONF_HIGH);
    return false;
}

//  1 if the tagged value is in the set, 0 if not, -1 if hashing failed.
//  The same work for a known value as for an unknown one: both versions
//  are computed when the set holds version 2 hashes, hit or not.
static int
known_lookup (const scan_known_t *self, const char *tag, const char *buf, size_t used)
{
    uint8_t hash [SCAN_HASH_SIZE];
    int v3 = known_hash (self, tag, buf, used, hash) != 0? -1
           : known_contains (self, hash)? 1: 0;
    int v2 = 0;
    if (self->legacy > 0)
        v2 = known_mac (self, tag, buf, used, hash) != 0? -1
           : known_contains (self, hash)? 1: 0;
    explicit_bzero (hash, sizeof hash);
    return v3 < 0 || v2 < 0? -1: v3 || v2;
}

//  Looks up a normalised window, and the window without a genitive -s.
//  Returns 1 on a hit, 0 on none, -1 if hashing failed.
static int
known_window (const scan_t *t, const size_t *ws, const size_t *we, int n, const char *tag)
{
    char buf [SCAN_NAME_MAX];
    size_t used;
    if (n == 1 && cp_count (t, ws [0], we [0]) < 3)
        return 0;
    if (!join_words (t, ws, we, n, buf, &used))
        return 0;                   //  longer than any name we accept
    int rc = 0;
    for (int pass = 0; pass < 2 && rc == 0; pass++) {
        if (pass == 1) {
            if (buf [used - 1] != 's' || cp_count (t, ws [n - 1], we [n - 1]) < 4)
                break;
            used--;
        }
        rc = known_lookup (t->known, tag, buf, used);
    }
    explicit_bzero (buf, sizeof buf);
    return rc;
}

//  The word ending at pos, after one or two spaces; false if none.
static bool
word_before (const scan_t *t, size_t pos, size_t *ws, size_t *we)
{
    size_t p = pos;
    for (int k = 0; k < 2 && p > 0 && t->s [p - 1] == ' '; k++)
        p--;
    if (p == pos || !word_back (t, p, ws))
        return false;
    *we = p;
    return true;
}

//  A capitalised word inside a title: "Alternativ til Vold", "Senter for
//  Krisepsykologi" (a capitalised word, a short lower-case connector).
static bool
in_title (const scan_t *t, size_t ws)
{
    size_t cs, ce, ts, te;
    if (!word_before (t, ws, &cs, &ce) || word_capitalised (t, cs) || ce - cs > 4)
        return false;
    return word_before (t, cs, &ts, &te) && word_capitalised (t, ts);
}

//  1 if a known name of two words or more starts with the word [ws, we),
//  0 if none does, -1 if hashing failed.
static int
known_window_first (const scan_t *t, size_t ws, size_t we)
{
    char buf [SCAN_NAME_MAX];
    size_t used;
    if (!join_words (t, &ws, &we, 1, buf, &used))
        return 0;
    int rc = known_lookup (t->known, TAG_FIRST, buf, used);
    explicit_bzero (buf, sizeof buf);
    return rc;
}

//  A single word of a known name that is also a common word ("Vold",
//  "Berg", "Lie") counts only capitalised, not first in a sentence and
//  not inside a title: "utsatt for vold" and "Alternativ til Vold" are
//  not about Kari Vold, "snakket med Vold" is.
static bool
known_single_ok (const scan_t *t, size_t ws, size_t we)
{
    if (!(lex_flags (t, ws, we) & NAMELEX_COMMON))
        return true;
    return word_capitalised (t, ws) && !sentence_initial (t, ws) && !in_title (t, ws);
}

//  What follows a surname in a compound that names the family or the
//  case ("Kowalskafamilien", "Testesensaken"); longer forms first, as the
//  first listed match wins.
static const char *const compound_tails_w [] = {
    "familiens", "familien", "familiene", "familie", "sakene", "saken", "saka", "sak",
    "barna", "barnet", "gutten", "jenta", "mora", "moren", "faren", "huset", "hjemmet",
    "ekteparet", "paret", "søsknene", NULL
};
static wordlist_t compound_tails = { compound_tails_w, true, { 0 }, { 0 }, { 0 }, 0 };

//  A known surname (or distinctive name part) joined to a family or case
//  word in one word: "Kowalskafamilien", "Testesensaken", also in lower
//  case, "kowalskafamilien" (a linking -s is tried off, as a genitive). A
//  word the list has whole ("Kjernefamilien") is a word; a head that is a
//  common word counts only where a lone one would: capitalised, not first
//  in a sentence ("Voldssaken" first in a sentence and "voldssaken" are
//  not about Kari Vold). 1 on a hit, 0 on none, -1 if hashing failed.
static int
known_compound (const scan_t *t, size_t pos, size_t we)
{
    bool capitalised = word_capitalised (t, pos);
    size_t tail = suffix_of (t, pos, we, &compound_tails);
    if (!tail || we - tail <= pos || cp_count (t, pos, we - tail) < 3)
        return 0;
    size_t pe = we - tail;
    if (t->lex) {
        char key [SCAN_NAME_MAX];
        size_t n = word_key (t, pos, we, key, sizeof key);
        bool listed = n && (namelex_lookup_key (t->lex, key, n) & NAMELEX_COMMON);
        explicit_bzero (key, sizeof key);
        if (listed)
            return 0;
        size_t pe2 = t->s [pe - 1] == 's'? pe - 1: pe;
        bool common = ((lex_flags (t, pos, pe) | lex_flags (t, pos, pe2)) & NAMELEX_COMMON) != 0;
        if (common && (!capitalised || sentence_initial (t, pos) || in_title (t, pos)))
            return 0;
    }
    int rc = known_window (t, &pos, &pe, 1, TAG_NAME);
    if (rc == 0 && lex_flags (t, pos, pe) == 0)
        rc = known_window (t, &pos, &pe, 1, TAG_PART);
    return rc;
}

//  Names the sender's own agency knows: windows of 3, 2 and 1 words,
//  the parts of a hyphenated word ("Testesen-familien") and a surname
//  compounded with a family or case word ("Testesenfamilien").
static bool
known_try (scan_t *t, size_t pos, size_t we)
{
    if (!t->known)
        return false;
    size_t ws [3] = { pos }, wend [3] = { we };
    int words = 1;
    while (words < 3 && next_word (t, wend [words - 1], &ws [words], &wend [words]))
        words++;
    if (words > 1) {
        int first = known_window_first (t, pos, we);
        if (first < 0)
            return emit (t, SCAN_UNCHECKED, pos, we - pos, SCAN_CONF_HIGH);
        if (first == 0)
            words = 1;              //  no known name starts with this word
    }
    for (int n = words; n >= 1; n--) {
        if (n == 1 && !known_single_ok (t, pos, we))
            continue;
        int rc = known_window (t, ws, wend, n, TAG_NAME);
        if (rc == 0 && n == 1 && lex_flags (t, pos, we) == 0)
            rc = known_window (t, ws, wend, 1, TAG_PART);
        if (rc < 0)
            return emit (t, SCAN_UNCHECKED, pos, wend [n - 1] - pos, SCAN_CONF_HIGH);
        if (rc > 0)
            return emit (t, SCAN_NAME, pos, wend [n - 1] - pos,
                         n > 1? SCAN_CONF_HIGH: SCAN_CONF_MEDIUM);
    }
    //  hyphen parts, at most four
    size_t p = pos;
    for (int k = 0; k < 4 && p < we; k++) {
        size_t e = p;
        while (e < we && t->s [e] != '-')
            e++;
        if ((p != pos || e != we) && e > p && known_single_ok (t, p, e)) {
            int rc = known_window (t, &p, &e, 1, TAG_NAME);
            if (rc == 0 && lex_flags (t, p, e) == 0)
                rc = known_window (t, &p, &e, 1, TAG_PART);
            if (rc < 0)
                return emit (t, SCAN_UNCHECKED, pos, we - pos, SCAN_CONF_HIGH);
            if (rc > 0)
                return emit (t, SCAN_NAME, pos, we - pos, SCAN_CONF_MEDIUM);
        }
        p = e + 1;
    }
    int rc = known_compound (t, pos, we);
    if (rc < 0)
        return emit (t, SCAN_UNCHECKED, pos, we - pos, SCAN_CONF_HIGH);
    if (rc > 0)
        return emit (t, SCAN_NAME, pos, we - pos, SCAN_CONF_MEDIUM);
    return false;
}

//  ---------------------------------------------------------------------
//  Base64: an identifier encoded so that no reader sees it without a
//  tool, but any recipient with one does ("a3QxOTg1QGV4YW1wbGUubm8=" is
//  kt1985@example.no). A run of base64 characters (either
//  alphabet, '+' '/' or '-' '_', then at most two '=') whose length can be
//  base64's and holds 8 bytes or more (11 characters: a phone number),
//  written as such in the original text, that decodes to
//  well-formed UTF-8 text without control characters, is scanned as that
//  text; a finding there is a finding of its kind over the whole token.
//  Each token is decoded once and the decoded text (3/4 of its length)
//  scanned once, and decoded text is not decoded again, so a scan costs
//  at most about twice what it did. Ordinary words decode to bytes that
//  are no text and stop at the first such byte.

#define B64_MIN      8          //  decoded bytes: a phone number
#define B64_STACK    768        //  decoded bytes held on the stack

static int
b64_value (byte c)
{
    return c >= 'A' && c <= 'Z'? c - 'A'
         : c >= 'a' && c <= 'z'? c - 'a' + 26
         : c >= '0' && c <= '9'? c - '0' + 52
         : c == '+' || c == '-'? 62
         : c == '/' || c == '_'? 63: -1;
}

//  Decodes n base64 characters (no padding) into out; false at the first
//  byte that is no text (a control character other than tab and line
//  breaks, DEL) or when the result is not well-formed UTF-8.
static bool
b64_decode_text (const byte *in, size_t n, byte *out, size_t *out_len)
{
    size_t o = 0;
    unsigned acc = 0;
    int bits = 0;
    for (size_t i = 0; i < n; i++) {
        int v = b64_value (in [i]);
        if (v < 0)
            return false;
        acc = (acc << 6) | (unsigned) v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            byte b = (byte) (acc >> bits);
            acc &= (1u << bits) - 1;
            if ((b < 0x20 && b != '\t' && b != '\n' && b != '\r') || b == 0x7F)
                return false;
            out [o++] = b;
        }
    }
    for (size_t p = 0; p < o; ) {
        long cp;
        size_t k = utf8_at (out, o, p, &cp);
        if (cp < 0)
            return false;
        p += k;
    }
    *out_len = o;
    return true;
}

static inline bool
b64_char (byte c)
{
    return is_alpha (c) || is_digit (c) || c == '+' || c == '/' || c == '-' || c == '_';
}

static bool
b64_try (scan_t *t, size_t pos)
{
    //  at a token's start only ("fnr=MDEw...": after '=' too, as in
    //  key=value), so each run is measured once
    if (t->decoded || !t->norm || (pos > 0 && b64_char (t->s [pos - 1])))
        return false;
    size_t e = pos;
    while (e < t->len && b64_char (t->s [e]))
        e++;
    size_t n = e - pos, pad = 0;
    while (pad < 2 && e + pad < t->len && t->s [e + pad] == '=')
        pad++;
    if (n * 6 / 8 < B64_MIN)
        return false;
    if ((pad && (n + pad) % 4) || n % 4 == 1)
        return false;
    //  the bytes the user wrote: one field, byte for byte the same
    textnorm_span_t span;
    if (textnorm_map (t->norm, pos, n, &span, 1) != 1 || span.length != n
    ||  span.field < 0 || (size_t) span.field >= t->nfields
    ||  span.offset + n > t->lens [span.field])
        return false;
    const byte *orig = (const byte *) t->texts [span.field] + span.offset;
    byte stack [B64_STACK];
    size_t cap = n / 4 * 3 + 3;
    byte *buf = cap <= sizeof stack? stack: malloc (cap);
    if (!buf)
        return emit (t, SCAN_UNCHECKED, pos, n + pad, SCAN_CONF_HIGH);
    size_t dlen = 0;
    bool text = b64_decode_text (orig, n, buf, &dlen);
    scan_finding_t f = { 0 };
    size_t found = 0;
    if (text) {
        const char *texts [1] = { (const char *) buf };
        size_t lens [1] = { dlen };
        scan_ctx_t ctx = { .known = t->known, .lex = t->lex };
        found = scan_fields (&ctx, texts, lens, 1, &f, 1, true);
    }
    explicit_bzero (buf, cap);
    if (buf != stack)
        free (buf);
    if (!found)
        return false;
    return emit (t, f.kind, pos, n + pad, f.confidence);
}

//  ---------------------------------------------------------------------
//  The pass

//  ---------------------------------------------------------------------
//  Numbers spelt out

static const char *const digit_words_w [] = {
    "null", "en", "én", "ett", "ei", "to", "tre", "fire", "fem", "seks", "sju", "syv",
    "åtte", "ni", NULL
};
static wordlist_t digit_words = { digit_words_w, false, { 0 }, { 0 }, { 0 }, 0 };

static bool
digit_word_sep_char (byte c)
{
    return c == ' ' || c == ',' || c == '-' || c == '.' || c == '\n';
}

//  The separator between two spelt digits: spaces, commas, dashes, dots
//  (one to three characters); returns its length or 0.
static size_t
digit_word_sep (const scan_t *t, size_t pos)
{
    size_t p = pos;
    while (p < t->len && p - pos < 3 && digit_word_sep_char (t->s [p]))
        p++;
    return p - pos;
}

//  How many digits the word ws..we spells: 1 for "fire", 4 for
//  "fire-en-to-tre" (a word joins its parts with '-'); 0 if any part is
//  no digit word.
static int
digit_word_parts (const scan_t *t, size_t ws, size_t we)
{
    int n = 0;
    for (size_t p = ws; p < we; ) {
        size_t e = p;
        while (e < we && t->s [e] != '-')
            e++;
        if (!token_in (t, p, e, &digit_words))
            return 0;
        n++;
        p = e + 1;
    }
    return n;
}

//  "fire en to tre fire fem seks sju": eight or more digits spelt out one
//  word each are a phone number to any reader, eleven a fødselsnummer.
//  Only tried at the first word of a run (no spelt digit just before,
//  looking back over the separator), so each run is read once.
static bool
digit_words_try (scan_t *t, size_t pos, size_t we)
{
    int n = digit_word_parts (t, pos, we);
    if (n == 0)
        return false;
    size_t b = pos;
    while (b > 0 && pos - b < 3 && digit_word_sep_char (t->s [b - 1]))
        b--;
    size_t bs;
    if (b < pos && b > 0 && word_back (t, b, &bs) && digit_word_parts (t, bs, b) > 0)
        return false;
    size_t end = we, p = we;
    //  at most 16 digits: each word is read by at most 16 runs, so the cost
    //  stays linear whatever a hidden run start does
    while (n < 16) {
        size_t sep = digit_word_sep (t, p);
        if (sep == 0 || !word_start (t, p + sep))
            break;
        size_t e = word_end (t, p + sep);
        int k = digit_word_parts (t, p + sep, e);
        if (k == 0)
            break;
        n += k;
        end = p = e;
    }
    if (n < 8)
        return false;
    return emit (t, n == 11? SCAN_NATIONAL_ID: SCAN_PHONE, pos, end - pos, SCAN_CONF_MEDIUM);
}

static bool
scan_at (scan_t *t, size_t pos)
{
    byte c = t->s [pos];
    //  "\xe2\x80\xae": a direction override, kept by textnorm
    if (c == 0xE2 && pos + 2 < t->len && t->s [pos + 1] == 0x80 && t->s [pos + 2] == 0xAE)
        return emit (t, SCAN_UNCHECKED, pos, 3, SCAN_CONF_HIGH);
    if (b64_char (c) && b64_try (t, pos))
        return true;
    if (local_char_at (t, pos) && email_try (t, pos))
        return true;
    //  a number starting with a look-alike letter ("O1O19O 4OO34")
    if (lookalike_digit (c) && chain_digit (t, pos, false)
    &&  !(pos > 0 && (is_digit (t->s [pos - 1]) || is_alpha (t->s [pos - 1])))
    &&  chain_try (t, pos))
        return true;
    if (is_digit (c) || c == '+') {
        if (pos > 0 && is_digit (t->s [pos - 1]))
            return false;
        return (is_digit (c) && fnr_try (t, pos)) || phone_try (t, pos)
            || (is_digit (c) && account_try (t, pos))
            || (is_digit (c) && chain_try (t, pos))
            || (is_digit (c) && bare_date_try (t, pos));
    }
    if (!word_start (t, pos))
        return false;
    size_t we = word_end (t, pos);
    return crisis_try (t, pos, we)
        || case_try (t, pos, we)
        || birth_try (t, pos, we)
        || vehicle_try (t, pos, we)
        || address_try (t, pos, we)
        || digit_words_try (t, pos, we)
        || known_try (t, pos, we)
        || lex_try (t, pos, we);
}

//  Maps the findings of the normalised text back to the fields: a finding
//  spanning two fields becomes one in each. Returns how many in all.
static size_t
map_findings (const textnorm_t *norm, const scan_finding_t *found, size_t stored,
              size_t total, scan_finding_t *out, size_t max)
{
    size_t n = 0;
    for (size_t i = 0; i < stored; i++) {
        textnorm_span_t spans [4];
        size_t m = textnorm_map (norm, found [i].offset, found [i].length, spans, 4);
        for (size_t k = 0; k < m; k++, n++)
            if (n < max)
                out [n] = (scan_finding_t) { .kind = found [i].kind, .field = spans [k].field,
                                             .offset = spans [k].offset,
                                             .length = spans [k].length,
                                             .confidence = found [i].confidence };
    }
    return n + (total - stored);
}

//  The whole of every field as one unchecked finding: what could not be
//  normalised cannot be passed.
static size_t
all_unchecked (const size_t *lens, size_t nfields, scan_finding_t *out, size_t max)
{
    size_t n = 0;
    for (size_t f = 0; f < nfields; f++)
        if (lens [f] > 0) {
            if (n < max)
                out [n] = (scan_finding_t) { .kind = SCAN_UNCHECKED, .field = (int) f,
                                             .offset = 0, .length = lens [f],
                                             .confidence = SCAN_CONF_HIGH };
            n++;
        }
    return n;
}

//  Each thread keeps one normalised-text buffer for its scans, emptied
//  after each (the text is cleared, the buffers kept): a scan then makes
//  no allocation. Without a thread key, each scan makes its own.
static pthread_once_t norm_once = PTHREAD_ONCE_INIT;
static pthread_key_t norm_key;
static bool norm_key_ok;

static void
norm_free (void *arg)
{
    textnorm_t *norm = (textnorm_t *) arg;
    textnorm_destroy (&norm);
}

static void
norm_key_init (void)
{
    norm_key_ok = pthread_key_create (&norm_key, norm_free) == 0;
}

static textnorm_t *
norm_get (bool *owned)
{
    pthread_once (&norm_once, norm_key_init);
    *owned = !norm_key_ok;
    if (!norm_key_ok)
        return textnorm_new ();
    textnorm_t *norm = (textnorm_t *) pthread_getspecific (norm_key);
    if (!norm) {
        norm = textnorm_new ();
        if (norm && pthread_setspecific (norm_key, norm) != 0)
            *owned = true;          //  cannot keep it: this scan's own
    }
    return norm;
}

static void
norm_put (textnorm_t *norm, bool owned)
{
    //  a long text leaves big buffers: not kept for the next scan
    if (!owned && norm && textnorm_len (norm) > 16384
    &&  pthread_setspecific (norm_key, NULL) == 0)
        owned = true;
    if (owned)
        textnorm_destroy (&norm);
    else
        textnorm_reset (norm);
}

//  The gates of the word lists, filled once.
static pthread_once_t lists_once = PTHREAD_ONCE_INIT;

static void
lists_init (void)
{
    wordlist_t *lists [] = {
        &money_before, &unit_after, &filler_words, &street_suffixes, &street_words,
        &street_abbrevs, &count_words, &number_words, &surname_endings, &family_words,
        &not_names, &digit_words, &compound_tails
    };
    for (size_t k = 0; k < sizeof lists / sizeof lists [0]; k++)
        for (size_t i = 0; lists [k]->words [i]; i++) {
            const char *w = lists [k]->words [i];
            size_t n = strlen (w);
            assert (i < WORDLIST_MAX && i < 64 && n > 0 && n < 256);
            lists [k]->lens [i] = (uint8_t) n;
            gate_add (&lists [k]->gate, w, lists [k]->suffix);
            if (n < 3)
                lists [k]->short_words |= (uint64_t) 1 << i;
            else
                lists [k]->by_end [end_bucket ((const byte *) w + n - 3)] |= (uint64_t) 1 << i;
        }
    kwlist_t *kws [] = { &case_keywords, &birth_keywords };
    for (size_t k = 0; k < sizeof kws / sizeof kws [0]; k++)
        for (const keyword_t *w = kws [k]->words; w->word; w++)
            gate_add (&kws [k]->gate, w->word, false);
}

size_t
scanner_scan_fields (const scan_ctx_t *ctx, const char *const *texts, const size_t *lens,
                     size_t nfields, scan_finding_t *findings, size_t max_findings)
{
    return scan_fields (ctx, texts, lens, nfields, findings, max_findings, false);
}

//  decoded: the text is what a base64 token decoded to (b64_try); it gets
//  a normalised-text buffer of its own, the thread's being in use.
static size_t
scan_fields (const scan_ctx_t *ctx, const char *const *texts, const size_t *lens,
             size_t nfields, scan_finding_t *findings, size_t max_findings, bool decoded)
{
    pthread_once (&lists_once, lists_init);
    if (!findings)
        max_findings = 0;
    if (nfields == 0 || !texts || !lens)
        return 0;
    size_t total_len = 0;
    for (size_t f = 0; f < nfields; f++)
        total_len += texts [f]? lens [f]: 0;
    if (total_len == 0)
        return 0;
    bool owned = true;
    textnorm_t *norm = decoded? textnorm_new (): norm_get (&owned);
    bool ok = norm != NULL;
    for (size_t f = 0; ok && f < nfields; f++) {
        if (f > 0)
            ok = textnorm_add_sep (norm, ' ') == 0;
        if (ok && texts [f])
            ok = textnorm_add (norm, texts [f], lens [f], (int) f) == 0;
    }
    //  room for every finding the caller can take, at least one
    size_t cap = max_findings? max_findings: 1;
    scan_finding_t few [16];
    scan_finding_t *found = !ok? NULL: cap <= 16? few: calloc (cap, sizeof *found);
    if (!found) {
        norm_put (norm, owned);
        return all_unchecked (lens, nfields, findings, max_findings);
    }
    const scan_known_t *known = ctx? ctx->known: NULL;
    word_cache_t cache [WORD_CACHE];
    memset (cache, 0, sizeof cache);
    scan_t t = {
        .s = (const byte *) textnorm_text (norm), .len = textnorm_len (norm),
        .cache = cache,
        .known = known && known->size > 0? known: NULL,
        .lex = ctx? ctx->lex: NULL,
        .out = found, .max = cap,
        .norm = norm, .texts = texts, .lens = lens, .nfields = nfields, .decoded = decoded
    };
    long cp;
    size_t pos = 0;
    while (pos < t.len) {
        //  A letter after a letter starts nothing scan_at looks for: no
        //  word, number, override or e-mail local part (a letter before
        //  it is a local-part character), unless a finding has just ended
        //  there; nor a look-alike chain ("O1O19O"), which may start after
        //  a non-ASCII letter but not after an ASCII one.
        if (pos > 0 && pos != t.last_end && letter_before (&t, pos)) {
            if (is_alpha (t.s [pos]) && (is_alpha (t.s [pos - 1]) || !lookalike_digit (t.s [pos]))) {
                pos++;
                continue;
            }
            //  a letter after a letter, neither ASCII: likewise
            size_t n = t.s [pos] >= 0xC0? utf8_at (t.s, t.len, pos, &cp): 0;
            if (n > 1 && cp_is_letter (cp)) {
                pos += n;
                continue;
            }
        }
        if (scan_at (&t, pos) && t.last_end > pos)
            pos = t.last_end;
        else
            pos += utf8_at (t.s, t.len, pos, &cp);
    }
    size_t stored = t.count < cap? t.count: cap;
    size_t n = map_findings (norm, found, stored, t.count, findings, max_findings);
    explicit_bzero (found, cap * sizeof *found);
    explicit_bzero (cache, sizeof cache);
    if (found != few)
        free (found);
    norm_put (norm, owned);
    return n;
}

size_t
scanner_scan (const char *text, size_t len, const scan_known_t *known,
              scan_finding_t *findings, size_t max_findings)
{
    scan_ctx_t ctx = { .known = known, .lex = NULL };
    const char *texts [1] = { text };
    size_t lens [1] = { text? len: 0 };
    return scanner_scan_fields (&ctx, texts, lens, 1, findings, max_findings);
}

const char *
scanner_kind_name (scan_kind_t kind)
{
    switch (kind) {
        case SCAN_NATIONAL_ID:   return "national_id";
        case SCAN_PHONE:         return "phone";
        case SCAN_EMAIL:         return "email";
        case SCAN_VEHICLE:       return "vehicle";
        case SCAN_ADDRESS:       return "address";
        case SCAN_CASE_NUMBER:   return "case_number";
        case SCAN_BIRTH_DATE:    return "birth_date";
        case SCAN_CRISIS_CENTRE: return "crisis_centre";
        case SCAN_NAME:          return "name";
        case SCAN_BANK_ACCOUNT:  return "bank_account";
        case SCAN_UNCHECKED:     return "unchecked";
    }
    return "unknown";
}
