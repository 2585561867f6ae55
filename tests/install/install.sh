#!/usr/bin/env bash
#   install.sh — `make install` into a DESTDIR: every file in its place, the
#   shared library with its soname, a tiny C program compiled and linked
#   against the installed library through pkg-config (shared and static),
#   the installed binaries' --version, the man pages, the example config
#   (state under /var/lib/samhand), and the systemd unit clean under
#   `systemd-analyze verify` with the hardening the issue asks for.
#
#     SAMHAND_BUILD=build tests/install/install.sh
#
#   Bounded (~10 s; a watchdog stops it at 120 s). Temporary folder removed
#   unless KEEP=1. No personal data involved.
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
B=${SAMHAND_BUILD:-build}
case $B in /*) ;; *) B=$ROOT/$B ;; esac
# shellcheck source-path=SCRIPTDIR/../.. source=scripts/samhand-common.sh
. "$ROOT/scripts/samhand-common.sh"
samhand_test_begin install 120 samhand-install

SAN=""; CCSAN=""
#   A sanitizer build installs sanitized libraries: a program using them
#   must be linked with the same runtime.
case $B in *build-san) SAN="SANITIZE=1"; CCSAN="-fsanitize=address,undefined" ;; esac
D=$W/dest
VERSION=$(cat "$ROOT/VERSION")
make -s -C "$ROOT" $SAN install PREFIX=/usr DESTDIR="$D" >"$W/make.log" 2>&1
result "install: make install PREFIX=/usr DESTDIR=... succeeds" || { tail -20 "$W/make.log"; exit 1; }

missing=""
for f in usr/sbin/samhandd usr/bin/samhand usr/lib/libsamhand.so.1 usr/lib/libsamhand.so \
         usr/lib/libsamhand.a usr/include/samhand/samhand.h usr/include/samhand/samhand.pb-c.h \
         usr/lib/pkgconfig/samhand.pc usr/share/man/man8/samhandd.8 usr/share/man/man1/samhand.1 \
         usr/share/man/man5/samhandd.cfg.5 usr/share/doc/samhand/examples/samhandd.cfg \
         usr/lib/systemd/system/samhand.service etc/samhand/samhandd.cfg etc/samhand/enrolled \
         usr/share/bash-completion/completions/samhand; do
    [ -e "$D/$f" ] || missing="$missing $f"
done
[ -z "$missing" ]; result "install: every file installed${missing:+ (missing:$missing)}"
if [ -x "$B/samhand-web" ]; then
    [ -x "$D/usr/bin/samhand-web" ]; result "install: samhand-web installed when built"
fi

soname=$(objdump -p "$D/usr/lib/libsamhand.so.1" | awk '/SONAME/ { print $2 }')
[ "$soname" = libsamhand.so.1 ]; result "install: libsamhand.so.1 has soname libsamhand.so.1 (got '$soname')"
[ "$(readlink "$D/usr/lib/libsamhand.so")" = libsamhand.so.1 ]
result "install: libsamhand.so links to libsamhand.so.1"

for bin in usr/sbin/samhandd usr/bin/samhand; do
    out=$("$D/$bin" --version 2>&1)
    [ "$out" = "$(basename $bin) $VERSION" ]; result "install: $(basename $bin) --version says '$out'"
done

#   A program of a library user: only the installed files, through pkg-config.
cat >"$W/prog.c" <<'C'
#include <samhand.h>
#include <stdio.h>
int main (void)
{
    Samhand__V1__Frame frame = SAMHAND__V1__FRAME__INIT;
    frame.request_id = 7;
    printf ("frame %zu bytes, protocol %d\n",
            samhand__v1__frame__get_packed_size (&frame), SAMHAND_PROTOCOL_VERSION);
    samhand_settings_t settings;
    return samhand_settings_load (&settings, "/nonexistent/node.cfg") == -1? 0: 1;
}
C
#   The installed samhand.pc, its prefix moved to the DESTDIR.
export PKG_CONFIG_PATH=$D/usr/lib/pkgconfig
pc () { pkg-config --define-variable=prefix="$D/usr" "$@" samhand; }
flags=$(pc --cflags --libs 2>&1)
result "install: pkg-config samhand resolves ($flags)"
cc -Wall -Werror $CCSAN -o "$W/prog" "$W/prog.c" $flags >"$W/cc.log" 2>&1
result "install: a C program compiles and links against the installed libsamhand" || cat "$W/cc.log"
out=$(LD_LIBRARY_PATH=$D/usr/lib "$W/prog" 2>&1 | head -1)
[ "$out" = "frame 2 bytes, protocol 1" ]; result "install: the program runs with the installed libsamhand.so.1 ($out)"
LD_LIBRARY_PATH=$D/usr/lib ldd "$W/prog" | grep -q "libsamhand.so.1 => $D/usr/lib/libsamhand.so.1"
result "install: the program loads libsamhand.so.1 from the installed folder"
#   libsamhand.a itself static, its dependencies (Requires.private) shared.
cc -Wall -Werror $CCSAN -o "$W/prog-static" "$W/prog.c" $(pc --cflags) "$D/usr/lib/libsamhand.a" \
   $(pkg-config --libs libczmq libzmq libprotobuf-c) >"$W/cc2.log" 2>&1 && "$W/prog-static" >/dev/null \
   && ! ldd "$W/prog-static" | grep -q libsamhand
result "install: the same program links statically against libsamhand.a" || cat "$W/cc2.log"
unset PKG_CONFIG_PATH

for page in man8/samhandd.8 man1/samhand.1 man5/samhandd.cfg.5; do
    grep -q '^\.TH' "$D/usr/share/man/$page" && grep -q '^\.SH NAME' "$D/usr/share/man/$page"
    result "install: man page $page generated from scdoc"
done

cfg=$D/etc/samhand/samhandd.cfg
grep -q '^    state_dir = "/var/lib/samhand"' "$cfg"
result "install: the installed config keeps its state under /var/lib/samhand"

unit=$D/usr/lib/systemd/system/samhand.service
ok=1
for line in 'Type=notify' 'User=samhand' 'StateDirectory=samhand' 'UMask=0077' \
            'ExecStartPre=/usr/sbin/samhandd --check-config -c /etc/samhand/samhandd.cfg' \
            'ExecReload=/bin/kill -HUP $MAINPID' 'NoNewPrivileges=yes' 'ProtectSystem=strict' \
            'ProtectHome=yes' 'PrivateTmp=yes' 'RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6' \
            'SystemCallFilter=@system-service' 'CapabilityBoundingSet=' 'WatchdogSec=30s'; do
    grep -qxF -- "$line" "$unit" || { echo "# unit lacks: $line"; ok=0; }
done
[ $ok = 1 ]; result "install: the unit has User, StateDirectory, UMask, ExecStartPre, ExecReload, notify and hardening"
if command -v systemd-analyze >/dev/null; then
    #   The analyzer checks that the binaries exist: point it at the DESTDIR.
    mkdir -p "$W/unit"
    sed "s|/usr/sbin/samhandd|$D/usr/sbin/samhandd|g" "$unit" >"$W/unit/samhand.service"
    out=$(systemd-analyze verify --man=no "$W/unit/samhand.service" 2>&1); rc=$?
    [ $rc -eq 0 ] && [ -z "$out" ]
    result "install: systemd-analyze verify is clean on the unit" || echo "$out"
    #   And it does notice a broken unit (so the check above can fail).
    sed 's/^UMask=/UMaks=/' "$W/unit/samhand.service" >"$W/unit/bad.service"
    out=$(systemd-analyze verify --man=no "$W/unit/bad.service" 2>&1)
    [ -n "$out" ]; result "install: systemd-analyze verify reports a misspelled key"
else
    echo "SKIP install: systemd-analyze not installed (package systemd)"
fi
exit $((FAILS > 0))
