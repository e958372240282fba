//! Errors: bad input names the field and the reason; engine errors name what is missing.

use chrono::NaiveDate;
use rust_decimal::Decimal;

/// Input that cannot be judged, with the JSON path of the field at fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {reason}")]
pub struct InputError {
    pub field: String,
    pub reason: Reason,
}

impl InputError {
    pub fn new(field: impl Into<String>, reason: Reason) -> Self {
        Self {
            field: field.into(),
            reason,
        }
    }
}

/// Why a field cannot be read, or a claim cannot be computed: a stable [`code`](Self::code)
/// with its [`params`](Self::params), so a page can say it in its reader's language. The
/// English sentence (`Display`) is what the JSON API gives as `reason`; codes never change
/// meaning once published, and a new reason gets a new code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reason {
    Empty,
    NotDecimal {
        got: String,
    },
    NotWholeNumber {
        got: String,
    },
    Negative,
    NotPositive,
    TooManyDecimals,
    TooLarge {
        max: String,
    },
    NotDate {
        got: String,
    },
    NotCurrency {
        got: String,
    },
    NotCountry {
        got: String,
    },
    NotKind {
        got: String,
    },
    NotVendor {
        got: String,
    },
    /// A Kazakh business identification number: 12 digits, the last a check digit. `detail`
    /// says which part is wrong (the English sentence).
    NotBin {
        got: String,
        detail: String,
    },
    BeforeRegistered,
    MoreThanTotal,
    DuplicateId {
        id: String,
    },
    /// A line of a small CSV table with the wrong number of fields.
    Fields {
        count: usize,
        header: String,
    },
    /// JSON: a required field is absent (serde's words).
    MissingField {
        name: String,
    },
    /// JSON: a field the type does not have (serde's words).
    UnknownField {
        name: String,
        expected: String,
    },
    /// JSON that cannot be read otherwise: serde's own words, not translated.
    Malformed {
        detail: String,
    },
    UnknownProgramme {
        id: String,
    },
    NoVersionInForce {
        programme: String,
        date: chrono::NaiveDate,
    },
    MissingFx {
        currency: String,
        date: chrono::NaiveDate,
    },
    MissingIndex {
        index: String,
        year: i32,
    },
    Overflow {
        amount: String,
    },
}

impl Reason {
    /// The stable code: the key a page translates (`engine-<code>` in the catalogues).
    pub fn code(&self) -> &'static str {
        match self {
            Reason::Empty => "empty",
            Reason::NotDecimal { .. } => "not_decimal",
            Reason::NotWholeNumber { .. } => "not_whole_number",
            Reason::Negative => "negative",
            Reason::NotPositive => "not_positive",
            Reason::TooManyDecimals => "too_many_decimals",
            Reason::TooLarge { .. } => "too_large",
            Reason::NotDate { .. } => "not_date",
            Reason::NotCurrency { .. } => "not_currency",
            Reason::NotCountry { .. } => "not_country",
            Reason::NotKind { .. } => "not_kind",
            Reason::NotVendor { .. } => "not_vendor",
            Reason::NotBin { .. } => "not_bin",
            Reason::BeforeRegistered => "before_registered",
            Reason::MoreThanTotal => "more_than_total",
            Reason::DuplicateId { .. } => "duplicate_id",
            Reason::Fields { .. } => "fields",
            Reason::MissingField { .. } => "missing_field",
            Reason::UnknownField { .. } => "unknown_field",
            Reason::Malformed { .. } => "malformed",
            Reason::UnknownProgramme { .. } => "unknown_programme",
            Reason::NoVersionInForce { .. } => "no_version_in_force",
            Reason::MissingFx { .. } => "missing_fx",
            Reason::MissingIndex { .. } => "missing_index",
            Reason::Overflow { .. } => "overflow",
        }
    }

    /// The values the sentence needs, by name (the same names in every language).
    pub fn params(&self) -> Vec<(&'static str, String)> {
        match self {
            Reason::NotDecimal { got }
            | Reason::NotWholeNumber { got }
            | Reason::NotDate { got }
            | Reason::NotCurrency { got }
            | Reason::NotCountry { got }
            | Reason::NotKind { got }
            | Reason::NotVendor { got } => vec![("got", got.clone())],
            Reason::NotBin { got, .. } => vec![("got", got.clone())],
            Reason::TooLarge { max } => vec![("max", max.clone())],
            Reason::DuplicateId { id } => vec![("id", id.clone())],
            Reason::Fields { count, header } => {
                vec![("count", count.to_string()), ("header", header.clone())]
            }
            Reason::MissingField { name } => vec![("name", name.clone())],
            // serde's list of the known fields is English code; the sentence has it.
            Reason::UnknownField { name, .. } => vec![("name", name.clone())],
            Reason::Malformed { detail } => vec![("detail", detail.clone())],
            Reason::UnknownProgramme { id } => vec![("id", id.clone())],
            Reason::NoVersionInForce { programme, date } => {
                vec![("programme", programme.clone()), ("date", date.to_string())]
            }
            Reason::MissingFx { currency, date } => {
                vec![("currency", currency.clone()), ("date", date.to_string())]
            }
            Reason::MissingIndex { index, year } => {
                vec![("index", index.clone()), ("year", year.to_string())]
            }
            Reason::Overflow { amount } => vec![("amount", amount.clone())],
            Reason::Empty
            | Reason::Negative
            | Reason::NotPositive
            | Reason::TooManyDecimals
            | Reason::BeforeRegistered
            | Reason::MoreThanTotal => Vec::new(),
        }
    }

    /// Whether the input is well-formed but the rules or the reference data cannot compute
    /// it (a 422 in the API), rather than malformed (a 400).
    pub fn is_unprocessable(&self) -> bool {
        matches!(
            self,
            Reason::NoVersionInForce { .. }
                | Reason::MissingFx { .. }
                | Reason::MissingIndex { .. }
                | Reason::Overflow { .. }
        )
    }

    /// Reads serde's message for a JSON error into a reason: the shapes serde words alike
    /// (missing and unknown fields) get their codes, anything else stays serde's words.
    pub fn of_serde(message: &str) -> Reason {
        let quoted = |rest: &str| {
            rest.strip_prefix('`')
                .and_then(|r| r.split_once('`'))
                .map(|(name, tail)| (name.to_owned(), tail.to_owned()))
        };
        if let Some((name, tail)) = message.strip_prefix("missing field ").and_then(quoted) {
            if tail.is_empty() {
                return Reason::MissingField { name };
            }
        }
        if let Some((name, tail)) = message.strip_prefix("unknown field ").and_then(quoted) {
            if let Some(expected) = tail.strip_prefix(", expected ") {
                return Reason::UnknownField {
                    name,
                    expected: expected.to_owned(),
                };
            }
        }
        Reason::Malformed {
            detail: message.to_owned(),
        }
    }
}

impl std::fmt::Display for Reason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Reason::Empty => write!(f, "must not be empty"),
            Reason::NotDecimal { got } => write!(
                f,
                "must be a decimal string like \"1500000.00\", got {got:?}"
            ),
            Reason::NotWholeNumber { got } => write!(f, "must be a whole number, got {got:?}"),
            Reason::Negative => write!(f, "must not be negative"),
            Reason::NotPositive => write!(f, "must be positive"),
            Reason::TooManyDecimals => write!(f, "has more than 2 decimals"),
            Reason::TooLarge { max } => write!(f, "must be at most {max}"),
            Reason::NotDate { got } => write!(f, "must be a date YYYY-MM-DD, got {got:?}"),
            Reason::NotCurrency { got } => write!(
                f,
                "must be a three-letter ISO 4217 code like \"KZT\", got {got:?}"
            ),
            Reason::NotCountry { got } => write!(
                f,
                "must be an ISO 3166 two-letter country code like \"KZ\", got {got:?}"
            ),
            Reason::NotKind { got } => write!(
                f,
                "must be feature, series, documentary or animation, got {got:?}"
            ),
            Reason::NotVendor { got } => write!(f, "must be local or foreign, got {got:?}"),
            Reason::NotBin { detail, .. } => write!(f, "{detail}"),
            Reason::BeforeRegistered => write!(f, "is before registered_on"),
            Reason::MoreThanTotal => write!(f, "is more than total"),
            Reason::DuplicateId { id } => write!(f, "{id:?} is used by an earlier line"),
            Reason::Fields { count, header } => write!(f, "must have {count} fields: {header}"),
            Reason::MissingField { name } => write!(f, "missing field `{name}`"),
            Reason::UnknownField { name, expected } => {
                write!(f, "unknown field `{name}`, expected {expected}")
            }
            Reason::Malformed { detail } => write!(f, "{detail}"),
            Reason::UnknownProgramme { id } => write!(f, "unknown programme {id}"),
            Reason::NoVersionInForce { programme, date } => {
                write!(f, "programme {programme} has no rules in force on {date}")
            }
            Reason::MissingFx { currency, date } => {
                write!(f, "no {currency} exchange rate on or before {date}")
            }
            Reason::MissingIndex { index, year } => write!(f, "no {index} value for {year}"),
            Reason::Overflow { amount } => write!(f, "amount too large to compute: {amount}"),
        }
    }
}

impl From<Reason> for String {
    fn from(r: Reason) -> String {
        r.to_string()
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

impl EngineError {
    /// The field at fault and why, for every error the caller can mend; `None` for a broken
    /// programme file (the server's fault, never the caller's).
    pub fn reason(&self) -> Option<(String, Reason)> {
        Some(match self {
            EngineError::Input(i) => (i.field.clone(), i.reason.clone()),
            EngineError::UnknownProgramme(id) => (
                "programme".into(),
                Reason::UnknownProgramme { id: id.clone() },
            ),
            EngineError::NoVersionInForce { programme, date } => (
                "as_of".into(),
                Reason::NoVersionInForce {
                    programme: programme.clone(),
                    date: *date,
                },
            ),
            EngineError::MissingFx { currency, date } => (
                "currency".into(),
                Reason::MissingFx {
                    currency: currency.clone(),
                    date: *date,
                },
            ),
            EngineError::MissingIndex { index, year } => (
                "claim".into(),
                Reason::MissingIndex {
                    index: index.clone(),
                    year: *year,
                },
            ),
            EngineError::Overflow(d) => (
                "claim".into(),
                Reason::Overflow {
                    amount: d.to_string(),
                },
            ),
            EngineError::BadProgramme { .. } => return None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The JSON API's sentences did not change when reasons got codes: each is the error's
    /// own words, and every reason has a code of its own.
    #[test]
    fn engine_errors_and_their_reasons_say_the_same() {
        let day = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
        let cases = [
            EngineError::UnknownProgramme("xx".into()),
            EngineError::NoVersionInForce {
                programme: "kz".into(),
                date: day,
            },
            EngineError::MissingFx {
                currency: "XAU".into(),
                date: day,
            },
            EngineError::MissingIndex {
                index: "mci".into(),
                year: 1990,
            },
            EngineError::Overflow(Decimal::MAX),
        ];
        for e in cases {
            let (_, r) = e.reason().unwrap();
            assert_eq!(r.to_string(), e.to_string());
        }
        assert_eq!(
            EngineError::BadProgramme {
                programme: "kz".into(),
                reason: "x".into()
            }
            .reason(),
            None
        );
    }

    #[test]
    fn serde_words_become_codes_where_they_have_a_shape() {
        assert_eq!(
            Reason::of_serde("missing field `title`"),
            Reason::MissingField {
                name: "title".into()
            }
        );
        let unknown = "unknown field `discount`, expected one of `id`, `category`";
        assert_eq!(
            Reason::of_serde(unknown),
            Reason::UnknownField {
                name: "discount".into(),
                expected: "one of `id`, `category`".into()
            }
        );
        assert_eq!(
            Reason::of_serde(unknown).to_string(),
            unknown,
            "the API's words are serde's"
        );
        let other = "invalid type: integer `5`, expected a string";
        assert_eq!(
            Reason::of_serde(other),
            Reason::Malformed {
                detail: other.into()
            }
        );
        assert_eq!(
            Reason::of_serde("missing field `a` and more"),
            Reason::Malformed {
                detail: "missing field `a` and more".into()
            }
        );
    }
}
