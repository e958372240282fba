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
