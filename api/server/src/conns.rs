//! The open connections, and which one gives way when there is no room.
//!
//! # Why
//! A connection slot costs a client nothing to take: a socket that sends no byte, or an HTTP/2
//! connection that opens no stream, needs no key and makes no request, so no rate limit sees
//! it. Holding `api.max_connections` of them used to lock every client out.
//!
//! # Rules
//! - A connection is **busy** while one of its requests is in flight (from its headers until
//!   its response body is sent or dropped), else **idle** since its last byte in or out.
//! - A connection that has started no request within `api.header_timeout_ms` of its accept is
//!   closed (HTTP/1 and HTTP/2 alike: a trickle of bytes does not extend this). Once it has
//!   served one, it is closed after `api.idle_timeout_ms` idle.
//! - When a new connection would pass `api.max_connections`, or
//!   `api.max_connections_per_address` for its address, the connection idle longest (of that
//!   address, or of all) is closed to make room. Only when every such connection is busy is the
//!   new one closed at once. So idle sockets can delay nobody: a client that sends a request
//!   is served, whoever holds the rest of the slots.
//!
//! Closing an idle connection loses nothing: it has no request in flight, and an HTTP client
//! opens another (HTTP/1.1 §9.6, RFC 9113 §9.1).

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::Notify;
use tokio::time::Instant;

/// The bounds of the table (from `api.*` settings).
#[derive(Debug, Clone, Copy)]
pub struct Bounds {
    pub max_total: usize,
    pub max_per_address: usize,
    /// A connection must start its first request within this.
    pub first_request: Duration,
    /// A connection that served a request closes after this idle.
    pub idle: Duration,
}

/// Why a connection was closed by the server (a metric label: a fixed set).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Closed {
    /// Refused at accept: every connection that could give way is busy.
    Full,
    /// Closed to make room for a new one (it was the idle longest).
    Evicted,
    /// No request started within the header timeout.
    NoRequest,
    /// Idle past `api.idle_timeout_ms`.
    Idle,
}

impl Closed {
    pub fn label(self) -> &'static str {
        match self {
            Closed::Full => "full",
            Closed::Evicted => "evicted",
            Closed::NoRequest => "no_request",
            Closed::Idle => "idle",
        }
    }
}

/// One open connection as the table and its own task see it.
#[derive(Debug)]
pub struct Conn {
    id: u64,
    address: IpAddr,
    accepted: Instant,
    /// Milliseconds after `accepted` of the last byte in or out, or of the last request's end.
    last_active_ms: AtomicU64,
    in_flight: AtomicUsize,
    requests: AtomicU64,
    /// Told when the table closes this connection to make room.
    evict: Notify,
    /// Told when its last request in flight ends (its deadline starts then).
    idle: Notify,
}

impl Conn {
    /// A byte went in or out.
    pub fn touch(&self) {
        let ms = u64::try_from(self.accepted.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.last_active_ms.store(ms, Ordering::Relaxed);
    }

    /// A request's headers arrived; the returned guard ends it when dropped.
    pub fn begin(self: &Arc<Self>) -> InFlight {
        self.requests.fetch_add(1, Ordering::Relaxed);
        self.in_flight.fetch_add(1, Ordering::AcqRel);
        self.touch();
        InFlight(self.clone())
    }

    fn busy(&self) -> bool {
        self.in_flight.load(Ordering::Acquire) > 0
    }

    /// Since when it has been idle (its accept, for one that has served nothing).
    fn idle_since(&self) -> Instant {
        self.accepted + Duration::from_millis(self.last_active_ms.load(Ordering::Relaxed))
    }

    /// When it must close if nothing happens meanwhile, or `None` while it is busy.
    pub fn deadline(&self, bounds: &Bounds) -> Option<(Instant, Closed)> {
        if self.busy() {
            return None;
        }
        if self.requests.load(Ordering::Relaxed) == 0 {
            // From the accept, not the last byte: a trickle does not buy time.
            return Some((self.accepted + bounds.first_request, Closed::NoRequest));
        }
        Some((self.idle_since() + bounds.idle, Closed::Idle))
    }

    /// Resolves when the table has closed this connection to make room.
    pub async fn evicted(&self) {
        self.evict.notified().await;
    }

    /// Resolves when its last request in flight has ended (at once if that happened since the
    /// last call: the notice is kept).
    pub async fn became_idle(&self) {
        self.idle.notified().await;
    }
}

/// A request in flight; dropping it ends the request (with its response body).
#[derive(Debug)]
pub struct InFlight(Arc<Conn>);

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.touch();
        if self.0.in_flight.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.0.idle.notify_one();
        }
    }
}

#[derive(Debug, Default)]
struct Inner {
    next_id: u64,
    open: HashMap<u64, Arc<Conn>>,
    per_address: HashMap<IpAddr, usize>,
}

impl Inner {
    fn remove(&mut self, id: u64) -> Option<Arc<Conn>> {
        let conn = self.open.remove(&id)?;
        if let Some(n) = self.per_address.get_mut(&conn.address) {
            *n -= 1;
            if *n == 0 {
                self.per_address.remove(&conn.address);
            }
        }
        Some(conn)
    }

    /// The idle connection idle longest, of `address` or of all.
    fn longest_idle(&self, address: Option<IpAddr>) -> Option<u64> {
        self.open
            .values()
            .filter(|c| address.is_none_or(|a| c.address == a) && !c.busy())
            .min_by_key(|c| (c.idle_since(), c.id))
            .map(|c| c.id)
    }
}

/// Every open connection of one server.
#[derive(Debug)]
pub struct Table {
    bounds: Bounds,
    inner: Mutex<Inner>,
}

/// A connection's place in the table; leaving frees it.
#[derive(Debug)]
pub struct Admitted {
    table: Arc<Table>,
    pub conn: Arc<Conn>,
}

impl Drop for Admitted {
    fn drop(&mut self) {
        self.table.lock().remove(self.conn.id);
    }
}

impl Table {
    pub fn new(bounds: Bounds) -> Arc<Self> {
        Arc::new(Self {
            bounds: Bounds {
                max_total: bounds.max_total.max(1),
                max_per_address: bounds.max_per_address.max(1),
                ..bounds
            },
            inner: Mutex::new(Inner::default()),
        })
    }

    pub fn bounds(&self) -> &Bounds {
        &self.bounds
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // A panic while holding the lock leaves the counts as they were: still usable.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Makes room for a connection from `address` accepted at `now`: `Ok` with the evicted
    /// connection if one had to give way, `Err(Closed::Full)` when none could.
    pub fn admit(
        self: &Arc<Self>,
        address: IpAddr,
        now: Instant,
    ) -> Result<(Admitted, Option<Closed>), Closed> {
        let mut inner = self.lock();
        let mut evicted = None;
        let of_address = inner.per_address.get(&address).copied().unwrap_or(0);
        let scope = if of_address >= self.bounds.max_per_address {
            Some(Some(address))
        } else if inner.open.len() >= self.bounds.max_total {
            Some(None)
        } else {
            None
        };
        if let Some(scope) = scope {
            let victim = inner.longest_idle(scope).ok_or(Closed::Full)?;
            if let Some(c) = inner.remove(victim) {
                c.evict.notify_one();
                evicted = Some(Closed::Evicted);
            }
        }
        inner.next_id += 1;
        let conn = Arc::new(Conn {
            id: inner.next_id,
            address,
            accepted: now,
            last_active_ms: AtomicU64::new(0),
            in_flight: AtomicUsize::new(0),
            requests: AtomicU64::new(0),
            evict: Notify::new(),
            idle: Notify::new(),
        });
        inner.open.insert(conn.id, conn.clone());
        *inner.per_address.entry(address).or_default() += 1;
        Ok((
            Admitted {
                table: self.clone(),
                conn,
            },
            evicted,
        ))
    }

    /// How many connections are open (for tests and logs).
    pub fn len(&self) -> usize {
        self.lock().open.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bounds(max_total: usize, max_per_address: usize) -> Bounds {
        Bounds {
            max_total,
            max_per_address,
            first_request: Duration::from_secs(10),
            idle: Duration::from_secs(60),
        }
    }

    fn ip(last: u8) -> IpAddr {
        IpAddr::from([10, 0, 0, last])
    }

    #[tokio::test(start_paused = true)]
    async fn a_full_table_closes_the_connection_idle_longest_and_never_a_busy_one() {
        let table = Table::new(bounds(3, 3));
        let now = Instant::now();
        let (a, _) = table.admit(ip(1), now).unwrap();
        tokio::time::advance(Duration::from_secs(1)).await;
        let (b, _) = table.admit(ip(2), Instant::now()).unwrap();
        let (c, _) = table.admit(ip(3), Instant::now()).unwrap();
        // `a` is the oldest but busy: `b` (idle since its accept, before `c`) gives way.
        let _req = a.conn.begin();
        let (d, why) = table.admit(ip(4), Instant::now()).unwrap();
        assert_eq!(why, Some(Closed::Evicted));
        assert_eq!(table.len(), 3);
        tokio::time::timeout(Duration::from_millis(1), b.conn.evicted())
            .await
            .expect("b was told to close");
        drop(b);
        assert_eq!(table.len(), 3, "b's place was already given to d");
        // `c` and `d` busy too: nobody can give way.
        let _c = c.conn.begin();
        let _d = d.conn.begin();
        assert_eq!(
            table.admit(ip(5), Instant::now()).unwrap_err(),
            Closed::Full
        );
    }

    #[tokio::test(start_paused = true)]
    async fn an_address_at_its_cap_gives_way_among_its_own() {
        let table = Table::new(bounds(10, 2));
        let (other, _) = table.admit(ip(9), Instant::now()).unwrap();
        tokio::time::advance(Duration::from_secs(1)).await;
        let (first, _) = table.admit(ip(1), Instant::now()).unwrap();
        tokio::time::advance(Duration::from_secs(1)).await;
        let (second, _) = table.admit(ip(1), Instant::now()).unwrap();
        let (_third, why) = table.admit(ip(1), Instant::now()).unwrap();
        assert_eq!(why, Some(Closed::Evicted));
        // The other address's connection, idle longer, was not touched.
        assert!(
            tokio::time::timeout(Duration::from_millis(1), other.conn.evicted())
                .await
                .is_err()
        );
        tokio::time::timeout(Duration::from_millis(1), first.conn.evicted())
            .await
            .expect("the address's longest idle gave way");
        assert!(
            tokio::time::timeout(Duration::from_millis(1), second.conn.evicted())
                .await
                .is_err()
        );
    }

    #[tokio::test(start_paused = true)]
    async fn deadlines_count_from_the_accept_then_from_the_last_activity() {
        let b = bounds(10, 10);
        let table = Table::new(b);
        let start = Instant::now();
        let (a, _) = table.admit(ip(1), start).unwrap();
        tokio::time::advance(Duration::from_secs(3)).await;
        a.conn.touch(); // a byte of a preface: no more time
        assert_eq!(
            a.conn.deadline(&b),
            Some((start + Duration::from_secs(10), Closed::NoRequest))
        );
        let req = a.conn.begin();
        assert_eq!(a.conn.deadline(&b), None, "busy: no deadline");
        tokio::time::advance(Duration::from_secs(5)).await;
        // Polled once, without moving the paused clock.
        let told = |c: &Arc<Conn>| {
            let c = c.clone();
            async move {
                tokio::select! {
                    biased;
                    _ = c.became_idle() => true,
                    _ = std::future::ready(()) => false,
                }
            }
        };
        assert!(!told(&a.conn).await, "still busy");
        drop(req);
        assert!(told(&a.conn).await, "told when its request ended");
        assert_eq!(
            a.conn.deadline(&b),
            Some((start + Duration::from_secs(8 + 60), Closed::Idle))
        );
    }
}
