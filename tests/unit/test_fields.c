/*  test_fields — every string field of every Submit body against the field
    table of docs/POLICY.md ("Every string field").

    The fields are found by walking the protobuf-c descriptors from Submit,
    so a string field added to the .proto without a row here fails the
    test. Each field gets a distinctive invented value; every body kind is
    decided by the policy for every sender agency, role, recipient, consent
    state, claim and scanner verdict, redacted by the redactor, and the
    body a recipient would get (deliver.c sends the body only) is searched
    for every value: a value may appear only in a view where the table
    keeps it. A structured field's row also names a value that must be
    refused (INVALID_FIELD), and its distinctive value must pass.

    Every value here is invented ("Hildegunn Felttest").                  */
#include "frame.h"
#include "policy.h"
#include "redact.h"
#include "testlib.h"
#include <stdlib.h>
#include <string.h>

typedef enum {
    NEVER = 0,      //  never in this view
    KEPT,           //  kept when the decision keeps its class
    SCANNED,        //  pseudonymised: only when the text passed the scanner
    REPLACED        //  the broker's own case reference replaces it
} keep_t;

typedef struct {
    const char *path;           //  "Message.field"
    const char *value;          //  distinctive and valid
    keep_t view [3];            //  identified, pseudonymised, anonymised
    const char *bad;            //  a value the validator refuses, or NULL (free text)
} row_t;

//  The table of docs/POLICY.md, section "Every string field".
static const row_t rows [] = {
    { "Subject.name",                      "Hildegunn Felttest",        { KEPT, NEVER, NEVER }, NULL },
    { "Subject.national_id",               "29029612345",               { KEPT, NEVER, NEVER }, "2902961234x" },
    { "Subject.birth_date",                "1996-02-29",                { KEPT, NEVER, NEVER }, "1997-02-29" },
    { "Subject.phone",                     "93571468",                  { KEPT, NEVER, NEVER }, "93571468 Hildegunn" },
    { "Subject.address",                   "Felttestveien 99",          { KEPT, NEVER, NEVER }, NULL },
    { "ConcernReport.text",                "Invented: FTXTCONCERN",     { KEPT, NEVER, NEVER }, NULL },
    { "ConcernReport.not_informed_reason", "Invented: FTXTNOTINFORMED", { KEPT, NEVER, NEVER }, NULL },
    { "ConcernReport.case_ref",            "RC-FFFF-GGGG-HHHH",         { REPLACED, REPLACED, NEVER }, "RC-Hildegunn" },
    { "RiskChange.case_ref",               "RC-JJJJ-KKKK-LLLL",         { REPLACED, REPLACED, NEVER }, "sak 29029612345" },
    { "RiskChange.instrument",             "PATRIARK",                  { KEPT, KEPT, NEVER }, "SARA-V3 Hildegunn 93571468" },
    { "RiskChange.risk_factors",           "Invented FTXTFACTOR",       { KEPT, NEVER, NEVER }, NULL },
    { "RiskChange.review_by",              "2033-03-31",                { KEPT, KEPT, NEVER }, "2033-03-31 tlf 93571468" },
    { "RiskChange.text",                   "Invented: FTXTRISK",        { KEPT, NEVER, NEVER }, NULL },
    { "CaseDiscussion.text",               "Invented: FTXTDISCUSS",     { NEVER, NEVER, KEPT }, NULL },
    { "CaseDiscussion.question",           "Invented: FTXTQUESTION",    { NEVER, NEVER, KEPT }, NULL },
    { "CaseStatus.case_ref",               "RC-MMMM-NNNN-PPPP",         { REPLACED, REPLACED, NEVER }, "Hildegunn" },
    { "CaseStatus.text",                   "Invented: FTXTSTATUS",      { KEPT, SCANNED, NEVER }, NULL },
    { "RiskPlan.case_ref",                 "RC-QQQQ-RRRR-SSSS",         { REPLACED, REPLACED, NEVER }, "RC-Hildegunn" },
    { "RiskPlan.instrument",               "B-SAFER",                   { KEPT, KEPT, NEVER }, "SARA-V3 Hildegunn" },
    { "RiskPlan.risk_situations",          "Invented FTXTSITUATION",    { KEPT, NEVER, NEVER }, NULL },
    { "RiskPlan.risk_factors",             "Invented FTXTPLANFACTOR",   { KEPT, NEVER, NEVER }, NULL },
    { "RiskPlan.critical_info",            "Invented: FTXTCRITICAL",    { KEPT, NEVER, NEVER }, NULL },
    { "RiskPlan.next_evaluation",          "2033-04-30",                { KEPT, KEPT, NEVER }, "2033-04-31" },
    { "RiskPlan.note",                     "Invented: FTXTPLANNOTE",    { KEPT, NEVER, NEVER }, NULL },
    { "RiskPlan.edited_by",                "felttest-editor",           { KEPT, KEPT, NEVER }, NULL },
    { "RiskPlan.changes",                  "Invented FTXTCHANGES",      { KEPT, KEPT, NEVER }, NULL },
    { "RiskPlan.primary_contact",          "felttest-primary",          { KEPT, NEVER, NEVER }, NULL },
    { "PlanStep.situation",                "Invented FTXTSTEPSIT",      { KEPT, SCANNED, NEVER }, NULL },
    { "PlanStep.action",                   "Invented FTXTSTEPACT",      { KEPT, SCANNED, NEVER }, NULL },
    { "PlanActivity.activity",             "Invented FTXTACTIVITY",     { KEPT, NEVER, NEVER }, NULL },
    { "ContactPoint.instance",             "Invented FTXTINSTANCE",     { KEPT, NEVER, NEVER }, NULL },
    { "ContactPoint.name",                 "Hilde Kontaktfelt",         { KEPT, NEVER, NEVER }, NULL },
    { "ContactPoint.role",                 "Invented FTXTROLE",         { KEPT, NEVER, NEVER }, NULL },
    { "ContactPoint.phone",                "73123456",                  { KEPT, NEVER, NEVER }, "73123456 Hildegunn" },
    { "Submit.purpose",                    "felttestformaal",           { NEVER, NEVER, NEVER }, "formaal 29029612345" },
    { "Submit.author",                     "felttest.forfatter",        { NEVER, NEVER, NEVER }, "Hildegunn 93571468" },
    { "LegalClaim.justification",          "Invented: FTXTJUSTIFY",     { NEVER, NEVER, NEVER }, NULL },
    { "LegalClaim.decision_maker",         "Invented FTXTDECIDER",      { NEVER, NEVER, NEVER }, NULL },
    { "LegalClaim.statute",                "HPL31",                     { NEVER, NEVER, NEVER }, NULL },
};
#define N_ROWS (sizeof rows / sizeof rows [0])

#define V(v) SAMHAND__V1__VIEW__ ## v
#define REF "PR-2222-3333-4444"         //  the case reference the redactor is given

static const row_t *
s_row (const char *path)
{
    for (size_t i = 0; i < N_ROWS; i++)
        if (strcmp (rows [i].path, path) == 0)
            return &rows [i];
    return NULL;
}

//  ---------------------------------------------------------------------
//  Walking the descriptors

static char missing [1024];
static bool seen [N_ROWS];

static void
s_path (char *out, size_t size, const ProtobufCMessageDescriptor *desc,
        const ProtobufCFieldDescriptor *field)
{
    snprintf (out, size, "%s.%s", desc->short_name, field->name);
}

//  Fills every string field of a new message with its row's value, every
//  submessage (for a oneof: only CHOSEN, by field id) recursively, every
//  enum with 1. Uses malloc, so free_unpacked frees it.
static ProtobufCMessage *
s_fill (const ProtobufCMessageDescriptor *desc, unsigned chosen, int depth)
{
    ProtobufCMessage *msg = (ProtobufCMessage *) calloc (1, desc->sizeof_message);
    protobuf_c_message_init (desc, msg);
    for (unsigned i = 0; i < desc->n_fields; i++) {
        const ProtobufCFieldDescriptor *field = &desc->fields [i];
        char *base = (char *) msg + field->offset;
        bool repeated = field->label == PROTOBUF_C_LABEL_REPEATED;
        if (field->type == PROTOBUF_C_TYPE_STRING) {
            char path [128];
            s_path (path, sizeof path, desc, field);
            const row_t *row = s_row (path);
            if (row)
                seen [row - rows] = true;
            else
            if (!strstr (missing, path))
                snprintf (missing + strlen (missing), sizeof missing - strlen (missing),
                          " %s", path);
            char *value = strdup (row? row->value: "UNTABLED-FIELD-VALUE");
            if (repeated) {
                char **array = (char **) malloc (sizeof (char *));
                array [0] = value;
                *(char ***) base = array;
                *(size_t *) ((char *) msg + field->quantifier_offset) = 1;
            }
            else
                *(char **) base = value;
        }
        else
        if (field->type == PROTOBUF_C_TYPE_MESSAGE && !repeated && depth < 3) {
            if (field->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
                if (field->id != chosen)
                    continue;
                *(uint32_t *) ((char *) msg + field->quantifier_offset) = field->id;
            }
            *(ProtobufCMessage **) base = s_fill (
                (const ProtobufCMessageDescriptor *) field->descriptor, 0, depth + 1);
        }
        else
        if (field->type == PROTOBUF_C_TYPE_MESSAGE && repeated && depth < 3) {
            //  One element, so the strings of repeated parts (a plan's
            //  steps, contacts, weekly plan) are walked too.
            ProtobufCMessage **array = (ProtobufCMessage **) malloc (sizeof (ProtobufCMessage *));
            array [0] = s_fill ((const ProtobufCMessageDescriptor *) field->descriptor, 0,
                                depth + 1);
            *(ProtobufCMessage ***) base = array;
            *(size_t *) ((char *) msg + field->quantifier_offset) = 1;
        }
        else
        if (field->type == PROTOBUF_C_TYPE_ENUM && !repeated)
            *(int *) base = 1;
        else
        if (field->type == PROTOBUF_C_TYPE_UINT32 && !repeated)
            *(uint32_t *) base = 1;     //  a plan step is trinn 1
    }
    return msg;
}

//  The body oneof members of Submit.
static unsigned bodies [8];
static size_t n_bodies;

static void
s_find_bodies (void)
{
    const ProtobufCMessageDescriptor *desc = &samhand__v1__submit__descriptor;
    for (unsigned i = 0; i < desc->n_fields; i++)
        if ((desc->fields [i].flags & PROTOBUF_C_FIELD_FLAG_ONEOF)
        &&  desc->fields [i].type == PROTOBUF_C_TYPE_MESSAGE && n_bodies < 8)
            bodies [n_bodies++] = desc->fields [i].id;
}

static Samhand__V1__Submit *
s_submit (unsigned body)
{
    Samhand__V1__Submit *submit = (Samhand__V1__Submit *) s_fill (
        &samhand__v1__submit__descriptor, body, 0);
    uint8_t *id = (uint8_t *) malloc (16);
    memset (id, 0x5a, 16);
    submit->message_id = (ProtobufCBinaryData) { 16, id };
    return submit;
}

static Samhand__V1__Submit *
s_copy (const Samhand__V1__Submit *submit)
{
    size_t size = samhand__v1__submit__get_packed_size (submit);
    uint8_t *buf = (uint8_t *) malloc (size + 1);
    samhand__v1__submit__pack (submit, buf);
    Samhand__V1__Submit *copy = samhand__v1__submit__unpack (NULL, size, buf);
    free (buf);
    return copy;
}

static Samhand__V1__Kind
s_kind (const Samhand__V1__Submit *submit)
{
    switch (submit->body_case) {
        case SAMHAND__V1__SUBMIT__BODY_CONCERN: return SAMHAND__V1__KIND__CONCERN_REPORT;
        case SAMHAND__V1__SUBMIT__BODY_RISK_CHANGE: return SAMHAND__V1__KIND__RISK_CHANGE;
        case SAMHAND__V1__SUBMIT__BODY_DISCUSSION: return SAMHAND__V1__KIND__CASE_DISCUSSION;
        case SAMHAND__V1__SUBMIT__BODY_CASE_STATUS: return SAMHAND__V1__KIND__CASE_STATUS;
        case SAMHAND__V1__SUBMIT__BODY_RISK_PLAN: return SAMHAND__V1__KIND__RISK_PLAN;
        default: return SAMHAND__V1__KIND__KIND_UNSPECIFIED;
    }
}

//  The packed body: what a Deliver carries of the message.
static uint8_t *
s_body_bytes (const Samhand__V1__Submit *submit, size_t *size)
{
    const ProtobufCMessage *body =
        submit->body_case == SAMHAND__V1__SUBMIT__BODY_CONCERN? &submit->concern->base
      : submit->body_case == SAMHAND__V1__SUBMIT__BODY_RISK_CHANGE? &submit->risk_change->base
      : submit->body_case == SAMHAND__V1__SUBMIT__BODY_DISCUSSION? &submit->discussion->base
      : submit->body_case == SAMHAND__V1__SUBMIT__BODY_RISK_PLAN? &submit->risk_plan->base
      : &submit->case_status->base;
    *size = protobuf_c_message_get_packed_size (body);
    uint8_t *buf = (uint8_t *) malloc (*size + 1);
    protobuf_c_message_pack (body, buf);
    return buf;
}

//  ---------------------------------------------------------------------
//  The sweep

static bool forbidden [N_ROWS];             //  appeared where the table forbids
static bool shown [N_ROWS][3];              //  appeared in this view at least once
static char first_leak [N_ROWS][160];

static int
s_view_index (Samhand__V1__View view)
{
    return view == V (IDENTIFIED)? 0: view == V (PSEUDONYMISED)? 1: view == V (ANONYMISED)? 2: -1;
}

static void
s_check_view (const Samhand__V1__Submit *original, const policy_decision_t *decision,
              bool text_clean, const char *scenario)
{
    Samhand__V1__Submit *copy = s_copy (original);
    if (!copy || redact_apply (copy, decision, REF) != 0) {
        samhand__v1__submit__free_unpacked (copy, NULL);
        return;
    }
    int v = s_view_index (decision->view);
    size_t size;
    uint8_t *bytes = s_body_bytes (copy, &size);
    for (size_t i = 0; i < N_ROWS && v >= 0; i++) {
        const char *value = rows [i].value;
        bool present = memmem (bytes, size, value, strlen (value)) != NULL;
        if (!present)
            continue;
        shown [i][v] = true;
        keep_t keep = rows [i].view [v];
        bool allowed = keep == KEPT || (keep == SCANNED && text_clean);
        if (!allowed && !forbidden [i]) {
            forbidden [i] = true;
            snprintf (first_leak [i], sizeof first_leak [i], "%s", scenario);
        }
    }
    free (bytes);
    samhand__v1__submit__free_unpacked (copy, NULL);
}

static void
test_sweep (void)
{
    static const char *const purposes [] = { "felttestformaal", "follow_up", "risk_management" };
    policy_consent_t consent = { 0x1e, POLICY_CLASSES_ALL, purposes, 3, 0, 4000000000LL, 0, "c-ft" };
    for (size_t b = 0; b < n_bodies; b++) {
        Samhand__V1__Submit *submit = s_submit (bodies [b]);
        Samhand__V1__Kind kind = s_kind (submit);
        for (int sender = 1; sender <= 4; sender++)
        for (int role = POLICY_ROLE_DUTY_OPERATOR; role <= POLICY_ROLE_ADMIN; role++)
        for (int recipient = 1; recipient <= 4; recipient++)
        for (int with_consent = 0; with_consent < 2; with_consent++)
        for (int avert = 0; avert < 2; avert++)
        for (int clean = 0; clean < 2; clean++) {
            //  A plan's steps carry the broker's own scanner verdict.
            if (submit->body_case == SAMHAND__V1__SUBMIT__BODY_RISK_PLAN)
                for (size_t i = 0; i < submit->risk_plan->n_steps; i++)
                    submit->risk_plan->steps [i]->text_clean = clean;
            policy_input_t in;
            memset (&in, 0, sizeof in);
            in.kind = kind;
            in.classes_present = redact_classes_present (submit);
            in.sender_agency = (Samhand__V1__Agency) sender;
            in.sender_role = (policy_role_t) role;
            in.recipient = (Samhand__V1__Agency) recipient;
            in.consents = with_consent? &consent: NULL;
            in.n_consents = with_consent? 1: 0;
            in.purpose = submit->purpose;
            in.now = 1760000000;
            in.basis = avert? SAMHAND__V1__BASIS__BASIS_AVERT: SAMHAND__V1__BASIS__BASIS_UNSPECIFIED;
            in.justification = submit->claim->justification;
            in.decision_maker = submit->claim->decision_maker;
            in.statute = submit->claim->statute;
            in.text_clean = clean;
            policy_decision_t decision;
            policy_decide (&in, &decision);
            char scenario [160];
            snprintf (scenario, sizeof scenario, "%s from agency %d role %d to %d, consent %d,"
                      " avert %d, clean %d: %s", policy_view_name (decision.view), sender, role,
                      recipient, with_consent, avert, clean, decision.rule);
            s_check_view (submit, &decision, clean, scenario);
        }
        //  The widest a view can be, whatever the table: the redactor alone.
        policy_decision_t widest = { .view = V (IDENTIFIED), .rule = "TEST",
                                     .legal_basis = "TEST", .classes_allowed = POLICY_CLASSES_ALL };
        s_check_view (submit, &widest, true, "redactor alone, identified, every class");
        widest.view = V (PSEUDONYMISED);
        widest.classes_allowed = POLICY_CLASSES_ALL & ~POLICY_CLASS (FREE_TEXT);
        s_check_view (submit, &widest, false, "redactor alone, pseudonymised, every class but text");
        widest.view = V (ANONYMISED);
        widest.classes_allowed = POLICY_CLASSES_ALL;
        s_check_view (submit, &widest, true, "redactor alone, anonymised, every class");
        samhand__v1__submit__free_unpacked (submit, NULL);
    }
    static const char *view_names [3] = { "identified", "pseudonymised", "anonymised" };
    for (size_t i = 0; i < N_ROWS; i++) {
        char name [300];
        snprintf (name, sizeof name, "fields: %s appears only in the views the table keeps it in",
                  rows [i].path);
        CHECK (!forbidden [i], name);
        if (forbidden [i])
            printf ("  first seen where forbidden: %s\n", first_leak [i]);
        for (int v = 0; v < 3; v++) {
            if (rows [i].view [v] != KEPT && rows [i].view [v] != SCANNED)
                continue;
            snprintf (name, sizeof name, "fields: %s does reach a %s view (the table is not"
                      " stricter than the broker)", rows [i].path, view_names [v]);
            CHECK (shown [i][v], name);
        }
    }
}

//  ---------------------------------------------------------------------
//  Coverage and validation

static void
test_coverage (void)
{
    //  Build every body once: that walks every string field.
    for (size_t b = 0; b < n_bodies; b++) {
        Samhand__V1__Submit *submit = s_submit (bodies [b]);
        samhand__v1__submit__free_unpacked (submit, NULL);
    }
    char name [1200];
    snprintf (name, sizeof name, "fields: every string field of every Submit body has a row in"
              " the field table%s%s", *missing? "; missing:": "", missing);
    CHECK (!*missing, name);
    bool all_seen = true;
    for (size_t i = 0; i < N_ROWS; i++)
        all_seen = all_seen && seen [i];
    CHECK (all_seen, "fields: every row of the table is a field of the .proto");
    CHECK (n_bodies == 5, "fields: the walk found the five Submit bodies");
}

//  Wraps the submit in a frame and validates it.
static int
s_validate (Samhand__V1__Submit *submit, frame_error_t *err)
{
    Samhand__V1__Frame frame = SAMHAND__V1__FRAME__INIT;
    frame.version = FRAME_VERSION;
    frame.command_case = SAMHAND__V1__FRAME__COMMAND_SUBMIT;
    frame.submit = submit;
    frame_validate (&frame, err);
    return err->code;
}

//  Sets the string field at PATH in the submit (first element if repeated).
static bool
s_set_field (ProtobufCMessage *msg, const char *path, const char *value)
{
    const ProtobufCMessageDescriptor *desc = msg->descriptor;
    for (unsigned i = 0; i < desc->n_fields; i++) {
        const ProtobufCFieldDescriptor *field = &desc->fields [i];
        char *base = (char *) msg + field->offset;
        char here [128];
        s_path (here, sizeof here, desc, field);
        if (field->type == PROTOBUF_C_TYPE_STRING && strcmp (here, path) == 0) {
            char **slot = field->label == PROTOBUF_C_LABEL_REPEATED? *(char ***) base
                                                                    : (char **) base;
            free (*slot);
            *slot = strdup (value);
            return true;
        }
        if (field->type == PROTOBUF_C_TYPE_MESSAGE && field->label != PROTOBUF_C_LABEL_REPEATED) {
            if ((field->flags & PROTOBUF_C_FIELD_FLAG_ONEOF)
            &&  *(uint32_t *) ((char *) msg + field->quantifier_offset) != field->id)
                continue;
            ProtobufCMessage *sub = *(ProtobufCMessage **) base;
            if (sub && s_set_field (sub, path, value))
                return true;
        }
    }
    return false;
}

static void
test_validation (void)
{
    for (size_t b = 0; b < n_bodies; b++) {
        Samhand__V1__Submit *submit = s_submit (bodies [b]);
        frame_error_t err;
        char name [300];
        snprintf (name, sizeof name, "fields: the %s body with every distinctive value validates",
                  policy_view_name (0) && submit->body_case? "filled": "empty");
        int code = s_validate (submit, &err);
        snprintf (name, sizeof name, "fields: body %u with every distinctive value passes"
                  " validation%s%s", bodies [b], code? ": ": "", code? err.text: "");
        CHECK (code == 0, name);
        for (size_t i = 0; i < N_ROWS; i++) {
            if (!rows [i].bad)
                continue;
            Samhand__V1__Submit *copy = s_copy (submit);
            if (!copy || !s_set_field (&copy->base, rows [i].path, rows [i].bad)) {
                samhand__v1__submit__free_unpacked (copy, NULL);
                continue;           //  not a field of this body
            }
            code = s_validate (copy, &err);
            const char *field = strchr (rows [i].path, '.') + 1;
            snprintf (name, sizeof name, "fields: %s '%s' is refused (INVALID_FIELD naming it)",
                      rows [i].path, rows [i].bad);
            CHECK (code == SAMHAND__V1__ERROR_CODE__INVALID_FIELD && strstr (err.text, field), name);
            samhand__v1__submit__free_unpacked (copy, NULL);
        }
        samhand__v1__submit__free_unpacked (submit, NULL);
    }
}

int
main (void)
{
    s_find_bodies ();
    test_coverage ();
    test_validation ();
    test_sweep ();
    return TEST_DONE ();
}
