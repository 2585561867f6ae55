/*  sessions — who is logged in, with a CSRF token each, ended after an idle
    period; and the growing delay after failed logins. All in memory: a
    restart logs everyone out, which is the safe direction.              */
#include "web.h"
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define THROTTLE_SLOTS 256
#define THROTTLE_MAX_MS 60000

static pthread_mutex_t s_lock = PTHREAD_MUTEX_INITIALIZER;
static web_session_t s_sessions [WEB_MAX_SESSIONS];
static int s_idle_ms = 15 * 60 * 1000;

typedef struct {
    char key [WEB_NAME_MAX + 1];
    int failures;
    int64_t until_ms;
    int64_t last_ms;
} throttle_t;
static throttle_t s_throttle [THROTTLE_SLOTS];

int64_t
web_now_ms (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_REALTIME, &ts);
    return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

bool
web_token_equal (const char *a, const char *b)
{
    size_t n = strlen (a);
    return n == WEB_TOKEN_HEX - 1 && strlen (b) == n && sodium_memcmp (a, b, n) == 0;
}

static void
s_token (char out [WEB_TOKEN_HEX])
{
    uint8_t raw [32];
    randombytes_buf (raw, sizeof raw);
    sodium_bin2hex (out, WEB_TOKEN_HEX, raw, sizeof raw);
}

void
sessions_init (int idle_seconds)
{
    pthread_mutex_lock (&s_lock);
    s_idle_ms = idle_seconds * 1000;
    memset (s_sessions, 0, sizeof s_sessions);
    pthread_mutex_unlock (&s_lock);
}

int
sessions_idle_seconds (void)
{
    return s_idle_ms / 1000;
}

void
sessions_proof (const char *hash, char proof [WEB_PROOF_HEX])
{
    uint8_t digest [8];
    crypto_generichash (digest, sizeof digest, (const uint8_t *) hash, strlen (hash), NULL, 0);
    sodium_bin2hex (proof, WEB_PROOF_HEX, digest, sizeof digest);
}

int
sessions_create (const char *user, const char *role, const char *proof, web_session_t *out)
{
    int64_t now = web_now_ms ();
    int rc = -1;
    pthread_mutex_lock (&s_lock);
    for (int i = 0; i < WEB_MAX_SESSIONS; i++) {
        web_session_t *s = &s_sessions [i];
        if (s->sid [0] && now - s->last_ms > s_idle_ms)
            memset (s, 0, sizeof *s);
        if (!s->sid [0] && rc) {
            s_token (s->sid);
            s_token (s->csrf);
            snprintf (s->user, sizeof s->user, "%s", user);
            snprintf (s->role, sizeof s->role, "%s", role);
            snprintf (s->proof, sizeof s->proof, "%s", proof);
            s->last_ms = now;
            *out = *s;
            rc = 0;
        }
    }
    pthread_mutex_unlock (&s_lock);
    return rc;
}

int
sessions_get (const char *sid, bool touch, web_session_t *out)
{
    if (!sid || strlen (sid) != WEB_TOKEN_HEX - 1)
        return -1;
    int64_t now = web_now_ms ();
    int rc = -1;
    pthread_mutex_lock (&s_lock);
    for (int i = 0; i < WEB_MAX_SESSIONS; i++) {
        web_session_t *s = &s_sessions [i];
        if (!s->sid [0] || !web_token_equal (s->sid, sid))
            continue;
        if (now - s->last_ms > s_idle_ms) {
            memset (s, 0, sizeof *s);
            break;
        }
        if (touch)
            s->last_ms = now;
        *out = *s;
        rc = 0;
        break;
    }
    pthread_mutex_unlock (&s_lock);
    return rc;
}

void
sessions_end (const char *sid)
{
    pthread_mutex_lock (&s_lock);
    for (int i = 0; i < WEB_MAX_SESSIONS; i++)
        if (s_sessions [i].sid [0] && web_token_equal (s_sessions [i].sid, sid))
            memset (&s_sessions [i], 0, sizeof s_sessions [i]);
    pthread_mutex_unlock (&s_lock);
}

//  Names that find every slot still waiting share this one.
static throttle_t s_overflow;

//  The slot for KEY, or the least recently used one not waiting (taken
//  over). A slot whose delay still runs is never taken over: 256 logins
//  with made-up names evicted a person's slot, and with it the delay
//  after failures against her name, so guessing went on at full speed.
//  When every slot waits, KEY shares the overflow slot (fail closed).
static throttle_t *
s_slot (const char *key, int64_t now)
{
    throttle_t *oldest = NULL;
    for (int i = 0; i < THROTTLE_SLOTS; i++) {
        throttle_t *t = &s_throttle [i];
        if (strcmp (t->key, key) == 0)
            return t;
        if (t->until_ms <= now && (!oldest || t->last_ms < oldest->last_ms))
            oldest = t;
    }
    if (!oldest)
        return &s_overflow;
    memset (oldest, 0, sizeof *oldest);
    snprintf (oldest->key, sizeof oldest->key, "%s", key);
    return oldest;
}

int64_t
throttle_wait_ms (const char *key)
{
    int64_t now = web_now_ms ();
    pthread_mutex_lock (&s_lock);
    throttle_t *t = s_slot (key, now);
    t->last_ms = now;
    int64_t wait = t->until_ms > now? t->until_ms - now: 0;
    pthread_mutex_unlock (&s_lock);
    return wait;
}

void
throttle_failed (const char *key)
{
    int64_t now = web_now_ms ();
    pthread_mutex_lock (&s_lock);
    throttle_t *t = s_slot (key, now);
    if (t->failures < 30)
        t->failures++;
    int64_t wait = 1000;
    for (int i = 1; i < t->failures && wait < THROTTLE_MAX_MS; i++)
        wait *= 2;
    if (wait > THROTTLE_MAX_MS)
        wait = THROTTLE_MAX_MS;
    t->until_ms = now + wait;
    t->last_ms = now;
    pthread_mutex_unlock (&s_lock);
}

void
throttle_clear (const char *key)
{
    pthread_mutex_lock (&s_lock);
    throttle_t *t = s_slot (key, web_now_ms ());
    //  A success through the shared slot clears nobody else's delay.
    if (t != &s_overflow) {
        t->failures = 0;
        t->until_ms = 0;
    }
    pthread_mutex_unlock (&s_lock);
}
