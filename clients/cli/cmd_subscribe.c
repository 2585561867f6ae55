/*  cmd_subscribe — subscribe: show or change what this node receives at all
    (its stored subscription at the broker). A change is an explicit act,
    audited by the broker as subscription_changed with the old and the new
    subscription; listen --kinds never changes it.                        */
#include "cli.h"
#include <czmq.h>

static const char *subscribe_help =
    "samhand subscribe - show or change what this node receives at all.\n"
    "\n"
    "  samhand -c tryggest.cfg subscribe --show\n"
    "  samhand -c tryggest.cfg subscribe --kinds concern_report,alert\n"
    "  samhand -c politi.cfg subscribe --kinds concern_report --min-urgency urgent\n"
    "  samhand -c tryggest.cfg subscribe --reset\n"
    "\n"
    "  --show               print the subscription in force (the default)\n"
    "  --kinds LIST         receive only these from now on: concern_report,\n"
    "                       risk_change, case_discussion, case_status,\n"
    "                       consent_notice, alert\n"
    "  --min-urgency U      with --kinds: concern reports below U (routine,\n"
    "                       urgent, acute) are not routed to this node\n"
    "  --min-risk-level L   with --kinds: risk changes below L (low, moderate,\n"
    "                       high) are not routed to this node\n"
    "  --reset              back to the default for this node's role\n"
    "  --json               print {\"kinds\":[...],\"min_urgency\":...,\"changed\":...}\n"
    "\n"
    "What this node does not take is not kept for it, not even for later. When\n"
    "no node of your agency takes a message decided for it, its sender is\n"
    "warned. The broker records every change in its audit log. To see only some\n"
    "kinds for a while, use listen --kinds instead: that changes nothing here.\n";

static const opt_spec_t subscribe_opts [] = {
    { "show", 0, OPT_FLAG },
    { "kinds", 0, OPT_VALUE },
    { "min-urgency", 0, OPT_VALUE },
    { "min-risk-level", 0, OPT_VALUE },
    { "reset", 0, OPT_FLAG },
    { "json", 0, OPT_FLAG },
    { NULL, 0, OPT_FLAG }
};

static void
s_print (const Samhand__V1__Subscribed *s, bool json)
{
    if (json) {
        json_t j;
        json_init (&j);
        json_object_begin (&j, NULL);
        json_str (&j, "node", s->node);
        json_array_begin (&j, "kinds");
        for (size_t i = 0; i < s->n_kinds; i++)
            json_str (&j, NULL, samhand_kind_name (s->kinds [i]));
        json_array_end (&j);
        json_str (&j, "min_urgency", s->min_urgency? samhand_urgency_name (s->min_urgency): "");
        json_str (&j, "min_risk_level",
                  s->min_risk_level? samhand_risk_level_name (s->min_risk_level): "");
        json_bool (&j, "changed", s->changed);
        json_object_end (&j);
        cli_json_out (&j);
        json_free (&j);
        return;
    }
    cli_print_safe (stdout, s->node, "");
    printf (" receives: ");
    for (size_t i = 0; i < s->n_kinds; i++)
        printf ("%s%s", i? ", ": "", samhand_kind_name (s->kinds [i]));
    if (!s->n_kinds)
        printf ("nothing");
    if (s->min_urgency)
        printf ("; concern reports from %s up", samhand_urgency_name (s->min_urgency));
    if (s->min_risk_level)
        printf ("; risk changes from %s up", samhand_risk_level_name (s->min_risk_level));
    printf ("%s\n", s->changed? "  (changed now)": "");
    fflush (stdout);
}

int
cmd_subscribe (cli_t *cli, int argc, char **argv)
{
    opts_t opts;
    char err [256];
    const opt_spec_t *const specs [] = { subscribe_opts, NULL };
    int rc = cli_parse (cli, "subscribe", subscribe_help, specs, argc, argv, &opts);
    if (rc >= 0)
        return rc;
    if (opts.n_pos)
        return cli_usage_error ("subscribe", "unexpected '%s'", opts.pos [0]);
    bool reset = opts_has (&opts, "reset");
    const char *list = opts_get (&opts, "kinds");
    if ((reset && list) || (opts_has (&opts, "show") && (reset || list)))
        return cli_usage_error ("subscribe", "give one of --show, --kinds or --reset");
    if (!list && (opts_get (&opts, "min-urgency") || opts_get (&opts, "min-risk-level")))
        return cli_usage_error ("subscribe", "--min-urgency and --min-risk-level go with --kinds");
    Samhand__V1__Subscribe subscribe = SAMHAND__V1__SUBSCRIBE__INIT;
    subscribe.manage_only = true;
    subscribe.reset = reset;
    Samhand__V1__Kind kinds [8];
    if (list) {
        int values [8];
        int n = opts_enum_list (list, samhand_kind_from_name, "--kinds", values, 8,
                                err, sizeof err);
        if (n < 0)
            return cli_usage_error ("subscribe", "%s", err);
        if (n == 0)
            return cli_usage_error ("subscribe", "--kinds needs at least one kind"
                                    " (to go back to the default, use --reset)");
        for (int i = 0; i < n; i++)
            kinds [i] = (Samhand__V1__Kind) values [i];
        subscribe.kinds = kinds;
        subscribe.n_kinds = (size_t) n;
    }
    const char *urgency = opts_get (&opts, "min-urgency");
    if (urgency) {
        int value = samhand_urgency_from_name (urgency);
        if (value <= 0)
            return cli_usage_error ("subscribe", "--min-urgency is routine, urgent or acute");
        subscribe.min_urgency = (Samhand__V1__Urgency) value;
    }
    const char *level = opts_get (&opts, "min-risk-level");
    if (level) {
        int value = samhand_risk_level_from_name (level);
        if (value <= 0)
            return cli_usage_error ("subscribe", "--min-risk-level is low, moderate or high");
        subscribe.min_risk_level = (Samhand__V1__RiskLevel) value;
    }

    samhand_client_t *client = cli_connect (cli);
    if (!client)
        return EXIT_FAILED;
    Samhand__V1__Frame *reply = samhand_client_subscribe (client, &subscribe, cli->wait_ms);
    int code = EXIT_OK;
    if (!reply)
        code = cli_no_answer (client, cli->wait_ms);
    else
    if (reply->command_case != SAMHAND__V1__FRAME__COMMAND_SUBSCRIBED)
        code = cli_refused ("subscribe", reply);
    else
        s_print (reply->subscribed, opts_has (&opts, "json"));
    samhand_frame_destroy (&reply);
    samhand_client_destroy (&client);
    return code;
}
