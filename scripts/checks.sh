#!/usr/bin/env bash
# The house's habits, before any test: formatting, import circles, licences, lints. Each one
# fails the command (CI runs this first, so a red check shows before a 20-minute test run).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
export PATH="$HOME/.cargo/bin:$PATH"

echo "[checks] cargo fmt --all --check"
cargo fmt --all --check
echo "[checks] no import circles inside a crate (scripts/circles.py)"
python3 scripts/circles.py
echo "[checks] licences of Cargo.lock (scripts/licenses.py)"
python3 scripts/licenses.py
echo "[checks] cargo clippy --workspace --all-targets -- -D warnings"
cargo clippy --quiet --workspace --all-targets --locked -- -D warnings
echo "[checks] all passed"
