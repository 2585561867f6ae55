/*  fuzz_scanner.c — scan arbitrary bytes, as one field or split into two,
    with a small known set and a small word list (namelex_from_words, so no
    file is read per run). Checks the scanner's promises: no reads past
    len (ASan), findings in order and inside their field, the count at
    least what was stored, the same first findings with a smaller array,
    and normalisation never failing on any input. The names and number in
    the set are invented.                                                 */
#include "scanner.h"
#include "textnorm.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static scan_known_t *known;
static namelex_t *lex;

static void
setup (void)
{
    static const uint8_t key [SCAN_KEY_SIZE] = { 0x5a, 0x17, 0x99 };
    static const char *words [] = { "Kari", "Hansen", "Oslo", "Berg", "berg", "vold", "per",
                                    "Per", "oppdiktet", "hun", "familien", "Ødegård" };
    known = scan_known_new (key);
    lex = namelex_from_words (words, sizeof words / sizeof words [0]);
    if (!known || !lex
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
    //  exact-size copies so that any read past a field's end is caught
    size_t cut = size > 1 && (data [0] & 2)? data [1] % size: size;
    char *a = malloc (cut? cut: 1), *b = malloc (size - cut? size - cut: 1);
    if (!a || !b) {
        free (a);
        free (b);
        return 0;
    }
    memcpy (a, data, cut);
    memcpy (b, data + cut, size - cut);
    const char *texts [2] = { a, b };
    size_t lens [2] = { cut, size - cut };
    size_t nf = cut < size? 2: 1;
    scan_ctx_t ctx = { .known = size > 0 && (data [0] & 1)? known: NULL,
                       .lex = size > 0 && (data [0] & 4)? lex: NULL };

    scan_finding_t findings [16];
    size_t n = scanner_scan_fields (&ctx, texts, lens, nf, findings, 16);
    size_t stored = n < 16? n: 16, last_field = 0, last_offset = 0;
    for (size_t k = 0; k < stored; k++) {
        scan_finding_t *f = &findings [k];
        if (f->field < 0 || (size_t) f->field >= nf)
            abort ();
        size_t flen = lens [f->field];
        if (f->length == 0 || f->offset > flen || f->length > flen - f->offset
        ||  (size_t) f->field < last_field
        ||  ((size_t) f->field == last_field && f->offset < last_offset)
        ||  f->confidence < SCAN_CONF_LOW || f->confidence > SCAN_CONF_HIGH
        ||  strcmp (scanner_kind_name (f->kind), "unknown") == 0)
            abort ();
        last_field = (size_t) f->field;
        last_offset = f->offset;
    }
    //  a smaller array must see the same first findings (and, in one
    //  field, the same count)
    scan_finding_t few [2];
    size_t n2 = scanner_scan_fields (&ctx, texts, lens, nf, few, 2);
    if (nf == 1 && n2 != n)
        abort ();
    for (size_t k = 0; k < n && k < 2 && k < n2; k++)
        if (few [k].kind != findings [k].kind || few [k].offset != findings [k].offset
        ||  few [k].length != findings [k].length || few [k].field != findings [k].field
        ||  few [k].confidence != findings [k].confidence)
            abort ();
    //  normalisation itself never fails on any bytes
    textnorm_t *norm = textnorm_new ();
    if (!norm || textnorm_add (norm, a, cut, 0) != 0)
        abort ();
    textnorm_destroy (&norm);
    free (a);
    free (b);
    return 0;
}
