/*  web.h — samhand-web, the web client an agency runs beside its node.

    Modules (one job each):
      users     the person accounts file (name, role, Argon2id hash), 0600
      sessions  login sessions, CSRF tokens, idle logout, failed-login delay
      bridge    the node's two broker connections: one for requests (under a
                lock), one delivery session in its own thread feeding events
      api       the JSON API the pages call, one handler per action
      http      libmicrohttpd glue: routing, static files, security headers
      main      command line: serve, adduser, deluser, passwd

    Nothing here logs personal data: logs name the method, path (never a
    query string), status and role, never a user name, body or subject.   */
#ifndef SAMHAND_WEB_H
#define SAMHAND_WEB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sodium.h>
#include "samhand.h"
#include "json.h"

#define WEB_NAME_MAX        32
#define WEB_TOKEN_HEX       65      //  32 random bytes as hex, NUL
#define WEB_MAX_SESSIONS    256
#define WEB_MAX_BODY        (64 * 1024)
#define WEB_BROKER_WAIT_MS  5000

//  ---------------------------------------------------------------- roles

//  Person roles, the node roles' names. A person's role may never exceed
//  the node's: a coordinator node may have coordinators, duty operators and
//  team members; any other node only its own role.
bool web_role_known (const char *role);
bool web_role_within (const char *node_role, const char *person_role);
//  What a role may do in the web client (the broker checks the node's role
//  again on every request).
bool web_role_may (const char *role, const char *action);

//  A user name (and Submit.author): 1..32 of a-z A-Z 0-9 . _ -
bool web_name_valid (const char *name);

//  ---------------------------------------------------------------- users

typedef struct {
    char name [WEB_NAME_MAX + 1];
    char role [16];
    char hash [crypto_pwhash_STRBYTES];
} web_user_t;

//  Finds NAME in the users file at PATH. 1 found (copied to *user), 0 not
//  there, -1 unreadable.
int users_find (const char *path, const char *name, web_user_t *user);
//  Adds or replaces (REPLACE) NAME with ROLE and PASSWORD; the file is
//  rewritten 0600 through a temporary file. 0, or -1 with a message on
//  stderr. ROLE NULL keeps the existing role (passwd).
int users_put (const char *path, const char *name, const char *role, const char *password,
               bool must_exist);
//  Removes NAME. 0, 1 when not there, -1 on failure.
int users_delete (const char *path, const char *name);
//  True when PASSWORD matches USER's hash.
bool users_check (const web_user_t *user, const char *password);

//  ---------------------------------------------------------------- sessions

#define WEB_PROOF_HEX       17      //  8 bytes of a keyed hash as hex, NUL

typedef struct {
    char sid [WEB_TOKEN_HEX];
    char csrf [WEB_TOKEN_HEX];
    char user [WEB_NAME_MAX + 1];
    char role [16];
    char proof [WEB_PROOF_HEX];     //  of the password hash it logged in with
    int64_t last_ms;
} web_session_t;

void sessions_init (int idle_seconds);
int  sessions_idle_seconds (void);
//  The proof of a user's password hash HASH: a session remembers it, so a
//  new password (passwd) ends the sessions made with the old one.
void sessions_proof (const char *hash, char proof [WEB_PROOF_HEX]);
//  New session for USER/ROLE, logged in with the password hash PROOF
//  (sessions_proof); *out receives a copy. 0 or -1 (full).
int  sessions_create (const char *user, const char *role, const char *proof,
                      web_session_t *out);
//  Looks SID up; a session idle longer than the limit is ended. TOUCH
//  counts this as activity. 0 and a copy in *out, -1 when there is none.
int  sessions_get (const char *sid, bool touch, web_session_t *out);
void sessions_end (const char *sid);
//  Failed-login delay, keyed by user name: milliseconds the next attempt
//  must still wait (0: may try now); a failure doubles the wait (1 s, 2 s,
//  4 s, ... at most 60 s); a success clears it.
int64_t throttle_wait_ms (const char *key);
void throttle_failed (const char *key);
void throttle_clear (const char *key);

int64_t web_now_ms (void);
//  Constant-time comparison of two NUL-terminated tokens.
bool web_token_equal (const char *a, const char *b);

//  ---------------------------------------------------------------- bridge

typedef struct {
    char node [64];
    char agency [32];
    char role [16];
} web_node_t;

//  Connects both connections using the client config at CONFIG, asks the
//  broker who the node is, starts the delivery thread. SENT_PATH keeps the
//  ids of messages sent from here (for "my messages"). 0 or -1.
int  bridge_start (const char *config, const char *sent_path, web_node_t *node);
//  Wakes every waiting event stream and tells them to end (before the
//  HTTP server stops); bridge_stop then joins the thread and frees all.
void bridge_signal_stop (void);
void bridge_stop (void);
//  The request connection, locked for the caller; bridge_unlock after.
samhand_client_t *bridge_lock (void);
void bridge_unlock (void);
//  Remembers a message sent from here (id, kind, author, case ref).
void bridge_sent_add (const uint8_t *message_id, const char *kind, const char *author,
                      const char *case_ref);
//  The last MAX sent messages, newest first: hex ids into IDS (33 bytes
//  each), kinds, authors, case refs. Returns how many.
size_t bridge_sent_list (char ids [][33], char kinds [][24], char authors [][WEB_NAME_MAX + 1],
                         char refs [][40], size_t max);
//  Events (deliveries, status reports, link changes) as JSON texts with
//  rising sequence numbers. Waits at most WAIT_MS for one after AFTER;
//  returns a malloc'd "id: N\ndata: JSON\n\n..." block of all newer ones
//  and sets *last, or NULL when none came.
char *bridge_events_after (uint64_t after, int wait_ms, uint64_t *last);
uint64_t bridge_events_last (void);
//  The broker refused this node's key: the events kept for the pages are
//  forgotten (a page opened later replays none of them).
void bridge_revoked (void);
bool bridge_stopping (void);

//  ---------------------------------------------------------------- api

typedef struct {
    char  *keys [128];
    char  *values [128];
    size_t count;
} web_form_t;

//  Parses an application/x-www-form-urlencoded BODY. 0 or -1 (malformed).
int  form_parse (web_form_t *form, const char *body, size_t len);
void form_free (web_form_t *form);
//  The first value of KEY, or "" when absent.
const char *form_get (const web_form_t *form, const char *key);
//  Every value of KEY, in order; returns how many (at most MAX).
size_t form_all (const web_form_t *form, const char *key, const char **out, size_t max);

typedef struct {
    int   status;           //  HTTP status
    char *body;             //  malloc'd JSON
} web_reply_t;

//  Runs API action PATH (after "/api/") for SESSION with FORM (POST) or
//  QUERY (GET values). Fills REPLY. Role checks happen here.
void api_handle (const char *path, bool post, const web_session_t *session,
                 const web_form_t *form, const web_node_t *node, web_reply_t *reply);

//  ---------------------------------------------------------------- http

typedef struct {
    const char *listen;         //  "127.0.0.1:8080"
    const char *static_dir;
    const char *users_path;
    const char *tls_cert;
    const char *tls_key;
    web_node_t  node;
} web_server_config_t;

//  Serves until SIGINT/SIGTERM. 0 on clean stop, -1 on failure to start.
int http_serve (const web_server_config_t *config);

//  Log lines go to stderr: "samhand-web: ..." (no personal data).
void web_log (const char *format, ...) __attribute__ ((format (printf, 1, 2)));

#endif
