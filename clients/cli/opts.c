/*  opts — see opts.h.                                                       */
#include "opts.h"
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const opt_spec_t *
s_find_long (const opt_spec_t *const *tables, const char *name, size_t len)
{
    for (size_t t = 0; tables [t]; t++)
        for (const opt_spec_t *spec = tables [t]; spec->name; spec++)
            if (strlen (spec->name) == len && strncmp (spec->name, name, len) == 0)
                return spec;
    return NULL;
}

static const opt_spec_t *
s_find_short (const opt_spec_t *const *tables, char name)
{
    for (size_t t = 0; tables [t]; t++)
        for (const opt_spec_t *spec = tables [t]; spec->name; spec++)
            if (spec->short_name && spec->short_name == name)
                return spec;
    return NULL;
}

static int
s_add (opts_t *self, const opt_spec_t *spec, const char *value, char *err, size_t errlen)
{
    if (spec->kind != OPT_LIST && opts_has (self, spec->name)) {
        snprintf (err, errlen, "--%s is given twice", spec->name);
        return -1;
    }
    if (self->n_items >= OPTS_MAX_ITEMS) {
        snprintf (err, errlen, "too many options");
        return -1;
    }
    self->items [self->n_items].spec = spec;
    self->items [self->n_items].value = value;
    self->n_items++;
    return 0;
}

static int
s_positional (opts_t *self, const char *word, char *err, size_t errlen)
{
    if (self->n_pos >= OPTS_MAX_POS) {
        snprintf (err, errlen, "too many words: '%s'", word);
        return -1;
    }
    self->pos [self->n_pos++] = word;
    return 0;
}

int
opts_parse (opts_t *self, const opt_spec_t *const *tables, int argc, char **argv,
            char *err, size_t errlen)
{
    memset (self, 0, sizeof *self);
    bool only_words = false;
    for (int i = 0; i < argc; i++) {
        const char *arg = argv [i];
        if (only_words || arg [0] != '-' || arg [1] == 0) {
            if (s_positional (self, arg, err, errlen))
                return -1;
            continue;
        }
        if (strcmp (arg, "--") == 0) {
            only_words = true;
            continue;
        }
        const opt_spec_t *spec;
        const char *inline_value = NULL;
        if (arg [1] == '-') {
            const char *name = arg + 2;
            const char *equals = strchr (name, '=');
            size_t len = equals? (size_t) (equals - name): strlen (name);
            spec = s_find_long (tables, name, len);
            if (!spec) {
                snprintf (err, errlen, "unknown option --%.*s", (int) len, name);
                return -1;
            }
            if (equals)
                inline_value = equals + 1;
        }
        else {
            spec = arg [2] == 0? s_find_short (tables, arg [1]): NULL;
            if (!spec) {
                snprintf (err, errlen, "unknown option %s", arg);
                return -1;
            }
        }
        if (spec->kind == OPT_FLAG) {
            if (inline_value) {
                snprintf (err, errlen, "--%s takes no value", spec->name);
                return -1;
            }
            if (s_add (self, spec, NULL, err, errlen))
                return -1;
            continue;
        }
        const char *value = inline_value;
        if (!value) {
            if (i + 1 >= argc) {
                snprintf (err, errlen, "--%s needs a value", spec->name);
                return -1;
            }
            value = argv [++i];
        }
        if (s_add (self, spec, value, err, errlen))
            return -1;
    }
    return 0;
}

bool
opts_has (const opts_t *self, const char *name)
{
    for (size_t i = 0; i < self->n_items; i++)
        if (strcmp (self->items [i].spec->name, name) == 0)
            return true;
    return false;
}

const char *
opts_get (const opts_t *self, const char *name)
{
    const char *value = NULL;
    for (size_t i = 0; i < self->n_items; i++)
        if (strcmp (self->items [i].spec->name, name) == 0)
            value = self->items [i].value;
    return value;
}

size_t
opts_all (const opts_t *self, const char *name, const char **out, size_t max)
{
    size_t n = 0;
    for (size_t i = 0; i < self->n_items && n < max; i++)
        if (strcmp (self->items [i].spec->name, name) == 0)
            out [n++] = self->items [i].value;
    return n;
}

//  Next comma-separated item of *CURSOR, trimmed, into WORD.
static bool
s_next_item (const char **cursor, char *word, size_t size, bool *too_long)
{
    const char *p = *cursor;
    if (!p)
        return false;
    const char *comma = strchr (p, ',');
    const char *end = comma? comma: p + strlen (p);
    *cursor = comma? comma + 1: NULL;
    while (p < end && isspace ((unsigned char) *p))
        p++;
    while (end > p && isspace ((unsigned char) end [-1]))
        end--;
    size_t len = (size_t) (end - p);
    *too_long = len >= size;
    if (*too_long)
        len = size - 1;
    memcpy (word, p, len);
    word [len] = 0;
    return true;
}

int
opts_enum_list (const char *text, int (*from_name) (const char *), const char *what,
                int *out, size_t max, char *err, size_t errlen)
{
    if (!text || !*text) {
        snprintf (err, errlen, "%s: the list is empty", what);
        return -1;
    }
    const char *cursor = text;
    char word [64];
    bool too_long;
    size_t n = 0;
    while (s_next_item (&cursor, word, sizeof word, &too_long)) {
        if (!*word) {
            snprintf (err, errlen, "%s: empty item in '%s'", what, text);
            return -1;
        }
        //  Accept the spelling people type too: "police-risk".
        for (char *c = word; *c; c++)
            if (*c == '-')
                *c = '_';
        int value = too_long? -1: from_name (word);
        if (value < 0) {
            snprintf (err, errlen, "%s: unknown value '%s'", what, word);
            return -1;
        }
        bool seen = false;
        for (size_t i = 0; i < n; i++)
            seen = seen || out [i] == value;
        if (seen)
            continue;
        if (n >= max) {
            snprintf (err, errlen, "%s: too many values", what);
            return -1;
        }
        out [n++] = value;
    }
    return (int) n;
}

int
opts_enum (const char *text, int (*from_name) (const char *), const char *what,
           char *err, size_t errlen)
{
    int value [2];
    int n = opts_enum_list (text, from_name, what, value, 2, err, errlen);
    if (n < 0)
        return -1;
    if (n != 1) {
        snprintf (err, errlen, "%s: give one value, not '%s'", what, text);
        return -1;
    }
    return value [0];
}

int
opts_word_list (const char *text, char *buf, size_t bufsize, char **out, size_t max)
{
    if (!text || !*text || bufsize == 0)
        return -1;
    const char *cursor = text;
    size_t used = 0, n = 0;
    char word [256];
    bool too_long;
    while (s_next_item (&cursor, word, sizeof word, &too_long)) {
        size_t len = strlen (word);
        if (too_long || !len || n >= max || used + len + 1 > bufsize)
            return -1;
        memcpy (buf + used, word, len + 1);
        out [n++] = buf + used;
        used += len + 1;
    }
    return (int) n;
}

static bool
s_parse_date (const char *text, int *y, int *m, int *d)
{
    if (!text || strlen (text) != 10 || text [4] != '-' || text [7] != '-')
        return false;
    for (int i = 0; i < 10; i++)
        if (i != 4 && i != 7 && !isdigit ((unsigned char) text [i]))
            return false;
    *y = atoi (text);
    *m = atoi (text + 5);
    *d = atoi (text + 8);
    static const int days [] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    if (*y < 1900 || *m < 1 || *m > 12 || *d < 1)
        return false;
    bool leap = (*y % 4 == 0 && *y % 100 != 0) || *y % 400 == 0;
    int max = days [*m - 1] + (*m == 2 && leap);
    return *d <= max;
}

bool
opts_date_valid (const char *text)
{
    int y, m, d;
    return s_parse_date (text, &y, &m, &d);
}

int64_t
opts_date_to_unix (const char *date, int days)
{
    int y, m, d;
    if (!s_parse_date (date, &y, &m, &d))
        return -1;
    struct tm tm;
    memset (&tm, 0, sizeof tm);
    tm.tm_year = y - 1900;
    tm.tm_mon = m - 1;
    tm.tm_mday = d + days;    //  mktime normalises the overflow
    tm.tm_isdst = -1;
    time_t t = mktime (&tm);
    return t == (time_t) -1? -1: (int64_t) t;
}

int64_t
opts_number (const char *text, int64_t max)
{
    if (!text || !*text || strlen (text) > 18)
        return -1;
    int64_t value = 0;
    for (const char *p = text; *p; p++) {
        if (!isdigit ((unsigned char) *p))
            return -1;
        value = value * 10 + (*p - '0');
    }
    return value > max? -1: value;
}

int
opts_hex (const char *text, uint8_t *out, size_t size)
{
    if (!text || strlen (text) != 2 * size)
        return -1;
    for (size_t i = 0; i < size; i++) {
        int byte = 0;
        for (int half = 0; half < 2; half++) {
            char c = (char) tolower ((unsigned char) text [2 * i + half]);
            int digit = c >= '0' && c <= '9'? c - '0': c >= 'a' && c <= 'f'? c - 'a' + 10: -1;
            if (digit < 0)
                return -1;
            byte = byte * 16 + digit;
        }
        out [i] = (uint8_t) byte;
    }
    return 0;
}

//  Two digits at TEXT, at most MAX. -1 if not.
static int
s_two_digits (const char *text, int max)
{
    if (!isdigit ((unsigned char) text [0]) || !isdigit ((unsigned char) text [1]))
        return -1;
    int value = (text [0] - '0') * 10 + (text [1] - '0');
    return value > max? -1: value;
}

int64_t
opts_time_to_unix (const char *text, bool end_of_day)
{
    if (!text)
        return -1;
    size_t len = strlen (text);
    if (len == 10)
        return opts_date_to_unix (text, end_of_day? 1: 0);
    bool utc = len > 10 && text [len - 1] == 'Z';
    size_t body = utc? len - 1: len;
    if ((body != 16 && body != 19) || (text [10] != 'T' && text [10] != ' ')
    ||  text [13] != ':' || (body == 19 && text [16] != ':'))
        return -1;
    char date [11];
    memcpy (date, text, 10);
    date [10] = 0;
    int y, m, d;
    int hour = s_two_digits (text + 11, 23);
    int minute = s_two_digits (text + 14, 59);
    int second = body == 19? s_two_digits (text + 17, 59): 0;
    if (!s_parse_date (date, &y, &m, &d) || hour < 0 || minute < 0 || second < 0)
        return -1;
    struct tm tm;
    memset (&tm, 0, sizeof tm);
    tm.tm_year = y - 1900;
    tm.tm_mon = m - 1;
    tm.tm_mday = d;
    tm.tm_hour = hour;
    tm.tm_min = minute;
    tm.tm_sec = second;
    tm.tm_isdst = -1;
    time_t t = utc? timegm (&tm): mktime (&tm);
    return t == (time_t) -1? -1: (int64_t) t;
}
