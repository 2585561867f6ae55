/*  testlib.h — the smallest test convention that a runner can count.
    Every check prints "PASS name" or "FAIL name (file:line)"; tests/run.sh
    sums the lines of every test binary into "N passed, N failed".          */
#ifndef SAMHAND_TESTLIB_H
#define SAMHAND_TESTLIB_H
#include <stdio.h>

static int testlib_failed;
static int testlib_passed;

#define CHECK(cond, name)                                                    \
    do {                                                                     \
        if (cond) { testlib_passed++; printf ("PASS %s\n", (name)); }       \
        else { testlib_failed++;                                             \
               printf ("FAIL %s (%s:%d)\n", (name), __FILE__, __LINE__); }  \
        fflush (stdout);                                                     \
    } while (0)

//  Returns the process exit code: 0 when every check passed.
#define TEST_DONE() (testlib_failed ? 1 : 0)
#endif
