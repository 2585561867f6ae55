/*  names — the wire enums as the words people type and read. See samhand.h.
    The tables are indexed by enum value; NULL marks a value with no name
    (so "unspecified" can never be typed by accident).                    */
#include "samhand.h"
#include <string.h>
#include <strings.h>

#define COUNT(table) (int) (sizeof (table) / sizeof *(table))

static const char *kinds [] = {
    NULL, "concern_report", "risk_change", "case_discussion", "case_status",
    "consent_notice", "alert", "risk_plan"
};
static const char *agencies [] = {
    NULL, "resource_centre", "tryggest", "police_risk", "crisis_centre"
};
static const char *urgencies [] = { NULL, "routine", "urgent", "acute" };
static const char *violences [] = {
    NULL, "physical", "psychological", "sexual", "economic", "material", "digital",
    "latent", "structural", "negative_social_control", "honour_related"
};
static const char *levels [] = { NULL, "low", "moderate", "high" };
static const char *measures [] = {
    NULL, "violence_alarm", "restraining_order", "reverse_violence_alarm", "relocation",
    "safety_plan", "crisis_bed", "secret_address", NULL, NULL, NULL, NULL, NULL, NULL,
    NULL, "other"
};
static const char *views [] = { NULL, "identified", "pseudonymised", "anonymised", "withheld" };
static const char *bases [] = { NULL, "consent", "avert", "anonymised" };
static const char *classes [] = {
    NULL, "identity", "contact", "address", "risk_level", "risk_factors", "health", "free_text",
    "plan_steps", "contact_points", "follow_up"
};
static const char *weekdays [] = {
    NULL, "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"
};
static const char *forms [] = { NULL, "written", "verbal" };
static const char *receipts [] = { NULL, "received", "read" };
static const char *errors [] = {
    NULL, "MALFORMED", "TOO_LARGE", "UNSUPPORTED_VERSION", "MISSING_FIELD", "INVALID_FIELD",
    "NOT_PERMITTED", "OUTBOX_FULL", "UNKNOWN_DELIVERY", "INTERNAL", "IDENTIFIER_FOUND",
    "NOT_FOUND", "BASIS_INCOMPLETE", "SHUTTING_DOWN", "UNEXPECTED_COMMAND",
    "SESSION_REPLACED", "DELIVERY_EXPIRED", "STORE_FULL", NULL, NULL, "REVISION_CONFLICT"
};

static const char *
s_name (const char **table, int count, int value)
{
    if (value == 0)
        return "";
    if (value < 0 || value >= count || !table [value])
        return "unknown";
    return table [value];
}

static int
s_value (const char **table, int count, const char *name)
{
    if (!name)
        return -1;
    for (int value = 1; value < count; value++)
        if (table [value] && strcmp (table [value], name) == 0)
            return value;
    return -1;
}

#define NAMES(fn, table)                                                     \
    const char *samhand_##fn##_name (int value)                              \
    { return s_name (table, COUNT (table), value); }                         \
    int samhand_##fn##_from_name (const char *name)                          \
    { return s_value (table, COUNT (table), name); }

NAMES (kind, kinds)
NAMES (agency, agencies)
NAMES (urgency, urgencies)
NAMES (violence, violences)
NAMES (risk_level, levels)
NAMES (measure, measures)
NAMES (view, views)
NAMES (basis, bases)
NAMES (data_class, classes)
NAMES (consent_form, forms)
NAMES (weekday, weekdays)

const char *
samhand_receipt_state_name (int value)
{
    return s_name (receipts, COUNT (receipts), value);
}

const char *
samhand_error_code_name (int value)
{
    return s_name (errors, COUNT (errors), value);
}

//  Kept in step with daemon/frame.c (the broker's list): the protocol is
//  the contract, and PROTOCOL.md names them.
static const char *instruments [] = {
    "SARA-V3", "SARA:SV", "B-SAFER", "PATRIARK", "SAM", "DASH", "ODARA", NULL
};

const char *const *
samhand_instruments (void)
{
    return instruments;
}

const char *
samhand_instrument (const char *name)
{
    for (int i = 0; name && instruments [i]; i++)
        if (strcasecmp (name, instruments [i]) == 0)
            return instruments [i];
    return NULL;
}
