/*  cmd_inbox — inbox: what waits for this node (InboxQuery), and marking
    items read (Receipt READ), which is what stops the broker escalating an
    acute concern. Listing changes nothing at the broker.

    A READ receipt has no answer of its own when it is taken, so the
    receipts are followed by a Ping: the broker answers a connection in
    order, and any refusal comes before the Pong. The listing asked for
    after that shows, from the committed store, that they are no longer
    waiting.                                                              */
#include "cli.h"
#include <czmq.h>
#include <ctype.h>

#define INBOX_MAX_READ   64
#define INBOX_BROKER_MAX 200     //  the broker's cap on one listing

static const char *inbox_help =
    "samhand inbox - what is waiting for this node: not yet collected, or\n"
    "collected but not yet marked read. Mark items read when a person has\n"
    "read them.\n"
    "\n"
    "  samhand -c vakt.cfg inbox\n"
    "  samhand -c vakt.cfg inbox --full              # whole messages\n"
    "  samhand -c vakt.cfg inbox --read 17 --read 18 # I have read these\n"
    "\n"
    "  --all                also list what was read already\n"
    "  --read ID            mark delivery ID (the number in the ID column) as\n"
    "                       read; repeat for more. The sender then sees it as\n"
    "                       read, and an ACUTE concern stops being escalated.\n"
    "                       Each is confirmed, or the reason it was not is\n"
    "                       printed (not this node's, or no longer waiting).\n"
    "  --full               print each message in full, as listen does\n"
    "  --json               {\"items\":[...]} with each item as listen --json\n"
    "                       prints it; with --read also \"read\":[{\"delivery_id\",\n"
    "                       \"ok\", \"error\"}]\n"
    "\n"
    "ACUTE items come first, set apart. They are escalated to the duty\n"
    "phone and coordinators every few minutes until someone marks them read:\n"
    "act on them, then mark them read.\n"
    "Exit: 0 done; 3 an item could not be marked read; 4 no answer.\n";

static const opt_spec_t inbox_opts [] = {
    { "all", 0, OPT_FLAG },
    { "read", 0, OPT_LIST },
    { "full", 0, OPT_FLAG },
    { "json", 0, OPT_FLAG },
    { NULL, 0, OPT_FLAG }
};

//  "17" or "#17" (as listen prints it). 0 if not a delivery id.
static uint64_t
s_delivery_id (const char *text)
{
    if (text [0] == '#')
        text++;
    int64_t id = opts_number (text, INT64_MAX);
    return id > 0? (uint64_t) id: 0;
}

static const char *
s_receipt_problem (int code)
{
    if (code == SAMHAND__V1__ERROR_CODE__UNKNOWN_DELIVERY)
        return "not a delivery for this node, or no longer waiting (it became a dead "
               "letter or was withdrawn)";
    if (code == SAMHAND__V1__ERROR_CODE__DELIVERY_EXPIRED)
        return "it expired before it was confirmed: its sender was told it was not "
               "delivered; contact the sender if it matters";
    return "the broker refused the receipt";
}

static bool
s_listed (const Samhand__V1__InboxReply *inbox, uint64_t id)
{
    for (size_t i = 0; inbox && i < inbox->n_items; i++)
        if (inbox->items [i]->delivery_id == id)
            return true;
    return false;
}

//  Outcome of each --read: 0 marked read, else an ErrorCode; -1 still
//  listed as unread after the broker took it.
typedef struct {
    uint64_t ids [INBOX_MAX_READ];
    int codes [INBOX_MAX_READ];
    size_t count;
} reads_t;

static void
s_reads_json (json_t *j, const reads_t *reads)
{
    json_array_begin (j, "read");
    for (size_t i = 0; i < reads->count; i++) {
        json_object_begin (j, NULL);
        json_uint (j, "delivery_id", reads->ids [i]);
        json_bool (j, "ok", reads->codes [i] == 0);
        if (reads->codes [i]) {
            Samhand__V1__Error error = SAMHAND__V1__ERROR__INIT;
            bool still = reads->codes [i] < 0;
            error.code = still? SAMHAND__V1__ERROR_CODE__INTERNAL
                              : (Samhand__V1__ErrorCode) reads->codes [i];
            error.text = (char *) (still? "the broker took the receipt but still lists the "
                                          "item as unread: try again"
                                        : s_receipt_problem (reads->codes [i]));
            cli_error_json (j, &error);
        }
        json_object_end (j);
    }
    json_array_end (j);
}

static void
s_reads_text (const reads_t *reads)
{
    for (size_t i = 0; i < reads->count; i++) {
        int code = reads->codes [i];
        if (code == 0)
            printf ("#%" PRIu64 " marked read\n", reads->ids [i]);
        else
        if (code < 0)
            fprintf (stderr, "samhand: #%" PRIu64 " is still listed as unread although the "
                             "broker took the receipt: try again\n", reads->ids [i]);
        else
            fprintf (stderr, "samhand: #%" PRIu64 " not marked read: %s: %s\n", reads->ids [i],
                     samhand_error_code_name (code), s_receipt_problem (code));
    }
}

static int
s_show (const Samhand__V1__InboxReply *inbox, const bool *read, const reads_t *reads,
        bool json, bool full, bool colour)
{
    if (json) {
        json_t j;
        json_init (&j);
        json_object_begin (&j, NULL);
        if (reads->count)
            s_reads_json (&j, reads);
        json_array_begin (&j, "items");
        for (size_t i = 0; i < inbox->n_items; i++)
            cli_inbox_item_json (&j, inbox->items [i], read [i]);
        json_array_end (&j);
        json_object_end (&j);
        int rc = cli_json_out (&j);
        json_free (&j);
        return rc;
    }
    if (reads->count) {
        s_reads_text (reads);
        printf ("\n");
    }
    if (full) {
        //  Unread acute first, as in the table.
        for (int pass = 0; pass < 2; pass++)
            for (size_t i = 0; i < inbox->n_items; i++)
                if ((inbox->items [i]->acute && !read [i]) == (pass == 0)) {
                    //  Read already: no "act now" banner over it.
                    Samhand__V1__Deliver item = *inbox->items [i];
                    if (read [i]) {
                        printf ("(already read%s)\n", item.acute? "; was acute": "");
                        item.acute = false;
                    }
                    cli_delivery_text (stdout, &item, colour);
                }
        if (!inbox->n_items)
            printf ("Nothing waiting.\n");
    }
    else
        cli_inbox_text (stdout, inbox->items, read, inbox->n_items, colour);
    return fflush (stdout) == 0 && !ferror (stdout)? 0: -1;
}

//  Asks for the inbox; NULL after saying why (*CODE set).
static Samhand__V1__Frame *
s_query (cli_t *cli, samhand_client_t *client, bool include_read, bool json, int *code)
{
    Samhand__V1__Frame *reply = samhand_client_inbox (client, include_read, 0, cli->wait_ms);
    if (!reply)
        *code = cli_no_answer_json (client, cli->wait_ms, json);
    else
    if (reply->command_case != SAMHAND__V1__FRAME__COMMAND_INBOX_REPLY
    ||  reply->inbox_reply->error) {
        *code = cli_refusal ("inbox", reply, json, NULL);
        samhand_frame_destroy (&reply);
    }
    return reply;
}

int
cmd_inbox (cli_t *cli, int argc, char **argv)
{
    opts_t opts;
    const opt_spec_t *const specs [] = { inbox_opts, NULL };
    int rc = cli_parse (cli, "inbox", inbox_help, specs, argc, argv, &opts);
    if (rc >= 0)
        return rc;
    if (opts.n_pos)
        return cli_usage_error ("inbox", "unexpected '%s' (mark items read with --read ID)",
                                opts.pos [0]);
    bool all = opts_has (&opts, "all");
    bool json = opts_has (&opts, "json");
    bool full = opts_has (&opts, "full");
    if (json && full)
        return cli_usage_error ("inbox", "--json already has every field: leave out --full");
    reads_t reads;
    memset (&reads, 0, sizeof reads);
    const char *words [OPTS_MAX_ITEMS];
    size_t n_words = opts_all (&opts, "read", words, OPTS_MAX_ITEMS);
    for (size_t i = 0; i < n_words; i++) {
        uint64_t id = s_delivery_id (words [i]);
        if (!id)
            return cli_usage_error ("inbox", "--read takes a delivery id (the number in the "
                                    "ID column), not '%s'", words [i]);
        bool seen = false;
        for (size_t k = 0; k < reads.count; k++)
            seen = seen || reads.ids [k] == id;
        if (seen)
            continue;
        if (reads.count >= INBOX_MAX_READ)
            return cli_usage_error ("inbox", "at most %d --read at a time", INBOX_MAX_READ);
        reads.ids [reads.count++] = id;
    }

    samhand_client_t *client = cli_connect (cli);
    if (!client)
        return EXIT_FAILED;
    int code = EXIT_OK;
    if (reads.count
    &&  samhand_client_receipts (client, reads.ids, reads.count,
                                 SAMHAND__V1__RECEIPT_STATE__READ, cli->wait_ms, reads.codes)) {
        code = cli_no_answer_json (client, cli->wait_ms, json);
        fprintf (stderr, "Nothing is confirmed as read: run the same command again.\n");
        samhand_client_destroy (&client);
        return code;
    }
    //  The unread items; with --all also everything, to tell them apart
    //  (a listing item carries no state of its own).
    Samhand__V1__Frame *unread = s_query (cli, client, false, json, &code);
    Samhand__V1__Frame *reply = unread && all? s_query (cli, client, true, json, &code): NULL;
    if (!all) {
        reply = unread;
        unread = NULL;
    }
    if (!reply) {
        if (reads.count && !json)
            s_reads_text (&reads);
    }
    else {
        const Samhand__V1__InboxReply *inbox = reply->inbox_reply;
        const Samhand__V1__InboxReply *open = unread? unread->inbox_reply: inbox;
        //  One taken as read must no longer be among the unread.
        for (size_t i = 0; i < reads.count; i++)
            if (reads.codes [i] == 0 && s_listed (open, reads.ids [i]))
                reads.codes [i] = -1;
        bool *read = (bool *) calloc (inbox->n_items + 1, sizeof (bool));
        size_t acute = 0;
        for (size_t i = 0; read && i < inbox->n_items; i++) {
            read [i] = unread && !s_listed (open, inbox->items [i]->delivery_id);
            acute += inbox->items [i]->acute && !read [i];
        }
        if (!read || s_show (inbox, read, &reads, json, full, cli->tty)) {
            fprintf (stderr, "samhand: cannot write the output\n");
            code = EXIT_FAILED;
        }
        free (read);
        if (inbox->n_items >= INBOX_BROKER_MAX)
            fprintf (stderr, "samhand: only the oldest %d items are shown\n", INBOX_BROKER_MAX);
        if (!json && inbox->n_items)
            fprintf (stderr, "%zu item%s, %zu unread acute. Mark read: samhand inbox --read "
                             "ID\n", inbox->n_items, inbox->n_items == 1? "": "s", acute);
        for (size_t i = 0; code == EXIT_OK && i < reads.count; i++)
            if (reads.codes [i])
                code = EXIT_REFUSED;
    }
    samhand_frame_destroy (&unread);
    samhand_frame_destroy (&reply);
    samhand_client_destroy (&client);
    return code;
}
