#!/usr/bin/env bash
# The one test command. On a fresh Debian machine (as root) it installs and starts what the tests
# need, then runs every check, stopping at the first failure:
#   rustfmt, clippy (-D warnings), the Rust tests (unit, integration, doc), the Python tests
#   (boto3, the AWS CLI, raw SigV2 and presigned requests) against the built binary.
# Every set-up step is idempotent and cheap when already done, so it is also the everyday command.
#
# Environment:
#   CARGO_TARGET_DIR        default $HOME/.cache/tessera-target
#   TESSERA_VENV_ROOT       where pinned venvs live, default $HOME/.cache/tessera-venv
#   TESSERA_SKIP_POSTGRES=1 do not install/start PostgreSQL (the SQLite suite needs none)
set -euo pipefail

cd "$(dirname "$0")/.."
START=$(date +%s)

step() { printf '\n==> %s\n' "$*"; }
elapsed() { echo "$(( $(date +%s) - START ))s"; }
fail() {
    printf '\nFAILED: %s (after %s)\n' "$1" "$(elapsed)"
    exit 1
}

# --- system packages ---------------------------------------------------------------------------

SUDO=""
if [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null 2>&1; then
    SUDO="sudo"
fi

APT_UPDATED=0
apt_install() {
    # apt-get update only once, and only when something is actually missing.
    if [ "$APT_UPDATED" -eq 0 ]; then
        $SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq
        APT_UPDATED=1
    fi
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@"
}

need_packages=()
command -v python3 >/dev/null 2>&1 || need_packages+=(python3)
command -v cc >/dev/null 2>&1 || need_packages+=(build-essential)
if [ "${TESSERA_SKIP_POSTGRES:-0}" != 1 ]; then
    command -v pg_ctlcluster >/dev/null 2>&1 || need_packages+=(postgresql)
fi
if [ "${#need_packages[@]}" -gt 0 ]; then
    step "installing ${need_packages[*]}"
    apt_install "${need_packages[@]}"
fi

# --- Python venv with the pinned clients -------------------------------------------------------

REQUIREMENTS=tests/python/requirements.txt
PY_VERSION=$(python3 -c 'import sys; print("%d.%d" % sys.version_info[:2])')
REQ_HASH=$( (cat "$REQUIREMENTS"; echo "$PY_VERSION") | sha256sum | cut -c1-16)
VENV_ROOT=${TESSERA_VENV_ROOT:-$HOME/.cache/tessera-venv}
VENV="$VENV_ROOT/$REQ_HASH"
if [ ! -f "$VENV/.complete" ]; then
    step "creating the Python venv $VENV"
    rm -rf "$VENV"
    mkdir -p "$VENV_ROOT"
    if ! python3 -m venv "$VENV" >/dev/null 2>&1; then
        # Debian splits venv (and ensurepip) into python3-venv / python3.X-venv.
        rm -rf "$VENV"
        apt_install python3-venv "python${PY_VERSION}-venv" || apt_install python3-venv
        python3 -m venv "$VENV"
    fi
    "$VENV/bin/python" -m pip install -q --disable-pip-version-check -r "$REQUIREMENTS"
    touch "$VENV/.complete"
fi

# --- PostgreSQL 15 (used by the PostgreSQL backend's tests) ------------------------------------

if [ "${TESSERA_SKIP_POSTGRES:-0}" != 1 ]; then
    PG_VERSION=15
    if ! pg_lsclusters -h 2>/dev/null | awk '{print $1" "$2}' | grep -qx "$PG_VERSION main"; then
        if [ ! -x "/usr/lib/postgresql/$PG_VERSION/bin/postgres" ]; then
            step "installing postgresql-$PG_VERSION"
            apt_install "postgresql-$PG_VERSION"
        fi
        step "creating the PostgreSQL $PG_VERSION cluster"
        $SUDO pg_createcluster "$PG_VERSION" main >/dev/null
    fi
    if ! pg_lsclusters -h | awk -v v="$PG_VERSION" '$1==v && $2=="main" {print $4}' | grep -q online; then
        step "starting PostgreSQL $PG_VERSION"
        $SUDO pg_ctlcluster "$PG_VERSION" main start
    fi
    # SQL goes in on stdin, so no quoting survives two shells.
    psql_admin() { echo "$1" | $SUDO su postgres -c "cd / && psql -v ON_ERROR_STOP=1 -qtAX"; }
    for _ in $(seq 1 50); do
        psql_admin "select 1" >/dev/null 2>&1 && break
        sleep 0.2
    done
    if [ "$(psql_admin "select 1 from pg_roles where rolname = 'tessera'")" != 1 ]; then
        psql_admin "create role tessera login password 'tessera'"
    fi
    if [ "$(psql_admin "select 1 from pg_database where datname = 'tessera'")" != 1 ]; then
        psql_admin "create database tessera owner tessera"
    fi
    export TESSERA_TEST_POSTGRES=postgres://tessera:tessera@127.0.0.1:5432/tessera
fi

# --- Rust --------------------------------------------------------------------------------------

export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/tessera-target}
export CARGO_TERM_COLOR=${CARGO_TERM_COLOR:-never}
# Integration tests each start a server; give them a log level that helps when one fails.
export RUST_LOG=${RUST_LOG:-info}

step "cargo fmt --check"
cargo fmt --all -- --check || fail "cargo fmt (run: cargo fmt --all)"

step "cargo clippy"
cargo clippy --workspace --all-targets -- -D warnings || fail "cargo clippy"

step "cargo test (unit and integration)"
if command -v cargo-nextest >/dev/null 2>&1; then
    cargo nextest run --workspace --no-fail-fast || fail "cargo nextest run"
else
    cargo test --workspace --no-fail-fast || fail "cargo test"
fi

step "cargo test --doc"
cargo test --workspace --doc || fail "cargo test --doc"

# --- Python black-box tests --------------------------------------------------------------------

step "building the tessera binary"
cargo build -p tessera || fail "cargo build -p tessera"
export TESSERA_BIN="$CARGO_TARGET_DIR/debug/tessera"

step "pytest tests/python"
"$VENV/bin/pytest" tests/python -q -p no:cacheprovider || fail "pytest tests/python"

# --- Fuzzing (a few seconds per target; longer runs: fuzz/README.md) ---------------------------

step "soak (scripts/soak.sh, ${SOAK_SECONDS:-20} s, debug build: no errors, no fd or memory growth)"
SOAK_PROFILE=debug SOAK_SECONDS=${SOAK_SECONDS:-20} SOAK_CONNECTIONS=16 ./scripts/soak.sh ||
    fail "soak"

step "fuzz smoke (scripts/fuzz-smoke.sh, ${FUZZ_SECONDS:-3} s per target)"
FUZZ_SECONDS=${FUZZ_SECONDS:-3} ./scripts/fuzz-smoke.sh || fail "fuzz smoke"

printf '\nALL CHECKS PASSED: fmt, clippy, Rust tests, doc tests, Python tests, soak, fuzz smoke (%s)\n' "$(elapsed)"
