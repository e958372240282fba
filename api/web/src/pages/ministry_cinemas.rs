//! `/{lang}/ministry/cinemas`: every cinema's reporting over a range, for the ministry, from
//! its JSON twins with the session's key:
//! - the cards of `/v1/cinemas/scorecards` (one statement for all cinemas, cached a second),
//!   with the national medians, downloadable as CSV or Arrow (`?format=`);
//! - the rejected events by reason over all cinemas (the cards' counts summed), in the page's
//!   language with what the cinema should do;
//! - the corrections made to closed days in the range (`/v1/corrections`), the newest first.

use std::time::Instant;

use askama::Template;
use rust_decimal::Decimal;
use warp::http::StatusCode;
use warp::reply::Response;

use crate::cabinet;
use crate::i18n::{self, Lang};
use crate::page::{self, Chrome};
use crate::session::Signed;
use crate::words::reject_words;
use crate::words::title_in;
use api_core::handlers;
use api_core::params::{RangePageQuery, RangeQuery};
use api_core::state::AppState;

const ROUTE: &str = "web_ministry_cinemas";
const PATH: &str = "/{lang}/ministry/cinemas";
/// Corrections listed on the page (the API's route lists them all).
pub const CORRECTIONS_SHOWN: usize = 200;

pub struct CardLine {
    pub bin: String,
    pub name: String,
    pub last: String,
    pub silent: String,
    pub events: String,
    pub sales: String,
    pub refunds: String,
    pub refund_rate: String,
    pub rejected: String,
    pub unknown_film: String,
    pub vat: String,
    pub pending: String,
}

pub struct ReasonLine {
    pub code: String,
    pub reason: String,
    pub fix: String,
    pub count: String,
}

pub struct CorrectionLine {
    pub day: String,
    pub cinema: String,
    pub film: String,
    pub kind: String,
    pub admissions: String,
    pub gross: String,
    pub arrived: String,
}

/// One cinema's day of corrections, summed.
pub struct CorrectionDayLine {
    pub day: String,
    pub bin: String,
    pub cinema: String,
    pub count: String,
    pub admissions: String,
    pub gross: String,
    pub last: String,
}

pub struct Fact {
    pub id: &'static str,
    pub label: String,
    pub value: String,
}

#[derive(Template)]
#[template(path = "ministry_cinemas.html")]
pub struct MinistryCinemasPage {
    pub chrome: Chrome,
    pub from: String,
    pub to: String,
    pub facts: Vec<Fact>,
    pub cards: Vec<CardLine>,
    pub reasons: Vec<ReasonLine>,
    pub corrections: Vec<CorrectionLine>,
    pub correction_days: Vec<CorrectionDayLine>,
    pub corrections_total: String,
    /// More corrections than the API lists at once: the files are refused, so the page says
    /// to narrow the range instead of offering them.
    pub corrections_cut: bool,
    pub csv_href: String,
    pub arrow_href: String,
    pub corrections_csv_href: String,
    pub corrections_arrow_href: String,
}

fn rate(lang: Lang, r: Option<&str>) -> String {
    r.and_then(|x| x.parse::<Decimal>().ok())
        .map(|d| i18n::percent(lang, d))
        .unwrap_or_else(|| "—".into())
}

pub async fn page(s: &AppState, lang: Lang, signed: &Signed, query: &str) -> Response {
    let started = Instant::now();
    let p = &signed.principal;
    let fail = |e: &api_core::error::ApiError| {
        cabinet::done(
            s,
            page::error(lang, "ministry/cinemas", query, e),
            p,
            ROUTE,
            PATH,
            query,
            started,
        )
    };
    let form = crate::params::form(query);
    let (from, to) = cabinet::range(&form, s.today());
    let q = RangePageQuery {
        from: from.clone(),
        to: to.clone(),
        page: Some(1),
        page_size: Some(s.settings.max_page_rows),
    };
    let cards = match handlers::cinemas::scorecards(s, p, q).await {
        Ok(c) => c,
        Err(e) => return fail(&e),
    };
    // `table=corrections` downloads the corrections below instead of the cards.
    let table = form.get("table").map(String::as_str);
    if let Some(other) = table.filter(|t| *t != "corrections") {
        return fail(&api_core::error::ApiError::bad(
            "table",
            format!("must be corrections, got {other:?}"),
        ));
    }
    if let (Some(format), None) = (form.get("format"), table) {
        let rows = cabinet::rows_of(&cards);
        return cabinet::download(
            s,
            lang,
            signed,
            query,
            format,
            schemas::export::SCORECARDS,
            rows,
            "ekino-cinemas",
            ROUTE,
            PATH,
            "ministry/cinemas",
            started,
        )
        .await;
    }
    let corrections = match handlers::cinemas::corrections_all(
        s,
        p,
        RangeQuery {
            from: from.clone(),
            to: to.clone(),
        },
    )
    .await
    {
        Ok(c) => c,
        Err(e) => return fail(&e),
    };
    if let (Some(format), Some("corrections")) =
        (form.get("format"), form.get("table").map(String::as_str))
    {
        let corrections = match handlers::cinemas::whole_corrections(corrections) {
            Ok(c) => c,
            Err(e) => return fail(&e),
        };
        let rows = cabinet::rows_of(&corrections);
        return cabinet::download(
            s,
            lang,
            signed,
            query,
            format,
            schemas::export::CORRECTIONS,
            rows,
            "ekino-corrections",
            ROUTE,
            PATH,
            "ministry/cinemas",
            started,
        )
        .await;
    }
    let registry = match s.registry().await {
        Ok(r) => r,
        Err(e) => return fail(&e.into()),
    };
    let cinema = |bin: &str| title_in(lang, registry.cinema_names.get(bin), bin);
    let mut reasons: Vec<(&str, u64)> = cards
        .rejected_by_reason
        .iter()
        .map(|(code, n)| (code.as_str(), *n))
        .collect();
    reasons.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(b.0)));
    let reasons = reasons
        .into_iter()
        .map(|(code, n)| {
            let (reason, fix) = reject_words(lang, code);
            ReasonLine {
                code: code.to_owned(),
                reason,
                fix,
                count: i18n::count(lang, n),
            }
        })
        .collect();
    let reporting = cards.rows.iter().filter(|c| c.events > 0).count() as u64;
    let facts = vec![
        Fact {
            id: "cinemas",
            label: i18n::t(lang, "mc-cinemas"),
            value: i18n::count(lang, cards.total as u64),
        },
        Fact {
            id: "reporting",
            label: i18n::t(lang, "mc-reporting"),
            value: i18n::count(lang, reporting),
        },
        Fact {
            id: "median-events",
            label: i18n::t(lang, "mc-median-events"),
            value: cards
                .national_median_events
                .as_deref()
                .and_then(|m| m.parse::<Decimal>().ok())
                .map_or_else(
                    || "—".into(),
                    |d| i18n::number(lang, d, if d.fract().is_zero() { 0 } else { 1 }),
                ),
        },
        Fact {
            id: "median-refund-rate",
            label: i18n::t(lang, "mc-median-refund-rate"),
            value: rate(lang, cards.national_median_refund_rate.as_deref()),
        },
        Fact {
            id: "corrections",
            label: i18n::t(lang, "mc-corrections"),
            value: i18n::count(lang, corrections.total),
        },
    ];
    let lines = cards
        .rows
        .iter()
        .map(|c| CardLine {
            name: cinema(&c.cinema_bin),
            bin: c.cinema_bin.clone(),
            last: c
                .last_event_at
                .as_deref()
                .map(|t| i18n::timestamp(lang, t))
                .unwrap_or_else(|| i18n::t(lang, "cab-never")),
            silent: c
                .silent_days
                .map_or_else(|| "—".into(), |d| i18n::count(lang, d.unsigned_abs())),
            events: i18n::count(lang, c.events),
            sales: i18n::count(lang, c.sales),
            refunds: i18n::count(lang, c.refunds),
            refund_rate: rate(lang, c.refund_rate.as_deref()),
            rejected: i18n::count(lang, c.rejected_total),
            unknown_film: i18n::count(lang, c.unknown_film_events),
            vat: i18n::count(lang, c.vat_mismatch_sales),
            pending: i18n::count(lang, c.refunds_pending),
        })
        .collect();
    let correction_days = corrections
        .by_cinema_day
        .iter()
        .map(|c| CorrectionDayLine {
            day: i18n::iso_date(lang, &c.day),
            bin: c.cinema_bin.clone(),
            cinema: cinema(&c.cinema_bin),
            count: i18n::count(lang, c.corrections),
            admissions: i18n::integer(lang, c.admissions_change),
            gross: i18n::money(lang, c.gross_change.to_decimal()),
            last: i18n::timestamp(lang, &c.last_arrived_at),
        })
        .collect();
    let corrections_total = i18n::count(lang, corrections.total);
    let corrections_cut = corrections.truncated;
    let corrections = corrections
        .rows
        .iter()
        .take(CORRECTIONS_SHOWN)
        .map(|c| CorrectionLine {
            day: i18n::iso_date(lang, &c.day),
            cinema: cinema(&c.cinema_bin),
            film: title_in(
                lang,
                registry.films.get(&c.film_id).map(|f| &f.title),
                &c.film_id,
            ),
            kind: i18n::t(lang, &format!("event-{}", c.kind)),
            admissions: i18n::integer(lang, c.admissions_change),
            gross: i18n::money(lang, c.gross_change.to_decimal()),
            arrived: i18n::timestamp(lang, &c.arrived_at),
        })
        .collect();
    let base = format!("/{}/ministry/cinemas", lang.code());
    let range = format!(
        "from={}&to={}",
        crate::params::path_segment(&from),
        crate::params::path_segment(&to)
    );
    let chrome = cabinet::chrome(
        s,
        lang,
        signed,
        "mc-title",
        "ministry",
        "ministry/cinemas",
        query,
    )
    .await;
    let html = page::html(
        StatusCode::OK,
        lang,
        &MinistryCinemasPage {
            chrome,
            from,
            to,
            facts,
            cards: lines,
            reasons,
            corrections,
            correction_days,
            corrections_total,
            corrections_cut,
            csv_href: format!("{base}?{range}&format=csv"),
            arrow_href: format!("{base}?{range}&format=arrow"),
            corrections_csv_href: format!("{base}?{range}&table=corrections&format=csv"),
            corrections_arrow_href: format!("{base}?{range}&table=corrections&format=arrow"),
        },
    );
    cabinet::done(s, html, p, ROUTE, PATH, query, started)
}
