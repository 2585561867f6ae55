/*  itest_consent — lawful routing end to end: consent granted, used,
    withdrawn (also for deliveries still pending), the duty-to-avert path,
    the identifier scanner's refusal, the crisis centre's stricter duty,
    and case references. Real samhandd, real certificates, real sqlite.
    "Kari Testesen" and her numbers are invented.                         */
#include "harness.h"
#include "testlib.h"
#include <signal.h>

#define NAME   "Kari Testesen"
#define NID    "01019012057"
#define PHONE  "41234567"
#define AVERT_WHO "Gunnhild Avgjørsdottir"
#define AVERT_WHY "Invented: konkret drapstrussel, avverge etter strl. 196"

static bool
s_file_contains (const char *path, const char *text)
{
    FILE *file = fopen (path, "rb");
    if (!file)
        return false;
    size_t len = strlen (text), size = 0, cap = 1 << 16;
    char *data = (char *) malloc (cap);
    size_t got;
    while (data && (got = fread (data + size, 1, cap - size, file)) > 0) {
        size += got;
        if (size == cap) {
            char *bigger = (char *) realloc (data, cap * 2);
            if (!bigger)
                break;
            data = bigger;
            cap *= 2;
        }
    }
    fclose (file);
    bool found = data && memmem (data, size, text, len) != NULL;
    free (data);
    return found;
}

static Samhand__V1__Frame *
s_request (hclient_t *c, Samhand__V1__Frame *frame, int reply_case)
{
    hclient_send (c, frame);
    return hclient_expect (c, reply_case, 3000);
}

static Samhand__V1__Frame *
s_risk (hclient_t *c, const char *case_ref, Samhand__V1__RiskLevel level)
{
    Samhand__V1__Submit submit = SAMHAND__V1__SUBMIT__INIT;
    Samhand__V1__RiskChange risk = SAMHAND__V1__RISK_CHANGE__INIT;
    Samhand__V1__Subject subject = SAMHAND__V1__SUBJECT__INIT;
    Samhand__V1__Measure measures [1] = { SAMHAND__V1__MEASURE__VIOLENCE_ALARM };
    uint8_t id [16];
    subject.name = NAME;
    subject.national_id = NID;
    subject.phone = PHONE;
    if (case_ref)
        risk.case_ref = (char *) case_ref;
    else
        risk.subject = &subject;
    risk.instrument = "SARA-V3";
    risk.level = level;
    risk.measures = measures;
    risk.n_measures = 1;
    risk.text = "Invented: ekspartner løslatt, truer igjen.";
    submit.body_case = SAMHAND__V1__SUBMIT__BODY_RISK_CHANGE;
    submit.risk_change = &risk;
    harness_new_id (&submit, id);
    return hclient_submit (c, &submit, 3000);
}

static const Samhand__V1__AgencyDecision *
s_decision (Samhand__V1__Frame *f, int agency)
{
    for (size_t i = 0; f && f->submit_result && i < f->submit_result->n_decisions; i++)
        if ((int) f->submit_result->decisions [i]->agency == agency)
            return f->submit_result->decisions [i];
    return NULL;
}

//  Next delivery of a kind, receipted; NULL on timeout.
static Samhand__V1__Frame *
s_next (hclient_t *c, int kind, int timeout)
{
    int64_t deadline = zclock_mono () + timeout;
    while (zclock_mono () < deadline) {
        Samhand__V1__Frame *f = hclient_expect (c, SAMHAND__V1__FRAME__COMMAND_DELIVER,
                                                (int) (deadline - zclock_mono ()));
        if (!f)
            return NULL;
        hclient_receipt (c, f->deliver->delivery_id, 1);
        if ((int) f->deliver->kind == kind)
            return f;
        frame_free (&f);
    }
    return NULL;
}

static Samhand__V1__Frame *
s_grant (hclient_t *c, uint32_t days)
{
    Samhand__V1__Frame frame;
    Samhand__V1__ConsentGrant grant;
    Samhand__V1__Subject subject;
    Samhand__V1__Agency agencies [1] = { SAMHAND__V1__AGENCY__POLICE_RISK };
    Samhand__V1__DataClass classes [3] = { SAMHAND__V1__DATA_CLASS__IDENTITY,
        SAMHAND__V1__DATA_CLASS__CONTACT, SAMHAND__V1__DATA_CLASS__RISK_LEVEL_CLASS };
    char *purposes [1] = { "risk_management" };
    harness_grant (&frame, &grant, &subject, NID, agencies, 1, classes, 3, purposes, 1,
                   time (NULL) + days * 86400);
    grant.capacity_assessed_by = "Invented Coordinator";
    return s_request (c, &frame, SAMHAND__V1__FRAME__COMMAND_CONSENT_REPLY);
}

static void
test_consent_cycle (harness_t *h)
{
    hclient_t *coord = hclient_new (h, "koordinator");
    hclient_t *police = hclient_new (h, "politi-risk");
    Samhand__V1__Frame *f = hclient_subscribe (police, 3000);
    frame_free (&f);

    f = s_risk (coord, NULL, SAMHAND__V1__RISK_LEVEL__HIGH);
    const Samhand__V1__AgencyDecision *d = s_decision (f, SAMHAND__V1__AGENCY__POLICE_RISK);
    CHECK (d && d->view == SAMHAND__V1__VIEW__PSEUDONYMISED,
           "no consent: the police decision is pseudonymised");
    CHECK (d && strstr (d->reason, "consent"), "the sender is told why (no consent in scope)");
    const Samhand__V1__AgencyDecision *ks = s_decision (f, SAMHAND__V1__AGENCY__CRISIS_CENTRE);
    //  What the crisis centre got is not shown to another agency's sender
    //  (test_crisis_column); test_policy decides the cell itself.
    CHECK (ks && ks->view == SAMHAND__V1__VIEW__VIEW_UNSPECIFIED && ks->nodes == 0
             && streq (ks->rule, "KRISL5-NOT-SHOWN"),
           "no consent: the crisis centre's column is not shown to the resource centre");
    char case_ref [64] = "";
    if (f && f->submit_result->case_ref)
        snprintf (case_ref, sizeof case_ref, "%s", f->submit_result->case_ref);
    CHECK (strncmp (case_ref, "RC-", 3) == 0, "the coordinator gets its own agency's case reference");
    frame_free (&f);
    f = s_next (police, SAMHAND__V1__KIND__RISK_CHANGE, 3000);
    CHECK (f && f->deliver->view == SAMHAND__V1__VIEW__PSEUDONYMISED
             && f->deliver->risk_change->level == SAMHAND__V1__RISK_LEVEL__HIGH
             && !frame_contains (f, NAME) && !frame_contains (f, NID) && !frame_contains (f, PHONE),
           "police get level and measures, no name, number or phone");
    char police_ref [64] = "";
    if (f)
        snprintf (police_ref, sizeof police_ref, "%s", f->deliver->risk_change->case_ref);
    CHECK (strncmp (police_ref, "PR-", 3) == 0 && strcmp (police_ref + 3, case_ref + 3) != 0,
           "police see their own pseudonym, unlinkable to the resource centre's");
    frame_free (&f);

    f = s_grant (coord, 30);
    CHECK (f && f->consent_reply->ok && f->consent_reply->n_consents == 1,
           "the coordinator records a consent");
    char consent_id [64] = "";
    if (f && f->consent_reply->n_consents)
        snprintf (consent_id, sizeof consent_id, "%s", f->consent_reply->consents [0]->consent_id);
    frame_free (&f);
    f = s_next (police, SAMHAND__V1__KIND__CONSENT_NOTICE, 3000);
    CHECK (f && !f->deliver->consent_notice->withdrawn, "the police are told of the consent");
    frame_free (&f);

    f = s_risk (coord, NULL, SAMHAND__V1__RISK_LEVEL__HIGH);
    d = s_decision (f, SAMHAND__V1__AGENCY__POLICE_RISK);
    CHECK (d && d->view == SAMHAND__V1__VIEW__IDENTIFIED && streq (d->rule, "FVL13A1-CONSENT"),
           "with consent: police identified under FVL13A1-CONSENT");
    ks = s_decision (f, SAMHAND__V1__AGENCY__CRISIS_CENTRE);
    CHECK (ks && ks->view == SAMHAND__V1__VIEW__VIEW_UNSPECIFIED && ks->nodes == 0,
           "consent to the police: the crisis centre's column is still not shown");
    frame_free (&f);
    f = s_next (police, SAMHAND__V1__KIND__RISK_CHANGE, 3000);
    CHECK (f && f->deliver->view == SAMHAND__V1__VIEW__IDENTIFIED && frame_contains (f, NID)
             && frame_contains (f, NAME),
           "police receive the identified risk change");
    CHECK (f && !frame_contains (f, "ekspartner"), "free text is not in the consent's classes: left out");
    frame_free (&f);

    f = hclient_withdraw (coord, consent_id, 3000);
    CHECK (f && f->consent_reply->ok, "the consent is withdrawn");
    frame_free (&f);
    f = s_next (police, SAMHAND__V1__KIND__CONSENT_NOTICE, 3000);
    CHECK (f && f->deliver->consent_notice->withdrawn,
           "the police, who received identified data, get a notice of withdrawal");
    frame_free (&f);

    f = s_risk (coord, case_ref, SAMHAND__V1__RISK_LEVEL__MODERATE);
    d = s_decision (f, SAMHAND__V1__AGENCY__POLICE_RISK);
    CHECK (d && d->view == SAMHAND__V1__VIEW__PSEUDONYMISED,
           "after withdrawal, by case reference: pseudonymised again");
    frame_free (&f);
    f = s_next (police, SAMHAND__V1__KIND__RISK_CHANGE, 3000);
    CHECK (f && streq (f->deliver->risk_change->case_ref, police_ref) && !frame_contains (f, NID),
           "the case reference maps to the same person: same police pseudonym, no identity");
    frame_free (&f);

    //  A pending identified delivery is decided again when consent goes.
    hclient_destroy (&police);
    f = s_grant (coord, 30);
    snprintf (consent_id, sizeof consent_id, "%s",
              f && f->consent_reply->n_consents? f->consent_reply->consents [0]->consent_id: "");
    frame_free (&f);
    f = s_risk (coord, NULL, SAMHAND__V1__RISK_LEVEL__HIGH);
    d = s_decision (f, SAMHAND__V1__AGENCY__POLICE_RISK);
    CHECK (d && d->view == SAMHAND__V1__VIEW__IDENTIFIED, "second consent: identified, police offline");
    frame_free (&f);
    f = hclient_withdraw (coord, consent_id, 3000);
    CHECK (f && f->consent_reply->redecided >= 1, "withdrawal decides pending deliveries again");
    frame_free (&f);
    police = hclient_new (h, "politi-risk");
    f = hclient_subscribe (police, 3000);
    frame_free (&f);
    bool leaked = false;
    int risk_changes = 0;
    while ((f = hclient_expect (police, SAMHAND__V1__FRAME__COMMAND_DELIVER, 1500))) {
        hclient_receipt (police, f->deliver->delivery_id, 1);
        if (f->deliver->kind == SAMHAND__V1__KIND__RISK_CHANGE) {
            risk_changes++;
            leaked = leaked || frame_contains (f, NID) || frame_contains (f, NAME);
        }
        frame_free (&f);
    }
    CHECK (!leaked, "the pending delivery decided on the withdrawn consent carries no identity");
    hclient_destroy (&police);
    hclient_destroy (&coord);
}

static Samhand__V1__Frame *
s_concern (hclient_t *c, Samhand__V1__Basis basis, const char *justification,
           const char *decision_maker)
{
    Samhand__V1__Submit submit;
    Samhand__V1__ConcernReport concern;
    Samhand__V1__Subject subject;
    Samhand__V1__LegalClaim claim = SAMHAND__V1__LEGAL_CLAIM__INIT;
    uint8_t id [16];
    harness_concern (&submit, &concern, &subject,
                     "Invented: hun sier han har truet med å drepe henne i natt.");
    concern.urgency = SAMHAND__V1__URGENCY__ACUTE;
    claim.basis = basis;
    claim.justification = (char *) justification;
    claim.decision_maker = (char *) decision_maker;
    submit.claim = &claim;
    harness_new_id (&submit, id);
    return hclient_submit (c, &submit, 3000);
}

static void
test_avert (harness_t *h)
{
    hclient_t *vakt = hclient_new (h, "vakt");
    hclient_t *police = hclient_new (h, "politi-risk");
    Samhand__V1__Frame *f = hclient_subscribe (police, 3000);
    frame_free (&f);
    hclient_drain (police, 500);
    f = s_concern (vakt, SAMHAND__V1__BASIS__BASIS_AVERT, "", "");
    CHECK (f && !f->submit_result->accepted && f->submit_result->error
             && f->submit_result->error->code == SAMHAND__V1__ERROR_CODE__BASIS_INCOMPLETE,
           "duty to avert without justification or decision-maker is refused");
    frame_free (&f);
    f = s_concern (vakt, SAMHAND__V1__BASIS__BASIS_AVERT, AVERT_WHY, AVERT_WHO);
    const Samhand__V1__AgencyDecision *d = s_decision (f, SAMHAND__V1__AGENCY__POLICE_RISK);
    CHECK (d && d->view == SAMHAND__V1__VIEW__IDENTIFIED && streq (d->rule, "STRL196-AVERT"),
           "duty to avert: police identified under STRL196-AVERT");
    CHECK (d && strstr (d->reason, "named decision-maker recorded for review")
             && !frame_contains (f, "Avgj") && !frame_contains (f, "drapstrussel"),
           "duty to avert: the sender's result names neither the decision-maker nor the justification");
    d = s_decision (f, SAMHAND__V1__AGENCY__CRISIS_CENTRE);
    CHECK (d && d->view == SAMHAND__V1__VIEW__VIEW_UNSPECIFIED && d->nodes == 0,
           "duty to avert: the crisis centre's column is not shown to the sender");
    d = s_decision (f, SAMHAND__V1__AGENCY__TRYGGEST);
    CHECK (d && d->view != SAMHAND__V1__VIEW__IDENTIFIED, "duty to avert never opens TryggEst's view");
    frame_free (&f);
    f = s_next (police, SAMHAND__V1__KIND__CONCERN_REPORT, 3000);
    CHECK (f && frame_contains (f, NID) && !frame_contains (f, "drepe"),
           "police get identity with minimum data: no free text");
    CHECK (f && !frame_contains (f, "Avgj") && !frame_contains (f, "drapstrussel")
             && strstr (f->deliver->reason, "recorded for review"),
           "the police's delivery names neither the decision-maker nor the justification");
    frame_free (&f);

    //  The crisis centre may avert towards the police RISK team
    //  (straffeloven §196 applies regardless of krisesenterlova §5).
    hclient_t *ks = hclient_new (h, "krisesenter");
    f = s_concern (ks, SAMHAND__V1__BASIS__BASIS_AVERT, AVERT_WHY, AVERT_WHO);
    d = s_decision (f, SAMHAND__V1__AGENCY__POLICE_RISK);
    CHECK (d && d->view == SAMHAND__V1__VIEW__IDENTIFIED && streq (d->rule, "STRL196-AVERT"),
           "crisis centre under the duty to avert: police identified (STRL196-AVERT)");
    d = s_decision (f, SAMHAND__V1__AGENCY__TRYGGEST);
    CHECK (d && d->view == SAMHAND__V1__VIEW__WITHHELD && streq (d->rule, "KRISL5-CONFIDENTIAL"),
           "crisis centre under the duty to avert: TryggEst still withheld (KRISL5)");
    frame_free (&f);
    f = s_next (police, SAMHAND__V1__KIND__CONCERN_REPORT, 3000);
    CHECK (f && f->deliver->view == SAMHAND__V1__VIEW__IDENTIFIED && frame_contains (f, NID)
             && !frame_contains (f, "drepe") && !frame_contains (f, "Avgj"),
           "police receive the crisis centre's disclosure: identity, no free text, no decision-maker");
    frame_free (&f);
    hclient_destroy (&ks);

    //  Nothing personal about the decision in clear at rest.
    char path [2][400];
    snprintf (path [0], sizeof path [0], "%s/samhand.db", h->dir);
    snprintf (path [1], sizeof path [1], "%s/samhand.db-wal", h->dir);
    const char *secrets [] = { "Avgj", "drapstrussel", "Gunnhild" };
    bool clean = true;
    for (int p = 0; p < 2; p++)
        for (int i = 0; i < 3; i++)
            clean = clean && !s_file_contains (path [p], secrets [i]);
    CHECK (clean, "database and WAL hold neither the decision-maker's name nor the justification");

    hclient_t *admin = hclient_new (h, "admin");
    Samhand__V1__Frame q = SAMHAND__V1__FRAME__INIT;
    Samhand__V1__AuditQuery aq = SAMHAND__V1__AUDIT_QUERY__INIT;
    aq.query = "reviews";
    q.command_case = SAMHAND__V1__FRAME__COMMAND_AUDIT_QUERY;
    q.audit_query = &aq;
    f = s_request (admin, &q, SAMHAND__V1__FRAME__COMMAND_AUDIT_REPLY);
    bool counted = f && f->audit_reply->n_entries == 2
                && streq (f->audit_reply->entries [0]->rule, "STRL196-AVERT")
                && strstr (f->audit_reply->entries [0]->detail, "review");
    CHECK (counted, "the avert disclosures are marked for review and counted for the admin");
    bool opened = f && f->audit_reply->n_entries == 2;
    for (size_t i = 0; opened && i < f->audit_reply->n_entries; i++)
        opened = strstr (f->audit_reply->entries [i]->detail, AVERT_WHO)
              && strstr (f->audit_reply->entries [i]->detail, "drapstrussel");
    CHECK (opened, "audit reviews shows the admin who decided and why (opened from the sealed record)");
    frame_free (&f);
    hclient_t *coord = hclient_new (h, "koordinator");
    f = s_request (coord, &q, SAMHAND__V1__FRAME__COMMAND_AUDIT_REPLY);
    CHECK (f && f->audit_reply->error
             && f->audit_reply->error->code == SAMHAND__V1__ERROR_CODE__NOT_PERMITTED
             && !frame_contains (f, "Avgj"),
           "audit reviews is refused to a non-admin node");
    frame_free (&f);
    aq.query = "verify";
    f = s_request (admin, &q, SAMHAND__V1__FRAME__COMMAND_AUDIT_REPLY);
    CHECK (f && f->audit_reply->ok && f->audit_reply->intact,
           "the audit chain with sealed review records verifies");
    frame_free (&f);
    aq.query = "export";
    f = s_request (admin, &q, SAMHAND__V1__FRAME__COMMAND_AUDIT_REPLY);
    CHECK (f && f->audit_reply->ok && f->audit_reply->n_entries > 0
             && !frame_contains (f, "Avgj") && !frame_contains (f, "drapstrussel"),
           "an audit export carries the claim only sealed");
    frame_free (&f);
    hclient_destroy (&coord);
    hclient_destroy (&admin);
    hclient_destroy (&police);
    hclient_destroy (&vakt);
}

static void
test_scanner_refusal (harness_t *h)
{
    hclient_t *coord = hclient_new (h, "koordinator");
    hclient_t *team = hclient_new (h, "tryggest");
    Samhand__V1__Frame *f = hclient_subscribe (team, 3000);
    frame_free (&f);
    hclient_drain (team, 500);
    const char *texts [3] = {
        "Invented: kvinne med fnr " NID " trenger hjelp",
        "Invented: ring henne på 412 34 567 i kveld",
        "Invented: " NAME " har ikke møtt opp",
    };
    const char *kinds [3] = { "national_id", "phone", "name" };
    for (int i = 0; i < 3; i++) {
        Samhand__V1__Submit submit;
        Samhand__V1__CaseDiscussion d;
        uint8_t id [16];
        harness_discussion (&submit, &d, texts [i]);
        harness_new_id (&submit, id);
        f = hclient_submit (coord, &submit, 3000);
        Samhand__V1__Error *e = f && f->submit_result? f->submit_result->error: NULL;
        bool kind_ok = false;
        for (size_t k = 0; e && k < e->n_findings; k++)
            kind_ok = kind_ok || strstr (e->findings [k]->kind, kinds [i]) != NULL;
        char name [120];
        snprintf (name, sizeof name, "a discussion with a %s is refused with its kind and position", kinds [i]);
        CHECK (e && e->code == SAMHAND__V1__ERROR_CODE__IDENTIFIER_FOUND && kind_ok, name);
        snprintf (name, sizeof name, "the refusal does not echo the %s", kinds [i]);
        CHECK (f && !frame_contains (f, NID) && !frame_contains (f, "412 34 567") && !frame_contains (f, NAME), name);
        frame_free (&f);
    }
    f = hclient_expect (team, SAMHAND__V1__FRAME__COMMAND_DELIVER, 1000);
    CHECK (f == NULL, "nothing of the refused discussions was stored or delivered");
    frame_free (&f);
    hclient_destroy (&team);
    hclient_destroy (&coord);
}

static void
test_crisis_centre_sender (harness_t *h)
{
    hclient_t *ks = hclient_new (h, "krisesenter");
    Samhand__V1__Submit submit;
    Samhand__V1__ConcernReport concern;
    Samhand__V1__Subject subject;
    uint8_t id [16];
    harness_concern (&submit, &concern, &subject, "Invented: beboer forteller om trusler.");
    subject.national_id = "15057512345";
    subject.name = "Ola Oppdiktet";
    harness_new_id (&submit, id);
    Samhand__V1__Frame *f = hclient_submit (ks, &submit, 3000);
    bool all_withheld = f && f->submit_result->accepted;
    for (size_t i = 0; f && i < f->submit_result->n_decisions; i++) {
        Samhand__V1__AgencyDecision *d = f->submit_result->decisions [i];
        if (d->agency != SAMHAND__V1__AGENCY__CRISIS_CENTRE)
            all_withheld = all_withheld && d->view == SAMHAND__V1__VIEW__WITHHELD;
    }
    CHECK (all_withheld, "without consent nothing leaves the crisis centre (contact stays confidential)");
    frame_free (&f);
    hclient_destroy (&ks);
}

//  A consent to the police for NID, with the given classes and purposes,
//  in force until UNTIL (unix seconds).
static Samhand__V1__Frame *
s_grant_until (hclient_t *c, const char *nid, const Samhand__V1__DataClass *classes,
               size_t n_classes, char **purposes, size_t n_purposes, int64_t until)
{
    Samhand__V1__Frame frame;
    Samhand__V1__ConsentGrant grant;
    Samhand__V1__Subject subject;
    Samhand__V1__Agency agencies [1] = { SAMHAND__V1__AGENCY__POLICE_RISK };
    harness_grant (&frame, &grant, &subject, nid, agencies, 1, (Samhand__V1__DataClass *) classes,
                   n_classes, purposes, n_purposes, until);
    return s_request (c, &frame, SAMHAND__V1__FRAME__COMMAND_CONSENT_REPLY);
}

//  The police's stored subscription takes every kind (case status too).
static void
s_police_subscribe_all (harness_t *h)
{
    hclient_t *police = hclient_new (h, "politi-risk");
    Samhand__V1__Frame frame = SAMHAND__V1__FRAME__INIT;
    Samhand__V1__Subscribe sub = SAMHAND__V1__SUBSCRIBE__INIT;
    Samhand__V1__Kind kinds [] = { SAMHAND__V1__KIND__CONCERN_REPORT, SAMHAND__V1__KIND__RISK_CHANGE,
        SAMHAND__V1__KIND__CASE_DISCUSSION, SAMHAND__V1__KIND__CASE_STATUS,
        SAMHAND__V1__KIND__CONSENT_NOTICE, SAMHAND__V1__KIND__ALERT };
    sub.kinds = kinds;
    sub.n_kinds = 6;
    frame.command_case = SAMHAND__V1__FRAME__COMMAND_SUBSCRIBE;
    frame.subscribe = &sub;
    Samhand__V1__Frame *f = s_request (police, &frame, SAMHAND__V1__FRAME__COMMAND_SUBSCRIBED);
    frame_free (&f);
    hclient_drain (police, 500);
    hclient_destroy (&police);
}

#define SIV_NAME  "Siv Oppdiktet"
#define SIV_NID   "12039012345"
#define SIV_PHONE "98765432"
#define SIV_ADDR  "Diktervegen 7"

//  Withdrawal decides waiting deliveries again from the original content:
//  a case status whose text names the person was identified under the
//  consent; decided again it is pseudonymised, and its text (which fails
//  the identifier check) goes with the identity.
//  A sender of another agency was told, in its SubmitResult and status,
//  whether the crisis centre got its concern identified "on consent c-..":
//  that is the existence of a consent naming the crisis centre, which it
//  is not named in, and so that she has been in contact with the crisis
//  centre (krisesenterlova §5). It must be answered exactly as for a
//  person without any consent. Invented: "Liv Oppdiktet", "Eli Oppdiktet".
//  A concern about NAME (NID), sent by C to its routed agencies, or only
//  to the crisis centre when TO_CRISIS. Its SubmitResult, or NULL.
static Samhand__V1__Frame *
s_concern_about (hclient_t *c, const char *name, const char *nid, bool to_crisis, uint8_t id [16])
{
    Samhand__V1__Submit submit;
    Samhand__V1__ConcernReport concern;
    Samhand__V1__Subject subject;
    Samhand__V1__Agency to [1] = { SAMHAND__V1__AGENCY__CRISIS_CENTRE };
    harness_concern (&submit, &concern, &subject, "Invented: naboer melder om bråk.");
    subject.name = (char *) name;
    subject.national_id = (char *) nid;
    subject.phone = "";
    if (to_crisis) {
        submit.recipients = to;
        submit.n_recipients = 1;
    }
    harness_new_id (&submit, id);
    return hclient_submit (c, &submit, 3000);
}

static Samhand__V1__Frame *
s_police_concern (hclient_t *c, const char *name, const char *nid, uint8_t id [16])
{
    return s_concern_about (c, name, nid, false, id);
}

//  Liv Oppdiktet's consent (identity, 30 days) naming AGENCIES, recorded
//  by the coordinator C. True when it was granted.
static bool
s_grant_liv (hclient_t *c, Samhand__V1__Agency *agencies, size_t n_agencies)
{
    Samhand__V1__Frame frame;
    Samhand__V1__ConsentGrant grant;
    Samhand__V1__Subject subject;
    Samhand__V1__DataClass classes [1] = { SAMHAND__V1__DATA_CLASS__IDENTITY };
    char *purposes [1] = { "follow_up" };
    harness_grant (&frame, &grant, &subject, "07079012345", agencies, n_agencies, classes, 1,
                   purposes, 1, time (NULL) + 30 * 86400);
    Samhand__V1__Frame *f = s_request (c, &frame, SAMHAND__V1__FRAME__COMMAND_CONSENT_REPLY);
    bool granted = f && f->consent_reply->ok;
    frame_free (&f);
    return granted;
}

static size_t
s_crisis_nodes (hclient_t *c, const uint8_t id [16], char *state, size_t size)
{
    Samhand__V1__Frame frame = SAMHAND__V1__FRAME__INIT;
    Samhand__V1__StatusQuery q = SAMHAND__V1__STATUS_QUERY__INIT;
    q.message_id = (ProtobufCBinaryData) { 16, (uint8_t *) id };
    frame.command_case = SAMHAND__V1__FRAME__COMMAND_STATUS_QUERY;
    frame.status_query = &q;
    Samhand__V1__Frame *f = s_request (c, &frame, SAMHAND__V1__FRAME__COMMAND_STATUS_REPORT);
    size_t n = f? 0: 99;
    for (size_t i = 0; f && i < f->status_report->n_nodes; i++)
        n += f->status_report->nodes [i]->agency == SAMHAND__V1__AGENCY__CRISIS_CENTRE;
    snprintf (state, size, "%s", f? f->status_report->state: "");
    frame_free (&f);
    return n;
}

static void
test_crisis_column (harness_t *h)
{
    hclient_t *coord = hclient_new (h, "koordinator");
    hclient_t *police = hclient_new (h, "politi-risk");
    hclient_t *crisis = hclient_listener (h, "krisesenter");
    //  Her consent names the crisis centre (and the resource centre), not the police.
    Samhand__V1__Agency agencies [2] = { SAMHAND__V1__AGENCY__RESOURCE_CENTRE,
                                         SAMHAND__V1__AGENCY__CRISIS_CENTRE };
    CHECK (s_grant_liv (coord, agencies, 2), "crisis column: a consent naming the crisis centre, not the police");
    uint8_t with_id [16], without_id [16];
    Samhand__V1__Frame *with = s_police_concern (police, "Liv Oppdiktet", "07079012345", with_id);
    Samhand__V1__Frame *without = s_police_concern (police, "Eli Oppdiktet", "08089012345", without_id);
    const Samhand__V1__AgencyDecision *a = s_decision (with, SAMHAND__V1__AGENCY__CRISIS_CENTRE);
    const Samhand__V1__AgencyDecision *b = s_decision (without, SAMHAND__V1__AGENCY__CRISIS_CENTRE);
    CHECK (with && without && with->submit_result->accepted && without->submit_result->accepted
             && a && b && a->view == b->view && streq (a->rule, b->rule)
             && streq (a->reason, b->reason) && streq (a->legal_basis, b->legal_basis)
             && a->nodes == b->nodes && streq (a->warning, b->warning)
             && !strstr (a->reason, "c-") && !strstr (a->rule, "CONSENT"),
           "crisis column: the police's result cannot tell a consent naming the crisis centre from"
           " none");
    if (a && b && (a->view != b->view || strcmp (a->rule, b->rule)))
        printf ("  with consent: %d %s (%s); without: %d %s (%s)\n", a->view, a->rule, a->reason,
                b->view, b->rule, b->reason);
    frame_free (&with);
    frame_free (&without);
    //  The crisis centre did get it (her consent names it): only the
    //  police are not told.
    Samhand__V1__Frame *f = s_next (crisis, SAMHAND__V1__KIND__CONCERN_REPORT, 3000);
    CHECK (f && f->deliver->view == SAMHAND__V1__VIEW__IDENTIFIED && frame_contains (f, "Liv Oppdiktet"),
           "crisis column: the crisis centre receives the concern on her consent");
    frame_free (&f);
    zclock_sleep (300);
    char state_with [32], state_without [32];
    size_t n_with = s_crisis_nodes (police, with_id, state_with, sizeof state_with);
    size_t n_without = s_crisis_nodes (police, without_id, state_without, sizeof state_without);
    CHECK (n_with == 0 && n_without == 0 && streq (state_with, state_without),
           "crisis column: the police's status report names no crisis-centre node and its state"
           " does not move when the crisis centre reads");
    if (n_with || strcmp (state_with, state_without))
        printf ("  status: %zu crisis nodes, state %s vs %s\n", n_with, state_with, state_without);
    hclient_destroy (&crisis);
    hclient_destroy (&police);
    hclient_destroy (&coord);
}

//  A crisis-centre node's full outbox refused a sender of another agency's
//  concern "the outbox of krisesenter is full" (or "your share") only when
//  the crisis centre was to get it, that is when her consent names it:
//  whether a submit went through told the police of the consent, and so of
//  the contact. Its own broker, with a small outbox bound. Invented people.
static void
test_crisis_outbox (void)
{
    harness_t *h = harness_new ("limits\n    max_outbox = 4\n");
    CHECK (h && harness_start (h) == 0, "crisis outbox: a broker with max_outbox 4 starts");
    if (!h)
        return;
    hclient_t *coord = hclient_new (h, "koordinator");
    hclient_t *police = hclient_new (h, "politi-risk");
    Samhand__V1__Agency crisis [1] = { SAMHAND__V1__AGENCY__CRISIS_CENTRE };
    bool granted = s_grant_liv (coord, crisis, 1);
    //  The crisis centre's node is not connected: its outbox fills.
    int accepted [2] = { 0, 0 };
    bool named = false;
    for (int person = 0; person < 2; person++)
        for (int i = 0; i < 6; i++) {
            uint8_t id [16];
            Samhand__V1__Frame *f = s_concern_about (police, person? "Eli Oppdiktet": "Liv Oppdiktet",
                                                     person? "08089012345": "07079012345", true, id);
            accepted [person] += f && f->submit_result->accepted;
            named = named || (f && f->submit_result->error
                              && strstr (f->submit_result->error->text, "krisesenter"));
            frame_free (&f);
        }
    CHECK (granted && accepted [0] == 6 && accepted [1] == 6 && !named,
           "crisis outbox: a full crisis-centre outbox refuses another agency's sender neither"
           " with nor without her consent, and names no crisis-centre node");
    if (accepted [0] != 6 || accepted [1] != 6 || named)
        printf ("  accepted with consent %d, without %d; named %d\n", accepted [0], accepted [1],
                named);
    hclient_destroy (&police);
    hclient_destroy (&coord);
    CHECK (harness_stop (h, SIGTERM) == 0, "crisis outbox: clean stop");
    harness_destroy (&h);
}

//  A node's name enrolled again under another agency (a reorganisation, an
//  administrator's mistake) was sent what waited for the name: entries
//  decided for the crisis centre went to a node now of the police, and
//  its inbox showed them. Its own broker. Invented: "Liv Oppdiktet".
static void
test_node_moved (void)
{
    harness_t *h = harness_new (NULL);
    CHECK (h && harness_enrol (h, "flytter", "crisis_centre") && harness_start (h) == 0,
           "node moved: a broker with a second crisis-centre node starts");
    if (!h)
        return;
    hclient_t *coord = hclient_new (h, "koordinator");
    Samhand__V1__Agency crisis [1] = { SAMHAND__V1__AGENCY__CRISIS_CENTRE };
    bool granted = s_grant_liv (coord, crisis, 1);
    uint8_t id [16];
    Samhand__V1__Frame *f = s_concern_about (coord, "Liv Oppdiktet", "07079012345", true, id);
    bool accepted = f && f->submit_result->accepted;
    frame_free (&f);
    hclient_destroy (&coord);
    CHECK (granted && accepted && harness_stop (h, SIGTERM) == 0
             && harness_enrol (h, "flytter", "police_risk") && harness_start (h) == 0,
           "node moved: a concern waits for the crisis-centre node, which is then enrolled again"
           " as the police's");
    hclient_t *moved = hclient_new (h, "flytter");
    f = hclient_subscribe (moved, 3000);
    frame_free (&f);
    bool leaked = false;
    while ((f = hclient_expect (moved, SAMHAND__V1__FRAME__COMMAND_DELIVER, 1500)) != NULL) {
        leaked = leaked || frame_contains (f, "Liv Oppdiktet") || frame_contains (f, "07079012345");
        hclient_receipt (moved, f->deliver->delivery_id, 1);
        frame_free (&f);
    }
    Samhand__V1__Frame q = SAMHAND__V1__FRAME__INIT;
    Samhand__V1__InboxQuery iq = SAMHAND__V1__INBOX_QUERY__INIT;
    iq.include_read = true;
    q.command_case = SAMHAND__V1__FRAME__COMMAND_INBOX_QUERY;
    q.inbox_query = &iq;
    f = s_request (moved, &q, SAMHAND__V1__FRAME__COMMAND_INBOX_REPLY);
    leaked = leaked || !f || frame_contains (f, "Liv Oppdiktet") || frame_contains (f, "07079012345");
    frame_free (&f);
    CHECK (!leaked, "node moved: what was decided for the crisis centre does not reach the node"
           " now of the police, by delivery or inbox");
    hclient_destroy (&moved);
    CHECK (harness_stop (h, SIGTERM) == 0, "node moved: clean stop");
    harness_destroy (&h);
}

static void
test_redecide_content (harness_t *h)
{
    hclient_t *coord = hclient_new (h, "koordinator");
    s_police_subscribe_all (h);
    Samhand__V1__Submit submit = SAMHAND__V1__SUBMIT__INIT;
    Samhand__V1__RiskChange risk = SAMHAND__V1__RISK_CHANGE__INIT;
    Samhand__V1__Subject subject = SAMHAND__V1__SUBJECT__INIT;
    uint8_t id [16];
    subject.name = SIV_NAME;
    subject.national_id = SIV_NID;
    subject.phone = SIV_PHONE;
    risk.subject = &subject;
    risk.level = SAMHAND__V1__RISK_LEVEL__MODERATE;
    Samhand__V1__Agency only_rc [1] = { SAMHAND__V1__AGENCY__RESOURCE_CENTRE };
    submit.recipients = only_rc;
    submit.n_recipients = 1;
    submit.body_case = SAMHAND__V1__SUBMIT__BODY_RISK_CHANGE;
    submit.risk_change = &risk;
    harness_new_id (&submit, id);
    Samhand__V1__Frame *f = hclient_submit (coord, &submit, 3000);
    char ref [64] = "";
    if (f && f->submit_result->case_ref)
        snprintf (ref, sizeof ref, "%s", f->submit_result->case_ref);
    frame_free (&f);

    Samhand__V1__DataClass classes [2] = { SAMHAND__V1__DATA_CLASS__IDENTITY,
                                           SAMHAND__V1__DATA_CLASS__FREE_TEXT };
    char *purposes [1] = { "follow_up" };
    f = s_grant_until (coord, SIV_NID, classes, 2, purposes, 1, time (NULL) + 86400);
    char consent_id [64] = "";
    if (f && f->consent_reply->n_consents)
        snprintf (consent_id, sizeof consent_id, "%s", f->consent_reply->consents [0]->consent_id);
    frame_free (&f);

    Samhand__V1__Submit st = SAMHAND__V1__SUBMIT__INIT;
    Samhand__V1__CaseStatus status = SAMHAND__V1__CASE_STATUS__INIT;
    Samhand__V1__Agency to_police [1] = { SAMHAND__V1__AGENCY__POLICE_RISK };
    status.case_ref = ref;
    status.text = "Invented: " SIV_NAME " (" SIV_NID ") flyttet til " SIV_ADDR ", ny tlf " SIV_PHONE;
    st.recipients = to_police;
    st.n_recipients = 1;
    st.body_case = SAMHAND__V1__SUBMIT__BODY_CASE_STATUS;
    st.case_status = &status;
    harness_new_id (&st, id);
    f = hclient_submit (coord, &st, 3000);
    const Samhand__V1__AgencyDecision *d = s_decision (f, SAMHAND__V1__AGENCY__POLICE_RISK);
    CHECK (d && d->view == SAMHAND__V1__VIEW__IDENTIFIED && streq (d->rule, "FVL13A1-CONSENT")
             && d->nodes == 1,
           "redecide: the case status is identified for the (offline) police under the consent");
    frame_free (&f);
    f = hclient_withdraw (coord, consent_id, 3000);
    CHECK (f && f->consent_reply->ok && f->consent_reply->redecided >= 1,
           "redecide: the withdrawal decides the waiting case status again");
    frame_free (&f);

    hclient_t *police = hclient_new (h, "politi-risk");
    f = hclient_subscribe (police, 3000);
    frame_free (&f);
    f = s_next (police, SAMHAND__V1__KIND__CASE_STATUS, 3000);
    CHECK (f && f->deliver->view == SAMHAND__V1__VIEW__PSEUDONYMISED
             && strncmp (f->deliver->case_status->case_ref, "PR-", 3) == 0,
           "redecide: the police get the case status pseudonymised, under their own reference");
    CHECK (f && !frame_contains (f, "Oppdiktet") && !frame_contains (f, SIV_NID)
             && !frame_contains (f, SIV_PHONE) && !frame_contains (f, "Diktervegen"),
           "redecide: no name, fødselsnummer, phone or address in the re-decided view");
    frame_free (&f);
    hclient_destroy (&police);
    hclient_destroy (&coord);
}

//  Counts audit records of an event (admin export, first page).
static int
s_audit_events (harness_t *h, const char *event)
{
    hclient_t *admin = hclient_new (h, "admin");
    Samhand__V1__Frame q = SAMHAND__V1__FRAME__INIT;
    Samhand__V1__AuditQuery aq = SAMHAND__V1__AUDIT_QUERY__INIT;
    aq.query = "export";
    q.command_case = SAMHAND__V1__FRAME__COMMAND_AUDIT_QUERY;
    q.audit_query = &aq;
    int count = 0;
    uint64_t after = 0;
    Samhand__V1__Frame *f;
    do {
        aq.after_seq = after;
        f = s_request (admin, &q, SAMHAND__V1__FRAME__COMMAND_AUDIT_REPLY);
        bool more = f && f->audit_reply->more;
        for (size_t i = 0; f && i < f->audit_reply->n_entries; i++) {
            count += streq (f->audit_reply->entries [i]->event, event);
            after = f->audit_reply->entries [i]->seq;
        }
        frame_free (&f);
        if (!more)
            break;
    } while (true);
    hclient_destroy (&admin);
    return count;
}

//  A consent that expires while an identified delivery waits: at expiry
//  the broker decides it again (a stored timer, which also fires after a
//  restart), and the police, connecting later, get no identified view.
static void
test_consent_expiry (harness_t *h)
{
    hclient_t *coord = hclient_new (h, "koordinator");
    Samhand__V1__DataClass classes [3] = { SAMHAND__V1__DATA_CLASS__IDENTITY,
        SAMHAND__V1__DATA_CLASS__CONTACT, SAMHAND__V1__DATA_CLASS__RISK_LEVEL_CLASS };
    char *purposes [1] = { "risk_management" };
    int before = s_audit_events (h, "consent_expired");
    int64_t until = time (NULL) + 3;
    Samhand__V1__Frame *f = s_grant_until (coord, "17057712345", classes, 3, purposes, 1, until);
    CHECK (f && f->consent_reply->ok, "expiry: a consent of three seconds is recorded");
    frame_free (&f);
    Samhand__V1__Submit submit = SAMHAND__V1__SUBMIT__INIT;
    Samhand__V1__RiskChange risk = SAMHAND__V1__RISK_CHANGE__INIT;
    Samhand__V1__Subject subject = SAMHAND__V1__SUBJECT__INIT;
    uint8_t id [16];
    subject.name = "Tove Utløpt";
    subject.national_id = "17057712345";
    subject.phone = "97531864";
    risk.subject = &subject;
    risk.level = SAMHAND__V1__RISK_LEVEL__HIGH;
    Samhand__V1__Agency to_police [1] = { SAMHAND__V1__AGENCY__POLICE_RISK };
    submit.recipients = to_police;
    submit.n_recipients = 1;
    submit.body_case = SAMHAND__V1__SUBMIT__BODY_RISK_CHANGE;
    submit.risk_change = &risk;
    harness_new_id (&submit, id);
    f = hclient_submit (coord, &submit, 3000);
    const Samhand__V1__AgencyDecision *d = s_decision (f, SAMHAND__V1__AGENCY__POLICE_RISK);
    CHECK (d && d->view == SAMHAND__V1__VIEW__IDENTIFIED && d->nodes == 1,
           "expiry: the risk change waits identified for the offline police");
    frame_free (&f);
    hclient_destroy (&coord);

    //  The broker is down when the consent ends: the stored timer fires
    //  when it is back.
    CHECK (harness_stop (h, SIGTERM) == 0, "expiry: broker stopped before the consent ends");
    while (time (NULL) <= until)
        zclock_sleep (200);
    CHECK (harness_start (h) == 0, "expiry: broker restarted after the consent ended");
    zclock_sleep (2500);        //  a workflow tick or two
    CHECK (s_audit_events (h, "consent_expired") == before + 1,
           "expiry: the broker recorded the consent's end by itself (stored timer, after a restart)");

    hclient_t *police = hclient_new (h, "politi-risk");
    f = hclient_subscribe (police, 3000);
    frame_free (&f);
    bool identified = false, got = false;
    while ((f = hclient_expect (police, SAMHAND__V1__FRAME__COMMAND_DELIVER, 1500))) {
        hclient_receipt (police, f->deliver->delivery_id, 1);
        if (f->deliver->kind == SAMHAND__V1__KIND__RISK_CHANGE
        &&  f->deliver->risk_change->level == SAMHAND__V1__RISK_LEVEL__HIGH && !got) {
            got = true;
            identified = f->deliver->view == SAMHAND__V1__VIEW__IDENTIFIED
                      || frame_contains (f, "17057712345") || frame_contains (f, "Utløpt")
                      || frame_contains (f, "97531864");
        }
        frame_free (&f);
    }
    CHECK (got && !identified,
           "expiry: the police, connecting after the consent ended, get the risk change without identity");
    hclient_destroy (&police);
}

static size_t
s_listed (Samhand__V1__Frame *f)
{
    return f && f->consent_reply && f->consent_reply->ok? f->consent_reply->n_consents: 999;
}

//  A consent record goes only to the agencies it names and to the agency
//  that recorded it (DESIGN.md §2): a consent the crisis centre recorded
//  for the resource centre must not show the police, by listing or by
//  withdrawing, that the person was in contact with the crisis centre.
static void
test_consent_scope (harness_t *h)
{
    const char *nid = "15038540421";        //  invented, valid check digits
    hclient_t *crisis = hclient_new (h, "krise-koord");
    hclient_t *police = hclient_new (h, "politi-koord");
    hclient_t *rc = hclient_new (h, "koordinator");
    Samhand__V1__Frame frame;
    Samhand__V1__ConsentGrant grant;
    Samhand__V1__Subject subject;
    Samhand__V1__Agency agencies [1] = { SAMHAND__V1__AGENCY__RESOURCE_CENTRE };
    Samhand__V1__DataClass classes [1] = { SAMHAND__V1__DATA_CLASS__IDENTITY };
    char *purposes [1] = { "follow_up" };
    harness_grant (&frame, &grant, &subject, nid, agencies, 1, classes, 1, purposes, 1,
                   time (NULL) + 86400);
    grant.capacity_assessed_by = "Invented Krisearbeider";
    Samhand__V1__Frame *f = crisis && police && rc?
        s_request (crisis, &frame, SAMHAND__V1__FRAME__COMMAND_CONSENT_REPLY): NULL;
    bool granted = f && f->consent_reply && f->consent_reply->ok && f->consent_reply->n_consents == 1;
    char id [40] = "";
    if (granted)
        snprintf (id, sizeof id, "%s", f->consent_reply->consents [0]->consent_id);
    frame_free (&f);
    CHECK (granted, "consent scope: the crisis centre records a consent naming the resource centre");

    //  capacity_assessed_by is kept in clear: a name and nothing else
    const char *smuggled [] = { "Berit 150385 40421", "Berit \xef\xbc\x94\xef\xbc\x91\xef\xbc\x92"
                                "\xef\xbc\x93\xef\xbc\x94\xef\xbc\x95\xef\xbc\x96\xef\xbc\x97",
                                "kt1985@example.no", "Berit Vurderersen om Zelda Feltnavnsen i Hemmeligveien",
                                "Berit; tlf fire en to tre fire fem seks sju" };
    int refused_all = 0;
    for (size_t k = 0; k < sizeof smuggled / sizeof smuggled [0]; k++) {
        grant.capacity_assessed_by = (char *) smuggled [k];
        f = crisis? s_request (crisis, &frame, SAMHAND__V1__FRAME__COMMAND_CONSENT_REPLY): NULL;
        if (f && f->consent_reply && !f->consent_reply->ok && f->consent_reply->error
        &&  f->consent_reply->error->code == SAMHAND__V1__ERROR_CODE__INVALID_FIELD)
            refused_all++;
        frame_free (&f);
    }
    grant.capacity_assessed_by = "Invented Krisearbeider";
    CHECK (refused_all == (int) (sizeof smuggled / sizeof smuggled [0]),
           "consent: capacity_assessed_by holding a number, an address or a note is refused");
    purposes [0] = "Zelda Feltnavnsen";
    f = crisis? s_request (crisis, &frame, SAMHAND__V1__FRAME__COMMAND_CONSENT_REPLY): NULL;
    CHECK (f && f->consent_reply && !f->consent_reply->ok && f->consent_reply->error
        && f->consent_reply->error->code == SAMHAND__V1__ERROR_CODE__INVALID_FIELD,
           "consent: a purpose that is a person's name is refused (purposes are kept in clear)");
    frame_free (&f);
    purposes [0] = "follow_up";

    f = police? hclient_consents (police, nid, 3000): NULL;
    CHECK (s_listed (f) == 0 && !frame_contains (f, "Krisearbeider") && !frame_contains (f, "krise-koord"),
           "consent scope: a police coordinator is not shown the crisis centre's consent");
    frame_free (&f);
    f = police? hclient_withdraw (police, id, 3000): NULL;
    bool refused = f && f->consent_reply && !f->consent_reply->ok && f->consent_reply->error
                && f->consent_reply->error->code == SAMHAND__V1__ERROR_CODE__NOT_FOUND;
    frame_free (&f);
    f = police? hclient_withdraw (police, "c-000000000000", 3000): NULL;
    bool alike = refused && f && f->consent_reply && f->consent_reply->error
              && strcmp (f->consent_reply->error->text, "no consent with that id") == 0;
    frame_free (&f);
    CHECK (alike, "consent scope: a police coordinator cannot withdraw it, answered as an unknown id");

    f = rc? hclient_consents (rc, nid, 3000): NULL;
    bool rc_sees = s_listed (f) == 1 && f->consent_reply->consents [0]->withdrawn_at == 0;
    //  Named, the resource centre sees the consent, not that the crisis
    //  centre recorded it: neither its node nor its worker who assessed her.
    CHECK (rc_sees && !frame_contains (f, "krise-koord") && !frame_contains (f, "Krisearbeider"),
           "consent scope: the resource centre is not shown who recorded it or assessed her"
           " (the crisis centre)");
    frame_free (&f);
    f = crisis? hclient_consents (crisis, nid, 3000): NULL;
    CHECK (rc_sees && s_listed (f) == 1,
           "consent scope: the named agency and the recording agency see it, still in force");
    frame_free (&f);
    hclient_destroy (&crisis);
    hclient_destroy (&police);
    hclient_destroy (&rc);
}

//  The agencies a consent names reach the agencies it names: a consent the
//  resource centre recorded naming the police and the crisis centre told a
//  police coordinator that she has been in contact with the crisis centre
//  (krisesenterlova §5). Shown to another agency than the crisis centre
//  (or the recording agency) it names the others only; a withdrawal or
//  expiry notice goes only to the agencies the consent names; a
//  withdrawal's count does not count the crisis centre's entries.
#define MONA_NID "12068510072"            //  invented, valid check digits

static bool
s_names_crisis (Samhand__V1__Frame *f)
{
    for (size_t i = 0; f && f->consent_reply && i < f->consent_reply->n_consents; i++)
        for (size_t k = 0; k < f->consent_reply->consents [i]->n_agencies; k++)
            if (f->consent_reply->consents [i]->agencies [k] == SAMHAND__V1__AGENCY__CRISIS_CENTRE)
                return true;
    return false;
}

static Samhand__V1__Frame *
s_grant_mona (hclient_t *c, Samhand__V1__Agency *agencies, size_t n, const char *assessor)
{
    Samhand__V1__Frame frame;
    Samhand__V1__ConsentGrant grant;
    Samhand__V1__Subject subject;
    Samhand__V1__DataClass classes [1] = { SAMHAND__V1__DATA_CLASS__IDENTITY };
    char *purposes [1] = { "follow_up" };
    harness_grant (&frame, &grant, &subject, MONA_NID, agencies, n, classes, 1, purposes, 1,
                   time (NULL) + 86400);
    grant.capacity_assessed_by = (char *) assessor;
    return s_request (c, &frame, SAMHAND__V1__FRAME__COMMAND_CONSENT_REPLY);
}

static int64_t
s_redecided_entries (harness_t *h, bool crisis)
{
    return harness_sql_int (h, crisis
        ? "SELECT count(*) FROM outbox WHERE agency = 4 AND reason LIKE 'decided again after consent withdrawal%'"
        : "SELECT count(*) FROM outbox WHERE agency <> 4 AND reason LIKE 'decided again after consent withdrawal%'");
}

static void
test_consent_crisis_hidden (harness_t *h)
{
    hclient_t *rc = hclient_new (h, "koordinator");
    hclient_t *coord = hclient_new (h, "politi-koord");
    hclient_t *crisis = hclient_new (h, "krise-koord");
    hclient_t *police = hclient_new (h, "politi-risk");
    Samhand__V1__Frame *f = police? hclient_subscribe (police, 3000): NULL;
    frame_free (&f);
    Samhand__V1__Agency both [2] = { SAMHAND__V1__AGENCY__POLICE_RISK,
                                     SAMHAND__V1__AGENCY__CRISIS_CENTRE };
    f = rc && coord && crisis? s_grant_mona (rc, both, 2, "Invented Vurderer"): NULL;
    bool recorded = f && f->consent_reply->ok && f->consent_reply->n_consents == 1
                 && s_names_crisis (f);
    char id [40] = "";
    if (recorded)
        snprintf (id, sizeof id, "%s", f->consent_reply->consents [0]->consent_id);
    frame_free (&f);
    f = coord? hclient_consents (coord, MONA_NID, 3000): NULL;
    bool police_sees = s_listed (f) == 1 && f->consent_reply->consents [0]->n_agencies == 1
                    && f->consent_reply->consents [0]->agencies [0] == SAMHAND__V1__AGENCY__POLICE_RISK;
    CHECK (recorded && police_sees && !s_names_crisis (f),
           "consent crisis: a police coordinator is shown the resource centre's consent as naming"
           " the police only, not the crisis centre");
    frame_free (&f);
    f = rc? hclient_consents (rc, MONA_NID, 3000): NULL;
    bool rc_sees = s_listed (f) == 1 && s_names_crisis (f) && frame_contains (f, "Invented Vurderer");
    frame_free (&f);
    f = crisis? hclient_consents (crisis, MONA_NID, 3000): NULL;
    CHECK (rc_sees && s_listed (f) == 1 && s_names_crisis (f),
           "consent crisis: the recording agency and the crisis centre see it whole");
    frame_free (&f);

    //  The crisis centre's own: one naming it alone, one naming the police too.
    Samhand__V1__Agency alone [1] = { SAMHAND__V1__AGENCY__CRISIS_CENTRE };
    f = crisis? s_grant_mona (crisis, alone, 1, "Invented Krisearbeider"): NULL;
    char own [40] = "";
    if (f && f->consent_reply->ok && f->consent_reply->n_consents == 1)
        snprintf (own, sizeof own, "%s", f->consent_reply->consents [0]->consent_id);
    frame_free (&f);
    f = crisis? s_grant_mona (crisis, both, 2, "Invented Krisearbeider"): NULL;
    bool second = f && f->consent_reply->ok;
    char theirs [40] = "";
    if (second && f->consent_reply->n_consents == 1)
        snprintf (theirs, sizeof theirs, "%s", f->consent_reply->consents [0]->consent_id);
    frame_free (&f);
    f = coord? hclient_consents (coord, MONA_NID, 3000): NULL;
    CHECK (*own && second && s_listed (f) == 2 && !s_names_crisis (f)
             && !frame_contains (f, "krise-koord") && !frame_contains (f, "Krisearbeider")
             && !frame_contains (f, own),
           "consent crisis: of the crisis centre's consents the police see only the one naming"
           " them, as naming the police only, without its recorder or assessor");
    frame_free (&f);
    f = rc? hclient_consents (rc, MONA_NID, 3000): NULL;
    CHECK (s_listed (f) == 1, "consent crisis: the resource centre sees none of the crisis centre's");
    frame_free (&f);
    //  Drain the grant notices the police team node was sent.
    while (police && (f = s_next (police, SAMHAND__V1__KIND__CONSENT_NOTICE, 1000)) != NULL)
        frame_free (&f);

    //  The police team node receives a concern identified on the
    //  resource centre's consent; then the crisis centre's own consent
    //  (naming it alone) is withdrawn: nothing is told to the police.
    Samhand__V1__Submit submit;
    Samhand__V1__ConcernReport concern;
    Samhand__V1__Subject subject;
    uint8_t mid [16];
    harness_concern (&submit, &concern, &subject, "Invented: naboer melder om bråk.");
    subject.name = "Mona Oppdiktet";
    subject.national_id = MONA_NID;
    subject.phone = "";
    harness_new_id (&submit, mid);
    f = rc? hclient_submit (rc, &submit, 3000): NULL;
    frame_free (&f);
    f = police? s_next (police, SAMHAND__V1__KIND__CONCERN_REPORT, 3000): NULL;
    bool identified = f && f->deliver->view == SAMHAND__V1__VIEW__IDENTIFIED;
    frame_free (&f);
    zclock_sleep (300);                 //  the receipt is committed
    f = crisis && *own? hclient_withdraw (crisis, own, 3000): NULL;
    bool withdrawn = f && f->consent_reply->ok;
    frame_free (&f);
    int notices = 0;
    while (police && (f = s_next (police, SAMHAND__V1__KIND__CONSENT_NOTICE, 1500)) != NULL) {
        notices++;
        frame_free (&f);
    }
    CHECK (identified && withdrawn && notices == 0,
           "consent crisis: the crisis centre's own consent withdrawn, the police (not named in it)"
           " get no notice of it");

    //  The police withdraw both consents naming them (her word) while the
    //  crisis centre's nodes still hold the concern unread: the count tells
    //  the police of the entries of the agencies they see, not the crisis
    //  centre's (withheld from it at the second).
    f = coord && *id? hclient_withdraw (coord, id, 3000): NULL;
    bool first = f && f->consent_reply->ok;
    frame_free (&f);
    int64_t crisis_before = s_redecided_entries (h, true);
    int64_t others_before = s_redecided_entries (h, false);
    f = coord && first && *theirs? hclient_withdraw (coord, theirs, 3000): NULL;
    int64_t told = f && f->consent_reply->ok? (int64_t) f->consent_reply->redecided: -1;
    frame_free (&f);
    int64_t crisis_entries = s_redecided_entries (h, true) - crisis_before;
    int64_t others = s_redecided_entries (h, false) - others_before;
    CHECK (crisis_entries >= 1 && told == others,
           "consent crisis: a police withdrawal's count leaves out the crisis centre's entries");
    if (told != others || crisis_entries < 1)
        printf ("  told %" PRId64 ", others %" PRId64 ", crisis %" PRId64 "\n", told, others,
                crisis_entries);
    hclient_destroy (&police);
    hclient_destroy (&crisis);
    hclient_destroy (&coord);
    hclient_destroy (&rc);
}

static size_t
s_reviews_with (hclient_t *admin, const char *text)
{
    Samhand__V1__Frame q = SAMHAND__V1__FRAME__INIT;
    Samhand__V1__AuditQuery aq = SAMHAND__V1__AUDIT_QUERY__INIT;
    aq.query = "reviews";
    q.command_case = SAMHAND__V1__FRAME__COMMAND_AUDIT_QUERY;
    q.audit_query = &aq;
    Samhand__V1__Frame *f = s_request (admin, &q, SAMHAND__V1__FRAME__COMMAND_AUDIT_REPLY);
    size_t n = 0;
    for (size_t i = 0; f && f->audit_reply && i < f->audit_reply->n_entries; i++)
        n += streq (f->audit_reply->entries [i]->rule, "STRL196-AVERT")
          && strstr (f->audit_reply->entries [i]->detail, text) != NULL;
    frame_free (&f);
    return n;
}

//  A crisis-centre concern that claims the duty to avert and also has a
//  consent naming the police goes identified on the consent (no review).
//  When the consent is withdrawn before the police collect it, the entry
//  is decided again and now rests on the duty to avert: that disclosure
//  must be listed for review like a first decision under it.
static void
test_redecide_to_avert (harness_t *h)
{
    const char *nid = "01019012057";
    hclient_t *crisis = hclient_new (h, "krise-koord");
    hclient_t *ks = hclient_new (h, "krisesenter");
    hclient_t *admin = hclient_new (h, "admin");
    Samhand__V1__Frame frame;
    Samhand__V1__ConsentGrant grant;
    Samhand__V1__Subject cs;
    Samhand__V1__Agency agencies [1] = { SAMHAND__V1__AGENCY__POLICE_RISK };
    Samhand__V1__DataClass classes [3] = { SAMHAND__V1__DATA_CLASS__IDENTITY,
        SAMHAND__V1__DATA_CLASS__CONTACT, SAMHAND__V1__DATA_CLASS__FREE_TEXT };
    char *purposes [1] = { "follow_up" };
    harness_grant (&frame, &grant, &cs, nid, agencies, 1, classes, 3, purposes, 1,
                   time (NULL) + 86400);
    Samhand__V1__Frame *f = crisis && ks && admin?
        s_request (crisis, &frame, SAMHAND__V1__FRAME__COMMAND_CONSENT_REPLY): NULL;
    char consent_id [40] = "";
    if (f && f->consent_reply && f->consent_reply->ok && f->consent_reply->n_consents == 1)
        snprintf (consent_id, sizeof consent_id, "%s", f->consent_reply->consents [0]->consent_id);
    frame_free (&f);

    Samhand__V1__Submit submit;
    Samhand__V1__ConcernReport concern;
    Samhand__V1__Subject subject;
    Samhand__V1__LegalClaim claim = SAMHAND__V1__LEGAL_CLAIM__INIT;
    Samhand__V1__Agency to_police [1] = { SAMHAND__V1__AGENCY__POLICE_RISK };
    uint8_t id [16];
    harness_concern (&submit, &concern, &subject, "Invented: beboer forteller om drapstrusler.");
    subject.national_id = (char *) nid;
    claim.basis = SAMHAND__V1__BASIS__BASIS_AVERT;
    claim.justification = "Invented: konkret drapstrussel i kveld";
    claim.decision_maker = "Hedda Avgjorsen";
    submit.claim = &claim;
    submit.purpose = "follow_up";
    submit.recipients = to_police;
    submit.n_recipients = 1;
    harness_new_id (&submit, id);
    f = ks? hclient_submit (ks, &submit, 3000): NULL;
    const Samhand__V1__AgencyDecision *d = s_decision (f, SAMHAND__V1__AGENCY__POLICE_RISK);
    bool on_consent = *consent_id && d && d->view == SAMHAND__V1__VIEW__IDENTIFIED
                   && streq (d->rule, "FVL13A1-CONSENT");
    frame_free (&f);
    CHECK (on_consent && admin && s_reviews_with (admin, "Hedda Avgjorsen") == 0,
           "redecide to avert: the crisis centre's concern waits for the police on the consent, no review");
    f = crisis? hclient_withdraw (crisis, consent_id, 3000): NULL;
    bool redecided = f && f->consent_reply && f->consent_reply->ok && f->consent_reply->redecided >= 1;
    frame_free (&f);
    CHECK (redecided && s_reviews_with (admin, "Hedda Avgjorsen") >= 1,
           "redecide to avert: after the withdrawal the disclosure under the duty to avert is listed for review");
    char path [2][400];
    snprintf (path [0], sizeof path [0], "%s/samhand.db", h->dir);
    snprintf (path [1], sizeof path [1], "%s/samhand.db-wal", h->dir);
    CHECK (!s_file_contains (path [0], "Avgjorsen") && !s_file_contains (path [1], "Avgjorsen"),
           "redecide to avert: the decision-maker is sealed in that record too");
    hclient_destroy (&crisis);
    hclient_destroy (&ks);
    hclient_destroy (&admin);
}

//  A high-risk change the crisis centre's coordinator makes without a
//  consent is withheld from everyone. Its review date and the weekly
//  status it would call for must not remind the resource centre's
//  coordinators under their case reference for the person: that would
//  tell them that the crisis centre assessed her.
static void
test_crisis_reminders (harness_t *h)
{
    hclient_t *crisis = hclient_new (h, "krise-koord");
    hclient_t *coord = hclient_listener (h, "koordinator");
    char review [32];
    time_t soon = time (NULL) + 1;
    strftime (review, sizeof review, "%Y-%m-%dT%H:%M:%SZ", gmtime (&soon));
    Samhand__V1__Submit submit = SAMHAND__V1__SUBMIT__INIT;
    Samhand__V1__RiskChange risk = SAMHAND__V1__RISK_CHANGE__INIT;
    Samhand__V1__Subject subject = SAMHAND__V1__SUBJECT__INIT;
    uint8_t id [16];
    subject.national_id = "15038540421";
    risk.subject = &subject;
    risk.instrument = "SARA-V3";
    risk.level = SAMHAND__V1__RISK_LEVEL__HIGH;
    risk.review_by = review;
    submit.body_case = SAMHAND__V1__SUBMIT__BODY_RISK_CHANGE;
    submit.risk_change = &risk;
    harness_new_id (&submit, id);
    Samhand__V1__Frame *f = crisis && coord? hclient_submit (crisis, &submit, 3000): NULL;
    bool withheld = f && f->submit_result->accepted;
    for (size_t i = 0; f && i < f->submit_result->n_decisions; i++)
        if (f->submit_result->decisions [i]->agency != SAMHAND__V1__AGENCY__CRISIS_CENTRE)
            withheld = withheld && f->submit_result->decisions [i]->view == SAMHAND__V1__VIEW__WITHHELD;
    frame_free (&f);
    CHECK (withheld, "crisis reminders: a high-risk change from the crisis centre is withheld from the others");
    int64_t deadline = zclock_mono () + 4500;
    int reminders = 0;
    while (coord && zclock_mono () < deadline) {
        f = hclient_expect (coord, SAMHAND__V1__FRAME__COMMAND_DELIVER, (int) (deadline - zclock_mono ()));
        if (!f)
            break;
        hclient_receipt (coord, f->deliver->delivery_id, 1);
        reminders += f->deliver->alert && (streq (f->deliver->alert->type, "review_due")
                                           || streq (f->deliver->alert->type, "status_due"));
        frame_free (&f);
    }
    CHECK (withheld && reminders == 0,
           "crisis reminders: the resource centre is not reminded of the crisis centre's risk change");

    //  Nor does the crisis centre's risk change move or cancel the resource
    //  centre's own deadlines: its review reminder still comes.
    const char *nid_b = "02029012345";
    soon = time (NULL) + 2;
    strftime (review, sizeof review, "%Y-%m-%dT%H:%M:%SZ", gmtime (&soon));
    subject.national_id = (char *) nid_b;
    risk.level = SAMHAND__V1__RISK_LEVEL__MODERATE;
    harness_new_id (&submit, id);
    f = coord? hclient_submit (coord, &submit, 3000): NULL;
    char rc_ref [40] = "";
    if (f && f->submit_result->accepted && f->submit_result->case_ref)
        snprintf (rc_ref, sizeof rc_ref, "%s", f->submit_result->case_ref);
    frame_free (&f);
    risk.level = SAMHAND__V1__RISK_LEVEL__LOW;
    risk.review_by = "";
    harness_new_id (&submit, id);
    f = crisis? hclient_submit (crisis, &submit, 3000): NULL;
    bool crisis_ok = f && f->submit_result->accepted;
    frame_free (&f);
    deadline = zclock_mono () + 4500;
    int own = 0;
    while (coord && *rc_ref && zclock_mono () < deadline && !own) {
        f = hclient_expect (coord, SAMHAND__V1__FRAME__COMMAND_DELIVER, (int) (deadline - zclock_mono ()));
        if (!f)
            break;
        hclient_receipt (coord, f->deliver->delivery_id, 1);
        own += f->deliver->alert && streq (f->deliver->alert->type, "review_due")
            && streq (f->deliver->alert->case_ref, rc_ref);
        frame_free (&f);
    }
    CHECK (crisis_ok && own == 1,
           "crisis reminders: a later crisis-centre risk change does not cancel the resource centre's review reminder");
    hclient_destroy (&crisis);
    hclient_destroy (&coord);
}

int
main (void)
{
    zsys_init ();
    zsys_set_linger (0);
    harness_t *h = harness_new (NULL);
    CHECK (h && harness_start (h) == 0, "samhandd starts");
    if (!h)
        return 1;
    test_consent_cycle (h);
    test_avert (h);
    test_scanner_refusal (h);
    test_crisis_centre_sender (h);
    test_crisis_column (h);
    test_redecide_content (h);
    test_consent_expiry (h);
    CHECK (harness_stop (h, SIGTERM) == 0, "clean stop");
    harness_destroy (&h);
    //  Its own broker: more coordinators would change the node counts above.
    h = harness_new ("workflow\n    status_every = 2s\n");
    CHECK (h && harness_enrol (h, "krise-koord", "crisis_centre")
             && harness_enrol (h, "politi-koord", "police_risk")
        && harness_start (h) == 0, "a broker with coordinators of the crisis centre and the police");
    if (h) {
        test_consent_scope (h);
        test_consent_crisis_hidden (h);
        test_redecide_to_avert (h);
        test_crisis_reminders (h);
    }
    CHECK (h && harness_stop (h, SIGTERM) == 0, "clean stop");
    harness_destroy (&h);
    test_crisis_outbox ();
    test_node_moved ();
    return TEST_DONE ();
}
