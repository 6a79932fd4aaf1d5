#!/usr/bin/env bash
# Builds the benchmark binaries into bin/ and runs the orchestrator.
#   bench/run.sh quick|full [extra fluvio-bench flags]
# make bench / make bench-quick call it after make build.
set -euo pipefail
cd "$(dirname "$0")/.."
mode="${1:-quick}"
shift || true
GO="${GO:-go}"
mkdir -p bin
for cmd in fluvio-bench bench-worker bench-nats-server; do
  "$GO" build -buildvcs=false -trimpath -o "bin/$cmd" "./bench/cmd/$cmd"
done
exec ./bin/fluvio-bench --mode "$mode" --out bench/results --bin bin "$@"
