/*  plan — the shared risk management plan. See plan.h.                   */
#include "plan.h"
#include "submit.h"
#include "notice.h"
#include "redact.h"
#include "retention.h"

#define MAX_CONSENTS  32
#define DAY_MS        (86400LL * 1000)
#define MONTH_MS      (30 * DAY_MS)

static const char *agency_prefix [5] = { NULL, "RC", "TE", "PR", "KS" };

//  ---------------------------------------------------------------------
//  Small helpers

static void
s_set_string (char **field, const char *value)
{
    char *copy = strdup (value? value: "");
    if (!copy)
        return;         //  the old value stays; plan_prepare checks the result
    if (*field && *field != protobuf_c_empty_string)
        free (*field);
    *field = copy;
}

//  "YYYY-MM-DD" falls due at the end of that day (UTC), a full
//  "YYYY-MM-DDTHH:MM:SSZ" at that moment (frame.c checked the form).
static int64_t
s_due_ms (const char *text)
{
    int y, m, d, hh = 0, mm = 0, ss = 0;
    size_t len = strlen (text);
    if (len == 10 && sscanf (text, "%4d-%2d-%2d", &y, &m, &d) == 3) {
        struct tm tm = { .tm_year = y - 1900, .tm_mon = m - 1, .tm_mday = d };
        return ((int64_t) timegm (&tm) + 86400) * 1000;
    }
    if (len == 20 && sscanf (text, "%4d-%2d-%2dT%2d:%2d:%2dZ", &y, &m, &d, &hh, &mm, &ss) == 6) {
        struct tm tm = { .tm_year = y - 1900, .tm_mon = m - 1, .tm_mday = d,
                         .tm_hour = hh, .tm_min = mm, .tm_sec = ss };
        return (int64_t) timegm (&tm) * 1000;
    }
    return -1;
}

static void
s_date (int64_t ms, char out [16])
{
    time_t t = (time_t) (ms / 1000);
    struct tm tm;
    gmtime_r (&t, &tm);
    strftime (out, 16, "%Y-%m-%d", &tm);
}

static const char *
s_enum_name (const ProtobufCEnumDescriptor *desc, int value)
{
    const ProtobufCEnumValue *v = protobuf_c_enum_descriptor_get_value (desc, value);
    return v? v->name: "?";
}

//  A text passes when submit_text_clean finds nothing in it: the broker's
//  one identifier check (submit.c), asked about one text at a time.
static bool
s_text_clean (handler_ctx_t *self, const node_t *sender, const char *text)
{
    if (!text || !*text)
        return true;
    Samhand__V1__Submit probe = SAMHAND__V1__SUBMIT__INIT;
    Samhand__V1__CaseStatus status = SAMHAND__V1__CASE_STATUS__INIT;
    status.text = (char *) text;
    probe.body_case = SAMHAND__V1__SUBMIT__BODY_CASE_STATUS;
    probe.case_status = &status;
    return submit_text_clean (self, sender, &probe);
}

//  A text passes the check against one person's name alone (the plan's
//  own subject, which the author's agency learns only once the revision
//  is stored). own NULL: nothing to check.
static bool
s_clean_of (handler_ctx_t *self, const scan_known_t *own, const char *text)
{
    if (!own || !text || !*text)
        return true;
    const char *texts [1] = { text };
    size_t lens [1] = { strlen (text) };
    scan_ctx_t ctx = { .known = own, .lex = self->names };
    scan_finding_t found [1];
    return scanner_scan_fields (&ctx, texts, lens, 1, found, 1) == 0;
}

void
plan_rescan_steps (handler_ctx_t *self, const node_t *author, Samhand__V1__Submit *submit)
{
    assert (self && author && submit);
    if (submit->body_case != SAMHAND__V1__SUBMIT__BODY_RISK_PLAN || !submit->risk_plan)
        return;
    Samhand__V1__RiskPlan *plan = submit->risk_plan;
    for (size_t i = 0; i < plan->n_steps; i++) {
        Samhand__V1__PlanStep *step = plan->steps [i];
        step->text_clean = step->text_clean && s_text_clean (self, author, step->situation)
                        && s_text_clean (self, author, step->action);
    }
}

//  Opens a revision's stored Submit. NULL when purged or unreadable; else
//  the caller frees it with samhand__v1__submit__free_unpacked.
static Samhand__V1__Submit *
s_open_revision (handler_ctx_t *self, int64_t message, char sender_node [64], int *sender_agency)
{
    uint8_t message_id [16], *sealed = NULL, *plain = NULL;
    size_t sealed_size = 0, plain_size = 0;
    int found = store_plan_payload (self->store, message, message_id, &sealed, &sealed_size,
                                    sender_node, sender_agency);
    if (found != 1 || !sealed) {
        free (sealed);
        return NULL;
    }
    Samhand__V1__Submit *submit = NULL;
    if (crypto_open (keys_ring (self->keys), message_id, 16, sealed, sealed_size,
                     &plain, &plain_size) == 0) {
        submit = samhand__v1__submit__unpack (NULL, plain_size, plain);
        crypto_cleanse (plain, plain_size);
        free (plain);
    }
    free (sealed);
    if (submit && submit->body_case != SAMHAND__V1__SUBMIT__BODY_RISK_PLAN) {
        samhand__v1__submit__free_unpacked (submit, NULL);
        submit = NULL;
    }
    return submit;
}

//  ---------------------------------------------------------------------
//  A new revision

static bool
s_has_measure (const Samhand__V1__RiskPlan *plan, int measure)
{
    for (size_t i = 0; i < plan->n_measures; i++)
        if ((int) plan->measures [i] == measure)
            return true;
    return false;
}

static void
s_append (char *out, size_t size, const char *format, ...)
{
    size_t len = strlen (out);
    if (len >= size - 1)
        return;
    if (len)
        len += (size_t) snprintf (out + len, size - len, "; ");
    if (len >= size - 1)
        return;
    va_list args;
    va_start (args, format);
    vsnprintf (out + len, size - len, format, args);
    va_end (args);
}

//  What changed from OLD (NULL: a new plan) to NEW, in words that name
//  levels, measures and counts, never a text of the plan. Returns whether
//  the change is significant: the level raised, imminent risk set, or a
//  measure added or removed.
static bool
s_changes (const Samhand__V1__RiskPlan *old, const Samhand__V1__RiskPlan *new_,
           char *out, size_t size)
{
    const ProtobufCEnumDescriptor *levels = &samhand__v1__risk_level__descriptor;
    const ProtobufCEnumDescriptor *measures = &samhand__v1__measure__descriptor;
    bool significant = false;
    out [0] = 0;
    if (!old) {
        s_append (out, size, "new plan, level %s", s_enum_name (levels, new_->level));
        for (size_t i = 0; i < new_->n_measures; i++)
            s_append (out, size, "measure %s", s_enum_name (measures, new_->measures [i]));
        if (new_->imminent)
            s_append (out, size, "imminent risk");
        return new_->imminent || new_->n_measures > 0
            || new_->level == SAMHAND__V1__RISK_LEVEL__HIGH;
    }
    if (new_->level != old->level) {
        s_append (out, size, "level %s -> %s", s_enum_name (levels, old->level),
                  s_enum_name (levels, new_->level));
        significant |= new_->level > old->level;
    }
    if (new_->imminent != old->imminent) {
        s_append (out, size, new_->imminent? "imminent risk set": "imminent risk lifted");
        significant |= new_->imminent;
    }
    for (size_t i = 0; i < new_->n_measures; i++)
        if (!s_has_measure (old, new_->measures [i])) {
            s_append (out, size, "measure added %s", s_enum_name (measures, new_->measures [i]));
            significant = true;
        }
    for (size_t i = 0; i < old->n_measures; i++)
        if (!s_has_measure (new_, old->measures [i])) {
            s_append (out, size, "measure removed %s", s_enum_name (measures, old->measures [i]));
            significant = true;
        }
    if (new_->n_steps != old->n_steps)
        s_append (out, size, "steps %zu -> %zu", old->n_steps, new_->n_steps);
    if (new_->n_risk_situations != old->n_risk_situations
    ||  new_->n_risk_factors != old->n_risk_factors)
        s_append (out, size, "risk situations/factors %zu/%zu -> %zu/%zu",
                  old->n_risk_situations, old->n_risk_factors,
                  new_->n_risk_situations, new_->n_risk_factors);
    if (new_->n_contacts != old->n_contacts)
        s_append (out, size, "contact points %zu -> %zu", old->n_contacts, new_->n_contacts);
    if (new_->n_follow_up != old->n_follow_up)
        s_append (out, size, "follow-up entries %zu -> %zu", old->n_follow_up, new_->n_follow_up);
    if (strcmp (new_->critical_info, old->critical_info))
        s_append (out, size, "critical information changed");
    if (strcmp (new_->next_evaluation, old->next_evaluation))
        s_append (out, size, "next evaluation %s", *new_->next_evaluation? new_->next_evaluation
                                                                       : "cleared");
    if (!*out)
        s_append (out, size, "texts edited");
    return significant;
}

int
plan_prepare (handler_ctx_t *self, const node_t *sender, Samhand__V1__Submit *submit,
              const uint8_t *subject_key, char *err, size_t errlen)
{
    assert (submit->body_case == SAMHAND__V1__SUBMIT__BODY_RISK_PLAN);
    Samhand__V1__RiskPlan *plan = submit->risk_plan;
    //  One plan per person, kept by the resource centre (POLICY.md §12). A
    //  revision from another agency's coordinator replaced it: the resource
    //  centre's own queries were then decided as a plan from that agency,
    //  and a crisis-centre node's name went into the history all are shown.
    if (sender->agency != SAMHAND__V1__AGENCY__RESOURCE_CENTRE) {
        zsys_warning ("plan: revision from %s refused: not a node of the resource centre",
                      sender->name);
        snprintf (err, errlen, "only the resource centre keeps the risk management plan");
        return SAMHAND__V1__ERROR_CODE__NOT_PERMITTED;
    }
    if (!subject_key) {
        snprintf (err, errlen, "a risk plan needs a case reference or a subject naming the person");
        return SAMHAND__V1__ERROR_CODE__MISSING_FIELD;
    }
    if (*plan->primary_contact) {
        const node_t *contact = nodes_by_name (self->nodes, plan->primary_contact);
        if (!contact || contact->agency != SAMHAND__V1__AGENCY__RESOURCE_CENTRE
        ||  contact->role == POLICY_ROLE_ADMIN) {
            snprintf (err, errlen, "field primary_contact must name a node of the resource centre");
            return SAMHAND__V1__ERROR_CODE__INVALID_FIELD;
        }
    }
    store_plan_rev_t current;
    int found = store_plan_current (self->store, subject_key, &current);
    if (found < 0) {
        snprintf (err, errlen, "the plan store is unavailable: retry");
        return SAMHAND__V1__ERROR_CODE__INTERNAL;
    }
    int at = found? current.revision: 0;
    if ((int) plan->base_revision != at) {
        snprintf (err, errlen, "the plan is at revision %d and this edit was based on revision %u:"
                  " show the current plan, make the edit on it and send again", at,
                  plan->base_revision);
        return SAMHAND__V1__ERROR_CODE__REVISION_CONFLICT;
    }
    Samhand__V1__Submit *previous = NULL;
    if (found) {
        char sender_node [64];
        int sender_agency;
        previous = s_open_revision (self, current.message, sender_node, &sender_agency);
    }
    char changes [256];
    bool significant = s_changes (previous? previous->risk_plan: NULL, plan,
                                  changes, sizeof changes);
    if (found && !previous)
        //  Past retention: compared with nothing, as a new plan.
        s_append (changes, sizeof changes, "previous revision purged");
    samhand__v1__submit__free_unpacked (previous, NULL);
    plan->revision = (uint32_t) at + 1;
    plan->edited_at = self->now_ms;
    plan->significant = significant;
    s_set_string (&plan->edited_by, sender->name);
    s_set_string (&plan->changes, changes);
    if (strcmp (plan->edited_by, sender->name) || strcmp (plan->changes, changes)) {
        snprintf (err, errlen, "out of memory");
        return SAMHAND__V1__ERROR_CODE__INTERNAL;
    }
    //  A step may travel pseudonymised (to the agency responsible for it)
    //  only when its texts passed the identifier check: against the names
    //  the agency knows and, since it learns the plan's own subject only
    //  once the revision is stored, against her name too ("hent Zorbeta").
    scan_known_t *own = NULL;
    bool own_failed = false;
    if (plan->subject && *plan->subject->name) {
        own = scan_known_new (keys_scanner_secret (self->keys));
        own_failed = !own;
        if (own)
            scan_known_add_name (own, plan->subject->name, strlen (plan->subject->name));
    }
    for (size_t i = 0; i < plan->n_steps; i++) {
        Samhand__V1__PlanStep *step = plan->steps [i];
        step->text_clean = !own_failed
                        && s_text_clean (self, sender, step->situation)
                        && s_text_clean (self, sender, step->action)
                        && s_clean_of (self, own, step->situation)
                        && s_clean_of (self, own, step->action);
    }
    scan_known_destroy (&own);
    return 0;
}

static int
s_set_timers (handler_ctx_t *self, int64_t message, const Samhand__V1__RiskPlan *plan,
              const uint8_t subject_key [32])
{
    store_t *store = self->store;
    int64_t due = *plan->next_evaluation? s_due_ms (plan->next_evaluation): -1;
    int rc = 0;
    if (due > 0)
        rc |= store_timer_set (store, PLAN_TIMER_REVIEW, subject_key, 32, message, due, 0);
    else {
        //  "Evaluated at least monthly": a plan without a date gets one.
        int exists = store_timer_exists (store, PLAN_TIMER_REVIEW, subject_key, 32);
        if (exists == 0)
            rc |= store_timer_set (store, PLAN_TIMER_REVIEW, subject_key, 32, message,
                                   self->now_ms + MONTH_MS, 0);
        rc |= exists < 0;
    }
    //  "Status at least weekly": a plan edit is not a status report, so an
    //  existing weekly timer keeps its time (a case status moves it).
    int exists = store_timer_exists (store, PLAN_TIMER_STATUS, subject_key, 32);
    if (exists == 0)
        rc |= store_timer_set (store, PLAN_TIMER_STATUS, subject_key, 32, message,
                               self->now_ms + self->config->status_every_ms,
                               self->config->status_every_ms);
    rc |= exists < 0;
    return rc? -1: 0;
}

int
plan_stored (handler_ctx_t *self, int64_t message, const Samhand__V1__Submit *submit,
             const uint8_t subject_key [32])
{
    const Samhand__V1__RiskPlan *plan = submit->risk_plan;
    store_plan_rev_t rev;
    memset (&rev, 0, sizeof rev);
    rev.revision = (int) plan->revision;
    rev.base = (int) plan->base_revision;
    rev.message = message;
    snprintf (rev.edited_by, sizeof rev.edited_by, "%s", plan->edited_by);
    rev.edited_at = plan->edited_at;
    rev.significant = plan->significant;
    snprintf (rev.changes, sizeof rev.changes, "%s", plan->changes);
    if (store_plan_revision_insert (self->store, subject_key, &rev)
    ||  s_set_timers (self, message, plan, subject_key))
        return -1;
    char detail [400];
    snprintf (detail, sizeof detail, "revision %d on %d%s: %s", rev.revision, rev.base,
              rev.significant? ", significant": "", rev.changes);
    audit_record_t record = { .event = "plan_revision", .message_id = submit->message_id.data,
                              .sender = plan->edited_by, .subject_key = subject_key,
                              .detail = detail };
    return audit_append (self->audit, &record, self->now_ms);
}

//  ---------------------------------------------------------------------
//  Queries

typedef struct {
    handler_ctx_t *self;
    const node_t *node;
    zframe_t *routing_id;
    const Samhand__V1__Frame *frame;
    uint8_t subject_key [32];
    char case_ref [CRYPTO_CASE_REF_LEN];
} query_t;

static void
s_error (query_t *q, int code, const char *text)
{
    zsys_warning ("plan: %s from %s refused: %s", q->frame->command_case
                  == SAMHAND__V1__FRAME__COMMAND_PLAN_QUERY? "query": "evaluation",
                  q->node->name, text);
    Samhand__V1__Frame reply = SAMHAND__V1__FRAME__INIT;
    Samhand__V1__PlanReply body = SAMHAND__V1__PLAN_REPLY__INIT;
    Samhand__V1__Error error = SAMHAND__V1__ERROR__INIT;
    error.code = (Samhand__V1__ErrorCode) code;
    error.text = (char *) text;
    body.error = &error;
    reply.request_id = q->frame->request_id;
    reply.command_case = SAMHAND__V1__FRAME__COMMAND_PLAN_REPLY;
    reply.plan_reply = &body;
    size_t size;
    uint8_t *data = frame_encode (&reply, &size);
    replies_add (q->self->replies, q->routing_id, data, size, false, q->frame->request_id);
}

static void
s_send (query_t *q, Samhand__V1__PlanReply *body)
{
    Samhand__V1__Frame reply = SAMHAND__V1__FRAME__INIT;
    body->ok = true;
    body->case_ref = q->case_ref;
    reply.request_id = q->frame->request_id;
    reply.command_case = SAMHAND__V1__FRAME__COMMAND_PLAN_REPLY;
    reply.plan_reply = body;
    size_t size;
    uint8_t *data = frame_encode (&reply, &size);
    //  It goes out after the commit: the audit record of what was shown
    //  must be on disk before anything is shown.
    replies_add (q->self->replies, q->routing_id, data, size, true, q->frame->request_id);
}

//  The asking node's case, by its agency's reference. 0, or refused.
static int
s_resolve (query_t *q, const char *case_ref)
{
    if (q->node->agency < 1 || q->node->agency > 4 || q->node->role == POLICY_ROLE_ADMIN) {
        s_error (q, SAMHAND__V1__ERROR_CODE__NOT_PERMITTED,
                 "only case workers of an agency may see a risk plan");
        return -1;
    }
    int found = registry_case_ref_get (q->self->registry, q->node->agency, case_ref,
                                       q->subject_key);
    if (found != 1) {
        s_error (q, found < 0? SAMHAND__V1__ERROR_CODE__INTERNAL: SAMHAND__V1__ERROR_CODE__NOT_FOUND,
                 found < 0? "the broker cannot look the case up now: retry"
                          : "unknown case reference for your agency");
        return -1;
    }
    snprintf (q->case_ref, sizeof q->case_ref, "%s", case_ref);
    return 0;
}

static int
s_consents (handler_ctx_t *self, const uint8_t subject_key [32], registry_consent_t *raw,
            policy_consent_t *out)
{
    int n = registry_consents_for (self->registry, subject_key, raw, MAX_CONSENTS);
    for (int i = 0; i < n; i++) {
        memset (&out [i], 0, sizeof out [i]);
        out [i].agencies = raw [i].agencies;
        out [i].classes = raw [i].classes;
        out [i].purposes = raw [i].purposes;
        out [i].n_purposes = raw [i].n_purposes;
        out [i].valid_from = raw [i].valid_from;
        out [i].valid_until = raw [i].valid_until;
        out [i].withdrawn_at = raw [i].withdrawn_at;
        out [i].consent_id = raw [i].id;
    }
    return n;
}

typedef struct {
    Samhand__V1__PlanRevision *items;
    Samhand__V1__PlanRevision **list;
    size_t count, max;
    bool with_changes;
    uint32_t keep;              //  the classes the asking agency may see
    bool pseudonymised;
    bool cut;                   //  not within the agency: redact_plan_changes
} revs_t;

static int
s_collect_rev (const store_plan_rev_t *rev, void *arg)
{
    revs_t *r = (revs_t *) arg;
    if (r->count >= r->max)
        return 1;
    Samhand__V1__PlanRevision *item = &r->items [r->count];
    samhand__v1__plan_revision__init (item);
    item->revision = (uint32_t) rev->revision;
    item->base_revision = (uint32_t) rev->base;
    item->edited_by = strdup (rev->edited_by);
    item->edited_at = rev->edited_at;
    item->significant = rev->significant;
    item->changes = strdup (r->with_changes? rev->changes: "");
    item->purged = rev->purged;
    if (!item->edited_by || !item->changes) {
        free (item->edited_by);
        free (item->changes);
        return 1;
    }
    //  Its counts of parts only to those who may see the parts.
    if (r->cut)
        redact_plan_changes (item->changes, r->keep, r->pseudonymised);
    r->list [r->count++] = item;
    return 0;
}

typedef struct {
    handler_ctx_t *self;
    Samhand__V1__PlanEvaluation *items;
    Samhand__V1__PlanEvaluation **list;
    size_t count, max;
    bool with_note;
    const uint8_t *subject_key;
} evals_t;

static int
s_collect_eval (const store_plan_eval_t *eval, void *arg)
{
    evals_t *e = (evals_t *) arg;
    if (e->count >= e->max)
        return 1;
    Samhand__V1__PlanEvaluation *item = &e->items [e->count];
    samhand__v1__plan_evaluation__init (item);
    item->evaluated_by = strdup (eval->evaluated_by);
    item->evaluated_at = eval->evaluated_at;
    item->next_date = strdup (eval->next_date);
    item->note = NULL;
    uint8_t *plain = NULL;
    size_t plain_size = 0;
    if (e->with_note && eval->note && eval->note_size
    &&  crypto_open (keys_ring (e->self->keys), e->subject_key, 32, eval->note, eval->note_size,
                     &plain, &plain_size) == 0) {
        item->note = strndup ((const char *) plain, plain_size);
        crypto_cleanse (plain, plain_size);
        free (plain);
    }
    else
        item->note = strdup ("");
    if (!item->evaluated_by || !item->next_date || !item->note) {
        free (item->evaluated_by);
        free (item->next_date);
        free (item->note);
        return 1;
    }
    e->list [e->count++] = item;
    return 0;
}

#define MAX_LISTED 64

static void
s_query (query_t *q)
{
    handler_ctx_t *self = q->self;
    const Samhand__V1__PlanQuery *query = q->frame->plan_query;
    if (s_resolve (q, query->case_ref))
        return;
    store_plan_rev_t rev;
    int found = query->revision
              ? store_plan_revision (self->store, q->subject_key, (int) query->revision, &rev)
              : store_plan_current (self->store, q->subject_key, &rev);
    if (found == 0) {
        //  Recorded like a plan withheld from the asking agency: that
        //  write (and its fsync at the commit) made a hidden plan's answer
        //  come 0.4 ms later than this one, so the crisis centre could
        //  time what the same answer text hid (that a plan exists).
        audit_record_t record = { .event = "plan_shown", .node = q->node->name,
                                  .agency = q->node->agency, .view = SAMHAND__V1__VIEW__WITHHELD,
                                  .subject_key = q->subject_key,
                                  .detail = "no such plan revision: nothing shown" };
        if (audit_append (self->audit, &record, self->now_ms)) {
            self->batch_failed = true;
            s_error (q, SAMHAND__V1__ERROR_CODE__INTERNAL, "the broker could not record the query: retry");
            return;
        }
    }
    if (found != 1) {
        s_error (q, found < 0? SAMHAND__V1__ERROR_CODE__INTERNAL: SAMHAND__V1__ERROR_CODE__NOT_FOUND,
                 found < 0? "the plan store is unavailable: retry": "no such plan revision");
        return;
    }
    store_plan_rev_t current = rev;
    if (query->revision && store_plan_current (self->store, q->subject_key, &current) != 1) {
        s_error (q, SAMHAND__V1__ERROR_CODE__INTERNAL, "the plan store is unavailable: retry");
        return;
    }
    char sender_name [64] = "";
    int sender_agency = 0;
    Samhand__V1__Submit *submit = s_open_revision (self, rev.message, sender_name, &sender_agency);
    if (!submit && !rev.purged) {
        //  Not past retention, yet unreadable: a missing key or a damaged
        //  row. Said as it is, never shown as "nothing to see".
        zsys_error ("plan: revision %d of a plan cannot be opened", rev.revision);
        s_error (q, SAMHAND__V1__ERROR_CODE__INTERNAL, "the plan cannot be opened: alert the administrator");
        return;
    }
    //  The view is decided now, for the asking agency, under the consents
    //  in force now: a withdrawn consent takes the identified parts out of
    //  every later answer. The sender is the revision's author as
    //  enrolled (a node since removed counts as its agency's coordinator).
    const node_t *author = nodes_by_name (self->nodes, sender_name);
    node_t stand_in = { .agency = sender_agency, .role = POLICY_ROLE_COORDINATOR };
    snprintf (stand_in.name, sizeof stand_in.name, "%s", sender_name);
    if (!author)
        author = &stand_in;
    policy_decision_t decision;
    memset (&decision, 0, sizeof decision);
    decision.view = SAMHAND__V1__VIEW__WITHHELD;
    decision.rule = "RETENTION";
    decision.legal_basis = "";
    snprintf (decision.reason, sizeof decision.reason, "the revision is past retention");
    Samhand__V1__PlanReply body = SAMHAND__V1__PLAN_REPLY__INIT;
    registry_consent_t raw [MAX_CONSENTS];
    policy_consent_t consents [MAX_CONSENTS];
    int n = s_consents (self, q->subject_key, raw, consents);
    bool hidden = n < 0;                //  fail closed
    if (submit) {
        policy_input_t in;
        submit_policy_input (self, author, submit, SAMHAND__V1__KIND__RISK_PLAN, q->node->agency,
                             consents, n > 0? n: 0, true, &in);
        policy_decide (&in, &decision);
        if (n < 0)
            decision.view = SAMHAND__V1__VIEW__WITHHELD;    //  fail closed
        //  Names the author's agency has learned since the revision count
        //  (for the steps a view keeps; not scanned for a withheld answer,
        //  whose time would otherwise tell it from "no plan").
        if (decision.view != SAMHAND__V1__VIEW__WITHHELD)
            plan_rescan_steps (self, author, submit);
        if (decision.view != SAMHAND__V1__VIEW__WITHHELD
        &&  redact_apply (submit, &decision, q->case_ref) == 0)
            body.plan = submit->risk_plan;
        else
            decision.view = SAMHAND__V1__VIEW__WITHHELD;
        hidden = decision.view == SAMHAND__V1__VIEW__WITHHELD;
    }
    else {
        //  Past retention there is nothing to show, but that a plan exists
        //  (and how many revisions it has) is still the plan's: an agency
        //  that may see nothing of it (the crisis centre without her
        //  consent) was told "ok, past retention". Decided as for an empty
        //  revision by the same author under the consents in force now.
        Samhand__V1__Submit empty = SAMHAND__V1__SUBMIT__INIT;
        Samhand__V1__RiskPlan nothing = SAMHAND__V1__RISK_PLAN__INIT;
        empty.body_case = SAMHAND__V1__SUBMIT__BODY_RISK_PLAN;
        empty.risk_plan = &nothing;
        policy_decision_t probe;
        policy_input_t in;
        submit_policy_input (self, author, &empty, SAMHAND__V1__KIND__RISK_PLAN, q->node->agency,
                             consents, n > 0? n: 0, true, &in);
        policy_decide (&in, &probe);
        hidden |= probe.view == SAMHAND__V1__VIEW__WITHHELD;
    }
    body.view = decision.view;
    body.rule = (char *) decision.rule;
    body.legal_basis = (char *) decision.legal_basis;
    body.reason = decision.reason;
    body.current_revision = (uint32_t) current.revision;
    //  The history and evaluations are shown to those who may see the
    //  plan; what changed names levels and measures, so it goes only with
    //  the risk level class; an evaluation's note is free text.
    Samhand__V1__PlanRevision rev_items [MAX_LISTED], *rev_list [MAX_LISTED];
    Samhand__V1__PlanEvaluation eval_items [MAX_LISTED], *eval_list [MAX_LISTED];
    revs_t revs = { rev_items, rev_list, 0, MAX_LISTED,
                    (decision.classes_allowed & POLICY_CLASS (RISK_LEVEL_CLASS)) != 0,
                    decision.classes_allowed, decision.view == SAMHAND__V1__VIEW__PSEUDONYMISED,
                    decision.view == SAMHAND__V1__VIEW__PSEUDONYMISED || decision.consent_id };
    evals_t evals = { self, eval_items, eval_list, 0, MAX_LISTED,
                      decision.view == SAMHAND__V1__VIEW__IDENTIFIED
                      && (decision.classes_allowed & POLICY_CLASS (FREE_TEXT)), q->subject_key };
    int failed = 0;
    if (query->history && decision.view != SAMHAND__V1__VIEW__WITHHELD && !hidden) {
        failed |= store_plan_revisions (self->store, q->subject_key, s_collect_rev, &revs) < 0;
        failed |= store_plan_evaluations (self->store, q->subject_key, s_collect_eval, &evals) < 0;
        //  The store gives the newest first (so the newest MAX_LISTED are
        //  the ones listed: the oldest were, and past 64 revisions the
        //  history never showed a new one); listed oldest first.
        for (size_t i = 0, k = revs.count? revs.count - 1: 0; i < k; i++, k--) {
            Samhand__V1__PlanRevision *swap = rev_list [i];
            rev_list [i] = rev_list [k];
            rev_list [k] = swap;
        }
        for (size_t i = 0, k = evals.count? evals.count - 1: 0; i < k; i++, k--) {
            Samhand__V1__PlanEvaluation *swap = eval_list [i];
            eval_list [i] = eval_list [k];
            eval_list [k] = swap;
        }
        body.revisions = rev_list;
        body.n_revisions = revs.count;
        body.evaluations = eval_list;
        body.n_evaluations = evals.count;
    }
    //  Shown is disclosed: audited like a delivery, before it goes out.
    char detail [64];
    snprintf (detail, sizeof detail, "plan revision %d shown", rev.revision);
    audit_record_t record = { .event = "plan_shown", .sender = sender_name, .node = q->node->name,
                              .agency = q->node->agency, .view = decision.view,
                              .rule = decision.rule, .basis = decision.legal_basis,
                              .subject_key = q->subject_key, .detail = detail };
    failed |= audit_append (self->audit, &record, self->now_ms) != 0;
    if (failed) {
        self->batch_failed = true;
        s_error (q, SAMHAND__V1__ERROR_CODE__INTERNAL, "the broker could not record the query: retry");
    }
    else
    if (hidden)
        //  An agency that may see nothing of the plan (the crisis centre
        //  without her consent) gets the answer for a person without one:
        //  that a plan exists, and its revision count, are the plan's too.
        s_error (q, SAMHAND__V1__ERROR_CODE__NOT_FOUND, "no such plan revision");
    else
        s_send (q, &body);
    for (size_t i = 0; i < revs.count; i++) {
        free (rev_items [i].edited_by);
        free (rev_items [i].changes);
    }
    for (size_t i = 0; i < evals.count; i++) {
        free (eval_items [i].evaluated_by);
        free (eval_items [i].next_date);
        if (eval_items [i].note)
            crypto_cleanse (eval_items [i].note, strlen (eval_items [i].note));
        free (eval_items [i].note);
    }
    samhand__v1__submit__free_unpacked (submit, NULL);
}

static void
s_evaluate (query_t *q)
{
    handler_ctx_t *self = q->self;
    const Samhand__V1__PlanEvaluate *eval = q->frame->plan_evaluate;
    if (!(self->config->role_kinds [q->node->role] & (1u << SAMHAND__V1__KIND__RISK_PLAN))) {
        s_error (q, SAMHAND__V1__ERROR_CODE__NOT_PERMITTED,
                 "only a role that keeps the plan may record its evaluation");
        return;
    }
    if (q->node->agency != SAMHAND__V1__AGENCY__RESOURCE_CENTRE) {
        s_error (q, SAMHAND__V1__ERROR_CODE__NOT_PERMITTED,
                 "only the resource centre keeps the risk management plan");
        return;
    }
    if (s_resolve (q, eval->case_ref))
        return;
    store_plan_rev_t current;
    int found = store_plan_current (self->store, q->subject_key, &current);
    if (found != 1) {
        s_error (q, found < 0? SAMHAND__V1__ERROR_CODE__INTERNAL: SAMHAND__V1__ERROR_CODE__NOT_FOUND,
                 found < 0? "the plan store is unavailable: retry": "there is no plan for this case");
        return;
    }
    char next [24];
    int64_t due;
    if (*eval->next_date) {
        snprintf (next, sizeof next, "%s", eval->next_date);
        due = s_due_ms (next);
    }
    else {
        //  One month ahead by default ("minimum 1/mnd").
        s_date (self->now_ms + MONTH_MS, next);
        due = s_due_ms (next);
    }
    uint8_t *sealed = NULL;
    size_t sealed_size = 0;
    if (*eval->note
    &&  retention_seal (self, SAMHAND__V1__KIND__RISK_PLAN, q->subject_key, 32,
                        (const uint8_t *) eval->note, strlen (eval->note), &sealed, &sealed_size)) {
        s_error (q, SAMHAND__V1__ERROR_CODE__INTERNAL, "could not seal the note: retry");
        return;
    }
    store_plan_eval_t record_ = { .evaluated_at = self->now_ms, .note = sealed,
                                  .note_size = sealed_size };
    snprintf (record_.evaluated_by, sizeof record_.evaluated_by, "%s", q->node->name);
    snprintf (record_.next_date, sizeof record_.next_date, "%s", next);
    char detail [80];
    snprintf (detail, sizeof detail, "plan evaluated at revision %d; next %s", current.revision, next);
    audit_record_t record = { .event = "plan_evaluated", .sender = q->node->name,
                              .agency = q->node->agency, .subject_key = q->subject_key,
                              .detail = detail };
    int rc = due <= 0
          || store_plan_evaluation_insert (self->store, q->subject_key, &record_)
          || store_timer_set (self->store, PLAN_TIMER_REVIEW, q->subject_key, 32,
                              current.message, due, 0)
          || audit_append (self->audit, &record, self->now_ms);
    free (sealed);
    if (rc) {
        self->batch_failed = true;
        s_error (q, SAMHAND__V1__ERROR_CODE__INTERNAL, "could not store the evaluation: retry");
        return;
    }
    Samhand__V1__PlanReply body = SAMHAND__V1__PLAN_REPLY__INIT;
    Samhand__V1__PlanEvaluation item = SAMHAND__V1__PLAN_EVALUATION__INIT, *list [1] = { &item };
    item.evaluated_by = (char *) q->node->name;
    item.evaluated_at = self->now_ms;
    item.next_date = next;
    body.evaluations = list;
    body.n_evaluations = 1;
    body.current_revision = (uint32_t) current.revision;
    s_send (q, &body);
}

void
plan_handle (handler_ctx_t *self, zframe_t *routing_id, const node_t *node,
             const Samhand__V1__Frame *frame)
{
    query_t q;
    memset (&q, 0, sizeof q);
    q.self = self;
    q.node = node;
    q.routing_id = routing_id;
    q.frame = frame;
    if (store_begin (self->store)) {
        s_error (&q, SAMHAND__V1__ERROR_CODE__INTERNAL, "broker busy: retry");
        return;
    }
    if (frame->command_case == SAMHAND__V1__FRAME__COMMAND_PLAN_QUERY)
        s_query (&q);
    else
    if (frame->command_case == SAMHAND__V1__FRAME__COMMAND_PLAN_EVALUATE)
        s_evaluate (&q);
}

//  ---------------------------------------------------------------------
//  Reminders

void
plan_timer (handler_ctx_t *self, const store_timer_t *t)
{
    char sender [64], ref [CRYPTO_CASE_REF_LEN] = "", text [200];
    int agency = 0;
    //  A plan past retention is no longer followed up here: its timers end.
    store_plan_rev_t current;
    if (t->key_size == 32 && store_plan_current (self->store, t->key, &current) == 1
    &&  current.purged) {
        if (store_timer_reschedule (self->store, t->id, -1, 0))
            self->batch_failed = true;
        return;
    }
    Samhand__V1__Submit *submit = t->key_size == 32
                                ? s_open_revision (self, t->message, sender, &agency): NULL;
    if (t->key_size == 32)
        crypto_case_ref (keys_pseudonym_secret (self->keys), agency_prefix [1], t->key, ref);
    bool review = streq (t->kind, PLAN_TIMER_REVIEW);
    snprintf (text, sizeof text, review
              ? "The risk management plan of case %s is due for its evaluation: evaluate it"
                " in the cooperation meeting (samhand plan evaluate)"
              : "No weekly status for case %s, which has a risk management plan: the primary"
                " contact reports status at least weekly", ref);
    //  The coordinators, and the primary contact the plan names.
    notice_to_t to = { 1u << SAMHAND__V1__AGENCY__RESOURCE_CENTRE,
                       1u << POLICY_ROLE_COORDINATOR,
                       submit && *submit->risk_plan->primary_contact
                       ? submit->risk_plan->primary_contact: NULL };
    int rc = notice_alert (self, review? "plan_evaluation_due": "plan_status_due", NULL, ref,
                           text, false, to, t->key_size == 32? t->key: NULL);
    audit_record_t record = { .event = "reminded", .detail = text,
                              .subject_key = t->key_size == 32? t->key: NULL };
    if (rc < 0 || audit_append (self->audit, &record, self->now_ms))
        self->batch_failed = true;
    zsys_info ("plan: %s", text);
    samhand__v1__submit__free_unpacked (submit, NULL);
    //  An overdue evaluation reminds again every day until it is done.
    int64_t every = review? DAY_MS: t->every_ms;
    if (store_timer_reschedule (self->store, t->id, every > 0? self->now_ms + every: -1,
                                t->fired + 1))
        self->batch_failed = true;
}

int
plan_retention (handler_ctx_t *self)
{
    int64_t keep = self->config->retention_ms [SAMHAND__V1__KIND__RISK_PLAN];
    if (keep <= 0)
        return 0;
    int n = store_plan_evaluations_purge (self->store, self->now_ms - keep);
    if (n > 0) {
        char detail [64];
        snprintf (detail, sizeof detail, "%d plan evaluation note%s", n, n == 1? "": "s");
        audit_record_t record = { .event = "purged", .detail = detail };
        if (audit_append (self->audit, &record, self->now_ms))
            return -1;
        zsys_info ("retention: %s purged", detail);
    }
    return n;
}

