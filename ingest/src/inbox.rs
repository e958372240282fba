//! What the consumer has been handed and not yet judged, and where each partition stands.
//!
//! # Waiting without losing the group or a message
//! While the consumer waits (for the writer's channel, or for a partition's book to load) it
//! must keep polling: librdkafka leaves the group when it is not polled for
//! `max.poll.interval.ms`, and a member that left costs a rebalance. Messages delivered
//! meanwhile are *held* here and judged next, in order. Only when the held messages reach
//! `hold_max` (a long wait: ClickHouse down) are the assigned partitions paused, so that
//! memory stays bounded; on resume each paused partition is sought to the offset after the
//! last message it delivered, so the position is ekino's own record, not librdkafka's.
//!
//! Short waits never pause, and that matters beyond speed (pausing discards the prefetched
//! messages, which are fetched again): tansu 0.6's in-memory store, which `ekino bench` uses,
//! answers a fetch from an offset inside a record batch with the *next* batch, so every
//! pause, seek or restart there skipped the rest of a producer batch (measured: hundreds of
//! messages per pause under load). Its durable sqlite store, which the tests and the main
//! command use, and Apache Kafka answer correctly.
//!
//! # Invariants
//! - `next[p]` is the offset after the last message partition `p` delivered since it was
//!   assigned; a message below it is a repeat (already held or judged) and is dropped here.
//!   Offsets only grow within a partition but may have gaps (transaction markers), so a gap
//!   is never treated as a loss.
//! - A revocation makes everything delivered before it stale: the group's rebalance (eager:
//!   every partition is taken) runs inside a poll, and a partition given back starts again
//!   from its committed offset. So each held message carries the count of revocations seen
//!   when it was delivered; the first delivery after a revocation forgets every position and
//!   every held message, and a stale message is never handed out to be judged. Its next owner
//!   (maybe this consumer again) reads from the committed offset and judges it then.

use std::collections::{HashMap, VecDeque};
use std::future::Future;
use std::sync::atomic::Ordering;
use std::time::Duration;

use rdkafka::consumer::Consumer as _;
use rdkafka::message::OwnedMessage;
use rdkafka::Message as _;
use rdkafka::{Offset, TopicPartitionList};
use tracing::warn;

use crate::group::IngestConsumer;

pub struct Inbox {
    /// Messages not yet judged, each with the revocations seen when it was delivered.
    held: VecDeque<(OwnedMessage, u64)>,
    next: HashMap<i32, i64>,
    /// Revocations seen at the last delivery.
    seen: u64,
    hold_max: usize,
    /// Messages whose offset was past the one expected (see `ekino_ingest_offset_gaps_total`).
    pub gaps: u64,
}

impl Inbox {
    pub fn new(hold_max: usize) -> Self {
        Self {
            held: VecDeque::new(),
            next: HashMap::new(),
            seen: 0,
            hold_max: hold_max.max(1),
            gaps: 0,
        }
    }

    /// Records a delivered message's position; `false` for a repeat, which must not be judged.
    /// `revocations`: how many the group has made so far (delivered after all of them).
    pub fn delivered(&mut self, m: &impl rdkafka::Message, revocations: u64) -> bool {
        if revocations != self.seen {
            // Everything delivered before is of an assignment that is gone.
            self.seen = revocations;
            self.next.clear();
            self.held.clear();
        }
        match self.next.get(&m.partition()) {
            Some(next) if m.offset() < *next => {
                tracing::debug!(
                    partition = m.partition(),
                    offset = m.offset(),
                    "message delivered again; judged already"
                );
                false
            }
            previous => {
                if previous.is_some_and(|next| m.offset() > *next) {
                    self.gaps += 1;
                    tracing::debug!(partition = m.partition(), offset = m.offset(), expected = ?previous, "offset gap");
                }
                self.next.insert(m.partition(), m.offset() + 1);
                true
            }
        }
    }

    /// Reads a partition again from `next`: what it delivered at or after it and not yet
    /// judged is dropped (the seek delivers it again, in order).
    pub fn rewind(&mut self, partition: i32, next: i64) {
        self.held.retain(|(m, _)| m.partition() != partition);
        self.next.insert(partition, next);
    }

    /// The oldest held message delivered after every revocation so far (`revocations`), to
    /// be judged before reading on; stale ones are dropped.
    pub fn pop(&mut self, revocations: u64) -> Option<OwnedMessage> {
        while let Some((m, seen)) = self.held.pop_front() {
            if seen == revocations {
                return Some(m);
            }
        }
        None
    }

    pub fn held(&self) -> usize {
        self.held.len()
    }

    /// Awaits `fut` while polling the consumer, holding what it delivers (see the module docs).
    pub async fn polling<T>(
        &mut self,
        consumer: &IngestConsumer,
        fut: impl Future<Output = T>,
    ) -> T {
        let mut paused: Option<TopicPartitionList> = None;
        let revocations = consumer.context().revocations.load(Ordering::SeqCst);
        tokio::pin!(fut);
        let out = loop {
            tokio::select! {
                biased;
                r = &mut fut => break r,
                m = consumer.recv(), if paused.is_none() => match m {
                    Ok(m) => {
                        let seen = consumer.context().revocations.load(Ordering::SeqCst);
                        if self.delivered(&m, seen) {
                            self.held.push_back((m.detach(), seen));
                        }
                        if self.held.len() >= self.hold_max {
                            tracing::info!(held = self.held.len(), "waiting long; partitions paused");
                            paused = Some(pause_all(consumer));
                        }
                    }
                    Err(e) => warn!(error = %e, "kafka consumer error while waiting"),
                },
                // Paused: keep serving the group (rebalances, heartbeats); nothing is delivered.
                m = consumer.recv(), if paused.is_some() => match m {
                    Ok(m) => {
                        // Delivered before the pause took effect: held all the same.
                        let seen = consumer.context().revocations.load(Ordering::SeqCst);
                        if self.delivered(&m, seen) {
                            self.held.push_back((m.detach(), seen));
                        }
                    }
                    Err(e) => warn!(error = %e, "kafka consumer error while paused"),
                },
            }
        };
        if let Some(tpl) = paused {
            if let Err(e) = consumer.resume(&tpl) {
                warn!(error = %e, "resuming partitions failed");
            }
            // After a revocation (eager rebalancing takes every partition) a partition given
            // back starts from its committed offset, and what it delivered is dropped
            // unjudged (`forget`): seeking past that would skip it.
            if consumer.context().revocations.load(Ordering::SeqCst) == revocations {
                self.seek_to_next(consumer, &tpl);
            }
        }
        out
    }

    /// Seeks every partition of `tpl` that has delivered a message to the offset after it.
    fn seek_to_next(&self, consumer: &IngestConsumer, tpl: &TopicPartitionList) {
        let mut seek = TopicPartitionList::new();
        for e in tpl.elements() {
            if let Some(offset) = self.next.get(&e.partition()) {
                if let Err(err) =
                    seek.add_partition_offset(e.topic(), e.partition(), Offset::Offset(*offset))
                {
                    warn!(error = %err, "cannot build seek list");
                }
            }
        }
        if seek.count() == 0 {
            return;
        }
        // Asynchronous (timeout 0): the answer per partition is "in progress", and librdkafka
        // drops whatever was fetched before the seek.
        match consumer.seek_partitions(seek, Duration::ZERO) {
            Ok(result) => {
                for e in result.elements() {
                    match e.error() {
                        Ok(())
                        | Err(rdkafka::error::KafkaError::OffsetFetch(
                            rdkafka::types::RDKafkaErrorCode::InProgress,
                        )) => {}
                        Err(err) => {
                            warn!(partition = e.partition(), error = %err, "seeking a resumed partition failed")
                        }
                    }
                }
            }
            Err(e) => warn!(error = %e, "seeking resumed partitions failed"),
        }
    }
}

fn pause_all(consumer: &IngestConsumer) -> TopicPartitionList {
    let tpl = consumer.assignment().unwrap_or_default();
    if tpl.count() > 0 {
        if let Err(e) = consumer.pause(&tpl) {
            warn!(error = %e, "pausing partitions failed");
        }
    }
    tpl
}

#[cfg(test)]
mod tests {
    use super::*;
    use rdkafka::message::Timestamp;

    fn msg(partition: i32, offset: i64) -> OwnedMessage {
        OwnedMessage::new(
            None,
            None,
            "t".into(),
            Timestamp::NotAvailable,
            partition,
            offset,
            None,
        )
    }

    #[test]
    fn repeats_are_dropped_and_gaps_counted_per_partition() {
        let mut inbox = Inbox::new(10);
        assert!(
            inbox.delivered(&msg(0, 5), 0),
            "a partition's first message sets its position"
        );
        assert!(inbox.delivered(&msg(1, 0), 0));
        assert!(inbox.delivered(&msg(0, 6), 0));
        assert!(!inbox.delivered(&msg(0, 6), 0), "a repeat");
        assert!(!inbox.delivered(&msg(0, 2), 0), "an older message");
        assert_eq!(inbox.gaps, 0);
        assert!(
            inbox.delivered(&msg(0, 9), 0),
            "a gap (transaction markers) is delivered, not refused"
        );
        assert_eq!(inbox.gaps, 1);
        assert!(inbox.delivered(&msg(1, 1), 0));
    }

    #[test]
    fn what_was_delivered_before_a_revocation_is_never_judged_and_never_blocks_a_redelivery() {
        let mut inbox = Inbox::new(10);
        for o in 10..13 {
            assert!(inbox.delivered(&msg(0, o), 0));
            inbox.held.push_back((msg(0, o), 0));
        }
        // The group takes the partitions and gives partition 0 back: it starts again at its
        // committed offset, 7, below what was delivered before.
        assert!(
            inbox.pop(1).is_none(),
            "held before the revocation: stale, dropped"
        );
        for o in 10..13 {
            inbox.held.push_back((msg(0, o), 0));
        }
        assert!(
            inbox.delivered(&msg(0, 7), 1),
            "the committed offset is delivered again, not taken for a repeat"
        );
        inbox.held.push_back((msg(0, 7), 1));
        assert_eq!(
            inbox.pop(1).map(|m| m.offset()),
            Some(7),
            "only the new delivery"
        );
        assert!(inbox.pop(1).is_none());
        assert!(
            !inbox.delivered(&msg(0, 7), 1),
            "a repeat after it is still one"
        );
    }
}
