//! Rebate applicants without a Kazakh BIN: registered by the ministry, scoped into producer
//! keys, and the source of a claim's applicant country and beneficiary.
//!
//! Invariants: an applicant id is `FA-` and 1–29 of `A-Z 0-9 -` (so it never looks like a
//! 12-digit BIN, and a claim's `submitted_by` names either without ambiguity); its country is
//! an ISO 3166 alpha-2 code other than KZ (a Kazakh entity has a BIN and uses it).

use clickhouse::{Client, Row};
use serde::{Deserialize, Serialize};

use crate::error::ApiError;

/// A foreign applicant's id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct ApplicantId(String);

impl ApplicantId {
    pub fn parse(s: &str) -> Result<Self, String> {
        let rest = s
            .strip_prefix("FA-")
            .ok_or_else(|| format!("must start with FA-, got {s:?}"))?;
        if rest.is_empty()
            || rest.len() > 29
            || !rest
                .chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '-')
        {
            return Err(format!("must be FA- and 1-29 of A-Z, 0-9 and -, got {s:?}"));
        }
        Ok(Self(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An ISO 3166 alpha-2 code, upper case, other than KZ.
pub fn foreign_country(s: &str) -> Result<String, String> {
    if s.len() != 2 || !s.chars().all(|c| c.is_ascii_uppercase()) {
        return Err(format!(
            "must be an ISO 3166 alpha-2 code in capitals, got {s:?}"
        ));
    }
    if s == "KZ" {
        return Err("a Kazakh applicant files with its BIN, not as a foreign applicant".into());
    }
    Ok(s.to_owned())
}

#[derive(Debug, Clone, Row, Serialize, Deserialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct ApplicantRow {
    pub applicant_id: String,
    pub name: String,
    pub country: String,
    pub registration_number: String,
    pub films: Vec<String>,
    pub updated_at: u32,
}

/// The body of `PUT /v1/applicants/{id}`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApplicantBody {
    #[schema(min_length = 1, max_length = 200)]
    pub name: String,
    /// ISO 3166 alpha-2, not KZ.
    #[schema(pattern = "^([A-JL-Z][A-Z]|K[A-Y])$")]
    pub country: String,
    #[schema(min_length = 1, max_length = 64)]
    pub registration_number: String,
    /// Registered films the applicant may link its claims to.
    #[serde(default)]
    pub films: Vec<String>,
}

impl ApplicantBody {
    /// The row this body stores, or the first field at fault.
    pub fn into_row(self, id: &ApplicantId, now: u32) -> Result<ApplicantRow, ApiError> {
        let name = self.name.trim();
        if name.is_empty() || name.chars().count() > 200 || name.chars().any(char::is_control) {
            return Err(ApiError::bad("name", "must be 1-200 printable characters"));
        }
        let country = foreign_country(&self.country).map_err(|e| ApiError::bad("country", e))?;
        let reg = self.registration_number.trim();
        if reg.is_empty() || reg.chars().count() > 64 || reg.chars().any(char::is_control) {
            return Err(ApiError::bad(
                "registration_number",
                "must be 1-64 printable characters",
            ));
        }
        let mut films = Vec::with_capacity(self.films.len());
        for (i, f) in self.films.iter().enumerate() {
            films.push(
                schemas::FilmId::parse(f)
                    .map_err(|e| ApiError::bad(format!("films[{i}]"), e.to_string()))?
                    .as_str()
                    .to_owned(),
            );
        }
        Ok(ApplicantRow {
            applicant_id: id.as_str().to_owned(),
            name: name.to_owned(),
            country,
            registration_number: reg.to_owned(),
            films,
            updated_at: now,
        })
    }
}

/// The applicant's record in force, if registered.
pub async fn load(client: &Client, id: &str) -> Result<Option<ApplicantRow>, ApiError> {
    client
        .query("SELECT ?fields FROM applicants FINAL WHERE applicant_id = ? LIMIT 1")
        .bind(id)
        .fetch_optional()
        .await
        .map_err(|e| ApiError::Unavailable(e.to_string()))
}

/// Every registered applicant's record in force, by id (the ministry's people screen).
pub async fn list(client: &Client) -> Result<Vec<ApplicantRow>, ApiError> {
    client
        .query("SELECT ?fields FROM applicants FINAL ORDER BY applicant_id LIMIT 10000")
        .fetch_all()
        .await
        .map_err(|e| ApiError::Unavailable(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn applicant_ids_and_countries() {
        for ok in ["FA-1", "FA-US-WB-2026", "FA-ABCDEFGHIJKLMNOPQRSTUVWXYZ012"] {
            assert!(ApplicantId::parse(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "FA-",
            "fa-1",
            "FA-us",
            "120840003334",
            "FA-A B",
            "FA-ABCDEFGHIJKLMNOPQRSTUVWXYZ0123",
        ] {
            assert!(ApplicantId::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(foreign_country("US").unwrap(), "US");
        for bad in ["KZ", "us", "USA", "", "U1"] {
            assert!(foreign_country(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_body_names_the_field_at_fault() {
        let id = ApplicantId::parse("FA-1").unwrap();
        let body = |name: &str, country: &str, reg: &str, films: &[&str]| ApplicantBody {
            name: name.into(),
            country: country.into(),
            registration_number: reg.into(),
            films: films.iter().map(|f| (*f).to_owned()).collect(),
        };
        let field = |r: Result<ApplicantRow, ApiError>| match r {
            Err(ApiError::BadRequest { field, .. }) => field,
            other => panic!("{other:?}"),
        };
        assert_eq!(field(body("", "US", "1", &[]).into_row(&id, 0)), "name");
        assert_eq!(
            field(body("Acme", "KZ", "1", &[]).into_row(&id, 0)),
            "country"
        );
        assert_eq!(
            field(body("Acme", "US", " ", &[]).into_row(&id, 0)),
            "registration_number"
        );
        assert_eq!(
            field(body("Acme", "US", "1", &["F1", ""]).into_row(&id, 0)),
            "films[1]"
        );
        let row = body(" Acme Pictures ", "US", "C1234567", &["F1"])
            .into_row(&id, 7)
            .unwrap();
        assert_eq!(
            (row.name.as_str(), row.country.as_str(), row.films.len()),
            ("Acme Pictures", "US", 1)
        );
    }
}
