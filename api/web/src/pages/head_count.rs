//! `/{lang}/ministry/head-count`: the inspector's phone page. A GET form (a shareable URL)
//! picks the cinema and the day and lists its sessions as stored (`GET
//! /v1/cinemas/{bin}/screenings`'s); the inspector picks the running one and types the count,
//! posted to the same address and recorded by the same use case as `POST /v1/head-counts`.
//! The signal `head_count_gap` follows from it (see `signals`).

use std::collections::HashMap;
use std::time::Instant;

use askama::Template;
use warp::http::StatusCode;
use warp::reply::Response;

use crate::cabinet;
use crate::i18n::{self, Lang};
use crate::page::{self, Chrome};
use crate::session::{self, Signed};
use api_core::handlers::head_counts::{self, HeadCountBody};
use api_core::params::ScreeningsQuery;
use api_core::state::AppState;

const ROUTE: &str = "web_head_count";
const PATH: &str = "/{lang}/ministry/head-count";

pub struct Choice {
    pub id: String,
    pub label: String,
}

#[derive(Template)]
#[template(path = "head_count.html")]
pub struct HeadCountPage {
    pub chrome: Chrome,
    pub form: HashMap<String, String>,
    pub csrf: String,
    pub sessions: Vec<Choice>,
    /// A cinema was asked for (so "no session" can be said).
    pub asked: bool,
    pub saved: Option<String>,
    pub error: Option<String>,
}

impl HeadCountPage {
    pub fn value(&self, name: &str) -> &str {
        self.form.get(name).map_or("", String::as_str)
    }
}

fn text(form: &HashMap<String, String>, name: &str) -> Option<String> {
    form.get(name)
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty())
}

/// The page for `form` (cinema, day), with what was saved or refused.
async fn render(
    s: &AppState,
    lang: Lang,
    signed: &Signed,
    query: &str,
    mut form: HashMap<String, String>,
    saved: Option<String>,
    mut error: Option<String>,
) -> Response {
    let day = text(&form, "day").unwrap_or_else(|| s.today().to_string());
    form.insert("day".into(), day.clone());
    let mut sessions = Vec::new();
    let cinema = text(&form, "cinema");
    let registry = s.registry().await.ok();
    if let Some(bin) = &cinema {
        match api_core::handlers::cinemas::screenings(
            s,
            &signed.principal,
            bin.clone(),
            ScreeningsQuery {
                day: day.clone(),
                screening: None,
            },
        )
        .await
        {
            Ok(r) => {
                sessions = r
                    .screenings
                    .into_iter()
                    .map(|x| Choice {
                        label: i18n::t_with(
                            lang,
                            "hc-choice",
                            &[
                                ("starts", i18n::timestamp(lang, &x.starts_at)),
                                ("hall", crate::words::hall_in(lang, &x.hall)),
                                (
                                    "film",
                                    crate::words::title_in(
                                        lang,
                                        registry
                                            .as_ref()
                                            .and_then(|r| r.films.get(&x.film_id))
                                            .map(|f| &f.title),
                                        &x.film_id,
                                    ),
                                ),
                                ("admissions", i18n::integer(lang, x.admissions)),
                            ],
                        ),
                        id: x.screening_id,
                    })
                    .collect();
            }
            Err(e) => error = error.or(Some(page::message(lang, &e))),
        }
    }
    let chrome = cabinet::chrome(
        s,
        lang,
        signed,
        "hc-title",
        "ministry",
        "ministry/head-count",
        query,
    )
    .await;
    page::html(
        if error.is_some() {
            StatusCode::UNPROCESSABLE_ENTITY
        } else {
            StatusCode::OK
        },
        lang,
        &HeadCountPage {
            chrome,
            csrf: signed.session.csrf.clone(),
            sessions,
            asked: cinema.is_some(),
            form,
            saved,
            error,
        },
    )
}

pub async fn page(s: &AppState, lang: Lang, signed: &Signed, query: &str) -> Response {
    let started = Instant::now();
    let form = crate::params::form(query);
    let html = render(s, lang, signed, query, form, None, None).await;
    cabinet::done(s, html, &signed.principal, ROUTE, PATH, query, started)
}

/// `POST /{lang}/ministry/head-count`: one count, recorded; the page again with the outcome.
pub async fn post(s: &AppState, lang: Lang, signed: &Signed, body: &[u8]) -> Response {
    let started = Instant::now();
    let p = &signed.principal;
    let done = |resp: Response| api_edge::audited(s, resp, p, "POST", ROUTE, PATH, "", started, 0);
    let Some(form) = session::posted(signed, body) else {
        return done(session::forbidden(lang));
    };
    let form: HashMap<String, String> = form.into_iter().collect();
    let count = match text(&form, "count").map(|c| c.parse::<u32>()) {
        Some(Ok(n)) => Ok(n),
        _ => Err(api_core::error::ApiError::bad(
            "count",
            format!(
                "must be a whole number of people from 0 to {}",
                head_counts::MAX_COUNT
            ),
        )),
    };
    let outcome = match count {
        Ok(count) => {
            head_counts::record(
                s,
                p,
                HeadCountBody {
                    cinema_bin: text(&form, "cinema").unwrap_or_default(),
                    day: text(&form, "day").unwrap_or_default(),
                    screening_id: text(&form, "screening_id").unwrap_or_default(),
                    count,
                    note: text(&form, "note").unwrap_or_default(),
                },
            )
            .await
        }
        Err(e) => Err(e),
    };
    let keep: HashMap<String, String> = ["cinema", "day"]
        .iter()
        .filter_map(|k| form.get(*k).map(|v| ((*k).to_owned(), v.clone())))
        .collect();
    let html = match outcome {
        Ok(saved) => {
            let said = i18n::t_with(
                lang,
                "hc-saved",
                &[
                    ("count", i18n::integer(lang, i64::from(saved.count))),
                    ("session", saved.screening_id),
                ],
            );
            render(s, lang, signed, "", keep, Some(said), None).await
        }
        Err(e) => {
            let said = i18n::t_with(lang, "hc-refused", &[("reason", page::message(lang, &e))]);
            render(s, lang, signed, "", keep, None, Some(said)).await
        }
    };
    done(html)
}
