/*  redact.h — builds the view of a Submit a recipient may see (pure).

    Data classes of a Submit's body (bit 1u << DataClass):
      IDENTITY          subject name, national_id, birth_date
      CONTACT           subject phone
      ADDRESS           subject address
      RISK_LEVEL_CLASS  risk change instrument, level, imminent,
                        serious_physical_harm, measures, review_by
      RISK_FACTORS      risk factors that are not about health
      HEALTH            risk factors about substance use or health: a factor
                        with a word beginning "rus", "alkohol", "alcohol",
                        "substance", "drug", "narko", "heroin", "amfetamin",
                        "amphetamine", "opioid", "overdose", "cannabis",
                        "hasj", "helse", "health", "psykiatri", "psychiatr",
                        "diagnos" (ASCII case-insensitive; "trusler" is
                        not "rus"). Such a factor is HEALTH only.
      FREE_TEXT         text (every body), question (discussion),
                        not_informed_reason (concern); a risk plan's
                        critical_info and note
    Of a risk plan (RiskPlan):
      RISK_LEVEL_CLASS  instrument, level, imminent, measures,
                        next_evaluation, changes (the broker's words)
      RISK_FACTORS / HEALTH  risk_factors and risk_situations, each by
                        the health words above
      PLAN_STEPS        steps; a PSEUDONYMISED view keeps only the steps
                        whose responsible agency is decision->recipient
                        and whose text_clean the broker set
      CONTACT_POINTS    contacts and primary_contact (never pseudonymised)
      FOLLOW_UP         follow_up, the weekly activity plan (never
                        pseudonymised)
      unclassed         base_revision, revision, edited_by, edited_at,
                        significant
    Unclassed, kept in every identified or pseudonymised view: a concern's
    urgency, violence types, children_involved and subject_informed, and
    the case reference (which the redactor replaces, see redact_apply).

    Ownership: redact_apply changes the Submit in place. The Submit must
    come from protobuf_c_message_unpack / samhand__v1__submit__unpack with
    the default allocator (NULL), which is malloc/free; removed strings,
    arrays and submessages are freed with free and replaced by valid empty
    values, so the caller frees the Submit afterwards with
    samhand__v1__submit__free_unpacked (submit, NULL) as usual, whatever
    redact_apply returned. No I/O, no zmq, no sqlite.                      */
#ifndef SAMHAND_REDACT_H
#define SAMHAND_REDACT_H
#include <stdbool.h>
#include <stdint.h>
#include "samhand.pb-c.h"
#include "policy.h"

//  DataClass bitmask of what the Submit's body carries; 0 for NULL or a
//  Submit without a body.
uint32_t redact_classes_present (const Samhand__V1__Submit *submit);

//  Reduces the Submit to what the decision allows:
//  - every field whose class is not in decision->classes_allowed goes;
//  - PSEUDONYMISED also loses identity, contact, address and free text
//    whatever classes_allowed says, and the subject goes altogether;
//  - ANONYMISED is for a case discussion only and keeps text / question
//    (if FREE_TEXT is allowed);
//  - the body's case_ref becomes case_ref (copied; NULL or "" clears it)
//    in every view, so a recipient never sees another agency's reference;
//  - the legal claim (justification, decision-maker) and any unknown
//    fields are removed: the recipient's view is built from known fields.
//  Returns 0, or -1 when the view is WITHHELD or unknown, the body is not
//  set, ANONYMISED is asked for anything but a discussion, or memory runs
//  out. After -1 the Submit is still valid but must not be delivered.
int redact_apply (Samhand__V1__Submit *submit, const policy_decision_t *decision,
                  const char *case_ref);

//  A plan's "changes" (the broker's words: levels, measures, and counts of
//  the other parts) cut in place to the phrases about parts the recipient
//  may see with KEEP: "contact points 1 -> 2" only with CONTACT_POINTS, and
//  so on; a PSEUDONYMISED view keeps levels, measures, imminent risk and
//  the next evaluation only. redact_apply cuts a plan's changes this way
//  in a pseudonymised view and in one resting on a consent; within the
//  agency (SAME-AGENCY, no consent_id) they stay whole.
void redact_plan_changes (char *changes, uint32_t keep, bool pseudonymised);

#endif
