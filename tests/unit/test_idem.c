/*  test_idem — the in-memory idempotency index.                            */
#include "idem.h"
#include "testlib.h"

int
main (void)
{
    idem_t *idem = idem_new ();
    CHECK (idem && idem_size (idem) == 0, "new index is empty");
    CHECK (idem_get (idem, 42) == 0, "absent key gives 0");
    CHECK (idem_put (idem, 42, 7) == 0 && idem_get (idem, 42) == 7, "put then get");
    CHECK (idem_put (idem, 42, 9) == 0 && idem_get (idem, 42) == 9 && idem_size (idem) == 1,
           "put again replaces, size unchanged");
    CHECK (idem_put (idem, 1, 0) == -1 && idem_put (idem, 1, -5) == -1, "rowid must be positive");
    //  Many keys, including ones that share low bits, survive growth.
    int ok = 1;
    for (uint64_t i = 1; i <= 100000; i++)
        ok &= idem_put (idem, i << 20, (int64_t) i) == 0;
    CHECK (ok, "100000 puts succeed");
    for (uint64_t i = 1; i <= 100000; i++)
        ok &= idem_get (idem, i << 20) == (int64_t) i;
    CHECK (ok, "every key is found after the table grew");
    CHECK (idem_get (idem, 3) == 0 && idem_get (idem, (100001ULL << 20)) == 0, "strangers are absent");
    CHECK (idem_size (idem) == 100001, "size counts distinct keys");
    idem_clear (idem);
    CHECK (idem_size (idem) == 0 && idem_get (idem, 1ULL << 20) == 0, "clear empties it");
    idem_destroy (&idem);
    CHECK (idem == NULL, "destroy nulls the pointer");
    return TEST_DONE ();
}
