/*  http — libmicrohttpd glue. One thread per connection, so an event
    stream may wait for the next delivery. Every response carries the
    security headers; pages and API answers (personal data) are never
    cached. Pages other than the login need a session; some need a role.
    A POST needs the session's CSRF token in X-CSRF-Token (the login is the
    exception: it has no session yet, and is throttled instead), and a POST
    whose Origin header names another site is refused (login CSRF).      */
#include "web.h"
#include <microhttpd.h>
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define CSP "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; " \
            "connect-src 'self'; font-src 'self'; manifest-src 'self'; base-uri 'none'; " \
            "form-action 'self'; frame-ancestors 'none'"

static const web_server_config_t *s_config;
static bool s_tls;
//  The cookie is named after the port: browsers share cookies between
//  ports of one host, and an agency may run several nodes' clients there.
static char s_cookie [32];
static char s_dummy_hash [crypto_pwhash_STRBYTES];
//  One password check at a time: each Argon2id check takes 64 MiB, and
//  the server runs a thread per connection (up to 128), so parallel
//  logins with made-up names (no session needed) took 64 MiB each: 12 at
//  once peaked at 730 MB, 128 would be 8 GiB and the OOM killer. Queued,
//  a login waits its turn; memory stays at one check.
static pthread_mutex_t s_pwhash_lock = PTHREAD_MUTEX_INITIALIZER;

typedef struct {
    char *body;
    size_t len;
    bool too_large;
} request_t;

void
web_log (const char *format, ...)
{
    char line [400];
    va_list args;
    va_start (args, format);
    vsnprintf (line, sizeof line, format, args);
    va_end (args);
    fprintf (stderr, "samhand-web: %s\n", line);
}

//  A path safe to log and to open: / then [a-z0-9_-./], no "..", short.
static bool
s_path_plain (const char *path)
{
    size_t len = strlen (path);
    //  "/." and "//" too: "/./admin.html" or "//admin.html" opened the
    //  page a role may not have, past s_page_needs' exact names.
    if (len == 0 || len > 64 || path [0] != '/' || strstr (path, "..")
    ||  strstr (path, "/.") || strstr (path, "//"))
        return false;
    for (size_t i = 0; i < len; i++) {
        char c = path [i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-'
        ||  c == '.' || c == '/'))
            return false;
    }
    return true;
}

static void
s_headers (struct MHD_Response *r, bool no_store)
{
    MHD_add_response_header (r, "Content-Security-Policy", CSP);
    MHD_add_response_header (r, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header (r, "Referrer-Policy", "no-referrer");
    MHD_add_response_header (r, "X-Frame-Options", "DENY");
    MHD_add_response_header (r, "Cross-Origin-Opener-Policy", "same-origin");
    MHD_add_response_header (r, "Cache-Control", no_store? "no-store": "no-cache");
    if (s_tls)
        MHD_add_response_header (r, "Strict-Transport-Security", "max-age=31536000");
}

static enum MHD_Result
s_send (struct MHD_Connection *c, int status, const char *type, char *body, bool no_store,
        const char *method, const char *url)
{
    size_t len = body? strlen (body): 0;
    struct MHD_Response *r = MHD_create_response_from_buffer (len, body? body: (char *) "",
                                                              body? MHD_RESPMEM_MUST_FREE:
                                                              MHD_RESPMEM_PERSISTENT);
    if (!r) {
        free (body);
        return MHD_NO;
    }
    s_headers (r, no_store);
    if (type)
        MHD_add_response_header (r, "Content-Type", type);
    enum MHD_Result rc = MHD_queue_response (c, (unsigned) status, r);
    MHD_destroy_response (r);
    web_log ("%s %s %d", method, s_path_plain (url)? url: "(other)", status);
    return rc;
}

static enum MHD_Result
s_redirect (struct MHD_Connection *c, const char *to, const char *method, const char *url)
{
    struct MHD_Response *r = MHD_create_response_from_buffer (0, (char *) "",
                                                              MHD_RESPMEM_PERSISTENT);
    if (!r)
        return MHD_NO;
    s_headers (r, true);
    MHD_add_response_header (r, "Location", to);
    enum MHD_Result rc = MHD_queue_response (c, MHD_HTTP_SEE_OTHER, r);
    MHD_destroy_response (r);
    web_log ("%s %s 303", method, s_path_plain (url)? url: "(other)");
    return rc;
}

static enum MHD_Result
s_json_error (struct MHD_Connection *c, int status, const char *code, const char *method,
              const char *url)
{
    char *body = NULL;
    if (asprintf (&body, "{\"error\":{\"code\":\"%s\"}}", code) < 0)
        return MHD_NO;
    return s_send (c, status, "application/json; charset=utf-8", body, true, method, url);
}

//  ---------------------------------------------------------------- static

static const char *
s_type (const char *path)
{
    const char *dot = strrchr (path, '.');
    if (!dot) return NULL;
    if (!strcmp (dot, ".html")) return "text/html; charset=utf-8";
    if (!strcmp (dot, ".css")) return "text/css; charset=utf-8";
    if (!strcmp (dot, ".js")) return "text/javascript; charset=utf-8";
    if (!strcmp (dot, ".json")) return "application/json; charset=utf-8";
    if (!strcmp (dot, ".svg")) return "image/svg+xml";
    if (!strcmp (dot, ".png")) return "image/png";
    return NULL;
}

static enum MHD_Result
s_file (struct MHD_Connection *c, const char *path, int status, const char *method,
        const char *url)
{
    const char *type = s_type (path);
    char full [1400];
    snprintf (full, sizeof full, "%s%s", s_config->static_dir, path);
    int fd = type? open (full, O_RDONLY | O_CLOEXEC): -1;
    struct stat st;
    if (fd < 0 || fstat (fd, &st) || !S_ISREG (st.st_mode)) {
        if (fd >= 0)
            close (fd);
        return s_send (c, 404, "text/plain; charset=utf-8", strdup ("404"), false, method, url);
    }
    struct MHD_Response *r = MHD_create_response_from_fd ((uint64_t) st.st_size, fd);
    if (!r) {
        close (fd);
        return MHD_NO;
    }
    //  Pages are shells filled by script from the API, but a page may be
    //  the one a person was looking at: never cache pages either.
    s_headers (r, strstr (path, ".html") != NULL);
    MHD_add_response_header (r, "Content-Type", type);
    enum MHD_Result rc = MHD_queue_response (c, (unsigned) status, r);
    MHD_destroy_response (r);
    web_log ("%s %s %d", method, path, status);
    return rc;
}

//  Pages that need more than a login, and the action they need.
static const char *
s_page_needs (const char *path)
{
    static const char *pages [][2] = {
        { "/ny.html", "concern" },
        { "/drofting.html", "discussion" },
        { "/koordinator.html", "consent" },
        { "/admin.html", "admin" },
        { "/plan.html", "plan_read" },
        { NULL, NULL }
    };
    for (int i = 0; pages [i][0]; i++)
        if (!strcmp (path, pages [i][0]))
            return pages [i][1];
    return NULL;
}

//  A live session whose person still has an account with the same role
//  and password: deluser, a changed role or a new password (passwd, when
//  the old one leaked) ends the sessions at their next request.
static int
s_session (const char *sid, bool touch, web_session_t *session)
{
    if (sessions_get (sid, touch, session))
        return -1;
    web_user_t user;
    int found = users_find (s_config->users_path, session->user, &user);
    char proof [WEB_PROOF_HEX] = "";
    if (found == 1)
        sessions_proof (user.hash, proof);
    bool same = found == 1 && strcmp (user.role, session->role) == 0
             && sodium_memcmp (proof, session->proof, WEB_PROOF_HEX - 1) == 0;
    sodium_memzero (&user, sizeof user);
    if (!same) {
        sessions_end (sid);
        return -1;
    }
    return 0;
}

//  ---------------------------------------------------------------- login

static enum MHD_Result
s_login (struct MHD_Connection *c, const web_form_t *form, const char *method, const char *url)
{
    const char *name = form_get (form, "name");
    const char *password = form_get (form, "password");
    const char *key = web_name_valid (name)? name: "?";
    int64_t wait = throttle_wait_ms (key);
    if (wait > 0) {
        char *body = NULL;
        if (asprintf (&body, "{\"error\":{\"code\":\"WAIT\",\"seconds\":%lld}}",
                      (long long) ((wait + 999) / 1000)) < 0)
            return MHD_NO;
        web_log ("login refused: still waiting after failed logins");
        return s_send (c, 429, "application/json; charset=utf-8", body, true, method, url);
    }
    web_user_t user;
    int found = web_name_valid (name)? users_find (s_config->users_path, name, &user): 0;
    //  An unknown name costs the same Argon2id check as a known one, so the
    //  answer's timing does not tell which names exist.
    pthread_mutex_lock (&s_pwhash_lock);
    if (found != 1) {
        snprintf (user.hash, sizeof user.hash, "%s", s_dummy_hash);
        (void) users_check (&user, password);
    }
    bool password_ok = found == 1 && users_check (&user, password);
    pthread_mutex_unlock (&s_pwhash_lock);
    bool ok = password_ok && web_role_within (s_config->node.role, user.role);
    if (password_ok && !ok)
        web_log ("login refused: the person's role exceeds the node's");
    if (!ok) {
        sodium_memzero (&user, sizeof user);
        throttle_failed (key);
        web_log ("login failed");
        return s_json_error (c, 401, "LOGIN_FAILED", method, url);
    }
    throttle_clear (key);
    web_session_t session;
    char proof [WEB_PROOF_HEX];
    sessions_proof (user.hash, proof);
    int created = sessions_create (user.name, user.role, proof, &session);
    sodium_memzero (&user, sizeof user);
    if (created)
        return s_json_error (c, 503, "BUSY", method, url);
    char cookie [200];
    snprintf (cookie, sizeof cookie, "%s=%s; Path=/; HttpOnly; SameSite=Strict%s",
              s_cookie, session.sid, s_tls? "; Secure": "");
    struct MHD_Response *r = MHD_create_response_from_buffer (11, (char *) "{\"ok\":true}",
                                                              MHD_RESPMEM_PERSISTENT);
    if (!r)
        return MHD_NO;
    s_headers (r, true);
    MHD_add_response_header (r, "Content-Type", "application/json; charset=utf-8");
    MHD_add_response_header (r, "Set-Cookie", cookie);
    enum MHD_Result rc = MHD_queue_response (c, 200, r);
    MHD_destroy_response (r);
    web_log ("login ok (role %s)", session.role);
    return rc;
}

//  ---------------------------------------------------------------- events

typedef struct {
    char sid [WEB_TOKEN_HEX];
    uint64_t last;
    char *pending;
    size_t offset;
} stream_t;

static ssize_t
s_stream_read (void *cls, uint64_t pos, char *buf, size_t max)
{
    (void) pos;
    stream_t *s = (stream_t *) cls;
    if (!s->pending) {
        web_session_t session;
        if (bridge_stopping () || s_session (s->sid, false, &session))
            return MHD_CONTENT_READER_END_OF_STREAM;
        s->pending = bridge_events_after (s->last, 10000, &s->last);
        //  Asked again after the wait: a logout (in another tab), deluser
        //  or the idle limit during it ends the stream before what came
        //  in the meantime goes out to a page no longer logged in.
        if (s->pending && (bridge_stopping () || s_session (s->sid, false, &session))) {
            sodium_memzero (s->pending, strlen (s->pending));
            free (s->pending);
            s->pending = NULL;
            return MHD_CONTENT_READER_END_OF_STREAM;
        }
        if (!s->pending)
            s->pending = strdup (": keepalive\n\n");
        if (!s->pending)
            return MHD_CONTENT_READER_END_WITH_ERROR;
        s->offset = 0;
    }
    size_t left = strlen (s->pending + s->offset);
    size_t n = left < max? left: max;
    memcpy (buf, s->pending + s->offset, n);
    s->offset += n;
    if (s->offset == strlen (s->pending)) {
        free (s->pending);
        s->pending = NULL;
    }
    return (ssize_t) n;
}

static void
s_stream_free (void *cls)
{
    stream_t *s = (stream_t *) cls;
    free (s->pending);
    free (s);
}

static enum MHD_Result
s_events (struct MHD_Connection *c, const web_session_t *session, const char *method,
          const char *url)
{
    stream_t *s = calloc (1, sizeof *s);
    if (!s)
        return MHD_NO;
    memcpy (s->sid, session->sid, sizeof s->sid);
    const char *last = MHD_lookup_connection_value (c, MHD_HEADER_KIND, "Last-Event-ID");
    uint64_t now = bridge_events_last ();
    s->last = now;
    if (last) {
        unsigned long long v = strtoull (last, NULL, 10);
        if (v < now)
            s->last = v;
    }
    //  A first comment line so the browser sees the stream open at once.
    s->pending = strdup (": open\nretry: 1000\n\n");
    struct MHD_Response *r = MHD_create_response_from_callback (MHD_SIZE_UNKNOWN, 4096,
                                                                s_stream_read, s, s_stream_free);
    if (!r) {
        s_stream_free (s);
        return MHD_NO;
    }
    s_headers (r, true);
    MHD_add_response_header (r, "Content-Type", "text/event-stream; charset=utf-8");
    enum MHD_Result rc = MHD_queue_response (c, 200, r);
    MHD_destroy_response (r);
    web_log ("%s %s 200 (stream)", method, url);
    return rc;
}

//  ---------------------------------------------------------------- handler

//  A browser names the page a POST comes from (Origin). The session's
//  token guards every POST but the login; another site's page posting our
//  login form would log the person in as whoever that site chose (their
//  next concern filed under someone else's name). So a POST whose Origin
//  is not this server is refused; one without Origin (not a browser) is
//  left to the token and the password.
static bool
s_same_origin (struct MHD_Connection *c)
{
    const char *origin = MHD_lookup_connection_value (c, MHD_HEADER_KIND, "Origin");
    if (!origin)
        return true;
    const char *host = MHD_lookup_connection_value (c, MHD_HEADER_KIND, "Host");
    const char *scheme = s_tls? "https://": "http://";
    size_t n = strlen (scheme);
    return host && strncmp (origin, scheme, n) == 0 && strcmp (origin + n, host) == 0;
}

static enum MHD_Result
s_route (struct MHD_Connection *c, const char *url, const char *method, request_t *req)
{
    bool post = strcmp (method, "POST") == 0;
    if (!post && strcmp (method, "GET") && strcmp (method, "HEAD"))
        return s_json_error (c, 405, "METHOD", method, url);
    if (req->too_large)
        return s_json_error (c, 413, "TOO_LARGE", method, url);
    web_form_t form;
    memset (&form, 0, sizeof form);
    if (post) {
        const char *type = MHD_lookup_connection_value (c, MHD_HEADER_KIND, "Content-Type");
        if (!type || strncmp (type, "application/x-www-form-urlencoded", 33))
            return s_json_error (c, 415, "CONTENT_TYPE", method, url);
        if (form_parse (&form, req->body? req->body: "", req->len)) {
            form_free (&form);
            return s_json_error (c, 400, "MALFORMED", method, url);
        }
    }
    enum MHD_Result rc;
    if (post && !s_same_origin (c)) {
        form_free (&form);
        web_log ("refused a POST from another origin");
        return s_json_error (c, 403, "ORIGIN", method, url);
    }
    if (post && strcmp (url, "/login") == 0) {
        rc = s_login (c, &form, method, url);
        form_free (&form);
        return rc;
    }
    if (!post && (strcmp (url, "/login.html") == 0 || strcmp (url, "/forbidden.html") == 0
    ||  (strncmp (url, "/api/", 5) && !strstr (url, ".html") && strcmp (url, "/")))) {
        rc = s_path_plain (url)? s_file (c, url, 200, method, url)
                               : s_send (c, 404, "text/plain; charset=utf-8", strdup ("404"),
                                         false, method, url);
        form_free (&form);
        return rc;
    }
    web_session_t session;
    const char *sid = MHD_lookup_connection_value (c, MHD_COOKIE_KIND, s_cookie);
    bool stream = !post && strcmp (url, "/api/events") == 0;
    bool logged_in = s_session (sid, !stream, &session) == 0;
    bool api = strncmp (url, "/api/", 5) == 0 || post;
    if (!logged_in) {
        form_free (&form);
        return api? s_json_error (c, 401, "LOGIN", method, url)
                  : s_redirect (c, "/login.html", method, url);
    }
    if (post) {
        const char *token = MHD_lookup_connection_value (c, MHD_HEADER_KIND, "X-CSRF-Token");
        if (!token || !web_token_equal (token, session.csrf)) {
            form_free (&form);
            web_log ("refused a POST without the CSRF token");
            return s_json_error (c, 403, "CSRF", method, url);
        }
    }
    if (post && strcmp (url, "/logout") == 0) {
        sessions_end (session.sid);
        form_free (&form);
        return s_json_error (c, 200, "LOGGED_OUT", method, url);
    }
    if (stream) {
        form_free (&form);
        return s_events (c, &session, method, url);
    }
    if (api && strncmp (url, "/api/", 5)) {
        form_free (&form);      //  a POST outside /api/ (url + 5 would overrun)
        return s_json_error (c, 404, "NOT_FOUND", method, url);
    }
    if (api) {
        web_reply_t reply;
        const char *path = url + 5;
        api_handle (s_path_plain (url)? path: "", post, &session, &form, &s_config->node, &reply);
        form_free (&form);
        return s_send (c, reply.status, "application/json; charset=utf-8", reply.body, true,
                       method, url);
    }
    form_free (&form);
    if (strcmp (url, "/") == 0)
        return s_redirect (c, "/live.html", method, url);
    if (!s_path_plain (url))
        return s_send (c, 404, "text/plain; charset=utf-8", strdup ("404"), false, method, url);
    const char *needs = s_page_needs (url);
    if (needs && !web_role_may (session.role, needs))
        return s_file (c, "/forbidden.html", 403, method, url);
    return s_file (c, url, 200, method, url);
}

static enum MHD_Result
s_handler (void *cls, struct MHD_Connection *c, const char *url, const char *method,
           const char *version, const char *upload_data, size_t *upload_data_size,
           void **con_cls)
{
    (void) cls;
    (void) version;
    request_t *req = (request_t *) *con_cls;
    if (!req) {
        req = calloc (1, sizeof *req);
        if (!req)
            return MHD_NO;
        *con_cls = req;
        return MHD_YES;
    }
    if (*upload_data_size) {
        if (!req->too_large && req->len + *upload_data_size <= WEB_MAX_BODY) {
            char *more = realloc (req->body, req->len + *upload_data_size + 1);
            if (!more)
                return MHD_NO;
            req->body = more;
            memcpy (req->body + req->len, upload_data, *upload_data_size);
            req->len += *upload_data_size;
            req->body [req->len] = 0;
        }
        else
            req->too_large = true;
        *upload_data_size = 0;
        return MHD_YES;
    }
    return s_route (c, url, method, req);
}

static void
s_completed (void *cls, struct MHD_Connection *c, void **con_cls,
             enum MHD_RequestTerminationCode toe)
{
    (void) cls;
    (void) c;
    (void) toe;
    request_t *req = (request_t *) *con_cls;
    if (req) {
        if (req->body)
            sodium_memzero (req->body, req->len);
        free (req->body);
        free (req);
    }
    *con_cls = NULL;
}

//  ---------------------------------------------------------------- serve

static char *
s_read_file (const char *path)
{
    FILE *f = fopen (path, "r");
    if (!f)
        return NULL;
    char *data = calloc (1, 256 * 1024 + 1);
    size_t n = data? fread (data, 1, 256 * 1024, f): 0;
    fclose (f);
    if (!data || n == 0 || n == 256 * 1024) {
        free (data);
        return NULL;
    }
    return data;
}

//  Parses "HOST:PORT" (IPv4) into ADDR; loopback tells whether HOST is 127/8.
static int
s_address (const char *listen, struct sockaddr_in *addr, bool *loopback)
{
    char host [64];
    const char *colon = strrchr (listen, ':');
    if (!colon || colon == listen || (size_t) (colon - listen) >= sizeof host)
        return -1;
    memcpy (host, listen, (size_t) (colon - listen));
    host [colon - listen] = 0;
    if (strcmp (host, "localhost") == 0)
        snprintf (host, sizeof host, "127.0.0.1");
    char *end = NULL;
    long port = strtol (colon + 1, &end, 10);
    if (!*(colon + 1) || *end || port < 1 || port > 65535)
        return -1;
    memset (addr, 0, sizeof *addr);
    addr->sin_family = AF_INET;
    addr->sin_port = htons ((uint16_t) port);
    if (inet_pton (AF_INET, host, &addr->sin_addr) != 1)
        return -1;
    *loopback = (ntohl (addr->sin_addr.s_addr) >> 24) == 127;
    return 0;
}

int
http_serve (const web_server_config_t *config)
{
    s_config = config;
    struct sockaddr_in addr;
    bool loopback = false;
    if (s_address (config->listen, &addr, &loopback)) {
        web_log ("--listen wants HOST:PORT with an IPv4 address, e.g. 127.0.0.1:8080");
        return -1;
    }
    snprintf (s_cookie, sizeof s_cookie, "samhand_%u", (unsigned) ntohs (addr.sin_port));
    s_tls = config->tls_cert && config->tls_key;
    if ((config->tls_cert != NULL) != (config->tls_key != NULL)) {
        web_log ("--tls-cert and --tls-key go together");
        return -1;
    }
    if (!loopback && !s_tls) {
        web_log ("refusing to listen on %s without TLS: a non-loopback address needs "
                 "--tls-cert and --tls-key", config->listen);
        return -1;
    }
    char dummy [32];
    randombytes_buf (dummy, sizeof dummy);
    if (crypto_pwhash_str (s_dummy_hash, dummy, sizeof dummy, crypto_pwhash_OPSLIMIT_INTERACTIVE,
                           crypto_pwhash_MEMLIMIT_INTERACTIVE)) {
        web_log ("out of memory");
        return -1;
    }
    char *cert = NULL, *key = NULL;
    unsigned flags = MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD;
    if (s_tls) {
        if (MHD_is_feature_supported (MHD_FEATURE_TLS) != MHD_YES) {
            web_log ("this libmicrohttpd has no TLS support");
            return -1;
        }
        cert = s_read_file (config->tls_cert);
        key = s_read_file (config->tls_key);
        if (!cert || !key) {
            web_log ("cannot read the TLS certificate or key");
            free (cert);
            free (key);
            return -1;
        }
        flags |= MHD_USE_TLS;
    }
    sigset_t signals;
    sigemptyset (&signals);
    sigaddset (&signals, SIGINT);
    sigaddset (&signals, SIGTERM);
    pthread_sigmask (SIG_BLOCK, &signals, NULL);
    struct MHD_Daemon *d = s_tls?
        MHD_start_daemon (flags, 0, NULL, NULL, s_handler, NULL,
                          MHD_OPTION_SOCK_ADDR, (struct sockaddr *) &addr,
                          MHD_OPTION_NOTIFY_COMPLETED, s_completed, NULL,
                          MHD_OPTION_CONNECTION_LIMIT, (unsigned) 128,
                          MHD_OPTION_CONNECTION_TIMEOUT, (unsigned) 120,
                          MHD_OPTION_HTTPS_MEM_CERT, cert,
                          MHD_OPTION_HTTPS_MEM_KEY, key,
                          MHD_OPTION_END):
        MHD_start_daemon (flags, 0, NULL, NULL, s_handler, NULL,
                          MHD_OPTION_SOCK_ADDR, (struct sockaddr *) &addr,
                          MHD_OPTION_NOTIFY_COMPLETED, s_completed, NULL,
                          MHD_OPTION_CONNECTION_LIMIT, (unsigned) 128,
                          MHD_OPTION_CONNECTION_TIMEOUT, (unsigned) 120,
                          MHD_OPTION_END);
    if (!d) {
        web_log ("cannot listen on %s: %s", config->listen, strerror (errno));
        free (cert);
        free (key);
        return -1;
    }
    web_log ("serving node %s (%s, %s) on %s://%s", config->node.node, config->node.agency,
             config->node.role, s_tls? "https": "http", config->listen);
    int sig = 0;
    sigwait (&signals, &sig);
    web_log ("stopping");
    bridge_signal_stop ();
    MHD_stop_daemon (d);
    free (cert);
    free (key);
    return 0;
}
