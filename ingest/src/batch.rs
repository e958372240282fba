//! A batch of decoded rows with the Kafka positions they came from.
//!
//! Rows are kept until ClickHouse has acknowledged them (the crate's `Inserter` drops rows
//! of a failed insert, and a retry must send the same rows again), so the batch, not the
//! inserter, owns them. Limits: rows, approximate bytes, and age of the first row.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use schemas::storage::{CorrectionRow, RejectedRow, TicketRow, VoidRow};

/// A row of `ticket_events` to take out of every total: re-inserted by the writer with
/// `voided_by` set, as a newer version (the writer reads the stored row by its key).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VoidTarget {
    pub day: u16,
    pub film_id: String,
    pub cinema_bin: String,
    pub event_id: String,
    pub void_id: String,
    pub void_arrived_at: u32,
}

/// A row one message released for another: a waiting refund its sale let count (a ticket
/// row, maybe a correction) or refused (a reject), at the refund's own position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Released {
    pub topic: String,
    pub partition: i32,
    /// The released row's offset (the refund's).
    pub offset: i64,
    /// The releasing message's offset (the sale's).
    pub by: i64,
}

/// The verdicts on a run of messages, by the table they go to.
#[derive(Debug, Default)]
pub struct Batch {
    /// Sales and counted refunds (`ticket_events`).
    pub tickets: Vec<TicketRow>,
    pub rejects: Vec<RejectedRow>,
    /// Refunds waiting for their sale (`pending_refunds`).
    pub pending: Vec<TicketRow>,
    /// Accepted voids (`event_voids`) and the rows they take out.
    pub voids: Vec<VoidRow>,
    pub void_targets: Vec<VoidTarget>,
    /// Changes to closed days (`corrections`).
    pub corrections: Vec<CorrectionRow>,
    /// Re-sends of accepted events (same content): counted once, nothing written.
    pub duplicates: u64,
    /// Highest message offset seen per (topic, partition). The commit is this + 1.
    pub last_offsets: BTreeMap<(String, i32), i64>,
    /// Kafka timestamps (ms) of the messages in this batch, for the freshness histogram.
    pub produced_at_ms: Vec<i64>,
    /// Rows judged at one message's position because of a later one (see `fence`).
    pub released: Vec<Released>,
    /// The reader's epoch when the batch was judged (see `fence`).
    pub epoch: u64,
    bytes: usize,
    opened_at: Option<Instant>,
}

#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub max_rows: usize,
    pub max_bytes: usize,
    pub period: Duration,
}

impl Batch {
    pub fn push_ticket(&mut self, row: TicketRow) {
        self.bytes += row.approx_bytes();
        self.tickets.push(row);
        self.touch();
    }

    pub fn push_reject(&mut self, row: RejectedRow) {
        self.bytes += row.approx_bytes();
        self.rejects.push(row);
        self.touch();
    }

    /// Records that the message at `offset` has been turned into a row of this batch.
    pub fn advance(&mut self, topic: &str, partition: i32, offset: i64) {
        let slot = self
            .last_offsets
            .entry((topic.to_owned(), partition))
            .or_insert(offset);
        *slot = (*slot).max(offset);
        // Every message opens the batch, including one that writes no row (a re-send), so
        // that its offset is committed within the batch period.
        self.touch();
    }

    fn touch(&mut self) {
        self.opened_at.get_or_insert_with(Instant::now);
    }

    pub fn rows(&self) -> usize {
        self.tickets.len()
            + self.rejects.len()
            + self.pending.len()
            + self.voids.len()
            + self.corrections.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows() == 0 && self.last_offsets.is_empty()
    }

    pub fn bytes(&self) -> usize {
        self.bytes
    }

    pub fn is_full(&self, l: &Limits) -> bool {
        self.rows() >= l.max_rows || self.bytes >= l.max_bytes
    }

    /// When the batch must be sent even if not full; `None` while it is empty.
    pub fn deadline(&self, l: &Limits) -> Option<Instant> {
        self.opened_at.map(|t| t + l.period)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_keep_the_highest_per_partition() {
        let mut b = Batch::default();
        b.advance("t", 0, 5);
        b.advance("t", 0, 3);
        b.advance("t", 1, 9);
        assert_eq!(b.last_offsets.get(&("t".into(), 0)), Some(&5));
        assert_eq!(b.last_offsets.get(&("t".into(), 1)), Some(&9));
        assert!(!b.is_empty());
        assert!(
            b.deadline(&Limits {
                max_rows: 1,
                max_bytes: 1,
                period: Duration::from_millis(1)
            })
            .is_some(),
            "a message without a row still opens the batch"
        );
        assert_eq!(
            Batch::default().deadline(&Limits {
                max_rows: 1,
                max_bytes: 1,
                period: Duration::from_millis(1)
            }),
            None
        );
    }
}
