//! A JSON handler's result as a response: its status, its metrics and its audit record, and
//! for list endpoints the same rows as CSV or Arrow (`format=`), through the export columns
//! `schemas::export` declares.

use std::time::Instant;

use api_core::auth::Principal;
use api_core::error::ApiError;
use api_core::state::AppState;
use api_edge::{audited, carry_audit};
use serde::Serialize;

use crate::openapi::RouteDoc;
use warp::reply::Response;
use warp::Reply;

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
pub(crate) fn finish<T: Serialize>(
    s: &AppState,
    doc: &RouteDoc,
    who: Option<&Principal>,
    path: &str,
    q: &str,
    started: Instant,
    r: Result<T, ApiError>,
) -> Response {
    finish_as(s, doc, who, path, q, started, r, |_| {
        warp::http::StatusCode::OK
    })
}

/// [`finish`], with the status of a successful reply chosen from its body.
#[allow(clippy::too_many_arguments)]
pub(crate) fn finish_as<T: Serialize>(
    s: &AppState,
    doc: &RouteDoc,
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
        Err(e) => (api_edge::reply(e), 0),
    };
    match who {
        Some(p) => audited(s, resp, p, doc.verb(), doc.name, path, q, started, rows),
        None => {
            s.metrics
                .requests
                .with_label_values(&[doc.name, &resp.status().as_u16().to_string()])
                .inc();
            s.metrics
                .latency
                .with_label_values(&[doc.name])
                .observe(started.elapsed().as_secs_f64());
            resp
        }
    }
}

/// An export request: `format=csv` or `format=arrow` on a list endpoint.
#[derive(Clone, Copy)]
pub struct Export {
    pub columns: &'static [schemas::export::Column],
    pub rows_field: &'static str,
}

/// Splits `format=` off the query string; the rest goes to the handler's own parser.
pub(crate) fn split_format(q: &str) -> Result<(String, Option<&'static str>), ApiError> {
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
pub(crate) async fn finish_list<T: Serialize>(
    s: &AppState,
    doc: &RouteDoc,
    who: &Principal,
    path: &str,
    q: &str,
    started: Instant,
    format: Option<&str>,
    export: Export,
    r: Result<T, ApiError>,
) -> Response {
    let Some(format) = format else {
        return finish(s, doc, Some(who), path, q, started, r);
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
            let mut counted = finish(s, doc, Some(who), path, q, started, Ok(vec![(); n]));
            carry_audit(&mut counted, &mut resp);
            resp
        }
        Err(e) => finish::<()>(s, doc, Some(who), path, q, started, Err(e)),
    }
}
