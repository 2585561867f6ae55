/*  samhand.h — libsamhand, the C client of the samhand broker.

    One samhand_client_t is one CURVE-authenticated DEALER connection to
    samhandd (to each of its endpoints, when an active broker has a standby:
    see samhand_client_new). Every ZeroMQ message is one frame holding one protobuf
    samhand.v1.Frame (see proto/samhand.proto). The broker knows the node
    by its CURVE key alone: nothing the client writes names the sender.

    Ownership, as in czmq: a function that returns a pointer the caller
    must free says so; everything passed in stays the caller's. Frames
    returned by this library are freed with samhand_frame_destroy.

    Failures are reported through zsys_error (which czmq writes to stdout
    unless the program calls zsys_set_logstream) and kept as plain words in
    samhand_last_error () for programs that show their own messages.
    A client is not thread-safe: use one per thread.                       */
#ifndef SAMHAND_H
#define SAMHAND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "samhand.pb-c.h"

#ifdef __cplusplus
extern "C" {
#endif

#define SAMHAND_PROTOCOL_VERSION   1
#define SAMHAND_MESSAGE_ID_SIZE    16
#define SAMHAND_DEFAULT_PORT       7450
#define SAMHAND_LINGER_MS          2000
#define SAMHAND_HEARTBEAT_IVL_MS   5000
#define SAMHAND_HEARTBEAT_TTL_MS   15000
//  With several broker endpoints (an active broker and its standby), how
//  long samhand_client_send waits for a ready connection to the active one.
#define SAMHAND_SEND_WAIT_MS       2000
//  How often samhand_client_receipts sends the receipts again when another
//  broker run than the one they went to answered (a restart, a takeover).
#define SAMHAND_RECEIPT_RETRIES    2

typedef struct _samhand_client_t samhand_client_t;

//  Connection settings, as read from a client config file:
//      client
//          endpoint = "tcp://127.0.0.1:7450"
//          broker_cert = "../server.cert"     # the broker's PUBLIC cert
//          cert = "vakt.cert"                 # vakt.cert_secret beside it
//  Relative paths are resolved against the config file's directory. With an
//  active and a standby broker, endpoint lists both, separated by commas:
//          endpoint = "tcp://broker-a:7450,tcp://broker-b:7450"
typedef struct {
    char endpoint [256];
    char broker_cert [1024];
    char cert [1024];
} samhand_settings_t;

//  Fills SETTINGS from the ZPL file at CONFIG_PATH. Returns 0, or -1 with
//  samhand_last_error () saying what is missing.
int samhand_settings_load (samhand_settings_t *settings, const char *config_path);

//  The last failure of this thread, in plain words ("" if none).
const char *samhand_last_error (void);

//  ---------------------------------------------------------------- client

//  Connects (lazily: ZeroMQ completes the handshake in the background).
//  broker_cert_path is the broker's public zcert; client_cert_path is
//  NAME.cert with its secret in NAME.cert_secret beside it. NULL on
//  failure (unreadable certificate, bad endpoint).
//  ENDPOINT may list up to 8 brokers separated by commas: the client
//  connects to every one, but frames go only to a connection whose
//  handshake is done (ZMQ_IMMEDIATE), which is the active broker's, since
//  a standby binds only when it takes over; each standby is tried again
//  at least every second. With one endpoint nothing of this applies and a
//  frame sent before the handshake waits in the socket's queue.
samhand_client_t *samhand_client_new (const char *endpoint, const char *broker_cert_path,
                                      const char *client_cert_path);

//  Same, with the settings from a client config file.
samhand_client_t *samhand_client_new_from_config (const char *config_path);

//  Closes the connection (waiting at most SAMHAND_LINGER_MS for unsent
//  frames, and not at all when the link is not READY) and frees
//  everything, including queued frames. Nulls *self_p.
void samhand_client_destroy (samhand_client_t **self_p);

//  Closes the socket and opens a fresh one (a new CURVE handshake). If the
//  client had subscribed, the same Subscribe is sent again, since the
//  broker ties the delivery session to the connection. Queued frames are
//  kept. Returns 0 or -1.
int samhand_client_reconnect (samhand_client_t *self);

//  Sets frame->version to 1, packs and sends it. The frame stays the
//  caller's. Returns 0, or -1 if it could not be queued. With several
//  endpoints it waits up to SAMHAND_SEND_WAIT_MS for a ready broker.
int samhand_client_send (samhand_client_t *self, Samhand__V1__Frame *frame);

//  Next frame from the broker (a queued one first), waiting at most
//  timeout_ms (-1: forever). Undecodable bodies and frames of another
//  protocol version are dropped with a warning, not returned. NULL on
//  timeout or interrupt. Caller frees with samhand_frame_destroy.
Samhand__V1__Frame *samhand_client_recv (samhand_client_t *self, int timeout_ms);

//  Frees a frame from this library. Nulls *frame_p.
void samhand_frame_destroy (Samhand__V1__Frame **frame_p);

//  Sends REQUEST with a fresh request_id and waits for the reply carrying
//  that id. An Error with request_id 0 also counts as the reply (the
//  broker could not read the request's id). Deliver frames and other
//  unsolicited frames arriving meanwhile are queued for samhand_client_recv;
//  stale replies to earlier requests are dropped. NULL on timeout.
//  The reply is the caller's (samhand_frame_destroy).
Samhand__V1__Frame *samhand_client_request (samhand_client_t *self,
                                            Samhand__V1__Frame *request, int timeout_ms);

//  Submits and waits for the SubmitResult. If submit->message_id is empty,
//  a random 16-byte id is filled in, pointing into the client (valid until
//  the next submit on it). On timeout, or on a broker answer of INTERNAL or
//  SHUTTING_DOWN, it reconnects and tries again with the SAME message id,
//  up to RETRIES more times: the broker stores a message id once, so a
//  retry never doubles a message. When the connection the submit went on
//  is lost before the answer (the broker died; a standby takes over), it
//  sends again at once, without waiting for the timeout, as soon as a
//  broker is ready (this counts as a retry). Each attempt waits at most
//  TIMEOUT_MS for a ready broker and its answer. It gives up early when
//  the link state says the broker refused the certificate
//  (samhand_client_link).
//  Returns 0 when accepted (committed to disk), 1 when the broker answered
//  with a refusal (SubmitResult with accepted=false, or an Error frame),
//  -1 when it never answered. *reply (if reply is not NULL) receives the
//  answer frame, or NULL; it is the caller's.
int samhand_client_submit (samhand_client_t *self, Samhand__V1__Submit *submit,
                           int timeout_ms, int retries, Samhand__V1__Frame **reply);

//  Makes this connection the node's delivery session. SUBSCRIBE may be
//  NULL (keep the node's stored or default subscription). Its
//  session_kinds filter this connection only; its kinds / reset change the
//  node's stored subscription (audited by the broker). With manage_only
//  the stored subscription is changed or shown and the connection does not
//  become the session. Returns the Subscribed (or Error) frame, or NULL on
//  timeout. Caller frees it. The session filter is kept for
//  samhand_client_reconnect (a stored change is not sent again).
//  If another connection of the node subscribes later, an Error
//  SESSION_REPLACED (request_id 0) comes out of samhand_client_recv.
Samhand__V1__Frame *samhand_client_subscribe (samhand_client_t *self,
                                              Samhand__V1__Subscribe *subscribe,
                                              int timeout_ms);

//  Acknowledges a delivery (RECEIVED when stored or shown, READ when a
//  person opened it). The broker answers only on error. Returns 0 or -1.
int samhand_client_receipt (samhand_client_t *self, uint64_t delivery_id,
                            Samhand__V1__ReceiptState state);

//  Who am I: returns the Pong (node, agency, role) or an Error frame, or
//  NULL on timeout. Caller frees it.
Samhand__V1__Frame *samhand_client_ping (samhand_client_t *self, int timeout_ms);

//  Consent registry (coordinator). Each returns the ConsentReply (or Error)
//  frame, or NULL on timeout. Caller frees it.
Samhand__V1__Frame *samhand_client_consent_grant (samhand_client_t *self,
                                                  Samhand__V1__ConsentGrant *grant,
                                                  int timeout_ms);
Samhand__V1__Frame *samhand_client_consent_withdraw (samhand_client_t *self,
                                                     const char *consent_id, int timeout_ms);
Samhand__V1__Frame *samhand_client_consent_query (samhand_client_t *self,
                                                  Samhand__V1__Subject *subject,
                                                  int timeout_ms);

//  What happened to a message this node sent (an admin node may ask about
//  any): returns the StatusReport (or Error: NOT_FOUND when the message is
//  not this node's or unknown), or NULL on timeout. MESSAGE_ID is the
//  16-byte id of the submit. Caller frees it.
Samhand__V1__Frame *samhand_client_status (samhand_client_t *self, const uint8_t *message_id,
                                           size_t len, int timeout_ms);

//  What waits for this node (not yet received, or received but not read;
//  with INCLUDE_READ read ones too), oldest first, at most LIMIT (0: the
//  broker's maximum). Returns the InboxReply, or NULL on timeout. Listing
//  changes nothing at the broker. Caller frees it.
Samhand__V1__Frame *samhand_client_inbox (samhand_client_t *self, bool include_read,
                                          uint32_t limit, int timeout_ms);

//  Sends one receipt per delivery id, then waits until the broker has
//  handled them all: it answers one connection's frames in order, so the
//  Pong to a Ping sent after them comes after any refusal of them.
//  CODES [i] (if CODES is not NULL) receives 0 when the broker took receipt
//  i, else the ErrorCode it refused it with (UNKNOWN_DELIVERY: not this
//  node's, unknown, or no longer outstanding). Returns 0 when the broker
//  answered, -1 when it did not (the codes are then unknown). An answer
//  from another broker run than the one the receipts were sent to
//  (Pong.instance changed: a restart, or a standby took over) confirms
//  nothing, since they may be lost: they are sent again, to the run that
//  answered, up to SAMHAND_RECEIPT_RETRIES times, and -1 if no run
//  confirmed them (send them again later).
int samhand_client_receipts (samhand_client_t *self, const uint64_t *delivery_ids,
                             size_t count, Samhand__V1__ReceiptState state,
                             int timeout_ms, int *codes);

//  Audit log (admin role): QUERY->query is "verify", "who-received" or
//  "export". Returns the AuditReply (its error says NOT_PERMITTED to other
//  roles), or NULL on timeout. Caller frees it.
Samhand__V1__Frame *samhand_client_audit (samhand_client_t *self,
                                          Samhand__V1__AuditQuery *query, int timeout_ms);

//  Dead letters (admin role): COMMAND "dead-letters" lists them, "requeue"
//  puts DELIVERY_ID back in its node's outbox. Returns the AdminReply (or
//  Error), or NULL on timeout. Caller frees it.
Samhand__V1__Frame *samhand_client_admin (samhand_client_t *self, const char *command,
                                          uint64_t delivery_id, int timeout_ms);

//  Risk management plan. PLAN_QUERY: this node's view of the case's plan
//  (CASE_REF is this node's agency's reference), REVISION 0 for the
//  current one, HISTORY to list every revision and evaluation. PLAN
//  EVALUATE: records the evaluation (coordinator); NEXT_DATE "" or NULL
//  is one month ahead. Each returns the PlanReply (or Error) frame, or
//  NULL on timeout. Caller frees it. A plan is edited by submitting a
//  whole new revision (Submit with a risk_plan body, base_revision the
//  revision it was made from) with samhand_client_submit.
Samhand__V1__Frame *samhand_client_plan_query (samhand_client_t *self, const char *case_ref,
                                               uint32_t revision, bool history, int timeout_ms);
Samhand__V1__Frame *samhand_client_plan_evaluate (samhand_client_t *self, const char *case_ref,
                                                  const char *note, const char *next_date,
                                                  int timeout_ms);

//  What ZeroMQ has told us about the link to the broker, so that a silence
//  can be explained: nothing listening, certificate refused, or connected.
typedef enum {
    SAMHAND_LINK_UNKNOWN = 0,       //  no event yet (still connecting)
    SAMHAND_LINK_UNREACHABLE,       //  TCP connect failed: nothing listening there
    SAMHAND_LINK_CONNECTED,         //  TCP up, CURVE handshake not finished
    SAMHAND_LINK_READY,             //  handshake done: the broker knows us
    SAMHAND_LINK_REFUSED,           //  the broker refused our certificate (ZAP)
    SAMHAND_LINK_FAILED,            //  handshake failed (wrong broker key?)
    SAMHAND_LINK_LOST               //  was ready, now disconnected
} samhand_link_t;

//  Current link state (reads pending socket events without blocking).
//  With several endpoints: READY if any broker is, else the state that
//  explains the silence best (REFUSED, FAILED, CONNECTED, LOST,
//  UNREACHABLE, in that order).
samhand_link_t samhand_client_link (samhand_client_t *self);

//  True when no broker is ready and one has refused this node's key (ZAP:
//  not enrolled, revoked, expired) or failed CURVE handshakes 3 times in a
//  row (we hold a broker key it does not have: a wrong or retired
//  broker_cert). Requests give up as soon as this holds rather than wait
//  their whole timeout (samhand_last_error says why); it does not mend
//  by waiting, but a later enrolment does (a handshake that succeeds ends
//  it). BY_ZAP (may be NULL): set when the broker refused our key (rather
//  than the handshake failing). Reads pending socket events without
//  blocking.
bool samhand_client_key_refused (samhand_client_t *self, bool *by_zap);

//  The raw zsock_t (as void *) for tests and for polling several sockets.
//  Changes on samhand_client_reconnect. Do not read from it directly if
//  you also use samhand_client_recv (frames may be queued inside).
void *samhand_client_socket (samhand_client_t *self);

//  True when frames are queued inside the client (poll would not see them).
bool samhand_client_has_queued (samhand_client_t *self);

//  ---------------------------------------------------------------- helpers

//  16 random bytes from the kernel's CSPRNG.
void samhand_random_message_id (uint8_t out [SAMHAND_MESSAGE_ID_SIZE]);

//  Writes LEN bytes as lowercase hex into OUT (2*len+1 bytes). Returns OUT.
char *samhand_hex (const uint8_t *data, size_t len, char *out);

//  The error frame inside REPLY (an Error frame, or the error of a
//  SubmitResult, ConsentReply, AuditReply, StatusReport, InboxReply or
//  AdminReply or PlanReply), or NULL.
const Samhand__V1__Error *samhand_reply_error (const Samhand__V1__Frame *reply);

//  Names on the command line and in JSON are the lowercase proto names
//  ("concern_report", "police_risk", "pseudonymised"), with these
//  exceptions: measure "other", data class "risk_level", basis "consent",
//  "avert", "anonymised". *_name returns "" for 0 and "unknown" out of
//  range; *_from_name returns the enum value, or -1 for an unknown name.
const char *samhand_kind_name (int value);
int samhand_kind_from_name (const char *name);
const char *samhand_agency_name (int value);
int samhand_agency_from_name (const char *name);
const char *samhand_urgency_name (int value);
int samhand_urgency_from_name (const char *name);
const char *samhand_violence_name (int value);
int samhand_violence_from_name (const char *name);
const char *samhand_risk_level_name (int value);
int samhand_risk_level_from_name (const char *name);
const char *samhand_measure_name (int value);
int samhand_measure_from_name (const char *name);
const char *samhand_view_name (int value);
int samhand_view_from_name (const char *name);
const char *samhand_basis_name (int value);
int samhand_basis_from_name (const char *name);
const char *samhand_data_class_name (int value);
int samhand_data_class_from_name (const char *name);
const char *samhand_consent_form_name (int value);
int samhand_consent_form_from_name (const char *name);
const char *samhand_weekday_name (int value);
int samhand_weekday_from_name (const char *name);
const char *samhand_receipt_state_name (int value);
const char *samhand_error_code_name (int value);

//  Risk assessment instruments RiskChange.instrument may name (the broker
//  refuses any other with INVALID_FIELD; see PROTOCOL.md): "SARA-V3",
//  "SARA:SV", "B-SAFER", "PATRIARK", "SAM", "DASH", "ODARA". Returns the
//  canonical spelling of NAME, compared without regard to ASCII case, or
//  NULL when it is not one of them. samhand_instruments () lists them,
//  NULL-terminated.
const char *samhand_instrument (const char *name);
const char *const *samhand_instruments (void);

#ifdef __cplusplus
}
#endif
#endif
