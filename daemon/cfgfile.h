/*  cfgfile — the text of a ZPL config file, line by line: which line each
    name is on, and whether every section and key is one we know.

    czmq's zconfig keeps no line numbers, so this scans the file itself:
    4 spaces of indentation per level, '#' starts a comment, a line is
    "name" or "name = value". Every error it writes names the file and the
    line ("samhandd.cfg:12: unknown key ..."), with a did-you-mean when a
    known name is close (edit distance). zconfig still reads the values.

    Ownership: cfgfile_new returns an object the caller destroys.         */
#ifndef SAMHAND_CFGFILE_H
#define SAMHAND_CFGFILE_H
#include <stddef.h>

typedef struct _cfgfile_t cfgfile_t;

//  Reads and scans FILE. NULL if it cannot be read (errno set).
cfgfile_t *cfgfile_new (const char *file);
void cfgfile_destroy (cfgfile_t **self_p);

//  The line "section/key" (or "section") is on; 0 when it is not in the file.
int cfgfile_line (cfgfile_t *self, const char *path);

//  Checks every name against KNOWN, a NULL-terminated list of
//  "section/key" paths (a section is known when a key in it is). Refuses
//  unknown sections and keys, keys set twice, and deeper nesting. 0, or -1
//  with "FILE:LINE: what, did you mean ..." in err.
int cfgfile_check (cfgfile_t *self, const char *const *known, char *err, size_t errlen);

//  Rewrites a message that starts with a "section/key" path into
//  "FILE:LINE: message" (or "FILE: message" when the path is not in the
//  file, e.g. a required key that is missing).
void cfgfile_locate (cfgfile_t *self, char *err, size_t errlen);

//  Levenshtein distance between two names (for did-you-mean).
size_t cfgfile_distance (const char *a, const char *b);

#endif
