/*  test_policy.c — the policy table, cell by cell.
    The consents, ids and names here are invented ("Siri Saksbehandler" is
    nobody); no real person's data is used.                                 */
#include "testlib.h"
#include "policy.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define K(k) SAMHAND__V1__KIND__ ## k
#define A(a) SAMHAND__V1__AGENCY__ ## a
#define V(v) SAMHAND__V1__VIEW__ ## v
#define B(b) SAMHAND__V1__BASIS__ ## b
#define CL(c) POLICY_CLASS (c)
#define AG(a) (1u << A (a))

#define RC  A (RESOURCE_CENTRE)
#define TE  A (TRYGGEST)
#define POL A (POLICE_RISK)
#define CC  A (CRISIS_CENTRE)

#define ID      CL (IDENTITY)
#define CONTACT CL (CONTACT)
#define ADDR    CL (ADDRESS)
#define LEVEL   CL (RISK_LEVEL_CLASS)
#define FACTORS CL (RISK_FACTORS)
#define HEALTH  CL (HEALTH)
#define TEXT    CL (FREE_TEXT)
#define STEPS   CL (PLAN_STEPS)
#define POINTS  CL (CONTACT_POINTS)
#define FOLLOW  CL (FOLLOW_UP)

#define NOW ((int64_t) 1760000000)         //  2025-10-09
#define DAY ((int64_t) 86400)

//  ---------------------------------------------------------------------
//  Consent fixtures

static const char *const purposes_usual [] = { "follow_up", "risk_management" };
static const char *const purposes_follow_up [] = { "follow_up" };
static const char *const purposes_other [] = { "research" };
static const char *const purposes_safety_plan [] = { "safety_plan", "follow_up" };

#define ALL_AGENCIES (AG (RESOURCE_CENTRE) | AG (TRYGGEST) | AG (POLICE_RISK) | AG (CRISIS_CENTRE))
#define USUAL_CLASSES (ID | CONTACT | LEVEL | TEXT)

static const policy_consent_t consent_all [] = {
    { ALL_AGENCIES, USUAL_CLASSES, purposes_usual, 2, NOW - DAY, NOW + 30 * DAY, 0, "c-12" }
};
static const policy_consent_t consent_tryggest_only [] = {
    { AG (TRYGGEST), USUAL_CLASSES, purposes_usual, 2, NOW - DAY, NOW + DAY, 0, "c-13" }
};
static const policy_consent_t consent_wrong_purpose [] = {
    { ALL_AGENCIES, USUAL_CLASSES, purposes_other, 1, NOW - DAY, NOW + DAY, 0, "c-14" }
};
static const policy_consent_t consent_no_identity [] = {
    { ALL_AGENCIES, CONTACT | LEVEL | TEXT, purposes_usual, 2, NOW - DAY, NOW + DAY, 0, "c-15" }
};
static const policy_consent_t consent_expired [] = {
    { ALL_AGENCIES, USUAL_CLASSES, purposes_usual, 2, NOW - 30 * DAY, NOW - DAY, 0, "c-16" }
};
static const policy_consent_t consent_ends_now [] = {
    { ALL_AGENCIES, USUAL_CLASSES, purposes_usual, 2, NOW - 30 * DAY, NOW, 0, "c-17" }
};
static const policy_consent_t consent_not_yet [] = {
    { ALL_AGENCIES, USUAL_CLASSES, purposes_usual, 2, NOW + DAY, NOW + 30 * DAY, 0, "c-18" }
};
static const policy_consent_t consent_withdrawn [] = {
    { ALL_AGENCIES, USUAL_CLASSES, purposes_usual, 2, NOW - DAY, NOW + DAY, NOW - 60, "c-19" }
};
static const policy_consent_t consent_withdrawn_now [] = {
    { ALL_AGENCIES, USUAL_CLASSES, purposes_usual, 2, NOW - DAY, NOW + DAY, NOW, "c-20" }
};
static const policy_consent_t consent_withdrawal_later [] = {
    { ALL_AGENCIES, USUAL_CLASSES, purposes_usual, 2, NOW - DAY, NOW + DAY, NOW + 60, "c-21" }
};
static const policy_consent_t consent_follow_up_only [] = {
    { ALL_AGENCIES, USUAL_CLASSES, purposes_follow_up, 1, NOW - DAY, NOW + DAY, 0, "c-22" }
};
static const policy_consent_t consent_safety_plan [] = {
    { AG (TRYGGEST), ID | FACTORS, purposes_safety_plan, 2, NOW - DAY, NOW + DAY, 0, "c-23" }
};
//  out of scope first, in scope last: the one in scope decides
static const policy_consent_t consent_mixed [] = {
    { ALL_AGENCIES, USUAL_CLASSES, purposes_usual, 2, NOW - 30 * DAY, NOW - DAY, 0, "c-30" },
    { AG (POLICE_RISK), USUAL_CLASSES, purposes_usual, 2, NOW - DAY, NOW + DAY, 0, "c-31" },
    { ALL_AGENCIES, ID | HEALTH, purposes_usual, 2, NOW - DAY, NOW + DAY, 0, "c-32" }
};
static const policy_consent_t consent_crisis_only [] = {
    { AG (CRISIS_CENTRE), USUAL_CLASSES | ADDR, purposes_usual, 2, NOW - DAY, NOW + DAY, 0, "c-40" }
};
//  A consent for the plan: identity, level and the steps, not the network
//  or the weekly plan.
static const policy_consent_t consent_plan [] = {
    { ALL_AGENCIES, ID | LEVEL | STEPS, purposes_usual, 2, NOW - DAY, NOW + 30 * DAY, 0, "c-50" }
};
static const policy_consent_t consent_plan_withdrawn [] = {
    { ALL_AGENCIES, ID | LEVEL | STEPS | POINTS | FOLLOW, purposes_usual, 2, NOW - DAY,
      NOW + 30 * DAY, NOW - 60, "c-51" }
};
static const policy_consent_t consent_null_purposes [] = {
    { ALL_AGENCIES, USUAL_CLASSES, NULL, 2, NOW - DAY, NOW + DAY, 0, "c-41" }
};

typedef enum {
    C_NONE, C_ALL, C_TRYGGEST_ONLY, C_WRONG_PURPOSE, C_NO_IDENTITY, C_EXPIRED,
    C_ENDS_NOW, C_NOT_YET, C_WITHDRAWN, C_WITHDRAWN_NOW, C_WITHDRAWAL_LATER,
    C_FOLLOW_UP_ONLY, C_SAFETY_PLAN, C_MIXED, C_CRISIS_ONLY, C_NULL_PURPOSES,
    C_PLAN, C_PLAN_WITHDRAWN
} fixture_t;

static const struct {
    const policy_consent_t *list;
    size_t n;
} fixtures [] = {
    [C_NONE]             = { NULL, 0 },
    [C_ALL]              = { consent_all, 1 },
    [C_TRYGGEST_ONLY]    = { consent_tryggest_only, 1 },
    [C_WRONG_PURPOSE]    = { consent_wrong_purpose, 1 },
    [C_NO_IDENTITY]      = { consent_no_identity, 1 },
    [C_EXPIRED]          = { consent_expired, 1 },
    [C_ENDS_NOW]         = { consent_ends_now, 1 },
    [C_NOT_YET]          = { consent_not_yet, 1 },
    [C_WITHDRAWN]        = { consent_withdrawn, 1 },
    [C_WITHDRAWN_NOW]    = { consent_withdrawn_now, 1 },
    [C_WITHDRAWAL_LATER] = { consent_withdrawal_later, 1 },
    [C_FOLLOW_UP_ONLY]   = { consent_follow_up_only, 1 },
    [C_SAFETY_PLAN]      = { consent_safety_plan, 1 },
    [C_MIXED]            = { consent_mixed, 3 },
    [C_CRISIS_ONLY]      = { consent_crisis_only, 1 },
    [C_NULL_PURPOSES]    = { consent_null_purposes, 1 },
    [C_PLAN]             = { consent_plan, 1 },
    [C_PLAN_WITHDRAWN]   = { consent_plan_withdrawn, 1 }
};

//  ---------------------------------------------------------------------
//  Scenarios

//  What a message of each kind carries unless a scenario says otherwise.
#define CONCERN_PRESENT (ID | CONTACT | ADDR | TEXT)
#define RISK_PRESENT    (ID | CONTACT | LEVEL | FACTORS | HEALTH | TEXT)
#define PLAN_PRESENT    (ID | CONTACT | ADDR | LEVEL | FACTORS | HEALTH | TEXT | STEPS | POINTS \
                         | FOLLOW)
#define PLAN_MIN        (LEVEL | STEPS)

typedef enum { AVERT_NONE, AVERT_OK, AVERT_HPL31, AVERT_NO_JUSTIFICATION,
               AVERT_NO_DECISION_MAKER, AVERT_BLANK, AVERT_BAD_STATUTE } avert_t;

typedef struct {
    const char *name;
    int kind;
    int sender;             //  0: resource centre; -1: unspecified; else the agency
    int role;               //  0: coordinator; -1: none; else the role
    int recipient;          //  as is (0 is AGENCY_UNSPECIFIED)
    fixture_t consent;
    const char *purpose;
    avert_t avert;
    int basis;              //  used when avert is AVERT_NONE
    bool dirty;             //  the text failed the identifier check
    uint32_t named;         //  CONSENT_NOTICE: agencies named; 0 = no list
    int64_t present;        //  0: the kind's usual classes; -1: none
    Samhand__V1__View view;
    const char *rule;
    uint32_t classes;       //  expected classes_allowed
} scenario_t;

#define DUTY   POLICY_ROLE_DUTY_OPERATOR
#define TEAM   POLICY_ROLE_TEAM
#define ADMIN  POLICY_ROLE_ADMIN

static const scenario_t scenarios [] = {
    //  ---- concern report -> resource centre
    { .name = "concern rc->rc duty operator: same agency", .kind = K (CONCERN_REPORT),
      .role = DUTY, .recipient = RC,
      .view = V (IDENTIFIED), .rule = "SAME-AGENCY", .classes = CONCERN_PRESENT },
    { .name = "concern rc->rc coordinator with consent: same agency first", .kind = K (CONCERN_REPORT),
      .recipient = RC, .consent = C_ALL,
      .view = V (IDENTIFIED), .rule = "SAME-AGENCY", .classes = CONCERN_PRESENT },
    { .name = "concern rc->rc admin: no need to know", .kind = K (CONCERN_REPORT),
      .role = ADMIN, .recipient = RC,
      .view = V (PSEUDONYMISED), .rule = "FVL13-PSEUDONYMISED", .classes = 0 },
    { .name = "concern tryggest->rc no consent: pseudonymised", .kind = K (CONCERN_REPORT),
      .sender = TE, .role = TEAM, .recipient = RC,
      .view = V (PSEUDONYMISED), .rule = "FVL13-PSEUDONYMISED", .classes = 0 },
    { .name = "concern tryggest->rc consent: identified", .kind = K (CONCERN_REPORT),
      .sender = TE, .role = TEAM, .recipient = RC, .consent = C_ALL,
      .view = V (IDENTIFIED), .rule = "FVL13A1-CONSENT", .classes = ID | CONTACT | TEXT },
    //  ---- concern report -> TryggEst
    { .name = "concern rc->tryggest consent: identified", .kind = K (CONCERN_REPORT),
      .role = DUTY, .recipient = TE, .consent = C_ALL,
      .view = V (IDENTIFIED), .rule = "FVL13A1-CONSENT", .classes = ID | CONTACT | TEXT },
    { .name = "concern rc->tryggest no consent: case ref, no free text", .kind = K (CONCERN_REPORT),
      .role = DUTY, .recipient = TE,
      .view = V (PSEUDONYMISED), .rule = "FVL13-PSEUDONYMISED", .classes = 0 },
    { .name = "concern tryggest->tryggest no consent: pseudonymised (no same-agency row)",
      .kind = K (CONCERN_REPORT), .sender = TE, .role = TEAM, .recipient = TE,
      .view = V (PSEUDONYMISED), .rule = "FVL13-PSEUDONYMISED", .classes = 0 },
    { .name = "consent naming tryggest only: tryggest identified", .kind = K (CONCERN_REPORT),
      .recipient = TE, .consent = C_TRYGGEST_ONLY,
      .view = V (IDENTIFIED), .rule = "FVL13A1-CONSENT", .classes = ID | CONTACT | TEXT },
    { .name = "consent naming tryggest only: wrong agency for police", .kind = K (CONCERN_REPORT),
      .recipient = POL, .consent = C_TRYGGEST_ONLY,
      .view = V (PSEUDONYMISED), .rule = "FVL13-PSEUDONYMISED", .classes = 0 },
    { .name = "consent naming tryggest only: wrong agency for crisis centre", .kind = K (CONCERN_REPORT),
      .recipient = CC, .consent = C_TRYGGEST_ONLY,
      .view = V (WITHHELD), .rule = "FVL13-CONFIDENTIAL", .classes = 0 },
    { .name = "consent for another purpose: out of scope", .kind = K (CONCERN_REPORT),
      .recipient = TE, .consent = C_WRONG_PURPOSE,
      .view = V (PSEUDONYMISED), .rule = "FVL13-PSEUDONYMISED", .classes = 0 },
    { .name = "consent without identity class: out of scope", .kind = K (CONCERN_REPORT),
      .recipient = TE, .consent = C_NO_IDENTITY,
      .view = V (PSEUDONYMISED), .rule = "FVL13-PSEUDONYMISED", .classes = 0 },
    { .name = "expired consent counts as none", .kind = K (CONCERN_REPORT),
      .recipient = TE, .consent = C_EXPIRED,
      .view = V (PSEUDONYMISED), .rule = "FVL13-PSEUDONYMISED", .classes = 0 },
    { .name = "consent ending this second is expired", .kind = K (CONCERN_REPORT),
      .recipient = TE, .consent = C_ENDS_NOW,
      .view = V (PSEUDONYMISED), .rule = "FVL13-PSEUDONYMISED", .classes = 0 },
    { .name = "consent not yet valid", .kind = K (CONCERN_REPORT),
      .recipient = TE, .consent = C_NOT_YET,
      .view = V (PSEUDONYMISED), .rule = "FVL13-PSEUDONYMISED", .classes = 0 },
    { .name = "withdrawn consent", .kind = K (CONCERN_REPORT),
      .recipient = TE, .consent = C_WITHDRAWN,
      .view = V (PSEUDONYMISED), .rule = "FVL13-PSEUDONYMISED", .classes = 0 },
    { .name = "consent withdrawn this second", .kind = K (CONCERN_REPORT),
      .recipient = TE, .consent = C_WITHDRAWN_NOW,
      .view = V (PSEUDONYMISED), .rule = "FVL13-PSEUDONYMISED", .classes = 0 },
    { .name = "withdrawal dated later is not yet in force", .kind = K (CONCERN_REPORT),
      .recipient = TE, .consent = C_WITHDRAWAL_LATER,
      .view = V (IDENTIFIED), .rule = "FVL13A1-CONSENT", .classes = ID | CONTACT | TEXT },
    { .name = "consent with NULL purposes list", .kind = K (CONCERN_REPORT),
      .recipient = TE, .consent = C_NULL_PURPOSES,
      .view = V (PSEUDONYMISED), .rule = "FVL13-PSEUDONYMISED", .classes = 0 },
    { .name = "submit purpose named by the consent", .kind = K (CONCERN_REPORT),
      .recipient = TE, .consent = C_SAFETY_PLAN, .purpose = "safety_plan",
      .view = V (IDENTIFIED), .rule = "FVL13A1-CONSENT", .classes = ID },
    { .name = "submit purpose not named by the consent", .kind = K (CONCERN_REPORT),
      .recipient = TE, .consent = C_ALL, .purpose = "safety_plan",
      .view = V (PSEUDONYMISED), .rule = "FVL13-PSEUDONYMISED", .classes = 0 },
    { .name = "first consent in scope decides", .kind = K (CONCERN_REPORT),
      .recipient = TE, .consent = C_MIXED,
      .view = V (IDENTIFIED), .rule = "FVL13A1-CONSENT", .classes = ID },
    { .name = "duty to avert never opens tryggest", .kind = K (CONCERN_REPORT),
      .recipient = TE, .avert = AVERT_OK,
      .view = V (PSEUDONYMISED), .rule = "FVL13-PSEUDONYMISED", .classes = 0 },
    { .name = "duty to avert never opens resource centre", .kind = K (CONCERN_REPORT),
      .sender = TE, .role = TEAM, .recipient = RC, .avert = AVERT_OK,
      .view = V (PSEUDONYMISED), .rule = "FVL13-PSEUDONYMISED", .classes = 0 },
    //  ---- concern report -> police RISK
    { .name = "concern rc->police no consent: pseudonymised", .kind = K (CONCERN_REPORT),
      .role = DUTY, .recipient = POL,
      .view = V (PSEUDONYMISED), .rule = "FVL13-PSEUDONYMISED", .classes = 0 },
    { .name = "concern rc->police consent: identified", .kind = K (CONCERN_REPORT),
      .role = DUTY, .recipient = POL, .consent = C_ALL,
      .view = V (IDENTIFIED), .rule = "FVL13A1-CONSENT", .classes = ID | CONTACT | TEXT },
    { .name = "concern rc->police avert straffeloven 196: identity + contact", .kind = K (CONCERN_REPORT),
      .role = DUTY, .recipient = POL, .avert = AVERT_OK,
      .view = V (IDENTIFIED), .rule = "STRL196-AVERT", .classes = ID | CONTACT },
    { .name = "concern rc->police avert hpl 31", .kind = K (CONCERN_REPORT),
      .role = DUTY, .recipient = POL, .avert = AVERT_HPL31,
      .view = V (IDENTIFIED), .rule = "HPL31-ALERT", .classes = ID | CONTACT },
    { .name = "concern rc->police consent wins over avert", .kind = K (CONCERN_REPORT),
      .recipient = POL, .consent = C_ALL, .avert = AVERT_OK,
      .view = V (IDENTIFIED), .rule = "FVL13A1-CONSENT", .classes = ID | CONTACT | TEXT },
    { .name = "avert without justification: pseudonymised", .kind = K (CONCERN_REPORT),
      .recipient = POL, .avert = AVERT_NO_JUSTIFICATION,
      .view = V (PSEUDONYMISED), .rule = "FVL13-PSEUDONYMISED", .classes = 0 },
    { .name = "avert without decision-maker: pseudonymised", .kind = K (CONCERN_REPORT),
      .recipient = POL, .avert = AVERT_NO_DECISION_MAKER,
      .view = V (PSEUDONYMISED), .rule = "FVL13-PSEUDONYMISED", .classes = 0 },
    { .name = "avert with blank justification and decision-maker", .kind = K (CONCERN_REPORT),
      .recipient = POL, .avert = AVERT_BLANK,
      .view = V (PSEUDONYMISED), .rule = "FVL13-PSEUDONYMISED", .classes = 0 },
    { .name = "avert under an unknown statute", .kind = K (CONCERN_REPORT),
      .recipient = POL, .avert = AVERT_BAD_STATUTE,
      .view = V (PSEUDONYMISED), .rule = "FVL13-PSEUDONYMISED", .classes = 0 },
    { .name = "police->police avert: the police row", .kind = K (CONCERN_REPORT),
      .sender = POL, .role = TEAM, .recipient = POL, .avert = AVERT_OK,
      .view = V (IDENTIFIED), .rule = "STRL196-AVERT", .classes = ID | CONTACT },
    //  ---- concern report -> crisis centre
    { .name = "concern rc->crisis centre no consent: withheld", .kind = K (CONCERN_REPORT),
      .role = DUTY, .recipient = CC,
      .view = V (WITHHELD), .rule = "FVL13-CONFIDENTIAL", .classes = 0 },
    { .name = "concern rc->crisis centre consent: identified", .kind = K (CONCERN_REPORT),
      .role = DUTY, .recipient = CC, .consent = C_CRISIS_ONLY,
      .view = V (IDENTIFIED), .rule = "FVL13A1-CONSENT", .classes = ID | CONTACT | ADDR | TEXT },
    { .name = "duty to avert never opens the crisis centre", .kind = K (CONCERN_REPORT),
      .recipient = CC, .avert = AVERT_OK,
      .view = V (WITHHELD), .rule = "FVL13-CONFIDENTIAL", .classes = 0 },
    { .name = "concern crisis centre->crisis centre no consent", .kind = K (CONCERN_REPORT),
      .sender = CC, .role = TEAM, .recipient = CC,
      .view = V (WITHHELD), .rule = "FVL13-CONFIDENTIAL", .classes = 0 },
    //  ---- the crisis centre as sender (krisesenterlova §5)
    { .name = "crisis centre->tryggest no consent: krisl5", .kind = K (CONCERN_REPORT),
      .sender = CC, .role = TEAM, .recipient = TE,
      .view = V (WITHHELD), .rule = "KRISL5-CONFIDENTIAL", .classes = 0 },
    { .name = "crisis centre->resource centre no consent: krisl5", .kind = K (CONCERN_REPORT),
      .sender = CC, .role = TEAM, .recipient = RC,
      .view = V (WITHHELD), .rule = "KRISL5-CONFIDENTIAL", .classes = 0 },
    //  straffeloven §196 applies regardless of the duty of confidentiality:
    //  the crisis centre may avert towards the police RISK team (DESIGN.md §2).
    { .name = "crisis centre->police avert without consent: STRL196 identity + contact",
      .kind = K (CONCERN_REPORT), .sender = CC, .role = TEAM, .recipient = POL, .avert = AVERT_OK,
      .view = V (IDENTIFIED), .rule = "STRL196-AVERT", .classes = ID | CONTACT },
    { .name = "crisis centre->police hpl 31 without consent", .kind = K (CONCERN_REPORT),
      .sender = CC, .role = DUTY, .recipient = POL, .avert = AVERT_HPL31,
      .view = V (IDENTIFIED), .rule = "HPL31-ALERT", .classes = ID | CONTACT },
    { .name = "crisis centre->police no claim: krisl5", .kind = K (CONCERN_REPORT),
      .sender = CC, .role = TEAM, .recipient = POL,
      .view = V (WITHHELD), .rule = "KRISL5-CONFIDENTIAL", .classes = 0 },
    { .name = "crisis centre->police avert without decision-maker: krisl5", .kind = K (CONCERN_REPORT),
      .sender = CC, .role = TEAM, .recipient = POL, .avert = AVERT_NO_DECISION_MAKER,
      .view = V (WITHHELD), .rule = "KRISL5-CONFIDENTIAL", .classes = 0 },
    { .name = "crisis centre->police avert under an unknown statute: krisl5", .kind = K (CONCERN_REPORT),
      .sender = CC, .role = TEAM, .recipient = POL, .avert = AVERT_BAD_STATUTE,
      .view = V (WITHHELD), .rule = "KRISL5-CONFIDENTIAL", .classes = 0 },
    { .name = "crisis centre->tryggest avert: still krisl5", .kind = K (CONCERN_REPORT),
      .sender = CC, .role = TEAM, .recipient = TE, .avert = AVERT_OK,
      .view = V (WITHHELD), .rule = "KRISL5-CONFIDENTIAL", .classes = 0 },
    { .name = "crisis centre->resource centre avert: still krisl5", .kind = K (CONCERN_REPORT),
      .sender = CC, .role = TEAM, .recipient = RC, .avert = AVERT_OK,
      .view = V (WITHHELD), .rule = "KRISL5-CONFIDENTIAL", .classes = 0 },
    { .name = "crisis centre->police consent wins over avert", .kind = K (CONCERN_REPORT),
      .sender = CC, .role = TEAM, .recipient = POL, .consent = C_ALL, .avert = AVERT_OK,
      .view = V (IDENTIFIED), .rule = "FVL13A1-CONSENT", .classes = ID | CONTACT | TEXT },
    { .name = "crisis centre->tryggest consent: identified", .kind = K (CONCERN_REPORT),
      .sender = CC, .role = TEAM, .recipient = TE, .consent = C_ALL,
      .view = V (IDENTIFIED), .rule = "FVL13A1-CONSENT", .classes = ID | CONTACT | TEXT },
    { .name = "crisis centre->police expired consent: krisl5", .kind = K (CONCERN_REPORT),
      .sender = CC, .role = TEAM, .recipient = POL, .consent = C_EXPIRED,
      .view = V (WITHHELD), .rule = "KRISL5-CONFIDENTIAL", .classes = 0 },
    //  ---- risk change
    //  Within the resource centre on need to know (DESIGN.md §2, corrected):
    //  the duty phone answers at night and must know the current risk.
    { .name = "risk rc->rc coordinator no consent: same agency, need to know", .kind = K (RISK_CHANGE),
      .recipient = RC,
      .view = V (IDENTIFIED), .rule = "SAME-AGENCY", .classes = RISK_PRESENT },
    { .name = "risk rc->rc duty operator: same agency", .kind = K (RISK_CHANGE),
      .role = DUTY, .recipient = RC,
      .view = V (IDENTIFIED), .rule = "SAME-AGENCY", .classes = RISK_PRESENT },
    { .name = "risk rc->rc team role: same agency", .kind = K (RISK_CHANGE),
      .role = TEAM, .recipient = RC,
      .view = V (IDENTIFIED), .rule = "SAME-AGENCY", .classes = RISK_PRESENT },
    { .name = "risk rc->rc with consent: same agency first", .kind = K (RISK_CHANGE),
      .recipient = RC, .consent = C_MIXED,
      .view = V (IDENTIFIED), .rule = "SAME-AGENCY", .classes = RISK_PRESENT },
    { .name = "risk rc->rc admin: no need to know, level + measures", .kind = K (RISK_CHANGE),
      .role = ADMIN, .recipient = RC,
      .view = V (PSEUDONYMISED), .rule = "FVL13-RISK-PSEUDONYMISED", .classes = LEVEL },
    { .name = "risk tryggest->rc no consent: level + measures", .kind = K (RISK_CHANGE),
      .sender = TE, .role = TEAM, .recipient = RC,
      .view = V (PSEUDONYMISED), .rule = "FVL13-RISK-PSEUDONYMISED", .classes = LEVEL },
    { .name = "risk tryggest->tryggest no consent: level + measures (no same-agency row)",
      .kind = K (RISK_CHANGE), .sender = TE, .role = TEAM, .recipient = TE,
      .view = V (PSEUDONYMISED), .rule = "FVL13-RISK-PSEUDONYMISED", .classes = LEVEL },
    { .name = "risk police->police no consent: level + measures (no same-agency row)",
      .kind = K (RISK_CHANGE), .sender = POL, .role = TEAM, .recipient = POL,
      .view = V (PSEUDONYMISED), .rule = "FVL13-RISK-PSEUDONYMISED", .classes = LEVEL },
    { .name = "risk tryggest->rc consent: identified", .kind = K (RISK_CHANGE),
      .sender = TE, .role = TEAM, .recipient = RC, .consent = C_ALL,
      .view = V (IDENTIFIED), .rule = "FVL13A1-CONSENT", .classes = ID | CONTACT | LEVEL | TEXT },
    { .name = "risk rc->tryggest no consent: level + measures", .kind = K (RISK_CHANGE),
      .recipient = TE,
      .view = V (PSEUDONYMISED), .rule = "FVL13-RISK-PSEUDONYMISED", .classes = LEVEL },
    { .name = "risk rc->tryggest consent: identified", .kind = K (RISK_CHANGE),
      .recipient = TE, .consent = C_ALL,
      .view = V (IDENTIFIED), .rule = "FVL13A1-CONSENT", .classes = ID | CONTACT | LEVEL | TEXT },
    { .name = "risk rc->tryggest avert: level + measures only", .kind = K (RISK_CHANGE),
      .recipient = TE, .avert = AVERT_OK,
      .view = V (PSEUDONYMISED), .rule = "FVL13-RISK-PSEUDONYMISED", .classes = LEVEL },
    { .name = "risk tryggest->rc avert: level + measures only", .kind = K (RISK_CHANGE),
      .sender = TE, .role = TEAM, .recipient = RC, .avert = AVERT_OK,
      .view = V (PSEUDONYMISED), .rule = "FVL13-RISK-PSEUDONYMISED", .classes = LEVEL },
    { .name = "risk rc->police no consent: level + measures", .kind = K (RISK_CHANGE),
      .recipient = POL,
      .view = V (PSEUDONYMISED), .rule = "FVL13-RISK-PSEUDONYMISED", .classes = LEVEL },
    { .name = "risk rc->police consent: identified", .kind = K (RISK_CHANGE),
      .recipient = POL, .consent = C_ALL,
      .view = V (IDENTIFIED), .rule = "FVL13A1-CONSENT", .classes = ID | CONTACT | LEVEL | TEXT },
    { .name = "risk rc->police avert: identity, contact, level", .kind = K (RISK_CHANGE),
      .recipient = POL, .avert = AVERT_OK,
      .view = V (IDENTIFIED), .rule = "STRL196-AVERT", .classes = ID | CONTACT | LEVEL },
    { .name = "risk rc->police avert without decision-maker", .kind = K (RISK_CHANGE),
      .recipient = POL, .avert = AVERT_NO_DECISION_MAKER,
      .view = V (PSEUDONYMISED), .rule = "FVL13-RISK-PSEUDONYMISED", .classes = LEVEL },
    { .name = "risk rc->crisis centre no consent: withheld", .kind = K (RISK_CHANGE),
      .recipient = CC,
      .view = V (WITHHELD), .rule = "FVL13-CONFIDENTIAL", .classes = 0 },
    { .name = "risk rc->crisis centre avert: withheld", .kind = K (RISK_CHANGE),
      .recipient = CC, .avert = AVERT_HPL31,
      .view = V (WITHHELD), .rule = "FVL13-CONFIDENTIAL", .classes = 0 },
    { .name = "risk rc->crisis centre consent: identified", .kind = K (RISK_CHANGE),
      .recipient = CC, .consent = C_ALL,
      .view = V (IDENTIFIED), .rule = "FVL13A1-CONSENT", .classes = ID | CONTACT | LEVEL | TEXT },
    { .name = "risk crisis centre->police avert no consent: identity, contact, level",
      .kind = K (RISK_CHANGE), .sender = CC, .role = TEAM, .recipient = POL, .avert = AVERT_OK,
      .view = V (IDENTIFIED), .rule = "STRL196-AVERT", .classes = ID | CONTACT | LEVEL },
    { .name = "risk crisis centre->police no claim: krisl5", .kind = K (RISK_CHANGE),
      .sender = CC, .role = TEAM, .recipient = POL,
      .view = V (WITHHELD), .rule = "KRISL5-CONFIDENTIAL", .classes = 0 },
    { .name = "risk crisis centre->rc avert: krisl5", .kind = K (RISK_CHANGE),
      .sender = CC, .role = TEAM, .recipient = RC, .avert = AVERT_OK,
      .view = V (WITHHELD), .rule = "KRISL5-CONFIDENTIAL", .classes = 0 },
    { .name = "risk crisis centre->crisis centre avert: withheld", .kind = K (RISK_CHANGE),
      .sender = CC, .role = TEAM, .recipient = CC, .avert = AVERT_OK,
      .view = V (WITHHELD), .rule = "FVL13-CONFIDENTIAL", .classes = 0 },
    { .name = "risk crisis centre->tryggest consent: identified", .kind = K (RISK_CHANGE),
      .sender = CC, .role = TEAM, .recipient = TE, .consent = C_ALL,
      .view = V (IDENTIFIED), .rule = "FVL13A1-CONSENT", .classes = ID | CONTACT | LEVEL | TEXT },
    { .name = "risk default purpose is risk_management", .kind = K (RISK_CHANGE),
      .recipient = TE, .consent = C_FOLLOW_UP_ONLY,
      .view = V (PSEUDONYMISED), .rule = "FVL13-RISK-PSEUDONYMISED", .classes = LEVEL },
    { .name = "risk consent with health class keeps health", .kind = K (RISK_CHANGE),
      .recipient = TE, .consent = C_MIXED,
      .view = V (IDENTIFIED), .rule = "FVL13A1-CONSENT", .classes = ID | HEALTH },
    //  ---- anonymised case discussion
    { .name = "discussion clean -> resource centre", .kind = K (CASE_DISCUSSION),
      .recipient = RC,
      .view = V (ANONYMISED), .rule = "FVL13A2-ANON", .classes = TEXT },
    { .name = "discussion clean -> tryggest", .kind = K (CASE_DISCUSSION),
      .recipient = TE,
      .view = V (ANONYMISED), .rule = "FVL13A2-ANON", .classes = TEXT },
    { .name = "discussion clean -> police", .kind = K (CASE_DISCUSSION),
      .recipient = POL,
      .view = V (ANONYMISED), .rule = "FVL13A2-ANON", .classes = TEXT },
    { .name = "discussion clean -> crisis centre", .kind = K (CASE_DISCUSSION),
      .recipient = CC,
      .view = V (ANONYMISED), .rule = "FVL13A2-ANON", .classes = TEXT },
    { .name = "discussion from the crisis centre, clean, may go", .kind = K (CASE_DISCUSSION),
      .sender = CC, .role = TEAM, .recipient = TE,
      .view = V (ANONYMISED), .rule = "FVL13A2-ANON", .classes = TEXT },
    { .name = "discussion failing the check: withheld", .kind = K (CASE_DISCUSSION),
      .recipient = TE, .dirty = true,
      .view = V (WITHHELD), .rule = "FVL13A2-NOT-ANONYMOUS", .classes = 0 },
    { .name = "discussion failing the check, consent does not help", .kind = K (CASE_DISCUSSION),
      .recipient = POL, .dirty = true, .consent = C_ALL,
      .view = V (WITHHELD), .rule = "FVL13A2-NOT-ANONYMOUS", .classes = 0 },
    { .name = "discussion failing the check, avert does not help", .kind = K (CASE_DISCUSSION),
      .recipient = POL, .dirty = true, .avert = AVERT_OK,
      .view = V (WITHHELD), .rule = "FVL13A2-NOT-ANONYMOUS", .classes = 0 },
    { .name = "discussion from the crisis centre failing the check", .kind = K (CASE_DISCUSSION),
      .sender = CC, .role = TEAM, .recipient = RC, .dirty = true,
      .view = V (WITHHELD), .rule = "FVL13A2-NOT-ANONYMOUS", .classes = 0 },
    //  ---- case status
    { .name = "status rc->rc no consent: same agency, need to know", .kind = K (CASE_STATUS),
      .recipient = RC,
      .view = V (IDENTIFIED), .rule = "SAME-AGENCY", .classes = TEXT },
    { .name = "status tryggest->rc no consent, text not clean: case ref only", .kind = K (CASE_STATUS),
      .sender = TE, .role = TEAM, .recipient = RC, .dirty = true,
      .view = V (PSEUDONYMISED), .rule = "FVL13-PSEUDONYMISED", .classes = 0 },
    { .name = "status tryggest->rc no consent, clean text: case ref and text", .kind = K (CASE_STATUS),
      .sender = TE, .role = TEAM, .recipient = RC,
      .view = V (PSEUDONYMISED), .rule = "FVL13-PSEUDONYMISED", .classes = TEXT },
    { .name = "status tryggest->rc consent: identified", .kind = K (CASE_STATUS),
      .sender = TE, .role = TEAM, .recipient = RC, .consent = C_ALL,
      .view = V (IDENTIFIED), .rule = "FVL13A1-CONSENT", .classes = TEXT },
    { .name = "status rc->tryggest no consent: case ref and clean text", .kind = K (CASE_STATUS),
      .recipient = TE,
      .view = V (PSEUDONYMISED), .rule = "FVL13-PSEUDONYMISED", .classes = TEXT },
    { .name = "status rc->police avert: no avert path", .kind = K (CASE_STATUS),
      .recipient = POL, .avert = AVERT_OK, .dirty = true,
      .view = V (PSEUDONYMISED), .rule = "FVL13-PSEUDONYMISED", .classes = 0 },
    { .name = "status rc->police consent", .kind = K (CASE_STATUS),
      .recipient = POL, .consent = C_ALL,
      .view = V (IDENTIFIED), .rule = "FVL13A1-CONSENT", .classes = TEXT },
    { .name = "status rc->crisis centre no consent: withheld", .kind = K (CASE_STATUS),
      .recipient = CC,
      .view = V (WITHHELD), .rule = "FVL13-CONFIDENTIAL", .classes = 0 },
    { .name = "status rc->crisis centre consent", .kind = K (CASE_STATUS),
      .recipient = CC, .consent = C_CRISIS_ONLY,
      .view = V (IDENTIFIED), .rule = "FVL13A1-CONSENT", .classes = TEXT },
    { .name = "status crisis centre->rc no consent: krisl5", .kind = K (CASE_STATUS),
      .sender = CC, .role = TEAM, .recipient = RC,
      .view = V (WITHHELD), .rule = "KRISL5-CONFIDENTIAL", .classes = 0 },
    { .name = "status crisis centre->rc consent", .kind = K (CASE_STATUS),
      .sender = CC, .role = TEAM, .recipient = RC, .consent = C_ALL,
      .view = V (IDENTIFIED), .rule = "FVL13A1-CONSENT", .classes = TEXT },
    //  ---- consent notice
    { .name = "notice to a named agency", .kind = K (CONSENT_NOTICE),
      .recipient = TE, .named = AG (TRYGGEST) | AG (POLICE_RISK), .present = -1,
      .view = V (PSEUDONYMISED), .rule = "CONSENT-NOTICE", .classes = 0 },
    { .name = "notice to the crisis centre, named", .kind = K (CONSENT_NOTICE),
      .recipient = CC, .named = AG (CRISIS_CENTRE), .present = -1,
      .view = V (PSEUDONYMISED), .rule = "CONSENT-NOTICE", .classes = 0 },
    { .name = "notice to an agency not named", .kind = K (CONSENT_NOTICE),
      .recipient = CC, .named = AG (TRYGGEST) | AG (POLICE_RISK), .present = -1,
      .view = V (WITHHELD), .rule = "DEFAULT-DENY", .classes = 0 },
    { .name = "notice without the consent's agencies", .kind = K (CONSENT_NOTICE),
      .recipient = TE, .present = -1,
      .view = V (WITHHELD), .rule = "DEFAULT-DENY", .classes = 0 },
    //  ---- alert
    { .name = "alert to the sender's own agency", .kind = K (ALERT),
      .recipient = RC, .present = -1,
      .view = V (PSEUDONYMISED), .rule = "SAME-AGENCY", .classes = 0 },
    { .name = "alert to an admin's own agency", .kind = K (ALERT),
      .sender = POL, .role = ADMIN, .recipient = POL, .present = -1,
      .view = V (PSEUDONYMISED), .rule = "SAME-AGENCY", .classes = 0 },
    { .name = "alert to another agency", .kind = K (ALERT),
      .recipient = TE, .present = -1,
      .view = V (WITHHELD), .rule = "DEFAULT-DENY", .classes = 0 },
    { .name = "alert to the crisis centre from the police", .kind = K (ALERT),
      .sender = POL, .role = TEAM, .recipient = CC, .present = -1,
      .view = V (WITHHELD), .rule = "DEFAULT-DENY", .classes = 0 },
    //  ---- what the table does not know
    { .name = "kind unspecified", .kind = 0, .recipient = TE, .consent = C_ALL,
      .view = V (WITHHELD), .rule = "DEFAULT-DENY", .classes = 0 },
    { .name = "kind out of range", .kind = 77, .recipient = TE, .consent = C_ALL,
      .view = V (WITHHELD), .rule = "DEFAULT-DENY", .classes = 0 },
    { .name = "recipient unspecified", .kind = K (CONCERN_REPORT), .recipient = 0, .consent = C_ALL,
      .view = V (WITHHELD), .rule = "DEFAULT-DENY", .classes = 0 },
    { .name = "recipient out of range", .kind = K (CONCERN_REPORT), .recipient = 5, .consent = C_ALL,
      .view = V (WITHHELD), .rule = "DEFAULT-DENY", .classes = 0 },
    { .name = "recipient negative", .kind = K (CONCERN_REPORT), .recipient = -3,
      .view = V (WITHHELD), .rule = "DEFAULT-DENY", .classes = 0 },
    { .name = "sender agency unspecified", .kind = K (CONCERN_REPORT), .sender = -1,
      .recipient = TE, .consent = C_ALL,
      .view = V (WITHHELD), .rule = "DEFAULT-DENY", .classes = 0 },
    { .name = "sender agency out of range", .kind = K (CONCERN_REPORT), .sender = 9,
      .recipient = TE, .consent = C_ALL,
      .view = V (WITHHELD), .rule = "DEFAULT-DENY", .classes = 0 },
    { .name = "sender role none", .kind = K (CONCERN_REPORT), .role = -1,
      .recipient = TE, .consent = C_ALL,
      .view = V (WITHHELD), .rule = "DEFAULT-DENY", .classes = 0 },
    { .name = "sender role out of range", .kind = K (CONCERN_REPORT), .role = 12,
      .recipient = RC,
      .view = V (WITHHELD), .rule = "DEFAULT-DENY", .classes = 0 },
    { .name = "basis out of range", .kind = K (CONCERN_REPORT), .basis = 9,
      .recipient = TE, .consent = C_ALL,
      .view = V (WITHHELD), .rule = "DEFAULT-DENY", .classes = 0 },
    { .name = "unknown data class bit", .kind = K (CONCERN_REPORT),
      .recipient = TE, .consent = C_ALL, .present = (1u << 11) | ID,
      .view = V (WITHHELD), .rule = "DEFAULT-DENY", .classes = 0 },
    { .name = "data class bit 0 (unspecified)", .kind = K (CONCERN_REPORT),
      .recipient = RC, .present = 1u | ID,
      .view = V (WITHHELD), .rule = "DEFAULT-DENY", .classes = 0 },
    //  ---- risk management plan (docs/POLICY.md §11): every agency, with
    //  and without consent
    { .name = "plan rc->rc coordinator: same agency, the whole plan", .kind = K (RISK_PLAN),
      .recipient = RC,
      .view = V (IDENTIFIED), .rule = "SAME-AGENCY", .classes = PLAN_PRESENT },
    { .name = "plan rc->rc (night shift reads it): same agency even with text unscanned",
      .kind = K (RISK_PLAN), .recipient = RC, .dirty = true,
      .view = V (IDENTIFIED), .rule = "SAME-AGENCY", .classes = PLAN_PRESENT },
    { .name = "plan rc admin->rc: no need to know, the minimum", .kind = K (RISK_PLAN),
      .role = ADMIN, .recipient = RC,
      .view = V (PSEUDONYMISED), .rule = "FVL13-PLAN-PSEUDONYMISED", .classes = PLAN_MIN },
    { .name = "plan police->rc no consent: the minimum", .kind = K (RISK_PLAN),
      .sender = POL, .role = TEAM, .recipient = RC,
      .view = V (PSEUDONYMISED), .rule = "FVL13-PLAN-PSEUDONYMISED", .classes = PLAN_MIN },
    { .name = "plan rc->tryggest no consent: level, measures, own steps", .kind = K (RISK_PLAN),
      .recipient = TE,
      .view = V (PSEUDONYMISED), .rule = "FVL13-PLAN-PSEUDONYMISED", .classes = PLAN_MIN },
    { .name = "plan rc->tryggest no consent, text dirty: still no free text", .kind = K (RISK_PLAN),
      .recipient = TE, .dirty = true,
      .view = V (PSEUDONYMISED), .rule = "FVL13-PLAN-PSEUDONYMISED", .classes = PLAN_MIN },
    { .name = "plan rc->tryggest usual consent: its classes, no steps", .kind = K (RISK_PLAN),
      .recipient = TE, .consent = C_ALL,
      .view = V (IDENTIFIED), .rule = "FVL13A1-CONSENT", .classes = ID | CONTACT | LEVEL | TEXT },
    { .name = "plan rc->tryggest plan consent: identity, level, steps only", .kind = K (RISK_PLAN),
      .recipient = TE, .consent = C_PLAN,
      .view = V (IDENTIFIED), .rule = "FVL13A1-CONSENT", .classes = ID | LEVEL | STEPS },
    { .name = "plan rc->tryggest consent withdrawn: the minimum", .kind = K (RISK_PLAN),
      .recipient = TE, .consent = C_PLAN_WITHDRAWN,
      .view = V (PSEUDONYMISED), .rule = "FVL13-PLAN-PSEUDONYMISED", .classes = PLAN_MIN },
    { .name = "plan rc->tryggest consent for follow-up only: out of scope", .kind = K (RISK_PLAN),
      .recipient = TE, .consent = C_FOLLOW_UP_ONLY,
      .view = V (PSEUDONYMISED), .rule = "FVL13-PLAN-PSEUDONYMISED", .classes = PLAN_MIN },
    { .name = "plan rc->police no consent: level, measures, own steps", .kind = K (RISK_PLAN),
      .recipient = POL,
      .view = V (PSEUDONYMISED), .rule = "FVL13-PLAN-PSEUDONYMISED", .classes = PLAN_MIN },
    { .name = "plan rc->police plan consent: identified", .kind = K (RISK_PLAN),
      .recipient = POL, .consent = C_PLAN,
      .view = V (IDENTIFIED), .rule = "FVL13A1-CONSENT", .classes = ID | LEVEL | STEPS },
    { .name = "plan rc->police duty to avert claimed: no such row for a plan", .kind = K (RISK_PLAN),
      .recipient = POL, .avert = AVERT_OK,
      .view = V (PSEUDONYMISED), .rule = "FVL13-PLAN-PSEUDONYMISED", .classes = PLAN_MIN },
    { .name = "plan rc->crisis centre no consent: withheld", .kind = K (RISK_PLAN),
      .recipient = CC,
      .view = V (WITHHELD), .rule = "FVL13-CONFIDENTIAL", .classes = 0 },
    { .name = "plan rc->crisis centre plan consent: identified", .kind = K (RISK_PLAN),
      .recipient = CC, .consent = C_PLAN,
      .view = V (IDENTIFIED), .rule = "FVL13A1-CONSENT", .classes = ID | LEVEL | STEPS },
    { .name = "plan rc->crisis centre consent withdrawn: withheld", .kind = K (RISK_PLAN),
      .recipient = CC, .consent = C_PLAN_WITHDRAWN,
      .view = V (WITHHELD), .rule = "FVL13-CONFIDENTIAL", .classes = 0 },
    { .name = "plan crisis centre->tryggest no consent: krisesenterlova", .kind = K (RISK_PLAN),
      .sender = CC, .role = TEAM, .recipient = TE,
      .view = V (WITHHELD), .rule = "KRISL5-CONFIDENTIAL", .classes = 0 },
    { .name = "plan crisis centre->rc no consent: krisesenterlova", .kind = K (RISK_PLAN),
      .sender = CC, .role = TEAM, .recipient = RC,
      .view = V (WITHHELD), .rule = "KRISL5-CONFIDENTIAL", .classes = 0 },
    { .name = "plan crisis centre->police no consent: krisesenterlova", .kind = K (RISK_PLAN),
      .sender = CC, .role = TEAM, .recipient = POL,
      .view = V (WITHHELD), .rule = "KRISL5-CONFIDENTIAL", .classes = 0 },
    { .name = "plan crisis centre->police plan consent: identified", .kind = K (RISK_PLAN),
      .sender = CC, .role = TEAM, .recipient = POL, .consent = C_PLAN,
      .view = V (IDENTIFIED), .rule = "FVL13A1-CONSENT", .classes = ID | LEVEL | STEPS },
    { .name = "plan crisis centre->crisis centre no consent: withheld", .kind = K (RISK_PLAN),
      .sender = CC, .role = TEAM, .recipient = CC,
      .view = V (WITHHELD), .rule = "FVL13-CONFIDENTIAL", .classes = 0 },
    { .name = "plan to an unknown agency: default deny", .kind = K (RISK_PLAN),
      .recipient = 7,
      .view = V (WITHHELD), .rule = "DEFAULT-DENY", .classes = 0 },
    { .name = "kind past the last: default deny", .kind = 8,
      .recipient = RC,
      .view = V (WITHHELD), .rule = "DEFAULT-DENY", .classes = 0 },
};

#define N_SCENARIOS (sizeof scenarios / sizeof scenarios [0])

static void
s_input (const scenario_t *s, policy_input_t *in, uint32_t *named)
{
    memset (in, 0, sizeof *in);
    in->kind = (Samhand__V1__Kind) s->kind;
    in->sender_agency = (Samhand__V1__Agency) (s->sender == 0? RC: s->sender < 0? 0: s->sender);
    in->sender_role = (policy_role_t) (s->role == 0? POLICY_ROLE_COORDINATOR
                                                   : s->role < 0? POLICY_ROLE_NONE: s->role);
    in->recipient = (Samhand__V1__Agency) s->recipient;
    in->consents = fixtures [s->consent].list;
    in->n_consents = fixtures [s->consent].n;
    in->purpose = s->purpose;
    in->now = NOW;
    in->text_clean = !s->dirty;
    if (s->present < 0)
        in->classes_present = 0;
    else
    if (s->present > 0)
        in->classes_present = (uint32_t) s->present;
    else
        in->classes_present = s->kind == K (CONCERN_REPORT)? CONCERN_PRESENT
                            : s->kind == K (RISK_CHANGE)? RISK_PRESENT
                            : s->kind == K (RISK_PLAN)? PLAN_PRESENT
                            : s->kind == K (CASE_DISCUSSION) || s->kind == K (CASE_STATUS)? TEXT: 0;
    in->basis = (Samhand__V1__Basis) s->basis;
    if (s->avert != AVERT_NONE) {
        in->basis = B (BASIS_AVERT);
        in->justification = "threatened with a knife yesterday; new threats today";
        in->decision_maker = "Siri Saksbehandler";
        in->statute = "";
    }
    switch (s->avert) {
        case AVERT_HPL31: in->statute = "HPL31"; break;
        case AVERT_NO_JUSTIFICATION: in->justification = ""; break;
        case AVERT_NO_DECISION_MAKER: in->decision_maker = NULL; break;
        case AVERT_BLANK: in->justification = " \t"; in->decision_maker = "  "; break;
        case AVERT_BAD_STATUTE: in->statute = "STRL999"; break;
        default: break;
    }
    if (s->named) {
        *named = s->named;
        in->consent_agencies_of_notice = named;
    }
}

static void
test_scenarios (void)
{
    for (size_t i = 0; i < N_SCENARIOS; i++) {
        const scenario_t *s = &scenarios [i];
        policy_input_t in;
        uint32_t named = 0;
        s_input (s, &in, &named);
        policy_decision_t out;
        memset (&out, 0xA5, sizeof out);        //  nothing may leak from before
        policy_decide (&in, &out);
        char name [300];
        bool ok = out.view == s->view && out.rule && strcmp (out.rule, s->rule) == 0
               && out.classes_allowed == s->classes;
        snprintf (name, sizeof name, "table: %s", s->name);
        CHECK (ok, name);
        if (!ok)
            printf ("  got view %s rule %s classes 0x%x reason '%s'; want %s %s 0x%x\n",
                    policy_view_name (out.view), out.rule? out.rule: "(null)",
                    out.classes_allowed, out.reason, policy_view_name (s->view), s->rule, s->classes);
        //  what every decision carries
        bool carries = out.rule && out.legal_basis && *out.legal_basis
                    && memchr (out.reason, 0, sizeof out.reason) && *out.reason;
        snprintf (name, sizeof name, "table: %s: rule, basis and reason", s->name);
        CHECK (carries, name);
        bool review = out.review == (strstr (s->rule, "AVERT") || strstr (s->rule, "HPL31"));
        bool consent = (out.consent_id != NULL) == (strcmp (s->rule, "FVL13A1-CONSENT") == 0);
        snprintf (name, sizeof name, "table: %s: review and consent id", s->name);
        CHECK (review && consent, name);
    }
    CHECK (N_SCENARIOS >= 40, "table has at least 40 scenarios");
}

//  ---------------------------------------------------------------------
//  Details the table does not show

static void
s_base (policy_input_t *in, Samhand__V1__Kind kind, Samhand__V1__Agency recipient)
{
    memset (in, 0, sizeof *in);
    in->kind = kind;
    in->sender_agency = RC;
    in->sender_role = POLICY_ROLE_DUTY_OPERATOR;
    in->recipient = recipient;
    in->now = NOW;
    in->classes_present = CONCERN_PRESENT;
    in->text_clean = true;
}

static void
test_reasons (void)
{
    policy_input_t in;
    policy_decision_t out;

    s_base (&in, K (CONCERN_REPORT), TE);
    in.consents = consent_all;
    in.n_consents = 1;
    policy_decide (&in, &out);
    CHECK (strcmp (out.reason, "consent c-12 in scope") == 0, "reason names the consent");
    CHECK (out.consent_id && strcmp (out.consent_id, "c-12") == 0, "consent id is the consent's");
    CHECK (strstr (out.legal_basis, "13 a nr. 1") && strstr (out.legal_basis, "§22"),
           "consent basis: fvl 13a nr 1 / hpl 22");

    s_base (&in, K (CONCERN_REPORT), TE);
    policy_decide (&in, &out);
    CHECK (strncmp (out.reason, "no consent in scope", 19) == 0, "reason: no consent in scope");
    CHECK (out.consent_id == NULL && !out.review, "pseudonymised: no consent id, no review");

    s_base (&in, K (CONCERN_REPORT), RC);
    policy_decide (&in, &out);
    CHECK (strcmp (out.reason, "same agency, need to know") == 0, "reason: same agency");

    s_base (&in, K (CONCERN_REPORT), POL);
    in.basis = B (BASIS_AVERT);
    in.justification = "threats of killing, weapon seen";
    in.decision_maker = "Siri Saksbehandler";
    policy_decide (&in, &out);
    CHECK (strstr (out.reason, "duty to avert") && strstr (out.reason, "named decision-maker recorded for review")
           && !strstr (out.reason, "Siri") && !strstr (out.reason, "threats"),
           "reason: duty to avert, decision-maker recorded, no name or justification in it");
    CHECK (out.review, "avert is marked for review");
    CHECK (strstr (out.legal_basis, "§196") != NULL, "avert basis names straffeloven 196");

    in.statute = "HPL31";
    policy_decide (&in, &out);
    CHECK (strcmp (out.rule, "HPL31-ALERT") == 0 && strstr (out.legal_basis, "§31"),
           "hpl 31 basis");

    //  whatever the decision-maker's name holds (control characters, bad
    //  bytes, 400 bytes of ø), the reason is the same clean sentence
    char expected [200];
    in.statute = NULL;
    policy_decide (&in, &out);
    snprintf (expected, sizeof expected, "%s", out.reason);
    in.decision_maker = "Siri\n\x01Saks\xff\xc3" "behandler \xc3\xa6";
    policy_decide (&in, &out);
    bool same = strcmp (out.reason, expected) == 0;
    char long_name [400];
    size_t n = 0;
    while (n + 2 < sizeof long_name) {
        long_name [n++] = (char) 0xc3;
        long_name [n++] = (char) 0xb8;          //  ø
    }
    long_name [n] = 0;
    in.decision_maker = long_name;
    policy_decide (&in, &out);
    same = same && strcmp (out.reason, expected) == 0;
    CHECK (same && !strstr (out.reason, "Saks") && !strchr (out.reason, '\n'),
           "reason does not depend on the decision-maker's name (never echoed)");
}

//  Independent of the policy: is the consent with this id in scope for the
//  crisis centre at NOW for an identified view?
static bool
s_crisis_consent (const policy_input_t *in, const char *consent_id)
{
    if (!consent_id)
        return false;
    for (size_t i = 0; i < in->n_consents; i++) {
        const policy_consent_t *c = &in->consents [i];
        if (strcmp (c->consent_id, consent_id) == 0)
            return (c->agencies & AG (CRISIS_CENTRE)) && (c->classes & ID)
                && c->valid_from <= NOW && NOW < c->valid_until
                && (c->withdrawn_at == 0 || c->withdrawn_at > NOW);
    }
    return false;
}

static void
test_withheld_invariants (void)
{
    //  every combination of kind, sender, recipient, role and consent
    //  fixture: withheld keeps nothing, pseudonymised no identifiers,
    //  crisis centre only identified with a consent in scope.
    bool ok_withheld = true, ok_pseudo = true, ok_crisis = true, ok_avert = true;
    bool ok_rule = true, ok_recipient = true;
    for (int kind = 0; kind <= 8; kind++)
    for (int sender = 0; sender <= 5; sender++)
    for (int recipient = 0; recipient <= 5; recipient++)
    for (int role = 0; role <= 5; role++)
    for (int f = 0; f < (int) (sizeof fixtures / sizeof fixtures [0]); f++)
    for (int avert = 0; avert < 2; avert++) {
        policy_input_t in;
        s_base (&in, (Samhand__V1__Kind) kind, (Samhand__V1__Agency) recipient);
        in.sender_agency = (Samhand__V1__Agency) sender;
        in.sender_role = (policy_role_t) role;
        in.consents = fixtures [f].list;
        in.n_consents = fixtures [f].n;
        in.classes_present = POLICY_CLASSES_ALL;
        if (avert) {
            in.basis = B (BASIS_AVERT);
            in.justification = "imminent danger";
            in.decision_maker = "Siri Saksbehandler";
        }
        policy_decision_t out;
        policy_decide (&in, &out);
        if (!out.rule || !out.legal_basis)
            ok_rule = false;
        if (out.view == V (WITHHELD) && out.classes_allowed)
            ok_withheld = false;
        if (out.view == V (PSEUDONYMISED) && ((out.classes_allowed & POLICY_CLASSES_NOT_PSEUDONYMOUS)
            || (!in.text_clean && (out.classes_allowed & POLICY_CLASS (FREE_TEXT)))))
            ok_pseudo = false;
        if (recipient == CC && out.view == V (IDENTIFIED)
        &&  !s_crisis_consent (&in, out.consent_id))
            ok_crisis = false;
        if (out.review && recipient != POL)
            ok_avert = false;
        //  The redactor keeps a plan's steps for decision.recipient alone.
        if ((int) out.recipient != (recipient >= 1 && recipient <= 4? recipient: 0))
            ok_recipient = false;
    }
    CHECK (ok_recipient, "sweep: the decision names the agency decided for, and only a known one");
    CHECK (ok_rule, "sweep: every decision names a rule and basis");
    CHECK (ok_withheld, "sweep: withheld keeps no class");
    CHECK (ok_pseudo, "sweep: pseudonymised never keeps identifiers, risk factors, health, a plan's"
                      " contact points or weekly plan, or unscanned free text");
    CHECK (ok_crisis, "sweep: crisis centre identified only with a consent in scope");
    CHECK (ok_avert, "sweep: duty to avert opens the police RISK team only");
}

static void
test_null_and_garbage (void)
{
    policy_decision_t out;
    memset (&out, 0x5a, sizeof out);
    policy_decide (NULL, &out);
    CHECK (out.view == V (WITHHELD) && strcmp (out.rule, "DEFAULT-DENY") == 0
           && out.classes_allowed == 0 && !out.review && !out.consent_id,
           "NULL input: default deny");
    policy_decide (NULL, NULL);         //  must simply return

    policy_input_t in;
    s_base (&in, K (CONCERN_REPORT), TE);
    in.consents = NULL;
    in.n_consents = 5;                      //  a count without a list
    policy_decide (&in, &out);
    CHECK (out.view == V (PSEUDONYMISED), "consent count without a list: no consent");
}

static void
test_check_claim (void)
{
    char err [200];
    int rc;
    rc = policy_check_claim (K (CONCERN_REPORT), B (BASIS_UNSPECIFIED), NULL, NULL, NULL, err, sizeof err);
    CHECK (rc == 0, "claim: none is fine");
    rc = policy_check_claim (K (RISK_CHANGE), B (BASIS_CONSENT), "", "", "", err, sizeof err);
    CHECK (rc == 0, "claim: consent is fine");
    rc = policy_check_claim (K (CONCERN_REPORT), B (BASIS_AVERT), "weapon, threats", "Siri Saksbehandler",
                             "", err, sizeof err);
    CHECK (rc == 0, "claim: complete avert on a concern");
    rc = policy_check_claim (K (RISK_CHANGE), B (BASIS_AVERT), "weapon, threats", "Siri Saksbehandler",
                             "HPL31", err, sizeof err);
    CHECK (rc == 0, "claim: complete hpl 31 alert on a risk change");
    err [0] = 0;
    rc = policy_check_claim (K (CONCERN_REPORT), B (BASIS_AVERT), "", "Siri Saksbehandler", "",
                             err, sizeof err);
    CHECK (rc == SAMHAND__V1__ERROR_CODE__BASIS_INCOMPLETE && strstr (err, "justification"),
           "claim: avert without justification");
    rc = policy_check_claim (K (CONCERN_REPORT), B (BASIS_AVERT), NULL, "Siri Saksbehandler", "",
                             err, sizeof err);
    CHECK (rc == SAMHAND__V1__ERROR_CODE__BASIS_INCOMPLETE, "claim: avert with NULL justification");
    rc = policy_check_claim (K (RISK_CHANGE), B (BASIS_AVERT), "threats", " \n", "", err, sizeof err);
    CHECK (rc == SAMHAND__V1__ERROR_CODE__BASIS_INCOMPLETE && strstr (err, "decision-maker"),
           "claim: avert with blank decision-maker");
    rc = policy_check_claim (K (RISK_CHANGE), B (BASIS_AVERT), "threats", NULL, "", err, sizeof err);
    CHECK (rc == SAMHAND__V1__ERROR_CODE__BASIS_INCOMPLETE, "claim: avert without decision-maker");
    rc = policy_check_claim (K (CASE_DISCUSSION), B (BASIS_AVERT), "threats", "Siri Saksbehandler", "",
                             err, sizeof err);
    CHECK (rc == SAMHAND__V1__ERROR_CODE__INVALID_FIELD, "claim: avert on a discussion");
    rc = policy_check_claim (K (CASE_STATUS), B (BASIS_AVERT), "threats", "Siri Saksbehandler", "",
                             err, sizeof err);
    CHECK (rc == SAMHAND__V1__ERROR_CODE__INVALID_FIELD, "claim: avert on a case status");
    rc = policy_check_claim (K (RISK_PLAN), B (BASIS_AVERT), "threats", "Siri Saksbehandler", "",
                             err, sizeof err);
    CHECK (rc == SAMHAND__V1__ERROR_CODE__INVALID_FIELD, "claim: avert on a risk plan");
    rc = policy_check_claim (K (RISK_PLAN), B (BASIS_UNSPECIFIED), NULL, NULL, NULL, err, sizeof err);
    CHECK (rc == 0, "claim: a risk plan with no claim (consent or the table decides)");
    rc = policy_check_claim (K (CONCERN_REPORT), B (BASIS_AVERT), "threats", "Siri Saksbehandler",
                             "FVL13B", err, sizeof err);
    CHECK (rc == SAMHAND__V1__ERROR_CODE__INVALID_FIELD && strstr (err, "statute"),
           "claim: unknown statute");
    rc = policy_check_claim (K (CONCERN_REPORT), B (BASIS_ANONYMISED), NULL, NULL, NULL, err, sizeof err);
    CHECK (rc == SAMHAND__V1__ERROR_CODE__INVALID_FIELD, "claim: a concern is never anonymised");
    rc = policy_check_claim (K (CASE_DISCUSSION), B (BASIS_ANONYMISED), NULL, NULL, NULL, err, sizeof err);
    CHECK (rc == 0, "claim: a discussion is anonymised");
    rc = policy_check_claim (K (CONCERN_REPORT), (Samhand__V1__Basis) 42, NULL, NULL, NULL, NULL, 0);
    CHECK (rc == SAMHAND__V1__ERROR_CODE__INVALID_FIELD, "claim: unknown basis, NULL err");
}

static void
test_names_and_table (void)
{
    CHECK (strcmp (policy_view_name (V (IDENTIFIED)), "identified") == 0
        && strcmp (policy_view_name (V (PSEUDONYMISED)), "pseudonymised") == 0
        && strcmp (policy_view_name (V (ANONYMISED)), "anonymised") == 0
        && strcmp (policy_view_name (V (WITHHELD)), "withheld") == 0
        && strcmp (policy_view_name ((Samhand__V1__View) 99), "unspecified") == 0,
           "view names");
    CHECK (strcmp (policy_default_purpose (K (CONCERN_REPORT)), "follow_up") == 0
        && strcmp (policy_default_purpose (K (RISK_CHANGE)), "risk_management") == 0
        && strcmp (policy_default_purpose (K (CASE_STATUS)), "follow_up") == 0
        && policy_default_purpose (K (CASE_DISCUSSION)) == NULL,
           "default purposes");

    //  every cell is there and ends in a fallback
    bool complete = true;
    for (int kind = K (CONCERN_REPORT); kind <= K (ALERT); kind++)
        for (int agency = RC; agency <= CC; agency++) {
            const policy_cell_t *cell = policy_rules_cell ((Samhand__V1__Kind) kind,
                                                           (Samhand__V1__Agency) agency);
            if (!cell) {
                complete = false;
                continue;
            }
            const policy_step_t *step = cell->steps;
            while (step->when != POLICY_WHEN_END && step->when != POLICY_WHEN_ALWAYS)
                step++;
            if (step->when != POLICY_WHEN_ALWAYS || !step->rule)
                complete = false;
        }
    CHECK (complete, "rule table: 24 cells, each ending in a fallback");
    CHECK (policy_rules_cell (0, RC) == NULL && policy_rules_cell (K (ALERT), 0) == NULL,
           "rule table: no cell for unspecified values");

    //  the rule ids the design names are all there
    const char *wanted [] = { "SAME-AGENCY", "FVL13A1-CONSENT", "FVL13A2-ANON", "STRL196-AVERT",
                              "HPL31-ALERT", "FVL13-PSEUDONYMISED", "KRISL5-CONFIDENTIAL",
                              "DEFAULT-DENY" };
    bool all = true;
    for (size_t w = 0; w < sizeof wanted / sizeof wanted [0]; w++) {
        bool found = false;
        for (size_t i = 0; policy_rules_at (i); i++)
            found = found || strcmp (policy_rules_at (i)->id, wanted [w]) == 0;
        all = all && found;
    }
    CHECK (all, "rule catalogue has the design's rule ids");
    CHECK (policy_rules_statute (NULL) && policy_rules_statute ("")
        && strcmp (policy_rules_statute ("")->rule->id, "STRL196-AVERT") == 0
        && policy_rules_statute ("strl196") == NULL,
           "statutes: STRL196 by default, exact names only");
}

//  What the crisis centre was given is hidden from senders of other
//  agencies, for every kind but a case discussion (policy.h).
static void
test_hidden_from_sender (void)
{
    int kinds [] = { SAMHAND__V1__KIND__CONCERN_REPORT, SAMHAND__V1__KIND__RISK_CHANGE,
                     SAMHAND__V1__KIND__CASE_STATUS, SAMHAND__V1__KIND__RISK_PLAN,
                     SAMHAND__V1__KIND__CONSENT_NOTICE, SAMHAND__V1__KIND__ALERT };
    bool ok = true;
    for (size_t k = 0; k < sizeof kinds / sizeof kinds [0]; k++)
        for (int sender = 0; sender <= 4; sender++)
            for (int recipient = 0; recipient <= 4; recipient++) {
                bool want = recipient == SAMHAND__V1__AGENCY__CRISIS_CENTRE
                         && sender != SAMHAND__V1__AGENCY__CRISIS_CENTRE;
                ok = ok && policy_hidden_from_sender (kinds [k], sender, recipient) == want;
            }
    CHECK (ok, "hidden from sender: the crisis centre's column, to every other sender (admin too)");
    ok = true;
    for (int sender = 0; sender <= 4; sender++)
        ok = ok && !policy_hidden_from_sender (SAMHAND__V1__KIND__CASE_DISCUSSION, sender,
                                               SAMHAND__V1__AGENCY__CRISIS_CENTRE);
    CHECK (ok, "hidden from sender: not for a case discussion");
}

int
main (void)
{
    test_scenarios ();
    test_reasons ();
    test_withheld_invariants ();
    test_null_and_garbage ();
    test_check_claim ();
    test_names_and_table ();
    test_hidden_from_sender ();
    //  Purposes are matched without regard to case and separators.
    {
        static const char *const written [] = { "Risk Management" };
        static const char *const other [] = { "risk managements" };
        policy_consent_t c = { AG (POLICE_RISK), USUAL_CLASSES, written, 1, NOW - DAY, NOW + DAY, 0, "c-90" };
        policy_input_t in = { .kind = K (RISK_CHANGE), .classes_present = USUAL_CLASSES,
                              .sender_agency = A (RESOURCE_CENTRE), .sender_role = POLICY_ROLE_COORDINATOR,
                              .recipient = A (POLICE_RISK), .consents = &c, .n_consents = 1,
                              .now = NOW, .text_clean = true };
        policy_decision_t out;
        policy_decide (&in, &out);
        CHECK (out.view == V (IDENTIFIED), "purpose 'Risk Management' covers risk_management");
        in.purpose = "risk-management";
        policy_decide (&in, &out);
        CHECK (out.view == V (IDENTIFIED), "purpose 'risk-management' from the sender matches too");
        c.purposes = other;
        policy_decide (&in, &out);
        CHECK (out.view != V (IDENTIFIED), "a different word is a different purpose");
    }
    return TEST_DONE ();
}
