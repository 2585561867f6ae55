/*  test_disguise.c — identifiers in disguise, and ordinary text that must
    pass. Every person, number and address here is INVENTED: names like
    "Kari Oppdiktet" and "Testa Testesen", fødselsnummer made with valid
    check digits from made-up dates, phone numbers that belong to nobody
    we know, example.no addresses.

    Uses the real word list (/usr/share/dict/bokmaal, Debian wnorwegian),
    as the broker does.                                                  */
#include "testlib.h"
#include "scanner.h"
#include "textnorm.h"
#include "namelex.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#define DICT "/usr/share/dict/bokmaal"

static namelex_t *lex;
static scan_known_t *known;         //  the sender's own agency's names
static int caught, missed, passed, flagged;

static const uint8_t key [SCAN_KEY_SIZE] = { 7, 7, 7 };

//  Scans text as one field, or as two when it holds '|' (text|question).
static size_t
scan2 (const char *text, scan_finding_t *f, size_t max, bool with_known)
{
    const char *bar = strchr (text, '|');
    const char *texts [2] = { text, bar? bar + 1: NULL };
    size_t lens [2] = { bar? (size_t) (bar - text): strlen (text), bar? strlen (bar + 1): 0 };
    scan_ctx_t ctx = { .known = with_known? known: NULL, .lex = lex };
    return scanner_scan_fields (&ctx, texts, lens, bar? 2: 1, f, max);
}

static void
must_catch (const char *text, bool with_known)
{
    scan_finding_t f [8];
    size_t n = scan2 (text, f, 8, with_known);
    if (n > 0) {
        caught++;
        return;
    }
    missed++;
    printf ("  MISSED: '%s'\n", text);
}

static void
must_pass (const char *text)
{
    scan_finding_t f [8];
    size_t n = scan2 (text, f, 8, true);
    if (n == 0) {
        passed++;
        return;
    }
    flagged++;
    printf ("  FLAGGED: '%s':", text);
    for (size_t k = 0; k < n && k < 8; k++)
        printf (" %s at %zu+%zu '%.*s'", scanner_kind_name (f [k].kind), f [k].offset,
                f [k].length, (int) f [k].length, text + f [k].offset);
    printf ("\n");
}

//  Appends the UTF-8 of code point cp.
static size_t
put_cp (char *out, unsigned cp)
{
    if (cp < 0x80) { out [0] = (char) cp; return 1; }
    if (cp < 0x800) {
        out [0] = (char) (0xC0 | (cp >> 6)); out [1] = (char) (0x80 | (cp & 0x3F)); return 2;
    }
    if (cp < 0x10000) {
        out [0] = (char) (0xE0 | (cp >> 12)); out [1] = (char) (0x80 | ((cp >> 6) & 0x3F));
        out [2] = (char) (0x80 | (cp & 0x3F)); return 3;
    }
    out [0] = (char) (0xF0 | (cp >> 18)); out [1] = (char) (0x80 | ((cp >> 12) & 0x3F));
    out [2] = (char) (0x80 | ((cp >> 6) & 0x3F)); out [3] = (char) (0x80 | (cp & 0x3F));
    return 4;
}

//  digits written in another script: zero at base
static void
in_script (const char *ascii, unsigned base, char *out)
{
    size_t n = 0;
    for (const char *p = ascii; *p; p++)
        n += *p >= '0' && *p <= '9'? put_cp (out + n, base + (unsigned) (*p - '0')): put_cp (out + n, (unsigned char) *p);
    out [n] = '\0';
}

//  digits with sep between the groups given by sizes (0-terminated)
static void
grouped (const char *digits, const int *sizes, const char *sep, char *out)
{
    size_t n = 0, d = 0;
    for (int g = 0; sizes [g]; g++) {
        if (g > 0) {
            memcpy (out + n, sep, strlen (sep));
            n += strlen (sep);
        }
        memcpy (out + n, digits + d, (size_t) sizes [g]);
        n += (size_t) sizes [g];
        d += (size_t) sizes [g];
    }
    out [n] = '\0';
}

//  an invisible character inserted after the first at bytes
static void
insert_at (const char *text, size_t at, const char *ins, char *out)
{
    size_t n = strlen (text), m = strlen (ins);
    memcpy (out, text, at);
    memcpy (out + at, ins, m);
    memcpy (out + at + m, text + at, n - at + 1);
}

//  The base64 of text (standard alphabet, padded) into out.
static void
base64_of (const char *text, char *out)
{
    static const char abc [] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    const unsigned char *s = (const unsigned char *) text;
    size_t n = strlen (text), o = 0;
    for (size_t i = 0; i < n; i += 3) {
        unsigned v = (unsigned) s [i] << 16 | (i + 1 < n? (unsigned) s [i + 1] << 8: 0)
                   | (i + 2 < n? s [i + 2]: 0);
        out [o++] = abc [v >> 18 & 63];
        out [o++] = abc [v >> 12 & 63];
        out [o++] = i + 1 < n? abc [v >> 6 & 63]: '=';
        out [o++] = i + 2 < n? abc [v & 63]: '=';
    }
    out [o] = '\0';
}

static void
test_numbers (const char *fnr, const char *phone)
{
    static const unsigned scripts [] = {
        0xFF10,     //  fullwidth
        0x0660,     //  Arabic-Indic
        0x06F0,     //  extended Arabic-Indic
        0x0966,     //  Devanagari
        0x09E6,     //  Bengali
        0x0E50,     //  Thai
        0x1D7CE,    //  mathematical bold
        0x1D7EC,    //  mathematical sans-serif bold
        0x0AE6,     //  Gujarati
        0x1040,     //  Myanmar
    };
    static const char *invisible [] = {
        "\xe2\x80\x8b", "\xe2\x80\x8c", "\xe2\x80\x8d", "\xe2\x81\xa0", "\xc2\xad",
        "\xef\xbb\xbf", "\xe2\x80\x8e", "\xe2\x80\x8f", "\xe2\x80\xaa", "\xe2\x81\xa6",
        "\xe2\x81\xa9", "\xcd\x8f",     //  combining grapheme joiner
    };
    static const char *seps [] = {
        ".", "-", " ", "\t", "\n", " - ", "/", " . ", "\xc2\xa0", "\xe2\x80\x89",
        "\xe3\x80\x80", "\xe2\x80\x93", "\xe2\x88\x92", "\xef\xbc\x8d", "\r\n",
        "_", "*", "\xc2\xb7", "\xe2\x80\xa2", "\xe2\xa0\x80", "|", ":", " / ", ") ",
    };
    static const int fnr_groups [][6] = {
        { 6, 5 }, { 2, 2, 2, 5 }, { 3, 3, 3, 2 }, { 2, 2, 2, 3, 2 }, { 4, 4, 3 }, { 6, 3, 2 },
    };
    static const int phone_groups [][5] = {
        { 4, 4 }, { 2, 2, 2, 2 }, { 3, 3, 2 }, { 3, 2, 3 }, { 2, 3, 3 }, { 2, 6 },
    };
    char buf [1024], num [256];
    for (size_t k = 0; k < sizeof scripts / sizeof scripts [0]; k++) {
        in_script (fnr, scripts [k], num);
        snprintf (buf, sizeof buf, "Fødselsnummeret hennes er %s.", num);
        must_catch (buf, false);
        in_script (phone, scripts [k], num);
        snprintf (buf, sizeof buf, "Ring henne på %s i kveld.", num);
        must_catch (buf, false);
    }
    for (size_t k = 0; k < sizeof invisible / sizeof invisible [0]; k++) {
        insert_at (fnr, 5, invisible [k], num);
        snprintf (buf, sizeof buf, "Nummer %s ble oppgitt.", num);
        must_catch (buf, false);
        insert_at (phone, 3, invisible [k], num);
        snprintf (buf, sizeof buf, "Telefon %s etter kl 16.", num);
        must_catch (buf, false);
    }
    for (size_t k = 0; k < sizeof seps / sizeof seps [0]; k++) {
        const int g1 [] = { 6, 5, 0 };
        grouped (fnr, g1, seps [k], num);
        snprintf (buf, sizeof buf, "Hun oppga %s i samtalen.", num);
        must_catch (buf, false);
        const int g2 [] = { 4, 4, 0 };
        grouped (phone, g2, seps [k], num);
        snprintf (buf, sizeof buf, "Han ringte fra %s flere ganger.", num);
        must_catch (buf, false);
    }
    for (size_t k = 0; k < sizeof fnr_groups / sizeof fnr_groups [0]; k++) {
        int sizes [7] = { 0 };
        memcpy (sizes, fnr_groups [k], sizeof fnr_groups [k]);
        grouped (fnr, sizes, k % 2? " ": ".", num);
        snprintf (buf, sizeof buf, "Id: %s", num);
        must_catch (buf, false);
    }
    for (size_t k = 0; k < sizeof phone_groups / sizeof phone_groups [0]; k++) {
        int sizes [6] = { 0 };
        memcpy (sizes, phone_groups [k], sizeof phone_groups [k]);
        grouped (phone, sizes, k % 2? ".": " ", num);
        snprintf (buf, sizeof buf, "Nummeret er %s.", num);
        must_catch (buf, false);
    }
    //  combinations: fullwidth digits, a zero-width space and dots
    in_script (fnr, 0xFF10, num);
    char zw [600];
    insert_at (num, 9, "\xe2\x80\x8b", zw);
    snprintf (buf, sizeof buf, "fnr %s", zw);
    must_catch (buf, false);
    const int dot6 [] = { 6, 5, 0 };
    grouped (fnr, dot6, ".", num);
    insert_at (num, 2, "\xe2\x80\x8d", zw);
    snprintf (buf, sizeof buf, "fnr %s", zw);
    must_catch (buf, false);
    //  letters a reader takes for digits: O for 0, l and I for 1
    const char *looks [][2] = { { "0", "O" }, { "1", "l" }, { "1", "I" }, { "0", "o" } };
    for (size_t k = 0; k < sizeof looks / sizeof looks [0]; k++) {
        char f2 [12], p2 [9];
        for (int i = 0; i < 12; i++)
            f2 [i] = fnr [i] == looks [k][0][0]? looks [k][1][0]: fnr [i];
        for (int i = 0; i < 9; i++)
            p2 [i] = phone [i] == looks [k][0][0]? looks [k][1][0]: phone [i];
        snprintf (buf, sizeof buf, "Nummeret hennes er %.6s %s.", f2, f2 + 6);
        must_catch (buf, false);
        snprintf (buf, sizeof buf, "Ring %.3s %.2s %s i kveld.", p2, p2 + 3, p2 + 5);
        must_catch (buf, false);
    }
    //  split between text and question
    snprintf (buf, sizeof buf, "Hun oppga %.6s|%s, hva gjør vi?", fnr, fnr + 6);
    must_catch (buf, false);
    snprintf (buf, sizeof buf, "Ring %.4s|%s og spør.", phone, phone + 4);
    must_catch (buf, false);
    //  with country codes
    const char *prefixes [] = { "+47 ", "+47", "0047 ", "(+47) ", "47 ", "＋４７ " };
    for (size_t k = 0; k < sizeof prefixes / sizeof prefixes [0]; k++) {
        const int g [] = { 3, 2, 3, 0 };
        grouped (phone, g, k % 2? ".": " ", num);
        snprintf (buf, sizeof buf, "Nr. %s%s", prefixes [k], num);
        must_catch (buf, false);
    }
}

static const char *const disguised [] = {
    //  e-mail
    "Skriv til kt1985@example.no i dag.",
    "Skriv til kt1985(at)example(dot)no i dag.",
    "Skriv til kt1985 [at] example [dot] no i dag.",
    "Skriv til kt1985 (at) example (dot) no i dag.",
    "Skriv til kt1985{at}example{dot}no i dag.",
    "Skriv til kt1985(AT)example(DOT)no i dag.",
    "Skriv til kt1985 (alfakrøll) example (punktum) no i dag.",
    "Skriv til kt1985＠example.no i dag.",
    "Skriv til kt1985@example．no i dag.",
    "Skriv til ｋｔ１９８５＠ｅｘａｍｐｌｅ．ｎｏ i dag.",
    "Skriv til kt1985 @ example.no i dag.",
    "Skriv til kt19\xe2\x80\x8b" "85@exa\xe2\x80\x8bmple.no i dag.",
    "Skriv til kt1985[at]example[dot]no i dag.",
    "Skriv til kt1985 ( at ) example ( dot ) no i dag.",
    "Skriv til kt1985|@example.no i dag.",
    "Skriv til kt1985 at example dot no i dag.",
    "Skriv til kt1985 AT example DOT no i dag.",
    "Skriv til kari.o at post dot example dot no i dag.",
    "Skriv til kt1985 alfakrøll example punktum no i dag.",
    //  crisis centre
    "Hun bor nå på krise\xe2\x80\x8bsenteret.",
    "Hun bor nå på krise\xc2\xad" "senteret.",
    "Hun bor nå på kris\xd0\xb5senteret.",
    "Hun bor nå på KRISESENTERET.",
    "Hun bor nå på ｋｒｉｓｅｓｅｎｔｅｒｅｔ.",
    "Hun bor nå på krise-senteret.",
    "Hun bor nå på krise senteret.",
    "Hun bor nå på kri\xe2\x80\x8dsesenteret.",
    "Hun bor nå på krisesentret.",
    "Hun bor nå på krise\xe2\x81\xa0senter.",
    "Hun har kontakt med krise|senteret.",
    //  names nobody has sent before: the lexicon rules
    "Vi har snakket med Kari Oppdiktet om saken.",
    "Vi har snakket med Kari Oppdikt\xd0\xb5t om saken.",
    "Vi har snakket med \xd0\x9a\xd0\xb0ri Oppdiktet om saken.",
    "Vi har snakket med Ka\xe2\x80\x8bri Oppdiktet om saken.",
    "Vi har snakket med Kari\xc2\xa0Oppdiktet om saken.",
    "Vi har snakket med ＫＡＲＩ ＯＰＰＤＩＫＴＥＴ om saken.",
    "Vi har snakket med KARI OPPDIKTET om saken.",
    "Kari Oppdiktet har ringt igjen.",
    "Vi har snakket med Testa Testesen om saken.",
    "Testesen-familien har flyttet.",
    "Hansen-familien har flyttet.",
    "Vi møtte Heidi Odegard i går.",
    "Vi møtte Heidi \xc3\x98" "deg\xc3\xa5rd i går.",
    "Vi møtte Heidi O\xcc\x88" "degard i går.",
    "Vi møtte A\xcc\x8a" "se Testesen i går.",
    "Vi møtte Ingrid Nilsen i går.",
    "Moren, Emma Testesen, er bekymret.",
    "Faren Jonas Oppdiktet er anmeldt.",
    "Vi møtte Mor Kari Oppdiktet i går.",
    "Vi møtte Dag Testesen i går.",
    "Vi møtte Liv Hansen i går.",
    "Per Berg har ringt igjen.",
    "Vi møtte Eva Lie i går.",
    "Tor Vik er anmeldt.",
    "Per Hansen har ringt igjen.",
    "Vi har snakket med Testesen om dette.",
    "Det gjelder Testesens leilighet.",
    "Testesen har ringt igjen.",
    "Vi møtte Lars Nils Oppdiktet i går.",
    "Vi møtte kari hansen i går.",
    "Vi har snakket med Kari|Oppdiktet om saken.",
    "Hva vet vi om Per Testesen?",
    "Naboen Ole Testesen har varslet.",
    "Vi møtte Marie Hansens mor.",
    //  dates of birth
    "Hun er født 12.03.1985 og bor alene.",
    "Hun er født 12.03.85 og bor alene.",
    "Hun er født １２.０３.１９８５ og bor alene.",
    "Hun er født 12\xe2\x80\x8b.03.1985 og bor alene.",
    "Hun er født 12. mars 1985 og bor alene.",
    "Fødselsdato: 1985-03-12.",
    "Hun er FØDT 12.03.1985 og bor alene.",
    "Hun er født den 12.03.1985 og bor alene.",
    "Hun er f. 12/03/1985 og bor alene.",
    "Hun er født 12-03-1985 og bor alene.",
    "Hun er f\xc3\xb8" "dt 12.03.1985 og bor alene.",
    "Hun er født|12.03.1985 og bor alene.",
    "Datoen 12.03.1985 står i journalen.",
    "Datoen 1985-03-12 står i journalen.",
    "Datoen 12. mars 1985 står i journalen.",
    "Datoen 12031985 står i journalen.",
    "Datoen 12/03/1985 står i journalen.",
    //  addresses, case numbers, vehicles
    "Hun bor i Storgata 12B.",
    "Hun bor i Storg\xd0\xb0ta 12.",
    "Hun bor i Storgata １２.",
    "Hun bor i Storgata 1\xe2\x80\x8b" "2.",
    "Anmeldelse nr ２０２３１２３４５.",
    "Bilen har skilt ＡＢ 12345.",
    "Bilen har skilt AB\xe2\x80\x8b" "12345.",
    //  stored backwards behind a right-to-left override: read as a name
    "Vi har snakket med \xe2\x80\xae" "tetkiddpO iraK\xe2\x80\xac om saken.",
};

static const char *const known_disguised [] = {
    //  names the sender's own agency has sent (known set)
    "Vi snakket med Odegard i går.",
    "Vi snakket med ØDEGÅRD i går.",
    "Vi snakket med Øde\xe2\x80\x8bgård i går.",
    "Det gjelder Testesens leilighet.",
    "Det gjelder Testesen-familien.",
    "Vi snakket med Mirabell i går.",
    "Vi snakket med Mir\xd0\xb0" "bell i går.",
    "Vi snakket med Mirabells mor i går.",
    "Vi snakket med Marie i går.",
    "Vi snakket med MARIE i går.",
    "Vi snakket med Vold-familien i går.",
    "Vi snakket med Vold i går.",
    "Er Kari Vold kjent for dere?",
    "Er K\xd0\xb0ri Vold kjent for dere?",
};

//  Ordinary discussion text: none of these may be flagged.
static const char *const clean [] = {
    "Hun har vært utsatt for vold av partner i lang tid, hva bør vi gjøre?",
    "Vold i nære relasjoner er et stort problem i kommunen.",
    "Vold har ingen plass i familien.",
    "Berg og dal, hun har flyttet mange ganger.",
    "Det er en lie bak huset.",
    "Hun har vært utsatt for trusler og vold i 3 år og har 2 barn.",
    "Hva bør vi gjøre når partneren ringer flere ganger om dagen?",
    "Kvinnen er i 40-årene og har to barn under 10 år.",
    "Vi har møte 14.05.2024 kl. 09:00 og tar opp tiltak 1-3.",
    "Møtet er mellom kl. 20.30-22.45 på kontoret.",
    "Vakten er fra 20:30 - 22:45 hver dag.",
    "Stillingen er 50/50 delt, og hun jobber 3 av 5 dager.",
    "Perioden 22.03-24.03 var rolig.",
    "Hun har 1 500 000 kroner i gjeld.",
    "Gjelden er på 45 000 000 totalt.",
    "Saken ble meldt i 2019 2020 og igjen nå.",
    "Barna er 2, 4 og 6 år gamle.",
    "Risikoen vurderes som høy etter SARA-V3, trinn 2.",
    "Hun sa at han var sjalu og kontrollerende.",
    "Politiet har gitt besøksforbud i 6 måneder.",
    "Per i dag er situasjonen stabil.",
    "Kari er et oppdiktet navn vi bruker i diskusjonen.",
    "Hvordan kan vi støtte henne uten at han får vite det?",
    "Barnevernet er koblet inn, og NAV følger opp økonomien.",
    "Han har tidligere dommer for vold og trusler.",
    "Hun bor i en kommune på Vestlandet.",
    "Oslo kommune har et eget tilbud for dette.",
    "Vi vurderer om dette er et tilfelle for SARA-V3.",
    "Hun ønsker å flytte, men har ikke råd.",
    "Tiltakene fra 2021-2023 hadde liten effekt.",
    "Ca. 30 % av sakene gjelder barn.",
    "Han ringte 3 ganger i går og 5 ganger i dag.",
    "Hva sier loven om taushetsplikt i slike saker?",
    "Hun har fått voldsalarm og er trygg nå.",
    "Hvordan vurderer dere risikoen? Berg er en vanlig grunn.",
    "Mor og far er skilt, og barna bor hos mor.",
    "Det Kari sa, stemmer med det vi vet.",
    "Vi ses at home, sa hun, og det er en dot på kartet.",
    "Hun kom hjem at 5 dot no wait.",
    "Han ble dømt 03.05.2021 og sonet i 8 måneder.",
    "Neste møte er 14.05.2024.",
    "Hun har vært på Barnehuset Oslo med barna.",
    "Prosessen tar tid, og Kvinnen er sliten.",
    "Meldingsprosessen er treg. Barnevernsprosessen likeså.",
    "Hun hadde en samtale med Hansen på kontoret.",
    "Per i dag er det ingen nye hendelser.",
    "Dag for dag blir hun tryggere.",
    "Liv og helse går foran alt annet.",
    "Hun har kontakt med Alternativ til Vold (ATV).",
    "Vi har snakket med Barnevernet og NAV om saken.",
    "Han bor i Nord-Norge nå, og hun i Sør-Trøndelag.",
    "Saken er hos Oslo politidistrikt og Statens barnehus.",
    "Hun har time på Legevakten Oslo i morgen.",
    "Risiko: Høy. Tiltak: Voldsalarm og besøksforbud.",
    "NAV Oslo har innvilget sosialhjelp.",
    "Bergen kommune og Oslo kommune har ulike rutiner.",
    "Kripos er ikke involvert i denne saken.",
    "Hvordan skal vi forholde oss til Bufetat Region Øst?",
    "Mor og Far er begge bekymret.",
    "Hun drakk 1l vann og 2 glass melk, og kjøpte 10 ol.",
    "Rom 4O2 og 4O3 er ledige fra kl 10.",
    "Saken er meldt til Politiet Oslo og til barnevernet.",
    "Vi bruker Kari som navn på henne i denne saken.",
    //  commas and semicolons in amounts, decimals, times and lists
    "Han hadde 3,5 promille da politiet kom.",
    "Møtet startet kl. 14,30 og varte til kl. 16,45.",
    "Det har skjedd 2, 3 og 4 ganger i måneden.",
    "Hun har 2,3,4,5,6,7,8,9 timer igjen av kurset.",
    "Gjelden er 234 567,89 kroner, og husleien 12.345,50.",
    "Beløpet var 234567,89 og ble betalt 23,45,67 og 89 dager etter.",
    "Tiltak 1;2;3 er gjort, og tiltak 4, 5, 6 og 7 gjenstår.",
    "Hun veier 62,5 kg og er 1,68 m; BMI 22,1.",
    "Ukene 20,22,24 og 26 er hun borte.",
    "Klokken 20,30-22,45 er hun alene hjemme.",
    "Hun skrev til oss, og NAV svarte i går.",
};

//  The normalised form of text, as a fresh string (caller frees).
static char *
norm_of (const char *text)
{
    textnorm_t *t = textnorm_new ();
    char *out = NULL;
    if (t && textnorm_add (t, text, strlen (text), 0) == 0)
        out = strdup (textnorm_text (t));
    textnorm_destroy (&t);
    return out;
}

static bool
norm_is (const char *text, const char *expect)
{
    char *got = norm_of (text);
    bool ok = got && strcmp (got, expect) == 0;
    if (!ok)
        printf ("  textnorm '%s' -> '%s', expected '%s'\n", text, got? got: "(null)", expect);
    free (got);
    return ok;
}

static bool
key_is (const char *word, const char *expect)
{
    char key [64];
    size_t n = textnorm_fold_key (word, strlen (word), key, sizeof key);
    bool ok = n == strlen (expect) && strcmp (key, expect) == 0;
    if (!ok)
        printf ("  fold key '%s' -> '%s', expected '%s'\n", word, n? key: "", expect);
    return ok;
}

static void
test_textnorm (void)
{
    CHECK (norm_is ("\xef\xbc\x90\xef\xbc\x91 \xd9\xa2\xd9\xa3 \xe0\xa5\xaa", "01 23 4"),
           "textnorm: fullwidth, Arabic-Indic and Devanagari digits to ASCII");
    CHECK (norm_is ("a\xe2\x80\x8b" "b\xc2\xad" "c\xef\xbb\xbf" "d\xe2\x80\x8f" "e", "abcde"),
           "textnorm: zero-width space, soft hyphen, BOM, bidi mark removed");
    CHECK (norm_is ("K\xd0\xb0ri \xce\x9fla", "Kari Ola"), "textnorm: Cyrillic and Greek skeletons");
    CHECK (norm_is ("A\xcc\x8a" "se \xc3\x98" "degard", "\xc3\x85se \xc3\x98" "degard"),
           "textnorm: decomposed diacritics composed, Norwegian letters kept");
    CHECK (norm_is ("x(at)y[dot]no", "x@y.no") && norm_is ("x at y dot no", "x@y.no")
        && norm_is ("vi ses at 5", "vi ses at 5"), "textnorm: (at), [dot] and spoken addresses");
    CHECK (norm_is ("a\tb\xc2\xa0" "c\xe2\x80\x93" "d", "a b c-d"), "textnorm: spaces and dashes");
    CHECK (norm_is ("\xff\xfe" "ok\xc3", "ok"), "textnorm: invalid UTF-8 dropped");
    CHECK (key_is ("\xc3\x98" "deg\xc3\xa5rd", "odegard") && key_is ("ODEGARD", "odegard")
        && key_is ("O\xcc\x88" "degard", "odegard") && key_is ("\xc3\x86s\xc3\xb8y", "aesoy")
        && key_is ("Stra\xc3\x9f" "e", "strasse") && key_is ("\xef\xbc\xab" "ari", "kari"),
           "textnorm: fold keys fold case, diacritics, ø/æ/å/ß and width");
    textnorm_t *t = textnorm_new ();
    bool mapped = t && textnorm_add (t, "ab", 2, 0) == 0 && textnorm_add_sep (t, ' ') == 0
               && textnorm_add (t, "\xef\xbc\x91" "2", 4, 1) == 0;
    textnorm_span_t spans [4];
    size_t n = mapped? textnorm_map (t, 1, 4, spans, 4): 0;
    CHECK (n == 2 && spans [0].field == 0 && spans [0].offset == 1 && spans [0].length == 1
        && spans [1].field == 1 && spans [1].offset == 0 && spans [1].length == 4,
           "textnorm: a span maps back to each field's original bytes");
    textnorm_destroy (&t);
}

//  Found by attacking the scanner after issue 8 (invented people, numbers
//  and addresses). Each must be caught; each passed before.
static const char *const attack_disguised [] = {
    //  dingbat and negative circled digits have no NFKC form
    "fnr \xe2\x93\xbf\xe2\x9d\xb6\xe2\x93\xbf\xe2\x9d\xb6\xe2\x9d\xbe\xe2\x93\xbf\xe2\x9d\xb9"
        "\xe2\x93\xbf\xe2\x93\xbf\xe2\x9d\xb8\xe2\x9d\xb9",                     //  ⓿❶⓿❶❾⓿❹⓿⓿❸❹
    "ring \xe2\x9e\x83\xe2\x9e\x80\xe2\x9e\x81\xe2\x9e\x82\xe2\x9e\x83\xe2\x9e\x84\xe2\x9e\x85"
        "\xe2\x9e\x86",                                                         //  ➃➀➁➂➃➄➅➆
    //  '@' and '.' spaced out, and krøllalfa
    "e-post kt1985 @ example . no",
    "e-post kt1985 @ example dot com",
    "e-post kt1985 krøllalfa example punktum no",
    //  digits spelt out, one word each
    "ring fire en to tre fire fem seks sju",
    "ring Fire, en, to, tre, fire, fem, seks, sju i kveld",
    "ring fire-en-to-tre fire-fem-seks-sju",
    "nummeret er fire en. to tre. fire fem. seks syv",
    "fnr null en null en ni null fire null null tre fire",
    //  names the word list lacks, beside another capitalised word
    "Vi møtte Aleksandra Kowalska i går.",
    "Aleksandra Kowalska kom alene.",
    "Vi møtte Piotr Nowak.",
    "Vi møtte Muhammad Ali Khan.",
    "Vi møtte Aisha Abdi Mohamed.",
    "Vi møtte Nguyen Van Anh.",
    "Vi møtte Aleksandra Hansen.",
    //  a hyphenated given name
    "Vi møtte Kari-Anne Oppdiktet.",
    "Vi møtte Anne-Aleksandra Oppdiktet.",
    //  an initial before a surname
    "Vi møtte K. Hansen i går.",
    "Vi møtte O. Nowak i går.",
    //  a number word between street and house number
    "bor i Kirkeveien nr 3",
    "bor i Kirkeveien nr. 3",
    "bor i Kirkeveien nummer 3",
    //  fraction and division slashes read as '/'
    "ring 4123\xe2\x81\x84" "4567",
    "ring 4123\xe2\x88\x95" "4567",
};

//  Ordinary text that must still pass beside the rules above.
static const char *const attack_clean [] = {
    "Hun ble truet via Facebook Messenger og Snapchat.",
    "Saken er meldt til Barnevernet og Bufetat Region Øst.",
    "Barnehuset Oslo har gjennomført tilrettelagt avhør.",
    "Mannen jobber på Rema 1000 på Grønland.",
    "Møtet holdes på Teams kl. 10.",
    "Det var en to tre episoder i fjor.",
    "Hun har en eller to venninner, tre søsken, fire barn, fem barnebarn, seks onkler.",
    "en to tre fire fem seks sju",
    "Hun sa at mor . Det var greit.",
    "Vi har kontakt med Statsforvalteren i Oslo og Viken.",
    "Familien kommer opprinnelig fra Somalia og snakker somali.",
    "Sønnen går på Haugerud skole.",
    "Hun har kontakt med Kirkens Bymisjon.",
    "Kan vi dele med NAV Grünerløkka?",
    "Vi har bedt om en vurdering fra RVTS Øst.",
    "Hun tok 1\xe2\x81\x84" "2 tablett.",
};

static void
test_attack (void)
{
    int c0 = caught, m0 = missed, p0 = passed, f0 = flagged;
    for (size_t k = 0; k < sizeof attack_disguised / sizeof attack_disguised [0]; k++)
        must_catch (attack_disguised [k], false);
    CHECK (missed == m0 && caught - c0 == (int) (sizeof attack_disguised / sizeof attack_disguised [0]),
           "attack: dingbat digits, spaced @, spelt digits, unlisted names, initials, nr, slashes caught");
    for (size_t k = 0; k < sizeof attack_clean / sizeof attack_clean [0]; k++)
        must_pass (attack_clean [k]);
    CHECK (flagged == f0 && passed - p0 == (int) (sizeof attack_clean / sizeof attack_clean [0]),
           "attack: platforms, agencies, counted items still pass");
}

static void
test_linear (void)
{
    //  worst cases for each detector, 8 KiB and 64 KiB of each: the time
    //  per byte must not grow with the length
    const char *patterns [] = { "1 ", "1.", "Kari ", "Kari Oppdiktet ", "a@", "(at)",
                                "\xe2\x80\x8b", "\xcc\x88", "K\xd0\xb5ri ", "1\t", "A ",
                                "Testesen-", "krise ", "født 1", "+47 ", "x",
                                "Barnehusbarnehusbarnehusbarnehusbarnehuset ",
                                "Kari Barnehusetbarnehusetbarnehusetbarnehuset ",
                                "kt1985 at example dot no dot ", "4 1 2 3 4 5 6 7 8 ",
                                "O1lI ", "lll1", "en ", "en-", "en, ", "Aleksandra ",
                                "K. Hansen ", "Kari-Anne ", "x @ y . no ", "&#52;", "%34",
                                "&#x4", "1,", "Kowalskafamilien ", "&amp;amp;amp;",
                                "&amp;#5", "%25%252525", "S%C3%B8", "%E2%80%8B",
                                "%F0%9F%98", "12, ", "412, 34, 5",
                                "a3QxOTg1QGV4YW1wbGUubm8= ", "QUFBQUFB",
                                "S2FyaSBPcHBkaWt0ZXQg", "SGVpIHDDpSBkZWcsIGjDpXBlciBh" };
    size_t np = sizeof patterns / sizeof patterns [0];
    double t8 = 0, t64 = 0;
    char *buf = malloc (64 * 1024);
    if (!buf)
        return;
    for (size_t size = 8 * 1024; size <= 64 * 1024; size *= 8) {
        clock_t t0 = clock ();
        int reps = size == 8 * 1024? 8: 1;
        for (int r = 0; r < reps; r++)
            for (size_t k = 0; k < np; k++) {
                size_t pl = strlen (patterns [k]);
                for (size_t i = 0; i < size; i++)
                    buf [i] = patterns [k] [i % pl];
                scan_finding_t f [4];
                const char *texts [1] = { buf };
                size_t lens [1] = { size };
                scan_ctx_t ctx = { .known = known, .lex = lex };
                scanner_scan_fields (&ctx, texts, lens, 1, f, 4);
            }
        double secs = (double) (clock () - t0) / CLOCKS_PER_SEC;
        if (size == 8 * 1024)
            t8 = secs;          //  8 x 8 KiB
        else
            t64 = secs;         //  1 x 64 KiB
    }
    free (buf);
    printf ("  worst-case patterns: 8 x 8 KiB %.3f s, 1 x 64 KiB %.3f s (ratio %.2f)\n",
            t8, t64, t8 > 0? t64 / t8: 0);
    //  the same number of bytes: linear means about equal time
    CHECK (t64 < t8 * 2.5 + 0.05, "linear: 64 KiB costs no more per byte than 8 KiB");
}

int
main (void)
{
    char err [300];
    clock_t t0 = clock ();
    lex = namelex_load (DICT, 100000, err, sizeof err);
    double load = (double) (clock () - t0) / CLOCKS_PER_SEC;
    CHECK (lex != NULL, "lexicon: the real word list loads");
    if (!lex) {
        printf ("  %s\n", err);
        return TEST_DONE ();
    }
    printf ("  lexicon: %zu words, %zu KiB, %.3f s\n", namelex_size (lex),
            namelex_bytes (lex) / 1024, load);
    CHECK (namelex_size (lex) > 800000, "lexicon: most of the word list is held");
    CHECK (namelex_lookup (lex, "Kari", 4) == NAMELEX_PROPER, "lexicon: Kari is a proper noun only");
    CHECK (namelex_lookup (lex, "vold", 4) == NAMELEX_COMMON, "lexicon: vold is a common word");
    CHECK (namelex_lookup (lex, "Berg", 4) == (NAMELEX_PROPER | NAMELEX_COMMON),
           "lexicon: Berg is both");
    CHECK (namelex_lookup (lex, "KARI", 4) == NAMELEX_PROPER, "lexicon: lookups fold case");
    CHECK (namelex_lookup (lex, "Testesen", 8) == 0, "lexicon: an invented name is not listed");
    CHECK (namelex_load ("/nonexistent/dict", 1, err, sizeof err) == NULL
        && strstr (err, "cannot be read"), "lexicon: a missing file is refused with a reason");
    CHECK (namelex_load ("/etc/hostname", 100000, err, sizeof err) == NULL
        && strstr (err, "fewer than"), "lexicon: a file that is no word list is refused");

    known = scan_known_new (key);
    CHECK (known && scan_known_add_name (known, "Ingrid Ødegård", strlen ("Ingrid Ødegård")) == 0
        && scan_known_add_name (known, "Testa Mirabell Testesen", 23) == 0
        && scan_known_add_name (known, "Kari Vold", 9) == 0
        && scan_known_add_name (known, "Kari Marie Oppdiktet", 20) == 0
        && scan_known_add_name (known, "Aleksandra Kowalska", 19) == 0,
           "known: own agency's names added");

    char fnr [12];
    CHECK (scanner_fnr_make (1, 1, 90, 400, SCAN_FNR_ORDINARY, fnr) == 0
        || scanner_fnr_make (1, 1, 90, 401, SCAN_FNR_ORDINARY, fnr) == 0, "invented fnr made");
    test_numbers (fnr, "41234567");
    char dnr [12];
    if (scanner_fnr_make (12, 3, 85, 112, SCAN_FNR_D, dnr) == 0
    ||  scanner_fnr_make (12, 3, 85, 113, SCAN_FNR_D, dnr) == 0)
        test_numbers (dnr, "98765432");
    for (size_t k = 0; k < sizeof disguised / sizeof disguised [0]; k++)
        must_catch (disguised [k], false);
    for (size_t k = 0; k < sizeof known_disguised / sizeof known_disguised [0]; k++)
        must_catch (known_disguised [k], true);
    printf ("  disguised variants: %d caught, %d missed\n", caught, missed);
    CHECK (caught >= 150 && missed == 0, "disguise: at least 150 variants, every one caught");

    for (size_t k = 0; k < sizeof clean / sizeof clean [0]; k++)
        must_pass (clean [k]);
    printf ("  clean sentences: %d passed, %d flagged\n", passed, flagged);
    CHECK (flagged == 0, "clean: ordinary discussion text passes");

    //  A surname the list lacks, alone, with an accent on its ending: the
    //  ending was compared on the bytes as written, so "Testesen" was a
    //  name and "Testesén" was not.
    int accent_missed = missed, accent_flagged = flagged;
    const char *accented [] = {
        "Vi har snakket med Testesén om dette.", "Testesén har ringt igjen.",
        "Det gjelder Testeséns leilighet.", "Vi har snakket med Testerúd.",
        "Vi har snakket med Oppdalstád.", "Vi har snakket med Testesën.",
        "Vi har snakket med Teste\xcc\x81sen."
    };
    for (size_t k = 0; k < sizeof accented / sizeof accented [0]; k++)
        must_catch (accented [k], false);
    must_pass ("Vi tok en kaffe på kafeen og fikk en god idé.");
    must_pass ("Hun har en sterk opplevelse av sin identitét.");
    CHECK (missed == accent_missed && flagged == accent_flagged,
           "disguise: a surname the list lacks, with an accent on its ending, alone");

    //  Digits read as letters inside a name: "Test3sen", "Oppdikt3t".
    int leet_missed = missed, leet_flagged = flagged;
    must_catch ("Vi har snakket med Test3sen om dette.", false);
    must_catch ("Vi har snakket med T3st3s3n om dette.", false);
    must_catch ("Vi møtte Kari Oppdikt3t i går.", true);
    must_catch ("Vi møtte Ingrid Ødeg4rd i går.", true);
    must_catch ("Vi møtte Kari Opp-dikt3t i går.", true);
    must_catch ("Vi har snakket med Testesen5 mor.", false);
    must_pass ("Hun tok B12-vitamin, og covid19-testen var negativ.");
    must_pass ("Møtet er i rom 3b og 4a, med A4-ark og en mp3-spiller.");
    must_pass ("Kl. 10:30 kom hun, med 2x4 poser og 5l melk, den 3dje gangen.");
    CHECK (missed == leet_missed && flagged == leet_flagged,
           "disguise: digits read as letters inside a name");

    //  The signs of an address bracketed, and the ideographic full stop.
    int sign_missed = missed, sign_flagged = flagged;
    must_catch ("Skriv til kt1985(@)example.no i dag.", false);
    must_catch ("Skriv til kt1985 [@] example [.] no i dag.", false);
    must_catch ("Skriv til kt1985{@}example(.)no i dag.", false);
    must_catch ("Skriv til kt1985@example\xe3\x80\x82no i dag.", false);
    must_catch ("Skriv til kt1985@example\xef\xbd\xa1no i dag.", false);
    must_catch ("Skriv til kt1985@example dot no i dag.", false);
    must_catch ("Skriv til kt1985@example . no i dag.", false);
    must_catch ("Skriv til kt1985@post punktum example punktum no i dag.", false);
    must_pass ("Hun sendte det til meg@ . Det kom fram i dag.");
    must_pass ("Hun sa (...) at det gikk bra, og [...] resten kommer.");
    must_pass ("Se punkt (a) og (b), og merk (!) fristen.");
    CHECK (missed == sign_missed && flagged == sign_flagged,
           "disguise: an address with its signs bracketed, an ideographic full stop, or spoken dots"
           " after the sign");

    //  A backslash between digit groups reads as the slash does.
    int slash_missed = missed;
    char bs [64];
    must_catch ("Ring henne på 4123\\4567 i kveld.", false);
    must_catch ("Ring henne på 41\\23\\45\\67 i kveld.", false);
    snprintf (bs, sizeof bs, "Hun oppga %.6s\\%s i går.", fnr, fnr + 6);
    must_catch (bs, false);
    CHECK (missed == slash_missed, "disguise: digit groups joined by a backslash");

    //  Character references and percent-encoding standing for the digits
    //  or the signs of an identifier (attacker review, session 3).
    int ref_missed = missed, ref_flagged = flagged;
    char rbuf [96];
    must_catch ("Ring &#52;123 4567 i kveld.", false);
    must_catch ("Ring &#x34;1234567 i kveld.", false);
    must_catch ("Ring &#00000000052;123 4567 i kveld.", false);
    must_catch ("Ring &#x0000000034;123 4567 i kveld.", false);
    must_catch ("Ring &#X34;&#x31;23 45 67 i kveld.", false);
    must_catch ("Ring &#52;&#49;&#50;&#51;&#52;&#53;&#54;&#55; i kveld.", false);
    must_catch ("Ring 41%2023%2045%2067 i kveld.", false);
    must_catch ("Ring %34%31%32%33%34%35%36%37 i kveld.", false);
    must_catch ("Skriv til kt1985&commat;example.no i dag.", false);
    must_catch ("Skriv til kt1985&#64;example.no i dag.", false);
    must_catch ("Skriv til kt1985&#x40;example&period;no i dag.", false);
    must_catch ("Skriv til kt1985%40example.no i dag.", false);
    must_catch ("Skriv til kt1985%40example%2Eno i dag.", false);
    must_catch ("Vi møtte Kari Oppdikt&#101;t i går.", true);
    snprintf (rbuf, sizeof rbuf, "Hun oppga &#%d;%s i går.", fnr [0], fnr + 1);
    must_catch (rbuf, false);
    snprintf (rbuf, sizeof rbuf, "Hun oppga %.6s%%20%s i går.", fnr, fnr + 6);
    must_catch (rbuf, false);
    must_pass ("Hun har 50% stilling, og mannen jobber 100 %.");
    must_pass ("Det gjelder 20%-30% av sakene, og 45%/55% i fjor.");
    must_pass ("Hun er 50%ufør, og svarte 100%ig ja.");
    must_pass ("Vi har brukt R&D-midler; AT&T; og Q&A; var ikke med.");
    must_pass ("Risikoen økte med 12%, fra 3% til 15%.");
    CHECK (missed == ref_missed && flagged == ref_flagged,
           "disguise: HTML character references and percent-encoding read as what they stand for");

    //  A comma or semicolon between the digit groups of a number, and a
    //  comma for the dot of an address (attacker review, session 3).
    int comma_missed = missed;
    must_catch ("Ring henne på 412,34,567 i kveld.", false);
    must_catch ("Ring henne på 41,23,45,67 i kveld.", false);
    must_catch ("Ring henne på 4123;4567 i kveld.", false);
    must_catch ("Ring henne på 412;34;567 i kveld.", false);
    snprintf (rbuf, sizeof rbuf, "Hun oppga %.6s;%s i går.", fnr, fnr + 6);
    must_catch (rbuf, false);
    snprintf (rbuf, sizeof rbuf, "Hun oppga %.6s,%s i går.", fnr, fnr + 6);
    must_catch (rbuf, false);
    must_catch ("Skriv til kari@example,no i dag.", false);
    must_catch ("Skriv til kari@post,example,no i dag.", false);
    CHECK (missed == comma_missed,
           "disguise: digit groups joined by a comma or semicolon, an address with a comma for the dot");

    //  A bank account number identifies its holder (attacker review,
    //  session 3; numbers invented, valid check digits).
    int account_missed = missed;
    must_catch ("Pengene gikk til konto 1234.56.78903 i mars.", false);
    must_catch ("Pengene gikk til konto 1234 56 78903 i mars.", false);
    must_catch ("Pengene gikk til konto 12345678903 i mars.", false);
    must_catch ("Pengene gikk til konto &#50;090.10.04561 i mars.", false);
    must_catch ("Pengene gikk til konto 2090,10,04561 i mars.", false);
    CHECK (missed == account_missed, "disguise: a bank account number, plain or disguised");

    //  A known surname as the head of a compound naming the family or the
    //  case (attacker review, session 3).
    int compound_missed = missed, compound_flagged = flagged;
    must_catch ("Vi har kontakt med Kowalskafamilien nå.", true);
    must_catch ("Kowalskafamilien har flyttet.", true);
    must_catch ("Vi har kontakt med Testesenfamilien nå.", true);
    must_catch ("Vi drøfter Testesensaken i dag.", true);
    must_catch ("Vi drøfter Oppdiktetsaken i dag.", true);
    must_catch ("Vi drøfter Ødegårdsaken i dag.", true);
    must_catch ("Vi drøfter ØDEGÅRDFAMILIEN i dag.", true);
    must_catch ("Vi har besøkt Mirabellhjemmet.", true);
    must_pass ("Kjernefamilien og storfamilien er viktige for henne.");
    must_pass ("Voldssaken ble henlagt i fjor.");
    must_pass ("Barnevernssaken er avsluttet, og Fosterfamilien er informert.");
    must_pass ("Vi drøfter saken og familien i dag.");
    CHECK (missed == compound_missed && flagged == compound_flagged,
           "disguise: a known surname as the head of a family or case compound");

    //  A character reference encoded twice ("&amp;#52;" is "&#52;" once
    //  decoded, a '4' twice), as a page that escapes its input shows it
    //  (attacker review, session 4).
    int dref_missed = missed, dref_flagged = flagged;
    must_catch ("Ring &amp;#52;123 4567 i kveld.", false);
    must_catch ("Ring &amp;#x34;1234567 i kveld.", false);
    must_catch ("Ring &AMP;#52;123 4567 i kveld.", false);
    must_catch ("Skriv til kt1985&amp;commat;example.no i dag.", false);
    must_catch ("Skriv til kt1985&amp;#64;example&amp;period;no i dag.", false);
    must_catch ("Skriv til kt1985&amp;amp;#64;example.no i dag.", false);
    must_catch ("Ring 41%252023%252045%252067 i kveld.", false);
    must_catch ("Skriv til kt1985%2540example.no i dag.", false);
    must_pass ("Vi har brukt R&amp;D-midler, og Q&amp;A var nyttig.");
    must_pass ("Han skrev &amp; og &amp;amp; i stedet for og.");
    must_pass ("Rabatten var 25%, og 25% av sakene gjelder barn.");
    scan_finding_t df [4];
    size_t dn = scan2 ("Ring &amp;#52;123 4567 nå", df, 4, false);
    CHECK (missed == dref_missed && flagged == dref_flagged
        && dn == 1 && df [0].offset == 5 && df [0].length == 17,
           "disguise: a character reference or percent-encoding encoded twice");

    //  Percent-encoded UTF-8 of a non-ASCII character ("%C3%B8" for 'ø'),
    //  as an address bar shows it (attacker review, session 4).
    int pct_missed = missed, pct_flagged = flagged;
    must_catch ("Vi møtte Ingrid %C3%98deg%C3%A5rd i går.", true);
    must_catch ("Vi møtte Kari S%C3%B8rensen i går.", false);
    must_catch ("Vi snakket med K%D0%B0ri Oppdiktet i går.", true);
    must_catch ("Hun bor i Gr%C3%B8nnegata 12 nå.", false);
    must_catch ("Hun bor i %C3%98stre gate 12 nå.", false);
    must_catch ("Ring 4123%E2%80%8B4567 i kveld.", false);
    must_catch ("Ring %EF%BC%94123 4567 i kveld.", false);
    must_catch ("Vi møtte Ingrid %25C3%2598deg%25C3%25A5rd i går.", true);
    must_pass ("Skjemaet ligger på https://example.no/s%C3%B8knad%20om%20st%C3%B8tte i dag.");
    must_pass ("Hun svarte 100%C og 50%E, og %C3 alene er ingenting.");
    must_pass ("Bytene %C3%28 og %E2%82 er ikke tegn, heller ikke %C0%AF.");
    scan_finding_t pf [4];
    size_t pn = scan2 ("Vi møtte Kari S%C3%B8rensen i går.", pf, 4, false);
    CHECK (missed == pct_missed && flagged == pct_flagged
        && pn == 1 && pf [0].offset == 10 && pf [0].length == 18,
           "disguise: percent-encoded UTF-8 of a non-ASCII character");

    //  A comma and a space between the digit groups of an identifier
    //  (attacker review, session 4): joined only where the whole is an
    //  identifier beyond doubt (a fødselsnummer or account number with
    //  valid check digits, a phone grouped 3-2-3) and no list goes on.
    int cs_missed = missed, cs_flagged = flagged;
    snprintf (rbuf, sizeof rbuf, "Hun oppga %.6s, %s i går.", fnr, fnr + 6);
    must_catch (rbuf, false);
    snprintf (rbuf, sizeof rbuf, "Hun oppga %.2s, %.2s, %.2s, %s i går.", fnr, fnr + 2, fnr + 4, fnr + 6);
    must_catch (rbuf, false);
    must_catch ("Ring henne på 412, 34, 567 i kveld.", false);
    must_catch ("Ring henne på 912,  34,  567.", false);
    must_catch ("Pengene gikk til konto 1234, 56, 78903 i mars.", false);
    must_pass ("Vi møttes 12, 13 og 14. mai, og igjen 20, 21, 22.");
    must_pass ("Barna er 12, 10, 8 og 6 år, og hun har 3, 5 eller 7 timer.");
    must_pass ("Beløpene var 2300, 4500 og 6700 kroner, til sammen 13500, 00.");
    must_pass ("Rommene 41, 42, 43, 44 og 45 er ledige.");
    must_pass ("Rommene 412, 34, 567, 890 er ledige.");
    must_pass ("Hun betalte 412, 34, 567 og 890 kroner.");
    must_pass ("Tallene 123, 45, 678 og 2019, 2020 sier lite.");
    must_pass ("Sakene gjaldt 2019, 2020, 2021 og 2022.");
    must_pass ("Hun svarte 10, 20, 30, 40 og 50 ganger.");
    must_pass ("Postnumrene 4014, 4015 og 4016 hører til Stavanger.");
    must_pass ("Hun fikk 250, 30, 450 kroner.");
    CHECK (missed == cs_missed && flagged == cs_flagged,
           "disguise: digit groups joined by a comma and a space, lists of numbers pass");

    //  Two dots between digit groups, and a semicolon for the dot of an
    //  address's domain (attacker review, session 4).
    int dd_missed = missed, dd_flagged = flagged;
    must_catch ("Ring henne på 4123..4567 i kveld.", false);
    must_catch ("Ring henne på 41..23..45..67 i kveld.", false);
    must_catch ("Ring henne på 412..34..567 i kveld.", false);
    must_catch ("Ring henne på 4123\xe2\x80\xa6" "4567 i kveld.", false);
    snprintf (rbuf, sizeof rbuf, "Hun oppga %.6s..%s i går.", fnr, fnr + 6);
    must_catch (rbuf, false);
    must_catch ("Skriv til kari@example;no i dag.", false);
    must_catch ("Skriv til kari.oppdiktet@post;example;no i dag.", false);
    must_pass ("Klokka 10..12 er hun hjemme, og side 1..3 er lest.");
    must_pass ("Møtet er 20.30..22.45, og perioden 22.03..24.03 var rolig.");
    must_pass ("Det gjaldt årene 2019..2020, og hun ventet... 3 uker.");
    must_pass ("Hun skrev til meg@; no svar kom, og heller ikke fra dem@nav; da.");
    CHECK (missed == dd_missed && flagged == dd_flagged,
           "disguise: two dots between digit groups, a semicolon for the dot of an address");

    //  The same compounds in lower case (attacker review, session 4):
    //  counted when the head is no common word, as a lone known surname in
    //  lower case is.
    int lc_missed = missed, lc_flagged = flagged;
    must_catch ("vi har kontakt med kowalskafamilien nå.", true);
    must_catch ("Vi drøfter testesensaken i dag.", true);
    must_catch ("Vi drøfter kowalskasaken i dag.", true);
    must_catch ("Vi drøfter KOWALSKAFAMILIEN i dag.", true);
    must_catch ("Vi har besøkt mirabellhjemmet.", true);
    must_catch ("testesenfamilien har flyttet.", true);
    must_pass ("Vi drøfter voldssaken i dag, og voldsfamilien er kjent.");
    must_pass ("kjernefamilien og storfamilien er viktige for henne.");
    must_pass ("barnevernssaken er avsluttet, og fosterfamilien er informert.");
    must_pass ("Vi drøfter karisaken og bergfamilien i dag.");
    //  "oppdiktet" and "ødegård" are words too: in lower case no name
    must_pass ("Vi drøfter oppdiktetsaken og ødegårdsaken i dag.");
    CHECK (missed == lc_missed && flagged == lc_flagged,
           "disguise: a known surname as the head of a lower-case family or case compound");

    //  An identifier encoded in base64 (attacker review, session 4): a
    //  token of 11 or more base64 characters that decodes to text is
    //  scanned as that text, and a finding covers the token.
    int b64_missed = missed, b64_flagged = flagged;
    char plain [48], b64 [72], bline [160];
    must_catch ("Skriv til a3QxOTg1QGV4YW1wbGUubm8= i dag.", false);
    must_catch ("Notatet: UmluZyA0MTIzNDU2NyBpIGt2ZWxk", false);
    must_catch ("Notatet: VmkgbcO4dHRlIEthcmkgSGFuc2Vu.", false);
    must_catch ("Notatet (SHVuIGJvciBpIFN0b3JnYXRhIDEy) ble sendt.", false);
    must_catch ("Notatet: VmkgaGFyIHNuYWtrZXQgbWVkIEthcmkgT3BwZGlrdGV0", true);
    snprintf (plain, sizeof plain, "fnr %s", fnr);
    base64_of (plain, b64);
    snprintf (bline, sizeof bline, "Koden er %s i dag.", b64);
    must_catch (bline, false);
    base64_of (fnr, b64);           //  the number alone: 11 bytes, 16 characters
    snprintf (bline, sizeof bline, "Koden er %s i dag.", b64);
    must_catch (bline, false);
    must_catch ("Koden er a3QxOTg1QGV4YW1wbGUubm8 uten likhetstegn.", false);
    must_catch ("Ring NDEyMzQ1Njc= i kveld.", false);
    must_catch ("Koden: fnr=MDEwMTkwNDAwMzQ= og tlf=NDEyMzQ1Njc=.", false);
    must_catch ("Ring NDEyMzQ1Njc i kveld.", false);
    must_catch ("Se UmluZyA0MTIzNDU2NyBuw6U_Pz4= og a3QxOTg1QGV4YW1wbGUubm8gfn5-Pw==.", false);
    must_pass ("Se SGVpIHDDpSBkZWcsIGjDpXBlciBhbHQgZXIgYnJhIG1lZCBkZXJlLg== og bcO4dGUga2wgMTQgaSBtb3JnZW4_Pg==.");
    must_pass ("Barnevernstjenesten og Familievernkontoret har Voldsalarmordningen.");
    must_pass ("Sjekksummen er 3f2a9c0d1e4b5a6978c0d1e2f3a4b5c6, og nøkkelen AbCdEfGhIjKlMnOpQrSt.");
    must_pass ("Skjemaet ligger på https://example.no/skjema/soknad/om/stotte/2024/ny i dag.");
    must_pass ("Hun skrev abcdefghijklmnopqrstuvwxyz og ABCDEFGHIJKLMNOP0123456789+/ på tavla.");
    scan_finding_t bf [4];
    size_t bn = scan2 ("Skriv til a3QxOTg1QGV4YW1wbGUubm8= i dag.", bf, 4, false);
    CHECK (missed == b64_missed && flagged == b64_flagged
        && bn == 1 && bf [0].kind == SCAN_EMAIL && bf [0].offset == 10 && bf [0].length == 24,
           "disguise: an identifier encoded in base64");

    //  offsets are in the original text of the field the user wrote
    const char *zw = "Ring 412\xe2\x80\x8b" "34567 nå";
    scan_finding_t f [4];
    size_t n = scan2 (zw, f, 4, false);
    CHECK (n == 1 && f [0].field == 0 && f [0].offset == 5 && f [0].length == 11,
           "offsets: span in the original bytes, zero-width space included");
    const char *split = "Hun oppga 010190|40034 i går";
    char sbuf [64];
    snprintf (sbuf, sizeof sbuf, "Hun oppga %.6s|%s i går", fnr, fnr + 6);
    n = scan2 (sbuf, f, 4, false);
    CHECK (n == 2 && f [0].field == 0 && f [0].offset == 10 && f [0].length == 6
        && f [1].field == 1 && f [1].offset == 0 && f [1].length == 5,
           "offsets: a number split between fields is reported in each");
    (void) split;
    n = scan2 ("Ring &#52;123%204567 nå", f, 4, false);
    CHECK (n == 1 && f [0].offset == 5 && f [0].length == 15,
           "offsets: a character reference and a percent-encoded space reported over their bytes");
    const char *wide = "Tlf ４１２３４５６７.";
    n = scan2 (wide, f, 4, false);
    CHECK (n == 1 && f [0].offset == 4 && f [0].length == 24,
           "offsets: fullwidth digits reported over their original bytes");

    //  a known name and an unseen name of the same shape get the same answer
    scan_finding_t a [4], b [4];
    size_t na = scan2 ("Vi møtte Ingrid Ødegård.", a, 4, true);
    size_t nb = scan2 ("Vi møtte Ingrid Ødemark.", b, 4, true);
    CHECK (na == 1 && nb == 1 && a [0].kind == SCAN_NAME && b [0].kind == SCAN_NAME
        && a [0].offset == b [0].offset, "oracle: known and unseen full names answered alike");

    test_attack ();
    test_textnorm ();
    test_linear ();
    scan_known_destroy (&known);
    namelex_destroy (&lex);
    return TEST_DONE ();
}
