//! What every page shares: its language, title, the language switch (same path and query in
//! each language), links to the assets, and the HTTP headers of a page (a strict
//! Content-Security-Policy: everything from this server, nothing inline).

use askama::Template;
use warp::http::{header, StatusCode};
use warp::reply::Response;
use warp::Reply;

use crate::assets;
use crate::i18n::{self, Lang};

/// `default-src 'self'` and nothing inline or evaluated; htmx is configured for it (no
/// indicator styles, no eval) in the page head.
pub const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

pub struct SwitchLink {
    pub code: &'static str,
    pub name: &'static str,
    pub href: String,
    pub current: bool,
}

/// Who is signed in, on a signed-in page's header: the organisation, and the sign-out form.
pub struct SignedBar {
    pub organisation: String,
    /// The BIN, or a foreign applicant's id; empty for the ministry and the commission.
    pub id: String,
    pub home: String,
    pub csrf: String,
}

pub struct Chrome {
    pub lang: Lang,
    pub title: String,
    pub css: String,
    /// The site icon (an embedded SVG), so browsers do not ask for a missing /favicon.ico.
    pub icon: String,
    pub htmx: String,
    pub switch: Vec<SwitchLink>,
    /// The section of the main navigation this page belongs to.
    pub section: &'static str,
    /// Set on the signed-in screens.
    pub signed: Option<SignedBar>,
}

impl Chrome {
    /// `rest` is the path after the language (`box-office`), `query` the raw query string.
    pub fn new(
        lang: Lang,
        title_key: &str,
        section: &'static str,
        rest: &str,
        query: &str,
    ) -> Self {
        let q = if query.is_empty() {
            String::new()
        } else {
            format!("?{query}")
        };
        Chrome {
            lang,
            title: i18n::t(lang, title_key),
            css: assets::url("ekino.css"),
            icon: assets::url("favicon.svg"),
            htmx: assets::url("vendor/htmx.min.js"),
            switch: Lang::ALL
                .iter()
                .map(|l| SwitchLink {
                    code: l.code(),
                    name: l.name(),
                    href: format!("/{}/{rest}{q}", l.code()),
                    current: *l == lang,
                })
                .collect(),
            section,
            signed: None,
        }
    }

    pub fn t(&self, key: &str) -> String {
        i18n::t(self.lang, key)
    }

    pub fn code(&self) -> &'static str {
        self.lang.code()
    }
}

/// A rendered page with its status and the page headers.
pub fn html(status: StatusCode, lang: Lang, page: &impl Template) -> Response {
    match page.render() {
        Ok(body) => {
            let mut resp =
                warp::reply::with_status(warp::reply::html(body), status).into_response();
            let h = resp.headers_mut();
            h.insert(
                header::CONTENT_SECURITY_POLICY,
                CSP.parse().expect("header"),
            );
            h.insert(
                header::CONTENT_LANGUAGE,
                lang.code().parse().expect("header"),
            );
            h.insert("x-content-type-options", "nosniff".parse().expect("header"));
            h.insert(
                header::REFERRER_POLICY,
                "same-origin".parse().expect("header"),
            );
            resp
        }
        Err(e) => {
            tracing::error!(error = %e, "a page template failed to render");
            warp::reply::with_status("internal error", StatusCode::INTERNAL_SERVER_ERROR)
                .into_response()
        }
    }
}

#[derive(Template)]
#[template(path = "error.html")]
pub struct ErrorPage {
    pub chrome: Chrome,
    pub message: String,
}

/// A name from a URL or a form as a metrics label and an audit route: itself when it is one
/// of `known`, else `other`, so no client can grow the labels without bound.
pub fn bounded<'a>(name: &'a str, known: &[&str]) -> &'a str {
    if known.contains(&name) {
        name
    } else {
        "other"
    }
}

/// What a page says of an error: the field and reason of a bad request, a plain sentence
/// otherwise (never the store's text).
pub fn message(lang: Lang, e: &api_core::error::ApiError) -> String {
    use api_core::error::ApiError as E;
    match e {
        E::BadRequest { field, reason } | E::Unprocessable { field, reason } => {
            crate::reasons::refusal(lang, field, reason.clone())
        }
        E::Invalid { field, reason } => {
            crate::reasons::refusal(lang, field, crate::reasons::reason_words(lang, reason))
        }
        E::NotFound => i18n::t(lang, "error-not-found"),
        // A rule's refusal (a claim's transition, a pool, a cap): its own sentence, as the
        // API gives it.
        E::Conflict(reason) => reason.clone(),
        E::Busy { .. } => i18n::t(lang, "error-busy"),
        E::AuditFull => i18n::t(lang, "error-audit-full"),
        _ => i18n::t(lang, "error-unavailable"),
    }
}

/// The page for an error, with [`message`]'s sentence and the error's status.
pub fn error(lang: Lang, rest: &str, query: &str, e: &api_core::error::ApiError) -> Response {
    use api_core::error::ApiError as E;
    let message = message(lang, e);
    if matches!(e, E::Unavailable(_) | E::Internal(_)) {
        tracing::error!(error = %e, "a page could not be built");
    }
    let page = ErrorPage {
        chrome: Chrome::new(lang, "error-title", "", rest, query),
        message,
    };
    html(e.status(), lang, &page)
}

#[cfg(test)]
mod tests {
    use super::bounded;

    #[test]
    fn a_name_from_outside_is_a_known_label_or_other() {
        let known = ["keys", "revoke", "applicants"];
        assert_eq!(bounded("revoke", &known), "revoke");
        for sent in ["zzz", "", "keys/", "KEYS", "revoke\u{0}"] {
            assert_eq!(bounded(sent, &known), "other", "{sent:?}");
        }
    }
}
