#!/usr/bin/env bash
#   readme_steps.sh — README.md's "Running it for real" block, run as it is
#   written (HOME is a temporary folder; the port, 7450, is replaced by a free
#   one if 7450 is taken). It must end with the node's ping answered.
#
#     SAMHAND_BUILD=build tests/cli/readme_steps.sh
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
B=${SAMHAND_BUILD:-build}
case $B in /*) ;; *) B=$ROOT/$B ;; esac
# shellcheck source-path=SCRIPTDIR/../.. source=scripts/samhand-common.sh
. "$ROOT/scripts/samhand-common.sh"

samhand_test_begin readme_steps 60 samhand-readme
PORT=$(free_port)
#   The block after <!-- readme-steps -->, between the ``` lines.
awk '/<!-- readme-steps -->/ {on = 1; next} on && /^```sh/ {grab = 1; next}
     grab && /^```/ {exit} grab {print}' "$ROOT/README.md" >"$W/steps.sh"
[ -s "$W/steps.sh" ] && grep -q "ping" "$W/steps.sh"
result "readme: the steps block is there and ends with a ping"
#   The only change: the port (in the steps and in the copied config) and
#   where the binaries are.
sed -i "s/7450/$PORT/g; s|build/|$B/|g" "$W/steps.sh"
#   A broker the block started is stopped even when a step fails.
sed -i "1i trap '[ -n \"\${BROKER:-}\" ] \&\& kill \$BROKER 2>/dev/null' EXIT" "$W/steps.sh"
sed -i "/^cp config\/samhandd.cfg/a sed -i 's/7450/$PORT/' \"\$D/samhandd.cfg\"" "$W/steps.sh"
( cd "$ROOT" && HOME=$W bash -e "$W/steps.sh" ) >"$W/steps.out" 2>"$W/steps.err"
rc=$?
[ "$rc" -eq 0 ] && grep -q "is valid" "$W/steps.out" && grep -q "^vakt  resource_centre  duty_operator" "$W/steps.out"
result "readme: followed literally, the check passes and vakt's ping is answered"
[ "$rc" -eq 0 ] || { cat "$W/steps.err" >&2; tail -5 "$W/samhand-broker/samhandd.log" >&2; }
#   The folder config/samhandd.cfg points at: server.cert, enrolled, samhand.db, keys.
[ "$(stat -c %a "$W/samhand-broker/server.cert_secret")" = 600 ] && [ -f "$W/samhand-broker/samhand.db" ]
result "readme: the installation holds the private server secret and the store"
[ "$FAILS" -eq 0 ]
