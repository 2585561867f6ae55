/*  report — the printers of the follow-up commands: message status, the
    inbox listing, audit entries and dead letters, as JSON for programs and
    as aligned tables for a person on duty. Everything the broker or
    another agency wrote goes through cli_print_safe, flattened to one line
    inside a table cell.                                                  */
#include "cli.h"
#include <czmq.h>
#include <time.h>

#define ANSI_ACUTE  "\033[1;37;41m"
#define ANSI_BOLD   "\033[1m"
#define ANSI_RESET  "\033[0m"

#define TABLE_COLS  10
#define CELL_SIZE   256

int
cli_json_out (json_t *j)
{
    const char *text = json_text (j);
    if (!text || printf ("%s\n", text) < 0)
        return -1;
    return fflush (stdout) == 0 && !ferror (stdout)? 0: -1;
}

//  ---------------------------------------------------------------- tables

typedef struct {
    size_t cols;
    const char *head [TABLE_COLS];
    int width [TABLE_COLS];
} table_t;

typedef struct {
    char cell [TABLE_COLS][CELL_SIZE];
} row_t;

//  Characters a terminal shows for TEXT (UTF-8 lead bytes).
static int
s_chars (const char *text)
{
    int n = 0;
    for (const unsigned char *p = (const unsigned char *) text; *p; p++)
        n += (*p & 0xC0) != 0x80;
    return n;
}

//  Copies TEXT into a cell, on one line, cut at a character boundary.
static void
s_set (row_t *row, size_t col, const char *text)
{
    const char *src = text? text: "";
    char *out = row->cell [col];
    size_t len = 0;
    for (; src [len] && len + 1 < CELL_SIZE; len++)
        out [len] = src [len] == '\n' || src [len] == '\r' || src [len] == '\t'? ' ': src [len];
    //  Cut inside a character: leave all of it out.
    while (len > 0 && src [len] && ((unsigned char) src [len] & 0xC0) == 0x80)
        len--;
    out [len] = 0;
}

static void
s_table_init (table_t *t, size_t cols, const char *const *head)
{
    memset (t, 0, sizeof *t);
    t->cols = cols;
    for (size_t c = 0; c < cols; c++) {
        t->head [c] = head [c];
        t->width [c] = s_chars (head [c]);
    }
}

static void
s_table_fit (table_t *t, const row_t *row)
{
    for (size_t c = 0; c < t->cols; c++) {
        int w = s_chars (row->cell [c]);
        if (w > t->width [c])
            t->width [c] = w;
    }
}

static void
s_table_cells (FILE *out, const table_t *t, const char *const *cells)
{
    for (size_t c = 0; c < t->cols; c++) {
        cli_print_safe (out, cells [c], "");
        if (c + 1 < t->cols)
            fprintf (out, "%*s", t->width [c] - s_chars (cells [c]) + 2, "");
    }
}

static void
s_table_head (FILE *out, const table_t *t)
{
    s_table_cells (out, t, t->head);
    fputc ('\n', out);
}

static void
s_table_row (FILE *out, const table_t *t, const row_t *row, const char *colour)
{
    const char *cells [TABLE_COLS];
    for (size_t c = 0; c < t->cols; c++)
        cells [c] = row->cell [c];
    if (colour)
        fputs (colour, out);
    s_table_cells (out, t, cells);
    if (colour)
        fputs (ANSI_RESET, out);
    fputc ('\n', out);
}

static void
s_time_cell (row_t *row, size_t col, int64_t unix_ms)
{
    char when [32];
    cli_time_local (unix_ms, CLI_TIME_FORMAT, when, sizeof when);
    s_set (row, col, *when? when: "-");
}

//  ---------------------------------------------------------------- status

static void
s_node_status_json (json_t *j, const Samhand__V1__NodeStatus *n)
{
    char when [32];
    json_object_begin (j, NULL);
    json_str (j, "node", n->node);
    json_str_opt (j, "agency", samhand_agency_name (n->agency));
    json_str_opt (j, "view", samhand_view_name (n->view));
    json_str (j, "state", n->state);
    json_uint (j, "attempts", n->attempts);
    if (n->delivery_id)
        json_uint (j, "delivery_id", n->delivery_id);
    json_str_opt (j, "sent_at", cli_time_iso (n->sent_at, when, sizeof when));
    json_str_opt (j, "received_at", cli_time_iso (n->received_at, when, sizeof when));
    json_str_opt (j, "read_at", cli_time_iso (n->read_at, when, sizeof when));
    json_object_end (j);
}

void
cli_status_json (json_t *j, const Samhand__V1__StatusReport *r, const char *type)
{
    char when [32];
    json_object_begin (j, NULL);
    if (type)
        json_str (j, "type", type);
    json_hex (j, "message_id", r->message_id.data, r->message_id.len);
    json_str_opt (j, "kind", samhand_kind_name (r->kind));
    json_str (j, "state", r->state);
    json_str_opt (j, "submitted_at", cli_time_iso (r->submitted_at, when, sizeof when));
    json_str_opt (j, "expires_at", cli_time_iso (r->expires_at, when, sizeof when));
    json_array_begin (j, "nodes");
    for (size_t i = 0; i < r->n_nodes; i++)
        s_node_status_json (j, r->nodes [i]);
    json_array_end (j);
    json_object_end (j);
}

//  What an overall state means, for someone deciding whether to phone.
static const char *
s_state_meaning (const char *state)
{
    static const char *meanings [][2] = {
        { "submitted", "stored at the broker; no recipient has confirmed it yet" },
        { "delivered", "at least one recipient has it; nobody has marked it read yet" },
        { "read", "a person at a recipient agency has opened it" },
        { "failed", "a copy could not be delivered (dead letter): phone the recipient, "
                    "and ask the administrator to requeue it" },
        { "expired", "its time to live passed before a recipient confirmed it: nothing "
                     "more will be delivered" },
    };
    for (size_t i = 0; i < sizeof meanings / sizeof *meanings; i++)
        if (streq (state, meanings [i][0]))
            return meanings [i][1];
    return NULL;
}

//  What a node state asks of the reader, for the states that need a word.
static const char *
s_node_state_meaning (const char *state)
{
    static const char *meanings [][2] = {
        { "pending", "waiting for the node to connect and collect it" },
        { "sent", "sent, the node has not confirmed it yet" },
        { "expired", "the time to live passed before the node confirmed it: not delivered" },
        { "dead", "gave up after too many tries; an administrator can put it back\n"
                  "            (samhand admin dead-letters --requeue DELIVERY)" },
        { "withdrawn", "held back after the consent was withdrawn" },
    };
    for (size_t i = 0; i < sizeof meanings / sizeof *meanings; i++)
        if (streq (state, meanings [i][0]))
            return meanings [i][1];
    return NULL;
}

void
cli_status_text (FILE *out, const Samhand__V1__StatusReport *r)
{
    char hex [2 * 64 + 1] = "";
    if (r->message_id.len <= 64)
        samhand_hex (r->message_id.data, r->message_id.len, hex);
    fprintf (out, "message    %s  %s\n", hex, samhand_kind_name (r->kind));
    fprintf (out, "state      ");
    cli_print_safe (out, r->state, "");
    const char *meaning = s_state_meaning (r->state);
    if (meaning)
        fprintf (out, ": %s", meaning);
    fputc ('\n', out);
    char when [32], zone [16] = "";
    time_t now = time (NULL);
    struct tm tm;
    if (localtime_r (&now, &tm))
        strftime (zone, sizeof zone, "%Z", &tm);
    if (r->submitted_at)
        fprintf (out, "submitted  %s\n", cli_time_local (r->submitted_at, CLI_TIME_FORMAT ":%S",
                                                         when, sizeof when));
    if (r->expires_at)
        fprintf (out, "expires    %s\n", cli_time_local (r->expires_at, CLI_TIME_FORMAT ":%S",
                                                         when, sizeof when));
    fputc ('\n', out);
    if (!r->n_nodes) {
        fprintf (out, "No recipient node: every agency was withheld, or has no node.\n");
        return;
    }
    static const char *head [] = { "NODE", "AGENCY", "VIEW", "STATE", "TRIES", "SENT",
                                   "RECEIVED", "READ", "DELIVERY" };
    table_t t;
    s_table_init (&t, 9, head);
    row_t *rows = (row_t *) calloc (r->n_nodes, sizeof (row_t));
    if (!rows)
        return;
    for (size_t i = 0; i < r->n_nodes; i++) {
        const Samhand__V1__NodeStatus *n = r->nodes [i];
        row_t *row = &rows [i];
        char number [24];
        s_set (row, 0, n->node);
        s_set (row, 1, n->agency? samhand_agency_name (n->agency): "-");
        s_set (row, 2, n->view? samhand_view_name (n->view): "-");
        s_set (row, 3, n->state);
        snprintf (number, sizeof number, "%u", n->attempts);
        s_set (row, 4, number);
        s_time_cell (row, 5, n->sent_at);
        s_time_cell (row, 6, n->received_at);
        s_time_cell (row, 7, n->read_at);
        snprintf (number, sizeof number, "%" PRIu64, n->delivery_id);
        s_set (row, 8, n->delivery_id? number: "-");
        s_table_fit (&t, row);
    }
    s_table_head (out, &t);
    for (size_t i = 0; i < r->n_nodes; i++)
        s_table_row (out, &t, &rows [i], NULL);
    free (rows);
    fprintf (out, "(times are local%s%s)\n", *zone? ", ": "", zone);
    //  A word on each state that asks for something, once.
    for (size_t i = 0; i < r->n_nodes; i++) {
        const char *state = r->nodes [i]->state;
        bool first = true;
        for (size_t k = 0; k < i && first; k++)
            first = !streq (r->nodes [k]->state, state);
        const char *says = first? s_node_state_meaning (state): NULL;
        if (says)
            fprintf (out, "  %-10s%s\n", state, says);
    }
}

void
cli_status_line (FILE *out, const Samhand__V1__StatusReport *r)
{
    char hex [2 * 64 + 1] = "";
    if (r->message_id.len <= 64)
        samhand_hex (r->message_id.data, r->message_id.len, hex);
    fprintf (out, "status  %s %s  ", samhand_kind_name (r->kind), hex);
    cli_print_safe (out, r->state, "");
    fprintf (out, "  (");
    for (size_t i = 0; i < r->n_nodes; i++) {
        fputs (i? ", ": "", out);
        cli_print_safe (out, r->nodes [i]->node, "");
        fputc (' ', out);
        cli_print_safe (out, r->nodes [i]->state, "");
    }
    fprintf (out, "%s)\n", r->n_nodes? "": "no recipient node");
}

//  ---------------------------------------------------------------- inbox

static bool
s_blank (char c)
{
    return c == ' ' || c == '\n' || c == '\r' || c == '\t';
}

char *
cli_text_head (const char *text, size_t max, char *out, size_t size)
{
    if (!size)
        return out;
    size_t len = 0, chars = 0;
    bool space = false, cut = false;
    const char *p = text? text: "";
    while (s_blank (*p))
        p++;
    for (; *p; p++) {
        if (s_blank (*p)) {
            space = true;       //  a run of white space becomes one space
            continue;
        }
        //  A control character (ESC, BEL, a C1 such as CSI) becomes '?':
        //  the head is printed as it is (plan show's contact table), and
        //  a contact's name "\e[8m" hid the rest of the plan on the
        //  reader's terminal.
        unsigned char c = (unsigned char) *p;
        bool c1 = c == 0xC2 && (unsigned char) p [1] >= 0x80 && (unsigned char) p [1] <= 0x9F;
        bool control = c < 0x20 || c == 0x7F || c1;
        bool lead = control || (c & 0xC0) != 0x80;
        bool gap = lead && space;
        //  Keep room for "..." and the NUL after whatever is written.
        if ((lead && chars + gap >= max) || len + gap + 1 + 4 > size) {
            cut = true;
            break;
        }
        if (gap) {
            out [len++] = ' ';
            chars++;
        }
        space = space && !lead;
        out [len++] = control? '?': *p;
        chars += lead;
        p += c1;
    }
    if (cut && ((unsigned char) *p & 0xC0) == 0x80) {
        //  Stopped inside a character: drop the part of it written.
        while (len > 0 && ((unsigned char) out [len - 1] & 0xC0) == 0x80)
            len--;
        if (len > 0)
            len--;
    }
    if (cut && len + 4 <= size) {
        memcpy (out + len, "...", 3);
        len += 3;
    }
    out [len] = 0;
    return out;
}

//  Appends WORD (if any) to OUT, separated by a space.
static void
s_append (char *out, size_t size, const char *word)
{
    if (!word || !*word)
        return;
    size_t len = strlen (out);
    snprintf (out + len, size - len, "%s%s", len? " ": "", word);
}

char *
cli_delivery_summary (const Samhand__V1__Deliver *d, char *out, size_t size)
{
    if (!size)
        return out;
    *out = 0;
    char head [256] = "";
    const char *text = NULL;
    switch (d->body_case) {
        case SAMHAND__V1__DELIVER__BODY_CONCERN:
            s_append (head, sizeof head, d->concern->case_ref);
            s_append (head, sizeof head, samhand_urgency_name (d->concern->urgency));
            text = d->concern->text;
            break;
        case SAMHAND__V1__DELIVER__BODY_RISK_CHANGE: {
            const Samhand__V1__RiskChange *r = d->risk_change;
            char level [64] = "";
            if (r->level || r->imminent)
                snprintf (level, sizeof level, "%s%s%s%s", r->level? "risk ": "",
                          r->level? samhand_risk_level_name (r->level): "",
                          r->level && r->imminent? ", ": "", r->imminent? "imminent": "");
            s_append (head, sizeof head, r->case_ref);
            s_append (head, sizeof head, level);
            text = r->text;
            break;
        }
        case SAMHAND__V1__DELIVER__BODY_DISCUSSION:
            text = d->discussion->text && *d->discussion->text? d->discussion->text
                                                              : d->discussion->question;
            break;
        case SAMHAND__V1__DELIVER__BODY_CASE_STATUS:
            s_append (head, sizeof head, d->case_status->case_ref);
            text = d->case_status->text;
            break;
        case SAMHAND__V1__DELIVER__BODY_CONSENT_NOTICE:
            s_append (head, sizeof head, d->consent_notice->consent_id);
            s_append (head, sizeof head, d->consent_notice->withdrawn? "withdrawn": "granted");
            s_append (head, sizeof head, d->consent_notice->case_ref);
            text = d->consent_notice->text;
            break;
        case SAMHAND__V1__DELIVER__BODY_ALERT:
            s_append (head, sizeof head, d->alert->type);
            s_append (head, sizeof head, d->alert->case_ref);
            text = d->alert->text;
            break;
        case SAMHAND__V1__DELIVER__BODY_RISK_PLAN: {
            //  What changed, in the broker's words: never a text of the plan.
            const Samhand__V1__RiskPlan *p = d->risk_plan;
            char what [64];
            snprintf (what, sizeof what, "plan revision %u%s", p->revision,
                      p->significant? ", significant": "");
            s_append (head, sizeof head, p->case_ref);
            s_append (head, sizeof head, what);
            text = p->changes;
            break;
        }
        default:
            snprintf (head, sizeof head, "%s", d->view == SAMHAND__V1__VIEW__WITHHELD
                                               ? "(content withheld from your agency)": "");
            break;
    }
    char body [CLI_SUMMARY_CHARS * 4 + 8];
    cli_text_head (text, CLI_SUMMARY_CHARS, body, sizeof body);
    snprintf (out, size, "%s%s%s", head, *head && *body? ": ": "", body);
    return out;
}

static void
s_inbox_row (row_t *row, const Samhand__V1__Deliver *d, bool read)
{
    char text [CELL_SIZE];
    snprintf (text, sizeof text, "%" PRIu64, d->delivery_id);
    s_set (row, 0, read? "read": d->acute? "ACUTE": "");
    s_set (row, 1, text);
    s_time_cell (row, 2, d->submitted_at);
    s_set (row, 3, samhand_kind_name (d->kind));
    if (d->sender_agency)
        snprintf (text, sizeof text, "%s (%s)", d->sender_node && *d->sender_node
                  ? d->sender_node: "?", samhand_agency_name (d->sender_agency));
    else
        snprintf (text, sizeof text, "%s", d->sender_node && *d->sender_node
                  ? d->sender_node: "the broker");
    s_set (row, 4, text);
    s_set (row, 5, samhand_view_name (d->view));
    s_set (row, 6, cli_delivery_summary (d, text, sizeof text));
}

void
cli_inbox_text (FILE *out, Samhand__V1__Deliver *const *items, const bool *read, size_t n,
                bool colour)
{
    if (!n) {
        fprintf (out, "Nothing waiting.\n");
        return;
    }
    static const char *head [] = { "", "ID", "TIME", "KIND", "FROM", "VIEW", "SUMMARY" };
    table_t t;
    s_table_init (&t, 7, head);
    row_t *rows = (row_t *) calloc (n, sizeof (row_t));
    bool *urgent = (bool *) calloc (n, sizeof (bool));
    if (!rows || !urgent) {
        free (rows);
        free (urgent);
        return;
    }
    size_t acute = 0;
    for (size_t i = 0; i < n; i++) {
        bool done = read && read [i];
        s_inbox_row (&rows [i], items [i], done);
        s_table_fit (&t, &rows [i]);
        urgent [i] = items [i]->acute && !done;
        acute += urgent [i];
    }
    //  Unread acute items first, under their own heading: they are
    //  escalated until someone marks them read.
    if (acute) {
        fprintf (out, "%sACUTE - %zu unread: act now, then mark read with "
                      "samhand inbox --read ID%s\n", colour? ANSI_ACUTE: "", acute,
                 colour? ANSI_RESET: "");
        s_table_head (out, &t);
        for (size_t i = 0; i < n; i++)
            if (urgent [i])
                s_table_row (out, &t, &rows [i], colour? ANSI_BOLD: NULL);
        if (acute < n)
            fprintf (out, "\n%zu other%s:\n", n - acute, n - acute == 1? "": "s");
    }
    if (acute < n) {
        s_table_head (out, &t);
        for (size_t i = 0; i < n; i++)
            if (!urgent [i])
                s_table_row (out, &t, &rows [i], NULL);
    }
    free (rows);
    free (urgent);
}

//  ---------------------------------------------------------------- audit

void
cli_audit_json (json_t *j, const Samhand__V1__AuditEntry *e, bool with_chain)
{
    char when [32];
    json_object_begin (j, NULL);
    json_uint (j, "seq", e->seq);
    json_str_opt (j, "time", cli_time_iso (e->ts_ms, when, sizeof when));
    json_str (j, "event", e->event);
    if (with_chain)
        json_str_opt (j, "sender", e->sender);
    json_str_opt (j, "node", e->node);
    json_str_opt (j, "agency", samhand_agency_name (e->agency));
    json_str_opt (j, "view", samhand_view_name (e->view));
    json_str_opt (j, "rule", e->rule);
    json_str_opt (j, "legal_basis", e->legal_basis);
    if (e->message_id.len)
        json_hex (j, "message_id", e->message_id.data, e->message_id.len);
    json_str_opt (j, "detail", e->detail);
    //  who-received: the author the sending node claimed at submit.
    json_str_opt (j, "author", e->author);
    //  who-received: the node confirmed this delivery ("received", "read").
    json_str_opt (j, "receipt", e->receipt);
    if (with_chain && e->content_hash.len)
        json_hex (j, "content_hash", e->content_hash.data, e->content_hash.len);
    if (with_chain && e->hash.len)
        json_hex (j, "hash", e->hash.data, e->hash.len);
    json_object_end (j);
}

void
cli_audit_text (FILE *out, Samhand__V1__AuditEntry *const *entries, size_t n)
{
    static const char *head [] = { "TIME", "FROM", "EVENT", "NODE", "AGENCY", "VIEW", "RULE",
                                   "LEGAL BASIS" };
    table_t t;
    s_table_init (&t, 8, head);
    row_t *rows = (row_t *) calloc (n? n: 1, sizeof (row_t));
    if (!rows)
        return;
    for (size_t i = 0; i < n; i++) {
        const Samhand__V1__AuditEntry *e = entries [i];
        row_t *row = &rows [i];
        s_time_cell (row, 0, e->ts_ms);
        //  The sending node, with the author it claimed: "koordinator (anne)".
        char from [160];
        snprintf (from, sizeof from, e->author && *e->author? "%s (%s)": "%s",
                  e->sender && *e->sender? e->sender: "-", e->author);
        s_set (row, 1, from);
        //  who-received: a delivery the node confirmed says so, "delivered (read)".
        char event [96];
        snprintf (event, sizeof event, e->receipt && *e->receipt? "%s (%s)": "%s",
                  e->event, e->receipt);
        s_set (row, 2, event);
        s_set (row, 3, e->node && *e->node? e->node: "-");
        s_set (row, 4, e->agency? samhand_agency_name (e->agency): "-");
        s_set (row, 5, e->view? samhand_view_name (e->view): "-");
        s_set (row, 6, e->rule && *e->rule? e->rule: "-");
        s_set (row, 7, e->legal_basis && *e->legal_basis? e->legal_basis: "-");
        s_table_fit (&t, row);
    }
    s_table_head (out, &t);
    for (size_t i = 0; i < n; i++)
        s_table_row (out, &t, &rows [i], NULL);
    free (rows);
}

//  ---------------------------------------------------------------- dead letters

void
cli_dead_letter_json (json_t *j, const Samhand__V1__DeadLetter *l)
{
    char when [32];
    json_object_begin (j, NULL);
    json_uint (j, "delivery_id", l->delivery_id);
    if (l->message_id.len)
        json_hex (j, "message_id", l->message_id.data, l->message_id.len);
    json_str (j, "node", l->node);
    json_str_opt (j, "kind", samhand_kind_name (l->kind));
    json_uint (j, "attempts", l->attempts);
    json_str_opt (j, "sender", l->sender_node);
    json_str_opt (j, "submitted_at", cli_time_iso (l->submitted_at, when, sizeof when));
    json_object_end (j);
}

void
cli_dead_letters_text (FILE *out, Samhand__V1__DeadLetter *const *list, size_t n)
{
    static const char *head [] = { "DELIVERY", "NODE", "KIND", "TRIES", "SENDER",
                                   "SUBMITTED" };
    table_t t;
    s_table_init (&t, 6, head);
    row_t *rows = (row_t *) calloc (n? n: 1, sizeof (row_t));
    if (!rows)
        return;
    for (size_t i = 0; i < n; i++) {
        const Samhand__V1__DeadLetter *l = list [i];
        row_t *row = &rows [i];
        char number [24];
        snprintf (number, sizeof number, "%" PRIu64, l->delivery_id);
        s_set (row, 0, number);
        s_set (row, 1, l->node);
        s_set (row, 2, samhand_kind_name (l->kind));
        snprintf (number, sizeof number, "%u", l->attempts);
        s_set (row, 3, number);
        s_set (row, 4, l->sender_node && *l->sender_node? l->sender_node: "-");
        s_time_cell (row, 5, l->submitted_at);
        s_table_fit (&t, row);
    }
    s_table_head (out, &t);
    for (size_t i = 0; i < n; i++)
        s_table_row (out, &t, &rows [i], NULL);
    free (rows);
}
