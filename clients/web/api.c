/*  api — the JSON API behind the pages. Each handler checks the person's
    role, builds one protobuf request from the form, asks the broker through
    the bridge's request connection and answers JSON in the shapes of the
    CLI's --json output (clients/cli print.c / report.c), which the pages
    turn into Norwegian. Every message sent carries the person's user name
    as Submit.author.                                                     */
#include "web.h"
#include "jsonr.h"
#include <czmq.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

//  From the CLI (clients/cli/print.c, report.c): the same JSON shapes.
void cli_submit_json (json_t *j, const Samhand__V1__Frame *reply, const char *kind);
void cli_error_json (json_t *j, const Samhand__V1__Error *error);
void cli_inbox_item_json (json_t *j, const Samhand__V1__Deliver *d, bool read);
void cli_status_json (json_t *j, const Samhand__V1__StatusReport *r, const char *type);
void cli_audit_json (json_t *j, const Samhand__V1__AuditEntry *e, bool with_chain);
void cli_dead_letter_json (json_t *j, const Samhand__V1__DeadLetter *l);
void cli_consent_json (json_t *j, const Samhand__V1__ConsentRecord *r);
void cli_plan_json (json_t *j, const char *key, const Samhand__V1__RiskPlan *p);
void cli_plan_reply_json (json_t *j, const Samhand__V1__PlanReply *r, bool history);
void cli_plan_broker_fields_clear (Samhand__V1__RiskPlan *plan, uint32_t base);
typedef struct _cli_plan_parts_t cli_plan_parts_t;
cli_plan_parts_t *cli_plan_parts_new (void);
void cli_plan_parts_destroy (cli_plan_parts_t **self_p);
const char *cli_plan_parts_read (cli_plan_parts_t *self, const jsonr_t *parts,
                                 Samhand__V1__RiskPlan *plan);
char *cli_time_iso (int64_t unix_ms, char *out, size_t size);

#define MAX_LIST 32

//  ---------------------------------------------------------------- form

static int
s_hex (char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

static char *
s_decode (const char *s, size_t len)
{
    char *out = malloc (len + 1);
    size_t n = 0;
    for (size_t i = 0; out && i < len; i++) {
        if (s [i] == '+')
            out [n++] = ' ';
        else
        if (s [i] == '%') {
            int hi = i + 2 < len? s_hex (s [i + 1]): -1;
            int lo = i + 2 < len? s_hex (s [i + 2]): -1;
            if (hi < 0 || lo < 0) {
                free (out);
                return NULL;
            }
            char c = (char) (hi * 16 + lo);
            if (c == 0) {           //  no NUL inside a value
                free (out);
                return NULL;
            }
            out [n++] = c;
            i += 2;
        }
        else
            out [n++] = s [i];
    }
    if (out)
        out [n] = 0;
    return out;
}

int
form_parse (web_form_t *form, const char *body, size_t len)
{
    memset (form, 0, sizeof *form);
    size_t at = 0;
    while (at < len) {
        size_t end = at;
        while (end < len && body [end] != '&')
            end++;
        if (end > at) {
            size_t eq = at;
            while (eq < end && body [eq] != '=')
                eq++;
            if (form->count == 128)
                return -1;
            char *key = s_decode (body + at, eq - at);
            char *value = s_decode (body + eq + (eq < end), end - eq - (eq < end));
            if (!key || !value) {
                free (key);
                free (value);
                return -1;
            }
            form->keys [form->count] = key;
            form->values [form->count++] = value;
        }
        at = end + 1;
    }
    return 0;
}

void
form_free (web_form_t *form)
{
    for (size_t i = 0; i < form->count; i++) {
        free (form->keys [i]);
        if (form->values [i])
            sodium_memzero (form->values [i], strlen (form->values [i]));
        free (form->values [i]);
    }
    form->count = 0;
}

const char *
form_get (const web_form_t *form, const char *key)
{
    for (size_t i = 0; form && i < form->count; i++)
        if (strcmp (form->keys [i], key) == 0)
            return form->values [i];
    return "";
}

size_t
form_all (const web_form_t *form, const char *key, const char **out, size_t max)
{
    size_t n = 0;
    for (size_t i = 0; form && i < form->count && n < max; i++)
        if (strcmp (form->keys [i], key) == 0)
            out [n++] = form->values [i];
    return n;
}

//  ---------------------------------------------------------------- replies

static void
s_json (web_reply_t *reply, int status, json_t *j)
{
    const char *text = json_text (j);
    reply->status = text? status: 500;
    reply->body = strdup (text? text: "{\"error\":{\"code\":\"INTERNAL\"}}");
    json_free (j);
}

//  {"error":{"code":CODE,"field":FIELD}}: the page words it.
static void
s_fail (web_reply_t *reply, int status, const char *code, const char *field)
{
    json_t j;
    json_init (&j);
    json_object_begin (&j, NULL);
    json_object_begin (&j, "error");
    json_str (&j, "code", code);
    json_str_opt (&j, "field", field);
    json_object_end (&j);
    json_object_end (&j);
    s_json (reply, status, &j);
}

//  No answer: the broker is away (504 NO_ANSWER), or it refuses this
//  node's key in the handshake (502 KEY_REFUSED: not enrolled, revoked, or
//  the broker's key changed), which only the administrator can mend.
static void
s_no_answer (web_reply_t *reply)
{
    samhand_client_t *c = bridge_lock ();
    bool refused = c && samhand_client_key_refused (c, NULL);
    bridge_unlock ();
    if (refused) {
        bridge_revoked ();
        s_fail (reply, 502, "KEY_REFUSED", NULL);
    }
    else
        s_fail (reply, 504, "NO_ANSWER", NULL);
}

//  A reply frame carrying an error: {"error":{code,text,findings}}.
static bool
s_broker_error (web_reply_t *reply, const Samhand__V1__Frame *frame)
{
    const Samhand__V1__Error *error = samhand_reply_error (frame);
    if (!error || !error->code)
        return false;
    json_t j;
    json_init (&j);
    json_object_begin (&j, NULL);
    cli_error_json (&j, error);
    json_object_end (&j);
    s_json (reply, error->code == SAMHAND__V1__ERROR_CODE__NOT_PERMITTED? 403: 422, &j);
    return true;
}

//  ---------------------------------------------------------------- values

static bool
s_flag (const web_form_t *form, const char *key)
{
    const char *v = form_get (form, key);
    return strcmp (v, "1") == 0 || strcmp (v, "on") == 0 || strcmp (v, "true") == 0;
}

//  Empty strings stay "" (protobuf-c's default), never NULL.
static void
s_subject (const web_form_t *form, Samhand__V1__Subject *subject)
{
    samhand__v1__subject__init (subject);
    subject->name = (char *) form_get (form, "name");
    subject->national_id = (char *) form_get (form, "national_id");
    subject->birth_date = (char *) form_get (form, "birth_date");
    subject->phone = (char *) form_get (form, "phone");
}

static bool
s_subject_empty (const Samhand__V1__Subject *s)
{
    return !*s->name && !*s->national_id && !*s->birth_date && !*s->phone;
}

//  Local midnight (Oslo) of YYYY-MM-DD plus DAYS, in unix seconds; -1 if bad.
static int64_t
s_date (const char *text, int days)
{
    struct tm tm;
    memset (&tm, 0, sizeof tm);
    const char *end = strptime (text, "%Y-%m-%d", &tm);
    if (!end || *end)
        return -1;
    tm.tm_mday += days;
    tm.tm_isdst = -1;
    time_t t = mktime (&tm);
    return t == (time_t) -1? -1: (int64_t) t;
}

//  ---------------------------------------------------------------- submit

static void
s_submit (Samhand__V1__Submit *submit, const char *kind, const web_session_t *session,
          web_reply_t *reply)
{
    submit->author = (char *) session->user;
    Samhand__V1__Frame *frame = NULL;
    samhand_client_t *c = bridge_lock ();
    int rc = samhand_client_submit (c, submit, WEB_BROKER_WAIT_MS, 2, &frame);
    bridge_unlock ();
    if (!frame) {
        s_no_answer (reply);
        return;
    }
    if (rc == 0 && frame->command_case == SAMHAND__V1__FRAME__COMMAND_SUBMIT_RESULT
    &&  frame->submit_result->message_id.len == SAMHAND_MESSAGE_ID_SIZE)
        bridge_sent_add (frame->submit_result->message_id.data, kind, session->user,
                         frame->submit_result->case_ref);
    json_t j;
    json_init (&j);
    cli_submit_json (&j, frame, kind);
    web_log ("%s %s", kind, rc == 0? "accepted": "refused");
    samhand_frame_destroy (&frame);
    s_json (reply, 200, &j);
}

static void
s_concern (const web_form_t *form, const web_session_t *session, web_reply_t *reply)
{
    Samhand__V1__Submit submit = SAMHAND__V1__SUBMIT__INIT;
    Samhand__V1__ConcernReport concern = SAMHAND__V1__CONCERN_REPORT__INIT;
    Samhand__V1__Subject subject;
    s_subject (form, &subject);
    int urgency = samhand_urgency_from_name (form_get (form, "urgency"));
    if (urgency <= 0) {
        s_fail (reply, 400, "MISSING_FIELD", "urgency");
        return;
    }
    const char *names [MAX_LIST];
    size_t n = form_all (form, "violence", names, MAX_LIST);
    Samhand__V1__Violence violence [MAX_LIST];
    for (size_t i = 0; i < n; i++) {
        int v = samhand_violence_from_name (names [i]);
        if (v <= 0) {
            s_fail (reply, 400, "INVALID_FIELD", "violence");
            return;
        }
        violence [i] = (Samhand__V1__Violence) v;
    }
    concern.subject = s_subject_empty (&subject)? NULL: &subject;
    concern.text = (char *) form_get (form, "text");
    concern.urgency = (Samhand__V1__Urgency) urgency;
    concern.violence = violence;
    concern.n_violence = n;
    concern.children_involved = s_flag (form, "children");
    concern.subject_informed = s_flag (form, "informed");
    concern.not_informed_reason = (char *) form_get (form, "not_informed_reason");
    submit.body_case = SAMHAND__V1__SUBMIT__BODY_CONCERN;
    submit.concern = &concern;
    s_submit (&submit, "concern_report", session, reply);
}

static void
s_discussion (const web_form_t *form, const web_session_t *session, web_reply_t *reply)
{
    Samhand__V1__Submit submit = SAMHAND__V1__SUBMIT__INIT;
    Samhand__V1__CaseDiscussion d = SAMHAND__V1__CASE_DISCUSSION__INIT;
    d.text = (char *) form_get (form, "text");
    d.question = (char *) form_get (form, "question");
    submit.body_case = SAMHAND__V1__SUBMIT__BODY_DISCUSSION;
    submit.discussion = &d;
    s_submit (&submit, "case_discussion", session, reply);
}

static void
s_risk (const web_form_t *form, const web_session_t *session, web_reply_t *reply)
{
    Samhand__V1__Submit submit = SAMHAND__V1__SUBMIT__INIT;
    Samhand__V1__RiskChange r = SAMHAND__V1__RISK_CHANGE__INIT;
    Samhand__V1__Subject subject;
    s_subject (form, &subject);
    int level = samhand_risk_level_from_name (form_get (form, "level"));
    if (level <= 0) {
        s_fail (reply, 400, "MISSING_FIELD", "level");
        return;
    }
    const char *names [MAX_LIST];
    size_t n = form_all (form, "measures", names, MAX_LIST);
    Samhand__V1__Measure measures [MAX_LIST];
    for (size_t i = 0; i < n; i++) {
        int m = samhand_measure_from_name (names [i]);
        if (m <= 0) {
            s_fail (reply, 400, "INVALID_FIELD", "measures");
            return;
        }
        measures [i] = (Samhand__V1__Measure) m;
    }
    //  Risk factors: one per line of the text area.
    char *factors_text = strdup (form_get (form, "risk_factors"));
    char *factors [MAX_LIST];
    size_t nf = 0;
    for (char *save = NULL, *line = factors_text? strtok_r (factors_text, "\r\n", &save): NULL;
         line && nf < MAX_LIST; line = strtok_r (NULL, "\r\n", &save))
        if (*line)
            factors [nf++] = line;
    r.case_ref = (char *) form_get (form, "case_ref");
    r.subject = s_subject_empty (&subject)? NULL: &subject;
    r.instrument = (char *) form_get (form, "instrument");
    r.level = (Samhand__V1__RiskLevel) level;
    r.imminent = s_flag (form, "imminent");
    r.serious_physical_harm = s_flag (form, "serious");
    r.risk_factors = factors;
    r.n_risk_factors = nf;
    r.measures = measures;
    r.n_measures = n;
    r.review_by = (char *) form_get (form, "review_by");
    r.text = (char *) form_get (form, "text");
    submit.body_case = SAMHAND__V1__SUBMIT__BODY_RISK_CHANGE;
    submit.risk_change = &r;
    s_submit (&submit, "risk_change", session, reply);
    free (factors_text);
}

static void
s_weekly (const web_form_t *form, const web_session_t *session, web_reply_t *reply)
{
    Samhand__V1__Submit submit = SAMHAND__V1__SUBMIT__INIT;
    Samhand__V1__CaseStatus status = SAMHAND__V1__CASE_STATUS__INIT;
    status.case_ref = (char *) form_get (form, "case_ref");
    status.text = (char *) form_get (form, "text");
    submit.body_case = SAMHAND__V1__SUBMIT__BODY_CASE_STATUS;
    submit.case_status = &status;
    s_submit (&submit, "case_status", session, reply);
}

//  ---------------------------------------------------------------- inbox

//  The case reference a delivery is about, or "".
static const char *
s_item_ref (const Samhand__V1__Deliver *d)
{
    switch (d->body_case) {
        case SAMHAND__V1__DELIVER__BODY_CONCERN: return d->concern->case_ref;
        case SAMHAND__V1__DELIVER__BODY_RISK_CHANGE: return d->risk_change->case_ref;
        case SAMHAND__V1__DELIVER__BODY_CASE_STATUS: return d->case_status->case_ref;
        case SAMHAND__V1__DELIVER__BODY_CONSENT_NOTICE: return d->consent_notice->case_ref;
        case SAMHAND__V1__DELIVER__BODY_ALERT: return d->alert->case_ref;
        default: return "";
    }
}

//  {"items":[...]} of everything (read ones marked), or only those about
//  case reference REF when REF is not NULL.
static void
s_inbox (const char *ref, web_reply_t *reply)
{
    samhand_client_t *c = bridge_lock ();
    Samhand__V1__Frame *all = samhand_client_inbox (c, true, 0, WEB_BROKER_WAIT_MS);
    Samhand__V1__Frame *unread = all? samhand_client_inbox (c, false, 0, WEB_BROKER_WAIT_MS): NULL;
    bridge_unlock ();
    if (!all || !unread) {
        samhand_frame_destroy (&all);
        samhand_frame_destroy (&unread);
        s_no_answer (reply);
        return;
    }
    if (s_broker_error (reply, all) || s_broker_error (reply, unread)) {
        samhand_frame_destroy (&all);
        samhand_frame_destroy (&unread);
        return;
    }
    const Samhand__V1__InboxReply *a = all->inbox_reply, *u = unread->inbox_reply;
    json_t j;
    json_init (&j);
    json_object_begin (&j, NULL);
    json_array_begin (&j, "items");
    for (size_t i = 0; a && i < a->n_items; i++) {
        const Samhand__V1__Deliver *d = a->items [i];
        if (ref && strcmp (s_item_ref (d)? s_item_ref (d): "", ref))
            continue;
        bool read = true;
        for (size_t k = 0; u && k < u->n_items; k++)
            if (u->items [k]->delivery_id == d->delivery_id)
                read = false;
        cli_inbox_item_json (&j, d, read);
    }
    json_array_end (&j);
    if (ref) {
        //  What this agency sent about the case, as remembered here.
        char ids [64][33], kinds [64][24], authors [64][WEB_NAME_MAX + 1], refs [64][40];
        size_t n = bridge_sent_list (ids, kinds, authors, refs, 64);
        json_array_begin (&j, "sent");
        for (size_t i = 0; i < n; i++)
            if (strcmp (refs [i], ref) == 0) {
                json_object_begin (&j, NULL);
                json_str (&j, "message_id", ids [i]);
                json_str (&j, "kind", kinds [i]);
                json_str (&j, "author", authors [i]);
                json_object_end (&j);
            }
        json_array_end (&j);
    }
    json_object_end (&j);
    samhand_frame_destroy (&all);
    samhand_frame_destroy (&unread);
    s_json (reply, 200, &j);
}

static void
s_read (const web_form_t *form, web_reply_t *reply)
{
    char *end = NULL;
    const char *text = form_get (form, "delivery_id");
    unsigned long long id = strtoull (text, &end, 10);
    if (!*text || *end || id == 0) {
        s_fail (reply, 400, "INVALID_FIELD", "delivery_id");
        return;
    }
    uint64_t ids [1] = { id };
    int codes [1] = { 0 };
    samhand_client_t *c = bridge_lock ();
    int rc = samhand_client_receipts (c, ids, 1, SAMHAND__V1__RECEIPT_STATE__READ,
                                      WEB_BROKER_WAIT_MS, codes);
    bridge_unlock ();
    if (rc) {
        s_no_answer (reply);
        return;
    }
    if (codes [0]) {
        s_fail (reply, 422, samhand_error_code_name (codes [0]), NULL);
        return;
    }
    json_t j;
    json_init (&j);
    json_object_begin (&j, NULL);
    json_bool (&j, "ok", true);
    json_object_end (&j);
    s_json (reply, 200, &j);
}

//  ---------------------------------------------------------------- sent

static void
s_sent (web_reply_t *reply)
{
    enum { MAX = 40 };
    char ids [MAX][33], kinds [MAX][24], authors [MAX][WEB_NAME_MAX + 1], refs [MAX][40];
    size_t n = bridge_sent_list (ids, kinds, authors, refs, MAX);
    //  {"messages":[{"author","case_ref","kind","status":{status --json}}]}
    char *out = NULL;
    size_t size = 0;
    FILE *f = open_memstream (&out, &size);
    if (!f) {
        s_fail (reply, 500, "INTERNAL", NULL);
        return;
    }
    fputs ("{\"messages\":[", f);
    for (size_t i = 0; i < n; i++) {
        uint8_t id [SAMHAND_MESSAGE_ID_SIZE];
        size_t len = 0;
        if (sodium_hex2bin (id, sizeof id, ids [i], 32, NULL, &len, NULL) || len != sizeof id)
            continue;
        samhand_client_t *c = bridge_lock ();
        Samhand__V1__Frame *frame = samhand_client_status (c, id, len, WEB_BROKER_WAIT_MS);
        bridge_unlock ();
        json_t j;
        json_init (&j);
        json_object_begin (&j, NULL);
        json_str (&j, "message_id", ids [i]);
        json_str (&j, "author", authors [i]);
        json_str (&j, "kind", kinds [i]);
        json_str_opt (&j, "case_ref", strcmp (refs [i], "-")? refs [i]: "");
        json_str (&j, "answer", !frame? "no_answer": samhand_reply_error (frame)? "unknown": "ok");
        json_object_end (&j);
        json_t st;
        json_init (&st);
        if (frame && frame->command_case == SAMHAND__V1__FRAME__COMMAND_STATUS_REPORT
        &&  !samhand_reply_error (frame))
            cli_status_json (&st, frame->status_report, NULL);
        const char *head = json_text (&j), *body = json_text (&st);
        if (head) {
            fprintf (f, "%s%.*s", i? ",": "", (int) strlen (head) - 1, head);
            fprintf (f, ",\"status\":%s}", body && *body? body: "null");
        }
        json_free (&j);
        json_free (&st);
        samhand_frame_destroy (&frame);
    }
    fputs ("]}", f);
    if (fclose (f)) {
        free (out);
        s_fail (reply, 500, "INTERNAL", NULL);
        return;
    }
    reply->status = 200;
    reply->body = out;
}

//  ---------------------------------------------------------------- consent

static void
s_consent_reply (Samhand__V1__Frame *frame, web_reply_t *reply)
{
    if (!frame) {
        s_no_answer (reply);
        return;
    }
    if (!s_broker_error (reply, frame)) {
        const Samhand__V1__ConsentReply *r =
            frame->command_case == SAMHAND__V1__FRAME__COMMAND_CONSENT_REPLY?
            frame->consent_reply: NULL;
        json_t j;
        json_init (&j);
        json_object_begin (&j, NULL);
        json_bool (&j, "ok", r && r->ok);
        json_uint (&j, "redecided", r? r->redecided: 0);
        json_array_begin (&j, "consents");
        for (size_t i = 0; r && i < r->n_consents; i++)
            cli_consent_json (&j, r->consents [i]);
        json_array_end (&j);
        json_object_end (&j);
        s_json (reply, 200, &j);
    }
    samhand_frame_destroy (&frame);
}

static void
s_consent_grant (const web_form_t *form, web_reply_t *reply)
{
    Samhand__V1__ConsentGrant g = SAMHAND__V1__CONSENT_GRANT__INIT;
    Samhand__V1__Subject subject;
    s_subject (form, &subject);
    const char *names [MAX_LIST];
    Samhand__V1__Agency agencies [MAX_LIST];
    Samhand__V1__DataClass classes [MAX_LIST];
    size_t na = form_all (form, "agencies", names, MAX_LIST);
    for (size_t i = 0; i < na; i++) {
        int a = samhand_agency_from_name (names [i]);
        if (a <= 0) {
            s_fail (reply, 400, "INVALID_FIELD", "agencies");
            return;
        }
        agencies [i] = (Samhand__V1__Agency) a;
    }
    size_t nc = form_all (form, "classes", names, MAX_LIST);
    for (size_t i = 0; i < nc; i++) {
        int c = samhand_data_class_from_name (names [i]);
        if (c <= 0) {
            s_fail (reply, 400, "INVALID_FIELD", "classes");
            return;
        }
        classes [i] = (Samhand__V1__DataClass) c;
    }
    const char *purposes [MAX_LIST];
    size_t np = form_all (form, "purposes", purposes, MAX_LIST);
    int form_kind = samhand_consent_form_from_name (form_get (form, "form"));
    int64_t from = *form_get (form, "valid_from")? s_date (form_get (form, "valid_from"), 0): 0;
    int64_t until = s_date (form_get (form, "valid_until"), 1);
    if (from < 0 || until <= 0) {
        s_fail (reply, 400, "INVALID_FIELD", from < 0? "valid_from": "valid_until");
        return;
    }
    if (form_kind <= 0) {
        s_fail (reply, 400, "MISSING_FIELD", "form");
        return;
    }
    g.subject = &subject;
    g.agencies = agencies;
    g.n_agencies = na;
    g.classes = classes;
    g.n_classes = nc;
    g.purposes = (char **) purposes;
    g.n_purposes = np;
    g.valid_from = from;
    g.valid_until = until;
    g.form = (Samhand__V1__ConsentForm) form_kind;
    samhand_client_t *c = bridge_lock ();
    Samhand__V1__Frame *frame = samhand_client_consent_grant (c, &g, WEB_BROKER_WAIT_MS);
    bridge_unlock ();
    web_log ("consent grant %s", frame && !samhand_reply_error (frame)? "recorded": "refused");
    s_consent_reply (frame, reply);
}

static void
s_consent_withdraw (const web_form_t *form, web_reply_t *reply)
{
    samhand_client_t *c = bridge_lock ();
    Samhand__V1__Frame *frame = samhand_client_consent_withdraw (c, form_get (form, "consent_id"),
                                                                 WEB_BROKER_WAIT_MS);
    bridge_unlock ();
    web_log ("consent withdraw %s", frame && !samhand_reply_error (frame)? "recorded": "refused");
    s_consent_reply (frame, reply);
}

static void
s_consent_list (const web_form_t *form, web_reply_t *reply)
{
    Samhand__V1__Subject subject;
    s_subject (form, &subject);
    samhand_client_t *c = bridge_lock ();
    Samhand__V1__Frame *frame = samhand_client_consent_query (c, &subject, WEB_BROKER_WAIT_MS);
    bridge_unlock ();
    s_consent_reply (frame, reply);
}


//  ---------------------------------------------------------------- plan

//  Plan answers are `samhand plan history --json`'s (cli_plan_reply_json),
//  with the plan in this agency's view (the broker cut it).

//  The PlanReply frame for CASE_REF (history too), or NULL with REPLY
//  filled (no answer, or the broker's refusal).
static Samhand__V1__Frame *
s_plan_query (const char *case_ref, bool history, web_reply_t *reply)
{
    samhand_client_t *c = bridge_lock ();
    Samhand__V1__Frame *frame = samhand_client_plan_query (c, case_ref, 0, history,
                                                           WEB_BROKER_WAIT_MS);
    bridge_unlock ();
    if (!frame) {
        s_no_answer (reply);
        return NULL;
    }
    if (s_broker_error (reply, frame)) {
        samhand_frame_destroy (&frame);
        return NULL;
    }
    if (frame->command_case != SAMHAND__V1__FRAME__COMMAND_PLAN_REPLY || !frame->plan_reply->ok) {
        s_fail (reply, 422, "NOT_FOUND", NULL);
        samhand_frame_destroy (&frame);
        return NULL;
    }
    return frame;
}

static void
s_plan (const web_form_t *form, web_reply_t *reply)
{
    const char *ref = form_get (form, "case_ref");
    if (!*ref) {
        s_fail (reply, 400, "MISSING_FIELD", "case_ref");
        return;
    }
    Samhand__V1__Frame *frame = s_plan_query (ref, true, reply);
    if (!frame)
        return;
    json_t j;
    json_init (&j);
    cli_plan_reply_json (&j, frame->plan_reply, true);
    samhand_frame_destroy (&frame);
    s_json (reply, 200, &j);
}

//  The page's edit applied to a copy of the current revision, sent as a
//  whole new revision made from the revision the page showed ("base"):
//  when someone saved in between, the broker refuses it with
//  REVISION_CONFLICT. The form holds level, imminent, measures added and
//  removed, next evaluation and a note as fields, and in "parts" (JSON,
//  `plan edit --file`'s shapes, read by cli_plan_parts_read) each list
//  part the page changed, whole: risk situations, risk factors, steps,
//  follow-up, contacts, critical information. A part the page did not
//  send stays as the current revision has it.
typedef struct {
    Samhand__V1__Measure measures [MAX_LIST];
    Samhand__V1__Subject subject;
    cli_plan_parts_t *parts;
    jsonr_t *tree;
} plan_edit_t;

static const char *
s_plan_apply (const web_form_t *form, plan_edit_t *e, Samhand__V1__RiskPlan *plan)
{
    const char *level = form_get (form, "level");
    if (*level) {
        int v = samhand_risk_level_from_name (level);
        if (v <= 0)
            return "level";
        plan->level = (Samhand__V1__RiskLevel) v;
    }
    const char *imminent = form_get (form, "imminent");
    if (*imminent) {
        if (strcmp (imminent, "yes") && strcmp (imminent, "no"))
            return "imminent";
        plan->imminent = strcmp (imminent, "yes") == 0;
    }
    //  Never a silent cut: a plan longer than the edit can hold is refused.
    if (plan->n_measures > MAX_LIST)
        return "measures";
    size_t nm = 0;
    for (size_t i = 0; i < plan->n_measures && nm < MAX_LIST; i++)
        e->measures [nm++] = plan->measures [i];
    const char *names [MAX_LIST];
    size_t n = form_all (form, "remove_measure", names, MAX_LIST);
    for (size_t i = 0; i < n; i++) {
        int m = samhand_measure_from_name (names [i]);
        if (m <= 0)
            return "remove_measure";
        size_t kept = 0;
        for (size_t k = 0; k < nm; k++)
            if ((int) e->measures [k] != m)
                e->measures [kept++] = e->measures [k];
        nm = kept;
    }
    n = form_all (form, "add_measure", names, MAX_LIST);
    for (size_t i = 0; i < n; i++) {
        int m = samhand_measure_from_name (names [i]);
        if (m <= 0)
            return "add_measure";
        bool have = false;
        for (size_t k = 0; k < nm; k++)
            have = have || (int) e->measures [k] == m;
        if (!have && nm < MAX_LIST)
            e->measures [nm++] = (Samhand__V1__Measure) m;
    }
    plan->measures = e->measures;
    plan->n_measures = nm;
    const char *parts = form_get (form, "parts");
    if (*parts) {
        char err [160];
        e->tree = jsonr_parse (parts, strlen (parts), err, sizeof err);
        e->parts = e->tree? cli_plan_parts_new (): NULL;
        if (!e->parts || cli_plan_parts_read (e->parts, e->tree, plan))
            return "parts";
    }
    const char *next = form_get (form, "next_evaluation");
    if (*next) {
        if (s_date (next, 0) < 0)
            return "next_evaluation";
        plan->next_evaluation = (char *) next;
    }
    plan->note = (char *) form_get (form, "note");
    return NULL;
}

static void
s_plan_edit (const web_form_t *form, const web_session_t *session, web_reply_t *reply)
{
    const char *ref = form_get (form, "case_ref");
    const char *base_text = form_get (form, "base");
    char *end = NULL;
    unsigned long base = strtoul (base_text, &end, 10);
    if (!*ref || !*base_text || *end || base > UINT32_MAX) {
        s_fail (reply, 400, *ref? "INVALID_FIELD": "MISSING_FIELD", *ref? "base": "case_ref");
        return;
    }
    Samhand__V1__Frame *current = NULL;
    Samhand__V1__RiskPlan fresh = SAMHAND__V1__RISK_PLAN__INIT, *plan = &fresh;
    if (base > 0) {
        current = s_plan_query (ref, false, reply);
        if (!current)
            return;
        //  An edit starts from the whole plan: a partial view would drop
        //  what this agency does not see.
        if (current->plan_reply->view != SAMHAND__V1__VIEW__IDENTIFIED || !current->plan_reply->plan) {
            samhand_frame_destroy (&current);
            s_fail (reply, 403, "NOT_PERMITTED", NULL);
            return;
        }
        plan = current->plan_reply->plan;
    }
    //  The reply's own pointers, put back before the frame is freed.
    Samhand__V1__RiskPlan saved = *plan;
    plan_edit_t *e = calloc (1, sizeof *e);
    //  A first revision may name the person the plan is for (the paper
    //  form's "Planen gjelder for"); later ones keep the plan's own.
    if (e && base == 0) {
        s_subject (form, &e->subject);
        if (!s_subject_empty (&e->subject))
            plan->subject = &e->subject;
    }
    const char *bad = e? s_plan_apply (form, e, plan): "internal";
    if (!bad && !plan->level)
        bad = "level";
    if (bad) {
        s_fail (reply, 400, "INVALID_FIELD", bad);
    }
    else {
        plan->case_ref = (char *) ref;
        cli_plan_broker_fields_clear (plan, (uint32_t) base);
        Samhand__V1__Submit submit = SAMHAND__V1__SUBMIT__INIT;
        submit.body_case = SAMHAND__V1__SUBMIT__BODY_RISK_PLAN;
        submit.risk_plan = plan;
        s_submit (&submit, "risk_plan", session, reply);
    }
    *plan = saved;
    samhand_frame_destroy (&current);
    if (e) {
        cli_plan_parts_destroy (&e->parts);
        jsonr_free (&e->tree);
    }
    free (e);
}

static void
s_plan_evaluate (const web_form_t *form, web_reply_t *reply)
{
    const char *ref = form_get (form, "case_ref");
    const char *note = form_get (form, "note");
    const char *next = form_get (form, "next");
    if (!*ref || !*note) {
        s_fail (reply, 400, "MISSING_FIELD", *ref? "note": "case_ref");
        return;
    }
    if (*next && s_date (next, 0) < 0) {
        s_fail (reply, 400, "INVALID_FIELD", "next");
        return;
    }
    samhand_client_t *c = bridge_lock ();
    Samhand__V1__Frame *frame = samhand_client_plan_evaluate (c, ref, note, *next? next: NULL,
                                                              WEB_BROKER_WAIT_MS);
    bridge_unlock ();
    if (!frame) {
        s_no_answer (reply);
        return;
    }
    if (!s_broker_error (reply, frame)) {
        const Samhand__V1__PlanReply *r =
            frame->command_case == SAMHAND__V1__FRAME__COMMAND_PLAN_REPLY? frame->plan_reply: NULL;
        if (!r || !r->ok)
            s_fail (reply, 422, "NOT_FOUND", NULL);
        else {
            json_t j;
            json_init (&j);
            json_object_begin (&j, NULL);
            json_bool (&j, "ok", true);
            json_uint (&j, "revision", r->current_revision);
            json_str_opt (&j, "next_date", r->n_evaluations? r->evaluations [0]->next_date: "");
            json_object_end (&j);
            s_json (reply, 200, &j);
        }
    }
    web_log ("plan evaluate %s", frame && !samhand_reply_error (frame)? "recorded": "refused");
    samhand_frame_destroy (&frame);
}

//  ---------------------------------------------------------------- admin

//  The broker's nodes: connected or not, how many deliveries wait.
static void
s_broker_status (web_reply_t *reply)
{
    Samhand__V1__Frame request = SAMHAND__V1__FRAME__INIT;
    Samhand__V1__BrokerStatusQuery query = SAMHAND__V1__BROKER_STATUS_QUERY__INIT;
    request.command_case = SAMHAND__V1__FRAME__COMMAND_BROKER_STATUS_QUERY;
    request.broker_status_query = &query;
    samhand_client_t *c = bridge_lock ();
    Samhand__V1__Frame *frame = samhand_client_request (c, &request, WEB_BROKER_WAIT_MS);
    bridge_unlock ();
    if (!frame) {
        s_no_answer (reply);
        return;
    }
    if (!s_broker_error (reply, frame)) {
        const Samhand__V1__BrokerStatus *st =
            frame->command_case == SAMHAND__V1__FRAME__COMMAND_BROKER_STATUS? frame->broker_status: NULL;
        if (!st || !st->ok)
            s_fail (reply, 422, "NOT_PERMITTED", NULL);
        else {
            char when [32];
            json_t j;
            json_init (&j);
            json_object_begin (&j, NULL);
            json_str (&j, "now", cli_time_iso (st->now_ms, when, sizeof when));
            json_uint (&j, "dead_letters", st->dead_letters);
            json_array_begin (&j, "nodes");
            for (size_t i = 0; i < st->n_nodes; i++) {
                const Samhand__V1__BrokerNode *n = st->nodes [i];
                json_object_begin (&j, NULL);
                json_str (&j, "node", n->node);
                json_bool (&j, "connected", n->connected);
                json_str_opt (&j, "last_seen", n->last_seen_ms?
                              cli_time_iso (n->last_seen_ms, when, sizeof when): "");
                json_uint (&j, "pending", n->pending);
                json_int (&j, "oldest_pending_age_s",
                          n->oldest_pending_ms && st->now_ms > n->oldest_pending_ms
                          ? (st->now_ms - n->oldest_pending_ms) / 1000: 0);
                json_object_end (&j);
            }
            json_array_end (&j);
            json_object_end (&j);
            s_json (reply, 200, &j);
        }
    }
    samhand_frame_destroy (&frame);
}

static void
s_audit (const char *query, const web_form_t *form, web_reply_t *reply)
{
    Samhand__V1__AuditQuery q = SAMHAND__V1__AUDIT_QUERY__INIT;
    Samhand__V1__Subject subject;
    s_subject (form, &subject);
    q.query = (char *) query;
    q.case_ref = (char *) form_get (form, "case_ref");
    if (!s_subject_empty (&subject))
        q.subject = &subject;
    samhand_client_t *c = bridge_lock ();
    Samhand__V1__Frame *frame = samhand_client_audit (c, &q, WEB_BROKER_WAIT_MS);
    bridge_unlock ();
    if (!frame) {
        s_no_answer (reply);
        return;
    }
    if (!s_broker_error (reply, frame)) {
        const Samhand__V1__AuditReply *r = frame->audit_reply;
        json_t j;
        json_init (&j);
        json_object_begin (&j, NULL);
        json_bool (&j, "intact", r && r->intact);
        json_uint (&j, "records", r? r->records: 0);
        json_str_opt (&j, "problem", r? r->problem: "");
        json_array_begin (&j, "entries");
        for (size_t i = 0; r && i < r->n_entries; i++)
            cli_audit_json (&j, r->entries [i], true);     //  with the sender
        json_array_end (&j);
        json_object_end (&j);
        s_json (reply, 200, &j);
    }
    samhand_frame_destroy (&frame);
}

static void
s_dead_letters (const char *command, uint64_t id, web_reply_t *reply)
{
    samhand_client_t *c = bridge_lock ();
    Samhand__V1__Frame *frame = samhand_client_admin (c, command, id, WEB_BROKER_WAIT_MS);
    bridge_unlock ();
    if (!frame) {
        s_no_answer (reply);
        return;
    }
    if (!s_broker_error (reply, frame)) {
        const Samhand__V1__AdminReply *r = frame->admin_reply;
        json_t j;
        json_init (&j);
        json_object_begin (&j, NULL);
        json_bool (&j, "ok", r && r->ok);
        json_array_begin (&j, "dead_letters");
        for (size_t i = 0; r && i < r->n_dead_letters; i++)
            cli_dead_letter_json (&j, r->dead_letters [i]);
        json_array_end (&j);
        json_object_end (&j);
        s_json (reply, 200, &j);
    }
    samhand_frame_destroy (&frame);
}

//  ---------------------------------------------------------------- dispatch

static void
s_me (const web_session_t *session, const web_node_t *node, web_reply_t *reply)
{
    json_t j;
    json_init (&j);
    json_object_begin (&j, NULL);
    json_str (&j, "user", session->user);
    json_str (&j, "role", session->role);
    json_str (&j, "node", node->node);
    json_str (&j, "agency", node->agency);
    json_str (&j, "node_role", node->role);
    json_str (&j, "csrf", session->csrf);
    json_int (&j, "idle_seconds", sessions_idle_seconds ());
    json_array_begin (&j, "may");
    static const char *actions [] = { "concern", "discussion", "risk", "consent", "weekly",
                                      "read", "admin", "plan", "plan_read", NULL };
    for (int i = 0; actions [i]; i++)
        if (web_role_may (session->role, actions [i]))
            json_str (&j, NULL, actions [i]);
    json_array_end (&j);
    json_object_end (&j);
    s_json (reply, 200, &j);
}

//  Action table: path, method, the action a role needs (NULL: any).
typedef enum { A_ME, A_CONCERN, A_DISCUSSION, A_RISK, A_WEEKLY, A_INBOX, A_CASE, A_READ,
               A_SENT, A_GRANT, A_WITHDRAW, A_CONSENTS, A_DEAD, A_REQUEUE, A_WHO,
               A_VERIFY, A_PLAN, A_PLAN_EDIT, A_PLAN_EVALUATE, A_STATUS } action_t;
static const struct {
    const char *path;
    bool post;
    const char *needs;
    action_t action;
} s_routes [] = {
    { "me", false, NULL, A_ME },
    { "concern", true, "concern", A_CONCERN },
    { "discussion", true, "discussion", A_DISCUSSION },
    { "risk", true, "risk", A_RISK },
    { "weekly", true, "weekly", A_WEEKLY },
    { "inbox", false, "read", A_INBOX },
    { "case", true, "read", A_CASE },
    { "read", true, "read", A_READ },
    { "sent", false, NULL, A_SENT },
    { "consent/grant", true, "consent", A_GRANT },
    { "consent/withdraw", true, "consent", A_WITHDRAW },
    { "consent/list", true, "consent", A_CONSENTS },
    { "admin/dead-letters", false, "admin", A_DEAD },
    { "admin/requeue", true, "admin", A_REQUEUE },
    { "admin/who-received", true, "admin", A_WHO },
    { "admin/verify", false, "admin", A_VERIFY },
    { "admin/status", false, "admin", A_STATUS },
    { "plan", true, "plan_read", A_PLAN },
    { "plan/edit", true, "plan", A_PLAN_EDIT },
    { "plan/evaluate", true, "plan", A_PLAN_EVALUATE },
    { NULL, false, NULL, A_ME }
};

void
api_handle (const char *path, bool post, const web_session_t *session,
            const web_form_t *form, const web_node_t *node, web_reply_t *reply)
{
    reply->status = 500;
    reply->body = NULL;
    int route = -1;
    for (int i = 0; s_routes [i].path; i++)
        if (strcmp (s_routes [i].path, path) == 0)
            route = i;
    if (route < 0) {
        s_fail (reply, 404, "NOT_FOUND", NULL);
        return;
    }
    if (s_routes [route].post != post) {
        s_fail (reply, 405, "METHOD", NULL);
        return;
    }
    if (s_routes [route].needs && !web_role_may (session->role, s_routes [route].needs)) {
        web_log ("refused /api/%s to role %s", path, session->role);
        s_fail (reply, 403, "NOT_PERMITTED", NULL);
        return;
    }
    switch (s_routes [route].action) {
        case A_ME:         s_me (session, node, reply); break;
        case A_CONCERN:    s_concern (form, session, reply); break;
        case A_DISCUSSION: s_discussion (form, session, reply); break;
        case A_RISK:       s_risk (form, session, reply); break;
        case A_WEEKLY:     s_weekly (form, session, reply); break;
        case A_INBOX:      s_inbox (NULL, reply); break;
        case A_CASE:       s_inbox (form_get (form, "case_ref"), reply); break;
        case A_READ:       s_read (form, reply); break;
        case A_SENT:       s_sent (reply); break;
        case A_GRANT:      s_consent_grant (form, reply); break;
        case A_WITHDRAW:   s_consent_withdraw (form, reply); break;
        case A_CONSENTS:   s_consent_list (form, reply); break;
        case A_DEAD:       s_dead_letters ("dead-letters", 0, reply); break;
        case A_REQUEUE:    s_dead_letters ("requeue", strtoull (form_get (form, "delivery_id"),
                                                                NULL, 10), reply); break;
        case A_WHO:        s_audit ("who-received", form, reply); break;
        case A_VERIFY:     s_audit ("verify", form, reply); break;
        case A_PLAN:       s_plan (form, reply); break;
        case A_PLAN_EDIT:  s_plan_edit (form, session, reply); break;
        case A_PLAN_EVALUATE: s_plan_evaluate (form, reply); break;
        case A_STATUS:     s_broker_status (reply); break;
    }
}
