#!/usr/bin/env bash
# make run: start a local cluster (sc-server with embedded NATS and 3 SPUs,
# as background processes), create a demo topic, produce and consume a few
# records, and say how to continue and how to stop.
#
# Everything lives under .run/ in the repository (the cluster's data and
# logs, and a profiles file), so your ~/.fluvio is untouched. Running it again
# reuses the running cluster (or resumes a stopped one).
#
# Environment:
#   FLUVIO_RUN_DIR   where to keep the cluster (default .run)
#   FLUVIO_RUN_SC    the SC address (default 127.0.0.1:9003)
#   FLUVIO_RUN_SPUS  number of SPUs (default 3)
#   FLUVIO_BIN       directory of fluvio, sc-server, spu-server and the
#                    example-producer/example-consumer programs (default bin)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
run="${FLUVIO_RUN_DIR:-$root/.run}"
sc="${FLUVIO_RUN_SC:-127.0.0.1:9003}"
spus="${FLUVIO_RUN_SPUS:-3}"
mkdir -p "$run"
run="$(cd "$run" && pwd)"
export FLUVIO_CONFIG="$run/config"
bindir="${FLUVIO_BIN:-$root/bin}"
fluvio="$bindir/fluvio"
if [[ ! -x $fluvio ]]; then
  echo "error: $fluvio not found" >&2
  echo "next: run 'make build' (or 'make run', which builds first)" >&2
  exit 1
fi

# A cluster that exists keeps its address and SPUs: pass them only the first time.
if [[ -f $run/cluster/cluster.json ]]; then
  echo "== fluvio cluster start  (resumes the cluster in $run/cluster)"
  "$fluvio" cluster start --data-dir "$run/cluster"
else
  echo "== fluvio cluster start --spu $spus  (data and logs in $run/cluster)"
  "$fluvio" cluster start --spu "$spus" --data-dir "$run/cluster" --sc-addr "$sc"
fi
sc="$("$fluvio" profile current -O json | sed -n 's/.*"sc": "\(.*\)".*/\1/p')"
# NATS auth is on: the examples connect with the least-privileged identity
# that can produce and consume (role client); the CLI uses the profile's
# admin credentials.
creds="$run/cluster/auth/client.creds"
creds_flag=()
[[ -f $creds ]] && creds_flag=(--creds "$creds")

echo
echo "== fluvio topic create demo -p 3 -r 3"
if out=$("$fluvio" topic create demo -p 3 -r "$(( spus < 3 ? spus : 3 ))" 2>&1); then
  echo "$out"
elif grep -q "already exists" <<<"$out"; then
  echo "topic \"demo\" exists already (kept from an earlier run)"
else
  echo "$out" >&2
  exit 1
fi

# demo_hw reads 'fluvio partition list' and prints the sum of the demo
# partitions' high watermarks as the SC last heard them ("-" counts as 0).
demo_hw() {
  awk 'NR > 1 && $1 == "demo" && $NF != "-" { s += $NF } END { print s + 0 }'
}
hw_before="$("$fluvio" partition list 2>/dev/null | demo_hw)"

echo
echo "== fluvio produce demo"
if "$fluvio" produce --help >/dev/null 2>&1; then
  stamp="$(date -u +%H:%M:%S)"
  printf 'hello from make run at %s\nsecond record at %s\nthird record at %s\n' "$stamp" "$stamp" "$stamp" | "$fluvio" produce demo
  echo "produced 3 records"
  echo
  echo "== fluvio consume demo -B -d  (the last 9 records)"
  "$fluvio" consume demo -B -d | tail -n 9
else
  echo "(skipped: this build has no 'fluvio produce' yet)"
fi

# The example programs (examples/producer, examples/consumer) use package
# fluvio directly: 'make build' puts them in bin/; without them, go run.
example() {
  local name=$1
  shift
  if [[ -x $bindir/example-$name ]]; then
    "$bindir/example-$name" "$@"
  elif command -v go >/dev/null 2>&1; then
    go run "$root/examples/$name" "$@"
  else
    echo "(skipped: no $bindir/example-$name and no go toolchain)"
  fi
}
echo
echo "== examples/producer --topic demo --count 4  (package fluvio: Send, Flush, SendSync)"
example producer --sc "$sc" "${creds_flag[@]}" --topic demo --count 4
echo
echo "== examples/consumer --topic demo --tail 2 --once  (the last 2 records of each partition)"
example consumer --sc "$sc" "${creds_flag[@]}" --topic demo --tail 2 --once

echo
# The SPUs report offsets in their next heartbeat (about a second): wait for it.
# (The report age goes to stderr: keep only the last one.)
for _ in $(seq 1 20); do
  parts="$("$fluvio" partition list 2>"$run/partition-list.err")"
  # 3 records from fluvio produce and 4 from the example producer: wait
  # (bounded) until the SPUs' reports show all of them
  [[ $(demo_hw <<<"$parts") -ge $((hw_before + 7)) ]] && break
  sleep 0.25
done
cat "$run/partition-list.err" >&2
echo "$parts"
cat <<EOF

The cluster keeps running in the background. To use it from this shell:
  export FLUVIO_CONFIG=$run/config     # the profile 'local' points at $sc
  export PATH=$bindir:\$PATH
  fluvio topic list
  fluvio produce demo                  # type records, one per line; Ctrl-D ends
  fluvio consume demo -B               # follows the log; Ctrl-C stops
  fluvio cluster status                # processes, addresses, logs, /metrics /livez /readyz URLs
  $bindir/example-producer --sc $sc --creds $creds --topic demo --count 10
  $bindir/example-consumer --sc $sc --creds $creds --topic demo --beginning
  fluvio cluster check
Without FLUVIO_CONFIG, pass --sc $sc --creds $run/cluster/auth/admin.creds to any command
(NATS auth is on: admin.creds, client.creds and read-only.creds in $run/cluster/auth are the three roles).

To stop it (data kept; 'make run' resumes):  FLUVIO_CONFIG=$run/config $fluvio cluster stop
To remove it and its data:                  FLUVIO_CONFIG=$run/config $fluvio cluster delete --force
EOF
