#!/usr/bin/env bash
#   argv_hidden.sh — what a samhand command was given on its command line
#   (a fødselsnummer, a name, the text of a concern) is not left readable
#   by the machine's other users in /proc/PID/cmdline (ps) while the
#   command waits for the broker. ALL DATA IS INVENTED.
#
#     SAMHAND_BUILD=build tests/cli/argv_hidden.sh
#
#   Bounded: about 3 s; a watchdog stops it at 60 s.
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
B=${SAMHAND_BUILD:-build}
case $B in /*) ;; *) B=$ROOT/$B ;; esac
# shellcheck source-path=SCRIPTDIR/../.. source=scripts/samhand-common.sh
. "$ROOT/scripts/samhand-common.sh"

samhand_test_begin argv_hidden 60 samhand-argv
[ -x "$B/samhand" ] || abort "argv_hidden: $B/samhand is not built"
PORT=$(free_port)
"$B/samhand" init-demo "$W" --port "$PORT" >/dev/null 2>"$W/init.err" || abort "argv_hidden: init-demo"
KARI=$(fnr_from_date 240288 402)    # Kari Oppdiktet, invented

#   No broker listens: the command waits its --wait (2 s) for an answer.
"$B/samhand" -c "$W/nodes/vakt.cfg" --wait 2 concern --subject-id "$KARI" \
    --subject-name "Kari Oppdiktet" --text "Oppdiktet tekst om Kari" --urgency routine \
    >"$W/concern.out" 2>"$W/concern.err" &
PID=$!
sleep 0.7
tr '\0' ' ' <"/proc/$PID/cmdline" >"$W/cmdline" 2>/dev/null
wait "$PID"
RC=$?
[ -s "$W/cmdline" ] && ! grep -q -e "$KARI" -e "Oppdiktet" "$W/cmdline"
result "argv: the person's number, name and text are not in /proc/PID/cmdline while it waits"
[ "$RC" -eq 4 ] && grep -q "nothing answers" "$W/concern.err"
result "argv: the command itself still read its arguments (nothing answers: exit 4)"
echo "argv_hidden: $FAILS failed"
[ "$FAILS" -eq 0 ]
