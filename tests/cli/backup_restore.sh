#!/usr/bin/env bash
#   backup_restore.sh — `samhandd --backup DIR` while the broker runs, the
#   copy's audit verified, a restore started on a new folder with the
#   message and the audit there; the store's schema version checked at
#   start: a newer store refused, an older one upgraded (issue 12 §6). ALL
#   DATA IS INVENTED ("Testa Testesen" and her phone do not exist).
#
#     SAMHAND_BUILD=build tests/cli/backup_restore.sh
#
#   Bounded: a few seconds; a watchdog stops it at 90 s.
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
B=${SAMHAND_BUILD:-build}
case $B in /*) ;; *) B=$ROOT/$B ;; esac
# shellcheck source-path=SCRIPTDIR/../.. source=scripts/samhand-common.sh
. "$ROOT/scripts/samhand-common.sh"

samhand_test_begin backup_restore 90 samhand-backup
[ -x "$B/samhand" ] && [ -x "$B/samhandd" ] || abort "backup_restore: binaries not built"
PORT=$(free_port)
"$B/samhand" init-demo "$W" --port "$PORT" >/dev/null 2>"$W/init.err" || abort "backup_restore: init-demo"
mkdir -p "$OUT"
samhand_start_broker || abort "backup_restore: the broker answers ping"

submit concern vakt concern --subject-name "Testa Testesen" --subject-phone 40000001 \
    --urgency routine --violence physical --not-informed "invented" \
    --text "Invented: a test concern for the backup"
[ "$RC" -eq 0 ] && [ -n "$MID" ]
result "backup: a concern is stored before the backup"

#   Online: the broker keeps running (and holds its store lock) meanwhile.
"$B/samhandd" --backup "$W/bk" -c "$W/samhandd.cfg" >"$W/backup.out" 2>&1
RC=$?
[ "$RC" -eq 0 ] && kill -0 "$BROKER_PID" 2>/dev/null
result "backup: samhandd --backup succeeds while the broker runs"
sam vakt ping --wait 2 >/dev/null 2>&1
result "backup: the broker still answers after the backup"
[ "$(stat -c %a "$W/bk")" = 700 ] && [ "$(stat -c %a "$W/bk/samhand.db")" = 600 ] \
    && [ "$(stat -c %a "$W/bk/keys")" = 700 ] && [ "$(stat -c %a "$W/bk/server.cert_secret")" = 600 ] \
    && [ -n "$(ls "$W/bk/keys")" ] \
    && ! find "$W/bk/keys" -type f ! -perm 600 | grep -q . \
    && diff -r "$W/keys" "$W/bk/keys" >/dev/null && diff -r "$W/enrolled" "$W/bk/enrolled" >/dev/null
result "backup: the copy holds the store and every key file, modes kept (0600, folders 0700)"
"$B/samhandd" --backup "$W/bk" -c "$W/samhandd.cfg" >/dev/null 2>"$W/backup2.err"
[ $? -ne 0 ] && grep -q "must not exist" "$W/backup2.err"
result "backup: an existing folder is refused, nothing overwritten"
"$B/samhandd" --verify-audit -c "$W/bk/samhandd.cfg" >"$W/verify.out" 2>&1
result "backup: --verify-audit passes on the copy"
"$B/samhandd" --check-config -c "$W/bk/samhandd.cfg" >/dev/null 2>&1
[ $? -ne 0 ]
result "backup: the copy's config is refused while the original's port is in use"

#   Restore into a new folder, on another port, the original stopped.
samhand_stop
cp -a "$W/bk" "$W/restored"
PORT2=$(free_port)
sed -i "s|tcp://127.0.0.1:$PORT|tcp://127.0.0.1:$PORT2|" "$W/restored/samhandd.cfg"
"$B/samhandd" --check-config -c "$W/restored/samhandd.cfg" >/dev/null 2>"$W/restored-check.err"
result "restore: --check-config passes on the restored folder"
mkdir -p "$W/nodes2"
cp -a "$W"/nodes/. "$W/nodes2/"
sed -i "s|:$PORT\"|:$PORT2\"|" "$W"/nodes2/*.cfg
"$B/samhandd" -c "$W/restored/samhandd.cfg" 2>"$W/restored.log" &
BROKER_PID=$!
up=1
for _ in $(seq 50); do
    "$B/samhand" -c "$W/nodes2/admin.cfg" ping --wait 1 >/dev/null 2>&1 && { up=0; break; }
    sleep 0.2
done
[ "$up" -eq 0 ]
result "restore: a broker starts on the restored folder"
"$B/samhand" -c "$W/nodes2/koordinator.cfg" inbox --json >"$W/inbox.json" 2>"$W/inbox.err"
[ -n "$MID" ] && grep -qF "$MID" "$W/inbox.json"
result "restore: the message stored before the backup is in the recipient's inbox"
samhand_stop
"$B/samhandd" --verify-audit -c "$W/restored/samhandd.cfg" >"$W/verify2.out" 2>&1
result "restore: the audit chain verifies after the restored broker ran"

#   The schema version: a store from a newer samhandd is refused; an older
#   one (no version stamped, as before versions began) is upgraded.
[ "$("$PY" -c 'import sqlite3, sys; print (sqlite3.connect (sys.argv [1]).execute ("PRAGMA user_version").fetchone () [0])' "$W/restored/samhand.db")" = 3 ]
result "schema: the store is stamped with schema version 3"
cp -a "$W/restored" "$W/newer"
"$PY" -c 'import sqlite3, sys; c = sqlite3.connect (sys.argv [1]); c.execute ("PRAGMA user_version = 99"); c.commit ()' "$W/newer/samhand.db"
timeout 10 "$B/samhandd" -c "$W/newer/samhandd.cfg" 2>"$W/newer.log"
rc=$?
[ "$rc" -ne 0 ] && [ "$rc" -ne 124 ] && grep -q "schema version 99, newer than this samhandd knows (3)" "$W/newer.log"
result "schema: a store from a newer samhandd is refused with the reason"
cp -a "$W/restored" "$W/older"
#   As before versions began: without the consents columns of migrations 2 and 3.
"$PY" -c 'import sqlite3, sys; c = sqlite3.connect (sys.argv [1]); c.execute ("ALTER TABLE consents DROP COLUMN capacity_sealed"); c.execute ("ALTER TABLE consents DROP COLUMN recorded_agency"); c.execute ("PRAGMA user_version = 0"); c.commit ()' "$W/older/samhand.db"
"$B/samhandd" -c "$W/older/samhandd.cfg" 2>"$W/older.log" &
BROKER_PID=$!
up=1
for _ in $(seq 50); do
    "$B/samhand" -c "$W/nodes2/admin.cfg" ping --wait 1 >/dev/null 2>&1 && { up=0; break; }
    sleep 0.2
done
samhand_stop
[ "$up" -eq 0 ] && [ "$("$PY" -c 'import sqlite3, sys; print (sqlite3.connect (sys.argv [1]).execute ("PRAGMA user_version").fetchone () [0])' "$W/older/samhand.db")" = 3 ]
result "schema: an older store is upgraded at start"

#   During a server key rotation: the copy holds the previous certificate
#   and its secret, and its config passes the check (it named a file the
#   copy lacked, so a broker started from the backup refused to start).
"$B/samhand" keygen server-2026 --server --dir "$W/restored" >/dev/null 2>&1
PORT3=$(free_port)
sed -i "s|^\( *bind = .*\)$|\1\n    previous_cert = \"server-2026.cert\"\n    previous_bind = \"tcp://127.0.0.1:$PORT3\"\n    previous_until = \"2099-01-31\"|" \
    "$W/restored/samhandd.cfg"
"$B/samhandd" --check-config -c "$W/restored/samhandd.cfg" >/dev/null 2>"$W/rot-check.err" \
    || abort "backup: the rotation config is not valid: $(tail -1 "$W/rot-check.err")"
"$B/samhandd" --backup "$W/rotbk" -c "$W/restored/samhandd.cfg" >"$W/rotbk.out" 2>&1 \
    && "$B/samhandd" --check-config -c "$W/rotbk/samhandd.cfg" >/dev/null 2>"$W/rotbk-check.err" \
    && [ "$(stat -c %a "$W/rotbk/server-2026.cert_secret")" = 600 ]
result "backup: during a key rotation the copy holds the previous server key and its config passes"

#   A PostgreSQL store is not copied by --backup: it says which tools to use
#   (nothing is connected to: the refusal comes first).
sed 's|^\( *store = \).*|\1"host=/nonexistent dbname=samhand_invented"|' "$W/restored/samhandd.cfg" \
    > "$W/restored/pg.cfg"
"$B/samhandd" --backup "$W/pgbk" -c "$W/restored/pg.cfg" >"$W/pgbackup.out" 2>&1
rc=$?
[ "$rc" -eq 2 ] && grep -q "pg_dump" "$W/pgbackup.out" && grep -q "keys" "$W/pgbackup.out" && [ ! -e "$W/pgbk" ]
result "backup: a PostgreSQL store is refused, pointing to pg_dump/pgBackRest and the keys"

[ "$FAILS" -eq 0 ]
