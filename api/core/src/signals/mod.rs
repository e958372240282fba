//! Signals: where a cinema's figures cannot be true (issue 25).
//!
//! - `rules`: the pure rules, one cinema day at a time.
//! - `regional`: the pure rules of outliers against the cinema's region over a window.
//! - `watch`: the watcher every API process runs, which re-evaluates the cinema days whose
//!   tickets, declared sessions or halls changed, as data arrives, and stores what it finds
//!   in `signals` (one row per cinema, day, kind and session; the newest version in force).
//! - `watch_regional`: the watcher's slower round that judges the regional outliers of the
//!   days whose window changed.
//! - `store`: what the rounds share (progress, the row to store for a finding).
//! - `report`: the list the ministry and each cinema read, from the stored signals only
//!   (never a scan of the history per request).

pub mod regional;
pub mod report;
pub mod rules;
pub mod store;
pub mod watch;
pub mod watch_regional;
