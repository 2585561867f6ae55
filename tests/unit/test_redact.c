/*  test_redact.c — what a recipient's view keeps, byte for byte.
    Every Submit goes the way it does in the broker: packed, unpacked with
    the default allocator, redacted, packed again; the packed bytes are
    searched for each identifier. Run under SANITIZE=1 for double frees
    and leaks.
    All people, numbers and addresses are invented: "Kari Testesen",
    "Ola Oppdiktet", a fødselsnummer built with valid check digits from a
    made-up date, a phone number and a street that belong to nobody.       */
#include "testlib.h"
#include "redact.h"
#include "scanner.h"

#include <stdlib.h>
#include <string.h>

#define CL(c) POLICY_CLASS (c)
#define V(v) SAMHAND__V1__VIEW__ ## v

#define NAME         "Kari Testesen"
#define BIRTH_DATE   "1988-05-17"
#define PHONE        "912 34 567"
#define STREET      "Oppdiktet gate 12, 7011 Trondheim"
#define TEXT         "samboeren truet henne med kniv i går"
#define NOT_INFORMED "ikke nåbar på telefon i dag"
#define JUSTIFICATION "begrunnelse XJ: drapstrussel"
#define DECISION_MAKER "Siri Saksbehandler"
#define HIDDEN       "Ola Oppdiktet"      //  in an unknown field
#define SENDER_REF   "RC-sender-own-ref-0001"
#define RECIPIENT_REF "TE-7f3a9c11"
#define INSTRUMENT   "SARA-V3"
#define REVIEW_BY    "2026-01-15"
#define FACTOR_PLAIN "trusler om drap"
#define FACTOR_HEALTH "Rusmisbruk (alkohol)"
#define FACTOR_OTHER "sjalusi og kontroll"
#define RISK_TEXT    "økt risiko etter løslatelse"
#define QUESTION     "bør vi melde dette videre?"
#define DISCUSSION   "kvinne i 40-årene, samboer truer med vold"
#define STATUS_TEXT  "ukentlig status: stabil, bor hos venninne"

//  A risk plan for the invented Kari Testesen
#define SITUATION    "når han løslates fra varetekt"
#define SITUATION_HEALTH "ved rusutløst konflikt på hybelen"
#define STEP_RC_SIT  "STEPRC trusler på telefon"
#define STEP_RC_ACT  "STEPRC vakta ringer 112 og henter henne"
#define STEP_POL_SIT "STEPPOL brudd på besøksforbud"
#define STEP_POL_ACT "STEPPOL patrulje rykker ut"
#define STEP_DIRTY   "STEPDIRTY ring Kari Testesen på 912 34 567"
#define CONTACT_NAME "Petter Primærkontakt"
#define CONTACT_TEL  "73 00 00 00"
#define ACTIVITY     "ACTIVITY samtale på kontoret kl 10"
#define CRITICAL     "Ring alltid 112 først ved akutt hendelse"
#define PLAN_NOTE    "PLANNOTE etter samarbeidsmøtet"
#define NEXT_EVAL    "2026-02-01"
#define CHANGES      "level MODERATE -> HIGH"

static char fnr [12];

//  ---------------------------------------------------------------------
//  Building, packing, searching

//  protobuf-c keeps a length-delimited unknown field with its length prefix
static uint8_t hidden_bytes [] = "\x0d" HIDDEN;

static void
s_hide (ProtobufCMessage *message, ProtobufCMessageUnknownField *field, uint32_t tag)
{
    field->tag = tag;
    field->wire_type = PROTOBUF_C_WIRE_TYPE_LENGTH_PREFIXED;
    field->len = 1 + strlen (HIDDEN);
    field->data = hidden_bytes;
    message->n_unknown_fields = 1;
    message->unknown_fields = field;
}

//  Packs a message we built and unpacks it as the broker would.
static Samhand__V1__Submit *
s_wire (const Samhand__V1__Submit *built)
{
    size_t size = samhand__v1__submit__get_packed_size (built);
    uint8_t *data = malloc (size? size: 1);
    if (!data)
        return NULL;
    samhand__v1__submit__pack (built, data);
    Samhand__V1__Submit *submit = samhand__v1__submit__unpack (NULL, size, data);
    free (data);
    return submit;
}

typedef struct {
    uint8_t *data;
    size_t size;
} packed_t;

static packed_t
s_pack (const Samhand__V1__Submit *submit)
{
    packed_t p = { NULL, samhand__v1__submit__get_packed_size (submit) };
    p.data = malloc (p.size? p.size: 1);
    if (p.data)
        samhand__v1__submit__pack (submit, p.data);
    return p;
}

static bool
s_has (packed_t p, const char *needle)
{
    return p.data && memmem (p.data, p.size, needle, strlen (needle)) != NULL;
}

static Samhand__V1__Submit *
s_concern (void)
{
    Samhand__V1__Submit submit = SAMHAND__V1__SUBMIT__INIT;
    Samhand__V1__ConcernReport concern = SAMHAND__V1__CONCERN_REPORT__INIT;
    Samhand__V1__Subject subject = SAMHAND__V1__SUBJECT__INIT;
    Samhand__V1__LegalClaim claim = SAMHAND__V1__LEGAL_CLAIM__INIT;
    Samhand__V1__Violence violence [2] = { SAMHAND__V1__VIOLENCE__PHYSICAL,
                                           SAMHAND__V1__VIOLENCE__PSYCHOLOGICAL };
    ProtobufCMessageUnknownField u1, u2, u3;
    uint8_t id [16] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16 };
    subject.name = NAME;
    subject.national_id = fnr;
    subject.birth_date = BIRTH_DATE;
    subject.phone = PHONE;
    subject.address = STREET;
    s_hide (&subject.base, &u1, 6);
    concern.subject = &subject;
    concern.text = TEXT;
    concern.urgency = SAMHAND__V1__URGENCY__ACUTE;
    concern.violence = violence;
    concern.n_violence = 2;
    concern.children_involved = true;
    concern.not_informed_reason = NOT_INFORMED;
    concern.case_ref = SENDER_REF;
    s_hide (&concern.base, &u2, 15);
    claim.basis = SAMHAND__V1__BASIS__BASIS_AVERT;
    claim.justification = JUSTIFICATION;
    claim.decision_maker = DECISION_MAKER;
    submit.message_id.data = id;
    submit.message_id.len = 16;
    submit.claim = &claim;
    submit.purpose = "follow_up";
    submit.body_case = SAMHAND__V1__SUBMIT__BODY_CONCERN;
    submit.concern = &concern;
    s_hide (&submit.base, &u3, 8);
    return s_wire (&submit);
}

static Samhand__V1__Submit *
s_risk (void)
{
    Samhand__V1__Submit submit = SAMHAND__V1__SUBMIT__INIT;
    Samhand__V1__RiskChange risk = SAMHAND__V1__RISK_CHANGE__INIT;
    Samhand__V1__Subject subject = SAMHAND__V1__SUBJECT__INIT;
    Samhand__V1__Measure measures [2] = { SAMHAND__V1__MEASURE__VIOLENCE_ALARM,
                                          SAMHAND__V1__MEASURE__SAFETY_PLAN };
    char *factors [3] = { FACTOR_PLAIN, FACTOR_HEALTH, FACTOR_OTHER };
    ProtobufCMessageUnknownField u1;
    subject.name = NAME;
    subject.national_id = fnr;
    subject.phone = PHONE;
    subject.address = STREET;
    risk.subject = &subject;
    risk.case_ref = SENDER_REF;
    risk.instrument = INSTRUMENT;
    risk.level = SAMHAND__V1__RISK_LEVEL__HIGH;
    risk.imminent = true;
    risk.serious_physical_harm = true;
    risk.risk_factors = factors;
    risk.n_risk_factors = 3;
    risk.measures = measures;
    risk.n_measures = 2;
    risk.review_by = REVIEW_BY;
    risk.text = RISK_TEXT;
    s_hide (&risk.base, &u1, 19);
    submit.purpose = "risk_management";
    submit.body_case = SAMHAND__V1__SUBMIT__BODY_RISK_CHANGE;
    submit.risk_change = &risk;
    return s_wire (&submit);
}

static Samhand__V1__Submit *
s_discussion (void)
{
    Samhand__V1__Submit submit = SAMHAND__V1__SUBMIT__INIT;
    Samhand__V1__CaseDiscussion discussion = SAMHAND__V1__CASE_DISCUSSION__INIT;
    Samhand__V1__LegalClaim claim = SAMHAND__V1__LEGAL_CLAIM__INIT;
    ProtobufCMessageUnknownField u1;
    discussion.text = DISCUSSION;
    discussion.question = QUESTION;
    s_hide (&discussion.base, &u1, 5);
    claim.basis = SAMHAND__V1__BASIS__BASIS_ANONYMISED;
    claim.justification = JUSTIFICATION;
    submit.claim = &claim;
    submit.body_case = SAMHAND__V1__SUBMIT__BODY_DISCUSSION;
    submit.discussion = &discussion;
    return s_wire (&submit);
}

static Samhand__V1__Submit *
s_status (void)
{
    Samhand__V1__Submit submit = SAMHAND__V1__SUBMIT__INIT;
    Samhand__V1__CaseStatus status = SAMHAND__V1__CASE_STATUS__INIT;
    status.case_ref = SENDER_REF;
    status.text = STATUS_TEXT;
    submit.body_case = SAMHAND__V1__SUBMIT__BODY_CASE_STATUS;
    submit.case_status = &status;
    return s_wire (&submit);
}

static Samhand__V1__Submit *
s_plan (void)
{
    Samhand__V1__Submit submit = SAMHAND__V1__SUBMIT__INIT;
    Samhand__V1__RiskPlan plan = SAMHAND__V1__RISK_PLAN__INIT;
    Samhand__V1__Subject subject = SAMHAND__V1__SUBJECT__INIT;
    Samhand__V1__Measure measures [2] = { SAMHAND__V1__MEASURE__VIOLENCE_ALARM,
                                          SAMHAND__V1__MEASURE__RESTRAINING_ORDER };
    char *factors [2] = { FACTOR_PLAIN, FACTOR_HEALTH };
    char *situations [2] = { SITUATION, SITUATION_HEALTH };
    Samhand__V1__PlanStep steps [3], *step_list [3];
    const char *texts [3][2] = { { STEP_RC_SIT, STEP_RC_ACT }, { STEP_POL_SIT, STEP_POL_ACT },
                                 { STEP_DIRTY, STEP_DIRTY } };
    Samhand__V1__Agency who [3] = { SAMHAND__V1__AGENCY__RESOURCE_CENTRE,
                                    SAMHAND__V1__AGENCY__POLICE_RISK,
                                    SAMHAND__V1__AGENCY__POLICE_RISK };
    for (int i = 0; i < 3; i++) {
        samhand__v1__plan_step__init (&steps [i]);
        steps [i].step = (uint32_t) i + 1;
        steps [i].situation = (char *) texts [i][0];
        steps [i].action = (char *) texts [i][1];
        steps [i].responsible = who [i];
        steps [i].text_clean = i < 2;       //  the third failed the identifier check
        step_list [i] = &steps [i];
    }
    Samhand__V1__ContactPoint contact = SAMHAND__V1__CONTACT_POINT__INIT, *contacts [1] = { &contact };
    contact.instance = "Ressurssenteret";
    contact.agency = SAMHAND__V1__AGENCY__RESOURCE_CENTRE;
    contact.name = CONTACT_NAME;
    contact.role = "Primærkontakt";
    contact.phone = CONTACT_TEL;
    Samhand__V1__PlanActivity activity = SAMHAND__V1__PLAN_ACTIVITY__INIT, *activities [1] = { &activity };
    activity.day = SAMHAND__V1__WEEKDAY__MONDAY;
    activity.activity = ACTIVITY;
    ProtobufCMessageUnknownField u1, u2;
    subject.name = NAME;
    subject.national_id = fnr;
    subject.phone = PHONE;
    subject.address = STREET;
    plan.subject = &subject;
    plan.case_ref = SENDER_REF;
    plan.instrument = INSTRUMENT;
    plan.level = SAMHAND__V1__RISK_LEVEL__HIGH;
    plan.imminent = true;
    plan.measures = measures;
    plan.n_measures = 2;
    plan.risk_factors = factors;
    plan.n_risk_factors = 2;
    plan.risk_situations = situations;
    plan.n_risk_situations = 2;
    plan.steps = step_list;
    plan.n_steps = 3;
    plan.contacts = contacts;
    plan.n_contacts = 1;
    plan.follow_up = activities;
    plan.n_follow_up = 1;
    plan.critical_info = CRITICAL;
    plan.note = PLAN_NOTE;
    plan.next_evaluation = NEXT_EVAL;
    plan.changes = CHANGES;
    plan.edited_by = "koordinator";
    plan.revision = 4;
    plan.base_revision = 3;
    s_hide (&plan.base, &u1, 29);
    s_hide (&steps [0].base, &u2, 9);
    submit.purpose = "risk_management";
    submit.body_case = SAMHAND__V1__SUBMIT__BODY_RISK_PLAN;
    submit.risk_plan = &plan;
    return s_wire (&submit);
}

static policy_decision_t
s_decision (Samhand__V1__View view, uint32_t classes)
{
    policy_decision_t d;
    memset (&d, 0, sizeof d);
    d.view = view;
    d.rule = "TEST";
    d.legal_basis = "test";
    d.classes_allowed = classes;
    return d;
}

//  Redacts, packs, and hands back the packed view (caller frees data).
static packed_t
s_view (Samhand__V1__Submit *submit, Samhand__V1__View view, uint32_t classes,
        const char *ref, int *rc)
{
    policy_decision_t d = s_decision (view, classes);
    *rc = redact_apply (submit, &d, ref);
    return s_pack (submit);
}

//  ---------------------------------------------------------------------
//  Tests

static void
test_fixtures (void)
{
    Samhand__V1__Submit *c = s_concern ();
    packed_t p = s_pack (c);
    //  the search must find what is there, or the absence checks mean nothing
    CHECK (c && s_has (p, NAME) && s_has (p, fnr) && s_has (p, PHONE) && s_has (p, STREET)
           && s_has (p, TEXT) && s_has (p, NOT_INFORMED) && s_has (p, JUSTIFICATION)
           && s_has (p, HIDDEN) && s_has (p, SENDER_REF) && s_has (p, BIRTH_DATE),
           "fixture: the unredacted concern carries every identifier");
    CHECK (c && c->concern->base.n_unknown_fields == 1 && c->base.n_unknown_fields == 1
           && c->concern->subject->base.n_unknown_fields == 1,
           "fixture: unknown fields survive unpack");
    CHECK (redact_classes_present (c) == (CL (IDENTITY) | CL (CONTACT) | CL (ADDRESS) | CL (FREE_TEXT)),
           "classes present: concern");
    free (p.data);
    samhand__v1__submit__free_unpacked (c, NULL);
}

static void
test_concern_identified (void)
{
    int rc;
    Samhand__V1__Submit *c = s_concern ();
    packed_t p = s_view (c, V (IDENTIFIED), POLICY_CLASSES_ALL, RECIPIENT_REF, &rc);
    CHECK (rc == 0, "concern identified: applied");
    CHECK (s_has (p, NAME) && s_has (p, fnr) && s_has (p, BIRTH_DATE) && s_has (p, PHONE)
           && s_has (p, STREET) && s_has (p, TEXT) && s_has (p, NOT_INFORMED),
           "concern identified, all classes: everything is there");
    CHECK (!s_has (p, JUSTIFICATION) && !s_has (p, DECISION_MAKER), "concern identified: claim removed");
    CHECK (!s_has (p, HIDDEN), "concern identified: unknown fields removed");
    CHECK (s_has (p, RECIPIENT_REF) && !s_has (p, SENDER_REF),
           "concern identified: the recipient's case ref, not the sender's");
    free (p.data);
    samhand__v1__submit__free_unpacked (c, NULL);

    //  the duty to avert's minimum: identity and contact
    c = s_concern ();
    p = s_view (c, V (IDENTIFIED), CL (IDENTITY) | CL (CONTACT), RECIPIENT_REF, &rc);
    CHECK (rc == 0 && s_has (p, NAME) && s_has (p, fnr) && s_has (p, BIRTH_DATE) && s_has (p, PHONE),
           "concern avert view: identity and phone kept");
    CHECK (!s_has (p, STREET) && !s_has (p, TEXT) && !s_has (p, NOT_INFORMED),
           "concern avert view: no address, no free text");
    CHECK (c->concern->urgency == SAMHAND__V1__URGENCY__ACUTE && c->concern->n_violence == 2,
           "concern avert view: urgency and violence kept");
    free (p.data);
    samhand__v1__submit__free_unpacked (c, NULL);

    //  a consent covering identity but not contact
    c = s_concern ();
    p = s_view (c, V (IDENTIFIED), CL (IDENTITY) | CL (FREE_TEXT), NULL, &rc);
    CHECK (rc == 0 && s_has (p, NAME) && s_has (p, TEXT) && !s_has (p, PHONE) && !s_has (p, STREET),
           "concern consent without contact: no phone, no address");
    CHECK (!s_has (p, SENDER_REF) && c->concern->case_ref == protobuf_c_empty_string,
           "no case ref given: the sender's is cleared");
    free (p.data);
    samhand__v1__submit__free_unpacked (c, NULL);
}

static void
test_concern_pseudonymised (void)
{
    int rc;
    Samhand__V1__Submit *c = s_concern ();
    packed_t p = s_view (c, V (PSEUDONYMISED), 0, RECIPIENT_REF, &rc);
    CHECK (rc == 0, "concern pseudonymised: applied");
    CHECK (!s_has (p, NAME) && !s_has (p, fnr) && !s_has (p, BIRTH_DATE) && !s_has (p, PHONE)
           && !s_has (p, STREET), "concern pseudonymised: no identity fields");
    CHECK (!s_has (p, TEXT) && !s_has (p, NOT_INFORMED), "concern pseudonymised: no free text");
    CHECK (!s_has (p, HIDDEN) && !s_has (p, JUSTIFICATION), "concern pseudonymised: no unknown fields, no claim");
    CHECK (s_has (p, RECIPIENT_REF) && !s_has (p, SENDER_REF), "concern pseudonymised: has the case ref");
    CHECK (c->concern->subject == NULL, "concern pseudonymised: subject gone");
    free (p.data);
    samhand__v1__submit__free_unpacked (c, NULL);

    //  the packed view decodes, with what a team needs to triage
    c = s_concern ();
    p = s_view (c, V (PSEUDONYMISED), 0, RECIPIENT_REF, &rc);
    Samhand__V1__Submit *again = p.data? samhand__v1__submit__unpack (NULL, p.size, p.data): NULL;
    CHECK (again && again->body_case == SAMHAND__V1__SUBMIT__BODY_CONCERN
           && again->concern->urgency == SAMHAND__V1__URGENCY__ACUTE
           && again->concern->children_involved && again->concern->n_violence == 2
           && strcmp (again->concern->case_ref, RECIPIENT_REF) == 0
           && again->concern->subject == NULL && again->claim == NULL,
           "concern pseudonymised: decodes with urgency, violence, case ref");
    samhand__v1__submit__free_unpacked (again, NULL);
    free (p.data);
    samhand__v1__submit__free_unpacked (c, NULL);

    //  a pseudonymised decision that wrongly allows everything still has
    //  no identity (free text is the policy's call: it allows it only
    //  for text that passed the identifier scanner)
    c = s_concern ();
    p = s_view (c, V (PSEUDONYMISED), POLICY_CLASSES_ALL, RECIPIENT_REF, &rc);
    CHECK (rc == 0 && !s_has (p, NAME) && !s_has (p, fnr) && !s_has (p, PHONE) && !s_has (p, STREET),
           "pseudonymised with all classes: still no identifiers");
    free (p.data);
    samhand__v1__submit__free_unpacked (c, NULL);
}

static void
test_refusals (void)
{
    int rc;
    Samhand__V1__Submit *c = s_concern ();
    policy_decision_t d = s_decision (V (WITHHELD), POLICY_CLASSES_ALL);
    CHECK (redact_apply (c, &d, RECIPIENT_REF) == -1, "withheld: -1");
    d = s_decision (V (VIEW_UNSPECIFIED), POLICY_CLASSES_ALL);
    CHECK (redact_apply (c, &d, RECIPIENT_REF) == -1, "view unspecified: -1");
    d = s_decision ((Samhand__V1__View) 42, POLICY_CLASSES_ALL);
    CHECK (redact_apply (c, &d, RECIPIENT_REF) == -1, "view out of range: -1");
    d = s_decision (V (ANONYMISED), CL (FREE_TEXT));
    CHECK (redact_apply (c, &d, RECIPIENT_REF) == -1, "anonymised concern: -1");
    CHECK (redact_apply (NULL, &d, RECIPIENT_REF) == -1 && redact_apply (c, NULL, NULL) == -1,
           "NULL submit or decision: -1");
    //  refusals leave the message whole (the caller frees it)
    packed_t p = s_pack (c);
    CHECK (s_has (p, NAME) && s_has (p, HIDDEN), "a refusal changes nothing");
    free (p.data);
    samhand__v1__submit__free_unpacked (c, NULL);

    Samhand__V1__Submit empty = SAMHAND__V1__SUBMIT__INIT;
    d = s_decision (V (IDENTIFIED), POLICY_CLASSES_ALL);
    CHECK (redact_apply (&empty, &d, RECIPIENT_REF) == -1 && redact_classes_present (&empty) == 0,
           "no body: -1, no classes");
    empty.body_case = SAMHAND__V1__SUBMIT__BODY_RISK_CHANGE;       //  case set, pointer NULL
    CHECK (redact_apply (&empty, &d, RECIPIENT_REF) == -1 && redact_classes_present (&empty) == 0,
           "body case without a body: -1");
    CHECK (redact_classes_present (NULL) == 0, "classes present of NULL");
    (void) rc;
}

static void
test_risk (void)
{
    int rc;
    Samhand__V1__Submit *r = s_risk ();
    CHECK (redact_classes_present (r) == (CL (IDENTITY) | CL (CONTACT) | CL (ADDRESS)
                                          | CL (RISK_LEVEL_CLASS) | CL (RISK_FACTORS)
                                          | CL (HEALTH) | CL (FREE_TEXT)),
           "classes present: risk change with a substance-use factor");
    //  consent: identity, level, factors, but not health or text
    packed_t p = s_view (r, V (IDENTIFIED), CL (IDENTITY) | CL (RISK_LEVEL_CLASS) | CL (RISK_FACTORS),
                         RECIPIENT_REF, &rc);
    CHECK (rc == 0 && s_has (p, NAME) && s_has (p, fnr) && s_has (p, FACTOR_PLAIN)
           && s_has (p, FACTOR_OTHER) && s_has (p, INSTRUMENT) && s_has (p, REVIEW_BY),
           "risk identified: identity, level, plain factors kept");
    CHECK (!s_has (p, FACTOR_HEALTH) && !s_has (p, RISK_TEXT) && !s_has (p, PHONE)
           && !s_has (p, STREET) && !s_has (p, HIDDEN),
           "risk identified: no health factor, text, phone, address, unknown field");
    CHECK (r->risk_change->n_risk_factors == 2 && r->risk_change->n_measures == 2
           && r->risk_change->level == SAMHAND__V1__RISK_LEVEL__HIGH,
           "risk identified: two factors, two measures, level high");
    free (p.data);
    samhand__v1__submit__free_unpacked (r, NULL);

    r = s_risk ();
    p = s_view (r, V (IDENTIFIED), CL (IDENTITY) | CL (HEALTH), RECIPIENT_REF, &rc);
    CHECK (rc == 0 && s_has (p, FACTOR_HEALTH) && !s_has (p, FACTOR_PLAIN) && !s_has (p, INSTRUMENT)
           && r->risk_change->n_measures == 0 && r->risk_change->level == 0
           && !r->risk_change->imminent && !r->risk_change->serious_physical_harm,
           "risk identified with health only: the health factor, no level");
    free (p.data);
    samhand__v1__submit__free_unpacked (r, NULL);

    r = s_risk ();
    p = s_view (r, V (PSEUDONYMISED), CL (RISK_LEVEL_CLASS), RECIPIENT_REF, &rc);
    CHECK (rc == 0 && !s_has (p, NAME) && !s_has (p, fnr) && !s_has (p, PHONE) && !s_has (p, STREET)
           && !s_has (p, RISK_TEXT) && !s_has (p, FACTOR_PLAIN) && !s_has (p, FACTOR_HEALTH),
           "risk pseudonymised: no identity, text or factors");
    CHECK (s_has (p, RECIPIENT_REF) && !s_has (p, SENDER_REF) && s_has (p, REVIEW_BY)
           && r->risk_change->level == SAMHAND__V1__RISK_LEVEL__HIGH && r->risk_change->n_measures == 2
           && r->risk_change->imminent && r->risk_change->risk_factors == NULL
           && r->risk_change->subject == NULL,
           "risk pseudonymised: level, measures, review date, the recipient's case ref");
    free (p.data);
    samhand__v1__submit__free_unpacked (r, NULL);

    //  redacting twice (a narrower view after a wider one) frees nothing twice
    r = s_risk ();
    p = s_view (r, V (IDENTIFIED), POLICY_CLASSES_ALL, RECIPIENT_REF, &rc);
    free (p.data);
    int rc2;
    p = s_view (r, V (PSEUDONYMISED), 0, "TE-second", &rc2);
    CHECK (rc == 0 && rc2 == 0 && !s_has (p, NAME) && !s_has (p, RECIPIENT_REF) && s_has (p, "TE-second")
           && !s_has (p, INSTRUMENT), "risk redacted twice");
    free (p.data);
    samhand__v1__submit__free_unpacked (r, NULL);
}

//  Redacts the plan for RECIPIENT and packs the view.
static packed_t
s_plan_view (Samhand__V1__Submit *submit, Samhand__V1__View view, uint32_t classes,
             Samhand__V1__Agency recipient, int *rc)
{
    policy_decision_t d = s_decision (view, classes);
    d.recipient = recipient;
    *rc = redact_apply (submit, &d, RECIPIENT_REF);
    return s_pack (submit);
}

static void
test_plan (void)
{
    int rc;
    Samhand__V1__Submit *r = s_plan ();
    CHECK (redact_classes_present (r) == (CL (IDENTITY) | CL (CONTACT) | CL (ADDRESS)
                                          | CL (RISK_LEVEL_CLASS) | CL (RISK_FACTORS) | CL (HEALTH)
                                          | CL (FREE_TEXT) | CL (PLAN_STEPS) | CL (CONTACT_POINTS)
                                          | CL (FOLLOW_UP)),
           "plan: classes present, every part");
    //  Same agency: the whole plan (but never an unknown field)
    packed_t p = s_plan_view (r, V (IDENTIFIED), POLICY_CLASSES_ALL,
                              SAMHAND__V1__AGENCY__RESOURCE_CENTRE, &rc);
    CHECK (rc == 0 && s_has (p, NAME) && s_has (p, SITUATION) && s_has (p, SITUATION_HEALTH)
           && s_has (p, STEP_RC_ACT) && s_has (p, STEP_POL_ACT) && s_has (p, STEP_DIRTY)
           && s_has (p, CONTACT_NAME) && s_has (p, ACTIVITY) && s_has (p, CRITICAL)
           && s_has (p, PLAN_NOTE) && s_has (p, NEXT_EVAL) && s_has (p, CHANGES)
           && !s_has (p, HIDDEN) && s_has (p, RECIPIENT_REF) && !s_has (p, SENDER_REF),
           "plan identified, every class: the whole plan, no unknown field, the recipient's ref");
    free (p.data);
    samhand__v1__submit__free_unpacked (r, NULL);

    //  Consent with identity, level and steps: no network, weekly plan,
    //  factors, situations or free text
    r = s_plan ();
    p = s_plan_view (r, V (IDENTIFIED), CL (IDENTITY) | CL (RISK_LEVEL_CLASS) | CL (PLAN_STEPS),
                     SAMHAND__V1__AGENCY__TRYGGEST, &rc);
    CHECK (rc == 0 && s_has (p, NAME) && s_has (p, STEP_RC_ACT) && s_has (p, STEP_POL_ACT)
           && s_has (p, STEP_DIRTY) && r->risk_plan->n_measures == 2,
           "plan identified on a plan consent: identity, every step, measures");
    CHECK (!s_has (p, CONTACT_NAME) && !s_has (p, CONTACT_TEL) && !s_has (p, ACTIVITY)
           && !s_has (p, SITUATION) && !s_has (p, SITUATION_HEALTH) && !s_has (p, FACTOR_PLAIN)
           && !s_has (p, CRITICAL) && !s_has (p, PLAN_NOTE) && !s_has (p, STREET),
           "plan identified on a plan consent: no contacts, weekly plan, situations, factors, text");
    free (p.data);
    samhand__v1__submit__free_unpacked (r, NULL);

    //  Pseudonymised to the police: its own clean steps only
    r = s_plan ();
    p = s_plan_view (r, V (PSEUDONYMISED), CL (RISK_LEVEL_CLASS) | CL (PLAN_STEPS),
                     SAMHAND__V1__AGENCY__POLICE_RISK, &rc);
    CHECK (rc == 0 && s_has (p, STEP_POL_SIT) && s_has (p, STEP_POL_ACT) && r->risk_plan->n_steps == 1
           && r->risk_plan->level == SAMHAND__V1__RISK_LEVEL__HIGH && r->risk_plan->n_measures == 2
           && r->risk_plan->imminent && s_has (p, NEXT_EVAL) && s_has (p, RECIPIENT_REF),
           "plan pseudonymised to the police: level, measures, next evaluation, its own clean step");
    CHECK (!s_has (p, STEP_RC_SIT) && !s_has (p, STEP_RC_ACT) && !s_has (p, STEP_DIRTY)
           && !s_has (p, NAME) && !s_has (p, fnr) && !s_has (p, PHONE) && !s_has (p, CONTACT_NAME)
           && !s_has (p, ACTIVITY) && !s_has (p, SITUATION) && !s_has (p, FACTOR_PLAIN)
           && !s_has (p, CRITICAL) && !s_has (p, PLAN_NOTE) && !s_has (p, SENDER_REF)
           && r->risk_plan->subject == NULL,
           "plan pseudonymised to the police: no other agency's step, no step that failed the"
           " check, no identity, contacts, weekly plan, situations or text");
    free (p.data);
    samhand__v1__submit__free_unpacked (r, NULL);

    //  Pseudonymised to TryggEst, which is responsible for no step
    r = s_plan ();
    p = s_plan_view (r, V (PSEUDONYMISED), POLICY_CLASSES_ALL & ~CL (FREE_TEXT),
                     SAMHAND__V1__AGENCY__TRYGGEST, &rc);
    CHECK (rc == 0 && r->risk_plan->n_steps == 0 && r->risk_plan->steps == NULL
           && !s_has (p, "STEP") && !s_has (p, CONTACT_NAME) && !s_has (p, ACTIVITY)
           && !s_has (p, CRITICAL) && !s_has (p, NAME) && r->risk_plan->n_measures == 2,
           "plan pseudonymised to an agency with no step, every class but text asked: none of the"
           " texts");
    free (p.data);
    samhand__v1__submit__free_unpacked (r, NULL);

    //  A decision naming no recipient keeps no step when pseudonymised
    r = s_plan ();
    p = s_plan_view (r, V (PSEUDONYMISED), CL (PLAN_STEPS), SAMHAND__V1__AGENCY__AGENCY_UNSPECIFIED,
                     &rc);
    CHECK (rc == 0 && r->risk_plan->n_steps == 0 && !s_has (p, "STEP"),
           "plan pseudonymised with no recipient named: no step");
    free (p.data);
    samhand__v1__submit__free_unpacked (r, NULL);

    //  The broker's "what changed" counts the other parts too: to an agency
    //  that may not see a part, not even how many there are
    r = s_plan ();
    free (r->risk_plan->changes);
    r->risk_plan->changes = strdup ("level MODERATE -> HIGH; measure added VIOLENCE_ALARM;"
                                    " steps 3 -> 4; risk situations/factors 1/1 -> 2/1;"
                                    " contact points 1 -> 2; follow-up entries 0 -> 1;"
                                    " critical information changed; next evaluation 2027-01-05");
    p = s_plan_view (r, V (PSEUDONYMISED), CL (RISK_LEVEL_CLASS) | CL (PLAN_STEPS),
                     SAMHAND__V1__AGENCY__POLICE_RISK, &rc);
    CHECK (rc == 0 && strcmp (r->risk_plan->changes, "level MODERATE -> HIGH; measure added"
                              " VIOLENCE_ALARM; next evaluation 2027-01-05") == 0,
           "plan pseudonymised: what changed names levels, measures and the next evaluation only");
    if (strcmp (r->risk_plan->changes, "level MODERATE -> HIGH; measure added VIOLENCE_ALARM;"
                " next evaluation 2027-01-05"))
        printf ("  changes: %s\n", r->risk_plan->changes);
    free (p.data);
    samhand__v1__submit__free_unpacked (r, NULL);
    r = s_plan ();
    free (r->risk_plan->changes);
    r->risk_plan->changes = strdup ("steps 3 -> 4; contact points 1 -> 2; critical information changed");
    policy_decision_t on_consent = s_decision (V (IDENTIFIED), CL (IDENTITY) | CL (RISK_LEVEL_CLASS)
                                                               | CL (PLAN_STEPS));
    on_consent.recipient = SAMHAND__V1__AGENCY__TRYGGEST;
    on_consent.consent_id = "c-1";
    rc = redact_apply (r, &on_consent, RECIPIENT_REF);
    p = s_pack (r);
    CHECK (rc == 0 && strcmp (r->risk_plan->changes, "steps 3 -> 4") == 0,
           "plan identified on a plan consent: what changed counts only the parts consented to");
    free (p.data);
    samhand__v1__submit__free_unpacked (r, NULL);
    //  Within the agency: all of it, also about a part the revision emptied
    r = s_plan ();
    free (r->risk_plan->changes);
    r->risk_plan->changes = strdup ("contact points 2 -> 0; critical information changed");
    p = s_plan_view (r, V (IDENTIFIED), CL (IDENTITY) | CL (RISK_LEVEL_CLASS),
                     SAMHAND__V1__AGENCY__RESOURCE_CENTRE, &rc);
    CHECK (rc == 0 && strcmp (r->risk_plan->changes,
                              "contact points 2 -> 0; critical information changed") == 0,
           "plan within the agency: what changed is kept whole");
    free (p.data);
    samhand__v1__submit__free_unpacked (r, NULL);

    //  Withheld and anonymised: nothing
    r = s_plan ();
    p = s_plan_view (r, V (WITHHELD), POLICY_CLASSES_ALL, SAMHAND__V1__AGENCY__CRISIS_CENTRE, &rc);
    CHECK (rc == -1, "plan withheld: refused");
    free (p.data);
    samhand__v1__submit__free_unpacked (r, NULL);
    r = s_plan ();
    p = s_plan_view (r, V (ANONYMISED), POLICY_CLASSES_ALL, SAMHAND__V1__AGENCY__TRYGGEST, &rc);
    CHECK (rc == -1, "plan anonymised: refused (a plan is never anonymous)");
    free (p.data);
    samhand__v1__submit__free_unpacked (r, NULL);

    //  Redacting twice (consent withdrawn after a wider view) frees nothing twice
    r = s_plan ();
    p = s_plan_view (r, V (IDENTIFIED), POLICY_CLASSES_ALL, SAMHAND__V1__AGENCY__POLICE_RISK, &rc);
    free (p.data);
    int rc2;
    p = s_plan_view (r, V (PSEUDONYMISED), CL (RISK_LEVEL_CLASS) | CL (PLAN_STEPS),
                     SAMHAND__V1__AGENCY__POLICE_RISK, &rc2);
    CHECK (rc == 0 && rc2 == 0 && r->risk_plan->n_steps == 1 && !s_has (p, NAME)
           && !s_has (p, STEP_DIRTY), "plan redacted twice");
    free (p.data);
    samhand__v1__submit__free_unpacked (r, NULL);
}

//  A plan whose police step, weekly activity and second contact point are
//  about substance use: the part's own class (steps, follow-up, contact
//  points) did not carry health data without HEALTH in the consent, and
//  the police's own clean step about it went pseudonymised.
#define STEP_HEALTH     "STEPHEALTH rusteamet henter henne ved overdose"
#define ACTIVITY_HEALTH "ACTHEALTH samtale på rusklinikken"
#define CONTACT_HEALTH  "Rusteamet i bydelen"

static Samhand__V1__Submit *
s_plan_health (void)
{
    Samhand__V1__Submit *r = s_plan ();
    Samhand__V1__RiskPlan *p = r->risk_plan;
    free (p->steps [1]->action);
    p->steps [1]->action = strdup (STEP_HEALTH);
    //  A second activity and contact point, about health.
    p->follow_up = realloc (p->follow_up, 2 * sizeof *p->follow_up);
    p->follow_up [1] = malloc (sizeof **p->follow_up);
    samhand__v1__plan_activity__init (p->follow_up [1]);
    p->follow_up [1]->activity = strdup (ACTIVITY_HEALTH);
    p->n_follow_up = 2;
    p->contacts = realloc (p->contacts, 2 * sizeof *p->contacts);
    p->contacts [1] = malloc (sizeof **p->contacts);
    samhand__v1__contact_point__init (p->contacts [1]);
    p->contacts [1]->instance = strdup (CONTACT_HEALTH);
    p->n_contacts = 2;
    //  No health factor or situation: the steps etc. alone make it HEALTH.
    p->n_risk_factors = 1;
    p->n_risk_situations = 1;
    free (p->risk_factors [1]);
    free (p->risk_situations [1]);
    return r;
}

static void
test_plan_health (void)
{
    int rc;
    Samhand__V1__Submit *r = s_plan_health ();
    CHECK (redact_classes_present (r) & CL (HEALTH),
           "plan health: a step, activity or contact point about substance use makes it HEALTH");
    uint32_t parts = CL (IDENTITY) | CL (RISK_LEVEL_CLASS) | CL (PLAN_STEPS) | CL (FOLLOW_UP)
                   | CL (CONTACT_POINTS);
    packed_t p = s_plan_view (r, V (IDENTIFIED), parts, SAMHAND__V1__AGENCY__TRYGGEST, &rc);
    CHECK (rc == 0 && !s_has (p, STEP_HEALTH) && !s_has (p, ACTIVITY_HEALTH)
           && !s_has (p, CONTACT_HEALTH) && s_has (p, STEP_RC_ACT) && s_has (p, ACTIVITY)
           && s_has (p, CONTACT_NAME),
           "plan health: a consent to steps, follow-up and contacts without HEALTH keeps only"
           " those not about health");
    free (p.data);
    samhand__v1__submit__free_unpacked (r, NULL);
    r = s_plan_health ();
    p = s_plan_view (r, V (IDENTIFIED), parts | CL (HEALTH), SAMHAND__V1__AGENCY__TRYGGEST, &rc);
    CHECK (rc == 0 && s_has (p, STEP_HEALTH) && s_has (p, ACTIVITY_HEALTH) && s_has (p, CONTACT_HEALTH),
           "plan health: with HEALTH in the consent they are kept");
    free (p.data);
    samhand__v1__submit__free_unpacked (r, NULL);
    r = s_plan_health ();
    p = s_plan_view (r, V (PSEUDONYMISED), CL (RISK_LEVEL_CLASS) | CL (PLAN_STEPS) | CL (HEALTH),
                     SAMHAND__V1__AGENCY__POLICE_RISK, &rc);
    CHECK (rc == 0 && !s_has (p, STEP_HEALTH) && !s_has (p, STEP_POL_SIT)
           && r->risk_plan->n_steps == 0,
           "plan health: the recipient's own clean step about substance use is not sent"
           " pseudonymised");
    free (p.data);
    samhand__v1__submit__free_unpacked (r, NULL);
}

static void
test_discussion_and_status (void)
{
    int rc;
    Samhand__V1__Submit *d = s_discussion ();
    CHECK (redact_classes_present (d) == CL (FREE_TEXT), "classes present: discussion");
    packed_t p = s_view (d, V (ANONYMISED), CL (FREE_TEXT), RECIPIENT_REF, &rc);
    CHECK (rc == 0 && s_has (p, DISCUSSION) && s_has (p, QUESTION), "discussion anonymised: text and question");
    CHECK (!s_has (p, HIDDEN) && !s_has (p, JUSTIFICATION) && !s_has (p, RECIPIENT_REF),
           "discussion anonymised: no unknown field, claim or case ref");
    free (p.data);
    samhand__v1__submit__free_unpacked (d, NULL);

    d = s_discussion ();
    p = s_view (d, V (ANONYMISED), 0, NULL, &rc);
    CHECK (rc == 0 && !s_has (p, DISCUSSION) && !s_has (p, QUESTION),
           "discussion anonymised without free text: nothing");
    free (p.data);
    samhand__v1__submit__free_unpacked (d, NULL);

    Samhand__V1__Submit *s = s_status ();
    CHECK (redact_classes_present (s) == CL (FREE_TEXT), "classes present: status");
    p = s_view (s, V (PSEUDONYMISED), 0, RECIPIENT_REF, &rc);
    CHECK (rc == 0 && !s_has (p, STATUS_TEXT) && s_has (p, RECIPIENT_REF) && !s_has (p, SENDER_REF),
           "status pseudonymised: case ref only");
    free (p.data);
    samhand__v1__submit__free_unpacked (s, NULL);

    s = s_status ();
    p = s_view (s, V (IDENTIFIED), CL (FREE_TEXT), RECIPIENT_REF, &rc);
    CHECK (rc == 0 && s_has (p, STATUS_TEXT) && s_has (p, RECIPIENT_REF) && !s_has (p, SENDER_REF),
           "status identified: text and the recipient's case ref");
    free (p.data);
    samhand__v1__submit__free_unpacked (s, NULL);
}

//  A Submit inside a Frame, unpacked together, as the broker gets it.
static void
test_inside_frame (void)
{
    Samhand__V1__Submit *c = s_concern ();
    Samhand__V1__Frame frame = SAMHAND__V1__FRAME__INIT;
    frame.version = 1;
    frame.command_case = SAMHAND__V1__FRAME__COMMAND_SUBMIT;
    frame.submit = c;
    size_t size = samhand__v1__frame__get_packed_size (&frame);
    uint8_t *data = malloc (size);
    samhand__v1__frame__pack (&frame, data);
    samhand__v1__submit__free_unpacked (c, NULL);
    Samhand__V1__Frame *f = samhand__v1__frame__unpack (NULL, size, data);
    free (data);
    policy_decision_t d = s_decision (V (PSEUDONYMISED), 0);
    int rc = f? redact_apply (f->submit, &d, RECIPIENT_REF): -1;
    packed_t p = f? s_pack (f->submit): (packed_t) { NULL, 0 };
    CHECK (rc == 0 && p.data && !s_has (p, NAME) && s_has (p, RECIPIENT_REF),
           "submit inside a frame: redacted in place");
    free (p.data);
    samhand__v1__frame__free_unpacked (f, NULL);
}

static bool
s_factor_is_health (const char *factor)
{
    Samhand__V1__Submit submit = SAMHAND__V1__SUBMIT__INIT;
    Samhand__V1__RiskChange risk = SAMHAND__V1__RISK_CHANGE__INIT;
    char *factors [1] = { (char *) factor };
    risk.risk_factors = factors;
    risk.n_risk_factors = 1;
    submit.body_case = SAMHAND__V1__SUBMIT__BODY_RISK_CHANGE;
    submit.risk_change = &risk;
    return redact_classes_present (&submit) == CL (HEALTH);
}

static void
test_health_words (void)
{
    CHECK (s_factor_is_health ("rusmisbruk"), "health: rusmisbruk");
    CHECK (s_factor_is_health ("aktiv RUS"), "health: RUS (case)");
    CHECK (s_factor_is_health ("bruk av alkohol"), "health: alkohol");
    CHECK (s_factor_is_health ("Substance use"), "health: substance");
    CHECK (s_factor_is_health ("narkotikabruk"), "health: narkotika");
    CHECK (s_factor_is_health ("psykiatrisk innleggelse"), "health: psykiatri");
    //  Words a case worker writes about substance use, mental health and
    //  treatment that no listed word began: "psykiater" is not "psykiatri".
    static const char *missed [] = {
        "henvist til psykiater", "avrusning på Lade", "står på metadon", "LAR med Subutex",
        "buprenorfin", "benzodiazepiner", "psykose i fjor", "hos psykolog", "selvmordsforsøk",
        "suicidal", "selvskading", "depresjon", "legemiddelassistert rehabilitering",
        "slutter å ta medisinene", "innlagt på sykehus", "sydd på legevakten",
        "innlagt på DPS", "medikamentmisbruk"
    };
    for (size_t i = 0; i < sizeof missed / sizeof missed [0]; i++) {
        bool found = s_factor_is_health (missed [i]);
        CHECK (found, "health: a treatment or mental-health word");
        if (!found)
            printf ("  not health: %s\n", missed [i]);
    }
    CHECK (!s_factor_is_health ("trusler om drap"), "not health: trusler");
    CHECK (!s_factor_is_health ("bensin på bilen") && !s_factor_is_health ("medlem av gjengen"),
           "not health: bensin, medlem");
    CHECK (!s_factor_is_health ("krus kastet"), "not health: krus");
    CHECK (!s_factor_is_health ("psykisk vold"), "not health: psykisk vold (a kind of violence)");
    CHECK (!s_factor_is_health ("sjalusi"), "not health: sjalusi");
    CHECK (!s_factor_is_health ("\xc3\xb8rus"), "not health: a word that only contains rus");
}

//  Defence in depth, whatever classes a decision names: a pseudonymised
//  view never carries risk factors (unscanned text per person), and a case
//  discussion is only ever anonymised.
static void
test_view_bounds (void)
{
    Samhand__V1__Submit *submit = s_risk ();
    int rc;
    packed_t p = s_view (submit, V (PSEUDONYMISED), POLICY_CLASSES_ALL, "PR-2222-3333-4444", &rc);
    CHECK (rc == 0 && !s_has (p, FACTOR_PLAIN) && !s_has (p, FACTOR_HEALTH) && s_has (p, INSTRUMENT),
           "pseudonymised with every class: no risk factor, the instrument stays");
    free (p.data);
    samhand__v1__submit__free_unpacked (submit, NULL);
    submit = s_discussion ();
    p = s_view (submit, V (IDENTIFIED), POLICY_CLASSES_ALL, NULL, &rc);
    CHECK (rc == -1, "a discussion is never identified: refused");
    free (p.data);
    samhand__v1__submit__free_unpacked (submit, NULL);
    submit = s_discussion ();
    p = s_view (submit, V (PSEUDONYMISED), POLICY_CLASS (FREE_TEXT), NULL, &rc);
    CHECK (rc == -1, "a discussion is never pseudonymised: refused");
    free (p.data);
    samhand__v1__submit__free_unpacked (submit, NULL);
}

int
main (void)
{
    int individual = 100;
    while (individual < 500 && scanner_fnr_make (17, 5, 88, individual, SCAN_FNR_ORDINARY, fnr) != 0)
        individual++;
    CHECK (scanner_fnr_valid (fnr, 11), "invented fødselsnummer has valid check digits");
    test_fixtures ();
    test_concern_identified ();
    test_concern_pseudonymised ();
    test_refusals ();
    test_risk ();
    test_plan ();
    test_plan_health ();
    test_discussion_and_status ();
    test_inside_frame ();
    test_health_words ();
    test_view_bounds ();
    return TEST_DONE ();
}
