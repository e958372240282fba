#!/usr/bin/env bash
# The test command: services up (installed when missing), the benchmark in its CI size, then
# every unit, property and end-to-end test of the workspace against the real services.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
export PATH="$HOME/.cargo/bin:$PATH"

bash scripts/services.sh up
# tests/abuse.rs holds 2,100 sockets open against an API allowed 1,024 connections.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
python3 -c "import chdb" 2>/dev/null || pip install --quiet chdb-core
# The OpenAPI document is checked by a real validator (api/server/tests/routes.rs).
python3 -c "import openapi_spec_validator" 2>/dev/null || pip install --quiet openapi-spec-validator

# ClickHouse's admin (`ekino_admin`) has a password (scripts/services.sh); the bench uses it (the
# tests read it themselves, tests/common).
. "$(bash scripts/services.sh credentials)"
export EKINO_CLICKHOUSE__USER=ekino_admin EKINO_CLICKHOUSE__PASSWORD=$EKINO_CH_ADMIN_PASSWORD
# `ekino bench --quick` runs so the command cannot rot; its speed never fails CI (a debug
# build's figures are not representative, so they go to target/, not BENCHMARKS.md).
cargo build --quiet
target/debug/ekino bench --quick --out target/BENCHMARKS.quick.md >/dev/null
echo "bench --quick: ok (target/BENCHMARKS.quick.md)"

status=0
cargo test --workspace --no-fail-fast "$@" || status=$?

# schemathesis against a running API with each role's key: no 5xx, every reply as documented,
# no schema-valid request refused, undeclared methods 405. Runs after the tests, so that a
# finding here never hides a test failure, and both fail the command.
if bash scripts/schemathesis.sh; then echo "schemathesis: nothing found"; else status=1; fi
exit $status
