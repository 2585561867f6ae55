/*  namelex.h — a lexicon of Norwegian proper nouns and common words.

    Built from a word list such as Debian's wnorwegian
    (/usr/share/dict/bokmaal, about 935,000 word forms, Latin-1 or UTF-8,
    one a line). An entry that starts with a capital letter and is
    otherwise lower case ("Kari", "Hansen", "Oslo") is a proper noun; any
    other entry of letters ("vold", "berg", "per") is a common word. A
    word may be both ("Berg" and "berg").

    Words are kept as 64-bit hashes of textnorm_fold_key in one
    open-addressing table (8 bytes a word), so "Ødegård" and "Odegard"
    are one entry. The list is public: the hashes are not secret, and a
    false match (about one in 2^62 per lookup) only makes a word count as
    a name or a common word it is not.

    namelex_load reads a file (I/O); every other function is pure.
    Ownership: the caller owns the lexicon; lookups only read it, so one
    lexicon may serve several threads.                                   */
#ifndef SAMHAND_NAMELEX_H
#define SAMHAND_NAMELEX_H
#include <stdbool.h>
#include <stddef.h>

typedef struct _namelex_t namelex_t;

#define NAMELEX_PROPER  1       //  a capitalised entry: given name, surname, place
#define NAMELEX_COMMON  2       //  a lower-case entry: an ordinary word

//  Loads the word list at path. NULL with a reason in err when it cannot
//  be read or holds fewer than min_words words (a truncated or wrong file
//  must not quietly turn name detection off).
namelex_t *namelex_load (const char *path, size_t min_words, char *err, size_t errlen);

//  A lexicon from an array of words, as if read from a file. For tests.
namelex_t *namelex_from_words (const char *const *words, size_t n);

void namelex_destroy (namelex_t **self_p);

//  NAMELEX_PROPER | NAMELEX_COMMON bits for a word (any case, any
//  diacritics: it is folded first), 0 when the word is not listed.
int namelex_lookup (const namelex_t *self, const char *word, size_t len);

//  The same for a key already folded by textnorm_fold_key.
int namelex_lookup_key (const namelex_t *self, const char *key, size_t len);

//  Distinct words held, and bytes of memory the table takes.
size_t namelex_size (const namelex_t *self);
size_t namelex_bytes (const namelex_t *self);

#endif
