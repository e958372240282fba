//! What the signed-in screens share: the organisation named on every page, the header's
//! sign-out form, the range filter, and the response of a page view with its audit record.
//!
//! A signed-in page is built like its JSON twin: the gate gives the key's principal, and the
//! page calls the same handler with it, so scope and refusals are the API's own.

use std::collections::HashMap;
use std::time::Instant;

use chrono::NaiveDate;
use warp::reply::Response;

use crate::i18n::{self, Lang};
use crate::page::{Chrome, SignedBar};
use crate::session::{self, Signed};
use crate::words::title_in;
use api_core::auth::Principal;
use api_core::state::AppState;

/// The organisation a principal acts for, as every signed-in page names it: (name, id).
/// A cinema: its registered name in the page's language; a producer: its name as a registered
/// distributor, a foreign applicant its registered name; otherwise the key's label. The
/// ministry and the film commission are named from the catalogue in the page's language, the
/// key's label (the person or desk, as typed) beside it.
pub async fn organisation(s: &AppState, lang: Lang, p: &Principal) -> (String, String) {
    let label = if p.label.is_empty() {
        format!("key {}", p.key_id)
    } else {
        p.label.clone()
    };
    let registry = s.registry().await.ok();
    if let Some(bin) = &p.bin {
        let names = registry.as_ref().and_then(|r| {
            r.cinema_names
                .get(bin.as_str())
                .or_else(|| r.distributors.get(bin.as_str()))
                .cloned()
        });
        let name = names
            .map(|t| title_in(lang, Some(&t), &label))
            .unwrap_or(label);
        return (name, bin.to_string());
    }
    if let Some(a) = &p.applicant {
        let name = api_core::applicants::load(&s.app, a)
            .await
            .ok()
            .flatten()
            .map(|r| r.name)
            .filter(|n| !n.is_empty())
            .unwrap_or(label);
        return (name, a.clone());
    }
    let (org, label) = match p.role {
        api_core::auth::Role::Ministry => (i18n::t(lang, "org-ministry"), label),
        api_core::auth::Role::Commission => (i18n::t(lang, "org-commission"), label),
        _ => return (label, String::new()),
    };
    // A key labelled with the organisation's own name says nothing more beside it.
    if org == label {
        (org, String::new())
    } else {
        (org, label)
    }
}

/// A signed-in page's chrome: the page's words and the organisation with its sign-out form.
pub async fn chrome(
    s: &AppState,
    lang: Lang,
    signed: &Signed,
    title_key: &str,
    section: &'static str,
    rest: &str,
    query: &str,
) -> Chrome {
    let mut c = Chrome::new(lang, title_key, section, rest, query);
    let (organisation, id) = organisation(s, lang, &signed.principal).await;
    c.signed = Some(SignedBar {
        organisation,
        id,
        home: format!("/{}/{}", lang.code(), session::home(signed.principal.role)),
        csrf: signed.session.csrf.clone(),
    });
    c
}

/// A range from the page's `from` and `to` (ISO dates), by default the 30 days to today in
/// Kazakhstan (today's figures are provisional, and rejects are dated by arrival). The
/// handler validates it as the JSON API does.
pub fn range(form: &HashMap<String, String>, today: NaiveDate) -> (String, String) {
    let to = form.get("to").cloned().unwrap_or_else(|| today.to_string());
    let from = form.get("from").cloned().unwrap_or_else(|| {
        let end = NaiveDate::parse_from_str(&to, "%Y-%m-%d").unwrap_or(today);
        (end - chrono::Duration::days(29)).to_string()
    });
    (from, to)
}

/// A signed-in page's response, audited as its principal's request.
pub fn done(
    s: &AppState,
    resp: Response,
    p: &Principal,
    route: &str,
    path: &str,
    query: &str,
    started: Instant,
) -> Response {
    api_edge::audited(s, resp, p, "GET", route, path, query, started, 0)
}

/// The `rows` of a list's reply, as the export columns read them: the same values its JSON
/// twin carries.
pub fn rows_of(reply: &impl serde::Serialize) -> Vec<serde_json::Value> {
    serde_json::to_value(reply)
        .ok()
        .and_then(|v| v["rows"].as_array().cloned())
        .unwrap_or_default()
}

/// A signed-in page's table as a file (`?format=csv|arrow`), in the columns of its JSON
/// twin's export, encoded on the CPU pool and audited with its row count; any other format
/// is the API's 400 as a page.
#[allow(clippy::too_many_arguments)]
pub async fn download(
    s: &AppState,
    lang: Lang,
    signed: &Signed,
    query: &str,
    format: &str,
    columns: &'static [schemas::export::Column],
    rows: Vec<serde_json::Value>,
    name: &str,
    route: &str,
    path: &str,
    section: &str,
    started: Instant,
) -> Response {
    let p = &signed.principal;
    let csv = match format {
        "csv" => true,
        "arrow" => false,
        other => {
            let e = api_core::error::ApiError::bad(
                "format",
                format!("must be csv or arrow, got {other:?}"),
            );
            return done(
                s,
                crate::page::error(lang, section, query, &e),
                p,
                route,
                path,
                query,
                started,
            );
        }
    };
    let n = rows.len() as u64;
    let encoded = s
        .guards
        .cpu
        .run(move || {
            if csv {
                schemas::export::to_csv(columns, &rows)
            } else {
                schemas::export::to_arrow_ipc(columns, &rows)
            }
        })
        .await;
    let resp = match encoded {
        Ok(Ok(bytes)) => {
            let mut r = Response::new(bytes.into());
            let h = r.headers_mut();
            let (ctype, ext) = if csv {
                ("text/csv; charset=utf-8", "csv")
            } else {
                ("application/vnd.apache.arrow.stream", "arrow")
            };
            h.insert("content-type", ctype.parse().expect("header"));
            h.insert(
                "content-disposition",
                format!("attachment; filename=\"{name}.{ext}\"")
                    .parse()
                    .expect("header"),
            );
            r
        }
        Ok(Err(e)) => crate::page::error(
            lang,
            section,
            query,
            &api_core::error::ApiError::Internal(e.to_string()),
        ),
        Err(e) => crate::page::error(lang, section, query, &e),
    };
    api_edge::audited(
        s,
        resp,
        p,
        "GET",
        &format!("{route}_export"),
        path,
        query,
        started,
        n,
    )
}
