//! The ticket event, contract `ekino.ticket/1`: one JSON object per Kafka message on topic
//! `ekino.tickets`, keyed by the cinema's BIN so that one cinema's events stay in order.
//!
//! [`decode`] turns bytes into a [`TicketEvent`] or a [`Rejection`](crate::Rejection); that is
//! the only way to obtain a `TicketEvent` from outside, so a value of this type is valid.
//! The published JSON Schema is `schemas/ticket-event.schema.json`.

pub mod csv;
mod decode;
pub mod fast;
pub mod fingerprint;
mod model;
pub mod wire;

pub use decode::{
    decode, decode_event, decode_event_untimed, Checks, MAX_EVENT_BYTES, MAX_SHOW_DISTANCE_DAYS,
};
pub use model::*;
