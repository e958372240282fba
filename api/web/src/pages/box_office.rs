//! `/{lang}/box-office?date=&period=&region=&origin=`: the chart, from the same function as
//! `GET /v1/box-office/chart` (`handlers::box_office::chart`, with its one-second cache), and
//! `…&format=csv`, the table in machine form (decimal point, English headers, UTF-8) whatever
//! the page's language.
//!
//! A film is shown by its title in the page's language, falling back to Russian, then
//! Kazakh, then English, then its certificate number (the registry has all three titles; a
//! film not yet registered has none).

use askama::Template;
use chrono::Datelike;
use rust_decimal::Decimal;
use warp::http::{header, StatusCode};
use warp::reply::Response;
use warp::Reply;

use crate::i18n::{self, Lang};
use crate::page::{self, Chrome};
use crate::words::{choices, film_href, status_words, title_in, Choice};
use api_core::error::ApiError;
use api_core::handlers;
use api_core::params::ChartParams;
use api_core::reports::chart::{ChartEntry, DailyChart, Origin, Period};
use api_core::state::AppState;

pub struct Row {
    pub rank: u32,
    /// `+2`, `−1`, `=`; empty for a film not ranked the period before.
    pub change: String,
    /// `up`, `down` or empty, for the change's colour.
    pub change_class: &'static str,
    pub is_new: bool,
    pub film_id: String,
    pub href: String,
    pub title: String,
    pub release_date: String,
    pub days: String,
    pub distributor: String,
    pub gross: String,
    pub share: String,
    pub gross_change: String,
    pub gross_change_pct: String,
    pub gross_change_class: &'static str,
    pub admissions: String,
    pub cumulative_gross: String,
    pub cumulative_admissions: String,
    pub screens: String,
    pub shows: String,
    /// Share of declared shows, of their seats, and occupancy (empty: none declared).
    pub shows_share: String,
    pub seats_share: String,
    pub occupancy: String,
    pub status: String,
    pub status_class: &'static str,
}

/// One bar of the SVG chart of the period's top films.
pub struct Bar {
    pub y: u32,
    pub width: u32,
    pub label: String,
    pub value: String,
    /// The same bar drawn for a phone: the title on a line of its own above it, the bar at
    /// most `BAR_MAX_NARROW` long, so its 12-px words stay 12 px on a 420-px screen.
    pub y_narrow: u32,
    pub width_narrow: u32,
}

/// A phone's bar: a title line and a bar line (`BAR_ROW_NARROW` in all), on a 400-unit width.
pub const BAR_ROW_NARROW: u32 = 44;
const BAR_MAX_NARROW: u32 = 260;

/// One bar of the trend chart of a longer period: a day, or a week of a year to date.
pub struct TrendBar {
    pub y: u32,
    pub height: u32,
    /// The day (or the week's first and last day) and its gross, for the bar's tooltip.
    pub title: String,
}

/// The trend chart: bars and the words around them.
pub struct Trend {
    pub bars: Vec<TrendBar>,
    /// The desktop's and the phone's drawing of the same bars (CSS shows one).
    pub drawings: [TrendDrawing; 2],
    /// The largest bar's gross (the scale), the first and the last day.
    pub top: String,
    pub first: String,
    pub last: String,
    pub caption: String,
}

/// One drawing of the trend: its width, the plot's width after the `TREND_LEFT` margin, and a
/// bar's step and width.
pub struct TrendDrawing {
    pub class: &'static str,
    pub width: u32,
    pub plot: u32,
    pub step: usize,
    pub bar_width: u32,
}

/// The trend's plot: `TREND_HEIGHT` units tall, over `TREND_WIDTH` (desktop) or
/// `TREND_WIDTH_NARROW` (phone) units after a `TREND_LEFT` margin.
pub const TREND_HEIGHT: u32 = 120;
const TREND_WIDTH: u32 = 700;
const TREND_WIDTH_NARROW: u32 = 340;
/// Beyond this many days, a bar is a week.
const TREND_MAX_DAILY: usize = 62;

pub struct UnregisteredRow {
    pub films: String,
    pub gross: String,
    pub share: String,
    pub admissions: String,
    pub shows: String,
}

#[derive(Template)]
#[template(path = "box_office.html")]
pub struct ChartPage {
    pub chrome: Chrome,
    pub heading: String,
    pub date_iso: String,
    pub periods: Vec<Choice>,
    pub regions: Vec<Choice>,
    pub origins: Vec<Choice>,
    pub status: String,
    pub status_class: &'static str,
    pub data_as_of: String,
    pub total_gross: String,
    pub total_admissions: String,
    pub rows: Vec<Row>,
    /// Cinemas that declared sessions in the period (0: no seat columns).
    pub declaring: u64,
    pub declaring_words: String,
    pub unregistered: Option<UnregisteredRow>,
    pub bars: Vec<Bar>,
    pub bars_height: u32,
    pub bars_height_narrow: u32,
    pub csv_href: String,
    pub trend: Option<Trend>,
}

const BAR_ROW: u32 = 26;
const BAR_MAX: u32 = 360;
const TOP: usize = 10;

fn share(lang: Lang, s: &str) -> String {
    i18n::percent(lang, s.parse::<Decimal>().unwrap_or_default())
}

/// `partial`: the chart's day is today in Kazakhstan, not over yet.
fn row(lang: Lang, e: &ChartEntry, partial: bool) -> Row {
    let (change, change_class) = match e.rank_change {
        None => (String::new(), ""),
        Some(0) => ("=".to_owned(), ""),
        Some(n) if n > 0 => (format!("+{n}"), "up"),
        Some(n) => (format!("−{}", n.unsigned_abs()), "down"),
    };
    let (status, status_class) = status_words(lang, e.status, partial);
    let delta = e.gross_change.to_decimal();
    let signed = |text: String| {
        if delta > Decimal::ZERO {
            format!("+{text}")
        } else {
            text
        }
    };
    Row {
        rank: e.rank,
        change,
        change_class,
        is_new: e.is_new,
        film_id: e.film_id.clone(),
        href: film_href(lang, &e.film_id),
        title: title_in(lang, e.title.as_ref(), &e.film_id),
        release_date: e
            .release_date
            .as_deref()
            .map(|d| i18n::iso_date(lang, d))
            .unwrap_or_default(),
        days: e
            .days_in_release
            .map(|d| i18n::integer(lang, d))
            .unwrap_or_default(),
        distributor: e
            .distributor
            .as_ref()
            .map(|d| title_in(lang, Some(d), ""))
            .or_else(|| e.distributor_bin.clone())
            .unwrap_or_default(),
        gross: i18n::money(lang, e.gross.to_decimal()),
        share: share(lang, &e.share),
        gross_change: signed(i18n::money(lang, delta)),
        gross_change_pct: e
            .gross_change_ratio
            .as_deref()
            .map(|r| signed(share(lang, r)))
            .unwrap_or_default(),
        gross_change_class: if delta > Decimal::ZERO {
            "up"
        } else if delta < Decimal::ZERO {
            "down"
        } else {
            ""
        },
        admissions: i18n::integer(lang, e.admissions),
        cumulative_gross: i18n::money(lang, e.cumulative_gross.to_decimal()),
        cumulative_admissions: i18n::integer(lang, e.cumulative_admissions),
        screens: i18n::count(lang, e.screens),
        shows: i18n::count(lang, e.screenings),
        shows_share: e
            .shows_share
            .as_deref()
            .map(|r| share(lang, r))
            .unwrap_or_default(),
        seats_share: e
            .seats_share
            .as_deref()
            .map(|r| share(lang, r))
            .unwrap_or_default(),
        occupancy: e
            .occupancy
            .as_deref()
            .map(|r| share(lang, r))
            .unwrap_or_default(),
        status,
        status_class,
    }
}

/// Bars proportional to gross, the largest [`BAR_MAX`] wide. Long titles are cut to fit.
fn bars(lang: Lang, chart: &DailyChart) -> Vec<Bar> {
    let top: Vec<&ChartEntry> = chart.films.iter().take(TOP).collect();
    let max = top
        .iter()
        .map(|e| e.gross.to_decimal())
        .max()
        .unwrap_or_default();
    top.iter()
        .enumerate()
        .map(|(i, e)| {
            let g = e.gross.to_decimal();
            let width = if max > Decimal::ZERO {
                (g * Decimal::from(BAR_MAX) / max)
                    .round()
                    .try_into()
                    .unwrap_or(0u32)
                    .max(1)
            } else {
                0
            };
            let title = title_in(lang, e.title.as_ref(), &e.film_id);
            let label = if title.chars().count() > 34 {
                format!("{}…", title.chars().take(33).collect::<String>())
            } else {
                title
            };
            Bar {
                y: u32::try_from(i).unwrap_or(0) * BAR_ROW,
                y_narrow: u32::try_from(i).unwrap_or(0) * BAR_ROW_NARROW,
                width_narrow: (width * BAR_MAX_NARROW / BAR_MAX).max(u32::from(width > 0)),
                width,
                label,
                value: i18n::money(lang, g),
            }
        })
        .collect()
}

/// The trend of a longer period: a bar a day, or a bar a week (Monday to Sunday, cut to the
/// period) beyond [`TREND_MAX_DAILY`] days, each as tall as its gross against the largest.
fn trend(lang: Lang, chart: &DailyChart) -> Option<Trend> {
    if chart.trend.len() < 2 {
        return None;
    }
    let weekly = chart.trend.len() > TREND_MAX_DAILY;
    // (first day, last day, gross) per bar.
    let mut groups: Vec<(String, String, Decimal)> = Vec::new();
    for p in &chart.trend {
        let g = p.gross.to_decimal();
        let monday = chrono::NaiveDate::parse_from_str(&p.day, "%Y-%m-%d")
            .map(|d| d.weekday() == chrono::Weekday::Mon)
            .unwrap_or(false);
        match groups.last_mut() {
            Some(last) if weekly && !monday => {
                last.1 = p.day.clone();
                last.2 += g;
            }
            _ => groups.push((p.day.clone(), p.day.clone(), g)),
        }
    }
    let max = groups.iter().map(|g| g.2).max().unwrap_or_default();
    let n = u32::try_from(groups.len()).unwrap_or(1).max(1);
    let (step, step_narrow) = (TREND_WIDTH / n, TREND_WIDTH_NARROW / n);
    let bars = groups
        .iter()
        .map(|(from, to, g)| {
            let height: u32 = if max > Decimal::ZERO {
                (*g * Decimal::from(TREND_HEIGHT) / max)
                    .round()
                    .try_into()
                    .unwrap_or(0)
            } else {
                0
            };
            let when = if from == to {
                i18n::iso_date(lang, from)
            } else {
                format!(
                    "{} – {}",
                    i18n::iso_date(lang, from),
                    i18n::iso_date(lang, to)
                )
            };
            TrendBar {
                y: TREND_HEIGHT - height,
                height,
                title: format!("{when}: {}", i18n::money(lang, *g)),
            }
        })
        .collect();
    Some(Trend {
        bars,
        drawings: [
            ("wide", TREND_WIDTH, step),
            ("narrow", TREND_WIDTH_NARROW, step_narrow),
        ]
        .map(|(class, plot, step)| TrendDrawing {
            class,
            width: plot + 60,
            plot,
            step: step as usize,
            bar_width: step.saturating_sub(1).max(1),
        }),
        top: i18n::money(lang, max),
        first: i18n::iso_date(lang, &chart.trend[0].day),
        last: i18n::iso_date(lang, &chart.trend[chart.trend.len() - 1].day),
        caption: i18n::t(
            lang,
            if weekly {
                "chart-trend-weekly"
            } else {
                "chart-trend-daily"
            },
        ),
    })
}

/// `today` is Kazakhstan's date: a chart of it is marked incomplete.
pub fn render(lang: Lang, query: &str, chart: &DailyChart, today: &str) -> ChartPage {
    let (status, status_class) = status_words(lang, chart.status, chart.date == today);
    let bars = bars(lang, chart);
    let heading = match chart.period {
        Period::Day => i18n::t_with(
            lang,
            "chart-heading",
            &[("date", i18n::iso_date(lang, &chart.date))],
        ),
        Period::Weekend | Period::Week | Period::Month | Period::Year => i18n::t_with(
            lang,
            match chart.period {
                Period::Weekend => "chart-heading-weekend",
                Period::Week => "chart-heading-week",
                Period::Month => "chart-heading-month",
                _ => "chart-heading-year",
            },
            &[
                ("from", i18n::iso_date(lang, &chart.from)),
                ("to", i18n::iso_date(lang, &chart.to)),
            ],
        ),
    };
    let periods = choices(
        Period::ALL.map(|p| {
            (
                p.as_str().to_owned(),
                i18n::t(lang, &format!("period-{}", p.as_str())),
            )
        }),
        chart.period.as_str(),
    );
    let region = chart.region.clone().unwrap_or_default();
    let mut regions = vec![Choice {
        value: String::new(),
        label: i18n::t(lang, "region-all"),
        selected: region.is_empty(),
    }];
    regions.extend(chart.regions.iter().map(|r| Choice {
        selected: r.code == region,
        value: r.code.clone(),
        label: title_in(lang, Some(&r.name), &r.code),
    }));
    let origin = chart.origin.map(Origin::as_str).unwrap_or_default();
    let origins = choices(
        [
            ("", "origin-all"),
            ("national", "origin-national"),
            ("foreign", "origin-foreign"),
        ]
        .map(|(v, k)| (v.to_owned(), i18n::t(lang, k))),
        origin,
    );
    let mut csv = crate::params::form(query);
    csv.insert("format".into(), "csv".into());
    let mut csv: Vec<(String, String)> = csv.into_iter().collect();
    csv.sort();
    ChartPage {
        chrome: Chrome::new(lang, "chart-title", "box-office", "box-office", query),
        heading,
        date_iso: chart.date.clone(),
        periods,
        regions,
        origins,
        status,
        status_class,
        data_as_of: chart
            .data_as_of
            .as_deref()
            .map(|t| i18n::timestamp(lang, t))
            .unwrap_or_else(|| "—".into()),
        total_gross: i18n::money(lang, chart.total_gross.to_decimal()),
        total_admissions: i18n::integer(lang, chart.total_admissions),
        rows: chart
            .films
            .iter()
            .map(|e| row(lang, e, chart.date == today))
            .collect(),
        declaring: chart.declaring_cinemas,
        declaring_words: i18n::t_with(
            lang,
            "chart-seats-note",
            &[("cinemas", i18n::count(lang, chart.declaring_cinemas))],
        ),
        unregistered: chart.unregistered.as_ref().map(|u| UnregisteredRow {
            films: i18n::count(lang, u.films),
            gross: i18n::money(lang, u.gross.to_decimal()),
            share: share(lang, &u.share),
            admissions: i18n::integer(lang, u.admissions),
            shows: i18n::count(lang, u.screenings),
        }),
        bars_height: u32::try_from(bars.len()).unwrap_or(0) * BAR_ROW,
        bars_height_narrow: u32::try_from(bars.len()).unwrap_or(0) * BAR_ROW_NARROW,
        bars,
        trend: trend(lang, chart),
        csv_href: format!(
            "/{}/box-office?{}",
            lang.code(),
            serde_urlencoded::to_string(&csv).unwrap_or_default()
        ),
    }
}

/// The chart's table in machine form (decimal point, English headers, UTF-8): the core's
/// export rows under the export columns `schemas::export::CHART`, as every list's CSV is
/// written; a value the columns refuse is an error, never a short file.
pub fn csv(chart: &DailyChart) -> Result<Vec<u8>, ApiError> {
    let rows = api_core::reports::chart::export_rows(chart);
    schemas::export::to_csv(schemas::export::CHART, &rows)
        .map_err(|e| ApiError::Internal(format!("the chart's csv: {e}")))
}

/// The chart's query from a page's form: absent period is a day, absent date yesterday (in
/// UTC+5), the last whole day, as KOBIS opens; today's partial chart is one pick away.
fn query_of(s: &AppState, form: &std::collections::HashMap<String, String>) -> ChartParams {
    ChartParams {
        date: form
            .get("date")
            .cloned()
            .unwrap_or_else(|| (s.today() - chrono::Days::new(1)).to_string()),
        period: form.get("period").cloned(),
        region: form.get("region").cloned(),
        origin: form.get("origin").cloned(),
    }
}

pub async fn page(s: &AppState, lang: Lang, query: &str) -> Response {
    let form = crate::params::form(query);
    let chart = async {
        handlers::box_office::chart(s, handlers::box_office::chart_query(&query_of(s, &form))?)
            .await
    }
    .await;
    match (chart, form.get("format").map(String::as_str)) {
        (Ok(chart), Some("csv")) => {
            let body = match csv(&chart) {
                Ok(body) => body,
                Err(e) => return page::error(lang, "box-office", query, &e),
            };
            let name = format!(
                "ekino-box-office-{}-{}.csv",
                chart.period.as_str(),
                chart.date
            );
            let mut resp =
                warp::reply::with_header(body, header::CONTENT_TYPE, "text/csv; charset=utf-8")
                    .into_response();
            resp.headers_mut().insert(
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\"")
                    .parse()
                    .expect("header"),
            );
            resp
        }
        (Ok(_), Some(other)) if other != "html" => page::error(
            lang,
            "box-office",
            query,
            &ApiError::bad("format", format!("must be csv or html, got {other:?}")),
        ),
        (Ok(chart), _) => page::html(
            StatusCode::OK,
            lang,
            &render(lang, query, &chart, &s.today().to_string()),
        ),
        (Err(e), _) => page::error(lang, "box-office", query, &e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use api_core::reports::registry::Title;
    use api_core::reports::status::DayStatus;
    use askama::Template;
    use schemas::Kzt;

    fn entry(
        rank: u32,
        film: &str,
        title: Option<Title>,
        gross_tiyn: i64,
        share: &str,
        change: Option<i64>,
    ) -> ChartEntry {
        ChartEntry {
            rank,
            rank_change: change,
            is_new: change.is_none(),
            film_id: film.into(),
            title,
            release_date: Some("2026-11-20".into()),
            days_in_release: Some(2),
            national: Some(true),
            distributor_bin: Some("080140000006".into()),
            distributor: Some(Title {
                kk: "Дала <Медиа>".into(),
                ru: "Дала Медиа".into(),
                en: "Dala Media".into(),
            }),
            gross: Kzt::from_tiyn(gross_tiyn),
            share: share.into(),
            gross_change: Kzt::from_tiyn(gross_tiyn / 4),
            gross_change_ratio: Some("0.3333".into()),
            admissions: 1234,
            screens: 3,
            screenings: 12,
            cumulative_gross: Kzt::from_tiyn(gross_tiyn * 3),
            cumulative_admissions: 5000,
            shows_share: None,
            seats_share: None,
            occupancy: None,
            status: DayStatus::Provisional,
        }
    }

    fn chart() -> DailyChart {
        let hostile = Title {
            kk: "<script>alert(1)</script>".into(),
            ru: "Кек & \"Мезгіл\"".into(),
            en: "Steppe Light".into(),
        };
        DailyChart {
            date: "2026-11-21".into(),
            period: Period::Day,
            from: "2026-11-21".into(),
            to: "2026-11-21".into(),
            region: None,
            origin: None,
            data_as_of: Some("2026-11-21T14:05:09+05:00".into()),
            unregistered: Some(api_core::reports::chart::Unregistered {
                films: 2,
                gross: Kzt::from_tiyn(1_000),
                share: "0".into(),
                admissions: 1,
                screenings: 1,
            }),
            regions: vec![],
            declaring_cinemas: 0,
            trend: Vec::new(),
            status: DayStatus::Provisional,
            total_gross: Kzt::from_tiyn(300_000_000),
            total_admissions: 2468,
            films: vec![
                entry(
                    1,
                    "KZ26-0001",
                    Some(hostile),
                    200_000_000,
                    "0.6667",
                    Some(1),
                ),
                entry(2, "<b>X</b>", None, 100_000_000, "0.3333", None),
            ],
        }
    }

    /// The file a newsroom downloads, written out here by hand: named columns, every film's
    /// three titles, the unregistered line with its own columns only, and a title that would
    /// run as a formula in a spreadsheet neutralised.
    #[test]
    fn the_charts_csv_is_the_export_columns_with_each_value_in_its_place() {
        let mut c = chart();
        c.films[0].shows_share = Some("0.2500".into());
        c.films[0].seats_share = Some("0.3000".into());
        c.films[0].occupancy = Some("0.1500".into());
        c.films[1].title = Some(Title {
            kk: "=1+1".into(),
            ru: "Второй".into(),
            en: "Second, part 2".into(),
        });
        let text = String::from_utf8(csv(&c).unwrap()).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines,
            [
                "rank,rank_change,new,film_id,title_en,title_ru,title_kk,release_date,days_in_release,distributor,gross,share,gross_change,gross_change_ratio,admissions,cumulative_gross,cumulative_admissions,screens,screenings,shows_share,seats_share,occupancy,status",
                "1,1,false,KZ26-0001,Steppe Light,\"Кек & \"\"Мезгіл\"\"\",<script>alert(1)</script>,2026-11-20,2,Dala Media,2000000.00,0.6667,500000.00,0.3333,1234,6000000.00,5000,3,12,0.2500,0.3000,0.1500,provisional",
                "2,,true,<b>X</b>,\"Second, part 2\",Второй,\"'=1+1\",2026-11-20,2,Dala Media,1000000.00,0.3333,250000.00,0.3333,1234,3000000.00,5000,3,12,,,,provisional",
                ",,,unregistered,,,,,,,10.00,0,,,1,,,,1,,,,",
            ]
        );
    }

    #[test]
    fn the_chart_page_speaks_each_language_and_escapes_tenant_text() {
        let nb = '\u{a0}';
        let cases = [
            (
                Lang::Kk,
                "21.11.2026 күнгі кассалық жинақтар",
                format!("2{nb}000{nb}000,00{nb}₸"),
                format!("66,7{nb}%"),
            ),
            (
                Lang::Ru,
                "Кассовые сборы за 21.11.2026",
                format!("2{nb}000{nb}000,00{nb}₸"),
                format!("66,7{nb}%"),
            ),
            (
                Lang::En,
                "Box office for 21 Nov 2026",
                "₸2,000,000.00".to_owned(),
                "66.7%".to_owned(),
            ),
        ];
        for (lang, heading, gross, share) in cases {
            let html = render(
                lang,
                "date=2026-11-21&x=\"><script>",
                &chart(),
                "2000-01-01",
            )
            .render()
            .unwrap();
            assert!(
                html.contains(&format!("<html lang=\"{}\">", lang.code())),
                "{lang:?}"
            );
            assert!(html.contains(heading), "{lang:?}: heading");
            assert!(
                html.contains(&gross) && html.contains(&share),
                "{lang:?}: {gross} {share}"
            );
            assert!(
                !html.contains("<script>alert")
                    && !html.contains("<b>X</b>")
                    && !html.contains("\"><script>"),
                "{lang:?}: tenant text or the query escaped"
            );
            assert!(
                html.contains("&#60;b&#62;X&#60;/b&#62;"),
                "{lang:?}: an unregistered film shows its id, escaped"
            );
            // The language switch keeps the query, in every language.
            for other in Lang::ALL {
                assert!(
                    html.contains(&format!(
                        "href=\"/{}/box-office?date=2026-11-21&#38;x=",
                        other.code()
                    )),
                    "{lang:?} → {other:?}"
                );
            }
            // The SVG has one bar per film, the largest 360 wide and the next half of it.
            assert!(
                html.contains("width=\"360\"") && html.contains("width=\"180\""),
                "{lang:?}: bars"
            );
        }
        let kk = render(Lang::Kk, "", &chart(), "2000-01-01")
            .render()
            .unwrap();
        assert!(
            kk.contains("&#60;script&#62;alert(1)&#60;/script&#62;"),
            "the kk title, escaped"
        );
        let ru = render(Lang::Ru, "", &chart(), "2000-01-01")
            .render()
            .unwrap();
        assert!(
            ru.contains("Кек &#38; &#34;Мезгіл&#34;"),
            "the ru title, escaped"
        );
    }

    fn points(from: &str, gross: &[i64]) -> Vec<api_core::reports::chart::TrendPoint> {
        let first = chrono::NaiveDate::parse_from_str(from, "%Y-%m-%d").unwrap();
        gross
            .iter()
            .zip(first.iter_days())
            .map(|(g, d)| api_core::reports::chart::TrendPoint {
                day: d.to_string(),
                gross: Kzt::from_tiyn(*g),
                admissions: 0,
            })
            .collect()
    }

    #[test]
    fn a_month_is_drawn_day_by_day_and_a_year_week_by_week() {
        let mut c = chart();
        c.period = Period::Month;
        // 1–3 November 2026: 100.00, nothing, 50.00 (the largest is full height).
        c.trend = points("2026-11-01", &[10_000, 0, 5_000]);
        let t = trend(Lang::En, &c).expect("a trend");
        let heights: Vec<u32> = t.bars.iter().map(|b| b.height).collect();
        assert_eq!(heights, [TREND_HEIGHT, 0, TREND_HEIGHT / 2]);
        assert_eq!(t.bars[2].y, TREND_HEIGHT / 2, "bars stand on the axis");
        // Three bars across the desktop's 700 units and the phone's 340, a unit apart.
        let steps: Vec<(usize, u32)> = t.drawings.iter().map(|d| (d.step, d.bar_width)).collect();
        assert_eq!(steps, [(233, 232), (113, 112)]);
        assert_eq!(t.top, i18n::money(Lang::En, Decimal::new(100, 0)));
        assert_eq!(t.caption, i18n::t(Lang::En, "chart-trend-daily"));

        // A year to date of 70 days from Thursday 1 January 2026: the first bar is Thursday to
        // Sunday (4 days), then Monday-to-Sunday weeks, the last cut at the 70th day (Wed 11 March: 3 days).
        c.period = Period::Year;
        c.trend = points("2026-01-01", &[100; 70]);
        let t = trend(Lang::Ru, &c).expect("a trend");
        assert_eq!(t.caption, i18n::t(Lang::Ru, "chart-trend-weekly"));
        assert_eq!(t.bars.len(), 11, "4 days, 9 weeks, 3 days");
        assert!(
            t.bars[0]
                .title
                .ends_with(&i18n::money(Lang::Ru, Decimal::new(4, 0))),
            "{}",
            t.bars[0].title
        );
        assert!(
            t.bars[1]
                .title
                .ends_with(&i18n::money(Lang::Ru, Decimal::new(7, 0))),
            "{}",
            t.bars[1].title
        );
        assert!(
            t.bars[10]
                .title
                .ends_with(&i18n::money(Lang::Ru, Decimal::new(3, 0))),
            "{}",
            t.bars[10].title
        );

        c.period = Period::Day;
        c.trend = Vec::new();
        assert!(trend(Lang::En, &c).is_none(), "a day has no trend");
    }

    #[test]
    fn titles_fall_back_in_the_documented_order() {
        let t = |kk: &str, ru: &str, en: &str| Title {
            kk: kk.into(),
            ru: ru.into(),
            en: en.into(),
        };
        assert_eq!(title_in(Lang::En, Some(&t("к", "р", "")), "F"), "р");
        assert_eq!(title_in(Lang::Kk, Some(&t(" ", "р", "e")), "F"), "р");
        assert_eq!(title_in(Lang::Ru, Some(&t("к", "", "e")), "F"), "к");
        assert_eq!(title_in(Lang::Ru, Some(&t("", "", "")), "F"), "F");
        assert_eq!(title_in(Lang::En, None, "F"), "F");
    }
}
