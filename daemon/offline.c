/*  offline — see offline.h.                                                */
#include "offline.h"
#include "audit.h"
#include "keys.h"
#include "store.h"
#include <czmq.h>

static int
s_verify (const uint8_t *msg, size_t len, const uint8_t sig [64], void *arg)
{
    return keys_verify ((keys_t *) arg, msg, len, sig);
}

//  The witnessed head in FILE: 1 found, 0 none, -1 unreadable.
static int
s_read_witness (const char *file, audit_head_t *head)
{
    char *text = NULL;
    zfile_t *f = zfile_new (NULL, file);
    zchunk_t *chunk = f && zfile_input (f) == 0? zfile_read (f, zfile_cursize (f), 0): NULL;
    if (chunk) {
        text = (char *) malloc (zchunk_size (chunk) + 1);
        if (text) {
            memcpy (text, zchunk_data (chunk), zchunk_size (chunk));
            text [zchunk_size (chunk)] = 0;
        }
    }
    zchunk_destroy (&chunk);
    zfile_destroy (&f);
    if (!text)
        return -1;
    int found = audit_head_parse (text, head);
    free (text);
    return found;
}

int
offline_verify_audit (config_t *config, const char *witness_file)
{
    char err [256];
    audit_head_t witness;
    int witnessed = witness_file? s_read_witness (witness_file, &witness): 0;
    if (witnessed < 0) {
        fprintf (stderr, "samhandd: cannot read the witness file %s\n", witness_file);
        return 2;
    }
    if (witness_file && witnessed == 0) {
        fprintf (stderr, "samhandd: %s holds no signed audit head"
                 " (a line \"audit head seq=N hash=... sig=...\")\n", witness_file);
        return 2;
    }
    keys_t *keys = keys_new (config->keys_dir, false, err, sizeof err);
    if (!keys) {
        fprintf (stderr, "samhandd: %s\n", err);
        return 2;
    }
    store_t *store = store_new_reader (config->store_path);
    if (!store) {
        fprintf (stderr, "samhandd: cannot open the store %s\n",
                 store_path_remote (config->store_path)? "(PostgreSQL)": config->store_path);
        keys_destroy (&keys);
        return 2;
    }
    int64_t records = 0;
    char problem [512];
    //  One read transaction: the records and the signed heads from the same
    //  snapshot, even while a running broker appends and signs.
    int rc = -1;
    if (store_snapshot_begin (store))
        snprintf (problem, sizeof problem, "cannot read the store");
    else {
        rc = audit_verify (store, s_verify, keys, &records, problem, sizeof problem);
        if (rc == 0 && witnessed)
            rc = audit_check_witness (store, s_verify, keys, &witness, problem, sizeof problem);
        if (store_snapshot_end (store))
            zsys_warning ("samhandd: ending the read of the store failed");
    }
    if (rc == 0 && witnessed)
        printf ("witnessed signed head at record %" PRId64 " found in the log\n", witness.seq);
    if (rc == 0)
        printf ("audit chain intact: %" PRId64 " records verified\n", records);
    else
        printf ("audit chain BROKEN: %s (%" PRId64 " records verified before it)\n",
                problem, records);
    store_destroy (&store);
    keys_destroy (&keys);
    return rc == 0? 0: 1;
}

int
offline_rotate_key (config_t *config)
{
    char err [256];
    keys_t *keys = keys_new (config->keys_dir, false, err, sizeof err);
    int id = keys? keys_rotate (keys): -1;
    if (id > 0)
        printf ("samhandd: data key %d is now current for new data (after a restart);\n"
                "          stop the broker and run `samhandd --reencrypt -c FILE` to move old data to it\n", id);
    else
        fprintf (stderr, "samhandd: key rotation failed%s%s\n", keys? "": ": ", keys? "": err);
    keys_destroy (&keys);
    return id > 0? 0: 1;
}

typedef struct {
    store_t *store;
    keys_t *keys;
    uint32_t current;
    int64_t last;
    int moved, failed;
} reencrypt_t;

static int
s_reencrypt_one (int64_t message, const uint8_t *message_id, const uint8_t *payload,
                 size_t size, void *arg)
{
    reencrypt_t *r = (reencrypt_t *) arg;
    r->last = message;
    uint32_t key_id = 0;
    //  Content under a period key stays there: moving it to a data key
    //  would take it out of crypto-shredding.
    if (crypto_sealed_key_id (payload, size, &key_id) == 0
    &&  (key_id == r->current || crypto_key_period (key_id) >= 0))
        return 0;
    uint8_t *plain = NULL, *sealed = NULL;
    size_t plain_size = 0, sealed_size = 0;
    crypto_keyring_t *ring = keys_ring (r->keys);
    if (crypto_open (ring, message_id, 16, payload, size, &plain, &plain_size)
    ||  crypto_seal (ring, message_id, 16, plain, plain_size, &sealed, &sealed_size)
    ||  store_set_payload (r->store, message, sealed, sealed_size)) {
        r->failed++;
    }
    else
        r->moved++;
    if (plain) {
        crypto_cleanse (plain, plain_size);
        free (plain);
    }
    free (sealed);
    return 0;
}

int
offline_reencrypt (config_t *config)
{
    char err [256];
    int lock = store_lock (config->store_path);
    if (lock < 0) {
        fprintf (stderr, "samhandd: the store is in use: stop samhandd first\n");
        return 2;
    }
    keys_t *keys = keys_new (config->keys_dir, false, err, sizeof err);
    store_t *store = keys? store_new (config->store_path): NULL;
    if (!keys || !store) {
        fprintf (stderr, "samhandd: %s\n", keys? "cannot open the store": err);
        keys_destroy (&keys);
        store_unlock (lock);
        return 2;
    }
    reencrypt_t r = { store, keys, crypto_keyring_current (keys_ring (keys)), 0, 0, 0 };
    int rc = 0, n;
    do {
        if (store_begin (store)) {
            rc = 1;
            break;
        }
        n = store_each_payload (store, r.last, 1000, s_reencrypt_one, &r);
        if (n < 0 || store_commit (store)) {
            rc = 1;
            break;
        }
    } while (n > 0);
    if (rc == 0 && store_checkpoint (store))
        rc = 1;
    printf ("samhandd: %d payloads re-encrypted under data key %u, %d failed\n",
            r.moved, r.current, r.failed);
    store_destroy (&store);
    keys_destroy (&keys);
    store_unlock (lock);
    return rc || r.failed? 1: 0;
}
