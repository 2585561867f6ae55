/*  cmd_admin — admin dead-letters (admin nodes): deliveries the broker
    gave up on after too many tries, and putting one back (AdminCommand).
    The broker commits and audits a requeue before it answers.
    admin status: the broker's state (BrokerStatusQuery): nodes, queues,
    dead letters, escalations, reviews, audit signature, store size.      */
#include "cli.h"
#include <czmq.h>

static const char *admin_help =
    "samhand admin - broker housekeeping. For admin nodes only.\n"
    "\n"
    "  samhand -c admin.cfg admin dead-letters\n"
    "  samhand -c admin.cfg admin dead-letters --requeue 40\n"
    "  samhand -c admin.cfg admin status [--json]\n"
    "  samhand admin enroll FILE -c /etc/samhand/samhandd.cfg [--replace]\n"
    "  samhand admin revoke NAME -c /etc/samhand/samhandd.cfg\n"
    "  samhand admin list -c /etc/samhand/samhandd.cfg [--json]\n"
    "  (or --enrolled DIR in place of -c: the folder itself)\n"
    "\n"
    "status                 the broker's state: which broker answered, each node\n"
    "                       (delivery session open, last seen, deliveries waiting and\n"
    "                       the age of the oldest), dead letters, open escalations,\n"
    "                       duty-to-avert disclosures for review, when the audit log\n"
    "                       was last signed, store size. No personal data.\n"
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
    "enroll FILE            on the broker's machine: copies the node's public\n"
    "                       certificate (from samhand keygen) into DIR, the\n"
    "                       broker's server/enrolled folder (-c: the broker's\n"
    "                       samhandd.cfg, which names it). Refused: a file with a\n"
    "                       secret key, no valid name/agency/role, an unreadable or\n"
    "                       past expiry, a name or key enrolled already.\n"
    "  --replace            renewal: NAME is enrolled; its old certificate goes to\n"
    "                       revoked/ and the new one takes its place at once\n"
    "revoke NAME            moves NAME's certificate to revoked/ beside DIR, with\n"
    "                       the time in its file name\n"
    "list                   each certificate in DIR: name, agency, role, expiry,\n"
    "                       state (ok, expires in N days within 30 days, expired,\n"
    "                       or why the broker ignores it). --json: {\"enrolled\":\n"
    "                       [{name, agency, role, expires, days_left, state, key,\n"
    "                       file}]}\n"
    "                       The broker re-reads DIR every few seconds: an enrolled\n"
    "                       node may connect, a revoked one is refused and its open\n"
    "                       connections closed. These three need no broker.\n"
    "Exit: 0 done; 1 local problem (file refused, folder unreadable); 3 refused (not\n"
    "an admin node, not a dead letter, no such enrolled node); 4 no answer.\n";

static const opt_spec_t admin_opts [] = {
    { "requeue", 0, OPT_VALUE },
    { "json", 0, OPT_FLAG },
    { "enrolled", 0, OPT_VALUE },
    { "replace", 0, OPT_FLAG },
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

static void
s_status_json (const Samhand__V1__BrokerStatus *st)
{
    char when [64];
    json_t j;
    json_init (&j);
    json_object_begin (&j, NULL);
    json_str (&j, "active_broker", st->active_broker);
    json_str (&j, "mode", st->mode);
    json_str_opt (&j, "active_since", cli_time_iso (st->active_since_ms, when, sizeof when));
    json_str (&j, "version", st->version);
    json_str (&j, "now", cli_time_iso (st->now_ms, when, sizeof when));
    json_uint (&j, "dead_letters", st->dead_letters);
    json_uint (&j, "open_escalations", st->open_escalations);
    json_uint (&j, "avert_reviews", st->avert_reviews);
    json_str_opt (&j, "last_audit_signature",
                  cli_time_iso (st->last_audit_signature_ms, when, sizeof when));
    json_uint (&j, "store_bytes", st->store_bytes);
    json_uint (&j, "submits", st->submits);
    json_uint (&j, "deliveries", st->deliveries);
    json_uint (&j, "commits", st->commits);
    json_array_begin (&j, "nodes");
    for (size_t i = 0; i < st->n_nodes; i++) {
        const Samhand__V1__BrokerNode *n = st->nodes [i];
        json_object_begin (&j, NULL);
        json_str (&j, "node", n->node);
        json_bool (&j, "connected", n->connected);
        json_str_opt (&j, "last_seen", cli_time_iso (n->last_seen_ms, when, sizeof when));
        json_uint (&j, "pending", n->pending);
        json_int (&j, "oldest_pending_age_s", n->oldest_pending_ms && st->now_ms > n->oldest_pending_ms
                                              ? (st->now_ms - n->oldest_pending_ms) / 1000: 0);
        json_str_opt (&j, "cert_expires", cli_time_iso (n->cert_expires_ms, when, sizeof when));
        json_object_end (&j);
    }
    json_array_end (&j);
    if (st->previous_key_until_ms) {
        //  Server key rotation: who still uses the previous key.
        json_object_begin (&j, "previous_key");
        json_bool (&j, "accepted", st->previous_key_open);
        json_str (&j, "until", cli_time_iso (st->previous_key_until_ms, when, sizeof when));
        json_str (&j, "bind", st->previous_bind);
        json_array_begin (&j, "nodes");
        for (size_t i = 0; i < st->n_nodes; i++) {
            const Samhand__V1__BrokerNode *n = st->nodes [i];
            if (!n->previous_key_seen_ms)
                continue;
            json_object_begin (&j, NULL);
            json_str (&j, "node", n->node);
            json_bool (&j, "connected", n->previous_key_session);
            json_str (&j, "last_seen", cli_time_iso (n->previous_key_seen_ms, when, sizeof when));
            json_object_end (&j);
        }
        json_array_end (&j);
        json_object_end (&j);
    }
    json_object_end (&j);
    cli_json_out (&j);
    json_free (&j);
}

//  Server key rotation: until when the previous key is accepted and which
//  nodes still use it, so the operator knows when it is safe to end.
static void
s_status_previous_key (const Samhand__V1__BrokerStatus *st)
{
    if (!st->previous_key_until_ms)
        return;
    char when [64];
    cli_time_local (st->previous_key_until_ms, "%Y-%m-%d %H:%M:%S", when, sizeof when);
    printf ("\nKey rotation:  ");
    if (st->previous_key_open) {
        int64_t left = st->previous_key_until_ms > st->now_ms
                     ? (st->previous_key_until_ms - st->now_ms) / 1000: 0;
        printf ("the PREVIOUS server key is still accepted on ");
        cli_print_safe (stdout, st->previous_bind, "");
        printf (" until %s (in %" PRId64 " h %" PRId64 " min)\n", when, left / 3600, left % 3600 / 60);
    }
    else
        printf ("the previous server key was retired at %s (no longer accepted)\n", when);
    int connected = 0, seen = 0;
    for (size_t i = 0; i < st->n_nodes; i++) {
        const Samhand__V1__BrokerNode *n = st->nodes [i];
        if (!n->previous_key_seen_ms)
            continue;
        char last [64];
        printf ("%s", seen++? ", ": "               on it since the broker started: ");
        cli_print_safe (stdout, n->node, "");
        if (n->previous_key_session) {
            connected++;
            printf (" (connected now)");
        }
        else
            printf (" (last %s)", cli_time_local (n->previous_key_seen_ms, "%Y-%m-%d %H:%M:%S",
                                                   last, sizeof last));
    }
    if (!seen)
        printf ("               no node has used it since the broker started\n");
    else
        printf ("\n");
    if (st->previous_key_open)
        printf ("               %s\n", connected
                ? "not yet safe to end: give the nodes connected on it the new broker certificate"
                  " and endpoint"
                : "no node is connected on it now");
}

static void
s_status_text (const Samhand__V1__BrokerStatus *st)
{
    char when [64];
    printf ("Broker:        ");
    cli_print_safe (stdout, st->active_broker, "");
    printf (" (");
    cli_print_safe (stdout, st->mode, "");
    printf (", samhand ");
    cli_print_safe (stdout, st->version, "");
    printf (")\n");
    if (st->active_since_ms)
        printf ("Active since:  %s\n", cli_time_local (st->active_since_ms, "%Y-%m-%d %H:%M:%S",
                                                       when, sizeof when));
    printf ("Dead letters:  %" PRIu64 "\nEscalations:   %" PRIu64 " open\n"
            "Duty to avert: %" PRIu64 " disclosure%s on record for review\n",
            st->dead_letters, st->open_escalations, st->avert_reviews,
            st->avert_reviews == 1? "": "s");
    printf ("Audit signed:  %s\n", st->last_audit_signature_ms
            ? cli_time_local (st->last_audit_signature_ms, "%Y-%m-%d %H:%M:%S", when, sizeof when)
            : "not yet");
    printf ("Store:         %.1f MB\nSince start:   %" PRIu64 " submits, %" PRIu64
            " deliveries, %" PRIu64 " commits\n\n", st->store_bytes / 1e6,
            st->submits, st->deliveries, st->commits);
    printf ("%-20s %-10s %-20s %8s  %s\n", "NODE", "SESSION", "LAST SEEN", "WAITING", "OLDEST");
    for (size_t i = 0; i < st->n_nodes; i++) {
        const Samhand__V1__BrokerNode *n = st->nodes [i];
        char name [64];
        snprintf (name, sizeof name, "%s", n->node);
        for (char *p = name; *p; p++)
            if ((unsigned char) *p < 0x20 || *p == 0x7f)
                *p = ' ';
        char oldest [32] = "-";
        if (n->oldest_pending_ms && st->now_ms > n->oldest_pending_ms)
            snprintf (oldest, sizeof oldest, "%" PRId64 " s", (st->now_ms - n->oldest_pending_ms) / 1000);
        printf ("%-20s %-10s %-20s %8u  %s\n", name, n->connected? "open": "-",
                n->last_seen_ms? cli_time_local (n->last_seen_ms, "%Y-%m-%d %H:%M:%S", when, sizeof when)
                               : "-", n->pending, oldest);
    }
    s_status_previous_key (st);
    //  Certificates expiring within 30 days (the broker lists only those).
    bool first = true;
    for (size_t i = 0; i < st->n_nodes; i++) {
        const Samhand__V1__BrokerNode *n = st->nodes [i];
        if (!n->cert_expires_ms)
            continue;
        printf ("%sCertificate of ", first? "\n": "");
        first = false;
        cli_print_safe (stdout, n->node, "");
        printf (" expires %s (in %" PRId64 " days): renew it (samhand keygen --days N,"
                " then samhand admin enroll)\n",
                cli_time_local (n->cert_expires_ms, "%Y-%m-%d %H:%M", when, sizeof when),
                n->cert_expires_ms > st->now_ms? (n->cert_expires_ms - st->now_ms) / 86400000: 0);
    }
    fflush (stdout);
}

static int
s_status (cli_t *cli, bool json)
{
    samhand_client_t *client = cli_connect (cli);
    if (!client)
        return EXIT_FAILED;
    Samhand__V1__Frame request = SAMHAND__V1__FRAME__INIT;
    Samhand__V1__BrokerStatusQuery query = SAMHAND__V1__BROKER_STATUS_QUERY__INIT;
    request.command_case = SAMHAND__V1__FRAME__COMMAND_BROKER_STATUS_QUERY;
    request.broker_status_query = &query;
    Samhand__V1__Frame *reply = samhand_client_request (client, &request, cli->wait_ms);
    int code = EXIT_OK;
    if (!reply)
        code = cli_no_answer (client, cli->wait_ms);
    else
    if (reply->command_case != SAMHAND__V1__FRAME__COMMAND_BROKER_STATUS
    ||  !reply->broker_status->ok) {
        const Samhand__V1__Error *error = samhand_reply_error (reply);
        code = cli_refusal ("admin status", reply, json,
                            error && error->code == SAMHAND__V1__ERROR_CODE__NOT_PERMITTED
                            ? "Only admin nodes see the broker status: use the admin node's"
                              " settings,\ne.g. samhand -c admin.cfg admin status": NULL);
    }
    else
    if (json)
        s_status_json (reply->broker_status);
    else
        s_status_text (reply->broker_status);
    samhand_frame_destroy (&reply);
    samhand_client_destroy (&client);
    return code;
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
    if (streq (action, "status")) {
        if (opts.n_pos > 1 || opts_get (&opts, "requeue"))
            return cli_usage_error ("admin", "status takes only --json");
        return s_status (cli, opts_has (&opts, "json"));
    }
    if (streq (action, "enroll") || streq (action, "revoke") || streq (action, "list")) {
        if (opts.n_pos > 2 || opts_get (&opts, "requeue"))
            return cli_usage_error ("admin", "%s: unexpected '%s'", action,
                                    opts.n_pos > 2? opts.pos [2]: "--requeue");
        return cli_admin_enrolled (action, opts_get (&opts, "enrolled"), cli->config,
                                   opts.n_pos > 1? opts.pos [1]: NULL, opts_has (&opts, "json"),
                                   opts_has (&opts, "replace"));
    }
    if (opts_get (&opts, "enrolled") || opts_has (&opts, "replace"))
        return cli_usage_error ("admin", "--enrolled and --replace go with enroll, revoke"
                                " and list");
    if (!streq (action, "dead-letters"))
        return cli_usage_error ("admin", "unknown action '%s': dead-letters, status, enroll,"
                                " revoke or list", action);
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
