//! Keeps a consumer from idling while its topic has lag.
//!
//! # What was found (tansu 0.6)
//! Measured with two plain consumers: once a group member is SIGKILLed, a new member of that
//! group got no partition for at least 120 s although its `session.timeout.ms` was 10 s,
//! while a fresh group got every partition in 0.4 s; and an ingest left alone with ~100,000
//! events waiting consumed nothing for over four minutes until another member joined. The
//! coordinator completes a rebalance only when every known member has re-joined or timed
//! out, and it times out a silent member after its *rebalance* timeout, which librdkafka
//! sends as `max.poll.interval.ms` (600 s in ingest's old settings), not after its session
//! timeout as Apache Kafka does. A JoinGroup from a new member was seen to end the wait.
//!
//! So the cause is the broker's coordinator together with ingest's long poll interval,
//! which had to cover a writer stalled by a ClickHouse outage because the consumer stopped
//! polling while the channel was full. The cure has two parts:
//! 1. The consumer now keeps polling, with its partitions paused, while it waits for the
//!    writer or for a partition's book (`consume::Reader::polling`), so the poll interval
//!    no longer has to cover any stall: `kafka.max_poll_interval_ms` is 10 s and
//!    `kafka.session_timeout_ms` 6 s by default, and a killed member holds the group up for
//!    at most ~10 s on tansu (its session timeout on Apache Kafka). Measured by the chaos
//!    test: 30 SIGKILLs, a broker restart and a ClickHouse outage with no stretch of 60 s
//!    without progress.
//! 2. This watchdog, as the backstop: when the topic has lag, the group's committed offsets
//!    have not moved, and this member has consumed nothing for `ingest.watchdog_ms`, it
//!    leaves the group and joins again as a new member. A member that rightly holds no
//!    partition sees the committed offsets move (another member consumes) and never churns.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rdkafka::consumer::Consumer;
use rdkafka::{Offset, TopicPartitionList};
use tracing::{info, warn};

use crate::group::IngestConsumer;
use crate::metrics::Metrics;

pub fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

/// The group's committed offsets and the high watermarks of every partition of `topic`.
fn progress(c: &IngestConsumer, topic: &str) -> Option<(Vec<i64>, Vec<i64>)> {
    let timeout = Duration::from_secs(5);
    let md = c.fetch_metadata(Some(topic), timeout).ok()?;
    let partitions: Vec<i32> = md
        .topics()
        .first()?
        .partitions()
        .iter()
        .map(|p| p.id())
        .collect();
    let mut tpl = TopicPartitionList::new();
    for p in &partitions {
        tpl.add_partition(topic, *p);
    }
    let committed = c.committed_offsets(tpl, timeout).ok()?;
    let mut comm = Vec::new();
    let mut high = Vec::new();
    for p in &partitions {
        let (low, hi) = c.fetch_watermarks(topic, *p, timeout).ok()?;
        let at = match committed.find_partition(topic, *p).map(|e| e.offset()) {
            Some(Offset::Offset(o)) => o,
            _ => low,
        };
        comm.push(at);
        high.push(hi);
    }
    Some((comm, high))
}

/// Checks every few seconds; re-joins the group when the topic is stuck (see the module docs).
pub async fn watch(
    consumer: Arc<IngestConsumer>,
    topic: String,
    stuck_after: Duration,
    last_consumed: Arc<AtomicU64>,
    metrics: Metrics,
) {
    let mut last_committed: Option<Vec<i64>> = None;
    let mut unchanged_since = now_ms();
    let period = (stuck_after / 6).clamp(Duration::from_millis(200), Duration::from_secs(10));
    loop {
        tokio::time::sleep(period).await;
        let c = consumer.clone();
        let t = topic.clone();
        let Ok(Some((committed, high))) =
            tokio::task::spawn_blocking(move || progress(&c, &t)).await
        else {
            continue;
        };
        if last_committed.as_ref() != Some(&committed) {
            last_committed = Some(committed.clone());
            unchanged_since = now_ms();
        }
        let lagging = committed.iter().zip(&high).any(|(c, h)| c < h);
        let stuck_ms = u64::try_from(stuck_after.as_millis()).unwrap_or(u64::MAX);
        let idle = now_ms().saturating_sub(last_consumed.load(Ordering::Relaxed)) >= stuck_ms;
        if lagging && idle && now_ms().saturating_sub(unchanged_since) >= stuck_ms {
            warn!(topic = %topic, stuck_ms, "the topic has lag nobody consumes; leaving and re-joining the group");
            metrics.rejoins.inc();
            consumer.unsubscribe();
            if let Err(e) = consumer.subscribe(&[&topic]) {
                warn!(error = %e, "re-subscribing failed");
            }
            info!("re-joined the group");
            unchanged_since = now_ms();
            last_consumed.store(now_ms(), Ordering::Relaxed);
        }
    }
}
