#!/bin/sh
# samhand-web under attack without a browser (tests/web/sessions_test.py):
# logged-out streams, pages by another spelling of their path, the node's
# sent file, and what a revoked node's web client still replays.
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT" && exec /usr/bin/python3 "$ROOT/tests/web/sessions_test.py"
