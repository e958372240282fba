//! `/{lang}/ministry/signals` (every cinema) and `/{lang}/cinema/signals` (one's own): where a
//! cinema's figures cannot be true, filtered by a GET form (a shareable URL): days, kind, and
//! for the ministry a cinema. The rows are `GET /v1/signals`'s (or the cinema's route's) for
//! the same filters; each signal's evidence is said in the page's language.

use std::collections::HashMap;
use std::time::Instant;

use askama::Template;
use warp::http::StatusCode;
use warp::reply::Response;

use crate::cabinet;
use crate::i18n::{self, Lang};
use crate::page::{self, Chrome};
use crate::session::Signed;
use crate::words::title_in;
use api_core::auth::Role;
use api_core::handlers::signals::{self, CinemaSignalsQuery, SignalsQuery};
use api_core::signals::rules::Kind;
use api_core::state::AppState;

pub struct Line {
    pub day: String,
    pub cinema: String,
    pub kind: String,
    pub kind_code: &'static str,
    pub session: String,
    pub hall: String,
    pub evidence: String,
    pub at_stake: String,
    pub first_seen: String,
    /// `bin|kind|day|session`: what the open-a-case form sends for a ticked signal.
    pub key: String,
    pub kind_code_full: String,
    pub day_iso: String,
    /// The cinema's latest explanation, and when it wrote it (empty: none).
    pub explanation: String,
    pub explained_at: String,
}

#[derive(Template)]
#[template(path = "signals.html")]
pub struct SignalsPage {
    pub chrome: Chrome,
    pub csrf: String,
    pub form: HashMap<String, String>,
    /// The ministry's page (a cinema filter, a cinema column).
    pub all: bool,
    pub home: &'static str,
    pub kinds: Vec<(&'static str, String)>,
    pub lines: Vec<Line>,
    pub total: u64,
    pub at_stake: String,
    pub page: u64,
    /// The neighbouring pages' URLs (this filter, another page), where there are such.
    pub prev_href: Option<String>,
    pub next_href: Option<String>,
}

impl SignalsPage {
    pub fn value(&self, name: &str) -> &str {
        self.form.get(name).map_or("", String::as_str)
    }

    pub fn chosen(&self, name: &str, v: &str) -> bool {
        self.value(name) == v
    }
}

/// Signals on one screen (the list is paged; `total` counts them all).
pub const PAGE_ROWS: u64 = 100;

/// This page's URL with its filters and another page number.
fn href(lang: Lang, home: &str, form: &HashMap<String, String>, page: u64) -> String {
    let path = format!("/{}/{home}/signals", lang.code());
    crate::params::link(&path, form, &[], ("page", &page.to_string()))
}

pub async fn page(s: &AppState, lang: Lang, signed: &Signed, query: &str) -> Response {
    let started = Instant::now();
    let p = &signed.principal;
    let all = p.role == Role::Ministry;
    let (home, route, path) = if all {
        ("ministry", "web_signals", "/{lang}/ministry/signals")
    } else {
        ("cinema", "web_cinema_signals", "/{lang}/cinema/signals")
    };
    let rest = format!("{home}/signals");
    let mut form = crate::params::form(query);
    let (from, to) = cabinet::range(&form, s.today());
    form.insert("from".into(), from.clone());
    form.insert("to".into(), to.clone());
    let get = |k: &str| {
        form.get(k)
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    };
    // A page number that is not one is the first page, as a link edited by hand expects.
    let page_no = get("page")
        .and_then(|n| n.parse::<u64>().ok())
        .filter(|n| (1..=api_core::params::MAX_PAGE).contains(n))
        .unwrap_or(1);
    let reply = if all {
        signals::all(
            s,
            p,
            SignalsQuery {
                from,
                to,
                cinema: get("cinema"),
                kind: get("kind"),
                page: Some(page_no),
                page_size: Some(PAGE_ROWS),
            },
        )
        .await
    } else {
        let bin = p.bin.as_ref().map(ToString::to_string).unwrap_or_default();
        signals::of_cinema(
            s,
            p,
            bin,
            CinemaSignalsQuery {
                from,
                to,
                kind: get("kind"),
                page: Some(page_no),
                page_size: Some(PAGE_ROWS),
            },
        )
        .await
    };
    let reply = match reply {
        Ok(r) => r,
        Err(e) => {
            return cabinet::done(
                s,
                page::error(lang, &rest, query, &e),
                p,
                route,
                path,
                query,
                started,
            )
        }
    };
    let registry = s.registry().await.ok();
    let shown_to = (page_no - 1) * PAGE_ROWS + reply.signals.len() as u64;
    let prev_href = (page_no > 1).then(|| href(lang, home, &form, page_no - 1));
    let next_href = (shown_to < reply.total).then(|| href(lang, home, &form, page_no + 1));
    let lines = reply
        .signals
        .iter()
        .map(|g| {
            let kind = Kind::parse(&g.kind);
            Line {
                day: i18n::date(lang, g.day),
                cinema: registry.as_ref().map_or(g.cinema_bin.clone(), |r| {
                    title_in(lang, r.cinema_names.get(&g.cinema_bin), &g.cinema_bin)
                }),
                kind: i18n::t(lang, &format!("sig-kind-{}", g.kind)),
                kind_code: kind.map_or("", Kind::code),
                session: g.screening_id.clone(),
                hall: crate::words::hall_in(lang, &g.hall),
                evidence: crate::evidence::sentence(lang, &g.kind, &g.evidence),
                kind_code_full: g.kind.clone(),
                day_iso: g.day.to_string(),
                explanation: g
                    .explanation
                    .as_ref()
                    .map(|e| e.text.clone())
                    .unwrap_or_default(),
                explained_at: g
                    .explanation
                    .as_ref()
                    .map(|e| i18n::timestamp(lang, &e.written_at))
                    .unwrap_or_default(),
                key: format!("{}|{}|{}|{}", g.cinema_bin, g.kind, g.day, g.screening_id),
                at_stake: if g.gross_at_stake.tiyn() == 0 {
                    "—".into()
                } else {
                    i18n::money(lang, g.gross_at_stake.to_decimal())
                },
                first_seen: i18n::timestamp(lang, &g.first_seen),
            }
        })
        .collect();
    let kinds = Kind::ALL
        .iter()
        .map(|k| (k.code(), i18n::t(lang, &format!("sig-kind-{}", k.code()))))
        .collect();
    let chrome = cabinet::chrome(s, lang, signed, "sig-title", home, &rest, query).await;
    let html = page::html(
        StatusCode::OK,
        lang,
        &SignalsPage {
            chrome,
            csrf: signed.session.csrf.clone(),
            form,
            all,
            home,
            kinds,
            lines,
            total: reply.total,
            at_stake: i18n::money(lang, reply.gross_at_stake.to_decimal()),
            page: page_no,
            prev_href,
            next_href,
        },
    );
    cabinet::done(s, html, p, route, path, query, started)
}

/// `POST /{lang}/cinema/signals`: the cinema explains one of its signals (the same use case
/// as `POST /v1/cinemas/{bin}/signals/explanations`), then sees its list again (303), or the
/// refusal in its language.
pub async fn explain(s: &AppState, lang: Lang, signed: &Signed, body: &[u8]) -> Response {
    let started = Instant::now();
    let p = &signed.principal;
    let done = |resp: Response| {
        api_edge::audited(
            s,
            resp,
            p,
            "POST",
            "web_explain_signal",
            "/{lang}/cinema/signals",
            "",
            started,
            0,
        )
    };
    let Some(form) = crate::session::posted(signed, body) else {
        return done(crate::session::forbidden(lang));
    };
    let form: HashMap<String, String> = form.into_iter().collect();
    let field = |k: &str| form.get(k).cloned().unwrap_or_default();
    let bin = p.bin.as_ref().map(ToString::to_string).unwrap_or_default();
    let said = signals::explain(
        s,
        p,
        bin,
        signals::ExplanationBody {
            kind: field("kind"),
            day: field("day"),
            screening_id: field("screening_id"),
            text: field("text"),
        },
    )
    .await;
    match said {
        Ok(_) => {
            let back = [("from", field("from")), ("to", field("to"))];
            done(crate::session::see_other(
                &format!(
                    "/{}/cinema/signals?{}",
                    lang.code(),
                    serde_urlencoded::to_string(back).unwrap_or_default()
                ),
                Vec::new(),
            ))
        }
        Err(e) => done(page::error(lang, "cinema/signals", "", &e)),
    }
}
