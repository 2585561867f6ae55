/*  cmd_audit — audit verify / who-received / export (admin nodes): the
    hash-chained audit log, asked through the broker (AuditQuery). Every
    query is itself recorded in the log by the broker.                    */
#include "cli.h"
#include <czmq.h>
#include <ctype.h>
#include <fcntl.h>
#include <sys/stat.h>

#define EXPORT_PAGE 500          //  the broker's cap on one page

static const char *audit_help =
    "samhand audit - check the audit log, and see who has received information\n"
    "about a person. For admin nodes only.\n"
    "\n"
    "  samhand -c admin.cfg audit verify\n"
    "  samhand -c admin.cfg audit who-received --subject-id 01019012057\n"
    "  samhand -c admin.cfg audit who-received --case RC-7KQ4-M2XD-9FHA\n"
    "  samhand -c admin.cfg audit reviews\n"
    "  samhand -c admin.cfg audit export --since 2030-05-01 > audit-may.jsonl\n"
    "\n"
    "verify                 checks the whole hash chain: prints 'audit chain intact:\n"
    "                       N records' (exit 0) or 'audit chain BROKEN: what and\n"
    "                       where' (exit 3: tell the security officer, keep the\n"
    "                       database file as it is). It sends the newest signed\n"
    "                       audit head this node has seen, kept in NODE.audit_head\n"
    "                       beside its config (mode 0600; listen keeps it too), and\n"
    "                       fails naming TRUNCATION when the log no longer holds it.\n"
    "                       After a deliberate new store, delete that file.\n"
    "who-received           every delivery of information about one person: time,\n"
    "                       from (the sending node, with the author it named at\n"
    "                       submit: \"koordinator (anne)\"; the node's claim), node,\n"
    "                       agency, view, rule and legal basis. Only deliveries\n"
    "                       handed to the node's connection are listed; one the\n"
    "                       node confirmed says so: \"delivered (read)\". The person:\n"
    "  --subject-id 11DIGITS, or\n"
    "  --subject-name NAME --subject-birth-date YYYY-MM-DD, or\n"
    "  --subject-phone NUMBER, or\n"
    "  --case REF           any agency's case reference (RC-, TE-, PR-, KS-...)\n"
    "reviews                every disclosure under the duty to avert (identity to\n"
    "                       the police without consent), with its justification\n"
    "                       and decision-maker, counted, for review\n"
    "export                 the log as JSON Lines, one record per line, oldest\n"
    "                       first (seq, time, event, sender, node, agency, view,\n"
    "                       rule, legal_basis, message_id, detail, hash)\n"
    "  --since WHEN         from this time on (default: the beginning)\n"
    "  --until WHEN         up to this time (default: now)\n"
    "                       WHEN is YYYY-MM-DD (--until includes that whole day)\n"
    "                       or YYYY-MM-DDTHH:MM[:SS], local time; end it with Z\n"
    "                       for UTC, as the exported times are written\n"
    "  --json               verify / who-received as one JSON object\n"
    "Exit: 0 done; 2 wrong command line; 3 refused (not an admin node, unknown\n"
    "person, or the broker could not read the log in full: an export then says\n"
    "INCOMPLETE) or the chain is broken; 4 no answer.\n";

static const opt_spec_t audit_opts [] = {
    { "subject-id", 0, OPT_VALUE },
    { "subject-name", 0, OPT_VALUE },
    { "subject-birth-date", 0, OPT_VALUE },
    { "subject-phone", 0, OPT_VALUE },
    { "case", 0, OPT_VALUE },
    { "since", 0, OPT_VALUE },
    { "until", 0, OPT_VALUE },
    { "json", 0, OPT_FLAG },
    { NULL, 0, OPT_FLAG }
};

static const char *not_admin_hint =
    "Only admin nodes may read the audit log: use the admin node's settings,\n"
    "e.g. samhand -c admin.cfg audit ...";

//  The refusal, with the hint that fits it.
static int
s_refused (const char *what, const Samhand__V1__Frame *reply, bool json)
{
    const Samhand__V1__Error *error = samhand_reply_error (reply);
    const char *hint = NULL;
    if (error && error->code == SAMHAND__V1__ERROR_CODE__NOT_PERMITTED)
        hint = not_admin_hint;
    else
    if (error && error->code == SAMHAND__V1__ERROR_CODE__NOT_FOUND)
        hint = "The broker knows no one by that: check the spelling, the date, or the\n"
               "case reference. Nobody it does not know has received anything through it.";
    return cli_refusal (what, reply, json, hint);
}

//  Sends QUERY; returns the AuditReply frame in *REPLY, or an exit code.
static int
s_ask (cli_t *cli, samhand_client_t *client, Samhand__V1__AuditQuery *query, bool json,
       Samhand__V1__Frame **reply)
{
    char what [32];
    snprintf (what, sizeof what, "audit %s", query->query);
    *reply = samhand_client_audit (client, query, cli->wait_ms);
    if (!*reply)
        return cli_no_answer (client, cli->wait_ms);
    if ((*reply)->command_case != SAMHAND__V1__FRAME__COMMAND_AUDIT_REPLY
    ||  !(*reply)->audit_reply->ok) {
        int code = s_refused (what, *reply, json);
        samhand_frame_destroy (reply);
        return code;
    }
    return -1;
}

//  NODE.audit_head beside the config file (admin.cfg -> admin.audit_head),
//  or beside the certificate when there is no config file.
static int
s_witness_path (cli_t *cli, char *path, size_t size)
{
    const char *base = cli->config? cli->config: getenv ("SAMHAND_CONFIG");
    if (!base || !*base)
        base = cli->cert;
    if (!base || !*base || strlen (base) + 16 > size)
        return -1;
    snprintf (path, size, "%s", base);
    char *slash = strrchr (path, '/');
    char *dot = strrchr (path, '.');
    if (dot && (!slash || dot > slash + 1))
        *dot = 0;
    strcat (path, ".audit_head");
    return 0;
}

static int
s_unhex (const char *text, uint8_t *out, size_t len)
{
    for (size_t i = 0; i < 2 * len; i++)
        if (!isxdigit ((unsigned char) text [i]))
            return -1;
    for (size_t i = 0; i < len; i++) {
        unsigned value;
        if (sscanf (text + 2 * i, "%2x", &value) != 1)
            return -1;
        out [i] = (uint8_t) value;
    }
    return 0;
}

int
cli_witness_load (cli_t *cli, Samhand__V1__AuditHead *head, uint8_t hash [32], uint8_t sig [64])
{
    char path [1100], text [1024];
    samhand__v1__audit_head__init (head);
    if (s_witness_path (cli, path, sizeof path))
        return 0;
    FILE *file = fopen (path, "r");
    if (!file)
        return errno == ENOENT? 0: -1;
    int found = 0;
    while (fgets (text, sizeof text, file)) {
        const char *p = strstr (text, "audit head seq=");
        char *end = NULL;
        unsigned long long seq = p? strtoull (p + 15, &end, 10): 0;
        if (!seq || strncmp (end, " hash=", 6) || s_unhex (end + 6, hash, 32)
        ||  strncmp (end + 70, " sig=", 5) || s_unhex (end + 75, sig, 64))
            continue;
        const char *ts = strstr (end + 75 + 128, " ts=");
        head->seq = seq;
        head->hash = (ProtobufCBinaryData) { 32, hash };
        head->sig = (ProtobufCBinaryData) { 64, sig };
        head->ts_ms = ts? strtoll (ts + 4, NULL, 10): 0;
        found = 1;
    }
    fclose (file);
    return found;
}

int
cli_witness_keep (cli_t *cli, const Samhand__V1__AuditHead *head)
{
    Samhand__V1__AuditHead known;
    uint8_t hash [32], sig [64];
    char path [1100], temp [1200], line [400];
    if (!head || !head->seq || head->hash.len != 32 || head->sig.len != 64
    ||  s_witness_path (cli, path, sizeof path))
        return -1;
    if (cli_witness_load (cli, &known, hash, sig) == 1 && known.seq >= head->seq)
        return 0;
    int n = snprintf (line, sizeof line, "# samhand: the newest signed audit head this node has seen."
                      "\n# Kept as a witness outside the broker; see samhand audit --help.\n"
                      "audit head seq=%" PRIu64 " hash=", head->seq);
    for (size_t i = 0; i < 32; i++)
        n += snprintf (line + n, sizeof line - (size_t) n, "%02x", head->hash.data [i]);
    n += snprintf (line + n, sizeof line - (size_t) n, " sig=");
    for (size_t i = 0; i < 64; i++)
        n += snprintf (line + n, sizeof line - (size_t) n, "%02x", head->sig.data [i]);
    n += snprintf (line + n, sizeof line - (size_t) n, " ts=%" PRId64 "\n", head->ts_ms);
    //  Written beside and renamed over, so a crash leaves the old or the new.
    snprintf (temp, sizeof temp, "%s.new", path);
    unlink (temp);
    int fd = open (temp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
    bool ok = fd >= 0 && fchmod (fd, 0600) == 0 && write (fd, line, (size_t) n) == n
           && fsync (fd) == 0;
    if (fd >= 0 && close (fd))
        ok = false;
    if (!ok || rename (temp, path)) {
        fprintf (stderr, "samhand: cannot keep the audit head in %s: %s\n", path,
                 strerror (errno));
        unlink (temp);
        return -1;
    }
    return 0;
}

static int
s_verify (cli_t *cli, samhand_client_t *client, bool json)
{
    Samhand__V1__AuditQuery query = SAMHAND__V1__AUDIT_QUERY__INIT;
    query.query = "verify";
    Samhand__V1__AuditHead witness;
    uint8_t witness_hash [32], witness_sig [64];
    int witnessed = cli_witness_load (cli, &witness, witness_hash, witness_sig);
    if (witnessed < 0) {
        fprintf (stderr, "samhand: cannot read this node's audit head file: %s\n",
                 strerror (errno));
        return EXIT_FAILED;
    }
    if (witnessed)
        query.witness = &witness;
    Samhand__V1__Frame *reply;
    int code = s_ask (cli, client, &query, json, &reply);
    if (code >= 0)
        return code;
    const Samhand__V1__AuditReply *r = reply->audit_reply;
    bool intact = r->intact;
    const char *problem = r->problem && *r->problem? r->problem: "no detail given";
    char truncated [300];
    if (intact && witnessed && r->records < witness.seq) {
        //  The broker should have said so itself; an old one may not look.
        snprintf (truncated, sizeof truncated, "TRUNCATED: this node witnessed a signed head"
                  " at record %" PRIu64 ", but the log has only %" PRIu64 " records"
                  " (truncation)", witness.seq, r->records);
        intact = false;
        problem = truncated;
    }
    if (intact && r->head && r->head->seq > (witnessed? witness.seq: 0)
    &&  cli_witness_keep (cli, r->head) == 0 && !json)
        fprintf (stderr, "signed head at record %" PRIu64 " kept as this node's witness\n",
                 r->head->seq);
    if (json) {
        json_t j;
        json_init (&j);
        json_object_begin (&j, NULL);
        json_bool (&j, "intact", intact);
        json_uint (&j, "records", r->records);
        json_str_opt (&j, "problem", intact? r->problem: problem);
        if (witnessed)
            json_uint (&j, "witnessed_seq", witness.seq);
        json_object_end (&j);
        code = cli_json_out (&j)? EXIT_FAILED: EXIT_OK;
        json_free (&j);
    }
    else {
        if (intact)
            printf ("audit chain intact: %" PRIu64 " records%s\n", r->records,
                    witnessed? " (and it holds the signed head this node witnessed)": "");
        else {
            printf ("audit chain BROKEN: ");
            cli_print_safe (stdout, problem, "  ");
            printf ("\n");
        }
        code = fflush (stdout) || ferror (stdout)? EXIT_FAILED: EXIT_OK;
    }
    if (!intact) {
        fprintf (stderr, "samhand: the audit log has been altered or damaged after it was "
                         "written.\nTell the security officer; do not change or delete the "
                         "broker's database.\n");
        code = EXIT_REFUSED;
    }
    samhand_frame_destroy (&reply);
    return code;
}

//  The person of who-received: exactly one of the four ways to name one.
static int
s_subject (const opts_t *opts, Samhand__V1__AuditQuery *query, Samhand__V1__Subject *subject)
{
    const char *id = opts_get (opts, "subject-id");
    const char *name = opts_get (opts, "subject-name");
    const char *birth = opts_get (opts, "subject-birth-date");
    const char *phone = opts_get (opts, "subject-phone");
    const char *ref = opts_get (opts, "case");
    int ways = (id != NULL) + (name || birth) + (phone != NULL) + (ref != NULL);
    if (ways != 1)
        return cli_usage_error ("audit", "%s: --subject-id, or --subject-name with "
                                "--subject-birth-date, or --subject-phone, or --case",
                                ways? "name the person one way only": "which person?");
    samhand__v1__subject__init (subject);
    if (id) {
        size_t n = strlen (id);
        for (size_t i = 0; i < n; i++)
            if (!isdigit ((unsigned char) id [i]))
                n = 0;
        if (n != 11)
            return cli_usage_error ("audit", "--subject-id is the 11-digit national id, "
                                    "digits only");
        subject->national_id = (char *) id;
    }
    if (name || birth) {
        if (!name || !*name || !birth)
            return cli_usage_error ("audit", "--subject-name and --subject-birth-date go "
                                    "together (a name alone is not unique)");
        if (!opts_date_valid (birth))
            return cli_usage_error ("audit", "--subject-birth-date is a date written "
                                    "YYYY-MM-DD");
        subject->name = (char *) name;
        subject->birth_date = (char *) birth;
    }
    if (phone) {
        int digits = 0;
        for (const char *p = phone; *p; p++)
            digits += isdigit ((unsigned char) *p) != 0;
        if (digits < 5)
            return cli_usage_error ("audit", "--subject-phone is a phone number");
        subject->phone = (char *) phone;
    }
    if (ref) {
        if (!*ref)
            return cli_usage_error ("audit", "--case needs the case reference");
        query->case_ref = (char *) ref;
    }
    else
        query->subject = subject;
    return -1;
}

static int
s_who_received (cli_t *cli, samhand_client_t *client, Samhand__V1__AuditQuery *query,
                bool json)
{
    bool reviews = streq (query->query, "reviews");
    Samhand__V1__Frame *reply;
    int code = s_ask (cli, client, query, json, &reply);
    if (code >= 0)
        return code;
    const Samhand__V1__AuditReply *r = reply->audit_reply;
    if (json) {
        json_t j;
        json_init (&j);
        json_object_begin (&j, NULL);
        json_array_begin (&j, "entries");
        for (size_t i = 0; i < r->n_entries; i++)
            cli_audit_json (&j, r->entries [i], false);
        json_array_end (&j);
        if (r->more)
            json_bool (&j, "more", true);
        json_object_end (&j);
        code = cli_json_out (&j)? EXIT_FAILED: EXIT_OK;
        json_free (&j);
    }
    else {
        if (r->n_entries)
            cli_audit_text (stdout, r->entries, r->n_entries);
        //  Who decided and why: kept sealed by the broker, opened for
        //  admins in this answer only.
        for (size_t i = 0; reviews && i < r->n_entries; i++)
            printf ("%s%zu. from %s: %s\n", i? "": "\nWho decided and why:\n", i + 1,
                    r->entries [i]->sender && *r->entries [i]->sender? r->entries [i]->sender: "-",
                    r->entries [i]->detail? r->entries [i]->detail: "");
        if (!r->n_entries && reviews)
            printf ("No disclosure under the duty to avert is recorded.\n");
        else
        if (!r->n_entries) {
            printf ("No delivery of information about this person is recorded.\n");
            fprintf (stderr, "The broker knows a person by what the messages named: the "
                             "national id if\nthere was one, else name with birth date, "
                             "else phone. Try the other ways, or --case.\n");
        }
        code = fflush (stdout) || ferror (stdout)? EXIT_FAILED: EXIT_OK;
        size_t confirmed = 0;
        for (size_t i = 0; !reviews && i < r->n_entries; i++)
            confirmed += r->entries [i]->receipt && *r->entries [i]->receipt;
        if (r->n_entries && reviews)
            fprintf (stderr, "%zu record%s of disclosure under the duty to avert (times are"
                             " local)\n", r->n_entries, r->n_entries == 1? "": "s");
        else
        if (r->n_entries)
            fprintf (stderr, "%zu record%s, %zu confirmed by the node's receipt (times are"
                             " local)\n", r->n_entries, r->n_entries == 1? "": "s", confirmed);
    }
    if (r->more)
        fprintf (stderr, "samhand: only the first %zu records came; the rest are in "
                         "samhand audit export\n", r->n_entries);
    samhand_frame_destroy (&reply);
    return code;
}

//  Pages through the period with after_seq until the broker says there is
//  no more; every record is on stdout before the next page is asked for.
static int
s_export (cli_t *cli, samhand_client_t *client, int64_t since, int64_t until)
{
    Samhand__V1__AuditQuery query = SAMHAND__V1__AUDIT_QUERY__INIT;
    query.query = "export";
    query.limit = EXPORT_PAGE;
    query.since = since;
    query.until = until;
    uint64_t exported = 0;
    int code = EXIT_OK;
    while (!zsys_interrupted) {
        Samhand__V1__Frame *reply;
        code = s_ask (cli, client, &query, false, &reply);
        if (code >= 0)
            break;
        code = EXIT_OK;
        const Samhand__V1__AuditReply *r = reply->audit_reply;
        uint64_t last = query.after_seq;
        for (size_t i = 0; i < r->n_entries && code == EXIT_OK; i++) {
            json_t j;
            json_init (&j);
            cli_audit_json (&j, r->entries [i], true);
            if (cli_json_out (&j)) {
                fprintf (stderr, "samhand: cannot write the output\n");
                code = EXIT_FAILED;
            }
            json_free (&j);
            if (r->entries [i]->seq > last)
                last = r->entries [i]->seq;
            exported++;
        }
        bool more = r->more && r->n_entries > 0;
        samhand_frame_destroy (&reply);
        if (code != EXIT_OK || !more)
            break;
        if (last <= query.after_seq) {
            fprintf (stderr, "samhand: the broker sent the same page again: stopping\n");
            code = EXIT_FAILED;
            break;
        }
        query.after_seq = last;
    }
    if (zsys_interrupted && code == EXIT_OK)
        code = EXIT_FAILED;
    if (code != EXIT_OK && exported)
        fprintf (stderr, "samhand: the export is INCOMPLETE: %" PRIu64 " records written, up "
                         "to seq %" PRIu64 "\n", exported, query.after_seq);
    else
    if (code == EXIT_OK)
        fprintf (stderr, "exported %" PRIu64 " audit record%s\n", exported,
                 exported == 1? "": "s");
    return code;
}

int
cmd_audit (cli_t *cli, int argc, char **argv)
{
    opts_t opts;
    const opt_spec_t *const specs [] = { audit_opts, NULL };
    int rc = cli_parse (cli, "audit", audit_help, specs, argc, argv, &opts);
    if (rc >= 0)
        return rc;
    const char *action = opts.n_pos? opts.pos [0]: NULL;
    if (!action)
        return cli_usage_error ("audit", "verify, who-received, reviews or export?");
    if (opts.n_pos > 1)
        return cli_usage_error ("audit", "unexpected '%s'", opts.pos [1]);
    bool json = opts_has (&opts, "json");
    bool subject = opts_has (&opts, "subject-id") || opts_has (&opts, "subject-name")
                || opts_has (&opts, "subject-birth-date") || opts_has (&opts, "subject-phone")
                || opts_has (&opts, "case");
    bool period = opts_has (&opts, "since") || opts_has (&opts, "until");
    if (!streq (action, "verify") && !streq (action, "who-received")
    &&  !streq (action, "reviews") && !streq (action, "export"))
        return cli_usage_error ("audit", "unknown action '%s': verify, who-received, reviews"
                                " or export", action);
    if (subject && !streq (action, "who-received"))
        return cli_usage_error ("audit", "the person options go with who-received");
    if (period && !streq (action, "export"))
        return cli_usage_error ("audit", "--since and --until go with export");
    Samhand__V1__AuditQuery query = SAMHAND__V1__AUDIT_QUERY__INIT;
    Samhand__V1__Subject person;
    int64_t since = 0, until = 0;
    if (streq (action, "who-received")) {
        query.query = "who-received";
        if ((rc = s_subject (&opts, &query, &person)) >= 0)
            return rc;
    }
    if (opts_get (&opts, "since")
    &&  (since = opts_time_to_unix (opts_get (&opts, "since"), false)) < 0)
        return cli_usage_error ("audit", "--since is YYYY-MM-DD or YYYY-MM-DDTHH:MM[:SS][Z], "
                                "not '%s'", opts_get (&opts, "since"));
    if (opts_get (&opts, "until")
    &&  (until = opts_time_to_unix (opts_get (&opts, "until"), true)) < 0)
        return cli_usage_error ("audit", "--until is YYYY-MM-DD or YYYY-MM-DDTHH:MM[:SS][Z], "
                                "not '%s'", opts_get (&opts, "until"));
    //  0 means "from the beginning" / "until now" on the wire.
    if (until && until <= since)
        return cli_usage_error ("audit", "--until must come after --since");
    if (opts_get (&opts, "until") && until == 0)
        return cli_usage_error ("audit", "--until is before 1970");

    samhand_client_t *client = cli_connect (cli);
    if (!client)
        return EXIT_FAILED;
    if (streq (action, "verify"))
        rc = s_verify (cli, client, json);
    else
    if (streq (action, "who-received"))
        rc = s_who_received (cli, client, &query, json);
    else
    if (streq (action, "reviews")) {
        query.query = "reviews";
        rc = s_who_received (cli, client, &query, json);
    }
    else
        rc = s_export (cli, client, since, until);
    samhand_client_destroy (&client);
    return rc;
}
