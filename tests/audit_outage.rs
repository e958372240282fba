//! The audit log through a ClickHouse outage: no record of a keyed request is lost (they wait
//! in the on-disk spool), and a flood of requests without a valid key fills neither the audit
//! nor the spool (they are tallied per address and minute). A test binary of its own, because
//! it stops the shared ClickHouse; cargo runs test binaries one after another.

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

fn get(base: &str, path: &str, key: &str) -> u16 {
    let out = Command::new("curl")
        .args([
            "-s",
            "-o",
            "/dev/null",
            "-w",
            "%{http_code}",
            "-H",
            &format!("Authorization: Bearer {key}"),
            &format!("{base}{path}"),
        ])
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout)
        .trim()
        .parse()
        .unwrap_or(0)
}

fn spool_bytes(dir: &std::path::Path) -> u64 {
    std::fs::read_dir(dir)
        .map(|d| {
            d.filter_map(Result::ok)
                .filter_map(|e| e.metadata().ok())
                .map(|m| m.len())
                .sum()
        })
        .unwrap_or(0)
}

#[test]
fn no_audit_record_is_lost_while_clickhouse_is_down_and_a_flood_fills_nothing() {
    let env = TestEnv::new("auditspool");
    env.run(&["migrate"]);
    let key = env
        .run(&[
            "keys",
            "create",
            "--role",
            "ministry",
            "--label",
            "outage test",
        ])
        .trim()
        .to_owned();
    let key_id = key.split('_').nth(1).unwrap().to_owned();
    let spool = env.dir.join("spool");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut api = env.cmd();
    api.arg("api")
        .env("EKINO_API__LISTEN_ADDR", format!("127.0.0.1:{port}"))
        .env("EKINO_API__AUDIT_SPOOL_DIR", &spool)
        .env("EKINO_API__RATE_LIMIT_PER_MINUTE", "100000")
        .stdout(std::process::Stdio::null())
        .stderr(std::fs::File::create(env.dir.join("api.log")).unwrap());
    let _api = Guard(api.spawn().unwrap());
    let base = format!("http://127.0.0.1:{port}");
    // Every answer (any status) is a request the API audited; no answer (0) is none.
    let mut sent = 0u64;
    assert!(
        wait_until(Duration::from_secs(60), || {
            let status = get(&base, "/v1/roi/summary", &key);
            sent += u64::from(status != 0);
            status == 200
        }),
        "api did not start"
    );

    services("down", "clickhouse");
    let down = Instant::now();
    let mut during = 0u64;
    let mut flood = 0u64;
    while down.elapsed() < Duration::from_secs(10) {
        // The store is away: the reply is 503, and the request is still audited.
        assert_eq!(get(&base, "/v1/roi/summary", &key), 503);
        during += 1;
        for _ in 0..50 {
            assert_eq!(
                get(&base, "/v1/roi/summary", "ek_000000000000_not-a-key"),
                401
            );
            flood += 1;
        }
    }
    sent += during;
    // The keyed records of the outage are on disk, and the flood added almost nothing.
    assert!(
        wait_until(Duration::from_secs(10), || spool_bytes(&spool) > 0),
        "nothing was spooled while clickhouse was down"
    );
    let spooled = spool_bytes(&spool);
    assert!(
        spooled < 2_000 * during + 10_000,
        "{flood} refused requests grew the spool to {spooled} bytes"
    );
    services("up", "clickhouse");

    let count = |sql: &str| env.sql(sql).trim().parse::<u64>().unwrap_or(0);
    let audit = format!("{}.api_audit", env.app_db());
    let keyed = format!("SELECT count() FROM {audit} WHERE key_id = '{key_id}'");
    assert!(
        wait_until(Duration::from_secs(60), || count(&keyed) >= sent),
        "{} of {sent} audit records of the key are stored",
        count(&keyed)
    );
    assert_eq!(count(&keyed), sent, "no record written twice either");
    assert_eq!(count(&format!("{keyed} AND status = 503")), during);
    assert!(
        wait_until(Duration::from_secs(20), || spool_bytes(&spool) == 0),
        "the spool drains once clickhouse is back"
    );
    // The flood: one tallied record per address, status and minute (the minute's tally is
    // written once the minute is over), never one per request.
    let anonymous =
        &format!("SELECT count(), sum(rows) FROM {audit} WHERE key_id = '' AND status = 401");
    assert!(
        wait_until(Duration::from_secs(90), || env
            .sql(anonymous)
            .split_whitespace()
            .nth(1)
            .and_then(|n| n.parse::<u64>().ok())
            == Some(flood)),
        "the flood's tally never reached the audit: {}",
        env.sql(anonymous)
    );
    let records: u64 = env
        .sql(anonymous)
        .split_whitespace()
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert!(
        records <= 2,
        "{records} records for {flood} refused requests in at most two minutes"
    );
}
