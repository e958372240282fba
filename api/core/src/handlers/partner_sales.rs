//! `POST /v1/partner/sales`: an online ticket seller (a `partner` key, bound to its BIN) sends
//! its own records (`ekino.partner/1`) as NDJSON. Each line is decoded at once and must name a
//! partner the ministry registered with the key's BIN (else `foreign_partner`); the lines that
//! pass are produced to the partner topic keyed by their partner id, the others answered as
//! rejected and kept in `upload_rejects`, as cinemas' uploads are.

use clickhouse::Client;

use super::tickets::{judge_with, ndjson_lines, Named, UploadReply};
use super::{require, ApiError};
use crate::auth::{Principal, Role};
use crate::state::AppState;

/// The partner ids registered with `bin` (not removed). The `deleted` condition sits outside
/// the `FINAL` read, so an older version cannot come back through it.
async fn partners_of(app: &Client, bin: &str) -> Result<Vec<String>, ApiError> {
    Ok(app
        .query("SELECT partner_id FROM (SELECT partner_id, deleted FROM partners FINAL WHERE bin = ?) WHERE deleted = 0")
        .bind(bin)
        .fetch_all::<String>()
        .await
        .map_err(crate::reports::ReportError::from)?)
}

pub async fn upload(s: &AppState, p: &Principal, body: &[u8]) -> Result<UploadReply, ApiError> {
    require(p, &[Role::Partner])?;
    let bin = p.bin.as_ref().ok_or(ApiError::NotFound)?;
    let producer = s
        .partner_producer
        .as_ref()
        .ok_or_else(|| ApiError::Unavailable("no partner topic configured".into()))?;
    let mine = partners_of(&s.app, bin.as_str()).await?;
    let candidates = ndjson_lines(body);
    if candidates.is_empty() {
        return Err(ApiError::bad(
            "body",
            "has no records (one ekino.partner/1 object per line)",
        ));
    }
    judge_with(
        s,
        p,
        candidates,
        producer,
        |json, _| match schemas::partner::decode(json) {
            Ok(r) if !mine.contains(&r.partner_id) => Err(schemas::Rejection::field(
                schemas::RejectReason::ForeignPartner,
                "partner_id",
                "is not a partner the ministry registered with this key's BIN",
            )),
            Ok(r) => Ok(Named::Order(r.partner_id, r.order_id)),
            Err(r) => Err(r),
        },
    )
    .await
}
