//! Currencies, rates and the two rounding rules.

use std::fmt;

use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};

use crate::error::{EngineError, InputError, Reason};

/// An ISO 4217 code: three capital letters.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Currency(String);

impl Currency {
    pub fn parse(s: &str) -> Result<Self, String> {
        if s.len() == 3 && s.bytes().all(|b| b.is_ascii_uppercase()) {
            Ok(Self(s.to_owned()))
        } else {
            Err(format!(
                "must be a three-letter ISO 4217 code like \"KZT\", got {s:?}"
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn kzt() -> Self {
        Self("KZT".into())
    }
}

impl TryFrom<String> for Currency {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        Currency::parse(&s)
    }
}

impl From<Currency> for String {
    fn from(c: Currency) -> String {
        c.0
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A share or rate in `[0, 1]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "Decimal", into = "Decimal")]
pub struct Rate(Decimal);

impl Rate {
    pub const ZERO: Rate = Rate(Decimal::ZERO);

    pub fn new(d: Decimal) -> Result<Self, String> {
        if d < Decimal::ZERO || d > Decimal::ONE {
            Err(format!("must be between 0 and 1, got {d}"))
        } else {
            Ok(Self(d.normalize()))
        }
    }

    pub fn get(self) -> Decimal {
        self.0
    }

    /// Adds points, never past `max` (and never past 1).
    pub fn plus_capped(self, points: Decimal, max: Rate) -> Rate {
        Rate(
            (self.0 + points)
                .min(max.0)
                .min(Decimal::ONE)
                .max(Decimal::ZERO)
                .normalize(),
        )
    }
}

impl TryFrom<Decimal> for Rate {
    type Error = String;
    fn try_from(d: Decimal) -> Result<Self, String> {
        Rate::new(d)
    }
}

impl From<Rate> for Decimal {
    fn from(r: Rate) -> Decimal {
        r.0
    }
}

impl fmt::Display for Rate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// Rounding of a converted line: half away from zero, 2 decimals.
pub fn round_line(d: Decimal) -> Decimal {
    d.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero)
}

/// Rounding of a rebate: down to a whole currency unit (a rebate is never rounded up).
pub fn round_rebate(d: Decimal) -> Decimal {
    d.round_dp_with_strategy(0, RoundingStrategy::ToZero)
}

/// The largest amount a claim line or budget may carry (10^15 units): far above any film,
/// and small enough that every product in the engine fits in a `Decimal`.
pub fn max_amount() -> Decimal {
    Decimal::from(1_000_000_000_000_000i64)
}

/// Parses a non-negative decimal string with at most 2 decimals, naming `field` on error.
pub fn parse_amount(field: &str, s: &str) -> Result<Decimal, InputError> {
    let d: Decimal = s
        .parse()
        .map_err(|_| InputError::new(field, Reason::NotDecimal { got: s.to_owned() }))?;
    if d.is_sign_negative() {
        return Err(InputError::new(field, Reason::Negative));
    }
    if d.scale() > 2 && d.normalize().scale() > 2 {
        return Err(InputError::new(field, Reason::TooManyDecimals));
    }
    if d > max_amount() {
        return Err(InputError::new(
            field,
            Reason::TooLarge {
                max: max_amount().to_string(),
            },
        ));
    }
    Ok(d)
}

pub fn checked_mul(a: Decimal, b: Decimal) -> Result<Decimal, EngineError> {
    a.checked_mul(b).ok_or(EngineError::Overflow(a))
}

pub fn checked_add(a: Decimal, b: Decimal) -> Result<Decimal, EngineError> {
    a.checked_add(b).ok_or(EngineError::Overflow(a))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn rounding_rules() {
        assert_eq!(round_line(dec!(1.005)), dec!(1.01));
        assert_eq!(round_line(dec!(-1.005)), dec!(-1.01));
        assert_eq!(round_line(dec!(1.004)), dec!(1.00));
        assert_eq!(round_rebate(dec!(99.99)), dec!(99));
    }

    #[test]
    fn rates_are_bounded() {
        assert!(Rate::new(dec!(1.01)).is_err());
        assert!(Rate::new(dec!(-0.01)).is_err());
        let r = Rate::new(dec!(0.25)).unwrap();
        assert_eq!(
            r.plus_capped(dec!(0.10), Rate::new(dec!(0.30)).unwrap())
                .get(),
            dec!(0.30)
        );
    }

    #[test]
    fn amounts_name_their_field() {
        assert_eq!(
            parse_amount("lines[0].amount", "-5").unwrap_err().field,
            "lines[0].amount"
        );
        assert!(parse_amount("x", "1.234").is_err());
        assert_eq!(parse_amount("x", "1.50").unwrap(), dec!(1.50));
        assert!(Currency::parse("usd").is_err());
    }
}

#[cfg(feature = "openapi")]
mod openapi {
    use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};
    use utoipa::openapi::RefOr;

    impl utoipa::PartialSchema for super::Currency {
        fn schema() -> RefOr<Schema> {
            ObjectBuilder::new()
                .schema_type(Type::String)
                .pattern(Some("^[A-Z]{3}$"))
                .description(Some("ISO 4217 currency code"))
                .into()
        }
    }
    impl utoipa::ToSchema for super::Currency {}

    impl utoipa::PartialSchema for super::Rate {
        fn schema() -> RefOr<Schema> {
            ObjectBuilder::new()
                .schema_type(Type::String)
                .pattern(Some(r"^[0-9]+(\.[0-9]+)?$"))
                .description(Some("a rate between 0 and 1, a decimal string"))
                .into()
        }
    }
    impl utoipa::ToSchema for super::Rate {}
}
