//! The one place errors become HTTP statuses, and the one error shape:
//! `application/problem+json` with `type`, `title`, `status`, `detail`, and for a 400 the
//! `field` and `reason`. Warp's own rejections are mapped to the same shape by [`recover`].

use std::convert::Infallible;

use serde::Serialize;
use warp::http::StatusCode;
use warp::reply::Response;
use warp::Reply;

use crate::reports::ReportError;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApiError {
    #[error("{field}: {reason}")]
    BadRequest { field: String, reason: String },
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
    #[error("internal error")]
    Internal(String),
}

impl ApiError {
    pub fn bad(field: impl Into<String>, reason: impl Into<String>) -> Self {
        ApiError::BadRequest { field: field.into(), reason: reason.into() }
    }

    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::BadRequest { .. } => StatusCode::BAD_REQUEST,
            ApiError::Unauthorized => StatusCode::UNAUTHORIZED,
            ApiError::NotFound => StatusCode::NOT_FOUND,
            ApiError::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::Unavailable(_) | ApiError::Busy { .. } => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn kind(&self) -> &'static str {
        match self {
            ApiError::BadRequest { .. } => "bad-request",
            ApiError::Unauthorized => "unauthorized",
            ApiError::NotFound => "not-found",
            ApiError::TooManyRequests { .. } => "rate-limited",
            ApiError::PayloadTooLarge => "payload-too-large",
            ApiError::Conflict(_) => "conflict",
            ApiError::Unavailable(_) => "unavailable",
            ApiError::Busy { .. } => "busy",
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
            ReportError::Overflow => ApiError::Internal("sum overflowed".into()),
        }
    }
}

impl From<rebate_engine::EngineError> for ApiError {
    fn from(e: rebate_engine::EngineError) -> Self {
        use rebate_engine::EngineError as E;
        match e {
            E::Input(i) => ApiError::bad(i.field, i.reason),
            E::UnknownProgramme(p) => ApiError::bad("programme", format!("unknown programme {p}")),
            other => ApiError::bad("claim", other.to_string()),
        }
    }
}

#[derive(Serialize)]
struct Problem<'a> {
    #[serde(rename = "type")]
    kind: String,
    title: &'a str,
    status: u16,
    detail: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    field: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<&'a str>,
}

impl Reply for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        if let ApiError::Internal(why) = &self {
            tracing::error!(error = %why, "internal error");
        }
        let (field, reason) = match &self {
            ApiError::BadRequest { field, reason } => (Some(field.as_str()), Some(reason.as_str())),
            _ => (None, None),
        };
        let body = Problem {
            kind: format!("https://ekino.kz/problems/{}", self.kind()),
            title: status.canonical_reason().unwrap_or("error"),
            status: status.as_u16(),
            detail: self.to_string(),
            field,
            reason,
        };
        let mut resp = warp::reply::with_status(warp::reply::json(&body), status).into_response();
        resp.headers_mut().insert("content-type", "application/problem+json".parse().expect("header"));
        if let ApiError::TooManyRequests { retry_after_secs } | ApiError::Busy { retry_after_secs } = self {
            resp.headers_mut().insert("retry-after", retry_after_secs.to_string().parse().expect("header"));
        }
        resp
    }
}

impl warp::reject::Reject for ApiError {}

/// Turns every rejection into the one error shape.
pub async fn recover(r: warp::Rejection) -> Result<Response, Infallible> {
    let e = if let Some(e) = r.find::<ApiError>() {
        e.clone()
    } else if r.is_not_found() {
        ApiError::NotFound
    } else if r.find::<warp::reject::PayloadTooLarge>().is_some() {
        ApiError::PayloadTooLarge
    } else if let Some(e) = r.find::<warp::filters::body::BodyDeserializeError>() {
        ApiError::bad("body", e.to_string())
    } else if r.find::<warp::reject::MethodNotAllowed>().is_some() {
        ApiError::NotFound
    } else if r.find::<warp::reject::LengthRequired>().is_some() {
        ApiError::bad("content-length", "is required")
    } else if let Some(e) = r.find::<warp::reject::InvalidHeader>() {
        ApiError::bad("header", e.to_string())
    } else {
        ApiError::Internal(format!("unhandled rejection: {r:?}"))
    };
    Ok(e.into_response())
}
