//! `/{lang}/sign-in` and `/{lang}/sign-out`: a key exchanged for a session, and the session
//! ended. The gate every signed-in screen passes is `session`.
//!
//! - `GET /{lang}/sign-in`: the form (a key, posted as `key`); a visitor already signed in
//!   is sent to their screens.
//! - `POST /{lang}/sign-in`: with a valid `csrf` (the double-submit cookie) and a live key,
//!   opens a session and answers 303 to the role's screens (or to a local `next`); a wrong
//!   key gets the form again with 401; a missing or wrong `csrf` 403.
//! - `POST /{lang}/sign-out`: with the session's `csrf`, ends it and answers 303 to sign-in.

use std::collections::HashMap;

use askama::Template;
use warp::http::{header, StatusCode};
use warp::reply::Response;

use crate::i18n::{self, Lang};
use crate::page::{self, Chrome};
use crate::session::{cookie, current, forbidden, next_or_home, see_other};
use api_core::auth::Principal;
use api_core::sessions;
use api_core::state::AppState;
use api_edge::now_secs;

#[derive(Template)]
#[template(path = "sign_in.html")]
pub struct SignInPage {
    pub chrome: Chrome,
    pub csrf: String,
    pub next: String,
    /// The refusal of the last attempt, in the page's language.
    pub error: Option<String>,
}

fn sign_in_page(
    status: StatusCode,
    lang: Lang,
    csrf: &str,
    next: &str,
    error: Option<String>,
    tls: bool,
) -> Response {
    let p = SignInPage {
        chrome: Chrome::new(lang, "sign-in-title", "sign-in", "sign-in", ""),
        csrf: csrf.to_owned(),
        next: next.to_owned(),
        error,
    };
    let mut resp = page::html(status, lang, &p);
    let h = resp.headers_mut();
    if let Ok(v) = cookie(sessions::CSRF_COOKIE, csrf, tls, false).parse() {
        h.append(header::SET_COOKIE, v);
    }
    h.insert(header::CACHE_CONTROL, "no-store".parse().expect("header"));
    resp
}

/// `GET /{lang}/sign-in`.
pub async fn sign_in_form(
    s: &AppState,
    lang: Lang,
    query: &str,
    session: Option<&str>,
    csrf_cookie: Option<&str>,
    tls: bool,
) -> Response {
    let form = crate::params::form(query);
    let next = form.get("next").map(String::as_str);
    if let Ok(Some(signed)) = current(s, session).await {
        return see_other(&next_or_home(next, lang, signed.principal.role), Vec::new());
    }
    // The token stays the same across tabs while the cookie lives.
    let csrf = csrf_cookie
        .filter(|c| c.len() == 64)
        .map(str::to_owned)
        .unwrap_or_else(sessions::token);
    sign_in_page(StatusCode::OK, lang, &csrf, next.unwrap_or(""), None, tls)
}

/// `POST /{lang}/sign-in`; returns the response and, for an opened session, its principal
/// (for the audit).
pub async fn sign_in(
    s: &AppState,
    lang: Lang,
    body: &[u8],
    csrf_cookie: Option<&str>,
    tls: bool,
) -> (Response, Option<Principal>) {
    // A sign-in writes a session and its audit record: it waits while the spool is full.
    if s.spool.is_full() {
        return (crate::session::audit_full(lang, "sign-in"), None);
    }
    let form: HashMap<String, String> = serde_urlencoded::from_bytes::<Vec<(String, String)>>(body)
        .unwrap_or_default()
        .into_iter()
        .collect();
    let given = form.get("csrf").map(String::as_str).unwrap_or("");
    if !csrf_cookie.is_some_and(|c| sessions::same_token(c, given)) {
        return (forbidden(lang), None);
    }
    let next = form.get("next").map(|n| n.trim()).filter(|n| !n.is_empty());
    let key = form.get("key").map(|k| k.trim()).unwrap_or("");
    let Some(principal) = s.keys.authenticate(key, Some(&s.app)).await else {
        let message = i18n::t(
            lang,
            if key.is_empty() {
                "sign-in-empty"
            } else {
                "sign-in-refused"
            },
        );
        return (
            sign_in_page(
                StatusCode::UNAUTHORIZED,
                lang,
                given,
                next.unwrap_or(""),
                Some(message),
                tls,
            ),
            None,
        );
    };
    if !principal.role.has_screens() {
        // A partner's key sends records through the API; there is nothing to sign in to.
        return (
            sign_in_page(
                StatusCode::FORBIDDEN,
                lang,
                given,
                next.unwrap_or(""),
                Some(i18n::t(lang, "sign-in-no-screens")),
                tls,
            ),
            None,
        );
    }
    let now = now_secs();
    let key_expires = s
        .keys
        .by_id(&principal.key_id, now)
        .map(|(_, e)| e)
        .unwrap_or(0);
    match s
        .sessions
        .open(
            &s.app,
            &principal.key_id,
            now,
            s.settings.session_max_secs,
            key_expires,
        )
        .await
    {
        Ok((id, _)) => {
            tracing::info!(key_id = %principal.key_id, role = principal.role.as_str(), "signed in");
            let to = next_or_home(next, lang, principal.role);
            (
                see_other(&to, vec![cookie(sessions::COOKIE, &id, tls, false)]),
                Some(principal),
            )
        }
        Err(e) => {
            tracing::error!(error = %e, "storing a web session failed");
            (
                page::error(
                    lang,
                    "sign-in",
                    "",
                    &api_core::error::ApiError::Unavailable(
                        "the session store did not answer".into(),
                    ),
                ),
                None,
            )
        }
    }
}

/// `POST /{lang}/sign-out`; returns the response and the principal signed out (for the audit).
pub async fn sign_out(
    s: &AppState,
    lang: Lang,
    body: &[u8],
    session: Option<&str>,
    tls: bool,
) -> (Response, Option<Principal>) {
    let form: HashMap<String, String> = serde_urlencoded::from_bytes::<Vec<(String, String)>>(body)
        .unwrap_or_default()
        .into_iter()
        .collect();
    let given = form.get("csrf").map(String::as_str).unwrap_or("");
    let signed = match current(s, session).await {
        Ok(Some(x)) if sessions::same_token(&x.session.csrf, given) => x,
        Ok(_) => return (forbidden(lang), None),
        Err(e) => return (page::error(lang, "sign-out", "", &e), None),
    };
    if let Err(e) = s.sessions.end(&s.app, &signed.session).await {
        tracing::error!(error = %e, "ending a web session failed");
        return (
            page::error(
                lang,
                "sign-out",
                "",
                &api_core::error::ApiError::Unavailable("the session store did not answer".into()),
            ),
            None,
        );
    }
    let to = format!("/{}/sign-in", lang.code());
    (
        see_other(&to, vec![cookie(sessions::COOKIE, "", tls, true)]),
        Some(signed.principal),
    )
}
