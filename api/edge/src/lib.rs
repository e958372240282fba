//! The warp edge both faces share: what every route is wrapped in, and nothing about any one
//! route.
//!
//! - [`extract`]: the shared state, the raw query, the caller (a key within its rate limit,
//!   or a public caller within its address's limit), a bounded body and the TCP peer.
//! - [`audited`]: a reply's metrics and its audit record, carried on the response to
//!   [`around`], the last step of every request, which adds the client address and records it.
//! - [`problem`]: the one place an [`api_core::error::ApiError`] becomes a response, and the
//!   one `recover` that turns warp's rejections into the same shape.
//!
//! This crate sits between the core (no warp) and the two faces (JSON routes, web pages):
//! both faces import it, it imports neither.

pub mod audited;
pub mod extract;
pub mod problem;

pub use audited::{around, audited, carry_audit, now_secs};
pub use extract::{
    body, client, lazy_body, peer, principal, public, query, state, LazyBody, State, PEER_HEADER,
};
pub use problem::{recover, reject, reply, WrongMethod};
