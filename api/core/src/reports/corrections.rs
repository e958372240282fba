//! The corrections made to closed days: every accepted event that arrived after its day's
//! close (a late sale, a refund, a void), with the change it made. The ministry sees all;
//! a cinema its own.

use chrono::NaiveDate;
use clickhouse::{Client, Row};
use schemas::Kzt;
use serde::{Deserialize, Serialize};

use super::error::ReportError;

#[derive(Debug, Row, Deserialize)]
struct CorrectionRow {
    day: u16,
    cinema_bin: String,
    film_id: String,
    event_id: String,
    kind: String,
    d_admissions: i64,
    d_gross_tiyn: i64,
    d_net_tiyn: i64,
    arrived_at: u32,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Correction {
    pub day: String,
    pub cinema_bin: String,
    pub film_id: String,
    pub event_id: String,
    /// `sale`, `refund` or `void`.
    pub kind: String,
    pub admissions_change: i64,
    pub gross_change: Kzt,
    pub net_change: Kzt,
    /// When ingest stored the event (RFC 3339, UTC+5).
    pub arrived_at: String,
}

/// The corrections of one cinema's day, summed: how many, and the change they made together.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CinemaDayCorrections {
    pub day: String,
    pub cinema_bin: String,
    pub corrections: u64,
    pub admissions_change: i64,
    pub gross_change: Kzt,
    pub net_change: Kzt,
    /// When the newest of them arrived (RFC 3339, UTC+5).
    pub last_arrived_at: String,
}

#[derive(Debug, Row, Deserialize)]
struct SummaryRow {
    day: u16,
    cinema_bin: String,
    n: u64,
    a: i64,
    g: i64,
    t: i64,
    last: u32,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CorrectionsReport {
    pub from: String,
    pub to: String,
    /// Every correction in the range, also those beyond the list's limit.
    pub total: u64,
    /// Whether `rows` holds fewer than `total` (the newest are kept): narrow the range to
    /// see them all. A CSV or Arrow file of a cut list is refused, never handed out short.
    pub truncated: bool,
    /// The newest first (by when ingest stored them), at most the limit.
    pub rows: Vec<Correction>,
    /// Every correction of the range summed per cinema and day (not cut with `rows`), the
    /// latest day first, then by cinema; at most the limit of groups.
    pub by_cinema_day: Vec<CinemaDayCorrections>,
}

#[derive(Debug, Row, Deserialize)]
struct Count {
    n: u64,
}

/// Corrections of days `from..=to`, optionally of one cinema: how many, and the newest
/// `limit` of them, newest first.
pub async fn corrections(
    client: &Client,
    from: NaiveDate,
    to: NaiveDate,
    cinema: Option<&str>,
    limit: u64,
) -> Result<CorrectionsReport, ReportError> {
    let filter = format!(
        "FROM corrections FINAL WHERE day >= toDate(?) AND day <= toDate(?){}",
        if cinema.is_some() {
            " AND cinema_bin = ?"
        } else {
            ""
        }
    );
    let bound = |sql: &str| {
        let q = client
            .query(sql)
            .bind(from.to_string())
            .bind(to.to_string());
        match cinema {
            Some(c) => q.bind(c),
            None => q,
        }
    };
    let total = bound(&format!("SELECT count() AS n {filter}"))
        .fetch_one::<Count>()
        .await?
        .n;
    let sql = format!("SELECT day, cinema_bin, film_id, event_id, kind, d_admissions, d_gross_tiyn, d_net_tiyn, arrived_at {filter} ORDER BY arrived_at DESC, day, cinema_bin, film_id, event_id LIMIT ?");
    let rows: Vec<CorrectionRow> = bound(&sql).bind(limit).fetch_all().await?;
    // Aliases differ from every column name (18.16 resolves a column to a same-named alias).
    let sql = format!("SELECT day, cinema_bin, count() AS n, sum(d_admissions) AS a, sum(d_gross_tiyn) AS g, sum(d_net_tiyn) AS t, max(arrived_at) AS last {filter} GROUP BY day, cinema_bin ORDER BY day DESC, cinema_bin LIMIT ?");
    let summary: Vec<SummaryRow> = bound(&sql).bind(limit).fetch_all().await?;
    let kz = schemas::time::kz_offset();
    let at = |secs: u32| {
        chrono::DateTime::from_timestamp(i64::from(secs), 0)
            .unwrap_or_default()
            .with_timezone(&kz)
            .to_rfc3339()
    };
    Ok(CorrectionsReport {
        from: from.to_string(),
        to: to.to_string(),
        total,
        truncated: (rows.len() as u64) < total,
        rows: rows
            .into_iter()
            .map(|r| Correction {
                day: schemas::time::date_from_days(r.day).to_string(),
                cinema_bin: r.cinema_bin,
                film_id: r.film_id,
                event_id: r.event_id,
                kind: r.kind,
                admissions_change: r.d_admissions,
                gross_change: Kzt::from_tiyn(r.d_gross_tiyn),
                net_change: Kzt::from_tiyn(r.d_net_tiyn),
                arrived_at: at(r.arrived_at),
            })
            .collect(),
        by_cinema_day: summary
            .into_iter()
            .map(|r| CinemaDayCorrections {
                day: schemas::time::date_from_days(r.day).to_string(),
                cinema_bin: r.cinema_bin,
                corrections: r.n,
                admissions_change: r.a,
                gross_change: Kzt::from_tiyn(r.g),
                net_change: Kzt::from_tiyn(r.t),
                last_arrived_at: at(r.last),
            })
            .collect(),
    })
}
