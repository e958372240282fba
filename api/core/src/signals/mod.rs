//! Signals: where a cinema's figures cannot be true (issue 25).
//!
//! - `rules`: the pure rules, one cinema day at a time.
//! - `watch`: the watcher every API process runs, which re-evaluates the cinema days whose
//!   tickets, declared sessions or halls changed, as data arrives, and stores what it finds
//!   in `signals` (one row per cinema, day, kind and session; the newest version in force).
//! - `report`: the list the ministry and each cinema read, from the stored signals only
//!   (never a scan of the history per request).

pub mod report;
pub mod rules;
pub mod watch;
