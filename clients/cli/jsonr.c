/*  jsonr — a small JSON reader. See jsonr.h.                             */
#include "jsonr.h"
#include "json.h"
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    const char *text;
    size_t len, at;
    char *err;
    size_t errlen;
    bool failed;
} reader_t;

static void
s_fail (reader_t *r, const char *what)
{
    if (!r->failed)
        snprintf (r->err, r->errlen, "%s at byte %zu", what, r->at);
    r->failed = true;
}

static void
s_space (reader_t *r)
{
    while (r->at < r->len && (r->text [r->at] == ' ' || r->text [r->at] == '\t'
                           || r->text [r->at] == '\n' || r->text [r->at] == '\r'))
        r->at++;
}

static bool
s_literal (reader_t *r, const char *word)
{
    size_t n = strlen (word);
    if (r->len - r->at < n || memcmp (r->text + r->at, word, n) != 0)
        return false;
    r->at += n;
    return true;
}

static int
s_hex4 (reader_t *r)
{
    if (r->len - r->at < 4)
        return -1;
    int value = 0;
    for (int i = 0; i < 4; i++) {
        char c = r->text [r->at + (size_t) i];
        value <<= 4;
        if (c >= '0' && c <= '9') value |= c - '0';
        else if (c >= 'a' && c <= 'f') value |= c - 'a' + 10;
        else if (c >= 'A' && c <= 'F') value |= c - 'A' + 10;
        else return -1;
    }
    r->at += 4;
    return value;
}

static size_t
s_utf8 (uint32_t cp, char *out)
{
    if (cp < 0x80) { out [0] = (char) cp; return 1; }
    if (cp < 0x800) {
        out [0] = (char) (0xC0 | (cp >> 6)); out [1] = (char) (0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out [0] = (char) (0xE0 | (cp >> 12)); out [1] = (char) (0x80 | ((cp >> 6) & 0x3F));
        out [2] = (char) (0x80 | (cp & 0x3F));
        return 3;
    }
    out [0] = (char) (0xF0 | (cp >> 18)); out [1] = (char) (0x80 | ((cp >> 12) & 0x3F));
    out [2] = (char) (0x80 | ((cp >> 6) & 0x3F)); out [3] = (char) (0x80 | (cp & 0x3F));
    return 4;
}

//  A string at r->at (after its opening quote). Returns a malloc'd copy.
static char *
s_string (reader_t *r)
{
    //  The decoded text is never longer than the source.
    char *out = (char *) malloc (r->len - r->at + 1);
    size_t n = 0;
    if (!out) {
        s_fail (r, "out of memory");
        return NULL;
    }
    while (r->at < r->len) {
        unsigned char c = (unsigned char) r->text [r->at++];
        if (c == '"') {
            out [n] = 0;
            if (!json_utf8_valid (out, n)) {
                s_fail (r, "a string that is not UTF-8");
                free (out);
                return NULL;
            }
            return out;
        }
        if (c < 0x20) {
            s_fail (r, "a control character inside a string");
            break;
        }
        if (c != '\\') {
            out [n++] = (char) c;
            continue;
        }
        if (r->at >= r->len)
            break;
        char e = r->text [r->at++];
        switch (e) {
            case '"': case '\\': case '/': out [n++] = e; break;
            case 'b': out [n++] = '\b'; break;
            case 'f': out [n++] = '\f'; break;
            case 'n': out [n++] = '\n'; break;
            case 'r': out [n++] = '\r'; break;
            case 't': out [n++] = '\t'; break;
            case 'u': {
                int hi = s_hex4 (r);
                uint32_t cp = (uint32_t) hi;
                if (hi >= 0xD800 && hi <= 0xDBFF) {
                    int lo = s_literal (r, "\\u")? s_hex4 (r): -1;
                    if (lo < 0xDC00 || lo > 0xDFFF) {
                        s_fail (r, "a lone surrogate in a \\u escape");
                        free (out);
                        return NULL;
                    }
                    cp = 0x10000 + (((uint32_t) hi - 0xD800) << 10) + ((uint32_t) lo - 0xDC00);
                }
                else
                if (hi < 0 || (hi >= 0xDC00 && hi <= 0xDFFF)) {
                    s_fail (r, "a bad \\u escape");
                    free (out);
                    return NULL;
                }
                if (cp == 0) {
                    s_fail (r, "a NUL (\\u0000) inside a string");
                    free (out);
                    return NULL;
                }
                n += s_utf8 (cp, out + n);
                break;
            }
            default:
                s_fail (r, "a bad escape in a string");
                free (out);
                return NULL;
        }
    }
    s_fail (r, "an unterminated string");
    free (out);
    return NULL;
}

static bool s_value (reader_t *r, jsonr_t *v, int depth);

static void
s_free_value (jsonr_t *v)
{
    free (v->string);
    for (size_t i = 0; i < v->count; i++) {
        s_free_value (&v->items [i]);
        if (v->keys)
            free (v->keys [i]);
    }
    free (v->items);
    free (v->keys);
    memset (v, 0, sizeof *v);
}

//  Appends a slot to an array or object; NULL when out of memory.
static jsonr_t *
s_append (reader_t *r, jsonr_t *v, char *key)
{
    jsonr_t *items = (jsonr_t *) realloc (v->items, (v->count + 1) * sizeof (jsonr_t));
    if (!items) {
        s_fail (r, "out of memory");
        return NULL;
    }
    v->items = items;
    if (v->type == JSONR_OBJECT) {
        char **keys = (char **) realloc (v->keys, (v->count + 1) * sizeof (char *));
        if (!keys) {
            s_fail (r, "out of memory");
            return NULL;
        }
        v->keys = keys;
        v->keys [v->count] = key;
    }
    memset (&v->items [v->count], 0, sizeof (jsonr_t));
    return &v->items [v->count++];
}

static bool
s_container (reader_t *r, jsonr_t *v, int depth, char close)
{
    s_space (r);
    if (r->at < r->len && r->text [r->at] == close) {
        r->at++;
        return true;
    }
    for (;;) {
        char *key = NULL;
        s_space (r);
        if (v->type == JSONR_OBJECT) {
            if (r->at >= r->len || r->text [r->at] != '"') {
                s_fail (r, "an object key must be a string");
                return false;
            }
            r->at++;
            key = s_string (r);
            if (!key)
                return false;
            s_space (r);
            if (r->at >= r->len || r->text [r->at] != ':') {
                free (key);
                s_fail (r, "':' expected after a key");
                return false;
            }
            r->at++;
        }
        jsonr_t *slot = s_append (r, v, key);
        if (!slot) {
            free (key);
            return false;
        }
        if (!s_value (r, slot, depth + 1))
            return false;
        s_space (r);
        if (r->at < r->len && r->text [r->at] == ',') {
            r->at++;
            continue;
        }
        if (r->at < r->len && r->text [r->at] == close) {
            r->at++;
            return true;
        }
        s_fail (r, close == '}'? "',' or '}' expected": "',' or ']' expected");
        return false;
    }
}

static bool
s_number (reader_t *r, jsonr_t *v)
{
    size_t start = r->at;
    if (r->at < r->len && r->text [r->at] == '-')
        r->at++;
    size_t digits = r->at;
    while (r->at < r->len && r->text [r->at] >= '0' && r->text [r->at] <= '9')
        r->at++;
    if (r->at == digits || (r->text [digits] == '0' && r->at - digits > 1)) {
        s_fail (r, "a bad number");
        return false;
    }
    if (r->at < r->len && r->text [r->at] == '.') {
        size_t frac = ++r->at;
        while (r->at < r->len && r->text [r->at] >= '0' && r->text [r->at] <= '9')
            r->at++;
        if (r->at == frac) {
            s_fail (r, "a bad number");
            return false;
        }
    }
    if (r->at < r->len && (r->text [r->at] == 'e' || r->text [r->at] == 'E')) {
        r->at++;
        if (r->at < r->len && (r->text [r->at] == '+' || r->text [r->at] == '-'))
            r->at++;
        size_t exp = r->at;
        while (r->at < r->len && r->text [r->at] >= '0' && r->text [r->at] <= '9')
            r->at++;
        if (r->at == exp) {
            s_fail (r, "a bad number");
            return false;
        }
    }
    char buf [64];
    size_t n = r->at - start;
    if (n >= sizeof buf) {
        s_fail (r, "a number too long");
        return false;
    }
    memcpy (buf, r->text + start, n);
    buf [n] = 0;
    v->type = JSONR_NUMBER;
    v->number = strtod (buf, NULL);
    return true;
}

static bool
s_value (reader_t *r, jsonr_t *v, int depth)
{
    if (depth > JSONR_MAX_DEPTH) {
        s_fail (r, "nested too deep");
        return false;
    }
    s_space (r);
    if (r->at >= r->len) {
        s_fail (r, "a value expected");
        return false;
    }
    char c = r->text [r->at];
    if (c == '{' || c == '[') {
        r->at++;
        v->type = c == '{'? JSONR_OBJECT: JSONR_ARRAY;
        return s_container (r, v, depth, c == '{'? '}': ']');
    }
    if (c == '"') {
        r->at++;
        v->type = JSONR_STRING;
        v->string = s_string (r);
        return v->string != NULL;
    }
    if (s_literal (r, "true") || s_literal (r, "false")) {
        v->type = JSONR_BOOL;
        v->boolean = r->text [r->at - 1] == 'e' && r->text [r->at - 2] == 'u';
        return true;
    }
    if (s_literal (r, "null")) {
        v->type = JSONR_NULL;
        return true;
    }
    if (c == '-' || (c >= '0' && c <= '9'))
        return s_number (r, v);
    s_fail (r, "a value expected");
    return false;
}

jsonr_t *
jsonr_parse (const char *text, size_t len, char *err, size_t errlen)
{
    reader_t r = { text, len, 0, err, errlen, false };
    jsonr_t *v = (jsonr_t *) calloc (1, sizeof (jsonr_t));
    if (!v) {
        snprintf (err, errlen, "out of memory");
        return NULL;
    }
    if (memchr (text, 0, len))
        s_fail (&r, "a NUL byte");
    else
    if (s_value (&r, v, 0)) {
        s_space (&r);
        if (r.at != len)
            s_fail (&r, "something after the value");
    }
    if (r.failed) {
        s_free_value (v);
        free (v);
        return NULL;
    }
    return v;
}

void
jsonr_free (jsonr_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    s_free_value (*self_p);
    free (*self_p);
    *self_p = NULL;
}

const jsonr_t *
jsonr_get (const jsonr_t *object, const char *key)
{
    const jsonr_t *found = NULL;
    if (!object || object->type != JSONR_OBJECT)
        return NULL;
    for (size_t i = 0; i < object->count; i++)
        if (strcmp (object->keys [i], key) == 0)
            found = &object->items [i];
    return found;
}
