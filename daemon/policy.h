/*  policy.h — who may see what of a message (pure).

    policy_decide answers one question: for this message, from this sender,
    to this recipient agency, under the consents on record for the person,
    which view may the recipient have (identified, pseudonymised,
    anonymised, withheld), which data classes does it keep, and on which
    rule and legal basis. It denies unless a row of the rule table allows.

    The table itself is data, in policy_rules.c; docs/POLICY.md describes
    it rule by rule. policy.c only walks it.

    Ownership: nothing here allocates or keeps state. policy_decide reads
    its input (and the consents it points to) during the call only. The
    rule, legal_basis and consent_id pointers in a decision are static
    strings or point into the caller's consents, and live as long as they
    do. No I/O, no zmq, no sqlite.                                          */
#ifndef SAMHAND_POLICY_H
#define SAMHAND_POLICY_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "samhand.pb-c.h"

typedef enum {
    POLICY_ROLE_NONE = 0,
    POLICY_ROLE_DUTY_OPERATOR,
    POLICY_ROLE_COORDINATOR,
    POLICY_ROLE_TEAM,
    POLICY_ROLE_ADMIN
} policy_role_t;

//  Data class bits, as in DataClass (1u << SAMHAND__V1__DATA_CLASS__...).
#define POLICY_CLASS(c)       (1u << (SAMHAND__V1__DATA_CLASS__ ## c))
#define POLICY_CLASSES_ALL    (POLICY_CLASS (IDENTITY) | POLICY_CLASS (CONTACT) \
                             | POLICY_CLASS (ADDRESS) | POLICY_CLASS (RISK_LEVEL_CLASS) \
                             | POLICY_CLASS (RISK_FACTORS) | POLICY_CLASS (HEALTH) \
                             | POLICY_CLASS (FREE_TEXT) | POLICY_CLASS (PLAN_STEPS) \
                             | POLICY_CLASS (CONTACT_POINTS) | POLICY_CLASS (FOLLOW_UP))
//  What a pseudonymised view never carries: direct identifiers and free
//  text (which nobody has scanned for identifiers).
//  Direct identifiers: never in a pseudonymised view. Free text may be,
//  but only when it passed the identifier scanner.
#define POLICY_CLASSES_DIRECT (POLICY_CLASS (IDENTITY) | POLICY_CLASS (CONTACT) \
                             | POLICY_CLASS (ADDRESS))
//  Never in a pseudonymised view: direct identifiers, and risk factors
//  (free text written per person that nobody scans); of a risk plan, the
//  contact points (names and phones of her network) and the weekly
//  follow-up (where she is, when). A plan's steps may be, but only the
//  recipient's own and only when they passed the scanner (redact.h).
#define POLICY_CLASSES_NOT_PSEUDONYMOUS (POLICY_CLASSES_DIRECT | POLICY_CLASS (RISK_FACTORS) \
                                       | POLICY_CLASS (HEALTH) | POLICY_CLASS (CONTACT_POINTS) \
                                       | POLICY_CLASS (FOLLOW_UP))
#define POLICY_CLASSES_IDENTIFYING (POLICY_CLASS (IDENTITY) | POLICY_CLASS (CONTACT) \
                                  | POLICY_CLASS (ADDRESS) | POLICY_CLASS (FREE_TEXT))

//  One consent record for the message's subject.
typedef struct {
    uint32_t agencies;                  //  bitmask (1u << Samhand__V1__Agency)
    uint32_t classes;                   //  bitmask (1u << Samhand__V1__DataClass)
    const char *const *purposes;
    size_t n_purposes;
    int64_t valid_from, valid_until;    //  unix seconds, valid_from <= now < valid_until
    int64_t withdrawn_at;               //  0 = not withdrawn
    const char *consent_id;
} policy_consent_t;

typedef struct {
    Samhand__V1__Kind kind;
    uint32_t classes_present;           //  redact_classes_present of the message
    Samhand__V1__Agency sender_agency;  //  for ALERT: the agency the alert is
                                        //  about; for CONSENT_NOTICE: the agency
                                        //  that recorded the consent
    policy_role_t sender_role;
    Samhand__V1__Agency recipient;      //  the recipient agency being decided
    //  Every consent on record for the subject, in any state: the policy
    //  decides which is in scope. NULL / 0 when there are none.
    const policy_consent_t *consents;
    size_t n_consents;
    const char *purpose;                //  "" or NULL: the kind's default purpose
    int64_t now;                        //  unix seconds
    Samhand__V1__Basis basis;           //  claimed legal basis
    const char *justification;          //  for BASIS_AVERT
    const char *decision_maker;         //  for BASIS_AVERT
    const char *statute;                //  "STRL196" (default when empty) or "HPL31"
    bool text_clean;                    //  free text passed the identifier scanner
    const uint32_t *consent_agencies_of_notice;   //  CONSENT_NOTICE: agencies
                                        //  named in the consent (bitmask), else NULL
} policy_input_t;

typedef struct {
    Samhand__V1__View view;
    const char *rule;                   //  static, e.g. "FVL13A1-CONSENT"; never NULL
    const char *legal_basis;            //  static; never NULL
    char reason [200];                  //  for the sender's duty operator; UTF-8
    uint32_t classes_allowed;           //  classes the redactor keeps; 0 when withheld
    bool review;                        //  duty-to-avert disclosure: audit for review
    const char *consent_id;             //  the consent that allowed it, or NULL
    Samhand__V1__Agency recipient;      //  the agency decided for (a risk plan's
                                        //  pseudonymised view keeps its own steps)
} policy_decision_t;

//  Decides one recipient's view. Never fails: any input it does not
//  understand (unknown kind, agency, role, basis or data class; NULL in)
//  gives WITHHELD under DEFAULT-DENY. out must not be NULL.
void policy_decide (const policy_input_t *in, policy_decision_t *out);

//  Checks a submit's legal claim before anything is decided. Returns 0, or
//  an ErrorCode with a sentence in err (err may be NULL):
//  BASIS_INCOMPLETE  BASIS_AVERT without a justification or without a
//                    named decision-maker (blank counts as missing);
//  INVALID_FIELD     BASIS_AVERT for a kind other than a concern report or
//                    a risk change, an unknown statute, BASIS_ANONYMISED
//                    for anything but a case discussion, an unknown basis.
int policy_check_claim (Samhand__V1__Kind kind, Samhand__V1__Basis basis,
                        const char *justification, const char *decision_maker,
                        const char *statute, char *err, size_t errlen);

//  "identified", "pseudonymised", "anonymised", "withheld"; "unspecified"
//  for anything else.
const char *policy_view_name (Samhand__V1__View view);

//  Whether what an agency's nodes were given of a message of KIND is
//  hidden from its sender: the crisis centre's, from a sender of any
//  other agency (krisesenterlova §5), for every kind but an anonymised
//  case discussion (which goes to it whatever consents there are). Whether the crisis centre got a message rests on
//  a consent naming it, which the sender is not named in: telling the
//  sender told it that the person has been in contact with the crisis
//  centre. The sender's SubmitResult then carries POLICY_HIDDEN_* for the
//  column, its status reports leave the agency's nodes out, and it gets
//  no non-delivery or dead-letter report about them. An admin asking for
//  the status sees everything.
bool policy_hidden_from_sender (int kind, int sender_agency, int recipient_agency);
#define POLICY_HIDDEN_RULE   "KRISL5-NOT-SHOWN"
#define POLICY_HIDDEN_BASIS  "krisesenterlova § 5"
#define POLICY_HIDDEN_REASON "what the crisis centre was given is not shown to other agencies"

//  The purpose a consent must name when a submit names none: "follow_up"
//  for concern reports and case status, "risk_management" for risk
//  changes and risk plans; NULL for kinds that are never shared on consent.
const char *policy_default_purpose (Samhand__V1__Kind kind);

//  ---------------------------------------------------------------------
//  The rule table (policy_rules.c). A cell (kind x recipient agency) is a
//  list of steps tried in order; the first step whose condition holds
//  decides. Every cell ends with a POLICY_WHEN_ALWAYS step.

typedef enum {
    POLICY_WHEN_END = 0,            //  end of a list (never reached in a valid cell)
    POLICY_WHEN_SAME_AGENCY,        //  sender's agency is the recipient, sender role in roles
    POLICY_WHEN_CONSENT,            //  a consent in scope covering IDENTITY
    POLICY_WHEN_CRISIS_SENDER,      //  sender is the crisis centre, recipient another agency
    POLICY_WHEN_AVERT,              //  a complete duty-to-avert claim
    POLICY_WHEN_TEXT_CLEAN,         //  the text passed the identifier scanner
    POLICY_WHEN_NAMED_IN_CONSENT,   //  recipient named in the consent of a notice
    POLICY_WHEN_ALWAYS              //  the cell's fallback
} policy_when_t;

typedef struct {
    const char *id;                 //  "FVL13A1-CONSENT"
    const char *legal_basis;
    const char *summary;            //  what the rule allows, one line
} policy_rule_t;

typedef struct {
    policy_when_t when;
    const policy_rule_t *rule;      //  AVERT: taken from the statute instead
    Samhand__V1__View view;
    uint32_t classes;               //  kept of what is present; CONSENT: also
                                    //  limited to the consent's classes
    uint32_t roles;                 //  SAME_AGENCY: bitmask of sender roles
    const char *reason;             //  CONSENT and AVERT write their own
} policy_step_t;

typedef struct {
    Samhand__V1__Kind kind;
    Samhand__V1__Agency recipient;
    const policy_step_t *steps;
} policy_cell_t;

typedef struct {
    const char *statute;            //  as claimed: "STRL196", "HPL31"
    const policy_rule_t *rule;
    const char *duty;               //  for the reason: "duty to avert"
} policy_statute_t;

//  The cell for a kind and recipient, or NULL.
const policy_cell_t *policy_rules_cell (Samhand__V1__Kind kind, Samhand__V1__Agency recipient);

//  The statute entry for a claimed statute ("" or NULL: STRL196), or NULL.
const policy_statute_t *policy_rules_statute (const char *statute);

//  The index-th rule the table uses, or NULL past the last (for
//  documentation and tests).
const policy_rule_t *policy_rules_at (size_t index);

//  The rule of last resort.
extern const policy_rule_t policy_rule_default_deny;

#endif
