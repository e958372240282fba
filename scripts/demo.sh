#!/usr/bin/env bash
# The main job on one machine: services up, ingest running, four weeks of simulated Kazakh
# cinema history loaded as a backfill, today's sales flowing live through Kafka into
# ClickHouse as they happen, and the reports answering.
# Re-runnable: every run stops the previous run's processes, empties the demo databases
# (ekino_demo, ekino_demo_app) and uses a fresh topic named after the time.
# Least privilege as in production: the admin user migrates and loads the registry, ingest
# runs as ekino_ingest, the API as ekino_api (+ ekino_api_read); passwords from the file
# `scripts/services.sh credentials` names.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
export PATH="$HOME/.cargo/bin:$PATH"
say() { printf '\n== %s\n' "$*"; }

say "services (ClickHouse 18.16 + tansu) — installs on first run, 10-15 min once"
bash scripts/services.sh up

say "building ekino (release)"
cargo build --release --quiet
EKINO=$ROOT/target/release/ekino

RUN=${EKINO_DEMO_RUN:-demo_$(date +%Y%m%d_%H%M%S)}
for pidfile in "$ROOT/.ekino/ingest.pid" "$ROOT/.ekino/api.pid" "$ROOT/.ekino/simulate.pid"; do
  [ -f "$pidfile" ] && kill "$(cat "$pidfile")" 2>/dev/null && echo "stopped the previous run's $(basename "$pidfile" .pid)"
  rm -f "$pidfile"
done
# shellcheck disable=SC1090
. "$(bash scripts/services.sh credentials)"
for db in ekino_demo ekino_demo_app; do curl -fsS -u "ekino_admin:$EKINO_CH_ADMIN_PASSWORD" http://127.0.0.1:8123/ --data-binary "DROP DATABASE IF EXISTS $db" >/dev/null; done
export EKINO_CLICKHOUSE__DATABASE=ekino_demo EKINO_KAFKA__TOPIC=$RUN EKINO_KAFKA__GROUP_ID=$RUN \
  EKINO_KAFKA__SESSIONS_TOPIC=$RUN.sessions EKINO_KAFKA__PARTNER_TOPIC=$RUN.partners
# Each process its own ClickHouse user (see scripts/services.sh).
as_admin() { EKINO_CLICKHOUSE__USER=ekino_admin EKINO_CLICKHOUSE__PASSWORD=$EKINO_CH_ADMIN_PASSWORD "$@"; }
as_reader() { EKINO_CLICKHOUSE__USER=ekino_api_read EKINO_CLICKHOUSE__PASSWORD=$EKINO_CH_API_READ_PASSWORD "$@"; }
LOGS=$ROOT/.ekino/logs
mkdir -p "$LOGS"
SIM=$ROOT/.ekino/$RUN
TODAY=$(date -u -d '+5 hours' +%Y-%m-%d)        # today in UTC+5, Kazakhstan's one time zone
DAY=$(date -d "$TODAY - 1 day" +%Y-%m-%d)       # yesterday: the last day of the history
FIRST=$(date -d "$TODAY - 28 days" +%Y-%m-%d)   # four weeks of history
as_admin "$EKINO" migrate

say "ingest running (log: $LOGS/ingest-$RUN.log, metrics: http://127.0.0.1:9187/metrics)"
EKINO_CLICKHOUSE__USER=ekino_ingest EKINO_CLICKHOUSE__PASSWORD=$EKINO_CH_INGEST_PASSWORD "$EKINO" ingest >"$LOGS/ingest-$RUN.log" 2>&1 &
INGEST=$!
echo "$INGEST" >"$ROOT/.ekino/ingest.pid"

say "simulating $FIRST..$DAY as history, then today and tomorrow live: 113 cinemas, 486 halls, every session declared, 1 % invalid and 1 % re-sent events, one dishonest cinema's sessions tomorrow"
# Declarations go out first; the history is written to a file for the backfill (ledger.json
# follows it); then each of today's and tomorrow's sales is sent when its time comes.
"$EKINO" simulate --start "$FIRST" --days 30 --seed 2026 --invalid-rate 0.01 --duplicate-rate 0.01 \
  --declare --plant-signals --live --ndjson "$SIM/history.ndjson" --out "$SIM" >"$LOGS/simulate-$RUN.log" 2>&1 &
SIMULATE=$!
echo "$SIMULATE" >"$ROOT/.ekino/simulate.pid"
for _ in $(seq 1 1200); do
  [ -f "$SIM/ledger.json" ] && break
  kill -0 "$SIMULATE" 2>/dev/null || { echo "the simulator stopped: see $LOGS/simulate-$RUN.log"; exit 1; }
  sleep 0.5
done
[ -f "$SIM/ledger.json" ] || { echo "no history after 10 minutes: see $LOGS/simulate-$RUN.log"; exit 1; }
as_admin "$EKINO" registry load --dir "$SIM"

say "backfilling the history ($FIRST..$DAY) — judged by the live rules, stored as final days"
as_admin "$EKINO" backfill "$SIM/history.ndjson" >"$SIM.backfill.json" 2>"$LOGS/backfill-$RUN.log"
python3 - "$SIM/ledger.json" "$SIM.backfill.json" <<'PY'
import json, sys
l, b = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
sent = (l["valid_events"], l["duplicates"], l["invalid"])
kept = (b["accepted"], b["duplicates"], sum(b["rejected"].values()))
print(f"ledger (written):  valid duplicates invalid = {sent}")
print(f"backfill (stored): valid duplicates invalid = {kept}")
sys.exit(0 if sent == kept else 1)
PY
rm -f "$SIM/history.ndjson"   # a gigabyte; the same seed writes it again

say "box office of $DAY by film (from ClickHouse)"
as_reader "$EKINO" report box-office --from "$DAY" --to "$DAY" --json | python3 -c "
import json, sys, csv
films = {r['film_id']: r['title_en'] for r in csv.DictReader(open('$SIM/films.csv'))}
rows = json.load(sys.stdin)['rows']
by = {}
for r in rows:
    f = by.setdefault(r['film_id'], [0, 0, set()])
    f[0] += r['admissions']; f[1] += float(r['gross']); f[2].add(r['cinema_bin'])
print(f\"{'rank':<5}{'film':<28}{'admissions':>11}{'gross KZT':>18}{'cinemas':>9}\")
for i, (fid, (a, g, c)) in enumerate(sorted(by.items(), key=lambda x: -x[1][1])[:10], 1):
    print(f'{i:<5}{films.get(fid, fid)[:27]:<28}{a:>11,}{g:>18,.2f}{len(c):>9}')
"
say "rejected events by reason"
as_reader "$EKINO" report rejected
API_ADDR=${EKINO_API__LISTEN_ADDR:-127.0.0.1:8080}
# Room for api.max_connections (1,024) open connections besides its own files.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
say "API on http://$API_ADDR (log: $LOGS/api-$RUN.log)"
EKINO_API__LISTEN_ADDR=$API_ADDR EKINO_CLICKHOUSE__USER=ekino_api EKINO_CLICKHOUSE__PASSWORD=$EKINO_CH_API_PASSWORD \
  EKINO_CLICKHOUSE__READ_USER=ekino_api_read EKINO_CLICKHOUSE__READ_PASSWORD=$EKINO_CH_API_READ_PASSWORD \
  "$EKINO" api >"$LOGS/api-$RUN.log" 2>&1 &
API=$!
echo "$API" >"$ROOT/.ekino/api.pid"
for _ in $(seq 1 100); do curl -fsS "http://$API_ADDR/healthz" >/dev/null 2>&1 && break; sleep 0.1; done
MINISTRY=$(as_admin "$EKINO" keys create --role ministry --label "demo: ministry" 2>/dev/null)
echo "GET /v1/box-office/daily?date=$DAY (public), top 3:"
curl -fsS "http://$API_ADDR/v1/box-office/daily?date=$DAY" | python3 -c "
import json, sys
c = json.load(sys.stdin)
print(f\"  total gross {c['total_gross']} KZT, admissions {c['total_admissions']:,}\")
for f in c['films'][:3]:
    print(f\"  #{f['rank']} {f['title']['en'] if f['title'] else f['film_id']}: {f['gross']} KZT, share {f['share']}, {f['screens']} screens, {f['screenings']} shows\")
"
TOMORROW=$(date -d "$TODAY + 1 day" +%Y-%m-%d)
# wait_signals QUERY N TRIES COUNT: polls GET /v1/signals?QUERY (every 0.2 s, at most TRIES
# times) until COUNT, a Python expression over the reply `r`, reaches N.
wait_signals() {
  local n
  for _ in $(seq 1 "$3"); do
    n=$(curl -fsS -H "Authorization: Bearer $MINISTRY" "http://$API_ADDR/v1/signals?$1" \
      | python3 -c "import json,sys;r=json.load(sys.stdin);print($4)" 2>/dev/null || echo 0)
    [ "$n" -ge "$2" ] && return 0
    sleep 0.2
  done
}
echo "GET /v1/signals (ministry key): where a cinema's figures cannot be true (tomorrow: the planted cinema's sessions, and the three dishonest cinemas' presales against their region; the history's honest cinemas have none)"
wait_signals "from=$TOMORROW&to=$TOMORROW" 7 100 "sum(1 for s in r['signals'] if s['screening_id'])"
# An inspector at the planted cinema's over-full evening show counts 5 people more than its
# tickets say (head_count_gap): the ministry's phone page does the same.
curl -fsS -H "Authorization: Bearer $MINISTRY" "http://$API_ADDR/v1/signals?from=$TOMORROW&to=$TOMORROW&kind=over_capacity" | python3 -c "
import json, sys
s = json.load(sys.stdin)['signals'][0]
print(json.dumps({'cinema_bin': s['cinema_bin'], 'day': s['day'], 'screening_id': s['screening_id'],
                  'count': s['evidence']['admissions'] + 5, 'note': 'demo: counted at the door'}))
" | curl -fsS -H "Authorization: Bearer $MINISTRY" -H 'Content-Type: application/json' --data @- "http://$API_ADDR/v1/head-counts" >/dev/null
wait_signals "from=$TOMORROW&to=$TOMORROW&kind=head_count_gap" 1 100 "r['total']"
curl -fsS -H "Authorization: Bearer $MINISTRY" "http://$API_ADDR/v1/signals?from=$TOMORROW&to=$TOMORROW" | python3 -c "
import json, sys
for s in json.load(sys.stdin)['signals']:
    print(f\"  {s['day']} {s['cinema_bin']} {s['kind']:<24} {s['screening_id']:<16} at stake {s['gross_at_stake']:>12} KZT  {json.dumps(s['evidence'])}\")
"
echo "GET /v1/signals (ministry key), the history: outliers against the region (three cinemas of Almaty report dishonestly every day)"
wait_signals "from=$DAY&to=$DAY" 3 300 "r['total']"
curl -fsS -H "Authorization: Bearer $MINISTRY" "http://$API_ADDR/v1/signals?from=$FIRST&to=$DAY&page_size=1000" | python3 -c "
import json, sys, collections
l = json.load(sys.stdin)
days = collections.Counter((s['cinema_bin'], s['kind']) for s in l['signals'])
for (bin, kind), n in sorted(days.items()):
    print(f\"  {bin} {kind:<24} on {n} days\")
last = [s for s in l['signals'] if s['day'] == '$DAY']
for s in last:
    e = s['evidence']
    print(f\"  $DAY {s['cinema_bin']} {s['kind']:<24} at stake {s['gross_at_stake']:>12} KZT  {json.dumps(e)}\")
"
echo "GET /v1/vendors (ministry key): how completely each ticketing vendor's cinemas reported the history (target 98 %)"
curl -fsS -H "Authorization: Bearer $MINISTRY" "http://$API_ADDR/v1/vendors?from=$FIRST&to=$DAY" | python3 -c "
import json, sys
for v in json.load(sys.stdin)['vendors']:
    s = v['score']
    print(f\"  #{v['rank']} {v['vendor'] or '(not known)':<14} {v['cinemas']:>3} cinemas  {s['sessions_with_tickets']:>6} of {s['sessions']:>6} sessions with tickets = {s['completeness']}  days below target {s['days_below_target']} of {s['days']}\")
"
echo "GET /v1/roi/summary (ministry key): the payback KPI over state-funded films"
curl -fsS -H "Authorization: Bearer $MINISTRY" "http://$API_ADDR/v1/roi/summary" | python3 -m json.tool
# A key per role for the signed-in screens: the simulation's first cinema, the producer of its
# first film, a foreign applicant registered for that film (the kz programme needs one), the
# film commission; the ministry's is above.
read -r CINEMA_BIN CINEMA_NAME < <(python3 -c "import csv;r=next(csv.DictReader(open('$SIM/cinemas.csv')));print(r['bin'],r['name'])")
read -r FILM_ID PRODUCER_BIN < <(python3 -c "import csv;r=next(csv.DictReader(open('$SIM/films.csv')));print(r['film_id'],r['producer_bin'])")
CINEMA_KEY=$(as_admin "$EKINO" keys create --role cinema --bin "$CINEMA_BIN" --label "demo: $CINEMA_NAME" 2>/dev/null)
PRODUCER_KEY=$(as_admin "$EKINO" keys create --role producer --bin "$PRODUCER_BIN" --label "demo: producer of $FILM_ID" 2>/dev/null)
curl -fsS -X PUT -H "Authorization: Bearer $MINISTRY" -H 'Content-Type: application/json' "http://$API_ADDR/v1/applicants/FA-GB-1" \
  --data "{\"name\":\"Silk Road Pictures Ltd\",\"country\":\"GB\",\"registration_number\":\"09876543\",\"films\":[\"$FILM_ID\"]}" >/dev/null
FOREIGN_KEY=$(as_admin "$EKINO" keys create --role producer --applicant FA-GB-1 --label "demo: Silk Road Pictures" 2>/dev/null)
COMMISSION_KEY=$(as_admin "$EKINO" keys create --role commission --label "demo: film commission" 2>/dev/null)
say "web pages (kk/ru/en): http://$API_ADDR/"
echo "  public: the day's chart http://$API_ADDR/kk/box-office?date=$DAY, the estimator"
echo "  http://$API_ADDR/en/rebates/estimate, a briefing http://$API_ADDR/kk/rebates/brief"
echo "  sign in at http://$API_ADDR/en/sign-in (or /kk/sign-in, /ru/sign-in) with one of these keys:"
echo "    cinema ($CINEMA_NAME, BIN $CINEMA_BIN):  $CINEMA_KEY"
echo "    domestic producer (BIN $PRODUCER_BIN):   $PRODUCER_KEY"
echo "    foreign applicant (FA-GB-1):              $FOREIGN_KEY"
echo "    ministry:                                 $MINISTRY"
echo "    film commission:                          $COMMISSION_KEY"
echo "  today's sales keep arriving as they happen: http://$API_ADDR/en/box-office?date=$TODAY (provisional until 07:00 tomorrow)"
say "done: ingest (pid $INGEST), the API (pid $API) and today's live sales (pid $SIMULATE) keep running; stop them with: kill $INGEST $API $SIMULATE"
