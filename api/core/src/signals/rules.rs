//! The rules that say where a cinema's figures cannot be true, for one cinema's one
//! box-office day: pure functions of what is stored (its counted tickets, its declared
//! sessions, its halls) and the thresholds, so every API process finds the same signals in
//! the same data, whenever it looks.
//!
//! # Words
//! - A *session* is the cinema's `screening_id` on the day. Its admissions and gross count
//!   what every total counts (rows not voided; a refund is −1 and its amount negative); its
//!   hall and film are those of its first ticket row, its start the earliest `show_start`.
//! - A session's *declaration in force* is its latest declaration by `declared_at`, then by
//!   arrival; it was *declared before its start* when some scheduled declaration of it
//!   arrived (ekino received it) before `show_start`.
//! - Gross at stake is integer tiyn, rounded down (a share of a session's gross is
//!   `gross × part ÷ whole`, truncated): an estimate, never a figure that is paid.
//!
//! # Kinds
//! Each finding is keyed (kind, session): at most one per session and kind, with its evidence.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use schemas::declared::SessionStatus;
use serde_json::{json, Value};

/// What a signal says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// Counted admissions of a session above its hall's seats.
    OverCapacity,
    /// One seat counted twice in one session (neither refunded nor voided).
    SeatSoldTwice,
    /// Tickets counted for a session not declared before its start, at a cinema that
    /// declared sessions before it started.
    UndeclaredSession,
    /// Tickets counted for a session whose declaration in force is `cancelled`.
    CancelledSessionSold,
    /// Two declared, not cancelled sessions of one hall that overlap (on the later one).
    OverlappingSessions,
    /// A session starting in the night window at or above the full share of its hall.
    LateNightFull,
    /// Registered partners' tickets for a session above what the cinema reported for it
    /// through channel `partner`.
    PartnerGap,
    /// An inspector counted more people in a session than the admissions stored for it.
    HeadCountGap,
    /// The cinema's refund rate over the window far above its region's (`regional`).
    RefundRateOutlier,
    /// The cinema's average ticket price over the window far below its region's.
    AveragePriceOutlier,
    /// The cinema's occupancy of its declared seats over the window far below its region's.
    OccupancyOutlier,
}

impl Kind {
    pub const ALL: [Kind; 11] = [
        Kind::OverCapacity,
        Kind::SeatSoldTwice,
        Kind::UndeclaredSession,
        Kind::CancelledSessionSold,
        Kind::OverlappingSessions,
        Kind::LateNightFull,
        Kind::PartnerGap,
        Kind::HeadCountGap,
        Kind::RefundRateOutlier,
        Kind::AveragePriceOutlier,
        Kind::OccupancyOutlier,
    ];

    /// The kinds judged against the cinema's region over a window (`regional`), not per
    /// session: their signals have no session.
    pub const REGIONAL: [Kind; 3] = [
        Kind::RefundRateOutlier,
        Kind::AveragePriceOutlier,
        Kind::OccupancyOutlier,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Kind::OverCapacity => "over_capacity",
            Kind::SeatSoldTwice => "seat_sold_twice",
            Kind::UndeclaredSession => "undeclared_session",
            Kind::CancelledSessionSold => "cancelled_session_sold",
            Kind::OverlappingSessions => "overlapping_sessions",
            Kind::LateNightFull => "late_night_full",
            Kind::PartnerGap => "partner_gap",
            Kind::HeadCountGap => "head_count_gap",
            Kind::RefundRateOutlier => "refund_rate_outlier",
            Kind::AveragePriceOutlier => "average_price_outlier",
            Kind::OccupancyOutlier => "occupancy_outlier",
        }
    }

    /// Whether the kind's signals have no session (judged over the cinema's window).
    pub fn regional(self) -> bool {
        Kind::REGIONAL.contains(&self)
    }

    /// A signal's session key as a request names it: empty (a regional signal has none; a
    /// session kind's empty key then matches no signal) or 1–64 characters without control
    /// characters.
    pub fn check_session(screening_id: &str) -> Result<(), String> {
        if screening_id.is_empty() {
            return Ok(());
        }
        schemas::ids::bounded_text(screening_id, 64)
            .map(|_| ())
            .map_err(|e| e.to_string())
    }

    pub fn parse(s: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.code() == s)
    }
}

/// Thresholds of the rules (settings `api.signals.*`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Thresholds {
    /// The night window, local (UTC+5) hours: a start at or after `from`, before `to`.
    pub late_night_from_hour: u32,
    pub late_night_to_hour: u32,
    /// "Full": admissions at least this share of the hall's seats, in percent.
    pub late_night_full_percent: u32,
}

impl Default for Thresholds {
    fn default() -> Self {
        Self {
            late_night_from_hour: 0,
            late_night_to_hour: 7,
            late_night_full_percent: 90,
        }
    }
}

/// A counted ticket row of the day (not voided).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ticket {
    pub screening_id: String,
    pub hall: String,
    pub film_id: String,
    /// Seconds since the epoch.
    pub show_start: u32,
    /// +1 for a sale, −1 for a refund.
    pub qty: i64,
    pub gross_tiyn: i64,
    /// Row and number; empty for general admission.
    pub seat: (String, String),
    /// Sold through channel `partner` (an online seller).
    pub partner: bool,
}

/// A registered partner's record for a session of the day (`ekino.partner/1`), signed: a
/// refund's tickets and gross are negative.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartnerSale {
    pub partner_id: String,
    pub screening_id: String,
    pub tickets: i64,
    pub gross_tiyn: i64,
}

/// One declaration of a session of the day (all are given; the rules pick the one in force).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Declared {
    pub screening_id: String,
    pub hall: String,
    pub film_id: String,
    pub show_start: u32,
    pub ends_at: u32,
    pub seats_on_sale: u32,
    pub status: SessionStatus,
    pub declared_at: u32,
    pub arrived_at: u32,
}

/// An inspector's count of the people in a session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeadCount {
    pub screening_id: String,
    pub counted: u32,
    /// Seconds since the epoch.
    pub counted_at: u32,
}

/// One cinema's day, as stored.
#[derive(Debug, Clone, Default)]
pub struct CinemaDay {
    pub tickets: Vec<Ticket>,
    pub declarations: Vec<Declared>,
    /// Seats by hall key (halls not in the registry are absent: no seat rule applies).
    pub halls: HashMap<String, u32>,
    /// Registered partners' records of the day (others are not a source).
    pub partner_sales: Vec<PartnerSale>,
    /// Inspectors' counts of the day's sessions.
    pub head_counts: Vec<HeadCount>,
    /// Since when the cinema declares sessions: the arrival of its first declaration (any
    /// day); `None` when it never has. Sessions that started before are not held to it, so a
    /// cinema's history from before it began declaring is not flagged.
    pub declares_since: Option<u32>,
}

/// A signal found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    pub kind: Kind,
    pub screening_id: String,
    pub film_id: String,
    pub hall: String,
    pub evidence: Value,
    pub gross_at_stake_tiyn: i64,
}

/// A session as its tickets give it.
struct Session<'a> {
    hall: &'a str,
    film_id: &'a str,
    show_start: u32,
    admissions: i64,
    gross: i64,
    /// Admissions the cinema reported through channel `partner`.
    partner_admissions: i64,
    seats: BTreeMap<(&'a str, &'a str), (i64, i64)>,
}

/// `whole × part ÷ whole_count`, truncated; 0 when there is nothing to share.
fn share(gross: i64, part: i64, whole: i64) -> i64 {
    if whole <= 0 || part <= 0 {
        return 0;
    }
    i64::try_from(i128::from(gross) * i128::from(part) / i128::from(whole)).unwrap_or(i64::MAX)
}

fn sessions(tickets: &[Ticket]) -> BTreeMap<&str, Session<'_>> {
    let mut out: BTreeMap<&str, Session<'_>> = BTreeMap::new();
    for t in tickets {
        let s = out.entry(&t.screening_id).or_insert_with(|| Session {
            hall: &t.hall,
            film_id: &t.film_id,
            show_start: t.show_start,
            admissions: 0,
            gross: 0,
            partner_admissions: 0,
            seats: BTreeMap::new(),
        });
        s.show_start = s.show_start.min(t.show_start);
        s.admissions += t.qty;
        if t.partner {
            s.partner_admissions += t.qty;
        }
        s.gross += t.gross_tiyn;
        if !t.seat.0.is_empty() || !t.seat.1.is_empty() {
            let seat = s.seats.entry((&t.seat.0, &t.seat.1)).or_default();
            seat.0 += t.qty;
            seat.1 += t.gross_tiyn;
        }
    }
    out
}

/// Each session's declaration in force: latest by `declared_at`, then arrival.
fn in_force(declarations: &[Declared]) -> BTreeMap<&str, &Declared> {
    let mut out: BTreeMap<&str, &Declared> = BTreeMap::new();
    for d in declarations {
        let e = out.entry(&d.screening_id).or_insert(d);
        if (d.declared_at, d.arrived_at) > (e.declared_at, e.arrived_at) {
            *e = d;
        }
    }
    out
}

/// Local (UTC+5) "HH:MM" and hour of an instant.
fn local(t: u32) -> (String, u32) {
    let secs = (i64::from(t) + i64::from(schemas::time::KZ_OFFSET_SECONDS)).rem_euclid(86_400);
    let (h, m) = (secs / 3600, secs % 3600 / 60);
    (format!("{h:02}:{m:02}"), u32::try_from(h).unwrap_or(0))
}

/// Every signal of one cinema's day, ordered by kind and session.
pub fn evaluate(day: &CinemaDay, t: &Thresholds) -> Vec<Found> {
    let mut found = Vec::new();
    let declared = in_force(&day.declarations);
    for (id, s) in sessions(&day.tickets) {
        let found_one = |kind, evidence, at_stake| Found {
            kind,
            screening_id: id.to_owned(),
            film_id: s.film_id.to_owned(),
            hall: s.hall.to_owned(),
            evidence,
            gross_at_stake_tiyn: at_stake,
        };
        let seats = day.halls.get(s.hall).copied();
        if let Some(seats) = seats {
            let over = s.admissions - i64::from(seats);
            if over > 0 {
                found.push(found_one(
                    Kind::OverCapacity,
                    json!({"admissions": s.admissions, "seats": seats}),
                    share(s.gross, over, s.admissions),
                ));
            }
            let (start, hour) = local(s.show_start);
            let in_window = hour >= t.late_night_from_hour && hour < t.late_night_to_hour;
            if in_window
                && s.admissions * 100 >= i64::from(t.late_night_full_percent) * i64::from(seats)
            {
                found.push(found_one(
                    Kind::LateNightFull,
                    json!({"admissions": s.admissions, "seats": seats, "starts": start,
                           "full_percent": t.late_night_full_percent}),
                    s.gross.max(0),
                ));
            }
        }
        let twice: Vec<Value> = s
            .seats
            .iter()
            .filter(|(_, (n, _))| *n > 1)
            .map(|((row, number), (n, _))| json!({"row": row, "number": number, "count": n}))
            .collect();
        if !twice.is_empty() {
            let at_stake: i64 = s
                .seats
                .values()
                .filter(|(n, _)| *n > 1)
                .map(|(n, gross)| share(*gross, n - 1, *n))
                .sum();
            let shown: Vec<Value> = twice.iter().take(20).cloned().collect();
            found.push(found_one(
                Kind::SeatSoldTwice,
                json!({"seats_counted_twice": twice.len(), "seats": shown}),
                at_stake,
            ));
        }
        if s.admissions > 0 {
            match declared.get(id) {
                Some(d) if d.status == SessionStatus::Cancelled => found.push(found_one(
                    Kind::CancelledSessionSold,
                    json!({"admissions": s.admissions, "gross_tiyn": s.gross,
                           "cancelled_at": d.declared_at}),
                    s.gross.max(0),
                )),
                _ if day.declares_since.is_some_and(|since| since < s.show_start) => {
                    let before = day.declarations.iter().any(|d| {
                        d.screening_id == id
                            && d.status == SessionStatus::Scheduled
                            && d.arrived_at < s.show_start
                    });
                    if !before {
                        let late = day
                            .declarations
                            .iter()
                            .filter(|d| d.screening_id == id)
                            .map(|d| d.arrived_at)
                            .min();
                        found.push(found_one(
                            Kind::UndeclaredSession,
                            json!({"admissions": s.admissions, "gross_tiyn": s.gross,
                                   "show_start": s.show_start, "declared_late_at": late}),
                            s.gross.max(0),
                        ));
                    }
                }
                _ => {}
            }
        }
    }
    found.extend(partner_gaps(day));
    found.extend(head_count_gaps(day));
    found.extend(overlaps(&declared));
    found.sort_by(|a, b| (a.kind, &a.screening_id).cmp(&(b.kind, &b.screening_id)));
    found
}

/// Sessions whose registered partners' tickets exceed what the cinema reported for them
/// through channel `partner` (a session the cinema reported nothing for included).
fn partner_gaps(day: &CinemaDay) -> Vec<Found> {
    let sessions = sessions(&day.tickets);
    let mut by_session: BTreeMap<&str, (i64, i64, BTreeSet<&str>)> = BTreeMap::new();
    for p in &day.partner_sales {
        let e = by_session.entry(&p.screening_id).or_default();
        e.0 += p.tickets;
        e.1 += p.gross_tiyn;
        e.2.insert(&p.partner_id);
    }
    let mut out = Vec::new();
    for (id, (tickets, gross, partners)) in by_session {
        let session = sessions.get(id);
        let reported = session.map_or(0, |s| s.partner_admissions);
        let gap = tickets - reported;
        if gap > 0 {
            out.push(Found {
                kind: Kind::PartnerGap,
                screening_id: id.to_owned(),
                film_id: session.map_or(String::new(), |s| s.film_id.to_owned()),
                hall: session.map_or(String::new(), |s| s.hall.to_owned()),
                evidence: json!({
                    "partner_tickets": tickets, "partner_gross_tiyn": gross,
                    "reported_partner_admissions": reported, "partners": partners,
                }),
                gross_at_stake_tiyn: share(gross, gap, tickets),
            });
        }
    }
    out
}

/// Sessions in which an inspector counted more people than the admissions stored (its
/// highest count, when counted more than once). The gross at stake is the uncounted people at
/// the session's average price; nothing when no ticket was stored to price them by.
fn head_count_gaps(day: &CinemaDay) -> Vec<Found> {
    let sessions = sessions(&day.tickets);
    let mut highest: BTreeMap<&str, &HeadCount> = BTreeMap::new();
    for c in &day.head_counts {
        let e = highest.entry(&c.screening_id).or_insert(c);
        if (c.counted, c.counted_at) > (e.counted, e.counted_at) {
            *e = c;
        }
    }
    let mut out = Vec::new();
    for (id, c) in highest {
        let session = sessions.get(id);
        let (admissions, gross) = session.map_or((0, 0), |s| (s.admissions, s.gross));
        let gap = i64::from(c.counted) - admissions;
        if gap > 0 {
            out.push(Found {
                kind: Kind::HeadCountGap,
                screening_id: id.to_owned(),
                film_id: session.map_or(String::new(), |s| s.film_id.to_owned()),
                hall: session.map_or(String::new(), |s| s.hall.to_owned()),
                evidence: json!({"head_count": c.counted, "admissions": admissions, "counted_at": c.counted_at}),
                gross_at_stake_tiyn: share(gross, gap, admissions),
            });
        }
    }
    out
}

/// Overlapping declared sessions of one hall: each later-starting one of a pair, naming the
/// earlier (the first it overlaps, by start).
fn overlaps(declared: &BTreeMap<&str, &Declared>) -> Vec<Found> {
    let mut by_hall: BTreeMap<&str, Vec<&Declared>> = BTreeMap::new();
    for d in declared.values() {
        if d.status == SessionStatus::Scheduled {
            by_hall.entry(&d.hall).or_default().push(d);
        }
    }
    let mut out = Vec::new();
    for sessions in by_hall.values_mut() {
        sessions
            .sort_by(|a, b| (a.show_start, &a.screening_id).cmp(&(b.show_start, &b.screening_id)));
        for (i, later) in sessions.iter().enumerate() {
            if let Some(earlier) = sessions[..i].iter().find(|e| e.ends_at > later.show_start) {
                out.push(Found {
                    kind: Kind::OverlappingSessions,
                    screening_id: later.screening_id.clone(),
                    film_id: later.film_id.clone(),
                    hall: later.hall.clone(),
                    evidence: json!({
                        "show_start": later.show_start, "ends_at": later.ends_at,
                        "other_screening_id": earlier.screening_id,
                        "other_show_start": earlier.show_start, "other_ends_at": earlier.ends_at,
                    }),
                    gross_at_stake_tiyn: 0,
                });
            }
        }
    }
    out
}

#[cfg(test)]
#[path = "rules_tests.rs"]
mod tests;
