//! The wire shape of `ekino.ticket/1`, exactly as JSON carries it.
//!
//! Every field is optional here so that decoding can name the missing one itself instead of
//! relying on the text of a serde error; unknown fields are refused by serde.

use std::borrow::Cow;

use serde::{Deserialize, Deserializer, Serialize};

use super::model::{Event, TicketEvent, VoidEvent};

#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TicketEventWire<'a> {
    #[serde(borrow, skip_serializing_if = "Option::is_none")]
    pub schema: Option<Cow<'a, str>>,
    #[serde(borrow, skip_serializing_if = "Option::is_none")]
    pub event_id: Option<Cow<'a, str>>,
    #[serde(borrow, rename = "type", skip_serializing_if = "Option::is_none")]
    pub event_type: Option<Cow<'a, str>>,
    #[serde(borrow, skip_serializing_if = "Option::is_none")]
    pub cinema_bin: Option<Cow<'a, str>>,
    #[serde(borrow, skip_serializing_if = "Option::is_none")]
    pub hall: Option<Cow<'a, str>>,
    #[serde(borrow, skip_serializing_if = "Option::is_none")]
    pub screening_id: Option<Cow<'a, str>>,
    #[serde(borrow, skip_serializing_if = "Option::is_none")]
    pub film_id: Option<Cow<'a, str>>,
    #[serde(borrow, skip_serializing_if = "Option::is_none")]
    pub show_start: Option<Cow<'a, str>>,
    #[serde(borrow, skip_serializing_if = "Option::is_none")]
    pub occurred_at: Option<Cow<'a, str>>,
    #[serde(borrow, skip_serializing_if = "Option::is_none")]
    pub price: Option<Cow<'a, str>>,
    #[serde(borrow, skip_serializing_if = "Option::is_none")]
    pub currency: Option<Cow<'a, str>>,
    #[serde(borrow, skip_serializing_if = "Option::is_none")]
    pub vat_rate: Option<Cow<'a, str>>,
    /// Absent: `None`; `null`: `Some(None)` (general admission).
    #[serde(
        borrow,
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    pub seat: Option<Option<SeatWire<'a>>>,
    #[serde(borrow, skip_serializing_if = "Option::is_none")]
    pub channel: Option<Cow<'a, str>>,
    #[serde(borrow, skip_serializing_if = "Option::is_none")]
    pub ticket_type: Option<Cow<'a, str>>,
    #[serde(borrow, skip_serializing_if = "Option::is_none")]
    pub refund_of: Option<Cow<'a, str>>,
    /// A void's target: the `event_id` it takes out of every total.
    #[serde(borrow, skip_serializing_if = "Option::is_none")]
    pub voids: Option<Cow<'a, str>>,
    /// A void's reason, for a person (1–200 characters).
    #[serde(borrow, skip_serializing_if = "Option::is_none")]
    pub reason: Option<Cow<'a, str>>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeatWire<'a> {
    #[serde(borrow)]
    pub row: Cow<'a, str>,
    #[serde(borrow)]
    pub number: Cow<'a, str>,
}

/// Distinguishes a present `null` from an absent field.
fn present<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(d).map(Some)
}

impl<'a> TicketEventWire<'a> {
    pub fn from_event(e: &'a TicketEvent) -> Self {
        Self {
            schema: Some(Cow::Borrowed(super::model::SCHEMA_ID)),
            event_id: Some(Cow::Owned(e.event_id.to_string())),
            event_type: Some(Cow::Borrowed(e.event_type.as_str())),
            cinema_bin: Some(Cow::Borrowed(e.cinema_bin.as_str())),
            hall: Some(Cow::Borrowed(&e.hall)),
            screening_id: Some(Cow::Borrowed(&e.screening_id)),
            film_id: Some(Cow::Borrowed(e.film_id.as_str())),
            show_start: Some(Cow::Owned(rfc3339_kz(e.show_start))),
            occurred_at: Some(Cow::Owned(rfc3339_kz(e.occurred_at))),
            price: Some(Cow::Owned(e.price.to_string())),
            currency: Some(Cow::Borrowed("KZT")),
            vat_rate: Some(Cow::Owned(e.vat_rate.to_string())),
            seat: Some(e.seat.as_ref().map(|s| SeatWire {
                row: Cow::Borrowed(&s.row),
                number: Cow::Borrowed(&s.number),
            })),
            channel: Some(Cow::Borrowed(e.channel.as_str())),
            ticket_type: Some(Cow::Borrowed(e.ticket_type.as_str())),
            refund_of: e.refund_of.map(|r| Cow::Owned(r.to_string())),
            voids: None,
            reason: None,
        }
    }

    pub fn from_void(v: &'a VoidEvent) -> Self {
        Self {
            schema: Some(Cow::Borrowed(super::model::SCHEMA_ID)),
            event_id: Some(Cow::Owned(v.event_id.to_string())),
            event_type: Some(Cow::Borrowed(super::model::VOID_TYPE)),
            cinema_bin: Some(Cow::Borrowed(v.cinema_bin.as_str())),
            occurred_at: Some(Cow::Owned(rfc3339_kz(v.occurred_at))),
            voids: Some(Cow::Owned(v.voids.to_string())),
            reason: Some(Cow::Borrowed(&v.reason)),
            ..Self::default()
        }
    }
}

/// RFC 3339 in Kazakhstan local time, as a till in Almaty would print it.
pub fn rfc3339_kz(t: chrono::DateTime<chrono::Utc>) -> String {
    t.with_timezone(&crate::time::kz_offset())
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, false)
}

impl TicketEvent {
    /// The contract JSON for this event (what a cinema sends).
    pub fn to_json(&self) -> String {
        serde_json::to_string(&TicketEventWire::from_event(self)).expect("wire event serializes")
    }
}

impl VoidEvent {
    /// The contract JSON for this correction.
    pub fn to_json(&self) -> String {
        serde_json::to_string(&TicketEventWire::from_void(self)).expect("wire event serializes")
    }
}

impl Event {
    /// The contract JSON for this event.
    pub fn to_json(&self) -> String {
        match self {
            Event::Ticket(t) => t.to_json(),
            Event::Void(v) => v.to_json(),
        }
    }
}
