//! The pure part of cases: the state a case's steps put it in, what each caller may do next,
//! and the estimates made from its signals.
//!
//! # Estimates (integer tiyn; estimates, never figures that are paid)
//! - *Gross in doubt*: per session, the largest gross at stake of its signals (two signals of
//!   one session describe the same tickets, so they are not added), summed over sessions.
//! - *Unreported gross*: the same, over the signals that say tickets were sold but not
//!   reported (`partner_gap`, `head_count_gap`, and the regional outliers: refunds of sales
//!   that took place, tickets reported cheaper, seats filled and not reported); the others
//!   say figures are inflated or impossible, which hides no sales.
//! - A regional outlier has no session: its estimate is of its whole day, so a day counts
//!   either it (the largest of the day's regional ones) or its sessions' signals, whichever
//!   hides more — never both.
//! - *Withheld rentals*: what the distributors did not receive of the unreported gross:
//!   per session, net of VAT (the highest rate in force on the session's day, none for a
//!   cinema registered as not paying VAT; `VatRate::net_of`), times one minus the film's
//!   exhibitor share (its recorded agreement, else 50 %), rounded by `schemas::money::ROUNDING`.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use schemas::money::VatRate;
use schemas::Kzt;
use serde::{Deserialize, Serialize};

use crate::signals::rules::Kind;

/// Where a case stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum State {
    /// Opened; the cinema has not been written to.
    Open,
    /// The ministry sent a notice; the cinema has not answered since.
    Notified,
    /// The cinema answered the latest notice.
    Answered,
    /// Decided; nothing more happens.
    Decided,
}

impl State {
    pub const ALL: [State; 4] = [
        State::Open,
        State::Notified,
        State::Answered,
        State::Decided,
    ];

    pub fn code(self) -> &'static str {
        match self {
            State::Open => "open",
            State::Notified => "notified",
            State::Answered => "answered",
            State::Decided => "decided",
        }
    }

    pub fn parse(s: &str) -> Option<State> {
        State::ALL.into_iter().find(|k| k.code() == s)
    }
}

/// What a step is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum StepKind {
    Opened,
    Notice,
    Reply,
    Decision,
}

impl StepKind {
    pub fn code(self) -> &'static str {
        match self {
            StepKind::Opened => "opened",
            StepKind::Notice => "notice",
            StepKind::Reply => "reply",
            StepKind::Decision => "decision",
        }
    }

    pub fn parse(s: &str) -> Option<StepKind> {
        [
            StepKind::Opened,
            StepKind::Notice,
            StepKind::Reply,
            StepKind::Decision,
        ]
        .into_iter()
        .find(|k| k.code() == s)
    }
}

/// The state after `steps`, in order. The first decision ends the case: anything stored
/// after it (two decisions racing) changes nothing.
pub fn state_of(steps: impl IntoIterator<Item = StepKind>) -> State {
    let mut state = State::Open;
    for s in steps {
        state = match (state, s) {
            (State::Decided, _) => State::Decided,
            (_, StepKind::Decision) => State::Decided,
            (_, StepKind::Notice) => State::Notified,
            (State::Notified | State::Answered, StepKind::Reply) => State::Answered,
            (st, _) => st,
        };
    }
    state
}

/// Why a step cannot be taken now (a 409, said in the page's language by its code).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("the case is decided; nothing more can be added to it")]
    Decided,
    #[error("the ministry has not sent a notice yet, so there is nothing to answer")]
    NoNotice,
    #[error("a sanction needs a notice to the cinema first (it must be told and able to answer); only none may close a case without one")]
    SanctionWithoutNotice,
}

impl Refusal {
    pub fn code(self) -> &'static str {
        match self {
            Refusal::Decided => "case_decided",
            Refusal::NoNotice => "case_no_notice",
            Refusal::SanctionWithoutNotice => "case_sanction_without_notice",
        }
    }
}

/// Whether `step` may follow `state`; `sanction` says a decision is a ladder step (not
/// "no breach").
pub fn may(state: State, step: StepKind, sanction: bool) -> Result<(), Refusal> {
    match (state, step) {
        (State::Decided, _) => Err(Refusal::Decided),
        (State::Open, StepKind::Reply) => Err(Refusal::NoNotice),
        (State::Open, StepKind::Decision) if sanction => Err(Refusal::SanctionWithoutNotice),
        _ => Ok(()),
    }
}

/// A signal as a case keeps it (its evidence as it stood when the case was opened).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CaseSignal {
    pub kind: String,
    #[schema(value_type = String, format = Date)]
    pub day: NaiveDate,
    pub screening_id: String,
    pub film_id: String,
    pub hall: String,
    #[schema(value_type = Object)]
    pub evidence: serde_json::Value,
    #[schema(value_type = String)]
    pub gross_at_stake: Kzt,
}

/// Whether a kind's gross at stake is sales not reported (not figures inflated).
pub fn hides_sales(kind: &str) -> bool {
    matches!(
        Kind::parse(kind),
        Some(
            Kind::PartnerGap
                | Kind::HeadCountGap
                | Kind::RefundRateOutlier
                | Kind::AveragePriceOutlier
                | Kind::OccupancyOutlier
        )
    )
}

/// A case's estimates (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Estimates {
    pub gross_in_doubt: Kzt,
    pub unreported_gross: Kzt,
    pub withheld_rentals: Kzt,
}

/// What a case's estimates need of the registries.
pub struct Terms<'a> {
    /// The cinema is registered as a VAT payer (an unregistered one is taken as one: the
    /// smaller net, so the estimate never overstates).
    pub vat_payer: bool,
    /// A film's exhibitor share in 1/10,000, when an agreement is recorded.
    pub exhibitor_share: &'a dyn Fn(&str) -> Option<u32>,
}

/// The highest VAT rate in force on `day` (`schemas/data/vat_rates.csv`).
fn vat_on(day: NaiveDate) -> VatRate {
    schemas::vat::table()
        .iter()
        .filter(|r| r.covers(day))
        .map(|r| r.rate)
        .max()
        .unwrap_or(VatRate::from_units(0))
}

pub fn estimate(signals: &[CaseSignal], terms: &Terms<'_>) -> Estimates {
    // (day, session) -> (largest at stake, largest hidden, film)
    let mut by_session: BTreeMap<(NaiveDate, &str), (i64, i64, &str)> = BTreeMap::new();
    for s in signals {
        let e = by_session
            .entry((s.day, s.screening_id.as_str()))
            .or_insert((0, 0, s.film_id.as_str()));
        let g = s.gross_at_stake.tiyn().max(0);
        e.0 = e.0.max(g);
        if hides_sales(&s.kind) {
            e.1 = e.1.max(g);
        }
    }
    // A regional signal (no session) estimates the whole day: it and the day's sessions
    // describe the same tickets, so a day counts either its regional estimate or its
    // sessions', whichever hides more (then whichever doubts more).
    // Per day: (hidden, in doubt) of its regional estimate, and of its sessions together.
    type HiddenDoubt = (i64, i64);
    let mut days: BTreeMap<NaiveDate, (HiddenDoubt, HiddenDoubt)> = BTreeMap::new();
    for ((day, session), (doubt, hidden, _)) in &by_session {
        let e = days.entry(*day).or_default();
        if session.is_empty() {
            e.0 = (*hidden, *doubt);
        } else {
            e.1 = (e.1 .0 + hidden, e.1 .1 + doubt);
        }
    }
    by_session.retain(|(day, session), _| {
        let whole_day = days
            .get(day)
            .is_some_and(|(regional, sessions)| regional > sessions);
        whole_day == session.is_empty()
    });
    let mut out = (0i64, 0i64, 0i64);
    for ((day, _), (doubt, hidden, film)) in by_session {
        out.0 = out.0.saturating_add(doubt);
        out.1 = out.1.saturating_add(hidden);
        let rate = if terms.vat_payer {
            vat_on(day)
        } else {
            VatRate::from_units(0)
        };
        let net = rate.net_of(Kzt::from_tiyn(hidden));
        let share =
            (terms.exhibitor_share)(film).unwrap_or(crate::reports::roi::DEFAULT_EXHIBITOR_SHARE);
        let rentals = Decimal::from(net.tiyn())
            * (Decimal::ONE - Decimal::new(i64::from(share.min(VatRate::SCALE)), 4));
        let rentals = {
            use rust_decimal::prelude::ToPrimitive;
            rentals
                .round_dp_with_strategy(0, schemas::money::ROUNDING)
                .to_i64()
                .unwrap_or(i64::MAX)
        };
        out.2 = out.2.saturating_add(rentals);
    }
    Estimates {
        gross_in_doubt: Kzt::from_tiyn(out.0),
        unreported_gross: Kzt::from_tiyn(out.1),
        withheld_rentals: Kzt::from_tiyn(out.2),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sig(kind: &str, day: &str, session: &str, film: &str, tiyn: i64) -> CaseSignal {
        CaseSignal {
            kind: kind.into(),
            day: day.parse().unwrap(),
            screening_id: session.into(),
            film_id: film.into(),
            hall: "1".into(),
            evidence: serde_json::json!({}),
            gross_at_stake: Kzt::from_tiyn(tiyn),
        }
    }

    #[test]
    fn steps_lead_from_open_to_decided_and_nothing_follows_a_decision() {
        use StepKind::*;
        assert_eq!(state_of([Opened]), State::Open);
        assert_eq!(state_of([Opened, Reply]), State::Open);
        assert_eq!(state_of([Opened, Notice]), State::Notified);
        assert_eq!(state_of([Opened, Notice, Reply]), State::Answered);
        assert_eq!(state_of([Opened, Notice, Reply, Notice]), State::Notified);
        assert_eq!(state_of([Opened, Notice, Decision]), State::Decided);
        assert_eq!(state_of([Opened, Decision, Notice, Reply]), State::Decided);
    }

    #[test]
    fn a_reply_needs_a_notice_a_sanction_needs_a_notice_and_a_decided_case_takes_nothing() {
        assert_eq!(
            may(State::Open, StepKind::Reply, false),
            Err(Refusal::NoNotice)
        );
        assert_eq!(
            may(State::Open, StepKind::Decision, true),
            Err(Refusal::SanctionWithoutNotice)
        );
        assert_eq!(may(State::Open, StepKind::Decision, false), Ok(()));
        assert_eq!(may(State::Open, StepKind::Notice, false), Ok(()));
        assert_eq!(may(State::Notified, StepKind::Reply, false), Ok(()));
        assert_eq!(may(State::Answered, StepKind::Reply, false), Ok(()));
        assert_eq!(may(State::Answered, StepKind::Decision, true), Ok(()));
        for step in [StepKind::Notice, StepKind::Reply, StepKind::Decision] {
            assert_eq!(may(State::Decided, step, false), Err(Refusal::Decided));
        }
    }

    #[test]
    fn estimates_take_the_largest_figure_per_session_and_rentals_from_hidden_sales_only() {
        // Session A (2026-03-10, film F1 with a 60 % exhibitor share): a partner gap of
        // 11,600.00 and an over-capacity of 20,000.00 — in doubt 20,000.00 (the larger),
        // unreported 11,600.00; net of 16 % VAT 10,000.00; rentals 40 % = 4,000.00.
        // Session B (same day, film F2, no agreement): a head-count gap of 2,320.00 — net
        // 2,000.00, rentals 50 % = 1,000.00.
        // Session C: a late-night full show of 5,000.00 — in doubt only.
        let signals = [
            sig("partner_gap", "2026-03-10", "A", "F1", 1_160_000),
            sig("over_capacity", "2026-03-10", "A", "F1", 2_000_000),
            sig("head_count_gap", "2026-03-10", "B", "F2", 232_000),
            sig("late_night_full", "2026-03-10", "C", "F2", 500_000),
        ];
        let share = |film: &str| (film == "F1").then_some(6_000);
        let e = estimate(
            &signals,
            &Terms {
                vat_payer: true,
                exhibitor_share: &share,
            },
        );
        assert_eq!(
            e.gross_in_doubt,
            Kzt::from_tiyn(2_000_000 + 232_000 + 500_000)
        );
        assert_eq!(e.unreported_gross, Kzt::from_tiyn(1_160_000 + 232_000));
        assert_eq!(e.withheld_rentals, Kzt::from_tiyn(400_000 + 100_000));
    }

    #[test]
    fn a_cinema_not_paying_vat_withholds_rentals_on_its_whole_gross_and_2025_nets_at_12_percent() {
        let signals = [sig("partner_gap", "2025-12-20", "A", "F", 1_120_000)];
        let none = |_: &str| None;
        let payer = estimate(
            &signals,
            &Terms {
                vat_payer: true,
                exhibitor_share: &none,
            },
        );
        // 11,200.00 / 1.12 = 10,000.00; half is 5,000.00.
        assert_eq!(payer.withheld_rentals, Kzt::from_tiyn(500_000));
        let small = estimate(
            &signals,
            &Terms {
                vat_payer: false,
                exhibitor_share: &none,
            },
        );
        assert_eq!(small.withheld_rentals, Kzt::from_tiyn(560_000));
    }

    #[test]
    fn a_regional_outlier_counts_its_day_once_instead_of_the_days_sessions_when_larger() {
        // 10 March: an occupancy outlier estimates 11,600.00 of the day unreported (and an
        // average-price one 5,800.00: the larger regional one stands for the day); a head
        // count gap of 2,320.00 in session B is part of the same day, so only 11,600.00
        // counts — net of 16 % 10,000.00, rentals at 50 % (no film) 5,000.00.
        // 11 March: the regional estimate (1,160.00) is below the sessions' (a partner gap of
        // 2,320.00 and an over-capacity of 3,000.00 in doubt): the sessions count.
        let signals = [
            sig("occupancy_outlier", "2026-03-10", "", "", 1_160_000),
            sig("average_price_outlier", "2026-03-10", "", "", 580_000),
            sig("head_count_gap", "2026-03-10", "B", "F2", 232_000),
            sig("refund_rate_outlier", "2026-03-11", "", "", 116_000),
            sig("partner_gap", "2026-03-11", "C", "F2", 232_000),
            sig("over_capacity", "2026-03-11", "D", "F2", 300_000),
        ];
        let none = |_: &str| None;
        let e = estimate(
            &signals,
            &Terms {
                vat_payer: true,
                exhibitor_share: &none,
            },
        );
        assert_eq!(e.unreported_gross, Kzt::from_tiyn(1_160_000 + 232_000));
        assert_eq!(
            e.gross_in_doubt,
            Kzt::from_tiyn(1_160_000 + 232_000 + 300_000)
        );
        // 2,320.00 / 1.16 = 2,000.00, half 1,000.00.
        assert_eq!(e.withheld_rentals, Kzt::from_tiyn(500_000 + 100_000));
    }
}
