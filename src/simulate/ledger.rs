//! What the simulator sent, counted independently of ingest, for checking totals.

use std::collections::BTreeMap;

use schemas::{EventType, TicketEvent};
use serde::{Deserialize, Serialize};

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
    pub invalid: u64,
    pub invalid_by_reason: BTreeMap<String, u64>,
    pub admissions: i64,
    pub gross_tiyn: i64,
    pub net_tiyn: i64,
    /// By box-office day (UTC+5 date of the screening start).
    pub by_day: BTreeMap<String, DayTotals>,
}

impl Ledger {
    pub fn count_valid(&mut self, e: &TicketEvent) {
        self.messages += 1;
        self.valid_events += 1;
        match e.event_type {
            EventType::Sale => self.sales += 1,
            EventType::Refund => self.refunds += 1,
        }
        let q = e.admissions_delta();
        let (gross, net) = (q * e.price.tiyn(), q * e.net_price().tiyn());
        self.admissions += q;
        self.gross_tiyn += gross;
        self.net_tiyn += net;
        let d = self.by_day.entry(e.day().to_string()).or_default();
        d.admissions += q;
        d.gross_tiyn += gross;
        d.net_tiyn += net;
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
