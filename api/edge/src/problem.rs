//! An [`ApiError`] as a response, and the one `recover` for every rejection.
//!
//! The status and the problem document are the core's ([`ApiError::status`],
//! [`ApiError::problem`]); this file only writes them in HTTP, with `Retry-After` where the
//! caller is told to wait.

use std::convert::Infallible;

use api_core::error::ApiError;
use warp::reply::Response;
use warp::{Rejection, Reply};

/// An [`ApiError`] carried through warp as a rejection (warp's `Reject` is implemented here,
/// on a type of this crate, so that the core needs no warp).
#[derive(Debug)]
pub struct Refused(pub ApiError);

impl warp::reject::Reject for Refused {}

/// A request whose path a route answers, with another method: the 405 of last resort, found
/// only when no route refused the request for a reason of its own (no key, a rate limit), as
/// warp's own method filters are.
#[derive(Debug)]
pub struct WrongMethod;

impl warp::reject::Reject for WrongMethod {}

/// Rejects with `e`; [`recover`] turns it into its problem response.
pub fn reject(e: ApiError) -> Rejection {
    warp::reject::custom(Refused(e))
}

/// `e` as its `application/problem+json` response.
pub fn reply(e: ApiError) -> Response {
    let status = e.status();
    let mut resp =
        warp::reply::with_status(warp::reply::json(&e.problem()), status).into_response();
    resp.headers_mut().insert(
        "content-type",
        "application/problem+json".parse().expect("header"),
    );
    if let ApiError::TooManyRequests { retry_after_secs } | ApiError::Busy { retry_after_secs } = e
    {
        resp.headers_mut().insert(
            "retry-after",
            retry_after_secs.to_string().parse().expect("header"),
        );
    }
    resp
}

/// Turns every rejection into the one error shape.
pub async fn recover(r: Rejection) -> Result<Response, Infallible> {
    let e = if let Some(Refused(e)) = r.find::<Refused>() {
        e.clone()
    } else if r.find::<WrongMethod>().is_some() {
        ApiError::MethodNotAllowed
    } else if r.is_not_found() {
        ApiError::NotFound
    } else if r.find::<warp::reject::PayloadTooLarge>().is_some() {
        ApiError::PayloadTooLarge
    } else if let Some(e) = r.find::<warp::filters::body::BodyDeserializeError>() {
        ApiError::bad("body", e.to_string())
    } else if r.find::<warp::reject::MethodNotAllowed>().is_some() {
        ApiError::MethodNotAllowed
    } else if r.find::<warp::reject::LengthRequired>().is_some() {
        ApiError::bad("content-length", "is required")
    } else if let Some(e) = r.find::<warp::reject::InvalidHeader>() {
        ApiError::bad("header", e.to_string())
    } else {
        ApiError::Internal(format!("unhandled rejection: {r:?}"))
    };
    Ok(reply(e))
}

#[cfg(test)]
mod tests {
    use super::*;
    use warp::Filter;

    /// The response carries the core's status and document, and the wait a client is told.
    #[tokio::test]
    async fn a_refusal_is_its_problem_document_with_retry_after() {
        let resp = reply(ApiError::TooManyRequests {
            retry_after_secs: 7,
        });
        assert_eq!(resp.status().as_u16(), 429);
        assert_eq!(resp.headers()["retry-after"], "7");
        assert_eq!(resp.headers()["content-type"], "application/problem+json");
        let r = warp::test::request()
            .reply(
                &warp::any()
                    .and_then(|| async {
                        Err::<Response, _>(reject(ApiError::bad("date", "must be YYYY-MM-DD")))
                    })
                    .recover(recover),
            )
            .await;
        let v: serde_json::Value = serde_json::from_slice(r.body()).unwrap();
        assert_eq!(
            (r.status().as_u16(), v["field"].as_str()),
            (400, Some("date"))
        );
    }
}
