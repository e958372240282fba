//! Where figures cannot be true, end to end on the real broker and ClickHouse: halls loaded
//! from CSV, sessions declared on the sessions topic, tickets on the ticket topic, ingest
//! storing both, and the API's signal watcher finding one planted case of each kind at a
//! dishonest cinema and nothing at an honest, busy one. The expected list is written by hand
//! below, from the rules in README ("Signals"), not read back from ekino.
//!
//! Times are relative to the moment the test runs (a session "tomorrow at 19:00"), because
//! whether a declaration arrived before its show is judged by its arrival at the broker; no
//! expectation depends on the date itself.

mod common;

use std::collections::BTreeSet;
use std::time::Duration;

use chrono::{DateTime, Duration as Span, NaiveDate, TimeZone, Utc};
use common::*;
use rdkafka::config::ClientConfig;
use rdkafka::producer::{BaseProducer, BaseRecord, Producer};
use serde_json::{json, Value};

/// The honest cinema: every session declared the day before, busy but never over its seats.
const HONEST: &str = "980340001119";
/// The dishonest cinema: one case of each kind.
const DISHONEST: &str = "050440002227";

/// Ticket price of every sale here: 2,500.00 KZT, no VAT (250,000 tiyn).
const PRICE: &str = "2500.00";
const PRICE_TIYN: i64 = 250_000;

fn rfc(t: DateTime<Utc>) -> String {
    schemas::event::wire::rfc3339_kz(t)
}

/// `hh:mm` local (UTC+5) on local date `d`.
fn local(d: NaiveDate, h: u32, m: u32) -> DateTime<Utc> {
    schemas::time::kz_offset()
        .from_local_datetime(&d.and_hms_opt(h, m, 0).unwrap())
        .unwrap()
        .to_utc()
}

fn produce(topic: &str, msgs: &[(String, String)]) {
    produce_at(topic, msgs, None);
}

/// Produces with a producer timestamp (`CreateTime`) of `at` when given.
fn produce_at(topic: &str, msgs: &[(String, String)], at: Option<DateTime<Utc>>) {
    let p: BaseProducer = ClientConfig::new()
        .set("bootstrap.servers", BROKERS)
        .set("linger.ms", "20")
        .create()
        .unwrap();
    for (key, payload) in msgs {
        let mut record = BaseRecord::to(topic)
            .key(key.as_str())
            .payload(payload.as_str());
        if let Some(t) = at {
            record = record.timestamp(t.timestamp_millis());
        }
        p.send(record).map_err(|(e, _)| e).expect("producing");
        p.poll(Duration::ZERO);
    }
    p.flush(Duration::from_secs(30)).unwrap();
}

struct Traffic {
    declarations: Vec<(String, String)>,
    tickets: Vec<(String, String)>,
    now: DateTime<Utc>,
}

/// Sold through an online seller (channel `partner`) instead of at the box office.
fn via_partner(ticket: &mut (String, String)) {
    ticket.1 = ticket.1.replace("\"box_office\"", "\"partner\"");
}

/// An online seller's record of one order (`ekino.partner/1`) of `tickets` at 2,500.00.
fn order(
    partner: &str,
    order: &str,
    cinema: &str,
    session: &str,
    start: DateTime<Utc>,
    tickets: i64,
    now: DateTime<Utc>,
) -> (String, String) {
    let v = json!({
        "schema": "ekino.partner/1", "partner_id": partner, "order_id": order, "type": "sale",
        "cinema_bin": cinema, "screening_id": session, "show_start": rfc(start),
        "tickets": tickets, "gross": format!("{}.00", tickets * PRICE_TIYN / 100),
        "currency": "KZT", "occurred_at": rfc(now - Span::minutes(40))
    });
    (partner.to_owned(), v.to_string())
}

impl Traffic {
    /// No message yet; sales happen 30 minutes before `now`.
    fn at(now: DateTime<Utc>) -> Self {
        Traffic {
            declarations: Vec::new(),
            tickets: Vec::new(),
            now,
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn declare(
        &mut self,
        bin: &str,
        hall: &str,
        id: &str,
        start: DateTime<Utc>,
        minutes: i64,
        status: &str,
        declared_at: DateTime<Utc>,
    ) {
        let v = json!({
            "schema": "ekino.session/1", "cinema_bin": bin, "hall": hall, "screening_id": id,
            "film_id": "F1", "show_start": rfc(start), "ends_at": rfc(start + Span::minutes(minutes)),
            "seats_on_sale": 40, "status": status, "declared_at": rfc(declared_at)
        });
        self.declarations.push((bin.to_owned(), v.to_string()));
    }

    /// A sale; returns its event id.
    fn sale(
        &mut self,
        bin: &str,
        hall: &str,
        id: &str,
        start: DateTime<Utc>,
        seat: Option<(&str, String)>,
    ) -> String {
        let event = uuid::Uuid::new_v4().to_string();
        let seat = seat.map_or(Value::Null, |(row, n)| json!({"row": row, "number": n}));
        let v = json!({
            "schema": "ekino.ticket/1", "event_id": event, "type": "sale", "cinema_bin": bin,
            "hall": hall, "screening_id": id, "film_id": "F1", "show_start": rfc(start),
            "occurred_at": rfc(self.now - Span::minutes(30)), "price": PRICE, "currency": "KZT",
            "vat_rate": "0", "seat": seat, "channel": "box_office", "ticket_type": "full"
        });
        self.tickets.push((bin.to_owned(), v.to_string()));
        event
    }

    fn sales(
        &mut self,
        bin: &str,
        hall: &str,
        id: &str,
        start: DateTime<Utc>,
        n: usize,
        row: Option<&str>,
    ) {
        for i in 1..=n {
            self.sale(bin, hall, id, start, row.map(|r| (r, i.to_string())));
        }
    }

    fn refund(&mut self, sale: &str) {
        let mut v: Value = serde_json::from_str(
            &self
                .tickets
                .iter()
                .find(|(_, t)| t.contains(sale))
                .unwrap()
                .1,
        )
        .unwrap();
        v["event_id"] = json!(uuid::Uuid::new_v4().to_string());
        v["type"] = json!("refund");
        v["refund_of"] = json!(sale);
        v["occurred_at"] = json!(rfc(self.now - Span::minutes(20)));
        self.tickets
            .push((v["cinema_bin"].as_str().unwrap().to_owned(), v.to_string()));
    }
}

fn get(base: &str, path: &str, key: &str) -> (u16, Value) {
    let out = std::process::Command::new("curl")
        .args(["-sS", "-o", "-", "-w", "\n%{http_code}", "-H"])
        .arg(format!("Authorization: Bearer {key}"))
        .arg(format!("{base}{path}"))
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let (body, code) = text.rsplit_once('\n').unwrap_or(("", "0"));
    (
        code.trim().parse().unwrap_or(0),
        serde_json::from_str(body).unwrap_or(Value::Null),
    )
}

fn post(base: &str, path: &str, key: &str, content_type: &str, body: &str) -> (u16, Value) {
    let out = std::process::Command::new("curl")
        .args(["-sS", "-o", "-", "-w", "\n%{http_code}", "-H"])
        .arg(format!("Authorization: Bearer {key}"))
        .args([
            "-H",
            &format!("Content-Type: {content_type}"),
            "--data-binary",
            body,
        ])
        .arg(format!("{base}{path}"))
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let (body, code) = text.rsplit_once('\n').unwrap_or(("", "0"));
    (
        code.trim().parse().unwrap_or(0),
        serde_json::from_str(body).unwrap_or(Value::Null),
    )
}

/// A new key of `role` (`--bin B` and the like in `more`), as `ekino keys create` prints it.
fn key(env: &TestEnv, role: &str, more: &[&str]) -> String {
    let mut args = vec!["keys", "create", "--role", role];
    args.extend_from_slice(more);
    env.run(&args).trim().to_owned()
}

/// A request with a method other than GET and POST: its status and JSON reply.
fn send(method: &str, base: &str, path: &str, key: &str, body: Option<&str>) -> (u16, Value) {
    let mut cmd = std::process::Command::new("curl");
    cmd.args(["-sS", "-o", "-", "-w", "\n%{http_code}", "-X", method, "-H"])
        .arg(format!("Authorization: Bearer {key}"));
    if let Some(b) = body {
        cmd.args(["-H", "Content-Type: application/json", "--data-binary", b]);
    }
    let out = cmd.arg(format!("{base}{path}")).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let (body, code) = text.rsplit_once('\n').unwrap_or(("", "0"));
    (
        code.trim().parse().unwrap_or(0),
        serde_json::from_str(body).unwrap_or(Value::Null),
    )
}

/// The API, its signal watcher looking every 300 ms (the regional round too); its process
/// and base URL.
fn spawn_api(env: &TestEnv) -> (Guard, String) {
    env.spawn_api(&[
        ("EKINO_API__SIGNALS__INTERVAL_MS", "300"),
        ("EKINO_API__SIGNALS__REGIONAL_INTERVAL_MS", "300"),
    ])
}

fn found(list: &Value) -> BTreeSet<(String, String, String)> {
    list["signals"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|s| {
                    (
                        s["cinema_bin"].as_str().unwrap_or_default().to_owned(),
                        s["kind"].as_str().unwrap_or_default().to_owned(),
                        s["screening_id"].as_str().unwrap_or_default().to_owned(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

fn signal<'a>(list: &'a Value, kind: &str) -> &'a Value {
    list["signals"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["kind"] == kind)
        .unwrap_or_else(|| panic!("no {kind} in {list}"))
}

#[test]
fn one_planted_case_of_each_kind_is_found_with_its_evidence_and_the_honest_cinema_has_none() {
    let env = TestEnv::new("signals");
    let reg = env.dir.join("halls.csv");
    std::fs::write(
        &reg,
        format!("bin,hall,seats,name\n{HONEST},1,100,Зал 1\n{HONEST},2,50,\n{DISHONEST},1,60,\n{DISHONEST},2,40,\n"),
    )
    .unwrap();
    env.run(&["registry", "load", "--halls", reg.to_str().unwrap()]);
    // Both cinemas are below the VAT threshold (their tickets carry none): a case's withheld
    // rentals are then half its unreported gross, whatever the day's rate.
    let cinemas = env.dir.join("cinemas.csv");
    std::fs::write(
        &cinemas,
        format!("bin,name,region,city,halls,seats,vat_payer\n{HONEST},Honest,Almaty,Almaty,2,150,false\n{DISHONEST},Dishonest,Astana,Astana,2,100,false\n"),
    )
    .unwrap();
    env.run(&["registry", "load", "--cinemas", cinemas.to_str().unwrap()]);
    // F1, every session's film, is registered, so the public chart ranks it.
    let films = env.dir.join("films.csv");
    std::fs::write(
        &films,
        format!("film_id,title_kk,title_ru,title_en,release_date,producer_bin,distributor_bin,national,budget\nF1,Бір,Один,One,2026-01-01,{HONEST},{HONEST},true,1000000.00\n"),
    )
    .unwrap();
    env.run(&["registry", "load", "--films", films.to_str().unwrap()]);
    // Two online sellers; GHOST, who also sends records, is not registered.
    let ticketon_bin = schemas::Bin::from_prefix("12084000333")
        .unwrap()
        .to_string();
    let kassa_bin = schemas::Bin::from_prefix("23456789012")
        .unwrap()
        .to_string();
    let partners = env.dir.join("partners.csv");
    std::fs::write(
        &partners,
        format!(
            "partner_id,name,bin\nTICKETON,Ticketon,{ticketon_bin}\nKASSA,Kassa24,{kassa_bin}\n"
        ),
    )
    .unwrap();
    env.run(&["registry", "load", "--partners", partners.to_str().unwrap()]);
    let key = |role: &str, bin: Option<&str>| {
        let mut args = vec!["keys", "create", "--role", role];
        args.extend(bin.iter().flat_map(|b| ["--bin", *b]));
        env.run(&args).trim().to_owned()
    };
    let (ministry, honest_key, dishonest_key) = (
        key("ministry", None),
        key("cinema", Some(HONEST)),
        key("cinema", Some(DISHONEST)),
    );
    let kassa_key = key("partner", Some(&kassa_bin));
    let (_api, base) = spawn_api(&env);
    let _ingest = Guard(env.spawn_ingest(&[]));

    let now = Utc::now();
    let today = schemas::time::box_office_day(now);
    let day1 = today + chrono::Days::new(1);
    let earlier = now - Span::hours(1);
    let mut t = Traffic {
        declarations: Vec::new(),
        tickets: Vec::new(),
        now,
    };

    // The honest cinema, tomorrow. Hall 1 (100 seats): a full house at 19:00 (100 seated
    // tickets), then at 21:30 a session first declared at 20:30 (overlapping the first) and
    // re-declared later at 21:30; 40 tickets, one seat sold, refunded and sold again. Hall 2
    // (50 seats): a night show at 02:30, 20 tickets.
    t.declare(
        HONEST,
        "1",
        "H1",
        local(day1, 19, 0),
        120,
        "scheduled",
        earlier,
    );
    t.declare(
        HONEST,
        "1",
        "H2",
        local(day1, 20, 30),
        120,
        "scheduled",
        earlier,
    );
    t.declare(
        HONEST,
        "1",
        "H2",
        local(day1, 21, 30),
        120,
        "scheduled",
        earlier + Span::minutes(10),
    );
    t.declare(
        HONEST,
        "2",
        "H3",
        local(day1, 2, 30),
        90,
        "scheduled",
        earlier,
    );
    t.sales(HONEST, "1", "H1", local(day1, 19, 0), 100, Some("A"));
    // Ten of H1's tickets were sold by Ticketon, and the cinema says so (channel partner);
    // Ticketon's records say the same (its order O1 sent twice counts once).
    for ticket in t.tickets.iter_mut().take(10) {
        via_partner(ticket);
    }
    let mut partner_records = vec![
        order("TICKETON", "O1", HONEST, "H1", local(day1, 19, 0), 6, now),
        order("TICKETON", "O1", HONEST, "H1", local(day1, 19, 0), 6, now),
        order("TICKETON", "O2", HONEST, "H1", local(day1, 19, 0), 4, now),
        // An unregistered seller's records are no source: no gap from them.
        order("GHOST", "G1", DISHONEST, "D1", local(day1, 19, 0), 50, now),
    ];
    t.sales(HONEST, "1", "H2", local(day1, 21, 30), 39, Some("B"));
    let resold = t.sale(
        HONEST,
        "1",
        "H2",
        local(day1, 21, 30),
        Some(("C", "1".into())),
    );
    t.refund(&resold);
    t.sale(
        HONEST,
        "1",
        "H2",
        local(day1, 21, 30),
        Some(("C", "1".into())),
    );
    t.sales(HONEST, "2", "H3", local(day1, 2, 30), 20, Some("A"));

    // The dishonest cinema. Hall 1 has 60 seats, hall 2 40.
    // D1: 63 admissions in hall 1 tomorrow at 19:00 → over_capacity, 3 × 2,500.00 at stake.
    t.declare(
        DISHONEST,
        "1",
        "D1",
        local(day1, 19, 0),
        120,
        "scheduled",
        earlier,
    );
    t.sales(DISHONEST, "1", "D1", local(day1, 19, 0), 63, None);
    // D2: hall 2 at 19:00, seats E1..E10 and E5 once more → seat_sold_twice, 2,500.00.
    t.declare(
        DISHONEST,
        "2",
        "D2",
        local(day1, 19, 0),
        120,
        "scheduled",
        earlier,
    );
    t.sales(DISHONEST, "2", "D2", local(day1, 19, 0), 10, Some("E"));
    t.sale(
        DISHONEST,
        "2",
        "D2",
        local(day1, 19, 0),
        Some(("E", "5".into())),
    );
    // D3: hall 2 at 20:30, while D2 runs to 21:00 → overlapping_sessions (no tickets).
    t.declare(
        DISHONEST,
        "2",
        "D3",
        local(day1, 20, 30),
        120,
        "scheduled",
        earlier,
    );
    // D4: hall 1 at 02:00 tomorrow, 54 of 60 seats = 90 % → late_night_full, its gross.
    t.declare(
        DISHONEST,
        "1",
        "D4",
        local(day1, 2, 0),
        90,
        "scheduled",
        earlier,
    );
    t.sales(DISHONEST, "1", "D4", local(day1, 2, 0), 54, None);
    // D6: hall 2 at 23:00 tomorrow, declared, then cancelled; 4 tickets → cancelled_session_sold.
    t.declare(
        DISHONEST,
        "2",
        "D6",
        local(day1, 23, 0),
        50,
        "scheduled",
        earlier,
    );
    t.declare(
        DISHONEST,
        "2",
        "D6",
        local(day1, 23, 0),
        50,
        "cancelled",
        earlier + Span::minutes(5),
    );
    t.sales(DISHONEST, "2", "D6", local(day1, 23, 0), 4, None);

    // Two bad declarations, kept with their reasons: an unknown status, and a message keyed
    // by another cinema than the one it declares for.
    let mut bad = t.declarations[0].1.replace("\"scheduled\"", "\"moved\"");
    t.declarations
        .push((HONEST.to_owned(), std::mem::take(&mut bad)));
    t.declarations
        .push((DISHONEST.to_owned(), t.declarations[0].1.clone()));

    // Declarations first (as a ticketing system sends them before selling).
    let sessions_topic = format!("{}.sessions", env.name);
    produce(&sessions_topic, &t.declarations);
    let count = |cinema: &str| {
        env.sql(&format!(
            "SELECT count() FROM declared_sessions FINAL WHERE cinema_bin = '{cinema}'"
        ))
        .trim()
        .parse::<usize>()
        .unwrap_or(0)
    };
    // 4 of the honest cinema's, 6 of the dishonest one's (the bad two are refused).
    assert!(
        wait_until(Duration::from_secs(60), || count(HONEST) == 4
            && count(DISHONEST) == 6),
        "declarations were not stored"
    );
    // D5: a session that starts after the dishonest cinema began declaring and is declared
    // only once it has started → undeclared_session, its gross. The declaration says it was
    // made the day before, and its producer backdates the message too: the stored arrival is
    // when ekino received it, not what the sender wrote.
    let since: i64 = env
        .sql(&format!(
            "SELECT toInt64(min(arrived_at)) FROM declared_sessions WHERE cinema_bin = '{DISHONEST}'"
        ))
        .trim()
        .parse()
        .unwrap();
    let d5_start = DateTime::from_timestamp(since.max(now.timestamp()) + 2, 0).unwrap();
    assert!(
        wait_until(Duration::from_secs(10), || Utc::now()
            > d5_start + Span::seconds(1)),
        "the clock did not pass D5's start"
    );
    let mut late = Traffic {
        declarations: Vec::new(),
        tickets: Vec::new(),
        now,
    };
    late.declare(
        DISHONEST,
        "2",
        "D5",
        d5_start,
        60,
        "scheduled",
        d5_start - Span::days(1),
    );
    produce_at(
        &sessions_topic,
        &late.declarations,
        Some(d5_start - Span::days(1)),
    );
    t.sales(DISHONEST, "2", "D5", d5_start, 5, None);
    produce(&env.name, &t.tickets);
    produce(&format!("{}.partners", env.name), &partner_records);
    // Kassa24 sold 6 of D2's tickets, which the cinema reported as box-office sales (none
    // through a partner) → partner_gap, 6 × 2,500.00 at stake. It sends them through the API;
    // a record in Ticketon's name with Kassa's key is refused and kept.
    partner_records.clear();
    let body = [
        order("KASSA", "K1", DISHONEST, "D2", local(day1, 19, 0), 4, now).1,
        order("KASSA", "K2", DISHONEST, "D2", local(day1, 19, 0), 2, now).1,
        order(
            "TICKETON",
            "T9",
            DISHONEST,
            "D2",
            local(day1, 19, 0),
            9,
            now,
        )
        .1,
    ]
    .join("\n");
    let (status, reply) = post(
        &base,
        "/v1/partner/sales",
        &kassa_key,
        "application/x-ndjson",
        &body,
    );
    assert_eq!(status, 200, "{reply}");
    assert_eq!(
        (reply["accepted"].clone(), reply["rejected"].clone()),
        (json!(2), json!(1)),
        "{reply}"
    );
    assert_eq!(
        (
            reply["lines"][2]["reason"].clone(),
            reply["lines"][0]["order_id"].clone()
        ),
        (json!("foreign_partner"), json!("K1"))
    );

    // An inspector counts 70 people in D1 (63 admissions stored) and exactly the 100 of H1.
    let count = |cinema: &str, session: &str, n: u32| {
        let body = json!({"cinema_bin": cinema, "day": day1.to_string(), "screening_id": session, "count": n, "note": "counted at the door"});
        post(
            &base,
            "/v1/head-counts",
            &ministry,
            "application/json",
            &body.to_string(),
        )
    };
    let (status, saved) = count(DISHONEST, "D1", 70);
    assert_eq!(
        (status, saved["count"].clone()),
        (200, json!(70)),
        "{saved}"
    );
    assert_eq!(count(HONEST, "H1", 100).0, 200);
    let (status, refused) = count(HONEST, "H1", 5001);
    assert_eq!(
        (status, refused["field"].clone()),
        (400, json!("count")),
        "{refused}"
    );
    // A count is of a running session: not of one a week away (a count written 3.0 is 3).
    let far = json!({"cinema_bin": HONEST, "day": (today + chrono::Days::new(7)).to_string(), "screening_id": "H1", "count": 3.0});
    let (status, refused) = post(
        &base,
        "/v1/head-counts",
        &ministry,
        "application/json",
        &far.to_string(),
    );
    assert_eq!(
        (status, refused["field"].clone()),
        (422, json!("day")),
        "{refused}"
    );
    assert_eq!(post(&base, "/v1/head-counts", &honest_key, "application/json", &json!({"cinema_bin": HONEST, "day": day1.to_string(), "screening_id": "H1", "count": 1}).to_string()).0, 404);

    let want: BTreeSet<(String, String, String)> = [
        ("over_capacity", "D1"),
        ("seat_sold_twice", "D2"),
        ("overlapping_sessions", "D3"),
        ("late_night_full", "D4"),
        ("undeclared_session", "D5"),
        ("cancelled_session_sold", "D6"),
        ("partner_gap", "D2"),
        ("head_count_gap", "D1"),
    ]
    .into_iter()
    .map(|(k, s)| (DISHONEST.to_owned(), k.to_owned(), s.to_owned()))
    .collect();
    let range = format!("from={}&to={}", today - chrono::Days::new(1), day1);
    let mut last = Value::Null;
    let settled = wait_until(Duration::from_secs(120), || {
        let (status, list) = get(&base, &format!("/v1/signals?{range}"), &ministry);
        let ok = status == 200 && found(&list) == want;
        last = list;
        ok
    });
    assert!(settled, "signals never became the planted ones: {last:#}");

    // The evidence, worked out above.
    let over = signal(&last, "over_capacity");
    assert_eq!(over["evidence"], json!({"admissions": 63, "seats": 60}));
    assert_eq!(over["gross_at_stake"], json!("7500.00"));
    assert_eq!(over["hall"], "1");
    assert_eq!(over["day"], day1.to_string());
    let twice = signal(&last, "seat_sold_twice");
    assert_eq!(
        twice["evidence"]["seats"],
        json!([{"row": "E", "number": "5", "count": 2}])
    );
    assert_eq!(twice["gross_at_stake"], json!("2500.00"));
    assert_eq!(
        signal(&last, "overlapping_sessions")["evidence"]["other_screening_id"],
        "D2"
    );
    let night = signal(&last, "late_night_full");
    assert_eq!(night["evidence"]["admissions"], 54);
    assert_eq!(night["evidence"]["starts"], "02:00");
    assert_eq!(
        night["gross_at_stake"],
        json!(format!("{}.00", 54 * PRICE_TIYN / 100))
    );
    let undeclared = signal(&last, "undeclared_session");
    assert_eq!(undeclared["evidence"]["admissions"], 5);
    assert_eq!(
        undeclared["day"],
        schemas::time::box_office_day(d5_start).to_string()
    );
    assert_eq!(
        signal(&last, "cancelled_session_sold")["evidence"]["admissions"],
        4
    );
    let gap = signal(&last, "partner_gap");
    assert_eq!(
        gap["evidence"],
        json!({"partner_tickets": 6, "partner_gross_tiyn": 6 * PRICE_TIYN,
               "reported_partner_admissions": 0, "partners": ["KASSA"]})
    );
    assert_eq!(gap["gross_at_stake"], json!("15000.00"));
    let counted = signal(&last, "head_count_gap");
    assert_eq!(counted["evidence"]["head_count"], 70);
    assert_eq!(counted["evidence"]["admissions"], 63);
    // 7 people more than stored, at D1's average price of 2,500.00.
    assert_eq!(counted["gross_at_stake"], json!("17500.00"));
    assert_eq!(last["total"], 8);
    // Paged: three pages of 3, 3 and 2 signals hold the eight once each, in the list's order,
    // and every page states the total and the gross at stake of all eight.
    let all_at_stake: i64 = last["signals"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| {
            let t = g["gross_at_stake"].as_str().unwrap().replace('.', "");
            t.parse::<i64>().unwrap()
        })
        .sum();
    let mut paged = Vec::new();
    for (page, size) in [(1, 3), (2, 3), (3, 2), (4, 0)] {
        let (status, p) = get(
            &base,
            &format!("/v1/signals?{range}&page={page}&page_size=3"),
            &ministry,
        );
        assert_eq!(status, 200, "{p}");
        assert_eq!(
            p["signals"].as_array().unwrap().len(),
            size,
            "page {page}: {p:#}"
        );
        assert_eq!(
            (p["total"].clone(), p["page"].clone()),
            (json!(8), json!(page))
        );
        assert_eq!(
            p["gross_at_stake"],
            json!(format!("{}.{:02}", all_at_stake / 100, all_at_stake % 100))
        );
        paged.extend(p["signals"].as_array().unwrap().iter().cloned());
    }
    assert_eq!(&paged, last["signals"].as_array().unwrap());
    for bad in ["page=0", "page_size=0", "page_size=1001"] {
        let (status, _) = get(&base, &format!("/v1/signals?{range}&{bad}"), &ministry);
        assert_eq!(status, 400, "{bad}");
    }
    // The public chart of tomorrow reads seats from the declared sessions in force, not
    // cancelled: H1, H2 (its later declaration), H3, D1, D2, D3, D4 — 7 shows of 40 seats, all
    // F1's, at 2 cinemas (D5 is today's, D6 cancelled). F1 counted 160 admissions at the
    // honest cinema (100 + 39 + 1 − 1 + 1 + 20) and 132 at the other (63 + 11 + 54 + 4, the
    // cancelled session's included: occupancy is read per cinema and day): 292 of 280 seats.
    let mut chart = Value::Null;
    let seated = wait_until(Duration::from_secs(30), || {
        chart = get(&base, &format!("/v1/box-office/daily?date={day1}"), "").1;
        chart["films"][0]["occupancy"] == "1.0429"
    });
    assert!(seated, "{chart:#}");
    assert_eq!(chart["declaring_cinemas"], 2);
    assert_eq!(
        (
            chart["films"][0]["shows_share"].clone(),
            chart["films"][0]["seats_share"].clone()
        ),
        (json!("1"), json!("1"))
    );
    // Ticketon's order O1, sent twice, is one row.
    assert_eq!(
        env.sql("SELECT count(), sum(tickets) FROM partner_sales FINAL WHERE partner_id = 'TICKETON' FORMAT TSV").trim(),
        "2\t10"
    );

    // Each cinema sees its own; the honest one has none and cannot see the other's.
    let (status, own) = get(
        &base,
        &format!("/v1/cinemas/{DISHONEST}/signals?{range}"),
        &dishonest_key,
    );
    assert_eq!((status, found(&own)), (200, want.clone()));
    let (status, honest) = get(
        &base,
        &format!("/v1/cinemas/{HONEST}/signals?{range}"),
        &honest_key,
    );
    assert_eq!(
        (status, honest["total"].clone()),
        (200, json!(0)),
        "{honest}"
    );
    let (status, _) = get(
        &base,
        &format!("/v1/cinemas/{DISHONEST}/signals?{range}"),
        &honest_key,
    );
    assert_eq!(status, 404);
    let (status, one_kind) = get(
        &base,
        &format!("/v1/signals?{range}&kind=over_capacity"),
        &ministry,
    );
    assert_eq!((status, one_kind["total"].clone()), (200, json!(1)));
    let (status, refused) = get(&base, &format!("/v1/signals?{range}&kind=ghost"), &ministry);
    assert_eq!(status, 400, "{refused}");

    // The cinema explains one of its signals; the ministry reads it beside the signal. Only
    // the cinema itself may, and only of a signal in force.
    let why = json!({"kind": "over_capacity", "day": day1.to_string(), "screening_id": "D1", "text": "Залға 3 қосымша орындық қойылды."}).to_string();
    let path = format!("/v1/cinemas/{DISHONEST}/signals/explanations");
    assert_eq!(
        post(&base, &path, &honest_key, "application/json", &why).0,
        404
    );
    assert_eq!(
        post(&base, &path, &ministry, "application/json", &why).0,
        404
    );
    let (status, said) = post(&base, &path, &dishonest_key, "application/json", &why);
    assert_eq!(status, 200, "{said}");
    let ghost = json!({"kind": "over_capacity", "day": day1.to_string(), "screening_id": "D2", "text": "?"}).to_string();
    let (status, refused) = post(&base, &path, &dishonest_key, "application/json", &ghost);
    assert_eq!(
        (status, refused["field"].clone()),
        (422, json!("screening_id")),
        "{refused}"
    );
    let (_, listed) = get(
        &base,
        &format!("/v1/signals?{range}&kind=over_capacity"),
        &ministry,
    );
    assert_eq!(
        listed["signals"][0]["explanation"]["text"], "Залға 3 қосымша орындық қойылды.",
        "{listed}"
    );
    let (_, others) = get(
        &base,
        &format!("/v1/signals?{range}&kind=seat_sold_twice"),
        &ministry,
    );
    assert_eq!(others["signals"][0]["explanation"], Value::Null, "{others}");

    cases_from_the_planted_signals(&env, &base, [&ministry, &honest_key, &dishonest_key], day1);

    // The CLI answers the same.
    let cli = env.json(&[
        "report",
        "signals",
        "--from",
        &(today - chrono::Days::new(1)).to_string(),
        "--to",
        &day1.to_string(),
        "--json",
    ]);
    assert_eq!(found(&cli), want);

    // D5's arrival is when ekino received it, not the day before its sender wrote.
    let arrived: i64 = env
        .sql("SELECT toInt64(arrived_at) FROM declared_sessions FINAL WHERE screening_id = 'D5'")
        .trim()
        .parse()
        .unwrap();
    assert!(
        arrived >= now.timestamp() - 60,
        "arrival {arrived} is the sender's time, not the broker's (now {})",
        now.timestamp()
    );

    // A cinema declares through the API too, as CSV: its own session is taken and produced,
    // a row for another cinema is refused and kept, never produced.
    let (start, end) = (local(day1, 12, 0), local(day1, 13, 30));
    let csv = format!(
        "cinema_bin;hall;screening_id;film_id;show_start;ends_at;seats_on_sale;status;declared_at\n\
         {HONEST};2;H4;F1;{s};{e};50;scheduled;{d}\n{DISHONEST};2;X1;F1;{s};{e};50;scheduled;{d}\n",
        s = rfc(start),
        e = rfc(end),
        d = rfc(now)
    );
    let (status, reply) = post(&base, "/v1/sessions", &honest_key, "text/csv", &csv);
    assert_eq!(status, 200, "{reply}");
    assert_eq!(
        (reply["accepted"].clone(), reply["rejected"].clone()),
        (json!(1), json!(1)),
        "{reply}"
    );
    assert_eq!(reply["lines"][0]["screening_id"], "H4");
    assert_eq!(
        (
            reply["lines"][1]["line"].clone(),
            reply["lines"][1]["reason"].clone()
        ),
        (json!(3), json!("foreign_cinema"))
    );
    let (status, reply) = post(
        &base,
        "/v1/sessions",
        &honest_key,
        "application/x-ndjson",
        "{\"schema\":\"ekino.session/1\"}",
    );
    assert_eq!(
        (status, reply["lines"][0]["reason"].clone()),
        (422, json!("missing_field")),
        "{reply}"
    );
    assert!(
        wait_until(Duration::from_secs(60), || env
            .sql("SELECT count() FROM declared_sessions FINAL WHERE screening_id = 'H4'")
            .trim()
            == "1"),
        "the uploaded declaration never reached declared_sessions"
    );
    assert_eq!(
        env.sql("SELECT count() FROM declared_sessions FINAL WHERE screening_id = 'X1'")
            .trim(),
        "0"
    );

    // Both declarations of H2 are kept; the bad ones are kept with their reasons.
    assert_eq!(
        env.sql(&format!("SELECT count() FROM declared_sessions FINAL WHERE cinema_bin = '{HONEST}' AND screening_id = 'H2'")).trim(),
        "2"
    );
    let reasons = env.sql(&format!(
        "SELECT reason, field FROM rejected_events FINAL WHERE kafka_topic = '{}.sessions' ORDER BY reason FORMAT TSV",
        env.name
    ));
    assert_eq!(
        reasons.trim(),
        "foreign_cinema\tcinema_bin\ninvalid_status\tstatus",
        "{reasons}"
    );
}

/// The ministry opens a case from three of the dishonest cinema's signals, writes to it in
/// Kazakh, the cinema answers, the ministry fines it; each step only in its turn, each case
/// seen only by its cinema and the ministry. The estimates are worked out by hand from the
/// evidence checked above (README, "Cases").
fn cases_from_the_planted_signals(env: &TestEnv, base: &str, keys: [&str; 3], day1: NaiveDate) {
    let [ministry, honest_key, dishonest_key] = keys;
    let day = day1.to_string();
    let pick =
        |kind: &str, session: &str| json!({"kind": kind, "day": day, "screening_id": session});
    let body = json!({
        "cinema_bin": DISHONEST,
        "signals": [pick("over_capacity", "D1"), pick("head_count_gap", "D1"), pick("partner_gap", "D2"), pick("partner_gap", "D2")],
        "note": "D1 and D2 tomorrow"
    })
    .to_string();
    // Only the ministry opens cases, and only on signals in force.
    assert_eq!(
        post(base, "/v1/cases", honest_key, "application/json", &body).0,
        404
    );
    let ghost = json!({"cinema_bin": HONEST, "signals": [pick("over_capacity", "D1")]}).to_string();
    let (status, refused) = post(base, "/v1/cases", ministry, "application/json", &ghost);
    assert_eq!(
        (status, refused["field"].clone()),
        (422, json!("signals[0]")),
        "{refused}"
    );

    let (status, case) = post(base, "/v1/cases", ministry, "application/json", &body);
    assert_eq!(status, 200, "{case}");
    let id = case["case_id"].as_str().unwrap().to_owned();
    assert!(id.starts_with("CS-"), "{id}");
    assert_eq!(case["state"], "open");
    // The repeated partner_gap counts once; the evidence is the signal's.
    assert_eq!(case["signals"].as_array().unwrap().len(), 3, "{case}");
    assert_eq!(
        case["signals"][0]["evidence"],
        json!({"admissions": 63, "seats": 60})
    );
    // D1: the larger of 7,500.00 (over capacity) and 17,500.00 (head count) — both describe
    // its tickets; D2: 15,000.00. Only the head count and the partner gap hide sales; a cinema
    // without VAT, no agreement: half of that is the distributors'.
    assert_eq!(case["gross_in_doubt"], "32500.00");
    assert_eq!(case["unreported_gross"], "32500.00");
    assert_eq!(case["withheld_rentals"], "16250.00");

    let path = format!("/v1/cases/{id}");
    let step = |key: &str, what: &str, body: Value| {
        post(
            base,
            &format!("{path}/{what}"),
            key,
            "application/json",
            &body.to_string(),
        )
    };
    // Nothing to answer yet, and no sanction without a notice.
    let (status, refused) = step(dishonest_key, "replies", json!({"text": "ok"}));
    assert_eq!(status, 409, "{refused}");
    let (status, refused) = step(ministry, "decision", json!({"decision": "fine"}));
    assert_eq!(status, 409, "{refused}");
    let (status, refused) = step(ministry, "decision", json!({"decision": "ghost"}));
    assert_eq!((status, refused["field"].clone()), (422, json!("decision")));
    let (status, refused) = step(ministry, "notices", json!({"lang": "en", "text": "hello"}));
    assert_eq!((status, refused["field"].clone()), (400, json!("lang")));

    let letter = "Құрметті кинотеатр!\nD1 сеансында 70 адам саналды, 63 көрермен хабарланды.";
    let (status, notified) = step(ministry, "notices", json!({"lang": "kk", "text": letter}));
    assert_eq!(
        (status, notified["state"].clone()),
        (200, json!("notified")),
        "{notified}"
    );
    // Another cinema cannot see it or answer it; its own cinema sees the letter as written,
    // not which of the ministry's keys wrote it.
    assert_eq!(get(base, &path, honest_key).0, 404);
    assert_eq!(step(honest_key, "replies", json!({"text": "x"})).0, 404);
    let (status, seen) = get(base, &path, dishonest_key);
    assert_eq!(status, 200, "{seen}");
    assert_eq!(seen["steps"][1]["text"], letter);
    assert_eq!(seen["steps"][1]["lang"], "kk");
    assert_eq!(seen["steps"][1]["by"], "");
    let (status, answered) = step(
        dishonest_key,
        "replies",
        json!({"text": "Есік санағы қате болды."}),
    );
    assert_eq!(
        (status, answered["state"].clone()),
        (200, json!("answered")),
        "{answered}"
    );
    let (status, decided) = step(
        ministry,
        "decision",
        json!({"decision": "fine", "amount": "150000.00", "note": "2 signals confirmed"}),
    );
    assert_eq!(status, 200, "{decided}");
    assert_eq!(
        (decided["state"].clone(), decided["decision"].clone()),
        (json!("decided"), json!("fine"))
    );
    assert_eq!(decided["steps"][3]["amount"], "150000.00");
    let kinds: Vec<&str> = decided["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["step"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["opened", "notice", "reply", "decision"]);
    // One decision ends it.
    assert_eq!(
        step(ministry, "notices", json!({"lang": "ru", "text": "ещё"})).0,
        409
    );
    assert_eq!(
        step(dishonest_key, "replies", json!({"text": "ещё"})).0,
        409
    );

    // The lists: the ministry's by state, each cinema its own.
    let (status, decided_list) = get(base, "/v1/cases?state=decided", ministry);
    assert_eq!(status, 200);
    assert_eq!(decided_list["cases"][0]["case_id"], id.as_str());
    let (_, open_list) = get(base, "/v1/cases?state=open", ministry);
    assert_eq!(open_list["cases"], json!([]));
    let (_, own) = get(
        base,
        &format!("/v1/cinemas/{DISHONEST}/cases"),
        dishonest_key,
    );
    assert_eq!(own["cases"].as_array().map(Vec::len), Some(1), "{own}");
    let (_, none) = get(base, &format!("/v1/cinemas/{HONEST}/cases"), honest_key);
    assert_eq!(none["cases"], json!([]));
    assert_eq!(
        get(base, &format!("/v1/cinemas/{DISHONEST}/cases"), honest_key).0,
        404
    );
    // Every step is an audited request.
    let audited = || {
        env.sql(&format!(
            "SELECT count() FROM {}.api_audit WHERE method = 'POST' AND path LIKE '/v1/cases%' AND status = 200",
            env.app_db()
        ))
        .trim()
        .to_owned()
    };
    assert!(
        wait_until(Duration::from_secs(30), || audited() == "4"),
        "audited case steps: {}",
        audited()
    );
}

/// A valid BIN for the `n`-th cinema of a test (11 digits from `n`, then the check digit).
fn bin_of(n: u32) -> String {
    (0..10)
        .find_map(|k| schemas::Bin::from_prefix(&format!("77{n:06}{k:03}")))
        .unwrap()
        .to_string()
}

/// Outliers against the region, worked by hand (README, "Signals"; thresholds at their
/// defaults but `regional_min_sales` 10). Every cinema declares its sessions for two hours
/// from now and sells 20 tickets at 2,500.00 for one of them, on one box-office day D (so the
/// window of D holds D only).
/// - Karaganda, 12 cinemas: nine ordinary (one session of 40 seats, 20 sold: no refund,
///   2,500.00, occupancy 50 %); R refunds 5 of its 20 (25 %; 15 of 40 seated, 37.5 %); P sells
///   at 1,000.00; O declares four sessions of 40 seats (160) and sells 20 (12.5 %).
///   Refund rates: eleven at 0 and 25 %: median 0, a signal from 5 % (the larger of 0 × 3 and
///   0 + 5 points): R. Prices: eleven at 2,500.00 and 1,000.00: median 2,500.00, a signal
///   below 1,250.00: P. Occupancy: 12.5 %, 37.5 %, ten at 50 %: median 50 %, a signal below
///   25 %: O (R's 37.5 % is not).
///   At stake on D: R's 5 refunds beyond 0 % at 2,500.00 = 12,500.00; P's 20 admissions at
///   1,500.00 short = 30,000.00; O's 160 seats at 50 % are 80 people, 20 reported: 60 at
///   2,500.00 = 150,000.00.
/// - Pavlodar, 9 cinemas: eight ordinary and one selling at 1,000.00 — fewer than ten
///   reporting cinemas, so nothing is judged there.
#[test]
fn outliers_against_a_region_of_ten_or_more_cinemas_are_found_and_a_smaller_region_is_not_judged() {
    let env = TestEnv::new("regional");
    let ministry = key(&env, "ministry", &[]);
    let (_api, base) = env.spawn_api(&[
        ("EKINO_API__SIGNALS__INTERVAL_MS", "300"),
        ("EKINO_API__SIGNALS__REGIONAL_INTERVAL_MS", "300"),
        ("EKINO_API__SIGNALS__REGIONAL_MIN_SALES", "10"),
    ]);
    let _ingest = Guard(env.spawn_ingest(&[]));
    let karaganda: Vec<String> = (1..=12).map(bin_of).collect();
    let pavlodar: Vec<String> = (13..=21).map(bin_of).collect();
    let (r, p, o) = (&karaganda[9], &karaganda[10], &karaganda[11]);
    let cheap_elsewhere = &pavlodar[8];
    let mut csv = String::from("bin,name,region,city,halls,seats,vat_payer\n");
    for (i, b) in karaganda.iter().enumerate() {
        csv.push_str(&format!("{b},K{i},Karaganda,Karaganda,4,160,false\n"));
    }
    for (i, b) in pavlodar.iter().enumerate() {
        csv.push_str(&format!("{b},P{i},Pavlodar,Pavlodar,4,160,false\n"));
    }
    let cinemas = env.dir.join("cinemas.csv");
    std::fs::write(&cinemas, csv).unwrap();
    env.run(&["registry", "load", "--cinemas", cinemas.to_str().unwrap()]);

    let now = Utc::now();
    let start = now + Span::hours(2);
    let day = schemas::time::box_office_day(start);
    let mut t = Traffic::at(now);
    for b in karaganda.iter().chain(&pavlodar) {
        let halls = if b == o { 4 } else { 1 };
        for h in 1..=halls {
            t.declare(
                b,
                &h.to_string(),
                &format!("S{h}"),
                start,
                120,
                "scheduled",
                now,
            );
        }
        let first = t.tickets.len();
        t.sales(b, "1", "S1", start, 20, None);
        if b == p || b == cheap_elsewhere {
            for ticket in &mut t.tickets[first..] {
                ticket.1 = ticket.1.replace("\"2500.00\"", "\"1000.00\"");
            }
        }
        if b == r {
            let sold: Vec<String> = t.tickets[first..first + 5]
                .iter()
                .map(|(_, v)| {
                    serde_json::from_str::<Value>(v).unwrap()["event_id"]
                        .as_str()
                        .unwrap()
                        .to_owned()
                })
                .collect();
            for id in sold {
                t.refund(&id);
            }
        }
    }
    produce(&format!("{}.sessions", env.name), &t.declarations);
    let declared = wait_until(Duration::from_secs(60), || {
        env.sql("SELECT count() FROM declared_sessions FINAL")
            .trim()
            == "24"
    });
    assert!(declared, "the 24 declarations were not stored");
    produce(&env.name, &t.tickets);

    let want: BTreeSet<(String, String, String)> = [
        (r, "refund_rate_outlier"),
        (p, "average_price_outlier"),
        (o, "occupancy_outlier"),
    ]
    .into_iter()
    .map(|(b, k)| (b.clone(), k.to_owned(), String::new()))
    .collect();
    let range = format!("from={day}&to={day}");
    let mut last = Value::Null;
    let settled = wait_until(Duration::from_secs(120), || {
        let (_, list) = get(&base, &format!("/v1/signals?{range}"), &ministry);
        let ok = found(&list) == want;
        last = list;
        ok
    });
    assert!(settled, "the outliers never showed alone: {last:#}");
    let refunds = signal(&last, "refund_rate_outlier");
    assert_eq!(
        (
            refunds["evidence"]["rate_bp"].clone(),
            refunds["evidence"]["region_median_bp"].clone(),
            refunds["evidence"]["threshold_bp"].clone(),
            refunds["evidence"]["cinemas"].clone(),
            refunds["evidence"]["region"].clone(),
            refunds["gross_at_stake"].clone(),
        ),
        (
            json!(2500),
            json!(0),
            json!(500),
            json!(12),
            json!("KZ-35"),
            json!("12500.00")
        ),
        "{refunds:#}"
    );
    let price = signal(&last, "average_price_outlier");
    assert_eq!(
        (
            price["evidence"]["price_tiyn"].clone(),
            price["evidence"]["region_median_tiyn"].clone(),
            price["evidence"]["threshold_tiyn"].clone(),
            price["gross_at_stake"].clone(),
        ),
        (
            json!(100_000),
            json!(250_000),
            json!(125_000),
            json!("30000.00")
        ),
        "{price:#}"
    );
    let occupancy = signal(&last, "occupancy_outlier");
    assert_eq!(
        (
            occupancy["evidence"]["occupancy_bp"].clone(),
            occupancy["evidence"]["seats"].clone(),
            occupancy["evidence"]["region_median_bp"].clone(),
            occupancy["evidence"]["threshold_bp"].clone(),
            occupancy["gross_at_stake"].clone(),
        ),
        (
            json!(1250),
            json!(160),
            json!(5000),
            json!(2500),
            json!("150000.00")
        ),
        "{occupancy:#}"
    );

    // One kind asked for: that kind only.
    let (status, one) = get(
        &base,
        &format!("/v1/signals?{range}&kind=average_price_outlier"),
        &ministry,
    );
    assert_eq!(
        (status, found(&one)),
        (
            200,
            [(p.clone(), "average_price_outlier".to_owned(), String::new())].into()
        ),
        "{one:#}"
    );

    // The cheap cinema's tickets were keyed wrong: it voids them all and sells them again at
    // 2,500.00. Its price is the region's now, and its signal goes; the others stay.
    let again: Vec<(String, String)> = (0..20)
        .map(|_| {
            let mut fair = Traffic::at(now);
            fair.sale(p, "1", "S1", start, None);
            fair.tickets.remove(0)
        })
        .collect();
    let voids: Vec<(String, String)> = t
        .tickets
        .iter()
        .filter(|(b, v)| b == p && v.contains("\"1000.00\""))
        .map(|(b, v)| {
            let id = serde_json::from_str::<Value>(v).unwrap()["event_id"].as_str().unwrap().to_owned();
            (b.clone(), json!({"schema": "ekino.ticket/1", "event_id": uuid::Uuid::new_v4().to_string(), "type": "void", "cinema_bin": b, "occurred_at": rfc(now), "voids": id, "reason": "price keyed wrong"}).to_string())
        })
        .collect();
    produce(&env.name, &voids);
    produce(&env.name, &again);
    let gone = wait_until(Duration::from_secs(120), || {
        let (_, list) = get(&base, &format!("/v1/signals?{range}"), &ministry);
        let ok = !found(&list).iter().any(|(b, _, _)| b == p);
        last = list;
        ok
    });
    assert!(
        gone,
        "the cheap cinema's signal stayed after its fair prices: {last:#}"
    );
    assert_eq!(found(&last).len(), 2, "{last:#}");
}

/// Halls written one at a time through the API (`PUT`/`DELETE /v1/cinemas/{bin}/halls/{hall}`)
/// are what the seat rules use: a session of 5 admissions in hall "1" is no signal while the
/// hall is unregistered, over capacity once the ministry registers it with 3 seats (evidence:
/// 5 admissions, 3 seats), not any more at 10 seats, and none once the hall is removed. The
/// cinema reads its own halls, not another's; only the ministry writes; every version is in
/// the cinema's history.
#[test]
fn halls_written_through_the_api_are_what_the_seat_rules_use() {
    let env = TestEnv::new("halls");
    let ministry = key(&env, "ministry", &[]);
    let own = key(&env, "cinema", &["--bin", HONEST]);
    let other = key(&env, "cinema", &["--bin", DISHONEST]);
    let (_api, base) = spawn_api(&env);
    let _ingest = Guard(env.spawn_ingest(&[]));
    let now = Utc::now();
    // Tomorrow at 15:00 in Kazakhstan, whatever the hour of the run: a session two hours
    // ahead started after midnight in an evening run and was (rightly) late-night-full too.
    let kz = schemas::time::kz_offset();
    let start = (now.with_timezone(&kz).date_naive() + chrono::Days::new(1))
        .and_hms_opt(15, 0, 0)
        .unwrap()
        .and_local_timezone(kz)
        .unwrap()
        .with_timezone(&Utc);
    let day = schemas::time::box_office_day(start);
    let mut t = Traffic::at(now);
    t.sales(HONEST, "1", "H1", start, 5, None);
    produce(&env.name, &t.tickets);
    let stored = wait_until(Duration::from_secs(60), || {
        env.sql("SELECT count() FROM ticket_events FINAL").trim() == "5"
    });
    assert!(stored, "the 5 sales were not stored");
    let range = format!("from={day}&to={day}");
    let kinds = |list: &Value| {
        found(list)
            .into_iter()
            .map(|(_, k, _)| k)
            .collect::<Vec<_>>()
    };
    let settle = |want: Vec<String>| {
        let mut last = Value::Null;
        let ok = wait_until(Duration::from_secs(60), || {
            last = get(&base, &format!("/v1/signals?{range}"), &ministry).1;
            kinds(&last) == want
        });
        assert!(ok, "wanted {want:?}: {last:#}");
        last
    };
    let hall = |method: &str, key: &str, body: Option<&str>| {
        send(
            method,
            &base,
            &format!("/v1/cinemas/{HONEST}/halls/1"),
            key,
            body,
        )
    };

    // Only the ministry writes a hall; a cinema's key gets 404, as for every ministry route.
    assert_eq!(hall("PUT", &own, Some(r#"{"seats": 3}"#)).0, 404);
    let (status, saved) = hall("PUT", &ministry, Some(r#"{"seats": 3, "name": "Зал 1"}"#));
    assert_eq!(
        (status, saved["saved"].clone(), saved["id"].clone()),
        (200, json!("hall"), json!(format!("{HONEST}/1"))),
        "{saved}"
    );
    let over = settle(vec!["over_capacity".to_owned()]);
    assert_eq!(
        signal(&over, "over_capacity")["evidence"],
        json!({"admissions": 5, "seats": 3})
    );
    // Refused, with the field named: no seats, a hall of 5,001.
    let (status, refused) = hall("PUT", &ministry, Some(r#"{"seats": 5001}"#));
    assert_eq!(
        (status, refused["field"].clone()),
        (400, json!("seats")),
        "{refused}"
    );
    assert_eq!(hall("PUT", &ministry, Some(r#"{"seats": 10}"#)).0, 200);
    settle(Vec::new());
    let (status, halls) = get(&base, &format!("/v1/cinemas/{HONEST}/halls"), &own);
    assert_eq!(
        (status, halls["halls"].clone(), halls["seats"].clone()),
        (
            200,
            json!([{"hall": "1", "name": "", "seats": 10}]),
            json!(10)
        ),
        "{halls}"
    );
    assert_eq!(
        get(&base, &format!("/v1/cinemas/{HONEST}/halls"), &other).0,
        404
    );
    // Back to 3 seats, then removed: the signal comes back, then goes for good.
    assert_eq!(hall("PUT", &ministry, Some(r#"{"seats": 3}"#)).0, 200);
    settle(vec!["over_capacity".to_owned()]);
    let (status, removed) = hall("DELETE", &ministry, None);
    assert_eq!(
        (status, removed["saved"].clone()),
        (200, json!("hall_removed")),
        "{removed}"
    );
    settle(Vec::new());
    assert_eq!(
        hall("DELETE", &ministry, None).0,
        404,
        "a removed hall is not there to remove"
    );
    let (_, halls) = get(&base, &format!("/v1/cinemas/{HONEST}/halls"), &ministry);
    assert_eq!(halls["halls"], json!([]), "{halls}");
    let (_, history) = get(&base, &format!("/v1/cinemas/{HONEST}/history"), &ministry);
    let versions: Vec<(String, Value, Value)> = history["versions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            (
                v["entity"].as_str().unwrap().to_owned(),
                v["record"]["seats"].clone(),
                v["record"]["deleted"].clone(),
            )
        })
        .collect();
    assert_eq!(
        versions,
        [(3, 0), (10, 0), (3, 0), (3, 1)]
            .into_iter()
            .map(|(seats, deleted)| ("hall".to_owned(), json!(seats), json!(deleted)))
            .collect::<Vec<_>>(),
        "{history:#}"
    );
}

/// The demo's dishonest cinema (`ekino simulate --plant-signals`): amid ordinary simulated
/// traffic, whose cinemas declare nothing and are held to nothing, the planted cinema shows
/// the seven kinds its sessions and the simulated online seller's order were made for
/// (simulate/planted.rs says which session is which).
#[test]
fn the_simulators_planted_cinema_shows_each_kind_it_was_made_for() {
    let env = TestEnv::new("planted");
    let ministry = env
        .run(&["keys", "create", "--role", "ministry"])
        .trim()
        .to_owned();
    let (_api, base) = spawn_api(&env);
    let _ingest = Guard(env.spawn_ingest(&[]));
    env.simulate(&[
        "--days",
        "1",
        "--seed",
        "5",
        "--max-events",
        "3000",
        "--plant-signals",
    ]);
    env.run(&[
        "registry",
        "load",
        "--dir",
        env.dir.join("sim").to_str().unwrap(),
    ]);
    let today = schemas::time::box_office_day(Utc::now());
    let range = format!(
        "from={}&to={}",
        today - chrono::Days::new(2),
        today + chrono::Days::new(1)
    );
    let want: BTreeSet<(String, String)> = [
        ("over_capacity", "PLANT-OVER"),
        ("seat_sold_twice", "PLANT-TWICE"),
        ("overlapping_sessions", "PLANT-OVERLAP"),
        ("late_night_full", "PLANT-NIGHT"),
        ("cancelled_session_sold", "PLANT-CANCELLED"),
        ("undeclared_session", "PLANT-UNDECLARED"),
        ("partner_gap", "PLANT-PARTNER"),
    ]
    .into_iter()
    .map(|(k, s)| (k.to_owned(), s.to_owned()))
    .collect();
    let mut last = Value::Null;
    let settled = wait_until(Duration::from_secs(120), || {
        let (_, list) = get(&base, &format!("/v1/signals?{range}"), &ministry);
        let kinds: BTreeSet<(String, String)> =
            found(&list).into_iter().map(|(_, k, s)| (k, s)).collect();
        last = list;
        kinds == want
    });
    assert!(settled, "the planted signals never showed alone: {last:#}");
    let cinemas: BTreeSet<&str> = last["signals"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["cinema_bin"].as_str().unwrap())
        .collect();
    assert_eq!(cinemas.len(), 1, "one cinema was planted: {cinemas:?}");
}

/// The demo's history (`ekino simulate --declare --ndjson` then `ekino backfill`): every
/// session declared, the tickets backfilled exactly as the ledger counts them, the chart's
/// seats read from the declarations, and ordinary cinemas — full schedules, busy evenings,
/// re-sent and invalid messages — show no signal at all. The one signal is an inspector's
/// head count above a session's admissions, posted after the backfill: once it shows, the
/// watcher has seen the whole history.
#[test]
fn a_declared_backfilled_history_of_honest_cinemas_has_no_signal() {
    let env = TestEnv::new("history");
    let ministry = env
        .run(&["keys", "create", "--role", "ministry"])
        .trim()
        .to_owned();
    // A fixed week on an injected clock: the history is a Saturday and a Sunday, "today" the
    // Monday after, whatever day the test runs (a quiet Monday as the last day once flagged
    // honest cinemas' thin occupancy against their region's).
    const NOW: &str = "2026-12-07T12:00:00+05:00";
    let (_api, base) = env.spawn_api(&[
        ("EKINO_API__SIGNALS__INTERVAL_MS", "300"),
        ("EKINO_API__SIGNALS__REGIONAL_INTERVAL_MS", "300"),
        ("EKINO_REPORTING__CLOCK_START", NOW),
    ]);
    let _ingest = Guard(env.spawn_ingest(&[("EKINO_REPORTING__CLOCK_START", NOW)]));
    let today = chrono::NaiveDate::from_ymd_opt(2026, 12, 7).unwrap();
    let (first, yesterday) = (today - chrono::Days::new(2), today - chrono::Days::new(1));
    let file = env.dir.join("history.ndjson");
    let ledger = env.simulate(&[
        "--start",
        &first.to_string(),
        "--days",
        "2",
        "--seed",
        "11",
        "--max-events",
        "30000",
        "--invalid-rate",
        "0.01",
        "--duplicate-rate",
        "0.01",
        "--declare",
        "--ndjson",
        file.to_str().unwrap(),
    ]);
    let sim = env.dir.join("sim");
    env.run(&["registry", "load", "--dir", sim.to_str().unwrap()]);
    let backfill = env.json(&["backfill", file.to_str().unwrap()]);
    let rejected: u64 = backfill["rejected"]
        .as_object()
        .unwrap()
        .values()
        .map(|n| n.as_u64().unwrap())
        .sum();
    assert_eq!(
        (
            backfill["accepted"].clone(),
            backfill["duplicates"].clone(),
            rejected
        ),
        (
            ledger["valid_events"].clone(),
            ledger["duplicates"].clone(),
            ledger["invalid"].as_u64().unwrap()
        ),
        "{backfill:#} {ledger:#}"
    );
    assert!(
        ledger["declared_sessions"].as_u64().unwrap() > 1000,
        "{ledger:#}"
    );
    let declared = wait_until(Duration::from_secs(60), || {
        env.sql("SELECT count() FROM declared_sessions FINAL FORMAT TSV")
            .trim()
            .parse::<u64>()
            .ok()
            == ledger["declared_sessions"].as_u64()
    });
    assert!(declared, "not every declaration was stored");

    // The first day's chart reads seats from every cinema's declarations, and no film fills
    // more seats than its shows had (the traffic stops at --max-events, so some fill few).
    let cinemas = std::fs::read_to_string(sim.join("cinemas.csv"))
        .unwrap()
        .lines()
        .count()
        - 1;
    let mut chart = Value::Null;
    let seated = wait_until(Duration::from_secs(30), || {
        chart = get(&base, &format!("/v1/box-office/daily?date={first}"), "").1;
        chart["declaring_cinemas"] == cinemas
    });
    assert!(seated, "{chart:#}");
    for f in chart["films"].as_array().unwrap() {
        let occupancy: f64 = f["occupancy"].as_str().unwrap().parse().unwrap();
        assert!((0.0..=1.0).contains(&occupancy), "{f:#}");
    }

    // An inspector counts 5 people more than one of yesterday's sessions admitted.
    let session = env.sql(&format!(
        "SELECT cinema_bin, screening_id, toString(sum(qty)) FROM ticket_events FINAL \
         WHERE day = toDate('{yesterday}') GROUP BY cinema_bin, screening_id \
         HAVING sum(qty) > 0 ORDER BY cinema_bin, screening_id LIMIT 1 FORMAT TSV"
    ));
    let cols: Vec<&str> = session.trim().split('\t').collect();
    let (bin, screening, admissions) = (cols[0], cols[1], cols[2].parse::<u64>().unwrap());
    let body = json!({"cinema_bin": bin, "day": yesterday.to_string(), "screening_id": screening,
                      "count": admissions + 5})
    .to_string();
    let (status, reply) = post(
        &base,
        "/v1/head-counts",
        &ministry,
        "application/json",
        &body,
    );
    assert_eq!(status, 200, "{reply}");
    let want: BTreeSet<(String, String, String)> = [(
        bin.to_owned(),
        "head_count_gap".to_owned(),
        screening.to_owned(),
    )]
    .into();
    let range = format!("from={first}&to={today}");
    let mut last = Value::Null;
    let settled = wait_until(Duration::from_secs(120), || {
        let (_, list) = get(&base, &format!("/v1/signals?{range}"), &ministry);
        let ok = found(&list).contains(&want.iter().next().unwrap().clone());
        last = list;
        ok
    });
    assert!(settled, "the head count never showed: {last:#}");
    assert_eq!(
        found(&last),
        want,
        "an honest cinema has a signal: {last:#}"
    );
}

/// Vendors' completeness (`GET /v1/vendors`), worked by hand. Two sessions that ended an
/// hour ago at each cinema, one that has not ended yet (not counted) and one cancelled (not
/// counted): the honest cinema ("Alpha") has tickets for both ended ones, the other ("Beta")
/// for one of its two. One malformed message keyed by Beta is refused. So Alpha: 2 of 2,
/// 100 %, rank 1, none of its 3 messages refused (a sale for the later session too); Beta: 1
/// of 2, 50 %, below 98 %, rank 2, one of its 2 messages refused. Sales happened 30 minutes
/// before they were sent: they arrived within the 2,048 s bucket (1,800 s plus the send).
#[test]
fn vendors_are_ranked_by_the_share_of_declared_sessions_with_tickets() {
    let env = TestEnv::new("vendors");
    let cinemas = env.dir.join("cinemas.csv");
    std::fs::write(
        &cinemas,
        format!("bin,name,region,city,halls,seats,vat_payer,vendor\n{HONEST},Honest,Almaty,Almaty,1,100,false,Alpha\n{DISHONEST},Dishonest,Astana,Astana,1,100,false,Beta\n"),
    )
    .unwrap();
    env.run(&["registry", "load", "--cinemas", cinemas.to_str().unwrap()]);
    let ministry = env
        .run(&["keys", "create", "--role", "ministry"])
        .trim()
        .to_owned();
    let (_api, base) = spawn_api(&env);
    let _ingest = Guard(env.spawn_ingest(&[]));
    let now = Utc::now();
    let mut t = Traffic {
        declarations: Vec::new(),
        tickets: Vec::new(),
        now,
    };
    let (ended, later) = (now - Span::hours(3), now + Span::hours(1));
    let before = now - Span::hours(5);
    for bin in [HONEST, DISHONEST] {
        t.declare(bin, "1", "E1", ended, 60, "scheduled", before);
        t.declare(
            bin,
            "1",
            "E2",
            ended + Span::minutes(70),
            60,
            "scheduled",
            before,
        );
        t.declare(bin, "1", "LATER", later, 60, "scheduled", before);
        t.declare(bin, "1", "GONE", ended, 30, "cancelled", before);
    }
    t.sale(HONEST, "1", "E1", ended, None);
    t.sale(HONEST, "1", "E2", ended + Span::minutes(70), None);
    t.sale(DISHONEST, "1", "E1", ended, None);
    t.sale(HONEST, "1", "LATER", later, None);
    produce(&format!("{}.sessions", env.name), &t.declarations);
    produce(&env.name, &t.tickets);
    produce(&env.name, &[(DISHONEST.to_owned(), "{not json".to_owned())]);
    let today = schemas::time::box_office_day(now);
    let range = format!(
        "from={}&to={}",
        today - chrono::Days::new(1),
        today + chrono::Days::new(1)
    );
    let mut last = Value::Null;
    let settled = wait_until(Duration::from_secs(60), || {
        last = get(&base, &format!("/v1/vendors?{range}"), &ministry).1;
        last["vendors"]
            .as_array()
            .map(|v| {
                v.iter()
                    .map(|v| v["score"]["sessions"].as_u64().unwrap_or(0))
                    .sum::<u64>()
                    == 4
                    && v.iter()
                        .map(|v| v["score"]["rejected"].as_u64().unwrap_or(0))
                        .sum::<u64>()
                        == 1
                    && v.iter()
                        .map(|v| v["score"]["events"].as_u64().unwrap_or(0))
                        .sum::<u64>()
                        == 4
            })
            .unwrap_or(false)
    });
    assert!(settled, "{last:#}");
    assert_eq!(last["target"], "0.98");
    let vendors: Vec<Value> = last["vendors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            json!([
                v["rank"],
                v["vendor"],
                v["score"]["sessions_with_tickets"],
                v["score"]["sessions"],
                v["score"]["completeness"],
                v["score"]["meets_target"],
                v["score"]["reject_rate"]
            ])
        })
        .collect();
    assert_eq!(
        vendors,
        vec![
            json!([1, "Alpha", 2, 2, "1", true, "0"]),
            json!([2, "Beta", 1, 2, "0.5", false, "0.5"]),
        ],
        "{last:#}"
    );
    let latencies: BTreeSet<u64> = last["vendors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["score"]["latency_p95_seconds"].as_u64().unwrap())
        .collect();
    assert_eq!(latencies, BTreeSet::from([2048]), "{last:#}");
    // `ekino report vendors` answers the same.
    let (from, to) = (
        (today - chrono::Days::new(1)).to_string(),
        (today + chrono::Days::new(1)).to_string(),
    );
    let cli = env.json(&["report", "vendors", "--from", &from, "--to", &to, "--json"]);
    assert_eq!(cli["vendors"], last["vendors"], "{cli:#}");
    // Only the ministry reads it; to others the route is not there.
    let cinema_key = env
        .run(&["keys", "create", "--role", "cinema", "--bin", HONEST])
        .trim()
        .to_owned();
    assert_eq!(
        get(&base, &format!("/v1/vendors?{range}"), &cinema_key).0,
        404
    );
}
