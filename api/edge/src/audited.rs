//! A reply's metrics and audit record.
//!
//! A handler that knows its caller wraps its response with [`audited`]: metrics are counted
//! at once, and the audit row rides on the response as an extension. [`around`], the last
//! step of every request, adds the client address and records it, or, for a request no
//! handler saw (no valid key, a rate limit, a body limit, an unknown route), audits the
//! refusal as `api_core::audit` says. So every reply passes one place, and no row is written
//! twice.

use std::time::Instant;

use api_core::audit::AuditRow;
use api_core::auth::Principal;
use api_core::state::AppState;
use warp::filters::BoxedFilter;
use warp::reply::Response;
use warp::Filter;

use crate::extract::{peer, query, state, State};

/// A keyed response (JSON, a file, a signed-in page, a redirect) with its metrics and its
/// audit record as the principal's. The record is written by [`around`], which knows the
/// client address.
#[allow(clippy::too_many_arguments)]
pub fn audited(
    s: &AppState,
    mut resp: Response,
    who: &Principal,
    method: &str,
    route: &str,
    path: &str,
    q: &str,
    started: Instant,
    rows: u64,
) -> Response {
    let status = resp.status().as_u16();
    let elapsed = started.elapsed();
    s.metrics
        .requests
        .with_label_values(&[route, &status.to_string()])
        .inc();
    s.metrics
        .latency
        .with_label_values(&[route])
        .observe(elapsed.as_secs_f64());
    resp.extensions_mut().insert(PendingAudit(AuditRow {
        at: now_secs(),
        key_id: who.key_id.clone(),
        role: who.role.as_str().into(),
        method: method.into(),
        path: path.into(),
        query: api_core::audit::truncated(q),
        status,
        rows,
        latency_ms: u32::try_from(elapsed.as_millis()).unwrap_or(u32::MAX),
        client: String::new(),
    }));
    resp
}

/// Now, in whole seconds since the epoch, by the wall clock: keys, sessions and audit rows
/// are stamped with real time even when the reporting clock is set to another day (the CLI
/// issues keys by the same clock).
pub fn now_secs() -> u32 {
    schemas::clock::wall_secs()
}

/// A handler's audit record, carried on its response to [`around`].
#[derive(Clone)]
struct PendingAudit(AuditRow);

/// Moves the audit record of `from` onto `to` (a reply re-encoded after it was counted).
pub fn carry_audit(from: &mut Response, to: &mut Response) {
    if let Some(pending) = from.extensions_mut().remove::<PendingAudit>() {
        to.extensions_mut().insert(pending);
    }
}

/// Audits what no handler did: requests refused before reaching one (no valid key, rate
/// limits, body limits, unknown routes). See `audit` for what is kept.
#[allow(clippy::too_many_arguments)]
fn audit_refusal(
    s: &AppState,
    method: &str,
    path: &str,
    q: &str,
    token: Option<&str>,
    client: &str,
    status: u16,
) {
    if !matches!(status, 401 | 404 | 405 | 413 | 429) {
        return;
    }
    let now = now_secs();
    match token.and_then(|t| s.keys.held(t)) {
        Some(p) => s.audit.record(AuditRow {
            at: now,
            key_id: p.key_id,
            role: p.role.as_str().into(),
            method: method.into(),
            path: path.into(),
            query: api_core::audit::truncated(q),
            status,
            rows: 0,
            latency_ms: 0,
            client: client.to_owned(),
        }),
        None => {
            for row in s.refusals.count(client, status, now) {
                s.audit.record(row);
            }
        }
    }
}

/// Every reply passes here, after `recover`: a handler's audit record gets the client
/// address and is recorded; a refusal no handler saw is audited. A 405 lists in `Allow` what
/// the path does answer, as `allowed` (the route table) says (RFC 9110). A reply to a request
/// that carried credentials (a key, or a session cookie) is `Cache-Control: no-store`: what a
/// signed-in page or a keyed download shows is never kept by a browser or a proxy (a reply
/// that sets its own, a hashed asset, keeps it). A reply over TLS tells the browser to come
/// back over TLS only (`Strict-Transport-Security`, a year).
pub fn around(
    s: State,
    app: BoxedFilter<(Response,)>,
    allowed: fn(&str) -> Vec<String>,
) -> BoxedFilter<(Response,)> {
    warp::method()
        .and(warp::path::full())
        .and(query())
        .and(warp::header::optional::<String>("authorization"))
        .and(warp::cookie::optional::<String>(api_core::sessions::COOKIE))
        .and(warp::cookie::optional::<String>(
            api_core::sessions::HOST_COOKIE,
        ))
        .and(peer())
        .and(warp::header::optional::<String>("x-forwarded-for"))
        .and(warp::header::optional::<String>("x-forwarded-proto"))
        .and(state(s))
        .and(app)
        .map(
            move |method: warp::http::Method,
                  path: warp::path::FullPath,
                  q: String,
                  auth: Option<String>,
                  session: Option<String>,
                  host_session: Option<String>,
                  remote: Option<std::net::SocketAddr>,
                  xff: Option<String>,
                  xfp: Option<String>,
                  s: State,
                  mut resp: Response| {
                let client = s.guards.client(remote, xff.as_deref());
                if s.guards.over_tls(remote, xfp.as_deref()) {
                    resp.headers_mut().insert(
                        warp::http::header::STRICT_TRANSPORT_SECURITY,
                        warp::http::HeaderValue::from_static("max-age=31536000"),
                    );
                }
                let session = session.or(host_session);
                // Unless the reply says otherwise (a hashed asset is the same for everyone).
                let said = resp
                    .headers()
                    .contains_key(warp::http::header::CACHE_CONTROL);
                if (auth.is_some() || session.is_some()) && !said {
                    resp.headers_mut().insert(
                        warp::http::header::CACHE_CONTROL,
                        warp::http::HeaderValue::from_static("no-store"),
                    );
                }
                if resp.status() == warp::http::StatusCode::METHOD_NOT_ALLOWED {
                    // RFC 9110: a 405 lists what the path does answer (from the route table).
                    let allow = allowed(path.as_str()).join(", ");
                    if let Ok(v) = allow.parse() {
                        resp.headers_mut().insert("allow", v);
                    }
                }
                match resp.extensions_mut().remove::<PendingAudit>() {
                    Some(PendingAudit(mut row)) => {
                        row.client = client;
                        s.audit.record(row);
                    }
                    None => {
                        let token = auth
                            .as_deref()
                            .and_then(|h| h.strip_prefix("Bearer "))
                            .map(str::trim);
                        audit_refusal(
                            &s,
                            method.as_str(),
                            path.as_str(),
                            &q,
                            token,
                            &client,
                            resp.status().as_u16(),
                        );
                    }
                }
                resp
            },
        )
        .boxed()
}
