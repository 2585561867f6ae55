/*  notice — broker-made messages. See notice.h.                             */
#include "notice.h"
#include "retention.h"

static bool
s_takes (handler_ctx_t *self, const node_t *node, int kind)
{
    session_t *session = sessions_subscription (self->sessions, node, self->store, self->config);
    return session && (session->sub_kinds & (1u << kind));
}

static int
s_store (handler_ctx_t *self, Samhand__V1__Deliver *template_, const uint8_t *subject_key,
         uint8_t message_id [16], int64_t *message)
{
    if (crypto_random (message_id, 16))
        return -1;
    size_t size = samhand__v1__deliver__get_packed_size (template_);
    uint8_t *plain = (uint8_t *) malloc (size? size: 1);
    uint8_t *sealed = NULL;
    size_t sealed_size = 0;
    if (!plain)
        return -1;
    samhand__v1__deliver__pack (template_, plain);
    int rc = retention_seal (self, template_->kind, message_id, 16, plain, size,
                             &sealed, &sealed_size);
    free (plain);
    if (rc)
        return -1;
    store_message_t msg = {
        .sender_key = "samhandd", .message_id = message_id, .sender_node = "samhandd",
        .sender_agency = 0, .kind = template_->kind, .acute = template_->acute,
        .subject_key = subject_key, .payload = sealed, .payload_size = sealed_size,
        .created_ms = self->now_ms, .expires_ms = self->now_ms + self->config->ttl_ms [template_->kind] };
    rc = store_message_insert (self->store, &msg);
    free (sealed);
    *message = msg.message;
    return rc;
}

int
notice_post (handler_ctx_t *self, Samhand__V1__Deliver *template_, notice_to_t to,
             const uint8_t *subject_key, const char *rule, const char *basis,
             const char *reason)
{
    uint8_t message_id [16];
    int64_t message = 0;
    if (store_begin (self->store) || s_store (self, template_, subject_key, message_id, &message))
        return -1;
    int count = 0;
    for (size_t i = 0; i < nodes_size (self->nodes); i++) {
        const node_t *node = nodes_at (self->nodes, i);
        bool wanted = (to.only_node && streq (node->name, to.only_node))
                   || ((to.agencies & (1u << node->agency))
                       && (!to.roles || (to.roles & (1u << node->role)))
                       && s_takes (self, node, template_->kind));
        if (!wanted)
            continue;
        if (store_outbox_insert (self->store, message, node->name, node->agency,
                                 SAMHAND__V1__VIEW__PSEUDONYMISED, rule, basis, reason, 0) < 0)
            return -1;
        session_t *session = sessions_get (self->sessions, node->name);
        if (session) {
            session->outstanding++;
            session->dirty = true;
        }
        audit_record_t record = { .event = "notice", .message_id = message_id,
                                  .sender = "samhandd", .node = node->name,
                                  .agency = node->agency, .view = SAMHAND__V1__VIEW__PSEUDONYMISED,
                                  .rule = rule, .basis = basis, .subject_key = subject_key,
                                  .detail = config_kind_name (template_->kind) };
        if (audit_append (self->audit, &record, self->now_ms))
            return -1;
        count++;
    }
    return count;
}

int
notice_alert (handler_ctx_t *self, const char *type, const uint8_t *message_id, const char *case_ref,
              const char *text, bool acute, notice_to_t to, const uint8_t *subject_key)
{
    return notice_alert_as (self, "SAME-AGENCY",
                            "forvaltningsloven §13 (internal notice, no personal data)",
                            type, message_id, case_ref, text, acute, to, subject_key);
}

int
notice_alert_as (handler_ctx_t *self, const char *rule, const char *basis, const char *type,
                 const uint8_t *message_id, const char *case_ref, const char *text,
                 bool acute, notice_to_t to, const uint8_t *subject_key)
{
    Samhand__V1__Deliver template_ = SAMHAND__V1__DELIVER__INIT;
    Samhand__V1__Alert alert = SAMHAND__V1__ALERT__INIT;
    alert.type = (char *) type;
    if (message_id)
        alert.message_id = (ProtobufCBinaryData) { 16, (uint8_t *) message_id };
    alert.case_ref = (char *) (case_ref? case_ref: "");
    alert.text = (char *) text;
    alert.acute = acute;
    template_.kind = SAMHAND__V1__KIND__ALERT;
    template_.acute = acute;
    template_.body_case = SAMHAND__V1__DELIVER__BODY_ALERT;
    template_.alert = &alert;
    return notice_post (self, &template_, to, subject_key, rule, basis, type);
}
