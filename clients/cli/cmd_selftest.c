/*  cmd_selftest — `samhand selftest`: checks of the CLI's pure parts (JSON
    writing and escaping, option parsing, enum lists, dates, names, the
    delivery and result JSON, terminal-safe printing). Prints PASS/FAIL
    lines in the tests/testlib.h format so tests/run.sh can count them;
    exit status 1 if any failed. The person in it is invented.           */
#include "cli.h"
#include <czmq.h>

static int s_passed, s_failed;

#define CHECK(cond, name)                                                    \
    do {                                                                     \
        if (cond) { s_passed++; printf ("PASS %s\n", (name)); }             \
        else { s_failed++;                                                   \
               printf ("FAIL %s (%s:%d)\n", (name), __FILE__, __LINE__); }  \
        fflush (stdout);                                                     \
    } while (0)

//  The JSON string literal of LEN bytes, compared with EXPECT.
static bool
s_escapes_to (const char *s, size_t len, const char *expect)
{
    json_t j;
    json_init (&j);
    json_escape (&j, s, len);
    bool ok = json_text (&j) && streq (json_text (&j), expect);
    if (!ok)
        fprintf (stderr, "got %s, want %s\n", json_text (&j)? json_text (&j): "(null)", expect);
    json_free (&j);
    return ok;
}

static void
test_json (void)
{
    CHECK (s_escapes_to ("plain", 5, "\"plain\""), "json: plain text is quoted");
    CHECK (s_escapes_to ("say \"hi\"\\", 9, "\"say \\\"hi\\\"\\\\\""),
           "json: quote and backslash are escaped");
    CHECK (s_escapes_to ("a\nb\tc\rd", 7, "\"a\\nb\\tc\\rd\""), "json: newline, tab, CR");
    CHECK (s_escapes_to ("\x01\x1f\x7f", 3, "\"\\u0001\\u001f\\u007f\""),
           "json: other control characters and DEL as \\u00XX");
    CHECK (s_escapes_to ("\x1b[31m", 5, "\"\\u001b[31m\""), "json: ESC is escaped");
    CHECK (s_escapes_to ("a\0b", 3, "\"a\\u0000b\""), "json: NUL inside a field is escaped");
    CHECK (s_escapes_to ("Bjørn Åsgård", strlen ("Bjørn Åsgård"), "\"Bjørn Åsgård\""),
           "json: valid UTF-8 passes through");
    CHECK (s_escapes_to ("\xF0\x9F\x98\x80", 4, "\"\xF0\x9F\x98\x80\""),
           "json: 4-byte UTF-8 passes through");
    CHECK (s_escapes_to ("a\xff" "b", 3, "\"a\\ufffdb\""), "json: a stray byte becomes U+FFFD");
    CHECK (s_escapes_to ("\xC3", 1, "\"\\ufffd\""), "json: a cut-off sequence becomes U+FFFD");
    CHECK (s_escapes_to ("\xC0\xAF", 2, "\"\\ufffd\\ufffd\""), "json: an overlong form is refused");
    CHECK (s_escapes_to ("\xED\xA0\x80", 3, "\"\\ufffd\\ufffd\\ufffd\""),
           "json: a UTF-16 surrogate is refused");
    CHECK (s_escapes_to ("\xE2\x80\xA8", 3, "\"\\u2028\""), "json: U+2028 is escaped");

    CHECK (json_utf8_valid ("Kari Testesen, Tromsø", strlen ("Kari Testesen, Tromsø")),
           "utf8: Norwegian text is valid");
    CHECK (!json_utf8_valid ("\xe6\xf8\xe5", 3), "utf8: Latin-1 bytes are not valid UTF-8");
    CHECK (!json_utf8_valid ("\xF4\x90\x80\x80", 4), "utf8: above U+10FFFF is refused");

    json_t j;
    json_init (&j);
    json_object_begin (&j, NULL);
    json_int (&j, "a", -1);
    json_array_begin (&j, "b");
    json_uint (&j, NULL, 1);
    json_str (&j, NULL, "x");
    json_array_end (&j);
    json_object_begin (&j, "c");
    json_bool (&j, "d", true);
    json_str_opt (&j, "empty", "");
    json_str_opt (&j, "null", NULL);
    json_object_end (&j);
    json_array_begin (&j, "e");
    json_array_end (&j);
    uint8_t bytes [] = { 0x00, 0xab, 0xff };
    json_hex (&j, "f", bytes, 3);
    json_object_end (&j);
    const char *text = json_text (&j);
    CHECK (text && streq (text, "{\"a\":-1,\"b\":[1,\"x\"],\"c\":{\"d\":true},\"e\":[],"
                                "\"f\":\"00abff\"}"),
           "json: nesting, commas, empty fields omitted, hex");
    json_free (&j);

    json_init (&j);
    for (int i = 0; i < JSON_MAX_DEPTH + 2; i++)
        json_array_begin (&j, NULL);
    CHECK (json_text (&j) == NULL, "json: too deep nesting fails instead of overflowing");
    json_free (&j);
}

static const opt_spec_t test_opts [] = {
    { "text", 0, OPT_VALUE },
    { "factor", 0, OPT_LIST },
    { "children", 0, OPT_FLAG },
    { "config", 'c', OPT_VALUE },
    { NULL, 0, OPT_FLAG }
};

static int
s_parse (opts_t *opts, char *err, size_t errlen, int argc, ...)
{
    char *argv [16];
    va_list args;
    va_start (args, argc);
    for (int i = 0; i < argc && i < 16; i++)
        argv [i] = va_arg (args, char *);
    va_end (args);
    const opt_spec_t *const tables [] = { test_opts, NULL };
    return opts_parse (opts, tables, argc, argv, err, errlen);
}

static void
test_opts_parse (void)
{
    opts_t opts;
    char err [256];
    int rc = s_parse (&opts, err, sizeof err, 8, "--text", "hello world", "--factor", "a",
                      "--factor=b", "--children", "-c", "x.cfg");
    const char *factors [4];
    size_t n = opts_all (&opts, "factor", factors, 4);
    CHECK (rc == 0 && streq (opts_get (&opts, "text"), "hello world")
           && n == 2 && streq (factors [0], "a") && streq (factors [1], "b")
           && opts_has (&opts, "children") && streq (opts_get (&opts, "config"), "x.cfg"),
           "opts: values, --name=value, repeated list, flag, short option");
    CHECK (s_parse (&opts, err, sizeof err, 1, "--punch") == -1 && strstr (err, "--punch"),
           "opts: an unknown option is named in the error");
    CHECK (s_parse (&opts, err, sizeof err, 1, "--text") == -1 && strstr (err, "needs a value"),
           "opts: a missing value is an error");
    CHECK (s_parse (&opts, err, sizeof err, 4, "--text", "a", "--text", "b") == -1
           && strstr (err, "twice"), "opts: a single-value option given twice is an error");
    CHECK (s_parse (&opts, err, sizeof err, 1, "--children=yes") == -1,
           "opts: a flag with a value is an error");
    rc = s_parse (&opts, err, sizeof err, 4, "grant", "--", "--text", "-");
    CHECK (rc == 0 && opts.n_pos == 3 && streq (opts.pos [1], "--text")
           && streq (opts.pos [2], "-") && !opts_has (&opts, "text"),
           "opts: words after -- and a lone - are positional");
}

static void
test_enum_lists (void)
{
    int values [8];
    char err [256];
    int n = opts_enum_list ("physical,sexual", samhand_violence_from_name, "--violence",
                            values, 8, err, sizeof err);
    CHECK (n == 2 && values [0] == SAMHAND__V1__VIOLENCE__PHYSICAL
           && values [1] == SAMHAND__V1__VIOLENCE__SEXUAL, "enum list: two values in order");
    n = opts_enum_list (" physical , negative_social_control ", samhand_violence_from_name,
                        "--violence", values, 8, err, sizeof err);
    CHECK (n == 2 && values [1] == SAMHAND__V1__VIOLENCE__NEGATIVE_SOCIAL_CONTROL,
           "enum list: spaces around items are ignored");
    n = opts_enum_list ("physical,physical", samhand_violence_from_name, "--violence",
                        values, 8, err, sizeof err);
    CHECK (n == 1, "enum list: duplicates are dropped");
    n = opts_enum_list ("physical,punching", samhand_violence_from_name, "--violence",
                        values, 8, err, sizeof err);
    CHECK (n == -1 && strstr (err, "punching") && strstr (err, "--violence"),
           "enum list: an unknown word is refused and named");
    CHECK (opts_enum_list ("physical,,sexual", samhand_violence_from_name, "--violence",
                           values, 8, err, sizeof err) == -1,
           "enum list: an empty item is refused");
    CHECK (opts_enum_list ("", samhand_violence_from_name, "--violence",
                           values, 8, err, sizeof err) == -1,
           "enum list: an empty list is refused");
    CHECK (opts_enum_list ("unspecified", samhand_violence_from_name, "--violence",
                           values, 8, err, sizeof err) == -1
           && opts_enum_list ("0", samhand_violence_from_name, "--violence",
                              values, 8, err, sizeof err) == -1,
           "enum list: the unspecified value cannot be typed");
    n = opts_enum_list ("police-risk,tryggest", samhand_agency_from_name, "--to",
                        values, 8, err, sizeof err);
    CHECK (n == 2 && values [0] == SAMHAND__V1__AGENCY__POLICE_RISK,
           "enum list: police-risk is read as police_risk");
    CHECK (opts_enum_list ("Physical", samhand_violence_from_name, "--violence",
                           values, 8, err, sizeof err) == -1,
           "enum list: names are exact (lowercase)");
    n = opts_enum_list ("physical,psychological,sexual", samhand_violence_from_name, "--v",
                        values, 2, err, sizeof err);
    CHECK (n == -1 && strstr (err, "too many"), "enum list: the output bound is kept");
    CHECK (opts_enum ("urgent,acute", samhand_urgency_from_name, "--urgency", err,
                      sizeof err) == -1, "enum: one value only");
    CHECK (opts_enum ("other", samhand_measure_from_name, "--measure", err, sizeof err)
           == SAMHAND__V1__MEASURE__OTHER_MEASURE, "enum: measure 'other' is OTHER_MEASURE (15)");
    CHECK (opts_enum ("risk_level", samhand_data_class_from_name, "--classes", err, sizeof err)
           == SAMHAND__V1__DATA_CLASS__RISK_LEVEL_CLASS, "enum: class 'risk_level'");
    CHECK (opts_enum ("avert", samhand_basis_from_name, "--basis", err, sizeof err)
           == SAMHAND__V1__BASIS__BASIS_AVERT, "enum: basis 'avert'");
    char buf [64];
    char *words [4];
    n = opts_word_list ("follow_up, safety_planning", buf, sizeof buf, words, 4);
    CHECK (n == 2 && streq (words [0], "follow_up") && streq (words [1], "safety_planning"),
           "word list: split and trimmed");
    CHECK (opts_word_list ("a,,b", buf, sizeof buf, words, 4) == -1,
           "word list: an empty item is refused");
}

static void
test_names (void)
{
    bool ok = true;
    for (int v = 1; v <= 6; v++)
        ok = ok && samhand_kind_from_name (samhand_kind_name (v)) == v;
    for (int v = 1; v <= 4; v++)
        ok = ok && samhand_agency_from_name (samhand_agency_name (v)) == v
                && samhand_view_from_name (samhand_view_name (v)) == v;
    for (int v = 1; v <= 10; v++)
        ok = ok && samhand_violence_from_name (samhand_violence_name (v)) == v;
    for (int v = 1; v <= 7; v++)
        ok = ok && samhand_data_class_from_name (samhand_data_class_name (v)) == v
                && samhand_measure_from_name (samhand_measure_name (v)) == v;
    CHECK (ok, "names: every name maps back to its value");
    CHECK (streq (samhand_kind_name (0), "") && streq (samhand_kind_name (99), "unknown")
           && streq (samhand_measure_name (9), "unknown"),
           "names: 0 is empty, out of range is 'unknown'");
    CHECK (streq (samhand_error_code_name (SAMHAND__V1__ERROR_CODE__IDENTIFIER_FOUND),
                  "IDENTIFIER_FOUND"), "names: error codes by their proto names");
}

static void
test_dates_numbers (void)
{
    CHECK (opts_date_valid ("2024-02-29"), "date: 29 February in a leap year");
    CHECK (!opts_date_valid ("2023-02-29"), "date: no 29 February in 2023");
    CHECK (!opts_date_valid ("2000-13-01") && !opts_date_valid ("2000-04-31")
           && !opts_date_valid ("2000-1-01") && !opts_date_valid ("2000-01-01x")
           && !opts_date_valid ("") && !opts_date_valid ("01.01.2000"),
           "date: wrong months, days and forms are refused");
    int64_t a = opts_date_to_unix ("2030-06-30", 0);
    int64_t b = opts_date_to_unix ("2030-06-30", 1);
    CHECK (a > 0 && b - a >= 23 * 3600 && b - a <= 25 * 3600,
           "date: the day after starts about 24 h later");
    CHECK (opts_number ("42", 100) == 42 && opts_number ("-1", 100) == -1
           && opts_number ("4x", 100) == -1 && opts_number ("101", 100) == -1
           && opts_number ("", 100) == -1, "number: whole, in range, nothing else");
}

static void
test_delivery_json (void)
{
    //  An invented person and an invented message.
    Samhand__V1__Deliver d = SAMHAND__V1__DELIVER__INIT;
    Samhand__V1__ConcernReport c = SAMHAND__V1__CONCERN_REPORT__INIT;
    Samhand__V1__Subject s = SAMHAND__V1__SUBJECT__INIT;
    Samhand__V1__Violence violence [] = { SAMHAND__V1__VIOLENCE__PHYSICAL };
    uint8_t id [16] = { 0x3f, 0x2a };
    s.name = "Kari Testesen";
    c.subject = &s;
    c.text = "Invented \"test\" text";
    c.urgency = SAMHAND__V1__URGENCY__URGENT;
    c.violence = violence;
    c.n_violence = 1;
    d.delivery_id = 17;
    d.message_id.data = id;
    d.message_id.len = 16;
    d.sender_node = "vakt";
    d.sender_agency = SAMHAND__V1__AGENCY__RESOURCE_CENTRE;
    d.kind = SAMHAND__V1__KIND__CONCERN_REPORT;
    d.view = SAMHAND__V1__VIEW__IDENTIFIED;
    d.rule = "FVL13A1-CONSENT";
    d.attempt = 1;
    d.body_case = SAMHAND__V1__DELIVER__BODY_CONCERN;
    d.concern = &c;
    json_t j;
    json_init (&j);
    cli_delivery_json (&j, &d);
    const char *text = json_text (&j);
    CHECK (text && strncmp (text, "{\"delivery_id\":17,\"message_id\":\"3f2a0000", 40) == 0,
           "delivery json: id and hex message id first");
    CHECK (text && strstr (text, "\"subject\":{\"name\":\"Kari Testesen\"}"),
           "delivery json: subject has only its non-empty fields");
    CHECK (text && strstr (text, "\"acute\":false") && strstr (text, "\"attempt\":1")
           && strstr (text, "\"sender_agency\":\"resource_centre\""),
           "delivery json: acute, attempt and sender agency always there");
    CHECK (text && !strstr (text, "children_involved") && !strstr (text, "legal_basis")
           && !strstr (text, "case_ref") && strstr (text, "\"subject_informed\":false"),
           "delivery json: empty fields omitted; subject_informed kept when false");
    CHECK (text && strstr (text, "\"violence\":[\"physical\"]")
           && strstr (text, "\"text\":\"Invented \\\"test\\\" text\""),
           "delivery json: lists and escaped text");
    json_free (&j);

    Samhand__V1__Alert alert = SAMHAND__V1__ALERT__INIT;
    samhand__v1__deliver__init (&d);
    alert.type = "escalation";
    alert.acute = true;
    d.kind = SAMHAND__V1__KIND__ALERT;
    d.body_case = SAMHAND__V1__DELIVER__BODY_ALERT;
    d.alert = &alert;
    json_init (&j);
    cli_delivery_json (&j, &d);
    text = json_text (&j);
    CHECK (text && strstr (text, "\"alert\":{\"type\":\"escalation\",\"acute\":true}")
           && !strstr (text, "sender_node"), "delivery json: an alert is nested");
    json_free (&j);
}

static void
test_submit_json (void)
{
    Samhand__V1__Frame frame = SAMHAND__V1__FRAME__INIT;
    Samhand__V1__SubmitResult result = SAMHAND__V1__SUBMIT_RESULT__INIT;
    Samhand__V1__AgencyDecision decision = SAMHAND__V1__AGENCY_DECISION__INIT;
    Samhand__V1__AgencyDecision *decisions [] = { &decision };
    uint8_t id [16] = { 0xaa };
    decision.agency = SAMHAND__V1__AGENCY__POLICE_RISK;
    decision.view = SAMHAND__V1__VIEW__PSEUDONYMISED;
    decision.rule = "FVL13-PSEUDONYMISED";
    decision.reason = "no consent in scope";
    decision.nodes = 1;
    result.accepted = true;
    result.message_id.data = id;
    result.message_id.len = 16;
    result.decisions = decisions;
    result.n_decisions = 1;
    frame.command_case = SAMHAND__V1__FRAME__COMMAND_SUBMIT_RESULT;
    frame.submit_result = &result;
    json_t j;
    json_init (&j);
    cli_submit_json (&j, &frame, "concern_report");
    const char *text = json_text (&j);
    CHECK (text && streq (text, "{\"message_id\":\"aa000000000000000000000000000000\","
                                "\"kind\":\"concern_report\",\"accepted\":true,"
                                "\"duplicate\":false,\"decisions\":[{\"agency\":\"police_risk\","
                                "\"view\":\"pseudonymised\",\"rule\":\"FVL13-PSEUDONYMISED\","
                                "\"legal_basis\":\"\",\"reason\":\"no consent in scope\","
                                "\"nodes\":1}]}"),
           "submit json: the documented shape");
    json_free (&j);

    Samhand__V1__Error error = SAMHAND__V1__ERROR__INIT;
    Samhand__V1__Finding finding = SAMHAND__V1__FINDING__INIT;
    Samhand__V1__Finding *findings [] = { &finding };
    finding.kind = "national_id";
    finding.field = "text";
    finding.offset = 12;
    finding.length = 11;
    error.code = SAMHAND__V1__ERROR_CODE__IDENTIFIER_FOUND;
    error.text = "the text contains an identifier";
    error.findings = findings;
    error.n_findings = 1;
    frame.command_case = SAMHAND__V1__FRAME__COMMAND_ERROR;
    frame.error = &error;
    json_init (&j);
    cli_submit_json (&j, &frame, "case_discussion");
    text = json_text (&j);
    CHECK (text && strstr (text, "\"accepted\":false")
           && strstr (text, "\"code\":\"IDENTIFIER_FOUND\"")
           && strstr (text, "{\"kind\":\"national_id\",\"field\":\"text\",\"offset\":12,"
                            "\"length\":11}"),
           "submit json: a refusal carries code and finding positions");
    json_free (&j);
}

static void
test_safe_print (void)
{
    char *buf = NULL;
    size_t size = 0;
    FILE *out = open_memstream (&buf, &size);
    if (!out) {
        CHECK (false, "safe print: memstream");
        return;
    }
    cli_print_safe (out, "a\x1b[2Jb\x07\xc2\x9b" "c\nd\tø", "  ");
    fclose (out);
    CHECK (buf && streq (buf, "a?[2Jb??c\n  d\tø"),
           "safe print: ESC, BEL and C1 controls are neutralised, newlines indented");
    free (buf);
}

static void
test_library_helpers (void)
{
    uint8_t a [16], b [16];
    samhand_random_message_id (a);
    samhand_random_message_id (b);
    CHECK (memcmp (a, b, 16) != 0, "message ids: two draws differ");
    char hex [33];
    uint8_t bytes [] = { 0x01, 0xfe };
    CHECK (streq (samhand_hex (bytes, 2, hex), "01fe"), "hex: lowercase, two digits a byte");
    CHECK (cli_name_valid ("politi-risk") && !cli_name_valid ("../etc")
           && !cli_name_valid ("") && !cli_name_valid ("a b") && !cli_name_valid ("-x"),
           "node names: letters, digits, - and _ only");
}

static void
test_ids_and_times (void)
{
    uint8_t id [16];
    CHECK (opts_hex ("D121A4CB8DEBBB2D904237F73D8038ab", id, 16) == 0
           && id [0] == 0xd1 && id [1] == 0x21 && id [15] == 0xab,
           "hex id: 32 digits, either case");
    CHECK (opts_hex ("d121a4cb8debbb2d904237f73d8038a", id, 16) == -1
           && opts_hex ("d121a4cb8debbb2d904237f73d8038abc", id, 16) == -1
           && opts_hex ("g121a4cb8debbb2d904237f73d8038ab", id, 16) == -1
           && opts_hex ("d121a4cb-debbb2d904237f73d8038ab", id, 16) == -1
           && opts_hex ("", id, 16) == -1 && opts_hex (NULL, id, 16) == -1,
           "hex id: wrong length or a non-hex digit is refused");
    CHECK (opts_time_to_unix ("2030-05-01T12:00:00Z", false) == 1903867200
           && opts_time_to_unix ("2030-05-01T12:34:56Z", false) == 1903869296
           && opts_time_to_unix ("2030-05-01 12:00Z", true) == 1903867200,
           "time: UTC with Z, with or without seconds, T or space");
    int64_t day = opts_time_to_unix ("2030-05-01", false);
    int64_t end = opts_time_to_unix ("2030-05-01", true);
    int64_t noon = opts_time_to_unix ("2030-05-01T12:00", false);
    CHECK (day > 0 && end - day >= 23 * 3600 && end - day <= 25 * 3600
           && noon - day >= 11 * 3600 && noon - day <= 13 * 3600,
           "time: a date is its local midnight, or the next one at the end of the day");
    CHECK (opts_time_to_unix ("2030-05-01T24:00", false) == -1
           && opts_time_to_unix ("2030-05-01T12:60", false) == -1
           && opts_time_to_unix ("2030-05-01T12", false) == -1
           && opts_time_to_unix ("2030-02-30T10:00", false) == -1
           && opts_time_to_unix ("2030-05-01X12:00", false) == -1
           && opts_time_to_unix ("2030-05-01T12:00:00+02", false) == -1
           && opts_time_to_unix ("yesterday", false) == -1
           && opts_time_to_unix ("", false) == -1,
           "time: impossible hours, days and other forms are refused");
    char when [32];
    CHECK (streq (cli_time_iso (1903869296000, when, sizeof when), "2030-05-01T12:34:56Z")
           && streq (cli_time_iso (0, when, sizeof when), ""),
           "time: ISO 8601 UTC from milliseconds; 0 is empty");
    CHECK (streq (cli_time_local (0, CLI_TIME_FORMAT, when, sizeof when), "")
           && strlen (cli_time_local (1903869296000, CLI_TIME_FORMAT, when, sizeof when)) == 16,
           "time: local time for people, 0 is empty");
}

static void
test_text_head (void)
{
    char out [256];
    CHECK (streq (cli_text_head ("  Short text\n", 60, out, sizeof out), "Short text"),
           "head: a short text is kept, trimmed");
    CHECK (streq (cli_text_head ("a\n\n b\t\tc", 60, out, sizeof out), "a b c"),
           "head: runs of white space and newlines become one space");
    CHECK (streq (cli_text_head ("0123456789 0123456789", 10, out, sizeof out),
                  "0123456789..."), "head: cut after MAX characters, with ...");
    CHECK (streq (cli_text_head ("0123456789   \n", 10, out, sizeof out), "0123456789"),
           "head: trailing white space is not a cut");
    char norwegian [200] = "";
    for (int i = 0; i < 70; i++)
        strcat (norwegian, "ø");
    cli_text_head (norwegian, 60, out, sizeof out);
    CHECK (strlen (out) == 60 * 2 + 3 && json_utf8_valid (out, strlen (out)),
           "head: counts characters, not bytes (60 x ø)");
    cli_text_head (norwegian, 60, out, 10);
    CHECK (json_utf8_valid (out, strlen (out)) && strlen (out) < 10
           && strstr (out, "..."), "head: a small buffer never splits a character");
    CHECK (streq (cli_text_head (NULL, 60, out, sizeof out), ""), "head: NULL is empty");
    CHECK (streq (cli_text_head ("Dr \x1b]0;x\x07 \x1b[8mNavn\xc2\x9b" "2J\x7f", 60, out, sizeof out),
                  "Dr ?]0;x? ?[8mNavn?2J?"),
           "head: ESC, BEL, DEL and C1 controls become '?' (printed as they are)");
    CHECK (streq (cli_text_head ("\x1b\x1b\x1b\x1b", 2, out, sizeof out), "??..."),
           "head: a control counts as one character");
}

static void
test_summary (void)
{
    //  Invented content.
    char out [512];
    Samhand__V1__Deliver d = SAMHAND__V1__DELIVER__INIT;
    Samhand__V1__ConcernReport c = SAMHAND__V1__CONCERN_REPORT__INIT;
    c.case_ref = "TE-AAAA-BBBB-CCCC";
    c.urgency = SAMHAND__V1__URGENCY__ACUTE;
    c.text = "Invented: she called the duty phone\nat night, afraid of her partner, and "
             "asked for a crisis bed for tonight.";
    d.body_case = SAMHAND__V1__DELIVER__BODY_CONCERN;
    d.concern = &c;
    cli_delivery_summary (&d, out, sizeof out);
    CHECK (streq (out, "TE-AAAA-BBBB-CCCC acute: Invented: she called the duty phone at night, "
                       "afraid of her..."), "summary: concern = case ref, urgency, 60 chars");
    Samhand__V1__RiskChange r = SAMHAND__V1__RISK_CHANGE__INIT;
    r.case_ref = "PR-AAAA-BBBB-CCCC";
    r.level = SAMHAND__V1__RISK_LEVEL__HIGH;
    r.imminent = true;
    d.body_case = SAMHAND__V1__DELIVER__BODY_RISK_CHANGE;
    d.risk_change = &r;
    CHECK (streq (cli_delivery_summary (&d, out, sizeof out),
                  "PR-AAAA-BBBB-CCCC risk high, imminent"), "summary: risk = case ref, level");
    Samhand__V1__Alert a = SAMHAND__V1__ALERT__INIT;
    a.type = "escalation";
    a.text = "ACUTE concern not read";
    d.body_case = SAMHAND__V1__DELIVER__BODY_ALERT;
    d.alert = &a;
    CHECK (streq (cli_delivery_summary (&d, out, sizeof out),
                  "escalation: ACUTE concern not read"), "summary: alert = type and text");
    d.body_case = SAMHAND__V1__DELIVER__BODY__NOT_SET;
    d.view = SAMHAND__V1__VIEW__WITHHELD;
    CHECK (streq (cli_delivery_summary (&d, out, sizeof out),
                  "(content withheld from your agency)"), "summary: withheld says so");
    cli_delivery_summary (&d, out, 8);
    CHECK (strlen (out) == 7, "summary: the output bound is kept");
}

static void
test_status_json (void)
{
    Samhand__V1__StatusReport r = SAMHAND__V1__STATUS_REPORT__INIT;
    Samhand__V1__NodeStatus n = SAMHAND__V1__NODE_STATUS__INIT;
    Samhand__V1__NodeStatus *nodes [] = { &n };
    uint8_t id [16] = { 0xd1, 0x21 };
    r.message_id.data = id;
    r.message_id.len = 16;
    r.kind = SAMHAND__V1__KIND__CONCERN_REPORT;
    r.state = "delivered";
    r.submitted_at = 1903869296000;
    r.nodes = nodes;
    r.n_nodes = 1;
    n.node = "tryggest";
    n.agency = SAMHAND__V1__AGENCY__TRYGGEST;
    n.view = SAMHAND__V1__VIEW__PSEUDONYMISED;
    n.state = "received";
    n.attempts = 1;
    n.delivery_id = 2;
    n.sent_at = 1903869296000;
    n.received_at = 1903869297000;
    json_t j;
    json_init (&j);
    cli_status_json (&j, &r, NULL);
    CHECK (json_text (&j) && streq (json_text (&j),
           "{\"message_id\":\"d1210000000000000000000000000000\",\"kind\":\"concern_report\","
           "\"state\":\"delivered\",\"submitted_at\":\"2030-05-01T12:34:56Z\",\"nodes\":["
           "{\"node\":\"tryggest\",\"agency\":\"tryggest\",\"view\":\"pseudonymised\","
           "\"state\":\"received\",\"attempts\":1,\"delivery_id\":2,"
           "\"sent_at\":\"2030-05-01T12:34:56Z\",\"received_at\":\"2030-05-01T12:34:57Z\"}]}"),
           "status json: the documented shape, zero times left out");
    json_free (&j);
    json_init (&j);
    cli_status_json (&j, &r, "status");
    CHECK (json_text (&j) && strncmp (json_text (&j), "{\"type\":\"status\",\"message_id\":", 30)
           == 0, "status json: listen's lines start with \"type\":\"status\"");
    json_free (&j);

    char *buf = NULL;
    size_t size = 0;
    FILE *out = open_memstream (&buf, &size);
    if (!out) {
        CHECK (false, "status text: memstream");
        return;
    }
    n.node = "tryg\x1b[2Jgest";
    cli_status_text (out, &r);
    cli_status_line (out, &r);
    fclose (out);
    CHECK (buf && strstr (buf, "state      delivered: ") && strstr (buf, "NODE ")
           && strstr (buf, "tryg?[2Jgest  ") && !strchr (buf, '\x1b')
           && strstr (buf, "status  concern_report d1210000000000000000000000000000  delivered"
                           "  (tryg?[2Jgest received)"),
           "status text: table and line, control characters neutralised");
    free (buf);
}

static void
test_inbox_text (void)
{
    //  Invented content.
    Samhand__V1__Deliver routine = SAMHAND__V1__DELIVER__INIT, acute = SAMHAND__V1__DELIVER__INIT;
    Samhand__V1__CaseDiscussion talk = SAMHAND__V1__CASE_DISCUSSION__INIT;
    talk.text = "A woman in her 30s\nasks for advice";
    routine.delivery_id = 7;
    routine.kind = SAMHAND__V1__KIND__CASE_DISCUSSION;
    routine.sender_node = "vakt";
    routine.sender_agency = SAMHAND__V1__AGENCY__RESOURCE_CENTRE;
    routine.view = SAMHAND__V1__VIEW__ANONYMISED;
    routine.body_case = SAMHAND__V1__DELIVER__BODY_DISCUSSION;
    routine.discussion = &talk;
    acute = routine;
    acute.delivery_id = 9;
    acute.acute = true;
    Samhand__V1__Deliver *items [] = { &routine, &acute };
    char *buf = NULL;
    size_t size = 0;
    FILE *out = open_memstream (&buf, &size);
    if (!out) {
        CHECK (false, "inbox text: memstream");
        return;
    }
    cli_inbox_text (out, items, NULL, 2, false);
    fclose (out);
    const char *acute_row = buf? strstr (buf, "ACUTE  9 "): NULL;
    const char *other_row = buf? strstr (buf, "       7 "): NULL;
    CHECK (buf && strncmp (buf, "ACUTE - 1 unread", 16) == 0 && acute_row && other_row
           && acute_row < other_row && strstr (buf, "1 other:")
           && strstr (buf, "vakt (resource_centre)  anonymised  A woman in her 30s asks for "
                           "advice\n") && !strchr (buf, '\x1b'),
           "inbox text: acute set apart and first, one line per item, no colour off a tty");
    free (buf);

    bool read [] = { false, true };
    buf = NULL;
    out = open_memstream (&buf, &size);
    if (!out) {
        CHECK (false, "inbox text: memstream");
        return;
    }
    cli_inbox_text (out, items, read, 2, true);
    cli_inbox_text (out, items, NULL, 0, true);
    fclose (out);
    CHECK (buf && !strstr (buf, "ACUTE - ") && strstr (buf, "read  9 ")
           && strstr (buf, "Nothing waiting."),
           "inbox text: an acute item already read is not in the act-now section");
    free (buf);

    json_t j;
    json_init (&j);
    cli_inbox_item_json (&j, &acute, true);
    CHECK (json_text (&j) && strncmp (json_text (&j), "{\"delivery_id\":9,", 17) == 0
           && strstr (json_text (&j), "\"acute\":true") && strstr (json_text (&j), ",\"read\":true}"),
           "inbox json: a delivery object, read items marked");
    json_free (&j);
}

static void
test_audit_and_dead_json (void)
{
    Samhand__V1__AuditEntry e = SAMHAND__V1__AUDIT_ENTRY__INIT;
    uint8_t id [16] = { 0xab }, hash [32] = { 0x01, 0x02 };
    e.seq = 42;
    e.ts_ms = 1903869296000;
    e.event = "delivered";
    e.sender = "vakt";
    e.node = "politi-risk";
    e.agency = SAMHAND__V1__AGENCY__POLICE_RISK;
    e.view = SAMHAND__V1__VIEW__PSEUDONYMISED;
    e.rule = "FVL13-PSEUDONYMISED";
    e.legal_basis = "";
    e.message_id.data = id;
    e.message_id.len = 16;
    e.detail = "delivery 3";
    e.hash.data = hash;
    e.hash.len = 32;
    json_t j;
    json_init (&j);
    cli_audit_json (&j, &e, false);
    CHECK (json_text (&j) && streq (json_text (&j),
           "{\"seq\":42,\"time\":\"2030-05-01T12:34:56Z\",\"event\":\"delivered\","
           "\"node\":\"politi-risk\",\"agency\":\"police_risk\",\"view\":\"pseudonymised\","
           "\"rule\":\"FVL13-PSEUDONYMISED\",\"message_id\":\"ab000000000000000000000000000000\","
           "\"detail\":\"delivery 3\"}"),
           "audit json: who-received shape, empty legal basis left out, no chain fields");
    json_free (&j);
    json_init (&j);
    cli_audit_json (&j, &e, true);
    CHECK (json_text (&j) && strstr (json_text (&j), "\"event\":\"delivered\",\"sender\":\"vakt\",")
           && strstr (json_text (&j), ",\"hash\":\"0102000000000000000000000000000000000000"
                                      "000000000000000000000000\"}"),
           "audit json: export adds sender and hash");
    json_free (&j);

    Samhand__V1__DeadLetter l = SAMHAND__V1__DEAD_LETTER__INIT;
    l.delivery_id = 40;
    l.message_id.data = id;
    l.message_id.len = 16;
    l.node = "politi-risk";
    l.kind = SAMHAND__V1__KIND__CONCERN_REPORT;
    l.attempts = 10;
    l.sender_node = "vakt";
    l.submitted_at = 1903869296000;
    json_init (&j);
    cli_dead_letter_json (&j, &l);
    CHECK (json_text (&j) && streq (json_text (&j),
           "{\"delivery_id\":40,\"message_id\":\"ab000000000000000000000000000000\","
           "\"node\":\"politi-risk\",\"kind\":\"concern_report\",\"attempts\":10,"
           "\"sender\":\"vakt\",\"submitted_at\":\"2030-05-01T12:34:56Z\"}"),
           "dead letter json: the documented shape");
    json_free (&j);

    Samhand__V1__DeadLetter *list [] = { &l };
    Samhand__V1__AuditEntry *entries [] = { &e };
    char *buf = NULL;
    size_t size = 0;
    FILE *out = open_memstream (&buf, &size);
    if (!out) {
        CHECK (false, "audit text: memstream");
        return;
    }
    cli_dead_letters_text (out, list, 1);
    cli_audit_text (out, entries, 1);
    fclose (out);
    CHECK (buf && strstr (buf, "DELIVERY  NODE         KIND            TRIES  SENDER  SUBMITTED\n"
                               "40        politi-risk  concern_report  10     vakt    ")
           && strstr (buf, "EVENT      NODE         AGENCY       VIEW           RULE")
           && strstr (buf, "  FVL13-PSEUDONYMISED  -\n"),
           "tables: aligned columns, '-' for an empty cell");
    free (buf);
}

static void
test_submit_case_ref (void)
{
    Samhand__V1__Frame frame = SAMHAND__V1__FRAME__INIT;
    Samhand__V1__SubmitResult result = SAMHAND__V1__SUBMIT_RESULT__INIT;
    uint8_t id [16] = { 0xaa };
    result.accepted = true;
    result.message_id.data = id;
    result.message_id.len = 16;
    result.case_ref = "RC-7KQ4-M2XD-9FHA";
    frame.command_case = SAMHAND__V1__FRAME__COMMAND_SUBMIT_RESULT;
    frame.submit_result = &result;
    json_t j;
    json_init (&j);
    cli_submit_json (&j, &frame, "concern_report");
    CHECK (json_text (&j) && strstr (json_text (&j),
                                     "\"duplicate\":false,\"case_ref\":\"RC-7KQ4-M2XD-9FHA\","),
           "submit json: case_ref when the broker set one");
    json_free (&j);
}

int
cmd_selftest (cli_t *cli, int argc, char **argv)
{
    (void) cli;
    if (argc > 0 && (streq (argv [0], "--help") || streq (argv [0], "-h"))) {
        printf ("samhand selftest - check this program's own parts (no broker needed).\n"
                "Prints PASS/FAIL lines; exit status 1 if anything failed.\n");
        return EXIT_OK;
    }
    test_json ();
    test_opts_parse ();
    test_enum_lists ();
    test_names ();
    test_dates_numbers ();
    test_delivery_json ();
    test_submit_json ();
    test_safe_print ();
    test_library_helpers ();
    test_ids_and_times ();
    test_text_head ();
    test_summary ();
    test_status_json ();
    test_inbox_text ();
    test_audit_and_dead_json ();
    test_submit_case_ref ();
    printf ("selftest: %d passed, %d failed\n", s_passed, s_failed);
    return s_failed? EXIT_FAILED: EXIT_OK;
}
