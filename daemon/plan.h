/*  plan — the shared risk management plan: revisions, views, evaluations
    and the plan's reminders. A revision arrives as a Submit with a
    RiskPlan body and goes through submit.c like any message (decided per
    agency, sealed, audited, delivered); plan.c adds what a living plan
    needs around that: the conflict check, the broker's own fields of a
    revision (number, author, what changed, significance, which steps
    passed the identifier check), the revision table, the query of an
    agency's view of the current plan, the monthly evaluation and the
    stored timers that remind of it. Runs inside the cycle's transaction. */
#ifndef SAMHAND_PLAN_H
#define SAMHAND_PLAN_H

#include "handler.h"

//  Stored timer kinds (key: the subject key).
#define PLAN_TIMER_REVIEW "plan_review"
#define PLAN_TIMER_STATUS "plan_status"

//  Before a plan revision is decided: checks it was based on the current
//  revision and fills the broker's fields of PLAN (revision, edited_by,
//  edited_at, significant, changes, each step's text_clean), overwriting
//  whatever the client wrote there. Returns 0, or an ErrorCode with a
//  sentence in err (REVISION_CONFLICT, MISSING_FIELD, INVALID_FIELD,
//  INTERNAL).
int plan_prepare (handler_ctx_t *self, const node_t *sender, Samhand__V1__Submit *submit,
                  const uint8_t *subject_key, char *err, size_t errlen);

//  Checks each step of a stored revision again against the names the
//  author's agency knows now: a step whose texts no longer pass loses its
//  text_clean (it is never set again). Before a view is built from it.
void plan_rescan_steps (handler_ctx_t *self, const node_t *author, Samhand__V1__Submit *submit);

//  After the revision's message row is stored: the revision row, its
//  audit record and the plan's timers. 0, or -1 (the batch must fail).
int plan_stored (handler_ctx_t *self, int64_t message, const Samhand__V1__Submit *submit,
                 const uint8_t subject_key [32]);

//  PlanQuery and PlanEvaluate.
void plan_handle (handler_ctx_t *self, zframe_t *routing_id, const node_t *node,
                  const Samhand__V1__Frame *frame);

//  Retention (in the cycle's transaction): the notes of evaluations past
//  the risk plan's retention are dropped and audited; a plan's revisions
//  go with their messages (retention.c). Returns how many, or -1 (the
//  batch must fail).
int plan_retention (handler_ctx_t *self);

//  A due plan timer (PLAN_TIMER_REVIEW or PLAN_TIMER_STATUS): reminds the
//  coordinators and the plan's primary contact, and reschedules.
void plan_timer (handler_ctx_t *self, const store_timer_t *timer);

#endif
