/*  backup — online backup of the store with the key files. See backup.h.   */
#include "backup.h"
#include <czmq.h>
#include <dirent.h>
#include <fcntl.h>
#include <libgen.h>
#include "store.h"
#include <sys/stat.h>

static int
s_fsync_path (const char *path, bool directory)
{
    int fd = open (path, (directory? O_RDONLY | O_DIRECTORY: O_RDONLY) | O_CLOEXEC);
    int rc = fd >= 0? fsync (fd): -1;
    if (fd >= 0)
        close (fd);
    return rc;
}

//  Copies SRC to DST with SRC's permission bits (never wider than 0644 for
//  public files; a secret stays 0600), fsynced.
static int
s_copy_file (const char *src, const char *dst)
{
    int in = open (src, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (in < 0 || fstat (in, &st) || !S_ISREG (st.st_mode)) {
        fprintf (stderr, "samhandd: backup: cannot read %s: %s\n", src, strerror (errno));
        if (in >= 0)
            close (in);
        return -1;
    }
    int out = open (dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
    int rc = out >= 0? 0: -1;
    char buf [65536];
    ssize_t n = 0;
    while (rc == 0 && (n = read (in, buf, sizeof buf)) > 0)
        if (write (out, buf, (size_t) n) != n)
            rc = -1;
    if (n < 0)
        rc = -1;
    if (rc == 0 && (fchmod (out, st.st_mode & 0644)
                    || fsync (out)))
        rc = -1;
    if (rc)
        fprintf (stderr, "samhandd: backup: cannot write %s: %s\n", dst, strerror (errno));
    close (in);
    if (out >= 0)
        close (out);
    return rc;
}

//  Copies every regular file of folder SRC into a new folder DST (MODE).
static int
s_copy_folder (const char *src, const char *dst, mode_t mode, bool missing_ok)
{
    DIR *folder = opendir (src);
    if (!folder) {
        if (missing_ok && errno == ENOENT)
            return 0;
        fprintf (stderr, "samhandd: backup: cannot read folder %s: %s\n", src, strerror (errno));
        return -1;
    }
    int rc = mkdir (dst, mode) == 0 && chmod (dst, mode) == 0? 0: -1;
    for (struct dirent *entry = readdir (folder); entry && rc == 0; entry = readdir (folder)) {
        if (*entry->d_name == '.')
            continue;
        char *from = zsys_sprintf ("%s/%s", src, entry->d_name);
        char *to = zsys_sprintf ("%s/%s", dst, entry->d_name);
        struct stat st;
        if (!from || !to)
            rc = -1;
        else
        if (stat (from, &st) == 0 && S_ISREG (st.st_mode))
            rc = s_copy_file (from, to);
        zstr_free (&from);
        zstr_free (&to);
    }
    closedir (folder);
    if (rc == 0)
        rc = s_fsync_path (dst, true);
    return rc;
}

//  The store, through the store's own copy (sqlite's backup API), then
//  made durable.
static int
s_copy_store (const char *src, const char *dst)
{
    if (store_backup_copy (src, dst))
        return -1;
    return s_fsync_path (dst, false);
}

static const char *
s_base (const char *path, char *buf, size_t size)
{
    snprintf (buf, size, "%s", path);
    return basename (buf);
}

//  The previous server certificate (key rotation) and its secret.
static int
s_copy_previous (const config_t *config, const char *dir)
{
    char buf [1024];
    char *to = zsys_sprintf ("%s/%s", dir, s_base (config->previous_cert_path, buf, sizeof buf));
    char *to_secret = zsys_sprintf ("%s_secret", to? to: "");
    char *from_secret = zsys_sprintf ("%s_secret", config->previous_cert_path);
    int rc = to && to_secret && from_secret? 0: -1;
    if (rc == 0)
        rc = s_copy_file (config->previous_cert_path, to);
    if (rc == 0 && access (from_secret, F_OK) == 0)
        rc = s_copy_file (from_secret, to_secret);
    zstr_free (&to);
    zstr_free (&to_secret);
    zstr_free (&from_secret);
    return rc;
}

//  The config, its paths pointing into the backup.
static int
s_write_config (const config_t *config, const char *dir)
{
    zconfig_t *root = zconfig_load (config->path);
    if (!root) {
        fprintf (stderr, "samhandd: backup: cannot read %s\n", config->path);
        return -1;
    }
    char buf [1024];
    zconfig_put (root, "server/store", s_base (config->store_path, buf, sizeof buf));
    zconfig_put (root, "server/cert", s_base (config->cert_path, buf, sizeof buf));
    zconfig_put (root, "server/keys", "keys");
    if (config->previous_cert_path)
        zconfig_put (root, "server/previous_cert", s_base (config->previous_cert_path, buf,
                                                           sizeof buf));
    zconfig_put (root, "server/enrolled", "enrolled");
    if (zconfig_locate (root, "server/state_dir"))
        zconfig_put (root, "server/state_dir", ".");
    //  The word list is not copied: name it by its absolute path, so the
    //  copy's config works wherever the copy is.
    char *dict = config->names_dict? realpath (config->names_dict, NULL): NULL;
    if (dict)
        zconfig_put (root, "server/names_dict", dict);
    free (dict);
    zconfig_set_comment (root, "samhandd configuration saved by samhandd --backup: paths are"
                         " relative to this folder");
    char *path = zsys_sprintf ("%s/samhandd.cfg", dir);
    int rc = path? zconfig_save (root, path): -1;
    if (rc == 0)
        rc = chmod (path, 0600) || s_fsync_path (path, false)? -1: 0;
    if (rc)
        fprintf (stderr, "samhandd: backup: cannot write %s\n", path? path: dir);
    zstr_free (&path);
    zconfig_destroy (&root);
    return rc;
}

int
backup_run (const config_t *config, const char *dir)
{
    assert (config && dir);
    //  A PostgreSQL store is backed up with PostgreSQL's own tools, which
    //  know its WAL and replicas; the keys folder must be kept with it.
    if (store_path_remote (config->store_path)) {
        fprintf (stderr, "samhandd: backup: the store is PostgreSQL: back it up with pg_dump or"
                 " pgBackRest, and copy the keys folder %s and the certificates with it"
                 " (see samhandd(8), BACKUP)\n", config->keys_dir);
        return 2;
    }
    if (mkdir (dir, 0700)) {
        fprintf (stderr, "samhandd: backup: cannot create %s: %s (it must not exist yet)\n",
                 dir, strerror (errno));
        return 2;
    }
    char buf [1024];
    char *store = zsys_sprintf ("%s/%s", dir, s_base (config->store_path, buf, sizeof buf));
    char *cert = zsys_sprintf ("%s/%s", dir, s_base (config->cert_path, buf, sizeof buf));
    char *cert_secret = zsys_sprintf ("%s_secret", cert? cert: "");
    char *src_secret = zsys_sprintf ("%s_secret", config->cert_path);
    char *keys = zsys_sprintf ("%s/keys", dir);
    char *enrolled = zsys_sprintf ("%s/enrolled", dir);
    int rc = store && cert && cert_secret && src_secret && keys && enrolled? 0: -1;
    //  Keys first: a store copied before its newest data key was would be
    //  unreadable; a key copied before the store is only unused.
    if (rc == 0)
        rc = s_copy_folder (config->keys_dir, keys, 0700, false);
    if (rc == 0)
        rc = s_copy_store (config->store_path, store);
    if (rc == 0)
        rc = s_copy_file (config->cert_path, cert);
    if (rc == 0 && access (src_secret, F_OK) == 0)
        rc = s_copy_file (src_secret, cert_secret);
    //  During a key rotation the previous server certificate too: without
    //  it the copy's config names a file the copy lacks, and a broker
    //  started from the backup refuses to start (the nodes still on the
    //  old key would be shut out even if it did).
    if (rc == 0 && config->previous_cert_path)
        rc = s_copy_previous (config, dir);
    if (rc == 0)
        rc = s_copy_folder (config->enrolled_dir, enrolled, 0755, false);
    if (rc == 0)
        rc = s_write_config (config, dir);
    if (rc == 0)
        rc = s_fsync_path (dir, true);
    if (rc == 0)
        printf ("samhandd: backup of %s in %s (check it: samhandd --verify-audit -c %s/samhandd.cfg)\n",
                config->store_path, dir, dir);
    zstr_free (&store);
    zstr_free (&cert);
    zstr_free (&cert_secret);
    zstr_free (&src_secret);
    zstr_free (&keys);
    zstr_free (&enrolled);
    return rc? 2: 0;
}
