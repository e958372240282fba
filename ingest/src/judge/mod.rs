//! Judging messages against what each partition has accepted: one event id one meaning,
//! refunds bound to their sales, voids, corrections of closed days ([`rules`]), over a
//! per-partition memory of accepted events ([`book`]) rebuilt from ClickHouse when a
//! partition is assigned ([`load`]).
//!
//! # Why per partition
//! Events are keyed by the cinema's BIN (a message whose key is not its `cinema_bin` is
//! `foreign_cinema`), so every accepted event of a cinema is in one partition, in order, and
//! one consumer judges it. A partition's book is dropped when the partition is revoked and
//! rebuilt when it is next assigned, after the writer has stored everything judged before;
//! so the book always equals what ClickHouse holds plus what this consumer judged since.
//! Changing the topic's partition count moves cinemas between partitions: stop ingest,
//! change it, start ingest (the books are rebuilt from ClickHouse, which is keyed by cinema).
//!
//! # ClickHouse is the truth; the book a cache of it
//! An event is known to later events (refunds, voids, re-sends) only as long as it is stored
//! or on its way to storage in order. When ClickHouse refuses a row, nothing judged on it is
//! stored and the partition is judged again after the refused message from a book rebuilt
//! from storage ([`crate::fence`]): the refused event was never known, a refund of it waits,
//! its fixed re-send under the same id is judged as new. So the same messages give the same
//! verdicts whether judged in one run, across kills, or replayed by another group.
//!
//! # Verdicts that do not move
//! - **A replay keeps its first verdict.** A message refused only for its age or future skew
//!   *now* is decoded again without those checks (`schemas::event::decode_event_untimed`): a
//!   replay (same cinema, id and Kafka position) or a re-send of an event accepted in time is
//!   recognised and keeps that verdict; anything new is refused as before, with the same
//!   reason. A replay is written with its stored arrival, so the correction window and the day
//!   status are judged as at the first judgement too.
//! - **Limits are exact durations**: an event older than `reporting.max_event_age_days` × 24 h, or
//!   shown more than 366 × 24 h from its sale, is refused; a second less is not.
//! - **A refund is judged by its sale**: it counts at its sale's day, VAT rate and price
//!   limit, and the rate it carries is accepted when it is its sale's or one in force on its
//!   own dates, so a refund across a change of rate counts.

pub mod book;
pub mod load;
pub mod rules;

use std::collections::HashMap;

pub use book::Book;
pub use rules::{judge, Message, Policy};

/// The books of the partitions this consumer holds.
#[derive(Debug, Default)]
pub struct Books {
    pub by_partition: HashMap<(String, i32), Book>,
}

impl Books {
    pub fn get_mut(&mut self, topic: &str, partition: i32) -> Option<&mut Book> {
        self.by_partition.get_mut(&(topic.to_owned(), partition))
    }

    pub fn drop_partition(&mut self, topic: &str, partition: i32) {
        self.by_partition.remove(&(topic.to_owned(), partition));
    }

    pub fn events(&self) -> usize {
        self.by_partition.values().map(Book::len).sum()
    }

    pub fn approx_bytes(&self) -> usize {
        self.by_partition.values().map(Book::approx_bytes).sum()
    }
}

#[cfg(test)]
mod tests;
