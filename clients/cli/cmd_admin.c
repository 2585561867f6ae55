/*  cmd_admin — admin dead-letters (admin nodes): deliveries the broker
    gave up on after too many tries, and putting one back (AdminCommand).
    The broker commits and audits a requeue before it answers.            */
#include "cli.h"
#include <czmq.h>

static const char *admin_help =
    "samhand admin - broker housekeeping. For admin nodes only.\n"
    "\n"
    "  samhand -c admin.cfg admin dead-letters\n"
    "  samhand -c admin.cfg admin dead-letters --requeue 40\n"
    "\n"
    "dead-letters           lists deliveries the broker gave up on: the node never\n"
    "                       confirmed them after the maximum number of tries\n"
    "                       (delivery id, node, kind, tries, sender, submitted).\n"
    "                       The sender was told (a dead_letter alert). Usually the\n"
    "                       node was down or its program broken: fix that first.\n"
    "  --requeue ID         put delivery ID back in its node's queue: it is sent\n"
    "                       again from attempt 1 the next time the node listens\n"
    "  --json               {\"dead_letters\":[{delivery_id, message_id, node, kind,\n"
    "                       attempts, sender, submitted_at}]}; with --requeue also\n"
    "                       \"requeued\": ID\n"
    "Exit: 0 done; 3 refused (not an admin node, not a dead letter); 4 no answer.\n";

static const opt_spec_t admin_opts [] = {
    { "requeue", 0, OPT_VALUE },
    { "json", 0, OPT_FLAG },
    { NULL, 0, OPT_FLAG }
};

static int
s_show (const Samhand__V1__AdminReply *r, uint64_t requeued, bool json)
{
    if (json) {
        json_t j;
        json_init (&j);
        json_object_begin (&j, NULL);
        if (requeued)
            json_uint (&j, "requeued", requeued);
        json_array_begin (&j, "dead_letters");
        for (size_t i = 0; i < r->n_dead_letters; i++)
            cli_dead_letter_json (&j, r->dead_letters [i]);
        json_array_end (&j);
        json_object_end (&j);
        int rc = cli_json_out (&j);
        json_free (&j);
        return rc;
    }
    if (requeued) {
        printf ("requeued delivery %" PRIu64, requeued);
        if (r->n_dead_letters) {
            const Samhand__V1__DeadLetter *l = r->dead_letters [0];
            printf (" (%s from ", samhand_kind_name (l->kind));
            cli_print_safe (stdout, l->sender_node, "");
            printf (") for ");
            cli_print_safe (stdout, l->node, "");
        }
        printf (": it is sent again when the node listens\n");
    }
    else
    if (r->n_dead_letters)
        cli_dead_letters_text (stdout, r->dead_letters, r->n_dead_letters);
    else
        printf ("No dead letters.\n");
    return fflush (stdout) == 0 && !ferror (stdout)? 0: -1;
}

int
cmd_admin (cli_t *cli, int argc, char **argv)
{
    opts_t opts;
    const opt_spec_t *const specs [] = { admin_opts, NULL };
    int rc = cli_parse (cli, "admin", admin_help, specs, argc, argv, &opts);
    if (rc >= 0)
        return rc;
    const char *action = opts.n_pos? opts.pos [0]: NULL;
    if (!action)
        return cli_usage_error ("admin", "what? e.g. admin dead-letters");
    if (!streq (action, "dead-letters"))
        return cli_usage_error ("admin", "unknown action '%s': dead-letters", action);
    if (opts.n_pos > 1)
        return cli_usage_error ("admin", "unexpected '%s' (requeue with --requeue ID)",
                                opts.pos [1]);
    bool json = opts_has (&opts, "json");
    uint64_t requeue = 0;
    const char *word = opts_get (&opts, "requeue");
    if (word) {
        int64_t id = opts_number (word [0] == '#'? word + 1: word, INT64_MAX);
        if (id < 1)
            return cli_usage_error ("admin", "--requeue takes a delivery id (the number in "
                                    "the DELIVERY column), not '%s'", word);
        requeue = (uint64_t) id;
    }

    samhand_client_t *client = cli_connect (cli);
    if (!client)
        return EXIT_FAILED;
    Samhand__V1__Frame *reply = samhand_client_admin (client, requeue? "requeue": "dead-letters",
                                                      requeue, cli->wait_ms);
    int code = EXIT_OK;
    if (!reply)
        code = cli_no_answer (client, cli->wait_ms);
    else
    if (reply->command_case != SAMHAND__V1__FRAME__COMMAND_ADMIN_REPLY
    ||  !reply->admin_reply->ok) {
        const Samhand__V1__Error *error = samhand_reply_error (reply);
        const char *hint = NULL;
        if (error && error->code == SAMHAND__V1__ERROR_CODE__NOT_PERMITTED)
            hint = "Only admin nodes handle dead letters: use the admin node's settings,\n"
                   "e.g. samhand -c admin.cfg admin dead-letters";
        else
        if (error && error->code == SAMHAND__V1__ERROR_CODE__NOT_FOUND)
            hint = "That delivery is not a dead letter (any more): see the list with\n"
                   "samhand admin dead-letters";
        code = cli_refusal (requeue? "admin requeue": "admin dead-letters", reply, json, hint);
    }
    else
    if (s_show (reply->admin_reply, requeue, json)) {
        fprintf (stderr, "samhand: cannot write the output\n");
        code = EXIT_FAILED;
    }
    else
    if (!json && !requeue && reply->admin_reply->n_dead_letters)
        fprintf (stderr, "%zu dead letter%s (times are local). Put one back: samhand admin "
                         "dead-letters --requeue ID\n", reply->admin_reply->n_dead_letters,
                 reply->admin_reply->n_dead_letters == 1? "": "s");
    samhand_frame_destroy (&reply);
    samhand_client_destroy (&client);
    return code;
}
