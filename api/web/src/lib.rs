//! The web pages, served by `ekino api` on its own port beside the JSON API: HTML under
//! `/{kk|ru|en}/…`, `/` sending a visitor to the language its browser prefers (kk when none
//! of ours), and the embedded assets under `/assets/`.
//!
//! Invariants: a page calls the same report function as its JSON twin (never a second
//! query); every word comes from the catalogue ([`i18n`]); every filter is a GET form, so a
//! page's URL can be shared and everything works without JavaScript (htmx only boosts links
//! and forms); pages ignore unknown query parameters and treat empty ones as absent (GET forms
//! send them), while the JSON API stays strict; tenant text is escaped by the templates;
//! charts are SVG drawn on the server. Pages are public routes, under the per-address limit.

pub mod assets;
pub mod cabinet;
pub mod curve;
pub mod derivation;
pub mod estimate;
pub mod evidence;
pub mod i18n;
pub mod page;
pub mod pages;
pub mod params;
pub mod pdf;
pub mod pools;
pub mod reasons;
pub mod saved;
pub mod session;
pub mod spend_file;
mod terms;
pub mod words;

use warp::filters::BoxedFilter;
use warp::http::{header, StatusCode};
use warp::reply::Response;
use warp::{Filter, Reply};

use api_core::auth::Role;
use api_core::sessions::{COOKIE, CSRF_COOKIE};
use api_edge::{public, query, state, State};
use i18n::Lang;
use pages::claim_page::decision;
use pages::{
    audit, box_office, cases, cinema, cinemas, claim, claim_page, commission, daily_report, film,
    films, glossary, head_count, how, ministry, ministry_cinemas, people, producer, producer_film,
    productions, programmes, rebates, registry, sales, sign_in, signals, upload, vendors,
};
use params::{path_segment, percent_decode};

/// The language of a `/{lang}/…` path; another first segment is not a page.
fn lang() -> impl Filter<Extract = (Lang,), Error = warp::Rejection> + Clone {
    warp::path::param::<String>()
        .and_then(|l: String| async move { Lang::parse(&l).ok_or_else(warp::reject::not_found) })
}

/// A page at `/{lang}/<path>` (GET, public, under the per-address limit): its language, the
/// state and its raw query.
fn page(
    s: &State,
    path: impl Filter<Extract = (), Error = warp::Rejection> + Clone + Send + Sync + 'static,
) -> impl Filter<Extract = (Lang, State, String), Error = warp::Rejection> + Clone {
    lang()
        .and(path)
        .and(warp::get())
        .and(public(s.clone()))
        .and(state(s.clone()))
        .and(query())
}

/// The session cookie this request's transport allows (see `api_core::sessions::HOST_COOKIE`).
/// A request carrying one is counted against its client address
/// (`api.session_rate_limit_per_minute`; 429 past it), before anything looks it up.
fn session_cookie(
    s: &State,
) -> impl Filter<Extract = (Option<String>,), Error = warp::Rejection> + Clone {
    tls(s)
        .and(warp::cookie::optional::<String>(
            api_core::sessions::HOST_COOKIE,
        ))
        .and(warp::cookie::optional::<String>(COOKIE))
        .map(api_core::sessions::pick)
        .and(api_edge::client(s.clone()))
        .and(state(s.clone()))
        .and_then(
            |cookie: Option<String>, client: String, s: State| async move {
                if cookie.is_some() {
                    s.guards.admit_signed(&client).map_err(api_edge::reject)?;
                }
                Ok::<_, warp::Rejection>(cookie)
            },
        )
}

/// The sign-in form's double-submit cookie, the same way.
fn csrf_cookie(
    s: &State,
) -> impl Filter<Extract = (Option<String>,), Error = warp::Rejection> + Clone {
    tls(s)
        .and(warp::cookie::optional::<String>(
            api_core::sessions::HOST_CSRF_COOKIE,
        ))
        .and(warp::cookie::optional::<String>(CSRF_COOKIE))
        .map(api_core::sessions::pick)
}

fn tls(s: &State) -> impl Filter<Extract = (bool,), Error = warp::Rejection> + Clone {
    api_edge::peer()
        .and(warp::header::optional::<String>("x-forwarded-proto"))
        .and(state(s.clone()))
        .map(
            |remote: Option<std::net::SocketAddr>, xfp: Option<String>, s: State| {
                s.guards.over_tls(remote, xfp.as_deref())
            },
        )
}

/// The signed-in screens, each for one role: `/{lang}/<home>` (see `session::gate`).
fn cabinet(s: &State, home: &'static str, role: Role) -> BoxedFilter<(Response,)> {
    lang()
        .and(warp::path(home))
        .and(warp::path::end())
        .and(warp::get())
        .and(state(s.clone()))
        .and(session_cookie(s))
        .and(query())
        .then(
            move |lang: Lang, s: State, cookie: Option<String>, q: String| async move {
                let signed =
                    match session::gate(&s, lang, cookie.as_deref(), home, &q, &[role]).await {
                        Ok(x) => x,
                        Err(resp) => return resp,
                    };
                match role {
                    Role::Cinema => cinema::page(&s, lang, &signed, &q).await,
                    Role::Producer => producer::page(&s, lang, &signed, &q).await,
                    Role::Ministry => ministry::page(&s, lang, &signed, &q).await,
                    Role::Commission => commission::page(&s, lang, &signed, &q).await,
                    // No cabinet is mounted for a role without screens; sign-in refuses it.
                    Role::Partner => {
                        page::error(lang, home, &q, &api_core::error::ApiError::NotFound)
                    }
                }
            },
        )
        .boxed()
}

/// `POST /{lang}/<path>`: a form with files (`multipart/form-data` up to `limit` bytes, read
/// only once `post` reads it), signed in as one of `roles` (`session::gate_form`; `screen` is
/// where a refusal sends the visitor back to), then `post`. Another content type is not this
/// route's (the form's urlencoded twin, if any, takes it).
fn file_post<P, F, Fut>(
    s: &State,
    path: P,
    screen: &'static str,
    roles: &'static [Role],
    limit: u64,
    post: F,
) -> BoxedFilter<(Response,)>
where
    P: Filter<Extract = (), Error = warp::Rejection> + Clone + Send + Sync + 'static,
    F: Fn(State, Lang, session::Signed, warp::multipart::FormData) -> Fut
        + Clone
        + Send
        + Sync
        + 'static,
    Fut: std::future::Future<Output = Response> + Send + 'static,
{
    lang()
        .and(path)
        .and(warp::post())
        .and(state(s.clone()))
        .and(session_cookie(s))
        .and(warp::multipart::form().max_length(limit))
        .then(
            move |lang: Lang, s: State, cookie: Option<String>, form: warp::multipart::FormData| {
                let post = post.clone();
                async move {
                    match session::gate_form(&s, lang, cookie.as_deref(), screen, roles).await {
                        Ok(signed) => post(s, lang, signed, form).await,
                        Err(resp) => resp,
                    }
                }
            },
        )
        .boxed()
}

/// `POST /{lang}/<path>`: a form body (up to `api.body_limit_bytes`, within
/// `api.body_timeout_ms`), signed in as one of `roles` (`session::gate_form`; `screen` is where
/// a refusal sends the visitor back to), then `post`.
fn form_post<P, F, Fut>(
    s: &State,
    path: P,
    screen: &'static str,
    roles: &'static [Role],
    post: F,
) -> BoxedFilter<(Response,)>
where
    P: Filter<Extract = (), Error = warp::Rejection> + Clone + Send + Sync + 'static,
    F: Fn(State, Lang, session::Signed, bytes::Bytes) -> Fut + Clone + Send + Sync + 'static,
    Fut: std::future::Future<Output = Response> + Send + 'static,
{
    let limit = s.settings.body_limit_bytes;
    let timeout = std::time::Duration::from_millis(s.settings.body_timeout_ms);
    lang()
        .and(path)
        .and(warp::post())
        .and(state(s.clone()))
        .and(session_cookie(s))
        .and(api_edge::lazy_body(limit, timeout))
        .and_then(
            move |lang: Lang, s: State, cookie: Option<String>, body: api_edge::LazyBody| {
                let post = post.clone();
                async move {
                    match session::gate_form(&s, lang, cookie.as_deref(), screen, roles).await {
                        Ok(signed) => Ok(post(s, lang, signed, body.read().await?).await),
                        Err(resp) => Ok::<_, warp::Rejection>(resp),
                    }
                }
            },
        )
        .boxed()
}

/// A signed-in GET page of one record, `/{lang}/<section>/<kind>/{id}` for `role` (a claim, a
/// case): the id percent-decoded, the gate's way back to the same record, then `page`.
fn record_page<F, Fut>(
    s: &State,
    section: &'static str,
    kind: &'static str,
    role: Role,
    page: F,
) -> BoxedFilter<(Response,)>
where
    F: Fn(State, Lang, session::Signed, String) -> Fut + Clone + Send + Sync + 'static,
    Fut: std::future::Future<Output = Response> + Send + 'static,
{
    lang()
        .and(warp::path(section))
        .and(warp::path(kind))
        .and(warp::path::param::<String>())
        .and(warp::path::end())
        .and(warp::get())
        .and(state(s.clone()))
        .and(session_cookie(s))
        .and(query())
        .then(
            move |lang: Lang, id: String, s: State, cookie: Option<String>, q: String| {
                let page = page.clone();
                async move {
                    let id = percent_decode(&id);
                    let rest = format!("{section}/{kind}/{}", path_segment(&id));
                    match session::gate(&s, lang, cookie.as_deref(), &rest, &q, &[role]).await {
                        Ok(signed) => page(s, lang, signed, id).await,
                        Err(resp) => resp,
                    }
                }
            },
        )
        .boxed()
}

/// A signed-in GET page at `/{lang}/<section>/<name>` for `role`, drawn by `page` with the
/// session's principal (see `session::gate`: sign-in for a visitor, 404 for another role).
fn signed_page<F, Fut>(
    s: &State,
    section: &'static str,
    name: &'static str,
    role: Role,
    page: F,
) -> BoxedFilter<(Response,)>
where
    F: Fn(State, Lang, session::Signed, String) -> Fut + Clone + Send + Sync + 'static,
    Fut: std::future::Future<Output = Response> + Send + 'static,
{
    let rest = format!("{section}/{name}");
    lang()
        .and(warp::path(section))
        .and(warp::path(name))
        .and(warp::path::end())
        .and(warp::get())
        .and(state(s.clone()))
        .and(session_cookie(s))
        .and(query())
        .then(
            move |lang: Lang, s: State, cookie: Option<String>, q: String| {
                let (rest, page) = (rest.clone(), page.clone());
                async move {
                    match session::gate(&s, lang, cookie.as_deref(), &rest, &q, &[role]).await {
                        Ok(signed) => page(s, lang, signed, q).await,
                        Err(resp) => resp,
                    }
                }
            },
        )
        .boxed()
}

/// `/{lang}/sign-in` (GET, POST) and `/{lang}/sign-out` (POST): see `session`.
fn signing(s: &State) -> BoxedFilter<(Response,)> {
    let limit = s.settings.body_limit_bytes;
    let timeout = std::time::Duration::from_millis(s.settings.body_timeout_ms);
    let form = lang()
        .and(warp::path!("sign-in"))
        .and(warp::get())
        .and(public(s.clone()))
        .and(state(s.clone()))
        .and(query())
        .and(session_cookie(s))
        .and(csrf_cookie(s))
        .and(tls(s))
        .then(
            |lang: Lang,
             s: State,
             q: String,
             session: Option<String>,
             csrf: Option<String>,
             tls: bool| async move {
                sign_in::sign_in_form(&s, lang, &q, session.as_deref(), csrf.as_deref(), tls).await
            },
        );
    let sign_in = lang()
        .and(warp::path!("sign-in"))
        .and(warp::post())
        .and(public(s.clone()))
        .and(state(s.clone()))
        .and(csrf_cookie(s))
        .and(tls(s))
        .and(api_edge::body(limit, timeout))
        .then(
            |lang: Lang, s: State, csrf: Option<String>, tls: bool, body: bytes::Bytes| async move {
                let started = std::time::Instant::now();
                match sign_in::sign_in(&s, lang, &body, csrf.as_deref(), tls).await {
                    (resp, Some(p)) => api_edge::audited(
                        &s,
                        resp,
                        &p,
                        "POST",
                        "web_sign_in",
                        "/{lang}/sign-in",
                        "",
                        started,
                        0,
                    ),
                    (resp, None) => resp,
                }
            },
        );
    let sign_out = lang()
        .and(warp::path!("sign-out"))
        .and(warp::post())
        .and(public(s.clone()))
        .and(state(s.clone()))
        .and(session_cookie(s))
        .and(tls(s))
        .and(api_edge::body(limit, timeout))
        .then(|lang: Lang, s: State, session: Option<String>, tls: bool, body: bytes::Bytes| async move {
            let started = std::time::Instant::now();
            match sign_in::sign_out(&s, lang, &body, session.as_deref(), tls).await {
                (resp, Some(p)) => api_edge::audited(&s, resp, &p, "POST", "web_sign_out", "/{lang}/sign-out", "", started, 0),
                (resp, None) => resp,
            }
        });
    // A claim's decisions, from its page (see `claim_page::decision`).
    let decision =
        lang()
            .and(warp::path!("ministry" / "claims" / String / "decision"))
            .and(warp::post())
            .and(state(s.clone()))
            .and(session_cookie(s))
            .and(api_edge::lazy_body(limit, timeout))
            .and_then(
                |lang: Lang,
                 id: String,
                 s: State,
                 cookie: Option<String>,
                 body: api_edge::LazyBody| async move {
                    let signed = match session::gate_form(
                        &s,
                        lang,
                        cookie.as_deref(),
                        "ministry",
                        &[Role::Ministry],
                    )
                    .await
                    {
                        Ok(x) => x,
                        Err(resp) => return Ok::<_, warp::Rejection>(resp),
                    };
                    Ok(decision::decide(
                        &s,
                        lang,
                        &signed,
                        &percent_decode(&id),
                        &body.read().await?,
                    )
                    .await)
                },
            );
    // One claim, for the ministry (with the decision forms) and for its applicant (see
    // `claim_page`).
    let claim_page = |section: &'static str, role: Role| {
        record_page(
            s,
            section,
            "claims",
            role,
            |s, lang, signed, id| async move { claim_page::page(&s, lang, &signed, &id).await },
        )
    };
    let ministry_claim = claim_page("ministry", Role::Ministry);
    let producer_claim = claim_page("producer", Role::Producer);
    // A cinema's file of events (see `upload`).
    let upload_form = signed_page(
        s,
        "cinema",
        "upload",
        Role::Cinema,
        |s, lang, signed, q| async move { upload::form(&s, lang, &signed, &q).await },
    );
    // The daily national report, to send upward (see `daily_report`).
    let daily_report = signed_page(
        s,
        "ministry",
        "daily",
        Role::Ministry,
        |s, lang, signed, q| async move { daily_report::page(&s, lang, &signed, &q).await },
    );
    // Every cinema's reporting, for the ministry (see `ministry_cinemas`).
    let ministry_cinemas = signed_page(
        s,
        "ministry",
        "cinemas",
        Role::Ministry,
        |s, lang, signed, q| async move { ministry_cinemas::page(&s, lang, &signed, &q).await },
    );
    // Where figures cannot be true: every cinema's signals, and a cinema's own (see `signals`).
    let signals_page = signed_page(
        s,
        "ministry",
        "signals",
        Role::Ministry,
        |s, lang, signed, q| async move { signals::page(&s, lang, &signed, &q).await },
    );
    // How completely each ticketing vendor's cinemas report (see `vendors`).
    let vendors_page = signed_page(
        s,
        "ministry",
        "vendors",
        Role::Ministry,
        |s, lang, signed, q| async move { vendors::page(&s, lang, &signed, &q).await },
    );
    let cinema_signals_post = lang()
        .and(warp::path!("cinema" / "signals"))
        .and(warp::post())
        .and(state(s.clone()))
        .and(session_cookie(s))
        .and(api_edge::lazy_body(limit, timeout))
        .and_then(
            |lang: Lang, s: State, cookie: Option<String>, body: api_edge::LazyBody| async move {
                match session::gate_form(
                    &s,
                    lang,
                    cookie.as_deref(),
                    "cinema/signals",
                    &[Role::Cinema],
                )
                .await
                {
                    Ok(signed) => {
                        Ok(signals::explain(&s, lang, &signed, &body.read().await?).await)
                    }
                    Err(resp) => Ok::<_, warp::Rejection>(resp),
                }
            },
        );
    let cinema_signals_page = signed_page(
        s,
        "cinema",
        "signals",
        Role::Cinema,
        |s, lang, signed, q| async move { signals::page(&s, lang, &signed, &q).await },
    );
    // The inspector's head count, for the ministry (see `head_count`).
    let head_count_page = signed_page(
        s,
        "ministry",
        "head-count",
        Role::Ministry,
        |s, lang, signed, q| async move { head_count::page(&s, lang, &signed, &q).await },
    );
    let head_count_post = lang()
        .and(warp::path!("ministry" / "head-count"))
        .and(warp::post())
        .and(state(s.clone()))
        .and(session_cookie(s))
        .and(api_edge::lazy_body(limit, timeout))
        .and_then(
            |lang: Lang, s: State, cookie: Option<String>, body: api_edge::LazyBody| async move {
                match session::gate_form(
                    &s,
                    lang,
                    cookie.as_deref(),
                    "ministry/head-count",
                    &[Role::Ministry],
                )
                .await
                {
                    Ok(signed) => {
                        Ok(head_count::post(&s, lang, &signed, &body.read().await?).await)
                    }
                    Err(resp) => Ok::<_, warp::Rejection>(resp),
                }
            },
        );
    // The audit log, for the ministry (see `audit`).
    let audit_page = signed_page(
        s,
        "ministry",
        "audit",
        Role::Ministry,
        |s, lang, signed, q| async move { audit::page(&s, lang, &signed, &q).await },
    );
    // Keys and foreign applicants, for the ministry (see `people`).
    let people_page = signed_page(
        s,
        "ministry",
        "people",
        Role::Ministry,
        |s, lang, signed, q| async move { people::page(&s, lang, &signed, &q).await },
    );
    let people_post = lang()
        .and(warp::path!("ministry" / "people" / String))
        .and(warp::post())
        .and(state(s.clone()))
        .and(session_cookie(s))
        .and(api_edge::lazy_body(limit, timeout))
        .and_then(
            |lang: Lang,
             action: String,
             s: State,
             cookie: Option<String>,
             body: api_edge::LazyBody| async move {
                match session::gate_form(
                    &s,
                    lang,
                    cookie.as_deref(),
                    "ministry/people",
                    &[Role::Ministry],
                )
                .await
                {
                    Ok(signed) => {
                        Ok(people::post(&s, lang, &signed, &action, &body.read().await?).await)
                    }
                    Err(resp) => Ok::<_, warp::Rejection>(resp),
                }
            },
        );
    // A producer's film: its run by day and by cinema, and its ROI (see `producer_film`).
    let producer_film = lang()
        .and(warp::path!("producer" / "films" / String))
        .and(warp::get())
        .and(state(s.clone()))
        .and(session_cookie(s))
        .and(query())
        .then(
            |lang: Lang, film: String, s: State, cookie: Option<String>, q: String| async move {
                let film = percent_decode(&film);
                let rest = format!("producer/films/{}", path_segment(&film));
                match session::gate(&s, lang, cookie.as_deref(), &rest, &q, &[Role::Producer]).await
                {
                    Ok(signed) => producer_film::page(&s, lang, &signed, &film, &q).await,
                    Err(resp) => resp,
                }
            },
        );
    // A cinema's own sales, by day and film, then by screening (see `sales`).
    let sales_page = signed_page(
        s,
        "cinema",
        "sales",
        Role::Cinema,
        |s, lang, signed, q| async move { sales::page(&s, lang, &signed, &q).await },
    );
    // The whole form: the file's limit and room for the other fields.
    let multipart_limit = s.settings.upload_limit_bytes + 64 * 1024;
    // A file of ticket events, and one of declared sessions (`ekino.session/1`).
    let upload_post = file_post(
        s,
        warp::path!("cinema" / "upload"),
        "cinema/upload",
        &[Role::Cinema],
        multipart_limit,
        |s, lang, signed, form| async move { upload::post(&s, lang, &signed, form).await },
    );
    let sessions_post = file_post(
        s,
        warp::path!("cinema" / "sessions"),
        "cinema/upload",
        &[Role::Cinema],
        multipart_limit,
        |s, lang, signed, form| async move { upload::post_sessions(&s, lang, &signed, form).await },
    );
    let void = form_post(
        s,
        warp::path!("cinema" / "void"),
        "cinema/upload",
        &[Role::Cinema],
        |s, lang, signed, body| async move { upload::void(&s, lang, &signed, &body).await },
    );
    // A producer's claim form (see `claim`).
    let claim_form = lang()
        .and(warp::path!("producer" / "claim"))
        .and(warp::get())
        .and(state(s.clone()))
        .and(session_cookie(s))
        .and(query())
        .then(
            |lang: Lang, s: State, cookie: Option<String>, q: String| async move {
                match session::gate(
                    &s,
                    lang,
                    cookie.as_deref(),
                    "producer/claim",
                    &q,
                    &[Role::Producer],
                )
                .await
                {
                    Ok(signed) => claim::form(&s, lang, &signed, &q).await,
                    Err(resp) => resp,
                }
            },
        );
    // The page sends the claim form with its file; pasted lines may also come urlencoded.
    let claim_file_post = file_post(
        s,
        warp::path!("producer" / "claim"),
        "producer/claim",
        &[Role::Producer],
        multipart_limit,
        |s, lang, signed, form| async move { claim::post_multipart(&s, lang, &signed, form).await },
    );
    // The cinema's upload files' templates (headers only).
    let tickets_template = lang()
        .and(warp::path!("cinema" / "upload" / "tickets.csv"))
        .and(warp::get())
        .map(upload::tickets_template);
    let sessions_template = lang()
        .and(warp::path!("cinema" / "upload" / "sessions.csv"))
        .and(warp::get())
        .map(upload::sessions_template);
    // The spend lines' template, headed in the page's language.
    let claim_template = lang()
        .and(warp::path!("producer" / "claim" / "template.csv"))
        .and(warp::get())
        .map(claim::template);
    let claim_post = lang()
        .and(warp::path!("producer" / "claim"))
        .and(warp::post())
        .and(state(s.clone()))
        .and(session_cookie(s))
        .and(api_edge::lazy_body(limit, timeout))
        .and_then(
            |lang: Lang, s: State, cookie: Option<String>, body: api_edge::LazyBody| async move {
                match session::gate_form(
                    &s,
                    lang,
                    cookie.as_deref(),
                    "producer/claim",
                    &[Role::Producer],
                )
                .await
                {
                    Ok(signed) => Ok(claim::post(&s, lang, &signed, &body.read().await?).await),
                    Err(resp) => Ok::<_, warp::Rejection>(resp),
                }
            },
        );
    form.boxed()
        .or(tickets_template.boxed())
        .unify()
        .or(sessions_template.boxed())
        .unify()
        .or(sign_in.boxed())
        .unify()
        .or(sign_out.boxed())
        .unify()
        .or(decision.boxed())
        .unify()
        .or(ministry_claim)
        .unify()
        .or(producer_claim)
        .unify()
        .or(upload_form)
        .unify()
        .or(sales_page)
        .unify()
        .or(producer_film.boxed())
        .unify()
        .or(daily_report)
        .unify()
        .or(ministry_cinemas)
        .unify()
        .or(people_page)
        .unify()
        .or(audit_page)
        .unify()
        .or(signals_page)
        .unify()
        .or(vendors_page)
        .unify()
        .or(cinema_signals_page)
        .unify()
        .or(cinema_signals_post.boxed())
        .unify()
        .or(head_count_page)
        .unify()
        .or(head_count_post.boxed())
        .unify()
        .or(people_post.boxed())
        .unify()
        .or(upload_post.boxed())
        .unify()
        .or(sessions_post.boxed())
        .unify()
        .or(void.boxed())
        .unify()
        .or(claim_form.boxed())
        .unify()
        .or(claim_file_post)
        .unify()
        .or(claim_template.boxed())
        .unify()
        .or(claim_post.boxed())
        .unify()
        .boxed()
}

/// The ministry's registry screens (see `registry`) and the commission's saved estimates (see
/// `productions`); boxed on their own, as every group of
/// routes here is, so that the filter types stay small enough to compile quickly.
fn registry_routes(s: &State) -> BoxedFilter<(Response,)> {
    let limit = s.settings.body_limit_bytes;
    let timeout = std::time::Duration::from_millis(s.settings.body_timeout_ms);
    // The registry, for the ministry: films, cinemas and FX, each record with its history (see
    // `registry`).
    let registry_page = signed_page(
        s,
        "ministry",
        "registry",
        Role::Ministry,
        |s, lang, signed, q| async move { registry::page(&s, lang, &signed, &q).await },
    );
    let registry_record =
        lang()
            .and(warp::path!("ministry" / "registry" / String / String))
            .and(warp::get())
            .and(state(s.clone()))
            .and(session_cookie(s))
            .and(query())
            .then(
                |lang: Lang,
                 kind: String,
                 id: String,
                 s: State,
                 cookie: Option<String>,
                 q: String| async move {
                    let id = percent_decode(&id);
                    let rest = format!("ministry/registry/{kind}/{}", path_segment(&id));
                    match session::gate(&s, lang, cookie.as_deref(), &rest, &q, &[Role::Ministry])
                        .await
                    {
                        Ok(signed) => registry::record(&s, lang, &signed, &kind, &id, &q).await,
                        Err(resp) => resp,
                    }
                },
            );
    let registry_fx = form_post(
        s,
        warp::path!("ministry" / "registry" / "fx"),
        "ministry/registry",
        &[Role::Ministry],
        |s, lang, signed, body| async move { registry::post_fx(&s, lang, &signed, &body).await },
    );
    let registry_post = lang()
        .and(warp::path!("ministry" / "registry" / String / String))
        .and(warp::post())
        .and(state(s.clone()))
        .and(session_cookie(s))
        .and(api_edge::lazy_body(limit, timeout))
        .and_then(
            |lang: Lang,
             kind: String,
             id: String,
             s: State,
             cookie: Option<String>,
             body: api_edge::LazyBody| async move {
                let id = percent_decode(&id);
                match session::gate_form(
                    &s,
                    lang,
                    cookie.as_deref(),
                    "ministry/registry",
                    &[Role::Ministry],
                )
                .await
                {
                    Ok(signed) => {
                        Ok(
                            registry::post(&s, lang, &signed, &kind, &id, &body.read().await?)
                                .await,
                        )
                    }
                    Err(resp) => Ok::<_, warp::Rejection>(resp),
                }
            },
        );
    // The film commission's saved estimates (see `productions`).
    let save_form = signed_page(
        s,
        "commission",
        "save",
        Role::Commission,
        |s, lang, signed, q| async move { productions::form(&s, lang, &signed, &q).await },
    );
    let save = form_post(
        s,
        warp::path!("commission" / "estimates"),
        "commission",
        &[Role::Commission],
        |s, lang, signed, body| async move { productions::post(&s, lang, &signed, None, &body).await },
    );
    let delete =
        lang()
            .and(warp::path!("commission" / "estimates" / String / "delete"))
            .and(warp::post())
            .and(state(s.clone()))
            .and(session_cookie(s))
            .and(api_edge::lazy_body(limit, timeout))
            .and_then(
                |lang: Lang,
                 id: String,
                 s: State,
                 cookie: Option<String>,
                 body: api_edge::LazyBody| async move {
                    match session::gate_form(
                        &s,
                        lang,
                        cookie.as_deref(),
                        "commission",
                        &[Role::Commission],
                    )
                    .await
                    {
                        Ok(signed) => Ok(productions::post(
                            &s,
                            lang,
                            &signed,
                            Some(&percent_decode(&id)),
                            &body.read().await?,
                        )
                        .await),
                        Err(resp) => Ok::<_, warp::Rejection>(resp),
                    }
                },
            );
    registry_page
        .or(registry_record.boxed())
        .unify()
        .or(registry_fx.boxed())
        .unify()
        .or(registry_post.boxed())
        .unify()
        .or(save_form)
        .unify()
        .or(save.boxed())
        .unify()
        .or(delete.boxed())
        .unify()
        .boxed()
}

/// Cases opened from signals, for the ministry and the cinema (see `cases`).
fn case_routes(s: &State) -> BoxedFilter<(Response,)> {
    let limit = s.settings.body_limit_bytes;
    let timeout = std::time::Duration::from_millis(s.settings.body_timeout_ms);
    let ministry_list = signed_page(
        s,
        "ministry",
        "cases",
        Role::Ministry,
        |s, lang, signed, q| async move { cases::list(&s, lang, &signed, &q).await },
    );
    let cinema_list = signed_page(
        s,
        "cinema",
        "cases",
        Role::Cinema,
        |s, lang, signed, q| async move { cases::list(&s, lang, &signed, &q).await },
    );
    let open = lang()
        .and(warp::path!("ministry" / "cases"))
        .and(warp::post())
        .and(state(s.clone()))
        .and(session_cookie(s))
        .and(api_edge::lazy_body(limit, timeout))
        .and_then(
            |lang: Lang, s: State, cookie: Option<String>, body: api_edge::LazyBody| async move {
                match session::gate_form(
                    &s,
                    lang,
                    cookie.as_deref(),
                    "ministry/signals",
                    &[Role::Ministry],
                )
                .await
                {
                    Ok(signed) => Ok(cases::open(&s, lang, &signed, &body.read().await?).await),
                    Err(resp) => Ok::<_, warp::Rejection>(resp),
                }
            },
        );
    // One case: `section` is whose screen it is (the ministry's or the cinema's).
    let one = |section: &'static str, role: Role| {
        let get = record_page(
            s,
            section,
            "cases",
            role,
            |s, lang, signed, id| async move { cases::page(&s, lang, &signed, &id).await },
        );
        let post = lang()
            .and(warp::path(section))
            .and(warp::path("cases"))
            .and(warp::path::param::<String>())
            .and(warp::path::end())
            .and(warp::post())
            .and(state(s.clone()))
            .and(session_cookie(s))
            .and(api_edge::lazy_body(limit, timeout))
            .and_then(
                move |lang: Lang,
                      id: String,
                      s: State,
                      cookie: Option<String>,
                      body: api_edge::LazyBody| async move {
                    let id = percent_decode(&id);
                    let rest = format!("{section}/cases/{}", path_segment(&id));
                    match session::gate_form(&s, lang, cookie.as_deref(), &rest, &[role]).await {
                        Ok(signed) => {
                            Ok(cases::post(&s, lang, &signed, &id, &body.read().await?).await)
                        }
                        Err(resp) => Ok::<_, warp::Rejection>(resp),
                    }
                },
            );
        get.or(post.boxed()).unify().boxed()
    };
    ministry_list
        .or(cinema_list)
        .unify()
        .or(open.boxed())
        .unify()
        .or(one("ministry", Role::Ministry))
        .unify()
        .or(one("cinema", Role::Cinema))
        .unify()
        .boxed()
}

pub fn routes(s: State) -> BoxedFilter<(Response,)> {
    let root = warp::path::end()
        .and(warp::get())
        .and(warp::header::optional::<String>("accept-language"))
        .map(|al: Option<String>| {
            let to = format!("/{}/box-office", Lang::negotiate(al.as_deref()).code());
            let mut resp =
                warp::reply::with_status(warp::reply(), StatusCode::SEE_OTHER).into_response();
            resp.headers_mut()
                .insert(header::LOCATION, to.parse().expect("header"));
            resp.headers_mut()
                .insert(header::VARY, "accept-language".parse().expect("header"));
            resp
        });
    let assets = warp::path("assets")
        .and(warp::path::tail())
        .and(warp::get())
        .map(|t: warp::path::Tail| assets::serve(t.as_str()));
    // Pages link their icon; this answers the clients that ask for /favicon.ico regardless.
    let favicon = warp::path!("favicon.ico")
        .and(warp::get())
        .map(|| assets::serve("favicon.svg"));
    let chart =
        page(&s, warp::path!("box-office")).then(|lang: Lang, s: State, q: String| async move {
            box_office::page(&s, lang, &q).await
        });
    let cinemas = page(&s, warp::path!("cinemas"))
        .then(|lang: Lang, s: State, q: String| async move { cinemas::page(&s, lang, &q).await });
    let films = page(&s, warp::path!("films"))
        .then(|lang: Lang, s: State, q: String| async move { films::page(&s, lang, &q).await });
    let film = lang()
        .and(warp::path("films"))
        .and(warp::path::param::<String>())
        .and(warp::path::end())
        .and(warp::get())
        .and(public(s.clone()))
        .and(state(s.clone()))
        .and(query())
        .then(|lang: Lang, id: String, s: State, q: String| async move {
            // The segment arrives percent-encoded; a film id is its decoded text.
            let id = percent_decode(&id);
            film::page(&s, lang, &id, &q).await
        });
    let programmes = page(&s, warp::path!("rebates"))
        .map(|lang: Lang, s: State, q: String| programmes::programmes(&s, lang, &q));
    let estimate = page(&s, warp::path!("rebates" / "estimate"))
        .and(session_cookie(&s))
        .then(
            |lang: Lang, s: State, q: String, cookie: Option<String>| async move {
                rebates::estimate(&s, lang, &q, cookie.as_deref()).await
            },
        );
    let brief = page(&s, warp::path!("rebates" / "brief"))
        .and(api_edge::client(s.clone()))
        .then(
            |lang: Lang, s: State, q: String, client: String| async move {
                rebates::brief(&s, lang, &q, &client).await
            },
        );
    let how =
        page(&s, warp::path!("how")).map(|lang: Lang, s: State, q: String| how::page(&s, lang, &q));
    let glossary = lang()
        .and(warp::path!("glossary"))
        .and(warp::get())
        .and(public(s.clone()))
        .and(query())
        .map(|lang: Lang, q: String| glossary::page(lang, &q));
    root.or(assets)
        .unify()
        .or(favicon)
        .unify()
        .or(chart)
        .unify()
        .or(films)
        .unify()
        .or(cinemas)
        .unify()
        .or(film)
        .unify()
        .or(programmes)
        .unify()
        .or(estimate)
        .unify()
        .or(brief)
        .unify()
        .or(glossary)
        .unify()
        .or(how)
        .unify()
        .boxed()
        .or(signing(&s))
        .unify()
        .or(registry_routes(&s))
        .unify()
        .or(case_routes(&s))
        .unify()
        .or(cabinet(&s, "cinema", Role::Cinema))
        .unify()
        .or(cabinet(&s, "producer", Role::Producer))
        .unify()
        .or(cabinet(&s, "ministry", Role::Ministry))
        .unify()
        .or(cabinet(&s, "commission", Role::Commission))
        .unify()
        .boxed()
}
