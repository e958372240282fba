#!/usr/bin/env bash
# Fuzzes the running API against its OpenAPI document with schemathesis (PyPI) and every check
# (`--checks all`), once per role's key, on a throwaway database and topic with the rate
# limits raised. Prints schemathesis's findings; exits non-zero when it finds any.
# Not yet part of `scripts/test.sh`: see the issue notes for the classes it still reports
# (cross-field range rules, BIN checksums, percent-encoded path segments).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
bash scripts/services.sh up >/dev/null
python3 -c "import schemathesis" 2>/dev/null || pip install --quiet schemathesis
cargo build --quiet
RUN=st_$(date +%s)
export EKINO_CLICKHOUSE__DATABASE=$RUN EKINO_KAFKA__TOPIC=$RUN EKINO_KAFKA__GROUP_ID=$RUN
EKINO=target/debug/ekino
"$EKINO" migrate 2>/dev/null
PORT=${EKINO_ST_PORT:-18099}
EKINO_API__LISTEN_ADDR=127.0.0.1:$PORT EKINO_API__PUBLIC_RATE_LIMIT_PER_MINUTE=100000000 EKINO_API__RATE_LIMIT_PER_MINUTE=100000000 \
  EKINO_API__AUDIT_SPOOL_DIR="$ROOT/target/$RUN-spool" "$EKINO" api >"target/$RUN-api.log" 2>&1 &
API=$!
trap 'kill $API 2>/dev/null; for d in $RUN ${RUN}_app; do curl -fsS http://127.0.0.1:8123/ --data-binary "DROP DATABASE IF EXISTS $d" >/dev/null; done' EXIT
for _ in $(seq 1 100); do curl -fsS "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && break; sleep 0.1; done
curl -fsS "http://127.0.0.1:$PORT/openapi.json" >"target/$RUN-openapi.json"
BIN=980340001119
status=0
for role in ministry cinema producer commission; do
  args=(--role "$role"); case $role in cinema|producer) args+=(--bin "$BIN") ;; esac
  KEY=$("$EKINO" keys create "${args[@]}" --label "schemathesis $role" 2>/dev/null)
  echo "== $role"
  st run "target/$RUN-openapi.json" --url "http://127.0.0.1:$PORT" --checks all -H "Authorization: Bearer $KEY" \
    --max-examples "${EKINO_ST_EXAMPLES:-10}" --no-color | sed -n '/^Failures:/,/^Test cases:/p' || status=1
done
exit $status
