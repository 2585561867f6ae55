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

static int s_check_message (const ProtobufCMessage *msg, frame_error_t *err, int depth);

static int
s_check_value (const ProtobufCFieldDescriptor *field, const void *value,
               frame_error_t *err, int depth)
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
                if (s_check_value (field, array + k * size, err, depth))
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
            if (s_check_value (field, base, err, depth))
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
