//! Errors: bad input names the field and the reason; engine errors name what is missing.

use chrono::NaiveDate;
use rust_decimal::Decimal;

/// Input that cannot be judged, with the JSON path of the field at fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {reason}")]
pub struct InputError {
    pub field: String,
    pub reason: String,
}

impl InputError {
    pub fn new(field: impl Into<String>, reason: impl Into<String>) -> Self {
        Self { field: field.into(), reason: reason.into() }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EngineError {
    #[error(transparent)]
    Input(#[from] InputError),
    #[error("programme {programme} has no rules in force on {date}")]
    NoVersionInForce { programme: String, date: NaiveDate },
    #[error("unknown programme {0}")]
    UnknownProgramme(String),
    #[error("no {currency} exchange rate on or before {date}")]
    MissingFx { currency: String, date: NaiveDate },
    #[error("no {index} value for {year}")]
    MissingIndex { index: String, year: i32 },
    #[error("amount too large to compute: {0}")]
    Overflow(Decimal),
    #[error("programme {programme}: {reason}")]
    BadProgramme { programme: String, reason: String },
}
