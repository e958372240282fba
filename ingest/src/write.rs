//! The writer: inserts each batch into ClickHouse, retrying until acknowledged, recomputes the
//! daily aggregates the batch touched, then commits the batch's offsets (+1 each). One writer,
//! batches in order: see the crate docs. Under a backlog the recompute and commit are shared
//! by the batches written within `ingest.rollup_max_defer_ms`; a committed offset still never
//! passes a row whose aggregates are not recomputed.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use clickhouse::{Client, Row};
use rdkafka::consumer::{CommitMode, Consumer, StreamConsumer};
use rdkafka::{Offset, TopicPartitionList};
use schemas::reject::{RejectReason, Rejection};
use schemas::storage::{Origin, RejectedRow, TicketRow};
use serde::Serialize;
use tokio::sync::mpsc;
use tracing::{info, warn};

use crate::batch::Batch;
use crate::clickhouse_store::insert_rows;
use crate::config::IngestSettings;
use crate::metrics::Metrics;
use crate::retry::{classify, Backoff, Disposition};

pub const TICKETS_TABLE: &str = "ticket_events";
pub const REJECTED_TABLE: &str = "rejected_events";

pub struct Writer {
    pub client: Client,
    pub consumer: Arc<StreamConsumer>,
    pub settings: IngestSettings,
    pub metrics: Metrics,
    pub timeout: Duration,
}

impl Writer {
    /// Drains the channel until the consumer closes it, then commits synchronously.
    pub async fn run(self, mut rx: mpsc::Receiver<Batch>) {
        // Every position written so far: the last batch's commit is async, so on the way out
        // the whole list is committed again, synchronously.
        let mut written: BTreeMap<(String, i32), i64> = BTreeMap::new();
        let mut pending = Pending::default();
        let max_defer = Duration::from_millis(self.settings.rollup_max_defer_ms);
        let full = crate::batch::Limits { max_rows: self.settings.max_rows, max_bytes: self.settings.max_bytes, period: Duration::ZERO };
        while let Some(batch) = rx.recv().await {
            for (k, v) in &batch.last_offsets {
                written.insert(k.clone(), *v);
            }
            // A full batch means a backlog: then recomputes are shared by the batches of up
            // to `max_defer`. A batch closed by its age (live traffic) settles at once, for
            // freshness.
            let backlog = batch.is_full(&full);
            self.write(batch, &mut pending).await;
            if !backlog || pending.since.is_some_and(|t| t.elapsed() >= max_defer) {
                self.settle(&mut pending).await;
            }
        }
        self.settle(&mut pending).await;
        if !written.is_empty() {
            match self.consumer.commit(&commit_list(&written), CommitMode::Sync) {
                Ok(()) => info!(partitions = written.len(), "final offsets committed"),
                Err(e) => warn!(error = %e, "final synchronous commit failed; the last batch may be read again"),
            }
        }
        info!("writer drained");
    }

    /// Inserts the batch's rows (tickets, then rejects) and adds it to `pending`.
    async fn write(&self, mut batch: Batch, pending: &mut Pending) {
        let started = Instant::now();
        let rows = batch.rows();
        let refused = self.insert_with_retry(TICKETS_TABLE, &batch.tickets).await;
        for (row, why) in refused {
            batch.rejects.push(storage_refused(&row, &why));
        }
        let refused_rejects = self.insert_with_retry(REJECTED_TABLE, &batch.rejects).await;
        for (row, why) in refused_rejects {
            // The rejected table refusing a row of its own is a bug in ekino, not in the data.
            tracing::error!(topic = %row.kafka_topic, partition = row.kafka_partition, offset = row.kafka_offset, error = %why, "rejected store refused a row");
        }
        self.metrics.inserted.with_label_values(&[TICKETS_TABLE]).inc_by(batch.tickets.len() as u64);
        self.metrics.inserted.with_label_values(&[REJECTED_TABLE]).inc_by(batch.rejects.len() as u64);
        for r in &batch.rejects {
            self.metrics.rejected.with_label_values(&[r.reason.as_str()]).inc();
        }
        self.metrics.batch_rows.observe(rows as f64);
        self.metrics.batch_seconds.observe(started.elapsed().as_secs_f64());
        pending.absorb(batch);
    }

    /// Recomputes the aggregates every pending batch touched, then commits their offsets.
    async fn settle(&self, pending: &mut Pending) {
        let Some(_) = pending.since else { return };
        let started = Instant::now();
        self.rollup_with_retry(&pending.scope).await;
        self.metrics.rollup_seconds.observe(started.elapsed().as_secs_f64());
        let settled_ms = Utc::now().timestamp_millis();
        for ms in &pending.produced_at_ms {
            self.metrics.freshness.observe((settled_ms - ms).max(0) as f64 / 1000.0);
        }
        self.commit(&pending.last_offsets);
        *pending = Pending::default();
    }

    /// Inserts `rows`, retrying server failures forever with back-off. Returns the rows that
    /// ClickHouse refused for their content, each with the error.
    async fn insert_with_retry<T>(&self, table: &str, rows: &[T]) -> Vec<(T, String)>
    where
        T: Row + Serialize + Clone + for<'a> clickhouse::RowWrite<Value<'a> = T>,
    {
        let mut backoff = Backoff::new(self.settings.retry_initial_ms, self.settings.retry_max_ms);
        loop {
            match insert_rows(&self.client, table, rows, self.timeout).await {
                Ok(()) => return Vec::new(),
                Err(e) if classify(&e) == Disposition::Poison => {
                    warn!(table, rows = rows.len(), error = %e, "batch refused for its content; inserting row by row");
                    return self.insert_one_by_one(table, rows).await;
                }
                Err(e) => {
                    let delay = backoff.next_delay();
                    self.metrics.retries.inc();
                    warn!(table, rows = rows.len(), attempt = backoff.attempts(), delay_ms = delay.as_millis() as u64, error = %e, "insert failed; retrying");
                    tokio::time::sleep(delay).await;
                }
            }
        }
    }

    /// Recomputes the daily aggregates the batch touched, retrying server failures like an
    /// insert. A refusal for the statement itself is a bug in ekino: it is logged loudly and
    /// the batch goes on, since `ekino rollup` rebuilds the aggregates from the raw rows.
    async fn rollup_with_retry(&self, scope: &schemas::rollup::Scope) {
        let mut backoff = Backoff::new(self.settings.retry_initial_ms, self.settings.retry_max_ms);
        loop {
            match crate::rollup::refresh(&self.client, scope, self.timeout).await {
                Ok(()) => return,
                Err(e) if classify(&e) == Disposition::Poison => {
                    tracing::error!(days = scope.days.len(), films = scope.films.len(), error = %e, "daily aggregates refused the recompute; run ekino rollup");
                    return;
                }
                Err(e) => {
                    let delay = backoff.next_delay();
                    self.metrics.retries.inc();
                    warn!(attempt = backoff.attempts(), delay_ms = delay.as_millis() as u64, error = %e, "aggregate recompute failed; retrying");
                    tokio::time::sleep(delay).await;
                }
            }
        }
    }

    async fn insert_one_by_one<T>(&self, table: &str, rows: &[T]) -> Vec<(T, String)>
    where
        T: Row + Serialize + Clone + for<'a> clickhouse::RowWrite<Value<'a> = T>,
    {
        let mut refused = Vec::new();
        for row in rows {
            let mut backoff = Backoff::new(self.settings.retry_initial_ms, self.settings.retry_max_ms);
            loop {
                match insert_rows(&self.client, table, std::slice::from_ref(row), self.timeout).await {
                    Ok(()) => break,
                    Err(e) if classify(&e) == Disposition::Poison => {
                        refused.push((row.clone(), e.to_string()));
                        break;
                    }
                    Err(e) => {
                        self.metrics.retries.inc();
                        warn!(table, error = %e, "single-row insert failed; retrying");
                        tokio::time::sleep(backoff.next_delay()).await;
                    }
                }
            }
        }
        refused
    }

    fn commit(&self, last_offsets: &BTreeMap<(String, i32), i64>) {
        if last_offsets.is_empty() {
            return;
        }
        match self.consumer.commit(&commit_list(last_offsets), CommitMode::Async) {
            Ok(()) => self.metrics.commits.inc(),
            // A partition revoked by a rebalance cannot be committed here; its new owner
            // re-reads from the last commit and the duplicates are collapsed by FINAL.
            Err(e) => warn!(error = %e, "offset commit failed; rows will be re-read and deduplicated"),
        }
    }
}

/// Batches whose rows are in ClickHouse but whose aggregates are not yet recomputed, so
/// whose offsets are not yet committed.
#[derive(Default)]
struct Pending {
    since: Option<Instant>,
    scope: schemas::rollup::Scope,
    last_offsets: BTreeMap<(String, i32), i64>,
    produced_at_ms: Vec<i64>,
}

impl Pending {
    fn absorb(&mut self, batch: Batch) {
        self.since.get_or_insert_with(Instant::now);
        for r in &batch.tickets {
            self.scope.add(schemas::time::date_from_days(r.day), &r.film_id, &r.cinema_bin);
        }
        // Offsets only grow within a partition, so the later batch's offset wins.
        self.last_offsets.extend(batch.last_offsets);
        self.produced_at_ms.extend(batch.produced_at_ms);
    }
}

/// The commit list for the last written offset of each partition.
fn commit_list(last_offsets: &BTreeMap<(String, i32), i64>) -> TopicPartitionList {
    let mut tpl = TopicPartitionList::new();
    for ((topic, partition), offset) in last_offsets {
        // Kafka's committed offset is the next one to read: the last written + 1.
        if let Err(e) = tpl.add_partition_offset(topic, *partition, Offset::Offset(offset + 1)) {
            warn!(topic, partition, error = %e, "cannot build commit list");
        }
    }
    tpl
}

fn storage_refused(row: &TicketRow, why: &str) -> RejectedRow {
    let origin = Origin { topic: row.kafka_topic.clone(), partition: row.kafka_partition, offset: row.kafka_offset };
    let rejection = Rejection::new(RejectReason::StorageRefused, None, format!("clickhouse refused the row: {why}"));
    let payload = serde_json::to_vec(row).unwrap_or_default();
    RejectedRow::new(&rejection, &origin, Some(row.cinema_bin.as_bytes()), &payload, Utc::now())
}
