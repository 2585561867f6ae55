#!/bin/sh
# Browser tests of samhand-web (tests/web/browser_test.py): installs axe-core
# from the npm registry into tests/web/.axe (gitignored, used only by the
# tests) when it is missing, then drives headless chromium.
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
AXE_DIR="$ROOT/tests/web/.axe"
if [ ! -f "$AXE_DIR/node_modules/axe-core/axe.min.js" ] && command -v npm >/dev/null; then
    npm install --silent --no-save --no-package-lock --no-audit --no-fund --prefix "$AXE_DIR" axe-core@4 >&2 || true
fi
cd "$ROOT" && exec /usr/bin/python3 "$ROOT/tests/web/browser_test.py"
