/*  redact.c — cuts a Submit down to a recipient's view (pure).

    Every removal frees what protobuf-c allocated (default allocator, that
    is malloc/free) and leaves the value protobuf_c_message_free_unpacked
    expects for an empty field: protobuf_c_empty_string for a string, NULL
    and 0 for arrays and submessages. A string equal to the empty-string
    default is never freed, as protobuf-c itself does.                    */
#include "redact.h"

#include <stdlib.h>
#include <string.h>

#define CLASS(c) POLICY_CLASS (c)
#define V(v) SAMHAND__V1__VIEW__ ## v

//  ---------------------------------------------------------------------
//  Field helpers

static bool
s_set (const char *text)
{
    return text && *text;
}

static void
s_clear (char **field)
{
    if (*field && *field != protobuf_c_empty_string)
        free (*field);
    *field = (char *) protobuf_c_empty_string;
}

//  Unknown fields would be packed again as they came: a client could hide
//  anything in them.
static void
s_drop_unknown (ProtobufCMessage *message)
{
    for (unsigned i = 0; i < message->n_unknown_fields; i++)
        free (message->unknown_fields [i].data);
    free (message->unknown_fields);
    message->unknown_fields = NULL;
    message->n_unknown_fields = 0;
}

//  ---------------------------------------------------------------------
//  Health

static const char *health_words [] = {
    "rus", "alkohol", "alcohol", "substance", "drug", "narko", "heroin",
    "amfetamin", "amphetamine", "opioid", "overdose", "cannabis", "hasj",
    "helse", "health", "psykiatri", "psychiatr", "diagnos",
    //  Treatment and mental health as case workers write them ("psykiater"
    //  does not begin with "psykiatri").
    "psykiat", "psykos", "psykolog", "avrus", "metadon", "subutex", "buprenorf", "benzo",
    "selvmord", "suicid", "selvskad", "depresj", "legemiddel", "medisin", "medikament",
    "sykehus", "legevakt", "dps"
};

static int
s_lower (int c)
{
    return c >= 'A' && c <= 'Z'? c + 'a' - 'A': c;
}

//  Part of a word: ASCII letters and any byte of a multi-byte UTF-8
//  character (æ, ø, å...), so "krus" and "trusler" hold no word "rus".
static bool
s_letter (unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c >= 0x80;
}

static bool
s_starts_with (const char *text, const char *word)
{
    for (; *word; text++, word++)
        if (s_lower ((unsigned char) *text) != *word)
            return false;
    return true;
}

//  A risk factor about substance use or health: one of its words begins
//  with a health word.
static bool
s_health (const char *factor)
{
    if (!factor)
        return false;
    for (size_t i = 0; factor [i]; i++) {
        if (i > 0 && s_letter ((unsigned char) factor [i - 1]))
            continue;
        for (size_t w = 0; w < sizeof health_words / sizeof health_words [0]; w++)
            if (s_starts_with (factor + i, health_words [w]))
                return true;
    }
    return false;
}

//  A plan step, activity or contact point is about health when one of its
//  texts is: "Trinn 2: hun ruser seg -> ring rusteamet" is substance use
//  whatever part of the plan it stands in.
static bool
s_step_health (const Samhand__V1__PlanStep *step)
{
    return s_health (step->situation) || s_health (step->action);
}

static bool
s_contact_health (const Samhand__V1__ContactPoint *contact)
{
    return s_health (contact->instance) || s_health (contact->role) || s_health (contact->name);
}

//  ---------------------------------------------------------------------
//  Classes present

static uint32_t
s_subject_classes (const Samhand__V1__Subject *subject)
{
    uint32_t classes = 0;
    if (!subject)
        return 0;
    if (s_set (subject->name) || s_set (subject->national_id) || s_set (subject->birth_date))
        classes |= CLASS (IDENTITY);
    if (s_set (subject->phone))
        classes |= CLASS (CONTACT);
    if (s_set (subject->address))
        classes |= CLASS (ADDRESS);
    return classes;
}

static uint32_t
s_risk_classes (const Samhand__V1__RiskChange *risk)
{
    uint32_t classes = s_subject_classes (risk->subject);
    if (s_set (risk->instrument) || risk->level || risk->imminent
    ||  risk->serious_physical_harm || risk->n_measures || s_set (risk->review_by))
        classes |= CLASS (RISK_LEVEL_CLASS);
    for (size_t i = 0; i < risk->n_risk_factors; i++)
        classes |= s_health (risk->risk_factors [i])? CLASS (HEALTH): CLASS (RISK_FACTORS);
    if (s_set (risk->text))
        classes |= CLASS (FREE_TEXT);
    return classes;
}

static uint32_t
s_plan_classes (const Samhand__V1__RiskPlan *plan)
{
    uint32_t classes = s_subject_classes (plan->subject);
    if (s_set (plan->instrument) || plan->level || plan->imminent || plan->n_measures
    ||  s_set (plan->next_evaluation) || s_set (plan->changes))
        classes |= CLASS (RISK_LEVEL_CLASS);
    for (size_t i = 0; i < plan->n_risk_factors; i++)
        classes |= s_health (plan->risk_factors [i])? CLASS (HEALTH): CLASS (RISK_FACTORS);
    for (size_t i = 0; i < plan->n_risk_situations; i++)
        classes |= s_health (plan->risk_situations [i])? CLASS (HEALTH): CLASS (RISK_FACTORS);
    if (plan->n_steps)
        classes |= CLASS (PLAN_STEPS);
    if (plan->n_contacts || s_set (plan->primary_contact))
        classes |= CLASS (CONTACT_POINTS);
    if (plan->n_follow_up)
        classes |= CLASS (FOLLOW_UP);
    //  A step, an activity or a contact point about substance use or
    //  health is HEALTH too: its part's class alone does not carry it.
    for (size_t i = 0; i < plan->n_steps; i++)
        classes |= s_step_health (plan->steps [i])? CLASS (HEALTH): 0;
    for (size_t i = 0; i < plan->n_follow_up; i++)
        classes |= s_health (plan->follow_up [i]->activity)? CLASS (HEALTH): 0;
    for (size_t i = 0; i < plan->n_contacts; i++)
        classes |= s_contact_health (plan->contacts [i])? CLASS (HEALTH): 0;
    if (s_set (plan->critical_info) || s_set (plan->note))
        classes |= CLASS (FREE_TEXT);
    return classes;
}

uint32_t
redact_classes_present (const Samhand__V1__Submit *submit)
{
    if (!submit)
        return 0;
    switch (submit->body_case) {
        case SAMHAND__V1__SUBMIT__BODY_CONCERN: {
            const Samhand__V1__ConcernReport *c = submit->concern;
            if (!c)
                return 0;
            return s_subject_classes (c->subject)
                 | (s_set (c->text) || s_set (c->not_informed_reason)? CLASS (FREE_TEXT): 0);
        }
        case SAMHAND__V1__SUBMIT__BODY_RISK_CHANGE:
            return submit->risk_change? s_risk_classes (submit->risk_change): 0;
        case SAMHAND__V1__SUBMIT__BODY_DISCUSSION: {
            const Samhand__V1__CaseDiscussion *d = submit->discussion;
            return d && (s_set (d->text) || s_set (d->question))? CLASS (FREE_TEXT): 0;
        }
        case SAMHAND__V1__SUBMIT__BODY_CASE_STATUS: {
            const Samhand__V1__CaseStatus *s = submit->case_status;
            return s && s_set (s->text)? CLASS (FREE_TEXT): 0;
        }
        case SAMHAND__V1__SUBMIT__BODY_RISK_PLAN:
            return submit->risk_plan? s_plan_classes (submit->risk_plan): 0;
        default:
            return 0;
    }
}

//  ---------------------------------------------------------------------
//  Redaction per body

static void
s_redact_subject (Samhand__V1__Subject **subject_p, uint32_t keep)
{
    Samhand__V1__Subject *subject = *subject_p;
    if (!subject)
        return;
    if (!(keep & CLASS (IDENTITY))) {
        s_clear (&subject->name);
        s_clear (&subject->national_id);
        s_clear (&subject->birth_date);
    }
    if (!(keep & CLASS (CONTACT)))
        s_clear (&subject->phone);
    if (!(keep & CLASS (ADDRESS)))
        s_clear (&subject->address);
    s_drop_unknown (&subject->base);
    if (!s_subject_classes (subject)) {
        samhand__v1__subject__free_unpacked (subject, NULL);
        *subject_p = NULL;
    }
}

//  Takes ownership of ref (a malloc'd copy, or protobuf_c_empty_string).
static void
s_replace_ref (char **field, char *ref)
{
    s_clear (field);
    *field = ref;
}

static void
s_redact_concern (Samhand__V1__ConcernReport *c, uint32_t keep, char *ref)
{
    s_redact_subject (&c->subject, keep);
    if (!(keep & CLASS (FREE_TEXT))) {
        s_clear (&c->text);
        s_clear (&c->not_informed_reason);
    }
    s_replace_ref (&c->case_ref, ref);
    s_drop_unknown (&c->base);
}

static void
s_redact_factors (Samhand__V1__RiskChange *r, uint32_t keep)
{
    size_t kept = 0;
    for (size_t i = 0; i < r->n_risk_factors; i++) {
        char *factor = r->risk_factors [i];
        uint32_t class = s_health (factor)? CLASS (HEALTH): CLASS (RISK_FACTORS);
        if (keep & class)
            r->risk_factors [kept++] = factor;
        else
            s_clear (&factor);
    }
    r->n_risk_factors = kept;
    if (kept == 0) {
        free (r->risk_factors);
        r->risk_factors = NULL;
    }
}

static void
s_redact_risk (Samhand__V1__RiskChange *r, uint32_t keep, char *ref)
{
    s_redact_subject (&r->subject, keep);
    if (!(keep & CLASS (RISK_LEVEL_CLASS))) {
        s_clear (&r->instrument);
        s_clear (&r->review_by);
        r->level = SAMHAND__V1__RISK_LEVEL__RISK_LEVEL_UNSPECIFIED;
        r->imminent = false;
        r->serious_physical_harm = false;
        free (r->measures);
        r->measures = NULL;
        r->n_measures = 0;
    }
    s_redact_factors (r, keep);
    if (!(keep & CLASS (FREE_TEXT)))
        s_clear (&r->text);
    s_replace_ref (&r->case_ref, ref);
    s_drop_unknown (&r->base);
}

static void
s_redact_discussion (Samhand__V1__CaseDiscussion *d, uint32_t keep)
{
    if (!(keep & CLASS (FREE_TEXT))) {
        s_clear (&d->text);
        s_clear (&d->question);
    }
    s_drop_unknown (&d->base);
}

static void
s_redact_status (Samhand__V1__CaseStatus *s, uint32_t keep, char *ref)
{
    if (!(keep & CLASS (FREE_TEXT)))
        s_clear (&s->text);
    s_replace_ref (&s->case_ref, ref);
    s_drop_unknown (&s->base);
}

//  Keeps the strings of a repeated field whose class (by the health
//  words) is in keep; frees the others.
static void
s_redact_strings (char ***array_p, size_t *count_p, uint32_t keep)
{
    char **array = *array_p;
    size_t kept = 0;
    for (size_t i = 0; i < *count_p; i++) {
        char *text = array [i];
        uint32_t class = s_health (text)? CLASS (HEALTH): CLASS (RISK_FACTORS);
        if (keep & class)
            array [kept++] = text;
        else
            s_clear (&text);
    }
    *count_p = kept;
    if (kept == 0) {
        free (array);
        *array_p = NULL;
    }
}

//  A pseudonymised view keeps a step only when the recipient is
//  responsible for it and its text passed the identifier check.
static void
s_redact_steps (Samhand__V1__RiskPlan *p, uint32_t keep, const policy_decision_t *decision)
{
    bool pseudonymised = decision->view == V (PSEUDONYMISED);
    size_t kept = 0;
    for (size_t i = 0; i < p->n_steps; i++) {
        Samhand__V1__PlanStep *step = p->steps [i];
        bool own = step->responsible != SAMHAND__V1__AGENCY__AGENCY_UNSPECIFIED
                && step->responsible == decision->recipient;
        //  A step about health needs HEALTH too, which a pseudonymised view
        //  never keeps.
        bool health_ok = !s_step_health (step) || (keep & CLASS (HEALTH));
        if ((keep & CLASS (PLAN_STEPS)) && health_ok
        &&  (!pseudonymised || (own && step->text_clean))) {
            s_drop_unknown (&step->base);
            p->steps [kept++] = step;
        }
        else
            samhand__v1__plan_step__free_unpacked (step, NULL);
    }
    p->n_steps = kept;
    if (kept == 0) {
        free (p->steps);
        p->steps = NULL;
    }
}

//  Drops the activities and contact points about health unless HEALTH is
//  kept (their part's class was checked by the caller).
static void
s_redact_health_parts (Samhand__V1__RiskPlan *p, uint32_t keep)
{
    if (keep & CLASS (HEALTH))
        return;
    size_t kept = 0;
    for (size_t i = 0; i < p->n_follow_up; i++) {
        if (s_health (p->follow_up [i]->activity))
            samhand__v1__plan_activity__free_unpacked (p->follow_up [i], NULL);
        else
            p->follow_up [kept++] = p->follow_up [i];
    }
    p->n_follow_up = kept;
    if (kept == 0) {
        free (p->follow_up);
        p->follow_up = NULL;
    }
    kept = 0;
    for (size_t i = 0; i < p->n_contacts; i++) {
        if (s_contact_health (p->contacts [i]))
            samhand__v1__contact_point__free_unpacked (p->contacts [i], NULL);
        else
            p->contacts [kept++] = p->contacts [i];
    }
    p->n_contacts = kept;
    if (kept == 0) {
        free (p->contacts);
        p->contacts = NULL;
    }
}

void
redact_plan_changes (char *changes, uint32_t keep, bool pseudonymised)
{
    //  What each of the broker's phrases (plan.c s_changes) tells about.
    static const struct { const char *prefix; uint32_t needs; } phrases [] = {
        { "steps ", CLASS (PLAN_STEPS) },
        { "risk situations/factors ", CLASS (RISK_FACTORS) | CLASS (HEALTH) },
        { "contact points ", CLASS (CONTACT_POINTS) },
        { "follow-up entries ", CLASS (FOLLOW_UP) },
        { "critical information changed", CLASS (FREE_TEXT) },
        { "texts edited", CLASS (FREE_TEXT) },
        { NULL, 0 }
    };
    if (!changes)
        return;
    if (pseudonymised)
        //  Its own steps at most: how many the others have is not its business.
        keep &= ~(POLICY_CLASSES_NOT_PSEUDONYMOUS | CLASS (PLAN_STEPS) | CLASS (FREE_TEXT));
    char *out = changes, *at = changes;
    while (*at) {
        char *end = strstr (at, "; ");
        size_t len = end? (size_t) (end - at): strlen (at);
        bool keep_it = true;
        for (int i = 0; phrases [i].prefix; i++)
            if (strncmp (at, phrases [i].prefix, strlen (phrases [i].prefix)) == 0)
                keep_it = (keep & phrases [i].needs) == phrases [i].needs;
        if (keep_it) {
            if (out != changes) {
                memcpy (out, "; ", 2);
                out += 2;
            }
            memmove (out, at, len);
            out += len;
        }
        at += len + (end? 2: 0);
    }
    *out = 0;
}

static void
s_redact_plan (Samhand__V1__RiskPlan *p, uint32_t keep, const policy_decision_t *decision,
               char *ref)
{
    s_redact_subject (&p->subject, keep);
    if (!(keep & CLASS (RISK_LEVEL_CLASS))) {
        s_clear (&p->instrument);
        s_clear (&p->next_evaluation);
        s_clear (&p->changes);
        p->level = SAMHAND__V1__RISK_LEVEL__RISK_LEVEL_UNSPECIFIED;
        p->imminent = false;
        free (p->measures);
        p->measures = NULL;
        p->n_measures = 0;
    }
    else
    if (s_set (p->changes) && (decision->view == V (PSEUDONYMISED) || decision->consent_id))
        //  Within the agency (no consent needed) the whole of it.
        redact_plan_changes (p->changes, keep, decision->view == V (PSEUDONYMISED));
    s_redact_strings (&p->risk_factors, &p->n_risk_factors, keep);
    s_redact_strings (&p->risk_situations, &p->n_risk_situations, keep);
    s_redact_steps (p, keep, decision);
    if (!(keep & CLASS (FOLLOW_UP))) {
        for (size_t i = 0; i < p->n_follow_up; i++)
            samhand__v1__plan_activity__free_unpacked (p->follow_up [i], NULL);
        free (p->follow_up);
        p->follow_up = NULL;
        p->n_follow_up = 0;
    }
    for (size_t i = 0; i < p->n_follow_up; i++)
        s_drop_unknown (&p->follow_up [i]->base);
    if (!(keep & CLASS (CONTACT_POINTS))) {
        for (size_t i = 0; i < p->n_contacts; i++)
            samhand__v1__contact_point__free_unpacked (p->contacts [i], NULL);
        free (p->contacts);
        p->contacts = NULL;
        p->n_contacts = 0;
    }
    s_redact_health_parts (p, keep);
    for (size_t i = 0; i < p->n_contacts; i++)
        s_drop_unknown (&p->contacts [i]->base);
    if (!(keep & CLASS (CONTACT_POINTS)))
        s_clear (&p->primary_contact);
    if (!(keep & CLASS (FREE_TEXT))) {
        s_clear (&p->critical_info);
        s_clear (&p->note);
    }
    s_replace_ref (&p->case_ref, ref);
    s_drop_unknown (&p->base);
}

static bool
s_body_set (const Samhand__V1__Submit *submit)
{
    switch (submit->body_case) {
        case SAMHAND__V1__SUBMIT__BODY_CONCERN: return submit->concern != NULL;
        case SAMHAND__V1__SUBMIT__BODY_RISK_CHANGE: return submit->risk_change != NULL;
        case SAMHAND__V1__SUBMIT__BODY_DISCUSSION: return submit->discussion != NULL;
        case SAMHAND__V1__SUBMIT__BODY_CASE_STATUS: return submit->case_status != NULL;
        case SAMHAND__V1__SUBMIT__BODY_RISK_PLAN: return submit->risk_plan != NULL;
        default: return false;
    }
}

//  ---------------------------------------------------------------------
//  Public API

int
redact_apply (Samhand__V1__Submit *submit, const policy_decision_t *decision,
              const char *case_ref)
{
    if (!submit || !decision || !s_body_set (submit))
        return -1;
    uint32_t keep = decision->classes_allowed & POLICY_CLASSES_ALL;
    //  A case discussion is anonymised or nothing: its text is only ever
    //  delivered after the identifier check.
    if (submit->body_case == SAMHAND__V1__SUBMIT__BODY_DISCUSSION
    &&  decision->view != V (ANONYMISED))
        return -1;
    switch (decision->view) {
        case V (IDENTIFIED):
            break;
        case V (PSEUDONYMISED):
            keep &= ~POLICY_CLASSES_NOT_PSEUDONYMOUS;
            break;
        case V (ANONYMISED):
            if (submit->body_case != SAMHAND__V1__SUBMIT__BODY_DISCUSSION)
                return -1;
            keep &= CLASS (FREE_TEXT);
            break;
        default:
            return -1;
    }
    //  The one allocation comes first, so running out changes nothing.
    char *ref = (char *) protobuf_c_empty_string;
    bool has_ref = submit->body_case != SAMHAND__V1__SUBMIT__BODY_DISCUSSION;
    if (has_ref && s_set (case_ref)) {
        ref = strdup (case_ref);
        if (!ref)
            return -1;
    }
    if (submit->claim) {
        samhand__v1__legal_claim__free_unpacked (submit->claim, NULL);
        submit->claim = NULL;
    }
    s_drop_unknown (&submit->base);
    switch (submit->body_case) {
        case SAMHAND__V1__SUBMIT__BODY_CONCERN:
            s_redact_concern (submit->concern, keep, ref);
            break;
        case SAMHAND__V1__SUBMIT__BODY_RISK_CHANGE:
            s_redact_risk (submit->risk_change, keep, ref);
            break;
        case SAMHAND__V1__SUBMIT__BODY_DISCUSSION:
            s_redact_discussion (submit->discussion, keep);
            break;
        case SAMHAND__V1__SUBMIT__BODY_CASE_STATUS:
            s_redact_status (submit->case_status, keep, ref);
            break;
        case SAMHAND__V1__SUBMIT__BODY_RISK_PLAN:
            s_redact_plan (submit->risk_plan, keep, decision, ref);
            break;
        default:
            break;
    }
    return 0;
}
