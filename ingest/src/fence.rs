//! What a storage refusal undoes: ClickHouse is the truth, a partition's book only a cache
//! of it, so an event ClickHouse refused must never have been known to anything judged after it.
//!
//! # Why
//! The reader judges ahead of the writer (batches in flight), against a book that already
//! holds every event it judged. When ClickHouse refuses a row, what was judged after it in its
//! partition may rest on an event that will never be stored: a refund counted against it, a
//! void of it, its fixed re-send dropped as a duplicate or refused as a conflict, a waiting
//! refund it released.
//!
//! # What happens
//! When a row of the message at offset `o` of partition `p` is refused for its content:
//! 1. **Nothing judged on it is stored.** Rows that rest on the refused event are held back
//!    while the batch's ticket rows are still being inserted ([`TicketHold`]: refunds of it and
//!    the rows its message released). Then the *cut* `(p, o)` drops every row of `p` not yet
//!    stored that came from message `o` or later, or that such a message released, in this
//!    batch and in every batch judged before the reader has heard. Message `o` itself is kept
//!    as `storage_refused`, its offset committed, nothing after it.
//! 2. **The reader judges again from stored truth.** It hands over what it judged, drops `p`'s
//!    book, seeks `p` to `o + 1` and reads on with a book rebuilt from ClickHouse, in which the
//!    refused event does not exist: a refund of it waits, its fixed re-send is judged as new.
//!    Batches judged after that carry a newer *epoch* and are not cut.
//!
//! Rows of `p` after `o` already stored when the refusal was found (ticket rows of another
//! month, or of this month but not resting on the refused event) are recognised as replays
//! when read again, so they keep their verdict; a refund counts at its sale's day, so what
//! rests on a refused ticket row is always in its month's insert.
//!
//! # Revoked partitions
//! A partition the group takes away is fenced the same way, from its first offset: the
//! rebalance callback sets the cut and waits for the batch being stored, so once this member
//! rejoins, nothing it judged of the partition is stored any more; the next owner, which
//! builds its book from ClickHouse, sees all this member will ever store of it and re-reads
//! from the last commit (stored rows read again are replays and keep their verdicts). The
//! wait is bounded by `ingest.revoke_wait_ms`: a writer stuck on a down ClickHouse for
//! longer may still store that one batch late (logged as a warning).
//!
//! Rows of the integrity tables (waiting refunds, voids, corrections) refused for their
//! content cut their message the same way; ticket rows of that message stored just before
//! stay stored (a refusal there is a fault of ekino's own tables, and is logged as an error).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

use schemas::storage::{CorrectionRow, RejectedRow, TicketRow, VoidRow};
use tokio::sync::Notify;

use crate::batch::Batch;

/// A topic partition.
pub type Key = (String, i32);

/// A stored row's Kafka position (the message it was judged from) and cinema.
pub trait Positioned {
    fn position(&self) -> (&str, i32, i64);
    fn cinema(&self) -> &str;
}

macro_rules! positioned {
    ($($t:ty),*) => {$(
        impl Positioned for $t {
            fn position(&self) -> (&str, i32, i64) {
                (&self.kafka_topic, self.kafka_partition, self.kafka_offset)
            }
            fn cinema(&self) -> &str {
                &self.cinema_bin
            }
        }
    )*};
}
positioned!(TicketRow, VoidRow, CorrectionRow);

impl Positioned for RejectedRow {
    fn position(&self) -> (&str, i32, i64) {
        (&self.kafka_topic, self.kafka_partition, self.kafka_offset)
    }
    fn cinema(&self) -> &str {
        &self.kafka_key
    }
}

/// The first refused message of each partition: rows from it on are not stored.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Cuts(pub BTreeMap<Key, i64>);

impl Cuts {
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Adds a refused message (the earliest one of a partition wins).
    pub fn add(&mut self, topic: &str, partition: i32, offset: i64) {
        let slot = self
            .0
            .entry((topic.to_owned(), partition))
            .or_insert(offset);
        *slot = (*slot).min(offset);
    }

    pub fn at(&self, topic: &str, partition: i32) -> Option<i64> {
        // A handful of entries at most: a scan, no key allocated per row.
        self.0
            .iter()
            .find(|((t, p), _)| *p == partition && t == topic)
            .map(|(_, o)| *o)
    }

    /// Whether the row judged at this position, released by the message at `cause` if any,
    /// falls after a cut.
    fn dooms(&self, (topic, partition, offset): (&str, i32, i64), cause: Option<i64>) -> bool {
        self.at(topic, partition)
            .is_some_and(|o| offset >= o || cause.is_some_and(|c| c >= o))
    }

    pub fn merge(&mut self, other: &Cuts) {
        for ((t, p), o) in &other.0 {
            self.add(t, *p, *o);
        }
    }

    /// Whether a row at this position comes after its partition's cut.
    pub fn after(&self, (topic, partition, offset): (&str, i32, i64)) -> bool {
        self.at(topic, partition).is_some_and(|o| offset > o)
    }

    /// Drops from `batch` every row a cut dooms. `keep_position`: the batch holds the refused
    /// messages themselves, so its offset for a cut partition becomes the cut's (committed:
    /// the refused message is stored as such); otherwise the batch's messages of that
    /// partition all come after the cut and none is committed.
    pub fn apply(&self, batch: &mut Batch, keep_position: bool) {
        if self.is_empty() {
            return;
        }
        let caused: HashMap<(&str, i32, i64), i64> = batch
            .released
            .iter()
            .map(|r| ((r.topic.as_str(), r.partition, r.offset), r.by))
            .collect();
        let doomed = |pos: (&str, i32, i64)| self.dooms(pos, caused.get(&pos).copied());
        // A released row shares its position with the refund's own verdict (a waiting
        // refund's row), which rests on nothing after it: only ticket, correction and reject
        // rows can be released ones.
        batch.tickets.retain(|r| !doomed(r.position()));
        batch.rejects.retain(|r| !doomed(r.position()));
        batch.pending.retain(|r| !self.dooms(r.position(), None));
        let voids_before: HashSet<(String, String)> = batch
            .voids
            .iter()
            .map(|v| (v.cinema_bin.clone(), v.event_id.clone()))
            .collect();
        batch.voids.retain(|r| !self.dooms(r.position(), None));
        if voids_before.len() != batch.voids.len() {
            let kept: HashSet<(&str, &str)> = batch
                .voids
                .iter()
                .map(|v| (v.cinema_bin.as_str(), v.event_id.as_str()))
                .collect();
            batch
                .void_targets
                .retain(|t| kept.contains(&(t.cinema_bin.as_str(), t.void_id.as_str())));
        }
        batch.corrections.retain(|r| !doomed(r.position()));
        for (key, o) in &self.0 {
            if let Some(last) = batch.last_offsets.get_mut(key) {
                if keep_position {
                    *last = (*last).min(*o);
                } else if *last >= *o {
                    batch.last_offsets.remove(key);
                }
            }
        }
    }
}

/// While a batch's ticket rows are inserted: the rows resting on one already refused (a
/// refund of it, a row its message released) are held back, never stored.
#[derive(Debug, Default)]
pub struct TicketHold {
    refused_ids: HashSet<(String, String)>,
    /// Rows released by a message: its position → the released rows' offsets.
    released_by: HashMap<(String, i32, i64), Vec<i64>>,
    held_at: HashSet<(String, i32, i64)>,
}

impl TicketHold {
    pub fn new(batch: &Batch) -> Self {
        let mut released_by: HashMap<(String, i32, i64), Vec<i64>> = HashMap::new();
        for r in &batch.released {
            released_by
                .entry((r.topic.clone(), r.partition, r.by))
                .or_default()
                .push(r.offset);
        }
        Self {
            released_by,
            ..Self::default()
        }
    }
}

impl crate::insert::Hold<TicketRow> for TicketHold {
    /// Records a refused row; rows resting on it are held from now on.
    fn refused(&mut self, row: &TicketRow) {
        self.refused_ids
            .insert((row.cinema_bin.clone(), row.event_id.clone()));
        let (topic, partition, offset) = row.position();
        if let Some(offsets) = self.released_by.get(&(topic.to_owned(), partition, offset)) {
            self.held_at
                .extend(offsets.iter().map(|o| (topic.to_owned(), partition, *o)));
        }
    }

    /// Whether `row` must not be stored: it rests on a refused row.
    fn holds(&self, row: &TicketRow) -> bool {
        if self.refused_ids.is_empty() {
            return false;
        }
        (!row.refund_of.is_empty()
            && self
                .refused_ids
                .contains(&(row.cinema_bin.clone(), row.refund_of.clone())))
            || self.held_at.contains(&(
                row.kafka_topic.clone(),
                row.kafka_partition,
                row.kafka_offset,
            ))
    }

    fn forget(&mut self) {
        self.refused_ids.clear();
        self.held_at.clear();
    }
}

/// A partition cut by the writer until the reader has judged it again.
#[derive(Debug, Clone, Copy)]
struct Cut {
    offset: i64,
    /// The reader's epoch from which batches are judged after the rewind (`None`: not yet).
    until: Option<u64>,
}

#[derive(Debug, Default)]
struct State {
    cuts: BTreeMap<Key, Cut>,
    rewinds: BTreeMap<Key, i64>,
}

/// The writer's cuts and the reader's rewinds, shared by the two (and by the group's
/// rebalance callback, which fences revoked partitions the same way).
#[derive(Debug, Default)]
pub struct Fences {
    state: Mutex<State>,
    wake: Notify,
    /// The writer is storing a batch (between taking its cuts and its last insert).
    storing: AtomicBool,
    /// Rewinds are waiting for the reader (its per-message check takes no lock otherwise).
    rewinds_waiting: AtomicBool,
}

impl Fences {
    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Writer: messages at these cuts were refused; the reader must judge again after them.
    pub fn refused(&self, cuts: &Cuts) {
        if cuts.is_empty() {
            return;
        }
        let mut s = self.state();
        for (key, o) in &cuts.0 {
            let cut = s.cuts.entry(key.clone()).or_insert(Cut {
                offset: *o,
                until: None,
            });
            if cut.until.is_some() {
                // An older cut the reader had already answered: this one is new.
                *cut = Cut {
                    offset: *o,
                    until: None,
                };
            } else {
                cut.offset = cut.offset.min(*o);
            }
            let offset = cut.offset;
            s.rewinds.insert(key.clone(), offset);
        }
        self.rewinds_waiting.store(true, Ordering::SeqCst);
        drop(s);
        self.wake.notify_one();
    }

    /// The group took these partitions away: from now on the writer stores nothing of them
    /// judged before the reader has dropped their books (a cut from their first offset),
    /// and this returns once the batch being stored, if any, is done, or after `wait`. The
    /// next owner then builds its book from everything this member will ever store of them.
    /// Returns whether the writer was seen between batches in time.
    pub fn revoked(&self, keys: &[Key], wait: std::time::Duration) -> bool {
        {
            let mut s = self.state();
            for key in keys {
                s.cuts.insert(
                    key.clone(),
                    Cut {
                        offset: i64::MIN,
                        until: None,
                    },
                );
            }
        }
        // The cuts are set before the flag is read, and the writer sets the flag before it
        // reads the cuts: either it sees them, or this sees it storing and waits.
        let started = std::time::Instant::now();
        while self.storing.load(Ordering::SeqCst) {
            if started.elapsed() >= wait {
                return false;
            }
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        true
    }

    /// Writer: a batch is being stored from now until [`Fences::stored`].
    pub fn storing(&self) {
        self.storing.store(true, Ordering::SeqCst);
    }

    pub fn stored(&self) {
        self.storing.store(false, Ordering::SeqCst);
    }

    /// Writer: the cuts that apply to a batch judged in `epoch`.
    pub fn cuts_for(&self, epoch: u64) -> Cuts {
        let mut s = self.state();
        if s.cuts.is_empty() {
            return Cuts::default();
        }
        // Batches arrive in order: once one is judged after a rewind, no earlier one follows.
        s.cuts.retain(|_, c| c.until.is_none_or(|u| epoch < u));
        Cuts(s.cuts.iter().map(|(k, c)| (k.clone(), c.offset)).collect())
    }

    /// Reader: the partitions to judge again, each from the offset after its cut.
    pub fn take_rewinds(&self) -> Vec<(Key, i64)> {
        if !self.rewinds_waiting.load(Ordering::SeqCst) {
            return Vec::new();
        }
        let mut s = self.state();
        self.rewinds_waiting.store(false, Ordering::SeqCst);
        std::mem::take(&mut s.rewinds).into_iter().collect()
    }

    /// Reader: batches of `epoch` and later are judged after the rewind of `key`.
    pub fn rewound(&self, key: &Key, epoch: u64) {
        if let Some(c) = self.state().cuts.get_mut(key) {
            c.until.get_or_insert(epoch);
        }
    }

    /// Reader: resolves when the writer has asked for a rewind.
    pub async fn wait(&self) {
        self.wake.notified().await;
    }
}

#[cfg(test)]
mod tests;
