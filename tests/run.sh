#!/bin/sh
# Runs every test binary given, prints their PASS/FAIL lines, and ends with
# "N passed, N failed" alone on a line. Exit status 1 if anything failed,
# including a binary that crashed or printed no result.
#
# An argument "--postgresql" starts a throwaway PostgreSQL (tests/pg/pgtmp.sh)
# and runs the binaries after it against that server (SAMHAND_TEST_STORE:
# each test makes its own database), named "pg:NAME"; the server is stopped
# at the end.
passed=0; failed=0; pg=""; prefix=""
stop_pg () { [ -n "$pg" ] && "$(dirname "$0")/pg/pgtmp.sh" stop "$pg"; pg=""; }
trap stop_pg EXIT
trap 'exit 130' INT TERM
log=$(mktemp)
start=$(date +%s)
for t in "$@"; do
    if [ "$t" = "--postgresql" ]; then
        pg=$(mktemp -d /tmp/samhand-pg-XXXXXX)
        if conninfo=$("$(dirname "$0")/pg/pgtmp.sh" start "$pg"); then
            export SAMHAND_TEST_STORE="${conninfo% dbname=postgres}"
            export SAMHAND_TEST_PGDATA="$pg/data"
            prefix="pg:"
            echo "== PostgreSQL pass ($SAMHAND_TEST_STORE)"
            continue
        fi
        echo "FAIL postgresql: cannot start a test server (tests/pg/pgtmp.sh)"
        failed=$((failed + 1)); stop_pg
        break
    fi
    name=$prefix$(basename "$t")
    echo "== $name"
    timeout "${SAMHAND_TEST_TIMEOUT:-300}" "$t" > "$log" 2>"$log.err"
    rc=$?
    cat "$log"
    p=$(grep -c '^PASS ' "$log"); f=$(grep -c '^FAIL ' "$log")
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
        echo "FAIL $name exited with status $rc"; tail -20 "$log.err"; f=1
    elif [ "$f" -ne 0 ]; then
        tail -30 "$log.err"
    fi
    #   A test that cannot run here says "SKIP why" and exits 0.
    s=$(grep -c '^SKIP ' "$log")
    if [ "$p" -eq 0 ] && [ "$f" -eq 0 ] && { [ "$s" -eq 0 ] || [ "$rc" -ne 0 ]; }; then
        echo "FAIL $name ran no check"; f=1; fi
    passed=$((passed + p)); failed=$((failed + f))
done
rm -f "$log" "$log.err"
echo "elapsed $(( $(date +%s) - start ))s"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
