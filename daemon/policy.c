/*  policy.c — walks the rule table of policy_rules.c (pure).

    Every decision starts as DEFAULT-DENY and is only widened by a step of
    the cell for the message's kind and the recipient agency. Input the
    table does not know is never guessed at: it is denied.                 */
#include "policy.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define K(k) SAMHAND__V1__KIND__ ## k
#define A(a) SAMHAND__V1__AGENCY__ ## a
#define V(v) SAMHAND__V1__VIEW__ ## v
#define B(b) SAMHAND__V1__BASIS__ ## b

//  ---------------------------------------------------------------------
//  Small helpers

static bool
s_between (unsigned value, unsigned low, unsigned high)
{
    return value >= low && value <= high;
}

static bool
s_blank (const char *text)
{
    if (!text)
        return true;
    for (; *text; text++)
        if (*text != ' ' && *text != '\t' && *text != '\n' && *text != '\r')
            return false;
    return true;
}

//  Length of the valid UTF-8 sequence at s (at most avail bytes), or 0.
static size_t
s_utf8_len (const unsigned char *s, size_t avail)
{
    unsigned char c = s [0];
    size_t len;
    unsigned char low = 0x80, high = 0xBF;     //  range of the second byte
    if (c < 0x80)
        return 1;
    if (c >= 0xC2 && c <= 0xDF)
        len = 2;
    else
    if (c >= 0xE0 && c <= 0xEF) {
        len = 3;
        if (c == 0xE0) low = 0xA0;             //  no overlongs
        if (c == 0xED) high = 0x9F;            //  no surrogates
    }
    else
    if (c >= 0xF0 && c <= 0xF4) {
        len = 4;
        if (c == 0xF0) low = 0x90;
        if (c == 0xF4) high = 0x8F;
    }
    else
        return 0;
    if (len > avail || s [1] < low || s [1] > high)
        return 0;
    for (size_t i = 2; i < len; i++)
        if (s [i] < 0x80 || s [i] > 0xBF)
            return 0;
    return len;
}

//  Makes text safe to show and to put in a proto3 string: valid UTF-8, no
//  control characters. Works in place; a sequence cut by truncation at
//  the end is dropped, any other bad byte becomes '?'.
static void
s_clean_text (char *text)
{
    unsigned char *s = (unsigned char *) text;
    size_t len = strlen (text), in = 0, out = 0;
    while (in < len) {
        size_t n = s_utf8_len (s + in, len - in);
        if (n == 0) {
            if (s [in] >= 0xC2 && s [in] <= 0xF4 && len - in < 4) {
                //  maybe a sequence cut short by the end of the buffer
                bool cut = true;
                for (size_t i = in + 1; i < len; i++)
                    cut = cut && s [i] >= 0x80 && s [i] <= 0xBF;
                if (cut)
                    break;
            }
            s [out++] = '?';
            in++;
        }
        else
        if (n == 1) {
            s [out++] = s [in] < 0x20 || s [in] == 0x7F? ' ': s [in];
            in++;
        }
        else {
            memmove (s + out, s + in, n);
            out += n;
            in += n;
        }
    }
    s [out] = 0;
}

static void
s_reason (policy_decision_t *out, const char *format, ...)
{
    va_list args;
    va_start (args, format);
    vsnprintf (out->reason, sizeof out->reason, format, args);
    va_end (args);
    s_clean_text (out->reason);
}

//  Sets the decision. The view bounds the classes whatever the table
//  says: nothing when withheld, no identifiers or free text when
//  pseudonymised, only free text when anonymised.
static void
s_set (policy_decision_t *out, const policy_rule_t *rule, Samhand__V1__View view,
       uint32_t classes)
{
    out->view = view;
    out->rule = rule->id;
    out->legal_basis = rule->legal_basis;
    classes &= POLICY_CLASSES_ALL;
    if (view == V (PSEUDONYMISED))
        classes &= ~POLICY_CLASSES_NOT_PSEUDONYMOUS;
    else
    if (view == V (ANONYMISED))
        classes &= POLICY_CLASS (FREE_TEXT);
    else
    if (view != V (IDENTIFIED))
        classes = 0;
    out->classes_allowed = classes;
}

static void
s_deny (policy_decision_t *out, const char *reason)
{
    memset (out, 0, sizeof *out);
    s_set (out, &policy_rule_default_deny, V (WITHHELD), 0);
    s_reason (out, "%s", reason);
}

//  ---------------------------------------------------------------------
//  Conditions

//  Why the claim cannot stand, or NULL. code receives the ErrorCode.
static const char *
s_claim_problem (Samhand__V1__Kind kind, Samhand__V1__Basis basis, const char *justification,
                 const char *decision_maker, const char *statute, int *code)
{
    *code = SAMHAND__V1__ERROR_CODE__INVALID_FIELD;
    if (!s_between ((unsigned) basis, B (BASIS_UNSPECIFIED), B (BASIS_ANONYMISED)))
        return "unknown legal basis";
    if (basis == B (BASIS_ANONYMISED) && kind != K (CASE_DISCUSSION))
        return "only a case discussion can be sent as anonymised";
    if (basis != B (BASIS_AVERT))
        return NULL;
    if (kind != K (CONCERN_REPORT) && kind != K (RISK_CHANGE))
        return "the duty to avert can be claimed only for a concern report or a risk change";
    if (!policy_rules_statute (statute))
        return "unknown statute for the duty to avert: use STRL196 or HPL31";
    *code = SAMHAND__V1__ERROR_CODE__BASIS_INCOMPLETE;
    if (s_blank (justification))
        return "the duty to avert needs a justification";
    if (s_blank (decision_maker))
        return "the duty to avert needs a named decision-maker";
    *code = 0;
    return NULL;
}

//  Purposes are written by people: "Risk management", "risk-management"
//  and "risk_management" name the same purpose. ASCII case and the
//  separators ' ', '-' and '_' are not significant; everything else is.
static bool
s_purpose_eq (const char *a, const char *b)
{
    for (;; a++, b++) {
        char x = *a, y = *b;
        if (x == ' ' || x == '-')
            x = '_';
        if (y == ' ' || y == '-')
            y = '_';
        if (x >= 'A' && x <= 'Z')
            x = (char) (x + 32);
        if (y >= 'A' && y <= 'Z')
            y = (char) (y + 32);
        if (x != y)
            return false;
        if (!x)
            return true;
    }
}

static bool
s_names_purpose (const policy_consent_t *c, const char *purpose)
{
    if (!c->purposes)
        return false;
    for (size_t i = 0; i < c->n_purposes; i++)
        if (c->purposes [i] && s_purpose_eq (c->purposes [i], purpose))
            return true;
    return false;
}

//  A consent is in scope when it is in force now, names the recipient and
//  the purpose, and covers identity (it opens an identified view).
static bool
s_in_scope (const policy_consent_t *c, const policy_input_t *in, const char *purpose)
{
    if (c->withdrawn_at != 0 && c->withdrawn_at <= in->now)
        return false;
    if (in->now < c->valid_from || in->now >= c->valid_until)
        return false;
    if (!(c->agencies & (1u << in->recipient)))
        return false;
    if (!(c->classes & POLICY_CLASS (IDENTITY)))
        return false;
    return s_names_purpose (c, purpose);
}

static const policy_consent_t *
s_consent (const policy_input_t *in)
{
    const char *purpose = in->purpose && *in->purpose? in->purpose
                                                      : policy_default_purpose (in->kind);
    if (!purpose || !in->consents)
        return NULL;
    for (size_t i = 0; i < in->n_consents; i++)
        if (s_in_scope (&in->consents [i], in, purpose))
            return &in->consents [i];
    return NULL;
}

//  Why the input cannot be decided at all, or NULL.
static const char *
s_unknown (const policy_input_t *in)
{
    if (!s_between ((unsigned) in->kind, K (CONCERN_REPORT), K (RISK_PLAN)))
        return "unknown message kind";
    if (!s_between ((unsigned) in->recipient, A (RESOURCE_CENTRE), A (CRISIS_CENTRE)))
        return "unknown recipient agency";
    if (!s_between ((unsigned) in->sender_agency, A (RESOURCE_CENTRE), A (CRISIS_CENTRE)))
        return "unknown sender agency";
    if (!s_between ((unsigned) in->sender_role, POLICY_ROLE_DUTY_OPERATOR, POLICY_ROLE_ADMIN))
        return "unknown sender role";
    if (!s_between ((unsigned) in->basis, B (BASIS_UNSPECIFIED), B (BASIS_ANONYMISED)))
        return "unknown legal basis";
    if (in->classes_present & ~POLICY_CLASSES_ALL)
        return "unknown data class";
    return NULL;
}

//  ---------------------------------------------------------------------
//  Steps

//  Decides if the step's condition holds; returns whether it did.
static bool
s_step (const policy_step_t *step, const policy_input_t *in, policy_decision_t *out)
{
    uint32_t present = in->classes_present;
    switch (step->when) {
        case POLICY_WHEN_SAME_AGENCY:
            if (in->sender_agency != in->recipient
            ||  !(step->roles & (1u << in->sender_role)))
                return false;
            break;
        case POLICY_WHEN_CONSENT: {
            const policy_consent_t *c = s_consent (in);
            if (!c)
                return false;
            s_set (out, step->rule, step->view, step->classes & c->classes & present);
            out->consent_id = c->consent_id;
            if (c->consent_id && *c->consent_id)
                s_reason (out, "consent %s in scope", c->consent_id);
            else
                s_reason (out, "consent in scope");
            return true;
        }
        case POLICY_WHEN_CRISIS_SENDER:
            if (in->sender_agency != A (CRISIS_CENTRE) || in->recipient == A (CRISIS_CENTRE))
                return false;
            break;
        case POLICY_WHEN_AVERT: {
            int code;
            if (in->basis != B (BASIS_AVERT)
            ||  s_claim_problem (in->kind, in->basis, in->justification, in->decision_maker,
                                 in->statute, &code))
                return false;
            const policy_statute_t *statute = policy_rules_statute (in->statute);
            s_set (out, statute->rule, step->view, step->classes & present);
            out->review = true;
            //  The decision-maker is a person: the name goes sealed into
            //  the review record (submit.c), never into the reason, which
            //  is stored in clear and travels to the recipient.
            s_reason (out, "%s, named decision-maker recorded for review", statute->duty);
            return true;
        }
        case POLICY_WHEN_TEXT_CLEAN:
            if (!in->text_clean)
                return false;
            break;
        case POLICY_WHEN_NAMED_IN_CONSENT:
            if (!in->consent_agencies_of_notice
            ||  !(*in->consent_agencies_of_notice & (1u << in->recipient)))
                return false;
            break;
        case POLICY_WHEN_ALWAYS:
            break;
        default:
            return false;
    }
    s_set (out, step->rule, step->view, step->classes & present);
    s_reason (out, "%s", step->reason? step->reason: step->rule->summary);
    return true;
}

//  ---------------------------------------------------------------------
//  Public API

static void s_decide (const policy_input_t *in, policy_decision_t *out);

void
policy_decide (const policy_input_t *in, policy_decision_t *out)
{
    if (!out)
        return;
    s_decide (in, out);
    //  Only a known recipient is named: the redactor keeps a plan's steps
    //  for it alone, so a guess here would hand one agency another's steps.
    out->recipient = in && s_between ((unsigned) in->recipient, A (RESOURCE_CENTRE),
                                      A (CRISIS_CENTRE))
                   ? in->recipient: A (AGENCY_UNSPECIFIED);
}

static void
s_decide (const policy_input_t *in, policy_decision_t *out)
{
    if (!in) {
        s_deny (out, "no input");
        return;
    }
    const char *unknown = s_unknown (in);
    if (unknown) {
        s_deny (out, unknown);
        return;
    }
    const policy_cell_t *cell = policy_rules_cell (in->kind, in->recipient);
    if (!cell) {
        s_deny (out, "no rule for this message and recipient");
        return;
    }
    for (const policy_step_t *step = cell->steps; step->when != POLICY_WHEN_END; step++) {
        memset (out, 0, sizeof *out);
        if (step->rule || step->when == POLICY_WHEN_AVERT)
            if (s_step (step, in, out)) {
                //  Free text leaves pseudonymised only when it was scanned clean.
                if (out->view == V (PSEUDONYMISED) && !in->text_clean)
                    out->classes_allowed &= ~POLICY_CLASS (FREE_TEXT);
                return;
            }
    }
    s_deny (out, "no rule allows this");
}

int
policy_check_claim (Samhand__V1__Kind kind, Samhand__V1__Basis basis, const char *justification,
                    const char *decision_maker, const char *statute, char *err, size_t errlen)
{
    int code;
    const char *problem = s_claim_problem (kind, basis, justification, decision_maker,
                                           statute, &code);
    if (!problem)
        return 0;
    if (err && errlen)
        snprintf (err, errlen, "%s", problem);
    return code;
}

bool
policy_hidden_from_sender (int kind, int sender_agency, int recipient_agency)
{
    return kind != K (CASE_DISCUSSION)
        && recipient_agency == A (CRISIS_CENTRE) && sender_agency != A (CRISIS_CENTRE);
}

const char *
policy_view_name (Samhand__V1__View view)
{
    switch (view) {
        case V (IDENTIFIED): return "identified";
        case V (PSEUDONYMISED): return "pseudonymised";
        case V (ANONYMISED): return "anonymised";
        case V (WITHHELD): return "withheld";
        default: return "unspecified";
    }
}
