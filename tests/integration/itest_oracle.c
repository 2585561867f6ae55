/*  itest_oracle — the identifier check is no membership oracle (issue 8
    §3): against the real broker, team-role nodes of every agency (the
    resource centre's coordinator, as it has no team node) send discussions
    naming what only the crisis centre's concern contained, what only a
    message withheld from them contained, and what nobody ever sent: the
    answers must be the same. A refused submit teaches nothing, a surname
    that is a common word does not block, and refusals are rate-limited.
    Every person and number here is INVENTED.                            */
#include "harness.h"
#include "testlib.h"
#include <signal.h>

//  Names the word list does not flag by itself (a common word and an
//  unlisted word without a surname's ending), so that only a known set
//  could tell them apart. Each pair has equal lengths.
#define KS_NAME      "Testa Krisenavn"      //  only the crisis centre's concern
#define RC_NAME      "Testa Ressursnavn"    //  only a resource-centre concern
#define UNSEEN_NAME  "Testa Ukjentnavn"
#define UNSEEN_NAME2 "Testa Aldrisettnavn"  //  same length as RC_NAME
#define KS_PHONE     "47 11 22 33"
#define UNSEEN_PHONE "47 11 22 34"

static const char *senders [4] = { "koordinator", "tryggest", "politi-risk", "krisesenter" };
enum { RC, TE, PR, KS };

//  A concern from NODE about an invented person; the SubmitResult.
static Samhand__V1__Frame *
s_concern (hclient_t *c, const char *name, const char *phone)
{
    Samhand__V1__Submit submit;
    Samhand__V1__ConcernReport concern;
    Samhand__V1__Subject subject;
    uint8_t id [16];
    harness_concern (&submit, &concern, &subject, "Invented: bekymring for en kvinne.");
    subject.name = (char *) name;
    subject.national_id = "";
    subject.phone = (char *) phone;
    harness_new_id (&submit, id);
    return hclient_submit (c, &submit, 3000);
}

static Samhand__V1__Frame *
s_discuss (hclient_t *c, const char *text, const char *question)
{
    Samhand__V1__Submit submit;
    Samhand__V1__CaseDiscussion d;
    uint8_t id [16];
    harness_discussion (&submit, &d, text);
    if (question)
        d.question = (char *) question;
    harness_new_id (&submit, id);
    return hclient_submit (c, &submit, 3000);
}

//  The answer to a submit, without its message id: accepted or the error
//  code, text and findings. Written into out for comparison.
static void
s_answer (Samhand__V1__Frame *f, char *out, size_t size)
{
    size_t n = 0;
    out [0] = '\0';
    if (!f || !f->submit_result) {
        snprintf (out, size, "(no answer)");
        return;
    }
    Samhand__V1__SubmitResult *r = f->submit_result;
    n += (size_t) snprintf (out + n, size - n, "accepted=%d", r->accepted);
    for (size_t i = 0; i < r->n_decisions && n < size; i++)
        n += (size_t) snprintf (out + n, size - n, " %d:%d:%s", r->decisions [i]->agency,
                                r->decisions [i]->view, r->decisions [i]->rule);
    if (r->error && n < size) {
        n += (size_t) snprintf (out + n, size - n, " code=%d text=%s", r->error->code, r->error->text);
        for (size_t i = 0; i < r->error->n_findings && n < size; i++)
            n += (size_t) snprintf (out + n, size - n, " [%s %s %u %u]", r->error->findings [i]->kind,
                                    r->error->findings [i]->field, r->error->findings [i]->offset,
                                    r->error->findings [i]->length);
    }
}

//  Sends the same sentence with two identifiers; true when both answers
//  are the same. The answer of the first goes into first.
static bool
s_alike (hclient_t *c, const char *format, const char *a, const char *b, char *first, size_t size)
{
    char text_a [300], text_b [300], ans_b [1024];
    snprintf (text_a, sizeof text_a, format, a);
    snprintf (text_b, sizeof text_b, format, b);
    Samhand__V1__Frame *fa = s_discuss (c, text_a, NULL);
    Samhand__V1__Frame *fb = s_discuss (c, text_b, NULL);
    s_answer (fa, first, size);
    s_answer (fb, ans_b, sizeof ans_b);
    frame_free (&fa);
    frame_free (&fb);
    bool same = strcmp (first, ans_b) == 0;
    if (!same)
        printf ("  '%s' -> %s\n  '%s' -> %s\n", text_a, first, text_b, ans_b);
    return same;
}

static void
test_no_oracle (harness_t *h)
{
    hclient_t *c [4];
    for (int i = 0; i < 4; i++)
        c [i] = hclient_new (h, senders [i]);
    //  The crisis centre's concern is withheld from every other agency
    //  (krisesenterlova §5); the resource centre's concern reaches the
    //  others without the name unless a consent allows it.
    Samhand__V1__Frame *f = s_concern (c [KS], KS_NAME, KS_PHONE);
    CHECK (f && f->submit_result && f->submit_result->accepted, "oracle: crisis-centre concern accepted");
    frame_free (&f);
    f = s_concern (c [RC], RC_NAME, "");
    CHECK (f && f->submit_result && f->submit_result->accepted, "oracle: resource-centre concern accepted");
    bool identified_elsewhere = false;
    for (size_t i = 0; f && f->submit_result && i < f->submit_result->n_decisions; i++)
        identified_elsewhere = identified_elsewhere
            || (f->submit_result->decisions [i]->agency != SAMHAND__V1__AGENCY__RESOURCE_CENTRE
                && f->submit_result->decisions [i]->view == SAMHAND__V1__VIEW__IDENTIFIED);
    CHECK (!identified_elsewhere, "oracle: the resource-centre concern is identified to no other agency");
    frame_free (&f);

    char answer [1024], name [200];
    for (int s = 0; s < 4; s++) {
        const char *who = senders [s];
        if (s != KS) {
            snprintf (name, sizeof name, "oracle: %s is answered alike for a name only the crisis"
                      " centre sent and an unseen one", who);
            CHECK (s_alike (c [s], "Invented: hva vet vi om %s nå?", KS_NAME, UNSEEN_NAME,
                            answer, sizeof answer)
                && strstr (answer, "accepted=1"), name);
            snprintf (name, sizeof name, "oracle: %s is answered alike for a phone only the crisis"
                      " centre sent and an unseen one", who);
            CHECK (s_alike (c [s], "Invented: ring %s i kveld.", KS_PHONE, UNSEEN_PHONE,
                            answer, sizeof answer)
                && strstr (answer, "code=10") && strstr (answer, "[phone text")
                && !strstr (answer, "known"), name);
        }
        if (s != RC) {
            snprintf (name, sizeof name, "oracle: %s is answered alike for a name only a message"
                      " withheld from it named and an unseen one", who);
            CHECK (s_alike (c [s], "Invented: hva vet vi om %s nå?", RC_NAME, UNSEEN_NAME2,
                            answer, sizeof answer), name);
        }
        snprintf (name, sizeof name, "oracle: %s: a full name is refused as name, seen or not", who);
        CHECK (s_alike (c [s], "Invented: hva vet vi om %s nå?", "Kari Oppdiktet", "Kari Oppdigtet",
                        answer, sizeof answer)
            && strstr (answer, "code=10") && strstr (answer, "[name text 24 14]"), name);
    }
    //  The agency that sent a name may be told about its own name.
    f = s_discuss (c [KS], "Invented: hva vet vi om " KS_NAME " nå?", NULL);
    s_answer (f, answer, sizeof answer);
    CHECK (strstr (answer, "code=10") && strstr (answer, "[name text"),
           "oracle: the crisis centre's own known name is refused to the crisis centre, as name");
    frame_free (&f);
    //  Split between text and question.
    f = s_discuss (c [TE], "Invented: vi snakket med Kari", "Oppdiktet i går, hva nå?");
    s_answer (f, answer, sizeof answer);
    CHECK (strstr (answer, "code=10") && strstr (answer, "[name text 25 4]")
        && strstr (answer, "[name question 0 9]"),
           "fields: a name split between text and question is found, offsets per field");
    frame_free (&f);
    for (int i = 0; i < 4; i++)
        hclient_destroy (&c [i]);
}

static void
test_refused_teach_nothing (void)
{
    //  One waiting entry per node: the second concern is refused OUTBOX_FULL.
    harness_t *h = harness_new ("limits\n    max_outbox = 1\n");
    if (!h || harness_start (h)) {
        CHECK (false, "refused: broker started");
        harness_destroy (&h);
        return;
    }
    hclient_t *coord = hclient_new (h, "koordinator");
    Samhand__V1__Frame *f = s_concern (coord, "Testa Forstenavn", "");
    CHECK (f && f->submit_result && f->submit_result->accepted, "refused: first concern accepted");
    frame_free (&f);
    f = s_concern (coord, "Testa Avvistnavn", "");
    CHECK (f && f->submit_result && f->submit_result->error
        && f->submit_result->error->code == SAMHAND__V1__ERROR_CODE__OUTBOX_FULL,
           "refused: second concern refused, outbox full");
    frame_free (&f);
    //  The refused concern's name was never learned: a discussion naming
    //  it passes the scan (and is then refused only for the full outbox).
    char answer [1024];
    f = s_discuss (coord, "Invented: hva med Testa Avvistnavn?", NULL);
    s_answer (f, answer, sizeof answer);
    CHECK (!strstr (answer, "code=10"), "refused: nothing was learned from the refused submit");
    frame_free (&f);
    //  The accepted one was learned by the sender's own agency.
    f = s_discuss (coord, "Invented: hva med Testa Forstenavn?", NULL);
    s_answer (f, answer, sizeof answer);
    CHECK (strstr (answer, "code=10") && strstr (answer, "[name text"),
           "refused: the accepted concern's name is known to its own agency");
    frame_free (&f);
    hclient_destroy (&coord);

    //  Probe limit: ten refusals in an hour, then discussions are paused.
    hclient_t *admin = hclient_listener (h, "admin");
    hclient_t *police = hclient_new (h, "politi-risk");
    int refused = 0;
    for (int i = 0; i < 10; i++) {
        char text [100];
        snprintf (text, sizeof text, "Invented: ring 47 00 00 %02d.", i + 10);
        f = s_discuss (police, text, NULL);
        refused += f && f->submit_result && f->submit_result->error
                && f->submit_result->error->code == SAMHAND__V1__ERROR_CODE__IDENTIFIER_FOUND;
        frame_free (&f);
    }
    CHECK (refused == 10, "probe: ten discussions refused for identifiers");
    f = s_discuss (police, "Invented: en helt vanlig setning uten noe identifiserende.", NULL);
    CHECK (f && f->submit_result && f->submit_result->error
        && f->submit_result->error->code == SAMHAND__V1__ERROR_CODE__NOT_PERMITTED
        && strstr (f->submit_result->error->text, "paused")
        && f->submit_result->error->n_findings == 0,
           "probe: past the limit even a clean discussion is refused unscanned, distinctly");
    frame_free (&f);
    Samhand__V1__Frame *alert = NULL;
    int64_t deadline = zclock_mono () + 4000;
    while (!alert && zclock_mono () < deadline) {
        f = hclient_expect (admin, SAMHAND__V1__FRAME__COMMAND_DELIVER, 500);
        if (f) {
            hclient_receipt (admin, f->deliver->delivery_id, SAMHAND__V1__RECEIPT_STATE__RECEIVED);
            if (f->deliver->alert && streq (f->deliver->alert->type, "probe_limit"))
                alert = f;
            else
                frame_free (&f);
        }
    }
    CHECK (alert && strstr (alert->deliver->alert->text, "politi-risk")
        && !strstr (alert->deliver->alert->text, "47 00"),
           "probe: the admin is alerted, without the identifiers");
    frame_free (&alert);
    //  The admin sees every refused probe in the audit: kinds, no number.
    Samhand__V1__Frame query = SAMHAND__V1__FRAME__INIT;
    Samhand__V1__AuditQuery q = SAMHAND__V1__AUDIT_QUERY__INIT;
    q.query = "export";
    query.command_case = SAMHAND__V1__FRAME__COMMAND_AUDIT_QUERY;
    query.audit_query = &q;
    hclient_send (admin, &query);
    f = hclient_expect (admin, SAMHAND__V1__FRAME__COMMAND_AUDIT_REPLY, 5000);
    int audited = 0, paused = 0;
    bool leak = false;
    for (size_t i = 0; f && f->audit_reply && i < f->audit_reply->n_entries; i++) {
        Samhand__V1__AuditEntry *e = f->audit_reply->entries [i];
        audited += streq (e->event, "refused") && streq (e->detail, "IDENTIFIER_FOUND: phone");
        paused += streq (e->event, "refused") && streq (e->detail, "PROBE_LIMIT");
        leak = leak || strstr (e->detail, "47 00") != NULL;
    }
    CHECK (audited == 10 && paused == 1 && !leak,
           "probe: every refused probe is in the admin's audit with its kinds, never the number");
    frame_free (&f);
    hclient_t *coord2 = hclient_new (h, "tryggest");
    f = s_discuss (coord2, "Invented: ring 47 00 00 99.", NULL);
    CHECK (f && f->submit_result && f->submit_result->error
        && f->submit_result->error->code == SAMHAND__V1__ERROR_CODE__IDENTIFIER_FOUND,
           "probe: the limit is per node");
    frame_free (&f);
    hclient_destroy (&coord2);
    hclient_destroy (&police);
    hclient_destroy (&admin);
    //  Each refused probe is in the log with its kinds, never the number.
    char path [400];
    snprintf (path, sizeof path, "%s/samhandd.log", h->dir);
    char *log = NULL;
    FILE *file = fopen (path, "r");
    if (file) {
        log = calloc (1, 1 << 20);
        if (log)
            fread (log, 1, (1 << 20) - 1, file);
        fclose (file);
    }
    CHECK (log && strstr (log, "refused for identifiers (phone)") && !strstr (log, "47 00 00"),
           "probe: each refusal is logged with its kinds and without the identifier");
    free (log);

    //  A store of an older version, with known identifiers that name no
    //  agency: it still opens, and those hashes are dropped, not used.
    harness_stop (h, SIGTERM);
    int status = harness_sql_exec (h, harness_pg (h)
        ? "CREATE TABLE known_ids (hash BYTEA PRIMARY KEY, kind INTEGER NOT NULL);"
          " INSERT INTO known_ids VALUES (sha256 ('invented'), 6);"
        : "CREATE TABLE known_ids (hash BLOB PRIMARY KEY, kind INTEGER NOT NULL);"
          " INSERT INTO known_ids VALUES (randomblob (32), 6);");
    CHECK (status == 0 && harness_start (h) == 0, "old store: a store with unattributed known ids opens");
    log = NULL;
    file = fopen (path, "r");
    if (file) {
        log = calloc (1, 1 << 20);
        if (log)
            fread (log, 1, (1 << 20) - 1, file);
        fclose (file);
    }
    CHECK (log && strstr (log, "dropped 1 known identifiers"),
           "old store: known ids without an agency are dropped and logged");
    free (log);
    harness_destroy (&h);
}

//  Without its word list the broker would pass full names: it must not start.
static void
test_names_dict_required (void)
{
    harness_t *h = harness_new ("    names_dict = \"/nonexistent/bokmaal\"\n");
    if (!h) {
        CHECK (false, "dict: harness");
        return;
    }
    char cmd [600];
    snprintf (cmd, sizeof cmd, "%s/samhandd --check-config -c %s 2>&1", harness_build (), h->config);
    int status = 0;
    char *out = harness_run (cmd, &status);
    CHECK (status != 0 && out && strstr (out, "names_dict"),
           "dict: --check-config reports a names_dict that cannot be read");
    free (out);
    CHECK (harness_start (h) != 0, "dict: samhandd refuses to start without its word list");
    harness_destroy (&h);
    //  a file that is no word list (here: the broker's own certificate)
    h = harness_new ("    names_dict = \"server.cert\"\n");
    if (!h)
        return;
    CHECK (harness_start (h) != 0, "dict: samhandd refuses to start with a file that is no word list");
    char path [400];
    snprintf (path, sizeof path, "%s/samhandd.log", h->dir);
    FILE *file = fopen (path, "r");
    char log [4096] = "";
    if (file) {
        size_t n = fread (log, 1, sizeof log - 1, file);
        log [n] = '\0';
        fclose (file);
    }
    CHECK (strstr (log, "fewer than") != NULL, "dict: the reason is logged");
    harness_destroy (&h);
}

static void
test_common_word_surname (harness_t *h)
{
    hclient_t *coord = hclient_new (h, "koordinator");
    Samhand__V1__Frame *f = s_concern (coord, "Kari Vold", "");
    frame_free (&f);
    char answer [1024];
    f = s_discuss (coord, "Invented: hun har vært utsatt for vold av partner i lang tid,"
                   " hva bør vi gjøre?", NULL);
    s_answer (f, answer, sizeof answer);
    CHECK (strstr (answer, "accepted=1") != NULL,
           "common word: a known surname that is a common word does not block the word");
    frame_free (&f);
    f = s_discuss (coord, "Invented: hun har fått hjelp fra Alternativ til Vold.", NULL);
    s_answer (f, answer, sizeof answer);
    CHECK (strstr (answer, "accepted=1") != NULL,
           "common word: nor does the capitalised word in a name of an organisation");
    if (!strstr (answer, "accepted=1"))
        printf ("  %s\n", answer);
    frame_free (&f);
    f = s_discuss (coord, "Invented: har noen snakket med Vold om dette?", NULL);
    s_answer (f, answer, sizeof answer);
    CHECK (strstr (answer, "[name text") != NULL,
           "common word: the known surname capitalised inside a sentence is still a name");
    frame_free (&f);
    hclient_destroy (&coord);
}

int
main (void)
{
    harness_t *h = harness_new (NULL);
    if (!h || harness_start (h)) {
        CHECK (false, "broker started");
        harness_destroy (&h);
        return TEST_DONE ();
    }
    test_no_oracle (h);
    test_common_word_surname (h);
    harness_destroy (&h);
    test_refused_teach_nothing ();
    test_names_dict_required ();
    return TEST_DONE ();
}
