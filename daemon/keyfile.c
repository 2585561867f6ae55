/*  keyfile.c — reading and writing secret key files. See keyfile.h.      */
#include "keyfile.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#define DATA_KEY_PREFIX "data-key-"
#define DATA_KEY_SUFFIX ".key"

static void
s_err (char *err, size_t errlen, const char *fmt, ...)
{
    if (!err || errlen == 0)
        return;
    va_list args;
    va_start (args, fmt);
    vsnprintf (err, errlen, fmt, args);
    va_end (args);
}

static int
s_hex_value (char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

//  Reads up to cap bytes, to EOF. Returns the count, or -1.
static ssize_t
s_read_all (int fd, char *buf, size_t cap)
{
    size_t n = 0;
    while (n < cap) {
        ssize_t rc = read (fd, buf + n, cap - n);
        if (rc < 0 && errno == EINTR)
            continue;
        if (rc < 0)
            return -1;
        if (rc == 0)
            break;
        n += (size_t) rc;
    }
    return (ssize_t) n;
}

static int
s_write_all (int fd, const char *buf, size_t len)
{
    while (len > 0) {
        ssize_t rc = write (fd, buf, len);
        if (rc < 0 && errno == EINTR)
            continue;
        if (rc <= 0)
            return -1;
        buf += rc;
        len -= (size_t) rc;
    }
    return 0;
}

//  Says who may do what, for the refusal message.
static void
s_describe_mode (mode_t mode, const char **what, const char **who)
{
    *what = (mode & 044)? "readable": (mode & 022)? "writable": "accessible";
    mode_t bits = (mode & 044)? 044: (mode & 022)? 022: 011;
    *who = ((mode & bits & 070) && (mode & bits & 007))? "group and others"
         : (mode & bits & 070)? "group": "others";
}

//  Opens PATH for reading and checks it is a private regular file of
//  ours. Returns the descriptor, or -1 with the reason in err.
static int
s_open_private (const char *path, const char *label, char *err, size_t errlen)
{
    //  O_NONBLOCK so that a FIFO planted at the path cannot hang us; it
    //  is then refused as not a regular file
    int fd = open (path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0) {
        s_err (err, errlen, "cannot open %s %s: %s",
               label, path, strerror (errno));
        return -1;
    }
    struct stat st;
    if (fstat (fd, &st)) {
        s_err (err, errlen, "cannot stat %s %s: %s",
               label, path, strerror (errno));
        close (fd);
        return -1;
    }
    if (!S_ISREG (st.st_mode)) {
        s_err (err, errlen, "%s %s is not a regular file", label, path);
        close (fd);
        return -1;
    }
    if (st.st_uid != geteuid ()) {
        s_err (err, errlen,
               "%s %s is owned by uid %u, not by the current user "
               "(uid %u)", label, path, (unsigned) st.st_uid, (unsigned) geteuid ());
        close (fd);
        return -1;
    }
    if (st.st_mode & 077) {
        const char *what, *who;
        s_describe_mode (st.st_mode, &what, &who);
        s_err (err, errlen, "%s %s is %s by %s (mode %04o): "
               "run chmod 600 %s", label, path, what, who,
               (unsigned) (st.st_mode & 07777), path);
        close (fd);
        return -1;
    }
    return fd;
}

int
keyfile_check_private (const char *path, char *err, size_t errlen)
{
    if (!path) {
        s_err (err, errlen, "invalid secret file request");
        return -1;
    }
    int fd = s_open_private (path, "secret file", err, errlen);
    if (fd < 0)
        return -1;
    close (fd);
    return 0;
}

int
keyfile_load (const char *path, uint8_t *buf, size_t len,
              char *err, size_t errlen)
{
    if (!path || !buf || len == 0 || len > KEYFILE_MAX_LEN) {
        s_err (err, errlen, "invalid key file request");
        return -1;
    }
    int fd = s_open_private (path, "key file", err, errlen);
    if (fd < 0)
        return -1;
    //  One byte more than the longest valid file, to see an overlong one
    char text [2 * KEYFILE_MAX_LEN + 2];
    ssize_t n = s_read_all (fd, text, sizeof text);
    int saved = errno;
    close (fd);
    if (n < 0) {
        s_err (err, errlen, "cannot read key file %s: %s",
               path, strerror (saved));
        return -1;
    }
    size_t hex_len = 2 * len;
    bool size_ok = (size_t) n == hex_len
                || ((size_t) n == hex_len + 1 && text [hex_len] == '\n');
    int rc = 0;
    if (!size_ok) {
        s_err (err, errlen, "key file %s has the wrong length: expected %zu "
               "hex characters (a %zu-byte key) and an optional newline",
               path, hex_len, len);
        rc = -1;
    }
    for (size_t i = 0; rc == 0 && i < len; i++) {
        int hi = s_hex_value (text [2 * i]);
        int lo = s_hex_value (text [2 * i + 1]);
        if (hi < 0 || lo < 0) {
            s_err (err, errlen, "key file %s is not hexadecimal", path);
            rc = -1;
        }
        else
            buf [i] = (uint8_t) (hi << 4 | lo);
    }
    crypto_cleanse (text, sizeof text);
    if (rc)
        crypto_cleanse (buf, len);
    return rc;
}

//  Makes the new directory entry durable: without this a crash can lose
//  a freshly rotated key while data sealed under it survives.
static int
s_sync_parent (const char *path)
{
    char dir [PATH_MAX];
    const char *slash = strrchr (path, '/');
    if (!slash)
        strcpy (dir, ".");
    else
    if (slash == path)
        strcpy (dir, "/");
    else {
        size_t len = (size_t) (slash - path);
        if (len >= sizeof dir) {
            errno = ENAMETOOLONG;
            return -1;
        }
        memcpy (dir, path, len);
        dir [len] = 0;
    }
    int fd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    int rc = fsync (fd);
    int saved = errno;
    close (fd);
    errno = saved;
    return rc;
}

int
keyfile_create (const char *path, const uint8_t *buf, size_t len)
{
    if (!path || !buf || len == 0 || len > KEYFILE_MAX_LEN) {
        errno = EINVAL;
        return -1;
    }
    static const char digits [] = "0123456789abcdef";
    char text [2 * KEYFILE_MAX_LEN + 1];
    for (size_t i = 0; i < len; i++) {
        text [2 * i] = digits [buf [i] >> 4];
        text [2 * i + 1] = digits [buf [i] & 15];
    }
    text [2 * len] = '\n';

    int fd = open (path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW,
                   0600);
    if (fd < 0) {
        crypto_cleanse (text, sizeof text);
        return -1;
    }
    //  The umask can only take bits away, but be exact rather than hopeful
    int rc = fchmod (fd, 0600) || s_write_all (fd, text, 2 * len + 1)
          || fsync (fd)? -1: 0;
    int saved = errno;
    crypto_cleanse (text, sizeof text);
    if (close (fd) && rc == 0) {
        rc = -1;
        saved = errno;
    }
    if (rc == 0 && s_sync_parent (path)) {
        rc = -1;
        saved = errno;
    }
    if (rc) {
        unlink (path);
        errno = saved;
    }
    return rc;
}

int
keyfile_shred (const char *path)
{
    if (!path) {
        errno = EINVAL;
        return -1;
    }
    int fd = open (path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return errno == ENOENT? 0: -1;
    //  Unlinked first, overwritten through the descriptor after: a failed
    //  unlink leaves the key whole (to be tried again), never a zeroed
    //  file that the next start could not load.
    struct stat st;
    char zeros [2 * KEYFILE_MAX_LEN + 1] = { 0 };
    int rc = fstat (fd, &st) || !S_ISREG (st.st_mode)
          || st.st_size > (off_t) sizeof zeros || unlink (path) || s_sync_parent (path)? -1: 0;
    int saved = errno;
    if (rc == 0 && (s_write_all (fd, zeros, (size_t) st.st_size) || fsync (fd))) {
        rc = -1;
        saved = errno;
    }
    if (close (fd) && rc == 0) {
        rc = -1;
        saved = errno;
    }
    errno = saved;
    return rc;
}

//  "data-key-N.key" with N decimal, 1..UINT32_MAX, no leading zero, so
//  that every id has exactly one file name.
static int
s_parse_name (const char *name, uint32_t *id)
{
    size_t plen = strlen (DATA_KEY_PREFIX), slen = strlen (DATA_KEY_SUFFIX);
    size_t len = strlen (name);
    if (len <= plen + slen || strncmp (name, DATA_KEY_PREFIX, plen)
    ||  strcmp (name + len - slen, DATA_KEY_SUFFIX))
        return -1;
    const char *digits = name + plen;
    size_t ndigits = len - plen - slen;
    if (ndigits > 10 || digits [0] == '0')
        return -1;
    uint64_t value = 0;
    for (size_t i = 0; i < ndigits; i++) {
        if (digits [i] < '0' || digits [i] > '9')
            return -1;
        value = value * 10 + (uint64_t) (digits [i] - '0');
    }
    if (value == 0 || value > UINT32_MAX)
        return -1;
    *id = (uint32_t) value;
    return 0;
}

static int
s_key_path (char *path, size_t cap, const char *dir, uint32_t id)
{
    int n = snprintf (path, cap, "%s/" DATA_KEY_PREFIX "%u" DATA_KEY_SUFFIX,
                      dir, (unsigned) id);
    if (n < 0 || (size_t) n >= cap) {
        errno = ENAMETOOLONG;
        return -1;
    }
    return 0;
}

crypto_keyring_t *
keyfile_load_ring (const char *dir, char *err, size_t errlen)
{
    if (!dir) {
        s_err (err, errlen, "no key directory given");
        return NULL;
    }
    DIR *handle = opendir (dir);
    if (!handle) {
        s_err (err, errlen, "cannot open key directory %s: %s",
               dir, strerror (errno));
        return NULL;
    }
    crypto_keyring_t *ring = crypto_keyring_new ();
    if (!ring) {
        s_err (err, errlen, "out of memory");
        closedir (handle);
        return NULL;
    }
    bool ok = true;
    errno = 0;
    struct dirent *entry;
    while (ok && (entry = readdir (handle))) {
        uint32_t id;
        if (s_parse_name (entry->d_name, &id))
            continue;
        char path [PATH_MAX];
        uint8_t key [CRYPTO_KEY_LEN];
        if (s_key_path (path, sizeof path, dir, id)) {
            s_err (err, errlen, "key directory path %s is too long", dir);
            ok = false;
        }
        else
        if (keyfile_load (path, key, sizeof key, err, errlen))
            ok = false;
        else
        if (crypto_keyring_add (ring, id, key)) {
            s_err (err, errlen, "too many data keys in %s (at most %d): "
                   "re-seal old data and retire old keys", dir,
                   CRYPTO_KEYRING_MAX);
            ok = false;
        }
        crypto_cleanse (key, sizeof key);
        errno = 0;
    }
    if (ok && errno) {
        s_err (err, errlen, "cannot read key directory %s: %s",
               dir, strerror (errno));
        ok = false;
    }
    closedir (handle);
    if (ok && crypto_keyring_size (ring) == 0) {
        s_err (err, errlen, "no data keys (data-key-N.key) in %s", dir);
        ok = false;
    }
    if (!ok)
        crypto_keyring_destroy (&ring);
    return ring;
}

int
keyfile_new_data_key (const char *dir, uint32_t *new_id)
{
    if (!dir || !new_id) {
        errno = EINVAL;
        return -1;
    }
    DIR *handle = opendir (dir);
    if (!handle)
        return -1;
    uint32_t max = 0;
    errno = 0;
    struct dirent *entry;
    while ((entry = readdir (handle))) {
        uint32_t id;
        if (s_parse_name (entry->d_name, &id) == 0 && id > max)
            max = id;
    }
    int saved = errno;
    closedir (handle);
    if (saved) {
        errno = saved;
        return -1;
    }
    if (max == UINT32_MAX) {
        errno = EOVERFLOW;
        return -1;
    }
    char path [PATH_MAX];
    uint8_t key [CRYPTO_KEY_LEN];
    int rc = s_key_path (path, sizeof path, dir, max + 1)
          || crypto_random (key, sizeof key)
          || keyfile_create (path, key, sizeof key)? -1: 0;
    saved = errno;
    crypto_cleanse (key, sizeof key);
    if (rc == 0)
        *new_id = max + 1;
    errno = saved;
    return rc;
}
