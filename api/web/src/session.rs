//! The gate every signed-in page passes (see `api_core::sessions` for what a session is, and
//! `pages::sign_in` for the screens that open and end one), and the cookies it reads.
//!
//! - [`gate`]: a signed-out visitor to a signed-in page gets 303 to sign-in (with `next`),
//!   a session of another role a 404 (as the API refuses a key outside its scope), a key over
//!   its rate limit 429.

use warp::http::{header, StatusCode};
use warp::reply::Response;
use warp::Reply;

use crate::i18n::{self, Lang};
use crate::page::{self, Chrome};
use api_core::auth::{Principal, Role};
use api_core::sessions::SessionRow;
use api_core::state::AppState;
use api_edge::now_secs;

/// Where a role's screens start, under `/{lang}/`.
pub fn home(role: Role) -> &'static str {
    match role {
        Role::Cinema => "cinema",
        Role::Producer => "producer",
        Role::Ministry => "ministry",
        Role::Commission => "commission",
        // No screens (`Role::has_screens`): sign-in refuses its keys.
        Role::Partner => "sign-in",
    }
}

/// A signed-in visitor: the key's principal (role and scope as the API sees them) and the
/// session's row.
pub struct Signed {
    pub principal: Principal,
    pub session: SessionRow,
}

/// The signed-in visitor of a cookie, if the session is live and its key still held.
pub async fn current(
    s: &AppState,
    cookie: Option<&str>,
) -> Result<Option<Signed>, api_core::error::ApiError> {
    let Some(id) = cookie.filter(|c| !c.is_empty()) else {
        return Ok(None);
    };
    let row = s.sessions.find(&s.app, id).await.map_err(|e| {
        tracing::error!(error = %e, "reading a web session failed");
        api_core::error::ApiError::Unavailable("the session store did not answer".into())
    })?;
    let Some(row) = row else { return Ok(None) };
    let now = now_secs();
    if let Err(why) = row.check(now, s.settings.session_idle_secs) {
        tracing::debug!(?why, key_id = %row.key_id, "a web session is over");
        return Ok(None);
    }
    let Some((principal, _)) = s.keys.by_id(&row.key_id, now) else {
        tracing::info!(key_id = %row.key_id, "a web session's key is revoked or expired");
        return Ok(None);
    };
    if row.due_touch(now) {
        // A failed write only shortens the session (idle sooner): the page is still served.
        if let Err(e) = s.sessions.touch(&s.app, &row, now).await {
            tracing::warn!(error = %e, "recording a web session's use failed");
        }
    }
    Ok(Some(Signed {
        principal,
        session: row,
    }))
}

/// Why a signed-in page is not served; each is a complete response.
pub async fn gate(
    s: &AppState,
    lang: Lang,
    cookie: Option<&str>,
    rest: &str,
    query: &str,
    roles: &[Role],
) -> Result<Signed, Response> {
    let signed = match current(s, cookie).await {
        Ok(Some(x)) => x,
        Ok(None) => {
            let here = if query.is_empty() {
                format!("/{}/{rest}", lang.code())
            } else {
                format!("/{}/{rest}?{query}", lang.code())
            };
            let to = format!(
                "/{}/sign-in?next={}",
                lang.code(),
                crate::params::path_segment(&here)
            );
            return Err(see_other(&to, Vec::new()));
        }
        Err(e) => return Err(page::error(lang, rest, query, &e)),
    };
    // Refusals of a signed-in visitor are audited as the key's, like the API's.
    let refuse = |e: api_core::error::ApiError| {
        let resp = page::error(lang, rest, query, &e);
        api_edge::audited(
            s,
            resp,
            &signed.principal,
            "GET",
            "web_refused",
            &format!("/{{lang}}/{rest}"),
            query,
            std::time::Instant::now(),
            0,
        )
    };
    if let Err(retry_after_secs) = s.limiter.check(&signed.principal.key_id) {
        return Err(refuse(api_core::error::ApiError::TooManyRequests {
            retry_after_secs,
        }));
    }
    if let Err(e) = api_core::handlers::require(&signed.principal, roles) {
        return Err(refuse(e));
    }
    Ok(signed)
}

/// [`gate`] for a form's POST: a visitor without a session gets 403, as any POST without a
/// valid `csrf` (its token belongs to a session), not a redirect that would drop the form.
pub async fn gate_form(
    s: &AppState,
    lang: Lang,
    cookie: Option<&str>,
    rest: &str,
    roles: &[Role],
) -> Result<Signed, Response> {
    // No change without its audit record, whichever face: with the audit spool full, a
    // form's write waits as the JSON face's does (`api_edge::principal`), before anything
    // else is read or done.
    if s.spool.is_full() {
        return Err(audit_full(lang, rest));
    }
    match current(s, cookie).await {
        Ok(None) => Err(forbidden(lang)),
        _ => gate(s, lang, cookie, rest, "", roles).await,
    }
}

/// The 503 page of a write refused while the audit spool is full.
pub fn audit_full(lang: Lang, rest: &str) -> Response {
    page::error(lang, rest, "", &api_core::error::ApiError::AuditFull)
}

/// A 303 to `to`, with cookies to set.
pub fn see_other(to: &str, cookies: Vec<String>) -> Response {
    let mut resp = warp::reply::with_status(warp::reply(), StatusCode::SEE_OTHER).into_response();
    let h = resp.headers_mut();
    h.insert(
        header::LOCATION,
        to.parse().unwrap_or_else(|_| "/".parse().expect("header")),
    );
    for c in cookies {
        if let Ok(v) = c.parse() {
            h.append(header::SET_COOKIE, v);
        }
    }
    h.insert(header::CACHE_CONTROL, "no-store".parse().expect("header"));
    resp
}

/// A cookie of ours: the whole site, never readable by scripts, never sent from another site,
/// and only over TLS when the page came over TLS.
pub fn cookie(name: &str, value: &str, tls: bool, clear: bool) -> String {
    let name = api_core::sessions::cookie_name(name, tls);
    let mut c = format!("{name}={value}; Path=/; HttpOnly; SameSite=Strict");
    if tls {
        c.push_str("; Secure");
    }
    if clear {
        c.push_str("; Max-Age=0");
    }
    c
}

/// `next` when it is a path of this site (never another host: `//host`, `/\host` and
/// absolute URLs are refused), else the role's screens.
pub fn next_or_home(next: Option<&str>, lang: Lang, role: Role) -> String {
    match next {
        Some(n)
            if n.starts_with('/')
                && !n.starts_with("//")
                && !n.contains('\\')
                && !n.contains("://")
                && !n.chars().any(char::is_control) =>
        {
            n.to_owned()
        }
        _ => format!("/{}/{}", lang.code(), home(role)),
    }
}

/// An urlencoded form's fields, in order (a name may repeat), if it carries the session's
/// CSRF token; `None` otherwise (answer [`forbidden`]).
pub fn posted(signed: &Signed, body: &[u8]) -> Option<Vec<(String, String)>> {
    let fields = serde_urlencoded::from_bytes::<Vec<(String, String)>>(body).unwrap_or_default();
    let token = fields
        .iter()
        .find(|(k, _)| k == "csrf")
        .map(|(_, v)| v.as_str())?;
    api_core::sessions::same_token(&signed.session.csrf, token).then_some(fields)
}

/// A 403 page: a form without its token (an old page, or another site's form).
pub fn forbidden(lang: Lang) -> Response {
    let p = page::ErrorPage {
        chrome: Chrome::new(lang, "error-title", "", "sign-in", ""),
        message: i18n::t(lang, "error-csrf"),
    };
    page::html(StatusCode::FORBIDDEN, lang, &p)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_stays_on_this_site() {
        // (next, where sign-in leads)
        let table = [
            (
                Some("/ru/cinema?from=2026-01-01"),
                "/ru/cinema?from=2026-01-01",
            ),
            (Some("//evil.example/x"), "/kk/cinema"),
            (Some("/\\evil.example"), "/kk/cinema"),
            (Some("https://evil.example/"), "/kk/cinema"),
            (Some("/kk/x?u=http://a"), "/kk/cinema"),
            (Some("evil"), "/kk/cinema"),
            (Some("/kk/\nx"), "/kk/cinema"),
            (None, "/kk/cinema"),
        ];
        for (next, want) in table {
            assert_eq!(next_or_home(next, Lang::Kk, Role::Cinema), want, "{next:?}");
        }
        assert_eq!(next_or_home(None, Lang::En, Role::Ministry), "/en/ministry");
    }

    #[test]
    fn cookies_are_http_only_strict_and_host_only_secure_over_tls() {
        assert_eq!(
            cookie("a", "b", false, false),
            "a=b; Path=/; HttpOnly; SameSite=Strict"
        );
        assert_eq!(
            cookie("a", "b", true, false),
            "__Host-a=b; Path=/; HttpOnly; SameSite=Strict; Secure"
        );
        assert_eq!(
            cookie("a", "", false, true),
            "a=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0"
        );
    }
}
