//! The writer: stores each batch's verdicts (tickets, rejects, waiting refunds, voids and the
//! rows they take out, corrections; see [`crate::insert`] for how no data can stall it),
//! recomputes the daily aggregates the batch touched, then commits the batch's offsets (+1
//! each). One writer, batches in order: see the crate docs. Under a backlog the recompute
//! and commit are shared by the batches written within `ingest.rollup_max_defer_ms`; a
//! committed offset still never passes a row whose aggregates are not recomputed.

use std::collections::{BTreeMap, HashSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use clickhouse::Client;
use rdkafka::consumer::{CommitMode, Consumer};
use rdkafka::{Offset, TopicPartitionList};
use schemas::reject::{RejectReason, Rejection};
use schemas::storage::{Origin, RejectedRow};
use schemas::time::month_of_day;
use tokio::sync::mpsc;
use tracing::{info, warn};

use crate::batch::Batch;
use crate::config::IngestSettings;
use crate::fence::{Cuts, Fences, Positioned, TicketHold};
use crate::group::IngestConsumer;
use crate::insert::{Attempt, Hold as _, NoHold, Position};
use crate::metrics::Metrics;

pub const TICKETS_TABLE: &str = "ticket_events";
pub const REJECTED_TABLE: &str = "rejected_events";
pub const PENDING_TABLE: &str = "pending_refunds";
pub const VOIDS_TABLE: &str = "event_voids";
pub const CORRECTIONS_TABLE: &str = "corrections";

pub struct Writer {
    pub client: Client,
    /// The same server, one session: temporary tables for recompute scopes and void targets.
    pub session: Client,
    /// Where offsets are committed; `None` for a backfill, which reads no topic.
    pub consumer: Option<Arc<IngestConsumer>>,
    pub settings: IngestSettings,
    pub metrics: Metrics,
    pub timeout: Duration,
    /// Batches received and not yet settled; the consumer waits for 0 before reading a book.
    pub inflight: Arc<AtomicUsize>,
    /// Refusals handed back to the reader (see [`crate::fence`]).
    pub fences: Arc<Fences>,
}

fn received_month(secs: u32) -> u32 {
    let day = schemas::time::days_since_epoch(
        chrono::DateTime::from_timestamp(i64::from(secs), 0)
            .unwrap_or_default()
            .date_naive(),
    );
    month_of_day(day)
}

impl Writer {
    /// Drains the channel until the consumer closes it, then commits synchronously.
    pub async fn run(self, mut rx: mpsc::Receiver<Batch>) {
        // Every position written so far: the last batch's commit is async, so on the way out
        // the whole list is committed again, synchronously.
        let mut written: BTreeMap<(String, i32), i64> = BTreeMap::new();
        let mut pending = Pending::default();
        let max_defer = Duration::from_millis(self.settings.rollup_max_defer_ms);
        let full = crate::batch::Limits {
            max_rows: self.settings.max_rows,
            max_bytes: self.settings.max_bytes,
            period: Duration::ZERO,
        };
        loop {
            // Unsettled batches wait at most `max_defer` for company.
            let next = if pending.since.is_some() {
                match tokio::time::timeout(max_defer, rx.recv()).await {
                    Ok(next) => next,
                    Err(_) => {
                        self.settle(&mut pending).await;
                        continue;
                    }
                }
            } else {
                rx.recv().await
            };
            let Some(batch) = next else { break };
            // A full batch means a backlog: then recomputes are shared by the batches of up
            // to `max_defer`. A batch closed by its age (live traffic) settles at once, for
            // freshness.
            let backlog = batch.is_full(&full);
            self.write(batch, &mut pending).await;
            // The positions as written: a cut partition's stop at its refused message.
            for (k, v) in &pending.last_offsets {
                written.insert(k.clone(), *v);
            }
            if !backlog || pending.since.is_some_and(|t| t.elapsed() >= max_defer) {
                self.settle(&mut pending).await;
            }
        }
        self.settle(&mut pending).await;
        if let (false, Some(consumer)) = (written.is_empty(), &self.consumer) {
            match consumer.commit(&commit_list(&written), CommitMode::Sync) {
                Ok(()) => info!(partitions = written.len(), "final offsets committed"),
                Err(e) => {
                    warn!(error = %e, "final synchronous commit failed; the last batch may be read again")
                }
            }
        }
        info!("writer drained");
    }

    fn attempt(&self, at: Position) -> Attempt<'_> {
        Attempt {
            client: &self.client,
            metrics: &self.metrics,
            timeout: self.timeout,
            retry_initial_ms: self.settings.retry_initial_ms,
            retry_max_ms: self.settings.retry_max_ms,
            stall_alert: Duration::from_millis(self.settings.stall_alert_ms),
            started: Instant::now(),
            at,
            alerted: false,
        }
    }

    /// Stores the batch's rows and adds it to `pending`. Order: tickets (a refused one
    /// becomes a reject, and what rests on it is held back: see [`crate::fence`]), waiting
    /// refunds, voids, the voided rows' new versions, corrections, rejects. Each step is
    /// idempotent, so a crash anywhere replays to the same rows.
    async fn write(&self, mut batch: Batch, pending: &mut Pending) {
        let started = Instant::now();
        // Judged before the reader heard of a refusal in its partition, or of its
        // revocation: those rows go.
        self.fences.storing();
        self.fences.cuts_for(batch.epoch).apply(&mut batch, false);
        let rows = batch.rows();
        let at = batch
            .last_offsets
            .iter()
            .next()
            .map(|((_, p), o)| Position {
                partition: *p,
                offset: *o,
            })
            .unwrap_or_default();
        let mut attempt = self.attempt(at);
        let mut refusals = Refusals::default();
        let mut hold = TicketHold::new(&batch);
        let refused = attempt
            .insert(
                TICKETS_TABLE,
                &batch.tickets,
                |r| month_of_day(r.day),
                &mut hold,
            )
            .await;
        if !refused.is_empty() {
            let gone: HashSet<(String, i32, i64)> =
                refused.iter().map(|(r, _)| owned(r.position())).collect();
            batch
                .tickets
                .retain(|r| !hold.holds(r) && !gone.contains(&owned(r.position())));
            refusals.take(&mut batch, TICKETS_TABLE, refused);
        }
        let refused = attempt
            .insert(PENDING_TABLE, &batch.pending, |_| 0, &mut NoHold)
            .await;
        refusals.take(&mut batch, PENDING_TABLE, refused);
        let refused = attempt
            .insert(VOIDS_TABLE, &batch.voids, |_| 0, &mut NoHold)
            .await;
        refusals.take(&mut batch, VOIDS_TABLE, refused);
        let mut scope = schemas::rollup::Scope::default();
        crate::rollup::apply_voids(&self.session, &batch.void_targets, &mut scope, &mut attempt)
            .await;
        let refused = attempt
            .insert(CORRECTIONS_TABLE, &batch.corrections, |_| 0, &mut NoHold)
            .await;
        refusals.take(&mut batch, CORRECTIONS_TABLE, refused);
        // A refused message after its partition's cut is judged again, not kept as refused.
        let cuts = refusals.cuts.clone();
        batch.rejects.extend(
            refusals
                .rejects
                .into_iter()
                .filter(|r| !cuts.after(r.position())),
        );
        let refused_rejects = attempt
            .insert(
                REJECTED_TABLE,
                &batch.rejects,
                |r| received_month(r.received_at),
                &mut NoHold,
            )
            .await;
        self.keep_without_payload(refused_rejects, &mut attempt)
            .await;
        self.fences.stored();
        attempt.done();
        if !cuts.is_empty() {
            self.metrics.rewinds.inc_by(cuts.0.len() as u64);
            for ((topic, partition), offset) in &cuts.0 {
                warn!(topic, partition, offset, "clickhouse refused a message's rows: it is kept as storage_refused and its partition is judged again after it");
            }
            self.fences.refused(&cuts);
        }
        for (table, n) in [
            (TICKETS_TABLE, batch.tickets.len()),
            (REJECTED_TABLE, batch.rejects.len()),
            (PENDING_TABLE, batch.pending.len()),
            (VOIDS_TABLE, batch.voids.len()),
            (CORRECTIONS_TABLE, batch.corrections.len()),
        ] {
            self.metrics
                .inserted
                .with_label_values(&[table])
                .inc_by(n as u64);
        }
        for r in &batch.rejects {
            self.metrics
                .rejected
                .with_label_values(&[r.reason.as_str()])
                .inc();
        }
        self.metrics.batch_rows.observe(rows as f64);
        self.metrics
            .batch_seconds
            .observe(started.elapsed().as_secs_f64());
        pending.scope.extend(scope);
        pending.absorb(batch);
    }

    /// Rejected rows ClickHouse refused are stored again without their payload (the
    /// message says why), so the verdict is kept; one refused even so is ekino's own fault,
    /// retried with the stall alarm like a server failure.
    async fn keep_without_payload(
        &self,
        refused: Vec<(RejectedRow, String)>,
        attempt: &mut Attempt<'_>,
    ) {
        if refused.is_empty() {
            return;
        }
        let bare: Vec<RejectedRow> = refused
            .into_iter()
            .map(|(mut r, why)| {
                tracing::error!(topic = %r.kafka_topic, partition = r.kafka_partition, offset = r.kafka_offset, error = %why, "the rejected store refused a row; keeping it without its payload");
                r.message = format!(
                    "{} (payload not kept: clickhouse refused it: {why})",
                    r.message
                );
                r.payload = String::new();
                r.payload_encoding = "utf8".into();
                r.payload_truncated = 1;
                r
            })
            .collect();
        let mut backoff =
            crate::retry::Backoff::new(self.settings.retry_initial_ms, self.settings.retry_max_ms);
        loop {
            let again = attempt
                .insert(
                    REJECTED_TABLE,
                    &bare,
                    |r| received_month(r.received_at),
                    &mut NoHold,
                )
                .await;
            let Some((_, why)) = again.first() else {
                return;
            };
            let err = format!("the rejected store refused a row without payload: {why}");
            attempt.wait(&mut backoff, REJECTED_TABLE, &err).await;
        }
    }

    /// Recomputes the aggregates every pending batch touched, then commits their offsets.
    async fn settle(&self, pending: &mut Pending) {
        let Some(_) = pending.since else { return };
        let started = Instant::now();
        let at = pending
            .last_offsets
            .iter()
            .next()
            .map(|((_, p), o)| Position {
                partition: *p,
                offset: *o,
            })
            .unwrap_or_default();
        let mut attempt = self.attempt(at);
        crate::rollup::refresh(&self.session, &pending.scope, &mut attempt).await;
        attempt.done();
        self.metrics
            .rollup_seconds
            .observe(started.elapsed().as_secs_f64());
        let settled_ms = Utc::now().timestamp_millis();
        for ms in &pending.produced_at_ms {
            self.metrics
                .freshness
                .observe((settled_ms - ms).max(0) as f64 / 1000.0);
        }
        self.commit(&pending.last_offsets);
        self.inflight.fetch_sub(pending.batches, Ordering::AcqRel);
        *pending = Pending::default();
    }

    fn commit(&self, last_offsets: &BTreeMap<(String, i32), i64>) {
        let Some(consumer) = &self.consumer else {
            return;
        };
        if last_offsets.is_empty() {
            return;
        }
        match consumer.commit(&commit_list(last_offsets), CommitMode::Async) {
            Ok(()) => self.metrics.commits.inc(),
            // A partition revoked by a rebalance cannot be committed here; its new owner
            // re-reads from the last commit and judges those messages again to the same rows.
            Err(e) => {
                warn!(error = %e, "offset commit failed; rows will be re-read and deduplicated")
            }
        }
    }
}

/// Batches whose rows are in ClickHouse but whose aggregates are not yet recomputed, so
/// whose offsets are not yet committed.
#[derive(Default)]
struct Pending {
    since: Option<Instant>,
    batches: usize,
    scope: schemas::rollup::Scope,
    last_offsets: BTreeMap<(String, i32), i64>,
    produced_at_ms: Vec<i64>,
}

impl Pending {
    fn absorb(&mut self, batch: Batch) {
        self.since.get_or_insert_with(Instant::now);
        self.batches += 1;
        let mut last: Option<(u16, &str, &str)> = None;
        for r in &batch.tickets {
            // Rows of one screening come together: skip the set lookup for a repeat.
            let key = (r.day, r.film_id.as_str(), r.cinema_bin.as_str());
            if last != Some(key) {
                self.scope.add(
                    schemas::time::date_from_days(r.day),
                    &r.film_id,
                    &r.cinema_bin,
                );
                last = Some(key);
            }
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

fn owned((topic, partition, offset): (&str, i32, i64)) -> (String, i32, i64) {
    (topic.to_owned(), partition, offset)
}

/// The messages whose rows ClickHouse refused: their partitions' cuts and their verdicts.
#[derive(Default)]
struct Refusals {
    cuts: Cuts,
    rejects: Vec<RejectedRow>,
}

impl Refusals {
    /// Takes the rows `table` refused: each cuts its partition at its message (so later
    /// tables lose what is cut; ticket rows already stored stay, for the recompute) and is
    /// kept as `storage_refused`. A row a later message released (a waiting refund its sale
    /// let count) does not move the cut back before messages already committed: it is kept
    /// as refused at its own position, and logged.
    fn take<T: Positioned + serde::Serialize>(
        &mut self,
        batch: &mut Batch,
        table: &str,
        refused: Vec<(T, String)>,
    ) {
        if refused.is_empty() {
            return;
        }
        let released: HashSet<(&str, i32, i64)> = batch
            .released
            .iter()
            .map(|r| (r.topic.as_str(), r.partition, r.offset))
            .collect();
        let mut cuts = Cuts::default();
        for (row, why) in &refused {
            let (topic, partition, offset) = row.position();
            // Only ticket and correction rows can be released ones (see `fence`).
            let can_be_released = table == TICKETS_TABLE || table == CORRECTIONS_TABLE;
            if can_be_released && released.contains(&(topic, partition, offset)) {
                tracing::error!(table, topic, partition, offset, error = %why, "clickhouse refused a row released by a later message; kept as refused");
            } else {
                if table != TICKETS_TABLE {
                    tracing::error!(table, topic, partition, offset, error = %why, "clickhouse refused a row of an integrity table");
                }
                cuts.add(topic, partition, offset);
            }
        }
        self.rejects.extend(
            refused
                .iter()
                .map(|(row, why)| storage_refused(row, table, why)),
        );
        let tickets = std::mem::take(&mut batch.tickets);
        cuts.apply(batch, true);
        batch.tickets = tickets;
        self.cuts.merge(&cuts);
    }
}

fn storage_refused<T: Positioned + serde::Serialize>(
    row: &T,
    table: &str,
    why: &str,
) -> RejectedRow {
    let (topic, partition, offset) = row.position();
    let origin = Origin {
        topic: topic.to_owned(),
        partition,
        offset,
    };
    let rejection = Rejection::new(
        RejectReason::StorageRefused,
        None,
        format!("clickhouse refused its {table} row: {why}"),
    );
    let payload = serde_json::to_vec(row).unwrap_or_default();
    RejectedRow::new(
        &rejection,
        &origin,
        Some(row.cinema().as_bytes()),
        &payload,
        Utc::now(),
    )
}
