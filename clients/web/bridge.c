/*  bridge — the node's connections to the broker. libsamhand clients are
    not thread-safe, so there are two: the request connection, used by the
    HTTP handlers one at a time under a lock, and the delivery session,
    owned by its own thread, which confirms each delivery as RECEIVED (it
    has reached the web client; READ comes when a person opens it) and
    turns deliveries and pushed status reports into events for the pages'
    server-sent event streams.                                            */
#include "web.h"
#include <czmq.h>
#include <fcntl.h>
#include <pthread.h>
#include <sys/stat.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define EVENT_RING 256
#define SENT_MAX   1000

void cli_delivery_json (json_t *j, const Samhand__V1__Deliver *d);
void cli_status_json (json_t *j, const Samhand__V1__StatusReport *r, const char *type);

typedef struct {
    uint64_t seq;
    char *json;
} event_t;

typedef struct {
    char id [33];
    char kind [24];
    char author [WEB_NAME_MAX + 1];
    char ref [40];
} sent_t;

static pthread_mutex_t s_req_lock = PTHREAD_MUTEX_INITIALIZER;
static samhand_client_t *s_req;
static char s_config [1024];

static pthread_mutex_t s_ev_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t s_ev_cond = PTHREAD_COND_INITIALIZER;
static event_t s_events [EVENT_RING];
static uint64_t s_seq;
//  The first sequence number still served: after the broker revoked this
//  node the deliveries kept here are forgotten (s_events_forget).
static uint64_t s_first = 1;
static bool s_forgot;           //  forgotten, and nothing delivered since
static volatile bool s_stop;
static pthread_t s_thread;
static bool s_thread_started;

static pthread_mutex_t s_sent_lock = PTHREAD_MUTEX_INITIALIZER;
static sent_t *s_sent;
static size_t s_sent_count;
static char s_sent_path [1100];

bool
bridge_stopping (void)
{
    return s_stop;
}

static void s_events_forget (void);

void
bridge_revoked (void)
{
    s_events_forget ();
}

static void
s_event_add (char *json)
{
    pthread_mutex_lock (&s_ev_lock);
    s_seq++;
    event_t *e = &s_events [s_seq % EVENT_RING];
    free (e->json);
    e->seq = s_seq;
    e->json = json;
    s_forgot = false;
    pthread_cond_broadcast (&s_ev_cond);
    pthread_mutex_unlock (&s_ev_lock);
}

uint64_t
bridge_events_last (void)
{
    pthread_mutex_lock (&s_ev_lock);
    uint64_t seq = s_seq;
    pthread_mutex_unlock (&s_ev_lock);
    return seq;
}

char *
bridge_events_after (uint64_t after, int wait_ms, uint64_t *last)
{
    struct timespec until;
    clock_gettime (CLOCK_REALTIME, &until);
    until.tv_sec += wait_ms / 1000;
    until.tv_nsec += (long) (wait_ms % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock (&s_ev_lock);
    while (s_seq <= after && !s_stop)
        if (pthread_cond_timedwait (&s_ev_cond, &s_ev_lock, &until))
            break;
    char *out = NULL;
    uint64_t from = after + 1;
    if (s_seq > after && s_seq - after > EVENT_RING)
        from = s_seq - EVENT_RING + 1;
    if (from < s_first)
        from = s_first;
    if (s_seq >= from) {
        size_t size = 0;
        for (uint64_t q = from; q <= s_seq; q++)
            size += strlen (s_events [q % EVENT_RING].json) + 48;
        out = malloc (size + 1);
        size_t len = 0;
        for (uint64_t q = from; out && q <= s_seq; q++)
            len += (size_t) snprintf (out + len, size + 1 - len, "id: %llu\ndata: %s\n\n",
                                      (unsigned long long) q, s_events [q % EVENT_RING].json);
    }
    if (s_seq > after)
        *last = s_seq;
    pthread_mutex_unlock (&s_ev_lock);
    return out;
}

//  The broker revoked this node (or replaced its certificate): what it
//  delivered before is no longer replayed to the pages (Last-Event-ID,
//  a page opened later, a person who logs in after). Pages already open
//  keep what they show.
static void
s_events_forget (void)
{
    pthread_mutex_lock (&s_ev_lock);
    if (s_forgot) {
        pthread_mutex_unlock (&s_ev_lock);
        return;
    }
    s_forgot = true;
    for (int i = 0; i < EVENT_RING; i++) {
        if (s_events [i].json) {
            sodium_memzero (s_events [i].json, strlen (s_events [i].json));
            free (s_events [i].json);
        }
        s_events [i].json = NULL;
    }
    s_first = s_seq + 1;
    pthread_mutex_unlock (&s_ev_lock);
    web_log ("the broker no longer accepts this node: the deliveries kept for the pages are"
             " forgotten");
}

static void
s_deliver_event (samhand_client_t *c, const Samhand__V1__Deliver *d)
{
    json_t item;
    json_init (&item);
    cli_delivery_json (&item, d);
    const char *text = json_text (&item);
    char *event = NULL;
    if (text && asprintf (&event, "{\"type\":\"deliver\",\"item\":%s}", text) < 0)
        event = NULL;
    json_free (&item);
    if (event)
        s_event_add (event);
    if (samhand_client_receipt (c, d->delivery_id, SAMHAND__V1__RECEIPT_STATE__RECEIVED))
        web_log ("could not confirm a delivery as received; the broker will send it again");
}

static void
s_status_event (const Samhand__V1__StatusReport *r)
{
    json_t j;
    json_init (&j);
    cli_status_json (&j, r, "status");
    const char *text = json_text (&j);
    if (text)
        s_event_add (strdup (text));
    json_free (&j);
}

static void *
s_delivery_thread (void *arg)
{
    (void) arg;
    samhand_client_t *c = samhand_client_new_from_config (s_config);
    Samhand__V1__Frame *reply = c? samhand_client_subscribe (c, NULL, WEB_BROKER_WAIT_MS): NULL;
    if (!reply)
        web_log ("the delivery session did not start yet; retrying in the background");
    samhand_frame_destroy (&reply);
    while (c && !s_stop) {
        Samhand__V1__Frame *frame = samhand_client_recv (c, 500);
        if (!frame) {
            //  Revoked while the broker was away: the handshake refuses it.
            if (samhand_client_key_refused (c, NULL))
                s_events_forget ();
            continue;
        }
        if (frame->command_case == SAMHAND__V1__FRAME__COMMAND_ERROR && frame->request_id == 0
        &&  frame->error->code == SAMHAND__V1__ERROR_CODE__NOT_PERMITTED)
            //  The broker ended the delivery session: this node's
            //  certificate was revoked or replaced (broker.c s_deliver).
            s_events_forget ();
        else
        if (frame->command_case == SAMHAND__V1__FRAME__COMMAND_DELIVER)
            s_deliver_event (c, frame->deliver);
        else
        if (frame->command_case == SAMHAND__V1__FRAME__COMMAND_STATUS_REPORT
        &&  frame->request_id == 0)
            s_status_event (frame->status_report);
        samhand_frame_destroy (&frame);
    }
    samhand_client_destroy (&c);
    return NULL;
}

//  NODE.sent names who sent what about which case (user names, case
//  references: pseudonymised personal data): this node's own, like
//  NODE.users, so 0600. It was made with the umask's 0644.
static FILE *
s_sent_open (const char *mode)
{
    int fd = open (s_sent_path, (*mode == 'a'? O_WRONLY | O_APPEND | O_CREAT: O_RDONLY)
                   | O_CLOEXEC | O_NOFOLLOW, 0600);
    struct stat st;
    if (fd >= 0 && fstat (fd, &st) == 0 && (st.st_mode & 077)) {
        if (fchmod (fd, st.st_mode & 0600))
            web_log ("%s is readable by others and cannot be made 0600", s_sent_path);
        else
            web_log ("%s was readable by others: made 0600", s_sent_path);
    }
    FILE *f = fd >= 0? fdopen (fd, mode): NULL;
    if (!f && fd >= 0)
        close (fd);
    return f;
}

//  Loads the newest SENT_MAX entries: the file is appended to, so after
//  SENT_MAX messages the first ones read were the oldest, and "my
//  messages" lost the newest (an acute concern's "read") at a restart.
//  A file holding more is rewritten with those only (0600, via a
//  temporary file): it no longer grows without end, keeping old case
//  references.
static void
s_sent_load (void)
{
    FILE *f = s_sent_open ("r");
    if (!f)
        return;
    char line [256];
    size_t lines = 0;
    while (fgets (line, sizeof line, f)) {
        sent_t entry;
        memset (&entry, 0, sizeof entry);
        line [strcspn (line, "\r\n")] = 0;
        //  id kind author ref (the author and ref may be "-")
        if (sscanf (line, "%32s %23s %32s %39s", entry.id, entry.kind, entry.author,
                    entry.ref) != 4 || strlen (entry.id) != 32)
            continue;
        lines++;
        if (s_sent_count == SENT_MAX) {
            memmove (s_sent, s_sent + 1, (SENT_MAX - 1) * sizeof *s_sent);
            s_sent_count--;
        }
        s_sent [s_sent_count++] = entry;
    }
    fclose (f);
    if (lines <= SENT_MAX)
        return;
    char temp [sizeof s_sent_path + 8];
    snprintf (temp, sizeof temp, "%s.new", s_sent_path);
    unlink (temp);
    int fd = open (temp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
    FILE *out = fd >= 0? fdopen (fd, "w"): NULL;
    bool ok = out != NULL;
    for (size_t i = 0; ok && i < s_sent_count; i++)
        ok = fprintf (out, "%s %s %s %s\n", s_sent [i].id, s_sent [i].kind, s_sent [i].author,
                      s_sent [i].ref) > 0;
    ok = ok && fflush (out) == 0 && fsync (fileno (out)) == 0;
    if (out)
        ok = fclose (out) == 0 && ok;
    else
    if (fd >= 0)
        close (fd);
    if (!ok || rename (temp, s_sent_path)) {
        unlink (temp);
        web_log ("could not shorten %s (it keeps growing; the newest are shown)", s_sent_path);
    }
}

int
bridge_start (const char *config, const char *sent_path, web_node_t *node)
{
    snprintf (s_config, sizeof s_config, "%s", config);
    snprintf (s_sent_path, sizeof s_sent_path, "%s", sent_path);
    s_sent = calloc (SENT_MAX, sizeof *s_sent);
    if (!s_sent)
        return -1;
    s_sent_load ();
    s_req = samhand_client_new_from_config (config);
    if (!s_req) {
        web_log ("cannot use the node config: %s", samhand_last_error ());
        return -1;
    }
    Samhand__V1__Frame *pong = samhand_client_ping (s_req, WEB_BROKER_WAIT_MS);
    if (!pong || pong->command_case != SAMHAND__V1__FRAME__COMMAND_PONG) {
        samhand_link_t link = samhand_client_link (s_req);
        if (samhand_client_key_refused (s_req, NULL))
            web_log ("the broker refused this node's key (not enrolled, revoked, or the"
                     " broker's key changed): ask the administrator");
        else
            web_log ("the broker did not answer (%s)",
                     link == SAMHAND_LINK_REFUSED? "certificate not enrolled":
                     link == SAMHAND_LINK_FAILED? "wrong broker certificate":
                     link == SAMHAND_LINK_UNREACHABLE? "nothing listens": "no answer");
        samhand_frame_destroy (&pong);
        return -1;
    }
    snprintf (node->node, sizeof node->node, "%s", pong->pong->node);
    snprintf (node->agency, sizeof node->agency, "%s", samhand_agency_name (pong->pong->agency));
    snprintf (node->role, sizeof node->role, "%s", pong->pong->role);
    samhand_frame_destroy (&pong);
    s_stop = false;
    if (pthread_create (&s_thread, NULL, s_delivery_thread, NULL))
        return -1;
    s_thread_started = true;
    return 0;
}

void
bridge_stop (void)
{
    pthread_mutex_lock (&s_ev_lock);
    s_stop = true;
    pthread_cond_broadcast (&s_ev_cond);
    pthread_mutex_unlock (&s_ev_lock);
    if (s_thread_started)
        pthread_join (s_thread, NULL);
    s_thread_started = false;
    samhand_client_destroy (&s_req);
    for (int i = 0; i < EVENT_RING; i++) {
        free (s_events [i].json);
        s_events [i].json = NULL;
    }
    free (s_sent);
    s_sent = NULL;
}

samhand_client_t *
bridge_lock (void)
{
    pthread_mutex_lock (&s_req_lock);
    return s_req;
}

void
bridge_unlock (void)
{
    pthread_mutex_unlock (&s_req_lock);
}

void
bridge_sent_add (const uint8_t *message_id, const char *kind, const char *author,
                 const char *case_ref)
{
    sent_t s;
    memset (&s, 0, sizeof s);
    samhand_hex (message_id, SAMHAND_MESSAGE_ID_SIZE, s.id);
    snprintf (s.kind, sizeof s.kind, "%s", kind);
    snprintf (s.author, sizeof s.author, "%s", author && *author? author: "-");
    //  A case ref is the broker's format (letters, digits, '-'): no spaces.
    snprintf (s.ref, sizeof s.ref, "%s", case_ref && *case_ref && !strchr (case_ref, ' ')?
              case_ref: "-");
    pthread_mutex_lock (&s_sent_lock);
    if (s_sent_count == SENT_MAX) {
        memmove (s_sent, s_sent + 1, (SENT_MAX - 1) * sizeof *s_sent);
        s_sent_count--;
    }
    s_sent [s_sent_count++] = s;
    FILE *f = s_sent_open ("a");
    if (!f || fprintf (f, "%s %s %s %s\n", s.id, s.kind, s.author, s.ref) < 0 || fflush (f))
        web_log ("could not record a sent message id");
    if (f)
        fclose (f);
    pthread_mutex_unlock (&s_sent_lock);
}

size_t
bridge_sent_list (char ids [][33], char kinds [][24], char authors [][WEB_NAME_MAX + 1],
                  char refs [][40], size_t max)
{
    pthread_mutex_lock (&s_sent_lock);
    size_t n = 0;
    for (size_t i = s_sent_count; i > 0 && n < max; i--, n++) {
        sent_t *s = &s_sent [i - 1];
        memcpy (ids [n], s->id, 33);
        memcpy (kinds [n], s->kind, 24);
        memcpy (authors [n], s->author, sizeof authors [n]);
        memcpy (refs [n], s->ref, 40);
    }
    pthread_mutex_unlock (&s_sent_lock);
    return n;
}

void
bridge_signal_stop (void)
{
    pthread_mutex_lock (&s_ev_lock);
    s_stop = true;
    pthread_cond_broadcast (&s_ev_cond);
    pthread_mutex_unlock (&s_ev_lock);
}
