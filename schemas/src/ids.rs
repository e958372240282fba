//! Identifiers: business identification numbers, film certificates, event ids.

use std::fmt;

use serde::{Deserialize, Serialize};
use thiserror::Error;

/// Why an identifier did not parse.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum IdError {
    #[error("must be exactly 12 digits, got {len} characters")]
    BinLength { len: usize },
    #[error("must contain digits only")]
    BinNotDigits,
    #[error("check digit is {found}, expected {expected}")]
    BinCheckDigit { expected: u8, found: u8 },
    #[error("has no valid check digit (both weightings give 10)")]
    BinNoCheckDigit,
    #[error("must be 1 to {max} characters, got {len}")]
    Length { len: usize, max: usize },
    #[error("must not contain control characters")]
    Control,
    #[error("is not a uuid")]
    NotUuid,
}

/// A Kazakhstan business identification number: 12 digits, the last a check digit.
///
/// Check digit (domain.md): weights 1..11 over the first 11 digits, sum mod 11; when that is
/// 10, weights 3,4,5,6,7,8,9,10,11,1,2 mod 11; when that is 10 again the number is invalid.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Bin(String);

impl Bin {
    pub fn parse(s: &str) -> Result<Self, IdError> {
        if s.len() != 12 {
            return Err(IdError::BinLength {
                len: s.chars().count(),
            });
        }
        let mut digits = [0u8; 12];
        for (d, b) in digits.iter_mut().zip(s.bytes()) {
            *d = if b.is_ascii_digit() {
                b - b'0'
            } else {
                return Err(IdError::BinNotDigits);
            };
        }
        let expected = check_digit(&digits[..11]).ok_or(IdError::BinNoCheckDigit)?;
        if digits[11] != expected {
            return Err(IdError::BinCheckDigit {
                expected,
                found: digits[11],
            });
        }
        Ok(Self(s.to_owned()))
    }

    /// Completes an 11-digit prefix with its check digit; `None` when no check digit exists.
    pub fn from_prefix(prefix: &str) -> Option<Self> {
        if prefix.len() != 11 || !prefix.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let digits: Vec<u8> = prefix.bytes().map(|b| b - b'0').collect();
        let check = check_digit(&digits)?;
        Some(Self(format!("{prefix}{check}")))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

fn check_digit(first11: &[u8]) -> Option<u8> {
    const W1: [u32; 11] = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11];
    const W2: [u32; 11] = [3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2];
    let sum = |w: &[u32; 11]| {
        first11
            .iter()
            .zip(w)
            .map(|(&d, &w)| u32::from(d) * w)
            .sum::<u32>()
            % 11
    };
    match sum(&W1) {
        10 => match sum(&W2) {
            10 => None,
            c => Some(c as u8),
        },
        c => Some(c as u8),
    }
}

impl TryFrom<String> for Bin {
    type Error = IdError;
    fn try_from(s: String) -> Result<Self, IdError> {
        Bin::parse(&s)
    }
}

impl From<Bin> for String {
    fn from(b: Bin) -> String {
        b.0
    }
}

impl fmt::Display for Bin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Checks a free-text identifier: 1..=max characters, no control characters.
pub fn bounded_text(s: &str, max: usize) -> Result<&str, IdError> {
    let len = s.chars().count();
    if len == 0 || len > max {
        return Err(IdError::Length { len, max });
    }
    if s.chars().any(char::is_control) {
        return Err(IdError::Control);
    }
    Ok(s)
}

/// A film's Kazakhstan distribution certificate number (прокатное удостоверение), 1–32 chars.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct FilmId(String);

impl FilmId {
    pub const MAX_LEN: usize = 32;

    pub fn parse(s: &str) -> Result<Self, IdError> {
        bounded_text(s, Self::MAX_LEN).map(|s| Self(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for FilmId {
    type Error = IdError;
    fn try_from(s: String) -> Result<Self, IdError> {
        FilmId::parse(&s)
    }
}

impl From<FilmId> for String {
    fn from(f: FilmId) -> String {
        f.0
    }
}

impl fmt::Display for FilmId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A ticket event's id: a UUID, stored in its canonical lowercase hyphenated form so that
/// the same id sent in upper case is still the same event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EventId(uuid::Uuid);

impl EventId {
    pub fn parse(s: &str) -> Result<Self, IdError> {
        uuid::Uuid::try_parse(s)
            .map(Self)
            .map_err(|_| IdError::NotUuid)
    }

    pub fn from_uuid(u: uuid::Uuid) -> Self {
        Self(u)
    }

    pub fn uuid(&self) -> uuid::Uuid {
        self.0
    }
}

impl fmt::Display for EventId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.hyphenated().fmt(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bin_check_digit_table() {
        // Each prefix is completed by the rule and the result must parse; changing the last
        // digit must then fail with the expected check digit named.
        for prefix in [
            "99034000123",
            "12345678901",
            "00000000000",
            "87654321098",
            "05014000001",
        ] {
            let Some(bin) = Bin::from_prefix(prefix) else {
                continue;
            };
            assert_eq!(Bin::parse(bin.as_str()), Ok(bin.clone()));
            let last = bin.as_str().as_bytes()[11] - b'0';
            let wrong = format!("{prefix}{}", (last + 1) % 10);
            assert_eq!(
                Bin::parse(&wrong),
                Err(IdError::BinCheckDigit {
                    expected: last,
                    found: (last + 1) % 10
                })
            );
        }
    }

    #[test]
    fn bin_known_value() {
        // 1*0+2*0+3*0+4*0+5*0+6*0+7*0+8*0+9*0+10*0+11*1 = 11 -> 0
        assert!(Bin::parse("000000000010").is_ok());
        // weights 1..11 over 00000000009: 11*9=99 -> 0; check 0
        assert!(Bin::parse("000000000090").is_ok());
        assert_eq!(
            Bin::parse("00000000009"),
            Err(IdError::BinLength { len: 11 })
        );
        assert_eq!(Bin::parse("00000000009a"), Err(IdError::BinNotDigits));
    }

    #[test]
    fn bin_second_weighting() {
        // 00000000001x: first sum = 10*1 = 10 -> second weights: position 10 has weight 1 -> 1
        assert_eq!(
            Bin::from_prefix("00000000010").map(|b| b.0),
            Some("000000000101".into())
        );
    }

    #[test]
    fn text_bounds() {
        assert!(FilmId::parse("").is_err());
        assert!(FilmId::parse(&"x".repeat(33)).is_err());
        assert!(FilmId::parse(&"ы".repeat(32)).is_ok());
        assert_eq!(FilmId::parse("a\nb"), Err(IdError::Control));
    }

    #[test]
    fn event_id_is_canonical() {
        let a = EventId::parse("A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11").unwrap();
        assert_eq!(a.to_string(), "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11");
        assert!(EventId::parse("not-a-uuid").is_err());
    }
}
