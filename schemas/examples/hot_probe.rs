use std::hint::black_box;
use std::time::Instant;
fn main() {
    let ev = r#"{"schema":"ekino.ticket/1","event_id":"0b8f6d2e-3c1a-4f5e-9a7b-1c2d3e4f5a6b","type":"sale","cinema_bin":"000000000010","hall":"Hall 1","screening_id":"S-2026-11-22-1","film_id":"KZ-0123-2026","show_start":"2026-11-22T19:30:00+05:00","occurred_at":"2026-11-21T14:55:00+05:00","price":"2500.00","currency":"KZT","vat_rate":"0.16","seat":{"row":"5","number":"12"},"channel":"online","ticket_type":"full"}"#;
    let b = ev.as_bytes();
    let n = 1_000_000;
    let now = chrono::Utc::now();
    let t = Instant::now(); for _ in 0..n { black_box(serde_json::from_slice::<schemas::event::wire::TicketEventWire>(black_box(b)).unwrap()); } println!("from_slice {:.0} ns", t.elapsed().as_nanos() as f64 / n as f64);
    let t = Instant::now(); for _ in 0..n { black_box(serde_json::from_str::<schemas::event::wire::TicketEventWire>(black_box(ev)).unwrap()); } println!("from_str {:.0} ns", t.elapsed().as_nanos() as f64 / n as f64);
    let t = Instant::now(); for _ in 0..n { black_box(schemas::event::fast::scan(black_box(b)).unwrap()); } println!("scan {:.0} ns", t.elapsed().as_nanos() as f64 / n as f64);
    let t = Instant::now(); for _ in 0..n { black_box(chrono::DateTime::parse_from_rfc3339(black_box("2026-11-22T19:30:00+05:00")).unwrap()); } println!("rfc3339 {:.0} ns", t.elapsed().as_nanos() as f64 / n as f64);
    let t = Instant::now(); for _ in 0..n { black_box(schemas::Kzt::parse(black_box("2500.00")).unwrap()); } println!("kzt {:.0} ns", t.elapsed().as_nanos() as f64 / n as f64);
    let t = Instant::now(); for _ in 0..n { black_box(schemas::EventId::parse(black_box("0b8f6d2e-3c1a-4f5e-9a7b-1c2d3e4f5a6b")).unwrap()); } println!("eventid {:.0} ns", t.elapsed().as_nanos() as f64 / n as f64);
    let t = Instant::now(); for _ in 0..n { black_box(schemas::Bin::parse(black_box("000000000010")).unwrap()); } println!("bin {:.0} ns", t.elapsed().as_nanos() as f64 / n as f64);
    let t = Instant::now(); for _ in 0..n { black_box(schemas::VatRate::parse(black_box("0.16")).unwrap()); } println!("vat {:.0} ns", t.elapsed().as_nanos() as f64 / n as f64);
    let t = Instant::now(); for _ in 0..n { black_box(schemas::event::decode(black_box(b), now).unwrap()); } println!("decode {:.0} ns", t.elapsed().as_nanos() as f64 / n as f64);
    let e = schemas::event::decode(b, now).unwrap();
    let o = schemas::storage::Origin { topic: "ekino.tickets".into(), partition: 1, offset: 5 };
    let t = Instant::now(); for _ in 0..n { black_box(schemas::storage::TicketRow::from_owned_event(black_box(e.clone()), &o, now)); } println!("from_owned(+clone) {:.0} ns", t.elapsed().as_nanos() as f64 / n as f64);
}
