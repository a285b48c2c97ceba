#!/usr/bin/env bash
# Fuzz smoke test: builds every cargo-fuzz target in fuzz/ once, then runs each for a few seconds
# and fails if any of them finds a crash (a panic, a failed invariant, a leak or a timeout).
# Each run starts from the committed seeds (fuzz/seeds/<target>) and regression inputs
# (fuzz/regressions/<target>), plus the local corpus (fuzz/corpus/<target>, not committed) when
# there is one; new inputs go to a scratch directory, so the tree is left as it was.
# A crashing input is kept in fuzz/artifacts/<target>/. Longer runs: see fuzz/README.md.
#
# Needs the Rust toolchain scripts/test.sh installs (stable; RUSTC_BOOTSTRAP=1 lets cargo-fuzz use
# its nightly flags). Installs cargo-fuzz when missing.
#
# Environment:
#   FUZZ_SECONDS       seconds per target, default 5
#   FUZZ_TARGETS       space-separated subset of targets, default all (`cargo fuzz list`)
#   FUZZ_TARGET_DIR    cargo target dir, default $HOME/.cache/tessera-fuzz-target
#   FUZZ_RSS_LIMIT_MB  libFuzzer memory limit per target, default 2048
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$(pwd)
SECONDS_PER_TARGET=${FUZZ_SECONDS:-5}
export CARGO_TARGET_DIR=${FUZZ_TARGET_DIR:-$HOME/.cache/tessera-fuzz-target}
export RUSTC_BOOTSTRAP=1
FUZZ_FLAGS=(-O --sanitizer none)

if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "==> installing cargo-fuzz"
    cargo install cargo-fuzz --locked
fi

SCRATCH=$(mktemp -d "${TMPDIR:-/tmp}/tessera-fuzz-smoke.XXXXXX")
trap 'rm -rf "$SCRATCH"' EXIT
# The SQS and S3 targets open a store in a temporary directory; keep those in the scratch dir.
export TMPDIR=$SCRATCH

cd "$ROOT/fuzz"
echo "==> building fuzz targets"
cargo fuzz build "${FUZZ_FLAGS[@]}"

if [ -n "${FUZZ_TARGETS:-}" ]; then
    read -r -a TARGETS <<<"$FUZZ_TARGETS"
else
    mapfile -t TARGETS < <(cargo fuzz list)
fi

FAILED=()
for target in "${TARGETS[@]}"; do
    mkdir -p "$SCRATCH/corpus/$target" "artifacts/$target"
    corpora=("$SCRATCH/corpus/$target")
    for dir in "seeds/$target" "regressions/$target" "corpus/$target"; do
        if [ -d "$dir" ]; then
            corpora+=("$dir")
        fi
    done
    log="$SCRATCH/$target.log"
    if cargo fuzz run "${FUZZ_FLAGS[@]}" "$target" "${corpora[@]}" -- \
        -max_total_time="$SECONDS_PER_TARGET" -rss_limit_mb="${FUZZ_RSS_LIMIT_MB:-2048}" \
        -timeout=10 -print_final_stats=1 >"$log" 2>&1; then
        runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
        printf '%-20s ok    %s executions in %ss\n' "$target" "${runs:-?}" "$SECONDS_PER_TARGET"
    else
        printf '%-20s CRASH (input in fuzz/artifacts/%s/)\n' "$target" "$target"
        grep -a -A2 -E 'panicked at|^==[0-9]+==|^SUMMARY' "$log" | head -n 20 || true
        grep -a -E 'Test unit written|^Base64' "$log" | head -n 4 || true
        FAILED+=("$target")
    fi
done

if [ "${#FAILED[@]}" -gt 0 ]; then
    echo "FAILED: fuzz targets with crashes: ${FAILED[*]}"
    exit 1
fi
echo "fuzz smoke: ${#TARGETS[@]} targets, ${SECONDS_PER_TARGET}s each, no crash"
