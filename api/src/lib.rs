//! The ekino API: warp filters over plain handlers, and the report queries they share with
//! the CLI.
//!
//! - `filters` compose paths, methods, query strings, body limits, credentials, rate limits,
//!   audit and metrics; `handlers` are plain async functions returning `Result<T, ApiError>`;
//!   `reports` run the ClickHouse queries; `error` is the one place errors become statuses.
//! - Access: `Authorization: Bearer <key>`; the role and BIN scope come from the key. A caller
//!   asking for data outside its scope (another cinema, a film it does not produce, a route its
//!   role may not use) gets 404, never 403, so existence does not leak.

pub mod applicants;
pub mod audit;
pub mod auth;
pub mod claims;
pub mod config;
pub mod decider;
pub mod error;
pub mod filters;
pub mod fx;
pub mod guards;
pub mod handlers;
pub mod http;
pub mod keys;
pub mod metrics;
pub mod openapi;
pub mod params;
pub mod ratelimit;
pub mod reports;
pub mod server;
pub mod sessions;
pub mod spool;
pub mod state;
pub mod web;
