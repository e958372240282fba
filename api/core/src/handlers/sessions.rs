//! `POST /v1/sessions`: a cinema declares its sessions (`ekino.session/1`) as NDJSON, or CSV
//! with the contract's fields as columns (`Content-Type: text/csv`, `schemas::declared::read_csv`).
//! Each line is decoded at once and must be the key's cinema; the lines that pass are produced
//! to the sessions topic keyed by the key's BIN (where ingest stores them as any declaration),
//! the others are answered as rejected and kept in `upload_rejects`, as ticket uploads are.

use super::tickets::{
    csv_lines, foreign, is_csv, judge_with, ndjson_lines, Candidate, Named, UploadReply,
};
use super::{require, ApiError};
use crate::auth::{Principal, Role};
use crate::state::AppState;

/// The body read as `content_type` says: CSV for `text/csv`, else NDJSON.
pub async fn upload_as(
    s: &AppState,
    p: &Principal,
    content_type: Option<&str>,
    body: &[u8],
) -> Result<UploadReply, ApiError> {
    require(p, &[Role::Cinema])?;
    let producer = s
        .sessions_producer
        .as_ref()
        .ok_or_else(|| ApiError::Unavailable("no sessions topic configured".into()))?;
    let file;
    let candidates: Vec<Candidate<'_>> = if is_csv(content_type) {
        file = schemas::declared::read_csv(body, s.settings.upload_max_lines)
            .map_err(|e| ApiError::bad("body", e.to_string()))?;
        csv_lines(&file)
    } else {
        ndjson_lines(body)
    };
    if candidates.is_empty() {
        return Err(ApiError::bad(
            "body",
            "has no sessions (one ekino.session/1 object per line, or a CSV row each)",
        ));
    }
    judge_with(
        s,
        p,
        candidates,
        producer,
        |json, bin| match schemas::declared::decode(json) {
            Ok(d) if &d.cinema_bin != bin => Err(foreign()),
            Ok(d) => Ok(Named::Session(d.screening_id)),
            Err(r) => Err(r),
        },
    )
    .await
}
