/*  frame — protocol codec and validator. See frame.h.                       */
#include "frame.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int
s_fail (frame_error_t *err, int code, const char *text)
{
    err->code = code;
    snprintf (err->text, sizeof err->text, "%s", text);
    return -1;
}

int
frame_utf8_valid (const char *text, size_t len)
{
    const unsigned char *s = (const unsigned char *) text;
    size_t i = 0;
    while (i < len) {
        unsigned char c = s [i];
        size_t n;
        uint32_t cp;
        if (c < 0x80) { i++; continue; }
        else if ((c & 0xE0) == 0xC0) { n = 1; cp = c & 0x1F; }
        else if ((c & 0xF0) == 0xE0) { n = 2; cp = c & 0x0F; }
        else if ((c & 0xF8) == 0xF0) { n = 3; cp = c & 0x07; }
        else return 0;
        if (n >= len - i)
            return 0;     //  truncated sequence
        for (size_t k = 1; k <= n; k++) {
            if ((s [i + k] & 0xC0) != 0x80)
                return 0;
            cp = (cp << 6) | (s [i + k] & 0x3F);
        }
        if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000)
        ||  cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            return 0;
        i += n + 1;
    }
    return 1;
}

//  Fields whose name says they hold free text get the larger limit.
static size_t
s_string_limit (const ProtobufCFieldDescriptor *field)
{
    const char *name = field->name;
    if (!strcmp (name, "text") || !strcmp (name, "question")
    ||  !strcmp (name, "justification") || !strcmp (name, "not_informed_reason"))
        return FRAME_MAX_TEXT;
    return FRAME_MAX_STRING;
}

//  ---------------------------------------------------------------------
//  Structured fields. A field that has a structure holds exactly that
//  structure, so nothing else (a name, a number, a note) can ride in it
//  into a view where it is kept without being scanned. Empty always means
//  "not given"; whether a field is required is checked per command.

//  Risk assessment instruments used in Norwegian practice (docs/POLICY.md):
//  SARA-V3 (Spousal Assault Risk Assessment, version 3, the one the
//  resource centre's violence coordinator runs), SARA:SV (its short
//  version, used by the police), B-SAFER (the police's brief SARA-based
//  guide), PATRIARK (honour-related violence), SAM (stalking), DASH
//  (Domestic Abuse, Stalking and Harassment checklist), ODARA (Ontario
//  Domestic Assault Risk Assessment). Compared exactly.
static const char *s_instruments [] = {
    "SARA-V3", "SARA:SV", "B-SAFER", "PATRIARK", "SAM", "DASH", "ODARA", NULL
};

const char *const *
frame_instruments (void)
{
    return s_instruments;
}

bool
frame_instrument_valid (const char *text)
{
    if (!text || !*text)
        return true;
    for (int i = 0; s_instruments [i]; i++)
        if (strcmp (text, s_instruments [i]) == 0)
            return true;
    return false;
}

static bool
s_digits (const char *text, size_t count)
{
    for (size_t i = 0; i < count; i++)
        if (text [i] < '0' || text [i] > '9')
            return false;
    return true;
}

static int
s_number (const char *text, size_t count)
{
    int value = 0;
    for (size_t i = 0; i < count; i++)
        value = value * 10 + (text [i] - '0');
    return value;
}

bool
frame_date_valid (const char *text, int min_year, int max_year)
{
    static const int days [12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    if (!text || strlen (text) < 10 || !s_digits (text, 4) || text [4] != '-'
    ||  !s_digits (text + 5, 2) || text [7] != '-' || !s_digits (text + 8, 2))
        return false;
    int year = s_number (text, 4), month = s_number (text + 5, 2), day = s_number (text + 8, 2);
    if (year < min_year || year > max_year || month < 1 || month > 12 || day < 1)
        return false;
    bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    return day <= days [month - 1] + (month == 2 && leap);
}

static bool
s_birth_date (const char *text)
{
    return strlen (text) == 10 && frame_date_valid (text, 1900, 2099);
}

//  A review date: YYYY-MM-DD, or a moment YYYY-MM-DDTHH:MM:SSZ (UTC).
static bool
s_review_by (const char *text)
{
    size_t len = strlen (text);
    if (len == 10)
        return frame_date_valid (text, 2000, 2099);
    return len == 20 && frame_date_valid (text, 2000, 2099) && text [10] == 'T'
        && s_digits (text + 11, 2) && text [13] == ':' && s_digits (text + 14, 2)
        && text [16] == ':' && s_digits (text + 17, 2) && text [19] == 'Z'
        && s_number (text + 11, 2) < 24 && s_number (text + 14, 2) < 60
        && s_number (text + 17, 2) < 60;
}

//  Fødselsnummer, D-number or H-number: 11 digits, nothing else.
static bool
s_national_id (const char *text)
{
    return strlen (text) == 11 && s_digits (text, 11);
}

//  A phone number: an optional leading '+', then digits with the
//  separators people write (space, '-', '.', parentheses); 8 to 15
//  digits (Norwegian numbers have 8, E.164 allows 15).
static bool
s_phone (const char *text)
{
    size_t digits = 0;
    for (const char *p = text; *p; p++) {
        if (*p >= '0' && *p <= '9')
            digits++;
        else
        if (!(*p == '+' && p == text) && *p != ' ' && *p != '-' && *p != '.'
        &&  *p != '(' && *p != ')')
            return false;
    }
    return digits >= 8 && digits <= 15 && strlen (text) <= 24;
}

//  The broker's case reference: agency prefix, '-', three groups of four
//  characters of its base32 alphabet (no 0 O 1 I), e.g. PR-7KQ4-M2XD-9FHA.
bool
frame_case_ref_valid (const char *text)
{
    static const char *prefixes [] = { "RC-", "TE-", "PR-", "KS-" };
    static const char alphabet [] = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ";
    if (!text || strlen (text) != 17)
        return false;
    bool prefix = false;
    for (int i = 0; i < 4; i++)
        prefix = prefix || strncmp (text, prefixes [i], 3) == 0;
    if (!prefix)
        return false;
    for (int i = 3; i < 17; i++) {
        bool dash = i == 7 || i == 12;
        if (dash? text [i] != '-': !text [i] || !strchr (alphabet, text [i]))
            return false;
    }
    return true;
}

static bool
s_case_ref (const char *text)
{
    return frame_case_ref_valid (text);
}

//  A purpose is a label of a word or two: ASCII letters, '_', '-' or space,
//  no digits (nothing like a number can ride in it), at most 40 bytes.
static bool
s_purpose (const char *text)
{
    size_t len = strlen (text);
    for (const char *p = text; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z')
              || *p == '_' || *p == '-' || *p == ' '))
            return false;
    return len <= 40;
}

typedef struct {
    const ProtobufCMessageDescriptor *message;
    const char *field;
    bool (*valid) (const char *text);
    const char *what;
} format_t;

static const format_t s_formats [] = {
    { &samhand__v1__subject__descriptor, "national_id", s_national_id,
      "11 digits (fødselsnummer, D- or H-number)" },
    { &samhand__v1__subject__descriptor, "birth_date", s_birth_date,
      "a real date written YYYY-MM-DD" },
    { &samhand__v1__subject__descriptor, "phone", s_phone,
      "a phone number: 8 to 15 digits, an optional leading +, spaces, -, . or ( )" },
    { &samhand__v1__risk_change__descriptor, "instrument", frame_instrument_valid,
      "one of SARA-V3, SARA:SV, B-SAFER, PATRIARK, SAM, DASH, ODARA (or empty)" },
    { &samhand__v1__risk_change__descriptor, "review_by", s_review_by,
      "a real date written YYYY-MM-DD (or YYYY-MM-DDTHH:MM:SSZ)" },
    { &samhand__v1__risk_change__descriptor, "case_ref", s_case_ref,
      "a case reference the broker gave your agency, e.g. RC-7KQ4-M2XD-9FHA" },
    { &samhand__v1__case_status__descriptor, "case_ref", s_case_ref,
      "a case reference the broker gave your agency, e.g. RC-7KQ4-M2XD-9FHA" },
    { &samhand__v1__concern_report__descriptor, "case_ref", s_case_ref,
      "a case reference the broker gave your agency, e.g. RC-7KQ4-M2XD-9FHA" },
    { &samhand__v1__audit_query__descriptor, "case_ref", s_case_ref,
      "a case reference the broker gave your agency, e.g. RC-7KQ4-M2XD-9FHA" },
    { &samhand__v1__submit__descriptor, "purpose", s_purpose,
      "a purpose word such as follow_up or risk_management" },
    { &samhand__v1__consent_grant__descriptor, "purposes", s_purpose,
      "a purpose word such as follow_up or risk_management" },
};

static int
s_check_format (const ProtobufCMessageDescriptor *message,
                const ProtobufCFieldDescriptor *field, const char *text, frame_error_t *err)
{
    if (!*text)
        return 0;
    for (size_t i = 0; i < sizeof s_formats / sizeof s_formats [0]; i++) {
        const format_t *f = &s_formats [i];
        if (f->message == message && strcmp (f->field, field->name) == 0 && !f->valid (text)) {
            //  Never the value itself: it may be exactly what must not travel.
            char text_ [200];
            snprintf (text_, sizeof text_, "field %s.%s must be %s", message->short_name,
                      field->name, f->what);
            return s_fail (err, SAMHAND__V1__ERROR_CODE__INVALID_FIELD, text_);
        }
    }
    return 0;
}

static int s_check_message (const ProtobufCMessage *msg, frame_error_t *err, int depth);

static int
s_check_value (const ProtobufCMessageDescriptor *message, const ProtobufCFieldDescriptor *field,
               const void *value, frame_error_t *err, int depth)
{
    char text [200];
    if (field->type == PROTOBUF_C_TYPE_ENUM) {
        int v = *(const int *) value;
        if (!protobuf_c_enum_descriptor_get_value (
                (const ProtobufCEnumDescriptor *) field->descriptor, v)) {
            snprintf (text, sizeof text, "field %s has unknown value %d", field->name, v);
            return s_fail (err, SAMHAND__V1__ERROR_CODE__INVALID_FIELD, text);
        }
    }
    else
    if (field->type == PROTOBUF_C_TYPE_STRING) {
        const char *s = *(char * const *) value;
        size_t len = s? strlen (s): 0;
        if (len > s_string_limit (field)) {
            snprintf (text, sizeof text, "field %s is longer than %zu bytes",
                      field->name, s_string_limit (field));
            return s_fail (err, SAMHAND__V1__ERROR_CODE__INVALID_FIELD, text);
        }
        if (!frame_utf8_valid (s, len)) {
            snprintf (text, sizeof text, "field %s is not valid UTF-8", field->name);
            return s_fail (err, SAMHAND__V1__ERROR_CODE__INVALID_FIELD, text);
        }
        if (s && s_check_format (message, field, s, err))
            return -1;
    }
    else
    if (field->type == PROTOBUF_C_TYPE_MESSAGE) {
        const ProtobufCMessage *sub = *(ProtobufCMessage * const *) value;
        if (sub && s_check_message (sub, err, depth + 1))
            return -1;
    }
    return 0;
}

static size_t
s_value_size (const ProtobufCFieldDescriptor *field)
{
    switch (field->type) {
        case PROTOBUF_C_TYPE_ENUM: return sizeof (int);
        case PROTOBUF_C_TYPE_STRING: return sizeof (char *);
        case PROTOBUF_C_TYPE_MESSAGE: return sizeof (ProtobufCMessage *);
        default: return 0;
    }
}

//  Walks every field of a message by its descriptor: enums in range,
//  strings bounded and UTF-8, repeated fields bounded, recursion bounded.
static int
s_check_message (const ProtobufCMessage *msg, frame_error_t *err, int depth)
{
    if (depth > 4)
        return s_fail (err, SAMHAND__V1__ERROR_CODE__MALFORMED, "nesting too deep");
    const ProtobufCMessageDescriptor *desc = msg->descriptor;
    for (unsigned i = 0; i < desc->n_fields; i++) {
        const ProtobufCFieldDescriptor *field = &desc->fields [i];
        const char *base = (const char *) msg + field->offset;
        size_t size = s_value_size (field);
        if (field->label == PROTOBUF_C_LABEL_REPEATED) {
            size_t count = *(const size_t *) ((const char *) msg + field->quantifier_offset);
            if (count > FRAME_MAX_REPEATED) {
                char text [200];
                snprintf (text, sizeof text, "field %s has more than %d entries",
                          field->name, FRAME_MAX_REPEATED);
                return s_fail (err, SAMHAND__V1__ERROR_CODE__INVALID_FIELD, text);
            }
            const char *array = *(char * const *) base;
            for (size_t k = 0; size && k < count; k++)
                if (s_check_value (desc, field, array + k * size, err, depth))
                    return -1;
        }
        else
        if (size) {
            //  A oneof member that is not the chosen case holds garbage
            //  from the union: only check the active one.
            if (field->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
                uint32_t chosen = *(const uint32_t *) ((const char *) msg + field->quantifier_offset);
                if (chosen != field->id)
                    continue;
            }
            if (s_check_value (desc, field, base, err, depth))
                return -1;
        }
    }
    return 0;
}

static int
s_check_submit (const Samhand__V1__Submit *submit, frame_error_t *err)
{
    if (submit->message_id.len != 16)
        return s_fail (err, SAMHAND__V1__ERROR_CODE__INVALID_FIELD,
                       "message_id must be 16 bytes");
    switch (submit->body_case) {
        case SAMHAND__V1__SUBMIT__BODY_CONCERN:
            if (!submit->concern->urgency)
                return s_fail (err, SAMHAND__V1__ERROR_CODE__MISSING_FIELD,
                               "a concern report needs an urgency");
            if (!*submit->concern->text)
                return s_fail (err, SAMHAND__V1__ERROR_CODE__MISSING_FIELD,
                               "a concern report needs a text");
            break;
        case SAMHAND__V1__SUBMIT__BODY_RISK_CHANGE:
            if (!submit->risk_change->level)
                return s_fail (err, SAMHAND__V1__ERROR_CODE__MISSING_FIELD,
                               "a risk change needs a level");
            if (!*submit->risk_change->case_ref && !submit->risk_change->subject)
                return s_fail (err, SAMHAND__V1__ERROR_CODE__MISSING_FIELD,
                               "a risk change needs a case reference or a subject");
            break;
        case SAMHAND__V1__SUBMIT__BODY_DISCUSSION:
            if (!*submit->discussion->text)
                return s_fail (err, SAMHAND__V1__ERROR_CODE__MISSING_FIELD,
                               "a case discussion needs a text");
            break;
        case SAMHAND__V1__SUBMIT__BODY_CASE_STATUS:
            if (!*submit->case_status->case_ref || !*submit->case_status->text)
                return s_fail (err, SAMHAND__V1__ERROR_CODE__MISSING_FIELD,
                               "a case status needs a case reference and a text");
            break;
        default:
            return s_fail (err, SAMHAND__V1__ERROR_CODE__MISSING_FIELD,
                           "submit has no message body");
    }
    for (size_t i = 0; i < submit->n_recipients; i++)
        if (submit->recipients [i] == SAMHAND__V1__AGENCY__AGENCY_UNSPECIFIED)
            return s_fail (err, SAMHAND__V1__ERROR_CODE__INVALID_FIELD,
                           "recipients may not contain AGENCY_UNSPECIFIED");
    return 0;
}

static int
s_check_command (const Samhand__V1__Frame *frame, frame_error_t *err)
{
    switch (frame->command_case) {
        case SAMHAND__V1__FRAME__COMMAND_SUBMIT:
            return s_check_submit (frame->submit, err);
        case SAMHAND__V1__FRAME__COMMAND_RECEIPT:
            if (!frame->receipt->delivery_id || !frame->receipt->state)
                return s_fail (err, SAMHAND__V1__ERROR_CODE__MISSING_FIELD,
                               "a receipt needs a delivery_id and a state");
            return 0;
        case SAMHAND__V1__FRAME__COMMAND_SUBSCRIBE:
        case SAMHAND__V1__FRAME__COMMAND_PING:
        case SAMHAND__V1__FRAME__COMMAND_CONSENT_QUERY:
        case SAMHAND__V1__FRAME__COMMAND_AUDIT_QUERY:
        case SAMHAND__V1__FRAME__COMMAND_INBOX_QUERY:
        case SAMHAND__V1__FRAME__COMMAND_BROKER_STATUS_QUERY:
            return 0;
        case SAMHAND__V1__FRAME__COMMAND_STATUS_QUERY:
            if (frame->status_query->message_id.len != 16)
                return s_fail (err, SAMHAND__V1__ERROR_CODE__INVALID_FIELD,
                               "message_id must be 16 bytes");
            return 0;
        case SAMHAND__V1__FRAME__COMMAND_ADMIN_COMMAND:
            if (!*frame->admin_command->command)
                return s_fail (err, SAMHAND__V1__ERROR_CODE__MISSING_FIELD, "admin command missing");
            return 0;
        case SAMHAND__V1__FRAME__COMMAND_CONSENT_GRANT:
            if (!frame->consent_grant->subject || !frame->consent_grant->n_agencies
            ||  !frame->consent_grant->valid_until)
                return s_fail (err, SAMHAND__V1__ERROR_CODE__MISSING_FIELD,
                               "a consent needs a subject, agencies and an end date");
            return 0;
        case SAMHAND__V1__FRAME__COMMAND_CONSENT_WITHDRAW:
            if (!*frame->consent_withdraw->consent_id)
                return s_fail (err, SAMHAND__V1__ERROR_CODE__MISSING_FIELD,
                               "withdraw needs a consent_id");
            return 0;
        case SAMHAND__V1__FRAME__COMMAND__NOT_SET:
            return s_fail (err, SAMHAND__V1__ERROR_CODE__MISSING_FIELD, "frame has no command");
        default:
            return s_fail (err, SAMHAND__V1__ERROR_CODE__UNEXPECTED_COMMAND,
                           "that command is sent by the broker, not to it");
    }
}

int
frame_validate (const Samhand__V1__Frame *frame, frame_error_t *err)
{
    err->code = 0;
    err->text [0] = 0;
    if (frame->version != FRAME_VERSION) {
        char text [80];
        snprintf (text, sizeof text, "protocol version %u not supported (want %d)",
                  frame->version, FRAME_VERSION);
        return s_fail (err, SAMHAND__V1__ERROR_CODE__UNSUPPORTED_VERSION, text);
    }
    if (s_check_message (&frame->base, err, 0))
        return -1;
    return s_check_command (frame, err);
}

//  Unknown fields are dropped on arrival: nothing a client adds outside
//  the schema is stored or passed on, and what the broker packs again is
//  always canonical (protobuf-c keeps some malformed unknown tags that it
//  would then refuse to read back).
static void
s_drop_unknown (ProtobufCMessage *msg, int depth)
{
    if (!msg || depth > 8)
        return;
    for (unsigned i = 0; i < msg->n_unknown_fields; i++)
        free (msg->unknown_fields [i].data);
    free (msg->unknown_fields);
    msg->unknown_fields = NULL;
    msg->n_unknown_fields = 0;
    const ProtobufCMessageDescriptor *desc = msg->descriptor;
    for (unsigned i = 0; i < desc->n_fields; i++) {
        const ProtobufCFieldDescriptor *field = &desc->fields [i];
        if (field->type != PROTOBUF_C_TYPE_MESSAGE)
            continue;
        char *base = (char *) msg + field->offset;
        if (field->label == PROTOBUF_C_LABEL_REPEATED) {
            size_t count = *(size_t *) ((char *) msg + field->quantifier_offset);
            ProtobufCMessage **items = *(ProtobufCMessage ***) base;
            for (size_t k = 0; items && k < count; k++)
                s_drop_unknown (items [k], depth + 1);
        }
        else {
            if ((field->flags & PROTOBUF_C_FIELD_FLAG_ONEOF)
            &&  *(uint32_t *) ((char *) msg + field->quantifier_offset) != field->id)
                continue;
            s_drop_unknown (*(ProtobufCMessage **) base, depth + 1);
        }
    }
}

//  ---------------------------------------------------------------------
//  Embedded NUL. protobuf-c hands a string over as a NUL-terminated copy
//  of its bytes, so one with a NUL inside would be read cut short by
//  everything after (validated, scanned, stored, delivered) while the
//  sender believes the whole text went. Only the wire bytes show it: this
//  walks them by the descriptors and finds a string field whose bytes hold
//  a NUL. It runs after a successful unpack, so the encoding is sound; any
//  surprise simply ends the walk.

static bool
s_varint (const uint8_t *data, size_t size, size_t *at, uint64_t *value)
{
    *value = 0;
    for (int shift = 0; shift < 64 && *at < size; shift += 7) {
        uint8_t byte = data [(*at)++];
        *value |= (uint64_t) (byte & 0x7F) << shift;
        if (!(byte & 0x80))
            return true;
    }
    return false;
}

static const ProtobufCFieldDescriptor *
s_nul_in_strings (const uint8_t *data, size_t size, const ProtobufCMessageDescriptor *desc,
                  int depth)
{
    size_t at = 0;
    while (at < size) {
        uint64_t key, len;
        if (!s_varint (data, size, &at, &key))
            return NULL;
        switch (key & 7) {
            case 0:
                if (!s_varint (data, size, &at, &len))
                    return NULL;
                break;
            case 1:
                at += 8;
                break;
            case 5:
                at += 4;
                break;
            case 2: {
                if (!s_varint (data, size, &at, &len) || len > size - at)
                    return NULL;
                const ProtobufCFieldDescriptor *field =
                    key >> 3 <= UINT32_MAX
                    ? protobuf_c_message_descriptor_get_field (desc, (unsigned) (key >> 3)): NULL;
                if (field && field->type == PROTOBUF_C_TYPE_STRING && memchr (data + at, 0, len))
                    return field;
                if (field && field->type == PROTOBUF_C_TYPE_MESSAGE && depth < 8) {
                    const ProtobufCFieldDescriptor *found = s_nul_in_strings (
                        data + at, len, (const ProtobufCMessageDescriptor *) field->descriptor,
                        depth + 1);
                    if (found)
                        return found;
                }
                at += len;
                break;
            }
            default:
                return NULL;
        }
    }
    return NULL;
}

Samhand__V1__Frame *
frame_decode (const uint8_t *data, size_t size, size_t max_size, frame_error_t *err)
{
    err->code = 0;
    err->request_id = 0;
    if (size > max_size) {
        char text [80];
        snprintf (text, sizeof text, "frame of %zu bytes is over the limit of %zu", size, max_size);
        s_fail (err, SAMHAND__V1__ERROR_CODE__TOO_LARGE, text);
        return NULL;
    }
    Samhand__V1__Frame *frame = samhand__v1__frame__unpack (NULL, size, data);
    if (!frame) {
        s_fail (err, SAMHAND__V1__ERROR_CODE__MALFORMED, "not a samhand.v1.Frame");
        return NULL;
    }
    s_drop_unknown (&frame->base, 0);
    const ProtobufCFieldDescriptor *nul = s_nul_in_strings (data, size,
                                                            &samhand__v1__frame__descriptor, 0);
    if (nul) {
        char text [120];
        snprintf (text, sizeof text, "field %s contains a NUL byte", nul->name);
        s_fail (err, SAMHAND__V1__ERROR_CODE__INVALID_FIELD, text);
        err->request_id = frame->request_id;
        frame_destroy (&frame);
        return NULL;
    }
    if (frame_validate (frame, err)) {
        err->request_id = frame->request_id;
        frame_destroy (&frame);
        return NULL;
    }
    return frame;
}

void
frame_destroy (Samhand__V1__Frame **frame_p)
{
    if (frame_p && *frame_p) {
        samhand__v1__frame__free_unpacked (*frame_p, NULL);
        *frame_p = NULL;
    }
}

uint8_t *
frame_encode (Samhand__V1__Frame *frame, size_t *size)
{
    frame->version = FRAME_VERSION;
    size_t len = samhand__v1__frame__get_packed_size (frame);
    uint8_t *buf = (uint8_t *) malloc (len? len: 1);
    if (!buf)
        return NULL;
    *size = samhand__v1__frame__pack (frame, buf);
    return buf;
}

uint8_t *
frame_encode_error (uint64_t request_id, int code, const char *text,
                    const ProtobufCBinaryData *message_id, size_t *size)
{
    Samhand__V1__Frame frame = SAMHAND__V1__FRAME__INIT;
    Samhand__V1__Error error = SAMHAND__V1__ERROR__INIT;
    error.code = (Samhand__V1__ErrorCode) code;
    error.text = (char *) text;
    if (message_id)
        error.message_id = *message_id;
    frame.request_id = request_id;
    frame.command_case = SAMHAND__V1__FRAME__COMMAND_ERROR;
    frame.error = &error;
    return frame_encode (&frame, size);
}

const char *
frame_error_name (int code)
{
    const ProtobufCEnumValue *value = protobuf_c_enum_descriptor_get_value (
        &samhand__v1__error_code__descriptor, code);
    return value? value->name: "UNKNOWN";
}
