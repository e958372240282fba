//! What every small JSON contract of ekino (`ekino.session/1`, `ekino.partner/1`) reads the
//! same way: one JSON object of known fields, within a size, carrying its contract's name in
//! `schema`; and its fields read by name, each refusal naming the field and the reason with
//! the ticket contract's codes. (The ticket contract has its own, faster decoder on the hot
//! path: `event::decode`.)

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

use crate::ids::bounded_text;
use crate::reject::{RejectReason as R, Rejection};

/// A contract's object: at most `max_bytes`, only `fields`, and `schema` equal to `contract`.
pub fn object(
    bytes: &[u8],
    max_bytes: usize,
    contract: &str,
    fields: &[&str],
) -> Result<Map<String, Value>, Rejection> {
    if bytes.len() > max_bytes {
        return Err(Rejection::new(
            R::TooLarge,
            None,
            format!(
                "message is {} bytes, a {contract} object may be at most {max_bytes}",
                bytes.len()
            ),
        ));
    }
    let map = match serde_json::from_slice::<Value>(bytes) {
        Ok(Value::Object(m)) => m,
        Ok(_) => {
            return Err(Rejection::new(
                R::Malformed,
                None,
                format!("not a JSON object of {contract}"),
            ))
        }
        Err(e) => return Err(Rejection::new(R::Malformed, None, format!("not JSON: {e}"))),
    };
    if let Some(unknown) = map.keys().find(|k| !fields.contains(&k.as_str())) {
        return Err(Rejection::field(
            R::UnknownField,
            unknown,
            format!("is not a field of {contract} (check the spelling)"),
        ));
    }
    let schema = string(&map, "schema")?;
    if schema != contract {
        return Err(Rejection::field(
            R::UnsupportedSchema,
            "schema",
            format!("must be {contract}, got {schema:?}"),
        ));
    }
    Ok(map)
}

/// A field that must be there (JSON `null` is absent).
pub fn required<'a>(map: &'a Map<String, Value>, field: &str) -> Result<&'a Value, Rejection> {
    match map.get(field) {
        None | Some(Value::Null) => Err(Rejection::field(R::MissingField, field, "is required")),
        Some(v) => Ok(v),
    }
}

pub fn string<'a>(map: &'a Map<String, Value>, field: &str) -> Result<&'a str, Rejection> {
    required(map, field)?
        .as_str()
        .ok_or_else(|| Rejection::field(R::Malformed, field, "must be a JSON string"))
}

/// 1..=`max` characters, no control characters (`invalid_text`).
pub fn text(map: &Map<String, Value>, field: &str, max: usize) -> Result<String, Rejection> {
    bounded_text(string(map, field)?, max)
        .map(str::to_owned)
        .map_err(|e| Rejection::field(R::InvalidText, field, e))
}

/// RFC 3339 with an offset (`invalid_timestamp`).
pub fn timestamp(map: &Map<String, Value>, field: &str) -> Result<DateTime<Utc>, Rejection> {
    DateTime::parse_from_rfc3339(string(map, field)?)
        .map(|t| t.to_utc())
        .map_err(|_| {
            Rejection::field(
                R::InvalidTimestamp,
                field,
                "must be RFC 3339 with an offset, e.g. 2026-11-22T19:30:00+05:00",
            )
        })
}
