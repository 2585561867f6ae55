#!/bin/sh
# Installs the Debian packages samhand needs to build, test and run, if any
# is missing. Safe to run again; does nothing when all are present.
set -e
PKGS="build-essential pkg-config libczmq-dev libzmq3-dev libsodium-dev libprotobuf-c-dev \
protobuf-c-compiler libsqlite3-dev libpq-dev postgresql libssl-dev sqlite3 clang libclang-rt-dev \
python3 python3-zmq python3-protobuf protobuf-compiler libicu-dev wnorwegian \
libsystemd-dev scdoc debhelper dpkg-dev fakeroot adduser systemd curl procps \
libmicrohttpd-dev chromium chromium-driver python3-selenium openssl"
# npm fetches axe-core for the browser tests only; a Node.js from elsewhere
# (e.g. NodeSource) brings its own npm, which the Debian package would clash with.
command -v npm >/dev/null 2>&1 || PKGS="$PKGS npm"
# `install-deps.sh bench` adds what make bench compares with and profiles by:
# Debian's mosquitto broker and its C client library, and perf.
[ "$1" = bench ] && PKGS="$PKGS mosquitto libmosquitto-dev linux-perf"
missing=""
for p in $PKGS; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "samhand: installing missing packages:$missing"
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $missing
