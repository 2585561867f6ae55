/*  test_frame — the frame decoder and validator, without a socket: every
    refusal gets the right code, valid frames pass, unknown fields are
    dropped, and what is accepted packs back to something readable.
    Invented data only.                                                   */
#include "frame.h"
#include "testlib.h"
#include <stdlib.h>
#include <string.h>

static uint8_t *
s_pack (Samhand__V1__Frame *frame, size_t *size)
{
    *size = samhand__v1__frame__get_packed_size (frame);
    uint8_t *buf = (uint8_t *) malloc (*size + 1);
    samhand__v1__frame__pack (frame, buf);
    return buf;
}

//  Decodes a frame built in memory; returns the error code (0 = accepted).
static int
s_code (Samhand__V1__Frame *frame)
{
    size_t size;
    uint8_t *buf = s_pack (frame, &size);
    frame_error_t err;
    Samhand__V1__Frame *decoded = frame_decode (buf, size, 65536, &err);
    free (buf);
    int code = decoded? 0: err.code;
    frame_destroy (&decoded);
    return code;
}

static void
s_concern (Samhand__V1__Frame *frame, Samhand__V1__Submit *submit,
           Samhand__V1__ConcernReport *concern, uint8_t id [16])
{
    samhand__v1__frame__init (frame);
    samhand__v1__submit__init (submit);
    samhand__v1__concern_report__init (concern);
    memset (id, 7, 16);
    concern->text = "Invented: ringte vakttelefonen";
    concern->urgency = SAMHAND__V1__URGENCY__URGENT;
    submit->message_id = (ProtobufCBinaryData) { 16, id };
    submit->body_case = SAMHAND__V1__SUBMIT__BODY_CONCERN;
    submit->concern = concern;
    frame->version = 1;
    frame->request_id = 9;
    frame->command_case = SAMHAND__V1__FRAME__COMMAND_SUBMIT;
    frame->submit = submit;
}

//  Found by fuzz_frame: decodable, with a malformed unknown tag that
//  protobuf-c would pack again and then refuse to read.
static const uint8_t fuzz_crash [] = {
    0xea, 0x01, 0x00, 0xe2, 0x01, 0x00, 0x7a, 0x00, 0x6a, 0x00, 0x6a, 0x00, 0x6a, 0x00, 0xc2, 0xc2,
    0x03, 0x00, 0x7a, 0x00, 0x6a, 0x00, 0xc2, 0xc2, 0xc2, 0x01, 0x01, 0x00, 0x7a, 0x00, 0x6a, 0x00,
    0x7a, 0x00, 0x6a, 0x00, 0xc2, 0xc2, 0x03, 0x00, 0x7a, 0x00, 0x6a, 0x00, 0xc2, 0xc2, 0xc2, 0x01,
    0x00, 0x82, 0x00, 0xea, 0x01, 0x00, 0xe2, 0x01, 0x00, 0x7a, 0x00, 0x6a, 0x00, 0x7a, 0x00, 0x6a,
    0x00, 0xc2, 0xc2, 0x01, 0x00, 0x7a, 0x00, 0x6a, 0x00, 0xc2, 0xc2, 0xc2, 0xe2, 0x01, 0x00, 0x7a,
    0x00, 0x6a, 0x00, 0x7a, 0x00, 0x6a, 0x00, 0xc2, 0xc2, 0xc2, 0xc2, 0x01, 0x01, 0x00, 0x7a, 0x00,
    0x6a, 0x00, 0x7a, 0x00, 0x6a, 0x00, 0xc2, 0xc2, 0x03, 0x00, 0x7a, 0x00, 0x6a, 0x00, 0xc2, 0xc2,
    0xc2, 0x01, 0x00, 0x7a, 0x00, 0xea, 0x01, 0x00, 0xe2, 0x01, 0x00, 0x6a, 0x00, 0xc2, 0xc2, 0x03,
    0x00, 0x7a, 0x00, 0x6a, 0x00, 0xc2, 0xc2, 0xc2, 0x01, 0x01, 0x00, 0x7a, 0x00, 0x6a, 0x00, 0x7a,
    0x00, 0x6a, 0x00, 0xc2, 0xc2, 0x03, 0x00, 0x7a, 0x00, 0x6a, 0x00, 0xc2, 0xc2, 0xc2, 0x01, 0x00,
    0x7a, 0x00, 0xea, 0x01, 0x00, 0x32, 0x00, 0xc2, 0xc2, 0x01, 0x00, 0x08, 0x00, 0x7a, 0x00, 0x7a,
    0x00, 0x6a, 0x00, 0x7a, 0x00, 0x6a, 0x00, 0xc2, 0x1b, 0x00, 0xc2, 0x01, 0x00, 0x7a, 0x00, 0x6a,
    0x00, 0xc2, 0xc2, 0xc2, 0x01, 0x00, 0x7a, 0x00, 0x6a, 0x00, 0xc2, 0x01, 0x00, 0x32, 0x00, 0xc2,
    0xc2, 0x01, 0x00, 0x08, 0x01, 0x6a, 0x00, 0xc2, 0x01, 0x00, 0x32, 0x00, 0xc2, 0xc2, 0x01, 0x00,
    0x08, 0x00, 0x7a, 0x00, 0xea, 0x01, 0x00, 0xe2, 0x01, 0x00, 0x7a, 0x00, 0x6a, 0x00, 0x7a, 0x00,
    0x6a, 0x00, 0xc2, 0xc2, 0x01, 0x00, 0x7a, 0x00, 0x6a, 0x00, 0xc2, 0xc2, 0xc2, 0x01, 0x00, 0x7a,
    0x00, 0x6a, 0x00, 0xc2, 0x01, 0x00, 0x32, 0x00, 0xc2, 0xc2, 0x01, 0x01, 0x00, 0x7a, 0x00, 0x6a,
    0x00, 0xc2, 0xc2, 0xc2, 0x01, 0x00, 0x7a, 0x6a, 0x00, 0x08, 0x01, 0x01, 0x00, 0x32, 0x00, 0xc2,
    0xc2, 0x01, 0x00, 0x08, 0x01, 0x6a, 0x00, 0xc2, 0x01, 0x00, 0x32, 0x00, 0xc2, 0xc2, 0x01, 0x00,
    0x08, 0x01
};

//  Decodes the frame with the first occurrence of MARK's first byte
//  replaced by a NUL on the wire (same length: protobuf-c cannot pack one).
//  Returns the error code; the error text goes to text.
static int
s_code_nul (Samhand__V1__Frame *frame, const char *mark, char *text, size_t size_text)
{
    size_t size;
    uint8_t *buf = s_pack (frame, &size);
    uint8_t *at = (uint8_t *) memmem (buf, size, mark, strlen (mark));
    if (at)
        *at = 0;
    frame_error_t err;
    Samhand__V1__Frame *decoded = frame_decode (buf, size, 65536, &err);
    free (buf);
    int code = decoded? 0: err.code;
    snprintf (text, size_text, "%s", decoded? "": err.text);
    frame_destroy (&decoded);
    return at? code: -1;
}

//  A risk change with every structured field valid.
static void
s_risk (Samhand__V1__Frame *frame, Samhand__V1__Submit *submit, Samhand__V1__RiskChange *risk,
        Samhand__V1__Subject *subject, uint8_t id [16])
{
    samhand__v1__frame__init (frame);
    samhand__v1__submit__init (submit);
    samhand__v1__risk_change__init (risk);
    samhand__v1__subject__init (subject);
    memset (id, 8, 16);
    subject->name = "Kari Oppdiktet";
    subject->national_id = "01019012057";
    subject->birth_date = "1990-01-01";
    subject->phone = "+47 412 34 567";
    risk->subject = subject;
    risk->instrument = "SARA-V3";
    risk->level = SAMHAND__V1__RISK_LEVEL__HIGH;
    risk->review_by = "2031-02-28";
    submit->message_id = (ProtobufCBinaryData) { 16, id };
    submit->body_case = SAMHAND__V1__SUBMIT__BODY_RISK_CHANGE;
    submit->risk_change = risk;
    frame->version = 1;
    frame->request_id = 11;
    frame->command_case = SAMHAND__V1__FRAME__COMMAND_SUBMIT;
    frame->submit = submit;
}

//  Decodes; returns the code and whether the error text names FIELD and
//  does not echo the value.
static int
s_code_named (Samhand__V1__Frame *frame, const char *field, const char *value, bool *named)
{
    size_t size;
    uint8_t *buf = s_pack (frame, &size);
    frame_error_t err;
    Samhand__V1__Frame *decoded = frame_decode (buf, size, 65536, &err);
    free (buf);
    int code = decoded? 0: err.code;
    *named = !decoded && strstr (err.text, field) && (!*value || !strstr (err.text, value));
    frame_destroy (&decoded);
    return code;
}

static void
test_structured (void)
{
    Samhand__V1__Frame frame;
    Samhand__V1__Submit submit;
    Samhand__V1__RiskChange risk;
    Samhand__V1__Subject subject;
    uint8_t id [16];
    s_risk (&frame, &submit, &risk, &subject, id);
    CHECK (s_code (&frame) == 0, "structured: a risk change with valid structured fields is accepted");
    typedef struct { char **slot; const char *field; const char *value; bool ok; } probe_t;
    probe_t probes [] = {
        { &risk.instrument, "instrument", "SARA-V3", true },
        { &risk.instrument, "instrument", "SARA:SV", true },
        { &risk.instrument, "instrument", "B-SAFER", true },
        { &risk.instrument, "instrument", "PATRIARK", true },
        { &risk.instrument, "instrument", "SAM", true },
        { &risk.instrument, "instrument", "DASH", true },
        { &risk.instrument, "instrument", "", true },
        { &risk.instrument, "instrument", "SARA-V3 Kari Oppdiktet 01019012057 tlf 41234567", false },
        { &risk.instrument, "instrument", "sara-v3", false },
        { &risk.instrument, "instrument", "\tSARA-V3", false },
        { &risk.instrument, "instrument", "SARA-V3 ", false },
        { &risk.instrument, "instrument", "Kari", false },
        { &risk.review_by, "review_by", "2024-02-29", true },
        { &risk.review_by, "review_by", "2031-01-15T12:30:00Z", true },
        { &risk.review_by, "review_by", "", true },
        { &risk.review_by, "review_by", "2023-02-29", false },
        { &risk.review_by, "review_by", "2100-02-29", false },
        { &risk.review_by, "review_by", "2030-13-01", false },
        { &risk.review_by, "review_by", "2030-04-31", false },
        { &risk.review_by, "review_by", "2030-00-10", false },
        { &risk.review_by, "review_by", "1999-12-31", false },
        { &risk.review_by, "review_by", "2030-01-15 Kari Oppdiktet", false },
        { &risk.review_by, "review_by", "2030-1-15", false },
        { &risk.review_by, "review_by", "2031-01-15T24:00:00Z", false },
        { &risk.review_by, "review_by", "neste uke, ring 41234567", false },
        { &subject.birth_date, "birth_date", "2000-02-29", true },
        { &subject.birth_date, "birth_date", "1900-02-29", false },
        { &subject.birth_date, "birth_date", "1985-03-14x", false },
        { &subject.birth_date, "birth_date", "14.03.1985", false },
        { &subject.birth_date, "birth_date", "1899-12-31", false },
        { &subject.national_id, "national_id", "0101901205", false },
        { &subject.national_id, "national_id", "010190 12057", false },
        { &subject.national_id, "national_id", "0101901205x", false },
        { &subject.national_id, "national_id", "41019012057", true },
        { &subject.phone, "phone", "41234567", true },
        { &subject.phone, "phone", "0047 41 23 45 67", true },
        { &subject.phone, "phone", "(+47) 412-34-567", false },
        { &subject.phone, "phone", "4123456", false },
        { &subject.phone, "phone", "41234567 Kari", false },
        { &subject.phone, "phone", "41234567+", false },
        { &risk.case_ref, "case_ref", "PR-7KQ4-M2XD-9FHA", true },
        { &risk.case_ref, "case_ref", "PR-7KQ4-M2XD-9FH0", false },
        { &risk.case_ref, "case_ref", "XX-7KQ4-M2XD-9FHA", false },
        { &risk.case_ref, "case_ref", "PR-7KQ4-M2XD-9FHA Kari", false },
        { &risk.case_ref, "case_ref", "Kari Oppdiktet", false },
        { &submit.purpose, "purpose", "risk_management", true },
        { &submit.purpose, "purpose", "Risk management", true },
        { &submit.purpose, "purpose", "risk 01019012057", false },
        { &submit.purpose, "purpose", "risk: 41234567", false },
    };
    for (size_t i = 0; i < sizeof probes / sizeof probes [0]; i++) {
        probe_t *p = &probes [i];
        char *saved = *p->slot;
        *p->slot = (char *) p->value;
        bool named = false;
        int code = s_code_named (&frame, p->field, p->value, &named);
        *p->slot = saved;
        char name [200];
        if (p->ok) {
            snprintf (name, sizeof name, "structured: %s '%s' is accepted", p->field, p->value);
            CHECK (code == 0, name);
        }
        else {
            snprintf (name, sizeof name, "structured: %s '%s' is refused: INVALID_FIELD naming "
                      "the field, not echoing the value", p->field, p->value);
            CHECK (code == SAMHAND__V1__ERROR_CODE__INVALID_FIELD && named, name);
        }
    }
    //  A case status's case_ref is structured too; so is a consent grant's purpose
    Samhand__V1__CaseStatus status = SAMHAND__V1__CASE_STATUS__INIT;
    status.case_ref = "RC-7KQ4-M2XD-9FHA";
    status.text = "Invented: ukentlig status";
    submit.body_case = SAMHAND__V1__SUBMIT__BODY_CASE_STATUS;
    submit.case_status = &status;
    CHECK (s_code (&frame) == 0, "structured: a case status with a broker case reference is accepted");
    status.case_ref = "sak Kari Oppdiktet";
    CHECK (s_code (&frame) == SAMHAND__V1__ERROR_CODE__INVALID_FIELD,
           "structured: a case status with a made-up case reference is refused");
    CHECK (frame_instrument_valid ("SARA-V3") && !frame_instrument_valid ("SARA-V4")
           && frame_instruments () [0] && strcmp (frame_instruments () [0], "SARA-V3") == 0,
           "structured: the instrument list is public for the documentation and tests");
}

static void
test_embedded_nul (void)
{
    Samhand__V1__Frame frame;
    Samhand__V1__Submit submit;
    Samhand__V1__RiskChange risk;
    Samhand__V1__Subject subject;
    uint8_t id [16];
    char text [200];
    s_risk (&frame, &submit, &risk, &subject, id);
    char *factors [2] = { "trusler", "Invented: ZZfactor" };
    risk.risk_factors = factors;
    risk.n_risk_factors = 2;
    risk.text = "Invented: teksten YYfortsetter etter null";
    Samhand__V1__LegalClaim claim = SAMHAND__V1__LEGAL_CLAIM__INIT;
    claim.basis = SAMHAND__V1__BASIS__BASIS_AVERT;
    claim.justification = "Invented: XXbegrunnelse";
    claim.decision_maker = "Invented WWLeder";
    submit.claim = &claim;
    CHECK (s_code (&frame) == 0, "nul: the frame without a NUL is accepted");
    struct { const char *mark; const char *field; } cases [] = {
        { "YYfortsetter", "text" }, { "ZZfactor", "risk_factors" },
        { "Oppdiktet", "name" }, { "XXbegrunnelse", "justification" },
        { "WWLeder", "decision_maker" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases [0]; i++) {
        int code = s_code_nul (&frame, cases [i].mark, text, sizeof text);
        char name [160];
        snprintf (name, sizeof name, "nul: a NUL inside %s is refused with INVALID_FIELD naming it",
                  cases [i].field);
        CHECK (code == SAMHAND__V1__ERROR_CODE__INVALID_FIELD && strstr (text, cases [i].field), name);
    }
    //  A NUL inside bytes (the message id) is not a string: fine
    memset (id, 0, 16);
    CHECK (s_code (&frame) == 0, "nul: NUL bytes in a bytes field (message id) are fine");
}

//  A risk plan's own rules: case reference or subject, a level, trinn 1-3,
//  structured dates and phones, the plan commands' required fields.
static void
test_plan (void)
{
    Samhand__V1__Frame frame = SAMHAND__V1__FRAME__INIT;
    Samhand__V1__Submit submit = SAMHAND__V1__SUBMIT__INIT;
    Samhand__V1__RiskPlan plan = SAMHAND__V1__RISK_PLAN__INIT;
    Samhand__V1__PlanStep step = SAMHAND__V1__PLAN_STEP__INIT, *steps [1] = { &step };
    Samhand__V1__ContactPoint contact = SAMHAND__V1__CONTACT_POINT__INIT, *contacts [1] = { &contact };
    uint8_t id [16] = { 7 };
    frame.version = 1;
    frame.command_case = SAMHAND__V1__FRAME__COMMAND_SUBMIT;
    frame.submit = &submit;
    submit.message_id.data = id;
    submit.message_id.len = 16;
    submit.body_case = SAMHAND__V1__SUBMIT__BODY_RISK_PLAN;
    submit.risk_plan = &plan;
    plan.case_ref = "RC-7KQ4-M2XD-9FHA";
    plan.level = SAMHAND__V1__RISK_LEVEL__HIGH;
    step.step = 2;
    step.situation = "Invented: brudd på besøksforbud";
    step.action = "Invented: patrulje";
    step.responsible = SAMHAND__V1__AGENCY__POLICE_RISK;
    plan.steps = steps;
    plan.n_steps = 1;
    contact.phone = "73 00 00 00";
    plan.contacts = contacts;
    plan.n_contacts = 1;
    plan.next_evaluation = "2027-01-31";
    CHECK (s_code (&frame) == 0, "plan: a valid revision is accepted");
    plan.level = SAMHAND__V1__RISK_LEVEL__RISK_LEVEL_UNSPECIFIED;
    CHECK (s_code (&frame) == SAMHAND__V1__ERROR_CODE__MISSING_FIELD, "plan: no level: MISSING_FIELD");
    plan.level = SAMHAND__V1__RISK_LEVEL__HIGH;
    plan.case_ref = "";
    CHECK (s_code (&frame) == SAMHAND__V1__ERROR_CODE__MISSING_FIELD,
           "plan: neither case reference nor subject: MISSING_FIELD");
    plan.case_ref = "RC-7KQ4-M2XD-9FHA";
    bool named;
    step.step = 4;
    CHECK (s_code_named (&frame, "step", "", &named) == SAMHAND__V1__ERROR_CODE__INVALID_FIELD && named,
           "plan: trinn 4 is refused naming the field");
    step.step = 0;
    CHECK (s_code (&frame) == SAMHAND__V1__ERROR_CODE__INVALID_FIELD, "plan: trinn 0 is refused");
    step.step = 3;
    step.responsible = (Samhand__V1__Agency) 9;
    CHECK (s_code (&frame) == SAMHAND__V1__ERROR_CODE__INVALID_FIELD, "plan: an unknown agency is refused");
    step.responsible = SAMHAND__V1__AGENCY__POLICE_RISK;
    plan.next_evaluation = "2027-02-30";
    CHECK (s_code_named (&frame, "next_evaluation", "2027-02-30", &named)
           == SAMHAND__V1__ERROR_CODE__INVALID_FIELD && named,
           "plan: a next evaluation that is no date is refused, not echoed");
    plan.next_evaluation = "2027-01-31T10:00:00Z";
    CHECK (s_code (&frame) == 0, "plan: a next evaluation at a moment (UTC) is accepted");
    contact.phone = "ring Kari på 41234567";
    CHECK (s_code_named (&frame, "phone", "41234567", &named) == SAMHAND__V1__ERROR_CODE__INVALID_FIELD
           && named, "plan: a contact phone holding words is refused, not echoed");
    contact.phone = "";
    Samhand__V1__Measure measure = (Samhand__V1__Measure) 12;
    plan.measures = &measure;
    plan.n_measures = 1;
    CHECK (s_code (&frame) == SAMHAND__V1__ERROR_CODE__INVALID_FIELD, "plan: an unknown measure is refused");
    plan.n_measures = 0;

    Samhand__V1__Frame query = SAMHAND__V1__FRAME__INIT;
    Samhand__V1__PlanQuery q = SAMHAND__V1__PLAN_QUERY__INIT;
    query.version = 1;
    query.command_case = SAMHAND__V1__FRAME__COMMAND_PLAN_QUERY;
    query.plan_query = &q;
    CHECK (s_code (&query) == SAMHAND__V1__ERROR_CODE__MISSING_FIELD, "plan query without a case: MISSING_FIELD");
    q.case_ref = "Kari Oppdiktet";
    CHECK (s_code (&query) == SAMHAND__V1__ERROR_CODE__INVALID_FIELD, "plan query by a name: INVALID_FIELD");
    q.case_ref = "PR-7KQ4-M2XD-9FHA";
    CHECK (s_code (&query) == 0, "plan query by a case reference is accepted");
    Samhand__V1__Frame eval = SAMHAND__V1__FRAME__INIT;
    Samhand__V1__PlanEvaluate e = SAMHAND__V1__PLAN_EVALUATE__INIT;
    eval.version = 1;
    eval.command_case = SAMHAND__V1__FRAME__COMMAND_PLAN_EVALUATE;
    eval.plan_evaluate = &e;
    e.case_ref = "RC-7KQ4-M2XD-9FHA";
    e.next_date = "next month";
    CHECK (s_code (&eval) == SAMHAND__V1__ERROR_CODE__INVALID_FIELD, "plan evaluate: a next date that is no date");
    Samhand__V1__PlanReply reply = SAMHAND__V1__PLAN_REPLY__INIT;
    Samhand__V1__Frame back = SAMHAND__V1__FRAME__INIT;
    back.version = 1;
    back.command_case = SAMHAND__V1__FRAME__COMMAND_PLAN_REPLY;
    back.plan_reply = &reply;
    CHECK (s_code (&back) == SAMHAND__V1__ERROR_CODE__UNEXPECTED_COMMAND,
           "a plan reply sent to the broker: UNEXPECTED_COMMAND");
}

int
main (void)
{
    Samhand__V1__Frame frame;
    Samhand__V1__Submit submit;
    Samhand__V1__ConcernReport concern;
    uint8_t id [16];
    frame_error_t err;

    s_concern (&frame, &submit, &concern, id);
    CHECK (s_code (&frame) == 0, "a complete concern submit is accepted");
    test_plan ();
    frame.version = 2;
    CHECK (s_code (&frame) == SAMHAND__V1__ERROR_CODE__UNSUPPORTED_VERSION, "version 2: UNSUPPORTED_VERSION");
    frame.version = 0;
    CHECK (s_code (&frame) == SAMHAND__V1__ERROR_CODE__UNSUPPORTED_VERSION, "no version: UNSUPPORTED_VERSION");
    frame.version = 1;
    submit.message_id.len = 15;
    CHECK (s_code (&frame) == SAMHAND__V1__ERROR_CODE__INVALID_FIELD, "15-byte message id: INVALID_FIELD");
    submit.message_id.len = 16;
    concern.urgency = (Samhand__V1__Urgency) 42;
    CHECK (s_code (&frame) == SAMHAND__V1__ERROR_CODE__INVALID_FIELD, "unknown urgency: INVALID_FIELD");
    concern.urgency = SAMHAND__V1__URGENCY__URGENCY_UNSPECIFIED;
    CHECK (s_code (&frame) == SAMHAND__V1__ERROR_CODE__MISSING_FIELD, "no urgency: MISSING_FIELD");
    concern.urgency = SAMHAND__V1__URGENCY__ACUTE;
    concern.text = "";
    CHECK (s_code (&frame) == SAMHAND__V1__ERROR_CODE__MISSING_FIELD, "no text: MISSING_FIELD");
    char *long_text = (char *) malloc (FRAME_MAX_TEXT + 2);
    memset (long_text, 'a', FRAME_MAX_TEXT + 1);
    long_text [FRAME_MAX_TEXT + 1] = 0;
    concern.text = long_text;
    CHECK (s_code (&frame) == SAMHAND__V1__ERROR_CODE__INVALID_FIELD, "text over the limit: INVALID_FIELD");
    long_text [FRAME_MAX_TEXT] = 0;
    CHECK (s_code (&frame) == 0, "text at the limit is accepted");
    free (long_text);
    concern.text = "Invented";
    Samhand__V1__Subject subject = SAMHAND__V1__SUBJECT__INIT;
    char long_name [FRAME_MAX_STRING + 2];
    memset (long_name, 'b', sizeof long_name - 1);
    long_name [sizeof long_name - 1] = 0;
    subject.name = long_name;
    concern.subject = &subject;
    CHECK (s_code (&frame) == SAMHAND__V1__ERROR_CODE__INVALID_FIELD,
           "a nested string over its limit: INVALID_FIELD");
    subject.name = "Kari Testesen";
    CHECK (s_code (&frame) == 0, "a subject with an invented name is accepted");
    const char *bad_utf8 [] = { "\xc3", "\xc3\x28", "\xe2\x82", "\xed\xa0\x80", "\xc0\xaf",
                                "\xf4\x90\x80\x80", "\xff" };
    for (size_t i = 0; i < sizeof bad_utf8 / sizeof *bad_utf8; i++) {
        concern.text = (char *) bad_utf8 [i];
        char name [80];
        snprintf (name, sizeof name, "invalid UTF-8 case %zu: INVALID_FIELD", i);
        CHECK (s_code (&frame) == SAMHAND__V1__ERROR_CODE__INVALID_FIELD, name);
    }
    concern.text = "Øyvind, Åse og Ærlig: gyldig UTF-8 \xe2\x82\xac \xf0\x9f\x98\x80";
    CHECK (s_code (&frame) == 0, "valid multi-byte UTF-8 is accepted");
    Samhand__V1__Violence violence [FRAME_MAX_REPEATED + 1];
    for (int i = 0; i <= FRAME_MAX_REPEATED; i++)
        violence [i] = SAMHAND__V1__VIOLENCE__PHYSICAL;
    concern.violence = violence;
    concern.n_violence = FRAME_MAX_REPEATED + 1;
    CHECK (s_code (&frame) == SAMHAND__V1__ERROR_CODE__INVALID_FIELD, "too many repeated entries: INVALID_FIELD");
    concern.n_violence = 2;
    violence [1] = (Samhand__V1__Violence) 99;
    CHECK (s_code (&frame) == SAMHAND__V1__ERROR_CODE__INVALID_FIELD, "unknown enum in a repeated field: INVALID_FIELD");
    concern.n_violence = 0;
    Samhand__V1__Agency to [1] = { SAMHAND__V1__AGENCY__AGENCY_UNSPECIFIED };
    submit.recipients = to;
    submit.n_recipients = 1;
    CHECK (s_code (&frame) == SAMHAND__V1__ERROR_CODE__INVALID_FIELD, "AGENCY_UNSPECIFIED recipient: INVALID_FIELD");
    submit.n_recipients = 0;
    submit.body_case = SAMHAND__V1__SUBMIT__BODY__NOT_SET;
    CHECK (s_code (&frame) == SAMHAND__V1__ERROR_CODE__MISSING_FIELD, "submit without a body: MISSING_FIELD");
    submit.body_case = SAMHAND__V1__SUBMIT__BODY_CONCERN;

    //  Other commands.
    Samhand__V1__Frame other = SAMHAND__V1__FRAME__INIT;
    other.version = 1;
    CHECK (s_code (&other) == SAMHAND__V1__ERROR_CODE__MISSING_FIELD, "a frame without a command: MISSING_FIELD");
    Samhand__V1__Receipt receipt = SAMHAND__V1__RECEIPT__INIT;
    other.command_case = SAMHAND__V1__FRAME__COMMAND_RECEIPT;
    other.receipt = &receipt;
    CHECK (s_code (&other) == SAMHAND__V1__ERROR_CODE__MISSING_FIELD, "receipt without ids: MISSING_FIELD");
    receipt.delivery_id = 3;
    receipt.state = SAMHAND__V1__RECEIPT_STATE__READ;
    CHECK (s_code (&other) == 0, "a receipt is accepted");
    Samhand__V1__Deliver deliver = SAMHAND__V1__DELIVER__INIT;
    other.command_case = SAMHAND__V1__FRAME__COMMAND_DELIVER;
    other.deliver = &deliver;
    CHECK (s_code (&other) == SAMHAND__V1__ERROR_CODE__UNEXPECTED_COMMAND, "a Deliver from a client: UNEXPECTED_COMMAND");
    Samhand__V1__ConsentGrant grant = SAMHAND__V1__CONSENT_GRANT__INIT;
    other.command_case = SAMHAND__V1__FRAME__COMMAND_CONSENT_GRANT;
    other.consent_grant = &grant;
    CHECK (s_code (&other) == SAMHAND__V1__ERROR_CODE__MISSING_FIELD, "an empty consent grant: MISSING_FIELD");
    Samhand__V1__StatusQuery sq = SAMHAND__V1__STATUS_QUERY__INIT;
    other.command_case = SAMHAND__V1__FRAME__COMMAND_STATUS_QUERY;
    other.status_query = &sq;
    CHECK (s_code (&other) == SAMHAND__V1__ERROR_CODE__INVALID_FIELD, "status query without a 16-byte id: INVALID_FIELD");

    //  Raw bytes.
    CHECK (frame_decode ((const uint8_t *) "\xff\xff\xff", 3, 65536, &err) == NULL
           && err.code == SAMHAND__V1__ERROR_CODE__MALFORMED, "garbage: MALFORMED");
    uint8_t *big = (uint8_t *) calloc (1, 70000);
    CHECK (frame_decode (big, 70000, 65536, &err) == NULL && err.code == SAMHAND__V1__ERROR_CODE__TOO_LARGE,
           "over the size limit: TOO_LARGE, before any parsing");
    free (big);
    s_concern (&frame, &submit, &concern, id);
    size_t size;
    uint8_t *buf = s_pack (&frame, &size);
    submit.message_id.len = 3;
    uint8_t *bad = s_pack (&frame, &size);
    Samhand__V1__Frame *none = frame_decode (bad, size, 65536, &err);
    CHECK (!none && err.request_id == 9, "a frame that fails validation reports its request id");
    free (bad);
    free (buf);

    //  Unknown fields: a "sender" smuggled in as field 99 is dropped.
    submit.message_id.len = 16;
    buf = s_pack (&frame, &size);
    uint8_t *extra = (uint8_t *) malloc (size + 16);
    memcpy (extra, buf, size);
    size_t n = size;
    extra [n++] = 0x9a;     //  field 99, wire type 2
    extra [n++] = 0x06;
    extra [n++] = 7;
    memcpy (extra + n, "koordin", 7);
    n += 7;
    Samhand__V1__Frame *decoded = frame_decode (extra, n, 65536, &err);
    CHECK (decoded && decoded->base.n_unknown_fields == 0, "unknown fields are dropped on arrival");
    size_t again_size = 0;
    uint8_t *again = decoded? frame_encode (decoded, &again_size): NULL;
    CHECK (again && again_size == size && memcmp (again, buf, size) == 0,
           "what was accepted packs back to the canonical frame");
    free (again);
    frame_destroy (&decoded);
    free (extra);
    free (buf);

    decoded = frame_decode (fuzz_crash, sizeof fuzz_crash, 65536, &err);
    again = decoded? frame_encode (decoded, &again_size): NULL;
    Samhand__V1__Frame *round = again? frame_decode (again, again_size, 65536, &err): NULL;
    CHECK (decoded && round, "fuzz regression: a malformed unknown tag does not survive a repack");
    frame_destroy (&round);
    frame_destroy (&decoded);
    free (again);

    CHECK (strcmp (frame_error_name (SAMHAND__V1__ERROR_CODE__OUTBOX_FULL), "OUTBOX_FULL") == 0
           && strcmp (frame_error_name (999), "UNKNOWN") == 0, "error codes have names");
    test_structured ();
    test_embedded_nul ();
    return TEST_DONE ();
}
