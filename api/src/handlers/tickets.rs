//! `POST /v1/tickets`: NDJSON upload for cinemas without Kafka. Each line is validated; a valid
//! line with the caller's own BIN is produced to the ticket topic (ingest then stores it like
//! any other event, so duplicates collapse the same way). A line that fails validation is also
//! produced, so the rejected store keeps it with its reason; a line with another cinema's BIN is
//! refused here and not produced.

use serde::Serialize;

use super::{require, ApiError};
use crate::auth::{Principal, Role};
use crate::state::AppState;

#[derive(Debug, Serialize, PartialEq, Eq)]
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

#[derive(Debug, Serialize)]
pub struct UploadReply {
    pub accepted: usize,
    pub rejected: usize,
    pub lines: Vec<LineResult>,
}

pub async fn upload(s: &AppState, p: &Principal, body: &[u8]) -> Result<UploadReply, ApiError> {
    require(p, &[Role::Cinema])?;
    let bin = p.bin.clone().ok_or(ApiError::NotFound)?;
    let producer = s.producer.as_ref().ok_or_else(|| ApiError::Unavailable("no broker configured".into()))?;
    let now = chrono::Utc::now();
    let mut lines = Vec::new();
    for (i, raw) in body.split(|b| *b == b'\n').enumerate() {
        let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
        if raw.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let line = i + 1;
        let result = match schemas::event::decode(raw, now) {
            Ok(e) if e.cinema_bin != bin => LineResult {
                line,
                status: "rejected",
                event_id: Some(e.event_id.to_string()),
                reason: Some("foreign_cinema".into()),
                field: Some("cinema_bin".into()),
                message: Some("cinema_bin: is not the cinema of this key".into()),
            },
            Ok(e) => {
                producer.send(bin.as_str().as_bytes(), raw).await.map_err(|e| ApiError::Unavailable(e.to_string()))?;
                LineResult { line, status: "accepted", event_id: Some(e.event_id.to_string()), reason: None, field: None, message: None }
            }
            Err(r) => {
                // Kept: ingest refuses it again with the same reason and stores it.
                producer.send(bin.as_str().as_bytes(), raw).await.map_err(|e| ApiError::Unavailable(e.to_string()))?;
                LineResult { line, status: "rejected", event_id: None, reason: Some(r.reason.code().into()), field: r.field, message: Some(r.message) }
            }
        };
        lines.push(result);
    }
    let accepted = lines.iter().filter(|l| l.status == "accepted").count();
    Ok(UploadReply { accepted, rejected: lines.len() - accepted, lines })
}
