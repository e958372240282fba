//! Numbers no single cinema can break, end to end on the real broker and ClickHouse: a
//! hostile cinema mixed into ordinary simulated traffic. Every expectation below is worked
//! out by hand from the rules (README, "Integrity"), not read back from ekino.

mod common;

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::{DateTime, Duration as Days, Utc};
use common::*;
use rdkafka::config::ClientConfig;
use rdkafka::producer::{BaseProducer, BaseRecord, Producer};
use serde_json::{json, Value};

fn rfc(t: DateTime<Utc>) -> String {
    schemas::event::wire::rfc3339_kz(t)
}

/// Sends (key, payload) in order; one key per cinema keeps each cinema's order.
fn produce(topic: &str, msgs: &[(String, Value)]) {
    let p: BaseProducer = ClientConfig::new()
        .set("bootstrap.servers", BROKERS)
        .set("linger.ms", "50")
        .create()
        .unwrap();
    for (key, v) in msgs {
        let payload = v.to_string();
        loop {
            match p.send(BaseRecord::to(topic).key(key.as_str()).payload(&payload)) {
                Ok(()) => break,
                Err((e, _))
                    if e.rdkafka_error_code()
                        == Some(rdkafka::types::RDKafkaErrorCode::QueueFull) =>
                {
                    p.poll(Duration::from_millis(50));
                }
                Err((e, _)) => panic!("produce: {e}"),
            }
        }
    }
    p.flush(Duration::from_secs(60)).unwrap();
}

/// The hostile cinema's messages and what they must do, tallied by hand.
struct Script {
    bin: String,
    now: DateTime<Utc>,
    n: u64,
    msgs: Vec<(String, Value)>,
    /// Counted admissions and gross = net (every counted event here is at VAT 0), tiyn.
    admissions: i64,
    gross: i64,
    rejected: BTreeMap<&'static str, u64>,
    pending: u64,
}

impl Script {
    fn id(&mut self) -> String {
        self.n += 1;
        format!("7e57ab1e-0000-4000-8000-{:012}", self.n)
    }

    fn sale_at(
        &mut self,
        film: &str,
        show: DateTime<Utc>,
        sold: DateTime<Utc>,
        price: &str,
    ) -> (String, Value) {
        let id = self.id();
        let v = json!({
            "schema": "ekino.ticket/1", "event_id": id, "type": "sale", "cinema_bin": self.bin,
            "hall": "1", "screening_id": format!("{film}-{}", show.timestamp()), "film_id": film,
            "show_start": rfc(show), "occurred_at": rfc(sold), "price": price, "currency": "KZT",
            "vat_rate": "0", "seat": null, "channel": "box_office", "ticket_type": "full"
        });
        (id, v)
    }

    /// A sale of the main day (two days ago, local evening), sold an hour before.
    fn sale(&mut self, film: &str, price: &str) -> (String, Value) {
        let show = self.now - Days::days(2);
        self.sale_at(film, show, show - Days::hours(1), price)
    }

    fn refund(&mut self, sale: &Value, sale_id: &str, price: &str) -> (String, Value) {
        let id = self.id();
        let mut v = sale.clone();
        v["event_id"] = json!(id);
        v["type"] = json!("refund");
        v["refund_of"] = json!(sale_id);
        v["price"] = json!(price);
        (id, v)
    }

    fn void(&mut self, target: &str) -> (String, Value) {
        let id = self.id();
        let v = json!({"schema": "ekino.ticket/1", "event_id": id, "type": "void", "cinema_bin": self.bin,
                       "occurred_at": rfc(self.now - Days::minutes(5)), "voids": target, "reason": "keyed by mistake"});
        (id, v)
    }

    fn send(&mut self, v: Value) {
        self.msgs.push((self.bin.clone(), v));
    }

    fn counts(&mut self, admissions: i64, tiyn: i64) {
        self.admissions += admissions;
        self.gross += admissions * tiyn;
    }

    fn rejects(&mut self, reason: &'static str) {
        *self.rejected.entry(reason).or_default() += 1;
    }
}

/// The hostile test's "now": a Tuesday of 2026, after the VAT change.
const HOSTILE_NOW: &str = "2026-11-24T12:00:00+05:00";

#[test]
fn a_hostile_cinema_cannot_stall_ingest_or_move_anyone_elses_figures() {
    let env = TestEnv::new("hostile");
    env.run(&["migrate"]);
    // An injected storage refusal: ClickHouse itself refuses any row of this film.
    env.sql("ALTER TABLE ticket_events ADD COLUMN guard UInt8 MATERIALIZED throwIf(film_id = 'REFUSE-ME')");
    // "Now" is one fixed instant, for the script below and for ingest's clock alike (the VAT
    // rate of a 2026 ticket, the 366- and 400-day limits and the correction window are all
    // judged against it), so the test means the same on any day it runs.
    let now: DateTime<Utc> = HOSTILE_NOW.parse().unwrap();
    // Ordinary traffic: the simulated market, no faults of its own.
    let start = (now.with_timezone(&schemas::time::kz_offset()).date_naive()
        - chrono::Days::new(3))
    .to_string();
    // Its ledger and registry first (nothing sent); the same traffic is sent below.
    let ledger = env.simulate(&[
        "--start",
        &start,
        "--seed",
        "21",
        "--max-events",
        "20000",
        "--dry-run",
    ]);
    let victim = std::fs::read_to_string(env.dir.join("sim/cinemas.csv"))
        .unwrap()
        .lines()
        .nth(1)
        .unwrap()
        .split(',')
        .next()
        .unwrap()
        .to_owned();

    let hostile = schemas::Bin::from_prefix("77700000001")
        .or_else(|| schemas::Bin::from_prefix("77700000002"))
        .unwrap()
        .as_str()
        .to_owned();
    let mut s = Script {
        bin: hostile.clone(),
        now,
        n: 0,
        msgs: Vec::new(),
        admissions: 0,
        gross: 0,
        rejected: BTreeMap::new(),
        pending: 0,
    };

    // 5,000 distinct films in a row (one batch), two of whose rows ClickHouse refuses.
    for f in 0..5000 {
        let film = if f == 1234 || f == 4321 {
            "REFUSE-ME".to_owned()
        } else {
            format!("HF-{f:04}")
        };
        let (_, v) = s.sale(&film, "100");
        s.send(v);
        if film == "REFUSE-ME" {
            s.rejects("storage_refused");
        } else {
            s.counts(1, 10_000);
        }
    }
    // Screenings spanning the widest valid range of months: shown from 763 days ago (sold
    // 398 days ago, within 366 days of the show) to 365 days ahead, one every ~30 days.
    let mut show = now - Days::days(763);
    while show <= now + Days::days(365) {
        let sold = show.clamp(now - Days::days(398), now - Days::hours(1));
        let (_, v) = s.sale_at("WIDE", show, sold, "10");
        s.send(v);
        s.counts(1, 1_000);
        show += Days::days(30);
    }
    // One id, one meaning: a re-send counts once; other film or other day never counts.
    let (c1, v) = s.sale("CONFLICT", "200");
    s.send(v.clone());
    s.counts(1, 20_000);
    s.send(v.clone());
    let mut other_film = v.clone();
    other_film["film_id"] = json!("CONFLICT-2");
    s.send(other_film);
    let mut other_day = v.clone();
    other_day["show_start"] = json!(rfc(now - Days::days(4)));
    s.send(other_day);
    s.rejects("conflicting_duplicate");
    s.rejects("conflicting_duplicate");
    let _ = c1;
    // Refunds of unknown sales: the first waits and counts when its sale comes; the second's
    // sale never comes.
    let (p1, p1v) = s.sale("PENDING", "300");
    let (_, r1) = s.refund(&p1v, &p1, "300");
    s.send(r1);
    let (p2, p2v) = s.sale("PENDING", "400");
    let (_, r2) = s.refund(&p2v, &p2, "400");
    s.send(r2);
    s.pending += 1;
    // Double and oversized refunds.
    let (b1, b1v) = s.sale("REFUNDS", "500");
    s.send(b1v.clone());
    let (_, b1a) = s.refund(&b1v, &b1, "500");
    let (_, b1b) = s.refund(&b1v, &b1, "200");
    s.send(b1a);
    s.send(b1b);
    s.counts(1, 50_000);
    s.counts(-1, 50_000);
    s.rejects("refund_exceeds_sale");
    let (b2, b2v) = s.sale("REFUNDS", "300");
    s.send(b2v.clone());
    let (_, b2a) = s.refund(&b2v, &b2, "300.01");
    s.send(b2a);
    s.counts(1, 30_000);
    s.rejects("refund_exceeds_sale");
    // Wrong VAT rates for a 2026 ticket.
    for rate in ["0.12", "0.2"] {
        let (_, mut v) = s.sale("VAT", "100");
        v["vat_rate"] = json!(rate);
        s.send(v);
        s.rejects("invalid_vat_rate");
    }
    // Writing as another cinema, both ways.
    let (_, mut as_victim) = s.sale("FOREIGN", "999");
    as_victim["cinema_bin"] = json!(victim);
    s.send(as_victim);
    let (_, mine) = s.sale("FOREIGN", "999");
    s.msgs.push((victim.clone(), mine));
    s.rejects("foreign_cinema");
    s.rejects("foreign_cinema");
    // Implausible and stale times.
    let (_, mut far) = s.sale("TIME", "100");
    far["show_start"] = json!(rfc(now + Days::days(400)));
    s.send(far);
    s.rejects("implausible_show_start");
    let (_, mut stale) = s.sale("TIME", "100");
    stale["occurred_at"] = json!(rfc(now - Days::days(450)));
    stale["show_start"] = json!(rfc(now - Days::days(450)));
    s.send(stale);
    s.rejects("stale_timestamp");
    // Voids: inside the window, outside it, of nothing, of a void, of a refunded sale.
    let (w1, w1v) = s.sale("VOIDS", "700");
    s.send(w1v);
    let (v1, v1v) = s.void(&w1);
    s.send(v1v);
    let old_show = now - Days::days(20);
    let (w2, w2v) = s.sale_at("VOIDS", old_show, old_show - Days::hours(2), "800");
    s.send(w2v);
    s.counts(1, 80_000);
    let (_, late) = s.void(&w2);
    s.send(late);
    s.rejects("correction_window_closed");
    let (_, unknown) = s.void("7e57ab1e-0000-4000-8000-999999999999");
    s.send(unknown);
    s.rejects("void_target_unknown");
    let (_, of_void) = s.void(&v1);
    s.send(of_void);
    s.rejects("void_of_void");
    let (w3, w3v) = s.sale("VOIDS", "900");
    s.send(w3v.clone());
    let (w3r, w3rv) = s.refund(&w3v, &w3, "900");
    s.send(w3rv);
    let (_, too_soon) = s.void(&w3);
    s.send(too_soon);
    s.rejects("void_refunded_sale");
    let (_, undo_refund) = s.void(&w3r);
    s.send(undo_refund);
    let (_, undo_sale) = s.void(&w3);
    s.send(undo_sale);
    // The waiting refund's sale arrives last: sale and refund both count.
    s.send(p1v);
    s.counts(1, 30_000);
    s.counts(-1, 30_000);
    let _ = p2v;

    produce(&env.name, &s.msgs);
    // The market's traffic runs alongside.
    let sim = env.spawn_simulate(&["--start", &start, "--seed", "21", "--max-events", "20000"]);
    let _sim = Guard(sim);
    let _ingest = Guard(env.spawn_ingest(&[("EKINO_REPORTING__CLOCK_START", HOSTILE_NOW)]));

    let want_rejected: u64 = s.rejected.values().sum();
    let hostile_sql = format!(
        "SELECT sum(qty_sum), sum(gross_sum), sum(net_sum) FROM sales_by_cinema_day FINAL WHERE cinema_bin = '{hostile}' FORMAT TSV"
    );
    let want_hostile = format!("{}\t{}\t{}\n", s.admissions, s.gross, s.gross);
    let others_sql = format!("SELECT sum(qty_sum), sum(gross_sum), sum(net_sum) FROM sales_by_cinema_day FINAL WHERE cinema_bin != '{hostile}' FORMAT TSV");
    let want_others = format!(
        "{}\t{}\t{}\n",
        ledger["admissions"], ledger["gross_tiyn"], ledger["net_tiyn"]
    );
    let settled = wait_until(Duration::from_secs(240), || {
        env.sql(&hostile_sql) == want_hostile
            && env.sql(&others_sql) == want_others
            && env.rejected()["total"].as_u64() == Some(want_rejected)
            && committed_to_end(&env)
    });
    assert!(
        settled,
        "never settled: hostile {} (want {want_hostile}), others {} (want {want_others}), rejected {} (want {want_rejected} {:?}), committed to end: {}",
        env.sql(&hostile_sql),
        env.sql(&others_sql),
        env.rejected(),
        s.rejected,
        committed_to_end(&env)
    );
    // Every bad event is kept with its reason.
    let by_reason = env.rejected()["by_reason"].clone();
    for (reason, n) in &s.rejected {
        assert_eq!(
            by_reason[*reason].as_u64(),
            Some(*n),
            "{reason}: {by_reason}"
        );
    }
    // The raw rows agree with the aggregates (voided rows out).
    assert_eq!(
        env.sql(&format!("SELECT sum(qty), sum(gross_tiyn), sum(net_tiyn) FROM ticket_events FINAL WHERE cinema_bin = '{hostile}' AND voided_by = '' FORMAT TSV")),
        want_hostile
    );
    // The refund whose sale never came is listed for reconciliation.
    let rec = env.json(&["report", "reconciliation", "--json"]);
    assert_eq!(
        rec["flags"]["refund_pending"].as_u64(),
        Some(s.pending),
        "{rec}"
    );
    // Its flags come from ingest's aggregates; over the raw rows they are the same.
    let app = env.app_db();
    let raw = |cond: &str| {
        env.sql(&format!(
            "SELECT count() FROM ticket_events FINAL WHERE voided_by = '' AND {cond} FORMAT TSV"
        ))
        .trim()
        .parse::<u64>()
        .unwrap()
    };
    assert_eq!(
        rec["flags"]["unknown_film"].as_u64(),
        Some(raw(&format!(
            "film_id NOT IN (SELECT film_id FROM {app}.films)"
        ))),
        "{rec}"
    );
    assert_eq!(
        rec["flags"]["unregistered_cinema"].as_u64(),
        Some(raw(&format!(
            "cinema_bin NOT IN (SELECT bin FROM {app}.cinemas)"
        ))),
        "{rec}"
    );
    assert!(
        rec["flags"]["unknown_film"].as_u64() >= Some(4998),
        "the hostile cinema's films are unknown: {rec}"
    );
    // Nothing said by ekino's statements grew with the 5,000 films.
    let longest = env.metric("ekino_ingest_statement_bytes_max").unwrap();
    assert!(longest < 65_536.0, "longest statement {longest} bytes");
    assert!(env.metric("ekino_ingest_bisections_total").unwrap() >= 1.0);
}

/// Whether the group's committed offsets have reached the end of every partition.
fn committed_to_end(env: &TestEnv) -> bool {
    use rdkafka::consumer::{BaseConsumer, Consumer};
    let c: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", BROKERS)
        .set("group.id", &env.name)
        .create()
        .unwrap();
    let Ok(md) = c.fetch_metadata(Some(&env.name), Duration::from_secs(10)) else {
        return false;
    };
    let mut tpl = rdkafka::TopicPartitionList::new();
    for p in md.topics()[0].partitions() {
        tpl.add_partition(&env.name, p.id());
    }
    let Ok(committed) = c.committed_offsets(tpl, Duration::from_secs(10)) else {
        return false;
    };
    committed.elements().iter().all(|e| {
        let (_, high) = c
            .fetch_watermarks(&env.name, e.partition(), Duration::from_secs(10))
            .unwrap_or((0, -1));
        match e.offset() {
            rdkafka::Offset::Offset(o) => o == high,
            _ => high == 0,
        }
    })
}

#[test]
fn a_day_is_provisional_then_final_and_a_late_refund_corrects_it() {
    let env = TestEnv::new("status");
    env.run(&["migrate"]);
    let bin = schemas::Bin::from_prefix("55500000001")
        .or_else(|| schemas::Bin::from_prefix("55500000002"))
        .unwrap()
        .as_str()
        .to_owned();
    let sale = |n: u32| {
        json!({"schema": "ekino.ticket/1", "event_id": format!("5a1e0000-0000-4000-8000-{n:012}"), "type": "sale", "cinema_bin": bin,
               "hall": "1", "screening_id": "S1", "film_id": "STATUS", "show_start": "2026-11-20T19:00:00+05:00",
               "occurred_at": "2026-11-20T18:00:00+05:00", "price": "1160", "currency": "KZT", "vat_rate": "0.16", "seat": null,
               "channel": "online", "ticket_type": "full"})
    };
    // The evening of the day: three sales.
    let evening = [("EKINO_REPORTING__CLOCK_START", "2026-11-20T20:00:00+05:00")];
    produce(
        &env.name,
        &(1..=3).map(|n| (bin.clone(), sale(n))).collect::<Vec<_>>(),
    );
    let mut ingest = Guard(env.spawn_ingest(&evening));
    let report_at = |clock: &str| -> Value {
        let out = env
            .cmd()
            .env("EKINO_REPORTING__CLOCK_START", clock)
            .args([
                "report",
                "box-office",
                "--from",
                "2026-11-20",
                "--to",
                "2026-11-20",
                "--json",
            ])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).unwrap()
    };
    assert!(
        wait_until(Duration::from_secs(60), || totals(&report_at(
            "2026-11-21T06:59:00+05:00"
        ))
        .0 == 3),
        "sales never arrived"
    );
    // Read before the close (07:00 the next morning) and after it.
    let before = report_at("2026-11-21T06:59:00+05:00");
    assert_eq!(before["rows"][0]["status"], "provisional", "{before}");
    let after = report_at("2026-11-21T07:00:30+05:00");
    assert_eq!(after["rows"][0]["status"], "final", "{after}");
    assert_eq!(after["status_counts"]["final"], 1);
    signal(&ingest.0, "TERM");
    assert!(wait_exit(&mut ingest.0, Duration::from_secs(15)).is_some());

    // Two days later a refund of the first sale arrives: the day is corrected, and the
    // correction lists the refund with its difference.
    let mut refund = sale(10);
    refund["type"] = json!("refund");
    refund["refund_of"] = json!("5a1e0000-0000-4000-8000-000000000001");
    produce(&env.name, &[(bin.clone(), refund)]);
    let _late =
        Guard(env.spawn_ingest(&[("EKINO_REPORTING__CLOCK_START", "2026-11-22T10:00:00+05:00")]));
    assert!(
        wait_until(Duration::from_secs(90), || totals(&report_at(
            "2026-11-22T10:05:00+05:00"
        ))
        .0 == 2),
        "the refund never counted"
    );
    let corrected = report_at("2026-11-22T10:05:00+05:00");
    assert_eq!(corrected["rows"][0]["status"], "corrected", "{corrected}");
    let listed = env.json(&[
        "report",
        "corrections",
        "--from",
        "2026-11-20",
        "--to",
        "2026-11-20",
        "--json",
    ]);
    let rows = listed["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 1, "{listed}");
    assert_eq!(
        (listed["total"].as_u64(), listed["truncated"].as_bool()),
        (Some(1), Some(false)),
        "{listed}"
    );
    // 1,160.00 at 16 %: net 1,000.00.
    assert_eq!(
        (
            rows[0]["kind"].as_str(),
            rows[0]["admissions_change"].as_i64(),
            rows[0]["gross_change"].as_str(),
            rows[0]["net_change"].as_str()
        ),
        (Some("refund"), Some(-1), Some("-1160.00"), Some("-1000.00"))
    );
    assert_eq!(rows[0]["event_id"], "5a1e0000-0000-4000-8000-000000000010");
    assert_eq!(rows[0]["cinema_bin"], bin.as_str());

    // The ministry downloads the same list as a file for the books: CSV through the API, with
    // the columns documented and the figures above, row for row.
    let ministry = env
        .run(&["keys", "create", "--role", "ministry", "--label", "Auditor"])
        .trim()
        .to_owned();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let _api = Guard(
        env.cmd()
            .arg("api")
            .env("EKINO_API__LISTEN_ADDR", format!("127.0.0.1:{port}"))
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap(),
    );
    let get = |path: &str| {
        let out = std::process::Command::new("curl")
            .args([
                "-sS",
                "-f",
                "-H",
                &format!("Authorization: Bearer {ministry}"),
                &format!("http://127.0.0.1:{port}{path}"),
            ])
            .output()
            .unwrap();
        out.status
            .success()
            .then(|| String::from_utf8(out.stdout).unwrap())
    };
    assert!(
        wait_until(Duration::from_secs(60), || get("/healthz").is_some()),
        "the API never answered"
    );
    let csv = get("/v1/corrections?from=2026-11-20&to=2026-11-20&format=csv")
        .expect("the corrections as CSV");
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 2, "{csv}");
    assert_eq!(
        lines[0],
        "day,cinema_bin,film_id,event_id,kind,admissions_change,gross_change,net_change,arrived_at"
    );
    let want = format!(
        "2026-11-20,{bin},STATUS,5a1e0000-0000-4000-8000-000000000010,refund,-1,-1160.00,-1000.00,"
    );
    assert!(lines[1].starts_with(&want), "{csv}");
    assert_eq!(
        get(&format!(
            "/v1/cinemas/{bin}/corrections?from=2026-11-20&to=2026-11-20&format=csv"
        ))
        .as_deref(),
        Some(csv.as_str()),
        "one cinema's file is its part of the national one"
    );
    // Summed per cinema and day: the one refund of that day, as worked out above.
    let json: serde_json::Value = serde_json::from_str(
        &get("/v1/corrections?from=2026-11-20&to=2026-11-20").expect("the corrections"),
    )
    .unwrap();
    let days = json["by_cinema_day"].as_array().unwrap();
    assert_eq!(days.len(), 1, "{json}");
    assert_eq!(
        (
            days[0]["day"].as_str(),
            days[0]["cinema_bin"].as_str(),
            days[0]["corrections"].as_u64(),
            days[0]["admissions_change"].as_i64(),
            days[0]["gross_change"].as_str(),
            days[0]["net_change"].as_str()
        ),
        (
            Some("2026-11-20"),
            Some(bin.as_str()),
            Some(1),
            Some(-1),
            Some("-1160.00"),
            Some("-1000.00")
        )
    );
}

#[test]
fn no_statement_grows_with_a_batch_of_fifty_thousand_films_and_cinemas() {
    let env = TestEnv::new("statements");
    env.run(&["migrate"]);
    let started = Utc::now().timestamp();
    let show = Utc::now() - Days::days(1);
    let mut msgs = Vec::with_capacity(50_000);
    let mut prefix = 60_000_000_000u64;
    while msgs.len() < 50_000 {
        prefix += 1;
        let Some(bin) = schemas::Bin::from_prefix(&prefix.to_string()) else {
            continue;
        };
        let n = msgs.len();
        let v = json!({"schema": "ekino.ticket/1", "event_id": format!("5ca1ab1e-0000-4000-8000-{n:012}"), "type": "sale",
                       "cinema_bin": bin.as_str(), "hall": "1", "screening_id": "S", "film_id": format!("BIG-{n:05}"),
                       "show_start": rfc(show), "occurred_at": rfc(show - Days::hours(1)), "price": "100", "currency": "KZT",
                       "vat_rate": "0", "seat": null, "channel": "online", "ticket_type": "full"});
        msgs.push((bin.as_str().to_owned(), v));
    }
    produce(&env.name, &msgs);
    let one_batch = [
        ("EKINO_INGEST__MAX_ROWS", "50000"),
        ("EKINO_INGEST__MAX_BYTES", "268435456"),
        ("EKINO_INGEST__PERIOD_MS", "5000"),
    ];
    let _ingest = Guard(env.spawn_ingest(&one_batch));
    // Both aggregates: the film-day recompute is the second statement of a settle.
    let cinema_days = "SELECT sum(qty_sum), uniqExact(film_id), uniqExact(cinema_bin) FROM sales_by_cinema_day FINAL FORMAT TSV";
    let film_days = "SELECT count(), sum(qty_sum) FROM sales_by_film_day FINAL FORMAT TSV";
    let done = wait_until(Duration::from_secs(180), || {
        env.sql(cinema_days) == "50000\t50000\t50000\n" && env.sql(film_days) == "50000\t50000\n"
    });
    assert!(
        done,
        "cinema days {}, film days {}",
        env.sql(cinema_days),
        env.sql(film_days)
    );
    // What ClickHouse itself received (its query log), not what ingest says it sent: every
    // statement of the ekino processes (the `clickhouse-rs` client) since the batch was made,
    // the recompute of its 50,000 film-days and 50,000 cinema-days among them.
    env.sql("SYSTEM FLUSH LOGS");
    let logged = env.sql(&format!(
        "SELECT countIf(query LIKE 'INSERT INTO sales_by_film_day%'), count(), max(length(query)) \
         FROM system.query_log WHERE type = 2 AND event_time >= toDateTime({started}) \
         AND http_user_agent LIKE 'clickhouse-rs%' FORMAT TSV"
    ));
    let n: Vec<u64> = logged
        .split_whitespace()
        .map(|x| x.parse().unwrap())
        .collect();
    let (recomputes, count, longest) = (n[0], n[1], n[2]);
    assert!(
        recomputes >= 1,
        "the query log holds no film-day recompute: {logged}"
    );
    assert!(
        longest < 65_536,
        "the longest of {count} statements was {longest} bytes"
    );
}
