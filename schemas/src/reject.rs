//! Why an event was refused. Codes are stable machine strings: dashboards, the rejected
//! store and cinemas' own tooling match on them, so a code is never renamed or reused.

use std::fmt;

use serde::Serialize;

macro_rules! reasons {
    ($($variant:ident => $code:literal, $doc:literal;)*) => {
        /// A stable reason code for a refused event.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
        #[serde(rename_all = "snake_case")]
        pub enum RejectReason { $(#[doc = $doc] $variant,)* }

        impl RejectReason {
            pub const ALL: &'static [RejectReason] = &[$(RejectReason::$variant,)*];

            pub fn code(self) -> &'static str {
                match self { $(RejectReason::$variant => $code,)* }
            }

            pub fn from_code(code: &str) -> Option<Self> {
                match code { $($code => Some(RejectReason::$variant),)* _ => None }
            }

            pub fn describe(self) -> &'static str {
                match self { $(RejectReason::$variant => $doc,)* }
            }
        }
    };
}

reasons! {
    Malformed => "malformed", "not UTF-8 JSON, not an object, or a field of the wrong JSON type";
    TooLarge => "too_large", "the message is larger than an event may be";
    UnknownField => "unknown_field", "a field the contract does not define (often a typo)";
    MissingField => "missing_field", "a required field is absent";
    UnsupportedSchema => "unsupported_schema", "schema is not the topic's contract (ekino.ticket/1; ekino.session/1 on the sessions topic; ekino.partner/1 on the partner topic)";
    InvalidEventId => "invalid_event_id", "event_id is not a UUID";
    InvalidType => "invalid_type", "type is not sale, refund or void";
    InvalidBin => "invalid_bin", "cinema_bin is not 12 digits with a valid check digit";
    InvalidText => "invalid_text", "hall, screening_id, film_id or a void's reason is empty, too long or has control characters";
    InvalidTimestamp => "invalid_timestamp", "show_start or occurred_at is not RFC 3339 with an offset";
    FutureTimestamp => "future_timestamp", "occurred_at is more than 5 minutes in the future";
    InvalidPrice => "invalid_price", "price is not a decimal string from 0 to 1,000,000 with at most 2 decimals";
    UnsupportedCurrency => "unsupported_currency", "currency is not KZT";
    InvalidVatRate => "invalid_vat_rate", "vat_rate is not a rate in force on the sale date or the screening day (schemas/data/vat_rates.csv), nor, for a refund, its sale's rate";
    InvalidSeat => "invalid_seat", "seat is not null nor {row, number} with 1 to 16 characters each";
    InvalidChannel => "invalid_channel", "channel is not box_office, online, kiosk or partner";
    InvalidTicketType => "invalid_ticket_type", "ticket_type is not full, child, student, senior, discount or invitation";
    RefundLink => "refund_link", "a refund without a valid refund_of, or a sale with one";
    StorageRefused => "storage_refused", "ClickHouse refused the row itself (kept here so the partition moves on)";
    ImplausibleShowStart => "implausible_show_start", "show_start is more than 366 days from occurred_at";
    StaleTimestamp => "stale_timestamp", "occurred_at is older than reporting.max_event_age_days (backfill is the way for history)";
    ForeignCinema => "foreign_cinema", "cinema_bin is not the sender's cinema (the Kafka key, or the upload key's BIN)";
    ConflictingDuplicate => "conflicting_duplicate", "an event_id this cinema already used for an event with other content";
    RefundExceedsSale => "refund_exceeds_sale", "a second refund of one sale, or a refund above the sale's price";
    CorrectionWindowClosed => "correction_window_closed", "a void arriving more than reporting.correction_window_days after the voided event's day";
    VoidRefundedSale => "void_refunded_sale", "a void of a sale that has a counted refund (void the refund first)";
    VoidOfVoid => "void_of_void", "a void that names a void (or itself)";
    VoidTargetUnknown => "void_target_unknown", "a void that names an event this cinema never sent (or one that was rejected)";
    VoidTargetForeign => "void_target_foreign", "a void that names another cinema's event";
    InvalidStatus => "invalid_status", "a declared session's status is not scheduled or cancelled";
    InvalidSeats => "invalid_seats", "a declared session's seats_on_sale is not a whole number from 0 to 5,000";
    InvalidInterval => "invalid_interval", "a declared session's ends_at is not after its show_start, or the session is longer than 12 hours";
    ForeignPartner => "foreign_partner", "a partner record's partner_id is not the sender's (the Kafka key, or the upload key's registered partner)";
    InvalidTickets => "invalid_tickets", "a partner record's tickets is not a whole number from 1 to 1,000";
}

impl RejectReason {
    /// Reasons found by decoding one ticket message on its own (no state, no sender): what
    /// `schemas::event::decode` can return. (A declared session's own reasons are not.)
    pub fn is_decode(self) -> bool {
        !matches!(
            self,
            RejectReason::StorageRefused
                | RejectReason::InvalidStatus
                | RejectReason::InvalidSeats
                | RejectReason::InvalidInterval
                | RejectReason::ForeignPartner
                | RejectReason::InvalidTickets
                | RejectReason::ForeignCinema
                | RejectReason::ConflictingDuplicate
                | RejectReason::RefundExceedsSale
                | RejectReason::CorrectionWindowClosed
                | RejectReason::VoidRefundedSale
                | RejectReason::VoidOfVoid
                | RejectReason::VoidTargetUnknown
                | RejectReason::VoidTargetForeign
        )
    }
}

impl fmt::Display for RejectReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// A refused event: the reason code, the field it concerns, and a message for a person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Rejection {
    pub reason: RejectReason,
    /// The contract field at fault; `None` when the message as a whole is at fault.
    pub field: Option<String>,
    pub message: String,
}

impl Rejection {
    pub fn new(reason: RejectReason, field: Option<&str>, message: impl Into<String>) -> Self {
        Self {
            reason,
            field: field.map(str::to_owned),
            message: message.into(),
        }
    }

    /// A rejection about one field; the message always starts with the field's name.
    pub fn field(reason: RejectReason, field: &str, detail: impl fmt::Display) -> Self {
        Self {
            reason,
            field: Some(field.to_owned()),
            message: format!("{field}: {detail}"),
        }
    }
}

impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.message, self.reason)
    }
}

impl std::error::Error for Rejection {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_and_are_unique() {
        let mut seen = std::collections::HashSet::new();
        for r in RejectReason::ALL {
            assert!(seen.insert(r.code()), "duplicate code {}", r.code());
            assert_eq!(RejectReason::from_code(r.code()), Some(*r));
        }
        assert_eq!(RejectReason::from_code("nope"), None);
    }
}
