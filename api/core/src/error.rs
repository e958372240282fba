//! The one place errors become HTTP statuses, and the one error shape:
//! `application/problem+json` with `type`, `title`, `status`, `detail`, and for a 400 the
//! `field` and `reason`. The edge (`api_edge::problem`) writes it as a response, and maps
//! warp's own rejections to the same shape.

use http::StatusCode;
use serde::Serialize;

use crate::reports::ReportError;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApiError {
    #[error("{field}: {reason}")]
    BadRequest { field: String, reason: String },
    /// Well-formed, but the rules or the reference data cannot compute it (no programme
    /// version in force on the date, no exchange rate, no MCI for the year): 422.
    #[error("{field}: {reason}")]
    Unprocessable { field: String, reason: String },
    /// What the rebate engine refused, with its stable code: a 400 when the input is
    /// malformed, a 422 when the rules or the reference data cannot compute it. The problem
    /// carries `code` and `params` besides the English `reason`, and pages translate them.
    #[error("{field}: {reason}")]
    Invalid {
        field: String,
        reason: rebate_engine::Reason,
    },
    #[error("a valid api key is required (Authorization: Bearer <key>)")]
    Unauthorized,
    /// Also what a caller gets for data outside its scope: no existence leak.
    #[error("not found")]
    NotFound,
    #[error("rate limit exceeded")]
    TooManyRequests { retry_after_secs: u64 },
    #[error("request body larger than this route accepts (api.body_limit_bytes, or api.upload_limit_bytes for ticket upload)")]
    PayloadTooLarge,
    #[error("{0}")]
    Conflict(String),
    #[error("storage unavailable: {0}")]
    Unavailable(String),
    #[error("the server is busy with other computations; retry shortly")]
    Busy { retry_after_secs: u64 },
    #[error(
        "the audit log cannot be written now, so changes are refused until it can; reads go on"
    )]
    AuditFull,
    #[error("the request body did not arrive in time (api.body_timeout_ms)")]
    RequestTimeout,
    #[error("this path does not answer that method (see /openapi.json)")]
    MethodNotAllowed,
    #[error("internal error")]
    Internal(String),
}

impl ApiError {
    pub fn bad(field: impl Into<String>, reason: impl Into<String>) -> Self {
        ApiError::BadRequest {
            field: field.into(),
            reason: reason.into(),
        }
    }

    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::BadRequest { .. } => StatusCode::BAD_REQUEST,
            ApiError::Unprocessable { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::Invalid { reason, .. } if reason.is_unprocessable() => {
                StatusCode::UNPROCESSABLE_ENTITY
            }
            ApiError::Invalid { .. } => StatusCode::BAD_REQUEST,
            ApiError::Unauthorized => StatusCode::UNAUTHORIZED,
            ApiError::NotFound => StatusCode::NOT_FOUND,
            ApiError::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::RequestTimeout => StatusCode::REQUEST_TIMEOUT,
            ApiError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::Unavailable(_) | ApiError::Busy { .. } | ApiError::AuditFull => {
                StatusCode::SERVICE_UNAVAILABLE
            }
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    pub fn kind(&self) -> &'static str {
        match self {
            ApiError::Invalid { reason, .. } if reason.is_unprocessable() => "unprocessable",
            ApiError::BadRequest { .. } | ApiError::Invalid { .. } => "bad-request",
            ApiError::Unprocessable { .. } => "unprocessable",
            ApiError::Unauthorized => "unauthorized",
            ApiError::NotFound => "not-found",
            ApiError::TooManyRequests { .. } => "rate-limited",
            ApiError::PayloadTooLarge => "payload-too-large",
            ApiError::Conflict(_) => "conflict",
            ApiError::Unavailable(_) => "unavailable",
            ApiError::Busy { .. } => "busy",
            ApiError::AuditFull => "audit-unavailable",
            ApiError::RequestTimeout => "request-timeout",
            ApiError::MethodNotAllowed => "method-not-allowed",
            ApiError::Internal(_) => "internal",
        }
    }
}

impl From<ReportError> for ApiError {
    fn from(e: ReportError) -> Self {
        match e {
            ReportError::Invalid { field, reason } => ApiError::bad(field, reason),
            ReportError::Query(q) => {
                tracing::error!(error = %q, "report query failed");
                ApiError::Unavailable("the report store did not answer".into())
            }
            ReportError::Unprocessable { field, reason } => ApiError::Unprocessable {
                field: field.into(),
                reason,
            },
            ReportError::Overflow => ApiError::Internal("sum overflowed".into()),
        }
    }
}

impl From<rebate_engine::EngineError> for ApiError {
    fn from(e: rebate_engine::EngineError) -> Self {
        match e.reason() {
            Some((field, reason)) => ApiError::Invalid { field, reason },
            // A broken programme file is the server's fault, never the caller's.
            None => ApiError::Internal(e.to_string()),
        }
    }
}

impl From<rebate_engine::InputError> for ApiError {
    fn from(e: rebate_engine::InputError) -> Self {
        ApiError::Invalid {
            field: e.field,
            reason: e.reason,
        }
    }
}

/// The one error shape, `application/problem+json`.
#[derive(Debug, Serialize)]
pub struct Problem<'a> {
    #[serde(rename = "type")]
    kind: String,
    title: &'a str,
    status: u16,
    detail: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    field: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<String>,
    /// The reason's stable code (engine refusals): what a client translates, with `params`.
    #[serde(skip_serializing_if = "Option::is_none")]
    code: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    params: Option<serde_json::Map<String, serde_json::Value>>,
    /// For a 5xx: the id under which the log holds what went wrong (the reply never carries
    /// ClickHouse's or any internal text).
    #[serde(skip_serializing_if = "Option::is_none")]
    request_id: Option<String>,
}

impl ApiError {
    /// The problem document of this error (RFC 9457). A server fault is logged here under a
    /// fresh request id, which the document carries instead of the fault's own text.
    pub fn problem(&self) -> Problem<'_> {
        let status = self.status();
        let (field, reason) = match &self {
            ApiError::BadRequest { field, reason } | ApiError::Unprocessable { field, reason } => {
                (Some(field.as_str()), Some(reason.clone()))
            }
            ApiError::Invalid { field, reason } => (Some(field.as_str()), Some(reason.to_string())),
            _ => (None, None),
        };
        let (code, params) = match &self {
            ApiError::Invalid { reason, .. } => (
                Some(reason.code()),
                Some(
                    reason
                        .params()
                        .into_iter()
                        .map(|(k, v)| (k.to_owned(), serde_json::Value::String(v)))
                        .collect(),
                ),
            ),
            _ => (None, None),
        };
        // Server faults: the detail goes to the log under a request id, never into the reply.
        let (detail, request_id) = match &self {
            ApiError::Internal(why) | ApiError::Unavailable(why) => {
                let id = format!("{:016x}", rand::random::<u64>());
                tracing::error!(request_id = %id, kind = self.kind(), error = %why, "request failed on the server's side");
                let said = if matches!(self, ApiError::Internal(_)) {
                    "internal error"
                } else {
                    "the data store did not answer; try again shortly"
                };
                (format!("{said} (request id {id})"), Some(id))
            }
            other => (other.to_string(), None),
        };
        Problem {
            kind: format!("https://ekino.kz/problems/{}", self.kind()),
            title: status.canonical_reason().unwrap_or("error"),
            status: status.as_u16(),
            detail,
            field,
            reason,
            code,
            params,
            request_id,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn body(e: ApiError) -> (u16, serde_json::Value) {
        (
            e.status().as_u16(),
            serde_json::to_value(e.problem()).unwrap(),
        )
    }

    #[tokio::test]
    async fn server_faults_reply_with_a_request_id_and_never_the_store_text() {
        let secret = "Code: 60, e.displayText() = DB::Exception: Table ekino.api_audit doesn't exist, e.what() = DB::Exception";
        for e in [
            ApiError::Unavailable(secret.into()),
            ApiError::Internal(secret.into()),
        ] {
            let (status, v) = body(e).await;
            assert!(status >= 500);
            let text = v.to_string();
            assert!(
                !text.contains("DB::Exception") && !text.contains("api_audit"),
                "{text}"
            );
            let id = v["request_id"].as_str().unwrap();
            assert_eq!(id.len(), 16);
            assert!(v["detail"].as_str().unwrap().contains(id));
        }
        let (status, v) = body(ApiError::bad("date", "must be YYYY-MM-DD")).await;
        assert_eq!(
            (status, v["request_id"].is_null(), v["field"].as_str()),
            (400, true, Some("date"))
        );
    }

    /// A malformed request is a 400; a well-formed one the rules or reference data cannot
    /// compute is a 422; both name the field. A broken programme file is the server's fault.
    #[tokio::test]
    async fn engine_errors_map_to_statuses_by_whose_fault_they_are() {
        use rebate_engine::{EngineError as E, InputError, Reason};
        let day = chrono::NaiveDate::from_ymd_opt(2020, 1, 1).unwrap();
        let cases = [
            (
                E::Input(InputError::new("lines[0].amount", Reason::Negative)),
                400,
                Some("lines[0].amount"),
            ),
            (E::UnknownProgramme("xx".into()), 400, Some("programme")),
            (
                E::NoVersionInForce {
                    programme: "kz".into(),
                    date: day,
                },
                422,
                Some("as_of"),
            ),
            (
                E::MissingFx {
                    currency: "XAU".into(),
                    date: day,
                },
                422,
                Some("currency"),
            ),
            (
                E::MissingIndex {
                    index: "mci".into(),
                    year: 1990,
                },
                422,
                Some("claim"),
            ),
            (
                E::BadProgramme {
                    programme: "kz".into(),
                    reason: "no rate".into(),
                },
                500,
                None,
            ),
        ];
        for (e, want, field) in cases {
            let said = e.to_string();
            let (status, v) = body(ApiError::from(e)).await;
            assert_eq!((status, v["field"].as_str()), (want, field), "{said}: {v}");
            if want == 422 {
                assert_eq!(
                    v["reason"].as_str(),
                    Some(said.as_str()),
                    "the reason is the engine's words"
                );
            }
            if want < 500 {
                assert!(
                    v["code"].is_string() && v["params"].is_object(),
                    "{said}: a code to translate, with its params: {v}"
                );
            }
        }
    }
}
