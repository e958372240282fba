//! Kafka → ClickHouse ingest of `ekino.ticket/1` events (and, beside them, the declared
//! sessions of `ekino.session/1`: see `declarations`).
//!
//! # Pipeline
//! `consume` (rdkafka consumer group) → `decode` each message into a ticket row or a rejected
//! row → `batch` (limits on rows, bytes and age) → bounded channel → `write` (insert both
//! tables, retrying) → `rollup` (recompute the daily aggregates the batch touched) → commit
//! offsets.
//!
//! # Offsets
//! Auto-commit is off. A batch carries, per partition, the highest message offset it holds;
//! after ClickHouse has acknowledged *every* row of the batch (tickets and rejects) and the
//! recompute of its daily aggregates, the writer commits `offset + 1` (the next offset to read)
//! for each partition. Batches are written in order by one writer, so a committed offset
//! never passes an unwritten row.
//!
//! # Exactly-once totals from at-least-once delivery
//! A crash between an insert and its commit replays rows; a cinema may re-send an event. Both
//! produce rows identical in the sorting key of a `ReplacingMergeTree` (`event_id` with the
//! day, film and cinema it implies; for rejects, the Kafka position), and every total is read
//! with `FINAL`, so each event counts once whether or not a merge has run. ClickHouse 18.16 has
//! no insert deduplication for plain MergeTree, which is why totals are never summed by a
//! materialized view: the raw table is the one source of truth, and the daily aggregates the
//! reports read are *recomputed* from it (`FINAL`) for every group a batch touched, never
//! incremented (see `schemas::rollup`).
//!
//! # Failures
//! Network errors, timeouts and "too many parts" back off with jitter and retry the same
//! batch without committing; consumption stops meanwhile because the channel is bounded, so
//! memory stays bounded by `channel_batches × max_rows`. A batch ClickHouse refuses for its
//! content is split until the refused rows stand alone; each goes to the rejected store with
//! reason `storage_refused`, so one poison event never stalls its partition, and its partition
//! is judged again after it from what ClickHouse holds, so nothing rests on an event that was
//! never stored (`fence`).
//!
//! # Shutdown
//! On SIGTERM the consumer stops reading, the open batch is flushed, the writer drains and
//! commits synchronously; if ClickHouse is down the writer gives up at the deadline without
//! committing, so the rows are read again on the next start.

pub mod backfill;
pub mod batch;
pub mod clickhouse_store;
pub mod config;
pub mod consume;
pub mod declarations;
pub mod fence;
pub mod group;
pub mod inbox;
pub mod insert;
pub mod judge;
pub mod metrics;
pub mod partner_sales;
pub mod produce;
pub mod retry;
pub mod rollup;
pub mod run;
pub mod side;
pub mod topic;
pub mod watchdog;
pub mod write;

pub use config::{ClickHouseSettings, IngestSettings, KafkaSettings};
pub use run::run;
