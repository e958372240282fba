//! Side topics: contracts whose verdict depends on the message alone — declared sessions
//! (`declarations`) and online sellers' records (`partner_sales`) — consumed beside the ticket
//! pipeline in the same `ekino ingest` process, each in its own consumer group
//! (`<group_id>.<suffix>`) so any number of processes share its partitions.
//!
//! # Why so much simpler than tickets
//! Decoding is stateless, so there is no book, no fence and no rewind: replaying a message
//! gives the same row in the same sorting key, and each table keeps the row of a message's
//! *first* judgement (its replacing version is `u32::MAX − ingested_at`), so its arrival
//! never changes.
//!
//! # Offsets
//! A batch's offsets are committed only after ClickHouse acknowledged every row of it
//! (records and refusals); a crash replays the batch. Server faults are retried with back-off
//! for ever; a row refused for its content is kept as a `storage_refused` reject instead, so
//! no message stalls its topic.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use chrono::{DateTime, Utc};
use clickhouse::Client;
use rdkafka::consumer::{CommitMode, Consumer, StreamConsumer};
use rdkafka::{Message, Offset, Timestamp, TopicPartitionList};
use schemas::clock::Clock;
use schemas::reject::{RejectReason, Rejection};
use schemas::storage::{Origin, RejectedRow};
use tokio::sync::watch;

use crate::config::{IngestSettings, KafkaSettings};
use crate::metrics::Metrics;
use crate::retry::{classify, Backoff, Disposition};

/// Most messages in one batch, and the longest a batch waits for more once it has one.
const MAX_BATCH: usize = 1_000;
const BATCH_WAIT: Duration = Duration::from_millis(200);

/// What one message becomes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Judged<R> {
    Stored(R),
    Refused(RejectedRow),
}

/// A verdict as a side topic stores it: a record, or the message kept with its refusal.
pub fn judged<R>(
    origin: &Origin,
    key: Option<&[u8]>,
    payload: &[u8],
    now: DateTime<Utc>,
    verdict: Result<R, Rejection>,
) -> Judged<R> {
    match verdict {
        Ok(row) => Judged::Stored(row),
        Err(r) => Judged::Refused(RejectedRow::new(&r, origin, key, payload, now)),
    }
}

/// A stored row's Kafka position.
pub fn origin(topic: &str, partition: i32, offset: i64) -> Origin {
    Origin {
        topic: topic.to_owned(),
        partition,
        offset,
    }
}

/// A side topic's contract.
pub trait Contract: Send + Sync + 'static {
    type Row: clickhouse::Row
        + serde::Serialize
        + for<'a> clickhouse::RowWrite<Value<'a> = Self::Row>
        + Clone
        + Send
        + Sync;
    /// For logs: "sessions", "partner sales".
    const NAME: &'static str;
    const TABLE: &'static str;
    /// Judges one message: `arrived` is when ekino received it (`arrival`), `now` when
    /// ingest read it.
    fn judge(
        origin: &Origin,
        key: Option<&[u8]>,
        payload: &[u8],
        arrived: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Judged<Self::Row>;
    /// A stored row's position, key and what of it to keep should ClickHouse refuse it.
    fn kept(row: &Self::Row) -> (Origin, String, String);
}

/// When ekino received a message: the broker's time when the broker stamped it
/// (`LogAppendTime`, how `ekino migrate` creates the side topics), else ingest's clock when it
/// first judged it. A producer's own timestamp (`CreateTime`) is never believed: a sender
/// could backdate its records.
pub fn arrival(m: &impl Message, judged: DateTime<Utc>) -> DateTime<Utc> {
    let broker_stamped = match m.timestamp() {
        Timestamp::LogAppendTime(ms) => DateTime::<Utc>::from_timestamp_millis(ms),
        _ => None,
    };
    broker_stamped.unwrap_or(judged)
}

/// The consumer of a side topic, in the group `<group_id>.<suffix>`.
pub fn consumer(k: &KafkaSettings, topic: &str, suffix: &str) -> anyhow::Result<StreamConsumer> {
    let mut c = k.client(&format!("ekino-ingest-{suffix}"));
    c.set("group.id", format!("{}.{suffix}", k.group_id))
        .set("enable.auto.commit", "false")
        .set("auto.offset.reset", "earliest")
        .set("fetch.wait.max.ms", k.fetch_wait_max_ms.to_string())
        .set("max.poll.interval.ms", k.max_poll_interval_ms.to_string())
        .set("session.timeout.ms", k.session_timeout_ms.to_string())
        // A side topic carries hundreds of messages a day, not thousands a second: a small
        // prefetch keeps its consumer from holding the 64 MiB librdkafka allows by default.
        .set("queued.max.messages.kbytes", "1024");
    let consumer: StreamConsumer = c
        .create()
        .with_context(|| format!("creating the {suffix} consumer"))?;
    consumer
        .subscribe(&[topic])
        .with_context(|| format!("subscribing to {topic}"))?;
    Ok(consumer)
}

/// What a side consumer needs besides its consumer.
#[derive(Clone)]
pub struct Sink {
    pub client: Client,
    pub settings: IngestSettings,
    pub clock: Clock,
    pub timeout: Duration,
    pub metrics: Metrics,
}

/// Runs until `stop` turns true; commits after each stored batch.
pub async fn run<C: Contract>(
    consumer: Arc<StreamConsumer>,
    sink: Sink,
    mut stop: watch::Receiver<bool>,
) {
    loop {
        let mut msgs = Vec::new();
        tokio::select! {
            _ = stop.changed() => return,
            m = consumer.recv() => match m {
                Ok(m) => msgs.push(m.detach()),
                Err(e) => {
                    tracing::warn!(topic = C::NAME, error = %e, "side topic: reading failed; retrying");
                    continue;
                }
            },
        }
        let deadline = tokio::time::Instant::now() + BATCH_WAIT;
        while msgs.len() < MAX_BATCH {
            match tokio::time::timeout_at(deadline, consumer.recv()).await {
                Ok(Ok(m)) => msgs.push(m.detach()),
                Ok(Err(e)) => {
                    tracing::warn!(topic = C::NAME, error = %e, "side topic: reading failed")
                }
                Err(_) => break,
            }
        }
        let now = sink.clock.now();
        let (mut rows, mut refused) = (Vec::new(), Vec::new());
        let mut next: HashMap<(String, i32), i64> = HashMap::new();
        for m in &msgs {
            let origin = Origin {
                topic: m.topic().to_owned(),
                partition: m.partition(),
                offset: m.offset(),
            };
            let arrived = arrival(m, now);
            match C::judge(
                &origin,
                m.key(),
                m.payload().unwrap_or_default(),
                arrived,
                now,
            ) {
                Judged::Stored(r) => rows.push(r),
                Judged::Refused(r) => refused.push(r),
            }
            next.insert((origin.topic, origin.partition), origin.offset + 1);
        }
        store::<C>(&sink, &rows, &mut refused).await;
        for r in &refused {
            sink.metrics.rejected.with_label_values(&[&r.reason]).inc();
        }
        store_refused(&sink, &refused).await;
        let mut tpl = TopicPartitionList::new();
        for ((topic, partition), offset) in &next {
            let _ = tpl.add_partition_offset(topic, *partition, Offset::Offset(*offset));
        }
        if let Err(e) = consumer.commit(&tpl, CommitMode::Async) {
            // The rows are stored; a replay after a restart stores the same rows again.
            tracing::warn!(topic = C::NAME, error = %e, "side topic: committing offsets failed");
        }
    }
}

/// Stores the records; a row refused for its content becomes a `storage_refused` reject.
async fn store<C: Contract>(sink: &Sink, rows: &[C::Row], refused: &mut Vec<RejectedRow>) {
    if rows.is_empty() {
        return;
    }
    let inserted = sink.metrics.inserted.with_label_values(&[C::TABLE]);
    if try_store(sink, C::TABLE, rows).await {
        inserted.inc_by(rows.len() as u64);
        return;
    }
    // Refused for its content: find which rows, one at a time (side records are few).
    for row in rows {
        if try_store(sink, C::TABLE, std::slice::from_ref(row)).await {
            inserted.inc();
        } else {
            let (origin, key, payload) = C::kept(row);
            let r = Rejection::new(
                RejectReason::StorageRefused,
                None,
                format!("clickhouse refused the row of {}", C::NAME),
            );
            refused.push(RejectedRow::new(
                &r,
                &origin,
                Some(key.as_bytes()),
                payload.as_bytes(),
                sink.clock.now(),
            ));
        }
    }
}

/// Inserts `rows`, retrying server faults for ever; `false` when refused for their content.
async fn try_store<T>(sink: &Sink, table: &str, rows: &[T]) -> bool
where
    T: clickhouse::Row + serde::Serialize + for<'a> clickhouse::RowWrite<Value<'a> = T>,
{
    let mut backoff = Backoff::new(sink.settings.retry_initial_ms, sink.settings.retry_max_ms);
    loop {
        match crate::clickhouse_store::insert_rows(&sink.client, table, rows, sink.timeout).await {
            Ok(()) => return true,
            Err(e) if classify(&e) == Disposition::Poison => return false,
            Err(e) => {
                tracing::warn!(table, rows = rows.len(), error = %e, "side topic: storing failed; retrying");
                tokio::time::sleep(backoff.next_delay()).await;
            }
        }
    }
}

/// Stores refusals; one ClickHouse refuses is stored again without its payload.
async fn store_refused(sink: &Sink, rows: &[RejectedRow]) {
    const TABLE: &str = "rejected_events";
    if rows.is_empty() || try_store(sink, TABLE, rows).await {
        return;
    }
    for row in rows {
        if !try_store(sink, TABLE, std::slice::from_ref(row)).await {
            let bare = RejectedRow {
                payload: String::new(),
                payload_encoding: "utf8".into(),
                payload_truncated: 1,
                ..row.clone()
            };
            tracing::error!(
                offset = row.kafka_offset,
                "a side topic's reject was refused; kept without its payload"
            );
            if !try_store(sink, TABLE, std::slice::from_ref(&bare)).await {
                tracing::error!(
                    offset = row.kafka_offset,
                    "a side topic's reject could not be kept"
                );
            }
        }
    }
}
