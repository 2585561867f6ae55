/*  cfgfile — ZPL names and their line numbers. See cfgfile.h.             */
#include "cfgfile.h"
#include <czmq.h>

typedef struct {
    char path [128];              //  "section" or "section/key"
    int  line;
    int  level;                   //  0 section, 1 key, 2+ too deep
    char name [64];
} entry_t;

struct _cfgfile_t {
    char    *file;
    entry_t *entries;
    size_t   size;
    int      bad_line;            //  first line the scanner could not read
    char     bad_why [96];
};

static int
s_add (cfgfile_t *self, const entry_t *entry, size_t *capacity)
{
    if (self->size == *capacity) {
        size_t grown = *capacity? *capacity * 2: 32;
        entry_t *more = (entry_t *) realloc (self->entries, grown * sizeof *more);
        if (!more)
            return -1;
        self->entries = more;
        *capacity = grown;
    }
    self->entries [self->size++] = *entry;
    return 0;
}

static void
s_bad (cfgfile_t *self, int line, const char *why)
{
    if (!self->bad_line) {
        self->bad_line = line;
        snprintf (self->bad_why, sizeof self->bad_why, "%s", why);
    }
}

//  One line: its indentation and name, the path from the sections above.
static int
s_scan_line (cfgfile_t *self, char *text, int number, char stack [][64], size_t *capacity)
{
    size_t spaces = strspn (text, " ");
    char *name = text + spaces;
    if (*name == 0 || *name == '#' || *name == '\n' || *name == '\r')
        return 0;
    if (*name == '\t' || spaces % 4) {
        s_bad (self, number, "indentation must be 4 spaces per level (no tabs)");
        return 0;
    }
    entry_t entry;
    memset (&entry, 0, sizeof entry);
    entry.line = number;
    entry.level = (int) (spaces / 4);
    size_t len = strcspn (name, " \t=#\r\n");
    if (len == 0 || len >= sizeof entry.name) {
        s_bad (self, number, len? "name too long": "a line must start with a name");
        return 0;
    }
    memcpy (entry.name, name, len);
    if (entry.level >= 2) {
        snprintf (entry.path, sizeof entry.path, "%s/%s/%s", stack [0], stack [1], entry.name);
        return s_add (self, &entry, capacity);
    }
    if (entry.level == 0)
        snprintf (entry.path, sizeof entry.path, "%s", entry.name);
    else
    if (*stack [0] == 0) {
        s_bad (self, number, "indented line before any section");
        return 0;
    }
    else
        snprintf (entry.path, sizeof entry.path, "%s/%s", stack [0], entry.name);
    snprintf (stack [entry.level], 64, "%s", entry.name);
    return s_add (self, &entry, capacity);
}

cfgfile_t *
cfgfile_new (const char *file)
{
    assert (file);
    FILE *in = fopen (file, "r");
    if (!in)
        return NULL;
    cfgfile_t *self = (cfgfile_t *) zmalloc (sizeof (cfgfile_t));
    self->file = strdup (file);
    char stack [2][64] = { "", "" };
    char text [2048];
    size_t capacity = 0;
    int rc = self->file? 0: -1;
    for (int number = 1; rc == 0 && fgets (text, sizeof text, in); number++) {
        if (!strchr (text, '\n') && !feof (in)) {
            //  Longer than any sane line: say so, and skip the rest of it
            //  so that the line numbers after it stay right.
            s_bad (self, number, "line too long");
            int c;
            while ((c = fgetc (in)) != EOF && c != '\n')
                ;
            continue;
        }
        rc = s_scan_line (self, text, number, stack, &capacity);
    }
    fclose (in);
    if (rc)
        cfgfile_destroy (&self);
    return self;
}

void
cfgfile_destroy (cfgfile_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    cfgfile_t *self = *self_p;
    free (self->file);
    free (self->entries);
    free (self);
    *self_p = NULL;
}

int
cfgfile_line (cfgfile_t *self, const char *path)
{
    for (size_t i = 0; self && path && i < self->size; i++)
        if (streq (self->entries [i].path, path))
            return self->entries [i].line;
    return 0;
}

size_t
cfgfile_distance (const char *a, const char *b)
{
    size_t la = strlen (a), lb = strlen (b);
    if (la > 63 || lb > 63)
        return la > lb? la: lb;
    size_t row [64];
    for (size_t j = 0; j <= lb; j++)
        row [j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t diagonal = row [0];
        row [0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t above = row [j];
            size_t best = diagonal + (a [i - 1] != b [j - 1]);
            if (above + 1 < best)
                best = above + 1;
            if (row [j - 1] + 1 < best)
                best = row [j - 1] + 1;
            row [j] = best;
            diagonal = above;
        }
    }
    return row [lb];
}

//  Is SECTION the section of some known key?
static bool
s_known_section (const char *const *known, const char *section)
{
    size_t len = strlen (section);
    for (size_t i = 0; known [i]; i++)
        if (strncmp (known [i], section, len) == 0 && known [i][len] == '/')
            return true;
    return false;
}

static bool
s_close (size_t distance, const char *name)
{
    size_t allowed = strlen (name) / 3;
    return distance <= (allowed < 2? 2: allowed);
}

//  The closest known section (KEY false) or key in SECTION (KEY true) to
//  NAME, written into hint as " (did you mean 'x'?)"; empty when nothing is
//  close. A key known in another section is pointed to there.
static void
s_suggest (const char *const *known, const char *section, const char *name,
           bool key, char *hint, size_t size)
{
    size_t best = SIZE_MAX;
    const char *choice = NULL;
    size_t choice_len = 0;
    *hint = 0;
    for (size_t i = 0; known [i]; i++) {
        const char *slash = strchr (known [i], '/');
        if (!slash)
            continue;
        char candidate [64];
        size_t len = key? strlen (slash + 1): (size_t) (slash - known [i]);
        if (len >= sizeof candidate)
            continue;
        memcpy (candidate, key? slash + 1: known [i], len);
        candidate [len] = 0;
        bool other = strncmp (known [i], section, strlen (section))
                  || known [i][strlen (section)] != '/';
        if (key && other) {
            if (streq (candidate, name)) {
                snprintf (hint, size, " (it belongs in section '%.*s')",
                          (int) (slash - known [i]), known [i]);
                return;
            }
            continue;
        }
        size_t distance = cfgfile_distance (candidate, name);
        if (distance < best) {
            best = distance;
            choice = key? slash + 1: known [i];
            choice_len = len;
        }
    }
    if (choice && s_close (best, name))
        snprintf (hint, size, " (did you mean '%.*s'?)", (int) choice_len, choice);
    else
    if (!key) {
        //  A key written where a section belongs: say where it goes.
        for (size_t i = 0; known [i]; i++) {
            const char *slash = strchr (known [i], '/');
            if (slash && streq (slash + 1, name)) {
                snprintf (hint, size, " (did you mean '%s' under section '%.*s'?)",
                          name, (int) (slash - known [i]), known [i]);
                return;
            }
        }
    }
}

static bool
s_is_known (const char *const *known, const char *path)
{
    for (size_t i = 0; known [i]; i++)
        if (streq (known [i], path))
            return true;
    return false;
}

int
cfgfile_check (cfgfile_t *self, const char *const *known, char *err, size_t errlen)
{
    assert (self && known);
    if (self->bad_line) {
        snprintf (err, errlen, "%s:%d: %s", self->file, self->bad_line, self->bad_why);
        return -1;
    }
    for (size_t i = 0; i < self->size; i++) {
        entry_t *entry = &self->entries [i];
        char hint [160], section [64];
        snprintf (section, sizeof section, "%.*s",
                  (int) strcspn (entry->path, "/"), entry->path);
        if (entry->level == 0 && !s_known_section (known, entry->name)) {
            s_suggest (known, "", entry->name, false, hint, sizeof hint);
            snprintf (err, errlen, "%s:%d: unknown section '%s'%s", self->file, entry->line,
                      entry->name, hint);
            return -1;
        }
        if (entry->level == 1 && !s_is_known (known, entry->path)) {
            s_suggest (known, section, entry->name, true, hint, sizeof hint);
            snprintf (err, errlen, "%s:%d: unknown key '%s' in section '%s'%s", self->file,
                      entry->line, entry->name, section, hint);
            return -1;
        }
        if (entry->level >= 2) {
            snprintf (err, errlen, "%s:%d: '%s' is nested too deep (sections hold keys,"
                      " keys hold nothing)", self->file, entry->line, entry->name);
            return -1;
        }
        for (size_t j = 0; j < i; j++)
            if (streq (self->entries [j].path, entry->path)) {
                snprintf (err, errlen, "%s:%d: %s is %s twice (first on line %d)",
                          self->file, entry->line, entry->path,
                          entry->level? "set": "opened", self->entries [j].line);
                return -1;
            }
    }
    return 0;
}

void
cfgfile_locate (cfgfile_t *self, char *err, size_t errlen)
{
    assert (err);
    const char *file = self? self->file: "config";
    char path [128];
    size_t len = strcspn (err, " :'\"");
    if (len >= sizeof path)
        len = 0;
    memcpy (path, err, len);
    path [len] = 0;
    int line = strchr (path, '/')? cfgfile_line (self, path): 0;
    char *message = strdup (err);
    if (!message)
        return;
    if (line)
        snprintf (err, errlen, "%s:%d: %s", file, line, message);
    else
        snprintf (err, errlen, "%s: %s", file, message);
    free (message);
}
