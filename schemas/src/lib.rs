//! Domain types shared by every ekino crate.
//!
//! Three kinds of types live here and are kept apart on purpose:
//! - **wire** types mirror the JSON contract (`ekino.ticket/1`) byte for byte and are only
//!   ever parsed, never trusted ([`event::wire`]);
//! - **domain** types are what the rest of the code reasons about; they can only be built
//!   through `parse`/`TryFrom`, so holding one means it is valid ([`event::TicketEvent`],
//!   [`ids`], [`money`]);
//! - **storage** rows are the exact column layout of the ClickHouse tables ([`storage`]).
//!
//! Conversions between them are explicit functions, never `From` impls that could hide a
//! loss of information.

pub mod clock;
pub mod contract;
pub mod ddl;
pub mod declared;
pub mod event;
#[cfg(feature = "export")]
pub mod export;
#[cfg(feature = "storage")]
pub mod history;
pub mod ids;
pub mod integral;
pub mod money;
#[cfg(feature = "openapi")]
pub mod openapi;
pub mod partner;
pub mod region;
pub mod registry;
pub mod reject;
pub mod rollup;
#[cfg(feature = "storage")]
pub mod storage;
pub mod time;
pub mod vat;

pub use event::{Channel, Event, EventType, Seat, TicketEvent, TicketType, VoidEvent, SCHEMA_ID};
pub use ids::{Bin, EventId, FilmId};
pub use money::{Kzt, VatRate};
pub use reject::{RejectReason, Rejection};
