//! The DDL and the report SQL run on a current ClickHouse too (chDB, ClickHouse 26.x
//! in-process, from PyPI `chdb-core`) and give the same answers as ClickHouse 18.16 on the
//! same rows, duplicates included (so `FINAL` deduplicates the same way on both). On 18.16
//! the daily aggregates are the ones ingest kept batch by batch; on the current engine they
//! are rebuilt from the raw fixture in one go, so equal reports also show that per-batch
//! recomputes add up to the same figures as one rebuild.

mod common;

use std::collections::BTreeMap;
use std::process::Command;
use std::time::Duration;

use common::*;
use serde_json::Value;

/// 18.16 quotes 64-bit integers in JSON, current ClickHouse does not: compare as numbers.
fn normalized(v: &Value) -> Value {
    match v {
        Value::Object(m) => {
            Value::Object(m.iter().map(|(k, v)| (k.clone(), normalized(v))).collect())
        }
        Value::String(s) => s
            .parse::<i64>()
            .map(Value::from)
            .unwrap_or_else(|_| v.clone()),
        other => other.clone(),
    }
}

fn sorted(rows: &[Value]) -> Vec<String> {
    let mut v: Vec<String> = rows.iter().map(|r| normalized(r).to_string()).collect();
    v.sort();
    v
}

#[test]
fn ddl_and_reports_agree_on_clickhouse_18_and_current() {
    let env = TestEnv::new("compat");
    let ledger = env.simulate(&[
        "--start",
        "2026-11-14",
        "--seed",
        "21",
        "--max-events",
        "3000",
        "--invalid-rate",
        "0.02",
        "--duplicate-rate",
        "0.05",
    ]);
    env.run(&[
        "registry",
        "load",
        "--dir",
        env.dir.join("sim").to_str().unwrap(),
    ]);
    let mut ingest = Guard(env.spawn_ingest(&at_test_now(&[])));
    assert!(wait_exact(&env, &ledger, Duration::from_secs(120)));
    signal(&ingest.0, "TERM");
    wait_exit(&mut ingest.0, Duration::from_secs(10)).expect("ingest stops");

    // Declared sessions for the chart's seats: one cinema's film on the first day, a session
    // declared twice (the later cancels it) and one kept, so "in force" is read alike.
    let (first_day, _) = ledger_days(&ledger);
    let seen = env.sql(&format!(
        "SELECT cinema_bin, film_id FROM ticket_events WHERE day = toDate('{first_day}') ORDER BY cinema_bin, film_id LIMIT 1 FORMAT TSV"
    ));
    let (bin, film) = seen
        .trim()
        .split_once('\t')
        .expect("a ticket on the first day");
    let at = format!("{first_day} 10:00:00");
    env.sql(&format!(
        "INSERT INTO declared_sessions VALUES \
         ('{bin}', '{first_day}', 'S1', '1', '{film}', '{first_day} 14:00:00', '{first_day} 16:00:00', 120, 'scheduled', '{at}', '{at}', 't', 0, 1, '{at}', 1), \
         ('{bin}', '{first_day}', 'S1', '1', '{film}', '{first_day} 14:00:00', '{first_day} 16:00:00', 120, 'cancelled', '{first_day} 11:00:00', '{first_day} 11:00:00', 't', 0, 2, '{at}', 2), \
         ('{bin}', '{first_day}', 'S2', '2', '{film}', '{first_day} 18:00:00', '{first_day} 20:00:00', 80, 'scheduled', '{at}', '{at}', 't', 0, 3, '{at}', 3)"
    ));
    let fixture = env.dir.join("fixture");
    std::fs::create_dir_all(&fixture).unwrap();
    for table in [
        "declared_sessions",
        "ticket_events",
        "rejected_events",
        "cinemas",
        "films",
        "film_funding",
        "pending_refunds",
        "event_voids",
    ] {
        let db = match schemas::ddl::store_of(table) {
            schemas::ddl::Store::App => env.app_db(),
            schemas::ddl::Store::Events => env.name.clone(),
        };
        let rows = env.sql(&format!("SELECT * FROM {db}.{table} FORMAT JSONEachRow"));
        std::fs::write(fixture.join(format!("{table}.jsonl")), rows).unwrap();
    }
    let raw: u64 = env
        .sql("SELECT count() FROM ticket_events")
        .trim()
        .parse()
        .unwrap();
    let distinct: u64 = env
        .sql("SELECT count() FROM ticket_events FINAL")
        .trim()
        .parse()
        .unwrap();
    assert!(raw >= distinct, "fixture rows {raw}, distinct {distinct}");

    let (from, to) = ledger_days(&ledger);
    let mut queries = BTreeMap::new();
    queries.insert(
        "daily",
        schemas::ddl::bind_literals(&schemas::ddl::box_office_daily(false, false), &[&from, &to]),
    );
    queries.insert(
        "totals",
        schemas::ddl::bind_literals(
            &schemas::ddl::box_office_totals(false, false),
            &[&from, &to],
        ),
    );
    queries.insert("rejected", schemas::ddl::REJECTED_BY_REASON.to_owned());
    let mut chart_binds = [from.as_str(), to.as_str()].repeat(4);
    chart_binds.extend([from.as_str(), from.as_str(), to.as_str()]);
    queries.insert(
        "chart",
        schemas::ddl::bind_literals(api_core::reports::chart::NATIONAL_SQL, &chart_binds),
    );
    // The chart's seats: declared sessions in force (none in this data: the statement must
    // still run alike) and admissions per cinema, film and day.
    queries.insert(
        "chart_declared",
        schemas::ddl::bind_literals(
            api_core::reports::occupancy::DECLARED_SQL,
            &[&from, &to, &from, &to],
        ),
    );
    queries.insert(
        "chart_admissions",
        schemas::ddl::bind_literals(api_core::reports::occupancy::ADMISSIONS_SQL, &[&from, &to]),
    );
    // Vendors' completeness: the declared sessions in force that ended by "now" (the far
    // future here) with and without tickets, latency buckets of every arrival, refusals.
    let day_before =
        (from.parse::<chrono::NaiveDate>().unwrap() - chrono::Days::new(1)).to_string();
    let day_after = (to.parse::<chrono::NaiveDate>().unwrap() + chrono::Days::new(1)).to_string();
    queries.insert(
        "vendor_sessions",
        schemas::ddl::bind_literals(
            api_core::reports::completeness::SESSIONS_SQL,
            &[
                &day_before,
                &day_after,
                &from,
                &to,
                "4294967295",
                &day_before,
                &day_after,
            ],
        ),
    );
    queries.insert(
        "vendor_latency",
        schemas::ddl::bind_literals(
            api_core::reports::completeness::LATENCY_SQL,
            &["0", "4294967295"],
        ),
    );
    queries.insert(
        "vendor_rejects",
        schemas::ddl::bind_literals(
            api_core::reports::completeness::REJECTS_SQL,
            &["ekino.backfill", "0", "4294967295"],
        ),
    );
    // The regional outliers' daily sums per cinema (their seats come from DECLARED_SQL).
    queries.insert(
        "regional_daily",
        schemas::ddl::bind_literals(api_core::signals::watch_regional::DAILY_SQL, &[&from, &to]),
    );
    queries.insert(
        "chart_reporting",
        schemas::ddl::bind_literals(api_core::reports::chart::REPORTING_SQL, &[&from, &to]),
    );
    let bins: Vec<String> = env
        .sql(&format!(
            "SELECT bin FROM {}.cinemas ORDER BY bin LIMIT 12",
            env.app_db()
        ))
        .lines()
        .map(|b| format!("'{b}'"))
        .collect();
    assert_eq!(bins.len(), 12, "the simulated registry has cinemas");
    let region_sql = api_core::reports::chart::REGION_SQL.replace("{cinemas}", &bins.join(","));
    queries.insert(
        "chart_region",
        schemas::ddl::bind_literals(&region_sql, &chart_binds),
    );
    // The registry is in the application database on 18.16; chDB holds every table in one.
    let mut on_18 = queries.clone();
    on_18.insert(
        "reconciliation",
        schemas::ddl::reconciliation(&env.app_db()),
    );
    queries.insert(
        "reconciliation",
        schemas::ddl::reconciliation("ekino_compat"),
    );
    let qfile = env.dir.join("queries.json");
    std::fs::write(&qfile, serde_json::to_vec(&queries).unwrap()).unwrap();
    let (first, last) = (
        from.parse::<chrono::NaiveDate>().unwrap(),
        to.parse::<chrono::NaiveDate>().unwrap(),
    );
    let days: std::collections::BTreeSet<_> =
        first.iter_days().take_while(|d| *d <= last).collect();
    // The aggregates rebuilt by day, then recomputed again through the staged scope (the
    // statements ingest sends batch by batch), which wins with its higher version.
    let mut prepare: Vec<String> = vec![
        schemas::rollup::cinema_days(&days, 1),
        schemas::rollup::film_days(&days, 2),
    ];
    prepare.push(schemas::rollup::CREATE_SCOPE.to_owned());
    prepare.push(format!(
        "INSERT INTO {} SELECT DISTINCT day, film_id, cinema_bin FROM ticket_events",
        schemas::rollup::SCOPE_TABLE
    ));
    prepare.push(schemas::rollup::cinema_day_from_scope(3));
    prepare.push(schemas::rollup::film_day_from_scope(4));
    let pfile = env.dir.join("prepare.json");
    std::fs::write(&pfile, serde_json::to_vec(&prepare).unwrap()).unwrap();
    // The whole schema as ingest's migration leaves it: tables, then added columns.
    let mut ddl: Vec<String> = schemas::ddl::statements();
    ddl.extend(
        schemas::ddl::ADDED_COLUMNS
            .iter()
            .map(|(t, c, d)| schemas::ddl::add_column_sql(t, c, d)),
    );
    let dfile = env.dir.join("ddl.sql");
    std::fs::write(&dfile, ddl.join(";\n") + ";\n").unwrap();

    let root = env!("CARGO_MANIFEST_DIR");
    let out = Command::new("python3")
        .args([
            format!("{root}/tests/compat/chdb_check.py").as_str(),
            dfile.to_str().unwrap(),
        ])
        .arg(&fixture)
        .arg(&qfile)
        .arg(&pfile)
        .output()
        .expect("python3");
    assert!(
        out.status.success(),
        "chdb check failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let current: Value = serde_json::from_slice(&out.stdout).unwrap();
    let version = current["version"].as_str().unwrap();
    let major: u32 = version.split('.').next().unwrap().parse().unwrap();
    assert!(major >= 25, "chdb runs a current ClickHouse, got {version}");

    for (name, sql) in &on_18 {
        let old: Vec<Value> = env
            .sql(&format!("{sql} FORMAT JSONEachRow"))
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        let new = current["results"][name].as_array().unwrap();
        assert!(!old.is_empty(), "{name} returned nothing on 18.16");
        assert_eq!(
            sorted(&old),
            sorted(new),
            "{name} differs between 18.16 and {version}"
        );
    }
    // And both equal the ledger.
    let t = &current["results"]["totals"][0];
    assert_eq!(
        normalized(&t["admissions"]).as_i64(),
        ledger["admissions"].as_i64()
    );
    assert_eq!(
        normalized(&t["gross_tiyn"]).as_i64(),
        ledger["gross_tiyn"].as_i64()
    );
}
