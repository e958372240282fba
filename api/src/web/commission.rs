//! `/{lang}/commission`: the film commission's start page: its tools (the estimator, the
//! briefing, the programmes) and what each programme's annual pool has left this year
//! (`/v1/rebates/pools`, called with the session's key).

use std::time::Instant;

use askama::Template;
use warp::http::StatusCode;
use warp::reply::Response;

use super::cabinet;
use super::i18n::Lang;
use super::ministry::{pool_lines, PoolLine};
use super::page::{self, Chrome};
use super::session::Signed;
use crate::handlers;
use crate::state::AppState;

#[derive(Template)]
#[template(path = "commission.html")]
pub struct CommissionPage {
    pub chrome: Chrome,
    pub pools_year: i32,
    pub pools: Vec<PoolLine>,
}

pub async fn page(s: &AppState, lang: Lang, signed: &Signed, query: &str) -> Response {
    let started = Instant::now();
    let p = &signed.principal;
    let pools_year = chrono::Datelike::year(&s.today());
    let pools = match handlers::claims::pools(s, p, handlers::claims::PoolsQuery { year: u16::try_from(pools_year).unwrap_or(2026) }).await {
        Ok(x) => x,
        Err(e) => return cabinet::done(s, page::error(lang, "commission", query, &e), p, "web_commission", "/{lang}/commission", query, started),
    };
    let chrome = cabinet::chrome(s, lang, signed, "cab-commission-title", "commission", "commission", query).await;
    let html = page::html(StatusCode::OK, lang, &CommissionPage { chrome, pools_year, pools: pool_lines(s, lang, &pools) });
    cabinet::done(s, html, p, "web_commission", "/{lang}/commission", query, started)
}
