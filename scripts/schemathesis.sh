#!/usr/bin/env bash
# Fuzzes the running API against its OpenAPI document with schemathesis (PyPI) and every check
# (`--checks all`), once per role's key, on a throwaway database and topic with the rate
# limits raised; exits non-zero when it finds anything (the findings are printed).
# Part of `scripts/test.sh`. What the document says in words but JSON Schema cannot (BIN check
# digits, date order, cross-field rules of a production) is taught to schemathesis by
# scripts/schemathesis_hooks.py; scripts/schemathesis.toml accepts 422 (well-formed, but the
# rules or reference data cannot compute it) as an answer to a schema-valid request.
# EKINO_ST_EXAMPLES sets the examples per operation (default 10).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
bash scripts/services.sh up >/dev/null
python3 -c "import schemathesis" 2>/dev/null || pip install --quiet schemathesis
cargo build --quiet
# ClickHouse's admin (`default`) has a password (scripts/services.sh): this run's databases are its.
. "$(bash scripts/services.sh credentials)"
export EKINO_CLICKHOUSE__USER=ekino_admin EKINO_CLICKHOUSE__PASSWORD=$EKINO_CH_ADMIN_PASSWORD
RUN=st_$(date +%s)
export EKINO_CLICKHOUSE__DATABASE=$RUN EKINO_KAFKA__TOPIC=$RUN EKINO_KAFKA__GROUP_ID=$RUN \
  EKINO_KAFKA__SESSIONS_TOPIC=$RUN.sessions EKINO_KAFKA__PARTNER_TOPIC=$RUN.partners
EKINO=target/debug/ekino
"$EKINO" migrate 2>/dev/null
PORT=${EKINO_ST_PORT:-18099}
EKINO_API__LISTEN_ADDR=127.0.0.1:$PORT EKINO_API__PUBLIC_RATE_LIMIT_PER_MINUTE=100000000 EKINO_API__RATE_LIMIT_PER_MINUTE=100000000 \
  EKINO_API__AUDIT_SPOOL_DIR="$ROOT/target/$RUN-spool" "$EKINO" api >"target/$RUN-api.log" 2>&1 &
API=$!
trap 'kill $API 2>/dev/null; for d in $RUN ${RUN}_app; do curl -fsS -u "ekino_admin:$EKINO_CH_ADMIN_PASSWORD" http://127.0.0.1:8123/ --data-binary "DROP DATABASE IF EXISTS $d" >/dev/null; done' EXIT
for _ in $(seq 1 100); do curl -fsS "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && break; sleep 0.1; done
curl -fsS "http://127.0.0.1:$PORT/openapi.json" >"target/$RUN-openapi.json"
BIN=980340001119
status=0
for role in ministry cinema producer commission partner; do
  args=(--role "$role"); case $role in cinema|producer|partner) args+=(--bin "$BIN") ;; esac
  KEY=$("$EKINO" keys create "${args[@]}" --label "schemathesis $role" 2>/dev/null)
  echo "== $role"
  SCHEMATHESIS_HOOKS=schemathesis_hooks PYTHONPATH="$ROOT/scripts" \
  st --config-file scripts/schemathesis.toml run "target/$RUN-openapi.json" --url "http://127.0.0.1:$PORT" --checks all -H "Authorization: Bearer $KEY" \
    --max-examples "${EKINO_ST_EXAMPLES:-10}" --no-color >"target/$RUN-$role.log" 2>&1 || { status=1; cat "target/$RUN-$role.log"; }
  tail -n 3 "target/$RUN-$role.log"
done
exit $status
