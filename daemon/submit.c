/*  submit — one Submit, from authorisation to durable outbox entries.
    Runs inside the cycle's transaction; the SubmitResult is queued and
    goes out only after the commit (see broker.c).                       */
#include "broker_internal.h"
#include "policy.h"
#include "redact.h"

#define MAX_CONSENTS   32
#define MAX_TARGETS    256
#define MAX_FINDINGS   32

typedef struct {
    const node_t *node;
    int agency;
    int decision;             //  index into decisions
} target_t;

typedef struct {
    broker_t *broker;
    const node_t *sender;
    const Samhand__V1__Frame *frame;
    const Samhand__V1__Submit *submit;
    zframe_t *routing_id;
    int kind;
    bool has_subject;
    uint8_t subject_key [32];
    registry_consent_t consents [MAX_CONSENTS];
    policy_consent_t policy_consents [MAX_CONSENTS];
    int n_consents;
    policy_decision_t decisions [5];      //  by agency
    bool decided [5];
    target_t targets [MAX_TARGETS];
    int n_targets;
} submit_t;

static int
s_kind_of (const Samhand__V1__Submit *submit)
{
    switch (submit->body_case) {
        case SAMHAND__V1__SUBMIT__BODY_CONCERN: return SAMHAND__V1__KIND__CONCERN_REPORT;
        case SAMHAND__V1__SUBMIT__BODY_RISK_CHANGE: return SAMHAND__V1__KIND__RISK_CHANGE;
        case SAMHAND__V1__SUBMIT__BODY_DISCUSSION: return SAMHAND__V1__KIND__CASE_DISCUSSION;
        case SAMHAND__V1__SUBMIT__BODY_CASE_STATUS: return SAMHAND__V1__KIND__CASE_STATUS;
        default: return 0;
    }
}

static const Samhand__V1__Subject *
s_subject (const Samhand__V1__Submit *submit)
{
    if (submit->body_case == SAMHAND__V1__SUBMIT__BODY_CONCERN)
        return submit->concern->subject;
    if (submit->body_case == SAMHAND__V1__SUBMIT__BODY_RISK_CHANGE)
        return submit->risk_change->subject;
    return NULL;
}

static const char *
s_case_ref (const Samhand__V1__Submit *submit)
{
    if (submit->body_case == SAMHAND__V1__SUBMIT__BODY_RISK_CHANGE)
        return submit->risk_change->case_ref;
    if (submit->body_case == SAMHAND__V1__SUBMIT__BODY_CASE_STATUS)
        return submit->case_status->case_ref;
    return NULL;
}

int
submit_subject_key (broker_t *self, const node_t *node, const Samhand__V1__Submit *submit,
                    uint8_t key [32])
{
    const Samhand__V1__Subject *subject = s_subject (submit);
    if (subject && crypto_subject_key (keys_subject_secret (self->keys), subject->national_id,
                                       subject->name, subject->birth_date, subject->phone,
                                       key) == 0)
        return 1;
    const char *ref = s_case_ref (submit);
    if (ref && *ref) {
        int found = registry_case_ref_get (self->registry, node->agency, ref, key);
        return found == 1? 1: -1;
    }
    return 0;
}

static void
s_refuse (submit_t *s, int code, const char *text)
{
    zsys_warning ("submit: refused %s from %s: %s: %s", config_kind_name (s->kind),
                  s->sender->name, frame_error_name (code), text);
    broker_audit (s->broker, "refused", s->submit->message_id.data, s->sender->name,
                  frame_error_name (code));
    Samhand__V1__Frame reply = SAMHAND__V1__FRAME__INIT;
    Samhand__V1__SubmitResult result = SAMHAND__V1__SUBMIT_RESULT__INIT;
    Samhand__V1__Error error = SAMHAND__V1__ERROR__INIT;
    error.code = (Samhand__V1__ErrorCode) code;
    error.text = (char *) text;
    error.message_id = s->submit->message_id;
    result.message_id = s->submit->message_id;
    result.error = &error;
    reply.request_id = s->frame->request_id;
    reply.command_case = SAMHAND__V1__FRAME__COMMAND_SUBMIT_RESULT;
    reply.submit_result = &result;
    size_t size;
    uint8_t *data = frame_encode (&reply, &size);
    broker_reply (s->broker, s->routing_id, data, size, false, s->frame->request_id);
}

//  Anonymised discussions are refused, not stored, when the scanner finds
//  anything that may identify a person. The reply names the kinds and
//  positions of what was found, never the identifier itself.
static int
s_scan_discussion (submit_t *s)
{
    const Samhand__V1__CaseDiscussion *d = s->submit->discussion;
    const char *fields [2] = { d->text, d->question };
    const char *names [2] = { "text", "question" };
    scan_finding_t found [MAX_FINDINGS];
    Samhand__V1__Finding findings [MAX_FINDINGS];
    Samhand__V1__Finding *list [MAX_FINDINGS];
    size_t n = 0;
    for (int f = 0; f < 2; f++) {
        size_t count = scanner_scan (fields [f], strlen (fields [f]), s->broker->known,
                                     found, MAX_FINDINGS);
        if (count > MAX_FINDINGS)
            count = MAX_FINDINGS;
        for (size_t i = 0; i < count && n < MAX_FINDINGS; i++, n++) {
            samhand__v1__finding__init (&findings [n]);
            findings [n].kind = (char *) scanner_kind_name (found [i].kind);
            findings [n].field = (char *) names [f];
            findings [n].offset = (uint32_t) found [i].offset;
            findings [n].length = (uint32_t) found [i].length;
            list [n] = &findings [n];
        }
    }
    if (n == 0)
        return 0;
    char text [200];
    snprintf (text, sizeof text, "the discussion may identify a person (%zu finding%s, first: %s"
              " in %s at %u): remove it and send again", n, n == 1? "": "s",
              findings [0].kind, findings [0].field, findings [0].offset);
    zsys_warning ("submit: discussion from %s refused: %s", s->sender->name, text);
    broker_audit (s->broker, "refused", s->submit->message_id.data, s->sender->name,
                  "IDENTIFIER_FOUND");
    Samhand__V1__Frame reply = SAMHAND__V1__FRAME__INIT;
    Samhand__V1__SubmitResult result = SAMHAND__V1__SUBMIT_RESULT__INIT;
    Samhand__V1__Error error = SAMHAND__V1__ERROR__INIT;
    error.code = SAMHAND__V1__ERROR_CODE__IDENTIFIER_FOUND;
    error.text = text;
    error.message_id = s->submit->message_id;
    error.findings = list;
    error.n_findings = n;
    result.message_id = s->submit->message_id;
    result.error = &error;
    reply.request_id = s->frame->request_id;
    reply.command_case = SAMHAND__V1__FRAME__COMMAND_SUBMIT_RESULT;
    reply.submit_result = &result;
    size_t size;
    uint8_t *data = frame_encode (&reply, &size);
    broker_reply (s->broker, s->routing_id, data, size, false, s->frame->request_id);
    return -1;
}

//  True when every free-text field of the message passes the scanner.
static bool
s_text_clean (submit_t *s)
{
    const Samhand__V1__Submit *m = s->submit;
    const char *texts [4] = { NULL, NULL, NULL, NULL };
    if (m->body_case == SAMHAND__V1__SUBMIT__BODY_CONCERN) {
        texts [0] = m->concern->text;
        texts [1] = m->concern->not_informed_reason;
    }
    else
    if (m->body_case == SAMHAND__V1__SUBMIT__BODY_RISK_CHANGE)
        texts [0] = m->risk_change->text;
    else
    if (m->body_case == SAMHAND__V1__SUBMIT__BODY_CASE_STATUS)
        texts [0] = m->case_status->text;
    else
        return true;      //  a discussion got here only by passing the full scan
    scan_finding_t found [1];
    for (int i = 0; i < 4; i++)
        if (texts [i] && *texts [i]
        &&  scanner_scan (texts [i], strlen (texts [i]), s->broker->known, found, 1) > 0)
            return false;
    if (m->body_case == SAMHAND__V1__SUBMIT__BODY_RISK_CHANGE)
        for (size_t i = 0; i < m->risk_change->n_risk_factors; i++) {
            const char *f = m->risk_change->risk_factors [i];
            if (scanner_scan (f, strlen (f), s->broker->known, found, 1) > 0)
                return false;
        }
    return true;
}

//  Names and phones of identified messages become known identifiers, kept
//  as keyed hashes, so a later "anonymised" text naming them is caught.
static void
s_learn_identifiers (submit_t *s)
{
    const Samhand__V1__Subject *subject = s_subject (s->submit);
    if (!subject)
        return;
    scan_known_t *known = s->broker->known;
    uint8_t hashes [SCAN_NAME_HASHES_MAX][SCAN_HASH_SIZE];
    if (*subject->name) {
        int n = scan_known_name_hashes (known, subject->name, strlen (subject->name), hashes);
        for (int i = 0; i < n; i++)
            if (!scan_known_contains (known, hashes [i])
            &&  scan_known_add_hash (known, hashes [i]) == 0
            &&  registry_known_add (s->broker->registry, hashes [i], SCAN_KNOWN_NAME))
                store_fail_batch (s->broker->store);    //  the batch is refused whole
    }
    if (*subject->phone
    &&  scan_known_phone_hash (known, subject->phone, strlen (subject->phone), hashes [0]) == 0
    &&  !scan_known_contains (known, hashes [0])
    &&  scan_known_add_hash (known, hashes [0]) == 0
    &&  registry_known_add (s->broker->registry, hashes [0], SCAN_KNOWN_PHONE))
        store_fail_batch (s->broker->store);
}

static void
s_load_consents (submit_t *s)
{
    s->n_consents = 0;
    if (!s->has_subject)
        return;
    int n = registry_consents_for (s->broker->registry, s->subject_key, s->consents, MAX_CONSENTS);
    if (n < 0)
        store_fail_batch (s->broker->store);    //  consents unknown: decide nothing, retry
    for (int i = 0; i < n; i++) {
        registry_consent_t *c = &s->consents [i];
        policy_consent_t *p = &s->policy_consents [i];
        memset (p, 0, sizeof *p);
        p->agencies = c->agencies;
        p->classes = c->classes;
        p->purposes = c->purposes;
        p->n_purposes = c->n_purposes;
        p->valid_from = c->valid_from;
        p->valid_until = c->valid_until;
        p->withdrawn_at = c->withdrawn_at;
        p->consent_id = c->id;
    }
    s->n_consents = n > 0? n: 0;
}

//  Fills a policy input for one recipient agency.
void
submit_policy_input (broker_t *self, const node_t *sender, const Samhand__V1__Submit *submit,
                     int kind, int recipient, const policy_consent_t *consents, int n_consents,
                     bool text_clean, policy_input_t *in)
{
    memset (in, 0, sizeof *in);
    const Samhand__V1__LegalClaim *claim = submit->claim;
    in->kind = (Samhand__V1__Kind) kind;
    in->classes_present = redact_classes_present (submit);
    in->sender_agency = (Samhand__V1__Agency) sender->agency;
    in->sender_role = (policy_role_t) sender->role;
    in->recipient = (Samhand__V1__Agency) recipient;
    in->consents = consents;
    in->n_consents = (size_t) n_consents;
    in->purpose = submit->purpose;
    in->now = self->now_ms / 1000;
    in->basis = claim? claim->basis: SAMHAND__V1__BASIS__BASIS_UNSPECIFIED;
    in->justification = claim? claim->justification: "";
    in->decision_maker = claim? claim->decision_maker: "";
    in->statute = claim? claim->statute: "";
    in->text_clean = text_clean;
}

static uint32_t
s_recipients (submit_t *s)
{
    uint32_t mask = 0;
    for (size_t i = 0; i < s->submit->n_recipients; i++)
        mask |= 1u << s->submit->recipients [i];
    return mask? mask: s->broker->config->routes [s->kind];
}

//  Does this node's subscription take this message?
static bool
s_subscribed (submit_t *s, const node_t *node)
{
    session_t *session = broker_subscription (s->broker, node);
    if (!session || !(session->sub_kinds & (1u << s->kind)))
        return false;
    if (s->kind == SAMHAND__V1__KIND__CONCERN_REPORT
    &&  (int) s->submit->concern->urgency < session->sub_min_urgency)
        return false;
    if (s->kind == SAMHAND__V1__KIND__RISK_CHANGE
    &&  (int) s->submit->risk_change->level < session->sub_min_level)
        return false;
    return true;
}

static void
s_decide (submit_t *s)
{
    uint32_t recipients = s_recipients (s);
    bool clean = s_text_clean (s);
    for (int agency = 1; agency < 5; agency++) {
        if (!(recipients & (1u << agency)))
            continue;
        policy_input_t in;
        submit_policy_input (s->broker, s->sender, s->submit, s->kind, agency,
                             s->policy_consents, s->n_consents, clean, &in);
        policy_decide (&in, &s->decisions [agency]);
        s->decided [agency] = true;
        if (s->decisions [agency].view == SAMHAND__V1__VIEW__WITHHELD)
            continue;
        for (size_t i = 0; i < nodes_size (s->broker->nodes) && s->n_targets < MAX_TARGETS; i++) {
            const node_t *node = nodes_at (s->broker->nodes, i);
            if (node->agency == agency && node != s->sender && s_subscribed (s, node))
                s->targets [s->n_targets++] = (target_t) { node, agency, agency };
        }
    }
}

//  Never a silent drop: if any recipient's outbox is full, refuse it all.
static const node_t *
s_full_outbox (submit_t *s)
{
    for (int i = 0; i < s->n_targets; i++) {
        session_t *session = broker_session (s->broker, s->targets [i].node->name);
        if (!session || session->outstanding >= s->broker->config->max_outbox)
            return s->targets [i].node;
    }
    return NULL;
}

static int
s_store_message (submit_t *s, const uint8_t *result, size_t result_size, int64_t *message)
{
    size_t plain_size = samhand__v1__submit__get_packed_size (s->submit);
    uint8_t *plain = (uint8_t *) malloc (plain_size? plain_size: 1);
    uint8_t *sealed = NULL;
    size_t sealed_size = 0;
    if (!plain)
        return -1;
    samhand__v1__submit__pack (s->submit, plain);
    int rc = crypto_seal (keys_ring (s->broker->keys), s->submit->message_id.data, 16,
                          plain, plain_size, &sealed, &sealed_size);
    uint8_t content_hash [32];
    if (rc == 0)
        rc = crypto_sha256 (plain, plain_size, content_hash);
    crypto_cleanse (plain, plain_size);
    free (plain);
    if (rc)
        return -1;
    //  A sender may shorten the kind's time to live, never lengthen it.
    int64_t ttl = s->broker->config->ttl_ms [s->kind];
    if (s->submit->ttl_seconds && (int64_t) s->submit->ttl_seconds * 1000 < ttl)
        ttl = (int64_t) s->submit->ttl_seconds * 1000;
    store_message_t msg = {
        .sender_key = s->sender->key, .message_id = s->submit->message_id.data,
        .sender_node = s->sender->name, .sender_agency = s->sender->agency,
        .kind = s->kind,
        //  Set apart for the reader: an acute concern, or imminent risk.
        .acute = (s->kind == SAMHAND__V1__KIND__CONCERN_REPORT
                  && s->submit->concern->urgency == SAMHAND__V1__URGENCY__ACUTE)
              || (s->kind == SAMHAND__V1__KIND__RISK_CHANGE && s->submit->risk_change->imminent),
        .subject_key = s->has_subject? s->subject_key: NULL,
        .payload = sealed, .payload_size = sealed_size,
        .result = result, .result_size = result_size,
        .created_ms = s->broker->now_ms, .expires_ms = s->broker->now_ms + ttl };
    rc = store_message_insert (s->broker->store, &msg);
    free (sealed);
    if (rc)
        return -1;
    *message = msg.message;
    if (workflow_submitted (s->broker, msg.message, s->submit->message_id.data, s->submit,
                            msg.subject_key))
        return -1;
    //  One record carries the submit and every agency's decision: an audit
    //  record costs about as much as the rest of a submit, and the rule id
    //  names its legal basis (docs/POLICY.md). Deliveries get their own.
    char detail [600];
    size_t len = (size_t) snprintf (detail, sizeof detail, "%s", config_kind_name (s->kind));
    for (int agency = 1; agency < 5 && len < sizeof detail; agency++)
        if (s->decided [agency])
            len += (size_t) snprintf (detail + len, sizeof detail - len, "; %s=%s %s",
                                      config_agency_name (agency),
                                      policy_view_name (s->decisions [agency].view),
                                      s->decisions [agency].rule);
    audit_record_t record = { .event = "submitted", .message_id = s->submit->message_id.data,
                              .sender = s->sender->name, .agency = s->sender->agency,
                              .content_hash = content_hash,
                              .subject_key = msg.subject_key,
                              .detail = detail };
    return audit_append (s->broker->audit, &record, s->broker->now_ms);
}

//  Mints the case reference each deciding agency will see, so a node can
//  later refer to the case by its own agency's reference.
static void
s_mint_case_refs (submit_t *s, char refs [5][CRYPTO_CASE_REF_LEN])
{
    static const char *prefixes [5] = { NULL, "RC", "TE", "PR", "KS" };
    memset (refs, 0, 5 * CRYPTO_CASE_REF_LEN);
    if (!s->has_subject)
        return;
    for (int agency = 1; agency < 5; agency++) {
        if (!s->decided [agency] && agency != s->sender->agency)
            continue;
        if (crypto_case_ref (keys_pseudonym_secret (s->broker->keys), prefixes [agency],
                             s->subject_key, refs [agency]) == 0
        &&  registry_case_ref_put (s->broker->registry, agency, refs [agency], s->subject_key))
            store_fail_batch (s->broker->store);    //  the ack becomes INTERNAL
    }
}

static int
s_store_outbox (submit_t *s, int64_t message)
{
    for (int i = 0; i < s->n_targets; i++) {
        target_t *t = &s->targets [i];
        policy_decision_t *d = &s->decisions [t->decision];
        if (store_outbox_insert (s->broker->store, message, t->node->name, t->agency, d->view,
                                 d->rule, d->legal_basis, d->reason, d->classes_allowed) < 0)
            return -1;
        session_t *session = broker_session (s->broker, t->node->name);
        if (session) {
            session->outstanding++;
            session->dirty = true;
        }
    }
    //  A disclosure under the duty to avert gets a record of its own, with
    //  its basis and decision-maker, marked for review.
    for (int agency = 1; agency < 5; agency++) {
        policy_decision_t *d = &s->decisions [agency];
        if (!s->decided [agency] || !d->review)
            continue;
        char detail [400];
        snprintf (detail, sizeof detail, "duty to avert, marked for review: %s", d->reason);
        audit_record_t record = { .event = "decided", .message_id = s->submit->message_id.data,
                                  .sender = s->sender->name, .agency = agency, .view = d->view,
                                  .rule = d->rule, .basis = d->legal_basis,
                                  .subject_key = s->has_subject? s->subject_key: NULL,
                                  .detail = detail };
        if (audit_append (s->broker->audit, &record, s->broker->now_ms))
            return -1;
    }
    return 0;
}

//  Packs the SubmitResult. It is stored with the message, so a retry gets
//  the very same answer. Returns a malloc'd buffer or NULL.
static uint8_t *
s_result_pack (submit_t *s, char refs [5][CRYPTO_CASE_REF_LEN], size_t *size)
{
    Samhand__V1__AgencyDecision decisions [5], *list [5];
    size_t n = 0;
    for (int agency = 1; agency < 5; agency++) {
        if (!s->decided [agency])
            continue;
        policy_decision_t *d = &s->decisions [agency];
        samhand__v1__agency_decision__init (&decisions [n]);
        decisions [n].agency = (Samhand__V1__Agency) agency;
        decisions [n].view = d->view;
        decisions [n].rule = (char *) d->rule;
        decisions [n].legal_basis = (char *) d->legal_basis;
        decisions [n].reason = d->reason;
        for (int i = 0; i < s->n_targets; i++)
            decisions [n].nodes += s->targets [i].agency == agency;
        list [n] = &decisions [n];
        n++;
    }
    Samhand__V1__SubmitResult result = SAMHAND__V1__SUBMIT_RESULT__INIT;
    result.message_id = s->submit->message_id;
    result.accepted = true;
    result.decisions = list;
    result.n_decisions = n;
    result.case_ref = refs [s->sender->agency];
    *size = samhand__v1__submit_result__get_packed_size (&result);
    uint8_t *packed = (uint8_t *) malloc (*size? *size: 1);
    if (packed)
        samhand__v1__submit_result__pack (&result, packed);
    return packed;
}

//  Queues a stored result as the reply (it goes out after the commit);
//  a retry gets the original result marked duplicate. -1 if unreadable.
static int
s_result_reply (submit_t *s, const uint8_t *packed, size_t size, bool duplicate)
{
    Samhand__V1__SubmitResult *result = samhand__v1__submit_result__unpack (NULL, size, packed);
    if (!result)
        return -1;
    result->duplicate = duplicate;
    Samhand__V1__Frame reply = SAMHAND__V1__FRAME__INIT;
    reply.request_id = s->frame->request_id;
    reply.command_case = SAMHAND__V1__FRAME__COMMAND_SUBMIT_RESULT;
    reply.submit_result = result;
    uint8_t *data = frame_encode (&reply, &size);
    samhand__v1__submit_result__free_unpacked (result, NULL);
    broker_reply (s->broker, s->routing_id, data, size, true, s->frame->request_id);
    return 0;
}

static int
s_authorise (submit_t *s)
{
    char err [200];
    const Samhand__V1__LegalClaim *claim = s->submit->claim;
    if (!(s->broker->config->role_kinds [s->sender->role] & (1u << s->kind))) {
        snprintf (err, sizeof err, "role %s may not send %s", config_role_name (s->sender->role),
                  config_kind_name (s->kind));
        s_refuse (s, SAMHAND__V1__ERROR_CODE__NOT_PERMITTED, err);
        return -1;
    }
    int code = policy_check_claim ((Samhand__V1__Kind) s->kind,
                                   claim? claim->basis: SAMHAND__V1__BASIS__BASIS_UNSPECIFIED,
                                   claim? claim->justification: "",
                                   claim? claim->decision_maker: "",
                                   claim? claim->statute: "", err, sizeof err);
    if (code) {
        s_refuse (s, code, err);
        return -1;
    }
    return 0;
}

//  Decides and stores an authorised submit; queues its result or refusal.
static void
s_accept (submit_t *s)
{
    broker_t *self = s->broker;
    int has = submit_subject_key (self, s->sender, s->submit, s->subject_key);
    if (has < 0) {
        s_refuse (s, SAMHAND__V1__ERROR_CODE__NOT_FOUND, "unknown case reference for your agency");
        return;
    }
    s->has_subject = has == 1;
    s_learn_identifiers (s);
    s_load_consents (s);
    s_decide (s);
    const node_t *full = s_full_outbox (s);
    if (full) {
        char text [200];
        snprintf (text, sizeof text, "the outbox of %s is full (%d waiting): nothing was"
                  " stored; try again later and alert the administrator",
                  full->name, self->config->max_outbox);
        s_refuse (s, SAMHAND__V1__ERROR_CODE__OUTBOX_FULL, text);
        return;
    }
    char refs [5][CRYPTO_CASE_REF_LEN];
    s_mint_case_refs (s, refs);
    size_t result_size = 0;
    int64_t message = 0;
    uint8_t *result = s_result_pack (s, refs, &result_size);
    if (!result
    ||  s_store_message (s, result, result_size, &message)
    ||  s_store_outbox (s, message)) {
        //  A write failed inside the cycle's transaction: the whole batch
        //  is rolled back and nothing of it is acknowledged.
        self->batch_failed = true;
        s_refuse (s, SAMHAND__V1__ERROR_CODE__INTERNAL, "could not store: retry");
    }
    else {
        s_result_reply (s, result, result_size, false);
        self->submits++;
    }
    free (result);
}

void
submit_handle (broker_t *self, zframe_t *routing_id, const node_t *node,
               const Samhand__V1__Frame *frame)
{
    submit_t *s = (submit_t *) zmalloc (sizeof (submit_t));
    if (!s || store_begin (self->store)) {
        free (s);
        broker_reply_error (self, routing_id, frame->request_id,
                            SAMHAND__V1__ERROR_CODE__INTERNAL, "broker busy: retry", NULL);
        return;
    }
    s->broker = self;
    s->sender = node;
    s->frame = frame;
    s->submit = frame->submit;
    s->routing_id = routing_id;
    s->kind = s_kind_of (s->submit);
    uint8_t *stored = NULL;
    size_t stored_size = 0;
    int found = store_message_find (self->store, node->key, s->submit->message_id.data,
                                    &stored, &stored_size);
    if (found == 1) {
        if (s_result_reply (s, stored, stored_size, true))
            s_refuse (s, SAMHAND__V1__ERROR_CODE__INTERNAL, "stored result unreadable");
    }
    else
    if (found < 0)
        s_refuse (s, SAMHAND__V1__ERROR_CODE__INTERNAL, "store unavailable: retry");
    else
    if (s_authorise (s) == 0
    &&  (s->kind != SAMHAND__V1__KIND__CASE_DISCUSSION || s_scan_discussion (s) == 0))
        s_accept (s);
    free (stored);
    free (s);
}
