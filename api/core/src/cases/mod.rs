//! Cases: from signals to a decision (issue 25, item 5).
//!
//! The ministry opens a case on one cinema from one or more of its signals in force. The
//! case keeps the signals as they stood then (their evidence copied) and two estimates made
//! from them ([`rules::estimate`]); then its steps follow, one row each in `case_steps`:
//!
//! ```text
//! opened ─notice→ notified ─reply→ answered ─reply→ answered
//!    │                │                 │
//!    └──────── decision (ladder step or none) ─────→ decided
//! ```
//!
//! - a notice is the ministry's letter to the cinema, written in Kazakh or Russian; there may
//!   be several;
//! - a reply is the cinema's answer, from its cabinet, only after a notice (it answers
//!   something) and before the decision;
//! - the decision is a step of the configured ladder (`api.cases.ladder`: warning, fine,
//!   closures…) or [`NO_BREACH`]. A sanction needs a notice first, so a cinema is never
//!   sanctioned without having been told and able to answer; "no breach" may close a case at
//!   any time. One decision ends a case: later steps are refused (409).
//!
//! The state is read from the steps ([`rules::state_of`]), never stored beside them, so it
//! cannot drift from the history. Every step is also an audited request (`api_audit`).
//!
//! - `rules`: the pure part (state machine, estimates);
//! - `store`: the rows and their reads.

pub mod rules;
pub mod store;

/// The decision that no breach was found (not a step of the ladder; always available).
pub const NO_BREACH: &str = "none";
