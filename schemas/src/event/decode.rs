//! Bytes → [`TicketEvent`] or [`Rejection`]. Pure: the current time is an argument.
//!
//! Checks run in contract order and stop at the first fault, so a rejection always names one
//! field and one reason. The plain shape of an event is read by [`super::fast::scan`]; anything
//! else by `serde_json`, whose verdict and wording decide. Both borrow the strings; the error
//! path parses a second time to learn which field a JSON-level error belongs to.

use std::borrow::Cow;

use chrono::{DateTime, Utc};

use super::model::{
    Channel, Event, EventType, Seat, TicketEvent, TicketType, VoidEvent, MAX_FUTURE_SKEW_SECONDS,
    MAX_PRICE, MAX_VOID_REASON_CHARS, SCHEMA_ID, VOID_TYPE,
};
use super::wire::{SeatWire, TicketEventWire};
use crate::ids::{bounded_text, Bin, EventId, FilmId};
use crate::money::{Kzt, MoneyError, VatRate};
use crate::reject::{RejectReason as R, Rejection};

/// Largest message accepted as an event. Real events are under 1 KiB; this leaves room for
/// long texts in kk/ru while refusing garbage early. The rejected store keeps up to 64 KiB.
pub const MAX_EVENT_BYTES: usize = 16 * 1024;

const SEAT_PART_MAX: usize = 16;

/// How far `show_start` may be from `occurred_at`, either way: a ticket is sold (or refunded)
/// within a year of its show. Beyond that the time is a typo, and one such event would open
/// a storage partition of its own (ClickHouse refuses inserts spanning too many months).
pub const MAX_SHOW_DISTANCE_DAYS: i64 = 366;

/// What a decode is judged against: the receiver's clock, and how old `occurred_at` may be
/// (`None` for an operator's backfill of history, which is exempt from the age limit).
#[derive(Debug, Clone, Copy)]
pub struct Checks {
    pub now: DateTime<Utc>,
    pub max_age_days: Option<u32>,
}

impl Checks {
    /// The defaults of a live stream: `reporting.max_event_age_days` = 400.
    pub fn live(now: DateTime<Utc>) -> Self {
        Self {
            now,
            max_age_days: Some(400),
        }
    }
}

/// Decodes and validates one sale or refund received at `now` (default age limit). A void is
/// refused here (`invalid_type`): callers that take voids use [`decode_event`].
pub fn decode(bytes: &[u8], now: DateTime<Utc>) -> Result<TicketEvent, Rejection> {
    match decode_event(bytes, &Checks::live(now))? {
        Event::Ticket(t) => Ok(t),
        Event::Void(_) => Err(Rejection::field(
            R::InvalidType,
            "type",
            "a void is not a ticket",
        )),
    }
}

/// Decodes and validates any event of the contract.
pub fn decode_event(bytes: &[u8], checks: &Checks) -> Result<Event, Rejection> {
    decode_with(bytes, Some(checks))
}

/// [`decode_event`] without the checks that depend on "now" (future skew, age): for a caller
/// that must recognise a replay of an event judged in time, whose verdict was given at its
/// first arrival and never changes (ingest's judge).
pub fn decode_event_untimed(bytes: &[u8]) -> Result<Event, Rejection> {
    decode_with(bytes, None)
}

fn decode_with(bytes: &[u8], checks: Option<&Checks>) -> Result<Event, Rejection> {
    if bytes.len() > MAX_EVENT_BYTES {
        return Err(Rejection::new(
            R::TooLarge,
            None,
            format!(
                "message is {} bytes, an event may be at most {MAX_EVENT_BYTES}",
                bytes.len()
            ),
        ));
    }
    let wire = match super::fast::scan(bytes) {
        Some(w) => w,
        None => serde_json::from_slice::<TicketEventWire<'_>>(bytes)
            .map_err(|e| json_rejection(bytes, e))?,
    };
    if wire.event_type.as_deref() == Some(VOID_TYPE) {
        return validate_void(wire, checks).map(Event::Void);
    }
    if let Some(field) = [
        ("voids", wire.voids.is_some()),
        ("reason", wire.reason.is_some()),
    ]
    .iter()
    .find(|f| f.1)
    {
        return Err(Rejection::field(
            R::UnknownField,
            field.0,
            "is a field of a void only",
        ));
    }
    validate(wire, checks).map(Event::Ticket)
}

/// A duration as people read it: `400 days 3 h 5 s` (the parts that are not zero).
fn days_and_hours(d: chrono::Duration) -> String {
    let secs = d.num_seconds();
    let (days, hours, rest) = (secs / 86_400, secs % 86_400 / 3_600, secs % 3_600);
    let mut out = format!("{days} days");
    if hours > 0 {
        out.push_str(&format!(" {hours} h"));
    }
    if rest > 0 {
        out.push_str(&format!(" {rest} s"));
    }
    out
}

/// `occurred_at` no later than the clock allows, and no older than the age limit.
fn check_occurred_at(occurred_at: DateTime<Utc>, checks: &Checks) -> Result<(), Rejection> {
    let now = checks.now;
    if (occurred_at - now).num_seconds() > MAX_FUTURE_SKEW_SECONDS {
        return Err(Rejection::field(
            R::FutureTimestamp,
            "occurred_at",
            format!(
                "is {}s ahead of the receiver's clock, at most {MAX_FUTURE_SKEW_SECONDS}s allowed",
                (occurred_at - now).num_seconds()
            ),
        ));
    }
    if let Some(days) = checks.max_age_days {
        // An exact duration, `days` × 24 h: a second more is too old.
        let age = now - occurred_at;
        if age > chrono::Duration::days(i64::from(days)) {
            return Err(Rejection::field(
                R::StaleTimestamp,
                "occurred_at",
                format!(
                    "is {} old, at most {days} days (× 24 h) allowed (history is loaded with ekino backfill)",
                    days_and_hours(age)
                ),
            ));
        }
    }
    Ok(())
}

fn validate_void(w: TicketEventWire<'_>, checks: Option<&Checks>) -> Result<VoidEvent, Rejection> {
    let schema = required(w.schema, "schema")?;
    if schema != SCHEMA_ID {
        return Err(Rejection::field(
            R::UnsupportedSchema,
            "schema",
            format!("must be {SCHEMA_ID:?}, got {schema:?}"),
        ));
    }
    // A void carries exactly its own fields: a ticket field on it is a sender's mistake.
    let ticket_fields = [
        ("hall", w.hall.is_some()),
        ("screening_id", w.screening_id.is_some()),
        ("film_id", w.film_id.is_some()),
        ("show_start", w.show_start.is_some()),
        ("price", w.price.is_some()),
        ("currency", w.currency.is_some()),
        ("vat_rate", w.vat_rate.is_some()),
        ("seat", w.seat.is_some()),
        ("channel", w.channel.is_some()),
        ("ticket_type", w.ticket_type.is_some()),
        ("refund_of", w.refund_of.is_some()),
    ];
    if let Some((field, _)) = ticket_fields.iter().find(|f| f.1) {
        return Err(Rejection::field(
            R::UnknownField,
            field,
            "is not a field of a void",
        ));
    }
    let event_id = EventId::parse(&required(w.event_id, "event_id")?)
        .map_err(|e| Rejection::field(R::InvalidEventId, "event_id", e))?;
    let cinema_bin = Bin::parse(&required(w.cinema_bin, "cinema_bin")?)
        .map_err(|e| Rejection::field(R::InvalidBin, "cinema_bin", e))?;
    let occurred_at = timestamp(w.occurred_at, "occurred_at")?;
    if let Some(checks) = checks {
        check_occurred_at(occurred_at, checks)?;
    }
    let voids = EventId::parse(&required(w.voids, "voids")?)
        .map_err(|e| Rejection::field(R::InvalidEventId, "voids", e))?;
    if voids == event_id {
        return Err(Rejection::field(
            R::VoidOfVoid,
            "voids",
            "names the void itself",
        ));
    }
    let reason = required(w.reason, "reason")?;
    if reason.chars().count() > MAX_VOID_REASON_CHARS {
        return Err(Rejection::field(
            R::InvalidText,
            "reason",
            format!("has more than {MAX_VOID_REASON_CHARS} characters"),
        ));
    }
    let reason = bounded_text(&reason, MAX_VOID_REASON_CHARS * 4)
        .map_err(|e| Rejection::field(R::InvalidText, "reason", e))?
        .to_owned();
    Ok(VoidEvent {
        event_id,
        cinema_bin,
        occurred_at,
        voids,
        reason,
    })
}

fn json_rejection(bytes: &[u8], err: serde_json::Error) -> Rejection {
    let text = err.to_string();
    if let Some(rest) = text.strip_prefix("unknown field `") {
        let name = rest.split('`').next().unwrap_or_default();
        // The path tells whether the unknown field sits in `seat` or at the top.
        let field = path_of(bytes)
            .filter(|p| p.starts_with(|c: char| c.is_ascii_alphabetic()))
            .unwrap_or_else(|| name.to_owned());
        return Rejection::field(
            R::UnknownField,
            &field,
            "is not a field of ekino.ticket/1 (check the spelling)",
        );
    }
    match path_of(bytes).filter(|p| p.starts_with(|c: char| c.is_ascii_alphabetic())) {
        Some(field) if err.is_data() => {
            Rejection::field(R::Malformed, &field, format!("wrong JSON type ({text})"))
        }
        _ => Rejection::new(
            R::Malformed,
            None,
            format!("not a JSON object of ekino.ticket/1: {text}"),
        ),
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
        .map_err(|_| {
            Rejection::field(
                R::InvalidTimestamp,
                field,
                "must be RFC 3339 with an offset, e.g. 2026-11-22T19:30:00+05:00",
            )
        })
}

fn text(v: Option<Cow<'_, str>>, field: &str, max: usize) -> Result<String, Rejection> {
    let s = required(v, field)?;
    bounded_text(&s, max)
        .map(str::to_owned)
        .map_err(|e| Rejection::field(R::InvalidText, field, e))
}

fn one_of<T>(
    v: Option<Cow<'_, str>>,
    field: &str,
    reason: R,
    parse: fn(&str) -> Option<T>,
    allowed: &str,
) -> Result<T, Rejection> {
    let s = required(v, field)?;
    parse(&s).ok_or_else(|| {
        Rejection::field(
            reason,
            field,
            format!("must be one of {allowed}, got {s:?}"),
        )
    })
}

fn seat(v: Option<Option<SeatWire<'_>>>) -> Result<Option<Seat>, Rejection> {
    let Some(seat) = v else {
        return Err(Rejection::field(
            R::MissingField,
            "seat",
            "is required (null for general admission)",
        ));
    };
    let Some(s) = seat else { return Ok(None) };
    let part = |p: &str, field: &str| {
        bounded_text(p, SEAT_PART_MAX)
            .map(str::to_owned)
            .map_err(|e| Rejection::field(R::InvalidSeat, field, e))
    };
    Ok(Some(Seat {
        row: part(&s.row, "seat.row")?,
        number: part(&s.number, "seat.number")?,
    }))
}

fn validate(w: TicketEventWire<'_>, checks: Option<&Checks>) -> Result<TicketEvent, Rejection> {
    let schema = required(w.schema, "schema")?;
    if schema != SCHEMA_ID {
        return Err(Rejection::field(
            R::UnsupportedSchema,
            "schema",
            format!("must be {SCHEMA_ID:?}, got {schema:?}"),
        ));
    }
    let event_id = EventId::parse(&required(w.event_id, "event_id")?)
        .map_err(|e| Rejection::field(R::InvalidEventId, "event_id", e))?;
    let event_type = one_of(
        w.event_type,
        "type",
        R::InvalidType,
        EventType::parse,
        "sale, refund, void",
    )?;
    let cinema_bin = Bin::parse(&required(w.cinema_bin, "cinema_bin")?)
        .map_err(|e| Rejection::field(R::InvalidBin, "cinema_bin", e))?;
    let hall = text(w.hall, "hall", 32)?;
    let screening_id = text(w.screening_id, "screening_id", 64)?;
    let film_id = FilmId::parse(&required(w.film_id, "film_id")?)
        .map_err(|e| Rejection::field(R::InvalidText, "film_id", e))?;
    let show_start = timestamp(w.show_start, "show_start")?;
    let occurred_at = timestamp(w.occurred_at, "occurred_at")?;
    if let Some(checks) = checks {
        check_occurred_at(occurred_at, checks)?;
    }
    // An exact duration, 366 × 24 h, either way: a second more is implausible.
    let distance = (show_start - occurred_at).abs();
    if distance > chrono::Duration::days(MAX_SHOW_DISTANCE_DAYS) {
        return Err(Rejection::field(
            R::ImplausibleShowStart,
            "show_start",
            format!(
                "is {} from occurred_at, at most {MAX_SHOW_DISTANCE_DAYS} days (× 24 h) allowed",
                days_and_hours(distance)
            ),
        ));
    }
    let price = Kzt::parse(&required(w.price, "price")?)
        .map_err(|e| Rejection::field(R::InvalidPrice, "price", e))?;
    if price > MAX_PRICE {
        let e = MoneyError::OutOfRange {
            min: "0".into(),
            max: "1000000".into(),
        };
        return Err(Rejection::field(R::InvalidPrice, "price", e));
    }
    let currency = required(w.currency, "currency")?;
    if currency != "KZT" {
        return Err(Rejection::field(
            R::UnsupportedCurrency,
            "currency",
            format!("must be \"KZT\", got {currency:?}"),
        ));
    }
    let vat_rate = VatRate::parse(&required(w.vat_rate, "vat_rate")?)
        .map_err(|e| Rejection::field(R::InvalidVatRate, "vat_rate", e))?;
    let sale_date = crate::time::box_office_day(occurred_at);
    let day = crate::time::box_office_day(show_start);
    // A refund's rate is judged by its sale (ingest's judge): the sale's rate, or one in
    // force on the refund's own dates, so a refund across a change of rate counts.
    if event_type != EventType::Refund && !crate::vat::in_force(vat_rate, sale_date, day) {
        let mut allowed = crate::vat::rates_on(sale_date);
        if day != sale_date {
            allowed = format!(
                "{allowed} (sale date {sale_date}); {} (screening day {day})",
                crate::vat::rates_on(day)
            );
        }
        return Err(Rejection::field(
            R::InvalidVatRate,
            "vat_rate",
            format!("{vat_rate} is not a rate in force: {allowed}"),
        ));
    }
    let seat = seat(w.seat)?;
    let channel = one_of(
        w.channel,
        "channel",
        R::InvalidChannel,
        Channel::parse,
        "box_office, online, kiosk, partner",
    )?;
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
            return Err(Rejection::field(
                R::RefundLink,
                "refund_of",
                "must be absent for a sale",
            ));
        }
        (EventType::Refund, None) => {
            return Err(Rejection::field(
                R::RefundLink,
                "refund_of",
                "is required for a refund: the sale's event_id",
            ));
        }
        (EventType::Refund, Some(r)) => {
            let r =
                EventId::parse(&r).map_err(|e| Rejection::field(R::RefundLink, "refund_of", e))?;
            if r == event_id {
                return Err(Rejection::field(
                    R::RefundLink,
                    "refund_of",
                    "must name the sale, not the refund itself",
                ));
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
