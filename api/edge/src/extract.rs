//! Filters that extract what a handler needs: state, query, caller, body, peer. Each one
//! either yields its value or rejects with an [`ApiError`] (through [`crate::reject`]).

use std::convert::Infallible;
use std::sync::Arc;

use api_core::auth::Principal;
use api_core::error::ApiError;
use api_core::state::AppState;
use bytes::Bytes;
use warp::{Filter, Rejection};

use crate::reject;

/// The shared application state, as every filter and handler receives it.
pub type State = Arc<AppState>;

/// The header through which the server loop hands each request its TCP peer (set by the
/// composition root's accept loop on every request, overwriting anything a client sent).
pub const PEER_HEADER: &str = "x-ekino-peer";

pub fn state(s: State) -> impl Filter<Extract = (State,), Error = Infallible> + Clone {
    warp::any().map(move || s.clone())
}

/// The raw query string, empty when there is none.
pub fn query() -> impl Filter<Extract = (String,), Error = Infallible> + Clone {
    warp::query::raw().or(warp::any().map(String::new)).unify()
}

/// The caller of a protected route: a valid key within its rate limit, or a rejection.
pub fn principal(s: State) -> impl Filter<Extract = (Principal,), Error = Rejection> + Clone {
    warp::header::optional::<String>("authorization")
        .and(warp::method())
        .and(state(s))
        .and_then(
            |h: Option<String>, method: warp::http::Method, s: State| async move {
                let token = h
                    .as_deref()
                    .and_then(|v| v.strip_prefix("Bearer "))
                    .ok_or_else(|| reject(ApiError::Unauthorized))?;
                let p = s
                    .keys
                    .authenticate(token.trim(), Some(&s.app))
                    .await
                    .ok_or_else(|| reject(ApiError::Unauthorized))?;
                s.limiter.check(&p.key_id).map_err(|retry_after_secs| {
                    reject(ApiError::TooManyRequests { retry_after_secs })
                })?;
                // No change without its audit record: with the audit spool full, writes wait.
                if method != warp::http::Method::GET && s.spool.is_full() {
                    return Err(reject(ApiError::AuditFull));
                }
                Ok::<_, Rejection>(p)
            },
        )
}

/// A caller of a public route, within its address's rate limit (see `guards`).
pub fn public(s: State) -> impl Filter<Extract = (), Error = Rejection> + Clone {
    peer()
        .and(warp::header::optional::<String>("x-forwarded-for"))
        .and(state(s))
        .and_then(
            |remote: Option<std::net::SocketAddr>, xff: Option<String>, s: State| async move {
                let client = s.guards.client(remote, xff.as_deref());
                s.guards.admit_public(&client).map_err(reject)
            },
        )
        .untuple_one()
}

/// The address a request is counted against (`Guards::client`: the peer, or behind a trusted
/// proxy the right-most untrusted `X-Forwarded-For`).
pub fn client(s: State) -> impl Filter<Extract = (String,), Error = Rejection> + Clone {
    peer()
        .and(warp::header::optional::<String>("x-forwarded-for"))
        .and(state(s))
        .map(
            |remote: Option<std::net::SocketAddr>, xff: Option<String>, s: State| {
                s.guards.client(remote, xff.as_deref())
            },
        )
}

/// A request body of at most `limit` bytes that arrives within `timeout` (413 / 408).
pub fn body(
    limit: u64,
    timeout: std::time::Duration,
) -> impl Filter<Extract = (Bytes,), Error = Rejection> + Clone {
    warp::body::content_length_limit(limit)
        .and(warp::body::stream())
        .and_then(move |stream| collect_body(stream, limit, timeout))
}

async fn collect_body<S, B>(
    stream: S,
    limit: u64,
    timeout: std::time::Duration,
) -> Result<Bytes, Rejection>
where
    S: futures::Stream<Item = Result<B, warp::Error>>,
    B: bytes::Buf,
{
    use futures::TryStreamExt as _;
    let collect = async {
        let mut out = bytes::BytesMut::new();
        futures::pin_mut!(stream);
        while let Some(mut chunk) = stream
            .try_next()
            .await
            .map_err(|e| reject(ApiError::bad("body", e.to_string())))?
        {
            while chunk.has_remaining() {
                let part = chunk.chunk();
                out.extend_from_slice(part);
                let n = part.len();
                chunk.advance(n);
            }
            // A chunked body carries no length to check up front.
            if out.len() as u64 > limit {
                return Err(reject(ApiError::PayloadTooLarge));
            }
        }
        Ok(out.freeze())
    };
    tokio::time::timeout(timeout, collect)
        .await
        .map_err(|_| reject(ApiError::RequestTimeout))?
}

/// A request body not read yet: its length is checked against `limit` up front (a declared
/// `Content-Length`), its bytes only when [`LazyBody::read`] is called — so a form route can
/// look at the session first, and a visitor without one never has a byte of a body read
/// (nor holds the connection for `timeout` while trickling one).
pub struct LazyBody {
    stream: futures::stream::BoxStream<'static, Result<Bytes, warp::Error>>,
    limit: u64,
    timeout: std::time::Duration,
}

impl LazyBody {
    /// The whole body, with [`body`]'s limits and rejections (413 / 408 / 400).
    pub async fn read(self) -> Result<Bytes, Rejection> {
        collect_body(self.stream, self.limit, self.timeout).await
    }
}

/// [`body`], left unread: see [`LazyBody`].
pub fn lazy_body(
    limit: u64,
    timeout: std::time::Duration,
) -> impl Filter<Extract = (LazyBody,), Error = Rejection> + Clone {
    warp::body::content_length_limit(limit)
        .and(warp::body::stream())
        .map(move |stream| LazyBody {
            stream: boxed(stream),
            limit,
            timeout,
        })
}

fn boxed<S, B>(stream: S) -> futures::stream::BoxStream<'static, Result<Bytes, warp::Error>>
where
    S: futures::Stream<Item = Result<B, warp::Error>> + Send + 'static,
    B: bytes::Buf,
{
    use futures::{StreamExt as _, TryStreamExt as _};
    stream
        .map_ok(|mut b| b.copy_to_bytes(b.remaining()))
        .boxed()
}

/// The TCP peer: from the server loop ([`PEER_HEADER`]), else warp's (its test requests).
pub fn peer() -> impl Filter<Extract = (Option<std::net::SocketAddr>,), Error = Infallible> + Clone
{
    warp::header::optional::<std::net::SocketAddr>(PEER_HEADER)
        .or(warp::any().map(|| None))
        .unify()
        .and(warp::addr::remote())
        .map(
            |ours: Option<std::net::SocketAddr>, warps: Option<std::net::SocketAddr>| {
                ours.or(warps)
            },
        )
}
