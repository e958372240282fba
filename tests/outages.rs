//! ClickHouse and the broker go away during ingest and come back: no loss, no double count.
//! A test binary of its own, because it stops the shared services; cargo runs test binaries
//! one after another, so no other test sees the outage.

mod common;

use std::process::Command;
use std::time::{Duration, Instant};

use common::*;

fn services(action: &str, which: &str) {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/services.sh");
    let ok = Command::new("bash")
        .args([script, action, which])
        .status()
        .unwrap()
        .success();
    assert!(ok, "services {action} {which} failed");
}

fn rows(env: &TestEnv) -> i64 {
    std::panic::catch_unwind(|| {
        env.sql("SELECT count() FROM ticket_events")
            .trim()
            .parse::<i64>()
            .unwrap_or(0)
    })
    .unwrap_or(-1)
}

/// How many broker errors ingest's consumer has logged (read from its log files, as an
/// operator would: librdkafka reports a broker it cannot reach to the consumer).
fn broker_errors(env: &TestEnv) -> usize {
    std::fs::read_dir(&env.dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().starts_with("ingest-"))
        .map(|e| {
            std::fs::read_to_string(e.path())
                .unwrap_or_default()
                .matches("kafka consumer error")
                .count()
        })
        .sum()
}

#[test]
fn clickhouse_then_broker_outage_loses_nothing_and_counts_nothing_twice() {
    let env = TestEnv::new("outage");
    env.run(&["migrate"]);
    let fast = [
        ("EKINO_INGEST__MAX_ROWS", "5000"),
        ("EKINO_INGEST__PERIOD_MS", "200"),
        ("EKINO_INGEST__RETRY_MAX_MS", "1000"),
    ];
    let mut ingest = Guard(env.spawn_ingest(&at_test_now(&fast)));
    // With the hard cases, on ingest's clock (whether a void is in time depends on it).
    let mut sim = Guard(env.spawn_simulate_with(
        &[
            "--start",
            "2026-11-14",
            "--seed",
            "13",
            "--max-events",
            "60000",
            "--rate",
            "3000",
            "--duplicate-rate",
            "0.01",
            "--invalid-rate",
            "0.005",
            "--hard-rate",
            "0.01",
        ],
        &at_test_now(&[]),
    ));
    assert!(
        wait_until(Duration::from_secs(60), || rows(&env) > 3_000),
        "no rows before the outage"
    );

    // ClickHouse down for ~10 s while events keep arriving.
    services("down", "clickhouse");
    let down = Instant::now();
    while down.elapsed() < Duration::from_secs(10) {
        assert!(
            ingest.0.try_wait().unwrap().is_none(),
            "ingest exited while clickhouse was down"
        );
        std::thread::sleep(Duration::from_millis(250));
    }
    services("up", "clickhouse");
    let retries = env.metric("ekino_ingest_retries_total").unwrap_or(0.0);
    assert!(
        retries > 0.0,
        "the outage never reached ingest: no insert was retried"
    );
    let before_broker = rows(&env);
    assert!(
        wait_until(Duration::from_secs(60), || rows(&env)
            > before_broker + 3_000),
        "no progress after clickhouse returned"
    );

    // The broker down for ~10 s.
    let errors_before = broker_errors(&env);
    services("down", "kafka");
    let down = Instant::now();
    while down.elapsed() < Duration::from_secs(10) {
        assert!(
            ingest.0.try_wait().unwrap().is_none(),
            "ingest exited while the broker was down"
        );
        std::thread::sleep(Duration::from_millis(250));
    }
    services("up", "kafka");
    assert!(
        broker_errors(&env) > errors_before,
        "the broker outage never reached ingest: its consumer logged no broker error"
    );

    assert!(
        wait_exit(&mut sim.0, Duration::from_secs(180)).is_some(),
        "simulator did not finish"
    );
    assert!(
        sim.0.try_wait().unwrap().unwrap().success(),
        "simulator failed to deliver"
    );
    let ledger = env.ledger();
    assert!(
        wait_exact(&env, &ledger, Duration::from_secs(180)),
        "totals after outages differ from the ledger"
    );
    let distinct: u64 = env
        .sql("SELECT count() FROM ticket_events FINAL")
        .trim()
        .parse()
        .unwrap();
    assert_eq!(distinct, ledger["valid_events"].as_u64().unwrap());
    signal(&ingest.0, "TERM");
    assert!(wait_exit(&mut ingest.0, Duration::from_secs(10)).is_some());
}
