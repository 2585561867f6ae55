/*  test_websessions — samhand-web's failed-login delay (clients/web/
    sessions.c) against an attacker who tries many made-up names to push a
    person's delay out of the 256 slots. The names are invented.          */
#include "web.h"
#include "testlib.h"
#include <string.h>

int
main (void)
{
    if (sodium_init () < 0)
        return 1;
    sessions_init (900);
    for (int i = 0; i < 6; i++)
        throttle_failed ("anne");
    int64_t wait = throttle_wait_ms ("anne");
    CHECK (wait > 30000, "web throttle: six failures for a name make it wait over 30 s");

    //  300 made-up names, each failed once: more than there are slots.
    char name [16];
    for (int i = 0; i < 300; i++) {
        snprintf (name, sizeof name, "gjest%03d", i);
        (void) throttle_wait_ms (name);
        throttle_failed (name);
    }
    CHECK (throttle_wait_ms ("anne") > 25000,
           "web throttle: 300 made-up names do not push a waiting name's delay out");

    //  Every slot waits now: a new name shares the overflow slot, which
    //  the made-up names past the 256th have failed.
    CHECK (throttle_wait_ms ("ukjent-navn") > 0,
           "web throttle: with every slot waiting, a new name waits too (fail closed)");
    throttle_clear ("enda-et-navn");
    CHECK (throttle_wait_ms ("ukjent-navn") > 0,
           "web throttle: a success through the shared slot clears nobody's delay");

    //  The person's own success still clears her own delay.
    throttle_clear ("anne");
    CHECK (throttle_wait_ms ("anne") == 0, "web throttle: a success clears the name's own delay");
    return TEST_DONE ();
}
