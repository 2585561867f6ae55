/*  fuzz_policy.c — the policy and the redactor on arbitrary input.

    The first bytes become a policy_input_t (with random consents, out of
    range enums, odd strings); the policy's promises are checked against an
    oracle written here, not taken from policy.c:
      - every decision names a rule and a basis, with a clean reason;
      - withheld keeps no class; no view keeps a class that is not present;
      - pseudonymised keeps no identifier or free text; anonymised only the
        text of a clean discussion;
      - nothing identified reaches the crisis centre without a consent in
        scope; nothing identified leaves the crisis centre without one;
      - the duty to avert identifies to the police RISK team only, for a
        concern or risk change with a complete claim, never from the crisis
        centre;
      - anything the table does not know is DEFAULT-DENY.
    The remaining bytes are unpacked as a Submit and redacted with the
    policy's decision and with a random one; afterwards the Submit holds no
    class the view forbids, packs, and frees cleanly (ASan). The strings
    are invented ("Siri Saksbehandler").                                   */
#include "policy.h"
#include "redact.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define K(k) SAMHAND__V1__KIND__ ## k
#define A(a) SAMHAND__V1__AGENCY__ ## a
#define V(v) SAMHAND__V1__VIEW__ ## v
#define NOW ((int64_t) 1760000000)
#define HOUR ((int64_t) 3600)
#define MAX_CONSENTS 6
#define POLICY_BYTES 96

#define ASSERT(c) do { if (!(c)) abort (); } while (0)

typedef struct {
    const uint8_t *data;
    size_t size, at;
} reader_t;

static uint8_t
s_byte (reader_t *r)
{
    return r->at < r->size? r->data [r->at++]: 0;
}

static uint32_t
s_u32 (reader_t *r)
{
    uint32_t v = 0;
    for (int i = 0; i < 4; i++)
        v = (v << 8) | s_byte (r);
    return v;
}

//  A small enum value, in or out of range, now and then a huge one.
static int
s_small (reader_t *r, int range)
{
    uint8_t b = s_byte (r);
    return b >= 250? 0x7fffffff - b: b % range;
}

//  A time near NOW, hours either side, sometimes exactly NOW or 0.
static int64_t
s_time (reader_t *r)
{
    uint8_t b = s_byte (r);
    if (b == 0)
        return 0;
    if (b == 1)
        return NOW;
    return NOW + ((int64_t) (int8_t) b) * HOUR;
}

//  A string from a small set, or raw bytes from the input (any bytes).
static const char *
s_string (reader_t *r, char *buffer, size_t size)
{
    static const char *set [] = {
        NULL, "", "  \t", "follow_up", "risk_management", "research", "STRL196",
        "HPL31", "Siri Saksbehandler", "c-1", "strl196"
    };
    uint8_t b = s_byte (r);
    if (b < 200)
        return set [b % (sizeof set / sizeof set [0])];
    size_t len = s_byte (r) % size;
    for (size_t i = 0; i < len; i++)
        buffer [i] = (char) (s_byte (r)? r->data [r->at - 1]: 'x');    //  no early NUL
    buffer [len] = 0;
    return buffer;
}

//  ---------------------------------------------------------------------
//  Oracle

static bool
s_blank (const char *s)
{
    if (!s)
        return true;
    for (; *s; s++)
        if (*s != ' ' && *s != '\t' && *s != '\n' && *s != '\r')
            return false;
    return true;
}

//  Purposes compare without ASCII case and the separators ' ', '-', '_'.
static int
s_fold (int c)
{
    return c == ' ' || c == '-'? '_': c >= 'A' && c <= 'Z'? c + 32: c;
}

static bool
s_purpose_eq (const char *a, const char *b)
{
    for (; s_fold ((unsigned char) *a) == s_fold ((unsigned char) *b); a++, b++)
        if (!*a)
            return true;
    return false;
}

static bool
s_in_scope (const policy_input_t *in, const policy_consent_t *c)
{
    const char *purpose = in->purpose && *in->purpose? in->purpose
                        : in->kind == K (RISK_CHANGE) || in->kind == K (RISK_PLAN)? "risk_management"
                        : in->kind == K (CONCERN_REPORT) || in->kind == K (CASE_STATUS)? "follow_up"
                        : NULL;
    if (!purpose || (c->withdrawn_at && c->withdrawn_at <= in->now)
    ||  c->valid_from > in->now || in->now >= c->valid_until
    ||  !(c->agencies & (1u << in->recipient))
    ||  !(c->classes & POLICY_CLASS (IDENTITY)) || !c->purposes)
        return false;
    for (size_t i = 0; i < c->n_purposes; i++)
        if (c->purposes [i] && s_purpose_eq (c->purposes [i], purpose))
            return true;
    return false;
}

//  The consent a FVL13A1-CONSENT decision rests on: one of ours, in scope,
//  with the id the decision names and every class it keeps. NULL if none.
static const policy_consent_t *
s_consent_used (const policy_input_t *in, const policy_decision_t *out)
{
    for (size_t i = 0; i < in->n_consents; i++) {
        const policy_consent_t *c = &in->consents [i];
        if (c->consent_id == out->consent_id && s_in_scope (in, c)
        &&  !(out->classes_allowed & ~c->classes))
            return c;
    }
    return NULL;
}

static bool
s_valid_reason (const char *reason, size_t size)
{
    const unsigned char *s = (const unsigned char *) reason;
    size_t len = strnlen (reason, size);
    if (len == 0 || len >= size)
        return false;
    for (size_t i = 0; i < len; ) {
        unsigned char c = s [i];
        size_t n = c < 0x80? 1: c >= 0xC2 && c <= 0xDF? 2: c >= 0xE0 && c <= 0xEF? 3
                 : c >= 0xF0 && c <= 0xF4? 4: 0;
        if (n == 0 || i + n > len || c < 0x20 || c == 0x7F)
            return false;
        for (size_t k = 1; k < n; k++)
            if (s [i + k] < 0x80 || s [i + k] > 0xBF)
                return false;
        i += n;
    }
    return true;
}

static void
s_check (const policy_input_t *in, const policy_decision_t *out)
{
    ASSERT (out->rule && out->legal_basis && *out->legal_basis);
    ASSERT (s_valid_reason (out->reason, sizeof out->reason));
    ASSERT (out->view == V (IDENTIFIED) || out->view == V (PSEUDONYMISED)
         || out->view == V (ANONYMISED) || out->view == V (WITHHELD));
    ASSERT ((out->classes_allowed & ~in->classes_present) == 0);
    if (out->view == V (WITHHELD))
        ASSERT (out->classes_allowed == 0 && !out->review);
    if (out->view == V (PSEUDONYMISED))
        ASSERT (!(out->classes_allowed & (POLICY_CLASSES_DIRECT | POLICY_CLASS (RISK_FACTORS)
                                          | POLICY_CLASS (HEALTH) | POLICY_CLASS (CONTACT_POINTS)
                                          | POLICY_CLASS (FOLLOW_UP))) && !out->review
             && (in->text_clean || !(out->classes_allowed & POLICY_CLASS (FREE_TEXT))));
    if (out->view == V (ANONYMISED))
        ASSERT (in->kind == K (CASE_DISCUSSION) && in->text_clean
             && !(out->classes_allowed & ~POLICY_CLASS (FREE_TEXT)));

    bool known = in->kind >= K (CONCERN_REPORT) && in->kind <= K (RISK_PLAN)
              && in->recipient >= A (RESOURCE_CENTRE) && in->recipient <= A (CRISIS_CENTRE)
              && in->sender_agency >= A (RESOURCE_CENTRE) && in->sender_agency <= A (CRISIS_CENTRE)
              && in->sender_role >= POLICY_ROLE_DUTY_OPERATOR && in->sender_role <= POLICY_ROLE_ADMIN
              && (unsigned) in->basis <= SAMHAND__V1__BASIS__BASIS_ANONYMISED
              && !(in->classes_present & ~POLICY_CLASSES_ALL);
    if (!known) {
        ASSERT (out->view == V (WITHHELD) && strcmp (out->rule, "DEFAULT-DENY") == 0);
        return;
    }
    bool on_consent = strcmp (out->rule, "FVL13A1-CONSENT") == 0;
    const policy_consent_t *consent = on_consent? s_consent_used (in, out): NULL;
    if (on_consent)
        ASSERT (consent && out->view == V (IDENTIFIED));   //  never a consent out of scope
    else
        ASSERT (out->consent_id == NULL);
    if (out->view == V (IDENTIFIED)) {
        //  identified on exactly one of: consent, duty to avert, same agency
        if (out->review) {
            ASSERT (in->recipient == A (POLICE_RISK));
            ASSERT (in->kind == K (CONCERN_REPORT) || in->kind == K (RISK_CHANGE));
            ASSERT (in->basis == SAMHAND__V1__BASIS__BASIS_AVERT);
            ASSERT (!s_blank (in->justification) && !s_blank (in->decision_maker));
            ASSERT (policy_check_claim (in->kind, in->basis, in->justification, in->decision_maker,
                                        in->statute, NULL, 0) == 0);
            ASSERT (!(out->classes_allowed & ~(POLICY_CLASS (IDENTITY) | POLICY_CLASS (CONTACT)
                                               | POLICY_CLASS (RISK_LEVEL_CLASS))));
        }
        else
        if (!consent)
            //  same agency: a concern or a risk change inside the resource
            //  centre, or a case status inside any agency but the crisis centre
            ASSERT (strcmp (out->rule, "SAME-AGENCY") == 0 && in->sender_agency == in->recipient
                 && in->sender_role != POLICY_ROLE_ADMIN
                 && ((in->recipient == A (RESOURCE_CENTRE)
                      && (in->kind == K (CONCERN_REPORT) || in->kind == K (RISK_CHANGE)
                          || in->kind == K (RISK_PLAN)))
                     || (in->kind == K (CASE_STATUS) && in->recipient != A (CRISIS_CENTRE))));
        if (in->recipient == A (CRISIS_CENTRE))
            ASSERT (consent);
    }
    //  krisesenterlova §5: out of the crisis centre only with consent, or
    //  to the police RISK team under the duty to avert (straffeloven §196
    //  applies regardless of the duty of confidentiality)
    if (in->sender_agency == A (CRISIS_CENTRE) && in->recipient != A (CRISIS_CENTRE)
    &&  (in->kind == K (CONCERN_REPORT) || in->kind == K (RISK_CHANGE) || in->kind == K (CASE_STATUS)
         || in->kind == K (RISK_PLAN))
    &&  out->view != V (WITHHELD))
        ASSERT (consent || (out->review && in->recipient == A (POLICE_RISK)));
    //  the decision-maker is never echoed: the reason is stored in clear
    if (out->review) {
        policy_input_t other = *in;
        policy_decision_t again;
        other.decision_maker = "Kari Oppdiktet Annen";
        policy_decide (&other, &again);
        ASSERT (strcmp (again.reason, out->reason) == 0);
    }
    if (in->recipient == A (CRISIS_CENTRE)
    &&  (in->kind == K (CONCERN_REPORT) || in->kind == K (RISK_CHANGE) || in->kind == K (CASE_STATUS)
         || in->kind == K (RISK_PLAN)))
        ASSERT (out->view == V (WITHHELD) || consent);
    if (in->kind == K (ALERT) && out->view != V (WITHHELD))
        ASSERT (in->sender_agency == in->recipient);
    if (in->kind == K (CONSENT_NOTICE) && out->view != V (WITHHELD))
        ASSERT (in->consent_agencies_of_notice
             && (*in->consent_agencies_of_notice & (1u << in->recipient)));
}

//  ---------------------------------------------------------------------
//  Redaction

//  What a view may still hold after redaction.
static uint32_t
s_may_hold (const policy_decision_t *d)
{
    uint32_t keep = d->classes_allowed;
    if (d->view == V (PSEUDONYMISED))
        keep &= ~(POLICY_CLASSES_DIRECT | POLICY_CLASS (RISK_FACTORS) | POLICY_CLASS (HEALTH));
    if (d->view == V (ANONYMISED))
        keep &= POLICY_CLASS (FREE_TEXT);
    return keep;
}

static void
s_redact (const uint8_t *data, size_t size, const policy_decision_t *d, const char *ref)
{
    Samhand__V1__Submit *submit = samhand__v1__submit__unpack (NULL, size, data);
    if (!submit)
        return;
    int rc = redact_apply (submit, d, ref);
    if (rc == 0) {
        ASSERT (d->view == V (IDENTIFIED) || d->view == V (PSEUDONYMISED) || d->view == V (ANONYMISED));
        ASSERT ((redact_classes_present (submit) & ~s_may_hold (d)) == 0);
        ASSERT (submit->claim == NULL && submit->base.n_unknown_fields == 0);
        //  anonymised is for a discussion only, and a discussion is only anonymised
        ASSERT ((d->view == V (ANONYMISED)) == (submit->body_case == SAMHAND__V1__SUBMIT__BODY_DISCUSSION));
        if (d->view == V (PSEUDONYMISED)) {
            if (submit->body_case == SAMHAND__V1__SUBMIT__BODY_CONCERN)
                ASSERT (submit->concern->subject == NULL);
            if (submit->body_case == SAMHAND__V1__SUBMIT__BODY_RISK_CHANGE)
                ASSERT (submit->risk_change->subject == NULL);
        }
        size_t packed = samhand__v1__submit__get_packed_size (submit);
        uint8_t *out = malloc (packed? packed: 1);
        if (out) {
            ASSERT (samhand__v1__submit__pack (submit, out) == packed);
            Samhand__V1__Submit *again = samhand__v1__submit__unpack (NULL, packed, out);
            ASSERT (again);
            ASSERT ((redact_classes_present (again) & ~s_may_hold (d)) == 0);
            samhand__v1__submit__free_unpacked (again, NULL);
            free (out);
        }
    }
    else {
        //  refused only for a view it cannot give or a message without a body
        bool discussion = submit->body_case == SAMHAND__V1__SUBMIT__BODY_DISCUSSION;
        bool deliverable = ((d->view == V (IDENTIFIED) || d->view == V (PSEUDONYMISED)) && !discussion)
                        || (d->view == V (ANONYMISED) && discussion);
        ASSERT (!deliverable || submit->body_case == SAMHAND__V1__SUBMIT__BODY__NOT_SET);
    }
    samhand__v1__submit__free_unpacked (submit, NULL);
}

//  ---------------------------------------------------------------------

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    reader_t r = { data, size < POLICY_BYTES? size: POLICY_BYTES, 0 };
    static const char *const purpose_sets [4][2] = {
        { "follow_up", "risk_management" }, { "follow_up", NULL },
        { "research", "" }, { "risk_management", "follow_up" }
    };
    static const char *const ids [MAX_CONSENTS] = { "c-0", "c-1", "c-2", "c-3", "c-4", NULL };
    policy_consent_t consents [MAX_CONSENTS];
    char strings [5][64];
    uint32_t named = 0;

    policy_input_t in;
    memset (&in, 0, sizeof in);
    in.kind = (Samhand__V1__Kind) s_small (&r, 10);
    in.sender_agency = (Samhand__V1__Agency) s_small (&r, 7);
    in.recipient = (Samhand__V1__Agency) s_small (&r, 7);
    in.sender_role = (policy_role_t) s_small (&r, 7);
    uint8_t flags = s_byte (&r);
    in.classes_present = flags & 1? s_u32 (&r): (uint32_t) s_byte (&r) & POLICY_CLASSES_ALL;
    in.basis = (Samhand__V1__Basis) (s_byte (&r) % 5);
    in.text_clean = flags & 2;
    in.now = NOW;
    in.purpose = s_string (&r, strings [0], sizeof strings [0]);
    in.justification = s_string (&r, strings [1], sizeof strings [1]);
    in.decision_maker = s_string (&r, strings [2], sizeof strings [2]);
    in.statute = s_string (&r, strings [3], sizeof strings [3]);
    if (flags & 4) {
        named = s_byte (&r);
        in.consent_agencies_of_notice = &named;
    }
    in.n_consents = s_byte (&r) % (MAX_CONSENTS + 1);
    for (size_t i = 0; i < in.n_consents; i++) {
        policy_consent_t *c = &consents [i];
        uint8_t b = s_byte (&r);
        c->agencies = s_byte (&r);
        c->classes = s_byte (&r);
        c->purposes = purpose_sets [b & 3];
        c->n_purposes = b & 4? 2: (b & 8? 1: 0);
        if (b & 16)
            c->purposes = NULL;
        c->valid_from = s_time (&r);
        c->valid_until = s_time (&r);
        c->withdrawn_at = b & 32? s_time (&r): 0;
        c->consent_id = ids [i];
    }
    in.consents = in.n_consents? consents: NULL;

    policy_decision_t out;
    memset (&out, 0x6b, sizeof out);
    policy_decide (&in, &out);
    s_check (&in, &out);

    //  the claim check agrees with itself and never leaves err unterminated
    char err [16];
    memset (err, 'x', sizeof err);
    int code = policy_check_claim (in.kind, in.basis, in.justification, in.decision_maker,
                                   in.statute, err, sizeof err);
    ASSERT (code == 0 || memchr (err, 0, sizeof err));

    if (size > POLICY_BYTES) {
        const uint8_t *body = data + POLICY_BYTES;
        size_t body_size = size - POLICY_BYTES;
        const char *ref = s_string (&r, strings [4], sizeof strings [4]);
        s_redact (body, body_size, &out, ref);
        policy_decision_t random = out;
        random.view = (Samhand__V1__View) (s_byte (&r) % 6);
        random.classes_allowed = s_u32 (&r);
        s_redact (body, body_size, &random, ref);
    }
    return 0;
}
