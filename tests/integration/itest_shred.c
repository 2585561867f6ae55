/*  itest_shred — crypto-shredding end to end, on sqlite and PostgreSQL:
    content is sealed under the key of the week its retention ends; once
    that week is over and the purge ran, the week's key file is destroyed
    (audited), the ciphertext read straight from the database no longer
    opens even with the broker's own keys directory ("shredded", not
    damage), the store's bytes hold no invented plaintext, the broker
    restarts and --verify-audit passes; a key file that cannot be unlinked
    is logged and retried and never stops the broker's work.

    The test broker (build/samhandd-fault) lets the test move its clock a
    week ahead in an instant, and fail unlink() on demand (tests/fault/
    testhooks.c). Linked with libsamhandd for crypto.h and keys.h, to open
    the ciphertext as the broker would. Every person here is invented.   */
#include "harness.h"
#include "testlib.h"
#include "crypto.h"
#include "keys.h"
#include <dirent.h>

#define TEXT "Invented: Testa Testesen forteller om trusler fra tidligere samboer, shredmerke-7Q"
#define MARK "shredmerke-7Q"
#define HOUR_MS (3600 * 1000LL)
#define DECIDER "Hedda Oppdiktet-Beslutter"

typedef struct {
    harness_t *h;
    char clock_file [400];
    char unlink_file [400];
    int64_t offset;
} fx_t;

static void
s_write_file (const char *path, const char *text)
{
    FILE *f = fopen (path, "w");
    if (f) {
        fputs (text, f);
        fclose (f);
    }
}

//  Moves the broker's clock to AT (unix ms).
static void
s_clock_to (fx_t *fx, int64_t at)
{
    char text [32];
    fx->offset = at - zclock_time ();
    snprintf (text, sizeof text, "%lld\n", (long long) fx->offset);
    s_write_file (fx->clock_file, text);
}

static char *
s_key_path (fx_t *fx, int64_t period)
{
    return zsys_sprintf ("%s/keys/period-key-%lld.key", fx->h->dir, (long long) period);
}

static bool
s_exists (const char *path)
{
    return access (path, F_OK) == 0;
}

//  Waits up to TIMEOUT_MS for PATH to exist (want true) or be gone.
static bool
s_wait_file (const char *path, bool want, int timeout_ms)
{
    int64_t deadline = zclock_mono () + timeout_ms;
    while (s_exists (path) != want && zclock_mono () < deadline)
        zclock_sleep (100);
    return s_exists (path) == want;
}

//  The oldest period whose key still exists: the N of the oldest
//  keys/period-key-N.key (the one seed file; later weeks derive from it).
static int64_t
s_oldest_period (fx_t *fx)
{
    char *path = zsys_sprintf ("%s/keys", fx->h->dir);
    DIR *dir = path? opendir (path): NULL;
    zstr_free (&path);
    int64_t oldest = -1;
    struct dirent *entry;
    while (dir && (entry = readdir (dir))) {
        long long n = -1;
        if (sscanf (entry->d_name, "period-key-%lld.key", &n) == 1 && n >= 0
        &&  (oldest < 0 || n < oldest))
            oldest = n;
    }
    if (dir)
        closedir (dir);
    return oldest;
}

//  Waits up to TIMEOUT_MS until every key up to PERIOD is destroyed.
static bool
s_wait_shredded (fx_t *fx, int64_t period, int timeout_ms)
{
    int64_t deadline = zclock_mono () + timeout_ms;
    while (s_oldest_period (fx) <= period && zclock_mono () < deadline)
        zclock_sleep (100);
    return s_oldest_period (fx) > period;
}

static bool
s_log_has (fx_t *fx, const char *needle)
{
    char *path = zsys_sprintf ("%s/samhandd.log", fx->h->dir);
    FILE *f = path? fopen (path, "r"): NULL;
    zstr_free (&path);
    if (!f)
        return false;
    char line [1024];
    bool found = false;
    while (!found && fgets (line, sizeof line, f))
        found = strstr (line, needle) != NULL;
    fclose (f);
    return found;
}

static bool
s_wait_log (fx_t *fx, const char *needle, int timeout_ms)
{
    int64_t deadline = zclock_mono () + timeout_ms;
    while (!s_log_has (fx, needle) && zclock_mono () < deadline)
        zclock_sleep (100);
    return s_log_has (fx, needle);
}

static Samhand__V1__Frame *
s_submit (hclient_t *c, const char *text, uint8_t id [16])
{
    Samhand__V1__Submit submit;
    Samhand__V1__ConcernReport concern;
    Samhand__V1__Subject subject;
    harness_concern (&submit, &concern, &subject, text);
    harness_new_id (&submit, id);
    return hclient_submit (c, &submit, 5000);
}

static void
s_collect (const char *value, void *arg)
{
    char **out = (char **) arg;
    if (!*out && value)
        *out = strdup (value);
}

//  The sealed payload of the message with this id, read from the
//  database as an inspector would; caller frees. NULL when none.
static uint8_t *
s_payload (fx_t *fx, const uint8_t id [16], size_t *size)
{
    char hex_id [33], sql [300];
    for (int i = 0; i < 16; i++)
        snprintf (hex_id + 2 * i, 3, "%02x", id [i]);
    snprintf (sql, sizeof sql, harness_pg (fx->h)
              ? "SELECT encode (payload, 'hex') FROM messages"
                " WHERE message_id = decode ('%s', 'hex') AND payload IS NOT NULL"
              : "SELECT hex (payload) FROM messages"
                " WHERE message_id = x'%s' AND payload IS NOT NULL", hex_id);
    char *hex = NULL;
    harness_sql_each (fx->h, sql, s_collect, &hex);
    if (!hex)
        return NULL;
    size_t len = strlen (hex) / 2;
    uint8_t *blob = (uint8_t *) malloc (len? len: 1);
    for (size_t i = 0; blob && i < len; i++) {
        unsigned v = 0;
        sscanf (hex + 2 * i, "%2x", &v);
        blob [i] = (uint8_t) v;
    }
    free (hex);
    *size = len;
    return blob;
}

//  Opens BLOB with the broker's keys directory as it is now.
static int
s_open_now (fx_t *fx, const uint8_t id [16], const uint8_t *blob, size_t size, bool *has_mark)
{
    char err [256], dir [400];
    snprintf (dir, sizeof dir, "%s/keys", fx->h->dir);
    keys_t *keys = keys_new (dir, false, err, sizeof err);
    if (!keys)
        return -99;
    uint8_t *plain = NULL;
    size_t plain_size = 0;
    int rc = crypto_open (keys_ring (keys), id, 16, blob, size, &plain, &plain_size);
    *has_mark = rc == 0 && memmem (plain, plain_size, MARK, strlen (MARK)) != NULL;
    free (plain);
    keys_destroy (&keys);
    return rc;
}

static int
s_audit_events (hclient_t *admin, const char *event, char *detail, size_t size)
{
    Samhand__V1__Frame frame = SAMHAND__V1__FRAME__INIT;
    Samhand__V1__AuditQuery q = SAMHAND__V1__AUDIT_QUERY__INIT;
    q.query = "export";
    frame.command_case = SAMHAND__V1__FRAME__COMMAND_AUDIT_QUERY;
    frame.audit_query = &q;
    hclient_send (admin, &frame);
    Samhand__V1__Frame *f = hclient_expect (admin, SAMHAND__V1__FRAME__COMMAND_AUDIT_REPLY, 5000);
    int count = 0;
    for (size_t i = 0; f && i < f->audit_reply->n_entries; i++)
        if (streq (f->audit_reply->entries [i]->event, event)) {
            count++;
            if (detail)
                snprintf (detail, size, "%s", f->audit_reply->entries [i]->detail);
        }
    frame_free (&f);
    return count;
}

//  A concern under the duty to avert: its review record holds the
//  decision-maker and justification sealed (docs/POLICY.md, section 4).
static Samhand__V1__Frame *
s_avert (hclient_t *c)
{
    Samhand__V1__Submit submit;
    Samhand__V1__ConcernReport concern;
    Samhand__V1__Subject subject;
    Samhand__V1__LegalClaim claim = SAMHAND__V1__LEGAL_CLAIM__INIT;
    uint8_t id [16];
    harness_concern (&submit, &concern, &subject, "Invented: truet med kniv i natt.");
    concern.urgency = SAMHAND__V1__URGENCY__ACUTE;
    claim.basis = SAMHAND__V1__BASIS__BASIS_AVERT;
    claim.justification = "Invented: konkret trussel, avverge etter strl. 196";
    claim.decision_maker = DECIDER;
    submit.claim = &claim;
    harness_new_id (&submit, id);
    return hclient_submit (c, &submit, 5000);
}

//  How many review records show the decision-maker, and how many say
//  their claim was shredded.
static void
s_reviews (hclient_t *admin, int *named, int *shredded)
{
    Samhand__V1__Frame frame = SAMHAND__V1__FRAME__INIT;
    Samhand__V1__AuditQuery q = SAMHAND__V1__AUDIT_QUERY__INIT;
    q.query = "reviews";
    frame.command_case = SAMHAND__V1__FRAME__COMMAND_AUDIT_QUERY;
    frame.audit_query = &q;
    hclient_send (admin, &frame);
    Samhand__V1__Frame *f = hclient_expect (admin, SAMHAND__V1__FRAME__COMMAND_AUDIT_REPLY, 5000);
    *named = *shredded = 0;
    for (size_t i = 0; f && i < f->audit_reply->n_entries; i++) {
        *named += strstr (f->audit_reply->entries [i]->detail, DECIDER) != NULL;
        *shredded += strstr (f->audit_reply->entries [i]->detail, "claim shredded") != NULL;
    }
    frame_free (&f);
}

static void
test_shred (fx_t *fx)
{
    harness_t *h = fx->h;
    int64_t start = zclock_time ();
    int64_t first = crypto_period_of (start);
    char *first_key = s_key_path (fx, first);
    CHECK (s_exists (first_key), "shred: the broker starts its period keys at this week's");

    //  A concern nobody is online to receive: it stays live in the store.
    hclient_t *vakt = hclient_new (h, "vakt");
    uint8_t id [16];
    Samhand__V1__Frame *f = s_submit (vakt, TEXT, id);
    CHECK (f && f->submit_result->accepted, "shred: a concern is accepted");
    frame_free (&f);
    size_t size = 0;
    uint8_t *blob = s_payload (fx, id, &size);
    uint32_t key_id = 0;
    int64_t period = crypto_period_of (start + HOUR_MS);      //  retention: 1h
    CHECK (blob && crypto_sealed_key_id (blob, size, &key_id) == 0
        && key_id == crypto_period_key_id (period),
           "shred: its payload is sealed under the key of the week its retention ends");
    bool mark = false;
    CHECK (blob && s_open_now (fx, id, blob, size, &mark) == 0 && mark,
           "shred: before the week is over the broker's keys open it");
    char *key = s_key_path (fx, period);
    f = s_avert (vakt);
    CHECK (f && f->submit_result->accepted, "shred: a disclosure under the duty to avert is accepted");
    frame_free (&f);
    hclient_t *admin = hclient_new (h, "admin");
    int named = 0, shredded = 0;
    s_reviews (admin, &named, &shredded);
    CHECK (named == 1 && shredded == 0, "shred: its review record opens for the admin");

    //  The week is over, the purge runs, the key goes.
    s_clock_to (fx, crypto_period_start_ms (period + 1) + 60 * 1000);
    CHECK (s_wait_shredded (fx, period, 15000) && !s_exists (key),
           "shred: after its week and the purge, the key file is gone");
    CHECK (!s_exists (first_key), "shred: no older week's key is left behind either");
    char *next = s_key_path (fx, period + 1);
    CHECK (s_exists (next), "shred: the next week's key file took its place");
    int rc = blob? s_open_now (fx, id, blob, size, &mark): -1;
    CHECK (rc == CRYPTO_SHREDDED && !mark,
           "shred: the old ciphertext no longer opens with the broker's keys: shredded, not damaged");
    uint8_t *after = s_payload (fx, id, &size);
    CHECK (after == NULL, "shred: the live row holds no payload any more");
    free (after);
    CHECK (harness_store_contains (h, MARK) == 0
        && harness_store_contains (h, "Testa Testesen") == 0,
           "shred: the store's bytes on disk hold no invented plaintext");

    s_reviews (admin, &named, &shredded);
    CHECK (named == 0 && shredded == 1,
           "shred: the review record stays in the chain, its sealed claim shredded (said so)");
    char detail [200] = "";
    int destroyed = s_audit_events (admin, "data_key_destroyed", detail, sizeof detail);
    CHECK (destroyed >= 1 && strstr (detail, "period ") && strstr (detail, "UTC"),
           "shred: the destruction is audited with its period and no personal data");
    CHECK (!strstr (detail, "Testesen") && !strstr (detail, MARK), "shred: (the detail names no one)");
    printf ("# %s\n", detail);
    hclient_destroy (&admin);
    hclient_destroy (&vakt);

    //  A restart after shredding, and the audit chain.
    CHECK (harness_stop (h, SIGTERM) == 0, "shred: clean stop");
    CHECK (harness_start (h) == 0, "shred: the broker restarts after a shred");
    vakt = hclient_new (h, "vakt");
    uint8_t id2 [16];
    f = s_submit (vakt, "Invented: oppfølging av Kari Oppdiktet etter samtale", id2);
    CHECK (f && f->submit_result->accepted, "shred: and takes new content");
    frame_free (&f);
    hclient_destroy (&vakt);
    char cmd [700];
    snprintf (cmd, sizeof cmd, "%s/samhandd --verify-audit -c %s 2>&1", harness_build (), h->config);
    int status = -1;
    char *out = harness_run (cmd, &status);
    CHECK (status == 0 && out && strstr (out, "intact"), "shred: --verify-audit passes after shredding");
    free (out);
    free (blob);
    zstr_free (&first_key);
    zstr_free (&key);
    zstr_free (&next);
}

//  The key file cannot be unlinked: logged, tried again, and the broker
//  keeps working; once unlink works again the file goes (also across a
//  restart while it waits).
static void
test_unlink_fails (fx_t *fx)
{
    harness_t *h = fx->h;
    int64_t now = zclock_time () + fx->offset;
    hclient_t *vakt = hclient_new (h, "vakt");
    uint8_t id [16];
    Samhand__V1__Frame *f = s_submit (vakt, "Invented: Testa Testesen, ny bekymring", id);
    CHECK (f && f->submit_result->accepted, "unlink: a concern is accepted");
    frame_free (&f);
    int64_t period = crypto_period_of (now + HOUR_MS);
    char *key = s_key_path (fx, period);
    CHECK (s_exists (key), "unlink: its week's key file exists");
    s_write_file (fx->unlink_file, "period-key-\n");
    s_clock_to (fx, crypto_period_start_ms (period + 1) + 60 * 1000);
    CHECK (s_wait_log (fx, "cannot destroy", 15000), "unlink: the failed deletion is logged");
    CHECK (s_exists (key), "unlink: the key file is still there");
    uint8_t id2 [16];
    f = s_submit (vakt, "Invented: Kari Oppdiktet, melding under feilen", id2);
    CHECK (f && f->submit_result->accepted, "unlink: the broker keeps accepting work meanwhile");
    frame_free (&f);
    hclient_destroy (&vakt);
    CHECK (harness_stop (h, SIGTERM) == 0, "unlink: clean stop while the file waits");
    CHECK (harness_start (h) == 0, "unlink: the broker restarts with the passed key still on disk");
    s_write_file (fx->unlink_file, "");
    CHECK (s_wait_file (key, false, 15000), "unlink: once unlink works the key file is destroyed");
    size_t size = 0;
    uint8_t *blob = s_payload (fx, id2, &size);
    bool mark = false;
    CHECK (blob && s_open_now (fx, id2, blob, size, &mark) == 0,
           "unlink: content of later weeks still opens");
    free (blob);
    zstr_free (&key);
    hclient_t *admin = hclient_new (h, "admin");
    CHECK (s_audit_events (admin, "data_key_destroyed", NULL, 0) >= 2,
           "unlink: each destroyed week is audited once decided");
    hclient_destroy (&admin);
    CHECK (harness_stop (h, SIGTERM) == 0, "unlink: clean stop");
}

//  Replaces FROM by TO in the config file, and has the broker reload it.
static void
s_reconfigure (fx_t *fx, const char *from, const char *to)
{
    FILE *f = fopen (fx->h->config, "r");
    char text [8192];
    size_t n = f? fread (text, 1, sizeof text - 1, f): 0;
    if (f)
        fclose (f);
    text [n] = 0;
    char *at = strstr (text, from);
    f = at? fopen (fx->h->config, "w"): NULL;
    if (f) {
        fprintf (f, "%.*s%s%s", (int) (at - text), text, to, at + strlen (from));
        fclose (f);
    }
    kill (fx->h->pid, SIGHUP);
    zclock_sleep (700);
}

//  A retention lengthened after content was sealed: at the end of its old
//  week the content is moved (re-sealed) under the week its retention ends
//  in now, and the old week's key goes on time.
static void
test_lengthened (fx_t *fx)
{
    harness_t *h = fx->h;
    CHECK (harness_start (h) == 0, "lengthened: the broker starts");
    int64_t now = zclock_time () + fx->offset;
    hclient_t *vakt = hclient_new (h, "vakt");
    uint8_t id [16];
    Samhand__V1__Frame *f = s_submit (vakt, TEXT, id);
    CHECK (f && f->submit_result->accepted, "lengthened: a concern kept 1h is accepted");
    frame_free (&f);
    hclient_destroy (&vakt);
    int64_t period = crypto_period_of (now + HOUR_MS);
    int64_t later = crypto_period_of (now + 30 * 24 * HOUR_MS);
    char *key = s_key_path (fx, period);
    char *later_key = s_key_path (fx, later);
    s_reconfigure (fx, "concern_report = 1h", "concern_report = 30d");
    s_clock_to (fx, crypto_period_start_ms (period + 1) + 60 * 1000);
    CHECK (s_oldest_period (fx) == period, "lengthened: the week's key is the oldest one left");
    CHECK (s_wait_shredded (fx, period, 15000) && !s_exists (key),
           "lengthened: the old week's key is destroyed on time although the content is kept longer");
    CHECK (s_log_has (fx, "moved from the key of"), "lengthened: the content was re-sealed (logged)");
    size_t size = 0;
    uint8_t *blob = s_payload (fx, id, &size);
    uint32_t key_id = 0;
    bool mark = false;
    CHECK (blob && crypto_sealed_key_id (blob, size, &key_id) == 0
        && key_id == crypto_period_key_id (later)
        && s_open_now (fx, id, blob, size, &mark) == 0 && mark,
           "lengthened: the content is under the week its new retention ends, and readable");
    free (blob);
    s_clock_to (fx, crypto_period_start_ms (later + 1) + 60 * 1000);
    CHECK (s_exists (later_key) || s_oldest_period (fx) < later,
           "lengthened: (that week's key still derives from the seed file)");
    CHECK (s_wait_shredded (fx, later, 30000),
           "lengthened: once purged at its new retention, that week's key goes too");
    blob = s_payload (fx, id, &size);
    CHECK (blob == NULL, "lengthened: and the content is purged");
    free (blob);
    zstr_free (&key);
    zstr_free (&later_key);
    CHECK (harness_stop (h, SIGTERM) == 0, "lengthened: clean stop");
}

static void
s_remove_period_keys (fx_t *fx)
{
    char cmd [600];
    snprintf (cmd, sizeof cmd, "rm -f '%s'/keys/period-key-*.key", fx->h->dir);
    if (system (cmd) != 0)
        fprintf (stderr, "cannot remove the period keys\n");
}

//  A store from before period keys: its content sealed under
//  data-key-1.key. The first start makes the period keys; the old content
//  still opens. Period keys missing after that: the broker refuses.
static void
test_old_store (fx_t *fx)
{
    harness_t *h = fx->h;
    CHECK (harness_start (h) == 0, "old store: the broker starts");
    hclient_t *vakt = hclient_new (h, "vakt");
    uint8_t id [16];
    Samhand__V1__Frame *f = s_submit (vakt, TEXT, id);
    CHECK (f && f->submit_result->accepted, "old store: a concern is accepted");
    frame_free (&f);
    hclient_destroy (&vakt);
    CHECK (harness_stop (h, SIGTERM) == 0, "old store: stopped");
    //  What the older samhandd wrote: the payload under data key 1.
    size_t size = 0;
    uint8_t *blob = s_payload (fx, id, &size);
    char err [256], dir [400];
    snprintf (dir, sizeof dir, "%s/keys", h->dir);
    keys_t *keys = keys_new (dir, false, err, sizeof err);
    uint8_t *plain = NULL, *sealed = NULL;
    size_t plain_size = 0, sealed_size = 0;
    bool made = keys && blob
             && crypto_open (keys_ring (keys), id, 16, blob, size, &plain, &plain_size) == 0
             && crypto_seal (keys_ring (keys), id, 16, plain, plain_size, &sealed, &sealed_size) == 0;
    char *sql = made? (char *) malloc (2 * sealed_size + 200): NULL;
    if (sql) {
        int n = sprintf (sql, harness_pg (h)? "UPDATE messages SET payload = decode ('"
                                            : "UPDATE messages SET payload = x'");
        for (size_t i = 0; i < sealed_size; i++)
            n += sprintf (sql + n, "%02x", sealed [i]);
        n += sprintf (sql + n, harness_pg (h)? "', 'hex') WHERE message_id = decode ('"
                                             : "' WHERE message_id = x'");
        for (int i = 0; i < 16; i++)
            n += sprintf (sql + n, "%02x", id [i]);
        sprintf (sql + n, harness_pg (h)? "', 'hex')": "'");
    }
    CHECK (sql && harness_sql_exec (h, sql) == 0
        && harness_sql_exec (h, "DELETE FROM meta WHERE key IN ('period_keys_from', 'shred_decided')") == 0,
           "old store: its content is under data key 1 and it has no period keys");
    free (sql);
    free (plain);
    free (sealed);
    free (blob);
    keys_destroy (&keys);
    s_remove_period_keys (fx);

    CHECK (harness_start (h) == 0, "old store: the broker starts on it");
    int64_t now = zclock_time () + fx->offset;
    char *key = s_key_path (fx, crypto_period_of (now));
    CHECK (s_exists (key), "old store: and makes its period keys");
    zstr_free (&key);
    hclient_t *police = hclient_new (h, "politi-risk");
    f = hclient_subscribe (police, 3000);
    frame_free (&f);
    f = hclient_expect (police, SAMHAND__V1__FRAME__COMMAND_DELIVER, 5000);
    CHECK (f && f->deliver->concern && f->deliver->concern->case_ref
             && *f->deliver->concern->case_ref,
           "old store: content under the old data key still opens and is delivered");
    frame_free (&f);
    hclient_drain (police, 300);
    hclient_destroy (&police);
    CHECK (harness_stop (h, SIGTERM) == 0, "old store: clean stop");

    s_remove_period_keys (fx);
    CHECK (harness_start (h) != 0, "lost keys: with its period keys gone the broker refuses to start");
    CHECK (s_log_has (fx, "period keys (period-key-N.key) are missing"), "lost keys: and says why");
}

int
main (void)
{
    fx_t fx = { 0 };
    fx.h = harness_new ("retention\n    concern_report = 1h\n    risk_change = 1h\n    alert = 1h\n    consent_notice = 1h\n"
                        "    check_every = 1\n"
                        "audit\n    sign_every = 1\n");
    if (!fx.h)
        return 1;
    snprintf (fx.clock_file, sizeof fx.clock_file, "%s/clock", fx.h->dir);
    snprintf (fx.unlink_file, sizeof fx.unlink_file, "%s/unlink-fail", fx.h->dir);
    s_write_file (fx.clock_file, "0\n");
    s_write_file (fx.unlink_file, "");
    setenv ("SAMHAND_DAEMON", "samhandd-fault", 1);
    setenv ("SAMHAND_CLOCK_FILE", fx.clock_file, 1);
    setenv ("SAMHAND_UNLINK_FAIL_FILE", fx.unlink_file, 1);
    CHECK (harness_start (fx.h) == 0, "the test broker starts");
    test_shred (&fx);
    test_unlink_fails (&fx);
    test_lengthened (&fx);
    test_old_store (&fx);
    harness_destroy (&fx.h);
    return TEST_DONE ();
}
