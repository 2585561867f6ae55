/*  consent — the consent registry's commands: grant, withdraw, list.
    A withdrawal takes effect for every later decision at once: outstanding
    deliveries about the person are decided again (and withheld where the
    consent was their only basis), and nodes that already received an
    identified view get a notice of withdrawal.                           */
#include "consent.h"
#include "admin.h"
#include "submit.h"
#include "scanner.h"
#include <ctype.h>
#include "notice.h"
#include "policy.h"
#include "redact.h"

#define MAX_CONSENTS 32
#define ASSESSOR_MAX 128          //  the shown assessor's buffer

static void
s_reply (handler_ctx_t *self, zframe_t *routing_id, uint64_t request_id,
         Samhand__V1__ConsentReply *reply, bool needs_commit)
{
    Samhand__V1__Frame frame = SAMHAND__V1__FRAME__INIT;
    frame.request_id = request_id;
    frame.command_case = SAMHAND__V1__FRAME__COMMAND_CONSENT_REPLY;
    frame.consent_reply = reply;
    size_t size;
    uint8_t *data = frame_encode (&frame, &size);
    replies_add (self->replies, routing_id, data, size, needs_commit, request_id);
}

static void
s_refuse (handler_ctx_t *self, zframe_t *routing_id, const node_t *node, uint64_t request_id,
          int code, const char *text)
{
    zsys_warning ("consent: refused for %s: %s", node->name, text);
    Samhand__V1__ConsentReply reply = SAMHAND__V1__CONSENT_REPLY__INIT;
    Samhand__V1__Error error = SAMHAND__V1__ERROR__INIT;
    error.code = (Samhand__V1__ErrorCode) code;
    error.text = (char *) text;
    reply.error = &error;
    s_reply (self, routing_id, request_id, &reply, false);
}

static int
s_subject_key (handler_ctx_t *self, const Samhand__V1__Subject *subject, uint8_t key [32])
{
    return subject? crypto_subject_key (keys_subject_secret (self->keys), subject->national_id,
                                        subject->name, subject->birth_date, subject->phone, key)
                  : -1;
}

static void
s_purposes_text (const Samhand__V1__ConsentGrant *grant, char *out, size_t size)
{
    out [0] = 0;
    for (size_t i = 0; i < grant->n_purposes && i < REGISTRY_MAX_PURPOSES; i++) {
        if (strchr (grant->purposes [i], ','))
            continue;
        size_t len = strlen (out);
        snprintf (out + len, size - len, "%s%s", len? ",": "", grant->purposes [i]);
    }
}

//  Who assessed the person's capacity to consent is a person's name: it
//  is sealed at rest like the other personal data (POLICY.md §9), under
//  the key of the week in which the consent's record is no longer needed
//  (crypto-shredding, §13): its end plus the longest retention of any
//  kind, so it can be read as long as any message that may rest on the
//  consent is kept. Bound to the consent's id and to this use.
#define ASSESSOR_AAD "samhand consent capacity_assessed_by "

static void
s_assessor_aad (const char *id, char *aad, size_t size)
{
    snprintf (aad, size, ASSESSOR_AAD "%s", id);
}

static int
s_assessor_seal (handler_ctx_t *self, registry_consent_t *c, const char *who)
{
    size_t len = strlen (who);
    if (!len)
        return 0;                       //  not given: nothing to seal
    int64_t keep = 0;
    for (int kind = 1; kind < CONFIG_KINDS; kind++)
        if (self->config->retention_ms [kind] > keep)
            keep = self->config->retention_ms [kind];
    crypto_keyring_t *ring = keys_ring (self->keys);
    //  A consent that runs for decades: the furthest week a key exists for
    //  (compared before multiplying: valid_until is the client's number).
    int64_t last = crypto_period_start_ms (crypto_keyring_ratchet_period (ring)
                                           + CRYPTO_PERIOD_AHEAD - 1);
    int64_t end = c->valid_until > (last - keep) / 1000? last: c->valid_until * 1000 + keep;
    char aad [100];
    s_assessor_aad (c->id, aad, sizeof aad);
    uint8_t *sealed = NULL;
    size_t size = 0;
    if (crypto_seal_until (ring, end, (const uint8_t *) aad, strlen (aad),
                           (const uint8_t *) who, len, &sealed, &size))
        return -1;
    if (size > sizeof c->capacity_sealed) {
        free (sealed);
        return -1;
    }
    memcpy (c->capacity_sealed, sealed, size);
    c->capacity_sealed_size = size;
    c->capacity_by [0] = 0;
    free (sealed);
    return 0;
}

//  The assessor as shown: opened, or the clear value of a row from before
//  sealing; "" when its key was destroyed (the record outlived its
//  retention) or it cannot be opened (logged).
static void
s_assessor (handler_ctx_t *self, const registry_consent_t *c, char *out, size_t size)
{
    out [0] = 0;
    if (!c->capacity_sealed_size) {
        snprintf (out, size, "%s", c->capacity_by);
        return;
    }
    char aad [100];
    s_assessor_aad (c->id, aad, sizeof aad);
    uint8_t *plain = NULL;
    size_t plain_size = 0;
    int rc = c->capacity_sealed_size > sizeof c->capacity_sealed? -1
           : crypto_open (keys_ring (self->keys), (const uint8_t *) aad, strlen (aad),
                          c->capacity_sealed, c->capacity_sealed_size, &plain, &plain_size);
    if (rc == 0 && plain_size < size) {
        memcpy (out, plain, plain_size);
        out [plain_size] = 0;
    }
    else
    if (rc != CRYPTO_SHREDDED)
        zsys_warning ("consent: who assessed capacity for %s cannot be opened: not shown", c->id);
    if (plain) {
        crypto_cleanse (plain, plain_size);
        free (plain);
    }
}

//  The crisis centre's contact with a person is itself confidential
//  (krisesenterlova §5, POLICY.md §5 "what another agency is shown of a
//  consent"): a viewer of another agency than the crisis centre, unless its
//  own agency recorded the consent (it wrote what it sees), is shown the
//  consent as naming the other agencies only.
static uint32_t
s_shown_agencies (const registry_consent_t *c, int agency)
{
    if (agency == SAMHAND__V1__AGENCY__CRISIS_CENTRE
    ||  (c->recorded_agency > 0 && c->recorded_agency == agency))
        return c->agencies;
    return c->agencies & ~(1u << SAMHAND__V1__AGENCY__CRISIS_CENTRE);
}

//  Who recorded a consent and who assessed her capacity are shown to the
//  recording agency only: shown to the others when another agency recorded
//  it, their absence would single out the consents the crisis centre
//  recorded (its node's name, its worker's name), so they are absent for
//  every consent another agency recorded.
static bool
s_recorder_shown (const registry_consent_t *c, int agency)
{
    return c->recorded_agency > 0 && c->recorded_agency == agency;
}

static void
s_to_record (handler_ctx_t *self, const registry_consent_t *c, int agency,
             Samhand__V1__ConsentRecord *r, Samhand__V1__Agency *agencies,
             Samhand__V1__DataClass *classes, char **purposes, char *case_ref, char *assessor)
{
    static const char *prefixes [5] = { NULL, "RC", "TE", "PR", "KS" };
    samhand__v1__consent_record__init (r);
    r->consent_id = (char *) c->id;
    size_t n = 0;
    uint32_t shown = s_shown_agencies (c, agency);
    for (int a = 1; a < 5; a++)
        if (shown & (1u << a))
            agencies [n++] = (Samhand__V1__Agency) a;
    r->agencies = agencies;
    r->n_agencies = n;
    n = 0;
    for (int k = 1; k < 8; k++)
        if (c->classes & (1u << k))
            classes [n++] = (Samhand__V1__DataClass) k;
    r->classes = classes;
    r->n_classes = n;
    for (size_t i = 0; i < c->n_purposes; i++)
        purposes [i] = (char *) c->purposes [i];
    r->purposes = purposes;
    r->n_purposes = c->n_purposes;
    r->valid_from = c->valid_from;
    r->valid_until = c->valid_until;
    r->form = (Samhand__V1__ConsentForm) c->form;
    assessor [0] = 0;
    bool recorder = s_recorder_shown (c, agency);
    if (recorder)
        s_assessor (self, c, assessor, ASSESSOR_MAX);
    r->capacity_assessed_by = assessor;
    r->capacity_assessed_at = c->capacity_at;
    r->recorded_by = recorder? (char *) c->recorded_by: "";
    r->recorded_at = c->recorded_at;
    r->withdrawn_at = c->withdrawn_at;
    case_ref [0] = 0;
    if (agency > 0 && agency < 5)
        crypto_case_ref (keys_pseudonym_secret (self->keys), prefixes [agency],
                         c->subject_key, case_ref);
    r->case_ref = case_ref;
}

static int
s_notify (handler_ctx_t *self, const registry_consent_t *c, uint32_t agencies, const char *only,
          bool withdrawn, const char *text)
{
    Samhand__V1__Deliver template_ = SAMHAND__V1__DELIVER__INIT;
    Samhand__V1__ConsentNotice notice = SAMHAND__V1__CONSENT_NOTICE__INIT;
    notice.consent_id = (char *) c->id;
    notice.withdrawn = withdrawn;
    notice.text = (char *) text;
    template_.kind = SAMHAND__V1__KIND__CONSENT_NOTICE;
    template_.body_case = SAMHAND__V1__DELIVER__BODY_CONSENT_NOTICE;
    template_.consent_notice = &notice;
    notice_to_t to = { agencies, 0, only };
    return notice_post (self, &template_, to, c->subject_key, "CONSENT-NOTICE",
                        "forvaltningsloven §13a nr. 1", text);
}

//  The consent id: from the client's grant_id when there is one (a retry
//  gets the same id), else random. Returns 1 when a consent with that id
//  exists already, 0 when the id is new, -1 for a bad grant_id, -2 when
//  the broker cannot tell.
static int
s_consent_id (handler_ctx_t *self, const node_t *node, const Samhand__V1__ConsentGrant *grant,
              char id [40])
{
    uint8_t rnd [32];
    if (grant->grant_id.len) {
        if (grant->grant_id.len < 8 || grant->grant_id.len > 64)
            return -1;
        //  Keyed by the node's public key: one node cannot reach another's.
        uint8_t buf [16 + 41 + 64];
        size_t key_len = strlen (node->key) < 41? strlen (node->key): 41;
        memcpy (buf, "samhand-grant-v1", 16);
        memcpy (buf + 16, node->key, key_len);
        memcpy (buf + 16 + key_len, grant->grant_id.data, grant->grant_id.len);
        if (crypto_sha256 (buf, 16 + key_len + grant->grant_id.len, rnd))
            return -2;
    }
    else
    if (crypto_random (rnd, 6))
        return -2;
    snprintf (id, 40, "c-%02x%02x%02x%02x%02x%02x", rnd [0], rnd [1], rnd [2],
              rnd [3], rnd [4], rnd [5]);
    if (!grant->grant_id.len)
        return 0;
    registry_consent_t existing;
    int found = registry_consent_get (self->registry, id, &existing);
    return found < 0? -2: found;
}

//  A grant sent again (its reply was lost): the consent stored the first
//  time is the answer; nothing new is stored, notified or audited.
static void
s_grant_repeated (handler_ctx_t *self, zframe_t *routing_id, const node_t *node,
                  const Samhand__V1__Frame *frame, const char *id)
{
    registry_consent_t c;
    if (registry_consent_get (self->registry, id, &c) != 1 || !streq (c.recorded_by, node->name)) {
        s_refuse (self, routing_id, node, frame->request_id, SAMHAND__V1__ERROR_CODE__INTERNAL,
                  "could not read the consent back: retry");
        return;
    }
    //  Recorded when this node's key belonged to another agency: that
    //  agency's consent (and this agency's case reference for her) is not
    //  shown to it; answered as a consent it cannot see.
    if (c.recorded_agency != node->agency) {
        s_refuse (self, routing_id, node, frame->request_id, SAMHAND__V1__ERROR_CODE__NOT_FOUND,
                  "that grant was recorded for another agency: send it as a new grant");
        return;
    }
    Samhand__V1__ConsentReply reply = SAMHAND__V1__CONSENT_REPLY__INIT;
    Samhand__V1__ConsentRecord rec, *list [1] = { &rec };
    Samhand__V1__Agency agencies [5];
    Samhand__V1__DataClass classes [8];
    char *purposes [REGISTRY_MAX_PURPOSES];
    char case_ref [CRYPTO_CASE_REF_LEN], assessor [ASSESSOR_MAX];
    s_to_record (self, &c, node->agency, &rec, agencies, classes, purposes, case_ref, assessor);
    reply.ok = true;
    reply.consents = list;
    reply.n_consents = 1;
    //  Needs the commit all the same: the first grant may be in this batch.
    s_reply (self, routing_id, frame->request_id, &reply, true);
    zsys_info ("consent: %s granted again by %s (a retry): the stored consent answers", id,
               node->name);
}

//  True when the identifier scanner reads anything in text. A consent's
//  purposes are kept in clear in the registry (frame.c lets only ASCII
//  letters, '_', '-' and spaces in): a label, never a name ("Kari Hansen"
//  has the shape of a purpose).
static bool
s_identifies (handler_ctx_t *self, const char *text)
{
    size_t len = strlen (text);
    const char *texts [1] = { text };
    scan_ctx_t ctx = { .known = NULL, .lex = self->names };
    return scanner_scan_fields (&ctx, texts, &len, 1, NULL, 0) > 0;
}

//  Who assessed the person's capacity to consent is a name, sealed in the
//  consent registry and shown to the agency that recorded the consent
//  (s_recorder_shown): nothing else may ride in it (a number, an address, a note
//  about the case). At most four words of letters, spaces and - . ',
//  80 bytes; non-ASCII letters are allowed, and whatever the identifier
//  scanner reads in the field other than a name (a disguised number, an
//  e-mail) is refused. Empty: not given.
static bool
s_assessor_ok (handler_ctx_t *self, const char *who)
{
    size_t len = strlen (who);
    if (len > 80)
        return false;
    int words = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char) who [i];
        if (c < 0x80 && !isalpha (c) && c != ' ' && c != '-' && c != '.' && c != '\'')
            return false;
        if (c != ' ' && (i == 0 || who [i - 1] == ' '))
            words++;
    }
    if (words > 4)
        return false;
    scan_finding_t found [4];
    const char *texts [1] = { who };
    scan_ctx_t ctx = { .known = NULL, .lex = self->names };
    size_t n = scanner_scan_fields (&ctx, texts, &len, 1, found, 4);
    for (size_t i = 0; i < n && i < 4; i++)
        if (found [i].kind != SCAN_NAME)
            return false;
    return n <= 4;
}

static void
s_grant (handler_ctx_t *self, zframe_t *routing_id, const node_t *node, const Samhand__V1__Frame *frame)
{
    const Samhand__V1__ConsentGrant *grant = frame->consent_grant;
    registry_consent_t c;
    memset (&c, 0, sizeof c);
    if (s_subject_key (self, grant->subject, c.subject_key)) {
        s_refuse (self, routing_id, node, frame->request_id, SAMHAND__V1__ERROR_CODE__INVALID_FIELD,
                  "the consent must name the person: national id, name and birth date, or phone");
        return;
    }
    if (!s_assessor_ok (self, grant->capacity_assessed_by)) {
        s_refuse (self, routing_id, node, frame->request_id, SAMHAND__V1__ERROR_CODE__INVALID_FIELD,
                  "capacity_assessed_by is a person's name: at most four words of letters,"
                  " spaces and - . '");
        return;
    }
    int64_t now = self->now_ms / 1000;
    c.valid_from = grant->valid_from? grant->valid_from: now;
    c.valid_until = grant->valid_until;
    if (c.valid_until <= c.valid_from || c.valid_until <= now) {
        s_refuse (self, routing_id, node, frame->request_id, SAMHAND__V1__ERROR_CODE__INVALID_FIELD,
                  "the consent's end date must be in the future and after its start");
        return;
    }
    for (size_t i = 0; i < grant->n_purposes; i++)
        if (strchr (grant->purposes [i], ',') || !*grant->purposes [i]
        ||  s_identifies (self, grant->purposes [i])) {
            s_refuse (self, routing_id, node, frame->request_id, SAMHAND__V1__ERROR_CODE__INVALID_FIELD,
                      "a purpose is one word such as follow_up or risk_management");
            return;
        }
    if (!grant->n_purposes || !grant->n_classes) {
        s_refuse (self, routing_id, node, frame->request_id, SAMHAND__V1__ERROR_CODE__MISSING_FIELD,
                  "a consent names at least one purpose and one data class");
        return;
    }
    int repeated = s_consent_id (self, node, grant, c.id);
    if (repeated == -1) {
        s_refuse (self, routing_id, node, frame->request_id, SAMHAND__V1__ERROR_CODE__INVALID_FIELD,
                  "grant_id is 8 to 64 bytes");
        return;
    }
    if (repeated < 0) {
        s_refuse (self, routing_id, node, frame->request_id, SAMHAND__V1__ERROR_CODE__INTERNAL,
                  "the broker could not make a consent id: retry");
        return;
    }
    if (repeated == 1) {
        s_grant_repeated (self, routing_id, node, frame, c.id);
        return;
    }
    for (size_t i = 0; i < grant->n_agencies; i++)
        c.agencies |= 1u << grant->agencies [i];
    for (size_t i = 0; i < grant->n_classes; i++)
        c.classes |= 1u << grant->classes [i];
    s_purposes_text (grant, c.purposes_text, sizeof c.purposes_text);
    c.form = grant->form;
    c.capacity_at = grant->capacity_assessed_at;
    if (s_assessor_seal (self, &c, grant->capacity_assessed_by)) {
        s_refuse (self, routing_id, node, frame->request_id, SAMHAND__V1__ERROR_CODE__INTERNAL,
                  "could not store the consent: retry");
        return;
    }
    snprintf (c.recorded_by, sizeof c.recorded_by, "%s", node->name);
    c.recorded_agency = node->agency;
    c.recorded_at = now;
    audit_record_t record = { .event = "consent_granted", .sender = node->name,
                              .subject_key = c.subject_key, .detail = c.id };
    if (store_begin (self->store)) {
        s_refuse (self, routing_id, node, frame->request_id, SAMHAND__V1__ERROR_CODE__INTERNAL,
                  "could not store the consent: retry");
        return;
    }
    //  The consent's end is a stored deadline: it fires at valid_until,
    //  also after a restart, and decides waiting deliveries again.
    if (registry_consent_insert (self->registry, &c)
    ||  store_timer_set (self->store, CONSENT_TIMER, c.id, strlen (c.id), 0,
                         c.valid_until * 1000, 0)
    ||  audit_append (self->audit, &record, self->now_ms)
    ||  s_notify (self, &c, c.agencies, NULL, false, "consent granted") < 0) {
        //  Nothing of a grant half stored: the whole batch is rolled back.
        store_fail_batch (self->store);
        s_refuse (self, routing_id, node, frame->request_id, SAMHAND__V1__ERROR_CODE__INTERNAL,
                  "could not store the consent: retry");
        return;
    }
    //  Reload to get purposes split the same way a later read does.
    registry_consent_get (self->registry, c.id, &c);
    Samhand__V1__ConsentReply reply = SAMHAND__V1__CONSENT_REPLY__INIT;
    Samhand__V1__ConsentRecord rec, *list [1] = { &rec };
    Samhand__V1__Agency agencies [5];
    Samhand__V1__DataClass classes [8];
    char *purposes [REGISTRY_MAX_PURPOSES];
    char case_ref [CRYPTO_CASE_REF_LEN], assessor [ASSESSOR_MAX];
    s_to_record (self, &c, node->agency, &rec, agencies, classes, purposes, case_ref, assessor);
    reply.ok = true;
    reply.consents = list;
    reply.n_consents = 1;
    s_reply (self, routing_id, frame->request_id, &reply, true);
    zsys_info ("consent: %s granted by %s", c.id, node->name);
}

//  tests/integration/itest_fault.c mirrors this struct's size (its
//  recheck_mirror_t: an allocation of exactly this size is made to fail):
//  a field added here is added there.
typedef struct {
    handler_ctx_t *self;
    registry_consent_t consents [MAX_CONSENTS];
    policy_consent_t policy [MAX_CONSENTS];
    int n;
    int redecided;
    uint32_t shown;           //  agencies whose entries the count tells of
    int redecided_shown;
    int withheld;
    const char *why;          //  "consent withdrawal", "consent expiry"
} redecide_t;

//  Loads every consent on record for the subject, as the policy sees them.
static void
s_load (redecide_t *r, const uint8_t subject_key [32])
{
    r->n = registry_consents_for (r->self->registry, subject_key, r->consents, MAX_CONSENTS);
    if (r->n < 0) {
        //  Unreadable: decide on no consent (never wider), and fail the batch
        //  so that narrowed decision is not what gets committed.
        r->n = 0;
        r->self->batch_failed = true;
    }
    for (int i = 0; i < r->n; i++) {
        registry_consent_t *rc = &r->consents [i];
        r->policy [i] = (policy_consent_t) { .agencies = rc->agencies, .classes = rc->classes,
            .purposes = rc->purposes, .n_purposes = rc->n_purposes, .valid_from = rc->valid_from,
            .valid_until = rc->valid_until, .withdrawn_at = rc->withdrawn_at, .consent_id = rc->id };
    }
}

//  Decides one outstanding entry again under the consents now on record,
//  from the original content: the sealed submit is opened and goes
//  through the same scanner and policy as on its first decision (the
//  redactor builds the view from it at send time). Returns 1 and the new
//  decision when it changed (stored and audited), 0 when it stands, -1
//  when the write failed. The decision is never wider than before.
static int
s_redecide_entry (redecide_t *r, const store_delivery_t *d, const char *node,
                  policy_decision_t *decision)
{
    handler_ctx_t *self = r->self;
    uint8_t *plain = NULL;
    size_t plain_size = 0;
    Samhand__V1__Submit *submit = NULL;
    if (crypto_open (keys_ring (self->keys), d->message_id, 16, (const uint8_t *) d->payload,
                     d->payload_size, &plain, &plain_size) == 0) {
        submit = samhand__v1__submit__unpack (NULL, plain_size, plain);
        crypto_cleanse (plain, plain_size);
        free (plain);
    }
    const node_t *sender = *d->sender_key? nodes_by_key (self->nodes, d->sender_key)
                                         : nodes_by_name (self->nodes, d->sender_node);
    memset (decision, 0, sizeof *decision);
    if (sender && submit) {
        policy_input_t in;
        submit_policy_input (self, sender, submit, d->kind, d->agency, r->policy, r->n,
                             submit_text_clean (self, sender, submit), &in);
        policy_decide (&in, decision);
        decision->classes_allowed &= d->classes;
        if (decision->view == SAMHAND__V1__VIEW__IDENTIFIED
        &&  d->view != SAMHAND__V1__VIEW__IDENTIFIED) {
            //  A re-decision never widens a view.
            decision->view = (Samhand__V1__View) d->view;
            decision->classes_allowed = d->classes;
        }
    }
    else {
        //  Fail closed: what cannot be decided again is not delivered.
        decision->view = SAMHAND__V1__VIEW__WITHHELD;
        decision->rule = policy_rule_default_deny.id;
        decision->legal_basis = policy_rule_default_deny.legal_basis;
        snprintf (decision->reason, sizeof decision->reason, "%s",
                  sender? "message cannot be opened": "sender no longer enrolled");
    }
    if (decision->view == (Samhand__V1__View) d->view && streq (decision->rule, d->rule)
    &&  decision->classes_allowed == d->classes) {
        samhand__v1__submit__free_unpacked (submit, NULL);
        return 0;
    }
    char first [sizeof decision->reason];
    memcpy (first, decision->reason, sizeof first);
    //  Cut short if need be: the reason is a sentence for people.
    if (snprintf (decision->reason, sizeof decision->reason, "decided again after %s: %s",
                  r->why, first) >= (int) sizeof decision->reason)
        decision->reason [sizeof decision->reason - 1] = 0;
    //  A view that now rests on the duty to avert is a disclosure under it:
    //  it gets its review record (who decided and why, sealed) as a first
    //  decision does, or `audit reviews` would not list it.
    char *review = NULL;
    if (decision->review && submit && submit->claim) {
        review = admin_review_detail (self, d->message_id, decision->reason, submit->claim);
        if (!review) {
            samhand__v1__submit__free_unpacked (submit, NULL);
            return -1;
        }
    }
    samhand__v1__submit__free_unpacked (submit, NULL);
    audit_record_t record = { .event = "redecided", .message_id = d->message_id,
                              .sender = d->sender_node, .node = node, .agency = d->agency,
                              .view = decision->view, .rule = decision->rule,
                              .basis = decision->legal_basis, .detail = decision->reason,
                              .subject_key = (const uint8_t *) d->subject_key };
    if (store_outbox_redecide (self->store, d->delivery_id, decision->view, decision->rule,
                               decision->legal_basis, decision->reason,
                               decision->classes_allowed)) {
        free (review);
        return -1;
    }
    //  An entry the node already received is not changed (it holds the
    //  view it was given, and gets a notice); the caller still uses the
    //  narrower decision for anything shown from now on.
    if (store_changes (self->store) == 0) {
        free (review);
        return 1;
    }
    audit_record_t reviewed = { .event = "decided", .message_id = d->message_id,
                                .sender = d->sender_node, .node = node, .agency = d->agency,
                                .view = decision->view, .rule = decision->rule,
                                .basis = decision->legal_basis, .detail = review,
                                .subject_key = (const uint8_t *) d->subject_key };
    int rc = audit_append (self->audit, &record, self->now_ms);
    if (rc == 0 && review)
        rc = audit_append (self->audit, &reviewed, self->now_ms);
    free (review);
    if (rc)
        return -1;
    r->redecided++;
    r->redecided_shown += d->agency > 0 && d->agency < 5 && (r->shown & (1u << d->agency));
    r->withheld += decision->view == SAMHAND__V1__VIEW__WITHHELD;
    session_t *session = sessions_get (self->sessions, node);
    if (session && decision->view == SAMHAND__V1__VIEW__WITHHELD && session->outstanding > 0)
        session->outstanding--;
    if (session)
        session->dirty = true;
    return 1;
}

static int
s_redecide_one (const store_delivery_t *d, void *arg)
{
    redecide_t *r = (redecide_t *) arg;
    policy_decision_t decision;
    if (s_redecide_entry (r, d, d->node, &decision) < 0)
        r->self->batch_failed = true;
    return 0;
}

//  Only a node of an agency the ended consent names can have received
//  anything on it: told to others, the notice named a consent they may not
//  see (one the crisis centre recorded for itself: its contact with her),
//  and told them to stop using what they received on their own consent.
static void
s_notify_node (const char *node, int agency, void *arg)
{
    void **args = (void **) arg;
    const registry_consent_t *c = (const registry_consent_t *) args [1];
    if (agency <= 0 || agency >= 5 || !(c->agencies & (1u << agency)))
        return;
    if (s_notify ((handler_ctx_t *) args [0], (const registry_consent_t *) args [1], 0, node, true,
                  (const char *) args [2]) < 0)
        ((handler_ctx_t *) args [0])->batch_failed = true;
}

//  After a consent stopped being in force (withdrawn or expired): every
//  outstanding delivery about the person is decided again, and nodes that
//  already received an identified view are told. Returns how many
//  deliveries were decided again; sets withheld, and shown: how many of
//  them a node of AGENCY may be told of (a count that took in the crisis
//  centre's entries told another agency what it held about her).
static int
s_consent_ended (handler_ctx_t *self, const registry_consent_t *c, const char *why,
                 const char *notice, int *withheld, int agency, int *shown)
{
    redecide_t *r = (redecide_t *) zmalloc (sizeof (redecide_t));
    if (!r) {
        self->batch_failed = true;
        return 0;
    }
    r->self = self;
    r->why = why;
    r->shown = agency == SAMHAND__V1__AGENCY__CRISIS_CENTRE? 0x1eu
             : 0x1eu & ~(1u << SAMHAND__V1__AGENCY__CRISIS_CENTRE);
    s_load (r, c->subject_key);
    if (store_outbox_for_subject (self->store, c->subject_key, s_redecide_one, r) < 0)
        self->batch_failed = true;
    void *args [3] = { self, (void *) c, (void *) notice };
    if (store_outbox_identified_nodes (self->store, c->subject_key, s_notify_node, args) < 0)
        self->batch_failed = true;
    int redecided = r->redecided;
    if (withheld)
        *withheld = r->withheld;
    if (shown)
        *shown = r->redecided_shown;
    free (r);
    return redecided;
}

int
consent_expired (handler_ctx_t *self, const char *consent_id)
{
    registry_consent_t c;
    if (registry_consent_get (self->registry, consent_id, &c) != 1)
        return 0;
    if (c.withdrawn_at && c.withdrawn_at <= c.valid_until)
        return 0;                       //  withdrawal already decided again
    if (self->now_ms / 1000 < c.valid_until)
        return 0;                       //  not yet: the timer was early
    audit_record_t record = { .event = "consent_expired", .sender = "samhandd",
                              .subject_key = c.subject_key, .detail = c.id };
    if (audit_append (self->audit, &record, self->now_ms)) {
        self->batch_failed = true;
        return 0;
    }
    int withheld = 0;
    int n = s_consent_ended (self, &c, "consent expiry",
                             "consent expired: do not use identifying information received on it",
                             &withheld, 0, NULL);
    zsys_info ("consent: %s expired; %d outstanding deliveries decided again (%d withheld)",
               c.id, n, withheld);
    return n;
}

int
consent_recheck (handler_ctx_t *self, store_delivery_t *d, const char *node)
{
    if (d->view != SAMHAND__V1__VIEW__IDENTIFIED || !streq (d->rule, "FVL13A1-CONSENT"))
        return 0;
    //  calloc, not zmalloc: czmq's zmalloc aborts the process when memory
    //  runs out (the whole broker, for one delivery's check).
    redecide_t *r = (redecide_t *) calloc (1, sizeof (redecide_t));
    if (!r) {
        //  Cannot check: not sent now, and not taken for withheld either.
        zsys_warning ("deliver: out of memory checking the consent behind delivery %" PRId64
                      " to %s: not sent now, tried again", d->delivery_id, node);
        return CONSENT_RECHECK_LATER;
    }
    r->self = self;
    r->why = "the consent ended";
    if (d->subject_key)
        s_load (r, (const uint8_t *) d->subject_key);
    policy_decision_t decision;
    int changed = s_redecide_entry (r, d, node, &decision);
    free (r);
    if (changed == 0)
        return 0;
    if (changed < 0) {
        self->batch_failed = true;
        return CONSENT_RECHECK_LATER;
    }
    zsys_warning ("deliver: delivery %" PRId64 " to %s rested on a consent no longer in force:"
                  " decided again (%s)", d->delivery_id, node, policy_view_name (decision.view));
    if (decision.view == SAMHAND__V1__VIEW__WITHHELD)
        return 2;
    d->view = decision.view;
    snprintf (d->rule, sizeof d->rule, "%s", decision.rule);
    snprintf (d->basis, sizeof d->basis, "%s", decision.legal_basis);
    snprintf (d->reason, sizeof d->reason, "%s", decision.reason);
    d->classes = decision.classes_allowed;
    return 1;
}

//  A consent record goes only to the agencies it names (DESIGN.md §2,
//  "consent record") and to the agency that recorded it: a crisis
//  centre's consent must not tell the police that the person was in
//  contact with it (krisesenterlova §5), nor name who assessed her. The
//  recording agency is the one stored with the consent when it was
//  recorded, never the recording node's agency now: a crisis-centre node
//  enrolled again as the police's must not bring the crisis centre's
//  consents with it. Unknown (0): the agencies it names only.
static bool
s_visible (handler_ctx_t *self, const node_t *node, const registry_consent_t *c)
{
    (void) self;
    if (node->agency <= 0 || node->agency >= 5)
        return false;
    if (c->agencies & (1u << node->agency))
        return true;
    return c->recorded_agency > 0 && c->recorded_agency == node->agency;
}

static void
s_collect (const char *name, void *arg)
{
    zlistx_add_end ((zlistx_t *) arg, (void *) name);
}

//  Assessors an older broker kept in clear are sealed now, once (the
//  live row's copy; what the database's free pages or WAL kept of the old
//  row is overwritten in time, as after any update). 0 or -1.
static int
s_seal_old_assessors (handler_ctx_t *self)
{
    zlistx_t *ids = zlistx_new ();
    if (!ids)
        return -1;
    zlistx_set_duplicator (ids, (czmq_duplicator *) strdup);
    zlistx_set_destructor (ids, (czmq_destructor *) zstr_free);
    int n = registry_consent_clear_assessors (self->registry, s_collect, ids);
    if (n <= 0) {
        zlistx_destroy (&ids);
        return n;
    }
    if (store_begin (self->store)) {
        zlistx_destroy (&ids);
        return -1;
    }
    for (const char *id = (const char *) zlistx_first (ids); id;
         id = (const char *) zlistx_next (ids)) {
        registry_consent_t c;
        char who [sizeof c.capacity_by];
        if (registry_consent_get (self->registry, id, &c) != 1) {
            store_fail_batch (self->store);
            break;
        }
        snprintf (who, sizeof who, "%s", c.capacity_by);
        if (s_assessor_seal (self, &c, who)
        ||  registry_consent_seal_assessor (self->registry, id, c.capacity_sealed,
                                            c.capacity_sealed_size)) {
            store_fail_batch (self->store);
            break;
        }
        crypto_cleanse (who, sizeof who);
    }
    zlistx_destroy (&ids);
    if (store_commit (self->store)) {
        zsys_error ("consent: cannot seal the assessors of older consents");
        return -1;
    }
    zsys_notice ("consent: who assessed capacity, kept in clear by an older samhandd, is now"
                 " sealed for %d consent(s)", n);
    return 0;
}

int
consent_start (handler_ctx_t *self)
{
    if (s_seal_old_assessors (self))
        return -1;
    zlistx_t *names = zlistx_new ();
    if (!names)
        return -1;
    zlistx_set_duplicator (names, (czmq_duplicator *) strdup);
    zlistx_set_destructor (names, (czmq_destructor *) zstr_free);
    int n = registry_consent_unknown_recorders (self->registry, s_collect, names);
    if (n <= 0) {
        zlistx_destroy (&names);
        return n;
    }
    if (store_begin (self->store)) {
        zlistx_destroy (&names);
        return -1;
    }
    for (const char *name = (const char *) zlistx_first (names); name;
         name = (const char *) zlistx_next (names)) {
        const node_t *node = nodes_by_name (self->nodes, name);
        int agency = node && node->agency > 0 && node->agency < 5? node->agency: 0;
        if (registry_consent_set_recorded_agency (self->registry, name, agency)) {
            store_fail_batch (self->store);
            break;
        }
        zsys_notice ("consent: consents recorded by %s before their recording agency was"
                     " stored are taken as %s's", name,
                     agency? config_agency_name (agency): "no agency's (seen by the agencies"
                     " they name only)");
    }
    zlistx_destroy (&names);
    if (store_commit (self->store)) {
        zsys_error ("consent: cannot record the recording agency of older consents");
        return -1;
    }
    return 0;
}

static void
s_withdraw (handler_ctx_t *self, zframe_t *routing_id, const node_t *node, const Samhand__V1__Frame *frame)
{
    const char *id = frame->consent_withdraw->consent_id;
    registry_consent_t c;
    int found = registry_consent_get (self->registry, id, &c);
    //  another agency's consent is answered as one that does not exist
    if (found != 1 || !s_visible (self, node, &c)) {
        s_refuse (self, routing_id, node, frame->request_id, SAMHAND__V1__ERROR_CODE__NOT_FOUND,
                  "no consent with that id");
        return;
    }
    if (c.withdrawn_at) {
        s_refuse (self, routing_id, node, frame->request_id, SAMHAND__V1__ERROR_CODE__INVALID_FIELD,
                  "that consent is already withdrawn");
        return;
    }
    if (store_begin (self->store)
    ||  registry_consent_withdraw (self->registry, id, self->now_ms / 1000, node->name) != 1) {
        s_refuse (self, routing_id, node, frame->request_id, SAMHAND__V1__ERROR_CODE__INTERNAL,
                  "could not record the withdrawal: retry");
        return;
    }
    audit_record_t record = { .event = "consent_withdrawn", .sender = node->name,
                              .subject_key = c.subject_key, .detail = id };
    if (audit_append (self->audit, &record, self->now_ms)
    ||  store_timer_cancel (self->store, CONSENT_TIMER, id, strlen (id)))
        self->batch_failed = true;
    int withheld = 0;
    int shown = 0;
    int redecided = s_consent_ended (self, &c, "consent withdrawal",
                                     "consent withdrawn: do not use identifying information received on it",
                                     &withheld, node->agency, &shown);
    Samhand__V1__ConsentReply reply = SAMHAND__V1__CONSENT_REPLY__INIT;
    reply.ok = true;
    reply.redecided = (uint32_t) shown;
    s_reply (self, routing_id, frame->request_id, &reply, true);
    zsys_info ("consent: %s withdrawn by %s; %d outstanding deliveries decided again (%d withheld)",
               id, node->name, redecided, withheld);
}

static void
s_list (handler_ctx_t *self, zframe_t *routing_id, const node_t *node, const Samhand__V1__Frame *frame)
{
    uint8_t key [32];
    if (s_subject_key (self, frame->consent_query->subject, key)) {
        s_refuse (self, routing_id, node, frame->request_id, SAMHAND__V1__ERROR_CODE__INVALID_FIELD,
                  "name the person: national id, name and birth date, or phone");
        return;
    }
    registry_consent_t *consents = (registry_consent_t *) calloc (MAX_CONSENTS, sizeof *consents);
    Samhand__V1__ConsentRecord *records = (Samhand__V1__ConsentRecord *) calloc (MAX_CONSENTS, sizeof *records);
    Samhand__V1__ConsentRecord **list = (Samhand__V1__ConsentRecord **) calloc (MAX_CONSENTS, sizeof *list);
    Samhand__V1__Agency (*agencies) [5] = calloc (MAX_CONSENTS, sizeof *agencies);
    Samhand__V1__DataClass (*classes) [8] = calloc (MAX_CONSENTS, sizeof *classes);
    char *(*purposes) [REGISTRY_MAX_PURPOSES] = calloc (MAX_CONSENTS, sizeof *purposes);
    char (*refs) [CRYPTO_CASE_REF_LEN] = calloc (MAX_CONSENTS, sizeof *refs);
    char (*assessors) [ASSESSOR_MAX] = calloc (MAX_CONSENTS, sizeof *assessors);
    int n = -1;
    audit_record_t record = { .event = "admin_query", .sender = node->name,
                              .subject_key = key, .detail = "consent list" };
    if (consents && records && list && agencies && classes && purposes && refs && assessors)
        n = registry_consents_for (self->registry, key, consents, MAX_CONSENTS);
    if (n < 0 || store_begin (self->store) || audit_append (self->audit, &record, self->now_ms)) {
        //  No memory, an unreadable registry, or the look-up cannot be
        //  audited: an answer all the same, never silence.
        s_refuse (self, routing_id, node, frame->request_id, SAMHAND__V1__ERROR_CODE__INTERNAL,
                  "the broker cannot list consents now: retry");
    }
    else {
        //  Only consents that name the asker's agency or were recorded by
        //  it: a consent record goes only to the agencies it names.
        int all = n;
        n = 0;
        for (int i = 0; i < all; i++) {
            if (!s_visible (self, node, &consents [i]))
                continue;
            s_to_record (self, &consents [i], node->agency, &records [n], agencies [n],
                         classes [n], purposes [n], refs [n], assessors [n]);
            list [n] = &records [n];
            n++;
        }
        Samhand__V1__ConsentReply reply = SAMHAND__V1__CONSENT_REPLY__INIT;
        reply.ok = true;
        reply.consents = list;
        reply.n_consents = (size_t) n;
        //  The look-up is audited before its answer goes out.
        s_reply (self, routing_id, frame->request_id, &reply, true);
    }
    free (consents); free (records); free (list); free (agencies); free (classes);
    free (purposes); free (refs);
    if (assessors) {
        crypto_cleanse (assessors, MAX_CONSENTS * sizeof *assessors);
        free (assessors);
    }
}

void
consent_handle (handler_ctx_t *self, zframe_t *routing_id, const node_t *node,
                const Samhand__V1__Frame *frame)
{
    if (!(self->config->role_kinds [node->role] & KIND_BIT_CONSENT)) {
        s_refuse (self, routing_id, node, frame->request_id, SAMHAND__V1__ERROR_CODE__NOT_PERMITTED,
                  "your role may not record or read consents");
        return;
    }
    if (frame->command_case == SAMHAND__V1__FRAME__COMMAND_CONSENT_GRANT)
        s_grant (self, routing_id, node, frame);
    else
    if (frame->command_case == SAMHAND__V1__FRAME__COMMAND_CONSENT_WITHDRAW)
        s_withdraw (self, routing_id, node, frame);
    else
        s_list (self, routing_id, node, frame);
}
