//! `POST /v1/tickets`: NDJSON upload for cinemas without Kafka. Each line is checked at once
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

pub async fn upload(s: &AppState, p: &Principal, body: &[u8]) -> Result<UploadReply, ApiError> {
    require(p, &[Role::Cinema])?;
    let bin = p.bin.clone().ok_or(ApiError::NotFound)?;
    let producer = s.producer.as_ref().ok_or_else(|| ApiError::Unavailable("no broker configured".into()))?;
    let now = chrono::Utc::now();
    let upload_id = uuid::Uuid::new_v4().to_string();
    let raw_lines: Vec<(usize, &[u8])> = body
        .split(|b| *b == b'\n')
        .enumerate()
        .map(|(i, raw)| (i + 1, raw.strip_suffix(b"\r").unwrap_or(raw)))
        .filter(|(_, raw)| !raw.iter().all(u8::is_ascii_whitespace))
        .collect();
    if raw_lines.is_empty() {
        // An upload with nothing in it is most likely a client that lost its file.
        return Err(ApiError::bad("body", "has no events (one ekino.ticket/1 JSON object per line)"));
    }
    let max = s.settings.upload_max_lines;
    if raw_lines.len() > max {
        return Err(ApiError::bad("body", format!("has {} lines, at most {max} are taken in one upload (api.upload_max_lines)", raw_lines.len())));
    }
    let checks = schemas::event::Checks::live(now);
    let mut lines = Vec::with_capacity(raw_lines.len());
    let mut to_send = Vec::new();
    let mut refused = Vec::new();
    for (line, raw) in raw_lines {
        let verdict = match schemas::event::decode_event(raw, &checks) {
            Ok(e) if e.cinema_bin() != &bin => {
                Err(schemas::Rejection::field(schemas::RejectReason::ForeignCinema, "cinema_bin", "is not the cinema of this key"))
            }
            Ok(e) => Ok(e.event_id().to_string()),
            Err(r) => Err(r),
        };
        match verdict {
            Ok(event_id) => {
                to_send.push(raw);
                lines.push(LineResult { line, status: "accepted", event_id: Some(event_id), reason: None, field: None, message: None });
            }
            Err(r) => {
                let row = schemas::storage::UploadRejectRow::new(&r, bin.as_str(), &upload_id, u32::try_from(line).unwrap_or(u32::MAX), &p.key_id, raw, now);
                refused.push(row);
                lines.push(LineResult { line, status: "rejected", event_id: None, reason: Some(r.reason.code().into()), field: r.field, message: Some(r.message) });
            }
        }
    }
    // Kept before the reply: a refused line is never lost, even when none was produced.
    crate::reports::uploads::keep_rejects(&s.app, &refused).await?;
    let mut deliveries = Vec::with_capacity(to_send.len());
    for raw in &to_send {
        deliveries.push(producer.enqueue(bin.as_str().as_bytes(), raw).await.map_err(|e| ApiError::Unavailable(e.to_string()))?);
    }
    for d in deliveries {
        match d.await {
            Ok(Ok(_)) => {}
            Ok(Err((e, _))) => return Err(ApiError::Unavailable(format!("broker refused an event: {e}"))),
            Err(_) => return Err(ApiError::Unavailable("an event was dropped before delivery".into())),
        }
    }
    let accepted = lines.iter().filter(|l| l.status == "accepted").count();
    Ok(UploadReply { upload_id, accepted, rejected: lines.len() - accepted, lines })
}

/// 200 when at least one line was accepted; 422 when none was (the same per-line body, and
/// the rejected lines stored as always), so a client that reads only the status still sees
/// that nothing of its upload counts.
pub fn status_of(reply: &serde_json::Value) -> warp::http::StatusCode {
    if reply["accepted"].as_u64() == Some(0) {
        warp::http::StatusCode::UNPROCESSABLE_ENTITY
    } else {
        warp::http::StatusCode::OK
    }
}
