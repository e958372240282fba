//! Bytes → [`TicketEvent`] or [`Rejection`]. Pure: the current time is an argument.
//!
//! Checks run in contract order and stop at the first fault, so a rejection always names one
//! field and one reason. The plain shape of an event is read by [`super::fast::scan`]; anything
//! else by `serde_json`, whose verdict and wording decide. Both borrow the strings; the error
//! path parses a second time to learn which field a JSON-level error belongs to.

use std::borrow::Cow;

use chrono::{DateTime, Utc};

use super::wire::{SeatWire, TicketEventWire};
use super::{Channel, EventType, Seat, TicketEvent, TicketType, MAX_FUTURE_SKEW_SECONDS, MAX_PRICE, SCHEMA_ID};
use crate::ids::{bounded_text, Bin, EventId, FilmId};
use crate::money::{Kzt, MoneyError, VatRate};
use crate::reject::{RejectReason as R, Rejection};

/// Largest message accepted as an event. Real events are under 1 KiB; this leaves room for
/// long texts in kk/ru while refusing garbage early. The rejected store keeps up to 64 KiB.
pub const MAX_EVENT_BYTES: usize = 16 * 1024;

const SEAT_PART_MAX: usize = 16;

/// Decodes and validates one event received at `now`.
pub fn decode(bytes: &[u8], now: DateTime<Utc>) -> Result<TicketEvent, Rejection> {
    if bytes.len() > MAX_EVENT_BYTES {
        return Err(Rejection::new(
            R::TooLarge,
            None,
            format!("message is {} bytes, an event may be at most {MAX_EVENT_BYTES}", bytes.len()),
        ));
    }
    let wire = match super::fast::scan(bytes) {
        Some(w) => w,
        None => serde_json::from_slice::<TicketEventWire<'_>>(bytes).map_err(|e| json_rejection(bytes, e))?,
    };
    validate(wire, now)
}

fn json_rejection(bytes: &[u8], err: serde_json::Error) -> Rejection {
    let text = err.to_string();
    if let Some(rest) = text.strip_prefix("unknown field `") {
        let name = rest.split('`').next().unwrap_or_default();
        // The path tells whether the unknown field sits in `seat` or at the top.
        let field = path_of(bytes).filter(|p| p.starts_with(|c: char| c.is_ascii_alphabetic())).unwrap_or_else(|| name.to_owned());
        return Rejection::field(R::UnknownField, &field, "is not a field of ekino.ticket/1 (check the spelling)");
    }
    match path_of(bytes).filter(|p| p.starts_with(|c: char| c.is_ascii_alphabetic())) {
        Some(field) if err.is_data() => Rejection::field(R::Malformed, &field, format!("wrong JSON type ({text})")),
        _ => Rejection::new(R::Malformed, None, format!("not a JSON object of ekino.ticket/1: {text}")),
    }
}

/// The dotted path of the first JSON error, e.g. `price` or `seat.row`.
fn path_of(bytes: &[u8]) -> Option<String> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    match serde_path_to_error::deserialize::<_, TicketEventWire<'_>>(&mut de) {
        Ok(_) => None,
        Err(e) => Some(e.path().to_string()),
    }
}

fn required<'a>(v: Option<Cow<'a, str>>, field: &str) -> Result<Cow<'a, str>, Rejection> {
    v.ok_or_else(|| Rejection::field(R::MissingField, field, "is required"))
}

fn timestamp(v: Option<Cow<'_, str>>, field: &str) -> Result<DateTime<Utc>, Rejection> {
    let s = required(v, field)?;
    DateTime::parse_from_rfc3339(&s)
        .map(|t| t.to_utc())
        .map_err(|_| Rejection::field(R::InvalidTimestamp, field, "must be RFC 3339 with an offset, e.g. 2026-11-22T19:30:00+05:00"))
}

fn text(v: Option<Cow<'_, str>>, field: &str, max: usize) -> Result<String, Rejection> {
    let s = required(v, field)?;
    bounded_text(&s, max).map(str::to_owned).map_err(|e| Rejection::field(R::InvalidText, field, e))
}

fn one_of<T>(v: Option<Cow<'_, str>>, field: &str, reason: R, parse: fn(&str) -> Option<T>, allowed: &str) -> Result<T, Rejection> {
    let s = required(v, field)?;
    parse(&s).ok_or_else(|| Rejection::field(reason, field, format!("must be one of {allowed}, got {s:?}")))
}

fn seat(v: Option<Option<SeatWire<'_>>>) -> Result<Option<Seat>, Rejection> {
    let Some(seat) = v else {
        return Err(Rejection::field(R::MissingField, "seat", "is required (null for general admission)"));
    };
    let Some(s) = seat else { return Ok(None) };
    let part = |p: &str, field: &str| {
        bounded_text(p, SEAT_PART_MAX).map(str::to_owned).map_err(|e| Rejection::field(R::InvalidSeat, field, e))
    };
    Ok(Some(Seat { row: part(&s.row, "seat.row")?, number: part(&s.number, "seat.number")? }))
}

fn validate(w: TicketEventWire<'_>, now: DateTime<Utc>) -> Result<TicketEvent, Rejection> {
    let schema = required(w.schema, "schema")?;
    if schema != SCHEMA_ID {
        return Err(Rejection::field(R::UnsupportedSchema, "schema", format!("must be {SCHEMA_ID:?}, got {schema:?}")));
    }
    let event_id = EventId::parse(&required(w.event_id, "event_id")?)
        .map_err(|e| Rejection::field(R::InvalidEventId, "event_id", e))?;
    let event_type = one_of(w.event_type, "type", R::InvalidType, EventType::parse, "sale, refund")?;
    let cinema_bin = Bin::parse(&required(w.cinema_bin, "cinema_bin")?)
        .map_err(|e| Rejection::field(R::InvalidBin, "cinema_bin", e))?;
    let hall = text(w.hall, "hall", 32)?;
    let screening_id = text(w.screening_id, "screening_id", 64)?;
    let film_id = FilmId::parse(&required(w.film_id, "film_id")?)
        .map_err(|e| Rejection::field(R::InvalidText, "film_id", e))?;
    let show_start = timestamp(w.show_start, "show_start")?;
    let occurred_at = timestamp(w.occurred_at, "occurred_at")?;
    if (occurred_at - now).num_seconds() > MAX_FUTURE_SKEW_SECONDS {
        return Err(Rejection::field(
            R::FutureTimestamp,
            "occurred_at",
            format!("is {}s ahead of the receiver's clock, at most {MAX_FUTURE_SKEW_SECONDS}s allowed", (occurred_at - now).num_seconds()),
        ));
    }
    let price = Kzt::parse(&required(w.price, "price")?).map_err(|e| Rejection::field(R::InvalidPrice, "price", e))?;
    if price > MAX_PRICE {
        let e = MoneyError::OutOfRange { min: "0".into(), max: "1000000".into() };
        return Err(Rejection::field(R::InvalidPrice, "price", e));
    }
    let currency = required(w.currency, "currency")?;
    if currency != "KZT" {
        return Err(Rejection::field(R::UnsupportedCurrency, "currency", format!("must be \"KZT\", got {currency:?}")));
    }
    let vat_rate = VatRate::parse(&required(w.vat_rate, "vat_rate")?)
        .map_err(|e| Rejection::field(R::InvalidVatRate, "vat_rate", e))?;
    let seat = seat(w.seat)?;
    let channel = one_of(w.channel, "channel", R::InvalidChannel, Channel::parse, "box_office, online, kiosk, partner")?;
    let ticket_type = one_of(
        w.ticket_type,
        "ticket_type",
        R::InvalidTicketType,
        TicketType::parse,
        "full, child, student, senior, discount, invitation",
    )?;
    let refund_of = match (event_type, w.refund_of) {
        (EventType::Sale, None) => None,
        (EventType::Sale, Some(_)) => {
            return Err(Rejection::field(R::RefundLink, "refund_of", "must be absent for a sale"));
        }
        (EventType::Refund, None) => {
            return Err(Rejection::field(R::RefundLink, "refund_of", "is required for a refund: the sale's event_id"));
        }
        (EventType::Refund, Some(r)) => {
            let r = EventId::parse(&r).map_err(|e| Rejection::field(R::RefundLink, "refund_of", e))?;
            if r == event_id {
                return Err(Rejection::field(R::RefundLink, "refund_of", "must name the sale, not the refund itself"));
            }
            Some(r)
        }
    };
    Ok(TicketEvent {
        event_id,
        event_type,
        cinema_bin,
        hall,
        screening_id,
        film_id,
        show_start,
        occurred_at,
        price,
        vat_rate,
        seat,
        channel,
        ticket_type,
        refund_of,
    })
}

#[cfg(test)]
mod tests;
