//! Rebate claims: stored as append-only events (`submitted`, then `approved` or `rejected`,
//! then `paid`), each with who and when. The state machine is pure ([`next`]); the annual pool
//! is first come first served: an approval that would take approved-or-paid rebates of the
//! programme's year past its pool is refused with the numbers.

use clickhouse::{Client, Row};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::error::ApiError;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Submitted,
    Approved,
    Rejected,
    Paid,
}

impl Status {
    pub fn parse(s: &str) -> Option<Status> {
        match s {
            "submitted" => Some(Status::Submitted),
            "approved" => Some(Status::Approved),
            "rejected" => Some(Status::Rejected),
            "paid" => Some(Status::Paid),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Submitted => "submitted",
            Status::Approved => "approved",
            Status::Rejected => "rejected",
            Status::Paid => "paid",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    Approve,
    Reject,
    MarkPaid,
}

/// The allowed transitions: submitted → approved | rejected; approved → paid.
pub fn next(current: Status, d: Decision) -> Result<Status, ApiError> {
    match (current, d) {
        (Status::Submitted, Decision::Approve) => Ok(Status::Approved),
        (Status::Submitted, Decision::Reject) => Ok(Status::Rejected),
        (Status::Approved, Decision::MarkPaid) => Ok(Status::Paid),
        (s, d) => Err(ApiError::Conflict(format!("a {} claim cannot take the decision {d:?}", s.as_str()).to_lowercase())),
    }
}

/// Checks an approval against the pool: `committed` is what approved and paid claims of the
/// same programme and year already take.
pub fn fits_pool(pool: Option<Decimal>, committed: Decimal, rebate: Decimal) -> Result<(), ApiError> {
    match pool {
        Some(p) if committed + rebate > p => Err(ApiError::Conflict(format!(
            "approval would overdraw the annual pool: pool {p}, already committed {committed}, this claim {rebate}, short by {}",
            committed + rebate - p
        ))),
        _ => Ok(()),
    }
}

#[derive(Debug, Clone, Row, Serialize, Deserialize)]
pub struct ClaimEvent {
    pub claim_id: String,
    pub seq: u32,
    pub at: u32,
    pub kind: String,
    pub key_id: String,
    pub role: String,
    pub bin: String,
    pub film_id: String,
    pub programme: String,
    pub pool_year: u16,
    pub rebate: String,
    pub currency: String,
    pub reason: String,
    pub claim: String,
    pub result: String,
}

pub async fn events(client: &Client, claim_id: &str) -> Result<Vec<ClaimEvent>, clickhouse::error::Error> {
    client
        .query(
            "SELECT claim_id, seq, at, kind, key_id, role, bin, film_id, programme, pool_year, rebate, currency, reason, claim, result \
             FROM claim_events FINAL WHERE claim_id = ? ORDER BY seq",
        )
        .bind(claim_id)
        .fetch_all()
        .await
}

#[derive(Debug, Row, Deserialize)]
struct Committed {
    rebate: String,
}

/// Rebates of claims whose latest step is approved or paid, for one programme and year.
pub async fn committed(client: &Client, programme: &str, year: u16) -> Result<Decimal, ApiError> {
    let rows: Vec<Committed> = client
        .query(
            "SELECT argMax(rebate, seq) AS rebate FROM claim_events FINAL WHERE programme = ? AND pool_year = ? \
             GROUP BY claim_id HAVING argMax(kind, seq) IN ('approved', 'paid')",
        )
        .bind(programme)
        .bind(year)
        .fetch_all()
        .await
        .map_err(|e| ApiError::Unavailable(e.to_string()))?;
    rows.iter()
        .map(|r| r.rebate.parse::<Decimal>().map_err(|e| ApiError::Internal(format!("stored rebate {:?}: {e}", r.rebate))))
        .sum()
}

#[derive(Debug, Row, Deserialize)]
struct PaidRow {
    film_id: String,
    rebate: String,
}

/// Rebates marked paid, by film (in the programme's currency; `kz` pays KZT).
pub async fn paid_by_film(client: &Client) -> Result<std::collections::HashMap<String, Decimal>, clickhouse::error::Error> {
    let rows: Vec<PaidRow> = client
        .query("SELECT film_id, rebate FROM claim_events FINAL WHERE kind = 'paid' AND film_id != '' AND currency = 'KZT'")
        .fetch_all()
        .await?;
    let mut out = std::collections::HashMap::new();
    for r in rows {
        if let Ok(d) = r.rebate.parse::<Decimal>() {
            *out.entry(r.film_id).or_insert(Decimal::ZERO) += d;
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn transitions() {
        assert_eq!(next(Status::Submitted, Decision::Approve), Ok(Status::Approved));
        assert_eq!(next(Status::Submitted, Decision::Reject), Ok(Status::Rejected));
        assert_eq!(next(Status::Approved, Decision::MarkPaid), Ok(Status::Paid));
        for (s, d) in [(Status::Submitted, Decision::MarkPaid), (Status::Rejected, Decision::Approve), (Status::Paid, Decision::Approve), (Status::Approved, Decision::Approve)] {
            assert!(matches!(next(s, d), Err(ApiError::Conflict(_))), "{s:?} {d:?}");
        }
    }

    #[test]
    fn pool_is_first_come_first_served() {
        assert!(fits_pool(Some(dec!(100)), dec!(60), dec!(40)).is_ok());
        let e = fits_pool(Some(dec!(100)), dec!(60), dec!(40.01)).unwrap_err();
        assert!(e.to_string().contains("short by 0.01"), "{e}");
        assert!(fits_pool(None, dec!(1e9), dec!(1e9)).is_ok());
    }
}
