//! A stable 64-bit fingerprint of an event's parsed content, `occurred_at` aside.
//!
//! Two messages with one (`cinema_bin`, `event_id`) are the same event re-sent when their
//! fingerprints are equal, and a conflicting duplicate otherwise. The fingerprint is stored
//! with the event so that ingest can rebuild its index after a restart, so it must never
//! change between releases: FNV-1a over a fixed field order, each field length-prefixed (no
//! two field lists share an encoding), over the *parsed* values (an id in upper case, a
//! price written `2500` or `2500.00`, a time in another offset: all the same event). The
//! bytes are taken eight at a time (one multiply per word, the tail zero-padded): it runs
//! once per event on ingest's hot path.

use super::{Event, TicketEvent, VoidEvent};

const OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const PRIME: u64 = 0x0000_0100_0000_01b3;

struct Fnv(u64);

impl Fnv {
    fn word(&mut self, w: u64) {
        self.0 ^= w;
        self.0 = self.0.wrapping_mul(PRIME);
    }

    fn bytes(&mut self, b: &[u8]) {
        self.word(b.len() as u64);
        let mut chunks = b.chunks_exact(8);
        for c in &mut chunks {
            self.word(u64::from_le_bytes(c.try_into().expect("8 bytes")));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut w = [0u8; 8];
            w[..rest.len()].copy_from_slice(rest);
            self.word(u64::from_le_bytes(w));
        }
    }

    fn int(&mut self, n: i64) {
        self.bytes(&n.to_le_bytes());
    }
}

/// The parsed fields a ticket's fingerprint covers, as borrowed values, so that an event and
/// a stored row (rows from before fingerprints were stored) give the same number.
pub struct TicketParts<'a> {
    pub event_type: &'a str,
    pub cinema_bin: &'a str,
    pub hall: &'a str,
    pub screening_id: &'a str,
    pub film_id: &'a str,
    pub show_start: i64,
    pub price_tiyn: i64,
    pub vat_units: u32,
    pub seat: Option<(&'a str, &'a str)>,
    pub channel: &'a str,
    pub ticket_type: &'a str,
    pub refund_of: Option<u128>,
}

pub fn of_parts(p: &TicketParts<'_>) -> u64 {
    let mut h = Fnv(OFFSET);
    h.bytes(p.event_type.as_bytes());
    h.bytes(p.cinema_bin.as_bytes());
    h.bytes(p.hall.as_bytes());
    h.bytes(p.screening_id.as_bytes());
    h.bytes(p.film_id.as_bytes());
    h.int(p.show_start);
    h.int(p.price_tiyn);
    h.int(i64::from(p.vat_units));
    match p.seat {
        Some((row, number)) => {
            h.bytes(row.as_bytes());
            h.bytes(number.as_bytes());
        }
        None => h.bytes(b"\0ga"),
    }
    h.bytes(p.channel.as_bytes());
    h.bytes(p.ticket_type.as_bytes());
    h.bytes(
        p.refund_of
            .map(u128::to_le_bytes)
            .unwrap_or_default()
            .as_slice(),
    );
    h.0
}

pub fn of_ticket(e: &TicketEvent) -> u64 {
    of_parts(&TicketParts {
        event_type: e.event_type.as_str(),
        cinema_bin: e.cinema_bin.as_str(),
        hall: &e.hall,
        screening_id: &e.screening_id,
        film_id: e.film_id.as_str(),
        show_start: e.show_start.timestamp(),
        price_tiyn: e.price.tiyn(),
        vat_units: e.vat_rate.units(),
        seat: e.seat.as_ref().map(|s| (s.row.as_str(), s.number.as_str())),
        channel: e.channel.as_str(),
        ticket_type: e.ticket_type.as_str(),
        refund_of: e.refund_of.map(|r| r.uuid().as_u128()),
    })
}

pub fn of_void(v: &VoidEvent) -> u64 {
    let mut h = Fnv(OFFSET);
    h.bytes(super::VOID_TYPE.as_bytes());
    h.bytes(v.cinema_bin.as_str().as_bytes());
    h.bytes(&v.voids.uuid().as_u128().to_le_bytes());
    h.bytes(v.reason.as_bytes());
    h.0
}

pub fn of(e: &Event) -> u64 {
    match e {
        Event::Ticket(t) => of_ticket(t),
        Event::Void(v) => of_void(v),
    }
}

/// The fingerprint of what a refund must agree on with its sale: film, hall, screening.
pub fn screening_link(film_id: &str, hall: &str, screening_id: &str) -> u64 {
    let mut h = Fnv(OFFSET);
    h.bytes(film_id.as_bytes());
    h.bytes(hall.as_bytes());
    h.bytes(screening_id.as_bytes());
    h.0
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::decode;

    fn ev(json: &str) -> TicketEvent {
        let now = chrono::DateTime::parse_from_rfc3339("2026-11-22T15:00:00+05:00")
            .unwrap()
            .to_utc();
        decode(json.as_bytes(), now).unwrap()
    }

    const BASE: &str = r#"{"schema":"ekino.ticket/1","event_id":"0b8f6d2e-3c1a-4f5e-9a7b-1c2d3e4f5a6b","type":"sale","cinema_bin":"000000000010","hall":"1","screening_id":"S1","film_id":"F1","show_start":"2026-11-22T19:30:00+05:00","occurred_at":"2026-11-22T14:55:00+05:00","price":"2500.00","currency":"KZT","vat_rate":"0.16","seat":null,"channel":"online","ticket_type":"full"}"#;

    #[test]
    fn same_content_other_spelling_or_time_is_the_same() {
        let a = ev(BASE);
        let b = ev(&BASE
            .replace(
                "0b8f6d2e-3c1a-4f5e-9a7b-1c2d3e4f5a6b",
                "0B8F6D2E-3C1A-4F5E-9A7B-1C2D3E4F5A6B",
            )
            .replace("\"2500.00\"", "\"2500\"")
            .replace("2026-11-22T19:30:00+05:00", "2026-11-22T14:30:00Z")
            .replace("14:55:00+05:00", "14:58:00+05:00"));
        assert_eq!(of_ticket(&a), of_ticket(&b));
    }

    #[test]
    fn any_other_field_changes_it() {
        let a = of_ticket(&ev(BASE));
        for (from, to) in [
            ("\"hall\":\"1\"", "\"hall\":\"2\""),
            ("\"S1\"", "\"S2\""),
            ("\"F1\"", "\"F2\""),
            ("19:30:00+05:00", "19:31:00+05:00"),
            ("\"2500.00\"", "\"2500.01\""),
            ("\"0.16\"", "\"0\""),
            ("\"seat\":null", "\"seat\":{\"row\":\"1\",\"number\":\"2\"}"),
            ("\"online\"", "\"kiosk\""),
            ("\"full\"", "\"child\""),
        ] {
            assert_ne!(a, of_ticket(&ev(&BASE.replace(from, to))), "{from} -> {to}");
        }
        // Fields do not run into each other: ("1", "S1") differs from ("1S", "1").
        assert_ne!(
            screening_link("F", "1", "S1"),
            screening_link("F", "1S", "1")
        );
    }

    #[test]
    fn fingerprint_is_stable_across_releases() {
        // Stored in ClickHouse: this value may never change. Computed independently (FNV-1a
        // 64 over little-endian 8-byte words of length-prefixed, zero-padded fields, in
        // Python) when the encoding was fixed.
        assert_eq!(screening_link("F1", "1", "S1"), 0xdaff_d268_1df3_2ef8_u64);
    }
}
