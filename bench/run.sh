#!/usr/bin/env bash
# Builds the benchmark binaries into bin/ and runs the orchestrator.
#   bench/run.sh quick|full [extra fluvio-bench flags]
# make bench / make bench-quick call it after make build.
# The results go to ${BENCH_OUT:-$TMPDIR/fluvio-bench}, outside the
# repository: a run leaves git status clean. RECORD=1 (make bench RECORD=1)
# writes them into bench/results and the table into bench/README.md.
set -euo pipefail
cd "$(dirname "$0")/.."
mode="${1:-quick}"
shift || true
GO="${GO:-go}"
mkdir -p bin
for cmd in fluvio-bench bench-worker bench-nats-server; do
  "$GO" build -buildvcs=false -trimpath -o "bin/$cmd" "./bench/cmd/$cmd"
done
out="${BENCH_OUT:-${TMPDIR:-/tmp}/fluvio-bench}"
record=()
if [ "${RECORD:-}" = 1 ]; then
  out=bench/results
  target=bench
  [ "$mode" = quick ] && target=bench-quick
  record=(--record bench/README.md --command "make $target RECORD=1")
fi
exec ./bin/fluvio-bench --mode "$mode" --out "$out" --bin bin "${record[@]}" "$@"
