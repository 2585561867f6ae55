/*  policy_rules.c — the policy table of DESIGN.md §2, as data.

    Each cell (message kind x recipient agency) lists the steps tried in
    order; the first whose condition holds decides the view. Nothing here
    is code that decides: policy.c walks these lists. When a row of the
    design table changes, it changes here and in docs/POLICY.md.

    Summary of the law, not legal advice.                                  */
#include "policy.h"

#include <string.h>

#define IDENTIFIED    SAMHAND__V1__VIEW__IDENTIFIED
#define PSEUDONYMISED SAMHAND__V1__VIEW__PSEUDONYMISED
#define ANONYMISED    SAMHAND__V1__VIEW__ANONYMISED
#define WITHHELD      SAMHAND__V1__VIEW__WITHHELD

#define C_IDENTITY    POLICY_CLASS (IDENTITY)
#define C_CONTACT     POLICY_CLASS (CONTACT)
#define C_LEVEL       POLICY_CLASS (RISK_LEVEL_CLASS)
#define C_TEXT        POLICY_CLASS (FREE_TEXT)
#define C_STEPS       POLICY_CLASS (PLAN_STEPS)
#define C_ALL         POLICY_CLASSES_ALL

#define ROLE(r)       (1u << POLICY_ROLE_ ## r)
//  Case workers have need to know within their agency; an admin does not.
#define ROLES_CASEWORK (ROLE (DUTY_OPERATOR) | ROLE (COORDINATOR) | ROLE (TEAM))
#define ROLES_ANY      (ROLES_CASEWORK | ROLE (ADMIN))

//  ---------------------------------------------------------------------
//  Rules

static const policy_rule_t
    r_same_agency = { "SAME-AGENCY",
        "forvaltningsloven §13 b nr. 3 / helsepersonelloven §25: need to know within the agency",
        "identified within the sender's own agency (need to know)" },
    r_consent = { "FVL13A1-CONSENT",
        "forvaltningsloven §13 a nr. 1 / helsepersonelloven §22",
        "identified, limited to the classes of a consent in scope" },
    r_anon = { "FVL13A2-ANON",
        "forvaltningsloven §13 a nr. 2 / helsepersonelloven §23 nr. 2",
        "anonymised text and question of a case discussion that passed the identifier check" },
    r_not_anon = { "FVL13A2-NOT-ANONYMOUS",
        "forvaltningsloven §13 / helsepersonelloven §21: confidentiality (not anonymous)",
        "withheld: the discussion failed the identifier check" },
    r_strl196 = { "STRL196-AVERT",
        "straffeloven §196 / forvaltningsloven §13 b: duty to avert",
        "identity and contact (plus risk level for a risk change) to the police RISK team, for review" },
    r_hpl31 = { "HPL31-ALERT",
        "helsepersonelloven §31 / straffeloven §196: duty to alert the police",
        "identity and contact (plus risk level for a risk change) to the police RISK team, for review" },
    r_pseudonymised = { "FVL13-PSEUDONYMISED",
        "forvaltningsloven §13 a nr. 2 / §13 b nr. 5: identifying details left out",
        "pseudonymised: the recipient's case reference, no identity, no free text" },
    r_risk_pseudonymised = { "FVL13-RISK-PSEUDONYMISED",
        "forvaltningsloven §13 a nr. 2 / §13 b nr. 5: identifying details left out",
        "pseudonymised: risk level and measures under the recipient's case reference" },
    r_confidential = { "FVL13-CONFIDENTIAL",
        "forvaltningsloven §13 / helsepersonelloven §21 / politiregisterloven §23: confidentiality",
        "withheld from the crisis centre without a consent in scope" },
    r_krisl5 = { "KRISL5-CONFIDENTIAL",
        "krisesenterlova §5: even contact with the crisis centre is confidential",
        "withheld: the crisis centre's own messages leave it only with a consent in scope" },
    r_plan_pseudonymised = { "FVL13-PLAN-PSEUDONYMISED",
        "forvaltningsloven §13 a nr. 2 / §13 b nr. 5: identifying details left out; a step the"
        " recipient is responsible for is shared to carry out the plan",
        "pseudonymised: level, measures and the recipient's own steps under its case reference" },
    r_notice = { "CONSENT-NOTICE",
        "forvaltningsloven §13 a nr. 1",
        "a consent notice, pseudonymised, to the agencies the consent names" };

const policy_rule_t policy_rule_default_deny = { "DEFAULT-DENY",
    "forvaltningsloven §13 / helsepersonelloven §21 / politiregisterloven §23 / krisesenterlova §5",
    "withheld: no rule allows it" };

static const policy_rule_t *rules_all [] = {
    &r_same_agency, &r_consent, &r_anon, &r_not_anon, &r_strl196, &r_hpl31,
    &r_pseudonymised, &r_risk_pseudonymised, &r_confidential, &r_krisl5,
    &r_notice, &r_plan_pseudonymised, &policy_rule_default_deny
};

static const policy_statute_t statutes [] = {
    { "STRL196", &r_strl196, "duty to avert (straffeloven §196)" },
    { "HPL31", &r_hpl31, "duty to alert the police (helsepersonelloven §31)" }
};

//  ---------------------------------------------------------------------
//  Steps shared by several cells

#define SAME_AGENCY_NEED_TO_KNOW \
    { POLICY_WHEN_SAME_AGENCY, &r_same_agency, IDENTIFIED, C_ALL, ROLES_CASEWORK, \
      "same agency, need to know" }
#define CONSENT \
    { POLICY_WHEN_CONSENT, &r_consent, IDENTIFIED, C_ALL, 0, NULL }
#define CRISIS_SENDER \
    { POLICY_WHEN_CRISIS_SENDER, &r_krisl5, WITHHELD, 0, 0, \
      "no consent in scope: contact with the crisis centre is confidential" }
#define AVERT(classes) \
    { POLICY_WHEN_AVERT, NULL, IDENTIFIED, (classes), 0, NULL }
#define CASE_REF_ONLY \
    { POLICY_WHEN_ALWAYS, &r_pseudonymised, PSEUDONYMISED, 0, 0, \
      "no consent in scope: case reference only, no free text" }
#define LEVEL_AND_MEASURES \
    { POLICY_WHEN_ALWAYS, &r_risk_pseudonymised, PSEUDONYMISED, C_LEVEL, 0, \
      "no consent in scope: risk level and measures only" }
#define PLAN_MINIMUM \
    { POLICY_WHEN_ALWAYS, &r_plan_pseudonymised, PSEUDONYMISED, C_LEVEL | C_STEPS, 0, \
      "no consent in scope: level, measures and this agency's own steps only" }
#define WITHHOLD_NO_CONSENT \
    { POLICY_WHEN_ALWAYS, &r_confidential, WITHHELD, 0, 0, "no consent in scope" }
#define END { POLICY_WHEN_END, NULL, 0, 0, 0, NULL }

//  ---------------------------------------------------------------------
//  Cells

//  Concern report
static const policy_step_t concern_to_resource_centre [] = {
    SAME_AGENCY_NEED_TO_KNOW, CONSENT, CRISIS_SENDER, CASE_REF_ONLY, END
};
static const policy_step_t concern_to_tryggest [] = {
    CONSENT, CRISIS_SENDER, CASE_REF_ONLY, END
};
//  The duty to avert comes before the crisis centre's own duty:
//  straffeloven §196 applies "uten hensyn til taushetsplikt", so
//  krisesenterlova §5 does not bar a disclosure to the police under it.
static const policy_step_t concern_to_police [] = {
    CONSENT, AVERT (C_IDENTITY | C_CONTACT), CRISIS_SENDER, CASE_REF_ONLY, END
};
static const policy_step_t concern_to_crisis_centre [] = {
    CONSENT, WITHHOLD_NO_CONSENT, END
};

//  Risk change (SARA-V3). Within the resource centre on need to know, as
//  a concern is: the duty phone answers at night and must know the
//  current risk (DESIGN.md §2, corrected).
static const policy_step_t risk_to_resource_centre [] = {
    SAME_AGENCY_NEED_TO_KNOW, CONSENT, CRISIS_SENDER, LEVEL_AND_MEASURES, END
};
static const policy_step_t risk_to_tryggest [] = {
    CONSENT, CRISIS_SENDER, LEVEL_AND_MEASURES, END
};
static const policy_step_t risk_to_police [] = {
    CONSENT, AVERT (C_IDENTITY | C_CONTACT | C_LEVEL), CRISIS_SENDER, LEVEL_AND_MEASURES, END
};
static const policy_step_t risk_to_crisis_centre [] = {
    CONSENT, WITHHOLD_NO_CONSENT, END
};

//  Case status: the primary contact's report to the coordinator. Within
//  the agency on need to know; elsewhere with consent, or as the case
//  reference and a status text that passed the identifier check.
static const policy_step_t status_to_agency [] = {
    SAME_AGENCY_NEED_TO_KNOW, CONSENT, CRISIS_SENDER,
    { POLICY_WHEN_TEXT_CLEAN, &r_pseudonymised, PSEUDONYMISED, C_TEXT, 0,
      "no consent in scope: case reference and a status text that passed the identifier check" },
    CASE_REF_ONLY, END
};
static const policy_step_t status_to_crisis_centre [] = {
    CONSENT, WITHHOLD_NO_CONSENT, END
};

//  Risk management plan: kept by the resource centre's violence
//  coordinator. Within the resource centre on need to know (the duty
//  phone answers at night and must see the current plan); elsewhere with
//  consent, limited to its classes; without consent the pseudonymised
//  minimum: level, measures, next evaluation, and only the steps the
//  recipient itself is responsible for that passed the identifier check
//  (the redactor keeps no other step). The crisis centre gets nothing
//  without consent, and the crisis centre's own edits leave it only with
//  consent (krisesenterlova §5). No duty-to-avert claim: a plan is not a
//  disclosure to avert a crime (policy_check_claim refuses it).
static const policy_step_t plan_to_resource_centre [] = {
    SAME_AGENCY_NEED_TO_KNOW, CONSENT, CRISIS_SENDER, PLAN_MINIMUM, END
};
static const policy_step_t plan_to_agency [] = {
    CONSENT, CRISIS_SENDER, PLAN_MINIMUM, END
};
static const policy_step_t plan_to_crisis_centre [] = {
    CONSENT, WITHHOLD_NO_CONSENT, END
};

//  Anonymised case discussion: the same for every agency
static const policy_step_t discussion_to_any [] = {
    { POLICY_WHEN_TEXT_CLEAN, &r_anon, ANONYMISED, C_TEXT, 0, "passed the identifier check" },
    { POLICY_WHEN_ALWAYS, &r_not_anon, WITHHELD, 0, 0, "the text did not pass the identifier check" },
    END
};

//  Consent notice: only to the agencies the consent names
static const policy_step_t notice_to_any [] = {
    { POLICY_WHEN_NAMED_IN_CONSENT, &r_notice, PSEUDONYMISED, 0, 0, "agency named in the consent" },
    { POLICY_WHEN_ALWAYS, &policy_rule_default_deny, WITHHELD, 0, 0, "agency not named in the consent" },
    END
};

//  Alert (escalation, reminder, non-delivery): the sender's own agency only
static const policy_step_t alert_to_any [] = {
    { POLICY_WHEN_SAME_AGENCY, &r_same_agency, PSEUDONYMISED, 0, ROLES_ANY, "alert to the sender's own agency" },
    { POLICY_WHEN_ALWAYS, &policy_rule_default_deny, WITHHELD, 0, 0, "alerts go to the sender's own agency only" },
    END
};

#define K(k) SAMHAND__V1__KIND__ ## k
#define A(a) SAMHAND__V1__AGENCY__ ## a

static const policy_cell_t cells [] = {
    { K (CONCERN_REPORT),  A (RESOURCE_CENTRE), concern_to_resource_centre },
    { K (CONCERN_REPORT),  A (TRYGGEST),        concern_to_tryggest },
    { K (CONCERN_REPORT),  A (POLICE_RISK),     concern_to_police },
    { K (CONCERN_REPORT),  A (CRISIS_CENTRE),   concern_to_crisis_centre },

    { K (RISK_CHANGE),     A (RESOURCE_CENTRE), risk_to_resource_centre },
    { K (RISK_CHANGE),     A (TRYGGEST),        risk_to_tryggest },
    { K (RISK_CHANGE),     A (POLICE_RISK),     risk_to_police },
    { K (RISK_CHANGE),     A (CRISIS_CENTRE),   risk_to_crisis_centre },

    { K (CASE_DISCUSSION), A (RESOURCE_CENTRE), discussion_to_any },
    { K (CASE_DISCUSSION), A (TRYGGEST),        discussion_to_any },
    { K (CASE_DISCUSSION), A (POLICE_RISK),     discussion_to_any },
    { K (CASE_DISCUSSION), A (CRISIS_CENTRE),   discussion_to_any },

    { K (CASE_STATUS),     A (RESOURCE_CENTRE), status_to_agency },
    { K (CASE_STATUS),     A (TRYGGEST),        status_to_agency },
    { K (CASE_STATUS),     A (POLICE_RISK),     status_to_agency },
    { K (CASE_STATUS),     A (CRISIS_CENTRE),   status_to_crisis_centre },

    { K (CONSENT_NOTICE),  A (RESOURCE_CENTRE), notice_to_any },
    { K (CONSENT_NOTICE),  A (TRYGGEST),        notice_to_any },
    { K (CONSENT_NOTICE),  A (POLICE_RISK),     notice_to_any },
    { K (CONSENT_NOTICE),  A (CRISIS_CENTRE),   notice_to_any },

    { K (ALERT),           A (RESOURCE_CENTRE), alert_to_any },
    { K (ALERT),           A (TRYGGEST),        alert_to_any },
    { K (ALERT),           A (POLICE_RISK),     alert_to_any },
    { K (ALERT),           A (CRISIS_CENTRE),   alert_to_any },

    { K (RISK_PLAN),       A (RESOURCE_CENTRE), plan_to_resource_centre },
    { K (RISK_PLAN),       A (TRYGGEST),        plan_to_agency },
    { K (RISK_PLAN),       A (POLICE_RISK),     plan_to_agency },
    { K (RISK_PLAN),       A (CRISIS_CENTRE),   plan_to_crisis_centre }
};

//  The purpose a consent must name when a submit names none.
static const struct {
    Samhand__V1__Kind kind;
    const char *purpose;
} default_purposes [] = {
    { K (CONCERN_REPORT), "follow_up" },
    { K (RISK_CHANGE),    "risk_management" },
    { K (CASE_STATUS),    "follow_up" },
    { K (RISK_PLAN),      "risk_management" }
};

#define COUNT(a) (sizeof (a) / sizeof ((a) [0]))

//  ---------------------------------------------------------------------
//  Lookups

const policy_cell_t *
policy_rules_cell (Samhand__V1__Kind kind, Samhand__V1__Agency recipient)
{
    for (size_t i = 0; i < COUNT (cells); i++)
        if (cells [i].kind == kind && cells [i].recipient == recipient)
            return &cells [i];
    return NULL;
}

const policy_statute_t *
policy_rules_statute (const char *statute)
{
    if (!statute || !*statute)
        statute = "STRL196";
    for (size_t i = 0; i < COUNT (statutes); i++)
        if (strcmp (statutes [i].statute, statute) == 0)
            return &statutes [i];
    return NULL;
}

const policy_rule_t *
policy_rules_at (size_t index)
{
    return index < COUNT (rules_all)? rules_all [index]: NULL;
}

const char *
policy_default_purpose (Samhand__V1__Kind kind)
{
    for (size_t i = 0; i < COUNT (default_purposes); i++)
        if (default_purposes [i].kind == kind)
            return default_purposes [i].purpose;
    return NULL;
}
