/*  itest_conceal — what a sender, or another agency, may not learn about
    the crisis centre's contact with a person, across time: a result stored
    before a rule hid it and replayed to a retry, a node whose name is
    enrolled again under another agency, who assessed a person's capacity
    to consent (sealed at rest). Real samhandd, real certificates, real
    store (sqlite, or PostgreSQL with --postgresql).
    "Liv Oppdiktet", "Eli Oppdiktet", "Vurderer Oppdiktetsen" and their
    numbers are invented.                                                */
#include "harness.h"
#include "testlib.h"
#include <signal.h>

#define LIV_NAME "Liv Oppdiktet"
#define LIV_NID  "07079012345"

static Samhand__V1__Frame *
s_request (hclient_t *c, Samhand__V1__Frame *frame, int reply_case)
{
    hclient_send (c, frame);
    return hclient_expect (c, reply_case, 3000);
}

static const Samhand__V1__AgencyDecision *
s_decision (Samhand__V1__Frame *f, int agency)
{
    for (size_t i = 0; f && f->submit_result && i < f->submit_result->n_decisions; i++)
        if ((int) f->submit_result->decisions [i]->agency == agency)
            return f->submit_result->decisions [i];
    return NULL;
}

//  A consent for Liv (identity, follow_up, 30 days) naming AGENCIES,
//  recorded by C, with ASSESSOR as who assessed her capacity (may be
//  NULL). The reply, or NULL.
static Samhand__V1__Frame *
s_grant_liv (hclient_t *c, Samhand__V1__Agency *agencies, size_t n_agencies,
             const char *assessor)
{
    Samhand__V1__Frame frame;
    Samhand__V1__ConsentGrant grant;
    Samhand__V1__Subject subject;
    Samhand__V1__DataClass classes [1] = { SAMHAND__V1__DATA_CLASS__IDENTITY };
    char *purposes [1] = { "follow_up" };
    harness_grant (&frame, &grant, &subject, LIV_NID, agencies, n_agencies, classes, 1,
                   purposes, 1, time (NULL) + 30 * 86400);
    if (assessor)
        grant.capacity_assessed_by = (char *) assessor;
    return s_request (c, &frame, SAMHAND__V1__FRAME__COMMAND_CONSENT_REPLY);
}

static bool
s_granted (hclient_t *c, Samhand__V1__Agency *agencies, size_t n_agencies)
{
    Samhand__V1__Frame *f = s_grant_liv (c, agencies, n_agencies, NULL);
    bool ok = f && f->consent_reply->ok;
    frame_free (&f);
    return ok;
}

//  A concern about Liv from C to its routed agencies, with message id ID
//  (kept: a retry sends the same). As a case discussion when DISCUSSION
//  (a retry that claims another kind). The SubmitResult, or NULL.
static Samhand__V1__Frame *
s_concern (hclient_t *c, const uint8_t id [16], bool discussion)
{
    Samhand__V1__Submit submit;
    Samhand__V1__ConcernReport concern;
    Samhand__V1__Subject subject;
    Samhand__V1__CaseDiscussion talk;
    if (discussion)
        harness_discussion (&submit, &talk, "Invented: hvordan følge opp en kvinne i rus?");
    else {
        harness_concern (&submit, &concern, &subject, "Invented: naboer melder om bråk.");
        subject.name = LIV_NAME;
        subject.national_id = LIV_NID;
        subject.phone = "";
    }
    submit.message_id = (ProtobufCBinaryData) { 16, (uint8_t *) id };
    return hclient_submit (c, &submit, 3000);
}

static void
s_hex (const uint8_t *data, size_t size, char *out)
{
    for (size_t i = 0; i < size; i++)
        sprintf (out + 2 * i, "%02x", data [i]);
    out [2 * size] = 0;
}

//  SQL for a blob literal on the store under test.
static void
s_blob (harness_t *h, const uint8_t *data, size_t size, char *out, size_t out_size)
{
    char *hex = (char *) malloc (2 * size + 1);
    s_hex (data, size, hex);
    if (harness_pg (h))
        snprintf (out, out_size, "decode ('%s', 'hex')", hex);
    else
        snprintf (out, out_size, "X'%s'", hex);
    free (hex);
}

//  Writes the result a broker from before the crisis column was hidden
//  stored for message ID: the crisis centre's column says it got the
//  concern identified on her consent. 0 or -1.
static int
s_store_old_result (harness_t *h, const uint8_t id [16], const char *case_ref)
{
    Samhand__V1__AgencyDecision crisis = SAMHAND__V1__AGENCY_DECISION__INIT;
    Samhand__V1__AgencyDecision police = SAMHAND__V1__AGENCY_DECISION__INIT;
    Samhand__V1__AgencyDecision *list [2] = { &police, &crisis };
    police.agency = SAMHAND__V1__AGENCY__POLICE_RISK;
    police.view = SAMHAND__V1__VIEW__PSEUDONYMISED;
    police.rule = "FVL13-PSEUDONYMISED";
    police.legal_basis = "forvaltningsloven §13 a nr. 2";
    police.reason = "no consent in scope: case reference only, no free text";
    crisis.agency = SAMHAND__V1__AGENCY__CRISIS_CENTRE;
    crisis.view = SAMHAND__V1__VIEW__IDENTIFIED;
    crisis.rule = "FVL13A1-CONSENT";
    crisis.legal_basis = "forvaltningsloven §13 a nr. 1";
    crisis.reason = "consent c-0123456789ab in scope";
    crisis.nodes = 1;
    Samhand__V1__SubmitResult result = SAMHAND__V1__SUBMIT_RESULT__INIT;
    result.message_id = (ProtobufCBinaryData) { 16, (uint8_t *) id };
    result.accepted = true;
    result.decisions = list;
    result.n_decisions = 2;
    result.case_ref = (char *) case_ref;
    size_t size = samhand__v1__submit_result__get_packed_size (&result);
    uint8_t *packed = (uint8_t *) malloc (size);
    samhand__v1__submit_result__pack (&result, packed);
    char blob [4096], idblob [64], sql [4300];
    s_blob (h, packed, size, blob, sizeof blob);
    s_blob (h, id, 16, idblob, sizeof idblob);
    free (packed);
    snprintf (sql, sizeof sql, "UPDATE messages SET result = %s WHERE message_id = %s", blob, idblob);
    if (harness_sql_exec (h, sql))
        return -1;
    snprintf (sql, sizeof sql, "SELECT count(*) FROM messages WHERE message_id = %s AND result = %s",
              idblob, blob);
    return harness_sql_int (h, sql) == 1? 0: -1;
}

static bool
s_hidden (const Samhand__V1__AgencyDecision *d)
{
    return d && d->view == SAMHAND__V1__VIEW__VIEW_UNSPECIFIED
        && streq (d->rule, "KRISL5-NOT-SHOWN") && d->nodes == 0
        && !strstr (d->reason, "c-") && !strstr (d->legal_basis, "13 a");
}

//  Item 1: a result stored before the crisis column was hidden is replayed
//  to a retry of that message as the sender may see it today.
static void
test_replay_hidden (void)
{
    harness_t *h = harness_new (NULL);
    CHECK (h && harness_start (h) == 0, "replay: samhandd starts");
    if (!h)
        return;
    hclient_t *coord = hclient_new (h, "koordinator");
    hclient_t *police = hclient_new (h, "politi-risk");
    Samhand__V1__Agency agencies [2] = { SAMHAND__V1__AGENCY__RESOURCE_CENTRE,
                                         SAMHAND__V1__AGENCY__CRISIS_CENTRE };
    bool granted = s_granted (coord, agencies, 2);
    uint8_t id [16];
    harness_new_id (&(Samhand__V1__Submit) SAMHAND__V1__SUBMIT__INIT, id);
    Samhand__V1__Frame *f = s_concern (police, id, false);
    char case_ref [40] = "";
    if (f && f->submit_result->case_ref)
        snprintf (case_ref, sizeof case_ref, "%s", f->submit_result->case_ref);
    bool fresh = f && f->submit_result->accepted
              && s_hidden (s_decision (f, SAMHAND__V1__AGENCY__CRISIS_CENTRE));
    frame_free (&f);
    hclient_destroy (&police);
    hclient_destroy (&coord);
    CHECK (granted && fresh && *case_ref, "replay: the police's concern about a person whose"
           " consent names the crisis centre is answered with the crisis column hidden");
    CHECK (harness_stop (h, SIGTERM) == 0 && s_store_old_result (h, id, case_ref) == 0
             && harness_start (h) == 0,
           "replay: the store holds a result as an older broker stored it (crisis column shown)");
    police = hclient_new (h, "politi-risk");
    f = s_concern (police, id, false);
    const Samhand__V1__AgencyDecision *d = s_decision (f, SAMHAND__V1__AGENCY__CRISIS_CENTRE);
    CHECK (f && f->submit_result->accepted && f->submit_result->duplicate && s_hidden (d)
             && !frame_contains (f, "FVL13A1-CONSENT") && !frame_contains (f, "c-0123456789ab"),
           "replay: a retry of that message gets the crisis column hidden, not the stored one");
    if (d && !s_hidden (d))
        printf ("  replayed crisis column: view %d rule %s reason %s nodes %u\n", d->view, d->rule,
                d->reason, d->nodes);
    d = s_decision (f, SAMHAND__V1__AGENCY__POLICE_RISK);
    CHECK (d && streq (d->rule, "FVL13-PSEUDONYMISED") && f->submit_result->case_ref
             && streq (f->submit_result->case_ref, case_ref),
           "replay: the sender's own columns and case reference are replayed as stored");
    frame_free (&f);
    //  A retry that claims to be a case discussion (whose crisis column is
    //  not hidden) is shown as the stored message's kind.
    f = s_concern (police, id, true);
    d = s_decision (f, SAMHAND__V1__AGENCY__CRISIS_CENTRE);
    CHECK (f && f->submit_result->duplicate && s_hidden (d) && !frame_contains (f, "c-0123456789ab"),
           "replay: a retry claiming another kind is still shown as the stored concern");
    frame_free (&f);
    hclient_destroy (&police);
    CHECK (harness_stop (h, SIGTERM) == 0, "replay: clean stop");
    harness_destroy (&h);
}

//  A node enrolled again under another agency with the same key (its
//  enrolled certificate's agency rewritten): what the old agency's node
//  was told (decisions, the old agency's case reference) is not replayed
//  to it.
static bool
s_move (harness_t *h, const char *name, const char *from, const char *to)
{
    char cmd [2048];
    snprintf (cmd, sizeof cmd, "sed -i 's/agency = \"%s\"/agency = \"%s\"/' %s/enrolled/%s.cert"
              " && grep -q 'agency = \"%s\"' %s/enrolled/%s.cert", from, to, h->dir, name, to,
              h->dir, name);
    int status = -1;
    char *out = harness_run (cmd, &status);
    free (out);
    return status == 0;
}

static void
test_replay_moved (void)
{
    harness_t *h = harness_new (NULL);
    CHECK (h && harness_enrol (h, "flytter", "police_risk") && harness_start (h) == 0,
           "replay moved: a broker with a second police node starts");
    if (!h)
        return;
    hclient_t *moving = hclient_new (h, "flytter");
    uint8_t id [16];
    harness_new_id (&(Samhand__V1__Submit) SAMHAND__V1__SUBMIT__INIT, id);
    Samhand__V1__Frame *f = s_concern (moving, id, false);
    char case_ref [40] = "";
    if (f && f->submit_result->case_ref)
        snprintf (case_ref, sizeof case_ref, "%s", f->submit_result->case_ref);
    frame_free (&f);
    hclient_destroy (&moving);
    CHECK (strncmp (case_ref, "PR-", 3) == 0 && harness_stop (h, SIGTERM) == 0
             && s_move (h, "flytter", "police_risk", "tryggest") && harness_start (h) == 0,
           "replay moved: a police node's concern, then its key enrolled again as TryggEst's");
    moving = hclient_new (h, "flytter");
    f = s_concern (moving, id, false);
    CHECK (f && f->submit_result->accepted && f->submit_result->duplicate
             && f->submit_result->n_decisions == 0 && !frame_contains (f, case_ref)
             && !frame_contains (f, "PSEUDONYMISED"),
           "replay moved: the retry is told it was accepted, not the police's decisions nor"
           " its case reference");
    if (f && (f->submit_result->n_decisions || frame_contains (f, case_ref)))
        printf ("  replayed to the moved node: %zu decisions, case_ref %s\n",
                f->submit_result->n_decisions, f->submit_result->case_ref);
    frame_free (&f);
    hclient_destroy (&moving);
    CHECK (harness_stop (h, SIGTERM) == 0, "replay moved: clean stop");
    harness_destroy (&h);
}

//  Item 2: who assessed her capacity to consent is a person's name: sealed
//  at rest, shown with the consent; a row stored in clear by an older
//  broker is still shown.
#define ASSESSOR "Vurderer Oppdiktetsen"
#define OLD_ASSESSOR "Gammel Vurderersen"

//  Who the consent list shows as assessor of Liv's consent(s); "" if none.
static void
s_assessors (hclient_t *c, char *out, size_t size)
{
    out [0] = 0;
    Samhand__V1__Frame *f = hclient_consents (c, LIV_NID, 3000);
    for (size_t i = 0; f && f->consent_reply->ok && i < f->consent_reply->n_consents; i++) {
        size_t len = strlen (out);
        snprintf (out + len, size - len, "%s%s", len? ",": "",
                  f->consent_reply->consents [i]->capacity_assessed_by);
    }
    frame_free (&f);
}

static void
test_assessor_sealed (void)
{
    harness_t *h = harness_new (NULL);
    CHECK (h && harness_start (h) == 0, "assessor: samhandd starts");
    if (!h)
        return;
    hclient_t *coord = hclient_new (h, "koordinator");
    Samhand__V1__Agency agencies [1] = { SAMHAND__V1__AGENCY__RESOURCE_CENTRE };
    Samhand__V1__Frame *f = s_grant_liv (coord, agencies, 1, ASSESSOR);
    bool granted = f && f->consent_reply->ok && f->consent_reply->n_consents == 1
                && streq (f->consent_reply->consents [0]->capacity_assessed_by, ASSESSOR);
    frame_free (&f);
    char shown [256];
    s_assessors (coord, shown, sizeof shown);
    CHECK (granted && streq (shown, ASSESSOR),
           "assessor: the grant's reply and the consent list show who assessed her capacity");
    //  A consent for 40 years: past the furthest week a key exists for
    //  (about 21 years), sealed under that week rather than refused.
    Samhand__V1__Frame frame;
    Samhand__V1__ConsentGrant grant;
    Samhand__V1__Subject subject;
    Samhand__V1__DataClass classes [1] = { SAMHAND__V1__DATA_CLASS__IDENTITY };
    char *purposes [1] = { "follow_up" };
    harness_grant (&frame, &grant, &subject, "08089012345", agencies, 1, classes, 1, purposes, 1,
                   time (NULL) + 40LL * 365 * 86400);
    grant.capacity_assessed_by = ASSESSOR;
    f = s_request (coord, &frame, SAMHAND__V1__FRAME__COMMAND_CONSENT_REPLY);
    CHECK (f && f->consent_reply->ok && f->consent_reply->n_consents == 1
             && streq (f->consent_reply->consents [0]->capacity_assessed_by, ASSESSOR),
           "assessor: a consent for 40 years is recorded and shows its assessor");
    frame_free (&f);
    hclient_destroy (&coord);
    CHECK (harness_stop (h, SIGTERM) == 0 && harness_store_contains (h, "Oppdiktetsen") == 0,
           "assessor: the store's files (database and WAL) do not hold the assessor's name");
    //  A consent as an older broker stored it: the assessor in clear.
    CHECK (harness_sql_exec (h, "UPDATE consents SET capacity_by = '" OLD_ASSESSOR "',"
                             " capacity_sealed = NULL WHERE valid_until < 2000000000") == 0
             && harness_start (h) == 0,
           "assessor: a consent stored with its assessor in clear, as before");
    coord = hclient_new (h, "koordinator");
    s_assessors (coord, shown, sizeof shown);
    CHECK (streq (shown, OLD_ASSESSOR), "assessor: a consent stored in clear is still shown");
    CHECK (harness_sql_int (h, "SELECT count(*) FROM consents WHERE capacity_by <> ''") == 0
             && harness_sql_int (h, "SELECT count(*) FROM consents WHERE capacity_sealed IS NULL") == 0,
           "assessor: and was sealed at start (no clear assessor left in the table)");
    if (strcmp (shown, OLD_ASSESSOR))
        printf ("  shown: '%s'\n", shown);
    hclient_destroy (&coord);
    CHECK (harness_stop (h, SIGTERM) == 0, "assessor: clean stop");
    harness_destroy (&h);
}

//  Item 3: who may see a consent follows the agency that recorded it, as
//  it was when it recorded it: a crisis-centre coordinator's node enrolled
//  again (same key) as the police's does not bring the crisis centre's
//  consents to the police, and the crisis centre keeps seeing them.
static size_t
s_listed (hclient_t *c)
{
    Samhand__V1__Frame *f = hclient_consents (c, LIV_NID, 3000);
    size_t n = f && f->consent_reply->ok? f->consent_reply->n_consents: 99;
    frame_free (&f);
    return n;
}

static void
test_recorder_moved (void)
{
    harness_t *h = harness_new (NULL);
    CHECK (h && harness_enrol (h, "flytter", "crisis_centre")
             && harness_enrol (h, "krise-koord", "crisis_centre")
             && harness_enrol (h, "politi-koord", "police_risk") && harness_start (h) == 0,
           "recorder moved: a broker with two crisis-centre coordinators and a police coordinator");
    if (!h)
        return;
    hclient_t *moving = hclient_new (h, "flytter");
    Samhand__V1__Agency agencies [1] = { SAMHAND__V1__AGENCY__RESOURCE_CENTRE };
    //  With a grant id: a retry of the grant gets the stored consent.
    Samhand__V1__Frame frame;
    Samhand__V1__ConsentGrant grant;
    Samhand__V1__Subject subject;
    Samhand__V1__DataClass classes [1] = { SAMHAND__V1__DATA_CLASS__IDENTITY };
    char *purposes [1] = { "follow_up" };
    harness_grant (&frame, &grant, &subject, LIV_NID, agencies, 1, classes, 1, purposes, 1,
                   time (NULL) + 30 * 86400);
    grant.grant_id = (ProtobufCBinaryData) { 12, (uint8_t *) "invented-g-1" };
    Samhand__V1__Frame *f = s_request (moving, &frame, SAMHAND__V1__FRAME__COMMAND_CONSENT_REPLY);
    char id [40] = "";
    if (f && f->consent_reply->ok && f->consent_reply->n_consents == 1)
        snprintf (id, sizeof id, "%s", f->consent_reply->consents [0]->consent_id);
    frame_free (&f);
    hclient_destroy (&moving);
    hclient_t *crisis = hclient_new (h, "krise-koord");
    hclient_t *police = hclient_new (h, "politi-koord");
    size_t by_crisis = s_listed (crisis), by_police = s_listed (police);
    CHECK (*id && by_crisis == 1 && by_police == 0,
           "recorder moved: the crisis centre's consent naming the resource centre is listed to"
           " the crisis centre, not to the police");
    hclient_destroy (&crisis);
    hclient_destroy (&police);
    //  As a store from before the recording agency was stored: filled in at
    //  start from the recording node's agency then.
    CHECK (harness_stop (h, SIGTERM) == 0, "recorder moved: stopped");
    CHECK (harness_sql_exec (h, "UPDATE consents SET recorded_agency = -1") == 0,
           "recorder moved: a consent stored without its recording agency (an older store)");
    CHECK (harness_start (h) == 0, "recorder moved: started again");
    crisis = hclient_new (h, "krise-koord");
    by_crisis = s_listed (crisis);
    hclient_destroy (&crisis);
    CHECK (by_crisis == 1 && harness_sql_int (h, "SELECT recorded_agency FROM consents") == 4,
           "recorder moved: at start it takes the recording node's agency (the crisis centre)");
    CHECK (harness_stop (h, SIGTERM) == 0 && s_move (h, "flytter", "crisis_centre", "police_risk")
             && harness_start (h) == 0,
           "recorder moved: the recording node's key is enrolled again as the police's");
    crisis = hclient_new (h, "krise-koord");
    police = hclient_new (h, "politi-koord");
    moving = hclient_new (h, "flytter");
    by_crisis = s_listed (crisis);
    by_police = s_listed (police);
    size_t by_moved = s_listed (moving);
    f = hclient_withdraw (moving, id, 3000);
    bool refused = f && !f->consent_reply->ok && f->consent_reply->error
                && f->consent_reply->error->code == SAMHAND__V1__ERROR_CODE__NOT_FOUND;
    frame_free (&f);
    //  Its grant sent again (a retry after a lost reply): not the crisis
    //  centre's consent back, nor the police's case reference for her.
    f = s_request (moving, &frame, SAMHAND__V1__FRAME__COMMAND_CONSENT_REPLY);
    bool retry_refused = f && !f->consent_reply->ok && f->consent_reply->n_consents == 0
                      && !frame_contains (f, id) && !frame_contains (f, "PR-");
    frame_free (&f);
    CHECK (retry_refused, "recorder moved: a retry of its grant does not give the police node the"
           " crisis centre's consent");
    CHECK (by_police == 0 && by_moved == 0 && refused,
           "recorder moved: the police (the moved node too) are not shown the crisis centre's"
           " consent, nor may withdraw it");
    CHECK (by_crisis == 1, "recorder moved: the crisis centre still sees the consent it recorded");
    if (by_police || by_moved || by_crisis != 1 || !refused)
        printf ("  listed: crisis %zu, police %zu, moved node %zu; withdrawal refused %d\n",
                by_crisis, by_police, by_moved, refused);
    hclient_destroy (&moving);
    hclient_destroy (&police);
    hclient_destroy (&crisis);
    CHECK (harness_stop (h, SIGTERM) == 0, "recorder moved: clean stop");
    harness_destroy (&h);
}

//  Item 4: an acute concern's escalation went on until anyone read it, the
//  crisis centre included: to the resource centre's duty, whose concern's
//  crisis column is hidden, the alerts stopping said that the crisis
//  centre had read it. A read by an agency whose column the sender may
//  see ends it; the crisis centre's read does not.
static bool
s_is_alert_about (Samhand__V1__Frame *f, const char *type, const uint8_t id [16])
{
    return f->deliver->alert && streq (f->deliver->alert->type, type)
        && f->deliver->alert->message_id.len == 16
        && memcmp (f->deliver->alert->message_id.data, id, 16) == 0;
}

//  Escalations of message ID to C within TIMEOUT ms (deliveries receipted
//  RECEIVED, never READ: the coordinator is a recipient of the concern
//  too, and its read would end the escalation).
static int s_nobody_read;              //  escalations that said nobody read it

static int
s_escalations (hclient_t *c, const uint8_t id [16], int timeout, bool first_only)
{
    int count = 0;
    int64_t deadline = zclock_mono () + timeout;
    while (zclock_mono () < deadline) {
        Samhand__V1__Frame *f = hclient_expect (c, SAMHAND__V1__FRAME__COMMAND_DELIVER,
                                                (int) (deadline - zclock_mono ()));
        if (!f)
            break;
        hclient_receipt (c, f->deliver->delivery_id, SAMHAND__V1__RECEIPT_STATE__RECEIVED);
        bool about = s_is_alert_about (f, "escalation", id);
        count += about;
        s_nobody_read += about && strstr (f->deliver->alert->text, "by any recipient") != NULL;
        frame_free (&f);
        if (count && first_only)
            break;
    }
    return count;
}

//  Reads (receipt READ) the next concern delivered to C; true if one came.
static bool
s_read_concern (hclient_t *c, int timeout)
{
    int64_t deadline = zclock_mono () + timeout;
    while (zclock_mono () < deadline) {
        Samhand__V1__Frame *f = hclient_expect (c, SAMHAND__V1__FRAME__COMMAND_DELIVER,
                                                (int) (deadline - zclock_mono ()));
        if (!f)
            return false;
        bool concern = f->deliver->kind == SAMHAND__V1__KIND__CONCERN_REPORT;
        hclient_receipt (c, f->deliver->delivery_id, concern? SAMHAND__V1__RECEIPT_STATE__READ
                                                            : SAMHAND__V1__RECEIPT_STATE__RECEIVED);
        frame_free (&f);
        if (concern)
            return true;
    }
    return false;
}

static void
test_escalation_crisis_read (void)
{
    harness_t *h = harness_new ("workflow\n    escalate_after = 1s\n    escalate_every = 1s\n");
    CHECK (h && harness_start (h) == 0, "crisis read: a broker escalating after 1 s starts");
    if (!h)
        return;
    hclient_t *c = hclient_new (h, "koordinator");
    Samhand__V1__Agency agencies [1] = { SAMHAND__V1__AGENCY__CRISIS_CENTRE };
    bool granted = s_granted (c, agencies, 1);
    hclient_destroy (&c);
    hclient_t *coord = hclient_listener (h, "koordinator");
    hclient_t *crisis = hclient_listener (h, "krisesenter");
    hclient_t *team = hclient_listener (h, "tryggest");
    hclient_t *vakt = hclient_new (h, "vakt");
    Samhand__V1__Submit submit;
    Samhand__V1__ConcernReport concern;
    Samhand__V1__Subject subject;
    harness_concern (&submit, &concern, &subject, "Invented: hun ringte, redd, ny trussel i kveld.");
    subject.name = LIV_NAME;
    subject.national_id = LIV_NID;
    subject.phone = "";
    concern.urgency = SAMHAND__V1__URGENCY__ACUTE;
    uint8_t id [16];
    harness_new_id (&submit, id);
    Samhand__V1__Frame *f = hclient_submit (vakt, &submit, 3000);
    bool accepted = f && f->submit_result->accepted;
    frame_free (&f);
    //  The crisis centre has it on her consent and reads it at once.
    bool crisis_read = s_read_concern (crisis, 5000);
    CHECK (granted && accepted && crisis_read,
           "crisis read: the duty phone's acute concern, read by the crisis centre on her consent");
    zclock_sleep (300);
    //  What was already on its way before the read counts for nothing.
    hclient_drain (coord, 200);
    s_nobody_read = 0;
    int after_read = s_escalations (coord, id, 5000, true);
    CHECK (after_read >= 1, "crisis read: the resource centre's duty is still alerted after the"
           " crisis centre read it (the alerts stopping would tell it so)");
    CHECK (after_read >= 1 && s_nobody_read == 0,
           "crisis read: and its alert does not say that no recipient has read it (the crisis"
           " centre has)");
    //  TryggEst, whose column the duty phone sees, reads it: that ends it.
    bool team_read = s_read_concern (team, 5000);
    zclock_sleep (300);
    hclient_drain (coord, 200);
    int after_team = s_escalations (coord, id, 2500, false);
    CHECK (team_read && after_team == 0,
           "crisis read: a read by TryggEst ends the escalation");
    if (after_team)
        printf ("  escalations after TryggEst read it: %d\n", after_team);
    hclient_destroy (&vakt);
    hclient_destroy (&team);
    hclient_destroy (&crisis);
    hclient_destroy (&coord);
    CHECK (harness_stop (h, SIGTERM) == 0, "crisis read: clean stop");
    harness_destroy (&h);
}

int
main (void)
{
    zsys_init ();
    zsys_set_linger (0);
    test_replay_hidden ();
    test_replay_moved ();
    test_assessor_sealed ();
    test_recorder_moved ();
    test_escalation_crisis_read ();
    return TEST_DONE ();
}
