//! `/{lang}/ministry/audit`: the audit log of every authenticated request and signed-in page
//! view, filtered by a GET form (a shareable URL): days, key (by its holder's label), role,
//! method, status or class of status, and text in the path. The rows are
//! `GET /v1/audit`'s for the same filters; `?format=csv|arrow` downloads that page of them.

use std::collections::HashMap;
use std::time::Instant;

use askama::Template;
use warp::http::StatusCode;
use warp::reply::Response;

use crate::cabinet;
use crate::i18n::{self, Lang};
use crate::page::{self, Chrome};
use crate::session::Signed;
use api_core::handlers;
use api_core::handlers::registry::AuditQuery;
use api_core::state::AppState;

const ROUTE: &str = "web_audit";
const PATH: &str = "/{lang}/ministry/audit";
/// Rows per page on the screen.
pub const PAGE_ROWS: u64 = 100;

pub struct Line {
    pub at: String,
    pub who: String,
    pub key_id: String,
    pub role: String,
    pub method: String,
    pub path: String,
    pub status: u16,
    pub rows: u64,
    pub latency_ms: u32,
    pub client: String,
}

pub struct KeyOption {
    pub id: String,
    pub label: String,
}

#[derive(Template)]
#[template(path = "audit.html")]
pub struct AuditPage {
    pub chrome: Chrome,
    pub form: HashMap<String, String>,
    pub keys: Vec<KeyOption>,
    pub lines: Vec<Line>,
    pub page: u64,
    pub prev_href: Option<String>,
    pub next_href: Option<String>,
    pub csv_href: String,
    pub arrow_href: String,
}

impl AuditPage {
    pub fn value(&self, name: &str) -> &str {
        self.form.get(name).map_or("", String::as_str)
    }

    pub fn chosen(&self, name: &str, v: &str) -> bool {
        self.value(name) == v
    }

    pub const ROLES: [&'static str; 5] =
        ["cinema", "producer", "ministry", "commission", "partner"];
    pub const METHODS: [&'static str; 3] = ["GET", "POST", "PUT"];
}

/// The form's filters as the API's query: a field left empty is no filter.
fn query_of(
    form: &HashMap<String, String>,
    from: String,
    to: String,
    page: u64,
    page_size: u64,
) -> AuditQuery {
    let get = |k: &str| {
        form.get(k)
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    };
    AuditQuery {
        from,
        to,
        page: Some(page),
        page_size: Some(page_size),
        key_id: get("key_id"),
        role: get("role"),
        method: get("method"),
        status: get("status"),
        path: get("path"),
    }
}

/// The page's own URL with `page` or `format` replaced.
fn href(lang: Lang, form: &HashMap<String, String>, set: (&str, &str)) -> String {
    let path = format!("/{}/ministry/audit", lang.code());
    crate::params::link(&path, form, &["format"], set)
}

pub async fn page(s: &AppState, lang: Lang, signed: &Signed, query: &str) -> Response {
    let started = Instant::now();
    let p = &signed.principal;
    let fail = |e: &api_core::error::ApiError| {
        cabinet::done(
            s,
            page::error(lang, "ministry/audit", query, e),
            p,
            ROUTE,
            PATH,
            query,
            started,
        )
    };
    let mut form = crate::params::form(query);
    let (from, to) = cabinet::range(&form, s.today());
    form.insert("from".into(), from.clone());
    form.insert("to".into(), to.clone());
    let page_no = form
        .get("page")
        .and_then(|n| n.parse::<u64>().ok())
        .filter(|n| *n >= 1)
        .unwrap_or(1);
    let reply = match handlers::registry::audit(s, p, query_of(&form, from, to, page_no, PAGE_ROWS))
        .await
    {
        Ok(r) => r,
        Err(e) => return fail(&e),
    };
    if let Some(format) = form.get("format") {
        let rows = serde_json::to_value(&reply.rows)
            .ok()
            .and_then(|v| v.as_array().cloned())
            .unwrap_or_default();
        return cabinet::download(
            s,
            lang,
            signed,
            query,
            format,
            schemas::export::AUDIT,
            rows,
            "ekino-audit",
            ROUTE,
            PATH,
            "ministry/audit",
            started,
        )
        .await;
    }
    let keys = match handlers::keys::list(s, p).await {
        Ok(k) => k
            .keys
            .into_iter()
            .map(|k| KeyOption {
                label: format!("{} ({})", k.label, k.key_id),
                id: k.key_id,
            })
            .collect(),
        Err(e) => return fail(&e),
    };
    let full = reply.rows.len() as u64 == PAGE_ROWS;
    let lines = reply
        .rows
        .into_iter()
        .map(|r| {
            let at = chrono::DateTime::from_timestamp(i64::from(r.at), 0)
                .map(|t| i18n::timestamp(lang, &t.to_rfc3339()))
                .unwrap_or_default();
            let path = if r.query.is_empty() {
                r.path
            } else {
                format!("{}?{}", r.path, r.query)
            };
            Line {
                at,
                who: reply
                    .labels
                    .get(&r.key_id)
                    .cloned()
                    .filter(|l| !l.is_empty())
                    .unwrap_or_else(|| {
                        if r.key_id.is_empty() {
                            i18n::t(lang, "audit-no-key")
                        } else {
                            r.key_id.clone()
                        }
                    }),
                key_id: r.key_id,
                role: if r.role.is_empty() {
                    "—".into()
                } else {
                    crate::words::role_word(lang, &r.role)
                },
                method: r.method,
                path,
                status: r.status,
                rows: r.rows,
                latency_ms: r.latency_ms,
                client: r.client,
            }
        })
        .collect();
    let page_s = page_no.to_string();
    let prev_page = (page_no - 1).to_string();
    let next_page = (page_no + 1).to_string();
    let chrome = cabinet::chrome(
        s,
        lang,
        signed,
        "audit-title",
        "ministry",
        "ministry/audit",
        query,
    )
    .await;
    let html = page::html(
        StatusCode::OK,
        lang,
        &AuditPage {
            chrome,
            keys,
            lines,
            page: page_no,
            prev_href: (page_no > 1).then(|| href(lang, &form, ("page", &prev_page))),
            next_href: full.then(|| href(lang, &form, ("page", &next_page))),
            csv_href: href(lang, &form, ("page", &page_s)) + "&format=csv",
            arrow_href: href(lang, &form, ("page", &page_s)) + "&format=arrow",
            form,
        },
    );
    cabinet::done(s, html, p, ROUTE, PATH, query, started)
}
