#!/usr/bin/env bash
# ekino services on loopback: ClickHouse (Debian's clickhouse-server) on 8123 and the
# Kafka-protocol broker tansu (crates.io, sqlite store: durable) on 9092. `kafka-memory` is a
# second tansu with its in-memory store on 9093, for benchmarks only: tansu's sqlite fetch
# sums record sizes over the whole partition tail on every request, so a topic of millions
# of events makes the durable broker, not ekino, the thing measured.
#
#   scripts/services.sh up [clickhouse|kafka|kafka-memory]    install when missing, start, wait
#   scripts/services.sh down [clickhouse|kafka|kafka-memory]  stop only what this script started
#   scripts/services.sh status
#   scripts/services.sh credentials    prints the file with the ClickHouse users' passwords
#
# Idempotent: a running service is left alone; installed software is not reinstalled.
# The services are per machine (their ports are), so their data, PID files and logs live in
# one place per machine, not per checkout: $EKINO_HOME, default ~/.local/state/ekino.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
HOME_DIR=${EKINO_HOME:-${XDG_STATE_HOME:-$HOME/.local/state}/ekino}
LOGS=$HOME_DIR/logs
CH_PORT=${EKINO_CLICKHOUSE_PORT:-8123}
CH_TCP_PORT=${EKINO_CLICKHOUSE_TCP_PORT:-9000}
KAFKA_PORT=${EKINO_KAFKA_PORT:-9092}
KAFKA_MEMORY_PORT=${EKINO_KAFKA_MEMORY_PORT:-9093}
TANSU_VERSION=${EKINO_TANSU_VERSION:-0.6.0}
TANSU_FEATURES=libsql,dynostore
# Built once per machine, outside any checkout, with both stores.
TANSU_ROOT=${EKINO_TANSU_ROOT:-$HOME/.local/share/ekino/tansu-$TANSU_VERSION-${TANSU_FEATURES/,/-}}
mkdir -p "$LOGS"

log() { printf '[services] %s\n' "$*" >&2; }

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

wait_for() { # name, seconds, command...
  local name=$1 secs=$2; shift 2
  for _ in $(seq 1 $((secs * 5))); do
    if "$@"; then return 0; fi
    sleep 0.2
  done
  log "$name did not answer within ${secs}s; see $LOGS"
  return 1
}

ch_ping() { curl -fsS "http://127.0.0.1:$CH_PORT/ping" >/dev/null 2>&1; }

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

install_clickhouse() {
  command -v clickhouse-server >/dev/null && return 0
  log "installing clickhouse-server from Debian (log: $LOGS/apt.log)"
  as_root apt-get update >>"$LOGS/apt.log" 2>&1
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y --no-install-recommends clickhouse-server curl >>"$LOGS/apt.log" 2>&1
}

# Headless Chromium prints the briefing to PDF (the API's `format=pdf`) and drives the
# browser tests; pdftotext checks the PDF; Noto has the Kazakh letters and ₸ for both.
install_browser() {
  command -v chromium >/dev/null && command -v pdftotext >/dev/null && return 0
  log "installing chromium, poppler-utils and fonts-noto-core from Debian (log: $LOGS/apt.log)"
  as_root apt-get update >>"$LOGS/apt.log" 2>&1
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y --no-install-recommends chromium poppler-utils fonts-noto-core >>"$LOGS/apt.log" 2>&1
}

tansu_bin() {
  [ -x "$TANSU_ROOT/bin/tansu" ] && { echo "$TANSU_ROOT/bin/tansu"; return; }
  return 1
}

install_tansu() {
  tansu_bin >/dev/null && return 0
  log "building tansu $TANSU_VERSION with the libsql and memory stores (10-15 minutes once; log: $LOGS/tansu-install.log)"
  cargo install tansu --version "$TANSU_VERSION" --features "$TANSU_FEATURES" --locked --root "$TANSU_ROOT" >>"$LOGS/tansu-install.log" 2>&1 \
    || { log "tansu build failed; see $LOGS/tansu-install.log"; return 1; }
}

# Least privilege (ClickHouse 18.16 has no GRANT: a user's `allow_databases` and its profile's
# `readonly` are all there is). Storage is split into an events database and an application
# database (`<events>_app`); the users:
#   default         loopback, with a password (EKINO_CH_DEFAULT_PASSWORD), and only its own empty
#                   `default` database: no side door into ekino's (issue 26: an anonymous
#                   request once could add a ministry key)
#   ekino_admin     everything: `ekino migrate`, `ekino registry load`, `ekino keys`; the
#                   developer's and the tests' admin, which makes databases of any name
#   ekino_ingest    the events databases only (writes tickets, rejects, aggregates)
#   ekino_api       the application databases only (writes keys' audit, claims, registry)
#   ekino_api_read  readonly=2, both: what the API reads reports with
#   ekino_bi        readonly=1, both: Grafana, Superset, Metabase
# The database pairs allowed: ekino (production's default), ekino_demo (the main command),
# ekino_lp (the least-privilege test). Passwords are made once per machine, kept in
# $HOME_DIR/clickhouse-users.env (mode 600) and stored here only as SHA-256.
CH_USERS_ENV=$HOME_DIR/clickhouse-users.env
CH_DATABASE_PAIRS="ekino ekino_demo ekino_lp"

clickhouse_passwords() {
  (
    umask 077
    touch "$CH_USERS_ENV"
    # Each missing one is made (a file of an older script lacks DEFAULT).
    for u in DEFAULT ADMIN INGEST API API_READ BI; do
      grep -q "^EKINO_CH_${u}_PASSWORD=" "$CH_USERS_ENV" \
        || echo "EKINO_CH_${u}_PASSWORD=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')" >>"$CH_USERS_ENV"
    done
  )
  # shellcheck disable=SC1090
  . "$CH_USERS_ENV"
}

sha256() { printf '%s' "$1" | sha256sum | cut -d' ' -f1; }

clickhouse_user() { # name password profile databases...
  local name=$1 pw=$2 profile=$3; shift 3
  printf '    <%s><password_sha256_hex>%s</password_sha256_hex><networks><ip>127.0.0.1</ip><ip>::1</ip></networks><profile>%s</profile><quota>default</quota>' "$name" "$(sha256 "$pw")" "$profile"
  if [ $# -gt 0 ]; then
    printf '<allow_databases>'
    for db in "$@"; do printf '<database>%s</database>' "$db"; done
    printf '</allow_databases>'
  fi
  printf '</%s>\n' "$name"
}

clickhouse_users() {
  clickhouse_passwords
  local events="" app="" both=""
  for p in $CH_DATABASE_PAIRS; do events="$events $p"; app="$app ${p}_app"; both="$both $p ${p}_app"; done
  cat <<'XML'
<?xml version="1.0"?>
<yandex>
  <profiles>
    <default><max_memory_usage>8000000000</max_memory_usage><log_queries>1</log_queries></default>
    <reader><max_memory_usage>8000000000</max_memory_usage><readonly>2</readonly></reader>
    <bi><max_memory_usage>8000000000</max_memory_usage><readonly>1</readonly></bi>
  </profiles>
  <users>
XML
  # shellcheck disable=SC2086
  {
    clickhouse_user default "$EKINO_CH_DEFAULT_PASSWORD" default default
    clickhouse_user ekino_admin "$EKINO_CH_ADMIN_PASSWORD" default
    clickhouse_user ekino_ingest "$EKINO_CH_INGEST_PASSWORD" default $events
    clickhouse_user ekino_api "$EKINO_CH_API_PASSWORD" default $app
    clickhouse_user ekino_api_read "$EKINO_CH_API_READ_PASSWORD" reader $both
    clickhouse_user ekino_bi "$EKINO_CH_BI_PASSWORD" bi $both
  }
  cat <<'XML'
  </users>
  <quotas><default><interval><duration>3600</duration><queries>0</queries><errors>0</errors><result_rows>0</result_rows><read_rows>0</read_rows><execution_time>0</execution_time></interval></default></quotas>
</yandex>
XML
}

clickhouse_config() {
  local dir=$HOME_DIR/clickhouse
  mkdir -p "$dir/data" "$dir/tmp" "$dir/user_files" "$dir/format_schemas"
  cat >"$dir/config.xml" <<XML
<?xml version="1.0"?>
<yandex>
  <logger><level>warning</level><log>$LOGS/clickhouse.log</log><errorlog>$LOGS/clickhouse.err.log</errorlog><size>100M</size><count>2</count></logger>
  <http_port>$CH_PORT</http_port>
  <tcp_port>$CH_TCP_PORT</tcp_port>
  <listen_host>127.0.0.1</listen_host>
  <max_connections>512</max_connections>
  <keep_alive_timeout>10</keep_alive_timeout>
  <max_concurrent_queries>100</max_concurrent_queries>
  <uncompressed_cache_size>268435456</uncompressed_cache_size>
  <mark_cache_size>268435456</mark_cache_size>
  <path>$dir/data/</path>
  <tmp_path>$dir/tmp/</tmp_path>
  <user_files_path>$dir/user_files/</user_files_path>
  <format_schema_path>$dir/format_schemas/</format_schema_path>
  <users_config>$dir/users.xml</users_config>
  <default_profile>default</default_profile>
  <default_database>default</default_database>
  <timezone>UTC</timezone>
  <mlock_executable>false</mlock_executable>
  <!-- Every statement as the server saw it: tests measure what ingest sends from here. -->
  <query_log><database>system</database><table>query_log</table><flush_interval_milliseconds>1000</flush_interval_milliseconds></query_log>
</yandex>
XML
  write_users
  echo "$dir/config.xml"
}

# users.xml, written on every `up`: a running server re-reads it within seconds, so a machine
# set up by an older script gets the current users (the default user's password) too.
write_users() {
  mkdir -p "$HOME_DIR/clickhouse"
  (umask 077; clickhouse_users >"$HOME_DIR/clickhouse/users.xml.new")
  mv "$HOME_DIR/clickhouse/users.xml.new" "$HOME_DIR/clickhouse/users.xml"
}

start_clickhouse() {
  if ch_ping; then
    write_users
    log "clickhouse already answering on $CH_PORT"
    return 0
  fi
  install_clickhouse
  local cfg; cfg=$(clickhouse_config)
  log "starting clickhouse on 127.0.0.1:$CH_PORT (log: $LOGS/clickhouse.log)"
  # `cd; nohup … &` (not `cd && nohup … &`): $! must be the server itself, not a subshell.
  (cd "$HOME_DIR/clickhouse"; nohup clickhouse-server --config-file="$cfg" >>"$LOGS/clickhouse.out" 2>&1 & echo $! >"$HOME_DIR/clickhouse.pid")
  wait_for clickhouse 60 ch_ping
  clickhouse_passwords
  log "clickhouse $(curl -fsS -u "default:$EKINO_CH_DEFAULT_PASSWORD" "http://127.0.0.1:$CH_PORT/?query=SELECT%20version()") ready"
}

start_tansu() { # name port store pidfile-and-log-name
  local name=$1 port=$2 store=$3 tag=$4
  if port_open "$port"; then log "broker already listening on $port"; return 0; fi
  install_tansu
  local bin; bin=$(tansu_bin)
  mkdir -p "$HOME_DIR/$tag"
  log "starting $name on 127.0.0.1:$port (log: $LOGS/$tag.log)"
  (cd "$HOME_DIR/$tag"; RUST_LOG=${TANSU_LOG:-warn} nohup "$bin" broker \
      --listener-url "tcp://127.0.0.1:$port" \
      --advertised-listener-url "tcp://127.0.0.1:$port" \
      --storage-engine "$store" >>"$LOGS/$tag.log" 2>&1 & echo $! >"$HOME_DIR/$tag.pid")
  wait_for "$tag" 30 port_open "$port"
  log "$name ready"
}

start_kafka() { start_tansu tansu "$KAFKA_PORT" "sqlite://tansu.db" tansu; }
start_kafka_memory() { start_tansu "tansu (memory store, benchmarks only)" "$KAFKA_MEMORY_PORT" "memory://tansu/" tansu-memory; }

stop_pidfile() { # name pidfile
  local pidfile=$HOME_DIR/$2.pid
  [ -f "$pidfile" ] || { log "$1 was not started by this script"; return 0; }
  local pid; pid=$(cat "$pidfile")
  if kill -0 "$pid" 2>/dev/null; then
    kill "$pid"
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
    log "$1 stopped (pid $pid)"
  fi
  rm -f "$pidfile"
}

status() {
  if ch_ping; then echo "clickhouse: up (127.0.0.1:$CH_PORT)"; else echo "clickhouse: down"; fi
  if port_open "$KAFKA_PORT"; then echo "kafka: up (127.0.0.1:$KAFKA_PORT)"; else echo "kafka: down"; fi
  if port_open "$KAFKA_MEMORY_PORT"; then echo "kafka-memory: up (127.0.0.1:$KAFKA_MEMORY_PORT)"; else echo "kafka-memory: down (benchmarks start it)"; fi
  echo "logs: $LOGS"
}

cmd=${1:-status}
what=${2:-all}
case "$cmd:$what" in
  up:all) start_clickhouse; start_kafka; install_browser ;;
  up:clickhouse) start_clickhouse ;;
  up:kafka) start_kafka ;;
  up:kafka-memory) start_kafka_memory ;;
  down:all) stop_pidfile kafka-memory tansu-memory; stop_pidfile kafka tansu; stop_pidfile clickhouse clickhouse ;;
  down:kafka-memory) stop_pidfile kafka-memory tansu-memory ;;
  down:clickhouse) stop_pidfile clickhouse clickhouse ;;
  down:kafka) stop_pidfile kafka tansu ;;
  install:*) install_clickhouse; install_tansu; install_browser ;;
  # Where the ClickHouse users' passwords are (made when missing).
  credentials:*) clickhouse_passwords; echo "$CH_USERS_ENV" ;;
  status:*) status ;;
  *) echo "usage: $0 up|down|status|install [clickhouse|kafka|kafka-memory]" >&2; exit 2 ;;
esac
