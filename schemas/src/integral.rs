//! Whole numbers in JSON bodies as JSON Schema counts them: `285` and `285.0` are the same
//! integer (a generated client, or a number that passed through a spreadsheet or JavaScript,
//! may write either), while `285.5`, `-1` and anything beyond the field's type are refused
//! with a reason. Only the bodies' counts use this; event fields keep their strict forms.

use serde::de::Error;
use serde::{Deserialize, Deserializer};

/// The largest float that still holds every integer below it exactly (2^53).
const EXACT_FLOAT: f64 = 9_007_199_254_740_992.0;

/// A non-negative whole number that fits `T`.
pub fn unsigned<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: TryFrom<u64>,
{
    let n = serde_json::Number::deserialize(d)?;
    let whole = match (n.as_u64(), n.as_i64(), n.as_f64()) {
        (Some(u), _, _) => u,
        (None, Some(_), _) => {
            return Err(D::Error::custom(format!("must not be negative, got {n}")))
        }
        (None, None, Some(f)) if f.fract() == 0.0 && (0.0..=EXACT_FLOAT).contains(&f) => f as u64,
        _ => return Err(D::Error::custom(format!("must be a whole number, got {n}"))),
    };
    T::try_from(whole).map_err(|_| D::Error::custom(format!("is too large, got {n}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Deserialize)]
    struct Halls {
        #[serde(deserialize_with = "unsigned")]
        halls: u16,
    }

    fn halls(json: &str) -> Result<u16, String> {
        serde_json::from_str::<Halls>(json)
            .map(|h| h.halls)
            .map_err(|e| e.to_string())
    }

    #[test]
    fn integral_floats_are_integers_and_nothing_else_is() {
        assert_eq!(halls(r#"{"halls": 285}"#), Ok(285));
        assert_eq!(halls(r#"{"halls": 285.0}"#), Ok(285));
        assert_eq!(halls(r#"{"halls": 2.85e2}"#), Ok(285));
        assert_eq!(halls(r#"{"halls": 0}"#), Ok(0));
        for (json, why) in [
            (r#"{"halls": 285.5}"#, "whole number"),
            (r#"{"halls": -1}"#, "negative"),
            (r#"{"halls": -1.0}"#, "whole number"),
            (r#"{"halls": 65536}"#, "too large"),
            (r#"{"halls": 1e300}"#, "whole number"),
            (r#"{"halls": "3"}"#, "invalid type"),
        ] {
            let e = halls(json).unwrap_err();
            assert!(e.contains(why), "{json}: {e}");
        }
    }
}
