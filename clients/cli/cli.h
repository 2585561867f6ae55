/*  cli — what the samhand command groups share: connection settings, exit
    codes, and the printers for results and deliveries.

    Output rules: results go to stdout (a table, or one JSON object / JSON
    Lines with --json); progress, warnings and refusals go to stderr, in
    plain words, never as internals.                                      */
#ifndef SAMHAND_CLI_H
#define SAMHAND_CLI_H

#include <stdbool.h>
#include <stdio.h>
#include "samhand.h"
#include "opts.h"
#include "json.h"

//  Exit codes (also in `samhand --help`).
#define EXIT_OK         0
#define EXIT_FAILED     1     //  a local problem: file, certificate, config
#define EXIT_USAGE      2     //  the command line is wrong
#define EXIT_REFUSED    3     //  the broker answered and refused
#define EXIT_NO_ANSWER  4     //  the broker did not answer
#define EXIT_KEY_REFUSED 5    //  the broker refused this node's key in the handshake
                              //  (not enrolled, revoked, or the broker's key changed)

#define CLI_DEFAULT_WAIT_MS  5000

typedef struct {
    const char *config;        //  -c FILE, else $SAMHAND_CONFIG
    const char *endpoint;      //  --endpoint, overrides the config
    const char *broker_cert;   //  --broker-cert
    const char *cert;          //  --cert
    int  wait_ms;              //  --wait SECONDS: per request
    bool tty;                  //  stdout is a terminal (colour allowed)
} cli_t;

//  Connection options every networked command accepts.
extern const opt_spec_t cli_connection_opts [];

//  Parses a command's words against SPECS (a NULL-terminated list of
//  tables; may be NULL) plus the connection options, checks that every
//  value is UTF-8 text, and applies the connection options to CLI.
//  Returns -1 if parsed, otherwise the exit code to end with (help was
//  shown: 0; a mistake: 2, reported on stderr).
int cli_parse (cli_t *cli, const char *command, const char *help,
               const opt_spec_t *const *specs, int argc, char **argv, opts_t *opts);

//  Reports a command-line mistake and returns EXIT_USAGE.
int cli_usage_error (const char *command, const char *format, ...);

//  Connects as the node in the settings. NULL after a clear message.
samhand_client_t *cli_connect (cli_t *cli);

//  Explains why the broker did not answer within WAITED_MS in all and
//  returns EXIT_NO_ANSWER, or EXIT_KEY_REFUSED when the handshake was
//  refused (samhand_client_key_refused).
int cli_no_answer (samhand_client_t *client, int waited_ms);
//  The same, and with JSON also {"error":{"code":"NO_ANSWER" or
//  "KEY_REFUSED","text":...}} on stdout.
int cli_no_answer_json (samhand_client_t *client, int waited_ms, bool json);

//  Reports a refusal (Error code, text, finding kinds and positions, never
//  the identifier itself) on stderr and returns EXIT_REFUSED.
int cli_refused (const char *what, const Samhand__V1__Frame *reply);
//  Same, knowing the texts that were sent, so findings are placed by
//  character (what a person counts) rather than by byte.
int cli_refused_texts (const char *what, const Samhand__V1__Frame *reply,
                       const char *text, const char *question);

//  Same for the follow-up commands: with JSON also {"error":{...}} on
//  stdout; HINT (if not NULL) replaces the general advice after the reason.
int cli_refusal (const char *what, const Samhand__V1__Frame *reply, bool json,
                 const char *hint);

//  Writes TEXT with terminal control characters made harmless, so that a
//  message from another agency cannot drive the reader's terminal.
//  Newlines are followed by INDENT.
void cli_print_safe (FILE *out, const char *text, const char *indent);

//  Result of a submit: table or JSON on stdout (refusals also explained on
//  stderr). Returns the exit code.
int cli_print_submit (const Samhand__V1__Frame *reply, const char *kind, bool json);
//  Same, with the texts sent (for the positions of findings); may be NULL.
int cli_print_submit_texts (const Samhand__V1__Frame *reply, const char *kind, bool json,
                            const char *text, const char *question);
//  The JSON object of a submit result (a SubmitResult or Error frame).
void cli_submit_json (json_t *j, const Samhand__V1__Frame *reply, const char *kind);

//  "error":{"code":...,"text":...,"findings":[...]} as a member of J.
void cli_error_json (json_t *j, const Samhand__V1__Error *error);

//  One delivery as a JSON object (no newline) into J.
void cli_delivery_json (json_t *j, const Samhand__V1__Deliver *d);
//  Same, for inbox --all: READ adds "read":true (already marked read).
void cli_inbox_item_json (json_t *j, const Samhand__V1__Deliver *d, bool read);
//  One delivery as a readable block on OUT.
void cli_delivery_text (FILE *out, const Samhand__V1__Deliver *d, bool colour);

//  Unix MILLISECONDS as ISO 8601 UTC ("2030-05-01T12:03:04Z", for JSON)
//  or as local time in FORMAT (strftime, for people). "" for 0. Return OUT.
char *cli_time_iso (int64_t unix_ms, char *out, size_t size);
char *cli_time_local (int64_t unix_ms, const char *format, char *out, size_t size);
#define CLI_TIME_FORMAT  "%Y-%m-%d %H:%M"

//  Writes J's text and a newline to stdout and flushes. Returns 0, or -1
//  when the JSON could not be built or stdout failed.
int cli_json_out (json_t *j);

//  Message status (StatusReport): one JSON object (TYPE, if not NULL, is
//  written first as "type", for listen's JSON Lines); a readable report
//  with a table per recipient node; one line (for listen).
void cli_status_json (json_t *j, const Samhand__V1__StatusReport *r, const char *type);
void cli_status_text (FILE *out, const Samhand__V1__StatusReport *r);
void cli_status_line (FILE *out, const Samhand__V1__StatusReport *r);

//  A one-line summary of a delivery for listings: case ref, urgency or
//  risk level, and the first CLI_SUMMARY_CHARS characters of the text (on
//  one line, "..." when cut). Always terminated. Returns OUT.
#define CLI_SUMMARY_CHARS 60
char *cli_delivery_summary (const Samhand__V1__Deliver *d, char *out, size_t size);
//  The first MAX characters (not bytes) of TEXT on one line into OUT,
//  control characters (C0, DEL, C1) each as '?': safe to print as it is.
char *cli_text_head (const char *text, size_t max, char *out, size_t size);

//  The inbox as a table, unread acute items first and set apart (in
//  colour when COLOUR). READ (may be NULL) marks items already read.
void cli_inbox_text (FILE *out, Samhand__V1__Deliver *const *items, const bool *read,
                     size_t n, bool colour);

//  One audit entry as a JSON object; WITH_CHAIN adds "sender" and the
//  hashes (export). A table of entries (who-received).
void cli_audit_json (json_t *j, const Samhand__V1__AuditEntry *e, bool with_chain);
void cli_audit_text (FILE *out, Samhand__V1__AuditEntry *const *entries, size_t n);

//  Dead letters: one JSON object / a table.
void cli_dead_letter_json (json_t *j, const Samhand__V1__DeadLetter *l);
void cli_dead_letters_text (FILE *out, Samhand__V1__DeadLetter *const *list, size_t n);

//  Consent records: JSON array member / readable lines.
void cli_consent_json (json_t *j, const Samhand__V1__ConsentRecord *r);
void cli_consent_text (FILE *out, const Samhand__V1__ConsentRecord *r);

//  A risk plan: as a JSON object member KEY (NULL in an array) / laid out
//  like the resource centre's paper form (risikohåndteringsplan).
void cli_plan_json (json_t *j, const char *key, const Samhand__V1__RiskPlan *plan);
void cli_plan_text (FILE *out, const Samhand__V1__RiskPlan *plan);
void cli_plan_reply_json (json_t *j, const Samhand__V1__PlanReply *r, bool history);
//  Never the broker's own fields of a revision (it sets them): cleared,
//  and the revision the edit was made from set to BASE.
void cli_plan_broker_fields_clear (Samhand__V1__RiskPlan *plan, uint32_t base);
//  The parts of a plan an edit replaces whole, read from a JSON object
//  (`plan edit --file`'s shapes): risk_situations, risk_factors, steps,
//  follow_up, contacts, critical_info. Each part the object holds replaces
//  PLAN's (null empties it); a part it does not hold stays as PLAN has it;
//  any other member is refused. PLAN then points into the parts and into
//  the JSON tree, which must outlive it. NULL, or the first mistake.
typedef struct _jsonr_t jsonr_t;
typedef struct _cli_plan_parts_t cli_plan_parts_t;
cli_plan_parts_t *cli_plan_parts_new (void);
void cli_plan_parts_destroy (cli_plan_parts_t **self_p);
const char *cli_plan_parts_read (cli_plan_parts_t *self, const jsonr_t *parts,
                                 Samhand__V1__RiskPlan *plan);

//  Command groups: each gets the words after its name.
int cmd_keygen (cli_t *cli, int argc, char **argv);
int cmd_init_demo (cli_t *cli, int argc, char **argv);
int cmd_concern (cli_t *cli, int argc, char **argv);
int cmd_risk (cli_t *cli, int argc, char **argv);
int cmd_discuss (cli_t *cli, int argc, char **argv);
int cmd_case_status (cli_t *cli, int argc, char **argv);
int cmd_listen (cli_t *cli, int argc, char **argv);
int cmd_ping (cli_t *cli, int argc, char **argv);
int cmd_subscribe (cli_t *cli, int argc, char **argv);
int cmd_consent (cli_t *cli, int argc, char **argv);
int cmd_status (cli_t *cli, int argc, char **argv);
int cmd_inbox (cli_t *cli, int argc, char **argv);
int cmd_audit (cli_t *cli, int argc, char **argv);
int cmd_admin (cli_t *cli, int argc, char **argv);
//  admin enroll FILE / revoke NAME / list, on the broker's enrolled folder
//  DIR, locally (cmd_enroll.c). Without DIR, the folder named by
//  server/enrolled in BROKER_CONFIG (the broker's samhandd.cfg, given with
//  -c). ARG is the file or name. Returns an exit code.
//  REPLACE (enroll): renew, putting the node's old certificate in revoked/.
int cli_admin_enrolled (const char *action, const char *dir, const char *broker_config,
                        const char *arg, bool json, bool replace);
int cmd_selftest (cli_t *cli, int argc, char **argv);
int cmd_plan (cli_t *cli, int argc, char **argv);

//  Shared by keygen and init-demo: writes DIR/NAME.cert (+ _secret, 0600)
//  with name/agency/role metadata; if ENROLLED is not NULL also a public
//  copy there. Returns 0 or -1 (message on stderr).
int cli_make_cert (const char *dir, const char *name, const char *agency, const char *role,
                   const char *enrolled);

//  Validates a node name (letters, digits, '-', '_'; 1-63 chars).
bool cli_name_valid (const char *name);

//  The witness file: the newest signed audit head this (admin) node has
//  seen, NODE.audit_head beside its config file (or its certificate),
//  mode 0600. Keeping replaces it only with a head of a higher record.
//  Load: 1 found (HEAD points into HASH and SIG), 0 none, -1 unreadable.
int cli_witness_load (cli_t *cli, Samhand__V1__AuditHead *head, uint8_t hash [32],
                      uint8_t sig [64]);
int cli_witness_keep (cli_t *cli, const Samhand__V1__AuditHead *head);

#endif
