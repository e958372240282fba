//! The consumer's group membership: which partitions were taken away (so their books are
//! rebuilt before they are judged again) and whether this member holds any.
//!
//! # Letting go of a partition
//! librdkafka calls [`GroupContext::pre_rebalance`] before the member rejoins the group, and
//! the partitions' next owner is only assigned once every member has rejoined. So that is
//! where the partitions are fenced ([`Fences::revoked`]): nothing this member judged of them is
//! stored after it returns, and the next owner's book, built from ClickHouse, misses nothing
//! this member will ever store.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rdkafka::consumer::{BaseConsumer, ConsumerContext, Rebalance, StreamConsumer};
use rdkafka::ClientContext;

use crate::fence::Fences;

pub type IngestConsumer = StreamConsumer<GroupContext>;

#[derive(Default)]
pub struct GroupContext {
    revoked: Mutex<Vec<(String, i32)>>,
    /// Partitions assigned to this member now.
    pub assigned: AtomicUsize,
    /// Revocations so far: a wait that saw one must not seek (see `inbox`).
    pub revocations: AtomicU64,
    /// Shared with the writer and the reader.
    pub fences: Arc<Fences>,
    /// How long a revocation waits for the batch being stored (`ingest.revoke_wait_ms`).
    pub revoke_wait: Duration,
}

impl ClientContext for GroupContext {}

impl ConsumerContext for GroupContext {
    fn pre_rebalance(&self, _c: &BaseConsumer<Self>, rebalance: &Rebalance<'_>) {
        if let Rebalance::Revoke(tpl) = rebalance {
            let keys: Vec<(String, i32)> = tpl
                .elements()
                .iter()
                .map(|e| (e.topic().to_owned(), e.partition()))
                .collect();
            self.revocations.fetch_add(1, Ordering::SeqCst);
            let fenced = self.fence(&keys);
            self.revoked
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .extend(keys);
            if fenced {
                tracing::info!(partitions = tpl.count(), "partitions revoked and fenced");
            } else {
                tracing::warn!(
                    partitions = tpl.count(),
                    wait_ms = self.revoke_wait.as_millis() as u64,
                    "partitions revoked while a batch is still being stored (clickhouse slow or down): that batch may be stored after the next owner has read its book"
                );
            }
        }
    }

    fn post_rebalance(&self, _c: &BaseConsumer<Self>, rebalance: &Rebalance<'_>) {
        match rebalance {
            Rebalance::Assign(tpl) => {
                self.assigned.store(tpl.count(), Ordering::Relaxed);
                tracing::info!(partitions = tpl.count(), "partitions assigned");
            }
            Rebalance::Revoke(_) => self.assigned.store(0, Ordering::Relaxed),
            Rebalance::Error(e) => tracing::warn!(error = %e, "rebalance error"),
        }
    }
}

impl GroupContext {
    pub fn new(fences: Arc<Fences>, revoke_wait: Duration) -> Self {
        Self {
            fences,
            revoke_wait,
            ..Self::default()
        }
    }

    /// Partitions revoked since the last call.
    pub fn take_revoked(&self) -> Vec<(String, i32)> {
        std::mem::take(
            &mut *self
                .revoked
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner),
        )
    }

    /// Fences `keys`, waiting for the writer off the async workers' way.
    fn fence(&self, keys: &[(String, i32)]) -> bool {
        if keys.is_empty() {
            return true;
        }
        let wait = || self.fences.revoked(keys, self.revoke_wait);
        // The callback runs inside the reader's poll, on a runtime worker: the writer must be
        // able to run meanwhile.
        match tokio::runtime::Handle::try_current() {
            Ok(h) if h.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread => {
                tokio::task::block_in_place(wait)
            }
            _ => wait(),
        }
    }
}
