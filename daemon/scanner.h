/*  scanner.h — identifier scanner for anonymised case discussions (pure).

    Looks through free text for anything that could identify a person:
    fødselsnummer / D-number / H-number, phone numbers, e-mail addresses,
    vehicle registration numbers, street addresses, police case numbers,
    exact dates of birth, any mention of the crisis centre, and personal
    names: by the rules of docs/POLICY.md over a lexicon of Norwegian
    proper nouns and common words (namelex), and the names the sender's
    own agency already knows from identified messages (scan_known_t).

    The text is first normalised the way a reader sees it (textnorm: NFKC,
    invisible characters removed, every digit script to ASCII, confusable
    letters to their skeleton, "(at)" to "@"), and the fields of a message
    are scanned as one text, so an identifier split between two fields is
    seen whole. A base64 token that decodes to text is scanned as that
    text too (once: decoded text is not decoded again). Findings are reported per field at byte offsets in the
    ORIGINAL text of that field.

    A finding never says whether a name or number was known before: a
    known name and a lexicon name are both SCAN_NAME, a known phone is
    SCAN_PHONE. The answer to a sender may depend only on the sender's own
    agency's known set, which the caller chooses.

    Ownership: the scanner keeps no state between calls (each thread keeps
    a scratch buffer for the normalised text, cleared after every scan and
    freed when the thread ends). The caller owns
    the text, the findings array, any scan_known_t and namelex_t; scanning
    only reads them, so one set may serve several threads.

    The known set holds keyed hashes only, never a name or number in clear:
    version 3, SipHash-2-4 with a 128-bit output (libsodium) under a key
    derived from the 32-byte scanner key, then a 16-byte version marker;
    version 2 hashes (HMAC-SHA256 under the key) of an older store are
    still matched, at the cost of an HMAC per word window while any is held. To persist it, the broker stores the
    hashes from scan_known_name_hashes / scan_known_phone_hash and reloads
    them with scan_known_add_hash under the same key.

    No I/O: OpenSSL for HMAC-SHA256, libsodium for SipHash.                                 */
#ifndef SAMHAND_SCANNER_H
#define SAMHAND_SCANNER_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "namelex.h"

typedef enum {
    SCAN_NATIONAL_ID,       //  fødselsnummer, D-number, H-number
    SCAN_PHONE,
    SCAN_EMAIL,
    SCAN_VEHICLE,
    SCAN_ADDRESS,           //  "Storgata 12B"; "Johans gate 5" from the
                            //  name word before a separate street word
    SCAN_CASE_NUMBER,       //  span is the number after the keyword
    SCAN_BIRTH_DATE,        //  span is the date after the keyword
    SCAN_CRISIS_CENTRE,
    SCAN_NAME,              //  a personal name: lexicon rules, or words of
                            //  a name the agency knows (also genitive -s)
    SCAN_BANK_ACCOUNT,      //  Norwegian account number, 1234.56.78903
    SCAN_UNCHECKED          //  text the scanner could not check (HMAC or
                            //  ICU failure); fail closed: treat as a finding
} scan_kind_t;

enum {
    SCAN_CONF_LOW = 1,
    SCAN_CONF_MEDIUM = 2,   //  e.g. plausible fødselsnummer, bad check digits
    SCAN_CONF_HIGH = 3
};

typedef struct {
    scan_kind_t kind;
    int field;              //  index of the field (0 for scanner_scan)
    size_t offset;          //  byte offset into that field's original text
    size_t length;          //  bytes of the original text
    int confidence;         //  SCAN_CONF_*
} scan_finding_t;

#define SCAN_KEY_SIZE        32
#define SCAN_HASH_SIZE       32
#define SCAN_NAME_HASHES_MAX 7
#define SCAN_NAME_MAX        255    //  longest normalised name, bytes

typedef struct _scan_known_t scan_known_t;

//  What a scan may consult beyond the text; either may be NULL.
typedef struct {
    const scan_known_t *known;      //  the SENDER'S agency's known names
    const namelex_t *lex;           //  proper nouns and common words
} scan_ctx_t;

//  Scans n fields together (each any bytes, need not be NUL-terminated or
//  valid UTF-8), as if joined by a space. Stores up to max_findings
//  findings in text order and returns how many there are in all (may
//  exceed max_findings). A finding that spans two fields is reported
//  once in each. ctx may be NULL; findings may be NULL if max is 0.
//  Time and memory are linear in the total length.
size_t scanner_scan_fields (const scan_ctx_t *ctx, const char *const *texts,
                            const size_t *lens, size_t n,
                            scan_finding_t *findings, size_t max_findings);

//  One field, with a known set and no lexicon.
size_t scanner_scan (const char *text, size_t len, const scan_known_t *known,
                     scan_finding_t *findings, size_t max_findings);

//  "national_id", "phone", "email", "vehicle", "address", "case_number",
//  "birth_date", "crisis_centre", "name", "unchecked"; "unknown" for
//  anything else.
const char *scanner_kind_name (scan_kind_t kind);

//  True if digits is 11 ASCII digits whose two mod-11 check digits are right.
bool scanner_fnr_valid (const char *digits, size_t len);

typedef enum { SCAN_FNR_ORDINARY, SCAN_FNR_D, SCAN_FNR_H } scan_fnr_type_t;

//  Builds an 11-digit number with valid check digits from a date (day,
//  month, two-digit year) and a three-digit individual number; D adds 4
//  to the first digit, H to the third. Writes 11 digits and a NUL into out.
//  Returns -1 for an impossible date or when this individual number has no
//  valid check digit (try the next one); 0 on success. For tests.
int scanner_fnr_make (int day, int month, int year2, int individual,
                      scan_fnr_type_t type, char out [12]);

//  A set of known names and phones, as keyed hashes. NULL on failure.
//  The key is copied into an OpenSSL MAC context and not kept otherwise.
scan_known_t *scan_known_new (const uint8_t key [SCAN_KEY_SIZE]);
void scan_known_destroy (scan_known_t **self_p);

//  Adds a person's name: the full name (when 2-4 words), first + last name
//  (when 3 or more words), each of the first three and the last word alone
//  (when 3 or more characters), and a mark for its first word (when 2
//  words or more). The name is normalised as scanned
//  text is and each word folded with textnorm_fold_key. Returns 0, or -1
//  if nothing could be added (empty, too long, one short word).
int scan_known_add_name (scan_known_t *self, const char *name, size_t len);

//  Adds a phone number (8 national digits, optional +47 / 0047, spaces,
//  dashes, dots, brackets). Returns 0, or -1 if it is not such a number.
//  Phone hashes are kept for the record only: every phone-shaped number
//  is a finding whether known or not.
int scan_known_add_phone (scan_known_t *self, const char *phone, size_t len);

//  Adds one hash computed earlier under the same key. Returns 0 or -1.
int scan_known_add_hash (scan_known_t *self, const uint8_t hash [SCAN_HASH_SIZE]);

//  The hashes scan_known_add_name would add, for the broker to persist.
//  Returns how many (1..SCAN_NAME_HASHES_MAX), or -1.
int scan_known_name_hashes (const scan_known_t *self, const char *name, size_t len,
                            uint8_t hashes [SCAN_NAME_HASHES_MAX][SCAN_HASH_SIZE]);

//  The hash scan_known_add_phone would add. Returns 0 or -1.
int scan_known_phone_hash (const scan_known_t *self, const char *phone, size_t len,
                           uint8_t hash [SCAN_HASH_SIZE]);

//  True if the hash is already in the set.
bool scan_known_contains (const scan_known_t *self, const uint8_t hash [SCAN_HASH_SIZE]);

//  Number of distinct hashes in the set.
size_t scan_known_size (const scan_known_t *self);

#endif
