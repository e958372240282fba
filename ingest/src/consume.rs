//! The consumer: reads messages, judges each against its partition's book (a ticket row, a
//! waiting refund, a void, a reject, or nothing for a re-send), and hands full (or old
//! enough) batches to the writer over a bounded channel.
//!
//! Every message read is judged into exactly one batch, and its offset is recorded in that
//! batch, so nothing is committed that was not written. Before a partition's book is
//! (re)built, everything judged so far is written: the book must see it in ClickHouse.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use clickhouse::Client;
use rdkafka::consumer::Consumer as _;
use schemas::clock::Clock;
use schemas::storage::Origin;
use tokio::sync::{mpsc, watch};
use tracing::{info, warn};

use crate::batch::{Batch, Limits};
use crate::group::IngestConsumer;
use crate::inbox::Inbox;
use crate::judge::{self, Books, Message, Policy};
use crate::metrics::Metrics;
use crate::retry::Backoff;

/// What judging needs besides the message.
pub struct Judging {
    pub books: Books,
    pub policy: Policy,
    pub clock: Clock,
    pub client: Client,
    pub timeout: Duration,
    pub horizon_days: u32,
    /// Batches sent to the writer and not yet settled (rows stored, offsets committed).
    pub inflight: Arc<AtomicUsize>,
    pub retry_initial_ms: u64,
    pub retry_max_ms: u64,
    last_forget: Option<Instant>,
}

impl Judging {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        policy: Policy,
        clock: Clock,
        client: Client,
        timeout: Duration,
        horizon_days: u32,
        inflight: Arc<AtomicUsize>,
        retry: (u64, u64),
    ) -> Self {
        Self {
            books: Books::default(),
            policy,
            clock,
            client,
            timeout,
            horizon_days,
            inflight,
            retry_initial_ms: retry.0,
            retry_max_ms: retry.1,
            last_forget: None,
        }
    }

    /// Builds the book of a partition from ClickHouse, retrying while it is unreachable.
    async fn load(&mut self, topic: &str, partition: i32, resume: i64, metrics: &Metrics) {
        let mut backoff = Backoff::new(self.retry_initial_ms, self.retry_max_ms);
        let started = Instant::now();
        loop {
            let now = self.clock.now();
            match judge::load::load(
                &self.client,
                topic,
                partition,
                resume,
                now,
                self.horizon_days,
                self.timeout,
            )
            .await
            {
                Ok(book) => {
                    info!(
                        partition,
                        resume_offset = resume,
                        events = book.len(),
                        elapsed_ms = started.elapsed().as_millis() as u64,
                        "partition book loaded"
                    );
                    self.books
                        .by_partition
                        .insert((topic.to_owned(), partition), book);
                    metrics.book_loads.inc();
                    return;
                }
                Err(e) => {
                    let delay = backoff.next_delay();
                    warn!(partition, attempt = backoff.attempts(), delay_ms = delay.as_millis() as u64, error = %e, "loading the partition's book failed; retrying");
                    tokio::time::sleep(delay).await;
                }
            }
        }
    }

    /// Forgets, once an hour, events older than the horizon.
    fn forget_old(&mut self, metrics: &Metrics) {
        if self
            .last_forget
            .is_some_and(|t| t.elapsed() < Duration::from_secs(3600))
        {
            return;
        }
        self.last_forget = Some(Instant::now());
        let before = self.clock.now() - chrono::Duration::days(i64::from(self.horizon_days));
        let before = u32::try_from(before.timestamp().max(0)).unwrap_or(0);
        for b in self.books.by_partition.values_mut() {
            b.forget_before(before);
        }
        metrics
            .dedup_events
            .set(i64::try_from(self.books.events()).unwrap_or(i64::MAX));
        metrics
            .dedup_bytes
            .set(i64::try_from(self.books.approx_bytes()).unwrap_or(i64::MAX));
    }
}

/// Judges one Kafka message into `batch` (its book must be loaded).
pub fn accept(j: &mut Judging, batch: &mut Batch, msg: &impl rdkafka::Message) {
    let origin = Origin {
        topic: msg.topic().to_owned(),
        partition: msg.partition(),
        offset: msg.offset(),
    };
    let now = j.clock.now();
    let Some(book) = j.books.get_mut(&origin.topic, origin.partition) else {
        // A bug: the consume loop loads the book first. Keep the message unjudged rather than
        // guess: it is re-read after a restart since its offset is not recorded.
        tracing::error!(
            partition = origin.partition,
            offset = origin.offset,
            "no book for the partition"
        );
        return;
    };
    let m = Message {
        origin,
        key: msg.key(),
        payload: msg.payload(),
    };
    judge::judge(book, &j.policy, &m, now, batch);
    batch.advance(&m.origin.topic, m.origin.partition, m.origin.offset);
    if let Some(ms) = msg.timestamp().to_millis() {
        batch.produced_at_ms.push(ms);
    }
}

/// The consume loop's state.
struct Reader {
    consumer: Arc<IngestConsumer>,
    judging: Judging,
    limits: Limits,
    tx: mpsc::Sender<Batch>,
    metrics: Metrics,
    last_consumed: Arc<std::sync::atomic::AtomicU64>,
    batch: Batch,
    /// Messages delivered while waiting, and each partition's position.
    inbox: Inbox,
}

impl Reader {
    /// Hands the open batch to the writer, polling (paused) while the channel is full.
    async fn send(&mut self) -> Result<(), ()> {
        let full = std::mem::take(&mut self.batch);
        self.metrics.duplicates.inc_by(full.duplicates);
        self.metrics
            .offset_gaps
            .inc_by(std::mem::take(&mut self.inbox.gaps));
        self.metrics
            .dedup_events
            .set(i64::try_from(self.judging.books.events()).unwrap_or(i64::MAX));
        let permit = match self.tx.try_reserve() {
            Ok(p) => Ok(p),
            Err(mpsc::error::TrySendError::Full(())) => self
                .inbox
                .polling(&self.consumer, self.tx.reserve())
                .await
                .map_err(|_| ()),
            Err(mpsc::error::TrySendError::Closed(())) => Err(()),
        };
        match permit {
            Ok(p) => {
                self.judging.inflight.fetch_add(1, Ordering::AcqRel);
                p.send(full);
                Ok(())
            }
            Err(()) => {
                warn!("writer has stopped; consumer exits");
                Err(())
            }
        }
    }

    /// Judges one message, loading its partition's book first if needed.
    async fn handle(&mut self, m: &impl rdkafka::Message) -> Result<(), ()> {
        self.metrics.consumed.inc();
        self.last_consumed
            .store(crate::watchdog::now_ms(), Ordering::Relaxed);
        for (topic, partition) in self.consumer.context().take_revoked() {
            self.judging.books.drop_partition(&topic, partition);
            self.inbox.forget(partition);
        }
        if self
            .judging
            .books
            .get_mut(m.topic(), m.partition())
            .is_none()
        {
            // Everything judged so far must be in ClickHouse before the book is read.
            if !self.batch.is_empty() {
                self.send().await?;
            }
            let (topic, partition, offset) = (m.topic().to_owned(), m.partition(), m.offset());
            let (judging, metrics) = (&mut self.judging, &self.metrics);
            self.inbox
                .polling(&self.consumer, async {
                    wait_settled(&judging.inflight).await;
                    judging.load(&topic, partition, offset, metrics).await;
                })
                .await;
        }
        accept(&mut self.judging, &mut self.batch, m);
        if self.batch.is_full(&self.limits) {
            self.send().await?;
        }
        self.judging.forget_old(&self.metrics);
        Ok(())
    }
}

/// Reads until `shutdown` flips, then sends the open batch and closes the channel.
pub async fn consume(
    consumer: Arc<IngestConsumer>,
    judging: Judging,
    limits: Limits,
    tx: mpsc::Sender<Batch>,
    mut shutdown: watch::Receiver<bool>,
    metrics: Metrics,
    last_consumed: Arc<std::sync::atomic::AtomicU64>,
) {
    let mut r = Reader {
        consumer: consumer.clone(),
        judging,
        limits,
        tx,
        metrics,
        last_consumed,
        batch: Batch::default(),
        inbox: Inbox::new(limits.max_rows),
    };
    loop {
        if let Some(m) = r.inbox.pop() {
            if r.handle(&m).await.is_err() {
                return;
            }
            continue;
        }
        let deadline = r.batch.deadline(&r.limits);
        tokio::select! {
            biased;
            _ = shutdown.changed() => break,
            _ = sleep_until(deadline), if deadline.is_some() => {
                if r.send().await.is_err() { return; }
            }
            msg = consumer.recv() => match msg {
                Ok(m) => {
                    if r.inbox.delivered(&m) && r.handle(&m).await.is_err() {
                        return;
                    }
                }
                // librdkafka retries broker failures by itself; these are informational.
                Err(e) => {
                    warn!(error = %e, "kafka consumer error");
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
            },
        }
    }
    while let Some(m) = r.inbox.pop() {
        if r.handle(&m).await.is_err() {
            return;
        }
    }
    if !r.batch.is_empty() {
        let _ = r.send().await;
    }
}

async fn wait_settled(inflight: &AtomicUsize) {
    while inflight.load(Ordering::Acquire) > 0 {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

async fn sleep_until(deadline: Option<Instant>) {
    match deadline {
        Some(d) => tokio::time::sleep_until(d.into()).await,
        None => std::future::pending().await,
    }
}
