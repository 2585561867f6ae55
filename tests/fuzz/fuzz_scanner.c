/*  fuzz_scanner.c — scan arbitrary bytes with a small known set.
    Checks the scanner's promises: no reads past len (ASan), findings in
    order, inside the text, not overlapping, the count at least what was
    stored. The names and number in the set are invented.                 */
#include "scanner.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static scan_known_t *known;

static void
setup (void)
{
    static const uint8_t key [SCAN_KEY_SIZE] = { 0x5a, 0x17, 0x99 };
    known = scan_known_new (key);
    if (!known
    ||  scan_known_add_name (known, "Kari Testesen", 13) != 0
    ||  scan_known_add_name (known, "Ola Nordmann Oppdiktet", 22) != 0
    ||  scan_known_add_name (known, "Åse Øvrebø", strlen ("Åse Øvrebø")) != 0
    ||  scan_known_add_phone (known, "912 34 567", 10) != 0)
        abort ();
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    if (!known)
        setup ();
    //  an exact-size copy so that any read past len is caught
    char *text = malloc (size? size: 1);
    if (!text)
        return 0;
    memcpy (text, data, size);

    scan_finding_t findings [16];
    const scan_known_t *set = size > 0 && (data [0] & 1)? known: NULL;
    size_t n = scanner_scan (text, size, set, findings, 16);
    size_t stored = n < 16? n: 16, last_end = 0;
    for (size_t k = 0; k < stored; k++) {
        scan_finding_t *f = &findings [k];
        if (f->length == 0 || f->offset < last_end || f->offset > size
        ||  f->length > size - f->offset
        ||  f->confidence < SCAN_CONF_LOW || f->confidence > SCAN_CONF_HIGH
        ||  strcmp (scanner_kind_name (f->kind), "unknown") == 0)
            abort ();
        last_end = f->offset + f->length;
    }
    //  a smaller array must see the same count and the same first findings
    scan_finding_t few [2];
    if (scanner_scan (text, size, set, few, 2) != n)
        abort ();
    for (size_t k = 0; k < n && k < 2; k++)
        if (few [k].kind != findings [k].kind || few [k].offset != findings [k].offset
        ||  few [k].length != findings [k].length
        ||  few [k].confidence != findings [k].confidence)
            abort ();
    free (text);
    return 0;
}
