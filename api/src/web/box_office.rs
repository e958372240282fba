//! `/{lang}/box-office?date=`: the day's chart, from the same function as
//! `GET /v1/box-office/daily` (`handlers::box_office::daily_chart`, with its one-second cache).
//!
//! A film is shown by its title in the page's language, falling back to Russian, then
//! Kazakh, then English, then its certificate number (the registry has all three titles; a
//! film not yet registered has none).

use askama::Template;
use chrono::NaiveDate;
use rust_decimal::Decimal;
use warp::http::StatusCode;
use warp::reply::Response;

use super::i18n::{self, Lang};
use super::page::{self, Chrome};
use crate::handlers;
use crate::params::DateQuery;
use crate::reports::chart::{ChartEntry, DailyChart};
use crate::reports::registry::Title;
use crate::reports::status::DayStatus;
use crate::state::AppState;

pub struct Row {
    pub rank: u32,
    /// `+2`, `−1`, `=`; empty for a film not ranked the day before.
    pub change: String,
    /// `up`, `down` or empty, for the change's colour.
    pub change_class: &'static str,
    pub is_new: bool,
    pub film_id: String,
    pub title: String,
    pub gross: String,
    pub share: String,
    pub admissions: String,
    pub cumulative_gross: String,
    pub cumulative_admissions: String,
    pub screens: String,
    pub shows: String,
    pub status: String,
    pub status_class: &'static str,
}

/// One bar of the SVG chart of the day's top films.
pub struct Bar {
    pub y: u32,
    pub width: u32,
    pub label: String,
    pub value: String,
}

#[derive(Template)]
#[template(path = "box_office.html")]
pub struct ChartPage {
    pub chrome: Chrome,
    pub heading: String,
    pub date_iso: String,
    pub status: String,
    pub status_class: &'static str,
    pub total_gross: String,
    pub total_admissions: String,
    pub rows: Vec<Row>,
    pub bars: Vec<Bar>,
    pub bars_height: u32,
}

/// The title in `lang`, then ru, kk, en, then the film id.
pub fn title_in(lang: Lang, title: Option<&Title>, film_id: &str) -> String {
    let Some(t) = title else {
        return film_id.to_owned();
    };
    let order: [&str; 4] = match lang {
        Lang::Kk => [&t.kk, &t.ru, &t.en, film_id],
        Lang::Ru => [&t.ru, &t.kk, &t.en, film_id],
        Lang::En => [&t.en, &t.ru, &t.kk, film_id],
    };
    order
        .into_iter()
        .find(|s| !s.trim().is_empty())
        .unwrap_or(film_id)
        .to_owned()
}

fn status_words(lang: Lang, s: DayStatus) -> (String, &'static str) {
    match s {
        DayStatus::Provisional => (i18n::t(lang, "status-provisional"), "status-provisional"),
        DayStatus::Final => (i18n::t(lang, "status-final"), "status-final"),
        DayStatus::Corrected => (i18n::t(lang, "status-corrected"), "status-corrected"),
    }
}

const BAR_ROW: u32 = 26;
const BAR_MAX: u32 = 360;
const TOP: usize = 10;

fn row(lang: Lang, e: &ChartEntry) -> Row {
    let (change, change_class) = match e.rank_change {
        None => (String::new(), ""),
        Some(0) => ("=".to_owned(), ""),
        Some(n) if n > 0 => (format!("+{n}"), "up"),
        Some(n) => (format!("−{}", n.unsigned_abs()), "down"),
    };
    let (status, status_class) = status_words(lang, e.status);
    Row {
        rank: e.rank,
        change,
        change_class,
        is_new: e.is_new,
        film_id: e.film_id.clone(),
        title: title_in(lang, e.title.as_ref(), &e.film_id),
        gross: i18n::money(lang, e.gross.to_decimal()),
        share: i18n::percent(lang, e.share.parse::<Decimal>().unwrap_or_default()),
        admissions: i18n::integer(lang, e.admissions),
        cumulative_gross: i18n::money(lang, e.cumulative_gross.to_decimal()),
        cumulative_admissions: i18n::integer(lang, e.cumulative_admissions),
        screens: i18n::integer(lang, i64::try_from(e.screens).unwrap_or(i64::MAX)),
        shows: i18n::integer(lang, i64::try_from(e.screenings).unwrap_or(i64::MAX)),
        status,
        status_class,
    }
}

/// Bars proportional to gross, the largest [`BAR_MAX`] wide.
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
            Bar {
                y: u32::try_from(i).unwrap_or(0) * BAR_ROW,
                width,
                label: title_in(lang, e.title.as_ref(), &e.film_id),
                value: i18n::money(lang, g),
            }
        })
        .collect()
}

pub fn render(lang: Lang, query: &str, chart: &DailyChart) -> ChartPage {
    let date = NaiveDate::parse_from_str(&chart.date, "%Y-%m-%d").ok();
    let shown = date.map_or_else(|| chart.date.clone(), |d| i18n::date(lang, d));
    let (status, status_class) = status_words(lang, chart.status);
    let bars = bars(lang, chart);
    ChartPage {
        chrome: Chrome::new(lang, "chart-title", "box-office", "box-office", query),
        heading: i18n::t_with(lang, "chart-heading", &[("date", shown)]),
        date_iso: chart.date.clone(),
        status,
        status_class,
        total_gross: i18n::money(lang, chart.total_gross.to_decimal()),
        total_admissions: i18n::integer(lang, chart.total_admissions),
        rows: chart.films.iter().map(|e| row(lang, e)).collect(),
        bars_height: u32::try_from(bars.len()).unwrap_or(0) * BAR_ROW,
        bars,
    }
}

pub async fn page(s: &AppState, lang: Lang, query: &str) -> Response {
    let form = super::form(query);
    let date = form
        .get("date")
        .cloned()
        .unwrap_or_else(|| s.today().to_string());
    match handlers::box_office::daily_chart(s, DateQuery { date }).await {
        Ok(chart) => page::html(StatusCode::OK, lang, &render(lang, query, &chart)),
        Err(e) => page::error(lang, "box-office", query, &e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
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
            gross: Kzt::from_tiyn(gross_tiyn),
            share: share.into(),
            admissions: 1234,
            screens: 3,
            screenings: 12,
            cumulative_gross: Kzt::from_tiyn(gross_tiyn * 3),
            cumulative_admissions: 5000,
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
            let html = render(lang, "date=2026-11-21&x=\"><script>", &chart())
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
        let kk = render(Lang::Kk, "", &chart()).render().unwrap();
        assert!(
            kk.contains("&#60;script&#62;alert(1)&#60;/script&#62;"),
            "the kk title, escaped"
        );
        let ru = render(Lang::Ru, "", &chart()).render().unwrap();
        assert!(
            ru.contains("Кек &#38; &#34;Мезгіл&#34;"),
            "the ru title, escaped"
        );
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
