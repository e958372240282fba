//! `/{lang}/ministry`: the ministry's desk. Every figure is the JSON API's, called with the
//! session's key: the payback KPI (`/v1/roi/summary`), the register of state-funded films
//! (`/v1/roi/films`; `?format=csv|arrow` downloads it in the API's export columns), the KPI
//! per funding-year cohort (the same `reports::roi::summary` over the register), the KPI at
//! the end of each of the last twelve months (`/v1/roi/kpi-trend`), silent
//! cinemas (`/v1/cinemas/reporting`), the claims waiting for a decision (`/v1/claims`) and
//! what each programme's pool has left this year (`/v1/rebates/pools`).

use std::collections::BTreeSet;
use std::time::Instant;

use askama::Template;
use rust_decimal::Decimal;
use warp::http::StatusCode;
use warp::reply::Response;

use crate::cabinet;
use crate::i18n::{self, Lang};
use crate::page::{self, Chrome};
use crate::pools::{pool_lines, PoolLine};
use crate::session::Signed;
use crate::words::at;
use crate::words::title_in;
use api_core::handlers;
use api_core::params::{PageQuery, SilentQuery, SummaryQuery};
use api_core::reports::roi::{self, FilmRoi, RoiSummary};
use api_core::state::AppState;

/// Silent days asked for when the form does not say.
pub const SILENT_DAYS: i64 = 2;

pub struct Kpi {
    pub label: String,
    pub funded: String,
    pub released: String,
    pub paid_back: String,
    pub share: String,
    pub recoupment: String,
}

/// The KPI over time: a bar a month on a fixed 0–100 % scale, and the same months as rows.
pub struct KpiTrendView {
    pub bars: Vec<KpiBar>,
    /// The drawing's width in its own units (a bar a month).
    pub width: u32,
    pub first: String,
    pub last: String,
    pub months: Vec<Kpi>,
    /// Whether a month is not over (its bar is drawn apart, its row says so).
    pub any_partial: bool,
}

pub struct KpiBar {
    pub x: u32,
    pub y: u32,
    pub height: u32,
    pub partial: bool,
    pub title: String,
}

/// The KPI drawing's plot: `KPI_HEIGHT` units for 100 %, `KPI_STEP` units a month.
pub const KPI_HEIGHT: u32 = 100;
const KPI_STEP: u32 = 30;

/// The months' KPI as the desk shows it (`/v1/roi/kpi-trend`).
fn kpi_trend(lang: Lang, t: &api_core::reports::kpi_trend::KpiTrend) -> KpiTrendView {
    let n = u32::try_from(t.months.len()).unwrap_or(0);
    let label = |m: &api_core::reports::kpi_trend::KpiMonth| {
        let month = i18n::month(lang, &m.month);
        if m.partial {
            format!("{month} ({})", i18n::t(lang, "kpi-month-partial"))
        } else {
            month
        }
    };
    let bars = t
        .months
        .iter()
        .enumerate()
        .map(|(i, m)| {
            let share = m
                .kpi
                .payback_share
                .as_deref()
                .and_then(|s| s.parse::<Decimal>().ok());
            let height: u32 = share
                .map(|s| (s * Decimal::from(KPI_HEIGHT)).round())
                .and_then(|h| h.try_into().ok())
                .unwrap_or(0)
                .min(KPI_HEIGHT);
            KpiBar {
                x: u32::try_from(i).unwrap_or(0) * KPI_STEP,
                y: KPI_HEIGHT - height,
                height,
                partial: m.partial,
                title: format!(
                    "{}: {}",
                    label(m),
                    share.map_or_else(|| "—".into(), |s| i18n::percent(lang, s))
                ),
            }
        })
        .collect();
    KpiTrendView {
        bars,
        width: 30 + n * KPI_STEP,
        first: t
            .months
            .first()
            .map(|m| i18n::month(lang, &m.month))
            .unwrap_or_default(),
        last: t
            .months
            .last()
            .map(|m| i18n::month(lang, &m.month))
            .unwrap_or_default(),
        months: t
            .months
            .iter()
            .rev()
            .map(|m| kpi(lang, label(m), &m.kpi))
            .collect(),
        any_partial: t.months.iter().any(|m| m.partial),
    }
}

pub struct RegisterLine {
    pub href: String,
    pub title: String,
    pub year: String,
    pub budget: String,
    pub state_funding: String,
    pub gross: String,
    pub net: String,
    pub producer_share: String,
    pub recoupment: String,
    pub paid_back: String,
    pub first_day: String,
    pub last_day: String,
}

pub struct SilentLine {
    pub bin: String,
    pub name: String,
    pub last: String,
    pub days: String,
}

pub struct QueueLine {
    pub id: String,
    /// Its page, where it is decided.
    pub href: String,
    pub programme: String,
    pub film: String,
    pub by: String,
    pub rebate: String,
    pub submitted: String,
}

#[derive(Template)]
#[template(path = "ministry.html")]
pub struct MinistryPage {
    pub chrome: Chrome,
    pub overall: Kpi,
    pub cohorts: Vec<Kpi>,
    pub trend: KpiTrendView,
    pub register: Vec<RegisterLine>,
    pub csv_href: String,
    pub arrow_href: String,
    pub silent_days: i64,
    pub silent: Vec<SilentLine>,
    pub queue: Vec<QueueLine>,
    pub pools_year: i32,
    pub pools: Vec<PoolLine>,
    /// The sentence after a decision (`?decided=`).
    pub notice: Option<String>,
}

fn share(lang: Lang, s: Option<&String>) -> String {
    s.and_then(|x| x.parse::<Decimal>().ok())
        .map(|d| i18n::percent(lang, d))
        .unwrap_or_else(|| "—".into())
}

fn kpi(lang: Lang, label: String, k: &RoiSummary) -> Kpi {
    Kpi {
        label,
        funded: i18n::count(lang, k.films_funded),
        released: i18n::count(lang, k.films_released),
        paid_back: i18n::count(lang, k.films_paid_back),
        share: share(lang, k.payback_share.as_ref()),
        recoupment: share(lang, k.recoupment.as_ref()),
    }
}

/// The register: state-funded films only (the API's list has every registered film).
fn register(all: &[FilmRoi]) -> Vec<&FilmRoi> {
    all.iter()
        .filter(|f| f.figures.state_funding.tiyn() > 0)
        .collect()
}

pub async fn page(s: &AppState, lang: Lang, signed: &Signed, query: &str) -> Response {
    render(s, lang, signed, query).await
}

/// The desk. Its claims link to their pages, where the decision forms are beside the figures.
async fn render(s: &AppState, lang: Lang, signed: &Signed, query: &str) -> Response {
    let started = Instant::now();
    let p = &signed.principal;
    let fail = |e: &api_core::error::ApiError| {
        cabinet::done(
            s,
            page::error(lang, "ministry", query, e),
            p,
            "web_ministry",
            "/{lang}/ministry",
            query,
            started,
        )
    };
    let form = crate::params::form(query);
    let all = match handlers::roi::films(
        s,
        p,
        PageQuery {
            page: Some(1),
            page_size: Some(s.settings.max_page_rows),
        },
    )
    .await
    {
        Ok(f) => f,
        Err(e) => return fail(&e),
    };
    if let Some(format) = form.get("format") {
        return export(s, lang, signed, query, format, &all.films, started).await;
    }
    let overall = match handlers::roi::summary(s, p, SummaryQuery { funding_year: None }).await {
        Ok(k) => k,
        Err(e) => return fail(&e),
    };
    let trend = match handlers::roi::kpi_trend(
        s,
        p,
        api_core::params::KpiTrendQuery {
            to: None,
            months: None,
        },
    )
    .await
    {
        Ok(t) => kpi_trend(lang, &t),
        Err(e) => return fail(&e),
    };
    let silent_days = form
        .get("silent_days")
        .and_then(|d| d.parse::<i64>().ok())
        .filter(|d| *d >= 0)
        .unwrap_or(SILENT_DAYS);
    let silent = match handlers::cinemas::silent(s, p, SilentQuery { silent_days }).await {
        Ok(x) => x,
        Err(e) => return fail(&e),
    };
    // The desk: claims waiting for a decision, then approved ones waiting to be paid.
    let mut queue = Vec::new();
    for status in ["submitted", "approved"] {
        let q = handlers::claims::ListQuery {
            status: Some(status.into()),
            programme: None,
            year: None,
            page: Some(1),
            page_size: Some(100),
        };
        match handlers::claims::list(s, p, q).await {
            Ok(x) => queue.extend(x.claims),
            Err(e) => return fail(&e),
        }
    }
    let pools_year = chrono::Datelike::year(&s.today());
    let pools = match handlers::claims::pools(
        s,
        p,
        handlers::claims::PoolsQuery {
            year: u16::try_from(pools_year).unwrap_or(2026),
        },
    )
    .await
    {
        Ok(x) => x,
        Err(e) => return fail(&e),
    };
    let registry = match s.registry().await {
        Ok(r) => r,
        Err(e) => return fail(&e.into()),
    };
    let title = |id: &str| title_in(lang, registry.films.get(id).map(|f| &f.title), id);
    let funded = register(&all.films);
    // Each cohort's KPI is the API's `?funding_year=` figure: the same function over the same
    // films (the register holds every film while there are at most `api.max_page_rows`).
    let years: BTreeSet<i32> = funded.iter().filter_map(|f| f.funding_year).collect();
    let cohorts = years
        .iter()
        .rev()
        .map(|y| kpi(lang, y.to_string(), &roi::summary(&all.films, Some(*y))))
        .collect();
    let money = |k: schemas::Kzt| i18n::money(lang, k.to_decimal());
    let day = |d: &Option<String>| {
        d.as_deref()
            .map(|x| i18n::iso_date(lang, x))
            .unwrap_or_else(|| "—".into())
    };
    let register = funded
        .iter()
        .map(|f| RegisterLine {
            href: format!(
                "/{}/films/{}",
                lang.code(),
                crate::params::path_segment(&f.film_id)
            ),
            title: title(&f.film_id),
            year: f
                .funding_year
                .map(|y| y.to_string())
                .unwrap_or_else(|| "—".into()),
            budget: money(f.figures.budget),
            state_funding: money(f.figures.state_funding),
            gross: money(f.figures.gross),
            net: money(f.figures.net),
            producer_share: money(f.figures.producer_share),
            recoupment: share(lang, f.figures.recoupment.as_ref()),
            paid_back: i18n::t(
                lang,
                if f.figures.paid_back {
                    "word-yes"
                } else {
                    "word-no"
                },
            ),
            first_day: day(&f.first_screening_day),
            last_day: day(&f.last_screening_day),
        })
        .collect();
    let silent = silent
        .cinemas
        .iter()
        .map(|c| SilentLine {
            bin: c.cinema_bin.clone(),
            name: registry
                .cinema_names
                .get(&c.cinema_bin)
                .map(|t| title_in(lang, Some(t), &c.name))
                .unwrap_or_else(|| c.name.clone()),
            last: c
                .last_event_at
                .as_deref()
                .map(|t| i18n::timestamp(lang, t))
                .unwrap_or_else(|| i18n::t(lang, "cab-never")),
            days: c
                .silent_days
                .map(|d| i18n::count(lang, d.unsigned_abs()))
                .unwrap_or_else(|| "—".into()),
        })
        .collect();
    // The foreign applicants' names, read once for the queue (a failed read leaves the ids).
    let applicants: std::collections::HashMap<String, String> = api_core::applicants::list(&s.app)
        .await
        .unwrap_or_default()
        .into_iter()
        .map(|a| (a.applicant_id, a.name))
        .collect();
    let queue = queue
        .iter()
        .map(|c| QueueLine {
            id: c.claim_id.clone(),
            href: format!(
                "/{}/ministry/claims/{}",
                lang.code(),
                crate::params::path_segment(&c.claim_id)
            ),
            programme: crate::estimate::programme_label(s, lang, &c.programme),
            film: title(&c.film_id),
            by: crate::words::filer(
                lang,
                Some(&registry),
                applicants.get(&c.submitted_by).map(String::as_str),
                &c.submitted_by,
            ),
            rebate: crate::pools::amount(lang, &c.currency, Some(&c.rebate)),
            submitted: at(lang, c.submitted_at),
        })
        .collect();
    let pools = pool_lines(s, lang, &pools);
    let base = format!("/{}/ministry", lang.code());
    let chrome = cabinet::chrome(
        s,
        lang,
        signed,
        "cab-ministry-title",
        "ministry",
        "ministry",
        query,
    )
    .await;
    let page_ = MinistryPage {
        chrome,
        overall: kpi(lang, i18n::t(lang, "cab-all-years"), &overall),
        cohorts,
        trend,
        register,
        csv_href: format!("{base}?format=csv"),
        arrow_href: format!("{base}?format=arrow"),
        silent_days,
        silent,
        queue,
        pools_year,
        pools,
        notice: form
            .get("decided")
            .map(|id| i18n::t_with(lang, "cab-decided", &[("claim", id.clone())])),
    };
    let status = StatusCode::OK;
    cabinet::done(
        s,
        page::html(status, lang, &page_),
        p,
        "web_ministry",
        "/{lang}/ministry",
        query,
        started,
    )
}

/// The register as a file, in the columns of `/v1/roi/films?format=`.
async fn export(
    s: &AppState,
    lang: Lang,
    signed: &Signed,
    query: &str,
    format: &str,
    all: &[FilmRoi],
    started: Instant,
) -> Response {
    let rows: Vec<serde_json::Value> = register(all)
        .iter()
        .filter_map(|f| serde_json::to_value(f).ok())
        .collect();
    cabinet::download(
        s,
        lang,
        signed,
        query,
        format,
        schemas::export::ROI_FILMS,
        rows,
        "ekino-register",
        "web_ministry",
        "/{lang}/ministry",
        "ministry",
        started,
    )
    .await
}
