/*  users — person accounts: one line per person, "name:role:hash", the hash
    an Argon2id string from libsodium's crypto_pwhash_str. The file is
    written 0600 through a temporary file and rename, so a crash never
    leaves half a file. Also the role rules (who may be what, do what).   */
#include "web.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_USERS 512

static const char *s_roles [] = { "duty_operator", "coordinator", "team", "admin", NULL };

bool
web_role_known (const char *role)
{
    for (int i = 0; s_roles [i]; i++)
        if (strcmp (role, s_roles [i]) == 0)
            return true;
    return false;
}

bool
web_role_within (const char *node_role, const char *person_role)
{
    if (!web_role_known (node_role) || !web_role_known (person_role))
        return false;
    if (strcmp (node_role, person_role) == 0)
        return true;
    //  A coordinator node serves the agency's case workers too.
    return strcmp (node_role, "coordinator") == 0
        && (strcmp (person_role, "duty_operator") == 0 || strcmp (person_role, "team") == 0);
}

//  Actions and the roles that may take them. Reading (inbox, live, my
//  messages, case) is open to every case worker; admin reads alerts only.
static const struct { const char *action; const char *roles; } s_may [] = {
    { "concern",    "duty_operator coordinator team" },
    { "discussion", "coordinator team" },
    { "risk",       "coordinator" },
    { "consent",    "coordinator" },
    { "weekly",     "coordinator" },
    { "read",       "duty_operator coordinator team admin" },
    { "admin",      "admin" },
    { "plan",       "coordinator" },
    { "plan_read",  "duty_operator coordinator team" },
    { NULL, NULL }
};

bool
web_role_may (const char *role, const char *action)
{
    if (!web_role_known (role))
        return false;
    for (int i = 0; s_may [i].action; i++)
        if (strcmp (s_may [i].action, action) == 0) {
            const char *p = strstr (s_may [i].roles, role);
            size_t n = strlen (role);
            while (p) {
                if ((p == s_may [i].roles || p [-1] == ' ') && (p [n] == ' ' || p [n] == 0))
                    return true;
                p = strstr (p + 1, role);
            }
            return false;
        }
    return false;
}

bool
web_name_valid (const char *name)
{
    size_t len = name? strlen (name): 0;
    if (len == 0 || len > WEB_NAME_MAX)
        return false;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char) name [i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
        ||  c == '.' || c == '_' || c == '-'))
            return false;
    }
    return true;
}

//  Reads every well-formed line; a malformed one fails the whole read
//  (fail closed: a damaged file logs nobody in and is not rewritten).
static int
s_load (const char *path, web_user_t *list, size_t *count)
{
    *count = 0;
    FILE *f = fopen (path, "r");
    if (!f)
        return errno == ENOENT? 0: -1;
    char line [512];
    int rc = 0;
    while (fgets (line, sizeof line, f)) {
        line [strcspn (line, "\r\n")] = 0;
        if (!*line || *line == '#')
            continue;
        char *role = strchr (line, ':');
        char *hash = role? strchr (role + 1, ':'): NULL;
        if (!hash || *count >= MAX_USERS) {
            rc = -1;
            break;
        }
        *role++ = 0;
        *hash++ = 0;
        web_user_t *u = &list [*count];
        if (!web_name_valid (line) || !web_role_known (role)
        ||  strlen (hash) >= sizeof u->hash) {
            rc = -1;
            break;
        }
        memcpy (u->name, line, strlen (line) + 1);      //  lengths checked above
        memcpy (u->role, role, strlen (role) + 1);
        memcpy (u->hash, hash, strlen (hash) + 1);
        (*count)++;
    }
    if (ferror (f))
        rc = -1;
    fclose (f);
    return rc;
}

static int
s_save (const char *path, const web_user_t *list, size_t count)
{
    char tmp [1100];
    snprintf (tmp, sizeof tmp, "%s.tmp", path);
    mode_t old = umask (077);
    FILE *f = fopen (tmp, "w");
    umask (old);
    if (!f)
        return -1;
    int rc = fchmod (fileno (f), 0600);
    for (size_t i = 0; rc == 0 && i < count; i++)
        if (fprintf (f, "%s:%s:%s\n", list [i].name, list [i].role, list [i].hash) < 0)
            rc = -1;
    if (fflush (f) || fsync (fileno (f)))
        rc = -1;
    if (fclose (f))
        rc = -1;
    if (rc == 0 && rename (tmp, path))
        rc = -1;
    if (rc)
        unlink (tmp);
    return rc;
}

int
users_find (const char *path, const char *name, web_user_t *user)
{
    web_user_t *list = calloc (MAX_USERS, sizeof *list);
    size_t count;
    if (!list || s_load (path, list, &count)) {
        free (list);
        return -1;
    }
    int found = 0;
    for (size_t i = 0; i < count && !found; i++)
        if (strcmp (list [i].name, name) == 0) {
            *user = list [i];
            found = 1;
        }
    sodium_memzero (list, MAX_USERS * sizeof *list);
    free (list);
    return found;
}

int
users_put (const char *path, const char *name, const char *role, const char *password,
           bool must_exist)
{
    static web_user_t list [MAX_USERS];     //  command line only: one at a time
    size_t count;
    if (s_load (path, list, &count)) {
        fprintf (stderr, "samhand-web: cannot read %s\n", path);
        return -1;
    }
    size_t at = count;
    for (size_t i = 0; i < count; i++)
        if (strcmp (list [i].name, name) == 0)
            at = i;
    if (must_exist && at == count) {
        fprintf (stderr, "samhand-web: no user %s\n", name);
        return -1;
    }
    if (at == count && count >= MAX_USERS) {
        fprintf (stderr, "samhand-web: too many users\n");
        return -1;
    }
    web_user_t u = at < count? list [at]: (web_user_t) { .name = "" };
    snprintf (u.name, sizeof u.name, "%s", name);
    if (role)
        snprintf (u.role, sizeof u.role, "%s", role);
    if (crypto_pwhash_str (u.hash, password, strlen (password),
                           crypto_pwhash_OPSLIMIT_INTERACTIVE,
                           crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0) {
        fprintf (stderr, "samhand-web: out of memory hashing the password\n");
        return -1;
    }
    list [at] = u;
    if (at == count)
        count++;
    if (s_save (path, list, count)) {
        fprintf (stderr, "samhand-web: cannot write %s: %s\n", path, strerror (errno));
        return -1;
    }
    return 0;
}

int
users_delete (const char *path, const char *name)
{
    static web_user_t list [MAX_USERS];     //  command line only: one at a time
    size_t count;
    if (s_load (path, list, &count))
        return -1;
    for (size_t i = 0; i < count; i++)
        if (strcmp (list [i].name, name) == 0) {
            memmove (&list [i], &list [i + 1], (count - i - 1) * sizeof *list);
            return s_save (path, list, count - 1);
        }
    return 1;
}

bool
users_check (const web_user_t *user, const char *password)
{
    return crypto_pwhash_str_verify (user->hash, password, strlen (password)) == 0;
}
