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
use crate::fence::Fences;
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
        let day = schemas::time::days_since_epoch(schemas::time::box_office_day(before));
        let before = u32::try_from(before.timestamp().max(0)).unwrap_or(0);
        for b in self.books.by_partition.values_mut() {
            b.forget_before(before, day);
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
    /// The writer's refusals, answered by judging a partition again ([`crate::fence`]).
    fences: Arc<Fences>,
    /// Bumped by each rewind; every batch carries the epoch it was judged in.
    epoch: u64,
}

impl Reader {
    /// Hands the open batch to the writer, polling (paused) while the channel is full.
    async fn send(&mut self) -> Result<(), ()> {
        let mut full = std::mem::take(&mut self.batch);
        full.epoch = self.epoch;
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

    /// Answers the writer's refusals: what was judged so far goes to the writer under the
    /// old epoch (so it is cut), and each refused partition is read again after its refused
    /// message with its book rebuilt from ClickHouse. Returns the partitions rewound.
    async fn rewind(&mut self) -> Result<Vec<(String, i32)>, ()> {
        let rewinds = self.fences.take_rewinds();
        if rewinds.is_empty() {
            return Ok(Vec::new());
        }
        if !self.batch.is_empty() {
            self.send().await?;
        }
        self.epoch += 1;
        let mut seek = rdkafka::TopicPartitionList::new();
        let mut done = Vec::new();
        for ((topic, partition), refused) in rewinds {
            let key = (topic, partition);
            self.fences.rewound(&key, self.epoch);
            self.judging.books.drop_partition(&key.0, partition);
            self.inbox.rewind(partition, refused + 1);
            info!(
                partition,
                refused_offset = refused,
                "judging a partition again after a refused message"
            );
            if let Err(e) =
                seek.add_partition_offset(&key.0, partition, rdkafka::Offset::Offset(refused + 1))
            {
                warn!(partition, error = %e, "cannot build the rewind's seek list");
            }
            done.push(key);
        }
        // A partition revoked meanwhile fails here; its next owner reads from the commit,
        // which stops at the refused message.
        if let Err(e) = self.consumer.seek_partitions(seek, Duration::ZERO) {
            warn!(error = %e, "seeking rewound partitions failed");
        }
        Ok(done)
    }

    /// Answers revocations: what was judged so far goes to the writer under the old epoch
    /// (so it is cut: see `group`), and the partitions' books are dropped; batches judged from
    /// now on are stored again, as the partition may come back.
    async fn let_go(&mut self) -> Result<Vec<(String, i32)>, ()> {
        let revoked = self.consumer.context().take_revoked();
        if revoked.is_empty() {
            return Ok(revoked);
        }
        if !self.batch.is_empty() {
            self.send().await?;
        }
        self.epoch += 1;
        for key in &revoked {
            self.judging.books.drop_partition(&key.0, key.1);
            self.fences.rewound(key, self.epoch);
        }
        Ok(revoked)
    }

    /// Judges one message, loading its partition's book first if needed.
    async fn handle(&mut self, m: &impl rdkafka::Message) -> Result<(), ()> {
        let rewound = self.rewind().await?;
        if rewound
            .iter()
            .any(|(t, p)| *p == m.partition() && t == m.topic())
        {
            // Read before the rewind: it comes again, in order, after the refused message.
            return Ok(());
        }
        // A message handed here was delivered after every revocation so far (`inbox`): the
        // revoked partitions' books go, and it is judged against a fresh one.
        self.let_go().await?;
        self.metrics.consumed.inc();
        self.last_consumed
            .store(crate::watchdog::now_ms(), Ordering::Relaxed);
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
    // The group's context holds the fences: its rebalance callback sets them too.
    let fences = consumer.context().fences.clone();
    let mut r = Reader {
        consumer: consumer.clone(),
        judging,
        limits,
        tx,
        metrics,
        last_consumed,
        batch: Batch::default(),
        inbox: Inbox::new(limits.max_rows),
        fences,
        epoch: 0,
    };
    loop {
        if let Some(m) = r.inbox.pop(revocations(&consumer)) {
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
            _ = fences_wait(&r.fences) => {
                if r.rewind().await.is_err() { return; }
            }
            msg = consumer.recv() => match msg {
                Ok(m) => {
                    if r.inbox.delivered(&m, revocations(&consumer)) && r.handle(&m).await.is_err() {
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
    while let Some(m) = r.inbox.pop(revocations(&consumer)) {
        if r.handle(&m).await.is_err() {
            return;
        }
    }
    if !r.batch.is_empty() {
        let _ = r.send().await;
    }
}

/// The group's revocations so far (see `inbox`).
fn revocations(consumer: &IngestConsumer) -> u64 {
    consumer.context().revocations.load(Ordering::SeqCst)
}

async fn fences_wait(fences: &Fences) {
    fences.wait().await;
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
