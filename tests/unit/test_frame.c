/*  test_frame — the frame decoder and validator, without a socket: every
    refusal gets the right code, valid frames pass, unknown fields are
    dropped, and what is accepted packs back to something readable.
    Invented data only.                                                   */
#include "frame.h"
#include "testlib.h"
#include <stdlib.h>
#include <string.h>

static uint8_t *
s_pack (Samhand__V1__Frame *frame, size_t *size)
{
    *size = samhand__v1__frame__get_packed_size (frame);
    uint8_t *buf = (uint8_t *) malloc (*size + 1);
    samhand__v1__frame__pack (frame, buf);
    return buf;
}

//  Decodes a frame built in memory; returns the error code (0 = accepted).
static int
s_code (Samhand__V1__Frame *frame)
{
    size_t size;
    uint8_t *buf = s_pack (frame, &size);
    frame_error_t err;
    Samhand__V1__Frame *decoded = frame_decode (buf, size, 65536, &err);
    free (buf);
    int code = decoded? 0: err.code;
    frame_destroy (&decoded);
    return code;
}

static void
s_concern (Samhand__V1__Frame *frame, Samhand__V1__Submit *submit,
           Samhand__V1__ConcernReport *concern, uint8_t id [16])
{
    samhand__v1__frame__init (frame);
    samhand__v1__submit__init (submit);
    samhand__v1__concern_report__init (concern);
    memset (id, 7, 16);
    concern->text = "Invented: ringte vakttelefonen";
    concern->urgency = SAMHAND__V1__URGENCY__URGENT;
    submit->message_id = (ProtobufCBinaryData) { 16, id };
    submit->body_case = SAMHAND__V1__SUBMIT__BODY_CONCERN;
    submit->concern = concern;
    frame->version = 1;
    frame->request_id = 9;
    frame->command_case = SAMHAND__V1__FRAME__COMMAND_SUBMIT;
    frame->submit = submit;
}

//  Found by fuzz_frame: decodable, with a malformed unknown tag that
//  protobuf-c would pack again and then refuse to read.
static const uint8_t fuzz_crash [] = {
    0xea, 0x01, 0x00, 0xe2, 0x01, 0x00, 0x7a, 0x00, 0x6a, 0x00, 0x6a, 0x00, 0x6a, 0x00, 0xc2, 0xc2,
    0x03, 0x00, 0x7a, 0x00, 0x6a, 0x00, 0xc2, 0xc2, 0xc2, 0x01, 0x01, 0x00, 0x7a, 0x00, 0x6a, 0x00,
    0x7a, 0x00, 0x6a, 0x00, 0xc2, 0xc2, 0x03, 0x00, 0x7a, 0x00, 0x6a, 0x00, 0xc2, 0xc2, 0xc2, 0x01,
    0x00, 0x82, 0x00, 0xea, 0x01, 0x00, 0xe2, 0x01, 0x00, 0x7a, 0x00, 0x6a, 0x00, 0x7a, 0x00, 0x6a,
    0x00, 0xc2, 0xc2, 0x01, 0x00, 0x7a, 0x00, 0x6a, 0x00, 0xc2, 0xc2, 0xc2, 0xe2, 0x01, 0x00, 0x7a,
    0x00, 0x6a, 0x00, 0x7a, 0x00, 0x6a, 0x00, 0xc2, 0xc2, 0xc2, 0xc2, 0x01, 0x01, 0x00, 0x7a, 0x00,
    0x6a, 0x00, 0x7a, 0x00, 0x6a, 0x00, 0xc2, 0xc2, 0x03, 0x00, 0x7a, 0x00, 0x6a, 0x00, 0xc2, 0xc2,
    0xc2, 0x01, 0x00, 0x7a, 0x00, 0xea, 0x01, 0x00, 0xe2, 0x01, 0x00, 0x6a, 0x00, 0xc2, 0xc2, 0x03,
    0x00, 0x7a, 0x00, 0x6a, 0x00, 0xc2, 0xc2, 0xc2, 0x01, 0x01, 0x00, 0x7a, 0x00, 0x6a, 0x00, 0x7a,
    0x00, 0x6a, 0x00, 0xc2, 0xc2, 0x03, 0x00, 0x7a, 0x00, 0x6a, 0x00, 0xc2, 0xc2, 0xc2, 0x01, 0x00,
    0x7a, 0x00, 0xea, 0x01, 0x00, 0x32, 0x00, 0xc2, 0xc2, 0x01, 0x00, 0x08, 0x00, 0x7a, 0x00, 0x7a,
    0x00, 0x6a, 0x00, 0x7a, 0x00, 0x6a, 0x00, 0xc2, 0x1b, 0x00, 0xc2, 0x01, 0x00, 0x7a, 0x00, 0x6a,
    0x00, 0xc2, 0xc2, 0xc2, 0x01, 0x00, 0x7a, 0x00, 0x6a, 0x00, 0xc2, 0x01, 0x00, 0x32, 0x00, 0xc2,
    0xc2, 0x01, 0x00, 0x08, 0x01, 0x6a, 0x00, 0xc2, 0x01, 0x00, 0x32, 0x00, 0xc2, 0xc2, 0x01, 0x00,
    0x08, 0x00, 0x7a, 0x00, 0xea, 0x01, 0x00, 0xe2, 0x01, 0x00, 0x7a, 0x00, 0x6a, 0x00, 0x7a, 0x00,
    0x6a, 0x00, 0xc2, 0xc2, 0x01, 0x00, 0x7a, 0x00, 0x6a, 0x00, 0xc2, 0xc2, 0xc2, 0x01, 0x00, 0x7a,
    0x00, 0x6a, 0x00, 0xc2, 0x01, 0x00, 0x32, 0x00, 0xc2, 0xc2, 0x01, 0x01, 0x00, 0x7a, 0x00, 0x6a,
    0x00, 0xc2, 0xc2, 0xc2, 0x01, 0x00, 0x7a, 0x6a, 0x00, 0x08, 0x01, 0x01, 0x00, 0x32, 0x00, 0xc2,
    0xc2, 0x01, 0x00, 0x08, 0x01, 0x6a, 0x00, 0xc2, 0x01, 0x00, 0x32, 0x00, 0xc2, 0xc2, 0x01, 0x00,
    0x08, 0x01
};

int
main (void)
{
    Samhand__V1__Frame frame;
    Samhand__V1__Submit submit;
    Samhand__V1__ConcernReport concern;
    uint8_t id [16];
    frame_error_t err;

    s_concern (&frame, &submit, &concern, id);
    CHECK (s_code (&frame) == 0, "a complete concern submit is accepted");
    frame.version = 2;
    CHECK (s_code (&frame) == SAMHAND__V1__ERROR_CODE__UNSUPPORTED_VERSION, "version 2: UNSUPPORTED_VERSION");
    frame.version = 0;
    CHECK (s_code (&frame) == SAMHAND__V1__ERROR_CODE__UNSUPPORTED_VERSION, "no version: UNSUPPORTED_VERSION");
    frame.version = 1;
    submit.message_id.len = 15;
    CHECK (s_code (&frame) == SAMHAND__V1__ERROR_CODE__INVALID_FIELD, "15-byte message id: INVALID_FIELD");
    submit.message_id.len = 16;
    concern.urgency = (Samhand__V1__Urgency) 42;
    CHECK (s_code (&frame) == SAMHAND__V1__ERROR_CODE__INVALID_FIELD, "unknown urgency: INVALID_FIELD");
    concern.urgency = SAMHAND__V1__URGENCY__URGENCY_UNSPECIFIED;
    CHECK (s_code (&frame) == SAMHAND__V1__ERROR_CODE__MISSING_FIELD, "no urgency: MISSING_FIELD");
    concern.urgency = SAMHAND__V1__URGENCY__ACUTE;
    concern.text = "";
    CHECK (s_code (&frame) == SAMHAND__V1__ERROR_CODE__MISSING_FIELD, "no text: MISSING_FIELD");
    char *long_text = (char *) malloc (FRAME_MAX_TEXT + 2);
    memset (long_text, 'a', FRAME_MAX_TEXT + 1);
    long_text [FRAME_MAX_TEXT + 1] = 0;
    concern.text = long_text;
    CHECK (s_code (&frame) == SAMHAND__V1__ERROR_CODE__INVALID_FIELD, "text over the limit: INVALID_FIELD");
    long_text [FRAME_MAX_TEXT] = 0;
    CHECK (s_code (&frame) == 0, "text at the limit is accepted");
    free (long_text);
    concern.text = "Invented";
    Samhand__V1__Subject subject = SAMHAND__V1__SUBJECT__INIT;
    char long_name [FRAME_MAX_STRING + 2];
    memset (long_name, 'b', sizeof long_name - 1);
    long_name [sizeof long_name - 1] = 0;
    subject.name = long_name;
    concern.subject = &subject;
    CHECK (s_code (&frame) == SAMHAND__V1__ERROR_CODE__INVALID_FIELD,
           "a nested string over its limit: INVALID_FIELD");
    subject.name = "Kari Testesen";
    CHECK (s_code (&frame) == 0, "a subject with an invented name is accepted");
    const char *bad_utf8 [] = { "\xc3", "\xc3\x28", "\xe2\x82", "\xed\xa0\x80", "\xc0\xaf",
                                "\xf4\x90\x80\x80", "\xff" };
    for (size_t i = 0; i < sizeof bad_utf8 / sizeof *bad_utf8; i++) {
        concern.text = (char *) bad_utf8 [i];
        char name [80];
        snprintf (name, sizeof name, "invalid UTF-8 case %zu: INVALID_FIELD", i);
        CHECK (s_code (&frame) == SAMHAND__V1__ERROR_CODE__INVALID_FIELD, name);
    }
    concern.text = "Øyvind, Åse og Ærlig: gyldig UTF-8 \xe2\x82\xac \xf0\x9f\x98\x80";
    CHECK (s_code (&frame) == 0, "valid multi-byte UTF-8 is accepted");
    Samhand__V1__Violence violence [FRAME_MAX_REPEATED + 1];
    for (int i = 0; i <= FRAME_MAX_REPEATED; i++)
        violence [i] = SAMHAND__V1__VIOLENCE__PHYSICAL;
    concern.violence = violence;
    concern.n_violence = FRAME_MAX_REPEATED + 1;
    CHECK (s_code (&frame) == SAMHAND__V1__ERROR_CODE__INVALID_FIELD, "too many repeated entries: INVALID_FIELD");
    concern.n_violence = 2;
    violence [1] = (Samhand__V1__Violence) 99;
    CHECK (s_code (&frame) == SAMHAND__V1__ERROR_CODE__INVALID_FIELD, "unknown enum in a repeated field: INVALID_FIELD");
    concern.n_violence = 0;
    Samhand__V1__Agency to [1] = { SAMHAND__V1__AGENCY__AGENCY_UNSPECIFIED };
    submit.recipients = to;
    submit.n_recipients = 1;
    CHECK (s_code (&frame) == SAMHAND__V1__ERROR_CODE__INVALID_FIELD, "AGENCY_UNSPECIFIED recipient: INVALID_FIELD");
    submit.n_recipients = 0;
    submit.body_case = SAMHAND__V1__SUBMIT__BODY__NOT_SET;
    CHECK (s_code (&frame) == SAMHAND__V1__ERROR_CODE__MISSING_FIELD, "submit without a body: MISSING_FIELD");
    submit.body_case = SAMHAND__V1__SUBMIT__BODY_CONCERN;

    //  Other commands.
    Samhand__V1__Frame other = SAMHAND__V1__FRAME__INIT;
    other.version = 1;
    CHECK (s_code (&other) == SAMHAND__V1__ERROR_CODE__MISSING_FIELD, "a frame without a command: MISSING_FIELD");
    Samhand__V1__Receipt receipt = SAMHAND__V1__RECEIPT__INIT;
    other.command_case = SAMHAND__V1__FRAME__COMMAND_RECEIPT;
    other.receipt = &receipt;
    CHECK (s_code (&other) == SAMHAND__V1__ERROR_CODE__MISSING_FIELD, "receipt without ids: MISSING_FIELD");
    receipt.delivery_id = 3;
    receipt.state = SAMHAND__V1__RECEIPT_STATE__READ;
    CHECK (s_code (&other) == 0, "a receipt is accepted");
    Samhand__V1__Deliver deliver = SAMHAND__V1__DELIVER__INIT;
    other.command_case = SAMHAND__V1__FRAME__COMMAND_DELIVER;
    other.deliver = &deliver;
    CHECK (s_code (&other) == SAMHAND__V1__ERROR_CODE__UNEXPECTED_COMMAND, "a Deliver from a client: UNEXPECTED_COMMAND");
    Samhand__V1__ConsentGrant grant = SAMHAND__V1__CONSENT_GRANT__INIT;
    other.command_case = SAMHAND__V1__FRAME__COMMAND_CONSENT_GRANT;
    other.consent_grant = &grant;
    CHECK (s_code (&other) == SAMHAND__V1__ERROR_CODE__MISSING_FIELD, "an empty consent grant: MISSING_FIELD");
    Samhand__V1__StatusQuery sq = SAMHAND__V1__STATUS_QUERY__INIT;
    other.command_case = SAMHAND__V1__FRAME__COMMAND_STATUS_QUERY;
    other.status_query = &sq;
    CHECK (s_code (&other) == SAMHAND__V1__ERROR_CODE__INVALID_FIELD, "status query without a 16-byte id: INVALID_FIELD");

    //  Raw bytes.
    CHECK (frame_decode ((const uint8_t *) "\xff\xff\xff", 3, 65536, &err) == NULL
           && err.code == SAMHAND__V1__ERROR_CODE__MALFORMED, "garbage: MALFORMED");
    uint8_t *big = (uint8_t *) calloc (1, 70000);
    CHECK (frame_decode (big, 70000, 65536, &err) == NULL && err.code == SAMHAND__V1__ERROR_CODE__TOO_LARGE,
           "over the size limit: TOO_LARGE, before any parsing");
    free (big);
    s_concern (&frame, &submit, &concern, id);
    size_t size;
    uint8_t *buf = s_pack (&frame, &size);
    submit.message_id.len = 3;
    uint8_t *bad = s_pack (&frame, &size);
    Samhand__V1__Frame *none = frame_decode (bad, size, 65536, &err);
    CHECK (!none && err.request_id == 9, "a frame that fails validation reports its request id");
    free (bad);
    free (buf);

    //  Unknown fields: a "sender" smuggled in as field 99 is dropped.
    submit.message_id.len = 16;
    buf = s_pack (&frame, &size);
    uint8_t *extra = (uint8_t *) malloc (size + 16);
    memcpy (extra, buf, size);
    size_t n = size;
    extra [n++] = 0x9a;     //  field 99, wire type 2
    extra [n++] = 0x06;
    extra [n++] = 7;
    memcpy (extra + n, "koordin", 7);
    n += 7;
    Samhand__V1__Frame *decoded = frame_decode (extra, n, 65536, &err);
    CHECK (decoded && decoded->base.n_unknown_fields == 0, "unknown fields are dropped on arrival");
    size_t again_size = 0;
    uint8_t *again = decoded? frame_encode (decoded, &again_size): NULL;
    CHECK (again && again_size == size && memcmp (again, buf, size) == 0,
           "what was accepted packs back to the canonical frame");
    free (again);
    frame_destroy (&decoded);
    free (extra);
    free (buf);

    decoded = frame_decode (fuzz_crash, sizeof fuzz_crash, 65536, &err);
    again = decoded? frame_encode (decoded, &again_size): NULL;
    Samhand__V1__Frame *round = again? frame_decode (again, again_size, 65536, &err): NULL;
    CHECK (decoded && round, "fuzz regression: a malformed unknown tag does not survive a repack");
    frame_destroy (&round);
    frame_destroy (&decoded);
    free (again);

    CHECK (strcmp (frame_error_name (SAMHAND__V1__ERROR_CODE__OUTBOX_FULL), "OUTBOX_FULL") == 0
           && strcmp (frame_error_name (999), "UNKNOWN") == 0, "error codes have names");
    return TEST_DONE ();
}
