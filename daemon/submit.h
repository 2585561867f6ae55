/*  submit — one Submit, from authorisation to durable outbox entries.
    Runs inside the cycle's transaction; the SubmitResult is queued and
    goes out only after the commit (replies.h).                          */
#ifndef SAMHAND_SUBMIT_H
#define SAMHAND_SUBMIT_H

#include "handler.h"

//  Submit (a handler_fn).
void submit_handle (handler_ctx_t *self, zframe_t *routing_id, const node_t *node,
                    const Samhand__V1__Frame *frame);

//  True when every free-text field of the submit passes the identifier
//  scanner as the SENDER'S agency's scan sees it (its own known names and
//  the lexicon; never what other agencies' messages taught the broker).
//  Also used when a decision is taken again, so a re-decision checks
//  content exactly as the first did.
bool submit_text_clean (handler_ctx_t *self, const node_t *sender,
                        const Samhand__V1__Submit *submit);

//  Derives the subject key of a submit, or resolves its case reference.
//  Returns 1 with key, 0 if the message names nobody, -1 unknown case ref,
//  -2 a subject and a case reference that are two different people.
int submit_subject_key (handler_ctx_t *self, const node_t *node,
                        const Samhand__V1__Submit *submit, uint8_t key [32]);

//  The policy input for one recipient agency of a submit (also used when
//  a consent withdrawal decides pending deliveries again).
void submit_policy_input (handler_ctx_t *self, const node_t *sender,
                          const Samhand__V1__Submit *submit, int kind, int recipient,
                          const policy_consent_t *consents, int n_consents,
                          bool text_clean, policy_input_t *in);

#endif
