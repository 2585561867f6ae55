/*  jsonr — a small JSON reader for the CLI (`plan edit --file`).

    Parses one JSON text (RFC 8259) into a tree: objects keep their keys
    in order, strings are decoded to UTF-8 (\uXXXX escapes and surrogate
    pairs included), numbers are doubles. Strict: no trailing commas, no
    comments, nothing after the value, strings must be valid UTF-8 and
    hold no NUL (a NUL would cut a field short later). Depth and size are
    bounded, so a hostile file cannot exhaust the stack.

    Ownership: jsonr_parse returns a tree the caller frees with
    jsonr_free; pointers into it (keys, strings, children) live as long
    as the tree. No I/O.                                                  */
#ifndef SAMHAND_CLI_JSONR_H
#define SAMHAND_CLI_JSONR_H

#include <stdbool.h>
#include <stddef.h>

#define JSONR_MAX_DEPTH 16

typedef enum {
    JSONR_NULL, JSONR_BOOL, JSONR_NUMBER, JSONR_STRING, JSONR_ARRAY, JSONR_OBJECT
} jsonr_type_t;

typedef struct _jsonr_t jsonr_t;
struct _jsonr_t {
    jsonr_type_t type;
    bool     boolean;
    double   number;
    char    *string;          //  STRING: NUL-terminated UTF-8
    jsonr_t *items;           //  ARRAY / OBJECT: the values
    char   **keys;            //  OBJECT: the keys, parallel to items
    size_t   count;
};

//  Parses LEN bytes at TEXT. NULL on a mistake, with where and what in ERR.
jsonr_t *jsonr_parse (const char *text, size_t len, char *err, size_t errlen);
void jsonr_free (jsonr_t **self_p);

//  The member KEY of an object (the last if repeated), or NULL.
const jsonr_t *jsonr_get (const jsonr_t *object, const char *key);

#endif
