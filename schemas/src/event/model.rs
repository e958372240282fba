//! The events of the contract as domain values: a sale or refund ([`TicketEvent`]), a
//! correction ([`VoidEvent`]), either ([`Event`]), and the contract's limits. Only `decode`
//! makes them from outside, so a value of these types is valid; `wire` writes them back.

use chrono::{DateTime, NaiveDate, Utc};

use crate::ids::{Bin, EventId, FilmId};
use crate::money::{Kzt, VatRate};

pub const SCHEMA_ID: &str = "ekino.ticket/1";

/// Highest accepted ticket price, in tiyn (1,000,000 KZT).
pub const MAX_PRICE: Kzt = Kzt::from_tiyn(100_000_000);

/// How far in the future `occurred_at` may be (clock skew at the till).
pub const MAX_FUTURE_SKEW_SECONDS: i64 = 300;

/// The `type` of a correction event (see [`VoidEvent`]).
pub const VOID_TYPE: &str = "void";

/// Longest reason a void may carry, in characters.
pub const MAX_VOID_REASON_CHARS: usize = 200;

macro_rules! wire_enum {
    ($(#[$m:meta])* $name:ident { $($variant:ident => $code:literal = $n:literal),* $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name { $($variant,)* }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant,)*];

            pub fn parse(s: &str) -> Option<Self> {
                match s { $($code => Some($name::$variant),)* _ => None }
            }

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $code,)* }
            }

            /// The value stored in the ClickHouse `Enum8` column.
            pub fn to_i8(self) -> i8 {
                match self { $($name::$variant => $n,)* }
            }

            pub fn from_i8(n: i8) -> Option<Self> {
                match n { $($n => Some($name::$variant),)* _ => None }
            }

            /// The `Enum8(...)` type used in the DDL, derived from the same table.
            pub fn clickhouse_type() -> String {
                let items: Vec<String> = vec![$(format!("'{}' = {}", $code, $n),)*];
                format!("Enum8({})", items.join(", "))
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

wire_enum!(
    /// A sale, or a refund of an earlier sale.
    EventType { Sale => "sale" = 1, Refund => "refund" = 2 }
);
wire_enum!(
    /// Where the ticket was sold.
    Channel { BoxOffice => "box_office" = 1, Online => "online" = 2, Kiosk => "kiosk" = 3, Partner => "partner" = 4 }
);
wire_enum!(
    /// The fare the ticket was sold at.
    TicketType {
        Full => "full" = 1, Child => "child" = 2, Student => "student" = 3,
        Senior => "senior" = 4, Discount => "discount" = 5, Invitation => "invitation" = 6,
    }
);

/// A seat; `None` on the event means general admission.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Seat {
    pub row: String,
    pub number: String,
}

/// A validated ticket sale or refund.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TicketEvent {
    pub event_id: EventId,
    pub event_type: EventType,
    pub cinema_bin: Bin,
    pub hall: String,
    pub screening_id: String,
    pub film_id: FilmId,
    pub show_start: DateTime<Utc>,
    pub occurred_at: DateTime<Utc>,
    /// For a sale the price paid; for a refund the amount returned. VAT included.
    pub price: Kzt,
    pub vat_rate: VatRate,
    pub seat: Option<Seat>,
    pub channel: Channel,
    pub ticket_type: TicketType,
    /// For a refund, the sale it returns; `None` for a sale.
    pub refund_of: Option<EventId>,
}

impl TicketEvent {
    /// The box-office day: local (UTC+5) date of the screening's start.
    pub fn day(&self) -> NaiveDate {
        crate::time::box_office_day(self.show_start)
    }

    /// The price without VAT, rounded per ticket by the one money rounding rule.
    pub fn net_price(&self) -> Kzt {
        self.vat_rate.net_of(self.price)
    }

    /// Signed effect on admissions: +1 for a sale, -1 for a refund.
    pub fn admissions_delta(&self) -> i64 {
        match self.event_type {
            EventType::Sale => 1,
            EventType::Refund => -1,
        }
    }
}

/// A correction: the cinema says that its event `voids` never happened (a mistaken sale or
/// refund). It carries no ticket fields; whether it is accepted depends on the voided event
/// (same cinema, not a void, inside the correction window), which only ingest knows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VoidEvent {
    pub event_id: EventId,
    pub cinema_bin: Bin,
    pub occurred_at: DateTime<Utc>,
    pub voids: EventId,
    pub reason: String,
}

/// Any event of the contract.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    Ticket(TicketEvent),
    Void(VoidEvent),
}

impl Event {
    pub fn event_id(&self) -> EventId {
        match self {
            Event::Ticket(t) => t.event_id,
            Event::Void(v) => v.event_id,
        }
    }

    pub fn cinema_bin(&self) -> &Bin {
        match self {
            Event::Ticket(t) => &t.cinema_bin,
            Event::Void(v) => &v.cinema_bin,
        }
    }

    pub fn occurred_at(&self) -> DateTime<Utc> {
        match self {
            Event::Ticket(t) => t.occurred_at,
            Event::Void(v) => v.occurred_at,
        }
    }
}
