/*  admin — audit queries for admin nodes: verify the chain, who received
    information about a person, export a period. Every query is audited
    before its answer goes out.                                           */
#include "admin.h"
#include "retention.h"

#define EXPORT_PAGE 500
#define TEXTS_PER   7             //  texts kept per entry (s_add)

typedef struct {
    Samhand__V1__AuditEntry *entries;
    Samhand__V1__AuditEntry **list;
    uint8_t (*ids) [16];
    uint8_t (*hashes) [32];
    char **texts;                 //  TEXTS_PER strings per entry, freed after the reply
    size_t count;
    size_t max;
    handler_ctx_t *open_reviews;       //  reviews: open the sealed claims with these keys
} page_t;

//  ---------------------------------------------------------------------
//  Sealed review records: who decided a disclosure under the duty to
//  avert, and why, sealed with the data key. The AAD binds the blob to its
//  message and to this use, so no other sealed blob opens as a claim.

#define REVIEW_MARK  "; sealed:"
#define REVIEW_AAD   "samhand-review-v1:"

static size_t
s_review_aad (const uint8_t message_id [16], uint8_t aad [64])
{
    size_t len = strlen (REVIEW_AAD);
    memcpy (aad, REVIEW_AAD, len);
    memcpy (aad + len, message_id, 16);
    return len + 16;
}

char *
admin_review_detail (handler_ctx_t *self, const uint8_t message_id [16], const char *reason,
                     const Samhand__V1__LegalClaim *claim)
{
    assert (self && message_id && reason && claim);
    Samhand__V1__LegalClaim copy = SAMHAND__V1__LEGAL_CLAIM__INIT;
    copy.basis = claim->basis;
    copy.justification = claim->justification;
    copy.decision_maker = claim->decision_maker;
    copy.statute = claim->statute;
    size_t plain_size = samhand__v1__legal_claim__get_packed_size (&copy);
    uint8_t *plain = (uint8_t *) malloc (plain_size? plain_size: 1);
    if (!plain)
        return NULL;
    samhand__v1__legal_claim__pack (&copy, plain);
    uint8_t aad [64], *sealed = NULL;
    size_t sealed_size = 0;
    //  A claim comes with a concern report or a risk change: it is kept
    //  (readable) as long as the longer of the two retentions.
    int kind = self->config->retention_ms [SAMHAND__V1__KIND__RISK_CHANGE]
             > self->config->retention_ms [SAMHAND__V1__KIND__CONCERN_REPORT]
             ? SAMHAND__V1__KIND__RISK_CHANGE: SAMHAND__V1__KIND__CONCERN_REPORT;
    int rc = retention_seal (self, kind, aad, s_review_aad (message_id, aad),
                             plain, plain_size, &sealed, &sealed_size);
    crypto_cleanse (plain, plain_size);
    free (plain);
    if (rc)
        return NULL;
    size_t head = strlen (reason) + strlen (REVIEW_MARK);
    char *detail = (char *) malloc (head + 2 * sealed_size + 1);
    if (detail) {
        snprintf (detail, head + 1, "%s%s", reason, REVIEW_MARK);
        for (size_t i = 0; i < sealed_size; i++)
            snprintf (detail + head + 2 * i, 3, "%02x", sealed [i]);
        detail [head + 2 * sealed_size] = 0;
    }
    free (sealed);
    return detail;
}

static int
s_hex_value (char c)
{
    return c >= '0' && c <= '9'? c - '0': c >= 'a' && c <= 'f'? c - 'a' + 10: -1;
}

//  Control characters would reach the admin's terminal: shown as spaces.
static void
s_printable (char *text)
{
    for (unsigned char *p = (unsigned char *) text; *p; p++)
        if (*p < 0x20 || *p == 0x7f)
            *p = ' ';
}

//  The detail of a review record with the sealed claim opened, or NULL
//  when the record holds none (an older record) or it cannot be opened.
static char *
s_review_open (handler_ctx_t *self, const audit_row_t *row)
{
    const char *detail = row->r.detail;
    const char *mark = detail? strstr (detail, REVIEW_MARK): NULL;
    if (!mark || !row->r.message_id)
        return NULL;
    const char *hex = mark + strlen (REVIEW_MARK);
    size_t hex_len = strlen (hex);
    if (hex_len % 2 || hex_len == 0)
        return NULL;
    size_t sealed_size = hex_len / 2;
    uint8_t *sealed = (uint8_t *) malloc (sealed_size);
    if (!sealed)
        return NULL;
    for (size_t i = 0; i < sealed_size; i++) {
        int high = s_hex_value (hex [2 * i]), low = s_hex_value (hex [2 * i + 1]);
        if (high < 0 || low < 0) {
            free (sealed);
            return NULL;
        }
        sealed [i] = (uint8_t) (high << 4 | low);
    }
    uint8_t aad [64], *plain = NULL;
    size_t plain_size = 0;
    int rc = crypto_open (keys_ring (self->keys), aad, s_review_aad (row->r.message_id, aad),
                          sealed, sealed_size, &plain, &plain_size);
    free (sealed);
    char *opened = NULL;
    if (rc == CRYPTO_SHREDDED) {
        //  Its week's key was destroyed when the retention ended.
        if (asprintf (&opened, "%.*s; claim shredded: its retention has ended",
                      (int) (mark - detail), detail) < 0)
            return NULL;
        s_printable (opened);
        return opened;
    }
    if (rc)
        return NULL;
    Samhand__V1__LegalClaim *claim = samhand__v1__legal_claim__unpack (NULL, plain_size, plain);
    crypto_cleanse (plain, plain_size);
    free (plain);
    if (!claim)
        return NULL;
    int len = asprintf (&opened, "%.*s; decision-maker: %s; justification: %s; statute: %s",
                        (int) (mark - detail), detail, claim->decision_maker,
                        claim->justification, *claim->statute? claim->statute: "STRL196");
    samhand__v1__legal_claim__free_unpacked (claim, NULL);
    if (len < 0)
        return NULL;
    s_printable (opened);
    return opened;
}

static char *
s_dup (const char *s)
{
    return strdup (s? s: "");
}

static int
s_add (const audit_row_t *row, void *arg)
{
    page_t *page = (page_t *) arg;
    if (page->count >= page->max)
        return 1;
    size_t i = page->count++;
    Samhand__V1__AuditEntry *e = &page->entries [i];
    samhand__v1__audit_entry__init (e);
    e->seq = (uint64_t) row->seq;
    e->ts_ms = row->ts_ms;
    char **t = &page->texts [i * TEXTS_PER];
    e->event = t [0] = s_dup (row->r.event);
    e->sender = t [1] = s_dup (row->r.sender);
    e->node = t [2] = s_dup (row->r.node);
    e->rule = t [3] = s_dup (row->r.rule);
    e->legal_basis = t [4] = s_dup (row->r.basis);
    char *opened = page->open_reviews? s_review_open (page->open_reviews, row): NULL;
    e->detail = t [5] = opened? opened: s_dup (row->r.detail);
    if (row->author)
        e->author = t [6] = s_dup (row->author);
    if (row->receipt)
        e->receipt = (char *) row->receipt;     //  a static string
    e->agency = (Samhand__V1__Agency) row->r.agency;
    e->view = (Samhand__V1__View) row->r.view;
    if (row->r.message_id) {
        memcpy (page->ids [i], row->r.message_id, 16);
        e->message_id = (ProtobufCBinaryData) { 16, page->ids [i] };
    }
    if (row->hash) {
        memcpy (page->hashes [i], row->hash, 32);
        e->hash = (ProtobufCBinaryData) { 32, page->hashes [i] };
    }
    page->list [i] = e;
    return 0;
}

static int
s_page_init (page_t *page, size_t max)
{
    memset (page, 0, sizeof *page);
    page->max = max;
    page->entries = (Samhand__V1__AuditEntry *) calloc (max, sizeof *page->entries);
    page->list = (Samhand__V1__AuditEntry **) calloc (max, sizeof *page->list);
    page->ids = calloc (max, sizeof *page->ids);
    page->hashes = calloc (max, sizeof *page->hashes);
    page->texts = (char **) calloc (max * TEXTS_PER, sizeof (char *));
    return page->entries && page->list && page->ids && page->hashes && page->texts? 0: -1;
}

static void
s_page_free (page_t *page)
{
    for (size_t i = 0; page->texts && i < page->count * TEXTS_PER; i++)
        free (page->texts [i]);
    free (page->texts);
    free (page->entries);
    free (page->list);
    free (page->ids);
    free (page->hashes);
}

static void
s_send (handler_ctx_t *self, zframe_t *routing_id, uint64_t request_id, Samhand__V1__AuditReply *reply)
{
    Samhand__V1__Frame frame = SAMHAND__V1__FRAME__INIT;
    frame.request_id = request_id;
    frame.command_case = SAMHAND__V1__FRAME__COMMAND_AUDIT_REPLY;
    frame.audit_reply = reply;
    size_t size;
    uint8_t *data = frame_encode (&frame, &size);
    //  The query's own audit record must be committed before the answer.
    replies_add (self->replies, routing_id, data, size, true, request_id);
}

static void
s_refuse (handler_ctx_t *self, zframe_t *routing_id, uint64_t request_id, int code, const char *text)
{
    Samhand__V1__AuditReply reply = SAMHAND__V1__AUDIT_REPLY__INIT;
    Samhand__V1__Error error = SAMHAND__V1__ERROR__INIT;
    error.code = (Samhand__V1__ErrorCode) code;
    error.text = (char *) text;
    reply.error = &error;
    s_send (self, routing_id, request_id, &reply);
}

//  Unix seconds from a client as milliseconds: a value whose milliseconds
//  do not fit (or a date before 1970) is refused, never wrapped.
#define MAX_SECONDS 253402300799LL      //  9999-12-31T23:59:59Z
static int
s_seconds_to_ms (int64_t seconds, int64_t *ms)
{
    if (seconds < 0 || seconds > MAX_SECONDS)
        return -1;
    *ms = seconds * 1000;
    return 0;
}

//  The log could not be read (a damaged page) or the query not recorded:
//  an error, never a short answer that looks complete.
static void
s_refuse_unreadable (handler_ctx_t *self, zframe_t *routing_id, uint64_t request_id,
                     const char *query)
{
    zsys_error ("admin: audit %s failed: the audit log cannot be read in full"
                " (run samhandd --verify-audit)", query);
    s_refuse (self, routing_id, request_id, SAMHAND__V1__ERROR_CODE__INTERNAL,
              "the audit log cannot be read in full (damaged?): ask the administrator"
              " to run samhandd --verify-audit");
}

static int
s_verify_sig (const uint8_t *msg, size_t len, const uint8_t sig [64], void *arg)
{
    return keys_verify ((keys_t *) arg, msg, len, sig);
}

//  A case reference carries its agency in its prefix.
static int
s_subject_of_query (handler_ctx_t *self, const Samhand__V1__AuditQuery *q, uint8_t key [32])
{
    const Samhand__V1__Subject *s = q->subject;
    if (s && crypto_subject_key (keys_subject_secret (self->keys), s->national_id, s->name,
                                 s->birth_date, s->phone, key) == 0)
        return 0;
    static const char *prefixes [5] = { NULL, "RC-", "TE-", "PR-", "KS-" };
    for (int agency = 1; agency < 5 && *q->case_ref; agency++)
        if (strncmp (q->case_ref, prefixes [agency], 3) == 0)
            return registry_case_ref_get (self->registry, agency, q->case_ref, key) == 1? 0: -1;
    return -1;
}

void
admin_handle (handler_ctx_t *self, zframe_t *routing_id, const node_t *node,
              const Samhand__V1__Frame *frame)
{
    const Samhand__V1__AuditQuery *q = frame->audit_query;
    if (node->role != POLICY_ROLE_ADMIN) {
        zsys_warning ("admin: %s (not an admin node) asked for the audit log: refused", node->name);
        s_refuse (self, routing_id, frame->request_id, SAMHAND__V1__ERROR_CODE__NOT_PERMITTED,
                  "only admin nodes may query the audit log");
        return;
    }
    audit_record_t record = { .event = "admin_query", .sender = node->name, .detail = q->query };
    Samhand__V1__AuditReply reply = SAMHAND__V1__AUDIT_REPLY__INIT;
    page_t page;
    memset (&page, 0, sizeof page);
    if (store_begin (self->store) || s_page_init (&page, EXPORT_PAGE)) {
        s_page_free (&page);
        s_refuse (self, routing_id, frame->request_id, SAMHAND__V1__ERROR_CODE__INTERNAL,
                  "the broker cannot read the audit log now: retry");
        return;
    }
    if (streq (q->query, "verify")) {
        //  Verify what is committed, including this cycle's records so far.
        int64_t records = 0;
        char problem [256];
        reply.intact = audit_verify (self->store, s_verify_sig, self->keys,
                                     &records, problem, sizeof problem) == 0;
        //  The head this admin node witnessed earlier must still be there:
        //  the signed heads in the store can be cut off with the log.
        const Samhand__V1__AuditHead *w = q->witness;
        if (reply.intact && w && w->seq && w->hash.len == 32 && w->sig.len == 64) {
            audit_head_t witness = { .seq = (int64_t) w->seq };
            memcpy (witness.hash, w->hash.data, 32);
            memcpy (witness.sig, w->sig.data, 64);
            if (audit_check_witness (self->store, s_verify_sig, self->keys,
                                     &witness, problem, sizeof problem)) {
                reply.intact = false;
                zsys_error ("admin: audit verify for %s: %s", node->name, problem);
            }
        }
        audit_head_t latest;
        Samhand__V1__AuditHead head = SAMHAND__V1__AUDIT_HEAD__INIT;
        if (audit_latest_head (self->store, &latest) == 1) {
            head.seq = (uint64_t) latest.seq;
            head.hash = (ProtobufCBinaryData) { 32, latest.hash };
            head.sig = (ProtobufCBinaryData) { 64, latest.sig };
            head.ts_ms = latest.ts_ms;
            reply.head = &head;
        }
        reply.records = (uint64_t) records;
        reply.problem = problem;
        reply.ok = true;
        if (audit_append (self->audit, &record, self->now_ms))
            s_refuse (self, routing_id, frame->request_id, SAMHAND__V1__ERROR_CODE__INTERNAL,
                      "the broker cannot record this query now: retry");
        else
            s_send (self, routing_id, frame->request_id, &reply);
    }
    else
    if (streq (q->query, "who-received")) {
        uint8_t key [32];
        if (s_subject_of_query (self, q, key)) {
            s_refuse (self, routing_id, frame->request_id, SAMHAND__V1__ERROR_CODE__NOT_FOUND,
                      "name the person (national id, name and birth date, or phone) or a known case reference");
        }
        else {
            record.subject_key = key;
            if (audit_append (self->audit, &record, self->now_ms)
            ||  audit_who_received (self->store, key, s_add, &page) < 0)
                s_refuse_unreadable (self, routing_id, frame->request_id, "who-received");
            else {
                reply.ok = true;
                reply.entries = page.list;
                reply.n_entries = page.count;
                reply.more = page.count == page.max;
                s_send (self, routing_id, frame->request_id, &reply);
            }
        }
    }
    else
    if (streq (q->query, "reviews")) {
        //  Every disclosure under the duty to avert, counted for review;
        //  the sealed decision-maker and justification opened for the admin.
        page.open_reviews = self;
        if (audit_append (self->audit, &record, self->now_ms)
        ||  audit_reviews (self->store, s_add, &page) < 0)
            s_refuse_unreadable (self, routing_id, frame->request_id, "reviews");
        else {
            reply.ok = true;
            reply.entries = page.list;
            reply.n_entries = page.count;
            reply.more = page.count == page.max;
            s_send (self, routing_id, frame->request_id, &reply);
        }
    }
    else
    if (streq (q->query, "export")) {
        int64_t since = 0, until = INT64_MAX;
        size_t limit = q->limit && q->limit < EXPORT_PAGE? q->limit: EXPORT_PAGE;
        page.max = limit;
        if (s_seconds_to_ms (q->since, &since)
        ||  (q->until && s_seconds_to_ms (q->until, &until))
        ||  q->after_seq > INT64_MAX) {
            zsys_warning ("admin: %s asked for an export with since/until/after_seq out of range",
                          node->name);
            s_refuse (self, routing_id, frame->request_id, SAMHAND__V1__ERROR_CODE__INVALID_FIELD,
                      "since and until are unix seconds between 1970 and 9999; after_seq a record number");
        }
        else
        //  Audit the first page's request only: paging is one query.
        if ((q->after_seq == 0 && audit_append (self->audit, &record, self->now_ms))
        ||  audit_export (self->store, since, until, (int64_t) q->after_seq,
                          (int) limit, s_add, &page) < 0)
            s_refuse_unreadable (self, routing_id, frame->request_id, "export");
        else {
            reply.ok = true;
            reply.entries = page.list;
            reply.n_entries = page.count;
            reply.more = page.count == limit;
            s_send (self, routing_id, frame->request_id, &reply);
        }
    }
    else
        s_refuse (self, routing_id, frame->request_id, SAMHAND__V1__ERROR_CODE__INVALID_FIELD,
                  "query must be verify, who-received, reviews or export");
    s_page_free (&page);
}
