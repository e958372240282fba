//! The HTTP server loop around the warp routes, for the bounds warp's own server does not
//! offer: the connection table of [`crate::conns`] (at most `api.max_connections` open, and
//! `api.max_connections_per_address` per address, the idle longest giving way to a new one; a
//! first request within `api.header_timeout_ms`; idle ones closed after
//! `api.idle_timeout_ms`), a request's headers within `api.header_timeout_ms` (a client that
//! sends them a byte at a time is cut off), and bodies within `api.body_timeout_ms` (see
//! `api_edge::body`).
//!
//! The peer's address reaches the routes in the [`PEER_HEADER`] header, set here on every
//! request (a value a client sent is replaced), because warp's own way of passing it exists
//! only inside its server.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto::Builder;
use prometheus::IntCounterVec;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tower_service::Service;

use crate::conns::{Bounds, Conn, InFlight, Table};

/// The request header carrying the TCP peer's address to the routes (the edge reads it).
pub use api_edge::PEER_HEADER;

#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub max_connections: usize,
    pub max_connections_per_address: usize,
    pub header_timeout: Duration,
    pub idle_timeout: Duration,
    /// How long open connections may finish their requests after a shutdown signal.
    pub drain: Duration,
}

/// Serves `routes` on `listener` until `shutdown`, then lets open connections finish.
/// `closed` counts the connections the server closed, by [`crate::conns::Closed::label`].
pub async fn serve<F>(
    listener: TcpListener,
    routes: F,
    limits: Limits,
    closed: IntCounterVec,
    shutdown: impl Future<Output = ()>,
) where
    F: warp::Filter + Clone + Send + Sync + 'static,
    F::Extract: warp::Reply,
{
    let service = warp::service(routes);
    let table = Table::new(Bounds {
        max_total: limits.max_connections,
        max_per_address: limits.max_connections_per_address,
        first_request: limits.header_timeout,
        idle: limits.idle_timeout,
    });
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
        let admitted = match table.admit(peer.ip(), tokio::time::Instant::now()) {
            Ok((admitted, evicted)) => {
                if let Some(why) = evicted {
                    closed.with_label_values(&[why.label()]).inc();
                }
                admitted
            }
            Err(why) => {
                // Every connection that could give way is busy: this one waits for nothing.
                closed.with_label_values(&[why.label()]).inc();
                tracing::debug!(%peer, open = table.len(), "no connection could give way; connection closed");
                drop(stream);
                continue;
            }
        };
        let conn = admitted.conn.clone();
        let service = service.clone();
        let on_request = conn.clone();
        let handler =
            hyper::service::service_fn(move |mut req: hyper::Request<hyper::body::Incoming>| {
                let busy = on_request.begin();
                req.headers_mut().insert(PEER_HEADER, peer_value(peer));
                let mut service = service.clone();
                async move {
                    let res = service.call(req).await?;
                    // Busy until the response body is sent (or dropped), not just its headers.
                    Ok::<_, std::convert::Infallible>(res.map(|body| Tracked { body, _busy: busy }))
                }
            });
        let mut builder = Builder::new(TokioExecutor::new());
        builder
            .http1()
            .timer(TokioTimer::new())
            .header_read_timeout(limits.header_timeout);
        let io = Watched {
            stream,
            conn: conn.clone(),
        };
        let served = builder
            .serve_connection_with_upgrades(TokioIo::new(io), handler)
            .into_owned();
        let served = graceful.watch(served);
        let closed = closed.clone();
        let bounds = *table.bounds();
        tokio::spawn(async move {
            let _place = admitted;
            tokio::pin!(served);
            loop {
                // Busy: no deadline until its last request ends (which tells this task); idle:
                // its deadline, looked at again when it comes (a byte since moves it on).
                let deadline = conn.deadline(&bounds);
                let due = async {
                    match deadline {
                        Some((at, _)) => tokio::time::sleep_until(at).await,
                        None => conn.became_idle().await,
                    }
                };
                tokio::select! {
                    ended = &mut served => {
                        if let Err(e) = ended {
                            tracing::debug!(%peer, error = %e, "connection ended with an error");
                        }
                        return;
                    }
                    // Its place was given to a new connection (the table counts that one).
                    _ = conn.evicted() => return,
                    _ = due => {
                        if let Some((at, why)) = conn.deadline(&bounds) {
                            if tokio::time::Instant::now() >= at {
                                closed.with_label_values(&[why.label()]).inc();
                                tracing::debug!(%peer, reason = why.label(), "idle connection closed");
                                return;
                            }
                        }
                    }
                }
            }
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

/// A response body that keeps its connection busy until it is sent or dropped.
struct Tracked<B> {
    body: B,
    _busy: InFlight,
}

impl<B: hyper::body::Body + Unpin> hyper::body::Body for Tracked<B> {
    type Data = B::Data;
    type Error = B::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<hyper::body::Frame<Self::Data>, Self::Error>>> {
        Pin::new(&mut self.body).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> hyper::body::SizeHint {
        self.body.size_hint()
    }
}

/// The socket, telling its connection's entry of every byte in or out.
struct Watched {
    stream: TcpStream,
    conn: Arc<Conn>,
}

impl AsyncRead for Watched {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.stream).poll_read(cx, buf);
        if buf.filled().len() > before {
            self.conn.touch();
        }
        polled
    }
}

impl AsyncWrite for Watched {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<io::Result<usize>> {
        let polled = Pin::new(&mut self.stream).poll_write(cx, data);
        if matches!(polled, Poll::Ready(Ok(n)) if n > 0) {
            self.conn.touch();
        }
        polled
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let polled = Pin::new(&mut self.stream).poll_write_vectored(cx, bufs);
        if matches!(polled, Poll::Ready(Ok(n)) if n > 0) {
            self.conn.touch();
        }
        polled
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }
}

fn peer_value(peer: SocketAddr) -> hyper::header::HeaderValue {
    hyper::header::HeaderValue::from_str(&peer.to_string())
        .unwrap_or_else(|_| hyper::header::HeaderValue::from_static("unknown"))
}
