#!/usr/bin/env bash
#   demo.sh — `make demo`: a short, narrated samhand scenario over real
#   sockets, from the seed documents (Trondheim's resource centre for women
#   in active substance use, TryggEst, the police RISK team, the crisis
#   centre). It makes a demo installation in ./demo, starts the broker and one
#   listener per agency node, plays the scenario with the samhand CLI, then
#   shows what each agency actually received and what the audit says.
#
#   EVERY PERSON, NUMBER AND EVENT HERE IS INVENTED. "Kari Testesen" does not
#   exist; her fødselsnummer is computed below from an invented birth date
#   (valid check digits, so the broker's checks treat it as real); her phone
#   number and the decision-maker "Siri Saksbehandler" are invented too.
#
#   Needs: bash, the samhand and samhandd binaries in $SAMHAND_BUILD (default
#   build/), python3 (JSON only) and the usual text tools. Takes ~20 s.
#   Exit status 0 when every step did what it says, 1 otherwise.
set -u

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT" || exit 1
BUILD=${SAMHAND_BUILD:-build}
B=$(cd "$BUILD" 2>/dev/null && pwd) || { echo "demo: no build folder '$BUILD' (run make)" >&2; exit 1; }
DEMO=$ROOT/demo
INST=$DEMO                     # for samhand-common.sh
OUT=$DEMO/out
# shellcheck source-path=SCRIPTDIR/.. source=scripts/samhand-common.sh
. "$ROOT/scripts/samhand-common.sh"

#   The invented person.
NAME="Kari Testesen"
BIRTH_DDMMYY=150385            # 15 March 1985, invented
PHONE=41234567                 # invented
DECIDER="Siri Saksbehandler"   # invented head of the duty team
FNR=$(fnr_from_date "$BIRTH_DDMMYY")   # valid check digits, see samhand-common.sh

FAILED=0
T0=$(date +%s)

# ---------------------------------------------------------------- helpers

BOLD=""; DIM=""; OFF=""
if [ -t 1 ]; then BOLD=$'\033[1m'; DIM=$'\033[2m'; OFF=$'\033[0m'; fi

section () { printf '\n%s== %s%s\n' "$BOLD" "$*" "$OFF"; }
say ()     { printf '%s\n' "$*" | fold -s -w 78 | sed 's/^/   /'; }
indent ()  { sed 's/^/      /'; }

cleanup () { samhand_stop; }
trap cleanup EXIT
trap 'echo; echo "demo: interrupted" >&2; exit 130' INT TERM

die () {
    echo >&2
    echo "demo FAILED: $*" >&2
    if [ -s "$DEMO/samhandd.log" ]; then
        echo "last lines of $DEMO/samhandd.log:" >&2
        tail -5 "$DEMO/samhandd.log" | sed 's/^/  /' >&2
    fi
    exit 1
}

#   Prints the command as a reader would type it.
show () {
    local node=$1; shift
    local line="$node\$ samhand" a
    for a in "$@"; do
        case $a in *[[:space:]]*|'') line="$line \"$a\"" ;; *) line="$line $a" ;; esac
    done
    printf '%s\n' "$line" | fold -s -w 74 | sed '1s/^/   /; 2,$s/^/         /' | sed "s/^/$DIM/; s/\$/$OFF/"
}

#   submit STEP NODE ARGS...: sends with --json, keeps the result in
#   out/STEP.json, prints the per-agency decisions, sets MID. (It replaces
#   the plain submit of samhand-common.sh.)
MID=""
submit () {
    local step=$1 node=$2; shift 2
    show "$node" "$@"
    sam "$node" "$@" --json >"$OUT/$step.json" 2>"$OUT/$step.err"
    local rc=$?
    [ $rc -eq 0 ] || { cat "$OUT/$step.err" >&2; die "step $step: samhand $1 exited with $rc"; }
    MID=$("$PY" -c 'import json, sys; print (json.load (open (sys.argv [1])) ["message_id"])' \
          "$OUT/$step.json") || die "step $step: unreadable result"
    "$PY" -c '
import json, sys
r = json.load (open (sys.argv [1]))
print ("   -> accepted, message %s%s" % (r ["message_id"],
       ", case ref " + r ["case_ref"] if r.get ("case_ref") else ""))
print ("      %-16s %-14s %-25s %s" % ("agency", "view", "rule", "why"))
for d in r ["decisions"]:
    print ("      %-16s %-14s %-25s %s" % (d ["agency"], d ["view"], d ["rule"], d ["reason"]))
    if sys.argv [2] == "basis":
        print ("      %-16s %s" % ("", "basis: " + d ["legal_basis"]))' "$OUT/$step.json" "${BASIS_LINES:-}"
}

#   decision STEP AGENCY: "view rule" of that agency's decision.
decision () {
    "$PY" -c '
import json, sys
r = json.load (open (sys.argv [1]))
print (" ".join ([d ["view"] + " " + d ["rule"] for d in r ["decisions"] if d ["agency"] == sys.argv [2]]))' \
        "$OUT/$1.json" "$2"
}
expect () {   # expect STEP AGENCY "view RULE"
    local got
    got=$(decision "$1" "$2")
    [ "$got" = "$3" ] || die "step $1: $2 should be '$3', the broker decided '$got'"
}

#   what NODE MID: what that node's listener received for a message, in brief.
what () {
    "$PY" -c '
import json, sys
for line in open (sys.argv [1]):
    d = json.loads (line)
    if d.get ("type") == "status" or d.get ("message_id") != sys.argv [2]: continue
    keep = ["view", "rule", "subject", "case_ref", "text", "urgency", "level", "measures",
            "review_by", "risk_factors", "imminent"]
    print ("   %s got: " % sys.argv [3] + json.dumps ({k: d [k] for k in keep if k in d},
                                                     ensure_ascii = False))' \
        "$OUT/$1.jsonl" "$2" "$1" | fold -s -w 76 | sed '2,$s/^/        /'
}

#   delivery_id NODE MID: the node's delivery id for a message (inbox --read
#   takes it), from the node's listener output.
delivery_id () {
    "$PY" -c '
import json, sys
for line in open (sys.argv [1]):
    d = json.loads (line)
    if d.get ("type") != "status" and d.get ("message_id") == sys.argv [2]:
        print (d ["delivery_id"]); break' "$OUT/$1.jsonl" "$2"
}

#   escalations MID: the escalation alerts in the coordinator's output.
escalations () {
    "$PY" -c '
import json, sys
for line in open (sys.argv [1]):
    d = json.loads (line)
    a = d.get ("alert") or {}
    if a.get ("type") == "escalation" and a.get ("message_id") == sys.argv [2]:
        print (a.get ("text", ""))' "$OUT/koordinator.jsonl" "$1"
}

# ---------------------------------------------------------------- setup

section "Setting up a demo installation in ./demo"
say "Everything in this demo is invented: $NAME (fødselsnummer $FNR, computed from the invented birth date 15.03.1985 with valid check digits), phone $PHONE, and everyone else named."
if [ -e "$DEMO" ]; then
    say "Removing the previous demo installation in ./demo."
    rm -rf "$DEMO" || die "cannot remove ./demo"
fi
PORT=$(free_port) || die "no free port"
"$B/samhand" init-demo "$DEMO" --port "$PORT" >/dev/null || die "samhand init-demo failed"
mkdir -p "$OUT"
#   Deadlines of seconds instead of minutes, so the escalation shows here.
cat >>"$DEMO/samhandd.cfg" <<'EOF'
workflow                                   # demo: seconds instead of minutes
    escalate_after = "5s"
    escalate_every = "5s"
    tick = "1s"
EOF
samhand_start_broker
case $? in
    0) ;;
    2) die "samhandd stopped at start" ;;
    *) die "samhandd did not answer on port $PORT" ;;
esac
say "Broker samhandd on tcp://127.0.0.1:$PORT (log: demo/samhandd.log). Nodes, each known to the broker by its own CURVE certificate:"
printf '      %-12s %s\n' vakt "resource centre: the 24/7 duty phone" \
    koordinator "resource centre: the violence coordinator (SARA-V3, consent)" \
    tryggest "TryggEst team (adult protection)" politi-risk "police RISK team" \
    krisesenter "crisis centre" admin "administrator: audit, dead letters"
samhand_listen vakt koordinator tryggest politi-risk krisesenter \
    || die "the listener of $LISTEN_FAILED did not start (demo/out/$LISTEN_FAILED.err)"
say "Each agency node listens in the background; what it receives goes to demo/out/NODE.jsonl."

# ---------------------------------------------------------------- (a)

section "03:10  The duty phone takes a call"
say "$NAME calls the resource centre's duty phone. Her ex-partner has threatened her tonight; she is in active substance use and afraid to go home. The duty operator raises an urgent concern. Kari is not told about the report yet (she wants to talk it over in the morning); the report records that, and why."
BASIS_LINES=basis submit a vakt concern --subject-name "$NAME" --subject-id "$FNR" --subject-phone "$PHONE" \
    --urgency urgent --violence physical,psychological --not-informed "she asked us to wait until the morning" \
    --text "Invented: called the duty phone at 03:10, ex-partner threatened her tonight, afraid to go home"
A_MID=$MID
expect a resource_centre "identified SAME-AGENCY"
expect a tryggest "pseudonymised FVL13-PSEUDONYMISED"
expect a police_risk "pseudonymised FVL13-PSEUDONYMISED"
expect a crisis_centre "withheld FVL13-CONFIDENTIAL"
say "The coordinator, in the same agency, sees everything (need to know). TryggEst and the police get only their own case reference and the urgency: no name, no text. The crisis centre gets nothing at all, not even that a case exists."
for node in koordinator tryggest politi-risk; do
    wait_for "$OUT/$node.jsonl" "$A_MID" 10 || die "$node did not receive the concern"
done
what tryggest "$A_MID"

# ---------------------------------------------------------------- (b)

section "08:30  Anonymous case discussion"
say "The coordinator asks the partners, as part of the duty to avert, without saying who it is."
submit b1 koordinator discuss \
    --text "A woman in her 30s in active substance use, threatened by her ex-partner after the breakup. She does not want to go home and refuses a crisis bed." \
    --question "Is this a case for a RISK assessment and a violence alarm?"
expect b1 police_risk "anonymised FVL13A2-ANON"
say "A careless second message gives her phone number. The broker refuses it before anything is stored, and says what kind of identifier it found and where, without repeating it:"
args=(discuss --text "Same woman. You can reach her on $PHONE if the police want to talk to her.")
show koordinator "${args[@]}"
sam koordinator "${args[@]}" >"$OUT/b2.out" 2>"$OUT/b2.err"
rc=$?
sed 's/^/   -> /' "$OUT/b2.err"
[ $rc -eq 3 ] || die "the discussion with a phone number was not refused (exit $rc)"
grep -qF "$PHONE" "$OUT/b2.out" "$OUT/b2.err" && die "the refusal repeats the phone number"
say "(exit status $rc: refused by the broker; the number appears nowhere in the answer.)"

# ---------------------------------------------------------------- (c)

section "10:00  Kari gives her consent"
UNTIL=$(date -d "+4 months" +%F)
say "The coordinator meets $NAME. She agrees that the police RISK team and TryggEst may know who she is, her phone number and her risk level, for risk management and follow-up, until $UNTIL. The crisis centre is not named."
# shellcheck disable=SC2054  # the commas are the CLI's list syntax
args=(consent grant --subject-id "$FNR" --subject-name "$NAME" --to police_risk,tryggest
      --purpose risk_management,follow_up --classes identity,contact,risk_level --until "$UNTIL"
      --form written --capacity-assessed-by "$DECIDER")
show koordinator "${args[@]}"
sam koordinator "${args[@]}" >"$OUT/c.out" 2>"$OUT/c.err" || { cat "$OUT/c.err" >&2; die "consent grant failed"; }
CONSENT=$(head -1 "$OUT/c.out")
sed -n '2,$p' "$OUT/c.out" | indent
case $CONSENT in c-*) ;; *) die "consent grant printed no consent id" ;; esac

# ---------------------------------------------------------------- (d)

section "11:00  SARA-V3: the risk is high"
REVIEW=$(date -d "+1 month" +%F)
say "The coordinator's SARA-V3 assessment: high risk of serious violence, soon. Measures: violence alarm and restraining order, safety plan. The plan is reviewed again by $REVIEW (at least monthly)."
submit d koordinator risk --subject-id "$FNR" --subject-name "$NAME" --level high --imminent --serious-harm \
    --factor "threats to kill after the breakup" --measure violence_alarm,restraining_order,safety_plan \
    --review-by "$REVIEW" --text "Invented: SARA-V3 done with Kari, plan agreed"
D_MID=$MID
expect d police_risk "identified FVL13A1-CONSENT"
expect d tryggest "identified FVL13A1-CONSENT"
expect d crisis_centre "withheld FVL13-CONFIDENTIAL"
say "Police and TryggEst get her identity with the risk (her consent is in scope). Only the classes she consented to go: the risk factor and the free text are cut. The crisis centre is not in the consent: withheld."
wait_for "$OUT/politi-risk.jsonl" "$D_MID" 10 || die "the police did not receive the risk change"
what politi-risk "$D_MID"

# ---------------------------------------------------------------- (e)

section "Two weeks later  Kari withdraws her consent"
show koordinator consent withdraw "$CONSENT"
sam koordinator consent withdraw "$CONSENT" 2>&1 | indent
[ "${PIPESTATUS[0]}" -eq 0 ] || die "consent withdraw failed"
say "The police and TryggEst are told the consent is withdrawn. The next risk change reaches them pseudonymised: level and measures under their own case reference, nothing that says who she is."
submit e koordinator risk --subject-id "$FNR" --level high --measure violence_alarm,restraining_order \
    --review-by "$REVIEW" --text "Invented: he was seen near her flat"
E_MID=$MID
expect e police_risk "pseudonymised FVL13-RISK-PSEUDONYMISED"
expect e tryggest "pseudonymised FVL13-RISK-PSEUDONYMISED"
wait_for "$OUT/politi-risk.jsonl" "$E_MID" 10 || die "the police did not receive the second risk change"
what politi-risk "$E_MID"

# ---------------------------------------------------------------- (f)

section "23:40  The duty to avert"
say "$NAME calls again: he is at her door and has said he will kill her. There is no consent now, but serious violence is most likely: the head of the duty team decides to tell the police under the duty to avert (straffeloven §196), and says why."
BASIS_LINES=basis submit f vakt concern --subject-name "$NAME" --subject-id "$FNR" --subject-phone "$PHONE" \
    --urgency acute --violence physical --not-informed "no time: danger now" \
    --text "Invented: he is at her door and has threatened to kill her" \
    --basis avert --justification "threat to kill, he is at her door now: serious violence most likely" \
    --decision-maker "$DECIDER"
F_MID=$MID
expect f police_risk "identified STRL196-AVERT"
expect f tryggest "pseudonymised FVL13-PSEUDONYMISED"
expect f crisis_centre "withheld FVL13-CONFIDENTIAL"
say "Only the police get who she is, with the minimum (identity and phone, no text); the decision is marked for review in the audit. TryggEst gets a case reference, the crisis centre nothing."
wait_for "$OUT/politi-risk.jsonl" "$F_MID" 10 || die "the police did not receive the acute concern"
what politi-risk "$F_MID"
say "The police RISK team reads it at once (marking it read is what stops an acute concern from being escalated):"
F_DID=$(delivery_id politi-risk "$F_MID")
show politi-risk inbox --read "$F_DID"
sam politi-risk inbox --read "$F_DID" >"$OUT/f-read.txt" 2>&1 || { FAILED=1; say "(inbox --read failed)"; }
head -1 "$OUT/f-read.txt" | indent

# ---------------------------------------------------------------- (g)

section "Sunday 02:00  An acute concern nobody reads"
say "The duty operator raises another acute concern. It reaches the partners, but nobody opens it. In this demo an unread acute concern is escalated after 5 seconds (normally minutes), and again every 5 seconds, to the coordinator and the duty phone."
submit g vakt concern --subject-id "$FNR" --urgency acute --violence physical \
    --not-informed "we cannot reach her" --text "Invented: neighbour reports screams from her flat, she does not answer"
G_MID=$MID
say "Waiting for the escalation in the coordinator's listener ..."
for _ in $(seq 150); do
    [ "$(escalations "$G_MID" | wc -l)" -ge 2 ] && break
    sleep 0.1
done
[ "$(escalations "$G_MID" | wc -l)" -ge 1 ] || die "no escalation within 15 s (demo/out/koordinator.jsonl)"
escalations "$G_MID" | sed 's/^/   koordinator got ALERT: /'
say "TryggEst picks it up: its inbox lists what is waiting, acute items first; reading it stops the escalation."
show tryggest inbox
sam tryggest inbox >"$OUT/g-inbox.txt" 2>&1 || { FAILED=1; say "(inbox failed)"; }
awk '/^$/ {exit} {print}' "$OUT/g-inbox.txt" | indent
say "(the other, non-acute items follow below them)"
G_DID=$(delivery_id tryggest "$G_MID")
show tryggest inbox --read "$G_DID"
sam tryggest inbox --read "$G_DID" >"$OUT/g-read.txt" 2>&1 || { FAILED=1; say "(inbox --read failed)"; }
head -1 "$OUT/g-read.txt" | indent
say "The duty operator checks the message's status, per recipient node:"
show vakt status "$G_MID"
sam vakt status "$G_MID" 2>&1 | indent
[ "${PIPESTATUS[0]}" -eq 0 ] || { FAILED=1; say "(status failed)"; }
before=$(escalations "$G_MID" | wc -l)
sleep 7
after=$(escalations "$G_MID" | wc -l)
if [ "$after" -eq "$before" ]; then
    say "No further escalation in the next 7 seconds: it stopped when TryggEst read it."
else
    say "The escalation went on ($before -> $after alerts): nobody has read it."
    FAILED=1
fi

# ---------------------------------------------------------------- (h)

section "Monday  The shared risk management plan"
say "In the cooperation meeting the coordinator writes Kari's risikohåndteringsplan into samhand, step by step, as on the paper form. Every edit is a new revision of one living plan; each agency gets the part the law allows it (her consent was withdrawn, so the partners get the minimum: level, measures and the steps they are responsible for)."
submit plan1 koordinator plan edit --subject-id "$FNR" --subject-name "$NAME" --level moderate \
    --instrument SARA-V3 --add-situation "when he is released or drinks" \
    --add-factor "threats to kill after the breakup" --add-factor "rusmisbruk, begge" \
    --critical "Ring alltid 112 først ved akutt hendelse. Vakttelefonen er døgnåpen."
expect plan1 resource_centre "identified SAME-AGENCY"
expect plan1 police_risk "pseudonymised FVL13-PLAN-PSEUDONYMISED"
expect plan1 crisis_centre "withheld FVL13-CONFIDENTIAL"
PLAN_REF=$("$PY" -c 'import json,sys; print (json.load (open (sys.argv [1])) ["case_ref"])' "$OUT/plan1.json")
submit plan2 koordinator plan edit --case "$PLAN_REF" \
    --add-step "1|resource_centre|threats on the phone or he turns up|the duty phone fetches her to the crisis bed" \
    --add-step "2|police_risk|breach of the restraining order|patrol turns out; violation reported" \
    --add-step "3|tryggest|she goes back to him|the TryggEst group meets within a week"
submit plan3 koordinator plan edit --case "$PLAN_REF" \
    --add-contact "Ressurssenteret|Petra Primærkontakt|Primærkontakt|73000000" \
    --add-activity "tuesday|resource_centre|conversation at the office, 10:00" \
    --add-activity "thursday|-|NAV appointment" --primary-contact vakt \
    --next-evaluation "$(date -d '+1 month' +%F)"
say "Then the police call: he has been released. The coordinator raises the level and records the violence alarm and the restraining order. That is a significant change: every partner holding the case gets it at once, as an acute alert since the risk is imminent."
submit plan4 koordinator plan edit --case "$PLAN_REF" --level high --imminent yes \
    --add-measure violence_alarm --add-measure restraining_order --note "he was released today"
P4_MID=$MID
for node in politi-risk tryggest vakt; do
    wait_for "$OUT/$node.jsonl" "$P4_MID" 10 || die "$node did not get the level raise at once"
done
"$PY" -c '
import json, sys
for node in sys.argv [2:]:
    for line in open (sys.argv [1] + "/" + node + ".jsonl"):
        d = json.loads (line)
        if d.get ("message_id") == sys.argv [1 + 0] : pass
        p = d.get ("risk_plan")
        if p and "MODERATE -> HIGH" in p.get ("changes", ""):
            print ("   %-12s got revision %d: %s%s" % (node, p ["revision"], "ACUTE, " if d.get ("acute") else "",
                                                      p ["changes"]))
            break' "$OUT" politi-risk tryggest vakt
PR_REF=$(grep -o 'PR-[2-9A-Z]\{4\}-[2-9A-Z]\{4\}-[2-9A-Z]\{4\}' "$OUT/politi-risk.jsonl" | tail -1)
TE_REF=$(grep -o 'TE-[2-9A-Z]\{4\}-[2-9A-Z]\{4\}-[2-9A-Z]\{4\}' "$OUT/tryggest.jsonl" | tail -1)
show vakt plan show --case "$PLAN_REF"
say "The night shift (duty phone, same agency) sees the whole current plan, printed like the paper form:"
sam vakt plan show --case "$PLAN_REF" 2>&1 | indent
say "Each agency asks for its view of the same plan (plan show --json with its own case reference). Side by side:"
sam vakt plan show --case "$PLAN_REF" --json >"$OUT/plan-vakt.json" 2>"$OUT/plan-vakt.err" || FAILED=1
sam politi-risk plan show --case "$PR_REF" --json >"$OUT/plan-politi-risk.json" 2>"$OUT/plan-politi-risk.err" || FAILED=1
sam tryggest plan show --case "$TE_REF" --json >"$OUT/plan-tryggest.json" 2>"$OUT/plan-tryggest.err" || FAILED=1
sam krisesenter plan show --case "$PLAN_REF" --json >"$OUT/plan-krisesenter.json" 2>"$OUT/plan-krisesenter.err"
"$PY" -c '
import json, sys
out = sys.argv [1]
nodes = ["vakt", "tryggest", "politi-risk", "krisesenter"]
views = {}
for n in nodes:
    try:
        views [n] = json.load (open (out + "/plan-" + n + ".json"))
    except (OSError, ValueError):
        views [n] = {}
def cell (n, part):
    r = views [n]
    p = r.get ("plan")
    if not r.get ("ok"):
        return "nothing (no case)"
    if not p:
        return "withheld"
    if part == "person":
        return (p.get ("subject") or {}).get ("name", "-")
    if part == "level":
        return p.get ("level", "-") + (" IMMINENT" if p.get ("imminent") else "")
    if part == "measures":
        return ", ".join (p.get ("measures", [])) or "-"
    if part.startswith ("trinn"):
        k = int (part [-1])
        s = [x for x in p.get ("steps", []) if x.get ("step") == k]
        return (s [0].get ("action", "") [:22] + "...") if s else "-"
    if part == "situations/factors":
        return "%d / %d" % (len (p.get ("risk_situations", [])), len (p.get ("risk_factors", [])))
    if part == "contacts":
        return "%d" % len (p.get ("contacts", [])) if p.get ("contacts") else "-"
    if part == "weekly plan":
        return "%d entries" % len (p.get ("follow_up", [])) if p.get ("follow_up") else "-"
    if part == "critical info":
        return "yes" if p.get ("critical_info") else "-"
    return "?"
parts = ["person", "level", "measures", "trinn 1", "trinn 2", "trinn 3", "situations/factors",
         "contacts", "weekly plan", "critical info"]
print ("      %-19s" % "" + "".join ("%-26s" % n for n in nodes))
print ("      %-19s" % "view" + "".join ("%-26s" % (views [n].get ("view", "-") if views [n].get ("ok") else "-") for n in nodes))
for part in parts:
    print ("      %-19s" % part + "".join ("%-26s" % cell (n, part) [:25] for n in nodes))
' "$OUT"
grep -qF -e "$NAME" -e "$FNR" "$OUT/plan-politi-risk.json" "$OUT/plan-tryggest.json" "$OUT/plan-krisesenter.json" \
    && die "a partner's view of the plan names Kari"
grep -qF "duty phone fetches" "$OUT/plan-politi-risk.json" "$OUT/plan-tryggest.json" \
    && die "a partner got the resource centre's own step"
say "Checked: no partner's view names her, and each holds only its own step. The monthly evaluation is recorded in the meeting; the next one is due in a month (an overdue one reminds the coordinator and the primary contact):"
show koordinator plan evaluate --case "$PLAN_REF" --note "Invented: stable, keeps the crisis bed"
sam koordinator plan evaluate --case "$PLAN_REF" --note "Invented: stable, keeps the crisis bed" 2>&1 | indent
show koordinator plan history --case "$PLAN_REF"
sam koordinator plan history --case "$PLAN_REF" 2>&1 | indent

# ---------------------------------------------------------------- results

section "What each agency received"
#   A last anonymous message to everyone: once each listener has it, all
#   earlier deliveries have arrived too.
sam koordinator discuss --text "End of the demo day: thank you all." --json >"$OUT/z.json" 2>"$OUT/z.err" \
    || die "the closing discussion was refused"
Z_MID=$("$PY" -c 'import json,sys; print (json.load (open (sys.argv [1])) ["message_id"])' "$OUT/z.json")
for node in tryggest politi-risk krisesenter; do
    wait_for "$OUT/$node.jsonl" "$Z_MID" 10 || die "$node did not receive the closing message"
done
stop_listeners
say "One line per delivery (the closing message left out): kind, view, rule, and which of Kari's identifiers appear anywhere in what the node received (name / fødselsnummer / phone). NOT SENT: what the broker withheld from the node's agency, and why."
"$PY" -c '
import json, sys, glob, os
out, name, fnr, phone, zmid = sys.argv [1:6]
labels = {"vakt": "resource centre, duty phone", "koordinator": "resource centre, coordinator",
          "tryggest": "TryggEst team", "politi-risk": "police RISK team", "krisesenter": "crisis centre"}
agency_of = {"tryggest": "tryggest", "politi-risk": "police_risk", "krisesenter": "crisis_centre"}
steps = {}
bad = False
for f in sorted (glob.glob (os.path.join (out, "[a-g]*.json"))):
    r = json.load (open (f))
    steps [os.path.basename (f) [:-5]] = r
for node in ["vakt", "koordinator", "tryggest", "politi-risk", "krisesenter"]:
    print ("   %s (%s)" % (node, labels [node]))
    n = 0; pushes = 0
    for line in open (os.path.join (out, node + ".jsonl"), encoding = "utf-8"):
        d = json.loads (line)
        if d.get ("type") == "status":
            #   Not a delivery: the broker telling a sender how its own
            #   message is doing. It must not carry identifiers either.
            pushes += 1
            if any (v in line for v in (name, fnr, phone)):
                print ("      A STATUS UPDATE CARRIES AN IDENTIFIER")
                bad = True
            continue
        if d.get ("message_id") == zmid: continue
        found = [w for w, v in (("name", name), ("fnr", fnr), ("phone", phone)) if v in line]
        kind = d ["kind"]
        if "alert" in d: kind = "alert:" + d ["alert"].get ("type", "?")
        print ("      %-24s %-14s %-25s %s" % (kind, d ["view"], d ["rule"],
               ("contains " + ", ".join (found)) if found else "-"))
        n += 1
    if n == 0:
        print ("      (nothing)")
    if pushes:
        print ("      (and %d status updates on its own messages: who has them, who read them)" % pushes)
    agency = agency_of.get (node)
    for step, r in sorted (steps.items ()):
        for dec in r ["decisions"]:
            if agency and dec ["agency"] == agency and dec ["view"] == "withheld":
                print ("      %-24s %-14s %-25s %s" % (r ["kind"], "NOT SENT", dec ["rule"], dec ["reason"]))
sys.exit (1 if bad else 0)
' "$OUT" "$NAME" "$FNR" "$PHONE" "$Z_MID" || die "a listener's output is unreadable, or a status update carried an identifier"

#   The policy, checked on what actually arrived (not on what was promised).
grep -qF -e "$NAME" -e "$FNR" -e "$PHONE" "$OUT/krisesenter.jsonl" \
    && die "the crisis centre received something identifying Kari"
grep -F -e "$NAME" -e "$FNR" -e "$PHONE" "$OUT/politi-risk.jsonl" | grep -vqE '"view":"identified"' \
    && die "the police received an identifier outside an identified view"
grep -F -e "$NAME" -e "$FNR" -e "$PHONE" "$OUT/tryggest.jsonl" | grep -vqF '"rule":"FVL13A1-CONSENT"' \
    && die "TryggEst received an identifier without consent"
say "Checked: the crisis centre got nothing about her; the police only in identified views (consent, duty to avert); TryggEst only under her consent."

# ---------------------------------------------------------------- audit

section "The audit: who has received information about Kari?"
show admin audit who-received --subject-id "$FNR" --json
if sam admin audit who-received --subject-id "$FNR" --json >"$OUT/who.json" 2>"$OUT/who.err"; then
    say "Every delivery about her, grouped by node, view and rule (without --json: each one with its time and legal basis):"
    "$PY" -c '
import json, sys
entries = json.load (open (sys.argv [1])).get ("entries", [])
groups = {}
for e in entries:
    if e.get ("event") == "delivered":
        k = (e.get ("node", "-"), e.get ("view", "-"), e.get ("rule", "-"))
        groups [k] = groups.get (k, 0) + 1
print ("      %-12s %-14s %-25s %s" % ("node", "view", "rule", "deliveries"))
for (node, view, rule), n in sorted (groups.items ()):
    print ("      %-12s %-14s %-25s %d" % (node, view, rule, n))
print ("      (%d audit records about her in all)" % len (entries))
crisis = any (e.get ("node") == "krisesenter" for e in entries)
print ("      the crisis centre: %s" % ("SOMETHING WAS SENT" if crisis else "nothing, ever"))
sys.exit (1 if crisis or not groups else 0)' "$OUT/who.json" \
        || { FAILED=1; say "(the audit answer is unreadable or shows something sent to the crisis centre)"; }
else
    indent <"$OUT/who.err"; FAILED=1; say "(audit who-received failed)"
fi
say "And is the hash-chained audit log intact?"
show admin audit verify
sam admin audit verify 2>&1 | indent
[ "${PIPESTATUS[0]}" -eq 0 ] || { FAILED=1; say "(audit verify failed)"; }

section "Done"
cleanup
say "Broker stopped. The installation stays in ./demo (listener output in demo/out/, broker log in demo/samhandd.log); 'make demo' again starts afresh. Took $(( $(date +%s) - T0 )) s."
if [ $FAILED -ne 0 ]; then
    echo "demo FAILED: a step above did not do what it says" >&2
    exit 1
fi
exit 0
