//! The sessions topic (`kafka.sessions_topic`) → `declared_sessions`: cinemas' declared
//! sessions (contract `ekino.session/1`, `schemas::declared`), beside the ticket pipeline in
//! the same `ekino ingest` process, in its own consumer group (`<group_id>.sessions`) so any
//! number of processes share its partitions.
//!
//! # Why so much simpler than tickets
//! A declaration's verdict depends on the message alone (decoding is stateless; replacing an
//! earlier declaration is decided when read, by `declared_at` then arrival), so there is no
//! book, no fence and no rewind: replaying a message gives the same row in the same sorting
//! key (its Kafka position), which `FINAL` counts once.
//!
//! # Offsets
//! A batch's offsets are committed only after ClickHouse acknowledged every row of it
//! (declarations and refusals); a crash replays the batch. Server faults are retried with
//! back-off for ever; a row refused for its content is stored as a `storage_refused` reject
//! instead, so no message stalls the topic. A message whose key is not its `cinema_bin` is
//! `foreign_cinema`, as on the ticket topic.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use chrono::{DateTime, Utc};
use clickhouse::Client;
use rdkafka::consumer::{CommitMode, Consumer, StreamConsumer};
use rdkafka::{Message, Offset, Timestamp, TopicPartitionList};
use schemas::clock::Clock;
use schemas::declared::{self, DeclarationRow};
use schemas::reject::{RejectReason, Rejection};
use schemas::storage::{Origin, RejectedRow};
use tokio::sync::watch;

use crate::config::{IngestSettings, KafkaSettings};
use crate::metrics::Metrics;
use crate::retry::{classify, Backoff, Disposition};

/// The table declarations go to.
pub const TABLE: &str = "declared_sessions";

/// Most messages in one batch, and the longest a batch waits for more once it has one.
const MAX_BATCH: usize = 1_000;
const BATCH_WAIT: Duration = Duration::from_millis(200);

/// The consumer of the sessions topic.
pub fn consumer(k: &KafkaSettings) -> anyhow::Result<StreamConsumer> {
    let mut c = k.client("ekino-ingest-sessions");
    c.set("group.id", format!("{}.sessions", k.group_id))
        .set("enable.auto.commit", "false")
        .set("auto.offset.reset", "earliest")
        .set("fetch.wait.max.ms", k.fetch_wait_max_ms.to_string())
        .set("max.poll.interval.ms", k.max_poll_interval_ms.to_string())
        .set("session.timeout.ms", k.session_timeout_ms.to_string());
    let consumer: StreamConsumer = c.create().context("creating the sessions consumer")?;
    consumer
        .subscribe(&[&k.sessions_topic])
        .with_context(|| format!("subscribing to {}", k.sessions_topic))?;
    Ok(consumer)
}

/// What one message becomes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Judged {
    Declared(DeclarationRow),
    Refused(RejectedRow),
}

/// Judges one message of the sessions topic. `arrived` is when ekino received it
/// (`schemas::declared::arrival`), `now` when ingest read it.
pub fn judge(
    origin: &Origin,
    key: Option<&[u8]>,
    payload: &[u8],
    arrived: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Judged {
    let refuse = |r: &Rejection| Judged::Refused(RejectedRow::new(r, origin, key, payload, now));
    match declared::decode(payload) {
        Err(r) => refuse(&r),
        Ok(d) if key.is_some_and(|k| k != d.cinema_bin.as_str().as_bytes()) => {
            refuse(&Rejection::field(
                RejectReason::ForeignCinema,
                "cinema_bin",
                "is not the message key's cinema",
            ))
        }
        Ok(d) => Judged::Declared(DeclarationRow::new(&d, origin, arrived, now)),
    }
}

/// Runs until `stop` turns true; then commits what was stored and returns.
pub async fn run(
    consumer: Arc<StreamConsumer>,
    client: Client,
    settings: IngestSettings,
    clock: Clock,
    timeout: Duration,
    metrics: Metrics,
    mut stop: watch::Receiver<bool>,
) {
    loop {
        let mut msgs = Vec::new();
        tokio::select! {
            _ = stop.changed() => return,
            m = consumer.recv() => match m {
                Ok(m) => msgs.push(m.detach()),
                Err(e) => {
                    tracing::warn!(error = %e, "sessions topic: reading failed; retrying");
                    continue;
                }
            },
        }
        let deadline = tokio::time::Instant::now() + BATCH_WAIT;
        while msgs.len() < MAX_BATCH {
            match tokio::time::timeout_at(deadline, consumer.recv()).await {
                Ok(Ok(m)) => msgs.push(m.detach()),
                Ok(Err(e)) => tracing::warn!(error = %e, "sessions topic: reading failed"),
                Err(_) => break,
            }
        }
        let now = clock.now();
        let (mut rows, mut refused) = (Vec::new(), Vec::new());
        let mut next: HashMap<(String, i32), i64> = HashMap::new();
        for m in &msgs {
            let origin = Origin {
                topic: m.topic().to_owned(),
                partition: m.partition(),
                offset: m.offset(),
            };
            let broker_stamped = match m.timestamp() {
                Timestamp::LogAppendTime(ms) => DateTime::<Utc>::from_timestamp_millis(ms),
                _ => None,
            };
            let arrived = declared::arrival(broker_stamped, now);
            match judge(
                &origin,
                m.key(),
                m.payload().unwrap_or_default(),
                arrived,
                now,
            ) {
                Judged::Declared(r) => rows.push(r),
                Judged::Refused(r) => refused.push(r),
            }
            next.insert((origin.topic, origin.partition), origin.offset + 1);
        }
        store(&client, &rows, &mut refused, &settings, timeout, &metrics).await;
        for r in &refused {
            metrics.rejected.with_label_values(&[&r.reason]).inc();
        }
        store_all(&client, "rejected_events", &refused, &settings, timeout).await;
        let mut tpl = TopicPartitionList::new();
        for ((topic, partition), offset) in &next {
            let _ = tpl.add_partition_offset(topic, *partition, Offset::Offset(*offset));
        }
        if let Err(e) = consumer.commit(&tpl, CommitMode::Async) {
            // The rows are stored; a replay after a restart stores the same rows again.
            tracing::warn!(error = %e, "sessions topic: committing offsets failed");
        }
    }
}

/// Stores declarations; a row refused for its content becomes a `storage_refused` reject.
async fn store(
    client: &Client,
    rows: &[DeclarationRow],
    refused: &mut Vec<RejectedRow>,
    settings: &IngestSettings,
    timeout: Duration,
    metrics: &Metrics,
) {
    if rows.is_empty() {
        return;
    }
    if try_store(client, TABLE, rows, settings, timeout).await {
        metrics
            .inserted
            .with_label_values(&[TABLE])
            .inc_by(rows.len() as u64);
        return;
    }
    // Refused for its content: find which rows, one at a time (declarations are few).
    for row in rows {
        if try_store(client, TABLE, std::slice::from_ref(row), settings, timeout).await {
            metrics.inserted.with_label_values(&[TABLE]).inc();
        } else {
            let origin = Origin {
                topic: row.kafka_topic.clone(),
                partition: row.kafka_partition,
                offset: row.kafka_offset,
            };
            let r = Rejection::new(
                RejectReason::StorageRefused,
                None,
                "clickhouse refused the declaration's row",
            );
            let payload = declared_payload(row);
            refused.push(RejectedRow::new(
                &r,
                &origin,
                Some(row.cinema_bin.as_bytes()),
                payload.as_bytes(),
                Utc::now(),
            ));
        }
    }
}

/// What is kept of a declaration ClickHouse refused: its key fields (the message itself is
/// gone once decoded).
fn declared_payload(row: &DeclarationRow) -> String {
    serde_json::json!({
        "cinema_bin": row.cinema_bin, "screening_id": row.screening_id, "hall": row.hall,
        "film_id": row.film_id,
    })
    .to_string()
}

/// Inserts `rows`, retrying server faults for ever; `false` when refused for their content.
async fn try_store<T>(
    client: &Client,
    table: &str,
    rows: &[T],
    settings: &IngestSettings,
    timeout: Duration,
) -> bool
where
    T: clickhouse::Row + serde::Serialize + for<'a> clickhouse::RowWrite<Value<'a> = T>,
{
    let mut backoff = Backoff::new(settings.retry_initial_ms, settings.retry_max_ms);
    loop {
        match crate::clickhouse_store::insert_rows(client, table, rows, timeout).await {
            Ok(()) => return true,
            Err(e) if classify(&e) == Disposition::Poison => return false,
            Err(e) => {
                tracing::warn!(table, rows = rows.len(), error = %e, "sessions topic: storing failed; retrying");
                tokio::time::sleep(backoff.next_delay()).await;
            }
        }
    }
}

/// Stores refusals; one ClickHouse refuses is logged and stored without its payload.
async fn store_all(
    client: &Client,
    table: &str,
    rows: &[RejectedRow],
    settings: &IngestSettings,
    timeout: Duration,
) {
    if rows.is_empty() || try_store(client, table, rows, settings, timeout).await {
        return;
    }
    for row in rows {
        if !try_store(client, table, std::slice::from_ref(row), settings, timeout).await {
            let bare = RejectedRow {
                payload: String::new(),
                payload_encoding: "utf8".into(),
                payload_truncated: 1,
                ..row.clone()
            };
            tracing::error!(
                offset = row.kafka_offset,
                "a refused declaration's reject was refused; kept without its payload"
            );
            if !try_store(
                client,
                table,
                std::slice::from_ref(&bare),
                settings,
                timeout,
            )
            .await
            {
                tracing::error!(
                    offset = row.kafka_offset,
                    "a refused declaration could not be kept"
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn origin() -> Origin {
        Origin {
            topic: "ekino.sessions".into(),
            partition: 2,
            offset: 7,
        }
    }

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().to_utc()
    }

    const VALID: &str = r#"{"schema":"ekino.session/1","cinema_bin":"000000000010","hall":"1","screening_id":"S-1","film_id":"F-1","show_start":"2026-11-20T19:00:00+05:00","ends_at":"2026-11-20T21:00:00+05:00","seats_on_sale":100,"status":"cancelled","declared_at":"2026-11-19T10:00:00+05:00"}"#;

    #[test]
    fn a_declaration_is_stored_with_its_arrival_and_position() {
        let arrived = at("2026-11-19T10:00:05+05:00");
        let now = at("2026-11-19T10:00:06+05:00");
        let Judged::Declared(row) = judge(
            &origin(),
            Some(b"000000000010"),
            VALID.as_bytes(),
            arrived,
            now,
        ) else {
            panic!("refused")
        };
        assert_eq!(row.arrived_at, schemas::time::secs(arrived));
        assert_eq!((row.kafka_partition, row.kafka_offset), (2, 7));
        assert_eq!(row.status, 2);
        // The same message judged again (a replay) is the same row but for when it was read.
        let Judged::Declared(again) = judge(
            &origin(),
            Some(b"000000000010"),
            VALID.as_bytes(),
            arrived,
            at("2026-12-01T00:00:00Z"),
        ) else {
            panic!("refused on replay")
        };
        assert!(
            row.first_judged > again.first_judged,
            "the first judgement is kept"
        );
        assert_eq!(
            DeclarationRow {
                ingested_at: 0,
                first_judged: 0,
                ..again
            },
            DeclarationRow {
                ingested_at: 0,
                first_judged: 0,
                ..row
            }
        );
    }

    #[test]
    fn a_bad_or_foreign_declaration_is_kept_with_its_reason() {
        let now = at("2026-11-19T10:00:06+05:00");
        let Judged::Refused(r) =
            judge(&origin(), Some(b"000000000028"), VALID.as_bytes(), now, now)
        else {
            panic!("a foreign key was accepted")
        };
        assert_eq!(
            (r.reason.as_str(), r.field.as_str()),
            ("foreign_cinema", "cinema_bin")
        );
        assert_eq!(r.payload, VALID);
        let bad = VALID.replace("cancelled", "moved");
        let Judged::Refused(r) = judge(&origin(), None, bad.as_bytes(), now, now) else {
            panic!("a bad status was accepted")
        };
        assert_eq!(
            (r.reason.as_str(), r.field.as_str()),
            ("invalid_status", "status")
        );
    }
}
