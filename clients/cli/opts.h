/*  opts — command-line options for samhand: long options with values,
    flags and repeatable options, plus the parsers for the values people
    type (enum lists, dates). Pure: no I/O beyond the error text it fills.

    Values point into argv (which lives as long as the process); opts_t
    owns only its own bookkeeping.                                        */
#ifndef SAMHAND_CLI_OPTS_H
#define SAMHAND_CLI_OPTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum {
    OPT_FLAG,        //  --children
    OPT_VALUE,       //  --text "..." or --text=...; given twice is an error
    OPT_LIST         //  --factor A --factor B (repeatable)
} opt_kind_t;

typedef struct {
    const char *name;        //  long name without the dashes; NULL ends a table
    char        short_name;  //  'c' for -c, or 0
    opt_kind_t  kind;
} opt_spec_t;

#define OPTS_MAX_ITEMS  128
#define OPTS_MAX_POS    8

typedef struct {
    struct {
        const opt_spec_t *spec;
        const char *value;
    } items [OPTS_MAX_ITEMS];
    size_t      n_items;
    const char *pos [OPTS_MAX_POS];
    size_t      n_pos;
} opts_t;

//  Parses ARGC/ARGV (argv [0] is the first word to parse, not the program)
//  against the NULL-terminated list of spec TABLES. Words after "--" are
//  positional. Returns 0, or -1 with a message in ERR.
int opts_parse (opts_t *self, const opt_spec_t *const *tables, int argc, char **argv,
                char *err, size_t errlen);

bool opts_has (const opts_t *self, const char *name);
//  The value of a VALUE option (or the last of a LIST), or NULL.
const char *opts_get (const opts_t *self, const char *name);
//  Every value of a LIST option, in order: returns the count.
size_t opts_all (const opts_t *self, const char *name, const char **out, size_t max);

//  Parses "physical, sexual" with FROM_NAME (a samhand_*_from_name) into
//  OUT (at most MAX, duplicates dropped). Empty items and unknown names
//  are errors naming the word and WHAT ("violence"). Returns the count,
//  or -1 with a message in ERR.
int opts_enum_list (const char *text, int (*from_name) (const char *), const char *what,
                    int *out, size_t max, char *err, size_t errlen);

//  Same for one word.
int opts_enum (const char *text, int (*from_name) (const char *), const char *what,
               char *err, size_t errlen);

//  Splits a comma list of free words ("follow_up,safety") into OUT,
//  trimmed, copied into BUF. Returns the count or -1.
int opts_word_list (const char *text, char *buf, size_t bufsize, char **out, size_t max);

//  True when TEXT is a real calendar date written YYYY-MM-DD.
bool opts_date_valid (const char *text);

//  Unix seconds of local midnight at the start of DATE (YYYY-MM-DD), plus
//  DAYS days. -1 if the date is not valid.
int64_t opts_date_to_unix (const char *date, int days);

//  Parses a whole non-negative number (no sign, no junk). -1 if not one.
int64_t opts_number (const char *text, int64_t max);

//  Parses the 2*SIZE hex digits of TEXT (either case, nothing else) into
//  OUT. Returns 0, or -1 if TEXT is not exactly that.
int opts_hex (const char *text, uint8_t *out, size_t size);

//  Unix seconds of a time people type: YYYY-MM-DD (local midnight at its
//  start, or with END_OF_DAY at its end: the next midnight), or
//  YYYY-MM-DDTHH:MM[:SS] (a space may stand for the T), local time unless
//  it ends in Z (UTC, as the JSON output writes times). -1 if not valid.
int64_t opts_time_to_unix (const char *text, bool end_of_day);

#endif
