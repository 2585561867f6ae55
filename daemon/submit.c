/*  submit — one Submit, from authorisation to durable outbox entries.
    Runs inside the cycle's transaction; the SubmitResult is queued and
    goes out only after the commit (replies.h).                          */
#include "submit.h"
#include "admin.h"
#include "workflow.h"
#include "policy.h"
#include "redact.h"
#include "notice.h"
#include "plan.h"
#include "retention.h"

#define MAX_CONSENTS   32
//  Outbox quotas (see PROTOCOL.md 7): one sender may fill at most half of a
//  node's limits/max_outbox; an acute concern or an imminent risk change is
//  never refused for other senders' backlog, only at the hard ceiling of
//  twice max_outbox. The administrators hear of a backlog past half of
//  max_outbox, at most once per BACKLOG_ALERT_EVERY_MS per node.
#define SENDER_SHARE(max)      ((max) / 2 > 0? (max) / 2: 1)
#define HARD_CEILING(max)      ((max) * 2)
#define BACKLOG_ALERT_AT(max)  ((max) / 2 > 0? (max) / 2: 1)
#define BACKLOG_ALERT_EVERY_MS (10 * 60 * 1000)
#define MAX_FINDINGS   32

typedef struct {
    const node_t *node;
    int agency;
    int decision;             //  index into decisions
} target_t;

typedef struct {
    handler_ctx_t *self;
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
    //  One per enrolled node at most (allocated per submit): a fixed 256
    //  dropped every subscribed node past the 256th without a word.
    target_t *targets;
    int n_targets;
    int enrolled [5];         //  nodes of each agency other than the sender
    char warnings [5][200];   //  "" or why an agency gets no copy
} submit_t;

static int
s_kind_of (const Samhand__V1__Submit *submit)
{
    switch (submit->body_case) {
        case SAMHAND__V1__SUBMIT__BODY_CONCERN: return SAMHAND__V1__KIND__CONCERN_REPORT;
        case SAMHAND__V1__SUBMIT__BODY_RISK_CHANGE: return SAMHAND__V1__KIND__RISK_CHANGE;
        case SAMHAND__V1__SUBMIT__BODY_DISCUSSION: return SAMHAND__V1__KIND__CASE_DISCUSSION;
        case SAMHAND__V1__SUBMIT__BODY_CASE_STATUS: return SAMHAND__V1__KIND__CASE_STATUS;
        case SAMHAND__V1__SUBMIT__BODY_RISK_PLAN: return SAMHAND__V1__KIND__RISK_PLAN;
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
    if (submit->body_case == SAMHAND__V1__SUBMIT__BODY_RISK_PLAN)
        return submit->risk_plan->subject;
    return NULL;
}

static const char *
s_case_ref (const Samhand__V1__Submit *submit)
{
    if (submit->body_case == SAMHAND__V1__SUBMIT__BODY_RISK_CHANGE)
        return submit->risk_change->case_ref;
    if (submit->body_case == SAMHAND__V1__SUBMIT__BODY_CASE_STATUS)
        return submit->case_status->case_ref;
    if (submit->body_case == SAMHAND__V1__SUBMIT__BODY_RISK_PLAN)
        return submit->risk_plan->case_ref;
    return NULL;
}

int
submit_subject_key (handler_ctx_t *self, const node_t *node, const Samhand__V1__Submit *submit,
                    uint8_t key [32])
{
    const Samhand__V1__Subject *subject = s_subject (submit);
    const char *ref = s_case_ref (submit);
    if (subject && crypto_subject_key (keys_subject_secret (self->keys), subject->national_id,
                                       subject->name, subject->birth_date, subject->phone,
                                       key) == 0) {
        //  Named twice, as two people: which one was meant cannot be known.
        uint8_t by_ref [32];
        if (ref && *ref && registry_case_ref_get (self->registry, node->agency, ref, by_ref) == 1
        &&  memcmp (by_ref, key, 32) != 0)
            return -2;
        return 1;
    }
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
    handler_audit (s->self, "refused", s->submit->message_id.data, s->sender->name,
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
    replies_add (s->self->replies, s->routing_id, data, size, false, s->frame->request_id);
}

//  Refusals for identifiers, per node: past PROBE_LIMIT in PROBE_WINDOW_MS
//  a node's discussions are refused unscanned until the window has passed,
//  so nobody can test names or numbers against the scanner at speed. The
//  count lives in memory (a restart forgets it; the audit does not).
#define PROBE_LIMIT      10
#define PROBE_WINDOW_MS  (60 * 60 * 1000)

typedef struct {
    int64_t since;            //  start of the current window
    int     count;            //  IDENTIFIER_FOUND refusals in it
} probe_window_t;

static probe_window_t *
s_probe_window (submit_t *s)
{
    zhashx_t *probes = s->self->probes;
    probe_window_t *w = probes? (probe_window_t *) zhashx_lookup (probes, s->sender->name): NULL;
    if (!w && probes) {
        w = (probe_window_t *) zmalloc (sizeof (probe_window_t));
        if (w && zhashx_insert (probes, s->sender->name, w) != 0) {
            free (w);
            w = NULL;
        }
    }
    if (w && s->self->now_ms - w->since >= PROBE_WINDOW_MS) {
        w->since = s->self->now_ms;
        w->count = 0;
    }
    return w;
}

//  A finding kind list for the log and the audit ("name,phone"): kinds
//  only, never the identifier or where it stood.
static void
s_kinds_text (const scan_finding_t *found, size_t n, char *out, size_t size)
{
    size_t len = 0;
    out [0] = '\0';
    for (size_t i = 0; i < n && len < size; i++) {
        const char *kind = scanner_kind_name (found [i].kind);
        bool seen = false;
        for (size_t k = 0; k < i && !seen; k++)
            seen = found [k].kind == found [i].kind;
        if (!seen)
            len += (size_t) snprintf (out + len, size - len, "%s%s", len? ",": "", kind);
    }
}

//  Every free-text field of a message, in a fixed order, with its name.
//  Returns how many (at most max).
static size_t
s_text_fields (const Samhand__V1__Submit *m, const char **texts, const char **names, size_t max)
{
    size_t n = 0;
#define ADD(t, name) do { if (n < max && (t)) { texts [n] = (t); names [n] = (name); n++; } } while (0)
    switch (m->body_case) {
        case SAMHAND__V1__SUBMIT__BODY_DISCUSSION:
            ADD (m->discussion->text, "text");
            ADD (m->discussion->question, "question");
            break;
        case SAMHAND__V1__SUBMIT__BODY_CONCERN:
            ADD (m->concern->text, "text");
            ADD (m->concern->not_informed_reason, "not_informed_reason");
            break;
        case SAMHAND__V1__SUBMIT__BODY_RISK_CHANGE:
            ADD (m->risk_change->text, "text");
            for (size_t i = 0; i < m->risk_change->n_risk_factors; i++)
                ADD (m->risk_change->risk_factors [i], "risk_factors");
            break;
        case SAMHAND__V1__SUBMIT__BODY_CASE_STATUS:
            ADD (m->case_status->text, "text");
            break;
        default:
            break;
    }
#undef ADD
    return n;
}

//  Scans the fields together for the sender's agency. Returns the number
//  of findings in all (found holds up to max of them).
#define MAX_TEXT_FIELDS 40
static size_t
s_scan_fields (handler_ctx_t *self, const node_t *sender, const char **texts, size_t n,
               scan_finding_t *found, size_t max)
{
    size_t lens [MAX_TEXT_FIELDS];
    for (size_t i = 0; i < n; i++)
        lens [i] = strlen (texts [i]);
    int agency = sender->agency > 0 && sender->agency < 5? sender->agency: 0;
    scan_ctx_t ctx = { .known = self->known [agency], .lex = self->names };
    return scanner_scan_fields (&ctx, texts, lens, n, found, max);
}

//  The alert that a node hit the probe limit, to every admin node.
static void
s_probe_alert (submit_t *s)
{
    char text [200];
    snprintf (text, sizeof text, "node %s had %d discussions refused for identifiers within"
              " an hour: its discussions are refused unscanned for the rest of the hour",
              s->sender->name, PROBE_LIMIT);
    zsys_warning ("submit: %s", text);
    notice_to_t to = { 0x1F, 1u << POLICY_ROLE_ADMIN, NULL };
    if (notice_alert (s->self, "probe_limit", NULL, NULL, text, false,
                      to, NULL) < 0)
        s->self->batch_failed = true;
}

//  Anonymised discussions are refused, not stored, when the scanner finds
//  anything that may identify a person. The reply names the kinds and
//  positions of what was found, never the identifier itself, and is the
//  same whether the broker had seen the identifier or not.
static int
s_scan_discussion (submit_t *s)
{
    probe_window_t *w = s_probe_window (s);
    if (!w || w->count >= PROBE_LIMIT) {
        //  Distinct from IDENTIFIER_FOUND, and the same whatever the text.
        handler_audit (s->self, "refused", s->submit->message_id.data, s->sender->name,
                       "PROBE_LIMIT");
        s_refuse (s, SAMHAND__V1__ERROR_CODE__NOT_PERMITTED,
                  "too many discussions from this node were refused for identifiers within"
                  " the hour: discussions are paused; the administrator has been alerted");
        return -1;
    }
    const char *texts [2], *names [2];
    size_t nf = s_text_fields (s->submit, texts, names, 2);
    scan_finding_t found [MAX_FINDINGS];
    Samhand__V1__Finding findings [MAX_FINDINGS];
    Samhand__V1__Finding *list [MAX_FINDINGS];
    size_t n = s_scan_fields (s->self, s->sender, texts, nf, found, MAX_FINDINGS);
    if (n > MAX_FINDINGS)
        n = MAX_FINDINGS;
    for (size_t i = 0; i < n; i++) {
        samhand__v1__finding__init (&findings [i]);
        findings [i].kind = (char *) scanner_kind_name (found [i].kind);
        findings [i].field = (char *) names [found [i].field];
        findings [i].offset = (uint32_t) found [i].offset;
        findings [i].length = (uint32_t) found [i].length;
        list [i] = &findings [i];
    }
    if (n == 0)
        return 0;
    char kinds [160], detail [200], text [200];
    s_kinds_text (found, n, kinds, sizeof kinds);
    snprintf (text, sizeof text, "the discussion may identify a person (%zu finding%s, first: %s"
              " in %s at %u): remove it and send again", n, n == 1? "": "s",
              findings [0].kind, findings [0].field, findings [0].offset);
    snprintf (detail, sizeof detail, "IDENTIFIER_FOUND: %s", kinds);
    w->count++;
    zsys_warning ("submit: discussion from %s refused for identifiers (%s), %d in this hour",
                  s->sender->name, kinds, w->count);
    handler_audit (s->self, "refused", s->submit->message_id.data, s->sender->name, detail);
    if (w->count == PROBE_LIMIT)
        s_probe_alert (s);
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
    replies_add (s->self->replies, s->routing_id, data, size, false, s->frame->request_id);
    return -1;
}

bool
submit_text_clean (handler_ctx_t *self, const node_t *sender, const Samhand__V1__Submit *submit)
{
    assert (self && sender && submit);
    const char *texts [MAX_TEXT_FIELDS], *names [MAX_TEXT_FIELDS];
    size_t n = s_text_fields (submit, texts, names, MAX_TEXT_FIELDS);
    if (submit->body_case == SAMHAND__V1__SUBMIT__BODY_RISK_CHANGE
    &&  submit->risk_change->n_risk_factors + 1 > MAX_TEXT_FIELDS)
        return false;               //  more fields than we scan: not clean
    scan_finding_t found [1];
    return s_scan_fields (self, sender, texts, n, found, 1) == 0;
}

//  Names of identified messages become known to the agencies that have
//  seen them identified: the sender's, and each recipient agency whose
//  view is IDENTIFIED. Kept as keyed hashes, per agency, so a later
//  "anonymised" text from that agency naming them is caught, and nothing
//  withheld from (or pseudonymised for) an agency changes its answers.
//  Called only for an accepted submit, after its decisions.
static void
s_learn_identifiers (submit_t *s)
{
    const Samhand__V1__Subject *subject = s_subject (s->submit);
    if (!subject || !*subject->name)
        return;
    uint32_t agencies = 0;
    if (s->sender->agency > 0 && s->sender->agency < 5)
        agencies |= 1u << s->sender->agency;
    for (int agency = 1; agency < 5; agency++)
        if (s->decided [agency] && s->decisions [agency].view == SAMHAND__V1__VIEW__IDENTIFIED)
            agencies |= 1u << agency;
    uint8_t hashes [SCAN_NAME_HASHES_MAX][SCAN_HASH_SIZE];
    int n = scan_known_name_hashes (s->self->known [1], subject->name, strlen (subject->name),
                                    hashes);
    for (int agency = 1; agency < 5; agency++) {
        if (!(agencies & (1u << agency)))
            continue;
        scan_known_t *known = s->self->known [agency];
        for (int i = 0; i < n; i++)
            if (!scan_known_contains (known, hashes [i])) {
                if (registry_known_add (s->self->registry, agency, hashes [i],
                                        REGISTRY_KNOWN_NAME)) {
                    //  The batch is refused whole.
                    s->self->batch_failed = true;
                    store_fail_batch (s->self->store);
                    crypto_cleanse (hashes, sizeof hashes);
                    return;
                }
                scan_known_add_hash (known, hashes [i]);
            }
    }
    crypto_cleanse (hashes, sizeof hashes);
}

static void
s_load_consents (submit_t *s)
{
    s->n_consents = 0;
    if (!s->has_subject)
        return;
    int n = registry_consents_for (s->self->registry, s->subject_key, s->consents, MAX_CONSENTS);
    if (n < 0)
        store_fail_batch (s->self->store);    //  consents unknown: decide nothing, retry
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
submit_policy_input (handler_ctx_t *self, const node_t *sender, const Samhand__V1__Submit *submit,
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
    return mask? mask: s->self->config->routes [s->kind];
}

//  Does this node's subscription take this message?
static bool
s_subscribed (submit_t *s, const node_t *node)
{
    //  A significant plan change goes to every case worker of an agency
    //  holding the case, whatever it subscribed to (plan.h).
    if (s->kind == SAMHAND__V1__KIND__RISK_PLAN && s->submit->risk_plan->significant)
        return node->role != POLICY_ROLE_ADMIN;
    session_t *session = sessions_subscription (s->self->sessions, node, s->self->store, s->self->config);
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
    //  a discussion got here only by passing the same scan just now
    bool clean = s->kind == SAMHAND__V1__KIND__CASE_DISCUSSION
              || submit_text_clean (s->self, s->sender, s->submit);
    for (int agency = 1; agency < 5; agency++) {
        if (!(recipients & (1u << agency)))
            continue;
        policy_input_t in;
        submit_policy_input (s->self, s->sender, s->submit, s->kind, agency,
                             s->policy_consents, s->n_consents, clean, &in);
        policy_decide (&in, &s->decisions [agency]);
        s->decided [agency] = true;
        if (s->decisions [agency].view == SAMHAND__V1__VIEW__WITHHELD)
            continue;
        int taken = 0;
        for (size_t i = 0; i < nodes_size (s->self->nodes); i++) {
            const node_t *node = nodes_at (s->self->nodes, i);
            if (node->agency != agency || node == s->sender)
                continue;
            s->enrolled [agency]++;
            if (s_subscribed (s, node)) {
                s->targets [s->n_targets++] = (target_t) { node, agency, agency };
                taken++;
            }
        }
        //  Decided for the agency, yet nobody of it will get it: the sender
        //  must hear that in plain words, not find "nodes: 0" later.
        if (taken == 0 && s->enrolled [agency])
            snprintf (s->warnings [agency], sizeof s->warnings [agency],
                      "not delivered to %s: none of its %d node%s takes %s (subscription)",
                      config_agency_name (agency), s->enrolled [agency],
                      s->enrolled [agency] == 1? "": "s", config_kind_name (s->kind));
        else
        if (taken == 0)
            snprintf (s->warnings [agency], sizeof s->warnings [agency],
                      "not delivered to %s: it has no %senrolled node",
                      config_agency_name (agency),
                      agency == s->sender->agency? "other ": "");
    }
}

static bool
s_is_acute (submit_t *s)
{
    return (s->kind == SAMHAND__V1__KIND__CONCERN_REPORT
            && s->submit->concern->urgency == SAMHAND__V1__URGENCY__ACUTE)
        || (s->kind == SAMHAND__V1__KIND__RISK_CHANGE && s->submit->risk_change->imminent);
}

//  Never a silent drop: a submit a recipient's outbox cannot take is
//  refused whole, with the reason in TEXT. A sender is refused for its own
//  backlog at a node (its share of max_outbox) and, unless the message is
//  acute, for a node's total at max_outbox; an acute one only at the hard
//  ceiling. Returns the node, or NULL when every outbox takes it.
//  A node whose entries the sender may not know of (the crisis centre's,
//  policy_hidden_from_sender) takes it whatever its backlog: a refusal
//  there would tell the sender that the crisis centre was to get it, so
//  that her consent names it. Its backlog is still alerted to the admins.
static const node_t *
s_full_outbox (submit_t *s, char *text, size_t size, bool *failed)
{
    int max = s->self->config->max_outbox;
    bool acute = s_is_acute (s);
    *failed = false;
    for (int i = 0; i < s->n_targets; i++) {
        const node_t *node = s->targets [i].node;
        session_t *session = sessions_get (s->self->sessions, node->name);
        if (!session) {
            *failed = true;
            return node;
        }
        if (policy_hidden_from_sender (s->kind, s->sender->agency, s->targets [i].agency))
            continue;
        int total = session->outstanding;
        if (total >= HARD_CEILING (max)) {
            snprintf (text, size, "the outbox of %s is full (%d waiting, hard limit %d): nothing"
                      " was stored; try again later and alert the administrator",
                      node->name, total, HARD_CEILING (max));
            return node;
        }
        if (total >= SENDER_SHARE (max)) {
            int own = store_outbox_count_from (s->self->store, node->name, s->sender->key);
            if (own < 0) {
                *failed = true;
                return node;
            }
            if (own >= SENDER_SHARE (max)) {
                snprintf (text, size, "you already have %d messages waiting for %s (your share"
                          " is %d): nothing was stored; try again later and alert the"
                          " administrator", own, node->name, SENDER_SHARE (max));
                return node;
            }
        }
        if (!acute && total >= max) {
            snprintf (text, size, "the outbox of %s is full (%d waiting): nothing was stored;"
                      " try again later and alert the administrator (acute concerns and"
                      " imminent risk still go through)", node->name, total);
            return node;
        }
    }
    return NULL;
}

//  A node's backlog past half its bound: the administrators are told (an
//  alert to admin nodes and a warning in the log), at most once per
//  BACKLOG_ALERT_EVERY_MS per node. Returns 0 or -1 (a failed write).
static int
s_backlog_alert (submit_t *s, session_t *session)
{
    handler_ctx_t *self = s->self;
    int max = self->config->max_outbox;
    if (session->outstanding < BACKLOG_ALERT_AT (max)
    ||  (session->backlog_alert_ms
         && self->now_ms - session->backlog_alert_ms < BACKLOG_ALERT_EVERY_MS))
        return 0;
    session->backlog_alert_ms = self->now_ms;
    char text [200];
    snprintf (text, sizeof text, "the outbox of %s holds %d undelivered messages (limit %d):"
              " is the node offline? senders are refused past their share",
              session->node, session->outstanding, max);
    zsys_warning ("submit: %s", text);
    notice_to_t to = { 1u << SAMHAND__V1__AGENCY__AGENCY_UNSPECIFIED,
                       1u << POLICY_ROLE_ADMIN, NULL };
    return notice_alert (self, "backlog", NULL, NULL, text, false, to, NULL) < 0? -1: 0;
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
    int rc = retention_seal (s->self, s->kind, s->submit->message_id.data, 16,
                             plain, plain_size, &sealed, &sealed_size);
    uint8_t content_hash [32];
    if (rc == 0)
        rc = crypto_sha256 (plain, plain_size, content_hash);
    crypto_cleanse (plain, plain_size);
    free (plain);
    if (rc)
        return -1;
    //  A sender may shorten the kind's time to live, never lengthen it.
    int64_t ttl = s->self->config->ttl_ms [s->kind];
    if (s->submit->ttl_seconds && (int64_t) s->submit->ttl_seconds * 1000 < ttl)
        ttl = (int64_t) s->submit->ttl_seconds * 1000;
    store_message_t msg = {
        .sender_key = s->sender->key, .message_id = s->submit->message_id.data,
        .sender_node = s->sender->name, .sender_agency = s->sender->agency,
        .kind = s->kind,
        //  Set apart for the reader: an acute concern, or imminent risk.
        .acute = (s->kind == SAMHAND__V1__KIND__CONCERN_REPORT
                  && s->submit->concern->urgency == SAMHAND__V1__URGENCY__ACUTE)
              || (s->kind == SAMHAND__V1__KIND__RISK_CHANGE && s->submit->risk_change->imminent)
              || (s->kind == SAMHAND__V1__KIND__RISK_PLAN && s->submit->risk_plan->significant
                  && s->submit->risk_plan->imminent),
        .subject_key = s->has_subject? s->subject_key: NULL,
        .payload = sealed, .payload_size = sealed_size,
        .result = result, .result_size = result_size,
        .created_ms = s->self->now_ms, .expires_ms = s->self->now_ms + ttl };
    rc = store_message_insert (s->self->store, &msg);
    free (sealed);
    if (rc)
        return -1;
    *message = msg.message;
    //  The resource centre's review and status deadlines follow only what it
    //  sent or is given: a risk change withheld from it (the crisis
    //  centre's, without consent) must neither remind it of the person nor
    //  move or cancel its own deadlines for her.
    bool rc_knows = s->sender->agency == SAMHAND__V1__AGENCY__RESOURCE_CENTRE
                 || (s->decided [SAMHAND__V1__AGENCY__RESOURCE_CENTRE]
                     && s->decisions [SAMHAND__V1__AGENCY__RESOURCE_CENTRE].view
                        != SAMHAND__V1__VIEW__WITHHELD);
    if (workflow_submitted (s->self, msg.message, s->submit->message_id.data, s->submit,
                            rc_knows? msg.subject_key: NULL))
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
    //  The author is the sending node's claim (a web client's user name),
    //  checked at decode (frame.c): it cannot break the detail's form.
    if (s->submit->author && *s->submit->author && len < sizeof detail)
        snprintf (detail + len, sizeof detail - len, "; author=%s", s->submit->author);
    audit_record_t record = { .event = "submitted", .message_id = s->submit->message_id.data,
                              .sender = s->sender->name, .agency = s->sender->agency,
                              .content_hash = content_hash,
                              .subject_key = msg.subject_key,
                              .detail = detail };
    return audit_append (s->self->audit, &record, s->self->now_ms);
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
        if (crypto_case_ref (keys_pseudonym_secret (s->self->keys), prefixes [agency],
                             s->subject_key, refs [agency]) == 0
        &&  registry_case_ref_put (s->self->registry, agency, refs [agency], s->subject_key))
            store_fail_batch (s->self->store);    //  the ack becomes INTERNAL
    }
}

static int
s_store_outbox (submit_t *s, int64_t message)
{
    for (int i = 0; i < s->n_targets; i++) {
        target_t *t = &s->targets [i];
        policy_decision_t *d = &s->decisions [t->decision];
        if (store_outbox_insert (s->self->store, message, t->node->name, t->agency, d->view,
                                 d->rule, d->legal_basis, d->reason, d->classes_allowed) < 0)
            return -1;
        session_t *session = sessions_get (s->self->sessions, t->node->name);
        if (session) {
            session->outstanding++;
            session->dirty = true;
            if (s_backlog_alert (s, session))
                return -1;
        }
    }
    //  An agency decided for but reached by nobody is on record too.
    for (int agency = 1; agency < 5; agency++) {
        if (!s->warnings [agency][0])
            continue;
        zsys_warning ("submit: %s from %s %s", config_kind_name (s->kind), s->sender->name,
                      s->warnings [agency]);
        audit_record_t record = { .event = "no_recipient", .message_id = s->submit->message_id.data,
                                  .sender = s->sender->name, .agency = agency,
                                  .view = s->decisions [agency].view,
                                  .rule = s->decisions [agency].rule,
                                  .detail = s->warnings [agency] };
        if (audit_append (s->self->audit, &record, s->self->now_ms))
            return -1;
    }
    //  A disclosure under the duty to avert gets a record of its own, with
    //  its basis, marked for review. Who decided and why are personal
    //  data: they go into the record sealed under the data key, and only
    //  an admin's `audit reviews` opens them (admin.c).
    for (int agency = 1; agency < 5; agency++) {
        policy_decision_t *d = &s->decisions [agency];
        if (!s->decided [agency] || !d->review || !s->submit->claim)
            continue;
        char *detail = admin_review_detail (s->self, s->submit->message_id.data, d->reason,
                                            s->submit->claim);
        if (!detail)
            return -1;
        audit_record_t record = { .event = "decided", .message_id = s->submit->message_id.data,
                                  .sender = s->sender->name, .agency = agency, .view = d->view,
                                  .rule = d->rule, .basis = d->legal_basis,
                                  .subject_key = s->has_subject? s->subject_key: NULL,
                                  .detail = detail };
        int rc = audit_append (s->self->audit, &record, s->self->now_ms);
        free (detail);
        if (rc)
            return -1;
    }
    return 0;
}

//  A column the sender may not see, answered the same whatever was
//  decided (policy.h).
static void
s_hide (Samhand__V1__AgencyDecision *d)
{
    d->view = SAMHAND__V1__VIEW__VIEW_UNSPECIFIED;
    d->rule = (char *) POLICY_HIDDEN_RULE;
    d->legal_basis = (char *) POLICY_HIDDEN_BASIS;
    d->reason = (char *) POLICY_HIDDEN_REASON;
    d->nodes = 0;
    d->warning = (char *) "";
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
        decisions [n].warning = s->warnings [agency];
        //  Stored hidden as well: the stored result is what a retry gets.
        if (policy_hidden_from_sender (s->kind, s->sender->agency, agency))
            s_hide (&decisions [n]);
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
//  KIND and SENDER_AGENCY are the stored message's (never the retry's
//  claim). What is shown is filtered again by today's rules, so a result
//  stored before a rule hid a column (or by a broker that had a bug) is
//  never replayed wider than a fresh answer: a column hidden from the
//  sender's agency then or now is hidden; a node whose name is now
//  enrolled under another agency than the one that sent the message is
//  told only that it was accepted (no decision, no case reference: both
//  were the old agency's).
static int
s_result_reply (submit_t *s, const uint8_t *packed, size_t size, bool duplicate,
                int kind, int sender_agency)
{
    Samhand__V1__SubmitResult *result = samhand__v1__submit_result__unpack (NULL, size, packed);
    if (!result)
        return -1;
    if (result->n_decisions > 4) {
        samhand__v1__submit_result__free_unpacked (result, NULL);
        return -1;
    }
    Samhand__V1__SubmitResult shown = *result;
    Samhand__V1__AgencyDecision decisions [4], *list [4];
    shown.duplicate = duplicate;
    shown.decisions = list;
    shown.n_decisions = 0;
    bool moved = sender_agency != s->sender->agency;
    for (size_t i = 0; !moved && i < result->n_decisions; i++) {
        decisions [i] = *result->decisions [i];
        int agency = (int) decisions [i].agency;
        if (policy_hidden_from_sender (kind, sender_agency, agency))
            s_hide (&decisions [i]);
        list [shown.n_decisions++] = &decisions [i];
    }
    if (moved) {
        shown.case_ref = (char *) "";
        zsys_warning ("submit: %s retried a message it sent as another agency's node: only"
                      " its acceptance is shown", s->sender->name);
    }
    Samhand__V1__Frame reply = SAMHAND__V1__FRAME__INIT;
    reply.request_id = s->frame->request_id;
    reply.command_case = SAMHAND__V1__FRAME__COMMAND_SUBMIT_RESULT;
    reply.submit_result = &shown;
    uint8_t *data = frame_encode (&reply, &size);
    samhand__v1__submit_result__free_unpacked (result, NULL);
    replies_add (s->self->replies, s->routing_id, data, size, true, s->frame->request_id);
    return 0;
}

static int
s_authorise (submit_t *s)
{
    char err [200];
    const Samhand__V1__LegalClaim *claim = s->submit->claim;
    if (!(s->self->config->role_kinds [s->sender->role] & (1u << s->kind))) {
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
    handler_ctx_t *self = s->self;
    int has = submit_subject_key (self, s->sender, s->submit, s->subject_key);
    if (has == -2) {
        s_refuse (s, SAMHAND__V1__ERROR_CODE__INVALID_FIELD, "field subject is not the person of"
                  " case_ref: send one of them, or both for the same person");
        return;
    }
    if (has < 0) {
        s_refuse (s, SAMHAND__V1__ERROR_CODE__NOT_FOUND, "unknown case reference for your agency");
        return;
    }
    s->has_subject = has == 1;
    if (s->kind == SAMHAND__V1__KIND__RISK_PLAN) {
        //  The broker's fields of a revision; the frame is the broker's.
        char err [200];
        int code = plan_prepare (self, s->sender, (Samhand__V1__Submit *) s->submit,
                                 s->has_subject? s->subject_key: NULL, err, sizeof err);
        if (code) {
            s_refuse (s, code, err);
            return;
        }
    }
    s_load_consents (s);
    s_decide (s);
    char text [300];
    bool failed;
    const node_t *full = s_full_outbox (s, text, sizeof text, &failed);
    if (full) {
        if (failed)
            self->batch_failed = true;
        s_refuse (s, failed? SAMHAND__V1__ERROR_CODE__INTERNAL: SAMHAND__V1__ERROR_CODE__OUTBOX_FULL,
                  failed? "could not store: retry": text);
        return;
    }
    char refs [5][CRYPTO_CASE_REF_LEN];
    s_mint_case_refs (s, refs);
    size_t result_size = 0;
    int64_t message = 0;
    uint8_t *result = s_result_pack (s, refs, &result_size);
    if (!result
    ||  s_store_message (s, result, result_size, &message)
    ||  s_store_outbox (s, message)
    ||  (s->kind == SAMHAND__V1__KIND__RISK_PLAN && plan_stored (self, message, s->submit,
                                                                s->subject_key))) {
        //  A write failed inside the cycle's transaction: the whole batch
        //  is rolled back and nothing of it is acknowledged.
        self->batch_failed = true;
        s_refuse (s, SAMHAND__V1__ERROR_CODE__INTERNAL, "could not store: retry");
    }
    else {
        //  Learned only now: a refused submit teaches nothing.
        s_learn_identifiers (s);
        s_result_reply (s, result, result_size, false, s->kind, s->sender->agency);
        self->submits++;
    }
    free (result);
}

void
submit_handle (handler_ctx_t *self, zframe_t *routing_id, const node_t *node,
               const Samhand__V1__Frame *frame)
{
    submit_t *s = (submit_t *) zmalloc (sizeof (submit_t));
    if (s)
        s->targets = (target_t *) calloc (nodes_size (self->nodes) + 1, sizeof (target_t));
    if (!s || !s->targets || store_begin (self->store)) {
        if (s)
            free (s->targets);
        free (s);
        replies_error (self->replies, routing_id, frame->request_id,
                       SAMHAND__V1__ERROR_CODE__INTERNAL, "broker busy: retry", NULL);
        return;
    }
    s->self = self;
    s->sender = node;
    s->frame = frame;
    s->submit = frame->submit;
    s->routing_id = routing_id;
    s->kind = s_kind_of (s->submit);
    uint8_t *stored = NULL;
    size_t stored_size = 0;
    int stored_kind = 0, stored_agency = 0;
    int found = store_message_find_origin (self->store, node->key, s->submit->message_id.data,
                                           &stored, &stored_size, &stored_kind, &stored_agency);
    if (found == 1) {
        if (s_result_reply (s, stored, stored_size, true, stored_kind, stored_agency))
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
    free (s->targets);
    free (s);
}
