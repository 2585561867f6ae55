/*  print — submit results, deliveries and consent records, as JSON for
    programs and as short plain text for a person at the duty phone.
    Everything another agency wrote goes through cli_print_safe.          */
#include "cli.h"
#include <czmq.h>
#include <time.h>

#define ANSI_ACUTE  "\033[1;37;41m"
#define ANSI_BOLD   "\033[1m"
#define ANSI_RESET  "\033[0m"

//  ---------------------------------------------------------------- submit

void
cli_error_json (json_t *j, const Samhand__V1__Error *error)
{
    json_object_begin (j, "error");
    json_str (j, "code", samhand_error_code_name (error->code));
    json_str_opt (j, "text", error->text);
    if (error->n_findings) {
        json_array_begin (j, "findings");
        for (size_t i = 0; i < error->n_findings; i++) {
            const Samhand__V1__Finding *f = error->findings [i];
            json_object_begin (j, NULL);
            json_str_opt (j, "kind", f->kind);
            json_str_opt (j, "field", f->field);
            json_uint (j, "offset", f->offset);
            json_uint (j, "length", f->length);
            json_object_end (j);
        }
        json_array_end (j);
    }
    json_object_end (j);
}

void
cli_submit_json (json_t *j, const Samhand__V1__Frame *reply, const char *kind)
{
    const Samhand__V1__SubmitResult *result =
        reply->command_case == SAMHAND__V1__FRAME__COMMAND_SUBMIT_RESULT?
        reply->submit_result: NULL;
    const Samhand__V1__Error *error = samhand_reply_error (reply);
    json_object_begin (j, NULL);
    if (result && result->message_id.len)
        json_hex (j, "message_id", result->message_id.data, result->message_id.len);
    else
    if (error && error->message_id.len)
        json_hex (j, "message_id", error->message_id.data, error->message_id.len);
    json_str (j, "kind", kind);
    json_bool (j, "accepted", result && result->accepted);
    json_bool (j, "duplicate", result && result->duplicate);
    if (result)
        json_str_opt (j, "case_ref", result->case_ref);
    json_array_begin (j, "decisions");
    for (size_t i = 0; result && i < result->n_decisions; i++) {
        const Samhand__V1__AgencyDecision *d = result->decisions [i];
        json_object_begin (j, NULL);
        json_str (j, "agency", samhand_agency_name (d->agency));
        json_str (j, "view", samhand_view_name (d->view));
        json_str (j, "rule", d->rule);
        json_str (j, "legal_basis", d->legal_basis);
        json_str (j, "reason", d->reason);
        json_uint (j, "nodes", d->nodes);
        json_str_opt (j, "warning", d->warning);
        json_object_end (j);
    }
    json_array_end (j);
    if (error && !(result && result->accepted))
        cli_error_json (j, error);
    json_object_end (j);
}

static int
s_width (const char *text, int min)
{
    int len = (int) strlen (text);
    return len > min? len: min;
}

int
cli_print_submit (const Samhand__V1__Frame *reply, const char *kind, bool json)
{
    return cli_print_submit_texts (reply, kind, json, NULL, NULL);
}

int
cli_print_submit_texts (const Samhand__V1__Frame *reply, const char *kind, bool json,
                        const char *text, const char *question)
{
    const Samhand__V1__SubmitResult *result =
        reply->command_case == SAMHAND__V1__FRAME__COMMAND_SUBMIT_RESULT?
        reply->submit_result: NULL;
    bool accepted = result && result->accepted;
    if (json) {
        json_t j;
        json_init (&j);
        cli_submit_json (&j, reply, kind);
        const char *text = json_text (&j);
        if (text)
            printf ("%s\n", text);
        json_free (&j);
    }
    else
    if (accepted) {
        char hex [2 * SAMHAND_MESSAGE_ID_SIZE + 1] = "";
        if (result->message_id.len == SAMHAND_MESSAGE_ID_SIZE)
            samhand_hex (result->message_id.data, result->message_id.len, hex);
        printf ("accepted  %s %s  (%s)\n", kind, hex,
                result->duplicate? "already stored: this was a repeat, nothing doubled"
                                 : "stored");
        if (result->case_ref && *result->case_ref) {
            printf ("case ref: ");
            cli_print_safe (stdout, result->case_ref, "");
            printf ("\n");
        }
        int wa = 6, wv = 4, wr = 4;
        for (size_t i = 0; i < result->n_decisions; i++) {
            const Samhand__V1__AgencyDecision *d = result->decisions [i];
            wa = s_width (samhand_agency_name (d->agency), wa);
            wv = s_width (samhand_view_name (d->view), wv);
            wr = s_width (d->rule, wr);
        }
        for (size_t i = 0; i < result->n_decisions; i++) {
            const Samhand__V1__AgencyDecision *d = result->decisions [i];
            printf ("%-*s  %-*s  %-*s  ", wa, samhand_agency_name (d->agency),
                    wv, samhand_view_name (d->view), wr, d->rule);
            cli_print_safe (stdout, d->reason, "    ");
            if (d->nodes == 0 && d->view != SAMHAND__V1__VIEW__WITHHELD)
                printf ("  (nothing queued for this agency)");
            printf ("\n");
        }
        if (result->n_decisions == 0)
            printf ("(no recipients)\n");
    }
    fflush (stdout);
    //  Decided for an agency that nobody of will get: said plainly, also
    //  with --json (where it is in "warning" too).
    for (size_t i = 0; accepted && i < result->n_decisions; i++)
        if (result->decisions [i]->warning && *result->decisions [i]->warning) {
            fprintf (stderr, "samhand: warning: ");
            cli_print_safe (stderr, result->decisions [i]->warning, "  ");
            fprintf (stderr, "\n");
        }
    return accepted? EXIT_OK: cli_refused_texts (kind, reply, text, question);
}

//  ---------------------------------------------------------------- deliver

static void
s_subject_json (json_t *j, const Samhand__V1__Subject *s)
{
    if (!s || !((s->name && *s->name) || (s->national_id && *s->national_id)
             || (s->birth_date && *s->birth_date) || (s->phone && *s->phone)
             || (s->address && *s->address)))
        return;
    json_object_begin (j, "subject");
    json_str_opt (j, "name", s->name);
    json_str_opt (j, "national_id", s->national_id);
    json_str_opt (j, "birth_date", s->birth_date);
    json_str_opt (j, "phone", s->phone);
    json_str_opt (j, "address", s->address);
    json_object_end (j);
}

char *
cli_time_iso (int64_t unix_ms, char *out, size_t size)
{
    time_t t = (time_t) (unix_ms / 1000);
    struct tm tm;
    if (!unix_ms || !gmtime_r (&t, &tm) || !strftime (out, size, "%Y-%m-%dT%H:%M:%SZ", &tm))
        snprintf (out, size, "%s", "");
    return out;
}

char *
cli_time_local (int64_t unix_ms, const char *format, char *out, size_t size)
{
    time_t t = (time_t) (unix_ms / 1000);
    struct tm tm;
    if (!unix_ms || !localtime_r (&t, &tm) || !strftime (out, size, format, &tm))
        snprintf (out, size, "%s", "");
    return out;
}

static void s_delivery_members (json_t *j, const Samhand__V1__Deliver *d);

void
cli_delivery_json (json_t *j, const Samhand__V1__Deliver *d)
{
    json_object_begin (j, NULL);
    s_delivery_members (j, d);
    json_object_end (j);
}

void
cli_inbox_item_json (json_t *j, const Samhand__V1__Deliver *d, bool read)
{
    json_object_begin (j, NULL);
    s_delivery_members (j, d);
    if (read)
        json_bool (j, "read", true);
    json_object_end (j);
}

static void
s_delivery_members (json_t *j, const Samhand__V1__Deliver *d)
{
    json_uint (j, "delivery_id", d->delivery_id);
    json_hex (j, "message_id", d->message_id.data, d->message_id.len);
    json_str (j, "kind", samhand_kind_name (d->kind));
    json_str_opt (j, "sender_node", d->sender_node);
    json_str_opt (j, "sender_agency", samhand_agency_name (d->sender_agency));
    json_str (j, "view", samhand_view_name (d->view));
    json_str_opt (j, "rule", d->rule);
    json_str_opt (j, "legal_basis", d->legal_basis);
    json_str_opt (j, "reason", d->reason);
    if (d->submitted_at) {
        char when [32];
        cli_time_iso (d->submitted_at, when, sizeof when);
        json_str_opt (j, "submitted_at", when);
    }
    json_uint (j, "attempt", d->attempt);
    json_bool (j, "acute", d->acute);
    switch (d->body_case) {
        case SAMHAND__V1__DELIVER__BODY_CONCERN: {
            const Samhand__V1__ConcernReport *c = d->concern;
            s_subject_json (j, c->subject);
            json_str_opt (j, "case_ref", c->case_ref);
            json_str_opt (j, "text", c->text);
            json_str_opt (j, "urgency", samhand_urgency_name (c->urgency));
            if (c->n_violence) {
                json_array_begin (j, "violence");
                for (size_t i = 0; i < c->n_violence; i++)
                    json_str (j, NULL, samhand_violence_name (c->violence [i]));
                json_array_end (j);
            }
            if (c->children_involved)
                json_bool (j, "children_involved", true);
            //  Whether the person was told is the point of the field, so
            //  false is shown, not omitted.
            json_bool (j, "subject_informed", c->subject_informed);
            json_str_opt (j, "not_informed_reason", c->not_informed_reason);
            break;
        }
        case SAMHAND__V1__DELIVER__BODY_RISK_CHANGE: {
            const Samhand__V1__RiskChange *r = d->risk_change;
            s_subject_json (j, r->subject);
            json_str_opt (j, "case_ref", r->case_ref);
            json_str_opt (j, "instrument", r->instrument);
            json_str_opt (j, "level", samhand_risk_level_name (r->level));
            if (r->imminent)
                json_bool (j, "imminent", true);
            if (r->serious_physical_harm)
                json_bool (j, "serious_physical_harm", true);
            if (r->n_risk_factors) {
                json_array_begin (j, "risk_factors");
                for (size_t i = 0; i < r->n_risk_factors; i++)
                    json_str (j, NULL, r->risk_factors [i]);
                json_array_end (j);
            }
            if (r->n_measures) {
                json_array_begin (j, "measures");
                for (size_t i = 0; i < r->n_measures; i++)
                    json_str (j, NULL, samhand_measure_name (r->measures [i]));
                json_array_end (j);
            }
            json_str_opt (j, "review_by", r->review_by);
            json_str_opt (j, "text", r->text);
            break;
        }
        case SAMHAND__V1__DELIVER__BODY_DISCUSSION:
            json_str_opt (j, "text", d->discussion->text);
            json_str_opt (j, "question", d->discussion->question);
            break;
        case SAMHAND__V1__DELIVER__BODY_CASE_STATUS:
            json_str_opt (j, "case_ref", d->case_status->case_ref);
            json_str_opt (j, "text", d->case_status->text);
            break;
        case SAMHAND__V1__DELIVER__BODY_RISK_PLAN:
            cli_plan_json (j, "risk_plan", d->risk_plan);
            break;
        case SAMHAND__V1__DELIVER__BODY_CONSENT_NOTICE: {
            const Samhand__V1__ConsentNotice *n = d->consent_notice;
            json_object_begin (j, "consent_notice");
            json_str_opt (j, "consent_id", n->consent_id);
            json_bool (j, "withdrawn", n->withdrawn);
            json_str_opt (j, "case_ref", n->case_ref);
            json_str_opt (j, "text", n->text);
            json_object_end (j);
            break;
        }
        case SAMHAND__V1__DELIVER__BODY_ALERT: {
            const Samhand__V1__Alert *a = d->alert;
            json_object_begin (j, "alert");
            json_str_opt (j, "type", a->type);
            json_str_opt (j, "text", a->text);
            json_str_opt (j, "case_ref", a->case_ref);
            if (a->message_id.len)
                json_hex (j, "message_id", a->message_id.data, a->message_id.len);
            json_bool (j, "acute", a->acute);
            json_object_end (j);
            break;
        }
        default:
            break;
    }
}

//  "  label     value" with the value made safe; skipped when empty.
static void
s_line (FILE *out, const char *label, const char *value)
{
    if (!value || !*value)
        return;
    fprintf (out, "  %-10s", label);
    cli_print_safe (out, value, "            ");
    fputc ('\n', out);
}

static void
s_subject_text (FILE *out, const Samhand__V1__Subject *s)
{
    if (!s)
        return;
    s_line (out, "name", s->name);
    s_line (out, "id", s->national_id);
    s_line (out, "born", s->birth_date);
    s_line (out, "phone", s->phone);
    s_line (out, "address", s->address);
}

void
cli_delivery_text (FILE *out, const Samhand__V1__Deliver *d, bool colour)
{
    if (d->acute)
        fprintf (out, "%s!!! ACUTE - act now !!!%s\n", colour? ANSI_ACUTE: "",
                 colour? ANSI_RESET: "");
    char when [32] = "";
    if (d->submitted_at) {
        time_t t = (time_t) (d->submitted_at / 1000);
        struct tm tm;
        if (localtime_r (&t, &tm))
            strftime (when, sizeof when, "%Y-%m-%d %H:%M", &tm);
    }
    fprintf (out, "%s%s%s from ", colour? ANSI_BOLD: "", samhand_kind_name (d->kind),
             colour? ANSI_RESET: "");
    cli_print_safe (out, d->sender_node && *d->sender_node? d->sender_node: "the broker", "");
    if (d->sender_agency)
        fprintf (out, " (%s)", samhand_agency_name (d->sender_agency));
    fprintf (out, "  %s  #%" PRIu64 "%s\n", when, d->delivery_id,
             d->attempt > 1? "  (sent again)": "");
    fprintf (out, "  %-10s%s  %s", "you see", samhand_view_name (d->view),
             d->rule? d->rule: "");
    if (d->legal_basis && *d->legal_basis) {
        fprintf (out, "  ");
        cli_print_safe (out, d->legal_basis, "");
    }
    fputc ('\n', out);
    s_line (out, "why", d->reason);
    switch (d->body_case) {
        case SAMHAND__V1__DELIVER__BODY_CONCERN: {
            const Samhand__V1__ConcernReport *c = d->concern;
            s_subject_text (out, c->subject);
            s_line (out, "case ref", c->case_ref);
            s_line (out, "urgency", samhand_urgency_name (c->urgency));
            if (c->n_violence) {
                fprintf (out, "  %-10s", "violence");
                for (size_t i = 0; i < c->n_violence; i++)
                    fprintf (out, "%s%s", i? ", ": "", samhand_violence_name (c->violence [i]));
                fputc ('\n', out);
            }
            if (c->children_involved)
                s_line (out, "children", "involved");
            if (c->subject_informed)
                s_line (out, "told", "yes, the person knows of this report");
            else {
                fprintf (out, "  %-10sno", "told");
                if (c->not_informed_reason && *c->not_informed_reason) {
                    fprintf (out, ": ");
                    cli_print_safe (out, c->not_informed_reason, "            ");
                }
                fputc ('\n', out);
            }
            s_line (out, "text", c->text);
            break;
        }
        case SAMHAND__V1__DELIVER__BODY_RISK_CHANGE: {
            const Samhand__V1__RiskChange *r = d->risk_change;
            s_subject_text (out, r->subject);
            s_line (out, "case ref", r->case_ref);
            if (r->level)
                fprintf (out, "  %-10s%s%s%s%s\n", "risk", samhand_risk_level_name (r->level),
                         r->instrument && *r->instrument? " (": "",
                         r->instrument && *r->instrument? r->instrument: "",
                         r->instrument && *r->instrument? ")": "");
            if (r->imminent || r->serious_physical_harm)
                fprintf (out, "  %-10s%s%s%s\n", "danger", r->imminent? "imminent": "",
                         r->imminent && r->serious_physical_harm? ", ": "",
                         r->serious_physical_harm? "serious physical harm": "");
            for (size_t i = 0; i < r->n_risk_factors; i++)
                s_line (out, i? "": "factors", r->risk_factors [i]);
            if (r->n_measures) {
                fprintf (out, "  %-10s", "measures");
                for (size_t i = 0; i < r->n_measures; i++)
                    fprintf (out, "%s%s", i? ", ": "", samhand_measure_name (r->measures [i]));
                fputc ('\n', out);
            }
            s_line (out, "review by", r->review_by);
            s_line (out, "text", r->text);
            break;
        }
        case SAMHAND__V1__DELIVER__BODY_DISCUSSION:
            s_line (out, "question", d->discussion->question);
            s_line (out, "text", d->discussion->text);
            break;
        case SAMHAND__V1__DELIVER__BODY_CASE_STATUS:
            s_line (out, "case ref", d->case_status->case_ref);
            s_line (out, "text", d->case_status->text);
            break;
        case SAMHAND__V1__DELIVER__BODY_RISK_PLAN:
            cli_plan_text (out, d->risk_plan);
            break;
        case SAMHAND__V1__DELIVER__BODY_CONSENT_NOTICE: {
            const Samhand__V1__ConsentNotice *n = d->consent_notice;
            s_line (out, "consent", n->consent_id);
            s_line (out, "status", n->withdrawn? "WITHDRAWN": "granted");
            s_line (out, "case ref", n->case_ref);
            s_line (out, "text", n->text);
            break;
        }
        case SAMHAND__V1__DELIVER__BODY_ALERT: {
            const Samhand__V1__Alert *a = d->alert;
            s_line (out, "alert", a->type);
            s_line (out, "case ref", a->case_ref);
            if (a->message_id.len && a->message_id.len <= 64) {
                char hex [129];
                s_line (out, "message", samhand_hex (a->message_id.data, a->message_id.len, hex));
            }
            s_line (out, "text", a->text);
            break;
        }
        default:
            if (d->view == SAMHAND__V1__VIEW__WITHHELD)
                s_line (out, "content", "withheld from your agency");
            break;
    }
    fputc ('\n', out);
}

//  ---------------------------------------------------------------- consent

void
cli_consent_json (json_t *j, const Samhand__V1__ConsentRecord *r)
{
    json_object_begin (j, NULL);
    json_str (j, "consent_id", r->consent_id);
    json_array_begin (j, "agencies");
    for (size_t i = 0; i < r->n_agencies; i++)
        json_str (j, NULL, samhand_agency_name (r->agencies [i]));
    json_array_end (j);
    json_array_begin (j, "purposes");
    for (size_t i = 0; i < r->n_purposes; i++)
        json_str (j, NULL, r->purposes [i]);
    json_array_end (j);
    json_array_begin (j, "classes");
    for (size_t i = 0; i < r->n_classes; i++)
        json_str (j, NULL, samhand_data_class_name (r->classes [i]));
    json_array_end (j);
    //  Unix seconds on the wire; RFC 3339 UTC in JSON, as every other time.
    char when [32];
    json_str_opt (j, "valid_from", cli_time_iso (r->valid_from * 1000, when, sizeof when));
    json_str_opt (j, "valid_until", cli_time_iso (r->valid_until * 1000, when, sizeof when));
    json_str_opt (j, "form", samhand_consent_form_name (r->form));
    json_str_opt (j, "capacity_assessed_by", r->capacity_assessed_by);
    json_str_opt (j, "capacity_assessed_at",
                  cli_time_iso (r->capacity_assessed_at * 1000, when, sizeof when));
    json_str_opt (j, "recorded_by", r->recorded_by);
    json_str_opt (j, "recorded_at", cli_time_iso (r->recorded_at * 1000, when, sizeof when));
    json_str_opt (j, "withdrawn_at", cli_time_iso (r->withdrawn_at * 1000, when, sizeof when));
    json_str_opt (j, "case_ref", r->case_ref);
    json_object_end (j);
}

static void
s_date (FILE *out, int64_t unix_s)
{
    time_t t = (time_t) unix_s;
    struct tm tm;
    char text [32] = "?";
    if (localtime_r (&t, &tm))
        strftime (text, sizeof text, "%Y-%m-%d %H:%M", &tm);
    fputs (text, out);
}

//  A consent granted --until a day ends at the next local midnight: show
//  the day people typed.
static void
s_until (FILE *out, int64_t unix_s)
{
    time_t t = (time_t) unix_s;
    struct tm tm;
    if (localtime_r (&t, &tm) && tm.tm_hour == 0 && tm.tm_min == 0 && tm.tm_sec == 0) {
        t -= 1;
        char day [16];
        if (localtime_r (&t, &tm) && strftime (day, sizeof day, "%Y-%m-%d", &tm)) {
            fprintf (out, " to the end of %s", day);
            return;
        }
    }
    fputs (" to ", out);
    s_date (out, unix_s);
}

void
cli_consent_text (FILE *out, const Samhand__V1__ConsentRecord *r)
{
    cli_print_safe (out, r->consent_id, "");
    fprintf (out, "  %s\n", r->withdrawn_at? "WITHDRAWN": "in force");
    fprintf (out, "  %-10s", "to");
    for (size_t i = 0; i < r->n_agencies; i++)
        fprintf (out, "%s%s", i? ", ": "", samhand_agency_name (r->agencies [i]));
    fprintf (out, "\n  %-10s", "purposes");
    for (size_t i = 0; i < r->n_purposes; i++) {
        fputs (i? ", ": "", out);
        cli_print_safe (out, r->purposes [i], "");
    }
    fprintf (out, "\n  %-10s", "data");
    for (size_t i = 0; i < r->n_classes; i++)
        fprintf (out, "%s%s", i? ", ": "", samhand_data_class_name (r->classes [i]));
    fprintf (out, "\n  %-10s", "valid");
    s_date (out, r->valid_from);
    s_until (out, r->valid_until);
    fputc ('\n', out);
    s_line (out, "form", samhand_consent_form_name (r->form));
    s_line (out, "capacity", r->capacity_assessed_by);
    s_line (out, "recorded", r->recorded_by);
    if (r->withdrawn_at) {
        fprintf (out, "  %-10s", "withdrawn");
        s_date (out, r->withdrawn_at);
        fputc ('\n', out);
    }
    s_line (out, "case ref", r->case_ref);
}
