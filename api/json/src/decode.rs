//! Request bodies read at the JSON edge, once, into the typed inputs the core's use cases take.
//!
//! A JSON body is read by the engine's reader (`rebate_engine::claim::from_json`), so a
//! refusal names the JSON path at fault (`claim.lines[2].amount`) with a stable reason code;
//! the web face reads its forms into the same types itself (`api_web::pages`), so a form's
//! refusal names the form's field, never a JSON field the form does not have.

use api_core::error::ApiError;
use serde::de::DeserializeOwned;

/// The body as JSON of type `T`.
pub fn json<T: DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    let text =
        std::str::from_utf8(body).map_err(|_| ApiError::bad("body", "must be UTF-8 JSON"))?;
    rebate_engine::claim::from_json(text).map_err(ApiError::from)
}

/// The body as UTF-8 text; `what` says what it must be (`UTF-8 CSV: date,currency,kzt`).
pub fn text<'a>(body: &'a [u8], what: &str) -> Result<&'a str, ApiError> {
    std::str::from_utf8(body).map_err(|_| ApiError::bad("body", format!("must be {what}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Body {
        #[allow(dead_code)]
        amount: String,
    }

    #[test]
    fn a_refusal_names_the_json_path_and_the_reason() {
        let field = |b: &[u8]| match json::<Body>(b) {
            Err(ApiError::Invalid { field, .. }) | Err(ApiError::BadRequest { field, .. }) => field,
            other => panic!("refused as {other:?}"),
        };
        assert_eq!(field(br#"{"amount": 5}"#), "amount");
        assert_eq!(field(br#"{"amount": "5", "x": 1}"#), "x");
        assert_eq!(field(b"\xff"), "body");
        assert!(json::<Body>(br#"{"amount": "5"}"#).is_ok());
        assert!(text(b"\xff", "UTF-8 CSV").is_err());
    }
}
