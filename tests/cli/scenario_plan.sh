#!/usr/bin/env bash
#   scenario_plan.sh — the shared risk management plan with the samhand CLI
#   only: the coordinator builds a plan step by step (`plan edit`), every
#   agency listens and asks for its view (`plan show --json`), and the
#   JSON each agency gets — by delivery and by query — is grepped for the
#   invented person's details and for the parts of the plan that agency
#   may not have. Also: a stale edit is refused (REVISION_CONFLICT), the
#   evaluation is recorded, the history lists the revisions, a consent
#   opens the police's view and its withdrawal closes it again.
#
#     SAMHAND_BUILD=build tests/cli/scenario_plan.sh
#
#   Prints "PASS name" / "FAIL name" per check; exit 1 if any failed.
#   Bounded (~10 s; a watchdog stops it at 120 s). ALL DATA IS INVENTED:
#   "Kari Oppdiktet", her fødselsnummer (valid check digits, from an
#   invented date) and phone, and everyone in her plan do not exist.
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
B=${SAMHAND_BUILD:-build}
case $B in /*) ;; *) B=$ROOT/$B ;; esac
# shellcheck source-path=SCRIPTDIR/../.. source=scripts/samhand-common.sh
. "$ROOT/scripts/samhand-common.sh"

samhand_test_begin scenario_plan 120 samhand-plan
KARI=$(fnr_from_date 240288 402)    # Kari Oppdiktet, invented, born 24.02.1988
NAME="Kari Oppdiktet"
PHONE="41290011"
#   Parts of the plan, each with a marker word to grep for
STEP_RC="STEPRC vakta henter henne ved trusler"
STEP_POL="STEPPOL patrulje rykker ut ved brudd"
STEP_TE="STEPTE fagressursgruppen drøfter saken"
CONTACT="Petra Nettverksdottir"
CONTACT_TEL="73119911"
ACTIVITY="ACTIVITYMARK samtale på kontoret"
FACTOR="FACTORMARK sjalusi og kontroll"
SITUATION="SITUATIONMARK når han løslates"
CRITICAL="CRITICALMARK ring alltid 112 først"

#   leaks FILE ALLOWED...: prints the first withheld detail found in FILE
#   that is not one of ALLOWED; status 0 when it found one.
leaks () {
    local file=$1 item; shift
    for item in "$NAME" "$KARI" "$PHONE" "STEPRC" "STEPPOL" "STEPTE" "$CONTACT" "$CONTACT_TEL" \
                "ACTIVITYMARK" "FACTORMARK" "SITUATIONMARK" "CRITICALMARK" "EVALMARK"; do
        case " $* " in *" $item "*) continue ;; esac
        grep -qF -- "$item" "$file" && { echo "$item"; return 0; }
    done
    return 1
}

[ -x "$B/samhand" ] && [ -x "$B/samhandd" ] || abort "scenario_plan: $B/samhand and $B/samhandd are not built"
PORT=$(free_port)
"$B/samhand" init-demo "$W" --port "$PORT" >/dev/null 2>"$W/init.err" || abort "scenario_plan: init-demo"
mkdir -p "$W/out"
samhand_start_broker || abort "scenario_plan: the broker answers ping"
samhand_listen vakt politi-risk tryggest krisesenter || abort "scenario_plan: the listeners start"

# ------------------------------------------------------------------ build the plan

sam koordinator plan edit --subject-id "$KARI" --subject-name "$NAME" --level moderate \
    --instrument sara-v3 --add-situation "$SITUATION" --add-factor "$FACTOR" \
    --critical "$CRITICAL" --json >"$W/r1.json" 2>"$W/r1.err"
[ $? -eq 0 ] && [ "$(json "$W/r1.json" "r['accepted']")" = "True" ]
result "plan edit: the coordinator starts the plan (revision 1)"
REF=$(json "$W/r1.json" "r['case_ref']")
sam koordinator plan edit --case "$REF" \
    --add-step "1|resource_centre|$STEP_RC|$STEP_RC" \
    --add-step "2|police_risk|$STEP_POL|$STEP_POL" \
    --add-step "3|tryggest|$STEP_TE|$STEP_TE" --json >"$W/r2.json" 2>"$W/r2.err"
result "plan edit: steps 1-3 added (revision 2)"
sam koordinator plan edit --case "$REF" --add-contact "Ressurssenteret|$CONTACT|Primærkontakt|$CONTACT_TEL" \
    --add-activity "tuesday|resource_centre|$ACTIVITY" --primary-contact vakt \
    --json >"$W/r3.json" 2>"$W/r3.err"
result "plan edit: contact point and weekly follow-up added (revision 3)"
sam koordinator plan edit --case "$REF" --level high --imminent yes --add-measure violence_alarm \
    --add-measure restraining_order --note "løslatt i dag" --json >"$W/r4.json" 2>"$W/r4.err"
result "plan edit: level raised, imminent, measures (revision 4)"

# ------------------------------------------------------------------ each agency's view

wait_for "$W/out/politi-risk.jsonl" "MODERATE -> HIGH" 10 && wait_for "$W/out/tryggest.jsonl" "MODERATE -> HIGH" 10 \
    && wait_for "$W/out/vakt.jsonl" "MODERATE -> HIGH" 10
result "significant change: the level raise reaches police, TryggEst and the duty phone"
"$PY" -c '
import json, sys
for line in open (sys.argv [1]):
    d = json.loads (line)
    p = d.get ("risk_plan") or {}
    if "MODERATE -> HIGH" in p.get ("changes", ""):
        sys.exit (0 if d.get ("acute") and p.get ("significant") else 1)
sys.exit (1)' "$W/out/politi-risk.jsonl"
result "significant change: it arrives as an acute alert"

PR=$(grep -o 'PR-[2-9A-Z]\{4\}-[2-9A-Z]\{4\}-[2-9A-Z]\{4\}' "$W/out/politi-risk.jsonl" | head -1)
TE=$(grep -o 'TE-[2-9A-Z]\{4\}-[2-9A-Z]\{4\}-[2-9A-Z]\{4\}' "$W/out/tryggest.jsonl" | head -1)
sam vakt plan show --case "$REF" --json >"$W/show-vakt.json" 2>"$W/show-vakt.err"
[ $? -eq 0 ] && grep -qF "$NAME" "$W/show-vakt.json" && grep -qF "$CONTACT_TEL" "$W/show-vakt.json" \
    && grep -qF "STEPTE" "$W/show-vakt.json"
result "night shift: the duty operator's plan show has the whole plan"
sam politi-risk plan show --case "$PR" --json >"$W/show-pol.json" 2>"$W/show-pol.err"
[ $? -eq 0 ] && grep -qF "STEPPOL" "$W/show-pol.json" && [ "$(json "$W/show-pol.json" "r['plan']['level']")" = "high" ] \
    && [ "$(json "$W/show-pol.json" "len(r['plan']['measures'])")" = "2" ]
result "police: plan show has the level, the measures and their own step"
L=$(leaks "$W/show-pol.json" STEPPOL); [ -z "$L" ]
result "police: plan show --json holds no other withheld part ${L:+(found: $L)}"
L=$(leaks "$W/out/politi-risk.jsonl" STEPPOL); [ -z "$L" ]
result "police: no delivery holds another agency's part or her details ${L:+(found: $L)}"
sam tryggest plan show --case "$TE" --json >"$W/show-te.json" 2>"$W/show-te.err"
L=$(leaks "$W/show-te.json" STEPTE); [ -n "$TE" ] && grep -qF STEPTE "$W/show-te.json" && [ -z "$L" ]
result "TryggEst: plan show has its own step and nothing withheld ${L:+(found: $L)}"
L=$(leaks "$W/out/tryggest.jsonl" STEPTE); [ -z "$L" ]
result "TryggEst: no delivery holds another agency's part or her details ${L:+(found: $L)}"
! grep -q '"risk_plan"' "$W/out/krisesenter.jsonl" && [ -z "$(leaks "$W/out/krisesenter.jsonl")" ]
result "crisis centre: no plan delivered without consent"
sam krisesenter plan show --case "$REF" --json >"$W/show-ks.json" 2>"$W/show-ks.err"
[ $? -eq 3 ] && [ -z "$(leaks "$W/show-ks.json")" ]
result "crisis centre: another agency's case reference shows nothing"

# ------------------------------------------------------------------ conflict, text form, history

sam koordinator plan show --case "$REF" >"$W/form.txt" 2>&1
grep -q "^RISIKOHÅNDTERINGSPLAN" "$W/form.txt" && grep -q "^Trinn 2: Situasjon/hendelse:" "$W/form.txt" \
    && grep -q "\[x\] Voldsalarm  \[x\] Besøksforbud" "$W/form.txt" && grep -q "^Annen kritisk informasjon:" "$W/form.txt"
result "plan show: printed like the paper form (trinn, measures ticked, critical information)"
sam koordinator plan history --case "$REF" --json >"$W/hist.json" 2>"$W/hist.err"
[ "$(json "$W/hist.json" "len(r['revisions'])")" = "4" ] \
    && [ "$(json "$W/hist.json" "r['revisions'][3]['significant']")" = "True" ]
result "plan history: four revisions, the level raise marked significant"
sam koordinator plan history --case "$REF" --diff 3 4 >"$W/diff.txt" 2>&1
grep -q "^+ .*Risikonivå: høy" "$W/diff.txt" && grep -q "^- .*Risikonivå: moderat" "$W/diff.txt"
result "plan history --diff 3 4: what changed between two revisions"

# ------------------------------------------------------------------ evaluation

sam koordinator plan evaluate --case "$REF" --note "EVALMARK samarbeidsmøtet" --json >"$W/eval.json" 2>"$W/eval.err"
[ $? -eq 0 ] && [ "$(json "$W/eval.json" "r['next_date']")" = "$(date -u -d '+30 days' +%Y-%m-%d)" ]
result "plan evaluate: recorded, the next one a month ahead"
sam politi-risk plan history --case "$PR" --json >"$W/hist-pol.json" 2>"$W/hist-pol.err"
[ "$(json "$W/hist-pol.json" "len(r['evaluations'])")" = "1" ] && ! grep -q EVALMARK "$W/hist-pol.json"
result "plan history: the police see that it was evaluated, not the note"

# ------------------------------------------------------------------ consent and its withdrawal

sam koordinator consent grant --subject-id "$KARI" --to police_risk --purpose risk_management \
    --classes identity,risk_level,plan_steps --until "$(date -d '+30 days' +%Y-%m-%d)" --form written \
    --capacity-assessed-by "Invented Koordinator" >"$W/grant.txt" 2>"$W/grant.err"
CONSENT=$(head -1 "$W/grant.txt" | awk '{print $1}')
sam politi-risk plan show --case "$PR" --json >"$W/show-pol2.json" 2>&1
grep -qF "$NAME" "$W/show-pol2.json" && grep -qF STEPTE "$W/show-pol2.json" \
    && [ -z "$(leaks "$W/show-pol2.json" "$NAME" "$KARI" STEPRC STEPPOL STEPTE)" ]
result "consent: the police see her and every step, and still nothing of the other parts"
sam koordinator consent withdraw "$CONSENT" >/dev/null 2>&1
sam politi-risk plan show --case "$PR" --json >"$W/show-pol3.json" 2>&1
L=$(leaks "$W/show-pol3.json" STEPPOL); grep -qF STEPPOL "$W/show-pol3.json" && [ -z "$L" ]
result "withdrawal: the identified parts are gone from what the police can query ${L:+(found: $L)}"

# ------------------------------------------------------------------ edit --file

#   The whole plan as JSON, edited in a file and sent back: plan show --json
#   writes what plan edit --file reads.
sam koordinator plan show --case "$REF" --json >"$W/p4.json" 2>"$W/p4.err"
"$PY" -c '
import json, sys
r = json.load (open (sys.argv [1]))
p = r ["plan"]
p ["steps"].append ({"step": 3, "situation": "FILESTEP hun drar tilbake", "action": "FILESTEP samtale",
                     "responsible": "police_risk"})
p ["critical_info"] = "CRITICALMARK ring alltid 112 først, så vakttelefonen"
json.dump (r, open (sys.argv [2], "w"), ensure_ascii = False)' "$W/p4.json" "$W/p4-edited.json"
sam koordinator plan edit --case "$REF" --file "$W/p4-edited.json" --json >"$W/r5.json" 2>"$W/r5.err"
[ $? -eq 0 ] && [ "$(json "$W/r5.json" "r['accepted']")" = "True" ]
result "plan edit --file: the plan edited as JSON is accepted (revision 5)"
sam vakt plan show --case "$REF" --json >"$W/show-vakt5.json" 2>&1
for part in "$NAME" "$KARI" "$CONTACT_TEL" ACTIVITYMARK FACTORMARK SITUATIONMARK STEPRC STEPTE \
            "så vakttelefonen" '"primary_contact":"vakt"' violence_alarm restraining_order; do
    grep -qF -- "$part" "$W/show-vakt5.json" || { echo "  lost in the round trip: $part"; false; break; }
done
result "plan edit --file: nothing of the plan is lost in the round trip through JSON"
sam politi-risk plan show --case "$PR" --json >"$W/show-pol5.json" 2>&1
grep -qF "FILESTEP samtale" "$W/show-pol5.json" && [ -z "$(leaks "$W/show-pol5.json" STEPPOL)" ]
result "plan edit --file: the police get the new step the file gave them, nothing else"
sam koordinator plan edit --case "$REF" --file "$W/p4-edited.json" >"$W/r5b.out" 2>"$W/r5b.err"
[ $? -eq 3 ] && grep -q "REVISION_CONFLICT" "$W/r5b.out" "$W/r5b.err"
result "plan edit --file: the same file again (made from revision 4) is refused, REVISION_CONFLICT"
"$PY" -c '
import json, sys
r = json.load (open (sys.argv [1])); r ["plan"] ["contacs"] = []
json.dump (r, open (sys.argv [2], "w"))' "$W/p4.json" "$W/typo.json"
sam koordinator plan edit --case "$REF" --file "$W/typo.json" >"$W/typo.out" 2>&1
[ $? -eq 2 ] && grep -q "contacs" "$W/typo.out"
result "plan edit --file: an unknown member (a typo) is refused, naming it"
printf '{"plan": {"level": "high",}}' >"$W/bad.json"
sam koordinator plan edit --case "$REF" --file "$W/bad.json" >"$W/bad.out" 2>&1
[ $? -eq 1 ] && grep -q "not JSON" "$W/bad.out"
result "plan edit --file: a file that is not JSON is refused"

# ------------------------------------------------------------------ edits by others

#   `plan edit` starts from the whole current plan: an agency that sees only
#   part of it cannot make (and so cannot lose) the rest. (Two concurrent
#   edits of one revision: tests/integration/itest_plan.c.)
sam politi-risk plan edit --case "$PR" --level low >"$W/pol-edit.txt" 2>&1
[ $? -eq 3 ] && grep -q "only part of this plan" "$W/pol-edit.txt"
result "plan edit: refused to an agency that sees only part of the plan"
sam koordinator plan edit --case "$REF" --note "a further edit" >/dev/null 2>&1
sam koordinator plan history --case "$REF" --json >"$W/hist2.json" 2>&1
[ "$(json "$W/hist2.json" "r['current_revision']")" = "6" ] \
    && [ "$(json "$W/hist2.json" "r['revisions'][5]['significant']")" = "False" ]
result "plan edit: a further small edit becomes revision 6, not significant"

sam tryggest inbox --all >"$W/te-inbox.txt" 2>&1
grep -q "plan revision 4, significant" "$W/te-inbox.txt" && [ -z "$(leaks "$W/te-inbox.txt")" ]
result "inbox: TryggEst's inbox lists the plan revisions by what changed, nothing of the plan's texts"

#   A contact point's name carrying terminal controls (ESC [8m hides all
#   text after it; ESC ]0; sets the window title) reaches the reader's
#   terminal neutralised: plan show prints the contact table as it is.
ESC=$(printf '\033')
sam koordinator plan edit --case "$REF" --add-contact "Fastlege|Dr ${ESC}[8mSkjult|${ESC}]0;tittel$(printf '\007')|" \
    >/dev/null 2>&1
sam vakt plan show --case "$REF" >"$W/show-esc.txt" 2>&1
grep -q "Dr ?\[8mSkjult" "$W/show-esc.txt" && ! grep -q "$ESC" "$W/show-esc.txt"
result "plan show: control characters in a contact point reach the terminal as '?'"

stop_listeners
echo "scenario_plan: $FAILS failed"
[ "$FAILS" -eq 0 ]
