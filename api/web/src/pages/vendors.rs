//! `/{lang}/ministry/vendors`: how completely each ticketing vendor's cinemas report, ranked
//! against the target, then every cinema; days chosen by a GET form (a shareable URL). The
//! figures are `GET /v1/vendors`'s for the same days.

use std::collections::HashMap;
use std::time::Instant;

use askama::Template;
use rust_decimal::Decimal;
use warp::http::StatusCode;
use warp::reply::Response;

use crate::cabinet;
use crate::i18n::{self, Lang};
use crate::page::{self, Chrome};
use crate::session::Signed;
use crate::words::title_in;
use api_core::handlers::vendors::{self, VendorsQuery};
use api_core::reports::completeness::Score;
use api_core::state::AppState;

/// One ranked row, said in the page's language.
pub struct Row {
    pub rank: String,
    pub name: String,
    /// The cinema's vendor (cinema rows), or how many cinemas (vendor rows).
    pub other: String,
    pub completeness: String,
    /// Whether it has a completeness (declared sessions that ended) to judge.
    pub judged: bool,
    pub meets: bool,
    pub sessions: String,
    pub days_below: String,
    pub latency: String,
    pub reject_rate: String,
}

#[derive(Template)]
#[template(path = "vendors.html")]
pub struct VendorsPage {
    pub chrome: Chrome,
    pub form: HashMap<String, String>,
    pub target: String,
    pub vendors: Vec<Row>,
    /// The cinemas with a completeness, ranked; those without are only counted.
    pub cinemas: Vec<Row>,
    pub undeclared: String,
}

impl VendorsPage {
    pub fn value(&self, name: &str) -> &str {
        self.form.get(name).map_or("", String::as_str)
    }
}

fn share(lang: Lang, s: Option<&str>) -> String {
    s.and_then(|v| v.parse::<Decimal>().ok())
        .map_or_else(|| "—".to_owned(), |d| i18n::percent(lang, d))
}

fn row(lang: Lang, rank: Option<u32>, name: String, other: String, s: &Score) -> Row {
    Row {
        rank: rank.map_or_else(|| "—".to_owned(), |r| r.to_string()),
        name,
        other,
        completeness: share(lang, s.completeness.as_deref()),
        judged: s.completeness.is_some(),
        meets: s.meets_target,
        sessions: i18n::t_with(
            lang,
            "ven-sessions-of",
            &[
                ("with", i18n::count(lang, s.sessions_with_tickets)),
                ("of", i18n::count(lang, s.sessions)),
            ],
        ),
        days_below: i18n::t_with(
            lang,
            "ven-days-of",
            &[
                ("below", i18n::count(lang, s.days_below_target)),
                ("of", i18n::count(lang, s.days)),
            ],
        ),
        latency: s.latency_p95_seconds.map_or_else(
            || "—".to_owned(),
            |n| {
                i18n::t_with(
                    lang,
                    "ven-within",
                    &[("n", i18n::count(lang, u64::from(n)))],
                )
            },
        ),
        reject_rate: share(lang, s.reject_rate.as_deref()),
    }
}

pub async fn page(s: &AppState, lang: Lang, signed: &Signed, query: &str) -> Response {
    const ROUTE: &str = "web_vendors";
    const PATH: &str = "/{lang}/ministry/vendors";
    let started = Instant::now();
    let p = &signed.principal;
    let mut form = crate::params::form(query);
    let (from, to) = cabinet::range(&form, s.today());
    form.insert("from".into(), from.clone());
    form.insert("to".into(), to.clone());
    let reply = match vendors::report(s, p, VendorsQuery { from, to }).await {
        Ok(r) => r,
        Err(e) => {
            let html = page::error(lang, "ministry/vendors", query, &e);
            return cabinet::done(s, html, p, ROUTE, PATH, query, started);
        }
    };
    let unknown = i18n::t(lang, "ven-unknown");
    let vendor_name = |v: &str| {
        if v.is_empty() {
            unknown.clone()
        } else {
            v.to_owned()
        }
    };
    let registry = s.registry().await.ok();
    let vendors = reply
        .vendors
        .iter()
        .map(|v| {
            row(
                lang,
                v.rank,
                vendor_name(&v.vendor),
                i18n::count(lang, v.cinemas),
                &v.score,
            )
        })
        .collect();
    let undeclared = reply
        .cinemas
        .iter()
        .filter(|c| c.score.completeness.is_none())
        .count() as u64;
    let cinemas = reply
        .cinemas
        .iter()
        .filter(|c| c.score.completeness.is_some())
        .map(|c| {
            let name = registry.as_ref().map_or(c.cinema_bin.clone(), |r| {
                title_in(lang, r.cinema_names.get(&c.cinema_bin), &c.cinema_bin)
            });
            row(lang, c.rank, name, vendor_name(&c.vendor), &c.score)
        })
        .collect();
    let target = share(lang, Some(&reply.target));
    let chrome = cabinet::chrome(
        s,
        lang,
        signed,
        "ven-title",
        "ministry",
        "ministry/vendors",
        query,
    )
    .await;
    let html = page::html(
        StatusCode::OK,
        lang,
        &VendorsPage {
            chrome,
            form,
            target,
            vendors,
            cinemas,
            undeclared: i18n::t_with(
                lang,
                "ven-undeclared",
                &[("n", i18n::count(lang, undeclared))],
            ),
        },
    );
    cabinet::done(s, html, p, ROUTE, PATH, query, started)
}
