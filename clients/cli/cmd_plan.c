/*  cmd_plan — the shared risk management plan (risikohåndteringsplan):
    show this node's view of it, its history, edit it (a whole new
    revision made from the current one), record its evaluation. The text
    rendering follows the paper form the resource centre uses.           */
#include "cli.h"
#include "jsonr.h"
#include <czmq.h>

#define MAX_EDITS 32

static const char *plan_help =
    "samhand plan - the shared risk management plan of a case.\n"
    "\n"
    "  samhand -c vakt.cfg plan show --case RC-7KQ4-M2XD-9FHA\n"
    "  samhand -c koordinator.cfg plan history --case RC-7KQ4-M2XD-9FHA\n"
    "  samhand -c koordinator.cfg plan history --case RC-... --diff 2 3\n"
    "  samhand -c koordinator.cfg plan edit --subject-id 01019012057 --level moderate \\\n"
    "      --add-step '1|resource_centre|trusler på telefon|vakta ringer 112'\n"
    "  samhand -c koordinator.cfg plan edit --case RC-... --level high --imminent yes \\\n"
    "      --add-measure violence_alarm --note 'løslatt i dag'\n"
    "  samhand -c koordinator.cfg plan evaluate --case RC-... --note 'stabil' [--next 2027-02-01]\n"
    "\n"
    "show       this node's view of the current plan (--revision N: an older one)\n"
    "history    every revision (who, when, what changed) and evaluation;\n"
    "           --diff A B shows the lines of revision A's view that B changed\n"
    "edit       a new revision made from the current one (this node must see the\n"
    "           whole plan); for a new plan name the person with --subject-id or\n"
    "           --subject-name with --subject-birth-date. Edits:\n"
    "  --level low|moderate|high     --imminent yes|no     --instrument SARA-V3\n"
    "  --add-measure M / --remove-measure M   violence_alarm, restraining_order,\n"
    "                                reverse_violence_alarm, relocation, safety_plan,\n"
    "                                crisis_bed, secret_address, other\n"
    "  --add-step 'N|AGENCY|SITUATION|ACTION'  trinn N (1-3), AGENCY responsible\n"
    "  --remove-step K               the K-th step as shown (1 = first)\n"
    "  --add-situation TEXT / --add-factor TEXT   risk situations / risk factors\n"
    "  --add-activity 'DAY|AGENCY|TEXT'          weekly follow-up (AGENCY may be -)\n"
    "  --add-contact 'INSTANCE|NAME|ROLE|PHONE'  contact point (fields may be empty)\n"
    "  --critical TEXT               annen kritisk informasjon\n"
    "  --next-evaluation YYYY-MM-DD  --primary-contact NODE   --note TEXT\n"
    "  --file PLAN.json  the whole plan as `plan show --json` writes it (its\n"
    "                    \"plan\" object, or the reply itself); its \"revision\" is\n"
    "                    the revision it was made from, so an edit of a file made\n"
    "                    from an old revision is refused (REVISION_CONFLICT); a step's\n"
    "                    \"text_clean\": false (the broker's identifier check found\n"
    "                    something: an agency without identity does not get the\n"
    "                    step) is the broker's and is read past\n"
    "evaluate   records the evaluation: --note TEXT [--next YYYY-MM-DD] (default:\n"
    "           one month ahead)\n"
    "  --json   JSON output (show, history, edit, evaluate)\n";

static const opt_spec_t plan_opts [] = {
    { "case", 0, OPT_VALUE },
    { "revision", 0, OPT_VALUE },
    { "json", 0, OPT_FLAG },
    { "diff", 0, OPT_FLAG },
    { "subject-id", 0, OPT_VALUE },
    { "subject-name", 0, OPT_VALUE },
    { "subject-birth-date", 0, OPT_VALUE },
    { "level", 0, OPT_VALUE },
    { "imminent", 0, OPT_VALUE },
    { "instrument", 0, OPT_VALUE },
    { "add-measure", 0, OPT_LIST },
    { "remove-measure", 0, OPT_LIST },
    { "add-step", 0, OPT_LIST },
    { "remove-step", 0, OPT_LIST },
    { "add-situation", 0, OPT_LIST },
    { "add-factor", 0, OPT_LIST },
    { "add-activity", 0, OPT_LIST },
    { "add-contact", 0, OPT_LIST },
    { "critical", 0, OPT_VALUE },
    { "next-evaluation", 0, OPT_VALUE },
    { "primary-contact", 0, OPT_VALUE },
    { "note", 0, OPT_VALUE },
    { "next", 0, OPT_VALUE },
    { "file", 0, OPT_VALUE },
    { NULL, 0, OPT_FLAG }
};

//  ---------------------------------------------------------------------
//  JSON and text of a plan (also used for deliveries, print.c)

static const char *
s_agency_or_none (int agency)
{
    return agency? samhand_agency_name (agency): "";
}

void
cli_plan_json (json_t *j, const char *key, const Samhand__V1__RiskPlan *p)
{
    json_object_begin (j, key);
    json_str_opt (j, "case_ref", p->case_ref);
    if (p->subject) {
        json_object_begin (j, "subject");
        json_str_opt (j, "name", p->subject->name);
        json_str_opt (j, "national_id", p->subject->national_id);
        json_str_opt (j, "birth_date", p->subject->birth_date);
        json_str_opt (j, "phone", p->subject->phone);
        json_str_opt (j, "address", p->subject->address);
        json_object_end (j);
    }
    json_uint (j, "revision", p->revision);
    json_uint (j, "base_revision", p->base_revision);
    json_str_opt (j, "edited_by", p->edited_by);
    if (p->edited_at) {
        char when [32];
        json_str (j, "edited_at", cli_time_iso (p->edited_at, when, sizeof when));
    }
    json_bool (j, "significant", p->significant);
    json_str_opt (j, "changes", p->changes);
    json_str_opt (j, "instrument", p->instrument);
    json_str_opt (j, "level", samhand_risk_level_name (p->level));
    json_bool (j, "imminent", p->imminent);
    json_array_begin (j, "measures");
    for (size_t i = 0; i < p->n_measures; i++)
        json_str (j, NULL, samhand_measure_name (p->measures [i]));
    json_array_end (j);
    json_array_begin (j, "risk_situations");
    for (size_t i = 0; i < p->n_risk_situations; i++)
        json_str (j, NULL, p->risk_situations [i]);
    json_array_end (j);
    json_array_begin (j, "risk_factors");
    for (size_t i = 0; i < p->n_risk_factors; i++)
        json_str (j, NULL, p->risk_factors [i]);
    json_array_end (j);
    json_array_begin (j, "steps");
    for (size_t i = 0; i < p->n_steps; i++) {
        const Samhand__V1__PlanStep *s = p->steps [i];
        json_object_begin (j, NULL);
        json_uint (j, "step", s->step);
        json_str_opt (j, "situation", s->situation);
        json_str_opt (j, "action", s->action);
        json_str_opt (j, "responsible", s_agency_or_none (s->responsible));
        //  Only when the broker's identifier check found something: such a
        //  step never reaches an agency that gets a pseudonymised view.
        if (!s->text_clean)
            json_bool (j, "text_clean", false);
        json_object_end (j);
    }
    json_array_end (j);
    json_array_begin (j, "follow_up");
    for (size_t i = 0; i < p->n_follow_up; i++) {
        const Samhand__V1__PlanActivity *a = p->follow_up [i];
        json_object_begin (j, NULL);
        json_str_opt (j, "day", samhand_weekday_name (a->day));
        json_str_opt (j, "activity", a->activity);
        json_str_opt (j, "responsible", s_agency_or_none (a->responsible));
        json_object_end (j);
    }
    json_array_end (j);
    json_array_begin (j, "contacts");
    for (size_t i = 0; i < p->n_contacts; i++) {
        const Samhand__V1__ContactPoint *c = p->contacts [i];
        json_object_begin (j, NULL);
        json_str_opt (j, "instance", c->instance);
        json_str_opt (j, "agency", s_agency_or_none (c->agency));
        json_str_opt (j, "name", c->name);
        json_str_opt (j, "role", c->role);
        json_str_opt (j, "phone", c->phone);
        json_object_end (j);
    }
    json_array_end (j);
    json_str_opt (j, "critical_info", p->critical_info);
    json_str_opt (j, "next_evaluation", p->next_evaluation);
    json_str_opt (j, "primary_contact", p->primary_contact);
    json_str_opt (j, "note", p->note);
    json_object_end (j);
}

static const char *
s_agency_words (int agency)
{
    switch (agency) {
        case SAMHAND__V1__AGENCY__RESOURCE_CENTRE: return "Ressurssenteret / Kvinnetiltaket";
        case SAMHAND__V1__AGENCY__TRYGGEST: return "TryggEst-teamet";
        case SAMHAND__V1__AGENCY__POLICE_RISK: return "Politiets RISK-team";
        case SAMHAND__V1__AGENCY__CRISIS_CENTRE: return "Krisesenteret";
        default: return "-";
    }
}

static bool
s_has_measure (const Samhand__V1__RiskPlan *p, int measure)
{
    for (size_t i = 0; i < p->n_measures; i++)
        if ((int) p->measures [i] == measure)
            return true;
    return false;
}

static void
s_field (FILE *out, const char *label, const char *value)
{
    fprintf (out, "%s ", label);
    cli_print_safe (out, value && *value? value: "-", "    ");
    fputc ('\n', out);
}

//  The plan laid out as the paper form (risikohåndteringsplan).
void
cli_plan_text (FILE *out, const Samhand__V1__RiskPlan *p)
{
    static const char *days [8] = { "-", "Mandag", "Tirsdag", "Onsdag", "Torsdag", "Fredag",
                                    "Lørdag", "Søndag" };
    static const char *levels [4] = { "-", "lav", "moderat", "høy" };
    char when [32] = "";
    if (p->edited_at)
        cli_time_local (p->edited_at, CLI_TIME_FORMAT, when, sizeof when);
    fprintf (out, "RISIKOHÅNDTERINGSPLAN\n");
    fprintf (out, "Sist oppdatert: %s, revisjon %u av ", when, p->revision);
    cli_print_safe (out, p->edited_by && *p->edited_by? p->edited_by: "-", "");
    fputc ('\n', out);
    s_field (out, "Saksreferanse:", p->case_ref);
    if (p->subject) {
        s_field (out, "Planen gjelder for:", p->subject->name);
        fprintf (out, "PID: ");
        cli_print_safe (out, *p->subject->national_id? p->subject->national_id: "-", "");
        fprintf (out, "   Født: ");
        cli_print_safe (out, *p->subject->birth_date? p->subject->birth_date: "-", "");
        fprintf (out, "   Telefon: ");
        cli_print_safe (out, *p->subject->phone? p->subject->phone: "-", "");
        fputc ('\n', out);
        if (*p->subject->address)
            s_field (out, "Bostedsadresse:", p->subject->address);
    }
    else
        fprintf (out, "Planen gjelder for: (ikke i din visning)\n");
    fprintf (out, "Risikovurdering: %s   Risikonivå: %s   Overhengende fare: %s\n",
             p->instrument && *p->instrument? p->instrument: "-",
             p->level <= 3? levels [p->level]: "?", p->imminent? "JA": "nei");
    fprintf (out, "Voldsrisikooppfølging fra politi/domstol: [%s] Voldsalarm  [%s] Besøksforbud"
             "  [%s] Omvendt voldsalarm\n",
             s_has_measure (p, SAMHAND__V1__MEASURE__VIOLENCE_ALARM)? "x": " ",
             s_has_measure (p, SAMHAND__V1__MEASURE__RESTRAINING_ORDER)? "x": " ",
             s_has_measure (p, SAMHAND__V1__MEASURE__REVERSE_VIOLENCE_ALARM)? "x": " ");
    bool other = false;
    for (size_t i = 0; i < p->n_measures; i++) {
        int m = p->measures [i];
        if (m == SAMHAND__V1__MEASURE__VIOLENCE_ALARM || m == SAMHAND__V1__MEASURE__RESTRAINING_ORDER
        ||  m == SAMHAND__V1__MEASURE__REVERSE_VIOLENCE_ALARM)
            continue;
        fprintf (out, "%s%s", other? ", ": "Andre tiltak: ", samhand_measure_name (m));
        other = true;
    }
    if (other)
        fputc ('\n', out);
    fprintf (out, "\nHÅNDTERINGSPLAN\n\nRisikosituasjoner:\n");
    if (!p->n_risk_situations)
        fprintf (out, "  -\n");
    for (size_t i = 0; i < p->n_risk_situations; i++) {
        fprintf (out, "  %zu. ", i + 1);
        cli_print_safe (out, p->risk_situations [i], "     ");
        fputc ('\n', out);
    }
    fprintf (out, "Risikofaktorer:\n");
    if (!p->n_risk_factors)
        fprintf (out, "  -\n");
    for (size_t i = 0; i < p->n_risk_factors; i++) {
        fprintf (out, "  %zu. ", i + 1);
        cli_print_safe (out, p->risk_factors [i], "     ");
        fputc ('\n', out);
    }
    fputc ('\n', out);
    if (!p->n_steps)
        fprintf (out, "Trinn: (ingen i din visning)\n");
    for (size_t i = 0; i < p->n_steps; i++) {
        const Samhand__V1__PlanStep *s = p->steps [i];
        fprintf (out, "Trinn %u: Situasjon/hendelse: ", s->step);
        cli_print_safe (out, s->situation, "         ");
        fprintf (out, "\n         Handling: ");
        cli_print_safe (out, s->action, "         ");
        fprintf (out, "\n         Ansvar: %s\n", s_agency_words (s->responsible));
    }
    fprintf (out, "\nOppfølging og aktivitetsplan:\n");
    if (!p->n_follow_up)
        fprintf (out, "  -\n");
    for (size_t i = 0; i < p->n_follow_up; i++) {
        const Samhand__V1__PlanActivity *a = p->follow_up [i];
        fprintf (out, "  %-8s ", a->day <= 7? days [a->day]: "?");
        cli_print_safe (out, a->activity, "           ");
        if (a->responsible)
            fprintf (out, "  (%s)", s_agency_words (a->responsible));
        fputc ('\n', out);
    }
    fprintf (out, "\nKontaktpersoner/nettverk:\n");
    if (!p->n_contacts)
        fprintf (out, "  -\n");
    else
        fprintf (out, "  %-28s %-24s %-20s %s\n", "Instans", "Navn", "Hvem/rolle", "Telefon");
    for (size_t i = 0; i < p->n_contacts; i++) {
        const Samhand__V1__ContactPoint *c = p->contacts [i];
        char cells [4][80];
        cli_text_head (*c->instance? c->instance: s_agency_words (c->agency), 28,
                       cells [0], sizeof cells [0]);
        cli_text_head (c->name, 24, cells [1], sizeof cells [1]);
        cli_text_head (c->role, 20, cells [2], sizeof cells [2]);
        cli_text_head (c->phone, 20, cells [3], sizeof cells [3]);
        fprintf (out, "  %-28s %-24s %-20s %s\n", cells [0], cells [1], cells [2], cells [3]);
    }
    if (p->primary_contact && *p->primary_contact)
        s_field (out, "  Primærkontakt (node):", p->primary_contact);
    fprintf (out, "\nAnnen kritisk informasjon:\n  ");
    cli_print_safe (out, p->critical_info && *p->critical_info? p->critical_info: "-", "  ");
    fprintf (out, "\n\nPlanen evalueres minimum 1/mnd i samarbeidsmøte. Neste evaluering: %s\n",
             p->next_evaluation && *p->next_evaluation? p->next_evaluation: "-");
    if (p->changes && *p->changes)
        s_field (out, "Endret i denne revisjonen:", p->changes);
    if (p->note && *p->note)
        s_field (out, "Merknad:", p->note);
}

//  ---------------------------------------------------------------------
//  show / history

static int
s_refusal (const char *what, Samhand__V1__Frame *reply, bool json)
{
    return cli_refusal (what, reply, json, NULL);
}

static Samhand__V1__Frame *
s_query (cli_t *cli, samhand_client_t *client, const char *case_ref, uint32_t revision,
         bool history, int *rc, bool json)
{
    Samhand__V1__Frame *reply = samhand_client_plan_query (client, case_ref, revision, history,
                                                           cli->wait_ms);
    if (!reply) {
        *rc = cli_no_answer (client, cli->wait_ms);
        return NULL;
    }
    if (reply->command_case != SAMHAND__V1__FRAME__COMMAND_PLAN_REPLY || !reply->plan_reply->ok) {
        *rc = s_refusal ("plan", reply, json);
        samhand_frame_destroy (&reply);
        return NULL;
    }
    *rc = EXIT_OK;
    return reply;
}

//  A PlanReply as JSON (also the web client's answer); HISTORY adds the
//  revisions and evaluations.
void
cli_plan_reply_json (json_t *j, const Samhand__V1__PlanReply *r, bool history)
{
    json_object_begin (j, NULL);
    json_bool (j, "ok", true);
    json_str_opt (j, "case_ref", r->case_ref);
    json_str (j, "view", samhand_view_name (r->view));
    json_str_opt (j, "rule", r->rule);
    json_str_opt (j, "legal_basis", r->legal_basis);
    json_str_opt (j, "reason", r->reason);
    json_uint (j, "current_revision", r->current_revision);
    if (r->plan)
        cli_plan_json (j, "plan", r->plan);
    if (history) {
        char when [32];
        json_array_begin (j, "revisions");
        for (size_t i = 0; i < r->n_revisions; i++) {
            const Samhand__V1__PlanRevision *v = r->revisions [i];
            json_object_begin (j, NULL);
            json_uint (j, "revision", v->revision);
            json_uint (j, "base_revision", v->base_revision);
            json_str_opt (j, "edited_by", v->edited_by);
            json_str (j, "edited_at", cli_time_iso (v->edited_at, when, sizeof when));
            json_bool (j, "significant", v->significant);
            json_str_opt (j, "changes", v->changes);
            if (v->purged)
                json_bool (j, "purged", true);
            json_object_end (j);
        }
        json_array_end (j);
        json_array_begin (j, "evaluations");
        for (size_t i = 0; i < r->n_evaluations; i++) {
            const Samhand__V1__PlanEvaluation *e = r->evaluations [i];
            json_object_begin (j, NULL);
            json_str_opt (j, "evaluated_by", e->evaluated_by);
            json_str (j, "evaluated_at", cli_time_iso (e->evaluated_at, when, sizeof when));
            json_str_opt (j, "next_date", e->next_date);
            json_str_opt (j, "note", e->note);
            json_object_end (j);
        }
        json_array_end (j);
    }
    json_object_end (j);
}

static void
s_view_line (const Samhand__V1__PlanReply *r)
{
    fprintf (stdout, "Din visning: %s (%s)", samhand_view_name (r->view), r->rule? r->rule: "");
    if (r->reason && *r->reason) {
        fprintf (stdout, " - ");
        cli_print_safe (stdout, r->reason, "");
    }
    fprintf (stdout, "\n\n");
}

//  Asks for CASE_REF's plan (REVISION, HISTORY) and prints the reply: as
//  JSON, or as TEXT writes it. Shared by show and history.
static int
s_query_print (cli_t *cli, samhand_client_t *client, const char *case_ref, uint32_t revision,
               bool history, bool json, void (*text) (const Samhand__V1__PlanReply *r))
{
    int rc;
    Samhand__V1__Frame *reply = s_query (cli, client, case_ref, revision, history, &rc, json);
    if (!reply)
        return rc;
    const Samhand__V1__PlanReply *r = reply->plan_reply;
    if (json) {
        json_t j;
        json_init (&j);
        cli_plan_reply_json (&j, r, history);
        rc = cli_json_out (&j) == 0? EXIT_OK: EXIT_FAILED;
        json_free (&j);
    }
    else
        text (r);
    samhand_frame_destroy (&reply);
    return rc;
}

static void
s_show_text (const Samhand__V1__PlanReply *r)
{
    s_view_line (r);
    if (r->plan)
        cli_plan_text (stdout, r->plan);
    else
        printf ("Planen er ikke delt med din virksomhet.\n");
}

static int
s_show (cli_t *cli, samhand_client_t *client, const opts_t *opts, const char *case_ref)
{
    int64_t revision = opts_get (opts, "revision")? opts_number (opts_get (opts, "revision"),
                                                                 UINT32_MAX): 0;
    if (revision < 0)
        return cli_usage_error ("plan", "--revision is a revision number");
    return s_query_print (cli, client, case_ref, (uint32_t) revision, false,
                          opts_has (opts, "json"), s_show_text);
}

//  Lines of A's text rendering that B does not have ("-"), and B's that A
//  does not have ("+"): what changed between two revisions in this
//  node's view, whatever part it is.
static int
s_diff (cli_t *cli, samhand_client_t *client, const char *case_ref, uint32_t a, uint32_t b)
{
    char *texts [2] = { NULL, NULL };
    size_t sizes [2];
    uint32_t revisions [2] = { a, b };
    int rc = EXIT_OK;
    for (int i = 0; i < 2 && rc == EXIT_OK; i++) {
        Samhand__V1__Frame *reply = s_query (cli, client, case_ref, revisions [i], false, &rc, false);
        if (!reply)
            break;
        FILE *mem = open_memstream (&texts [i], &sizes [i]);
        if (!mem)
            rc = EXIT_FAILED;
        else {
            if (reply->plan_reply->plan) {
                //  Not the revision's own lines: they always differ.
                Samhand__V1__RiskPlan p = *reply->plan_reply->plan;
                p.edited_at = 0;
                p.revision = 0;
                p.changes = (char *) "";
                p.note = (char *) "";
                cli_plan_text (mem, &p);
            }
            fclose (mem);
        }
        samhand_frame_destroy (&reply);
    }
    if (rc == EXIT_OK) {
        printf ("Endringer fra revisjon %u til %u (i din visning):\n", a, b);
        for (int side = 0; side < 2; side++) {
            char *mine = texts [side], *other = texts [1 - side], *save = NULL;
            char *copy = strdup (mine? mine: "");
            for (char *line = strtok_r (copy, "\n", &save); line; line = strtok_r (NULL, "\n", &save)) {
                //  A line counts as the same when the other text has it whole.
                bool found = false;
                for (char *at = other? strstr (other, line): NULL; at && !found;
                     at = strstr (at + 1, line))
                    found = (at == other || at [-1] == '\n')
                         && (at [strlen (line)] == '\n' || at [strlen (line)] == 0);
                if (!found) {
                    printf ("%s ", side? "+": "-");
                    cli_print_safe (stdout, line, "");
                    fputc ('\n', stdout);
                }
            }
            free (copy);
        }
    }
    free (texts [0]);
    free (texts [1]);
    return rc;
}

static void
s_history_text (const Samhand__V1__PlanReply *r)
{
    s_view_line (r);
    printf ("%-4s %-4s %-16s %-16s %s\n", "rev", "base", "when", "by", "what changed");
    for (size_t i = 0; i < r->n_revisions; i++) {
        const Samhand__V1__PlanRevision *v = r->revisions [i];
        char when [32];
        cli_time_local (v->edited_at, CLI_TIME_FORMAT, when, sizeof when);
        printf ("%-4u %-4u %-16s %-16s %s", v->revision, v->base_revision, when,
                v->edited_by, v->significant? "[VESENTLIG] ": "");
        cli_print_safe (stdout, v->purged? "(slettet etter lagringstiden)": v->changes, "");
        fputc ('\n', stdout);
    }
    if (r->n_evaluations)
        printf ("\nEvalueringer:\n");
    for (size_t i = 0; i < r->n_evaluations; i++) {
        const Samhand__V1__PlanEvaluation *e = r->evaluations [i];
        char when [32];
        cli_time_local (e->evaluated_at, CLI_TIME_FORMAT, when, sizeof when);
        printf ("  %s av ", when);
        cli_print_safe (stdout, e->evaluated_by, "");
        printf (", neste %s", e->next_date);
        if (e->note && *e->note) {
            printf (": ");
            cli_print_safe (stdout, e->note, "    ");
        }
        fputc ('\n', stdout);
    }
}

static int
s_history (cli_t *cli, samhand_client_t *client, const opts_t *opts, const char *case_ref)
{
    if (opts_has (opts, "diff")) {
        int64_t a = opts->n_pos >= 3? opts_number (opts->pos [1], UINT32_MAX): -1;
        int64_t b = opts->n_pos >= 3? opts_number (opts->pos [2], UINT32_MAX): -1;
        if (a < 1 || b < 1)
            return cli_usage_error ("plan", "--diff needs two revision numbers: --diff 2 3");
        return s_diff (cli, client, case_ref, (uint32_t) a, (uint32_t) b);
    }
    return s_query_print (cli, client, case_ref, 0, true, opts_has (opts, "json"), s_history_text);
}

//  ---------------------------------------------------------------------
//  edit

//  Splits "a|b|c" into at most MAX fields (in place). Returns the count.
static size_t
s_split (char *text, char **fields, size_t max)
{
    size_t n = 0;
    char *start = text;
    for (char *p = text;; p++)
        if (*p == '|' || *p == 0) {
            bool end = *p == 0;
            *p = 0;
            if (n < max)
                fields [n++] = start;
            if (end)
                break;
            start = p + 1;
        }
    return n;
}

//  Growable copies of the repeated parts, owned by the edit (the reply's
//  plan keeps its own; pointers into it are borrowed).
typedef struct {
    Samhand__V1__Measure measures [MAX_EDITS];
    size_t n_measures;
    char *situations [MAX_EDITS], *factors [MAX_EDITS];
    size_t n_situations, n_factors;
    Samhand__V1__PlanStep step_store [MAX_EDITS], *steps [MAX_EDITS];
    size_t n_steps;
    Samhand__V1__PlanActivity activity_store [MAX_EDITS], *activities [MAX_EDITS];
    size_t n_activities;
    Samhand__V1__ContactPoint contact_store [MAX_EDITS], *contacts [MAX_EDITS];
    size_t n_contacts;
    char buffers [MAX_EDITS * 4][1024];
    size_t n_buffers;
} edit_t;

static char *
s_buffer (edit_t *e, const char *text)
{
    if (e->n_buffers >= sizeof e->buffers / sizeof e->buffers [0] || strlen (text) >= 1024)
        return NULL;
    char *b = e->buffers [e->n_buffers++];
    snprintf (b, 1024, "%s", text);
    return b;
}

//  Applies the edit flags to PLAN (the current revision, or a new one).
//  Returns -1, or the exit code of a mistake.
static int
s_apply (const opts_t *opts, edit_t *e, Samhand__V1__RiskPlan *plan)
{
    char err [200];
    const char *values [MAX_EDITS];
    //  Start from what the plan holds
    for (size_t i = 0; i < plan->n_measures && e->n_measures < MAX_EDITS; i++)
        e->measures [e->n_measures++] = plan->measures [i];
    for (size_t i = 0; i < plan->n_risk_situations && e->n_situations < MAX_EDITS; i++)
        e->situations [e->n_situations++] = plan->risk_situations [i];
    for (size_t i = 0; i < plan->n_risk_factors && e->n_factors < MAX_EDITS; i++)
        e->factors [e->n_factors++] = plan->risk_factors [i];
    for (size_t i = 0; i < plan->n_steps && e->n_steps < MAX_EDITS; i++)
        e->steps [e->n_steps++] = plan->steps [i];
    for (size_t i = 0; i < plan->n_follow_up && e->n_activities < MAX_EDITS; i++)
        e->activities [e->n_activities++] = plan->follow_up [i];
    for (size_t i = 0; i < plan->n_contacts && e->n_contacts < MAX_EDITS; i++)
        e->contacts [e->n_contacts++] = plan->contacts [i];

    const char *level = opts_get (opts, "level");
    if (level) {
        int v = opts_enum (level, samhand_risk_level_from_name, "level", err, sizeof err);
        if (v < 0)
            return cli_usage_error ("plan", "%s", err);
        plan->level = (Samhand__V1__RiskLevel) v;
    }
    const char *imminent = opts_get (opts, "imminent");
    if (imminent) {
        if (!streq (imminent, "yes") && !streq (imminent, "no"))
            return cli_usage_error ("plan", "--imminent is yes or no");
        plan->imminent = streq (imminent, "yes");
    }
    const char *instrument = opts_get (opts, "instrument");
    if (instrument) {
        const char *canonical = samhand_instrument (instrument);
        if (!canonical)
            return cli_usage_error ("plan", "--instrument is one of SARA-V3, SARA:SV, B-SAFER,"
                                    " PATRIARK, SAM, DASH, ODARA");
        plan->instrument = (char *) canonical;
    }
    size_t n = opts_all (opts, "add-measure", values, MAX_EDITS);
    for (size_t i = 0; i < n; i++) {
        int m = opts_enum (values [i], samhand_measure_from_name, "measure", err, sizeof err);
        if (m < 0)
            return cli_usage_error ("plan", "%s", err);
        bool have = false;
        for (size_t k = 0; k < e->n_measures; k++)
            have = have || (int) e->measures [k] == m;
        if (!have && e->n_measures < MAX_EDITS)
            e->measures [e->n_measures++] = (Samhand__V1__Measure) m;
    }
    n = opts_all (opts, "remove-measure", values, MAX_EDITS);
    for (size_t i = 0; i < n; i++) {
        int m = opts_enum (values [i], samhand_measure_from_name, "measure", err, sizeof err);
        if (m < 0)
            return cli_usage_error ("plan", "%s", err);
        size_t kept = 0;
        for (size_t k = 0; k < e->n_measures; k++)
            if ((int) e->measures [k] != m)
                e->measures [kept++] = e->measures [k];
        if (kept == e->n_measures)
            return cli_usage_error ("plan", "the plan has no measure %s to remove", values [i]);
        e->n_measures = kept;
    }
    //  Removals by position as shown, before additions
    n = opts_all (opts, "remove-step", values, MAX_EDITS);
    for (size_t i = 0; i < n; i++) {
        int64_t k = opts_number (values [i], MAX_EDITS);
        if (k < 1 || (size_t) k > e->n_steps)
            return cli_usage_error ("plan", "--remove-step %s: the plan has %zu steps",
                                    values [i], e->n_steps);
        memmove (&e->steps [k - 1], &e->steps [k], (e->n_steps - (size_t) k) * sizeof e->steps [0]);
        e->n_steps--;
    }
    n = opts_all (opts, "add-step", values, MAX_EDITS);
    for (size_t i = 0; i < n && e->n_steps < MAX_EDITS; i++) {
        char *copy = s_buffer (e, values [i]), *f [4];
        if (!copy || s_split (copy, f, 4) != 4)
            return cli_usage_error ("plan", "--add-step is 'N|AGENCY|SITUATION|ACTION'");
        int64_t step = opts_number (f [0], 3);
        int agency = opts_enum (f [1], samhand_agency_from_name, "agency", err, sizeof err);
        if (step < 1 || agency < 0)
            return cli_usage_error ("plan", "--add-step: trinn 1-3 and an agency (%s)",
                                    agency < 0? err: f [0]);
        Samhand__V1__PlanStep *s = &e->step_store [i];
        samhand__v1__plan_step__init (s);
        s->step = (uint32_t) step;
        s->responsible = (Samhand__V1__Agency) agency;
        s->situation = f [2];
        s->action = f [3];
        e->steps [e->n_steps++] = s;
    }
    n = opts_all (opts, "add-situation", values, MAX_EDITS);
    for (size_t i = 0; i < n && e->n_situations < MAX_EDITS; i++)
        e->situations [e->n_situations++] = (char *) values [i];
    n = opts_all (opts, "add-factor", values, MAX_EDITS);
    for (size_t i = 0; i < n && e->n_factors < MAX_EDITS; i++)
        e->factors [e->n_factors++] = (char *) values [i];
    n = opts_all (opts, "add-activity", values, MAX_EDITS);
    for (size_t i = 0; i < n && e->n_activities < MAX_EDITS; i++) {
        char *copy = s_buffer (e, values [i]), *f [3];
        if (!copy || s_split (copy, f, 3) != 3)
            return cli_usage_error ("plan", "--add-activity is 'DAY|AGENCY|TEXT' (AGENCY may be -)");
        int day = opts_enum (f [0], samhand_weekday_from_name, "day", err, sizeof err);
        int agency = streq (f [1], "-") || !*f [1]? 0
                   : opts_enum (f [1], samhand_agency_from_name, "agency", err, sizeof err);
        if (day < 0 || agency < 0)
            return cli_usage_error ("plan", "--add-activity: %s", err);
        Samhand__V1__PlanActivity *a = &e->activity_store [i];
        samhand__v1__plan_activity__init (a);
        a->day = (Samhand__V1__Weekday) day;
        a->responsible = (Samhand__V1__Agency) agency;
        a->activity = f [2];
        e->activities [e->n_activities++] = a;
    }
    n = opts_all (opts, "add-contact", values, MAX_EDITS);
    for (size_t i = 0; i < n && e->n_contacts < MAX_EDITS; i++) {
        char *copy = s_buffer (e, values [i]), *f [4];
        if (!copy || s_split (copy, f, 4) != 4)
            return cli_usage_error ("plan", "--add-contact is 'INSTANCE|NAME|ROLE|PHONE'");
        Samhand__V1__ContactPoint *c = &e->contact_store [i];
        samhand__v1__contact_point__init (c);
        c->instance = f [0];
        int agency = samhand_agency_from_name (f [0]);
        c->agency = agency > 0? (Samhand__V1__Agency) agency: SAMHAND__V1__AGENCY__AGENCY_UNSPECIFIED;
        c->name = f [1];
        c->role = f [2];
        c->phone = f [3];
        e->contacts [e->n_contacts++] = c;
    }
    const char *critical = opts_get (opts, "critical");
    if (critical)
        plan->critical_info = (char *) critical;
    const char *next = opts_get (opts, "next-evaluation");
    if (next) {
        if (!opts_date_valid (next))
            return cli_usage_error ("plan", "--next-evaluation is a date written YYYY-MM-DD");
        plan->next_evaluation = (char *) next;
    }
    const char *primary = opts_get (opts, "primary-contact");
    if (primary)
        plan->primary_contact = (char *) primary;
    if (opts_get (opts, "note"))
        plan->note = (char *) opts_get (opts, "note");
    //  The edit's arrays replace the plan's (the plan's own stay owned by
    //  the reply frame and are freed with it, see s_edit).
    plan->measures = e->measures;
    plan->n_measures = e->n_measures;
    plan->risk_situations = e->situations;
    plan->n_risk_situations = e->n_situations;
    plan->risk_factors = e->factors;
    plan->n_risk_factors = e->n_factors;
    plan->steps = e->steps;
    plan->n_steps = e->n_steps;
    plan->follow_up = e->activities;
    plan->n_follow_up = e->n_activities;
    plan->contacts = e->contacts;
    plan->n_contacts = e->n_contacts;
    return -1;
}

//  ---------------------------------------------------------------------
//  edit --file: a plan as `plan show --json` writes it

#define MAX_FILE_SIZE (1 << 20)

//  What a plan read from JSON points at (its strings stay the tree's).
struct _cli_plan_parts_t {
    Samhand__V1__Subject subject;
    Samhand__V1__Measure measures [MAX_EDITS];
    char *situations [MAX_EDITS], *factors [MAX_EDITS];
    Samhand__V1__PlanStep step_store [MAX_EDITS], *steps [MAX_EDITS];
    Samhand__V1__PlanActivity activity_store [MAX_EDITS], *activities [MAX_EDITS];
    Samhand__V1__ContactPoint contact_store [MAX_EDITS], *contacts [MAX_EDITS];
    char what [200];                    //  the first mistake
};
typedef cli_plan_parts_t file_t;

static bool
s_fail_at (file_t *f, const char *where, const char *what)
{
    if (!*f->what)
        snprintf (f->what, sizeof f->what, "%s: %s", where, what);
    return false;
}

//  A string member (absent or null: ""), or false with the mistake noted.
static bool
s_text (file_t *f, const jsonr_t *object, const char *key, char **out)
{
    const jsonr_t *v = jsonr_get (object, key);
    if (!v || v->type == JSONR_NULL)
        *out = (char *) "";
    else
    if (v->type == JSONR_STRING)
        *out = v->string;
    else
        return s_fail_at (f, key, "must be a string");
    return true;
}

//  An enum member by its CLI name (absent, null or "": 0).
static bool
s_enum (file_t *f, const jsonr_t *object, const char *key, int (*from_name) (const char *),
        int *out)
{
    char *text;
    if (!s_text (f, object, key, &text))
        return false;
    *out = *text? from_name (text): 0;
    return *out >= 0 || s_fail_at (f, key, "not a known name");
}

//  Every key of OBJECT must be in KNOWN (a typo must not drop a part).
static bool
s_known_keys (file_t *f, const jsonr_t *object, const char *where, const char *const *known)
{
    for (size_t i = 0; i < object->count; i++) {
        bool ok = false;
        for (const char *const *k = known; *k && !ok; k++)
            ok = strcmp (*k, object->keys [i]) == 0;
        if (!ok) {
            char what [120];
            snprintf (what, sizeof what, "unknown member \"%.60s\"", object->keys [i]);
            return s_fail_at (f, where, what);
        }
    }
    return true;
}

static const jsonr_t *
s_array (file_t *f, const jsonr_t *object, const char *key)
{
    const jsonr_t *v = jsonr_get (object, key);
    if (!v || v->type == JSONR_NULL)
        return NULL;
    if (v->type != JSONR_ARRAY || v->count > MAX_EDITS) {
        s_fail_at (f, key, "must be a list of at most 32");
        return NULL;
    }
    return v;
}

static bool
s_strings (file_t *f, const jsonr_t *object, const char *key, char **out, size_t *n)
{
    const jsonr_t *a = s_array (f, object, key);
    *n = 0;
    for (size_t i = 0; a && i < a->count; i++) {
        if (a->items [i].type != JSONR_STRING)
            return s_fail_at (f, key, "must be a list of strings");
        out [(*n)++] = a->items [i].string;
    }
    return !*f->what;
}

//  The parts of a plan an edit replaces whole: each one P holds is set on
//  PLAN (null: emptied), one P does not hold is left as PLAN has it.
//  False with f->what set.
static bool
s_parts (file_t *f, const jsonr_t *p, Samhand__V1__RiskPlan *plan)
{
    //  text_clean is the broker's (plan show --json writes it): read past,
    //  the broker sets it again.
    static const char *const step_keys [] = {
        "step", "situation", "action", "responsible", "text_clean", NULL };
    static const char *const activity_keys [] = { "day", "activity", "responsible", NULL };
    static const char *const contact_keys [] = {
        "instance", "agency", "name", "role", "phone", NULL };
    int value;
    const jsonr_t *a = s_array (f, p, "measures");
    if (jsonr_get (p, "measures"))
        plan->n_measures = 0;
    for (size_t i = 0; a && i < a->count; i++) {
        int m = a->items [i].type == JSONR_STRING? samhand_measure_from_name (a->items [i].string): -1;
        if (m < 0)
            return s_fail_at (f, "measures", "not a known measure");
        f->measures [plan->n_measures++] = (Samhand__V1__Measure) m;
    }
    if (jsonr_get (p, "measures"))
        plan->measures = f->measures;
    if (jsonr_get (p, "risk_situations")) {
        if (!s_strings (f, p, "risk_situations", f->situations, &plan->n_risk_situations))
            return false;
        plan->risk_situations = f->situations;
    }
    if (jsonr_get (p, "risk_factors")) {
        if (!s_strings (f, p, "risk_factors", f->factors, &plan->n_risk_factors))
            return false;
        plan->risk_factors = f->factors;
    }
    if (jsonr_get (p, "critical_info") && !s_text (f, p, "critical_info", &plan->critical_info))
        return false;
    a = s_array (f, p, "steps");
    if (jsonr_get (p, "steps"))
        plan->n_steps = 0;
    for (size_t i = 0; a && i < a->count; i++) {
        const jsonr_t *o = &a->items [i];
        Samhand__V1__PlanStep *s = &f->step_store [i];
        samhand__v1__plan_step__init (s);
        const jsonr_t *n = jsonr_get (o, "step");
        if (o->type != JSONR_OBJECT || !s_known_keys (f, o, "steps", step_keys)
        ||  !n || n->type != JSONR_NUMBER || n->number < 1 || n->number > 3)
            return s_fail_at (f, "steps", "each is {\"step\": 1-3, \"situation\", \"action\","
                              " \"responsible\"}");
        s->step = (uint32_t) n->number;
        if (!s_text (f, o, "situation", &s->situation) || !s_text (f, o, "action", &s->action)
        ||  !s_enum (f, o, "responsible", samhand_agency_from_name, &value))
            return false;
        s->responsible = (Samhand__V1__Agency) value;
        f->steps [plan->n_steps++] = s;
    }
    if (jsonr_get (p, "steps"))
        plan->steps = f->steps;
    a = s_array (f, p, "follow_up");
    if (jsonr_get (p, "follow_up"))
        plan->n_follow_up = 0;
    for (size_t i = 0; a && i < a->count; i++) {
        const jsonr_t *o = &a->items [i];
        Samhand__V1__PlanActivity *act = &f->activity_store [i];
        samhand__v1__plan_activity__init (act);
        int day;
        if (o->type != JSONR_OBJECT || !s_known_keys (f, o, "follow_up", activity_keys)
        ||  !s_enum (f, o, "day", samhand_weekday_from_name, &day)
        ||  !s_text (f, o, "activity", &act->activity)
        ||  !s_enum (f, o, "responsible", samhand_agency_from_name, &value))
            return s_fail_at (f, "follow_up", "each is {\"day\", \"activity\", \"responsible\"}");
        act->day = (Samhand__V1__Weekday) day;
        act->responsible = (Samhand__V1__Agency) value;
        f->activities [plan->n_follow_up++] = act;
    }
    if (jsonr_get (p, "follow_up"))
        plan->follow_up = f->activities;
    a = s_array (f, p, "contacts");
    if (jsonr_get (p, "contacts"))
        plan->n_contacts = 0;
    for (size_t i = 0; a && i < a->count; i++) {
        const jsonr_t *o = &a->items [i];
        Samhand__V1__ContactPoint *c = &f->contact_store [i];
        samhand__v1__contact_point__init (c);
        if (o->type != JSONR_OBJECT || !s_known_keys (f, o, "contacts", contact_keys)
        ||  !s_text (f, o, "instance", &c->instance) || !s_text (f, o, "name", &c->name)
        ||  !s_text (f, o, "role", &c->role) || !s_text (f, o, "phone", &c->phone)
        ||  !s_enum (f, o, "agency", samhand_agency_from_name, &value))
            return s_fail_at (f, "contacts", "each is {\"instance\", \"agency\", \"name\","
                              " \"role\", \"phone\"}");
        c->agency = (Samhand__V1__Agency) value;
        f->contacts [plan->n_contacts++] = c;
    }
    if (jsonr_get (p, "contacts"))
        plan->contacts = f->contacts;
    return !*f->what;
}

//  Fills PLAN from the "plan" object P. Returns false with f->what set.
static bool
s_plan_from_file (file_t *f, const jsonr_t *p, Samhand__V1__RiskPlan *plan, uint32_t *made_from)
{
    static const char *const plan_keys [] = {
        "case_ref", "subject", "revision", "base_revision", "edited_by", "edited_at", "significant",
        "changes", "instrument", "level", "imminent", "measures", "risk_situations", "risk_factors",
        "steps", "follow_up", "contacts", "critical_info", "next_evaluation", "primary_contact",
        "note", NULL };
    static const char *const subject_keys [] = {
        "name", "national_id", "birth_date", "phone", "address", NULL };
    int value;
    if (p->type != JSONR_OBJECT || !s_known_keys (f, p, "plan", plan_keys))
        return s_fail_at (f, "plan", "must be an object");
    const jsonr_t *rev = jsonr_get (p, "revision");
    *made_from = rev && rev->type == JSONR_NUMBER && rev->number >= 0 && rev->number < 1e9
               ? (uint32_t) rev->number: 0;
    if (!s_text (f, p, "case_ref", &plan->case_ref)
    ||  !s_text (f, p, "instrument", &plan->instrument)
    ||  !s_text (f, p, "next_evaluation", &plan->next_evaluation)
    ||  !s_text (f, p, "primary_contact", &plan->primary_contact)
    ||  !s_text (f, p, "note", &plan->note)
    ||  !s_enum (f, p, "level", samhand_risk_level_from_name, &value))
        return false;
    plan->level = (Samhand__V1__RiskLevel) value;
    const jsonr_t *imminent = jsonr_get (p, "imminent");
    if (imminent && imminent->type != JSONR_BOOL && imminent->type != JSONR_NULL)
        return s_fail_at (f, "imminent", "must be true or false");
    plan->imminent = imminent && imminent->type == JSONR_BOOL && imminent->boolean;
    const jsonr_t *subject = jsonr_get (p, "subject");
    if (subject && subject->type == JSONR_OBJECT) {
        samhand__v1__subject__init (&f->subject);
        if (!s_known_keys (f, subject, "subject", subject_keys)
        ||  !s_text (f, subject, "name", &f->subject.name)
        ||  !s_text (f, subject, "national_id", &f->subject.national_id)
        ||  !s_text (f, subject, "birth_date", &f->subject.birth_date)
        ||  !s_text (f, subject, "phone", &f->subject.phone)
        ||  !s_text (f, subject, "address", &f->subject.address))
            return false;
        plan->subject = &f->subject;
    }
    return s_parts (f, p, plan);
}

cli_plan_parts_t *
cli_plan_parts_new (void)
{
    return (cli_plan_parts_t *) calloc (1, sizeof (cli_plan_parts_t));
}

void
cli_plan_parts_destroy (cli_plan_parts_t **self_p)
{
    assert (self_p);
    free (*self_p);
    *self_p = NULL;
}

const char *
cli_plan_parts_read (cli_plan_parts_t *self, const jsonr_t *parts, Samhand__V1__RiskPlan *plan)
{
    static const char *const part_keys [] = {
        "risk_situations", "risk_factors", "steps", "follow_up", "contacts", "critical_info", NULL };
    assert (self && parts && plan);
    *self->what = 0;
    if (parts->type != JSONR_OBJECT)
        s_fail_at (self, "parts", "must be an object");
    else
    if (s_known_keys (self, parts, "parts", part_keys))
        s_parts (self, parts, plan);
    return *self->what? self->what: NULL;
}

void
cli_plan_broker_fields_clear (Samhand__V1__RiskPlan *plan, uint32_t base)
{
    plan->base_revision = base;
    plan->revision = 0;
    plan->edited_by = (char *) "";
    plan->edited_at = 0;
    plan->significant = false;
    plan->changes = (char *) "";
}

//  Reads PATH into a tree. NULL after a clear message on stderr.
static jsonr_t *
s_read_file (const char *path)
{
    FILE *file = streq (path, "-")? stdin: fopen (path, "rb");
    if (!file) {
        fprintf (stderr, "plan: cannot read %s\n", path);
        return NULL;
    }
    char *data = (char *) malloc (MAX_FILE_SIZE + 1);
    size_t size = data? fread (data, 1, MAX_FILE_SIZE + 1, file): 0;
    if (file != stdin)
        fclose (file);
    jsonr_t *tree = NULL;
    char err [160];
    if (!data)
        fprintf (stderr, "plan: out of memory\n");
    else
    if (size > MAX_FILE_SIZE)
        fprintf (stderr, "plan: %s is larger than 1 MB\n", path);
    else
    if (!(tree = jsonr_parse (data, size, err, sizeof err)))
        fprintf (stderr, "plan: %s is not JSON: %s\n", path, err);
    free (data);
    return tree;
}

//  Sends PLAN as a revision made from BASE and prints the result.
static int
s_send_revision (cli_t *cli, samhand_client_t *client, Samhand__V1__RiskPlan *plan,
                 uint32_t base, bool json)
{
    cli_plan_broker_fields_clear (plan, base);
    Samhand__V1__Submit submit = SAMHAND__V1__SUBMIT__INIT;
    submit.body_case = SAMHAND__V1__SUBMIT__BODY_RISK_PLAN;
    submit.risk_plan = plan;
    Samhand__V1__Frame *reply = NULL;
    int rc, sent = samhand_client_submit (client, &submit, cli->wait_ms, 2, &reply);
    if (sent < 0)
        rc = cli_no_answer (client, cli->wait_ms * 3);
    else {
        rc = cli_print_submit (reply, "risk_plan", json);
        if (sent == 0 && !json)
            printf ("revision %u (made from revision %u)\n", base + 1, base);
        const Samhand__V1__Error *error = samhand_reply_error (reply);
        if (error && error->code == SAMHAND__V1__ERROR_CODE__REVISION_CONFLICT)
            fprintf (stderr, "plan: someone changed the plan meanwhile: run `plan show` and"
                     " make your edit again on the current revision\n");
    }
    samhand_frame_destroy (&reply);
    return rc;
}

static int s_apply (const opts_t *opts, edit_t *e, Samhand__V1__RiskPlan *plan);

static int
s_edit_file (cli_t *cli, samhand_client_t *client, const opts_t *opts, const char *case_ref)
{
    jsonr_t *tree = s_read_file (opts_get (opts, "file"));
    if (!tree)
        return EXIT_FAILED;
    const jsonr_t *p = jsonr_get (tree, "plan");
    if (!p)
        p = tree;               //  the plan object itself
    file_t *f = (file_t *) calloc (1, sizeof (file_t));
    edit_t *e = (edit_t *) calloc (1, sizeof (edit_t));
    Samhand__V1__RiskPlan plan = SAMHAND__V1__RISK_PLAN__INIT;
    uint32_t made_from = 0;
    int rc = EXIT_FAILED;
    if (f && e) {
        if (!s_plan_from_file (f, p, &plan, &made_from))
            rc = cli_usage_error ("plan", "%s: %s", opts_get (opts, "file"), f->what);
        else {
            if (case_ref)
                plan.case_ref = (char *) case_ref;
            //  The flags apply on top of the file.
            rc = s_apply (opts, e, &plan);
            if (rc < 0 && !*plan.case_ref && !plan.subject)
                rc = cli_usage_error ("plan", "the file names no case_ref or subject: give --case");
            if (rc < 0 && !plan.level)
                rc = cli_usage_error ("plan", "the plan needs a level");
            if (rc < 0)
                rc = s_send_revision (cli, client, &plan, made_from, opts_has (opts, "json"));
        }
    }
    free (e);
    free (f);
    jsonr_free (&tree);
    return rc;
}

static int
s_edit (cli_t *cli, samhand_client_t *client, const opts_t *opts, const char *case_ref)
{
    if (opts_get (opts, "file"))
        return s_edit_file (cli, client, opts, case_ref);
    bool json = opts_has (opts, "json");
    Samhand__V1__Frame *current = NULL;
    Samhand__V1__RiskPlan fresh = SAMHAND__V1__RISK_PLAN__INIT, *plan = &fresh;
    Samhand__V1__Subject subject = SAMHAND__V1__SUBJECT__INIT;
    int rc;
    if (case_ref) {
        current = s_query (cli, client, case_ref, 0, false, &rc, json);
        if (!current && rc != EXIT_REFUSED)
            return rc;
        if (!current) {
            //  No plan yet for a case this agency knows: a first revision.
            fprintf (stderr, "plan: starting a new plan for %s\n", case_ref);
        }
        else
        if (current->plan_reply->view != SAMHAND__V1__VIEW__IDENTIFIED
        ||  !current->plan_reply->plan) {
            fprintf (stderr, "plan: you see only part of this plan (%s): an edit must start from"
                     " the whole plan, so ask the coordinator\n",
                     samhand_view_name (current->plan_reply->view));
            samhand_frame_destroy (&current);
            return EXIT_REFUSED;
        }
        else
            plan = current->plan_reply->plan;
    }
    else {
        const char *id = opts_get (opts, "subject-id");
        const char *name = opts_get (opts, "subject-name");
        const char *birth = opts_get (opts, "subject-birth-date");
        if (!id && !(name && birth))
            return cli_usage_error ("plan", "edit needs --case REF, or for a new plan the person:"
                                    " --subject-id, or --subject-name with --subject-birth-date");
        subject.national_id = (char *) (id? id: "");
        subject.name = (char *) (name? name: "");
        subject.birth_date = (char *) (birth? birth: "");
        plan->subject = &subject;
    }
    uint32_t base = current? current->plan_reply->current_revision: 0;
    //  The reply's own pointers, put back before the reply is freed: the
    //  edit points the plan at arrays and strings it does not own.
    Samhand__V1__RiskPlan saved = *plan;
    if (case_ref)
        plan->case_ref = (char *) case_ref;
    plan->note = (char *) "";           //  a note belongs to one revision
    edit_t *e = (edit_t *) calloc (1, sizeof (edit_t));
    if (!e) {
        samhand_frame_destroy (&current);
        return EXIT_FAILED;
    }
    rc = s_apply (opts, e, plan);
    if (rc < 0 && !plan->level)
        rc = cli_usage_error ("plan", "a new plan needs --level");
    if (rc < 0)
        rc = s_send_revision (cli, client, plan, base, json);
    if (current)
        *current->plan_reply->plan = saved;
    samhand_frame_destroy (&current);
    free (e);
    return rc;
}

static int
s_evaluate (cli_t *cli, samhand_client_t *client, const opts_t *opts, const char *case_ref)
{
    bool json = opts_has (opts, "json");
    const char *next = opts_get (opts, "next");
    if (next && !opts_date_valid (next))
        return cli_usage_error ("plan", "--next is a date written YYYY-MM-DD");
    if (!opts_get (opts, "note"))
        return cli_usage_error ("plan", "evaluate needs --note (what the meeting concluded)");
    Samhand__V1__Frame *reply = samhand_client_plan_evaluate (client, case_ref,
                                                              opts_get (opts, "note"), next,
                                                              cli->wait_ms);
    if (!reply)
        return cli_no_answer (client, cli->wait_ms);
    int rc;
    if (reply->command_case != SAMHAND__V1__FRAME__COMMAND_PLAN_REPLY || !reply->plan_reply->ok)
        rc = s_refusal ("plan evaluate", reply, json);
    else {
        const Samhand__V1__PlanReply *r = reply->plan_reply;
        const char *next_date = r->n_evaluations? r->evaluations [0]->next_date: "";
        if (json) {
            json_t j;
            json_init (&j);
            json_object_begin (&j, NULL);
            json_bool (&j, "ok", true);
            json_uint (&j, "revision", r->current_revision);
            json_str_opt (&j, "next_date", next_date);
            json_object_end (&j);
            rc = cli_json_out (&j) == 0? EXIT_OK: EXIT_FAILED;
            json_free (&j);
        }
        else {
            printf ("evaluation recorded (revision %u); next evaluation %s\n",
                    r->current_revision, next_date);
            rc = EXIT_OK;
        }
    }
    samhand_frame_destroy (&reply);
    return rc;
}

int
cmd_plan (cli_t *cli, int argc, char **argv)
{
    const opt_spec_t *specs [] = { plan_opts, NULL };
    opts_t opts;
    int rc = cli_parse (cli, "plan", plan_help, specs, argc, argv, &opts);
    if (rc >= 0)
        return rc;
    if (opts.n_pos < 1)
        return cli_usage_error ("plan", "show, history, edit or evaluate?");
    const char *what = opts.pos [0];
    const char *case_ref = opts_get (&opts, "case");
    if (!streq (what, "show") && !streq (what, "history") && !streq (what, "edit")
    &&  !streq (what, "evaluate"))
        return cli_usage_error ("plan", "unknown plan command '%s'", what);
    if (!case_ref && !streq (what, "edit"))
        return cli_usage_error ("plan", "%s needs --case REF (your agency's case reference)", what);
    if (opts.n_pos > 1 && !(streq (what, "history") && opts_has (&opts, "diff")))
        return cli_usage_error ("plan", "unexpected '%s'", opts.pos [1]);
    samhand_client_t *client = cli_connect (cli);
    if (!client)
        return EXIT_FAILED;
    if (streq (what, "show"))
        rc = s_show (cli, client, &opts, case_ref);
    else
    if (streq (what, "history"))
        rc = s_history (cli, client, &opts, case_ref);
    else
    if (streq (what, "edit"))
        rc = s_edit (cli, client, &opts, case_ref);
    else
        rc = s_evaluate (cli, client, &opts, case_ref);
    samhand_client_destroy (&client);
    return rc;
}
