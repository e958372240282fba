//! Money in tenge, held as integer tiyn (1 KZT = 100 tiyn), and VAT rates.
//!
//! Rounding rule (the only one in ekino's box-office code): [`ROUNDING`], half away from
//! zero, applied once per ticket when its net-of-VAT amount is derived. Totals are sums of
//! already-rounded integers, so a total is always equal to the sum of its rows.

use std::fmt;

use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};
use thiserror::Error;

/// The one rounding rule for money and for every ratio a report shows: half away from zero.
pub const ROUNDING: RoundingStrategy = RoundingStrategy::MidpointAwayFromZero;

/// `a / b` rounded to `dp` decimals by [`ROUNDING`]; `None` when `b` is 0. Every ratio in a
/// report (shares, refund rates, recoupment) goes through here.
pub fn ratio(a: i64, b: i64, dp: u32) -> Option<Decimal> {
    (b != 0).then(|| (Decimal::from(a) / Decimal::from(b)).round_dp_with_strategy(dp, ROUNDING))
}

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum MoneyError {
    #[error("must be a decimal string like \"2500\" or \"2500.50\"")]
    NotDecimal,
    #[error("has more than {max} decimal places")]
    TooPrecise { max: u32 },
    #[error("must be between {min} and {max}")]
    OutOfRange { min: String, max: String },
}

/// An amount of tenge with tiyn precision. Signed, because totals net refunds off sales.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Kzt(i64);

impl Kzt {
    pub const ZERO: Kzt = Kzt(0);

    pub const fn from_tiyn(tiyn: i64) -> Self {
        Self(tiyn)
    }

    pub const fn tiyn(self) -> i64 {
        self.0
    }

    /// Parses a non-negative decimal string with at most two decimals: `"2500"`, `"2500.5"`.
    /// Signs, exponents, separators and spaces are refused: a payment amount has one spelling.
    pub fn parse(s: &str) -> Result<Self, MoneyError> {
        let tiyn = i64::try_from(scaled_integer(s, 2)?).map_err(|_| MoneyError::OutOfRange {
            min: "0".into(),
            max: i64::MAX.to_string(),
        })?;
        Ok(Self(tiyn))
    }

    pub fn to_decimal(self) -> Decimal {
        Decimal::new(self.0, 2)
    }

    pub fn checked_add(self, other: Kzt) -> Option<Kzt> {
        self.0.checked_add(other.0).map(Kzt)
    }
}

impl fmt::Display for Kzt {
    /// Always two decimals, `"2500.00"`, so that money reads the same everywhere.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.to_decimal())
    }
}

impl Serialize for Kzt {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Kzt {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        Kzt::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// Checks the spelling `digits[.digits]`: at most 18 integer digits and `max_scale` decimals.
fn plain_decimal_parts(s: &str, max_scale: u32) -> Result<(&str, &str), MoneyError> {
    let (int, frac) = match s.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (s, None),
    };
    let digits_only = |p: &str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit());
    if !digits_only(int) || frac.is_some_and(|f| !digits_only(f)) || int.len() > 18 {
        return Err(MoneyError::NotDecimal);
    }
    if frac.is_some_and(|f| f.len() > max_scale as usize) {
        return Err(MoneyError::TooPrecise { max: max_scale });
    }
    Ok((int, frac.unwrap_or("")))
}

/// Parses `digits[.digits]` with at most `max_scale` decimals, nothing else.
pub fn parse_plain_decimal(s: &str, max_scale: u32) -> Result<Decimal, MoneyError> {
    plain_decimal_parts(s, max_scale)?;
    s.parse::<Decimal>().map_err(|_| MoneyError::NotDecimal)
}

/// The same spelling as [`parse_plain_decimal`], as an integer count of `10^-scale` units
/// (`"2500.5"` at scale 2 is 250050). Exact: no decimal type on the per-ticket path.
pub fn scaled_integer(s: &str, scale: u32) -> Result<u128, MoneyError> {
    let (int, frac) = plain_decimal_parts(s, scale)?;
    let digits = |p: &str| {
        p.bytes()
            .fold(0u128, |acc, b| acc * 10 + u128::from(b - b'0'))
    };
    // At most 18 + `scale` digits: far inside u128.
    Ok(digits(int) * 10u128.pow(scale) + digits(frac) * 10u128.pow(scale - frac.len() as u32))
}

/// A VAT rate in `[0, 1)` with at most four decimals, held in basis points of a percent
/// (1/10,000): `0.16` is 1600. The rate belongs to the ticket (cinema and date), not to code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct VatRate(u32);

impl VatRate {
    pub const SCALE: u32 = 10_000;

    pub fn parse(s: &str) -> Result<Self, MoneyError> {
        let units = scaled_integer(s, 4)?;
        if units >= u128::from(Self::SCALE) {
            return Err(MoneyError::OutOfRange {
                min: "0".into(),
                max: "below 1".into(),
            });
        }
        Ok(Self(units as u32))
    }

    pub const fn from_units(units: u32) -> Self {
        Self(units)
    }

    pub const fn units(self) -> u32 {
        self.0
    }

    pub fn to_decimal(self) -> Decimal {
        Decimal::new(i64::from(self.0), 4).normalize()
    }

    /// The amount without VAT: `gross / (1 + rate)`, rounded by [`ROUNDING`] to the tiyn.
    pub fn net_of(self, gross: Kzt) -> Kzt {
        let num = i128::from(gross.tiyn()) * i128::from(Self::SCALE);
        let den = i128::from(Self::SCALE + self.0);
        // |net| <= |gross| because den >= SCALE, so the conversion cannot overflow.
        Kzt(i64::try_from(div_round(num, den)).expect("net of vat is bounded by gross"))
    }
}

/// `num / den` rounded by [`ROUNDING`] (half away from zero), in exact integers; `den > 0`.
/// The per-ticket path divides once per event, so it avoids the decimal type; the
/// `div_round_matches_decimal` property test holds it to the decimal computation.
pub fn div_round(num: i128, den: i128) -> i128 {
    let (q, r) = (num / den, num % den);
    if 2 * r.abs() >= den {
        q + num.signum()
    } else {
        q
    }
}

impl fmt::Display for VatRate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.to_decimal())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rust_decimal::prelude::ToPrimitive;

    #[test]
    fn ratios_round_half_away_from_zero() {
        // (a, b, dp, expected): the halves go away from zero, never to the even digit.
        let table = [
            (1, 8, 2, "0.13"),
            (3, 8, 2, "0.38"),
            (5, 8, 2, "0.63"),
            (-1, 8, 2, "-0.13"),
            (1, 3, 4, "0.3333"),
            (2, 3, 4, "0.6667"),
            (5, 10_000, 3, "0.001"),
            (25, 100_000, 4, "0.0003"),
        ];
        for (a, b, dp, want) in table {
            assert_eq!(
                ratio(a, b, dp).unwrap().to_string(),
                want,
                "{a}/{b} to {dp}"
            );
        }
        assert_eq!(ratio(1, 0, 4), None);
    }

    #[test]
    fn parse_kzt_table() {
        let ok = [
            ("0", 0),
            ("2500", 250_000),
            ("2500.5", 250_050),
            ("2500.05", 250_005),
            ("1000000", 100_000_000),
        ];
        for (s, tiyn) in ok {
            assert_eq!(Kzt::parse(s), Ok(Kzt::from_tiyn(tiyn)), "{s}");
        }
        for s in [
            "", "-1", "+1", "1e3", "1,5", " 1", "1.", ".5", "1.234", "NaN", "1_000",
        ] {
            assert!(Kzt::parse(s).is_err(), "{s} must be refused");
        }
        assert_eq!(Kzt::parse("1.234"), Err(MoneyError::TooPrecise { max: 2 }));
    }

    #[test]
    fn display_has_two_decimals() {
        assert_eq!(Kzt::from_tiyn(250_000).to_string(), "2500.00");
        assert_eq!(Kzt::from_tiyn(-5).to_string(), "-0.05");
    }

    #[test]
    fn vat_table() {
        let r = VatRate::parse("0.16").unwrap();
        assert_eq!(r.units(), 1600);
        // 2500.00 / 1.16 = 2155.172.. -> 2155.17
        assert_eq!(r.net_of(Kzt::from_tiyn(250_000)), Kzt::from_tiyn(215_517));
        // 0.58 / 1.16 = 0.5 exactly; 1.74 / 1.16 = 1.5 exactly
        assert_eq!(r.net_of(Kzt::from_tiyn(58)), Kzt::from_tiyn(50));
        // 0.01 / 1.12 = 0.0089 -> 0.01 (half away from zero keeps a tiyn)
        assert_eq!(
            VatRate::parse("0.12").unwrap().net_of(Kzt::from_tiyn(1)),
            Kzt::from_tiyn(1)
        );
        assert_eq!(
            VatRate::parse("0").unwrap().net_of(Kzt::from_tiyn(12345)),
            Kzt::from_tiyn(12345)
        );
        assert!(VatRate::parse("1").is_err());
        assert!(VatRate::parse("0.12345").is_err());
        assert_eq!(VatRate::parse("0.1600").unwrap().to_string(), "0.16");
    }

    proptest! {
        #[test]
        fn net_never_exceeds_gross(tiyn in 0i64..=100_000_000, units in 0u32..10_000) {
            let net = VatRate::from_units(units).net_of(Kzt::from_tiyn(tiyn));
            prop_assert!(net.tiyn() <= tiyn);
            prop_assert!(net.tiyn() >= 0);
        }

        #[test]
        fn div_round_matches_decimal(num in -10_000_000_000_000i64..10_000_000_000_000, den in 1i64..100_000) {
            let d = (Decimal::from(num) / Decimal::from(den)).round_dp_with_strategy(0, ROUNDING).to_i128().unwrap();
            prop_assert_eq!(div_round(i128::from(num), i128::from(den)), d);
        }

        #[test]
        fn integer_parse_matches_decimal(int in 0u64..1_000_000_000_000_000, frac in 0u32..100, scale in 0usize..3) {
            let s = if scale == 0 { int.to_string() } else { format!("{int}.{:0w$}", frac % 10u32.pow(scale as u32), w = scale) };
            let d = parse_plain_decimal(&s, 2).unwrap() * Decimal::ONE_HUNDRED;
            prop_assert_eq!(scaled_integer(&s, 2).unwrap(), d.to_u128().unwrap());
        }

        #[test]
        fn kzt_display_round_trips(tiyn in 0i64..=100_000_000) {
            let k = Kzt::from_tiyn(tiyn);
            prop_assert_eq!(Kzt::parse(&k.to_string()), Ok(k));
        }
    }
}
