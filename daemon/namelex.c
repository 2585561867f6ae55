/*  namelex.c — a lexicon of proper nouns and common words. See namelex.h. */
#include "namelex.h"
#include "textnorm.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

//  A slot holds a word's hash with its two low bits replaced by the
//  NAMELEX_* flags; 0 is an empty slot.
struct _namelex_t {
    uint64_t *slots;
    size_t    cap;              //  power of two
    size_t    size;
};

#define KEY_MAX 128

static uint64_t
s_hash (const char *key, size_t len)
{
    uint64_t h = 0xcbf29ce484222325ULL;         //  FNV-1a ...
    for (size_t i = 0; i < len; i++) {
        h ^= (uint8_t) key [i];
        h *= 0x100000001b3ULL;
    }
    h ^= h >> 33;                               //  ... and a finaliser that
    h *= 0xff51afd7ed558ccdULL;                 //  spreads it over every bit
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ULL;
    h ^= h >> 33;
    h &= ~(uint64_t) 3;
    return h? h: 4;
}

static int
s_grow (namelex_t *self)
{
    size_t cap = self->cap? self->cap * 2: 1024;
    uint64_t *slots = calloc (cap, sizeof *slots);
    if (!slots)
        return -1;
    for (size_t i = 0; i < self->cap; i++) {
        uint64_t v = self->slots [i];
        if (!v)
            continue;
        size_t k = (size_t) (v >> 2) & (cap - 1);
        while (slots [k])
            k = (k + 1) & (cap - 1);
        slots [k] = v;
    }
    free (self->slots);
    self->slots = slots;
    self->cap = cap;
    return 0;
}

static int
s_put (namelex_t *self, const char *key, size_t len, int flags)
{
    //  at most half full keeps the probe sequences short
    if ((self->size + 1) * 2 > self->cap && s_grow (self))
        return -1;
    uint64_t h = s_hash (key, len);
    size_t k = (size_t) (h >> 2) & (self->cap - 1);
    while (self->slots [k]) {
        if ((self->slots [k] & ~(uint64_t) 3) == h) {
            self->slots [k] |= (uint64_t) flags;
            return 0;
        }
        k = (k + 1) & (self->cap - 1);
    }
    self->slots [k] = h | (uint64_t) flags;
    self->size++;
    return 0;
}

int
namelex_lookup_key (const namelex_t *self, const char *key, size_t len)
{
    if (!self || !key || len == 0 || self->cap == 0)
        return 0;
    uint64_t h = s_hash (key, len);
    for (size_t k = (size_t) (h >> 2) & (self->cap - 1); self->slots [k];
         k = (k + 1) & (self->cap - 1))
        if ((self->slots [k] & ~(uint64_t) 3) == h)
            return (int) (self->slots [k] & 3);
    return 0;
}

int
namelex_lookup (const namelex_t *self, const char *word, size_t len)
{
    char key [KEY_MAX];
    size_t n = textnorm_fold_key (word, len, key, sizeof key);
    return n? namelex_lookup_key (self, key, n): 0;
}

//  A word list entry as UTF-8: lines that are not valid UTF-8 are read as
//  Latin-1 (wnorwegian ships ISO-8859-1).
static size_t
s_to_utf8 (const char *line, size_t len, char *out, size_t cap)
{
    bool ascii = true, utf8 = true;
    for (size_t i = 0; i < len && utf8; ) {
        uint8_t c = (uint8_t) line [i];
        if (c < 0x80) { i++; continue; }
        ascii = false;
        size_t n = c >= 0xC2 && c <= 0xDF? 2: c >= 0xE0 && c <= 0xEF? 3: c >= 0xF0 && c <= 0xF4? 4: 0;
        if (!n || i + n > len) { utf8 = false; break; }
        for (size_t k = 1; k < n; k++)
            if (((uint8_t) line [i + k] & 0xC0) != 0x80)
                utf8 = false;
        i += n;
    }
    if (ascii || utf8) {
        if (len >= cap)
            return 0;
        memcpy (out, line, len);
        return len;
    }
    size_t used = 0;
    for (size_t i = 0; i < len; i++) {
        uint8_t c = (uint8_t) line [i];
        if (used + 2 >= cap)
            return 0;
        if (c < 0x80)
            out [used++] = (char) c;
        else {
            out [used++] = (char) (0xC0 | (c >> 6));
            out [used++] = (char) (0x80 | (c & 0x3F));
        }
    }
    return used;
}

//  Proper noun: a capital, then lower case only ("Kari", "Ødegård"; not
//  "NATO" or "A-aksje"). Decided on the UTF-8 bytes of Latin letters.
static int
s_classify (const char *w, size_t len)
{
    const uint8_t *s = (const uint8_t *) w;
    bool first_upper = (s [0] >= 'A' && s [0] <= 'Z')
                    || (len > 1 && s [0] == 0xC3 && s [1] >= 0x80 && s [1] <= 0x9E && s [1] != 0x97);
    if (!first_upper)
        return NAMELEX_COMMON;
    size_t i = s [0] < 0x80? 1: 2;
    for (; i < len; i++) {
        if (s [i] >= 'A' && s [i] <= 'Z')
            return 0;
        if (s [i] == 0xC3 && i + 1 < len && s [i + 1] >= 0x80 && s [i + 1] <= 0x9E)
            return 0;
        if (s [i] == '-' || s [i] == '.' || (s [i] >= '0' && s [i] <= '9'))
            return 0;
    }
    return NAMELEX_PROPER;
}

static int
s_add_word (namelex_t *self, const char *line, size_t len)
{
    while (len > 0 && (line [len - 1] == '\r' || line [len - 1] == ' ' || line [len - 1] == '\t'))
        len--;
    if (len == 0)
        return 0;
    char utf8 [KEY_MAX * 2], key [KEY_MAX];
    size_t n = s_to_utf8 (line, len, utf8, sizeof utf8);
    if (n == 0)
        return 0;
    int flags = s_classify (utf8, n);
    if (!flags)
        return 0;
    size_t k = textnorm_fold_key (utf8, n, key, sizeof key);
    if (k == 0)
        return 0;
    return s_put (self, key, k, flags);
}

namelex_t *
namelex_from_words (const char *const *words, size_t n)
{
    namelex_t *self = calloc (1, sizeof *self);
    if (!self || s_grow (self)) {
        namelex_destroy (&self);
        return NULL;
    }
    for (size_t i = 0; i < n; i++)
        if (s_add_word (self, words [i], strlen (words [i]))) {
            namelex_destroy (&self);
            return NULL;
        }
    return self;
}

namelex_t *
namelex_load (const char *path, size_t min_words, char *err, size_t errlen)
{
    FILE *file = path? fopen (path, "rb"): NULL;
    if (!file) {
        snprintf (err, errlen, "names dictionary %s cannot be read: %s (install wnorwegian"
                  " or set server/names_dict)", path? path: "(none)", strerror (errno));
        return NULL;
    }
    namelex_t *self = calloc (1, sizeof *self);
    if (!self || s_grow (self)) {
        snprintf (err, errlen, "names dictionary %s: out of memory", path);
        namelex_destroy (&self);
        fclose (file);
        return NULL;
    }
    char line [512];
    int rc = 0;
    while (rc == 0 && fgets (line, sizeof line, file)) {
        size_t len = strlen (line);
        if (len > 0 && line [len - 1] == '\n')
            len--;
        else
        if (!feof (file)) {             //  an overlong line: skip the rest
            int c;
            while ((c = fgetc (file)) != EOF && c != '\n')
                ;
            continue;
        }
        rc = s_add_word (self, line, len);
    }
    bool failed = ferror (file) || rc;
    fclose (file);
    if (failed || self->size < min_words) {
        if (failed)
            snprintf (err, errlen, "names dictionary %s: read error or out of memory", path);
        else
            snprintf (err, errlen, "names dictionary %s holds %zu words, fewer than %zu:"
                      " truncated or not a word list", path, self->size, min_words);
        namelex_destroy (&self);
    }
    return self;
}

void
namelex_destroy (namelex_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    free ((*self_p)->slots);
    free (*self_p);
    *self_p = NULL;
}

size_t
namelex_size (const namelex_t *self)
{
    return self? self->size: 0;
}

size_t
namelex_bytes (const namelex_t *self)
{
    return self? sizeof *self + self->cap * sizeof (uint64_t): 0;
}
