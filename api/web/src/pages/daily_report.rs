//! `/{lang}/ministry/daily?date=`: the ministry's daily national report, the page it sends
//! upward. For one box-office day (yesterday by default, the last whole day): the country's
//! gross and admissions against the day before and the same day a week earlier, the films
//! shown, the national films' share, the cinemas reporting and the day's status; the day's
//! ten films; every region. `&format=pdf` prints this page (A4, numbered pages, without the
//! site's controls: `pdf`), `&format=csv` gives its figures as one table
//! (`schemas::export::DAILY_REPORT`).
//!
//! The figures come from the JSON twins' own handlers: the chart of the day, of the day
//! before and of a week before (`GET /v1/box-office/chart`, public and cached) and the regions
//! (`GET /v1/box-office/regions`, with the session's key), so the report equals what the API
//! answers.

use std::collections::HashMap;
use std::time::Instant;

use askama::Template;
use chrono::{Days, NaiveDate};
use rust_decimal::Decimal;
use serde_json::{json, Value};
use warp::http::StatusCode;
use warp::reply::Response;

use crate::cabinet;
use crate::i18n::{self, Lang};
use crate::page::{self, Chrome};
use crate::session::Signed;
use crate::words::{film_href, status_words, title_in};
use api_core::error::ApiError;
use api_core::handlers;
use api_core::params::RangeQuery;
use api_core::reports::chart::{ChartQuery, DailyChart};
use api_core::reports::regions::RegionsReport;
use api_core::state::AppState;

const ROUTE: &str = "web_ministry_daily";
const PATH: &str = "/{lang}/ministry/daily";
/// Films in the report's table (the chart page lists them all).
pub const FILMS_SHOWN: usize = 10;

pub struct Fact {
    pub id: &'static str,
    pub label: String,
    pub value: String,
    /// Against the day before and a week before: `+12,5 %`; empty when that day sold nothing.
    pub changes: String,
}

pub struct FilmLine {
    pub rank: u32,
    pub film_id: String,
    pub href: String,
    pub title: String,
    pub gross: String,
    pub share: String,
    pub admissions: String,
    pub change: String,
}

pub struct RegionLine {
    pub code: String,
    pub name: String,
    pub cinemas: String,
    pub admissions: String,
    pub gross: String,
    pub share: String,
}

#[derive(Template)]
#[template(path = "daily_report.html")]
pub struct DailyReportPage {
    pub chrome: Chrome,
    pub date: String,
    pub heading: String,
    pub status: String,
    pub status_class: &'static str,
    pub facts: Vec<Fact>,
    pub films: Vec<FilmLine>,
    pub regions: Vec<RegionLine>,
    pub pdf_href: String,
    pub csv_href: String,
}

/// The three charts and the regions the report is made of.
pub struct Figures {
    pub day: DailyChart,
    pub before: DailyChart,
    pub week: DailyChart,
    pub regions: RegionsReport,
}

fn tiyn(k: schemas::Kzt) -> i64 {
    k.tiyn()
}

/// `now` over `then` as a signed percentage (`+12,5 %`), or empty when `then` is 0.
fn change(lang: Lang, now: i64, then: i64) -> String {
    if then == 0 {
        return String::new();
    }
    let r = Decimal::from(now - then) / Decimal::from(then);
    let text = i18n::percent(lang, r);
    if r > Decimal::ZERO {
        format!("+{text}")
    } else {
        text
    }
}

fn share(lang: Lang, s: Option<&str>) -> String {
    s.and_then(|x| x.parse::<Decimal>().ok())
        .map(|d| i18n::percent(lang, d))
        .unwrap_or_else(|| "—".into())
}

/// The national films' gross over the day's.
fn national_gross(c: &DailyChart) -> i64 {
    c.films
        .iter()
        .filter(|f| f.national == Some(true))
        .map(|f| tiyn(f.gross))
        .sum()
}

pub fn render(lang: Lang, chrome: Chrome, f: &Figures, today: NaiveDate) -> DailyReportPage {
    let day = &f.day;
    let date = day.date.clone();
    let partial = date == today.to_string();
    let (status, status_class) = status_words(lang, day.status, partial);
    let total = tiyn(day.total_gross);
    let both = |now: i64, before: i64, week: i64| {
        let parts: Vec<String> = [
            ("daily-vs-day-before", change(lang, now, before)),
            ("daily-vs-week-before", change(lang, now, week)),
        ]
        .into_iter()
        .filter(|(_, c)| !c.is_empty())
        .map(|(k, c)| i18n::t_with(lang, k, &[("change", c)]))
        .collect();
        parts.join(" · ")
    };
    let national = national_gross(day);
    let facts = vec![
        Fact {
            id: "gross",
            label: i18n::t(lang, "chart-total-gross"),
            value: i18n::money(lang, day.total_gross.to_decimal()),
            changes: both(total, tiyn(f.before.total_gross), tiyn(f.week.total_gross)),
        },
        Fact {
            id: "admissions",
            label: i18n::t(lang, "chart-total-admissions"),
            value: i18n::integer(lang, day.total_admissions),
            changes: both(
                day.total_admissions,
                f.before.total_admissions,
                f.week.total_admissions,
            ),
        },
        Fact {
            id: "national-share",
            label: i18n::t(lang, "daily-national-share"),
            value: if total > 0 {
                i18n::percent(lang, Decimal::from(national) / Decimal::from(total))
            } else {
                "—".into()
            },
            changes: String::new(),
        },
        Fact {
            id: "films",
            label: i18n::t(lang, "daily-films"),
            value: i18n::count(
                lang,
                day.films.len() as u64 + day.unregistered.as_ref().map_or(0, |u| u.films),
            ),
            changes: String::new(),
        },
        Fact {
            id: "cinemas",
            label: i18n::t(lang, "daily-cinemas"),
            value: i18n::count(lang, f.regions.rows.iter().map(|r| r.cinemas).sum()),
            changes: String::new(),
        },
    ];
    let films = day
        .films
        .iter()
        .take(FILMS_SHOWN)
        .map(|e| FilmLine {
            rank: e.rank,
            film_id: e.film_id.clone(),
            href: film_href(lang, &e.film_id),
            title: title_in(lang, e.title.as_ref(), &e.film_id),
            gross: i18n::money(lang, e.gross.to_decimal()),
            share: share(lang, Some(&e.share)),
            admissions: i18n::integer(lang, e.admissions),
            change: change(lang, tiyn(e.gross), tiyn(e.gross) - tiyn(e.gross_change)),
        })
        .collect();
    let regions = f
        .regions
        .rows
        .iter()
        .map(|r| RegionLine {
            code: r.region.clone().unwrap_or_default(),
            name: r.name.as_ref().map_or_else(
                || i18n::t(lang, "com-no-region"),
                |n| title_in(lang, Some(n), ""),
            ),
            cinemas: i18n::count(lang, r.cinemas),
            admissions: i18n::integer(lang, r.admissions),
            gross: i18n::money(lang, r.gross.to_decimal()),
            share: share(lang, r.share.as_deref()),
        })
        .collect();
    let base = format!("/{}/ministry/daily?date={date}", lang.code());
    DailyReportPage {
        chrome,
        heading: i18n::t_with(
            lang,
            "daily-heading",
            &[("date", i18n::iso_date(lang, &date))],
        ),
        status,
        status_class,
        facts,
        films,
        regions,
        pdf_href: format!("{base}&format=pdf"),
        csv_href: format!("{base}&format=csv"),
        date,
    }
}

/// The report's figures as the rows of [`schemas::export::DAILY_REPORT`].
pub fn rows(f: &Figures) -> Vec<Value> {
    let day = &f.day;
    let status = serde_json::to_value(day.status).unwrap_or(Value::Null);
    let before: HashMap<&str, i64> = f
        .before
        .films
        .iter()
        .map(|e| (e.film_id.as_str(), tiyn(e.gross)))
        .collect();
    let week: HashMap<&str, i64> = f
        .week
        .films
        .iter()
        .map(|e| (e.film_id.as_str(), tiyn(e.gross)))
        .collect();
    let money = |t: i64| schemas::Kzt::from_tiyn(t).to_decimal().to_string();
    let mut out = vec![json!({
        "section": "total",
        "key": "KZ",
        "day": day.date,
        "gross": money(tiyn(day.total_gross)),
        "share": "1",
        "admissions": day.total_admissions,
        "gross_day_before": money(tiyn(f.before.total_gross)),
        "gross_week_before": money(tiyn(f.week.total_gross)),
        "cinemas": f.regions.rows.iter().map(|r| r.cinemas).sum::<u64>(),
        "status": status,
    })];
    for e in &day.films {
        let t = e.title.as_ref();
        out.push(json!({
            "section": "film",
            "key": e.film_id,
            "name_en": t.map(|t| t.en.clone()),
            "name_ru": t.map(|t| t.ru.clone()),
            "name_kk": t.map(|t| t.kk.clone()),
            "rank": e.rank,
            "day": day.date,
            "gross": money(tiyn(e.gross)),
            "share": e.share,
            "admissions": e.admissions,
            "gross_day_before": money(before.get(e.film_id.as_str()).copied().unwrap_or(0)),
            "gross_week_before": money(week.get(e.film_id.as_str()).copied().unwrap_or(0)),
            "status": serde_json::to_value(e.status).unwrap_or(Value::Null),
        }));
    }
    for r in &f.regions.rows {
        let n = r.name.as_ref();
        out.push(json!({
            "section": "region",
            "key": r.region.clone().unwrap_or_default(),
            "name_en": n.map(|t| t.en.clone()),
            "name_ru": n.map(|t| t.ru.clone()),
            "name_kk": n.map(|t| t.kk.clone()),
            "day": day.date,
            "gross": money(tiyn(r.gross)),
            "share": r.share,
            "admissions": r.admissions,
            "cinemas": r.cinemas,
        }));
    }
    out
}

async fn figures(s: &AppState, signed: &Signed, date: NaiveDate) -> Result<Figures, ApiError> {
    let chart = |d: NaiveDate| handlers::box_office::chart(s, ChartQuery::day(d));
    Ok(Figures {
        day: chart(date).await?,
        before: chart(date - Days::new(1)).await?,
        week: chart(date - Days::new(7)).await?,
        regions: handlers::box_office::regions(
            s,
            &signed.principal,
            RangeQuery {
                from: date.to_string(),
                to: date.to_string(),
            },
        )
        .await?,
    })
}

pub async fn page(s: &AppState, lang: Lang, signed: &Signed, query: &str) -> Response {
    let started = Instant::now();
    let p = &signed.principal;
    let fail = |e: &ApiError| {
        cabinet::done(
            s,
            page::error(lang, "ministry/daily", query, e),
            p,
            ROUTE,
            PATH,
            query,
            started,
        )
    };
    let form = crate::params::form(query);
    let today = s.today();
    let date = match form.get("date") {
        None => today - Days::new(1),
        Some(d) => match api_core::params::date("date", d) {
            Ok(d) => d,
            Err(e) => return fail(&e),
        },
    };
    let f = match figures(s, signed, date).await {
        Ok(f) => f,
        Err(e) => return fail(&e),
    };
    let format = form.get("format").map(String::as_str);
    if let Some(other) = format.filter(|f| *f != "pdf") {
        return cabinet::download(
            s,
            lang,
            signed,
            query,
            other,
            schemas::export::DAILY_REPORT,
            rows(&f),
            &format!("ekino-daily-{date}"),
            ROUTE,
            PATH,
            "ministry/daily",
            started,
        )
        .await;
    }
    // The page and its PDF are one rendering (the PDF's print styles drop the controls).
    let chrome = cabinet::chrome(
        s,
        lang,
        signed,
        "daily-title",
        "ministry",
        "ministry/daily",
        query,
    )
    .await;
    let report = render(lang, chrome, &f, today);
    let resp = if format.is_none() {
        page::html(StatusCode::OK, lang, &report)
    } else {
        match report.render() {
            Ok(html) => {
                let client = format!("key:{}", p.key_id);
                crate::pdf::render(&html, &format!("ekino-daily-{date}.pdf"), &client).await
            }
            Err(e) => page::error(
                lang,
                "ministry/daily",
                query,
                &ApiError::Internal(e.to_string()),
            ),
        }
    };
    cabinet::done(s, resp, p, ROUTE, PATH, query, started)
}
