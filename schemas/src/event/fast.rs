//! A fast path for the common shape of an event: one flat JSON object whose values are plain
//! strings (no escape sequences), with `seat` an object of two such strings or `null`.
//!
//! # Contract
//! [`scan`] returns `Some` only for input that `serde_json` parses into the very same
//! [`TicketEventWire`]; for anything else (escapes, numbers, unknown or repeated fields,
//! stray bytes, invalid UTF-8, any control character, so pretty-printed JSON too) it returns `None` and the caller parses with `serde_json`,
//! which stays the one authority on what is valid and on the wording of every error. So the
//! scanner may be incomplete, never different; `tests` and the property test in
//! `decode/tests.rs` hold it to that.
//!
//! Why hand-written: the event is tiny and flat, and a typed `serde_json` parse of it costs
//! more than everything else ingest does per event (see BENCHMARKS.md).

use std::borrow::Cow;

use super::wire::{SeatWire, TicketEventWire};

struct Cursor<'a> {
    s: &'a str,
    b: &'a [u8],
    i: usize,
}

impl<'a> Cursor<'a> {
    fn ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.b.get(self.i) {
            self.i += 1;
        }
    }

    fn eat(&mut self, c: u8) -> Option<()> {
        self.ws();
        (self.b.get(self.i) == Some(&c)).then(|| self.i += 1)
    }

    fn peek(&mut self) -> Option<u8> {
        self.ws();
        self.b.get(self.i).copied()
    }

    /// A string without escapes, borrowed from the input. [`scan`] has already declined any
    /// input holding a control character, so none can be inside.
    fn string(&mut self) -> Option<&'a str> {
        self.eat(b'"')?;
        let start = self.i;
        let end = start + quote_or_backslash(&self.b[start..])?;
        if self.b[end] != b'"' {
            return None;
        }
        self.i = end + 1;
        Some(&self.s[start..end])
    }

    fn literal(&mut self, word: &[u8]) -> Option<()> {
        self.ws();
        (self.b.get(self.i..self.i + word.len()) == Some(word)).then(|| self.i += word.len())
    }
}

/// Position of the first `"` or `\\`, eight bytes at a time (SWAR): values are short, so a
/// word-wide search beats both a byte loop and a SIMD search's setup.
fn quote_or_backslash(b: &[u8]) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    // Nonzero where a byte of `x` is zero; the lowest flagged byte is always a true zero.
    let zero_bytes = |x: u64| x.wrapping_sub(ONES) & !x & HIGHS;
    let mut i = 0;
    while let Some(chunk) = b.get(i..i + 8) {
        let x = u64::from_le_bytes(chunk.try_into().expect("eight bytes"));
        let hits =
            zero_bytes(x ^ (ONES * u64::from(b'"'))) | zero_bytes(x ^ (ONES * u64::from(b'\\')));
        if hits != 0 {
            return Some(i + (hits.trailing_zeros() / 8) as usize);
        }
        i += 8;
    }
    b[i..]
        .iter()
        .position(|&c| c == b'"' || c == b'\\')
        .map(|p| i + p)
}

fn set<'a>(slot: &mut Option<Cow<'a, str>>, v: &'a str) -> Option<()> {
    // A repeated field is an error for serde: leave it to serde.
    slot.is_none().then(|| *slot = Some(Cow::Borrowed(v)))
}

fn seat<'a>(c: &mut Cursor<'a>) -> Option<Option<SeatWire<'a>>> {
    if c.peek()? == b'n' {
        c.literal(b"null")?;
        return Some(None);
    }
    c.eat(b'{')?;
    let (mut row, mut number) = (None, None);
    if c.peek()? != b'}' {
        loop {
            let key = c.string()?;
            c.eat(b':')?;
            let v = c.string()?;
            match key {
                "row" => set(&mut row, v)?,
                "number" => set(&mut number, v)?,
                _ => return None,
            }
            if c.eat(b',').is_none() {
                break;
            }
        }
    }
    c.eat(b'}')?;
    Some(Some(SeatWire {
        row: row?,
        number: number?,
    }))
}

/// The wire event when `bytes` has the plain shape; `None` means "ask serde_json".
/// The fields in the order ekino itself writes them (`TicketEvent::to_json`, the wire
/// struct's order); a producer that keeps this order skips every key search.
const FIELDS: [&str; 16] = [
    "schema",
    "event_id",
    "type",
    "cinema_bin",
    "hall",
    "screening_id",
    "film_id",
    "show_start",
    "occurred_at",
    "price",
    "currency",
    "vat_rate",
    "seat",
    "channel",
    "ticket_type",
    "refund_of",
];
const SEAT: usize = 12;

fn slot<'w, 'a>(w: &'w mut TicketEventWire<'a>, field: usize) -> &'w mut Option<Cow<'a, str>> {
    match field {
        0 => &mut w.schema,
        1 => &mut w.event_id,
        2 => &mut w.event_type,
        3 => &mut w.cinema_bin,
        4 => &mut w.hall,
        5 => &mut w.screening_id,
        6 => &mut w.film_id,
        7 => &mut w.show_start,
        8 => &mut w.occurred_at,
        9 => &mut w.price,
        10 => &mut w.currency,
        11 => &mut w.vat_rate,
        13 => &mut w.channel,
        14 => &mut w.ticket_type,
        _ => &mut w.refund_of,
    }
}

impl Cursor<'_> {
    /// The next key as an index into [`FIELDS`]: first tried as the field after `expected`'s
    /// predecessor (a byte comparison), otherwise read and looked up.
    fn key(&mut self, expected: usize) -> Option<usize> {
        self.ws();
        if let Some(name) = FIELDS.get(expected) {
            let rest = &self.b[self.i..];
            let n = name.len();
            if rest.len() > n + 1
                && rest[0] == b'"'
                && &rest[1..=n] == name.as_bytes()
                && rest[n + 1] == b'"'
            {
                self.i += n + 2;
                return Some(expected);
            }
        }
        let key = self.string()?;
        FIELDS.iter().position(|f| *f == key)
    }
}

/// The wire event when `bytes` has the plain shape; `None` means "ask serde_json".
pub fn scan(bytes: &[u8]) -> Option<TicketEventWire<'_>> {
    // Control characters are only legal as whitespace between tokens (tab, newline, return);
    // declining every input with one keeps the string scan to a search for `"` and `\`.
    // A fold without early exit, so that it compiles to vector instructions.
    if bytes.iter().fold(false, |seen, &b| seen | (b < 0x20)) {
        return None;
    }
    let s = std::str::from_utf8(bytes).ok()?;
    let mut c = Cursor {
        s,
        b: s.as_bytes(),
        i: 0,
    };
    let mut w = TicketEventWire::default();
    c.eat(b'{')?;
    if c.peek()? != b'}' {
        let mut expected = 0;
        loop {
            let field = c.key(expected)?;
            expected = field + 1;
            c.eat(b':')?;
            if field == SEAT {
                if w.seat.is_some() {
                    return None;
                }
                w.seat = Some(seat(&mut c)?);
            } else {
                let v = c.string()?;
                set(slot(&mut w, field), v)?;
            }
            if c.eat(b',').is_none() {
                break;
            }
        }
    }
    c.eat(b'}')?;
    c.ws();
    (c.i == c.b.len()).then_some(w)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The fast scan takes `input` and reads it as serde does, field for field. An input the
    /// scan leaves to serde agrees with nothing: what it is read as is serde's alone.
    fn agrees(input: &str) -> bool {
        let Some(fast) = scan(input.as_bytes()) else {
            return false;
        };
        let slow = serde_json::from_str::<TicketEventWire<'_>>(input)
            .ok()
            .map(|w| serde_json::to_string(&w).unwrap());
        Some(serde_json::to_string(&fast).unwrap()) == slow
    }

    #[test]
    fn plain_objects_are_scanned() {
        let w = scan(br#" { "schema" : "ekino.ticket/1", "seat": {"row": "5", "number": "12"}, "hall":"1" } "#).unwrap();
        assert_eq!(w.schema.as_deref(), Some("ekino.ticket/1"));
        assert_eq!(w.seat.as_ref().unwrap().as_ref().unwrap().number, "12");
        assert_eq!(w.hall.as_deref(), Some("1"));
        assert!(matches!(
            scan(br#"{"seat": null}"#).unwrap().seat,
            Some(None)
        ));
        assert!(scan(b"{}").is_some());
    }

    #[test]
    fn anything_unusual_is_left_to_serde() {
        for input in [
            r#"{"hall": "a\"b"}"#,
            r#"{"hall": 1}"#,
            r#"{"hall": "1", "hall": "2"}"#,
            r#"{"nope": "1"}"#,
            r#"{"hall": "1",}"#,
            r#"{"hall": "1"} x"#,
            r#"{"seat": {"row": "1"}}"#,
            r#"{"seat": {"row": "1", "number": "2", "x": "3"}}"#,
            r#"{"seat": nul}"#,
            "{\"hall\": \"a\tb\"}",
            r#"["hall"]"#,
            r#"{"hall" "1"}"#,
            "",
        ] {
            assert!(scan(input.as_bytes()).is_none(), "{input}");
        }
        assert!(scan(b"{\"hall\": \"\xff\"}").is_none());
    }

    /// Every plain shape the scan takes (each field present or absent, a null seat, spaces
    /// anywhere JSON allows them): the scan's reading is serde's.
    #[test]
    fn plain_events_are_read_as_serde_reads_them() {
        let full = r#"{"schema": "ekino.ticket/1", "event_id": "1b8f6d2e-3c1a-4f5e-9a7b-1c2d3e4f5a6b", "type": "sale", "cinema_bin": "000000000010", "hall": "1", "screening_id": "S-1", "film_id": "KZ26-0001", "show_start": "2026-11-20T19:00:00+05:00", "occurred_at": "2026-11-20T18:00:00+05:00", "price": "2500.00", "currency": "KZT", "vat_rate": "0.16", "seat": {"row": "5", "number": "12"}, "channel": "box_office", "ticket_type": "adult"}"#;
        let v: serde_json::Value = serde_json::from_str(full).unwrap();
        let mut inputs = vec![full.to_owned()];
        for field in v.as_object().unwrap().keys() {
            let mut less = v.clone();
            less.as_object_mut().unwrap().remove(field);
            inputs.push(less.to_string());
        }
        let mut no_seat = v.clone();
        no_seat["seat"] = serde_json::Value::Null;
        inputs.push(no_seat.to_string());
        inputs.push(r#"  {  "hall" :  "Зал №1"  ,"film_id":"F"}  "#.to_owned());
        for input in &inputs {
            assert!(agrees(input), "{input}");
        }
    }

    #[test]
    fn the_word_search_finds_the_first_hit_at_every_position() {
        for len in 0..40 {
            for at in 0..len {
                for c in [b'"', b'\\'] {
                    let mut v = vec![b'a'; len];
                    v[at] = c;
                    // A second hit and bytes next to the searched ones must not confuse it.
                    if at + 3 < len {
                        v[at + 3] = b'"';
                    }
                    if at > 0 {
                        v[at - 1] = c + 1;
                    }
                    assert_eq!(quote_or_backslash(&v), Some(at), "{len} {at}");
                }
            }
            assert_eq!(quote_or_backslash(&vec![0x80u8; len]), None);
        }
    }

    #[test]
    fn non_ascii_text_is_borrowed_as_is() {
        let w = scan("{\"hall\": \"Зал №1 — Алматы\"}".as_bytes()).unwrap();
        assert_eq!(w.hall.as_deref(), Some("Зал №1 — Алматы"));
        assert!(agrees("{\"hall\": \"Зал №1 — Алматы\"}"));
    }
}
