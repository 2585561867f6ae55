/*  itest_fields — structured and string fields over a real socket: a raw
    frame with a NUL inside a string is refused (INVALID_FIELD) and nothing
    of it is stored or delivered; a risk change whose instrument or review
    date carries a name and numbers is refused; a valid one is delivered
    pseudonymised with the instrument intact. Real samhandd, real
    certificates, real sqlite. Every person here is invented.            */
#include "harness.h"
#include "testlib.h"
#include <signal.h>

#define NAME   "Kari Nullbyte"
#define NID    "01019012057"
#define PHONE  "41234567"

//  Packs a concern submit, turns the first byte of MARK into a NUL on the
//  wire and sends it raw; returns the broker's answer.
static Samhand__V1__Frame *
s_send_with_nul (hclient_t *c, const char *text, const char *mark, uint64_t request_id)
{
    Samhand__V1__Frame frame = SAMHAND__V1__FRAME__INIT;
    Samhand__V1__Submit submit;
    Samhand__V1__ConcernReport concern;
    Samhand__V1__Subject subject;
    uint8_t id [16];
    harness_concern (&submit, &concern, &subject, text);
    subject.name = NAME;
    harness_new_id (&submit, id);
    frame.version = 1;
    frame.request_id = request_id;
    frame.command_case = SAMHAND__V1__FRAME__COMMAND_SUBMIT;
    frame.submit = &submit;
    size_t size = samhand__v1__frame__get_packed_size (&frame);
    uint8_t *buf = (uint8_t *) malloc (size);
    samhand__v1__frame__pack (&frame, buf);
    uint8_t *at = (uint8_t *) memmem (buf, size, mark, strlen (mark));
    if (at)
        *at = 0;
    hclient_send_raw (c, buf, size);
    free (buf);
    return at? hclient_recv (c, 3000): NULL;
}

static void
test_embedded_nul (harness_t *h)
{
    hclient_t *vakt = hclient_new (h, "vakt");
    hclient_t *police = hclient_new (h, "politi-risk");
    Samhand__V1__Frame *f = hclient_subscribe (police, 3000);
    frame_free (&f);
    hclient_drain (police, 300);

    f = s_send_with_nul (vakt, "Invented: kort tekst|og resten etter null", "|og", 41);
    Samhand__V1__Error *e = f && f->command_case == SAMHAND__V1__FRAME__COMMAND_ERROR? f->error
                          : f && f->command_case == SAMHAND__V1__FRAME__COMMAND_SUBMIT_RESULT
                          ? f->submit_result->error: NULL;
    CHECK (e && e->code == SAMHAND__V1__ERROR_CODE__INVALID_FIELD && strstr (e->text, "text")
             && f->request_id == 41,
           "a NUL inside a concern text: refused with INVALID_FIELD naming the field");
    CHECK (!(f && f->command_case == SAMHAND__V1__FRAME__COMMAND_SUBMIT_RESULT
             && f->submit_result->accepted),
           "a NUL inside a string is never acknowledged");
    frame_free (&f);

    f = s_send_with_nul (vakt, "Invented: hele teksten", "Nullbyte", 42);
    e = f && f->command_case == SAMHAND__V1__FRAME__COMMAND_ERROR? f->error: NULL;
    CHECK (e && e->code == SAMHAND__V1__ERROR_CODE__INVALID_FIELD && strstr (e->text, "name"),
           "a NUL inside the subject's name (nested): refused naming the field");
    frame_free (&f);

    f = hclient_expect (police, SAMHAND__V1__FRAME__COMMAND_DELIVER, 1000);
    CHECK (f == NULL, "nothing of a frame with a NUL inside a string is delivered");
    frame_free (&f);
    f = hclient_ping (vakt, 2000);
    CHECK (f != NULL, "the connection stays after the refusal");
    frame_free (&f);
    hclient_destroy (&police);
    hclient_destroy (&vakt);
}

static Samhand__V1__Frame *
s_risk (hclient_t *c, const char *instrument, const char *review_by)
{
    Samhand__V1__Submit submit = SAMHAND__V1__SUBMIT__INIT;
    Samhand__V1__RiskChange risk = SAMHAND__V1__RISK_CHANGE__INIT;
    Samhand__V1__Subject subject = SAMHAND__V1__SUBJECT__INIT;
    Samhand__V1__Measure measures [1] = { SAMHAND__V1__MEASURE__VIOLENCE_ALARM };
    uint8_t id [16];
    subject.name = NAME;
    subject.national_id = NID;
    risk.subject = &subject;
    risk.instrument = (char *) instrument;
    risk.review_by = (char *) review_by;
    risk.level = SAMHAND__V1__RISK_LEVEL__HIGH;
    risk.measures = measures;
    risk.n_measures = 1;
    submit.body_case = SAMHAND__V1__SUBMIT__BODY_RISK_CHANGE;
    submit.risk_change = &risk;
    harness_new_id (&submit, id);
    Samhand__V1__Frame frame = SAMHAND__V1__FRAME__INIT;
    frame.request_id = 77;
    frame.command_case = SAMHAND__V1__FRAME__COMMAND_SUBMIT;
    frame.submit = &submit;
    hclient_send (c, &frame);
    return hclient_recv (c, 3000);
}

static void
test_structured (harness_t *h)
{
    hclient_t *coord = hclient_new (h, "koordinator");
    hclient_t *police = hclient_new (h, "politi-risk");
    Samhand__V1__Frame *f = hclient_subscribe (police, 3000);
    frame_free (&f);
    hclient_drain (police, 300);

    f = s_risk (coord, "SARA-V3 " NAME " " NID " tlf " PHONE, "");
    CHECK (f && f->command_case == SAMHAND__V1__FRAME__COMMAND_ERROR
             && f->error->code == SAMHAND__V1__ERROR_CODE__INVALID_FIELD
             && strstr (f->error->text, "instrument") && !frame_contains (f, NID),
           "an instrument carrying a name and numbers is refused, naming the field, not echoing it");
    frame_free (&f);
    f = s_risk (coord, "SARA-V3", "2031-01-15 ring " PHONE);
    CHECK (f && f->command_case == SAMHAND__V1__FRAME__COMMAND_ERROR
             && f->error->code == SAMHAND__V1__ERROR_CODE__INVALID_FIELD
             && strstr (f->error->text, "review_by"),
           "a review date carrying a phone number is refused");
    frame_free (&f);
    f = s_risk (coord, "SARA-V3", "2031-02-29");
    CHECK (f && f->command_case == SAMHAND__V1__FRAME__COMMAND_ERROR,
           "a review date that is no date (29 February 2031) is refused");
    frame_free (&f);
    f = hclient_expect (police, SAMHAND__V1__FRAME__COMMAND_DELIVER, 800);
    CHECK (f == NULL, "nothing of the refused risk changes reached the police");
    frame_free (&f);

    f = s_risk (coord, "PATRIARK", "2032-02-29");
    CHECK (f && f->command_case == SAMHAND__V1__FRAME__COMMAND_SUBMIT_RESULT
             && f->submit_result->accepted,
           "a risk change with an instrument from the list and a real date is accepted");
    frame_free (&f);
    f = hclient_expect (police, SAMHAND__V1__FRAME__COMMAND_DELIVER, 3000);
    CHECK (f && f->deliver->view == SAMHAND__V1__VIEW__PSEUDONYMISED
             && streq (f->deliver->risk_change->instrument, "PATRIARK")
             && streq (f->deliver->risk_change->review_by, "2032-02-29")
             && !frame_contains (f, NID) && !frame_contains (f, "Nullbyte"),
           "the police get it pseudonymised: instrument and date, no identity");
    if (f)
        hclient_receipt (police, f->deliver->delivery_id, 1);
    frame_free (&f);
    hclient_destroy (&police);
    hclient_destroy (&coord);
}

//  DESIGN.md §2 (corrected): a risk change within the resource centre is
//  identified on need to know, and the duty phone, which answers at
//  night, gets it by default.
static void
test_risk_same_agency (harness_t *h)
{
    hclient_t *vakt = hclient_listener (h, "vakt");
    hclient_t *coord = hclient_new (h, "koordinator");
    Samhand__V1__Frame *f = s_risk (coord, "SARA-V3", "2031-06-30");
    const Samhand__V1__AgencyDecision *rc = NULL;
    for (size_t i = 0; f && f->submit_result && i < f->submit_result->n_decisions; i++)
        if (f->submit_result->decisions [i]->agency == SAMHAND__V1__AGENCY__RESOURCE_CENTRE)
            rc = f->submit_result->decisions [i];
    CHECK (rc && rc->view == SAMHAND__V1__VIEW__IDENTIFIED && streq (rc->rule, "SAME-AGENCY")
             && rc->nodes >= 1,
           "risk change within the resource centre: identified, SAME-AGENCY, to the duty phone");
    frame_free (&f);
    f = hclient_expect (vakt, SAMHAND__V1__FRAME__COMMAND_DELIVER, 3000);
    CHECK (f && f->deliver->kind == SAMHAND__V1__KIND__RISK_CHANGE
             && f->deliver->view == SAMHAND__V1__VIEW__IDENTIFIED && frame_contains (f, NID)
             && f->deliver->risk_change->level == SAMHAND__V1__RISK_LEVEL__HIGH,
           "the duty phone receives the current risk identified");
    if (f)
        hclient_receipt (vakt, f->deliver->delivery_id, 1);
    frame_free (&f);
    hclient_destroy (&coord);
    hclient_destroy (&vakt);
}

//  Defence in depth: with the workflow timers held back (tick = 1 hour),
//  the consent's end timer cannot fire; the delivery path itself must still
//  refuse to hand out an identified view on a consent no longer in force.
static void
test_deliver_time_consent_check (void)
{
    harness_t *h = harness_new ("workflow\n    tick = 1h\n");
    CHECK (h && harness_start (h) == 0, "deliver check: samhandd with timers held back starts");
    if (!h)
        return;
    hclient_t *coord = hclient_new (h, "koordinator");
    Samhand__V1__Frame frame;
    Samhand__V1__ConsentGrant grant;
    Samhand__V1__Subject who;
    Samhand__V1__Agency agencies [1] = { SAMHAND__V1__AGENCY__POLICE_RISK };
    Samhand__V1__DataClass classes [2] = { SAMHAND__V1__DATA_CLASS__IDENTITY,
                                           SAMHAND__V1__DATA_CLASS__RISK_LEVEL_CLASS };
    char *purposes [1] = { "risk_management" };
    int64_t until = time (NULL) + 2;
    harness_grant (&frame, &grant, &who, NID, agencies, 1, classes, 2, purposes, 1, until);
    hclient_send (coord, &frame);
    Samhand__V1__Frame *f = hclient_expect (coord, SAMHAND__V1__FRAME__COMMAND_CONSENT_REPLY, 3000);
    CHECK (f && f->consent_reply->ok, "deliver check: a consent of two seconds is recorded");
    frame_free (&f);
    f = s_risk (coord, "SARA-V3", "");
    bool identified = false;
    for (size_t i = 0; f && f->submit_result && i < f->submit_result->n_decisions; i++)
        identified = identified
                  || (f->submit_result->decisions [i]->agency == SAMHAND__V1__AGENCY__POLICE_RISK
                      && f->submit_result->decisions [i]->view == SAMHAND__V1__VIEW__IDENTIFIED);
    CHECK (identified, "deliver check: the risk change waits identified for the offline police");
    frame_free (&f);
    while (time (NULL) <= until)
        zclock_sleep (200);
    hclient_t *police = hclient_new (h, "politi-risk");
    Samhand__V1__Frame iq = SAMHAND__V1__FRAME__INIT;
    Samhand__V1__InboxQuery inbox = SAMHAND__V1__INBOX_QUERY__INIT;
    iq.command_case = SAMHAND__V1__FRAME__COMMAND_INBOX_QUERY;
    iq.inbox_query = &inbox;
    hclient_send (police, &iq);
    f = hclient_expect (police, SAMHAND__V1__FRAME__COMMAND_INBOX_REPLY, 3000);
    bool inbox_leak = !f;
    for (size_t i = 0; f && i < f->inbox_reply->n_items; i++)
        inbox_leak = inbox_leak || f->inbox_reply->items [i]->view == SAMHAND__V1__VIEW__IDENTIFIED
                  || frame_contains (f, NID);
    CHECK (!inbox_leak, "deliver check: the police's inbox shows no identified view on the ended consent");
    frame_free (&f);
    f = hclient_subscribe (police, 3000);
    frame_free (&f);
    bool got = false, leaked = false;
    while ((f = hclient_expect (police, SAMHAND__V1__FRAME__COMMAND_DELIVER, 1500))) {
        hclient_receipt (police, f->deliver->delivery_id, 1);
        if (f->deliver->kind == SAMHAND__V1__KIND__RISK_CHANGE) {
            got = true;
            leaked = leaked || f->deliver->view == SAMHAND__V1__VIEW__IDENTIFIED
                  || frame_contains (f, NID) || frame_contains (f, "Nullbyte");
        }
        frame_free (&f);
    }
    CHECK (got && !leaked, "deliver check: after the consent ended the police get no identified view,"
                           " even before its timer fired");
    hclient_destroy (&police);
    hclient_destroy (&coord);
    CHECK (harness_stop (h, SIGTERM) == 0, "deliver check: clean stop");
    harness_destroy (&h);
}

int
main (void)
{
    zsys_init ();
    zsys_set_linger (0);
    harness_t *h = harness_new (NULL);
    CHECK (h && harness_start (h) == 0, "samhandd starts");
    if (!h)
        return 1;
    test_embedded_nul (h);
    test_structured (h);
    test_risk_same_agency (h);
    CHECK (harness_stop (h, SIGTERM) == 0, "clean stop");
    harness_destroy (&h);
    test_deliver_time_consent_check ();
    return TEST_DONE ();
}
