#!/usr/bin/env bash
# make run: start the main job on the embedded default and say what to do next.
set -euo pipefail
cd "$(dirname "$0")/.."
data="${FLUVIO_RUN_DIR:-$HOME/.fluvio/sc}"
echo "Starting sc-server with its embedded NATS on 127.0.0.1:9003 (data in $data)."
echo "In another terminal, try:"
echo "  ./bin/fluvio --help"
echo "  nats --server nats://127.0.0.1:9003 server check connection"
echo "Press Ctrl-C to stop."
exec ./bin/sc-server --data-dir "$data"
