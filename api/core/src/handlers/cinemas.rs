use std::sync::Arc;

use serde::Serialize;

use super::{parse_bin, require, require_cinema_scope, ApiError};
use crate::auth::{Principal, Role};
use crate::params::{self, Page, PageQuery, RangeQuery, SilentQuery};
use crate::reports::scorecard::{self, RejectedEvent, Scorecard, SilentCinema};
use crate::state::AppState;

/// A cinema's card over a range, with the national medians it is compared with.
pub async fn reporting(
    s: &AppState,
    p: &Principal,
    bin: String,
    q: RangeQuery,
) -> Result<Scorecard, ApiError> {
    let bin = parse_bin(&bin)?;
    require_cinema_scope(p, bin.as_str())?;
    let (from, to) = params::range(&q.from, &q.to, s.settings.max_range_days)?;
    let cards = cards(s, from, to).await?;
    let mut card = cards
        .get(bin.as_str())
        .cloned()
        .unwrap_or_else(|| scorecard::empty_card(bin.as_str(), from, to));
    (
        card.national_median_refund_rate,
        card.national_median_events,
    ) = scorecard::national_medians(&cards);
    Ok(card)
}

/// Every cinema's card over `from..=to`, by BIN (see [`scorecard::scorecards`]).
async fn cards(
    s: &AppState,
    from: chrono::NaiveDate,
    to: chrono::NaiveDate,
) -> Result<Arc<std::collections::HashMap<String, Scorecard>>, ApiError> {
    // Every cinema's card over the range is computed in one statement and kept at most a
    // second (`api.scorecard_cache_ms`), refreshed in the background once half a second old:
    // cards asked for steadily cost ClickHouse about one statement a second per range and
    // never wait on one.
    let (ch, app_db, registry) = (s.ch.clone(), s.app_db.clone(), s.registry().await?);
    let cards =
        crate::reports::cache::get_or_compute(
            &s.scorecard_cache,
            &s.scorecard_flight,
            (from, to, s.today()),
            move |(from, to, today)| {
                let (ch, app_db, registry) = (ch.clone(), app_db.clone(), registry.clone());
                async move {
                    scorecard::scorecards(&ch, &app_db, &registry, None, from, to, today).await
                }
            },
        )
        .await?;
    Ok(cards)
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SilentReply {
    pub silent_days: i64,
    pub cinemas: Vec<SilentCinema>,
}

pub async fn silent(s: &AppState, p: &Principal, q: SilentQuery) -> Result<SilentReply, ApiError> {
    require(p, &[Role::Ministry])?;
    if q.silent_days < 0 {
        return Err(ApiError::bad("silent_days", "must not be negative"));
    }
    Ok(SilentReply {
        silent_days: q.silent_days,
        cinemas: scorecard::silent_cinemas(&s.ch, &s.app_db, q.silent_days, s.today()).await?,
    })
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RejectedReply {
    pub cinema_bin: String,
    pub page: u64,
    pub page_size: u64,
    pub rows: Vec<RejectedEvent>,
}

pub async fn rejected(
    s: &AppState,
    p: &Principal,
    bin: String,
    q: PageQuery,
) -> Result<RejectedReply, ApiError> {
    let bin = parse_bin(&bin)?;
    require_cinema_scope(p, bin.as_str())?;
    let Page { page, page_size } = Page::parse(q.page, q.page_size, s.settings.max_page_rows)?;
    let rows = scorecard::rejected_events(
        &s.ch,
        &s.app_db,
        bin.as_str(),
        page_size,
        (page - 1) * page_size,
    )
    .await?;
    Ok(RejectedReply {
        cinema_bin: bin.to_string(),
        page,
        page_size,
        rows,
    })
}

/// The most corrections one reply lists (a range with more is an audit export's job).
const MAX_CORRECTIONS: u64 = 10_000;

/// `GET /v1/corrections`: every correction to closed days in the range (ministry).
pub async fn corrections_all(
    s: &AppState,
    p: &Principal,
    q: RangeQuery,
) -> Result<crate::reports::corrections::CorrectionsReport, ApiError> {
    require(p, &[Role::Ministry])?;
    let (from, to) = params::range(&q.from, &q.to, s.settings.max_range_days)?;
    Ok(crate::reports::corrections::corrections(&s.ch, from, to, None, MAX_CORRECTIONS).await?)
}

/// The corrections as a whole file, or the refusal when the list was cut at the limit: a
/// file for the books is never handed out short.
pub fn whole_corrections(
    c: crate::reports::corrections::CorrectionsReport,
) -> Result<crate::reports::corrections::CorrectionsReport, ApiError> {
    if c.truncated {
        return Err(ApiError::Unprocessable { field: "to".into(), reason: format!("there are {} corrections in the range, more than one file holds ({MAX_CORRECTIONS}): choose fewer days", c.total) });
    }
    Ok(c)
}

/// `GET /v1/cinemas/{bin}/corrections`: one cinema's corrections (that cinema, or the ministry).
pub async fn corrections(
    s: &AppState,
    p: &Principal,
    bin: String,
    q: RangeQuery,
) -> Result<crate::reports::corrections::CorrectionsReport, ApiError> {
    let bin = parse_bin(&bin)?;
    require_cinema_scope(p, bin.as_str())?;
    let (from, to) = params::range(&q.from, &q.to, s.settings.max_range_days)?;
    Ok(crate::reports::corrections::corrections(
        &s.ch,
        from,
        to,
        Some(bin.as_str()),
        MAX_CORRECTIONS,
    )
    .await?)
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SalesReply {
    pub cinema_bin: String,
    pub from: String,
    pub to: String,
    /// One row per screening day and film, from the daily aggregates.
    pub rows: Vec<crate::reports::BoxOfficeRow>,
    pub totals: crate::reports::Totals,
}

/// `GET /v1/cinemas/{bin}/sales`: a cinema's box office per day and film (that cinema, or
/// the ministry); `?format=csv|arrow` downloads it.
pub async fn sales(
    s: &AppState,
    p: &Principal,
    bin: String,
    q: RangeQuery,
) -> Result<SalesReply, ApiError> {
    let bin = parse_bin(&bin)?;
    require_cinema_scope(p, bin.as_str())?;
    let (from, to) = params::range(&q.from, &q.to, s.settings.max_range_days)?;
    let query = crate::reports::BoxOfficeQuery::new(from, to, None, Some(bin.clone()))?;
    let report = crate::reports::box_office(&s.ch, &query, s.clock.now(), &s.reporting).await?;
    Ok(SalesReply {
        cinema_bin: bin.to_string(),
        from: q.from,
        to: q.to,
        rows: report.rows,
        totals: report.totals,
    })
}

/// `GET /v1/cinemas/{bin}/flags`: a cinema's reconciliation flags per screening day (that
/// cinema, or the ministry); see [`crate::reports::flags`].
pub async fn flags(
    s: &AppState,
    p: &Principal,
    bin: String,
    q: RangeQuery,
) -> Result<crate::reports::flags::FlagsReport, ApiError> {
    let bin = parse_bin(&bin)?;
    require_cinema_scope(p, bin.as_str())?;
    let (from, to) = params::range(&q.from, &q.to, s.settings.max_range_days)?;
    Ok(
        crate::reports::flags::cinema_flags(&s.ch, &*s.registry().await?, bin.as_str(), from, to)
            .await?,
    )
}

/// `GET /v1/cinemas/{bin}/screenings`: one day by hall and screening, from the raw rows;
/// with `screening`, its events and each one's correction deadline.
pub async fn screenings(
    s: &AppState,
    p: &Principal,
    bin: String,
    q: params::ScreeningsQuery,
) -> Result<crate::reports::screenings::ScreeningsReport, ApiError> {
    let bin = parse_bin(&bin)?;
    require_cinema_scope(p, bin.as_str())?;
    let day = params::date("day", &q.day)?;
    if let Some(id) = &q.screening {
        if id.is_empty() || id.chars().count() > 64 {
            return Err(ApiError::bad(
                "screening",
                "must be 1 to 64 characters, a screening_id as the cinema sent it",
            ));
        }
    }
    Ok(crate::reports::screenings::screenings(
        &s.ch,
        bin.as_str(),
        day,
        q.screening.as_deref(),
        s.today(),
        s.reporting.correction_window_days,
    )
    .await?)
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ScorecardsReply {
    pub from: String,
    pub to: String,
    pub page: u64,
    pub page_size: u64,
    /// Cinemas in the whole list (every page).
    pub total: usize,
    /// The medians over cinemas with at least one event in the range (see the one-cinema card).
    pub national_median_events: Option<String>,
    pub national_median_refund_rate: Option<String>,
    /// Rejected events per reason code over every cinema of the list (every page).
    pub rejected_by_reason: std::collections::BTreeMap<String, u64>,
    /// By BIN.
    pub rows: Vec<Scorecard>,
}

/// `GET /v1/cinemas/scorecards`: every cinema's card over a range (ministry), from the same
/// one statement and cache as a single cinema's card; `?format=csv|arrow` downloads it.
pub async fn scorecards(
    s: &AppState,
    p: &Principal,
    q: params::RangePageQuery,
) -> Result<ScorecardsReply, ApiError> {
    require(p, &[Role::Ministry])?;
    let (from, to) = params::range(&q.from, &q.to, s.settings.max_range_days)?;
    let page = Page::parse(q.page, q.page_size, s.settings.max_page_rows)?;
    let cards = cards(s, from, to).await?;
    let (national_median_refund_rate, national_median_events) = scorecard::national_medians(&cards);
    let mut rows: Vec<Scorecard> = cards.values().cloned().collect();
    rows.sort_by(|a, b| a.cinema_bin.cmp(&b.cinema_bin));
    let rejected_by_reason = scorecard::rejected_by_reason(&rows);
    Ok(ScorecardsReply {
        from: q.from,
        to: q.to,
        page: page.page,
        page_size: page.page_size,
        total: rows.len(),
        national_median_events,
        national_median_refund_rate,
        rejected_by_reason,
        rows: page.of(rows),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cut_list_of_corrections_is_never_a_file() {
        let report = |total: u64, truncated: bool| crate::reports::corrections::CorrectionsReport {
            from: "2026-11-01".into(),
            to: "2026-11-30".into(),
            total,
            truncated,
            rows: Vec::new(),
            by_cinema_day: Vec::new(),
        };
        let e = whole_corrections(report(12_000, true)).unwrap_err();
        assert_eq!(e.status().as_u16(), 422);
        assert!(e.to_string().contains("12000 corrections"), "{e}");
        assert_eq!(whole_corrections(report(0, false)).unwrap().total, 0);
    }
}
