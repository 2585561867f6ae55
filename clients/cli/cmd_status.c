/*  cmd_status — status: what happened to a message this node sent, per
    recipient node (StatusQuery -> StatusReport). Read-only.              */
#include "cli.h"
#include <czmq.h>

static const char *status_help =
    "samhand status - what happened to a message you sent: which nodes have it,\n"
    "who has read it, what is still waiting.\n"
    "\n"
    "  samhand -c vakt.cfg status 3f2a9c0e5b7d41a68e2f0c1d9b8a7e6f\n"
    "  samhand -c vakt.cfg status 3f2a9c0e5b7d41a68e2f0c1d9b8a7e6f --json\n"
    "\n"
    "  MESSAGE_ID           the 32 hex digits printed after 'accepted' by concern,\n"
    "                       risk, discuss or case-status\n"
    "  --json               one JSON object: message_id, kind, state, submitted_at,\n"
    "                       expires_at, nodes [node, agency, view, state, attempts,\n"
    "                       delivery_id, sent_at, received_at, read_at] (times in\n"
    "                       UTC; a time that has not happened is left out)\n"
    "\n"
    "The message is:\n"
    "  submitted   stored at the broker; no recipient has confirmed it yet\n"
    "  delivered   at least one recipient node has it; nobody marked it read\n"
    "  read        a person at a recipient agency has opened it\n"
    "  failed      a copy could not be delivered: phone that agency, and ask the\n"
    "              administrator to requeue it (samhand admin dead-letters)\n"
    "  expired     its time to live passed before anyone confirmed it\n"
    "Each recipient node has a row. Its state: pending (waiting for the node to\n"
    "connect), sent, received, read, expired, dead (gave up) or withdrawn (the\n"
    "consent was withdrawn). An agency that may not see the message has no row.\n"
    "Times in the table are local.\n"
    "\n"
    "Only the node that sent the message (or an admin node) may ask. If it is\n"
    "urgent and no one has it yet, do not wait: phone the agency.\n"
    "Exit: 0 shown; 2 not a message id; 3 unknown (or not yours); 4 no answer.\n";

static const opt_spec_t status_opts [] = {
    { "json", 0, OPT_FLAG },
    { NULL, 0, OPT_FLAG }
};

int
cmd_status (cli_t *cli, int argc, char **argv)
{
    opts_t opts;
    const opt_spec_t *const specs [] = { status_opts, NULL };
    int rc = cli_parse (cli, "status", status_help, specs, argc, argv, &opts);
    if (rc >= 0)
        return rc;
    if (opts.n_pos != 1)
        return cli_usage_error ("status", opts.n_pos? "one message id at a time"
                                : "which message? Give the 32 hex digits the submit printed");
    uint8_t id [SAMHAND_MESSAGE_ID_SIZE];
    if (opts_hex (opts.pos [0], id, sizeof id))
        return cli_usage_error ("status", "'%s' is not a message id: that is 32 hex digits "
                                "(0-9, a-f), as printed after 'accepted'", opts.pos [0]);
    bool json = opts_has (&opts, "json");

    samhand_client_t *client = cli_connect (cli);
    if (!client)
        return EXIT_FAILED;
    Samhand__V1__Frame *reply = samhand_client_status (client, id, sizeof id, cli->wait_ms);
    int code = EXIT_OK;
    if (!reply)
        code = cli_no_answer (client, cli->wait_ms);
    else
    if (reply->command_case != SAMHAND__V1__FRAME__COMMAND_STATUS_REPORT
    ||  reply->status_report->error) {
        const Samhand__V1__Error *error = samhand_reply_error (reply);
        bool unknown = error && error->code == SAMHAND__V1__ERROR_CODE__NOT_FOUND;
        code = cli_refusal ("status", reply, json, unknown
            ? "Check the id (the 32 hex digits after 'accepted'). Only the node that sent a\n"
              "message, or an admin node, can see its status: use the sender's -c file."
            : NULL);
    }
    else {
        if (json) {
            json_t j;
            json_init (&j);
            cli_status_json (&j, reply->status_report, NULL);
            if (cli_json_out (&j))
                code = EXIT_FAILED;
            json_free (&j);
        }
        else {
            cli_status_text (stdout, reply->status_report);
            if (fflush (stdout) || ferror (stdout))
                code = EXIT_FAILED;
        }
    }
    samhand_frame_destroy (&reply);
    samhand_client_destroy (&client);
    return code;
}
