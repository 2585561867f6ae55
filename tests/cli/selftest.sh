#!/bin/sh
#   The CLI's own checks of its pure parts (JSON, options, dates, tables,
#   summaries): `samhand selftest` prints PASS/FAIL lines for tests/run.sh
#   to count and exits non-zero if any failed. No broker is needed.
set -u
SAMHAND="${SAMHAND_BUILD:-build}/samhand"
if [ ! -x "$SAMHAND" ]; then
    echo "FAIL cli selftest: $SAMHAND is not built (make $SAMHAND)"
    exit 1
fi
"$SAMHAND" selftest
exit $?
