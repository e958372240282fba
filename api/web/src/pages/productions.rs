//! The film commission's saved estimates per production, on its signed-in screens: the
//! estimator's "save for a production" form (`/{lang}/commission/save?{estimate query}`), the
//! list on the commission's start page grouped by production, each with its estimate, its
//! briefing and the briefing's PDF, and deleting one. Every form goes through the JSON API's
//! handlers (`handlers::productions`), so checks, stored rows and audit are the API's.

use std::collections::HashMap;
use std::time::Instant;

use askama::Template;
use warp::http::StatusCode;
use warp::reply::Response;

use crate::cabinet;
use crate::i18n::{self, Lang};
use crate::page::{self, Chrome};
use crate::saved::budget_words;
use crate::session::{self, Signed};
use api_core::handlers::productions::{self, NewEstimate};
use api_core::sessions;
use api_core::state::AppState;

#[derive(Template)]
#[template(path = "save_estimate.html")]
pub struct SavePage {
    pub chrome: Chrome,
    pub csrf: String,
    pub error: Option<String>,
    /// The estimate in its normal spelling (empty when it cannot be saved).
    pub query: String,
    pub title: String,
    pub budget: String,
    pub programmes: String,
    pub production: String,
    pub note: String,
    /// The productions already saved, offered as the field's suggestions.
    pub known: Vec<String>,
}

fn fields(body: &[u8]) -> HashMap<String, String> {
    serde_urlencoded::from_bytes::<Vec<(String, String)>>(body)
        .unwrap_or_default()
        .into_iter()
        .collect()
}

async fn draw(
    s: &AppState,
    lang: Lang,
    signed: &Signed,
    raw_query: &str,
    production: String,
    note: String,
    error: Option<String>,
) -> Response {
    let p = &signed.principal;
    let known = productions::list(s, p).await.map(|l| {
        let mut names: Vec<String> = l.estimates.into_iter().map(|e| e.production).collect();
        names.sort();
        names.dedup();
        names
    });
    let known = match known {
        Ok(k) => k,
        Err(e) => return page::error(lang, "commission/save", raw_query, &e),
    };
    let (query, error) = match productions::checked_query(raw_query, s.today()) {
        Ok(q) => (q, error),
        Err(e) => (
            String::new(),
            error.or_else(|| Some(page::message(lang, &e))),
        ),
    };
    let form = api_core::estimate::EstimateForm::from_query(&query, s.today());
    let (title, budget, programmes) = if query.is_empty() {
        Default::default()
    } else {
        (
            form.title.clone(),
            budget_words(lang, &form.total, &form.currency),
            form.compare
                .iter()
                .map(|c| c.to_uppercase())
                .collect::<Vec<_>>()
                .join(", "),
        )
    };
    let chrome = cabinet::chrome(
        s,
        lang,
        signed,
        "com-save-title",
        "commission",
        "commission/save",
        raw_query,
    )
    .await;
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    page::html(
        status,
        lang,
        &SavePage {
            chrome,
            csrf: signed.session.csrf.clone(),
            error,
            query,
            title,
            budget,
            programmes,
            production,
            note,
            known,
        },
    )
}

/// `GET /{lang}/commission/save?{estimate query}`.
pub async fn form(s: &AppState, lang: Lang, signed: &Signed, query: &str) -> Response {
    let started = Instant::now();
    let resp = draw(s, lang, signed, query, String::new(), String::new(), None).await;
    cabinet::done(
        s,
        resp,
        &signed.principal,
        "web_save_estimate",
        "/{lang}/commission/save",
        query,
        started,
    )
}

/// `POST /{lang}/commission/estimates` (save) and `/{lang}/commission/estimates/{id}/delete`.
pub async fn post(
    s: &AppState,
    lang: Lang,
    signed: &Signed,
    delete: Option<&str>,
    body: &[u8],
) -> Response {
    let started = Instant::now();
    let p = &signed.principal;
    let (route, path) = if delete.is_some() {
        (
            "web_delete_estimate",
            "/{lang}/commission/estimates/{id}/delete",
        )
    } else {
        ("web_save_estimate", "/{lang}/commission/estimates")
    };
    let done = |resp: Response| api_edge::audited(s, resp, p, "POST", route, path, "", started, 0);
    let form = fields(body);
    if !form
        .get("csrf")
        .is_some_and(|c| sessions::same_token(&signed.session.csrf, c))
    {
        return done(session::forbidden(lang));
    }
    let home = |q: String| {
        session::see_other(
            &format!("/{}/commission?{q}#saved-heading", lang.code()),
            Vec::new(),
        )
    };
    if let Some(id) = delete {
        return match productions::delete(s, p, id.to_owned()).await {
            Ok(_) => done(home(format!("deleted={}", crate::params::path_segment(id)))),
            Err(e) => done(page::error(lang, "commission", "", &e)),
        };
    }
    let text = |k: &str| form.get(k).cloned().unwrap_or_default();
    let refused = |e: &api_core::error::ApiError| {
        i18n::t_with(
            lang,
            "people-refused",
            &[("reason", page::message(lang, e))],
        )
    };
    // The estimator's own refusal first, in the page's language (the API's is a 422 on `query`).
    if let Err(e) = productions::checked_query(&text("query"), s.today()) {
        return done(
            draw(
                s,
                lang,
                signed,
                &text("query"),
                text("production"),
                text("note"),
                Some(refused(&e)),
            )
            .await,
        );
    }
    let new = NewEstimate {
        production: text("production"),
        query: text("query"),
        note: text("note"),
    };
    match productions::save(s, p, new).await {
        Ok(saved) => done(home(format!(
            "saved={}",
            crate::params::path_segment(&saved.estimate_id)
        ))),
        Err(e) => done(
            draw(
                s,
                lang,
                signed,
                &text("query"),
                text("production"),
                text("note"),
                Some(refused(&e)),
            )
            .await,
        ),
    }
}
