/*  fuzz_frame — the broker's first line of defence: any bytes through
    frame_decode must either be refused with an error code or come out as a
    frame that validates, re-encodes and decodes again the same way.     */
#include "frame.h"
#include <stdlib.h>
#include <string.h>

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    frame_error_t err;
    Samhand__V1__Frame *frame = frame_decode (data, size, 65536, &err);
    if (!frame) {
        if (err.code <= 0)
            abort ();           //  a refusal always carries a code
        return 0;
    }
    if (frame_validate (frame, &err) != 0)
        abort ();
    size_t len = 0;
    uint8_t *again = frame_encode (frame, &len);
    if (!again)
        abort ();
    Samhand__V1__Frame *round = frame_decode (again, len, 65536 * 4, &err);
    if (!round)
        abort ();               //  what we accept, we can re-read
    frame_destroy (&round);
    free (again);
    frame_destroy (&frame);
    return 0;
}
