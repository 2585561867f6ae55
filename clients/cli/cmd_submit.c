/*  cmd_submit — concern, risk, discuss, case-status: build one Submit from
    the command line, send it (retrying with the same message id), print
    what the broker decided for each recipient agency.                    */
#include "cli.h"
#include <czmq.h>
#include <ctype.h>

#define MAX_LIST 16
//  Tries after the first when the broker does not answer: covers a
//  broker restart without keeping a person waiting long.
#define SUBMIT_RETRIES 2

static const opt_spec_t common_opts [] = {
    { "to", 0, OPT_VALUE },
    { "purpose", 0, OPT_VALUE },
    { "basis", 0, OPT_VALUE },
    { "justification", 0, OPT_VALUE },
    { "decision-maker", 0, OPT_VALUE },
    { "statute", 0, OPT_VALUE },
    { "message-id", 0, OPT_VALUE },
    { "ttl", 0, OPT_VALUE },
    { "json", 0, OPT_FLAG },
    { NULL, 0, OPT_FLAG }
};

static const opt_spec_t subject_opts [] = {
    { "subject-name", 0, OPT_VALUE },
    { "subject-id", 0, OPT_VALUE },
    { "subject-phone", 0, OPT_VALUE },
    { "subject-birth-date", 0, OPT_VALUE },
    { "subject-address", 0, OPT_VALUE },
    { NULL, 0, OPT_FLAG }
};

static const char *common_help =
    "Sending to whom, and on which basis (usually leave these out):\n"
    "  --to AGENCY,...      resource_centre, tryggest, police_risk, crisis_centre\n"
    "                       (default: the usual partners for this kind)\n"
    "  --purpose P          why it is shared, e.g. follow_up (matched against consent)\n"
    "  --basis consent|avert   claim a legal basis; avert (duty to avert serious\n"
    "                       harm, straffeloven 196 / helsepersonelloven 31) needs\n"
    "                       --justification TEXT and --decision-maker NAME,\n"
    "                       and may name --statute STRL196|HPL31\n"
    "  --message-id HEX     repeat an earlier send that got no answer (nothing is\n"
    "                       stored twice)\n"
    "  --ttl SECONDS        give up delivering after this long (a recipient that\n"
    "                       has not confirmed by then gets nothing, and you get a\n"
    "                       non-delivery alert); can only shorten the usual time\n"
    "  --json               print the result as one JSON object\n"
    "  -c FILE              this node's settings (or SAMHAND_CONFIG)\n"
    "\n"
    "The answer starts with 'accepted' and the message id: samhand status ID\n"
    "shows later who has it and who has read it. 'case ref:' is your agency's\n"
    "reference for the person: use it with --case instead of naming her/him\n"
    "again.\n";

//  Everything a Submit points to lives here for the life of the command.
typedef struct {
    Samhand__V1__Submit submit;
    Samhand__V1__LegalClaim claim;
    Samhand__V1__Subject subject;
    Samhand__V1__Agency recipients [MAX_LIST];
    uint8_t message_id [SAMHAND_MESSAGE_ID_SIZE];
    char statute [16];
    bool json;
} request_t;

static bool
s_digits (const char *text, size_t count)
{
    size_t n = 0;
    for (const char *p = text; *p; p++, n++)
        if (!isdigit ((unsigned char) *p))
            return false;
    return n == count;
}

//  Recipients, purpose, legal claim, message id, --json.
static int
s_common (const char *command, const opts_t *opts, request_t *r)
{
    char err [256];
    samhand__v1__submit__init (&r->submit);
    samhand__v1__legal_claim__init (&r->claim);
    r->json = opts_has (opts, "json");
    if (opts_get (opts, "to")) {
        int values [MAX_LIST];
        int n = opts_enum_list (opts_get (opts, "to"), samhand_agency_from_name, "--to",
                                values, MAX_LIST, err, sizeof err);
        if (n < 0)
            return cli_usage_error (command, "%s", err);
        for (int i = 0; i < n; i++)
            r->recipients [i] = (Samhand__V1__Agency) values [i];
        r->submit.recipients = r->recipients;
        r->submit.n_recipients = (size_t) n;
    }
    if (opts_get (opts, "purpose"))
        r->submit.purpose = (char *) opts_get (opts, "purpose");
    const char *basis = opts_get (opts, "basis");
    if (basis) {
        int value = opts_enum (basis, samhand_basis_from_name, "--basis", err, sizeof err);
        if (value < 0)
            return cli_usage_error (command, "%s (use consent or avert)", err);
        r->claim.basis = (Samhand__V1__Basis) value;
        r->submit.claim = &r->claim;
    }
    bool avert = r->claim.basis == SAMHAND__V1__BASIS__BASIS_AVERT;
    const char *justification = opts_get (opts, "justification");
    const char *decider = opts_get (opts, "decision-maker");
    const char *statute = opts_get (opts, "statute");
    if (!avert && (justification || decider || statute))
        return cli_usage_error (command, "--justification, --decision-maker and --statute "
                                "go with --basis avert");
    if (avert && (!justification || !*justification || !decider || !*decider))
        return cli_usage_error (command, "--basis avert needs --justification (why the "
                                "harm is certain or most likely) and --decision-maker (who "
                                "decided)");
    if (avert) {
        r->claim.justification = (char *) justification;
        r->claim.decision_maker = (char *) decider;
    }
    if (statute) {
        snprintf (r->statute, sizeof r->statute, "%s", statute);
        for (char *c = r->statute; *c; c++)
            *c = (char) toupper ((unsigned char) *c);
        if (!streq (r->statute, "STRL196") && !streq (r->statute, "HPL31"))
            return cli_usage_error (command, "--statute is STRL196 or HPL31, not '%s'", statute);
        r->claim.statute = r->statute;
    }
    if (opts_get (opts, "message-id")) {
        if (opts_hex (opts_get (opts, "message-id"), r->message_id, sizeof r->message_id))
            return cli_usage_error (command, "--message-id is the 32 hex digits printed "
                                    "by the earlier try");
        r->submit.message_id.data = r->message_id;
        r->submit.message_id.len = sizeof r->message_id;
    }
    else {
        samhand_random_message_id (r->message_id);
        r->submit.message_id.data = r->message_id;
        r->submit.message_id.len = sizeof r->message_id;
    }
    if (opts_get (opts, "ttl")) {
        int64_t ttl = opts_number (opts_get (opts, "ttl"), UINT32_MAX);
        if (ttl < 1)
            return cli_usage_error (command, "--ttl is whole seconds, 1 or more "
                                    "(e.g. --ttl 3600 for one hour)");
        r->submit.ttl_seconds = (uint32_t) ttl;
    }
    if (opts->n_pos)
        return cli_usage_error (command, "unexpected '%s' (put text in quotes)", opts->pos [0]);
    return -1;
}

//  The person: returns -1 when at least one field is set (or none is
//  needed), otherwise an exit code.
static int
s_subject (const char *command, const opts_t *opts, request_t *r, bool required)
{
    samhand__v1__subject__init (&r->subject);
    const char *id = opts_get (opts, "subject-id");
    const char *birth = opts_get (opts, "subject-birth-date");
    const char *phone = opts_get (opts, "subject-phone");
    if (id && !s_digits (id, 11))
        return cli_usage_error (command, "--subject-id is the 11-digit national id "
                                "(fodselsnummer or D-number), digits only");
    if (birth && !opts_date_valid (birth))
        return cli_usage_error (command, "--subject-birth-date is a date written YYYY-MM-DD");
    if (phone) {
        int digits = 0;
        for (const char *p = phone; *p; p++) {
            if (isdigit ((unsigned char) *p))
                digits++;
            else
            if (!strchr ("+ -", *p))
                return cli_usage_error (command, "--subject-phone: digits, spaces and + only");
        }
        if (digits < 5)
            return cli_usage_error (command, "--subject-phone is too short");
    }
    r->subject.name = (char *) opts_get (opts, "subject-name");
    r->subject.national_id = (char *) id;
    r->subject.birth_date = (char *) birth;
    r->subject.phone = (char *) phone;
    r->subject.address = (char *) opts_get (opts, "subject-address");
    //  protobuf-c packs NULL strings as absent; keep "" out of the way.
    if (!r->subject.name) r->subject.name = "";
    if (!r->subject.national_id) r->subject.national_id = "";
    if (!r->subject.birth_date) r->subject.birth_date = "";
    if (!r->subject.phone) r->subject.phone = "";
    if (!r->subject.address) r->subject.address = "";
    bool any = *r->subject.name || *r->subject.national_id || *r->subject.phone
            || *r->subject.birth_date || *r->subject.address;
    if (required && !any)
        return cli_usage_error (command, "who is it about? Give --subject-name, --subject-id "
                                "or --subject-phone");
    return -1;
}

//  Sends and prints. Owns nothing but the connection it opens.
static int
s_send (cli_t *cli, request_t *r, const char *kind)
{
    samhand_client_t *client = cli_connect (cli);
    if (!client)
        return EXIT_FAILED;
    Samhand__V1__Frame *reply = NULL;
    int64_t start = zclock_mono ();
    int rc = samhand_client_submit (client, &r->submit, cli->wait_ms, SUBMIT_RETRIES, &reply);
    int code;
    if (rc < 0) {
        code = cli_no_answer (client, (int) (zclock_mono () - start));
        char hex [2 * SAMHAND_MESSAGE_ID_SIZE + 1];
        samhand_hex (r->message_id, sizeof r->message_id, hex);
        fprintf (stderr, "The %s may or may not have been stored. To try again without "
                         "any risk of a double,\nrun the same command with --message-id %s\n",
                 kind, hex);
    }
    else {
        const char *text = NULL, *question = NULL;
        const Samhand__V1__Submit *s = &r->submit;
        if (s->body_case == SAMHAND__V1__SUBMIT__BODY_DISCUSSION) {
            text = s->discussion->text;
            question = s->discussion->question;
        }
        else
        if (s->body_case == SAMHAND__V1__SUBMIT__BODY_CONCERN)
            text = s->concern->text;
        else
        if (s->body_case == SAMHAND__V1__SUBMIT__BODY_RISK_CHANGE)
            text = s->risk_change->text;
        else
        if (s->body_case == SAMHAND__V1__SUBMIT__BODY_CASE_STATUS)
            text = s->case_status->text;
        code = cli_print_submit_texts (reply, kind, r->json, text, question);
    }
    samhand_frame_destroy (&reply);
    samhand_client_destroy (&client);
    return code;
}

static const char *text_required =
    "--text is needed: say what happened, in plain words";

//  ---------------------------------------------------------------- concern

static const char *concern_help =
    "samhand concern - report a concern about a person to the partner agencies.\n"
    "\n"
    "  samhand -c vakt.cfg concern --subject-name \"Kari Testesen\" \\\n"
    "      --subject-phone 41234567 --urgency urgent --violence physical \\\n"
    "      --not-informed \"she asked us to wait\" --text \"Called the duty phone, ...\"\n"
    "\n"
    "The person (at least one):\n"
    "  --subject-name NAME  --subject-id 11DIGITS  --subject-phone NUMBER\n"
    "  --subject-birth-date YYYY-MM-DD  --subject-address TEXT\n"
    "What happened:\n"
    "  --text TEXT          required\n"
    "  --urgency routine|urgent|acute   required; acute is escalated if nobody\n"
    "                       confirms it in time\n"
    "  --violence LIST      physical, psychological, sexual, economic, material,\n"
    "                       digital, latent, structural, negative_social_control,\n"
    "                       honour_related (comma separated)\n"
    "  --children           children are involved\n"
    "  --informed           the person knows of this report, or\n"
    "  --not-informed WHY   she/he was not told, and why\n"
    "\n"
    "Each agency gets only what the law allows it to see; the answer shows,\n"
    "per agency, what it got and why.\n";

static const opt_spec_t concern_opts [] = {
    { "text", 0, OPT_VALUE },
    { "urgency", 0, OPT_VALUE },
    { "violence", 0, OPT_VALUE },
    { "children", 0, OPT_FLAG },
    { "informed", 0, OPT_FLAG },
    { "not-informed", 0, OPT_VALUE },
    { NULL, 0, OPT_FLAG }
};

static int
s_parse (cli_t *cli, const char *command, const char *help, const opt_spec_t *own,
         bool subject, int argc, char **argv, opts_t *opts)
{
    const opt_spec_t *const specs [] = { own, common_opts, subject? subject_opts: NULL,
                                         NULL };
    char full [4096];
    snprintf (full, sizeof full, "%s\n%s", help, common_help);
    return cli_parse (cli, command, full, specs, argc, argv, opts);
}

int
cmd_concern (cli_t *cli, int argc, char **argv)
{
    opts_t opts;
    request_t r;
    char err [256];
    int rc = s_parse (cli, "concern", concern_help, concern_opts, true, argc, argv, &opts);
    if (rc >= 0)
        return rc;
    if ((rc = s_common ("concern", &opts, &r)) >= 0
    ||  (rc = s_subject ("concern", &opts, &r, true)) >= 0)
        return rc;
    static Samhand__V1__ConcernReport concern;
    samhand__v1__concern_report__init (&concern);
    concern.subject = &r.subject;
    concern.text = (char *) opts_get (&opts, "text");
    if (!concern.text || !*concern.text)
        return cli_usage_error ("concern", "%s", text_required);
    if (!opts_get (&opts, "urgency"))
        return cli_usage_error ("concern", "--urgency is needed: routine, urgent or acute");
    int urgency = opts_enum (opts_get (&opts, "urgency"), samhand_urgency_from_name,
                             "--urgency", err, sizeof err);
    if (urgency < 0)
        return cli_usage_error ("concern", "%s (routine, urgent or acute)", err);
    concern.urgency = (Samhand__V1__Urgency) urgency;
    static Samhand__V1__Violence violence [MAX_LIST];
    if (opts_get (&opts, "violence")) {
        int values [MAX_LIST];
        int n = opts_enum_list (opts_get (&opts, "violence"), samhand_violence_from_name,
                                "--violence", values, MAX_LIST, err, sizeof err);
        if (n < 0)
            return cli_usage_error ("concern", "%s", err);
        for (int i = 0; i < n; i++)
            violence [i] = (Samhand__V1__Violence) values [i];
        concern.violence = violence;
        concern.n_violence = (size_t) n;
    }
    concern.children_involved = opts_has (&opts, "children");
    if (opts_has (&opts, "informed") && opts_has (&opts, "not-informed"))
        return cli_usage_error ("concern", "give --informed or --not-informed, not both");
    concern.subject_informed = opts_has (&opts, "informed");
    const char *why = opts_get (&opts, "not-informed");
    if (why && !*why)
        return cli_usage_error ("concern", "--not-informed needs the reason");
    concern.not_informed_reason = why? (char *) why: "";
    r.submit.body_case = SAMHAND__V1__SUBMIT__BODY_CONCERN;
    r.submit.concern = &concern;
    return s_send (cli, &r, "concern_report");
}

//  ---------------------------------------------------------------- risk

static const char *risk_help =
    "samhand risk - share a change in a person's risk with the partners.\n"
    "\n"
    "  samhand -c koordinator.cfg risk --case R-4F2A --level high --imminent \\\n"
    "      --factor \"threats after the breakup\" --measure violence_alarm,safety_plan \\\n"
    "      --review-by 2030-01-15\n"
    "\n"
    "The person (one of):\n"
    "  --case REF           your agency's case reference, or\n"
    "  --subject-id 11DIGITS  (with --subject-name NAME if you like)\n"
    "The risk:\n"
    "  --level low|moderate|high   required\n"
    "  --imminent           the danger is close in time\n"
    "  --serious-harm       risk of serious physical harm\n"
    "  --factor TEXT        a risk factor; repeat for more\n"
    "  --measure LIST       violence_alarm, restraining_order,\n"
    "                       reverse_violence_alarm, relocation, safety_plan,\n"
    "                       crisis_bed, secret_address, other\n"
    "  --review-by YYYY-MM-DD   when the plan is looked at again\n"
    "  --instrument NAME    SARA-V3 (default), SARA:SV, B-SAFER, PATRIARK, SAM, DASH\n"
    "                       or ODARA; nothing else\n"
    "  --text TEXT          anything else\n";

static const opt_spec_t risk_opts [] = {
    { "case", 0, OPT_VALUE },
    { "level", 0, OPT_VALUE },
    { "imminent", 0, OPT_FLAG },
    { "serious-harm", 0, OPT_FLAG },
    { "factor", 0, OPT_LIST },
    { "measure", 0, OPT_VALUE },
    { "review-by", 0, OPT_VALUE },
    { "instrument", 0, OPT_VALUE },
    { "text", 0, OPT_VALUE },
    { NULL, 0, OPT_FLAG }
};

int
cmd_risk (cli_t *cli, int argc, char **argv)
{
    opts_t opts;
    request_t r;
    char err [256];
    int rc = s_parse (cli, "risk", risk_help, risk_opts, true, argc, argv, &opts);
    if (rc >= 0)
        return rc;
    if ((rc = s_common ("risk", &opts, &r)) >= 0
    ||  (rc = s_subject ("risk", &opts, &r, false)) >= 0)
        return rc;
    static Samhand__V1__RiskChange risk;
    samhand__v1__risk_change__init (&risk);
    const char *ref = opts_get (&opts, "case");
    if ((!ref || !*ref) && !*r.subject.national_id)
        return cli_usage_error ("risk", "which person? Give --case REF or --subject-id");
    risk.case_ref = ref? (char *) ref: "";
    risk.subject = &r.subject;
    risk.instrument = "SARA-V3";
    if (opts_get (&opts, "instrument")) {
        //  A structured field: one of a fixed list, nothing else (a name or
        //  a number written here would reach partners unscanned).
        const char *instrument = samhand_instrument (opts_get (&opts, "instrument"));
        if (!instrument) {
            char list [160] = "";
            for (const char *const *i = samhand_instruments (); *i; i++)
                snprintf (list + strlen (list), sizeof list - strlen (list), "%s%s",
                          *list? ", ": "", *i);
            return cli_usage_error ("risk", "--instrument is one of %s; write names, numbers"
                                    " and notes in --text", list);
        }
        risk.instrument = (char *) instrument;
    }
    if (!opts_get (&opts, "level"))
        return cli_usage_error ("risk", "--level is needed: low, moderate or high");
    int level = opts_enum (opts_get (&opts, "level"), samhand_risk_level_from_name,
                           "--level", err, sizeof err);
    if (level < 0)
        return cli_usage_error ("risk", "%s (low, moderate or high)", err);
    risk.level = (Samhand__V1__RiskLevel) level;
    risk.imminent = opts_has (&opts, "imminent");
    risk.serious_physical_harm = opts_has (&opts, "serious-harm");
    static const char *factors [32];
    size_t n_factors = opts_all (&opts, "factor", factors, 32);
    for (size_t i = 0; i < n_factors; i++)
        if (!*factors [i])
            return cli_usage_error ("risk", "--factor needs a text");
    risk.risk_factors = (char **) factors;
    risk.n_risk_factors = n_factors;
    static Samhand__V1__Measure measures [MAX_LIST];
    if (opts_get (&opts, "measure")) {
        int values [MAX_LIST];
        int n = opts_enum_list (opts_get (&opts, "measure"), samhand_measure_from_name,
                                "--measure", values, MAX_LIST, err, sizeof err);
        if (n < 0)
            return cli_usage_error ("risk", "%s", err);
        for (int i = 0; i < n; i++)
            measures [i] = (Samhand__V1__Measure) values [i];
        risk.measures = measures;
        risk.n_measures = (size_t) n;
    }
    const char *review = opts_get (&opts, "review-by");
    if (review && !opts_date_valid (review))
        return cli_usage_error ("risk", "--review-by is a date written YYYY-MM-DD");
    risk.review_by = review? (char *) review: "";
    risk.text = opts_get (&opts, "text")? (char *) opts_get (&opts, "text"): "";
    r.submit.body_case = SAMHAND__V1__SUBMIT__BODY_RISK_CHANGE;
    r.submit.risk_change = &risk;
    return s_send (cli, &r, "risk_change");
}

//  ---------------------------------------------------------------- discuss

static const char *discuss_help =
    "samhand discuss - ask the partners about a case WITHOUT saying who it is.\n"
    "\n"
    "  samhand -c vakt.cfg discuss --text \"A woman in her 30s, active use, \\\n"
    "      afraid of her partner, refuses shelter.\" --question \"Options tonight?\"\n"
    "\n"
    "  --text TEXT          required: the situation, anonymously\n"
    "  --question TEXT      what you want to know\n"
    "\n"
    "The broker refuses the text if it finds a name, national id, phone\n"
    "number, e-mail, address, car number, case number, exact birth date or a\n"
    "mention of a crisis-centre stay, and tells you where it found it.\n";

static const opt_spec_t discuss_opts [] = {
    { "text", 0, OPT_VALUE },
    { "question", 0, OPT_VALUE },
    { NULL, 0, OPT_FLAG }
};

int
cmd_discuss (cli_t *cli, int argc, char **argv)
{
    opts_t opts;
    request_t r;
    int rc = s_parse (cli, "discuss", discuss_help, discuss_opts, false, argc, argv, &opts);
    if (rc >= 0)
        return rc;
    if ((rc = s_common ("discuss", &opts, &r)) >= 0)
        return rc;
    static Samhand__V1__CaseDiscussion discussion;
    samhand__v1__case_discussion__init (&discussion);
    discussion.text = (char *) opts_get (&opts, "text");
    if (!discussion.text || !*discussion.text)
        return cli_usage_error ("discuss", "--text is needed: the situation, without "
                                "saying who it is");
    discussion.question = opts_get (&opts, "question")? (char *) opts_get (&opts, "question")
                                                      : "";
    r.submit.body_case = SAMHAND__V1__SUBMIT__BODY_DISCUSSION;
    r.submit.discussion = &discussion;
    return s_send (cli, &r, "case_discussion");
}

//  ---------------------------------------------------------------- case-status

static const char *status_help =
    "samhand case-status - the primary contact's status report on a case\n"
    "(at least weekly) to the violence coordinator.\n"
    "\n"
    "  samhand -c tryggest.cfg case-status --case R-4F2A \\\n"
    "      --text \"Met her Tuesday; safety plan followed; next meeting Friday.\"\n"
    "\n"
    "  --case REF           required: your agency's case reference\n"
    "  --text TEXT          required\n";

static const opt_spec_t status_opts [] = {
    { "case", 0, OPT_VALUE },
    { "text", 0, OPT_VALUE },
    { NULL, 0, OPT_FLAG }
};

int
cmd_case_status (cli_t *cli, int argc, char **argv)
{
    opts_t opts;
    request_t r;
    int rc = s_parse (cli, "case-status", status_help, status_opts, false, argc, argv, &opts);
    if (rc >= 0)
        return rc;
    if ((rc = s_common ("case-status", &opts, &r)) >= 0)
        return rc;
    static Samhand__V1__CaseStatus status;
    samhand__v1__case_status__init (&status);
    status.case_ref = (char *) opts_get (&opts, "case");
    status.text = (char *) opts_get (&opts, "text");
    if (!status.case_ref || !*status.case_ref)
        return cli_usage_error ("case-status", "--case is needed: the case reference");
    if (!status.text || !*status.text)
        return cli_usage_error ("case-status", "%s", text_required);
    r.submit.body_case = SAMHAND__V1__SUBMIT__BODY_CASE_STATUS;
    r.submit.case_status = &status;
    return s_send (cli, &r, "case_status");
}
