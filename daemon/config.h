/*  config — samhandd's ZPL configuration, read once into a plain struct.

    The file is czmq ZPL (see config/samhandd.cfg). Unknown sections and
    keys are refused (did-you-mean); every error names FILE:LINE. Relative
    paths of configuration (cert, enrolled) are resolved against the
    directory of the config file; relative paths of state (store, keys)
    against server/state_dir, which defaults to the config file's directory
    (the demo's self-contained folder; a packaged install sets
    /var/lib/samhand). Every value is validated here; the
    daemon refuses to start on anything it does not understand.          */
#ifndef SAMHAND_CONFIG_H
#define SAMHAND_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

//  Kind numbers follow samhand.v1.Kind; KIND_BIT_CONSENT marks the right to
//  record consent in the roles table.
#define CONFIG_KINDS        8
#define KIND_BIT_CONSENT    (1u << 31)
#define CONFIG_ROLES        5     //  policy_role_t values

//  Debian's wnorwegian word list: proper nouns and common words.
#define CONFIG_NAMES_DICT_DEFAULT "/usr/share/dict/bokmaal"

typedef struct {
    char *path;                   //  the config file itself
    char *bind;                   //  ZeroMQ endpoint to bind
    char *cert_path;              //  server certificate (secret beside it)
    char *enrolled_dir;           //  enrolled node public certificates
    char *store_path;             //  sqlite database
    char *keys_dir;               //  data keys, pseudonym secret, audit key
    char *names_dict;             //  word list for the scanner's name rules
    char *state_dir;              //  where relative store and keys paths point
    char *metrics_bind;           //  loopback ADDRESS:PORT for /metrics; NULL = off
    //  Server key rotation: the previous server certificate is still
    //  accepted on its own endpoint until previous_until (all three or none).
    char *previous_cert_path;
    char *previous_bind;
    int64_t previous_until_ms;    //  0: no previous key
    char *name;                   //  this broker in status and logs (default: host name)
    bool  standby;                //  store led by another broker: wait for it (server/standby)
    bool  log_syslog;
    int   log_level;              //  syslog priority: LOG_ERR (3) .. LOG_DEBUG (7)
    size_t max_frame;             //  bytes; larger bodies get TOO_LARGE
    int   inflight_window;        //  unreceipted deliveries per node
    int   max_outbox;             //  pending entries per node before refusing submits
    int   redeliver_after_ms;
    int   batch;                  //  frames read per cycle (one transaction)
    int   heartbeat_ms;
    int   audit_sign_every_s;     //  audit chain head signing interval
    int   purge_every_s;          //  retention check interval
    uint32_t routes [CONFIG_KINDS];           //  agency bitmask per kind
    uint32_t role_kinds [CONFIG_ROLES];       //  kinds a role may submit
    uint32_t role_subscriptions [CONFIG_ROLES];  //  default kinds per role
    int64_t  retention_ms [CONFIG_KINDS];     //  personal data kept this long
    int64_t  ttl_ms [CONFIG_KINDS];           //  undelivered mail expires after this
    int      max_attempts;                    //  deliveries before a dead letter
    int64_t  escalate_after_ms;               //  acute concern unread this long: escalate
    int64_t  escalate_every_ms;               //  and again at this interval
    int64_t  status_every_ms;                 //  high-risk case without status this long
    int64_t  timer_tick_ms;
} config_t;

//  Parses "30d", "12h", "15m", "90s" or a plain number of days into
//  milliseconds; -1 if malformed.
int64_t config_parse_duration (const char *text);

//  Loads and validates FILE. Returns NULL and writes a message to err.
config_t *config_load (const char *file, char *err, size_t errlen);

//  Takes over from FRESH what may change while running: limits, routes,
//  roles, subscriptions, time to live, workflow and retention. Endpoint,
//  certificates, store and keys need a restart; returns 1 if FRESH differs
//  in any of those (they are left as they are), else 0.
int config_apply_reload (config_t *self, const config_t *fresh);

//  "error", "warning", "notice", "info", "debug" -> LOG_ERR..LOG_DEBUG; -1
//  if unknown.
int config_log_level (const char *name);

//  Destroys the config and nulls the pointer.
void config_destroy (config_t **self_p);

//  Parses "resource_centre,police_risk" into an agency bitmask; -1 on an
//  unknown name. Empty string gives 0.
int64_t config_parse_agencies (const char *list);

//  Parses "concern_report,risk_change,consent" into a kind bitmask; -1 on an
//  unknown name.
int64_t config_parse_kinds (const char *list);

//  Parses a role name; -1 if unknown. Agency name -> Samhand__V1__Agency or -1.
int config_role_from_name (const char *name);
int config_agency_from_name (const char *name);
const char *config_agency_name (int agency);
const char *config_kind_name (int kind);
const char *config_role_name (int role);

#endif
