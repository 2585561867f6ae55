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

//  True if the packed delivery contains the text anywhere.
static bool
s_contains (Samhand__V1__Frame *f, const char *text)
{
    size_t size = samhand__v1__frame__get_packed_size (f);
    uint8_t *buf = (uint8_t *) malloc (size + 1);
    samhand__v1__frame__pack (f, buf);
    bool found = memmem (buf, size, text, strlen (text)) != NULL;
    free (buf);
    return found;
}

static Samhand__V1__Frame *
s_grant (hclient_t *c, uint32_t days)
{
    Samhand__V1__Frame frame = SAMHAND__V1__FRAME__INIT;
    Samhand__V1__ConsentGrant grant = SAMHAND__V1__CONSENT_GRANT__INIT;
    Samhand__V1__Subject subject = SAMHAND__V1__SUBJECT__INIT;
    Samhand__V1__Agency agencies [1] = { SAMHAND__V1__AGENCY__POLICE_RISK };
    Samhand__V1__DataClass classes [3] = { SAMHAND__V1__DATA_CLASS__IDENTITY,
        SAMHAND__V1__DATA_CLASS__CONTACT, SAMHAND__V1__DATA_CLASS__RISK_LEVEL_CLASS };
    char *purposes [1] = { "risk_management" };
    subject.national_id = NID;
    grant.subject = &subject;
    grant.agencies = agencies;
    grant.n_agencies = 1;
    grant.classes = classes;
    grant.n_classes = 3;
    grant.purposes = purposes;
    grant.n_purposes = 1;
    grant.valid_until = time (NULL) + days * 86400;
    grant.form = SAMHAND__V1__CONSENT_FORM__WRITTEN;
    grant.capacity_assessed_by = "Invented Coordinator";
    frame.command_case = SAMHAND__V1__FRAME__COMMAND_CONSENT_GRANT;
    frame.consent_grant = &grant;
    return s_request (c, &frame, SAMHAND__V1__FRAME__COMMAND_CONSENT_REPLY);
}

static Samhand__V1__Frame *
s_withdraw (hclient_t *c, const char *id)
{
    Samhand__V1__Frame frame = SAMHAND__V1__FRAME__INIT;
    Samhand__V1__ConsentWithdraw w = SAMHAND__V1__CONSENT_WITHDRAW__INIT;
    w.consent_id = (char *) id;
    frame.command_case = SAMHAND__V1__FRAME__COMMAND_CONSENT_WITHDRAW;
    frame.consent_withdraw = &w;
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
    CHECK (ks && ks->view == SAMHAND__V1__VIEW__WITHHELD && ks->nodes == 0,
           "no consent: the crisis centre gets nothing");
    char case_ref [64] = "";
    if (f && f->submit_result->case_ref)
        snprintf (case_ref, sizeof case_ref, "%s", f->submit_result->case_ref);
    CHECK (strncmp (case_ref, "RC-", 3) == 0, "the coordinator gets its own agency's case reference");
    frame_free (&f);
    f = s_next (police, SAMHAND__V1__KIND__RISK_CHANGE, 3000);
    CHECK (f && f->deliver->view == SAMHAND__V1__VIEW__PSEUDONYMISED
             && f->deliver->risk_change->level == SAMHAND__V1__RISK_LEVEL__HIGH
             && !s_contains (f, NAME) && !s_contains (f, NID) && !s_contains (f, PHONE),
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
    CHECK (ks && ks->view == SAMHAND__V1__VIEW__WITHHELD,
           "consent to the police does not open the crisis centre's view");
    frame_free (&f);
    f = s_next (police, SAMHAND__V1__KIND__RISK_CHANGE, 3000);
    CHECK (f && f->deliver->view == SAMHAND__V1__VIEW__IDENTIFIED && s_contains (f, NID)
             && s_contains (f, NAME),
           "police receive the identified risk change");
    CHECK (f && !s_contains (f, "ekspartner"), "free text is not in the consent's classes: left out");
    frame_free (&f);

    f = s_withdraw (coord, consent_id);
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
    CHECK (f && streq (f->deliver->risk_change->case_ref, police_ref) && !s_contains (f, NID),
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
    f = s_withdraw (coord, consent_id);
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
            leaked = leaked || s_contains (f, NID) || s_contains (f, NAME);
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
    f = s_concern (vakt, SAMHAND__V1__BASIS__BASIS_AVERT,
                   "Invented: konkret drapstrussel, avverge etter strl. 196", "Invented Leder");
    const Samhand__V1__AgencyDecision *d = s_decision (f, SAMHAND__V1__AGENCY__POLICE_RISK);
    CHECK (d && d->view == SAMHAND__V1__VIEW__IDENTIFIED && streq (d->rule, "STRL196-AVERT"),
           "duty to avert: police identified under STRL196-AVERT");
    d = s_decision (f, SAMHAND__V1__AGENCY__CRISIS_CENTRE);
    CHECK (d && d->view == SAMHAND__V1__VIEW__WITHHELD, "duty to avert never opens the crisis centre's view");
    d = s_decision (f, SAMHAND__V1__AGENCY__TRYGGEST);
    CHECK (d && d->view != SAMHAND__V1__VIEW__IDENTIFIED, "duty to avert never opens TryggEst's view");
    frame_free (&f);
    f = s_next (police, SAMHAND__V1__KIND__CONCERN_REPORT, 3000);
    CHECK (f && s_contains (f, NID) && !s_contains (f, "drepe"),
           "police get identity with minimum data: no free text");
    frame_free (&f);
    hclient_t *admin = hclient_new (h, "admin");
    Samhand__V1__Frame q = SAMHAND__V1__FRAME__INIT;
    Samhand__V1__AuditQuery aq = SAMHAND__V1__AUDIT_QUERY__INIT;
    aq.query = "reviews";
    q.command_case = SAMHAND__V1__FRAME__COMMAND_AUDIT_QUERY;
    q.audit_query = &aq;
    f = s_request (admin, &q, SAMHAND__V1__FRAME__COMMAND_AUDIT_REPLY);
    bool counted = f && f->audit_reply->n_entries == 1
                && streq (f->audit_reply->entries [0]->rule, "STRL196-AVERT")
                && strstr (f->audit_reply->entries [0]->detail, "review");
    CHECK (counted, "the avert disclosure is marked for review and counted for the admin");
    frame_free (&f);
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
        CHECK (f && !s_contains (f, NID) && !s_contains (f, "412 34 567") && !s_contains (f, NAME), name);
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
    CHECK (harness_stop (h, SIGTERM) == 0, "clean stop");
    harness_destroy (&h);
    return TEST_DONE ();
}
