//! `/{lang}/cinema/sales`: a cinema's own box office, as its JSON twins give it:
//! - per screening day and film over a range (`/v1/cinemas/{bin}/sales`, the daily
//!   aggregates), downloadable as CSV or Arrow in that route's columns (`?format=`);
//! - `?day=`: that day by hall and screening (`/v1/cinemas/{bin}/screenings`, the raw rows,
//!   one day per request);
//! - `&screening=`: that screening's events, each with its correction deadline and, while
//!   it can still be taken back, a link to the void form filled in with its id.
//!
//! Every filter is a GET parameter, so each view is a URL a manager can send on.

use std::time::Instant;

use askama::Template;
use warp::http::StatusCode;
use warp::reply::Response;

use crate::cabinet;
use crate::i18n::{self, Lang};
use crate::page::{self, Chrome};
use crate::session::Signed;
use crate::words::{status_words, title_in};
use api_core::handlers;
use api_core::params::{RangeQuery, ScreeningsQuery};
use api_core::reports::screenings::ScreeningsReport;
use api_core::state::AppState;

const ROUTE: &str = "web_cinema_sales";
const PATH: &str = "/{lang}/cinema/sales";

pub struct DayRow {
    pub day: String,
    pub day_href: String,
    pub film: String,
    pub status: String,
    pub status_class: &'static str,
    pub admissions: String,
    pub gross: String,
    pub net: String,
    pub screenings: String,
}

pub struct ScreeningRow {
    pub starts: String,
    pub hall: String,
    pub screening_id: String,
    pub href: String,
    pub film: String,
    pub sales: String,
    pub refunds: String,
    pub admissions: String,
    pub gross: String,
    pub net: String,
    pub voided: String,
}

pub struct EventRow {
    pub event_id: String,
    pub at: String,
    pub kind: String,
    pub seat: String,
    pub ticket_type: String,
    pub price: String,
    pub gross: String,
    pub voided: bool,
    pub deadline: String,
    /// The void form with this event filled in, while it can still be voided.
    pub void_href: Option<String>,
}

pub struct Totals {
    pub admissions: String,
    pub gross: String,
    pub net: String,
}

pub struct DayView {
    pub heading: String,
    pub rows: Vec<ScreeningRow>,
    pub totals: Totals,
    /// With a screening chosen: (its heading, its events).
    pub events: Option<(String, Vec<EventRow>)>,
    pub truncated: bool,
}

#[derive(Template)]
#[template(path = "sales.html")]
pub struct SalesPage {
    pub chrome: Chrome,
    pub from: String,
    pub to: String,
    pub rows: Vec<DayRow>,
    pub totals: Totals,
    pub csv_href: String,
    pub arrow_href: String,
    pub note: String,
    pub day: Option<DayView>,
}

fn money(lang: Lang, k: schemas::Kzt) -> String {
    i18n::money(lang, k.to_decimal())
}

fn signed_count(lang: Lang, n: i64) -> String {
    let c = i18n::count(lang, n.unsigned_abs());
    if n < 0 {
        format!("−{c}")
    } else {
        c
    }
}

pub async fn page(s: &AppState, lang: Lang, signed: &Signed, query: &str) -> Response {
    let started = Instant::now();
    let p = &signed.principal;
    let form = crate::params::form(query);
    let (from, to) = cabinet::range(&form, s.today());
    let bin = p.bin.as_ref().map(|b| b.to_string()).unwrap_or_default();
    let error = |e: &api_core::error::ApiError| {
        cabinet::done(
            s,
            page::error(lang, "cinema/sales", query, e),
            p,
            ROUTE,
            PATH,
            query,
            started,
        )
    };
    let sales = match handlers::cinemas::sales(
        s,
        p,
        bin.clone(),
        RangeQuery {
            from: from.clone(),
            to: to.clone(),
        },
    )
    .await
    {
        Ok(r) => r,
        Err(e) => return error(&e),
    };
    if let Some(format) = form.get("format") {
        let rows = cabinet::rows_of(&sales);
        return cabinet::download(
            s,
            lang,
            signed,
            query,
            format,
            schemas::export::CINEMA_SALES,
            rows,
            "ekino-sales",
            ROUTE,
            PATH,
            "cinema/sales",
            started,
        )
        .await;
    }
    let day = match form.get("day").filter(|d| !d.is_empty()) {
        None => None,
        Some(d) => match handlers::cinemas::screenings(
            s,
            p,
            bin.clone(),
            ScreeningsQuery {
                day: d.clone(),
                screening: form.get("screening").cloned().filter(|x| !x.is_empty()),
            },
        )
        .await
        {
            Ok(r) => Some(r),
            Err(e) => return error(&e),
        },
    };
    let registry = match s.registry().await {
        Ok(r) => r,
        Err(e) => return error(&e.into()),
    };
    let title = |id: &str| title_in(lang, registry.films.get(id).map(|f| &f.title), id);
    let base = format!("/{}/cinema/sales", lang.code());
    let range = format!(
        "from={}&to={}",
        crate::params::path_segment(&from),
        crate::params::path_segment(&to)
    );
    let rows = sales
        .rows
        .iter()
        .map(|r| {
            let (status, status_class) =
                status_words(lang, r.status, r.day == s.today().to_string());
            DayRow {
                day: chrono::NaiveDate::parse_from_str(&r.day, "%Y-%m-%d")
                    .map(|d| i18n::date(lang, d))
                    .unwrap_or_else(|_| r.day.clone()),
                day_href: format!("{base}?{range}&day={}#day", r.day),
                film: title(&r.film_id),
                status,
                status_class,
                admissions: signed_count(lang, r.admissions),
                gross: money(lang, r.gross),
                net: money(lang, r.net),
                screenings: i18n::count(lang, r.screenings),
            }
        })
        .collect();
    let totals = Totals {
        admissions: signed_count(lang, sales.totals.admissions),
        gross: money(lang, sales.totals.gross),
        net: money(lang, sales.totals.net),
    };
    let day = day.map(|r| {
        day_view(
            lang,
            &r,
            form.get("screening").map(String::as_str),
            &base,
            &range,
            &title,
        )
    });
    let note = i18n::t_with(
        lang,
        "sales-note",
        &[("days", s.reporting.correction_window_days.to_string())],
    );
    let chrome = cabinet::chrome(
        s,
        lang,
        signed,
        "sales-title",
        "cinema",
        "cinema/sales",
        query,
    )
    .await;
    let html = page::html(
        StatusCode::OK,
        lang,
        &SalesPage {
            chrome,
            from,
            to,
            rows,
            totals,
            csv_href: format!("{base}?{range}&format=csv"),
            arrow_href: format!("{base}?{range}&format=arrow"),
            note,
            day,
        },
    );
    cabinet::done(s, html, p, ROUTE, PATH, query, started)
}

fn day_view(
    lang: Lang,
    r: &ScreeningsReport,
    screening: Option<&str>,
    base: &str,
    range: &str,
    title: &dyn Fn(&str) -> String,
) -> DayView {
    let date = chrono::NaiveDate::parse_from_str(&r.day, "%Y-%m-%d")
        .map(|d| i18n::date(lang, d))
        .unwrap_or_else(|_| r.day.clone());
    let rows = r
        .screenings
        .iter()
        .map(|x| ScreeningRow {
            starts: i18n::timestamp(lang, &x.starts_at),
            hall: x.hall.clone(),
            screening_id: x.screening_id.clone(),
            href: format!(
                "{base}?{range}&day={}&screening={}#events",
                r.day,
                crate::params::path_segment(&x.screening_id)
            ),
            film: title(&x.film_id),
            sales: i18n::count(lang, x.sales),
            refunds: i18n::count(lang, x.refunds),
            admissions: signed_count(lang, x.admissions),
            gross: money(lang, x.gross),
            net: money(lang, x.net),
            voided: i18n::count(lang, x.voided),
        })
        .collect();
    let events = r.events.as_ref().map(|events| {
        let rows = events
            .iter()
            .map(|e| EventRow {
                event_id: e.event_id.clone(),
                at: i18n::timestamp(lang, &e.occurred_at),
                kind: i18n::t(lang, &format!("event-{}", e.kind)),
                seat: if e.seat_row.is_empty() {
                    i18n::t(lang, "sales-no-seat")
                } else {
                    format!("{}/{}", e.seat_row, e.seat_number)
                },
                ticket_type: crate::estimate::code_word(lang, "ticket", &e.ticket_type),
                price: money(lang, e.price),
                gross: money(lang, e.gross),
                voided: !e.voided_by.is_empty(),
                deadline: chrono::NaiveDate::parse_from_str(&e.correction_deadline, "%Y-%m-%d")
                    .map(|d| i18n::date(lang, d))
                    .unwrap_or_default(),
                void_href: e
                    .can_void
                    .then(|| format!("/{}/cinema/upload?voids={}#void", lang.code(), e.event_id)),
            })
            .collect();
        (
            i18n::t_with(
                lang,
                "sales-screening-heading",
                &[("id", screening.unwrap_or_default().to_owned())],
            ),
            rows,
        )
    });
    DayView {
        heading: i18n::t_with(lang, "sales-day-heading", &[("day", date)]),
        rows,
        totals: Totals {
            admissions: signed_count(lang, r.admissions),
            gross: money(lang, r.gross),
            net: money(lang, r.net),
        },
        events,
        truncated: r.truncated,
    }
}
