//! One cinema's box-office day by hall and screening, and one screening's events: the
//! drill-down under the daily aggregates, read from the raw rows (`ticket_events FINAL`), so
//! one request reads one cinema's one day and never a range.
//!
//! # Words
//! - A screening is the cinema's `screening_id` in a hall for a film; its start is the
//!   earliest `show_start` its events give.
//! - Admissions, gross and net count what every total counts: events not voided (`voided_by`
//!   empty), a refund with a negative quantity and amounts.
//! - An event's correction deadline is the last day on which ingest still takes its void:
//!   its screening day plus `reporting.correction_window_days` (a void arriving later is refused
//!   as `correction_window_closed`). `can_void` says whether today is on or before it, the
//!   event is still counted, and it is not itself a void's target already.

use chrono::NaiveDate;
use clickhouse::{Client, Row};
use schemas::Kzt;
use serde::{Deserialize, Serialize};

use super::error::ReportError;

/// At most this many screenings of one cinema in one day (a multiplex has some hundred).
pub const MAX_SCREENINGS: u64 = 2_000;
/// At most this many events of one screening listed (a hall holds fewer seats).
pub const MAX_EVENTS: u64 = 5_000;

/// Binds: cinema, day, limit. Aliases differ from column names (18.16 resolves a same-named
/// alias inside aggregates).
const SCREENINGS_SQL: &str = "\
SELECT hall, screening_id, film_id, toUInt32(min(show_start)) AS starts_s, \
toUInt64(countIf(event_type = 'sale' AND voided_by = '')) AS n_sales, toUInt64(countIf(event_type = 'refund' AND voided_by = '')) AS n_refunds, \
toInt64(sumIf(qty, voided_by = '')) AS adm, toInt64(sumIf(gross_tiyn, voided_by = '')) AS g, toInt64(sumIf(net_tiyn, voided_by = '')) AS n, \
toUInt64(countIf(voided_by != '')) AS n_voided \
FROM ticket_events FINAL WHERE cinema_bin = ? AND day = toDate(?) \
GROUP BY hall, screening_id, film_id ORDER BY starts_s, hall, screening_id, film_id LIMIT ?";

/// Binds: cinema, day, screening, limit.
const EVENTS_SQL: &str = "\
SELECT event_id, toString(event_type) AS kind, hall, film_id, toUInt32(occurred_at) AS at_s, price_tiyn, qty, gross_tiyn, net_tiyn, \
seat_row, seat_number, toString(ticket_type) AS tt, refund_of, voided_by \
FROM ticket_events FINAL WHERE cinema_bin = ? AND day = toDate(?) AND screening_id = ? \
ORDER BY occurred_at, event_id LIMIT ?";

#[derive(Debug, Row, Deserialize)]
struct ScreeningRow {
    hall: String,
    screening_id: String,
    film_id: String,
    starts_s: u32,
    n_sales: u64,
    n_refunds: u64,
    adm: i64,
    g: i64,
    n: i64,
    n_voided: u64,
}

#[derive(Debug, Row, Deserialize)]
struct EventRow {
    event_id: String,
    kind: String,
    hall: String,
    film_id: String,
    at_s: u32,
    price_tiyn: i64,
    qty: i8,
    gross_tiyn: i64,
    net_tiyn: i64,
    seat_row: String,
    seat_number: String,
    tt: String,
    refund_of: String,
    voided_by: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Screening {
    pub hall: String,
    pub screening_id: String,
    pub film_id: String,
    /// The earliest `show_start` of its events, RFC 3339 in UTC+5.
    pub starts_at: String,
    pub sales: u64,
    pub refunds: u64,
    pub admissions: i64,
    pub gross: Kzt,
    pub net: Kzt,
    /// Events taken back by a void (counted in no figure).
    pub voided: u64,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ScreeningEvent {
    pub event_id: String,
    /// `sale` or `refund`.
    #[serde(rename = "type")]
    pub kind: String,
    pub hall: String,
    pub film_id: String,
    /// RFC 3339 in UTC+5.
    pub occurred_at: String,
    pub price: Kzt,
    pub admissions: i64,
    pub gross: Kzt,
    pub net: Kzt,
    pub seat_row: String,
    pub seat_number: String,
    pub ticket_type: String,
    pub refund_of: String,
    /// The void that took it back, if any.
    pub voided_by: String,
    /// The last day a void of it is taken (screening day + `reporting.correction_window_days`).
    pub correction_deadline: String,
    /// Still counted, and today is on or before the deadline.
    pub can_void: bool,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ScreeningsReport {
    pub cinema_bin: String,
    pub day: String,
    pub screenings: Vec<Screening>,
    /// The sums over `screenings`.
    pub admissions: i64,
    pub gross: Kzt,
    pub net: Kzt,
    /// With `screening`: that screening's events, oldest first; otherwise absent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub events: Option<Vec<ScreeningEvent>>,
    /// True when a list reached its limit and was cut.
    pub truncated: bool,
}

fn local(secs: u32) -> String {
    chrono::DateTime::from_timestamp(i64::from(secs), 0)
        .map(|t| {
            t.with_timezone(&schemas::time::kz_offset())
                .to_rfc3339_opts(chrono::SecondsFormat::Secs, false)
        })
        .unwrap_or_default()
}

/// The last day a void of an event of `day` is taken.
pub fn correction_deadline(day: NaiveDate, window_days: u32) -> NaiveDate {
    day + chrono::Days::new(u64::from(window_days))
}

/// `bin`'s screenings on `day`, and with `screening` that screening's events.
pub async fn screenings(
    client: &Client,
    bin: &str,
    day: NaiveDate,
    screening: Option<&str>,
    today: NaiveDate,
    window_days: u32,
) -> Result<ScreeningsReport, ReportError> {
    let rows: Vec<ScreeningRow> = client
        .query(SCREENINGS_SQL)
        .bind(bin)
        .bind(day.to_string())
        .bind(MAX_SCREENINGS + 1)
        .fetch_all()
        .await?;
    let mut truncated = rows.len() as u64 > MAX_SCREENINGS;
    let mut report = ScreeningsReport {
        cinema_bin: bin.to_owned(),
        day: day.to_string(),
        screenings: Vec::new(),
        admissions: 0,
        gross: Kzt::ZERO,
        net: Kzt::ZERO,
        events: None,
        truncated: false,
    };
    for r in rows.into_iter().take(MAX_SCREENINGS as usize) {
        let (gross, net) = (Kzt::from_tiyn(r.g), Kzt::from_tiyn(r.n));
        report.admissions = report
            .admissions
            .checked_add(r.adm)
            .ok_or(ReportError::Overflow)?;
        report.gross = report
            .gross
            .checked_add(gross)
            .ok_or(ReportError::Overflow)?;
        report.net = report.net.checked_add(net).ok_or(ReportError::Overflow)?;
        report.screenings.push(Screening {
            hall: r.hall,
            screening_id: r.screening_id,
            film_id: r.film_id,
            starts_at: local(r.starts_s),
            sales: r.n_sales,
            refunds: r.n_refunds,
            admissions: r.adm,
            gross,
            net,
            voided: r.n_voided,
        });
    }
    if let Some(id) = screening {
        let rows: Vec<EventRow> = client
            .query(EVENTS_SQL)
            .bind(bin)
            .bind(day.to_string())
            .bind(id)
            .bind(MAX_EVENTS + 1)
            .fetch_all()
            .await?;
        truncated |= rows.len() as u64 > MAX_EVENTS;
        let deadline = correction_deadline(day, window_days);
        let events = rows
            .into_iter()
            .take(MAX_EVENTS as usize)
            .map(|e| ScreeningEvent {
                can_void: e.voided_by.is_empty() && today <= deadline,
                event_id: e.event_id,
                kind: e.kind,
                hall: e.hall,
                film_id: e.film_id,
                occurred_at: local(e.at_s),
                price: Kzt::from_tiyn(e.price_tiyn),
                admissions: i64::from(e.qty),
                gross: Kzt::from_tiyn(e.gross_tiyn),
                net: Kzt::from_tiyn(e.net_tiyn),
                seat_row: e.seat_row,
                seat_number: e.seat_number,
                ticket_type: e.tt,
                refund_of: e.refund_of,
                voided_by: e.voided_by,
                correction_deadline: deadline.to_string(),
            })
            .collect();
        report.events = Some(events);
    }
    report.truncated = truncated;
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_deadline_is_the_screening_day_plus_the_window() {
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        assert_eq!(correction_deadline(d("2026-11-20"), 14), d("2026-12-04"));
        assert_eq!(correction_deadline(d("2026-12-25"), 14), d("2027-01-08"));
        assert_eq!(
            correction_deadline(d("2028-02-20"), 14),
            d("2028-03-05"),
            "a leap year's February has 29 days"
        );
        assert_eq!(correction_deadline(d("2026-11-20"), 0), d("2026-11-20"));
    }
}
