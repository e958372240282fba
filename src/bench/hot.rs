//! In-process figures: the per-event hot path next to a plain typed parse of the same bytes,
//! and the rebate engine on a 10,000-line claim.

use std::hint::black_box;
use std::time::Instant;

use chrono::{NaiveDate, Utc};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use schemas::event::wire::TicketEventWire;
use schemas::storage::{Origin, TicketRow};

use super::figure::Figure;
use crate::simulate::{model::Market, traffic::day_events};

pub fn sample_events(n: usize) -> Vec<Vec<u8>> {
    let day = NaiveDate::from_ymd_opt(2026, 11, 14).expect("date");
    let mut rng = ChaCha8Rng::seed_from_u64(5);
    let market = Market::generate(&mut rng, day, 1);
    let mut out: Vec<Vec<u8>> = day_events(&mut rng, &market, day, Utc::now())
        .into_iter()
        .take(n)
        .map(|e| e.to_json().into_bytes())
        .collect();
    while out.len() < n {
        let again = out[out.len() % out.len().max(1)].clone();
        out.push(again);
    }
    out
}

/// ns per event for `f` over all events, best of `rounds`.
fn time_per_event(events: &[Vec<u8>], rounds: usize, mut f: impl FnMut(&[u8])) -> f64 {
    (0..rounds)
        .map(|_| {
            let t = Instant::now();
            for e in events {
                f(e);
            }
            t.elapsed().as_nanos() as f64 / events.len() as f64
        })
        .fold(f64::INFINITY, f64::min)
}

fn live_policy() -> ingest::judge::Policy {
    ingest::judge::Policy {
        max_event_age_days: Some(400),
        correction_window_days: Some(14),
        reporting: schemas::clock::ReportingSettings::default(),
        backfill: false,
    }
}

/// The cinema a simulated event's JSON names (its Kafka key).
fn bin_of(payload: &[u8]) -> Vec<u8> {
    let at = payload
        .windows(14)
        .position(|w| w == b"\"cinema_bin\":\"")
        .expect("simulated json")
        + 14;
    payload[at..at + 12].to_vec()
}

pub fn hot_path(n: usize) -> Figure {
    let events = sample_events(n);
    let keys: Vec<Vec<u8>> = events.iter().map(|e| bin_of(e)).collect();
    let now = Utc::now();
    let origin = Origin {
        topic: "bench".into(),
        partition: 0,
        offset: 0,
    };
    let policy = live_policy();
    let ceiling = time_per_event(&events, 5, |b| {
        black_box(serde_json::from_slice::<TicketEventWire<'_>>(b).expect("valid"));
    });
    let decode_only = time_per_event(&events, 5, |b| {
        let e = schemas::event::decode(b, now).expect("valid");
        black_box(TicketRow::from_owned_event(e, &origin, now));
    });
    // The whole per-message path of ingest: decode, the key check, the memory of event ids
    // (re-send, conflict, refund binding), the storage row. A fresh memory each round.
    let ours = (0..5)
        .map(|_| {
            let mut book = ingest::judge::Book::default();
            let mut batch = ingest::batch::Batch::default();
            let t = Instant::now();
            for (i, (e, k)) in events.iter().zip(&keys).enumerate() {
                let m = ingest::judge::Message {
                    origin: Origin {
                        topic: "bench".into(),
                        partition: 0,
                        offset: i as i64,
                    },
                    key: Some(k),
                    payload: Some(e),
                };
                ingest::judge::judge(&mut book, &policy, &m, now, &mut batch);
            }
            let ns = t.elapsed().as_nanos() as f64 / events.len() as f64;
            black_box(batch);
            ns
        })
        .fold(f64::INFINITY, f64::min);
    Figure {
        name: "hot path: decode + validate + judge + storage row",
        value: ours,
        unit: "ns/event",
        ceiling: Some(("serde_json typed parse", ceiling)),
        goal: "≤ 600 ns and ≤ 1.5× the parse",
        lower_is_better: true,
        note: format!(
            "{n} simulated events, best of 5; without the judge (decode + row only, the figure before the integrity checks) {decode_only:.0} ns; RowBinary encoding itself happens in the clickhouse crate's insert and is inside the end-to-end figure"
        ),
    }
}

/// Resident memory of this process, bytes (Linux).
fn rss_bytes() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    statm
        .split_whitespace()
        .nth(1)
        .and_then(|p| p.parse::<u64>().ok())
        .unwrap_or(0)
        * 4096
}

/// The memory of accepted event ids: bytes per million events remembered.
pub fn dedup_memory(n: usize) -> Figure {
    let events = sample_events(n.min(200_000));
    let keys: Vec<Vec<u8>> = events.iter().map(|e| bin_of(e)).collect();
    let now = Utc::now();
    let policy = live_policy();
    let mut book = ingest::judge::Book::default();
    let before = rss_bytes();
    let mut remembered = 0usize;
    // Distinct ids beyond the sample: the same events with fresh ids, in batches whose rows
    // are dropped (only the memory stays).
    let mut round = 0u64;
    while remembered < n {
        let mut batch = ingest::batch::Batch::default();
        for (i, (e, k)) in events.iter().zip(&keys).enumerate() {
            if remembered >= n {
                break;
            }
            let text = std::str::from_utf8(e).expect("utf-8");
            let id_at = text.find("\"event_id\":\"").expect("id") + 12;
            let mut owned = text.to_owned();
            owned.replace_range(id_at..id_at + 8, &format!("{:08x}", round as u32));
            let m = ingest::judge::Message {
                origin: Origin {
                    topic: "bench".into(),
                    partition: 0,
                    offset: (round as i64) << 32 | i as i64,
                },
                key: Some(k),
                payload: Some(owned.as_bytes()),
            };
            ingest::judge::judge(&mut book, &policy, &m, now, &mut batch);
            remembered += 1;
        }
        round += 1;
    }
    let rss = rss_bytes().saturating_sub(before) as f64;
    let per_million = rss / book.len() as f64 * 1e6 / 1_048_576.0;
    Figure {
        name: "ingest memory of event ids",
        value: per_million,
        unit: "MiB per 1 M events",
        ceiling: None,
        goal: "a year (23 M events) fits a 4 GiB ingest",
        lower_is_better: true,
        note: format!(
            "{} events remembered; resident growth {:.0} MiB, the index's own estimate {:.0} MiB; a year of Kazakhstan (23 M) ≈ {:.1} GiB over all partitions",
            book.len(),
            rss / 1_048_576.0,
            book.approx_bytes() as f64 / 1_048_576.0,
            per_million * 23.0 / 1024.0
        ),
    }
}

pub fn rebate_claim() -> (Figure, Figure) {
    use rebate_engine::claim::{Claim, Line, Production, VendorId};
    use rebate_engine::{builtin, compute, Context};
    use rust_decimal::Decimal;
    let p = builtin::programme("kz").expect("kz");
    let (fx, index) = (builtin::fx(), builtin::index());
    let ctx = Context {
        fx: &fx,
        index: &index,
    };
    let cats = [
        "crew_wages",
        "equipment_rental",
        "locations",
        "accommodation",
        "catering",
        "cast_foreign",
        "vfx",
        "insurance",
    ];
    let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date");
    let claim = Claim {
        programme: "kz".into(),
        as_of: d("2026-09-01"),
        production: Production {
            title: "Bench".into(),
            kind: rebate_engine::programme::Kind::Feature,
            total_budget: Decimal::from(90_000_000_000i64),
            budget_currency: rebate_engine::money::Currency::kzt(),
            applicant_country: "US".into(),
            registered_on: d("2026-01-01"),
            completed_on: d("2026-12-31"),
            shooting_days: Some((40, 25)),
            cultural: vec!["kazakhstan_as_itself".into()],
        },
        lines: (0..10_000)
            .map(|i| Line {
                id: format!("L{i}"),
                category: cats[i % cats.len()].into(),
                amount: Decimal::new(123_456_789 + i as i64, 2),
                currency: if i % 10 == 0 {
                    rebate_engine::money::Currency::parse("USD").expect("usd")
                } else {
                    rebate_engine::money::Currency::kzt()
                },
                paid_on: d("2026-05-01"),
                vendor_country: "KZ".into(),
                vendor_id: VendorId::Given("980340001119".into()),
                resident: true,
            })
            .collect(),
        fx: Default::default(),
    };
    let runs: Vec<f64> = (0..20)
        .map(|_| {
            let t = Instant::now();
            black_box(compute(&p, &claim, &ctx).expect("computes"));
            t.elapsed().as_secs_f64() * 1000.0
        })
        .collect();
    let mut sorted = runs.clone();
    sorted.sort_by(f64::total_cmp);
    let est: rebate_engine::EstimateInput = rebate_engine::claim::from_json(include_str!(
        "../../rebate-engine/examples/estimate-steppe-light.json"
    ))
    .expect("example");
    let kz = builtin::programme("kz").expect("kz");
    let t = Instant::now();
    let mut n = 0u64;
    while t.elapsed().as_secs_f64() < 1.0 {
        black_box(rebate_engine::estimate(&kz, &est, &ctx).expect("estimate"));
        n += 1;
    }
    (
        Figure {
            name: "rebate engine: 10,000-line claim",
            value: sorted[sorted.len() / 2],
            unit: "ms",
            ceiling: None,
            goal: "≤ 5 ms",
            lower_is_better: true,
            note: "median of 20 runs, kz programme, 1 in 10 lines in USD".into(),
        },
        Figure {
            name: "rebate engine: estimates",
            value: n as f64 / t.elapsed().as_secs_f64(),
            unit: "estimates/s",
            ceiling: None,
            goal: "",
            lower_is_better: false,
            note: "one core, the Steppe Light example budget (9 items)".into(),
        },
    )
}
