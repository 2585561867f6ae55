#!/bin/sh
# Runs every test binary given, prints their PASS/FAIL lines, and ends with
# "N passed, N failed" alone on a line. Exit status 1 if anything failed,
# including a binary that crashed or printed no result.
passed=0; failed=0
log=$(mktemp)
start=$(date +%s)
for t in "$@"; do
    name=$(basename "$t")
    echo "== $name"
    timeout 300 "$t" > "$log" 2>"$log.err"
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
