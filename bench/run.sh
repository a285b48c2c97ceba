#!/usr/bin/env bash
# Runs the tessera-bench workloads against tessera and every peer that can run on this machine,
# several repetitions, alternating (within a repetition each workload runs on every peer in turn),
# and prints markdown tables of medians and ratios (bench/summarize.py). Peers lacking a workload
# show as "—"; a target that fails a run (e.g. a tessera without SQS yet) shows its error instead of
# stopping the script.
#
# Peers (each optional but the first two; an absent one is skipped with a message):
#   tessera   the workspace binary, release build, temporary data directory, fixed root key.
#   ceiling   `tessera-bench serve-noop`: a do-nothing HTTP server, the ceiling of this machine
#             with this generator (which shares the 2 cores); only the `noop` workload.
#   moto      moto's server (PyPI `moto[server]`), STS/SQS/S3. Checks no signatures; closes the
#             connection after every response.
#   localstack  LocalStack without Docker: `localstack-core[runtime]` needs Python >= 3.13 (its
#             2026.3.0 release imports `warnings.deprecated`); this machine's system Python is 3.11
#             but pyenv has 3.13.0. It also needs a few pins to start offline (see BENCHMARKS.md,
#             "The commands"). SQS and S3. Signatures not checked by default.
#   s3s-fs    s3s-fs 0.14.1 (crates.io; 0.17 needs rustc 1.96), S3 only, checks SigV4 with the
#             root key. `cargo install` took ~5.5 min here at nice 19.
#   fakecloud (crates.io, `cargo install fakecloud`: about two hours at nice 19 here), run with
#             `--verify-sigv4 --iam strict`, so it checks signatures and IAM policies. Its `test…`
#             keys bypass every check, so run.sh uses them only to create an IAM user with an
#             allow-all inline policy and benchmarks with that user's key. STS, SQS and S3.
#
# Environment: DURATION (10s), CONNECTIONS (16), REPS (3), CARGO_TARGET_DIR (target),
# WORKLOADS (space-separated labels to run; default all, see RUNS below),
# MOTO_SERVER (moto_server path; "off" skips), LOCALSTACK_PYTHON (python of the LocalStack venv;
# "off" skips), S3S_FS (s3s-fs path; "off" skips), FAKECLOUD (fakecloud path; "off" skips),
# AWS_CLI (the aws CLI used to set up fakecloud's user),
# PREFILL_TESSERA (100000), PREFILL_MOTO (1000), PREFILL_LOCALSTACK (10000): messages
# sqs-receive-delete keeps waiting in its queue before each run (moto's receive slows with depth),
# KEEP (1 keeps the per-run JSON directory and prints its path), BUILD (0 skips the release build
# and uses the binaries already in $CARGO_TARGET_DIR/release).
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=${DURATION:-10s}
CONNECTIONS=${CONNECTIONS:-16}
REPS=${REPS:-3}
TARGET_DIR=${CARGO_TARGET_DIR:-target}
MOTO_SERVER=${MOTO_SERVER:-/root/.cache/tessera-bench-venv/bin/moto_server}
LOCALSTACK_PYTHON=${LOCALSTACK_PYTHON:-/root/.cache/tessera-localstack-venv/bin/python}
S3S_FS=${S3S_FS:-/root/.cache/s3s-fs-install/bin/s3s-fs}
FAKECLOUD=${FAKECLOUD:-/root/.cache/fakecloud-install/bin/fakecloud}
AWS_CLI=${AWS_CLI:-$(ls /root/.cache/tessera-venv/*/bin/aws 2>/dev/null | head -1)}
declare -A PREFILL=(
    [tessera]=${PREFILL_TESSERA:-100000}
    [moto]=${PREFILL_MOTO:-1000}
    [localstack]=${PREFILL_LOCALSTACK:-10000}
    [fakecloud]=${PREFILL_FAKECLOUD:-100000}
)
ROOT_KEY=AKIAROOTROOTROOT1234
ROOT_SECRET=rootsecretrootsecretrootsecretrootsecre

# label | tessera-bench arguments | targets that serve it
RUNS=(
    "noop|--workload noop|ceiling"
    "sts-get-caller-identity|--workload sts-get-caller-identity|tessera moto fakecloud"
    "sts-get-caller-identity-session|--workload sts-get-caller-identity-session|tessera"
    "sts-assume-role|--workload sts-assume-role|tessera moto fakecloud"
    "iam-get-user|--workload iam-get-user|tessera fakecloud"
    "sqs-send|--workload sqs-send --protocol query --size 1024|tessera moto localstack fakecloud"
    "sqs-send.json|--workload sqs-send --protocol json --size 1024|tessera moto localstack fakecloud"
    "sqs-send-batch|--workload sqs-send-batch --protocol json --size 1024|tessera moto localstack fakecloud"
    "sqs-receive-delete|--workload sqs-receive-delete --protocol json --max-messages 10|tessera moto localstack fakecloud"
    "sqs-long-poll-latency|--workload sqs-long-poll-latency --protocol json|tessera moto localstack fakecloud"
    "s3-put.4k|--workload s3-put --size 4096|tessera moto localstack s3s-fs fakecloud"
    "s3-get.4k|--workload s3-get --size 4096|tessera moto localstack s3s-fs fakecloud"
    "s3-put.1m|--workload s3-put --size 1048576 --keys 64|tessera moto localstack s3s-fs fakecloud"
    "s3-get.1m|--workload s3-get --size 1048576 --keys 16|tessera moto localstack s3s-fs fakecloud"
    "s3-put.16m|--workload s3-put --size 16777216 --keys 8|tessera s3s-fs fakecloud"
    "s3-get.16m|--workload s3-get --size 16777216 --keys 4|tessera s3s-fs fakecloud"
    "s3-put.64m|--workload s3-put --size 67108864 --keys 4|tessera s3s-fs fakecloud"
    "s3-get.64m|--workload s3-get --size 67108864 --keys 2|tessera s3s-fs fakecloud"
    "s3-list|--workload s3-list --keys 1000|tessera moto localstack s3s-fs fakecloud"
)

if [ "${BUILD:-1}" != 0 ]; then
    cargo build --release -p tessera -p tessera-bench >&2
fi
BIN=$TARGET_DIR/release
OUT=$(mktemp -d)
DATA=$(mktemp -d)
PGIDS=()
cleanup() {
    # Each peer runs in its own process group (setsid): end the group, children included.
    for pgid in "${PGIDS[@]}"; do kill -- "-$pgid" 2>/dev/null || true; done
    # LocalStack can ignore SIGTERM for a while: give every group 10 s, then SIGKILL.
    for pgid in "${PGIDS[@]}"; do
        for _ in $(seq 1 50); do kill -0 -- "-$pgid" 2>/dev/null || break; sleep 0.2; done
        kill -KILL -- "-$pgid" 2>/dev/null || true
    done
    rm -rf "$DATA"
    if [ "${KEEP:-0}" = 1 ]; then echo "per-run JSON kept in $OUT" >&2; else rm -rf "$OUT"; fi
}
trap cleanup EXIT

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Starts a peer in its own process group: start NAME LOGFILE COMMAND...
start() {
    local name=$1 log=$2
    shift 2
    setsid "$@" >"$log" 2>&1 &
    PGIDS+=($!)
    echo "$name" >>"$OUT/peers.txt"
}

# Waits until COMMAND succeeds (up to $1 seconds); prints nothing.
wait_for() {
    local seconds=$1
    shift
    for _ in $(seq 1 $((seconds * 10))); do
        "$@" >/dev/null 2>&1 && return 0
        sleep 0.1
    done
    return 1
}

# Waits for a line matching $2 in file $1 and prints the http://… URL in it.
wait_url() {
    if wait_for 30 grep -q "$2" "$1"; then
        grep -o 'http://[0-9.:]*' "$1" | head -1
    else
        echo "timed out waiting for $1" >&2
        cat "$1" >&2
        return 1
    fi
}

declare -A URL
start tessera "$OUT/tessera.log" env TESSERA_ROOT_ACCESS_KEY_ID=$ROOT_KEY \
    TESSERA_ROOT_SECRET_ACCESS_KEY=$ROOT_SECRET TESSERA_ACCOUNT_ID=123456789012 \
    "$BIN/tessera" serve --listen 127.0.0.1:0 --data-dir "$DATA/tessera"
URL[tessera]=$(wait_url "$OUT/tessera.log" "listening on")

start ceiling "$OUT/noop.log" "$BIN/tessera-bench" serve-noop --listen 127.0.0.1:0
URL[ceiling]=$(wait_url "$OUT/noop.log" "listening on")

if [ "$MOTO_SERVER" != off ] && [ -x "$MOTO_SERVER" ]; then
    port=$(free_port)
    start moto "$OUT/moto.log" "$MOTO_SERVER" -H 127.0.0.1 -p "$port"
    URL[moto]="http://127.0.0.1:$port"
    wait_for 30 curl -fs -o /dev/null "${URL[moto]}/moto-api/" || { echo "moto did not start" >&2; exit 1; }
else
    echo "moto not installed at $MOTO_SERVER: skipping the moto peer" >&2
fi

if [ "$LOCALSTACK_PYTHON" != off ] && [ -x "$LOCALSTACK_PYTHON" ]; then
    port=$(free_port)
    # XDG_CACHE_HOME: LocalStack's plugin index cache is per venv; keep it out of ~/.cache/plux.
    start localstack "$OUT/localstack.log" env GATEWAY_LISTEN="127.0.0.1:$port" \
        XDG_CACHE_HOME=/root/.cache/tessera-localstack-cache SERVICES=sqs,s3 \
        "$LOCALSTACK_PYTHON" -m localstack.runtime.main
    URL[localstack]="http://127.0.0.1:$port"
    wait_for 120 curl -fs -o /dev/null "${URL[localstack]}/_localstack/health" ||
        { echo "LocalStack did not start; see $OUT/localstack.log" >&2; exit 1; }
else
    echo "LocalStack not installed at $LOCALSTACK_PYTHON: skipping the localstack peer" >&2
fi

if [ "$S3S_FS" != off ] && [ -x "$S3S_FS" ]; then
    port=$(free_port)
    mkdir -p "$DATA/s3s-fs"
    start s3s-fs "$OUT/s3s-fs.log" "$S3S_FS" --host 127.0.0.1 --port "$port" \
        --access-key "$ROOT_KEY" --secret-key "$ROOT_SECRET" "$DATA/s3s-fs"
    URL[s3s-fs]="http://127.0.0.1:$port"
    wait_for 30 curl -s -o /dev/null "${URL[s3s-fs]}/" || { echo "s3s-fs did not start" >&2; exit 1; }
else
    echo "s3s-fs not installed at $S3S_FS: skipping the s3s-fs peer" >&2
fi

declare -A KEY SECRET
if [ "$FAKECLOUD" != off ] && [ -x "$FAKECLOUD" ] && [ -n "$AWS_CLI" ]; then
    port=$(free_port)
    start fakecloud "$OUT/fakecloud.log" "$FAKECLOUD" --addr "127.0.0.1:$port" \
        --verify-sigv4 --iam strict --log warn
    URL[fakecloud]="http://127.0.0.1:$port"
    fc_aws() {
        AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_DEFAULT_REGION=us-east-1 \
            "$AWS_CLI" --endpoint-url "${URL[fakecloud]}" --output text "$@"
    }
    wait_for 60 fc_aws sts get-caller-identity || { echo "fakecloud did not start" >&2; exit 1; }
    fc_aws iam create-user --user-name bench >/dev/null
    fc_aws iam put-user-policy --user-name bench --policy-name all --policy-document \
        '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}'
    read -r KEY[fakecloud] SECRET[fakecloud] < <(fc_aws iam create-access-key --user-name bench \
        --query 'AccessKey.[AccessKeyId,SecretAccessKey]')
else
    echo "fakecloud not installed at $FAKECLOUD (or no aws CLI): skipping the fakecloud peer" >&2
fi

selected() {
    [ -z "${WORKLOADS:-}" ] && return 0
    case " $WORKLOADS " in *" $1 "*) return 0 ;; esac
    return 1
}

# The summary lists workloads in this order.
for run in "${RUNS[@]}"; do
    label=${run%%|*}
    if selected "$label"; then echo "$label" >>"$OUT/labels.txt"; fi
done

for rep in $(seq 1 "$REPS"); do
    for run in "${RUNS[@]}"; do
        IFS='|' read -r label args targets <<<"$run"
        selected "$label" || continue
        for target in $targets; do
            [ -n "${URL[$target]:-}" ] || continue
            extra=()
            case $label in sqs-receive-delete*) extra=(--prefill "${PREFILL[$target]:-10000}") ;; esac
            echo "rep $rep: $target $label" >&2
            file="$OUT/$target--$label--$rep.json"
            rc=0
            # shellcheck disable=SC2086 # $args is a list of flags
            "$BIN/tessera-bench" --endpoint "${URL[$target]}" $args "${extra[@]}" \
                --connections "$CONNECTIONS" --duration "$DURATION" \
                --access-key "${KEY[$target]:-$ROOT_KEY}" \
                --secret-key "${SECRET[$target]:-$ROOT_SECRET}" --json --quiet \
                >"$file" 2>"$OUT/last.err" || rc=$?
            # 0: clean; 3: some requests failed (in the JSON); 1: the run could not happen (a JSON
            # object with "failed"). Anything else (a crash) is recorded as a failure here.
            if [ "$rc" != 0 ] && [ "$rc" != 3 ] && [ "$rc" != 1 ] || [ ! -s "$file" ]; then
                python3 -c 'import json,sys; print(json.dumps({"failed": sys.argv[1]}))' \
                    "exit $rc: $(tail -c 300 "$OUT/last.err")" >"$file"
            fi
        done
    done
done

python3 bench/summarize.py "$OUT"
