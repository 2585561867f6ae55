/*  conn — command-line parsing shared by every command, the connection to
    the broker, and the words for when it goes wrong. See cli.h.          */
#include "cli.h"
#include <czmq.h>
#include <stdarg.h>

const opt_spec_t cli_connection_opts [] = {
    { "config", 'c', OPT_VALUE },
    { "endpoint", 0, OPT_VALUE },
    { "broker-cert", 0, OPT_VALUE },
    { "cert", 0, OPT_VALUE },
    { "wait", 0, OPT_VALUE },
    { "help", 'h', OPT_FLAG },
    { NULL, 0, OPT_FLAG }
};

//  What we connected with, for the messages when it goes wrong.
static samhand_settings_t s_used;

static int s_refused (const char *what, const Samhand__V1__Frame *reply,
                      const char *text, const char *question, const char *hint);

int
cli_usage_error (const char *command, const char *format, ...)
{
    char text [512];
    va_list args;
    va_start (args, format);
    vsnprintf (text, sizeof text, format, args);
    va_end (args);
    if (streq (command, "samhand"))
        fprintf (stderr, "samhand: %s\nSee: samhand --help\n", text);
    else
        fprintf (stderr, "samhand %s: %s\nSee: samhand %s --help\n", command, text, command);
    return EXIT_USAGE;
}

int
cli_parse (cli_t *cli, const char *command, const char *help,
           const opt_spec_t *const *specs, int argc, char **argv, opts_t *opts)
{
    const opt_spec_t *tables [8];
    size_t n = 0;
    for (size_t i = 0; specs && specs [i] && n < 6; i++)
        tables [n++] = specs [i];
    tables [n++] = cli_connection_opts;
    tables [n] = NULL;
    char err [256];
    if (opts_parse (opts, tables, argc, argv, err, sizeof err))
        return cli_usage_error (command, "%s", err);
    if (opts_has (opts, "help")) {
        fputs (help, stdout);
        return EXIT_OK;
    }
    for (size_t i = 0; i < opts->n_items; i++) {
        const char *value = opts->items [i].value;
        if (value && !json_utf8_valid (value, strlen (value)))
            return cli_usage_error (command, "--%s is not valid UTF-8 text "
                                    "(check the terminal's character set)",
                                    opts->items [i].spec->name);
    }
    for (size_t i = 0; i < opts->n_pos; i++)
        if (!json_utf8_valid (opts->pos [i], strlen (opts->pos [i])))
            return cli_usage_error (command, "'%s' is not valid UTF-8 text", opts->pos [i]);
    if (opts_get (opts, "config"))
        cli->config = opts_get (opts, "config");
    if (opts_get (opts, "endpoint"))
        cli->endpoint = opts_get (opts, "endpoint");
    if (opts_get (opts, "broker-cert"))
        cli->broker_cert = opts_get (opts, "broker-cert");
    if (opts_get (opts, "cert"))
        cli->cert = opts_get (opts, "cert");
    if (opts_get (opts, "wait")) {
        int64_t seconds = opts_number (opts_get (opts, "wait"), 3600);
        if (seconds < 0)
            return cli_usage_error (command, "--wait takes whole seconds, 0 (do not wait)"
                                    " to 3600");
        cli->wait_ms = (int) seconds * 1000;
    }
    return -1;
}

samhand_client_t *
cli_connect (cli_t *cli)
{
    const char *config = cli->config? cli->config: getenv ("SAMHAND_CONFIG");
    if (config && !*config)
        config = NULL;
    memset (&s_used, 0, sizeof s_used);
    if (config && samhand_settings_load (&s_used, config)) {
        fprintf (stderr, "samhand: %s\n", samhand_last_error ());
        return NULL;
    }
    if (cli->endpoint)
        snprintf (s_used.endpoint, sizeof s_used.endpoint, "%s", cli->endpoint);
    if (cli->broker_cert)
        snprintf (s_used.broker_cert, sizeof s_used.broker_cert, "%s", cli->broker_cert);
    if (cli->cert)
        snprintf (s_used.cert, sizeof s_used.cert, "%s", cli->cert);
    if (!*s_used.endpoint || !*s_used.broker_cert || !*s_used.cert) {
        fprintf (stderr, "samhand: which node are you? Give -c NODE.cfg (or set "
                         "SAMHAND_CONFIG=NODE.cfg),\nor all of --endpoint, --broker-cert "
                         "and --cert.\n");
        return NULL;
    }
    samhand_client_t *client = samhand_client_new (s_used.endpoint, s_used.broker_cert,
                                                   s_used.cert);
    if (!client)
        fprintf (stderr, "samhand: %s\n", samhand_last_error ());
    return client;
}

//  A refusal in the handshake, as the library tells it: ZAP refused our
//  key, or handshakes failed again and again (one failure alone may be a
//  broker going down in the middle of it).
static bool
s_key_refused (samhand_client_t *client, bool *by_zap)
{
    return client && samhand_client_key_refused (client, by_zap);
}

int
cli_no_answer (samhand_client_t *client, int waited_ms)
{
    if (waited_ms == 0) {
        fprintf (stderr, "samhand: --wait 0: did not wait for the broker's answer (what was"
                         " sent may still arrive: samhand status tells)\n");
        return EXIT_NO_ANSWER;
    }
    int seconds = waited_ms < 1000? 1: (waited_ms + 500) / 1000;
    samhand_link_t link = client? samhand_client_link (client): SAMHAND_LINK_UNKNOWN;
    bool by_zap = false;
    if (s_key_refused (client, &by_zap)) {
        fprintf (stderr, "samhand: the broker refused this node's key (not enrolled, revoked,"
                         " or the broker's key changed) - ask the administrator.\n");
        if (by_zap)
            fprintf (stderr, "samhand: the broker does not admit %s: enrol it"
                             " (samhand admin enroll) or use an enrolled one.\n", s_used.cert);
        else
            fprintf (stderr, "samhand: the handshake with %s failed: %s is not the key that"
                             " broker uses now (a wrong or retired broker_cert?).\n",
                     s_used.endpoint, s_used.broker_cert);
        return EXIT_KEY_REFUSED;
    }
    switch (link) {
        case SAMHAND_LINK_UNREACHABLE:
            fprintf (stderr, "samhand: nothing answers at %s - is samhandd running, and "
                             "is that the right address?\n", s_used.endpoint);
            break;
        case SAMHAND_LINK_FAILED:
            fprintf (stderr, "samhand: the secure handshake with %s failed - is %s the "
                             "certificate of this broker?\n", s_used.endpoint,
                             s_used.broker_cert);
            break;
        case SAMHAND_LINK_CONNECTED:
            fprintf (stderr, "samhand: connected to %s, but the broker did not finish the "
                             "handshake within %d s.\nIt may be stuck or overloaded: try "
                             "again, and tell the administrator if it goes on.\n",
                     s_used.endpoint, seconds);
            break;
        case SAMHAND_LINK_READY:
        case SAMHAND_LINK_LOST:
            fprintf (stderr, "samhand: the broker at %s is connected but did not answer "
                             "within %d s.\nIt may be busy or stuck: try again, and tell "
                             "the administrator if it goes on.\n", s_used.endpoint, seconds);
            break;
        default:
            fprintf (stderr, "samhand: the broker did not answer within %d s - is samhandd "
                             "running at %s,\nand is this node's certificate enrolled?\n",
                             seconds, s_used.endpoint);
            break;
    }
    return EXIT_NO_ANSWER;
}

//  Characters (UTF-8 sequences) in the first OFFSET bytes of TEXT, or -1
//  when OFFSET is past its end.
static long
s_chars_before (const char *text, uint32_t offset)
{
    if (!text || offset > strlen (text))
        return -1;
    long chars = 0;
    for (uint32_t i = 0; i < offset; i++)
        if (((unsigned char) text [i] & 0xC0) != 0x80)
            chars++;
    return chars;
}

int
cli_refused (const char *what, const Samhand__V1__Frame *reply)
{
    return cli_refused_texts (what, reply, NULL, NULL);
}

int
cli_refused_texts (const char *what, const Samhand__V1__Frame *reply,
                   const char *text, const char *question)
{
    return s_refused (what, reply, text, question, NULL);
}

int
cli_no_answer_json (samhand_client_t *client, int waited_ms, bool json)
{
    if (json) {
        //  Whoever reads --json output learns that nothing came, in JSON.
        char text [128];
        const char *code = "NO_ANSWER";
        if (waited_ms == 0)
            snprintf (text, sizeof text, "did not wait for the broker (--wait 0)");
        else
        if (s_key_refused (client, NULL)) {
            code = "KEY_REFUSED";
            snprintf (text, sizeof text, "the broker refused this node's key (not enrolled,"
                      " revoked, or the broker's key changed): ask the administrator");
        }
        else
            snprintf (text, sizeof text, "the broker did not answer within %d s",
                      (waited_ms + 500) / 1000);
        json_t j;
        json_init (&j);
        json_object_begin (&j, NULL);
        json_object_begin (&j, "error");
        json_str (&j, "code", code);
        json_str (&j, "text", text);
        json_object_end (&j);
        json_object_end (&j);
        cli_json_out (&j);
        json_free (&j);
    }
    return cli_no_answer (client, waited_ms);
}

int
cli_refusal (const char *what, const Samhand__V1__Frame *reply, bool json, const char *hint)
{
    const Samhand__V1__Error *error = samhand_reply_error (reply);
    if (json) {
        json_t j;
        json_init (&j);
        json_object_begin (&j, NULL);
        if (error)
            cli_error_json (&j, error);
        json_object_end (&j);
        cli_json_out (&j);
        json_free (&j);
    }
    return s_refused (what, reply, NULL, NULL, hint);
}

static int
s_refused (const char *what, const Samhand__V1__Frame *reply,
           const char *text, const char *question, const char *hint)
{
    const Samhand__V1__Error *error = samhand_reply_error (reply);
    if (!error) {
        fprintf (stderr, "samhand: %s refused by the broker (no reason given)\n", what);
        return EXIT_REFUSED;
    }
    fprintf (stderr, "samhand: %s refused: %s: ", what, samhand_error_code_name (error->code));
    cli_print_safe (stderr, error->text && *error->text? error->text: "no reason given", "  ");
    fputc ('\n', stderr);
    //  Where and what kind, never the identifier itself: the point of the
    //  refusal is that it must not travel further, not even to a log.
    for (size_t i = 0; i < error->n_findings; i++) {
        const Samhand__V1__Finding *f = error->findings [i];
        fprintf (stderr, "  found ");
        cli_print_safe (stderr, f->kind, "");
        fprintf (stderr, " in --");
        cli_print_safe (stderr, f->field, "");
        const char *sent = streq (f->field, "text")? text
                         : streq (f->field, "question")? question: NULL;
        long at = s_chars_before (sent, f->offset);
        if (at >= 0)
            fprintf (stderr, " at character %ld\n", at + 1);
        else
            fprintf (stderr, " at byte %u (%u bytes long)\n", f->offset, f->length);
    }
    if (hint)
        fprintf (stderr, "%s\n", hint);
    else
    if (error->code == SAMHAND__V1__ERROR_CODE__IDENTIFIER_FOUND)
        fprintf (stderr, "Rewrite the text without names, numbers, addresses or dates "
                         "that point to the person, and send again.\n");
    else
    if (error->code == SAMHAND__V1__ERROR_CODE__NOT_PERMITTED)
        fprintf (stderr, "This node's role may not do that. Ask the coordinator.\n");
    else
    if (error->code == SAMHAND__V1__ERROR_CODE__OUTBOX_FULL)
        fprintf (stderr, "Nothing was stored. A recipient is not collecting its messages: "
                         "phone them, and tell the administrator.\n");
    return EXIT_REFUSED;
}

void
cli_print_safe (FILE *out, const char *text, const char *indent)
{
    if (!text)
        return;
    const unsigned char *p = (const unsigned char *) text;
    while (*p) {
        if (*p == '\n') {
            fputc ('\n', out);
            fputs (indent, out);
            p++;
        }
        else
        if (*p == '\t' || (*p >= 0x20 && *p != 0x7F && *p != 0xC2)) {
            fputc (*p, out);
            p++;
        }
        else
        if (*p == 0xC2 && p [1] >= 0x80 && p [1] <= 0x9F) {
            fputc ('?', out);       //  C1 control (U+0080..U+009F)
            p += 2;
        }
        else
        if (*p == 0xC2) {
            fputc (*p, out);
            p++;
        }
        else {
            fputc ('?', out);       //  C0 control or DEL (ESC among them)
            p++;
        }
    }
}
