//! The core of the ekino API, without warp: the state, the stores, keys and sessions, claims
//! and the decider, the audit log, the use cases (`handlers`) and the report queries
//! (`reports`). Both faces (the JSON routes and the web pages) and the `ekino` CLI call it;
//! it calls none of them.
//!
//! - `handlers` are plain async functions of typed inputs returning `Result<T, ApiError>`;
//!   `reports` run the ClickHouse queries; `error` says what status each error is and the one
//!   problem document it becomes.
//! - Access: the role and BIN scope come from the caller's key (`auth::Principal`). A caller
//!   asking for data outside its scope (another cinema, a film it does not produce, a route its
//!   role may not use) gets 404, never 403, so existence does not leak.

pub mod applicants;
pub mod audit;
pub mod audit_row;
pub mod auth;
pub mod cases;
pub mod claims;
pub mod config;
pub mod decider;
pub mod decision_queue;
pub mod error;
pub mod estimate;
pub mod fx;
pub mod guards;
pub mod handlers;
pub mod key_requests;
pub mod keys;
pub mod metrics;
pub mod params;
pub mod ratelimit;
pub mod reports;
pub mod sessions;
pub mod signals;
pub mod spool;
pub mod state;
