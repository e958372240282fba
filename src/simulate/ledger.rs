//! What the simulator sent, counted independently of ingest, for checking totals.
//!
//! The ledger is the reference the pipeline, kill, outage and chaos tests hold ingest to, so
//! it applies the contract's rules itself, never the functions of `schemas` that ingest
//! uses: a sale adds one admission and a refund takes one away; the box-office day is the
//! screening's start in UTC+5; the net is the price divided by `1 + vat_rate`, rounded half
//! away from zero to the tiyn (README, "The ticket event contract").

use std::collections::BTreeMap;

use chrono::NaiveDate;
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::{Decimal, RoundingStrategy};
use schemas::{EventType, TicketEvent};
use serde::{Deserialize, Serialize};

/// The box-office day of a screening starting at `show_start`: its date in UTC+5.
fn box_office_day(e: &TicketEvent) -> NaiveDate {
    (e.show_start + chrono::Duration::hours(5)).date_naive()
}

/// The price without VAT, in tiyn: `price / (1 + rate)`, half away from zero.
fn net_tiyn(e: &TicketEvent) -> i64 {
    let price = Decimal::new(e.price.tiyn(), 2);
    let net = (price / (Decimal::ONE + e.vat_rate.to_decimal()))
        .round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero);
    (net * Decimal::ONE_HUNDRED)
        .to_i64()
        .expect("a ticket's net is whole tiyn and fits")
}

#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DayTotals {
    pub admissions: i64,
    pub gross_tiyn: i64,
    pub net_tiyn: i64,
}

#[derive(Debug, Default, Clone, Serialize, Deserialize)]
pub struct Ledger {
    pub seed: u64,
    pub first_day: String,
    pub days: u32,
    /// Kafka messages produced, duplicates and invalid ones included.
    pub messages: u64,
    /// Distinct valid events (each counted once, however often sent).
    pub valid_events: u64,
    pub sales: u64,
    pub refunds: u64,
    pub duplicates: u64,
    /// Sales keyed by mistake and voided in time: stored rows that count nothing.
    pub voided: u64,
    /// Voids taken (each takes one sale out).
    pub voids: u64,
    pub invalid: u64,
    pub invalid_by_reason: BTreeMap<String, u64>,
    pub admissions: i64,
    pub gross_tiyn: i64,
    pub net_tiyn: i64,
    /// By box-office day (UTC+5 date of the screening start).
    pub by_day: BTreeMap<String, DayTotals>,
    /// Sessions declared on the sessions topic (`--declare`).
    pub declared_sessions: u64,
}

impl Ledger {
    pub fn count_valid(&mut self, e: &TicketEvent) {
        self.messages += 1;
        self.valid_events += 1;
        match e.event_type {
            EventType::Sale => self.sales += 1,
            EventType::Refund => self.refunds += 1,
        }
        let q = match e.event_type {
            EventType::Sale => 1,
            EventType::Refund => -1,
        };
        let (gross, net) = (q * e.price.tiyn(), q * net_tiyn(e));
        self.admissions += q;
        self.gross_tiyn += gross;
        self.net_tiyn += net;
        let d = self
            .by_day
            .entry(box_office_day(e).to_string())
            .or_default();
        d.admissions += q;
        d.gross_tiyn += gross;
        d.net_tiyn += net;
    }

    /// A sale that is voided in time: a stored row, no admission, no money.
    pub fn count_voided(&mut self, e: &TicketEvent) {
        self.messages += 1;
        self.valid_events += 1;
        self.sales += 1;
        self.voided += 1;
        // Its day is still reported, with nothing in it from this sale.
        self.by_day
            .entry(box_office_day(e).to_string())
            .or_default();
    }

    /// A void that is taken.
    pub fn count_void(&mut self) {
        self.messages += 1;
        self.voids += 1;
    }

    pub fn count_duplicate(&mut self) {
        self.messages += 1;
        self.duplicates += 1;
    }

    pub fn count_invalid(&mut self, reason: schemas::RejectReason) {
        self.messages += 1;
        self.invalid += 1;
        *self
            .invalid_by_reason
            .entry(reason.code().to_owned())
            .or_default() += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(price: &str, vat: &str, show: &str, kind: &str) -> TicketEvent {
        event_sold(price, vat, show, "2026-11-20T10:00:00+05:00", kind)
    }

    fn event_sold(price: &str, vat: &str, show: &str, sold: &str, kind: &str) -> TicketEvent {
        let refund = if kind == "refund" {
            r#", "refund_of": "7c9e6679-7425-40de-944b-e07fc1f90ae7""#
        } else {
            ""
        };
        let json = format!(
            r#"{{"schema": "ekino.ticket/1", "event_id": "1b8f6d2e-3c1a-4f5e-9a7b-1c2d3e4f5a6b", "type": "{kind}", "cinema_bin": "000000000010", "hall": "1", "screening_id": "S", "film_id": "F", "show_start": "{show}", "occurred_at": "{sold}", "price": "{price}", "currency": "KZT", "vat_rate": "{vat}", "seat": null, "channel": "online", "ticket_type": "full"{refund}}}"#
        );
        let now = chrono::DateTime::parse_from_rfc3339("2026-11-20T12:00:00+05:00")
            .unwrap()
            .to_utc();
        schemas::event::decode(json.as_bytes(), now).unwrap()
    }

    /// Figures worked out by hand: 2,500 ₸ at 16 % is 2,155.172… → 2,155.17 ₸; 1.16 ₸ at
    /// 16 % is exactly 1.00 ₸; a refund of 0.05 ₸ at 16 % is 0.0431… → 0.04 ₸ taken away; a
    /// show at 23:30 UTC+5 is that day's, one at 00:30 the next day's.
    #[test]
    fn the_ledger_counts_by_the_contracts_rules() {
        let mut l = Ledger::default();
        l.count_valid(&event("2500", "0.16", "2026-11-20T23:30:00+05:00", "sale"));
        l.count_valid(&event("1.16", "0.16", "2026-11-21T00:30:00+05:00", "sale"));
        l.count_valid(&event(
            "0.05",
            "0.16",
            "2026-11-21T00:30:00+05:00",
            "refund",
        ));
        assert_eq!(
            (l.admissions, l.gross_tiyn, l.net_tiyn),
            (1, 250_111, 215_613)
        );
        let day = |d: &str| l.by_day[d].clone();
        assert_eq!(
            day("2026-11-20"),
            DayTotals {
                admissions: 1,
                gross_tiyn: 250_000,
                net_tiyn: 215_517
            }
        );
        assert_eq!(
            day("2026-11-21"),
            DayTotals {
                admissions: 0,
                gross_tiyn: 111,
                net_tiyn: 96
            }
        );
        // A half tiyn goes away from zero: 0.14 ₸ at 12 % is 0.125 ₸ → 0.13 ₸ (0.12 ₸ if
        // halves went to even).
        let mut half = Ledger::default();
        half.count_valid(&event_sold(
            "0.14",
            "0.12",
            "2025-12-31T20:00:00+05:00",
            "2025-12-30T12:00:00+05:00",
            "sale",
        ));
        assert_eq!(half.net_tiyn, 13);
    }
}
