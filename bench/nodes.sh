#!/usr/bin/env bash
# One node vs two nodes on PostgreSQL, and one node on the embedded SQLite store, for the
# workloads issue 7 names: SendMessage, the receive+delete cycle and AssumeRole.
#
# Two nodes share one database (a schema of its own, dropped at the end); the load generator
# runs twice in parallel, half the connections against each node, and the throughputs add up.
# Prints a markdown table (medians over REPS). The 2 cores are shared by every node, PostgreSQL
# and the generator, so "two nodes" measures coordination cost, not added hardware.
#
# Environment: PG (postgres://tessera:tessera@127.0.0.1:5432/tessera), DURATION (5s),
# CONNECTIONS (16), REPS (3), CARGO_TARGET_DIR (target), BUILD (1; 0 reuses release binaries).
set -euo pipefail
cd "$(dirname "$0")/.."

PG=${PG:-postgres://tessera:tessera@127.0.0.1:5432/tessera}
DURATION=${DURATION:-5s}
CONNECTIONS=${CONNECTIONS:-16}
REPS=${REPS:-3}
TARGET_DIR=${CARGO_TARGET_DIR:-target}
ROOT_KEY=AKIAROOTROOTROOT1234
ROOT_SECRET=rootsecretrootsecretrootsecretrootsecre
MASTER=$(printf '5a%.0s' $(seq 1 32))
SCHEMA="bench_nodes_$$"

if [ "${BUILD:-1}" = 1 ]; then
    cargo build --release -p tessera -p tessera-bench >&2
fi
BIN=$TARGET_DIR/release
OUT=$(mktemp -d)
PIDS=()
cleanup() {
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    psql "$PG" -qc "DROP SCHEMA IF EXISTS $SCHEMA CASCADE" >/dev/null 2>&1 || true
    rm -rf "$OUT"
}
trap cleanup EXIT

# Starts a node on store $1 with data dir $2; prints its URL.
start_node() {
    local store=$1 dir=$2 log=$2.log
    mkdir -p "$dir"
    TESSERA_STORE=$store TESSERA_MASTER_KEY=$MASTER TESSERA_ACCOUNT_ID=123456789012 \
    TESSERA_ROOT_ACCESS_KEY_ID=$ROOT_KEY TESSERA_ROOT_SECRET_ACCESS_KEY=$ROOT_SECRET \
    TESSERA_LOG=warn "$BIN/tessera" serve --listen 127.0.0.1:0 --data-dir "$dir" >"$log" 2>"$dir.err" &
    PIDS+=($!)
    for _ in $(seq 1 300); do
        if grep -q "listening on" "$log" 2>/dev/null; then
            grep -o 'http://[0-9.:]*' "$log" | head -1
            return 0
        fi
        sleep 0.1
    done
    echo "node did not start: $(cat "$dir.err")" >&2
    return 1
}

# Runs workload $1 against the endpoints $2.. splitting the connections; prints total req/s.
run() {
    local workload=$1
    shift
    local n=$# conns=$((CONNECTIONS / $#)) i=0 files=() runs=()
    local extra=()
    case $workload in
        sqs-receive-delete) extra=(--prefill 20000) ;;
    esac
    for endpoint in "$@"; do
        i=$((i + 1))
        "$BIN/tessera-bench" --endpoint "$endpoint" --workload "$workload" "${extra[@]}" \
            --connections "$conns" --duration "$DURATION" --json --quiet \
            --access-key $ROOT_KEY --secret-key $ROOT_SECRET >"$OUT/$workload.$n.$i.json" &
        runs+=($!)
        files+=("$OUT/$workload.$n.$i.json")
    done
    for pid in "${runs[@]}"; do wait "$pid" || true; done
    python3 - "${files[@]}" <<'EOF'
import json, sys
total, errors = 0.0, 0
for f in sys.argv[1:]:
    r = json.load(open(f))
    if "failed" in r:
        print("failed")
        sys.exit()
    total += r.get("items_per_s") or r.get("throughput_rps") or 0
    errors += r.get("errors", 0)
print(f"{total:.0f}" + (f" ({errors} errors)" if errors else ""))
EOF
}

psql "$PG" -qc "CREATE SCHEMA $SCHEMA" >/dev/null
PGS="$PG?options=-csearch_path%3D$SCHEMA"
A=$(start_node "$PGS" "$OUT/a")
B=$(start_node "$PGS" "$OUT/b")
S=$(start_node sqlite "$OUT/s")

echo "per second: messages for sqs-*, requests for sts-assume-role"
echo
echo "| workload | SQLite, 1 node | PostgreSQL, 1 node | PostgreSQL, 2 nodes |"
echo "|---|---:|---:|---:|"
for workload in sqs-send sqs-receive-delete sts-assume-role; do
    s=() p1=() p2=()
    for _ in $(seq 1 "$REPS"); do
        s+=("$(run "$workload" "$S")")
        p1+=("$(run "$workload" "$A")")
        p2+=("$(run "$workload" "$A" "$B")")
    done
    median() { printf '%s\n' "$@" | sort -n | sed -n "$((($# + 1) / 2))p"; }
    echo "| $workload | $(median "${s[@]}") | $(median "${p1[@]}") | $(median "${p2[@]}") |"
done
