//! `/{lang}/commission`: the film commission's start page: its tools (the estimator, the
//! briefing, the programmes) and what each programme's annual pool has left this year
//! (`/v1/rebates/pools`, called with the session's key), and the box office by region over a
//! chosen range (`/v1/box-office/regions`), with each region's share drawn as a bar; and its
//! saved estimates per production (`/v1/commission/estimates`, see `productions`).

use std::time::Instant;

use askama::Template;
use warp::http::StatusCode;
use warp::reply::Response;

use crate::cabinet;
use crate::i18n::{self, Lang};
use crate::page::{self, Chrome};
use crate::pools::{pool_lines, PoolLine};
use crate::session::Signed;
use api_core::handlers;
use api_core::state::AppState;

pub struct RegionLine {
    pub code: String,
    pub name: String,
    pub cinemas: String,
    pub admissions: String,
    pub gross: String,
    pub share: String,
    /// The bar's width in the SVG, 0 to 100.
    pub bar: String,
}

#[derive(Template)]
#[template(path = "commission.html")]
pub struct CommissionPage {
    pub chrome: Chrome,
    pub pools_year: i32,
    pub pools: Vec<PoolLine>,
    pub from: String,
    pub to: String,
    pub regions: Vec<RegionLine>,
    pub total_gross: String,
    /// The session's form token (the delete forms).
    pub csrf: String,
    pub notice: Option<String>,
    pub productions: Vec<crate::saved::Production>,
}

pub async fn page(s: &AppState, lang: Lang, signed: &Signed, query: &str) -> Response {
    let started = Instant::now();
    let p = &signed.principal;
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
        Err(e) => {
            return cabinet::done(
                s,
                page::error(lang, "commission", query, &e),
                p,
                "web_commission",
                "/{lang}/commission",
                query,
                started,
            )
        }
    };
    let form = crate::params::form(query);
    let (from, to) = cabinet::range(&form, s.today());
    let report = match handlers::box_office::regions(
        s,
        p,
        api_core::params::RangeQuery {
            from: from.clone(),
            to: to.clone(),
        },
    )
    .await
    {
        Ok(r) => r,
        Err(e) => {
            return cabinet::done(
                s,
                page::error(lang, "commission", query, &e),
                p,
                "web_commission",
                "/{lang}/commission",
                query,
                started,
            )
        }
    };
    let regions = report
        .rows
        .iter()
        .map(|r| {
            let share = r
                .share
                .as_deref()
                .and_then(|x| x.parse::<rust_decimal::Decimal>().ok())
                .unwrap_or_default();
            RegionLine {
                code: r.region.clone().unwrap_or_default(),
                name: r.name.as_ref().map_or_else(
                    || i18n::t(lang, "com-no-region"),
                    |t| crate::words::title_in(lang, Some(t), ""),
                ),
                cinemas: i18n::count(lang, r.cinemas),
                admissions: i18n::count(lang, u64::try_from(r.admissions).unwrap_or(0)),
                gross: i18n::money(lang, r.gross.to_decimal()),
                share: i18n::percent(lang, share),
                bar: (share * rust_decimal::Decimal::ONE_HUNDRED)
                    .round_dp(1)
                    .to_string(),
            }
        })
        .collect();
    let saved = match handlers::productions::list(s, p).await {
        Ok(x) => x.estimates,
        Err(e) => {
            return cabinet::done(
                s,
                page::error(lang, "commission", query, &e),
                p,
                "web_commission",
                "/{lang}/commission",
                query,
                started,
            )
        }
    };
    let notice = match (form.get("saved"), form.get("deleted")) {
        (Some(id), _) => Some(i18n::t_with(
            lang,
            "com-saved-notice",
            &[("id", id.clone())],
        )),
        (None, Some(id)) => Some(i18n::t_with(
            lang,
            "com-deleted-notice",
            &[("id", id.clone())],
        )),
        _ => None,
    };
    let chrome = cabinet::chrome(
        s,
        lang,
        signed,
        "cab-commission-title",
        "commission",
        "commission",
        query,
    )
    .await;
    let page_data = CommissionPage {
        chrome,
        pools_year,
        pools: pool_lines(s, lang, &pools),
        from,
        to,
        regions,
        total_gross: i18n::money(lang, report.gross.to_decimal()),
        csrf: signed.session.csrf.clone(),
        notice,
        productions: crate::saved::productions(lang, saved),
    };
    let html = page::html(StatusCode::OK, lang, &page_data);
    cabinet::done(
        s,
        html,
        p,
        "web_commission",
        "/{lang}/commission",
        query,
        started,
    )
}
