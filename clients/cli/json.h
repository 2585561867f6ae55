/*  json — a small JSON writer for the CLI's --json output.

    Builds one compact value (an object per line for JSON Lines) in a
    growable buffer. Strings are escaped per RFC 8259; bytes that are not
    valid UTF-8 become U+FFFD so the output is always valid JSON, whatever
    the broker or a sender put in a text field. Keys are passed as NULL
    for array elements. Owns its buffer: json_free releases it.           */
#ifndef SAMHAND_CLI_JSON_H
#define SAMHAND_CLI_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define JSON_MAX_DEPTH 16

typedef struct {
    char  *data;
    size_t len;
    size_t cap;
    int    depth;
    bool   first [JSON_MAX_DEPTH];   //  no member written yet at this depth
    bool   failed;                   //  out of memory or nesting too deep
} json_t;

void json_init (json_t *self);
void json_free (json_t *self);

void json_object_begin (json_t *self, const char *key);
void json_object_end (json_t *self);
void json_array_begin (json_t *self, const char *key);
void json_array_end (json_t *self);
void json_str (json_t *self, const char *key, const char *value);
//  Writes nothing when value is NULL or "" (omit empty fields).
void json_str_opt (json_t *self, const char *key, const char *value);
void json_int (json_t *self, const char *key, int64_t value);
void json_uint (json_t *self, const char *key, uint64_t value);
void json_bool (json_t *self, const char *key, bool value);
//  Writes LEN bytes as a lowercase hex string.
void json_hex (json_t *self, const char *key, const uint8_t *data, size_t len);

//  The text so far (NUL-terminated), or NULL after a failure.
const char *json_text (json_t *self);

//  Appends the JSON string literal for the LEN bytes at S (quotes
//  included) to SELF. Exposed for the selftest.
void json_escape (json_t *self, const char *s, size_t len);

//  True when the LEN bytes at S are well-formed UTF-8 (no overlongs, no
//  surrogates, nothing above U+10FFFF).
bool json_utf8_valid (const char *s, size_t len);

#endif
