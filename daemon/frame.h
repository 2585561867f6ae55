/*  frame — decode, validate and encode protocol frames. Pure: no I/O.

    Validation is the broker's first line of defence: everything that is
    not a well-formed version-1 Frame with a client-to-broker command, with
    every enum in range, every string valid UTF-8 within its length limit
    and every required field present, is turned into an error code and a
    text for an Error reply. Nothing invalid reaches the policy or store.  */
#ifndef SAMHAND_FRAME_H
#define SAMHAND_FRAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "samhand.pb-c.h"

#define FRAME_VERSION       1
#define FRAME_MAX_TEXT      8192     //  free text fields
#define FRAME_MAX_STRING    256      //  every other string
#define FRAME_MAX_REPEATED  32

typedef struct {
    int  code;                //  Samhand__V1__ErrorCode, 0 = ok
    char text [200];
    uint64_t request_id;      //  of a frame that decoded but did not validate
} frame_error_t;

//  Decodes and validates a body from a client. Returns a frame the caller
//  frees with frame_destroy, or NULL with err filled.
Samhand__V1__Frame *frame_decode (const uint8_t *data, size_t size,
                                  size_t max_size, frame_error_t *err);

//  Checks a decoded frame (also used on frames the broker builds in tests).
int frame_validate (const Samhand__V1__Frame *frame, frame_error_t *err);

void frame_destroy (Samhand__V1__Frame **frame_p);

//  Packs a frame, setting its version. Returns a malloc'd buffer the caller
//  frees, or NULL.
uint8_t *frame_encode (Samhand__V1__Frame *frame, size_t *size);

//  Packs an Error frame for a reply.
uint8_t *frame_encode_error (uint64_t request_id, int code, const char *text,
                             const ProtobufCBinaryData *message_id, size_t *size);

//  True if the bytes are valid UTF-8 (no overlongs, no surrogates).
int frame_utf8_valid (const char *text, size_t len);

const char *frame_error_name (int code);

//  Structured fields (docs/POLICY.md, "Every string field"). Empty is
//  valid everywhere: it means "not given".
//  The risk assessment instruments RiskChange.instrument may name, NULL-
//  terminated: SARA-V3, SARA:SV, B-SAFER, PATRIARK, SAM, DASH, ODARA.
const char *const *frame_instruments (void);
bool frame_instrument_valid (const char *text);
//  A real calendar date YYYY-MM-DD (leap years checked) with
//  min_year <= year <= max_year; only the first 10 characters are read.
bool frame_date_valid (const char *text, int min_year, int max_year);
//  The broker's case reference format: RC-/TE-/PR-/KS- and three groups
//  of four base32 characters (no 0 O 1 I), e.g. PR-7KQ4-M2XD-9FHA.
bool frame_case_ref_valid (const char *text);

#endif
