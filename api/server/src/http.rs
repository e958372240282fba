//! The HTTP server loop around the warp routes, for the bounds warp's own server does not
//! offer: at most `api.max_connections` connections (one more is closed at once), a request's
//! headers must arrive within `api.header_timeout_ms` (a client that sends them a byte at a
//! time is cut off), and bodies within `api.body_timeout_ms` (see `api_edge::body`).
//!
//! The peer's address reaches the routes in the [`PEER_HEADER`] header, set here on every
//! request (a value a client sent is replaced), because warp's own way of passing it exists
//! only inside its server.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto::Builder;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tower_service::Service;

/// The request header carrying the TCP peer's address to the routes (the edge reads it).
pub use api_edge::PEER_HEADER;

#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub max_connections: usize,
    pub header_timeout: Duration,
    /// How long open connections may finish their requests after a shutdown signal.
    pub drain: Duration,
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
        let Ok(slot) = slots.clone().try_acquire_owned() else {
            tracing::warn!(%peer, limit = limits.max_connections, "connection limit reached; connection closed");
            drop(stream);
            continue;
        };
        let service = service.clone();
        let handler =
            hyper::service::service_fn(move |mut req: hyper::Request<hyper::body::Incoming>| {
                req.headers_mut().insert(PEER_HEADER, peer_value(peer));
                let mut service = service.clone();
                async move { service.call(req).await }
            });
        let mut builder = Builder::new(TokioExecutor::new());
        builder
            .http1()
            .timer(TokioTimer::new())
            .header_read_timeout(limits.header_timeout);
        let conn = builder
            .serve_connection_with_upgrades(TokioIo::new(stream), handler)
            .into_owned();
        let conn = graceful.watch(conn);
        tokio::spawn(async move {
            let _slot = slot;
            if let Err(e) = conn.await {
                tracing::debug!(%peer, error = %e, "connection ended with an error");
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

fn peer_value(peer: SocketAddr) -> hyper::header::HeaderValue {
    hyper::header::HeaderValue::from_str(&peer.to_string())
        .unwrap_or_else(|_| hyper::header::HeaderValue::from_static("unknown"))
}
