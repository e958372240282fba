//! Rebate claims: stored as append-only events (`submitted`, then `approved` or `rejected`,
//! then `paid`), each with who and when. The state machine is pure ([`next`]). Limits that
//! need the claims history are checked at approval, in the *decision's* year (an approval
//! event carries that year as `pool_year`): the annual pool is first come first served (an
//! approval that would take approved-or-paid rebates of the programme's year past its pool is
//! refused with the numbers), and so is a per-beneficiary annual cap where the programme has
//! one (PL: PLN 20 M), the beneficiary being the applicant's BIN.

use clickhouse::{Client, Row};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::error::ApiError;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
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

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
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
        (s, d) => Err(ApiError::Conflict(
            format!("a {} claim cannot take the decision {d:?}", s.as_str()).to_lowercase(),
        )),
    }
}

/// Checks an approval against the pool: `committed` is what approved and paid claims of the
/// same programme and year already take.
pub fn fits_pool(
    pool: Option<Decimal>,
    committed: Decimal,
    rebate: Decimal,
) -> Result<(), ApiError> {
    match pool {
        Some(p) if committed + rebate > p => Err(ApiError::Conflict(format!(
            "approval would overdraw the annual pool: pool {p}, already committed {committed}, this claim {rebate}, short by {}",
            committed + rebate - p
        ))),
        _ => Ok(()),
    }
}

/// Checks an approval against a beneficiary's annual cap: `committed` is what its approved and
/// paid claims of the programme already take in the year.
pub fn fits_beneficiary_cap(
    cap: Option<Decimal>,
    beneficiary: &str,
    committed: Decimal,
    rebate: Decimal,
) -> Result<(), ApiError> {
    match cap {
        Some(c) if committed + rebate > c => Err(ApiError::Conflict(format!(
            "approval would take beneficiary {beneficiary} past its annual cap: cap {c}, already approved this year {committed}, this claim {rebate}, over by {}",
            committed + rebate - c
        ))),
        _ => Ok(()),
    }
}

#[derive(Debug, Clone, Row, Serialize, Deserialize, utoipa::ToSchema)]
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
    /// The decision request that wrote this step (empty for a filing): a request delivered
    /// twice finds its step and is not applied again.
    pub request_id: String,
}

pub async fn events(
    client: &Client,
    claim_id: &str,
) -> Result<Vec<ClaimEvent>, clickhouse::error::Error> {
    client
        .query(
            "SELECT claim_id, seq, at, kind, key_id, role, bin, film_id, programme, pool_year, rebate, currency, reason, claim, result, request_id \
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

/// Rebates of claims whose latest step is approved or paid in `year` (the approval's year),
/// for one programme, and for one beneficiary when `beneficiary` is given.
pub async fn committed(
    client: &Client,
    programme: &str,
    year: u16,
    beneficiary: Option<&str>,
) -> Result<Decimal, ApiError> {
    let rows: Vec<Committed> = client
        .query(
            "SELECT argMax(rebate, seq) AS rebate FROM claim_events FINAL WHERE programme = ? \
             GROUP BY claim_id HAVING argMax(kind, seq) IN ('approved', 'paid') AND argMax(pool_year, seq) = ? \
             AND (? = 0 OR argMin(bin, seq) = ?)",
        )
        .bind(programme)
        .bind(year)
        .bind(u8::from(beneficiary.is_some()))
        .bind(beneficiary.unwrap_or_default())
        .fetch_all()
        .await
        .map_err(|e| ApiError::Unavailable(e.to_string()))?;
    rows.iter()
        .map(|r| {
            r.rebate
                .parse::<Decimal>()
                .map_err(|e| ApiError::Internal(format!("stored rebate {:?}: {e}", r.rebate)))
        })
        .sum()
}

/// One claim as listed: its latest step.
#[derive(Debug, Row, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ClaimSummary {
    pub claim_id: String,
    pub status: String,
    pub programme: String,
    pub film_id: String,
    pub submitted_by: String,
    pub rebate: String,
    pub currency: String,
    /// The claim's year: its approval's year once approved, else its `as_of` year.
    pub year: u16,
    pub submitted_at: u32,
    pub updated_at: u32,
}

/// Claims by their latest step, newest first; every filter optional (`""`/0: any).
pub async fn list(
    client: &Client,
    status: &str,
    programme: &str,
    year: u16,
    beneficiary: &str,
    limit: u64,
    offset: u64,
) -> Result<Vec<ClaimSummary>, ApiError> {
    client
        .query(
            "SELECT claim_id, argMax(kind, seq) AS status, any(programme) AS programme, any(film_id) AS film_id, argMin(bin, seq) AS submitted_by, \
               argMax(rebate, seq) AS rebate, any(currency) AS currency, argMax(pool_year, seq) AS year, toUInt32(min(at)) AS submitted_at, toUInt32(max(at)) AS updated_at \
             FROM claim_events FINAL GROUP BY claim_id \
             HAVING (? = '' OR status = ?) AND (? = '' OR programme = ?) AND (? = 0 OR year = ?) AND (? = '' OR submitted_by = ?) \
             ORDER BY submitted_at DESC, claim_id LIMIT ? OFFSET ?",
        )
        .bind(status)
        .bind(status)
        .bind(programme)
        .bind(programme)
        .bind(year)
        .bind(year)
        .bind(beneficiary)
        .bind(beneficiary)
        .bind(limit)
        .bind(offset)
        .fetch_all()
        .await
        .map_err(|e| ApiError::Unavailable(e.to_string()))
}

#[derive(Debug, Row, Deserialize)]
struct PaidRow {
    film_id: String,
    rebate: String,
}

/// Rebates marked paid, by film (in the programme's currency; `kz` pays KZT).
pub async fn paid_by_film(
    client: &Client,
) -> Result<std::collections::HashMap<String, Decimal>, clickhouse::error::Error> {
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
        assert_eq!(
            next(Status::Submitted, Decision::Approve),
            Ok(Status::Approved)
        );
        assert_eq!(
            next(Status::Submitted, Decision::Reject),
            Ok(Status::Rejected)
        );
        assert_eq!(next(Status::Approved, Decision::MarkPaid), Ok(Status::Paid));
        for (s, d) in [
            (Status::Submitted, Decision::MarkPaid),
            (Status::Rejected, Decision::Approve),
            (Status::Paid, Decision::Approve),
            (Status::Approved, Decision::Approve),
        ] {
            assert!(
                matches!(next(s, d), Err(ApiError::Conflict(_))),
                "{s:?} {d:?}"
            );
        }
    }

    #[test]
    fn pool_is_first_come_first_served() {
        assert!(fits_pool(Some(dec!(100)), dec!(60), dec!(40)).is_ok());
        let e = fits_pool(Some(dec!(100)), dec!(60), dec!(40.01)).unwrap_err();
        assert!(e.to_string().contains("short by 0.01"), "{e}");
        assert!(fits_pool(None, dec!(1e9), dec!(1e9)).is_ok());
    }

    #[test]
    fn a_beneficiary_cap_counts_its_approvals_of_the_year() {
        // PL: PLN 20 M a year; (already approved, this claim, fits)
        let table = [
            (dec!(0), dec!(15000000), true),
            (dec!(15000000), dec!(5000000), true),
            (dec!(15000000), dec!(5000000.01), false),
            (dec!(20000000), dec!(1), false),
        ];
        for (committed, rebate, fits) in table {
            assert_eq!(
                fits_beneficiary_cap(Some(dec!(20000000)), "120840003334", committed, rebate)
                    .is_ok(),
                fits,
                "{committed} + {rebate}"
            );
        }
        let e = fits_beneficiary_cap(
            Some(dec!(20000000)),
            "120840003334",
            dec!(15000000),
            dec!(6000000),
        )
        .unwrap_err();
        assert!(
            e.to_string().contains("over by 1000000") && e.to_string().contains("120840003334"),
            "{e}"
        );
        assert!(fits_beneficiary_cap(None, "x", dec!(1e9), dec!(1e9)).is_ok());
    }
}
