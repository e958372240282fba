//! The HTTP server loop around the warp routes, for the bounds warp's own server does not
//! offer, so that connection slots cannot be hoarded with no key and no request:
//! - a connection must send its first request's headers within `api.header_timeout_ms` (a
//!   silent socket, or one sending a byte at a time, is cut off), and one kept alive is closed
//!   after `api.idle_timeout_ms` with no request and no bytes either way;
//! - at most `api.max_connections` connections, and `api.max_connections_per_client` from one
//!   address (trusted proxies aside): one more takes the place of the connection idle
//!   longest, and is refused only when every one is busy;
//! - bodies must arrive within `api.body_timeout_ms` (see `api_edge::body`).
//!
//! The peer's address reaches the routes in the [`PEER_HEADER`] header, set here on every
//! request (a value a client sent is replaced), because warp's own way of passing it exists
//! only inside its server.

use std::collections::HashMap;
use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto::Builder;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, Semaphore};
use tower_service::Service;

/// The request header carrying the TCP peer's address to the routes (the edge reads it).
pub use api_edge::PEER_HEADER;

#[derive(Debug, Clone)]
pub struct Limits {
    pub max_connections: usize,
    /// Connections from one address (trusted proxies aside).
    pub max_per_client: usize,
    pub header_timeout: Duration,
    /// A connection idle this long between requests is closed.
    pub idle_timeout: Duration,
    /// Addresses exempt from the per-address cap (`api.trusted_proxies`).
    pub trusted: Vec<IpAddr>,
    /// How long open connections may finish their requests after a shutdown signal.
    pub drain: Duration,
}

/// One open connection as the accept loop sees it.
struct Open {
    peer: IpAddr,
    /// When bytes last went either way (ms on the server's monotonic clock).
    last: Arc<AtomicU64>,
    /// Requests being answered.
    busy: Arc<AtomicUsize>,
    close: Arc<Notify>,
}

impl Open {
    fn idle(&self) -> bool {
        self.busy.load(Ordering::Acquire) == 0
    }
}

/// Every open connection: which are idle, to close the quietest when slots run out.
#[derive(Default)]
struct Registry {
    open: Mutex<HashMap<u64, Open>>,
    next: AtomicU64,
}

impl Registry {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<u64, Open>> {
        self.open
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Closes the idle connection (of `peer`, or of anyone) that has been quiet longest;
    /// `false` when every one is busy.
    fn evict_idle(&self, peer: Option<IpAddr>) -> bool {
        let open = self.lock();
        let oldest = open
            .values()
            .filter(|c| c.idle() && peer.is_none_or(|p| c.peer == p))
            .min_by_key(|c| c.last.load(Ordering::Acquire));
        match oldest {
            Some(c) => {
                c.close.notify_one();
                true
            }
            None => false,
        }
    }

    fn from(&self, peer: IpAddr) -> usize {
        self.lock().values().filter(|c| c.peer == peer).count()
    }
}

/// A socket that records when bytes last went either way: a connection streaming a large
/// reply, or receiving a slow upload, is not idle.
struct Tracked {
    inner: TcpStream,
    last: Arc<AtomicU64>,
    epoch: Instant,
}

impl Tracked {
    fn touch(&self) {
        self.last
            .store(self.epoch.elapsed().as_millis() as u64, Ordering::Release);
    }
}

impl AsyncRead for Tracked {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let r = Pin::new(&mut self.inner).poll_read(cx, buf);
        if buf.filled().len() > before {
            self.touch();
        }
        r
    }
}

impl AsyncWrite for Tracked {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        let r = Pin::new(&mut self.inner).poll_write(cx, data);
        if matches!(r, Poll::Ready(Ok(n)) if n > 0) {
            self.touch();
        }
        r
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// Serves `routes` on `listener` until `shutdown`, then lets open connections finish.
pub async fn serve<F>(
    listener: TcpListener,
    routes: F,
    limits: Limits,
    shutdown: impl Future<Output = ()>,
) where
    F: warp::Filter + Clone + Send + Sync + 'static,
    F::Extract: warp::Reply,
{
    let service = warp::service(routes);
    let slots = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let registry = Arc::new(Registry::default());
    let epoch = Instant::now();
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            _ = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    // Out of file descriptors and the like: wait, do not spin.
                    tracing::warn!(error = %e, "accepting a connection failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
        };
        // Idle sockets cannot hoard the slots: when one address has its share, or all are
        // taken, the idle connection quiet longest makes room; only busy ones refuse.
        let ip = peer.ip();
        if !limits.trusted.contains(&ip)
            && registry.from(ip) >= limits.max_per_client.max(1)
            && !registry.evict_idle(Some(ip))
        {
            tracing::warn!(%peer, limit = limits.max_per_client, "connection limit per address reached and every connection busy; connection closed");
            drop(stream);
            continue;
        }
        let slot = match slots.clone().try_acquire_owned() {
            Ok(slot) => slot,
            Err(_) if registry.evict_idle(None) => {
                match tokio::time::timeout(Duration::from_secs(1), slots.clone().acquire_owned())
                    .await
                {
                    Ok(Ok(slot)) => slot,
                    _ => continue,
                }
            }
            Err(_) => {
                tracing::warn!(%peer, limit = limits.max_connections, "connection limit reached and every connection busy; connection closed");
                drop(stream);
                continue;
            }
        };
        let id = registry.next.fetch_add(1, Ordering::Relaxed);
        let last = Arc::new(AtomicU64::new(epoch.elapsed().as_millis() as u64));
        let (busy, served, close) = (
            Arc::new(AtomicUsize::new(0)),
            Arc::new(AtomicUsize::new(0)),
            Arc::new(Notify::new()),
        );
        registry.lock().insert(
            id,
            Open {
                peer: ip,
                last: last.clone(),
                busy: busy.clone(),
                close: close.clone(),
            },
        );
        let service = service.clone();
        let (in_flight, done) = (busy.clone(), served.clone());
        let handler =
            hyper::service::service_fn(move |mut req: hyper::Request<hyper::body::Incoming>| {
                req.headers_mut().insert(PEER_HEADER, peer_value(peer));
                let mut service = service.clone();
                let (in_flight, done) = (in_flight.clone(), done.clone());
                in_flight.fetch_add(1, Ordering::AcqRel);
                async move {
                    let reply = service.call(req).await;
                    in_flight.fetch_sub(1, Ordering::AcqRel);
                    done.fetch_add(1, Ordering::AcqRel);
                    reply
                }
            });
        let mut builder = Builder::new(TokioExecutor::new());
        builder
            .http1()
            .timer(TokioTimer::new())
            .header_read_timeout(limits.header_timeout);
        let io = Tracked {
            inner: stream,
            last: last.clone(),
            epoch,
        };
        let conn = builder
            .serve_connection_with_upgrades(TokioIo::new(io), handler)
            .into_owned();
        let conn = graceful.watch(conn);
        let (registry, limits) = (registry.clone(), limits.clone());
        tokio::spawn(async move {
            let _slot = slot;
            tokio::pin!(conn);
            loop {
                // Before its first request a connection has the header deadline; between
                // requests, the idle one. Bytes either way or a request in progress reset it.
                let allowed = if served.load(Ordering::Acquire) == 0 {
                    limits.header_timeout
                } else {
                    limits.idle_timeout
                };
                let quiet = Duration::from_millis(
                    (epoch.elapsed().as_millis() as u64)
                        .saturating_sub(last.load(Ordering::Acquire)),
                );
                let idle = busy.load(Ordering::Acquire) == 0;
                if idle && quiet >= allowed {
                    tracing::debug!(%peer, quiet_ms = quiet.as_millis() as u64, "idle connection closed");
                    break;
                }
                // Looked at again within the shorter deadline at least: a request finishing
                // moves a connection from the header deadline to the idle one.
                let every = limits.header_timeout.min(limits.idle_timeout);
                let wait = if idle {
                    allowed.saturating_sub(quiet).min(every)
                } else {
                    every
                }
                .max(Duration::from_millis(50));
                tokio::select! {
                    r = &mut conn => {
                        if let Err(e) = r {
                            tracing::debug!(%peer, error = %e, "connection ended with an error");
                        }
                        break;
                    }
                    _ = close.notified() => {
                        if busy.load(Ordering::Acquire) == 0 {
                            tracing::debug!(%peer, "idle connection closed to make room");
                            break;
                        }
                    }
                    _ = tokio::time::sleep(wait) => {}
                }
            }
            registry.lock().remove(&id);
        });
    }
    drop(listener);
    if tokio::time::timeout(limits.drain, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!(
            drain_ms = limits.drain.as_millis() as u64,
            "connections still open after the drain time; closing"
        );
    }
}

fn peer_value(peer: SocketAddr) -> hyper::header::HeaderValue {
    hyper::header::HeaderValue::from_str(&peer.to_string())
        .unwrap_or_else(|_| hyper::header::HeaderValue::from_static("unknown"))
}

#[cfg(test)]
mod tests {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use warp::Filter;

    use super::*;

    async fn server(limits: Limits) -> SocketAddr {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let slow = warp::path("slow").then(|| async {
            tokio::time::sleep(Duration::from_millis(1_500)).await;
            "late"
        });
        let routes = warp::path("healthz").map(|| "ok").or(slow);
        tokio::spawn(serve(listener, routes, limits, std::future::pending()));
        addr
    }

    fn limits(header_ms: u64, idle_ms: u64) -> Limits {
        Limits {
            max_connections: 1024,
            max_per_client: 256,
            header_timeout: Duration::from_millis(header_ms),
            idle_timeout: Duration::from_millis(idle_ms),
            trusted: Vec::new(),
            drain: Duration::from_secs(1),
        }
    }

    /// One request on a connection kept open; the reply's status line.
    async fn get(stream: &mut TcpStream) -> String {
        stream
            .write_all(b"GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n")
            .await
            .unwrap();
        let mut buf = vec![0u8; 1024];
        let n = tokio::time::timeout(Duration::from_secs(5), stream.read(&mut buf))
            .await
            .expect("a reply in time")
            .unwrap();
        String::from_utf8_lossy(&buf[..n])
            .lines()
            .next()
            .unwrap_or_default()
            .to_owned()
    }

    /// Whether the server has closed `stream` (end of file or a reset) within `within`; what
    /// it still sends before (the rest of a reply, a refusal) is read and dropped.
    async fn closed(stream: &mut TcpStream, within: Duration) -> bool {
        let mut buf = [0u8; 1024];
        let end = tokio::time::Instant::now() + within;
        loop {
            match tokio::time::timeout_at(end, stream.read(&mut buf)).await {
                Ok(Ok(0) | Err(_)) => return true,
                Ok(Ok(_)) => continue,
                Err(_) => return false,
            }
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn idle_sockets_cannot_hold_the_server_and_are_closed_in_time() {
        let addr = server(limits(1_000, 1_000)).await;
        // 1,100 sockets that send nothing and 100 that open HTTP/2 without TLS and stop.
        let mut idle = Vec::new();
        for _ in 0..1_100 {
            idle.push(TcpStream::connect(addr).await.unwrap());
        }
        for _ in 0..100 {
            let mut s = TcpStream::connect(addr).await.unwrap();
            s.write_all(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n")
                .await
                .unwrap();
            idle.push(s);
        }
        // Meanwhile the server answers, from the same address.
        for _ in 0..5 {
            let mut fresh = TcpStream::connect(addr).await.unwrap();
            assert_eq!(get(&mut fresh).await, "HTTP/1.1 200 OK");
        }
        // Every idle one is closed by the server within its deadline (most at once, to make
        // room; the rest when the header deadline passes).
        let started = Instant::now();
        for (n, s) in idle.iter_mut().enumerate() {
            let left = Duration::from_millis(3_000).saturating_sub(started.elapsed());
            assert!(closed(s, left).await, "idle socket {n} still open");
        }
        assert!(started.elapsed() < Duration::from_millis(3_000));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_kept_alive_connection_is_closed_when_idle_and_not_while_used() {
        let addr = server(limits(5_000, 400)).await;
        let mut s = TcpStream::connect(addr).await.unwrap();
        // Requests closer together than the idle deadline keep it open.
        for _ in 0..4 {
            assert_eq!(get(&mut s).await, "HTTP/1.1 200 OK");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        assert!(
            closed(&mut s, Duration::from_millis(1_500)).await,
            "closed after 400 ms idle"
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn one_more_takes_the_place_of_the_quietest_idle_one_and_is_refused_when_all_are_busy() {
        let mut l = limits(5_000, 5_000);
        l.max_per_client = 2;
        let addr = server(l).await;
        // Two connections whose headers are still coming: idle, so they make room.
        let mut a = TcpStream::connect(addr).await.unwrap();
        let mut b = TcpStream::connect(addr).await.unwrap();
        a.write_all(b"GET /healthz HTTP/1.1\r\n").await.unwrap();
        tokio::time::sleep(Duration::from_millis(50)).await;
        b.write_all(b"GET /healthz HTTP/1.1\r\n").await.unwrap();
        tokio::time::sleep(Duration::from_millis(50)).await;
        let mut c = TcpStream::connect(addr).await.unwrap();
        assert_eq!(get(&mut c).await, "HTTP/1.1 200 OK", "room was made");
        assert!(
            closed(&mut a, Duration::from_millis(500)).await,
            "the quietest made room"
        );
        drop((b, c));
        // Two requests being answered: busy, so one more is refused at once.
        tokio::time::sleep(Duration::from_millis(100)).await;
        let mut busy = Vec::new();
        for _ in 0..2 {
            let mut s = TcpStream::connect(addr).await.unwrap();
            s.write_all(b"GET /slow HTTP/1.1\r\nHost: t\r\n\r\n")
                .await
                .unwrap();
            busy.push(s);
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
        let mut refused = TcpStream::connect(addr).await.unwrap();
        assert!(
            closed(&mut refused, Duration::from_millis(500)).await,
            "refused while every connection of the address is busy"
        );
        let mut buf = vec![0u8; 256];
        let n = busy[0].read(&mut buf).await.unwrap();
        assert!(
            String::from_utf8_lossy(&buf[..n]).starts_with("HTTP/1.1 200 OK"),
            "the busy ones finish"
        );
    }
}
