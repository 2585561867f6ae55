/*  retention — purges personal data whose retention period has ended,
    in the cycle's transaction.                                          */
#ifndef SAMHAND_RETENTION_H
#define SAMHAND_RETENTION_H

#include "handler.h"

//  Purges expired personal data; returns how many messages.
//  Then destroys the key of a passed period (crypto-shredding).
int retention_run (handler_ctx_t *self);

//  At start: the period keys exist (made on a store's first start with
//  them; missing after that is refused). 0 or -1 (logged).
int retention_start (handler_ctx_t *self);

//  Seals content of KIND (also a plan note: RISK_PLAN) under the key of
//  the period in which its retention, from now, ends. As crypto_seal.
int retention_seal (handler_ctx_t *self, int kind, const uint8_t *aad, size_t aad_len,
                    const uint8_t *plain, size_t plain_size, uint8_t **out, size_t *out_size);

#endif
