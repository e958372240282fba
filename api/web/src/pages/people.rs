//! `/{lang}/ministry/people`: the ministry issues and revokes API keys and registers foreign
//! rebate applicants. Each form goes through the JSON API's own handler (`POST /v1/keys`,
//! `POST /v1/keys/{id}/revoke`, `PUT /v1/applicants/{id}`), so the checks, the stored records
//! and the audit are the API's.
//!
//! A new key's token is shown once, on the page the issuing form answers with (never in a
//! URL, never stored; the answer is `Cache-Control: no-store`). Revoking and registering
//! answer with a redirect back to the page (post/redirect/get), which names what was done.
//!
//! Ministry keys by two people (`api_core::key_requests`): a new ministry key, and a
//! revocation that would leave fewer than two, are listed as waiting for a second ministry
//! key, with an approve button for every ministry key but the one that asked
//! (`POST /v1/keys/requests/{id}/approve`).

use std::collections::HashMap;
use std::time::Instant;

use askama::Template;
use warp::http::StatusCode;
use warp::reply::Response;

use crate::cabinet;
use crate::i18n::{self, Lang};
use crate::page::{self, Chrome};
use crate::session::{self, Signed};
use crate::words::role_word;
use api_core::handlers;
use api_core::keys::{IssuedKey, NewKey};
use api_core::sessions;
use api_core::state::AppState;

const ROUTE: &str = "web_people";
const PATH: &str = "/{lang}/ministry/people";

pub struct KeyLine {
    pub id: String,
    pub label: String,
    pub role: String,
    pub scope: String,
    pub created: String,
    pub created_by: String,
    pub last_used: String,
    pub expires: String,
    /// Active, expired, or revoked with when, by whom and why.
    pub status: String,
    pub active: bool,
    /// The signed-in key itself: no revoke form (another ministry key must do it).
    pub own: bool,
}

pub struct ApplicantLine {
    pub id: String,
    pub name: String,
    pub country: String,
    pub registration: String,
    pub films: String,
}

pub struct Issued {
    pub label: String,
    pub token: String,
    /// A ministry key's request and its deadline, said beside the token.
    pub awaiting: Option<String>,
}

/// A request waiting for a second ministry key.
pub struct RequestLine {
    pub id: String,
    pub action: String,
    pub key: String,
    pub key_id: String,
    pub asked: String,
    pub until: String,
    pub reason: String,
    /// Made by the signed-in key: no approve button.
    pub own: bool,
}

#[derive(Template)]
#[template(path = "people.html")]
pub struct PeoplePage {
    pub chrome: Chrome,
    pub csrf: String,
    pub notice: Option<String>,
    pub error: Option<String>,
    pub issued: Option<Issued>,
    pub keys: Vec<KeyLine>,
    pub requests: Vec<RequestLine>,
    pub requests_note: String,
    pub applicants: Vec<ApplicantLine>,
    /// The issue form's values, kept after a refusal.
    pub form: HashMap<String, String>,
}

impl PeoplePage {
    /// A field of the issue or register form as last sent (empty on a fresh page).
    pub fn value(&self, name: &str) -> &str {
        self.form.get(name).map_or("", String::as_str)
    }

    /// Whether `v` is the value last sent for `name` (a select's option).
    pub fn chosen(&self, name: &str, v: &str) -> bool {
        self.value(name) == v
    }

    pub const ROLES: [&'static str; 5] =
        ["cinema", "producer", "ministry", "commission", "partner"];
}

/// What a form just did: a notice, what it refused, the key it issued, and the form as it
/// was typed (shown again after a refusal).
#[derive(Default)]
struct Outcome {
    notice: Option<String>,
    error: Option<String>,
    issued: Option<Issued>,
    form: HashMap<String, String>,
}

/// The page, with what a form just did.
async fn render(
    s: &AppState,
    lang: Lang,
    signed: &Signed,
    query: &str,
    outcome: Outcome,
) -> Response {
    let Outcome {
        notice,
        error,
        issued,
        form,
    } = outcome;
    let p = &signed.principal;
    let keys = match handlers::keys::list(s, p).await {
        Ok(k) => k.keys,
        Err(e) => return page::error(lang, "ministry/people", query, &e),
    };
    let requests = match handlers::keys::requests(s, p).await {
        Ok(r) => r.requests,
        Err(e) => return page::error(lang, "ministry/people", query, &e),
    };
    let applicants = match handlers::keys::applicants(s, p).await {
        Ok(a) => a.applicants,
        Err(e) => return page::error(lang, "ministry/people", query, &e),
    };
    let at = |t: &str| i18n::timestamp(lang, t);
    let awaiting: Vec<_> = requests.iter().filter(|r| r.state == "awaiting").collect();
    let waits_until = |key_id: &str| {
        awaiting
            .iter()
            .find(|r| r.action == "issue" && r.key_id == key_id)
            .map(|r| at(&r.approve_by))
    };
    let notice = notice.or_else(|| {
        let q = crate::params::form(query);
        let id = q.get("requested")?;
        let r = requests.iter().find(|r| &r.request_id == id)?;
        Some(i18n::t_with(
            lang,
            "people-requested-notice",
            &[
                ("id", r.key_id.clone()),
                ("request", r.request_id.clone()),
                ("until", at(&r.approve_by)),
            ],
        ))
    });
    let request_lines = awaiting
        .iter()
        .map(|r| RequestLine {
            id: r.request_id.clone(),
            action: i18n::t(lang, &format!("people-request-{}", r.action)),
            key: r.key_label.clone(),
            key_id: r.key_id.clone(),
            asked: i18n::t_with(
                lang,
                "people-request-asked",
                &[
                    ("when", at(&r.requested_at)),
                    ("by", r.requested_by.clone()),
                ],
            ),
            until: i18n::t_with(lang, "people-request-until", &[("when", at(&r.approve_by))]),
            reason: r.reason.clone(),
            own: r.requester_key == p.key_id,
        })
        .collect();
    let keys = keys
        .into_iter()
        .rev()
        .map(|k| {
            let status = match (&k.revoked_at, k.active) {
                (Some(when), _) => i18n::t_with(
                    lang,
                    "people-revoked",
                    &[
                        ("when", at(when)),
                        ("by", k.revoked_by.clone().unwrap_or_default()),
                        ("reason", k.revoked_reason.clone().unwrap_or_default()),
                    ],
                ),
                (None, true) => i18n::t(lang, "people-active"),
                (None, false) if k.awaiting_approval => match waits_until(&k.key_id) {
                    Some(until) => i18n::t_with(lang, "people-awaiting", &[("until", until)]),
                    None => i18n::t(lang, "people-expired"),
                },
                (None, false) => i18n::t(lang, "people-expired"),
            };
            KeyLine {
                own: k.key_id == p.key_id,
                scope: k
                    .bin
                    .clone()
                    .or_else(|| k.applicant_id.clone())
                    .unwrap_or_else(|| "—".into()),
                role: role_word(lang, &k.role),
                created: at(&k.created_at),
                created_by: if k.created_by.is_empty() {
                    "—".into()
                } else {
                    i18n::writer(lang, &k.created_by)
                },
                last_used: k
                    .last_used_at
                    .as_deref()
                    .map(at)
                    .unwrap_or_else(|| i18n::t(lang, "cab-never")),
                expires: k
                    .expires_at
                    .as_deref()
                    .map(at)
                    .unwrap_or_else(|| i18n::t(lang, "people-no-expiry")),
                status,
                active: k.active,
                id: k.key_id,
                label: k.label,
            }
        })
        .collect();
    let applicants = applicants
        .into_iter()
        .map(|a| ApplicantLine {
            id: a.applicant_id,
            name: a.name,
            country: a.country,
            registration: a.registration_number,
            films: a.films.join(", "),
        })
        .collect();
    let chrome = cabinet::chrome(
        s,
        lang,
        signed,
        "people-title",
        "ministry",
        "ministry/people",
        query,
    )
    .await;
    let mut resp = page::html(
        StatusCode::OK,
        lang,
        &PeoplePage {
            chrome,
            csrf: signed.session.csrf.clone(),
            notice,
            error,
            issued,
            keys,
            requests: request_lines,
            requests_note: i18n::t_with(
                lang,
                "people-requests-note",
                &[("days", s.settings.ministry_key_days.to_string())],
            ),
            applicants,
            form,
        },
    );
    // The page may carry a token shown once: never kept by a cache or the browser's history.
    resp.headers_mut().insert(
        "cache-control",
        warp::http::HeaderValue::from_static("no-store"),
    );
    resp
}

/// `GET /{lang}/ministry/people`.
pub async fn page(s: &AppState, lang: Lang, signed: &Signed, query: &str) -> Response {
    let started = Instant::now();
    let q = crate::params::form(query);
    let notice = match (q.get("revoked"), q.get("registered"), q.get("approved")) {
        (Some(id), _, _) => Some(i18n::t_with(
            lang,
            "people-revoked-notice",
            &[("id", id.clone())],
        )),
        (None, Some(id), _) => Some(i18n::t_with(
            lang,
            "people-registered-notice",
            &[("id", id.clone())],
        )),
        (None, None, Some(id)) => Some(i18n::t_with(
            lang,
            "people-approved-notice",
            &[("request", id.clone())],
        )),
        // `requested` is named with its deadline once the requests are read (`render`).
        _ => None,
    };
    let resp = render(
        s,
        lang,
        signed,
        query,
        Outcome {
            notice,
            ..Outcome::default()
        },
    )
    .await;
    cabinet::done(s, resp, &signed.principal, ROUTE, PATH, query, started)
}

fn fields(body: &[u8]) -> HashMap<String, String> {
    serde_urlencoded::from_bytes::<Vec<(String, String)>>(body)
        .unwrap_or_default()
        .into_iter()
        .collect()
}

fn text(form: &HashMap<String, String>, name: &str) -> Option<String> {
    form.get(name)
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty())
}

/// `POST /{lang}/ministry/people/{action}`: `keys` (issue), `revoke`, `approve` (a request of
/// another ministry key), `applicants` (register).
pub async fn post(
    s: &AppState,
    lang: Lang,
    signed: &Signed,
    action: &str,
    body: &[u8],
) -> Response {
    let started = Instant::now();
    let p = &signed.principal;
    let label = crate::page::bounded(action, &["keys", "revoke", "approve", "applicants"]);
    let route = format!("web_people_{label}");
    let path = format!("/{{lang}}/ministry/people/{label}");
    let done =
        |resp: Response| api_edge::audited(s, resp, p, "POST", &route, &path, "", started, 0);
    let form = fields(body);
    if !form
        .get("csrf")
        .is_some_and(|c| sessions::same_token(&signed.session.csrf, c))
    {
        return done(session::forbidden(lang));
    }
    // The screen again with what the form refused, and with `keep` the form as it was typed.
    let again = |e: &api_core::error::ApiError, keep: bool| {
        let outcome = Outcome {
            error: Some(i18n::t_with(
                lang,
                "people-refused",
                &[("reason", page::message(lang, e))],
            )),
            form: if keep { form.clone() } else { HashMap::new() },
            ..Outcome::default()
        };
        async move { done(render(s, lang, signed, "", outcome).await) }
    };
    match action {
        "keys" => {
            let days = match text(&form, "expires_in_days").map(|d| d.parse::<u32>()) {
                None => None,
                Some(Ok(d)) => Some(d),
                Some(Err(_)) => {
                    let e = api_core::error::ApiError::bad(
                        "expires_in_days",
                        "must be a whole number of days, 1 to 3650",
                    );
                    return again(&e, true).await;
                }
            };
            let new = NewKey {
                role: text(&form, "role").unwrap_or_default(),
                bin: text(&form, "bin"),
                applicant_id: text(&form, "applicant_id"),
                label: text(&form, "label").unwrap_or_default(),
                expires_in_days: days,
            };
            match handlers::keys::issue(s, p, new).await {
                Ok(IssuedKey {
                    token,
                    label,
                    awaiting_approval,
                    ..
                }) => {
                    let awaiting = awaiting_approval.map(|r| {
                        i18n::t_with(
                            lang,
                            "people-issued-ministry",
                            &[
                                ("request", r.request_id),
                                ("until", i18n::timestamp(lang, &r.approve_by)),
                            ],
                        )
                    });
                    let issued = Issued {
                        label,
                        token,
                        awaiting,
                    };
                    let outcome = Outcome {
                        issued: Some(issued),
                        ..Outcome::default()
                    };
                    done(render(s, lang, signed, "", outcome).await)
                }
                Err(e) => again(&e, true).await,
            }
        }
        "revoke" => {
            let id = text(&form, "key_id").unwrap_or_default();
            let body = handlers::keys::Revoke {
                reason: form.get("reason").cloned().unwrap_or_default(),
            };
            match handlers::keys::revoke(s, p, id.clone(), body).await {
                Ok(r) => {
                    let to = match r.awaiting_approval {
                        Some(req) => format!("requested={}#requests-heading", req.request_id),
                        None => {
                            format!("revoked={}#keys-heading", crate::params::path_segment(&id))
                        }
                    };
                    done(session::see_other(
                        &format!("/{}/ministry/people?{to}", lang.code()),
                        Vec::new(),
                    ))
                }
                Err(e) => again(&e, false).await,
            }
        }
        "approve" => {
            let id = text(&form, "request_id").unwrap_or_default();
            match handlers::keys::approve(s, p, id).await {
                Ok(r) => done(session::see_other(
                    &format!(
                        "/{}/ministry/people?approved={}#requests-heading",
                        lang.code(),
                        r.request_id
                    ),
                    Vec::new(),
                )),
                Err(e) => again(&e, false).await,
            }
        }
        "applicants" => {
            let id = text(&form, "applicant_id").unwrap_or_default();
            let films: Vec<String> = form
                .get("films")
                .map(|f| {
                    f.split([',', ' ', ';'])
                        .map(str::trim)
                        .filter(|x| !x.is_empty())
                        .map(str::to_owned)
                        .collect()
                })
                .unwrap_or_default();
            let body = api_core::applicants::ApplicantBody {
                name: form.get("name").cloned().unwrap_or_default(),
                country: text(&form, "country").unwrap_or_default().to_uppercase(),
                registration_number: form.get("registration_number").cloned().unwrap_or_default(),
                films,
            };
            match handlers::registry::put_applicant(s, p, id.clone(), body).await {
                Ok(_) => done(session::see_other(
                    &format!(
                        "/{}/ministry/people?registered={}#applicants-heading",
                        lang.code(),
                        crate::params::path_segment(&id)
                    ),
                    Vec::new(),
                )),
                Err(e) => again(&e, true).await,
            }
        }
        _ => done(page::error(
            lang,
            "ministry/people",
            "",
            &api_core::error::ApiError::NotFound,
        )),
    }
}
