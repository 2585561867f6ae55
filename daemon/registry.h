/*  registry — what the broker knows about people, kept without clear text:
    consents (by keyed subject key), the per-agency case references it has
    minted, and keyed hashes of names seen in identified messages, per
    agency that sent or received them identified (for the identifier
    scanner: an agency's answers may depend on its own set only). Tables live in the store's
    database and are written inside the broker's cycle transaction.       */
#ifndef SAMHAND_REGISTRY_H
#define SAMHAND_REGISTRY_H

#include <stddef.h>
#include <stdint.h>
#include "store.h"

typedef struct _registry_t registry_t;

#ifndef MUST_CHECK
#define MUST_CHECK __attribute__ ((warn_unused_result))
#endif

#define REGISTRY_MAX_PURPOSES 8

typedef struct {
    char     id [40];
    uint8_t  subject_key [32];
    uint32_t agencies;
    uint32_t classes;
    char     purposes_text [256];              //  comma-separated
    const char *purposes [REGISTRY_MAX_PURPOSES];   //  point into purposes_text
    size_t   n_purposes;
    int64_t  valid_from, valid_until;          //  unix seconds
    int      form;
    //  Who assessed the person's capacity to consent: sealed (AES-GCM,
    //  consent.c opens it) in capacity_sealed; a row from before that
    //  keeps it in clear in capacity_by (capacity_sealed_size 0). SIZE_MAX:
    //  a sealed value too long to be one the broker wrote.
    char     capacity_by [128];
    uint8_t  capacity_sealed [256];
    size_t   capacity_sealed_size;
    int64_t  capacity_at;
    char     recorded_by [64];
    int      recorded_agency;      //  the recording node's agency when it recorded
                                   //  it; 0 none known, -1 not yet filled in
    int64_t  recorded_at;
    int64_t  withdrawn_at;
    char     withdrawn_by [64];
} registry_consent_t;

registry_t *registry_new (store_t *store);
void registry_destroy (registry_t **self_p);

//  After a rolled-back transaction: forget which writes were made.
void registry_forget_writes (registry_t *self);

//  Case references: (agency, ref) <-> subject key.
MUST_CHECK int registry_case_ref_put (registry_t *self, int agency, const char *ref,
                           const uint8_t subject_key [32]);
//  1 and the key when found, 0 when unknown, -1 on error.
int registry_case_ref_get (registry_t *self, int agency, const char *ref,
                           uint8_t subject_key [32]);

//  Consents. Loads the newest MAX consents of a subject into OUT, oldest
//  first; returns the count, or -1 on a database error.
int registry_consents_for (registry_t *self, const uint8_t subject_key [32],
                           registry_consent_t *out, int max);
int registry_consent_get (registry_t *self, const char *id, registry_consent_t *out);
MUST_CHECK int registry_consent_insert (registry_t *self, const registry_consent_t *consent);
MUST_CHECK int registry_consent_withdraw (registry_t *self, const char *id, int64_t now,
                               const char *by);

//  Consents stored before their recording agency was (recorded_agency -1):
//  calls fn with each recording node's name; returns how many, or -1. Then
//  sets the agency of that node's such consents (in the caller's
//  transaction).
int registry_consent_unknown_recorders (registry_t *self,
                                        void (*fn) (const char *node, void *arg), void *arg);
MUST_CHECK int registry_consent_set_recorded_agency (registry_t *self, const char *node,
                                                     int agency);

//  Consents whose assessor an older broker stored in clear: calls fn with
//  each id; returns how many, or -1. Then replaces one's clear assessor
//  by its sealed form (in the caller's transaction).
int registry_consent_clear_assessors (registry_t *self,
                                      void (*fn) (const char *id, void *arg), void *arg);
MUST_CHECK int registry_consent_seal_assessor (registry_t *self, const char *id,
                                               const uint8_t *sealed, size_t size);

//  Known identifiers: keyed hashes only, each with the agency whose set it
//  belongs to. The same hash may be stored once per agency.
#define REGISTRY_KNOWN_NAME  1
#define REGISTRY_KNOWN_PHONE 2
MUST_CHECK int registry_known_add (registry_t *self, int agency, const uint8_t hash [32], int kind);
int registry_known_each (registry_t *self,
                         void (*fn) (int agency, const uint8_t hash [32], int kind, void *arg),
                         void *arg);

#endif
