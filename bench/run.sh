#!/usr/bin/env bash
# Runs every tessera-bench workload against tessera, a do-nothing HTTP server (the ceiling of this
# machine and of the generator) and, when it is installed, moto's server; alternates workloads
# within each repetition and prints a markdown table of medians and ratios.
#
# Environment: DURATION (10s), CONNECTIONS (16), REPS (3), CARGO_TARGET_DIR (target),
# MOTO_SERVER (path to moto_server; default: the venv below if present; "off" to skip),
# KEEP (1 keeps the per-run JSON directory and prints its path).
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=${DURATION:-10s}
CONNECTIONS=${CONNECTIONS:-16}
REPS=${REPS:-3}
TARGET_DIR=${CARGO_TARGET_DIR:-target}
MOTO_SERVER=${MOTO_SERVER:-/root/.cache/tessera-bench-venv/bin/moto_server}
ROOT_KEY=AKIAROOTROOTROOT1234
ROOT_SECRET=rootsecretrootsecretrootsecretrootsecre

cargo build --release -p tessera -p tessera-bench >&2
BIN=$TARGET_DIR/release
OUT=$(mktemp -d)
DATA=$(mktemp -d)
PIDS=()
cleanup() {
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    rm -rf "$DATA"
    if [ "${KEEP:-0}" = 1 ]; then echo "per-run JSON kept in $OUT" >&2; else rm -rf "$OUT"; fi
}
trap cleanup EXIT

# Waits for a line matching $2 in file $1 and prints the http://… URL in it.
wait_url() {
    for _ in $(seq 1 300); do
        if grep -q "$2" "$1" 2>/dev/null; then
            grep -o 'http://[0-9.:]*' "$1" | head -1
            return 0
        fi
        sleep 0.1
    done
    echo "timed out waiting for $1" >&2
    cat "$1" >&2
    return 1
}

TESSERA_ROOT_ACCESS_KEY_ID=$ROOT_KEY TESSERA_ROOT_SECRET_ACCESS_KEY=$ROOT_SECRET \
TESSERA_ACCOUNT_ID=123456789012 \
    "$BIN/tessera" serve --listen 127.0.0.1:0 --data-dir "$DATA" >"$OUT/tessera.out" 2>"$OUT/tessera.err" &
PIDS+=($!)
TESSERA=$(wait_url "$OUT/tessera.out" "listening on")

"$BIN/tessera-bench" serve-noop --listen 127.0.0.1:0 >"$OUT/noop.out" 2>&1 &
PIDS+=($!)
CEILING=$(wait_url "$OUT/noop.out" "listening on")

RUNS=(
    "tessera sts-get-caller-identity"
    "tessera sts-get-caller-identity-session"
    "tessera sts-assume-role"
    "tessera iam-get-user"
    "ceiling noop"
)
if [ "$MOTO_SERVER" != off ] && [ -x "$MOTO_SERVER" ]; then
    MOTO_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    "$MOTO_SERVER" -H 127.0.0.1 -p "$MOTO_PORT" >"$OUT/moto.out" 2>&1 &
    PIDS+=($!)
    MOTO="http://127.0.0.1:$MOTO_PORT"
    for _ in $(seq 1 300); do
        curl -fs -o /dev/null "$MOTO/moto-api/" && break
        sleep 0.1
    done
    RUNS+=("moto sts-get-caller-identity" "moto sts-assume-role")
else
    echo "moto not installed at $MOTO_SERVER: skipping the moto peer" >&2
fi

for rep in $(seq 1 "$REPS"); do
    for run in "${RUNS[@]}"; do
        read -r target workload <<<"$run"
        case $target in
            tessera) url=$TESSERA ;;
            ceiling) url=$CEILING ;;
            moto) url=$MOTO ;;
        esac
        echo "rep $rep: $target $workload" >&2
        # Exit code 3 means some requests failed; they are in the JSON and the table.
        "$BIN/tessera-bench" --endpoint "$url" --workload "$workload" \
            --connections "$CONNECTIONS" --duration "$DURATION" \
            --access-key "$ROOT_KEY" --secret-key "$ROOT_SECRET" --json --quiet \
            >"$OUT/$target--$workload--$rep.json" || [ $? -eq 3 ]
    done
done

python3 bench/summarize.py "$OUT"
