#!/usr/bin/env bash
# Soak run (issue 9, "Load"): tessera (release build, temporary data directory) under the `mixed`
# workload of tessera-bench (every round: STS AssumeRole + GetCallerIdentity with the new session,
# SQS send/receive/delete, S3 put/get/delete of a small object, IAM GetUser; see
# crates/bench/src/workload/mixed.rs) on many connections, while the server's resident memory and
# open file descriptors are sampled from /proc. It fails (exit 1) when
#   - any request failed (any non-2xx answer, transport error or rejected answer, by kind in the
#     report's notes), or
#   - the server holds more than SOAK_FD_MARGIN more descriptors after the run than before it, or
#   - resident memory peaked higher in the second half of the run than in the first by more than
#     SOAK_RSS_GROWTH_PCT percent and more than SOAK_RSS_GROWTH_MIN_KB.
# It ends with one summary line starting `soak:`.
#
# The baseline is taken after a warm-up (SOAK_WARMUP_SECONDS of the same load, then a pause): the
# store's connection pool, the caches and the allocator's arenas fill during the first requests,
# which is growth but no leak. By the second half of the run every bounded cache (signing keys,
# compiled policies, identities) is full and every per-request allocation has been freed and
# reused many times over, so a second-half peak above the first half's is what a leak looks like.
# Peaks are compared, not a start and an end, because the allocator's resident size moves in steps
# of several MiB both ways (a 600 s run here: 54 MiB for two minutes, then 67-74 MiB). 10% and at
# least 8 MiB leaves room for those steps while still catching a leak of a few dozen bytes per
# request over a ten-minute run at thousands of requests a second. Descriptors: after the load the client has closed every connection and the server
# holds its listener, its store and log files again; the margin of 8 allows for a store
# connection opened late and a socket still closing.
#
# Environment:
#   SOAK_SECONDS          length of the measured run (60); 600 is issue 9's ten-minute run, and
#                         any longer run works the same (e.g. SOAK_SECONDS=3600)
#   SOAK_CONNECTIONS      concurrent keep-alive connections (64)
#   SOAK_WARMUP_SECONDS   warm-up before the baseline (5)
#   SOAK_SAMPLE_SECONDS   sampling interval (2)
#   SOAK_SIZE             bytes per message and per object (256)
#   SOAK_FD_MARGIN (8), SOAK_RSS_GROWTH_PCT (10), SOAK_RSS_GROWTH_MIN_KB (8192): thresholds above
#   CARGO_TARGET_DIR      where the binaries are built (target)
#   SOAK_PROFILE          release (default) or debug: the suite's short run uses the debug build
#                         it already has (a soak checks leaks and errors, not speed)
#   BUILD=0               use the binaries already in $CARGO_TARGET_DIR/$SOAK_PROFILE
#   SOAK_KEEP=1           keep the work directory (server log, samples, report) and print its path
set -euo pipefail
cd "$(dirname "$0")/.."

SECONDS_RUN=${SOAK_SECONDS:-60}
CONNECTIONS=${SOAK_CONNECTIONS:-64}
WARMUP=${SOAK_WARMUP_SECONDS:-5}
SAMPLE=${SOAK_SAMPLE_SECONDS:-2}
SIZE=${SOAK_SIZE:-256}
FD_MARGIN=${SOAK_FD_MARGIN:-8}
RSS_PCT=${SOAK_RSS_GROWTH_PCT:-10}
RSS_MIN_KB=${SOAK_RSS_GROWTH_MIN_KB:-8192}
TARGET_DIR=${CARGO_TARGET_DIR:-target}
ROOT_KEY=AKIAROOTROOTROOT1234
ROOT_SECRET=rootsecretrootsecretrootsecretrootsecre

PROFILE=${SOAK_PROFILE:-release}
if [ "${BUILD:-1}" != 0 ]; then
    if [ "$PROFILE" = release ]; then
        cargo build --release -p tessera -p tessera-bench >&2
    else
        cargo build -p tessera -p tessera-bench >&2
    fi
fi
BIN=$TARGET_DIR/$PROFILE
WORK=$(mktemp -d)
SERVER_PID=""
SAMPLER_PID=""
cleanup() {
    [ -n "$SAMPLER_PID" ] && kill "$SAMPLER_PID" 2>/dev/null || true
    if [ -n "$SERVER_PID" ]; then
        kill "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
    fi
    if [ "${SOAK_KEEP:-0}" = 1 ]; then echo "soak work directory kept: $WORK" >&2; else rm -rf "$WORK"; fi
}
trap cleanup EXIT

TESSERA_ROOT_ACCESS_KEY_ID=$ROOT_KEY TESSERA_ROOT_SECRET_ACCESS_KEY=$ROOT_SECRET \
    TESSERA_ACCOUNT_ID=123456789012 TESSERA_LOG=warn,tessera_server=info \
    "$BIN/tessera" serve --listen 127.0.0.1:0 --data-dir "$WORK/data" >"$WORK/server.log" 2>&1 &
SERVER_PID=$!
URL=""
for _ in $(seq 1 300); do
    URL=$(grep -o 'http://[0-9.:]*' "$WORK/server.log" | head -1 || true)
    [ -n "$URL" ] && break
    kill -0 "$SERVER_PID" 2>/dev/null || break
    sleep 0.1
done
if [ -z "$URL" ]; then
    echo "soak: the server did not start" >&2
    cat "$WORK/server.log" >&2
    exit 1
fi

rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$SERVER_PID/status"; }
fds() { ls "/proc/$SERVER_PID/fd" | wc -l; }

bench() {
    AWS_ACCESS_KEY_ID=$ROOT_KEY AWS_SECRET_ACCESS_KEY=$ROOT_SECRET \
        "$BIN/tessera-bench" --endpoint "$URL" --workload mixed --size "$SIZE" \
        --connections "$CONNECTIONS" --duration "$1s" --json --quiet
}

# Warm-up, then the baseline once the warm-up's connections are gone.
if ! bench "$WARMUP" >"$WORK/warmup.json"; then
    echo "soak: the warm-up failed:" >&2
    cat "$WORK/warmup.json" >&2
    exit 1
fi
sleep 2
FD_START=$(fds)
RSS_START=$(rss_kb)

# Samples: seconds since the start of the run, RSS in KiB, open descriptors.
START=$(date +%s)
(
    while kill -0 "$SERVER_PID" 2>/dev/null; do
        echo "$(($(date +%s) - START)) $(rss_kb) $(fds)"
        sleep "$SAMPLE"
    done
) >"$WORK/samples.txt" 2>/dev/null &
SAMPLER_PID=$!

set +e
bench "$SECONDS_RUN" >"$WORK/report.json"
BENCH_EXIT=$?
set -e
kill "$SAMPLER_PID" 2>/dev/null || true
wait "$SAMPLER_PID" 2>/dev/null || true
SAMPLER_PID=""
# The client has closed its connections; give the server a moment to see them go.
sleep 2
if ! kill -0 "$SERVER_PID" 2>/dev/null; then
    echo "soak: the server died during the run" >&2
    tail -50 "$WORK/server.log" >&2
    exit 1
fi
FD_END=$(fds)
RSS_END=$(rss_kb)

python3 - "$WORK/report.json" "$WORK/samples.txt" "$BENCH_EXIT" "$SECONDS_RUN" "$CONNECTIONS" \
    "$FD_START" "$FD_END" "$RSS_START" "$RSS_END" "$FD_MARGIN" "$RSS_PCT" "$RSS_MIN_KB" <<'EOF'
import json, sys

(report_path, samples_path, bench_exit, seconds, connections, fd_start, fd_end, rss_start,
 rss_end, fd_margin, rss_pct, rss_min_kb) = sys.argv[1:]
bench_exit, seconds = int(bench_exit), int(seconds)
fd_start, fd_end, rss_start, rss_end = map(int, (fd_start, fd_end, rss_start, rss_end))
fd_margin, rss_pct, rss_min_kb = int(fd_margin), float(rss_pct), int(rss_min_kb)

failures = []
try:
    with open(report_path) as f:
        report = json.loads(f.read().strip().splitlines()[-1])
except (OSError, ValueError, IndexError) as e:
    report = {"failed": f"no report ({e})"}
if "failed" in report:
    failures.append(f"the run failed: {report['failed']}")
requests = report.get("requests", 0)
errors = report.get("errors", 0)
by_kind = {k: v for k, v in report.get("notes", {}).items() if k.startswith("error ")}
if errors or bench_exit not in (0,):
    failures.append(
        f"{errors} errors (exit {bench_exit}; by status {report.get('errors_by_status')}, "
        f"by call {by_kind}; first: {report.get('first_error')})"
    )

samples = []
with open(samples_path) as f:
    for line in f:
        parts = line.split()
        if len(parts) == 3 and all(p.isdigit() for p in parts):
            samples.append(tuple(map(int, parts)))
rss_max = max([rss_end] + [s[1] for s in samples])
fd_max = max([fd_end] + [s[2] for s in samples])
first_half = [s[1] for s in samples if s[0] < seconds / 2]
second_half = [s[1] for s in samples if s[0] >= seconds / 2]
if first_half and second_half:
    before, after = max(first_half), max(second_half)
    growth_kb = after - before
    growth_pct = 100.0 * growth_kb / before if before else 0.0
    if growth_kb > rss_min_kb and growth_pct > rss_pct:
        failures.append(
            f"RSS peaked {growth_kb} KiB ({growth_pct:.1f}%) higher in the second half than in "
            f"the first (limit {rss_pct:g}% and {rss_min_kb} KiB)"
        )
    growth = f"{growth_kb:+d} KiB ({growth_pct:+.1f}%)"
else:
    growth = "n/a"
    failures.append("too few memory samples (a longer SOAK_SECONDS or a shorter SOAK_SAMPLE_SECONDS)")
if fd_end > fd_start + fd_margin:
    failures.append(f"open descriptors went from {fd_start} to {fd_end} (margin {fd_margin})")

rps = report.get("throughput_rps", 0.0)
print(
    f"soak: {seconds}s x {connections} connections: requests {requests} ({rps:.0f}/s), "
    f"errors {errors}{' ' + str(by_kind) if by_kind else ''}; "
    f"fds start {fd_start} max {fd_max} end {fd_end}; "
    f"RSS KiB start {rss_start} max {rss_max} end {rss_end}, second-half peak {growth}; "
    f"{'FAIL' if failures else 'PASS'}"
)
for why in failures:
    print(f"soak: FAILED: {why}", file=sys.stderr)
sys.exit(1 if failures else 0)
EOF
