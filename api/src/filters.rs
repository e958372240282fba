//! Warp wiring: paths, methods, query strings, bodies, credentials, rate limit, audit and
//! metrics around the plain handlers. Errors go through `ApiError` and `recover` only.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;
use serde::Serialize;
use warp::filters::BoxedFilter;
use warp::reply::Response;
use warp::{Filter, Rejection, Reply};

use crate::audit::AuditRow;
use crate::auth::Principal;
use crate::error::{recover, ApiError};
use crate::handlers;
use crate::params;
use crate::params::Seg;
use crate::state::AppState;

pub(crate) type State = Arc<AppState>;

pub(crate) fn state(s: State) -> impl Filter<Extract = (State,), Error = Infallible> + Clone {
    warp::any().map(move || s.clone())
}

/// The raw query string, empty when there is none.
pub(crate) fn query() -> impl Filter<Extract = (String,), Error = Infallible> + Clone {
    warp::query::raw().or(warp::any().map(String::new)).unify()
}

/// The caller of a protected route: a valid key within its rate limit, or a rejection.
fn principal(s: State) -> impl Filter<Extract = (Principal,), Error = Rejection> + Clone {
    warp::header::optional::<String>("authorization")
        .and(warp::method())
        .and(state(s))
        .and_then(
            |h: Option<String>, method: warp::http::Method, s: State| async move {
                let token = h
                    .as_deref()
                    .and_then(|v| v.strip_prefix("Bearer "))
                    .ok_or_else(|| warp::reject::custom(ApiError::Unauthorized))?;
                let p = s
                    .keys
                    .authenticate(token.trim(), Some(&s.app))
                    .await
                    .ok_or_else(|| warp::reject::custom(ApiError::Unauthorized))?;
                s.limiter.check(&p.key_id).map_err(|retry_after_secs| {
                    warp::reject::custom(ApiError::TooManyRequests { retry_after_secs })
                })?;
                // No change without its audit record: with the audit spool full, writes wait.
                if method != warp::http::Method::GET && s.spool.is_full() {
                    return Err(warp::reject::custom(ApiError::AuditFull));
                }
                Ok::<_, Rejection>(p)
            },
        )
}

/// A caller of a public route, within its address's rate limit (see `guards`).
pub(crate) fn public(s: State) -> impl Filter<Extract = (), Error = Rejection> + Clone {
    peer()
        .and(warp::header::optional::<String>("x-forwarded-for"))
        .and(state(s))
        .and_then(
            |remote: Option<std::net::SocketAddr>, xff: Option<String>, s: State| async move {
                let client = s.guards.client(remote, xff.as_deref());
                s.guards.admit_public(&client).map_err(warp::reject::custom)
            },
        )
        .untuple_one()
}

/// A request body of at most `limit` bytes that arrives within `timeout` (413 / 408).
pub(crate) fn body(
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
            .map_err(|e| warp::reject::custom(ApiError::bad("body", e.to_string())))?
        {
            while chunk.has_remaining() {
                let part = chunk.chunk();
                out.extend_from_slice(part);
                let n = part.len();
                chunk.advance(n);
            }
            // A chunked body carries no length to check up front.
            if out.len() as u64 > limit {
                return Err(warp::reject::custom(ApiError::PayloadTooLarge));
            }
        }
        Ok(out.freeze())
    };
    tokio::time::timeout(timeout, collect)
        .await
        .map_err(|_| warp::reject::custom(ApiError::RequestTimeout))?
}

/// The TCP peer: from the server loop (`http::PEER_HEADER`), else warp's (its test requests).
pub(crate) fn peer(
) -> impl Filter<Extract = (Option<std::net::SocketAddr>,), Error = Infallible> + Clone {
    warp::header::optional::<std::net::SocketAddr>(crate::http::PEER_HEADER)
        .or(warp::any().map(|| None))
        .unify()
        .and(warp::addr::remote())
        .map(
            |ours: Option<std::net::SocketAddr>, warps: Option<std::net::SocketAddr>| {
                ours.or(warps)
            },
        )
}

/// Counts the rows of a reply for the audit log: the first array found at the top level.
fn rows_of(v: &serde_json::Value) -> u64 {
    match v {
        serde_json::Value::Array(a) => a.len() as u64,
        serde_json::Value::Object(m) => m
            .values()
            .find_map(|x| x.as_array().map(|a| a.len() as u64))
            .unwrap_or(1),
        _ => 1,
    }
}

/// Turns a handler result into a response; records metrics, and the audit row for a caller.
#[allow(clippy::too_many_arguments)]
fn finish<T: Serialize>(
    s: &AppState,
    method: &str,
    route: &str,
    who: Option<&Principal>,
    path: &str,
    q: &str,
    started: Instant,
    r: Result<T, ApiError>,
) -> Response {
    finish_as(s, method, route, who, path, q, started, r, |_| {
        warp::http::StatusCode::OK
    })
}

/// [`finish`], with the status of a successful reply chosen from its body.
#[allow(clippy::too_many_arguments)]
fn finish_as<T: Serialize>(
    s: &AppState,
    method: &str,
    route: &str,
    who: Option<&Principal>,
    path: &str,
    q: &str,
    started: Instant,
    r: Result<T, ApiError>,
    ok_status: fn(&serde_json::Value) -> warp::http::StatusCode,
) -> Response {
    let (resp, rows) = match r
        .and_then(|v| serde_json::to_value(v).map_err(|e| ApiError::Internal(e.to_string())))
    {
        Ok(v) => {
            let rows = rows_of(&v);
            (
                warp::reply::with_status(warp::reply::json(&v), ok_status(&v)).into_response(),
                rows,
            )
        }
        Err(e) => (e.into_response(), 0),
    };
    match who {
        Some(p) => audited(s, resp, p, method, route, path, q, started, rows),
        None => {
            s.metrics
                .requests
                .with_label_values(&[route, &resp.status().as_u16().to_string()])
                .inc();
            s.metrics
                .latency
                .with_label_values(&[route])
                .observe(started.elapsed().as_secs_f64());
            resp
        }
    }
}

/// A keyed response (JSON, a file, a signed-in page, a redirect) with its metrics and its
/// audit record as the principal's. The record is written by `routes`' last step, which knows
/// the client address.
#[allow(clippy::too_many_arguments)]
pub(crate) fn audited(
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
        query: crate::audit::truncated(q),
        status,
        rows,
        latency_ms: u32::try_from(elapsed.as_millis()).unwrap_or(u32::MAX),
        client: String::new(),
    }));
    resp
}

pub(crate) fn now_secs() -> u32 {
    u32::try_from(chrono::Utc::now().timestamp()).unwrap_or(0)
}

/// A handler's audit record, carried on its response to `routes`' last step.
#[derive(Clone)]
struct PendingAudit(AuditRow);

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
            query: crate::audit::truncated(q),
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

/// An export request: `format=csv` or `format=arrow` on a list endpoint.
#[derive(Clone, Copy)]
struct Export {
    columns: &'static [schemas::export::Column],
    rows_field: &'static str,
}

/// Splits `format=` off the query string; the rest goes to the handler's own parser.
fn split_format(q: &str) -> Result<(String, Option<&'static str>), ApiError> {
    let mut format = None;
    let mut rest = Vec::new();
    for pair in q.split('&').filter(|p| !p.is_empty()) {
        match pair.split_once('=') {
            Some(("format", "json")) => format = None,
            Some(("format", "csv")) => format = Some("csv"),
            Some(("format", "arrow")) => format = Some("arrow"),
            Some(("format", other)) => {
                return Err(ApiError::bad(
                    "format",
                    format!("must be json, csv or arrow, got {other:?}"),
                ))
            }
            _ => rest.push(pair),
        }
    }
    Ok((rest.join("&"), format))
}

/// Like [`finish`], in CSV or Arrow when `format` asks: the encoding runs on the bounded CPU
/// pool (503 with `Retry-After` when it is full), never on a runtime worker.
#[allow(clippy::too_many_arguments)]
async fn finish_list<T: Serialize>(
    s: &AppState,
    route: &str,
    who: &Principal,
    path: &str,
    q: &str,
    started: Instant,
    format: Option<&str>,
    export: Export,
    r: Result<T, ApiError>,
) -> Response {
    let Some(format) = format else {
        return finish(s, "GET", route, Some(who), path, q, started, r);
    };
    let csv = format == "csv";
    let encoded = match r
        .and_then(|v| serde_json::to_value(v).map_err(|e| ApiError::Internal(e.to_string())))
    {
        Ok(v) => {
            let (columns, field) = (export.columns, export.rows_field);
            s.guards
                .cpu
                .run(move || {
                    let rows = v[field].as_array().cloned().unwrap_or_default();
                    let bytes = if csv {
                        schemas::export::to_csv(columns, &rows)
                    } else {
                        schemas::export::to_arrow_ipc(columns, &rows)
                    };
                    bytes
                        .map(|b| (b, rows.len()))
                        .map_err(|e| ApiError::Internal(e.to_string()))
                })
                .await
                .and_then(|r| r)
        }
        Err(e) => Err(e),
    };
    match encoded {
        Ok((bytes, n)) => {
            let content_type = if format == "csv" {
                "text/csv; charset=utf-8"
            } else {
                "application/vnd.apache.arrow.stream"
            };
            let mut resp = Response::new(bytes.into());
            resp.headers_mut()
                .insert("content-type", content_type.parse().expect("header"));
            // The audit row and metrics come from the same path as JSON replies.
            let mut counted = finish(
                s,
                "GET",
                route,
                Some(who),
                path,
                q,
                started,
                Ok(vec![(); n]),
            );
            if let Some(pending) = counted.extensions_mut().remove::<PendingAudit>() {
                resp.extensions_mut().insert(pending);
            }
            resp
        }
        Err(e) => finish::<()>(s, "GET", route, Some(who), path, q, started, Err(e)),
    }
}

pub fn routes(s: State) -> BoxedFilter<(Response,)> {
    let body_timeout = std::time::Duration::from_millis(s.settings.body_timeout_ms);
    let public = {
        let health = warp::path!("healthz").and(warp::get()).and(state(s.clone())).then(|s: State| async move {
            let ok = s.ch.query("SELECT 1").execute().await.is_ok();
            let body = serde_json::json!({"status": if ok { "ok" } else { "degraded" }, "clickhouse": ok});
            warp::reply::with_status(warp::reply::json(&body), if ok { warp::http::StatusCode::OK } else { warp::http::StatusCode::SERVICE_UNAVAILABLE }).into_response()
        });
        let openapi = warp::path!("openapi.json")
            .and(warp::get())
            .and(public(s.clone()))
            .map(|| warp::reply::json(crate::openapi::cached()).into_response());
        let metrics = warp::path!("metrics")
            .and(warp::get())
            .and(state(s.clone()))
            .map(|s: State| s.metrics.render().into_response());
        let daily = warp::path!("v1" / "box-office" / "daily")
            .and(warp::get())
            .and(public(s.clone()))
            .and(state(s.clone()))
            .and(query())
            .then(|s: State, q: String| async move {
                let t = Instant::now();
                let r =
                    async { handlers::box_office::daily_chart(&s, params::parse(&q)?).await }.await;
                finish(
                    &s,
                    "GET",
                    "daily_chart",
                    None,
                    "/v1/box-office/daily",
                    &q,
                    t,
                    r,
                )
            });
        let chart = warp::path!("v1" / "box-office" / "chart")
            .and(warp::get())
            .and(public(s.clone()))
            .and(state(s.clone()))
            .and(query())
            .then(|s: State, q: String| async move {
                let t = Instant::now();
                let r = async {
                    handlers::box_office::chart(
                        &s,
                        handlers::box_office::chart_query(&params::parse(&q)?)?,
                    )
                    .await
                }
                .await;
                finish(&s, "GET", "chart", None, "/v1/box-office/chart", &q, t, r)
            });
        let run = warp::path!("v1" / "films" / Seg / "run")
            .and(warp::get())
            .and(public(s.clone()))
            .and(state(s.clone()))
            .and(query())
            .then(|Seg(film): Seg, s: State, q: String| async move {
                let t = Instant::now();
                let r = async {
                    params::parse::<params::NoQuery>(&q)?;
                    handlers::box_office::film_run(&s, &film).await
                }
                .await;
                finish(
                    &s,
                    "GET",
                    "film_run",
                    None,
                    "/v1/films/{film_id}/run",
                    &q,
                    t,
                    r,
                )
            });
        let programmes = warp::path!("v1" / "rebates" / "programmes")
            .and(warp::get())
            .and(public(s.clone()))
            .and(state(s.clone()))
            .and(query())
            .map(|s: State, q: String| {
                let t = Instant::now();
                let r =
                    params::parse::<params::NoQuery>(&q).map(|_| handlers::rebates::programmes(&s));
                finish(
                    &s,
                    "GET",
                    "programmes",
                    None,
                    "/v1/rebates/programmes",
                    &q,
                    t,
                    r,
                )
            });
        let programme = warp::path!("v1" / "rebates" / "programmes" / Seg)
            .and(warp::get())
            .and(public(s.clone()))
            .and(state(s.clone()))
            .and(query())
            .map(|Seg(id): Seg, s: State, q: String| {
                let t = Instant::now();
                let r = params::parse::<params::NoQuery>(&q)
                    .and_then(|_| handlers::rebates::programme(&s, &id));
                finish(
                    &s,
                    "GET",
                    "programme",
                    None,
                    "/v1/rebates/programmes/{id}",
                    &q,
                    t,
                    r,
                )
            });
        let estimate = warp::path!("v1" / "rebates" / "estimate")
            .and(warp::post())
            .and(public(s.clone()))
            .and(state(s.clone()))
            .and(query())
            .and(body(s.settings.body_limit_bytes, body_timeout))
            .then(|s: State, q: String, b: Bytes| async move {
                let t = Instant::now();
                // The engine's work runs on the bounded CPU pool, never on a runtime worker.
                let r = match params::parse(&q) {
                    Ok(cq) => match s.estimate_fx.get(&s.app, &s.fx).await {
                        Ok((fx, source)) => {
                            let shared = s.clone();
                            s.guards
                                .cpu
                                .run(move || {
                                    handlers::rebates::estimate(&shared, cq, &b, &fx, source)
                                })
                                .await
                                .and_then(|r| r)
                        }
                        Err(e) => Err(e),
                    },
                    Err(e) => Err(e),
                };
                finish(
                    &s,
                    "POST",
                    "post_estimate",
                    None,
                    "/v1/rebates/estimate",
                    &q,
                    t,
                    r,
                )
            });
        health
            .boxed()
            .or(openapi.boxed())
            .unify()
            .or(metrics.boxed())
            .unify()
            .or(daily.boxed())
            .unify()
            .or(chart.boxed())
            .unify()
            .or(run.boxed())
            .unify()
            .or(programmes.boxed())
            .unify()
            .or(programme.boxed())
            .unify()
            .or(estimate.boxed())
            .unify()
            .boxed()
    };

    let box_office = {
        let films = warp::path!("v1" / "box-office" / "films")
            .and(warp::get())
            .and(state(s.clone()))
            .and(principal(s.clone()))
            .and(query())
            .then(|s: State, p: Principal, q: String| async move {
                let t = Instant::now();
                let (rest, format) = match split_format(&q) {
                    Ok(x) => x,
                    Err(e) => {
                        return finish::<()>(
                            &s,
                            "GET",
                            "films",
                            Some(&p),
                            "/v1/box-office/films",
                            &q,
                            t,
                            Err(e),
                        )
                    }
                };
                let r = async { handlers::box_office::films(&s, &p, params::parse(&rest)?).await }
                    .await;
                let export = Export {
                    columns: schemas::export::BOX_OFFICE_FILMS,
                    rows_field: "rows",
                };
                finish_list(
                    &s,
                    "films",
                    &p,
                    "/v1/box-office/films",
                    &q,
                    t,
                    format,
                    export,
                    r,
                )
                .await
            });
        let film_daily = warp::path!("v1" / "box-office" / "films" / Seg / "daily")
            .and(warp::get())
            .and(state(s.clone()))
            .and(principal(s.clone()))
            .and(query())
            .then(
                |Seg(film): Seg, s: State, p: Principal, q: String| async move {
                    let t = Instant::now();
                    let path = format!("/v1/box-office/films/{film}/daily");
                    let (rest, format) = match split_format(&q) {
                        Ok(x) => x,
                        Err(e) => {
                            return finish::<()>(
                                &s,
                                "GET",
                                "film_daily",
                                Some(&p),
                                &path,
                                &q,
                                t,
                                Err(e),
                            )
                        }
                    };
                    let r = async {
                        handlers::box_office::film_daily(&s, &p, film, params::parse(&rest)?).await
                    }
                    .await;
                    let export = Export {
                        columns: schemas::export::FILM_DAILY,
                        rows_field: "rows",
                    };
                    finish_list(&s, "film_daily", &p, &path, &q, t, format, export, r).await
                },
            );
        let regions = warp::path!("v1" / "box-office" / "regions")
            .and(warp::get())
            .and(state(s.clone()))
            .and(principal(s.clone()))
            .and(query())
            .then(|s: State, p: Principal, q: String| async move {
                let t = Instant::now();
                let r =
                    async { handlers::box_office::regions(&s, &p, params::parse(&q)?).await }.await;
                finish(
                    &s,
                    "GET",
                    "regions",
                    Some(&p),
                    "/v1/box-office/regions",
                    &q,
                    t,
                    r,
                )
            });
        films.or(film_daily).unify().or(regions).unify().boxed()
    };

    let roi = {
        let film = warp::path!("v1" / "films" / Seg / "roi")
            .and(warp::get())
            .and(state(s.clone()))
            .and(principal(s.clone()))
            .and(query())
            .then(
                |Seg(film): Seg, s: State, p: Principal, q: String| async move {
                    let t = Instant::now();
                    let path = format!("/v1/films/{film}/roi");
                    let r = async {
                        params::parse::<params::NoQuery>(&q)?;
                        handlers::roi::film(&s, &p, film).await
                    }
                    .await;
                    finish(&s, "GET", "film_roi", Some(&p), &path, &q, t, r)
                },
            );
        let history = warp::path!("v1" / "films" / Seg / "history")
            .and(warp::get())
            .and(state(s.clone()))
            .and(principal(s.clone()))
            .and(query())
            .then(
                |Seg(film): Seg, s: State, p: Principal, q: String| async move {
                    let t = Instant::now();
                    let path = format!("/v1/films/{film}/history");
                    let r = async {
                        params::parse::<params::NoQuery>(&q)?;
                        handlers::registry::film_history(&s, &p, film).await
                    }
                    .await;
                    finish(&s, "GET", "film_history", Some(&p), &path, &q, t, r)
                },
            );
        let summary = warp::path!("v1" / "roi" / "summary")
            .and(warp::get())
            .and(state(s.clone()))
            .and(principal(s.clone()))
            .and(query())
            .then(|s: State, p: Principal, q: String| async move {
                let t = Instant::now();
                let r = async { handlers::roi::summary(&s, &p, params::parse(&q)?).await }.await;
                finish(
                    &s,
                    "GET",
                    "roi_summary",
                    Some(&p),
                    "/v1/roi/summary",
                    &q,
                    t,
                    r,
                )
            });
        let films = warp::path!("v1" / "roi" / "films")
            .and(warp::get())
            .and(state(s.clone()))
            .and(principal(s.clone()))
            .and(query())
            .then(|s: State, p: Principal, q: String| async move {
                let t = Instant::now();
                let (rest, format) = match split_format(&q) {
                    Ok(x) => x,
                    Err(e) => {
                        return finish::<()>(
                            &s,
                            "GET",
                            "roi_films",
                            Some(&p),
                            "/v1/roi/films",
                            &q,
                            t,
                            Err(e),
                        )
                    }
                };
                let r = async { handlers::roi::films(&s, &p, params::parse(&rest)?).await }.await;
                let export = Export {
                    columns: schemas::export::ROI_FILMS,
                    rows_field: "films",
                };
                finish_list(
                    &s,
                    "roi_films",
                    &p,
                    "/v1/roi/films",
                    &q,
                    t,
                    format,
                    export,
                    r,
                )
                .await
            });
        film.or(history)
            .unify()
            .or(summary)
            .unify()
            .or(films)
            .unify()
            .boxed()
    };

    let cinemas = {
        let silent = warp::path!("v1" / "cinemas" / "reporting")
            .and(warp::get())
            .and(state(s.clone()))
            .and(principal(s.clone()))
            .and(query())
            .then(|s: State, p: Principal, q: String| async move {
                let t = Instant::now();
                let r = async { handlers::cinemas::silent(&s, &p, params::parse(&q)?).await }.await;
                finish(
                    &s,
                    "GET",
                    "silent_cinemas",
                    Some(&p),
                    "/v1/cinemas/reporting",
                    &q,
                    t,
                    r,
                )
            });
        let reporting = warp::path!("v1" / "cinemas" / Seg / "reporting")
            .and(warp::get())
            .and(state(s.clone()))
            .and(principal(s.clone()))
            .and(query())
            .then(
                |Seg(bin): Seg, s: State, p: Principal, q: String| async move {
                    let t = Instant::now();
                    let path = format!("/v1/cinemas/{bin}/reporting");
                    let r = async {
                        handlers::cinemas::reporting(&s, &p, bin, params::parse(&q)?).await
                    }
                    .await;
                    finish(&s, "GET", "cinema_reporting", Some(&p), &path, &q, t, r)
                },
            );
        let rejected = warp::path!("v1" / "cinemas" / Seg / "rejected")
            .and(warp::get())
            .and(state(s.clone()))
            .and(principal(s.clone()))
            .and(query())
            .then(
                |Seg(bin): Seg, s: State, p: Principal, q: String| async move {
                    let t = Instant::now();
                    let path = format!("/v1/cinemas/{bin}/rejected");
                    let (rest, format) = match split_format(&q) {
                        Ok(x) => x,
                        Err(e) => {
                            return finish::<()>(
                                &s,
                                "GET",
                                "cinema_rejected",
                                Some(&p),
                                &path,
                                &q,
                                t,
                                Err(e),
                            )
                        }
                    };
                    let r = async {
                        handlers::cinemas::rejected(&s, &p, bin, params::parse(&rest)?).await
                    }
                    .await;
                    let export = Export {
                        columns: schemas::export::REJECTED,
                        rows_field: "rows",
                    };
                    finish_list(&s, "cinema_rejected", &p, &path, &q, t, format, export, r).await
                },
            );
        let scorecards = warp::path!("v1" / "cinemas" / "scorecards")
            .and(warp::get())
            .and(state(s.clone()))
            .and(principal(s.clone()))
            .and(query())
            .then(|s: State, p: Principal, q: String| async move {
                let t = Instant::now();
                let (rest, format) = match split_format(&q) {
                    Ok(x) => x,
                    Err(e) => {
                        return finish::<()>(
                            &s,
                            "GET",
                            "cinema_scorecards",
                            Some(&p),
                            "/v1/cinemas/scorecards",
                            &q,
                            t,
                            Err(e),
                        )
                    }
                };
                let r =
                    async { handlers::cinemas::scorecards(&s, &p, params::parse(&rest)?).await }
                        .await;
                let export = Export {
                    columns: schemas::export::SCORECARDS,
                    rows_field: "rows",
                };
                finish_list(
                    &s,
                    "cinema_scorecards",
                    &p,
                    "/v1/cinemas/scorecards",
                    &q,
                    t,
                    format,
                    export,
                    r,
                )
                .await
            });
        let sales = warp::path!("v1" / "cinemas" / Seg / "sales")
            .and(warp::get())
            .and(state(s.clone()))
            .and(principal(s.clone()))
            .and(query())
            .then(
                |Seg(bin): Seg, s: State, p: Principal, q: String| async move {
                    let t = Instant::now();
                    let path = format!("/v1/cinemas/{bin}/sales");
                    let (rest, format) = match split_format(&q) {
                        Ok(x) => x,
                        Err(e) => {
                            return finish::<()>(
                                &s,
                                "GET",
                                "cinema_sales",
                                Some(&p),
                                &path,
                                &q,
                                t,
                                Err(e),
                            )
                        }
                    };
                    let r = async {
                        handlers::cinemas::sales(&s, &p, bin, params::parse(&rest)?).await
                    }
                    .await;
                    let export = Export {
                        columns: schemas::export::CINEMA_SALES,
                        rows_field: "rows",
                    };
                    finish_list(&s, "cinema_sales", &p, &path, &q, t, format, export, r).await
                },
            );
        let screenings = warp::path!("v1" / "cinemas" / Seg / "screenings")
            .and(warp::get())
            .and(state(s.clone()))
            .and(principal(s.clone()))
            .and(query())
            .then(
                |Seg(bin): Seg, s: State, p: Principal, q: String| async move {
                    let t = Instant::now();
                    let path = format!("/v1/cinemas/{bin}/screenings");
                    let r = async {
                        handlers::cinemas::screenings(&s, &p, bin, params::parse(&q)?).await
                    }
                    .await;
                    finish(&s, "GET", "cinema_screenings", Some(&p), &path, &q, t, r)
                },
            );
        let tickets = warp::path!("v1" / "tickets")
            .and(warp::post())
            .and(state(s.clone()))
            .and(principal(s.clone()))
            .and(query())
            .and(warp::header::optional::<String>("content-type"))
            .and(body(s.settings.upload_limit_bytes, body_timeout))
            .then(
                |s: State, p: Principal, q: String, ct: Option<String>, b: Bytes| async move {
                    let t = Instant::now();
                    let r = async {
                        params::parse::<params::NoQuery>(&q)?;
                        handlers::tickets::upload_as(&s, &p, ct.as_deref(), &b).await
                    }
                    .await;
                    finish_as(
                        &s,
                        "POST",
                        "post_tickets",
                        Some(&p),
                        "/v1/tickets",
                        &q,
                        t,
                        r,
                        handlers::tickets::status_of,
                    )
                },
            );
        let corrections = warp::path!("v1" / "cinemas" / Seg / "corrections")
            .and(warp::get())
            .and(state(s.clone()))
            .and(principal(s.clone()))
            .and(query())
            .then(
                |Seg(bin): Seg, s: State, p: Principal, q: String| async move {
                    let t = Instant::now();
                    let path = format!("/v1/cinemas/{bin}/corrections");
                    let (rest, format) = match split_format(&q) {
                        Ok(x) => x,
                        Err(e) => {
                            return finish::<()>(
                                &s,
                                "GET",
                                "cinema_corrections",
                                Some(&p),
                                &path,
                                &q,
                                t,
                                Err(e),
                            )
                        }
                    };
                    let r = async {
                        handlers::cinemas::corrections(&s, &p, bin, params::parse(&rest)?).await
                    }
                    .await
                    .and_then(|c| {
                        if format.is_some() {
                            handlers::cinemas::whole_corrections(c)
                        } else {
                            Ok(c)
                        }
                    });
                    let export = Export {
                        columns: schemas::export::CORRECTIONS,
                        rows_field: "rows",
                    };
                    finish_list(
                        &s,
                        "cinema_corrections",
                        &p,
                        &path,
                        &q,
                        t,
                        format,
                        export,
                        r,
                    )
                    .await
                },
            );
        let flags = warp::path!("v1" / "cinemas" / Seg / "flags")
            .and(warp::get())
            .and(state(s.clone()))
            .and(principal(s.clone()))
            .and(query())
            .then(
                |Seg(bin): Seg, s: State, p: Principal, q: String| async move {
                    let t = Instant::now();
                    let path = format!("/v1/cinemas/{bin}/flags");
                    let r =
                        async { handlers::cinemas::flags(&s, &p, bin, params::parse(&q)?).await }
                            .await;
                    finish(&s, "GET", "cinema_flags", Some(&p), &path, &q, t, r)
                },
            );
        let all_corrections = warp::path!("v1" / "corrections")
            .and(warp::get())
            .and(state(s.clone()))
            .and(principal(s.clone()))
            .and(query())
            .then(|s: State, p: Principal, q: String| async move {
                let t = Instant::now();
                let (rest, format) = match split_format(&q) {
                    Ok(x) => x,
                    Err(e) => {
                        return finish::<()>(
                            &s,
                            "GET",
                            "corrections",
                            Some(&p),
                            "/v1/corrections",
                            &q,
                            t,
                            Err(e),
                        )
                    }
                };
                let r = async {
                    handlers::cinemas::corrections_all(&s, &p, params::parse(&rest)?).await
                }
                .await
                .and_then(|c| {
                    if format.is_some() {
                        handlers::cinemas::whole_corrections(c)
                    } else {
                        Ok(c)
                    }
                });
                let export = Export {
                    columns: schemas::export::CORRECTIONS,
                    rows_field: "rows",
                };
                finish_list(
                    &s,
                    "corrections",
                    &p,
                    "/v1/corrections",
                    &q,
                    t,
                    format,
                    export,
                    r,
                )
                .await
            });
        silent
            .boxed()
            .or(reporting.boxed())
            .unify()
            .or(rejected.boxed())
            .unify()
            .or(corrections.boxed())
            .unify()
            .or(all_corrections.boxed())
            .unify()
            .or(tickets.boxed())
            .unify()
            .or(sales.boxed())
            .unify()
            .or(screenings.boxed())
            .unify()
            .or(scorecards.boxed())
            .unify()
            .or(flags.boxed())
            .unify()
            .boxed()
    };

    // The registry as registered now, for the ministry's registry screens (see `handlers::records`).
    let records = {
        let films = warp::path!("v1" / "films")
            .and(warp::get())
            .and(state(s.clone()))
            .and(principal(s.clone()))
            .and(query())
            .then(|s: State, p: Principal, q: String| async move {
                let t = Instant::now();
                let r = async {
                    params::parse::<params::NoQuery>(&q)?;
                    handlers::records::films(&s, &p).await
                }
                .await;
                finish(&s, "GET", "films", Some(&p), "/v1/films", &q, t, r)
            });
        let film = warp::path!("v1" / "films" / Seg)
            .and(warp::get())
            .and(state(s.clone()))
            .and(principal(s.clone()))
            .and(query())
            .then(
                |Seg(id): Seg, s: State, p: Principal, q: String| async move {
                    let t = Instant::now();
                    let path = format!("/v1/films/{id}");
                    let r = async {
                        params::parse::<params::NoQuery>(&q)?;
                        handlers::records::film(&s, &p, id).await
                    }
                    .await;
                    finish(&s, "GET", "film", Some(&p), &path, &q, t, r)
                },
            );
        let cinemas = warp::path!("v1" / "cinemas")
            .and(warp::get())
            .and(state(s.clone()))
            .and(principal(s.clone()))
            .and(query())
            .then(|s: State, p: Principal, q: String| async move {
                let t = Instant::now();
                let r = async {
                    params::parse::<params::NoQuery>(&q)?;
                    handlers::records::cinemas(&s, &p).await
                }
                .await;
                finish(&s, "GET", "cinemas", Some(&p), "/v1/cinemas", &q, t, r)
            });
        // After `/v1/cinemas/reporting` and `/v1/cinemas/scorecards` (their own GET paths).
        let cinema = warp::path!("v1" / "cinemas" / Seg)
            .and(warp::get())
            .and(state(s.clone()))
            .and(principal(s.clone()))
            .and(query())
            .then(
                |Seg(bin): Seg, s: State, p: Principal, q: String| async move {
                    let t = Instant::now();
                    let path = format!("/v1/cinemas/{bin}");
                    let r = async {
                        params::parse::<params::NoQuery>(&q)?;
                        handlers::records::cinema(&s, &p, bin).await
                    }
                    .await;
                    finish(&s, "GET", "cinema", Some(&p), &path, &q, t, r)
                },
            );
        let history = warp::path!("v1" / "cinemas" / Seg / "history")
            .and(warp::get())
            .and(state(s.clone()))
            .and(principal(s.clone()))
            .and(query())
            .then(
                |Seg(bin): Seg, s: State, p: Principal, q: String| async move {
                    let t = Instant::now();
                    let path = format!("/v1/cinemas/{bin}/history");
                    let r = async {
                        params::parse::<params::NoQuery>(&q)?;
                        handlers::records::cinema_history(&s, &p, bin).await
                    }
                    .await;
                    finish(&s, "GET", "cinema_history", Some(&p), &path, &q, t, r)
                },
            );
        let fx = warp::path!("v1" / "fx")
            .and(warp::get())
            .and(state(s.clone()))
            .and(principal(s.clone()))
            .and(query())
            .then(|s: State, p: Principal, q: String| async move {
                let t = Instant::now();
                let r = async { handlers::records::fx(&s, &p, params::parse(&q)?).await }.await;
                finish(&s, "GET", "fx", Some(&p), "/v1/fx", &q, t, r)
            });
        films
            .boxed()
            .or(film.boxed())
            .unify()
            .or(cinemas.boxed())
            .unify()
            .or(cinema.boxed())
            .unify()
            .or(history.boxed())
            .unify()
            .or(fx.boxed())
            .unify()
            .boxed()
    };

    // The film commission's saved estimates per production (see `handlers::productions`).
    let commission = {
        let limit = s.settings.body_limit_bytes;
        let list = warp::path!("v1" / "commission" / "estimates")
            .and(warp::get())
            .and(state(s.clone()))
            .and(principal(s.clone()))
            .and(query())
            .then(|s: State, p: Principal, q: String| async move {
                let t = Instant::now();
                let r = async {
                    params::parse::<params::NoQuery>(&q)?;
                    handlers::productions::list(&s, &p).await
                }
                .await;
                finish(
                    &s,
                    "GET",
                    "commission_estimates",
                    Some(&p),
                    "/v1/commission/estimates",
                    &q,
                    t,
                    r,
                )
            });
        let save = warp::path!("v1" / "commission" / "estimates")
            .and(warp::post())
            .and(state(s.clone()))
            .and(principal(s.clone()))
            .and(query())
            .and(body(limit, body_timeout))
            .then(|s: State, p: Principal, q: String, b: Bytes| async move {
                let t = Instant::now();
                let r = async {
                    params::parse::<params::NoQuery>(&q)?;
                    // The role first: another role learns nothing from its body's fate.
                    handlers::require(&p, &[crate::auth::Role::Commission])?;
                    handlers::productions::save(&s, &p, handlers::registry::json(&b)?).await
                }
                .await;
                finish(
                    &s,
                    "POST",
                    "save_estimate",
                    Some(&p),
                    "/v1/commission/estimates",
                    &q,
                    t,
                    r,
                )
            });
        let delete = warp::path!("v1" / "commission" / "estimates" / Seg / "delete")
            .and(warp::post())
            .and(state(s.clone()))
            .and(principal(s.clone()))
            .and(query())
            .and(body(limit, body_timeout))
            .then(
                |Seg(id): Seg, s: State, p: Principal, q: String, _b: Bytes| async move {
                    let t = Instant::now();
                    let path = format!("/v1/commission/estimates/{id}/delete");
                    let r = async {
                        params::parse::<params::NoQuery>(&q)?;
                        handlers::productions::delete(&s, &p, id).await
                    }
                    .await;
                    finish(&s, "POST", "delete_estimate", Some(&p), &path, &q, t, r)
                },
            );
        list.boxed()
            .or(save.boxed())
            .unify()
            .or(delete.boxed())
            .unify()
            .boxed()
    };

    let writes = {
        let limit = s.settings.body_limit_bytes;
        let submit = warp::path!("v1" / "claims")
            .and(warp::post())
            .and(state(s.clone()))
            .and(principal(s.clone()))
            .and(query())
            .and(body(limit, body_timeout))
            .then(|s: State, p: Principal, q: String, b: Bytes| async move {
                let t = Instant::now();
                let r = async {
                    params::parse::<params::NoQuery>(&q)?;
                    handlers::claims::submit(&s, &p, &b).await
                }
                .await;
                finish(&s, "POST", "post_claim", Some(&p), "/v1/claims", &q, t, r)
            });
        let preview = warp::path!("v1" / "claims" / "preview")
            .and(warp::post())
            .and(state(s.clone()))
            .and(principal(s.clone()))
            .and(query())
            .and(body(limit, body_timeout))
            .then(|s: State, p: Principal, q: String, b: Bytes| async move {
                let t = Instant::now();
                let r = async {
                    params::parse::<params::NoQuery>(&q)?;
                    handlers::claims::preview(&s, &p, &b).await
                }
                .await;
                finish(
                    &s,
                    "POST",
                    "post_claim_preview",
                    Some(&p),
                    "/v1/claims/preview",
                    &q,
                    t,
                    r,
                )
            });
        let list = warp::path!("v1" / "claims")
            .and(warp::get())
            .and(state(s.clone()))
            .and(principal(s.clone()))
            .and(query())
            .then(|s: State, p: Principal, q: String| async move {
                let t = Instant::now();
                let r = async { handlers::claims::list(&s, &p, params::parse(&q)?).await }.await;
                finish(&s, "GET", "claims", Some(&p), "/v1/claims", &q, t, r)
            });
        let pools = warp::path!("v1" / "rebates" / "pools")
            .and(warp::get())
            .and(state(s.clone()))
            .and(principal(s.clone()))
            .and(query())
            .then(|s: State, p: Principal, q: String| async move {
                let t = Instant::now();
                let r = async { handlers::claims::pools(&s, &p, params::parse(&q)?).await }.await;
                finish(&s, "GET", "pools", Some(&p), "/v1/rebates/pools", &q, t, r)
            });
        let get = warp::path!("v1" / "claims" / Seg)
            .and(warp::get())
            .and(state(s.clone()))
            .and(principal(s.clone()))
            .and(query())
            .then(
                |Seg(id): Seg, s: State, p: Principal, q: String| async move {
                    let t = Instant::now();
                    let path = format!("/v1/claims/{id}");
                    let r = async {
                        // `/v1/claims/preview` is its own (POST) path, not a claim: a 405.
                        if id == "preview" {
                            return Err(ApiError::MethodNotAllowed);
                        }
                        params::parse::<params::NoQuery>(&q)?;
                        handlers::claims::get(&s, &p, id).await
                    }
                    .await;
                    finish(&s, "GET", "claim", Some(&p), &path, &q, t, r)
                },
            );
        let decide = warp::path!("v1" / "claims" / Seg / "decision")
            .and(warp::post())
            .and(state(s.clone()))
            .and(principal(s.clone()))
            .and(query())
            .and(body(limit, body_timeout))
            .then(
                |Seg(id): Seg, s: State, p: Principal, q: String, b: Bytes| async move {
                    let t = Instant::now();
                    let path = format!("/v1/claims/{id}/decision");
                    let r = async {
                        params::parse::<params::NoQuery>(&q)?;
                        handlers::claims::decide(&s, &p, id, &b).await
                    }
                    .await;
                    finish(&s, "POST", "post_decision", Some(&p), &path, &q, t, r)
                },
            );
        let film = warp::path!("v1" / "films" / Seg)
            .and(warp::put())
            .and(state(s.clone()))
            .and(principal(s.clone()))
            .and(query())
            .and(body(limit, body_timeout))
            .then(
                |Seg(id): Seg, s: State, p: Principal, q: String, b: Bytes| async move {
                    let t = Instant::now();
                    let path = format!("/v1/films/{id}");
                    let r = async {
                        params::parse::<params::NoQuery>(&q)?;
                        handlers::registry::put_film(&s, &p, id, &b).await
                    }
                    .await;
                    finish(&s, "PUT", "put_film", Some(&p), &path, &q, t, r)
                },
            );
        let funding = warp::path!("v1" / "films" / Seg / "funding")
            .and(warp::post())
            .and(state(s.clone()))
            .and(principal(s.clone()))
            .and(query())
            .and(body(limit, body_timeout))
            .then(
                |Seg(id): Seg, s: State, p: Principal, q: String, b: Bytes| async move {
                    let t = Instant::now();
                    let path = format!("/v1/films/{id}/funding");
                    let r = async {
                        params::parse::<params::NoQuery>(&q)?;
                        handlers::registry::post_funding(&s, &p, id, &b).await
                    }
                    .await;
                    finish(&s, "POST", "post_funding", Some(&p), &path, &q, t, r)
                },
            );
        let fx = warp::path!("v1" / "fx")
            .and(warp::put())
            .and(state(s.clone()))
            .and(principal(s.clone()))
            .and(query())
            .and(body(limit, body_timeout))
            .then(|s: State, p: Principal, q: String, b: Bytes| async move {
                let t = Instant::now();
                let r = async {
                    params::parse::<params::NoQuery>(&q)?;
                    handlers::registry::put_fx(&s, &p, &b).await
                }
                .await;
                finish(&s, "PUT", "put_fx", Some(&p), "/v1/fx", &q, t, r)
            });
        let cinema = warp::path!("v1" / "cinemas" / Seg)
            .and(warp::put())
            .and(state(s.clone()))
            .and(principal(s.clone()))
            .and(query())
            .and(body(limit, body_timeout))
            .then(
                |Seg(bin): Seg, s: State, p: Principal, q: String, b: Bytes| async move {
                    let t = Instant::now();
                    let path = format!("/v1/cinemas/{bin}");
                    let r = async {
                        // `/v1/cinemas/reporting` and `/v1/cinemas/scorecards` are their own (GET)
                        // paths, not cinemas: a 405.
                        if bin == "reporting" || bin == "scorecards" {
                            return Err(ApiError::MethodNotAllowed);
                        }
                        params::parse::<params::NoQuery>(&q)?;
                        handlers::registry::put_cinema(&s, &p, bin, &b).await
                    }
                    .await;
                    finish(&s, "PUT", "put_cinema", Some(&p), &path, &q, t, r)
                },
            );
        let applicant = warp::path!("v1" / "applicants" / Seg)
            .and(warp::put())
            .and(state(s.clone()))
            .and(principal(s.clone()))
            .and(query())
            .and(body(limit, body_timeout))
            .then(
                |Seg(id): Seg, s: State, p: Principal, q: String, b: Bytes| async move {
                    let t = Instant::now();
                    let path = format!("/v1/applicants/{id}");
                    let r = async {
                        params::parse::<params::NoQuery>(&q)?;
                        handlers::registry::put_applicant(&s, &p, id, &b).await
                    }
                    .await;
                    finish(&s, "PUT", "put_applicant", Some(&p), &path, &q, t, r)
                },
            );
        let applicant_get = warp::path!("v1" / "applicants" / Seg)
            .and(warp::get())
            .and(state(s.clone()))
            .and(principal(s.clone()))
            .and(query())
            .then(
                |Seg(id): Seg, s: State, p: Principal, q: String| async move {
                    let t = Instant::now();
                    let path = format!("/v1/applicants/{id}");
                    let r = async {
                        params::parse::<params::NoQuery>(&q)?;
                        handlers::registry::get_applicant(&s, &p, id).await
                    }
                    .await;
                    finish(&s, "GET", "applicant", Some(&p), &path, &q, t, r)
                },
            );
        let keys = warp::path!("v1" / "keys")
            .and(warp::get())
            .and(state(s.clone()))
            .and(principal(s.clone()))
            .and(query())
            .then(|s: State, p: Principal, q: String| async move {
                let t = Instant::now();
                let r = async {
                    params::parse::<params::NoQuery>(&q)?;
                    handlers::keys::list(&s, &p).await
                }
                .await;
                finish(&s, "GET", "keys", Some(&p), "/v1/keys", &q, t, r)
            });
        let issue = warp::path!("v1" / "keys")
            .and(warp::post())
            .and(state(s.clone()))
            .and(principal(s.clone()))
            .and(query())
            .and(body(limit, body_timeout))
            .then(|s: State, p: Principal, q: String, b: Bytes| async move {
                let t = Instant::now();
                let r = async {
                    params::parse::<params::NoQuery>(&q)?;
                    handlers::keys::issue_json(&s, &p, &b).await
                }
                .await;
                finish(&s, "POST", "issue_key", Some(&p), "/v1/keys", &q, t, r)
            });
        let revoke = warp::path!("v1" / "keys" / Seg / "revoke")
            .and(warp::post())
            .and(state(s.clone()))
            .and(principal(s.clone()))
            .and(query())
            .and(body(limit, body_timeout))
            .then(
                |Seg(id): Seg, s: State, p: Principal, q: String, b: Bytes| async move {
                    let t = Instant::now();
                    let path = format!("/v1/keys/{id}/revoke");
                    let r = async {
                        params::parse::<params::NoQuery>(&q)?;
                        handlers::keys::revoke_json(&s, &p, id, &b).await
                    }
                    .await;
                    finish(&s, "POST", "revoke_key", Some(&p), &path, &q, t, r)
                },
            );
        let applicants = warp::path!("v1" / "applicants")
            .and(warp::get())
            .and(state(s.clone()))
            .and(principal(s.clone()))
            .and(query())
            .then(|s: State, p: Principal, q: String| async move {
                let t = Instant::now();
                let r = async {
                    params::parse::<params::NoQuery>(&q)?;
                    handlers::keys::applicants(&s, &p).await
                }
                .await;
                finish(
                    &s,
                    "GET",
                    "applicants",
                    Some(&p),
                    "/v1/applicants",
                    &q,
                    t,
                    r,
                )
            });
        let audit = warp::path!("v1" / "audit")
            .and(warp::get())
            .and(state(s.clone()))
            .and(principal(s.clone()))
            .and(query())
            .then(|s: State, p: Principal, q: String| async move {
                let t = Instant::now();
                let (rest, format) = match split_format(&q) {
                    Ok(x) => x,
                    Err(e) => {
                        return finish::<()>(
                            &s,
                            "GET",
                            "audit",
                            Some(&p),
                            "/v1/audit",
                            &q,
                            t,
                            Err(e),
                        )
                    }
                };
                let r =
                    async { handlers::registry::audit(&s, &p, params::parse(&rest)?).await }.await;
                let export = Export {
                    columns: schemas::export::AUDIT,
                    rows_field: "rows",
                };
                finish_list(&s, "audit", &p, "/v1/audit", &q, t, format, export, r).await
            });
        submit
            .boxed()
            .or(preview.boxed())
            .unify()
            .or(list.boxed())
            .unify()
            .or(pools.boxed())
            .unify()
            .or(fx.boxed())
            .unify()
            .or(get.boxed())
            .unify()
            .or(decide.boxed())
            .unify()
            .or(film.boxed())
            .unify()
            .or(funding.boxed())
            .unify()
            .or(cinema.boxed())
            .unify()
            .or(applicant.boxed())
            .unify()
            .or(applicant_get.boxed())
            .unify()
            .or(audit.boxed())
            .unify()
            .or(keys.boxed())
            .unify()
            .or(issue.boxed())
            .unify()
            .or(revoke.boxed())
            .unify()
            .or(applicants.boxed())
            .unify()
            .boxed()
    };

    let app = public
        .or(box_office)
        .unify()
        .or(roi)
        .unify()
        .or(cinemas)
        .unify()
        .or(records)
        .unify()
        .or(commission)
        .unify()
        .or(writes)
        .unify()
        .or(crate::web::routes(s.clone()))
        .unify()
        .recover(recover)
        .unify();
    // Every reply passes here: a handler's audit record gets the client address and is
    // recorded; a refusal no handler saw is audited as `audit` says.
    warp::method()
        .and(warp::path::full())
        .and(query())
        .and(warp::header::optional::<String>("authorization"))
        .and(peer())
        .and(warp::header::optional::<String>("x-forwarded-for"))
        .and(state(s))
        .and(app)
        .map(
            |method: warp::http::Method,
             path: warp::path::FullPath,
             q: String,
             auth: Option<String>,
             remote: Option<std::net::SocketAddr>,
             xff: Option<String>,
             s: State,
             mut resp: Response| {
                let client = s.guards.client(remote, xff.as_deref());
                if resp.status() == warp::http::StatusCode::METHOD_NOT_ALLOWED {
                    // RFC 9110: a 405 lists what the path does answer (from the route table).
                    let allow = crate::openapi::allowed_methods(path.as_str()).join(", ");
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
