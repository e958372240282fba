//! `/{lang}/producer`: a producer's or distributor's films and claims, from the JSON API's
//! own handlers with the session's key: `/v1/box-office/films` (which gives a producer only
//! the films its BIN produces or distributes) and `/v1/claims` (its own claims).

use std::time::Instant;

use askama::Template;
use warp::http::StatusCode;
use warp::reply::Response;

use crate::cabinet;
use crate::i18n::{self, Lang};
use crate::page::{self, Chrome};
use crate::session::Signed;
use crate::words::title_in;
use crate::words::{at, claim_status};
use api_core::handlers;
use api_core::params::FilmsQuery;
use api_core::state::AppState;

pub struct FilmLine {
    pub href: String,
    pub title: String,
    pub gross: String,
    pub admissions: String,
    /// Cinemas that showed it in the range.
    pub cinemas: String,
    pub shows: String,
    pub days: String,
}

pub struct ClaimLine {
    pub id: String,
    /// Its page: lines, derivation, rates and history.
    pub href: String,
    pub programme: String,
    pub film: String,
    pub status: String,
    pub rebate: String,
    pub submitted: String,
}

#[derive(Template)]
#[template(path = "producer.html")]
pub struct ProducerPage {
    pub chrome: Chrome,
    pub from: String,
    pub to: String,
    pub films: Vec<FilmLine>,
    pub claims: Vec<ClaimLine>,
    /// After filing a claim (`?filed=`).
    pub notice: Option<String>,
}

pub async fn page(s: &AppState, lang: Lang, signed: &Signed, query: &str) -> Response {
    let started = Instant::now();
    let p = &signed.principal;
    let fail = |e: &api_core::error::ApiError| {
        cabinet::done(
            s,
            page::error(lang, "producer", query, e),
            p,
            "web_producer",
            "/{lang}/producer",
            query,
            started,
        )
    };
    let form = crate::params::form(query);
    let (from, to) = cabinet::range(&form, s.today());
    let q = FilmsQuery {
        from: from.clone(),
        to: to.clone(),
        region: None,
        page: Some(1),
        page_size: Some(s.settings.max_page_rows),
    };
    let films = match handlers::box_office::films(s, p, q).await {
        Ok(f) => f,
        Err(e) => return fail(&e),
    };
    let list = handlers::claims::ListQuery {
        status: None,
        programme: None,
        year: None,
        page: Some(1),
        page_size: Some(100),
    };
    let claims = match handlers::claims::list(s, p, list).await {
        Ok(c) => c,
        Err(e) => return fail(&e),
    };
    let registry = match s.registry().await {
        Ok(r) => r,
        Err(e) => return fail(&e.into()),
    };
    let title = |id: &str| title_in(lang, registry.films.get(id).map(|f| &f.title), id);
    let films = films
        .rows
        .iter()
        .map(|r| FilmLine {
            href: format!(
                "/{}/producer/films/{}?from={}&to={}",
                lang.code(),
                crate::params::path_segment(&r.film_id),
                crate::params::path_segment(&from),
                crate::params::path_segment(&to)
            ),
            title: title(&r.film_id),
            gross: i18n::money(lang, r.gross.to_decimal()),
            admissions: i18n::integer(lang, r.admissions),
            cinemas: i18n::count(lang, r.cinemas),
            shows: i18n::count(lang, r.screenings),
            days: i18n::count(lang, r.days.provisional + r.days.final_ + r.days.corrected),
        })
        .collect();
    let claims = claims
        .claims
        .iter()
        .map(|c| ClaimLine {
            href: format!(
                "/{}/producer/claims/{}",
                lang.code(),
                crate::params::path_segment(&c.claim_id)
            ),
            id: c.claim_id.clone(),
            programme: crate::estimate::programme_label(s, lang, &c.programme),
            film: title(&c.film_id),
            status: claim_status(lang, &c.status),
            rebate: c
                .rebate
                .parse()
                .map(|d| i18n::amount(lang, d, &c.currency))
                .unwrap_or_else(|_| c.rebate.clone()),
            submitted: at(lang, c.submitted_at),
        })
        .collect();
    let chrome = cabinet::chrome(
        s,
        lang,
        signed,
        "cab-producer-title",
        "producer",
        "producer",
        query,
    )
    .await;
    let html = page::html(
        StatusCode::OK,
        lang,
        &ProducerPage {
            chrome,
            from,
            to,
            films,
            claims,
            notice: form
                .get("filed")
                .map(|id| i18n::t_with(lang, "cab-filed", &[("claim", id.clone())])),
        },
    );
    cabinet::done(
        s,
        html,
        p,
        "web_producer",
        "/{lang}/producer",
        query,
        started,
    )
}
