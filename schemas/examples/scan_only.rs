use std::hint::black_box;
fn main() {
    let ev = r#"{"schema":"ekino.ticket/1","event_id":"0b8f6d2e-3c1a-4f5e-9a7b-1c2d3e4f5a6b","type":"sale","cinema_bin":"000000000010","hall":"Hall 1","screening_id":"S-2026-11-22-1","film_id":"KZ-0123-2026","show_start":"2026-11-22T19:30:00+05:00","occurred_at":"2026-11-21T14:55:00+05:00","price":"2500.00","currency":"KZT","vat_rate":"0.16","seat":{"row":"5","number":"12"},"channel":"online","ticket_type":"full"}"#;
    let now = chrono::Utc::now();
    let which = std::env::args().nth(1).unwrap();
    for _ in 0..100_000 {
        match which.as_str() {
            "scan" => { black_box(schemas::event::fast::scan(black_box(ev.as_bytes()))); }
            _ => { black_box(schemas::event::decode(black_box(ev.as_bytes()), now).unwrap()); }
        }
    }
}
