/*  keyfile.h — reading and writing secret key files (the file I/O half of
    the crypto module; crypto.c itself stays pure).

    Key file format: the key as hex (upper or lower case), exactly 2 * len
    characters, optionally followed by one '\n'. Nothing else: no comments,
    no whitespace, so a truncated or padded file is refused rather than
    guessed at. A 32-byte key is 64 hex characters.

    Permissions: a key file must be a regular file owned by the effective
    user with no group or other permission bits (mode & 077 == 0); anything
    else is refused with a message saying what to fix, e.g.
        key file /etc/samhand/keys/data-key-1.key is readable by others
        (mode 0644): run chmod 600 /etc/samhand/keys/data-key-1.key
    Symbolic links are followed, and the file they lead to is what is
    checked (fstat on the opened descriptor, so no check-then-open race).

    Data key directory: data keys live in one directory as files named
    data-key-N.key, N the decimal key id (1..4294967295, no leading zeros).
    Other names are ignored. The highest id is the current key; older keys
    stay so that data sealed with them can still be opened and re-sealed.

    Ownership: keyfile_load writes into the caller's buffer (cleansed on
    failure); keyfile_load_ring returns a keyring the caller destroys.     */
#ifndef SAMHAND_KEYFILE_H
#define SAMHAND_KEYFILE_H
#include <stddef.h>
#include <stdint.h>
#include "crypto.h"

#define KEYFILE_MAX_LEN 64          //  largest key a key file may hold

//  Loads a key of exactly len bytes. 0 on success; -1 with a message in
//  err (if err is not NULL) on a missing, unsafe or malformed file.
int keyfile_load (const char *path, uint8_t *buf, size_t len,
                  char *err, size_t errlen);

//  Checks that PATH is a regular file of the effective user that nobody
//  else may read or write (the same rules as key files), for secrets read
//  by other code, e.g. the broker's server.cert_secret that czmq loads.
//  0, or -1 with a message in err. (The file is opened and fstat'ed, so
//  the check is on the file a symlink leads to.)
int keyfile_check_private (const char *path, char *err, size_t errlen);

//  Creates a new key file, mode 0600 whatever the umask, refusing to
//  overwrite an existing file or follow a symlink; the file and its
//  directory entry are fsynced before it returns 0. -1 with errno set
//  (EEXIST if the file exists), and no file left behind, on failure.
int keyfile_create (const char *path, const uint8_t *buf, size_t len);

//  Destroys a key file: unlinks it, fsyncs the directory, then overwrites
//  its bytes with zeros through a descriptor opened before and fsyncs.
//  0 (also when it is already gone), or -1 with errno set; after a failed
//  unlink the file is whole and the call can be repeated. (On flash or a copy-on-write
//  file system the old blocks may survive the overwrite: the unlink and
//  the key's absence from every copy are what count; see samhandd(8).)
int keyfile_shred (const char *path);

//  Loads every data-key-N.key in dir into a new keyring, current = the
//  highest N. Any unsafe or malformed key file, or none at all, fails the
//  whole load: NULL with a message in err.
crypto_keyring_t *keyfile_load_ring (const char *dir, char *err,
                                     size_t errlen);

//  Rotation: creates data-key-(max+1).key (data-key-1.key in an empty
//  directory) holding 32 fresh random bytes and sets *new_id. -1 with
//  errno set on failure; two racing rotations cannot both create one id.
int keyfile_new_data_key (const char *dir, uint32_t *new_id);

#endif
