//! The consumer: reads messages, decodes each into a ticket row or a rejected row, and hands
//! full (or old enough) batches to the writer over a bounded channel.
//!
//! Every message read ends up in exactly one row of one batch (a ticket or a reject), and its
//! offset is recorded in that batch, so nothing is committed that was not written.

use std::sync::Arc;

use chrono::Utc;
use rdkafka::consumer::StreamConsumer;
use rdkafka::message::{BorrowedMessage, Message};
use schemas::reject::{RejectReason, Rejection};
use schemas::storage::{Origin, RejectedRow, TicketRow};
use tokio::sync::{mpsc, watch};
use tracing::{debug, warn};

use crate::batch::{Batch, Limits};
use crate::metrics::Metrics;

/// Turns one Kafka message into a row of `batch`.
pub fn accept(batch: &mut Batch, msg: &BorrowedMessage<'_>) {
    let origin = Origin { topic: msg.topic().to_owned(), partition: msg.partition(), offset: msg.offset() };
    let now = Utc::now();
    let payload = msg.payload().unwrap_or_default();
    let decoded = if msg.payload().is_none() {
        Err(Rejection::new(RejectReason::Malformed, None, "message has no payload"))
    } else {
        schemas::event::decode(payload, now)
    };
    match decoded {
        Ok(event) => batch.push_ticket(TicketRow::from_owned_event(event, &origin, now)),
        Err(rejection) => {
            debug!(partition = origin.partition, offset = origin.offset, reason = %rejection.reason, "event rejected");
            batch.push_reject(RejectedRow::new(&rejection, &origin, msg.key(), payload, now));
        }
    }
    batch.advance(&origin.topic, origin.partition, origin.offset);
    if let Some(ms) = msg.timestamp().to_millis() {
        batch.produced_at_ms.push(ms);
    }
}

/// Reads until `shutdown` flips, then sends the open batch and closes the channel.
pub async fn consume(
    consumer: Arc<StreamConsumer>,
    limits: Limits,
    tx: mpsc::Sender<Batch>,
    mut shutdown: watch::Receiver<bool>,
    metrics: Metrics,
) {
    let mut batch = Batch::default();
    loop {
        let deadline = batch.deadline(&limits);
        tokio::select! {
            biased;
            _ = shutdown.changed() => break,
            _ = sleep_until(deadline), if deadline.is_some() => {
                if send(&tx, &mut batch).await.is_err() { return; }
            }
            msg = consumer.recv() => match msg {
                Ok(m) => {
                    metrics.consumed.inc();
                    accept(&mut batch, &m);
                    if batch.is_full(&limits) && send(&tx, &mut batch).await.is_err() {
                        return;
                    }
                }
                // librdkafka retries broker failures by itself; these are informational.
                Err(e) => {
                    warn!(error = %e, "kafka consumer error");
                    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
                }
            },
        }
    }
    if !batch.is_empty() {
        let _ = send(&tx, &mut batch).await;
    }
}

async fn sleep_until(deadline: Option<std::time::Instant>) {
    match deadline {
        Some(d) => tokio::time::sleep_until(d.into()).await,
        None => std::future::pending().await,
    }
}

async fn send(tx: &mpsc::Sender<Batch>, batch: &mut Batch) -> Result<(), ()> {
    let full = std::mem::take(batch);
    tx.send(full).await.map_err(|_| warn!("writer has stopped; consumer exits"))
}
