/*  json — see json.h.                                                       */
#include "json.h"
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void
json_init (json_t *self)
{
    memset (self, 0, sizeof *self);
    self->first [0] = true;
}

void
json_free (json_t *self)
{
    free (self->data);
    json_init (self);
}

static void
s_put (json_t *self, const char *data, size_t len)
{
    if (self->failed)
        return;
    if (self->len + len + 1 > self->cap) {
        size_t cap = self->cap? self->cap: 256;
        while (cap < self->len + len + 1)
            cap *= 2;
        char *data_ = (char *) realloc (self->data, cap);
        if (!data_) {
            self->failed = true;
            return;
        }
        self->data = data_;
        self->cap = cap;
    }
    memcpy (self->data + self->len, data, len);
    self->len += len;
    self->data [self->len] = 0;
}

static void
s_puts (json_t *self, const char *text)
{
    s_put (self, text, strlen (text));
}

//  Length of the well-formed UTF-8 sequence at S (1 to 4), or 0.
static size_t
s_utf8_seq (const unsigned char *s, size_t left)
{
    unsigned char c = s [0];
    if (c < 0x80)
        return 1;
    size_t need;
    uint32_t min, cp;
    if ((c & 0xE0) == 0xC0) {
        need = 2; min = 0x80; cp = c & 0x1F;
    }
    else
    if ((c & 0xF0) == 0xE0) {
        need = 3; min = 0x800; cp = c & 0x0F;
    }
    else
    if ((c & 0xF8) == 0xF0) {
        need = 4; min = 0x10000; cp = c & 0x07;
    }
    else
        return 0;
    if (left < need)
        return 0;
    for (size_t i = 1; i < need; i++) {
        if ((s [i] & 0xC0) != 0x80)
            return 0;
        cp = (cp << 6) | (s [i] & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return need;
}

bool
json_utf8_valid (const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *) s;
    size_t i = 0;
    while (i < len) {
        size_t n = s_utf8_seq (p + i, len - i);
        if (n == 0)
            return false;
        i += n;
    }
    return true;
}

void
json_escape (json_t *self, const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *) s;
    s_put (self, "\"", 1);
    size_t i = 0;
    while (i < len) {
        unsigned char c = p [i];
        char esc [8];
        if (c == '"' || c == '\\') {
            esc [0] = '\\'; esc [1] = (char) c;
            s_put (self, esc, 2);
            i++;
        }
        else
        if (c < 0x20 || c == 0x7F) {
            const char *named = c == '\n'? "\\n": c == '\r'? "\\r": c == '\t'? "\\t"
                              : c == '\b'? "\\b": c == '\f'? "\\f": NULL;
            if (named)
                s_puts (self, named);
            else {
                snprintf (esc, sizeof esc, "\\u%04x", c);
                s_puts (self, esc);
            }
            i++;
        }
        else
        if (c < 0x80) {
            s_put (self, (const char *) p + i, 1);
            i++;
        }
        else {
            size_t n = s_utf8_seq (p + i, len - i);
            if (n == 0) {
                s_puts (self, "\\ufffd");
                i++;
            }
            else
            if (n == 3 && p [i] == 0xE2 && p [i + 1] == 0x80
                  && (p [i + 2] == 0xA8 || p [i + 2] == 0xA9)) {
                //  U+2028 / U+2029 are valid JSON but break JavaScript
                //  and some line-oriented readers.
                s_puts (self, p [i + 2] == 0xA8? "\\u2028": "\\u2029");
                i += n;
            }
            else {
                s_put (self, (const char *) p + i, n);
                i += n;
            }
        }
    }
    s_put (self, "\"", 1);
}

//  Separator and key before a value at the current depth.
static void
s_member (json_t *self, const char *key)
{
    if (!self->first [self->depth])
        s_put (self, ",", 1);
    self->first [self->depth] = false;
    if (key) {
        json_escape (self, key, strlen (key));
        s_put (self, ":", 1);
    }
}

static void
s_open (json_t *self, const char *key, const char *bracket)
{
    s_member (self, key);
    s_puts (self, bracket);
    if (self->depth + 1 >= JSON_MAX_DEPTH) {
        self->failed = true;
        return;
    }
    self->first [++self->depth] = true;
}

static void
s_close (json_t *self, const char *bracket)
{
    if (self->depth > 0)
        self->depth--;
    s_puts (self, bracket);
}

void json_object_begin (json_t *self, const char *key) { s_open (self, key, "{"); }
void json_object_end (json_t *self) { s_close (self, "}"); }
void json_array_begin (json_t *self, const char *key) { s_open (self, key, "["); }
void json_array_end (json_t *self) { s_close (self, "]"); }

void
json_str (json_t *self, const char *key, const char *value)
{
    s_member (self, key);
    if (value)
        json_escape (self, value, strlen (value));
    else
        s_puts (self, "null");
}

void
json_str_opt (json_t *self, const char *key, const char *value)
{
    if (value && *value)
        json_str (self, key, value);
}

void
json_int (json_t *self, const char *key, int64_t value)
{
    char text [32];
    snprintf (text, sizeof text, "%" PRId64, value);
    s_member (self, key);
    s_puts (self, text);
}

void
json_uint (json_t *self, const char *key, uint64_t value)
{
    char text [32];
    snprintf (text, sizeof text, "%" PRIu64, value);
    s_member (self, key);
    s_puts (self, text);
}

void
json_bool (json_t *self, const char *key, bool value)
{
    s_member (self, key);
    s_puts (self, value? "true": "false");
}

void
json_hex (json_t *self, const char *key, const uint8_t *data, size_t len)
{
    static const char digits [] = "0123456789abcdef";
    s_member (self, key);
    s_put (self, "\"", 1);
    for (size_t i = 0; i < len; i++) {
        char pair [2] = { digits [data [i] >> 4], digits [data [i] & 15] };
        s_put (self, pair, 2);
    }
    s_put (self, "\"", 1);
}

const char *
json_text (json_t *self)
{
    if (self->failed)
        return NULL;
    return self->data? self->data: "";
}
