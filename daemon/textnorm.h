/*  textnorm.h — what a reader sees, as text the scanner can match (pure).

    A sender can hide an identifier from a pattern without hiding it from
    the person who reads the message: fullwidth or Arabic-Indic digits, a
    zero-width space inside a number, a Cyrillic "е" inside a name, a
    decomposed "å", "(at)" for "@". textnorm_add turns text into the form
    the scanner matches, using ICU (unorm2 NFKC, uspoof skeletons, the
    Unicode character properties) rather than tables of our own:

      - HTML character references ("&#52;", "&#x40;", "&commat;") and
        percent-encoded printable ASCII ("%40", "%20") are read as the
        character they stand for, also encoded twice ("&amp;#52;",
        "%2540"), and so is percent-encoded UTF-8 ("%C3%B8"); a bare
        "50%" or "&" stays as it is;
      - invalid UTF-8, default-ignorable and format characters (ZWSP, ZWJ,
        soft hyphen, BOM, bidi marks, variation selectors) are removed;
      - NFKC, segment by segment, so decomposed diacritics are composed and
        compatibility forms (fullwidth, mathematical letters) become plain;
      - every Unicode decimal digit becomes its ASCII digit;
      - a non-ASCII letter whose confusable skeleton is ASCII becomes that
        skeleton (Cyrillic е -> e, Greek ο -> o); Norwegian letters stay;
      - dashes become '-', line and paragraph breaks '\n', every other
        space (tab, no-break, thin, ideographic...) ' ';
      - "(at)", "[at]", "(dot)", "[dot]" and the like become '@' and '.',
        with the spaces around them.

    An explicit direction override (U+202D, U+202E), which shows stored
    letters in another order, is kept as TEXTNORM_OVERRIDE (U+202E) for the
    scanner to refuse: what the reader sees cannot be scanned.

    Case is kept (the scanner needs capitals to see names); names are
    compared on textnorm_fold_key, which folds case and diacritics.

    Every output byte remembers the field and the byte span of the input
    it came from, so a finding in the normalised text is reported at the
    place the user wrote it. Several fields may be added to one text so
    that an identifier split between them is seen whole.

    Ownership: textnorm_t owns its buffers; the input is only read.      */
#ifndef SAMHAND_TEXTNORM_H
#define SAMHAND_TEXTNORM_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct _textnorm_t textnorm_t;

#define TEXTNORM_OVERRIDE 0x202E

//  An empty text. NULL on allocation failure.
textnorm_t *textnorm_new (void);
void textnorm_destroy (textnorm_t **self_p);

//  Appends the normalised form of len bytes of text (any bytes), marking
//  every output byte with field. Returns 0, or -1 on allocation or ICU
//  failure (the caller must then treat the text as not checked).
int textnorm_add (textnorm_t *self, const char *text, size_t len, int field);

//  Empties the text for the next use, keeping the buffers (the text is
//  cleared, not left in them).
void textnorm_reset (textnorm_t *self);

//  Appends a separator byte that belongs to no field (field -1).
int textnorm_add_sep (textnorm_t *self, char c);

//  The normalised text (NUL-terminated) and its length in bytes.
const char *textnorm_text (const textnorm_t *self);
size_t textnorm_len (const textnorm_t *self);

//  Maps the normalised span [off, off+len) back to the input: for each of
//  up to max fields it touches, the field and the byte span in that
//  field's original text. Returns how many spans were written.
typedef struct { int field; size_t offset, length; } textnorm_span_t;
size_t textnorm_map (const textnorm_t *self, size_t off, size_t len,
                     textnorm_span_t *spans, size_t max);

//  The key names are compared on: Unicode case folding, diacritics and
//  the letters that have none in ASCII folded (ø->o, å->a, æ->ae, ß->ss),
//  so "Ødegård", "ØDEGÅRD" and "Odegard" have one key. Writes at most
//  cap - 1 bytes and a NUL; returns the key's length, or 0 when it does
//  not fit or the word holds something other than letters, '-' or '\''.
size_t textnorm_fold_key (const char *word, size_t len, char *out, size_t cap);

#endif
