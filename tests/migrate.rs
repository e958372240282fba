//! Schema migration in place and the operator's backfill, on the real services.

mod common;

use std::time::Duration;

use common::*;
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::config::ClientConfig;
use rdkafka::producer::{BaseProducer, BaseRecord, Producer};
use serde_json::{json, Value};

/// The schema as the release before integrity checks created it (kept verbatim).
const PREVIOUS_SCHEMA: &str = include_str!("fixtures/schema_before_integrity.sql");

fn event(bin: &str, id: &str, kind: &str, film: &str, price: &str, occurred: &str) -> Value {
    json!({"schema": "ekino.ticket/1", "event_id": id, "type": kind, "cinema_bin": bin, "hall": "2", "screening_id": "S-OLD",
           "film_id": film, "show_start": "2026-11-10T19:00:00+05:00", "occurred_at": occurred, "price": price,
           "currency": "KZT", "vat_rate": "0", "seat": {"row": "3", "number": "7"}, "channel": "kiosk", "ticket_type": "student"})
}

#[test]
fn a_database_of_the_previous_schema_is_migrated_and_its_events_keep_their_meaning() {
    let env = TestEnv::bare("migrate");
    clickhouse_http("default", &format!("CREATE DATABASE {}", env.name));
    for stmt in schemas::ddl::split_statements(PREVIOUS_SCHEMA) {
        env.sql(&stmt);
    }
    // One topic partition, so the old row's partition is the one the new messages use.
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let admin: AdminClient<DefaultClientContext> = ClientConfig::new()
            .set("bootstrap.servers", BROKERS)
            .create()
            .unwrap();
        let r = admin
            .create_topics(
                [&NewTopic::new(&env.name, 1, TopicReplication::Fixed(1))],
                &AdminOptions::new(),
            )
            .await
            .unwrap();
        assert!(r[0].is_ok(), "{r:?}");
    });
    let bin = schemas::Bin::from_prefix("33300000001")
        .or_else(|| schemas::Bin::from_prefix("33300000002"))
        .unwrap()
        .as_str()
        .to_owned();
    let sale_id = "01d00000-0000-4000-8000-000000000001";
    // A sale stored by the old ingest: no arrival, fingerprint or void columns. 500.00 KZT.
    env.sql(&format!(
        "INSERT INTO ticket_events VALUES ('{sale_id}', 'sale', '{bin}', '2', 'S-OLD', 'OLDFILM', toDate('2026-11-10'), \
         toDateTime('2026-11-10 14:00:00'), toDateTime('2026-11-10 12:00:00'), 50000, 0, 1, 50000, 50000, '3', '7', 'kiosk', 'student', '', \
         '{}', 0, 1000, toDateTime('2026-11-10 12:00:05'))",
        env.name
    ));
    // A registered film of the single-database layout: it moves to the application database.
    env.sql("INSERT INTO films VALUES ('OLDFILM', 'Ескі', 'Старый', 'Old', toDate('2026-11-01'), '', '', 1, 100, toDateTime('2026-11-01 00:00:00'))");
    env.run(&["migrate"]);
    let app = env.app_db();
    assert_eq!(
        env.sql(&format!(
            "SELECT film_id, title_en FROM {app}.films FORMAT TSV"
        )),
        "OLDFILM\tOld\n",
        "the registry moved with its rows"
    );
    let left = env.sql(&format!("SELECT name FROM system.tables WHERE database = '{}' AND name IN ('films', 'cinemas', 'api_keys', 'api_audit', 'claim_events') FORMAT TSV", env.name));
    assert_eq!(left, "", "application tables left in the events database");
    let key_columns = env.sql(&format!("SELECT name FROM system.columns WHERE database = '{app}' AND table = 'api_keys' AND name IN ('label', 'expires_at') ORDER BY name FORMAT TSV"));
    assert_eq!(key_columns, "expires_at\nlabel\n");
    let columns = env.sql(&format!("SELECT name FROM system.columns WHERE database = '{}' AND table = 'ticket_events' AND name IN ('arrived_at', 'voided_by', 'fingerprint', 'backfill') ORDER BY name FORMAT TSV", env.name));
    assert_eq!(columns, "arrived_at\nbackfill\nfingerprint\nvoided_by\n");
    assert_eq!(
        env.sql("SELECT toString(arrived_at), voided_by FROM ticket_events FORMAT TSV"),
        "2026-11-10 12:00:05\t\n",
        "old rows read the defaults"
    );
    env.run(&["migrate"]); // idempotent
    env.run(&["rollup", "--from", "2026-11-10", "--to", "2026-11-10"]);

    // The old sale re-sent (another occurred_at), changed, and refunded.
    let resend = event(
        &bin,
        sale_id,
        "sale",
        "OLDFILM",
        "500",
        "2026-11-10T17:01:00+05:00",
    );
    let changed = event(
        &bin,
        sale_id,
        "sale",
        "OTHERFILM",
        "500",
        "2026-11-10T17:00:00+05:00",
    );
    let mut refund = event(
        &bin,
        "01d00000-0000-4000-8000-000000000002",
        "refund",
        "OLDFILM",
        "500",
        "2026-11-10T18:00:00+05:00",
    );
    refund["refund_of"] = json!(sale_id);
    let p: BaseProducer = ClientConfig::new()
        .set("bootstrap.servers", BROKERS)
        .create()
        .unwrap();
    for v in [&resend, &changed, &refund] {
        p.send(
            BaseRecord::to(&env.name)
                .key(bin.as_str())
                .payload(&v.to_string()),
        )
        .map_err(|(e, _)| e)
        .unwrap();
    }
    p.flush(Duration::from_secs(30)).unwrap();
    let _ingest = Guard(env.spawn_ingest(&at_test_now(&[])));
    let day = || totals(&env.box_office("2026-11-10", "2026-11-10"));
    let settled = wait_until(Duration::from_secs(60), || {
        day() == (0, 0, 0) && env.rejected()["total"] == 1
    });
    assert!(settled, "totals {:?}, rejected {}", day(), env.rejected());
    assert_eq!(env.rejected()["by_reason"]["conflicting_duplicate"], 1);
    assert_eq!(
        env.metric("ekino_ingest_duplicates_total"),
        Some(1.0),
        "the re-send of the old row counts once"
    );
}

#[test]
fn a_backfill_loads_history_once_exempt_from_the_age_limit_and_the_window() {
    let env = TestEnv::new("backfill");
    env.run(&["migrate"]);
    let bin = schemas::Bin::from_prefix("44400000001")
        .or_else(|| schemas::Bin::from_prefix("44400000002"))
        .unwrap()
        .as_str()
        .to_owned();
    let old = |id: &str, kind: &str, price: &str| {
        let mut v = event(
            &bin,
            id,
            kind,
            "KZ-2019-07",
            price,
            "2019-06-01T18:00:00+06:00",
        );
        v["show_start"] = json!("2019-06-01T19:00:00+06:00");
        v["vat_rate"] = json!("0.12");
        v
    };
    let s1 = "b0000000-0000-4000-8000-000000000001";
    let s2 = "b0000000-0000-4000-8000-000000000002";
    let mut refund = old("b0000000-0000-4000-8000-000000000003", "refund", "1120");
    refund["refund_of"] = json!(s1);
    let void = json!({"schema": "ekino.ticket/1", "event_id": "b0000000-0000-4000-8000-000000000004", "type": "void", "cinema_bin": bin,
                      "occurred_at": "2019-07-01T10:00:00+06:00", "voids": s2, "reason": "test screening, not a sale"});
    let lines = [
        old(s1, "sale", "1120"),
        old(s2, "sale", "2240"),
        old("b0000000-0000-4000-8000-000000000005", "sale", "1120"),
        refund,
        void,
    ];
    let mut text: String = lines.iter().map(|v| format!("{v}\n")).collect();
    text.push_str("{\"schema\":\"ekino.ticket/1\"}\n");
    let file = env.dir.join("history.ndjson");
    std::fs::write(&file, text).unwrap();

    let first = env.json(&["backfill", file.to_str().unwrap()]);
    assert_eq!(
        (first["lines"].as_u64(), first["accepted"].as_u64()),
        (Some(6), Some(5)),
        "{first}"
    );
    assert_eq!(first["rejected"]["missing_field"], 1);
    // Loaded twice, counted once.
    let again = env.json(&["backfill", file.to_str().unwrap()]);
    assert_eq!(
        (again["accepted"].as_u64(), again["duplicates"].as_u64()),
        (Some(0), Some(5)),
        "{again}"
    );
    // 1 June 2019 (then UTC+6; the day is the UTC+5 date of 19:00+06:00, still 1 June):
    // three sales, one refunded, one voided: 1 admission, 1,120.00, net 1,000.00 at 12 %.
    assert_eq!(
        totals(&env.box_office("2019-06-01", "2019-06-01")),
        (1, 112_000, 100_000)
    );
    assert_eq!(
        env.sql("SELECT count() FROM ticket_events FINAL WHERE backfill = 1")
            .trim(),
        "4"
    );
    assert_eq!(
        env.sql("SELECT count() FROM corrections").trim(),
        "0",
        "history is not a correction"
    );
    let audit = env.sql(&format!("SELECT key_id, method, rows FROM {}.api_audit WHERE method = 'BACKFILL' ORDER BY at FORMAT TSV", env.app_db()));
    assert_eq!(audit.lines().count(), 2, "{audit}");
    assert!(audit.lines().all(|l| l.starts_with("os:")), "{audit}");
}

/// A backfill reads its file a line at a time: a line ClickHouse refuses ends a pass, and the
/// next pass resumes from the byte where the following line starts (blank and CRLF lines
/// included), so the lines after it — a refund of an earlier sale among them — are judged
/// once, and the refused ones are kept as `storage_refused`.
#[test]
fn a_backfill_resumes_after_a_refused_line_at_the_next_line_of_the_file() {
    let env = TestEnv::new("backfill_refused");
    env.run(&["migrate"]);
    // An injected storage refusal: ClickHouse itself refuses any row of this film.
    env.sql("ALTER TABLE ticket_events ADD COLUMN guard UInt8 MATERIALIZED throwIf(film_id = 'REFUSE-ME')");
    let bin = schemas::Bin::from_prefix("44400000003")
        .or_else(|| schemas::Bin::from_prefix("44400000004"))
        .unwrap()
        .as_str()
        .to_owned();
    let at = |id: &str, kind: &str, film: &str| {
        let mut v = event(&bin, id, kind, film, "1120", "2019-06-01T18:00:00+06:00");
        v["show_start"] = json!("2019-06-01T19:00:00+06:00");
        v["vat_rate"] = json!("0.12");
        v
    };
    let id = |n: u32| format!("c0000000-0000-4000-8000-{n:012}");
    let mut refund = at(&id(4), "refund", "KZ-2019-07");
    refund["refund_of"] = json!(id(1));
    let text = format!(
        "{}\r\n{}\n{}\n\n{}\r\n{}\n   \n{}\n{}",
        at(&id(1), "sale", "KZ-2019-07"),
        at(&id(2), "sale", "KZ-2019-07"),
        at(&id(3), "sale", "REFUSE-ME"),
        refund,
        at(&id(5), "sale", "KZ-2019-07"),
        at(&id(6), "sale", "REFUSE-ME"),
        at(&id(7), "sale", "KZ-2019-07"),
    );
    let file = env.dir.join("refused.ndjson");
    std::fs::write(&file, text).unwrap();
    let summary = env.json(&["backfill", file.to_str().unwrap()]);
    assert_eq!(
        (
            summary["lines"].as_u64(),
            summary["accepted"].as_u64(),
            summary["duplicates"].as_u64(),
            summary["rejected"].clone()
        ),
        (Some(7), Some(5), Some(0), json!({"storage_refused": 2})),
        "{summary}"
    );
    // Sales 1, 2, 5, 7 and the refund of 1: 3 admissions of 1,120.00, net 1,000.00 at 12 %.
    assert_eq!(
        totals(&env.box_office("2019-06-01", "2019-06-01")),
        (3, 336_000, 300_000)
    );
}
