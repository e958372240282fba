//! `/{lang}/films/{film_id}`: a registered film's run, from the same function as
//! `GET /v1/films/{film_id}/run` (`handlers::box_office::film_run`): titles, release date,
//! distributor, national or foreign, the daily gross and admissions (SVG), screens over time
//! (SVG), weekends, cumulative figures, and the ministry's ROI words when it publishes them.

use askama::Template;
use rust_decimal::Decimal;
use warp::http::StatusCode;
use warp::reply::Response;

use crate::curve::{curve, Curve, CurveDay};
use crate::i18n::{self, Lang};
use crate::page::{self, Chrome};
use crate::words::{status_words, title_in};
use api_core::handlers;
use api_core::reports::film_run::{FilmRun, Weekend};
use api_core::state::AppState;

pub struct WeekendRow {
    pub name: String,
    pub dates: String,
    pub gross: String,
    pub admissions: String,
    pub screens: String,
}

pub struct DayRow {
    pub day: String,
    pub gross: String,
    pub admissions: String,
    pub screens: String,
    pub shows: String,
    pub status: String,
    pub status_class: &'static str,
}

pub struct Fact {
    pub label: String,
    pub value: String,
    pub id: &'static str,
}

#[derive(Template)]
#[template(path = "film.html")]
pub struct FilmPage {
    pub chrome: Chrome,
    pub title: String,
    /// The titles in the other languages, when they differ.
    pub other_titles: Vec<(String, String)>,
    pub facts: Vec<Fact>,
    pub roi: Vec<Fact>,
    pub roi_published: bool,
    pub curve: Curve,
    pub weekends: Vec<WeekendRow>,
    pub days: Vec<DayRow>,
    pub json_href: String,
}

fn money(lang: Lang, k: schemas::Kzt) -> String {
    i18n::money(lang, k.to_decimal())
}

fn weekend_row(lang: Lang, w: &Weekend) -> WeekendRow {
    WeekendRow {
        name: i18n::t_with(lang, "film-weekend-n", &[("n", w.number.to_string())]),
        dates: format!(
            "{} – {}",
            i18n::iso_date(lang, &w.from),
            i18n::iso_date(lang, &w.to)
        ),
        gross: money(lang, w.gross),
        admissions: i18n::integer(lang, w.admissions),
        screens: i18n::count(lang, w.screens),
    }
}

/// `today` is Kazakhstan's date: its day, not over yet, is marked incomplete.
pub fn render(lang: Lang, query: &str, run: &FilmRun, today: &str) -> FilmPage {
    let title = title_in(lang, Some(&run.title), &run.film_id);
    let other_titles = [
        (Lang::Kk, &run.title.kk),
        (Lang::Ru, &run.title.ru),
        (Lang::En, &run.title.en),
    ]
    .into_iter()
    .filter(|(l, t)| *l != lang && !t.trim().is_empty() && **t != title)
    .map(|(l, t)| (l.code().to_owned(), t.clone()))
    .collect();
    let origin = if run.national {
        "origin-national-one"
    } else {
        "origin-foreign-one"
    };
    let mut facts = vec![
        Fact {
            label: i18n::t(lang, "col-release-date"),
            value: i18n::iso_date(lang, &run.release_date),
            id: "release",
        },
        Fact {
            label: i18n::t(lang, "col-distributor"),
            value: run
                .distributor
                .as_ref()
                .map(|d| title_in(lang, Some(d), &run.distributor_bin))
                .unwrap_or_else(|| run.distributor_bin.clone()),
            id: "distributor",
        },
        Fact {
            label: i18n::t(lang, "film-origin"),
            value: i18n::t(lang, origin),
            id: "origin",
        },
        Fact {
            label: i18n::t(lang, "col-cumulative-gross"),
            value: money(lang, run.cumulative_gross),
            id: "cumulative-gross",
        },
        Fact {
            label: i18n::t(lang, "col-cumulative-admissions"),
            value: i18n::integer(lang, run.cumulative_admissions),
            id: "cumulative-admissions",
        },
    ];
    if let Some(n) = run.days_in_release {
        facts.push(Fact {
            label: i18n::t(lang, "film-days-in-release"),
            value: i18n::integer(lang, n),
            id: "days",
        });
    }
    for (w, key, id) in [
        (
            &run.opening_weekend,
            "film-opening-weekend",
            "opening-weekend",
        ),
        (&run.second_weekend, "film-second-weekend", "second-weekend"),
    ] {
        if let Some(w) = w {
            facts.push(Fact {
                label: i18n::t(lang, key),
                value: money(lang, w.gross),
                id,
            });
        }
    }
    let roi = run
        .public_roi
        .as_ref()
        .map(|r| {
            vec![
                Fact {
                    label: i18n::t(lang, "roi-budget"),
                    value: money(lang, r.budget),
                    id: "budget",
                },
                Fact {
                    label: i18n::t(lang, "roi-state-funding"),
                    value: money(lang, r.state_funding),
                    id: "state-funding",
                },
                Fact {
                    label: i18n::t(lang, "roi-gross"),
                    value: money(lang, r.gross),
                    id: "roi-gross",
                },
                Fact {
                    label: i18n::t(lang, "roi-recoupment"),
                    value: r
                        .recoupment
                        .as_deref()
                        .and_then(|x| x.parse::<Decimal>().ok())
                        .map_or_else(|| "—".into(), |x| i18n::percent(lang, x)),
                    id: "recoupment",
                },
                Fact {
                    label: i18n::t(lang, "roi-paid-back"),
                    value: i18n::t(lang, if r.paid_back { "word-yes" } else { "word-no" }),
                    id: "paid-back",
                },
            ]
        })
        .unwrap_or_default();
    let days: Vec<CurveDay> = run
        .days
        .iter()
        .map(|d| CurveDay {
            day: &d.day,
            gross: d.gross,
            screens: d.screens,
        })
        .collect();
    let curve = curve(lang, &days, today);
    let mut chrome = Chrome::new(
        lang,
        "film-title",
        "box-office",
        &format!("films/{}", crate::params::path_segment(&run.film_id)),
        query,
    );
    // The tab and the bookmark say which film ("Film" alone names none).
    chrome.title = format!("{title} · {}", chrome.title);
    FilmPage {
        chrome,
        title,
        other_titles,
        facts,
        roi_published: run.public_roi.is_some(),
        roi,
        curve,
        weekends: run.weekends.iter().map(|w| weekend_row(lang, w)).collect(),
        days: run
            .days
            .iter()
            .rev()
            .map(|d| {
                let (status, status_class) = status_words(lang, d.status, d.day == today);
                DayRow {
                    day: i18n::iso_date(lang, &d.day),
                    gross: money(lang, d.gross),
                    admissions: i18n::integer(lang, d.admissions),
                    screens: i18n::count(lang, d.screens),
                    shows: i18n::count(lang, d.screenings),
                    status,
                    status_class,
                }
            })
            .collect(),
        json_href: format!(
            "/v1/films/{}/run",
            crate::params::path_segment(&run.film_id)
        ),
    }
}

pub async fn page(s: &AppState, lang: Lang, film_id: &str, query: &str) -> Response {
    let rest = format!("films/{}", crate::params::path_segment(film_id));
    match handlers::box_office::film_run(s, film_id).await {
        Ok(run) => page::html(
            StatusCode::OK,
            lang,
            &render(lang, query, &run, &s.today().to_string()),
        ),
        Err(e) => page::error(lang, &rest, query, &e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use api_core::reports::film_run::{PublicRoi, RunDay};
    use api_core::reports::registry::Title;
    use api_core::reports::status::DayStatus;
    use chrono::NaiveDate;
    use schemas::Kzt;

    fn run(public: bool) -> FilmRun {
        let day = |d: &str, g: i64, s: u64| RunDay {
            day: d.into(),
            gross: Kzt::from_tiyn(g),
            admissions: 10,
            screens: s,
            screenings: 4,
            status: DayStatus::Final,
        };
        let days = vec![
            day("2026-11-19", 100_000, 2),
            day("2026-11-20", 400_000, 4),
            day("2026-11-21", 200_000, 3),
        ];
        FilmRun {
            film_id: "KZ26/<0001>".into(),
            title: Title {
                kk: "Дала жарығы".into(),
                ru: "Свет степи".into(),
                en: "Steppe <Light>".into(),
            },
            release_date: "2026-11-19".into(),
            national: true,
            distributor_bin: "080140000006".into(),
            distributor: None,
            cumulative_gross: Kzt::from_tiyn(700_000),
            cumulative_admissions: 30,
            days_in_release: Some(3),
            opening_weekend: None,
            second_weekend: None,
            weekends: api_core::reports::film_run::weekends(
                NaiveDate::from_ymd_opt(2026, 11, 19).unwrap(),
                &days,
            ),
            days,
            truncated: false,
            public_roi: public.then(|| PublicRoi {
                budget: Kzt::from_tiyn(100_000_000),
                state_funding: Kzt::from_tiyn(60_000_000),
                gross: Kzt::from_tiyn(700_000),
                recoupment: Some("0.007".into()),
                paid_back: false,
            }),
        }
    }

    #[test]
    fn the_film_page_speaks_each_language_escapes_and_shows_roi_only_when_published() {
        let nb = '\u{a0}';
        for (lang, title, cumulative, recoupment) in [
            (
                Lang::Kk,
                "Дала жарығы",
                format!("7{nb}000,00{nb}₸"),
                format!("0,7{nb}%"),
            ),
            (
                Lang::Ru,
                "Свет степи",
                format!("7{nb}000,00{nb}₸"),
                format!("0,7{nb}%"),
            ),
            (
                Lang::En,
                "Steppe &#60;Light&#62;",
                "₸7,000.00".to_owned(),
                "0.7%".to_owned(),
            ),
        ] {
            let html = render(lang, "", &run(true), "2000-01-01").render().unwrap();
            assert!(
                html.contains(&format!("<html lang=\"{}\">", lang.code())),
                "{lang:?}"
            );
            assert!(
                html.contains(&format!("<h1>{title}</h1>")),
                "{lang:?}: title"
            );
            assert!(
                html.contains(&cumulative) && html.contains(&recoupment),
                "{lang:?}: {cumulative} {recoupment}"
            );
            assert!(
                !html.contains("<Light>") && !html.contains("<0001>"),
                "{lang:?}: escaped"
            );
            // Three columns, the tallest (400.00) the full plot height.
            assert_eq!(html.matches("class=\"col").count(), 3, "{lang:?}");
            assert!(html.contains("height=\"160\""), "{lang:?}");
            // The language switch keeps the film, its id encoded as a path segment.
            assert!(html.contains("/ru/films/KZ26%2F%3C0001%3E"), "{lang:?}");
        }
        let html = render(Lang::En, "", &run(false), "2000-01-01")
            .render()
            .unwrap();
        assert!(
            !html.contains("id=\"budget\""),
            "no ROI words unless published"
        );
    }

    /// Today's day, not over yet, is marked incomplete in its row, and no other day is.
    #[test]
    fn a_day_not_over_is_marked_incomplete() {
        let row = |html: &str, day: &str| {
            let at = html.find(&format!("<td>{day}</td>")).unwrap();
            html[at..at + html[at..].find("</tr>").unwrap()].to_owned()
        };
        let html = render(Lang::En, "", &run(true), "2026-11-21")
            .render()
            .unwrap();
        assert!(row(&html, "21 Nov 2026")
            .contains("class=\"status-partial\">final · today, incomplete<"));
        assert!(!row(&html, "20 Nov 2026").contains("incomplete"));
        let html = render(Lang::Ru, "", &run(true), "2026-11-21")
            .render()
            .unwrap();
        assert!(row(&html, "21.11.2026").contains("сегодня, неполный"));
        // The daily curve draws that day's column apart and says so, and the legend too.
        assert_eq!(
            html.matches("class=\"col partial\"").count(),
            1,
            "one column of today"
        );
        assert!(html.contains("(сегодня, неполный)</title>"));
        assert!(html.contains("<span class=\"swatch partial\"></span>"));
        let html = render(Lang::Ru, "", &run(true), "2026-11-22")
            .render()
            .unwrap();
        assert!(!html.contains("partial"), "no day of the run is today");
    }
}
