//! `POST /v1/tickets`: NDJSON upload for cinemas without Kafka, or CSV with the same columns
//! (`Content-Type: text/csv`, read by `schemas::event::csv`). Each line is checked at once
//! (decode, and that its `cinema_bin` is the key's cinema); only lines that pass are
//! produced to the ticket topic, keyed by the key's BIN, where ingest judges them like any
//! other event (duplicates, refunds, voids). Every other line is answered as rejected and
//! kept in `upload_rejects` (same reason codes as `rejected_events`), shown to the cinema
//! with its other rejects, and never reaches Kafka: a line that names another cinema is
//! never produced, whatever else is wrong with it.
//!
//! At most `api.upload_max_lines` lines; the accepted ones are produced together and their
//! deliveries awaited together (a pipeline, not one round trip per line).

use serde::Serialize;

use super::{require, ApiError};
use crate::auth::{Principal, Role};
use crate::state::AppState;

/// One uploaded line's fate (component `UploadLine`: the engine has a `LineResult` too).
#[derive(Debug, Serialize, PartialEq, Eq, utoipa::ToSchema)]
#[schema(as = UploadLine)]
pub struct LineResult {
    pub line: usize,
    pub status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub event_id: Option<String>,
    /// For a declared session (`POST /v1/sessions`), the session it declares.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub screening_id: Option<String>,
    /// For a partner's record (`POST /v1/partner/sales`), its order.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub order_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct UploadReply {
    /// Names this upload's refused lines in the cinema's rejected list.
    pub upload_id: String,
    pub accepted: usize,
    pub rejected: usize,
    pub lines: Vec<LineResult>,
}

/// `Content-Type` of a CSV upload (`ekino.ticket/1` as columns, `schemas::event::csv`).
pub const CSV: &str = "text/csv";

/// Whether an upload's `Content-Type` is CSV (parameters such as `charset` are ignored).
pub(crate) fn is_csv(content_type: Option<&str>) -> bool {
    content_type
        .and_then(|c| c.split(';').next())
        .is_some_and(|c| c.trim().eq_ignore_ascii_case(CSV))
}

/// One line of an upload before it is judged: its line in the file, its own bytes (kept with a
/// refusal), and the JSON event it is, or why it cannot be one.
pub(crate) struct Candidate<'a> {
    pub line: usize,
    pub raw: &'a [u8],
    pub json: Result<std::borrow::Cow<'a, [u8]>, schemas::Rejection>,
}

/// What an accepted line is named by in the reply.
pub(crate) enum Named {
    Event(String),
    Session(String),
    /// A partner's order: its partner id (the message key) and order id.
    Order(String, String),
}

/// The rows of a CSV upload (tickets' or sessions'), each with its own text.
pub(crate) fn csv_lines(file: &schemas::event::csv::CsvFile) -> Vec<Candidate<'_>> {
    file.rows
        .iter()
        .map(|r| Candidate {
            line: r.line,
            raw: r.raw.as_bytes(),
            json: r
                .json
                .as_deref()
                .map(std::borrow::Cow::Borrowed)
                .map_err(Clone::clone),
        })
        .collect()
}

/// The NDJSON lines of `body` (blank lines skipped), each with its line number.
pub(crate) fn ndjson_lines(body: &[u8]) -> Vec<Candidate<'_>> {
    body.split(|b| *b == b'\n')
        .enumerate()
        .map(|(i, raw)| (i + 1, raw.strip_suffix(b"\r").unwrap_or(raw)))
        .filter(|(_, raw)| !raw.iter().all(u8::is_ascii_whitespace))
        .map(|(line, raw)| Candidate {
            line,
            raw,
            json: Ok(std::borrow::Cow::Borrowed(raw)),
        })
        .collect()
}

/// The body read as `content_type` says: CSV for `text/csv` (parameters such as `charset`
/// are ignored: the reader knows UTF-8 and Windows-1251 by their bytes), else NDJSON.
pub async fn upload_as(
    s: &AppState,
    p: &Principal,
    content_type: Option<&str>,
    body: &[u8],
) -> Result<UploadReply, ApiError> {
    if is_csv(content_type) {
        upload_csv(s, p, body).await
    } else {
        upload(s, p, body).await
    }
}

/// An NDJSON upload: one `ekino.ticket/1` object per line.
pub async fn upload(s: &AppState, p: &Principal, body: &[u8]) -> Result<UploadReply, ApiError> {
    require(p, &[Role::Cinema])?;
    let candidates = ndjson_lines(body);
    if candidates.is_empty() {
        // An upload with nothing in it is most likely a client that lost its file.
        return Err(ApiError::bad(
            "body",
            "has no events (one ekino.ticket/1 JSON object per line)",
        ));
    }
    judge(s, p, candidates).await
}

/// A cinema taking back one of its events (`voids`, its event id), with its reason: the
/// `void` event the cinema's form writes, stamped by the state's clock and produced like any
/// uploaded line, so ingest judges it as it would one sent on Kafka. A refusal names the
/// event's `voids` or `reason`, the form's own fields.
pub async fn void(
    s: &AppState,
    p: &Principal,
    voids: &str,
    reason: &str,
) -> Result<UploadReply, ApiError> {
    require(p, &[Role::Cinema])?;
    let bin = p.bin.as_ref().map(ToString::to_string).unwrap_or_default();
    let line = serde_json::json!({
        "schema": "ekino.ticket/1",
        "event_id": uuid::Uuid::new_v4().to_string(),
        "type": "void",
        "cinema_bin": bin,
        "occurred_at": s.clock.now().with_timezone(&schemas::time::kz_offset()).to_rfc3339_opts(chrono::SecondsFormat::Secs, false),
        "voids": voids,
        "reason": reason,
    })
    .to_string();
    upload(s, p, line.as_bytes()).await
}

/// A CSV upload (`schemas::event::csv`): a refused row keeps its own CSV text; an accepted
/// one is produced as the JSON object it reads as, like any other event.
pub async fn upload_csv(s: &AppState, p: &Principal, body: &[u8]) -> Result<UploadReply, ApiError> {
    require(p, &[Role::Cinema])?;
    let max = s.settings.upload_max_lines;
    let file =
        schemas::event::csv::read(body, max).map_err(|e| ApiError::bad("body", e.to_string()))?;
    if file.rows.is_empty() {
        return Err(ApiError::bad(
            "body",
            "has a header and no events (one ekino.ticket/1 event per row)",
        ));
    }
    judge(s, p, csv_lines(&file)).await
}

/// Checks each candidate at once (decode, and that it is the key's cinema), keeps the
/// refused ones, produces the others, and answers line by line.
async fn judge(
    s: &AppState,
    p: &Principal,
    candidates: Vec<Candidate<'_>>,
) -> Result<UploadReply, ApiError> {
    let producer = s
        .producer
        .as_ref()
        .ok_or_else(|| ApiError::Unavailable("no broker configured".into()))?;
    // Judged as ingest will judge it: its clock (`[reporting]`) and its age limit.
    let checks = schemas::event::Checks {
        now: s.clock.now(),
        max_age_days: Some(s.reporting.max_event_age_days),
    };
    judge_with(
        s,
        p,
        candidates,
        producer,
        |json, bin| match schemas::event::decode_event(json, &checks) {
            Ok(e) if e.cinema_bin() != bin => Err(foreign()),
            Ok(e) => Ok(Named::Event(e.event_id().to_string())),
            Err(r) => Err(r),
        },
    )
    .await
}

/// The refusal of a line that names another cinema than the key's.
pub(crate) fn foreign() -> schemas::Rejection {
    schemas::Rejection::field(
        schemas::RejectReason::ForeignCinema,
        "cinema_bin",
        "is not the cinema of this key",
    )
}

/// Checks each candidate with `check` (given the key's cinema), keeps the refused ones in
/// `upload_rejects`, produces the others with `producer` keyed by the key's BIN, and answers
/// line by line. The ticket and the sessions uploads share it.
pub(crate) async fn judge_with(
    s: &AppState,
    p: &Principal,
    candidates: Vec<Candidate<'_>>,
    producer: &ingest::produce::TicketProducer,
    check: impl Fn(&[u8], &schemas::Bin) -> Result<Named, schemas::Rejection>,
) -> Result<UploadReply, ApiError> {
    let bin = p.bin.clone().ok_or(ApiError::NotFound)?;
    let now = s.clock.now();
    let upload_id = uuid::Uuid::new_v4().to_string();
    let max = s.settings.upload_max_lines;
    if candidates.len() > max {
        return Err(ApiError::bad("body", format!("has more than {max} lines, at most {max} are taken in one upload (api.upload_max_lines)")));
    }
    let mut lines = Vec::with_capacity(candidates.len());
    let mut to_send = Vec::new();
    // A partner's records are keyed by their partner id, everything else by the key's BIN.
    let mut keys: Vec<String> = Vec::new();
    let mut key = bin.to_string();
    let mut refused = Vec::new();
    for c in &candidates {
        let verdict = c
            .json
            .clone()
            .and_then(|json| check(&json, &bin).map(|named| (named, json)));
        match verdict {
            Ok((named, json)) => {
                let (event_id, screening_id, order_id) = match named {
                    Named::Event(id) => (Some(id), None, None),
                    Named::Session(id) => (None, Some(id), None),
                    Named::Order(partner, order) => {
                        key = partner;
                        (None, None, Some(order))
                    }
                };
                keys.push(std::mem::replace(&mut key, bin.to_string()));
                to_send.push(json);
                lines.push(LineResult {
                    line: c.line,
                    status: "accepted",
                    event_id,
                    screening_id,
                    order_id,
                    reason: None,
                    field: None,
                    message: None,
                });
            }
            Err(r) => {
                let row = schemas::storage::UploadRejectRow::new(
                    &r,
                    bin.as_str(),
                    &upload_id,
                    u32::try_from(c.line).unwrap_or(u32::MAX),
                    &p.key_id,
                    c.raw,
                    now,
                );
                refused.push(row);
                lines.push(LineResult {
                    line: c.line,
                    status: "rejected",
                    event_id: None,
                    screening_id: None,
                    order_id: None,
                    reason: Some(r.reason.code().into()),
                    field: r.field,
                    message: Some(r.message),
                });
            }
        }
    }
    // Kept before the reply: a refused line is never lost, even when none was produced.
    crate::reports::uploads::keep_rejects(&s.app, &refused).await?;
    let mut deliveries = Vec::with_capacity(to_send.len());
    for (json, key) in to_send.iter().zip(&keys) {
        deliveries.push(
            producer
                .enqueue(key.as_bytes(), json)
                .await
                .map_err(|e| ApiError::Unavailable(e.to_string()))?,
        );
    }
    for d in deliveries {
        match d.await {
            Ok(Ok(_)) => {}
            Ok(Err((e, _))) => {
                return Err(ApiError::Unavailable(format!(
                    "broker refused an event: {e}"
                )))
            }
            Err(_) => {
                return Err(ApiError::Unavailable(
                    "an event was dropped before delivery".into(),
                ))
            }
        }
    }
    let accepted = lines.iter().filter(|l| l.status == "accepted").count();
    Ok(UploadReply {
        upload_id,
        accepted,
        rejected: lines.len() - accepted,
        lines,
    })
}

/// 200 when at least one line was accepted; 422 when none was (the same per-line body, and
/// the rejected lines stored as always), so a client that reads only the status still sees
/// that nothing of its upload counts.
pub fn status_of(reply: &serde_json::Value) -> http::StatusCode {
    if reply["accepted"].as_u64() == Some(0) {
        http::StatusCode::UNPROCESSABLE_ENTITY
    } else {
        http::StatusCode::OK
    }
}
