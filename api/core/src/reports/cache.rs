//! A report kept in memory for at most a second, so a hot public figure costs one query a
//! second however often it is asked, and is never older than the freshness goal allows.
//! Bounded: past [`TtlCache::MAX_ENTRIES`] keys, stale entries are dropped, and if none is
//! stale nothing new is kept (the cache never grows past its bound).
//!
//! Refresh ahead ([`TtlCache::lookup`]): past half its life an entry is still served, and the
//! one caller told [`Cached::Refresh`] computes its successor in the background, so a figure
//! asked for steadily is served from memory without waiting on a query, and is still never
//! older than the ttl.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// (computed at, value, a refresh is under way)
type Entry<V> = (Instant, Arc<V>, bool);

pub struct TtlCache<K, V> {
    ttl: Duration,
    max_entries: usize,
    entries: Mutex<HashMap<K, Entry<V>>>,
}

/// What [`TtlCache::lookup`] found.
pub enum Cached<V> {
    Fresh(Arc<V>),
    /// Still within its ttl but past half of it: serve it, and compute its successor (this
    /// caller alone is told so until the successor is put or the entry expires).
    Refresh(Arc<V>),
    Miss,
}

impl<K: Eq + Hash, V> TtlCache<K, V> {
    pub const MAX_ENTRIES: usize = 4096;
    /// The longest a report is served from memory, whatever the setting.
    pub const MAX_TTL: Duration = Duration::from_secs(1);

    /// `ttl` is capped at [`Self::MAX_TTL`]; zero turns the cache off.
    pub fn new(ttl: Duration) -> Self {
        Self {
            ttl: ttl.min(Self::MAX_TTL),
            max_entries: Self::MAX_ENTRIES,
            entries: Default::default(),
        }
    }

    /// At most `n` keys (fewer than [`Self::MAX_ENTRIES`]): for values that are large.
    pub fn at_most(mut self, n: usize) -> Self {
        self.max_entries = n.min(Self::MAX_ENTRIES);
        self
    }

    /// Forgets every entry: a write this process made must show at once.
    pub fn clear(&self) {
        self.entries.lock().expect("cache lock").clear();
    }

    /// Not capped at [`Self::MAX_TTL`]: for what is not itself a figure but decides which
    /// may be shown (the regions a chart may be asked for), and changes slowly.
    pub fn new_uncapped(ttl: Duration) -> Self {
        Self {
            ttl,
            max_entries: Self::MAX_ENTRIES,
            entries: Default::default(),
        }
    }

    pub fn get(&self, key: &K) -> Option<Arc<V>> {
        let entries = self.entries.lock().expect("cache lock");
        entries
            .get(key)
            .filter(|(at, _, _)| at.elapsed() < self.ttl)
            .map(|(_, v, _)| v.clone())
    }

    /// [`Self::get`], telling one caller when to refresh ahead of expiry.
    pub fn lookup(&self, key: &K) -> Cached<V> {
        let mut entries = self.entries.lock().expect("cache lock");
        match entries.get_mut(key) {
            Some((at, v, refreshing)) if at.elapsed() < self.ttl => {
                if at.elapsed() >= self.ttl / 2 && !*refreshing {
                    *refreshing = true;
                    Cached::Refresh(v.clone())
                } else {
                    Cached::Fresh(v.clone())
                }
            }
            _ => Cached::Miss,
        }
    }

    pub fn put(&self, key: K, value: Arc<V>) {
        if self.ttl.is_zero() {
            return;
        }
        let mut entries = self.entries.lock().expect("cache lock");
        if entries.len() >= self.max_entries {
            let ttl = self.ttl;
            entries.retain(|_, (at, _, _)| at.elapsed() < ttl);
            if entries.len() >= self.max_entries {
                return;
            }
        }
        entries.insert(key, (Instant::now(), value, false));
    }
}

/// The value of `key` in `cache`: from memory while young; past half its life still served,
/// while the one caller told so computes its successor in the background; missing, computed
/// once, callers that missed together waiting on `flight` for the first one's result instead
/// of each asking ClickHouse. `compute` makes the value of a key without borrowing the
/// request (it may run after the request has been answered).
pub async fn get_or_compute<K, V, E, F, Fut>(
    cache: &Arc<TtlCache<K, V>>,
    flight: &tokio::sync::Mutex<()>,
    key: K,
    compute: F,
) -> Result<Arc<V>, E>
where
    K: Eq + Hash + Clone + Send + Sync + 'static,
    V: Send + Sync + 'static,
    E: std::fmt::Display + Send + 'static,
    F: Fn(K) -> Fut,
    Fut: std::future::Future<Output = Result<V, E>> + Send + 'static,
{
    match cache.lookup(&key) {
        Cached::Fresh(v) => Ok(v),
        Cached::Refresh(v) => {
            let (cache, next) = (cache.clone(), compute(key.clone()));
            tokio::spawn(async move {
                match next.await {
                    Ok(fresh) => cache.put(key, Arc::new(fresh)),
                    // The entry expires at its ttl and the next request computes it.
                    Err(e) => tracing::warn!(error = %e, "refreshing a cached report ahead failed"),
                }
            });
            Ok(v)
        }
        Cached::Miss => {
            let _flight = flight.lock().await;
            if let Some(v) = cache.get(&key) {
                return Ok(v);
            }
            let v = Arc::new(compute(key.clone()).await?);
            cache.put(key, v.clone());
            Ok(v)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_value_is_served_from_memory_for_at_most_its_ttl() {
        let c: TtlCache<u32, i64> = TtlCache::new(Duration::from_millis(50));
        assert!(c.get(&1).is_none());
        c.put(1, Arc::new(7));
        assert_eq!(*c.get(&1).unwrap(), 7);
        std::thread::sleep(Duration::from_millis(60));
        assert!(c.get(&1).is_none(), "expired");
        assert_eq!(
            TtlCache::<u32, i64>::new(Duration::from_secs(60)).ttl,
            TtlCache::<u32, i64>::MAX_TTL,
            "never more than a second"
        );
        let off: TtlCache<u32, i64> = TtlCache::new(Duration::ZERO);
        off.put(1, Arc::new(1));
        assert!(off.get(&1).is_none(), "0 turns it off");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn callers_that_miss_together_compute_once_and_a_late_one_refreshes_ahead() {
        use std::sync::atomic::{AtomicU32, Ordering};
        let cache: Arc<TtlCache<u32, u32>> = Arc::new(TtlCache::new(Duration::from_millis(400)));
        let flight = tokio::sync::Mutex::new(());
        let runs = Arc::new(AtomicU32::new(0));
        let compute = |runs: Arc<AtomicU32>| {
            move |_k: u32| {
                let runs = runs.clone();
                async move {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    Ok::<u32, String>(runs.fetch_add(1, Ordering::SeqCst) + 1)
                }
            }
        };
        // Four callers miss at once: one computation, all get its value (1).
        let one = || get_or_compute(&cache, &flight, 1, compute(runs.clone()));
        let (a, b, c, d) = tokio::join!(one(), one(), one(), one());
        let all = [a, b, c, d];
        assert!(all.iter().all(|v| v.as_deref() == Ok(&1)), "{all:?}");
        assert_eq!(runs.load(Ordering::SeqCst), 1);
        // Past half its life: still 1 for this caller, while 2 is computed behind it.
        tokio::time::sleep(Duration::from_millis(220)).await;
        let late = get_or_compute(&cache, &flight, 1, compute(runs.clone())).await;
        assert_eq!(late.as_deref(), Ok(&1));
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert_eq!(cache.get(&1).as_deref(), Some(&2), "refreshed ahead");
        assert_eq!(runs.load(Ordering::SeqCst), 2);
    }

    #[test]
    fn one_caller_refreshes_ahead_and_nothing_is_served_past_the_ttl() {
        let c: TtlCache<u32, i64> = TtlCache::new(Duration::from_millis(200));
        assert!(matches!(c.lookup(&1), Cached::Miss));
        c.put(1, Arc::new(7));
        assert!(
            matches!(c.lookup(&1), Cached::Fresh(v) if *v == 7),
            "young: served as is"
        );
        std::thread::sleep(Duration::from_millis(110));
        assert!(
            matches!(c.lookup(&1), Cached::Refresh(v) if *v == 7),
            "past half its life: served, and this caller refreshes"
        );
        assert!(
            matches!(c.lookup(&1), Cached::Fresh(v) if *v == 7),
            "only one caller refreshes"
        );
        c.put(1, Arc::new(8));
        assert!(
            matches!(c.lookup(&1), Cached::Fresh(v) if *v == 8),
            "the successor is served"
        );
        std::thread::sleep(Duration::from_millis(110));
        assert!(matches!(c.lookup(&1), Cached::Refresh(_)));
        // The refresh never came (its query failed): at the ttl the entry is gone.
        std::thread::sleep(Duration::from_millis(100));
        assert!(
            matches!(c.lookup(&1), Cached::Miss),
            "never older than the ttl"
        );
    }

    #[test]
    fn the_cache_never_grows_past_its_bound() {
        let c: TtlCache<usize, usize> = TtlCache::new(Duration::from_secs(1));
        for k in 0..TtlCache::<usize, usize>::MAX_ENTRIES + 10 {
            c.put(k, Arc::new(k));
        }
        assert_eq!(
            c.entries.lock().unwrap().len(),
            TtlCache::<usize, usize>::MAX_ENTRIES
        );
    }
}
