/*  cmd_consent — consent grant / withdraw / list (the coordinator's
    consent registry). A consent names the agencies, purposes, data
    classes and period it covers (FHIR-style provision); the broker uses
    it per message and per recipient.                                     */
#include "cli.h"
#include <czmq.h>
#include <ctype.h>

#define MAX_LIST 16

static const char *consent_help =
    "samhand consent - record, withdraw or list a person's consent to share.\n"
    "\n"
    "  samhand -c koordinator.cfg consent grant --subject-id 01019012057 \\\n"
    "      --to tryggest,police_risk --purpose follow_up,risk_management \\\n"
    "      --classes identity,contact,risk_level --until 2030-06-30 --form written\n"
    "  samhand -c koordinator.cfg consent list --subject-id 01019012057\n"
    "  samhand -c koordinator.cfg consent withdraw c-1a2b3c4d5e6f\n"
    "\n"
    "grant:\n"
    "  the person: --subject-id 11DIGITS, or --subject-name with\n"
    "              --subject-birth-date YYYY-MM-DD, or --subject-phone\n"
    "  --to AGENCY,...      resource_centre, tryggest, police_risk, crisis_centre\n"
    "  --purpose P[,P]      what the sharing is for. Messages carry a purpose:\n"
    "                       follow_up (concerns, case status) and\n"
    "                       risk_management (risk changes) unless the sender\n"
    "                       gives another with --purpose\n"
    "  --classes LIST       identity, contact, address, risk_level, risk_factors,\n"
    "                       health, free_text\n"
    "  --until YYYY-MM-DD   last day the consent holds (required)\n"
    "  --from YYYY-MM-DD    first day (default: now)\n"
    "  --form written|verbal\n"
    "  --capacity-assessed-by NAME   who judged she/he could consent\n"
    "  prints the consent id on the first line\n"
    "withdraw ID            the person took the consent back: from now on\n"
    "                       nothing more is shared on it\n"
    "list                   the person's consents (same person options as grant)\n"
    "  --json               JSON output\n";

static const opt_spec_t consent_opts [] = {
    { "subject-id", 0, OPT_VALUE },
    { "subject-name", 0, OPT_VALUE },
    { "subject-birth-date", 0, OPT_VALUE },
    { "subject-phone", 0, OPT_VALUE },
    { "to", 0, OPT_VALUE },
    { "purpose", 0, OPT_VALUE },
    { "classes", 0, OPT_VALUE },
    { "until", 0, OPT_VALUE },
    { "from", 0, OPT_VALUE },
    { "form", 0, OPT_VALUE },
    { "capacity-assessed-by", 0, OPT_VALUE },
    { "json", 0, OPT_FLAG },
    { NULL, 0, OPT_FLAG }
};

static int
s_subject (const opts_t *opts, Samhand__V1__Subject *subject)
{
    samhand__v1__subject__init (subject);
    const char *id = opts_get (opts, "subject-id");
    const char *name = opts_get (opts, "subject-name");
    const char *birth = opts_get (opts, "subject-birth-date");
    const char *phone = opts_get (opts, "subject-phone");
    if (id) {
        size_t n = strlen (id);
        for (size_t i = 0; i < n; i++)
            if (!isdigit ((unsigned char) id [i]))
                n = 0;
        if (n != 11)
            return cli_usage_error ("consent", "--subject-id is the 11-digit national id");
        subject->national_id = (char *) id;
    }
    if (birth && !opts_date_valid (birth))
        return cli_usage_error ("consent", "--subject-birth-date is a date written YYYY-MM-DD");
    if (name)
        subject->name = (char *) name;
    if (birth)
        subject->birth_date = (char *) birth;
    if (phone)
        subject->phone = (char *) phone;
    if (!id && !(name && birth) && !phone)
        return cli_usage_error ("consent", "which person? Give --subject-id, or "
                                "--subject-name with --subject-birth-date, or --subject-phone");
    return -1;
}

//  Prints a ConsentReply and returns the exit code.
static int
s_reply (cli_t *cli, samhand_client_t *client, Samhand__V1__Frame *reply, const char *what,
         bool json, const char *withdrawn_id)
{
    if (!reply)
        return cli_no_answer (client, cli->wait_ms);
    if (reply->command_case != SAMHAND__V1__FRAME__COMMAND_CONSENT_REPLY
    ||  !reply->consent_reply->ok) {
        const Samhand__V1__Error *error = samhand_reply_error (reply);
        if (json) {
            json_t j;
            json_init (&j);
            json_object_begin (&j, NULL);
            if (error)
                cli_error_json (&j, error);
            json_object_end (&j);
            if (json_text (&j))
                printf ("%s\n", json_text (&j));
            fflush (stdout);
            json_free (&j);
        }
        return cli_refused (what, reply);
    }
    const Samhand__V1__ConsentReply *r = reply->consent_reply;
    if (json) {
        json_t j;
        json_init (&j);
        json_object_begin (&j, NULL);
        if (withdrawn_id) {
            json_str (&j, "consent_id", withdrawn_id);
            json_uint (&j, "redecided", r->redecided);
        }
        json_array_begin (&j, "consents");
        for (size_t i = 0; i < r->n_consents; i++)
            cli_consent_json (&j, r->consents [i]);
        json_array_end (&j);
        json_object_end (&j);
        if (json_text (&j))
            printf ("%s\n", json_text (&j));
        json_free (&j);
    }
    else
    if (withdrawn_id) {
        printf ("%s withdrawn", withdrawn_id);
        if (r->redecided)
            printf ("; %u waiting messages were decided again without it", r->redecided);
        printf ("\n");
    }
    else {
        for (size_t i = 0; i < r->n_consents; i++)
            cli_consent_text (stdout, r->consents [i]);
        if (!r->n_consents)
            printf ("no consent on record for this person\n");
    }
    fflush (stdout);
    return EXIT_OK;
}

static int
s_grant (cli_t *cli, const opts_t *opts)
{
    char err [256];
    Samhand__V1__ConsentGrant grant = SAMHAND__V1__CONSENT_GRANT__INIT;
    Samhand__V1__Subject subject;
    int rc = s_subject (opts, &subject);
    if (rc >= 0)
        return rc;
    grant.subject = &subject;
    if (!opts_get (opts, "to") || !opts_get (opts, "purpose") || !opts_get (opts, "classes")
    ||  !opts_get (opts, "until"))
        return cli_usage_error ("consent", "grant needs --to, --purpose, --classes and --until");
    int values [MAX_LIST];
    Samhand__V1__Agency agencies [MAX_LIST];
    int n = opts_enum_list (opts_get (opts, "to"), samhand_agency_from_name, "--to",
                            values, MAX_LIST, err, sizeof err);
    if (n < 0)
        return cli_usage_error ("consent", "%s", err);
    for (int i = 0; i < n; i++)
        agencies [i] = (Samhand__V1__Agency) values [i];
    grant.agencies = agencies;
    grant.n_agencies = (size_t) n;
    Samhand__V1__DataClass classes [MAX_LIST];
    n = opts_enum_list (opts_get (opts, "classes"), samhand_data_class_from_name, "--classes",
                        values, MAX_LIST, err, sizeof err);
    if (n < 0)
        return cli_usage_error ("consent", "%s", err);
    for (int i = 0; i < n; i++)
        classes [i] = (Samhand__V1__DataClass) values [i];
    grant.classes = classes;
    grant.n_classes = (size_t) n;
    char purpose_buf [1024];
    char *purposes [MAX_LIST];
    n = opts_word_list (opts_get (opts, "purpose"), purpose_buf, sizeof purpose_buf,
                        purposes, MAX_LIST);
    if (n < 1)
        return cli_usage_error ("consent", "--purpose: one or more words, comma separated");
    grant.purposes = purposes;
    grant.n_purposes = (size_t) n;
    //  --until names the last day: the consent holds to the end of it.
    grant.valid_until = opts_date_to_unix (opts_get (opts, "until"), 1);
    if (grant.valid_until < 0)
        return cli_usage_error ("consent", "--until is a date written YYYY-MM-DD");
    if (grant.valid_until <= (int64_t) time (NULL))
        return cli_usage_error ("consent", "--until is in the past");
    if (opts_get (opts, "from")) {
        grant.valid_from = opts_date_to_unix (opts_get (opts, "from"), 0);
        if (grant.valid_from < 0)
            return cli_usage_error ("consent", "--from is a date written YYYY-MM-DD");
        if (grant.valid_from >= grant.valid_until)
            return cli_usage_error ("consent", "--from is after --until");
    }
    if (opts_get (opts, "form")) {
        int form = opts_enum (opts_get (opts, "form"), samhand_consent_form_from_name,
                              "--form", err, sizeof err);
        if (form < 0)
            return cli_usage_error ("consent", "%s (written or verbal)", err);
        grant.form = (Samhand__V1__ConsentForm) form;
    }
    if (opts_get (opts, "capacity-assessed-by")) {
        grant.capacity_assessed_by = (char *) opts_get (opts, "capacity-assessed-by");
        grant.capacity_assessed_at = (int64_t) time (NULL);
    }
    samhand_client_t *client = cli_connect (cli);
    if (!client)
        return EXIT_FAILED;
    Samhand__V1__Frame *reply = samhand_client_consent_grant (client, &grant, cli->wait_ms);
    bool json = opts_has (opts, "json");
    if (!json && reply && reply->command_case == SAMHAND__V1__FRAME__COMMAND_CONSENT_REPLY
    &&  reply->consent_reply->ok && reply->consent_reply->n_consents) {
        //  The id alone first, for scripts; the record after it.
        cli_print_safe (stdout, reply->consent_reply->consents [0]->consent_id, "");
        printf ("\n");
    }
    rc = s_reply (cli, client, reply, "consent grant", json, NULL);
    samhand_frame_destroy (&reply);
    samhand_client_destroy (&client);
    return rc;
}

int
cmd_consent (cli_t *cli, int argc, char **argv)
{
    opts_t opts;
    const opt_spec_t *const specs [] = { consent_opts, NULL };
    int rc = cli_parse (cli, "consent", consent_help, specs, argc, argv, &opts);
    if (rc >= 0)
        return rc;
    const char *action = opts.n_pos? opts.pos [0]: NULL;
    if (!action)
        return cli_usage_error ("consent", "grant, withdraw or list?");
    if (streq (action, "grant")) {
        if (opts.n_pos > 1)
            return cli_usage_error ("consent", "unexpected '%s'", opts.pos [1]);
        return s_grant (cli, &opts);
    }
    if (streq (action, "withdraw")) {
        if (opts.n_pos != 2 || !*opts.pos [1])
            return cli_usage_error ("consent", "withdraw needs the consent id, e.g. "
                                    "consent withdraw c-1a2b3c4d5e6f");
        samhand_client_t *client = cli_connect (cli);
        if (!client)
            return EXIT_FAILED;
        Samhand__V1__Frame *reply = samhand_client_consent_withdraw (client, opts.pos [1],
                                                                     cli->wait_ms);
        rc = s_reply (cli, client, reply, "consent withdraw", opts_has (&opts, "json"),
                      opts.pos [1]);
        samhand_frame_destroy (&reply);
        samhand_client_destroy (&client);
        return rc;
    }
    if (streq (action, "list")) {
        if (opts.n_pos > 1)
            return cli_usage_error ("consent", "unexpected '%s'", opts.pos [1]);
        Samhand__V1__Subject subject;
        if ((rc = s_subject (&opts, &subject)) >= 0)
            return rc;
        samhand_client_t *client = cli_connect (cli);
        if (!client)
            return EXIT_FAILED;
        Samhand__V1__Frame *reply = samhand_client_consent_query (client, &subject,
                                                                  cli->wait_ms);
        rc = s_reply (cli, client, reply, "consent list", opts_has (&opts, "json"), NULL);
        samhand_frame_destroy (&reply);
        samhand_client_destroy (&client);
        return rc;
    }
    return cli_usage_error ("consent", "unknown action '%s': grant, withdraw or list", action);
}
