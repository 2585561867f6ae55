/*  cmd_listen — listen (the node's delivery session) and ping (whoami).

    listen confirms each delivery with a RECEIVED receipt only after it has
    been written out, so a delivery that never reached the screen or the
    pipe is sent again later. Deliveries can come twice (the broker sends
    again what was not confirmed in time); each is shown once per process
    and confirmed every time.                                             */
#include "cli.h"
#include <czmq.h>

static const char *listen_help =
    "samhand listen - show incoming messages for this node, and confirm to\n"
    "the broker that they arrived.\n"
    "\n"
    "  samhand -c tryggest.cfg listen\n"
    "  samhand -c tryggest.cfg listen --json --count 1 --timeout 60\n"
    "\n"
    "  --kinds LIST         show only these: concern_report, risk_change,\n"
    "                       case_discussion, case_status, consent_notice, alert.\n"
    "                       For this listen only: the others stay waiting at the\n"
    "                       broker for a listen without --kinds. What the node\n"
    "                       receives at all is changed with samhand subscribe.\n"
    "  --count N            stop after N messages\n"
    "  --timeout SECONDS    stop after this long, waiting for the broker included;\n"
    "                       if fewer than --count messages came, it says so on\n"
    "                       stderr and exits 4\n"
    "  --json               one JSON object per message per line (JSON Lines)\n"
    "  --read               also tell the senders it was READ (use when a person\n"
    "                       is watching this screen)\n"
    "\n"
    "News about messages this node sent comes in too, as status lines (who\n"
    "received or read them, what expired or failed); with --json as objects\n"
    "with \"type\":\"status\" (shaped as samhand status --json prints them).\n"
    "They do not count for --count. See also: samhand inbox, samhand status.\n"
    "\n"
    "Messages that arrive while nobody listens wait at the broker and come\n"
    "when you start listening. Ctrl-C stops.\n"
    "\n"
    "One listen per node: if another listen of the same node starts, this one\n"
    "is told and stops with exit code 3; so it does when the node's certificate\n"
    "is revoked or replaced. It checks with the broker every few seconds; when\n"
    "the broker does not answer it says so and waits for it.\n";

//  How often listen asks the broker whether it still is the session.
#define LISTEN_CHECK_MS  5000

static const opt_spec_t listen_opts [] = {
    { "json", 0, OPT_FLAG },
    { "count", 0, OPT_VALUE },
    { "timeout", 0, OPT_VALUE },
    { "kinds", 0, OPT_VALUE },
    { "read", 0, OPT_FLAG },
    { NULL, 0, OPT_FLAG }
};

//  Writes one delivery to stdout. Returns 0 when it is out of our hands
//  (flushed), -1 when stdout failed (then it must not be confirmed).
static int
s_show (const Samhand__V1__Deliver *d, bool json, bool colour)
{
    if (json) {
        json_t j;
        json_init (&j);
        cli_delivery_json (&j, d);
        const char *text = json_text (&j);
        int rc = text? printf ("%s\n", text): -1;
        json_free (&j);
        if (rc < 0)
            return -1;
    }
    else
        cli_delivery_text (stdout, d, colour);
    return fflush (stdout) == 0 && !ferror (stdout)? 0: -1;
}

//  A status push as a line: JSON with "type":"status", or text.
static int
s_show_status (const Samhand__V1__StatusReport *report, bool json)
{
    if (json) {
        json_t j;
        json_init (&j);
        cli_status_json (&j, report, "status");
        int rc = cli_json_out (&j);
        json_free (&j);
        return rc;
    }
    cli_status_line (stdout, report);
    return fflush (stdout) == 0 && !ferror (stdout)? 0: -1;
}

static void
s_announce (const Samhand__V1__Subscribed *s)
{
    fprintf (stderr, "listening as ");
    cli_print_safe (stderr, s->node, "");
    fprintf (stderr, " (%s, ", s->agency? samhand_agency_name (s->agency): "no agency");
    cli_print_safe (stderr, s->role, "");
    fprintf (stderr, ") for ");
    for (size_t i = 0; i < s->n_kinds; i++)
        fprintf (stderr, "%s%s", i? ", ": "", samhand_kind_name (s->kinds [i]));
    if (!s->n_kinds)
        fprintf (stderr, "nothing");
    if (s->n_session_kinds) {
        fprintf (stderr, "; this listen shows only ");
        for (size_t i = 0; i < s->n_session_kinds; i++)
            fprintf (stderr, "%s%s", i? ", ": "", samhand_kind_name (s->session_kinds [i]));
        fprintf (stderr, " (the rest waits at the broker)");
    }
    fprintf (stderr, "; %u waiting\n", s->pending);
}

//  An error that ends this session: another connection of the node took
//  over, or the certificate is no longer enrolled (request_id 0).
static bool
s_session_over (int code, uint64_t request_id)
{
    if (code == SAMHAND__V1__ERROR_CODE__SESSION_REPLACED) {
        fprintf (stderr, "samhand: another listen of this node has started: this one gets"
                         " nothing more and stops (messages go to the newer one)\n");
        return true;
    }
    if (code == SAMHAND__V1__ERROR_CODE__NOT_PERMITTED && request_id == 0) {
        fprintf (stderr, "samhand: the broker no longer accepts this certificate (revoked or"
                         " replaced): stopping; ask the administrator, then listen again\n");
        return true;
    }
    return false;
}

//  Asks the broker whether this connection still is the node's delivery
//  session: a listen must never sit silent while its messages go
//  elsewhere, or nowhere. A broker that does not answer (restarting, say)
//  is waited for, with a word on stderr: the library subscribes again when
//  the connection comes back. Returns EXIT_OK to go on, else the exit code.
static int
s_check_session (samhand_client_t *client, int wait_ms, bool *silent)
{
    Samhand__V1__Frame *reply = samhand_client_ping (client, wait_ms);
    if (reply && reply->command_case == SAMHAND__V1__FRAME__COMMAND_PONG
    &&  !reply->pong->delivery_session) {
        //  Right after a reconnect the ping can overtake the library's new
        //  Subscribe: ask once more before believing it.
        samhand_frame_destroy (&reply);
        samhand_client_link (client);
        zclock_sleep (500);
        reply = samhand_client_ping (client, wait_ms);
    }
    int code = EXIT_OK;
    if (!reply && samhand_client_key_refused (client, NULL))
        //  Not a broker restarting: it refuses our key now (revoked, or
        //  its key changed). Waiting would never end.
        return cli_no_answer (client, wait_ms);
    if (!reply) {
        if (!*silent)
            fprintf (stderr, "samhand: the broker does not answer: waiting for it (messages"
                             " wait at the broker; Ctrl-C stops)\n");
        *silent = true;
        return EXIT_OK;
    }
    if (*silent)
        fprintf (stderr, "samhand: the broker answers again\n");
    *silent = false;
    if (reply->command_case == SAMHAND__V1__FRAME__COMMAND_ERROR) {
        if (!s_session_over (reply->error->code, 0))
            fprintf (stderr, "samhand: the broker refuses this connection (%s): stopping\n",
                     samhand_error_code_name (reply->error->code));
        code = EXIT_REFUSED;
    }
    else
    if (reply->command_case == SAMHAND__V1__FRAME__COMMAND_PONG
    &&  !reply->pong->delivery_session) {
        fprintf (stderr, "samhand: this listen is no longer the node's delivery session"
                         " (another listen took over, or the certificate was revoked):"
                         " stopping\n");
        code = EXIT_REFUSED;
    }
    samhand_frame_destroy (&reply);
    return code;
}

//  A wait for the broker, cut short by --timeout's deadline (0: none).
static int
s_bounded (int wait_ms, int64_t deadline)
{
    if (!deadline)
        return wait_ms;
    int64_t left = deadline - zclock_mono ();
    return left <= 0? 0: left < wait_ms? (int) left: wait_ms;
}

int
cmd_listen (cli_t *cli, int argc, char **argv)
{
    opts_t opts;
    char err [256];
    const opt_spec_t *const specs [] = { listen_opts, NULL };
    int rc = cli_parse (cli, "listen", listen_help, specs, argc, argv, &opts);
    if (rc >= 0)
        return rc;
    if (opts.n_pos)
        return cli_usage_error ("listen", "unexpected '%s'", opts.pos [0]);
    bool json = opts_has (&opts, "json");
    bool read = opts_has (&opts, "read");
    int64_t count = 0, timeout_s = 0;
    if (opts_get (&opts, "count")
    &&  (count = opts_number (opts_get (&opts, "count"), 1000000000)) < 1)
        return cli_usage_error ("listen", "--count is a whole number, 1 or more");
    if (opts_get (&opts, "timeout")
    &&  (timeout_s = opts_number (opts_get (&opts, "timeout"), 100000000)) < 1)
        return cli_usage_error ("listen", "--timeout is whole seconds, 1 or more");
    Samhand__V1__Subscribe subscribe = SAMHAND__V1__SUBSCRIBE__INIT;
    Samhand__V1__Kind kinds [8];
    if (opts_get (&opts, "kinds")) {
        int values [8];
        int n = opts_enum_list (opts_get (&opts, "kinds"), samhand_kind_from_name, "--kinds",
                                values, 8, err, sizeof err);
        if (n < 0)
            return cli_usage_error ("listen", "%s", err);
        for (int i = 0; i < n; i++)
            kinds [i] = (Samhand__V1__Kind) values [i];
        //  This session's filter only: the stored subscription stays.
        subscribe.session_kinds = kinds;
        subscribe.n_session_kinds = (size_t) n;
    }

    samhand_client_t *client = cli_connect (cli);
    if (!client)
        return EXIT_FAILED;
    int64_t deadline = timeout_s? zclock_mono () + timeout_s * 1000: 0;
    int first_wait = s_bounded (cli->wait_ms, deadline);
    Samhand__V1__Frame *reply = samhand_client_subscribe (client, &subscribe, first_wait);
    if (!reply || reply->command_case != SAMHAND__V1__FRAME__COMMAND_SUBSCRIBED) {
        int code = reply? cli_refused ("listen", reply)
                        : cli_no_answer (client, first_wait);
        samhand_frame_destroy (&reply);
        samhand_client_destroy (&client);
        return code;
    }
    s_announce (reply->subscribed);
    samhand_frame_destroy (&reply);

    zhash_t *seen = zhash_new ();
    int64_t shown = 0;
    int code = EXIT_OK;
    bool timed_out = false;
    int64_t next_check = zclock_mono () + LISTEN_CHECK_MS;
    bool silent = false;
    while (!zsys_interrupted && (!count || shown < count)) {
        if (zclock_mono () >= next_check) {
            code = s_check_session (client, s_bounded (cli->wait_ms, deadline), &silent);
            if (code != EXIT_OK)
                break;
            next_check = zclock_mono () + LISTEN_CHECK_MS;
        }
        int wait = 1000;
        if (deadline) {
            int64_t left = deadline - zclock_mono ();
            if (left <= 0) {
                timed_out = true;
                break;
            }
            wait = left < wait? (int) left: wait;
        }
        Samhand__V1__Frame *frame = samhand_client_recv (client, wait);
        if (!frame)
            continue;
        if (frame->command_case == SAMHAND__V1__FRAME__COMMAND_DELIVER) {
            const Samhand__V1__Deliver *d = frame->deliver;
            char key [24];
            snprintf (key, sizeof key, "%" PRIu64, d->delivery_id);
            if (!zhash_lookup (seen, key)) {
                if (s_show (d, json, cli->tty)) {
                    fprintf (stderr, "samhand: cannot write the output: stopping; delivery "
                                     "%" PRIu64 " stays at the broker\n", d->delivery_id);
                    code = EXIT_FAILED;
                    samhand_frame_destroy (&frame);
                    break;
                }
                zhash_insert (seen, key, (void *) "");
                shown++;
            }
            if (samhand_client_receipt (client, d->delivery_id,
                                        SAMHAND__V1__RECEIPT_STATE__RECEIVED)
            ||  (read && samhand_client_receipt (client, d->delivery_id,
                                                 SAMHAND__V1__RECEIPT_STATE__READ)))
                fprintf (stderr, "samhand: could not confirm delivery %" PRIu64
                                 " (it will come again)\n", d->delivery_id);
        }
        else
        if (frame->command_case == SAMHAND__V1__FRAME__COMMAND_ERROR) {
            fprintf (stderr, "samhand: the broker says %s: ",
                     samhand_error_code_name (frame->error->code));
            cli_print_safe (stderr, frame->error->text, "  ");
            fputc ('\n', stderr);
            if (s_session_over (frame->error->code, frame->request_id)) {
                code = EXIT_REFUSED;
                samhand_frame_destroy (&frame);
                break;
            }
        }
        else
        if (frame->command_case == SAMHAND__V1__FRAME__COMMAND_STATUS_REPORT
        &&  frame->request_id == 0) {
            //  News about a message this node sent: shown, but it is not
            //  a delivery, so it neither counts nor needs a receipt.
            if (s_show_status (frame->status_report, json)) {
                fprintf (stderr, "samhand: cannot write the output: stopping\n");
                code = EXIT_FAILED;
                samhand_frame_destroy (&frame);
                break;
            }
        }
        else
        if (frame->command_case == SAMHAND__V1__FRAME__COMMAND_AUDIT_REPLY
        &&  frame->request_id == 0 && frame->audit_reply->head)
            //  Admin nodes keep the newest signed audit head as a witness.
            cli_witness_keep (cli, frame->audit_reply->head);
        else
        if (frame->command_case == SAMHAND__V1__FRAME__COMMAND_SUBSCRIBED)
            fprintf (stderr, "samhand: connected again; %u waiting\n",
                     frame->subscribed->pending);
        samhand_frame_destroy (&frame);
    }
    if (timed_out && count && shown < count && code == EXIT_OK) {
        fprintf (stderr, "samhand: timeout after %" PRId64 " s: %" PRId64 " of %" PRId64
                         " messages came\n", timeout_s, shown, count);
        code = EXIT_NO_ANSWER;
    }
    zhash_destroy (&seen);
    //  Destroying the client waits (bounded) for the last receipts to leave.
    samhand_client_destroy (&client);
    return code;
}

//  ---------------------------------------------------------------- ping

static const char *ping_help =
    "samhand ping - check the connection, and who the broker thinks you are.\n"
    "\n"
    "  samhand -c vakt.cfg ping\n"
    "  vakt  resource_centre  duty_operator  (2 ms)\n"
    "\n"
    "  --json               print {\"node\":...,\"agency\":...,\"role\":...}\n";

static const opt_spec_t ping_opts [] = {
    { "json", 0, OPT_FLAG },
    { NULL, 0, OPT_FLAG }
};

int
cmd_ping (cli_t *cli, int argc, char **argv)
{
    opts_t opts;
    const opt_spec_t *const specs [] = { ping_opts, NULL };
    int rc = cli_parse (cli, "ping", ping_help, specs, argc, argv, &opts);
    if (rc >= 0)
        return rc;
    if (opts.n_pos)
        return cli_usage_error ("ping", "unexpected '%s'", opts.pos [0]);
    samhand_client_t *client = cli_connect (cli);
    if (!client)
        return EXIT_FAILED;
    int64_t start = zclock_usecs ();
    Samhand__V1__Frame *reply = samhand_client_ping (client, cli->wait_ms);
    int64_t rtt_ms = (zclock_usecs () - start) / 1000;
    int code = EXIT_OK;
    if (!reply)
        code = cli_no_answer (client, cli->wait_ms);
    else
    if (reply->command_case != SAMHAND__V1__FRAME__COMMAND_PONG)
        code = cli_refused ("ping", reply);
    else {
        const Samhand__V1__Pong *pong = reply->pong;
        if (opts_has (&opts, "json")) {
            json_t j;
            json_init (&j);
            json_object_begin (&j, NULL);
            json_str (&j, "node", pong->node);
            json_str (&j, "agency", samhand_agency_name (pong->agency));
            json_str (&j, "role", pong->role);
            json_int (&j, "rtt_ms", rtt_ms);
            json_object_end (&j);
            if (json_text (&j))
                printf ("%s\n", json_text (&j));
            json_free (&j);
        }
        else {
            cli_print_safe (stdout, pong->node, "");
            printf ("  %s  ", pong->agency? samhand_agency_name (pong->agency): "(no agency)");
            cli_print_safe (stdout, pong->role, "");
            printf ("  (%" PRId64 " ms)\n", rtt_ms);
        }
    }
    samhand_frame_destroy (&reply);
    samhand_client_destroy (&client);
    return code;
}
