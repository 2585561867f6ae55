#!/usr/bin/env bash
#   scenario_policy.sh — the policy table end to end, over real sockets, with
#   the samhand CLI only: a concern from the duty phone, consent granted, a
#   risk change that reaches the police identified, consent withdrawn, the
#   next risk change pseudonymised; the duty to avert with and without a
#   justification; discussions that give the person away refused without
#   echoing the identifier. Then every agency node's `listen --json` output is
#   searched for the person's name, fødselsnummer and phone, and each must
#   match the policy table (docs/POLICY.md §7).
#
#     SAMHAND_BUILD=build tests/cli/scenario_policy.sh
#
#   Prints "PASS name" / "FAIL name" per check; exit 1 if any failed. Bounded
#   (a few seconds; a watchdog stops it at 90 s). Everything runs in a
#   temporary folder that is removed (KEEP=1 keeps it), and the broker and
#   listeners started here are stopped. ALL DATA IS INVENTED: "Kari
#   Testesen", her fødselsnummer (valid check digits, computed from the
#   invented date 15.03.1985), her phone number and "Siri Saksbehandler" do
#   not exist.
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
B=${SAMHAND_BUILD:-build}
case $B in /*) ;; *) B=$ROOT/$B ;; esac
# shellcheck source-path=SCRIPTDIR/../.. source=scripts/samhand-common.sh
. "$ROOT/scripts/samhand-common.sh"

NAME="Kari Testesen"
PHONE=41234567
DECIDER="Siri Saksbehandler"

samhand_test_begin scenario_policy 90 samhand-policy
FNR=$(fnr_from_date 150385)

#   decision FILE AGENCY: "view RULE" for that agency in a SubmitResult.
decision () {
    json "$1" "' '.join (d['view'] + ' ' + d['rule'] for d in r['decisions'] if d['agency'] == '$2')"
}

#   facts NODE: one line per delivery: message_id kind view rule found, where
#   found lists which of the identifiers appear anywhere in the line. Status
#   pushes (the broker telling a sender how its own message is doing) are
#   not deliveries: left out here, searched on their own below.
facts () {
    "$PY" -c '
import json, sys
path, name, fnr, phone = sys.argv [1:5]
for line in open (path, encoding = "utf-8"):
    d = json.loads (line)
    if d.get ("type") == "status": continue
    found = [w for w, v in (("name", name), ("fnr", fnr), ("phone", phone)) if v in line]
    print (d.get ("message_id", "-"), d.get ("kind", "-"), d.get ("view", "-"),
           d.get ("rule", "-"), ",".join (found) or "-")' "$W/out/$1.jsonl" "$NAME" "$FNR" "$PHONE"
}

# ------------------------------------------------------------------ setup

[ -x "$B/samhand" ] && [ -x "$B/samhandd" ] || abort "scenario_policy: $B/samhand and $B/samhandd are not built"
PORT=$(free_port)
"$B/samhand" init-demo "$W" --port "$PORT" >/dev/null 2>"$W/init.err" || abort "scenario_policy: init-demo"
mkdir -p "$W/out"
#   The most verbose log, so that the log check below covers every line.
sed -i 's/^server$/server\n    log_level = "debug"/' "$W/samhandd.cfg"
samhand_start_broker || abort "scenario_policy: the broker answers ping"
samhand_listen vakt koordinator tryggest politi-risk krisesenter \
    || abort "scenario_policy: every agency node listens"

# ------------------------------------------------------------------ the case

#   03:10, the duty phone: an urgent concern, before any consent.
submit concern vakt concern --subject-name "$NAME" --subject-id "$FNR" --subject-phone "$PHONE" \
    --urgency urgent --violence physical --not-informed "she asked us to wait" \
    --text "Invented: called the duty phone at 03:10, afraid of her ex-partner"
A_MID=$MID
[ "$RC" -eq 0 ]
result "policy: concern from the duty phone accepted"
[ "$(decision "$W/concern.json" resource_centre)" = "identified SAME-AGENCY" ]
result "policy: concern to the resource centre is identified (SAME-AGENCY)"
[ "$(decision "$W/concern.json" tryggest)" = "pseudonymised FVL13-PSEUDONYMISED" ]
result "policy: concern to TryggEst without consent is pseudonymised"
[ "$(decision "$W/concern.json" police_risk)" = "pseudonymised FVL13-PSEUDONYMISED" ]
result "policy: concern to the police without consent is pseudonymised"
#   What the crisis centre was given is never shown to another agency's
#   sender (krisesenterlova § 5): the same answer with or without consent.
[ "$(decision "$W/concern.json" crisis_centre)" = " KRISL5-NOT-SHOWN" ]
result "policy: concern: the crisis centre's column is not shown to the sender"

#   Consent to the police and TryggEst, for risk management and follow-up.
UNTIL=$(date -d "+120 days" +%F)
sam koordinator consent grant --subject-id "$FNR" --subject-name "$NAME" --to police_risk,tryggest \
    --purpose risk_management,follow_up --classes identity,contact,risk_level --until "$UNTIL" \
    --form written >"$W/grant.out" 2>"$W/grant.err"
rc=$?
CONSENT=$(head -1 "$W/grant.out" | awk '{print $1}')
[ $rc -eq 0 ] && [ "${CONSENT#c-}" != "$CONSENT" ]
result "policy: consent granted (police_risk, tryggest)"

submit risk1 koordinator risk --subject-id "$FNR" --subject-name "$NAME" --level high --imminent \
    --measure violence_alarm,restraining_order --review-by "$(date -d "+30 days" +%F)" \
    --text "Invented: SARA-V3 done, high risk"
R1_MID=$MID
[ "$RC" -eq 0 ]
result "policy: risk change with consent accepted"
[ "$(decision "$W/risk1.json" police_risk)" = "identified FVL13A1-CONSENT" ]
result "policy: risk change with consent: police identified (FVL13A1-CONSENT)"
[ "$(decision "$W/risk1.json" tryggest)" = "identified FVL13A1-CONSENT" ]
result "policy: risk change with consent: TryggEst identified (FVL13A1-CONSENT)"
[ "$(decision "$W/risk1.json" crisis_centre)" = " KRISL5-NOT-SHOWN" ]
result "policy: risk change with consent: the crisis centre's column is not shown"
wait_for "$W/out/politi-risk.jsonl" "$R1_MID" 10
[ "$(facts politi-risk | awk -v m="$R1_MID" '$1 == m {print $3, $5}')" = "identified name,fnr" ]
result "policy: the police received the risk change identified, with her fødselsnummer"

#   The instrument is structured: a name or number written into it is
#   refused by the CLI before anything is sent.
sam koordinator risk --subject-id "$FNR" --level high \
    --instrument "SARA-V3 $NAME $FNR tlf $PHONE" >"$W/instr.out" 2>"$W/instr.err"
rc=$?
[ $rc -ne 0 ] && grep -qF "SARA-V3, SARA:SV, B-SAFER" "$W/instr.err" && ! grep -qF "$FNR" "$W/instr.out"
result "risk: an --instrument outside the list is refused, naming the list"

sam koordinator consent withdraw "$CONSENT" >"$W/withdraw.out" 2>"$W/withdraw.err"
[ $? -eq 0 ]
result "policy: consent withdrawn"

submit risk2 koordinator risk --subject-id "$FNR" --subject-name "$NAME" --level high \
    --measure violence_alarm --text "Invented: seen near her flat"
R2_MID=$MID
[ "$(decision "$W/risk2.json" police_risk)" = "pseudonymised FVL13-RISK-PSEUDONYMISED" ]
result "policy: risk change after withdrawal: police pseudonymised"
[ "$(decision "$W/risk2.json" tryggest)" = "pseudonymised FVL13-RISK-PSEUDONYMISED" ]
result "policy: risk change after withdrawal: TryggEst pseudonymised"
wait_for "$W/out/politi-risk.jsonl" "$R2_MID" 10
[ "$(facts politi-risk | awk -v m="$R2_MID" '$1 == m {print $3, $5}')" = "pseudonymised -" ]
result "policy: the police received the next risk change pseudonymised, with no identifier"
grep -qE "\"message_id\":\"$R2_MID\".*\"level\":\"high\".*\"measures\":\\[\"violence_alarm\"\\]" "$W/out/politi-risk.jsonl"
result "policy: the pseudonymised risk change still carries level and measures"

# ------------------------------------------------------------------ duty to avert

submit avert vakt concern --subject-name "$NAME" --subject-id "$FNR" --subject-phone "$PHONE" \
    --urgency acute --violence physical --not-informed "danger now" \
    --text "Invented: he is at her door with a knife" \
    --basis avert --justification "threat to kill, at her door now" --decision-maker "$DECIDER"
AV_MID=$MID
[ "$RC" -eq 0 ]
result "avert: with justification and decision-maker accepted"
[ "$(decision "$W/avert.json" police_risk)" = "identified STRL196-AVERT" ]
result "avert: police identified (STRL196-AVERT)"
[ "$(decision "$W/avert.json" tryggest)" = "pseudonymised FVL13-PSEUDONYMISED" ]
result "avert: TryggEst not opened (pseudonymised)"
[ "$(decision "$W/avert.json" crisis_centre)" = " KRISL5-NOT-SHOWN" ]
result "avert: the crisis centre's column is not shown (the grep below: nothing reached it)"
grep -qF "named decision-maker recorded for review" "$W/avert.json" && ! grep -qF "$DECIDER" "$W/avert.json"
result "avert: the reason says a decision-maker is recorded, without the name"
wait_for "$W/out/politi-risk.jsonl" "$AV_MID" 10
[ "$(facts politi-risk | awk -v m="$AV_MID" '$1 == m {print $3, $4, $5}')" = "identified STRL196-AVERT name,fnr,phone" ] \
    && ! grep -F "$AV_MID" "$W/out/politi-risk.jsonl" | grep -qF "knife"
result "avert: the police received identity and phone, no free text"

#   Who decided and why: sealed at rest, shown to an admin by audit reviews.
sam admin audit reviews >"$W/reviews.txt" 2>"$W/reviews.err"
[ $? -eq 0 ] && grep -qF "$DECIDER" "$W/reviews.txt" && grep -qF "threat to kill" "$W/reviews.txt"
result "avert: audit reviews shows the admin the decision-maker and the justification"
sam koordinator audit reviews >"$W/reviews2.txt" 2>"$W/reviews2.err"
[ $? -ne 0 ] && ! grep -qF "$DECIDER" "$W/reviews2.txt" "$W/reviews2.err"
result "avert: audit reviews is refused to a non-admin node"
[ -f "$W/samhand.db" ] && ! grep -qaF "$DECIDER" "$W/samhand.db" "$W/samhand.db-wal" 2>/dev/null
result "avert: the decision-maker's name is nowhere in the sqlite files"

#   Without a justification: the CLI refuses before sending.
sam vakt concern --subject-name "$NAME" --subject-phone "$PHONE" --urgency acute \
    --text "Invented: no justification given" --basis avert --decision-maker "$DECIDER" \
    >"$W/nojust.out" 2>"$W/nojust.err"
rc=$?
[ $rc -ne 0 ]
result "avert: without a justification refused (non-zero exit)"
grep -qi "justification" "$W/nojust.err"
result "avert: without a justification: the reason is on stderr"

#   A blank justification gets past the CLI: the broker itself refuses.
submit blankjust vakt concern --subject-name "$NAME" --subject-phone "$PHONE" --urgency acute \
    --text "Invented: blank justification" --basis avert --justification "   " --decision-maker "$DECIDER"
BJ_MID=$MID
[ "$RC" -eq 3 ]
result "avert: blank justification refused by the broker (exit 3)"
grep -q "BASIS_INCOMPLETE" "$W/blankjust.err"
result "avert: blank justification: BASIS_INCOMPLETE on stderr"

submit nodecider vakt concern --subject-name "$NAME" --subject-phone "$PHONE" --urgency acute \
    --text "Invented: no decision-maker" --basis avert --justification "threat to kill" --decision-maker " "
ND_MID=$MID
[ "$RC" -eq 3 ] && grep -qi "decision-maker" "$W/nodecider.err"
result "avert: blank decision-maker refused by the broker (exit 3, reason on stderr)"

# ------------------------------------------------------------------ discussions

submit clean koordinator discuss --text "A woman in her 30s, active substance use, afraid of her ex-partner." \
    --question "Is this a case for RISK?"
[ "$RC" -eq 0 ] && [ "$(decision "$W/clean.json" crisis_centre)" = "anonymised FVL13A2-ANON" ]
result "discussion: an anonymous discussion passes (FVL13A2-ANON to the crisis centre too)"

REFUSED=""
for what in phone fnr name; do
    case $what in
        phone) text="Same woman, reach her on $PHONE tonight."; ident=$PHONE ;;
        fnr)   text="Same woman, her number is $FNR in our file."; ident=$FNR ;;
        name)  text="It is $NAME again, same worries."; ident=Testesen ;;
    esac
    #   Text mode and JSON mode both: neither may repeat the identifier.
    sam koordinator discuss --text "$text" >"$W/d-$what.out" 2>"$W/d-$what.err"
    rc=$?
    submit "dj-$what" koordinator discuss --text "$text"
    REFUSED="$REFUSED $MID"
    [ $rc -eq 3 ] && [ "$RC" -eq 3 ]
    result "discussion: with the $what refused (exit 3)"
    grep -qE "IDENTIFIER_FOUND.*(at|character) [0-9]+" "$W/d-$what.err"
    result "discussion: with the $what: IDENTIFIER_FOUND with kind and position on stderr"
    ! grep -qF "$ident" "$W/d-$what.out" "$W/d-$what.err" "$W/dj-$what.json" "$W/dj-$what.err"
    result "discussion: with the $what: the identifier is not on stdout or stderr"
done

# ------------------------------------------------------------------ what arrived

#   Closing messages to every node that listens to discussions: once they
#   are there, every earlier delivery is too.
submit end1 koordinator discuss --text "End of the test day, thank you."
E1=$MID
submit end2 tryggest discuss --text "End of the test day from us too."
E2=$MID
ok=1
for node in tryggest politi-risk krisesenter; do wait_for "$W/out/$node.jsonl" "$E1" 10 || ok=0; done
wait_for "$W/out/koordinator.jsonl" "$E2" 10 || ok=0
[ $ok -eq 1 ]
result "listen: every node received the closing discussion"
stop_listeners

for node in vakt koordinator tryggest politi-risk krisesenter; do facts "$node" >"$W/$node.facts"; done

#   Police: identifiers only in the two identified deliveries (consent, avert).
[ "$(awk '$5 != "-" && $3 != "identified"' "$W/politi-risk.facts" | wc -l)" -eq 0 ]
result "grep police: the identifiers appear only in identified deliveries"
[ "$(awk '$3 == "identified" {print $1}' "$W/politi-risk.facts" | sort | tr '\n' ' ')" \
      = "$(printf '%s\n' "$R1_MID" "$AV_MID" | sort | tr '\n' ' ')" ]
      result "grep police: exactly the consented risk change and the avert concern were identified"
[ "$(awk -v m="$A_MID" '$1 == m {print $3, $5}' "$W/politi-risk.facts")" = "pseudonymised -" ]
result "grep police: the concern before consent carried no identifier"

#   Crisis centre: nothing about her at all: no identifier, no case, only
#   the anonymous discussions.
! grep -qF -e "$NAME" -e "$FNR" -e "$PHONE" -e "Testesen" "$W/out/krisesenter.jsonl"
result "grep crisis centre: no name, fødselsnummer or phone anywhere"
[ "$(awk '$2 != "case_discussion"' "$W/krisesenter.facts" | wc -l)" -eq 0 ] \
    && ! grep -qF '"case_ref"' "$W/out/krisesenter.jsonl" \
    && [ "$(wc -l < "$W/krisesenter.facts")" -ge 2 ]
result "grep crisis centre: only anonymised discussions, no case reference"

#   TryggEst: identifiers only under the consent.
[ "$(awk '$5 != "-" && $4 != "FVL13A1-CONSENT"' "$W/tryggest.facts" | wc -l)" -eq 0 ] \
    && [ "$(awk -v m="$R1_MID" '$1 == m {print $4}' "$W/tryggest.facts")" = "FVL13A1-CONSENT" ]
result "grep TryggEst: the identifiers appear only under consent (FVL13A1-CONSENT)"
[ "$(awk -v a="$A_MID" -v b="$AV_MID" '($1 == a || $1 == b) && $3 == "pseudonymised" && $5 == "-"' \
        "$W/tryggest.facts" | wc -l)" -eq 2 ] \
    && ! grep -F -e "$A_MID" -e "$AV_MID" "$W/out/tryggest.jsonl" | grep -qF '"text"'
result "grep TryggEst: the concern and the avert concern came without identifier or text"
[ "$(awk -v m="$R2_MID" '$1 == m {print $3, $5}' "$W/tryggest.facts")" = "pseudonymised -" ]
result "grep TryggEst: the risk change after withdrawal carried no identifier"

#   Resource centre: the coordinator got the duty phone's concern identified.
[ "$(awk -v m="$A_MID" '$1 == m {print $3, $4, $5}' "$W/koordinator.facts")" = "identified SAME-AGENCY name,fnr,phone" ] \
    && grep -F "$A_MID" "$W/out/koordinator.jsonl" | grep -qF "afraid of her ex-partner"
result "grep resource centre: koordinator got the concern from vakt identified (SAME-AGENCY)"
[ "$(awk '$2 == "concern_report"' "$W/vakt.facts" | wc -l)" -eq 0 ]
result "grep resource centre: vakt got no copy of its own concerns"

#   Status pushes name nodes, views and states, never the person.
[ "$(grep -h '"type":"status"' "$W"/out/*.jsonl | wc -l)" -ge 1 ] \
    && ! grep -h '"type":"status"' "$W"/out/*.jsonl | grep -qF -e "$NAME" -e "$FNR" -e "$PHONE"
result "grep status pushes: the senders' status updates carry no identifier"

#   Nothing refused was delivered anywhere.
leaked=0
for m in $BJ_MID $ND_MID $REFUSED; do
    [ -n "$m" ] && grep -qF "$m" "$W"/out/*.jsonl && leaked=1
done
grep -qF -e "no justification given" -e "reach her on" -e "in our file" -e "same worries" "$W"/out/*.jsonl && leaked=1
[ $leaked -eq 0 ] && [ -n "$BJ_MID" ] && [ -n "$ND_MID" ]
result "refused: no refused message reached any node"

#   The logs (the broker's at debug level, the listeners') hold none of the
#   person's identifiers, the decision-maker's name or any message text; the
#   store holds them only sealed. (Issue 12 §3.)
samhand_stop
logs="$W/samhandd.log $(ls "$W"/out/*.err)"
# shellcheck disable=SC2086  # the list of files is split on purpose
[ -s "$W/samhandd.log" ] \
    && ! grep -qiF -e "$NAME" -e "$FNR" -e "$PHONE" -e "Testesen" -e "$DECIDER" \
       -e "afraid of her ex-partner" -e "SARA-V3" -e "seen near her flat" -e "with a knife" \
       -e "threat to kill" -e "active substance use" -e "End of the test day" $logs
result "logs: no name, fødselsnummer, phone, decision-maker or message text in any log"
grep -qE '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z samhandd\[[0-9]+\] (info|notice|warning|error|debug): ' "$W/samhandd.log" \
    && ! grep -vqE '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]{12}Z samhandd\[' "$W/samhandd.log"
result "logs: every broker log line starts with an RFC 3339 UTC time and a level"
! grep -qaF -e "$NAME" -e "$FNR" -e "$PHONE" -e "afraid of her ex-partner" \
    "$W/samhand.db" "$W/samhand.db-wal" 2>/dev/null
result "store: no identifier or message text in plain in the sqlite files"

exit $((FAILS > 0))
