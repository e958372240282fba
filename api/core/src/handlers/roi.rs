use serde::Serialize;

use super::box_office::film_visible;
use super::{require, ApiError};
use crate::auth::{Principal, Role};
use crate::params::{KpiTrendQuery, SummaryQuery};
use crate::reports::kpi_trend::{self, KpiTrend};
use crate::reports::roi::{self, FilmRoi, RoiSummary};
use crate::state::AppState;

pub async fn film(s: &AppState, p: &Principal, film_id: String) -> Result<FilmRoi, ApiError> {
    require(p, &[Role::Ministry, Role::Producer])?;
    schemas::FilmId::parse(&film_id).map_err(|e| ApiError::bad("film_id", e.to_string()))?;
    film_visible(s, p, &film_id).await?;
    roi::films(&s.ch, &s.app, &*s.registry().await?, Some(&film_id))
        .await?
        .into_iter()
        .next()
        .ok_or(ApiError::NotFound)
}

pub async fn summary(s: &AppState, p: &Principal, q: SummaryQuery) -> Result<RoiSummary, ApiError> {
    require(p, &[Role::Ministry])?;
    Ok(roi::summary(
        &roi::films(&s.ch, &s.app, &*s.registry().await?, None).await?,
        q.funding_year,
    ))
}

/// The payback KPI at the end of each month (see `reports::kpi_trend`).
pub async fn kpi_trend(
    s: &AppState,
    p: &Principal,
    q: KpiTrendQuery,
) -> Result<KpiTrend, ApiError> {
    require(p, &[Role::Ministry])?;
    let to = match q.to.as_deref() {
        Some(t) => crate::params::date("to", t)?,
        None => s.today(),
    };
    let months = q.months.unwrap_or(12);
    if !(1..=60).contains(&months) {
        return Err(ApiError::bad("months", "must be 1 to 60"));
    }
    Ok(kpi_trend::trend(&s.ch, &*s.registry().await?, to, months).await?)
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(as = RoiFilmsReply)]
pub struct FilmsReply {
    pub page: u64,
    pub page_size: u64,
    /// Films in the whole list (every page).
    pub total: usize,
    pub films: Vec<FilmRoi>,
}

pub async fn films(
    s: &AppState,
    p: &Principal,
    q: crate::params::PageQuery,
) -> Result<FilmsReply, ApiError> {
    require(p, &[Role::Ministry])?;
    let page = crate::params::Page::parse(q.page, q.page_size, s.settings.max_page_rows)?;
    let films = roi::films(&s.ch, &s.app, &*s.registry().await?, None).await?;
    Ok(FilmsReply {
        page: page.page,
        page_size: page.page_size,
        total: films.len(),
        films: page.of(films),
    })
}
