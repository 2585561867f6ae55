/*  scanner.h — identifier scanner for anonymised case discussions (pure).

    Looks through free text for anything that could identify a person:
    fødselsnummer / D-number / H-number, phone numbers, e-mail addresses,
    vehicle registration numbers, street addresses, police case numbers,
    exact dates of birth, any mention of the crisis centre, and names or
    phone numbers the broker already knows from identified messages.

    Ownership: the scanner keeps no state between calls. The caller owns
    the text, the findings array and any scan_known_t; scanner_scan only
    reads the known set, so one set may serve several threads.

    The known set holds keyed hashes only (HMAC-SHA256 under a 32-byte key),
    never a name or number in clear. To persist it, the broker stores the
    hashes from scan_known_name_hashes / scan_known_phone_hash and reloads
    them with scan_known_add_hash under the same key.

    No I/O: OpenSSL is used for HMAC only.                                 */
#ifndef SAMHAND_SCANNER_H
#define SAMHAND_SCANNER_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

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
    SCAN_KNOWN_NAME,        //  2-3 words of a known name, or its surname
                            //  alone (also with a genitive -s)
    SCAN_KNOWN_PHONE,       //  a phone number that is in the known set
    SCAN_UNCHECKED          //  a word the scanner could not check (HMAC
                            //  failure); fail closed: treat as a finding
} scan_kind_t;

enum {
    SCAN_CONF_LOW = 1,
    SCAN_CONF_MEDIUM = 2,   //  e.g. plausible fødselsnummer, bad check digits
    SCAN_CONF_HIGH = 3
};

typedef struct {
    scan_kind_t kind;
    size_t offset;          //  byte offset into the scanned text
    size_t length;          //  bytes
    int confidence;         //  SCAN_CONF_*
} scan_finding_t;

#define SCAN_KEY_SIZE        32
#define SCAN_HASH_SIZE       32
#define SCAN_NAME_HASHES_MAX 3
#define SCAN_NAME_MAX        255    //  longest normalised name, bytes

typedef struct _scan_known_t scan_known_t;

//  Scans len bytes of text (any bytes; need not be NUL-terminated or valid
//  UTF-8). Stores up to max_findings findings in text order, without
//  overlaps, and returns how many there are in all (may exceed
//  max_findings). known may be NULL; findings may be NULL if max is 0.
size_t scanner_scan (const char *text, size_t len, const scan_known_t *known,
                     scan_finding_t *findings, size_t max_findings);

//  "national_id", "phone", "email", "vehicle", "address", "case_number",
//  "birth_date", "crisis_centre", "known_name", "known_phone", "unchecked";
//  "unknown" for anything else.
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

//  Adds a person's name: the full name (when 2-3 words), first + last name
//  (when 3 or more words) and the surname alone (when 3 or more
//  characters). Case, whitespace and punctuation are normalised. Returns 0,
//  or -1 if nothing could be added (empty, too long, one short word).
int scan_known_add_name (scan_known_t *self, const char *name, size_t len);

//  Adds a phone number (8 national digits, optional +47 / 0047, spaces,
//  dashes, dots, brackets). Returns 0, or -1 if it is not such a number.
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
