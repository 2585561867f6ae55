/*  textnorm.c — what a reader sees, as text the scanner can match (pure).
    See textnorm.h. Four stages over arrays of code points, each carrying
    the input span it came from: decode (dropping what is invisible),
    NFKC by normalisation segment, a per-character map (digits, skeleton,
    spaces, dashes), and the "(at)"/"(dot)" tokens. Every stage is linear
    in its input.                                                         */
#include "textnorm.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unicode/uchar.h>
#include <unicode/unorm2.h>
#include <unicode/uspoof.h>
#include <unicode/ustring.h>
#include <unicode/utf16.h>

//  A run of code points, each with the field and input span it came from.
typedef struct {
    UChar32  *cp;
    uint32_t *from, *to;
    size_t    n, cap;
    size_t    high;             //  most entries held since last cleared
} cps_t;

struct _textnorm_t {
    char     *text;
    uint32_t *from, *to;        //  per output byte: input span
    int16_t  *field;            //  per output byte: field, -1 for a separator
    size_t    len, cap;
    cps_t     a, b;             //  scratch
};

//  ---------------------------------------------------------------------
//  ICU objects, made once. unorm2 instances are owned by ICU; the spoof
//  checker is only used through const calls, which ICU makes thread-safe.

static const UNormalizer2 *s_nfkc, *s_nfd, *s_nfkc_cf;
static USpoofChecker *s_spoof;
static bool s_icu_ok;
static pthread_once_t s_once = PTHREAD_ONCE_INIT;

//  What ICU says of each code point below U+0100, asked once at start so
//  that Latin-1 text (all of Norwegian) costs a table look-up per
//  character instead of several ICU calls. Every entry is ICU's own
//  answer, so the tables cannot drift from the general path; characters
//  above U+00FF take the general path.
#define LATIN_N 0x100
static struct {
    bool invisible [LATIN_N];       //  s_invisible
    bool boundary [LATIN_N];        //  unorm2_hasBoundaryBefore (NFKC)
    bool nfkc_self [LATIN_N];       //  NFKC of the character alone is itself
    bool mapped [LATIN_N];          //  map [] holds s_map (cp, any prev)
    UChar32 map [LATIN_N];
    int8_t fold_len [LATIN_N];      //  textnorm_fold_key of the character:
    char fold [LATIN_N][8];         //  its bytes, or -1 when it fails the key
    //  visible, its own NFKC segment whatever follows, NFKC-stable and
    //  mapped to a character: stages 1-3 turn a text of only such
    //  characters into map [] of each, one for one
    bool simple [LATIN_N];
} s_latin;

static void s_latin_init (void);

static void
s_icu_init (void)
{
    UErrorCode err = U_ZERO_ERROR;
    s_nfkc = unorm2_getNFKCInstance (&err);
    if (U_FAILURE (err))
        return;
    s_nfd = unorm2_getNFDInstance (&err);
    if (U_FAILURE (err))
        return;
    s_nfkc_cf = unorm2_getNFKCCasefoldInstance (&err);
    if (U_FAILURE (err))
        return;
    s_spoof = uspoof_open (&err);
    if (U_FAILURE (err)) {
        s_spoof = NULL;
        return;
    }
    s_latin_init ();
    s_icu_ok = true;
}

static bool
s_icu (void)
{
    pthread_once (&s_once, s_icu_init);
    return s_icu_ok;
}

//  ---------------------------------------------------------------------
//  Code point arrays

static int s_cps_grow (cps_t *c);

static inline int
s_cps_push (cps_t *c, UChar32 cp, uint32_t from, uint32_t to)
{
    if (c->n == c->cap && s_cps_grow (c))
        return -1;
    c->cp [c->n] = cp;
    c->from [c->n] = from;
    c->to [c->n] = to;
    c->n++;
    if (c->n > c->high)
        c->high = c->n;
    return 0;
}

//  Grows the pair of input-span arrays that every stage and the output
//  carry to cap entries. On failure what was reallocated stays valid.
static int
s_spans_grow (uint32_t **from, uint32_t **to, size_t cap)
{
    uint32_t *f = realloc (*from, cap * sizeof *f);
    if (!f)
        return -1;
    *from = f;
    uint32_t *t = realloc (*to, cap * sizeof *t);
    if (!t)
        return -1;
    *to = t;
    return 0;
}

//  Grows a buffer that holds text (code points or output bytes) from
//  old_bytes to new_bytes. Unlike realloc it never frees a block that
//  still holds the text: the old block is wiped before it goes back to
//  the heap, so a message's words do not outlive the scan in freed memory.
static void *
s_grow_wiped (void *old, size_t old_bytes, size_t new_bytes)
{
    void *grown = malloc (new_bytes);
    if (!grown)
        return NULL;
    if (old) {
        memcpy (grown, old, old_bytes);
        explicit_bzero (old, old_bytes);
        free (old);
    }
    return grown;
}

static int
s_cps_grow (cps_t *c)
{
    size_t cap = c->cap? c->cap * 2: 256;
    UChar32 *a = s_grow_wiped (c->cp, c->cap * sizeof *a, cap * sizeof *a);
    if (!a)
        return -1;
    c->cp = a;
    if (s_spans_grow (&c->from, &c->to, cap))
        return -1;
    c->cap = cap;
    return 0;
}

static void
s_cps_free (cps_t *c)
{
    if (c->cp)
        explicit_bzero (c->cp, c->cap * sizeof *c->cp);
    free (c->cp);
    free (c->from);
    free (c->to);
    memset (c, 0, sizeof *c);
}

//  Decodes the UTF-8 character at pos; returns its length and sets *cp,
//  or returns 1 with *cp = -1 for a byte that starts no valid sequence.
static size_t
s_utf8_at (const uint8_t *s, size_t len, size_t pos, UChar32 *cp)
{
    uint8_t c = s [pos];
    size_t n;
    UChar32 v;
    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    if (c >= 0xC2 && c <= 0xDF) { n = 2; v = c & 0x1F; }
    else
    if (c >= 0xE0 && c <= 0xEF) { n = 3; v = c & 0x0F; }
    else
    if (c >= 0xF0 && c <= 0xF4) { n = 4; v = c & 0x07; }
    else { *cp = -1; return 1; }
    if (n > len - pos) { *cp = -1; return 1; }
    for (size_t k = 1; k < n; k++) {
        if ((s [pos + k] & 0xC0) != 0x80) { *cp = -1; return 1; }
        v = (v << 6) | (s [pos + k] & 0x3F);
    }
    if ((n == 3 && v < 0x800) || (n == 4 && (v < 0x10000 || v > 0x10FFFF))
    ||  (v >= 0xD800 && v <= 0xDFFF)) {
        *cp = -1;
        return 1;
    }
    *cp = v;
    return n;
}

//  An explicit direction override (LRO, RLO) makes a reader see Latin
//  letters in another order than they are stored: "tetkiddpO iraK" shows
//  as a name. It is kept, for the scanner to refuse (TEXTNORM_OVERRIDE).
static bool
s_override (UChar32 cp)
{
    return cp == 0x202D || cp == 0x202E;
}

static bool
s_invisible (UChar32 cp)
{
    return cp >= 0x80 && !s_override (cp)
        && (u_hasBinaryProperty (cp, UCHAR_DEFAULT_IGNORABLE_CODE_POINT)
            || u_charType (cp) == U_FORMAT_CHAR);
}

static int
s_hex_value (uint8_t c)
{
    return c >= '0' && c <= '9'? c - '0'
         : c >= 'a' && c <= 'f'? c - 'a' + 10
         : c >= 'A' && c <= 'F'? c - 'A' + 10: -1;
}

//  Named character references a sender would use to write an address or
//  a number without its signs ("kt1985&commat;example&period;no").
static const struct { const char *name; UChar32 cp; } s_entities [] = {
    { "commat", '@' }, { "period", '.' }, { "nbsp", 0xA0 }, { "plus", '+' },
    { "hyphen", '-' }, { "dash", 0x2010 }, { "ndash", 0x2013 }, { "mdash", 0x2014 },
    { "minus", 0x2212 }, { "lowbar", '_' }, { "sol", '/' }, { "bsol", '\\' },
    { "colon", ':' }, { "comma", ',' }, { "semi", ';' }, { "lpar", '(' },
    { "rpar", ')' }, { "lsqb", '[' }, { "rsqb", ']' }, { "amp", '&' }, { "AMP", '&' },
    { "num", '#' }, { "zwsp", 0x200B }, { "ensp", 0x2002 }, { "emsp", 0x2003 },
    { "thinsp", 0x2009 }, { "numsp", 0x2007 }, { "shy", 0xAD },
};

//  How deep a reference encoded several times is read: "&amp;#52;" (two)
//  is what a page that escapes its input once more shows; "&amp;amp;#52;"
//  is three. Bounded, so every position costs a bounded amount.
#define REFERENCE_DEPTH 4

//  A percent-encoded byte at pos: "%40", or encoded again as "%2540"
//  ("%25" is '%'). Returns its length and sets *byte, or returns 0.
static size_t
s_percent_at (const uint8_t *s, size_t len, size_t pos, int *byte)
{
    if (s [pos] != '%' || len - pos < 3)
        return 0;
    size_t p = pos + 1;
    //  "%25" before two more hex digits is a '%' encoded: read on
    for (int depth = 1; depth < REFERENCE_DEPTH && len - p >= 4 && s [p] == '2' && s [p + 1] == '5'
                        && s_hex_value (s [p + 2]) >= 0 && s_hex_value (s [p + 3]) >= 0; depth++)
        p += 2;
    int hi = s_hex_value (s [p]), lo = s_hex_value (s [p + 1]);
    if (hi < 0 || lo < 0)
        return 0;
    *byte = hi * 16 + lo;
    return p + 2 - pos;
}

//  A non-ASCII character percent-encoded as its UTF-8 bytes at pos
//  ("%C3%B8" for 'ø', "%E2%80%8B" for a zero-width space), as an address
//  bar shows it. The bytes must make one well-formed UTF-8 character
//  (no overlong form, no surrogate: s_utf8_at decides); "%C3" alone or
//  "%C3%28" is no character and stays as written. Returns its length and
//  sets *cp, or returns 0.
static size_t
s_percent_utf8_at (const uint8_t *s, size_t len, size_t pos, UChar32 *cp)
{
    uint8_t bytes [4];
    int b;
    size_t p = pos, n = s_percent_at (s, len, p, &b);
    if (!n || b < 0xC2 || b > 0xF4)
        return 0;
    size_t need = b < 0xE0? 2: b < 0xF0? 3: 4, have = 0;
    bytes [have++] = (uint8_t) b;
    p += n;
    while (have < need) {
        n = p < len? s_percent_at (s, len, p, &b): 0;
        if (!n || b < 0x80 || b > 0xBF)
            return 0;
        bytes [have++] = (uint8_t) b;
        p += n;
    }
    UChar32 c;
    if (s_utf8_at (bytes, need, 0, &c) != need || c < 0x80)
        return 0;
    *cp = c;
    return p - pos;
}

//  The body of a character reference after its '&' at p: "#52;", "#x34",
//  "commat;". Returns its length and sets *cp, or returns 0.
static size_t
s_reference_body (const uint8_t *s, size_t len, size_t p0, UChar32 *cp)
{
    size_t p = p0;
    if (len - p < 2)
        return 0;
    if (s [p] == '#') {
        bool hex = p + 1 < len && (s [p + 1] == 'x' || s [p + 1] == 'X');
        p += hex? 2: 1;
        long v = 0;
        size_t digits = 0, zeros = 0;
        //  leading zeros, as many as written ("&#0000052;" is a '4' too)
        for (; p < len && s [p] == '0'; p++)
            zeros++;
        for (; p < len && digits < 8; p++, digits++) {
            int d = hex? s_hex_value (s [p]): (s [p] >= '0' && s [p] <= '9'? s [p] - '0': -1);
            if (d < 0)
                break;
            v = v * (hex? 16: 10) + d;
        }
        //  the ';' may be left out, as browsers allow
        if ((digits == 0 && zeros == 0) || digits == 8 || v <= 0 || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
            return 0;
        if (p < len && s [p] == ';')
            p++;
        *cp = (UChar32) v;
        return p - p0;
    }
    size_t q = p;
    while (q < len && q - p < 8 && ((s [q] >= 'a' && s [q] <= 'z') || (s [q] >= 'A' && s [q] <= 'Z')))
        q++;
    if (q == p || q >= len || s [q] != ';')
        return 0;
    for (size_t k = 0; k < sizeof s_entities / sizeof s_entities [0]; k++)
        if (strlen (s_entities [k].name) == q - p
        &&  memcmp (s_entities [k].name, s + p, q - p) == 0) {
            *cp = s_entities [k].cp;
            return q + 1 - p0;
        }
    return 0;
}

//  A character reference or a percent-encoded byte at pos, which a reader
//  (or the reader's browser) takes for the character it stands for:
//  "&#52;", "&#x34;", "&commat;", "%40", also encoded again ("&amp;#52;",
//  "%2540": the '&' or '%' itself encoded, up to REFERENCE_DEPTH deep).
//  Returns its length and sets *cp, or returns 0. Only what stands for a
//  character is decoded: "50%", "100 %", "%ig" and "&co" stay as written;
//  a percent-encoded byte must be printable ASCII (what a multi-byte
//  sequence would need is left); "&amp;" before no reference is a '&'.
static size_t
s_reference_at (const uint8_t *s, size_t len, size_t pos, UChar32 *cp)
{
    if (s [pos] == '%') {
        int b;
        size_t n = s_percent_at (s, len, pos, &b);
        if (n && b >= 0x20 && b <= 0x7E) {
            *cp = b;
            return n;
        }
        return n? s_percent_utf8_at (s, len, pos, cp): 0;
    }
    if (s [pos] != '&' || len - pos < 3)
        return 0;
    size_t p = pos + 1, n = s_reference_body (s, len, p, cp);
    if (!n)
        return 0;
    //  a '&' written as a reference, before the body of another: read on
    UChar32 inner;
    size_t m;
    for (int depth = 1; depth < REFERENCE_DEPTH && *cp == '&'
                        && (m = s_reference_body (s, len, p + n, &inner)) > 0; depth++) {
        p += n;
        n = m;
        *cp = inner;
    }
    return p + n - pos;
}

//  Stage 1: decode, dropping invalid bytes and invisible characters (a
//  reader's screen shows neither between two digits), and reading
//  character references and percent-encoded bytes as what they stand for.
static int
s_decode (cps_t *out, const uint8_t *s, size_t len)
{
    UChar32 cp;
    for (size_t pos = 0; pos < len; ) {
        size_t n = 0;
        if (s [pos] == '&' || s [pos] == '%')
            n = s_reference_at (s, len, pos, &cp);
        if (!n)
            n = s_utf8_at (s, len, pos, &cp);
        bool invisible = cp < LATIN_N? cp >= 0 && s_latin.invisible [cp]: s_invisible (cp);
        if (cp >= 0 && !invisible
        &&  s_cps_push (out, cp, (uint32_t) pos, (uint32_t) (pos + n)))
            return -1;
        pos += n;
    }
    return 0;
}

//  Stages 1-3 at once for a text of simple characters only (s_latin):
//  returns false, with out in any state, at the first other character or
//  invalid byte, and the caller takes the general path instead.
static bool
s_decode_simple (cps_t *out, const uint8_t *s, size_t len)
{
    UChar32 cp;
    for (size_t pos = 0; pos < len; ) {
        size_t n = s [pos] < 0x80? (cp = s [pos], 1): s_utf8_at (s, len, pos, &cp);
        UChar32 ref;
        if ((cp == '&' || cp == '%') && s_reference_at (s, len, pos, &ref))
            return false;           //  s_decode reads the reference
        if (cp < 0 || cp >= LATIN_N || !s_latin.simple [cp]
        ||  s_cps_push (out, s_latin.map [cp], (uint32_t) pos, (uint32_t) (pos + n)))
            return false;
        pos += n;
    }
    return true;
}

//  Stage 2: NFKC, one normalisation segment at a time so that each output
//  character knows its input span. A segment is cut at 32 characters: a
//  longer run of combining marks is not worth composing whole.
#define SEG_MAX 32
static int
s_nfkc_all (const cps_t *in, cps_t *out)
{
    UChar src [SEG_MAX * 2], dst [SEG_MAX * 2 * 18 + 16];
    for (size_t i = 0; i < in->n; ) {
        size_t j = i + 1;
        while (j < in->n && j - i < SEG_MAX
           &&  !(in->cp [j] < LATIN_N? s_latin.boundary [in->cp [j]]
                                     : unorm2_hasBoundaryBefore (s_nfkc, in->cp [j])))
            j++;
        uint32_t from = in->from [i], to = in->to [j - 1];
        if (j == i + 1 && in->cp [i] < LATIN_N && s_latin.nfkc_self [in->cp [i]]) {
            if (s_cps_push (out, in->cp [i], from, to))
                return -1;
            i = j;
            continue;
        }
        int32_t ns = 0;
        for (size_t k = i; k < j; k++)
            U16_APPEND_UNSAFE (src, ns, in->cp [k]);
        UErrorCode err = U_ZERO_ERROR;
        int32_t nd = unorm2_normalize (s_nfkc, src, ns, dst, (int32_t) (sizeof dst / sizeof dst [0]),
                                       &err);
        if (U_FAILURE (err))
            return -1;
        for (int32_t k = 0; k < nd; ) {
            UChar32 c;
            U16_NEXT (dst, k, nd, c);
            if (s_cps_push (out, c, from, to))
                return -1;
        }
        i = j;
    }
    return 0;
}

//  The ASCII skeleton of a non-ASCII letter, or -1 when it has none. Only
//  single characters are mapped: "m" and "rn" stay apart, Norwegian
//  letters (whose skeletons are not ASCII) stay as they are.
static UChar32
s_skeleton (UChar32 cp)
{
    UChar src [2], dst [8];
    int32_t ns = 0;
    U16_APPEND_UNSAFE (src, ns, cp);
    UErrorCode err = U_ZERO_ERROR;
    int32_t nd = uspoof_getSkeleton (s_spoof, 0, src, ns, dst, 8, &err);
    if (U_FAILURE (err) || nd != 1 || dst [0] >= 0x80)
        return -1;
    UChar32 c = dst [0];
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
        return c;
    return -1;
}

//  Stage 3: what each character is to the scanner. Returns the character
//  to keep, or -1 to drop it.
static UChar32
s_map (UChar32 cp, UChar32 prev)
{
    if (cp < 0x80) {
        if (cp == '\r' || cp == '\n')
            return '\n';
        if (cp < 0x20 || cp == 0x7F)
            return ' ';
        return cp;
    }
    if (s_override (cp))
        return TEXTNORM_OVERRIDE;
    int8_t type = u_charType (cp);
    if (type == U_DECIMAL_DIGIT_NUMBER) {
        int32_t v = u_charDigitValue (cp);
        return v >= 0 && v <= 9? '0' + v: cp;
    }
    //  Dingbat and negative circled digits (U+2776.., U+24EB..) have no
    //  NFKC form but read as digits: a single digit 0-9 becomes it.
    if (type == U_OTHER_NUMBER) {
        double v = u_getNumericValue (cp);
        if (v >= 0 && v <= 9 && v == (int) v)
            return '0' + (int) v;
    }
    if (s_invisible (cp))
        return -1;
    if (cp == 0x85 || cp == 0x2028 || cp == 0x2029)
        return '\n';
    if (u_isUWhiteSpace (cp) || type == U_CONTROL_CHAR || cp == 0x2800)
        return ' ';                 //  U+2800, the blank braille pattern, shows as a space
    if (cp == 0xB7 || cp == 0x2022 || cp == 0x2219 || cp == 0x22C5 || cp == 0x2027
    ||  cp == 0x30FB || cp == 0x2024 || cp == 0x3002)
        return '.';                 //  middle dots, bullets, the ideographic full stop
    if (type == U_DASH_PUNCTUATION || cp == 0x2212)
        return '-';
    if (cp == 0x2044 || cp == 0x2215 || cp == 0x29F8 || cp == 0xFF0F)
        return '/';                 //  fraction and division slashes read as '/'

    //  A combining mark on something that is not a letter (a struck-through
    //  digit) hides nothing from a reader: drop it.
    if ((type == U_NON_SPACING_MARK || type == U_ENCLOSING_MARK || type == U_COMBINING_SPACING_MARK)
    &&  !(prev >= 0 && (u_isalpha (prev) || prev >= 0x300)))
        return -1;
    if (cp >= 0x100 && u_isalpha (cp)) {
        UChar32 s = s_skeleton (cp);
        if (s >= 0)
            return s;
    }
    return cp;
}

//  A letter, for the digits read as letters below.
static bool
s_letter_cp (UChar32 c)
{
    return c >= 0 && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= 0xC0 && u_isalpha (c)));
}

//  A digit a reader reads as a letter inside a word ("K0walska",
//  "Kowa1ska", "Test3sen"): between two letters, one of them lower case.
//  Between upper-case letters ("O1O19O") or next to a digit or a space
//  ("3b", "B12") it stays a digit, so numbers and house numbers are read
//  as before. The position keeps its bytes, so offsets are unchanged.
static void
s_digits_in_words (cps_t *c)
{
    for (size_t i = 1; i + 1 < c->n; i++) {
        UChar32 d = c->cp [i], a = c->cp [i - 1], b = c->cp [i + 1];
        const char *letter = d == '0'? "o": d == '1'? "l": d == '3'? "e": d == '4'? "a"
                           : d == '5'? "s": NULL;
        if (!letter || !s_letter_cp (a) || !s_letter_cp (b)
        ||  !(u_islower (a) || u_islower (b)))
            continue;
        c->cp [i] = (UChar32) letter [0];
    }
}

static int
s_map_all (const cps_t *in, cps_t *out)
{
    UChar32 prev = -1;
    for (size_t i = 0; i < in->n; i++) {
        UChar32 cp = in->cp [i];
        UChar32 c = cp < LATIN_N && s_latin.mapped [cp]? s_latin.map [cp]: s_map (cp, prev);
        if (c < 0)
            continue;
        if (s_cps_push (out, c, in->from [i], in->to [i]))
            return -1;
        prev = c;
    }
    return 0;
}

//  ---------------------------------------------------------------------
//  Stage 4: "(at)", "[dot]" and the like

static const struct { const char *word; char becomes; } s_tokens [] = {
    { "at", '@' }, { "alfakrøll", '@' }, { "krøllalfa", '@' }, { "krøll", '@' }, { "snabel-a", '@' },
    { "dot", '.' }, { "punktum", '.' }, { "prikk", '.' }, { "punkt", '.' },
    //  the signs themselves, bracketed: "kari(@)example[.]no"
    { "@", '@' }, { ".", '.' },
};

static bool
s_is_space (UChar32 c)
{
    return c == ' ';
}

static UChar32
s_close_of (UChar32 c)
{
    return c == '('? ')': c == '['? ']': c == '{'? '}': c == '<'? '>': -1;
}

//  Compares the UTF-8 word (lower case) with the code points from q on,
//  folding their case. Returns where the comparison stopped and sets
//  *read when every character of the word was read. A mismatch at the
//  word's last character also sets *read (the stop is then at that code
//  point): both callers have always accepted that, so "(punk)" reads as
//  "(punkt)"; kept as it is here, where only the copies were joined.
static inline size_t
s_compare_word (const cps_t *c, size_t q, const char *word, bool *read)
{
    const uint8_t *w = (const uint8_t *) word;
    size_t wl = strlen (word), wp = 0;
    while (wp < wl && q < c->n) {
        UChar32 wc;
        wp += s_utf8_at (w, wl, wp, &wc);
        if (u_tolower (c->cp [q]) != wc)
            break;
        q++;
    }
    *read = wp == wl;
    return q;
}

//  Matches a bracketed token at i; returns its replacement and sets *end
//  (one past its closing bracket), or 0.
static char
s_token_at (const cps_t *c, size_t i, size_t *end)
{
    UChar32 close = s_close_of (c->cp [i]);
    if (close < 0)
        return 0;
    size_t p = i + 1;
    for (int k = 0; k < 2 && p < c->n && s_is_space (c->cp [p]); k++)
        p++;
    for (size_t t = 0; t < sizeof s_tokens / sizeof s_tokens [0]; t++) {
        bool read;
        size_t q = s_compare_word (c, p, s_tokens [t].word, &read);
        if (!read || q == p)
            continue;
        for (int k = 0; k < 2 && q < c->n && s_is_space (c->cp [q]); k++)
            q++;
        if (q < c->n && c->cp [q] == close) {
            *end = q + 1;
            return s_tokens [t].becomes;
        }
    }
    return 0;
}

static bool
s_alnum (UChar32 c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

//  The word at i (case folded) is one of list; returns its end or 0.
static size_t
s_word_in (const cps_t *c, size_t i, const char *const *list)
{
    if (i >= c->n)
        return 0;
    UChar32 first = c->cp [i] < 0x80? (c->cp [i] >= 'A' && c->cp [i] <= 'Z'? c->cp [i] + 32: c->cp [i])
                                     : u_tolower (c->cp [i]);
    for (; *list; list++) {
        const uint8_t *w = (const uint8_t *) *list;
        if (w [0] < 0x80 && (UChar32) w [0] != first)
            continue;               //  every listed word starts with ASCII
        bool read;
        size_t q = s_compare_word (c, i, *list, &read);
        if (read && q > i && (q == c->n || !u_isalnum (c->cp [q])))
            return q;
    }
    return 0;
}

//  A run of address characters at i (letters, digits, '-', '_', '+');
//  returns its end.
static size_t
s_label (const cps_t *c, size_t i)
{
    size_t q = i;
    while (q < c->n && q - i < 64 && (s_alnum (c->cp [q]) || c->cp [q] == '-'
                                      || c->cp [q] == '_' || c->cp [q] == '+'))
        q++;
    return q;
}

//  "@" and "." spaced out ("kt1985 @ example . no") read as they do bare.
static const char *const s_at_words [] = { "at", "alfakrøll", "krøllalfa", "krøll", "@", NULL };
static const char *const s_dot_words [] = { "dot", "punktum", "prikk", NULL };
static const char *const s_dot_sign [] = { ".", NULL };

//  A spoken address: "kt1985 at example dot no" (after an address
//  character, " at ", a label, then one or more " dot " and a label, the
//  last of two to six letters). Writes the address with '@' and '.' and
//  returns the index after it, or 0. Bare "at" alone is an ordinary word.
static size_t
s_spoken_email (const cps_t *in, size_t i, cps_t *out)
{
    if (i == 0 || !s_alnum (in->cp [i - 1]))
        return 0;
    size_t at_end;
    bool sign;          //  the at is the sign itself: a spaced "." reads as a dot
    if (in->cp [i] == '@') {
        //  "kt1985@example dot no": the sign, then spoken dots
        at_end = i + 1;
        sign = true;
    }
    else {
        if (in->cp [i] != ' ')
            return 0;
        size_t p = s_word_in (in, i + 1, s_at_words);
        if (!p || p >= in->n || in->cp [p] != ' ')
            return 0;
        at_end = p + 1;
        sign = in->cp [i + 1] == '@';
    }
    size_t label = s_label (in, at_end);
    bool letter = false;
    for (size_t k = at_end; k < label; k++)
        letter = letter || !(in->cp [k] >= '0' && in->cp [k] <= '9');
    if (!letter)
        return 0;                   //  "at 5 dot no" is no address
    //  dots: " dot " label, at least once
    size_t dots [8], dot_ends [8], ends [8];
    int n = 0;
    size_t q = label;
    while (n < 8 && q < in->n && in->cp [q] == ' ') {
        size_t d = s_word_in (in, q + 1, s_dot_words);
        //  a spaced-out "." only after a spaced-out "@": "sa at mor . Hun"
        //  is a typo, "kt1985 @ example . no" an address
        if (!d && sign)
            d = s_word_in (in, q + 1, s_dot_sign);
        if (!d || d >= in->n || in->cp [d] != ' ')
            break;
        size_t e = s_label (in, d + 1);
        if (e == d + 1)
            break;
        dots [n] = q;
        dot_ends [n] = d + 1;
        ends [n] = e;
        n++;
        q = e;
    }
    if (n == 0)
        return 0;
    size_t tld = dot_ends [n - 1], len = ends [n - 1] - tld;
    for (size_t k = tld; k < ends [n - 1]; k++)
        if (!((in->cp [k] >= 'a' && in->cp [k] <= 'z') || (in->cp [k] >= 'A' && in->cp [k] <= 'Z')))
            return 0;
    if (len < 2 || len > 6)
        return 0;
    if (s_cps_push (out, '@', in->from [i], in->to [at_end - 1]))
        return 0;
    size_t k = at_end;
    for (int g = 0; g < n; g++) {
        for (; k < dots [g]; k++)
            if (s_cps_push (out, in->cp [k], in->from [k], in->to [k]))
                return 0;
        if (s_cps_push (out, '.', in->from [dots [g]], in->to [dot_ends [g] - 1]))
            return 0;
        k = dot_ends [g];
    }
    for (; k < ends [n - 1]; k++)
        if (s_cps_push (out, in->cp [k], in->from [k], in->to [k]))
            return 0;
    return ends [n - 1];
}

//  False when stage 4 cannot change c: it has no opening bracket (a
//  bracketed token) and no space before something that lower-cases to
//  'd', 'p' or '.' (every spoken address has " dot ", " punktum ",
//  " prikk " or " . " after its at-word). Text without either is passed
//  through as it is.
static bool
s_may_hold_tokens (const cps_t *c)
{
    for (size_t i = 0; i < c->n; i++) {
        UChar32 cp = c->cp [i];
        if (s_close_of (cp) >= 0)
            return true;
        if (cp == ' ' && i + 1 < c->n) {
            UChar32 next = c->cp [i + 1];
            UChar32 low = next < 0x80? (next >= 'A' && next <= 'Z'? next + 32: next): u_tolower (next);
            if (low == 'd' || low == 'p' || low == '.')
                return true;
        }
    }
    return false;
}

//  The spaces around a token go with it: "kt1985 [at] example [dot] no"
//  reads as an address.
static int
s_tokens_all (const cps_t *in, cps_t *out)
{
    for (size_t i = 0; i < in->n; ) {
        size_t spoken = s_spoken_email (in, i, out);
        if (spoken) {
            i = spoken;
            continue;
        }
        size_t end;
        char becomes = s_token_at (in, i, &end);
        if (!becomes) {
            if (s_cps_push (out, in->cp [i], in->from [i], in->to [i]))
                return -1;
            i++;
            continue;
        }
        uint32_t from = in->from [i];
        while (out->n > 0 && s_is_space (out->cp [out->n - 1]))
            from = out->from [--out->n];
        while (end < in->n && s_is_space (in->cp [end]))
            end++;
        if (s_cps_push (out, becomes, from, in->to [end - 1]))
            return -1;
        i = end;
    }
    return 0;
}

//  ---------------------------------------------------------------------
//  Output

static int
s_reserve (textnorm_t *self, size_t more)
{
    if (self->len + more + 1 <= self->cap)
        return 0;
    size_t cap = self->cap? self->cap: 256;
    while (cap < self->len + more + 1)
        cap *= 2;
    char *t = s_grow_wiped (self->text, self->cap, cap);
    if (!t)
        return -1;
    self->text = t;
    if (s_spans_grow (&self->from, &self->to, cap))
        return -1;
    int16_t *d = realloc (self->field, cap * sizeof *d);
    if (!d)
        return -1;
    self->field = d;
    self->cap = cap;
    return 0;
}

//  Appends one output byte; the caller has reserved room for it.
static inline void
s_put_byte (textnorm_t *self, uint8_t byte, uint32_t from, uint32_t to, int field)
{
    self->text [self->len] = (char) byte;
    self->from [self->len] = from;
    self->to [self->len] = to;
    self->field [self->len] = (int16_t) field;
    self->len++;
}

static int
s_put (textnorm_t *self, UChar32 cp, uint32_t from, uint32_t to, int field)
{
    uint8_t enc [4];
    int32_t n = 0;
    U8_APPEND_UNSAFE (enc, n, cp);
    if (s_reserve (self, (size_t) n))
        return -1;
    for (int32_t k = 0; k < n; k++)
        s_put_byte (self, enc [k], from, to, field);
    self->text [self->len] = '\0';
    return 0;
}

textnorm_t *
textnorm_new (void)
{
    if (!s_icu ())
        return NULL;
    textnorm_t *self = calloc (1, sizeof *self);
    if (self && s_reserve (self, 0))
        textnorm_destroy (&self);
    return self;
}

void
textnorm_destroy (textnorm_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    textnorm_t *self = *self_p;
    if (self->text)
        explicit_bzero (self->text, self->cap);
    free (self->text);
    free (self->from);
    free (self->to);
    free (self->field);
    s_cps_free (&self->a);
    s_cps_free (&self->b);
    free (self);
    *self_p = NULL;
}

int
textnorm_add (textnorm_t *self, const char *text, size_t len, int field)
{
    if (!self || (!text && len) || len > UINT32_MAX || field < 0 || field > INT16_MAX)
        return -1;
    self->a.n = self->b.n = 0;
    int rc = 0;
    if (!s_decode_simple (&self->a, (const uint8_t *) text, len)) {
        self->a.n = 0;
        rc = s_decode (&self->a, (const uint8_t *) text, len)
          || s_nfkc_all (&self->a, &self->b);
        self->a.n = 0;
        rc = rc || s_map_all (&self->b, &self->a);
    }
    if (!rc)
        s_digits_in_words (&self->a);
    self->b.n = 0;
    //  stage 4 only where a token may be
    const cps_t *out = &self->a;
    if (!rc && s_may_hold_tokens (&self->a)) {
        rc = s_tokens_all (&self->a, &self->b);
        out = &self->b;
    }
    //  at most four bytes a character
    rc = rc || s_reserve (self, out->n * 4);
    for (size_t i = 0; !rc && i < out->n; i++) {
        UChar32 cp = out->cp [i];
        if (cp < 0x80)              //  s_put, without its checks
            s_put_byte (self, (uint8_t) cp, out->from [i], out->to [i], field);
        else
            rc = s_put (self, cp, out->from [i], out->to [i], field);
    }
    if (!rc)
        self->text [self->len] = '\0';
    //  the scratch held the text: do not leave it lying in the heap
    if (self->a.cp)
        memset (self->a.cp, 0, self->a.high * sizeof (UChar32));
    if (self->b.cp)
        memset (self->b.cp, 0, self->b.high * sizeof (UChar32));
    self->a.high = self->b.high = 0;
    return rc? -1: 0;
}

void
textnorm_reset (textnorm_t *self)
{
    if (!self)
        return;
    if (self->text)
        memset (self->text, 0, self->len + 1);
    self->len = 0;
    if (self->text)
        self->text [0] = '\0';
}

int
textnorm_add_sep (textnorm_t *self, char c)
{
    if (!self)
        return -1;
    return s_put (self, (uint8_t) c, 0, 0, -1);
}

const char *
textnorm_text (const textnorm_t *self)
{
    return self->text;
}

size_t
textnorm_len (const textnorm_t *self)
{
    return self->len;
}

size_t
textnorm_map (const textnorm_t *self, size_t off, size_t len, textnorm_span_t *spans, size_t max)
{
    size_t n = 0;
    if (!self || off >= self->len || len == 0)
        return 0;
    if (len > self->len - off)
        len = self->len - off;
    for (size_t i = off; i < off + len; i++) {
        int f = self->field [i];
        if (f < 0)
            continue;
        if (n > 0 && spans [n - 1].field == f) {
            textnorm_span_t *s = &spans [n - 1];
            size_t from = self->from [i], to = self->to [i];
            if (from < s->offset) {
                s->length += s->offset - from;
                s->offset = from;
            }
            if (to > s->offset + s->length)
                s->length = to - s->offset;
            continue;
        }
        if (n == max)
            break;
        spans [n].field = f;
        spans [n].offset = self->from [i];
        spans [n].length = self->to [i] - self->from [i];
        n++;
    }
    return n;
}

//  ---------------------------------------------------------------------
//  Name keys

//  Letters with no decomposition to ASCII that Nordic names use.
static const char *
s_ascii_special (UChar32 c)
{
    switch (c) {
        case 0xF8: return "o";          //  ø
        case 0xE6: return "ae";         //  æ
        case 0xDF: return "ss";         //  ß
        case 0x153: return "oe";        //  œ
        case 0x111: case 0xF0: return "d";  //  đ ð
        case 0xFE: return "th";         //  þ
        case 0x142: return "l";         //  ł
        case 0x131: return "i";         //  ı
        case 0x14B: return "n";         //  ŋ
        default: return NULL;
    }
}

//  One case-folded, NFKC character folded to ASCII where it has a base
//  letter. Writes at most 8 bytes; returns how many, or -1 for a
//  character that is no letter.
static int
s_fold_one (UChar32 cp, char enc [8])
{
    if (cp < 0x80) {
        if (!((cp >= 'a' && cp <= 'z') || cp == '-'))
            return 0;                   //  apostrophes, stray marks
        enc [0] = (char) cp;
        return 1;
    }
    int8_t type = u_charType (cp);
    if (type == U_NON_SPACING_MARK || type == U_ENCLOSING_MARK
    ||  type == U_COMBINING_SPACING_MARK || s_invisible (cp))
        return 0;
    const char *special = s_ascii_special (cp);
    if (special) {
        size_t n = strlen (special);
        memcpy (enc, special, n);
        return (int) n;
    }
    UChar d [8];
    UErrorCode err = U_ZERO_ERROR;
    int32_t nd = unorm2_getDecomposition (s_nfd, cp, d, 8, &err);
    if (U_SUCCESS (err) && nd > 0 && d [0] < 0x80)
        cp = u_tolower (d [0]);
    if (cp >= 0x80 && !u_isalpha (cp))
        return -1;
    int32_t k = 0;
    U8_APPEND_UNSAFE ((uint8_t *) enc, k, cp);
    return k;
}

//  The key bytes of one character: NFKC with Unicode case folding (full
//  folding: ß -> ss), then each resulting character to ASCII where it
//  has a base letter. Returns how many bytes (at most cap), or -1 when
//  the character fails the key (or its bytes do not fit in cap).
static int
s_fold_cp (UChar32 cp, char *out, size_t cap)
{
    UChar src [2], dst [32];
    int32_t ns = 0, nd;
    if (cp < 0x80) {
        dst [0] = (UChar) (cp >= 'A' && cp <= 'Z'? cp + 32: cp);
        nd = 1;
    }
    else {
        U16_APPEND_UNSAFE (src, ns, cp);
        UErrorCode err = U_ZERO_ERROR;
        nd = unorm2_normalize (s_nfkc_cf, src, ns, dst, 32, &err);
        if (U_FAILURE (err))
            return -1;
    }
    size_t used = 0;
    for (int32_t k = 0; k < nd; ) {
        UChar32 c;
        U16_NEXT (dst, k, nd, c);
        char enc [8];
        int n = s_fold_one (c, enc);
        if (n < 0 || (size_t) n > cap - used)
            return -1;
        memcpy (out + used, enc, (size_t) n);
        used += (size_t) n;
    }
    return (int) used;
}

size_t
textnorm_fold_key (const char *word, size_t len, char *out, size_t cap)
{
    if (!word || !out || cap == 0 || !s_icu ())
        return 0;
    size_t used = 0;
    UChar32 cp;
    const uint8_t *s = (const uint8_t *) word;
    for (size_t pos = 0; pos < len; ) {
        uint8_t c = s [pos];
        if (c < 0x80) {             //  s_latin.fold of ASCII, inline
            pos++;
            if (c >= 'A' && c <= 'Z')
                c += 32;
            if ((c >= 'a' && c <= 'z') || c == '-') {
                if (used + 1 >= cap)
                    return 0;
                out [used++] = (char) c;
            }
            continue;
        }
        pos += s_utf8_at (s, len, pos, &cp);
        if (cp < 0)
            return 0;
        char buf [256];
        const char *bytes = buf;
        int n;
        if (cp < LATIN_N && s_latin.fold_len [cp] >= -1) {
            n = s_latin.fold_len [cp];
            bytes = s_latin.fold [cp];
        }
        else
            n = s_fold_cp (cp, buf, sizeof buf);
        //  a character that does not fit leaves no room for the NUL
        if (n < 0 || (size_t) n >= cap - used)
            return 0;
        memcpy (out + used, bytes, (size_t) n);
        used += (size_t) n;
    }
    out [used] = '\0';
    return used;
}

//  Fills s_latin from ICU, through the same functions the general path
//  calls.
static void
s_latin_init (void)
{
    for (UChar32 cp = 0; cp < LATIN_N; cp++) {
        s_latin.invisible [cp] = s_invisible (cp);
        s_latin.boundary [cp] = unorm2_hasBoundaryBefore (s_nfkc, cp);
        UChar src [2], dst [32];
        int32_t ns = 0;
        U16_APPEND_UNSAFE (src, ns, cp);
        UErrorCode err = U_ZERO_ERROR;
        int32_t nd = unorm2_normalize (s_nfkc, src, ns, dst, 32, &err);
        s_latin.nfkc_self [cp] = U_SUCCESS (err) && nd == 1 && dst [0] == cp;
        //  a combining mark is mapped by what precedes it; none is below
        //  U+0100, but ask rather than assume
        int8_t type = u_charType (cp);
        s_latin.mapped [cp] = type != U_NON_SPACING_MARK && type != U_ENCLOSING_MARK
                           && type != U_COMBINING_SPACING_MARK;
        s_latin.map [cp] = s_map (cp, -1);
        s_latin.simple [cp] = !s_latin.invisible [cp] && s_latin.boundary [cp]
                           && s_latin.nfkc_self [cp] && s_latin.mapped [cp]
                           && s_latin.map [cp] >= 0;
        int n = s_fold_cp (cp, s_latin.fold [cp], sizeof s_latin.fold [cp]);
        //  -2: take the general path (what fails the key above ASCII, or
        //  would not fit the table)
        s_latin.fold_len [cp] = (int8_t) (n < 0 && cp >= 0x80? -2: n);
    }
}
