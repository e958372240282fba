//! `/{lang}/producer/films/{film_id}`: one of a producer's (or distributor's) films over a
//! range, from its JSON twins with the session's key:
//! - by day (`/v1/box-office/films/{film_id}/daily`): an SVG curve and a table;
//! - by cinema (the same route with `by=cinema`), summed over the range per cinema, and as a
//!   file per cinema and day for settling with exhibitors (`?format=csv|arrow`, the route's
//!   export columns);
//! - its ROI (`/v1/roi/films/{film_id}`) with the shares used and where they came from.
//!
//! A film the key neither produces nor distributes is the API's 404.

use std::time::Instant;

use askama::Template;
use rust_decimal::Decimal;
use warp::http::StatusCode;
use warp::reply::Response;

use crate::cabinet;
use crate::curve::{curve, Curve, CurveDay};
use crate::i18n::{self, Lang};
use crate::page::{self, Chrome};
use crate::session::Signed;
use crate::words::{status_words, title_in};
use api_core::handlers;
use api_core::params::FilmDailyQuery;
use api_core::state::AppState;

const ROUTE: &str = "web_producer_film";
const PATH: &str = "/{lang}/producer/films/{film_id}";

pub struct DayLine {
    pub day: String,
    pub status: String,
    pub status_class: &'static str,
    pub admissions: String,
    pub gross: String,
    pub net: String,
    pub shows: String,
}

pub struct CinemaLine {
    pub bin: String,
    pub name: String,
    pub admissions: String,
    pub gross: String,
    pub net: String,
    pub shows: String,
    pub days: String,
}

pub struct Fact {
    pub id: &'static str,
    pub label: String,
    pub value: String,
}

#[derive(Template)]
#[template(path = "producer_film.html")]
pub struct ProducerFilmPage {
    pub chrome: Chrome,
    pub title: String,
    pub film_id: String,
    pub from: String,
    pub to: String,
    pub action: String,
    pub totals: Vec<Fact>,
    pub curve: Curve,
    pub days: Vec<DayLine>,
    pub cinemas: Vec<CinemaLine>,
    pub csv_href: String,
    pub arrow_href: String,
    /// The film's ROI words, when the registry has its budget.
    pub roi: Vec<Fact>,
    pub shares_note: String,
}

fn money(lang: Lang, k: schemas::Kzt) -> String {
    i18n::money(lang, k.to_decimal())
}

fn percent(lang: Lang, x: &str) -> String {
    x.parse::<Decimal>()
        .map(|d| i18n::percent(lang, d))
        .unwrap_or_else(|_| "—".into())
}

pub async fn page(
    s: &AppState,
    lang: Lang,
    signed: &Signed,
    film_id: &str,
    query: &str,
) -> Response {
    let started = Instant::now();
    let p = &signed.principal;
    let rest = format!("producer/films/{}", crate::params::path_segment(film_id));
    let fail = |e: &api_core::error::ApiError| {
        cabinet::done(
            s,
            page::error(lang, &rest, query, e),
            p,
            ROUTE,
            PATH,
            query,
            started,
        )
    };
    let form = crate::params::form(query);
    let (from, to) = cabinet::range(&form, s.today());
    let daily = |by: &str| FilmDailyQuery {
        from: from.clone(),
        to: to.clone(),
        by: Some(by.to_owned()),
    };
    let by_cinema =
        match handlers::box_office::film_daily(s, p, film_id.to_owned(), daily("cinema")).await {
            Ok(r) => r,
            Err(e) => return fail(&e),
        };
    if let Some(format) = form.get("format") {
        let rows = cabinet::rows_of(&by_cinema);
        let name = format!("ekino-run-{}", crate::params::path_segment(film_id));
        return cabinet::download(
            s,
            lang,
            signed,
            query,
            format,
            schemas::export::FILM_DAILY,
            rows,
            &name,
            ROUTE,
            PATH,
            &rest,
            started,
        )
        .await;
    }
    let by_day =
        match handlers::box_office::film_daily(s, p, film_id.to_owned(), daily("day")).await {
            Ok(r) => r,
            Err(e) => return fail(&e),
        };
    // A film with no budget in the registry has no ROI; the page shows its run alone.
    let roi = handlers::roi::film(s, p, film_id.to_owned()).await.ok();
    let registry = match s.registry().await {
        Ok(r) => r,
        Err(e) => return fail(&e.into()),
    };
    let title = title_in(lang, registry.films.get(film_id).map(|f| &f.title), film_id);
    let curve_days: Vec<CurveDay> = by_day
        .rows
        .iter()
        .map(|d| CurveDay {
            day: &d.day,
            gross: d.gross,
            screens: d.screenings,
        })
        .collect();
    let curve = curve(lang, &curve_days, &s.today().to_string());
    let days = by_day
        .rows
        .iter()
        .rev()
        .map(|d| {
            let (status, status_class) =
                status_words(lang, d.status, d.day == s.today().to_string());
            DayLine {
                day: i18n::iso_date(lang, &d.day),
                status,
                status_class,
                admissions: i18n::integer(lang, d.admissions),
                gross: money(lang, d.gross),
                net: money(lang, d.net),
                shows: i18n::count(lang, d.screenings),
            }
        })
        .collect();
    // Per cinema over the range: the core's sums of its days.
    let cinemas = handlers::box_office::per_cinema(&by_cinema.rows)
        .into_iter()
        .map(|c| CinemaLine {
            name: title_in(
                lang,
                registry.cinema_names.get(&c.cinema_bin),
                &c.cinema_bin,
            ),
            admissions: i18n::integer(lang, c.admissions),
            gross: money(lang, c.gross),
            net: money(lang, c.net),
            shows: i18n::count(lang, c.screenings),
            days: i18n::count(lang, c.days),
            bin: c.cinema_bin,
        })
        .collect();
    let t = &by_day.totals;
    let totals = vec![
        Fact {
            id: "gross",
            label: i18n::t(lang, "col-gross"),
            value: money(lang, t.gross),
        },
        Fact {
            id: "net",
            label: i18n::t(lang, "cab-net"),
            value: money(lang, t.net),
        },
        Fact {
            id: "admissions",
            label: i18n::t(lang, "col-admissions"),
            value: i18n::integer(lang, t.admissions),
        },
        Fact {
            id: "cinemas",
            label: i18n::t(lang, "cab-cinemas"),
            value: i18n::count(lang, cinemas_len(&by_cinema)),
        },
    ];
    let (roi, shares_note) = match &roi {
        Some(r) => {
            let f = &r.figures;
            let words = vec![
                Fact {
                    id: "budget",
                    label: i18n::t(lang, "roi-budget"),
                    value: money(lang, f.budget),
                },
                Fact {
                    id: "state-funding",
                    label: i18n::t(lang, "roi-state-funding"),
                    value: money(lang, f.state_funding),
                },
                Fact {
                    id: "roi-gross",
                    label: i18n::t(lang, "roi-gross"),
                    value: money(lang, f.gross),
                },
                Fact {
                    id: "roi-net",
                    label: i18n::t(lang, "cab-net"),
                    value: money(lang, f.net),
                },
                Fact {
                    id: "exhibitor-share",
                    label: i18n::t(lang, "roi-exhibitor-share"),
                    value: percent(lang, &f.shares.exhibitor_share),
                },
                Fact {
                    id: "rentals",
                    label: i18n::t(lang, "roi-rentals"),
                    value: money(lang, f.rentals),
                },
                Fact {
                    id: "distributor-fee",
                    label: i18n::t(lang, "roi-distributor-fee"),
                    value: percent(lang, &f.shares.distributor_fee),
                },
                Fact {
                    id: "producer-share",
                    label: i18n::t(lang, "cab-producer-share"),
                    value: money(lang, f.producer_share),
                },
                Fact {
                    id: "recoupment",
                    label: i18n::t(lang, "roi-recoupment"),
                    value: f
                        .recoupment
                        .as_deref()
                        .map_or_else(|| "—".into(), |x| percent(lang, x)),
                },
                Fact {
                    id: "paid-back",
                    label: i18n::t(lang, "roi-paid-back"),
                    value: i18n::t(lang, if f.paid_back { "word-yes" } else { "word-no" }),
                },
            ];
            (
                words,
                i18n::t(
                    lang,
                    if f.shares.source == "agreement" {
                        "roi-shares-agreement"
                    } else {
                        "roi-shares-default"
                    },
                ),
            )
        }
        None => (Vec::new(), String::new()),
    };
    let base = format!(
        "/{}/producer/films/{}",
        lang.code(),
        crate::params::path_segment(film_id)
    );
    let range = format!(
        "from={}&to={}",
        crate::params::path_segment(&from),
        crate::params::path_segment(&to)
    );
    let chrome = cabinet::chrome(s, lang, signed, "run-title", "producer", &rest, query).await;
    let html = page::html(
        StatusCode::OK,
        lang,
        &ProducerFilmPage {
            chrome,
            title,
            film_id: film_id.to_owned(),
            from,
            to,
            action: base.clone(),
            totals,
            curve,
            days,
            cinemas,
            csv_href: format!("{base}?{range}&format=csv"),
            arrow_href: format!("{base}?{range}&format=arrow"),
            roi,
            shares_note,
        },
    );
    cabinet::done(s, html, p, ROUTE, PATH, query, started)
}

fn cinemas_len(r: &handlers::box_office::FilmDailyReply) -> u64 {
    let mut bins: Vec<&str> = r
        .rows
        .iter()
        .filter_map(|x| x.cinema_bin.as_deref())
        .collect();
    bins.sort_unstable();
    bins.dedup();
    bins.len() as u64
}
